#include "custody/server/readiness.h"

#include <exception>
#include <utility>

namespace custody::server {

void ReadinessChecks::Add(std::string name, Check check) {
  checks_.emplace_back(std::move(name), std::move(check));
}

std::vector<ReadinessChecks::Failure> ReadinessChecks::Run() const {
  std::vector<Failure> failures;
  for (const auto& [name, check] : checks_) {
    Status status;
    try {
      status = check();
    } catch (const std::exception& error) {
      status = Internal(std::string("readiness check threw: ") + error.what());
    } catch (...) {
      status = Internal("readiness check threw a non-standard exception");
    }
    if (!status.ok()) {
      failures.push_back({name, std::move(status)});
    }
  }
  return failures;
}

}  // namespace custody::server
