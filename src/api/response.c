/* The response writer (response.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/audit_hook.h"
#include "api/lifecycle_int.h"
#include "api/response.h"
#include "metrics/metrics.h"
#include "server/server.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fmt.h"
#include "util/log.h"

void response_writer_init(struct response_writer *o)
{
    util_buf_init(&o->sending, SIZE_MAX);
    util_buf_init(&o->pending, SIZE_MAX);
}

void response_writer_free(struct response_writer *o)
{
    util_buf_free(&o->sending);
    util_buf_free(&o->pending);
}

static void on_generator_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    struct req_ctx *ctx = (struct req_ctx *)((char *)g - offsetof(struct req_ctx, out.generator));
    ctx->out.in_flight = 0;
    util_buf_reset(&ctx->out.sending);
    response_flush(ctx);
    lifecycle_response_drained(ctx);
}

static void on_generator_stop(h2o_generator_t *g, h2o_req_t *req)
{
    struct req_ctx *ctx = (struct req_ctx *)((char *)g - offsetof(struct req_ctx, out.generator));
    ctx->out.stopped = 1;
    lifecycle_response_stopped(ctx);
}

/* The internal sink (internal.h): a streamed answer's bytes as they come when the caller
 * asked for them, else everything at the end. */
static void internal_flush(struct req_ctx *ctx)
{
    struct response_writer *o = &ctx->out;
    if (o->done)
        return;
    if (o->streaming && api_internal_streams(ctx->internal) && o->pending.len > 0) {
        o->bytes += o->pending.len;
        api_internal_chunk(ctx->internal, o->pending.data, o->pending.len);
        util_buf_reset(&o->pending);
    }
    if (!o->final)
        return;
    o->done = 1;
    lifecycle_response_final(ctx);
    o->bytes += o->pending.len;
    api_internal_end(ctx->internal, o->status, o->pending.data ? o->pending.data : "", o->pending.len);
    util_buf_reset(&o->pending);
}

void response_flush(struct req_ctx *ctx)
{
    if (ctx->internal != NULL) {
        internal_flush(ctx);
        return;
    }
    if (ctx->req == NULL || ctx->out.in_flight || ctx->out.stopped || ctx->out.done)
        return;
    if (ctx->out.pending.len == 0 && !ctx->out.final)
        return;
    struct util_buf tmp = ctx->out.sending;
    ctx->out.sending = ctx->out.pending;
    ctx->out.pending = tmp;
    util_buf_reset(&ctx->out.pending);
    h2o_iovec_t buf = h2o_iovec_init(ctx->out.sending.data ? ctx->out.sending.data : "", ctx->out.sending.len);
    h2o_send_state_t st = H2O_SEND_STATE_IN_PROGRESS;
    if (ctx->out.final) {
        st = ctx->out.final_error ? H2O_SEND_STATE_ERROR : H2O_SEND_STATE_FINAL;
        ctx->out.done = 1;
        lifecycle_response_final(ctx); /* before h2o_send: h2o may dispose the request inside it */
    }
    ctx->out.in_flight = 1;
    ctx->out.bytes += buf.len;
    h2o_send(ctx->req, &buf, buf.len ? 1 : 0, st);
}

void response_append(struct req_ctx *ctx, const char *data, size_t len)
{
    /* the pending buffer has no practical cap: back-pressure pauses the producer first */
    if (util_buf_append(&ctx->out.pending, data, len) != 0)
        LOG_ERROR("lifecycle", "%s: output buffer overflow", ctx->request_id);
}

static void add_header(struct req_ctx *ctx, const char *name, size_t nlen, const char *value, size_t vlen)
{
    h2o_req_t *req = ctx->req;
    char *n = h2o_mem_alloc_pool(&req->pool, nlen + 1);
    for (size_t i = 0; i < nlen; i++)
        n[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
    n[nlen] = '\0';
    h2o_iovec_t v = h2o_strdup(&req->pool, value, vlen);
    h2o_add_header_by_str(&req->pool, &req->res.headers, n, nlen, 1, NULL, v.base, v.len);
}

/* Warden's own headers: the name is a lower-case literal, so it is not copied */
static void add_own_header(struct req_ctx *ctx, const char *name, size_t nlen, const char *value, size_t vlen)
{
    h2o_req_t *req = ctx->req;
    h2o_iovec_t v = h2o_strdup(&req->pool, value, vlen);
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, nlen, 1, NULL, v.base, v.len);
}

/* Upstream headers that describe the upstream connection or framing, not the answer.
 * Content-Encoding describes the answer: it is relayed with the body it labels, and dropped
 * only when Warden decoded that body itself (response_start, ctx->answer.decoded). */
static int is_hop_header(const char *n, size_t len)
{
    static const struct {
        const char *name;
        size_t len;
    } hop[] = {{H2O_STRLIT("connection")},        {H2O_STRLIT("keep-alive")}, {H2O_STRLIT("transfer-encoding")},
               {H2O_STRLIT("content-length")},    {H2O_STRLIT("te")},         {H2O_STRLIT("trailer")},
               {H2O_STRLIT("upgrade")},           {H2O_STRLIT("proxy-connection")},
               {H2O_STRLIT("proxy-authenticate")}, {H2O_STRLIT("date")},      {H2O_STRLIT("server")}};
    for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
        if (hop[i].len == len && strncasecmp(n, hop[i].name, len) == 0)
            return 1;
    return 0;
}

/* Starts the response toward the client: status, upstream headers (if any), Warden's own. */
void response_start(struct req_ctx *ctx, int status, const char *content_type, int with_upstream_headers,
                    size_t content_length)
{
    ctx->out.status = status;
    ctx->out.started = 1;
    ctx->out.streaming = content_length == SIZE_MAX;
    if (ctx->internal != NULL)
        return; /* no head: the status goes with on_done */
    h2o_req_t *req = ctx->req;
    req->res.content_length = content_length; /* h2o picks chunked framing at start: set it first */
    req->res.status = status;
    req->res.reason = status < 400 ? "OK" : "Error";
    if (with_upstream_headers) {
        const char *p = ctx->up.headers.data, *end = p + ctx->up.headers.len;
        while (p != NULL && p < end) {
            size_t nl = strlen(p);
            const char *v = p + nl + 1;
            size_t vl = strlen(v);
            if (!is_hop_header(p, nl) && !(ctx->answer.decoded && nl == 16 && strncasecmp(p, "content-encoding", 16) == 0))
                add_header(ctx, p, nl, v, vl);
            p = v + vl + 1;
        }
    } else if (content_type != NULL) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    }
    add_own_header(ctx, H2O_STRLIT("x-request-id"), ctx->request_id, strlen(ctx->request_id));
    char num[UTIL_FMT_U64_MAX];
    size_t n;
    n = util_fmt_u64(num, (uint64_t)ctx->att.attempts);
    add_own_header(ctx, H2O_STRLIT("x-warden-attempts"), num, n);
    if (ctx->target_label[0])
        add_own_header(ctx, H2O_STRLIT("x-warden-target"), ctx->target_label, strlen(ctx->target_label));
    if (ctx->checks.log.len)
        add_own_header(ctx, H2O_STRLIT("x-warden-guardrails"), ctx->checks.log.data, ctx->checks.log.len);
    if (structured_active(&ctx->so)) {
        n = util_fmt_u64(num, (uint64_t)ctx->reasks);
        add_own_header(ctx, H2O_STRLIT("x-warden-reasks"), num, n);
    }
    uint64_t now = util_now_ns();
    uint64_t elapsed = now - ctx->timing.t_start;
    uint64_t waited = ctx->timing.upstream_ns + (ctx->timing.call_started_at ? now - ctx->timing.call_started_at : 0);
    if (ctx->timing.call_started_at && ctx->timing.t_head)
        waited = ctx->timing.upstream_ns + (ctx->timing.t_head - ctx->timing.call_started_at);
    waited += ctx->timing.waited_ns;
    uint64_t overhead = elapsed > waited ? elapsed - waited : 0;
    n = util_fmt_u64(num, overhead / 1000);
    add_own_header(ctx, H2O_STRLIT("x-warden-overhead-us"), num, n);
    char cost[32];
    if ((n = lifecycle_cost_header(ctx, cost, sizeof(cost))) > 0)
        add_own_header(ctx, H2O_STRLIT("x-warden-cost-usd"), cost, n);
    if (ctx->att.retry_after_hint_s > 0 && (status == 429 || status == 503) && !with_upstream_headers) {
        n = util_fmt_u64(num, (uint64_t)ctx->att.retry_after_hint_s);
        add_own_header(ctx, H2O_STRLIT("retry-after"), num, n);
    }
    ctx->out.generator.proceed = on_generator_proceed;
    ctx->out.generator.stop = on_generator_stop;
    h2o_start_response(req, &ctx->out.generator);
}

void response_end(struct req_ctx *ctx, int error)
{
    ctx->out.final = 1;
    if (error)
        ctx->out.final_error = 1;
    response_flush(ctx);
}

/* Did the client get a failure? An error status, a stream that ended without the
 * upstream's [DONE] (cut, or ended by Warden with an SSE error event), or a guardrail
 * that ended it after [DONE] (a check at the end of the stream). Errors of retried or
 * fallen-back attempts are in ctx->err too, so ctx->err alone does not say. */
int response_request_failed(const struct req_ctx *ctx)
{
    if (ctx->out.status < 200 || ctx->out.status >= 400)
        return 1;
    if (ctx->stream && ctx->up.is_sse && ctx->out.started && !ctx->up.saw_done)
        return 1;
    return ctx->err.code != NULL && strncmp(ctx->err.code, "guardrail_", 10) == 0;
}

/* One JSON line per request, built by hand: this runs for every request. */
void response_access_log(struct req_ctx *ctx)
{
    const struct config *cfg = ctx->w->cfg;
    if (cfg->server.access_log != NULL && strcmp(cfg->server.access_log, "off") == 0)
        return;
    uint64_t now = util_now_ns();
    struct util_buf b;
    util_buf_init(&b, 64 * 1024);
    util_buf_appendf(&b, "{\"id\":");
    util_buf_append_json_string(&b, ctx->request_id, strlen(ctx->request_id));
    if (ctx->parent_request_id[0]) {
        util_buf_append(&b, ",\"parent_request_id\":", 21);
        util_buf_append_json_string(&b, ctx->parent_request_id, strlen(ctx->parent_request_id));
    }
    util_buf_appendf(&b, ",\"route\":\"%s\",\"status\":%d,\"total_ms\":%.3f,\"upstream_ms\":%.3f,\"bytes\":%llu,"
                         "\"attempts\":%d,\"stream\":%s",
                     ctx->kind == REQ_KIND_EMBEDDINGS ? "embeddings" : "chat_completions",
                     ctx->client_gone && !ctx->out.status ? 499 : ctx->out.status, (double)(now - ctx->timing.t_start) / 1e6,
                     (double)ctx->timing.upstream_ns / 1e6, (unsigned long long)ctx->out.bytes, ctx->att.attempts,
                     ctx->stream ? "true" : "false");
    if (ctx->requested_model_name[0]) {
        util_buf_append(&b, ",\"model\":", 9);
        util_buf_append_json_string(&b, ctx->requested_model_name, strlen(ctx->requested_model_name));
    }
    if (ctx->target_label[0]) {
        util_buf_append(&b, ",\"target\":", 10);
        util_buf_append_json_string(&b, ctx->target_label, strlen(ctx->target_label));
    }
    if (ctx->timing.t_first_byte)
        util_buf_appendf(&b, ",\"ttft_ms\":%.3f", (double)(ctx->timing.t_first_byte - ctx->timing.t_start) / 1e6);
    if (ctx->reasks)
        util_buf_appendf(&b, ",\"reasks\":%d", ctx->reasks);
    if (ctx->client_gone)
        util_buf_append(&b, ",\"client_gone\":true", 19);
    if (ctx->err.status) {
        /* ctx->err may be left from an attempt that was retried or fell back: an answered
         * request keeps it only as last_attempt_error, "error" means the request failed */
        if (!response_request_failed(ctx))
            util_buf_append(&b, ",\"last_attempt_error\":", 22);
        else
            util_buf_append(&b, ",\"error\":", 9);
        util_buf_append_json_string(&b, ctx->err.message, strlen(ctx->err.message));
    }
    if (ctx->checks.log.len) {
        util_buf_append(&b, ",\"guardrails\":", 14);
        util_buf_append_json_string(&b, ctx->checks.log.data, ctx->checks.log.len);
    }
    util_buf_append(&b, "}", 1);
    server_access_log_write(ctx->w, b.data, b.len);
    util_buf_free(&b);
}

void response_full(struct req_ctx *ctx, int status, const char *content_type, int with_upstream_headers, const char *body,
                   size_t len)
{
    if (!lifecycle_has_receiver(ctx) || ctx->out.started)
        return;
    response_start(ctx, status, content_type, with_upstream_headers, len);
    response_append(ctx, body, len);
    response_end(ctx, 0);
}

void response_error(struct req_ctx *ctx)
{
    if (ctx->err.status == 0)
        api_error_set(&ctx->err, 500, "api_error", "internal_error", NULL, "internal error");
    if (!lifecycle_has_receiver(ctx) || ctx->out.final)
        return;
    size_t len;
    char *body = api_error_body(&ctx->err, &len);
    if (ctx->out.started) {
        metrics_count(ctx->w->metrics, METRICS_STREAM_ERRORS, 1);
        response_append(ctx, "data: ", 6);
        response_append(ctx, body, len);
        response_append(ctx, "\n\n", 2);
        response_end(ctx, 0);
    } else {
        response_full(ctx, ctx->err.status, "application/json", 0, body, len);
    }
    free(body);
}
