#include "custody/cli/api_client.h"

#include <gtest/gtest.h>

#include "custody/aws/fake_transport.h"
#include "custody/cli/test_support.h"

namespace custody::cli {
namespace {

using aws::testing::FakeTransport;
using testing::JsonResponse;
using testing::ProblemResponse;
using testing::TargetOf;

constexpr char kServer[] = "https://custody.example";

TEST(StatusFromProblemTest, MapsHttpStatus) {
  const std::pair<int, ErrorCode> cases[] = {
      {400, ErrorCode::kInvalidArgument},  {401, ErrorCode::kUnauthenticated},
      {403, ErrorCode::kPermissionDenied}, {404, ErrorCode::kNotFound},
      {409, ErrorCode::kConflict},         {413, ErrorCode::kPayloadTooLarge},
      {502, ErrorCode::kUpstreamFailed},   {503, ErrorCode::kUnavailable},
      {500, ErrorCode::kInternal},
  };
  for (const auto& [http_status, code] : cases) {
    EXPECT_EQ(StatusFromProblem(ProblemResponse(http_status, "d")).code(), code) << http_status;
  }
}

TEST(StatusFromProblemTest, UsesDetailAndField) {
  const Status status = StatusFromProblem(
      ProblemResponse(400, "size must be between 1 and 5368709120 bytes", "/size"));
  EXPECT_EQ(status.message(), "size must be between 1 and 5368709120 bytes");
  EXPECT_EQ(status.field(), "/size");
}

TEST(StatusFromProblemTest, NonJsonBodyGivesStatusLine) {
  aws::HttpResponse response;
  response.status = 502;
  response.headers.emplace_back("Content-Type", "text/html");
  response.body = "<html>Bad Gateway</html>";
  EXPECT_EQ(StatusFromProblem(response).message(), "the Custody server returned HTTP 502");
}

TEST(StatusFromProblemTest, SanitizesTerminalEscapes) {
  const Status status = StatusFromProblem(ProblemResponse(400, "bad \\u001b[31mred", "/x\\u0007"));
  EXPECT_EQ(status.message().find('\x1b'), std::string::npos);
  EXPECT_EQ(status.field().find('\x07'), std::string::npos);
}

TEST(IsPathSafeIdTest, Table) {
  EXPECT_TRUE(IsPathSafeId("evd_0123456789abcdefghijKL"));
  EXPECT_TRUE(IsPathSafeId("a-b_c"));
  EXPECT_FALSE(IsPathSafeId(""));
  EXPECT_FALSE(IsPathSafeId(".."));
  EXPECT_FALSE(IsPathSafeId("evd_1/complete"));
  EXPECT_FALSE(IsPathSafeId("evd_1?x=1"));
  EXPECT_FALSE(IsPathSafeId("evd_%2e"));
  EXPECT_FALSE(IsPathSafeId(std::string(129, 'a')));
}

TEST(ApiClientTest, SendsBearerTokenAndJson) {
  FakeTransport transport([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(JsonResponse(
        201, R"({"id":"evd_1","entity_id":"ent_1","title":"Rules","latest_version":null})"));
  });
  ApiClient api(transport, kServer, Secret("cst_tok_secret"));
  Result<EvidenceItem> item = api.CreateEvidence("ent_1", "Rules");
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  EXPECT_EQ(item->id, "evd_1");
  EXPECT_EQ(item->latest_version, "");

  ASSERT_EQ(transport.requests().size(), 1u);
  const std::vector<aws::HttpRequest> requests = transport.requests();
  const aws::HttpRequest& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://custody.example/api/v1/entities/ent_1/evidence");
  EXPECT_EQ(request.body, R"({"title":"Rules"})");
  const auto has_header = [&request](const std::string& name, const std::string& value) {
    for (const auto& header : request.headers) {
      if (header.first == name && header.second == value) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has_header("Authorization", "Bearer cst_tok_secret"));
  EXPECT_TRUE(has_header("Content-Type", "application/json"));
}

TEST(ApiClientTest, FollowsCursorsAcrossPages) {
  FakeTransport transport([](const aws::HttpRequest& request) {
    const std::string target = TargetOf(request.url);
    if (target == "/api/v1/entities?limit=200") {
      return Result<aws::HttpResponse>(JsonResponse(
          200, R"({"items":[{"id":"ent_1","name":"Root","kind":"business_unit","parent_id":null}],)"
               R"("next_cursor":"c/2+="})"));
    }
    if (target == "/api/v1/entities?limit=200&after=c%2F2%2B%3D") {
      return Result<aws::HttpResponse>(
          JsonResponse(200, R"({"items":[{"id":"ent_2","name":"Audit","kind":"audit_engagement",)"
                            R"("parent_id":"ent_1"}],"next_cursor":null})"));
    }
    return Result<aws::HttpResponse>(ProblemResponse(404, "unexpected " + target));
  });
  ApiClient api(transport, kServer, Secret("t"));
  Result<std::vector<Entity>> entities = api.ListEntities();
  ASSERT_TRUE(entities.ok()) << entities.status().ToString();
  ASSERT_EQ(entities->size(), 2u);
  EXPECT_EQ((*entities)[0].id, "ent_1");
  EXPECT_EQ((*entities)[0].parent_id, "");
  EXPECT_EQ((*entities)[1].parent_id, "ent_1");
  EXPECT_EQ((*entities)[1].kind, "audit_engagement");
}

TEST(ApiClientTest, RepeatedCursorIsAnError) {
  FakeTransport transport([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(JsonResponse(200, R"({"items":[],"next_cursor":"same"})"));
  });
  ApiClient api(transport, kServer, Secret("t"));
  Result<std::vector<Entity>> entities = api.ListEntities();
  ASSERT_FALSE(entities.ok());
  EXPECT_EQ(transport.calls(), 2);
}

TEST(ApiClientTest, ProblemBecomesStatus) {
  FakeTransport transport([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(ProblemResponse(404, "evidence item not found"));
  });
  ApiClient api(transport, kServer, Secret("t"));
  Result<std::vector<Version>> versions = api.ListVersions("evd_1");
  ASSERT_FALSE(versions.ok());
  EXPECT_EQ(versions.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(versions.status().message(), "evidence item not found");
}

TEST(ApiClientTest, TransportFailureKeepsCode) {
  FakeTransport transport([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(Unavailable("connecting to https://custody.example failed"));
  });
  ApiClient api(transport, kServer, Secret("t"));
  Result<std::vector<Entity>> entities = api.ListEntities();
  EXPECT_EQ(entities.status().code(), ErrorCode::kUnavailable);
}

TEST(ApiClientTest, CreateVersionSendsDeclaredValues) {
  FakeTransport transport([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(JsonResponse(
        201, R"({"version":{"id":"ver_1","evidence_id":"evd_1","number":1,"file_name":"a.csv",)"
             R"("size":3,"sha256":"s","status":"pending"},"upload":{"method":"PUT",)"
             R"("url":"https://b.example/k?sig","headers":{"Content-MD5":"m","x-amz-meta":"v"},)"
             R"("expires_at":"2026-01-01T00:05:00Z"}})"));
  });
  ApiClient api(transport, kServer, Secret("t"));
  VersionRequest request{"a.csv", 3, std::string(64, 'a'), std::string(32, 'b'), "text/csv"};
  Result<NewVersion> created = api.CreateVersion("evd_1", request);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->version.id, "ver_1");
  EXPECT_EQ(created->version.status, "pending");
  EXPECT_EQ(created->upload.url, "https://b.example/k?sig");
  const std::vector<std::pair<std::string, std::string>> expected_headers{{"Content-MD5", "m"},
                                                                          {"x-amz-meta", "v"}};
  EXPECT_EQ(created->upload.headers, expected_headers);
  EXPECT_EQ(transport.requests()[0].body, R"({"file_name":"a.csv","md5":")" + std::string(32, 'b') +
                                              R"(","media_type":"text/csv","sha256":")" +
                                              std::string(64, 'a') + R"(","size":3})");
}

TEST(ApiClientTest, CreateVersionRejectsWrongMethod) {
  FakeTransport transport([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(
        JsonResponse(201, R"({"version":{"id":"ver_1","status":"pending"},)"
                          R"("upload":{"method":"POST","url":"https://b.example/k"}})"));
  });
  ApiClient api(transport, kServer, Secret("t"));
  Result<NewVersion> created = api.CreateVersion("evd_1", VersionRequest{});
  EXPECT_FALSE(created.ok());
}

TEST(ApiClientTest, RefreshUploadUrlMissingEndpointIsEmpty) {
  for (const int http_status : {404, 405}) {
    FakeTransport transport([http_status](const aws::HttpRequest&) {
      return Result<aws::HttpResponse>(ProblemResponse(http_status, "no"));
    });
    ApiClient api(transport, kServer, Secret("t"));
    Result<std::optional<PresignedTransfer>> upload = api.RefreshUploadUrl("evd_1", "ver_1");
    ASSERT_TRUE(upload.ok()) << upload.status().ToString();
    EXPECT_FALSE(upload->has_value()) << http_status;
    EXPECT_EQ(TargetOf(transport.requests()[0].url),
              "/api/v1/evidence/evd_1/versions/ver_1/upload-url");
  }
}

TEST(ApiClientTest, RefreshUploadUrlAcceptsWrappedUpload) {
  FakeTransport transport([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(JsonResponse(
        200, R"({"upload":{"method":"PUT","url":"https://b.example/k?new","headers":{}}})"));
  });
  ApiClient api(transport, kServer, Secret("t"));
  Result<std::optional<PresignedTransfer>> upload = api.RefreshUploadUrl("evd_1", "ver_1");
  ASSERT_TRUE(upload.ok()) << upload.status().ToString();
  ASSERT_TRUE(upload->has_value());
  EXPECT_EQ((*upload)->url, "https://b.example/k?new");
}

TEST(ApiClientTest, RefreshUploadUrlAuthErrorIsAnError) {
  FakeTransport transport([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(ProblemResponse(401, "token revoked"));
  });
  ApiClient api(transport, kServer, Secret("t"));
  Result<std::optional<PresignedTransfer>> upload = api.RefreshUploadUrl("evd_1", "ver_1");
  EXPECT_EQ(upload.status().code(), ErrorCode::kUnauthenticated);
}

TEST(ApiClientTest, VersionWithoutStatusIsRejected) {
  FakeTransport transport([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(JsonResponse(200, R"({"id":"ver_1"})"));
  });
  ApiClient api(transport, kServer, Secret("t"));
  EXPECT_FALSE(api.CompleteVersion("evd_1", "ver_1").ok());
}

TEST(ApiClientTest, DescribesLatestVersionObject) {
  FakeTransport transport([](const aws::HttpRequest&) {
    return Result<aws::HttpResponse>(JsonResponse(
        200, R"({"id":"evd_1","latest_version":{"id":"ver_3","number":3,"status":"stored"}})"));
  });
  ApiClient api(transport, kServer, Secret("t"));
  Result<EvidenceItem> item = api.GetEvidence("evd_1");
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  EXPECT_EQ(item->latest_version, "#3 stored");
}

}  // namespace
}  // namespace custody::cli
