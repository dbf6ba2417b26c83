/* Fills the audit record of a finished request; see audit_hook.h. */
#include "api/audit_hook.h"

#include <stdlib.h>
#include <string.h>

#include "api/lifecycle_int.h"
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

void lifecycle_audit_sse_event(struct req_ctx *ctx, const char *data, size_t len)
{
    struct usage u;
    if (len > 20 && memmem(data, len, "\"usage\":{", 9) != NULL && usage_from_chunk(data, len, &u) == 0) {
        ctx->usage_in = u.tokens_in;
        ctx->usage_out = u.tokens_out;
        ctx->has_usage = 1;
    }
}

static char *body_copy(const char *s, size_t len, size_t cap)
{
    if (s == NULL || len == 0)
        return NULL;
    return util_strndup(s, len < cap ? len : cap);
}

/* The answer as stored: reversible redaction restored the originals into ctx->up_body
 * for the client; the record gets the placeholders back (never the originals). */
static char *answer_copy(const struct req_ctx *ctx, size_t cap)
{
    char *hidden = NULL;
    size_t hidden_len = 0;
    for (size_t i = 0; i < ctx->checks.n_placeholders; i++) {
        size_t nl;
        char *next = guard_placeholders_hide(ctx->checks.placeholders[i], hidden ? hidden : ctx->up_body.data,
                                             hidden ? hidden_len : ctx->up_body.len, &nl);
        if (next != NULL) {
            free(hidden);
            hidden = next;
            hidden_len = nl;
        }
    }
    if (hidden == NULL)
        return body_copy(ctx->up_body.data, ctx->up_body.len, cap);
    char *r = body_copy(hidden, hidden_len, cap);
    free(hidden);
    return r;
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
    size_t dl = api_texts_json_unescape_once(body, len, decoded);
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

/* The usage of a non-streaming answer, parsed once and kept in ctx. */
static int answer_usage(struct req_ctx *ctx)
{
    if (ctx->has_usage)
        return 1;
    struct usage u;
    if (ctx->up_is_sse || ctx->up_status < 200 || ctx->up_status >= 300 || ctx->up_body.len == 0 ||
        usage_from_answer(ctx->up_body.data, ctx->up_body.len, &u) != 0)
        return 0;
    ctx->usage_in = u.tokens_in;
    ctx->usage_out = u.tokens_out;
    ctx->has_usage = 1;
    return 1;
}

/* Cost of the usage in ctx at the price of the target used; -1 when unknown. */
static double usage_cost(const struct req_ctx *ctx)
{
    const char *upstream_model;
    const struct config_target *t = used_target(ctx, &upstream_model);
    struct price p;
    if (price_find(ctx->w->cfg, t, upstream_model, ctx->requested_model_name, &p) != 0)
        return -1;
    return price_cost_usd(&p, ctx->usage_in, ctx->usage_out);
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

void lifecycle_audit(struct req_ctx *ctx)
{
    struct audit_worker *aw = ctx->w->audit;
    int ok = ctx->out.status >= 200 && ctx->out.status < 300 && !ctx->client_gone;
    double cost = -1;
    if (ok && (ctx->has_usage || answer_usage(ctx))) {
        cost = usage_cost(ctx);
        if (ctx->requested_model != NULL)
            metrics_cost(ctx->w->metrics, (size_t)(ctx->requested_model - ctx->w->cfg->models), ctx->usage_in, ctx->usage_out,
                         cost);
    }
    if (aw == NULL)
        return;
    audit_release(aw); /* routes.c admitted it with audit_admit */
    struct audit_record r;
    uint64_t now = util_now_ns();
    r.time_us = audit_now_us();
    audit_record_make_id(&r);
    audit_record_set(r.request_id, sizeof(r.request_id), ctx->request_id, strlen(ctx->request_id));
    audit_record_set(r.parent_id, sizeof(r.parent_id), ctx->parent_request_id, strlen(ctx->parent_request_id));
    const char *kn = ctx->api_key != NULL ? ctx->api_key->name : NULL;
    audit_record_set(r.key_name, sizeof(r.key_name), kn, kn ? strlen(kn) : 0);
    audit_record_set(r.model, sizeof(r.model), ctx->requested_model_name, strlen(ctx->requested_model_name));
    audit_record_set(r.target, sizeof(r.target), ctx->target_label, strlen(ctx->target_label));
    const char *code = ctx->err.status ? ctx->err.code : NULL;
    /* a client that left mid-answer (a stream after its 200 head) did not get it: 499, as
     * before the head, so a query by status tells completed answers from abandoned ones */
    if (ctx->client_gone && code == NULL)
        code = "client_closed_request";
    audit_record_set(r.error_code, sizeof(r.error_code), code, code ? strlen(code) : 0);
    audit_record_set(r.guardrails, sizeof(r.guardrails), ctx->checks.log.data, ctx->checks.log.len);
    r.status = ctx->client_gone ? 499 : ctx->out.status;
    r.attempts = ctx->attempts;
    r.reasks = ctx->reasks;
    r.stream = ctx->stream;
    r.latency_us = (int64_t)(now - ctx->t_start) / 1000;
    r.ttft_us = ctx->t_first_byte ? (int64_t)(ctx->t_first_byte - ctx->t_start) / 1000 : 0;
    r.tokens_in = ctx->has_usage ? ctx->usage_in : -1;
    r.tokens_out = ctx->has_usage ? ctx->usage_out : -1;
    r.cost_usd = cost;
    r.request_body = r.response_body = NULL;
    const struct config_model *m = ctx->requested_model;
    if (m != NULL && m->audit_bodies >= 0 ? m->audit_bodies : audit_worker_config(aw)->bodies) {
        size_t cap = audit_worker_config(aw)->body_max_bytes;
        /* ctx->raw is the request after input redaction (rewrites are spliced into it) */
        r.request_body = canary_masked(ctx, body_copy(ctx->raw, ctx->raw_len, cap));
        if (!ctx->up_is_sse)
            r.response_body = canary_masked(ctx, answer_copy(ctx, cap));
    }
    audit_submit(aw, &r);
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
        audit_record_set(r.request_id, sizeof(r.request_id), req->headers.entries[i].value.base, req->headers.entries[i].value.len);
    audit_record_set(r.error_code, sizeof(r.error_code), code, strlen(code));
    r.status = status;
    r.tokens_in = r.tokens_out = -1;
    r.cost_usd = -1;
    audit_submit(w->audit, &r);
}
