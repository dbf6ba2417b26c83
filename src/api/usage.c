/* Usage parsing, include_usage injection and stripping, prices; see usage.h. */
#include "api/usage.h"

#include <ctype.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
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

/* The members of the valid usage object at [s, e), in one walk: prompt/completion (chat,
 * embeddings) or input/output names. */
static int usage_members(const char *json, size_t s, size_t e, struct usage *u)
{
    static const char *const keys[] = {"prompt_tokens", "input_tokens", "completion_tokens", "output_tokens"};
    size_t vs[4], ve[4];
    json_span_members(json + s, e - s, keys, 4, vs, ve);
    struct usage got = {-1, 0};
    int in = vs[0] ? 0 : vs[1] ? 1 : -1, out = vs[2] ? 2 : vs[3] ? 3 : -1;
    if (in >= 0)
        span_int(json + s, vs[in], ve[in], &got.tokens_in);
    if (out >= 0)
        span_int(json + s, vs[out], ve[out], &got.tokens_out);
    if (got.tokens_in < 0)
        return -1;
    *u = got;
    return 0;
}

/* The usage object at [s, e), checked first (an answer is not validated as a whole). */
static int usage_object(const char *json, size_t s, size_t e, struct usage *u)
{
    if (json_span_type(json + s) != '{' || json_span_validate(json + s, e - s, NULL, 0) != 0)
        return -1;
    return usage_members(json, s, e, u);
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

/* An event's data, valid JSON: its usage (0 and *u, else -1) and whether it is usage-only
 * (*only), from one walk over its members. */
static int chunk_usage(const char *d, size_t len, struct usage *u, int *only)
{
    static const char *const keys[] = {"usage", "choices"};
    size_t vs[2], ve[2];
    json_span_members(d, len, keys, 2, vs, ve);
    if (vs[0] == 0 || d[vs[0]] != '{' || usage_members(d, vs[0], ve[0], u) != 0)
        return -1;
    size_t pos = 0, es, ee;
    *only = vs[1] != 0 && d[vs[1]] == '[' && json_span_array_next(d, vs[1], ve[1], &pos, &es, &ee) == 0;
    return 0;
}

static int span_is(const char *json, size_t s, size_t e, const char *lit)
{
    size_t n = strlen(lit);
    return e - s == n && memcmp(json + s, lit, n) == 0;
}

int usage_client_asks(const char *body, size_t len)
{
    size_t os, oe, is, ie;
    /* most bodies never mention it: one memmem instead of a walk over the members */
    if (memmem(body, len, "include_usage", 13) == NULL)
        return 0;
    return json_span_find_member(body, len, "stream_options", &os, &oe) == 0 && json_span_type(body + os) == '{' &&
           json_span_find_in(body, os, oe, "include_usage", &is, &ie) == 0 && span_is(body, is, ie, "true");
}

int usage_stream_wants_include(const char *body, size_t len)
{
    size_t s, e;
    if (json_span_find_member(body, len, "stream", &s, &e) != 0 || !span_is(body, s, e, "true"))
        return 0;
    return !usage_client_asks(body, len);
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
    if (memmem(body, len, "stream_options", 14) != NULL && json_span_find_member(body, len, "stream_options", &os, &oe) == 0) {
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

/* ---- the usage tap ---- */

/* Is q (p < q, q + 6 <= e) the u of a "usage" key whose value is an object? */
static int usage_key_at(const char *q, const char *e)
{
    if (q[-1] != '"' || memcmp(q, "usage\"", 6) != 0)
        return 0;
    const char *v = q + 6;
    while (v < e && (*v == ' ' || *v == '\t' || *v == ':'))
        v++;
    return v < e && *v == '{';
}

/* A "usage" key whose value is an object: a cheap test that most events fail (no "usage",
 * or OpenAI's "usage":null on every content chunk) before the exact, validating read. It
 * runs on every event of every stream, so it looks for the pair "u (a quote, then u) 16
 * bytes at a time - about 8 instructions per 16 bytes, where memmem for the key took
 * about 500 for an event of 250 bytes - and checks the few candidates. */
static inline int may_hold_usage(const char *p, size_t n)
{
    if (n < 8)
        return 0;
    const char *e = p + n, *q = p + 1;
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), u = _mm_set1_epi8('u');
    for (; q + 16 <= e; q += 16) {
        __m128i at = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i before = _mm_loadu_si128((const __m128i *)(const void *)(q - 1));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(at, u), _mm_cmpeq_epi8(before, quote)));
        for (; m != 0; m &= m - 1) {
            const char *c = q + __builtin_ctz(m);
            if (c + 6 <= e && usage_key_at(c, e))
                return 1;
        }
    }
#endif
    for (; q + 6 <= e; q++) /* the last bytes (or all, without SSE2) */
        if (*q == 'u' && usage_key_at(q, e))
            return 1;
    return 0;
}

/* An event's data that came as its only line, past may_hold_usage: 0 with its usage and
 * whether it is a usage-only chunk, else -1. validated: known to be valid JSON. */
static int event_usage(const char *d, size_t dlen, int validated, struct usage *u, int *only)
{
    if (!validated && json_span_validate(d, dlen, NULL, 0) != 0)
        return -1;
    return chunk_usage(d, dlen, u, only);
}

/* The event [p, p + n) (blank line included) as read by the tap: its usage kept when it
 * has one; 1 when it is a usage-only chunk on a single data line (what STRIP takes out). */
static int tap_examine(struct usage_tap *t, const char *p, size_t n)
{
    if (n < 8 || !may_hold_usage(p, n) || memcmp(p, "data:", 5) != 0)
        return 0;
    const char *d = p + 5, *e = p + n;
    if (*d == ' ')
        d++;
    const char *nl = memchr(d, '\n', (size_t)(e - d));
    size_t dlen = (size_t)(nl - d);
    if (dlen > 0 && d[dlen - 1] == '\r')
        dlen--;
    /* one data line: the rest is the blank line */
    for (const char *q = nl; q < e; q++)
        if (*q != '\n' && *q != '\r')
            return 0;
    struct usage u;
    int only;
    if (event_usage(d, dlen, 0, &u, &only) != 0)
        return 0;
    t->usage = u;
    t->has_usage = 1;
    return only;
}

int usage_event_read(const char *data, size_t len, int validated, struct usage *u, int *only)
{
    return may_hold_usage(data, len) ? event_usage(data, len, validated, u, only) : -1;
}

int usage_tap_take(struct usage_tap *t, const struct usage *u, int only)
{
    t->usage = *u;
    t->has_usage = 1;
    if (!only || t->mode != USAGE_TAP_STRIP)
        return 0;
    t->stripped++;
    return 1;
}

void usage_tap_reset(struct usage_tap *t, enum usage_tap_mode mode)
{
    struct util_buf held = t->held;
    if (held.limit == 0)
        util_buf_init(&held, USAGE_TAP_EVENT_MAX);
    util_buf_reset(&held);
    memset(t, 0, sizeof(*t));
    t->mode = (unsigned char)mode;
    t->held = held;
}

void usage_tap_free(struct usage_tap *t)
{
    util_buf_free(&t->held);
}

/* An event ended inside this feed at p; it began at ev (after t->held's bytes). *run is the
 * first byte of this feed not emitted yet (STRIP). */
static void tap_event_done(struct usage_tap *t, const char *ev, const char *p, const char **run, usage_tap_emit_cb emit,
                           void *ud)
{
    int strip = t->mode == USAGE_TAP_STRIP;
    if (t->passing) {
        t->passing = 0; /* its bytes are in the run (STRIP) or already out (OBSERVE) */
        return;
    }
    if (t->held.len == 0) {
        /* over the cap it is not examined, as when it comes in pieces (held past its limit) */
        if ((size_t)(p - ev) <= t->held.limit && tap_examine(t, ev, (size_t)(p - ev)) && strip) {
            if (ev > *run)
                emit(ud, *run, (size_t)(ev - *run));
            *run = p;
            t->stripped++;
        }
        return;
    }
    /* the event began in an earlier feed (then ev is this feed's first byte, == *run) */
    if (util_buf_append(&t->held, ev, (size_t)(p - ev)) != 0) {
        if (strip)
            emit(ud, t->held.data, t->held.len); /* too large to be the usage chunk; the rest is in the run */
        util_buf_reset(&t->held);
        return;
    }
    int usage_only = tap_examine(t, t->held.data, t->held.len);
    if (strip) {
        if (usage_only)
            t->stripped++;
        else
            emit(ud, t->held.data, t->held.len);
        *run = p;
    }
    util_buf_reset(&t->held);
}

void usage_tap_feed(struct usage_tap *t, const char *data, size_t len, usage_tap_emit_cb emit, void *ud)
{
    int strip = t->mode == USAGE_TAP_STRIP;
    if (!strip && len > 0)
        emit(ud, data, len);
    const char *p = data, *end = data + len, *ev = data, *run = data;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) {
            size_t n = (size_t)(end - p);
            t->line = t->line == 0 && n == 1 && *p == '\r' ? 1 : 2;
            break;
        }
        size_t n = (size_t)(nl - p);
        int blank = t->line == 0 ? n == 0 || (n == 1 && *p == '\r') : t->line == 1 && n == 0;
        t->line = 0;
        p = nl + 1;
        if (blank) {
            tap_event_done(t, ev, p, &run, emit, ud);
            ev = p;
        }
    }
    /* the event cut by the end of this feed: [ev, end) */
    if (strip && ev > run)
        emit(ud, run, (size_t)(ev - run));
    if (ev == end)
        return;
    if (t->passing) {
        if (strip)
            emit(ud, ev, (size_t)(end - ev));
        return;
    }
    if (util_buf_append(&t->held, ev, (size_t)(end - ev)) != 0) {
        if (strip) {
            if (t->held.len > 0)
                emit(ud, t->held.data, t->held.len);
            emit(ud, ev, (size_t)(end - ev));
        }
        util_buf_reset(&t->held);
        t->passing = 1;
    }
}

void usage_tap_finish(struct usage_tap *t, usage_tap_emit_cb emit, void *ud)
{
    if (t->mode == USAGE_TAP_STRIP && t->held.len > 0)
        emit(ud, t->held.data, t->held.len);
    util_buf_reset(&t->held);
    t->passing = 0;
    t->line = 0;
}

/* ---- upstreams that refuse stream_options ---- */

#define REFUSALS_MAX 16

static __thread struct refusal {
    uint64_t hash, until_ms;
} refusals[REFUSALS_MAX];

static uint64_t label_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h | 1; /* 0 marks a free slot */
}

int usage_target_refuses(const char *label, uint64_t now_ms)
{
    uint64_t h = label_hash(label);
    for (size_t i = 0; i < REFUSALS_MAX; i++)
        if (refusals[i].hash == h && refusals[i].until_ms > now_ms)
            return 1;
    return 0;
}

void usage_target_refused(const char *label, uint64_t now_ms)
{
    uint64_t h = label_hash(label);
    size_t slot = 0;
    for (size_t i = 0; i < REFUSALS_MAX; i++) {
        if (refusals[i].hash == h) {
            slot = i;
            break;
        }
        if (refusals[i].until_ms < refusals[slot].until_ms)
            slot = i; /* else the entry that expires first */
    }
    refusals[slot].hash = h;
    refusals[slot].until_ms = now_ms + USAGE_REFUSAL_TTL_MS;
}

int usage_error_names_stream_options(int status, const char *body, size_t len)
{
    return (status == 400 || status == 422) && body != NULL && len > 0 &&
           (memmem(body, len, "stream_options", 14) != NULL || memmem(body, len, "include_usage", 13) != NULL);
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
