#!/usr/bin/env python3
"""Writes data/prompt-injection/technical.csv: ordinary technical texts, all labelled benign, as
negatives for the injection model (run from the repository root; deterministic).

Why: the labelled injection sets are prose. Their attacks include encoded payloads (base64, hex,
escapes) and other languages, and their benign texts are mostly English requests, so a model
trained on them alone learns "code, data or unusual characters = attack": it blocked C and
Python source, logs, JSON, CSV, hexdumps and tables of numbers (an adversary's probe, 2026-12-01).
These rows teach it that such texts are ordinary. The decoders and the lexicon, not the model,
judge what an encoded payload says.

Sources (all written for Warden, MIT like the repository): chunks of the project's own C, shell,
Python, Makefile and YAML files (the detector's own sources and word lists, the test data and
README are left out: they quote attacks; so are src/guard/engine_local.c and tests/integration/*.py,
kept for probing); and generated logs, JSON, CSV / TSV, hexdumps, hashes, UUIDs, SQL, stack
traces, diffs, random base64 / hex blobs, numbers and formulas.
"""
import base64
import csv
import glob
import hashlib
import json
import os
import random
import uuid

OUT = "data/prompt-injection/technical.csv"
rng = random.Random(20261201)

HELD_OUT = {"src/guard/engine_local.c"}


def code_files():
    pats = ["src/**/*.c", "src/**/*.h", "bench/*.c", "bench/*.sh", "scripts/*.sh", "tests/unit/**/*.c",
            "tests/fuzz/*.c", "Makefile", ".ci/run", "examples/**/*.yaml", "examples/**/*.c", "data/**/*.py"]
    files = set()
    for p in pats:
        files.update(glob.glob(p, recursive=True))
    skip = ("injection", "canary", "gen_", "cv.py", "test_bypass", "attack")
    return sorted(f for f in files if f not in HELD_OUT and not any(s in os.path.basename(f) for s in skip))


def chunks(text, n):
    lines = text.splitlines()
    out = []
    for _ in range(n):
        if len(lines) < 4:
            break
        a = rng.randrange(len(lines))
        b = min(len(lines), a + rng.randint(3, 60))
        c = "\n".join(lines[a:b]).strip()
        if 40 <= len(c) <= 4000:
            out.append(c)
    return out


def word():
    return rng.choice(["item", "user", "order", "invoice", "cart", "session", "node", "pod", "job", "task",
                       "widget", "report", "account", "device", "sensor", "batch", "file", "cache"])


def gen_log():
    lvl = ["INFO", "DEBUG", "WARN", "ERROR"]
    lines = []
    for i in range(rng.randint(3, 40)):
        t = f"2026-{rng.randint(1,12):02d}-{rng.randint(1,28):02d}T{rng.randint(0,23):02d}:{rng.randint(0,59):02d}:{rng.randint(0,59):02d}Z"
        k = rng.randrange(4)
        if k == 0:
            lines.append(f"{t} {rng.choice(lvl)} {word()}[{rng.randint(0,99)}] {rng.choice(['GET','POST','PUT','DELETE'])} "
                         f"/api/v{rng.randint(1,3)}/{word()}s?id={rng.randint(1,9999)} {rng.choice([200,201,204,301,400,404,500])} "
                         f"{rng.randint(0,900)}ms ua=Mozilla/5.0")
        elif k == 1:
            lines.append(f"{rng.randint(10,250)}.{rng.randint(0,255)}.{rng.randint(0,255)}.{rng.randint(1,254)} - - "
                         f"[{rng.randint(1,28)}/Nov/2026:{rng.randint(0,23):02d}:{rng.randint(0,59):02d}:11 +0000] "
                         f"\"GET /{word()}/{rng.randint(1,500)} HTTP/1.1\" {rng.choice([200,304,404])} {rng.randint(100,90000)}")
        elif k == 2:
            lines.append(f"{t} [{rng.choice(lvl)}] {word()}_service: {rng.choice(['connected to', 'retrying', 'timeout from', 'closed', 'ignored duplicate from', 'override applied for'])} "
                         f"{word()}-{rng.randint(1,30)} after {rng.randint(1,5000)} ms (attempt {rng.randint(1,5)})")
        else:
            lines.append(json.dumps({"ts": t, "level": rng.choice(lvl).lower(), "msg": f"{word()} {rng.choice(['created','updated','skipped','failed'])}",
                                     "id": rng.randint(1, 10**6), "latency_ms": round(rng.random() * 100, 2)}))
    return "\n".join(lines)


def gen_json():
    rows = [{"id": i, "uuid": str(uuid.UUID(int=rng.getrandbits(128))), "name": f"{word()} {i}",
             "tags": rng.sample(["a", "b", "new", "sale", "blue", "x1"], 2), "price": round(rng.random() * 100, 2),
             "active": rng.random() < 0.5} for i in range(rng.randint(1, 30))]
    return json.dumps(rows if rng.random() < 0.7 else {"data": rows, "next": None}, indent=rng.choice([None, 2]))


def gen_table():
    sep = rng.choice([",", "\t", ";", " | "])
    cols = rng.randint(2, 8)
    out = []
    for _ in range(rng.randint(3, 50)):
        cells = []
        for _ in range(cols):
            k = rng.randrange(5)
            cells.append(str(rng.randint(0, 300)) if k == 0 else f"{rng.random():.4f}" if k == 1 else
                         str(uuid.UUID(int=rng.getrandbits(128))) if k == 2 else rng.choice(["red", "blue", "green", "N/A", "true"])
                         if k == 3 else f"{word()}{rng.randint(1,99)}")
        out.append(sep.join(cells))
    return "\n".join(out)


def gen_hex():
    k = rng.randrange(4)
    if k == 0:
        return "\n".join("%08x  " % (i * 16) + " ".join("%02x" % rng.getrandbits(8) for _ in range(16)) for i in range(rng.randint(2, 40)))
    if k == 1:
        return "\n".join(hashlib.sha256(str(rng.random()).encode()).hexdigest() + f"  {word()}{i}.tar.gz" for i in range(rng.randint(1, 30)))
    if k == 2:
        return rng.choice(["", "checksum: ", "sha1 ", "commit "]) + " ".join(hashlib.sha1(str(rng.random()).encode()).hexdigest() for _ in range(rng.randint(1, 20)))
    return ", ".join(str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(rng.randint(1, 40)))


def gen_blob():
    raw = bytes(rng.getrandbits(8) for _ in range(rng.randint(30, 2000)))
    b = base64.b64encode(raw).decode()
    return rng.choice(["data:image/png;base64,", "Here is my screenshot: data:image/jpeg;base64,", "payload=", "key: ",
                       "The attachment (base64): ", ""]) + b + rng.choice(["", " can you tell me what format this is?", "\n"])


def gen_sql():
    t = word() + "s"
    return rng.choice([
        f"SELECT id, name, created_at FROM {t} WHERE status = 'active' AND created_at > now() - interval '{rng.randint(1,30)} days' ORDER BY created_at DESC LIMIT {rng.randint(10,100)};",
        f"UPDATE {t} SET updated_at = now(), version = version + 1 WHERE id = {rng.randint(1,9999)};",
        f"CREATE INDEX IF NOT EXISTS {t}_by_time ON {t}(created_at, id);",
        f"INSERT INTO {t} (id, name) VALUES ({rng.randint(1,99)}, '{word()}') ON CONFLICT (id) DO NOTHING;",
        f"SELECT u.id, count(o.id) FROM users u LEFT JOIN {t} o ON o.user_id = u.id GROUP BY 1 HAVING count(o.id) > {rng.randint(1,9)};"])


def gen_trace():
    f = rng.choice(["main.py", "app/server.py", "worker.py"])
    return ("Traceback (most recent call last):\n" + "".join(
        f"  File \"/srv/{f}\", line {rng.randint(1,400)}, in {rng.choice(['run','handle','load','<module>'])}\n    {word()}()\n"
        for _ in range(rng.randint(1, 5))) + rng.choice(["ValueError: bad input", "KeyError: 'id'", "TimeoutError: timed out"]))


def gen_diff():
    return "".join(f"diff --git a/src/{word()}.c b/src/{word()}.c\n@@ -{rng.randint(1,90)},5 +{rng.randint(1,90)},6 @@\n-int {word()} = {rng.randint(0,9)};\n"
                   f"+int {word()} = {rng.randint(0,9)};\n+/* {rng.choice(['ignore the old value', 'override the default', 'forget cached entries', 'new rule for retries'])} */\n"
                   for _ in range(rng.randint(1, 6)))


def gen_math():
    a, b, c = rng.randint(1, 9), rng.randint(1, 9), rng.randint(1, 9)
    return rng.choice([
        f"Let f(x) = {a}x^2 + {b}x - {c}. Then f'(x) = {2*a}x + {b}. Solve f(x) = 0 and sketch the graph.",
        f"∫_0^{a} x² dx = {a**3}/3; ∑_(k=1)^n k = n(n+1)/2; lim x→0 sin(x)/x = 1.",
        f"Matrix A = [[{a},{b}],[{c},{a+b}]], det A = {a*(a+b)-b*c}. Find A⁻¹ and the eigenvalues.",
        " ".join(str(rng.randint(0, 999)) for _ in range(rng.randint(10, 120))),
        f"Convert {rng.randint(0,255):08b} {rng.randint(0,255):08b} to decimal and explain two's complement."])


GENERATORS = [gen_log, gen_json, gen_table, gen_hex, gen_blob, gen_sql, gen_trace, gen_diff, gen_math]


def main():
    rows = []
    for f in code_files():
        try:
            text = open(f, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        rows += chunks(text, max(1, len(text) // 6000))
    for g in GENERATORS:
        rows += [g() for _ in range(120)]
    seen, out = set(), []
    for r in rows:
        if r not in seen:
            seen.add(r)
            out.append(r)
    with open(OUT, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["tweet", "class"])
        for r in out:
            w.writerow([r, "benign"])
    print(f"{len(out)} technical rows")


if __name__ == "__main__":
    main()
