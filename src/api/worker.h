/* The API's per-worker state: what api/ keeps for each event-loop thread.
 *
 * server/ runs the worker (loop, listener, drain timers) and holds this as an
 * opaque pointer (server_worker.app); api/ creates it in api_worker_init and
 * reaches it with api_worker_get(). In-flight accounting goes through
 * api_worker_inflight_enter/leave only: the count is atomic because /metrics
 * reads every worker's count from whichever thread serves it. */
#ifndef WARDEN_API_WORKER_H
#define WARDEN_API_WORKER_H

#include <h2o/linklist.h>
#include <stdint.h>

#include "server/server.h"

struct req_ctx;

struct api_worker {
    struct server_worker *server; /* the worker this state belongs to */
    struct api_hangup *hangup;    /* client hang-up detection (api/hangup.h) */
    struct api_scrub *scrub;      /* secrets kept out of relayed upstream errors */
    h2o_linklist_t requests;      /* live requests (req_ctx.worker_link), for drain and shutdown */
    h2o_linklist_t checks;        /* check API calls whose check runs (check_api.c), for drain */
    uint64_t _inflight;           /* atomic: use api_worker_inflight*() */
};

static inline struct api_worker *api_worker_get(const struct server_worker *w)
{
    return (struct api_worker *)w->app;
}

/* One request (or guardrail check call) starts / ends on this worker. */
void api_worker_inflight_enter(struct api_worker *aw);
void api_worker_inflight_leave(struct api_worker *aw);
uint64_t api_worker_inflight(const struct api_worker *aw);

#endif
