#include <sstream>

#include <gtest/gtest.h>

#include "custody/aws/fake_transport.h"
#include "custody/cli/commands.h"
#include "custody/cli/test_support.h"

namespace custody::cli {
namespace {

using aws::testing::FakeTransport;
using testing::JsonResponse;
using testing::TargetOf;

TEST(FormatTableTest, AlignsColumns) {
  const std::string table = FormatTable(
      {"ID", "KIND", "NAME"},
      {{"ent_1", "business_unit", "Root"}, {"ent_22", "audit_engagement", "SOC 2 2026"}});
  EXPECT_EQ(table,
            "ID      KIND              NAME\n"
            "ent_1   business_unit     Root\n"
            "ent_22  audit_engagement  SOC 2 2026\n");
}

TEST(FormatTableTest, CountsUtf8CharactersAsOneColumn) {
  const std::string table = FormatTable({"NAME", "ID"}, {{"Zürich", "ent_1"}, {"Basel", "ent_2"}});
  EXPECT_EQ(table,
            "NAME    ID\n"
            "Zürich  ent_1\n"
            "Basel   ent_2\n");
}

TEST(FormatTableTest, NeutralizesTerminalEscapes) {
  const std::string table =
      FormatTable({"ID", "NAME"}, {{"ent_1", "evil\x1b]0;owned\x07\x1b[2J\u202Etxt.exe"}});
  EXPECT_EQ(table.find('\x1b'), std::string::npos);
  EXPECT_EQ(table.find('\x07'), std::string::npos);
  EXPECT_EQ(table.find("\u202E"), std::string::npos);
  EXPECT_NE(table.find("evil?]0;owned??[2J?txt.exe"), std::string::npos) << table;
}

class ListTest : public ::testing::Test {
 protected:
  ListTest()
      : transport_([](const aws::HttpRequest& request) -> Result<aws::HttpResponse> {
          const std::string target = TargetOf(request.url);
          if (target == "/api/v1/entities?limit=200") {
            return JsonResponse(
                200,
                R"({"items":[{"id":"ent_1","name":"Root","kind":"business_unit",)"
                R"("parent_id":null,"created_at":"2026-01-01T00:00:00Z"}],"next_cursor":null})");
          }
          if (target == "/api/v1/entities/ent_1/evidence?limit=200") {
            return JsonResponse(200,
                                R"({"items":[{"id":"evd_1","entity_id":"ent_1","title":"Rules",)"
                                R"("created_at":"2026-01-02T00:00:00Z","latest_version":null}],)"
                                R"("next_cursor":null})");
          }
          if (target == "/api/v1/evidence/evd_1/versions?limit=200") {
            return JsonResponse(200,
                                R"({"items":[{"id":"ver_1","evidence_id":"evd_1","number":1,)"
                                R"("file_name":"rules.csv","size":12582912,"status":"stored",)"
                                R"("created_at":"2026-01-03T00:00:00Z"}],"next_cursor":null})");
          }
          return testing::ProblemResponse(404, "not found");
        }),
        api_(transport_, "https://custody.example", Secret("t")),
        context_{api_,
                 transport_,
                 out_,
                 err_,
                 false,
                 ResumeQueue("/nonexistent"),
                 SystemClock::Instance(),
                 [](std::chrono::milliseconds) {
                 }} {}

  FakeTransport transport_;
  ApiClient api_;
  std::ostringstream out_;
  std::ostringstream err_;
  CommandContext context_;
};

TEST_F(ListTest, Entities) {
  ASSERT_TRUE(RunList(context_, ListOptions{}).ok());
  EXPECT_EQ(out_.str(),
            "ID     KIND           PARENT  NAME\n"
            "ent_1  business_unit  -       Root\n");
}

TEST_F(ListTest, EvidenceOfEntity) {
  ListOptions options;
  options.entity_id = "ent_1";
  ASSERT_TRUE(RunList(context_, options).ok());
  EXPECT_EQ(out_.str(),
            "ID     LATEST  CREATED               TITLE\n"
            "evd_1  -       2026-01-02T00:00:00Z  Rules\n");
}

TEST_F(ListTest, VersionsOfEvidence) {
  ListOptions options;
  options.evidence_id = "evd_1";
  ASSERT_TRUE(RunList(context_, options).ok());
  EXPECT_EQ(out_.str(),
            "ID     NUMBER  STATUS  SIZE      CREATED               FILE NAME\n"
            "ver_1  1       stored  12.0 MiB  2026-01-03T00:00:00Z  rules.csv\n");
}

TEST_F(ListTest, JsonIsTheServersObjects) {
  ListOptions options;
  options.entity_id = "ent_1";
  options.json = true;
  ASSERT_TRUE(RunList(context_, options).ok());
  EXPECT_EQ(out_.str(),
            "[\n"
            R"(  {"created_at":"2026-01-02T00:00:00Z","entity_id":"ent_1","id":"evd_1",)"
            R"("latest_version":null,"title":"Rules"})"
            "\n]\n");
}

TEST_F(ListTest, NotFoundPropagates) {
  ListOptions options;
  options.entity_id = "ent_missing";
  EXPECT_EQ(RunList(context_, options).code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace custody::cli
