#include "custody/scim/filter.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "custody/scim/datetime.h"
#include "custody/scim/errors.h"
#include "custody/scim/schemas.h"

namespace custody::scim {
namespace {

using nlohmann::json;

char LowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ToLowerAscii(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    c = LowerAscii(c);
  }
  return lower;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

bool IsPathCharacter(char c) {
  return IsAlpha(c) || IsDigit(c) || c == ':' || c == '.' || c == '_' || c == '-' || c == '$';
}

// ATTRNAME = ALPHA *(ALPHA / DIGIT / "-" / "_"), and "$ref" for sub-attributes.
bool IsAttributeName(std::string_view name, bool allow_ref) {
  if (allow_ref && name == "$ref") {
    return true;
  }
  if (name.empty() || !IsAlpha(name.front())) {
    return false;
  }
  for (char c : name) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

// Splits "urn:...:User:name.givenName" or "name.givenName" into an AttributePath.
std::optional<AttributePath> SplitAttributePath(std::string_view text) {
  AttributePath path;
  std::string_view rest = text;
  const size_t colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    path.schema = std::string(text.substr(0, colon));
    rest = text.substr(colon + 1);
    if (!path.schema.starts_with("urn:") && !path.schema.starts_with("URN:")) {
      return std::nullopt;
    }
  }
  const size_t dot = rest.find('.');
  if (dot != std::string_view::npos) {
    path.attribute = std::string(rest.substr(0, dot));
    path.sub_attribute = std::string(rest.substr(dot + 1));
    if (!IsAttributeName(path.sub_attribute, true)) {
      return std::nullopt;
    }
  } else {
    path.attribute = std::string(rest);
  }
  if (!IsAttributeName(path.attribute, false)) {
    return std::nullopt;
  }
  return path;
}

// Appends the UTF-8 encoding of a code point.
void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

std::optional<double> ParseJsonNumber(std::string_view token) {
  // JSON number syntax: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  size_t i = 0;
  if (i < token.size() && token[i] == '-') {
    ++i;
  }

  if (i >= token.size() || !IsDigit(token[i])) {
    return std::nullopt;
  }
  if (token[i] == '0') {
    ++i;
  } else {
    while (i < token.size() && IsDigit(token[i])) {
      ++i;
    }
  }

  if (i < token.size() && token[i] == '.') {
    ++i;
    if (i >= token.size() || !IsDigit(token[i])) {
      return std::nullopt;
    }
    while (i < token.size() && IsDigit(token[i])) {
      ++i;
    }
  }

  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) {
      ++i;
    }
    if (i >= token.size() || !IsDigit(token[i])) {
      return std::nullopt;
    }
    while (i < token.size() && IsDigit(token[i])) {
      ++i;
    }
  }

  if (i != token.size()) {
    return std::nullopt;
  }

  double value = 0;
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (error != std::errc() || end != token.data() + token.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view error_type)
      : text_(text), error_type_(error_type) {}

  Result<Filter> ParseWhole() {
    CUSTODY_ASSIGN_OR_RETURN(Filter filter, ParseOr(0, false));
    SkipSpaces();
    if (position_ != text_.size()) {
      return Error("unexpected text at offset " + std::to_string(position_));
    }
    return filter;
  }

  Result<PatchPath> ParsePath() {
    PatchPath result;
    const std::string_view token = ReadPathToken();
    std::optional<AttributePath> path = SplitAttributePath(token);
    if (!path.has_value()) {
      return Error("\"" + std::string(token) + "\" is not an attribute path");
    }
    result.path = std::move(*path);
    if (position_ < text_.size() && text_[position_] == '[') {
      if (!result.path.sub_attribute.empty()) {
        return Error("a value filter must follow the attribute, not its sub-attribute");
      }
      ++position_;
      CUSTODY_ASSIGN_OR_RETURN(result.filter, ParseOr(1, true));
      SkipSpaces();
      if (position_ >= text_.size() || text_[position_] != ']') {
        return Error("missing ] after the value filter");
      }
      ++position_;
      result.has_filter = true;
      if (position_ < text_.size() && text_[position_] == '.') {
        ++position_;
        const std::string_view sub = ReadPathToken();
        if (!IsAttributeName(sub, true)) {
          return Error("\"" + std::string(sub) + "\" is not a sub-attribute name");
        }
        result.filtered_sub_attribute = std::string(sub);
      }
    }
    if (position_ != text_.size()) {
      return Error("unexpected text at offset " + std::to_string(position_));
    }
    return result;
  }

 private:
  Status Error(std::string message) const {
    return ScimInvalid(error_type_,
                       "invalid " + std::string(error_type_ == kInvalidPath ? "path" : "filter") +
                           ": " + std::move(message));
  }

  void SkipSpaces() {
    while (position_ < text_.size() && IsSpace(text_[position_])) {
      ++position_;
    }
  }

  std::string_view ReadPathToken() {
    const size_t start = position_;
    while (position_ < text_.size() && IsPathCharacter(text_[position_])) {
      ++position_;
    }
    return text_.substr(start, position_ - start);
  }

  // Reads a keyword (and, or, not, an operator) without consuming it when it does not match.
  bool PeekKeyword(std::string_view keyword) {
    SkipSpaces();
    if (text_.size() - position_ < keyword.size()) {
      return false;
    }
    if (!EqualsIgnoreCase(text_.substr(position_, keyword.size()), keyword)) {
      return false;
    }
    const size_t after = position_ + keyword.size();
    return after == text_.size() || IsSpace(text_[after]) || text_[after] == '(';
  }

  Status CountNode() {
    if (++nodes_ > kMaxFilterNodes) {
      return Error("more than " + std::to_string(kMaxFilterNodes) + " expressions");
    }
    return Status::Ok();
  }

  Result<Filter> ParseOr(int depth, bool in_value_filter) {
    if (depth > kMaxFilterDepth) {
      return Error("nested more than " + std::to_string(kMaxFilterDepth) + " levels deep");
    }
    CUSTODY_ASSIGN_OR_RETURN(Filter left, ParseAnd(depth, in_value_filter));
    while (PeekKeyword("or")) {
      position_ += 2;
      CUSTODY_RETURN_IF_ERROR(CountNode());
      CUSTODY_ASSIGN_OR_RETURN(Filter right, ParseAnd(depth, in_value_filter));
      Filter node;
      node.kind = Filter::Kind::kOr;
      node.children.push_back(std::move(left));
      node.children.push_back(std::move(right));
      left = std::move(node);
    }
    return left;
  }

  Result<Filter> ParseAnd(int depth, bool in_value_filter) {
    CUSTODY_ASSIGN_OR_RETURN(Filter left, ParseUnary(depth, in_value_filter));
    while (PeekKeyword("and")) {
      position_ += 3;
      CUSTODY_RETURN_IF_ERROR(CountNode());
      CUSTODY_ASSIGN_OR_RETURN(Filter right, ParseUnary(depth, in_value_filter));
      Filter node;
      node.kind = Filter::Kind::kAnd;
      node.children.push_back(std::move(left));
      node.children.push_back(std::move(right));
      left = std::move(node);
    }
    return left;
  }

  Result<Filter> ParseParenthesized(int depth, bool in_value_filter) {
    // The caller has seen "(".
    ++position_;
    CUSTODY_ASSIGN_OR_RETURN(Filter inner, ParseOr(depth + 1, in_value_filter));
    SkipSpaces();
    if (position_ >= text_.size() || text_[position_] != ')') {
      return Error("missing )");
    }
    ++position_;
    return inner;
  }

  Result<Filter> ParseUnary(int depth, bool in_value_filter) {
    CUSTODY_RETURN_IF_ERROR(CountNode());
    SkipSpaces();
    if (position_ >= text_.size()) {
      return Error("an expression is missing at the end");
    }
    if (PeekKeyword("not")) {
      position_ += 3;
      SkipSpaces();
      if (position_ >= text_.size() || text_[position_] != '(') {
        return Error("\"not\" must be followed by (");
      }
      Filter node;
      node.kind = Filter::Kind::kNot;
      CUSTODY_ASSIGN_OR_RETURN(Filter inner, ParseParenthesized(depth + 1, in_value_filter));
      node.children.push_back(std::move(inner));
      return node;
    }
    if (text_[position_] == '(') {
      return ParseParenthesized(depth, in_value_filter);
    }
    return ParseAttributeExpression(depth, in_value_filter);
  }

  Result<Filter> ParseAttributeExpression(int depth, bool in_value_filter) {
    const size_t start = position_;
    const std::string_view token = ReadPathToken();
    if (token.empty()) {
      return Error("expected an attribute name at offset " + std::to_string(start));
    }
    std::optional<AttributePath> path = SplitAttributePath(token);
    if (!path.has_value()) {
      return Error("\"" + std::string(token) + "\" is not an attribute path");
    }
    Filter node;
    node.path = std::move(*path);

    if (position_ < text_.size() && text_[position_] == '[') {
      if (in_value_filter) {
        return Error("value filters cannot be nested");
      }
      if (!node.path.sub_attribute.empty()) {
        return Error("a value filter must follow the attribute, not its sub-attribute");
      }
      if (depth + 1 > kMaxFilterDepth) {
        return Error("nested more than " + std::to_string(kMaxFilterDepth) + " levels deep");
      }
      ++position_;
      node.kind = Filter::Kind::kValuePath;
      CUSTODY_ASSIGN_OR_RETURN(Filter inner, ParseOr(depth + 1, true));
      SkipSpaces();
      if (position_ >= text_.size() || text_[position_] != ']') {
        return Error("missing ] after the value filter");
      }
      ++position_;
      node.children.push_back(std::move(inner));
      return node;
    }

    SkipSpaces();
    const size_t operator_start = position_;
    while (position_ < text_.size() && IsAlpha(text_[position_])) {
      ++position_;
    }
    const std::string op = ToLowerAscii(text_.substr(operator_start, position_ - operator_start));
    if (op == "pr") {
      node.kind = Filter::Kind::kPresent;
      return node;
    }
    static constexpr std::pair<std::string_view, CompareOp> kOperators[] = {
        {"eq", CompareOp::kEq}, {"ne", CompareOp::kNe}, {"co", CompareOp::kCo},
        {"sw", CompareOp::kSw}, {"ew", CompareOp::kEw}, {"gt", CompareOp::kGt},
        {"ge", CompareOp::kGe}, {"lt", CompareOp::kLt}, {"le", CompareOp::kLe},
    };
    bool known = false;
    for (const auto& [name, value] : kOperators) {
      if (op == name) {
        node.op = value;
        known = true;
      }
    }
    if (!known) {
      return Error(op.empty() ? "expected an operator after " + node.path.ToString()
                              : "unknown operator \"" + op + "\"");
    }
    // RFC 7644 requires a space here, but its own PATCH examples write `value eq"..."`.
    if (position_ >= text_.size() || (!IsSpace(text_[position_]) && text_[position_] != '"')) {
      return Error("expected a space and a value after \"" + op + "\"");
    }
    SkipSpaces();
    CUSTODY_ASSIGN_OR_RETURN(node.value, ParseValue());
    node.kind = Filter::Kind::kCompare;
    return node;
  }

  Result<CompareValue> ParseValue() {
    if (position_ >= text_.size()) {
      return Error("a comparison value is missing at the end");
    }
    CompareValue value;
    if (text_[position_] == '"') {
      value.type = CompareValue::Type::kString;
      CUSTODY_ASSIGN_OR_RETURN(value.text, ParseQuotedString());
      return value;
    }
    const size_t start = position_;
    while (position_ < text_.size() && !IsSpace(text_[position_]) && text_[position_] != ')' &&
           text_[position_] != ']' && text_[position_] != '(' && text_[position_] != '"') {
      ++position_;
    }
    const std::string_view token = text_.substr(start, position_ - start);
    if (token.empty()) {
      return Error("a comparison value is missing at offset " + std::to_string(start));
    }
    const std::string lower = ToLowerAscii(token);
    if (lower == "true" || lower == "false") {
      value.type = CompareValue::Type::kBoolean;
      value.boolean = lower == "true";
    } else if (lower == "null") {
      value.type = CompareValue::Type::kNull;
    } else if (std::optional<double> number = ParseJsonNumber(token)) {
      value.type = CompareValue::Type::kNumber;
      value.number = *number;
    } else {
      value.type = CompareValue::Type::kString;
      value.text = std::string(token);
    }
    return value;
  }

  Result<uint32_t> ParseHex4() {
    if (text_.size() - position_ < 4) {
      return Error("\\u needs four hex digits");
    }
    uint32_t code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[position_++];
      code <<= 4;
      if (IsDigit(c)) {
        code |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        code |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        code |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Error("\\u needs four hex digits");
      }
    }
    return code;
  }

  Result<std::string> ParseQuotedString() {
    ++position_;  // the opening quote
    std::string out;
    while (position_ < text_.size()) {
      const char c = text_[position_++];
      if (c == '"') {
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return Error("control character in a string");
      }
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (position_ >= text_.size()) {
        break;
      }
      const char escaped = text_[position_++];
      switch (escaped) {
        case '"':
        case '\\':
        case '/':
          out.push_back(escaped);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          CUSTODY_ASSIGN_OR_RETURN(uint32_t code, ParseHex4());
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (text_.size() - position_ < 6 || text_[position_] != '\\' ||
                text_[position_ + 1] != 'u') {
              return Error("unpaired surrogate in a string");
            }
            position_ += 2;
            CUSTODY_ASSIGN_OR_RETURN(uint32_t low, ParseHex4());
            if (low < 0xDC00 || low > 0xDFFF) {
              return Error("unpaired surrogate in a string");
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return Error("unpaired surrogate in a string");
          }
          AppendUtf8(code, &out);
          break;
        }
        default:
          return Error("unknown escape \\" + std::string(1, escaped) + " in a string");
      }
    }
    return Error("unterminated string");
  }

  std::string_view text_;
  std::string_view error_type_;
  size_t position_ = 0;
  int nodes_ = 0;
};

// --- Evaluation

const json* FindMember(const json& object, std::string_view name) {
  if (!object.is_object()) {
    return nullptr;
  }
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (EqualsIgnoreCase(it.key(), name)) {
      return &it.value();
    }
  }
  return nullptr;
}

bool IsCaseExact(const AttributePath& path) {
  if (path.sub_attribute.empty()) {
    return EqualsIgnoreCase(path.attribute, "id") || EqualsIgnoreCase(path.attribute, "externalId");
  }
  return EqualsIgnoreCase(path.sub_attribute, "value") &&
         (EqualsIgnoreCase(path.attribute, "members") ||
          EqualsIgnoreCase(path.attribute, "groups") ||
          EqualsIgnoreCase(path.attribute, "manager"));
}

bool IsDateTime(const AttributePath& path) {
  return EqualsIgnoreCase(path.attribute, "meta") &&
         (EqualsIgnoreCase(path.sub_attribute, "created") ||
          EqualsIgnoreCase(path.sub_attribute, "lastModified"));
}

// Collects the values the path names: several for a multi-valued attribute.
std::vector<const json*> Resolve(const AttributePath& path, const json& resource) {
  const json* scope = &resource;
  if (!path.schema.empty()) {
    scope = FindMember(resource, path.schema);
    if (scope == nullptr) {
      // The core schema's URN names attributes at the top level.
      if (EqualsIgnoreCase(path.schema, kUserSchema) ||
          EqualsIgnoreCase(path.schema, kGroupSchema)) {
        scope = &resource;
      } else {
        return {};
      }
    }
  }
  const json* value = FindMember(*scope, path.attribute);
  std::vector<const json*> values;
  if (value == nullptr || value->is_null()) {
    return values;
  }
  auto add_element = [&](const json& element) {
    if (!path.sub_attribute.empty()) {
      const json* sub = FindMember(element, path.sub_attribute);
      if (sub != nullptr && !sub->is_null()) {
        values.push_back(sub);
      }
    } else if (element.is_object()) {
      // A comparison on a complex multi-valued attribute compares its "value".
      const json* sub = FindMember(element, "value");
      if (sub != nullptr && !sub->is_null()) {
        values.push_back(sub);
      }
    } else {
      values.push_back(&element);
    }
  };
  if (value->is_array()) {
    for (const json& element : *value) {
      add_element(element);
    }
  } else if (value->is_object() && path.sub_attribute.empty()) {
    values.push_back(value);
  } else {
    add_element(*value);
  }
  return values;
}

bool CompareStrings(CompareOp op, std::string actual, std::string expected, bool case_exact) {
  if (!case_exact) {
    actual = ToLowerAscii(actual);
    expected = ToLowerAscii(expected);
  }
  switch (op) {
    case CompareOp::kEq:
      return actual == expected;
    case CompareOp::kNe:
      return actual != expected;
    case CompareOp::kCo:
      return actual.find(expected) != std::string::npos;
    case CompareOp::kSw:
      return actual.starts_with(expected);
    case CompareOp::kEw:
      return actual.ends_with(expected);
    case CompareOp::kGt:
      return actual > expected;
    case CompareOp::kGe:
      return actual >= expected;
    case CompareOp::kLt:
      return actual < expected;
    case CompareOp::kLe:
      return actual <= expected;
  }
  return false;
}

template <typename T>
bool CompareOrdered(CompareOp op, const T& actual, const T& expected) {
  switch (op) {
    case CompareOp::kEq:
      return actual == expected;
    case CompareOp::kNe:
      return actual != expected;
    case CompareOp::kGt:
      return actual > expected;
    case CompareOp::kGe:
      return actual >= expected;
    case CompareOp::kLt:
      return actual < expected;
    case CompareOp::kLe:
      return actual <= expected;
    case CompareOp::kCo:
    case CompareOp::kSw:
    case CompareOp::kEw:
      return false;
  }
  return false;
}

// True when one value satisfies `op value`. kNe is handled by the caller as "no value is equal".
bool CompareOne(const AttributePath& path, CompareOp op, const CompareValue& expected,
                const json& actual) {
  if (IsDateTime(path) && actual.is_string() && expected.type == CompareValue::Type::kString) {
    const std::optional<int64_t> actual_time = ParseDateTime(actual.get<std::string>());
    const std::optional<int64_t> expected_time = ParseDateTime(expected.text);
    if (!actual_time.has_value() || !expected_time.has_value()) {
      return false;
    }
    return CompareOrdered(op, *actual_time, *expected_time);
  }
  switch (expected.type) {
    case CompareValue::Type::kString:
      if (!actual.is_string()) {
        return false;
      }
      return CompareStrings(op, actual.get<std::string>(), expected.text, IsCaseExact(path));
    case CompareValue::Type::kNumber:
      if (!actual.is_number()) {
        return false;
      }
      return CompareOrdered(op, actual.get<double>(), expected.number);
    case CompareValue::Type::kBoolean:
      if (!actual.is_boolean() || (op != CompareOp::kEq && op != CompareOp::kNe)) {
        return false;
      }
      return CompareOrdered(op, actual.get<bool>(), expected.boolean);
    case CompareValue::Type::kNull:
      return false;
  }
  return false;
}

bool IsPresent(const json& value) {
  if (value.is_null()) {
    return false;
  }
  if (value.is_string()) {
    return !value.get_ref<const std::string&>().empty();
  }
  if (value.is_array() || value.is_object()) {
    return !value.empty();
  }
  return true;
}

}  // namespace

std::string AttributePath::ToString() const {
  std::string text = schema.empty() ? attribute : schema + ":" + attribute;
  if (!sub_attribute.empty()) {
    text += "." + sub_attribute;
  }
  return text;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) {
      return false;
    }
  }
  return true;
}

Result<Filter> ParseFilter(std::string_view text) {
  if (text.size() > kMaxFilterBytes) {
    return ScimInvalid(kInvalidFilter,
                       "invalid filter: longer than " + std::to_string(kMaxFilterBytes) + " bytes");
  }
  Parser parser(text, kInvalidFilter);
  return parser.ParseWhole();
}

Result<PatchPath> ParsePatchPath(std::string_view text) {
  if (text.size() > kMaxFilterBytes) {
    return ScimInvalid(kInvalidPath,
                       "invalid path: longer than " + std::to_string(kMaxFilterBytes) + " bytes");
  }
  Parser parser(text, kInvalidPath);
  return parser.ParsePath();
}

bool Matches(const Filter& filter, const json& resource) {
  switch (filter.kind) {
    case Filter::Kind::kAnd:
      return Matches(filter.children[0], resource) && Matches(filter.children[1], resource);
    case Filter::Kind::kOr:
      return Matches(filter.children[0], resource) || Matches(filter.children[1], resource);
    case Filter::Kind::kNot:
      return !Matches(filter.children[0], resource);
    case Filter::Kind::kPresent: {
      for (const json* value : Resolve(filter.path, resource)) {
        if (IsPresent(*value)) {
          return true;
        }
      }
      return false;
    }
    case Filter::Kind::kValuePath: {
      AttributePath whole = filter.path;
      const json* scope = &resource;
      if (!whole.schema.empty()) {
        scope = FindMember(resource, whole.schema);
        if (scope == nullptr) {
          scope = &resource;
        }
      }
      const json* value = FindMember(*scope, whole.attribute);
      if (value == nullptr) {
        return false;
      }
      if (value->is_object()) {
        return Matches(filter.children[0], *value);
      }
      if (!value->is_array()) {
        return false;
      }
      for (const json& element : *value) {
        if (element.is_object() && Matches(filter.children[0], element)) {
          return true;
        }
      }
      return false;
    }
    case Filter::Kind::kCompare: {
      const std::vector<const json*> values = Resolve(filter.path, resource);
      if (filter.op == CompareOp::kNe) {
        for (const json* value : values) {
          if (CompareOne(filter.path, CompareOp::kEq, filter.value, *value)) {
            return false;
          }
        }
        return true;
      }
      for (const json* value : values) {
        if (CompareOne(filter.path, filter.op, filter.value, *value)) {
          return true;
        }
      }
      return false;
    }
  }
  return false;
}

}  // namespace custody::scim
