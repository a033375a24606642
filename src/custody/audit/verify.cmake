# Offline verification of exported audit trails (`custody audit verify`), included from this
# folder's CMakeLists.txt. Pure functions, but Decode lives in custody_audit.
custody_library(audit_verify
  SOURCES verify.cc
  DEPS custody_audit custody_audit_merkle nlohmann_json::nlohmann_json)

custody_test(audit_verify_test
  SOURCES verify_test.cc
  DEPS custody_audit_verify)
