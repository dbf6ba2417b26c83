/* The SSE parser (api/sse.h) split anywhere, multi-line data, comments, CRLF, the event cap
 * and stopping; request ids (api/request_id.h) under their one rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "api/request_id.h"
#include "api/sse.h"

struct events {
    char all[4096];
    int n;
    int stop_at;
};

static int on_event(void *ud, const char *data, size_t len)
{
    struct events *e = ud;
    e->n++;
    size_t at = strlen(e->all);
    snprintf(e->all + at, sizeof(e->all) - at, "[%.*s]", (int)len, data);
    return e->stop_at > 0 && e->n == e->stop_at ? 7 : 0;
}

static const char stream[] = ": a comment\n"
                             "data: {\"a\":1}\n\n"
                             "event: x\r\ndata: line1\r\ndata: line2\r\n\r\n"
                             "data:no-space\n\n"
                             "data: [DONE]\n\n";
static const char expected[] = "[{\"a\":1}][line1\nline2][no-space][[DONE]]";

static void events_split_anywhere(void **state)
{
    (void)state;
    size_t len = strlen(stream);
    for (size_t step = 1; step <= len; step++) {
        struct sse_parser p;
        struct events e = {0};
        sse_parser_init(&p, 1024);
        for (size_t i = 0; i < len; i += step)
            assert_int_equal(sse_parser_feed(&p, stream + i, len - i < step ? len - i : step, on_event, &e), 0);
        assert_string_equal(e.all, expected);
        assert_int_equal(p.overflow, 0);
        sse_parser_free(&p);
    }
}

static void callback_stops_and_cap_overflows(void **state)
{
    (void)state;
    struct sse_parser p;
    struct events e = {.stop_at = 2};
    sse_parser_init(&p, 1024);
    assert_int_equal(sse_parser_feed(&p, stream, strlen(stream), on_event, &e), 7);
    assert_int_equal(e.n, 2);
    sse_parser_free(&p);

    char big[200];
    memset(big, 'x', sizeof(big));
    memcpy(big, "data: ", 6);
    struct events e2 = {0};
    sse_parser_init(&p, 64);
    assert_int_not_equal(sse_parser_feed(&p, big, sizeof(big), on_event, &e2), 0);
    assert_int_equal(p.overflow, 1);
    assert_int_equal(e2.n, 0);
    sse_parser_free(&p);
}

static void request_ids_one_rule(void **state)
{
    (void)state;
    assert_true(api_request_id_ok("abc-123_X.y", 11));
    assert_false(api_request_id_ok("", 0));
    assert_false(api_request_id_ok("a b", 3));
    assert_false(api_request_id_ok("a\"b", 3));
    assert_false(api_request_id_ok("a\\b", 3));
    assert_false(api_request_id_ok("a\nb", 3));
    assert_false(api_request_id_ok("\xc3\xa9", 2));
    char long_id[API_REQUEST_ID_MAX + 1];
    memset(long_id, 'a', sizeof(long_id));
    assert_true(api_request_id_ok(long_id, API_REQUEST_ID_MAX));
    assert_false(api_request_id_ok(long_id, API_REQUEST_ID_MAX + 1));

    /* no headers: a new id, "req_" + 20 hex digits, different each time */
    char a[API_REQUEST_ID_SIZE], b[API_REQUEST_ID_SIZE];
    assert_int_equal(api_request_id(NULL, a), 24);
    assert_int_equal(api_request_id(NULL, b), 24);
    assert_memory_equal(a, "req_", 4);
    assert_string_not_equal(a, b);
    for (size_t i = 4; i < 24; i++)
        assert_non_null(strchr("0123456789abcdef", a[i]));

    /* a client's id is echoed when it is safe, replaced when not */
    h2o_mem_pool_t pool;
    h2o_mem_init_pool(&pool);
    h2o_headers_t hs = {NULL};
    h2o_add_header_by_str(&pool, &hs, H2O_STRLIT("x-request-id"), 0, NULL, H2O_STRLIT("client-42"));
    assert_int_equal(api_request_id(&hs, a), 9);
    assert_string_equal(a, "client-42");
    h2o_headers_t bad = {NULL};
    h2o_add_header_by_str(&pool, &bad, H2O_STRLIT("x-request-id"), 0, NULL, H2O_STRLIT("has space"));
    assert_int_equal(api_request_id(&bad, a), 24);
    assert_memory_equal(a, "req_", 4);
    h2o_mem_clear_pool(&pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_split_anywhere),
        cmocka_unit_test(callback_stops_and_cap_overflows),
        cmocka_unit_test(request_ids_one_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
