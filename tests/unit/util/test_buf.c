#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"

static void append_within_limit_keeps_bytes(void **state)
{
    struct util_buf b;
    util_buf_init(&b, 16);
    assert_int_equal(util_buf_append(&b, "hello ", 6), 0);
    assert_int_equal(util_buf_appendf(&b, "%s %d", "n", 42), 0);
    assert_string_equal(b.data, "hello n 42");
    assert_int_equal(b.len, 10);
    util_buf_free(&b);
}

static void append_past_limit_fails_and_keeps_contents(void **state)
{
    struct util_buf b;
    util_buf_init(&b, 8);
    assert_int_equal(util_buf_append(&b, "12345678", 8), 0);
    assert_int_equal(util_buf_append(&b, "9", 1), WARDEN_ETOOBIG);
    assert_int_equal(util_buf_appendf(&b, "%d", 1), WARDEN_ETOOBIG);
    assert_string_equal(b.data, "12345678");
    util_buf_free(&b);
}

/* appends that fill the space exactly, cross it, and formatted text longer than the free
 * space (formatted again after growing) keep every byte and the NUL */
static void appends_across_growth_keep_bytes(void **state)
{
    struct util_buf b;
    util_buf_init(&b, 1 << 20);
    char expect[4096];
    size_t n = 0;
    for (int i = 0; i < 300; i++) {
        if (i % 3 == 0) {
            assert_int_equal(util_buf_append(&b, "0123456789", (size_t)(i % 11)), 0);
            memcpy(expect + n, "0123456789", (size_t)(i % 11));
            n += (size_t)(i % 11);
        } else {
            int w = snprintf(expect + n, sizeof(expect) - n, "<%d:%s>", i, i % 7 == 0 ? "a longer formatted piece of text" : "x");
            assert_int_equal(util_buf_appendf(&b, "<%d:%s>", i, i % 7 == 0 ? "a longer formatted piece of text" : "x"), 0);
            n += (size_t)w;
        }
        assert_int_equal(b.len, n);
        assert_int_equal(b.data[b.len], '\0');
        assert_memory_equal(b.data, expect, n);
    }
    util_buf_free(&b);
}

static void consume_drops_prefix(void **state)
{
    struct util_buf b;
    util_buf_init(&b, 1024);
    util_buf_append(&b, "abcdef", 6);
    util_buf_consume(&b, 2);
    assert_string_equal(b.data, "cdef");
    util_buf_consume(&b, 100);
    assert_int_equal(b.len, 0);
    size_t n;
    char *s = util_buf_take(&b, &n);
    assert_int_equal(n, 0);
    free(s);
    util_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(append_within_limit_keeps_bytes),
        cmocka_unit_test(append_past_limit_fails_and_keeps_contents),
        cmocka_unit_test(appends_across_growth_keep_bytes),
        cmocka_unit_test(consume_drops_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
