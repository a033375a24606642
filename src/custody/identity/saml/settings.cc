#include "custody/identity/saml/settings.h"

#include "custody/authz/authorize.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"
#include "custody/crypto/random.h"
#include "custody/identity/saml/xml_util.h"

namespace custody::identity::saml {
namespace {

constexpr size_t kBrowserSecretLength = 43;
constexpr size_t kMaxEntityIdLength = 1024;
constexpr size_t kMaxCertificateLength = 16384;
constexpr size_t kMaxAttributeNameLength = 256;

std::string JoinLines(const std::vector<std::string>& values) {
  std::string joined;
  for (const std::string& value : values) {
    joined += value;
    joined += '\n';
  }
  return joined;
}

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = text.find('\n', begin);
    lines.emplace_back(text.substr(begin, end - begin));
    if (end == std::string_view::npos) {
      break;
    }
    begin = end + 1;
  }
  return lines;
}

std::string SecretHash(std::string_view secret) {
  const crypto::Sha256Digest digest = crypto::Sha256(secret);
  return std::string(digest.begin(), digest.end());
}

bool IsLoopbackHttp(std::string_view url) {
  return url.starts_with("http://127.0.0.1:") || url.starts_with("http://127.0.0.1/") ||
         url.starts_with("http://localhost:") || url.starts_with("http://localhost/");
}

}  // namespace

std::vector<std::string> DefaultEmailAttributes() {
  return {"email", "mail", "urn:oid:0.9.2342.19200300.100.1.3",
          "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"};
}

std::vector<std::string> DefaultDisplayNameAttributes() {
  return {"displayName", "urn:oid:2.16.840.1.113730.3.1.241",
          "http://schemas.microsoft.com/identity/claims/displayname",
          "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"};
}

Status CheckSamlSettings(const SamlSettings& settings) {
  if (settings.idp_entity_id.empty() || settings.idp_entity_id.size() > kMaxEntityIdLength) {
    return InvalidArgument("idp_entity_id must be 1 to 1024 characters", "/idp_entity_id");
  }
  const std::string& url = settings.idp_sso_url;
  if (url.size() > kMaxEntityIdLength || !(url.starts_with("https://") || IsLoopbackHttp(url))) {
    return InvalidArgument("idp_sso_url must be an https URL (http only for loopback)",
                           "/idp_sso_url");
  }
  if (settings.idp_certificates.empty() || settings.idp_certificates.size() > kMaxCertificates) {
    return InvalidArgument("idp_certificates must list 1 to 4 certificates", "/idp_certificates");
  }
  for (const std::string& certificate : settings.idp_certificates) {
    const std::string base64 = CertificateBase64(certificate);
    if (base64.empty() || base64.size() > kMaxCertificateLength ||
        !crypto::Base64Decode(base64).has_value()) {
      return InvalidArgument("each certificate must be base64 DER or PEM", "/idp_certificates");
    }
  }
  if (settings.email_attribute.size() > kMaxAttributeNameLength) {
    return InvalidArgument("email_attribute is longer than 256 characters",
                           "/attribute_mapping/email");
  }
  if (settings.display_name_attribute.size() > kMaxAttributeNameLength) {
    return InvalidArgument("display_name_attribute is longer than 256 characters",
                           "/attribute_mapping/display_name");
  }
  return Status::Ok();
}

Result<SamlSettings> GetSamlSettings(store::Transaction& tx, std::string_view organization_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT idp_entity_id, idp_sso_url, idp_certificates, email_attribute, "
                  "display_name_attribute, allow_idp_initiated, allow_sha1, updated_at, "
                  "updated_by FROM saml_settings WHERE organization_id = ?",
                  {organization_id}));
  if (!row.has_value()) {
    return authz::NotFoundError();
  }
  SamlSettings settings;
  settings.organization_id = std::string(organization_id);
  settings.idp_entity_id = row->Text(0);
  settings.idp_sso_url = row->Text(1);
  settings.idp_certificates = SplitLines(row->Text(2));
  settings.email_attribute = row->Text(3);
  settings.display_name_attribute = row->Text(4);
  settings.allow_idp_initiated = row->Int64(5) != 0;
  settings.allow_sha1 = row->Int64(6) != 0;
  settings.updated_at = row->Time(7);
  settings.updated_by = row->Text(8);
  return settings;
}

Status PutSamlSettings(store::Transaction& tx, const Clock& clock, const SamlSettings& settings) {
  CUSTODY_RETURN_IF_ERROR(CheckSamlSettings(settings));
  std::vector<std::string> certificates;
  for (const std::string& certificate : settings.idp_certificates) {
    certificates.push_back(CertificateBase64(certificate));
  }
  return tx
      .Execute(
          "INSERT INTO saml_settings (organization_id, idp_entity_id, idp_sso_url, "
          "idp_certificates, email_attribute, display_name_attribute, allow_idp_initiated, "
          "allow_sha1, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
          "ON CONFLICT (organization_id) DO UPDATE SET idp_entity_id = excluded.idp_entity_id, "
          "idp_sso_url = excluded.idp_sso_url, idp_certificates = excluded.idp_certificates, "
          "email_attribute = excluded.email_attribute, "
          "display_name_attribute = excluded.display_name_attribute, "
          "allow_idp_initiated = excluded.allow_idp_initiated, "
          "allow_sha1 = excluded.allow_sha1, updated_at = excluded.updated_at, "
          "updated_by = excluded.updated_by",
          {settings.organization_id, settings.idp_entity_id, settings.idp_sso_url,
           JoinLines(certificates), settings.email_attribute, settings.display_name_attribute,
           settings.allow_idp_initiated ? 1 : 0, settings.allow_sha1 ? 1 : 0,
           store::ToUnixMicros(clock.Now()), settings.updated_by})
      .status();
}

Status DeleteSamlSettings(store::Transaction& tx, std::string_view organization_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      const int64_t deleted,
      tx.Execute("DELETE FROM saml_settings WHERE organization_id = ?", {organization_id}));
  if (deleted == 0) {
    return authz::NotFoundError();
  }
  return Status::Ok();
}

Result<Secret> SavePendingRequest(store::Transaction& tx, const Clock& clock,
                                  std::string_view organization_id, std::string_view request_id,
                                  std::string_view return_to) {
  Secret secret(crypto::RandomAlphanumeric(kBrowserSecretLength));
  const SystemTime now = clock.Now();
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO saml_requests (browser_secret_hash, organization_id, request_id, "
                 "return_to, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                 {store::Blob{SecretHash(secret.Reveal())}, organization_id, request_id, return_to,
                  store::ToUnixMicros(now), store::ToUnixMicros(now + kRequestLifetime)})
          .status());
  return secret;
}

Result<PendingRequest> TakePendingRequest(store::Transaction& tx, const Clock& clock,
                                          std::string_view organization_id,
                                          std::string_view browser_secret) {
  if (browser_secret.empty()) {
    return PendingRequest{};
  }
  const store::Blob hash{SecretHash(browser_secret)};
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT request_id, return_to, expires_at FROM saml_requests "
                  "WHERE browser_secret_hash = ? AND organization_id = ?",
                  {hash, organization_id}));
  if (!row.has_value()) {
    return PendingRequest{};
  }
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("DELETE FROM saml_requests WHERE browser_secret_hash = ?", {hash}).status());
  if (row->Time(2) <= clock.Now()) {
    return PendingRequest{};
  }
  return PendingRequest{row->Text(0), row->Text(1)};
}

Status RecordAssertionUse(store::Transaction& tx, const Clock& clock,
                          std::string_view organization_id, std::string_view issuer,
                          std::string_view assertion_id, SystemTime expires_at) {
  const int64_t now = store::ToUnixMicros(clock.Now());
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("DELETE FROM saml_replay_cache WHERE expires_at <= ?", {now}).status());
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("DELETE FROM saml_requests WHERE expires_at <= ?", {now}).status());
  const Result<int64_t> inserted = tx.Execute(
      "INSERT INTO saml_replay_cache (organization_id, issuer, assertion_id, expires_at) "
      "VALUES (?, ?, ?, ?)",
      {organization_id, issuer, assertion_id, store::ToUnixMicros(expires_at)});
  if (!inserted.ok() && inserted.status().code() == ErrorCode::kConflict) {
    return Conflict("the assertion was already used");
  }
  return inserted.status();
}

}  // namespace custody::identity::saml
