#include "custody/common/text.h"

#include <string>

#include <gtest/gtest.h>

namespace custody {
namespace {

TEST(TextTest, DecodeRejectsMalformedUtf8) {
  const std::string bad[] = {"\xff",     "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                             "\xe2\x82", "\x80"};
  for (const std::string& text : bad) {
    EXPECT_FALSE(IsValidUtf8(text)) << testing::PrintToString(text);
  }
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac \xf0\x9f\x98\x80 plain"));
}

TEST(TextTest, ReadableTextRejectsDeceptiveCharacters) {
  struct Case {
    std::string text;
    bool accepted;
  };

  const Case cases[] = {
      {"report.pdf", true},
      {"r\xc3\xa9sum\xc3\xa9", true},
      {"\xd9\x85\xe2\x80\x8c\xd9\x86", true},                  // ZWNJ inside Persian text
      {"\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb", true},  // ZWJ emoji sequence
      {"evil\xe2\x80\xaegnp.exe", false},                      // U+202E right-to-left override
      {"a\xe2\x81\xa6"
       "b",
       false},  // U+2066 left-to-right isolate
      {"a\xe2\x80\x8f"
       "b",
       false},                           // U+200F right-to-left mark
      {"zero\xe2\x80\x8bwidth", false},  // U+200B zero-width space
      {"\xef\xbb\xbf"
       "bom",
       false},  // U+FEFF byte order mark
      {"a\xd8\x9c"
       "b",
       false},  // U+061C Arabic letter mark
      {"tab\there", false},
      {"line\nbreak", false},
      {"\xc2\x85", false},  // U+0085, a C1 control
  };
  for (const Case& c : cases) {
    const Status status = CheckReadableText(c.text, "/name");
    EXPECT_EQ(status.ok(), c.accepted)
        << testing::PrintToString(c.text) << " " << status.ToString();
  }
}

TEST(TextTest, NewlinesAllowedOnlyWhenAsked) {
  EXPECT_TRUE(CheckReadableText("one\ntwo\tthree", "/description", {.allow_newlines = true}).ok());
  EXPECT_FALSE(CheckReadableText("bell\a", "/description", {.allow_newlines = true}).ok());
  EXPECT_FALSE(CheckReadableText("a\xe2\x80\xae"
                                 "b",
                                 "/description", {.allow_newlines = true})
                   .ok());
}

TEST(TextTest, ErrorNamesField) {
  const Status status = CheckReadableText("x\xe2\x80\xaey", "/file_name");
  EXPECT_EQ(status.field(), "/file_name");
  EXPECT_NE(status.message().find("file_name"), std::string::npos);
}

}  // namespace
}  // namespace custody
