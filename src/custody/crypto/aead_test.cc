#include "custody/crypto/aead.h"

#include <gtest/gtest.h>

#include "custody/crypto/random.h"

namespace custody::crypto {
namespace {

TEST(AeadTest, SealThenOpen) {
  const Secret key(RandomBytes(kAeadKeySize));
  Result<std::string> sealed = SealAes256Gcm(key, Secret("client-secret"), "org_1");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("client-secret"), std::string::npos);
  Result<Secret> opened = OpenAes256Gcm(key, *sealed, "org_1");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->Reveal(), "client-secret");
}

TEST(AeadTest, NoncesDiffer) {
  const Secret key(RandomBytes(kAeadKeySize));
  EXPECT_NE(*SealAes256Gcm(key, Secret("x"), ""), *SealAes256Gcm(key, Secret("x"), ""));
}

TEST(AeadTest, RejectsChangedInputs) {
  const Secret key(RandomBytes(kAeadKeySize));
  const std::string sealed = *SealAes256Gcm(key, Secret("client-secret"), "org_1");
  EXPECT_FALSE(OpenAes256Gcm(key, sealed, "org_2").ok());
  EXPECT_FALSE(OpenAes256Gcm(Secret(RandomBytes(kAeadKeySize)), sealed, "org_1").ok());
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string changed = sealed;
    changed[i] ^= 0x01;
    EXPECT_FALSE(OpenAes256Gcm(key, changed, "org_1").ok()) << "byte " << i;
  }
  EXPECT_FALSE(OpenAes256Gcm(key, sealed.substr(0, 20), "org_1").ok());
  EXPECT_FALSE(SealAes256Gcm(Secret("short"), Secret("x"), "").ok());
}

}  // namespace
}  // namespace custody::crypto
