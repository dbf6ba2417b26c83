/* The attempt planner (api/attempt_plan.h) without sockets: retryable statuses, Retry-After,
 * the backoff range, fallback rules, and the decision after a failure (cooling wait, retry,
 * fallback in list order or by rule, give up), plus the queue rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "api/attempt_plan.h"

static void retryable_statuses(void **state)
{
    (void)state;
    int yes[] = {408, 409, 429, 500, 502, 503, 504, 599};
    int no[] = {200, 400, 401, 403, 404, 413, 422};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(attempt_plan_status_retryable(yes[i]));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(attempt_plan_status_retryable(no[i]));
}

static void retry_after_values(void **state)
{
    (void)state;
    time_t now = 1700000000; /* Tue, 14 Nov 2023 22:13:20 GMT */
    assert_int_equal(attempt_plan_retry_after_ms(NULL, now), 0);
    assert_int_equal(attempt_plan_retry_after_ms("", now), 0);
    assert_int_equal(attempt_plan_retry_after_ms("2", now), 2000);
    assert_int_equal(attempt_plan_retry_after_ms("0.5", now), 500);
    assert_int_equal(attempt_plan_retry_after_ms("-3", now), 0);
    assert_int_equal(attempt_plan_retry_after_ms("99999", now), 3600000);
    assert_int_equal(attempt_plan_retry_after_ms("soon", now), 0);
    assert_int_equal(attempt_plan_retry_after_ms("Tue, 14 Nov 2023 22:13:30 GMT", now), 10000);
    assert_int_equal(attempt_plan_retry_after_ms("Tue, 14 Nov 2023 22:13:00 GMT", now), 0); /* past */
    assert_int_equal(attempt_plan_retry_after_ms("Wed, 15 Nov 2023 22:13:20 GMT", now), 3600000);
}

static void backoff_within_cap(void **state)
{
    (void)state;
    struct config_retry r = {3, 100, 1000};
    uint64_t seed = 12345;
    uint64_t seen_max[5] = {0};
    for (int k = 0; k < 2000; k++)
        for (int i = 0; i < 5; i++) {
            uint64_t b = attempt_plan_backoff_ms(&r, i, &seed);
            uint64_t cap = i == 0 ? 100 : i == 1 ? 200 : i == 2 ? 400 : i == 3 ? 800 : 1000;
            assert_true(b <= cap);
            if (b > seen_max[i])
                seen_max[i] = b;
        }
    /* jitter spreads over the range: the largest draw is near the cap */
    assert_true(seen_max[0] > 90);
    assert_true(seen_max[4] > 900);
    struct config_retry zero = {3, 0, 1000};
    assert_int_equal(attempt_plan_backoff_ms(&zero, 2, &seed), 0);
}

static struct config_model a, b, c;
static struct config_model *a_fallbacks[] = {&b, &c};

static void models_init(void)
{
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    memset(&c, 0, sizeof(c));
    a.name = "a";
    b.name = "b";
    c.name = "c";
    a.retry = (struct config_retry){1, 10, 100};
    b.retry = (struct config_retry){0, 10, 100};
    a.fallbacks = a_fallbacks;
    a.n_fallbacks = 2;
}

static void decision_retry_then_fallback_then_give_up(void **state)
{
    (void)state;
    models_init();
    uint64_t seed = 7;
    struct attempt_decision d;
    struct attempt_failure f = {.status = 503, .retry_after_ms = 0};
    struct attempt_progress p = {.model = &a, .requested_model = &a, .attempts_on_model = 1};
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_int_equal(d.next, ATTEMPT_NEXT_RETRY);
    assert_true(d.wait_ms <= 10);
    /* Retry-After is a floor on the backoff */
    f.retry_after_ms = 1500;
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_int_equal(d.next, ATTEMPT_NEXT_RETRY);
    assert_int_equal(d.wait_ms, 1500);
    /* retries used up: the fallbacks list in order */
    p.attempts_on_model = 2;
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_int_equal(d.next, ATTEMPT_NEXT_FALLBACK);
    assert_ptr_equal(d.fallback_to, &b);
    assert_true(d.fallback_from_list);
    p.fallback_pos = 1;
    p.fallbacks_taken = 1;
    p.model = &b;
    p.attempts_on_model = 1;
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_ptr_equal(d.fallback_to, &c);
    p.fallback_pos = 2;
    p.model = &c;
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_int_equal(d.next, ATTEMPT_NEXT_GIVE_UP);
    assert_false(d.fallback_from_list);
    /* the target's retry policy wins over the model's */
    struct config_retry none = {0, 10, 100};
    p = (struct attempt_progress){.model = &a, .requested_model = &a, .retry = &none, .attempts_on_model = 1};
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_int_equal(d.next, ATTEMPT_NEXT_FALLBACK);
    /* a bound on fallbacks */
    p.fallbacks_taken = ATTEMPT_PLAN_MAX_FALLBACKS;
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_int_equal(d.next, ATTEMPT_NEXT_GIVE_UP);
}

static void decision_fallback_rules(void **state)
{
    (void)state;
    models_init();
    struct config_fallback_rule rules[] = {
        {400, 400, NULL, &c, "context_length"}, /* a too-long prompt goes to c */
        {500, 599, NULL, NULL, NULL},           /* server errors: the list */
    };
    a.fallback_rules = rules;
    a.n_fallback_rules = 2;
    a.retry.max = 0;
    uint64_t seed = 7;
    struct attempt_decision d;
    struct attempt_progress p = {.model = &a, .requested_model = &a, .attempts_on_model = 1};
    const char body[] = "{\"error\":{\"code\":\"context_length_exceeded\"}}";
    struct attempt_failure f = {.status = 400, .body = body, .body_len = sizeof(body) - 1};
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_int_equal(d.next, ATTEMPT_NEXT_FALLBACK);
    assert_ptr_equal(d.fallback_to, &c);
    assert_false(d.fallback_from_list);
    f.body = "{}";
    f.body_len = 2;
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_int_equal(d.next, ATTEMPT_NEXT_GIVE_UP);
    f.status = 502;
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_ptr_equal(d.fallback_to, &b);
    assert_true(d.fallback_from_list);
    f.status = 0; /* a connect error matches no HTTP rule */
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_int_equal(d.next, ATTEMPT_NEXT_GIVE_UP);
}

static void decision_cooling(void **state)
{
    (void)state;
    models_init();
    a.n_fallbacks = 0;
    uint64_t seed = 7;
    struct attempt_decision d;
    struct attempt_progress p = {.model = &a, .requested_model = &a, .attempts_on_model = 0};
    struct attempt_failure f = {.overload = 1, .cooling_wait_ms = 700};
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_int_equal(d.next, ATTEMPT_NEXT_WAIT_COOLING);
    assert_int_equal(d.wait_ms, 700);
    p.cooling_waits = 1; /* retries.max is 1 */
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_int_equal(d.next, ATTEMPT_NEXT_GIVE_UP);
    p.cooling_waits = 0;
    f.cooling_wait_ms = ATTEMPT_PLAN_MAX_COOLING_WAIT_MS + 1;
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_int_equal(d.next, ATTEMPT_NEXT_GIVE_UP);
    /* an overload never counts as a retry of the model */
    f.cooling_wait_ms = 0;
    attempt_plan_after_failure(&p, &f, &seed, &d);
    assert_int_equal(d.next, ATTEMPT_NEXT_GIVE_UP);
}

static void queue_rules(void **state)
{
    (void)state;
    assert_false(attempt_plan_queue_admits(0, 0));
    assert_true(attempt_plan_queue_admits(2, 1));
    assert_true(attempt_plan_queue_admits(2, 2));
    assert_false(attempt_plan_queue_admits(2, 3));
    assert_false(attempt_plan_queue_expired(5000000000ull, 4000000000ull, 1000));
    assert_true(attempt_plan_queue_expired(5000000001ull, 4000000000ull, 1000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retryable_statuses),
        cmocka_unit_test(retry_after_values),
        cmocka_unit_test(backoff_within_cap),
        cmocka_unit_test(decision_retry_then_fallback_then_give_up),
        cmocka_unit_test(decision_fallback_rules),
        cmocka_unit_test(decision_cooling),
        cmocka_unit_test(queue_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
