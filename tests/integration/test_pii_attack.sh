#!/usr/bin/env bash
# Reversible pii redaction attacked as a hostile client would, through the real binary against
# scripted upstream answers (raw_upstream.py json-script / sse-script, the script in base64 so
# that no guard reads it): a placeholder the client typed itself (never restored to a value,
# never confused with one upstream), originals with quotes, backslashes, control characters,
# non-BMP emoji and placeholder-looking text restored exactly in content and in tool-call
# arguments (the answer stays JSON), invented placeholders left alone, bodies refused before the
# guards read them (kept out of the audit store), streams split at every
# byte of tool-call arguments, n = 2 choices with a usage chunk, an upstream that ends inside a
# placeholder, a client that hangs up mid-stream; and no original in the upstream's bodies,
# the audit store (bodies: true), the log or the response headers.
source "$(dirname "$0")/lib.sh"

[ -x "$WARDEN_BIN" ] && start_raw || { echo "$TEST_NAME: build first (make)"; echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

CFG=$(
    cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 2000}
providers:
  - {name: raw, type: openai, base_url: "$RAW/v1", api_key_env: OPENAI_API_KEY}
audit: {sink: sqlite, path: "$TMP/audit.db", bodies: true}
guardrails:
  - {name: in-rev, type: pii, action: redact, redaction: reversible}
  - name: in-tok
    type: pii
    action: redact
    redaction: reversible
    entities: [EMAIL_ADDRESS]
    recognizers: [{name: TOKEN_ID, regex: 'K[^ ]+K', score: 0.9}]
  - {name: in-pii-blk, type: pii, action: block}
  - {name: in-rx, type: regex, patterns: ["blockme"]}
  - {name: out-pii, type: pii, stage: output, action: block}
  - {name: out-sec, type: secrets, stage: output, action: block}
  - {name: out-grp, type: parallel, stage: output, strategy: all_must_pass, members: [out-sec, out-pii]}
models:
  - {name: rev, targets: [{provider: raw, model: json-script}], guardrails: [in-rev]}
  - {name: rev-s, targets: [{provider: raw, model: sse-script}], guardrails: [in-rev]}
  - {name: tok, targets: [{provider: raw, model: json-script}], guardrails: [in-tok]}
  - {name: tok-s, targets: [{provider: raw, model: sse-script}], guardrails: [in-tok]}
  - {name: iblk, targets: [{provider: raw, model: json-script}], guardrails: [in-pii-blk]}
  - {name: irx, targets: [{provider: raw, model: json-script}], guardrails: [in-rx, in-rev]}
  - {name: rxonly, targets: [{provider: raw, model: json-script}], guardrails: [in-rx]}
  - {name: oblk, targets: [{provider: raw, model: json-script}], guardrails: [out-pii, out-sec]}
  - {name: ogrp, targets: [{provider: raw, model: json-script}], guardrails: [out-grp]}
YAML
)
start_warden "$CFG" || { echo "$TEST_NAME: 0 passed, 1 failed"; exit 1; }

# run SCENARIO: one python driver per scenario; prints "ok" or what went wrong
run() {
    python3 - "$WARDEN_PORT" "$RAW_PORT" "$1" <<'PY'
import base64, http.client, json, socket, sys, time
wport, rport, scenario = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
bad = []
def expect(what, got, want):
    if got != want:
        bad.append("%s: got %r, want %r" % (what, got, want))

def body_of(model, msgs, script, extra=None):
    b = {"model": model, "messages": msgs, "script_b64": base64.b64encode(json.dumps(script).encode()).decode()}
    b.update(extra or {})
    return json.dumps(b)

def full(model, msgs, answer_msg, extra=None):
    """Non-streamed: the upstream answers answer_msg; returns (status, headers, body bytes)."""
    ans = {"id": "a", "object": "chat.completion", "created": 1, "model": "m",
           "choices": [{"index": 0, "message": answer_msg, "finish_reason": "stop"}]}
    c = http.client.HTTPConnection("127.0.0.1", wport, timeout=20)
    c.request("POST", "/v1/chat/completions", body=body_of(model, msgs, {"answer": ans}, extra),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    return r.status, r.getheaders(), r.read()

def message(d):
    return json.loads(d)["choices"][0]["message"]

def stream(model, user, evs, no_done=False, extra=None):
    """Streamed: the scripted events; returns {"texts": {"<choice>.content"|"<choice>.tool<i>": text}, "done", "error", "raw"}."""
    c = http.client.HTTPConnection("127.0.0.1", wport, timeout=20)
    c.request("POST", "/v1/chat/completions",
              body=body_of(model, [{"role": "user", "content": user}], {"events": evs, "no_done": no_done}, dict({"stream": True}, **(extra or {}))),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    raw = r.read().decode("utf-8", "replace")
    out = {"texts": {}, "done": False, "error": None, "raw": raw, "invalid": 0}
    for line in raw.split("\n"):
        if not line.startswith("data: "):
            continue
        if line[6:] == "[DONE]":
            out["done"] = True
            continue
        try:
            o = json.loads(line[6:])
        except ValueError:
            out["invalid"] += 1
            continue
        if "error" in o:
            out["error"] = o["error"]
        for ch in o.get("choices", []):
            d = ch.get("delta") or {}
            k = "%d.content" % ch.get("index", 0)
            if d.get("content"):
                out["texts"][k] = out["texts"].get(k, "") + d["content"]
            for tc in d.get("tool_calls") or []:
                k = "%d.tool%d" % (ch.get("index", 0), tc.get("index", 0))
                a = (tc.get("function") or {}).get("arguments")
                if a:
                    out["texts"][k] = out["texts"].get(k, "") + a
    return out

def ev(ch, text, args=False):
    delta = {"tool_calls": [{"index": 0, "function": {"arguments": text}}]} if args else {"content": text}
    return {"id": "x", "choices": [{"index": ch, "delta": delta}]}

def fin(chs):
    return {"id": "x", "choices": [{"index": c, "delta": {}, "finish_reason": "stop"} for c in chs]}

def upstream_last():
    c = http.client.HTTPConnection("127.0.0.1", rport, timeout=5)
    c.request("GET", "/_stats")
    d = json.loads(c.getresponse().read())
    rs = [r["body"] for x in d["conns"] for r in x["requests"]]
    return json.loads(rs[-1]) if rs else {}

TOOLS = {"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}
VALUES = ['Ka"bK', 'Ka\\bK', 'Ka\tb\nK', 'K\U0001F600\u00e9K', 'Ka\\"b\\\\K', 'Ka\u2028bK', 'Ka\\u0041K', 'K</x>&K',
          'Ka<TOKEN_ID_1>K']

if scenario == "typed-placeholder":
    # the client typed <EMAIL_ADDRESS_1> itself, beside its address: upstream must tell them apart
    user = "I literally typed <EMAIL_ADDRESS_1>; my mail is jane.roe@example.org"
    st, h, d = full("rev", [{"role": "user", "content": user}],
                    {"role": "assistant", "content": "typed <EMAIL_ADDRESS_1>, mail <EMAIL_ADDRESS_2>"})
    up = upstream_last()["messages"][0]["content"]
    expect("upstream", up, "I literally typed <EMAIL_ADDRESS_1>; my mail is <EMAIL_ADDRESS_2>")
    expect("answer", message(d)["content"], "typed <EMAIL_ADDRESS_1>, mail jane.roe@example.org")
elif scenario == "typed-placeholder-in-arguments":
    # spelled with escapes in tool-call arguments: what the model reads is "<EMAIL_ADDRESS_1>"
    args = '{"x": "\\u003cEMAIL_ADDRESS_1\\u003e", "to": "bob@example.com"}'
    msgs = [{"role": "user", "content": "go"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": args}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "ok"}]
    st, h, d = full("rev", msgs, {"role": "assistant", "content": "<EMAIL_ADDRESS_1> / <EMAIL_ADDRESS_2>"}, TOOLS)
    up = upstream_last()["messages"][1]["tool_calls"][0]["function"]["arguments"]
    expect("upstream arguments", json.loads(up), {"x": "<EMAIL_ADDRESS_1>", "to": "<EMAIL_ADDRESS_2>"})
    expect("answer", message(d)["content"], "<EMAIL_ADDRESS_1> / bob@example.com")
elif scenario == "typed-placeholder-stream":
    user = "<EMAIL_ADDRESS_1> is text; jane.roe@example.org is mine"
    ans = "<EMAIL_ADDRESS_1> vs <EMAIL_ADDRESS_2>"
    for k in range(1, len(ans)):
        o = stream("rev-s", user, [ev(0, ans[:k]), ev(0, ans[k:]), fin([0])])
        expect("split %d" % k, o["texts"].get("0.content"), "<EMAIL_ADDRESS_1> vs jane.roe@example.org")
elif scenario == "exact-values":
    for v in VALUES:
        ph = "<TOKEN_ID_2>" if "<TOKEN_ID_1>" in v else "<TOKEN_ID_1>"  # the client typed <TOKEN_ID_1>: reserved
        answer = {"role": "assistant", "content": ph + "|",
                  "tool_calls": [{"id": "z", "type": "function", "function": {"name": "f", "arguments": '{"a": "%s"}' % ph}}]}
        st, h, d = full("tok", [{"role": "user", "content": "id " + v + " end"}], answer, TOOLS)
        try:
            m = message(d)
        except ValueError:
            bad.append("%r: answer is not JSON" % v)
            continue
        expect("%r upstream" % v, upstream_last()["messages"][0]["content"], "id %s end" % ph)
        expect("%r content" % v, m["content"], v + "|")
        try:
            expect("%r arguments" % v, json.loads(m["tool_calls"][0]["function"]["arguments"]), {"a": v})
        except ValueError:
            bad.append("%r: arguments are not JSON" % v)
elif scenario == "same-value-text-and-arguments":
    v = 'Kq"\\K'
    args = json.dumps({"to": v, "cc": "jane.roe@example.org"})
    msgs = [{"role": "user", "content": "send " + v + " to jane.roe@example.org"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": args}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "ok"}]
    answer = {"role": "assistant", "content": "<TOKEN_ID_1> <EMAIL_ADDRESS_1>",
              "tool_calls": [{"id": "z", "type": "function", "function": {"name": "f", "arguments": '{"t": "<TOKEN_ID_1>", "e": "<EMAIL_ADDRESS_1>"}'}}]}
    st, h, d = full("tok", msgs, answer, TOOLS)
    up = upstream_last()["messages"]
    expect("upstream text", up[0]["content"], "send <TOKEN_ID_1> to <EMAIL_ADDRESS_1>")
    expect("upstream arguments", json.loads(up[1]["tool_calls"][0]["function"]["arguments"]), {"to": "<TOKEN_ID_1>", "cc": "<EMAIL_ADDRESS_1>"})
    m = message(d)
    expect("content", m["content"], v + " jane.roe@example.org")
    expect("arguments", json.loads(m["tool_calls"][0]["function"]["arguments"]), {"t": v, "e": "jane.roe@example.org"})
elif scenario == "prefixes-and-inventions":
    user = "a@example.co, a@example.com, xa@example.com"
    st, h, d = full("rev", [{"role": "user", "content": user}],
                    {"role": "assistant", "content": "<EMAIL_ADDRESS_3><EMAIL_ADDRESS_2><EMAIL_ADDRESS_1> <EMAIL_ADDRESS_99> <EMAIL_ADDRESS_01> <EMAIL_ADDRESS_1"})
    expect("upstream", upstream_last()["messages"][0]["content"], "<EMAIL_ADDRESS_1>, <EMAIL_ADDRESS_2>, <EMAIL_ADDRESS_3>")
    expect("answer", message(d)["content"], "xa@example.coma@example.coma@example.co <EMAIL_ADDRESS_99> <EMAIL_ADDRESS_01> <EMAIL_ADDRESS_1")
elif scenario == "stream-arguments-every-split":
    v = 'Ka"b\\c\tdK'
    args = json.dumps({"a": "<TOKEN_ID_1>", "b": "x"})
    for k in range(1, len(args)):
        o = stream("tok-s", "id " + v + " end", [ev(0, args[:k], True), ev(0, args[k:], True), fin([0])])
        try:
            expect("split %d" % k, json.loads(o["texts"].get("0.tool0", "")), {"a": v, "b": "x"})
        except ValueError:
            bad.append("split %d: arguments are not JSON: %r" % (k, o["texts"].get("0.tool0")))
        if v in o["raw"] or o["invalid"]:
            bad.append("split %d: raw value or an invalid event on the wire" % k)
elif scenario == "stream-two-choices-usage":
    v = 'K\U0001F600"K'
    ans = "<TOKEN_ID_1> and <TOKEN_ID_1>"
    args = json.dumps({"a": "<TOKEN_ID_1>"})
    evs = []
    for i in range(max(len(ans), len(args))):
        if i < len(ans):
            evs.append(ev(0, ans[i]))
        if i < len(args):
            evs.append(ev(1, args[i], True))
    evs += [fin([0, 1]), {"id": "x", "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}]
    o = stream("tok-s", "id " + v + " end", evs, extra={"stream_options": {"include_usage": True}})
    expect("choice 0", o["texts"].get("0.content"), v + " and " + v)
    expect("choice 1", json.loads(o["texts"].get("1.tool0", "null")), {"a": v})
    expect("usage kept", '"usage"' in o["raw"], True)
    expect("[DONE]", o["done"], True)
elif scenario == "stream-ends-inside-placeholder":
    user = "mine is jane.roe@example.org"
    o = stream("rev-s", user, [ev(0, "to <EMAIL_ADDRESS_1> and <EMAIL_ADD")])
    expect("held tail released as is", o["texts"].get("0.content"), "to jane.roe@example.org and <EMAIL_ADD")
    o = stream("rev-s", user, [ev(0, "to <EMAIL_ADDRESS_1> and <EMAIL_ADD")], no_done=True)
    expect("cut stream: what was restored", o["texts"].get("0.content"), "to jane.roe@example.org and ")
    expect("cut stream: an error event", (o["error"] or {}).get("code"), "upstream_stream_cut")
elif scenario == "client-hangs-up":
    # the client leaves while a placeholder is held: Warden keeps serving
    user = "mine is jane.roe@example.org"
    for i in range(3):
        evs = [ev(0, "x <EMAIL_ADD")] + [ev(0, "RESS_1> y ") for _ in range(50)] + [fin([0])]
        body = body_of("rev-s", [{"role": "user", "content": user}], {"events": evs, "delay_ms": 20}, {"stream": True})
        s = socket.create_connection(("127.0.0.1", wport), timeout=5)
        s.sendall(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Content-Length: %d\r\n\r\n" % len(body)).encode() + body.encode())
        s.recv(512)
        s.close()
    time.sleep(0.3)
    st, h, d = full("rev", [{"role": "user", "content": user}], {"role": "assistant", "content": "<EMAIL_ADDRESS_1>"})
    expect("served after hang-ups", (st, message(d)["content"]), (200, "jane.roe@example.org"))
elif scenario == "headers-and-errors":
    # a refused answer (not JSON) and the headers of a good one hold no original
    user = "mine is jane.roe@example.org"
    c = http.client.HTTPConnection("127.0.0.1", wport, timeout=20)
    c.request("POST", "/v1/chat/completions", body=body_of("rev", [{"role": "user", "content": user}], {"answer": "not json <EMAIL_ADDRESS_1>"}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    d = r.read()
    expect("garbage answer refused", r.status >= 500, True)
    for blob in (d.decode("utf-8", "replace"), json.dumps(r.getheaders())):
        if "jane.roe" in blob:
            bad.append("an original in an error or header: %s" % blob[:200])
    st, h, d = full("rev", [{"role": "user", "content": user}], {"role": "assistant", "content": "<EMAIL_ADDRESS_1>"})
    if "jane.roe" in json.dumps(h):
        bad.append("an original in the response headers")
elif scenario == "json-content-stream":
    # response_format asks for JSON: the content is a JSON document, streamed or not, and an
    # original with a quote goes in escaped (streamed, it went in raw and broke the JSON)
    v = 'Ka"b\\K'
    content = '{"a": "<TOKEN_ID_1>"}'
    rf = {"response_format": {"type": "json_object"}}
    for k in range(1, len(content)):
        o = stream("tok-s", "id " + v + " end", [ev(0, content[:k]), ev(0, content[k:]), fin([0])], extra=rf)
        try:
            expect("split %d" % k, json.loads(o["texts"].get("0.content", "")), {"a": v})
        except ValueError:
            bad.append("split %d: content is not JSON: %r" % (k, o["texts"].get("0.content")))
    st, h, d = full("tok", [{"role": "user", "content": "id " + v + " end"}], {"role": "assistant", "content": content}, rf)
    expect("not streamed", json.loads(message(d)["content"]), {"a": v})
elif scenario == "answer-refused-by-output-check":
    # an answer a pii or secrets output check refused never reaches the client, and the audit
    # store does not keep it either (it stored the whole upstream answer); alone and in a group
    for model in ("oblk", "ogrp"):
        for leak in ("write to bob@example.com", "key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXyZ0aB"):
            st, h, d = full(model, [{"role": "user", "content": "hello"}], {"role": "assistant", "content": leak})
            expect("%s refused %r" % (model, leak[:12]), (st, json.loads(d)["error"]["code"]), (400, "guardrail_blocked"))
    st, h, d = full("oblk", [{"role": "user", "content": "hello"}], {"role": "assistant", "content": "all fine"})
    expect("a clean answer passes", st, 200)
    # a request an input check refused where a pii check applies: refused by that check, or by
    # one before it (the redaction never ran); a model with no such check keeps it for review
    for model, text in (("iblk", "mine is jane.roe@example.org"), ("irx", "blockme jane.roe@example.org"),
                        ("rxonly", "blockme for review")):
        st, h, d = full(model, [{"role": "user", "content": text}], {"role": "assistant", "content": "x"})
        expect("%s refused" % model, (st, json.loads(d)["error"]["code"]), (400, "guardrail_blocked"))
elif scenario == "refused-before-checks":
    # bodies the guards never read (refused while parsing): the audit store must not keep them
    for raw in (b'{"model":"rev","messages":[{"role":"user","content":"mail \xff jane.roe@example.org"}]}',
                b'{"model":"rev","messages":[{"role":"user","content":"mail \\ud800 jane.roe@example.org"}]}',
                b'{"model":"rev","messages":[{"role":"user","content":"mail jane.roe@example.org","content":"x"}]}',
                b'{"model":"rev","messages":[{"role":"user","content":"mail jane.roe@example.org"}]'):
        c = http.client.HTTPConnection("127.0.0.1", wport, timeout=20)
        c.request("POST", "/v1/chat/completions", body=raw, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        d = r.read()
        expect("refused", r.status, 400)
        if b"jane.roe" in d:
            bad.append("an original in the error: %r" % d[:200])
print("ok" if not bad else "; ".join(bad[:4]))
PY
}

for s in typed-placeholder typed-placeholder-in-arguments typed-placeholder-stream exact-values same-value-text-and-arguments \
    prefixes-and-inventions stream-arguments-every-split stream-two-choices-usage stream-ends-inside-placeholder \
    client-hangs-up headers-and-errors refused-before-checks json-content-stream answer-refused-by-output-check; do
    check "$s" eq "$(run "$s")" ok
done

# the originals went nowhere but to the client: not upstream, not to the audit store, not to the log
ORIGINALS='["jane.roe@example.org", "bob@example.com", "a@example.co", "Ka", "K\\ud83d", "Kq", "K</x>", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXyZ0aB"]'
leaks=$(curl -s "$RAW/_stats" | python3 -c '
import json, sys
d = json.load(sys.stdin)
o = json.loads(sys.argv[1])
bodies = [r["body"] for c in d["conns"] for r in c["requests"]]
print(len(bodies) > 50, [v for v in o if any(v in b or json.dumps(v)[1:-1] in b for b in bodies)])' "$ORIGINALS")
check "the upstream saw placeholders only" eq "$leaks" "True []"
sleep 1.2 # the audit writer commits in batches
stored=$(python3 -c '
import json, sqlite3, sys
o = json.loads(sys.argv[2])
rows = sqlite3.connect(sys.argv[1]).execute("select request_body, response_body from audit_log").fetchall()
text = " ".join(x for r in rows for x in r if x)
print(len(rows) > 20, "<EMAIL_ADDRESS_1>" in text, [v for v in o if v in text or json.dumps(v)[1:-1] in text])' "$TMP/audit.db" "$ORIGINALS" 2>&1)
check "audit bodies keep placeholders, never an original" eq "$stored" "True True []"
check "... a request refused where no pii check applies is kept for review" eq "$(python3 -c '
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from audit_log where model = \"rxonly\" and request_body like \"%blockme for review%\"").fetchone()[0])' "$TMP/audit.db")" 1
check "... and a clean answer of the output-checked model is stored" eq "$(python3 -c '
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from audit_log where model = \"oblk\" and status = 200 and response_body like \"%all fine%\"").fetchone()[0])' "$TMP/audit.db")" 1
check "no original in the log" eq "$(grep -c -e 'jane.roe' -e 'bob@example' "$WARDEN_LOG")" 0
check "warden alive" alive
finish
