#include "custody/cli/hashing.h"

#include <gtest/gtest.h>

#include "custody/cli/test_support.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::cli {
namespace {

using testing::TempDir;

TEST(HashFileTest, KnownDigests) {
  struct Case {
    std::string contents;
    std::string sha256;
    std::string md5;
  };

  // FIPS 180-2 and RFC 1321 test vectors.
  const Case cases[] = {
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
       "900150983cd24fb0d6963f7d28e17f72"},
      {std::string(1000000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
       "7707d6ae4e027c70eea2a935c2296f21"},
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "d41d8cd98f00b204e9800998ecf8427e"},
  };
  TempDir directory;
  for (const Case& c : cases) {
    const auto path = directory.Write("file", c.contents);
    Result<FileDigests> digests = HashFile(path);
    ASSERT_TRUE(digests.ok()) << digests.status().ToString();
    EXPECT_EQ(digests->size, c.contents.size());
    EXPECT_EQ(digests->sha256_hex, c.sha256) << c.contents.size() << " bytes";
    EXPECT_EQ(digests->md5_hex, c.md5) << c.contents.size() << " bytes";
  }
}

TEST(HashFileTest, SpansManyChunks) {
  std::string contents;
  for (size_t i = 0; i < 3 * 1024 * 1024 + 7; ++i) {
    contents.push_back(static_cast<char>((i * 31 + i / 4096) & 0xFF));
  }
  TempDir directory;
  const auto path = directory.Write("large.bin", contents);

  std::vector<uint64_t> reported;
  Result<FileDigests> digests =
      HashFile(path, [&reported](uint64_t bytes) { reported.push_back(bytes); });
  ASSERT_TRUE(digests.ok()) << digests.status().ToString();
  EXPECT_EQ(digests->size, contents.size());
  EXPECT_EQ(digests->sha256_hex, crypto::Sha256Hex(contents));
  EXPECT_EQ(digests->md5_hex, crypto::HexEncode(crypto::Md5(contents)));
  ASSERT_EQ(reported.size(), 4u) << "three full 1 MiB chunks and the rest";
  EXPECT_EQ(reported.back(), contents.size());
}

TEST(HashFileTest, MissingFileIsNotFound) {
  TempDir directory;
  Result<FileDigests> digests = HashFile(directory.path() / "absent");
  ASSERT_FALSE(digests.ok());
  EXPECT_EQ(digests.status().code(), ErrorCode::kNotFound);
}

TEST(HashFileTest, DirectoryIsRejected) {
  TempDir directory;
  Result<FileDigests> digests = HashFile(directory.path());
  ASSERT_FALSE(digests.ok());
  EXPECT_EQ(digests.status().code(), ErrorCode::kInvalidArgument);
}

TEST(HashFileTest, PartMd5sAcrossChunks) {
  std::string contents;
  for (size_t i = 0; i < 2 * 1024 * 1024 + 100; ++i) {
    contents.push_back(static_cast<char>((i * 7 + i / 1000) & 0xFF));
  }
  TempDir directory;
  const auto path = directory.Write("parts.bin", contents);
  // 700 KiB parts do not line up with the 1 MiB read chunks.
  constexpr uint64_t kPartSize = 700 * 1024;
  Result<FileDigests> digests = HashFile(path, {}, kPartSize);
  ASSERT_TRUE(digests.ok()) << digests.status().ToString();
  ASSERT_EQ(digests->part_md5s.size(), 3u);
  for (size_t i = 0; i < digests->part_md5s.size(); ++i) {
    const std::string part = contents.substr(i * kPartSize, kPartSize);
    EXPECT_EQ(digests->part_md5s[i], crypto::HexEncode(crypto::Md5(part))) << "part " << i + 1;
  }
  EXPECT_EQ(digests->md5_hex, crypto::HexEncode(crypto::Md5(contents)));

  const Result<FileDigests> exact = HashFile(path, {}, contents.size());
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->part_md5s, std::vector<std::string>{exact->md5_hex});
  EXPECT_TRUE(HashFile(path)->part_md5s.empty());
}

}  // namespace
}  // namespace custody::cli
