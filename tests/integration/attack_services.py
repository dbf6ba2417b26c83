#!/usr/bin/env python3
"""Hostile peers for test_attack.sh, standard library only, raw sockets so an
answer can break anywhere.

  attack_services.py guard PORT RECORD_FILE
      A LiteLLM Generic Guardrail API service (POST /beta/litellm_basic_guardrail_api)
      whose answer is chosen by a keyword in the texts (see GUARD_ANSWERS and the
      special cases in guard_answer). Every request is appended to RECORD_FILE as
      {"headers": {...}, "body": {...}}.
  attack_services.py echo PORT
      An OpenAI-style upstream that answers with the last user message's text, as the
      content and as a tool call's arguments ({"q": TEXT}); streamed when asked, the
      content split into 1-byte chunks so a placeholder is split at every position.
"""
import json
import socket
import sys
import threading
import time

GUARD_PATH = "/beta/litellm_basic_guardrail_api"


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None, None, None
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return lines[0], headers, rest[:n]


def send(conn, status, body, ctype="application/json", extra=""):
    if isinstance(body, str):
        body = body.encode()
    conn.sendall(("HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n%s\r\n"
                  % (status, ctype, len(body), extra)).encode() + body)


def guard_answer(conn, texts):
    joined = " ".join(t for t in texts if isinstance(t, str))
    if "EXTRAFIELDS" in joined:
        return send(conn, 200, json.dumps({"action": "NONE", "texts": None, "blocked_reason": None,
                                           "guardrail_response": {"x": 1}, "vendor": [1, 2]}))
    if "CLOSEMID" in joined:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"action\":")
        return
    if "CHUNKED" in joined:
        body = json.dumps({"action": "NONE"}).encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                     b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        return
    if "NOLENGTH" in joined:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" +
                     json.dumps({"action": "NONE"}).encode())
        return
    if "INTERVENEDNULL" in joined:
        return send(conn, 200, json.dumps({"action": "GUARDRAIL_INTERVENED", "texts": None}))
    if "TEXTSBADTYPE" in joined:
        return send(conn, 200, json.dumps({"action": "GUARDRAIL_INTERVENED", "texts": [1] * len(texts)}))
    if "BLOCKNOREASON" in joined:
        return send(conn, 200, json.dumps({"action": "BLOCKED"}))
    if "NASTYREWRITE" in joined:
        nasty = "q\"uo\\te\n\t</script>\u2028 😀 é"
        return send(conn, 200, json.dumps({"action": "GUARDRAIL_INTERVENED", "texts": [nasty] * len(texts)}))
    if "NULREWRITE" in joined:
        return send(conn, 200, '{"action":"GUARDRAIL_INTERVENED","texts":["a\\u0000b"]}')
    if "SURROGATE" in joined:
        return send(conn, 200, '{"action":"GUARDRAIL_INTERVENED","texts":["a\\ud800b"]}')
    if "HUGEANSWER" in joined:
        return send(conn, 200, json.dumps({"action": "NONE", "pad": "x" * (20 << 20)}))
    if "STATUS500" in joined:
        return send(conn, 500, '{"detail":"boom"}')
    if "REDIRECT" in joined:
        return send(conn, 302, "", extra="Location: http://127.0.0.1:1/\r\n")
    if "EMPTY200" in joined:
        return send(conn, 200, "")
    if "STALLHEAD" in joined:
        time.sleep(5)
        return
    if "ARRAYANSWER" in joined:
        return send(conn, 200, "[]")
    return send(conn, 200, json.dumps({"action": "NONE"}))


def guard_conn(conn, record):
    try:
        line, headers, body = read_request(conn)
        if line is None:
            return
        if line.split(" ")[1] != GUARD_PATH:
            return send(conn, 404, '{"detail":"Not Found"}')
        req = json.loads(body)
        with open(record, "a") as f:
            f.write(json.dumps({"headers": headers, "body": req}) + "\n")
        guard_answer(conn, req.get("texts") or [])
    except (OSError, ValueError):
        pass
    finally:
        conn.close()


def last_user_text(req):
    for m in reversed(req.get("messages", [])):
        if m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, str):
                return c
            if isinstance(c, list):
                return "".join(p.get("text", "") for p in c if isinstance(p, dict))
    return ""


def echo_conn(conn):
    try:
        line, headers, body = read_request(conn)
        if line is None:
            return
        req = json.loads(body)
        text = last_user_text(req)
        call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": json.dumps({"q": text})}}
        usage = {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}
        if not req.get("stream"):
            msg = {"role": "assistant", "content": text, "tool_calls": [call]}
            return send(conn, 200, json.dumps({"id": "c1", "object": "chat.completion", "created": 1, "model": "echo-1",
                                               "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}],
                                               "usage": usage}))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
        def ev(delta, finish=None):
            d = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "echo-1",
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            conn.sendall(("data: %s\n\n" % json.dumps(d)).encode())
        ev({"role": "assistant", "content": ""})
        b = text.encode()
        i = 0
        while i < len(b):  # one code point per chunk (1 to 4 bytes)
            j = i + 1
            while j < len(b) and (b[j] & 0xC0) == 0x80:
                j += 1
            ev({"content": b[i:j].decode()})
            i = j
        ev({}, "stop")
        if (req.get("stream_options") or {}).get("include_usage"):
            conn.sendall(("data: %s\n\n" % json.dumps({"id": "c1", "object": "chat.completion.chunk", "created": 1,
                                                          "model": "echo-1", "choices": [], "usage": usage})).encode())
        conn.sendall(b"data: [DONE]\n\n")
    except (OSError, ValueError):
        pass
    finally:
        conn.close()


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    while True:
        conn, _ = s.accept()
        if mode == "guard":
            t = threading.Thread(target=guard_conn, args=(conn, sys.argv[3]), daemon=True)
        else:
            t = threading.Thread(target=echo_conn, args=(conn,), daemon=True)
        t.start()


if __name__ == "__main__":
    main()
