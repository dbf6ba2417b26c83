#!/usr/bin/env bash
# The audit log through the real binary, SQLite sink: auth (no key, wrong key, revoked key,
# right key by Authorization and x-api-key, key_sha256 / key_env), the record's fields, no
# key material in any log, GET /admin/audit (token, filters, cursor pages, bad input) and
# `warden audit`; then 20,000 requests at load and SIGTERM: exactly 20,000 rows; then
# kill -9 while the store is locked (records in the journal), restart: the journal is
# replayed with no duplicates. (kill -9 at load with the store up, whose lost rows are bounded
# by the writer's flush interval, is test_audit_kill.sh: a wall-clock bound, run alone.)
# The last line is "test_audit: N passed, M failed".
source "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || SQLITE_PY=1
rows() { # db [where]
    python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("select count(*) from audit_log "+sys.argv[2]).fetchone()[0])' "$1" "${2:-}"
}
dup_ids() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("select count(*)-count(distinct id) from audit_log").fetchone()[0])' "$1"; }
jqe() { jq -e "$@" >/dev/null; }

LOAD=$TMP/load
cc -O2 -o "$LOAD" "$ROOT/bench/load.c" || { echo "test_audit: cannot build bench/load.c"; echo "test_audit: 0 passed, 1 failed"; exit 1; }
MSG='"messages":[{"role":"user","content":"Hello audit"}]'
start_mock

export WARDEN_ADMIN_TOKEN=adm-$RANDOM-secret-token
export CAROL_KEY=sk-carol-$RANDOM-env-key
ALICE=sk-alice-$RANDOM-plain-key
BOB=sk-bob-$RANDOM-hashed-key
DAVE=sk-dave-$RANDOM-revoked-key
BOB_SHA=$(printf %s "$BOB" | sha256sum | cut -d' ' -f1)
DB1=$TMP/audit1.db

auth_config() { # extra api_keys entries
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 2, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
models:
  - name: gpt-4o-mini
    targets: [{provider: local, model: mock-1}]
  - name: priced
    audit_bodies: false
    targets: [{provider: local, model: mock-2, price: {input_per_mtok: 1000000, output_per_mtok: 2000000}}]
api_keys:
  - {name: alice, key: "$ALICE"}
  - {name: bob, key_sha256: "$BOB_SHA"}
  - {name: carol, key_env: CAROL_KEY}
$1
auth: {required: true}
admin: {token_env: WARDEN_ADMIN_TOKEN}
audit: {sink: sqlite, path: "$DB1", bodies: true, body_max_bytes: 40}
YAML
}

start_warden "$(auth_config "  - {name: dave, key: \"$DAVE\"}")" || { echo "test_audit: 0 passed, 1 failed"; exit 1; }
call() { # extra curl args...; prints status, body in $TMP/body (to the warden started last)
    curl -s -o "$TMP/body" -w '%{http_code}' "$WARDEN/v1/chat/completions" -H 'content-type: application/json' "$@"
}

check "auth: no key -> 401" eq "$(call -d "{\"model\":\"gpt-4o-mini\",$MSG}")" 401
check "auth: 401 in OpenAI's shape" jqe '.error.code == "invalid_api_key" and .error.type == "invalid_request_error" and (.error | has("param"))' "$TMP/body"
check "auth: wrong key -> 401" eq "$(call -H 'Authorization: Bearer sk-nope' -d "{\"model\":\"gpt-4o-mini\",$MSG}")" 401
check "auth: /v1/models needs a key too" eq "$(curl -s -o /dev/null -w '%{http_code}' "$WARDEN/v1/models")" 401
check "auth: /healthz stays open" eq "$(curl -s -o /dev/null -w '%{http_code}' "$WARDEN/healthz")" 200
check "auth: plain key (Bearer) -> 200" eq "$(call -H "Authorization: Bearer $ALICE" -H 'x-request-id: it-audit-alice' -d "{\"model\":\"gpt-4o-mini\",$MSG}")" 200
check "auth: key_sha256 (x-api-key) -> 200" eq "$(call -D "$TMP/hdr-bob" -H "x-api-key: $BOB" -H 'x-request-id: it-audit-bob' -d "{\"model\":\"priced\",$MSG}")" 200
bob_cost=$(grep -i '^x-warden-cost-usd:' "$TMP/hdr-bob" | cut -d' ' -f2 | tr -d '\r')
check "auth: key_env -> 200 (stream)" eq "$(call -H "Authorization: Bearer $CAROL_KEY" -H 'x-request-id: it-audit-carol' -d "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},$MSG}")" 200
check "auth: dave's key works before it is revoked" eq "$(call -H "Authorization: Bearer $DAVE" -d "{\"model\":\"gpt-4o-mini\",$MSG}")" 200
check "audit: a failing request is recorded too" eq "$(call -H "Authorization: Bearer $ALICE" -H 'x-request-id: it-audit-404' -d "{\"model\":\"nope\",$MSG}")" 404

A=$WARDEN/admin/audit
admin() { curl -s -H "Authorization: Bearer $WARDEN_ADMIN_TOKEN" "$A$1"; }
sleep 0.2
check "admin: no token -> 401" eq "$(curl -s -o /dev/null -w '%{http_code}' "$A")" 401
check "admin: a client key is not the admin token" eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ALICE" "$A")" 401
check "admin: bad parameter -> 400" eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $WARDEN_ADMIN_TOKEN" "$A?since=yesterday")" 400
all=$(admin "?limit=100")
check "admin: 8 records (3 of them 401s)" eq "$(jq '.data | length' <<<"$all")" 8
check "record: a refused request (401, no key name)" eq "$(jq '[.data[] | select(.status == 401 and .error_code == "invalid_api_key" and .key == null)] | length' <<<"$all")" 3
check "record: a refused chat request carries the client's model; /v1/models has none" eq \
    "$(jq -c '[.data[] | select(.status == 401) | .model] | sort' <<<"$all")" '["","gpt-4o-mini","gpt-4o-mini"]'
rec_alice=$(jq -c '.data[] | select(.request_id == "it-audit-alice")' <<<"$all")
check "record: key name, model, target, status, attempts" jqe '.key == "alice" and .model == "gpt-4o-mini" and .target == "local/mock-1" and .status == 200 and .attempts == 1' <<<"${rec_alice:-null}"
check "record: tokens and a default price (gpt-4o-mini)" jqe '.tokens_in > 0 and .tokens_out > 0 and .cost_usd > 0 and .cost_usd < 0.001' <<<"${rec_alice:-null}"
check "record: latency and ttft" jqe '.latency_ms > 0 and .ttft_ms > 0' <<<"${rec_alice:-null}"
check "record: body capped at body_max_bytes" jqe '(.request_body | length) == 40' <<<"${rec_alice:-null}"
rec_bob=$(jq -c '.data[] | select(.request_id == "it-audit-bob")' <<<"$all")
check "record: a target's own price (x-api-key client)" jqe '.key == "bob" and .cost_usd == (.tokens_in * 1 + .tokens_out * 2)' <<<"${rec_bob:-null}"
rec_carol=$(jq -c '.data[] | select(.request_id == "it-audit-carol")' <<<"$all")
check "record: models[].audit_bodies: false overrides audit.bodies" jqe 'has("request_body") | not' <<<"${rec_bob:-null}"
check "x-warden-cost-usd: the record's cost" python3 -c "import sys; sys.exit(0 if abs(float('${bob_cost:-0}') - $(jq .cost_usd <<<"${rec_bob:-null}")) < 1e-6 and float('${bob_cost:-0}') > 0 else 1)"
metrics=$(curl -s "$WARDEN/metrics")
check "/metrics: cost per model" contains "$metrics" 'warden_cost_usd_total{model="priced"}'
check "/metrics: audit counters" contains "$metrics" "warden_audit_records_written_total"
check "record: stream usage from the final usage chunk" jqe '.key == "carol" and .stream == true and .tokens_in > 0' <<<"${rec_carol:-null}"
check "record: error code of a failed request" jqe '.data[] | select(.request_id == "it-audit-404") | .status == 404 and .error_code == "model_not_found"' <<<"$all"
check "admin: filter by key" eq "$(admin "?key=bob" | jq -r '[.data[].key] | unique | join(",")')" bob
check "admin: filter by status" eq "$(admin "?status=404" | jq '.data | length')" 1
check "admin: filter by model" eq "$(admin "?model=priced" | jq -r '.data[0].request_id')" it-audit-bob
future=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
check "admin: since in the future -> nothing" eq "$(admin "?since=$future" | jq '.data | length')" 0
p1=$(admin "?limit=2")
cur=$(jq -r .next_cursor <<<"$p1")
p2=$(admin "?limit=2&cursor=$cur")
p3=$(admin "?limit=4&cursor=$(jq -r .next_cursor <<<"$p2")")
ids=$( (jq -r '.data[].id' <<<"$p1"; jq -r '.data[].id' <<<"$p2"; jq -r '.data[].id' <<<"$p3") | sort -u | wc -l)
check "admin: keyset pages cover all 8 records once" eq "$ids" 8
check "admin: the last page says so" jqe '.has_more == false and .next_cursor == null' <<<"$p3"
cli=$("$WARDEN_BIN" audit --config "$TMP/warden-$WARDEN_PORT.yaml" --key alice --json)
check "warden audit --json: JSON lines for alice" eq "$(jq -r .key <<<"$cli" | sort -u)" alice
check "warden audit: table header" contains "$("$WARDEN_BIN" audit --config "$TMP/warden-$WARDEN_PORT.yaml" --limit 1 --json | head -c 1)" "{"
check "warden audit: bad filter -> exit 2" bash -c "! '$WARDEN_BIN' audit --config '$TMP/warden-$WARDEN_PORT.yaml' --status abc 2>/dev/null"

# revoke dave: restart without his key
kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
LOG1=$WARDEN_LOG
start_warden "$(auth_config "")" || exit 1
check "auth: revoked (removed) key -> 401" eq "$(call -H "Authorization: Bearer $DAVE" -d "{\"model\":\"gpt-4o-mini\",$MSG}")" 401
check "auth: alice still -> 200" eq "$(call -H "Authorization: Bearer $ALICE" -d "{\"model\":\"gpt-4o-mini\",$MSG}")" 200
kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
leaks=0
for f in "$TMP"/*.log "$TMP"/*.yaml; do
    for k in "$ALICE" "$BOB" "$CAROL_KEY" "$DAVE" "$WARDEN_ADMIN_TOKEN"; do
        case "$f" in *.yaml) [ "$k" = "$ALICE" ] || [ "$k" = "$DAVE" ] && continue ;; esac
        grep -qF -- "$k" "$f" && { echo "    key material in $f" >&2; leaks=$((leaks + 1)); }
    done
done
check "no key material in any log (warden, mock)" eq "$leaks" 0
check "store: the stopped server's rows are all there" eq "$(rows "$DB1")" 10

# ---------------------------------------------------------------- streams: usage and cost
# A stream whose client did not ask for include_usage: Warden asks the upstream for it, takes
# the usage chunk out of what the client gets and records tokens and cost; a client that asked
# gets the chunk as sent. The same through the stream filter (an output guard), a stream held
# for structured output, and usage_upstream.py's upstreams: one that ignores stream_options
# (no usage: recorded without tokens, no error), one that refuses it with a 400 (sent again
# without it, then not asked again), and one that writes its stream in 7-byte pieces.
cat >"$TMP/usage_upstream.py" <<'PY'
import json, sys, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
LOG = sys.argv[2]
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        model, so = req.get("model"), req.get("stream_options")
        with open(LOG, "a") as f:
            f.write(json.dumps({"model": model, "stream_options": so}) + "\n")
        if model == "refuse" and so is not None:
            b = json.dumps({"error": {"message": "Unrecognized request argument supplied: stream_options",
                                      "type": "invalid_request_error", "param": None, "code": None}}).encode()
            self.send_response(400)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        self.end_headers()
        base = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": model}
        ev = lambda d: ("data: " + json.dumps(dict(base, **d)) + "\n\n").encode()
        out = [ev({"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hello"}, "finish_reason": None}]}),
               ev({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})]
        if model == "split" and so and so.get("include_usage"):
            out.append(ev({"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 2, "total_tokens": 13}}))
        data = b"".join(out) + b"data: [DONE]\n\n"
        step = 7 if model == "split" else len(data)
        for i in range(0, len(data), step):
            self.wfile.write(data[i:i + step])
            self.wfile.flush()
            if step == 7:
                time.sleep(0.003)
        self.close_connection = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
PY_PORT=$(free_port)
python3 "$TMP/usage_upstream.py" "$PY_PORT" "$TMP/usage_upstream.log" 2>"$TMP/usage_upstream.err" &
PIDS+=($!)
wait_port "$PY_PORT"
DB5=$TMP/audit-streams.db
start_warden "$(cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1", api_key_env: OPENAI_API_KEY}
  - {name: py, type: openai, base_url: "http://127.0.0.1:$PY_PORT/v1"}
guardrails:
  - {name: out-redact, type: regex, stage: output, action: redact, patterns: ["SECRET[0-9]+"]}
  - {name: in-block, type: regex, stage: input, patterns: ["forbidden-[0-9]+"]}
  - {name: in-conc, type: regex, stage: input, timing: concurrent, patterns: ["nothing-matches-this"]}
  - {name: post-check, type: regex, stage: output, timing: async_post, action: log, patterns: ["key "]}
models:
  - name: checked
    targets: [{provider: local, model: mock-1}]
    guardrails: [in-block, in-conc, out-redact, post-check]
  - name: gpt-4o-mini
    targets: [{provider: local, model: mock-1}]
  - name: guarded
    targets: [{provider: local, model: mock-1, price: {input_per_mtok: 1000000, output_per_mtok: 2000000}}]
    guardrails: [out-redact]
  - name: reask
    targets: [{provider: local, model: mock-1, price: {input_per_mtok: 1000000, output_per_mtok: 2000000}}]
    structured_output: {max_reasks: 1}
  - {name: ignore, targets: [{provider: py, model: ignore, price: {input_per_mtok: 1, output_per_mtok: 1}}]}
  - {name: refuse, targets: [{provider: py, model: refuse}]}
  - {name: split, targets: [{provider: py, model: split, price: {input_per_mtok: 1000000, output_per_mtok: 2000000}}]}
audit: {sink: sqlite, path: "$DB5"}
YAML
)" || exit 1
stream_call() { # model rid extra-json -> the SSE body in $TMP/s-RID, status printed
    curl -s -N -o "$TMP/s-$2" -w '%{http_code}' --max-time 20 "$WARDEN/v1/chat/completions" -H 'content-type: application/json' \
        -H "x-request-id: $2" -d "{\"model\":\"$1\",\"stream\":true,$MSG$3}"
}
usage_chunks() { grep -c '"choices": *\[\] *,.*"usage": *{\|"usage": *{.*"choices": *\[\]' "$1" || true; }
ASK=',"stream_options":{"include_usage":true}'
SCHEMA=',"response_format":{"type":"json_schema","json_schema":{"name":"o","schema":{"type":"object","required":["a"]}}},"mock":{"content":"{\"a\":1}"}'
check "stream: 200 without include_usage" eq "$(stream_call gpt-4o-mini us-plain "")" 200
check "stream: the client does not get the usage chunk it did not ask for" eq "$(usage_chunks "$TMP/s-us-plain")" 0
check "stream: ... and still ends with [DONE]" eq "$(tail -c 14 "$TMP/s-us-plain" | tr "\n" "|")" "data: [DONE]||"
check "stream: ... its text is whole" eq "$(sse_text <"$TMP/s-us-plain")" "Hello from warden-mock."
RID=us-plain
check "stream: Warden asked the upstream for include_usage" eq \
    "$(mock_eval chat 'json.loads(b(rs[-1]))["stream_options"]' 2>&1)" "{'include_usage': True}"
check "stream: 200 with include_usage" eq "$(stream_call gpt-4o-mini us-asked "$ASK")" 200
check "stream: the client that asked gets the usage chunk" eq "$(usage_chunks "$TMP/s-us-asked")" 1
check "stream: stream_options merged, other members kept" eq "$(stream_call gpt-4o-mini us-merged ',"stream_options":{"include_obfuscation":false}')" 200
RID=us-merged
check "stream: ... the upstream got both members" eq \
    "$(mock_eval chat 'sorted(json.loads(b(rs[-1]))["stream_options"].items())' 2>&1)" "[('include_obfuscation', False), ('include_usage', True)]"
check "stream: ... and no usage chunk" eq "$(usage_chunks "$TMP/s-us-merged")" 0
check "guarded stream: 200 without include_usage" eq "$(stream_call guarded us-guarded ',"mock":{"content":"key SECRET42 here"}')" 200
check "guarded stream: no usage chunk" eq "$(usage_chunks "$TMP/s-us-guarded")" 0
check "guarded stream: the output guard still redacts" eq "$(sse_text <"$TMP/s-us-guarded" | grep -c SECRET42)" 0
check "guarded stream: ... and ends with [DONE]" eq "$(tail -c 14 "$TMP/s-us-guarded" | tr "\n" "|")" "data: [DONE]||"
check "guarded stream: 200 with include_usage" eq "$(stream_call guarded us-guarded-asked "$ASK")" 200
check "guarded stream: the client that asked gets the usage chunk" eq "$(usage_chunks "$TMP/s-us-guarded-asked")" 1
check "held stream (structured output): 200" eq "$(stream_call gpt-4o-mini us-schema "$SCHEMA")" 200
check "held stream: no usage chunk" eq "$(usage_chunks "$TMP/s-us-schema")" 0
check "held stream: the JSON answer" eq "$(sse_text <"$TMP/s-us-schema")" '{"a":1}'
check "split upstream: 200" eq "$(stream_call split us-split "")" 200
check "split upstream: no usage chunk (cut in 7-byte pieces)" eq "$(usage_chunks "$TMP/s-us-split")" 0
check "split upstream: [DONE] last" eq "$(tail -c 14 "$TMP/s-us-split" | tr "\n" "|")" "data: [DONE]||"
check "ignoring upstream: 200 without usage" eq "$(stream_call ignore us-ignore "")" 200
check "refusing upstream: 200 after one re-send without stream_options" eq "$(stream_call refuse us-refuse "")" 200
check "refusing upstream: ... not asked again" eq "$(stream_call refuse us-refuse2 "")" 200
check "refusing upstream: 3 upstream calls, the first with stream_options" eq \
    "$(python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["stream_options"] is not None) for l in open(sys.argv[1]) if json.loads(l)["model"] == "refuse"))' "$TMP/usage_upstream.log")" \
    "True False False"
check "non-streaming: x-warden-cost-usd" python3 -c "import sys; sys.exit(0 if float('$(chat "{\"model\":\"guarded\",$MSG}" -H 'x-request-id: us-nostream' >/dev/null; header x-warden-cost-usd)' or 0) > 0 else 1)"
stream_call guarded us-guarded-hdr "" >/dev/null
check "streaming: no x-warden-cost-usd (the cost is known only at the end)" eq "$(curl -s -N -D - -o /dev/null "$WARDEN/v1/chat/completions" -d "{\"model\":\"guarded\",\"stream\":true,$MSG}" | grep -ci '^x-warden-cost-usd')" 0
# re-asks (structured output): every answer the provider billed counts, not only the last
RSCH='"response_format":{"type":"json_schema","json_schema":{"name":"o","schema":{"type":"object","required":["a"]}}}'
ra=$(chat "{\"model\":\"reask\",$RSCH,$MSG,\"mock\":{\"key\":\"ra-$RANDOM\",\"contents\":[\"nope\",\"{\\\"a\\\":1}\"]}}" -H 'x-request-id: us-reask')
check "re-ask: 200 after one re-ask" eq "$(status) $(header x-warden-reasks)" "200 1"
ra_last_in=$(jq '.usage.prompt_tokens' <<<"$ra")
ra_cost=$(header x-warden-cost-usd)
chat "{\"model\":\"reask\",$RSCH,\"stream\":true,$MSG$ASK,\"mock\":{\"key\":\"rs-$RANDOM\",\"contents\":[\"nope\",\"{\\\"a\\\":1}\"]}}" -H 'x-request-id: us-reask-stream' >"$TMP/s-us-reask-stream"
check "re-ask, held stream: 200" eq "$(status)" 200
rs_last_in=$(grep -o '"prompt_tokens":[0-9]*' "$TMP/s-us-reask-stream" | tail -1 | cut -d: -f2)
chat "{\"model\":\"reask\",$RSCH,$MSG,\"mock\":{\"key\":\"rf-$RANDOM\",\"contents\":[\"nope\",\"still not\"]}}" -H 'x-request-id: us-reask-422' >/dev/null
check "re-ask: 422 when the second answer fails too" eq "$(status)" 422
metrics=$(curl -s "$WARDEN/metrics")
check "/metrics: stream tokens per model (split: 11 in)" contains "$metrics" 'warden_tokens_total{model="split",direction="in"} 11'
check "/metrics: stream cost per model (split: 11*1 + 2*2 USD)" contains "$metrics" 'warden_cost_usd_total{model="split"} 15.000000000'
plain_rid() { # model rid content -> status
    curl -s -o /dev/null -w '%{http_code}' "$WARDEN/v1/chat/completions" -H 'content-type: application/json' -H "x-request-id: $2" \
        -d "{\"model\":\"$1\",\"messages\":[{\"role\":\"user\",\"content\":\"$3\"}],\"mock\":{\"content\":\"key SECRET42 here\"}}"
}
check "guard detail: a blocked request is 400" eq "$(plain_rid checked gd-block 'say forbidden-7')" 400
check "guard detail: a redacted answer is 200" eq "$(plain_rid checked gd-pass 'hello')" 200
check "guard detail: a guarded stream is 200" eq "$(stream_call checked gd-stream ',"mock":{"content":"key SECRET42 here"}')" 200
kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
rec() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute("select coalesce(tokens_in,-1), coalesce(tokens_out,-1), coalesce(cost_usd,-1), status, attempts from audit_log where request_id=?", (sys.argv[2],)).fetchone(); print(r and " ".join(str(x) for x in r))' "$DB5" "$1"; }
has_tokens() { python3 -c 'import sys; a=sys.argv[1].split(); sys.exit(0 if len(a) == 5 and int(a[0]) > 0 and int(a[1]) > 0 and float(a[2]) > 0 and a[3] == "200" else 1)' "$(rec "$1")"; }
check "record: stream without include_usage has tokens and cost" has_tokens us-plain
check "record: stream with include_usage has tokens and cost" has_tokens us-asked
check "record: guarded stream, tokens and cost (both ways)" has_tokens us-guarded && has_tokens us-guarded-asked
check "record: held stream, tokens and cost" has_tokens us-schema
check "record: split upstream, exact tokens and target price" eq "$(rec us-split)" "11 2 15.0 200 1"
check "record: a re-asked answer counts both answers' tokens (the client's usage is the last one's)" python3 -c "
import sys; a = '$(rec us-reask)'.split(); sys.exit(0 if int(a[0]) > int('${ra_last_in:-0}') > 0 and a[3] == '200' and a[4] == '2' else 1)"
check "x-warden-cost-usd: the re-asked request's whole cost (the record's)" python3 -c "
import sys; a = '$(rec us-reask)'.split(); sys.exit(0 if abs(float('${ra_cost:-0}') - float(a[2])) < 1e-6 else 1)"
check "record: a re-asked held stream counts both answers too" python3 -c "
import sys; a = '$(rec us-reask-stream)'.split(); sys.exit(0 if int(a[0]) > int('${rs_last_in:-0}') > 0 and a[3] == '200' else 1)"
check "record: a 422 after re-asks still carries the tokens and cost the provider billed" python3 -c "
import sys; a = '$(rec us-reask-422)'.split(); sys.exit(0 if int(a[0]) > 0 and float(a[2]) > 0 and a[3] == '422' else 1)"
check "record: an upstream that ignores stream_options: no tokens, no error" eq "$(rec us-ignore)" "-1 -1 -1 200 1"
check "record: the refused include_usage: two attempts, no tokens" eq "$(rec us-refuse)" "-1 -1 -1 200 2"
check "record: the next request to that target: one attempt" eq "$(rec us-refuse2)" "-1 -1 -1 200 1"

gr() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute("select guardrails from audit_log where request_id=?", (sys.argv[2],)).fetchone(); print(r and r[0])' "$DB5" "$1"; }
# every verdict with its stage, timing mode, latency and reason (issue 12); the header keeps name=verdict
check "record: a block's verdict, stage, mode, latency and reason" python3 -c "
import re, sys; g = sys.argv[1]
sys.exit(0 if re.search(r'in-block=block\(input,blocking,[0-9]+us,[^)]+\)', g) else 1)" "$(gr gd-block)"
check "record: a concurrent check's verdict and mode" python3 -c "
import re, sys; g = sys.argv[1]
sys.exit(0 if re.search(r'in-conc=pass\(input,concurrent,[0-9]+us\)', g) and re.search(r'in-block=pass\(input,blocking,[0-9]+us\)', g) else 1)" "$(gr gd-pass)"
check "record: an output rewrite's verdict, with its reason" python3 -c "
import re, sys; g = sys.argv[1]
sys.exit(0 if re.search(r'out-redact=rewrite\(output,blocking,[0-9]+us,[^)]+\)', g) else 1)" "$(gr gd-pass)"
check "record: a stream's output check says mode stream" contains "$(gr gd-stream)" "out-redact=rewrite(output,stream,"
check "record: an async_post verdict (after the answer) is in the record too" python3 -c "
import re, sys; g = sys.argv[1]
sys.exit(0 if re.search(r'post-check=flagged\(output,async_post,[0-9]+us,[^)]+\)', g) else 1)" "$(gr gd-pass)"
check "record: ... also after a stream" contains "$(gr gd-stream)" "post-check=flagged(output,async_post,"
check "record: the original value is in no verdict" python3 -c "import sys; sys.exit(1 if 'SECRET42' in sys.argv[1] + sys.argv[2] else 0)" "$(gr gd-pass)" "$(gr gd-stream)"

# ---------------------------------------------------------------- 20,000 at load, SIGTERM
DB2=$TMP/audit2.db
LOADCFG=$(basic_config "audit: {sink: sqlite, path: \"$DB2\"}" | sed 's/workers: 1/workers: 2/')
WORKERS=2 start_warden "$LOADCFG" || exit 1
printf '{"model":"gpt-4o-mini",%s}' "$MSG" >"$TMP/body.json"
ok_total=0
for round in $(seq 1 20); do
    out=$("$LOAD" -p "$WARDEN_PORT" -n 1000 -b "$TMP/body.json" -t 30 2>&1)
    ok=$(sed -n 's/^LOAD ok=\([0-9]*\).*/\1/p' <<<"$out")
    ok_total=$((ok_total + ${ok:-0}))
done
kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
check "load: 20,000 requests answered 200" eq "$ok_total" 20000
check "load: exactly 20,000 rows after SIGTERM" eq "$(rows "$DB2")" 20000
check "load: no duplicate ids" eq "$(dup_ids "$DB2")" 0
check "load: the journal is empty" eq "$(stat -c %s "$DB2.journal")" 0

# ---------------------------------------------------------------- store locked, kill -9, replay
DB3=$TMP/audit3.db
CFG3=$(basic_config "audit: {sink: sqlite, path: \"$DB3\"}")
start_warden "$CFG3" || exit 1
call -d "{\"model\":\"gpt-4o-mini\",$MSG}" >/dev/null # creates the table
sleep 0.3
# another process holds the write lock: every commit fails (busy) and records go to the journal
sqlite_lock "$DB3" 8
sleep 0.3
out=$("$LOAD" -p "$WARDEN_PORT" -n 2000 -b "$TMP/body.json" -t 30 2>&1)
ok3=$(sed -n 's/^LOAD ok=\([0-9]*\).*/\1/p' <<<"$out")
sleep 3.5 # past the 2 s busy time-out: the writer has given up and journaled
kill -9 "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
jbytes=$(stat -c %s "$DB3.journal")
check "kill -9 while locked: the journal holds records" ge "$jbytes" 1000
wait "$LOCK_PID"
start_warden "$CFG3" || exit 1
sleep 1
kill -TERM "$WARDEN_PID"; wait "$WARDEN_PID" 2>/dev/null
n3=$(rows "$DB3")
echo "    kill -9 (store locked): $ok3 answered, $n3 rows after replay, journal was $jbytes bytes"
check "kill -9 while locked: every answered request is a row after replay" eq "$n3" "$((ok3 + 1))"
check "kill -9 while locked: no duplicates" eq "$(dup_ids "$DB3")" 0

# (kill -9 at load with the store up, a bound on the writer's lag: test_audit_kill.sh, TIMED)
finish
