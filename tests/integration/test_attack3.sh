#!/usr/bin/env bash
# Adversarial tests of fan-out (pipelines and batches): template injection, config attacks
# (--check-config), hostile batch bodies, upstream faults per item, client disconnects at each
# stage (before the first sub-call, mid-run, while NDJSON is being written), SIGTERM with a batch
# in flight, fanout.max_inflight across many concurrent batches, guardrails on sub-calls, metrics
# and the access log's parent ids. Every attack is a check that fails when the defence is gone.
# The last line is "test_attack3: N passed, M failed".
source "$(dirname "$0")/lib.sh"

start_mock
CONFIG=$(
    cat <<'YAML'
server: {listen: "127.0.0.1:@PORT@", workers: 1, drain_timeout_ms: 3000}
providers:
  - {name: local, type: openai, base_url: "@MOCK@/v1"}
  - {name: badjson, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-content: "not json at all"}}
  - {name: wrongshape, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-content: "{\"value\": 42}"}}
  - {name: obj, type: openai, base_url: "@MOCK@/v1", headers: {x-mock-content: "{\"name\": \"N\\\"}\", \"n\": [1, 2]}"}}
models:
  - {name: m, targets: [{provider: local, model: mock-1}]}
  - {name: fast-fail, retries: {max: 1, base_ms: 10, max_ms: 20}, targets: [{provider: local, model: mock-ff}]}
  - {name: short, timeouts: {first_byte_ms: 300}, retries: {max: 0}, targets: [{provider: local, model: mock-short}]}
  - {name: guarded-in, targets: [{provider: local, model: mock-gi}], guardrails: [no-forbidden]}
  - {name: guarded-out, targets: [{provider: local, model: mock-go}], guardrails: [no-leak]}
  - {name: badjson, structured_output: {max_reasks: 1}, targets: [{provider: badjson, model: mock-bj}]}
  - {name: wrongshape, structured_output: {max_reasks: 2}, targets: [{provider: wrongshape, model: mock-ws}]}
  - {name: obj, targets: [{provider: obj, model: mock-obj}]}
guardrails:
  - {name: no-forbidden, type: regex, stage: input, action: block, patterns: ["forbidden"]}
  - {name: no-leak, type: regex, stage: output, action: block, patterns: ["LEAKED"]}
pipelines:
  - name: inj
    steps:
      echo: {model: m, system: "S {{a.b.c.d.e}} {{arr}} {{arr.1}} {{n}} {{f}} {{t}} {{z}} {{o}}", prompt: "P {{text}}|{{text}}"}
  - name: schema
    steps:
      bad:   {model: badjson, prompt: "x {{text}}", schema: {type: object, properties: {k: {type: string}}, required: [k]}, required: false}
      shape: {model: wrongshape, prompt: "y {{text}}", schema: {type: string}, required: false}
      ok:    {model: m, prompt: "z {{text}}"}
  - name: chain
    steps:
      o:    {model: obj, prompt: "o {{text}}", schema: {type: object, properties: {name: {type: string}, n: {type: array}}, required: [name, n]}}
      use:  {model: m, prompt: "name={{steps.o.name}} n1={{steps.o.n.1}} all={{steps.o}}", after: [o]}
      miss: {model: m, prompt: "nope={{steps.o.nosuch}}", after: [o], required: false}
  - name: slow
    steps:
      a: {model: m, prompt: "a {{text}}", params: {mock: {ttft_ms: 5000}}}
      b: {model: m, prompt: "b {{text}}", params: {mock: {ttft_ms: 5000}}}
  - name: guarded
    steps:
      in:  {model: guarded-in, prompt: "in {{text}}", required: false}
      out: {model: guarded-out, prompt: "out {{text}}", params: {mock: {content: "this LEAKED"}}, required: false}
      ok:  {model: m, prompt: "ok {{text}}"}
batch: {max_concurrency: 8, max_items: 100}
fanout: {max_inflight: 6}
YAML
)
start_warden "$CONFIG" || { echo "test_attack3: warden did not start"; echo "test_attack3: 0 passed, 1 failed"; exit 1; }
