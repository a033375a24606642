#include "custody/cli/resume.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

#include "custody/cli/api_client.h"
#include "custody/cli/file.h"

namespace custody::cli {
namespace {

using nlohmann::json;

constexpr size_t kMaxRecordBytes = 64 * 1024;

std::string_view StageName(ResumeStage stage) {
  return stage == ResumeStage::kComplete ? "complete" : "put";
}

bool IsLowerHex(std::string_view text, size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Result<std::string> StringField(const json& object, std::string_view key, bool required) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) {
      return InvalidArgument("resume record has no " + std::string(key), std::string(key));
    }
    return std::string();
  }
  if (!it->is_string()) {
    return InvalidArgument("resume record field " + std::string(key) + " is not a string",
                           std::string(key));
  }
  std::string value = it->get<std::string>();
  if (required && value.empty()) {
    return InvalidArgument("resume record field " + std::string(key) + " is empty",
                           std::string(key));
  }
  return value;
}

Status CheckId(std::string_view id, std::string_view field) {
  if (!IsPathSafeId(id)) {
    return InvalidArgument("resume record field " + std::string(field) + " is not an identifier",
                           std::string(field));
  }
  return Status::Ok();
}

Result<ResumeRecord> ParseValidated(const json& object) {
  if (!object.is_object()) {
    return InvalidArgument("resume record is not a JSON object");
  }
  const auto format = object.find("format");
  if (format == object.end() || !format->is_number_integer() ||
      format->get<int64_t>() != kResumeRecordFormat) {
    return InvalidArgument("resume record has an unknown format (expected " +
                               std::to_string(kResumeRecordFormat) + ")",
                           "format");
  }

  ResumeRecord record;
  CUSTODY_ASSIGN_OR_RETURN(record.server_url, StringField(object, "server_url", true));
  CUSTODY_ASSIGN_OR_RETURN(record.file_path, StringField(object, "file_path", true));
  CUSTODY_ASSIGN_OR_RETURN(record.file_name, StringField(object, "file_name", true));
  CUSTODY_ASSIGN_OR_RETURN(record.media_type, StringField(object, "media_type", true));
  CUSTODY_ASSIGN_OR_RETURN(record.sha256_hex, StringField(object, "sha256", true));
  CUSTODY_ASSIGN_OR_RETURN(record.md5_hex, StringField(object, "md5", true));
  CUSTODY_ASSIGN_OR_RETURN(record.entity_id, StringField(object, "entity_id", false));
  CUSTODY_ASSIGN_OR_RETURN(record.evidence_id, StringField(object, "evidence_id", true));
  CUSTODY_ASSIGN_OR_RETURN(record.version_id, StringField(object, "version_id", true));
  CUSTODY_ASSIGN_OR_RETURN(const std::string stage, StringField(object, "stage", true));
  CUSTODY_ASSIGN_OR_RETURN(record.queued_at, StringField(object, "queued_at", false));
  CUSTODY_ASSIGN_OR_RETURN(record.last_error, StringField(object, "last_error", false));

  const auto size = object.find("size");
  if (size == object.end() || !size->is_number_unsigned() || size->get<uint64_t>() == 0) {
    return InvalidArgument("resume record size is not a positive integer", "size");
  }
  record.size = size->get<uint64_t>();

  if (stage == "put") {
    record.stage = ResumeStage::kPut;
  } else if (stage == "complete") {
    record.stage = ResumeStage::kComplete;
  } else {
    return InvalidArgument("resume record stage must be put or complete", "stage");
  }
  if (!std::filesystem::path(record.file_path).is_absolute()) {
    return InvalidArgument("resume record file_path is not absolute", "file_path");
  }
  if (!IsLowerHex(record.sha256_hex, 64)) {
    return InvalidArgument("resume record sha256 is not 64 lowercase hex digits", "sha256");
  }
  if (!IsLowerHex(record.md5_hex, 32)) {
    return InvalidArgument("resume record md5 is not 32 lowercase hex digits", "md5");
  }
  CUSTODY_RETURN_IF_ERROR(CheckId(record.evidence_id, "evidence_id"));
  CUSTODY_RETURN_IF_ERROR(CheckId(record.version_id, "version_id"));
  if (!record.entity_id.empty()) {
    CUSTODY_RETURN_IF_ERROR(CheckId(record.entity_id, "entity_id"));
  }
  return record;
}

Status CreatePrivateDirectories(const std::filesystem::path& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return FailedPrecondition("creating " + directory.string() + " failed: " + error.message());
  }
  // Only the queue directory itself is narrowed: its parents may be shared state folders.
  if (::chmod(directory.c_str(), 0700) != 0) {
    return ErrnoStatus(errno, "restricting the permissions of", directory);
  }
  return Status::Ok();
}

}  // namespace

std::string SerializeResumeRecord(const ResumeRecord& record) {
  const json object = {
      {"format", kResumeRecordFormat},   {"server_url", record.server_url},
      {"file_path", record.file_path},   {"file_name", record.file_name},
      {"media_type", record.media_type}, {"size", record.size},
      {"sha256", record.sha256_hex},     {"md5", record.md5_hex},
      {"entity_id", record.entity_id},   {"evidence_id", record.evidence_id},
      {"version_id", record.version_id}, {"stage", StageName(record.stage)},
      {"queued_at", record.queued_at},   {"last_error", record.last_error},
  };
  return object.dump(2) + "\n";
}

Result<ResumeRecord> ParseResumeRecord(std::string_view text) {
  const json object = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) {
    return InvalidArgument("resume record is not valid JSON");
  }
  return ParseValidated(object);
}

Result<std::filesystem::path> ResumeQueue::Save(const ResumeRecord& record) const {
  CUSTODY_RETURN_IF_ERROR(CheckId(record.version_id, "version_id"));
  CUSTODY_RETURN_IF_ERROR(CreatePrivateDirectories(directory_));
  const std::filesystem::path path = directory_ / (record.version_id + ".json");
  CUSTODY_RETURN_IF_ERROR(WriteFileAtomically(path, SerializeResumeRecord(record)));
  return path;
}

Result<std::vector<QueuedUpload>> ResumeQueue::Load() const {
  std::vector<QueuedUpload> queued;
  std::error_code error;
  std::filesystem::directory_iterator entries(directory_, error);
  if (error) {
    if (error == std::errc::no_such_file_or_directory) {
      return queued;
    }
    return FailedPrecondition("reading " + directory_.string() + " failed: " + error.message());
  }
  for (const auto& entry : entries) {
    const std::filesystem::path& path = entry.path();
    if (path.extension() != ".json" || path.filename().string().front() == '.') {
      continue;
    }
    QueuedUpload upload;
    upload.path = path;
    Result<std::string> text = ReadSmallFile(path, kMaxRecordBytes);
    if (!text.ok()) {
      upload.error = text.status();
    } else if (Result<ResumeRecord> record = ParseResumeRecord(*text); record.ok()) {
      upload.record = std::move(record).value();
    } else {
      upload.error = record.status();
    }
    queued.push_back(std::move(upload));
  }
  std::sort(queued.begin(), queued.end(),
            [](const QueuedUpload& a, const QueuedUpload& b) { return a.path < b.path; });
  return queued;
}

Status ResumeQueue::Remove(std::string_view version_id) const {
  CUSTODY_RETURN_IF_ERROR(CheckId(version_id, "version_id"));
  const std::filesystem::path path = directory_ / (std::string(version_id) + ".json");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, "removing", path);
  }
  return Status::Ok();
}

}  // namespace custody::cli
