#include "custody/scim/projection.h"

#include <nlohmann/json.hpp>

#include "custody/scim/errors.h"
#include "custody/scim/schemas.h"

namespace custody::scim {
namespace {

using nlohmann::json;

// Splits at commas outside brackets and quoted strings.
Result<std::vector<std::string>> SplitList(std::string_view text) {
  std::vector<std::string> entries;
  std::string current;
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      current += c;
      if (c == '\\' && i + 1 < text.size()) {
        current += text[++i];
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '[') {
      ++depth;
    } else if (c == ']') {
      --depth;
    } else if (c == ',' && depth == 0) {
      entries.push_back(std::move(current));
      current.clear();
      continue;
    }
    current += c;
  }
  entries.push_back(std::move(current));
  for (std::string& entry : entries) {
    const size_t first = entry.find_first_not_of(' ');
    const size_t last = entry.find_last_not_of(' ');
    entry = first == std::string::npos ? "" : entry.substr(first, last - first + 1);
  }
  if (entries.size() > kMaxSelectedAttributes) {
    return ScimInvalid(kInvalidPath, "at most " + std::to_string(kMaxSelectedAttributes) +
                                         " attributes may be listed");
  }
  return entries;
}

const json* FindMember(const json& object, std::string_view name, std::string* key) {
  if (!object.is_object()) {
    return nullptr;
  }
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (EqualsIgnoreCase(it.key(), name)) {
      *key = it.key();
      return &it.value();
    }
  }
  return nullptr;
}

bool IsExtension(std::string_view schema) {
  return !schema.empty() && !EqualsIgnoreCase(schema, kUserSchema) &&
         !EqualsIgnoreCase(schema, kGroupSchema);
}

// The object that contains the path's attribute in `resource`, and its key there.
const json* Scope(const json& resource, const PatchPath& path, std::string* scope_key) {
  if (!IsExtension(path.path.schema)) {
    scope_key->clear();
    return &resource;
  }
  return FindMember(resource, path.path.schema, scope_key);
}

void Include(const json& resource, const PatchPath& path, json& out) {
  std::string scope_key;
  const json* scope = Scope(resource, path, &scope_key);
  if (scope == nullptr) {
    return;
  }

  std::string key;
  const json* value = FindMember(*scope, path.path.attribute, &key);
  if (value == nullptr) {
    return;
  }

  json& target = scope_key.empty() ? out : out[scope_key];
  if (path.has_filter && value->is_array()) {
    json& list = target[key];
    if (!list.is_array()) {
      list = json::array();
    }
    for (const json& element : *value) {
      if (Matches(path.filter, element)) {
        list.push_back(element);
      }
    }
    return;
  }

  if (path.path.sub_attribute.empty()) {
    target[key] = *value;
    return;
  }

  std::string sub_key;
  if (value->is_object()) {
    const json* sub = FindMember(*value, path.path.sub_attribute, &sub_key);
    if (sub != nullptr) {
      target[key][sub_key] = *sub;
    }
    return;
  }
  if (value->is_array()) {
    json list = json::array();
    for (const json& element : *value) {
      const json* sub = FindMember(element, path.path.sub_attribute, &sub_key);
      if (sub != nullptr) {
        list.push_back({{sub_key, *sub}});
      }
    }
    target[key] = std::move(list);
  }
}

void Exclude(json& resource, const PatchPath& path) {
  if (!IsExtension(path.path.schema) && (EqualsIgnoreCase(path.path.attribute, "id") ||
                                         EqualsIgnoreCase(path.path.attribute, "schemas"))) {
    return;
  }
  std::string scope_key;
  const json* scope_const = Scope(resource, path, &scope_key);
  if (scope_const == nullptr) {
    return;
  }
  json& scope = scope_key.empty() ? resource : resource[scope_key];
  std::string key;
  if (FindMember(scope, path.path.attribute, &key) == nullptr) {
    return;
  }
  if (path.path.sub_attribute.empty()) {
    scope.erase(key);
    return;
  }
  auto erase_sub = [&](json& element) {
    std::string sub_key;
    if (FindMember(element, path.path.sub_attribute, &sub_key) != nullptr) {
      element.erase(sub_key);
    }
  };
  json& value = scope[key];
  if (value.is_array()) {
    for (json& element : value) {
      erase_sub(element);
    }
  } else {
    erase_sub(value);
  }
}

}  // namespace

Result<AttributeSelection> ParseAttributeSelection(const std::optional<std::string>& attributes,
                                                   const std::optional<std::string>& excluded) {
  AttributeSelection selection;
  auto parse = [&](const std::string& text, std::vector<PatchPath>* out, bool allow_extension) {
    CUSTODY_ASSIGN_OR_RETURN(std::vector<std::string> entries, SplitList(text));
    for (const std::string& entry : entries) {
      if (entry.empty()) {
        continue;
      }
      if (allow_extension && EqualsIgnoreCase(entry, kEnterpriseUserSchema)) {
        selection.whole_extensions.push_back(std::string(kEnterpriseUserSchema));
        continue;
      }
      CUSTODY_ASSIGN_OR_RETURN(PatchPath path, ParsePatchPath(entry));
      out->push_back(std::move(path));
    }
    return Status::Ok();
  };
  if (attributes.has_value()) {
    CUSTODY_RETURN_IF_ERROR(parse(*attributes, &selection.attributes, true));
  }
  if (excluded.has_value()) {
    CUSTODY_RETURN_IF_ERROR(parse(*excluded, &selection.excluded, false));
  }
  return selection;
}

bool IsDefaultSelection(const AttributeSelection& selection) {
  return selection.attributes.empty() && selection.excluded.empty() &&
         selection.whole_extensions.empty();
}

json SelectAttributes(const json& resource, const AttributeSelection& selection) {
  json out;
  if (selection.attributes.empty() && selection.whole_extensions.empty()) {
    out = resource;
  } else {
    out = json::object();
    for (std::string_view always : {"schemas", "id"}) {
      if (resource.contains(always)) {
        out[std::string(always)] = resource.at(std::string(always));
      }
    }
    for (const PatchPath& path : selection.attributes) {
      Include(resource, path, out);
    }
    for (const std::string& urn : selection.whole_extensions) {
      if (resource.contains(urn)) {
        out[urn] = resource.at(urn);
      }
    }
  }
  for (const PatchPath& path : selection.excluded) {
    Exclude(out, path);
  }
  return out;
}

}  // namespace custody::scim
