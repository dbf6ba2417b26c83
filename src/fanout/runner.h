/* Bounded-concurrency scheduler for fan-out sub-calls (pipelines, batches).
 *
 * A runner belongs to one client request (a pipeline run, or a batch of them) and caps
 * the chat-completions calls it has in flight at max_concurrency; `fanout.max_inflight`
 * caps the calls of all runners of one worker together. Calls that cannot start wait in
 * their runner's FIFO; runners with waiting calls wait in the worker's FIFO, so the
 * requests that came first go first when a slot frees up.
 *
 * Every call is an internal request (api/internal.h): guardrails, retries, fallbacks,
 * time-outs, structured output, metrics, the access log and audit apply to it as to an
 * HTTP request. Rules, the same as api_internal's:
 *  - no callback runs inside fanout_runner_submit, fanout_call_cancel or
 *    fanout_runner_cancel_all; on_done runs exactly once unless the call was cancelled first;
 *  - a call handle is invalid after its on_done or its cancel;
 *  - one call's failure touches no other call: only its owner decides what to cancel.
 * Everything runs on the worker's loop thread; the worker's count is per thread (one
 * worker = one loop thread). */
#ifndef WARDEN_FANOUT_RUNNER_H
#define WARDEN_FANOUT_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "api/audit_parent.h"

struct server_worker;
struct config_api_key;
struct fanout_runner;
struct fanout_call;

/* What one call did, besides its answer. */
struct fanout_call_result {
    int attempts;         /* upstream attempts (retries, fallbacks) */
    int reasks;           /* structured-output re-asks */
    uint64_t latency_us;  /* from its start (a slot was free) to its end */
    uint64_t queued_us;   /* waiting for a slot */
    const char *request_id;
};

/* status and body as a client would get them (api/internal.h on_done) */
typedef void (*fanout_call_done_cb)(void *ud, int status, const char *body, size_t len, const struct fanout_call_result *res);

/* What every call of a runner carries. */
struct fanout_call_opts {
    const char *request_id;        /* NULL: a new one; copied */
    const char *parent_request_id; /* the client request's id (access log, audit); copied */
    const struct config_api_key *api_key;
};

/* totals (may be NULL) is the caller's and must outlive the runner. */
struct fanout_runner *fanout_runner_new(struct server_worker *w, int max_concurrency, struct api_subcall_totals *totals);
/* Cancels whatever is queued or running (no callback after), then frees. */
void fanout_runner_free(struct fanout_runner *r);

/* Queues a chat-completions call (body copied). Never NULL. */
struct fanout_call *fanout_runner_submit(struct fanout_runner *r, const char *body, size_t len, const struct fanout_call_opts *o,
                                         fanout_call_done_cb cb, void *ud);
void fanout_call_cancel(struct fanout_call *c);
/* Cancels every queued and running call of the runner; later submits are still accepted. */
void fanout_runner_cancel_all(struct fanout_runner *r);
/* The runner starts nothing more: what is queued stays queued until cancelled or freed. Used
 * before cancelling a whole request call by call, so that a slot freed by one cancel is not
 * given to a call that is cancelled next. */
void fanout_runner_stop(struct fanout_runner *r);
/* Has the call started upstream (left the queue)? */
int fanout_call_started(const struct fanout_call *c);

struct server_worker *fanout_runner_worker(const struct fanout_runner *r);

#endif
