#include "custody/scim/schemas.h"

#include <nlohmann/json.hpp>

#include "custody/scim/errors.h"
#include "custody/scim/filter.h"

namespace custody::scim {
namespace {

using nlohmann::json;
using T = AttributeType;
using M = Mutability;

constexpr AttributeDefinition kNameParts[] = {
    {.name = "formatted", .description = "The full name, formatted for display"},
    {.name = "familyName"},
    {.name = "givenName"},
    {.name = "middleName"},
    {.name = "honorificPrefix"},
    {.name = "honorificSuffix"},
};

// value, display, type and primary: the sub-attributes of most multi-valued attributes.
constexpr AttributeDefinition kTypedValue[] = {
    {.name = "value"},
    {.name = "display"},
    {.name = "type"},
    {.name = "primary", .type = T::kBoolean},
};

constexpr AttributeDefinition kAddressParts[] = {
    {.name = "formatted"},  {.name = "streetAddress"},
    {.name = "locality"},   {.name = "region"},
    {.name = "postalCode"}, {.name = "country"},
    {.name = "type"},       {.name = "primary", .type = T::kBoolean},
};

constexpr AttributeDefinition kGroupReference[] = {
    {.name = "value", .mutability = M::kReadOnly, .case_exact = true},
    {.name = "$ref", .type = T::kReference, .mutability = M::kReadOnly},
    {.name = "display", .mutability = M::kReadOnly},
    {.name = "type", .mutability = M::kReadOnly},
};

constexpr AttributeDefinition kMemberReference[] = {
    {.name = "value", .mutability = M::kImmutable, .case_exact = true},
    {.name = "$ref", .type = T::kReference, .mutability = M::kImmutable},
    {.name = "display"},
    {.name = "type", .mutability = M::kImmutable},
};

constexpr AttributeDefinition kManagerParts[] = {
    {.name = "value", .case_exact = true},
    {.name = "$ref", .type = T::kReference},
    {.name = "displayName", .mutability = M::kReadOnly},
};

constexpr AttributeDefinition kUserAttributes[] = {
    {.name = "userName",
     .required = true,
     .description = "Unique identifier for the User, unique per organization without regard "
                    "to case"},
    {.name = "externalId", .case_exact = true, .description = "The IdP's identifier"},
    {.name = "name", .type = T::kComplex, .sub_attributes = kNameParts},
    {.name = "displayName"},
    {.name = "nickName"},
    {.name = "profileUrl", .type = T::kReference},
    {.name = "title"},
    {.name = "userType"},
    {.name = "preferredLanguage"},
    {.name = "locale"},
    {.name = "timezone"},
    {.name = "active",
     .type = T::kBoolean,
     .description = "false deactivates the Custody user at once"},
    {.name = "password",
     .mutability = M::kWriteOnly,
     .description = "Accepted and discarded: Custody users sign in through the IdP"},
    {.name = "emails", .type = T::kComplex, .multi_valued = true, .sub_attributes = kTypedValue},
    {.name = "phoneNumbers",
     .type = T::kComplex,
     .multi_valued = true,
     .sub_attributes = kTypedValue},
    {.name = "ims", .type = T::kComplex, .multi_valued = true, .sub_attributes = kTypedValue},
    {.name = "photos", .type = T::kComplex, .multi_valued = true, .sub_attributes = kTypedValue},
    {.name = "addresses",
     .type = T::kComplex,
     .multi_valued = true,
     .sub_attributes = kAddressParts},
    {.name = "groups",
     .type = T::kComplex,
     .multi_valued = true,
     .mutability = M::kReadOnly,
     .sub_attributes = kGroupReference},
    {.name = "entitlements",
     .type = T::kComplex,
     .multi_valued = true,
     .sub_attributes = kTypedValue},
    {.name = "roles", .type = T::kComplex, .multi_valued = true, .sub_attributes = kTypedValue},
    {.name = "x509Certificates",
     .type = T::kComplex,
     .multi_valued = true,
     .sub_attributes = kTypedValue},
};

constexpr AttributeDefinition kEnterpriseAttributes[] = {
    {.name = "employeeNumber"},
    {.name = "costCenter"},
    {.name = "organization"},
    {.name = "division"},
    {.name = "department"},
    {.name = "manager", .type = T::kComplex, .sub_attributes = kManagerParts},
};

constexpr AttributeDefinition kGroupAttributes[] = {
    {.name = "displayName", .required = true},
    {.name = "externalId", .case_exact = true},
    {.name = "members",
     .type = T::kComplex,
     .multi_valued = true,
     .sub_attributes = kMemberReference,
     .description = "Users of the organization; membership grants the roles mapped to the group"},
};

const SchemaDefinition kUserSchemaDefinition{kUserSchema, "User", "User Account", kUserAttributes};
const SchemaDefinition kEnterpriseSchemaDefinition{kEnterpriseUserSchema, "EnterpriseUser",
                                                   "Enterprise User", kEnterpriseAttributes};
const SchemaDefinition kGroupSchemaDefinition{kGroupSchema, "Group", "Group", kGroupAttributes};

const AttributeDefinition* FindIn(std::span<const AttributeDefinition> attributes,
                                  std::string_view name) {
  for (const AttributeDefinition& attribute : attributes) {
    if (EqualsIgnoreCase(attribute.name, name)) {
      return &attribute;
    }
  }
  return nullptr;
}

Status InvalidValue(std::string_view pointer, std::string_view expected) {
  return ScimInvalid(kInvalidValue, std::string(pointer) + " must be " + std::string(expected));
}

// Reads a boolean, accepting the strings "true"/"false" in any case (Entra sends "True").
Result<bool> NormalizeBoolean(const json& value, std::string_view pointer) {
  if (value.is_boolean()) {
    return value.get<bool>();
  }
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (EqualsIgnoreCase(text, "true")) {
      return true;
    }
    if (EqualsIgnoreCase(text, "false")) {
      return false;
    }
  }
  return InvalidValue(pointer, "a boolean");
}

Result<json> NormalizeValue(const AttributeDefinition& definition, const json& value,
                            const std::string& pointer);

Result<json> NormalizeComplex(const AttributeDefinition& definition, const json& value,
                              const std::string& pointer) {
  if (!value.is_object()) {
    return InvalidValue(pointer, "an object");
  }
  json out = json::object();
  for (auto it = value.begin(); it != value.end(); ++it) {
    const AttributeDefinition* sub = FindIn(definition.sub_attributes, it.key());
    // Entra's reference tests name a member's display "displayName".
    if (sub == nullptr && definition.name == "members" &&
        EqualsIgnoreCase(it.key(), "displayName") && !value.contains("display")) {
      sub = FindIn(definition.sub_attributes, "display");
    }
    if (sub == nullptr || it.value().is_null()) {
      continue;
    }
    CUSTODY_ASSIGN_OR_RETURN(
        json normalized, NormalizeValue(*sub, it.value(), pointer + "/" + std::string(sub->name)));
    out[std::string(sub->name)] = std::move(normalized);
  }
  return out;
}

Result<json> NormalizeSingle(const AttributeDefinition& definition, const json& value,
                             const std::string& pointer) {
  switch (definition.type) {
    case T::kBoolean: {
      CUSTODY_ASSIGN_OR_RETURN(bool flag, NormalizeBoolean(value, pointer));
      return json(flag);
    }
    case T::kComplex:
      return NormalizeComplex(definition, value, pointer);
    case T::kInteger:
      if (!value.is_number_integer()) {
        return InvalidValue(pointer, "an integer");
      }
      return value;
    case T::kString:
    case T::kReference:
    case T::kDateTime:
      if (!value.is_string()) {
        return InvalidValue(pointer, "a string");
      }
      if (value.get_ref<const std::string&>().size() > kMaxStringValueBytes) {
        return InvalidValue(pointer,
                            "at most " + std::to_string(kMaxStringValueBytes) + " bytes long");
      }
      return value;
  }
  return InvalidValue(pointer, "a known type");
}

Result<json> NormalizeValue(const AttributeDefinition& definition, const json& value,
                            const std::string& pointer) {
  if (!definition.multi_valued) {
    return NormalizeSingle(definition, value, pointer);
  }
  // A single value where a list is expected is read as a list of one.
  const json list = value.is_array() ? value : json::array({value});
  if (list.size() > kMaxMultiValues && definition.name != "members") {
    return InvalidValue(pointer,
                        "a list of at most " + std::to_string(kMaxMultiValues) + " values");
  }
  json out = json::array();
  int primaries = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].is_null()) {
      continue;
    }
    // A bare value in a list of complex values is read as {"value": ...}.
    const json item =
        definition.type == T::kComplex && !list[i].is_object() ? json{{"value", list[i]}} : list[i];
    CUSTODY_ASSIGN_OR_RETURN(json element,
                             NormalizeSingle(definition, item, pointer + "/" + std::to_string(i)));
    if (element.is_object() && element.value("primary", false)) {
      ++primaries;
    }
    if (element.is_object() && element.empty()) {
      continue;
    }
    out.push_back(std::move(element));
  }
  if (primaries > 1) {
    return InvalidValue(pointer, "a list with at most one primary value");
  }
  return out;
}

bool IsWritable(const AttributeDefinition& definition) {
  return definition.mutability != M::kReadOnly && definition.mutability != M::kWriteOnly;
}

json AttributeJson(const AttributeDefinition& attribute) {
  static constexpr std::string_view kTypeNames[] = {"string",    "boolean",  "complex",
                                                    "reference", "dateTime", "integer"};
  static constexpr std::string_view kMutabilityNames[] = {"readWrite", "readOnly", "immutable",
                                                          "writeOnly"};
  json out = {
      {"name", attribute.name},
      {"type", kTypeNames[static_cast<int>(attribute.type)]},
      {"multiValued", attribute.multi_valued},
      {"description", attribute.description},
      {"required", attribute.required},
      {"caseExact", attribute.case_exact},
      {"mutability", kMutabilityNames[static_cast<int>(attribute.mutability)]},
      {"returned", attribute.mutability == M::kWriteOnly ? "never" : "default"},
      {"uniqueness", attribute.name == "userName" ? "server" : "none"},
  };
  if (attribute.type == T::kReference) {
    out["referenceTypes"] = json::array({"external"});
  }
  if (!attribute.sub_attributes.empty()) {
    json subs = json::array();
    for (const AttributeDefinition& sub : attribute.sub_attributes) {
      subs.push_back(AttributeJson(sub));
    }
    out["subAttributes"] = std::move(subs);
  }
  return out;
}

json SchemaJson(const SchemaDefinition& schema, std::string_view base_url) {
  json attributes = json::array();
  for (const AttributeDefinition& attribute : schema.attributes) {
    attributes.push_back(AttributeJson(attribute));
  }
  return {
      {"schemas", json::array({kSchemaSchema})},
      {"id", schema.id},
      {"name", schema.name},
      {"description", schema.description},
      {"attributes", std::move(attributes)},
      {"meta",
       {{"resourceType", "Schema"},
        {"location", std::string(base_url) + "/Schemas/" + std::string(schema.id)}}},
  };
}

}  // namespace

const SchemaDefinition& CoreSchema(ResourceKind kind) {
  return kind == ResourceKind::kUser ? kUserSchemaDefinition : kGroupSchemaDefinition;
}

const SchemaDefinition& EnterpriseUserSchema() {
  return kEnterpriseSchemaDefinition;
}

const AttributeDefinition* FindAttribute(ResourceKind kind, std::string_view schema,
                                         std::string_view name) {
  const SchemaDefinition& core = CoreSchema(kind);
  if (schema.empty() || EqualsIgnoreCase(schema, core.id)) {
    return FindIn(core.attributes, name);
  }
  if (kind == ResourceKind::kUser && EqualsIgnoreCase(schema, kEnterpriseUserSchema)) {
    return FindIn(kEnterpriseAttributes, name);
  }
  return nullptr;
}

const AttributeDefinition* FindSubAttribute(const AttributeDefinition& parent,
                                            std::string_view name) {
  return FindIn(parent.sub_attributes, name);
}

Result<json> NormalizeResource(ResourceKind kind, const json& input) {
  if (!input.is_object()) {
    return ScimInvalid(kInvalidSyntax, "the resource must be a JSON object");
  }
  const SchemaDefinition& core = CoreSchema(kind);
  json out = json::object();
  for (auto it = input.begin(); it != input.end(); ++it) {
    if (it.value().is_null()) {
      continue;
    }
    if (kind == ResourceKind::kUser && EqualsIgnoreCase(it.key(), kEnterpriseUserSchema)) {
      if (!it.value().is_object()) {
        return InvalidValue("/" + std::string(kEnterpriseUserSchema), "an object");
      }
      json extension = json::object();
      for (auto field = it.value().begin(); field != it.value().end(); ++field) {
        const AttributeDefinition* definition = FindIn(kEnterpriseAttributes, field.key());
        if (definition == nullptr || field.value().is_null()) {
          continue;
        }
        CUSTODY_ASSIGN_OR_RETURN(json value, NormalizeValue(*definition, field.value(),
                                                            "/" + std::string(definition->name)));
        extension[std::string(definition->name)] = std::move(value);
      }
      if (!extension.empty()) {
        out[std::string(kEnterpriseUserSchema)] = std::move(extension);
      }
      continue;
    }
    const AttributeDefinition* definition = FindIn(core.attributes, it.key());
    if (definition == nullptr || !IsWritable(*definition)) {
      continue;
    }
    CUSTODY_ASSIGN_OR_RETURN(
        json value, NormalizeValue(*definition, it.value(), "/" + std::string(definition->name)));
    out[std::string(definition->name)] = std::move(value);
  }
  for (const AttributeDefinition& definition : core.attributes) {
    if (!definition.required) {
      continue;
    }
    const auto found = out.find(std::string(definition.name));
    if (found == out.end() || !found->is_string() ||
        found->get_ref<const std::string&>().find_first_not_of(" \t") == std::string::npos) {
      return ScimInvalid(kInvalidValue, std::string(definition.name) + " is required");
    }
  }
  return out;
}

json SchemasJson(std::string_view base_url) {
  return json::array({SchemaJson(kUserSchemaDefinition, base_url),
                      SchemaJson(kEnterpriseSchemaDefinition, base_url),
                      SchemaJson(kGroupSchemaDefinition, base_url)});
}

json ResourceTypesJson(std::string_view base_url) {
  const std::string base(base_url);
  json user = {
      {"schemas", json::array({kResourceTypeSchema})},
      {"id", "User"},
      {"name", "User"},
      {"endpoint", "/Users"},
      {"description", "User Account"},
      {"schema", kUserSchema},
      {"schemaExtensions", json::array({{{"schema", kEnterpriseUserSchema}, {"required", false}}})},
      {"meta", {{"resourceType", "ResourceType"}, {"location", base + "/ResourceTypes/User"}}},
  };
  json group = {
      {"schemas", json::array({kResourceTypeSchema})},
      {"id", "Group"},
      {"name", "Group"},
      {"endpoint", "/Groups"},
      {"description", "Group"},
      {"schema", kGroupSchema},
      {"meta", {{"resourceType", "ResourceType"}, {"location", base + "/ResourceTypes/Group"}}},
  };
  return json::array({std::move(user), std::move(group)});
}

json ServiceProviderConfigJson(std::string_view base_url, int max_results) {
  return {
      {"schemas", json::array({kServiceProviderConfigSchema})},
      {"patch", {{"supported", true}}},
      {"bulk", {{"supported", false}, {"maxOperations", 0}, {"maxPayloadSize", 0}}},
      {"filter", {{"supported", true}, {"maxResults", max_results}}},
      {"changePassword", {{"supported", false}}},
      {"sort", {{"supported", false}}},
      {"etag", {{"supported", true}}},
      {"authenticationSchemes",
       json::array({{{"type", "oauthbearertoken"},
                     {"name", "OAuth Bearer Token"},
                     {"description", "An organization's SCIM token, created by its admins"},
                     {"primary", true}}})},
      {"meta",
       {{"resourceType", "ServiceProviderConfig"},
        {"location", std::string(base_url) + "/ServiceProviderConfig"}}},
  };
}

json ListResponseJson(int64_t total_results, int start_index, json resources) {
  const size_t items = resources.size();
  return {{"schemas", json::array({kListResponseSchema})},
          {"totalResults", total_results},
          {"startIndex", start_index},
          {"itemsPerPage", items},
          {"Resources", std::move(resources)}};
}

}  // namespace custody::scim
