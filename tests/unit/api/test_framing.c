/* Request framing checks (api/framing.c): the raw heads that h2o would frame one way and
 * another parser another way are refused; unambiguous ones pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "api/framing.h"

static const char *problem(const char *head)
{
    return api_framing_problem(head, strlen(head));
}

static void unambiguous_heads_pass(void **state)
{
    (void)state;
    assert_null(problem("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_null(problem("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"));
    assert_null(problem("POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"));
    assert_null(problem("POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length:  5 \r\n\r\n"));
    assert_null(problem("\r\n\r\nPOST / HTTP/1.1\nContent-Length: 5\n\nhello"));
    /* what follows the head is not read: a body that looks like headers is just a body */
    assert_null(problem("POST / HTTP/1.1\r\nContent-Length: 40\r\n\r\nTransfer-Encoding: chunked\r\n\r\n"));
    /* a folded line continues a value; it is not a header of its own */
    assert_null(problem("GET / HTTP/1.1\r\nX-A: 1\r\n Content-Length: 7\r\nContent-Length: 0\r\n\r\n"));
    assert_null(problem(""));
    assert_null(problem("GET / HTTP/1.1"));
}

static void both_framings_are_refused(void **state)
{
    (void)state;
    assert_non_null(problem("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"));
    assert_non_null(problem("POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n"));
    assert_non_null(strstr(problem("POST / HTTP/1.1\r\nTRANSFER-ENCODING: chunked\r\nContent-Length: 0\r\n\r\n"),
                           "both Content-Length and Transfer-Encoding"));
    /* bare LF line ends, as the parser accepts them */
    assert_non_null(problem("POST / HTTP/1.1\nContent-Length: 5\nTransfer-Encoding: chunked\n\n"));
}

static void conflicting_lengths_and_codings_are_refused(void **state)
{
    (void)state;
    assert_non_null(strstr(problem("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), "different values"));
    assert_non_null(problem("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5, 6\r\n\r\n"));
    assert_non_null(strstr(problem("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"),
                           "more than one Transfer-Encoding"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unambiguous_heads_pass),
        cmocka_unit_test(both_framings_are_refused),
        cmocka_unit_test(conflicting_lengths_and_codings_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
