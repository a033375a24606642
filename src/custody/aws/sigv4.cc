#include "custody/aws/sigv4.h"

#include <algorithm>
#include <array>
#include <ctime>

#include "custody/crypto/encoding.h"

namespace custody::aws::sigv4 {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

// 1 for the unreserved characters A-Z a-z 0-9 - _ . ~, which UriEncode leaves as they are.
constexpr std::array<bool, 256> kUnreserved = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.' || c == '~';
  }
  return table;
}();

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Decodes %XX escapes; a '%' not followed by two hex digits stays as it is. '+' is not
// decoded to a space, since SigV4 clients never produce it for one.
std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t start = 0;
  while (start < text.size()) {
    const size_t percent = text.find('%', start);
    if (percent == std::string_view::npos) {
      out.append(text.substr(start));
      break;
    }
    out.append(text.substr(start, percent - start));
    const int high = percent + 2 < text.size() ? HexValue(text[percent + 1]) : -1;
    const int low = percent + 2 < text.size() ? HexValue(text[percent + 2]) : -1;
    if (high >= 0 && low >= 0) {
      out += static_cast<char>(high * 16 + low);
      start = percent + 3;
    } else {
      out += '%';
      start = percent + 1;
    }
  }
  return out;
}

// Removes "." and ".." segments and empty segments; keeps a trailing slash.
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) {
        segments.pop_back();
      }
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) {
      out += '/';
    }
    out += segments[i];
  }
  if (!segments.empty() && !path.empty() && path.back() == '/') {
    out += '/';
  }
  return out;
}

bool IsSpaceOrTab(char c) {
  return c == ' ' || c == '\t';
}

std::string CanonicalHeaderValue(std::string_view value) {
  while (!value.empty() && IsSpaceOrTab(value.front())) {
    value.remove_prefix(1);
  }
  while (!value.empty() && IsSpaceOrTab(value.back())) {
    value.remove_suffix(1);
  }
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == ' ' && !out.empty() && out.back() == ' ') {
      continue;
    }
    out += c;
  }
  return out;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  });
  return out;
}

bool HasLineBreakOrNul(std::string_view text) {
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return true;
    }
  }
  return false;
}

std::string_view AsView(const crypto::Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

struct CachedKey {
  Secret secret;
  std::string date;
  std::string region;
  std::string service;
  crypto::Sha256Digest key{};
};

std::string CredentialScope(std::string_view date, const SigningConfig& config) {
  std::string scope(date);
  scope += '/';
  scope += config.region;
  scope += '/';
  scope += config.service;
  scope += "/aws4_request";
  return scope;
}

void AppendQueryParameter(std::string* query, std::string_view name, std::string_view value) {
  if (!query->empty()) {
    *query += '&';
  }
  *query += UriEncode(name, true);
  *query += '=';
  *query += UriEncode(value, true);
}

Status CheckCredentials(const Credentials& credentials) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return InvalidArgument("AWS credentials are missing the access key id or the secret key");
  }
  return Status::Ok();
}

}  // namespace

SigningConfig SigningConfig::ForS3(std::string region) {
  return {std::move(region), "s3", /*double_encode_path=*/false, /*normalize_path=*/false};
}

SigningConfig SigningConfig::ForService(std::string region, std::string service) {
  return {std::move(region), std::move(service), /*double_encode_path=*/true,
          /*normalize_path=*/true};
}

std::string UriEncode(std::string_view bytes, bool encode_slash) {
  std::string out;
  out.reserve(bytes.size() + 16);
  size_t run_start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if (kUnreserved[byte] || (byte == '/' && !encode_slash)) {
      continue;
    }
    out.append(bytes.data() + run_start, i - run_start);
    const char escape[3] = {'%', kHexDigits[byte >> 4], kHexDigits[byte & 0x0f]};
    out.append(escape, 3);
    run_start = i + 1;
  }
  out.append(bytes.data() + run_start, bytes.size() - run_start);
  return out;
}

std::string EncodeS3KeyPath(std::string_view key) {
  return UriEncode(key, false);
}

std::string CanonicalUri(std::string_view path, const SigningConfig& config) {
  if (path.empty()) {
    return "/";
  }
  if (!config.double_encode_path) {
    return config.normalize_path ? NormalizePath(path) : std::string(path);
  }
  const std::string normalized = config.normalize_path ? NormalizePath(path) : std::string(path);
  return UriEncode(normalized, false);
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) {
      end = query.size();
    }
    const std::string_view component = query.substr(start, end - start);
    start = end + 1;
    if (component.empty()) {
      continue;
    }
    const size_t equals = component.find('=');
    const std::string_view name = component.substr(0, equals);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : component.substr(equals + 1);
    pairs.emplace_back(UriEncode(PercentDecode(name), true), UriEncode(PercentDecode(value), true));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) {
      out += '&';
    }
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

Result<CanonicalHeaders> CanonicalizeHeaders(const HeaderList& headers) {
  // Stable sort keeps repeated names in the order given, as the values must be joined.
  std::vector<std::pair<std::string, std::string>> lowered;
  lowered.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    if (name.empty() || HasLineBreakOrNul(name) || HasLineBreakOrNul(value)) {
      return InvalidArgument("header to sign has an empty name or a line break: " + ToLower(name));
    }
    lowered.emplace_back(ToLower(name), CanonicalHeaderValue(value));
  }
  std::stable_sort(lowered.begin(), lowered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  CanonicalHeaders out;
  for (size_t i = 0; i < lowered.size(); ++i) {
    const bool same_as_previous = i > 0 && lowered[i].first == lowered[i - 1].first;
    if (same_as_previous) {
      out.block += ',';
      out.block += lowered[i].second;
      continue;
    }
    if (i > 0) {
      out.block += '\n';
      out.signed_headers += ';';
    }
    out.block += lowered[i].first;
    out.block += ':';
    out.block += lowered[i].second;
    out.signed_headers += lowered[i].first;
  }
  if (!lowered.empty()) {
    out.block += '\n';
  }
  return out;
}

std::string FormatAmzDate(SystemTime time) {
  const std::time_t seconds = static_cast<std::time_t>(ToUnixSeconds(time));
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[20];
  std::strftime(text, sizeof(text), "%Y%m%dT%H%M%SZ", &parts);
  return text;
}

crypto::Sha256Digest SigningKey(const Secret& secret_access_key, std::string_view date,
                                std::string_view region, std::string_view service) {
  // Per-thread, so no lock; 8 entries cover the few credentials one thread signs with at once.
  constexpr size_t kCacheSize = 8;
  thread_local std::array<CachedKey, kCacheSize> cache;
  thread_local size_t next_slot = 0;

  for (const CachedKey& entry : cache) {
    if (entry.date == date && entry.region == region && entry.service == service &&
        !entry.secret.empty() &&
        crypto::ConstantTimeEquals(entry.secret.Reveal(), secret_access_key.Reveal())) {
      return entry.key;
    }
  }

  const std::string first_key = "AWS4" + secret_access_key.Reveal();
  const crypto::Sha256Digest date_key = crypto::HmacSha256(first_key, date);
  const crypto::Sha256Digest region_key = crypto::HmacSha256(AsView(date_key), region);
  const crypto::Sha256Digest service_key = crypto::HmacSha256(AsView(region_key), service);
  const crypto::Sha256Digest signing_key = crypto::HmacSha256(AsView(service_key), "aws4_request");

  CachedKey& slot = cache[next_slot];
  next_slot = (next_slot + 1) % kCacheSize;
  slot.secret = secret_access_key;
  slot.date = std::string(date);
  slot.region = std::string(region);
  slot.service = std::string(service);
  slot.key = signing_key;
  return signing_key;
}

namespace {

// Signs `request`, whose headers are already canonicalized into `headers`.
Signature SignCanonical(const RequestToSign& request, CanonicalHeaders headers,
                        const SigningConfig& config, const Credentials& credentials,
                        std::string_view amz_date) {
  Signature out;
  out.signed_headers = std::move(headers.signed_headers);

  const std::string canonical_uri = CanonicalUri(request.path, config);
  const std::string canonical_query = CanonicalQuery(request.query);
  out.canonical_request.reserve(request.method.size() + canonical_uri.size() +
                                canonical_query.size() + headers.block.size() +
                                out.signed_headers.size() + request.payload_hash.size() + 8);
  out.canonical_request += request.method;
  out.canonical_request += '\n';
  out.canonical_request += canonical_uri;
  out.canonical_request += '\n';
  out.canonical_request += canonical_query;
  out.canonical_request += '\n';
  out.canonical_request += headers.block;
  out.canonical_request += '\n';
  out.canonical_request += out.signed_headers;
  out.canonical_request += '\n';
  out.canonical_request += request.payload_hash;

  const std::string_view date = amz_date.substr(0, 8);
  out.credential_scope = CredentialScope(date, config);

  out.string_to_sign += kAlgorithm;
  out.string_to_sign += '\n';
  out.string_to_sign += amz_date;
  out.string_to_sign += '\n';
  out.string_to_sign += out.credential_scope;
  out.string_to_sign += '\n';
  out.string_to_sign += crypto::Sha256Hex(out.canonical_request);

  const crypto::Sha256Digest key =
      SigningKey(credentials.secret_access_key, date, config.region, config.service);
  out.signature = crypto::HexEncode(crypto::HmacSha256(AsView(key), out.string_to_sign));
  return out;
}

}  // namespace

Result<Signature> ComputeSignature(const RequestToSign& request, const SigningConfig& config,
                                   const Credentials& credentials, SystemTime time) {
  CUSTODY_RETURN_IF_ERROR(CheckCredentials(credentials));
  CUSTODY_ASSIGN_OR_RETURN(CanonicalHeaders headers, CanonicalizeHeaders(request.headers));
  return SignCanonical(request, std::move(headers), config, credentials, FormatAmzDate(time));
}

Result<HeaderSignature> SignWithHeaders(RequestToSign* request, const SigningConfig& config,
                                        const Credentials& credentials, SystemTime time,
                                        const HeaderSigningOptions& options) {
  CUSTODY_RETURN_IF_ERROR(CheckCredentials(credentials));
  request->headers.emplace_back("X-Amz-Date", FormatAmzDate(time));
  if (!credentials.session_token.empty() && options.sign_session_token) {
    request->headers.emplace_back("X-Amz-Security-Token", credentials.session_token.Reveal());
  }
  if (options.add_content_sha256_header) {
    request->headers.emplace_back("x-amz-content-sha256", request->payload_hash);
  }

  CUSTODY_ASSIGN_OR_RETURN(Signature signature,
                           ComputeSignature(*request, config, credentials, time));

  HeaderSignature out;
  out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                      signature.credential_scope + ", SignedHeaders=" + signature.signed_headers +
                      ", Signature=" + signature.signature;
  out.signature = std::move(signature);
  if (!credentials.session_token.empty() && !options.sign_session_token) {
    request->headers.emplace_back("X-Amz-Security-Token", credentials.session_token.Reveal());
  }
  request->headers.emplace_back("Authorization", out.authorization);
  return out;
}

Result<Signature> SignWithQuery(RequestToSign* request, const SigningConfig& config,
                                const Credentials& credentials, SystemTime time,
                                const QuerySigningOptions& options) {
  CUSTODY_RETURN_IF_ERROR(CheckCredentials(credentials));
  if (options.expires.count() < 1 || options.expires > kMaxPresignExpiry) {
    return InvalidArgument("presigned URL expiry must be between 1 and 604800 seconds, not " +
                           std::to_string(options.expires.count()));
  }
  CUSTODY_ASSIGN_OR_RETURN(CanonicalHeaders headers, CanonicalizeHeaders(request->headers));

  const std::string amz_date = FormatAmzDate(time);
  const std::string scope = CredentialScope(std::string_view(amz_date).substr(0, 8), config);
  AppendQueryParameter(&request->query, "X-Amz-Algorithm", kAlgorithm);
  AppendQueryParameter(&request->query, "X-Amz-Credential",
                       credentials.access_key_id + "/" + scope);
  AppendQueryParameter(&request->query, "X-Amz-Date", amz_date);
  AppendQueryParameter(&request->query, "X-Amz-Expires", std::to_string(options.expires.count()));
  AppendQueryParameter(&request->query, "X-Amz-SignedHeaders", headers.signed_headers);
  if (!credentials.session_token.empty() && options.sign_session_token) {
    AppendQueryParameter(&request->query, "X-Amz-Security-Token",
                         credentials.session_token.Reveal());
  }

  Signature signature = SignCanonical(*request, std::move(headers), config, credentials, amz_date);

  if (!credentials.session_token.empty() && !options.sign_session_token) {
    AppendQueryParameter(&request->query, "X-Amz-Security-Token",
                         credentials.session_token.Reveal());
  }
  AppendQueryParameter(&request->query, "X-Amz-Signature", signature.signature);
  return signature;
}

}  // namespace custody::aws::sigv4
