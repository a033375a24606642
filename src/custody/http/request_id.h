// Request ids: the X-Request-Id a client may send, or one the server makes. The id is echoed on
// the response and recorded in logs and audit records, so it is restricted to characters that
// need no escaping anywhere.
#pragma once

#include <string>
#include <string_view>

namespace custody::http {

inline constexpr size_t kMaxRequestIdLength = 64;

// True for 1 to 64 characters of [A-Za-z0-9._-].
bool IsValidRequestId(std::string_view id);

// Returns a new id of 22 random characters of [A-Za-z0-9] (about 131 bits). Not a secret:
// it uses a per-thread pseudo-random generator seeded from std::random_device.
std::string GenerateRequestId();

// Returns `client_id` when it is a valid request id, otherwise a generated one.
std::string ChooseRequestId(const std::string* client_id);

}  // namespace custody::http
