#include "custody/http/request_id.h"

#include <random>

namespace custody::http {

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) {
    return false;
  }
  for (char c : id) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!allowed) {
      return false;
    }
  }
  return true;
}

std::string GenerateRequestId() {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 generator(std::random_device{}());
  std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
  std::string id(22, '\0');
  for (char& c : id) {
    c = kAlphabet[pick(generator)];
  }
  return id;
}

std::string ChooseRequestId(const std::string* client_id) {
  if (client_id != nullptr && IsValidRequestId(*client_id)) {
    return *client_id;
  }
  return GenerateRequestId();
}

}  // namespace custody::http
