#!/usr/bin/env python3
"""Blind secrets test set (blind8) for Warden's `secrets` guardrail.

Written from the README's claims only. JSONL {"text", "spans": [{"type","start","end"}]},
code-point offsets. Lines without spans hold only look-alikes that must not match.

usage: gen_secrets_blind8.py [--dev FILE] [--holdout FILE] [--n N]
"""
import base64
import hashlib
import json
import os
import random
import sys

DIG = "0123456789"
UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LO = "abcdefghijklmnopqrstuvwxyz"
AN = UP + LO + DIG
HEX = "0123456789abcdef"
B64 = AN + "+/"
URLSAFE = AN + "-_"


def rs(r, n, alpha=AN):
    return "".join(r.choice(alpha) for _ in range(n))


class E:
    def __init__(self, typ, text):
        self.typ, self.text = typ, text


def build(pieces):
    text, spans = "", []
    for p in pieces:
        if isinstance(p, E):
            if p.typ:
                spans.append({"type": p.typ, "start": len(text), "end": len(text) + len(p.text)})
            text += p.text
        else:
            text += p
    return {"text": text, "spans": spans}


# ------------------------------------------------------------------ key makers

def openai(r):
    k = r.random()
    if k < 0.35:
        return "sk-" + rs(r, 20) + "T3BlbkFJ" + rs(r, 20)
    if k < 0.8:
        return "sk-proj-" + rs(r, r.choice([48, 64, 74]), URLSAFE) + "T3BlbkFJ" + rs(r, r.choice([48, 64, 74]), URLSAFE)
    if k < 0.9:
        return "sk-svcacct-" + rs(r, 74, URLSAFE) + "T3BlbkFJ" + rs(r, 74, URLSAFE)
    return "sk-admin-" + rs(r, 60, URLSAFE) + "T3BlbkFJ" + rs(r, 60, URLSAFE)


def anthropic(r):
    if r.random() < 0.85:
        return "sk-ant-api03-" + rs(r, 93, URLSAFE) + "AA"
    return "sk-ant-admin01-" + rs(r, 93, URLSAFE) + "AA"


def aws_id(r):
    return r.choice(["AKIA", "AKIA", "AKIA", "ASIA"]) + rs(r, 16, UP + "234567")


def aws_secret(r):
    return rs(r, 40, B64)


def github(r):
    k = r.random()
    if k < 0.7:
        return r.choice(["ghp_", "ghp_", "gho_", "ghs_", "ghu_", "ghr_"]) + rs(r, 36)
    return "github_pat_" + rs(r, 22) + "_" + rs(r, 59)


def gitlab(r):
    k = r.random()
    return "glpat-" + rs(r, 20, URLSAFE)


def slack(r):
    k = r.random()
    if k < 0.5:
        return "xoxb-%s-%s-%s" % (rs(r, r.choice([11, 12, 13]), DIG), rs(r, r.choice([12, 13]), DIG), rs(r, 24))
    if k < 0.8:
        return "xoxp-%s-%s-%s-%s" % (rs(r, 11, DIG), rs(r, 12, DIG), rs(r, 13, DIG), rs(r, 32, HEX))
    if k < 0.9:
        return "xoxe.xoxp-1-" + rs(r, 140)
    return "xapp-1-A%s-%s-%s" % (rs(r, 10, UP + DIG), rs(r, 13, DIG), rs(r, 64, HEX))


def slack_hook(r):
    return "https://hooks.slack.com/services/T%s/B%s/%s" % (rs(r, r.choice([8, 10]), UP + DIG),
                                                            rs(r, r.choice([8, 10, 11]), UP + DIG), rs(r, 24))


def stripe(r):
    pre = r.choice(["sk_live_", "sk_live_", "sk_test_", "rk_live_", "rk_test_"])
    return pre + rs(r, r.choice([24, 34, 99]))


def google(r):
    return "AIza" + rs(r, 35, URLSAFE)


def hf(r):
    return "hf_" + rs(r, 34, UP + LO)


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def jwt(r):
    alg = r.choice(["HS256", "RS256", "ES256", "HS512"])
    hdr = {"alg": alg, "typ": "JWT"}
    if r.random() < 0.4:
        hdr["kid"] = rs(r, 16, HEX)
    if r.random() < 0.3:
        hdr = {"typ": "JWT", "alg": alg}
    payload = {"sub": str(r.randint(1000, 99999999)), "iat": r.randint(1600000000, 1760000000)}
    if r.random() < 0.6:
        payload["email"] = "user%d@example.com" % r.randint(1, 999)
        payload["role"] = r.choice(["admin", "user", "service"])
    if r.random() < 0.5:
        payload["exp"] = payload["iat"] + 3600
    siglen = {"HS256": 32, "RS256": 256, "ES256": 64, "HS512": 64}[alg]
    sep = (",", ":") if r.random() < 0.7 else (", ", ": ")
    return ".".join([b64url(json.dumps(hdr, separators=sep).encode()), b64url(json.dumps(payload, separators=sep).encode()),
                     b64url(bytes(r.randrange(256) for _ in range(siglen)))])


def pem(r, escaped=False):
    kind = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])
    nlines = {"RSA PRIVATE KEY": 25, "PRIVATE KEY": 26, "EC PRIVATE KEY": 3, "OPENSSH PRIVATE KEY": 7,
              "ENCRYPTED PRIVATE KEY": 27}[kind]
    nl = "\\n" if escaped else "\n"
    body = [base64.b64encode(bytes(r.randrange(256) for _ in range(48))).decode() for _ in range(nlines - 1)]
    if kind == "OPENSSH PRIVATE KEY":
        body = [base64.b64encode(b"openssh-key-v1\0" + bytes(r.randrange(256) for _ in range(37))).decode()] + \
               [base64.b64encode(bytes(r.randrange(256) for _ in range(52))).decode()[:70] for _ in range(nlines - 1)]
    else:
        body.append(base64.b64encode(bytes(r.randrange(256) for _ in range(r.randint(10, 40)))).decode())
    return "-----BEGIN %s-----%s%s%s-----END %s-----" % (kind, nl, nl.join(body), nl, kind)


def password(r):
    k = r.random()
    if k < 0.5:
        return rs(r, r.randint(14, 28), AN + "!#%^*-_")
    if k < 0.75:
        return rs(r, r.randint(20, 32), URLSAFE)
    return "%s%s%s%d%s" % (r.choice(["Tr0ub4dor", "Summ3r", "Kx9", "Bl4ckP3pper", "Zq7"]), r.choice(["!", "#", "$", "%"]),
                           rs(r, 6, AN), r.randint(10, 99), rs(r, 4, AN))


def db_url(r):
    user = r.choice(["app", "postgres", "admin", "svc_billing", "root", "reporting_ro"])
    pw = password(r).replace("#", "x").replace("%", "z").replace("/", "A").replace("?", "q").replace("@", "a")
    host = r.choice(["db.internal.example.com", "10.0.4.12", "prod-db-1.c9akciq32.eu-west-1.rds.amazonaws.com",
                     "localhost", "mysql.example.net", "cluster0.ab1cd.mongodb.net", "redis-master"])
    k = r.randrange(7)
    if k == 0:
        return "postgres://%s:%s@%s:5432/%s" % (user, pw, host, r.choice(["app", "billing", "analytics"]))
    if k == 1:
        return "postgresql://%s:%s@%s/%s?sslmode=require" % (user, pw, host, r.choice(["app", "crm"]))
    if k == 2:
        return "mysql://%s:%s@%s:3306/%s" % (user, pw, host, r.choice(["shop", "wordpress"]))
    if k == 3:
        return "mongodb+srv://%s:%s@cluster0.ab1cd.mongodb.net/%s?retryWrites=true&w=majority" % (user, pw, r.choice(["test", "prod"]))
    if k == 4:
        return "redis://:%s@%s:6379/0" % (pw, host)
    if k == 5:
        return "amqp://%s:%s@rabbitmq.internal:5672/%s" % (user, pw, r.choice(["vhost", "%2F"]))
    return "postgresql+psycopg2://%s:%s@%s:5432/%s" % (user, pw, host, "warehouse")


def generic(r):
    k = r.random()
    if k < 0.4:
        return rs(r, r.choice([24, 32, 40, 48]), AN)
    if k < 0.6:
        return rs(r, r.choice([32, 40, 64]), HEX)
    if k < 0.8:
        return rs(r, r.choice([22, 43]), URLSAFE)
    return base64.b64encode(bytes(r.randrange(256) for _ in range(r.choice([24, 32])))).decode()


MAKERS = {
    "OPENAI_API_KEY": openai, "ANTHROPIC_API_KEY": anthropic, "AWS_ACCESS_KEY_ID": aws_id,
    "GITHUB_TOKEN": github, "GITLAB_TOKEN": gitlab, "SLACK_TOKEN": slack, "SLACK_WEBHOOK": slack_hook,
    "STRIPE_KEY": stripe, "GOOGLE_API_KEY": google, "HUGGINGFACE_TOKEN": hf, "JWT": jwt,
}
ENVNAME = {
    "OPENAI_API_KEY": ["OPENAI_API_KEY", "OPENAI_KEY", "LLM_KEY"], "ANTHROPIC_API_KEY": ["ANTHROPIC_API_KEY", "CLAUDE_KEY"],
    "AWS_ACCESS_KEY_ID": ["AWS_ACCESS_KEY_ID"], "GITHUB_TOKEN": ["GITHUB_TOKEN", "GH_TOKEN", "GITHUB_PAT"],
    "GITLAB_TOKEN": ["GITLAB_TOKEN", "CI_JOB_PAT", "GL_TOKEN"], "SLACK_TOKEN": ["SLACK_BOT_TOKEN", "SLACK_TOKEN"],
    "SLACK_WEBHOOK": ["SLACK_WEBHOOK_URL", "ALERTS_WEBHOOK"], "STRIPE_KEY": ["STRIPE_SECRET_KEY", "STRIPE_API_KEY"],
    "GOOGLE_API_KEY": ["GOOGLE_API_KEY", "MAPS_API_KEY", "FIREBASE_API_KEY"], "HUGGINGFACE_TOKEN": ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"],
    "JWT": ["ACCESS_TOKEN", "SESSION_JWT"],
}


def K(r, t=None):
    t = t or r.choice(list(MAKERS))
    return t, E(t, MAKERS[t](r))


# ------------------------------------------------------------------ decoys

PLACEHOLDERS = ["sk-xxxxxxxxxxxxxxxxxxxxxxxx", "YOUR_API_KEY", "<your-api-key>", "${OPENAI_API_KEY}", "$GITHUB_TOKEN",
                "changeme", "xxxxxxxxxxxxxxxxxxxx", "********", "<REDACTED>", "sk-...", "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
                "AKIAXXXXXXXXXXXXXXXX", "your-secret-here", "{{ secrets.API_TOKEN }}", "%(api_key)s", "os.environ['API_KEY']",
                "process.env.STRIPE_SECRET_KEY", "<token>", "sk_live_...", "REPLACE_ME", "None", "null", "\"\"",
                "{{ .Values.apiKey }}", "$(cat /run/secrets/db_password)", "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]


def dec_value(r):
    k = r.randrange(10)
    if k == 0:
        return hashlib.sha256(str(r.random()).encode()).hexdigest()
    if k == 1:
        return hashlib.sha1(str(r.random()).encode()).hexdigest()
    if k == 2:
        return "%08x-%04x-4%03x-%04x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12),
                                              0x8000 | r.getrandbits(14), r.getrandbits(48))
    if k == 3:
        return "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(r.randrange(256) for _ in range(60))).decode()
    if k == 4:
        return "sha512-" + base64.b64encode(hashlib.sha512(str(r.random()).encode()).digest()).decode()
    if k == 5:
        return "sha256:" + hashlib.sha256(str(r.random()).encode()).hexdigest()
    if k == 6:
        return "pk_live_" + rs(r, 24)
    if k == 7:
        return r.choice(PLACEHOLDERS)
    if k == 8:
        return "ami-0" + rs(r, 16, HEX)
    return "arn:aws:iam::%s:role/%s" % (rs(r, 12, DIG), r.choice(["deploy", "ReadOnly", "lambda-exec"]))


def d_line(r):
    k = r.randrange(20)
    if k == 0:
        return ["# .env.example\nOPENAI_API_KEY=", E(None, r.choice(["sk-xxxxxxxxxxxxxxxxxxxxxxxx", "your-openai-key", "<your-key>", "sk-..."])),
                "\nSTRIPE_SECRET_KEY=", E(None, r.choice(["sk_test_XXXXXXXXXXXXXXXX", "changeme", "REPLACE_ME"])),
                "\nDATABASE_URL=postgres://", r.choice(["app:${DB_PASSWORD}", "app:<password>", "app:$(DB_PASS)"]),
                "@localhost:5432/app\n"]
    if k == 1:
        return ["api_key = os.environ[\"OPENAI_API_KEY\"]\nclient = OpenAI(api_key=api_key)\n",
                "token = os.getenv(\"GITHUB_TOKEN\", \"\")\n"]
    if k == 2:
        return ["const stripe = require('stripe')(process.env.STRIPE_SECRET_KEY);\nconst key = config.get('apiKey');"]
    if k == 3:
        return ["commit ", E(None, hashlib.sha1(str(r.random()).encode()).hexdigest()), "\nAuthor: Dev <dev@example.com>\n\n    Rotate keys (no secrets in repo)"]
    if k == 4:
        return ["<img src=\"", E(None, dec_value(r) if r.random() < 0.2 else "data:image/png;base64," +
                                base64.b64encode(bytes(r.randrange(256) for _ in range(90))).decode()), "\" alt=\"logo\">"]
    if k == 5:
        return ["\"integrity\": \"", E(None, "sha512-" + base64.b64encode(hashlib.sha512(str(r.random()).encode()).digest()).decode()),
                "\",\n\"resolved\": \"https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz\""]
    if k == 6:
        return ["docker pull ghcr.io/acme/api@", E(None, "sha256:" + hashlib.sha256(str(r.random()).encode()).hexdigest())]
    if k == 7:
        return ["request_id=", E(None, dec_value(r)), " trace_id=", E(None, rs(r, 32, HEX)), " span_id=", E(None, rs(r, 16, HEX)), " status=200"]
    if k == 8:
        return ["export AWS_ACCESS_KEY_ID=", E(None, "AKIAIOSFODNN7EXAMPLE" if r.random() < 0.0 else "$AWS_KEY"),
                "\nexport AWS_SECRET_ACCESS_KEY=", E(None, "${AWS_SECRET}"), "\n"]
    if k == 9:
        return ["-----BEGIN PUBLIC KEY-----\n", base64.b64encode(bytes(r.randrange(256) for _ in range(48))).decode(), "\n",
                base64.b64encode(bytes(r.randrange(256) for _ in range(30))).decode(), "\n-----END PUBLIC KEY-----"]
    if k == 10:
        return ["-----BEGIN CERTIFICATE-----\n", "\n".join(base64.b64encode(bytes(r.randrange(256) for _ in range(48))).decode()
                                                      for _ in range(5)), "\n-----END CERTIFICATE-----"]
    if k == 11:
        return ["password: ", E(None, r.choice(["\"\"", "null", "changeme", "<password>", "${DB_PASSWORD}", "********"])),
                "\nusername: admin\nhost: db.internal\n"]
    if k == 12:
        return ["Authorization: Bearer ", E(None, r.choice(["<token>", "$TOKEN", "YOUR_TOKEN_HERE", "${ACCESS_TOKEN}"]))]
    if k == 13:
        return ["ssh-ed25519 ", E(None, base64.b64encode(b"\0\0\0\x0bssh-ed25519\0\0\0 " + bytes(r.randrange(256) for _ in range(32))).decode()),
                " deploy@ci-runner"]
    if k == 14:
        return ["Set GITHUB_TOKEN in Settings → Secrets and variables → Actions; never paste the token (ghp_…) into an issue."]
    if k == 15:
        return ["version: ", E(None, "%d.%d.%d" % (r.randint(0, 9), r.randint(0, 30), r.randint(0, 99))), "\nimage: nginx:1.25-alpine\n",
                "checksum: ", E(None, hashlib.md5(str(r.random()).encode()).hexdigest())]
    if k == 16:
        return ["the token expired at ", E(None, "2025-%02d-%02dT%02d:00:00Z" % (r.randint(1, 12), r.randint(1, 28), r.randint(0, 23))),
                ", please run `gh auth login` again"]
    if k == 17:
        return ["{\"apiKey\": \"", E(None, r.choice(PLACEHOLDERS[:12])), "\", \"endpoint\": \"https://api.example.com/v1\"}"]
    if k == 18:
        return ["image_id: ", E(None, dec_value(r)), "\nrole: ", E(None, "arn:aws:iam::%s:role/deploy" % rs(r, 12, DIG))]
    return ["redis_url: redis://", r.choice(["localhost", "redis-master"]), ":6379/0\npg: postgres://", r.choice(["app", "readonly"]),
            "@db.internal:5432/app"]


# ------------------------------------------------------------------ templates

def t_env(r):
    p = ["# .env — production\n"]
    types = r.sample(list(MAKERS), r.randint(2, 4))
    for t in types:
        p += [r.choice(ENVNAME[t]), "=", E(t, MAKERS[t](r)), "\n"]
    if r.random() < 0.5:
        p += ["DATABASE_URL=", E("DATABASE_URL", db_url(r)), "\n"]
    if r.random() < 0.4:
        p += ["SENTRY_DSN_SECRET_KEY=", E("GENERIC_SECRET", rs(r, 32, HEX)), "\n"]
    p += ["LOG_LEVEL=info\nAPP_VERSION=", E(None, "%d.%d.%d" % (r.randint(1, 5), r.randint(0, 20), r.randint(0, 9))), "\n"]
    return p


def t_export(r):
    t, e = K(r)
    q = r.choice(["", "\"", "'"])
    return ["$ export ", r.choice(ENVNAME[t]), "=", q, e, q, "\n$ python run_eval.py --model ", r.choice(["gpt-4o", "claude-3-5-sonnet"])]


def t_aws(r):
    k = r.randrange(4)
    if k == 0:
        return ["[default]\naws_access_key_id = ", E("AWS_ACCESS_KEY_ID", aws_id(r)), "\naws_secret_access_key = ",
                E("AWS_SECRET_ACCESS_KEY", aws_secret(r)), "\nregion = ", r.choice(["eu-west-1", "us-east-1"]), "\n"]
    if k == 1:
        return ["s3 = boto3.client(\n    \"s3\",\n    aws_access_key_id=\"", E("AWS_ACCESS_KEY_ID", aws_id(r)),
                "\",\n    aws_secret_access_key=\"", E("AWS_SECRET_ACCESS_KEY", aws_secret(r)), "\",\n)"]
    if k == 2:
        return ["{\"AccessKey\": {\"UserName\": \"ci-bot\", \"AccessKeyId\": \"", E("AWS_ACCESS_KEY_ID", aws_id(r)),
                "\", \"Status\": \"Active\", \"SecretAccessKey\": \"", E("AWS_SECRET_ACCESS_KEY", aws_secret(r)), "\"}}"]
    return ["env:\n  - name: AWS_ACCESS_KEY_ID\n    value: ", E("AWS_ACCESS_KEY_ID", aws_id(r)),
            "\n  - name: AWS_SECRET_ACCESS_KEY\n    value: ", E("AWS_SECRET_ACCESS_KEY", aws_secret(r)), "\n"]


def t_json(r):
    t, e = K(r)
    p = ["{\n  \"service\": \"", r.choice(["billing", "search", "notifier"]), "\",\n  \"", r.choice(["apiKey", "token", "credentials", "auth"]),
         "\": \"", e, "\",\n  \"timeout_ms\": ", E(None, str(r.choice([500, 3000, 10000]))), ",\n  \"build\": \"", E(None, rs(r, 40, HEX)), "\"\n}"]
    return p


def t_python(r):
    t, e = K(r, r.choice(["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HUGGINGFACE_TOKEN", "GOOGLE_API_KEY", "STRIPE_KEY"]))
    lib = {"OPENAI_API_KEY": "client = OpenAI(api_key=\"%s\")", "ANTHROPIC_API_KEY": "client = anthropic.Anthropic(api_key=\"%s\")",
           "HUGGINGFACE_TOKEN": "login(token=\"%s\")", "GOOGLE_API_KEY": "genai.configure(api_key=\"%s\")",
           "STRIPE_KEY": "stripe.api_key = \"%s\""}[t]
    pre, post = lib.split("%s")
    return ["import os\n", pre, e, post, "\n# TODO: move to ", E(None, "os.environ[\"%s\"]" % ENVNAME.get(t, ["X"])[0]), " before merging\n"]


def t_js(r):
    t, e = K(r, r.choice(["OPENAI_API_KEY", "STRIPE_KEY", "GOOGLE_API_KEY", "SLACK_TOKEN", "GITHUB_TOKEN"]))
    return ["const config = {\n  ", r.choice(["apiKey", "token", "secret"]), ": '", e, "',\n  retries: 3,\n};\n",
            "module.exports = config; // ", E(None, "build " + rs(r, 7, HEX))]


def t_curl(r):
    k = r.randrange(5)
    if k == 0:
        return ["curl https://api.openai.com/v1/chat/completions \\\n  -H \"Authorization: Bearer ", E("OPENAI_API_KEY", openai(r)),
                "\" \\\n  -H \"Content-Type: application/json\" -d @body.json"]
    if k == 1:
        return ["curl -s https://api.anthropic.com/v1/messages -H \"x-api-key: ", E("ANTHROPIC_API_KEY", anthropic(r)),
                "\" -H \"anthropic-version: 2023-06-01\""]
    if k == 2:
        return ["curl -H 'Authorization: token ", E("GITHUB_TOKEN", github(r)), "' https://api.github.com/user/repos"]
    if k == 3:
        return ["curl -X POST -H 'Content-type: application/json' --data '{\"text\":\"deploy done\"}' ", E("SLACK_WEBHOOK", slack_hook(r))]
    return ["curl https://api.stripe.com/v1/charges -u ", E("STRIPE_KEY", stripe(r)), ": -d amount=2000 -d currency=eur"]


def t_log(r):
    k = r.randrange(4)
    ts = "%d-%02d-%02d %02d:%02d:%02d,%03d" % (r.randint(2023, 2026), r.randint(1, 12), r.randint(1, 28), r.randint(0, 23),
                                               r.randint(0, 59), r.randint(0, 59), r.randint(0, 999))
    if k == 0:
        return [ts, " DEBUG http.client send: b'GET /api/v4/projects HTTP/1.1\\r\\nPRIVATE-TOKEN: ", E("GITLAB_TOKEN", gitlab(r)),
                "\\r\\nHost: gitlab.example.com\\r\\n'"]
    if k == 1:
        return [ts, " WARN auth failed for token=", E("SLACK_TOKEN", slack(r)), " (invalid_auth) request_id=", E(None, dec_value(r))]
    if k == 2:
        return [ts, " INFO request headers: {'Authorization': 'Bearer ", E("JWT", jwt(r)), "', 'User-Agent': 'okhttp/4.12.0'}"]
    return [ts, " ERROR HfHubHTTPError: 401 Client Error for url: https://huggingface.co/api/models (token ",
            E("HUGGINGFACE_TOKEN", hf(r)), ")"]


def t_yaml(r):
    p = ["# values.yaml\nreplicaCount: 2\nsecrets:\n"]
    for t in r.sample(list(MAKERS), r.randint(1, 3)):
        p += ["  ", r.choice(ENVNAME[t]).lower(), ": \"", E(t, MAKERS[t](r)), "\"\n"]
    if r.random() < 0.5:
        p += ["database:\n  url: ", E("DATABASE_URL", db_url(r)), "\n"]
    if r.random() < 0.5:
        p += ["  password: \"", E("GENERIC_SECRET", password(r)), "\"\n"]
    return p


def t_toml(r):
    p = ["[database]\nurl = \"", E("DATABASE_URL", db_url(r)), "\"\npool_size = 10\n"]
    if r.random() < 0.6:
        p += ["\n[api]\nsecret_key = \"", E("GENERIC_SECRET", generic(r)), "\"\n"]
    return p


def t_generic(r):
    v = generic(r)
    k = r.randrange(12)
    if k == 0:
        return ["api_key=", E("GENERIC_SECRET", v), "&format=json"]
    if k == 1:
        return ["\"client_secret\": \"", E("GENERIC_SECRET", v), "\","]
    if k == 2:
        return ["SECRET_KEY = '", E("GENERIC_SECRET", v), "'  # Django"]
    if k == 3:
        return ["my password is ", E("GENERIC_SECRET", password(r)), " please don't tell anyone"]
    if k == 4:
        return ["Authorization: Bearer ", E("GENERIC_SECRET", v)]
    if k == 5:
        return ["os.environ[\"SERVICE_TOKEN\"] = \"", E("GENERIC_SECRET", v), "\""]
    if k == 6:
        return ["SENDGRID_API_KEY=", E("GENERIC_SECRET", "SG." + rs(r, 22, URLSAFE) + "." + rs(r, 43, URLSAFE))]
    if k == 7:
        return ["twilio:\n  account_sid: AC", E(None, rs(r, 32, HEX)), "\n  auth_token: ", E("GENERIC_SECRET", rs(r, 32, HEX))]
    if k == 8:
        return ["<add key=\"ApiSecret\" value=\"", E("GENERIC_SECRET", v), "\" />"]
    if k == 9:
        return ["spring.datasource.password=", E("GENERIC_SECRET", password(r))]
    if k == 10:
        return ["-e MAILGUN_API_KEY=", E("GENERIC_SECRET", "key-" + rs(r, 32, HEX)), " \\"]
    return ["token: ", E("GENERIC_SECRET", v)]


def t_pem(r):
    k = r.randrange(4)
    if k == 0:
        return ["$ cat ~/.ssh/id_deploy\n", E("PRIVATE_KEY", pem(r)), "\n$ chmod 600 ~/.ssh/id_deploy"]
    if k == 1:
        return ["{\n  \"type\": \"service_account\",\n  \"project_id\": \"acme-prod-%d\",\n  \"private_key_id\": \"" % r.randint(100, 999),
                E(None, rs(r, 40, HEX)), "\",\n  \"private_key\": \"", E("PRIVATE_KEY", pem(r, escaped=True)),
                "\\n\",\n  \"client_email\": \"deployer@acme-prod.iam.gserviceaccount.com\"\n}"]
    if k == 2:
        return ["tls:\n  key: |\n    ", E("PRIVATE_KEY", pem(r).replace("\n", "\n    ")), "\n  cert: ./server.crt"]
    return ["Here is the key from the server, can you check why nginx rejects it?\n\n```\n", E("PRIVATE_KEY", pem(r)), "\n```"]


def t_gitdiff(r):
    t, e = K(r)
    f = r.choice(["config/settings.py", ".github/workflows/deploy.yml", "src/lib/client.ts", "docker-compose.yml"])
    return ["diff --git a/%s b/%s\n--- a/%s\n+++ b/%s\n@@ -%d,3 +%d,4 @@\n" % (f, f, f, f, r.randint(1, 60), r.randint(1, 60)),
            "-  %s: ${{ secrets.%s }}\n+  %s: " % (ENVNAME[t][0], ENVNAME[t][0], ENVNAME[t][0]), e, "\n"]


def t_chat(r):
    t, e = K(r)
    k = r.randrange(3)
    if k == 0:
        return ["[user] why does this fail?? I'm using key ", e, " and getting 401"]
    if k == 1:
        return ["Hi team — the new ", t.split("_")[0].lower(), " token for staging is ", e, ", rotate it after the demo pls"]
    return ["> ", r.choice(["Slack", "Teams", "Discord"]), " message from @dev: pasted ", e, " by mistake, revoking now"]


def t_docker(r):
    return ["docker run -d \\\n  -e POSTGRES_PASSWORD=", E("GENERIC_SECRET", password(r)), " \\\n  -e DATABASE_URL=",
            E("DATABASE_URL", db_url(r)), " \\\n  -p 5432:5432 postgres:16"]


def t_jwtctx(r):
    k = r.randrange(3)
    if k == 0:
        return ["Cookie: session=", E("JWT", jwt(r)), "; Path=/; HttpOnly"]
    if k == 1:
        return ["localStorage.setItem('id_token', '", E("JWT", jwt(r)), "');"]
    return ["https://app.example.com/callback#access_token=", E("JWT", jwt(r)), "&token_type=Bearer&expires_in=3600"]


def t_mixed_decoy(r):
    # positives with decoys nearby
    t, e = K(r)
    return ["# example: ", E(None, r.choice(PLACEHOLDERS)), "\n", r.choice(ENVNAME[t]), "=", e, "\n# checksum ",
            E(None, dec_value(r))]


TEMPLATES = [t_env, t_export, t_aws, t_aws, t_json, t_python, t_js, t_curl, t_curl, t_log, t_log, t_yaml, t_toml,
             t_generic, t_generic, t_generic, t_pem, t_gitdiff, t_chat, t_chat, t_docker, t_jwtctx, t_mixed_decoy]


def gen(seed, n):
    r = random.Random(seed)
    out = []
    for _ in range(n):
        if r.random() < 0.28:
            out.append(build(d_line(r)))
        else:
            out.append(build(r.choice(TEMPLATES)(r)))
    return out


def main():
    args = sys.argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    dev, hold, n = os.path.join(here, "secrets_blind8_dev.jsonl"), os.path.join(here, "secrets_blind8_holdout.jsonl"), 600
    while args:
        a = args.pop(0)
        if a == "--dev":
            dev = args.pop(0)
        elif a == "--holdout":
            hold = args.pop(0)
        elif a == "--n":
            n = int(args.pop(0))
    for path, seed in ((dev, 8811), (hold, 8812)):
        with open(path, "w", encoding="utf-8") as f:
            for rec in gen(seed, n):
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        print("wrote", path)


if __name__ == "__main__":
    main()
