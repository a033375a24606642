#include "custody/http/message.h"

#include <gtest/gtest.h>

namespace custody::http {
namespace {

TEST(Headers, LookupIgnoresCase) {
  Headers headers;
  headers.Add("Content-Type", "application/json");
  EXPECT_TRUE(headers.Has("content-type"));
  EXPECT_EQ(headers.Get("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(headers.Find("Accept"), nullptr);
  EXPECT_EQ(headers.Get("Accept"), "");
}

TEST(Headers, AddKeepsDuplicatesSetReplaces) {
  Headers headers;
  headers.Add("Authorization", "Bearer a");
  headers.Add("authorization", "Bearer b");
  EXPECT_EQ(headers.Count("AUTHORIZATION"), 2u);
  EXPECT_EQ(headers.Get("Authorization"), "Bearer a");
  headers.Set("Authorization", "Bearer c");
  EXPECT_EQ(headers.Count("Authorization"), 1u);
  EXPECT_EQ(headers.Get("authorization"), "Bearer c");
  headers.Remove("AUTHORIZATION");
  EXPECT_TRUE(headers.empty());
}

TEST(Request, ParamAccessors) {
  Request request;
  request.path_params["evidence_id"] = "evd_1";
  request.query["limit"] = "10";
  EXPECT_EQ(request.PathParam("evidence_id"), "evd_1");
  EXPECT_EQ(request.PathParam("version_id"), "");
  EXPECT_EQ(request.QueryParam("limit"), "10");
  EXPECT_FALSE(request.QueryParam("after").has_value());
}

}  // namespace
}  // namespace custody::http
