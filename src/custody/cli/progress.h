// Progress of long transfers on stderr: a line redrawn in place on a terminal, and one plain
// summary line when stderr is a file or a pipe (so logs stay readable).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace custody::cli {

// Binary units with three significant digits: "512 B", "1.50 KiB", "12.0 MiB", "512 GiB".
std::string FormatBytes(uint64_t bytes);

// FormatBytes of the rate plus "/s"; "-" for a rate that is not positive and finite.
std::string FormatRate(double bytes_per_second);

// " 42%  512 MiB / 1.20 GiB  85.3 MiB/s  eta 7s". Without a total (0) the percentage, the
// total and the estimate are left out; the rate is left out before any time has passed.
std::string FormatProgressLine(uint64_t done, uint64_t total, double elapsed_seconds);

// "uploaded 12.0 MiB in 1.3 s (9.23 MiB/s)".
std::string FormatSummaryLine(std::string_view verb, uint64_t bytes, double elapsed_seconds);

class ProgressReporter {
 public:
  using TimeSource = std::function<std::chrono::steady_clock::time_point()>;

  // `label` starts each redrawn line ("upload"), `verb` the summary ("uploaded"). `total` is
  // the expected byte count, 0 when unknown. With `interactive` false nothing is written until
  // Finish.
  ProgressReporter(std::ostream& out, bool interactive, std::string label, std::string verb,
                   uint64_t total, TimeSource now = std::chrono::steady_clock::now);

  // Redraws the line at most ten times a second, and always when `done` reaches the total.
  void Update(uint64_t done);

  // Replaces the line with the summary (a plain line when not interactive).
  void Finish(uint64_t done);

  // Erases the redrawn line, for a failure message or the next step's output.
  void Clear();

 private:
  double ElapsedSeconds() const;

  std::ostream& out_;
  bool interactive_;
  std::string label_;
  std::string verb_;
  uint64_t total_;
  TimeSource now_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
};

}  // namespace custody::cli
