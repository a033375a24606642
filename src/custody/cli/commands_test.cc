#include "custody/cli/commands.h"

#include <sstream>

#include <gtest/gtest.h>

#include "custody/cli/fake_custody.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::cli {
namespace {

using aws::testing::FakeTransport;
using testing::FakeCustody;
using testing::FakeS3;
using testing::TempDir;

const std::string kContents = "rule,allow\n1,tcp/443\n";

class CommandsTest : public ::testing::Test {
 protected:
  CommandsTest()
      : api_transport_(custody_.Handler()),
        s3_transport_(s3_.Handler()),
        api_(api_transport_, "https://custody.example", Secret("cst_t")),
        clock_(FromUnixSeconds(1893456000)),  // 2030-01-01T00:00:00Z
        context_{api_,
                 s3_transport_,
                 out_,
                 err_,
                 false,
                 ResumeQueue(directory_.path() / "queue"),
                 clock_,
                 [this](std::chrono::milliseconds delay) {
                   sleeps_.push_back(delay);
                 }} {}

  std::vector<QueuedUpload> Queue() {
    Result<std::vector<QueuedUpload>> queued = context_.queue.Load();
    EXPECT_TRUE(queued.ok()) << queued.status().ToString();
    return queued.ok() ? *queued : std::vector<QueuedUpload>{};
  }

  TempDir directory_;
  FakeCustody custody_;
  FakeS3 s3_;
  FakeTransport api_transport_;
  FakeTransport s3_transport_;
  ApiClient api_;
  FixedClock clock_;
  std::ostringstream out_;
  std::ostringstream err_;
  std::vector<std::chrono::milliseconds> sleeps_;
  CommandContext context_;
};

TEST_F(CommandsTest, UploadCreatesItemAndCompletes) {
  const auto file = directory_.Write("firewall-rules.csv", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";

  const Status status = RunUpload(context_, options);
  ASSERT_TRUE(status.ok()) << status.ToString() << "\n" << err_.str();
  const std::vector<std::string> expected_calls{
      "POST /api/v1/entities/ent_1/evidence",
      "POST /api/v1/evidence/evd_new/versions",
      "POST /api/v1/evidence/evd_new/versions/ver_1/complete",
  };
  EXPECT_EQ(custody_.calls, expected_calls);
  EXPECT_EQ(custody_.bodies[0], R"({"title":"firewall-rules.csv"})");

  const auto declared = nlohmann::json::parse(custody_.bodies[1]);
  EXPECT_EQ(declared["file_name"], "firewall-rules.csv");
  EXPECT_EQ(declared["size"], kContents.size());
  EXPECT_EQ(declared["sha256"], crypto::Sha256Hex(kContents));
  EXPECT_EQ(declared["md5"], crypto::HexEncode(crypto::Md5(kContents)));
  EXPECT_EQ(declared["media_type"], "text/csv");

  EXPECT_EQ(s3_.objects["/bucket/ver_1"], kContents);
  EXPECT_EQ(out_.str(), "evidence evd_new\nversion ver_1 stored\n");
  EXPECT_NE(err_.str().find("uploaded"), std::string::npos) << "a plain final line on stderr";
  EXPECT_TRUE(Queue().empty());
}

TEST_F(CommandsTest, UploadUsesTitleAndMediaType) {
  const auto file = directory_.Write("export.bin", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";
  options.title = "Q3 firewall export";
  options.media_type = "application/vnd.custom";

  ASSERT_TRUE(RunUpload(context_, options).ok()) << err_.str();
  EXPECT_EQ(custody_.bodies[0], R"({"title":"Q3 firewall export"})");
  EXPECT_EQ(nlohmann::json::parse(custody_.bodies[1])["media_type"], "application/vnd.custom");
}

TEST_F(CommandsTest, UploadToExistingItemChecksEntity) {
  const auto file = directory_.Write("rules.csv", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_other";
  options.evidence_id = "evd_existing";

  const Status status = RunUpload(context_, options);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.field(), "--entity");
  EXPECT_TRUE(custody_.versions.empty());
}

TEST_F(CommandsTest, UploadToExistingItem) {
  const auto file = directory_.Write("rules.csv", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";
  options.evidence_id = "evd_existing";

  ASSERT_TRUE(RunUpload(context_, options).ok()) << err_.str();
  EXPECT_EQ(custody_.calls.front(), "GET /api/v1/evidence/evd_existing");
  EXPECT_EQ(out_.str(), "evidence evd_existing\nversion ver_1 stored\n");
}

TEST_F(CommandsTest, UploadRejectsEmptyFile) {
  const auto file = directory_.Write("empty.txt", "");
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";
  const Status status = RunUpload(context_, options);
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(custody_.calls.empty());
}

TEST_F(CommandsTest, UploadRejectsNameWithEdgeSpace) {
  const auto file = directory_.Write("rules.csv ", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";
  const Status status = RunUpload(context_, options);
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(custody_.calls.empty())
      << "no evidence item is created for a name the server rejects";
}

TEST_F(CommandsTest, UploadMissingFileIsNotFound) {
  UploadOptions options;
  options.file = (directory_.path() / "absent.csv").string();
  options.entity_id = "ent_1";
  EXPECT_EQ(RunUpload(context_, options).code(), ErrorCode::kNotFound);
}

TEST_F(CommandsTest, UploadQueuesWhenS3IsUnreachable) {
  s3_.failures_left = 1;
  const auto file = directory_.Write("rules.csv", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";

  const Status status = RunUpload(context_, options);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_NE(err_.str().find("custody resume"), std::string::npos) << err_.str();

  const std::vector<QueuedUpload> queued = Queue();
  ASSERT_EQ(queued.size(), 1u);
  ASSERT_TRUE(queued[0].record.has_value()) << queued[0].error.ToString();
  const ResumeRecord& record = *queued[0].record;
  EXPECT_EQ(record.server_url, "https://custody.example");
  EXPECT_EQ(record.file_path, file.string());
  EXPECT_EQ(record.size, kContents.size());
  EXPECT_EQ(record.sha256_hex, crypto::Sha256Hex(kContents));
  EXPECT_EQ(record.evidence_id, "evd_new");
  EXPECT_EQ(record.version_id, "ver_1");
  EXPECT_EQ(record.stage, ResumeStage::kPut);
  EXPECT_EQ(record.queued_at, "2030-01-01T00:00:00Z");
  EXPECT_NE(record.last_error.find("Connection refused"), std::string::npos);
}

TEST_F(CommandsTest, UploadQueuesCompletionWhenServerCannotVerify) {
  custody_.complete_failure = 503;
  const auto file = directory_.Write("rules.csv", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";

  EXPECT_EQ(RunUpload(context_, options).code(), ErrorCode::kUnavailable);
  const std::vector<QueuedUpload> queued = Queue();
  ASSERT_EQ(queued.size(), 1u);
  ASSERT_TRUE(queued[0].record.has_value());
  EXPECT_EQ(queued[0].record->stage, ResumeStage::kComplete);
}

TEST_F(CommandsTest, UploadRejectedCompletionIsNotQueued) {
  custody_.complete_failure = 409;
  const auto file = directory_.Write("rules.csv", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";

  const Status status = RunUpload(context_, options);
  EXPECT_EQ(status.code(), ErrorCode::kConflict);
  EXPECT_EQ(status.message(), "cannot verify the object now");
  EXPECT_TRUE(Queue().empty());
}

TEST_F(CommandsTest, ResumeCreatesNewVersionWithoutUploadUrlEndpoint) {
  s3_.failures_left = 1;
  const auto file = directory_.Write("rules.csv", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";
  ASSERT_FALSE(RunUpload(context_, options).ok());
  out_.str("");

  const Status status = RunResume(context_, ResumeOptions{});
  ASSERT_TRUE(status.ok()) << status.ToString() << "\n" << err_.str();
  EXPECT_EQ(s3_.objects["/bucket/ver_2"], kContents);
  EXPECT_EQ(custody_.versions["ver_2"]["status"], "stored");
  EXPECT_EQ(custody_.versions["ver_1"]["status"], "pending");
  EXPECT_EQ(out_.str(), "version ver_2 stored\n");
  EXPECT_TRUE(Queue().empty());
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(CommandsTest, ResumeUsesUploadUrlEndpoint) {
  custody_.offers_upload_url = true;
  s3_.failures_left = 1;
  const auto file = directory_.Write("rules.csv", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";
  ASSERT_FALSE(RunUpload(context_, options).ok());

  ASSERT_TRUE(RunResume(context_, ResumeOptions{}).ok()) << err_.str();
  EXPECT_EQ(custody_.versions.size(), 1u) << "no second version";
  EXPECT_EQ(custody_.versions["ver_1"]["status"], "stored");
  EXPECT_EQ(s3_.objects["/bucket/ver_1"], kContents);
}

TEST_F(CommandsTest, ResumeBacksOffThenKeepsRecord) {
  custody_.offers_upload_url = true;
  s3_.failures_left = 100;
  const auto file = directory_.Write("rules.csv", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";
  ASSERT_FALSE(RunUpload(context_, options).ok());

  ResumeOptions resume;
  resume.max_attempts = 3;
  const Status status = RunResume(context_, resume);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  const std::vector<std::chrono::milliseconds> expected_sleeps{std::chrono::seconds(2),
                                                               std::chrono::seconds(4)};
  EXPECT_EQ(sleeps_, expected_sleeps);
  EXPECT_EQ(s3_.requests, 1 + 3);
  const int upload_url_calls =
      static_cast<int>(std::count(custody_.calls.begin(), custody_.calls.end(),
                                  "POST /api/v1/evidence/evd_new/versions/ver_1/upload-url"));
  EXPECT_EQ(upload_url_calls, 1) << "a fresh URL with time left is used again";
  ASSERT_EQ(Queue().size(), 1u);
}

TEST_F(CommandsTest, ResumeFindsVersionAlreadyStored) {
  custody_.offers_upload_url = true;
  s3_.failures_left = 1;
  const auto file = directory_.Write("rules.csv", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";
  ASSERT_FALSE(RunUpload(context_, options).ok());
  custody_.versions["ver_1"]["status"] = "stored";  // the lost response was a success
  out_.str("");

  ASSERT_TRUE(RunResume(context_, ResumeOptions{}).ok()) << err_.str();
  EXPECT_EQ(out_.str(), "version ver_1 stored\n");
  EXPECT_EQ(s3_.requests, 1) << "nothing is sent again";
  EXPECT_TRUE(Queue().empty());
}

TEST_F(CommandsTest, ResumeCompletionOnlyStage) {
  custody_.complete_failure = 503;
  const auto file = directory_.Write("rules.csv", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";
  ASSERT_FALSE(RunUpload(context_, options).ok());
  custody_.complete_failure = 0;
  const int s3_requests = s3_.requests;

  ASSERT_TRUE(RunResume(context_, ResumeOptions{}).ok()) << err_.str();
  EXPECT_EQ(s3_.requests, s3_requests) << "the bytes are in S3 already";
  EXPECT_EQ(custody_.versions["ver_1"]["status"], "stored");
  EXPECT_TRUE(Queue().empty());
}

// A file just over the multipart threshold of 64 MiB: eight 8 MiB parts and one of 1 byte.
std::string MultipartContents() {
  std::string contents(64 * 1024 * 1024 + 1, '\0');
  for (size_t i = 0; i < contents.size(); i += 4096) {
    contents[i] = static_cast<char>(i / 4096);
  }
  return contents;
}

TEST_F(CommandsTest, LargeFileUploadsInParts) {
  custody_.s3_objects = &s3_.objects;
  const std::string contents = MultipartContents();
  const auto file = directory_.Write("dump.bin", contents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";

  const Status status = RunUpload(context_, options);
  ASSERT_TRUE(status.ok()) << status.ToString() << "\n" << err_.str();
  const auto declared = nlohmann::json::parse(custody_.bodies[1]);
  constexpr size_t kPartSize = 8 * 1024 * 1024;
  EXPECT_EQ(declared["part_size"], kPartSize);
  ASSERT_EQ(declared["part_md5s"].size(), 9u);
  for (size_t i = 0; i < 9; ++i) {
    const std::string part = contents.substr(i * kPartSize, kPartSize);
    EXPECT_EQ(declared["part_md5s"][i], crypto::HexEncode(crypto::Md5(part))) << i;
    EXPECT_TRUE(s3_.objects["/bucket/ver_1/part-" + std::to_string(i + 1)] == part) << i;
  }
  const std::vector<std::string> expected_calls{
      "POST /api/v1/entities/ent_1/evidence",
      "POST /api/v1/evidence/evd_new/versions",
      "GET /api/v1/evidence/evd_new/versions/ver_1/parts",
      "POST /api/v1/evidence/evd_new/versions/ver_1/part-urls",
      "POST /api/v1/evidence/evd_new/versions/ver_1/part-urls",
      "POST /api/v1/evidence/evd_new/versions/ver_1/complete",
  };
  EXPECT_EQ(custody_.calls, expected_calls);
  EXPECT_EQ(nlohmann::json::parse(custody_.bodies[3])["part_numbers"],
            nlohmann::json({1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(nlohmann::json::parse(custody_.bodies[4])["part_numbers"], nlohmann::json({9}));
  EXPECT_EQ(out_.str(), "evidence evd_new\nversion ver_1 stored\n");
}

TEST_F(CommandsTest, ResumeSendsOnlyMissingParts) {
  custody_.s3_objects = &s3_.objects;
  const std::string contents = MultipartContents();
  const auto file = directory_.Write("dump.bin", contents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";
  s3_.failures_left = 1;
  ASSERT_EQ(RunUpload(context_, options).code(), ErrorCode::kUnavailable);
  ASSERT_EQ(Queue().size(), 1u);

  // Parts 1 to 3 reached S3 in an earlier attempt, so only parts 4 to 9 go again.
  constexpr size_t kPartSize = 8 * 1024 * 1024;
  for (size_t i = 0; i < 3; ++i) {
    s3_.objects["/bucket/ver_1/part-" + std::to_string(i + 1)] =
        contents.substr(i * kPartSize, kPartSize);
  }
  const int requests_before = s3_.requests;
  out_.str("");
  const Status status = RunResume(context_, ResumeOptions{});
  ASSERT_TRUE(status.ok()) << status.ToString() << "\n" << err_.str();
  EXPECT_EQ(s3_.requests - requests_before, 6);
  EXPECT_EQ(custody_.versions.size(), 1u) << "no second version";
  EXPECT_EQ(custody_.versions["ver_1"]["status"], "stored");
  EXPECT_EQ(out_.str(), "version ver_1 stored\n");
  EXPECT_TRUE(Queue().empty());
}

TEST_F(CommandsTest, ChangedPartIsNotUploaded) {
  custody_.s3_objects = &s3_.objects;
  const std::string contents = MultipartContents();
  const auto file = directory_.Write("dump.bin", contents);
  // The file is hashed, then part 2 changes before it is sent: the CLI checks each part's
  // bytes against the MD5 its URL signs.
  custody_.before_part_urls = [&] {
    std::string changed = contents;
    changed[8 * 1024 * 1024 + 5] ^= 1;
    directory_.Write("dump.bin", changed);
  };
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";

  const Status status = RunUpload(context_, options);
  EXPECT_EQ(status.code(), ErrorCode::kConflict) << status.ToString();
  EXPECT_NE(status.message().find("changed"), std::string::npos) << status.message();
  EXPECT_TRUE(Queue().empty());
}

TEST_F(CommandsTest, ResumeSkipsOtherServer) {
  ResumeRecord record;
  record.server_url = "https://other.example";
  record.file_path = "/data/rules.csv";
  record.file_name = "rules.csv";
  record.media_type = "text/csv";
  record.size = 3;
  record.sha256_hex = std::string(64, 'a');
  record.md5_hex = std::string(32, 'b');
  record.evidence_id = "evd_existing";
  record.version_id = "ver_9";
  ASSERT_TRUE(context_.queue.Save(record).ok());

  EXPECT_FALSE(RunResume(context_, ResumeOptions{}).ok());
  EXPECT_TRUE(custody_.calls.empty());
  EXPECT_NE(err_.str().find("https://other.example"), std::string::npos);
  EXPECT_EQ(Queue().size(), 1u);
}

TEST_F(CommandsTest, ResumeChangedFileIsNotRetried) {
  s3_.failures_left = 1;
  const auto file = directory_.Write("rules.csv", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";
  ASSERT_FALSE(RunUpload(context_, options).ok());
  directory_.Write("rules.csv", kContents + "changed");

  const Status status = RunResume(context_, ResumeOptions{});
  EXPECT_EQ(status.code(), ErrorCode::kConflict);
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_NE(err_.str().find("--drop"), std::string::npos) << err_.str();
  EXPECT_EQ(Queue().size(), 1u);
}

TEST_F(CommandsTest, EmptyQueueIsFine) {
  EXPECT_TRUE(RunResume(context_, ResumeOptions{}).ok());
  EXPECT_NE(err_.str().find("no queued uploads"), std::string::npos);
}

TEST_F(CommandsTest, DropAndPrintQueue) {
  s3_.failures_left = 1;
  const auto file = directory_.Write("rules.csv", kContents);
  UploadOptions options;
  options.file = file.string();
  options.entity_id = "ent_1";
  ASSERT_FALSE(RunUpload(context_, options).ok());

  std::ostringstream listing;
  ASSERT_TRUE(PrintResumeQueue(context_.queue, listing).ok());
  EXPECT_NE(listing.str().find("ver_1"), std::string::npos) << listing.str();
  EXPECT_NE(listing.str().find("evd_new"), std::string::npos) << listing.str();

  ASSERT_TRUE(DropQueuedUpload(context_.queue, "ver_1", err_).ok());
  EXPECT_TRUE(Queue().empty());
}

TEST_F(CommandsTest, DownloadPicksNewestStoredVersion) {
  custody_.AddVersion("ver_a", "evd_existing", 1, "stored", "old.csv", "old contents");
  custody_.AddVersion("ver_b", "evd_existing", 2, "stored", "rules.csv", kContents);
  custody_.AddVersion("ver_c", "evd_existing", 3, "pending", "next.csv", "not there");
  s3_.objects["/bucket/ver_b"] = kContents;
  DownloadOptions options;
  options.evidence_id = "evd_existing";
  options.output = directory_.path().string();

  const Status status = RunDownload(context_, options);
  ASSERT_TRUE(status.ok()) << status.ToString();
  const auto target = directory_.path() / "rules.csv";
  EXPECT_EQ(testing::ReadFile(target), kContents);
  EXPECT_EQ(out_.str(), crypto::Sha256Hex(kContents) + "  " + target.string() + "\n");
}

TEST_F(CommandsTest, DownloadNamedVersionToFile) {
  custody_.AddVersion("ver_a", "evd_existing", 1, "stored", "old.csv", "old contents");
  custody_.AddVersion("ver_b", "evd_existing", 2, "stored", "rules.csv", kContents);
  s3_.objects["/bucket/ver_a"] = "old contents";
  DownloadOptions options;
  options.evidence_id = "evd_existing";
  options.version_id = "ver_a";
  options.output = (directory_.path() / "copy.csv").string();

  ASSERT_TRUE(RunDownload(context_, options).ok());
  EXPECT_EQ(testing::ReadFile(directory_.path() / "copy.csv"), "old contents");
}

TEST_F(CommandsTest, DownloadPendingVersionIsRefused) {
  custody_.AddVersion("ver_c", "evd_existing", 3, "pending", "next.csv", "not there");
  DownloadOptions options;
  options.evidence_id = "evd_existing";
  options.version_id = "ver_c";
  options.output = directory_.path().string();
  EXPECT_EQ(RunDownload(context_, options).code(), ErrorCode::kFailedPrecondition);
}

TEST_F(CommandsTest, DownloadWithoutStoredVersionIsNotFound) {
  DownloadOptions options;
  options.evidence_id = "evd_existing";
  EXPECT_EQ(RunDownload(context_, options).code(), ErrorCode::kNotFound);
}

TEST_F(CommandsTest, DownloadRejectsPathInFileName) {
  for (const std::string name : {"../evil.sh", "dir/file", "..", "a\\b", "bell\a"}) {
    custody_.versions.clear();
    custody_.AddVersion("ver_x", "evd_existing", 1, "stored", name, kContents);
    s3_.objects["/bucket/ver_x"] = kContents;
    DownloadOptions options;
    options.evidence_id = "evd_existing";
    options.output = directory_.path().string();

    const Status status = RunDownload(context_, options);
    EXPECT_FALSE(status.ok()) << name;
    EXPECT_NE(status.message().find("--output"), std::string::npos) << status.message();
  }
  EXPECT_EQ(s3_.requests, 0);
  EXPECT_TRUE(std::filesystem::is_empty(directory_.path()));
}

}  // namespace
}  // namespace custody::cli
