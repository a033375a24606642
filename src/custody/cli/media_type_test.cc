#include "custody/cli/media_type.h"

#include <gtest/gtest.h>

namespace custody::cli {
namespace {

TEST(GuessMediaTypeTest, Table) {
  const std::pair<std::string, std::string> cases[] = {
      {"report.pdf", "application/pdf"},
      {"REPORT.PDF", "application/pdf"},
      {"rules.csv", "text/csv"},
      {"screen.PNG", "image/png"},
      {"photo.jpeg", "image/jpeg"},
      {"policy.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"export.tar.gz", "application/gzip"},
      {"config.yml", "application/yaml"},
      {"firewall-rules.bin", "application/octet-stream"},
      {"README", "application/octet-stream"},
      {".bashrc", "application/octet-stream"},
      {"trailing.", "application/octet-stream"},
      {"", "application/octet-stream"},
  };
  for (const auto& [name, expected] : cases) {
    EXPECT_EQ(GuessMediaType(name), expected) << name;
  }
}

TEST(IsValidMediaTypeTest, Table) {
  EXPECT_TRUE(IsValidMediaType("application/pdf"));
  EXPECT_TRUE(IsValidMediaType("application/vnd.ms-excel"));
  EXPECT_TRUE(IsValidMediaType("image/svg+xml"));
  EXPECT_FALSE(IsValidMediaType(""));
  EXPECT_FALSE(IsValidMediaType("pdf"));
  EXPECT_FALSE(IsValidMediaType("text/plain; charset=utf-8"));
  EXPECT_FALSE(IsValidMediaType("text/plain/extra"));
  EXPECT_FALSE(IsValidMediaType("/plain"));
  EXPECT_FALSE(IsValidMediaType("text/"));
  EXPECT_FALSE(IsValidMediaType("text/-dash-first"));
  EXPECT_FALSE(IsValidMediaType("text/pl\nain"));
}

}  // namespace
}  // namespace custody::cli
