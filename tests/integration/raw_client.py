#!/usr/bin/env python3
"""Raw-socket HTTP/1.1 client for test_hardening.sh (stdlib only). Prints one JSON line.

    raw_client.py send PORT CASE      sends the bytes of CASE (below) at once, reads until the
                                      server closes, 2 s of silence or a whole answer to each
                                      request sent; prints
                                      {"statuses": [...], "closed": bool, "error": {...} | null,
                                       "content_type": str | null}
    raw_client.py idle PORT           one request, then waits: {"second_ok": bool (a request
                                      250 ms later on the same connection was answered),
                                      "closed_after_ms": ms of idleness until the server closed}
    raw_client.py fresh PORT          connects, sends nothing: {"closed_after_ms"}
    raw_client.py trickle PORT        sends a request head one byte every 150 ms, never ending it:
                                      {"closed_after_ms"} counted from the first byte
"""
import json
import socket
import sys
import time

CHAT = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
SECOND = b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n"


def chunked(data):
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data)


def cases(path):
    head = b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    return {
        # both framings: h2o reads the chunked body; what follows must never be served
        "cl_te": head + b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(CHAT) + chunked(CHAT) + SECOND,
        "te_cl": head + b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" + chunked(CHAT) + SECOND,
        "cl_cl": head + b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n" % (len(CHAT), len(CHAT) + 5) + CHAT + SECOND,
        "cl_list": head + b"Content-Length: %d, %d\r\n\r\n" % (len(CHAT), len(CHAT) + 5) + CHAT + SECOND,
        "te_te": head + b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(CHAT) + SECOND,
        # controls: an unambiguous request and its pipelined follower are both served
        "cl_same": head + b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n" % (len(CHAT), len(CHAT)) + CHAT + SECOND,
        "plain": head + b"Content-Length: %d\r\n\r\n" % len(CHAT) + CHAT + SECOND,
        # bodies over max_body_bytes (test_hardening.sh sets 4096): sent whole, a little or
        # 512 KB over (read whole, then 413: nothing left unread for a reset to take it), or announced far over the cap (413 at once), or chunked past the cap plus
        # the server's 1 MiB slack (413 as its last byte is read; the chunk is never finished)
        "cl_huge": head + b"Content-Length: 100000000\r\n\r\n",
        "cl_over": head + b"Content-Length: 4097\r\n\r\n" + b"x" * 4097,
        "cl_over_far": head + b"Content-Length: %d\r\n\r\n" % (4096 + (512 << 10)) + b"x" * (4096 + (512 << 10)),
        "te_over": head + b"Transfer-Encoding: chunked\r\n\r\n" + b"1000\r\n" + b"x" * 4096 + b"\r\n" + b"1000\r\n" + b"y" * 4096 + b"\r\n0\r\n\r\n",
        "te_huge": head + b"Transfer-Encoding: chunked\r\n\r\n" + b"200000\r\n" + b"z" * (4096 + (1 << 20) + 64),
    }


def chunked_end(rest):
    """Where a whole chunked body (with its last chunk and an empty trailer) ends in rest, or None."""
    i = 0
    while True:
        j = rest.find(b"\r\n", i)
        if j < 0:
            return None
        try:
            n = int(rest[i:j].split(b";")[0] or b"x", 16)
        except ValueError:
            return None
        if n == 0:
            return j + 4 if rest[j + 2:j + 4] == b"\r\n" else None
        i = j + 2 + n + 2
        if i > len(rest):
            return None


def complete_responses(data):
    """How many whole responses (Content-Length or chunked; a close-delimited one ends the count)
    data starts with."""
    n = 0
    while data.startswith(b"HTTP/1."):
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        cl, chunked = None, False
        for line in head.decode("latin-1").split("\r\n")[1:]:
            k, _, v = line.partition(":")
            k = k.strip().lower()
            if k == "content-length":
                cl = int(v.strip())
            elif k == "transfer-encoding" and v.strip().lower() == "chunked":
                chunked = True
        end = chunked_end(rest) if chunked else cl
        if end is None or len(rest) < end:
            break
        n, data = n + 1, rest[end:]
    return n


def read_all(s, quiet=2.0, expect=None):
    """Reads until the peer closes or quiet seconds of silence; with expect, also stops once that
    many whole responses are in (one per request sent: nothing more can come on the connection)."""
    s.settimeout(quiet)
    out, closed = b"", False
    try:
        while True:
            d = s.recv(65536)
            if not d:
                closed = True
                break
            out += d
            if expect is not None and complete_responses(out) >= expect:
                break
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    return out, closed


def parse_responses(data):
    """Splits concatenated HTTP/1.1 responses (Content-Length, chunked or until close)."""
    res = []
    while data.startswith(b"HTTP/1."):
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        if "content-length" in hdrs:
            n = int(hdrs["content-length"])
            body, data = rest[:n], rest[n:]
        elif hdrs.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size_line, _, rest = rest.partition(b"\r\n")
                n = int(size_line.split(b";")[0] or b"0", 16)
                if n == 0:
                    _, _, rest = rest.partition(b"\r\n")
                    break
                body += rest[:n]
                rest = rest[n + 2:]
            data = rest
        else:
            body, data = rest, b""
        res.append((status, hdrs, body))
    return res


def cmd_send(port, case, path):
    s = socket.create_connection(("127.0.0.1", port))
    data = cases(path.encode())[case]
    s.sendall(data)
    # as many requests as the bytes hold, read as plain HTTP/1.1 (the controls' two requests are
    # both answered on a connection the server keeps open: the 2 s of silence were waited there)
    data, closed = read_all(s, expect=data.count(b" HTTP/1.1\r\n"))
    s.close()
    rs = parse_responses(data)
    err = None
    if rs:
        try:
            err = json.loads(rs[0][2]).get("error")
        except ValueError:
            err = None
    print(json.dumps({"statuses": [r[0] for r in rs], "closed": closed, "error": err,
                      "content_type": rs[0][1].get("content-type") if rs else None}))


def wait_closed(s, limit):
    """ms until the peer closes (None if not within limit seconds)."""
    t0 = time.time()
    s.settimeout(limit)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return int((time.time() - t0) * 1000)
    except socket.timeout:
        return None
    except ConnectionResetError:
        return int((time.time() - t0) * 1000)


def cmd_idle(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(2)
    first = s.recv(65536)
    time.sleep(0.25)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    second = s.recv(65536)
    ok = first.startswith(b"HTTP/1.1 200") and second.startswith(b"HTTP/1.1 200")
    print(json.dumps({"second_ok": ok, "closed_after_ms": wait_closed(s, 5)}))


def cmd_fresh(port):
    s = socket.create_connection(("127.0.0.1", port))
    print(json.dumps({"closed_after_ms": wait_closed(s, 5)}))


def cmd_trickle(port):
    s = socket.create_connection(("127.0.0.1", port))
    msg = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200
    t0 = time.time()
    closed = None
    for b in msg:
        try:
            s.sendall(bytes([b]))
        except OSError:
            closed = int((time.time() - t0) * 1000)
            break
        s.settimeout(0.15)
        try:
            d = s.recv(65536)
            if not d:
                closed = int((time.time() - t0) * 1000)
                break
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed = int((time.time() - t0) * 1000)
            break
        if time.time() - t0 > 6:
            break
    print(json.dumps({"closed_after_ms": closed}))


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "send":
        cmd_send(port, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "/v1/chat/completions")
    elif cmd == "idle":
        cmd_idle(port)
    elif cmd == "fresh":
        cmd_fresh(port)
    elif cmd == "trickle":
        cmd_trickle(port)


if __name__ == "__main__":
    main()
