// Tests of the api module through its router, on a real database, with a fake AWS transport.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "custody/api/creator_names.h"
#include "custody/api/handler_support.h"
#include "custody/api/routes.h"
#include "custody/audit/audit_log.h"
#include "custody/audit/checkpoint_signer.h"
#include "custody/aws/fake_transport.h"
#include "custody/crypto/encoding.h"
#include "custody/identity/bootstrap.h"
#include "custody/store/page_cursor.h"
#include "custody/store/testing.h"

namespace custody::api {
namespace {

using nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  ApiTest()
      : transport_([](const aws::HttpRequest&) { return aws::testing::Respond(503, ""); }),
        sts_(transport_, aws::Credentials{}, "https://sts.example.test", "us-east-1", clock_),
        cache_(sts_, clock_),
        s3_(transport_, clock_),
        evidence_(temp_.db(), clock_, cache_, s3_, evidence::EvidenceOptions{}),
        api_{temp_.db(), clock_, evidence_, cache_, "https://custody.example.test", false} {}

  void SetUp() override {
    for (const char* name : {"Acme", "Globex"}) {
      Result<identity::BootstrapResult> created =
          identity::Bootstrap(temp_.db(), clock_, name, std::string("admin@") + name + ".test", "");
      ASSERT_TRUE(created.ok()) << created.status().ToString();
      organizations_.push_back(std::move(created).value());
    }
    RegisterApiRoutes(router_, api_);
  }

  const identity::BootstrapResult& acme() const { return organizations_[0]; }

  const identity::BootstrapResult& globex() const { return organizations_[1]; }

  std::string AcmeToken() const { return acme().token.value.Reveal(); }

  // Sends a request through the router as the server would, after splitting the path.
  http::Response Send(const std::string& method, const std::string& path, const std::string& token,
                      const std::string& body = "", std::map<std::string, std::string> query = {}) {
    http::Request request;
    request.method = method;
    request.path = path;
    request.query = std::move(query);
    request.request_id = "req-" + std::to_string(++requests_);
    request.remote_address = "127.0.0.1:40000";
    if (!token.empty()) {
      request.headers.Add("Authorization", "Bearer " + token);
    }
    if (!body.empty()) {
      request.headers.Add("Content-Type", "application/json");
      request.body = body;
    }
    std::vector<std::string> segments;
    size_t start = 1;
    while (start <= path.size()) {
      const size_t end = std::min(path.find('/', start), path.size());
      segments.push_back(path.substr(start, end - start));
      start = end + 1;
    }
    last_request_id_ = request.request_id;
    return router_.Dispatch(request, segments);
  }

  // The records of the last request, in the organization `organization_id` ("" for
  // unauthenticated requests).
  std::vector<audit::Record> LastRecords(const std::string& organization_id) {
    std::vector<audit::Record> found;
    const Status read = temp_.db().Read([&](store::Transaction& tx) -> Status {
      CUSTODY_ASSIGN_OR_RETURN(audit::RecordPage page,
                               audit::List(tx, organization_id, std::nullopt, 200));
      for (const audit::StoredRecord& stored : page.records) {
        if (stored.record.request_id == last_request_id_) {
          found.push_back(stored.record);
        }
      }
      return Status::Ok();
    });
    EXPECT_TRUE(read.ok()) << read.ToString();
    return found;
  }

  static json Body(const http::Response& response) { return json::parse(response.body); }

  FixedClock clock_{FromUnixSeconds(1'800'000'000)};
  store::TempDatabase temp_;
  aws::testing::FakeTransport transport_;
  aws::StsClient sts_;
  aws::CredentialCache cache_;
  aws::S3Client s3_;
  evidence::EvidenceService evidence_;
  ApiContext api_;
  http::Router router_;
  std::vector<identity::BootstrapResult> organizations_;
  std::string last_request_id_;
  int requests_ = 0;
};

TEST_F(ApiTest, MeDescribesCaller) {
  const http::Response response = Send("GET", "/api/v1/me", AcmeToken());
  ASSERT_EQ(response.status, 200) << response.body;
  const json me = Body(response);
  EXPECT_EQ(me["user"]["id"], acme().admin.id);
  EXPECT_EQ(me["organization"]["root_entity_id"], acme().root_entity.id);
  ASSERT_EQ(me["role_assignments"].size(), 1u);
  EXPECT_EQ(me["role_assignments"][0]["role"], "admin");
}

TEST_F(ApiTest, MissingTokenIsRecorded) {
  const http::Response response = Send("GET", "/api/v1/me", "");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.headers.Get("WWW-Authenticate"), "Bearer");
  const std::vector<audit::Record> records = LastRecords("");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].actor, "anonymous");
  EXPECT_EQ(records[0].decision, "deny");
  EXPECT_EQ(records[0].reason, "token_missing");
}

TEST_F(ApiTest, BadTokensAllAnswerAlike) {
  std::string token = AcmeToken();
  const std::string wrong_secret =
      token.substr(0, token.size() - 1) + (token.back() == 'A' ? "B" : "A");
  std::vector<std::string> bodies;
  for (const std::string& bad : {std::string("not-a-token"), wrong_secret}) {
    const http::Response response = Send("GET", "/api/v1/me", bad);
    EXPECT_EQ(response.status, 401) << bad;
    bodies.push_back(response.body);
  }
  EXPECT_EQ(bodies[0], bodies[1]);
  const std::vector<audit::Record> records = LastRecords("");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].reason, "token_mismatch");
}

TEST_F(ApiTest, OutOfScopeEntityMatchesMissing) {
  const std::string foreign = "/api/v1/entities/" + globex().root_entity.id;
  const std::string missing = "/api/v1/entities/ent_AAAAAAAAAAAAAAAAAAAAAA";
  const http::Response hidden = Send("GET", foreign, AcmeToken());
  const std::vector<audit::Record> hidden_records = LastRecords(acme().organization.id);
  const http::Response absent = Send("GET", missing, AcmeToken());
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.body, absent.body);
  EXPECT_EQ(hidden.headers.size(), absent.headers.size());
  ASSERT_EQ(hidden_records.size(), 1u);
  EXPECT_EQ(hidden_records[0].decision, "deny");
  EXPECT_EQ(hidden_records[0].resource, "entity/" + globex().root_entity.id);
}

TEST_F(ApiTest, MalformedIdNamesParameter) {
  const http::Response response = Send("GET", "/api/v1/entities/ent_short", AcmeToken());
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Body(response)["field"], "entity_id");
  const std::vector<audit::Record> records = LastRecords(acme().organization.id);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].reason, "invalid_argument");
  EXPECT_EQ(records[0].actor, acme().admin.id);
}

TEST_F(ApiTest, PageParametersChecked) {
  struct Case {
    std::map<std::string, std::string> query;
    std::string field;
  };

  const std::vector<Case> cases = {
      {{{"limit", "0"}}, "limit"},  {{{"limit", "201"}}, "limit"},   {{{"limit", "ten"}}, "limit"},
      {{{"limit", "-1"}}, "limit"}, {{{"limit", "+5"}}, "limit"},    {{{"after", "x1"}}, "after"},
      {{{"after", "-3"}}, "after"}, {{{"colour", "red"}}, "colour"},
  };
  for (const Case& c : cases) {
    const http::Response response = Send("GET", "/api/v1/entities", AcmeToken(), "", c.query);
    EXPECT_EQ(response.status, 400) << c.query.begin()->first << "=" << c.query.begin()->second;
    EXPECT_EQ(Body(response)["field"], c.field);
  }
}

TEST_F(ApiTest, EntitiesPageWithCursor) {
  for (int i = 0; i < 3; ++i) {
    const json body = {{"name", "Unit " + std::to_string(i)},
                       {"kind", "business_unit"},
                       {"parent_id", acme().root_entity.id}};
    ASSERT_EQ(Send("POST", "/api/v1/entities", AcmeToken(), body.dump()).status, 201);
  }
  std::vector<std::string> names;
  std::map<std::string, std::string> query = {{"limit", "2"}};
  for (int page = 0; page < 5; ++page) {
    const http::Response response = Send("GET", "/api/v1/entities", AcmeToken(), "", query);
    ASSERT_EQ(response.status, 200) << response.body;
    const json list = Body(response);
    for (const json& item : list["items"]) {
      names.push_back(item["name"]);
    }
    if (list["next_cursor"].is_null()) {
      break;
    }
    query["after"] = list["next_cursor"];
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Unit 2", "Unit 1", "Unit 0", "Acme"}));
}

TEST_F(ApiTest, CursorCarriesIdNotRowNumber) {
  const json body = {
      {"name", "Unit"}, {"kind", "business_unit"}, {"parent_id", acme().root_entity.id}};
  const http::Response created = Send("POST", "/api/v1/entities", AcmeToken(), body.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const http::Response response =
      Send("GET", "/api/v1/entities", AcmeToken(), "", {{"limit", "1"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json cursor = Body(response)["next_cursor"];
  ASSERT_TRUE(cursor.is_string()) << response.body;
  const Result<std::string> key = DecodeCursor(cursor.get<std::string>());
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(*key, Body(created)["id"]);
}

TEST_F(ApiTest, CursorCodecRejectsMalformed) {
  EXPECT_EQ(DecodeCursor(EncodeCursor("ent_abc")).value(), "ent_abc");
  for (const std::string& cursor : {std::string("176"), std::string("x1"), std::string(""),
                                    EncodeCursor(""), crypto::Base64UrlEncode("v2:ent_abc"),
                                    EncodeCursor("ent_a'b"), EncodeCursor(std::string(65, 'a'))}) {
    const Result<std::string> key = DecodeCursor(cursor);
    EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument) << cursor;
    EXPECT_EQ(key.status().message(), store::InvalidCursorError().message()) << cursor;
  }
}

// Another organization's cursor, a malformed cursor and a well-formed cursor naming an unknown id
// must produce the same response, so that a cursor cannot probe other organizations.
TEST_F(ApiTest, ForeignCursorLooksMalformed) {
  const std::string globex_token = globex().token.value.Reveal();

  struct Case {
    std::string path;
    std::string acme_key;
  };

  const std::vector<Case> cases = {
      {"/api/v1/entities", acme().root_entity.id},
      {"/api/v1/users", acme().admin.id},
      {"/api/v1/tokens", acme().token.token.id},
      {"/api/v1/role-assignments", acme().admin_role.id},
      // Each organization has its own audit log from seq 0, so the audit case is a seq past the
      // end of globex's log.
      {"/api/v1/audit-records", "1000000"},
  };
  for (const Case& c : cases) {
    const http::Response malformed =
        Send("GET", c.path, globex_token, "", {{"after", "not-a-cursor"}});
    const http::Response unknown = Send("GET", c.path, globex_token, "",
                                        {{"after", EncodeCursor("x_0000000000000000000000")}});
    const http::Response foreign =
        Send("GET", c.path, globex_token, "", {{"after", EncodeCursor(c.acme_key)}});
    for (const http::Response* response : {&malformed, &unknown, &foreign}) {
      EXPECT_EQ(response->status, 400) << c.path << " " << response->body;
      EXPECT_EQ(Body(*response)["field"], "after") << c.path;
      EXPECT_EQ(Body(*response)["detail"], Body(malformed)["detail"]) << c.path;
    }
    const std::vector<audit::Record> records = LastRecords(globex().organization.id);
    ASSERT_EQ(records.size(), 1u) << c.path;
    EXPECT_EQ(records[0].decision, audit::kDecisionDeny) << c.path;
  }
}

TEST_F(ApiTest, AuditCursorIsOpaque) {
  const http::Response response =
      Send("GET", "/api/v1/audit-records", AcmeToken(), "", {{"limit", "1"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json list = Body(response);
  ASSERT_TRUE(list["next_cursor"].is_string()) << response.body;
  const std::string cursor = list["next_cursor"];
  EXPECT_NE(cursor, std::to_string(list["items"][0]["seq"].get<int64_t>()));
  const http::Response next =
      Send("GET", "/api/v1/audit-records", AcmeToken(), "", {{"limit", "1"}, {"after", cursor}});
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_GT(Body(next)["items"][0]["seq"].get<int64_t>(), list["items"][0]["seq"].get<int64_t>());
}

// A non-admin acting on an id they do not own must get the same response whether the id exists
// or not, so that ids cannot be probed. The audit record keeps the true reason.
TEST_F(ApiTest, NonAdminCannotProbeAdminIds) {
  const auto create = [&](const std::string& path, const json& body) {
    const http::Response response = Send("POST", path, AcmeToken(), body.dump());
    EXPECT_EQ(response.status, 201) << path << " " << response.body;
    return Body(response);
  };
  const json member =
      create("/api/v1/users", {{"email", "member@acme.test"}, {"display_name", "Member"}});
  const std::string member_token =
      create("/api/v1/tokens", {{"name", "member"}, {"user_id", member["id"]}})["token"];
  const json other =
      create("/api/v1/users", {{"email", "other@acme.test"}, {"display_name", "Other"}});
  const std::string other_token_id =
      create("/api/v1/tokens", {{"name", "other"}, {"user_id", other["id"]}})["id"];

  struct Case {
    std::string method;
    std::string existing_path;
    std::string missing_path;
    std::string existing_reason;
  };

  const std::string missing_suffix = "0000000000000000000000";
  const std::vector<Case> cases = {
      {"DELETE", "/api/v1/tokens/" + other_token_id, "/api/v1/tokens/tok_" + missing_suffix,
       "not_own_token"},
      {"GET", "/api/v1/users/" + other["id"].get<std::string>(),
       "/api/v1/users/usr_" + missing_suffix, "role_lacks_permission"},
      {"POST", "/api/v1/users/" + other["id"].get<std::string>() + "/deactivate",
       "/api/v1/users/usr_" + missing_suffix + "/deactivate", "role_lacks_permission"},
      {"DELETE", "/api/v1/role-assignments/" + acme().admin_role.id,
       "/api/v1/role-assignments/ra_" + missing_suffix, "role_lacks_permission"},
  };
  for (const Case& c : cases) {
    const http::Response existing = Send(c.method, c.existing_path, member_token);
    const std::vector<audit::Record> existing_records = LastRecords(acme().organization.id);
    const http::Response missing = Send(c.method, c.missing_path, member_token);
    EXPECT_EQ(existing.status, missing.status) << c.existing_path << " " << existing.body;
    EXPECT_EQ(existing.body, missing.body) << c.existing_path;
    ASSERT_EQ(existing_records.size(), 1u) << c.existing_path;
    EXPECT_EQ(existing_records[0].decision, audit::kDecisionDeny) << c.existing_path;
    EXPECT_EQ(existing_records[0].reason, c.existing_reason) << c.existing_path;
  }
  EXPECT_EQ(Send("DELETE", "/api/v1/tokens/" + other_token_id, member_token).status, 404);
  // The token was not revoked, and the admin can still revoke it.
  EXPECT_EQ(Send("DELETE", "/api/v1/tokens/" + other_token_id, AcmeToken()).status, 204);
}

TEST_F(ApiTest, ExternalIdCannotBeSet) {
  const json body = {{"role_arn", "arn:aws:iam::123456789012:role/Custody"},
                     {"bucket", "evidence"},
                     {"region", "eu-west-1"},
                     {"kms_key_id", "1234abcd-12ab-34cd-56ef-1234567890ab"},
                     {"external_id", "my-own-external-id-my-own-external-id"}};
  const http::Response response = Send("PUT", "/api/v1/aws-connection", AcmeToken(), body.dump());
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Body(response)["field"], "/external_id");
}

TEST_F(ApiTest, ConnectionShowsBucketCors) {
  const json body = {{"role_arn", "arn:aws:iam::123456789012:role/Custody"},
                     {"bucket", "evidence"},
                     {"region", "eu-west-1"},
                     {"kms_key_id", "1234abcd-12ab-34cd-56ef-1234567890ab"},
                     {"key_prefix", "custody/"}};
  const http::Response put = Send("PUT", "/api/v1/aws-connection", AcmeToken(), body.dump());
  ASSERT_EQ(put.status, 200) << put.body;
  const http::Response get = Send("GET", "/api/v1/aws-connection", AcmeToken());
  ASSERT_EQ(get.status, 200) << get.body;
  const json connection = Body(get);
  EXPECT_GE(connection["external_id"].get<std::string>().size(), 32u);
  EXPECT_EQ(connection["external_id"], Body(put)["external_id"]);
  EXPECT_TRUE(connection["endpoint"].is_null());
  const json& rule = connection["bucket_cors"]["CORSRules"][0];
  EXPECT_EQ(rule["AllowedOrigins"], json::array({"https://custody.example.test"}));
  EXPECT_EQ(rule["AllowedMethods"], json::array({"PUT", "GET", "HEAD"}));
  EXPECT_NE(std::find(rule["ExposeHeaders"].begin(), rule["ExposeHeaders"].end(), "ETag"),
            rule["ExposeHeaders"].end());
}

TEST_F(ApiTest, EvidenceNamesItsCreator) {
  const std::string entity_path = "/api/v1/entities/" + acme().root_entity.id + "/evidence";
  const http::Response created =
      Send("POST", entity_path, AcmeToken(), json({{"title", "Access review"}}).dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Body(created)["created_by_name"], "admin@acme.test");

  const std::string id = Body(created)["id"].get<std::string>();
  EXPECT_EQ(Body(Send("GET", "/api/v1/evidence/" + id, AcmeToken()))["created_by_name"],
            "admin@acme.test");
  const json listed = Body(Send("GET", entity_path, AcmeToken()));
  ASSERT_EQ(listed["items"].size(), 1U) << listed.dump();
  EXPECT_EQ(listed["items"][0]["created_by_name"], "admin@acme.test");
}

TEST_F(ApiTest, CreatorNamesStayInsideTheOrganization) {
  json objects = json::array({{{"created_by", acme().admin.id}},
                              {{"created_by", globex().admin.id}},
                              {{"created_by", "usr_missing"}},
                              {{"latest_version", {{"created_by", acme().admin.id}}}},
                              {{"review", {{"created_by", acme().admin.id}}}}});
  ASSERT_TRUE(AddCreatorNames(temp_.db(), acme().organization.id, objects).ok());

  EXPECT_EQ(objects[0]["created_by_name"], "admin@acme.test");
  EXPECT_TRUE(objects[1]["created_by_name"].is_null()) << "another organization's user";
  EXPECT_TRUE(objects[2]["created_by_name"].is_null());
  EXPECT_EQ(objects[3]["latest_version"]["created_by_name"], "admin@acme.test");
  EXPECT_EQ(objects[4]["review"]["created_by_name"], "admin@acme.test");
}

TEST_F(ApiTest, NoConnectionMeansUploadConflicts) {
  const json evidence_body = {{"title", "Access review"}};
  const http::Response item =
      Send("POST", "/api/v1/entities/" + acme().root_entity.id + "/evidence", AcmeToken(),
           evidence_body.dump());
  ASSERT_EQ(item.status, 201) << item.body;
  EXPECT_TRUE(Body(item)["latest_version"].is_null());
  EXPECT_EQ(Body(item)["description"], "");

  const json version = {{"file_name", "a.txt"},
                        {"size", 5},
                        {"sha256", std::string(64, 'a')},
                        {"md5", std::string(32, 'b')},
                        {"media_type", "text/plain"}};
  const http::Response upload =
      Send("POST", "/api/v1/evidence/" + Body(item)["id"].get<std::string>() + "/versions",
           AcmeToken(), version.dump());
  EXPECT_EQ(upload.status, 409);
  EXPECT_EQ(Body(upload)["type"], "urn:custody:problem:failed-precondition");
}

TEST_F(ApiTest, PartNumberAbove64BitsRejected) {
  // nlohmann/json reads these as unsigned; as int64 they would wrap to negative numbers.
  const std::string path =
      "/api/v1/evidence/evd_0123456789abcdefghijkl/versions/"
      "ver_0123456789abcdefghijkl/part-urls";
  for (const std::string number : {"9223372036854775808", "18446744073709551615"}) {
    const http::Response response =
        Send("POST", path, AcmeToken(), "{\"part_numbers\": [1, " + number + "]}");
    EXPECT_EQ(response.status, 400) << number << ": " << response.body;
    EXPECT_EQ(Body(response)["field"], "/part_numbers/1") << number;
  }
}

TEST_F(ApiTest, TokenSecretShownOnce) {
  const http::Response created =
      Send("POST", "/api/v1/tokens", AcmeToken(), json({{"name", "ci"}}).dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string secret = Body(created)["token"];
  EXPECT_EQ(secret.rfind("cst_", 0), 0u);

  const http::Response listed = Send("GET", "/api/v1/tokens", AcmeToken());
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find(secret), std::string::npos);
  const json list = Body(listed);
  for (const json& token : list["items"]) {
    EXPECT_FALSE(token.contains("token"));
  }
}

TEST_F(ApiTest, RejectedRequestRecordedForCaller) {
  http::Request request;
  request.method = "POST";
  request.request_id = "too-large-1";
  request.remote_address = "127.0.0.1:40000";
  request.headers.Add("Authorization", "Bearer " + AcmeToken());
  const Status recorded = RecordRejectedRequest(
      api_, request, Status(ErrorCode::kPayloadTooLarge, "request body is too large"));
  ASSERT_TRUE(recorded.ok()) << recorded.ToString();
  last_request_id_ = "too-large-1";
  const std::vector<audit::Record> records = LastRecords(acme().organization.id);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].actor, acme().admin.id);
  EXPECT_EQ(records[0].reason, "payload_too_large");
}

TEST_F(ApiTest, AuditLogDownFailsClosed) {
  temp_.db().InjectFailureForTesting(store::InjectedFailure::kWrites);
  const http::Response me = Send("GET", "/api/v1/me", AcmeToken());
  const http::Response anonymous = Send("GET", "/api/v1/me", "");
  temp_.db().InjectFailureForTesting(store::InjectedFailure::kNone);
  EXPECT_EQ(me.status, 503);
  EXPECT_EQ(anonymous.status, 503);
}

// The /api/v1/audit routes, which the server registers with its checkpoint signer.
class AuditLogApiTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    Result<audit::NoteSigner> key =
        audit::NoteSigner::Create("custody.test/audit", crypto::Ed25519PrivateKey::Generate());
    ASSERT_TRUE(key.ok());
    Result<audit::CheckpointSigner> signer =
        audit::CheckpointSigner::Create("custody.test", {*key});
    ASSERT_TRUE(signer.ok());
    signer_.emplace(std::move(signer).value());
    RegisterAuditLogRoutes(router_, api_, *signer_);
  }

  std::optional<audit::CheckpointSigner> signer_;
};

TEST_F(AuditLogApiTest, FailedCommitSignsNothing) {
  temp_.db().InjectFailureForTesting(store::InjectedFailure::kCommits);
  const http::Response failed = Send("POST", "/api/v1/audit/checkpoints", AcmeToken());
  EXPECT_EQ(failed.status, 503) << failed.body;
  temp_.db().InjectFailureForTesting(store::InjectedFailure::kNone);

  const http::Response none = Send("GET", "/api/v1/audit/checkpoint", AcmeToken());
  EXPECT_EQ(none.status, 404) << none.body;
  const http::Response created = Send("POST", "/api/v1/audit/checkpoints", AcmeToken());
  EXPECT_EQ(created.status, 201) << created.body;
}

TEST_F(AuditLogApiTest, CheckpointNamesCallersLog) {
  const http::Response acme_signed = Send("POST", "/api/v1/audit/checkpoints", AcmeToken());
  ASSERT_EQ(acme_signed.status, 201) << acme_signed.body;
  EXPECT_EQ(Body(acme_signed)["origin"], "custody.test/audit/" + acme().organization.id);

  // Globex has signed nothing, and Acme's checkpoint sizes mean nothing in Globex's log.
  const std::string globex_token = globex().token.value.Reveal();
  const http::Response globex_latest = Send("GET", "/api/v1/audit/checkpoint", globex_token);
  EXPECT_EQ(globex_latest.status, 404) << globex_latest.body;
  const int64_t size = Body(acme_signed)["tree_size"];
  const http::Response globex_exact = Send("GET", "/api/v1/audit/checkpoint", globex_token, "",
                                           {{"tree_size", std::to_string(size)}});
  EXPECT_EQ(globex_exact.status, 404) << globex_exact.body;

  const http::Response keys = Send("GET", "/api/v1/audit/verifier-keys", globex_token);
  ASSERT_EQ(keys.status, 200) << keys.body;
  EXPECT_EQ(Body(keys)["origin"], "custody.test/audit/" + globex().organization.id);
  EXPECT_EQ(Body(keys)["keys"][0]["verifier_key"], signer_->Verifiers()[0].VerifierKey());
}

TEST_F(AuditLogApiTest, RequestsAreRecordedAfterTheirData) {
  const http::Response first = Send("GET", "/api/v1/audit/entries", AcmeToken());
  ASSERT_EQ(first.status, 200) << first.body;
  const int64_t size = Body(first)["tree_size"];
  EXPECT_EQ(Body(first)["entries"].size(), static_cast<size_t>(size));
  // The first read's own record is now the log's last entry.
  const http::Response second = Send("GET", "/api/v1/audit/entries", AcmeToken());
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(Body(second)["tree_size"], size + 1);
  const std::vector<audit::Record> records = LastRecords(acme().organization.id);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().action, "audit_log.entries.read");
}

}  // namespace
}  // namespace custody::api
