#include "custody/server/audit_commands.h"

#include <sys/stat.h>

#include <cerrno>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "custody/audit/checkpoint_signer.h"
#include "custody/audit/retention.h"
#include "custody/audit/signing_key.h"
#include "custody/common/log.h"
#include "custody/store/database.h"

namespace custody::server {

std::string AuditOriginHost(const Config& config) {
  return config.audit.origin_host.empty() ? std::string("custody.local") : config.audit.origin_host;
}

int RunAuditKeygen(const Config& config, const std::string& out) {
  Result<audit::NoteSigner> signer =
      audit::GenerateSigningKeyFile(out, audit::SigningKeyName(AuditOriginHost(config)));
  if (!signer.ok()) {
    log::Error("custodyd audit keygen failed",
               {{"path", out}, {"error", signer.status().ToString()}});
    return 1;
  }
  nlohmann::ordered_json output;
  output["signing_key_file"] = out;
  output["verifier_key"] = signer->Verifier().VerifierKey();
  std::cout << output.dump() << std::endl;
  log::Info("custodyd audit keygen created a signing key",
            {{"path", out}, {"key_name", signer->name()}});
  return 0;
}

bool EnsureAuditSigningKey(const Config& config) {
  const std::string& path = config.audit.signing_key_file;
  if (path.empty()) {
    return true;
  }

  struct stat info {};

  if (::stat(path.c_str(), &info) == 0) {
    return true;
  }
  if (errno != ENOENT) {
    log::Error("cannot check the audit signing key file", {{"path", path}});
    return false;
  }
  return RunAuditKeygen(config, path) == 0;
}

int RunAuditPurge(const Config& config) {
  Result<std::unique_ptr<store::Database>> database = store::Database::Open(config.database.path);
  if (!database.ok()) {
    log::Error("custodyd audit purge cannot open the database",
               {{"path", config.database.path}, {"error", database.status().ToString()}});
    return 1;
  }
  Result<audit::PurgeSummary> purged =
      audit::PurgeExpiredRecords(**database, SystemClock::Instance());
  if (!purged.ok()) {
    log::Error("custodyd audit purge failed", {{"error", purged.status().ToString()}});
    return 1;
  }
  nlohmann::ordered_json output;
  output["records"] = purged->records;
  output["logs"] = purged->logs;
  std::cout << output.dump() << std::endl;
  return 0;
}

}  // namespace custody::server
