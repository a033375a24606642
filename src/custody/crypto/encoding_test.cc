#include "custody/crypto/encoding.h"

#include <gtest/gtest.h>

namespace custody::crypto {
namespace {

TEST(EncodingTest, Base64Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(std::string_view(plain)), encoded);
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(EncodingTest, Base64RejectsMalformed) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!", "Zh==", "Zm9=v"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

TEST(EncodingTest, Base64UrlRoundTrip) {
  const std::string bytes("\xfb\xff\xfe", 3);
  EXPECT_EQ(Base64UrlEncode(bytes), "-__-");
  EXPECT_EQ(Base64UrlDecode("-__-"), bytes);
  EXPECT_FALSE(Base64UrlDecode("+//+").has_value());
}

TEST(EncodingTest, HexRoundTrip) {
  EXPECT_EQ(HexEncode(std::string_view("\x00\xab\xff", 3)), "00abff");
  EXPECT_EQ(HexDecode("00ABff"), std::string("\x00\xab\xff", 3));
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

}  // namespace
}  // namespace custody::crypto
