// The custody subcommands, over injected clients so tests can run them against fakes.
#pragma once

#include <chrono>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "custody/aws/http_transport.h"
#include "custody/cli/api_client.h"
#include "custody/cli/resume.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"

namespace custody::cli {

struct UploadOptions {
  std::string file;
  std::string entity_id;    // required unless evidence_id is set; checked against it otherwise
  std::string evidence_id;  // empty: create an evidence item first
  std::string title;        // of a new item; empty: the file name
  std::string media_type;   // empty: guessed from the extension
};

struct DownloadOptions {
  std::string evidence_id;
  std::string version_id;  // empty: the newest stored version
  std::string output;      // empty: the version's file name in the current directory
  bool force = false;
};

struct ListOptions {
  std::string entity_id;
  std::string evidence_id;
  bool json = false;
};

struct ResumeOptions {
  int max_attempts = 5;  // per queued upload, for failures worth retrying
  bool list = false;     // print the queue instead (PrintResumeQueue)
  std::string drop;      // remove this version's record instead (DropQueuedUpload)
};

struct CommandContext {
  ApiClient& api;
  aws::HttpTransport& s3;
  std::ostream& out;         // results: ids, tables, JSON
  std::ostream& err;         // progress and notices
  bool interactive = false;  // err is a terminal, so progress is redrawn in place
  ResumeQueue queue;
  const Clock& clock;
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Hashes the file, creates the evidence item when none is given, creates a version, PUTs the
// bytes to S3 and completes the version. Queues a resume record when S3 or the network fails
// in a way worth retrying (IsRetryable), and prints a notice on `err`.
Status RunUpload(CommandContext& context, const UploadOptions& options);

// Downloads a stored version to a verified file (DownloadToFile) and prints
// "<sha256>  <path>" on `out`, the format `sha256sum -c` reads.
Status RunDownload(CommandContext& context, const DownloadOptions& options);

// Prints entities, the evidence items of an entity or the versions of an item, as a table or
// (with json) as a JSON array of the objects the server returned.
Status RunList(CommandContext& context, const ListOptions& options);

// Retries every queued upload of this server, with exponential backoff between attempts.
// Ignores options.list and options.drop.
Status RunResume(CommandContext& context, const ResumeOptions& options);

// Prints the queued uploads as a table; needs neither the server nor a token.
Status PrintResumeQueue(const ResumeQueue& queue, std::ostream& out);

// Removes the queued upload of `version_id` without uploading it.
Status DropQueuedUpload(const ResumeQueue& queue, std::string_view version_id, std::ostream& err);

// Delay before retry number `attempt` (1 for the first retry): 2 s doubled each time, at most
// 60 s.
std::chrono::milliseconds BackoffDelay(int attempt);

// Columns padded to their widest cell, separated by two spaces; the last column is not padded.
// Cells are passed through SanitizeForTerminal.
std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

}  // namespace custody::cli
