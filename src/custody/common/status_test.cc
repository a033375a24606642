#include "custody/common/status.h"

#include <sstream>

#include <gtest/gtest.h>

#include "custody/common/error_catalog.h"
#include "custody/common/secret.h"

namespace custody {
namespace {

Result<int> ParsePositive(int value) {
  if (value <= 0) {
    return InvalidArgument("must be positive", "/value");
  }
  return value;
}

Result<int> Doubled(int value) {
  CUSTODY_ASSIGN_OR_RETURN(int parsed, ParsePositive(value));
  return parsed * 2;
}

TEST(StatusTest, ResultCarriesValueOrError) {
  Result<int> good = Doubled(4);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 8);

  Result<int> bad = Doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "/value");
}

TEST(StatusTest, ToStringNamesCodeAndField) {
  EXPECT_EQ(InvalidArgument("too big", "/size").ToString(),
            "INVALID_ARGUMENT: too big (field /size)");
  EXPECT_EQ(Status::Ok().ToString(), "OK");
}

TEST(ErrorCatalogTest, EveryCodeHasDistinctTypeAndStatus) {
  struct Case {
    ErrorCode code;
    int http_status;
  };

  const Case cases[] = {
      {ErrorCode::kInvalidArgument, 400},
      {ErrorCode::kUnauthenticated, 401},
      {ErrorCode::kPermissionDenied, 403},
      {ErrorCode::kNotFound, 404},
      {ErrorCode::kConflict, 409},
      {ErrorCode::kPayloadTooLarge, 413},
      {ErrorCode::kUnsupportedMediaType, 415},
      {ErrorCode::kFailedPrecondition, 409},
      {ErrorCode::kUpstreamFailed, 502},
      {ErrorCode::kUnavailable, 503},
      {ErrorCode::kDeadlineExceeded, 504},
      {ErrorCode::kInternal, 500},
  };
  for (const Case& c : cases) {
    const ErrorInfo& info = DescribeError(c.code);
    EXPECT_EQ(info.code, c.code);
    EXPECT_EQ(info.http_status, c.http_status) << info.name;
    EXPECT_TRUE(info.type.starts_with("urn:custody:problem:")) << info.name;
  }
}

TEST(SecretTest, PrintsRedacted) {
  Secret secret("AKIA-very-secret");
  std::ostringstream out;
  out << secret;
  EXPECT_EQ(out.str(), "[redacted]");
  EXPECT_EQ(secret.Reveal(), "AKIA-very-secret");
}

TEST(SecretTest, MovedFromIsEmpty) {
  Secret source("token");
  Secret target(std::move(source));
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): checking the wipe
  EXPECT_EQ(target.Reveal(), "token");
}

}  // namespace
}  // namespace custody
