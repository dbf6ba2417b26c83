#!/usr/bin/env python3
"""Raw HTTP/1.1 client for the batch tests (no library buffering between us and the socket).

  batch_client.py stream PORT PATH BODYFILE RID
      POSTs BODYFILE, reads the chunked NDJSON answer; prints one JSON object: the status, the
      seconds from sending to each line (first, last) and the lines themselves.
  batch_client.py disconnect PORT PATH BODYFILE RID MOCK_URL ACTIVE
      POSTs BODYFILE, waits until the mock has ACTIVE requests in flight, reads the mock's clock,
      closes the socket and prints {"t_close_ms": mock clock just before the close}.
"""
import json
import socket
import sys
import time
import urllib.request


def send(port, path, body, rid):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"x-request-id: {rid}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    s.sendall(head + body)
    return s


def read_chunked_lines(s, t0):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise SystemExit("closed before the head")
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ")[1])
    chunked = b"transfer-encoding: chunked" in head.lower()
    body, lines, times, pending = rest, [], [], b""
    done = False
    while not done:
        # decode whatever whole chunks are in body
        while chunked:
            if b"\r\n" not in body:
                break
            size_line, after = body.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                done = True
                break
            if len(after) < size + 2:
                break
            pending += after[:size]
            body = after[size + 2:]
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                lines.append(json.loads(line))
                times.append(time.monotonic() - t0)
        if done:
            break
        d = s.recv(65536)
        if not d:
            break
        if not chunked:
            pending += d
            continue
        body += d
    if not chunked and pending:
        lines = [json.loads(pending)]
        times = [time.monotonic() - t0]
    return status, lines, times


def main():
    mode, port, path, bodyfile, rid = sys.argv[1:6]
    body = open(bodyfile, "rb").read()
    t0 = time.monotonic()
    s = send(int(port), path, body, rid)
    if mode == "stream":
        status, lines, times = read_chunked_lines(s, t0)
        print(json.dumps({"status": status, "first_s": times[0] if times else None,
                          "last_s": times[-1] if times else None, "lines": lines}))
        return
    mock, active = sys.argv[6], int(sys.argv[7])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        st = json.load(urllib.request.urlopen(mock + "/mock/stats"))
        if st["active"] >= active:
            break
        time.sleep(0.02)
    now = json.load(urllib.request.urlopen(mock + "/mock/now"))["now_ms"]
    s.close()
    print(json.dumps({"t_close_ms": now}))


main()
