#include "custody/evidence/object_key.h"

namespace custody::evidence {

std::string DeriveObjectKey(std::string_view key_prefix, std::string_view organization_id,
                            std::string_view entity_id, std::string_view evidence_id,
                            std::string_view version_id) {
  std::string key(key_prefix);
  for (std::string_view part : {organization_id, entity_id, evidence_id}) {
    key += part;
    key += '/';
  }
  key += version_id;
  return key;
}

}  // namespace custody::evidence
