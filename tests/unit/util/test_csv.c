#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/csv.h"
#include "util/err.h"

static void quoted_fields_with_commas_quotes_and_newlines(void **state)
{
    const char *t = ",count,tweet\r\n0,3,\"hello, \"\"world\"\"\nsecond line\"\n\n1,2,plain\n2,1,";
    struct util_csv c = util_csv_start(t, strlen(t));
    char **f, err[128];
    int n = util_csv_next(&c, &f, err, sizeof(err));
    assert_int_equal(n, 3);
    assert_string_equal(f[0], "");
    assert_int_equal(util_csv_column(f, n, "tweet"), 2);
    assert_int_equal(util_csv_column(f, n, "nope"), -1);
    util_csv_fields_free(f, n);
    n = util_csv_next(&c, &f, err, sizeof(err));
    assert_int_equal(n, 3);
    assert_string_equal(f[2], "hello, \"world\"\nsecond line");
    util_csv_fields_free(f, n);
    n = util_csv_next(&c, &f, err, sizeof(err));
    assert_int_equal(n, 3);
    assert_string_equal(f[2], "plain");
    util_csv_fields_free(f, n);
    n = util_csv_next(&c, &f, err, sizeof(err));
    assert_int_equal(n, 3);
    assert_string_equal(f[2], "");
    util_csv_fields_free(f, n);
    assert_int_equal(util_csv_next(&c, &f, err, sizeof(err)), 0);
}

static void broken_quotes_are_errors_with_a_line(void **state)
{
    char **f, err[128];
    const char *t = "a,b\n1,\"open\n";
    struct util_csv c = util_csv_start(t, strlen(t));
    assert_int_equal(util_csv_next(&c, &f, err, sizeof(err)), 2);
    util_csv_fields_free(f, 2);
    assert_int_equal(util_csv_next(&c, &f, err, sizeof(err)), WARDEN_EINVAL);
    assert_non_null(strstr(err, "line 2"));
    const char *u = "\"x\"y,z\n";
    c = util_csv_start(u, strlen(u));
    assert_int_equal(util_csv_next(&c, &f, err, sizeof(err)), WARDEN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quoted_fields_with_commas_quotes_and_newlines),
        cmocka_unit_test(broken_quotes_are_errors_with_a_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
