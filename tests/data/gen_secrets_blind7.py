#!/usr/bin/env python3
"""Blind evaluation sets for the `secrets` guardrail (issue 11).

Written without reading src/guard/ or gen_secrets_eval.py; type names are the
ones README.md lists for `secrets`. Python 3 stdlib only, fixed seeds.

    python3 tests/data/gen_secrets_blind7.py
    -> tests/data/secrets_blind7_dev.jsonl      (seed 7101, tuning allowed)
    -> tests/data/secrets_blind7_holdout.jsonl  (seed 7102, measure only)

Same JSONL shape as the PII sets (code-point offsets). Snippets the way
people paste them: .env files, shell exports, curl commands, Python/JS/Go
code, YAML/JSON config, docker-compose, chat questions, logs. Look-alikes
that must not match: placeholders, env-variable references, function calls,
commit SHAs, checksums, UUIDs, SRI hashes, public keys and certificates,
database URLs without a password, publishable Stripe keys.
"""
import base64
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"


def rs(r, alphabet, n):
    return "".join(r.choice(alphabet) for _ in range(n))


def b64url(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# ------------------------------------------------------------------ secrets
def openai_key(r):
    k = r.randrange(4)
    if k == 0:
        return "sk-" + rs(r, ALNUM, 20) + "T3BlbkFJ" + rs(r, ALNUM, 20)
    if k == 1:
        return "sk-proj-" + rs(r, URLSAFE, 74) + "T3BlbkFJ" + rs(r, URLSAFE, 74)
    if k == 2:
        return "sk-" + rs(r, ALNUM, 48)
    return r.choice(["sk-svcacct-", "sk-admin-"]) + rs(r, URLSAFE, 58) + "T3BlbkFJ" + rs(r, URLSAFE, 58)


def anthropic_key(r):
    return r.choice(["sk-ant-api03-", "sk-ant-admin01-"]) + rs(r, URLSAFE, 93) + "AA"


def aws_id(r):
    return r.choice(["AKIA", "AKIA", "ASIA"]) + rs(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret(r):
    return rs(r, B64, 40)


def github_token(r):
    if r.random() < 0.25:
        return "github_pat_11" + rs(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 20) + "_" + rs(r, ALNUM, 59)
    return r.choice(["ghp_", "ghp_", "gho_", "ghs_", "ghu_", "ghr_"]) + rs(r, ALNUM, 36)


def gitlab_token(r):
    return "glpat-" + rs(r, URLSAFE, 20)


def slack_token(r):
    k = r.randrange(3)
    if k == 0:
        return "xoxb-%s-%s-%s" % (rs(r, "0123456789", 12), rs(r, "0123456789", 13), rs(r, ALNUM, 24))
    if k == 1:
        return "xoxp-%s-%s-%s-%s" % (rs(r, "0123456789", 12), rs(r, "0123456789", 12),
                                     rs(r, "0123456789", 13), rs(r, "0123456789abcdef", 32))
    return "xapp-1-A%s-%s-%s" % (rs(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10),
                                 rs(r, "0123456789", 13), rs(r, "0123456789abcdef", 64))


def slack_webhook(r):
    up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "https://hooks.slack.com/services/T%s/B%s/%s" % (rs(r, up, 8), rs(r, up, 10), rs(r, ALNUM, 24))


def stripe_key(r):
    return r.choice(["sk_live_", "sk_live_", "rk_live_", "sk_test_"]) + rs(r, ALNUM, r.choice([24, 34, 99]))


def google_key(r):
    return "AIza" + rs(r, URLSAFE, 35)


def hf_token(r):
    return "hf_" + rs(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 34)


def pem_block(r, nl="\n"):
    kind = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY",
                     "ENCRYPTED PRIVATE KEY"])
    nlines = r.randint(3, 12)
    body = [rs(r, B64, 64) for _ in range(nlines - 1)] + [rs(r, B64, r.randint(8, 60)) + "=="]
    return "-----BEGIN %s-----%s%s%s-----END %s-----" % (kind, nl, nl.join(body), nl, kind)


def jwt(r):
    alg = r.choice(["HS256", "RS256", "ES256", "HS512"])
    header = {"alg": alg, "typ": "JWT"} if r.random() < 0.7 else {"typ": "JWT", "alg": alg, "kid": rs(r, ALNUM, 8)}
    payload = {"sub": str(r.randint(1000, 99999999)), "name": r.choice(["Jane Doe", "svc-bot", "admin"]),
               "iat": r.randint(1600000000, 1750000000)}
    if r.random() < 0.5:
        payload["exp"] = payload["iat"] + 3600
    sig_len = {"HS256": 43, "HS512": 86, "RS256": 342, "ES256": 86}[alg]
    return "%s.%s.%s" % (b64url(json.dumps(header, separators=(",", ":")).encode()),
                         b64url(json.dumps(payload, separators=(",", ":")).encode()),
                         rs(r, URLSAFE, sig_len))


def strong_password(r, n=None):
    n = n or r.randint(14, 24)
    # no '$': "$abc123" in a .env or a URL's password reads as a shell variable, not a value
    return rs(r, ALNUM + "!#&^*_-~", n)


def database_url(r):
    user = r.choice(["app", "postgres", "admin", "svc_orders", "root", "django"])
    pw = strong_password(r, r.randint(12, 28)).replace("#", "").replace("%", "") or "x9Qp2LmZ7"
    host = r.choice(["db.internal", "localhost", "10.0.3.17", "prod-db.c9akciq32.us-east-1.rds.amazonaws.com",
                     "cluster0.ab1cd.mongodb.net", "redis-12345.c1.eu-west-1.ec2.cloud.redislabs.com"])
    k = r.randrange(6)
    if k == 0:
        return "postgres://%s:%s@%s:5432/app" % (user, pw, host)
    if k == 1:
        return "postgresql://%s:%s@%s/orders?sslmode=require" % (user, pw, host)
    if k == 2:
        return "mysql://%s:%s@%s:3306/shop" % (user, pw, host)
    if k == 3:
        return "mongodb+srv://%s:%s@%s/test?retryWrites=true&w=majority" % (user, pw, host)
    if k == 4:
        return "redis://:%s@%s:6379/0" % (pw, host)
    return "amqp://%s:%s@%s:5672/vhost" % (user, pw, host)


def generic_value(r):
    k = r.randrange(4)
    if k == 0:
        return rs(r, ALNUM, r.choice([24, 32, 40]))
    if k == 1:
        return rs(r, "0123456789abcdef", r.choice([32, 40, 64]))
    if k == 2:
        return strong_password(r)
    return rs(r, URLSAFE, r.choice([28, 43]))


GENERIC_KEYS = ["api_key", "API_KEY", "apiKey", "secret", "client_secret", "auth_token",
                "access_token", "password", "DB_PASSWORD", "SECRET_KEY", "token", "x-api-key",
                "private_token", "webhook_secret", "passwd", "MAILGUN_API_KEY", "SENDGRID_KEY"]

PROVIDERS = {
    "OPENAI_API_KEY": (openai_key, ["OPENAI_API_KEY", "openai_api_key", "api_key"]),
    "ANTHROPIC_API_KEY": (anthropic_key, ["ANTHROPIC_API_KEY", "anthropic_key", "x-api-key"]),
    "AWS_ACCESS_KEY_ID": (aws_id, ["AWS_ACCESS_KEY_ID", "aws_access_key_id", "accessKeyId"]),
    "GITHUB_TOKEN": (github_token, ["GITHUB_TOKEN", "GH_TOKEN", "token"]),
    "GITLAB_TOKEN": (gitlab_token, ["GITLAB_TOKEN", "private_token", "CI_TOKEN"]),
    "SLACK_TOKEN": (slack_token, ["SLACK_BOT_TOKEN", "slack_token", "token"]),
    "SLACK_WEBHOOK": (slack_webhook, ["SLACK_WEBHOOK_URL", "webhook_url", "url"]),
    "STRIPE_KEY": (stripe_key, ["STRIPE_SECRET_KEY", "stripe.api_key", "stripeKey"]),
    "GOOGLE_API_KEY": (google_key, ["GOOGLE_API_KEY", "key", "MAPS_API_KEY"]),
    "HUGGINGFACE_TOKEN": (hf_token, ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "token"]),
    "JWT": (jwt, ["Authorization", "id_token", "jwt", "SESSION"]),
    "DATABASE_URL": (database_url, ["DATABASE_URL", "MONGO_URI", "REDIS_URL", "url"]),
    "GENERIC_SECRET": (generic_value, GENERIC_KEYS),
}


# ------------------------------------------------------------------- decoys
def decoy(r):
    """(key, value): something that must not be reported."""
    k = r.randrange(24)
    if k == 0:
        return r.choice(["OPENAI_API_KEY", "api_key"]), r.choice(
            ["sk-...", "sk-xxxxxxxxxxxxxxxxxxxxxxxx", "<your-openai-key>", "YOUR_API_KEY_HERE",
             "sk-proj-REPLACE_ME", "${OPENAI_API_KEY}"])
    if k == 1:
        return r.choice(["password", "DB_PASSWORD", "passwd"]), r.choice(
            ["changeme", "${DB_PASSWORD}", "<password>", "********", "xxxxxxxx", "$PGPASSWORD",
             "{{ .Values.db.password }}", "%(password)s", "null", "\"\""])
    if k == 2:
        return "token", r.choice(["os.environ[\"GITHUB_TOKEN\"]", "process.env.SLACK_TOKEN",
                                  "getAccessTokenFromEnvironment()", "os.getenv('HF_TOKEN')",
                                  "request.headers.get(\"Authorization\")", "settings.API_TOKEN"])
    if k == 3:
        return "commit", rs(r, "0123456789abcdef", 40)
    if k == 4:
        return "sha256", rs(r, "0123456789abcdef", 64)
    if k == 5:
        h = rs(r, "0123456789abcdef", 32)
        return "request_id", "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
    if k == 6:
        return "integrity", "sha512-" + base64.b64encode(bytes(r.randrange(256) for _ in range(64))).decode()
    if k == 7:
        return "publishable_key", r.choice(["pk_live_", "pk_test_"]) + rs(r, ALNUM, 24)
    if k == 8:
        return "DATABASE_URL", r.choice(["postgres://localhost:5432/app", "postgresql://app@db.internal/orders",
                                         "postgres://app:${PGPASSWORD}@db:5432/app",
                                         "mysql://root:<password>@localhost/shop",
                                         "mongodb://mongo:27017/test", "redis://localhost:6379/0",
                                         "sqlite:///var/lib/app.db"])
    if k == 9:
        return "public_key", "-----BEGIN PUBLIC KEY-----\n%s\n%s\n-----END PUBLIC KEY-----" % (
            rs(r, B64, 64), rs(r, B64, 24) + "==")
    if k == 10:
        return "cert", "-----BEGIN CERTIFICATE-----\n%s\n%s\n-----END CERTIFICATE-----" % (
            rs(r, B64, 64), rs(r, B64, 40) + "=")
    if k == 11:
        return "ssh_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI%s %s@laptop" % (
            rs(r, B64, 43), r.choice(["anna", "dev", "ci"]))
    if k == 12:
        return "model", r.choice(["sk-learn", "gpt-4o-mini", "claude-3-5-sonnet-20241022",
                                  "meta-llama/Llama-3.1-8B-Instruct", "hf_hub_download"])
    if k == 13:
        return "slack", r.choice(["xoxb-your-bot-token", "xoxb-***", "https://hooks.slack.com/services/XXX/YYY/ZZZ"])
    if k == 14:
        return "github", r.choice(["ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ghp_...", "<GITHUB_PAT>",
                                   "github_pat_<redacted>"])
    if k == 15:
        return "version", r.choice(["1.2.3", "v20.11.1", "3.12.0rc2"])
    if k == 16:
        return "docker_image", "sha256:" + rs(r, "0123456789abcdef", 64)
    if k == 17:
        return "path", r.choice(["/usr/local/lib/python3.11/site-packages", "C:\\Users\\anna\\AppData\\Roaming",
                                 "./secrets/prod.env", "~/.aws/credentials"])
    if k == 18:
        return "token_type", r.choice(["Bearer", "bearer", "refresh_token", "access_token"])
    if k == 19:
        return "jwt_like", r.choice(["header.payload.signature", "eyJhbGciOi...", "a.b.c",
                                     "www.example.com"])
    if k == 20:
        return "aws_region", r.choice(["us-east-1", "eu-central-1", "arn:aws:iam::123456789012:role/app"])
    if k == 21:
        return "max_tokens", str(r.choice([256, 1024, 4096]))
    if k == 22:
        return "secret_name", r.choice(["prod/db/password", "projects/acme/secrets/api-key/versions/3",
                                        "kv/data/app", "my-app-secret"])
    return "session_id", str(r.randint(10 ** 9, 10 ** 12))


# ------------------------------------------------------------- line building
class Line:
    def __init__(self):
        self.parts, self.spans, self.length = [], [], 0

    def add(self, s, typ=None):
        if typ:
            self.spans.append({"type": typ, "start": self.length, "end": self.length + len(s)})
        self.parts.append(s)
        self.length += len(s)

    def text(self):
        return "".join(self.parts)


TYPES = list(PROVIDERS) + ["AWS_PAIR", "PRIVATE_KEY"]
WEIGHTS = [8, 7, 5, 8, 6, 6, 5, 6, 6, 6, 8, 8, 14, 7, 8]


def item(r):
    """(key, value, type or None); AWS_PAIR yields two items."""
    t = r.choices(TYPES, WEIGHTS)[0]
    if t == "AWS_PAIR":
        return [("aws_access_key_id", aws_id(r), "AWS_ACCESS_KEY_ID"),
                (r.choice(["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "secretAccessKey"]),
                 aws_secret(r), "AWS_SECRET_ACCESS_KEY")]
    if t == "PRIVATE_KEY":
        return [(r.choice(["key", "private_key", "id_rsa", "tls.key"]), pem_block(r), "PRIVATE_KEY")]
    fn, keys = PROVIDERS[t]
    v = fn(r)
    if t == "JWT" and r.random() < 0.5:
        return [("Authorization", v, "JWT")]
    return [(r.choice(keys), v, t)]


def env_name(k):
    return k.upper().replace("-", "_").replace(".", "_")


def g_env(r, line, items):
    line.add(r.choice(["# .env\n", "", "# production — do not commit\n"]))
    for k, v, t in items:
        if "\n" in v:
            line.add(env_name(k) + "=\"")
            line.add(v, t)
            line.add("\"\n")
            continue
        q = r.choice(["", "", "\"", "'"])
        line.add(r.choice(["", "export "]) + env_name(k) + "=" + q)
        line.add(v, t)
        line.add(q + "\n")


def g_yaml(r, line, items):
    line.add(r.choice(["config:\n", "environment:\n", "spec:\n  env:\n", ""]))
    for k, v, t in items:
        if "\n" in v:
            line.add("  %s: |\n    " % k)
            line.add(v.replace("\n", "\n    "), t)
            line.add("\n")
            continue
        q = r.choice(["", "\"", "'"])
        line.add("  %s: %s" % (k, q))
        line.add(v, t)
        line.add(q + "\n")


def g_json(r, line, items):
    line.add("{")
    for i, (k, v, t) in enumerate(items):
        line.add((", " if i else "") + "\"%s\": \"" % k)
        if "\n" in v:
            v = v.replace("\n", "\\n")  # as in a service-account JSON file
        line.add(v, t)
        line.add("\"")
    line.add("}")


def g_python(r, line, items):
    line.add(r.choice(["import openai\n", "import os, requests\n", "# quick test\n", ""]))
    for k, v, t in items:
        if "\n" in v:
            line.add('%s = """' % k.lower().replace(".", "_").replace("-", "_"))
            line.add(v, t)
            line.add('"""\n')
            continue
        style = r.randrange(3)
        if style == 0:
            line.add("%s = \"" % k.lower().replace(".", "_").replace("-", "_"))
        elif style == 1:
            line.add("client = Client(%s=\"" % k.lower().replace(".", "_").replace("-", "_"))
        else:
            line.add("os.environ[\"%s\"] = \"" % env_name(k))
        line.add(v, t)
        line.add("\"" + (")" if style == 1 else "") + "\n")


def g_js(r, line, items):
    line.add(r.choice(["const config = {\n", "module.exports = {\n"]))
    for k, v, t in items:
        kk = k.replace(".", "_").replace("-", "_")
        if "\n" in v:
            line.add("  %s: `" % kk)
            line.add(v, t)
            line.add("`,\n")
            continue
        line.add("  %s: '" % kk)
        line.add(v, t)
        line.add("',\n")
    line.add("};")


def g_curl(r, line, items):
    k, v, t = items[0]
    if t is None or "\n" in v or t in ("DATABASE_URL", "SLACK_WEBHOOK"):
        return g_chat(r, line, items)  # a look-alike in a Bearer header would be a token
    url = r.choice(["https://api.openai.com/v1/chat/completions", "https://api.example.com/v2/orders",
                    "https://api.anthropic.com/v1/messages"])
    line.add("curl -s %s \\\n  -H \"Content-Type: application/json\" \\\n  -H \"" % url)
    if t == "JWT" or r.random() < 0.5:
        line.add("Authorization: Bearer ")
    else:
        line.add("%s: " % r.choice(["x-api-key", "X-API-Key", "api-key"]))
    line.add(v, t)
    line.add("\" \\\n  -d '{\"model\": \"gpt-4o-mini\"}'")
    if len(items) > 1:
        line.add("\n")
        g_env(r, line, items[1:])


def g_chat(r, line, items):
    line.add(r.choice(["why does this fail?? ", "Hey, can you check my setup: ", "Getting 401 with ",
                       "pls help — ", "Mi configuración: ", "I rotated it already, old one was ",
                       "here is my config\n"]))
    for i, (k, v, t) in enumerate(items):
        if i:
            line.add(r.choice([" and ", "\n", ", "]))
        if "\n" in v:
            line.add("```\n")
            line.add(v, t)
            line.add("\n```")
            continue
        line.add(r.choice(["my %s is " % k, "%s=" % k, "%s: " % k, "`%s = " % k]))
        tail = "`" if line.parts[-1].startswith("`") else ""
        line.add(v, t)
        line.add(tail)
    line.add(r.choice(["", " thanks!", " 🙏", ". What am I doing wrong?"]))


def g_log(r, line, items):
    line.add("2024-%02d-%02d %02d:%02d:%02d " % (r.randint(1, 12), r.randint(1, 28), r.randint(0, 23),
                                                 r.randint(0, 59), r.randint(0, 59)))
    line.add(r.choice(["DEBUG ", "INFO ", "ERROR "]) + r.choice(["auth: ", "http: ", "worker[3]: "]))
    for k, v, t in items:
        if "\n" in v:
            line.add("loaded key ")
            line.add(v, t)
            line.add(" ")
            continue
        line.add("%s=" % k.lower())
        line.add(v, t)
        line.add(" ")
    line.add(r.choice(["status=401", "ok", "retrying"]))


def g_compose(r, line, items):
    line.add("services:\n  api:\n    image: acme/api:1.4\n    environment:\n")
    for k, v, t in items:
        if "\n" in v:
            line.add("      - %s=" % env_name(k))
            line.add(v.replace("\n", "\\n"), t)
            line.add("\n")
            continue
        line.add("      - %s=" % env_name(k))
        line.add(v, t)
        line.add("\n")


GENRES = [(g_env, 16), (g_yaml, 12), (g_json, 12), (g_python, 14), (g_js, 8), (g_curl, 8),
          (g_chat, 16), (g_log, 8), (g_compose, 6)]


def make_line(r, decoy_only):
    items = []
    if decoy_only:
        for _ in range(r.choice([1, 2, 3])):
            k, v = decoy(r)
            items.append((k, v, None))
    else:
        for _ in range(r.choice([1, 1, 1, 2, 2, 3])):
            if r.random() < 0.25:
                k, v = decoy(r)
                items.append((k, v, None))
            else:
                items.extend(item(r))
        if all(t is None for _, _, t in items):
            items.extend(item(r))
    gen = r.choices([g for g, _ in GENRES], [w for _, w in GENRES])[0]
    line = Line()
    gen(r, line, items)
    return {"text": line.text(), "spans": line.spans}


def write(path, seed, n):
    r = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(n):
            rec = make_line(r, decoy_only=(r.random() < 0.22))
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def main():
    n = int(os.environ.get("SECRETS_BLIND7_LINES", "800"))
    write(os.path.join(HERE, "secrets_blind7_dev.jsonl"), 7101, n)
    write(os.path.join(HERE, "secrets_blind7_holdout.jsonl"), 7102, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
