// The SCIM schemas Custody serves (RFC 7643): the core User with the enterprise extension, and
// Group. One table of attribute definitions drives input normalization, the /Schemas
// endpoint and the attribute rules of PATCH.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "custody/common/status.h"

namespace custody::scim {

inline constexpr std::string_view kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr std::string_view kGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr std::string_view kEnterpriseUserSchema =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
inline constexpr std::string_view kPatchOpSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
inline constexpr std::string_view kListResponseSchema =
    "urn:ietf:params:scim:api:messages:2.0:ListResponse";
inline constexpr std::string_view kErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
inline constexpr std::string_view kServiceProviderConfigSchema =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
inline constexpr std::string_view kResourceTypeSchema =
    "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
inline constexpr std::string_view kSchemaSchema = "urn:ietf:params:scim:schemas:core:2.0:Schema";

enum class ResourceKind {
  kUser,
  kGroup
};

enum class AttributeType {
  kString,
  kBoolean,
  kComplex,
  kReference,
  kDateTime,
  kInteger
};

enum class Mutability {
  kReadWrite,
  kReadOnly,
  kImmutable,
  kWriteOnly
};

struct AttributeDefinition {
  std::string_view name;
  AttributeType type = AttributeType::kString;
  bool multi_valued = false;
  Mutability mutability = Mutability::kReadWrite;
  bool required = false;
  bool case_exact = false;
  std::span<const AttributeDefinition> sub_attributes = {};
  std::string_view description = {};
};

struct SchemaDefinition {
  std::string_view id;  // the URN
  std::string_view name;
  std::string_view description;
  std::span<const AttributeDefinition> attributes;
};

// The core schema of `kind`: User or Group.
const SchemaDefinition& CoreSchema(ResourceKind kind);
// The enterprise user extension.
const SchemaDefinition& EnterpriseUserSchema();

// The definition of a top-level attribute, matched without regard to case; null when unknown.
// `schema` is "" or a URN; a URN selects the extension (or the core schema by its own URN).
const AttributeDefinition* FindAttribute(ResourceKind kind, std::string_view schema,
                                         std::string_view name);
// The definition of a sub-attribute of a complex attribute; null when unknown.
const AttributeDefinition* FindSubAttribute(const AttributeDefinition& parent,
                                            std::string_view name);

// Maximum size of one string value, in bytes.
inline constexpr size_t kMaxStringValueBytes = 2048;
// Maximum number of values of one multi-valued attribute, group members excepted.
inline constexpr size_t kMaxMultiValues = 100;

// Returns the canonical form of a resource a client sent (POST, PUT, or a PATCH result).
// Attribute names are spelled as in the schema and the enterprise extension sits under its URN.
// Unknown attributes are dropped, because RFC 7644 §3.3 lets the server ignore them. Read-only
// attributes (id, meta, groups), passwords (Custody has no passwords) and nulls are dropped too,
// and the strings "True"/"False" are read as booleans. Values of the wrong type, strings over
// kMaxStringValueBytes, more than one primary value and a missing required attribute fail with
// scimType invalidValue. Group members are not checked here.
Result<nlohmann::json> NormalizeResource(ResourceKind kind, const nlohmann::json& input);

// The JSON of the /Schemas resources, of /ResourceTypes and of /ServiceProviderConfig.
// `base_url` is the SCIM base ("https://custody.example/scim/v2") for meta.location.
nlohmann::json SchemasJson(std::string_view base_url);
nlohmann::json ResourceTypesJson(std::string_view base_url);
nlohmann::json ServiceProviderConfigJson(std::string_view base_url, int max_results);

// A ListResponse message (RFC 7644 §3.4.2) of `resources`, a JSON array.
nlohmann::json ListResponseJson(int64_t total_results, int start_index, nlohmann::json resources);

}  // namespace custody::scim
