// custodyd: the Custody control-plane server.
#include <string>

#include <CLI/CLI.hpp>

#include "custody/common/log.h"
#include "custody/server/app.h"
#include "custody/server/audit_commands.h"
#include "custody/server/audit_worm.h"
#include "custody/server/config.h"
#include "custody/server/init.h"

int main(int argc, char** argv) {
  using custody::server::Config;

  CLI::App cli("custodyd: the Custody control-plane server", "custodyd");
  std::string config_path;
  cli.add_option("--config", config_path, "Path of the TOML configuration file")->required();
  cli.require_subcommand(1);

  CLI::App* serve = cli.add_subcommand(
      "serve", "Run the server until SIGTERM or SIGINT, then finish requests in flight and exit");

  custody::server::InitOptions init_options;
  CLI::App* init = cli.add_subcommand(
      "init", "Create an organization, its root entity, its first admin and an API token");
  init->add_option("--org", init_options.organization_name, "Organization name")->required();
  init->add_option("--admin-email", init_options.admin_email, "E-mail address of the admin")
      ->required();
  init->add_option("--admin-name", init_options.admin_name, "Display name of the admin");

  CLI::App* audit = cli.add_subcommand("audit", "Manage the audit log");
  audit->require_subcommand(1);
  std::string keygen_out;
  CLI::App* keygen = audit->add_subcommand(
      "keygen",
      "Create an Ed25519 checkpoint signing key file (mode 0600) and print its verifier key");
  keygen->add_option("--out", keygen_out, "Path of the new key file; an existing file is kept")
      ->required();
  CLI::App* purge = audit->add_subcommand(
      "purge", "Purge the payloads of audit records whose retention has ended, then exit");
  CLI::App* reconcile = audit->add_subcommand(
      "reconcile",
      "Read back every object of the WORM export ([audit.worm]) and compare it with the "
      "database; exit 1 when one is missing, altered or different");

  CLI11_PARSE(cli, argc, argv);

  custody::Result<Config> config = custody::server::LoadConfigFile(config_path);
  if (!config.ok()) {
    custody::log::Error("invalid configuration",
                        {{"error", config.status().message()}, {"key", config.status().field()}});
    return 2;
  }
  custody::log::Init(config->log.level);

  if (serve->parsed()) {
    return custody::server::RunServe(*config);
  }
  if (init->parsed()) {
    if (!custody::server::EnsureAuditSigningKey(*config)) {
      return 1;
    }
    return custody::server::RunInit(*config, init_options);
  }
  if (keygen->parsed()) {
    return custody::server::RunAuditKeygen(*config, keygen_out);
  }
  if (purge->parsed()) {
    return custody::server::RunAuditPurge(*config);
  }
  if (reconcile->parsed()) {
    return custody::server::RunAuditReconcile(*config);
  }
  return 2;
}
