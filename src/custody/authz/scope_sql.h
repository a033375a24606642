// SQL shared by the scope queries of this module (not a public interface).
#pragma once

#include <string_view>

namespace custody::authz {

// A recursive CTE `scoped (id, rank)`: every entity at or below an entity on which the user
// (?2) of the organization (?1) holds a role, with that role's rank (0 = viewer ... 4 = admin,
// the order of the Role enum). An entity reached through several assignments appears once per
// rank, so take MAX(rank) per id.
inline constexpr std::string_view kScopedEntitiesCte =
    "WITH RECURSIVE scoped (id, rank) AS ("
    "  SELECT entity_id, CASE role WHEN 'viewer' THEN 0 WHEN 'auditor' THEN 1"
    "    WHEN 'contributor' THEN 2 WHEN 'manager' THEN 3 WHEN 'admin' THEN 4 END"
    "  FROM role_assignments WHERE organization_id = ?1 AND user_id = ?2"
    "  UNION"
    "  SELECT e.id, s.rank FROM entities e JOIN scoped s ON e.parent_id = s.id"
    "  WHERE e.organization_id = ?1"
    ") ";

}  // namespace custody::authz
