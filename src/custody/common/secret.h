// Secret: a string that never prints. Tokens, keys, passwords and signatures travel in this
// type so that a log line or a formatted error cannot leak them by accident.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace custody {

class Secret {
 public:
  Secret() = default;

  explicit Secret(std::string value) : value_(std::move(value)) {}

  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;

  Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.Wipe(); }

  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      Wipe();
      value_ = std::move(other.value_);
      other.Wipe();
    }
    return *this;
  }

  ~Secret() { Wipe(); }

  // The only way to the plain value; grep for it when auditing where secrets go.
  const std::string& Reveal() const { return value_; }

  bool empty() const { return value_.empty(); }

 private:
  void Wipe() {
    // volatile stops the compiler from dropping the stores to memory about to be freed.
    volatile char* bytes = value_.data();
    for (size_t i = 0; i < value_.size(); ++i) {
      bytes[i] = 0;
    }
    value_.clear();
  }

  std::string value_;
};

inline std::ostream& operator<<(std::ostream& out, const Secret& /*secret*/) {
  return out << "[redacted]";
}

}  // namespace custody
