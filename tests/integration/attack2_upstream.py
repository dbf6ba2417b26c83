#!/usr/bin/env python3
"""A hostile OpenAI-style upstream for test_attack2.sh (standard library only).

    attack2_upstream.py PORT

The scenario is the "model" field of the request body (Warden sends its target's model, so one
Warden model per scenario). Canary scenarios find the canary Warden put in the body
(wdncanary + 24 letters/digits) and leak it in one place of the answer; embeddings scenarios
answer /v1/embeddings with a broken or slow answer. GET /_stats gives
{"calls": {scenario: n}, "inflight_max": n, "closed_early": n}.
"""
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATS = {"calls": {}, "inflight": 0, "inflight_max": 0}
CANARY = re.compile(r"wdncanary[a-z0-9]{24}")


def chat_answer(content=None, **msg_extra):
    msg = {"role": "assistant", "content": content}
    msg.update(msg_extra)
    return {"id": "x", "object": "chat.completion", "created": 1, "model": "a",
            "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def chunk(delta, index=0, **extra):
    c = {"index": index, "delta": delta, "finish_reason": None}
    c.update(extra)
    return {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "a", "choices": [c]}


def pieces(s, n):
    return [s[i:i + n] for i in range(0, len(s), n)]


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_json(self, status, obj, ctype="application/json", headers=()):
        body = obj if isinstance(obj, bytes) else (obj if isinstance(obj, str) else json.dumps(obj)).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_sse(self, events):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for ev in events:
            self.wfile.write(("data: %s\n\n" % (ev if isinstance(ev, str) else json.dumps(ev))).encode())
            self.wfile.flush()
            time.sleep(0.001)
        self.wfile.write(b"data: [DONE]\n\n")
        self.close_connection = True

    def do_GET(self):
        if self.path == "/_stats":
            with LOCK:
                self.send_json(200, STATS)
        else:
            self.send_json(404, {"error": {"message": "no"}})

    def do_POST(self):
        n = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(n).decode("utf-8", "replace")
        try:
            req = json.loads(raw)
        except ValueError:
            return self.send_json(400, {"error": {"message": "bad json"}})
        sc = str(req.get("model", "ok"))
        with LOCK:
            STATS["calls"][sc] = STATS["calls"].get(sc, 0) + 1
            STATS["inflight"] += 1
            STATS["inflight_max"] = max(STATS["inflight_max"], STATS["inflight"])
            nth = STATS["calls"][sc]
        try:
            if self.path.endswith("/embeddings"):
                return self.embeddings(sc, req, nth)
            return self.chat(sc, req, raw, nth)
        finally:
            with LOCK:
                STATS["inflight"] -= 1

    # ---- chat: leak the canary somewhere
    def chat(self, sc, req, raw, nth):
        m = CANARY.search(raw)
        c = m.group(0) if m else "nocanaryfound"
        sys.stderr.write("canary %s\n" % c)
        sys.stderr.flush()
        stream = req.get("stream") is True
        if sc.startswith("guarded"):  # races of checks: a local redaction's target must never arrive
            for word in ("SECRETA", "SECRETB", "SECRETG")[: 2 if sc == "guarded-ab" else 3]:
                if word in raw:
                    with LOCK:
                        STATS["leaked"] = STATS.get("leaked", 0) + 1
                    sys.stderr.write("leaked %s\n" % raw[:400])
                    break
            time.sleep(float(req.get("metadata", {}).get("sleep", 0)) if isinstance(req.get("metadata"), dict) else 0)
            if stream:
                return self.send_sse([chunk({"role": "assistant", "content": "ok"}), chunk({"content": " SECRETC9 done"}),
                                      chunk({}, finish_reason="stop")])
            return self.send_json(200, chat_answer("ok SECRETC9 done"))
        if sc == "err400-echo":  # a provider validation error that quotes the prompt
            return self.send_json(400, {"error": {"message": "invalid messages: " + raw, "type": "invalid_request_error"}})
        if sc == "err400-plain":
            return self.send_json(400, "bad request: " + raw, ctype="text/plain")
        if sc == "err500-echo":  # retried, then relayed
            return self.send_json(500, {"error": {"message": "oops " + c}})
        if sc == "err429-echo":
            return self.send_json(429, {"error": {"message": "slow down " + c}}, headers=[("Retry-After", "0")])
        if sc == "hdr-echo":  # a 200 whose header echoes the canary
            return self.send_json(200, chat_answer("fine"), headers=[("x-echo", c)])
        if sc == "json-key":  # structured output: the canary as a key, the answer fails the schema
            return self.send_json(200, chat_answer(json.dumps({c: 1})))
        if sc == "json-open":  # structured output: not JSON, the parser's error quotes it
            return self.send_json(200, chat_answer('{"' + c + ' is my canary'))
        if sc == "n2":
            a = chat_answer("clean")
            a["choices"].append({"index": 1, "message": {"role": "assistant", "content": "leak " + c}, "finish_reason": "stop"})
            return self.send_json(200, a)
        if sc == "toolname" and not stream:
            return self.send_json(200, chat_answer(None, tool_calls=[
                {"id": "t1", "type": "function", "function": {"name": c, "arguments": "{}"}}]))
        if sc == "logprobs" and not stream:
            a = chat_answer("fine")
            a["choices"][0]["logprobs"] = {"content": [{"token": t, "logprob": -0.1, "bytes": None, "top_logprobs": []}
                                                       for t in pieces(c, 3)]}
            return self.send_json(200, a)
        if sc == "toplogprobs" and not stream:
            a = chat_answer("fine")
            a["choices"][0]["logprobs"] = {"content": [{"token": "x", "logprob": -0.1, "bytes": None,
                                                        "top_logprobs": [{"token": c, "logprob": -2.0, "bytes": None}]}]}
            return self.send_json(200, a)
        if sc == "unknown-field" and not stream:
            a = chat_answer("fine")
            a["debug_prompt"] = c
            return self.send_json(200, a)
        if sc == "clean-echo" and not stream:  # what the upstream received, for byte-exactness
            return self.send_json(200, chat_answer(raw))
        if stream:
            evs = [chunk({"role": "assistant", "content": ""})]
            if sc == "toolname":
                for i, p in enumerate(pieces(c, 4)):
                    f = {"name": p} if i == 0 else {"name": p}
                    evs.append(chunk({"tool_calls": [{"index": 0, "id": "t1" if i == 0 else None, "type": "function",
                                                      "function": f}]}))
            elif sc == "logprobs":  # content and logprobs tokens both carry it, 2 bytes a chunk
                for p in pieces(c, 2):
                    evs.append(chunk({"content": p}, logprobs={"content": [{"token": p, "logprob": -0.1,
                                                                            "bytes": None, "top_logprobs": []}]}))
            elif sc == "logprobs-only":  # only the logprobs tokens carry it
                for p in pieces(c, 2):
                    evs.append(chunk({"content": "."}, logprobs={"content": [{"token": p, "logprob": -0.1,
                                                                              "bytes": None, "top_logprobs": []}]}))
            elif sc == "n2":  # choice 1 leaks, interleaved with a clean choice 0
                for p in pieces(c, 3):
                    evs.append(chunk({"content": "ok "}, index=0))
                    evs.append(chunk({"content": p}, index=1))
            elif sc == "refusal":
                for p in pieces(c, 5):
                    evs.append(chunk({"refusal": p}))
            elif sc == "reasoning":
                for p in pieces(c, 5):
                    evs.append(chunk({"reasoning_content": p}))
            elif sc == "error-event":  # an error event in the stream that quotes the prompt
                evs.append(chunk({"content": "hi"}))
                evs.append({"error": {"message": "context: " + c}})
            else:
                evs.append(chunk({"content": "fine"}))
            evs.append(chunk({}, finish_reason="stop"))
            return self.send_sse(evs)
        return self.send_json(200, chat_answer("fine"))

    # ---- embeddings: broken sub-answers
    def embeddings(self, sc, req, nth):
        inp = req.get("input")
        n = len(inp) if isinstance(inp, list) else 1
        items = [{"object": "embedding", "index": i, "embedding": [0.5, float(i)]} for i in range(n)]
        usage = {"prompt_tokens": n, "total_tokens": n}
        if sc == "emb-fewer":
            items = items[:-1]
        elif sc == "emb-more":
            items.append({"object": "embedding", "index": n, "embedding": [0.5, 0.5]})
        elif sc == "emb-dup":
            if n > 1:
                items[1]["index"] = 0
        elif sc == "emb-neg":
            items[0]["index"] = -1
        elif sc == "emb-big-index":
            items[0]["index"] = 18446744073709551616
        elif sc == "emb-float-index":
            items[0]["index"] = 0.0
        elif sc == "emb-dims":  # one item's vector has another length
            items[-1]["embedding"] = [0.5]
        elif sc == "emb-huge":  # one sub-answer of ~3 MB
            items[0]["embedding"] = [0.123456789] * 250000
        elif sc == "emb-429":  # the first call is told to wait
            if nth == 1:
                return self.send_json(429, {"error": {"message": "rate"}}, headers=[("Retry-After", "1")])
        elif sc == "emb-slow":
            time.sleep(3)
        elif sc == "emb-truncated":
            body = json.dumps({"object": "list", "data": items, "model": "e", "usage": usage}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:len(body) // 2])
            self.close_connection = True
            return
        elif sc == "emb-usage-str":
            usage = {"prompt_tokens": "1e999", "total_tokens": -5}
        return self.send_json(200, {"object": "list", "data": items, "model": "e", "usage": usage})


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
    srv.daemon_threads = True
    srv.serve_forever()


if __name__ == "__main__":
    main()
