#!/usr/bin/env bash
# Answers over server.max_response_bytes and SSE events over the event cap end the request
# with a clear error (and the cancelled upstream call is released: run under ASan too).
source "$(dirname "$0")/lib.sh"
start_mock
start_warden "$(cat <<'YAML'
server: {listen: "127.0.0.1:@PORT@", workers: 1, max_response_bytes: 2k}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1"}
models:
  - name: m
    targets: [{provider: local, model: mock-1}]
YAML
)"
BIG=$(head -c 6000 /dev/zero | tr '\0' 'x')
for i in 1 2 3; do
    body=$(chat '{"model":"m","mock":{"content":"'"$BIG"'"},"messages":[{"role":"user","content":"x"}]}')
done
check "answer over max_response_bytes: 502" eq "$(status)" 502
check "answer over max_response_bytes: named in the error" contains "$body" 'upstream_response_too_large'
out=$(curl -sN --max-time 10 -H 'Content-Type: application/json' \
    -d '{"model":"m","stream":true,"mock":{"content":"'"$BIG"'","chunks":2},"messages":[{"role":"user","content":"x"}]}' \
    "$WARDEN/v1/chat/completions")
check "a stream is relayed past max_response_bytes (it is not buffered)" contains "$out" '[DONE]'
body=$(chat '{"model":"m","messages":[{"role":"user","content":"x"}]}')
check "still serving after oversized answers" eq "$(status)" 200
check "warden alive" alive
finish
