// Structured logging: one JSON object per line, with fixed field names ("ts", "level", "msg",
// then the caller's fields). Callers pass values they have already cleared for logging, so
// tokens, cookies, Authorization headers, request bodies and presigned URLs never belong in a
// field. custody::Secret has no overload here on purpose.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>

namespace custody::log {

enum class Level {
  kTrace,
  kDebug,
  kInfo,
  kWarn,
  kError
};

// Parses "trace", "debug", "info", "warn" or "error". Returns false for anything else.
bool ParseLevel(std::string_view text, Level* level);

// One key/value pair of a log line. String values are JSON-escaped on output.
struct Field {
  Field(std::string_view key_in, std::string_view value_in) : key(key_in), value(value_in) {}

  Field(std::string_view key_in, const char* value_in)
      : key(key_in), value(std::string_view(value_in)) {}

  Field(std::string_view key_in, const std::string& value_in)
      : key(key_in), value(std::string_view(value_in)) {}

  Field(std::string_view key_in, bool value_in) : key(key_in), value(value_in) {}

  Field(std::string_view key_in, int value_in) : key(key_in), value(int64_t{value_in}) {}

  Field(std::string_view key_in, unsigned value_in) : key(key_in), value(uint64_t{value_in}) {}

  Field(std::string_view key_in, long value_in)  // NOLINT(google-runtime-int)
      : key(key_in), value(int64_t{value_in}) {}

  Field(std::string_view key_in, unsigned long value_in)  // NOLINT(google-runtime-int)
      : key(key_in), value(uint64_t{value_in}) {}

  Field(std::string_view key_in, long long value_in)  // NOLINT(google-runtime-int)
      : key(key_in), value(int64_t{value_in}) {}

  Field(std::string_view key_in, unsigned long long value_in)  // NOLINT(google-runtime-int)
      : key(key_in), value(uint64_t{value_in}) {}

  Field(std::string_view key_in, double value_in) : key(key_in), value(value_in) {}

  std::string_view key;
  std::variant<std::string_view, int64_t, uint64_t, double, bool> value;
};

using Fields = std::initializer_list<Field>;

// Sends log lines to `out` (standard output when null) and drops lines below `level`.
// Call once at start, before other threads log. A later call replaces the sink.
void Init(Level level, std::ostream* out = nullptr);

// Changes the minimum level of the current sink.
void SetLevel(Level level);

bool IsEnabled(Level level);

void Write(Level level, std::string_view message, Fields fields = {});

inline void Trace(std::string_view message, Fields fields = {}) {
  Write(Level::kTrace, message, fields);
}

inline void Debug(std::string_view message, Fields fields = {}) {
  Write(Level::kDebug, message, fields);
}

inline void Info(std::string_view message, Fields fields = {}) {
  Write(Level::kInfo, message, fields);
}

inline void Warn(std::string_view message, Fields fields = {}) {
  Write(Level::kWarn, message, fields);
}

inline void Error(std::string_view message, Fields fields = {}) {
  Write(Level::kError, message, fields);
}

// Formats one line without writing it (no trailing newline): the format every sink receives.
std::string FormatLine(std::string_view timestamp, Level level, std::string_view message,
                       Fields fields);

// Appends `text` to `out` as the inside of a JSON string (quotes not included). Invalid UTF-8
// bytes become U+FFFD so that every line stays valid JSON.
void AppendJsonEscaped(std::string_view text, std::string* out);

}  // namespace custody::log
