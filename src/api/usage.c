/* Usage parsing, include_usage injection and stripping, prices; see usage.h. */
#include "api/usage.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_span.h"
#include "util/alloc.h"

static int span_int(const char *json, size_t s, size_t e, int64_t *out)
{
    if (json_span_type(json + s) != '0')
        return -1;
    char tmp[32];
    size_t n = e - s < sizeof(tmp) - 1 ? e - s : sizeof(tmp) - 1;
    memcpy(tmp, json + s, n);
    tmp[n] = '\0';
    char *end;
    long long v = strtoll(tmp, &end, 10);
    if (end == tmp || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* The usage object at [s, e): prompt/completion (chat, embeddings) or input/output names. */
static int usage_object(const char *json, size_t s, size_t e, struct usage *u)
{
    if (json_span_type(json + s) != '{' || json_span_validate(json + s, e - s, NULL, 0) != 0)
        return -1;
    size_t vs, ve;
    struct usage got = {-1, 0};
    if (json_span_find_in(json, s, e, "prompt_tokens", &vs, &ve) == 0 ||
        json_span_find_in(json, s, e, "input_tokens", &vs, &ve) == 0)
        span_int(json, vs, ve, &got.tokens_in);
    if (json_span_find_in(json, s, e, "completion_tokens", &vs, &ve) == 0 ||
        json_span_find_in(json, s, e, "output_tokens", &vs, &ve) == 0)
        span_int(json, vs, ve, &got.tokens_out);
    if (got.tokens_in < 0)
        return -1;
    *u = got;
    return 0;
}

int usage_from_answer(const char *json, size_t len, struct usage *u)
{
    size_t s, e;
    if (json == NULL || json_span_find_member(json, len, "usage", &s, &e) != 0)
        return -1;
    return usage_object(json, s, e, u);
}

int usage_from_chunk(const char *data, size_t len, struct usage *u)
{
    return usage_from_answer(data, len, u);
}

static int span_is(const char *json, size_t s, size_t e, const char *lit)
{
    size_t n = strlen(lit);
    return e - s == n && memcmp(json + s, lit, n) == 0;
}

int usage_stream_wants_include(const char *body, size_t len)
{
    size_t s, e;
    if (json_span_find_member(body, len, "stream", &s, &e) != 0 || !span_is(body, s, e, "true"))
        return 0;
    size_t os, oe, is, ie;
    if (json_span_find_member(body, len, "stream_options", &os, &oe) == 0 && json_span_type(body + os) == '{' &&
        json_span_find_in(body, os, oe, "include_usage", &is, &ie) == 0 && span_is(body, is, ie, "true"))
        return 0;
    return 1;
}

static char *splice(const char *body, size_t len, size_t at, size_t cut_to, const char *ins, size_t *out_len)
{
    size_t n = strlen(ins);
    char *out = util_malloc(len - (cut_to - at) + n + 1);
    memcpy(out, body, at);
    memcpy(out + at, ins, n);
    memcpy(out + at + n, body + cut_to, len - cut_to);
    *out_len = len - (cut_to - at) + n;
    out[*out_len] = '\0';
    return out;
}

char *usage_request_add_include(const char *body, size_t len, size_t *out_len)
{
    size_t os, oe, is, ie;
    if (json_span_find_member(body, len, "stream_options", &os, &oe) == 0) {
        if (json_span_type(body + os) == '{') {
            if (json_span_find_in(body, os, oe, "include_usage", &is, &ie) == 0)
                return splice(body, len, is, ie, "true", out_len);
            /* first member of the object: after '{' (and a comma when it has members) */
            size_t p = os + 1;
            while (p < oe && (body[p] == ' ' || body[p] == '\t' || body[p] == '\n' || body[p] == '\r'))
                p++;
            return splice(body, len, os + 1, os + 1, body[p] == '}' ? "\"include_usage\":true" : "\"include_usage\":true,",
                          out_len);
        }
        /* stream_options: null (or another non-object): replace it */
        return splice(body, len, os, oe, "{\"include_usage\":true}", out_len);
    }
    /* no stream_options: add it as the last member */
    size_t end = len;
    while (end > 0 && body[end - 1] != '}')
        end--;
    if (end == 0)
        return NULL;
    size_t p = end - 1; /* the closing brace */
    size_t q = p;
    while (q > 0 && (body[q - 1] == ' ' || body[q - 1] == '\t' || body[q - 1] == '\n' || body[q - 1] == '\r'))
        q--;
    int empty = q > 0 && body[q - 1] == '{';
    return splice(body, len, p, p, empty ? "\"stream_options\":{\"include_usage\":true}" : ",\"stream_options\":{\"include_usage\":true}",
                  out_len);
}

int usage_chunk_is_usage_only(const char *data, size_t len)
{
    size_t cs, ce, us, ue;
    if (json_span_find_member(data, len, "usage", &us, &ue) != 0 || json_span_type(data + us) != '{')
        return 0;
    if (json_span_find_member(data, len, "choices", &cs, &ce) != 0 || json_span_type(data + cs) != '[')
        return 0;
    size_t pos = 0, es, ee;
    return json_span_array_next(data, cs, ce, &pos, &es, &ee) == 0;
}

/* End of the SSE event starting at p (the byte after its blank line), or NULL. */
static const char *event_end(const char *p, const char *end)
{
    for (const char *q = p; q < end; q++) {
        if (*q != '\n')
            continue;
        if (q + 1 < end && q[1] == '\n')
            return q + 2;
        if (q + 2 < end && q[1] == '\r' && q[2] == '\n')
            return q + 3;
    }
    return NULL;
}

/* The event [p, e) is one "data: " line holding a usage-only chunk. */
static int event_is_usage_only(const char *p, const char *e, struct usage *u)
{
    if (e - p < 8 || memcmp(p, "data:", 5) != 0)
        return 0;
    const char *d = p + 5;
    if (*d == ' ')
        d++;
    const char *nl = memchr(d, '\n', (size_t)(e - d));
    size_t dlen = (size_t)(nl - d);
    if (dlen > 0 && d[dlen - 1] == '\r')
        dlen--;
    /* only a single-line event: the rest must be the blank line */
    for (const char *q = nl; q < e; q++)
        if (*q != '\n' && *q != '\r')
            return 0;
    if (json_span_validate(d, dlen, NULL, 0) != 0 || !usage_chunk_is_usage_only(d, dlen))
        return 0;
    if (u != NULL)
        usage_from_chunk(d, dlen, u);
    return 1;
}

int usage_strip_feed(struct util_buf *pending, const char *data, size_t len, int final, struct util_buf *out, struct usage *u)
{
    if (len > 0 && util_buf_append(pending, data, len) != 0) {
        /* an event longer than the cap cannot be the small usage chunk: pass it on */
        util_buf_append(out, pending->data ? pending->data : "", pending->len);
        util_buf_append(out, data, len);
        util_buf_reset(pending);
        return 0;
    }
    int stripped = 0;
    const char *p = pending->data ? pending->data : "", *end = p + pending->len, *e;
    while (p < end && (e = event_end(p, end)) != NULL) {
        if (event_is_usage_only(p, e, u))
            stripped++;
        else
            util_buf_append(out, p, (size_t)(e - p));
        p = e;
    }
    size_t done = (size_t)(p - (pending->data ? pending->data : p));
    if (final) {
        util_buf_append(out, p, (size_t)(end - p));
        util_buf_reset(pending);
    } else if (done > 0) {
        util_buf_consume(pending, done);
    }
    return stripped;
}

/* ---- prices ---- */

/* List prices in USD per million tokens (input, output) as published by the providers,
 * as of 2026; hosted Llama prices are typical of the large hosts. Matched by longest
 * prefix of the lower-cased model name (after any "vendor/" prefix). Override with
 * `prices:` or a target's `price:`. */
static const struct default_price {
    const char *prefix;
    double in, out;
} defaults[] = {
    {"gpt-4o-mini", 0.15, 0.60},
    {"gpt-4o", 2.50, 10.00},
    {"gpt-4.1-nano", 0.10, 0.40},
    {"gpt-4.1-mini", 0.40, 1.60},
    {"gpt-4.1", 2.00, 8.00},
    {"o3-mini", 1.10, 4.40},
    {"o3", 2.00, 8.00},
    {"o4-mini", 1.10, 4.40},
    {"claude-3-5-sonnet", 3.00, 15.00},
    {"claude-3.5-sonnet", 3.00, 15.00},
    {"claude-3-5-haiku", 0.80, 4.00},
    {"claude-3.5-haiku", 0.80, 4.00},
    {"claude-3-7-sonnet", 3.00, 15.00},
    {"claude-3.7-sonnet", 3.00, 15.00},
    {"claude-3-opus", 15.00, 75.00},
    {"claude-3-haiku", 0.25, 1.25},
    {"claude-sonnet-4", 3.00, 15.00},
    {"claude-4-sonnet", 3.00, 15.00},
    {"claude-opus-4", 15.00, 75.00},
    {"claude-4-opus", 15.00, 75.00},
    {"claude-haiku-4", 1.00, 5.00},
    {"claude-4-haiku", 1.00, 5.00},
    {"gemini-1.5-flash", 0.075, 0.30},
    {"gemini-1.5-pro", 1.25, 5.00},
    {"gemini-2.0-flash-lite", 0.075, 0.30},
    {"gemini-2.0-flash", 0.10, 0.40},
    {"gemini-2.5-flash-lite", 0.10, 0.40},
    {"gemini-2.5-flash", 0.30, 2.50},
    {"gemini-2.5-pro", 1.25, 10.00},
    {"llama-3.1-8b", 0.05, 0.08},
    {"llama-3.2-1b", 0.04, 0.04},
    {"llama-3.2-3b", 0.06, 0.06},
    {"llama-3.1-70b", 0.59, 0.79},
    {"llama-3.3-70b", 0.59, 0.79},
    {"llama-3.1-405b", 3.00, 3.00},
    {"llama-3", 0.59, 0.79},
    {"text-embedding-3-small", 0.02, 0.0},
    {"text-embedding-3-large", 0.13, 0.0},
};

static int default_price(const char *model, struct price *p)
{
    if (model == NULL || *model == '\0')
        return -1;
    const char *slash = strrchr(model, '/');
    const char *name = slash ? slash + 1 : model;
    char low[128];
    size_t n = 0;
    for (; name[n] && n < sizeof(low) - 1; n++)
        low[n] = (char)tolower((unsigned char)name[n]);
    low[n] = '\0';
    size_t best = 0;
    const struct default_price *hit = NULL;
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        size_t k = strlen(defaults[i].prefix);
        if (k > best && strncmp(low, defaults[i].prefix, k) == 0) {
            best = k;
            hit = &defaults[i];
        }
    }
    if (hit == NULL)
        return -1;
    p->input_per_mtok = hit->in;
    p->output_per_mtok = hit->out;
    return 0;
}

static int configured_price(const struct config *cfg, const char *model, struct price *p)
{
    for (size_t i = 0; model != NULL && i < cfg->n_prices; i++) {
        if (strcmp(cfg->prices[i].model, model) == 0) {
            p->input_per_mtok = cfg->prices[i].input_per_mtok;
            p->output_per_mtok = cfg->prices[i].output_per_mtok;
            return 0;
        }
    }
    return -1;
}

int price_find(const struct config *cfg, const struct config_target *t, const char *target_model, const char *model,
               struct price *p)
{
    if (t != NULL && t->has_price) {
        p->input_per_mtok = t->price_in_per_mtok;
        p->output_per_mtok = t->price_out_per_mtok;
        return 0;
    }
    if (configured_price(cfg, target_model, p) == 0 || configured_price(cfg, model, p) == 0)
        return 0;
    if (default_price(target_model, p) == 0 || default_price(model, p) == 0)
        return 0;
    return -1;
}

double price_cost_usd(const struct price *p, int64_t tokens_in, int64_t tokens_out)
{
    double in = tokens_in > 0 ? (double)tokens_in : 0, out = tokens_out > 0 ? (double)tokens_out : 0;
    return (in * p->input_per_mtok + out * p->output_per_mtok) / 1e6;
}
