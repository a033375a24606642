#include "custody/cli/progress.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <utility>

namespace custody::cli {
namespace {

constexpr std::chrono::milliseconds kRedrawInterval{100};

// Erases from the cursor to the end of the line (ECMA-48 EL).
constexpr std::string_view kEraseLine = "\x1b[K";

std::string FormatFixed(double value, int decimals) {
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.*f", decimals, value);
  return text.data();
}

std::string FormatDuration(double seconds) {
  if (seconds < 60) {
    return FormatFixed(std::ceil(seconds), 0) + "s";
  }
  const auto total = static_cast<uint64_t>(std::ceil(seconds));
  if (total < 3600) {
    return std::to_string(total / 60) + "m" + std::to_string(total % 60) + "s";
  }
  return std::to_string(total / 3600) + "h" + std::to_string(total % 3600 / 60) + "m";
}

}  // namespace

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) {
    return std::to_string(bytes) + " B";
  }
  constexpr std::array<std::string_view, 5> kUnits{"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  // 999.5 and above would round to "1000", so it moves to the next unit as "0.98".
  while (value >= 999.5 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  int decimals = 0;
  if (value < 9.995) {
    decimals = 2;
  } else if (value < 99.95) {
    decimals = 1;
  }
  return FormatFixed(value, decimals) + " " + std::string(kUnits[unit]);
}

std::string FormatRate(double bytes_per_second) {
  if (!(bytes_per_second > 0) || !std::isfinite(bytes_per_second)) {
    return "-";
  }
  return FormatBytes(static_cast<uint64_t>(std::llround(bytes_per_second))) + "/s";
}

std::string FormatProgressLine(uint64_t done, uint64_t total, double elapsed_seconds) {
  std::string line;
  if (total > 0) {
    const uint64_t clamped = done < total ? done : total;
    const auto percent = static_cast<unsigned>(clamped * 100 / total);
    std::array<char, 8> text{};
    std::snprintf(text.data(), text.size(), "%3u%%", percent);
    line = std::string(text.data()) + "  " + FormatBytes(done) + " / " + FormatBytes(total);
  } else {
    line = FormatBytes(done);
  }
  if (elapsed_seconds > 0) {
    const double rate = static_cast<double>(done) / elapsed_seconds;
    line += "  " + FormatRate(rate);
    if (total > done && rate > 0) {
      line += "  eta " + FormatDuration(static_cast<double>(total - done) / rate);
    }
  }
  return line;
}

std::string FormatSummaryLine(std::string_view verb, uint64_t bytes, double elapsed_seconds) {
  std::string line = std::string(verb) + " " + FormatBytes(bytes) + " in " +
                     FormatFixed(elapsed_seconds, 1) + " s";
  if (elapsed_seconds > 0) {
    line += " (" + FormatRate(static_cast<double>(bytes) / elapsed_seconds) + ")";
  }
  return line;
}

ProgressReporter::ProgressReporter(std::ostream& out, bool interactive, std::string label,
                                   std::string verb, uint64_t total, TimeSource now)
    : out_(out),
      interactive_(interactive),
      label_(std::move(label)),
      verb_(std::move(verb)),
      total_(total),
      now_(std::move(now)),
      start_(now_()),
      last_draw_(start_) {}

double ProgressReporter::ElapsedSeconds() const {
  return std::chrono::duration<double>(now_() - start_).count();
}

void ProgressReporter::Update(uint64_t done) {
  if (!interactive_) {
    return;
  }
  const auto now = now_();
  const bool complete = total_ > 0 && done >= total_;
  if (drawn_ && !complete && now - last_draw_ < kRedrawInterval) {
    return;
  }
  last_draw_ = now;
  drawn_ = true;
  out_ << '\r' << label_ << ' ' << FormatProgressLine(done, total_, ElapsedSeconds()) << kEraseLine
       << std::flush;
}

void ProgressReporter::Finish(uint64_t done) {
  if (interactive_) {
    out_ << '\r';
  }
  out_ << FormatSummaryLine(verb_, done, ElapsedSeconds());
  if (interactive_) {
    out_ << kEraseLine;
  }
  out_ << '\n' << std::flush;
  drawn_ = false;
}

void ProgressReporter::Clear() {
  if (interactive_ && drawn_) {
    out_ << '\r' << kEraseLine << std::flush;
  }
  drawn_ = false;
}

}  // namespace custody::cli
