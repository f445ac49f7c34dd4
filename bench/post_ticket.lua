-- wrk script: every request creates one ticket (POST /api/v1/tickets) with the admin token.
-- Token from BENCH_TOKEN, path from BENCH_PATH (default /api/v1/tickets).
-- done() prints one machine-readable line, "BENCH_JSON {...}", that bench/_common.py parses.

local token = os.getenv("BENCH_TOKEN") or "bench-admin-token-0123456789"
wrk.method = "POST"
wrk.path = os.getenv("BENCH_PATH") or "/api/v1/tickets"
wrk.body = '{"title":"bench ticket"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,' ..
    '"lat_p50_us":%d,"lat_p90_us":%d,"lat_p99_us":%d,"lat_max_us":%d,"lat_mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
