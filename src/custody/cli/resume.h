// Resume records: what `custody resume` needs to finish an upload that S3 or the network
// interrupted. A record holds no URL and no token (a presigned URL is a bearer credential until
// it expires), so resuming always asks the server for a fresh URL.
//
// Format 1 is a JSON object, one file per version: <queue directory>/<version id>.json, mode
// 0600, in a directory of mode 0700. Fields: "format" (1), "server_url", "file_path"
// (absolute), "file_name", "media_type", "size", "sha256", "md5", "entity_id" (may be empty),
// "evidence_id", "version_id", "stage" ("put": the bytes are not in S3 yet; "complete": they
// are, and only the completion call is missing), "queued_at" (RFC 3339), "last_error".
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/status.h"

namespace custody::cli {

inline constexpr int kResumeRecordFormat = 1;

enum class ResumeStage {
  kPut,
  kComplete,
};

struct ResumeRecord {
  std::string server_url;
  std::string file_path;
  std::string file_name;
  std::string media_type;
  uint64_t size = 0;
  std::string sha256_hex;
  std::string md5_hex;
  std::string entity_id;
  std::string evidence_id;
  std::string version_id;
  ResumeStage stage = ResumeStage::kPut;
  std::string queued_at;
  std::string last_error;

  bool operator==(const ResumeRecord&) const = default;
};

std::string SerializeResumeRecord(const ResumeRecord& record);

// Parses and validates a record: the format number, an absolute file path, a size of at least
// one byte, lowercase hex digests of the right length and ids that are safe in a URL path.
Result<ResumeRecord> ParseResumeRecord(std::string_view text);

// A record file in the queue, or why it could not be read.
struct QueuedUpload {
  std::filesystem::path path;
  std::optional<ResumeRecord> record;
  Status error;  // set when record is empty
};

// The queue directory ($XDG_STATE_HOME/custody/queue).
class ResumeQueue {
 public:
  explicit ResumeQueue(std::filesystem::path directory) : directory_(std::move(directory)) {}

  const std::filesystem::path& directory() const { return directory_; }

  // Writes the record atomically as <version id>.json, creating the directory first.
  Result<std::filesystem::path> Save(const ResumeRecord& record) const;

  // Every *.json file of the directory, sorted by name; a missing directory is an empty queue.
  Result<std::vector<QueuedUpload>> Load() const;

  // Removes <version id>.json; a record that is already gone is not an error.
  Status Remove(std::string_view version_id) const;

 private:
  std::filesystem::path directory_;
};

}  // namespace custody::cli
