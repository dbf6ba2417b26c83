#!/usr/bin/env bash
# Adversarial tests of fan-out (pipelines and batches): template injection, config attacks
# (--check-config), hostile batch bodies, upstream faults per item, client disconnects at each
# stage (before the first sub-call, mid-run, while NDJSON is being written), SIGTERM with a batch
# in flight, fanout.max_inflight across many concurrent batches, guardrails on sub-calls, metrics
# and the access log's parent ids. Every attack is a check that fails when the defence is gone.
# The last line is "test_attack3: N passed, M failed".
source "$(dirname "$0")/lib.sh"

start_mock
CONFIG=$(
    cat <<'YAML'
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1"}
  - {name: badjson, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-content: "not json at all"}}
  - {name: wrongshape, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-content: "{\"value\": 42}"}}
  - {name: obj, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-content: "{\"name\": \"N\\\"}\", \"n\": [1, 2]}"}}
  - {name: arr, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-content: "{\"value\": [\"a\", \"b\"]}"}}
models:
  - {name: m, targets: [{provider: local, model: mock-1}]}
  - {name: fast-fail, retries: {max: 1, base_ms: 10, max_ms: 20}, targets: [{provider: local, model: mock-ff}]}
  - {name: short, timeouts: {first_byte_ms: 300}, retries: {max: 0}, targets: [{provider: local, model: mock-short}]}
  - {name: guarded-in, targets: [{provider: local, model: mock-gi}], guardrails: [no-forbidden]}
  - {name: guarded-out, targets: [{provider: local, model: mock-go}], guardrails: [no-leak]}
  - {name: badjson, structured_output: {max_reasks: 1}, targets: [{provider: badjson, model: mock-bj}]}
  - {name: wrongshape, structured_output: {max_reasks: 2}, targets: [{provider: wrongshape, model: mock-ws}]}
  - {name: obj, targets: [{provider: obj, model: mock-obj}]}
  - {name: arr, targets: [{provider: arr, model: mock-arr}]}
  - {name: rl, retries: {max: 0}, targets: [{provider: local, model: mock-rl}]}
guardrails:
  - {name: no-forbidden, type: regex, stage: input, action: block, patterns: ["forbidden"]}
  - {name: no-leak, type: regex, stage: output, action: block, patterns: ["LEAKED"]}
pipelines:
  - name: inj
    steps:
      echo: {model: m, system: "S {{a.b.c.d.e}} {{arr}} {{arr.1}} {{n}} {{f}} {{t}} {{z}} {{o}}", prompt: "P {{text}}|{{text}}"}
  - name: schema
    steps:
      bad:   {model: badjson, prompt: "x {{text}}", schema: {type: object, properties: {k: {type: string}}, required: [k]}, required: false}
      shape: {model: wrongshape, prompt: "y {{text}}", schema: {type: string}, required: false}
      ok:    {model: m, prompt: "z {{text}}"}
  - name: chain
    steps:
      o:    {model: obj, prompt: "o {{text}}", schema: {type: object, properties: {name: {type: string}, n: {type: array}}, required: [name, n]}}
      use:  {model: m, prompt: "name={{steps.o.name}} n1={{steps.o.n.1}} all={{steps.o}}", after: [o]}
      miss: {model: m, prompt: "nope={{steps.o.nosuch}}", after: [o], required: false}
  - name: big
    steps:
      echo: {model: m, system: "{{text}}", prompt: "x", params: {mock: {echo: system}}}
  - name: defs
    steps:
      list: {model: arr, prompt: "l {{text}}", schema: {type: array, items: {$ref: "#/$defs/word"}, $defs: {word: {type: string}}}}
  - name: slow
    steps:
      a: {model: m, prompt: "a {{text}}", params: {mock: {ttft_ms: 5000}}}
      b: {model: m, prompt: "b {{text}}", params: {mock: {ttft_ms: 5000}}}
  - name: guarded
    steps:
      in:  {model: guarded-in, prompt: "in {{text}}", required: false}
      out: {model: guarded-out, prompt: "out {{text}}", params: {mock: {content: "this LEAKED"}}, required: false}
      ok:  {model: m, prompt: "ok {{text}}"}
batch: {max_concurrency: 8, max_items: 100}
fanout: {max_inflight: 6}
YAML
)
start_warden "$CONFIG" || { echo "test_attack3: warden did not start"; echo "test_attack3: 0 passed, 1 failed"; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
W1=$WARDEN
W1_PORT=$WARDEN_PORT
W1_LOG=$WARDEN_LOG
W1_PID=$WARDEN_PID
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ] || { echo "    $1 not in [$2, $3]" >&2; return 1; }; }
reset_mock() { curl -s -X POST "$MOCK/mock/reset" >/dev/null; }
stats() { curl -s "$MOCK/mock/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# settle MS [LOG_PATTERN COUNT]: until the mock has no call in flight (and LOG_PATTERN matches
# COUNT lines of the first warden's log), for up to MS (fixed sleeps of MS before); what the
# checks then read is the same
settle() {
    local end=$(($(now_ms) + $1))
    while [ "$(now_ms)" -lt "$end" ]; do
        if [ "$(stats active)" = 0 ] && { [ $# -lt 3 ] || [ "$(grep -c "$2" "$W1_LOG")" -ge "$3" ]; }; then return 0; fi
        sleep 0.03
    done
}
# post URL BODYFILE [curl args] -> $TMP/out, status in $TMP/status, ms in $TMP/ms
post() {
    local url=$1 file=$2
    shift 2
    curl -s -o "$TMP/out" -w '%{http_code} %{time_total}' --max-time 30 -H 'Content-Type: application/json' \
        --data-binary @"$file" "$@" "$url" >"$TMP/st"
    cut -d' ' -f1 "$TMP/st" >"$TMP/status"
    awk '{printf "%d", $2 * 1000}' "$TMP/st" >"$TMP/ms"
}
out() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/out" "$1"; }
upstream() { mock_records "$1"; }
is_openai_error() { python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert all(k in e for k in ("message","type","code","param")), e' "$TMP/out" 2>/dev/null || { echo "    not an OpenAI error: $(head -c 300 "$TMP/out")" >&2; return 1; }; }

# ================================================================ template injection
reset_mock
python3 - >"$TMP/inj.json" <<'PY'
import json
print(json.dumps({
    "text": "x\"}],\"model\":\"evil\",\"messages\":[{\"role\":\"system\"}]} \\ \\\" \n\r\t {{text}} {{steps.echo}} }} {{ \u2028\u2029 \U0001F600 \u00e9 </s>",
    "a": {"b": {"c": {"d": {"e": "deep \"quoted\" {{a}}"}}}},
    "arr": [1, "two", None, {"k": "\"}"}], "n": 0.1, "f": False, "t": True, "z": None, "o": {"k": "}\"{", "l": [1.5]}}))
PY
post "$W1/v1/pipelines/inj" "$TMP/inj.json" -H 'x-request-id: ac-inj-1'
check "injection: 200" eq "$(status)" 200
check "injection: the upstream body keeps its shape (model, messages: system + user)" eq \
    "$(upstream '[(sorted(b(r)), [m["role"] for m in b(r)["messages"]], b(r)["model"]) for r in rs if rid(r) == "ac-inj-1.echo"]')" \
    "[(['messages', 'model'], ['system', 'user'], 'mock-1')]"
inj_expect() { # the exact texts the steps must send, from the request
    curl -s "$MOCK/mock/requests?limit=256" | python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))
rs = [json.loads(r["body"]) for r in json.load(sys.stdin)["requests"] if r["headers"].get("x-request-id") == "ac-inj-1.echo"]
c = lambda v: v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), ensure_ascii=False)
want_sys = "S " + " ".join(c(v) for v in [ev["a"]["b"]["c"]["d"]["e"], ev["arr"], ev["arr"][1], ev["n"], ev["f"], ev["t"], ev["z"], ev["o"]])
want_user = "P " + ev["text"] + "|" + ev["text"]
m = rs[0]["messages"]
print(m[0]["content"] == want_sys, m[1]["content"] == want_user, repr(m[0]["content"]) if m[0]["content"] != want_sys else "")' "$TMP/inj.json"
}
check "injection: values arrive as literal text ({{ never expanded; quotes, backslashes, newlines, U+2028, emoji kept; numbers/bools/null/arrays/objects as compact JSON; 0.1 as 0.1)" \
    eq "$(inj_expect)" "True True "
printf '{"text":"\\ud800","a":1}' >"$TMP/b.json"
post "$W1/v1/pipelines/inj" "$TMP/b.json"
check "injection: a lone surrogate escape: 400 invalid_json" eq "$(status) $(out 'd["error"]["code"]')" "400 invalid_json"
printf '{"text":"\xff\xfe\xc0\xaf"}' >"$TMP/b.json"
post "$W1/v1/pipelines/inj" "$TMP/b.json"
check "injection: invalid UTF-8 in the body: 400 invalid_json" eq "$(status) $(out 'd["error"]["code"]')" "400 invalid_json"
python3 -c 'print("{\"text\":" + "[" * 5000 + "]" * 5000 + "}")' >"$TMP/b.json"
post "$W1/v1/pipelines/inj" "$TMP/b.json"
check "injection: 5000-deep JSON: 400 invalid_json" eq "$(status) $(out 'd["error"]["code"]')" "400 invalid_json"
python3 -c 'import json; print(json.dumps({"text": "{{x}}\"\\\n" * 60000}))' >"$TMP/b.json"
post "$W1/v1/pipelines/big" "$TMP/b.json"
check "injection: a 480 kB value of braces, quotes, backslashes and newlines: 200" eq "$(status)" 200
check "injection: ... reaches the model whole and literal (echoed back as the step's output)" eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["echo"] == json.load(open(sys.argv[2]))["text"])' "$TMP/out" "$TMP/b.json")" True
echo '{"text": "x", "a": {"b": "not an object"}, "arr": [], "n": 1, "f": 1, "t": 1, "z": 1, "o": 1}' >"$TMP/b.json"
post "$W1/v1/pipelines/inj" "$TMP/b.json"
check "injection: a path through a string (a.b.c...) is a missing variable: 400 naming it" eq "$(status) $(out 'd["error"]["param"]')" "400 a.b.c.d.e"
echo '{"text": "c"}' >"$TMP/b.json"
reset_mock
post "$W1/v1/pipelines/chain" "$TMP/b.json" -H 'x-request-id: ac-chain-1'
check "step outputs as values: paths into a schema step's object, array indexes, the whole object" eq \
    "$(upstream '[b(r)["messages"][0]["content"] for r in rs if rid(r) == "ac-chain-1.use"]')" "['name=N\"} n1=2 all={\"name\":\"N\\\\\"}\",\"n\":[1,2]}']"
check "a path a step's output lacks fails that (optional) step only" eq "$(status) $(out 'd["miss"]["error"]["code"]')" "200 missing_variable"
post "$W1/v1/pipelines/defs" "$TMP/b.json"
check "schema with \$defs and a non-object root: wrapped, \$ref still resolves, unwrapped answer" eq "$(status) $(out 'd["list"]')" "200 ['a', 'b']"

# ================================================================ config attacks (--check-config)
bad_config() { config_rejected "$@"; }
P='pipelines: [{name: p, '
check "config: self-dependency" bad_config self "${P}steps: {a: {model: m, prompt: a, after: [a]}}}]" 'bad-self.yaml:4: pipelines[0].steps.a.after: step "a" cannot wait for itself'
check "config: 3-step cycle" bad_config cyc "${P}steps: {a: {model: m, prompt: a, after: [c]}, b: {model: m, prompt: b, after: [a]}, c: {model: m, prompt: c, after: [b]}}}]" 'cycle in after: a -> c -> b -> a'
check "config: unknown after step" bad_config unk "${P}steps: {a: {model: m, prompt: a, after: [zz]}}}]" 'unknown step "zz"'
check "config: a step's template naming itself" bad_config selft "${P}steps: {a: {model: m, prompt: \"{{steps.a}}\"}}}]" 'must list "a"'
check "config: max_concurrency 0" bad_config mc0 "${P}max_concurrency: 0, steps: {a: {model: m, prompt: a}}}]" 'max_concurrency: expected an integer from 1 to 1024, got "0"'
check "config: max_concurrency -3" bad_config mcn "${P}max_concurrency: -3, steps: {a: {model: m, prompt: a}}}]" 'got "-3"'
check "config: max_concurrency 10^20" bad_config mch "${P}max_concurrency: 99999999999999999999, steps: {a: {model: m, prompt: a}}}]" 'got "99999999999999999999"'
check "config: duplicate step names" bad_config dup "${P}steps: {a: {model: m, prompt: a}, a: {model: m, prompt: b}}}]" 'duplicate key "a"'
check "config: duplicate pipeline names through a YAML alias" bad_config alias 'pipelines:
  - &p {name: p, steps: {a: {model: m, prompt: a}}}
  - *p' 'duplicate pipeline name "p"'
check "config: a merge key is not a step key" bad_config merge 'pipelines:
  - name: p
    steps:
      a: &s {model: m, prompt: "a"}
      b: {<<: *s, after: [a]}' 'unknown key "<<"'
check "config: no steps" bad_config empty "${P}steps: {}}]" 'at least one step'
check "config: a step named _meta" bad_config meta "${P}steps: {_meta: {model: m, prompt: a}}}]" '"_meta" is the answer'
check "config: a pipeline name with a slash" bad_config slash 'pipelines: [{name: "a/b", steps: {a: {model: m, prompt: a}}}]' 'URL path segment'
check "config: params overriding the step's model" bad_config params "${P}steps: {a: {model: m, prompt: a, params: {model: x}}}}]" '"model" is set by the step'
check "config: an invalid step schema" bad_config schema "${P}steps: {a: {model: m, prompt: a, schema: {type: nosuch}}}}]" 'bad-schema.yaml:4: pipelines[0].steps.a.schema: invalid JSON Schema: unknown type "nosuch"'
check "config: a step schema with a dangling \$ref" bad_config ref "${P}steps: {a: {model: m, prompt: a, schema: {type: array, items: {\$ref: \"#/\$defs/zz\"}}}}}]" 'unknown $ref'
check "config: fanout.max_inflight -1" bad_config mi "fanout: {max_inflight: -1}" 'fanout.max_inflight: expected an integer from 0'
check "config: batch.max_items 0" bad_config bmi "batch: {max_items: 0}" 'batch.max_items: expected an integer from 1'
check "config: batch.max_concurrency 10^5" bad_config bmc "batch: {max_concurrency: 100000}" 'batch.max_concurrency: expected an integer from 1 to 4096'
printf '%s\n' "server: {listen: \"127.0.0.1:1\"}" "providers: [{name: p, type: openai, base_url: \"http://127.0.0.1:1/v1\"}]" \
    "models: [{name: m, targets: [{provider: p, model: x}]}]" 'pipelines:
  - name: p
    steps:
      a: &s {model: m, prompt: "a {{text}}"}
      b: *s' >"$TMP/alias-ok.yaml"
check "config: a YAML alias reusing a step's definition is fine" eq "$("$WARDEN_BIN" --check-config "$TMP/alias-ok.yaml" >/dev/null 2>&1; echo $?)" 0

# ================================================================ hostile batch bodies
hostile() { # name body-python-expr expected "status code"
    python3 -c "import json; print($2)" >"$TMP/b.json"
    post "$W1/v1/pipelines/chain/batch" "$TMP/b.json"
    check "hostile: $1" eq "$(status) $(out 'd["error"]["code"]' 2>/dev/null)" "$3"
}
hostile "inputs an object" 'json.dumps({"inputs": {"text": "x"}})' "400 invalid_type"
hostile "inputs a string" 'json.dumps({"inputs": "x"})' "400 invalid_type"
hostile "inputs null" 'json.dumps({"inputs": None})' "400 invalid_type"
hostile "inputs missing" 'json.dumps({"input": []})' "400 missing_required_parameter"
hostile "stream a string" 'json.dumps({"inputs": [{"text": "x"}], "stream": "true"})' "400 invalid_type"
hostile "stream a number" 'json.dumps({"inputs": [{"text": "x"}], "stream": 1})' "400 invalid_type"
hostile "stream null" 'json.dumps({"inputs": [{"text": "x"}], "stream": None})' "400 invalid_type"
hostile "duplicate keys" '"{\"inputs\": [{\"text\": \"x\"}], \"inputs\": []}"' "400 invalid_json"
hostile "10^6 items (4 MB): 413 before anything runs" 'json.dumps({"inputs": [{}] * 1000000})' "413 too_many_items"
hostile "max_items + 1: 413" 'json.dumps({"inputs": [{"text": "x"}] * 101})' "413 too_many_items"
hostile "a body over server.max_body_bytes: 413" 'json.dumps({"inputs": [{"text": "x" * 1000}] * 5000})' "413 request_too_large"
check "hostile: every 4xx above is an OpenAI error" is_openai_error
python3 -c 'import json; print(json.dumps({"inputs": [1, "s", None, [], True, {"text": "ok"}], "stream": False}))' >"$TMP/b.json"
post "$W1/v1/pipelines/chain/batch" "$TMP/b.json"
check "hostile: items of the wrong type fail alone (400 each), the object runs" eq "$(out '[(r["status"], r.get("error", {}).get("code")) for r in d["results"]]')" \
    "[(400, 'invalid_type'), (400, 'invalid_type'), (400, 'invalid_type'), (400, 'invalid_type'), (400, 'invalid_type'), (200, None)]"
python3 -c 'import json; print(json.dumps({"inputs": [{"text": "x"}] * 100}))' >"$TMP/b.json"
post "$W1/v1/pipelines/chain/batch" "$TMP/b.json"
check "hostile: exactly max_items runs" eq "$(status) $(out 'd["summary"]["succeeded"]')" "200 100"
for path in /v1/pipelines/chain/ /v1/pipelines//batch /v1/pipelines/chain/batch/x /v1/pipelines/chain/batchx "/v1/pipelines/%2e%2e/batch" /v1/pipelines/; do
    post "$W1$path" <(echo '{"text": "x"}')
    check "hostile path $path: 404 in OpenAI's shape" eq "$(status) $(is_openai_error && echo shaped)" "404 shaped"
done
python3 -c 'import json; print(json.dumps({"requests": [{"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}, {"model": "m", "messages": "nope"}, {"model": "m"}, {"model": "m", "messages": [{"role": "user", "content": "ok"}]}]}))' >"$TMP/b.json"
post "$W1/v1/chat/completions/batch" "$TMP/b.json"
check "hostile chat items (stream a string, messages a string, no messages) fail alone with 400" eq "$(out '[r["status"] for r in d["results"]]')" "[400, 400, 400, 200]"
LONG_ID=$(python3 -c 'print("r" * 78)')
post "$W1/v1/pipelines/chain/batch" <(echo '{"inputs": [{"text": "x"}, {"text": "y"}]}') -H "x-request-id: $LONG_ID"
check "a request id too long for <id>.<item>.<step>: the items still run" eq "$(status) $(out 'd["summary"]["succeeded"]')" "200 2"
check "... and their sub-calls still name the batch as parent (4 lines)" eq "$(grep -c "\"parent_request_id\":\"$LONG_ID\"" "$W1_LOG")" 4
check "warden alive" alive

# ================================================================ upstream faults, one per item
cat >"$TMP/b.json" <<'JSON'
{"requests": [
 {"model": "m", "messages": [{"role": "user", "content": "ok"}]},
 {"model": "fast-fail", "messages": [{"role": "user", "content": "x"}], "mock": {"status": 500}},
 {"model": "rl", "messages": [{"role": "user", "content": "x"}], "mock": {"status": 429, "retry_after": "1"}},
 {"model": "short", "messages": [{"role": "user", "content": "x"}], "mock": {"ttft_ms": 2000}},
 {"model": "m", "messages": [{"role": "user", "content": "x"}], "mock": {"abort_after": 10}},
 {"model": "m", "messages": [{"role": "user", "content": "x"}], "mock": {"garbage": 1}},
 {"model": "guarded-in", "messages": [{"role": "user", "content": "this is forbidden"}]},
 {"model": "guarded-out", "messages": [{"role": "user", "content": "x"}], "mock": {"content": "it LEAKED"}},
 {"model": "m", "messages": [{"role": "user", "content": "ok"}]}
]}
JSON
reset_mock
post "$W1/v1/chat/completions/batch" "$TMP/b.json" -H 'x-request-id: ac-flt-1'
check "faults: the batch answers 200" eq "$(status)" 200
check "faults: per item, in order: ok, 5xx after retries, 429, 504 time-out, 502 truncated, 502 invalid JSON, 400 input guard, 400 output guard, ok" eq \
    "$(out '[(r["status"] // 100 * 100 + (r["status"] % 100 if r["status"] in (504, 502) else 0) if r["status"] >= 500 else r["status"]) for r in d["results"]]')" "[200, 500, 429, 504, 502, 502, 400, 400, 200]"
check "faults: errors in OpenAI's shape with the right codes" eq \
    "$(out '[r["error"]["code"] for r in d["results"] if "error" in r and r["index"] in (2, 3, 5, 6, 7)]')" \
    "['rate_limit_exceeded', 'upstream_timeout', 'unreadable_answer', 'guardrail_blocked', 'guardrail_blocked']"
check "faults: the good items' answers are intact" eq "$(out '[d["results"][i]["result"]["choices"][0]["message"]["content"] for i in (0, 8)]')" \
    "['Hello from warden-mock.', 'Hello from warden-mock.']"
check "faults: the input-guarded item never reached the upstream" eq "$(upstream 'len([r for r in rs if rid(r) == "ac-flt-1.6"])')" 0
check "faults: one slow item does not hold the batch past its time-out (~300 ms; $(cat "$TMP/ms") ms < $(slow_ms 1500 2000))" lt "$(cat "$TMP/ms")" "$(slow_ms 1500 2000)"
post "$W1/v1/pipelines/schema" <(echo '{"text": "s"}')
check "faults: schema steps with invalid answers: re-asked, then 422 in the (optional) field, the others fine" eq \
    "$(out '(d["bad"]["error"]["code"], d["_meta"]["steps"]["bad"]["reasks"], d["shape"]["error"]["code"], d["_meta"]["steps"]["shape"]["reasks"], d["_meta"]["steps"]["shape"]["status"], d["ok"])')" \
    "('schema_validation_failed', 1, 'schema_validation_failed', 2, 422, 'Hello from warden-mock.')"
post "$W1/v1/pipelines/guarded" <(echo '{"text": "forbidden"}')
check "guardrails: a pipeline's input-blocked and output-blocked steps fail alone (400 each), the others answer" eq \
    "$(out '(d["in"]["error"]["guardrail"]["stage"], d["_meta"]["steps"]["in"]["status"], d["out"]["error"]["guardrail"]["stage"], d["_meta"]["steps"]["out"]["status"], d["ok"])')" \
    "('input', 400, 'output', 400, 'Hello from warden-mock.')"
python3 -c 'import json; print(json.dumps({"inputs": [{"text": "fine"}, {"text": "forbidden"}, {"text": "fine"}]}))' >"$TMP/b.json"
post "$W1/v1/pipelines/guarded/batch" "$TMP/b.json"
check "guardrails: in a pipeline batch, only the item with the blocked input has the step's error" eq \
    "$(out '[("error" in r["result"]["in"]) for r in d["results"]]')" "[False, True, False]"

# ================================================================ client disconnects
cat >"$TMP/client.py" <<'PY'
# client.py MODE PORT PATH BODYFILE RID MOCK [WAIT_S]: POSTs BODYFILE with a tiny receive buffer,
# then: early - closes at once (before any sub-call can start); wait - reads nothing for WAIT_S,
# then resets the connection (SO_LINGER 0). Prints the mock's clock (ms) just before the close.
import json, socket, struct, sys, time, urllib.request
mode, port, path, body, rid, mock = sys.argv[1], int(sys.argv[2]), sys.argv[3], open(sys.argv[4], "rb").read(), sys.argv[5], sys.argv[6]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nx-request-id: %s\r\nContent-Length: %d\r\n\r\n" % (path.encode(), rid.encode(), len(body)) + body)
if mode == "wait":
    time.sleep(float(sys.argv[7]))
now = json.load(urllib.request.urlopen(mock + "/mock/now"))["now_ms"] if mode == "wait" else 0
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print(now)
PY
# calls RID T_CLOSE -> "calls all_closed max_close_delay_ms started_after_close"
calls() {
    curl -s "$MOCK/mock/requests?limit=256" | python3 -c '
import json, sys
rid, t = sys.argv[1], int(sys.argv[2])
rs = [r for r in json.load(sys.stdin)["requests"] if r["headers"].get("x-request-id", "").startswith(rid + ".")]
closed = all(r["outcome"] in ("client_closed", "completed") for r in rs)
open_at_close = [r for r in rs if r["outcome"] == "client_closed"]
delay = max([(r["closed_ms"] or 10**9) - t for r in open_at_close] or [0])
late = len([r for r in rs if r["started_ms"] > t])
print(len(rs), closed, delay, late, len(open_at_close))' "$1" "$2"
}
# before the first sub-call: the batch starts its items on the next loop turn
python3 -c 'import json; print(json.dumps({"inputs": [{"text": "t%d" % i} for i in range(40)], "stream": True}))' >"$TMP/b.json"
reset_mock
for i in 1 2 3 4 5; do python3 "$TMP/client.py" early "$W1_PORT" /v1/pipelines/slow/batch "$TMP/b.json" "ac-early-$i" "$MOCK" >/dev/null; done
settle 300 '"id":"ac-early-[1-5]","route":"pipeline_batch".*"client_gone":true' 5
check "disconnect before the first sub-call: nothing left in flight upstream" eq "$(stats active)" 0
check "disconnect before the first sub-call: whatever started was closed by Warden" eq "$(upstream 'all(r["outcome"] == "client_closed" for r in rs)')" True
check "disconnect before the first sub-call: the access log says client_gone (5 batches)" eq "$(grep -c '"id":"ac-early-[1-5]","route":"pipeline_batch".*"client_gone":true' "$W1_LOG")" 5
# mid-run: a single pipeline run with two 5 s steps
reset_mock
echo '{"text": "mid"}' >"$TMP/b.json"
python3 "$TMP/client.py" wait "$W1_PORT" /v1/pipelines/slow "$TMP/b.json" ac-mid-1 "$MOCK" 0.4 >"$TMP/t"
settle 300
read -r N CLOSED DELAY LATE OPEN <<<"$(calls ac-mid-1 "$(cat "$TMP/t")")"
check "disconnect mid-pipeline: both steps closed upstream within $(slow_ms 50) ms ($N calls, $OPEN open at the close, max $DELAY ms)" eq "$N $OPEN $CLOSED $([ "$DELAY" -le "$(slow_ms 50)" ] && echo fast)" "2 2 True fast"
# while NDJSON is being written: 3 slow items stay in flight while 35 kB answers fill the
# unread socket; the client then resets the connection
python3 - >"$TMP/b.json" <<'PY'
import json
slow = [{"model": "m", "messages": [{"role": "user", "content": "slow %d" % i}], "mock": {"ttft_ms": 5000}} for i in range(3)]
big = [{"model": "m", "messages": [{"role": "system", "content": "%d " % i + "abcdefghij" * 3500}, {"role": "user", "content": "x"}],
        "mock": {"echo": "system"}} for i in range(95)]
print(json.dumps({"requests": slow + big, "stream": True}))
PY
reset_mock
python3 "$TMP/client.py" wait "$W1_PORT" /v1/chat/completions/batch "$TMP/b.json" ac-nd-1 "$MOCK" 1.0 >"$TMP/t"
settle 300 '"id":"ac-nd-1","route":"chat_batch".*"client_gone":true' 1
read -r N CLOSED DELAY LATE OPEN <<<"$(calls ac-nd-1 "$(cat "$TMP/t")")"
check "disconnect while NDJSON is unsent: the in-flight calls closed upstream within $(slow_ms 50) ms ($OPEN open, max $DELAY ms)" eq "$OPEN $CLOSED $([ "$DELAY" -le "$(slow_ms 50)" ] && echo fast)" "3 True fast"
check "disconnect while NDJSON is unsent: no call started after the close ($N ran before it)" eq "$LATE" 0
check "disconnect while NDJSON is unsent: nothing in flight at the mock" eq "$(stats active)" 0
check "disconnect while NDJSON is unsent: access log client_gone" contains "$(grep '"id":"ac-nd-1","route":"chat_batch"' "$W1_LOG")" '"client_gone":true'
check "warden alive" alive

# ================================================================ fanout.max_inflight across many batches and runs
reset_mock
python3 -c 'import json; print(json.dumps({"requests": [{"model": "m", "messages": [{"role": "user", "content": "c%d" % i}], "mock": {"ttft_ms": 150}} for i in range(8)]}))' >"$TMP/mi.json"
T0=$(now_ms)
CP=()
for i in 1 2 3 4 5 6; do
    curl -s -o "$TMP/mi-$i.out" --max-time 20 --data-binary @"$TMP/mi.json" -H "x-request-id: ac-mi-$i" "$W1/v1/chat/completions/batch" &
    CP+=($!)
done
curl -s -o "$TMP/mi-p.out" --max-time 20 -d '{"text": "p"}' "$W1/v1/pipelines/chain" &
CP+=($!)
wait "${CP[@]}"
ALL=$(($(now_ms) - T0))
check "max_inflight 6: 6 batches of 8 (max_concurrency 8) + a pipeline never exceed 6 upstream calls (mock max $(stats max_active))" eq "$(stats max_active)" 6
check "max_inflight 6: every item of every batch succeeded" eq "$(for i in 1 2 3 4 5 6; do python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["succeeded"], end=" ")' "$TMP/mi-$i.out"; done)" "8 8 8 8 8 8 "
check "max_inflight 6: the pipeline ran too" eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["use"])' "$TMP/mi-p.out")" "Hello from warden-mock."
check "max_inflight 6: 48 calls of 150 ms, 6 at a time: ~1.2 s ($ALL ms)" in_range "$ALL" 1150 "$(slow_ms 3000)"

# ================================================================ disconnect churn: slots are never lost
# 20 streamed batches (slow items, 20 kB echoes, invalid items) whose clients read a little or
# nothing and close or reset at random moments; then a clean batch must still get all 6 slots.
python3 - >"$TMP/mix.json" <<'PY'
import json
items = []
for i in range(60):
    if i % 3 == 0:
        items.append({"model": "m", "messages": [{"role": "user", "content": "s%d" % i}], "mock": {"ttft_ms": 100 + i * 7}})
    elif i % 3 == 1:
        items.append({"model": "m", "messages": [{"role": "system", "content": "x" * 20000}, {"role": "user", "content": "e"}], "mock": {"echo": "system"}})
    else:
        items.append("bad item")
print(json.dumps({"requests": items, "stream": True}))
PY
cat >"$TMP/churn.py" <<'PY'
import random, socket, struct, sys, time
port, body, seed = int(sys.argv[1]), open(sys.argv[2], "rb").read(), int(sys.argv[3])
random.seed(seed)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
s.sendall(b"POST /v1/chat/completions/batch HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
time.sleep(random.random() * 0.4)
if random.random() < 0.5:
    try:
        s.recv(random.randint(1, 100000))
    except OSError:
        pass
if random.random() < 0.5:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
PY
reset_mock
for r in 1 2 3 4; do
    CP=()
    for k in 1 2 3 4 5; do python3 "$TMP/churn.py" "$W1_PORT" "$TMP/mix.json" $((r * 10 + k)) & CP+=($!); done
    wait "${CP[@]}"
done
settle 500
check "churn: nothing left in flight upstream ($(stats requests) calls, $(stats closed_by_client) closed by Warden)" eq "$(stats active)" 0
# (the mock's max_active is no measure during churn: it notices a cancelled call's close a moment
# after Warden has started the next call in the freed slot; the batch below measures cleanly)
reset_mock
python3 -c 'import json; print(json.dumps({"requests": [{"model": "m", "messages": [{"role": "user", "content": "c%d" % i}], "mock": {"ttft_ms": 100}} for i in range(24)]}))' >"$TMP/b.json"
post "$W1/v1/chat/completions/batch" "$TMP/b.json"
check "churn: afterwards a batch gets all 6 slots back (24 x 100 ms in ~400 ms: $(cat "$TMP/ms") ms, max $(stats max_active))" eq \
    "$(out 'd["summary"]["succeeded"]') $(stats max_active) $([ "$(cat "$TMP/ms")" -lt "$(slow_ms 800)" ] && echo fast)" "24 6 fast"
check "warden alive" alive

# ================================================================ access log and metrics
python3 -c 'import json; print(json.dumps({"inputs": [{"text": "t%d" % i} for i in range(5)]}))' >"$TMP/b.json"
post "$W1/v1/pipelines/chain/batch" "$TMP/b.json" -H 'x-request-id: ac-log-1'
check "access log: 5 items x 2 sub-calls (the third step's template fails before any call) carry the batch as parent, ids <batch>.<item>.<step>" eq \
    "$(grep -c '"id":"ac-log-1\.[0-4]\.\(o\|use\)","parent_request_id":"ac-log-1"' "$W1_LOG") $(grep -c '"parent_request_id":"ac-log-1"' "$W1_LOG")" "10 10"
check "access log: the batch's own line" contains "$(grep '"id":"ac-log-1","route":"pipeline_batch"' "$W1_LOG")" '"items":5,"items_done":5,"items_failed":0'
sleep 0.2
curl -s "$W1/metrics" >"$TMP/metrics"
check "metrics: per pipeline, every step's outcomes add up to the pipeline's runs" eq "$(python3 - "$TMP/metrics" <<'PY'
import re, sys, collections
runs, steps = collections.Counter(), collections.defaultdict(collections.Counter)
for line in open(sys.argv[1]):
    m = re.match(r'warden_pipeline_runs_total\{pipeline="([^"]+)",result="[a-z]+"\} (\d+)', line)
    if m:
        runs[m[1]] += int(m[2])
    m = re.match(r'warden_pipeline_steps_total\{pipeline="([^"]+)",step="([^"]+)",outcome="[a-z]+"\} (\d+)', line)
    if m:
        steps[m[1]][m[2]] += int(m[3])
bad = [(p, s, n, runs[p]) for p in steps for s, n in steps[p].items() if n != runs[p]]
print(bad if bad else "coherent", sum(runs.values()) > 0)
PY
)" "coherent True"
check "metrics: chain ran 1 + 1 + 100 + 2 + 1 + 5 times (all ok)" contains "$(cat "$TMP/metrics")" 'warden_pipeline_runs_total{pipeline="chain",result="ok"} 110'
check "warden alive" alive

# ================================================================ SIGTERM with batches in flight
# (the last section: it stops its own Warden; W1 keeps running for finish's sanitizer check)
start_warden "$(printf '%s\n' "$CONFIG" | sed 's/drain_timeout_ms: 3000/drain_timeout_ms: 1000/')" ||
    echo "test_attack3: the SIGTERM warden did not start"
reset_mock
python3 -c 'import json; print(json.dumps({"inputs": [{"text": "t%d" % i} for i in range(30)]}))' >"$TMP/b.json"
python3 -c 'import json; print(json.dumps({"inputs": [{"text": "t%d" % i} for i in range(30)], "stream": True}))' >"$TMP/bs.json"
curl -s -o "$TMP/sig-plain.out" -w '%{http_code}' --max-time 20 --data-binary @"$TMP/b.json" "$WARDEN/v1/pipelines/slow/batch" >"$TMP/sig-plain.st" &
C1=$!
curl -s -o "$TMP/sig-stream.out" --max-time 20 --data-binary @"$TMP/bs.json" "$WARDEN/v1/pipelines/slow/batch" &
C2=$!
python3 "$TMP/client.py" wait "$WARDEN_PORT" /v1/pipelines/slow/batch "$TMP/bs.json" ac-sig-held "$MOCK" 4 >/dev/null 2>&1 &
C3=$!
sleep 0.4
check "SIGTERM: calls in flight before the signal ($(stats active))" ge "$(stats active)" 6
T0=$(now_ms)
kill -TERM "$WARDEN_PID"
wait "$WARDEN_PID"
RC=$?
EXIT_MS=$(($(now_ms) - T0))
wait $C1 $C2
kill $C3 2>/dev/null
wait $C3 2>/dev/null
check "SIGTERM: exit 0" eq "$RC" 0
# at most 4000 ms: the 5-s steps' own end (started 0.4 s before the signal), had the drain waited
check "SIGTERM: exit within drain_timeout_ms (1000) + a margin ($EXIT_MS ms <= $(slow_ms 2000 4000))" in_range "$EXIT_MS" 0 "$(slow_ms 2000 4000)"
check "SIGTERM: the plain batch got its answer (200, every item an error naming the shutdown)" eq \
    "$(cat "$TMP/sig-plain.st") $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["results"]), d["summary"]["failed"])' "$TMP/sig-plain.out" 2>/dev/null)" "200 30 30"
check "SIGTERM: the streamed batch ended with its summary line" eq "$(tail -1 "$TMP/sig-stream.out" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d.get("done"), d.get("items"))' 2>/dev/null)" "True 30"
sleep 0.2
check "SIGTERM: nothing left in flight at the mock" eq "$(stats active)" 0
check "SIGTERM: every upstream call closed by Warden, none completed" eq "$(upstream 'sorted(set(r["outcome"] for r in rs))')" "['client_closed']"
WARDEN_PID=$W1_PID
WARDEN_LOG=$W1_LOG
check "warden alive" alive

finish
