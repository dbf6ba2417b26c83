#!/usr/bin/env python3
"""A scripted, misbehaving HTTP/1.1 upstream for test_upstream_http1.sh (stdlib only).

    raw_upstream.py PORT          listens on 127.0.0.1:PORT, one thread per connection

Every request is read whole (head, then Content-Length body) before it is answered. The
answer follows the scenario named by the "model" field of the JSON body: Warden replaces the
client's model by its target's model, so one Warden model per scenario picks the behaviour.
Unknown names get "ok". The scenarios are the functions named sc_<name> below (dashes in the
name become underscores).

Control requests (their connections are not logged):
    GET  /_stats         JSON {"now_ms", "conns": [{"id", "opened_ms", "closed_ms", "closed_by",
                         "requests": [{"rid", "model", "path", "host", "body", "answered", "at_ms"}]}]}
                         answered is false when the scenario closed without sending a byte; sse-big
                         adds sent_ms, when its last write returned.
                         closed_by is "peer" (EOF/reset seen), "server" (the scenario closed it)
                         or null while open; times are wall-clock ms (date +%s%3N compares).
    GET  /_expect/NAME   the exact body bytes scenario NAME sends (the SSE payload for streams)
    POST /_close_idle    closes every logged connection that waits for its next request
"""
import base64
import json
import select
import socket
import struct
import sys
import threading
import time

LOCK = threading.Lock()
CONNS = []  # every non-control connection, in accept order


def now_ms():
    return time.time() * 1000.0


class PeerClosed(Exception):
    pass


class Conn:
    def __init__(self, sock, cid):
        self.sock = sock
        self.id = cid
        self.opened_ms = now_ms()
        self.closed_ms = None
        self.closed_by = None
        self.requests = []
        self.control = False
        self.waiting = False  # between requests: /_close_idle may close it
        self.server_closing = False

    def closed(self, by):
        if self.closed_ms is None:
            self.closed_ms = now_ms()
            self.closed_by = by
            log("conn %d closed by %s" % (self.id, by))

    def as_json(self):
        return {"id": self.id, "opened_ms": self.opened_ms, "closed_ms": self.closed_ms,
                "closed_by": self.closed_by, "requests": self.requests}


def log(msg):
    sys.stderr.write("%.0f raw_upstream: %s\n" % (now_ms(), msg))
    sys.stderr.flush()


# ---- socket helpers: every wait watches for the peer going away, so a close is timed well

def send(c, data):
    try:
        c.sock.sendall(data)
    except OSError:
        raise PeerClosed()


def pause(c, secs):
    """Sleeps secs, returning early (PeerClosed) when the peer closes or resets."""
    end = time.time() + secs
    while True:
        left = end - time.time()
        if left <= 0:
            return
        r, _, _ = select.select([c.sock], [], [], left)
        if r:
            try:
                peek = c.sock.recv(1, socket.MSG_PEEK)
            except OSError:
                raise PeerClosed()
            if not peek:
                raise PeerClosed()
            time.sleep(left)  # unexpected bytes (a pipelined request): leave them
            return


def send_pieces(c, pieces, delay):
    for i, p in enumerate(pieces):
        if i:
            pause(c, delay)
        send(c, p)


def reset(c):
    """Closes with an RST (SO_LINGER 0) instead of a FIN."""
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.sock.close()


def read_request(c, buf):
    """Reads one request: returns (request dict, leftover bytes) or (None, b"") on EOF."""
    while b"\r\n\r\n" not in buf:
        with LOCK:
            c.waiting = not buf and bool(c.requests)  # between requests, not before the first
        try:
            d = c.sock.recv(65536)
        except OSError:
            d = b""
        with LOCK:
            c.waiting = False
        if not d:
            return None, b""
        buf += d
        if len(buf) > 1 << 20:
            return None, b""
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(buf) < n:
        try:
            d = c.sock.recv(65536)
        except OSError:
            d = b""
        if not d:
            return None, b""
        buf += d
    body, buf = buf[:n], buf[n:]
    return {"method": method, "path": path, "headers": headers, "body": body}, buf


# ---- answers

FILLER = "".join("%04d-the-quick-brown-fox;" % i for i in range(120))  # 3000 bytes


def completion(name):
    return json.dumps({
        "id": "chatcmpl-raw-" + name, "object": "chat.completion", "created": 1700000000, "model": name,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "raw upstream says " + name + " " + FILLER},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}, separators=(",", ":")).encode()


def sse_events(name, n):
    out = []
    for i in range(n):
        ev = {"id": "chatcmpl-raw-" + name, "object": "chat.completion.chunk", "created": 1700000000, "model": name,
              "choices": [{"index": 0, "delta": {"content": "part%d " % i}, "finish_reason": None}]}
        out.append(b"data: " + json.dumps(ev, separators=(",", ":")).encode() + b"\n\n")
    return out


def sse_payload(name, n):
    return b"".join(sse_events(name, n)) + b"data: [DONE]\n\n"


def head(status="200 OK", headers=()):
    lines = ["HTTP/1.1 " + status] + list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def json_head(body, extra=()):
    return head("200 OK", ["Content-Type: application/json", "Content-Length: %d" % len(body)] + list(extra))


def chunk(data, ext=b""):
    return b"%x%s\r\n%s\r\n" % (len(data), ext, data)


def big_payload(name):
    """About 16 MB of SSE: well over what the socket buffers between here and a slow client hold
    (some 3-4 MB per loopback connection here)."""
    pad = "x" * 1000
    out = []
    for i in range(16000):
        ev = {"id": "chatcmpl-raw-" + name, "object": "chat.completion.chunk", "model": name,
              "choices": [{"index": 0, "delta": {"content": "%05d%s" % (i, pad)}, "finish_reason": None}]}
        out.append(b"data: " + json.dumps(ev, separators=(",", ":")).encode() + b"\n\n")
    return b"".join(out) + b"data: [DONE]\n\n"


def expected_body(name):
    if name == "sse-chunked":
        return sse_payload(name, 6)
    if name == "sse-big":
        return big_payload(name)
    return completion(name)


# Each scenario answers one request (c: the connection, rq: the request, name: the scenario)
# and returns True to keep the connection for the next request.

def sc_ok(c, rq, name):
    body = completion(name)
    send(c, json_head(body) + body)
    return True


def sc_chunked(c, rq, name):
    """Head split across writes (the first bytes one by one), then the body as chunks with
    extensions, each in its own write, some chunk lines and CRLFs split too, then trailers."""
    body = completion(name)
    h = head("200 OK", ["Content-Type: application/json", "Transfer-Encoding: chunked", "X-Raw: chunked"])
    send_pieces(c, [h[i:i + 1] for i in range(12)] + [h[12:40], h[40:]], 0.005)
    parts = [body[0:1], body[1:700], body[700:1500], body[1500:1501], body[1501:]]
    pause(c, 0.02)
    for i, p in enumerate(parts):
        ck = chunk(p, b';ext=%d;name="v a l"' % i if i % 2 == 0 else b" ;bare")
        if i == 1:  # the size line split, then the data, then the CRLF in two
            cut = ck.index(b"\r\n")
            send_pieces(c, [ck[:1], ck[1:cut + 1], ck[cut + 1:-2], ck[-2:-1], ck[-1:]], 0.01)
        else:
            send(c, ck)
        pause(c, 0.02)
    send_pieces(c, [b"0;last=yes\r\nX-Trailer-One: a\r\n", b"X-Trailer-Two: b\r", b"\n\r\n"], 0.01)
    return True


def sc_split_cl(c, rq, name):
    body = completion(name)
    h = json_head(body, ["X-Raw: split-cl"])
    send_pieces(c, [h[i:i + 1] for i in range(20)] + [h[20:33], h[33:]], 0.005)
    pause(c, 0.02)
    send_pieces(c, [body[:100], body[100:1000], body[1000:2999], body[2999:]], 0.02)
    return True


def sc_continue(c, rq, name):
    """100 Continue and 103 Early Hints before the final head, cut in the middle of heads."""
    body = completion(name)
    final = json_head(body)
    interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
    stream = interim + final + body
    cuts = [0, 17, len(b"HTTP/1.1 100 Continue\r\n\r\n") + 30, len(interim) + 10, len(interim) + len(final) + 5,
            len(stream)]
    send_pieces(c, [stream[a:b] for a, b in zip(cuts, cuts[1:])], 0.02)
    return True


def sc_continue_onewrite(c, rq, name):
    body = completion(name)
    send(c, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n" +
         json_head(body) + body)
    return True


def sc_close(c, rq, name):
    body = completion(name)
    send(c, json_head(body, ["Connection: close"]) + body)
    return False


def sc_no_length(c, rq, name):
    """No Content-Length, no chunked coding: the body runs to the close."""
    body = completion(name)
    send(c, head("200 OK", ["Content-Type: application/json"]))
    send_pieces(c, [body[:10], body[10:2000], body[2000:]], 0.02)
    return False


def sc_idle_close(c, rq, name):
    """Answers with keep-alive, then closes the idle connection 200 ms later."""
    sc_ok(c, rq, name)
    pause(c, 0.2)
    return False


def sc_drop_if_reused(c, rq, name):
    """A reused connection is closed with the request unanswered (the server closing an idle
    connection just as a request arrives); a fresh connection is answered."""
    if len(c.requests) > 1:
        c.requests[-1]["answered"] = False
        return False
    return sc_ok(c, rq, name)


def sc_noanswer(c, rq, name):
    c.requests[-1]["answered"] = False
    return False


def sc_rst_mid_body(c, rq, name):
    body = completion(name)
    send(c, json_head(body) + body[:1000])
    pause(c, 0.05)
    reset(c)
    return None


def sc_rst_mid_stream(c, rq, name):
    send(c, head("200 OK", ["Content-Type: text/event-stream", "Transfer-Encoding: chunked"]))
    for ev in sse_events(name, 2):
        pause(c, 0.02)
        send(c, chunk(ev))
    pause(c, 0.05)
    reset(c)
    return None


def sc_bad_status(c, rq, name):
    body = completion(name)
    send(c, b"HTTP/1.1 OK 200\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    return True


def sc_conflict_cl(c, rq, name):
    body = completion(name)
    send(c, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Length: %d\r\n\r\n" % (len(body), len(body) - 5) + body)
    return True


def sc_huge_head(c, rq, name):
    body = completion(name)
    pad = ["X-Pad-%02d: %s" % (i, "p" * 1000) for i in range(70)]  # ~71 KiB
    send(c, head("200 OK", ["Content-Type: application/json", "Content-Length: %d" % len(body)] + pad) + body)
    return True


def sc_bad_chunk(c, rq, name):
    send(c, head("200 OK", ["Content-Type: application/json", "Transfer-Encoding: chunked"]))
    pause(c, 0.01)
    send(c, b"5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n")
    return True


def sc_stall(c, rq, name):
    """The head and a few body bytes, then nothing for 5 s."""
    body = completion(name)
    send(c, json_head(body) + body[:10])
    pause(c, 5)
    return False


def sc_sse_chunked(c, rq, name):
    """An SSE stream in a chunked answer whose chunk borders fall inside events."""
    payload = sse_payload(name, 6)
    send(c, head("200 OK", ["Content-Type: text/event-stream", "Cache-Control: no-cache", "Transfer-Encoding: chunked"]))
    cuts = [0, 7, 150, 151, 400, 700, len(payload) - 8, len(payload)]
    for a, b in zip(cuts, cuts[1:]):
        pause(c, 0.02)
        send(c, chunk(payload[a:b], b";n=%d" % a))
    send(c, b"0\r\n\r\n")
    return True


def sc_sse_big(c, rq, name):
    """A large SSE stream in 64 KiB chunks; records when the last write returned, which is
    late when the reader's back-pressure reached this socket."""
    payload = big_payload(name)
    send(c, head("200 OK", ["Content-Type: text/event-stream", "Transfer-Encoding: chunked"]))
    for i in range(0, len(payload), 65536):
        send(c, chunk(payload[i:i + 65536]))
    send(c, b"0\r\n\r\n")
    c.requests[-1]["sent_ms"] = now_ms()
    return True


def sc_sse_slow(c, rq, name):
    """100 events 100 ms apart: long enough for the client to walk away."""
    send(c, head("200 OK", ["Content-Type: text/event-stream", "Transfer-Encoding: chunked"]))
    for ev in sse_events(name, 100):
        send(c, chunk(ev))
        pause(c, 0.1)
    send(c, chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")
    return True


# ---- guard coverage (test_coverage.sh): answers that carry a secret where output guards must
# look, or that output guards cannot read. COV_SECRET matches the test's regex guards.

COV_SECRET = "sk-" + "Q" * 24


def cov_json(choices, **extra):
    d = {"id": "chatcmpl-cov", "object": "chat.completion", "created": 1700000000, "model": "cov",
         "choices": choices, "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}
    d.update(extra)
    return json.dumps(d, separators=(",", ":")).encode()


def cov_msg(**fields):
    m = {"role": "assistant", "content": "fine"}
    m.update(fields)
    return {"index": 0, "message": m, "finish_reason": "stop"}


def cov_choice1():
    second = cov_msg(content="the key is " + COV_SECRET)
    second["index"] = 1
    return [cov_msg(), second]


# JSON answers by scenario name: the choices each one sends
COV_CHOICES = {
    "cov-clean": lambda: [cov_msg()],
    "cov-content": lambda: [cov_msg(content="here: " + COV_SECRET)],
    "cov-tool-calls": lambda: [cov_msg(content=None, tool_calls=[{"id": "call_1", "type": "function", "function": {
        "name": "leak", "arguments": json.dumps({"key": COV_SECRET})}}])],
    "cov-reasoning": lambda: [cov_msg(reasoning_content="thinking about " + COV_SECRET)],
    "cov-legacy-text": lambda: [{"index": 0, "text": "legacy " + COV_SECRET, "finish_reason": "stop"}],
    "cov-choice1": cov_choice1,
}


def sc_cov_json(c, rq, name):
    body = cov_json(COV_CHOICES[name]())
    send(c, json_head(body) + body)
    return True


for _name in COV_CHOICES:
    globals()["sc_" + _name.replace("-", "_")] = sc_cov_json


def sc_cov_text_plain(c, rq, name):
    body = ("the key is " + COV_SECRET).encode()
    send(c, head("200 OK", ["Content-Type: text/plain", "Content-Length: %d" % len(body)]) + body)
    return True


def cov_gzip(c, body, encoding="gzip", wbits=31):
    import zlib
    co = zlib.compressobj(wbits=wbits)  # 31: gzip, 15: zlib ("deflate" per RFC), -15: raw deflate
    z = co.compress(body) + co.flush()
    send(c, head("200 OK", ["Content-Type: application/json", "Content-Encoding: " + encoding,
                            "Content-Length: %d" % len(z)]) + z)


def sc_cov_gzip(c, rq, name):
    cov_gzip(c, cov_json([cov_msg(content="zipped " + COV_SECRET)]))
    return True


def sc_cov_gzip_clean(c, rq, name):
    cov_gzip(c, cov_json([cov_msg(content="zipped and clean")]))
    return True


def sc_cov_deflate(c, rq, name):
    cov_gzip(c, cov_json([cov_msg(content="deflated " + COV_SECRET)]), "deflate", 15)
    return True


def sc_cov_deflate_raw(c, rq, name):
    cov_gzip(c, cov_json([cov_msg(content="raw deflated " + COV_SECRET)]), "deflate", -15)
    return True


def sc_cov_br(c, rq, name):
    body = b"\x1b\x03\x00\xf8\xa5\x1c\x00"  # not decodable by Warden (no brotli)
    send(c, head("200 OK", ["Content-Type: application/json", "Content-Encoding: br",
                            "Content-Length: %d" % len(body)]) + body)
    return True


def sc_cov_sse(c, rq, name):
    ev = {"id": "chatcmpl-cov", "object": "chat.completion.chunk", "model": "cov",
          "choices": [{"index": 0, "delta": {"content": "streamed " + COV_SECRET}, "finish_reason": None}]}
    body = b"data: " + json.dumps(ev, separators=(",", ":")).encode() + b"\n\ndata: [DONE]\n\n"
    send(c, head("200 OK", ["Content-Type: text/event-stream", "Content-Length: %d" % len(body)]) + body)
    return True


def sc_cov_dup_key(c, rq, name):
    body = ('{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"fine",'
            '"content":"' + COV_SECRET + '"}}]}').encode()
    send(c, json_head(body) + body)
    return True
def sc_echo_auth_401(c, rq, name):
    """A provider that echoes the credentials it got in its 401 (body and headers), with a
    fixed string beside them (test_hardening.sh configures it as another provider's key)."""
    auth = rq["headers"].get("authorization", "")
    body = json.dumps({"error": {"message": "Incorrect API key provided: %s" % auth, "type": "invalid_request_error",
                                 "code": "invalid_api_key",
                                 "seen": {"authorization": auth, "other": "sk-other-provider-key-0123456789",
                                          "escaped": auth.replace("/", "\\/")}}}).encode()
    send(c, head("401 Unauthorized", ["Content-Type: application/json", "Content-Length: %d" % len(body),
                                      "X-Echo-Authorization: " + auth,
                                      "WWW-Authenticate: Bearer realm=\"%s\"" % auth]) + body)
    return True


def sc_slow_ok(c, rq, name):
    """Answers after 3 s (requests in flight for a drain)."""
    pause(c, 3)
    return sc_ok(c, rq, name)


def request_script(rq):
    """The body's "script", or "script_b64" (that JSON in base64): Warden's guards read every
    text of a request, and a script spelled in base64 holds no text they would act on (a
    placeholder-looking "<EMAIL_ADDRESS_1>" is reserved by a reversible pii guard)."""
    body = json.loads(rq["body"])
    if body.get("script_b64"):
        return json.loads(base64.b64decode(body["script_b64"]))
    return body.get("script") or {}


def sc_sse_script(c, rq, name):
    """The events of the request body's "script": {"events": [objects or raw strings],
    "delay_ms": N}: each object is sent as one "data:" event, N ms apart, then [DONE]
    (unless "no_done" is true). For test_stream_guard.sh: n > 1 choices, reasoning,
    tool-call arguments, logprobs, duplicate keys..."""
    script = request_script(rq)
    send(c, head("200 OK", ["Content-Type: text/event-stream", "Transfer-Encoding: chunked"]))
    delay = (script.get("delay_ms") or 0) / 1000.0
    for i, ev in enumerate(script.get("events") or []):
        if i and delay:
            pause(c, delay)
        data = ev if isinstance(ev, str) else json.dumps(ev, separators=(",", ":"))
        send(c, chunk(b"data: " + data.encode() + b"\n\n"))
    if not script.get("no_done"):
        send(c, chunk(b"data: [DONE]\n\n"))
    send(c, b"0\r\n\r\n")
    return True


def sc_json_script(c, rq, name):
    """The request body's "script": {"answer": object or raw string}, sent as one JSON
    answer (for test_pii_attack.sh: answers with placeholders in any field)."""
    script = request_script(rq)
    ans = script.get("answer", {})
    body = (ans if isinstance(ans, str) else json.dumps(ans)).encode()
    send(c, json_head(body) + body)
    return True


def sc_sse_endless(c, rq, name):
    """Up to 20000 events of ~1 KB, written as fast as the reader takes them (each write
    blocks under back-pressure): a stream nobody reads must not pile up anywhere."""
    send(c, head("200 OK", ["Content-Type: text/event-stream", "Transfer-Encoding: chunked"]))
    text = "some words, a few s and sk- fragments, numbers 1234 " * 20
    for i in range(20000):
        ev = {"id": "chatcmpl-raw-endless", "object": "chat.completion.chunk", "model": name,
              "choices": [{"index": 0, "delta": {"content": "%06d %s" % (i, text)}, "finish_reason": None}]}
        send(c, chunk(b"data: " + json.dumps(ev, separators=(",", ":")).encode() + b"\n\n"))
    send(c, chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")
    return True


# ---- control requests

def control(c, rq):
    path = rq["path"]
    if path == "/_stats":
        with LOCK:
            body = json.dumps({"now_ms": now_ms(), "conns": [x.as_json() for x in CONNS]}).encode()
    elif path.startswith("/_expect/"):
        body = expected_body(path[len("/_expect/"):])
    elif path == "/_close_idle":
        n = 0
        with LOCK:
            for x in CONNS:
                if x.waiting and x.closed_ms is None:
                    x.server_closing = True
                    try:
                        x.sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    n += 1
        body = json.dumps({"closed": n}).encode()
    else:
        send(c, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        return
    send(c, b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


def serve(c):
    buf = b""
    try:
        while True:
            rq, buf = read_request(c, buf)
            if rq is None:
                c.closed("server" if c.server_closing else "peer")
                break
            if rq["path"].startswith("/_"):
                if not c.requests:
                    with LOCK:
                        c.control = True
                        if c in CONNS:
                            CONNS.remove(c)
                control(c, rq)
                continue
            try:
                name = json.loads(rq["body"] or b"{}").get("model") or "ok"
            except ValueError:
                name = "ok"
            rec = {"rid": rq["headers"].get("x-request-id"), "model": name, "path": rq["path"],
                   "method": rq["method"], "host": rq["headers"].get("host"),
                   "body": rq["body"].decode("utf-8", "replace"), "answered": True, "at_ms": now_ms(),
                   "accept_encoding": rq["headers"].get("accept-encoding")}
            with LOCK:
                c.requests.append(rec)
            log("conn %d request %d %s %s rid=%s" % (c.id, len(c.requests), rq["path"], name, rec["rid"]))
            fn = globals().get("sc_" + name.replace("-", "_"), sc_ok)
            keep = fn(c, rq, name)
            if keep is None:  # reset() closed the socket already
                c.closed("server")
                return
            if not keep:
                c.closed("server")
                break
    except PeerClosed:
        c.closed("peer")
    except Exception as e:  # a bug here must not look like a Warden failure silently
        log("conn %d: fixture error %r" % (c.id, e))
        c.closed("server")
    try:
        c.sock.close()
    except OSError:
        pass


def main():
    port = int(sys.argv[1])
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(128)
    log("listening on 127.0.0.1:%d" % port)
    cid = 0
    while True:
        s, _ = ls.accept()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cid += 1
        c = Conn(s, cid)
        with LOCK:
            CONNS.append(c)
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
