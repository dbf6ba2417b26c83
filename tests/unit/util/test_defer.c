/* util/defer.h on a real loop: nothing runs inside the post, FIFO order (items posted by a
 * callback included), cancel, delivery in the iteration that posted from a timer (the poll
 * does not block), the loop not kept alive once drained, destroy with items queued. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <h2o/memory.h>
#include <uv.h>

#include "util/defer.h"

struct rec {
    struct util_defer_item item;
    int id;
    int *log;  /* ids in delivery order */
    int *n;
    struct rec *cancel; /* cancelled by this one's callback */
    struct rec *post;   /* posted by this one's callback */
    struct util_defer *d;
};

static void on_due(struct util_defer_item *item)
{
    struct rec *r = H2O_STRUCT_FROM_MEMBER(struct rec, item, item);
    r->log[(*r->n)++] = r->id;
    if (r->cancel != NULL)
        assert_int_equal(util_defer_cancel(&r->cancel->item), 1);
    if (r->post != NULL)
        util_defer_post(r->d, &r->post->item, on_due);
}

struct fixture {
    uv_loop_t loop;
    struct util_defer *d;
    int log[16];
    int n;
};

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    uv_loop_init(&f.loop);
    f.d = util_defer_create(&f.loop);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    util_defer_destroy(f->d);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* the close callbacks free it */
    assert_int_equal(uv_loop_close(&f->loop), 0);
    return 0;
}

static struct rec make(struct fixture *f, int id)
{
    return (struct rec){.id = id, .log = f->log, .n = &f->n, .d = f->d};
}

static void nothing_runs_inside_post_and_one_iteration_delivers_in_order(void **state)
{
    struct fixture *f = *state;
    struct rec a = make(f, 1), b = make(f, 2), c = make(f, 3);
    util_defer_post(f->d, &a.item, on_due);
    util_defer_post(f->d, &b.item, on_due);
    util_defer_post(f->d, &c.item, on_due);
    assert_int_equal(f->n, 0);
    assert_true(util_defer_is_queued(&b.item));
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(f->n, 3);
    assert_int_equal(f->log[0], 1);
    assert_int_equal(f->log[1], 2);
    assert_int_equal(f->log[2], 3);
    assert_false(util_defer_is_queued(&b.item));
    /* drained: the handles are stopped, nothing keeps the loop alive */
    assert_int_equal(uv_loop_alive(&f->loop), 0);
}

static void items_posted_by_a_callback_come_after_the_others_in_the_same_drain(void **state)
{
    struct fixture *f = *state;
    struct rec a = make(f, 1), b = make(f, 2), late = make(f, 3);
    a.post = &late;
    util_defer_post(f->d, &a.item, on_due);
    util_defer_post(f->d, &b.item, on_due);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(f->n, 3);
    assert_int_equal(f->log[0], 1);
    assert_int_equal(f->log[1], 2);
    assert_int_equal(f->log[2], 3);
}

static void a_cancelled_item_never_runs(void **state)
{
    struct fixture *f = *state;
    struct rec a = make(f, 1), b = make(f, 2), c = make(f, 3), never = make(f, 4);
    assert_int_equal(util_defer_cancel(&never.item), 0); /* never posted */
    util_defer_post(f->d, &a.item, on_due);
    util_defer_post(f->d, &b.item, on_due);
    util_defer_post(f->d, &c.item, on_due);
    assert_int_equal(util_defer_cancel(&b.item), 1);
    assert_int_equal(util_defer_cancel(&b.item), 0); /* twice is fine */
    a.cancel = &c;                                   /* and from another item's callback */
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(f->n, 1);
    assert_int_equal(f->log[0], 1);
    assert_int_equal(util_defer_cancel(&a.item), 0); /* already delivered */
    /* a cancel that emptied the queue leaves at most one more non-blocking iteration */
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_alive(&f->loop), 0);
}

struct timer_post {
    uv_timer_t t;
    struct rec *r;
};

static void on_timer_post(uv_timer_t *t)
{
    struct timer_post *tp = (struct timer_post *)t;
    util_defer_post(tp->r->d, &tp->r->item, on_due);
}

static void on_far(uv_timer_t *t)
{
    fail_msg("the poll waited for the far timer");
}

/* Posted from a timer (before the poll): delivered in that same iteration, although another
 * timer would let the poll sleep for 10 s. */
static void an_item_posted_from_a_timer_is_delivered_without_a_blocking_poll(void **state)
{
    struct fixture *f = *state;
    struct rec a = make(f, 1);
    struct timer_post tp = {.r = &a};
    uv_timer_t far;
    uv_timer_init(&f->loop, &tp.t);
    uv_timer_init(&f->loop, &far);
    uv_timer_start(&far, on_far, 10000, 0); /* only there to give the poll a long time-out */
    uv_timer_start(&tp.t, on_timer_post, 1, 0);
    uint64_t t0 = uv_hrtime();
    while (f->n == 0 && uv_hrtime() - t0 < 5000000000ull)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(f->n, 1);
    assert_true(uv_hrtime() - t0 < 2000000000ull);
    uv_close((uv_handle_t *)&tp.t, NULL);
    uv_close((uv_handle_t *)&far, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
}

static void destroy_drops_what_is_still_queued(void **state)
{
    struct fixture *f = *state;
    struct rec a = make(f, 1);
    util_defer_post(f->d, &a.item, on_due);
    util_defer_destroy(f->d);
    assert_false(util_defer_is_queued(&a.item));
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->n, 0);
    f->d = util_defer_create(&f->loop); /* for teardown */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(nothing_runs_inside_post_and_one_iteration_delivers_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(items_posted_by_a_callback_come_after_the_others_in_the_same_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(a_cancelled_item_never_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(an_item_posted_from_a_timer_is_delivered_without_a_blocking_poll, setup, teardown),
        cmocka_unit_test_setup_teardown(destroy_drops_what_is_still_queued, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
