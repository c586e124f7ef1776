-- wrk's script for the handbook's benchmarks, configured by environment variables:
--   BENCH_METHOD, BENCH_TOKEN (a bearer token), BENCH_BODY (a JSON body),
--   BENCH_EMAILS and BENCH_PASSWORD (signin: each request signs in the next account,
--   so that no account reaches the per-email rate limit).
-- When the run ends it prints one line, "BENCH-JSON {...}", for the harness to read.

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local token = os.getenv("BENCH_TOKEN") or ""
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
local body = os.getenv("BENCH_BODY") or ""
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

local emails = {}
for email in string.gmatch(os.getenv("BENCH_EMAILS") or "", "[^,]+") do
  emails[#emails + 1] = email
end
if #emails > 0 then
  wrk.headers["Content-Type"] = "application/json"
  local password = os.getenv("BENCH_PASSWORD")
  local sent = 0
  request = function()
    sent = sent + 1
    local email = emails[(sent % #emails) + 1]
    local signin = string.format('{"email":"%s","password":"%s"}', email, password)
    return wrk.format(nil, nil, nil, signin)
  end
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p99.9":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(75),
    latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
