// The custody command line: argument parsing, configuration, exit codes and dispatch.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "custody/cli/audit.h"
#include "custody/cli/commands.h"
#include "custody/cli/config.h"
#include "custody/cli/login.h"
#include "custody/common/status.h"

namespace custody::cli {

// Process exit codes, listed in --help and docs/cli.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // network, S3, checksum, conflict, anything else
inline constexpr int kExitUsage = 2;     // invalid arguments, configuration or values
inline constexpr int kExitAuth = 3;      // token missing, invalid or revoked; role too low
inline constexpr int kExitNotFound = 4;  // no such resource in scope, or no such local file
// The audit trail failed verification, or the monitor saw an inconsistent checkpoint.
inline constexpr int kExitVerifyFailed = 5;

// kInvalidArgument: 2; kUnauthenticated and kPermissionDenied: 3; kNotFound: 4; others: 1.
int ExitCodeFor(const Status& status);

// "error: <message> (<field>)", or without the parenthesis when the status has no field.
std::string FormatError(const Status& status);

enum class Command {
  kUpload,
  kDownload,
  kList,
  kResume,
  kAuditExport,
  kAuditVerify,
  kAuditMonitor,
  kLogin,
  kLogout,
};

struct Arguments {
  Command command = Command::kList;
  std::optional<std::string> server;  // --server
  UploadOptions upload;
  DownloadOptions download;
  ListOptions list;
  ResumeOptions resume;
  AuditExportOptions audit_export;
  AuditVerifyOptions audit_verify;
  AuditMonitorOptions audit_monitor;
  LoginOptions login;
};

struct ParseResult {
  std::optional<Arguments> arguments;  // set when a command is to run
  int exit_code = kExitOk;             // otherwise: 0 after --help, kExitUsage after an error
  std::string output;                  // help text, for standard output
  std::string error;                   // the usage error, for standard error
};

// Parses the command line without printing anything and without touching the environment.
ParseResult ParseArguments(int argc, const char* const* argv);

// Runs the custody command line and returns the process exit code. `interactive` is true
// when `err` is a terminal, so that progress is redrawn in place.
int Main(int argc, const char* const* argv, const EnvironmentLookup& environment, std::ostream& out,
         std::ostream& err, bool interactive);

}  // namespace custody::cli
