#include "custody/scim/datetime.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace custody::scim {
namespace {

bool ReadDigits(std::string_view text, size_t* position, size_t count, int* out) {
  if (text.size() - *position < count) {
    return false;
  }
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = text[*position + i];
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  *position += count;
  *out = value;
  return true;
}

bool Expect(std::string_view text, size_t* position, char expected) {
  if (*position >= text.size() || text[*position] != expected) {
    return false;
  }
  ++*position;
  return true;
}

// Days from 1970-01-01 to the civil date (proleptic Gregorian), after H. Hinnant's algorithm.
int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

}  // namespace

std::optional<int64_t> ParseDateTime(std::string_view text) {
  size_t position = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!ReadDigits(text, &position, 4, &year) || !Expect(text, &position, '-') ||
      !ReadDigits(text, &position, 2, &month) || !Expect(text, &position, '-') ||
      !ReadDigits(text, &position, 2, &day) ||
      !(Expect(text, &position, 'T') || Expect(text, &position, 't')) ||
      !ReadDigits(text, &position, 2, &hour) || !Expect(text, &position, ':') ||
      !ReadDigits(text, &position, 2, &minute) || !Expect(text, &position, ':') ||
      !ReadDigits(text, &position, 2, &second)) {
    return std::nullopt;
  }

  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }

  int64_t micros = 0;
  if (position < text.size() && text[position] == '.') {
    ++position;
    int64_t scale = 100000;
    const size_t start = position;
    while (position < text.size() && text[position] >= '0' && text[position] <= '9') {
      micros += (text[position] - '0') * scale;
      scale /= 10;
      ++position;
    }
    if (position == start) {
      return std::nullopt;
    }
  }

  int64_t offset_minutes = 0;
  if (position < text.size() && (text[position] == 'Z' || text[position] == 'z')) {
    ++position;
  } else if (position < text.size() && (text[position] == '+' || text[position] == '-')) {
    const int sign = text[position] == '+' ? 1 : -1;
    ++position;
    int offset_hours = 0;
    int offset_rest = 0;
    if (!ReadDigits(text, &position, 2, &offset_hours) || !Expect(text, &position, ':') ||
        !ReadDigits(text, &position, 2, &offset_rest) || offset_hours > 23 || offset_rest > 59) {
      return std::nullopt;
    }
    offset_minutes = sign * (offset_hours * 60 + offset_rest);
  } else {
    return std::nullopt;
  }

  if (position != text.size()) {
    return std::nullopt;
  }

  const int64_t seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                          std::min(second, 59) - offset_minutes * 60;
  return seconds * 1000000 + micros;
}

std::string FormatDateTime(int64_t unix_micros) {
  int64_t seconds = unix_micros / 1000000;
  int64_t micros = unix_micros % 1000000;
  if (micros < 0) {
    micros += 1000000;
    --seconds;
  }
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm parts{};
  gmtime_r(&time, &parts);
  char buffer[64];
  if (micros == 0) {
    std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900,
                  parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec, static_cast<int>(micros));
  }
  return buffer;
}

}  // namespace custody::scim
