#!/usr/bin/env bash
# https upstreams go through the libcurl transport with TLS verification on:
# an upstream whose certificate the system store does not trust is refused
# (502 naming the certificate problem), the same upstream with its CA given as
# the provider's ca_file works (non-streaming and streaming, connection reused),
# and a certificate for another name is refused even with the right CA.
. "$(dirname "$0")/lib.sh"

# a throw-away CA and a server certificate for 127.0.0.1 only
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=warden test CA" \
    -keyout "$TMP/ca.key" -out "$TMP/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$TMP/srv.key" -out "$TMP/srv.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' >"$TMP/san.ext"
openssl x509 -req -in "$TMP/srv.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial -days 2 \
    -extfile "$TMP/san.ext" -out "$TMP/srv.pem" >/dev/null 2>&1
check "test certificates made" test -s "$TMP/srv.pem"

TLS_PORT=$(free_port)
python3 "$ROOT/tests/integration/tls_upstream.py" "$TLS_PORT" "$TMP/srv.pem" "$TMP/srv.key" >"$TMP/tls.log" 2>&1 &
PIDS+=($!)
wait_port "$TLS_PORT"

start_warden "$(cat <<YAML
server: {listen: "127.0.0.1:@PORT@", workers: 1}
providers:
  - {name: untrusted, type: openai, base_url: "https://127.0.0.1:$TLS_PORT/v1"}
  - {name: trusted, type: openai, base_url: "https://127.0.0.1:$TLS_PORT/v1", ca_file: "$TMP/ca.pem"}
  - {name: wrongname, type: openai, base_url: "https://localhost:$TLS_PORT/v1", ca_file: "$TMP/ca.pem"}
models:
  - {name: untrusted, targets: [{provider: untrusted, model: tls-1}]}
  - {name: trusted, targets: [{provider: trusted, model: tls-1}]}
  - {name: wrongname, targets: [{provider: wrongname, model: tls-1}]}
YAML
)"
U="$WARDEN/v1/chat/completions"
ask() { curl -s -w '\n%{http_code}' "$U" -H 'content-type: application/json' -d "{\"model\":\"$1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"; }
count() { curl -sk "https://127.0.0.1:$TLS_PORT/_count"; }

out=$(ask untrusted)
check "untrusted certificate: 502" eq "$(tail -1 <<<"$out")" 502
check "untrusted certificate: the error names the certificate problem" contains "$(head -1 <<<"$out")" "certificate"
check "untrusted certificate: no request reached the upstream" eq "$(count)" 0

out=$(ask trusted)
check "ca_file: 200" eq "$(tail -1 <<<"$out")" 200
check "ca_file: the upstream's answer" contains "$(head -1 <<<"$out")" "hello over TLS"
s=$(curl -sN "$U" -H 'content-type: application/json' -d '{"model":"trusted","stream":true,"messages":[{"role":"user","content":"hi"}]}')
check "ca_file: stream ends with [DONE]" contains "$s" "data: [DONE]"
check "ca_file: stream has all 20 chunks" eq "$(grep -c '"content":"t' <<<"$s")" 20
ask trusted >/dev/null
check "ca_file: three requests served" eq "$(count)" 3
check "ca_file: one pooled TLS connection for the three (2 opened in all, with the refused one)" \
    eq "$(curl -s "$WARDEN/metrics" | awk '/^warden_upstream_connections_opened_total/ {print $2}')" 2

out=$(ask wrongname)
check "certificate for another name: 502" eq "$(tail -1 <<<"$out")" 502
check "certificate for another name: never served" eq "$(count)" 3

cfg="$TMP/bad-ca.yaml"
printf 'providers: [{name: a, type: openai, base_url: "https://x", ca_file: %s/missing.pem}]\nmodels: [{name: m, targets: [{provider: a, model: x}]}]\n' "$TMP" >"$cfg"
msg=$("$WARDEN_BIN" --check-config "$cfg" 2>&1)
check "--check-config: missing ca_file is an error with FILE:LINE" contains "$msg" "bad-ca.yaml:1: providers[0].ca_file: cannot read CA file"
check "alive" alive
finish
