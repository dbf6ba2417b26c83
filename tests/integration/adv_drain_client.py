# test_adversary_drain_pool.sh: HTTP/1 clients that are half way through a request when Warden gets
# SIGTERM. python3 adv_drain_client.py SCENARIO PORT PID -> one line of results
import json, os, signal, socket, sys, time, struct
scen, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
BODY = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hello"}]}).encode()
def req(body=BODY, extra=b""):
    return (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra +
            b"Content-Length: %d\r\n\r\n" % len(body) + body)
def conn():
    s = socket.create_connection(("127.0.0.1", port)); return s
def readall(s, t=5):
    s.settimeout(t); data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b: break
            data += b
    except Exception as e:
        data += b"|" + type(e).__name__.encode()
    return data
def responses(data):
    """parse a sequence of HTTP/1.1 responses -> list of (status, connection, code)"""
    out = []
    while data.startswith(b"HTTP/1.1"):
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep: break
        lines = head.decode("latin-1").split("\r\n")
        h = {l.split(":",1)[0].lower(): l.split(":",1)[1].strip() for l in lines[1:] if ":" in l}
        n = int(h.get("content-length", "0"))
        body, data = rest[:n], rest[n:]
        try: code = json.loads(body)["error"]["code"]
        except Exception: code = "-"
        out.append("%s/%s/%s" % (lines[0].split(" ")[1], h.get("connection", "-").lower(), code))
    tail = data[:20].decode("latin-1") if data else ""
    return " ".join(out) + ("" if not tail else " +" + tail)
def term(sig=signal.SIGTERM):
    os.kill(pid, sig)
t0 = time.time()
def trickle(s, piece):
    """Sends piece every 50 ms (at most 100 times) while reading; prints what came back and when."""
    s.settimeout(0.05); data = b""
    for i in range(100):
        try:
            s.sendall(piece)
        except Exception:
            break
        try:
            b = s.recv(65536)
            if not b:
                break
            data += b
        except socket.timeout:
            pass
        except Exception:
            break
    print(responses(data) or "closed", "%.2f" % (time.time() - t0))

if scen == "slowloris_line":
    s = conn(); s.sendall(b"POST /v1/chat/compl"); time.sleep(0.1); term()
    r = readall(s); print(responses(r) or "closed", "%.2f" % (time.time()-t0))
elif scen == "slowloris_headers":
    s = conn(); s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Ty"); time.sleep(0.1); term()
    # keep trickling header bytes every 50 ms (never finishing)
    trickle(s, b"a")
elif scen == "headers_then_finish":
    s = conn(); r = req(); s.sendall(r[:40]); time.sleep(0.1); term(); time.sleep(0.1); s.sendall(r[40:])
    print(responses(readall(s)) or "closed")
elif scen == "chunked_never":
    s = conn(); s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"mod\r\n")
    time.sleep(0.1); term()
    trickle(s, b"1\r\n \r\n")
elif scen == "chunked_finish":
    s = conn(); s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    s.sendall(b"%x\r\n" % 10 + BODY[:10] + b"\r\n"); time.sleep(0.1); term(); time.sleep(0.1)
    s.sendall(b"%x\r\n" % (len(BODY)-10) + BODY[10:] + b"\r\n0\r\n\r\n")
    print(responses(readall(s)) or "closed")
elif scen == "pipe_full_half":
    s = conn(); r = req(); s.sendall(r + r[:60]); time.sleep(0.1); term(); time.sleep(0.1); 
    try: s.sendall(r[60:])
    except Exception as e: print("send-err", type(e).__name__)
    print(responses(readall(s)) or "closed")
elif scen == "pipe_full_full_at_term":
    # 2 complete pipelined requests on a slow upstream, SIGTERM while the first is in flight
    b = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "mock": {"ttft_ms": 300}}).encode()
    s = conn(); s.sendall(req(b) + req(b)); time.sleep(0.1); term()
    print(responses(readall(s)) or "closed")
elif scen == "pipe_full_full_after_term":
    # both complete pipelined requests arrive after SIGTERM on an open keep-alive conn (should be shut)
    s = conn(); s.sendall(req()); first = b""
    s.settimeout(2)
    while b"}" not in first.partition(b"\r\n\r\n")[2]: first += s.recv(65536)
    term(); time.sleep(0.05)
    try: s.sendall(req() + req())
    except Exception as e: print("send-err", type(e).__name__)
    print(responses(first), "|", responses(readall(s)) or "closed")
elif scen.startswith("many_half"):
    n = int(scen.split(":")[1]); finish = scen.startswith("many_half_finish")
    socks = []; r = req()
    for i in range(n):
        s = conn(); s.sendall(r[:len(r)-5]); socks.append(s)
    time.sleep(0.3); term(); time.sleep(0.1)
    if finish:
        for s in socks:
            try: s.sendall(r[len(r)-5:])
            except Exception: pass
    res = {}
    for s in socks:
        k = responses(readall(s, 6)) or "closed"; res[k] = res.get(k, 0) + 1
    print(json.dumps(res, sort_keys=True), "%.2f" % (time.time()-t0))
elif scen == "rest_after_drain":
    s = conn(); r = req(); s.sendall(r[:len(r)-3]); time.sleep(0.1); term(); time.sleep(float(os.environ.get("LATE", "3")))
    try: s.sendall(r[len(r)-3:]); print("sent")
    except Exception as e: print("send-err", type(e).__name__)
    print(responses(readall(s, 2)) or "closed")
elif scen == "idle_keepalive":
    socks = []
    for i in range(20):
        s = conn(); s.sendall(req()); d=b""; s.settimeout(2)
        while b"}" not in d.partition(b"\r\n\r\n")[2]: d += s.recv(65536)
        socks.append(s)
    term(); res = {}
    for s in socks:
        k = responses(readall(s, 3)) or "closed"; res[k] = res.get(k,0)+1
    print(json.dumps(res), "%.2f" % (time.time()-t0))
elif scen == "double_signal":
    s = conn(); r = req(); s.sendall(r[:len(r)-5]); time.sleep(0.1); term(); time.sleep(0.05); term(); time.sleep(0.05); term(signal.SIGINT)
    time.sleep(0.1); s.sendall(r[len(r)-5:])
    print(responses(readall(s)) or "closed")
