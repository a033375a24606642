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

// Version 2: one RFC 9162 Merkle log per organization (docs/audit-log-tree.md), with event
// classes and retention. The version 1 table, whose seq ran across organizations, stays as
// `audit_records_v1` (development builds only; no release wrote it) and accepts no new rows.
// unixepoch() needs SQLite 3.38 or later.
constexpr std::string_view kSchemaVersion2 = R"sql(
DROP TRIGGER audit_records_no_update;
DROP TRIGGER audit_records_no_delete;
DROP TRIGGER audit_records_contiguous_seq;
DROP INDEX audit_records_by_organization;
ALTER TABLE audit_records RENAME TO audit_records_v1;

CREATE TRIGGER audit_records_v1_no_insert BEFORE INSERT ON audit_records_v1
BEGIN
  SELECT RAISE(ABORT, 'audit_records_v1 is closed: new records go to audit_records');
END;

CREATE TRIGGER audit_records_v1_no_update BEFORE UPDATE ON audit_records_v1
BEGIN
  SELECT RAISE(ABORT, 'audit records cannot be changed');
END;

CREATE TRIGGER audit_records_v1_no_delete BEFORE DELETE ON audit_records_v1
BEGIN
  SELECT RAISE(ABORT, 'audit records cannot be deleted');
END;

-- Retention per event class, in days. custodyd writes the configured values at start; a
-- record's retain_until is fixed when it is appended, so a later change affects new records only.
CREATE TABLE audit_retention (
  event_class TEXT PRIMARY KEY CHECK (event_class IN ('security', 'operational')),
  retain_days INTEGER NOT NULL CHECK (retain_days >= 1),
  updated_at INTEGER NOT NULL,
  CHECK (event_class <> 'security' OR retain_days >= 365)
) STRICT;

INSERT INTO audit_retention (event_class, retain_days, updated_at)
  VALUES ('security', 2557, 0), ('operational', 365, 0);

CREATE TRIGGER audit_retention_no_delete BEFORE DELETE ON audit_retention
BEGIN
  SELECT RAISE(ABORT, 'audit retention rows cannot be deleted');
END;

-- The leaves of every log. The payload columns (actor ... encoded) are NULL exactly when the
-- record has been purged; the key, leaf_hash, event_class, time and retain_until never change.
CREATE TABLE audit_records (
  organization_id TEXT NOT NULL,
  seq INTEGER NOT NULL CHECK (seq >= 0),
  leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
  event_class TEXT NOT NULL CHECK (event_class IN ('security', 'operational')),
  time INTEGER NOT NULL,
  retain_until INTEGER NOT NULL,
  actor TEXT,
  action TEXT,
  resource TEXT,
  decision TEXT CHECK (decision IN ('allow', 'deny')),
  reason TEXT,
  request_id TEXT,
  source TEXT,
  encoded BLOB,
  purged_at INTEGER,
  PRIMARY KEY (organization_id, seq),
  CHECK ((purged_at IS NULL) = (encoded IS NOT NULL)),
  CHECK (purged_at IS NOT NULL OR (actor IS NOT NULL AND action IS NOT NULL
         AND resource IS NOT NULL AND decision IS NOT NULL AND reason IS NOT NULL
         AND request_id IS NOT NULL AND source IS NOT NULL)),
  CHECK (purged_at IS NULL OR (actor IS NULL AND action IS NULL AND resource IS NULL
         AND decision IS NULL AND reason IS NULL AND request_id IS NULL AND source IS NULL))
) STRICT;

CREATE INDEX audit_records_to_purge ON audit_records (retain_until) WHERE purged_at IS NULL;

-- Every complete subtree of every log: level 0 holds the leaf hashes, and the node at
-- (level, idx) covers leaves [idx * 2^level, (idx + 1) * 2^level).
CREATE TABLE audit_nodes (
  organization_id TEXT NOT NULL,
  level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
  idx INTEGER NOT NULL CHECK (idx >= 0),
  hash BLOB NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (organization_id, level, idx)
) STRICT, WITHOUT ROWID;

-- The size of each log and its compact range: one 32-byte hash per set bit of size, largest
-- subtree first, concatenated. Append reads this row instead of the tree.
CREATE TABLE audit_heads (
  organization_id TEXT PRIMARY KEY,
  size INTEGER NOT NULL CHECK (size >= 1),
  compact_range BLOB NOT NULL CHECK (length(compact_range) % 32 = 0),
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE audit_checkpoints (
  organization_id TEXT NOT NULL,
  tree_size INTEGER NOT NULL CHECK (tree_size >= 1),
  root_hash BLOB NOT NULL CHECK (length(root_hash) = 32),
  signed_note TEXT NOT NULL,
  key_ids TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (organization_id, tree_size)
) STRICT;

-- Records: never deleted (which also stops the delete half of INSERT OR REPLACE, with
-- recursive_triggers on); inserted whole, with the next seq of their log and the leaf hash that
-- audit_nodes already holds; updated only by a purge after retain_until, by the DB's clock.
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN
  SELECT RAISE(ABORT, 'audit records cannot be deleted');
END;

CREATE TRIGGER audit_records_contiguous_seq BEFORE INSERT ON audit_records
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_records
                     WHERE organization_id = NEW.organization_id)
BEGIN
  SELECT RAISE(ABORT, 'audit record seq must be the next in its organization''s log');
END;

CREATE TRIGGER audit_records_insert_whole BEFORE INSERT ON audit_records
WHEN NEW.purged_at IS NOT NULL
  OR NEW.leaf_hash IS NOT (SELECT hash FROM audit_nodes WHERE organization_id = NEW.organization_id
                           AND level = 0 AND idx = NEW.seq)
BEGIN
  SELECT RAISE(ABORT, 'a new audit record must be whole and match its leaf in audit_nodes');
END;

CREATE TRIGGER audit_records_purge_only BEFORE UPDATE ON audit_records
WHEN NEW.organization_id IS NOT OLD.organization_id
  OR NEW.seq IS NOT OLD.seq
  OR NEW.leaf_hash IS NOT OLD.leaf_hash
  OR NEW.event_class IS NOT OLD.event_class
  OR NEW.time IS NOT OLD.time
  OR NEW.retain_until IS NOT OLD.retain_until
  OR OLD.purged_at IS NOT NULL
  OR NEW.purged_at IS NULL
  OR NEW.actor IS NOT NULL OR NEW.action IS NOT NULL OR NEW.resource IS NOT NULL
  OR NEW.decision IS NOT NULL OR NEW.reason IS NOT NULL OR NEW.request_id IS NOT NULL
  OR NEW.source IS NOT NULL OR NEW.encoded IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'an audit record can only change by having its whole payload purged');
END;

CREATE TRIGGER audit_records_no_early_purge BEFORE UPDATE ON audit_records
WHEN OLD.retain_until > unixepoch('now') * 1000000
BEGIN
  SELECT RAISE(ABORT, 'an audit record cannot be purged before its retain_until');
END;

CREATE TRIGGER audit_nodes_no_update BEFORE UPDATE ON audit_nodes
BEGIN
  SELECT RAISE(ABORT, 'audit tree nodes cannot be changed');
END;

CREATE TRIGGER audit_nodes_no_delete BEFORE DELETE ON audit_nodes
BEGIN
  SELECT RAISE(ABORT, 'audit tree nodes cannot be deleted');
END;

-- A head is created at size 1 and then grows by one with each record, after the record's row.
CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
BEGIN
  SELECT RAISE(ABORT, 'audit log heads cannot be deleted');
END;

CREATE TRIGGER audit_heads_insert_first BEFORE INSERT ON audit_heads
WHEN NEW.size IS NOT 1
  OR NOT EXISTS (SELECT 1 FROM audit_records WHERE organization_id = NEW.organization_id
                 AND seq = 0)
BEGIN
  SELECT RAISE(ABORT, 'an audit log head starts at size 1, after its first record');
END;

CREATE TRIGGER audit_heads_grow_by_one BEFORE UPDATE ON audit_heads
WHEN NEW.organization_id IS NOT OLD.organization_id
  OR NEW.size IS NOT OLD.size + 1
  OR NEW.size IS NOT (SELECT MAX(seq) + 1 FROM audit_records
                      WHERE organization_id = NEW.organization_id)
BEGIN
  SELECT RAISE(ABORT, 'an audit log head can only grow by the record just appended');
END;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'audit checkpoints cannot be changed');
END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'audit checkpoints cannot be deleted');
END;

CREATE TRIGGER audit_checkpoints_within_log BEFORE INSERT ON audit_checkpoints
WHEN NEW.tree_size > COALESCE((SELECT size FROM audit_heads
                               WHERE organization_id = NEW.organization_id), 0)
BEGIN
  SELECT RAISE(ABORT, 'an audit checkpoint cannot be larger than its log');
END;

-- BEFORE INSERT triggers run before conflict resolution, so these also stop INSERT OR REPLACE
-- on a connection without recursive_triggers, where the delete triggers would not fire.
CREATE TRIGGER audit_nodes_no_replace BEFORE INSERT ON audit_nodes
WHEN EXISTS (SELECT 1 FROM audit_nodes WHERE organization_id = NEW.organization_id
             AND level = NEW.level AND idx = NEW.idx)
BEGIN
  SELECT RAISE(ABORT, 'audit tree nodes cannot be replaced');
END;

CREATE TRIGGER audit_heads_no_replace BEFORE INSERT ON audit_heads
WHEN EXISTS (SELECT 1 FROM audit_heads WHERE organization_id = NEW.organization_id)
BEGIN
  SELECT RAISE(ABORT, 'audit log heads cannot be replaced');
END;

CREATE TRIGGER audit_checkpoints_no_replace BEFORE INSERT ON audit_checkpoints
WHEN EXISTS (SELECT 1 FROM audit_checkpoints WHERE organization_id = NEW.organization_id
             AND tree_size = NEW.tree_size)
BEGIN
  SELECT RAISE(ABORT, 'audit checkpoints cannot be replaced');
END;
)sql";

// Version 3: SCIM provisioning (docs/scim.md). A SCIM user is a row of `users` plus the SCIM
// attributes kept here; deleting it through SCIM marks it deleted and keeps both rows, because
// evidence and audit records point at users.
constexpr std::string_view kSchemaVersion3 = R"sql(
CREATE TABLE scim_tokens (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at INTEGER
) STRICT;

CREATE INDEX scim_tokens_by_organization ON scim_tokens (organization_id, seq);

-- `resource` is the user's SCIM JSON without id, meta and active (users.active is the truth).
-- `user_name_key` is the userName after trimming and ASCII lowercasing: unique per organization
-- among users not deleted.
CREATE TABLE scim_users (
  seq INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL UNIQUE,
  organization_id TEXT NOT NULL,
  user_name_key TEXT NOT NULL CHECK (length(user_name_key) >= 1),
  external_id TEXT,
  resource TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER,
  FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
) STRICT;

CREATE UNIQUE INDEX scim_users_unique_user_name ON scim_users (organization_id, user_name_key)
  WHERE deleted_at IS NULL;
CREATE INDEX scim_users_by_external_id ON scim_users (organization_id, external_id);
CREATE INDEX scim_users_by_organization ON scim_users (organization_id, seq);

CREATE TABLE scim_groups (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  display_name TEXT NOT NULL CHECK (length(display_name) >= 1),
  external_id TEXT,
  version INTEGER NOT NULL CHECK (version >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (organization_id, id)
) STRICT;

CREATE INDEX scim_groups_by_organization ON scim_groups (organization_id, seq);

CREATE TABLE scim_group_members (
  organization_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  display TEXT,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, user_id),
  FOREIGN KEY (organization_id, group_id) REFERENCES scim_groups (organization_id, id)
    ON DELETE CASCADE,
  FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
) STRICT;

CREATE INDEX scim_group_members_by_user ON scim_group_members (organization_id, user_id);

-- Members of the group hold `role` on the entity.
CREATE TABLE scim_group_mappings (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  organization_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'auditor', 'contributor', 'manager', 'admin')),
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (group_id, entity_id),
  FOREIGN KEY (organization_id, group_id) REFERENCES scim_groups (organization_id, id)
    ON DELETE CASCADE,
  FOREIGN KEY (organization_id, entity_id) REFERENCES entities (organization_id, id)
) STRICT;

CREATE INDEX scim_group_mappings_by_organization ON scim_group_mappings (organization_id, seq);

-- The role assignments that group mappings created, so that SCIM withdraws only those. No
-- foreign key to role_assignments: an admin may delete such an assignment by hand, and SCIM
-- then forgets it.
CREATE TABLE scim_role_grants (
  organization_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  role_assignment_id TEXT NOT NULL UNIQUE,
  PRIMARY KEY (user_id, entity_id)
) STRICT;

CREATE INDEX scim_role_grants_by_user ON scim_role_grants (organization_id, user_id);

-- Before and after values of the attributes each SCIM request changed. A row belongs to the
-- audit record with the same organization, request id, action and resource.
CREATE TABLE scim_changes (
  seq INTEGER PRIMARY KEY,
  organization_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  changes TEXT NOT NULL
) STRICT;

CREATE INDEX scim_changes_by_resource ON scim_changes (organization_id, resource, seq);
CREATE INDEX scim_changes_by_request ON scim_changes (organization_id, request_id);

CREATE TRIGGER scim_changes_no_update BEFORE UPDATE ON scim_changes
BEGIN
  SELECT RAISE(ABORT, 'scim changes cannot be changed');
END;

CREATE TRIGGER scim_changes_no_delete BEFORE DELETE ON scim_changes
BEGIN
  SELECT RAISE(ABORT, 'scim changes cannot be deleted');
END;
)sql";

// Version 4: sign-in sessions, the IdP identities bound to users, the organizations' sign-in
// policies and OIDC settings, and the pending OIDC authorization requests.
constexpr std::string_view kSchemaVersion4 = R"sql(
CREATE TABLE sessions (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  organization_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('oidc', 'saml')),
  issuer TEXT NOT NULL,
  mfa INTEGER NOT NULL CHECK (mfa IN (0, 1)),
  mfa_at INTEGER,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  revoked_reason TEXT NOT NULL DEFAULT '',
  idp_session TEXT,
  refresh_hash BLOB NOT NULL CHECK (length(refresh_hash) = 32),
  csrf_hash BLOB CHECK (csrf_hash IS NULL OR length(csrf_hash) = 32),
  FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
  CHECK ((revoked_at IS NULL) = (revoked_reason = ''))
) STRICT;

CREATE INDEX sessions_by_user ON sessions (organization_id, user_id);

CREATE TABLE user_identities (
  organization_id TEXT NOT NULL,
  issuer TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (organization_id, issuer, subject),
  FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
) STRICT;

CREATE TABLE sso_policies (
  organization_id TEXT PRIMARY KEY REFERENCES organizations (id),
  link_by TEXT NOT NULL CHECK (link_by IN ('subject', 'email')),
  require_mfa INTEGER NOT NULL CHECK (require_mfa IN (0, 1)),
  jit_provisioning INTEGER NOT NULL CHECK (jit_provisioning IN (0, 1)),
  mfa_amr_values TEXT NOT NULL,
  mfa_acr_values TEXT NOT NULL,
  saml_mfa_contexts TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE oidc_providers (
  organization_id TEXT PRIMARY KEY REFERENCES organizations (id),
  settings TEXT NOT NULL,
  client_secret_sealed BLOB,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE oidc_pending (
  state_hash BLOB PRIMARY KEY CHECK (length(state_hash) = 32),
  organization_id TEXT NOT NULL,
  binding_hash BLOB NOT NULL CHECK (length(binding_hash) = 32),
  nonce TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  return_to TEXT NOT NULL,
  cli_redirect TEXT,
  cli_challenge TEXT,
  cli_code_hash BLOB UNIQUE CHECK (cli_code_hash IS NULL OR length(cli_code_hash) = 32),
  session_id TEXT,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
) STRICT;

CREATE INDEX oidc_pending_by_expiry ON oidc_pending (expires_at);
)sql";

// Version 5: the objects that audit::WormExporter wrote to the WORM bucket, one row per
// object, for the reconciler to read back by version id (docs/audit-export.md). A records
// object holds seq [first_seq, end_seq) of its log; a checkpoint object has first_seq 0 and
// end_seq the checkpoint's tree size.
constexpr std::string_view kSchemaVersion5AuditExports = R"sql(
CREATE TABLE audit_worm_objects (
  organization_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('records', 'checkpoint')),
  first_seq INTEGER NOT NULL CHECK (first_seq >= 0),
  end_seq INTEGER NOT NULL CHECK (end_seq > first_seq),
  object_key TEXT NOT NULL CHECK (length(object_key) BETWEEN 1 AND 1024),
  version_id TEXT,
  sha256 BLOB NOT NULL CHECK (length(sha256) = 32),
  size INTEGER NOT NULL CHECK (size >= 0),
  retain_until INTEGER NOT NULL,
  exported_at INTEGER NOT NULL,
  PRIMARY KEY (organization_id, kind, end_seq)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER audit_worm_objects_no_update BEFORE UPDATE ON audit_worm_objects
BEGIN
  SELECT RAISE(ABORT, 'audit export records cannot be changed');
END;

CREATE TRIGGER audit_worm_objects_no_delete BEFORE DELETE ON audit_worm_objects
BEGIN
  SELECT RAISE(ABORT, 'audit export records cannot be deleted');
END;
)sql";

// Version 6: the SAML service provider's per-organization IdP settings, the pending
// AuthnRequests (each bound to a browser by the SHA-256 of a cookie secret), and the replay
// cache of consumed assertion ids, kept until the assertion would have expired anyway.
// Certificates are base64 DER, one per line.
constexpr std::string_view kSchemaVersion6Saml = R"sql(
CREATE TABLE saml_settings (
  organization_id TEXT PRIMARY KEY REFERENCES organizations (id),
  idp_entity_id TEXT NOT NULL CHECK (length(idp_entity_id) BETWEEN 1 AND 1024),
  idp_sso_url TEXT NOT NULL,
  idp_certificates TEXT NOT NULL,
  email_attribute TEXT NOT NULL,
  display_name_attribute TEXT NOT NULL,
  allow_idp_initiated INTEGER NOT NULL CHECK (allow_idp_initiated IN (0, 1)),
  allow_sha1 INTEGER NOT NULL CHECK (allow_sha1 IN (0, 1)),
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL
) STRICT;

CREATE TABLE saml_requests (
  browser_secret_hash BLOB PRIMARY KEY CHECK (length(browser_secret_hash) = 32),
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  request_id TEXT NOT NULL UNIQUE,
  return_to TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX saml_requests_by_expiry ON saml_requests (expires_at);

CREATE TABLE saml_replay_cache (
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  issuer TEXT NOT NULL,
  assertion_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (organization_id, issuer, assertion_id)
) STRICT;

CREATE INDEX saml_replay_cache_by_expiry ON saml_replay_cache (expires_at);
)sql";

// Version 7: multipart uploads. A multipart version keeps S3's upload id and its part size,
// and the declared size and MD5 of each part, which the presigned part URLs sign. The parts of
// a version cannot change, and neither can the new columns of a version (the update trigger is
// recreated with them).
constexpr std::string_view kSchemaVersion7Multipart = R"sql(
ALTER TABLE evidence_versions ADD COLUMN upload_id TEXT
  CHECK (upload_id IS NULL OR length(upload_id) BETWEEN 1 AND 1024);
ALTER TABLE evidence_versions ADD COLUMN part_size INTEGER
  CHECK ((part_size IS NULL) = (upload_id IS NULL)
         AND (part_size IS NULL OR part_size BETWEEN 5242880 AND 5368709120));

CREATE TABLE evidence_version_parts (
  version_id TEXT NOT NULL REFERENCES evidence_versions (id),
  part_number INTEGER NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
  size INTEGER NOT NULL CHECK (size BETWEEN 1 AND 5368709120),
  md5 TEXT NOT NULL CHECK (length(md5) = 32),
  PRIMARY KEY (version_id, part_number)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER evidence_version_parts_no_update BEFORE UPDATE ON evidence_version_parts
BEGIN
  SELECT RAISE(ABORT, 'the parts of an evidence version cannot be changed');
END;

CREATE TRIGGER evidence_version_parts_no_delete BEFORE DELETE ON evidence_version_parts
BEGIN
  SELECT RAISE(ABORT, 'the parts of an evidence version cannot be deleted');
END;

DROP TRIGGER evidence_versions_limited_update;

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
  OR NEW.upload_id IS NOT OLD.upload_id
  OR NEW.part_size IS NOT OLD.part_size
BEGIN
  SELECT RAISE(ABORT, 'only the status of a pending evidence version can change');
END;
)sql";

// Version 8: the messages of the audit_records UPDATE triggers. Before, both triggers matched
// any change to a record still within its retention, and such a change failed with the
// early-purge message. Now their conditions exclude each other. A change other than a
// whole-payload purge fails with the message that audit records cannot be changed, and only a
// purge of a record still within its retention fails with the retain_until message. Which
// updates fail is unchanged.
constexpr std::string_view kSchemaVersion8AuditTriggerMessages = R"sql(
DROP TRIGGER audit_records_purge_only;
DROP TRIGGER audit_records_no_early_purge;

CREATE TRIGGER audit_records_purge_only BEFORE UPDATE ON audit_records
WHEN NEW.organization_id IS NOT OLD.organization_id
  OR NEW.seq IS NOT OLD.seq
  OR NEW.leaf_hash IS NOT OLD.leaf_hash
  OR NEW.event_class IS NOT OLD.event_class
  OR NEW.time IS NOT OLD.time
  OR NEW.retain_until IS NOT OLD.retain_until
  OR OLD.purged_at IS NOT NULL
  OR NEW.purged_at IS NULL
  OR NEW.actor IS NOT NULL OR NEW.action IS NOT NULL OR NEW.resource IS NOT NULL
  OR NEW.decision IS NOT NULL OR NEW.reason IS NOT NULL OR NEW.request_id IS NOT NULL
  OR NEW.source IS NOT NULL OR NEW.encoded IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'audit records cannot be changed, except by a purge of the whole payload after retain_until');
END;

-- Fires only for an update that audit_records_purge_only lets through: a whole-payload purge.
CREATE TRIGGER audit_records_no_early_purge BEFORE UPDATE ON audit_records
WHEN OLD.retain_until > unixepoch('now') * 1000000
  AND NEW.organization_id IS OLD.organization_id
  AND NEW.seq IS OLD.seq
  AND NEW.leaf_hash IS OLD.leaf_hash
  AND NEW.event_class IS OLD.event_class
  AND NEW.time IS OLD.time
  AND NEW.retain_until IS OLD.retain_until
  AND OLD.purged_at IS NULL
  AND NEW.purged_at IS NOT NULL
  AND NEW.actor IS NULL AND NEW.action IS NULL AND NEW.resource IS NULL
  AND NEW.decision IS NULL AND NEW.reason IS NULL AND NEW.request_id IS NULL
  AND NEW.source IS NULL AND NEW.encoded IS NULL
BEGIN
  SELECT RAISE(ABORT, 'an audit record cannot be purged before its retain_until');
END;
)sql";

// Version 9: a part row can only be inserted for a pending multipart version, with a part
// number within the version's part count and the size that the declaration gives it. All rows
// are inserted with the version, so together with the primary key no row can be added later.
constexpr std::string_view kSchemaVersion9DeclaredPartsOnly = R"sql(
CREATE TRIGGER evidence_version_parts_declared_only BEFORE INSERT ON evidence_version_parts
WHEN NOT EXISTS (
  SELECT 1 FROM evidence_versions v
  WHERE v.id = NEW.version_id
    AND v.status = 'pending'
    AND v.part_size IS NOT NULL
    AND NEW.part_number <= (v.size + v.part_size - 1) / v.part_size
    AND NEW.size = MIN(v.part_size, v.size - (NEW.part_number - 1) * v.part_size))
BEGIN
  SELECT RAISE(ABORT, 'a part row must be a declared part of a pending multipart evidence version');
END;
)sql";

// Version 10: INSERT OR REPLACE over an evidence version or a declared part fails. On a
// connection without recursive_triggers (SQLite's default) the delete half of a REPLACE fires no
// delete trigger, so without these a REPLACE could rewrite a stored version, delete one by
// taking its number, or give a part another MD5. BEFORE INSERT triggers run before conflict
// resolution. A duplicate version now fails with this message instead of a UNIQUE error.
constexpr std::string_view kSchemaVersion10NoReplace = R"sql(
CREATE TRIGGER evidence_versions_no_replace BEFORE INSERT ON evidence_versions
WHEN EXISTS (SELECT 1 FROM evidence_versions
             WHERE seq = NEW.seq OR id = NEW.id OR object_key = NEW.object_key
               OR (evidence_id = NEW.evidence_id AND number = NEW.number))
BEGIN
  SELECT RAISE(ABORT, 'evidence versions cannot be replaced');
END;

CREATE TRIGGER evidence_version_parts_no_replace BEFORE INSERT ON evidence_version_parts
WHEN EXISTS (SELECT 1 FROM evidence_version_parts
             WHERE version_id = NEW.version_id AND part_number = NEW.part_number)
BEGIN
  SELECT RAISE(ABORT, 'the parts of an evidence version cannot be replaced');
END;
)sql";

// Reviews of stored versions. A review is appended and never changes; the latest one is the
// version's review state.
constexpr std::string_view kSchemaVersion11Reviews = R"sql(
CREATE TABLE evidence_reviews (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  organization_id TEXT NOT NULL,
  evidence_id TEXT NOT NULL,
  version_id TEXT NOT NULL REFERENCES evidence_versions (id),
  decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
  comment TEXT NOT NULL,
  reviewer TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX evidence_reviews_by_version ON evidence_reviews (organization_id, version_id, seq);

CREATE TRIGGER evidence_reviews_of_stored_versions BEFORE INSERT ON evidence_reviews
WHEN NOT EXISTS (SELECT 1 FROM evidence_versions
                 WHERE id = NEW.version_id AND organization_id = NEW.organization_id
                   AND evidence_id = NEW.evidence_id AND status = 'stored')
  OR EXISTS (SELECT 1 FROM evidence_reviews WHERE seq = NEW.seq OR id = NEW.id)
BEGIN
  SELECT RAISE(ABORT, 'only a stored evidence version of that item can be reviewed');
END;

CREATE TRIGGER evidence_reviews_no_update BEFORE UPDATE ON evidence_reviews
BEGIN
  SELECT RAISE(ABORT, 'evidence reviews cannot be changed');
END;

CREATE TRIGGER evidence_reviews_no_delete BEFORE DELETE ON evidence_reviews
BEGIN
  SELECT RAISE(ABORT, 'evidence reviews cannot be deleted');
END;
)sql";

}  // namespace

const std::vector<Migration>& CustodyMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "initial schema", std::string(kSchemaVersion1)},
      {2, "per-organization audit logs", std::string(kSchemaVersion2)},
      {3, "scim provisioning", std::string(kSchemaVersion3)},
      {4, "sessions and OIDC sign-in", std::string(kSchemaVersion4)},
      {5, "audit exports", std::string(kSchemaVersion5AuditExports)},
      {6, "saml service provider", std::string(kSchemaVersion6Saml)},
      {7, "multipart uploads", std::string(kSchemaVersion7Multipart)},
      {8, "audit trigger messages", std::string(kSchemaVersion8AuditTriggerMessages)},
      {9, "declared parts only", std::string(kSchemaVersion9DeclaredPartsOnly)},
      {10, "no replace of evidence versions", std::string(kSchemaVersion10NoReplace)},
      {11, "evidence reviews", std::string(kSchemaVersion11Reviews)},
  };
  return kMigrations;
}

}  // namespace custody::store
