/* The SSE parser and its byte-level JSON helpers (src/api/sse.c): events split anywhere,
 * multi-line data, CRLF, ignored fields, the stop value of the callback, the size caps,
 * event_bytes for re-framing, and the JSON member walk / key compare / string decode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_span.h"
#include "api/sse.h"
#include "util/err.h"

/* The events seen, joined as "<data>|" each, and the raw sizes reported. */
struct seen {
    char out[4096];
    size_t len;
    size_t bytes[32];
    int n;
    int stop_at; /* return 7 on this event (1-based); 0: never */
    struct sse_parser *p;
};

static int on_event(void *ud, const char *data, size_t len)
{
    struct seen *s = ud;
    assert_true(s->len + len + 1 < sizeof(s->out));
    memcpy(s->out + s->len, data, len);
    s->len += len;
    s->out[s->len++] = '|';
    s->out[s->len] = '\0';
    if (s->n < 32)
        s->bytes[s->n] = s->p->event_bytes;
    s->n++;
    return s->stop_at == s->n ? 7 : 0;
}

static int feed_whole(const char *in, size_t cap, struct seen *s)
{
    struct sse_parser p;
    sse_parser_init(&p, cap);
    memset(s, 0, sizeof(*s));
    s->p = &p;
    int rc = sse_parser_feed(&p, in, strlen(in), on_event, s);
    sse_parser_free(&p);
    return rc;
}

static void events_and_data_lines(void **state)
{
    struct seen s;
    const char *in = "data: {\"a\":1}\n\n"
                     "data:no-space\n\n"
                     "data:  two spaces\n\n"
                     "data: line1\ndata: line2\n\n"
                     "data: [DONE]\n\n";
    assert_int_equal(feed_whole(in, 1024, &s), 0);
    assert_string_equal(s.out, "{\"a\":1}|no-space| two spaces|line1\nline2|[DONE]|");
    assert_int_equal(s.n, 5);
}

static void crlf_comments_and_other_fields(void **state)
{
    struct seen s;
    const char *in = ": keep-alive comment\r\n\r\n"       /* no data: no event */
                     "event: message\r\nid: 7\r\nretry: 100\r\ndata: x\r\n\r\n"
                     "event: ping\n\n"                     /* no data: no event */
                     "data:\n\n";                          /* empty data is an event */
    assert_int_equal(feed_whole(in, 1024, &s), 0);
    assert_string_equal(s.out, "x||");
    assert_int_equal(s.n, 2);
}

static void an_unterminated_event_is_not_dispatched(void **state)
{
    struct seen s;
    assert_int_equal(feed_whole("data: a\n\ndata: b\n", 1024, &s), 0);
    assert_string_equal(s.out, "a|");
}

/* Every split point (and byte-by-byte feeding) gives the same events as one feed. */
static void split_anywhere(void **state)
{
    const char *in = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\r\n\r\n: c\n\ndata: a\ndata: b\n\ndata: [DONE]\n\n";
    size_t n = strlen(in);
    struct seen whole;
    assert_int_equal(feed_whole(in, 1024, &whole), 0);
    for (size_t cut = 0; cut <= n; cut++) {
        struct sse_parser p;
        struct seen s;
        memset(&s, 0, sizeof(s));
        s.p = &p;
        sse_parser_init(&p, 1024);
        assert_int_equal(sse_parser_feed(&p, in, cut, on_event, &s), 0);
        assert_int_equal(sse_parser_feed(&p, in + cut, n - cut, on_event, &s), 0);
        assert_string_equal(s.out, whole.out);
        assert_memory_equal(s.bytes, whole.bytes, sizeof(s.bytes));
        sse_parser_free(&p);
    }
    struct sse_parser p;
    struct seen s;
    memset(&s, 0, sizeof(s));
    s.p = &p;
    sse_parser_init(&p, 1024);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(sse_parser_feed(&p, in + i, 1, on_event, &s), 0);
    assert_string_equal(s.out, whole.out);
    sse_parser_free(&p);
}

/* event_bytes, read inside the callback, is the raw size of the event with its blank line. */
static void event_bytes_for_reframing(void **state)
{
    struct seen s;
    assert_int_equal(feed_whole("data: a\n\n: c\nevent: e\r\ndata: bc\r\n\r\n", 1024, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.bytes[0], strlen("data: a\n\n"));
    assert_int_equal(s.bytes[1], strlen(": c\nevent: e\r\ndata: bc\r\n\r\n"));
}

static void the_callback_stops_the_feed(void **state)
{
    struct sse_parser p;
    struct seen s;
    memset(&s, 0, sizeof(s));
    s.p = &p;
    s.stop_at = 2;
    sse_parser_init(&p, 1024);
    const char *in = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
    assert_int_equal(sse_parser_feed(&p, in, strlen(in), on_event, &s), 7);
    assert_string_equal(s.out, "1|2|");
    sse_parser_free(&p);
}

static void a_line_over_the_cap_is_refused(void **state)
{
    char line[200];
    memset(line, 'x', sizeof(line));
    memcpy(line, "data: ", 6);
    /* in one feed */
    struct sse_parser p;
    struct seen s;
    memset(&s, 0, sizeof(s));
    s.p = &p;
    sse_parser_init(&p, 64);
    char in[256];
    memcpy(in, line, sizeof(line));
    memcpy(in + sizeof(line), "\n\n", 2);
    assert_int_equal(sse_parser_feed(&p, in, sizeof(line) + 2, on_event, &s), WARDEN_ETOOBIG);
    assert_true(p.overflow);
    assert_int_equal(s.n, 0);
    sse_parser_free(&p);
    /* across feeds */
    memset(&s, 0, sizeof(s));
    s.p = &p;
    sse_parser_init(&p, 64);
    int rc = 0;
    for (size_t i = 0; i < sizeof(line) && rc == 0; i += 10)
        rc = sse_parser_feed(&p, line + i, 10, on_event, &s);
    assert_int_equal(rc, WARDEN_ETOOBIG);
    assert_true(p.overflow);
    sse_parser_free(&p);
}

static void an_event_over_the_cap_is_refused(void **state)
{
    /* each line is under the cap; together they are not */
    struct seen s;
    char in[1024] = "";
    for (int i = 0; i < 20; i++)
        strcat(in, "data: 0123456789\n");
    strcat(in, "\n");
    assert_int_equal(feed_whole(in, 64, &s), WARDEN_ETOOBIG);
    assert_int_equal(s.n, 0);
    /* a line of exactly the cap still passes */
    assert_int_equal(feed_whole("data: 0123456789\n\n", 16, &s), 0);
    assert_string_equal(s.out, "0123456789|");
}

static void json_members_walk(void **state)
{
    const char *j = "{ \"id\" : \"x\", \"n\":[1,{\"a\":\"}\"}], \"o\":{\"k\":null} ,\"s\":\"q\\\"\"}";
    size_t end = strlen(j), pos = 0, ks, ke, vs, ve, es, ee, apos = 0;
    const char *want_keys[] = {"\"id\"", "\"n\"", "\"o\"", "\"s\""};
    const char *want_vals[] = {"\"x\"", "[1,{\"a\":\"}\"}]", "{\"k\":null}", "\"q\\\"\""};
    struct sse_json_tape t = {0};
    assert_int_equal(sse_json_tape_build(&t, j, end), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(sse_json_tape_object_next(&t, 0, &pos, &ks, &ke, &vs, &ve), 1);
        assert_int_equal(ke - ks, strlen(want_keys[i]));
        assert_memory_equal(j + ks, want_keys[i], ke - ks);
        assert_int_equal(ve - vs, strlen(want_vals[i]));
        assert_memory_equal(j + vs, want_vals[i], ve - vs);
        if (i == 1) {
            /* the array's elements, then the object inside it */
            assert_int_equal(sse_json_tape_array_next(&t, vs, &apos, &es, &ee), 1);
            assert_memory_equal(j + es, "1", ee - es);
            assert_int_equal(sse_json_tape_array_next(&t, vs, &apos, &es, &ee), 1);
            assert_memory_equal(j + es, "{\"a\":\"}\"}", ee - es);
            assert_int_equal(sse_json_tape_array_next(&t, vs, &apos, &es, &ee), 0);
            size_t p2 = 0;
            assert_int_equal(sse_json_tape_object_next(&t, es, &p2, &ks, &ke, &vs, &ve), 1);
            assert_memory_equal(j + vs, "\"}\"", ve - vs);
            assert_int_equal(sse_json_tape_object_next(&t, es, &p2, &ks, &ke, &vs, &ve), 0);
        }
    }
    assert_int_equal(sse_json_tape_object_next(&t, 0, &pos, &ks, &ke, &vs, &ve), 0);
    /* no container starts there: nothing to walk */
    pos = 0;
    assert_int_equal(sse_json_tape_object_next(&t, 1, &pos, &ks, &ke, &vs, &ve), 0);
    assert_int_equal(sse_json_tape_array_next(&t, 0, &pos, &es, &ee), 0);
    /* the tape accepts exactly what json_span_validate accepts */
    char deep[600];
    memset(deep, '[', 257);
    memset(deep + 257, ']', 257);
    deep[514] = '\0';
    const char *texts[] = {j, " {\"a\":[1,2.5e3,-0,true,false,null]} ", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{}x", "\"\\ud83d\"",
                           "\"\\ud83d\\ude00\"", "\"\xc3\"", "01", "-", "[]", "{ }", "", "nul", deep, deep + 1};
    for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
        size_t n = i == sizeof(texts) / sizeof(*texts) - 1 ? 512 : strlen(texts[i]);
        assert_int_equal(sse_json_tape_build(&t, texts[i], n) == 0, json_span_validate(texts[i], n, NULL, 0) == 0);
    }
    /* a cut text is not JSON */
    assert_int_equal(sse_json_tape_build(&t, j, strlen("{ \"id\" : \"x\", \"n\":[1,{\"a\":\"}")), -1);
    sse_json_tape_free(&t);
}

static void json_key_compare_unescapes(void **state)
{
    const char *j = "\"content\" \"c\\u006fntent\" \"cont\" \"content\\u0000\"";
    assert_true(sse_json_key_is(j, 0, 9, "content"));
    assert_true(sse_json_key_is(j, 10, 24, "content"));
    assert_false(sse_json_key_is(j, 25, 31, "content"));
    assert_false(sse_json_key_is(j, 32, strlen(j), "content"));
}

static void json_string_decode(void **state)
{
    struct util_buf out;
    util_buf_init(&out, 64);
    const char *j = "\"a\\n\\t\\\"\\\\\\/\\u00e9\\ud83d\\ude00\\ud800x\"";
    assert_int_equal(sse_json_string_decode(j, 0, strlen(j), &out), 0);
    const char want[] = "a\n\t\"\\/\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx"; /* lone surrogate: U+FFFD */
    assert_int_equal(out.len, sizeof(want) - 1);
    assert_memory_equal(out.data, want, out.len);
    util_buf_reset(&out);
    const char *bad = "\"\\q\"";
    assert_true(sse_json_string_decode(bad, 0, strlen(bad), &out) < 0);
    util_buf_reset(&out);
    const char *cut = "\"\\u00";
    assert_true(sse_json_string_decode(cut, 0, strlen(cut), &out) < 0);
    util_buf_free(&out);
    /* the cap applies */
    util_buf_init(&out, 4);
    const char *big = "\"0123456789\"";
    assert_int_equal(sse_json_string_decode(big, 0, strlen(big), &out), WARDEN_ETOOBIG);
    util_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_and_data_lines),
        cmocka_unit_test(crlf_comments_and_other_fields),
        cmocka_unit_test(an_unterminated_event_is_not_dispatched),
        cmocka_unit_test(split_anywhere),
        cmocka_unit_test(event_bytes_for_reframing),
        cmocka_unit_test(the_callback_stops_the_feed),
        cmocka_unit_test(a_line_over_the_cap_is_refused),
        cmocka_unit_test(an_event_over_the_cap_is_refused),
        cmocka_unit_test(json_members_walk),
        cmocka_unit_test(json_key_compare_unescapes),
        cmocka_unit_test(json_string_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
