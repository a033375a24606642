#include "custody/common/log.h"

#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace custody::log {
namespace {

TEST(LogFormat, FixedFieldsComeFirst) {
  const std::string line = FormatLine("2026-12-04T16:19:18.123Z", Level::kInfo, "listening",
                                      {{"address", "127.0.0.1"}, {"port", 8080}});
  EXPECT_EQ(line, R"({"ts":"2026-12-04T16:19:18.123Z","level":"info","msg":"listening",)"
                  R"("address":"127.0.0.1","port":8080})");
}

TEST(LogFormat, ValueTypes) {
  const std::string line = FormatLine(
      "t", Level::kWarn, "m",
      {{"flag", true}, {"negative", -3}, {"big", uint64_t{18446744073709551615u}}, {"ms", 1.5}});
  EXPECT_EQ(line, R"({"ts":"t","level":"warn","msg":"m","flag":true,"negative":-3,)"
                  R"("big":18446744073709551615,"ms":1.500})");
}

TEST(LogEscape, QuotesAndControlCharacters) {
  std::string out;
  AppendJsonEscaped("a\"b\\c\nd\x01\x7f", &out);
  EXPECT_EQ(out, "a\\\"b\\\\c\\nd\\u0001\\u007f");
}

TEST(LogEscape, KeepsValidUtf8) {
  std::string out;
  AppendJsonEscaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", &out);
  EXPECT_EQ(out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST(LogEscape, ReplacesInvalidUtf8) {
  struct Case {
    std::string input;
    std::string expected;
  };

  const Case cases[] = {
      {"\xff", "\\ufffd"},                        // never valid
      {"\xc3", "\\ufffd"},                        // truncated
      {"\xc0\xaf", "\\ufffd\\ufffd"},             // overlong '/'
      {"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"},  // surrogate
      {"a\xe2\x82", "a\\ufffd\\ufffd"},           // truncated at end
  };
  for (const Case& c : cases) {
    std::string out;
    AppendJsonEscaped(c.input, &out);
    EXPECT_EQ(out, c.expected);
  }
}

TEST(LogWrite, HonorsLevelAndWritesOneLine) {
  std::ostringstream out;
  Init(Level::kWarn, &out);
  Info("dropped");
  Warn("kept", {{"request_id", "abc"}});
  Init(Level::kInfo);
  const std::string text = out.str();
  EXPECT_EQ(text.find("dropped"), std::string::npos);
  EXPECT_NE(text.find(R"("level":"warn","msg":"kept","request_id":"abc"})"), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1);
}

TEST(LogLevel, ParsesKnownNames) {
  Level level = Level::kInfo;
  EXPECT_TRUE(ParseLevel("debug", &level));
  EXPECT_EQ(level, Level::kDebug);
  EXPECT_TRUE(ParseLevel("error", &level));
  EXPECT_EQ(level, Level::kError);
  EXPECT_FALSE(ParseLevel("verbose", &level));
  EXPECT_FALSE(ParseLevel("INFO", &level));
}

}  // namespace
}  // namespace custody::log
