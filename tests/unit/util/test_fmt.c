#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/fmt.h"

/* util_fmt_u64 must agree with printf for every magnitude, the edges included. */
static void fmt_u64_matches_printf(void **state)
{
    uint64_t vals[] = {0, 1, 9, 10, 99, 100, 12345, 4294967295u, 4294967296u, 999999999999ull, UINT64_MAX};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        char want[32], got[UTIL_FMT_U64_MAX];
        int wn = snprintf(want, sizeof(want), "%" PRIu64, vals[i]);
        size_t n = util_fmt_u64(got, vals[i]);
        assert_int_equal(n, (size_t)wn);
        assert_string_equal(got, want);
    }
    for (uint64_t v = 1; v < UINT64_MAX / 7; v = v * 7 + 3) {
        char want[32], got[UTIL_FMT_U64_MAX];
        snprintf(want, sizeof(want), "%" PRIu64, v);
        util_fmt_u64(got, v);
        assert_string_equal(got, want);
    }
}

static void fmt_hex_pads_and_truncates(void **state)
{
    char out[16] = {0};
    util_fmt_hex(out, 0xabc, 8);
    assert_memory_equal(out, "00000abc", 8);
    util_fmt_hex(out, 0x123456789ull, 4);
    assert_memory_equal(out, "6789", 4);
    util_fmt_hex(out, UINT64_MAX, 12);
    assert_memory_equal(out, "ffffffffffff", 12);
}

static void strlcpy_cuts_and_terminates(void **state)
{
    char small[4];
    assert_int_equal(util_strlcpy(small, "abcdef", sizeof(small)), 3);
    assert_string_equal(small, "abc");
    char big[16];
    assert_int_equal(util_strlcpy(big, "abc", sizeof(big)), 3);
    assert_string_equal(big, "abc");
    assert_int_equal(util_strlcpy(big, "", sizeof(big)), 0);
    assert_string_equal(big, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fmt_u64_matches_printf),
        cmocka_unit_test(fmt_hex_pads_and_truncates),
        cmocka_unit_test(strlcpy_cuts_and_terminates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
