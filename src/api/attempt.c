/* One attempt (attempt.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/attempt.h"
#include "api/attempt_plan.h"
#include "api/audit_hook.h"
#include "api/checks.h"
#include "api/scrub.h"
#include "api/lifecycle_int.h"
#include "api/worker.h"
#include "metrics/metrics.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fmt.h"

enum attempt_slot attempt_slot_take(struct req_ctx *ctx, struct router_target *t)
{
    const struct config_model *m = ctx->model;
    if (router_try_acquire(t) != 0) {
        const struct config_target *tc = router_target_config(t);
        if (ctx->queued_on == NULL) {
            if (!attempt_plan_queue_admits(tc->queue_max, tc->queue_max > 0 ? router_target_waiting_add(t, 1) : 0)) {
                if (tc->queue_max > 0)
                    router_target_waiting_add(t, -1);
                metrics_count(ctx->w->metrics, METRICS_QUEUE_REJECTED, 1);
                api_error_set(&ctx->err, 429, "rate_limit_error", "target_busy", NULL,
                              "model %s: target %s is at max_concurrent (%d) and its queue is full", m->name,
                              router_target_label(t), tc->max_concurrent);
                ctx->retry_after_hint_s = 1;
                router_unpick(t);
                return ATTEMPT_SLOT_REFUSED;
            }
            ctx->queued_on = t;
            ctx->queued_since = util_now_ns();
        } else if (attempt_plan_queue_expired(util_now_ns(), ctx->queued_since, tc->queue_timeout_ms)) {
            attempt_queue_leave(ctx);
            metrics_count(ctx->w->metrics, METRICS_QUEUE_REJECTED, 1);
            api_error_set(&ctx->err, 429, "rate_limit_error", "queue_timeout", NULL,
                          "model %s: waited %d ms for a free slot on target %s", m->name, tc->queue_timeout_ms,
                          router_target_label(t));
            ctx->retry_after_hint_s = 1;
            router_unpick(t);
            return ATTEMPT_SLOT_REFUSED;
        }
        router_unpick(t);
        return ATTEMPT_SLOT_QUEUED;
    }
    if (ctx->queued_on != NULL) {
        ctx->waited_ns += util_now_ns() - ctx->queued_since;
        attempt_queue_leave(ctx);
    }
    return ATTEMPT_SLOT_TAKEN;
}

void attempt_queue_leave(struct req_ctx *ctx)
{
    if (ctx->queued_on != NULL) {
        router_target_waiting_add(ctx->queued_on, -1);
        ctx->queued_on = NULL;
    }
}

struct upstream_call *attempt_call_start(struct req_ctx *ctx, struct router_target *t,
                                         const struct upstream_call_callbacks *cb)
{
    const struct config_target *tc = router_target_config(t);
    ctx->target = t;
    ctx->target_retry = &tc->retry;
    ctx->tried_mask |= 1ull << (router_target_position(t) & 63);
    util_strlcpy(ctx->target_label, router_target_label(t), sizeof(ctx->target_label));
    router_attempt_begin(t);
    ctx->attempts++;
    ctx->attempts_on_model++;
    metrics_count(ctx->w->metrics, METRICS_UPSTREAM_ATTEMPTS, 1);
    if (ctx->attempts > 1)
        metrics_count(ctx->w->metrics, METRICS_UPSTREAM_RETRIES, 1);

    /* the request's bytes (rewrites already spliced into ctx->raw) with only the value of the
     * one "model" member replaced, and a canary's note when one applies. Duplicate keys were
     * refused, so the upstream reads the model, stream flag and texts that Warden routed and
     * checked (I7). */
    free(ctx->upstream_body);
    ctx->upstream_body = checks_upstream_body(ctx, tc->model, &ctx->upstream_body_len);
    if (ctx->upstream_body == NULL)
        return NULL;
    /* the target's fixed header lines (content type, key, provider headers) plus the request id */
    const char *const *fixed = router_target_headers(t);
    size_t nfixed = 0;
    while (fixed[nfixed] != NULL)
        nfixed++;
    const char *stack_headers[16];
    const char **headers = nfixed + 2 <= 16 ? stack_headers : util_malloc((nfixed + 2) * sizeof(char *));
    memcpy(headers, fixed, nfixed * sizeof(char *));
    char rid[sizeof("x-request-id: ") + sizeof(ctx->request_id)];
    memcpy(rid, "x-request-id: ", 14);
    util_strlcpy(rid + 14, ctx->request_id, sizeof(rid) - 14);
    headers[nfixed] = rid;
    headers[nfixed + 1] = NULL;
    struct upstream_call_opts o = {
        .url = router_target_url(t, ctx->kind == REQ_KIND_EMBEDDINGS),
        .method = "POST",
        .body = ctx->upstream_body,
        .body_len = ctx->upstream_body_len,
        .headers = headers,
        .connect_timeout_ms = tc->timeouts.connect_ms,
        .total_timeout_ms = tc->timeouts.total_ms,
        .ca_file = tc->provider->ca_file,
    };
    util_buf_reset(&ctx->up_body);
    util_buf_reset(&ctx->up_headers);
    ctx->up_status = 0;
    ctx->up_is_sse = 0;
    ctx->saw_done = 0;
    ctx->saw_upstream_error_event = 0;
    ctx->t_first_byte = 0;
    ctx->t_head = 0;
    sse_parser_free(&ctx->sse);
    sse_parser_init(&ctx->sse, LIFECYCLE_SSE_EVENT_MAX);
    ctx->t_attempt = ctx->call_started_at = util_now_ns();
    struct upstream_call *call = upstream_call_start(ctx->w->upstream, &o, cb, ctx); /* copies the headers */
    if (headers != stack_headers)
        free(headers);
    return call;
}

void attempt_record_head(struct req_ctx *ctx, int status, const struct upstream_header *hs, size_t n)
{
    ctx->up_status = status;
    ctx->t_head = util_now_ns();
    util_buf_reset(&ctx->up_headers);
    for (size_t i = 0; i < n; i++) {
        util_buf_append(&ctx->up_headers, hs[i].name, hs[i].name_len);
        util_buf_append(&ctx->up_headers, "", 1);
        util_buf_append(&ctx->up_headers, hs[i].value, hs[i].value_len);
        util_buf_append(&ctx->up_headers, "", 1);
    }
    checks_screen_headers(ctx);
    const char *ct = attempt_upstream_header(ctx, "content-type");
    ctx->up_is_sse = ct != NULL && strncasecmp(ct, "text/event-stream", 17) == 0;
}

const char *attempt_upstream_header(const struct req_ctx *ctx, const char *name)
{
    const char *p = ctx->up_headers.data, *end = p + ctx->up_headers.len;
    while (p != NULL && p < end) {
        size_t nl = strlen(p);
        const char *v = p + nl + 1;
        if (strcasecmp(p, name) == 0)
            return v;
        p = v + strlen(v) + 1;
    }
    return NULL;
}

void attempt_stop_call(struct req_ctx *ctx)
{
    if (ctx->call != NULL) {
        upstream_call_cancel(ctx->call);
        ctx->call = NULL;
    }
    if (ctx->call_started_at != 0) {
        ctx->upstream_ns += util_now_ns() - ctx->call_started_at;
        ctx->call_started_at = 0;
    }
    uv_timer_stop(&ctx->deadline);
}

void attempt_end_on_target(struct req_ctx *ctx, enum router_outcome o, uint64_t cooldown_ms)
{
    if (ctx->target == NULL)
        return;
    uint64_t ttft = ctx->t_first_byte && ctx->t_attempt ? (ctx->t_first_byte - ctx->t_attempt) / 1000 : 0;
    router_attempt_end(ctx->target, o, ttft, cooldown_ms);
    ctx->target = NULL;
}

int attempt_on_sse_event(void *ud, const char *data, size_t len)
{
    struct req_ctx *ctx = ud;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
        ctx->saw_done = 1;
    else if (len > 9 && memmem(data, len > 64 ? 64 : len, "\"error\"", 7) != NULL)
        ctx->saw_upstream_error_event = 1;
    lifecycle_audit_sse_event(ctx, data, len);
    return 0;
}

/* An upstream error is about to be relayed as the upstream sent it: no configured
 * secret (a provider key echoed in a 401, say) leaves with it (scrub.h). */
void attempt_scrub_relayed_error(struct req_ctx *ctx)
{
    if (ctx->up_status >= 200 && ctx->up_status < 300)
        return;
    checks_screen_error_body(ctx);
    api_scrub_buf(api_worker_get(ctx->w)->scrub, &ctx->up_body);
    api_scrub_buf(api_worker_get(ctx->w)->scrub, &ctx->up_headers);
}

int attempt_collect(struct req_ctx *ctx, const char *data, size_t len)
{
    int ok = ctx->up_status >= 200 && ctx->up_status < 300;
    ctx->up_body.limit = ok ? ctx->w->cfg->server.max_response_bytes : LIFECYCLE_ERROR_BODY_MAX;
    if (util_buf_append(&ctx->up_body, data, len) != 0) {
        api_error_set(&ctx->err, 502, "api_error", "upstream_response_too_large", NULL,
                      "upstream answer exceeds server.max_response_bytes (%zu)", ctx->w->cfg->server.max_response_bytes);
        return -1;
    }
    if (ctx->up_is_sse && ok)
        sse_parser_feed(&ctx->sse, data, len, attempt_on_sse_event, ctx);
    return 0;
}

void attempt_record_failure(struct req_ctx *ctx, int err, const char *why, int status)
{
    /* remember what the client gets if nothing else works: this attempt's failure replaces the
     * last one's. An HTTP failure is relayed as the upstream sent it and leaves no error of
     * Warden's, so that a later attempt's own error (a cut stream, a full queue) is the one told. */
    ctx->last_failure_is_http = status != 0;
    if (status != 0)
        api_error_clear(&ctx->err);
    else if (err == WARDEN_ETIMEDOUT)
        api_error_replace(&ctx->err, 504, "api_error", "upstream_timeout", NULL, "model %s: %s", ctx->model->name,
                          why ? why : "upstream timed out");
    else if (err == WARDEN_EOVERLOAD)
        api_error_replace(&ctx->err, 503, "api_error", "upstream_unavailable", NULL, "%s", why);
    else
        api_error_replace(&ctx->err, 502, "api_error", "upstream_unavailable", NULL, "model %s: upstream failed: %s",
                          ctx->model->name, why ? why : "error");
}
