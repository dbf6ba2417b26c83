#!/usr/bin/env bash
# Starts warden-mock (:9000) and Warden (:8080) on loopback with examples/quickstart.yaml.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENAI_API_KEY=${OPENAI_API_KEY:-sk-quickstart-not-a-real-key}
build/warden --check-config examples/quickstart.yaml
build/warden-mock --listen 127.0.0.1:9000 --quiet &
MOCK=$!
build/warden --config examples/quickstart.yaml &
WARDEN=$!
trap 'kill $WARDEN $MOCK 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.1; done
cat <<'MSG'

Warden is up on http://127.0.0.1:8080 (mock upstream on :9000). Try:

  curl -s http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \
       -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'

  curl -sN http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \
       -d '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hello"}]}'

  curl -s http://127.0.0.1:8080/metrics | head

Ctrl-C stops both.
MSG
wait $WARDEN
