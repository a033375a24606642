#include "custody/store/ids.h"

#include <set>

#include <gtest/gtest.h>

namespace custody::store {
namespace {

TEST(IdsTest, NewIdHasPrefixAndLength) {
  const std::string id = NewId(kEvidenceIdPrefix);
  EXPECT_EQ(id.size(), 4 + kIdRandomLength);
  EXPECT_TRUE(id.starts_with("evd_"));
  EXPECT_TRUE(IsWellFormedId(id, kEvidenceIdPrefix));
}

TEST(IdsTest, NewIdsDiffer) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.insert(NewId(kUserIdPrefix));
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(IdsTest, WellFormedRejectsOthers) {
  const char* bad[] = {
      "",
      "evd_",
      "evd_123456789012345678901",    // 21 characters
      "evd_12345678901234567890123",  // 23 characters
      "usr_1234567890123456789012",   // other prefix
      "evd_12345678901234567890-2",
      "evd_1234567890123456789 12",
      "EVD_1234567890123456789012",
  };
  for (const char* id : bad) {
    EXPECT_FALSE(IsWellFormedId(id, kEvidenceIdPrefix)) << id;
  }
  EXPECT_TRUE(IsWellFormedId("evd_1234567890abcdefghiJKL", kEvidenceIdPrefix));
}

}  // namespace
}  // namespace custody::store
