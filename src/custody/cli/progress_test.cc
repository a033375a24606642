#include "custody/cli/progress.h"

#include <algorithm>
#include <limits>
#include <sstream>

#include <gtest/gtest.h>

namespace custody::cli {
namespace {

TEST(FormatBytesTest, Table) {
  const std::pair<uint64_t, std::string> cases[] = {
      {0, "0 B"},
      {1023, "1023 B"},
      {1024, "1.00 KiB"},
      {1536, "1.50 KiB"},
      {12 * 1024 * 1024, "12.0 MiB"},
      {512ULL * 1024 * 1024, "512 MiB"},
      {1023ULL * 1024 * 1024, "1.00 GiB"},
      {5ULL * 1024 * 1024 * 1024, "5.00 GiB"},
  };
  for (const auto& [bytes, expected] : cases) {
    EXPECT_EQ(FormatBytes(bytes), expected) << bytes;
  }
}

TEST(FormatRateTest, Table) {
  EXPECT_EQ(FormatRate(0), "-");
  EXPECT_EQ(FormatRate(-1), "-");
  EXPECT_EQ(FormatRate(std::numeric_limits<double>::infinity()), "-");
  EXPECT_EQ(FormatRate(10.0 * 1024 * 1024), "10.0 MiB/s");
}

TEST(FormatProgressLineTest, WithTotal) {
  const uint64_t mib = 1024 * 1024;
  EXPECT_EQ(FormatProgressLine(50 * mib, 100 * mib, 5.0),
            " 50%  50.0 MiB / 100 MiB  10.0 MiB/s  eta 5s");
}

TEST(FormatProgressLineTest, CompleteHasNoEstimate) {
  const uint64_t mib = 1024 * 1024;
  EXPECT_EQ(FormatProgressLine(100 * mib, 100 * mib, 10.0), "100%  100 MiB / 100 MiB  10.0 MiB/s");
}

TEST(FormatProgressLineTest, BeforeAnyTimePassed) {
  EXPECT_EQ(FormatProgressLine(0, 2048, 0.0), "  0%  0 B / 2.00 KiB");
}

TEST(FormatProgressLineTest, WithoutTotal) {
  EXPECT_EQ(FormatProgressLine(1024, 0, 1.0), "1.00 KiB  1.00 KiB/s");
}

TEST(FormatProgressLineTest, LongEstimateInMinutes) {
  EXPECT_EQ(FormatProgressLine(1024, 1024 * 1024, 1.0),
            "  0%  1.00 KiB / 1.00 MiB  1.00 KiB/s  eta 17m3s");
}

TEST(FormatSummaryLineTest, IncludesRate) {
  EXPECT_EQ(FormatSummaryLine("uploaded", 12 * 1024 * 1024, 1.2),
            "uploaded 12.0 MiB in 1.2 s (10.0 MiB/s)");
  EXPECT_EQ(FormatSummaryLine("uploaded", 5, 0.0), "uploaded 5 B in 0.0 s");
}

class FakeTime {
 public:
  std::chrono::steady_clock::time_point Now() const { return now_; }

  void Advance(std::chrono::milliseconds delta) { now_ += delta; }

 private:
  std::chrono::steady_clock::time_point now_{};
};

TEST(ProgressReporterTest, NonInteractiveWritesOnlySummary) {
  FakeTime time;
  std::ostringstream out;
  ProgressReporter reporter(out, false, "upload", "uploaded", 2048, [&time] { return time.Now(); });
  reporter.Update(1024);
  time.Advance(std::chrono::seconds(2));
  reporter.Update(2048);
  EXPECT_EQ(out.str(), "");
  reporter.Finish(2048);
  EXPECT_EQ(out.str(), "uploaded 2.00 KiB in 2.0 s (1.00 KiB/s)\n");
}

TEST(ProgressReporterTest, InteractiveRedrawsAtMostTenTimesASecond) {
  FakeTime time;
  std::ostringstream out;
  ProgressReporter reporter(out, true, "upload", "uploaded", 4096, [&time] { return time.Now(); });
  reporter.Update(1024);
  time.Advance(std::chrono::milliseconds(50));
  reporter.Update(2048);  // too soon: skipped
  time.Advance(std::chrono::milliseconds(60));
  reporter.Update(3072);
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 2) << text;
  EXPECT_NE(text.find("1.00 KiB / 4.00 KiB"), std::string::npos) << text;
  EXPECT_EQ(text.find("2.00 KiB / 4.00 KiB"), std::string::npos) << text;
  EXPECT_NE(text.find("3.00 KiB / 4.00 KiB"), std::string::npos) << text;
  EXPECT_EQ(text.find('\n'), std::string::npos) << "no line ends while redrawing";
}

TEST(ProgressReporterTest, InteractiveAlwaysDrawsCompletion) {
  FakeTime time;
  std::ostringstream out;
  ProgressReporter reporter(out, true, "upload", "uploaded", 2048, [&time] { return time.Now(); });
  reporter.Update(1024);
  reporter.Update(2048);
  EXPECT_NE(out.str().find("100%"), std::string::npos) << out.str();
}

TEST(ProgressReporterTest, InteractiveFinishReplacesLine) {
  FakeTime time;
  std::ostringstream out;
  ProgressReporter reporter(out, true, "upload", "uploaded", 2048, [&time] { return time.Now(); });
  reporter.Update(1024);
  time.Advance(std::chrono::seconds(1));
  reporter.Finish(2048);
  const std::string text = out.str();
  EXPECT_NE(text.find("\ruploaded 2.00 KiB in 1.0 s (2.00 KiB/s)\x1b[K\n"), std::string::npos)
      << text;
}

TEST(ProgressReporterTest, ClearErasesDrawnLine) {
  FakeTime time;
  std::ostringstream out;
  ProgressReporter reporter(out, true, "hashing", "hashed", 2048, [&time] { return time.Now(); });
  reporter.Clear();
  EXPECT_EQ(out.str(), "") << "nothing drawn, nothing to erase";
  reporter.Update(1024);
  reporter.Clear();
  EXPECT_EQ(out.str().substr(out.str().size() - 4), "\r\x1b[K");
}

}  // namespace
}  // namespace custody::cli
