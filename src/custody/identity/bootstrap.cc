#include "custody/identity/bootstrap.h"

#include "custody/audit/audit_log.h"

namespace custody::identity {
namespace {

constexpr std::string_view kBootstrapSource = "local";
constexpr std::string_view kBootstrapTokenName = "created by custodyd init";

Status Record(store::Transaction& tx, const Clock& clock, std::string_view organization_id,
              std::string_view action, std::string resource) {
  audit::Record record;
  record.organization_id = std::string(organization_id);
  record.actor = std::string(audit::kActorSystem);
  record.action = std::string(action);
  record.resource = std::move(resource);
  record.decision = std::string(audit::kDecisionAllow);
  record.source = std::string(kBootstrapSource);
  record.time = clock.Now();
  return audit::Append(tx, record).status();
}

Result<BootstrapResult> BootstrapInTransaction(store::Transaction& tx, const Clock& clock,
                                               std::string_view organization_name,
                                               std::string_view admin_email,
                                               std::string_view admin_display_name) {
  BootstrapResult result;
  const std::string_view actor = audit::kActorSystem;

  CUSTODY_ASSIGN_OR_RETURN(CreatedOrganization created,
                           CreateOrganization(tx, clock, organization_name));
  result.organization = std::move(created.organization);
  result.root_entity = std::move(created.root_entity);
  const std::string& organization_id = result.organization.id;
  CUSTODY_RETURN_IF_ERROR(
      Record(tx, clock, organization_id, "organization.create", "organization/" + organization_id));
  CUSTODY_RETURN_IF_ERROR(
      Record(tx, clock, organization_id, "entity.create", "entity/" + result.root_entity.id));

  std::string display_name(admin_display_name);
  if (display_name.empty()) {
    CUSTODY_ASSIGN_OR_RETURN(display_name, CanonicalizeEmail(admin_email));
  }
  CUSTODY_ASSIGN_OR_RETURN(result.admin,
                           CreateUser(tx, clock, organization_id, admin_email, display_name));
  CUSTODY_RETURN_IF_ERROR(
      Record(tx, clock, organization_id, "user.create", "user/" + result.admin.id));

  CUSTODY_ASSIGN_OR_RETURN(result.admin_role,
                           CreateRoleAssignment(tx, clock, organization_id, result.admin.id,
                                                result.root_entity.id, "admin", actor));
  CUSTODY_RETURN_IF_ERROR(Record(tx, clock, organization_id, "role_assignment.create",
                                 "role_assignment/" + result.admin_role.id));

  CUSTODY_ASSIGN_OR_RETURN(result.token, CreateToken(tx, clock, organization_id, result.admin.id,
                                                     kBootstrapTokenName, actor));
  CUSTODY_RETURN_IF_ERROR(
      Record(tx, clock, organization_id, "token.create", "token/" + result.token.token.id));
  return result;
}

}  // namespace

Result<BootstrapResult> Bootstrap(store::Database& db, const Clock& clock,
                                  std::string_view organization_name, std::string_view admin_email,
                                  std::string_view admin_display_name) {
  return store::WriteReturning<BootstrapResult>(db, [&](store::Transaction& tx) {
    return BootstrapInTransaction(tx, clock, organization_name, admin_email, admin_display_name);
  });
}

}  // namespace custody::identity
