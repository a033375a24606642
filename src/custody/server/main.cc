// custodyd: the Custody control-plane server.
#include <string>

#include <CLI/CLI.hpp>

#include "custody/common/log.h"
#include "custody/server/app.h"
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
    return custody::server::RunInit(*config, init_options);
  }
  return 2;
}
