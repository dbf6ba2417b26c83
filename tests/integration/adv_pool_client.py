# test_adversary_drain_pool.sh: big scans (>= 64 KB, on the worker pool) through the check API and the
# gateway, compared with the loop's results. python3 adv_pool_client.py SCENARIO PORT PID TOKEN [ARGS]
import json, os, signal, socket, sys, time, threading, http.client, random
scen, port, pid, tok = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def post(path, body, timeout=60, hdr=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Content-Type": "application/json", "Authorization": "Bearer " + tok}
    h.update(hdr or {})
    c.request("POST", path, body=json.dumps(body).encode(), headers=h)
    r = c.getresponse(); d = r.read(); c.close()
    return r.status, d
def check(guard, texts):
    st, d = post("/v1/guardrails/check", {"guardrail": guard, "texts": texts})
    try: return st, json.loads(d)
    except Exception: return st, d
def fsig(j):
    return [(f.get("index"), f.get("type"), f.get("start"), f.get("end"), f.get("text")) for f in j.get("findings", [])] if isinstance(j, dict) else j
EMAIL = "jane.roe@example.org"
def cp_find(t, s):
    out = []; i = t.find(s)
    while i >= 0: out.append((len(t[:i]), len(t[:i]) + len(s))); i = t.find(s, i + 1)
    return out
def pieces(t, maxb=60000):
    """split t at spaces into pieces of < maxb bytes each (a space ends each piece)"""
    out = []; cur = 0
    while cur < len(t):
        end = cur
        lim = cur
        # grow to maxb bytes
        b = 0; i = cur
        while i < len(t) and b + len(t[i].encode()) < maxb:
            b += len(t[i].encode()); i += 1
        if i >= len(t): out.append(t[cur:]); break
        j = t.rfind(" ", cur, i)
        assert j > cur
        out.append(t[cur:j + 1]); cur = j + 1
    return out
def compare(guard, t):
    st, j = check(guard, [t])
    big = (st, fsig(j), j.get("texts", [None])[0] if isinstance(j, dict) else None, j.get("verdict") if isinstance(j, dict) else None)
    fs = []; rews = []; off = 0; sts = set()
    for p in pieces(t):
        st2, j2 = check(guard, [p]); sts.add(st2)
        fs += [(f[0], f[1], f[2] + off, f[3] + off, f[4]) for f in fsig(j2)]
        rews.append(j2.get("texts", [p])[0]); off += len(p)
    small = (sts.pop() if len(sts) == 1 else sts, fs, "".join(rews) if big[2] is not None else None)
    ok = big[0] == small[0] and big[1] == small[1] and (guard == "pii-rev" or big[2] == small[2])
    return ok, big, small
def gen(size, seed, fill="x"):
    rnd = random.Random(seed)
    ents = ["jane.roe@example.org", "4111 1111 1111 1111", "+1 415 555 0132", "078-05-1120", "AKIAIOSFODNN7EXAMPLE",
            "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "10.0.0.1", "bob@mail.example.com"]
    parts = []; n = 0
    while n < size:
        if rnd.random() < 0.01: s = rnd.choice(ents)
        else: s = fill * rnd.randint(1, 12)
        parts.append(s); n += len(s.encode()) + 1
    return " ".join(parts)
if scen == "compare":
    out = []
    for guard in ("pii-mask", "pii-block", "pii-rev", "sec-block"):
        for size, seed, fill in ((65536, 1, "x"), (65537, 2, "é"), (200000, 3, "word"), (300000, 4, "ü€"), (70000, 5, "😀")):
            t = gen(size, seed, fill)
            ok, big, small = compare(guard, t)
            out.append("%s/%d/%s:%s" % (guard, size, fill, "ok(%d)" % len(big[1]) if ok else "BAD big=%s small=%s" % (str(big)[:300], str(small)[:300])))
    print("\n".join(out))
def raw_req(path, body, extra=b""):
    b = json.dumps(body).encode()
    return (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer " + tok.encode() +
            b"\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(b) + b)
def read_resp(s, t=60):
    s.settimeout(t); data = b""
    try:
        while True:
            head, sep, rest = data.partition(b"\r\n\r\n")
            if sep:
                h = {l.split(b":",1)[0].strip().lower(): l.split(b":",1)[1].strip() for l in head.split(b"\r\n")[1:] if b":" in l}
                if b"content-length" in h and len(rest) >= int(h[b"content-length"]):
                    return int(head.split(b" ")[1]), rest[:int(h[b"content-length"])]
                if h.get(b"transfer-encoding") == b"chunked" and rest.endswith(b"0\r\n\r\n"):
                    body = b""; r = rest
                    while True:
                        ln, _, r = r.partition(b"\r\n"); k = int(ln, 16)
                        if k == 0: break
                        body += r[:k]; r = r[k + 2:]
                    return int(head.split(b" ")[1]), body
            b = s.recv(1 << 20)
            if not b: break
            data += b
    except Exception as e:
        return type(e).__name__, data[:100]
    return "closed", data[:100]
def metric(name):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10); c.request("GET", "/metrics"); d = c.getresponse().read().decode(); c.close()
    for l in d.splitlines():
        if l.startswith(name + " "): return float(l.split()[1])
    return None
def flood(path, bodies, sigterm_after=None, close_after=None):
    socks = []
    for b in bodies:
        r = raw_req(path, b); s = socket.create_connection(("127.0.0.1", port)); s.sendall(r[:-1]); socks.append((s, r[-1:]))
    time.sleep(0.5)
    for s, last in socks: s.sendall(last)
    if close_after is not None:
        time.sleep(close_after)
        for s, _ in socks: s.close()
        return []
    if sigterm_after is not None:
        time.sleep(sigterm_after); os.kill(pid, signal.SIGTERM); print('term_at', int(time.time() * 1000), flush=True)
    res = [None] * len(socks)  # read every answer at once: a slow reader is not what is tested
    def rd(i): res[i] = read_resp(socks[i][0])
    ths = [threading.Thread(target=rd, args=(i,)) for i in range(len(socks))]
    [t.start() for t in ths]; [t.join(90) for t in ths]
    return res
if scen.startswith("flood:"):
    # flood:N:SIZE:GUARD
    _, n, size, guard = scen.split(":"); n = int(n); size = int(size)
    texts = [gen(size, 100 + i % 5, ("x", "é", "word")[(i % 5) % 3]) for i in range(n)]
    refs = {}
    for i in range(5 if n >= 5 else n):
        st, j = check(guard, [texts[i]]); refs[i] = (st, fsig(j), j.get("texts"), j.get("verdict"))
    q0 = metric("warden_model_jobs_queued_total")
    res = flood("/v1/guardrails/check", [{"guardrail": guard, "texts": [t]} for t in texts])
    q1 = metric("warden_model_jobs_queued_total")
    bad = 0; sts = {}
    for i, (st, d) in enumerate(res):
        sts[st] = sts.get(st, 0) + 1
        try:
            j = json.loads(d); got = (st, fsig(j), j.get("texts"), j.get("verdict"))
        except Exception: got = (st, d[:100])
        if got != refs[i % 5]:
            bad += 1
            if bad < 3: print("DIFF", i, str(got)[:300], "REF", str(refs[i % 5])[:300])
    print("statuses", sts, "mismatches", bad, "pool-queued", q1 - q0, "of", n)
if scen == "disconnect":
    # clients that leave mid-scan: 100 big checks, the connections closed as soon as sent
    flood("/v1/guardrails/check", [{"guardrail": "pii-mask", "texts": [gen(300000, 7, "x")]}] * 100, close_after=0)
    for i in range(200):  # the worker may still be scanning what they sent: wait (bounded) for it
        try:
            st, j = check("pii-mask", ["mail jane.roe@example.org"]); break
        except Exception: time.sleep(0.1)
    print("after", st, j.get("texts"))
    q0 = metric("warden_model_jobs_queued_total")
    res = flood("/v1/guardrails/check", [{"guardrail": "pii-mask", "texts": [gen(100000, 8, "x")]} for i in range(20)])
    q1 = metric("warden_model_jobs_queued_total")
    print("statuses", sorted(set(r[0] for r in res)), "pool", int(q1 - q0) > 0)
if scen == "sigterm_scans":
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 150
    texts = [gen(int(sys.argv[6]) if len(sys.argv) > 6 else 1000000, 9, "x")] * n
    res = flood("/v1/guardrails/check", [{"guardrail": "pii-mask", "texts": [t]} for t in texts], sigterm_after=0.02)
    sts = {}
    for st, d in res:
        k = str(st)
        if st == 503:
            try: k += "/" + json.loads(d)["error"]["code"]
            except Exception: k += "/nonjson"
        sts[k] = sts.get(k, 0) + 1
    print("statuses", json.dumps(sts, sort_keys=True))
if scen == "rev_chat":
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 80
    out = {}
    def one(i):
        t = gen(70000 + 997 * i, 200 + i, ("x", "é", "😀")[i % 3])
        st, d = post("/v1/chat/completions", {"model": "m-rev", "messages": [{"role": "system", "content": t}, {"role": "user", "content": "hi"}], "mock": {"echo": "system"}})
        try: c = json.loads(d)["choices"][0]["message"]["content"]
        except Exception: c = None
        out[i] = "ok" if st == 200 and c == t else "BAD(%s, %s)" % (st, (c or d)[:80] if c != t else "")
    ths = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    [t.start() for t in ths]; [t.join(90) for t in ths]
    vals = list(out.values()); print("rev_chat", vals.count("ok"), "ok of", n, [v for v in vals if v != "ok"][:3])
if scen == "stream_big":
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 80
    out = {}
    def one(i):
        clean = i % 2 == 0
        t = ("hello world " * 8000) if clean else ("hello world " * 8000 + "AKIAIOSFODNN7EXAMPLE")
        st, d = post("/v1/chat/completions", {"model": "m-all", "stream": True, "messages": [{"role": "user", "content": t}]})
        out[i] = (clean, st, b"[DONE]" in d)
    ths = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    [t.start() for t in ths]; [t.join(90) for t in ths]
    good = sum(1 for (c, st, done) in out.values() if (c and st == 200 and done) or (not c and st == 400))
    print("stream_big", good, "as expected of", n, "sample", list(out.values())[:4])
if scen == "flood_chat":
    # N chat requests at once with a SIZE-byte prompt through m-mask (pii, timeout_ms 1000), ROUNDS times
    n = int(sys.argv[5]); size = int(sys.argv[6]); rounds = int(sys.argv[7]) if len(sys.argv) > 7 else 1
    t = gen(size, 9, "x").replace("AKIA", "ak").replace("ghp_", "gh")
    for rnd in range(rounds):
        q0 = metric("warden_model_jobs_queued_total")
        t0 = time.time()
        res = flood("/v1/chat/completions", [{"model": "m-mask", "messages": [{"role": "user", "content": t}]}] * n)
        q1 = metric("warden_model_jobs_queued_total")
        sts = {}
        for st, d in res:
            k = str(st)
            if st != 200:
                try: k += "/" + json.loads(d)["error"]["code"] + ":" + json.loads(d)["error"]["message"][:80]
                except Exception: k += "/nonjson"
            sts[k] = sts.get(k, 0) + 1
        print("statuses", json.dumps(sts, sort_keys=True), "pool-queued", q1 - q0, "%.2fs" % (time.time() - t0))
if scen == "boundary":
    res = []
    for size in (65535, 65536, 65537):
        for fill in ("x", "é", "€", "😀"):
            # emails at start, straddling byte 32768 and the end; filler with spaces; total exactly `size` bytes
            head = EMAIL + " "; tail = " " + EMAIL
            mid = " " + EMAIL + " "
            fillb = fill.encode()
            n_mid = size - len(head) - len(tail) - len(mid.encode())
            a = n_mid // 2; b = n_mid - a
            # pad a and b with whole characters + spaces to exact byte counts
            def pad(n):
                k = n // len(fillb); s = fill * k + " " * (n - k * len(fillb)); return s
            t = head + pad(a) + mid + pad(b) + tail
            assert len(t.encode()) == size, (size, len(t.encode()))
            st, j = check("pii-mask", [t])
            got = [(f["start"], f["end"]) for f in j.get("findings", []) if f.get("type") == "EMAIL_ADDRESS"]
            exp = cp_find(t, EMAIL)
            rew = j.get("texts", [None])[0] if isinstance(j, dict) else None
            same = compare("pii-mask", t)[0]  # the rewrite equals the loop's (the text in pieces)
            ok = st == 200 and got == exp and rew is not None and EMAIL not in rew and same
            res.append("%d/%s:%s" % (size, fill, "ok" if ok else "BAD(st=%s got=%s exp=%s rewlen=%s tlen=%d)" % (st, got, exp, rew and len(rew), len(t))))
    print(" ".join(res))
