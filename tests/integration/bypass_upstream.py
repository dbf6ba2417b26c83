#!/usr/bin/env python3
"""Scripted upstream, leak scanner and raw HTTP client for test_bypass.sh (stdlib only).

    bypass_upstream.py serve PORT      an OpenAI-ish HTTP/1.1 upstream on 127.0.0.1:PORT
    bypass_upstream.py raw PORT        sends stdin's bytes as-is to 127.0.0.1:PORT and prints
                                       JSON {"statuses", "closed", "heads"} (every response it
                                       could parse, whether the server closed, 1.5 s of silence
                                       ending the wait; raw_client.py reads and splits)
    bypass_upstream.py stream URL      POSTs stdin (a JSON body) over HTTP/1.1 and prints JSON
                                       {"status", "reads": [[t_ms, text]...], "body"} with the
                                       wall-clock time of every read (chunked coding removed)
    bypass_upstream.py probe PORT      the shell's client for the control requests below: reads
                                       "GET TARGET" or "POST TARGET FILE" lines, prints each
                                       answer's body and then a PROBE_END line (one process and
                                       one kept-alive connection for the ~2,000 leak queries)

The upstream records every request it receives (also a body cut short by a closed connection)
and answers by scenario: the name is the request's "model" as the upstream itself parses it
(the LAST of duplicated keys, like most JSON parsers), so one Warden model per scenario picks
the answer. Unknown names get a clean completion (or a clean SSE stream when the request asks
for one, read the way a lenient server reads "stream": true, 1, "true", "1", "on", "yes").

Control (never recorded):
    GET  /_log?rid=RID                    the records whose x-request-id is RID
    GET  /_leak?rid=RID[&piece=N][&secret=S]...
                                          {"n": records, "models": [...], "leaks": [...]}: every
                                          place a secret reached the upstream for that request;
                                          first waits (up to 2 s) for the requests of RID whose
                                          head has arrived but whose body has not ended, so a
                                          body still arriving, or cut short, is in the answer
    POST /_scan?[piece=N][&secret=S]...   the same scan over the posted bytes (a client's answer)

A leak is: any string matching sk-[A-Za-z0-9]{20,} (the guards' pattern) or containing a
given secret, or (piece=N) any N-character piece of a given secret, found in the raw bytes or
in any decoded view of them: gzip/zlib decoded, UTF-8 read leniently (bad bytes replaced or
dropped), UTF-16, every JSON string (keys too, escapes decoded, strings holding JSON decoded
again), SSE events (data lines joined as the SSE spec says), and the concatenation of all
strings of a document or stream, and of each field across a stream's events (a secret split
across events, as a client reassembles it)."""
import base64
import gzip
import json
import re
import socket
import sys
import threading
import time
import urllib.parse
import zlib

SECRET = "sk-Q7vR2mXw9KpL4tYb8NcJ5hGd3Fs"  # 30 characters, matches the guards' pattern
PATTERN = re.compile(r"sk-[A-Za-z0-9]{20,}")
LOCK = threading.Lock()
RECORDS = []
# rid -> requests whose head has arrived and that are not recorded yet (a body still arriving);
# /_leak waits on FLIGHT until the rid it asks about has none
IN_FLIGHT = {}
FLIGHT = threading.Condition(LOCK)
PROBE_END = "\x1eprobe-end"


def now_ms():
    return time.time() * 1000.0


# ---------------------------------------------------------------- leak scanner

def json_strings(v, path="$", out=None):
    """Every string of a JSON value with its path; keys too; strings holding JSON are parsed."""
    if out is None:
        out = []
    if isinstance(v, str):
        out.append((path, v))
        s = v.strip()
        if s[:1] in ("{", "[") and len(path) < 400:
            try:
                json_strings(json.loads(s), path + "<json>", out)
            except ValueError:
                pass
    elif isinstance(v, dict):
        for k, x in v.items():
            out.append((path + "{key}", k))
            json_strings(x, "%s.%s" % (path, k), out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            json_strings(x, "%s[%d]" % (path, i), out)
    return out


def json_pairs_last(pairs):
    return dict(pairs)


def json_pairs_first(pairs):
    d = {}
    for k, v in pairs:
        d.setdefault(k, v)
    return d


def parse_json(text, first=False):
    return json.loads(text, object_pairs_hook=json_pairs_first if first else json_pairs_last)


def sse_events(text):
    """The data of each SSE event, as a conforming client assembles it (CR, LF or CRLF lines,
    several data lines joined by LF, "data:" with or without a space)."""
    events, data = [], []
    for line in re.split(r"\r\n|\r|\n", text):
        if line == "":
            if data:
                events.append("\n".join(data))
            data = []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
    if data:
        events.append("\n".join(data))
    return events


def decoded_views(raw):
    """(label, text) views of the bytes a reader could end up with."""
    blobs = [("raw", raw)]
    for label, fn in (("gzip", gzip.decompress), ("zlib", zlib.decompress),
                      ("deflate", lambda b: zlib.decompress(b, -15))):
        try:
            blobs.append((label, fn(raw)))
        except Exception:
            pass
    views = []
    for label, b in blobs:
        views.append((label + ":latin1", b.decode("latin-1")))
        views.append((label + ":utf8-replace", b.decode("utf-8", "replace")))
        views.append((label + ":utf8-ignore", b.decode("utf-8", "ignore")))
        if b[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(b) > 3 and (b[1:2] == b"\x00" or b[0:1] == b"\x00")):
            for enc in ("utf-16", "utf-16-le", "utf-16-be"):
                try:
                    views.append((label + ":" + enc, b.decode(enc)))
                except Exception:
                    pass
    unique, texts = [], set()
    for label, t in views:  # an ASCII body reads the same every way: scan it once
        if t not in texts:
            texts.add(t)
            unique.append((label, t))
    return unique


def strings_of(label, text):
    """(where, string) for the text, its JSON strings, its SSE events' strings, and the
    concatenation of all of them."""
    out = [(label, text)]
    docs = []
    for first in (False, True):
        try:
            docs.append(("json" + ("-first" if first else ""), parse_json(text.lstrip("\ufeff"), first)))
        except Exception:
            pass
    if not docs:
        for i, ev in enumerate(sse_events(text)):
            try:
                docs.append(("sse[%d]" % i, parse_json(ev)))
            except Exception:
                out.append(("%s sse[%d] (not JSON)" % (label, i), ev))
    allstr, per_field = [], {}
    for where, d in docs:
        for path, s in json_strings(d):
            out.append(("%s %s %s" % (label, where, path), s))
            if "{key}" not in path and "<json>" not in path and not where.endswith("-first"):
                allstr.append(s)
                per_field.setdefault(path, []).append(s)  # a field's pieces across SSE events
    if allstr:
        out.append(("%s all strings joined" % label, "".join(allstr)))
        for path, ss in per_field.items():
            if len(ss) > 1:
                out.append(("%s %s of every event, joined" % (label, path), "".join(ss)))
    return out


def pieces_of(sec, piece):
    """The pieces whose presence reveals a leak: every piece of a short secret; of a long one every
    piece-th (any run of 2 * piece - 1 characters of it holds one), so scans stay fast."""
    step = 1 if len(sec) <= 4 * piece else piece
    return [sec[i:i + piece] for i in range(0, len(sec) - piece + 1, step)]


def find_leaks(raw, secrets=(SECRET,), piece=0):
    """Pattern matches and whole secrets are looked for in every string; pieces only in the whole
    views and in the joined strings (which hold every string), to keep big bodies fast."""
    leaks, seen = [], set()
    pieces = [(sec, pieces_of(sec, piece) if piece else []) for sec in secrets]
    for label, text in decoded_views(raw):
        for where, s in strings_of(label, text):
            found = []
            m = PATTERN.search(s)
            if m:
                found.append("pattern match %r" % m.group(0)[:60])
            whole = where == label or where.endswith(" joined")
            for sec, ps in pieces:
                if sec in s:
                    found.append("secret %r" % sec[:40])
                elif whole:
                    for p in ps:
                        if p in s:
                            found.append("%d-char piece %r of the secret" % (piece, p))
                            break
            if found and where not in seen:  # one finding per place, the most specific first
                seen.add(where)
                f = found[-1] if len(found) > 1 else found[0]
                leaks.append("%s in %s: ...%s..." % (f, where, excerpt(s, f)))
    return leaks


def excerpt(s, finding):
    m = re.search(r"'(.+?)'", finding)
    i = s.find(m.group(1)) if m else -1
    i = max(i, 0)
    return s[max(0, i - 40):i + 70].encode("unicode_escape").decode("ascii")


def scan_params(query):
    q = urllib.parse.parse_qs(query)
    secrets = q.get("secret") or [SECRET, LONG_SECRET]
    piece = int(q.get("piece", ["0"])[0])
    return secrets, piece, q


# ---------------------------------------------------------------- answers

def completion(model, message=None, extra_choice=None, top=None):
    msg = {"role": "assistant", "content": "A clean answer from the scripted upstream."}
    if message is not None:
        msg = dict({"role": "assistant"}, **message)
    ch = {"index": 0, "message": msg, "finish_reason": "stop"}
    if extra_choice:
        ch.update(extra_choice)
    d = {"id": "chatcmpl-bypass", "object": "chat.completion", "created": 1700000000, "model": model,
         "choices": [ch], "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}
    if top:
        d.update(top)
    return json.dumps(d).encode()


def chunk_event(model, delta=None, choice=None, index=0, finish=None):
    ch = {"index": index, "delta": delta if delta is not None else {}, "finish_reason": finish}
    if choice:
        ch = choice
    ev = {"id": "chatcmpl-bypass", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
          "choices": [ch]}
    return b"data: " + json.dumps(ev).encode() + b"\n\n"


def split_text(text, n):
    """text in n pieces of near-equal size (n > len(text) gives one character per piece)."""
    n = max(1, min(n, len(text)))
    k, r = divmod(len(text), n)
    out, i = [], 0
    for j in range(n):
        w = k + (1 if j < r else 0)
        out.append(text[i:i + w])
        i += w
    return out


def content_stream(model, text, n, field="content"):
    evs = [chunk_event(model, {"role": "assistant", "content": ""})]
    evs += [chunk_event(model, {field: p}) for p in split_text(text, n)]
    evs.append(chunk_event(model, {}, finish="stop"))
    return evs + [b"data: [DONE]\n\n"]


S = SECRET
AROUND = "Here is what you asked for, the key is " + S + " and that is all."
LONG_STREAM = ("Some clean words to start the stream, nothing to hide here at all. " * 3 + "The key: " + S +
               " -- and then more clean words follow the key to the end of the answer. " * 2)
CLEAN150 = ("The quick brown fox jumps over the lazy dog while the cat watches from the warm windowsill "
            "and the birds sing softly in the old oak tree by the river")[:150]
SPLIT40 = "Clean opening words here, then the key " + S + " and clean closing words to finish it off ok."
LONG_SECRET = "sk-" + "".join("Q7vR2mXw9KpL4tYb8NcJ5hGd3FsZ"[i % 28] + "abcdefghij"[i % 10] for i in range(200))


def sc_json(body, ctype="application/json", status=200, extra=()):
    return {"status": status, "headers": [("Content-Type", ctype)] + list(extra), "body": body}


def sc_sse(events, delay=0.0, ctype="text/event-stream"):
    return {"status": 200, "headers": [("Content-Type", ctype), ("Cache-Control", "no-cache")],
            "events": events, "delay": delay}


def answer_for(name, rq, parsed):
    """The scripted answer of scenario `name`: {"status", "headers", "body"} or {..., "events"}."""
    m = name
    if name == "out-toolcalls":
        return sc_json(completion(m, {"content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "send", "arguments": json.dumps({"key": S})}}]},
            {"finish_reason": "tool_calls"}))
    if name == "out-split-parts":  # the secret split across two text parts: a client joins them
        return sc_json(completion(m, {"content": [{"type": "text", "text": "the key is sk-"}, {"type": "text", "text": S[3:]}]}))
    if name == "out-args-escaped":  # the secret JSON-escaped inside the arguments: the client's parse decodes it
        return sc_json(completion(m, {"content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "send", "arguments": '{"k":"s\\u006b-' + S[3:] + '"}'}}]},
            {"finish_reason": "tool_calls"}))
    if name == "out-toolcall-name":
        return sc_json(completion(m, {"content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": S, "arguments": "{}"}}]}))
    if name == "out-function-call":
        return sc_json(completion(m, {"content": None, "function_call": {"name": "send", "arguments": json.dumps({"k": S})}}))
    if name == "out-reasoning-content":
        return sc_json(completion(m, {"content": "fine", "reasoning_content": "I will reveal " + S}))
    if name == "out-reasoning":
        return sc_json(completion(m, {"content": "fine", "reasoning": "I will reveal " + S}))
    if name == "out-refusal":
        return sc_json(completion(m, {"content": None, "refusal": "I cannot share " + S}))
    if name == "out-legacy-text":
        return sc_json(json.dumps({"id": "cmpl-1", "object": "text_completion", "model": m,
                                   "choices": [{"index": 0, "text": "the key is " + S, "finish_reason": "stop"}]}).encode())
    if name == "out-n2":
        d = json.loads(completion(m))
        d["choices"].append({"index": 1, "message": {"role": "assistant", "content": "the key is " + S}, "finish_reason": "stop"})
        return sc_json(json.dumps(d).encode())
    if name == "out-logprobs":
        return sc_json(completion(m, None, {"logprobs": {"content": [
            {"token": "the", "logprob": -0.1, "bytes": [116, 104, 101], "top_logprobs": []},
            {"token": S, "logprob": -0.2, "bytes": list(S.encode()), "top_logprobs": [{"token": S, "logprob": -0.2}]}]}}))
    if name == "out-content-parts":
        return sc_json(completion(m, {"content": [{"type": "text", "text": "the key is " + S}]}))
    if name == "out-output-text-part":
        return sc_json(completion(m, {"content": [{"type": "output_text", "text": "the key is " + S}]}))
    if name == "out-unknown-field":
        return sc_json(completion(m, {"content": "fine", "audio": {"transcript": "the key is " + S}}))
    if name == "out-unknown-top":
        return sc_json(completion(m, None, None, {"debug_echo": "the key is " + S}))
    if name == "out-escaped":  # the secret with JSON escapes inside the string
        return sc_json(completion(m, {"content": "ESC"}).replace(b'"ESC"', b'"the key is s\\u006b-' + S[3:].encode() + b'"'))
    if name == "out-escaped-key":  # "c\u006fntent": a reader sees "content"
        return sc_json(completion(m, {"content": "fine"}).replace(b'"content": "fine"',
                                                                   b'"c\\u006fntent": "the key is ' + S.encode() + b'"'))
    if name == "out-dup-content":  # the last content wins in most readers
        return sc_json(completion(m, {"content": "fine"}).replace(b'"content": "fine"',
                                                                  b'"content": "fine", "content": "the key is ' + S.encode() + b'"'))
    if name == "out-dup-choices":
        d = completion(m).decode()
        bad = json.dumps([{"index": 0, "message": {"role": "assistant", "content": "the key is " + S}, "finish_reason": "stop"}])
        return sc_json(d.replace('"usage"', '"choices": %s, "usage"' % bad, 1).encode())
    if name == "out-aa-secret":  # a run of "a"s that sends a backtracking pattern past its limit
        return sc_json(completion(m, {"content": "a" * 40 + " " + "a" * 40 + "! key " + S}))
    if name == "out-toolcall-args-object":  # arguments as an object, as some servers (Ollama) send them
        return sc_json(completion(m, {"content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "send", "arguments": {"key": S}}}]}))
    if name == "out-ollama-shape":  # no choices at all: a native /api/chat answer
        return sc_json(json.dumps({"model": m, "message": {"role": "assistant", "content": "the key is " + S},
                                   "done": True}).encode())
    # ---- the answer reader: escaped keys, whitespace, literals a strict parser refuses
    if name == "out-escaped-choices":
        return sc_json(completion(m, {"content": "the key is " + S}).replace(b'"choices"', b'"ch\\u006fices"'))
    if name == "out-escaped-message":
        return sc_json(completion(m, {"content": "the key is " + S}).replace(b'"message"', b'"m\\u0065ssage"'))
    if name == "out-upper-hex":
        return sc_json(completion(m, {"content": "ESC"}).replace(b'"ESC"', b'"the key is s\\u006B-' + S[3:].encode() + b'"'))
    if name == "out-pretty":
        d = json.loads(completion(m, {"content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "send", "arguments": json.dumps({"key": S})}}]}))
        return sc_json(json.dumps(d, indent="\t", separators=(" ,", " :\r\n ")).encode())
    if name == "out-nan":
        return sc_json(completion(m, {"content": "the key is " + S}).replace(b'"usage"', b'"score": NaN, "usage"', 1))
    if name == "out-lone-surrogate":
        return sc_json(completion(m, {"content": "ESC"}).replace(b'"ESC"', b'"\\ud800the key is ' + S.encode() + b'"'))
    if name == "out-raw-ctrl":
        return sc_json(completion(m, {"content": "ESC"}).replace(b'"ESC"', b'"a\tb\nthe key is ' + S.encode() + b'"'))
    if name == "out-comment":
        return sc_json(completion(m).replace(b'"usage"', b'/* the key is ' + S.encode() + b' */ "usage"', 1))
    if name.startswith("out-status-"):  # another 2xx status with a normal answer
        return sc_json(completion(m, {"content": "the key is " + S}), status=int(name[len("out-status-"):]))
    if name == "out-ctype-vendor":  # a JSON answer under a vendor media type
        return sc_json(completion(m, {"content": "the key is " + S}), "application/vnd.example+json; charset=utf-8")
    if name == "out-interim":  # 100 Continue and 103 Early Hints before the answer
        r = sc_json(completion(m, {"content": "the key is " + S}))
        r["interim"] = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n"
        return r
    if name == "out-huge":  # more than the 1 MiB max_response_bytes of the test config
        return sc_json(completion(m, {"content": "x" * (1536 * 1024) + " the key is " + S}))
    if name == "out-two-docs":  # a clean document, then a second one (a streaming reader takes both)
        return sc_json(completion(m) + b"\n" + completion(m, {"content": "the key is " + S}))
    if name == "out-trailing-garbage":
        return sc_json(completion(m) + b" the key is " + S.encode())
    if name == "out-deep":  # nesting deeper than common parser limits, beside the secret
        return sc_json(completion(m, {"content": "the key is " + S}).replace(
            b'"usage"', b'"deep": ' + b"[" * 5000 + b"]" * 5000 + b', "usage"', 1))
    if name == "out-json-as-sse":  # a JSON answer labelled text/event-stream
        return sc_json(completion(m, {"content": "the key is " + S}), "text/event-stream")
    if name == "out-error-status":  # a provider error whose body carries generated text
        return sc_json(json.dumps({"error": {"message": "partial output: the key is " + S, "type": "server_error"}}).encode(),
                       status=500)
    if name == "out-text-plain":
        return sc_json(("the key is " + S).encode(), "text/plain")
    if name == "out-nonjson":
        return sc_json(b'{"choices": [{"message": {"content": "the key is ' + S.encode() + b'"}}', "application/json")
    if name == "out-no-ctype":
        return {"status": 200, "headers": [], "body": completion(m, {"content": "the key is " + S})}
    if name == "out-html":
        return sc_json(b"<html><body>the key is " + S.encode() + b"</body></html>", "text/html")
    if name == "out-gzip":
        return sc_json(gzip.compress(completion(m, {"content": "the key is " + S})), extra=[("Content-Encoding", "gzip")])
    if name == "out-deflate":
        return sc_json(zlib.compress(completion(m, {"content": "the key is " + S})), extra=[("Content-Encoding", "deflate")])
    if name == "out-gzip-upper":
        return sc_json(gzip.compress(completion(m, {"content": "the key is " + S})), extra=[("Content-Encoding", "GZIP")])
    if name == "out-gzip-list":
        return sc_json(gzip.compress(completion(m, {"content": "the key is " + S})), extra=[("Content-Encoding", "identity, gzip")])
    if name == "out-gzip-twice":
        return sc_json(gzip.compress(gzip.compress(completion(m, {"content": "the key is " + S}))),
                       extra=[("Content-Encoding", "gzip, gzip")])
    if name == "out-te-gzip":  # a compressed transfer coding under the chunked one
        r = sc_json(gzip.compress(completion(m, {"content": "the key is " + S})))
        r["transfer_coding"] = "gzip, chunked"
        return r
    if name == "out-br-unknown":
        return sc_json(gzip.compress(completion(m, {"content": "the key is " + S})), extra=[("Content-Encoding", "x-custom")])
    if name == "out-utf16":
        return sc_json(b"\xff\xfe" + completion(m, {"content": "the key is " + S}).decode().encode("utf-16-le"),
                       "application/json; charset=utf-16")
    if name == "out-bom":
        return sc_json(b"\xef\xbb\xbf" + completion(m, {"content": "the key is " + S}))
    if name == "out-nul-before":
        return sc_json(completion(m, {"content": "fine\u0000 the key is " + S}))
    if name == "out-error-with-secret-200":  # a 200 whose body is an error object carrying text
        return sc_json(json.dumps({"error": {"message": "the key is " + S, "type": "x"}}).encode())
    if name == "out-sse-for-json":  # an SSE answer to a stream:false request
        return sc_sse(content_stream(m, AROUND, 6))
    if name == "out-sse-as-json":  # SSE bytes labelled application/json
        return sc_sse(content_stream(m, AROUND, 6), ctype="application/json")
    if name == "out-json-for-stream":  # a JSON answer to a stream:true request
        return sc_json(completion(m, {"content": "the key is " + S}))
    if name == "out-follow":  # SSE when the request (as this upstream reads it) asks for a stream
        if wants_stream(parsed):
            return sc_sse(content_stream(m, AROUND, 6))
        return sc_json(completion(m, {"content": "the key is " + S}))
    if name == "out-follow-first":  # the same, for a reader that keeps the FIRST duplicate
        try:
            first = parse_json(rq["body"].decode("utf-8", "replace"), first=True)
        except ValueError:
            first = {}
        if wants_stream(first):
            return sc_sse(content_stream(m, AROUND, 6))
        return sc_json(completion(m, {"content": "the key is " + S}))
    # ---- streams
    if name == "st-content":
        return sc_sse(content_stream(m, AROUND, 8))
    if name == "st-200":
        return sc_sse(content_stream(m, LONG_STREAM, 200))
    if name == "st-1char":
        return sc_sse(content_stream(m, LONG_STREAM, 100000))
    if name == "st-long-secret":
        return sc_sse(content_stream(m, "start " + LONG_SECRET + " end", 60))
    if name == "st-clean40":
        return sc_sse(content_stream(m, CLEAN150, 40), delay=0.07)
    if name == "st-split40":
        return sc_sse(content_stream(m, SPLIT40, 40), delay=0.07)
    if name == "st-toolcalls":
        args = json.dumps({"key": S})
        evs = [chunk_event(m, {"role": "assistant", "content": None, "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function", "function": {"name": "send", "arguments": ""}}]})]
        evs += [chunk_event(m, {"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in split_text(args, 9)]
        return sc_sse(evs + [chunk_event(m, {}, finish="tool_calls"), b"data: [DONE]\n\n"])
    if name == "st-split-parts":  # one event whose content is two parts that join to the secret
        evs = [chunk_event(m, {"role": "assistant", "content": ""}),
               chunk_event(m, {"content": [{"type": "text", "text": "the key is sk-"}, {"type": "text", "text": S[3:]}]})]
        return sc_sse(evs + [chunk_event(m, {}, finish="stop"), b"data: [DONE]\n\n"])
    if name == "st-args-escaped":  # arguments streamed in pieces, the secret JSON-escaped inside them
        args = '{"k":"s\\u006b-' + S[3:] + '"}'
        evs = [chunk_event(m, {"role": "assistant", "content": None, "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function", "function": {"name": "send", "arguments": ""}}]})]
        evs += [chunk_event(m, {"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in split_text(args, 9)]
        return sc_sse(evs + [chunk_event(m, {}, finish="tool_calls"), b"data: [DONE]\n\n"])
    if name == "st-toolcalls-whole":
        evs = [chunk_event(m, {"role": "assistant", "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function", "function": {"name": "send", "arguments": json.dumps({"key": S})}}]})]
        return sc_sse(evs + [chunk_event(m, {}, finish="tool_calls"), b"data: [DONE]\n\n"])
    if name == "st-reasoning":
        return sc_sse(content_stream(m, AROUND, 8, field="reasoning_content"))
    if name == "st-reasoning2":
        return sc_sse(content_stream(m, AROUND, 8, field="reasoning"))
    if name == "st-refusal":
        return sc_sse(content_stream(m, AROUND, 8, field="refusal"))
    if name == "st-choice1":
        evs = [chunk_event(m, {"role": "assistant", "content": ""}, index=i) for i in (0, 1)]
        for i, p in enumerate(split_text(AROUND, 8)):
            evs.append(chunk_event(m, {"content": "clean "}, index=0))
            evs.append(chunk_event(m, {"content": p}, index=1))
        return sc_sse(evs + [b"data: [DONE]\n\n"])
    if name == "st-legacy-text":
        evs = [b"data: " + json.dumps({"id": "cmpl-1", "object": "text_completion", "model": m,
                                       "choices": [{"index": 0, "text": p, "finish_reason": None}]}).encode() + b"\n\n"
               for p in split_text(AROUND, 8)]
        return sc_sse(evs + [b"data: [DONE]\n\n"])
    if name == "st-logprobs":
        evs = [chunk_event(m, None, choice={"index": 0, "delta": {"content": "x"}, "finish_reason": None,
                                            "logprobs": {"content": [{"token": S, "logprob": -0.1, "top_logprobs": []}]}})]
        return sc_sse(evs + [b"data: [DONE]\n\n"])
    if name == "st-multiline-data":  # one event in two data lines: a client joins them with LF
        ev = json.dumps({"id": "c", "object": "chat.completion.chunk", "model": m,
                         "choices": [{"index": 0, "delta": {"content": "the key is " + S}, "finish_reason": None}]})
        cut = ev.index('"the key')
        return sc_sse([b"data: " + ev[:cut].encode() + b"\ndata: " + ev[cut:].encode() + b"\n\n", b"data: [DONE]\n\n"])
    if name == "st-cr-lines":  # lines ended by CR only (valid SSE)
        return sc_sse([e.replace(b"\n", b"\r") for e in content_stream(m, AROUND, 8)])
    if name == "st-crlf-lines":
        return sc_sse([e.replace(b"\n", b"\r\n") for e in content_stream(m, AROUND, 8)])
    if name == "st-nospace":  # "data:{...}" without the space
        return sc_sse([e.replace(b"data: ", b"data:") for e in content_stream(m, AROUND, 8)])
    if name == "st-escaped":
        evs = content_stream(m, "the key is ESC1ESC2 ok", 1)
        evs = [e.replace(b"ESC1", b"s\\u006b-").replace(b"ESC2", S[3:].encode()) for e in evs]
        return sc_sse(evs)
    if name == "st-dup-content":
        evs = content_stream(m, "fine", 1)
        evs = [e.replace(b'"content": "fine"', b'"content": "fine", "content": "the key is ' + S.encode() + b'"') for e in evs]
        return sc_sse(evs)
    if name == "st-gzip":
        r = sc_sse(content_stream(m, AROUND, 8))
        r["body"] = gzip.compress(b"".join(r.pop("events")))
        r["headers"].append(("Content-Encoding", "gzip"))
        return r
    if name == "st-bad-json-event":  # an event Warden cannot parse, then the secret in a good one
        evs = [b"data: {not json " + S.encode() + b"\n\n"] + content_stream(m, AROUND, 4)
        return sc_sse(evs)
    if name == "st-huge":  # 1.5 MB of clean text, then the secret
        return sc_sse(content_stream(m, "y" * (1536 * 1024) + " the key is " + S + " end", 400))
    if name == "st-unterminated":  # the last event has no blank line after it, then the stream ends
        evs = content_stream(m, "clean start ", 2)[:-1]
        ev = chunk_event(m, {"content": "the key is " + S})
        return sc_sse(evs + [ev[:-2]])
    if name == "st-plain-label":  # SSE bytes labelled text/plain
        return sc_sse(content_stream(m, AROUND, 8), ctype="text/plain")
    if name == "st-final-message":  # a last chunk that carries a whole message, as some providers send
        evs = content_stream(m, "clean ", 2)[:-1]
        evs.append(chunk_event(m, None, choice={"index": 0, "delta": {}, "message": {"role": "assistant",
                                                                               "content": "the key is " + S},
                                                 "finish_reason": "stop"}))
        return sc_sse(evs + [b"data: [DONE]\n\n"])
    if name == "st-comment":  # an SSE comment line carrying the secret (clients skip it; the bytes arrive)
        return sc_sse([b": the key is " + S.encode() + b"\n\n"] + content_stream(m, "clean", 2))
    if name == "st-id-field":  # the event id, which SSE clients expose as lastEventId
        return sc_sse([b"id: " + S.encode() + b"\n" + e for e in content_stream(m, "clean", 2)])
    if name == "st-content-parts":  # delta.content as a list of parts
        evs = [chunk_event(m, {"role": "assistant", "content": ""})]
        evs += [chunk_event(m, {"content": [{"type": "text", "text": p}]}) for p in split_text(AROUND, 6)]
        return sc_sse(evs + [b"data: [DONE]\n\n"])
    if name == "st-close-delimited":  # neither chunked nor a length: the stream ends with the connection
        r = sc_sse(content_stream(m, AROUND, 8))
        r["close_delimited"] = True
        return r
    if name == "st-escaped-delta":
        return sc_sse([e.replace(b'"delta"', b'"d\\u0065lta"') for e in content_stream(m, AROUND, 4)])
    if name == "st-escaped-choices":
        return sc_sse([e.replace(b'"choices"', b'"ch\\u006fices"') for e in content_stream(m, AROUND, 4)])
    if name == "st-upper-hex":
        evs = content_stream(m, "the key is ESC1ESC2 ok", 1)
        return sc_sse([e.replace(b"ESC1", b"s\\u006B-").replace(b"ESC2", S[3:].encode()) for e in evs])
    if name == "st-byte-slices":  # the whole stream in 7-byte writes, event borders anywhere
        payload = b"".join(content_stream(m, AROUND, 8))
        return sc_sse([payload[i:i + 7] for i in range(0, len(payload), 7)])
    if name == "st-bom":  # a byte-order mark before the first field (SSE readers drop it)
        evs = content_stream(m, AROUND, 4)
        return sc_sse([b"\xef\xbb\xbf" + evs[0]] + evs[1:])
    if name == "st-spaced":  # "data:  {" and spaces inside the JSON
        return sc_sse([e.replace(b"data: ", b"data:  ").replace(b'": ', b'" :  ') for e in content_stream(m, AROUND, 8)])
    if name.startswith("st-index-"):  # one choice, its index spelled two ways that lenient clients equate
        alt = {"st-index-string": '"0"', "st-index-float": "0.0", "st-index-exp": "0e0", "st-index-neg": "-0"}[name]
        evs = []
        for i, p in enumerate(split_text(AROUND, 30)):
            ev = chunk_event(m, {"content": p})
            if i % 2:
                ev = ev.replace(b'"index": 0', b'"index": ' + alt.encode())
            evs.append(ev)
        return sc_sse(evs + [b"data: [DONE]\n\n"])
    if name == "st-toolcall-index-string":  # a tool call's index as 0 and "0"
        args = json.dumps({"key": S})
        evs = [chunk_event(m, {"role": "assistant", "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function", "function": {"name": "send", "arguments": ""}}]})]
        for i, p in enumerate(split_text(args, 16)):
            tc = {"index": "0" if i % 2 else 0, "function": {"arguments": p}}
            evs.append(chunk_event(m, {"tool_calls": [tc]}))
        return sc_sse(evs + [b"data: [DONE]\n\n"])
    if name == "st-comment-inside":  # a comment line between the data lines of one event
        ev = json.dumps({"id": "c", "object": "chat.completion.chunk", "model": m,
                         "choices": [{"index": 0, "delta": {"content": "the key is " + S}, "finish_reason": None}]})
        cut = ev.index('"the key')
        return sc_sse([b"data: " + ev[:cut].encode() + b"\n: ping\ndata: " + ev[cut:].encode() + b"\n\n",
                       b"data: [DONE]\n\n"])
    if name == "st-utf16":  # an SSE stream in UTF-16, labelled so (readers that honour charset decode it)
        r = sc_sse([], ctype="text/event-stream; charset=utf-16")
        r["events"] = [b"\xff\xfe" + b"".join(content_stream(m, AROUND, 4)).decode().encode("utf-16-le")]
        return r
    if name == "st-event-field":  # named events and ids around the data
        return sc_sse([b"event: message\nid: 7\n" + e for e in content_stream(m, AROUND, 8)])
    # ---- upstream errors echoing the provider key
    if name.startswith("err-echo-"):
        status = int(name[len("err-echo-"):])
        auth = rq["headers"].get("authorization", "")
        body = json.dumps({"error": {"message": "Incorrect API key provided: " + auth + " (key " +
                                     auth.replace("Bearer ", "") + ")", "type": "invalid_request_error",
                                     "code": "invalid_api_key"}}).encode()
        return sc_json(body, status=status, extra=[("X-Echo-Auth", auth), ("WWW-Authenticate", 'Bearer error="' + auth + '"')])
    # ---- default: clean
    if rq["path"].endswith("/embeddings"):
        return sc_json(json.dumps({"object": "list", "model": m, "data": [{"object": "embedding", "index": 0,
                                                                           "embedding": [0.1, 0.2]}],
                                   "usage": {"prompt_tokens": 1, "total_tokens": 1}}).encode())
    if isinstance(parsed, dict) and isinstance(parsed.get("response_format"), dict):
        return sc_json(completion(m, {"content": "{}"}))  # valid for the suite's object schemas
    if wants_stream(parsed):
        return sc_sse(content_stream(m, "A clean streamed answer.", 4))
    return sc_json(completion(m))


def wants_stream(parsed):
    v = parsed.get("stream") if isinstance(parsed, dict) else None
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "on", "yes")
    return bool(v) and v is not None


# ---------------------------------------------------------------- server

class PeerClosed(Exception):
    pass


def recv_more(sock, buf):
    d = sock.recv(65536)
    if not d:
        raise PeerClosed()
    return buf + d


def read_request(sock, buf, rec_partial):
    while b"\r\n\r\n" not in buf:
        buf = recv_more(sock, buf)
        if len(buf) > 1 << 20:
            raise PeerClosed()
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    rq = {"method": method, "target": target, "path": target.split("?")[0], "headers": headers, "body": b""}
    rec_partial[0] = rq
    if not rq["path"].startswith("/_"):
        flight_add(rq, 1)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while True:
            while b"\r\n" not in buf:
                buf = recv_more(sock, buf)
            line, buf = buf.split(b"\r\n", 1)
            n = int(line.split(b";")[0].strip() or b"0", 16)
            while len(buf) < n + 2:
                rq["body"] = body + buf
                buf = recv_more(sock, buf)
            body += buf[:n]
            buf = buf[n + 2:]
            rq["body"] = body
            if n == 0:
                break
    else:
        n = int(headers.get("content-length", "0") or 0)
        while len(buf) < n:
            rq["body"] = buf
            buf = recv_more(sock, buf)
        rq["body"], buf = buf[:n], buf[n:]
    rec_partial[0] = None
    return rq, buf


def flight_add(rq, n):
    rid = rq["headers"].get("x-request-id")
    with FLIGHT:
        IN_FLIGHT[rid] = IN_FLIGHT.get(rid, 0) + n
        if IN_FLIGHT[rid] <= 0:
            del IN_FLIGHT[rid]
            FLIGHT.notify_all()


def record(rq, partial=False):
    body = rq["body"]
    rec = {"rid": rq["headers"].get("x-request-id"), "path": rq["path"], "method": rq["method"],
           "headers": rq["headers"], "body_b64": base64.b64encode(body).decode(), "partial": partial,
           "at_ms": now_ms(), "sent_ms": []}
    try:
        rec["model_last"] = parse_json(body.decode("utf-8", "replace")).get("model")
        rec["model_first"] = parse_json(body.decode("utf-8", "replace"), first=True).get("model")
    except Exception:
        rec["model_last"] = rec["model_first"] = None
    with LOCK:
        RECORDS.append(rec)
    return rec


def http_answer(sock, status, headers, body, interim=b""):
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
              500: "Internal Server Error"}.get(status, "Status")
    head = "HTTP/1.1 %d %s\r\n" % (status, reason)
    for k, v in headers:
        head += "%s: %s\r\n" % (k, v)
    head += "Content-Length: %d\r\n\r\n" % len(body)
    sock.sendall(interim + head.encode("latin-1") + body)


def control(sock, rq):
    path, _, query = rq["target"].partition("?")
    secrets, piece, q = scan_params(query)
    text = q.get("fmt", [""])[0] == "text"
    if path == "/_log":
        rid = q.get("rid", [None])[0]
        with LOCK:
            recs = [r for r in RECORDS if rid is None or r["rid"] == rid]
        body = json.dumps(recs).encode()
    elif path == "/_leak":
        rid = q.get("rid", [None])[0]
        with FLIGHT:
            FLIGHT.wait_for(lambda: rid not in IN_FLIGHT, timeout=2.0)
            recs = [r for r in RECORDS if r["rid"] == rid]
        leaks = []
        for r in recs:
            raw = base64.b64decode(r["body_b64"])
            leaks += ["upstream %s%s: %s" % (r["path"], " (partial body)" if r["partial"] else "", l)
                      for l in find_leaks(raw, secrets, piece)]
        body = json.dumps({"n": len(recs), "models": sorted({str(r["model_last"]) for r in recs} |
                                                            {str(r["model_first"]) for r in recs}),
                           "leaks": leaks, "sent_ms": [r["sent_ms"] for r in recs]}).encode()
    elif path == "/_scan":
        body = json.dumps({"leaks": find_leaks(rq["body"], secrets, piece)}).encode()
    else:
        http_answer(sock, 404, [], b"")
        return
    if text and path in ("/_leak", "/_scan"):  # for shell callers: "n=N models=A,B" then one leak a line
        d = json.loads(body)
        lines = ["n=%s models=%s" % (d.get("n", 0), ",".join(d.get("models", [])))] + d["leaks"]
        body = ("\n".join(lines) + "\n").encode()
    http_answer(sock, 200, [("Content-Type", "application/json")], body)


def serve_conn(sock):
    buf = b""
    partial = [None]
    try:
        while True:
            rq, buf = read_request(sock, buf, partial)
            if rq["path"].startswith("/_"):
                control(sock, rq)
                continue
            rec = record(rq)
            flight_add(rq, -1)
            try:
                parsed = parse_json(rq["body"].decode("utf-8", "replace"))
            except Exception:
                parsed = {}
            name = rec["model_last"] if isinstance(rec["model_last"], str) else "ok"
            a = answer_for(name, rq, parsed)
            if a.get("close_delimited"):
                head = "HTTP/1.1 200 OK\r\nConnection: close\r\n" + "".join("%s: %s\r\n" % kv for kv in a["headers"])
                sock.sendall((head + "\r\n").encode())
                for ev in a["events"]:
                    sock.sendall(ev)
                    rec["sent_ms"].append(now_ms())
                break
            if "events" in a:
                head = "HTTP/1.1 200 OK\r\n" + "".join("%s: %s\r\n" % kv for kv in a["headers"])
                sock.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
                for i, ev in enumerate(a["events"]):
                    if i and a["delay"]:
                        time.sleep(a["delay"])
                    sock.sendall(b"%x\r\n%s\r\n" % (len(ev), ev))
                    rec["sent_ms"].append(now_ms())
                sock.sendall(b"0\r\n\r\n")
            elif a.get("transfer_coding"):
                head = "HTTP/1.1 %d OK\r\n" % a["status"] + "".join("%s: %s\r\n" % kv for kv in a["headers"])
                body = a["body"]
                sock.sendall((head + "Transfer-Encoding: %s\r\n\r\n" % a["transfer_coding"]).encode() +
                             b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            else:
                http_answer(sock, a["status"], a["headers"], a["body"], a.get("interim", b""))
    except (PeerClosed, OSError, ValueError):
        if partial[0] is not None and not partial[0]["path"].startswith("/_"):
            if partial[0]["body"]:
                record(partial[0], partial=True)
            flight_add(partial[0], -1)
    try:
        sock.close()
    except OSError:
        pass


def serve(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(256)
    while True:
        s, _ = ls.accept()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve_conn, args=(s,), daemon=True).start()


# ---------------------------------------------------------------- clients

def raw_client(port):
    """Sends stdin's bytes as they are; the reading and response splitting are raw_client.py's."""
    import raw_client as rc  # tests/integration/raw_client.py, beside this file
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(sys.stdin.buffer.read())
    data, closed = rc.read_all(s, quiet=1.5)
    s.close()
    rs = rc.parse_responses(data)
    print(json.dumps({"statuses": [r[0] for r in rs], "closed": closed,
                      "heads": ["%d %s" % (r[0], json.dumps(r[1])[:200]) for r in rs],
                      "body": data.decode("latin-1")[-1500:]}))


def stream_client(url):
    import http.client
    u = urllib.parse.urlparse(url)
    body = sys.stdin.buffer.read()
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    c.request("POST", u.path, body=body, headers={"Content-Type": "application/json",
                                                  "x-request-id": sys.argv[3] if len(sys.argv) > 3 else "stream"})
    r = c.getresponse()
    reads, all_ = [], b""
    end = time.time() + 20
    while time.time() < end:
        d = r.read1(65536)
        if not d:
            break
        reads.append([now_ms(), d.decode("utf-8", "replace")])
        all_ += d
    print(json.dumps({"status": r.status, "reads": reads, "body": all_.decode("utf-8", "replace")}))


def probe(port):
    """One kept-alive connection to the control endpoints for a shell script (see the top)."""
    import http.client
    conn = None
    for line in sys.stdin:
        parts = line.rstrip("\n").split(" ", 2)
        out = None
        for attempt in (0, 1):  # a second try on a fresh connection if the kept one broke
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                body = None
                if parts[0] == "POST":
                    with open(parts[2], "rb") as f:
                        body = f.read()
                conn.request(parts[0], parts[1], body=body)
                out = conn.getresponse().read().decode("utf-8", "replace")
                break
            except (OSError, http.client.HTTPException, IndexError) as e:
                conn = None
                out = "probe: %s failed: %s\n" % (line.strip()[:200], e)
        if out and not out.endswith("\n"):
            out += "\n"
        sys.stdout.write(out + PROBE_END + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "serve":
        serve(int(sys.argv[2]))
    elif cmd == "raw":
        raw_client(int(sys.argv[2]))
    elif cmd == "stream":
        stream_client(sys.argv[2])
    elif cmd == "probe":
        probe(int(sys.argv[2]))
    elif cmd == "scan":  # scan stdin: bypass_upstream.py scan [PIECE] [SECRET...]
        piece = int(sys.argv[2]) if len(sys.argv) > 2 else 0
        print("\n".join(find_leaks(sys.stdin.buffer.read(), sys.argv[3:] or [SECRET, LONG_SECRET], piece)))
    else:
        sys.exit("usage: bypass_upstream.py serve PORT | raw PORT | stream URL [RID] | probe PORT | scan [PIECE] [SECRET...]")
