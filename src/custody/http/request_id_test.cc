#include "custody/http/request_id.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace custody::http {
namespace {

TEST(RequestId, Validation) {
  struct Case {
    std::string id;
    bool valid;
  };

  const Case cases[] = {
      {"a", true},
      {"req-1.2_3", true},
      {"ABCxyz0189", true},
      {std::string(64, 'a'), true},
      {"", false},
      {std::string(65, 'a'), false},
      {"has space", false},
      {"semi;colon", false},
      {"new\nline", false},
      {"quote\"", false},
      {"slash/", false},
      {"caf\xc3\xa9", false},
      {std::string("nul\0x", 5), false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsValidRequestId(c.id), c.valid) << c.id;
  }
}

TEST(RequestId, GeneratedIdsAreValidAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = GenerateRequestId();
    EXPECT_EQ(id.size(), 22u);
    EXPECT_TRUE(IsValidRequestId(id));
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(RequestId, ChooseKeepsValidClientId) {
  const std::string client = "client-42";
  EXPECT_EQ(ChooseRequestId(&client), "client-42");
  const std::string invalid = "bad id";
  const std::string chosen = ChooseRequestId(&invalid);
  EXPECT_NE(chosen, invalid);
  EXPECT_TRUE(IsValidRequestId(chosen));
  EXPECT_TRUE(IsValidRequestId(ChooseRequestId(nullptr)));
}

}  // namespace
}  // namespace custody::http
