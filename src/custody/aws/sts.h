// STS AssumeRole: how Custody gets short-lived credentials for a customer's role. The request
// always carries the organization's ExternalId; a call without one is rejected before anything
// is sent.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "custody/aws/credentials.h"
#include "custody/aws/http_transport.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"

namespace custody::aws {

struct AssumeRoleParams {
  std::string role_arn;
  std::string external_id;  // mandatory
  // Names the organization in the customer's CloudTrail ("custody-org_..."); characters
  // outside [\w+=,.@-] become '-', and it is cut to 64 characters.
  std::string role_session_name;
  // The acting user's id, sent as SourceIdentity and as the session tag "custody-user" so
  // CloudTrail attributes each S3 access to a person. Empty: neither is sent.
  std::string source_identity;
  std::chrono::seconds duration{3600};  // 900 to 43200; Ceph RGW allows at most 3600
};

struct StsOptions {
  // Allows an http:// STS endpoint on a loopback address (tests against a local store).
  bool allow_insecure_loopback = false;
  // Whether to send the user as the session tag custody-user. On AWS the role's trust policy
  // must then allow sts:TagSession, as it must allow sts:SetSourceIdentity for SourceIdentity.
  bool tag_session_with_user = true;
};

// Replaces characters outside [\w+=,.@-] with '-' and cuts to 64 characters; pads to STS's
// minimum of 2 with '-'.
std::string SanitizeRoleSessionName(std::string_view name);

// Returns the form body of an AssumeRole call, after checking the parameters.
Result<std::string> BuildAssumeRoleForm(const AssumeRoleParams& params, bool tag_session_with_user);

// Parses a successful AssumeRole response. Every credential field must be present once.
Result<Credentials> ParseAssumeRoleResponse(std::string_view body);

// Maps an error response (AWS's <ErrorResponse> or Ceph RGW's S3-style <Error>) to a Status:
// 5xx and throttling are kUnavailable, other errors kUpstreamFailed with AWS's code.
Status StsErrorStatus(int http_status, std::string_view body);

class StsClient {
 public:
  // `sts_endpoint` empty: https://sts.REGION.amazonaws.com. `service_credentials` are the
  // service's own, used only to sign AssumeRole.
  StsClient(HttpTransport& transport, Credentials service_credentials, std::string sts_endpoint,
            std::string region, const Clock& clock, StsOptions options = {});

  Result<Credentials> AssumeRole(const AssumeRoleParams& params);

 private:
  HttpTransport& transport_;
  Credentials service_credentials_;
  std::string endpoint_;
  std::string region_;
  const Clock& clock_;
  StsOptions options_;
};

}  // namespace custody::aws
