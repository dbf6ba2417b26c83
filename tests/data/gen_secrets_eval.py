#!/usr/bin/env python3
"""Generates tests/data/secrets_eval.jsonl: labelled text for the secrets guardrail.

Same shape as pii_eval.jsonl: {"text", "spans": [{"type", "start", "end"}]}, offsets in
Unicode code points, types as in src/guard/secrets.h. Each line is a chat-style snippet
(prose, shell, .env, JSON, YAML, code) with zero to two secrets and look-alikes that must
not be reported: placeholders ("<your-api-key>", "${TOKEN}", "sk-...", "xxxx"), low-entropy
or word values after key words, hashes, UUIDs, "sk-learn", "max_tokens=4096", URLs without
a password. Deterministic (fixed seed), python3 standard library only.
    python3 tests/data/gen_secrets_eval.py > tests/data/secrets_eval.jsonl
"""
import base64
import json
import os
import random
import string
import sys

R = random.Random(int(os.environ.get("SECRETS_EVAL_SEED", "20261201")))
AN = string.ascii_letters + string.digits


def rnd(alphabet, n):
    while True:
        s = "".join(R.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in s) and any(c.isupper() for c in s) and any(c.islower() for c in s):
            return s


def b64url(obj):
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def secret(t):
    if t == "OPENAI_API_KEY":
        return R.choice(["sk-proj-" + rnd(AN + "_-", 48), "sk-" + rnd(AN, 48), "sk-svcacct-" + rnd(AN + "_", 40)])
    if t == "ANTHROPIC_API_KEY":
        return "sk-ant-api03-" + rnd(AN + "_-", 93) + "AA"
    if t == "AWS_ACCESS_KEY_ID":
        return R.choice(["AKIA", "ASIA"]) + "".join(R.choice(string.ascii_uppercase + "234567") for _ in range(16))
    if t == "GITHUB_TOKEN":
        return R.choice(["ghp_", "gho_", "ghs_", "ghu_", "ghr_"]) + rnd(AN, 36)
    if t == "GITLAB_TOKEN":
        return "glpat-" + rnd(AN + "_-", 20)
    if t == "SLACK_TOKEN":
        return f"xox{R.choice('bpa')}-{R.randint(10**10, 10**12)}-{R.randint(10**10, 10**12)}-{rnd(AN, 24)}"
    if t == "STRIPE_KEY":
        return R.choice(["sk_live_", "rk_live_", "sk_test_"]) + rnd(AN, 24)
    if t == "GOOGLE_API_KEY":
        return "AIza" + rnd(AN + "_-", 35)
    if t == "HUGGINGFACE_TOKEN":
        return "hf_" + rnd(AN, 34)
    if t == "JWT":
        h = b64url({"alg": R.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"})
        p = b64url({"sub": str(R.randint(1, 10**9)), "name": R.choice(["Ana", "Bo", "Chen"]), "iat": R.randint(10**9, 2 * 10**9)})
        return f"{h}.{p}.{rnd(AN + '_-', 43)}"
    if t == "DATABASE_URL":
        scheme = R.choice(["postgres", "postgresql", "mysql", "mongodb+srv", "redis"])
        return f"{scheme}://{R.choice(['app', 'admin', 'svc_user'])}:{rnd(AN, R.randint(10, 20))}@db{R.randint(1, 9)}.example.internal:{R.choice([5432, 3306, 6379, 27017])}/prod"
    if t == "PRIVATE_KEY":
        kind = R.choice(["RSA ", "EC ", "OPENSSH ", ""])
        body = "\n".join(rnd(AN + "+/", 64) for _ in range(R.randint(2, 5)))
        return f"-----BEGIN {kind}PRIVATE KEY-----\n{body}\n-----END {kind}PRIVATE KEY-----"
    raise AssertionError(t)


def generic_value():
    return R.choice([rnd(AN, R.randint(16, 32)), rnd(AN + "!@#$%^&*", R.randint(12, 20)), rnd(string.hexdigits.lower() + "ABC", 32)])


# (template with {} for the value, type); the value is the span
CARRIERS = [
    ("export {VAR}={}", None), ("{VAR}={}", None), ('"{var}": "{}"', None), ("{var}: {}", None),
    ("curl -H 'Authorization: Bearer {}' https://api.example.com/v1", None), ("use the key {} for staging", None),
    ("const key = '{}';", None), ("here is my token {} please rotate it", None),
]
VARS = {"OPENAI_API_KEY": "OPENAI_API_KEY", "ANTHROPIC_API_KEY": "ANTHROPIC_API_KEY", "AWS_ACCESS_KEY_ID": "AWS_ACCESS_KEY_ID",
        "GITHUB_TOKEN": "GITHUB_TOKEN", "GITLAB_TOKEN": "GITLAB_TOKEN", "SLACK_TOKEN": "SLACK_BOT_TOKEN",
        "STRIPE_KEY": "STRIPE_SECRET_KEY", "GOOGLE_API_KEY": "GOOGLE_API_KEY", "HUGGINGFACE_TOKEN": "HF_TOKEN",
        "JWT": "SESSION_JWT", "DATABASE_URL": "DATABASE_URL", "PRIVATE_KEY": "TLS_KEY"}
GENERIC = ['api_key = "{}"', "password: {}", '"client_secret": "{}"', "secret={}", "auth_token: '{}'", "DB_PASSWORD={}",
           "passphrase = {}", '{{"apiKey": "{}"}}']
DECOYS = ["api_key = \"<your-api-key>\"", "export OPENAI_API_KEY=${OPENAI_API_KEY}", "password: changeme", "token: the",
          "set max_tokens=4096 and temperature=0.2", "pip install scikit-learn (sk-learn)", "sk-...", "password: hunter2",
          "commit 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", "request id 123e4567-e89b-12d3-a456-426614174000",
          "postgres://localhost:5432/app", "redis://cache:6379/0", "secret = os.environ['SECRET']",
          "API_KEY=xxxxxxxxxxxxxxxxxxxx", "the token limit is 8192 tokens", "password: ********",
          "connect with mysql://root@db/app", "AKIA is the prefix of AWS key ids", "ghp_ tokens start with ghp_",
          "Bearer <token>", "client_secret: process.env.CLIENT_SECRET", "eyJ is how a JWT starts",
          "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "secret: settings.SECRET_KEY"]
OPENERS = ["Can you debug this?", "Here is my config:", "Why does this fail?", "FYI", "Deploy log:", "", "Hi team,"]


def line():
    text = R.choice(OPENERS)
    spans = []
    for _ in range(R.choice([0, 1, 1, 1, 2])):
        if text:
            text += R.choice([" ", "\n"])
        if R.random() < 0.5:
            text += R.choice(DECOYS) + R.choice(["\n", ". ", " "])
        if R.random() < 0.25:
            tmpl, t = R.choice(GENERIC), "GENERIC_SECRET"
            v = generic_value()
        else:
            t = R.choice(list(VARS))
            v = secret(t)
            tmpl = R.choice([c for c, _ in CARRIERS])
            if t == "PRIVATE_KEY":
                tmpl = R.choice(["{}", "key:\n{}", "```\n{}\n```"])
            tmpl = tmpl.replace("{VAR}", VARS[t]).replace("{var}", VARS[t].lower())
        pre, post = tmpl.split("{}")
        pre = pre.replace("{{", "{").replace("}}", "}")
        post = post.replace("{{", "{").replace("}}", "}")
        text += pre
        start = len(text)
        text += v
        spans.append({"type": t, "start": start, "end": len(text)})
        text += post
    if R.random() < 0.5:
        text += " " + R.choice(DECOYS)
    return {"text": text, "spans": spans}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 800
    for _ in range(n):
        sys.stdout.write(json.dumps(line(), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
