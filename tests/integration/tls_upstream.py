#!/usr/bin/env python3
"""An OpenAI-style upstream over TLS for test_tls.sh (stdlib only).

tls_upstream.py PORT CERT KEY: answers POST .../chat/completions with a fixed
completion (or 20 SSE chunks when the body asks for "stream": true) and counts
the requests it served at GET /_count. Every answer carries Content-Length or
is chunked, so the client can keep the connection alive."""
import http.server
import json
import ssl
import sys

ANSWER = {"id": "chatcmpl-tls", "object": "chat.completion", "created": 1, "model": "tls-1",
          "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello over TLS"},
                       "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}}
served = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_bytes(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_count":
            self.send_bytes(200, str(served).encode())
        else:
            self.send_bytes(404, b'{"error":{"message":"no such path"}}')

    def do_POST(self):
        global served
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not self.path.endswith("/chat/completions"):
            self.send_bytes(404, b'{"error":{"message":"no such path"}}')
            return
        served += 1
        req = json.loads(body)
        if not req.get("stream"):
            self.send_bytes(200, json.dumps(ANSWER, separators=(",", ":")).encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        events = []
        for i in range(20):
            chunk = {"id": "chatcmpl-tls", "object": "chat.completion.chunk", "created": 1, "model": "tls-1",
                     "choices": [{"index": 0, "delta": {"content": "t%d " % i}, "finish_reason": None}]}
            events.append(("data: " + json.dumps(chunk, separators=(",", ":")) + "\n\n").encode())
        events.append(b"data: [DONE]\n\n")
        for e in events:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(e), e))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


def main():
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
