/* One attempt (internal to api/): one upstream call on one target, and the target's queue.
 * The decisions (retry, backoff, fallback, queue limits) are the planner's (attempt_plan.h);
 * this part does the bookkeeping they need - the target's slot and queue counts, the body and
 * headers sent, the per-attempt fields of the request, the upstream time. It never changes
 * the request's state: the lifecycle does, on what these functions return. */
#ifndef WARDEN_API_ATTEMPT_H
#define WARDEN_API_ATTEMPT_H

#include <stddef.h>
#include <stdint.h>

#include "upstream/client.h"
#include "upstream/router.h"

struct req_ctx;

enum attempt_slot {
    ATTEMPT_SLOT_TAKEN,   /* a slot on the target: the attempt may start */
    ATTEMPT_SLOT_QUEUED,  /* the target is at max_concurrent: wait in its queue (poll again) */
    ATTEMPT_SLOT_REFUSED, /* its queue is full or the wait timed out: ctx->err says which (429) */
};

/* Takes a slot on t (just picked by router_pick), or queues the request on it, or refuses. */
enum attempt_slot attempt_slot_take(struct req_ctx *ctx, struct router_target *t);
/* Leaves the queue the request waits in, if any. */
void attempt_queue_leave(struct req_ctx *ctx);
/* Begins the attempt on t (slot taken): counts it, builds the body (only "model" replaced,
 * I7) and headers, resets the per-attempt fields and starts the call; NULL if it could not. */
struct upstream_call *attempt_call_start(struct req_ctx *ctx, struct router_target *t,
                                         const struct upstream_call_callbacks *cb);
/* The answer's first body byte: time to first token (metrics). */
void attempt_record_first_byte(struct req_ctx *ctx);
/* A stream already relayed to the client failed (err, or no [DONE], or an error event): the
 * target is told and ctx->err says why; the lifecycle ends the stream with it. */
void attempt_stream_failed(struct req_ctx *ctx, int err, const char *message);
/* Keeps the upstream answer's status and headers (up.is_sse from its content type). */
void attempt_record_head(struct req_ctx *ctx, int status, const struct upstream_header *hs, size_t n);
/* A header of the current upstream answer (NULL if absent). */
const char *attempt_upstream_header(const struct req_ctx *ctx, const char *name);
/* Stops the call in flight (a cancelled call reports nothing more), its deadline and the
 * upstream time accounting. The attempt stays open on its target. */
void attempt_stop_call(struct req_ctx *ctx);
/* Ends the attempt on its target with outcome o (and a cooldown from Retry-After). */
void attempt_end_on_target(struct req_ctx *ctx, enum router_outcome o, uint64_t cooldown_ms);

/* The upstream refused the stream_options.include_usage Warden added (400/422 naming it):
 * 1 when the request should be sent again as the client wrote it (the target is remembered
 * as refusing, usage.h); the usage of such a stream stays unknown. */
int attempt_usage_refused(struct req_ctx *ctx);
/* An SSE event of the answer (collected or relayed unfiltered): [DONE], error events, usage. */
int attempt_on_sse_event(void *ud, const char *data, size_t len);
/* Collects a body chunk that is not streamed to the client; -1 over its cap (ctx->err set). */
int attempt_collect(struct req_ctx *ctx, const char *data, size_t len);
/* An upstream error is about to be relayed as the upstream sent it: no configured secret
 * (a provider key echoed in a 401, say) leaves with it (scrub.h). */
void attempt_scrub_relayed_error(struct req_ctx *ctx);
/* Records why the attempt failed (err, or the upstream's HTTP status) as what the client
 * gets if nothing else works. */
void attempt_record_failure(struct req_ctx *ctx, int err, const char *why, int status);

#endif
