#include "custody/crypto/random.h"

#include <set>

#include <gtest/gtest.h>

namespace custody::crypto {
namespace {

TEST(RandomTest, AlphanumericLengthAndAlphabet) {
  const std::string token = RandomAlphanumeric(40);
  ASSERT_EQ(token.size(), 40u);
  for (char c : token) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << c;
  }
}

TEST(RandomTest, ValuesDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    seen.insert(RandomAlphanumeric(22));
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace custody::crypto
