-- Loaded by the other scripts in this folder. done() prints one line that starts with RESULT
-- and contains key=value pairs, which bench/http_bench.sh parses. Latencies are in
-- milliseconds. http_errors counts responses with status 400 or above, and socket_errors
-- counts failed connects, reads and writes.
local report = {}

function report.done(summary, latency, requests)
  local errors = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f " ..
    "max_ms=%.3f http_errors=%d socket_errors=%d timeouts=%d bytes=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    errors.status, errors.connect + errors.read + errors.write, errors.timeout,
    summary.bytes))
end

-- Returns the value of an environment variable, or stops wrk with a message naming it.
function report.require_env(name)
  local value = os.getenv(name)
  if value == nil or value == "" then
    error(name .. " is not set; bench/http_bench.sh sets it before it runs wrk")
  end
  return value
end

return report
