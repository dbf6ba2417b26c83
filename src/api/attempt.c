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
#include "api/usage.h"
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
        if (ctx->att.queued_on == NULL) {
            if (!attempt_plan_queue_admits(tc->queue_max, tc->queue_max > 0 ? router_target_waiting_add(t, 1) : 0)) {
                if (tc->queue_max > 0)
                    router_target_waiting_add(t, -1);
                metrics_count(ctx->w->metrics, METRICS_QUEUE_REJECTED, 1);
                api_error_set(&ctx->err, 429, "rate_limit_error", "target_busy", NULL,
                              "model %s: target %s is at max_concurrent (%d) and its queue is full", m->name,
                              router_target_label(t), tc->max_concurrent);
                ctx->att.retry_after_hint_s = 1;
                router_unpick(t);
                return ATTEMPT_SLOT_REFUSED;
            }
            ctx->att.queued_on = t;
            ctx->timing.queued_since = util_now_ns();
        } else if (attempt_plan_queue_expired(util_now_ns(), ctx->timing.queued_since, tc->queue_timeout_ms)) {
            attempt_queue_leave(ctx);
            metrics_count(ctx->w->metrics, METRICS_QUEUE_REJECTED, 1);
            api_error_set(&ctx->err, 429, "rate_limit_error", "queue_timeout", NULL,
                          "model %s: waited %d ms for a free slot on target %s", m->name, tc->queue_timeout_ms,
                          router_target_label(t));
            ctx->att.retry_after_hint_s = 1;
            router_unpick(t);
            return ATTEMPT_SLOT_REFUSED;
        }
        router_unpick(t);
        return ATTEMPT_SLOT_QUEUED;
    }
    if (ctx->att.queued_on != NULL) {
        ctx->timing.waited_ns += util_now_ns() - ctx->timing.queued_since;
        attempt_queue_leave(ctx);
    }
    return ATTEMPT_SLOT_TAKEN;
}

void attempt_queue_leave(struct req_ctx *ctx)
{
    if (ctx->att.queued_on != NULL) {
        router_target_waiting_add(ctx->att.queued_on, -1);
        ctx->att.queued_on = NULL;
    }
}

static void on_usage_skip(void *ud, const char *data, size_t len)
{
}

/* A re-ask (structured output) replaces an answer the provider billed: its usage is kept
 * (ctx->usage.reasked) before the next attempt reuses up.body, so that the record and the
 * cost count every answer, not just the last one. Priced at the final target's price. */
static void usage_keep_reasked(struct req_ctx *ctx)
{
    if (ctx->reasks <= ctx->usage.reasked_upto)
        return;
    ctx->usage.reasked_upto = ctx->reasks;
    struct usage u;
    int found = 0;
    if (ctx->up.status < 200 || ctx->up.status >= 300 || ctx->up.body.len == 0)
        return;
    if (ctx->up.is_sse) {
        struct usage_tap t = {0};
        usage_tap_reset(&t, USAGE_TAP_OBSERVE);
        usage_tap_feed(&t, ctx->up.body.data, ctx->up.body.len, on_usage_skip, NULL);
        found = t.has_usage;
        u = t.usage;
        usage_tap_free(&t);
    } else {
        found = usage_from_answer(ctx->up.body.data, ctx->up.body.len, &u) == 0;
    }
    if (found) {
        ctx->usage.reasked.tokens_in += u.tokens_in;
        ctx->usage.reasked.tokens_out += u.tokens_out;
    }
}

struct upstream_call *attempt_call_start(struct req_ctx *ctx, struct router_target *t,
                                         const struct upstream_call_callbacks *cb)
{
    usage_keep_reasked(ctx);
    const struct config_target *tc = router_target_config(t);
    ctx->att.target = t;
    ctx->att.target_retry = &tc->retry;
    ctx->att.tried_mask |= 1ull << (router_target_position(t) & 63);
    util_strlcpy(ctx->target_label, router_target_label(t), sizeof(ctx->target_label));
    router_attempt_begin(t);
    ctx->att.attempts++;
    ctx->att.attempts_on_model++;
    metrics_count(ctx->w->metrics, METRICS_UPSTREAM_ATTEMPTS, 1);
    if (ctx->att.attempts > 1)
        metrics_count(ctx->w->metrics, METRICS_UPSTREAM_RETRIES, 1);

    /* the request's bytes (rewrites already spliced into ctx->raw) with only the value of the
     * one "model" member replaced, and a canary's note when one applies. Duplicate keys were
     * refused, so the upstream reads the model, stream flag and texts that Warden routed and
     * checked (I7). */
    free(ctx->up.request_body);
    ctx->up.request_body = checks_upstream_body(ctx, tc->model, &ctx->up.request_body_len);
    if (ctx->up.request_body == NULL)
        return NULL;
    /* a client streaming without include_usage: Warden asks for the usage chunk (and strips
     * it again on the way back), unless this target refused stream_options lately */
    int strip = ctx->usage.asked && !usage_target_refuses(ctx->target_label, util_now_ms());
    if (strip) {
        size_t n;
        char *with = usage_request_add_include(ctx->up.request_body, ctx->up.request_body_len, &n);
        if (with != NULL) {
            free(ctx->up.request_body);
            ctx->up.request_body = with;
            ctx->up.request_body_len = n;
        } else {
            strip = 0;
        }
    }
    usage_tap_reset(&ctx->usage.tap, strip ? USAGE_TAP_STRIP : USAGE_TAP_OBSERVE);
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
        .body = ctx->up.request_body,
        .body_len = ctx->up.request_body_len,
        .headers = headers,
        .connect_timeout_ms = tc->timeouts.connect_ms,
        .total_timeout_ms = tc->timeouts.total_ms,
        .ca_file = tc->provider->ca_file,
    };
    util_buf_reset(&ctx->up.body);
    util_buf_reset(&ctx->up.headers);
    ctx->up.status = 0;
    ctx->up.is_sse = 0;
    ctx->up.saw_done = 0;
    ctx->up.saw_error_event = 0;
    ctx->timing.t_first_byte = 0;
    ctx->timing.t_head = 0;
    sse_parser_free(&ctx->up.sse);
    sse_parser_init(&ctx->up.sse, LIFECYCLE_SSE_EVENT_MAX);
    ctx->timing.t_attempt = ctx->timing.call_started_at = util_now_ns();
    struct upstream_call *call = upstream_call_start(ctx->w->upstream, &o, cb, ctx); /* copies the headers */
    if (headers != stack_headers)
        free(headers);
    return call;
}

void attempt_record_head(struct req_ctx *ctx, int status, const struct upstream_header *hs, size_t n)
{
    ctx->up.status = status;
    ctx->timing.t_head = util_now_ns();
    util_buf_reset(&ctx->up.headers);
    for (size_t i = 0; i < n; i++) {
        util_buf_append(&ctx->up.headers, hs[i].name, hs[i].name_len);
        util_buf_append(&ctx->up.headers, "", 1);
        util_buf_append(&ctx->up.headers, hs[i].value, hs[i].value_len);
        util_buf_append(&ctx->up.headers, "", 1);
    }
    checks_screen_headers(ctx);
    const char *ct = attempt_upstream_header(ctx, "content-type");
    ctx->up.is_sse = ct != NULL && strncasecmp(ct, "text/event-stream", 17) == 0;
}

const char *attempt_upstream_header(const struct req_ctx *ctx, const char *name)
{
    const char *p = ctx->up.headers.data, *end = p + ctx->up.headers.len;
    while (p != NULL && p < end) {
        size_t nl = strlen(p);
        const char *v = p + nl + 1;
        if (strcasecmp(p, name) == 0)
            return v;
        p = v + strlen(v) + 1;
    }
    return NULL;
}

void attempt_record_first_byte(struct req_ctx *ctx)
{
    if (ctx->timing.t_first_byte != 0)
        return;
    ctx->timing.t_first_byte = util_now_ns();
    metrics_ttft(ctx->w->metrics, (ctx->timing.t_first_byte - ctx->timing.t_start) / 1000);
}

void attempt_stream_failed(struct req_ctx *ctx, int err, const char *message)
{
    attempt_end_on_target(ctx, ROUTER_FAILED, 0);
    if (err != 0)
        api_error_set(&ctx->err, 502, "api_error", err == WARDEN_ETIMEDOUT ? "upstream_timeout" : "upstream_stream_cut", NULL,
                      "upstream stream failed: %s", message ? message : warden_strerror(err));
    else if (ctx->up.saw_error_event)
        api_error_set(&ctx->err, 502, "api_error", "upstream_error", NULL, "upstream ended the stream with an error event");
    else
        api_error_set(&ctx->err, 502, "api_error", "upstream_stream_cut", NULL,
                      "upstream stream ended without [DONE]: the answer is incomplete");
}

void attempt_stop_call(struct req_ctx *ctx)
{
    if (ctx->att.call != NULL) {
        upstream_call_cancel(ctx->att.call);
        ctx->att.call = NULL;
    }
    if (ctx->timing.call_started_at != 0) {
        ctx->timing.upstream_ns += util_now_ns() - ctx->timing.call_started_at;
        ctx->timing.call_started_at = 0;
    }
    uv_timer_stop(&ctx->deadline);
}

void attempt_end_on_target(struct req_ctx *ctx, enum router_outcome o, uint64_t cooldown_ms)
{
    if (ctx->att.target == NULL)
        return;
    uint64_t ttft = ctx->timing.t_first_byte && ctx->timing.t_attempt ? (ctx->timing.t_first_byte - ctx->timing.t_attempt) / 1000 : 0;
    router_attempt_end(ctx->att.target, o, ttft, cooldown_ms);
    ctx->att.target = NULL;
}

int attempt_usage_refused(struct req_ctx *ctx)
{
    if (ctx->usage.tap.mode != USAGE_TAP_STRIP || !usage_error_names_stream_options(ctx->up.status, ctx->up.body.data, ctx->up.body.len))
        return 0;
    usage_target_refused(ctx->target_label, util_now_ms());
    return 1;
}

/* "error" (quotes included) within the first n bytes. Every event of every unfiltered stream
 * is tested: memchr for the e (a handful in a chunk's first 64 bytes) costs about a third
 * of memmem for the whole key on so short a text. */
static int names_error(const char *p, size_t n)
{
    const char *e = p + n;
    for (const char *q = p + 1; q + 6 <= e && (q = memchr(q, 'e', (size_t)(e - q))) != NULL; q++)
        if (q + 6 <= e && q[-1] == '"' && memcmp(q, "error\"", 6) == 0)
            return 1;
    return 0;
}

int attempt_on_sse_event(void *ud, const char *data, size_t len)
{
    struct req_ctx *ctx = ud;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
        ctx->up.saw_done = 1;
    else if (len > 9 && names_error(data, len > 64 ? 64 : len))
        ctx->up.saw_error_event = 1;
    return 0;
}

/* An upstream error is about to be relayed as the upstream sent it: no configured
 * secret (a provider key echoed in a 401, say) leaves with it (scrub.h). */
void attempt_scrub_relayed_error(struct req_ctx *ctx)
{
    if (ctx->up.status >= 200 && ctx->up.status < 300)
        return;
    checks_screen_error_body(ctx);
    api_scrub_buf(api_worker_get(ctx->w)->scrub, &ctx->up.body);
    api_scrub_buf(api_worker_get(ctx->w)->scrub, &ctx->up.headers);
}

int attempt_collect(struct req_ctx *ctx, const char *data, size_t len)
{
    int ok = ctx->up.status >= 200 && ctx->up.status < 300;
    ctx->up.body.limit = ok ? ctx->w->cfg->server.max_response_bytes : LIFECYCLE_ERROR_BODY_MAX;
    if (util_buf_append(&ctx->up.body, data, len) != 0) {
        api_error_set(&ctx->err, 502, "api_error", "upstream_response_too_large", NULL,
                      "upstream answer exceeds server.max_response_bytes (%zu)", ctx->w->cfg->server.max_response_bytes);
        return -1;
    }
    if (ctx->up.is_sse && ok)
        sse_parser_feed(&ctx->up.sse, data, len, attempt_on_sse_event, ctx);
    return 0;
}

void attempt_record_failure(struct req_ctx *ctx, int err, const char *why, int status)
{
    /* remember what the client gets if nothing else works: this attempt's failure replaces the
     * last one's. An HTTP failure is relayed as the upstream sent it and leaves no error of
     * Warden's, so that a later attempt's own error (a cut stream, a full queue) is the one told. */
    ctx->att.last_failure_is_http = status != 0;
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
