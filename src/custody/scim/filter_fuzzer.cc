// libFuzzer target for the SCIM filter and path parsers and the filter evaluator. Every input
// must either parse or fail with kInvalidArgument, and evaluation must not crash.
#include "custody/scim/filter.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "custody/scim/projection.h"

namespace {

const nlohmann::json& Resource() {
  static const nlohmann::json kResource = nlohmann::json::parse(R"({
    "id": "usr_AAAAAAAAAAAAAAAAAAAAAA", "userName": "bjensen@example.com", "active": true,
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, "bare"],
    "members": [{"value": "usr_1"}],
    "meta": {"created": "2026-01-23T04:56:22Z", "lastModified": "2026-05-13T04:42:34Z"},
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tours"}
  })");
  return kResource;
}

void CheckFailure(const custody::Status& status) {
  if (status.code() != custody::ErrorCode::kInvalidArgument) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  custody::Result<custody::scim::Filter> filter = custody::scim::ParseFilter(text);
  if (filter.ok()) {
    custody::scim::Matches(*filter, Resource());
  } else {
    CheckFailure(filter.status());
  }

  custody::Result<custody::scim::PatchPath> path = custody::scim::ParsePatchPath(text);
  if (path.ok()) {
    if (path->has_filter) {
      custody::scim::Matches(path->filter, Resource());
    }
  } else {
    CheckFailure(path.status());
  }

  custody::Result<custody::scim::AttributeSelection> selection =
      custody::scim::ParseAttributeSelection(std::string(text), std::string(text));
  if (selection.ok()) {
    custody::scim::SelectAttributes(Resource(), *selection);
  } else {
    CheckFailure(selection.status());
  }
  return 0;
}
