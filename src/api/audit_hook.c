/* Fills the audit record of a finished request; see audit_hook.h. */
#include "api/audit_hook.h"

#include <stdlib.h>
#include <string.h>

#include "api/checks.h"
#include "api/json_span.h"
#include "api/lifecycle_int.h"
#include "api/response.h"
#include "api/stream_filter.h"
#include "api/texts.h"
#include "audit/audit.h"
#include "audit/record.h"
#include "guard/engine.h"
#include "guard/placeholder.h"
#include "guard/scan.h"
#include "api/usage.h"
#include "metrics/metrics.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/json_text.h"

/* The tap's bytes go where a started stream's bytes go: through the stream filter when
 * output checks apply, else to the response writer. */
static void on_tap_emit(void *ud, const char *data, size_t len)
{
    struct req_ctx *ctx = ud;
    if (ctx->sink.sf != NULL)
        stream_filter_feed(&ctx->sink, data, len);
    else
        response_append(ctx, data, len);
}

void lifecycle_stream_relay(struct req_ctx *ctx, const char *data, size_t len)
{
    /* a filtered stream's events are read once: the filter does the tap's work too */
    if (stream_filter_reads_usage(&ctx->sink, &ctx->usage.tap)) {
        stream_filter_feed(&ctx->sink, data, len);
        return;
    }
    usage_tap_feed(&ctx->usage.tap, data, len, on_tap_emit, ctx);
}

void lifecycle_stream_relay_end(struct req_ctx *ctx)
{
    usage_tap_finish(&ctx->usage.tap, on_tap_emit, ctx);
}

static char *body_copy(const char *s, size_t len, size_t cap)
{
    if (s == NULL || len == 0)
        return NULL;
    return util_strndup(s, len < cap ? len : cap);
}

/* The answer as stored: reversible redaction restored the originals into ctx->up.body
 * for the client; the record gets the placeholders back (never the originals). */
static char *answer_copy(const struct req_ctx *ctx, size_t cap)
{
    char *hidden = NULL;
    size_t hidden_len = 0;
    for (size_t i = 0; i < ctx->checks.n_placeholders; i++) {
        size_t nl;
        char *next = guard_placeholders_hide(ctx->checks.placeholders[i], hidden ? hidden : ctx->up.body.data,
                                             hidden ? hidden_len : ctx->up.body.len, &nl);
        if (next != NULL) {
            free(hidden);
            hidden = next;
            hidden_len = nl;
        }
    }
    if (hidden == NULL)
        return body_copy(ctx->up.body.data, ctx->up.body.len, cap);
    char *r = body_copy(hidden, hidden_len, cap);
    free(hidden);
    return r;
}

/* Whether g, or a member of its group, looks for what a body must not keep (pii, secrets). */
static int reads_sensitive(const struct config_guardrail *g, int depth)
{
    if (g->type == CONFIG_GUARD_PII || g->type == CONFIG_GUARD_SECRETS)
        return 1;
    for (size_t i = 0; depth < 8 && i < g->n_members; i++)
        if (reads_sensitive(g->members[i], depth + 1))
            return 1;
    return 0;
}

/* Whether an input or output check refused the request (stage) while a pii or secrets check
 * applies at that stage: the text holds what that check found, or, refused by a check before
 * it, what it never got to redact. */
static int refused_where_sensitive(const struct req_ctx *ctx, enum config_guard_stage stage)
{
    const struct config_guardrail *b = ctx->checks.blocked_by;
    if (b == NULL || b->stage != stage)
        return 0;
    for (size_t i = 0; i < ctx->checks.n_guards; i++)
        if (ctx->checks.guards[i]->stage == stage && reads_sensitive(ctx->checks.guards[i], 0))
            return 1;
    return 0;
}

/* Whether ctx->raw is fit to store: its guardrails read it (a redaction is spliced in), or no
 * guardrail applies to it. A request refused before its guardrails ran (a body that does not
 * parse, a duplicate key, a client gone during the checks) still holds what a pii or secrets
 * guard would have redacted: its body is left out of the record, and so is one refused where
 * a pii or secrets check applies (refused_where_sensitive). Refused answers likewise; others
 * are kept for review (a leaked canary masked). */
static int request_body_checked(const struct req_ctx *ctx)
{
    if (refused_where_sensitive(ctx, CONFIG_STAGE_INPUT))
        return 0;
    if (ctx->checks.audit_detail.len > 0)
        return 1; /* verdicts were given: the checks read this body */
    const struct config *cfg = ctx->w->cfg;
    const struct config_model *m = ctx->requested_model;
    if (m == NULL)
        return cfg->n_guardrails == 0; /* never resolved: any guardrail might have applied */
    return (m->has_guardrails ? m->n_guardrails : cfg->n_default_guardrails) == 0;
}

/* No canary is stored (guard/canary.h): with a canary check on the request, every
 * canary-shaped string of a recorded body is masked, and a body that still holds one once
 * its JSON escapes are decoded (or that cannot be checked) is left out. The request body
 * holds none unless a re-ask quoted a leaking answer: the canary goes only upstream. */
static char *canary_masked(const struct req_ctx *ctx, char *body)
{
    if (body == NULL || ctx->checks.canary_check == NULL)
        return body;
    struct guard_env *env = ctx->w->guards;
    const struct guard_scan *scan = guard_local_scan(env, ctx->checks.canary_check);
    size_t len = strlen(body), n = 0;
    char *masked = scan ? guard_scan_redact(scan, guard_env_scratch(env), body, len, "[CANARY]", &n) : NULL;
    if (scan == NULL || (masked == NULL && n == GUARD_SCAN_REDACT_ERROR)) {
        free(body);
        return NULL;
    }
    if (masked != NULL) {
        free(body);
        body = masked;
        len = n;
    }
    char *decoded = util_malloc(len + 1);
    size_t dl = util_json_unescape_once(body, len, decoded);
    struct guard_scan_match m;
    int hit = guard_scan_first(scan, guard_env_scratch(env), decoded, dl, &m);
    free(decoded);
    if (hit != 0) {
        free(body);
        return NULL;
    }
    return body;
}

/* The target config whose label is ctx->target_label, among the current model's targets. */
static const struct config_target *used_target(const struct req_ctx *ctx, const char **upstream_model)
{
    const char *slash = strchr(ctx->target_label, '/');
    *upstream_model = slash ? slash + 1 : NULL;
    if (slash == NULL || ctx->model == NULL)
        return NULL;
    size_t plen = (size_t)(slash - ctx->target_label);
    for (size_t i = 0; i < ctx->model->n_targets; i++) {
        const struct config_target *t = &ctx->model->targets[i];
        if (t->provider != NULL && strlen(t->provider->name) == plen && memcmp(t->provider->name, ctx->target_label, plen) == 0 &&
            strcmp(t->model, slash + 1) == 0)
            return t;
    }
    return NULL;
}

/* The usage of the answer, kept in ctx: a stream's from the tap (its last usage object),
 * a non-streaming answer's parsed once. */
static int answer_usage(struct req_ctx *ctx)
{
    if (ctx->usage.has)
        return 1;
    struct usage u = ctx->usage.reasked; /* answers re-asked away count too (attempt.c) */
    int found = ctx->usage.reasked_upto > 0 && (u.tokens_in > 0 || u.tokens_out > 0);
    struct usage last;
    if (ctx->usage.tap.has_usage) {
        last = ctx->usage.tap.usage;
    } else if (ctx->up.is_sse || ctx->up.status < 200 || ctx->up.status >= 300 || ctx->up.body.len == 0 ||
               usage_from_answer(ctx->up.body.data, ctx->up.body.len, &last) != 0) {
        last.tokens_in = last.tokens_out = 0;
        if (!found)
            return 0;
    }
    ctx->usage.in = u.tokens_in + last.tokens_in;
    ctx->usage.out = u.tokens_out + last.tokens_out;
    ctx->usage.has = 1;
    return 1;
}

/* price_find walks the configured prices and the built-in table by prefix, a few thousand
 * instructions, on every answer (cost header, metrics, record). The config lives as long as
 * the process and a worker sees few (target, model) pairs: their prices are kept here, per
 * worker thread, in a small direct-mapped table. */
#define PRICE_MEMO 64

static __thread struct price_memo {
    const struct config *cfg;
    const struct config_target *t;
    const struct config_model *m;
    int found;
    struct price p;
} price_memo[PRICE_MEMO];

static int price_of(const struct req_ctx *ctx, const struct config_target *t, const char *upstream_model, struct price *p)
{
    const struct config *cfg = ctx->w->cfg;
    const struct config_model *m = ctx->requested_model;
    if (t == NULL || m == NULL)
        return price_find(cfg, t, upstream_model, ctx->requested_model_name, p);
    struct price_memo *e = &price_memo[((uintptr_t)t / sizeof(*t) ^ (uintptr_t)m / sizeof(*m)) % PRICE_MEMO];
    if (e->cfg != cfg || e->t != t || e->m != m) {
        e->found = price_find(cfg, t, upstream_model, ctx->requested_model_name, &e->p) == 0;
        e->cfg = cfg;
        e->t = t;
        e->m = m;
    }
    *p = e->p;
    return e->found ? 0 : -1;
}

/* Cost of the usage in ctx at the price of the target used; -1 when unknown. */
static double usage_cost(const struct req_ctx *ctx)
{
    const char *upstream_model;
    const struct config_target *t = used_target(ctx, &upstream_model);
    struct price p;
    if (price_of(ctx, t, upstream_model, &p) != 0)
        return -1;
    return price_cost_usd(&p, ctx->usage.in, ctx->usage.out);
}

size_t lifecycle_cost_header(struct req_ctx *ctx, char *out, size_t outsz)
{
    if (ctx->stream || ctx->out.status < 200 || ctx->out.status >= 300 || !answer_usage(ctx))
        return 0;
    double c = usage_cost(ctx);
    if (c < 0)
        return 0;
    int n = snprintf(out, outsz, "%.8f", c);
    return n > 0 && (size_t)n < outsz ? (size_t)n : 0;
}

int lifecycle_usage_cost(struct req_ctx *ctx, int64_t *in, int64_t *out, double *cost)
{
    if (ctx->out.status < 200 || ctx->out.status >= 300 || !answer_usage(ctx))
        return 0;
    *in = ctx->usage.in;
    *out = ctx->usage.out;
    *cost = usage_cost(ctx);
    return 1;
}

/* audit_record_set at a character boundary (record.h): a cut character would be stored as
 * U+FFFD and read back as text the client never sent. */
static void set_text(char *dst, size_t size, const char *src, size_t len)
{
    audit_record_set(dst, size, src, audit_text_whole_chars(src, len, size));
}

struct audit_async_watch {
    struct audit_async *aa;
    const struct config_guardrail *g;
};

struct audit_async {
    struct audit_worker *aw;
    size_t pending; /* verdicts still out, plus one until lifecycle_audit has filled rec */
    struct audit_record rec;
    char detail[AUDIT_GUARDRAILS_MAX]; /* the async_post entries */
    size_t detail_len;
    size_t n_watches, cap_watches;
    struct audit_async_watch watches[];
};

struct audit_async *audit_async_begin(struct audit_worker *aw, size_t n)
{
    struct audit_async *aa = util_calloc(1, sizeof(*aa) + n * sizeof(aa->watches[0]));
    aa->aw = aw;
    aa->pending = 1;
    aa->cap_watches = n;
    return aa;
}

void *audit_async_watch(struct audit_async *aa, const struct config_guardrail *g)
{
    if (aa == NULL || aa->n_watches == aa->cap_watches)
        return NULL;
    struct audit_async_watch *w = &aa->watches[aa->n_watches++];
    w->aa = aa;
    w->g = g;
    aa->pending++;
    return w;
}

static void async_release(struct audit_async *aa)
{
    if (--aa->pending > 0)
        return;
    struct audit_record *r = &aa->rec;
    audit_record_append_guardrails(r, aa->detail, aa->detail_len); /* whole, or not at all, as each entry */
    audit_submit(aa->aw, r); /* copied into the queue; its strings go with it */
    free(aa);
}

static void async_note(struct audit_async_watch *w, const char *word, const struct guard_verdict *v)
{
    struct audit_async *aa = w->aa;
    char entry[CHECKS_AUDIT_ENTRY_MAX];
    size_t n = checks_verdict_entry(entry, sizeof(entry), w->g, word, v, "async_post");
    size_t sep = aa->detail_len ? 2 : 0;
    if (n == 0 || aa->detail_len + sep + n >= sizeof(aa->detail))
        return;
    memcpy(aa->detail + aa->detail_len, ", ", sep);
    memcpy(aa->detail + aa->detail_len + sep, entry, n);
    aa->detail_len += sep + n;
}

void audit_async_unwatch(void *watch, const char *why)
{
    if (watch == NULL)
        return;
    struct audit_async_watch *w = watch;
    async_note(w, why, NULL);
    async_release(w->aa);
}

void audit_async_on_verdict(void *watch, struct guard_verdict *v)
{
    struct audit_async_watch *w = watch;
    async_note(w, v != NULL ? checks_verdict_word(v) : "cancelled", v);
    async_release(w->aa);
}

void lifecycle_audit(struct req_ctx *ctx)
{
    struct audit_worker *aw = ctx->w->audit;
    /* priced whenever the upstream's answers tell their usage, whatever the client got (a 422
     * after re-asks, a client gone after the last chunk): the provider billed them */
    double cost = -1;
    if (answer_usage(ctx)) {
        cost = usage_cost(ctx);
        if (ctx->requested_model != NULL)
            metrics_cost(ctx->w->metrics, (size_t)(ctx->requested_model - ctx->w->cfg->models), ctx->usage.in, ctx->usage.out,
                         cost);
    }
    if (aw == NULL)
        return;
    audit_release(aw); /* routes.c admitted it with audit_admit */
    struct audit_async *aa = ctx->checks.async_audit;
    ctx->checks.async_audit = NULL;
    /* filled in its queue slot (every field), or, waiting for async_post verdicts, in aa */
    struct audit_record *r = aa != NULL ? &aa->rec : audit_record_begin(aw);
    uint64_t now = util_now_ns();
    r->time_us = audit_now_us();
    audit_record_make_id(r);
    audit_record_set(r->request_id, sizeof(r->request_id), ctx->request_id, strlen(ctx->request_id)); /* ASCII */
    audit_record_set(r->parent_id, sizeof(r->parent_id), ctx->parent_request_id, strlen(ctx->parent_request_id));
    const char *kn = ctx->api_key != NULL ? ctx->api_key->name : NULL;
    set_text(r->key_name, sizeof(r->key_name), kn, kn ? strlen(kn) : 0);
    set_text(r->model, sizeof(r->model), ctx->requested_model_name, strlen(ctx->requested_model_name));
    set_text(r->target, sizeof(r->target), ctx->target_label, strlen(ctx->target_label));
    const char *code = ctx->err.status ? ctx->err.code : NULL;
    /* a client that left mid-answer (a stream after its 200 head) did not get it: 499, as
     * before the head, so a query by status tells completed answers from abandoned ones */
    if (ctx->client_gone && code == NULL)
        code = "client_closed_request";
    audit_record_set(r->error_code, sizeof(r->error_code), code, code ? strlen(code) : 0);
    /* the slot holds an older record's pointers, moved to the writer: overwritten, never freed */
    r->guardrails = audit_text_dup(ctx->checks.audit_detail.data, ctx->checks.audit_detail.len, AUDIT_GUARDRAILS_MAX);
    r->status = ctx->client_gone ? 499 : ctx->out.status;
    r->attempts = ctx->att.attempts;
    r->reasks = ctx->reasks;
    r->stream = ctx->stream;
    r->latency_us = (int64_t)(now - ctx->timing.t_start) / 1000;
    r->ttft_us = ctx->timing.t_first_byte ? (int64_t)(ctx->timing.t_first_byte - ctx->timing.t_start) / 1000 : 0;
    r->tokens_in = ctx->usage.has ? ctx->usage.in : -1;
    r->tokens_out = ctx->usage.has ? ctx->usage.out : -1;
    r->cost_usd = cost;
    r->request_body = r->response_body = NULL;
    const struct config_model *m = ctx->requested_model;
    if (m != NULL && m->audit_bodies >= 0 ? m->audit_bodies : audit_worker_config(aw)->bodies) {
        size_t cap = audit_worker_config(aw)->body_max_bytes;
        /* ctx->raw is the request after input redaction (rewrites are spliced into it) */
        if (request_body_checked(ctx))
            r->request_body = canary_masked(ctx, body_copy(ctx->raw, ctx->raw_len, cap));
        if (!ctx->up.is_sse && !refused_where_sensitive(ctx, CONFIG_STAGE_OUTPUT))
            r->response_body = canary_masked(ctx, answer_copy(ctx, cap));
    }
    if (aa != NULL) {
        async_release(aa);
        return;
    }
    audit_submit(aw, r);
}

/* A refused request's model, when it is cheap to read: h2o has the whole body already (the
 * routes run after it is received), and only its first REJECTED_BODY_SCAN bytes are walked,
 * top-level members only, without validating the rest (a refused client's body is never
 * parsed in full). A model after a larger member, or not a plain string, is left out. */
#define REJECTED_BODY_SCAN (64 * 1024)
#define REJECTED_MODEL_MAX 512

static void rejected_model(const h2o_req_t *req, struct audit_record *r)
{
    size_t len = req->entity.len < REJECTED_BODY_SCAN ? req->entity.len : REJECTED_BODY_SCAN, s, e;
    const char *body = req->entity.base;
    if (body == NULL || len == 0 || json_span_find_member(body, len, "model", &s, &e) != 0 || body[s] != '"')
        return;
    const char *msg = NULL;
    int escaped = 0;
    if (json_span_string_end(body + s, body + e, &escaped, &msg) != body + e || msg != NULL || e - s - 2 > REJECTED_MODEL_MAX)
        return;
    char name[REJECTED_MODEL_MAX];
    size_t n = json_span_unescape(body + s + 1, e - s - 2, name);
    if (memchr(name, '\0', n) == NULL)
        set_text(r->model, sizeof(r->model), name, n);
}

void api_audit_rejected(struct server_worker *w, h2o_req_t *req, int status, const char *code)
{
    if (w->audit == NULL)
        return;
    struct audit_record r;
    memset(&r, 0, sizeof(r));
    r.time_us = audit_now_us();
    audit_record_make_id(&r);
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-request-id"), -1);
    if (i >= 0)
        set_text(r.request_id, sizeof(r.request_id), req->headers.entries[i].value.base, req->headers.entries[i].value.len);
    audit_record_set(r.error_code, sizeof(r.error_code), code, strlen(code));
    rejected_model(req, &r);
    r.status = status;
    r.tokens_in = r.tokens_out = -1;
    r.cost_usd = -1;
    audit_submit(w->audit, &r);
}
