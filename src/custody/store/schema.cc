#include "custody/store/schema.h"

namespace custody::store {
namespace {

// Version 1. Conventions (docs/data-model.md): ids are TEXT with a type prefix; times are
// INTEGER microseconds since the Unix epoch, UTC; tables that are listed page by page have an
// INTEGER PRIMARY KEY `seq` assigned by SQLite in insertion order. Foreign keys name the
// organization too, so a row can only point at rows of its own organization.
constexpr std::string_view kSchemaVersion1 = R"sql(
CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at INTEGER NOT NULL,
  root_entity_id TEXT NOT NULL UNIQUE,
  FOREIGN KEY (id, root_entity_id) REFERENCES entities (organization_id, id)
    DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE TABLE entities (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  organization_id TEXT NOT NULL REFERENCES organizations (id) DEFERRABLE INITIALLY DEFERRED,
  parent_id TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('business_unit', 'subsidiary', 'audit_engagement')),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at INTEGER NOT NULL,
  UNIQUE (organization_id, id),
  FOREIGN KEY (organization_id, parent_id) REFERENCES entities (organization_id, id)
) STRICT;

CREATE INDEX entities_by_parent ON entities (organization_id, parent_id);
CREATE UNIQUE INDEX entities_one_root_per_organization ON entities (organization_id)
  WHERE parent_id IS NULL;

CREATE TABLE users (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  email TEXT NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at INTEGER NOT NULL,
  deactivated_at INTEGER,
  UNIQUE (organization_id, email),
  UNIQUE (organization_id, id),
  CHECK ((active = 1) = (deactivated_at IS NULL))
) STRICT;

CREATE TABLE role_assignments (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  organization_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'auditor', 'contributor', 'manager', 'admin')),
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (user_id, entity_id),
  FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
  FOREIGN KEY (organization_id, entity_id) REFERENCES entities (organization_id, id)
) STRICT;

CREATE INDEX role_assignments_by_user ON role_assignments (organization_id, user_id);
CREATE INDEX role_assignments_by_entity ON role_assignments (organization_id, entity_id);

CREATE TABLE api_tokens (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  organization_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at INTEGER,
  FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
) STRICT;

CREATE INDEX api_tokens_by_user ON api_tokens (organization_id, user_id);

CREATE TABLE aws_connections (
  organization_id TEXT PRIMARY KEY REFERENCES organizations (id),
  role_arn TEXT NOT NULL,
  external_id TEXT NOT NULL UNIQUE CHECK (length(external_id) >= 32),
  bucket TEXT NOT NULL,
  region TEXT NOT NULL,
  kms_key_id TEXT NOT NULL,
  key_prefix TEXT NOT NULL DEFAULT '',
  endpoint TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE evidence_items (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  organization_id TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (organization_id, id),
  FOREIGN KEY (organization_id, entity_id) REFERENCES entities (organization_id, id)
) STRICT;

CREATE INDEX evidence_items_by_entity ON evidence_items (organization_id, entity_id, seq);

CREATE TABLE evidence_versions (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  organization_id TEXT NOT NULL,
  evidence_id TEXT NOT NULL,
  number INTEGER NOT NULL CHECK (number >= 1),
  file_name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size >= 1),
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  md5 TEXT NOT NULL CHECK (length(md5) = 32),
  object_key TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('pending', 'stored')),
  failure_reason TEXT,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  stored_at INTEGER,
  UNIQUE (evidence_id, number),
  FOREIGN KEY (organization_id, evidence_id) REFERENCES evidence_items (organization_id, id),
  CHECK ((status = 'stored') = (stored_at IS NOT NULL))
) STRICT;

CREATE INDEX evidence_versions_by_evidence ON evidence_versions (organization_id, evidence_id, number);

-- A version is never deleted. Once stored it never changes, and while pending only its status,
-- stored_at and failure_reason may change.
CREATE TRIGGER evidence_versions_no_delete BEFORE DELETE ON evidence_versions
BEGIN
  SELECT RAISE(ABORT, 'evidence versions cannot be deleted');
END;

CREATE TRIGGER evidence_versions_limited_update BEFORE UPDATE ON evidence_versions
WHEN OLD.status = 'stored'
  OR NEW.seq IS NOT OLD.seq
  OR NEW.id IS NOT OLD.id
  OR NEW.organization_id IS NOT OLD.organization_id
  OR NEW.evidence_id IS NOT OLD.evidence_id
  OR NEW.number IS NOT OLD.number
  OR NEW.file_name IS NOT OLD.file_name
  OR NEW.media_type IS NOT OLD.media_type
  OR NEW.size IS NOT OLD.size
  OR NEW.sha256 IS NOT OLD.sha256
  OR NEW.md5 IS NOT OLD.md5
  OR NEW.object_key IS NOT OLD.object_key
  OR NEW.created_at IS NOT OLD.created_at
  OR NEW.created_by IS NOT OLD.created_by
BEGIN
  SELECT RAISE(ABORT, 'only the status of a pending evidence version can change');
END;

CREATE TABLE audit_records (
  seq INTEGER PRIMARY KEY CHECK (seq >= 0),
  time INTEGER NOT NULL,
  organization_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('allow', 'deny')),
  reason TEXT NOT NULL,
  request_id TEXT NOT NULL,
  source TEXT NOT NULL,
  encoded BLOB NOT NULL
) STRICT;

CREATE INDEX audit_records_by_organization ON audit_records (organization_id, seq);

-- The audit log is append-only: no UPDATE, no DELETE (which also covers UPSERT and, with
-- recursive_triggers on, the delete half of INSERT OR REPLACE), and each new seq must be exactly
-- the next one, 0 for the first record, so the sequence has no gaps and no reuse.
CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
BEGIN
  SELECT RAISE(ABORT, 'audit records cannot be changed');
END;

CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN
  SELECT RAISE(ABORT, 'audit records cannot be deleted');
END;

CREATE TRIGGER audit_records_contiguous_seq BEFORE INSERT ON audit_records
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_records)
BEGIN
  SELECT RAISE(ABORT, 'audit record seq must be the next in sequence');
END;
)sql";

}  // namespace

const std::vector<Migration>& CustodyMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "initial schema", std::string(kSchemaVersion1)},
      // Reserved while three changes are built at once; each is replaced by its real SQL.
      {2, "reserved: audit logs", "SELECT 1;"},
      {3, "reserved: scim", "SELECT 1;"},
      {4, "reserved: sessions", "SELECT 1;"},
  };
  return kMigrations;
}

}  // namespace custody::store
