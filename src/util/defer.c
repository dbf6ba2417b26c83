/* Deferred callbacks on one loop (defer.h): a FIFO of intrusive items drained by a uv_check
 * handle, with a uv_idle handle active while the queue is not empty so that the poll of the
 * iteration does not block.
 *
 * Where an item posted from each loop phase is delivered (libuv 1.x, src/unix/core.c uv_run:
 * timers, pending, idle, prepare, poll, check, closing):
 *   timer / pending / idle / prepare callback, or outside uv_run -> the check phase of this
 *       iteration (or the next one's, outside uv_run); the idle handle makes the poll return at once;
 *   poll (I/O callbacks: the usual case)                        -> the check phase right after;
 *   check (our own drain included)                              -> the same drain, or the
 *       other check handles' turn in this iteration when posted from one of them (next drain);
 *   closing callbacks, or timers run after the poll in UV_RUN_ONCE -> the next iteration's check
 *       phase, after a poll with a zero time-out.
 * A cancel that empties the queue leaves the idle handle on until the next drain sees the queue
 * empty: at most one more non-blocking poll. */
#include "util/defer.h"

#include <h2o/memory.h>
#include <stdlib.h>

#include "util/alloc.h"

struct util_defer {
    uv_check_t check; /* drains the queue after the poll */
    uv_idle_t idle;   /* active while the queue is not empty: the poll does not block */
    h2o_linklist_t queue;
    int closing_handles; /* handles whose close callback has not run yet */
    unsigned active : 1; /* the two handles are started */
};

static void on_idle(uv_idle_t *h)
{
    (void)h; /* its being active is the point: libuv polls with a zero time-out */
}

static void handles_stop(struct util_defer *d)
{
    uv_check_stop(&d->check);
    uv_idle_stop(&d->idle);
    d->active = 0;
}

static void on_check(uv_check_t *h)
{
    struct util_defer *d = h->data;
    /* items posted by a callback land at the tail and are delivered in this same loop */
    while (!h2o_linklist_is_empty(&d->queue)) {
        struct util_defer_item *item = H2O_STRUCT_FROM_MEMBER(struct util_defer_item, _link, d->queue.next);
        h2o_linklist_unlink(&item->_link);
        item->_cb(item); /* may free item, post or cancel others */
    }
    handles_stop(d);
}

struct util_defer *util_defer_create(uv_loop_t *loop)
{
    struct util_defer *d = util_calloc(1, sizeof(*d));
    h2o_linklist_init_anchor(&d->queue);
    uv_check_init(loop, &d->check);
    uv_idle_init(loop, &d->idle);
    d->check.data = d->idle.data = d;
    return d;
}

static void on_handle_closed(uv_handle_t *h)
{
    struct util_defer *d = h->data;
    if (--d->closing_handles == 0)
        free(d);
}

void util_defer_destroy(struct util_defer *d)
{
    if (d == NULL)
        return;
    while (!h2o_linklist_is_empty(&d->queue))
        h2o_linklist_unlink(d->queue.next);
    d->closing_handles = 2;
    uv_close((uv_handle_t *)&d->check, on_handle_closed);
    uv_close((uv_handle_t *)&d->idle, on_handle_closed);
}

void util_defer_post(struct util_defer *d, struct util_defer_item *item, util_defer_cb cb)
{
    item->_cb = cb;
    h2o_linklist_insert(&d->queue, &item->_link); /* before the anchor: at the tail */
    if (!d->active) {
        d->active = 1;
        uv_check_start(&d->check, on_check);
        uv_idle_start(&d->idle, on_idle);
    }
}

int util_defer_cancel(struct util_defer_item *item)
{
    if (!h2o_linklist_is_linked(&item->_link))
        return 0;
    h2o_linklist_unlink(&item->_link);
    return 1;
}
