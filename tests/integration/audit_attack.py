#!/usr/bin/env python3
"""Hostile audit records through the real gateway (test_audit_attack.sh).

  send PORT KEY OUT.json      sends the hostile requests, writes what each should read back
  verify DB API_JSON CLI_JSONL EXPECT.json   compares the store's view, GET /admin/audit and
                                             `warden audit --json` with the expectations;
                                             prints "ok NAME" / "FAIL NAME: detail" lines

Requests go over raw sockets so that headers and bodies may hold any byte (quotes,
backslashes, invalid UTF-8, overlong forms)."""
import json
import socket
import sqlite3
import sys

REPL = "\ufffd"


def raw_request(port, method, path, headers, body=b"", timeout=10.0, read=True):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    head = b"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" % (method.encode(), path.encode())
    for k, v in headers:
        head += k.encode() + b": " + (v if isinstance(v, bytes) else v.encode()) + b"\r\n"
    head += b"Content-Length: %d\r\n\r\n" % len(body)
    s.sendall(head + body)
    if not read:
        s.close()
        return 0, b""
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    s.close()
    try:
        status = int(data.split(b" ", 2)[1])
    except Exception:
        status = -1
    return status, data


def cut_utf8(s, cap):
    """s (str) truncated to at most cap UTF-8 bytes at a character boundary."""
    b = s.encode("utf-8")
    if len(b) <= cap:
        return s
    b = b[:cap]
    return b.decode("utf-8", "ignore")


def lossy(b):
    """bytes as the store keeps them: each byte that starts no valid character is U+FFFD."""
    return b.decode("utf-8", "replace")


def send(port, key, out):
    cases = []  # {name, rid, expect: {field: value}}

    def chat(name, rid, model, content=None, mock_content=None, hdr_rid=None, extra=None, auth=True, raw_body=None):
        body = {"model": model, "messages": [{"role": "user", "content": content or "hi"}]}
        if mock_content is not None:
            body["mock"] = {"content": mock_content}
        if extra:
            body.update(extra)
        data = raw_body if raw_body is not None else json.dumps(body).encode()
        hdrs = [("Content-Type", "application/json"), ("x-request-id", hdr_rid if hdr_rid is not None else rid)]
        if auth:
            hdrs.append(("Authorization", "Bearer " + key))
        st, _ = raw_request(port, "POST", "/v1/chat/completions", hdrs, data)
        return st, data

    # 1. model names the configured models do not have (recorded with status 404): every
    # awkward character class. The JSON encoder of the test writes them escaped.
    models = {
        "m-quote": 'q"uo"te',
        "m-backslash": "back\\sl\\\\ash\\",
        "m-controls": "c\x01\x02\x1f\x7f\t\n\r\b\fend",
        "m-jsonish": '"],["x",{"a":1}],[',
        "m-commas": ",,a,b,,",
        "m-4byte": "emoji \U0001F600\U0001F4A9 \U00010348",
        "m-2-3byte": "caf\u00e9 \u65e5\u672c \u20ac",
        "m-maxlen": "M" * 127,
        "m-overlen": "O" * 300,
        "m-cut-2byte": "a" * 126 + "\u00e9tail",   # the 127-byte cap falls inside a 2-byte char
        "m-cut-4byte": "b" * 125 + "\U0001F600x",  # ... inside a 4-byte char
        "m-instr-lookalike": 'gpt-4o-mini"',       # a filter needle's prefix
    }
    for name, m in models.items():
        st, _ = chat(name, "rid-" + name, m)
        cases.append({"name": name, "rid": "rid-" + name, "status_sent": st,
                      "expect": {"model": cut_utf8(m, 127), "status": 404}})

    # 2. request and answer bodies (audit.bodies) with the same classes, answer from the mock
    hostile = 'q" b\\ c\x01\x1f "],[ \U0001F600 caf\u00e9 \\u0000 \\ud800 ,'
    st, data = chat("bodies", "rid-bodies", "gpt-4o-mini", content=hostile, mock_content=hostile)
    cases.append({"name": "bodies", "rid": "rid-bodies", "status_sent": st,
                  "expect": {"status": 200, "model": "gpt-4o-mini", "request_body": data.decode(),
                             "response_contains": hostile}})
    # lone surrogates as JSON escapes in the request: kept as the client wrote them (escaped text)
    raw = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x\\ud800y\\udfffz\\ud83d\\ude00"}]}'
    st, data = chat("surrogates", "rid-surrogates", None, raw_body=raw)
    cases.append({"name": "surrogates", "rid": "rid-surrogates", "status_sent": st,
                  "expect": {"request_body": raw.decode()}})

    # 3. request ids: printable ASCII that looks like JSON, at the 79-byte maximum
    for name, rid in {"rid-jsonish": '],[{}:,x\'', "rid-max": "R" * 79}.items():
        st, _ = chat(name, rid, "gpt-4o-mini")
        cases.append({"name": name, "rid": rid, "status_sent": st, "expect": {"request_id": rid, "status": 200}})

    # 4. refused requests (no key: 401) carry the raw x-request-id and model: any byte
    rejected = {
        "rej-invalid-utf8": (b"rej-\xff\xfe-\xc3", b'{"model":"bad-\xff\xfe-model","messages":[]}'),
        "rej-overlong": (b"rej-\xc0\xaf-\xe0\x80\xaf", b'{"model":"ov-\xc0\xaf","messages":[]}'),
        "rej-quotes": (b'rej-"q"\\b\\', b'{"model":"q\\"m\\\\","messages":[]}'),
        "rej-surrogate-escape": (b"rej-sur", b'{"model":"s\\ud800t\\udc00u","messages":[]}'),
        "rej-long-utf8": (b"rej-" + "\u00e9".encode() * 60, b'{"model":"' + "\u00e9".encode() * 100 + b'"}'),
    }
    for name, (hrid, body) in rejected.items():
        st, _ = raw_request(port, "POST", "/v1/chat/completions",
                            [("Content-Type", "application/json"), ("x-request-id", hrid)], body)
        cases.append({"name": name, "rid_bytes": hrid.decode("latin-1"), "status_sent": st, "expect": {"status": 401}})

    # 5. many distinct models at once: more than a block's 256 records, each a dictionary entry
    for i in range(300):
        chat("many", "rid-many-%d" % i, "many-%03d-\u00e9\"" % i)
    cases.append({"name": "many-models", "count": 300})

    # 6. statuses: the upstream's 599 passed on or mapped, a client that leaves (499)
    st, _ = chat("s599", "rid-s599", "gpt-4o-mini", extra={"mock": {"status": 599}})
    cases.append({"name": "s599", "rid": "rid-s599", "status_sent": st, "expect": {"status": st}})
    json.dump(cases, open(out, "w"))


def send_499(port, key):
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}],
                       "mock": {"ttft_ms": 800}}).encode()
    try:
        raw_request(port, "POST", "/v1/chat/completions",
                    [("Content-Type", "application/json"), ("x-request-id", "rid-s499"),
                     ("Authorization", "Bearer " + key)], body, timeout=0.2)
    except Exception:
        pass


def verify(db, api_path, cli_path, expect_path):
    cases = json.load(open(expect_path))
    results = []

    def res(name, ok, detail=""):
        results.append((name, ok, detail))

    con = sqlite3.connect(db)
    con.text_factory = bytes
    cols = [d[0] for d in con.execute("select * from audit_log limit 0").description]
    view = [dict(zip(cols, row)) for row in con.execute("select * from audit_log")]
    bad_utf8 = [r for r in view for k in ("model", "request_id", "key_name", "target", "request_body", "response_body",
                                          "guardrails", "error_code")
                if r[k] is not None and not _valid_utf8(r[k])]
    res("view: every text is valid UTF-8", not bad_utf8, repr(bad_utf8[:2]))
    for r in view:
        for k, v in list(r.items()):
            if isinstance(v, bytes) and k != "id":
                r[k] = v.decode("utf-8", "replace")
    raw_api = open(api_path, "rb").read()
    try:
        api = json.loads(raw_api)["data"]
        res("api: the answer is valid JSON", True)
    except Exception as e:
        api = []
        res("api: the answer is valid JSON", False, str(e))
    cli = []
    ok = True
    for line in open(cli_path, "rb").read().splitlines():
        try:
            cli.append(json.loads(line))
        except Exception as e:
            ok = False
            res("cli: every line is valid JSON", False, "%s: %r" % (e, line[:200]))
            break
    if ok:
        res("cli: every line is valid JSON", True)
    res("view, api and cli hold as many records", len(view) == len(api) == len(cli), "%d %d %d" % (len(view), len(api), len(cli)))
    ids = [r["id"] for r in view]
    res("view: no duplicate ids", len(ids) == len(set(ids)))

    by_rid_view = {r["request_id"]: r for r in view}
    by_rid_api = {r["request_id"]: r for r in api}
    by_rid_cli = {r["request_id"]: r for r in cli}
    field_api = {"model": "model", "request_id": "request_id", "status": "status", "request_body": "request_body",
                 "key_name": "key"}
    for c in cases:
        name = c["name"]
        if name == "many-models":
            models = {r["model"] for r in view if (r["model"] or "").startswith("many-")}
            res("many-models: 300 distinct models stored and read back", len(models) == c["count"], str(len(models)))
            amodels = {r["model"] for r in api if (r["model"] or "").startswith("many-")}
            res("many-models: the api reads them back", amodels == models, str(len(amodels)))
            continue
        if "rid_bytes" in c:
            want = lossy(c["rid_bytes"].encode("latin-1"))
            v = [r for r in view if r["status"] == 401 and r["request_id"] and r["request_id"].startswith("rej-")
                 and _prefix_match(r["request_id"], want)]
            res("%s: the refused request is recorded (401)" % name, len(v) == 1, "%d matches" % len(v))
            a = [r for r in api if r["status"] == 401 and r["request_id"] and r["request_id"].startswith("rej-")
                 and _prefix_match(r["request_id"], want)]
            res("%s: the api reads the same request_id and model as the view" % name,
                len(v) == 1 and len(a) == 1 and a[0]["request_id"] == v[0]["request_id"]
                and (a[0]["model"] or None) == (v[0]["model"] or None),
                repr((v[0]["request_id"], v[0]["model"]) if v else None) + " vs " +
                repr((a[0]["request_id"], a[0]["model"]) if a else None))
            continue
        rid = c["rid"]
        vr, ar, cr = by_rid_view.get(rid), by_rid_api.get(rid), by_rid_cli.get(rid)
        if vr is None or ar is None or cr is None:
            res("%s: recorded (view, api, cli)" % name, False, "view %s api %s cli %s (sent: %s)" % (
                vr is not None, ar is not None, cr is not None, c.get("status_sent")))
            continue
        for f, want in c["expect"].items():
            if f == "response_contains":
                got = [vr["response_body"] or "", ar.get("response_body") or "", cr.get("response_body") or ""]
                texts = []
                for g in got:
                    try:
                        texts.append(json.loads(g)["choices"][0]["message"]["content"])
                    except Exception as e:
                        texts.append("unreadable: %s %r" % (e, g[:200]))
                res("%s: response body holds the hostile text (view, api, cli)" % name,
                    all(t == want for t in texts), repr(texts))
                continue
            got = (vr[f], ar.get(field_api.get(f, f)), cr.get(field_api.get(f, f)))
            res("%s: %s reads back exactly (view, api, cli)" % (name, f), all(g == want for g in got),
                "want %r got %r" % (want, got))
    con.close()
    for name, ok, detail in results:
        print(("ok %s" % name) if ok else ("FAIL %s || %s" % (name, detail)))


def _valid_utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _prefix_match(got, want):
    """got is want, or want cut at the 79-byte field (and then maybe a trailing U+FFFD less)."""
    g = got.encode("utf-8")
    w = want.encode("utf-8")
    if got == want or got + REPL == want:  # a trailing incomplete character is left out
        return True
    return (len(w) > 79 and len(g) <= 79 and w.startswith(g) and len(g) >= 76)


def old_send(port):
    """Five hostile model names (404s) to the old version."""
    for m in ['q"uo\\te', "c\x01x", '"],[', "emoji \U0001F600", "caf\u00e9"]:
        body = json.dumps({"model": m, "messages": [{"role": "user", "content": "hi"}]}).encode()
        raw_request(port, "POST", "/v1/chat/completions", [("Content-Type", "application/json")], body)


def old_store(path):
    """A store of the row-per-record layout: 100 records 3 days old, 20 around the 1-day
    cutoff (10 s before and after it: one block), 20 recent."""
    import os
    import time
    cols = ("id BLOB PRIMARY KEY, ts INTEGER NOT NULL, request_id TEXT, key_name TEXT, model TEXT, target TEXT, "
            "status INTEGER, error_code TEXT, attempts INTEGER, reasks INTEGER, stream INTEGER, latency_us INTEGER, "
            "ttft_us INTEGER, tokens_in INTEGER, tokens_out INTEGER, cost_usd REAL, guardrails TEXT, "
            "request_body TEXT, response_body TEXT, parent_id TEXT")
    c = sqlite3.connect(path)
    c.execute("CREATE TABLE audit_log (%s) WITHOUT ROWID" % cols)
    now = int(time.time() * 1e6)
    day = 86400 * 1000000
    rows = []
    for i in range(100):
        rows.append((now - 3 * day + i * 1000, "old-%d" % i))
    for i in range(10):
        rows.append((now - day - 10000000 + i * 1000, "edge-%d" % i))
    for i in range(10):
        rows.append((now - day + 10000000 + i * 1000, "keep-edge-%d" % i))
    for i in range(20):
        rows.append((now - 60000000 + i * 1000, "keep-%d" % i))
    for ts, rid in rows:
        rid_id = ts.to_bytes(8, "big") + os.urandom(8)
        c.execute("INSERT INTO audit_log VALUES (?,?,?,NULL,'gpt-4o-mini','local/mock-1',200,NULL,1,0,0,1000,NULL,NULL,"
                  "NULL,NULL,'',NULL,NULL,NULL)", (rid_id, ts, rid))
    c.commit()


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "send499":
        send_499(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == "oldsend":
        old_send(int(sys.argv[2]))
    elif sys.argv[1] == "oldstore":
        old_store(sys.argv[2])
    elif sys.argv[1] == "verify":
        verify(*sys.argv[2:6])
