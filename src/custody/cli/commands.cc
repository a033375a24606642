#include "custody/cli/commands.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "custody/cli/download.h"
#include "custody/cli/file.h"
#include "custody/cli/hashing.h"
#include "custody/cli/media_type.h"
#include "custody/cli/progress.h"
#include "custody/cli/terminal.h"
#include "custody/cli/transfer.h"
#include "custody/cli/upload.h"
#include "custody/crypto/encoding.h"

namespace custody::cli {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;
// 5 TiB: S3's limit for an object, which a multipart upload reaches.
constexpr uint64_t kMaxUploadBytes = 5ULL * 1024 * 1024 * kMiB;
// Files above this size go up in parts: a failed part is sent again on its own, and a file
// above S3's 5 GiB single-PUT limit needs parts anyway.
constexpr uint64_t kMultipartThresholdBytes = 64 * kMiB;
constexpr uint64_t kMinPartBytes = 8 * kMiB;
constexpr uint64_t kMaxPartCount = 10000;
// Part URLs are requested a few at a time, so that none expires while earlier parts upload.
constexpr size_t kPartUrlBatch = 8;
// The server's limit for an evidence item's title.
constexpr size_t kMaxTitleBytes = 200;
// A presigned URL kept from an earlier attempt is used again only with this much time left.
constexpr std::chrono::seconds kMinUrlLifetime{60};

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return std::string(text);
  }
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(text.substr(0, end));
}

// The server validates file names fully; this catches what would make a bad name locally.
bool IsPlainFileName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") {
    return false;
  }
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

Result<std::filesystem::path> AbsolutePath(const std::string& file) {
  std::error_code error;
  std::filesystem::path path = std::filesystem::absolute(file, error);
  if (error) {
    return FailedPrecondition("resolving " + file + " failed: " + error.message());
  }
  return path.lexically_normal();
}

aws::ProgressCallback UploadProgress(ProgressReporter& reporter) {
  return [&reporter](const aws::TransferProgress& progress) {
    reporter.Update(progress.bytes_sent);
  };
}

Status CheckEvidenceBelongsToEntity(ApiClient& api, const UploadOptions& options) {
  CUSTODY_ASSIGN_OR_RETURN(const EvidenceItem item, api.GetEvidence(options.evidence_id));
  if (!options.entity_id.empty() && !item.entity_id.empty() &&
      item.entity_id != options.entity_id) {
    return InvalidArgument("evidence item " + item.id + " belongs to entity " +
                               SanitizeForTerminal(item.entity_id) + ", not " + options.entity_id,
                           "--entity");
  }
  return Status::Ok();
}

// The part size of a multipart upload of `size` bytes, as the web app picks it: 8 MiB, or more
// in whole MiB when 8 MiB parts would be more than 10000.
uint64_t PartSizeFor(uint64_t size) {
  const uint64_t smallest = (size + kMaxPartCount - 1) / kMaxPartCount;
  const uint64_t whole_mib = (smallest + kMiB - 1) / kMiB * kMiB;
  return std::max(kMinPartBytes, whole_mib);
}

Result<FileDigests> HashWithProgress(CommandContext& context, const std::filesystem::path& path,
                                     uint64_t size, uint64_t part_size) {
  ProgressReporter reporter(context.err, context.interactive, "hashing", "hashed", size);
  Result<FileDigests> digests = HashFile(
      path, [&reporter](uint64_t hashed) { reporter.Update(hashed); }, part_size);
  reporter.Clear();
  return digests;
}

// Completes the record's version and prints it.
Status CompleteAndReport(CommandContext& context, ResumeRecord& record) {
  record.stage = ResumeStage::kComplete;
  CUSTODY_ASSIGN_OR_RETURN(const Version version,
                           context.api.CompleteVersion(record.evidence_id, record.version_id));
  context.out << "version " << version.id << " " << SanitizeForTerminal(version.status) << "\n";
  if (version.status != "stored") {
    return Conflict("version " + version.id + " is " + SanitizeForTerminal(version.status) +
                    " after completion: " + SanitizeForTerminal(version.failure_reason));
  }
  return Status::Ok();
}

// PUTs the file and then completes the version.
Status PutAndComplete(CommandContext& context, ResumeRecord& record,
                      const PresignedTransfer& upload) {
  const FileDigests digests{record.size, record.sha256_hex, record.md5_hex};
  ProgressReporter reporter(context.err, context.interactive, "upload", "uploaded", record.size);
  const Status put =
      PutFile(context.s3, upload, record.file_path, digests, UploadProgress(reporter));
  if (!put.ok()) {
    reporter.Clear();
    return put;
  }
  reporter.Finish(record.size);
  return CompleteAndReport(context, record);
}

// The MD5 a presigned UploadPart signs, from its Content-MD5 header (base64), as hex.
Result<std::string> SignedPartMd5(const PartTransfer& part) {
  for (const auto& [name, value] : part.transfer.headers) {
    if (name.size() == 11 &&
        std::equal(name.begin(), name.end(), "content-md5", [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      const std::optional<std::string> digest = crypto::Base64Decode(value);
      if (digest.has_value() && digest->size() == 16) {
        return crypto::HexEncode(*digest);
      }
    }
  }
  return Internal("the presigned URL of part " + std::to_string(part.part_number) +
                  " signs no valid Content-MD5");
}

// Uploads the parts of the record's multipart version that S3 does not have yet, then
// completes the version. Running it again after a failure sends only the missing parts.
Status UploadPartsAndComplete(CommandContext& context, ResumeRecord& record) {
  CUSTODY_ASSIGN_OR_RETURN(const MultipartState state,
                           context.api.UploadedParts(record.evidence_id, record.version_id));
  if (state.part_size == 0 ||
      state.part_count != (record.size + state.part_size - 1) / state.part_size) {
    return Internal("the server reports " + std::to_string(state.part_count) + " parts of " +
                    std::to_string(state.part_size) + " bytes for a file of " +
                    std::to_string(record.size) + " bytes");
  }
  const std::set<int> uploaded(state.uploaded.begin(), state.uploaded.end());
  std::vector<int> missing;
  uint64_t sent = 0;
  for (uint64_t number = 1; number <= state.part_count; ++number) {
    const uint64_t offset = (number - 1) * state.part_size;
    if (uploaded.count(static_cast<int>(number)) > 0) {
      sent += std::min(state.part_size, record.size - offset);
    } else {
      missing.push_back(static_cast<int>(number));
    }
  }

  ProgressReporter reporter(context.err, context.interactive, "upload", "uploaded", record.size);
  for (size_t first = 0; first < missing.size(); first += kPartUrlBatch) {
    const std::vector<int> batch(missing.begin() + static_cast<std::ptrdiff_t>(first),
                                 missing.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                       missing.size(), first + kPartUrlBatch)));
    Result<std::vector<PartTransfer>> parts =
        context.api.PartUrls(record.evidence_id, record.version_id, batch);
    if (!parts.ok()) {
      reporter.Clear();
      return parts.status();
    }
    for (const PartTransfer& part : *parts) {
      FilePart file_part;
      file_part.offset = static_cast<uint64_t>(part.part_number - 1) * state.part_size;
      file_part.length = std::min(state.part_size, record.size - file_part.offset);
      file_part.file_size = record.size;
      Result<std::string> md5 = SignedPartMd5(part);
      if (!md5.ok()) {
        reporter.Clear();
        return md5.status();
      }
      file_part.md5_hex = std::move(md5).value();
      const Status put = PutFilePart(context.s3, part.transfer, record.file_path, file_part,
                                     [&reporter, sent](const aws::TransferProgress& progress) {
                                       reporter.Update(sent + progress.bytes_sent);
                                     });
      if (!put.ok()) {
        reporter.Clear();
        return put.WithContext("part " + std::to_string(part.part_number));
      }
      sent += file_part.length;
    }
  }
  reporter.Finish(record.size);
  return CompleteAndReport(context, record);
}

// Saves the record for `custody resume` and returns `failure` with where it went.
Status QueueForResume(CommandContext& context, ResumeRecord& record, const Status& failure) {
  record.last_error = failure.message();
  record.queued_at = FormatRfc3339(context.clock.Now());
  Result<std::filesystem::path> saved = context.queue.Save(record);
  if (!saved.ok()) {
    return Status(failure.code(), failure.message() + "; saving the resume record also failed: " +
                                      saved.status().message());
  }
  context.err << "notice: the upload of " << SanitizeForTerminal(record.file_path)
              << " is queued in " << SanitizeForTerminal(saved->string())
              << "; run `custody resume` to finish it\n";
  return failure;
}

}  // namespace

std::chrono::milliseconds BackoffDelay(int attempt) {
  constexpr std::chrono::milliseconds kFirst{2000};
  constexpr std::chrono::milliseconds kMax{60000};
  std::chrono::milliseconds delay = kFirst;
  for (int i = 1; i < attempt && delay < kMax; ++i) {
    delay *= 2;
  }
  return std::min(delay, kMax);
}

Status RunUpload(CommandContext& context, const UploadOptions& options) {
  CUSTODY_ASSIGN_OR_RETURN(const std::filesystem::path path, AbsolutePath(options.file));
  const std::string file_name = path.filename().string();
  if (!IsPlainFileName(file_name)) {
    return InvalidArgument(options.file + " does not name a file", "FILE");
  }
  // The server rejects such names too, but only after an evidence item may have been created.
  if (std::isspace(static_cast<unsigned char>(file_name.front())) ||
      std::isspace(static_cast<unsigned char>(file_name.back()))) {
    return InvalidArgument("the file name \"" + SanitizeForTerminal(file_name) +
                               "\" starts or ends with white space, which Custody does not "
                               "accept; rename the file",
                           "FILE");
  }
  CUSTODY_ASSIGN_OR_RETURN(InputFile file, OpenInputFile(path));
  if (file.size == 0) {
    return InvalidArgument(options.file + " is empty; Custody stores files of 1 byte to 5 TiB",
                           "FILE");
  }
  if (file.size > kMaxUploadBytes) {
    return InvalidArgument(options.file + " has " + std::to_string(file.size) +
                               " bytes; one upload takes at most 5 TiB (5497558138880 bytes)",
                           "FILE");
  }
  const uint64_t size = file.size;
  file.fd = UniqueFd();

  // Cheap calls first, so a wrong token or id fails before a long hash.
  if (!options.evidence_id.empty()) {
    CUSTODY_RETURN_IF_ERROR(CheckEvidenceBelongsToEntity(context.api, options));
  }

  const uint64_t part_size = size > kMultipartThresholdBytes ? PartSizeFor(size) : 0;
  CUSTODY_ASSIGN_OR_RETURN(const FileDigests digests,
                           HashWithProgress(context, path, size, part_size));

  std::string evidence_id = options.evidence_id;
  if (evidence_id.empty()) {
    const std::string title =
        options.title.empty() ? TruncateUtf8(file_name, kMaxTitleBytes) : options.title;
    CUSTODY_ASSIGN_OR_RETURN(const EvidenceItem item,
                             context.api.CreateEvidence(options.entity_id, title));
    evidence_id = item.id;
  }
  context.out << "evidence " << evidence_id << "\n";

  VersionRequest version_request;
  version_request.file_name = file_name;
  version_request.size = digests.size;
  version_request.sha256_hex = digests.sha256_hex;
  version_request.md5_hex = digests.md5_hex;
  version_request.media_type =
      options.media_type.empty() ? GuessMediaType(file_name) : options.media_type;
  if (part_size > 0) {
    version_request.part_size = part_size;
    version_request.part_md5s = digests.part_md5s;
  }
  CUSTODY_ASSIGN_OR_RETURN(const NewVersion created,
                           context.api.CreateVersion(evidence_id, version_request));
  if (!IsPathSafeId(created.version.id)) {
    return Internal("the Custody server returned an invalid version id");
  }

  ResumeRecord record;
  record.server_url = context.api.server_url();
  record.file_path = path.string();
  record.file_name = file_name;
  record.media_type = version_request.media_type;
  record.size = digests.size;
  record.sha256_hex = digests.sha256_hex;
  record.md5_hex = digests.md5_hex;
  record.entity_id = options.entity_id;
  record.evidence_id = evidence_id;
  record.version_id = created.version.id;

  const Status status = created.part_size > 0 ? UploadPartsAndComplete(context, record)
                                              : PutAndComplete(context, record, created.upload);
  if (!status.ok() && IsRetryable(status)) {
    return QueueForResume(context, record, status);
  }
  return status;
}

Status RunDownload(CommandContext& context, const DownloadOptions& options) {
  CUSTODY_ASSIGN_OR_RETURN(const std::vector<Version> versions,
                           context.api.ListVersions(options.evidence_id));
  const Version* chosen = nullptr;
  for (const Version& version : versions) {
    if (!options.version_id.empty()) {
      if (version.id == options.version_id) {
        chosen = &version;
      }
    } else if (version.status == "stored" &&
               (chosen == nullptr || version.number > chosen->number)) {
      chosen = &version;
    }
  }
  if (chosen == nullptr) {
    if (!options.version_id.empty()) {
      return NotFound("evidence item " + options.evidence_id + " has no version " +
                      options.version_id);
    }
    return NotFound("evidence item " + options.evidence_id + " has no stored version yet");
  }
  if (chosen->status != "stored") {
    return FailedPrecondition("version " + chosen->id + " is " +
                              SanitizeForTerminal(chosen->status) +
                              "; only stored versions can be downloaded");
  }

  std::filesystem::path target;
  const bool output_is_directory =
      !options.output.empty() && std::filesystem::is_directory(options.output);
  if (options.output.empty() || output_is_directory) {
    if (!IsPlainFileName(chosen->file_name)) {
      return Internal("the version's file name \"" + SanitizeForTerminal(chosen->file_name) +
                      "\" is not a plain file name; pass --output FILE");
    }
    target =
        std::filesystem::path(options.output.empty() ? "." : options.output) / chosen->file_name;
  } else {
    target = options.output;
  }

  DownloadRequest request;
  CUSTODY_ASSIGN_OR_RETURN(request.transfer,
                           context.api.CreateDownload(options.evidence_id, chosen->id));
  request.target = target;
  request.expected_size = chosen->size;
  request.expected_sha256_hex = chosen->sha256;
  request.overwrite = options.force;

  ProgressReporter reporter(context.err, context.interactive, "download", "downloaded",
                            chosen->size);
  const Status status =
      DownloadToFile(context.s3, request, [&reporter](const aws::TransferProgress& progress) {
        reporter.Update(progress.bytes_received);
      });
  if (!status.ok()) {
    reporter.Clear();
    return status;
  }
  reporter.Finish(chosen->size);
  context.out << chosen->sha256 << "  " << SanitizeForTerminal(target.string()) << "\n";
  return Status::Ok();
}

namespace {

// Returns OK, and prints the version, when the record's version is stored already; otherwise
// returns `failure`.
Status ReportIfStored(CommandContext& context, const ResumeRecord& record, const Status& failure) {
  CUSTODY_ASSIGN_OR_RETURN(const std::vector<Version> versions,
                           context.api.ListVersions(record.evidence_id));
  for (const Version& version : versions) {
    if (version.id == record.version_id && version.status == "stored") {
      context.out << "version " << version.id << " stored\n";
      return Status::Ok();
    }
  }
  return failure;
}

// One attempt at a queued upload. `fresh_upload` carries a presigned PUT between attempts
// while it has time left, so retries do not create one version after another.
Status ResumeOnce(CommandContext& context, ResumeRecord& record,
                  std::optional<PresignedTransfer>& fresh_upload) {
  if (record.stage == ResumeStage::kComplete) {
    CUSTODY_ASSIGN_OR_RETURN(const Version version,
                             context.api.CompleteVersion(record.evidence_id, record.version_id));
    context.out << "version " << version.id << " " << SanitizeForTerminal(version.status) << "\n";
    if (version.status != "stored") {
      return Conflict("version " + version.id + " is " + SanitizeForTerminal(version.status) +
                      " after completion: " + SanitizeForTerminal(version.failure_reason));
    }
    return Status::Ok();
  }

  if (record.size > kMultipartThresholdBytes) {
    // The server lists the parts S3 has, so only the others are sent again.
    const Status status = UploadPartsAndComplete(context, record);
    if (status.code() == ErrorCode::kConflict) {
      return ReportIfStored(context, record, status);
    }
    return status;
  }

  if (fresh_upload) {
    SystemTime expires_at;
    if (!ParseRfc3339(fresh_upload->expires_at, &expires_at) ||
        expires_at - context.clock.Now() < kMinUrlLifetime) {
      fresh_upload.reset();
    }
  }
  if (!fresh_upload) {
    Result<std::optional<PresignedTransfer>> refreshed =
        context.api.RefreshUploadUrl(record.evidence_id, record.version_id);
    if (!refreshed.ok()) {
      // 409 means the version is no longer pending: an earlier attempt may have stored it
      // after all, with only the response lost.
      if (refreshed.status().code() == ErrorCode::kConflict) {
        return ReportIfStored(context, record, refreshed.status());
      }
      return refreshed.status();
    }
    fresh_upload = std::move(refreshed).value();
  }
  if (!fresh_upload) {
    // The server cannot sign a new URL for this version, so the file becomes a new version of
    // the same item. The old version stays pending.
    VersionRequest request{record.file_name, record.size, record.sha256_hex, record.md5_hex,
                           record.media_type};
    CUSTODY_ASSIGN_OR_RETURN(NewVersion created,
                             context.api.CreateVersion(record.evidence_id, request));
    if (!IsPathSafeId(created.version.id)) {
      return Internal("the Custody server returned an invalid version id");
    }
    const std::string old_version_id = record.version_id;
    record.version_id = created.version.id;
    CUSTODY_RETURN_IF_ERROR(context.queue.Save(record).status());
    CUSTODY_RETURN_IF_ERROR(context.queue.Remove(old_version_id));
    context.err << "notice: pending version " << old_version_id << " is replaced by version "
                << record.version_id << "\n";
    fresh_upload = std::move(created.upload);
  }

  return PutAndComplete(context, record, *fresh_upload);
}

}  // namespace

Status PrintResumeQueue(const ResumeQueue& queue, std::ostream& out) {
  CUSTODY_ASSIGN_OR_RETURN(const std::vector<QueuedUpload> queued, queue.Load());
  std::vector<std::vector<std::string>> rows;
  for (const QueuedUpload& upload : queued) {
    if (!upload.record) {
      rows.push_back({upload.path.filename().string(), "-", "-", "-",
                      "unreadable: " + upload.error.message()});
      continue;
    }
    const ResumeRecord& record = *upload.record;
    rows.push_back({record.version_id, record.evidence_id,
                    record.stage == ResumeStage::kPut ? "put" : "complete", record.queued_at,
                    record.file_path});
  }
  out << FormatTable({"VERSION", "EVIDENCE", "STAGE", "QUEUED", "FILE"}, rows);
  return Status::Ok();
}

Status DropQueuedUpload(const ResumeQueue& queue, std::string_view version_id, std::ostream& err) {
  CUSTODY_RETURN_IF_ERROR(queue.Remove(version_id));
  err << "removed the queued upload of version " << version_id << "\n";
  return Status::Ok();
}

Status RunResume(CommandContext& context, const ResumeOptions& options) {
  CUSTODY_ASSIGN_OR_RETURN(const std::vector<QueuedUpload> queued, context.queue.Load());
  if (queued.empty()) {
    context.err << "no queued uploads in "
                << SanitizeForTerminal(context.queue.directory().string()) << "\n";
    return Status::Ok();
  }

  int failed = 0;
  Status first_failure;
  const auto fail = [&](const Status& status) {
    ++failed;
    if (first_failure.ok()) {
      first_failure = status;
    }
  };
  for (const QueuedUpload& upload : queued) {
    if (!upload.record) {
      context.err << "error: skipping " << SanitizeForTerminal(upload.path.string()) << ": "
                  << upload.error.message() << "\n";
      fail(upload.error);
      continue;
    }
    ResumeRecord record = *upload.record;
    if (record.server_url != context.api.server_url()) {
      context.err << "notice: skipping version " << record.version_id << ", queued for "
                  << SanitizeForTerminal(record.server_url) << "; run custody resume --server "
                  << SanitizeForTerminal(record.server_url) << "\n";
      fail(FailedPrecondition("queued for another server"));
      continue;
    }

    std::optional<PresignedTransfer> fresh_upload;
    Status status;
    for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
      context.err << "resuming " << SanitizeForTerminal(record.file_path) << " (version "
                  << record.version_id << "), attempt " << attempt << " of " << options.max_attempts
                  << "\n";
      status = ResumeOnce(context, record, fresh_upload);
      if (status.ok() || !IsRetryable(status)) {
        break;
      }
      context.err << "error: " << status.message() << "\n";
      if (attempt < options.max_attempts) {
        const std::chrono::milliseconds delay = BackoffDelay(attempt);
        context.err << "retrying in " << delay.count() / 1000 << " s\n";
        context.sleep(delay);
      }
    }

    if (status.ok()) {
      CUSTODY_RETURN_IF_ERROR(context.queue.Remove(record.version_id));
      continue;
    }
    record.last_error = status.message();
    const Status saved = context.queue.Save(record).status();
    context.err << "error: " << SanitizeForTerminal(record.file_path) << " (version "
                << record.version_id << ") is still queued: " << status.message() << "\n";
    if (!IsRetryable(status)) {
      context.err << "  retrying will not help until that is fixed (or remove the record with "
                     "custody resume --drop "
                  << record.version_id << ")\n";
    }
    if (!saved.ok()) {
      context.err << "error: " << saved.message() << "\n";
    }
    fail(status);
  }

  if (failed > 0) {
    return Status(first_failure.code(), std::to_string(failed) + " of " +
                                            std::to_string(queued.size()) +
                                            " queued uploads did not finish");
  }
  return Status::Ok();
}

}  // namespace custody::cli
