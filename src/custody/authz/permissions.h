// What each role may do. The one table of minimum roles is in permissions.cc.
//
// Entity actions are checked against the caller's effective role on the entity the resource
// belongs to (Authorize in authorize.h). Organization actions are checked against the role on
// the organization's root entity (AuthorizeOrganizationAction). Actions on one's own API tokens
// and reading one's own profile (GET /api/v1/me) need only authentication and are not here.
#pragma once

#include <array>
#include <string_view>

#include "custody/authz/roles.h"

namespace custody::authz {

enum class Action {
  // Entity actions.
  kReadEntity,         // GET /entities, GET /entities/{id}
  kCreateEntity,       // POST /entities, checked on the parent
  kReadEvidence,       // evidence item metadata and released (stored) versions
  kReadDraftEvidence,  // versions not yet released, e.g. still pending
  kCreateEvidence,     // POST /entities/{id}/evidence
  kUploadVersion,      // POST /evidence/{id}/versions
  kCompleteUpload,     // POST /evidence/{id}/versions/{vid}/complete
  kDownloadVersion,    // POST /evidence/{id}/versions/{vid}/download
  kCommentOnEvidence,  // no endpoint yet: comments, flags, follow-up requests
  kApproveEvidence,    // approve or reject a stored version (POST .../review)
  // Organization actions.
  kManageUsers,            // /users: create, list, get, deactivate
  kManageRoleAssignments,  // /role-assignments: create, list, delete
  kManageTokensOfOthers,   // /tokens for another user's tokens
  kManageAwsConnection,    // /aws-connection: read and change
  kReadAuditLog,           // GET /audit-records
  kManageSso,              // /sso/saml: the organization's identity provider settings
  kVerifyAuditLog,         // /audit: checkpoints, proofs and verifier keys
};

inline constexpr std::array<Action, 17> kAllActions = {
    Action::kReadEntity,           Action::kCreateEntity,
    Action::kReadEvidence,         Action::kReadDraftEvidence,
    Action::kCreateEvidence,       Action::kUploadVersion,
    Action::kCompleteUpload,       Action::kDownloadVersion,
    Action::kCommentOnEvidence,    Action::kApproveEvidence,
    Action::kManageUsers,          Action::kManageRoleAssignments,
    Action::kManageTokensOfOthers, Action::kManageAwsConnection,
    Action::kReadAuditLog,         Action::kManageSso,
    Action::kVerifyAuditLog,
};

enum class ActionScope {
  kEntity,        // needs a role on the resource's entity or an ancestor
  kOrganization,  // needs the role on the organization's root entity
};

// A stable dotted name for logs and tests, e.g. "evidence.read".
std::string_view ActionName(Action action);

Role MinimumRole(Action action);

ActionScope ScopeOf(Action action);

// True when `role` is at least the minimum role of `action`.
bool RoleAllows(Role role, Action action);

}  // namespace custody::authz
