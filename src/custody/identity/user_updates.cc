#include "custody/identity/user_updates.h"

#include "custody/authz/validation.h"

namespace custody::identity {

Result<User> UpdateUserProfile(store::Transaction& tx, std::string_view organization_id,
                               std::string_view user_id, std::string_view email,
                               std::string_view display_name) {
  CUSTODY_ASSIGN_OR_RETURN(std::string canonical_email, CanonicalizeEmail(email));
  CUSTODY_RETURN_IF_ERROR(
      authz::ValidateName(display_name, "/display_name", kMaxDisplayNameCharacters));
  CUSTODY_ASSIGN_OR_RETURN(User user, GetUser(tx, organization_id, user_id));
  if (user.email == canonical_email && user.display_name == display_name) {
    return user;
  }

  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> existing,
      tx.QueryOne("SELECT 1 FROM users WHERE organization_id = ? AND email = ? AND id <> ?",
                  {organization_id, canonical_email, user_id}));
  if (existing.has_value()) {
    return Conflict("a user with email " + canonical_email + " already exists");
  }
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute(
            "UPDATE users SET email = ?, display_name = ? WHERE organization_id = ? AND id = ?",
            {canonical_email, display_name, organization_id, user_id})
          .status());
  user.email = std::move(canonical_email);
  user.display_name = std::string(display_name);
  return user;
}

Result<User> ReactivateUser(store::Transaction& tx, std::string_view organization_id,
                            std::string_view user_id) {
  CUSTODY_ASSIGN_OR_RETURN(User user, GetUser(tx, organization_id, user_id));
  if (user.active) {
    return user;
  }
  CUSTODY_RETURN_IF_ERROR(tx.Execute("UPDATE users SET active = 1, deactivated_at = NULL "
                                     "WHERE organization_id = ? AND id = ?",
                                     {organization_id, user_id})
                              .status());
  user.active = true;
  user.deactivated_at.reset();
  return user;
}

}  // namespace custody::identity
