-- wrk script: every request is a GET of BENCH_PATH (default /api/v1/queues) carrying one header,
-- BENCH_HEADER ("Name: value"): a session cookie, a personal token or the admin token.
-- done() prints one machine-readable line, "BENCH_JSON {...}", that bench/_common.py parses.

wrk.method = "GET"
wrk.path = os.getenv("BENCH_PATH") or "/api/v1/queues"
local name, value = string.match(os.getenv("BENCH_HEADER") or "", "^([^:]+):%s*(.*)$")
if name then
  wrk.headers[name] = value
end

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
