// Checkpoint signing keys in files outside the database. A key file contains one line: the
// signer key string of golang.org/x/mod/sumdb/note (NoteSigner::FromSignerKey), which holds the
// private key, so the file must be readable by its owner only.
#pragma once

#include <string>
#include <string_view>

#include "custody/audit/checkpoint.h"
#include "custody/common/status.h"

namespace custody::audit {

// Largest key file LoadSigningKeyFile reads; a signer key string is about 100 bytes.
inline constexpr size_t kMaxSigningKeyFileBytes = 4096;

// Reads the signing key at `path`. Fails with kInvalidArgument when the file is missing, is
// not a regular file, can be read or written by its group or others (any of mode 077), is
// larger than kMaxSigningKeyFileBytes or does not contain a valid signer key. Trailing
// whitespace after the key is ignored.
Result<NoteSigner> LoadSigningKeyFile(const std::string& path);

// Generates a new Ed25519 key named `key_name`, writes it to a new file at `path` with mode
// 0600 and returns the signer. Fails when `path` already exists, so a key is never overwritten.
Result<NoteSigner> GenerateSigningKeyFile(const std::string& path, std::string_view key_name);

}  // namespace custody::audit
