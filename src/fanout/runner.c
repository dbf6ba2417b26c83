/* The fan-out scheduler (runner.h).
 *
 * Invariants:
 *   R1. A call is in exactly one of its runner's lists: queued (not started, no handle) or
 *       running (h != NULL). r->inflight is the length of running.
 *   R2. A runner is in the worker's waiting list iff its queued list is not empty and it is
 *       not stopped.
 *   R3. worker.inflight is the sum of every runner's inflight on this thread.
 *   R4. Slots are only taken in pump(), which starts calls and never runs a callback
 *       (api_internal_start never reports inside itself), so pump() is safe anywhere. */
#include "fanout/runner.h"

#include <stdlib.h>
#include <string.h>

#include <h2o/linklist.h>

#include "api/internal.h"
#include "api/request_id.h"
#include "audit/audit.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/clock.h"

struct fanout_runner {
    struct server_worker *w;
    int max_concurrency;
    int inflight;
    int stopped; /* fanout_runner_stop: never in the waiting list again */
    struct api_subcall_totals *totals; /* the caller's; may be NULL */
    h2o_linklist_t queued, running; /* fanout_call.link (R1) */
    h2o_linklist_t waiting_link;    /* in the worker's waiting list (R2) */
};

struct fanout_call {
    struct fanout_runner *r;
    h2o_linklist_t link;
    struct api_internal *h; /* while running */
    char *body;             /* while queued */
    size_t len;
    char request_id[API_REQUEST_ID_SIZE];
    char parent_id[API_REQUEST_ID_SIZE];
    const struct config_api_key *api_key;
    fanout_call_done_cb cb;
    void *ud;
    uint64_t t_submit, t_start;
};

/* One worker is one loop thread: its fan-out state is thread-local. */
static __thread struct {
    int init;
    int inflight;
    h2o_linklist_t waiting; /* runners with queued calls, oldest first */
} worker;

static void worker_init(void)
{
    if (!worker.init) {
        h2o_linklist_init_anchor(&worker.waiting);
        worker.init = 1;
    }
}

static int worker_has_room(const struct server_worker *w)
{
    int max = w->cfg->fanout.max_inflight;
    return max <= 0 || worker.inflight < max;
}

static void on_internal_done(void *ud, int status, const char *body, size_t len);
static const struct api_internal_callbacks internal_cbs = {NULL, on_internal_done};

static void call_start(struct fanout_call *c)
{
    struct fanout_runner *r = c->r;
    h2o_linklist_unlink(&c->link);
    h2o_linklist_insert(&r->running, &c->link);
    r->inflight++;
    worker.inflight++;
    if (r->totals != NULL)
        r->totals->calls++;
    c->t_start = util_now_ns();
    struct api_internal_opts o = {
        .request_id = c->request_id[0] ? c->request_id : NULL,
        .parent_request_id = c->parent_id[0] ? c->parent_id : NULL,
        .api_key = c->api_key,
    };
    /* The audit record of the call releases a reservation (audit_hook.c): take it. Under
     * overflow: refuse a call of an admitted client request still runs; the refusal is for
     * new client requests. */
    audit_admit(r->w->audit);
    c->h = api_internal_start(r->w, API_INTERNAL_CHAT, c->body, c->len, &o, &internal_cbs, c);
    free(c->body);
    c->body = NULL;
}

/* Starts what the caps allow, oldest runner first (R4). */
static void pump(struct server_worker *w)
{
    worker_init();
    h2o_linklist_t *l = worker.waiting.next;
    while (l != &worker.waiting && worker_has_room(w)) {
        h2o_linklist_t *next = l->next;
        struct fanout_runner *r = H2O_STRUCT_FROM_MEMBER(struct fanout_runner, waiting_link, l);
        while (!h2o_linklist_is_empty(&r->queued) && r->inflight < r->max_concurrency && worker_has_room(w))
            call_start(H2O_STRUCT_FROM_MEMBER(struct fanout_call, link, r->queued.next));
        if (h2o_linklist_is_empty(&r->queued))
            h2o_linklist_unlink(&r->waiting_link);
        l = next;
    }
}

/* Takes the call out of its runner (R1-R3) and frees it; returns its runner's worker. */
static struct server_worker *call_release(struct fanout_call *c)
{
    struct fanout_runner *r = c->r;
    if (c->h != NULL) {
        r->inflight--;
        worker.inflight--;
    }
    h2o_linklist_unlink(&c->link);
    if (h2o_linklist_is_empty(&r->queued) && h2o_linklist_is_linked(&r->waiting_link))
        h2o_linklist_unlink(&r->waiting_link);
    free(c->body);
    free(c);
    return r->w;
}

static void on_internal_done(void *ud, int status, const char *body, size_t len)
{
    struct fanout_call *c = ud;
    uint64_t now = util_now_ns();
    struct api_internal_info info;
    api_internal_info(c->h, &info);
    if (c->r->totals != NULL)
        api_subcall_totals_add(c->r->totals, c->h);
    char request_id[API_REQUEST_ID_SIZE];
    memcpy(request_id, c->request_id, sizeof(request_id));
    struct fanout_call_result res = {
        .attempts = info.attempts,
        .reasks = info.reasks,
        .latency_us = (now - c->t_start) / 1000,
        .queued_us = (c->t_start - c->t_submit) / 1000,
        .request_id = request_id,
    };
    fanout_call_done_cb cb = c->cb;
    void *cb_ud = c->ud;
    struct server_worker *w = call_release(c);
    cb(cb_ud, status, body, len, &res); /* may free the runner */
    pump(w);
}

struct fanout_runner *fanout_runner_new(struct server_worker *w, int max_concurrency, struct api_subcall_totals *totals)
{
    worker_init();
    struct fanout_runner *r = util_calloc(1, sizeof(*r));
    r->w = w;
    r->totals = totals;
    r->max_concurrency = max_concurrency > 0 ? max_concurrency : 1;
    h2o_linklist_init_anchor(&r->queued);
    h2o_linklist_init_anchor(&r->running);
    return r;
}

static void copy_id(char *dst, const char *src)
{
    if (src != NULL && api_request_id_ok(src, strlen(src)))
        memcpy(dst, src, strlen(src) + 1);
    else
        dst[0] = '\0';
}

struct fanout_call *fanout_runner_submit(struct fanout_runner *r, const char *body, size_t len, const struct fanout_call_opts *o,
                                         fanout_call_done_cb cb, void *ud)
{
    struct fanout_call *c = util_calloc(1, sizeof(*c));
    c->r = r;
    c->body = util_malloc(len ? len : 1);
    memcpy(c->body, body, len);
    c->len = len;
    copy_id(c->request_id, o ? o->request_id : NULL);
    copy_id(c->parent_id, o ? o->parent_request_id : NULL);
    c->api_key = o ? o->api_key : NULL;
    c->cb = cb;
    c->ud = ud;
    c->t_submit = util_now_ns();
    h2o_linklist_insert(&r->queued, &c->link);
    if (!r->stopped && !h2o_linklist_is_linked(&r->waiting_link))
        h2o_linklist_insert(&worker.waiting, &r->waiting_link);
    pump(r->w);
    return c;
}

void fanout_call_cancel(struct fanout_call *c)
{
    if (c->h != NULL)
        api_internal_cancel(c->h); /* the upstream call is closed at once, no callback */
    pump(call_release(c));
}

void fanout_runner_cancel_all(struct fanout_runner *r)
{
    /* the queue first, so that freeing running slots starts none of this runner's calls */
    while (!h2o_linklist_is_empty(&r->queued))
        call_release(H2O_STRUCT_FROM_MEMBER(struct fanout_call, link, r->queued.next));
    while (!h2o_linklist_is_empty(&r->running)) {
        struct fanout_call *c = H2O_STRUCT_FROM_MEMBER(struct fanout_call, link, r->running.next);
        api_internal_cancel(c->h);
        call_release(c);
    }
    pump(r->w);
}

void fanout_runner_stop(struct fanout_runner *r)
{
    r->stopped = 1;
    if (h2o_linklist_is_linked(&r->waiting_link))
        h2o_linklist_unlink(&r->waiting_link);
}

int fanout_call_started(const struct fanout_call *c)
{
    return c->h != NULL;
}

void fanout_runner_free(struct fanout_runner *r)
{
    if (r == NULL)
        return;
    fanout_runner_cancel_all(r);
    free(r);
}

struct server_worker *fanout_runner_worker(const struct fanout_runner *r)
{
    return r->w;
}
