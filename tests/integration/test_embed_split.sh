#!/usr/bin/env bash
# Split embeddings (src/api/embed_split.c): an input array over embeddings.max_batch is sent as
# sub-requests through the lifecycle and joined in input order. Real warden + warden-mock; the
# mock's vectors depend only on the input text (and dims), so each joined vector is compared
# with what the mock gives for that same input when asked directly.
source "$(dirname "$0")/lib.sh"

start_mock
start_warden "$(sed "s|@TMP@|$TMP|g" <<'YAML'
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000, max_body_bytes: 8388608}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
embeddings: {max_batch: 100, max_concurrency: 4}
audit: {sink: sqlite, path: "@TMP@/audit.db", flush_ms: 5}
guardrails:
  - {name: no-forbidden, type: regex, stage: input, timing: blocking, action: block, patterns: ["forbidden-word"]}
  - {name: tenant-only, type: keywords, keywords: [tenant-word], when: {headers: {x-tenant: acme}}}
models:
  - name: emb
    targets: [{provider: local, model: mock-embedding}]
    retries: {max: 2, base_ms: 5, max_ms: 20}
  - name: emb-guarded
    targets: [{provider: local, model: mock-embedding}]
    retries: {max: 2, base_ms: 5, max_ms: 20}
    guardrails: [no-forbidden]
  - name: emb-tenant
    targets: [{provider: local, model: mock-embedding}]
    guardrails: [tenant-only]
  - name: emb-small
    targets: [{provider: local, model: mock-embedding}]
    embeddings: {max_batch: 7, max_concurrency: 2}
  - name: emb-one
    targets: [{provider: local, model: mock-embedding}]
    embeddings: {max_batch: 1, max_concurrency: 8}
  - name: emb-nosplit
    targets: [{provider: local, model: mock-embedding}]
    embeddings: {max_batch: 0}
YAML
)"

# emb_post BODYFILE [curl args...]: POST to warden; body in $TMP/out, status in $TMP/status
emb_post() {
    local f=$1
    shift
    curl -s -o "$TMP/out" -D "$TMP/headers" -w '%{http_code}' -H 'Content-Type: application/json' \
        --max-time "${CURL_MAX_TIME:-60}" "$@" --data-binary @"$f" "$WARDEN/v1/embeddings" >"$TMP/status"
}

# make_body FILE MODEL N [FORMAT] [EXTRA_JSON]: N varied inputs (escapes, non-ASCII, lengths)
make_body() {
    python3 - "$@" <<'PY'
import json, sys
f, model, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
fmt = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
extra = json.loads(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[5] else {}
def text(i):
    return ["input %d" % i, 'quote "%d" \\ back' % i, "ünï %d ✓" % i, "line\n%d\t" % i, "x" * (i % 37) + str(i)][i % 5]
body = {"model": model, "input": [text(i) for i in range(n)]}
if fmt:
    body["encoding_format"] = fmt
body.update(extra)
open(f, "w").write(json.dumps(body))
PY
}

# verify ANSWER REQUEST FORMAT [BATCH]: every vector equals the mock's own for that input (asked
# directly, in chunks the mock accepts), indexes are 0..n-1 in order, usage is the sum of the
# mock's per-sub-request counts (ceil(bytes/4) for each batch of BATCH, default 100).
verify() {
    python3 - "$1" "$2" "$3" "$MOCK" "${4:-100}" <<'PY'
import json, sys, urllib.request
ans, req, fmt, mock, batch = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4], int(sys.argv[5])
inputs = req["input"]
n = len(inputs)
data = ans["data"]
assert len(data) == n, "got %d vectors for %d inputs" % (len(data), n)
assert [d["index"] for d in data] == list(range(n)), "indexes are not 0..n-1 in order"
want = []
for s in range(0, n, 4000):
    body = {"model": "mock-embedding", "input": inputs[s:s + 4000]}
    if fmt != "float":
        body["encoding_format"] = fmt
    r = urllib.request.Request(mock + "/v1/embeddings", json.dumps(body).encode(), {"content-type": "application/json"})
    want += json.load(urllib.request.urlopen(r))["data"]
bad = [i for i in range(n) if data[i]["embedding"] != want[i]["embedding"]]
assert not bad, "%d vectors differ from their input's, first at %d" % (len(bad), bad[0])
if fmt == "base64":
    assert all(isinstance(d["embedding"], str) for d in data)
tok = sum((sum(len(t.encode()) for t in inputs[s:s + batch]) + 3) // 4 for s in range(0, n, batch))
assert ans["usage"] == {"prompt_tokens": tok, "total_tokens": tok}, "usage %r, want %d" % (ans["usage"], tok)
assert ans["model"] == "mock-embedding", ans["model"]
print("ok")
PY
}

# ---------------------------------------------------------------- 10,000 inputs, float and base64
make_body "$TMP/big.json" emb 10000
emb_post "$TMP/big.json"
check "10k float: 200" eq "$(status)" 200
check "10k float: 100 sub-requests" eq "$(header x-warden-sub-requests)" 100
check "10k float: order, index, vectors, usage sums" eq "$(verify "$TMP/out" "$TMP/big.json" float)" ok
PARENT=$(header x-request-id)
BIG_PARENT=$PARENT
check "10k float: sub-requests' access-log lines name the parent" eq \
    "$(grep -c "\"parent_request_id\":\"$PARENT\"" "$WARDEN_LOG")" 100
check "10k float: the parent's access-log line" contains "$(grep "^{\"id\":\"$PARENT\"," "$WARDEN_LOG")" '"inputs":10000,"sub_requests":100'

make_body "$TMP/big64.json" emb 10000 base64
emb_post "$TMP/big64.json"
check "10k base64: 200" eq "$(status)" 200
check "10k base64: order, index, vectors (byte-exact strings), usage sums" eq "$(verify "$TMP/out" "$TMP/big64.json" base64)" ok

# other fields go to every sub-request as the client sent them (dims knob, encoding_format)
make_body "$TMP/dims.json" emb-small 50 "" '{"mock":{"dims":3}}'
emb_post "$TMP/dims.json"
check "max_batch 7: 8 sub-requests" eq "$(header x-warden-sub-requests)" 8
check "max_batch 7: every vector has the client's dims" eq \
    "$(json_get '(len(d["data"]), set(len(x["embedding"]) for x in d["data"]), [x["index"] for x in d["data"]] == list(range(50)))' <"$TMP/out")" \
    "(50, {3}, True)"

# one input per sub-request: 600 parts (the answer goes out as one buffer past 1,024 pieces)
make_body "$TMP/one.json" emb-one 600 base64
emb_post "$TMP/one.json"
check "max_batch 1: 600 sub-requests, 200" eq "$(status) $(header x-warden-sub-requests)" "200 600"
check "max_batch 1: vectors right" eq "$(verify "$TMP/out" "$TMP/one.json" base64 1)" ok

# ---------------------------------------------------------------- not split
make_body "$TMP/small.json" emb 100
emb_post "$TMP/small.json"
check "100 inputs (= max_batch): not split" eq "$(status) $(header x-warden-sub-requests)" "200 "
make_body "$TMP/nosplit.json" emb-nosplit 300
emb_post "$TMP/nosplit.json"
check "max_batch 0 on the model: not split" eq "$(status) $(header x-warden-sub-requests)" "200 "
echo '{"model":"emb","input":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101]}' >"$TMP/tok1.json"
emb_post "$TMP/tok1.json"
check "one token array of 101 tokens: one input, not split" eq "$(status) $(header x-warden-sub-requests) $(json_get 'len(d["data"])' <"$TMP/out")" "200  1"

# token arrays (lists of lists) split like texts when no guardrail reads them
python3 -c 'import json; print(json.dumps({"model":"emb","input":[[i, i + 1] for i in range(250)]}))' >"$TMP/toks.json"
emb_post "$TMP/toks.json"
check "250 token arrays, no guardrail: split, 250 vectors" eq \
    "$(status) $(header x-warden-sub-requests) $(json_get 'len(d["data"])' <"$TMP/out")" "200 3 250"

# ---------------------------------------------------------------- guardrails on every input
make_body "$TMP/g_ok.json" emb-guarded 1000
emb_post "$TMP/g_ok.json"
check "guarded, clean inputs: 200, 1000 vectors" eq "$(status) $(json_get 'len(d["data"])' <"$TMP/out")" "200 1000"
python3 - "$TMP/g_ok.json" "$TMP/g_bad.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
b["input"][777] = "this has the forbidden-word in it"
open(sys.argv[2], "w").write(json.dumps(b))
PY
emb_post "$TMP/g_bad.json"
check "guard blocks one input of 1000: 400" eq "$(status)" 400
check "guard block: the guardrail's error, no vectors" eq \
    "$(json_get '(d["error"]["type"], "data" in d)' <"$TMP/out")" "('guardrail_violation', False)"
python3 -c 'import json; print(json.dumps({"model":"emb-guarded","input":[[i, i + 1] for i in range(250)]}))' >"$TMP/gtoks.json"
emb_post "$TMP/gtoks.json"
check "token arrays under an input guardrail: refused 400 as unsplit" eq \
    "$(status) $(json_get 'd["error"]["code"]' <"$TMP/out")" "400 unsupported_input"

# a guardrail chosen by the client's headers: sub-requests carry none, so such a request is
# not split (the guardrail still runs on it, once, unsplit)
python3 - "$TMP/g_ok.json" "$TMP/tenant.json" <<'PY2'
import json, sys
b = json.load(open(sys.argv[1]))
b["model"] = "emb-tenant"
b["input"][500] = "has tenant-word"
open(sys.argv[2], "w").write(json.dumps(b))
PY2
emb_post "$TMP/tenant.json" -H 'x-tenant: acme'
check "when: headers guard matching the client's headers: not split, and it blocks" eq \
    "$(status) $(header x-warden-sub-requests)" "400 "
emb_post "$TMP/tenant.json" -H 'x-tenant: other'
check "when: headers guard not matching either way: split, 200" eq "$(status) $(header x-warden-sub-requests)" "200 10"

# ---------------------------------------------------------------- failures
# one sub-batch's upstream fails on every attempt (at once) while its siblings are slow: the
# whole request fails with its error, the siblings in flight are closed, nothing more starts
make_body "$TMP/fail.json" emb 3000 "" '{"mock":{"fail_input":"FAIL-ME","ttft_ms":2000}}'
python3 - "$TMP/fail.json" <<'PY2'
import json, sys
b = json.load(open(sys.argv[1])); b["input"][150] = "FAIL-ME"; open(sys.argv[1], "w").write(json.dumps(b))
PY2
curl -s -X POST "$MOCK/mock/reset" >/dev/null
t0=$(now_ms)
emb_post "$TMP/fail.json"
elapsed=$(($(now_ms) - t0))
check "a sub-batch failing after retries: 500" eq "$(status)" 500
check "failure: the upstream's error, no partial vectors" eq \
    "$(json_get '(d["error"]["message"], "data" in d)' <"$TMP/out")" "('mock: fail_input matched input 50', False)"
# at most 2000 ms: the siblings' own answers, had it waited for them
check "failure: answered without waiting for the slow siblings ($elapsed ms < $(slow_ms 1500 2000))" lt "$elapsed" "$(slow_ms 1500 2000)"
sleep 0.2
check "failure: the failing sub-batch tried 3 times (retries.max 2), its 3 siblings closed, no other started" eq \
    "$(curl -s "$MOCK/mock/requests?limit=256" | python3 -c '
import json, sys
rs = [r for r in json.load(sys.stdin)["requests"] if r["path"] == "/v1/embeddings"]
print(sum(r["status"] == 500 for r in rs), sum(r["outcome"] == "client_closed" for r in rs), len(rs))')" "3 3 6"
PARENT=$(header x-request-id)
FAIL_PARENT=$PARENT
check "failure: the parent's access-log line says so" contains "$(grep "^{\"id\":\"$PARENT\"," "$WARDEN_LOG")" '"status":500'

# a transient failure: retried inside the lifecycle, the request succeeds
make_body "$TMP/transient.json" emb 1000 "" "{\"mock\":{\"fail_first\":1,\"key\":\"tr-$$\"}}"
curl -s -X POST "$MOCK/mock/reset" >/dev/null
emb_post "$TMP/transient.json"
check "transient failure: 200 after a retry" eq "$(status)" 200
check "transient failure: 11 upstream calls for 10 sub-requests" eq \
    "$(curl -s "$MOCK/mock/stats" | json_get 'd["by_path"]["/v1/embeddings"]')" 11
check "transient failure: all vectors right" eq "$(verify "$TMP/out" "$TMP/transient.json" float)" ok
check "transient failure: one sub-request's log line has attempts 2" eq \
    "$(grep "\"parent_request_id\":\"$(header x-request-id)\"" "$WARDEN_LOG" | grep -c '"attempts":2')" 1

# ---------------------------------------------------------------- concurrency bound
make_body "$TMP/slow.json" emb 2000 "" '{"mock":{"ttft_ms":100}}'
curl -s -X POST "$MOCK/mock/reset" >/dev/null
t0=$(now_ms)
emb_post "$TMP/slow.json"
elapsed=$(($(now_ms) - t0))
check "20 sub-requests of 100 ms, 4 at once: 200" eq "$(status)" 200
check "20 x 100 ms at 4 at once: about 500 ms (got $elapsed)" python3 -c "assert 450 <= $elapsed <= $(slow_ms 1500)"
check "never more than 4 sub-requests in flight at the mock" python3 -c "
import json, urllib.request
rs = [r for r in json.load(urllib.request.urlopen('$MOCK/mock/requests?limit=256'))['requests'] if r['path'] == '/v1/embeddings']
ev = sorted([(r['started_ms'], 1) for r in rs] + [(r['finished_ms'], -1) for r in rs], key=lambda e: (e[0], e[1]))
cur = peak = 0
for _, d in ev:
    cur += d; peak = max(peak, cur)
assert len(rs) == 20 and peak <= 4, (len(rs), peak)
"

# ---------------------------------------------------------------- client disconnect
make_body "$TMP/hang.json" emb 2000 "" '{"mock":{"ttft_ms":3000}}'
curl -s -X POST "$MOCK/mock/reset" >/dev/null
# the client sends the request, waits until the 4 sub-requests are at the mock, and closes; the
# mock's closed_ms and the client's close time are both CLOCK_MONOTONIC milliseconds
gone=$(python3 - "$WARDEN_PORT" "$TMP/hang.json" "$MOCK" <<'PY2'
import json, socket, sys, time, urllib.request
port, body, mock = int(sys.argv[1]), open(sys.argv[2], "rb").read(), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
for _ in range(100):
    if json.load(urllib.request.urlopen(mock + "/mock/stats"))["active"] >= 4:
        break
    time.sleep(0.02)
time.sleep(0.1)
s.close()
print(int(time.monotonic() * 1000))
PY2
)
closed=0
for _ in $(seq 1 40); do
    [ "$(curl -s "$MOCK/mock/stats" | json_get 'd["active"]')" = 0 ] && { closed=1; break; }
    sleep 0.05
done
check "disconnect: sub-calls in flight closed upstream" eq "$closed" 1
lag=$(curl -s "$MOCK/mock/requests?limit=256" | python3 -c '
import json, sys
rs = [r for r in json.load(sys.stdin)["requests"] if r["path"] == "/v1/embeddings"]
print(max(r["closed_ms"] or 10**12 for r in rs) - int(sys.argv[1]))' "$gone")
check "disconnect: the last sub-call closed upstream within $(slow_ms 50) ms of the client (${lag} ms)" python3 -c "assert $lag < $(slow_ms 50), $lag"
check "disconnect: the 4 in flight were closed by warden, none started after" eq \
    "$(curl -s "$MOCK/mock/stats" | json_get '(d["by_path"]["/v1/embeddings"], d["closed_by_client"])')" "(4, 4)"
sleep 0.3
check "disconnect: still nothing new started" eq "$(curl -s "$MOCK/mock/stats" | json_get 'd["by_path"]["/v1/embeddings"]')" 4
check "disconnect: the parent's access-log line says client_gone" contains \
    "$(grep '"inputs":2000,' "$WARDEN_LOG" | tail -1)" '"status":499'
check "disconnect: the cancelled sub-requests' lines say client_gone" eq \
    "$(grep '"parent_request_id"' "$WARDEN_LOG" | tail -4 | grep -c '"client_gone":true')" 4

check "warden alive" alive

# ---------------------------------------------------------------- audit: the parent record
# one record per client request (target split:embeddings, attempts = sub-requests started,
# tokens summed) and one per sub-request, linked by parent_id; read after SIGTERM drained
stop_all
audit_q() { python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2], sys.argv[3:]).fetchall())' "$TMP/audit.db" "$@"; }
check "audit: 10k float: 100 sub-request records linked to the parent" eq \
    "$(audit_q 'SELECT COUNT(*), MIN(status), MAX(status) FROM audit_log WHERE parent_id = ?' "$BIG_PARENT")" "[(100, 200, 200)]"
check "audit: 10k float: the parent record (model, target, 200, 100 sub-requests, tokens = their sum)" eq \
    "$(audit_q 'SELECT p.model, p.target, p.status, p.attempts, p.tokens_in = (SELECT SUM(tokens_in) FROM audit_log WHERE parent_id = ?) AND p.tokens_in > 0 FROM audit_log p WHERE p.request_id = ?' "$BIG_PARENT" "$BIG_PARENT")" \
    "[('emb', 'split:embeddings', 200, 100, 1)]"
check "audit: a failed split: parent 500 with the sub-request's error code" eq \
    "$(audit_q 'SELECT status, error_code IS NOT NULL AND error_code <> "", attempts FROM audit_log WHERE request_id = ?' "$FAIL_PARENT")" "[(500, 1, 4)]"
check "audit: the disconnected split: parent 499 client_closed_request" eq \
    "$(audit_q 'SELECT status, error_code FROM audit_log WHERE target = ? AND status = 499' split:embeddings)" "[(499, 'client_closed_request')]"
finish
