#!/usr/bin/env bash
# Issue 11's latency bar: pii + secrets + prompt_injection together on a 4 KB English prompt
# (bench/prompt.h's paragraph repeated to 4096 bytes) add <= 30 us at p50 to x-warden-overhead-us,
# against the same request with no checks. One Warden (1 worker) in front of warden-mock, three
# models: no guards; the three checks with prompt_injection's shipped model (the default); the
# same with model: none (the lexicon alone). Sequential keep-alive requests, the models
# interleaved, after a warm-up; prints p50 / p90 of the header per model and the p50 differences.
#
# usage: BUILD=build bench/guard_overhead.sh [requests per model, default 600]
source "$(dirname "$0")/../tests/integration/lib.sh"
N=${1:-600}
export PROMPT_BYTES=${PROMPT_BYTES:-4096} # the bar is on 4 KB; smaller prompts show the pool hand-off
# the checks before prompt_injection (BEFORE_INJECTION="" leaves it alone, which shows what its model's pool
# hand-off costs when the loop has less of its own work to do meanwhile)
BEFORE_INJECTION=${BEFORE_INJECTION-"pii, secrets, "}
[ -x "$WARDEN_BIN" ] && [ -x "$MOCK_BIN" ] || { echo "build first (make)"; exit 1; }
start_mock
start_warden "$(cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
guardrails:
  - {name: pii, type: pii}
  - {name: secrets, type: secrets}
  - {name: inj, type: prompt_injection}
  - {name: inj-lex, type: prompt_injection, model: none}
models:
  - {name: m-none, targets: [{provider: local, model: mock-1}]}
  - {name: m-all, targets: [{provider: local, model: mock-1}], guardrails: [${BEFORE_INJECTION}inj]}
  - {name: m-lex, targets: [{provider: local, model: mock-1}], guardrails: [${BEFORE_INJECTION}inj-lex]}
YAML
)"
python3 - "$WARDEN_PORT" "$N" "$ROOT/bench/prompt.h" <<'PY'
import http.client, json, re, statistics, sys, time
port, n, hdr = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
src = open(hdr, encoding="utf-8").read()
para = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', src[src.index("bench_paragraph ="):src.index(";", src.index("bench_paragraph ="))]))
para = para.encode().decode("unicode_escape")
nb = int(__import__("os").environ["PROMPT_BYTES"]); prompt = (para * (nb // len(para) + 1))[:nb]
models = ["m-none", "m-all", "m-lex"]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
def one(m):
    body = json.dumps({"model": m, "messages": [{"role": "user", "content": prompt}]})
    conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json", "Authorization": "Bearer x"})
    r = conn.getresponse(); r.read()
    if r.status != 200:
        sys.exit(f"{m}: status {r.status}")
    return int(r.getheader("x-warden-overhead-us"))
for _ in range(100):
    for m in models: one(m)
res = {m: [] for m in models}
t_end = time.time() + 120
for i in range(n):
    for m in models: res[m].append(one(m))
    if time.time() > t_end: break
p = {}
for m in models:
    v = sorted(res[m]); p[m] = statistics.median(v)
    print(f"{m:7s} x-warden-overhead-us p50 {p[m]:.0f}  p90 {v[int(len(v)*0.9)]}  ({len(v)} requests)")
print(f"pii + secrets + prompt_injection (shipped model): +{p['m-all'] - p['m-none']:.0f} us at p50")
print(f"pii + secrets + prompt_injection (model: none):   +{p['m-lex'] - p['m-none']:.0f} us at p50")
PY
# how the model jobs reached the pool (carried: by a thread kept awake for them)
curl -s "http://127.0.0.1:$WARDEN_PORT/metrics" | grep -E "^warden_model_(jobs|carriers)"
stop_all
