// Readiness checks behind /readyz: callbacks the wiring registers for each dependency a request
// needs (the database accepts writes, the audit log accepts writes).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "custody/common/status.h"

namespace custody::server {

class ReadinessChecks {
 public:
  // A check returns OK when its dependency is usable now. It runs on a worker thread for
  // every /readyz request, so it should be quick and bound its own waiting.
  using Check = std::function<Status()>;

  struct Failure {
    std::string name;
    Status status;
  };

  // Registers a check under a short name ("database"). Add all checks before the server
  // starts: Run is safe to call from many threads, Add is not.
  void Add(std::string name, Check check);

  // Runs every check in registration order and returns those that failed. A check that
  // throws counts as failed.
  std::vector<Failure> Run() const;

  size_t size() const { return checks_.size(); }

 private:
  std::vector<std::pair<std::string, Check>> checks_;
};

}  // namespace custody::server
