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

}  // namespace
}  // namespace custody::cli
