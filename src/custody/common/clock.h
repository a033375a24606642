// Clock: the injectable source of time for every expiry and signature check, so tests can
// pin "now" (a presigned URL signed at a fixed instant, an expired credential).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace custody {

using SystemTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  SystemTime Now() const override { return std::chrono::system_clock::now(); }

  static const SystemClock& Instance();
};

// A clock that stays where a test puts it.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(SystemTime now) : now_(now.time_since_epoch().count()) {}

  SystemTime Now() const override { return SystemTime(SystemTime::duration(now_.load())); }

  void Set(SystemTime now) { now_.store(now.time_since_epoch().count()); }

  void Advance(std::chrono::seconds delta) {
    now_.fetch_add(std::chrono::duration_cast<SystemTime::duration>(delta).count());
  }

 private:
  std::atomic<SystemTime::rep> now_;
};

int64_t ToUnixSeconds(SystemTime time);
SystemTime FromUnixSeconds(int64_t seconds);

// RFC 3339 in UTC with second precision: "2026-12-04T16:19:18Z".
std::string FormatRfc3339(SystemTime time);
// Parses the RFC 3339 / ISO 8601 UTC forms AWS sends ("2026-12-04T16:19:18Z", with optional
// fractional seconds). Returns false when the text is not such a timestamp.
bool ParseRfc3339(const std::string& text, SystemTime* out);

}  // namespace custody
