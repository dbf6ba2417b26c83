/* Split embeddings (embed_split.h).
 *
 * Lifetime: struct embed_split (malloc'd) belongs to a slot in the client request's memory
 * pool, a shared chunk whose dispose runs when h2o frees the request (the answer went out, or
 * the client went away) and frees it. The dispose cancels every sub-request still in flight;
 * api_internal_cancel promises no callback after it, so on_sub_done never sees a freed split.
 * The joined answer's pieces stay in s->join until then, since h2o sends them from there. Sub-requests report on later
 * loop turns (internal.h), never inside api_internal_start or api_internal_cancel.
 *
 *   RUNNING --(last part joined)--> ANSWERED (200, the joined answer)
 *      |  \--(a part failed / did not join)--> ANSWERED (that status and error body; the
 *      |                                       others in flight cancelled)
 *      \--(hang-up: the socket closed)--> ANSWERED (499 written so that h2o notices and
 *                                          disposes; every sub-request cancelled)
 *   any --(h2o disposes the request)--> gone (sub-requests cancelled, access-log line)
 *
 * Invariants: sub-requests start only in RUNNING, at most `concurrency` in flight, in input
 * order; subs[k].h != NULL exactly while part k is in flight; nothing reaches the client
 * before every part joined or one failed, so a failure never leaves partial vectors. */
#include "api/embed_split.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/audit_parent.h"
#include "api/hangup.h"
#include "api/internal.h"
#include "api/json_span.h"
#include "api/request_id.h"
#include "api/texts.h"
#include "api/worker.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "config/config.h"
#include "guard/engine.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/fmt.h"

#define SPLIT_DEFAULT_CONCURRENCY 4
#define SEND_PIECES_MAX 1024

/* ---- the join ---- */

void embed_join_init(struct embed_join *j, size_t n_inputs, size_t batch, size_t max_bytes)
{
    memset(j, 0, sizeof(*j));
    j->n_inputs = n_inputs;
    j->batch = batch > 0 ? batch : 1;
    j->n_parts = (n_inputs + j->batch - 1) / j->batch;
    j->max_bytes = max_bytes;
    j->scratch = util_malloc((j->batch < n_inputs ? j->batch : n_inputs ? n_inputs : 1) * sizeof(*j->scratch));
    j->parts = util_calloc(j->n_parts ? j->n_parts : 1, sizeof(*j->parts));
    util_buf_init(&j->tail, 64 * 1024);
}

void embed_join_free(struct embed_join *j)
{
    for (size_t k = 0; j->parts != NULL && k < j->n_parts; k++) {
        free(j->parts[k].items);
        free(j->parts[k].model);
    }
    free(j->parts);
    free(j->scratch);
    util_buf_free(&j->tail);
    j->parts = NULL;
    j->scratch = NULL;
}

/* A JSON number [s, e) that is a plain non-negative integer not above max. */
static int span_uint(const char *s, const char *e, uint64_t max, uint64_t *out)
{
    if (s >= e)
        return -1;
    uint64_t v = 0;
    for (const char *p = s; p < e; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned d = (unsigned)(*p - '0');
        if (d > max || v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int bad_answer(struct api_error *err, size_t k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad_answer(struct api_error *err, size_t k, const char *fmt, ...)
{
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    api_error_set(err, 502, "api_error", "upstream_bad_answer", NULL, "the answer to sub-request %zu %s", k, detail);
    return -1;
}

/* ---- one pass over a sub-answer ----
 *
 * A sub-answer can be tens of MB (10,000 vectors of 1,536 floats), so it is walked once: the
 * top-level members, into "data" and each item's members, skipping every other value; an
 * embedding that is a flat array of numbers is skipped with memchr. The walk never reads past
 * the end and refuses what it cannot follow; the bytes it copies are not validated further (an
 * unsplit answer is relayed unparsed, too). */

static const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The end of the value at p; a flat array (no string, array or object inside) by memchr. */
static const char *value_end(const char *p, const char *e)
{
    if (p < e && *p == '[') {
        const char *close = memchr(p + 1, ']', (size_t)(e - p - 1));
        if (close != NULL) {
            size_t in = (size_t)(close - p - 1);
            if (!memchr(p + 1, '[', in) && !memchr(p + 1, '{', in) && !memchr(p + 1, '"', in))
                return close + 1;
        }
    }
    return json_span_value_end(p, e);
}

/* The next member of the object being walked (*pp after its '{' or after the previous value):
 * 1 with the key's literal [*ks, *ke) and *pp at the value; 0 at '}' (*pp after it); -1 malformed. */
static int member_key(const char **pp, const char *e, const char **ks, const char **ke)
{
    const char *p = ws(*pp, e);
    if (p < e && *p == ',')
        p = ws(p + 1, e);
    if (p < e && *p == '}') {
        *pp = p + 1;
        return 0;
    }
    if (p >= e || *p != '"' || (*ke = json_span_value_end(p, e)) == NULL)
        return -1;
    *ks = p;
    p = ws(*ke, e);
    if (p >= e || *p != ':')
        return -1;
    *pp = ws(p + 1, e);
    return 1;
}

static int key_is(const char *ks, const char *ke, const char *name)
{
    size_t n = strlen(name);
    return (size_t)(ke - ks) == n + 2 && memcmp(ks + 1, name, n) == 0;
}

/* One data item (an object at *pp) into j->scratch, by its index (or its position). */
static int scan_item(struct embed_join *j, size_t k, size_t n, size_t count, const char **pp, const char *e,
                     struct api_error *err)
{
    const char *p = *pp, *ks, *ke, *is = NULL, *ie = NULL;
    int has_embedding = 0, rc;
    if (p >= e || *p != '{')
        return bad_answer(err, k, "has data[%zu] that is not an object", count);
    p++;
    while ((rc = member_key(&p, e, &ks, &ke)) == 1) {
        const char *vs = p;
        if ((p = value_end(vs, e)) == NULL)
            return bad_answer(err, k, "has data[%zu] cut short", count);
        if (key_is(ks, ke, "index")) {
            if (is != NULL)
                return bad_answer(err, k, "has data[%zu] with two indexes", count);
            is = vs;
            ie = p;
        } else if (key_is(ks, ke, "embedding")) {
            if (has_embedding)
                return bad_answer(err, k, "has data[%zu] with two embeddings", count);
            has_embedding = 1;
        }
    }
    if (rc < 0)
        return bad_answer(err, k, "has data[%zu] that is not an object", count);
    if (!has_embedding)
        return bad_answer(err, k, "has data[%zu] without an embedding", count);
    if (count >= n)
        return bad_answer(err, k, "has more embeddings than the %zu inputs sent", n);
    uint64_t local = count;
    if (is != NULL && span_uint(is, ie, n - 1, &local) != 0)
        return bad_answer(err, k, "has data[%zu].index that is not an integer below %zu", count, n);
    struct embed_join_span *sp = &j->scratch[local];
    if (sp->s != NULL)
        return bad_answer(err, k, "repeats index %zu", (size_t)local);
    *sp = (struct embed_join_span){*pp, p, is, ie};
    *pp = p;
    return 0;
}

/* The "data" array at *pp: every item into j->scratch, exactly n of them. */
static int scan_items(struct embed_join *j, size_t k, size_t n, const char **pp, const char *e, struct api_error *err)
{
    const char *p = *pp;
    size_t count = 0;
    if (p >= e || *p != '[')
        return bad_answer(err, k, "has no \"data\" array");
    p = ws(p + 1, e);
    while (p < e && *p != ']') {
        if (count > 0) {
            if (*p != ',')
                return bad_answer(err, k, "has a malformed \"data\" array");
            p = ws(p + 1, e);
        }
        if (scan_item(j, k, n, count, &p, e, err) != 0)
            return -1;
        count++;
        p = ws(p, e);
    }
    if (p >= e)
        return bad_answer(err, k, "has a \"data\" array cut short");
    if (count != n)
        return bad_answer(err, k, "has %zu embeddings for %zu inputs", count, n);
    *pp = p + 1;
    return 0;
}

/* Adds a usage count of one part: summed, or marked missing. */
static void add_usage(const char *b, const char *us, const char *ue, const char *key, int64_t *sum, unsigned *missing)
{
    size_t vs, ve;
    uint64_t v;
    if (us == NULL || json_span_find_in(b, (size_t)(us - b), (size_t)(ue - b), key, &vs, &ve) != 0 ||
        span_uint(b + vs, b + ve, INT64_MAX / 2, &v) != 0) {
        *missing = 1;
        return;
    }
    *sum = *sum > INT64_MAX / 2 ? INT64_MAX / 2 : *sum + (int64_t)v;
}

static size_t digits(size_t v)
{
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* The item's bytes with its index replaced by i (or inserted), at w; returns the end. */
static char *write_item(char *w, const struct embed_join_span *sp, size_t i)
{
    if (sp->idx_s != NULL) {
        memcpy(w, sp->s, (size_t)(sp->idx_s - sp->s));
        w += sp->idx_s - sp->s;
        w += util_fmt_u64(w, i);
        memcpy(w, sp->idx_e, (size_t)(sp->e - sp->idx_e));
        return w + (sp->e - sp->idx_e);
    }
    memcpy(w, "{\"index\":", 9);
    w += 9;
    w += util_fmt_u64(w, i);
    *w++ = ',';
    memcpy(w, sp->s + 1, (size_t)(sp->e - sp->s - 1));
    return w + (sp->e - sp->s - 1);
}

/* Part k's items written out with their final indexes, comma-separated (the size is known
 * before anything is allocated, and checked against the cap). */
static int render_part(struct embed_join *j, size_t k, size_t n, struct api_error *err)
{
    size_t first = k * j->batch, size = n - 1;
    for (size_t i = 0; i < n; i++) {
        const struct embed_join_span *sp = &j->scratch[i];
        size += digits(first + i) + (sp->idx_s ? (size_t)((sp->e - sp->s) - (sp->idx_e - sp->idx_s)) : 9 + (size_t)(sp->e - sp->s));
    }
    if (size > j->max_bytes - j->bytes)
        return api_error_set(err, 502, "api_error", "upstream_response_too_large", NULL,
                             "the joined answer exceeds server.max_response_bytes (%zu)", j->max_bytes),
               -1;
    char *out = util_malloc(size + UTIL_FMT_U64_MAX), *w = out; /* util_fmt_u64 writes a NUL after its digits */
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            *w++ = ',';
        w = write_item(w, &j->scratch[i], first + i);
    }
    j->parts[k].items = out;
    j->parts[k].len = (size_t)(w - out);
    j->bytes += j->parts[k].len;
    return 0;
}

int embed_join_add(struct embed_join *j, size_t k, const char *body, size_t len, struct api_error *err)
{
    if (k >= j->n_parts || j->parts[k].items != NULL)
        return api_error_set(err, 500, "api_error", "internal_error", NULL, "sub-answer %zu given twice", k), -1;
    size_t n = j->n_inputs - k * j->batch < j->batch ? j->n_inputs - k * j->batch : j->batch;
    memset(j->scratch, 0, n * sizeof(*j->scratch));
    const char *e = body + len, *p = ws(body, e), *ks, *ke, *ms = NULL, *me = NULL, *us = NULL, *ue = NULL;
    if (p >= e || *p != '{')
        return bad_answer(err, k, "is not a JSON object");
    p++;
    int rc, seen_data = 0;
    while ((rc = member_key(&p, e, &ks, &ke)) == 1) {
        const char *vs = p;
        if (key_is(ks, ke, "data")) {
            if (seen_data++)
                return bad_answer(err, k, "has two \"data\" members");
            if (scan_items(j, k, n, &p, e, err) != 0)
                return -1;
            continue;
        }
        if ((p = value_end(vs, e)) == NULL)
            return bad_answer(err, k, "is cut short");
        if (key_is(ks, ke, "model") && *vs == '"') {
            ms = vs;
            me = p;
        } else if (key_is(ks, ke, "usage") && *vs == '{') {
            us = vs;
            ue = p;
        }
    }
    if (rc < 0)
        return bad_answer(err, k, "is not a JSON object");
    if (!seen_data)
        return bad_answer(err, k, "has no \"data\" array");
    if (render_part(j, k, n, err) != 0)
        return -1;
    if (ms != NULL)
        j->parts[k].model = util_strndup(ms, (size_t)(me - ms));
    unsigned missing = j->no_prompt_tokens;
    add_usage(body, us, ue, "prompt_tokens", &j->prompt_tokens, &missing);
    j->no_prompt_tokens = missing;
    missing = j->no_total_tokens;
    add_usage(body, us, ue, "total_tokens", &j->total_tokens, &missing);
    j->no_total_tokens = missing;
    j->done++;
    return 0;
}

static const char join_head[] = "{\"object\":\"list\",\"data\":[";

int embed_join_finish(struct embed_join *j, size_t *total, struct api_error *err)
{
    if (j->done != j->n_parts)
        return api_error_set(err, 500, "api_error", "internal_error", NULL, "%zu of %zu sub-answers are missing",
                             j->n_parts - j->done, j->n_parts),
               -1;
    struct util_buf *t = &j->tail;
    util_buf_reset(t);
    int rc = util_buf_append(t, "]", 1);
    for (size_t k = 0; k < j->n_parts; k++) {
        if (j->parts[k].model == NULL)
            continue;
        rc |= util_buf_append(t, ",\"model\":", 9);
        rc |= util_buf_append(t, j->parts[k].model, strlen(j->parts[k].model));
        break;
    }
    if (!j->no_prompt_tokens || !j->no_total_tokens) {
        rc |= util_buf_append(t, ",\"usage\":{", 10);
        if (!j->no_prompt_tokens)
            rc |= util_buf_appendf(t, "\"prompt_tokens\":%lld", (long long)j->prompt_tokens);
        if (!j->no_total_tokens)
            rc |= util_buf_appendf(t, "%s\"total_tokens\":%lld", j->no_prompt_tokens ? "" : ",", (long long)j->total_tokens);
        rc |= util_buf_append(t, "}", 1);
    }
    rc |= util_buf_append(t, "}", 1);
    size_t size = sizeof(join_head) - 1 + j->bytes + (j->n_parts - 1) + t->len;
    if (rc != 0 || size > j->max_bytes)
        return api_error_set(err, 502, "api_error", "upstream_response_too_large", NULL,
                             "the joined answer exceeds server.max_response_bytes (%zu)", j->max_bytes),
               -1;
    *total = size;
    return 0;
}

size_t embed_join_pieces(const struct embed_join *j, struct embed_join_piece *out)
{
    size_t n = 0;
    out[n++] = (struct embed_join_piece){join_head, sizeof(join_head) - 1};
    for (size_t k = 0; k < j->n_parts; k++) {
        if (k > 0)
            out[n++] = (struct embed_join_piece){",", 1};
        out[n++] = (struct embed_join_piece){j->parts[k].items, j->parts[k].len};
    }
    out[n++] = (struct embed_join_piece){j->tail.data, j->tail.len};
    return n;
}

/* ---- the split request ---- */

struct embed_split;

struct embed_sub {
    struct embed_split *s;
    struct api_internal *h; /* in flight; NULL otherwise */
    size_t k;
};

enum embed_split_phase {
    SPLIT_RUNNING,  /* parts in flight or still to start */
    SPLIT_ANSWERED, /* the answer or an error went to h2o: nothing more starts */
};

struct embed_split {
    struct server_worker *w;
    h2o_req_t *req;
    char request_id[API_REQUEST_ID_SIZE];
    const struct config_api_key *api_key;
    char *body; /* a copy of the client's body (the sub-requests' bodies are cut from it) */
    size_t body_len;
    struct api_span input;  /* the input array in body */
    struct api_span *items; /* each input's value */
    size_t n_items, concurrency;
    size_t next, in_flight, started;
    struct embed_sub *subs; /* one per part */
    struct embed_join join;
    struct util_buf scratch; /* a sub-request's body while it is built */
    size_t answer_len; /* the joined answer's (its pieces live in join until the dispose) */
    char *joined;      /* the pieces copied into one buffer, when there are many */
    h2o_generator_t generator;
    enum embed_split_phase phase;
    int status;
    unsigned client_gone : 1;
    char error[200]; /* the failure told to the client (access log) */
    char error_code[48]; /* its code (audit) */
    struct api_subcall_totals totals; /* the parent audit record's sums (audit_parent.h) */
    int hangup_fd;
    uint64_t conn_id, t_start;
};

static void send_answer(struct embed_split *s, int status, const char *body, size_t len);

static void cancel_all(struct embed_split *s)
{
    for (size_t k = 0; k < s->join.n_parts; k++) {
        if (s->subs[k].h != NULL) {
            api_internal_cancel(s->subs[k].h);
            s->subs[k].h = NULL;
            s->in_flight--;
        }
    }
}

static void unwatch_hangup(struct embed_split *s)
{
    if (s->hangup_fd >= 0) {
        api_hangup_unwatch(api_worker_get(s->w)->hangup, s->hangup_fd, s->conn_id);
        s->hangup_fd = -1;
    }
}

/* Ends the request with status and body (an error): nothing more is started or waited for. */
static void fail_with(struct embed_split *s, int status, const char *body, size_t len)
{
    s->phase = SPLIT_ANSWERED;
    unwatch_hangup(s);
    cancel_all(s);
    send_answer(s, status, body, len);
}

static void fail_error(struct embed_split *s, struct api_error *e)
{
    util_strlcpy(s->error, e->message, sizeof(s->error));
    util_strlcpy(s->error_code, e->code != NULL ? e->code : "", sizeof(s->error_code));
    size_t len;
    char *body = api_error_body(e, &len);
    fail_with(s, e->status, body ? body : "", body ? len : 0);
    free(body);
    api_error_clear(e);
}

static void on_sub_done(void *ud, int status, const char *body, size_t len);
static const struct api_internal_callbacks sub_callbacks = {NULL, on_sub_done};

/* Starts part k: the client's body with the input array cut to the part's inputs. */
static void sub_start(struct embed_split *s, size_t k)
{
    size_t first = k * s->join.batch, last = first + s->join.batch;
    if (last > s->n_items)
        last = s->n_items;
    struct util_buf *b = &s->scratch;
    util_buf_reset(b);
    util_buf_append(b, s->body, s->input.s);
    util_buf_append(b, "[", 1);
    util_buf_append(b, s->body + s->items[first].s, s->items[last - 1].e - s->items[first].s);
    util_buf_append(b, "]", 1);
    util_buf_append(b, s->body + s->input.e, s->body_len - s->input.e);
    /* "<parent>-<part>" when it fits the request-id rules, else a fresh id */
    char id[API_REQUEST_ID_SIZE + 24];
    int n = snprintf(id, sizeof(id), "%s-%zu", s->request_id, k);
    struct api_internal_opts o = {.request_id = n > 0 && api_request_id_ok(id, (size_t)n) ? id : NULL,
                                  .api_key = s->api_key,
                                  .parent_request_id = s->request_id};
    s->subs[k] = (struct embed_sub){s, NULL, k};
    /* the part's own audit record releases a reservation (audit_parent.h): take it */
    audit_admit(s->w->audit);
    s->totals.calls++;
    s->subs[k].h = api_internal_start(s->w, API_INTERNAL_EMBEDDINGS, b->data, b->len, &o, &sub_callbacks, &s->subs[k]);
    s->in_flight++;
    s->started++;
}

static void start_more(struct embed_split *s)
{
    while (s->phase == SPLIT_RUNNING && s->in_flight < s->concurrency && s->next < s->join.n_parts)
        sub_start(s, s->next++);
}

static void send_joined(struct embed_split *s);

static void answer_joined(struct embed_split *s)
{
    struct api_error e = {0};
    if (embed_join_finish(&s->join, &s->answer_len, &e) != 0) {
        fail_error(s, &e);
        return;
    }
    s->phase = SPLIT_ANSWERED;
    unwatch_hangup(s);
    send_joined(s);
}

/* The "code" of an OpenAI error body (a failed part's answer; audit), or "". */
static void error_code_of(const char *body, size_t len, char *out, size_t outsz)
{
    out[0] = '\0';
    json_t *doc = json_loadb(body, len, 0, NULL);
    const char *code = json_string_value(json_object_get(json_object_get(doc, "error"), "code"));
    if (code != NULL)
        util_strlcpy(out, code, outsz);
    json_decref(doc);
}

static void on_sub_done(void *ud, int status, const char *body, size_t len)
{
    struct embed_sub *sub = ud;
    struct embed_split *s = sub->s;
    api_subcall_totals_add(&s->totals, sub->h);
    sub->h = NULL;
    s->in_flight--;
    if (s->phase != SPLIT_RUNNING)
        return;
    if (status < 200 || status >= 300) {
        /* the lifecycle already retried and fell back: this is the part's final answer */
        snprintf(s->error, sizeof(s->error), "sub-request %zu failed with status %d", sub->k, status);
        error_code_of(body, len, s->error_code, sizeof(s->error_code));
        fail_with(s, status, body, len);
        return;
    }
    struct api_error e = {0};
    if (embed_join_add(&s->join, sub->k, body, len, &e) != 0) {
        fail_error(s, &e);
        return;
    }
    if (s->next == s->join.n_parts && s->in_flight == 0) {
        answer_joined(s);
        return;
    }
    start_more(s);
}

/* The socket closed while the parts run (HTTP/1: h2o is not reading it). */
static void on_hangup(void *ud)
{
    struct embed_split *s = ud;
    s->hangup_fd = -1; /* the watcher already forgot this request */
    if (s->phase != SPLIT_RUNNING)
        return;
    s->client_gone = 1;
    struct api_error e = {0};
    api_error_set(&e, 499, "api_error", "client_closed_request", NULL, "client closed the request");
    fail_error(s, &e); /* the write fails, and h2o disposes the request */
}

/* ---- the response and the access log ---- */

static void on_generator_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    (void)g;
    (void)req; /* the whole answer went in one final send: nothing more to give */
}

static void on_generator_stop(h2o_generator_t *g, h2o_req_t *req)
{
    (void)g;
    (void)req;
}

/* Starts the response: status, headers, the generator (the body goes in one final send). */
static void start_response(struct embed_split *s, int status, size_t len)
{
    h2o_req_t *req = s->req;
    s->status = status;
    req->res.status = status;
    req->res.reason = status < 400 ? "OK" : "Error";
    req->res.content_length = len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, s->request_id,
                          strlen(s->request_id));
    char num[UTIL_FMT_U64_MAX];
    h2o_iovec_t parts = h2o_strdup(&req->pool, num, util_fmt_u64(num, s->started));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-warden-sub-requests"), 0, NULL, parts.base, parts.len);
    s->generator.proceed = on_generator_proceed;
    s->generator.stop = on_generator_stop;
    h2o_start_response(req, &s->generator);
}

/* An error answer: status and body (copied into the request's pool). */
static void send_answer(struct embed_split *s, int status, const char *body, size_t len)
{
    start_response(s, status, len);
    h2o_iovec_t buf = h2o_strdup(&s->req->pool, body, len);
    h2o_send(s->req, &buf, 1, H2O_SEND_STATE_FINAL);
}

/* The joined answer, its pieces sent as they are (they live in s->join until the dispose); past
 * SEND_PIECES_MAX pieces (a small max_batch) they are copied into one buffer first, since h2o
 * puts the vector of buffers on its stack. */
static void send_joined(struct embed_split *s)
{
    size_t max = 2 * s->join.n_parts + 1;
    struct embed_join_piece *pieces = util_malloc(max * sizeof(*pieces));
    size_t n = embed_join_pieces(&s->join, pieces);
    h2o_iovec_t *bufs;
    if (n <= SEND_PIECES_MAX) {
        bufs = h2o_mem_alloc_pool(&s->req->pool, n * sizeof(*bufs));
        for (size_t i = 0; i < n; i++)
            bufs[i] = h2o_iovec_init(pieces[i].data, pieces[i].len);
    } else {
        s->joined = util_malloc(s->answer_len ? s->answer_len : 1);
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            memcpy(s->joined + at, pieces[i].data, pieces[i].len);
            at += pieces[i].len;
        }
        bufs = h2o_mem_alloc_pool(&s->req->pool, sizeof(*bufs));
        bufs[0] = h2o_iovec_init(s->joined, at);
        n = 1;
    }
    free(pieces);
    start_response(s, 200, s->answer_len);
    h2o_send(s->req, bufs, n, H2O_SEND_STATE_FINAL);
}

/* One line for the client's request; each sub-request writes its own, naming this one. */
static void access_log(struct embed_split *s, const char *model)
{
    const char *al = s->w->cfg->server.access_log;
    if (al != NULL && strcmp(al, "off") == 0)
        return;
    struct util_buf b;
    util_buf_init(&b, 4096);
    util_buf_append(&b, "{\"id\":", 6);
    util_buf_append_json_string(&b, s->request_id, strlen(s->request_id));
    util_buf_appendf(&b, ",\"route\":\"embeddings\",\"status\":%d,\"total_ms\":%.3f,\"bytes\":%zu,\"inputs\":%zu,"
                         "\"sub_requests\":%zu",
                     s->client_gone && s->status == 0 ? 499 : s->status, (double)(util_now_ns() - s->t_start) / 1e6,
                     s->status == 200 ? s->answer_len : 0, s->n_items, s->started);
    util_buf_append(&b, ",\"model\":", 9);
    util_buf_append_json_string(&b, model, strlen(model));
    if (s->client_gone)
        util_buf_append(&b, ",\"client_gone\":true", 19);
    if (s->error[0]) {
        util_buf_append(&b, ",\"error\":", 9);
        util_buf_append_json_string(&b, s->error, strlen(s->error));
    }
    util_buf_append(&b, "}", 1);
    server_access_log_write(s->w, b.data, b.len);
    util_buf_free(&b);
}

struct embed_split_slot {
    struct embed_split *s;
    char model[128];
};

static void on_split_dispose(void *p)
{
    struct embed_split_slot *slot = p;
    struct embed_split *s = slot->s;
    unwatch_hangup(s);
    if (s->phase == SPLIT_RUNNING)
        s->client_gone = 1; /* h2o let go before the answer (HTTP/2 reset, shutdown) */
    cancel_all(s);
    access_log(s, slot->model);
    int gone = s->client_gone && s->status == 0;
    struct api_audit_parent rec = {
        .request_id = s->request_id,
        .key_name = s->api_key != NULL ? s->api_key->name : NULL,
        .model = slot->model,
        .target = "split:embeddings",
        .error_code = gone ? "client_closed_request" : s->error_code[0] ? s->error_code : NULL,
        .status = gone ? 499 : s->status,
        .t_start_ns = s->t_start,
        .totals = &s->totals,
    };
    api_audit_parent(s->w, &rec); /* releases the reservation routes.c took */
    embed_join_free(&s->join);
    util_buf_free(&s->scratch);
    free(s->joined);
    free(s->subs);
    free(s->items);
    free(s->body);
    api_worker_inflight_leave(api_worker_get(s->w));
    free(s);
}

/* ---- taking the request ---- */

/* Does any model split at all? (Most configs do not: then no body is scanned here.) */
static int any_split_configured(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_models; i++)
        if (cfg->models[i].embeddings.max_batch > 0)
            return 1;
    return 0;
}

static const char *req_header(void *ud, const char *name)
{
    h2o_req_t *req = ud;
    ssize_t i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);
    if (i < 0)
        return NULL;
    h2o_iovec_t v = req->headers.entries[i].value;
    return h2o_strdup(&req->pool, v.base, v.len).base;
}

/* Would a guardrail's `when: headers` choose differently for a sub-request, which carries
 * none of the client's headers? Then splitting could skip (or add) a check: do not split. */
static int guards_read_headers(const struct config *cfg, const struct config_model *m, const char *model_name,
                               h2o_req_t *req, const struct config_api_key *key)
{
    struct config_guardrail **list = m->has_guardrails ? m->guardrails : cfg->default_guardrails;
    size_t n = m->has_guardrails ? m->n_guardrails : cfg->n_default_guardrails;
    struct guard_request_info with = {model_name, "/v1/embeddings", req_header, req, key};
    struct guard_request_info without = {model_name, "/v1/embeddings", NULL, NULL, key};
    for (size_t i = 0; i < n; i++)
        if (list[i]->has_when && list[i]->when.n_headers > 0 &&
            guard_when_matches(list[i], &with) != guard_when_matches(list[i], &without))
            return 1;
    return 0;
}

/* The inputs' spans, when the input is an array of more than max_batch texts or token
 * arrays; NULL otherwise (a flat array of numbers is one tokenised input). */
static struct api_span *split_items(const char *body, struct api_span input, size_t max_batch, size_t *n_items)
{
    if (body[input.s] != '[')
        return NULL;
    size_t pos = 0, cap = 0, n = 0;
    struct api_span *items = NULL, sp;
    while (json_span_array_next(body, input.s, input.e, &pos, &sp.s, &sp.e)) {
        if (json_span_type(body + sp.s) == '0') {
            free(items);
            return NULL;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            items = util_realloc(items, cap * sizeof(*items));
        }
        items[n++] = sp;
    }
    if (n <= max_batch) {
        free(items);
        return NULL;
    }
    *n_items = n;
    return items;
}

int api_embed_split_handle(struct server_worker *w, h2o_req_t *req)
{
    const struct config *cfg = w->cfg;
    if (!any_split_configured(cfg) || w->draining || req->entity.len == 0)
        return 0;
    const char *entity = req->entity.base;
    size_t len = req->entity.len;
    struct api_scan sc;
    if (api_scan(&sc, entity, len, API_SCAN_EMBEDDINGS, 0) != 0 || sc.model_name == NULL || sc.input.e == 0) {
        api_scan_free(&sc);
        return 0; /* the lifecycle answers what is wrong with it */
    }
    const struct config_model *m = sc.model_len < 128 ? config_find_model(cfg, sc.model_name) : NULL;
    size_t n_items = 0;
    struct api_span *items = m != NULL && m->embeddings.max_batch > 0
                                 ? split_items(entity, sc.input, (size_t)m->embeddings.max_batch, &n_items)
                                 : NULL;
    const struct config_api_key *key = cfg->n_api_keys > 0 ? auth_request_key(cfg, &req->headers, NULL) : NULL;
    if (items != NULL && guards_read_headers(cfg, m, sc.model_name, req, key)) {
        free(items);
        items = NULL;
    }
    if (items == NULL) {
        api_scan_free(&sc);
        return 0;
    }

    struct embed_split *s = util_calloc(1, sizeof(*s));
    s->w = w;
    s->req = req;
    s->t_start = util_now_ns();
    s->hangup_fd = -1;
    s->api_key = key;
    api_request_id(&req->headers, s->request_id);
    s->body = util_malloc(len);
    memcpy(s->body, entity, len);
    s->body_len = len;
    s->input = sc.input;
    s->items = items;
    s->n_items = n_items;
    s->concurrency = m->embeddings.max_concurrency > 0 ? (size_t)m->embeddings.max_concurrency : SPLIT_DEFAULT_CONCURRENCY;
    embed_join_init(&s->join, n_items, (size_t)m->embeddings.max_batch, cfg->server.max_response_bytes);
    s->subs = util_calloc(s->join.n_parts, sizeof(*s->subs));
    util_buf_init(&s->scratch, SIZE_MAX);
    struct embed_split_slot *slot = h2o_mem_alloc_shared(&req->pool, sizeof(*slot), on_split_dispose);
    slot->s = s;
    util_strlcpy(slot->model, sc.model_name, sizeof(slot->model));
    api_scan_free(&sc);
    api_worker_inflight_enter(api_worker_get(w));
    if (req->version < 0x200) {
        int fd = h2o_socket_get_fd(req->conn->callbacks->get_socket(req->conn));
        s->conn_id = req->conn->id;
        if (api_hangup_watch(api_worker_get(w)->hangup, fd, s->conn_id, on_hangup, s) == 0)
            s->hangup_fd = fd;
    }
    start_more(s);
    return 1;
}
