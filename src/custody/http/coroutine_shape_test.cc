// Scans the sources for two coroutine shapes that g++ 12.2 miscompiles: a braced list as an
// argument inside a co_await expression (`co_await f({...})`, a bogus compile error) and a
// lambda with captures inside a co_await expression (freed twice at run time with -O2). Both
// are fixed by moving the value or the lambda into a named variable first.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

// Returns each co_await expression in `text`, from "co_await" to the end of its statement.
std::vector<std::string> CoAwaitStatements(const std::string& text) {
  std::vector<std::string> statements;
  size_t start = 0;
  while ((start = text.find("co_await", start)) != std::string::npos) {
    const size_t end = text.find(';', start);
    statements.push_back(text.substr(start, end == std::string::npos ? end : end - start));
    start += 8;
  }
  return statements;
}

bool HasMiscompiledShape(const std::string& statement) {
  static const std::regex kBracedArgument(R"([(,]\s*\{)");
  static const std::regex kCapturingLambda(R"(\[[^\]\s][^\]]*\]\s*(\([^)]*\))?\s*(mutable\s*)?\{)");
  return std::regex_search(statement, kBracedArgument) ||
         std::regex_search(statement, kCapturingLambda);
}

TEST(CoroutineShape, DetectorFindsBothShapes) {
  EXPECT_TRUE(HasMiscompiledShape("co_await Send({1, 2})"));
  EXPECT_TRUE(HasMiscompiledShape("co_await Run(x, {.a = 1})"));
  EXPECT_TRUE(HasMiscompiledShape("co_await Post([this] { Work(); })"));
  EXPECT_TRUE(HasMiscompiledShape("co_await Post([&value](int n) mutable { value += n; })"));
  EXPECT_FALSE(HasMiscompiledShape("co_await Post([] { Work(); })"));
  EXPECT_FALSE(HasMiscompiledShape("co_await stream.async_read_some(buffer.prepare(n), token)"));
  EXPECT_FALSE(HasMiscompiledShape("co_await Read(items[i], token)"));
}

TEST(CoroutineShape, SourcesAvoidMiscompiledShapes) {
  const std::filesystem::path root = std::filesystem::path(CUSTODY_SOURCE_DIR) / "src";
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string extension = entry.path().extension().string();
    if (!entry.is_regular_file() || (extension != ".cc" && extension != ".h") ||
        entry.path().filename() == "coroutine_shape_test.cc") {
      continue;
    }
    ++files;
    std::ifstream file(entry.path());
    std::stringstream text;
    text << file.rdbuf();
    for (const std::string& statement : CoAwaitStatements(text.str())) {
      EXPECT_FALSE(HasMiscompiledShape(statement))
          << entry.path() << ": move the braced list or capturing lambda out of:\n"
          << statement;
    }
  }
  EXPECT_GT(files, 0u);
}

}  // namespace
