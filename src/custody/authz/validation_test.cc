#include "custody/authz/validation.h"

#include <gtest/gtest.h>

namespace custody::authz {
namespace {

TEST(ValidateNameTest, AcceptsPlainAndUnicodeNames) {
  const char* good[] = {"Acme", "SOC 2 Type II (2026)", "Zürich AG", "東京支社", "a"};
  for (const char* name : good) {
    EXPECT_TRUE(ValidateName(name, "/name", 200).ok()) << name;
  }
}

TEST(ValidateNameTest, CountsCharactersNotBytes) {
  std::string two_hundred;
  for (int i = 0; i < 200; ++i) {
    two_hundred += "é";  // 2 bytes each
  }
  EXPECT_TRUE(ValidateName(two_hundred, "/name", 200).ok());
  EXPECT_FALSE(ValidateName(two_hundred + "e", "/name", 200).ok());
}

TEST(ValidateNameTest, RejectsBadNames) {
  const std::string bad[] = {
      "",
      " leading",
      "trailing ",
      "line\nbreak",
      "tab\there",
      std::string("nul\0byte", 8),
      "delete\x7f",
      "c1 \xc2\x85 next line",
      "\xff\xfe",
      "\xc0\xaf",      // overlong '/'
      "\xed\xa0\x80",  // surrogate
      "truncated \xe6\x9d",
      "Finance\xe2\x80\xae"
      "tnemegnE",  // U+202E right-to-left override
      "Audit\xe2\x80\x8b"
      "2026",  // U+200B zero-width space
  };
  for (const std::string& name : bad) {
    Status status = ValidateName(name, "/name", 200);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << name;
    EXPECT_EQ(status.field(), "/name") << name;
  }
}

}  // namespace
}  // namespace custody::authz
