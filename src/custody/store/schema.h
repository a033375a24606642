// The Custody database schema as an ordered list of migrations. docs/data-model.md describes
// every table and column; keep the two in step.
#pragma once

#include <array>
#include <string_view>
#include <vector>

#include "custody/store/database.h"

namespace custody::store {

// Every migration, version 1 first. A released migration never changes: add a new one.
const std::vector<Migration>& CustodyMigrations();

// Tables whose rows can never change or disappear: the audit log.
inline constexpr std::array<std::string_view, 1> kCustodyImmutableTables = {"audit_records"};

// Tables whose rows can change state but never disappear.
inline constexpr std::array<std::string_view, 1> kCustodyUndeletableTables = {"evidence_versions"};

}  // namespace custody::store
