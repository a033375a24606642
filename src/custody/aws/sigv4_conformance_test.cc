// Runs AWS's published SigV4 test suite (the v4 cases of aws-c-auth's aws-signing-test-suite)
// and the S3 documentation's worked examples against the signer. The files are read at run
// time from CUSTODY_CONFORMANCE_DIR/sigv4.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "custody/aws/sigv4.h"
#include "custody/crypto/hash.h"

namespace custody::aws::sigv4 {
namespace {

namespace fs = std::filesystem;

fs::path SuiteDir() {
  return fs::path(CUSTODY_CONFORMANCE_DIR) / "sigv4";
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

SystemTime ParseTimestamp(const std::string& text) {
  SystemTime time;
  EXPECT_TRUE(ParseRfc3339(text, &time)) << text;
  return time;
}

// request.txt is a raw HTTP request: "METHOD TARGET HTTP/1.1", header lines (a line starting
// with whitespace continues the previous value), a blank line, the body. TARGET may contain
// spaces and raw UTF-8, so the version is split off at the last space.
RequestToSign ParseRawRequest(const std::string& text, std::string* body) {
  RequestToSign request;
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }

  const std::string& request_line = lines.at(0);
  const size_t method_end = request_line.find(' ');
  const size_t version_start = request_line.rfind(' ');
  request.method = request_line.substr(0, method_end);
  const std::string target = request_line.substr(method_end + 1, version_start - method_end - 1);
  const size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) {
    request.query = target.substr(question + 1);
  }

  size_t i = 1;
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    const std::string& line = lines[i];
    if (line[0] == ' ' || line[0] == '\t') {
      request.headers.back().second += " " + line;
      continue;
    }
    const size_t colon = line.find(':');
    request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  body->clear();
  for (size_t j = i + 1; j < lines.size(); ++j) {
    if (j > i + 1) {
      *body += '\n';
    }
    *body += lines[j];
  }
  return request;
}

struct SuiteCase {
  std::string name;
  fs::path dir;
};

std::vector<SuiteCase> LoadSuiteCases() {
  std::vector<SuiteCase> cases;
  const fs::path v4 = SuiteDir() / "v4";
  if (!fs::is_directory(v4)) {
    return cases;
  }
  for (const auto& entry : fs::directory_iterator(v4)) {
    if (entry.is_directory()) {
      cases.push_back({entry.path().filename().string(), entry.path()});
    }
  }
  std::sort(cases.begin(), cases.end(),
            [](const SuiteCase& a, const SuiteCase& b) { return a.name < b.name; });
  return cases;
}

struct Context {
  Credentials credentials;
  SigningConfig config;
  SystemTime time;
  std::chrono::seconds expires{0};
  bool sign_body = false;
  bool sign_session_token = true;
};

Context LoadContext(const fs::path& dir) {
  const auto json = nlohmann::json::parse(ReadFile(dir / "context.json"));
  Context context;
  context.credentials.access_key_id = json["credentials"]["access_key_id"];
  context.credentials.secret_access_key =
      Secret(json["credentials"]["secret_access_key"].get<std::string>());
  if (json["credentials"].contains("token")) {
    context.credentials.session_token = Secret(json["credentials"]["token"].get<std::string>());
  }
  context.config = SigningConfig::ForService(json["region"], json["service"]);
  context.config.normalize_path = json["normalize"].get<bool>();
  context.time = ParseTimestamp(json["timestamp"]);
  context.expires = std::chrono::seconds(json["expiration_in_seconds"].get<int64_t>());
  context.sign_body = json["sign_body"].get<bool>();
  context.sign_session_token = !json.value("omit_session_token", false);
  return context;
}

class SigV4SuiteTest : public testing::TestWithParam<SuiteCase> {
 protected:
  void SetUp() override {
    if (!fs::is_directory(SuiteDir() / "v4")) {
      GTEST_SKIP() << "SigV4 suite not found at " << (SuiteDir() / "v4")
                   << "; the shared conformance folder must sit beside the repository";
    }
  }
};

TEST_P(SigV4SuiteTest, HeaderSigning) {
  const SuiteCase& suite_case = GetParam();
  const Context context = LoadContext(suite_case.dir);
  std::string body;
  RequestToSign request = ParseRawRequest(ReadFile(suite_case.dir / "request.txt"), &body);
  request.payload_hash = crypto::Sha256Hex(body);

  HeaderSigningOptions options;
  options.add_content_sha256_header = context.sign_body;
  options.sign_session_token = context.sign_session_token;
  const auto signed_request =
      SignWithHeaders(&request, context.config, context.credentials, context.time, options);
  ASSERT_TRUE(signed_request.ok()) << signed_request.status().ToString();

  EXPECT_EQ(signed_request->signature.canonical_request,
            ReadFile(suite_case.dir / "header-canonical-request.txt"));
  EXPECT_EQ(signed_request->signature.string_to_sign,
            ReadFile(suite_case.dir / "header-string-to-sign.txt"));
  EXPECT_EQ(signed_request->signature.signature, ReadFile(suite_case.dir / "header-signature.txt"));
  const std::string expected_signed = ReadFile(suite_case.dir / "header-signed-request.txt");
  EXPECT_NE(expected_signed.find("Authorization:" + signed_request->authorization),
            std::string::npos)
      << signed_request->authorization;
}

TEST_P(SigV4SuiteTest, QuerySigning) {
  const SuiteCase& suite_case = GetParam();
  const Context context = LoadContext(suite_case.dir);
  std::string body;
  RequestToSign request = ParseRawRequest(ReadFile(suite_case.dir / "request.txt"), &body);
  request.payload_hash = crypto::Sha256Hex(body);

  QuerySigningOptions options;
  options.expires = context.expires;
  options.sign_session_token = context.sign_session_token;
  const auto signature =
      SignWithQuery(&request, context.config, context.credentials, context.time, options);
  ASSERT_TRUE(signature.ok()) << signature.status().ToString();

  EXPECT_EQ(signature->canonical_request, ReadFile(suite_case.dir / "query-canonical-request.txt"));
  EXPECT_EQ(signature->string_to_sign, ReadFile(suite_case.dir / "query-string-to-sign.txt"));
  EXPECT_EQ(signature->signature, ReadFile(suite_case.dir / "query-signature.txt"));
  EXPECT_NE(request.query.find("X-Amz-Signature=" + signature->signature), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, SigV4SuiteTest, testing::ValuesIn(LoadSuiteCases()),
                         [](const testing::TestParamInfo<SuiteCase>& param_info) {
                           std::string name = param_info.param.name;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SigV4SuiteTest);

TEST(SigV4SuiteFiles, AllCasesPresent) {
  if (!fs::is_directory(SuiteDir() / "v4")) {
    GTEST_SKIP() << "SigV4 suite not found at " << (SuiteDir() / "v4");
  }
  EXPECT_EQ(LoadSuiteCases().size(), 38u);
}

// Splits a canonical request from the S3 documentation back into the request it describes.
struct S3DocRequest {
  RequestToSign request;
  std::vector<std::string> expected_signed_headers;
};

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

TEST(SigV4S3DocsTest, ExamplesMatch) {
  const fs::path file = SuiteDir() / "aws-s3-docs-sigv4-examples.json";
  if (!fs::exists(file)) {
    GTEST_SKIP() << "S3 documentation examples not found at " << file;
  }
  const auto json = nlohmann::json::parse(ReadFile(file));
  Credentials credentials;
  credentials.access_key_id = json["access_key"];
  credentials.secret_access_key = Secret(json["secret_key"].get<std::string>());
  const SigningConfig config = SigningConfig::ForS3(json["region"]);
  ASSERT_EQ(json["service"], "s3");
  const SystemTime time = ParseTimestamp("2013-05-24T00:00:00Z");
  ASSERT_EQ(FormatAmzDate(time), json["x-amz-date"]);
  ASSERT_EQ(json["cases"].size(), 5u);

  for (const auto& example : json["cases"]) {
    SCOPED_TRACE(example["name"].get<std::string>());
    const std::string canonical = example["canonical_request"];
    const std::vector<std::string> lines = SplitLines(canonical);
    ASSERT_GE(lines.size(), 6u);

    RequestToSign request;
    request.method = lines[0];
    request.path = lines[1];
    request.payload_hash = lines.back();
    bool presigned = false;
    std::chrono::seconds expires{0};
    // A presigned example carries the X-Amz-* parameters in its query: sign it again from a
    // query without them, so the parameters SignWithQuery adds are checked too.
    std::string remaining_query;
    std::istringstream query_in(lines[2]);
    std::string parameter;
    while (std::getline(query_in, parameter, '&')) {
      if (parameter.rfind("X-Amz-", 0) == 0) {
        presigned = true;
        if (parameter.rfind("X-Amz-Expires=", 0) == 0) {
          expires = std::chrono::seconds(std::stoll(parameter.substr(14)));
        }
        continue;
      }
      remaining_query += (remaining_query.empty() ? "" : "&") + parameter;
    }
    request.query = remaining_query;
    for (size_t i = 3; i < lines.size() && !lines[i].empty(); ++i) {
      const size_t colon = lines[i].find(':');
      const std::string name = lines[i].substr(0, colon);
      if (!presigned && (name == "x-amz-date" || name == "x-amz-content-sha256")) {
        continue;
      }
      request.headers.emplace_back(name, lines[i].substr(colon + 1));
    }

    std::string actual_canonical;
    std::string actual_signature;
    if (presigned) {
      QuerySigningOptions options;
      options.expires = expires;
      const auto signature = SignWithQuery(&request, config, credentials, time, options);
      ASSERT_TRUE(signature.ok()) << signature.status().ToString();
      actual_canonical = signature->canonical_request;
      actual_signature = signature->signature;
    } else {
      HeaderSigningOptions options;
      options.add_content_sha256_header = true;
      const auto signature = SignWithHeaders(&request, config, credentials, time, options);
      ASSERT_TRUE(signature.ok()) << signature.status().ToString();
      actual_canonical = signature->signature.canonical_request;
      actual_signature = signature->signature.signature;
    }
    EXPECT_EQ(actual_canonical, canonical);
    EXPECT_EQ(actual_signature, example["expected_signature"].get<std::string>());
  }
}

}  // namespace
}  // namespace custody::aws::sigv4
