#include "custody/common/clock.h"

#include <cstdio>
#include <ctime>

namespace custody {

const SystemClock& SystemClock::Instance() {
  static const SystemClock kClock;
  return kClock;
}

int64_t ToUnixSeconds(SystemTime time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

SystemTime FromUnixSeconds(int64_t seconds) {
  return SystemTime(std::chrono::seconds(seconds));
}

std::string FormatRfc3339(SystemTime time) {
  const std::time_t seconds = static_cast<std::time_t>(ToUnixSeconds(time));
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

bool ParseRfc3339(const std::string& text, SystemTime* out) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6) {
    return false;
  }
  size_t rest = static_cast<size_t>(consumed);
  if (rest < text.size() && text[rest] == '.') {
    ++rest;
    while (rest < text.size() && text[rest] >= '0' && text[rest] <= '9') {
      ++rest;
    }
  }
  if (rest + 1 != text.size() || text[rest] != 'Z') {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  std::tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  *out = FromUnixSeconds(static_cast<int64_t>(timegm(&parts)));
  return true;
}

}  // namespace custody
