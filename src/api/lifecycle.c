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
 *                                            CLOSED (the receiver let go; timers closing)
 *
 *   Any state --(client gone / guardrail block / fatal error / drain time-out /
 *                timeouts.request_ms)--> RESPONDING or CLOSED
 *
 * Transitions (function that performs it):
 *   NEW -> INPUT_CHECKS            run_checks_then_attempt() when blocking input checks apply
 *   NEW/INPUT_CHECKS -> ATTEMPT    start_attempt() from lifecycle_input_checks_passed() (checks.c:
 *                                  blocking checks passed, concurrent ones started and their
 *                                  immediate verdicts in)
 *   ATTEMPT -> QUEUED              start_attempt() when the target is at max_concurrent
 *   ATTEMPT -> BACKOFF             attempt_failed() when a retry is left (or a cooling target will reopen)
 *   ATTEMPT -> ATTEMPT             attempt_failed() moving on to a fallback model; a concurrent rewrite
 *                                  (lifecycle_request_rewritten()) or a structured-output re-ask
 *                                  (lifecycle_reask())
 *   BACKOFF/QUEUED -> ATTEMPT      on_timer()
 *   ATTEMPT -> STREAMING           enter_streaming(): from on_upstream_head() for a 2xx SSE answer, from
 *                                  lifecycle_hold_released() or finish_collected() for a held one
 *   ATTEMPT -> OUTPUT_CHECKS       finish_collected() when output guardrails apply
 *   * -> RESPONDING                lifecycle_response_final(): the response writer (response.h) reports
 *                                  that the last bytes are being handed to h2o
 *   * -> CLOSED                    req_close()
 *
 * Invariants:
 *   I1. ctx->att.call != NULL only in ATTEMPT and STREAMING.
 *   I2. No byte reaches the client before STREAMING or RESPONDING; so any
 *       failure before that may be retried or fall back.
 *   I3. Once STREAMING, a failure ends the stream with an SSE error event,
 *       never with a clean [DONE].
 *   I4. ctx->req is NULL once h2o has disposed the request (client gone or
 *       response done), ctx->internal once an internal caller let go (internal.h);
 *       nothing is sent when both are NULL (lifecycle_has_receiver()).
 *   I5. The context is freed when its reference count drops to zero: one
 *       reference for the receiver (h2o request or internal handle), one for each of
 *       the three uv timers
 *       (released in their close callbacks).
 *   I6. While ctx->checks.held > 0 (concurrent input checks pending) or a stream is
 *       held for schema validation, the answer is collected, not sent.
 *   I7. ctx->scan is the scan of ctx->raw (texts.h), and the body sent upstream is
 *       ctx->raw with only its one "model" value replaced (and a canary's note placed,
 *       api/canary.h: the one text that guards never see): guard rewrites and re-asks
 *       are spliced into ctx->raw and scanned again (intake_replace_body()), so the
 *       request routed, checked and billed is the one the upstream reads.
 *   I8. A 2xx chat answer is relayed unchecked only when no output guardrail applies;
 *       otherwise it goes through the stream filter (SSE, whatever the client asked)
 *       or answer_prepare() (decoded, scanned), or it is refused with 502
 *       unverifiable_response.
 *
 * Only req_set_state() changes ctx->state; it logs each transition at debug
 * level. The parts report events here and never touch the state: intake.c (the
 * context, parsing), attempt_plan.c (pure decisions) and attempt.c (one upstream
 * call), checks.c (guardrail runs), answer.c (a complete answer checked), reask.c
 * (structured output), response.c (the writer: h2o or internal.c's callbacks),
 * stream_filter.c (behind its sink); so do the upstream client and the timers. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/answer.h"
#include "api/attempt_plan.h"
#include "api/attempt.h"
#include "api/audit_hook.h"
#include "api/checks.h"
#include "api/hangup.h"
#include "api/intake.h"
#include "api/lifecycle_int.h"
#include "api/reask.h"
#include "api/response.h"
#include "api/stream_filter.h"
#include "api/worker.h"
#include "guard/engine.h"
#include "metrics/metrics.h"
#include "server/server.h"
#include "upstream/client.h"
#include "upstream/router.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#define OUT_PAUSE_BYTES (256 * 1024)
/* A stream pauses its upstream earlier: a client that stops reading costs about twice this
 * (h2o's buffer and ours), so 50 such clients stay within a few MB. proceed resumes it. */
#define STREAM_PAUSE_BYTES (32 * 1024)
#define QUEUE_POLL_MS 5

static const char *state_names[] = {"NEW",           "INPUT_CHECKS", "ATTEMPT",    "BACKOFF", "QUEUED",
                                    "OUTPUT_CHECKS", "STREAMING",    "RESPONDING", "CLOSED"};

static void start_attempt(struct req_ctx *ctx);
static void attempt_failed(struct req_ctx *ctx, int err, const char *why);
static void req_close(struct req_ctx *ctx);
static void arm_deadline(struct req_ctx *ctx, int ms, int kind);

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
    intake_ctx_free(ctx);
}

static void on_timer_closed(uv_handle_t *h)
{
    req_unref(h->data);
}

/* Stops the call and ends the attempt on its target with outcome o. */
static void abort_attempt(struct req_ctx *ctx, enum router_outcome o)
{
    attempt_stop_call(ctx);
    attempt_end_on_target(ctx, o, 0);
}

/* Warden gives up on the upstream call (client gone, guardrail, drain): no verdict on the target. */
static void cancel_upstream(struct req_ctx *ctx)
{
    if (ctx->att.call != NULL)
        metrics_count(ctx->w->metrics, METRICS_UPSTREAM_CANCELLED, 1);
    abort_attempt(ctx, ROUTER_CANCELLED);
}

/* Ends everything the request started; idempotent. Called on every exit path:
 * normal completion (from dispose), client gone, drain, fatal errors. */
static void req_close(struct req_ctx *ctx)
{
    if (ctx->state == REQ_STATE_CLOSED)
        return;
    cancel_upstream(ctx);
    checks_cancel_all(ctx);
    if (!ctx->client_gone && ctx->out.status >= 200 && ctx->out.status < 300)
        checks_run_async_post(ctx);
    uv_timer_stop(&ctx->timer);
    attempt_queue_leave(ctx);
    if (ctx->hangup_fd >= 0) {
        api_hangup_unwatch(api_worker_get(ctx->w)->hangup, ctx->hangup_fd, ctx->conn_id);
        ctx->hangup_fd = -1;
    }
    req_set_state(ctx, REQ_STATE_CLOSED);
    if (ctx->client_gone)
        metrics_count(ctx->w->metrics, METRICS_CLIENT_DISCONNECTS, 1);
    metrics_request_done(ctx->w->metrics, ctx->kind == REQ_KIND_EMBEDDINGS ? METRICS_ROUTE_EMBEDDINGS : METRICS_ROUTE_CHAT,
                         ctx->client_gone && !ctx->out.status ? 499 : ctx->out.status, (util_now_ns() - ctx->timing.t_start) / 1000);
    response_access_log(ctx);
    lifecycle_audit(ctx);
    if (h2o_linklist_is_linked(&ctx->worker_link))
        h2o_linklist_unlink(&ctx->worker_link);
    uv_close((uv_handle_t *)&ctx->timer, on_timer_closed);
    uv_close((uv_handle_t *)&ctx->deadline, on_timer_closed);
    uv_close((uv_handle_t *)&ctx->request_deadline, on_timer_closed);
    api_worker_inflight_leave(api_worker_get(ctx->w));
}

/* The client went away (h2o stopped or disposed the request, or the socket hung up). */
static void req_client_gone(struct req_ctx *ctx)
{
    if (ctx->state == REQ_STATE_CLOSED)
        return;
    ctx->client_gone = 1;
    cancel_upstream(ctx);
    checks_cancel_all(ctx);
}

/* The receiver lets go (h2o disposed the request; an internal caller got its answer or cancelled). */
static void req_release(struct req_ctx *ctx)
{
    if (ctx->state != REQ_STATE_RESPONDING)
        req_client_gone(ctx);
    ctx->req = NULL;
    ctx->internal = NULL;
    req_close(ctx);
    req_unref(ctx);
}

static void on_pool_dispose(void *p)
{
    req_release(*(struct req_ctx **)p);
}

void lifecycle_internal_release(struct req_ctx *ctx)
{
    req_release(ctx);
}

static void on_hangup(void *ud)
{
    struct req_ctx *ctx = ud;
    ctx->hangup_fd = -1; /* the watcher already forgot this request */
    if (ctx->state == REQ_STATE_RESPONDING || ctx->state == REQ_STATE_CLOSED)
        return;
    req_client_gone(ctx);
    /* h2o is not reading this socket: make it notice by writing; the write fails and h2o disposes the request */
    if (ctx->req != NULL && !ctx->out.started) {
        api_error_set(&ctx->err, 499, "api_error", "client_closed_request", NULL, "client closed the request");
        lifecycle_respond_error(ctx);
    } else if (ctx->req != NULL) {
        response_end(ctx, 1);
    }
}

/* The response writer's reports (response.h). */
void lifecycle_response_final(struct req_ctx *ctx)
{
    req_set_state(ctx, REQ_STATE_RESPONDING);
}

void lifecycle_response_stopped(struct req_ctx *ctx)
{
    if (ctx->state != REQ_STATE_RESPONDING)
        req_client_gone(ctx);
}

void lifecycle_response_drained(struct req_ctx *ctx)
{
    if (ctx->up.paused && ctx->out.pending.len < OUT_PAUSE_BYTES / 2 && ctx->att.call != NULL) {
        ctx->up.paused = 0;
        upstream_call_resume(ctx->att.call);
    }
}

/* Ends the request with ctx->err (response_error): no upstream call goes on after it. */
void lifecycle_respond_error(struct req_ctx *ctx)
{
    cancel_upstream(ctx);
    response_error(ctx);
}

/* ---- the one way into STREAMING ---- */

enum enter_streaming_how {
    ENTER_STREAMING_FRESH,    /* the head of a 2xx SSE answer that nothing holds */
    ENTER_STREAMING_HELD,     /* a held stream, the upstream still sending: collected bytes first */
    ENTER_STREAMING_COMPLETE, /* a whole stream collected while held: all of it, then its end */
};

/* The answer starts toward the client as a stream, through the output checks (I8); from
 * here a failure ends the stream with an SSE error event (I3). */
static void enter_streaming(struct req_ctx *ctx, enum enter_streaming_how how)
{
    req_set_state(ctx, REQ_STATE_STREAMING);
    response_start(ctx, ctx->up.status, NULL, 1, SIZE_MAX);
    checks_stream_sink_fill(ctx); /* what the input checks left (placeholders) is known only now */
    stream_filter_begin(&ctx->sink);
    if (how == ENTER_STREAMING_FRESH)
        return;
    const char *data = ctx->up.body.data ? ctx->up.body.data : "";
    lifecycle_stream_relay(ctx, data, ctx->up.body.len); /* audit_hook.h: the usage tap, then the filter or the writer */
    if (how == ENTER_STREAMING_COMPLETE)
        lifecycle_stream_relay_end(ctx);
    if (ctx->sink.sf != NULL) {
        if (how == ENTER_STREAMING_COMPLETE && ctx->state == REQ_STATE_STREAMING && !ctx->out.final)
            stream_filter_finish(&ctx->sink);
    } else {
        if (how == ENTER_STREAMING_COMPLETE)
            response_end(ctx, 0);
        else
            response_flush(ctx);
    }
    if (how == ENTER_STREAMING_HELD)
        util_buf_reset(&ctx->up.body); /* from here it is relayed as it comes */
}

/* ---- upstream attempt ---- */

static int on_upstream_head(struct upstream_call *call, void *ud, int status, const struct upstream_header *hs, size_t n)
{
    struct req_ctx *ctx = ud;
    attempt_record_head(ctx, status, hs, n);
    /* "stream or not" is what the upstream sent, not what the client asked: an SSE answer to a
     * non-stream request is a stream too, and goes through the stream filter */
    if (status >= 200 && status < 300 && ctx->up.is_sse && lifecycle_has_receiver(ctx) && ctx->checks.held == 0 && !ctx->schema_hold) {
        enter_streaming(ctx, ENTER_STREAMING_FRESH);
    }
    return 0;
}

/* The answer cannot be used (over a size cap): the attempt ends here, since the call is
 * cancelled and reports nothing more. ctx->err says why. */
static int body_unusable(struct req_ctx *ctx)
{
    abort_attempt(ctx, ROUTER_FAILED);
    lifecycle_respond_error(ctx);
    return UPSTREAM_BODY_CANCEL;
}

static int on_upstream_body(struct upstream_call *call, void *ud, const char *data, size_t len)
{
    struct req_ctx *ctx = ud;
    attempt_record_first_byte(ctx);
    const struct config_target *tc = router_target_config(ctx->att.target);
    if (tc->timeouts.idle_ms > 0)
        arm_deadline(ctx, tc->timeouts.idle_ms, DEADLINE_IDLE);
    else
        uv_timer_stop(&ctx->deadline);
    if (ctx->state == REQ_STATE_STREAMING) {
        if (ctx->sink.sf != NULL) {
            /* the stream filter parses the events itself ([DONE], errors, text) */
            lifecycle_stream_relay(ctx, data, len);
            if (ctx->att.call == NULL)
                return UPSTREAM_BODY_CANCEL; /* a check ended the stream */
        } else {
            if (sse_parser_feed(&ctx->up.sse, data, len, attempt_on_sse_event, ctx) != 0 && ctx->up.sse.overflow) {
                api_error_set(&ctx->err, 502, "api_error", "upstream_bad_stream", NULL,
                              "upstream sent an SSE event over %d bytes", LIFECYCLE_SSE_EVENT_MAX);
                return body_unusable(ctx);
            }
            lifecycle_stream_relay(ctx, data, len);
            response_flush(ctx);
        }
        if (ctx->out.pending.len >= STREAM_PAUSE_BYTES) {
            ctx->up.paused = 1;
            return UPSTREAM_BODY_PAUSE;
        }
        return UPSTREAM_BODY_CONTINUE;
    }
    /* not streaming to the client: the whole answer is collected (it may be retried, checked, validated) */
    return attempt_collect(ctx, data, len) == 0 ? UPSTREAM_BODY_CONTINUE : body_unusable(ctx);
}

static void finish_collected(struct req_ctx *ctx);
static void on_upstream_done(struct upstream_call *call, void *ud, int err, const char *message)
{
    struct req_ctx *ctx = ud;
    ctx->att.call = NULL;
    uv_timer_stop(&ctx->deadline);
    ctx->timing.upstream_ns += util_now_ns() - ctx->timing.call_started_at;
    ctx->timing.call_started_at = 0;
    if (ctx->state == REQ_STATE_STREAMING) {
        if (err == 0 && ctx->up.saw_done) {
            attempt_end_on_target(ctx, ROUTER_OK, 0);
            lifecycle_stream_relay_end(ctx);
            if (ctx->sink.sf != NULL) {
                stream_filter_finish(&ctx->sink);
            } else {
                response_end(ctx, 0);
            }
            return;
        }
        attempt_stream_failed(ctx, err, message);
        lifecycle_respond_error(ctx);
        return;
    }
    if (err != 0) {
        attempt_failed(ctx, err, message);
        return;
    }
    if (attempt_usage_refused(ctx)) {
        lifecycle_request_rewritten(ctx); /* sent again without the include_usage Warden added */
        return;
    }
    if (attempt_plan_status_retryable(ctx->up.status)) {
        attempt_failed(ctx, WARDEN_EUPSTREAM, NULL);
        return;
    }
    if (ctx->up.is_sse && ctx->up.status >= 200 && ctx->up.status < 300 && !ctx->up.saw_done) {
        /* collected (held) stream that was cut: nothing was sent yet, so it can be retried (I2) */
        attempt_failed(ctx, WARDEN_EUPSTREAM, "upstream stream ended without [DONE]");
        return;
    }
    attempt_end_on_target(ctx, ROUTER_OK, 0);
    ctx->upstream_finished = 1;
    if (ctx->checks.held == 0)
        finish_collected(ctx);
}

/* A complete, non-retryable upstream answer is in ctx->up.body and no concurrent check holds it. */
static void finish_collected(struct req_ctx *ctx)
{
    if (ctx->up.status >= 200 && ctx->up.status < 300 && structured_active(&ctx->so) && reask_check_answer(ctx) != 0)
        return; /* re-asked, or answered 422 */
    if (ctx->up.status >= 200 && ctx->up.status < 300 && ctx->up.is_sse) {
        enter_streaming(ctx, ENTER_STREAMING_COMPLETE);
        return;
    }
    if (ctx->up.status >= 200 && ctx->up.status < 300 && ctx->kind == REQ_KIND_CHAT &&
        (checks_gate_output(ctx) || ctx->checks.n_placeholders > 0)) {
        req_set_state(ctx, REQ_STATE_OUTPUT_CHECKS);
        ctx->checks.output_pos = 0;
        if (answer_prepare(ctx) != 0)
            return; /* answered 502 unverifiable_response */
        checks_run_output(ctx);
        return;
    }
    attempt_scrub_relayed_error(ctx);
    lifecycle_respond_answer(ctx);
}

static void on_deadline(uv_timer_t *t)
{
    struct req_ctx *ctx = t->data;
    const char *what = ctx->deadline_kind == DEADLINE_FIRST_BYTE ? "first_byte_ms" : "idle_ms";
    if (ctx->att.call == NULL)
        return;
    metrics_count(ctx->w->metrics, METRICS_UPSTREAM_TIMEOUTS, 1);
    char why[128];
    snprintf(why, sizeof(why), "upstream time-out (%s)", what);
    if (ctx->state == REQ_STATE_STREAMING) {
        abort_attempt(ctx, ROUTER_FAILED);
        api_error_set(&ctx->err, 504, "api_error", "upstream_timeout", NULL, "%s while streaming", why);
        lifecycle_respond_error(ctx);
        return;
    }
    attempt_stop_call(ctx);
    attempt_failed(ctx, WARDEN_ETIMEDOUT, why);
}

static void arm_deadline(struct req_ctx *ctx, int ms, int kind)
{
    ctx->deadline_kind = kind;
    uv_timer_start(&ctx->deadline, on_deadline, (uint64_t)ms, 0);
}

static const struct upstream_call_callbacks call_callbacks = {on_upstream_head, on_upstream_body, on_upstream_done};

static void on_timer(uv_timer_t *t);

static void start_attempt(struct req_ctx *ctx)
{
    ctx->upstream_finished = 0;
    uint64_t wait_ms = 0;
    struct router_target *t = router_pick(ctx->w->router, ctx->model, ctx->att.tried_mask, &wait_ms);
    if (t == NULL) {
        /* every target of this model is cooling down */
        char why[160];
        snprintf(why, sizeof(why), "every target of model %s is cooling down", ctx->model->name);
        ctx->att.cooling_wait_ms = wait_ms;
        attempt_failed(ctx, WARDEN_EOVERLOAD, why);
        return;
    }
    switch (attempt_slot_take(ctx, t)) {
    case ATTEMPT_SLOT_REFUSED:
        lifecycle_respond_error(ctx);
        return;
    case ATTEMPT_SLOT_QUEUED:
        req_set_state(ctx, REQ_STATE_QUEUED);
        uv_timer_start(&ctx->timer, on_timer, QUEUE_POLL_MS, 0);
        return;
    case ATTEMPT_SLOT_TAKEN:
        break;
    }
    req_set_state(ctx, REQ_STATE_ATTEMPT); /* upstream calls never report inside their start */
    ctx->att.call = attempt_call_start(ctx, t, &call_callbacks);
    if (ctx->att.call == NULL) {
        attempt_failed(ctx, WARDEN_ENOMEM, "could not start the upstream call");
        return;
    }
    const struct config_target *tc = router_target_config(t);
    if (tc->timeouts.first_byte_ms > 0)
        arm_deadline(ctx, tc->timeouts.first_byte_ms, DEADLINE_FIRST_BYTE);
}

/* An attempt failed before any byte reached the client (I2): retry, fall back or give up. */
static void attempt_failed(struct req_ctx *ctx, int err, const char *why)
{
    int status = err == WARDEN_EUPSTREAM && why == NULL ? ctx->up.status : 0;
    uint64_t retry_after = 0;
    if (status == 429 || status == 503)
        retry_after = attempt_plan_retry_after_ms(attempt_upstream_header(ctx, "retry-after"), time(NULL));
    attempt_end_on_target(ctx, err == WARDEN_EOVERLOAD ? ROUTER_CANCELLED : ROUTER_FAILED, retry_after);
    if (!lifecycle_has_receiver(ctx) || ctx->client_gone)
        return;

    attempt_record_failure(ctx, err, why, status);
    struct attempt_progress p = {ctx->model,         ctx->requested_model, ctx->att.target_retry, ctx->att.attempts_on_model,
                                 ctx->att.cooling_waits, ctx->att.fallback_pos,    ctx->att.fallbacks_taken};
    struct attempt_failure f = {err == WARDEN_EOVERLOAD, ctx->att.cooling_wait_ms, status, retry_after, ctx->up.body.data,
                                ctx->up.body.len};
    static __thread uint64_t seed;
    if (seed == 0)
        seed = util_now_ns() | 1;
    struct attempt_decision d;
    attempt_plan_after_failure(&p, &f, &seed, &d);
    if (d.next == ATTEMPT_NEXT_WAIT_COOLING || d.next == ATTEMPT_NEXT_RETRY) {
        if (d.next == ATTEMPT_NEXT_WAIT_COOLING)
            ctx->att.cooling_waits++;
        ctx->timing.backoff_started = util_now_ns();
        ctx->timing.backoff_until = ctx->timing.backoff_started + d.wait_ms * 1000000u;
        req_set_state(ctx, REQ_STATE_BACKOFF);
        LOG_DEBUG("lifecycle", "%s retry %d in %llu ms", ctx->request_id, ctx->att.attempts_on_model, (unsigned long long)d.wait_ms);
        uv_timer_start(&ctx->timer, on_timer, d.wait_ms, 0);
        return;
    }
    if (d.fallback_from_list)
        ctx->att.fallback_pos++;
    if (d.next == ATTEMPT_NEXT_FALLBACK) {
        ctx->att.fallbacks_taken++;
        metrics_count(ctx->w->metrics, METRICS_FALLBACKS, 1);
        LOG_DEBUG("lifecycle", "%s falling back from %s to %s", ctx->request_id, ctx->model->name, d.fallback_to->name);
        ctx->model = d.fallback_to;
        ctx->att.attempts_on_model = 0;
        ctx->att.cooling_waits = 0;
        ctx->att.tried_mask = 0;
        ctx->att.target_retry = NULL;
        start_attempt(ctx);
        return;
    }
    if (ctx->att.last_failure_is_http) {
        /* the upstream's own error, status and body as it sent them (secrets scrubbed) */
        attempt_scrub_relayed_error(ctx);
        lifecycle_respond_answer(ctx);
        return;
    }
    if (err == WARDEN_EOVERLOAD && ctx->att.cooling_wait_ms > 0)
        ctx->att.retry_after_hint_s = (int)((ctx->att.cooling_wait_ms + 999) / 1000);
    lifecycle_respond_error(ctx);
}

static void on_timer(uv_timer_t *t)
{
    struct req_ctx *ctx = t->data;
    if (ctx->state == REQ_STATE_BACKOFF) {
        /* libuv counts the wait from the loop's cached time, read when this loop turn began
         * (later work in the turn, a loaded machine, a coarse clock: milliseconds earlier),
         * while a Retry-After cooldown ends by util_now_ns(). A timer that fires before the
         * cooldown ends finds the target still cooling and spends one of the request's
         * cooling waits on nothing (its last one: 503). The rest of the wait, then the attempt. */
        uint64_t now = util_now_ns();
        if (now < ctx->timing.backoff_until) {
            uv_timer_start(&ctx->timer, on_timer, (ctx->timing.backoff_until - now + 999999u) / 1000000u, 0);
            return;
        }
        ctx->timing.waited_ns += now - ctx->timing.backoff_started;
    }
    if (ctx->state == REQ_STATE_BACKOFF || ctx->state == REQ_STATE_QUEUED)
        start_attempt(ctx);
}

/* ---- events from the parts (checks.h, answer.h, reask.h) ---- */

static void run_checks_then_attempt(struct req_ctx *ctx)
{
    if (checks_input_blocking(ctx) > 0)
        req_set_state(ctx, REQ_STATE_INPUT_CHECKS);
    checks_run_input(ctx); /* lifecycle_input_checks_passed() when they all passed */
}

void lifecycle_input_checks_passed(struct req_ctx *ctx)
{
    /* a request that was answered meanwhile (drain, an error) has nothing to start */
    if (ctx->state != REQ_STATE_NEW && ctx->state != REQ_STATE_INPUT_CHECKS)
        return;
    start_attempt(ctx);
}

void lifecycle_request_rewritten(struct req_ctx *ctx)
{
    /* before the first attempt there is nothing to re-send (it will send the rewritten request);
     * once the answer is on its way, nothing to redo */
    if (ctx->state != REQ_STATE_ATTEMPT && ctx->state != REQ_STATE_BACKOFF && ctx->state != REQ_STATE_QUEUED)
        return;
    /* the request in flight is not the one policy allows: abort it and send the rewritten one */
    cancel_upstream(ctx);
    uv_timer_stop(&ctx->timer);
    if (ctx->att.attempts_on_model > 0)
        ctx->att.attempts_on_model--; /* a re-send, not a retry */
    start_attempt(ctx);
}

void lifecycle_reask(struct req_ctx *ctx)
{
    ctx->att.attempts_on_model = 0;
    ctx->att.tried_mask = 0;
    start_attempt(ctx);
}

void lifecycle_respond_answer(struct req_ctx *ctx)
{
    uv_timer_stop(&ctx->deadline);
    response_full(ctx, ctx->up.status, NULL, 1, ctx->up.body.data ? ctx->up.body.data : "", ctx->up.body.len);
}

void lifecycle_hold_released(struct req_ctx *ctx)
{
    if (ctx->checks.held > 0 || !lifecycle_has_receiver(ctx) || ctx->out.started)
        return;
    if (ctx->upstream_finished) {
        finish_collected(ctx);
        return;
    }
    if (ctx->state == REQ_STATE_ATTEMPT && ctx->att.call != NULL && ctx->up.status >= 200 && ctx->up.status < 300 &&
        ctx->up.is_sse && !ctx->schema_hold) {
        enter_streaming(ctx, ENTER_STREAMING_HELD);
    }
    /* otherwise the attempt goes on and on_upstream_head/done see held == 0 */
}

/* timeouts.request_ms passed: whatever runs (checks, an attempt, a backoff, a queue wait, a
 * re-ask) stops, and the client gets 504 request_timeout - an SSE error event once a stream
 * has started (I3). */
static void on_request_deadline(uv_timer_t *t)
{
    struct req_ctx *ctx = t->data;
    if (ctx->state == REQ_STATE_RESPONDING || ctx->state == REQ_STATE_CLOSED || !lifecycle_has_receiver(ctx))
        return;
    metrics_count(ctx->w->metrics, METRICS_UPSTREAM_TIMEOUTS, 1);
    checks_cancel_all(ctx);
    uv_timer_stop(&ctx->timer);
    attempt_queue_leave(ctx);
    api_error_replace(&ctx->err, 504, "api_error", "request_timeout", NULL,
                      "the request did not complete within timeouts.request_ms (%d ms)",
                      ctx->requested_model->timeouts.request_ms);
    lifecycle_respond_error(ctx);
}

/* What every request does after intake, HTTP or internal. */
static void req_start(struct req_ctx *ctx)
{
    struct server_worker *w = ctx->w;
    ctx->refs = 4; /* the receiver + three timers (I5) */
    uv_timer_init(&w->loop, &ctx->timer);
    uv_timer_init(&w->loop, &ctx->deadline);
    uv_timer_init(&w->loop, &ctx->request_deadline);
    ctx->timer.data = ctx->deadline.data = ctx->request_deadline.data = ctx;
    h2o_linklist_insert(&api_worker_get(w)->requests, &ctx->worker_link);
    api_worker_inflight_enter(api_worker_get(w));
    if (w->draining) {
        api_error_set(&ctx->err, 503, "api_error", "shutting_down", NULL, "the server is shutting down");
        lifecycle_respond_error(ctx);
        return;
    }
    if (w->cfg->server.max_inflight > 0 && api_worker_inflight(api_worker_get(w)) > (uint64_t)w->cfg->server.max_inflight) {
        api_error_set(&ctx->err, 503, "api_error", "overloaded", NULL, "too many requests in flight");
        lifecycle_respond_error(ctx);
        return;
    }
    if (intake_parse(ctx) != 0) {
        lifecycle_respond_error(ctx);
        return;
    }
    int request_ms = ctx->requested_model->timeouts.request_ms;
    if (request_ms > 0) {
        uint64_t spent_ms = (util_now_ns() - ctx->timing.t_start) / 1000000;
        uv_timer_start(&ctx->request_deadline, on_request_deadline, (uint64_t)request_ms > spent_ms ? request_ms - spent_ms : 0, 0);
    }
    h2o_req_t *req = ctx->req;
    if (req != NULL && req->version < 0x200) {
        int fd = h2o_socket_get_fd(req->conn->callbacks->get_socket(req->conn));
        ctx->conn_id = req->conn->id;
        if (api_hangup_watch(api_worker_get(w)->hangup, fd, ctx->conn_id, on_hangup, ctx) == 0)
            ctx->hangup_fd = fd;
    }
    checks_resolve(ctx);
    checks_stream_sink_fill(ctx);
    if (intake_check_coverage(ctx) != 0) {
        lifecycle_respond_error(ctx);
        return;
    }
    run_checks_then_attempt(ctx);
}

int lifecycle_handle(struct server_worker *w, h2o_req_t *req, enum req_kind kind)
{
    struct req_ctx *ctx = intake_ctx_new(w, kind, &req->headers, req->entity.base, req->entity.len, NULL);
    ctx->req = req;
    ctx->api_key = intake_api_key(ctx);
    struct req_ctx **slot = h2o_mem_alloc_shared(&req->pool, sizeof(*slot), on_pool_dispose);
    *slot = ctx;
    req_start(ctx);
    return 0;
}

struct req_ctx *lifecycle_internal_start(struct server_worker *w, enum req_kind kind, const char *body, size_t len,
                                         const struct api_internal_opts *opts, struct api_internal *h)
{
    struct req_ctx *ctx = intake_ctx_new(w, kind, NULL, body, len, opts);
    ctx->internal = h;
    req_start(ctx);
    return ctx;
}

void lifecycle_drain_expired(struct server_worker *w)
{
    for (h2o_linklist_t *l = api_worker_get(w)->requests.next, *next; l != &api_worker_get(w)->requests; l = next) {
        next = l->next;
        struct req_ctx *ctx = H2O_STRUCT_FROM_MEMBER(struct req_ctx, worker_link, l);
        if (ctx->state == REQ_STATE_RESPONDING || ctx->state == REQ_STATE_CLOSED)
            continue;
        api_error_replace(&ctx->err, 503, "api_error", "shutting_down", NULL, "the server shut down before the answer completed");
        lifecycle_respond_error(ctx);
    }
}

