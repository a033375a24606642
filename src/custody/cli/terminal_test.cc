#include "custody/cli/terminal.h"

#include <string>

#include <gtest/gtest.h>

namespace custody::cli {
namespace {

TEST(SanitizeForTerminalTest, ReplacesUnsafeCharacters) {
  struct Case {
    std::string input;
    std::string expected;
  };

  const Case cases[] = {
      {"report.pdf", "report.pdf"},
      {"r\xc3\xa9sum\xc3\xa9 \xe6\x9d\xb1\xe4\xba\xac",
       "r\xc3\xa9sum\xc3\xa9 \xe6\x9d\xb1\xe4\xba\xac"},
      {"\x1b[31mred", "?[31mred"},
      {"bell\a", "bell?"},
      {"c1 \xc2\x9b", "c1 ?"},
      {"evil\xe2\x80\xaegnp.exe", "evil?gnp.exe"},  // U+202E right-to-left override
      {"zero\xe2\x80\x8bwidth", "zero?width"},      // U+200B zero-width space
      {"bad \xff byte", "bad ? byte"},
      {"truncated \xe6\x9d", "truncated ??"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(SanitizeForTerminal(c.input), c.expected) << testing::PrintToString(c.input);
  }
}

TEST(RedactUrlTest, DropsQuery) {
  EXPECT_EQ(RedactUrl("https://bucket.s3.us-east-1.amazonaws.com/key?X-Amz-Signature=abc"),
            "https://bucket.s3.us-east-1.amazonaws.com/key");
  EXPECT_EQ(RedactUrl("not a url"), "(invalid URL)");
}

}  // namespace
}  // namespace custody::cli
