#include "custody/cli/app.h"

#include <sstream>
#include <thread>
#include <utility>

#include <CLI/CLI.hpp>

#include "custody/aws/http_transport.h"
#include "custody/cli/api_client.h"
#include "custody/cli/media_type.h"
#include "custody/cli/resume.h"

namespace custody::cli {
namespace {

constexpr std::string_view kUserAgent = "custody-cli/0.1.0";

constexpr char kDescription[] =
    "custody: the Custody command-line client. Evidence files go straight between this machine "
    "and your organization's S3 bucket through short-lived presigned URLs; the Custody server "
    "only authorizes and records.";

constexpr char kFooter[] = R"(Configuration:
  Server URL: --server, else the environment variable CUSTODY_SERVER, else `server` in
    $XDG_CONFIG_HOME/custody/config.toml (default ~/.config/custody/config.toml).
    https:// is required; http:// is accepted only for a loopback address.
  API token: ONLY the environment variable CUSTODY_TOKEN. There is no flag and no config key
    for it, so the token stays out of shell history, process listings and dotfiles. Without
    it, the sign-in of `custody login` is used ($XDG_CONFIG_HOME/custody/credentials.json,
    mode 0600); `custody logout` ends it.
  Extra trusted CA certificates (PEM): CUSTODY_CA_FILE, else `ca_file` in config.toml.
  Interrupted uploads are queued in $XDG_STATE_HOME/custody/queue
    (default ~/.local/state/custody/queue); `custody resume` finishes them.

Exit codes:
  0  success
  1  any other failure: network, S3, checksum mismatch, conflict, server error
  2  usage: invalid arguments, configuration or values (also a 400 from the server)
  3  authentication or permission: CUSTODY_TOKEN missing, invalid or revoked (401), or a role
     that does not allow the action (403)
  4  not found: no such resource in your scope (404), or no such local file
  5  audit verify or monitor: the audit trail failed verification)";

// Identifiers are opaque, but they become URL path segments, so only [A-Za-z0-9_-] passes.
CLI::Validator IdValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (IsPathSafeId(value)) {
          return {};
        }
        return "\"" + value + "\" is not a Custody identifier (letters, digits, '_' and '-')";
      },
      "ID");
}

std::string FailureMessage(const CLI::App* /*app*/, const CLI::Error& error) {
  return "error: " + std::string(error.what()) + "\nRun with --help for more information.\n";
}

void AddUploadCommand(CLI::App& app, Arguments& arguments) {
  CLI::App* upload = app.add_subcommand(
      "upload",
      "Upload FILE straight to S3 as a new version of an evidence item; prints the evidence "
      "and version ids and the version's status");
  UploadOptions& options = arguments.upload;
  upload->add_option("FILE", options.file, "The file to upload (1 byte to 5 GiB)")->required();
  upload
      ->add_option("--entity", options.entity_id,
                   "Entity (ent_...) of the evidence item; required unless --evidence is given, "
                   "and checked against it when both are")
      ->check(IdValidator());
  upload
      ->add_option("--evidence", options.evidence_id,
                   "Existing evidence item (evd_...) to add the version to; without it, a new "
                   "item is created in --entity")
      ->check(IdValidator());
  upload->add_option("--title", options.title,
                     "Title of the new evidence item (default: the file name)");
  upload->add_option("--media-type", options.media_type,
                     "Media type such as application/pdf (default: guessed from the file "
                     "extension, else application/octet-stream)");
  upload->callback([&arguments] { arguments.command = Command::kUpload; });
}

void AddDownloadCommand(CLI::App& app, Arguments& arguments) {
  CLI::App* download = app.add_subcommand(
      "download",
      "Download a stored version, verified against its SHA-256; prints \"<sha256>  <path>\" "
      "as sha256sum does");
  DownloadOptions& options = arguments.download;
  download->add_option("EVIDENCE_ID", options.evidence_id, "Evidence item (evd_...)")
      ->required()
      ->check(IdValidator());
  download
      ->add_option("--version", options.version_id,
                   "Version (ver_...) to download (default: the newest stored version)")
      ->check(IdValidator());
  download->add_option("-o,--output", options.output,
                       "File to write, or a directory to write the version's file name into "
                       "(default: the version's file name in the current directory)");
  download->add_flag("-f,--force", options.force, "Replace the output file if it exists");
  download->callback([&arguments] { arguments.command = Command::kDownload; });
}

void AddListCommand(CLI::App& app, Arguments& arguments) {
  CLI::App* list = app.add_subcommand(
      "ls", "List entities in scope, evidence items (--entity) or versions (--evidence)");
  ListOptions& options = arguments.list;
  CLI::Option* entity =
      list->add_option("--entity", options.entity_id, "List the evidence items of this entity")
          ->check(IdValidator());
  list->add_option("--evidence", options.evidence_id, "List the versions of this evidence item")
      ->check(IdValidator())
      ->excludes(entity);
  list->add_flag("--json", options.json,
                 "Print a JSON array of the objects as the server returned them");
  list->callback([&arguments] { arguments.command = Command::kList; });
}

void AddResumeCommand(CLI::App& app, Arguments& arguments) {
  CLI::App* resume = app.add_subcommand(
      "resume",
      "Finish queued uploads that S3 or the network interrupted, with exponential backoff "
      "(2 s, doubling, at most 60 s between attempts)");
  ResumeOptions& options = arguments.resume;
  resume
      ->add_option("--max-attempts", options.max_attempts, "Attempts per queued upload (default 5)")
      ->check(CLI::Range(1, 20));
  CLI::Option* list = resume->add_flag("--list", options.list, "Only list the queued uploads");
  resume
      ->add_option("--drop", options.drop,
                   "Remove the queued upload of this version (ver_...) without uploading it")
      ->check(IdValidator())
      ->excludes(list);
  resume->callback([&arguments] { arguments.command = Command::kResume; });
}

void AddAuditExportCommand(CLI::App& audit, Arguments& arguments) {
  CLI::App* command = audit.add_subcommand(
      "export",
      "Write your organization's audit trail up to its latest signed checkpoint, with every "
      "checkpoint and the verifier keys, to one JSON file (needs the admin role)");
  command->add_option("--out", arguments.audit_export.out, "The export file to write")->required();
  command->callback([&arguments] { arguments.command = Command::kAuditExport; });
}

void AddAuditVerifyCommand(CLI::App& audit, Arguments& arguments) {
  CLI::App* command = audit.add_subcommand(
      "verify",
      "Verify an export offline, or the live trail with --server: signatures, every record, "
      "contiguity and every checkpoint's root; names the first bad record");
  AuditVerifyOptions& options = arguments.audit_verify;
  CLI::Option* file = command->add_option("FILE", options.file, "The export file to verify");
  CLI::Option* live =
      command
          ->add_option("--server", options.live_server_url,
                       "Fetch the trail from the Custody server (URL as the global --server; "
                       "without one, the configured server) instead of reading FILE")
          ->expected(0, 1)
          ->excludes(file);
  command
      ->add_option("--key", options.keys,
                   "A trusted verifier key, <name>+<8 hex digits>+<base64>; repeat for "
                   "several keys")
      ->required();
  command->add_option("--pinned", options.pinned,
                      "A signed checkpoint or an earlier export that the trail must extend");
  command->add_option("--origin", options.origin,
                      "The log to expect, <host>/audit/<organization id> (default: the pinned "
                      "checkpoint's, else the export's own)");
  command->callback([&arguments, live] {
    arguments.command = Command::kAuditVerify;
    arguments.audit_verify.live = live->count() > 0;
    if (!arguments.audit_verify.live_server_url.empty()) {
      arguments.server = arguments.audit_verify.live_server_url;
    }
    if (!arguments.audit_verify.live && arguments.audit_verify.file.empty()) {
      throw CLI::ValidationError("audit verify", "needs FILE or --server");
    }
  });
}

void AddAuditMonitorCommand(CLI::App& audit, Arguments& arguments) {
  CLI::App* command = audit.add_subcommand(
      "monitor",
      "Follow the server's signed checkpoints and stop with exit code 5 when one is not "
      "consistent with the last one seen (saved in --state)");
  AuditMonitorOptions& options = arguments.audit_monitor;
  command
      ->add_option("--state", options.state,
                   "File holding the last verified checkpoint; created on the first run")
      ->required();
  command->add_option("--key", options.keys, "A trusted verifier key; repeat for several keys")
      ->required();
  command->add_option("--origin", options.origin,
                      "The log to expect (default: the state file's, else the server's)");
  command
      ->add_option("--interval", options.interval_seconds, "Seconds between checks (default 300)")
      ->check(CLI::Range(1, 86400));
  command->add_flag("--once", options.once, "Check once and exit");
  command->callback([&arguments] { arguments.command = Command::kAuditMonitor; });
}

void AddLoginCommands(CLI::App& app, Arguments& arguments) {
  CLI::App* login = app.add_subcommand(
      "login", "Sign in through your organization's identity provider in the browser");
  login->add_option("--org", arguments.login.organization_id, "Your organization's id (org_...)")
      ->required()
      ->check(IdValidator());
  login->add_flag_callback(
      "--no-browser", [&arguments] { arguments.login.open_browser = false; },
      "Only print the sign-in URL; do not try to open a browser");
  login->callback([&arguments] { arguments.command = Command::kLogin; });
  CLI::App* logout =
      app.add_subcommand("logout", "End the sign-in of custody login and delete its credential");
  logout->callback([&arguments] { arguments.command = Command::kLogout; });
}

void AddAuditCommand(CLI::App& app, Arguments& arguments) {
  CLI::App* audit = app.add_subcommand(
      "audit", "Export, verify and monitor your organization's tamper-evident audit trail");
  audit->require_subcommand(1);
  AddAuditExportCommand(*audit, arguments);
  AddAuditVerifyCommand(*audit, arguments);
  AddAuditMonitorCommand(*audit, arguments);
}

std::unique_ptr<CLI::App> BuildApp(Arguments& arguments) {
  auto app = std::make_unique<CLI::App>(kDescription, "custody");
  app->footer(kFooter);
  app->failure_message(FailureMessage);
  app->require_subcommand(1);
  app->fallthrough();
  app->add_option("--server", arguments.server,
                  "Custody server URL (overrides CUSTODY_SERVER and the config file)");
  AddUploadCommand(*app, arguments);
  AddDownloadCommand(*app, arguments);
  AddListCommand(*app, arguments);
  AddResumeCommand(*app, arguments);
  AddAuditCommand(*app, arguments);
  AddLoginCommands(*app, arguments);
  return app;
}

Status CheckArguments(const Arguments& arguments) {
  if (arguments.command == Command::kUpload && arguments.upload.entity_id.empty() &&
      arguments.upload.evidence_id.empty()) {
    return InvalidArgument(
        "upload needs --entity ENT_ID (or --evidence EVD_ID of an existing item)", "--entity");
  }
  if (arguments.command == Command::kUpload && !arguments.upload.media_type.empty() &&
      !IsValidMediaType(arguments.upload.media_type)) {
    return InvalidArgument(
        "--media-type must be a type/subtype without parameters, such as "
        "application/pdf",
        "--media-type");
  }
  return Status::Ok();
}

// CUSTODY_TOKEN when set, else an access token from the stored sign-in of `custody login` for
// the same server.
Result<Secret> ResolveCredential(aws::HttpTransport& transport, const std::string& server_url,
                                 const EnvironmentLookup& environment) {
  if (environment(kTokenVariable).has_value()) {
    return ResolveToken(environment);
  }
  CUSTODY_ASSIGN_OR_RETURN(const std::filesystem::path path, CredentialFilePath(environment));
  CUSTODY_ASSIGN_OR_RETURN(const std::optional<StoredCredential> stored, LoadCredential(path));
  if (!stored.has_value() || stored->server != server_url) {
    return ResolveToken(environment);  // the error that explains CUSTODY_TOKEN
  }
  return AccessTokenFromCredential(transport, *stored);
}

// Runs custody login or logout, which need the server URL but no token.
Status RunSignInCommand(const Arguments& arguments, const EnvironmentLookup& environment,
                        std::ostream& err) {
  CUSTODY_ASSIGN_OR_RETURN(const std::filesystem::path config_path, ConfigFilePath(environment));
  CUSTODY_ASSIGN_OR_RETURN(const ConfigFile config_file, LoadConfigFile(config_path));
  CUSTODY_ASSIGN_OR_RETURN(const std::filesystem::path credential_path,
                           CredentialFilePath(environment));
  aws::TransportOptions options;
  options.ca_file = ResolveCaFile(environment, config_file);
  options.user_agent = std::string(kUserAgent);
  const std::unique_ptr<aws::HttpTransport> transport = aws::MakeBeastTransport(options);
  if (arguments.command == Command::kLogout) {
    return RunLogout(*transport, credential_path, err);
  }
  CUSTODY_ASSIGN_OR_RETURN(const ResolvedServer server,
                           ResolveServer(arguments.server, environment, config_file));
  return RunLogin(*transport, server.url, arguments.login, credential_path, err);
}

struct Clients {
  std::unique_ptr<aws::HttpTransport> api_transport;
  std::unique_ptr<aws::HttpTransport> s3_transport;
  std::unique_ptr<ApiClient> api;
};

Result<Clients> ConnectClients(const Arguments& arguments, const EnvironmentLookup& environment) {
  CUSTODY_ASSIGN_OR_RETURN(const std::filesystem::path config_path, ConfigFilePath(environment));
  CUSTODY_ASSIGN_OR_RETURN(const ConfigFile config_file, LoadConfigFile(config_path));
  CUSTODY_ASSIGN_OR_RETURN(ResolvedServer server,
                           ResolveServer(arguments.server, environment, config_file));
  aws::TransportOptions api_options;
  api_options.ca_file = ResolveCaFile(environment, config_file);
  api_options.user_agent = std::string(kUserAgent);
  // S3 may take a while to respond to the last write of a large object, so transfers get more
  // time for each read and write than API calls.
  aws::TransportOptions s3_options = api_options;
  s3_options.io_timeout = std::chrono::seconds(120);

  Clients clients;
  clients.api_transport = aws::MakeBeastTransport(api_options);
  clients.s3_transport = aws::MakeBeastTransport(s3_options);
  CUSTODY_ASSIGN_OR_RETURN(Secret token,
                           ResolveCredential(*clients.api_transport, server.url, environment));
  clients.api =
      std::make_unique<ApiClient>(*clients.api_transport, std::move(server.url), std::move(token));
  return clients;
}

Status RunCommand(const Arguments& arguments, CommandContext& context) {
  switch (arguments.command) {
    case Command::kUpload:
      return RunUpload(context, arguments.upload);
    case Command::kDownload:
      return RunDownload(context, arguments.download);
    case Command::kList:
      return RunList(context, arguments.list);
    case Command::kResume:
      return RunResume(context, arguments.resume);
    case Command::kAuditExport:
      return RunAuditExport(context, arguments.audit_export);
    case Command::kAuditVerify:
    case Command::kAuditMonitor:
      return Internal("audit verify and monitor run through FinishVerification");
    case Command::kLogin:
    case Command::kLogout:
      return Internal("login and logout run through RunSignInCommand");
  }
  return Internal("unknown command");
}

// Prints the error, if any, and returns the exit code for `status`.
int Finish(const Status& status, std::ostream& out, std::ostream& err) {
  out.flush();
  if (!status.ok()) {
    err << FormatError(status) << "\n";
  }
  return ExitCodeFor(status);
}

// Like Finish, but for a command that returns whether the audit trail verified.
int FinishVerification(const Result<bool>& verified, std::ostream& out, std::ostream& err) {
  if (!verified.ok()) {
    return Finish(verified.status(), out, err);
  }
  out.flush();
  return *verified ? kExitOk : kExitVerifyFailed;
}

}  // namespace

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kOk:
      return kExitOk;
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
      return kExitAuth;
    case ErrorCode::kNotFound:
      return kExitNotFound;
    default:
      return kExitFailure;
  }
}

std::string FormatError(const Status& status) {
  std::string text = "error: " + status.message();
  if (!status.field().empty()) {
    text += " (" + status.field() + ")";
  }
  return text;
}

ParseResult ParseArguments(int argc, const char* const* argv) {
  ParseResult result;
  Arguments arguments;
  std::unique_ptr<CLI::App> app = BuildApp(arguments);
  try {
    app->parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    std::ostringstream out;
    std::ostringstream err;
    const int code = app->exit(error, out, err);
    result.output = out.str();
    result.error = err.str();
    result.exit_code = code == 0 ? kExitOk : kExitUsage;
    return result;
  }
  if (const Status status = CheckArguments(arguments); !status.ok()) {
    result.error = FormatError(status) + "\nRun with --help for more information.\n";
    result.exit_code = kExitUsage;
    return result;
  }
  result.arguments = std::move(arguments);
  return result;
}

int Main(int argc, const char* const* argv, const EnvironmentLookup& environment, std::ostream& out,
         std::ostream& err, bool interactive) {
  ParseResult parsed = ParseArguments(argc, argv);
  out << parsed.output;
  err << parsed.error;
  if (!parsed.arguments) {
    return parsed.exit_code;
  }
  const Arguments& arguments = *parsed.arguments;

  Result<std::filesystem::path> queue_directory = QueueDirectory(environment);
  if (!queue_directory.ok()) {
    return Finish(queue_directory.status(), out, err);
  }
  ResumeQueue queue(*queue_directory);

  // Listing or dropping queued uploads needs neither the server nor the token.
  if (arguments.command == Command::kResume && arguments.resume.list) {
    return Finish(PrintResumeQueue(queue, out), out, err);
  }
  if (arguments.command == Command::kResume && !arguments.resume.drop.empty()) {
    return Finish(DropQueuedUpload(queue, arguments.resume.drop, err), out, err);
  }

  // Verifying an export file is offline: no server, no token.
  if (arguments.command == Command::kAuditVerify && !arguments.audit_verify.live) {
    return FinishVerification(RunAuditVerify(out, err, nullptr, arguments.audit_verify), out, err);
  }

  if (arguments.command == Command::kLogin || arguments.command == Command::kLogout) {
    return Finish(RunSignInCommand(arguments, environment, err), out, err);
  }

  Result<Clients> clients = ConnectClients(arguments, environment);
  if (!clients.ok()) {
    return Finish(clients.status(), out, err);
  }
  CommandContext context{*clients->api,
                         *clients->s3_transport,
                         out,
                         err,
                         interactive,
                         std::move(queue),
                         SystemClock::Instance(),
                         [](std::chrono::milliseconds delay) {
                           std::this_thread::sleep_for(delay);
                         }};
  if (arguments.command == Command::kAuditVerify) {
    return FinishVerification(RunAuditVerify(out, err, clients->api.get(), arguments.audit_verify),
                              out, err);
  }
  if (arguments.command == Command::kAuditMonitor) {
    return FinishVerification(RunAuditMonitor(context, arguments.audit_monitor), out, err);
  }
  return Finish(RunCommand(arguments, context), out, err);
}

}  // namespace custody::cli
