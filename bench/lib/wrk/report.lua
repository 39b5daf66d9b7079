-- Shared by every wrk script of the benchmark: at the end of a run, print one
-- line `BENCH_RESULT {json}` with wrk's own exact figures (latency percentiles
-- from wrk's full histogram at microsecond resolution, not the rounded text
-- that `--latency` prints), so the driver never parses human-readable output.
--
-- Use: `wrk -s report.lua URL`, or `dofile` it from a script that also shapes
-- requests (see get_user.lua, post_user.lua).

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.timeout, e.status))
end
