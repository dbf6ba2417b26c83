/* The request lifecycle: one state machine for every proxied request
 * (chat completions and embeddings), from the parsed body to the last byte
 * sent, including guardrails, retries, fallbacks, time-outs, structured
 * output and cancellation.
 *
 *   NEW --(blocking input checks)--> INPUT_CHECKS --(all passed / rewritten)--+
 *    |                                    |                                   |
 *    +------------------------------------)------(concurrent checks start)----+
 *                                         | block                             v
 *                                         |            +-----------------> ATTEMPT <---------------+
 *                                         |            |  (target full)   /   |   \ (fails, retry   |
 *                                         |          QUEUED <------------+    |    +-> BACKOFF -----+
 *                                         |                                   |        or fallback)
 *                                         |        2xx SSE head, not held     |  answer complete
 *                                         |     +-----------------------------+-------------------+
 *                                         |     v                                                 v
 *                                         |  STREAMING --(stream filter, [DONE])-->  OUTPUT_CHECKS (schema,
 *                                         |     |                                    output guardrails)
 *                                         v     v                                                 |
 *                                        RESPONDING (last bytes handed to h2o) <------------------+
 *                                               |
 *                                               v
 *                                            CLOSED (h2o disposed the request; timers closing)
 *
 *   Any state --(client gone / guardrail block / fatal error / drain time-out)--> RESPONDING or CLOSED
 *
 * Transitions (function that performs it):
 *   NEW -> INPUT_CHECKS            run_input_checks()
 *   NEW/INPUT_CHECKS -> ATTEMPT    start_attempt() (after start_concurrent_checks())
 *   ATTEMPT -> QUEUED              start_attempt() when the target is at max_concurrent
 *   ATTEMPT -> BACKOFF             attempt_failed() when a retry is left (or a cooling target will reopen)
 *   ATTEMPT -> ATTEMPT             attempt_failed() moving on to a fallback model; a concurrent rewrite
 *                                  or a structured-output re-ask (structured_failed())
 *   BACKOFF/QUEUED -> ATTEMPT      on_timer()
 *   ATTEMPT -> STREAMING           on_upstream_head() for a 2xx SSE answer, or release_hold()
 *   ATTEMPT -> OUTPUT_CHECKS       finish_collected() when output guardrails apply
 *   * -> RESPONDING                out_flush() when the last bytes are handed to h2o
 *   * -> CLOSED                    req_close()
 *
 * Invariants:
 *   I1. ctx->call != NULL only in ATTEMPT and STREAMING.
 *   I2. No byte reaches the client before STREAMING or RESPONDING; so any
 *       failure before that may be retried or fall back.
 *   I3. Once STREAMING, a failure ends the stream with an SSE error event,
 *       never with a clean [DONE].
 *   I4. ctx->req is NULL once h2o has disposed the request (client gone or
 *       response done); nothing is sent after that.
 *   I5. The context is freed when its reference count drops to zero: one
 *       reference for the h2o request, one for each of the two uv timers
 *       (released in their close callbacks).
 *   I6. While ctx->held > 0 (concurrent input checks pending) or a stream is
 *       held for schema validation, the answer is collected, not sent.
 *   I7. ctx->scan is the scan of ctx->raw (texts.h), and the body sent upstream is
 *       ctx->raw with only its one "model" value replaced: guard rewrites and re-asks
 *       are spliced into ctx->raw and scanned again (request_replace_take()), so the
 *       request routed, checked and billed is the one the upstream reads.
 *   I8. A 2xx chat answer is relayed unchecked only when no output guardrail applies;
 *       otherwise it goes through the stream filter (SSE, whatever the client asked)
 *       or prepare_answer() (decoded, scanned), or it is refused with 502
 *       unverifiable_response.
 *
 * Only req_set_state() changes ctx->state; it logs each transition at debug
 * level. Other modules report events here (upstream head/body/done, guard
 * verdicts, timers, client gone) and never touch the state. */
#include <curl/curl.h>
#include <zlib.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/audit_hook.h"
#include "api/error.h"
#include "api/hangup.h"
#include "api/lifecycle_int.h"
#include "api/restore.h"
#include "api/scrub.h"
#include "api/sse.h"
#include "api/stream_filter.h"
#include "api/texts.h"
#include "api/worker.h"
#include "auth/auth.h"
#include "schema/schema.h"
#include "guard/engine.h"
#include "guard/placeholder.h"
#include "metrics/metrics.h"
#include "server/server.h"
#include "upstream/client.h"
#include "upstream/router.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fmt.h"
#include "util/log.h"

#define ERROR_BODY_MAX (256 * 1024)
#define SSE_EVENT_MAX (1024 * 1024)
#define OUT_PAUSE_BYTES (256 * 1024)
/* A stream pauses its upstream earlier: a client that stops reading costs at most about
 * this much twice (the buffer h2o sends and the one filling), so 50 such clients stay
 * within a few MB. proceed resumes it once the pending buffer is below OUT_PAUSE_BYTES/2. */
#define STREAM_PAUSE_BYTES (32 * 1024)
#define HEADERS_KEPT_MAX (32 * 1024)
#define QUEUE_POLL_MS 5

static const char *state_names[] = {"NEW",           "INPUT_CHECKS", "ATTEMPT",    "BACKOFF", "QUEUED",
                                    "OUTPUT_CHECKS", "STREAMING",    "RESPONDING", "CLOSED"};

static void start_attempt(struct req_ctx *ctx);
static void attempt_failed(struct req_ctx *ctx, int err, const char *why);
static void respond_error(struct req_ctx *ctx);
static void req_close(struct req_ctx *ctx);
static void out_flush(struct req_ctx *ctx);
static void guards_cancel_all(struct req_ctx *ctx);
static void run_async_post_checks(struct req_ctx *ctx);

/* ---- state, references, teardown ---- */

static void req_set_state(struct req_ctx *ctx, enum req_state s)
{
    LOG_DEBUG("lifecycle", "%s %s -> %s", ctx->request_id, state_names[ctx->state], state_names[s]);
    ctx->state = s;
}

static void req_unref(struct req_ctx *ctx)
{
    if (--ctx->refs > 0)
        return;
    json_decref(ctx->body);
    json_decref(ctx->tools_json);
    api_scan_free(&ctx->scan);
    free(ctx->raw);
    free(ctx->upstream_body);
    util_buf_free(&ctx->up_body);
    util_buf_free(&ctx->up_headers);
    util_buf_free(&ctx->out_sending);
    util_buf_free(&ctx->out_pending);
    sse_parser_free(&ctx->sse);
    api_error_clear(&ctx->err);
    api_scan_free(&ctx->answer);
    json_decref(ctx->answer_tools);
    util_buf_free(&ctx->guard_log);
    stream_filter_free(ctx);
    structured_spec_release(&ctx->so);
    free(ctx->guards);
    free(ctx->conc);
    for (size_t i = 0; i < ctx->n_placeholders; i++)
        guard_placeholders_free(ctx->placeholders[i]);
    free(ctx->placeholders);
    free(ctx);
}

static void on_timer_closed(uv_handle_t *h)
{
    req_unref(h->data);
}

static void worker_list_remove(struct req_ctx *ctx)
{
    struct server_worker *w = ctx->w;
    if (ctx->prev)
        ctx->prev->next = ctx->next;
    else if (api_worker_get(w)->requests == ctx)
        api_worker_get(w)->requests = ctx->next;
    if (ctx->next)
        ctx->next->prev = ctx->prev;
    ctx->prev = ctx->next = NULL;
}

static void end_target_attempt(struct req_ctx *ctx, enum router_outcome o, uint64_t cooldown_ms)
{
    if (ctx->target == NULL)
        return;
    uint64_t ttft = ctx->t_first_byte && ctx->t_attempt ? (ctx->t_first_byte - ctx->t_attempt) / 1000 : 0;
    router_attempt_end(ctx->target, o, ttft, cooldown_ms);
    ctx->target = NULL;
}

/* Stops the call in flight (a cancelled call reports nothing more), its deadline and the
 * upstream time accounting. The attempt stays open on its target. */
static void stop_call(struct req_ctx *ctx)
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

/* Stops the call and ends the attempt on its target with outcome o. */
static void abort_attempt(struct req_ctx *ctx, enum router_outcome o)
{
    stop_call(ctx);
    end_target_attempt(ctx, o, 0);
}

/* Warden gives up on the upstream call (client gone, guardrail, drain): no verdict on the target. */
static void cancel_upstream(struct req_ctx *ctx)
{
    if (ctx->call != NULL)
        metrics_count(ctx->w->metrics, METRICS_UPSTREAM_CANCELLED, 1);
    abort_attempt(ctx, ROUTER_CANCELLED);
}

/* Did the client get a failure? An error status, a stream that ended without the
 * upstream's [DONE] (cut, or ended by Warden with an SSE error event), or a guardrail
 * that ended it after [DONE] (a check at the end of the stream). Errors of retried or
 * fallen-back attempts are in ctx->err too, so ctx->err alone does not say. */
static int request_failed(const struct req_ctx *ctx)
{
    if (ctx->final_status < 200 || ctx->final_status >= 400)
        return 1;
    if (ctx->stream && ctx->up_is_sse && ctx->response_started && !ctx->saw_done)
        return 1;
    return ctx->err.code != NULL && strncmp(ctx->err.code, "guardrail_", 10) == 0;
}

/* One JSON line per request, built by hand: this runs for every request. */
static void write_access_log(struct req_ctx *ctx)
{
    const struct config *cfg = ctx->w->cfg;
    if (cfg->server.access_log != NULL && strcmp(cfg->server.access_log, "off") == 0)
        return;
    uint64_t now = util_now_ns();
    struct util_buf b;
    util_buf_init(&b, 64 * 1024);
    util_buf_appendf(&b, "{\"id\":");
    util_buf_append_json_string(&b, ctx->request_id, strlen(ctx->request_id));
    util_buf_appendf(&b, ",\"route\":\"%s\",\"status\":%d,\"total_ms\":%.3f,\"upstream_ms\":%.3f,\"bytes\":%llu,"
                         "\"attempts\":%d,\"stream\":%s",
                     ctx->kind == REQ_KIND_EMBEDDINGS ? "embeddings" : "chat_completions",
                     ctx->client_gone && !ctx->final_status ? 499 : ctx->final_status, (double)(now - ctx->t_start) / 1e6,
                     (double)ctx->upstream_ns / 1e6, (unsigned long long)ctx->bytes_out, ctx->attempts,
                     ctx->stream ? "true" : "false");
    if (ctx->requested_model_name[0]) {
        util_buf_append(&b, ",\"model\":", 9);
        util_buf_append_json_string(&b, ctx->requested_model_name, strlen(ctx->requested_model_name));
    }
    if (ctx->target_label[0]) {
        util_buf_append(&b, ",\"target\":", 10);
        util_buf_append_json_string(&b, ctx->target_label, strlen(ctx->target_label));
    }
    if (ctx->t_first_byte)
        util_buf_appendf(&b, ",\"ttft_ms\":%.3f", (double)(ctx->t_first_byte - ctx->t_start) / 1e6);
    if (ctx->reasks)
        util_buf_appendf(&b, ",\"reasks\":%d", ctx->reasks);
    if (ctx->client_gone)
        util_buf_append(&b, ",\"client_gone\":true", 19);
    if (ctx->err.status) {
        /* ctx->err may be left from an attempt that was retried or fell back: an answered
         * request keeps it only as last_attempt_error, "error" means the request failed */
        if (!request_failed(ctx))
            util_buf_append(&b, ",\"last_attempt_error\":", 22);
        else
            util_buf_append(&b, ",\"error\":", 9);
        util_buf_append_json_string(&b, ctx->err.message, strlen(ctx->err.message));
    }
    if (ctx->guard_log.len) {
        util_buf_append(&b, ",\"guardrails\":", 14);
        util_buf_append_json_string(&b, ctx->guard_log.data, ctx->guard_log.len);
    }
    util_buf_append(&b, "}", 1);
    server_access_log_write(ctx->w, b.data, b.len);
    util_buf_free(&b);
}

/* Ends everything the request started; idempotent. Called on every exit path:
 * normal completion (from dispose), client gone, drain, fatal errors. */
static void req_close(struct req_ctx *ctx)
{
    if (ctx->state == REQ_STATE_CLOSED)
        return;
    cancel_upstream(ctx);
    guards_cancel_all(ctx);
    if (!ctx->client_gone && ctx->final_status >= 200 && ctx->final_status < 300)
        run_async_post_checks(ctx);
    uv_timer_stop(&ctx->timer);
    if (ctx->queued_on != NULL) {
        router_target_waiting_add(ctx->queued_on, -1);
        ctx->queued_on = NULL;
    }
    if (ctx->hangup_fd >= 0) {
        api_hangup_unwatch(api_worker_get(ctx->w)->hangup, ctx->hangup_fd, ctx->conn_id);
        ctx->hangup_fd = -1;
    }
    req_set_state(ctx, REQ_STATE_CLOSED);
    if (ctx->client_gone)
        metrics_count(ctx->w->metrics, METRICS_CLIENT_DISCONNECTS, 1);
    metrics_request_done(ctx->w->metrics, ctx->kind == REQ_KIND_EMBEDDINGS ? METRICS_ROUTE_EMBEDDINGS : METRICS_ROUTE_CHAT,
                         ctx->client_gone && !ctx->final_status ? 499 : ctx->final_status, (util_now_ns() - ctx->t_start) / 1000);
    write_access_log(ctx);
    lifecycle_audit(ctx);
    worker_list_remove(ctx);
    uv_close((uv_handle_t *)&ctx->timer, on_timer_closed);
    uv_close((uv_handle_t *)&ctx->deadline, on_timer_closed);
    api_worker_inflight_leave(api_worker_get(ctx->w));
}

/* The client went away (h2o stopped or disposed the request, or the socket hung up). */
static void req_client_gone(struct req_ctx *ctx)
{
    if (ctx->state == REQ_STATE_CLOSED)
        return;
    ctx->client_gone = 1;
    cancel_upstream(ctx);
    guards_cancel_all(ctx);
}

static void on_pool_dispose(void *p)
{
    struct req_ctx *ctx = *(struct req_ctx **)p;
    if (ctx->state != REQ_STATE_RESPONDING)
        req_client_gone(ctx);
    ctx->req = NULL;
    req_close(ctx);
    req_unref(ctx);
}

static void on_hangup(void *ud)
{
    struct req_ctx *ctx = ud;
    ctx->hangup_fd = -1; /* the watcher already forgot this request */
    if (ctx->state == REQ_STATE_RESPONDING || ctx->state == REQ_STATE_CLOSED)
        return;
    req_client_gone(ctx);
    /* h2o is not reading this socket: make it notice by writing; the write fails and h2o disposes the request */
    if (ctx->req != NULL && !ctx->response_started) {
        api_error_set(&ctx->err, 499, "api_error", "client_closed_request", NULL, "client closed the request");
        respond_error(ctx);
    } else if (ctx->req != NULL) {
        ctx->out_final = 1;
        ctx->final_error = 1;
        out_flush(ctx);
    }
}

/* ---- output to the client (h2o generator) ----
 *
 * h2o_send() may not be called again until h2o calls proceed, and the bytes
 * it was given must stay valid until then. So there are two buffers: the
 * one h2o is sending, and the one collecting new bytes meanwhile. When the
 * pending one grows past OUT_PAUSE_BYTES the upstream transfer is paused
 * (back-pressure) and resumed from proceed. */

static void on_generator_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    struct req_ctx *ctx = (struct req_ctx *)((char *)g - offsetof(struct req_ctx, generator));
    ctx->out_in_flight = 0;
    util_buf_reset(&ctx->out_sending);
    out_flush(ctx);
    if (ctx->upstream_paused && ctx->out_pending.len < OUT_PAUSE_BYTES / 2 && ctx->call != NULL) {
        ctx->upstream_paused = 0;
        upstream_call_resume(ctx->call);
    }
}

static void on_generator_stop(h2o_generator_t *g, h2o_req_t *req)
{
    struct req_ctx *ctx = (struct req_ctx *)((char *)g - offsetof(struct req_ctx, generator));
    ctx->generator_stopped = 1;
    if (ctx->state != REQ_STATE_RESPONDING)
        req_client_gone(ctx);
}

static void out_flush(struct req_ctx *ctx)
{
    if (ctx->req == NULL || ctx->out_in_flight || ctx->generator_stopped || ctx->out_done)
        return;
    if (ctx->out_pending.len == 0 && !ctx->out_final)
        return;
    struct util_buf tmp = ctx->out_sending;
    ctx->out_sending = ctx->out_pending;
    ctx->out_pending = tmp;
    util_buf_reset(&ctx->out_pending);
    h2o_iovec_t buf = h2o_iovec_init(ctx->out_sending.data ? ctx->out_sending.data : "", ctx->out_sending.len);
    h2o_send_state_t st = H2O_SEND_STATE_IN_PROGRESS;
    if (ctx->out_final) {
        st = ctx->final_error ? H2O_SEND_STATE_ERROR : H2O_SEND_STATE_FINAL;
        ctx->out_done = 1;
        req_set_state(ctx, REQ_STATE_RESPONDING);
    }
    ctx->out_in_flight = 1;
    ctx->bytes_out += buf.len;
    h2o_send(ctx->req, &buf, buf.len ? 1 : 0, st);
}

static void out_append(struct req_ctx *ctx, const char *data, size_t len)
{
    /* the pending buffer has no practical cap: back-pressure pauses the producer first */
    if (util_buf_append(&ctx->out_pending, data, len) != 0)
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
 * only when Warden decoded that body itself (start_response, ctx->answer_decoded). */
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
static void start_response(struct req_ctx *ctx, int status, const char *content_type, int with_upstream_headers,
                           size_t content_length)
{
    h2o_req_t *req = ctx->req;
    req->res.content_length = content_length; /* h2o picks chunked framing at start: set it first */
    ctx->final_status = status;
    ctx->response_started = 1;
    req->res.status = status;
    req->res.reason = status < 400 ? "OK" : "Error";
    if (with_upstream_headers) {
        const char *p = ctx->up_headers.data, *end = p + ctx->up_headers.len;
        while (p != NULL && p < end) {
            size_t nl = strlen(p);
            const char *v = p + nl + 1;
            size_t vl = strlen(v);
            if (!is_hop_header(p, nl) && !(ctx->answer_decoded && nl == 16 && strncasecmp(p, "content-encoding", 16) == 0))
                add_header(ctx, p, nl, v, vl);
            p = v + vl + 1;
        }
    } else if (content_type != NULL) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    }
    add_own_header(ctx, H2O_STRLIT("x-request-id"), ctx->request_id, strlen(ctx->request_id));
    char num[UTIL_FMT_U64_MAX];
    size_t n;
    n = util_fmt_u64(num, (uint64_t)ctx->attempts);
    add_own_header(ctx, H2O_STRLIT("x-warden-attempts"), num, n);
    if (ctx->target_label[0])
        add_own_header(ctx, H2O_STRLIT("x-warden-target"), ctx->target_label, strlen(ctx->target_label));
    if (ctx->guard_log.len)
        add_own_header(ctx, H2O_STRLIT("x-warden-guardrails"), ctx->guard_log.data, ctx->guard_log.len);
    if (structured_active(&ctx->so)) {
        n = util_fmt_u64(num, (uint64_t)ctx->reasks);
        add_own_header(ctx, H2O_STRLIT("x-warden-reasks"), num, n);
    }
    uint64_t now = util_now_ns();
    uint64_t elapsed = now - ctx->t_start;
    uint64_t waited = ctx->upstream_ns + (ctx->call_started_at ? now - ctx->call_started_at : 0);
    if (ctx->call_started_at && ctx->t_head)
        waited = ctx->upstream_ns + (ctx->t_head - ctx->call_started_at);
    waited += ctx->waited_ns;
    uint64_t overhead = elapsed > waited ? elapsed - waited : 0;
    n = util_fmt_u64(num, overhead / 1000);
    add_own_header(ctx, H2O_STRLIT("x-warden-overhead-us"), num, n);
    char cost[32];
    if ((n = lifecycle_cost_header(ctx, cost, sizeof(cost))) > 0)
        add_own_header(ctx, H2O_STRLIT("x-warden-cost-usd"), cost, n);
    if (ctx->retry_after_hint_s > 0 && (status == 429 || status == 503) && !with_upstream_headers) {
        n = util_fmt_u64(num, (uint64_t)ctx->retry_after_hint_s);
        add_own_header(ctx, H2O_STRLIT("retry-after"), num, n);
    }
    ctx->generator.proceed = on_generator_proceed;
    ctx->generator.stop = on_generator_stop;
    h2o_start_response(req, &ctx->generator);
}

/* Sends a complete response in one go (status + body) and ends it. */
static void respond_full(struct req_ctx *ctx, int status, const char *content_type, int with_upstream_headers, const char *body,
                         size_t len)
{
    if (ctx->req == NULL || ctx->response_started)
        return;
    uv_timer_stop(&ctx->deadline);
    start_response(ctx, status, content_type, with_upstream_headers, len);
    out_append(ctx, body, len);
    ctx->out_final = 1;
    out_flush(ctx);
}

/* Ends the request with ctx->err: a JSON error body, or, once a stream has
 * started, an SSE error event (never a clean [DONE]). */
static void respond_error(struct req_ctx *ctx)
{
    if (ctx->err.status == 0)
        api_error_set(&ctx->err, 500, "api_error", "internal_error", NULL, "internal error");
    cancel_upstream(ctx);
    if (ctx->req == NULL || ctx->out_final)
        return;
    size_t len;
    char *body = api_error_body(&ctx->err, &len);
    if (ctx->response_started) {
        metrics_count(ctx->w->metrics, METRICS_STREAM_ERRORS, 1);
        out_append(ctx, "data: ", 6);
        out_append(ctx, body, len);
        out_append(ctx, "\n\n", 2);
        ctx->out_final = 1;
        out_flush(ctx);
    } else {
        respond_full(ctx, ctx->err.status, "application/json", 0, body, len);
    }
    free(body);
}

/* ---- upstream attempt ---- */

static int status_is_retryable(int status)
{
    return status == 408 || status == 409 || status == 429 || status >= 500;
}

static uint64_t parse_retry_after_ms(const char *v)
{
    if (v == NULL || *v == '\0')
        return 0;
    char *end;
    double secs = strtod(v, &end);
    if (end != v && (*end == '\0' || *end == ' ')) {
        if (secs < 0)
            return 0;
        if (secs > 3600)
            secs = 3600;
        return (uint64_t)(secs * 1000);
    }
    time_t t = curl_getdate(v, NULL);
    if (t < 0)
        return 0;
    time_t now = time(NULL);
    if (t <= now)
        return 0;
    return (uint64_t)(t - now) * 1000 > 3600000 ? 3600000 : (uint64_t)(t - now) * 1000;
}

static const char *kept_header(const struct req_ctx *ctx, const char *name)
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

static int on_upstream_head(struct upstream_call *call, void *ud, int status, const struct upstream_header *hs, size_t n)
{
    struct req_ctx *ctx = ud;
    ctx->up_status = status;
    ctx->t_head = util_now_ns();
    util_buf_reset(&ctx->up_headers);
    for (size_t i = 0; i < n; i++) {
        util_buf_append(&ctx->up_headers, hs[i].name, hs[i].name_len);
        util_buf_append(&ctx->up_headers, "", 1);
        util_buf_append(&ctx->up_headers, hs[i].value, hs[i].value_len);
        util_buf_append(&ctx->up_headers, "", 1);
    }
    const char *ct = kept_header(ctx, "content-type");
    ctx->up_is_sse = ct != NULL && strncasecmp(ct, "text/event-stream", 17) == 0;
    /* "stream or not" is what the upstream sent, not what the client asked: an SSE answer to a
     * non-stream request is a stream too, and goes through the stream filter */
    if (status >= 200 && status < 300 && ctx->up_is_sse && ctx->req != NULL && ctx->held == 0 && !ctx->schema_hold) {
        /* the answer starts: from here on a failure ends the stream (I3) */
        req_set_state(ctx, REQ_STATE_STREAMING);
        start_response(ctx, status, NULL, 1, SIZE_MAX);
        stream_filter_begin(ctx);
    }
    return 0;
}

static int on_sse_event(void *ud, const char *data, size_t len)
{
    struct req_ctx *ctx = ud;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
        ctx->saw_done = 1;
    else if (len > 9 && memmem(data, len > 64 ? 64 : len, "\"error\"", 7) != NULL)
        ctx->saw_upstream_error_event = 1;
    lifecycle_audit_sse_event(ctx, data, len);
    return 0;
}

static void arm_deadline(struct req_ctx *ctx, int ms, int kind);

/* The answer cannot be used (over a size cap): the attempt ends here, since the call is
 * cancelled and reports nothing more. ctx->err says why. */
static int body_unusable(struct req_ctx *ctx)
{
    abort_attempt(ctx, ROUTER_FAILED);
    respond_error(ctx);
    return UPSTREAM_BODY_CANCEL;
}

static int on_upstream_body(struct upstream_call *call, void *ud, const char *data, size_t len)
{
    struct req_ctx *ctx = ud;
    if (ctx->t_first_byte == 0) {
        ctx->t_first_byte = util_now_ns();
        metrics_ttft(ctx->w->metrics, (ctx->t_first_byte - ctx->t_start) / 1000);
    }
    const struct config_target *tc = router_target_config(ctx->target);
    if (tc->timeouts.idle_ms > 0)
        arm_deadline(ctx, tc->timeouts.idle_ms, DEADLINE_IDLE);
    else
        uv_timer_stop(&ctx->deadline);
    if (ctx->state == REQ_STATE_STREAMING) {
        if (ctx->sf != NULL) {
            /* the stream filter parses the events itself ([DONE], errors, text) */
            stream_filter_feed(ctx, data, len);
            if (ctx->call == NULL)
                return UPSTREAM_BODY_CANCEL; /* a check ended the stream */
        } else {
            if (sse_parser_feed(&ctx->sse, data, len, on_sse_event, ctx) != 0 && ctx->sse.overflow) {
                api_error_set(&ctx->err, 502, "api_error", "upstream_bad_stream", NULL,
                              "upstream sent an SSE event over %d bytes", SSE_EVENT_MAX);
                return body_unusable(ctx);
            }
            out_append(ctx, data, len);
            out_flush(ctx);
        }
        if (ctx->out_pending.len >= STREAM_PAUSE_BYTES) {
            ctx->upstream_paused = 1;
            return UPSTREAM_BODY_PAUSE;
        }
        return UPSTREAM_BODY_CONTINUE;
    }
    /* not streaming to the client: the whole answer is collected (it may be retried, checked, validated) */
    int ok = ctx->up_status >= 200 && ctx->up_status < 300;
    ctx->up_body.limit = ok ? ctx->w->cfg->server.max_response_bytes : ERROR_BODY_MAX;
    if (util_buf_append(&ctx->up_body, data, len) != 0) {
        api_error_set(&ctx->err, 502, "api_error", "upstream_response_too_large", NULL,
                      "upstream answer exceeds server.max_response_bytes (%zu)", ctx->w->cfg->server.max_response_bytes);
        return body_unusable(ctx);
    }
    if (ctx->up_is_sse && ok)
        sse_parser_feed(&ctx->sse, data, len, on_sse_event, ctx);
    return UPSTREAM_BODY_CONTINUE;
}

static void finish_collected(struct req_ctx *ctx);

static void on_upstream_done(struct upstream_call *call, void *ud, int err, const char *message)
{
    struct req_ctx *ctx = ud;
    ctx->call = NULL;
    uv_timer_stop(&ctx->deadline);
    ctx->upstream_ns += util_now_ns() - ctx->call_started_at;
    ctx->call_started_at = 0;
    if (ctx->state == REQ_STATE_STREAMING) {
        if (err == 0 && ctx->saw_done) {
            end_target_attempt(ctx, ROUTER_OK, 0);
            if (ctx->sf != NULL) {
                stream_filter_finish(ctx);
            } else {
                ctx->out_final = 1;
                out_flush(ctx);
            }
            return;
        }
        end_target_attempt(ctx, ROUTER_FAILED, 0);
        if (err != 0)
            api_error_set(&ctx->err, 502, "api_error", err == WARDEN_ETIMEDOUT ? "upstream_timeout" : "upstream_stream_cut", NULL,
                          "upstream stream failed: %s", message ? message : warden_strerror(err));
        else if (ctx->saw_upstream_error_event)
            api_error_set(&ctx->err, 502, "api_error", "upstream_error", NULL, "upstream ended the stream with an error event");
        else
            api_error_set(&ctx->err, 502, "api_error", "upstream_stream_cut", NULL,
                          "upstream stream ended without [DONE]: the answer is incomplete");
        respond_error(ctx);
        return;
    }
    if (err != 0) {
        attempt_failed(ctx, err, message);
        return;
    }
    if (status_is_retryable(ctx->up_status)) {
        attempt_failed(ctx, WARDEN_EUPSTREAM, NULL);
        return;
    }
    if (ctx->up_is_sse && ctx->up_status >= 200 && ctx->up_status < 300 && !ctx->saw_done) {
        /* collected (held) stream that was cut: nothing was sent yet, so it can be retried (I2) */
        attempt_failed(ctx, WARDEN_EUPSTREAM, "upstream stream ended without [DONE]");
        return;
    }
    end_target_attempt(ctx, ROUTER_OK, 0);
    ctx->upstream_finished = 1;
    if (ctx->held == 0)
        finish_collected(ctx);
}

static void run_output_checks(struct req_ctx *ctx);
static int prepare_answer(struct req_ctx *ctx);
static int validate_structured(struct req_ctx *ctx);

/* Output checks that gate the answer (async_post ones never do). */
static int has_output_checks(const struct req_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_guards; i++)
        if (ctx->guards[i]->stage == CONFIG_STAGE_OUTPUT && ctx->guards[i]->timing != CONFIG_TIMING_ASYNC_POST)
            return 1;
    return 0;
}

/* An upstream error is about to be relayed as the upstream sent it: no configured
 * secret (a provider key echoed in a 401, say) leaves with it (scrub.h). */
static void scrub_relayed_error(struct req_ctx *ctx)
{
    if (ctx->up_status >= 200 && ctx->up_status < 300)
        return;
    api_scrub_buf(api_worker_get(ctx->w)->scrub, &ctx->up_body);
    api_scrub_buf(api_worker_get(ctx->w)->scrub, &ctx->up_headers);
}

/* A complete, non-retryable upstream answer is in ctx->up_body and no concurrent check holds it. */
static void finish_collected(struct req_ctx *ctx)
{
    if (ctx->up_status >= 200 && ctx->up_status < 300 && structured_active(&ctx->so) && validate_structured(ctx) != 0)
        return; /* re-asked, or answered 422 */
    if (ctx->up_status >= 200 && ctx->up_status < 300 && ctx->up_is_sse) {
        /* a whole stream collected while held: send it as a stream, through the output checks */
        req_set_state(ctx, REQ_STATE_STREAMING);
        start_response(ctx, ctx->up_status, NULL, 1, SIZE_MAX);
        stream_filter_begin(ctx);
        if (ctx->sf != NULL) {
            stream_filter_feed(ctx, ctx->up_body.data ? ctx->up_body.data : "", ctx->up_body.len);
            if (ctx->state == REQ_STATE_STREAMING && !ctx->out_final)
                stream_filter_finish(ctx);
        } else {
            out_append(ctx, ctx->up_body.data ? ctx->up_body.data : "", ctx->up_body.len);
            ctx->out_final = 1;
            out_flush(ctx);
        }
        return;
    }
    if (ctx->up_status >= 200 && ctx->up_status < 300 && ctx->kind == REQ_KIND_CHAT &&
        (has_output_checks(ctx) || ctx->n_placeholders > 0)) {
        req_set_state(ctx, REQ_STATE_OUTPUT_CHECKS);
        ctx->output_pos = 0;
        if (prepare_answer(ctx) != 0)
            return; /* answered 502 unverifiable_response */
        run_output_checks(ctx);
        return;
    }
    scrub_relayed_error(ctx);
    respond_full(ctx, ctx->up_status, NULL, 1, ctx->up_body.data ? ctx->up_body.data : "", ctx->up_body.len);
}

static void on_deadline(uv_timer_t *t)
{
    struct req_ctx *ctx = t->data;
    const char *what = ctx->deadline_kind == DEADLINE_FIRST_BYTE ? "first_byte_ms" : "idle_ms";
    if (ctx->call == NULL)
        return;
    metrics_count(ctx->w->metrics, METRICS_UPSTREAM_TIMEOUTS, 1);
    char why[128];
    snprintf(why, sizeof(why), "upstream time-out (%s)", what);
    if (ctx->state == REQ_STATE_STREAMING) {
        abort_attempt(ctx, ROUTER_FAILED);
        api_error_set(&ctx->err, 504, "api_error", "upstream_timeout", NULL, "%s while streaming", why);
        respond_error(ctx);
        return;
    }
    stop_call(ctx);
    attempt_failed(ctx, WARDEN_ETIMEDOUT, why);
}

static void arm_deadline(struct req_ctx *ctx, int ms, int kind)
{
    ctx->deadline_kind = kind;
    uv_timer_start(&ctx->deadline, on_deadline, (uint64_t)ms, 0);
}

static const struct upstream_call_callbacks call_callbacks = {on_upstream_head, on_upstream_body, on_upstream_done};

/* Builds the body sent upstream: the request's bytes (rewrites already spliced into ctx->raw)
 * with only the value of the one "model" member replaced. Duplicate keys were refused, so the
 * upstream reads the model, stream flag and texts that Warden routed and checked. */
static int build_upstream_body(struct req_ctx *ctx, const char *model)
{
    free(ctx->upstream_body);
    ctx->upstream_body = api_scan_splice(&ctx->scan, ctx->raw, ctx->raw_len, NULL, NULL, model, &ctx->upstream_body_len);
    return 0;
}

static void on_timer(uv_timer_t *t);

static void start_attempt(struct req_ctx *ctx)
{
    ctx->upstream_finished = 0;
    const struct config_model *m = ctx->model;
    uint64_t wait_ms = 0;
    struct router_target *t = router_pick(ctx->w->router, m, ctx->tried_mask, &wait_ms);
    if (t == NULL) {
        /* every target of this model is cooling down */
        char why[160];
        snprintf(why, sizeof(why), "every target of model %s is cooling down", m->name);
        ctx->cooling_wait_ms = wait_ms;
        attempt_failed(ctx, WARDEN_EOVERLOAD, why);
        return;
    }
    if (router_try_acquire(t) != 0) {
        const struct config_target *tc = router_target_config(t);
        if (ctx->queued_on == NULL) {
            if (tc->queue_max <= 0 || router_target_waiting_add(t, 1) > tc->queue_max) {
                if (tc->queue_max > 0)
                    router_target_waiting_add(t, -1);
                metrics_count(ctx->w->metrics, METRICS_QUEUE_REJECTED, 1);
                api_error_set(&ctx->err, 429, "rate_limit_error", "target_busy", NULL,
                              "model %s: target %s is at max_concurrent (%d) and its queue is full", m->name,
                              router_target_label(t), tc->max_concurrent);
                ctx->retry_after_hint_s = 1;
                router_unpick(t);
                respond_error(ctx);
                return;
            }
            ctx->queued_on = t;
            ctx->queued_since = util_now_ns();
        } else if (util_now_ns() - ctx->queued_since > (uint64_t)tc->queue_timeout_ms * 1000000u) {
            router_target_waiting_add(t, -1);
            ctx->queued_on = NULL;
            metrics_count(ctx->w->metrics, METRICS_QUEUE_REJECTED, 1);
            api_error_set(&ctx->err, 429, "rate_limit_error", "queue_timeout", NULL,
                          "model %s: waited %d ms for a free slot on target %s", m->name, tc->queue_timeout_ms,
                          router_target_label(t));
            ctx->retry_after_hint_s = 1;
            router_unpick(t);
            respond_error(ctx);
            return;
        }
        router_unpick(t);
        req_set_state(ctx, REQ_STATE_QUEUED);
        uv_timer_start(&ctx->timer, on_timer, QUEUE_POLL_MS, 0);
        return;
    }
    if (ctx->queued_on != NULL) {
        router_target_waiting_add(ctx->queued_on, -1);
        ctx->waited_ns += util_now_ns() - ctx->queued_since;
        ctx->queued_on = NULL;
    }
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

    if (build_upstream_body(ctx, tc->model) != 0) {
        end_target_attempt(ctx, ROUTER_CANCELLED, 0);
        api_error_set(&ctx->err, 500, "api_error", "internal_error", NULL, "could not build the upstream request");
        respond_error(ctx);
        return;
    }
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
    sse_parser_init(&ctx->sse, SSE_EVENT_MAX);
    ctx->t_attempt = ctx->call_started_at = util_now_ns();
    req_set_state(ctx, REQ_STATE_ATTEMPT);
    ctx->call = upstream_call_start(ctx->w->upstream, &o, &call_callbacks, ctx); /* copies the headers */
    if (headers != stack_headers)
        free(headers);
    if (ctx->call == NULL) {
        attempt_failed(ctx, WARDEN_ENOMEM, "could not start the upstream call");
        return;
    }
    if (tc->timeouts.first_byte_ms > 0)
        arm_deadline(ctx, tc->timeouts.first_byte_ms, DEADLINE_FIRST_BYTE);
}

/* Full-jitter exponential backoff: uniform in [0, min(max, base * 2^n)]. */
static uint64_t backoff_ms(const struct config_retry *r, int retry_index)
{
    uint64_t cap = (uint64_t)(r->base_ms > 0 ? r->base_ms : 0);
    for (int i = 0; i < retry_index && cap < (uint64_t)r->max_ms; i++)
        cap *= 2;
    if (cap > (uint64_t)r->max_ms)
        cap = (uint64_t)r->max_ms;
    if (cap == 0)
        return 0;
    static __thread uint64_t seed;
    if (seed == 0)
        seed = util_now_ns() | 1;
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed % (cap + 1);
}

static int fallback_allowed(const struct config_model *m, int status, const char *body, size_t n, const struct config_model **to)
{
    *to = NULL;
    if (m->n_fallback_rules == 0)
        return 1;
    for (size_t i = 0; i < m->n_fallback_rules; i++) {
        const struct config_fallback_rule *r = &m->fallback_rules[i];
        if (status < r->status_min || status > r->status_max)
            continue;
        if (r->match != NULL && (body == NULL || memmem(body, n, r->match, strlen(r->match)) == NULL))
            continue;
        *to = r->to_model;
        return 1;
    }
    return 0;
}

/* An attempt failed before any byte reached the client (I2): retry, fall back or give up. */
static void attempt_failed(struct req_ctx *ctx, int err, const char *why)
{
    int status = err == WARDEN_EUPSTREAM && why == NULL ? ctx->up_status : 0;
    uint64_t retry_after = 0;
    if (status == 429 || status == 503)
        retry_after = parse_retry_after_ms(kept_header(ctx, "retry-after"));
    end_target_attempt(ctx, err == WARDEN_EOVERLOAD ? ROUTER_CANCELLED : ROUTER_FAILED, retry_after);
    if (ctx->req == NULL || ctx->client_gone)
        return;

    /* remember what the client gets if nothing else works */
    api_error_clear(&ctx->err);
    ctx->last_failure_is_http = status != 0;
    if (status == 0) {
        if (err == WARDEN_ETIMEDOUT)
            api_error_set(&ctx->err, 504, "api_error", "upstream_timeout", NULL, "model %s: %s", ctx->model->name,
                          why ? why : "upstream timed out");
        else if (err == WARDEN_EOVERLOAD)
            api_error_set(&ctx->err, 503, "api_error", "upstream_unavailable", NULL, "%s", why);
        else
            api_error_set(&ctx->err, 502, "api_error", "upstream_unavailable", NULL, "model %s: upstream failed: %s",
                          ctx->model->name, why ? why : "error");
    }

    const struct config_retry *rp = &ctx->model->retry;
    if (ctx->target_retry != NULL)
        rp = ctx->target_retry;
    if (err == WARDEN_EOVERLOAD && ctx->cooling_waits < rp->max && ctx->cooling_wait_ms > 0 &&
        ctx->cooling_wait_ms <= 60000) {
        /* every target is cooling down (a shared Retry-After or an open circuit) and this request
         * still has retries: wait for the first one to reopen instead of failing now */
        ctx->cooling_waits++;
        ctx->backoff_started = util_now_ns();
        req_set_state(ctx, REQ_STATE_BACKOFF);
        uv_timer_start(&ctx->timer, on_timer, ctx->cooling_wait_ms, 0);
        return;
    }
    if (err != WARDEN_EOVERLOAD && ctx->attempts_on_model <= rp->max) {
        uint64_t wait = backoff_ms(rp, ctx->attempts_on_model - 1);
        if (retry_after > wait)
            wait = retry_after;
        ctx->backoff_started = util_now_ns();
        req_set_state(ctx, REQ_STATE_BACKOFF);
        LOG_DEBUG("lifecycle", "%s retry %d in %llu ms", ctx->request_id, ctx->attempts_on_model, (unsigned long long)wait);
        uv_timer_start(&ctx->timer, on_timer, wait, 0);
        return;
    }
    /* the model's targets are exhausted: fall back */
    const struct config_model *to = NULL;
    int allowed = fallback_allowed(ctx->model, status ? status : 0, ctx->up_body.data, ctx->up_body.len, &to);
    if (allowed && to == NULL && ctx->fallback_pos < ctx->requested_model->n_fallbacks)
        to = ctx->requested_model->fallbacks[ctx->fallback_pos++];
    if (allowed && to != NULL && ctx->fallbacks_taken < 8) {
        ctx->fallbacks_taken++;
        metrics_count(ctx->w->metrics, METRICS_FALLBACKS, 1);
        LOG_DEBUG("lifecycle", "%s falling back from %s to %s", ctx->request_id, ctx->model->name, to->name);
        ctx->model = to;
        ctx->attempts_on_model = 0;
        ctx->cooling_waits = 0;
        ctx->tried_mask = 0;
        ctx->target_retry = NULL;
        start_attempt(ctx);
        return;
    }
    if (ctx->last_failure_is_http) {
        /* the upstream's own error, status and body as it sent them (secrets scrubbed) */
        scrub_relayed_error(ctx);
        respond_full(ctx, ctx->up_status, NULL, 1, ctx->up_body.data ? ctx->up_body.data : "", ctx->up_body.len);
        return;
    }
    if (err == WARDEN_EOVERLOAD && ctx->cooling_wait_ms > 0)
        ctx->retry_after_hint_s = (int)((ctx->cooling_wait_ms + 999) / 1000);
    respond_error(ctx);
}

static void on_timer(uv_timer_t *t)
{
    struct req_ctx *ctx = t->data;
    if (ctx->state == REQ_STATE_BACKOFF)
        ctx->waited_ns += util_now_ns() - ctx->backoff_started;
    if (ctx->state == REQ_STATE_BACKOFF || ctx->state == REQ_STATE_QUEUED)
        start_attempt(ctx);
}

/* ---- guardrails ----
 *
 * Input stage:  blocking checks run one after the other (INPUT_CHECKS) before
 *               the first attempt; a rewrite changes the request that is sent.
 *               Concurrent checks start with the first attempt; while any is
 *               pending (ctx->held) the answer is collected, not sent. A
 *               failing check with cancel_on_failure aborts the attempt at
 *               once; a rewrite aborts it and re-sends the rewritten request.
 * Output stage: on a complete answer, checks run before it is sent
 *               (OUTPUT_CHECKS); streams are filtered in stream_filter.c.
 * async_post:   started when the request closes; never delays it. */

static const char *verdict_word(const struct guard_verdict *v)
{
    if (v->timed_out)
        return v->outcome == GUARD_PASS ? "timeout_open" : "timeout_closed";
    if (v->unreachable)
        return v->outcome == GUARD_PASS ? "unreachable_open" : "unreachable_closed";
    if (v->errored)
        return v->outcome == GUARD_PASS ? "error_open" : "error_closed";
    if (v->outcome == GUARD_BLOCK)
        return "block";
    if (v->outcome == GUARD_REWRITE)
        return "rewrite";
    return v->violation ? "flagged" : "pass";
}

static void guard_log_append(struct req_ctx *ctx, const struct config_guardrail *g, const char *word)
{
    if (ctx->guard_log.limit == 0)
        util_buf_init(&ctx->guard_log, 2048);
    util_buf_appendf(&ctx->guard_log, "%s%s=%s", ctx->guard_log.len ? ", " : "", g->name, word);
}

/* Ends the request with the guardrail error body (the client never sees the answer).
 * One rule for every guard type, stage and timing, streams included: a check that ran
 * and said no is the guard's status (400 by default), code guardrail_blocked; a
 * fail_closed check that could not run (time-out, service down, bad answer, engine
 * error) is 503 guardrail_unavailable, which a client may retry. */
static void respond_guard_block(struct req_ctx *ctx, const struct config_guardrail *g, const struct guard_verdict *v)
{
    cancel_upstream(ctx);
    guards_cancel_all(ctx);
    api_error_clear(&ctx->err);
    /* the reason may quote a guard service's answer, which may echo its credentials */
    char reason[sizeof(v->reason)];
    snprintf(reason, sizeof(reason), "%s", v->reason);
    api_scrub_text(api_worker_get(ctx->w)->scrub, reason, sizeof(reason));
    if (v->errored || v->timed_out)
        api_error_set(&ctx->err, 503, "api_error", "guardrail_unavailable", NULL, "%s",
                      reason[0] ? reason : v->timed_out ? "the guardrail timed out (fail_closed)" : "the guardrail failed (fail_closed)");
    else
        api_error_set(&ctx->err, g->status_code > 0 ? g->status_code : 400, "guardrail_violation", "guardrail_blocked", NULL,
                      "blocked by guardrail %s: %s", g->name, reason[0] ? reason : "policy violation");
    json_t *info = json_pack("{s:s, s:s, s:s, s:s}", "name", g->name, "stage", guard_stage_name(g->stage), "timing",
                             guard_timing_name(g->timing), "reason", reason[0] ? reason : "policy violation");
    if (info != NULL && v->guard != NULL && v->guard != g)
        json_object_set_new(info, "member", json_string(v->guard->name));
    api_error_set_extra(&ctx->err, json_pack("{s:o}", "guardrail", info ? info : json_null()));
    respond_error(ctx);
}

static const struct config_api_key *request_api_key(struct req_ctx *ctx);

void lifecycle_guard_context(struct req_ctx *ctx, struct guard_subject *s)
{
    s->call_id = ctx->call_id;
    s->api_key = request_api_key(ctx);
    s->headers = NULL;
    s->n_headers = 0;
    if (ctx->req != NULL && ctx->req->headers.size > 0) {
        struct guard_header *h = h2o_mem_alloc_pool(&ctx->req->pool, ctx->req->headers.size * sizeof(*h));
        for (size_t i = 0; i < ctx->req->headers.size; i++) {
            const h2o_header_t *e = &ctx->req->headers.entries[i];
            h[i] = (struct guard_header){e->name->base, e->name->len, e->value.base, e->value.len};
        }
        s->headers = h;
        s->n_headers = ctx->req->headers.size;
    }
}

/* Does g (or a member of a composite) read tool definitions / tool calls as JSON? */
static int guard_reads_tools(const struct config_guardrail *g, int depth)
{
    if (g->type == CONFIG_GUARD_TOOLS)
        return 1;
    for (size_t i = 0; depth < 8 && i < g->n_members; i++)
        if (g->members[i] != NULL && guard_reads_tools(g->members[i], depth + 1))
            return 1;
    return 0;
}

/* The subject of a guard: every text of the scan, in contract order (texts.h). The tools
 * JSON is parsed from its span only for a guard that reads it, once per scan. */
static void subject_from_scan(struct req_ctx *ctx, struct guard_subject *s, const struct config_guardrail *g,
                              enum config_guard_stage st)
{
    const struct api_scan *sc = st == CONFIG_STAGE_INPUT ? &ctx->scan : &ctx->answer;
    json_t **tools = st == CONFIG_STAGE_INPUT ? &ctx->tools_json : &ctx->answer_tools;
    const char *json = st == CONFIG_STAGE_INPUT ? ctx->raw : ctx->up_body.data;
    memset(s, 0, sizeof(*s));
    s->stage = st;
    s->texts = sc->texts;
    s->lens = sc->lens;
    s->n = sc->n;
    s->n_messages = sc->n_messages;
    if (*tools == NULL && g != NULL && guard_reads_tools(g, 0))
        *tools = api_scan_tools_json(sc, json);
    s->tool_calls = *tools;
    s->model = ctx->requested_model_name;
    s->request_id = ctx->request_id;
    s->body_json = json;
    s->body_json_len = st == CONFIG_STAGE_INPUT ? ctx->raw_len : ctx->up_body.len;
    lifecycle_guard_context(ctx, s);
}

static const char *header_lookup(void *ud, const char *name)
{
    struct req_ctx *ctx = ud;
    if (ctx->req == NULL)
        return NULL;
    ssize_t i = h2o_find_header_by_str(&ctx->req->headers, name, strlen(name), -1);
    if (i < 0)
        return NULL;
    h2o_iovec_t v = ctx->req->headers.entries[i].value;
    /* h2o values are not NUL-terminated: copy into the pool */
    return h2o_strdup(&ctx->req->pool, v.base, v.len).base;
}

static const struct config_api_key *request_api_key(struct req_ctx *ctx)
{
    if (ctx->w->cfg->n_api_keys == 0 || ctx->req == NULL)
        return NULL;
    return auth_request_key(ctx->w->cfg, &ctx->req->headers, NULL);
}

/* The requested model's guardrails (or the defaults) whose `when:` matches this request. */
static void guards_resolve(struct req_ctx *ctx)
{
    const struct config *cfg = ctx->w->cfg;
    const struct config_model *m = ctx->requested_model;
    struct config_guardrail **list = m->has_guardrails ? m->guardrails : cfg->default_guardrails;
    size_t n = m->has_guardrails ? m->n_guardrails : cfg->n_default_guardrails;
    struct guard_request_info info = {.model = ctx->requested_model_name,
                                      .path = ctx->kind == REQ_KIND_EMBEDDINGS ? "/v1/embeddings" : "/v1/chat/completions",
                                      .header = header_lookup,
                                      .header_ud = ctx,
                                      .api_key = ctx->api_key};
    ctx->n_guards = 0;
    if (n == 0)
        return;
    ctx->guards = util_malloc(n * sizeof(*ctx->guards));
    for (size_t i = 0; i < n; i++)
        if (guard_when_matches(list[i], &info))
            ctx->guards[ctx->n_guards++] = list[i];
}

static enum api_scan_shape request_shape(const struct req_ctx *ctx)
{
    return ctx->kind == REQ_KIND_EMBEDDINGS ? API_SCAN_EMBEDDINGS : API_SCAN_CHAT;
}

/* Makes body (malloc'd, taken) the request: scanned again so that the next guard, the
 * upstream body and a re-ask all start from it. -1 (body freed, ctx unchanged) if the
 * result does not scan, which a splice of valid literals cannot cause. */
static int request_replace_take(struct req_ctx *ctx, char *body, size_t len)
{
    struct api_scan ns;
    if (api_scan(&ns, body, len, request_shape(ctx), 1) != 0) {
        LOG_ERROR("lifecycle", "%s: a rewritten request does not scan: %s", ctx->request_id, ns.err);
        api_scan_free(&ns);
        free(body);
        return -1;
    }
    api_scan_free(&ctx->scan);
    free(ctx->raw);
    ctx->raw = body;
    ctx->raw_len = len;
    ctx->scan = ns;
    json_decref(ctx->tools_json);
    ctx->tools_json = NULL;
    return 0;
}

/* Reversible redaction: the map of a rewrite of the request is kept for the answer (never logged). */
static void keep_placeholders(struct req_ctx *ctx, struct guard_verdict *v)
{
    struct guard_placeholders *p = guard_verdict_take_placeholders(v);
    if (p == NULL)
        return;
    ctx->placeholders = util_realloc(ctx->placeholders, (ctx->n_placeholders + 1) * sizeof(*ctx->placeholders));
    ctx->placeholders[ctx->n_placeholders++] = p;
}

/* Splices a guard's rewritten texts into the request. 1 if it changed, 0 if not, -1 on failure. */
static int apply_request_rewrite(struct req_ctx *ctx, struct guard_verdict *v)
{
    keep_placeholders(ctx, v);
    if (v->texts != NULL && v->n != ctx->scan.n)
        return -1; /* made for another version of the request: applying none of it would fail open */
    if (v->texts == NULL || api_scan_changed(&ctx->scan, v->texts, v->lens, v->n) == 0)
        return 0;
    size_t len;
    char *body = api_scan_splice(&ctx->scan, ctx->raw, ctx->raw_len, v->texts, v->lens, NULL, &len);
    return request_replace_take(ctx, body, len) == 0 ? 1 : -1;
}

static void start_concurrent_checks(struct req_ctx *ctx);
static void run_input_checks(struct req_ctx *ctx);

static void on_blocking_verdict(void *ud, struct guard_verdict *v)
{
    struct req_ctx *ctx = ud;
    const struct config_guardrail *g = ctx->guards[ctx->input_pos - 1];
    ctx->input_run = NULL;
    guard_log_append(ctx, g, verdict_word(v));
    if (v->outcome == GUARD_BLOCK) {
        respond_guard_block(ctx, g, v);
        return;
    }
    if (v->outcome == GUARD_REWRITE && apply_request_rewrite(ctx, v) < 0) {
        api_error_set(&ctx->err, 500, "api_error", "internal_error", NULL, "guardrail %s: could not apply its rewrite", g->name);
        respond_error(ctx);
        return;
    }
    if (!ctx->guard_sync)
        run_input_checks(ctx);
}

/* Runs the blocking input checks in order, then starts the concurrent ones and the first attempt. */
static void run_input_checks(struct req_ctx *ctx)
{
    while (ctx->input_pos < ctx->n_guards) {
        const struct config_guardrail *g = ctx->guards[ctx->input_pos++];
        if (g->stage != CONFIG_STAGE_INPUT || g->timing != CONFIG_TIMING_BLOCKING)
            continue;
        req_set_state(ctx, REQ_STATE_INPUT_CHECKS);
        struct guard_subject s;
        subject_from_scan(ctx, &s, g, CONFIG_STAGE_INPUT);
        ctx->guard_sync = 1;
        ctx->input_run = guard_run_start(ctx->w->guards, g, &s, on_blocking_verdict, ctx); /* copies what it keeps */
        ctx->guard_sync = 0;
        if (ctx->input_run != NULL)
            return; /* asynchronous: on_blocking_verdict continues */
        if (ctx->response_started || ctx->state == REQ_STATE_CLOSED)
            return; /* blocked */
    }
    start_concurrent_checks(ctx);
    if (ctx->response_started || ctx->state == REQ_STATE_CLOSED)
        return; /* a concurrent check decided at once (local checks are synchronous) */
    start_attempt(ctx);
}

static void release_hold(struct req_ctx *ctx)
{
    if (ctx->held > 0 || ctx->req == NULL || ctx->response_started)
        return;
    if (ctx->upstream_finished) {
        finish_collected(ctx);
        return;
    }
    if (ctx->state == REQ_STATE_ATTEMPT && ctx->call != NULL && ctx->up_status >= 200 && ctx->up_status < 300 &&
        ctx->up_is_sse && !ctx->schema_hold) {
        /* the held stream goes out now; from here it is relayed as it comes */
        req_set_state(ctx, REQ_STATE_STREAMING);
        start_response(ctx, ctx->up_status, NULL, 1, SIZE_MAX);
        stream_filter_begin(ctx);
        if (ctx->sf != NULL) {
            stream_filter_feed(ctx, ctx->up_body.data ? ctx->up_body.data : "", ctx->up_body.len);
        } else {
            out_append(ctx, ctx->up_body.data ? ctx->up_body.data : "", ctx->up_body.len);
            out_flush(ctx);
        }
        util_buf_reset(&ctx->up_body);
    }
    /* otherwise the attempt goes on and on_upstream_head/done see held == 0 */
}

static void on_concurrent_verdict(void *ud, struct guard_verdict *v)
{
    struct req_guard_slot *slot = ud;
    struct req_ctx *ctx = slot->ctx;
    const struct config_guardrail *g = slot->g;
    slot->run = NULL;
    ctx->held--;
    guard_log_append(ctx, g, verdict_word(v));
    if (v->outcome == GUARD_BLOCK) {
        if (g->cancel_on_failure) {
            /* the point of concurrent mode: stop the upstream (and its token spend) now */
            respond_guard_block(ctx, g, v);
            return;
        }
        LOG_INFO("guard", "%s: %s failed (cancel_on_failure: false): %s; answer delivered", ctx->request_id, g->name, v->reason);
    } else if (v->outcome == GUARD_REWRITE) {
        /* the request in flight is not the one policy allows: abort it and send the rewritten one */
        int changed = apply_request_rewrite(ctx, v);
        if (changed < 0) {
            api_error_set(&ctx->err, 500, "api_error", "internal_error", NULL, "guardrail %s: could not apply its rewrite",
                          g->name);
            respond_error(ctx);
            return;
        }
        /* synchronously (inside start_concurrent_checks) no attempt has started yet: the first
         * attempt simply sends the rewritten request */
        if (changed && !ctx->response_started && !ctx->guard_sync) {
            cancel_upstream(ctx);
            uv_timer_stop(&ctx->timer);
            if (ctx->attempts_on_model > 0)
                ctx->attempts_on_model--; /* a re-send, not a retry */
            start_attempt(ctx);
        }
    }
    if (!ctx->guard_sync)
        release_hold(ctx);
}

static void start_concurrent_checks(struct req_ctx *ctx)
{
    ctx->n_conc = 0;
    size_t want = 0;
    for (size_t i = 0; i < ctx->n_guards; i++)
        if (ctx->guards[i]->stage == CONFIG_STAGE_INPUT && ctx->guards[i]->timing == CONFIG_TIMING_CONCURRENT)
            want++;
    if (want == 0)
        return;
    ctx->conc = util_calloc(want, sizeof(*ctx->conc));
    for (size_t i = 0; i < ctx->n_guards; i++) {
        const struct config_guardrail *g = ctx->guards[i];
        if (g->stage != CONFIG_STAGE_INPUT || g->timing != CONFIG_TIMING_CONCURRENT)
            continue;
        /* a synchronous rewrite by an earlier one changed the scan: each subject is built afresh */
        struct guard_subject s;
        subject_from_scan(ctx, &s, g, CONFIG_STAGE_INPUT);
        struct req_guard_slot *slot = &ctx->conc[ctx->n_conc++];
        slot->ctx = ctx;
        slot->g = g;
        ctx->held++;
        ctx->guard_sync = 1;
        slot->run = guard_run_start(ctx->w->guards, g, &s, on_concurrent_verdict, slot);
        ctx->guard_sync = 0;
        if (ctx->response_started || ctx->state == REQ_STATE_CLOSED)
            break;
    }
}

static void on_output_verdict(void *ud, struct guard_verdict *v);

/* The coverage settings of the guards of one stage that apply to this request: the strictest wins. */
static void coverage_of(const struct req_ctx *ctx, enum config_guard_stage st, int *any, int *unknown_refuse,
                        int *non_text_refuse)
{
    *any = *unknown_refuse = *non_text_refuse = 0;
    for (size_t i = 0; i < ctx->n_guards; i++) {
        const struct config_guardrail *g = ctx->guards[i];
        if (g->stage != st || (st == CONFIG_STAGE_OUTPUT && g->timing == CONFIG_TIMING_ASYNC_POST))
            continue;
        *any = 1;
        *unknown_refuse |= g->unknown_fields == CONFIG_COVERAGE_REFUSE;
        *non_text_refuse |= g->non_text == CONFIG_COVERAGE_REFUSE;
    }
}

static void guard_log_note(struct req_ctx *ctx, const char *note)
{
    if (ctx->guard_log.limit == 0)
        util_buf_init(&ctx->guard_log, 2048);
    if (strstr(ctx->guard_log.data ? ctx->guard_log.data : "", note) == NULL)
        util_buf_appendf(&ctx->guard_log, "%s%s", ctx->guard_log.len ? ", " : "", note);
}

/* The answer cannot be checked: it is not relayed (fail closed), 502 unverifiable_response. */
static int answer_unverifiable(struct req_ctx *ctx, const char *why)
{
    metrics_count(ctx->w->metrics, METRICS_UNVERIFIABLE_RESPONSES, 1);
    api_error_clear(&ctx->err);
    api_error_set(&ctx->err, 502, "api_error", "unverifiable_response", NULL,
                  "the upstream answer could not be checked by the output guardrails: %s", why);
    respond_error(ctx);
    return -1;
}

/* Inflates in into out (capped by out's limit) with zlib window bits wbits: Z_STREAM_END when
 * the whole input decoded to exactly one stream, else the zlib error (Z_MEM_ERROR: over the cap). */
static int inflate_body(const struct util_buf *in, int wbits, struct util_buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, wbits) != Z_OK)
        return Z_STREAM_ERROR;
    z.next_in = (Bytef *)(in->data ? in->data : "");
    z.avail_in = (uInt)in->len;
    int rc = Z_OK;
    char chunk[16384];
    while (rc == Z_OK) {
        z.next_out = (Bytef *)chunk;
        z.avail_out = sizeof(chunk);
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END)
            break;
        if (util_buf_append(out, chunk, sizeof(chunk) - z.avail_out) != 0) {
            rc = Z_MEM_ERROR;
            break;
        }
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0)
            rc = Z_BUF_ERROR; /* truncated */
    }
    if (rc == Z_STREAM_END && z.avail_in != 0)
        rc = Z_DATA_ERROR; /* bytes after the stream */
    inflateEnd(&z);
    return rc;
}

/* Decodes a gzip / deflate answer in place (up_body), capped at max_response_bytes. "deflate" is
 * zlib-wrapped by the RFC, raw in some servers: both are tried. */
static int answer_decode(struct req_ctx *ctx, int gzip, char *why, size_t whysz)
{
    static const int gzip_bits[] = {16 + MAX_WBITS}, deflate_bits[] = {MAX_WBITS, -MAX_WBITS};
    const int *bits = gzip ? gzip_bits : deflate_bits;
    size_t n_bits = gzip ? 1 : 2;
    int rc = Z_DATA_ERROR;
    for (size_t i = 0; i < n_bits && rc != Z_STREAM_END && rc != Z_MEM_ERROR; i++) {
        struct util_buf out;
        util_buf_init(&out, ctx->w->cfg->server.max_response_bytes);
        rc = inflate_body(&ctx->up_body, bits[i], &out);
        if (rc == Z_STREAM_END) {
            util_buf_free(&ctx->up_body);
            ctx->up_body = out;
            ctx->answer_decoded = 1;
            return 0;
        }
        util_buf_free(&out);
    }
    if (rc == Z_MEM_ERROR)
        snprintf(why, whysz, "the decoded answer exceeds server.max_response_bytes");
    else
        snprintf(why, whysz, "its %s encoding does not decode", gzip ? "gzip" : "deflate");
    return -1;
}

/* Makes the collected answer checkable: decoded if it has a Content-Encoding, scanned (valid
 * JSON, no duplicate keys, texts collected). Else answers 502 and returns -1. */
static int prepare_answer(struct req_ctx *ctx)
{
    char why[300];
    const char *enc = kept_header(ctx, "content-encoding");
    if (enc != NULL && *enc && strcasecmp(enc, "identity") != 0) {
        int gzip = strcasecmp(enc, "gzip") == 0 || strcasecmp(enc, "x-gzip") == 0;
        if (!gzip && strcasecmp(enc, "deflate") != 0) {
            snprintf(why, sizeof(why), "unsupported Content-Encoding \"%.40s\"", enc);
            return answer_unverifiable(ctx, why);
        }
        if (answer_decode(ctx, gzip, why, sizeof(why)) != 0)
            return answer_unverifiable(ctx, why);
    }
    api_scan_free(&ctx->answer);
    json_decref(ctx->answer_tools);
    ctx->answer_tools = NULL;
    if (api_scan(&ctx->answer, ctx->up_body.data ? ctx->up_body.data : "", ctx->up_body.len, API_SCAN_ANSWER, 1) != 0) {
        snprintf(why, sizeof(why), "%s", ctx->answer.err);
        return answer_unverifiable(ctx, why);
    }
    ctx->answer_scanned = 1;
    int any, unknown_refuse, non_text_refuse;
    coverage_of(ctx, CONFIG_STAGE_OUTPUT, &any, &unknown_refuse, &non_text_refuse);
    if (unknown_refuse && ctx->answer.unknown_path[0]) {
        snprintf(why, sizeof(why), "field %s is outside what the guardrails read (unknown_fields: refuse)",
                 ctx->answer.unknown_path);
        return answer_unverifiable(ctx, why);
    }
    if (ctx->answer.non_text) {
        if (non_text_refuse) {
            snprintf(why, sizeof(why), "%s is not text (non_text: refuse)", ctx->answer.non_text_path);
            return answer_unverifiable(ctx, why);
        }
        guard_log_note(ctx, "non_text=unchecked");
    }
    return 0;
}

static int apply_answer_rewrite(struct req_ctx *ctx, struct guard_verdict *v);

/* The originals of the request's placeholders back into the answer (restore.h). 0, or -1
 * after answering 502 (a splice that does not scan cannot come from valid literals). */
static int restore_answer(struct req_ctx *ctx)
{
    struct guard_verdict v = {0};
    if (api_restore_texts(ctx->placeholders, ctx->n_placeholders, ctx->answer.texts, ctx->answer.lens, ctx->answer.n,
                          &v.texts, &v.lens) == 0)
        return 0;
    v.n = ctx->answer.n;
    int rc = apply_answer_rewrite(ctx, &v);
    api_restore_free(v.texts, v.lens, v.n);
    if (rc < 0) {
        answer_unverifiable(ctx, "the redacted values could not be restored in the answer");
        return -1;
    }
    return 0;
}

/* Output checks on a complete answer (prepared: decoded and scanned), in declaration order;
 * then the (maybe rewritten) answer is sent. */
static void run_output_checks(struct req_ctx *ctx)
{
    while (ctx->output_pos < ctx->n_guards) {
        const struct config_guardrail *g = ctx->guards[ctx->output_pos++];
        if (g->stage != CONFIG_STAGE_OUTPUT || g->timing == CONFIG_TIMING_ASYNC_POST)
            continue;
        struct guard_subject s;
        subject_from_scan(ctx, &s, g, CONFIG_STAGE_OUTPUT);
        ctx->guard_sync = 1;
        ctx->output_run = guard_run_start(ctx->w->guards, g, &s, on_output_verdict, ctx);
        ctx->guard_sync = 0;
        if (ctx->output_run != NULL)
            return;
        if (ctx->response_started || ctx->state == REQ_STATE_CLOSED)
            return;
    }
    /* reversible redaction: the client gets the originals back, after every output check */
    if (ctx->n_placeholders > 0 && restore_answer(ctx) != 0)
        return;
    respond_full(ctx, ctx->up_status, NULL, 1, ctx->up_body.data ? ctx->up_body.data : "", ctx->up_body.len);
}

/* Splices a guard's rewritten texts into the answer and scans the result for the next guard. */
static int apply_answer_rewrite(struct req_ctx *ctx, struct guard_verdict *v)
{
    if (v->texts != NULL && v->n != ctx->answer.n)
        return -1;
    if (v->texts == NULL || api_scan_changed(&ctx->answer, v->texts, v->lens, v->n) == 0)
        return 0;
    size_t len;
    char *body = api_scan_splice(&ctx->answer, ctx->up_body.data, ctx->up_body.len, v->texts, v->lens, NULL, &len);
    struct api_scan ns;
    if (api_scan(&ns, body, len, API_SCAN_ANSWER, 1) != 0) {
        api_scan_free(&ns);
        free(body);
        return -1;
    }
    api_scan_free(&ctx->answer);
    ctx->answer = ns;
    util_buf_free(&ctx->up_body);
    util_buf_init(&ctx->up_body, SIZE_MAX);
    ctx->up_body.data = body; /* the buffer takes the spliced bytes (malloc'd, NUL-terminated) */
    ctx->up_body.len = len;
    ctx->up_body.cap = len + 1;
    json_decref(ctx->answer_tools);
    ctx->answer_tools = NULL;
    return 1;
}

static void on_output_verdict(void *ud, struct guard_verdict *v)
{
    struct req_ctx *ctx = ud;
    const struct config_guardrail *g = ctx->guards[ctx->output_pos - 1];
    ctx->output_run = NULL;
    guard_log_append(ctx, g, verdict_word(v));
    if (v->outcome == GUARD_BLOCK) {
        respond_guard_block(ctx, g, v);
        return;
    }
    if (v->outcome == GUARD_REWRITE && apply_answer_rewrite(ctx, v) < 0) {
        answer_unverifiable(ctx, "a guardrail's rewrite could not be applied");
        return;
    }
    if (!ctx->guard_sync)
        run_output_checks(ctx);
}

static void guards_cancel_all(struct req_ctx *ctx)
{
    guard_run_cancel(ctx->input_run);
    ctx->input_run = NULL;
    guard_run_cancel(ctx->output_run);
    ctx->output_run = NULL;
    for (size_t i = 0; i < ctx->n_conc; i++) {
        if (ctx->conc[i].run != NULL) {
            guard_run_cancel(ctx->conc[i].run);
            ctx->conc[i].run = NULL;
            ctx->held--;
        }
    }
    stream_filter_cancel(ctx);
}

/* async_post checks: detached runs over the request (input) or the answer (output). */
static void run_async_post_checks(struct req_ctx *ctx)
{
    char *dumped = NULL;
    for (size_t i = 0; i < ctx->n_guards; i++) {
        const struct config_guardrail *g = ctx->guards[i];
        if (g->timing != CONFIG_TIMING_ASYNC_POST)
            continue;
        if (g->stage == CONFIG_STAGE_OUTPUT && !ctx->answer_scanned) {
            /* a stream's answer comes from the stream filter as a tree; a plain one is up_body */
            const char *json = ctx->up_body.data;
            size_t len = ctx->up_body.len;
            if (ctx->sf != NULL || ctx->up_is_sse) {
                json_t *answer = stream_filter_answer(ctx);
                dumped = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
                json_decref(answer);
                json = dumped;
                len = dumped ? strlen(dumped) : 0;
            }
            if (json == NULL || api_scan(&ctx->answer, json, len, API_SCAN_ANSWER, 1) != 0) {
                api_scan_free(&ctx->answer);
                continue;
            }
            ctx->answer_scanned = 1;
            if (dumped != NULL && guard_reads_tools(g, 0))
                ctx->answer_tools = api_scan_tools_json(&ctx->answer, dumped);
        }
        struct guard_subject s;
        subject_from_scan(ctx, &s, g, g->stage);
        guard_run_async_post(ctx->w->guards, g, &s);
    }
    /* the engine copied the texts: the scan may not point into `dumped` past here */
    if (dumped != NULL) {
        api_scan_free(&ctx->answer);
        ctx->answer_scanned = 0;
        free(dumped);
    }
}

/* ---- structured output ----
 *
 * The answer must match response_format (json_object / json_schema) and, when
 * the model opts in, each tool call's arguments must match the tool's
 * parameters. A failing answer is re-asked: the conversation goes out again
 * with the invalid answer and the validation errors appended, up to
 * structured_output.max_reasks times; then the client gets 422. Streams are
 * held and checked at the end (stream: hold), or passed through and ended
 * with an SSE error event when invalid (stream: pass). */

static void structured_failed(struct req_ctx *ctx, const char *content, size_t len, const char *errors)
{
    const struct config_structured_output *so = &ctx->requested_model->structured_output;
    metrics_count(ctx->w->metrics, METRICS_SCHEMA_FAILURES, 1);
    if (ctx->reasks < so->max_reasks && !ctx->response_started && ctx->scan.messages.e > ctx->scan.messages.s) {
        char note[8192];
        snprintf(note, sizeof(note),
                 "Your previous answer was rejected because it does not match the required format: %s. "
                 "Answer again with only the corrected JSON.",
                 errors);
        /* the two messages are spliced in before the messages array's closing bracket */
        static const char asst[] = ",{\"role\":\"assistant\",\"content\":", user[] = "},{\"role\":\"user\",\"content\":";
        struct util_buf b;
        util_buf_init(&b, SIZE_MAX);
        size_t close = ctx->scan.messages.e - 1;
        util_buf_append(&b, ctx->raw, close);
        util_buf_append(&b, asst, sizeof(asst) - 1);
        util_buf_append_json_string(&b, content ? content : "", content ? len : 0);
        util_buf_append(&b, user, sizeof(user) - 1);
        util_buf_append_json_string(&b, note, strlen(note));
        util_buf_append(&b, "}", 1);
        util_buf_append(&b, ctx->raw + close, ctx->raw_len - close);
        size_t blen;
        char *body = util_buf_take(&b, &blen);
        if (request_replace_take(ctx, body, blen) != 0) {
            api_error_set(&ctx->err, 500, "api_error", "internal_error", NULL, "could not build the re-ask");
            respond_error(ctx);
            return;
        }
        ctx->reasks++;
        metrics_count(ctx->w->metrics, METRICS_SCHEMA_REASKS, 1);
        LOG_DEBUG("lifecycle", "%s re-ask %d: %s", ctx->request_id, ctx->reasks, errors);
        ctx->attempts_on_model = 0;
        ctx->tried_mask = 0;
        api_scan_free(&ctx->answer);
        ctx->answer_scanned = 0;
        start_attempt(ctx);
        return;
    }
    api_error_clear(&ctx->err);
    api_error_set(&ctx->err, 422, "invalid_response_error", "schema_validation_failed", "response_format",
                  "the model's answer did not match the requested format after %d attempt%s: %s", ctx->reasks + 1,
                  ctx->reasks ? "s" : "", errors);
    json_t *list = json_array();
    const char *p = errors;
    while (p && *p) {
        const char *sep = strstr(p, "; ");
        size_t n = sep ? (size_t)(sep - p) : strlen(p);
        json_array_append_new(list, json_stringn_nocheck(p, n));
        p = sep ? sep + 2 : NULL;
    }
    api_error_set_extra(&ctx->err, json_pack("{s:o, s:i}", "errors", list, "reasks", ctx->reasks));
    respond_error(ctx);
}

/* 0: the answer is valid (go on); -1: taken over (re-ask started or error sent). */
static int validate_structured(struct req_ctx *ctx)
{
    json_t *answer;
    if (ctx->up_is_sse) {
        answer = api_texts_answer_from_sse(ctx->up_body.data ? ctx->up_body.data : "", ctx->up_body.len);
    } else {
        json_error_t je;
        answer = json_loadb(ctx->up_body.data ? ctx->up_body.data : "", ctx->up_body.len, 0, &je);
    }
    json_t *msg = json_object_get(json_array_get(json_object_get(answer, "choices"), 0), "message");
    json_t *content = json_object_get(msg, "content");
    json_t *tool_calls = json_object_get(msg, "tool_calls");
    char *errors = NULL;
    int rc = 0;
    if (ctx->so.mode != STRUCTURED_NONE && !(json_is_array(tool_calls) && !json_is_string(content)))
        rc = structured_check_content(&ctx->so, json_string_value(content), json_string_length(content), &errors);
    if (rc == 0)
        rc = structured_check_tool_calls(&ctx->so, ctx->body, tool_calls, &errors);
    if (rc != 0) {
        char *text = util_strndup(json_string_value(content) ? json_string_value(content) : "", json_string_length(content));
        size_t len = json_string_length(content);
        json_decref(answer);
        structured_failed(ctx, text, len, errors ? errors : "invalid answer");
        free(text);
        free(errors);
        return -1;
    }
    json_decref(answer);
    return 0;
}

int lifecycle_stream_validate(struct req_ctx *ctx, const char *text, size_t len)
{
    if (ctx->so.mode == STRUCTURED_NONE)
        return 0;
    char *errors = NULL;
    if (structured_check_content(&ctx->so, text, len, &errors) == 0)
        return 0;
    structured_failed(ctx, text, len, errors ? errors : "invalid answer"); /* started: an SSE error event */
    free(errors);
    return -1;
}

/* ---- the stream filter's view of the output ---- */

void lifecycle_emit(struct req_ctx *ctx, const char *data, size_t len)
{
    out_append(ctx, data, len);
}

void lifecycle_flush(struct req_ctx *ctx)
{
    out_flush(ctx);
}

void lifecycle_end_stream(struct req_ctx *ctx)
{
    ctx->out_final = 1;
    out_flush(ctx);
}

void lifecycle_note_guard(struct req_ctx *ctx, const struct config_guardrail *g, const char *verdict)
{
    guard_log_append(ctx, g, verdict);
}

void lifecycle_block(struct req_ctx *ctx, const struct config_guardrail *g, const struct guard_verdict *v)
{
    if (g == NULL) {
        /* the stream could not be checked (too large, not SSE/JSON we can read, duplicate keys):
         * fail closed, with the same code as an answer that cannot be verified */
        cancel_upstream(ctx);
        api_error_clear(&ctx->err);
        api_error_set(&ctx->err, 502, "api_error", "unverifiable_response", NULL, "%s", v->reason);
        respond_error(ctx);
        return;
    }
    guard_log_append(ctx, g, "block");
    respond_guard_block(ctx, g, v);
}

/* ---- request intake ---- */

static void make_request_id(struct req_ctx *ctx, h2o_req_t *req)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-request-id"), -1);
    if (i >= 0) {
        h2o_iovec_t v = req->headers.entries[i].value;
        int ok = v.len > 0 && v.len < sizeof(ctx->request_id);
        for (size_t k = 0; ok && k < v.len; k++)
            ok = v.base[k] > 0x20 && v.base[k] < 0x7f && v.base[k] != '"' && v.base[k] != '\\';
        if (ok) {
            memcpy(ctx->request_id, v.base, v.len);
            ctx->request_id[v.len] = '\0';
            return;
        }
    }
    static __thread uint64_t seq;
    static __thread uint64_t salt;
    if (salt == 0)
        salt = util_now_ns() ^ ((uint64_t)ctx->w->id << 56);
    seq++;
    /* "req_" + 12 hex digits of salt + 8 of the sequence */
    memcpy(ctx->request_id, "req_", 4);
    util_fmt_hex(ctx->request_id + 4, salt, 12);
    util_fmt_hex(ctx->request_id + 16, seq, 8);
    ctx->request_id[24] = '\0';
}

/* Request intake works on the raw bytes: one pass of the scanner (texts.h) validates the
 * body, refuses duplicate keys, finds the routing fields and, when any guardrail of the
 * config reads requests, collects the texts. A jansson tree is built only for structured
 * output (response_format / tool schemas). */

static int bad_param(struct req_ctx *ctx, const char *code, const char *param_fmt, size_t idx, const char *fmt)
{
    char param[64];
    snprintf(param, sizeof(param), param_fmt, idx);
    char msg[200];
    snprintf(msg, sizeof(msg), fmt, idx);
    api_error_set(&ctx->err, 400, "invalid_request_error", code, param, "%s", msg);
    return -1;
}

static int validate_chat(struct req_ctx *ctx)
{
    const struct api_scan *sc = &ctx->scan;
    if (sc->messages.e == 0)
        return bad_param(ctx, "missing_required_parameter", "messages", 0, "you must provide a 'messages' parameter");
    if (ctx->raw[sc->messages.s] != '[')
        return bad_param(ctx, "invalid_type", "messages", 0, "'messages' must be an array");
    if (sc->bad_message >= 0 && strcmp(sc->bad_message_what, "role") == 0)
        return bad_param(ctx, "invalid_value", "messages[%zu].role", (size_t)sc->bad_message,
                         "messages[%zu] must be an object with a string 'role'");
    if (sc->bad_message >= 0)
        return bad_param(ctx, "invalid_type", "messages[%zu].content", (size_t)sc->bad_message,
                         "messages[%zu].content must be a string, an array of parts or null");
    if (sc->n_messages == 0)
        return bad_param(ctx, "empty_array", "messages", 0, "'messages' must contain at least one message");
    if (sc->stream_type != 0 && sc->stream_type != 't' && sc->stream_type != 'f' && sc->stream_type != 'n')
        return bad_param(ctx, "invalid_type", "stream", 0, "'stream' must be a boolean");
    ctx->stream = sc->stream_on;
    return 0;
}

static int validate_embeddings(struct req_ctx *ctx)
{
    const struct api_scan *sc = &ctx->scan;
    if (sc->input.e == 0)
        return bad_param(ctx, "missing_required_parameter", "input", 0, "you must provide an 'input' parameter");
    char t = ctx->raw[sc->input.s];
    if (t != '"' && t != '[')
        return bad_param(ctx, "invalid_type", "input", 0, "'input' must be a string or an array");
    return 0;
}

/* Builds the jansson tree of the request once (structured output only). */
static int body_tree(struct req_ctx *ctx)
{
    if (ctx->body != NULL)
        return 0;
    json_error_t je;
    ctx->body = json_loadb(ctx->raw, ctx->raw_len, JSON_ALLOW_NUL, &je);
    if (ctx->body == NULL)
        return api_error_set(&ctx->err, 400, "invalid_request_error", "invalid_json", NULL,
                             "could not parse the JSON body of your request: %s (line %d, column %d)", je.text, je.line,
                             je.column),
               -1;
    return 0;
}

static int span_present(const struct req_ctx *ctx, struct api_span sp)
{
    return sp.e != 0 && ctx->raw[sp.s] != 'n';
}

/* Does any guardrail of the config read requests? Then every request's texts are collected
 * in the one scan (which guards apply is known only after routing). Cached per config. */
static int config_reads_requests(const struct config *cfg)
{
    static __thread const struct config *cached_cfg;
    static __thread int cached;
    if (cached_cfg == cfg)
        return cached;
    int any = 0;
    for (size_t i = 0; i < cfg->n_guardrails && !any; i++)
        any = cfg->guardrails[i].stage == CONFIG_STAGE_INPUT;
    cached_cfg = cfg;
    cached = any;
    return any;
}

/* Parses and validates the body; on failure ctx->err is set. */
static int parse_request(struct req_ctx *ctx)
{
    if (ctx->raw_len == 0)
        return api_error_set(&ctx->err, 400, "invalid_request_error", "missing_body", NULL,
                             "the request body is empty; send a JSON object"),
               -1;
    struct api_scan *sc = &ctx->scan;
    if (api_scan(sc, ctx->raw, ctx->raw_len, request_shape(ctx), config_reads_requests(ctx->w->cfg)) != 0) {
        if (strcmp(sc->err_code, "duplicate_key") == 0)
            return api_error_set(&ctx->err, 400, "invalid_request_error", "duplicate_key", NULL, "%s", sc->err), -1;
        return api_error_set(&ctx->err, 400, "invalid_request_error", "invalid_json", NULL,
                             "could not parse the JSON body of your request: %s", sc->err),
               -1;
    }
    if (sc->model.e == 0)
        return api_error_set(&ctx->err, 400, "invalid_request_error", "missing_required_parameter", "model",
                             "you must provide a 'model' parameter"),
               -1;
    if (sc->model_name == NULL)
        return api_error_set(&ctx->err, 400, "invalid_request_error", "invalid_type", "model", "'model' must be a string"), -1;
    util_strlcpy(ctx->requested_model_name, sc->model_name, sizeof(ctx->requested_model_name));
    ctx->requested_model = sc->model_len < sizeof(ctx->requested_model_name) ? config_find_model(ctx->w->cfg, sc->model_name)
                                                                               : NULL;
    if (ctx->kind == REQ_KIND_CHAT ? validate_chat(ctx) != 0 : validate_embeddings(ctx) != 0)
        return -1;
    if (ctx->requested_model == NULL)
        return api_error_set(&ctx->err, 404, "invalid_request_error", "model_not_found", "model",
                             "the model '%s' does not exist", ctx->requested_model_name),
               -1;
    ctx->model = ctx->requested_model;
    if (ctx->kind == REQ_KIND_CHAT) {
        const struct config_structured_output *so = &ctx->requested_model->structured_output;
        if (span_present(ctx, sc->response_format) || (so->validate_tool_calls && span_present(ctx, sc->tools))) {
            if (body_tree(ctx) != 0)
                return -1;
            int flags = so->check_formats ? SCHEMA_FORMAT_ASSERT : 0;
            if (structured_spec_init(&ctx->so, ctx->body, ctx->w->schemas, flags, so->validate_tool_calls, &ctx->err) != 0)
                return -1;
            /* a non-stream request holds an SSE answer too: it is validated before anything is sent */
            ctx->schema_hold = structured_active(&ctx->so) && (!ctx->stream || so->stream_mode == CONFIG_SCHEMA_STREAM_HOLD);
        }
    }
    return 0;
}

/* What the input guards that apply cannot read (README, "What the guardrails read"): token
 * arrays, fields outside the contract under unknown_fields: refuse, non-text parts under
 * non_text: refuse are refused; non-text parts otherwise pass, noted as unchecked. */
static int check_input_coverage(struct req_ctx *ctx)
{
    int any, unknown_refuse, non_text_refuse;
    coverage_of(ctx, CONFIG_STAGE_INPUT, &any, &unknown_refuse, &non_text_refuse);
    if (!any)
        return 0;
    const struct api_scan *sc = &ctx->scan;
    if (sc->token_input)
        return api_error_set(&ctx->err, 400, "invalid_request_error", "unsupported_input", "input",
                             "'input' given as tokens cannot be checked by the guardrails that apply; send text"),
               -1;
    if (unknown_refuse && sc->unknown_path[0])
        return api_error_set(&ctx->err, 400, "invalid_request_error", "unknown_field", sc->unknown_path,
                             "field '%s' is outside what the guardrails read (unknown_fields: refuse)", sc->unknown_path),
               -1;
    if (sc->non_text && non_text_refuse)
        return api_error_set(&ctx->err, 400, "invalid_request_error", "non_text_content", sc->non_text_path,
                             "'%s' is not text and the guardrails that apply refuse what they cannot read (non_text: refuse)",
                             sc->non_text_path),
               -1;
    if (sc->non_text)
        guard_log_note(ctx, "non_text=unchecked");
    return 0;
}

int lifecycle_handle(struct server_worker *w, h2o_req_t *req, enum req_kind kind)
{
    struct req_ctx *ctx = util_calloc(1, sizeof(*ctx));
    ctx->w = w;
    ctx->req = req;
    ctx->kind = kind;
    ctx->t_start = util_now_ns();
    ctx->hangup_fd = -1;
    ctx->refs = 3; /* h2o request + two timers (I5) */
    util_buf_init(&ctx->up_body, ERROR_BODY_MAX);
    util_buf_init(&ctx->up_headers, HEADERS_KEPT_MAX);
    util_buf_init(&ctx->out_sending, SIZE_MAX);
    util_buf_init(&ctx->out_pending, SIZE_MAX);
    sse_parser_init(&ctx->sse, SSE_EVENT_MAX);
    uv_timer_init(&w->loop, &ctx->timer);
    uv_timer_init(&w->loop, &ctx->deadline);
    ctx->timer.data = ctx->deadline.data = ctx;
    make_request_id(ctx, req);
    guard_call_id(ctx->call_id, ctx, ctx->t_start);
    ctx->api_key = request_api_key(ctx);
    struct req_ctx **slot = h2o_mem_alloc_shared(&req->pool, sizeof(*slot), on_pool_dispose);
    *slot = ctx;
    ctx->next = api_worker_get(w)->requests;
    if (api_worker_get(w)->requests)
        api_worker_get(w)->requests->prev = ctx;
    api_worker_get(w)->requests = ctx;
    api_worker_inflight_enter(api_worker_get(w));

    /* h2o's entity points into its input buffer; keep our own copy (it outlives retries) */
    ctx->raw_len = req->entity.len;
    ctx->raw = util_malloc(ctx->raw_len + 1);
    if (ctx->raw_len)
        memcpy(ctx->raw, req->entity.base, ctx->raw_len);
    ctx->raw[ctx->raw_len] = '\0';

    if (w->draining) {
        api_error_set(&ctx->err, 503, "api_error", "shutting_down", NULL, "the server is shutting down");
        respond_error(ctx);
        return 0;
    }
    if (w->cfg->server.max_inflight > 0 && api_worker_inflight(api_worker_get(w)) > (uint64_t)w->cfg->server.max_inflight) {
        api_error_set(&ctx->err, 503, "api_error", "overloaded", NULL, "too many requests in flight");
        respond_error(ctx);
        return 0;
    }
    if (parse_request(ctx) != 0) {
        respond_error(ctx);
        return 0;
    }
    if (req->version < 0x200) {
        int fd = h2o_socket_get_fd(req->conn->callbacks->get_socket(req->conn));
        ctx->conn_id = req->conn->id;
        if (api_hangup_watch(api_worker_get(w)->hangup, fd, ctx->conn_id, on_hangup, ctx) == 0)
            ctx->hangup_fd = fd;
    }
    guards_resolve(ctx);
    if (check_input_coverage(ctx) != 0) {
        respond_error(ctx);
        return 0;
    }
    run_input_checks(ctx);
    return 0;
}

void lifecycle_drain_expired(struct server_worker *w)
{
    for (struct req_ctx *ctx = api_worker_get(w)->requests, *next; ctx != NULL; ctx = next) {
        next = ctx->next;
        if (ctx->state == REQ_STATE_RESPONDING || ctx->state == REQ_STATE_CLOSED)
            continue;
        api_error_clear(&ctx->err);
        api_error_set(&ctx->err, 503, "api_error", "shutting_down", NULL, "the server shut down before the answer completed");
        respond_error(ctx);
    }
}

