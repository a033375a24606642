#include "custody/common/log.h"

#include <array>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace custody::log {
namespace {

std::mutex logger_mutex;
std::shared_ptr<spdlog::logger> current_logger;  // guarded by logger_mutex

spdlog::level::level_enum ToSpdlog(Level level) {
  switch (level) {
    case Level::kTrace:
      return spdlog::level::trace;
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kTrace:
      return "trace";
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::shared_ptr<spdlog::logger> MakeLogger(Level level, std::ostream* out) {
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (out == nullptr) {
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*out, /*force_flush=*/true);
  }
  // The message is the whole JSON line, so spdlog adds nothing but the newline.
  sink->set_pattern("%v");
  auto logger = std::make_shared<spdlog::logger>("custody", std::move(sink));
  logger->set_level(ToSpdlog(level));
  // Flush every line, because operators and tests read the stream while the process runs.
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::shared_ptr<spdlog::logger> Logger() {
  std::lock_guard lock(logger_mutex);
  if (current_logger == nullptr) {
    current_logger = MakeLogger(Level::kInfo, nullptr);
  }
  return current_logger;
}

std::string FormatTimestamp(std::chrono::system_clock::time_point now) {
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  std::array<char, 40> text{};
  const size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &parts);
  std::snprintf(text.data() + length, text.size() - length, ".%03dZ",
                static_cast<int>(millis % 1000));
  return text.data();
}

// Returns the length of the valid UTF-8 sequence at the start of `text`, or 0 if it is invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view text) {
  const auto byte = [&](size_t i) {
    return static_cast<unsigned char>(text[i]);
  };
  const unsigned char lead = byte(0);
  size_t length = 0;
  uint32_t code_point = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code_point = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() < length) {
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) {
      return 0;
    }
    code_point = (code_point << 6) | (byte(i) & 0x3F);
  }
  const bool overlong =
      (length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000);
  const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  if (overlong || surrogate || code_point > 0x10FFFF) {
    return 0;
  }
  return length;
}

void AppendValue(const Field& field, std::string* out) {
  if (const auto* text = std::get_if<std::string_view>(&field.value)) {
    out->push_back('"');
    AppendJsonEscaped(*text, out);
    out->push_back('"');
  } else if (const auto* signed_value = std::get_if<int64_t>(&field.value)) {
    *out += std::to_string(*signed_value);
  } else if (const auto* unsigned_value = std::get_if<uint64_t>(&field.value)) {
    *out += std::to_string(*unsigned_value);
  } else if (const auto* real = std::get_if<double>(&field.value)) {
    if (!std::isfinite(*real)) {
      *out += "null";
      return;
    }
    std::array<char, 32> digits{};
    std::snprintf(digits.data(), digits.size(), "%.3f", *real);
    *out += digits.data();
  } else {
    *out += std::get<bool>(field.value) ? "true" : "false";
  }
}

}  // namespace

bool ParseLevel(std::string_view text, Level* level) {
  constexpr std::array kLevels = {Level::kTrace, Level::kDebug, Level::kInfo, Level::kWarn,
                                  Level::kError};
  for (Level candidate : kLevels) {
    if (LevelName(candidate) == text) {
      *level = candidate;
      return true;
    }
  }
  return false;
}

void Init(Level level, std::ostream* out) {
  auto logger = MakeLogger(level, out);
  std::lock_guard lock(logger_mutex);
  current_logger = std::move(logger);
}

void SetLevel(Level level) {
  Logger()->set_level(ToSpdlog(level));
}

bool IsEnabled(Level level) {
  return Logger()->should_log(ToSpdlog(level));
}

void Write(Level level, std::string_view message, Fields fields) {
  auto logger = Logger();
  if (!logger->should_log(ToSpdlog(level))) {
    return;
  }
  const std::string line =
      FormatLine(FormatTimestamp(std::chrono::system_clock::now()), level, message, fields);
  logger->log(ToSpdlog(level), spdlog::string_view_t(line.data(), line.size()));
}

std::string FormatLine(std::string_view timestamp, Level level, std::string_view message,
                       Fields fields) {
  std::string line;
  line.reserve(128);
  line += "{\"ts\":\"";
  AppendJsonEscaped(timestamp, &line);
  line += "\",\"level\":\"";
  line += LevelName(level);
  line += "\",\"msg\":\"";
  AppendJsonEscaped(message, &line);
  line.push_back('"');
  for (const Field& field : fields) {
    line += ",\"";
    AppendJsonEscaped(field.key, &line);
    line += "\":";
    AppendValue(field, &line);
  }
  line.push_back('}');
  return line;
}

void AppendJsonEscaped(std::string_view text, std::string* out) {
  constexpr std::string_view kHex = "0123456789abcdef";
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t length = Utf8SequenceLength(text.substr(i));
      if (length == 0) {
        *out += "\\ufffd";
        ++i;
      } else {
        out->append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          *out += "\\u00";
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
}

}  // namespace custody::log
