#include "custody/store/testing.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace custody::store {
namespace {

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "TempDatabase: %s\n", message.c_str());
  std::abort();
}

}  // namespace

TempDatabase::TempDatabase(Options options) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") + "/custody-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    Fail("creating a temporary directory from " + pattern + " failed");
  }
  directory_ = pattern;
  path_ = directory_ + "/custody.db";
  Reopen(std::move(options));
}

TempDatabase::~TempDatabase() {
  database_.reset();
  std::error_code error;
  std::filesystem::remove_all(directory_, error);
}

void TempDatabase::Reopen(Options options) {
  database_.reset();
  Result<std::unique_ptr<Database>> opened = Database::Open(path_, std::move(options));
  if (!opened.ok()) {
    Fail("opening " + path_ + " failed: " + opened.status().ToString());
  }
  database_ = std::move(opened).value();
}

}  // namespace custody::store
