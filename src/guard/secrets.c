/* Built-in secret rules. See secrets.h.
 *
 * Token patterns are prefixes with a minimum length ("ghp_" + 36): the check
 * extends the token over its alphabet, which keeps every pattern small enough
 * for Hyperscan's start-of-match mode and gives one candidate per token
 * instead of one per possible end. Generic secrets are found by their key
 * word; the check then reads the value after ':' or '=' and keeps it only if
 * it is long and random enough (Shannon entropy, entropy_threshold) and not
 * a placeholder ("<your-key>", "${TOKEN}", "changeme", "xxxx"). */
#include "guard/secrets.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "guard/pii.h"
#include "util/alloc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TOKEN_MAX 1024
#define PEM_MAX (8 * 1024) /* a 4096-bit RSA key in PEM is ~3.3 KB; also the stream window */
#define GENERIC_MIN 8
#define GENERIC_MAX 256

const char *const guard_secret_entity_names[] = {
    "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN",
    "GITLAB_TOKEN",   "SLACK_TOKEN",       "SLACK_WEBHOOK",     "STRIPE_KEY",            "GOOGLE_API_KEY",
    "HUGGINGFACE_TOKEN", "PRIVATE_KEY",    "JWT",               "DATABASE_URL",          "GENERIC_SECRET",
    NULL};

static int token_char(const struct detect_rule *r, unsigned char c)
{
    return isalnum(c) || (c && r->word_extra && strchr(r->word_extra, c));
}

/* Extends the span over the token's alphabet (letters, digits, word_extra). */
static int extend_token(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    size_t e = sp->end;
    while (e < len && token_char(r, (unsigned char)t[e]) && e - sp->start < TOKEN_MAX)
        e++;
    if (e < len && token_char(r, (unsigned char)t[e]))
        return 0;
    /* a trailing '-' or '.' is punctuation, not part of the key */
    while (e > sp->end && (t[e - 1] == '-' || t[e - 1] == '.'))
        e--;
    sp->end = e;
    return 1;
}

static int check_token(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    if (!extend_token(t, len, sp, r))
        return DETECT_REJECT;
    if (r->min_entropy > 0 && detect_entropy(t + sp->start, sp->end - sp->start) < r->min_entropy)
        return DETECT_REJECT;
    return DETECT_VALID;
}

/* sk-... but not sk-ant-... (Anthropic's rule) and not a word like sk-learn-model-... */
static int check_openai(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    if (sp->end - sp->start >= 7 && !memcmp(t + sp->start, "sk-ant-", 7))
        return DETECT_REJECT;
    if (check_token(t, len, sp, r) != DETECT_VALID)
        return DETECT_REJECT;
    int digit = 0;
    for (size_t k = sp->start + 3; k < sp->end; k++)
        digit |= isdigit((unsigned char)t[k]) != 0;
    return digit ? DETECT_VALID : DETECT_REJECT;
}

/* 40 base64 characters: random-looking (both cases and a digit, entropy). */
static int check_aws_secret(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    int up = 0, low = 0, dig = 0;
    for (size_t k = sp->start; k < sp->end; k++) {
        unsigned char c = (unsigned char)t[k];
        up |= isupper(c) != 0;
        low |= islower(c) != 0;
        dig |= isdigit(c) != 0;
    }
    if (!up || !low || !dig || detect_entropy(t + sp->start, sp->end - sp->start) < r->min_entropy)
        return DETECT_REJECT;
    if (sp->end < len && t[sp->end] == '=')
        return DETECT_REJECT; /* 40 characters of a longer base64 text with its padding */
    return DETECT_MATCH;
}

/* -----BEGIN ... PRIVATE KEY----- through its END line (or, if cut off, the base64 that follows). */
static int check_pem(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    size_t limit = len - sp->end > PEM_MAX ? sp->end + PEM_MAX : len;
    const char *endm = memmem(t + sp->end, limit - sp->end, "-----END", 8);
    if (endm != NULL) {
        const char *close = memmem(endm + 8, (size_t)(t + limit - endm - 8), "-----", 5);
        if (close != NULL && close - endm < 80) {
            sp->end = (size_t)(close - t) + 5;
            return DETECT_VALID;
        }
    }
    size_t e = sp->end;
    while (e < limit && (isalnum((unsigned char)t[e]) || strchr("+/=\r\n \t", t[e]) != NULL) && t[e] != '\0')
        e++;
    while (e > sp->end && isspace((unsigned char)t[e - 1]))
        e--;
    sp->end = e;
    return DETECT_VALID;
}

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-' || c == '+')
        return 62;
    if (c == '_' || c == '/')
        return 63;
    return -1;
}

/* header.payload.signature, the header base64url JSON with an "alg". */
static int check_jwt(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    size_t h = sp->start, he = h;
    while (he < len && b64url_value((unsigned char)t[he]) >= 0 && he - h < 2048)
        he++;
    if (he >= len || t[he] != '.')
        return DETECT_REJECT;
    unsigned char json[1600];
    size_t nj = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t k = h; k < he; k++) {
        acc = (acc << 6) | (unsigned)b64url_value((unsigned char)t[k]);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            json[nj++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    json_t *hdr = json_loadb((const char *)json, nj, 0, NULL);
    int ok = json_is_object(hdr) && json_is_string(json_object_get(hdr, "alg"));
    json_decref(hdr);
    if (!ok)
        return DETECT_REJECT;
    size_t e = he + 1, ps = e;
    while (e < len && b64url_value((unsigned char)t[e]) >= 0 && t[e] != '+' && t[e] != '/')
        e++;
    if (e - ps < 2 || e >= len || t[e] != '.') {
        if (e - ps < 2)
            return DETECT_REJECT;
        sp->end = e; /* no signature part: header.payload is still a token */
        return DETECT_VALID;
    }
    e++;
    while (e < len && (isalnum((unsigned char)t[e]) || t[e] == '-' || t[e] == '_'))
        e++;
    sp->end = e;
    return DETECT_VALID;
}

static int placeholder_value(const char *v, size_t n)
{
    static const char *const marks[] = {"your",     "example", "xxxx",        "****",       "changeme", "placeholder",
                                        "redacted", "dummy",   "process.env", "os.environ", "getenv",   "${",
                                        "{{",       "<",       "...",         "secret_here", "replace"};
    if (strchr("<{[(", v[0]) || (n >= 2 && (!strncmp(v, "%(", 2) || !strncmp(v, "%s", 2))))
        return 1; /* <your-key>, {{ token }}, ${TOKEN}, %(secret)s */
    if (v[0] == '$') {
        size_t k = 1;
        while (k < n && (isalnum((unsigned char)v[k]) || v[k] == '_'))
            k++;
        if (k == n)
            return 1; /* $OPENAI_API_KEY: a shell variable */
        if (n >= 3 && v[1] == '(' && v[n - 1] == ')' && memchr(v + 2, ')', n - 3) == NULL)
            return 1; /* $(DB_PASS), $(cat /run/secrets/db): a command's output, all of the value */
    }
    for (size_t i = 0; i < N(marks); i++) {
        size_t ml = strlen(marks[i]);
        for (size_t k = 0; k + ml <= n; k++)
            if (strncasecmp(v + k, marks[i], ml) == 0)
                return 1;
    }
    size_t same = 1;
    for (size_t k = 1; k < n; k++)
        same += v[k] == v[0];
    return same == n;
}

/* "format=json" at t[i]: the next parameter of a query string ("?api_key=...&format=json") */
static int query_parameter_at(const char *t, size_t len, size_t i)
{
    size_t k = i;
    while (k < len && k - i < 64 && (isalnum((unsigned char)t[k]) || t[k] == '_' || t[k] == '-' || t[k] == '.'))
        k++;
    return k > i && k < len && t[k] == '=' && (isalpha((unsigned char)t[i]) || t[i] == '_');
}

/* A query string's (or a URL fragment's) parameter: its name (ending where the key word's match
 * began, at key_start) comes right after a '?', '&' or '#'. */
static int in_query_string(const char *t, size_t key_start)
{
    size_t k = key_start;
    while (k > 0 && k + 64 > key_start && (isalnum((unsigned char)t[k - 1]) || t[k - 1] == '_' || t[k - 1] == '-'))
        k--;
    return k > 0 && (t[k - 1] == '?' || t[k - 1] == '&' || t[k - 1] == '#'); /* '#': a fragment's, OAuth's implicit flow */
}

/* guard_secret_value_span, and in a query string (query) the value ends at '&' before the next parameter */
static int secret_value_span(const char *t, size_t len, size_t after, int query, struct detect_span *value)
{
    size_t i = after;
    while (i < len && (t[i] == ' ' || t[i] == '\t'))
        i++;
    char quote = 0;
    if (i < len && (t[i] == '"' || t[i] == '\'' || t[i] == '`'))
        quote = t[i++];
    size_t s = i;
    while (i < len && i - s <= GENERIC_MAX) {
        unsigned char c = (unsigned char)t[i];
        if (quote ? (c == (unsigned char)quote || c == '\n')
                  : (isspace(c) || c == '"' || c == '\'' || c == '`' || c == ',' || c == ';' ||
                     (c == '&' && query && query_parameter_at(t, len, i + 1))))
            break;
        if (c < 0x20)
            break;
        i++;
    }
    if (quote && (i >= len || t[i] != quote))
        return 0;
    if (!quote)
        while (i > s && strchr(".)]}>", t[i - 1])) /* the sentence's punctuation, not the secret's */
            i--;
    if (i - s < GENERIC_MIN || i - s > GENERIC_MAX)
        return 0;
    value->start = s;
    value->end = i;
    return 1;
}

int guard_secret_value_span(const char *t, size_t len, size_t after, struct detect_span *value)
{
    return secret_value_span(t, len, after, 0, value);
}

/* A call in code ("getAccessToken()", 'request.headers.get("Authorization")'): where the
 * secret comes from, not the secret. */
static int code_value(const char *v, size_t n)
{
    if (n < 3 || v[n - 1] != ')' || !(isalpha((unsigned char)v[0]) || v[0] == '_'))
        return 0;
    size_t k = 0;
    while (k < n && (isalnum((unsigned char)v[k]) || v[k] == '_' || v[k] == '.'))
        k++;
    return k < n && v[k] == '(';
}

/* Public by design: the algorithm of an OpenSSH public key line ("ssh_key: ssh-ed25519 AAAA...
 * me@host"), a Stripe publishable key (pk_live_ has its own low-scored rule). */
static int public_key_value(const char *v, size_t n)
{
    return (n >= 4 && !strncmp(v, "ssh-", 4)) || (n >= 11 && !strncmp(v, "ecdsa-sha2-", 11)) ||
           (n >= 7 && !strncmp(v, "sk-ssh-", 7)) || (n >= 8 && (!strncmp(v, "pk_live_", 8) || !strncmp(v, "pk_test_", 8)));
}

/* The whole name the key word is part of ("PUBLISHABLE_KEY", "public_key") says the value is public. */
static int name_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '-';
}

static int public_key_name(const char *t, size_t len, size_t start)
{
    size_t k = start, e = start;
    while (k > 0 && start - k < 64 && name_char((unsigned char)t[k - 1]))
        k--;
    while (e < len && e - start < 64 && name_char((unsigned char)t[e]))
        e++;
    for (; k + 6 <= e; k++)
        if (strncasecmp(t + k, "public", 6) == 0)
            return 1; /* "public", "publishable" */
    return 0;
}

/* "Bearer", "Basic", "Token", "Bot" at the start of an Authorization value: the length of
 * the scheme when a space follows it or it is all of the value, else 0. */
static size_t auth_scheme_len(const char *v, size_t n)
{
    static const char *const schemes[] = {"bearer", "basic", "token", "bot"};
    for (size_t i = 0; i < N(schemes); i++) {
        size_t sl = strlen(schemes[i]);
        if (n >= sl && strncasecmp(v, schemes[i], sl) == 0 && (n == sl || v[sl] == ' '))
            return sl;
    }
    return 0;
}

static int check_generic(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    /* "Authorization: Bearer <token>" or "Authorization": "Bearer <token>": the secret is
     * the credential after the scheme */
    size_t after = sp->end;
    while (after < len && (t[after] == ' ' || t[after] == '\t'))
        after++;
    size_t scheme = auth_scheme_len(t + after, len - after);
    after = scheme > 0 ? after + scheme : sp->end;
    struct detect_span v;
    if (!secret_value_span(t, len, after, in_query_string(t, sp->start), &v))
        return DETECT_REJECT;
    scheme = auth_scheme_len(t + v.start, v.end - v.start);
    if (scheme > 0) {
        v.start += scheme;
        while (v.start < v.end && t[v.start] == ' ')
            v.start++;
        if (v.end - v.start < GENERIC_MIN)
            return DETECT_REJECT;
    }
    const char *s = t + v.start;
    size_t n = v.end - v.start;
    if (placeholder_value(s, n) || detect_entropy(s, n) < r->min_entropy || code_value(s, n) || public_key_value(s, n) ||
        public_key_name(t, len, sp->start))
        return DETECT_REJECT;
    int dig = 0, up = 0, low = 0, other = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        dig |= isdigit(c) != 0;
        up |= isupper(c) != 0;
        low |= islower(c) != 0;
        other |= !isalnum(c);
    }
    /* words and identifiers ("settings.SECRET_KEY", "hunter") are not secrets; random tokens mix classes */
    if (!dig && !(up && low && (n >= 16 || other)))
        return DETECT_REJECT;
    /* letters, '_' and '.' only: a name (the text is not NUL-terminated: no strspn) */
    size_t k = 0;
    while (k < n && (isalpha((unsigned char)s[k]) || s[k] == '_' || s[k] == '.'))
        k++;
    if (!dig && k >= n)
        return DETECT_REJECT;
    *sp = v;
    return DETECT_VALID;
}

/* scheme://user:password@host...: the password must be real (not empty, not a template). */
static int check_db_url(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    size_t a = sp->end, e = a;
    while (e < len && !isspace((unsigned char)t[e]) && !strchr("\"'<>`", t[e]) && e - sp->start < 2048)
        e++;
    while (e > a && strchr(".,;:!?)]}", t[e - 1]))
        e--;
    const char *at = NULL;
    for (size_t k = a; k < e; k++) {
        if (t[k] == '/' || t[k] == '?' || t[k] == '#')
            break;
        if (t[k] == '@')
            at = t + k; /* the last '@' of the authority: passwords may contain '@' unescaped */
    }
    if (at == NULL)
        return DETECT_REJECT;
    const char *colon = memchr(t + a, ':', (size_t)(at - (t + a)));
    if (colon == NULL || colon + 1 >= at)
        return DETECT_REJECT;
    if (placeholder_value(colon + 1, (size_t)(at - colon - 1)))
        return DETECT_REJECT;
    sp->end = e;
    return DETECT_VALID;
}

/* AKIA + 16: an X-filled template ("AKIAXXXXXXXXXXXXXXXX", "AKIA1234XXXXXXXXXXXX") is no key: twelve
 * X of the 16 characters. AWS's documented example AKIAIOSFODNN7EXAMPLE stays a finding: it is
 * pasted as is. */
static int check_aws_key_id(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    size_t x = 0;
    for (size_t k = sp->start + 4; k < sp->end; k++)
        x += t[k] == 'X';
    return x >= 12 ? DETECT_REJECT : DETECT_VALID;
}

/* "secret" alone is every other key's name too ("WEBHOOK_SECRET"): AWS's own words only */
static const char *const ctx_aws[] = {"aws", "secret_access_key", "aws_secret_access_key", "secretaccesskey"};

#define CTX(a) a, N(a)
#define KEYWORDS                                                                                                         \
    "(?:api[_\\-]?key|apikey|api[_\\-]?secret|access[_\\-]?token|auth[_\\-]?token|refresh[_\\-]?token|secret[_\\-]?key|" \
    "client[_\\-]?secret|private[_\\-]?key|token|secret|password|passwd|pwd|passphrase|credentials?|authorization)"

static const struct detect_rule builtin[] = {
    {"OPENAI_API_KEY", "sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\\-]{20}", DETECT_NO_RIGHT_EDGE, "-_", check_openai, 0.9,
     0.95, NULL, 0, NULL, 0, 3.0, TOKEN_MAX},
    {"ANTHROPIC_API_KEY", "sk-ant-[A-Za-z0-9_\\-]{20}", DETECT_NO_RIGHT_EDGE, "-_", check_token, 0.95, 0.95, NULL, 0, NULL,
     0, 3.0, TOKEN_MAX},
    {"AWS_ACCESS_KEY_ID", "(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}", 0, NULL, check_aws_key_id,
     0.9, 0.9, NULL, 0, NULL, 0, 0, 0},
    {"AWS_SECRET_ACCESS_KEY", "[A-Za-z0-9/+]{40}", DETECT_NEED_CONTEXT | DETECT_SPAN_KEPT, "/+", check_aws_secret, 0.5, 0.5, CTX(ctx_aws),
     NULL, 0, 4.0, 0},
    {"GITHUB_TOKEN", "gh[pousr]_[A-Za-z0-9]{36}", DETECT_NO_RIGHT_EDGE, "", check_token, 0.95, 0.95, NULL, 0, NULL, 0, 3.0,
     TOKEN_MAX},
    {"GITHUB_TOKEN", "github_pat_[A-Za-z0-9_]{22}", DETECT_NO_RIGHT_EDGE, "_", check_token, 0.95, 0.95, NULL, 0, NULL, 0, 3.0,
     TOKEN_MAX},
    {"GITLAB_TOKEN", "glpat-[A-Za-z0-9_\\-]{20}", DETECT_NO_RIGHT_EDGE, "-_", check_token, 0.95, 0.95, NULL, 0, NULL, 0, 3.0,
     TOKEN_MAX},
    /* the part after "xoxb-" starts with a number (the team's), so "xoxb-your-bot-token" is none; app-level
     * tokens are "xapp-1-A..." */
    {"SLACK_TOKEN", "(?:xoxe\\.)?xox[abeoprs]-[0-9][A-Za-z0-9\\-]{9}", DETECT_NO_RIGHT_EDGE, "-", check_token, 0.9, 0.9, NULL,
     0, NULL, 0, 3.0, TOKEN_MAX}, /* a rotating token's "xoxe." prefix is part of it */
    {"SLACK_TOKEN", "xapp-[0-9]-[A-Za-z0-9\\-]{10}", DETECT_NO_RIGHT_EDGE, "-", check_token, 0.9, 0.9, NULL, 0, NULL, 0, 3.0,
     TOKEN_MAX},
    {"SLACK_WEBHOOK", "https://hooks\\.slack\\.com/services/T[A-Za-z0-9]{6,}/B[A-Za-z0-9]{6,}/[A-Za-z0-9]{8}",
     DETECT_NO_RIGHT_EDGE, "", check_token, 0.95, 0.95, NULL, 0, NULL, 0, 0, TOKEN_MAX},
    {"STRIPE_KEY", "(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16}", DETECT_NO_RIGHT_EDGE, "", check_token, 0.95, 0.95, NULL, 0,
     NULL, 0, 3.0, TOKEN_MAX},
    {"STRIPE_KEY", "pk_live_[A-Za-z0-9]{16}", DETECT_NO_RIGHT_EDGE, "", check_token, 0.4, 0.4, NULL, 0, NULL, 0, 0,
     TOKEN_MAX},
    {"GOOGLE_API_KEY", "AIza[0-9A-Za-z_\\-]{35}", 0, "-_", NULL, 0.95, 0.95, NULL, 0, NULL, 0, 0, 0},
    {"HUGGINGFACE_TOKEN", "hf_[A-Za-z0-9]{30}", DETECT_NO_RIGHT_EDGE, "", check_token, 0.9, 0.9, NULL, 0, NULL, 0, 3.0,
     TOKEN_MAX},
    {"PRIVATE_KEY", "-----BEGIN(?: [A-Z0-9]+){0,3} PRIVATE KEY(?: BLOCK)?-----", DETECT_NO_EDGES, NULL, check_pem, 1.0, 1.0,
     NULL, 0, NULL, 0, 0, PEM_MAX, "(?:[\\s\\S]{0,8192}?-----END[^\\n]{0,72}?-----)?", 0},
    {"JWT", "eyJ[A-Za-z0-9_\\-]{2,}\\.ey", DETECT_NO_RIGHT_EDGE, "-_", check_jwt, 0.9, 0.95, NULL, 0, NULL, 0, 0, 8192},
    {"DATABASE_URL",
     /* with a driver after a '+' ("postgresql+psycopg2://", SQLAlchemy's dialect+driver; "mongodb+srv://") */
     "(?:postgres(?:ql)?|mysql|mariadb|mongodb|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb)(?:\\+[a-z0-9_]{1,24})?://",
     DETECT_CASELESS | DETECT_NO_RIGHT_EDGE, NULL, check_db_url, 0.9, 0.9, NULL, 0, NULL, 0, 0, 2048},
    /* a configuration name ending in _KEY ("SENDGRID_KEY=", "MASTER_KEY: "): upper case only, since in code
     * "cache_key", "foreign_key" and "sort_key" name identifiers, not secrets */
    {"GENERIC_SECRET", "[A-Z0-9]_KEY[\"']?\\]?[ \\t]{0,3}[:=]{1,2}", DETECT_NO_EDGES, NULL, check_generic, 0.75, 0.75, NULL, 0,
     NULL, 0, 3.0, 320, "[ \\t]{0,64}(?:\"[^\"\\n]{0,257}\"|'[^'\\n]{0,257}'|`[^`\\n]{0,257}`|[^\\s\"',;]{0,257})", 0},
    /* NAME: value, NAME = value, NAME is value, and XML's key="NAME" value="..." (.NET's appSettings) */
    {"GENERIC_SECRET", KEYWORDS "(?:[\"']?\\]?[ \\t]{0,3}[:=]{1,2}| is |[\"'][ \\t]{1,8}value[ \\t]{0,3}=)",
     DETECT_CASELESS | DETECT_NO_EDGES, NULL, check_generic, 0.75, 0.75, NULL, 0, NULL, 0, 3.0, 320,
     /* streams: the value, quoted (spaces inside) or up to the next space, after an Authorization scheme */
     "[ \\t]{0,64}(?:(?:bearer|basic|token|bot) )?(?:\"[^\"\\n]{0,257}\"|'[^'\\n]{0,257}'|`[^`\\n]{0,257}`|[^\\s\"',;]{0,257})", 0},
};

struct detect_set *guard_secrets_compile(const struct config_guardrail *g, char *err, size_t errsz)
{
    struct detect_rule *rules = util_calloc(N(builtin) + g->n_recognizers, sizeof(*rules));
    size_t n = 0;
    for (size_t i = 0; i < N(builtin); i++) {
        if (!guard_entity_selected(g, builtin[i].entity))
            continue;
        rules[n] = builtin[i];
        if (!strcmp(rules[n].entity, "GENERIC_SECRET"))
            rules[n].min_entropy = g->entropy_threshold;
        n++;
    }
    for (size_t i = 0; i < g->n_recognizers; i++) {
        guard_recognizer_rule(&g->recognizers[i], &rules[n]);
        rules[n].min_entropy = g->entropy_threshold;
        n++;
    }
    struct detect_set *s = detect_compile(rules, n, err, errsz);
    free(rules);
    return s;
}
