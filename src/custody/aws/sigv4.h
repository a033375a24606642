// AWS Signature Version 4 (AWS4-HMAC-SHA256): canonical request, string to sign, signing key
// and signature, for the Authorization header and for presigned (query-string) URLs.
// Reference: "Create a signed AWS API request" and "Authenticating Requests: Using Query
// Parameters" in the AWS IAM and S3 documentation; checked against AWS's published SigV4
// test suite and the S3 documentation's worked examples (sigv4_conformance_test.cc).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "custody/aws/credentials.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"
#include "custody/crypto/hash.h"

namespace custody::aws::sigv4 {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// S3 rejects presigned URLs with X-Amz-Expires above 7 days.
inline constexpr std::chrono::seconds kMaxPresignExpiry{604800};

struct SigningConfig {
  std::string region;
  std::string service;
  // S3 signs the path exactly as sent, because object keys may contain "//" and "..". Every
  // other service percent-encodes the sent path a second time and normalizes it first.
  bool double_encode_path = true;
  bool normalize_path = true;

  static SigningConfig ForS3(std::string region);
  static SigningConfig ForService(std::string region, std::string service);
};

// The parts of an HTTP request that SigV4 covers.
struct RequestToSign {
  std::string method;
  std::string path;          // as on the request line, before any '?'
  std::string query;         // as on the request line, after the '?'; empty when there is none
  HeaderList headers;        // every header listed here is signed; must include "host"
  std::string payload_hash;  // lowercase hex SHA-256 of the body, or kUnsignedPayload
};

// Every intermediate value, so tests can compare each step with published vectors.
struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string credential_scope;  // "20150830/us-east-1/service/aws4_request"
  std::string signed_headers;    // "host;x-amz-date"
  std::string signature;         // 64 lowercase hex characters
};

// Percent-encodes every byte except the unreserved characters A-Z a-z 0-9 - _ . ~ (and '/'
// when encode_slash is false), with uppercase hex digits.
std::string UriEncode(std::string_view bytes, bool encode_slash);

// Encodes an S3 object key for a URL path: each '/'-separated segment is encoded on its own,
// and nothing is normalized, so "a//b/../c" stays five segments.
std::string EncodeS3KeyPath(std::string_view key);

std::string CanonicalUri(std::string_view path, const SigningConfig& config);

// Decodes each name and value of a raw query string, encodes them again with UriEncode, and
// sorts the pairs by name, then by value. A name without '=' gets an empty value.
std::string CanonicalQuery(std::string_view query);

struct CanonicalHeaders {
  std::string block;           // "name:value\n" lines, sorted by lowercase name
  std::string signed_headers;  // lowercase names joined with ';'
};

// Lowercases names, trims values and folds runs of spaces, and joins the values of repeated
// names with ',' in the order they were given. Rejects names or values with CR, LF or NUL.
Result<CanonicalHeaders> CanonicalizeHeaders(const HeaderList& headers);

// "20150830T123600Z"
std::string FormatAmzDate(SystemTime time);

// Derives kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
// "aws4_request"). Each thread caches its most recent keys, because the key changes only daily.
crypto::Sha256Digest SigningKey(const Secret& secret_access_key, std::string_view date,
                                std::string_view region, std::string_view service);

// Computes the signature of `request` as it stands; adds nothing to it.
Result<Signature> ComputeSignature(const RequestToSign& request, const SigningConfig& config,
                                   const Credentials& credentials, SystemTime time);

struct HeaderSigningOptions {
  // S3 requires x-amz-content-sha256 on header-signed requests; other services do not.
  bool add_content_sha256_header = false;
  // When false, X-Amz-Security-Token is added after signing and left out of SignedHeaders.
  bool sign_session_token = true;
};

struct HeaderSignature {
  Signature signature;
  std::string authorization;  // the Authorization header value
};

// Adds X-Amz-Date, X-Amz-Security-Token (temporary credentials only), x-amz-content-sha256
// (when asked) and Authorization to request->headers.
Result<HeaderSignature> SignWithHeaders(RequestToSign* request, const SigningConfig& config,
                                        const Credentials& credentials, SystemTime time,
                                        const HeaderSigningOptions& options = {});

struct QuerySigningOptions {
  std::chrono::seconds expires{900};  // X-Amz-Expires, 1 second to 7 days
  bool sign_session_token = true;     // as in HeaderSigningOptions
};

// Appends X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
// X-Amz-Security-Token (temporary credentials only) and X-Amz-Signature to request->query.
Result<Signature> SignWithQuery(RequestToSign* request, const SigningConfig& config,
                                const Credentials& credentials, SystemTime time,
                                const QuerySigningOptions& options);

}  // namespace custody::aws::sigv4
