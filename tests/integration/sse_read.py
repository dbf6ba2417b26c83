#!/usr/bin/env python3
"""Reads one streamed chat completion from Warden as it arrives (for the stream tests).

    sse_read.py BASE_URL BODY REQUEST_ID   -> JSON on stdout: status, raw, texts
    {"<choice>.<field>": text} (content, reasoning_content, refusal, tool<i> arguments,
    logprobs), events (content-carrying events), first_text_ms, total_ms, done, error,
    nulled_bytes.
"""
import http.client, json, sys, time, urllib.parse
base, body, rid = sys.argv[1:4]
u = urllib.parse.urlparse(base)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
t0 = time.monotonic()
ms = lambda: round((time.monotonic() - t0) * 1000)
c.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json", "x-request-id": rid})
r = c.getresponse()
out = {"status": r.status, "texts": {}, "events": 0, "first_text_ms": None, "done": False, "error": None, "nulled_bytes": True}
raw, buf = b"", b""
def add(key, t):
    if isinstance(t, str) and t:
        out["texts"][key] = out["texts"].get(key, "") + t
        return 1
    return 0
while True:
    chunk = r.read1(65536)
    if not chunk:
        break
    raw += chunk
    buf += chunk
    while b"\n\n" in buf:
        ev, buf = buf.split(b"\n\n", 1)
        for line in ev.decode("utf-8", "replace").split("\n"):
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                out["done"] = True
                continue
            try:
                o = json.loads(data)
            except ValueError:
                continue
            if "error" in o:
                out["error"] = o["error"]
                continue
            got = 0
            for ch in o.get("choices", []):
                i = ch.get("index", 0)
                d = ch.get("delta") or {}
                for f in ("content", "reasoning_content", "refusal"):
                    got += add("%d.%s" % (i, f), d.get(f))
                for tc in d.get("tool_calls") or []:
                    got += add("%d.tool%d" % (i, tc.get("index", 0)), (tc.get("function") or {}).get("arguments"))
                for lp in ((ch.get("logprobs") or {}).get("content") or []):
                    got += add("%d.logprobs" % i, lp.get("token"))
                    if lp.get("bytes") is not None:
                        out["nulled_bytes"] = False
            if got:
                out["events"] += 1
                if out["first_text_ms"] is None:
                    out["first_text_ms"] = ms()
out["total_ms"] = ms()
out["raw"] = raw.decode("utf-8", "replace")
print(json.dumps(out))
