#include "custody/scim/provisioning.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "custody/audit/audit_log.h"
#include "custody/audit/record.h"
#include "custody/authz/authorize.h"
#include "custody/authz/roles.h"
#include "custody/authz/validation.h"
#include "custody/crypto/random.h"
#include "custody/identity/role_assignments.h"
#include "custody/identity/user_updates.h"
#include "custody/identity/users.h"
#include "custody/scim/datetime.h"
#include "custody/scim/errors.h"
#include "custody/scim/patch.h"
#include "custody/scim/schemas.h"
#include "custody/store/ids.h"

namespace custody::scim {
namespace {

using nlohmann::json;

std::string UserResourceName(std::string_view user_id) {
  return "user/" + std::string(user_id);
}

std::string GroupResourceName(std::string_view group_id) {
  return "scim_group/" + std::string(group_id);
}

std::string TrimSpaces(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return "";
  }
  const size_t last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::string LowerAscii(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return text;
}

// The canonical userName: white space trimmed, ASCII letters lowercased. The same form is
// used for uniqueness and for lookups by filter.
std::string UserNameKey(std::string_view user_name) {
  return LowerAscii(TrimSpaces(user_name));
}

std::string StringOr(const json& object, std::string_view key, std::string fallback = "") {
  const auto it = object.find(std::string(key));
  if (it == object.end() || !it->is_string()) {
    return fallback;
  }
  return it->get<std::string>();
}

std::optional<std::string> OptionalString(const json& object, std::string_view key) {
  const auto it = object.find(std::string(key));
  if (it == object.end() || !it->is_string()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

bool IsPlaceholderEmail(std::string_view email) {
  return email.ends_with("@" + std::string(kPlaceholderEmailDomain));
}

std::string PlaceholderEmail() {
  return "scim-" + LowerAscii(crypto::RandomAlphanumeric(24)) + "@" +
         std::string(kPlaceholderEmailDomain);
}

// The Custody e-mail for a userName: the userName itself when it is an address, else the
// current placeholder (or a new one).
std::string EmailFor(std::string_view user_name, std::string_view current_email) {
  Result<std::string> email = identity::CanonicalizeEmail(user_name);
  if (email.ok() && !IsPlaceholderEmail(*email)) {
    return *email;
  }
  if (IsPlaceholderEmail(current_email)) {
    return std::string(current_email);
  }
  return PlaceholderEmail();
}

Result<std::string> DisplayNameFor(const json& resource) {
  std::vector<std::string> candidates;
  candidates.push_back(StringOr(resource, "displayName"));
  const auto name = resource.find("name");
  if (name != resource.end() && name->is_object()) {
    candidates.push_back(StringOr(*name, "formatted"));
    candidates.push_back(StringOr(*name, "givenName") + " " + StringOr(*name, "familyName"));
  }
  candidates.push_back(StringOr(resource, "userName"));
  for (const std::string& candidate : candidates) {
    const std::string trimmed = TrimSpaces(candidate);
    if (!trimmed.empty() &&
        authz::ValidateName(trimmed, "/displayName", identity::kMaxDisplayNameCharacters).ok()) {
      return trimmed;
    }
  }
  return ScimInvalid(kInvalidValue,
                     "displayName, name and userName give no valid display name: at most " +
                         std::to_string(identity::kMaxDisplayNameCharacters) +
                         " characters without control characters are needed");
}

// Moves `email` off a user that SCIM deleted, to a placeholder, so that a new SCIM user may
// take it. A user that is not a deleted SCIM user keeps it, and the caller gets a conflict.
Status ReleaseEmailOfDeletedUser(store::Transaction& tx, std::string_view organization_id,
                                 std::string_view email, std::string_view except_user_id) {
  if (IsPlaceholderEmail(email)) {
    return Status::Ok();
  }
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT u.id, u.display_name FROM users u JOIN scim_users s "
                  "ON s.organization_id = u.organization_id AND s.user_id = u.id "
                  "WHERE u.organization_id = ? AND u.email = ? AND u.id <> ? "
                  "AND s.deleted_at IS NOT NULL",
                  {organization_id, email, except_user_id}));
  if (!row.has_value()) {
    return Status::Ok();
  }
  return identity::UpdateUserProfile(tx, organization_id, row->Text(0), PlaceholderEmail(),
                                     row->Text(1))
      .status();
}

Status AsUniqueness(const Status& status, std::string_view what) {
  if (status.code() == ErrorCode::kConflict && status.field().empty()) {
    return ScimUniqueness(std::string(what) + ": " + status.message());
  }
  return status;
}

Status AppendAudit(store::Transaction& tx, const Clock& clock, const ChangeContext& context,
                   std::string_view action, std::string_view resource) {
  audit::Record record;
  record.organization_id = context.organization_id;
  record.actor = context.actor;
  record.action = std::string(action);
  record.resource = std::string(resource);
  record.decision = std::string(audit::kDecisionAllow);
  record.request_id = context.request_id;
  record.source = context.source;
  record.time = clock.Now();
  const Result<uint64_t> appended = audit::Append(tx, record);
  if (appended.status().code() == ErrorCode::kInvalidArgument) {
    return Internal("the audit log rejected the record of " + std::string(action) + ": " +
                    appended.status().message());
  }
  return appended.status();
}

Status InsertChanges(store::Transaction& tx, const Clock& clock, const ChangeContext& context,
                     std::string_view action, std::string_view resource, const json& changes) {
  return tx
      .Execute(
          "INSERT INTO scim_changes (organization_id, request_id, time, actor, action, "
          "resource, changes) VALUES (?, ?, ?, ?, ?, ?, ?)",
          {context.organization_id, context.request_id, store::ToUnixMicros(clock.Now()),
           context.actor, action, resource, changes.dump()})
      .status();
}

// The attributes whose values differ, as [{"attribute", "before", "after"}].
json DiffAttributes(const json& before, const json& after) {
  json changes = json::array();
  std::set<std::string> keys;
  for (auto it = before.begin(); it != before.end(); ++it) {
    keys.insert(it.key());
  }
  for (auto it = after.begin(); it != after.end(); ++it) {
    keys.insert(it.key());
  }
  for (const std::string& key : keys) {
    const json old_value = before.contains(key) ? before.at(key) : json();
    const json new_value = after.contains(key) ? after.at(key) : json();
    if (old_value != new_value) {
      changes.push_back({{"attribute", key}, {"before", old_value}, {"after", new_value}});
    }
  }
  return changes;
}

int64_t NowMicros(const Clock& clock) {
  return store::ToUnixMicros(clock.Now());
}

json Meta(std::string_view resource_type, int64_t created, int64_t updated, int64_t version,
          std::string_view location) {
  return {{"resourceType", resource_type},
          {"created", FormatDateTime(created)},
          {"lastModified", FormatDateTime(updated)},
          {"location", location},
          {"version", EntityTag(version)}};
}

// --- Users

constexpr std::string_view kUserColumns =
    "s.user_id, s.resource, s.version, s.created_at, s.updated_at, u.active, u.email, s.seq";
constexpr std::string_view kUserJoin =
    " FROM scim_users s JOIN users u ON u.organization_id = s.organization_id AND u.id = s.user_id"
    " WHERE s.organization_id = ? AND s.deleted_at IS NULL";

struct UserRow {
  std::string user_id;
  json resource;  // stored attributes, without active
  int64_t version = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  bool active = true;
  std::string email;
};

Result<UserRow> UserFromRow(const store::Row& row) {
  UserRow user;
  user.user_id = row.Text(0);
  user.resource = json::parse(row.Text(1), nullptr, false);
  if (user.resource.is_discarded() || !user.resource.is_object()) {
    return Internal("stored SCIM user " + user.user_id + " is not a JSON object");
  }
  user.version = row.Int64(2);
  user.created_at = row.Int64(3);
  user.updated_at = row.Int64(4);
  user.active = row.Int64(5) != 0;
  user.email = row.Text(6);
  return user;
}

Result<UserRow> LoadUser(store::Transaction& tx, std::string_view organization_id,
                         std::string_view user_id) {
  if (!store::IsWellFormedId(user_id, store::kUserIdPrefix)) {
    return authz::NotFoundError();
  }
  CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                           tx.QueryOne("SELECT " + std::string(kUserColumns) +
                                           std::string(kUserJoin) + " AND s.user_id = ?",
                                       {organization_id, user_id}));
  if (!row.has_value()) {
    return authz::NotFoundError();
  }
  return UserFromRow(*row);
}

Result<json> GroupsOfUser(store::Transaction& tx, std::string_view organization_id,
                          std::string_view user_id, std::string_view base_url) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT g.id, g.display_name FROM scim_group_members m JOIN scim_groups g "
               "ON g.id = m.group_id WHERE m.organization_id = ? AND m.user_id = ? "
               "ORDER BY g.seq LIMIT 1000",
               {organization_id, user_id}));
  json groups = json::array();
  for (const store::Row& row : rows) {
    groups.push_back({{"value", row.Text(0)},
                      {"display", row.Text(1)},
                      {"$ref", std::string(base_url) + "/Groups/" + row.Text(0)},
                      {"type", "direct"}});
  }
  return groups;
}

json UserJson(const UserRow& user, const json& groups, std::string_view base_url) {
  json out = user.resource;
  json schemas = json::array({kUserSchema});
  if (out.contains(std::string(kEnterpriseUserSchema))) {
    schemas.push_back(kEnterpriseUserSchema);
  }
  out["schemas"] = std::move(schemas);
  out["id"] = user.user_id;
  out["active"] = user.active;
  if (!groups.empty()) {
    out["groups"] = groups;
  }
  out["meta"] = Meta("User", user.created_at, user.updated_at, user.version,
                     std::string(base_url) + "/Users/" + user.user_id);
  return out;
}

Status CheckUserNameFree(store::Transaction& tx, std::string_view organization_id,
                         std::string_view key, std::string_view except_user_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT user_id FROM scim_users WHERE organization_id = ? AND user_name_key = ? "
                  "AND deleted_at IS NULL AND user_id <> ?",
                  {organization_id, key, except_user_id}));
  if (row.has_value()) {
    return ScimUniqueness("userName is already taken by another user");
  }
  return Status::Ok();
}

// Splits "active" off the normalized resource: it lives in the users table.
std::optional<bool> TakeActive(json& resource) {
  const auto it = resource.find("active");
  if (it == resource.end()) {
    return std::nullopt;
  }
  const bool active = it->is_boolean() && it->get<bool>();
  resource.erase(it);
  return active;
}

Status SetActive(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                 std::string_view user_id, bool was_active, bool active) {
  if (was_active == active) {
    return Status::Ok();
  }
  if (!active) {
    CUSTODY_RETURN_IF_ERROR(
        identity::DeactivateUser(tx, clock, context.organization_id, user_id).status());
    context.deactivated_user_ids.emplace_back(user_id);
    return AppendAudit(tx, clock, context, "user.deactivate", UserResourceName(user_id));
  }
  CUSTODY_RETURN_IF_ERROR(identity::ReactivateUser(tx, context.organization_id, user_id).status());
  CUSTODY_RETURN_IF_ERROR(
      AppendAudit(tx, clock, context, "user.reactivate", UserResourceName(user_id)));
  // Roles that could not be granted while the user was inactive are granted now.
  return ReconcileRoles(tx, clock, context, user_id);
}

Result<json> StoreUserChange(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                             UserRow& user, json resource, std::string_view action,
                             std::string_view base_url) {
  const std::optional<bool> active = TakeActive(resource);
  const std::string user_name = TrimSpaces(StringOr(resource, "userName"));
  const std::string key = UserNameKey(user_name);
  CUSTODY_RETURN_IF_ERROR(CheckUserNameFree(tx, context.organization_id, key, user.user_id));

  CUSTODY_ASSIGN_OR_RETURN(const std::string display_name, DisplayNameFor(resource));
  const std::string email = EmailFor(user_name, user.email);
  CUSTODY_RETURN_IF_ERROR(
      ReleaseEmailOfDeletedUser(tx, context.organization_id, email, user.user_id));
  const Status updated =
      identity::UpdateUserProfile(tx, context.organization_id, user.user_id, email, display_name)
          .status();
  CUSTODY_RETURN_IF_ERROR(AsUniqueness(updated, "userName"));
  CUSTODY_RETURN_IF_ERROR(
      SetActive(tx, clock, context, user.user_id, user.active, active.value_or(user.active)));

  json before = user.resource;
  before["active"] = user.active;
  user.resource = std::move(resource);
  user.active = active.value_or(user.active);
  user.email = email;
  json after = user.resource;
  after["active"] = user.active;
  const json changes = DiffAttributes(before, after);
  if (!changes.empty()) {
    user.version += 1;
    user.updated_at = NowMicros(clock);
    CUSTODY_RETURN_IF_ERROR(
        tx.Execute("UPDATE scim_users SET user_name_key = ?, external_id = ?, resource = ?, "
                   "version = ?, updated_at = ? WHERE organization_id = ? AND user_id = ?",
                   {key, OptionalString(user.resource, "externalId"), user.resource.dump(),
                    user.version, user.updated_at, context.organization_id, user.user_id})
            .status());
  }
  CUSTODY_RETURN_IF_ERROR(
      InsertChanges(tx, clock, context, action, UserResourceName(user.user_id), changes));
  CUSTODY_ASSIGN_OR_RETURN(json groups,
                           GroupsOfUser(tx, context.organization_id, user.user_id, base_url));
  return UserJson(user, groups, base_url);
}

// --- Groups

struct GroupRow {
  std::string id;
  std::string display_name;
  std::optional<std::string> external_id;
  int64_t version = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct Member {
  std::string user_id;
  std::optional<std::string> display;
};

constexpr std::string_view kGroupColumns =
    "id, display_name, external_id, version, created_at, updated_at";

GroupRow GroupFromRow(const store::Row& row) {
  GroupRow group;
  group.id = row.Text(0);
  group.display_name = row.Text(1);
  group.external_id = row.OptionalText(2);
  group.version = row.Int64(3);
  group.created_at = row.Int64(4);
  group.updated_at = row.Int64(5);
  return group;
}

Result<GroupRow> LoadGroup(store::Transaction& tx, std::string_view organization_id,
                           std::string_view group_id) {
  if (!store::IsWellFormedId(group_id, kGroupIdPrefix)) {
    return authz::NotFoundError();
  }
  CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                           tx.QueryOne("SELECT " + std::string(kGroupColumns) +
                                           " FROM scim_groups WHERE organization_id = ? AND id = ?",
                                       {organization_id, group_id}));
  if (!row.has_value()) {
    return authz::NotFoundError();
  }
  return GroupFromRow(*row);
}

Result<std::vector<Member>> LoadMembers(store::Transaction& tx, std::string_view organization_id,
                                        std::string_view group_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT user_id, display FROM scim_group_members "
               "WHERE organization_id = ? AND group_id = ? ORDER BY added_at, user_id",
               {organization_id, group_id}));
  std::vector<Member> members;
  for (const store::Row& row : rows) {
    members.push_back({row.Text(0), row.OptionalText(1)});
  }
  return members;
}

json MembersJson(const std::vector<Member>& members, std::string_view base_url) {
  json list = json::array();
  for (const Member& member : members) {
    json entry = {{"value", member.user_id},
                  {"$ref", std::string(base_url) + "/Users/" + member.user_id},
                  {"type", "User"}};
    if (member.display.has_value()) {
      entry["display"] = *member.display;
    }
    list.push_back(std::move(entry));
  }
  return list;
}

// The group's attributes in the canonical form that PATCH works on.
json GroupResource(const GroupRow& group, const std::vector<Member>& members) {
  json resource = {{"displayName", group.display_name}};
  if (group.external_id.has_value()) {
    resource["externalId"] = *group.external_id;
  }
  json list = json::array();
  for (const Member& member : members) {
    json entry = {{"value", member.user_id}};
    if (member.display.has_value()) {
      entry["display"] = *member.display;
    }
    list.push_back(std::move(entry));
  }
  resource["members"] = std::move(list);
  return resource;
}

json GroupJson(const GroupRow& group, const std::vector<Member>& members,
               std::string_view base_url) {
  json out = {{"schemas", json::array({kGroupSchema})},
              {"id", group.id},
              {"displayName", group.display_name}};
  if (group.external_id.has_value()) {
    out["externalId"] = *group.external_id;
  }
  out["members"] = MembersJson(members, base_url);
  out["meta"] = Meta("Group", group.created_at, group.updated_at, group.version,
                     std::string(base_url) + "/Groups/" + group.id);
  return out;
}

Result<std::string> GroupDisplayName(const json& resource) {
  const std::string display_name = TrimSpaces(StringOr(resource, "displayName"));
  CUSTODY_RETURN_IF_ERROR(
      authz::ValidateName(display_name, "/displayName", kMaxGroupDisplayNameCharacters));
  return display_name;
}

struct MemberChanges {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> ignored;  // values that name no SCIM user of the organization
};

// Makes the group's members those of `resource` and returns what changed. Members that name
// no SCIM user of the organization are ignored: nested groups are not supported, and a value
// that names nothing grants nothing.
Result<MemberChanges> StoreMembers(store::Transaction& tx, const Clock& clock,
                                   const ChangeContext& context, std::string_view group_id,
                                   const std::vector<Member>& current, const json& resource) {
  std::map<std::string, std::optional<std::string>> wanted;
  MemberChanges changes;
  const auto list = resource.find("members");
  if (list != resource.end() && list->is_array()) {
    for (const json& entry : *list) {
      const std::string value = StringOr(entry, "value");
      if (wanted.contains(value)) {
        continue;
      }
      CUSTODY_ASSIGN_OR_RETURN(
          std::optional<store::Row> row,
          tx.QueryOne("SELECT 1 FROM scim_users WHERE organization_id = ? AND user_id = ? "
                      "AND deleted_at IS NULL",
                      {context.organization_id, value}));
      if (!row.has_value()) {
        changes.ignored.push_back(value);
        continue;
      }
      wanted[value] = OptionalString(entry, "display");
    }
  }
  std::map<std::string, std::optional<std::string>> existing;
  for (const Member& member : current) {
    existing[member.user_id] = member.display;
  }
  for (const auto& [user_id, display] : existing) {
    if (!wanted.contains(user_id)) {
      CUSTODY_RETURN_IF_ERROR(
          tx.Execute("DELETE FROM scim_group_members WHERE group_id = ? AND user_id = ?",
                     {group_id, user_id})
              .status());
      changes.removed.push_back(user_id);
    }
  }
  for (const auto& [user_id, display] : wanted) {
    const auto found = existing.find(user_id);
    if (found == existing.end()) {
      CUSTODY_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO scim_group_members (organization_id, group_id, user_id, display, "
                     "added_at) VALUES (?, ?, ?, ?, ?)",
                     {context.organization_id, group_id, user_id, display, NowMicros(clock)})
              .status());
      changes.added.push_back(user_id);
    } else if (found->second != display && display.has_value()) {
      CUSTODY_RETURN_IF_ERROR(
          tx.Execute("UPDATE scim_group_members SET display = ? WHERE group_id = ? AND user_id = ?",
                     {display, group_id, user_id})
              .status());
    }
  }
  return changes;
}

Result<json> StoreGroupChange(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                              GroupRow& group, const json& resource, std::string_view action,
                              std::string_view base_url) {
  CUSTODY_ASSIGN_OR_RETURN(const std::string display_name, GroupDisplayName(resource));
  CUSTODY_ASSIGN_OR_RETURN(std::vector<Member> current,
                           LoadMembers(tx, context.organization_id, group.id));
  CUSTODY_ASSIGN_OR_RETURN(MemberChanges members,
                           StoreMembers(tx, clock, context, group.id, current, resource));

  json changes = json::array();
  if (display_name != group.display_name) {
    changes.push_back(
        {{"attribute", "displayName"}, {"before", group.display_name}, {"after", display_name}});
  }
  const std::optional<std::string> external_id = OptionalString(resource, "externalId");
  if (external_id != group.external_id) {
    changes.push_back(
        {{"attribute", "externalId"},
         {"before", group.external_id.has_value() ? json(*group.external_id) : json()},
         {"after", external_id.has_value() ? json(*external_id) : json()}});
  }
  if (!members.added.empty() || !members.removed.empty() || !members.ignored.empty()) {
    changes.push_back({{"attribute", "members"},
                       {"added", members.added},
                       {"removed", members.removed},
                       {"ignored", members.ignored}});
  }
  group.display_name = display_name;
  group.external_id = external_id;
  if (!changes.empty()) {
    group.version += 1;
    group.updated_at = NowMicros(clock);
    CUSTODY_RETURN_IF_ERROR(
        tx.Execute("UPDATE scim_groups SET display_name = ?, external_id = ?, version = ?, "
                   "updated_at = ? WHERE organization_id = ? AND id = ?",
                   {group.display_name, group.external_id, group.version, group.updated_at,
                    context.organization_id, group.id})
            .status());
  }
  CUSTODY_RETURN_IF_ERROR(
      InsertChanges(tx, clock, context, action, GroupResourceName(group.id), changes));
  for (const std::vector<std::string>* affected : {&members.added, &members.removed}) {
    for (const std::string& user_id : *affected) {
      CUSTODY_RETURN_IF_ERROR(ReconcileRoles(tx, clock, context, user_id));
    }
  }
  CUSTODY_ASSIGN_OR_RETURN(std::vector<Member> stored,
                           LoadMembers(tx, context.organization_id, group.id));
  return GroupJson(group, stored, base_url);
}

// --- Lists

struct Page {
  int64_t offset = 0;  // 0-based
  int64_t count = 0;
};

Page PageOf(const ListQuery& query) {
  return {std::max(query.start_index, 1) - 1, std::clamp(query.count, 0, kMaxListCount)};
}

// The indexed lookups: `userName eq`, `externalId eq` and `id eq` with a string.
struct IndexedLookup {
  std::string column;
  std::string value;
};

std::optional<IndexedLookup> IndexedLookupOf(const std::optional<Filter>& filter,
                                             std::string_view user_name_attribute) {
  if (!filter.has_value() || filter->kind != Filter::Kind::kCompare ||
      filter->op != CompareOp::kEq || filter->value.type != CompareValue::Type::kString ||
      !filter->path.sub_attribute.empty()) {
    return std::nullopt;
  }
  const AttributePath& path = filter->path;
  if (!path.schema.empty() && !EqualsIgnoreCase(path.schema, kUserSchema) &&
      !EqualsIgnoreCase(path.schema, kGroupSchema)) {
    return std::nullopt;
  }
  if (!user_name_attribute.empty() && EqualsIgnoreCase(path.attribute, user_name_attribute)) {
    return IndexedLookup{"user_name_key", UserNameKey(filter->value.text)};
  }
  if (EqualsIgnoreCase(path.attribute, "externalId")) {
    return IndexedLookup{"external_id", filter->value.text};
  }
  if (EqualsIgnoreCase(path.attribute, "id")) {
    return IndexedLookup{"id", filter->value.text};
  }
  return std::nullopt;
}

json ListJson(int64_t total, json resources) {
  return {{"totalResults", total}, {"Resources", std::move(resources)}};
}

json SliceOf(const std::vector<json>& matched, const Page& page) {
  json resources = json::array();
  for (int64_t i = page.offset;
       i < static_cast<int64_t>(matched.size()) && i < page.offset + page.count; ++i) {
    resources.push_back(matched[static_cast<size_t>(i)]);
  }
  return resources;
}

Status TooMany() {
  return ScimInvalid(kTooMany, "the filter would be evaluated over more than " +
                                   std::to_string(kMaxFilterCandidates) +
                                   " resources; filter by userName, externalId or id instead");
}

using GroupsByUserMap = std::map<std::string, json>;

Result<GroupsByUserMap> GroupsByUser(store::Transaction& tx, std::string_view organization_id,
                                     std::string_view base_url) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT m.user_id, g.id, g.display_name FROM scim_group_members m "
               "JOIN scim_groups g ON g.id = m.group_id WHERE m.organization_id = ? "
               "ORDER BY g.seq LIMIT ?",
               {organization_id, kMaxFilterCandidates * 10}));
  GroupsByUserMap groups;
  for (const store::Row& row : rows) {
    json& list = groups[row.Text(0)];
    if (list.is_null()) {
      list = json::array();
    }
    list.push_back({{"value", row.Text(1)},
                    {"display", row.Text(2)},
                    {"$ref", std::string(base_url) + "/Groups/" + row.Text(1)},
                    {"type", "direct"}});
  }
  return groups;
}

// --- Roles

struct Grant {
  std::string entity_id;
  std::string role_assignment_id;
};

}  // namespace

std::string EntityTag(int64_t version) {
  return "W/\"" + std::to_string(version) + "\"";
}

bool ListsEntityTag(std::string_view header_value, std::string_view etag) {
  const std::string_view strong = etag.starts_with("W/") ? etag.substr(2) : etag;
  std::string_view rest = header_value;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string tag = TrimSpaces(rest.substr(0, comma));
    if (std::string_view(tag).starts_with("W/")) {
      tag = tag.substr(2);
    }
    if (tag == "*" || tag == strong) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(comma + 1);
  }
  return false;
}

Status CheckIfMatch(const std::optional<std::string>& if_match, int64_t version) {
  if (!if_match.has_value() || ListsEntityTag(*if_match, EntityTag(version))) {
    return Status::Ok();
  }
  return ScimVersionMismatch();
}

Result<json> CreateUser(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                        const json& normalized, std::string_view base_url) {
  json resource = normalized;
  const std::optional<bool> active = TakeActive(resource);
  const std::string user_name = TrimSpaces(StringOr(resource, "userName"));
  const std::string key = UserNameKey(user_name);
  CUSTODY_RETURN_IF_ERROR(CheckUserNameFree(tx, context.organization_id, key, ""));
  CUSTODY_ASSIGN_OR_RETURN(const std::string display_name, DisplayNameFor(resource));

  const std::string email = EmailFor(user_name, "");
  CUSTODY_RETURN_IF_ERROR(ReleaseEmailOfDeletedUser(tx, context.organization_id, email, ""));
  Result<identity::User> created =
      identity::CreateUser(tx, clock, context.organization_id, email, display_name);
  if (!created.ok()) {
    return AsUniqueness(created.status(),
                        "userName " + user_name + " is the e-mail of a user not managed by SCIM");
  }
  const std::string& user_id = created->id;
  CUSTODY_RETURN_IF_ERROR(
      AppendAudit(tx, clock, context, "user.create", UserResourceName(user_id)));

  UserRow user;
  user.user_id = user_id;
  user.resource = std::move(resource);
  user.version = 1;
  user.created_at = NowMicros(clock);
  user.updated_at = user.created_at;
  user.email = email;
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute(
            "INSERT INTO scim_users (user_id, organization_id, user_name_key, external_id, "
            "resource, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
            {user_id, context.organization_id, key, OptionalString(user.resource, "externalId"),
             user.resource.dump(), user.created_at, user.updated_at})
          .status());
  CUSTODY_RETURN_IF_ERROR(SetActive(tx, clock, context, user_id, true, active.value_or(true)));
  user.active = active.value_or(true);

  json after = user.resource;
  after["active"] = user.active;
  CUSTODY_RETURN_IF_ERROR(InsertChanges(tx, clock, context, kActionUserCreate,
                                        UserResourceName(user_id),
                                        DiffAttributes(json::object(), after)));
  return UserJson(user, json::array(), base_url);
}

Result<json> GetUser(store::Transaction& tx, std::string_view organization_id,
                     std::string_view user_id, std::string_view base_url) {
  CUSTODY_ASSIGN_OR_RETURN(UserRow user, LoadUser(tx, organization_id, user_id));
  CUSTODY_ASSIGN_OR_RETURN(json groups, GroupsOfUser(tx, organization_id, user_id, base_url));
  return UserJson(user, groups, base_url);
}

Result<json> ReplaceUser(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                         std::string_view user_id, const json& normalized,
                         const std::optional<std::string>& if_match, std::string_view base_url) {
  CUSTODY_ASSIGN_OR_RETURN(UserRow user, LoadUser(tx, context.organization_id, user_id));
  CUSTODY_RETURN_IF_ERROR(CheckIfMatch(if_match, user.version));
  return StoreUserChange(tx, clock, context, user, normalized, kActionUserReplace, base_url);
}

Result<json> PatchUser(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                       std::string_view user_id, const json& patch_request,
                       const std::optional<std::string>& if_match, std::string_view base_url) {
  CUSTODY_ASSIGN_OR_RETURN(UserRow user, LoadUser(tx, context.organization_id, user_id));
  CUSTODY_RETURN_IF_ERROR(CheckIfMatch(if_match, user.version));
  json current = user.resource;
  current["active"] = user.active;
  CUSTODY_ASSIGN_OR_RETURN(json patched, ApplyPatch(ResourceKind::kUser, current, patch_request));
  CUSTODY_ASSIGN_OR_RETURN(json normalized, NormalizeResource(ResourceKind::kUser, patched));
  return StoreUserChange(tx, clock, context, user, std::move(normalized), kActionUserPatch,
                         base_url);
}

Status DeleteUser(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                  std::string_view user_id, const std::optional<std::string>& if_match) {
  CUSTODY_ASSIGN_OR_RETURN(UserRow user, LoadUser(tx, context.organization_id, user_id));
  CUSTODY_RETURN_IF_ERROR(CheckIfMatch(if_match, user.version));
  CUSTODY_RETURN_IF_ERROR(SetActive(tx, clock, context, user_id, user.active, false));

  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> groups,
      tx.Query("SELECT group_id FROM scim_group_members WHERE organization_id = ? AND user_id = ?",
               {context.organization_id, user_id}));
  json removed_from = json::array();
  for (const store::Row& row : groups) {
    removed_from.push_back(row.Text(0));
  }
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("DELETE FROM scim_group_members WHERE organization_id = ? AND user_id = ?",
                 {context.organization_id, user_id})
          .status());
  CUSTODY_RETURN_IF_ERROR(ReconcileRoles(tx, clock, context, user_id));

  // The deleted user keeps its e-mail, so that a sign-in with it still finds an inactive user
  // (and just-in-time provisioning cannot make a new one) until SCIM creates a user with that
  // userName again (ReleaseEmailOfDeletedUser).
  const int64_t now = NowMicros(clock);
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("UPDATE scim_users SET deleted_at = ?, updated_at = ?, version = version + 1 "
                 "WHERE organization_id = ? AND user_id = ?",
                 {now, now, context.organization_id, user_id})
          .status());
  json changes = json::array({{{"attribute", "deleted"}, {"before", false}, {"after", true}}});
  if (!removed_from.empty()) {
    changes.push_back({{"attribute", "groups"}, {"removed", removed_from}});
  }
  return InsertChanges(tx, clock, context, kActionUserDelete, UserResourceName(user_id), changes);
}

Result<json> ListUsers(store::Transaction& tx, std::string_view organization_id,
                       const ListQuery& query, std::string_view base_url) {
  const Page page = PageOf(query);
  CUSTODY_ASSIGN_OR_RETURN(GroupsByUserMap groups, GroupsByUser(tx, organization_id, base_url));
  auto to_json = [&](const UserRow& user) {
    const auto found = groups.find(user.user_id);
    return UserJson(user, found == groups.end() ? json::array() : found->second, base_url);
  };

  if (!query.filter.has_value()) {
    CUSTODY_ASSIGN_OR_RETURN(
        std::optional<store::Row> count,
        tx.QueryOne("SELECT COUNT(*) FROM scim_users WHERE organization_id = ? "
                    "AND deleted_at IS NULL",
                    {organization_id}));
    CUSTODY_ASSIGN_OR_RETURN(
        std::vector<store::Row> rows,
        tx.Query("SELECT " + std::string(kUserColumns) + std::string(kUserJoin) +
                     " ORDER BY s.seq LIMIT ? OFFSET ?",
                 {organization_id, page.count, page.offset}));
    json resources = json::array();
    for (const store::Row& row : rows) {
      CUSTODY_ASSIGN_OR_RETURN(UserRow user, UserFromRow(row));
      resources.push_back(to_json(user));
    }
    return ListJson(count->Int64(0), std::move(resources));
  }

  std::vector<store::Row> rows;
  if (std::optional<IndexedLookup> lookup = IndexedLookupOf(query.filter, "userName")) {
    const std::string column = lookup->column == "id" ? "s.user_id" : "s." + lookup->column;
    CUSTODY_ASSIGN_OR_RETURN(
        rows, tx.Query("SELECT " + std::string(kUserColumns) + std::string(kUserJoin) + " AND " +
                           column + " = ? ORDER BY s.seq LIMIT ?",
                       {organization_id, lookup->value, kMaxFilterCandidates + 1}));
  } else {
    CUSTODY_ASSIGN_OR_RETURN(rows, tx.Query("SELECT " + std::string(kUserColumns) +
                                                std::string(kUserJoin) + " ORDER BY s.seq LIMIT ?",
                                            {organization_id, kMaxFilterCandidates + 1}));
  }
  if (rows.size() > static_cast<size_t>(kMaxFilterCandidates)) {
    return TooMany();
  }
  std::vector<json> matched;
  for (const store::Row& row : rows) {
    CUSTODY_ASSIGN_OR_RETURN(UserRow user, UserFromRow(row));
    json resource = to_json(user);
    if (Matches(*query.filter, resource)) {
      matched.push_back(std::move(resource));
    }
  }
  return ListJson(static_cast<int64_t>(matched.size()), SliceOf(matched, page));
}

Result<json> CreateGroup(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                         const json& normalized, std::string_view base_url) {
  CUSTODY_ASSIGN_OR_RETURN(const std::string display_name, GroupDisplayName(normalized));
  GroupRow group;
  group.id = store::NewId(kGroupIdPrefix);
  group.display_name = display_name;
  group.external_id = OptionalString(normalized, "externalId");
  group.version = 1;
  group.created_at = NowMicros(clock);
  group.updated_at = group.created_at;
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO scim_groups (id, organization_id, display_name, external_id, "
                 "version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
                 {group.id, context.organization_id, group.display_name, group.external_id,
                  group.created_at, group.updated_at})
          .status());
  CUSTODY_ASSIGN_OR_RETURN(MemberChanges members, StoreMembers(tx, clock, context, group.id,
                                                               std::vector<Member>{}, normalized));
  json changes =
      json::array({{{"attribute", "displayName"}, {"before", nullptr}, {"after", display_name}}});
  if (group.external_id.has_value()) {
    changes.push_back(
        {{"attribute", "externalId"}, {"before", nullptr}, {"after", *group.external_id}});
  }
  if (!members.added.empty() || !members.ignored.empty()) {
    changes.push_back({{"attribute", "members"},
                       {"added", members.added},
                       {"removed", json::array()},
                       {"ignored", members.ignored}});
  }
  CUSTODY_RETURN_IF_ERROR(
      InsertChanges(tx, clock, context, kActionGroupCreate, GroupResourceName(group.id), changes));
  CUSTODY_ASSIGN_OR_RETURN(std::vector<Member> stored,
                           LoadMembers(tx, context.organization_id, group.id));
  return GroupJson(group, stored, base_url);
}

Result<json> GetGroup(store::Transaction& tx, std::string_view organization_id,
                      std::string_view group_id, std::string_view base_url) {
  CUSTODY_ASSIGN_OR_RETURN(GroupRow group, LoadGroup(tx, organization_id, group_id));
  CUSTODY_ASSIGN_OR_RETURN(std::vector<Member> members, LoadMembers(tx, organization_id, group_id));
  return GroupJson(group, members, base_url);
}

Result<json> ReplaceGroup(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                          std::string_view group_id, const json& normalized,
                          const std::optional<std::string>& if_match, std::string_view base_url) {
  CUSTODY_ASSIGN_OR_RETURN(GroupRow group, LoadGroup(tx, context.organization_id, group_id));
  CUSTODY_RETURN_IF_ERROR(CheckIfMatch(if_match, group.version));
  return StoreGroupChange(tx, clock, context, group, normalized, kActionGroupReplace, base_url);
}

Result<json> PatchGroup(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                        std::string_view group_id, const json& patch_request,
                        const std::optional<std::string>& if_match, std::string_view base_url) {
  CUSTODY_ASSIGN_OR_RETURN(GroupRow group, LoadGroup(tx, context.organization_id, group_id));
  CUSTODY_RETURN_IF_ERROR(CheckIfMatch(if_match, group.version));
  CUSTODY_ASSIGN_OR_RETURN(std::vector<Member> members,
                           LoadMembers(tx, context.organization_id, group_id));
  CUSTODY_ASSIGN_OR_RETURN(
      json patched, ApplyPatch(ResourceKind::kGroup, GroupResource(group, members), patch_request));
  CUSTODY_ASSIGN_OR_RETURN(json normalized, NormalizeResource(ResourceKind::kGroup, patched));
  return StoreGroupChange(tx, clock, context, group, normalized, kActionGroupPatch, base_url);
}

Status DeleteGroup(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                   std::string_view group_id, const std::optional<std::string>& if_match) {
  CUSTODY_ASSIGN_OR_RETURN(GroupRow group, LoadGroup(tx, context.organization_id, group_id));
  CUSTODY_RETURN_IF_ERROR(CheckIfMatch(if_match, group.version));
  CUSTODY_ASSIGN_OR_RETURN(std::vector<Member> members,
                           LoadMembers(tx, context.organization_id, group_id));
  // Memberships and mappings go with the group (ON DELETE CASCADE).
  CUSTODY_RETURN_IF_ERROR(tx.Execute("DELETE FROM scim_groups WHERE organization_id = ? AND id = ?",
                                     {context.organization_id, group_id})
                              .status());
  json removed = json::array();
  for (const Member& member : members) {
    removed.push_back(member.user_id);
    CUSTODY_RETURN_IF_ERROR(ReconcileRoles(tx, clock, context, member.user_id));
  }
  const json changes = json::array(
      {{{"attribute", "displayName"}, {"before", group.display_name}, {"after", nullptr}},
       {{"attribute", "members"}, {"added", json::array()}, {"removed", removed}}});
  return InsertChanges(tx, clock, context, kActionGroupDelete, GroupResourceName(group_id),
                       changes);
}

Result<json> ListGroups(store::Transaction& tx, std::string_view organization_id,
                        const ListQuery& query, std::string_view base_url) {
  const Page page = PageOf(query);
  const std::string select =
      "SELECT " + std::string(kGroupColumns) + " FROM scim_groups WHERE organization_id = ?";
  auto to_json = [&](const store::Row& row) -> Result<json> {
    GroupRow group = GroupFromRow(row);
    CUSTODY_ASSIGN_OR_RETURN(std::vector<Member> members,
                             LoadMembers(tx, organization_id, group.id));
    return GroupJson(group, members, base_url);
  };

  if (!query.filter.has_value()) {
    CUSTODY_ASSIGN_OR_RETURN(
        std::optional<store::Row> count,
        tx.QueryOne("SELECT COUNT(*) FROM scim_groups WHERE organization_id = ?",
                    {organization_id}));
    CUSTODY_ASSIGN_OR_RETURN(std::vector<store::Row> rows,
                             tx.Query(select + " ORDER BY seq LIMIT ? OFFSET ?",
                                      {organization_id, page.count, page.offset}));
    json resources = json::array();
    for (const store::Row& row : rows) {
      CUSTODY_ASSIGN_OR_RETURN(json group, to_json(row));
      resources.push_back(std::move(group));
    }
    return ListJson(count->Int64(0), std::move(resources));
  }

  std::vector<store::Row> rows;
  if (std::optional<IndexedLookup> lookup = IndexedLookupOf(query.filter, "")) {
    CUSTODY_ASSIGN_OR_RETURN(
        rows, tx.Query(select + " AND " + lookup->column + " = ? ORDER BY seq LIMIT ?",
                       {organization_id, lookup->value, kMaxFilterCandidates + 1}));
  } else {
    CUSTODY_ASSIGN_OR_RETURN(rows, tx.Query(select + " ORDER BY seq LIMIT ?",
                                            {organization_id, kMaxFilterCandidates + 1}));
  }
  if (rows.size() > static_cast<size_t>(kMaxFilterCandidates)) {
    return TooMany();
  }
  std::vector<json> matched;
  for (const store::Row& row : rows) {
    CUSTODY_ASSIGN_OR_RETURN(json group, to_json(row));
    if (Matches(*query.filter, group)) {
      matched.push_back(std::move(group));
    }
  }
  return ListJson(static_cast<int64_t>(matched.size()), SliceOf(matched, page));
}

Status ReconcileRoles(store::Transaction& tx, const Clock& clock, ChangeContext& context,
                      std::string_view user_id) {
  const std::string& organization_id = context.organization_id;
  CUSTODY_ASSIGN_OR_RETURN(identity::User user, identity::GetUser(tx, organization_id, user_id));

  // The highest mapped role per entity over the user's groups.
  CUSTODY_ASSIGN_OR_RETURN(std::vector<store::Row> mapped,
                           tx.Query("SELECT p.entity_id, p.role FROM scim_group_members m "
                                    "JOIN scim_group_mappings p ON p.group_id = m.group_id "
                                    "WHERE m.organization_id = ? AND m.user_id = ?",
                                    {organization_id, user_id}));
  std::map<std::string, authz::Role> wanted;
  for (const store::Row& row : mapped) {
    const std::optional<authz::Role> role = authz::ParseRole(row.Text(1));
    if (!role.has_value()) {
      return Internal("group mapping with unknown role " + row.Text(1));
    }
    const auto [it, inserted] = wanted.emplace(row.Text(0), *role);
    if (!inserted && *role > it->second) {
      it->second = *role;
    }
  }

  CUSTODY_ASSIGN_OR_RETURN(std::vector<store::Row> granted_rows,
                           tx.Query("SELECT entity_id, role_assignment_id FROM scim_role_grants "
                                    "WHERE organization_id = ? AND user_id = ?",
                                    {organization_id, user_id}));
  std::map<std::string, identity::RoleAssignment> granted;
  for (const store::Row& row : granted_rows) {
    Result<identity::RoleAssignment> assignment =
        identity::GetRoleAssignment(tx, organization_id, row.Text(1));
    if (assignment.ok()) {
      granted.emplace(row.Text(0), std::move(assignment).value());
      continue;
    }
    if (assignment.status().code() != ErrorCode::kNotFound) {
      return assignment.status();
    }
    // An admin deleted the assignment by hand: forget it.
    CUSTODY_RETURN_IF_ERROR(
        tx.Execute("DELETE FROM scim_role_grants WHERE role_assignment_id = ?", {row.Text(1)})
            .status());
  }

  auto withdraw = [&](const identity::RoleAssignment& assignment) -> Status {
    CUSTODY_RETURN_IF_ERROR(
        identity::DeleteRoleAssignment(tx, clock, organization_id, assignment.id));
    CUSTODY_RETURN_IF_ERROR(
        tx.Execute("DELETE FROM scim_role_grants WHERE role_assignment_id = ?", {assignment.id})
            .status());
    return AppendAudit(tx, clock, context, "role_assignment.delete",
                       "role_assignment/" + assignment.id);
  };
  auto grant = [&](const std::string& entity_id, authz::Role role) -> Status {
    // An assignment made by hand on the entity stays, and SCIM adds none beside it.
    CUSTODY_ASSIGN_OR_RETURN(
        std::optional<store::Row> manual,
        tx.QueryOne("SELECT 1 FROM role_assignments WHERE organization_id = ? AND user_id = ? "
                    "AND entity_id = ?",
                    {organization_id, user_id, entity_id}));
    if (manual.has_value() || !user.active) {
      return Status::Ok();
    }
    CUSTODY_ASSIGN_OR_RETURN(
        identity::RoleAssignment created,
        identity::CreateRoleAssignment(tx, clock, organization_id, user_id, entity_id,
                                       authz::RoleName(role), context.actor));
    CUSTODY_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO scim_role_grants (organization_id, user_id, entity_id, "
                   "role_assignment_id) VALUES (?, ?, ?, ?)",
                   {organization_id, user_id, entity_id, created.id})
            .status());
    return AppendAudit(tx, clock, context, "role_assignment.create",
                       "role_assignment/" + created.id);
  };

  json changes = json::array();
  for (const auto& [entity_id, assignment] : granted) {
    const auto want = wanted.find(entity_id);
    if (want != wanted.end() && want->second == assignment.role) {
      continue;
    }
    CUSTODY_RETURN_IF_ERROR(withdraw(assignment));
    changes.push_back(
        {{"entity_id", entity_id},
         {"before", authz::RoleName(assignment.role)},
         {"after", want == wanted.end() ? json() : json(authz::RoleName(want->second))}});
    if (want != wanted.end()) {
      CUSTODY_RETURN_IF_ERROR(grant(entity_id, want->second));
    }
  }
  for (const auto& [entity_id, role] : wanted) {
    if (granted.contains(entity_id)) {
      continue;
    }
    CUSTODY_ASSIGN_OR_RETURN(
        std::optional<store::Row> existing,
        tx.QueryOne("SELECT 1 FROM scim_role_grants WHERE user_id = ? AND entity_id = ?",
                    {user_id, entity_id}));
    if (existing.has_value()) {
      continue;
    }
    CUSTODY_RETURN_IF_ERROR(grant(entity_id, role));
    changes.push_back(
        {{"entity_id", entity_id}, {"before", nullptr}, {"after", authz::RoleName(role)}});
  }
  if (changes.empty()) {
    return Status::Ok();
  }
  return InsertChanges(tx, clock, context, "scim.roles.reconcile", UserResourceName(user_id),
                       json::array({{{"attribute", "roles"}, {"changes", changes}}}));
}

}  // namespace custody::scim
