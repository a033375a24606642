#include "custody/crypto/hash.h"

#include <gtest/gtest.h>

#include "custody/crypto/encoding.h"

namespace custody::crypto {
namespace {

TEST(HashTest, Sha256KnownVectors) {
  // FIPS 180-4 examples.
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, Md5KnownVector) {
  // RFC 1321 appendix A.5.
  EXPECT_EQ(HexEncode(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(HashTest, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HashTest, StreamingMatchesOneShot) {
  StreamingHash sha(StreamingHash::Algorithm::kSha256);
  StreamingHash md5(StreamingHash::Algorithm::kMd5);
  for (const char* part : {"a", "b", "c"}) {
    sha.Update(part);
    md5.Update(part);
  }
  EXPECT_EQ(HexEncode(sha.Finish()), Sha256Hex("abc"));
  EXPECT_EQ(HexEncode(md5.Finish()), HexEncode(Md5("abc")));
}

TEST(HashTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace custody::crypto
