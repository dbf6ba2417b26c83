/* Endpoints and knobs: turns one parsed request into a response plan (struct mock_plan) that
 * conn.c plays out. Nothing here waits or touches the socket, so every route is a plain function
 * of the request, the knobs, the command-line defaults and the shared counters.
 *
 * Knobs come from x-mock-<name> headers (dashes) and from a top-level "mock" object in a JSON body
 * (underscores), or "mock_hex", that object's JSON as hex digits; the body wins. A knob with a bad value is a 400 from the mock, so a typo in a
 * test fails loudly instead of silently testing the default.
 *
 * echo: "system" answers a chat request with the text of its first system (or developer)
 * message, as a model that leaks its system prompt would (canary tests); echo_form escaped
 * (every ASCII letter and digit sent as \u00XX), fullwidth or zero_width (U+200B after each
 * character) disguises it; with tool_call the text goes into the call's arguments instead.
 *
 * Order of decisions for a model endpoint (chat, embeddings, guardrail):
 *   record -> fail_first (per key) -> forced status -> fail_rate -> chaos -> stall -> success,
 * then garbage / truncate / abort_after shape the success. ttft_ms delays the first byte of every
 * answer, errors included. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mock/mock.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/alloc.h"
#include "util/clock.h"

enum knob_type { K_INT, K_RATE, K_STR, K_ARRAY, K_OBJECT };

struct knobs {
    int64_t ttft_ms, chunks, chunk_interval_ms, status, fail_first, abort_after, stall, garbage, truncate, dims, delay_ms;
    double fail_rate;
    struct kstr {
        const char *s;
        size_t n;
    } content, retry_after, key, action, fail_input, echo, echo_form;
    json_t *contents, *tool_call; /* borrowed from the body or from owned[] */
    json_t *owned[4];             /* trees parsed from header values */
    int n_owned;
    char numbuf[2][32]; /* numbers given where a string is expected (retry_after, key) */
};

static const struct knob_def {
    const char *name;
    enum knob_type type;
    size_t off;
    int64_t min, max;
} knob_defs[] = {
    {"ttft_ms", K_INT, offsetof(struct knobs, ttft_ms), 0, 3600000},
    {"chunks", K_INT, offsetof(struct knobs, chunks), 1, 100000},
    {"chunk_interval_ms", K_INT, offsetof(struct knobs, chunk_interval_ms), 0, 3600000},
    {"status", K_INT, offsetof(struct knobs, status), 100, 599},
    {"fail_first", K_INT, offsetof(struct knobs, fail_first), 0, 1000000000},
    {"abort_after", K_INT, offsetof(struct knobs, abort_after), 0, 1000000},
    {"stall", K_INT, offsetof(struct knobs, stall), 0, 1},
    {"garbage", K_INT, offsetof(struct knobs, garbage), 0, 1},
    {"truncate", K_INT, offsetof(struct knobs, truncate), 0, 1},
    {"dims", K_INT, offsetof(struct knobs, dims), 1, 65536},
    {"delay_ms", K_INT, offsetof(struct knobs, delay_ms), 0, 3600000},
    {"fail_rate", K_RATE, offsetof(struct knobs, fail_rate), 0, 1},
    {"content", K_STR, offsetof(struct knobs, content), 0, 0},
    {"retry_after", K_STR, offsetof(struct knobs, retry_after), 0, 0},
    {"key", K_STR, offsetof(struct knobs, key), 0, 0},
    {"action", K_STR, offsetof(struct knobs, action), 0, 0},
    {"fail_input", K_STR, offsetof(struct knobs, fail_input), 0, 0},
    {"echo", K_STR, offsetof(struct knobs, echo), 0, 0},
    {"echo_form", K_STR, offsetof(struct knobs, echo_form), 0, 0},
    {"contents", K_ARRAY, offsetof(struct knobs, contents), 0, 0},
    {"tool_call", K_OBJECT, offsetof(struct knobs, tool_call), 0, 0},
};
#define NKNOBS (sizeof(knob_defs) / sizeof(knob_defs[0]))

struct ctx {
    const struct mock_request *r;
    struct mock_plan *plan;
    struct mock_worker *w;
    struct knobs k;
    json_t *json; /* the parsed body (owned), NULL if none or not JSON */
    int fast;     /* chat body understood by the fast scanner: w->toks holds it, json is NULL */
    const char *path;
    size_t path_len;
    const char *query;
    size_t query_len;
    struct kstr retry_after; /* what goes out as Retry-After (knob, or chaos' "1") */
    const char *allow;       /* Allow: for 405 */
    int head_only;
    char err[160];
};

/* ------------------------------------------------------------------ knobs */

static void knobs_init(struct knobs *k)
{
    memset(k, 0, sizeof(*k));
    k->ttft_ms = k->chunks = k->chunk_interval_ms = k->status = k->fail_first = k->abort_after = -1;
    k->stall = k->garbage = k->truncate = k->dims = k->delay_ms = -1;
    k->fail_rate = -1;
}

static void knobs_free(struct knobs *k)
{
    for (int i = 0; i < k->n_owned; i++)
        json_decref(k->owned[i]);
    k->n_owned = 0;
}

static const struct knob_def *knob_find(const char *name, size_t n, int dashes)
{
    for (size_t i = 0; i < NKNOBS; i++) {
        const char *d = knob_defs[i].name;
        if (strlen(d) != n)
            continue;
        size_t j = 0;
        for (; j < n; j++) {
            char c = name[j];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (dashes && c == '-')
                c = '_';
            if (c != d[j])
                break;
        }
        if (j == n)
            return &knob_defs[i];
    }
    return NULL;
}

static int parse_int(const char *s, size_t n, int64_t *out)
{
    if (n == 4 && strncasecmp(s, "true", 4) == 0) {
        *out = 1;
        return 0;
    }
    if (n == 5 && strncasecmp(s, "false", 5) == 0) {
        *out = 0;
        return 0;
    }
    if (n == 0 || n > 15)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_rate(const char *s, size_t n, double *out)
{
    char tmp[40];
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    double v = strtod(tmp, &end);
    if (*end != '\0' || !(v >= 0 && v <= 1))
        return -1;
    *out = v;
    return 0;
}

static int knob_bad(struct ctx *c, const struct knob_def *d)
{
    snprintf(c->err, sizeof(c->err), "mock: invalid value for knob %s", d->name);
    return -1;
}

static int knob_set_str(struct ctx *c, const struct knob_def *d, const char *s, size_t n)
{
    struct knobs *k = &c->k;
    void *field = (char *)k + d->off;
    switch (d->type) {
    case K_INT: {
        int64_t v;
        if (parse_int(s, n, &v) != 0 || v < d->min || v > d->max)
            return knob_bad(c, d);
        *(int64_t *)field = v;
        return 0;
    }
    case K_RATE:
        return parse_rate(s, n, (double *)field) == 0 ? 0 : knob_bad(c, d);
    case K_STR:
        ((struct kstr *)field)->s = s;
        ((struct kstr *)field)->n = n;
        return 0;
    case K_ARRAY:
    case K_OBJECT: {
        if (k->n_owned == (int)(sizeof(k->owned) / sizeof(k->owned[0])))
            return knob_bad(c, d);
        json_t *j = json_loadb(s, n, JSON_DECODE_ANY, NULL);
        if (!j || (d->type == K_ARRAY ? !json_is_array(j) : !json_is_object(j))) {
            json_decref(j);
            return knob_bad(c, d);
        }
        k->owned[k->n_owned++] = j;
        *(json_t **)field = j;
        return 0;
    }
    }
    return 0;
}

static int knob_set_json(struct ctx *c, const struct knob_def *d, json_t *v)
{
    struct knobs *k = &c->k;
    void *field = (char *)k + d->off;
    if (json_is_string(v) && d->type != K_ARRAY && d->type != K_OBJECT)
        return knob_set_str(c, d, json_string_value(v), json_string_length(v));
    switch (d->type) {
    case K_INT: {
        int64_t x;
        if (json_is_integer(v))
            x = json_integer_value(v);
        else if (json_is_real(v) && json_real_value(v) >= -1e15 && json_real_value(v) <= 1e15)
            x = (int64_t)json_real_value(v);
        else if (json_is_boolean(v))
            x = json_is_true(v);
        else
            return knob_bad(c, d);
        if (x < d->min || x > d->max)
            return knob_bad(c, d);
        *(int64_t *)field = x;
        return 0;
    }
    case K_RATE: {
        if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 1))
            return knob_bad(c, d);
        *(double *)field = json_number_value(v);
        return 0;
    }
    case K_STR: {
        if (!json_is_integer(v))
            return knob_bad(c, d);
        char *buf = k->numbuf[d->off == offsetof(struct knobs, key) ? 1 : 0];
        int n = snprintf(buf, sizeof(k->numbuf[0]), "%lld", (long long)json_integer_value(v));
        ((struct kstr *)field)->s = buf;
        ((struct kstr *)field)->n = (size_t)n;
        return 0;
    }
    case K_ARRAY:
        if (!json_is_array(v))
            return knob_bad(c, d);
        *(json_t **)field = v;
        return 0;
    case K_OBJECT:
        if (!json_is_object(v))
            return knob_bad(c, d);
        *(json_t **)field = v;
        return 0;
    }
    return 0;
}

/* "mock_hex": the "mock" object as hex digits of its JSON. Warden's guards read every text of
 * a request, so knobs spelled in hex hold no text they act on (an answer's "<EMAIL_ADDRESS_1>"
 * in plain "mock" would count as a placeholder the client typed). Owned by k->owned. */
static json_t *mock_hex_tree(struct ctx *c, json_t *hex)
{
    struct knobs *k = &c->k;
    const char *h = json_string_value(hex);
    size_t n = h ? strlen(h) : 0;
    if (h == NULL || n % 2 != 0 || k->n_owned == (int)(sizeof(k->owned) / sizeof(k->owned[0])))
        return NULL;
    char *raw = util_malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) {
            free(raw);
            return NULL;
        }
        raw[i] = (char)v;
    }
    json_t *j = json_loadb(raw, n / 2, 0, NULL);
    free(raw);
    if (j == NULL || !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    k->owned[k->n_owned++] = j;
    return j;
}

/* Headers first, then the body's "mock" object, so the body wins. */
static int knobs_load(struct ctx *c)
{
    const struct mock_http_req *h = c->r->http;
    const char *base = c->r->base;
    for (size_t i = 0; i < h->nheaders; i++) {
        const struct mock_http_header *hd = &h->headers[i];
        if (hd->name_len <= 7 || strncasecmp(base + hd->name_off, "x-mock-", 7) != 0)
            continue;
        const struct knob_def *d = knob_find(base + hd->name_off + 7, hd->name_len - 7, 1);
        if (d && knob_set_str(c, d, base + hd->value_off, hd->value_len) != 0)
            return -1;
    }
    json_t *m = c->json ? json_object_get(c->json, "mock") : NULL;
    if (m == NULL && c->json != NULL && (m = mock_hex_tree(c, json_object_get(c->json, "mock_hex"))) == NULL &&
        json_object_get(c->json, "mock_hex") != NULL) {
        snprintf(c->err, sizeof(c->err), "mock: mock_hex must be the hex digits of a JSON object");
        return -1;
    }
    if (m && json_is_object(m)) {
        const char *name;
        json_t *v;
        json_object_foreach(m, name, v)
        {
            const struct knob_def *d = knob_find(name, strlen(name), 0);
            if (d && !json_is_null(v) && knob_set_json(c, d, v) != 0)
                return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ response heads */

static const char *reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Content Too Large";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    }
    return "Status";
}

/* The head for a plan whose body (or first events) is already built. */
static void head_build(struct ctx *c, const char *ctype, int chunked)
{
    struct mock_plan *p = c->plan;
    struct util_buf *h = &p->head;
    if (p->status == 200) {
        MOCK_LIT(h, "HTTP/1.1 200 OK\r\n");
    } else {
        MOCK_LIT(h, "HTTP/1.1 ");
        mock_json_i64(h, p->status);
        MOCK_LIT(h, " ");
        mock_json_lit(h, reason(p->status));
        MOCK_LIT(h, "\r\n");
    }
    MOCK_LIT(h, "Server: warden-mock\r\nContent-Type: ");
    mock_json_lit(h, ctype);
    if (chunked) {
        MOCK_LIT(h, "\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n");
    } else {
        MOCK_LIT(h, "\r\nContent-Length: ");
        mock_json_u64(h, p->body.len);
        MOCK_LIT(h, "\r\n");
    }
    if (c->retry_after.s) {
        MOCK_LIT(h, "Retry-After: ");
        /* verbatim, minus anything that would break the head */
        for (size_t i = 0; i < c->retry_after.n; i++) {
            unsigned char ch = (unsigned char)c->retry_after.s[i];
            if (ch >= 0x20 && ch != 0x7f)
                util_buf_append(h, &ch, 1);
        }
        MOCK_LIT(h, "\r\n");
    }
    if (c->allow) {
        MOCK_LIT(h, "Allow: ");
        mock_json_lit(h, c->allow);
        MOCK_LIT(h, "\r\n");
    }
    if (p->seq) {
        MOCK_LIT(h, "x-mock-seq: ");
        mock_json_u64(h, p->seq);
        MOCK_LIT(h, "\r\n");
    }
    if (p->close_after)
        MOCK_LIT(h, "Connection: close\r\n");
    else if (c->r && c->r->http->minor == 0)
        MOCK_LIT(h, "Connection: keep-alive\r\n");
    MOCK_LIT(h, "\r\n");
}

/* A complete non-streaming answer whose body is in plan->body. */
static void finish_full(struct ctx *c, int status, const char *ctype)
{
    c->plan->status = status;
    c->plan->kind = MOCK_PLAN_FULL;
    head_build(c, ctype, 0);
    if (c->head_only)
        util_buf_reset(&c->plan->body);
}

static const char *error_type(int status)
{
    if (status == 401)
        return "authentication_error";
    if (status == 403)
        return "permission_error";
    if (status == 404)
        return "not_found_error";
    if (status == 429)
        return "rate_limit_error";
    if (status >= 500)
        return "server_error";
    return "invalid_request_error";
}

static const char *error_code(int status)
{
    switch (status) {
    case 400:
        return "invalid_request";
    case 401:
        return "invalid_api_key";
    case 404:
        return "not_found";
    case 405:
        return "method_not_allowed";
    case 413:
        return "request_too_large";
    case 429:
        return "rate_limit_exceeded";
    case 431:
        return "headers_too_large";
    case 500:
        return "server_error";
    case 501:
        return "not_implemented";
    case 503:
        return "service_unavailable";
    }
    return "mock_error";
}

static void error_body(struct util_buf *b, int status, const char *message)
{
    MOCK_LIT(b, "{\"error\":{\"message\":");
    mock_json_str(b, message, strlen(message));
    MOCK_LIT(b, ",\"type\":\"");
    mock_json_lit(b, error_type(status));
    MOCK_LIT(b, "\",\"code\":\"");
    mock_json_lit(b, error_code(status));
    MOCK_LIT(b, "\",\"param\":null}}");
}

static void answer_error(struct ctx *c, int status, const char *message)
{
    util_buf_reset(&c->plan->body);
    error_body(&c->plan->body, status, message);
    finish_full(c, status, "application/json");
}

void mock_route_error(struct mock_plan *plan, int status, const char *message)
{
    struct ctx c;
    memset(&c, 0, sizeof(c));
    c.plan = plan;
    plan->close_after = 1;
    error_body(&plan->body, status, message);
    plan->status = status;
    plan->kind = MOCK_PLAN_FULL;
    head_build(&c, "application/json", 0);
}

/* ------------------------------------------------------------------ shared helpers */

static uint64_t tokens_of(size_t chars)
{
    return (chars + 3) / 4;
}

static size_t text_chars(json_t *v)
{
    if (json_is_string(v))
        return json_string_length(v);
    size_t n = 0;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (json_is_string(e))
                n += json_string_length(e);
            else if (json_is_object(e))
                n += text_chars(json_object_get(e, "text"));
        }
    }
    return n;
}

static uint64_t rng_percent_hit(struct ctx *c, double rate)
{
    return rate > 0 && mock_rng_unit(c->w) < rate;
}

/* Decides the failure, if any, for a model endpoint. Returns 1 when the plan is now an error,
 * a stall or a reset; 0 to go on with a success (possibly shaped by *chaos_truncate). */
static int faults(struct ctx *c, int *chaos_truncate)
{
    struct knobs *k = &c->k;
    int status = 0;
    int fail_status = k->status >= 400 ? (int)k->status : 500;
    if (k->fail_first >= 0) {
        uint64_t seen = mock_state_counter_next(k->key.s ? k->key.s : "", k->key.n, MOCK_COUNTER_FAIL);
        if (seen < (uint64_t)k->fail_first)
            status = fail_status;
    } else if (k->fail_rate >= 0) {
        if (rng_percent_hit(c, k->fail_rate))
            status = fail_status;
    } else if (k->status >= 400) {
        status = (int)k->status;
    }
    if (!status && rng_percent_hit(c, mock_opts.chaos)) {
        switch (mock_rng_next(c->w) % 5) {
        case 0:
            status = 429;
            if (!c->retry_after.s) {
                c->retry_after.s = "1";
                c->retry_after.n = 1;
            }
            break;
        case 1:
            status = 500;
            break;
        case 2:
            c->plan->kind = MOCK_PLAN_STALL;
            return 1;
        case 3:
            c->plan->kind = MOCK_PLAN_RESET;
            return 1;
        case 4:
            *chaos_truncate = 1;
            break;
        }
    }
    if (status) {
        char msg[96];
        snprintf(msg, sizeof(msg), "mock: forced status %d", status);
        answer_error(c, status, msg);
        return 1;
    }
    if (k->stall == 1) {
        c->plan->kind = MOCK_PLAN_STALL;
        return 1;
    }
    return 0;
}

static void garbage_full(struct ctx *c)
{
    util_buf_reset(&c->plan->body);
    MOCK_LIT(&c->plan->body, "<html>warden-mock garbage: this is not JSON {\"choices\": [");
    finish_full(c, 200, "application/json");
}

/* Appends data as one HTTP chunk to the plan body (not yet an event boundary). */
static void frame(struct mock_plan *p, const char *data, size_t n)
{
    char hex[24];
    int m = snprintf(hex, sizeof(hex), "%zx\r\n", n);
    util_buf_append(&p->body, hex, (size_t)m);
    util_buf_append(&p->body, data, n);
    MOCK_LIT(&p->body, "\r\n");
}

static void event_end(struct mock_plan *p)
{
    if (p->n_ev == p->ev_cap) {
        p->ev_cap = p->ev_cap ? p->ev_cap * 2 : 16;
        p->ev_end = util_realloc(p->ev_end, p->ev_cap * sizeof(*p->ev_end));
    }
    p->ev_end[p->n_ev++] = p->body.len;
}

/* Where piece i of n starts in s[0..len), moved forward to a UTF-8 character boundary. */
static size_t piece_start(const char *s, size_t len, size_t i, size_t n)
{
    size_t at = (size_t)((unsigned long long)len * i / n);
    while (at < len && ((unsigned char)s[at] & 0xc0) == 0x80)
        at++;
    return at;
}

/* ------------------------------------------------------------------ chat */

struct chat {
    const char *model;
    size_t model_len;
    uint64_t created, prompt_tokens;
    const char *content;
    size_t content_len;
    const char *tool_name, *tool_args;
    size_t tool_name_len, tool_args_len;
    char *tool_args_owned;
    int escape_all; /* echo_form escaped: every ASCII letter and digit of the texts as \u00XX */
};

/* A text of the answer (content, arguments) as a JSON string literal. */
static void text_str(struct util_buf *b, const struct chat *ch, const char *s, size_t n)
{
    if (!ch->escape_all) {
        mock_json_str(b, s, n);
        return;
    }
    MOCK_LIT(b, "\"");
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
            char esc[8];
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            util_buf_append(b, esc, 6);
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && !(((unsigned char)s[j] >= '0' && (unsigned char)s[j] <= '9') ||
                          (((unsigned char)s[j] | 0x20) >= 'a' && ((unsigned char)s[j] | 0x20) <= 'z')))
            j++;
        size_t at = b->len;
        mock_json_str(b, s + i, j - i);
        /* drop the quotes of that literal */
        memmove(b->data + at, b->data + at + 1, b->len - at - 2);
        b->len -= 2;
        b->data[b->len] = '\0';
        i = j;
    }
    MOCK_LIT(b, "\"");
}

static void chunk_prefix(struct util_buf *b, struct ctx *c, const struct chat *ch)
{
    MOCK_LIT(b, "data: {\"id\":\"chatcmpl-mock-");
    mock_json_u64(b, c->plan->seq);
    MOCK_LIT(b, "\",\"object\":\"chat.completion.chunk\",\"created\":");
    mock_json_u64(b, ch->created);
    MOCK_LIT(b, ",\"model\":");
    mock_json_str(b, ch->model, ch->model_len);
    MOCK_LIT(b, ",\"system_fingerprint\":\"fp_mock\",\"choices\":");
}

static void usage_json(struct util_buf *b, uint64_t prompt, uint64_t completion)
{
    MOCK_LIT(b, "{\"prompt_tokens\":");
    mock_json_u64(b, prompt);
    MOCK_LIT(b, ",\"completion_tokens\":");
    mock_json_u64(b, completion);
    MOCK_LIT(b, ",\"total_tokens\":");
    mock_json_u64(b, prompt + completion);
    MOCK_LIT(b, "}");
}

static void chat_full(struct ctx *c, const struct chat *ch)
{
    struct util_buf *b = &c->plan->body;
    MOCK_LIT(b, "{\"id\":\"chatcmpl-mock-");
    mock_json_u64(b, c->plan->seq);
    MOCK_LIT(b, "\",\"object\":\"chat.completion\",\"created\":");
    mock_json_u64(b, ch->created);
    MOCK_LIT(b, ",\"model\":");
    mock_json_str(b, ch->model, ch->model_len);
    MOCK_LIT(b, ",\"system_fingerprint\":\"fp_mock\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
    uint64_t completion;
    if (ch->tool_name) {
        MOCK_LIT(b, "null,\"tool_calls\":[{\"id\":\"call_mock_");
        mock_json_u64(b, c->plan->seq);
        MOCK_LIT(b, "\",\"type\":\"function\",\"function\":{\"name\":");
        mock_json_str(b, ch->tool_name, ch->tool_name_len);
        MOCK_LIT(b, ",\"arguments\":");
        text_str(b, ch, ch->tool_args, ch->tool_args_len);
        MOCK_LIT(b, "}}]},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}],\"usage\":");
        completion = tokens_of(ch->tool_args_len + ch->tool_name_len);
    } else {
        text_str(b, ch, ch->content, ch->content_len);
        MOCK_LIT(b, "},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":");
        completion = tokens_of(ch->content_len);
    }
    usage_json(b, ch->prompt_tokens, completion);
    MOCK_LIT(b, "}");
}

static void chat_stream(struct ctx *c, const struct chat *ch, int include_usage, int truncate)
{
    struct mock_plan *p = c->plan;
    struct util_buf *s = &c->w->scratch;
    struct knobs *k = &c->k;
    size_t n = (size_t)(k->chunks >= 1 ? k->chunks : mock_opts.chunks);
    const char *text = ch->tool_name ? ch->tool_args : ch->content;
    size_t text_len = ch->tool_name ? ch->tool_args_len : ch->content_len;

    for (size_t i = 0; i < n; i++) {
        size_t a = piece_start(text, text_len, i, n), e = piece_start(text, text_len, i + 1, n);
        util_buf_reset(s);
        chunk_prefix(s, c, ch);
        MOCK_LIT(s, "[{\"index\":0,\"delta\":{");
        if (i == 0)
            MOCK_LIT(s, "\"role\":\"assistant\",");
        if (ch->tool_name) {
            if (i == 0)
                MOCK_LIT(s, "\"content\":null,");
            MOCK_LIT(s, "\"tool_calls\":[{\"index\":0,");
            if (i == 0) {
                MOCK_LIT(s, "\"id\":\"call_mock_");
                mock_json_u64(s, p->seq);
                MOCK_LIT(s, "\",\"type\":\"function\",\"function\":{\"name\":");
                mock_json_str(s, ch->tool_name, ch->tool_name_len);
                MOCK_LIT(s, ",\"arguments\":");
            } else {
                MOCK_LIT(s, "\"function\":{\"arguments\":");
            }
            text_str(s, ch, text + a, e - a);
            MOCK_LIT(s, "}}]");
        } else {
            MOCK_LIT(s, "\"content\":");
            text_str(s, ch, text + a, e - a);
        }
        MOCK_LIT(s, "},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
        frame(p, s->data, s->len);
        event_end(p);
        if (i == 0 && k->garbage == 1) {
            static const char broken[] = "data: {\"id\":\"chatcmpl-mock-garbage\",\"choices\":[{\"delta\":{\"content\":\"\n\n";
            frame(p, broken, sizeof(broken) - 1);
            event_end(p);
        }
    }
    if (!truncate) {
        util_buf_reset(s);
        chunk_prefix(s, c, ch);
        MOCK_LIT(s, "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"");
        mock_json_lit(s, ch->tool_name ? "tool_calls" : "stop");
        MOCK_LIT(s, "\"}]}\n\n");
        frame(p, s->data, s->len);
        if (include_usage) {
            util_buf_reset(s);
            chunk_prefix(s, c, ch);
            MOCK_LIT(s, "[],\"usage\":");
            usage_json(s, ch->prompt_tokens, tokens_of(text_len + ch->tool_name_len));
            MOCK_LIT(s, "}\n\n");
            frame(p, s->data, s->len);
        }
        static const char done[] = "data: [DONE]\n\n";
        frame(p, done, sizeof(done) - 1);
    }
    MOCK_LIT(&p->body, "0\r\n\r\n");
    event_end(p);
    p->kind = MOCK_PLAN_STREAM;
    p->status = 200;
    p->abort_after = k->abort_after;
    p->interval_ms = (uint64_t)(k->chunk_interval_ms >= 0 ? k->chunk_interval_ms : mock_opts.chunk_interval_ms);
    head_build(c, "text/event-stream", 1);
}

/* What route_chat needs from the body, from either the fast scan or the jansson tree. */
struct chat_in {
    int is_object, has_messages, stream, include_usage, tools;
    const char *model; /* NULL: none */
    size_t model_len, prompt_chars;
};

static size_t fast_text_chars(const struct mock_jtok *t, const char *s, int v)
{
    if (v < 0)
        return 0;
    if (t[v].type == MOCK_J_STR)
        return t[v].len;
    size_t n = 0;
    if (t[v].type == MOCK_J_ARR) {
        int e = v + 1;
        for (uint32_t i = 0; i < t[v].len; i++) {
            if (t[e].type == MOCK_J_STR)
                n += t[e].len;
            else if (t[e].type == MOCK_J_OBJ)
                n += fast_text_chars(t, s, mock_json_get(t, s, e, "text"));
            e = (int)t[e].skip;
        }
    }
    return n;
}

static void chat_in_fast(struct ctx *c, struct chat_in *in)
{
    const struct mock_jtok *t = c->w->toks;
    const char *s = c->r->body;
    in->is_object = 1;
    int msgs = mock_json_get(t, s, 0, "messages");
    in->has_messages = msgs >= 0 && t[msgs].type == MOCK_J_ARR;
    int v = mock_json_get(t, s, 0, "stream");
    in->stream = v >= 0 && t[v].type == MOCK_J_TRUE;
    v = mock_json_get(t, s, mock_json_get(t, s, 0, "stream_options"), "include_usage");
    in->include_usage = v >= 0 && t[v].type == MOCK_J_TRUE;
    v = mock_json_get(t, s, 0, "tools");
    in->tools = v >= 0 && t[v].type == MOCK_J_ARR && t[v].len > 0;
    v = mock_json_get(t, s, 0, "model");
    if (v >= 0 && t[v].type == MOCK_J_STR) { /* not escaped: checked before choosing the fast path */
        in->model = s + t[v].start;
        in->model_len = t[v].end - t[v].start;
    }
    if (in->has_messages) {
        int e = msgs + 1;
        for (uint32_t i = 0; i < t[msgs].len; i++) {
            in->prompt_chars += fast_text_chars(t, s, mock_json_get(t, s, e, "content"));
            e = (int)t[e].skip;
        }
    }
}

static void chat_in_json(struct ctx *c, struct chat_in *in)
{
    json_t *j = c->json;
    in->is_object = j && json_is_object(j);
    if (!in->is_object)
        return;
    json_t *messages = json_object_get(j, "messages");
    in->has_messages = json_is_array(messages);
    in->stream = json_is_true(json_object_get(j, "stream"));
    in->include_usage = json_is_true(json_object_get(json_object_get(j, "stream_options"), "include_usage"));
    json_t *tools = json_object_get(j, "tools");
    in->tools = json_is_array(tools) && json_array_size(tools) > 0;
    json_t *model = json_object_get(j, "model");
    if (json_is_string(model)) {
        in->model = json_string_value(model);
        in->model_len = json_string_length(model);
    }
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m)
    {
        in->prompt_chars += text_chars(json_object_get(m, "content"));
    }
}

/* echo: system - the text of the request's first system (or developer) message: its content
 * string, or its text parts joined. What Warden added there (a canary) comes back, as a
 * model that leaks its system prompt would answer. malloc'd; "" when there is none. */
static char *system_text(struct ctx *c)
{
    json_t *owned = c->json ? NULL : json_loadb(c->r->body, c->r->body_len, 0, NULL);
    json_t *messages = json_object_get(c->json ? c->json : owned, "messages");
    struct util_buf b;
    util_buf_init(&b, SIZE_MAX);
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m)
    {
        const char *role = json_string_value(json_object_get(m, "role"));
        if (role == NULL || (strcmp(role, "system") != 0 && strcmp(role, "developer") != 0))
            continue;
        json_t *content = json_object_get(m, "content"), *part;
        size_t k;
        if (json_is_string(content))
            util_buf_append(&b, json_string_value(content), json_string_length(content));
        json_array_foreach(content, k, part)
        {
            json_t *t = json_object_get(part, "text");
            if (json_is_string(t))
                util_buf_append(&b, json_string_value(t), json_string_length(t));
        }
        break;
    }
    json_decref(owned);
    util_buf_append(&b, "", 0);
    size_t n;
    return util_buf_take(&b, &n);
}

/* echo_form: fullwidth (ASCII letters and digits as U+FF21.. / U+FF41.. / U+FF10..) or
 * zero_width (U+200B after each character): the disguises a leak may wear. */
static char *echo_disguise(const char *s, int fullwidth)
{
    struct util_buf b;
    util_buf_init(&b, SIZE_MAX);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned cp = 0;
        if (fullwidth && *p >= '0' && *p <= '9')
            cp = 0xFF10 + (*p - '0');
        else if (fullwidth && *p >= 'A' && *p <= 'Z')
            cp = 0xFF21 + (*p - 'A');
        else if (fullwidth && *p >= 'a' && *p <= 'z')
            cp = 0xFF41 + (*p - 'a');
        if (cp) {
            unsigned char u[3] = {(unsigned char)(0xE0 | cp >> 12), (unsigned char)(0x80 | ((cp >> 6) & 0x3F)),
                                  (unsigned char)(0x80 | (cp & 0x3F))};
            util_buf_append(&b, u, 3);
        } else {
            util_buf_append(&b, p, 1);
        }
        if (!fullwidth && (p[1] & 0xC0) != 0x80)
            util_buf_append(&b, "\xE2\x80\x8B", 3);
    }
    util_buf_append(&b, "", 0);
    size_t n;
    return util_buf_take(&b, &n);
}

static int kstr_is(const struct kstr *k, const char *s)
{
    return k->s != NULL && k->n == strlen(s) && memcmp(k->s, s, k->n) == 0;
}

static void route_chat(struct ctx *c)
{
    struct knobs *k = &c->k;
    struct chat_in in = {0};
    if (c->fast)
        chat_in_fast(c, &in);
    else
        chat_in_json(c, &in);
    if (!in.is_object) {
        answer_error(c, 400, "mock: the request body must be a JSON object");
        return;
    }
    if (!in.has_messages) {
        answer_error(c, 400, "mock: 'messages' is required and must be an array");
        return;
    }
    int stream = in.stream;
    int chaos_truncate = 0;
    if (faults(c, &chaos_truncate))
        return;

    struct chat ch = {0};
    ch.model = in.model ? in.model : "mock-model";
    ch.model_len = in.model ? in.model_len : strlen("mock-model");
    ch.created = (uint64_t)time(NULL);
    ch.prompt_tokens = tokens_of(in.prompt_chars);

    if (k->contents && json_array_size(k->contents) > 0) {
        uint64_t nth = mock_state_counter_next(k->key.s ? k->key.s : "", k->key.n, MOCK_COUNTER_CONTENTS);
        size_t len = json_array_size(k->contents);
        json_t *pick = json_array_get(k->contents, nth < len ? (size_t)nth : len - 1);
        if (json_is_string(pick)) {
            ch.content = json_string_value(pick);
            ch.content_len = json_string_length(pick);
        } else {
            ch.content = "";
        }
    } else if (k->content.s) {
        ch.content = k->content.s;
        ch.content_len = k->content.n;
    } else {
        ch.content = mock_opts.content;
        ch.content_len = strlen(mock_opts.content);
    }

    char *echo = NULL;
    if (k->echo.s != NULL) {
        int form_ok = k->echo_form.s == NULL || kstr_is(&k->echo_form, "plain") || kstr_is(&k->echo_form, "escaped") ||
                      kstr_is(&k->echo_form, "fullwidth") || kstr_is(&k->echo_form, "zero_width");
        if (!kstr_is(&k->echo, "system") || !form_ok) {
            answer_error(c, 400, "mock: echo must be \"system\" and echo_form plain, escaped, fullwidth or zero_width");
            return;
        }
        echo = system_text(c);
        if (kstr_is(&k->echo_form, "fullwidth") || kstr_is(&k->echo_form, "zero_width")) {
            char *d = echo_disguise(echo, kstr_is(&k->echo_form, "fullwidth"));
            free(echo);
            echo = d;
        }
        ch.escape_all = kstr_is(&k->echo_form, "escaped");
        ch.content = echo;
        ch.content_len = strlen(echo);
    }

    if (k->tool_call && in.tools) {
        json_t *name = json_object_get(k->tool_call, "name");
        json_t *args = json_object_get(k->tool_call, "arguments");
        ch.tool_name = json_is_string(name) ? json_string_value(name) : "mock_tool";
        ch.tool_name_len = strlen(ch.tool_name);
        if (echo != NULL) {
            ch.tool_args = echo;
            ch.tool_args_len = strlen(echo);
        } else if (json_is_string(args)) {
            ch.tool_args = json_string_value(args);
            ch.tool_args_len = json_string_length(args);
        } else if (args) {
            ch.tool_args_owned = json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY);
            ch.tool_args = ch.tool_args_owned ? ch.tool_args_owned : "{}";
            ch.tool_args_len = strlen(ch.tool_args);
        } else {
            ch.tool_args = "{}";
            ch.tool_args_len = 2;
        }
    }

    if (stream) {
        chat_stream(c, &ch, in.include_usage, chaos_truncate || k->truncate == 1);
    } else if (k->garbage == 1) {
        garbage_full(c);
    } else {
        chat_full(c, &ch);
        finish_full(c, 200, "application/json");
        if (k->abort_after >= 0 || chaos_truncate)
            c->plan->kind = MOCK_PLAN_HALF;
    }
    free(ch.tool_args_owned);
    free(echo);
}

/* ------------------------------------------------------------------ embeddings */

static uint64_t fnv(const void *data, size_t n, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void b64(struct util_buf *b, const unsigned char *d, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < n)
            v |= d[i + 2];
        char out[4] = {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63], i + 1 < n ? tbl[(v >> 6) & 63] : '=',
                       i + 2 < n ? tbl[v & 63] : '='};
        util_buf_append(b, out, 4);
    }
}

/* A unit vector that depends only on the text and dims, so tests can compare embeddings. */
static void embedding(struct util_buf *b, const char *text, size_t n, size_t dims, int base64)
{
    float *v = util_malloc(dims * sizeof(float));
    uint64_t x = fnv(text, n, 1469598103934665603ull ^ dims) | 1;
    double norm = 0;
    for (size_t i = 0; i < dims; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        double r = (double)((x * 2685821657736338717ull) >> 11) / (double)(1ull << 53) * 2.0 - 1.0;
        v[i] = (float)r;
        norm += r * r;
    }
    norm = norm > 0 ? sqrt(norm) : 1;
    for (size_t i = 0; i < dims; i++)
        v[i] = (float)(v[i] / norm);
    if (base64) {
        MOCK_LIT(b, "\"");
        b64(b, (const unsigned char *)v, dims * sizeof(float)); /* little-endian float32, as OpenAI sends */
        MOCK_LIT(b, "\"");
    } else {
        MOCK_LIT(b, "[");
        for (size_t i = 0; i < dims; i++) {
            char num[32];
            int m = snprintf(num, sizeof(num), "%s%.6f", i ? "," : "", (double)v[i]);
            util_buf_append(b, num, (size_t)m);
        }
        MOCK_LIT(b, "]");
    }
    free(v);
}

static void route_embeddings(struct ctx *c)
{
    json_t *j = c->json;
    if (!j || !json_is_object(j)) {
        answer_error(c, 400, "mock: the request body must be a JSON object");
        return;
    }
    json_t *input = json_object_get(j, "input");
    int ok = json_is_string(input) || (json_is_array(input) && json_array_size(input) > 0);
    if (ok && json_is_array(input)) {
        size_t i;
        json_t *e;
        json_array_foreach(input, i, e)
        {
            if (!json_is_string(e) && !json_is_integer(e) && !json_is_array(e))
                ok = 0;
        }
    }
    if (!ok) {
        answer_error(c, 400, "mock: 'input' must be a string or a non-empty array");
        return;
    }
    if (json_array_size(input) > 4096) {
        answer_error(c, 400, "mock: at most 4096 inputs");
        return;
    }
    /* fail_input: a request carrying this exact input string fails with 500 every time, at once
     * (ttft_ms does not delay it); the others are left alone: one sub-batch of a split request
     * fails, after any retries, while its siblings are still in flight */
    if (c->k.fail_input.s != NULL && json_is_array(input)) {
        size_t i;
        json_t *e;
        json_array_foreach(input, i, e)
        {
            if (json_is_string(e) && json_string_length(e) == c->k.fail_input.n &&
                memcmp(json_string_value(e), c->k.fail_input.s, c->k.fail_input.n) == 0) {
                char msg[96];
                snprintf(msg, sizeof(msg), "mock: fail_input matched input %zu", i);
                c->k.ttft_ms = 0;
                answer_error(c, 500, msg);
                return;
            }
        }
    }
    int chaos_truncate = 0;
    if (faults(c, &chaos_truncate))
        return;
    if (c->k.garbage == 1) {
        garbage_full(c);
        return;
    }
    size_t dims = (size_t)(c->k.dims >= 1 ? c->k.dims : 8);
    json_t *fmt = json_object_get(j, "encoding_format");
    int base64 = json_is_string(fmt) && strcmp(json_string_value(fmt), "base64") == 0;
    json_t *model = json_object_get(j, "model");
    struct util_buf *b = &c->plan->body;
    size_t chars = 0;
    MOCK_LIT(b, "{\"object\":\"list\",\"data\":[");
    /* a flat array of integers is one tokenised input */
    int single = json_is_string(input) || (json_is_array(input) && json_is_integer(json_array_get(input, 0)));
    size_t count = single ? 1 : json_array_size(input);
    for (size_t i = 0; i < count; i++) {
        json_t *e = single ? input : json_array_get(input, i);
        char *dumped = NULL;
        const char *text;
        size_t n;
        if (json_is_string(e)) {
            text = json_string_value(e);
            n = json_string_length(e);
        } else {
            dumped = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
            text = dumped ? dumped : "";
            n = strlen(text);
        }
        chars += n;
        if (i)
            MOCK_LIT(b, ",");
        MOCK_LIT(b, "{\"object\":\"embedding\",\"index\":");
        mock_json_u64(b, i);
        MOCK_LIT(b, ",\"embedding\":");
        embedding(b, text, n, dims, base64);
        MOCK_LIT(b, "}");
        free(dumped);
    }
    MOCK_LIT(b, "],\"model\":");
    if (json_is_string(model))
        mock_json_str(b, json_string_value(model), json_string_length(model));
    else
        MOCK_LIT(b, "\"mock-embedding\"");
    MOCK_LIT(b, ",\"usage\":{\"prompt_tokens\":");
    mock_json_u64(b, tokens_of(chars));
    MOCK_LIT(b, ",\"total_tokens\":");
    mock_json_u64(b, tokens_of(chars));
    MOCK_LIT(b, "}}");
    finish_full(c, 200, "application/json");
    if (c->k.abort_after >= 0 || chaos_truncate)
        c->plan->kind = MOCK_PLAN_HALF;
}

/* ------------------------------------------------------------------ models */

static const char *const model_ids[] = {"mock-model", "gpt-4o-mini", "gpt-4o", "mock-embedding", "text-embedding-3-small"};

static void model_json(struct util_buf *b, const char *id, size_t n)
{
    MOCK_LIT(b, "{\"id\":");
    mock_json_str(b, id, n);
    MOCK_LIT(b, ",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"warden-mock\"}");
}

static void route_models(struct ctx *c)
{
    struct util_buf *b = &c->plan->body;
    MOCK_LIT(b, "{\"object\":\"list\",\"data\":[");
    for (size_t i = 0; i < sizeof(model_ids) / sizeof(model_ids[0]); i++) {
        if (i)
            MOCK_LIT(b, ",");
        model_json(b, model_ids[i], strlen(model_ids[i]));
    }
    MOCK_LIT(b, "]}");
    finish_full(c, 200, "application/json");
}

/* ------------------------------------------------------------------ guardrail */

static int contains(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    return n >= m && memmem(s, n, needle, m) != NULL;
}

static void redacted(struct util_buf *b, const char *s, size_t n)
{
    static const char word[] = "REDACTME", repl[] = "[MOCK-REDACTED]";
    struct util_buf *tmp = b; /* escape per segment straight into b */
    MOCK_LIT(tmp, "\"");
    size_t i = 0;
    while (i < n) {
        const char *hit = memmem(s + i, n - i, word, sizeof(word) - 1);
        size_t end = hit ? (size_t)(hit - s) : n;
        /* escape s[i..end) without the surrounding quotes */
        size_t before = b->len;
        mock_json_str(b, s + i, end - i);
        memmove(b->data + before, b->data + before + 1, b->len - before - 2);
        b->len -= 2;
        b->data[b->len] = '\0';
        if (!hit)
            break;
        util_buf_append(b, repl, sizeof(repl) - 1);
        i = end + sizeof(word) - 1;
    }
    MOCK_LIT(tmp, "\"");
}

static void route_guardrail(struct ctx *c)
{
    json_t *j = c->json;
    if (!j || !json_is_object(j)) {
        answer_error(c, 400, "mock: the request body must be a JSON object");
        return;
    }
    json_t *texts = json_object_get(j, "texts");
    if (texts && !json_is_array(texts)) {
        answer_error(c, 400, "mock: 'texts' must be an array of strings");
        return;
    }
    json_t *it = json_object_get(j, "input_type");
    if (it && !(json_is_string(it) &&
                (strcmp(json_string_value(it), "request") == 0 || strcmp(json_string_value(it), "response") == 0))) {
        answer_error(c, 400, "mock: 'input_type' must be \"request\" or \"response\"");
        return;
    }
    int chaos_truncate = 0;
    if (faults(c, &chaos_truncate))
        return;
    struct knobs *k = &c->k;
    enum { G_NONE, G_BLOCKED, G_INTERVENED, G_GARBAGE } act = G_NONE;
    const char *why = "mock: blocked word";
    int blocked = 0, redact = 0;
    size_t i;
    json_t *t;
    json_array_foreach(texts, i, t)
    {
        if (!json_is_string(t))
            continue;
        blocked |= contains(json_string_value(t), json_string_length(t), "BLOCKME");
        redact |= contains(json_string_value(t), json_string_length(t), "REDACTME");
    }
    act = blocked ? G_BLOCKED : redact ? G_INTERVENED : G_NONE;
    if (k->action.s) {
        struct kstr a = k->action;
        if (a.n == 4 && strncasecmp(a.s, "NONE", 4) == 0) {
            act = G_NONE;
        } else if (a.n == 7 && strncasecmp(a.s, "BLOCKED", 7) == 0) {
            act = G_BLOCKED;
            why = blocked ? why : "mock: forced block";
        } else if (a.n == 20 && strncasecmp(a.s, "GUARDRAIL_INTERVENED", 20) == 0) {
            act = G_INTERVENED;
        } else if (a.n == 7 && strncasecmp(a.s, "garbage", 7) == 0) {
            act = G_GARBAGE;
        } else {
            answer_error(c, 400, "mock: invalid value for knob action");
            return;
        }
    }
    if (k->garbage == 1)
        act = G_GARBAGE;
    struct util_buf *b = &c->plan->body;
    switch (act) {
    case G_GARBAGE:
        garbage_full(c);
        return;
    case G_NONE:
        MOCK_LIT(b, "{\"action\":\"NONE\"}");
        break;
    case G_BLOCKED:
        MOCK_LIT(b, "{\"action\":\"BLOCKED\",\"blocked_reason\":");
        mock_json_str(b, why, strlen(why));
        MOCK_LIT(b, "}");
        break;
    case G_INTERVENED:
        MOCK_LIT(b, "{\"action\":\"GUARDRAIL_INTERVENED\",\"texts\":[");
        json_array_foreach(texts, i, t)
        {
            if (i)
                MOCK_LIT(b, ",");
            if (json_is_string(t))
                redacted(b, json_string_value(t), json_string_length(t));
            else
                MOCK_LIT(b, "\"\"");
        }
        MOCK_LIT(b, "]}");
        break;
    }
    finish_full(c, 200, "application/json");
    if (k->abort_after >= 0 || chaos_truncate)
        c->plan->kind = MOCK_PLAN_HALF;
}

/* ------------------------------------------------------------------ control endpoints */

static size_t query_limit(struct ctx *c)
{
    const char *q = c->query;
    size_t n = c->query_len;
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && q[e] != '&')
            e++;
        if (e - i > 6 && memcmp(q + i, "limit=", 6) == 0) {
            int64_t v;
            if (parse_int(q + i + 6, e - i - 6, &v) == 0)
                return (size_t)v;
        }
        i = e + 1;
    }
    return MOCK_RECORDS;
}

/* ------------------------------------------------------------------ dispatch */

static int path_is(struct ctx *c, const char *p)
{
    size_t n = strlen(p);
    return c->path_len == n && memcmp(c->path, p, n) == 0;
}

static int method_is(const struct mock_request *r, const char *m)
{
    size_t n = strlen(m);
    return r->http->method_len == n && memcmp(r->base + r->http->method_off, m, n) == 0;
}

/* The subset of headers kept in a record: x-mock-*, x-request-id and whether authorization was sent. */
static void headers_json(struct ctx *c, struct util_buf *b)
{
    const struct mock_http_req *h = c->r->http;
    const char *base = c->r->base;
    int auth = 0;
    MOCK_LIT(b, "{");
    for (size_t i = 0; i < h->nheaders; i++) {
        const struct mock_http_header *hd = &h->headers[i];
        const char *name = base + hd->name_off;
        if (hd->name_len == 13 && strncasecmp(name, "authorization", 13) == 0) {
            auth = 1;
            continue;
        }
        if (!((hd->name_len > 7 && strncasecmp(name, "x-mock-", 7) == 0) ||
              (hd->name_len == 12 && strncasecmp(name, "x-request-id", 12) == 0)))
            continue;
        char lower[256];
        size_t n = hd->name_len < sizeof(lower) ? hd->name_len : sizeof(lower);
        for (size_t k = 0; k < n; k++)
            lower[k] = (name[k] >= 'A' && name[k] <= 'Z') ? (char)(name[k] - 'A' + 'a') : name[k];
        mock_json_str(b, lower, n);
        MOCK_LIT(b, ":");
        mock_json_str(b, base + hd->value_off, hd->value_len);
        MOCK_LIT(b, ",");
    }
    MOCK_LIT(b, "\"authorization\":");
    mock_json_lit(b, auth ? "true" : "false");
    MOCK_LIT(b, "}");
}

static void record_begin(struct ctx *c, enum mock_path kind)
{
    const struct mock_request *r = c->r;
    struct util_buf *hj = &c->w->hdrjson;
    util_buf_reset(hj);
    headers_json(c, hj);
    json_t *model = c->json ? json_object_get(c->json, "model") : NULL;
    const char *mname = json_is_string(model) ? json_string_value(model) : NULL;
    size_t mlen = json_is_string(model) ? json_string_length(model) : 0;
    if (c->fast) {
        int v = mock_json_get(c->w->toks, r->body, 0, "model");
        if (v >= 0 && c->w->toks[v].type == MOCK_J_STR) {
            mname = r->body + c->w->toks[v].start;
            mlen = c->w->toks[v].end - c->w->toks[v].start;
        }
    }
    struct mock_record_in in = {
        .path_kind = kind,
        .method = r->base + r->http->method_off,
        .method_len = r->http->method_len,
        .path = c->path,
        .path_len = c->path_len,
        .model = mname,
        .model_len = mlen,
        .body = r->body,
        .body_len = r->body_len,
        .headers_json = hj->data,
        .headers_json_len = hj->len,
        .started_ms = r->started_ms,
    };
    c->plan->seq = mock_state_begin(&in);
}

/* Strips an optional /v1 so that base URLs with or without it both work. */
static int api_path(struct ctx *c, const char *suffix)
{
    size_t n = strlen(suffix);
    if (c->path_len == n + 3 && memcmp(c->path, "/v1", 3) == 0 && memcmp(c->path + 3, suffix, n) == 0)
        return 1;
    return c->path_len == n && memcmp(c->path, suffix, n) == 0;
}

static int is_model_item(struct ctx *c, const char **id, size_t *id_len)
{
    const char *p = c->path;
    size_t n = c->path_len;
    if (n > 3 && memcmp(p, "/v1", 3) == 0) {
        p += 3;
        n -= 3;
    }
    if (n > 8 && memcmp(p, "/models/", 8) == 0) {
        *id = p + 8;
        *id_len = n - 8;
        return 1;
    }
    return 0;
}

void mock_route(const struct mock_request *r, struct mock_plan *plan)
{
    struct ctx c;
    memset(&c, 0, sizeof(c));
    c.r = r;
    c.plan = plan;
    c.w = r->worker;
    knobs_init(&c.k);
    const char *t = r->base + r->http->target_off;
    size_t tl = r->http->target_len;
    const char *qm = memchr(t, '?', tl);
    c.path = t;
    c.path_len = qm ? (size_t)(qm - t) : tl;
    c.query = qm ? qm + 1 : "";
    c.query_len = qm ? tl - c.path_len - 1 : 0;
    c.head_only = method_is(r, "HEAD");
    if (!r->http->keep_alive)
        plan->close_after = 1;

    /* control endpoints: not recorded, no knobs */
    if (c.path_len >= 6 && (memcmp(c.path, "/mock/", 6) == 0 || path_is(&c, "/healthz"))) {
        const char *want = path_is(&c, "/mock/reset") ? "POST" : "GET";
        int known = path_is(&c, "/mock/stats") || path_is(&c, "/mock/requests") || path_is(&c, "/mock/reset") ||
                    path_is(&c, "/mock/now") || path_is(&c, "/healthz");
        if (!known) {
            answer_error(&c, 404, "mock: no such control endpoint");
        } else if (!method_is(r, want)) {
            c.allow = want;
            answer_error(&c, 405, "mock: method not allowed");
        } else {
            struct util_buf *b = &plan->body;
            if (path_is(&c, "/mock/stats")) {
                mock_state_stats_json(b);
            } else if (path_is(&c, "/mock/requests")) {
                mock_state_requests_json(b, query_limit(&c));
            } else if (path_is(&c, "/mock/reset")) {
                mock_state_reset();
                MOCK_LIT(b, "{\"reset\":true}");
            } else if (path_is(&c, "/mock/now")) {
                MOCK_LIT(b, "{\"now_ms\":");
                mock_json_u64(b, util_now_ms());
                MOCK_LIT(b, "}");
            } else {
                MOCK_LIT(b, "{\"status\":\"ok\"}");
            }
            finish_full(&c, 200, "application/json");
        }
        return;
    }

    enum mock_path kind = MOCK_PATH_OTHER;
    const char *want = NULL;
    const char *id = NULL;
    size_t id_len = 0;
    if (api_path(&c, "/chat/completions")) {
        kind = MOCK_PATH_CHAT;
        want = "POST";
    } else if (api_path(&c, "/embeddings")) {
        kind = MOCK_PATH_EMBEDDINGS;
        want = "POST";
    } else if (api_path(&c, "/models") || is_model_item(&c, &id, &id_len)) {
        kind = MOCK_PATH_MODELS;
        want = "GET";
    } else if (path_is(&c, "/guardrail")) {
        kind = MOCK_PATH_GUARDRAIL;
        want = "POST";
    }
    if (kind == MOCK_PATH_CHAT && r->body_len > 0 && mock_json_scan(r->body, r->body_len, c.w->toks, MOCK_JTOK_MAX) > 0 &&
        c.w->toks[0].type == MOCK_J_OBJ && mock_json_get(c.w->toks, r->body, 0, "mock") < 0 &&
        mock_json_get(c.w->toks, r->body, 0, "mock_hex") < 0) {
        int m = mock_json_get(c.w->toks, r->body, 0, "model");
        c.fast = m < 0 || !c.w->toks[m].esc; /* an escaped model name needs decoding: jansson */
    }
    if (!c.fast && want && strcmp(want, "POST") == 0 && r->body_len > 0)
        c.json = json_loadb(r->body, r->body_len, 0, NULL);
    record_begin(&c, kind);

    if (!want) {
        answer_error(&c, 404, "mock: unknown path");
    } else if (!method_is(r, want)) {
        c.allow = want;
        answer_error(&c, 405, "mock: method not allowed");
    } else if (knobs_load(&c) != 0) {
        answer_error(&c, 400, c.err);
    } else {
        if (c.k.retry_after.s)
            c.retry_after = c.k.retry_after;
        if (kind == MOCK_PATH_CHAT && !c.json && !c.fast && r->body_len > 0)
            answer_error(&c, 400, "mock: the request body is not valid JSON");
        else if (kind == MOCK_PATH_CHAT)
            route_chat(&c);
        else if (kind == MOCK_PATH_EMBEDDINGS)
            route_embeddings(&c);
        else if (kind == MOCK_PATH_GUARDRAIL)
            route_guardrail(&c);
        else if (id) {
            model_json(&plan->body, id, id_len);
            finish_full(&c, 200, "application/json");
        } else {
            route_models(&c);
        }
        /* --ttft-ms models an LLM; the guard service and the model list answer at once by default */
        int64_t delay = kind == MOCK_PATH_GUARDRAIL && c.k.delay_ms >= 0 ? c.k.delay_ms : c.k.ttft_ms;
        if (delay < 0)
            delay = (kind == MOCK_PATH_CHAT || kind == MOCK_PATH_EMBEDDINGS) ? mock_opts.ttft_ms : 0;
        plan->delay_ms = (uint64_t)delay;
    }
    knobs_free(&c.k);
    json_decref(c.json);
}
