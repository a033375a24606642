#include "custody/aws/sts.h"

#include <algorithm>

#include "custody/aws/sigv4.h"
#include "custody/crypto/hash.h"

namespace custody::aws {
namespace {

constexpr std::string_view kFormType = "application/x-www-form-urlencoded; charset=utf-8";
constexpr size_t kMaxErrorMessage = 256;

bool IsIamNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == '-';
}

void AppendFormField(std::string* form, std::string_view name, std::string_view value) {
  if (!form->empty()) {
    *form += '&';
  }
  *form += name;
  *form += '=';
  // %20 for spaces, never '+': Ceph RGW 16.2 does not decode '+' in form bodies.
  *form += sigv4::UriEncode(value, true);
}

// Decodes the five predefined XML entities and numeric character references below 0x80.
// Returns false on any other '&' sequence.
bool DecodeXmlText(std::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out->push_back(text[i]);
      continue;
    }
    const size_t end = text.find(';', i);
    if (end == std::string_view::npos) {
      return false;
    }
    const std::string_view entity = text.substr(i + 1, end - i - 1);
    if (entity == "amp") {
      out->push_back('&');
    } else if (entity == "lt") {
      out->push_back('<');
    } else if (entity == "gt") {
      out->push_back('>');
    } else if (entity == "quot") {
      out->push_back('"');
    } else if (entity == "apos") {
      out->push_back('\'');
    } else if (entity.size() >= 2 && entity[0] == '#') {
      const bool hex = entity[1] == 'x';
      const std::string digits(entity.substr(hex ? 2 : 1));
      if (digits.empty() || digits.size() > 6 ||
          digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") !=
              std::string::npos) {
        return false;
      }
      const long code = std::stol(digits, nullptr, hex ? 16 : 10);
      if (code < 0x20 || code >= 0x80) {
        return false;
      }
      out->push_back(static_cast<char>(code));
    } else {
      return false;
    }
    i = end;
  }
  return true;
}

enum class Lookup {
  kFound,
  kMissing,
  kMalformed
};

// Finds the text content of the one element <name> (or <name attributes...>) in `xml`. An
// element that appears twice, or that contains markup, is malformed.
Lookup FindElement(std::string_view xml, std::string_view name, std::string_view* content) {
  const std::string open = "<" + std::string(name);
  const std::string close = "</" + std::string(name) + ">";
  size_t start = std::string_view::npos;
  size_t search = 0;
  while (true) {
    const size_t at = xml.find(open, search);
    if (at == std::string_view::npos) {
      break;
    }
    const size_t after = at + open.size();
    if (after < xml.size() && (xml[after] == '>' || xml[after] == ' ')) {
      if (start != std::string_view::npos) {
        return Lookup::kMalformed;  // a second element of the same name
      }
      start = at;
    }
    search = after;
  }
  if (start == std::string_view::npos) {
    return Lookup::kMissing;
  }
  const size_t content_start = xml.find('>', start);
  const size_t content_end = xml.find(close, start);
  if (content_start == std::string_view::npos || content_end == std::string_view::npos ||
      content_end < content_start) {
    return Lookup::kMalformed;
  }
  *content = xml.substr(content_start + 1, content_end - content_start - 1);
  return Lookup::kFound;
}

Status Malformed(std::string_view what) {
  return UpstreamFailed("malformed AssumeRole response: " + std::string(what));
}

// The decoded text of a leaf element that must be present.
Result<std::string> RequiredText(std::string_view xml, std::string_view name) {
  std::string_view content;
  const Lookup lookup = FindElement(xml, name, &content);
  if (lookup == Lookup::kMissing) {
    return Malformed("missing " + std::string(name));
  }
  std::string text;
  if (lookup == Lookup::kMalformed || content.find('<') != std::string_view::npos ||
      !DecodeXmlText(content, &text)) {
    return Malformed("invalid " + std::string(name));
  }
  if (text.empty()) {
    return Malformed("empty " + std::string(name));
  }
  return text;
}

std::string OptionalText(std::string_view xml, std::string_view name) {
  std::string_view content;
  std::string text;
  if (FindElement(xml, name, &content) != Lookup::kFound ||
      content.find('<') != std::string_view::npos || !DecodeXmlText(content, &text)) {
    return {};
  }
  if (text.size() > kMaxErrorMessage) {
    text.resize(kMaxErrorMessage);
  }
  return text;
}

}  // namespace

std::string SanitizeRoleSessionName(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 64)) {
    out += IsIamNameChar(c) ? c : '-';
  }
  while (out.size() < 2) {
    out += '-';
  }
  return out;
}

Result<std::string> BuildAssumeRoleForm(const AssumeRoleParams& params,
                                        bool tag_session_with_user) {
  if (params.external_id.empty()) {
    return InvalidArgument("AssumeRole needs the organization's ExternalId", "external_id");
  }
  if (params.role_arn.empty()) {
    return InvalidArgument("AssumeRole needs a role ARN", "role_arn");
  }
  if (params.duration.count() < 900 || params.duration.count() > 43200) {
    return InvalidArgument("AssumeRole duration must be 900 to 43200 seconds", "duration");
  }
  const std::string& identity = params.source_identity;
  if (!identity.empty() && (identity.size() < 2 || identity.size() > 64 ||
                            !std::all_of(identity.begin(), identity.end(), IsIamNameChar))) {
    return InvalidArgument("source identity must be 2 to 64 characters of [A-Za-z0-9+=,.@_-]",
                           "source_identity");
  }

  std::string form;
  AppendFormField(&form, "Action", "AssumeRole");
  AppendFormField(&form, "Version", "2011-06-15");
  AppendFormField(&form, "RoleArn", params.role_arn);
  AppendFormField(&form, "RoleSessionName", SanitizeRoleSessionName(params.role_session_name));
  AppendFormField(&form, "ExternalId", params.external_id);
  AppendFormField(&form, "DurationSeconds", std::to_string(params.duration.count()));
  if (!identity.empty()) {
    AppendFormField(&form, "SourceIdentity", identity);
    if (tag_session_with_user) {
      AppendFormField(&form, "Tags.member.1.Key", "custody-user");
      AppendFormField(&form, "Tags.member.1.Value", identity);
    }
  }
  return form;
}

Result<Credentials> ParseAssumeRoleResponse(std::string_view xml) {
  std::string_view result;
  if (FindElement(xml, "AssumeRoleResult", &result) != Lookup::kFound) {
    return Malformed("missing AssumeRoleResult");
  }
  std::string_view block;
  if (FindElement(result, "Credentials", &block) != Lookup::kFound) {
    return Malformed("missing Credentials");
  }
  Credentials credentials;
  CUSTODY_ASSIGN_OR_RETURN(credentials.access_key_id, RequiredText(block, "AccessKeyId"));
  CUSTODY_ASSIGN_OR_RETURN(std::string secret, RequiredText(block, "SecretAccessKey"));
  credentials.secret_access_key = Secret(std::move(secret));
  CUSTODY_ASSIGN_OR_RETURN(std::string token, RequiredText(block, "SessionToken"));
  credentials.session_token = Secret(std::move(token));
  CUSTODY_ASSIGN_OR_RETURN(const std::string expiration, RequiredText(block, "Expiration"));
  if (!ParseRfc3339(expiration, &credentials.expiration)) {
    return Malformed("invalid Expiration " + expiration);
  }
  return credentials;
}

Status StsErrorStatus(int http_status, std::string_view body) {
  std::string_view error = body;
  std::string_view inner;
  if (FindElement(body, "Error", &inner) == Lookup::kFound) {
    error = inner;
  }
  std::string code = OptionalText(error, "Code");
  const std::string message = OptionalText(error, "Message");
  if (code.empty()) {
    code = "unknown error";
  }
  std::string text = "AssumeRole failed with HTTP " + std::to_string(http_status) + " " + code;
  if (!message.empty()) {
    text += ": " + message;
  }
  if (http_status >= 500 || code == "Throttling" || code == "RequestLimitExceeded") {
    return Unavailable(text);
  }
  return UpstreamFailed(text);
}

StsClient::StsClient(HttpTransport& transport, Credentials service_credentials,
                     std::string sts_endpoint, std::string region, const Clock& clock,
                     StsOptions options)
    : transport_(transport),
      service_credentials_(std::move(service_credentials)),
      endpoint_(sts_endpoint.empty() ? "https://sts." + region + ".amazonaws.com"
                                     : std::move(sts_endpoint)),
      region_(std::move(region)),
      clock_(clock),
      options_(options) {}

Result<Credentials> StsClient::AssumeRole(const AssumeRoleParams& params) {
  CUSTODY_ASSIGN_OR_RETURN(std::string form,
                           BuildAssumeRoleForm(params, options_.tag_session_with_user));

  // The response carries the temporary secret key, so it never travels in clear text except
  // to a loopback test endpoint that the operator allowed.
  CUSTODY_ASSIGN_OR_RETURN(const Url url, ParseUrl(endpoint_));
  if (url.scheme != "https" && !(options_.allow_insecure_loopback && IsLoopbackHost(url.host))) {
    return FailedPrecondition("the STS endpoint " + url.Origin() + " must use https://");
  }

  sigv4::RequestToSign request;
  request.method = "POST";
  request.path = url.path;
  request.query = url.query;
  request.headers = {{"Host", url.HostHeader()}, {"Content-Type", std::string(kFormType)}};
  request.payload_hash = crypto::Sha256Hex(form);
  CUSTODY_RETURN_IF_ERROR(sigv4::SignWithHeaders(&request,
                                                 sigv4::SigningConfig::ForService(region_, "sts"),
                                                 service_credentials_, clock_.Now())
                              .status());

  HttpRequest http_request;
  http_request.method = "POST";
  http_request.url = endpoint_;
  http_request.headers = std::move(request.headers);
  http_request.body = std::move(form);
  Result<HttpResponse> response = transport_.Send(http_request);
  if (!response.ok()) {
    return response.status().WithContext("AssumeRole on " + params.role_arn);
  }
  if (response->status != 200) {
    return StsErrorStatus(response->status, response->body).WithContext("role " + params.role_arn);
  }
  Result<Credentials> credentials = ParseAssumeRoleResponse(response->body);
  // The body holds the temporary secret key in clear text.
  std::fill(response->body.begin(), response->body.end(), '\0');
  return credentials;
}

}  // namespace custody::aws
