# test_adversary_drain_pool.sh: a raw h2c (prior knowledge) client, streams in flight or half sent at
# SIGTERM. python3 adv_h2_client.py SCENARIO PORT PID -> the frames seen, in order
import json, os, signal, socket, struct, sys, time
scen, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def frame(t, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([t, flags]) + struct.pack(">I", sid) + payload
def hint(n, prefix=7):
    m = (1 << prefix) - 1
    if n < m: return bytes([n])
    out = [m]; n -= m
    while n >= 128: out.append((n & 127) | 128); n >>= 7
    return bytes(out + [n])
def hpack(headers):
    return b"".join(b"\x00" + hint(len(k)) + k + hint(len(v)) + v for k, v in headers)
BODY = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hello"}]}).encode()
def headers(sid, body=BODY, end=False):
    h = [(b":method", b"POST"), (b":scheme", b"http"), (b":path", b"/v1/chat/completions"), (b":authority", b"x"),
         (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return frame(1, 0x4 | (1 if end else 0), sid, hpack(h))
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0))
def read_frames(t):
    s.settimeout(t); buf = b""; ev = []
    end = time.time() + t
    try:
        while time.time() < end:
            b = s.recv(65536)
            if not b: ev.append("EOF"); break
            buf += b
            while len(buf) >= 9:
                ln = int.from_bytes(buf[:3], "big"); ty, fl = buf[3], buf[4]; sid = int.from_bytes(buf[5:9], "big") & 0x7fffffff
                if len(buf) < 9 + ln: break
                p = buf[9:9+ln]; buf = buf[9+ln:]
                if ty == 4 and not (fl & 1): s.sendall(frame(4, 1, 0))
                name = {0: "DATA", 1: "HEADERS", 3: "RST", 4: "SETTINGS", 6: "PING", 7: "GOAWAY", 8: "WINDOW"}.get(ty, str(ty))
                if ty == 0:
                    code = "-"
                    try: code = json.loads(p)["error"]["code"]
                    except Exception: code = "200?" if b"choices" in p else p[:30].decode("latin-1")
                    ev.append("DATA%d:%s" % (sid, code))
                elif ty == 7: ev.append("GOAWAY(last=%d,err=%d)" % (int.from_bytes(p[:4], "big") & 0x7fffffff, int.from_bytes(p[4:8], "big")))
                elif ty == 3: ev.append("RST%d(%d)" % (sid, int.from_bytes(p[:4], "big")))
                elif ty == 1: ev.append("HEADERS%d" % sid)
    except socket.timeout: ev.append("TIMEOUT")
    except Exception as e: ev.append(type(e).__name__)
    return [e for e in ev if e not in ("SETTINGS", "WINDOW", "PING")]
t0 = time.time()
if scen == "h2_half_finish":
    s.sendall(headers(1) + frame(0, 0, 1, BODY[:10])); time.sleep(0.2)
    os.kill(pid, signal.SIGTERM); time.sleep(0.1)
    s.sendall(frame(0, 1, 1, BODY[10:]))
    print(" ".join(read_frames(4)), "%.2f" % (time.time() - t0))
elif scen == "h2_half_never":
    s.sendall(headers(1) + frame(0, 0, 1, BODY[:10])); time.sleep(0.2)
    os.kill(pid, signal.SIGTERM)
    print(" ".join(read_frames(6)), "%.2f" % (time.time() - t0))
elif scen == "h2_full_slow":
    b = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "mock": {"ttft_ms": 300}}).encode()
    s.sendall(headers(1, b) + frame(0, 1, 1, b) + headers(3, b) + frame(0, 0, 3, b[:5])); time.sleep(0.1)
    os.kill(pid, signal.SIGTERM); time.sleep(0.1)
    s.sendall(frame(0, 1, 3, b[5:]))
    print(" ".join(read_frames(4)), "%.2f" % (time.time() - t0))
elif scen == "h2_new_after_term":
    s.sendall(headers(1) + frame(0, 1, 1, BODY)); print(" ".join(read_frames(1)))
    os.kill(pid, signal.SIGTERM); time.sleep(0.05)
    s.sendall(headers(3) + frame(0, 1, 3, BODY))
    print(" ".join(read_frames(4)), "%.2f" % (time.time() - t0))
elif scen == "h2_half_stalled":
    # test_conn_faults.sh: the worker's stop request stalled 800 ms (the loop busy), header_timeout_ms
    # 1000: the stream's body ends 1.35 s after SIGTERM, 0.55 s into the worker's drain
    s.sendall(headers(1) + frame(0, 0, 1, BODY[:10])); time.sleep(0.2)
    os.kill(pid, signal.SIGTERM); time.sleep(1.35)
    try: s.sendall(frame(0, 1, 1, BODY[10:]))
    except Exception as e: print(type(e).__name__)
    print(" ".join(read_frames(4)), "%.2f" % (time.time() - t0))
