#!/usr/bin/env python3
"""A guard service written only from LiteLLM's documentation of its Generic
Guardrail API ("[BETA] Generic Guardrail API - Integrate Without a PR" and the
GenericGuardrailAPIRequest / GenericGuardrailAPIResponse types), the way a
vendor would write one. Python standard library only.

  litellm_guard_service.py PORT RECORD_FILE [API_KEY]

Serves one path, POST /beta/litellm_basic_guardrail_api; anything else is 404.
When API_KEY is given, the x-api-key header must carry it (else 401).

The request model is strict, like a pydantic model with extra="forbid": every
field LiteLLM always sends must be present with its type, else 422 with
pydantic-like details; unknown fields are refused too.

Each accepted request is appended to RECORD_FILE as one JSON line
{"request": body, "headers": {...}} so a test can see what was sent.

Behaviour, chosen by the texts' content:
  BLOCKME          -> BLOCKED, blocked_reason "litellm-svc: BLOCKME is not allowed"
  an SSN (ddd-dd-dddd) or MASKME
                   -> GUARDRAIL_INTERVENED, texts with "[SSN]" / "[MASKED]"; tool_calls
                      whose arguments hold an SSN come back masked too
  NOACTION         -> {} (no action at all: LiteLLM reads NONE)
  UNKNOWNACTION    -> {"action": "MAYBE"} (LiteLLM: not blocked)
  PARTIALTEXTS     -> GUARDRAIL_INTERVENED with one text fewer than sent (LiteLLM: unchanged)
  NONEWITHTEXTS    -> NONE with texts rewritten ("NONEWITHTEXTS" -> "rewritten-with-none")
  SLOWME           -> waits 3 s, then NONE
  FAIL503          -> HTTP 503
  FAIL422ANSWER    -> HTTP 422 (a service that rejects what it got)
  BADJSON          -> 200 with a body that is not JSON
  anything else    -> NONE
"""
import json
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH = "/beta/litellm_basic_guardrail_api"
SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")

# name -> (types allowed, may be null). LiteLLM serialises its whole request model, so
# every one of these members is always present.
REQUEST_MODEL = {
    "input_type": ((str,), False),
    "litellm_call_id": ((str,), True),
    "litellm_trace_id": ((str,), True),
    "structured_messages": ((list,), True),
    "images": ((list,), True),
    "tools": ((list,), True),
    "texts": ((list,), True),
    "request_data": ((dict,), False),
    "request_headers": ((dict,), True),
    "litellm_version": ((str,), True),
    "additional_provider_specific_params": ((dict,), True),
    "tool_calls": ((list,), True),
    "model": ((str,), True),
}
METADATA_FIELDS = {
    "user_api_key_hash", "user_api_key_alias", "user_api_key_user_id", "user_api_key_user_email",
    "user_api_key_team_id", "user_api_key_team_alias", "user_api_key_end_user_id", "user_api_key_org_id",
}


def validate(body):
    """pydantic-like error list; empty when the body fits the model."""
    errors = []
    if not isinstance(body, dict):
        return [{"loc": ["body"], "msg": "Input should be a valid dictionary", "type": "dict_type"}]
    for name, (types, nullable) in REQUEST_MODEL.items():
        if name not in body:
            errors.append({"loc": ["body", name], "msg": "Field required", "type": "missing"})
            continue
        v = body[name]
        if v is None and nullable:
            continue
        if not isinstance(v, types):
            errors.append({"loc": ["body", name], "msg": "wrong type", "type": "type_error"})
    for name in body:
        if name not in REQUEST_MODEL:
            errors.append({"loc": ["body", name], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"})
    if errors:
        return errors
    if body["input_type"] not in ("request", "response"):
        errors.append({"loc": ["body", "input_type"], "msg": "Input should be 'request' or 'response'", "type": "literal_error"})
    for list_name, item_types in (("texts", str), ("images", str), ("structured_messages", dict), ("tools", dict),
                                  ("tool_calls", dict)):
        for i, item in enumerate(body[list_name] or []):
            if not isinstance(item, item_types):
                errors.append({"loc": ["body", list_name, i], "msg": "wrong type", "type": "type_error"})
    for k, v in body["request_data"].items():
        if k in METADATA_FIELDS and v is not None and not isinstance(v, str):
            errors.append({"loc": ["body", "request_data", k], "msg": "wrong type", "type": "string_type"})
    for k, v in (body["request_headers"] or {}).items():
        if not isinstance(v, str):
            errors.append({"loc": ["body", "request_headers", k], "msg": "wrong type", "type": "string_type"})
    for i, tool in enumerate(body["tools"] or []):
        if tool.get("type") != "function" or not isinstance(tool.get("function"), dict):
            errors.append({"loc": ["body", "tools", i], "msg": "not a ChatCompletionToolParam", "type": "value_error"})
    return errors


def mask(text):
    return SSN.sub("[SSN]", text).replace("MASKME", "[MASKED]")


def decide(body):
    texts = body["texts"] or []
    tool_calls = body["tool_calls"] or []
    everything = "\n".join(texts) + "\n" + json.dumps(tool_calls)
    if "SLOWME" in everything:
        time.sleep(3)
        return 200, {"action": "NONE"}
    if "FAIL503" in everything:
        return 503, {"detail": "guard backend overloaded"}
    if "FAIL422ANSWER" in everything:
        return 422, {"detail": [{"loc": ["body"], "msg": "rejected", "type": "value_error"}]}
    if "BADJSON" in everything:
        return 200, None
    if "BLOCKME" in everything:
        return 200, {"action": "BLOCKED", "blocked_reason": "litellm-svc: BLOCKME is not allowed"}
    if "NOACTION" in everything:
        return 200, {}
    if "UNKNOWNACTION" in everything:
        return 200, {"action": "MAYBE"}
    if "PARTIALTEXTS" in everything:
        return 200, {"action": "GUARDRAIL_INTERVENED", "texts": [mask(t) + "-partial" for t in texts[:-1]]}
    if "NONEWITHTEXTS" in everything:
        return 200, {"action": "NONE", "texts": [t.replace("NONEWITHTEXTS", "rewritten-with-none") for t in texts]}
    if SSN.search(everything) or "MASKME" in everything:
        answer = {"action": "GUARDRAIL_INTERVENED", "texts": [mask(t) for t in texts]}
        if tool_calls:
            masked = []
            for tc in tool_calls:
                tc = json.loads(json.dumps(tc))
                fn = tc.get("function") or {}
                if isinstance(fn.get("arguments"), str):
                    fn["arguments"] = mask(fn["arguments"])
                masked.append(tc)
            answer["tool_calls"] = masked
        return 200, answer
    return 200, {"action": "NONE"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    record_file = None
    api_key = None

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj, raw=None):
        data = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply(404, {"detail": "Not Found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.path != PATH:
            self.reply(404, {"detail": "Not Found"})
            return
        if self.api_key is not None and self.headers.get("x-api-key") != self.api_key:
            self.reply(401, {"detail": "invalid x-api-key"})
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self.reply(422, {"detail": [{"loc": ["body"], "msg": "JSON decode error", "type": "json_invalid"}]})
            return
        errors = validate(body)
        if errors:
            self.reply(422, {"detail": errors})
            return
        with open(self.record_file, "a") as f:
            f.write(json.dumps({"request": body, "headers": {k.lower(): v for k, v in self.headers.items()}}) + "\n")
        status, answer = decide(body)
        if answer is None:
            self.reply(status, None, raw=b"this is not json")
        else:
            self.reply(status, answer)


def main():
    port = int(sys.argv[1])
    Handler.record_file = sys.argv[2]
    Handler.api_key = sys.argv[3] if len(sys.argv) > 3 else None
    open(Handler.record_file, "a").close()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
