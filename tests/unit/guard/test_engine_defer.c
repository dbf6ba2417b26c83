/* The engine's callback rule (engine.h) on a real loop, with checks that decide at once
 * (regex fast path, keywords, length, a chain of regexes, a redaction): no verdict inside
 * guard_run_start(), verdicts in the order the runs started (runs started by a callback
 * included), a run cancelled while its verdict waits is never reported (from outside or
 * from another run's callback; its rewritten texts are freed: ASan build). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "config/config.h"
#include "guard/engine.h"
#include "metrics/metrics.h"
#include "engine_fixture.h"

static int setup(void **state)
{
    static const char yaml[] =
        "providers:\n  - {name: p, type: openai, base_url: \"http://127.0.0.1:1/v1\"}\n"
        "models:\n  - {name: m, targets: [{provider: p, model: x}]}\n"
        "guardrails:\n"
        "  - {name: rx, type: regex, patterns: [\"sk-[a-z]{4}\"]}\n"
        "  - {name: kw, type: keywords, keywords: [\"forbidden\"]}\n"
        "  - {name: len, type: length, max_chars: 10}\n"
        "  - {name: red, type: regex, action: redact, patterns: [\"sk-[a-z]{4}\"]}\n"
        "  - {name: chain, type: chain, members: [red, kw]}\n";
    return engine_fixture_up(yaml, sizeof(yaml) - 1);
}

static int teardown(void **state)
{
    return engine_fixture_down();
}

/* One run's view: its verdict, where it landed in the delivery order, what its callback does. */
struct seen {
    char name[16];
    int done;
    enum guard_outcome outcome;
    char text0[64]; /* a rewrite's first text */
    struct guard_run *run;
    struct seen *cancel_in_cb; /* this callback cancels that run */
    struct seen *start_in_cb;  /* this callback starts that one */
};

static char order[256];

static struct guard_run *start(struct seen *s, const char *guard, const char *text);

static void on_verdict(void *ud, struct guard_verdict *v)
{
    struct seen *s = ud;
    s->done++;
    s->outcome = v->outcome;
    if (v->outcome == GUARD_REWRITE && v->texts != NULL && v->texts[0] != NULL)
        snprintf(s->text0, sizeof(s->text0), "%.*s", (int)v->lens[0], v->texts[0]);
    snprintf(order + strlen(order), sizeof(order) - strlen(order), "%s%s", order[0] ? "," : "", s->name);
    if (s->cancel_in_cb != NULL) {
        guard_run_cancel(s->cancel_in_cb->run);
        s->cancel_in_cb->run = NULL;
    }
    if (s->start_in_cb != NULL)
        start(s->start_in_cb, s->start_in_cb->name, "sk-abcd here");
}

static struct guard_run *start(struct seen *s, const char *guard, const char *text)
{
    size_t len = strlen(text);
    char copy[128];
    snprintf(copy, sizeof(copy), "%s", text);
    const char *t = copy;
    struct guard_subject subj = {.stage = CONFIG_STAGE_INPUT, .texts = &t, .lens = &len, .n = 1, .n_messages = 1};
    s->run = guard_run_start(fx.env, config_find_guardrail(fx.cfg, guard), &subj, on_verdict, s);
    memset(copy, 'X', sizeof(copy)); /* the engine copied what it needs (engine.h) */
    return s->run;
}

static void no_verdict_inside_start_for_checks_that_decide_at_once(void **state)
{
    static const char *const guards[] = {"rx", "kw", "len", "red", "chain"};
    struct seen s[5];
    memset(s, 0, sizeof(s));
    order[0] = '\0';
    for (int i = 0; i < 5; i++) {
        snprintf(s[i].name, sizeof(s[i].name), "%s", guards[i]);
        assert_non_null(start(&s[i], guards[i], "sk-abcd and forbidden words"));
        assert_int_equal(s[i].done, 0);
    }
    uv_run(&fx.loop, UV_RUN_NOWAIT); /* one iteration delivers them all */
    for (int i = 0; i < 5; i++)
        assert_int_equal(s[i].done, 1);
    assert_string_equal(order, "rx,kw,len,red,chain"); /* the order they started */
    assert_int_equal(s[0].outcome, GUARD_BLOCK);
    assert_int_equal(s[1].outcome, GUARD_BLOCK);
    assert_int_equal(s[2].outcome, GUARD_BLOCK);
    assert_int_equal(s[3].outcome, GUARD_REWRITE);
    assert_string_equal(s[3].text0, "[REDACTED] and forbidden words");
    assert_int_equal(s[4].outcome, GUARD_BLOCK); /* the chain's keywords member read the redacted text */
    assert_int_equal(uv_loop_alive(&fx.loop), 0);
}

static void a_run_cancelled_while_its_verdict_waits_is_never_reported(void **state)
{
    struct seen a = {.name = "a"}, b = {.name = "b"}, c = {.name = "c"}, d = {.name = "d"};
    order[0] = '\0';
    start(&a, "red", "sk-abcd");
    start(&b, "red", "sk-abcd"); /* a rewrite: its texts wait with it */
    start(&c, "len", "far more than ten characters");
    start(&d, "chain", "sk-abcd");
    a.cancel_in_cb = &c; /* from another run's callback */
    guard_run_cancel(b.run);
    guard_run_cancel(d.run);
    uv_run(&fx.loop, UV_RUN_NOWAIT);
    assert_string_equal(order, "a");
    assert_int_equal(b.done + c.done + d.done, 0);
    uv_run(&fx.loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_alive(&fx.loop), 0);
}

static void a_run_started_by_a_callback_reports_after_those_already_waiting(void **state)
{
    struct seen a = {.name = "rx"}, b = {.name = "len"}, late = {.name = "kw"};
    order[0] = '\0';
    a.start_in_cb = &late;
    start(&a, "rx", "fine");
    start(&b, "len", "short");
    uv_run(&fx.loop, UV_RUN_NOWAIT);
    assert_string_equal(order, "rx,len,kw");
    assert_int_equal(late.outcome, GUARD_PASS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_verdict_inside_start_for_checks_that_decide_at_once),
        cmocka_unit_test(a_run_cancelled_while_its_verdict_waits_is_never_reported),
        cmocka_unit_test(a_run_started_by_a_callback_reports_after_those_already_waiting),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
