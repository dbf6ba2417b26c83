-- wrk script for bench/run.sh: POSTs a ~1 KB chat completion and prints one machine-readable
-- line at the end. BENCH_STREAM=1 asks for a streamed ("stream": true) answer.
local stream = os.getenv("BENCH_STREAM") == "1"
local head = '{"model":"gpt-4o-mini",' .. (stream and '"stream":true,' or '') ..
             '"messages":[{"role":"user","content":"'
local tail = '"}]}'
local pad = 1024 - #head - #tail
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.body = head .. string.rep("x", pad) .. tail

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
                           "connect=%d read=%d write=%d status=%d timeout=%d\n",
                           summary.requests, summary.duration,
                           latency:percentile(50), latency:percentile(99),
                           e.connect, e.read, e.write, e.status, e.timeout))
end
