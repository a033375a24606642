#include "custody/scim/patch.h"

#include <string>

#include <nlohmann/json.hpp>

#include "custody/scim/errors.h"
#include "custody/scim/filter.h"

namespace custody::scim {
namespace {

using nlohmann::json;

enum class Op {
  kAdd,
  kReplace,
  kRemove
};

// A resolved path: where the attribute lives and what it is.
struct Target {
  const AttributeDefinition* definition = nullptr;
  const AttributeDefinition* sub_definition = nullptr;  // for "name.givenName"
  bool in_extension = false;
  const PatchPath* path = nullptr;
};

json* FindMemberIgnoreCase(json& object, std::string_view name) {
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

void EraseMemberIgnoreCase(json& object, std::string_view name) {
  if (!object.is_object()) {
    return;
  }
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (EqualsIgnoreCase(it.key(), name)) {
      object.erase(it);
      return;
    }
  }
}

Result<Op> ParseOp(const json& op) {
  if (!op.is_string()) {
    return ScimInvalid(kInvalidSyntax, "each operation needs an \"op\" string");
  }
  const std::string& text = op.get_ref<const std::string&>();
  if (EqualsIgnoreCase(text, "add")) {
    return Op::kAdd;
  }
  if (EqualsIgnoreCase(text, "replace")) {
    return Op::kReplace;
  }
  if (EqualsIgnoreCase(text, "remove")) {
    return Op::kRemove;
  }
  return ScimInvalid(kInvalidSyntax, "unknown op \"" + text + "\"; use add, replace or remove");
}

Result<Target> ResolveTarget(ResourceKind kind, const PatchPath& path) {
  const AttributePath& attribute = path.path;
  if (attribute.schema.empty() && (EqualsIgnoreCase(attribute.attribute, "id") ||
                                   EqualsIgnoreCase(attribute.attribute, "meta") ||
                                   EqualsIgnoreCase(attribute.attribute, "schemas"))) {
    return ScimInvalid(kMutability, attribute.attribute + " cannot be changed");
  }

  Target target;
  target.path = &path;
  target.definition = FindAttribute(kind, attribute.schema, attribute.attribute);
  if (target.definition == nullptr) {
    return ScimInvalid(kInvalidPath, "unknown attribute " + attribute.ToString());
  }
  if (target.definition->mutability == Mutability::kReadOnly) {
    return ScimInvalid(kMutability, attribute.ToString() + " is read-only");
  }

  target.in_extension =
      !attribute.schema.empty() && !EqualsIgnoreCase(attribute.schema, CoreSchema(kind).id);
  if (!attribute.sub_attribute.empty()) {
    target.sub_definition = FindSubAttribute(*target.definition, attribute.sub_attribute);
    if (target.sub_definition == nullptr) {
      return ScimInvalid(kInvalidPath, "unknown attribute " + attribute.ToString());
    }
  }

  if (path.has_filter && !target.definition->multi_valued) {
    return ScimInvalid(kInvalidPath,
                       "a value filter needs a multi-valued attribute: " + attribute.ToString());
  }
  if (!path.filtered_sub_attribute.empty() &&
      FindSubAttribute(*target.definition, path.filtered_sub_attribute) == nullptr) {
    return ScimInvalid(kInvalidPath, "unknown sub-attribute " + path.filtered_sub_attribute);
  }
  return target;
}

// The object that contains the target attribute: the resource, or its extension object.
json* Container(json& resource, const Target& target, bool create) {
  if (!target.in_extension) {
    return &resource;
  }
  const std::string urn(kEnterpriseUserSchema);
  json* extension = FindMemberIgnoreCase(resource, urn);
  if (extension == nullptr) {
    if (!create) {
      return nullptr;
    }
    resource[urn] = json::object();
    extension = &resource[urn];
  }
  return extension;
}

// Keys are canonical in the stored resource, but a PATCH value may spell them otherwise.
json* Attribute(json& container, std::string_view name) {
  return FindMemberIgnoreCase(container, name);
}

json AsList(const json& value) {
  return value.is_array() ? value : json::array({value});
}

// A bare value in a list of complex values is {"value": ...}.
json AsElement(const AttributeDefinition& definition, const json& value) {
  if (definition.type == AttributeType::kComplex && !value.is_object()) {
    return json{{"value", value}};
  }
  return value;
}

const json* ElementKey(const json& element) {
  if (!element.is_object()) {
    return &element;
  }
  for (auto it = element.begin(); it != element.end(); ++it) {
    if (EqualsIgnoreCase(it.key(), "value")) {
      return &it.value();
    }
  }
  return nullptr;
}

bool SameElement(const json& a, const json& b) {
  const json* key_a = ElementKey(a);
  const json* key_b = ElementKey(b);
  if (key_a != nullptr && key_b != nullptr) {
    return *key_a == *key_b;
  }
  return a == b;
}

bool IsPrimary(const json& element) {
  if (!element.is_object()) {
    return false;
  }
  for (auto it = element.begin(); it != element.end(); ++it) {
    if (EqualsIgnoreCase(it.key(), "primary")) {
      const json& flag = it.value();
      return (flag.is_boolean() && flag.get<bool>()) ||
             (flag.is_string() && EqualsIgnoreCase(flag.get<std::string>(), "true"));
    }
  }
  return false;
}

void ClearPrimary(json& list) {
  for (json& element : list) {
    if (!element.is_object()) {
      continue;
    }
    for (auto it = element.begin(); it != element.end(); ++it) {
      if (EqualsIgnoreCase(it.key(), "primary")) {
        it.value() = false;
      }
    }
  }
}

// Merges the sub-attributes of `value` into `element`, replacing those present in both.
Status MergeInto(json& element, const json& value, const std::string& where) {
  if (!value.is_object()) {
    return ScimInvalid(kInvalidValue, "the value for " + where + " must be an object");
  }
  if (!element.is_object()) {
    element = json::object();
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    json* existing = FindMemberIgnoreCase(element, it.key());
    if (existing != nullptr) {
      *existing = it.value();
    } else {
      element[it.key()] = it.value();
    }
  }
  return Status::Ok();
}

void AppendElements(json& list, const AttributeDefinition& definition, const json& values) {
  for (const json& raw : AsList(values)) {
    const json element = AsElement(definition, raw);
    bool duplicate = false;
    for (json& existing : list) {
      if (SameElement(existing, element)) {
        // A repeated add updates the element, for instance a member's display name.
        if (existing.is_object() && element.is_object()) {
          for (auto it = element.begin(); it != element.end(); ++it) {
            existing[it.key()] = it.value();
          }
        }
        duplicate = true;
      }
    }
    if (duplicate) {
      continue;
    }
    if (IsPrimary(element)) {
      ClearPrimary(list);
    }
    list.push_back(element);
  }
}

// The one `attribute eq value` comparison of a value filter, when that is all it is.
const Filter* SingleEquality(const Filter& filter) {
  if (filter.kind == Filter::Kind::kCompare && filter.op == CompareOp::kEq &&
      filter.path.sub_attribute.empty() && filter.path.schema.empty()) {
    return &filter;
  }
  return nullptr;
}

json CompareValueJson(const CompareValue& value) {
  switch (value.type) {
    case CompareValue::Type::kString:
      return value.text;
    case CompareValue::Type::kNumber:
      return value.number;
    case CompareValue::Type::kBoolean:
      return value.boolean;
    case CompareValue::Type::kNull:
      return nullptr;
  }
  return nullptr;
}

Status ApplyFiltered(Op op, json& resource, const Target& target, const json& value) {
  const PatchPath& path = *target.path;
  const std::string name(target.definition->name);
  const std::string where = path.path.ToString();
  json* container = Container(resource, target, op != Op::kRemove);
  if (container == nullptr) {
    return Status::Ok();
  }
  json* list = Attribute(*container, name);
  if (list != nullptr && !list->is_array()) {
    *list = AsList(*list);
  }

  if (op == Op::kRemove) {
    if (list == nullptr) {
      return Status::Ok();
    }
    json kept = json::array();
    for (json& element : *list) {
      if (!Matches(path.filter, element)) {
        kept.push_back(element);
        continue;
      }
      if (!path.filtered_sub_attribute.empty()) {
        EraseMemberIgnoreCase(element, path.filtered_sub_attribute);
        kept.push_back(element);
      }
    }
    *list = std::move(kept);
    return Status::Ok();
  }

  bool matched = false;
  if (list != nullptr) {
    for (json& element : *list) {
      if (!Matches(path.filter, element)) {
        continue;
      }
      matched = true;
      if (!path.filtered_sub_attribute.empty()) {
        json* sub = FindMemberIgnoreCase(element, path.filtered_sub_attribute);
        if (sub != nullptr) {
          *sub = value;
        } else {
          element[path.filtered_sub_attribute] = value;
        }
      } else {
        CUSTODY_RETURN_IF_ERROR(MergeInto(element, value, where));
      }
    }
  }
  if (matched) {
    return Status::Ok();
  }

  const Filter* equality = SingleEquality(path.filter);
  if (equality == nullptr) {
    return ScimInvalid(kNoTarget, "no value of " + where + " matches the filter");
  }
  json element = json::object();
  element[equality->path.attribute] = CompareValueJson(equality->value);
  if (!path.filtered_sub_attribute.empty()) {
    element[path.filtered_sub_attribute] = value;
  } else {
    CUSTODY_RETURN_IF_ERROR(MergeInto(element, value, where));
  }
  if (list == nullptr) {
    (*container)[name] = json::array();
    list = &(*container)[name];
  }
  if (IsPrimary(element)) {
    ClearPrimary(*list);
  }
  list->push_back(std::move(element));
  return Status::Ok();
}

Status ApplySubAttribute(Op op, json& resource, const Target& target, const json& value) {
  const std::string name(target.definition->name);
  const std::string sub_name(target.sub_definition->name);
  json* container = Container(resource, target, op != Op::kRemove);
  if (container == nullptr) {
    return Status::Ok();
  }
  json* attribute = Attribute(*container, name);
  if (attribute == nullptr) {
    if (op == Op::kRemove) {
      return Status::Ok();
    }
    (*container)[name] = target.definition->multi_valued ? json::array() : json::object();
    attribute = &(*container)[name];
  }
  auto apply = [&](json& element) {
    if (!element.is_object()) {
      element = json::object();
    }
    json* existing = FindMemberIgnoreCase(element, sub_name);
    if (op == Op::kRemove) {
      EraseMemberIgnoreCase(element, sub_name);
    } else if (existing != nullptr) {
      *existing = value;
    } else {
      element[sub_name] = value;
    }
  };
  if (attribute->is_array()) {
    for (json& element : *attribute) {
      apply(element);
    }
  } else {
    apply(*attribute);
  }
  return Status::Ok();
}

Status RemoveAttribute(json& resource, const Target& target, const json* value) {
  json* container = Container(resource, target, false);
  if (container == nullptr) {
    return Status::Ok();
  }
  const std::string name(target.definition->name);
  json* attribute = Attribute(*container, name);
  if (attribute == nullptr) {
    return Status::Ok();
  }
  if (value != nullptr && !value->is_null() && target.definition->multi_valued &&
      attribute->is_array()) {
    // Remove only the listed values.
    const json listed = AsList(*value);
    json kept = json::array();
    for (const json& element : *attribute) {
      bool remove = false;
      for (const json& raw : listed) {
        remove = remove || SameElement(element, AsElement(*target.definition, raw));
      }
      if (!remove) {
        kept.push_back(element);
      }
    }
    *attribute = std::move(kept);
    return Status::Ok();
  }
  EraseMemberIgnoreCase(*container, name);
  return Status::Ok();
}

Status ApplyWithPath(ResourceKind kind, Op op, json& resource, const PatchPath& path,
                     const json* value) {
  CUSTODY_ASSIGN_OR_RETURN(const Target target, ResolveTarget(kind, path));
  if (op != Op::kRemove && value == nullptr) {
    return ScimInvalid(kInvalidValue,
                       "the operation on " + path.path.ToString() + " needs a value");
  }
  if (path.has_filter) {
    static const json kNull;
    return ApplyFiltered(op, resource, target, value == nullptr ? kNull : *value);
  }
  if (target.sub_definition != nullptr) {
    static const json kNull;
    return ApplySubAttribute(op, resource, target, value == nullptr ? kNull : *value);
  }
  if (op == Op::kRemove) {
    return RemoveAttribute(resource, target, value);
  }

  json* container = Container(resource, target, true);
  const std::string name(target.definition->name);
  json* attribute = Attribute(*container, name);
  if (target.definition->multi_valued) {
    if (op == Op::kReplace || attribute == nullptr || !attribute->is_array()) {
      json list = json::array();
      if (op == Op::kAdd && attribute != nullptr && !attribute->is_null()) {
        list = AsList(*attribute);
      }
      AppendElements(list, *target.definition, *value);
      if (attribute != nullptr) {
        *attribute = std::move(list);
      } else {
        (*container)[name] = std::move(list);
      }
      return Status::Ok();
    }
    AppendElements(*attribute, *target.definition, *value);
    return Status::Ok();
  }
  if (target.definition->type == AttributeType::kComplex && attribute != nullptr &&
      attribute->is_object() && value->is_object()) {
    return MergeInto(*attribute, *value, path.path.ToString());
  }
  if (attribute != nullptr) {
    *attribute = *value;
  } else {
    (*container)[name] = *value;
  }
  return Status::Ok();
}

Status ApplyWithoutPath(ResourceKind kind, Op op, json& resource, const json* value) {
  if (op == Op::kRemove) {
    return ScimInvalid(kNoTarget, "a remove operation needs a path");
  }
  if (value == nullptr || !value->is_object()) {
    return ScimInvalid(kInvalidValue, "an operation without a path needs an object as its value");
  }
  for (auto it = value->begin(); it != value->end(); ++it) {
    if (EqualsIgnoreCase(it.key(), kEnterpriseUserSchema) && it.value().is_object()) {
      for (auto field = it.value().begin(); field != it.value().end(); ++field) {
        CUSTODY_ASSIGN_OR_RETURN(
            const PatchPath path,
            ParsePatchPath(std::string(kEnterpriseUserSchema) + ":" + field.key()));
        CUSTODY_RETURN_IF_ERROR(ApplyWithPath(kind, op, resource, path, &field.value()));
      }
      continue;
    }
    if (EqualsIgnoreCase(it.key(), "schemas") || EqualsIgnoreCase(it.key(), "id") ||
        EqualsIgnoreCase(it.key(), "meta")) {
      continue;  // a client that sends its whole resource back repeats these
    }
    CUSTODY_ASSIGN_OR_RETURN(const PatchPath path, ParsePatchPath(it.key()));
    CUSTODY_RETURN_IF_ERROR(ApplyWithPath(kind, op, resource, path, &it.value()));
  }
  return Status::Ok();
}

}  // namespace

Result<json> ApplyPatch(ResourceKind kind, const json& resource, const json& request) {
  if (!request.is_object()) {
    return ScimInvalid(kInvalidSyntax, "the PATCH body must be a PatchOp object");
  }
  const auto schemas = request.find("schemas");
  if (schemas != request.end()) {
    bool patch_op = false;
    if (schemas->is_array()) {
      for (const json& schema : *schemas) {
        patch_op = patch_op || (schema.is_string() && schema.get<std::string>() == kPatchOpSchema);
      }
    }
    if (!patch_op) {
      return ScimInvalid(kInvalidSyntax, "schemas must list " + std::string(kPatchOpSchema));
    }
  }
  const json* operations = nullptr;
  for (auto it = request.begin(); it != request.end(); ++it) {
    if (EqualsIgnoreCase(it.key(), "Operations")) {
      operations = &it.value();
    }
  }
  if (operations == nullptr || !operations->is_array() || operations->empty()) {
    return ScimInvalid(kInvalidSyntax, "Operations must be a non-empty list");
  }
  if (operations->size() > kMaxPatchOperations) {
    return ScimInvalid(kInvalidSyntax, "Operations must list at most " +
                                           std::to_string(kMaxPatchOperations) + " operations");
  }

  json patched = resource;
  for (const json& operation : *operations) {
    if (!operation.is_object()) {
      return ScimInvalid(kInvalidSyntax, "each operation must be an object");
    }
    const json* op_field = nullptr;
    const json* path_field = nullptr;
    const json* value_field = nullptr;
    for (auto it = operation.begin(); it != operation.end(); ++it) {
      if (EqualsIgnoreCase(it.key(), "op")) {
        op_field = &it.value();
      } else if (EqualsIgnoreCase(it.key(), "path")) {
        path_field = &it.value();
      } else if (EqualsIgnoreCase(it.key(), "value")) {
        value_field = &it.value();
      }
    }
    CUSTODY_ASSIGN_OR_RETURN(const Op op, ParseOp(op_field == nullptr ? json() : *op_field));
    if (path_field == nullptr || path_field->is_null() ||
        (path_field->is_string() && path_field->get_ref<const std::string&>().empty())) {
      CUSTODY_RETURN_IF_ERROR(ApplyWithoutPath(kind, op, patched, value_field));
      continue;
    }
    if (!path_field->is_string()) {
      return ScimInvalid(kInvalidPath, "path must be a string");
    }
    CUSTODY_ASSIGN_OR_RETURN(const PatchPath path,
                             ParsePatchPath(path_field->get_ref<const std::string&>()));
    CUSTODY_RETURN_IF_ERROR(ApplyWithPath(kind, op, patched, path, value_field));
  }
  return patched;
}

}  // namespace custody::scim
