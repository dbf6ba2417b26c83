/* The circuit breaker and target selection of src/upstream/router.c, without sockets:
 * each test loads a small config, reports attempt outcomes and checks what router_pick
 * admits and what router_target_stats_get reports. Cooldowns are tens of milliseconds,
 * so the OPEN -> HALF_OPEN step is a real (short) wait. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "upstream/router.h"

struct fixture {
    struct config *cfg;
    struct router *r;
    const struct config_model *m;
};

/* One model "m" with targets a and b (or only a), health as given. */
static void load(struct fixture *f, int two_targets, const char *health)
{
    char yaml[1024], err[256] = "";
    snprintf(yaml, sizeof(yaml),
             "server: {listen: \"127.0.0.1:1\"}\n"
             "providers:\n"
             "  - {name: p, type: openai, base_url: \"http://127.0.0.1:1/v1\"}\n"
             "models:\n"
             "  - {name: m, targets: [{provider: p, model: a}%s]}\n"
             "health: %s\n",
             two_targets ? ", {provider: p, model: b}" : "", health);
    f->cfg = config_load_string(yaml, strlen(yaml), "t.yaml", err, sizeof(err));
    if (f->cfg == NULL)
        fail_msg("config: %s", err);
    f->r = router_create(f->cfg);
    f->m = &f->cfg->models[0];
}

static void unload(struct fixture *f)
{
    router_destroy(f->r);
    config_free(f->cfg);
}

static struct router_target_stats stats_of(struct fixture *f, size_t i)
{
    struct router_target_stats st;
    router_target_stats_get(f->r, i, &st);
    return st;
}

/* One whole attempt on a picked target. */
static void attempt(struct router_target *t, enum router_outcome o, uint64_t cooldown_ms)
{
    assert_int_equal(router_try_acquire(t), 0);
    router_attempt_begin(t);
    router_attempt_end(t, o, o == ROUTER_OK ? 1000 : 0, cooldown_ms);
}

static struct router_target *pick(struct fixture *f, uint64_t tried, uint64_t *wait_ms)
{
    return router_pick(f->r, f->m, tried, wait_ms);
}

static void breaker_stays_closed_below_min_requests(void **state)
{
    struct fixture f;
    load(&f, 0, "{window: 10, min_requests: 4, error_ratio: 0.5, cooldown_ms: 60000}");
    uint64_t wait;
    for (int i = 0; i < 3; i++)
        attempt(pick(&f, 0, &wait), ROUTER_FAILED, 0);
    struct router_target_stats st = stats_of(&f, 0);
    assert_int_equal(st.circuit, ROUTER_CIRCUIT_CLOSED);
    assert_int_equal(st.failures, 3);
    assert_int_equal(st.attempts, 3);
    assert_int_equal(st.cooldowns, 0);
    assert_non_null(pick(&f, 0, &wait));
    unload(&f);
}

static void breaker_opens_at_the_error_ratio_and_refuses_picks(void **state)
{
    struct fixture f;
    load(&f, 0, "{window: 10, min_requests: 4, error_ratio: 0.5, cooldown_ms: 60000}");
    uint64_t wait;
    attempt(pick(&f, 0, &wait), ROUTER_OK, 0);
    attempt(pick(&f, 0, &wait), ROUTER_OK, 0);
    attempt(pick(&f, 0, &wait), ROUTER_FAILED, 0);
    assert_int_equal(stats_of(&f, 0).circuit, ROUTER_CIRCUIT_CLOSED); /* 3 < min_requests */
    attempt(pick(&f, 0, &wait), ROUTER_FAILED, 0);                     /* 2 of 4 = 0.5 */
    struct router_target_stats st = stats_of(&f, 0);
    assert_int_equal(st.circuit, ROUTER_CIRCUIT_OPEN);
    assert_int_equal(st.cooldowns, 1);
    assert_null(pick(&f, 0, &wait));
    assert_true(wait > 59000 && wait <= 60000); /* when the first target opens again */
    unload(&f);
}

static void successes_do_not_open_and_the_window_forgets(void **state)
{
    struct fixture f;
    load(&f, 0, "{window: 4, min_requests: 4, error_ratio: 0.75, cooldown_ms: 60000}");
    uint64_t wait;
    /* F F S S S S F F: the window of 4 never holds 3 failures */
    enum router_outcome seq[] = {ROUTER_FAILED, ROUTER_FAILED, ROUTER_OK, ROUTER_OK,
                                 ROUTER_OK,     ROUTER_OK,     ROUTER_FAILED, ROUTER_FAILED};
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
        attempt(pick(&f, 0, &wait), seq[i], 0);
    assert_int_equal(stats_of(&f, 0).circuit, ROUTER_CIRCUIT_CLOSED);
    attempt(pick(&f, 0, &wait), ROUTER_FAILED, 0); /* the window is now S F F F: 3 of 4 */
    assert_int_equal(stats_of(&f, 0).circuit, ROUTER_CIRCUIT_OPEN);
    unload(&f);
}

static void cancelled_attempts_are_no_verdict(void **state)
{
    struct fixture f;
    load(&f, 0, "{window: 4, min_requests: 1, error_ratio: 0.1, cooldown_ms: 60000}");
    uint64_t wait;
    for (int i = 0; i < 10; i++)
        attempt(pick(&f, 0, &wait), ROUTER_CANCELLED, 0);
    struct router_target_stats st = stats_of(&f, 0);
    assert_int_equal(st.circuit, ROUTER_CIRCUIT_CLOSED);
    assert_int_equal(st.failures, 0);
    assert_int_equal(st.attempts, 10);
    assert_int_equal(st.inflight, 0);
    unload(&f);
}

static void retry_after_opens_for_its_own_duration(void **state)
{
    struct fixture f;
    load(&f, 0, "{window: 10, min_requests: 100, error_ratio: 1.0, cooldown_ms: 60000}");
    uint64_t wait;
    attempt(pick(&f, 0, &wait), ROUTER_FAILED, 40); /* a 429 with Retry-After: 40 ms */
    assert_int_equal(stats_of(&f, 0).circuit, ROUTER_CIRCUIT_OPEN);
    assert_null(pick(&f, 0, &wait));
    assert_true(wait > 0 && wait <= 40);
    usleep(60 * 1000);
    assert_non_null(pick(&f, 0, &wait)); /* the default cooldown (60 s) did not apply */
    unload(&f);
}

/* After a Retry-After cooldown every waiting request may go, not one half-open probe: the
 * provider said when to come back (waiters racing for one probe failed 503 without an attempt). */
static void retry_after_reopens_for_everyone(void **state)
{
    struct fixture f;
    load(&f, 0, "{window: 10, min_requests: 100, error_ratio: 1.0, cooldown_ms: 60000}");
    uint64_t wait;
    attempt(pick(&f, 0, &wait), ROUTER_FAILED, 30);
    usleep(50 * 1000);
    struct router_target *a = pick(&f, 0, &wait), *b = pick(&f, 0, &wait);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(stats_of(&f, 0).circuit, ROUTER_CIRCUIT_CLOSED);
    attempt(a, ROUTER_OK, 0);
    attempt(b, ROUTER_OK, 0);
    unload(&f);
}

/* One target opened by a failure (cooldown 30 ms), then picked again once the cooldown is
 * over: the pick is the half-open probe. */
static struct router_target *open_then_probe(struct fixture *f)
{
    uint64_t wait;
    load(f, 0, "{window: 4, min_requests: 1, error_ratio: 0.5, cooldown_ms: 30}");
    attempt(pick(f, 0, &wait), ROUTER_FAILED, 0);
    assert_int_equal(stats_of(f, 0).circuit, ROUTER_CIRCUIT_OPEN);
    usleep(50 * 1000);
    struct router_target *probe = pick(f, 0, &wait);
    assert_non_null(probe);
    return probe;
}

static void half_open_admits_one_probe_and_closes_on_success(void **state)
{
    struct fixture f;
    uint64_t wait;
    struct router_target *probe = open_then_probe(&f);
    assert_int_equal(stats_of(&f, 0).circuit, ROUTER_CIRCUIT_HALF_OPEN);
    assert_null(pick(&f, 0, &wait)); /* the probe is out: nobody else */
    assert_int_equal(wait, 100);
    attempt(probe, ROUTER_OK, 0);
    assert_int_equal(stats_of(&f, 0).circuit, ROUTER_CIRCUIT_CLOSED);
    assert_non_null(pick(&f, 0, &wait));
    /* the window restarted: one failure of one request (ratio 1.0 >= 0.5) opens again */
    attempt(pick(&f, 0, &wait), ROUTER_FAILED, 0);
    assert_int_equal(stats_of(&f, 0).circuit, ROUTER_CIRCUIT_OPEN);
    assert_int_equal(stats_of(&f, 0).cooldowns, 2);
    unload(&f);
}

static void failed_probe_reopens(void **state)
{
    struct fixture f;
    uint64_t wait;
    struct router_target *probe = open_then_probe(&f);
    attempt(probe, ROUTER_FAILED, 0);
    assert_int_equal(stats_of(&f, 0).circuit, ROUTER_CIRCUIT_OPEN);
    assert_null(pick(&f, 0, &wait));
    assert_int_equal(stats_of(&f, 0).cooldowns, 2);
    unload(&f);
}

static void unpick_gives_the_probe_back(void **state)
{
    struct fixture f;
    uint64_t wait;
    struct router_target *probe = open_then_probe(&f);
    router_unpick(probe);
    assert_non_null(pick(&f, 0, &wait));
    unload(&f);
}

static void an_open_target_is_skipped_for_the_other(void **state)
{
    struct fixture f;
    load(&f, 1, "{window: 4, min_requests: 1, error_ratio: 0.5, cooldown_ms: 60000}");
    uint64_t wait;
    struct router_target *a = NULL;
    for (int i = 0; i < 50 && a == NULL; i++) { /* weighted random: find target a */
        struct router_target *t = pick(&f, 0, &wait);
        if (router_target_position(t) == 0)
            a = t;
        else
            router_unpick(t);
    }
    assert_non_null(a);
    attempt(a, ROUTER_FAILED, 0);
    assert_int_equal(stats_of(&f, 0).circuit, ROUTER_CIRCUIT_OPEN);
    for (int i = 0; i < 20; i++)
        assert_int_equal(router_target_position(pick(&f, 0, &wait)), 1);
    assert_string_equal(stats_of(&f, 1).target, "p/b");
    assert_string_equal(stats_of(&f, 1).model, "m");
    unload(&f);
}

static void tried_targets_are_picked_last(void **state)
{
    struct fixture f;
    load(&f, 1, "{window: 4, min_requests: 4, error_ratio: 0.5, cooldown_ms: 60000}");
    uint64_t wait;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(router_target_position(pick(&f, 1u << 0, &wait)), 1);
        assert_int_equal(router_target_position(pick(&f, 1u << 1, &wait)), 0);
    }
    /* both tried: either may come back */
    assert_non_null(pick(&f, 3, &wait));
    unload(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(breaker_stays_closed_below_min_requests),
        cmocka_unit_test(breaker_opens_at_the_error_ratio_and_refuses_picks),
        cmocka_unit_test(successes_do_not_open_and_the_window_forgets),
        cmocka_unit_test(cancelled_attempts_are_no_verdict),
        cmocka_unit_test(retry_after_opens_for_its_own_duration),
        cmocka_unit_test(retry_after_reopens_for_everyone),
        cmocka_unit_test(half_open_admits_one_probe_and_closes_on_success),
        cmocka_unit_test(failed_probe_reopens),
        cmocka_unit_test(unpick_gives_the_probe_back),
        cmocka_unit_test(an_open_target_is_skipped_for_the_other),
        cmocka_unit_test(tried_targets_are_picked_last),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
