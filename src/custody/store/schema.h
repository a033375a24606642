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

// Tables whose rows can never change or disappear: the audit log's tree and checkpoints, the
// record of what was exported to WORM storage, and the declared parts of multipart uploads.
inline constexpr std::array<std::string_view, 5> kCustodyImmutableTables = {
    "audit_records_v1", "audit_nodes", "audit_checkpoints", "audit_worm_objects",
    "evidence_version_parts"};

// Tables whose rows can change but never disappear. Triggers limit the changes: an audit record
// only loses its payload after its retention, and a log head only grows by one record.
inline constexpr std::array<std::string_view, 4> kCustodyUndeletableTables = {
    "evidence_versions", "audit_records", "audit_heads", "audit_retention"};

}  // namespace custody::store
