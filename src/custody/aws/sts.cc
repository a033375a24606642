#include "custody/aws/sts.h"

#include <algorithm>

#include "custody/aws/sigv4.h"
#include "custody/aws/xml.h"
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

Status Malformed(std::string_view problem) {
  return UpstreamFailed("malformed AssumeRole response: " + std::string(problem));
}

// The decoded text of a leaf element that must be present.
Result<std::string> RequiredText(std::string_view document, std::string_view name) {
  std::string_view content;
  const xml::Lookup lookup = xml::FindElement(document, name, &content);
  if (lookup == xml::Lookup::kMissing) {
    return Malformed("missing " + std::string(name));
  }
  std::string text;
  if (lookup == xml::Lookup::kMalformed || !xml::DecodeText(content, &text)) {
    return Malformed("invalid " + std::string(name));
  }
  if (text.empty()) {
    return Malformed("empty " + std::string(name));
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

Result<Credentials> ParseAssumeRoleResponse(std::string_view body) {
  std::string_view result;
  if (xml::FindElement(body, "AssumeRoleResult", &result) != xml::Lookup::kFound) {
    return Malformed("missing AssumeRoleResult");
  }
  std::string_view block;
  if (xml::FindElement(result, "Credentials", &block) != xml::Lookup::kFound) {
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
  if (xml::FindElement(body, "Error", &inner) == xml::Lookup::kFound) {
    error = inner;
  }
  std::string code = xml::TextOrEmpty(error, "Code", kMaxErrorMessage);
  const std::string message = xml::TextOrEmpty(error, "Message", kMaxErrorMessage);
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
  // The body contains the temporary secret key in clear text.
  std::fill(response->body.begin(), response->body.end(), '\0');
  return credentials;
}

}  // namespace custody::aws
