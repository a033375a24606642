// The operations endpoints, served without authentication: /healthz, /readyz and /metrics.
#pragma once

#include "custody/http/metrics.h"
#include "custody/http/router.h"
#include "custody/server/readiness.h"

namespace custody::server {

// Registers:
// * GET /healthz: 200 {"status":"ok"} while the process runs;
// * GET /readyz: 200 {"status":"ready"} when every readiness check passes, otherwise 503
//   {"status":"unavailable","failed":["database", ...]} with the failed check names (their
//   errors go to the log, not to the unauthenticated caller);
// * GET /metrics: the HTTP counters as Prometheus text.
// `metrics` and `readiness` must outlive the router.
void RegisterOperationsRoutes(http::Router& router, const http::Metrics& metrics,
                              const ReadinessChecks& readiness);

}  // namespace custody::server
