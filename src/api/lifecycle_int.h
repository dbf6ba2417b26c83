/* Internal to api/: the request context and the lifecycle entry points. */
#ifndef WARDEN_API_LIFECYCLE_INT_H
#define WARDEN_API_LIFECYCLE_INT_H

#include <h2o.h>
#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "api/error.h"
#include "api/request_id.h"
#include "api/response.h"
#include "api/sse.h"
#include "api/stream_filter.h"
#include "api/structured.h"
#include "api/texts.h"
#include "api/usage.h"
#include "config/config.h"
#include "guard/canary.h"
#include "guard/engine.h"
#include "util/buf.h"
#include "util/defer.h"

struct server_worker;
struct guard_run;
struct upstream_call;
struct router_target;
struct guard_placeholders;

enum req_kind { REQ_KIND_CHAT, REQ_KIND_EMBEDDINGS };

enum req_state {
    REQ_STATE_NEW,          /* parsed and validated; nothing started */
    REQ_STATE_INPUT_CHECKS, /* blocking input guardrails running; the upstream call waits */
    REQ_STATE_ATTEMPT,    /* an upstream call is in flight; nothing sent to the client */
    REQ_STATE_BACKOFF,    /* waiting (timer) before the next attempt */
    REQ_STATE_QUEUED,     /* waiting (timer polls) for a slot on a target at max_concurrent */
    REQ_STATE_OUTPUT_CHECKS, /* the whole answer is here; output guardrails running before it is sent */
    REQ_STATE_STREAMING,  /* the response has started toward the client; relaying */
    REQ_STATE_RESPONDING, /* the last bytes were handed to h2o; waiting for it to finish */
    REQ_STATE_CLOSED,     /* everything released; memory waits for the timers' close callbacks */
};

enum { DEADLINE_FIRST_BYTE = 1, DEADLINE_IDLE = 2 };

#define LIFECYCLE_SSE_EVENT_MAX (1024 * 1024) /* an upstream SSE event larger than this ends the attempt */
#define LIFECYCLE_ERROR_BODY_MAX (256 * 1024) /* an upstream error body is kept up to this */
#define LIFECYCLE_HEADERS_KEPT_MAX (32 * 1024) /* the upstream answer's headers are kept up to this */

struct req_ctx {
    struct server_worker *w;
    h2o_req_t *req; /* NULL once h2o disposed the request (I4); always NULL for an internal one */
    struct api_internal *internal; /* an internal request's handle (internal.h); NULL for HTTP */
    int refs;
    enum req_state state;
    enum req_kind kind;
    char request_id[API_REQUEST_ID_SIZE];
    char parent_request_id[API_REQUEST_ID_SIZE]; /* an internal request's parent (access log, audit); "" if none */
    char call_id[GUARD_CALL_ID_SIZE]; /* guard_subject.call_id (litellm_call_id) of every check, streams too */
    char requested_model_name[128];
    char target_label[256];

    /* the request */
    char *raw; /* the request body: the client's bytes, with guardrail rewrites and re-asks spliced in */
    size_t raw_len;
    struct api_scan scan; /* of raw: routing fields, the texts guards read and their spans (texts.h) */
    json_t *tools_json;   /* the request's tools, parsed only for a `tools` guard */
    json_t *body;         /* a tree of the request, only when structured output needs one */
    int stream;
    const struct config_model *requested_model;
    const struct config_model *model; /* current (changes on fallback) */

    /* attempts */
    struct req_attempts {
        struct upstream_call *call;
        struct router_target *target;
        struct router_target *queued_on;
        const struct config_retry *target_retry;
        uint64_t tried_mask;
        int attempts, attempts_on_model;
        uint64_t cooling_wait_ms;
        int cooling_waits; /* waits for a cooling target to reopen (bounded by retries.max) */
        int retry_after_hint_s;
        int last_failure_is_http;
        size_t fallback_pos;
        int fallbacks_taken;
    } att;

    /* the current attempt's upstream exchange */
    struct req_upstream {
        char *request_body; /* what was sent (the request with the target's model and Warden's edits) */
        size_t request_body_len;
        int status;
        int is_sse;
        int saw_done, saw_error_event;
        int paused;
        struct util_buf body;    /* collected answer (non-streaming) or error body */
        struct util_buf headers; /* "name\0value\0" pairs of the upstream response */
        struct sse_parser sse;
    } up;

    /* the lifecycle's timers */
    uv_timer_t timer;    /* backoff and queue polling */
    uv_timer_t deadline; /* first_byte_ms / idle_ms of the current attempt */
    uv_timer_t request_deadline; /* timeouts.request_ms: the whole request, across attempts */
    int deadline_kind;

    /* timing (ns, monotonic) */
    struct req_timing {
        uint64_t t_start, t_attempt, t_head, t_first_byte;
        uint64_t call_started_at, upstream_ns, waited_ns, backoff_started, queued_since;
        /* when a backoff ends by util_now_ns(), the clock the router's cooldowns use; the
         * timer (libuv's cached loop time) may fire a few ms before it */
        uint64_t backoff_until;
    } timing;

    /* output (response.h) */
    struct response_writer out;
    unsigned client_gone : 1;
    struct api_error err;
    int hangup_fd;
    uint64_t conn_id;

    /* guardrails (checks.c; the requested model's, or the defaults, after `when:`) */
    struct req_checks {
        const struct config_guardrail **guards; /* owned array */
        size_t n_guards;
        size_t input_pos;            /* next blocking input guard */
        int warmed_pool;             /* this request woke the worker's carrier (checks_warm_pool): it releases it */
        struct guard_run *input_run; /* the blocking input check in flight */
        /* a later blocking check that waits for the pool, started with the first (checks.c, early_start) */
        struct req_early_check {
            unsigned char state;        /* EARLY_NONE, _RUNNING, _WAITED (its turn came: input_run), _DONE (verdict kept), _DUE (delivered next) */
            size_t pos;                 /* its place in guards */
            unsigned rewrites;          /* `rewrites` when it started */
            struct guard_run *run;      /* while RUNNING */
            struct guard_verdict verdict; /* DONE / DUE: its verdict, moved out of the engine's */
            struct util_defer_item due; /* DUE: on_early_due */
        } early;
        struct req_guard_slot {
            struct req_ctx *ctx;
            struct guard_run *run;
            const struct config_guardrail *g;
            unsigned rewrites_seen;  /* `rewrites` when this check started */
        } *conc;                     /* concurrent input checks (owned array) */
        size_t n_conc;
        int held;                    /* concurrent checks the answer still waits for */
        unsigned rewrites;           /* input rewrites applied so far (a verdict on an older request is stale) */
        struct util_defer_item input_passed_due; /* lifecycle_input_checks_passed() queued behind them */
        size_t output_pos;
        struct guard_run *output_run;
        struct util_buf log;         /* "name=verdict" list for x-warden-guardrails and the access log */
        struct util_buf audit_detail; /* the audit record's fuller list (checks_log_append), with the audit on */
        struct audit_async *async_audit; /* the record waiting for async_post verdicts (audit_hook.c); handed over in req_close */
        const struct config_guardrail *blocked_by; /* the check that refused the request (a group, not its member: its stage is the one that counts) */
        struct guard_placeholders **placeholders; /* reversible redactions of the input (hold originals: never logged) */
        size_t n_placeholders;
        /* canary tokens (chat): the canary check of a prompt_injection guard that applies (also in guards),
         * this request's canary (only ever in the upstream body: never logged), no random source (fail closed) */
        const struct config_guardrail *canary_check;
        struct guard_canary canary;
        int canary_failed;
    } checks;
    int upstream_finished;       /* the attempt completed while the answer was held */

    /* the answer under output checks (answer.c; non-streaming) */
    struct req_answer {
        struct api_scan scan; /* of up.body during output checks */
        int scanned;
        int decoded;          /* up.body was inflated: its Content-Encoding is not relayed */
        json_t *tools;        /* the answer's tool_calls, parsed only for a `tools` guard */
    } answer;

    struct structured_spec so;   /* response_format / tool schemas */
    int reasks;
    int schema_hold;             /* a stream is collected until its answer validates (structured_output.stream: hold) */
    struct stream_sink sink;     /* output checks on a stream: the filter's view of this request (stream_filter.h) */

    /* audit (api/audit_hook.c) */
    const struct config_api_key *api_key; /* the client's key, found at intake */
    struct req_usage {
        int64_t in, out;          /* a non-streaming answer's usage (a stream's is in tap) */
        int has;
        int asked;                /* the client streams without include_usage: Warden asks for it (usage.h) */
        struct usage reasked;     /* answers re-asked away (structured output): billed too (attempt.c) */
        int reasked_upto;         /* ctx->reasks whose answers are in reasked */
        struct usage_tap tap;     /* a started stream's bytes pass through it (audit_hook.c) */
    } usage;

    h2o_linklist_t worker_link; /* in the worker's live requests (api_worker.requests) */
};

struct guard_verdict;
/* Fills what remote checks send besides the texts (guard/webhook.h): the request's call id, the
 * caller's API key (name and metadata), the client's headers (copied into the request's pool). */
void lifecycle_guard_context(struct req_ctx *ctx, struct guard_subject *s);

/* Events from the parts (checks.h, answer.h, reask.h): the lifecycle acts on them. */
void lifecycle_respond_error(struct req_ctx *ctx);   /* end the request with ctx->err */
void lifecycle_respond_answer(struct req_ctx *ctx);  /* send the collected answer as it is now */
void lifecycle_input_checks_passed(struct req_ctx *ctx);
void lifecycle_request_rewritten(struct req_ctx *ctx); /* a concurrent rewrite: re-send the request */
void lifecycle_hold_released(struct req_ctx *ctx);     /* a concurrent check ended: maybe send the answer */
void lifecycle_reask(struct req_ctx *ctx);             /* ctx->raw holds a re-ask: attempts start afresh */

/* The response writer's reports (response.h): the final bytes are being handed to h2o, h2o
 * took a buffer (a paused upstream may resume), h2o stopped the response. */
void lifecycle_response_final(struct req_ctx *ctx);
void lifecycle_response_drained(struct req_ctx *ctx);
void lifecycle_response_stopped(struct req_ctx *ctx);

/* Is someone still waiting for the answer (the HTTP client, or an internal caller)? */
static inline int lifecycle_has_receiver(const struct req_ctx *ctx)
{
    return ctx->req != NULL || ctx->internal != NULL;
}

/* Internal requests (internal.c): start one; release it (as a hang-up unless answered). */
struct api_internal_opts;
struct req_ctx *lifecycle_internal_start(struct server_worker *w, enum req_kind kind, const char *body, size_t len,
                                         const struct api_internal_opts *opts, struct api_internal *h);
void lifecycle_internal_release(struct req_ctx *ctx);
/* The internal sink of the response writer (internal.c). */
int api_internal_streams(const struct api_internal *h);
void api_internal_chunk(struct api_internal *h, const char *data, size_t len);
void api_internal_end(struct api_internal *h, int status, const char *data, size_t len);

int lifecycle_handle(struct server_worker *w, h2o_req_t *req, enum req_kind kind);
void lifecycle_drain_expired(struct server_worker *w);

#endif
