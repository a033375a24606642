#include "custody/identity/users.h"

#include "custody/authz/authorize.h"
#include "custody/authz/validation.h"
#include "custody/identity/organization_rows.h"
#include "custody/identity/role_assignments.h"
#include "custody/identity/sessions.h"
#include "custody/store/ids.h"
#include "custody/store/page_cursor.h"

namespace custody::identity {
namespace {

constexpr std::string_view kUserColumns =
    "seq, id, organization_id, email, display_name, active, created_at, deactivated_at";

User UserFromRow(const store::Row& row) {
  User user;
  user.seq = row.Int64(0);
  user.id = row.Text(1);
  user.organization_id = row.Text(2);
  user.email = row.Text(3);
  user.display_name = row.Text(4);
  user.active = row.Int64(5) != 0;
  user.created_at = row.Time(6);
  user.deactivated_at = row.OptionalTime(7);
  return user;
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

bool IsAlphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsValidLocalPart(std::string_view local) {
  constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : local) {
    if (!IsAlphanumeric(c) && c != '.' && kSpecials.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool IsValidDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) {
    return false;
  }
  int labels = 0;
  size_t start = 0;
  while (start <= domain.size()) {
    const size_t end = std::min(domain.find('.', start), domain.size());
    const std::string_view label = domain.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsAlphanumeric(c) && c != '-') {
        return false;
      }
    }
    ++labels;
    start = end + 1;
  }
  return labels >= 2;
}

Status InvalidEmail() {
  return InvalidArgument("email must be an address of the form name@example.com", "/email");
}

}  // namespace

Result<std::string> CanonicalizeEmail(std::string_view email) {
  while (!email.empty() && IsAsciiSpace(email.front())) {
    email.remove_prefix(1);
  }
  while (!email.empty() && IsAsciiSpace(email.back())) {
    email.remove_suffix(1);
  }
  if (email.size() > 254) {
    return InvalidArgument("email must be at most 254 characters", "/email");
  }
  std::string canonical(email);
  for (char& c : canonical) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  const size_t at = canonical.find('@');
  if (at == std::string::npos || canonical.find('@', at + 1) != std::string::npos) {
    return InvalidEmail();
  }
  const std::string_view view(canonical);
  if (!IsValidLocalPart(view.substr(0, at)) || !IsValidDomain(view.substr(at + 1))) {
    return InvalidEmail();
  }
  return canonical;
}

Result<User> CreateUser(store::Transaction& tx, const Clock& clock,
                        std::string_view organization_id, std::string_view email,
                        std::string_view display_name) {
  CUSTODY_ASSIGN_OR_RETURN(std::string canonical_email, CanonicalizeEmail(email));
  CUSTODY_RETURN_IF_ERROR(
      authz::ValidateName(display_name, "/display_name", kMaxDisplayNameCharacters));

  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> existing,
      tx.QueryOne("SELECT 1 FROM users WHERE organization_id = ? AND email = ?",
                  {organization_id, canonical_email}));
  if (existing.has_value()) {
    return Conflict("a user with email " + canonical_email + " already exists");
  }

  User user;
  user.id = store::NewId(store::kUserIdPrefix);
  user.organization_id = std::string(organization_id);
  user.email = std::move(canonical_email);
  user.display_name = std::string(display_name);
  user.created_at = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("INSERT INTO users (id, organization_id, email, display_name, active, "
                  "created_at) VALUES (?, ?, ?, ?, 1, ?) RETURNING seq",
                  {user.id, user.organization_id, user.email, user.display_name,
                   store::ToUnixMicros(user.created_at)}));
  user.seq = row->Int64(0);
  return user;
}

Result<User> GetUser(store::Transaction& tx, std::string_view organization_id,
                     std::string_view user_id) {
  CUSTODY_ASSIGN_OR_RETURN(const store::Row row,
                           GetOrganizationRow(tx, "users", kUserColumns, organization_id, user_id));
  return UserFromRow(row);
}

Result<User> FindUserByEmail(store::Transaction& tx, std::string_view organization_id,
                             std::string_view email) {
  Result<std::string> canonical_email = CanonicalizeEmail(email);
  if (!canonical_email.ok()) {
    return authz::NotFoundError();
  }
  CUSTODY_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                           tx.QueryOne("SELECT " + std::string(kUserColumns) +
                                           " FROM users WHERE organization_id = ? AND email = ?",
                                       {organization_id, *canonical_email}));
  if (!row.has_value()) {
    return authz::NotFoundError();
  }
  return UserFromRow(*row);
}

Result<UserPage> ListUsers(store::Transaction& tx, std::string_view organization_id,
                           std::optional<std::string_view> after, int limit) {
  if (limit < 1 || limit > kMaxUserPageSize) {
    return InvalidArgument("limit must be between 1 and " + std::to_string(kMaxUserPageSize),
                           "limit");
  }
  CUSTODY_ASSIGN_OR_RETURN(
      const int64_t before_seq,
      store::SeqBeforeCursor(tx, after.has_value(),
                             "SELECT seq FROM users WHERE organization_id = ? AND id = ?",
                             {organization_id, after.value_or("")}));
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<store::Row> rows,
      tx.Query("SELECT " + std::string(kUserColumns) +
                   " FROM users WHERE organization_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
               {organization_id, before_seq, limit + 1}));
  UserPage page;
  for (const store::Row& row : rows) {
    if (page.users.size() == static_cast<size_t>(limit)) {
      page.next_after = page.users.back().id;
      break;
    }
    page.users.push_back(UserFromRow(row));
  }
  return page;
}

Result<User> DeactivateUser(store::Transaction& tx, const Clock& clock,
                            std::string_view organization_id, std::string_view user_id) {
  CUSTODY_ASSIGN_OR_RETURN(User user, GetUser(tx, organization_id, user_id));
  if (!user.active) {
    return user;
  }
  CUSTODY_ASSIGN_OR_RETURN(bool last_admin, IsLastActiveRootAdmin(tx, organization_id, user_id));
  if (last_admin) {
    return Conflict("the last active admin of the organization cannot be deactivated");
  }

  user.active = false;
  user.deactivated_at = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute("UPDATE users SET active = 0, deactivated_at = ? "
                 "WHERE organization_id = ? AND id = ?",
                 {store::ToUnixMicros(*user.deactivated_at), organization_id, user_id})
          .status());
  CUSTODY_RETURN_IF_ERROR(
      RevokeUserSessions(tx, clock, organization_id, user_id, kRevokedUserDeactivated).status());
  return user;
}

}  // namespace custody::identity
