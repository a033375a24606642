// Checks on the values a client declares for a new evidence version. The file name is shown
// to people and put in Content-Disposition, never in an object key or a path, but it is still
// held to a plain-name rule so that a download cannot smuggle a path to the user's disk.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/status.h"

namespace custody::evidence {

// 5 GiB: the largest object a single presigned PUT may create in S3.
inline constexpr int64_t kMaxSinglePutBytes = int64_t{5} * 1024 * 1024 * 1024;
// S3's multipart limits: 5 MiB to 5 GiB per part (the last part may be smaller), at most 10000
// parts, and at most 5 TiB per object.
inline constexpr int64_t kMinPartBytes = int64_t{5} * 1024 * 1024;
inline constexpr int64_t kMaxPartBytes = kMaxSinglePutBytes;
inline constexpr int64_t kMaxPartCount = 10000;
inline constexpr int64_t kMaxMultipartBytes = int64_t{5} * 1024 * 1024 * 1024 * 1024;
inline constexpr size_t kMaxFileNameBytes = 255;
inline constexpr size_t kMaxTitleBytes = 200;
inline constexpr size_t kMaxDescriptionBytes = 4000;
inline constexpr size_t kMaxMediaTypeBytes = 127;

// Accepts valid UTF-8 of 1 to 255 bytes without '/', '\', control characters (C0, DEL, C1),
// invisible formatting characters (CheckReadableText in common/text.h), leading or trailing
// white space, and not "." or "..".
Status ValidateFileName(std::string_view name);

// 1 byte to kMaxSinglePutBytes.
Status ValidateSize(int64_t size);

// A multipart declaration: `size` of 1 byte to kMaxMultipartBytes, a part size of kMinPartBytes
// to kMaxPartBytes, at most kMaxPartCount parts, and exactly one lowercase hex MD5 per part.
// The error names the field ("/part_size", "/part_md5s/2").
Status ValidateMultipart(int64_t size, int64_t part_size,
                         const std::vector<std::string>& part_md5s);

// Exactly `hex_length` lowercase hexadecimal characters (64 for SHA-256, 32 for MD5).
Status ValidateHexDigest(std::string_view value, size_t hex_length, std::string_view field);

// An RFC 6838 type/subtype without parameters, such as "application/pdf".
Status ValidateMediaType(std::string_view media_type);

// A one-line text of 1 to `max_bytes` bytes of valid UTF-8 without control characters.
Status ValidateTitle(std::string_view title, std::string_view field, size_t max_bytes);

// Free text up to `max_bytes` of valid UTF-8; newlines and tabs allowed, other controls not.
Status ValidateDescription(std::string_view description, std::string_view field, size_t max_bytes);

}  // namespace custody::evidence
