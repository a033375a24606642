#include "custody/cli/resume.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "custody/cli/test_support.h"

namespace custody::cli {
namespace {

using testing::TempDir;

ResumeRecord SampleRecord() {
  ResumeRecord record;
  record.server_url = "https://custody.example";
  record.file_path = "/data/firewall rules.csv";
  record.file_name = "firewall rules.csv";
  record.media_type = "text/csv";
  record.size = 5368709120ULL;
  record.sha256_hex = std::string(64, 'a');
  record.md5_hex = std::string(32, 'b');
  record.entity_id = "ent_0123456789abcdefghijKL";
  record.evidence_id = "evd_0123456789abcdefghijKL";
  record.version_id = "ver_0123456789abcdefghijKL";
  record.stage = ResumeStage::kComplete;
  record.queued_at = "2026-01-02T03:04:05Z";
  record.last_error = "connecting to https://s3.example failed: Connection refused";
  return record;
}

TEST(ResumeRecordTest, RoundTrip) {
  const ResumeRecord record = SampleRecord();
  Result<ResumeRecord> parsed = ParseResumeRecord(SerializeResumeRecord(record));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, record);
}

TEST(ResumeRecordTest, RoundTripPutStageWithoutEntity) {
  ResumeRecord record = SampleRecord();
  record.stage = ResumeStage::kPut;
  record.entity_id.clear();
  Result<ResumeRecord> parsed = ParseResumeRecord(SerializeResumeRecord(record));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, record);
}

TEST(ResumeRecordTest, HoldsNoUrlOrToken) {
  const std::string text = SerializeResumeRecord(SampleRecord());
  EXPECT_EQ(text.find("X-Amz"), std::string::npos);
  EXPECT_EQ(text.find("token"), std::string::npos);
  EXPECT_EQ(text.find("\"url\""), std::string::npos);
}

TEST(ResumeRecordTest, RejectsInvalidRecords) {
  const std::string valid = SerializeResumeRecord(SampleRecord());
  const auto replaced = [&valid](const std::string& from, const std::string& to) {
    std::string text = valid;
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? text : text.replace(at, from.size(), to);
  };
  const std::pair<std::string, std::string> cases[] = {
      {"not json", "{"},
      {"unknown format", replaced("\"format\": 1", "\"format\": 2")},
      {"relative path", replaced("\"/data/firewall", "\"data/firewall")},
      {"short sha256", replaced(std::string(64, 'a'), std::string(63, 'a'))},
      {"uppercase md5", replaced(std::string(32, 'b'), std::string(32, 'B'))},
      {"zero size", replaced("5368709120", "0")},
      {"negative size", replaced("5368709120", "-1")},
      {"path in version id", replaced("ver_0123456789abcdefghijKL", "../../etc/passwd")},
      {"slash in evidence id", replaced("evd_0123456789abcdefghijKL", "evd_1/complete")},
      {"unknown stage", replaced("\"complete\"", "\"done\"")},
      {"missing evidence", replaced("\"evidence_id\"", "\"evidence\"")},
  };
  for (const auto& [name, text] : cases) {
    EXPECT_FALSE(ParseResumeRecord(text).ok()) << name;
  }
}

TEST(ResumeQueueTest, SaveLoadRemove) {
  TempDir directory;
  const ResumeQueue queue(directory.path() / "state" / "queue");
  ResumeRecord first = SampleRecord();
  ResumeRecord second = SampleRecord();
  second.version_id = "ver_second";

  Result<std::filesystem::path> saved = queue.Save(second);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  EXPECT_EQ(saved->filename(), "ver_second.json");
  ASSERT_TRUE(queue.Save(first).ok());

  Result<std::vector<QueuedUpload>> loaded = queue.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 2u);
  ASSERT_TRUE((*loaded)[0].record.has_value()) << (*loaded)[0].error.ToString();
  EXPECT_EQ(*(*loaded)[0].record, first);
  ASSERT_TRUE((*loaded)[1].record.has_value()) << (*loaded)[1].error.ToString();
  EXPECT_EQ(*(*loaded)[1].record, second);

  ASSERT_TRUE(queue.Remove(first.version_id).ok());
  ASSERT_TRUE(queue.Remove(first.version_id).ok()) << "removing twice is fine";
  loaded = queue.Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->size(), 1u);
}

TEST(ResumeQueueTest, FilesArePrivate) {
  TempDir directory;
  const ResumeQueue queue(directory.path() / "queue");
  Result<std::filesystem::path> saved = queue.Save(SampleRecord());
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();

  struct stat info {};

  ASSERT_EQ(::stat(saved->c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(queue.directory().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
}

TEST(ResumeQueueTest, MissingDirectoryIsEmpty) {
  TempDir directory;
  Result<std::vector<QueuedUpload>> loaded = ResumeQueue(directory.path() / "absent").Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(loaded->empty());
}

TEST(ResumeQueueTest, ReportsUnreadableRecord) {
  TempDir directory;
  directory.Write("ver_broken.json", "{\"format\": 1}");
  directory.Write("notes.txt", "ignored");
  Result<std::vector<QueuedUpload>> loaded = ResumeQueue(directory.path()).Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_FALSE((*loaded)[0].record.has_value());
  EXPECT_FALSE((*loaded)[0].error.ok());
}

TEST(ResumeQueueTest, RejectsUnsafeVersionIdInFileName) {
  TempDir directory;
  const ResumeQueue queue(directory.path());
  ResumeRecord record = SampleRecord();
  record.version_id = "../escape";
  EXPECT_FALSE(queue.Save(record).ok());
  EXPECT_FALSE(queue.Remove("../escape").ok());
}

}  // namespace
}  // namespace custody::cli
