#include "custody/store/ids.h"

#include "custody/crypto/random.h"

namespace custody::store {

std::string NewId(std::string_view prefix) {
  std::string id(prefix);
  id += crypto::RandomAlphanumeric(kIdRandomLength);
  return id;
}

bool IsWellFormedId(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + kIdRandomLength || !id.starts_with(prefix)) {
    return false;
  }
  for (char c : id.substr(prefix.size())) {
    const bool alphanumeric =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alphanumeric) {
      return false;
    }
  }
  return true;
}

}  // namespace custody::store
