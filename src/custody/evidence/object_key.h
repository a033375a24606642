// Object keys for evidence versions. Custody derives every key from identifiers it generated
// itself; nothing a client sends (file names included) becomes part of a key, so a client
// cannot aim an upload at another organization's objects or at a key outside the prefix.
#pragma once

#include <string>
#include <string_view>

namespace custody::evidence {

// "<prefix><organization id>/<entity id>/<evidence id>/<version id>", where the prefix is the
// AWS connection's key prefix (validated by the aws module: empty or ending in '/').
std::string DeriveObjectKey(std::string_view key_prefix, std::string_view organization_id,
                            std::string_view entity_id, std::string_view evidence_id,
                            std::string_view version_id);

}  // namespace custody::evidence
