// Cryptographically secure randomness (OpenSSL RAND_bytes, seeded by the kernel).
#pragma once

#include <cstddef>
#include <string>

namespace custody::crypto {

// Returns `count` random bytes. Aborts if the generator fails, because no caller could
// continue safely with predictable bytes.
std::string RandomBytes(size_t count);

// Returns `count` random characters from [A-Za-z0-9], with no modulo bias: an identifier or a
// secret that survives URLs, shells and copy-paste. 22 characters carry about 131 bits.
std::string RandomAlphanumeric(size_t count);

}  // namespace custody::crypto
