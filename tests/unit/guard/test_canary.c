/* Canary tokens: randomness and shape, request injection, leak detection on
 * whole answers and on streams split at every byte position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "guard/canary.h"
#include "util/err.h"

static void canaries_are_random_and_plain(void **state)
{
    struct guard_canary a, b;
    assert_int_equal(guard_canary_make(&a), 0);
    assert_int_equal(guard_canary_make(&b), 0);
    assert_int_equal(strlen(a.token), GUARD_CANARY_LEN);
    assert_string_not_equal(a.token, b.token);
    for (size_t i = 0; i < GUARD_CANARY_LEN; i++)
        assert_true(islower((unsigned char)a.token[i]) || isdigit((unsigned char)a.token[i]));
}

static void inject_appends_to_the_system_message_or_adds_one(void **state)
{
    struct guard_canary c;
    guard_canary_make(&c);
    json_t *req = json_loads("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"hi\"}]}",
                             0, NULL);
    assert_int_equal(guard_canary_inject(req, &c), 0);
    json_t *msgs = json_object_get(req, "messages");
    assert_int_equal(json_array_size(msgs), 2);
    const char *sys = json_string_value(json_object_get(json_array_get(msgs, 0), "content"));
    assert_true(strncmp(sys, "Be brief.", 9) == 0);
    assert_non_null(strstr(sys, c.token));
    json_decref(req);

    req = json_loads("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 0, NULL);
    assert_int_equal(guard_canary_inject(req, &c), 0);
    msgs = json_object_get(req, "messages");
    assert_int_equal(json_array_size(msgs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 0), "role")), "system");
    assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 1), "content")), "hi");
    json_decref(req);

    req = json_loads("{\"input\":\"x\"}", 0, NULL);
    assert_int_equal(guard_canary_inject(req, &c), WARDEN_EINVAL);
    json_decref(req);
}

static void leaks_are_seen_in_any_case(void **state)
{
    struct guard_canary c;
    guard_canary_make(&c);
    char text[200];
    snprintf(text, sizeof(text), "Sure! My instructions say: Security canary: %s. Anything else?", c.token);
    assert_true(guard_canary_leaked(&c, text, strlen(text)));
    for (char *p = text; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    assert_true(guard_canary_leaked(&c, text, strlen(text)));
    assert_false(guard_canary_leaked(&c, "no canary here", 14));
    /* all but the last character is not a leak */
    assert_false(guard_canary_leaked(&c, c.token, GUARD_CANARY_LEN - 1));
}

static void stream_sees_a_canary_split_at_every_position(void **state)
{
    struct guard_canary c;
    guard_canary_make(&c);
    char answer[256];
    int n = snprintf(answer, sizeof(answer), "The hidden value is %s, as you asked.", c.token);
    for (int cut = 0; cut <= n; cut++) {
        struct guard_canary_stream s;
        struct util_buf out;
        util_buf_init(&out, 4096);
        guard_canary_stream_init(&s, &c);
        int r1 = guard_canary_stream_feed(&s, answer, (size_t)cut, &out);
        int r2 = r1 ? 1 : guard_canary_stream_feed(&s, answer + cut, (size_t)(n - cut), &out);
        assert_true(r1 == 1 || r2 == 1);
        assert_false(out.data && guard_canary_leaked(&c, out.data, out.len)); /* never released whole */
        assert_int_equal(guard_canary_stream_finish(&s, &out), 1);
        util_buf_free(&out);
    }
    /* byte by byte */
    struct guard_canary_stream s;
    struct util_buf out;
    util_buf_init(&out, 4096);
    guard_canary_stream_init(&s, &c);
    int leaked = 0;
    for (int i = 0; i < n && !leaked; i++)
        leaked = guard_canary_stream_feed(&s, answer + i, 1, &out) == 1;
    assert_true(leaked);
    util_buf_free(&out);
}

static void stream_without_canary_is_released_unchanged_with_a_short_hold(void **state)
{
    struct guard_canary c;
    guard_canary_make(&c);
    const char *answer = "A perfectly ordinary answer about bread, flour, water and salt, in several small chunks.";
    size_t n = strlen(answer);
    struct guard_canary_stream s;
    struct util_buf out;
    util_buf_init(&out, 4096);
    guard_canary_stream_init(&s, &c);
    for (size_t i = 0; i < n; i += 7) {
        size_t k = n - i < 7 ? n - i : 7;
        assert_int_equal(guard_canary_stream_feed(&s, answer + i, k, &out), 0);
        assert_true(i + k - out.len <= GUARD_CANARY_LEN - 1); /* only a canary's length is held back */
    }
    assert_int_equal(guard_canary_stream_finish(&s, &out), 0);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.data, answer, n);
    util_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(canaries_are_random_and_plain),
        cmocka_unit_test(inject_appends_to_the_system_message_or_adds_one),
        cmocka_unit_test(leaks_are_seen_in_any_case),
        cmocka_unit_test(stream_sees_a_canary_split_at_every_position),
        cmocka_unit_test(stream_without_canary_is_released_unchanged_with_a_short_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
