/* json_span: the validator must agree with a strict parser (jansson) on what
 * is JSON, and member lookup must find values byte-exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_span.h"

static const char *valid_cases[] = {
    "{}", "[]", "0", "-0.5e+10", "\"\"", "true", " {\"a\" : [1, 2, {\"b\": null}] } ",
    "{\"s\":\"x\\\"y\\\\z\\u00e9\\n\"}", "{\"u\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}", "[1.0,2E3,-3e-2]",
    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
};
static const char *invalid_cases[] = {
    "", "{", "{\"a\"}", "{\"a\":}", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "tru", "nul",
    "\"\x01\"", "\"\\x\"", "\"\\u12\"", "\"abc", "{\"a\":1} x", "[1 2]", "{1:2}", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
    "\"\xf5\x80\x80\x80\"", "\"\xe2\x82\"",
};

static void validator_agrees_with_jansson(void **state)
{
    char err[128];
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        const char *c = valid_cases[i];
        assert_int_equal(json_span_validate(c, strlen(c), err, sizeof(err)), 0);
        json_error_t je;
        json_t *j = json_loadb(c, strlen(c), JSON_DECODE_ANY, &je);
        assert_non_null(j);
        json_decref(j);
    }
    for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
        const char *c = invalid_cases[i];
        if (json_span_validate(c, strlen(c), err, sizeof(err)) == 0)
            fail_msg("accepted invalid JSON #%zu: %s", i, c);
        assert_non_null(strstr(err, "at byte"));
    }
}

static void deep_nesting_is_rejected_not_crashing(void **state)
{
    size_t n = 100000;
    char *s = malloc(n * 2);
    memset(s, '[', n);
    memset(s + n, ']', n);
    char err[128];
    assert_int_equal(json_span_validate(s, n * 2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "nesting"));
    free(s);
}

static void members_are_found_in_one_pass(void **state)
{
    const char *j = "{\"x\":\"has \\\"model\\\": inside\",\"model\" : \"gpt\",\"messages\":[{\"role\":\"user\"},{\"role\":\"b\"}],"
                    "\"stream\":true}";
    const char *keys[] = {"model", "messages", "stream", "absent"};
    size_t s[4], e[4];
    assert_int_equal(json_span_members(j, strlen(j), keys, 4, s, e), 3);
    assert_memory_equal(j + s[0], "\"gpt\"", 5);
    assert_int_equal(e[0] - s[0], 5);
    assert_int_equal(json_span_type(j + s[1]), '[');
    assert_int_equal(json_span_type(j + s[2]), 't');
    assert_int_equal(s[3], 0);
    size_t pos = 0, es, ee, count = 0;
    while (json_span_array_next(j, s[1], e[1], &pos, &es, &ee)) {
        size_t rs, re;
        assert_int_equal(json_span_find_in(j, es, ee, "role", &rs, &re), 0);
        count++;
    }
    assert_int_equal(count, 2);
    char *m = json_span_string(j, s[0], e[0]);
    assert_string_equal(m, "gpt");
    free(m);
    size_t n;
    char *r = json_span_replace_with_string(j, strlen(j), s[0], e[0], "up\"stream", &n);
    assert_non_null(strstr(r, "\"model\" : \"up\\\"stream\""));
    free(r);
}

static void escaped_strings_decode(void **state)
{
    const char *j = "\"a\\u00e9\\n\"";
    char *s = json_span_string(j, 0, strlen(j));
    assert_string_equal(s, "a\xc3\xa9\n");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validator_agrees_with_jansson),
        cmocka_unit_test(deep_nesting_is_rejected_not_crashing),
        cmocka_unit_test(members_are_found_in_one_pass),
        cmocka_unit_test(escaped_strings_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
