# Export of the audit logs to an S3 bucket with Object Lock, and the reconciler that reads the
# objects back; included from this folder's CMakeLists.txt.
custody_library(audit_worm
  SOURCES worm_export.cc reconcile.cc worm_job.cc
  DEPS custody_audit custody_audit_verify custody_aws nlohmann_json::nlohmann_json)

custody_test(audit_worm_test
  SOURCES worm_export_test.cc
  DEPS custody_audit_worm custody_store_testing SQLite::SQLite3)

# Needs a running S3 store: tests/support/rgw.sh start DIR, then the settings from DIR/env.
# Without S3_ENDPOINT every case is skipped.
custody_test(audit_worm_rgw_test
  SOURCES worm_rgw_test.cc
  DEPS custody_audit_worm custody_store_testing
  LABELS rgw)
