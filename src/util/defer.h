/* Deferred callbacks on one libuv loop: "call this soon, but not now".
 *
 * Why: an asynchronous start function (guard_run_start(), upstream_call_start()) never
 * delivers its result inside the call that started the work, even when the result is known
 * at once (a regex check, a connection refused). Its caller then needs no "did it finish
 * synchronously?" flag and no "did the request die under me?" check after the start. A
 * result known at once is posted here and delivered on the same loop, soon and cheaply:
 *
 *   - The queue is drained in a uv_check handle, i.e. right after the poll phase of the
 *     current loop iteration. Work started from an I/O callback (the poll phase: a request
 *     arrived, an upstream answered) gets its deferred results in the same iteration.
 *   - While the queue is not empty a uv_idle handle is active, which makes libuv poll with a
 *     zero time-out. So an item posted before the poll (from a timer, an idle or prepare
 *     callback, outside uv_run) is delivered in that iteration's check phase, and one posted
 *     after it (a close callback) in the next iteration's: never after a blocking poll.
 *   - Both handles are stopped when the queue is empty: an iteration without deferred work
 *     costs nothing, and the queue never keeps the loop alive by itself.
 *
 * Order: items are delivered in the order they were posted (FIFO). An item posted while the
 * queue is drained (a callback starts more work) is delivered in the same drain, after the
 * ones before it.
 *
 * Items are intrusive (no allocation): the owner embeds a struct util_defer_item, zeroed, and
 * keeps it alive until its callback ran or util_defer_cancel() returned. A callback may post,
 * cancel other items, or free its own item.
 *
 * One util_defer per loop user is enough; its owner creates it on the loop thread and
 * destroys it there. */
#ifndef WARDEN_UTIL_DEFER_H
#define WARDEN_UTIL_DEFER_H

#include <h2o/linklist.h>
#include <uv.h>

struct util_defer;
struct util_defer_item;

typedef void (*util_defer_cb)(struct util_defer_item *item);

struct util_defer_item {
    h2o_linklist_t _link; /* private: in the queue while posted */
    util_defer_cb _cb;    /* private */
};

struct util_defer *util_defer_create(uv_loop_t *loop);
/* Closes the handles; the memory goes in their close callbacks (run the loop after this).
 * Items still queued are dropped: unlinked, their callbacks never run. Not from a callback
 * of this queue. */
void util_defer_destroy(struct util_defer *d);

/* Queues item: cb(item) runs later on the loop, never inside this call. The item must not be
 * queued already. */
void util_defer_post(struct util_defer *d, struct util_defer_item *item, util_defer_cb cb);
/* Takes a queued item out: its callback never runs. Returns 1 if it was queued, 0 if not
 * (never posted, already delivered, or cancelled); safe to call in any of those cases. */
int util_defer_cancel(struct util_defer_item *item);
static inline int util_defer_is_queued(const struct util_defer_item *item)
{
    return item->_link.next != NULL; /* h2o_linklist_is_linked(), which takes no const */
}

#endif
