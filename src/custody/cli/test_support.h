// Helpers shared by the CLI's unit tests: temporary directories, a fake environment and
// canned server responses.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "custody/aws/http_transport.h"
#include "custody/cli/config.h"
#include "custody/crypto/random.h"

namespace custody::cli::testing {

// A fresh directory under the system temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("custody-cli-test-" + crypto::RandomAlphanumeric(12))) {
    std::filesystem::create_directories(path_);
  }

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::filesystem::path& path() const { return path_; }

  std::filesystem::path Write(const std::string& name, const std::string& contents) const {
    const std::filesystem::path file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << contents;
    return file;
  }

  // Names of the entries in the directory, sorted.
  std::vector<std::string> List() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline EnvironmentLookup FakeEnvironment(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
    const auto it = variables.find(std::string(name));
    if (it == variables.end() || it->second.empty()) {
      return std::nullopt;
    }
    return it->second;
  };
}

inline aws::HttpResponse JsonResponse(int status, std::string body) {
  aws::HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = std::move(body);
  return response;
}

inline aws::HttpResponse ProblemResponse(int status, const std::string& detail,
                                         const std::string& field = "") {
  aws::HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/problem+json");
  response.body = R"({"type":"urn:custody:problem:x","title":"t","status":)" +
                  std::to_string(status) + R"(,"detail":")" + detail + "\"";
  if (!field.empty()) {
    response.body += R"(,"field":")" + field + "\"";
  }
  response.body += "}";
  return response;
}

inline aws::HttpResponse S3ErrorResponse(int status, const std::string& code,
                                         const std::string& message) {
  aws::HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/xml");
  response.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
                  "</Code><Message>" + message +
                  "</Message><CanonicalRequest>PUT /b/k X-Amz-Security-Token=SECRETTOKEN"
                  "</CanonicalRequest></Error>";
  return response;
}

// The request line's path and query of an absolute URL.
inline std::string TargetOf(const std::string& url) {
  const size_t scheme_end = url.find("://");
  const size_t path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  return path_start == std::string::npos ? "/" : url.substr(path_start);
}

}  // namespace custody::cli::testing
