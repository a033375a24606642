#include "custody/evidence/validation.h"

#include <gtest/gtest.h>

namespace custody::evidence {
namespace {

TEST(ValidationTest, FileNames) {
  struct Case {
    std::string name;
    bool valid;
  };

  const Case cases[] = {
      {"report.pdf", true},
      {"Q3 access review (final).xlsx", true},
      {"\xc3\xa9t\xc3\xa9.png", true},  // "été.png"
      {"", false},
      {".", false},
      {"..", false},
      {"../etc/passwd", false},
      {"a/b.txt", false},
      {"a\\b.txt", false},
      {std::string("a\0b", 3), false},
      {"line\nbreak", false},
      {"tab\there", false},
      {"\x7f", false},
      {"\xc2\x85next-line", false},        // U+0085, a C1 control
      {"\xff\xfe", false},                 // not UTF-8
      {"\xc0\xaf", false},                 // overlong '/'
      {"\xed\xa0\x80", false},             // a UTF-16 surrogate
      {"evil\xe2\x80\xaegnp.exe", false},  // U+202E shows it as "evilexe.png"
      {"a\xe2\x80\x8b.txt", false},        // U+200B zero-width space
      {" leading", false},
      {"trailing ", false},
      {std::string(255, 'a'), true},
      {std::string(256, 'a'), false},
  };
  for (const Case& c : cases) {
    const Status status = ValidateFileName(c.name);
    EXPECT_EQ(status.ok(), c.valid) << "name: " << c.name << " status: " << status.ToString();
    if (!status.ok()) {
      EXPECT_EQ(status.field(), "/file_name");
    }
  }
}

TEST(ValidationTest, Sizes) {
  EXPECT_FALSE(ValidateSize(0).ok());
  EXPECT_FALSE(ValidateSize(-1).ok());
  EXPECT_TRUE(ValidateSize(1).ok());
  EXPECT_TRUE(ValidateSize(kMaxSinglePutBytes).ok());
  EXPECT_FALSE(ValidateSize(kMaxSinglePutBytes + 1).ok());
  EXPECT_EQ(ValidateSize(0).field(), "/size");
}

TEST(ValidationTest, HexDigests) {
  const std::string sha(64, 'a');
  EXPECT_TRUE(ValidateHexDigest(sha, 64, "sha256").ok());
  EXPECT_FALSE(ValidateHexDigest(std::string(63, 'a'), 64, "sha256").ok());
  EXPECT_FALSE(ValidateHexDigest(std::string(64, 'A'), 64, "sha256").ok());
  EXPECT_FALSE(ValidateHexDigest(std::string(64, 'g'), 64, "sha256").ok());
  EXPECT_EQ(ValidateHexDigest("", 32, "md5").field(), "/md5");
}

TEST(ValidationTest, MediaTypes) {
  for (const char* good : {"application/pdf", "image/png", "application/vnd.ms-excel", "text/plain",
                           "application/ld+json"}) {
    EXPECT_TRUE(ValidateMediaType(good).ok()) << good;
  }
  for (const char* bad : {"", "pdf", "/pdf", "application/", "text/plain; charset=utf-8",
                          "text/pl ain", "a/b/c", "text/\n"}) {
    EXPECT_FALSE(ValidateMediaType(bad).ok()) << bad;
  }
}

TEST(ValidationTest, TitlesAndDescriptions) {
  EXPECT_TRUE(ValidateTitle("Access review Q3", "title", kMaxTitleBytes).ok());
  EXPECT_FALSE(ValidateTitle("", "title", kMaxTitleBytes).ok());
  EXPECT_FALSE(ValidateTitle("two\nlines", "title", kMaxTitleBytes).ok());
  EXPECT_FALSE(ValidateTitle(std::string(201, 'x'), "title", kMaxTitleBytes).ok());
  EXPECT_TRUE(ValidateDescription("", "description", kMaxDescriptionBytes).ok());
  EXPECT_TRUE(ValidateDescription("line one\nline two", "description", kMaxDescriptionBytes).ok());
  EXPECT_FALSE(ValidateDescription("bell\a", "description", kMaxDescriptionBytes).ok());
}

}  // namespace
}  // namespace custody::evidence
