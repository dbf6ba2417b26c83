# test_conn_faults.sh: requests that arrive while the drain's stop request is stalled on the loop.
# python3 stall_client.py PORT PID N: N keep-alive connections, one request answered on each; then
# SIGTERM (the shim stalls the worker's stop callback: the loop is busy); then a second request on
# each, sent during the stall, so its bytes wait unread in the kernel when the drain begins.
# Prints the second answers' status lines counted, as JSON ("closed": no answer).
import json, os, signal, socket, sys, time
port, pid, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
req = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body
def answer(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = s.recv(65536)
        if not b: return "closed"
        buf += b
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    size = int([l.split(b":", 1)[1] for l in lines if l.lower().startswith(b"content-length:")][0])
    while len(rest) < size:
        b = s.recv(65536)
        if not b: return "closed"
        rest += b
    return " ".join(lines[0].decode().split(" ")[1:2])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(10); s.sendall(req)
    first = answer(s)
    if first != "200": print(json.dumps({"first": first})); sys.exit(1)
    socks.append(s)
os.kill(pid, signal.SIGTERM)
time.sleep(0.3)  # within the stall
for s in socks: s.sendall(req)
out = {}
for s in socks:
    try: a = answer(s)
    except Exception as e: a = type(e).__name__
    out[a] = out.get(a, 0) + 1
print(json.dumps(out, sort_keys=True))
