/* Fills the audit record of a finished request; see audit_hook.h. */
#include "api/audit_hook.h"

#include <string.h>

#include "api/lifecycle_int.h"
#include "audit/audit.h"
#include "audit/record.h"
#include "audit/usage.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/clock.h"

void lifecycle_audit_sse_event(struct req_ctx *ctx, const char *data, size_t len)
{
    struct usage u;
    if (ctx->w->audit != NULL && len > 20 && memmem(data, len, "\"usage\":{", 9) != NULL && usage_from_chunk(data, len, &u) == 0) {
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

void lifecycle_audit(struct req_ctx *ctx)
{
    struct audit_worker *aw = ctx->w->audit;
    if (aw == NULL)
        return;
    const struct config *cfg = ctx->w->cfg;
    struct audit_record r;
    uint64_t now = util_now_ns();
    r.time_us = audit_now_us();
    audit_record_make_id(&r);
    audit_record_set(r.request_id, sizeof(r.request_id), ctx->request_id, strlen(ctx->request_id));
    const char *kn = ctx->api_key != NULL ? ctx->api_key->name : NULL;
    audit_record_set(r.key_name, sizeof(r.key_name), kn, kn ? strlen(kn) : 0);
    audit_record_set(r.model, sizeof(r.model), ctx->requested_model_name, strlen(ctx->requested_model_name));
    audit_record_set(r.target, sizeof(r.target), ctx->target_label, strlen(ctx->target_label));
    const char *code = ctx->err.status ? ctx->err.code : NULL;
    audit_record_set(r.error_code, sizeof(r.error_code), code, code ? strlen(code) : 0);
    audit_record_set(r.guardrails, sizeof(r.guardrails), ctx->guard_log.data, ctx->guard_log.len);
    r.status = ctx->client_gone && !ctx->final_status ? 499 : ctx->final_status;
    r.attempts = ctx->attempts;
    r.reasks = ctx->reasks;
    r.stream = ctx->stream;
    r.latency_us = (int64_t)(now - ctx->t_start) / 1000;
    r.ttft_us = ctx->t_first_byte ? (int64_t)(ctx->t_first_byte - ctx->t_start) / 1000 : 0;
    r.tokens_in = r.tokens_out = -1;
    r.cost_usd = -1;
    struct usage u;
    int ok = r.status >= 200 && r.status < 300;
    if (ctx->has_usage) {
        r.tokens_in = ctx->usage_in;
        r.tokens_out = ctx->usage_out;
    } else if (ok && !ctx->up_is_sse && ctx->up_body.len > 0 && usage_from_answer(ctx->up_body.data, ctx->up_body.len, &u) == 0) {
        r.tokens_in = u.tokens_in;
        r.tokens_out = u.tokens_out;
    }
    if (r.tokens_in >= 0) {
        const char *upstream_model;
        const struct config_target *t = used_target(ctx, &upstream_model);
        struct price p;
        if (price_find(cfg, t, upstream_model, ctx->requested_model_name, &p) == 0)
            r.cost_usd = price_cost_usd(&p, r.tokens_in, r.tokens_out);
    }
    r.request_body = r.response_body = NULL;
    if (audit_worker_config(aw)->bodies) {
        size_t cap = audit_worker_config(aw)->body_max_bytes;
        /* what was sent upstream (after redaction), else the client's bytes */
        if (ctx->raw_dirty && ctx->upstream_body != NULL)
            r.request_body = body_copy(ctx->upstream_body, ctx->upstream_body_len, cap);
        else
            r.request_body = body_copy(ctx->raw, ctx->raw_len, cap);
        if (!ctx->up_is_sse)
            r.response_body = body_copy(ctx->up_body.data, ctx->up_body.len, cap);
    }
    audit_submit(aw, &r);
}
