// SCIM filters and attribute paths (RFC 7644 §3.4.2.2 and §3.5.2): a hand-written recursive
// descent parser with an input size limit and a nesting limit, the syntax tree, and its
// evaluation against a resource in its SCIM JSON form.
//
//   Result<Filter> filter = ParseFilter(R"(emails[type eq "work"].value co "@example.com")");
//   bool matched = Matches(*filter, user_json);
//
// Attribute names compare without regard to case, as RFC 7643 §2.1 requires. String values
// compare without regard to case too, except for the case-exact attributes (id, externalId,
// and the value of a reference such as members.value).
//
// Leniency for real clients: a comparison value may be a bare word (`userName sw O`,
// `meta.created gt 2015-10-10T14:38:21.86-07:00`), which is read as a string when it is not
// true, false, null or a JSON number. Microsoft's SCIM validation collection sends such
// filters.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "custody/common/status.h"

namespace custody::scim {

// Filters longer than this are rejected before parsing.
inline constexpr size_t kMaxFilterBytes = 4096;
// Maximum nesting of parentheses, "not" and value filters ("emails[...]").
inline constexpr int kMaxFilterDepth = 16;
// Maximum number of comparisons and logical operators in one filter.
inline constexpr int kMaxFilterNodes = 256;

// An attribute path: "name.givenName", or with the schema of an extension,
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
struct AttributePath {
  std::string schema;         // the URN prefix as written, or "" when none
  std::string attribute;      // as written; compare with EqualsIgnoreCase
  std::string sub_attribute;  // "" when none

  // "urn:...:User:manager.value" form, for messages.
  std::string ToString() const;
};

enum class CompareOp {
  kEq,
  kNe,
  kCo,
  kSw,
  kEw,
  kGt,
  kGe,
  kLt,
  kLe
};

// A comparison value: a JSON string, number, boolean or null.
struct CompareValue {
  enum class Type {
    kString,
    kNumber,
    kBoolean,
    kNull
  };
  Type type = Type::kNull;
  std::string text;  // kString
  double number = 0;
  bool boolean = false;
};

struct Filter {
  enum class Kind {
    kCompare,    // path op value
    kPresent,    // path pr
    kAnd,        // children[0] and children[1]
    kOr,         // children[0] or children[1]
    kNot,        // not (children[0])
    kValuePath,  // path[children[0]]: some element of the multi-valued attribute matches
  };
  Kind kind = Kind::kCompare;
  AttributePath path;
  CompareOp op = CompareOp::kEq;
  CompareValue value;
  std::vector<Filter> children;
};

// Parses a filter. Every failure, a too long or too deeply nested input included, is
// kInvalidArgument with field "invalidFilter".
Result<Filter> ParseFilter(std::string_view text);

// A PATCH operation's target (RFC 7644 §3.5.2): attrPath, or valuePath with an optional
// sub-attribute, as in `members[value eq "usr_1"]` or `emails[type eq "work"].value`.
struct PatchPath {
  AttributePath path;  // path.sub_attribute is set for "name.givenName"
  bool has_filter = false;
  Filter filter;                       // the value filter, evaluated against each element
  std::string filtered_sub_attribute;  // "value" in `emails[type eq "work"].value`
};

// Parses a PATCH path. Failures are kInvalidArgument with field "invalidPath".
Result<PatchPath> ParsePatchPath(std::string_view text);

// True when the resource (a JSON object) matches the filter.
bool Matches(const Filter& filter, const nlohmann::json& resource);

// Case-insensitive comparison of ASCII names.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace custody::scim
