/* Tests for the HTTP/1.x response head parser and the chunked decoder used by the lean
 * upstream client. Inputs are copied into heap buffers of exactly their length, so an
 * ASan build (make test-asan) also catches any read past the given length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/http1_parse.h"
#include "util/err.h"

#define LIT(s) (s), (sizeof(s) - 1)

/* an exact-size heap copy: a read past len lands outside the allocation */
static char *dup_exact(const char *s, size_t len)
{
    char *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, s, len);
    return p;
}

static ssize_t parse(const char *s, size_t len, struct http1_response_head *h, const char **why)
{
    char *b = dup_exact(s, len);
    *why = NULL;
    ssize_t r = http1_parse_response_head(b, len, h, why);
    /* the headers point into b; the tests that look at them parse the original directly */
    free(b);
    return r;
}

static const struct upstream_header *find_header(const struct http1_response_head *h, const char *name)
{
    for (size_t i = 0; i < h->n_headers; i++)
        if (h->headers[i].name_len == strlen(name) && memcmp(h->headers[i].name, name, strlen(name)) == 0)
            return &h->headers[i];
    return NULL;
}

static void assert_header(const struct http1_response_head *h, const char *name, const char *value)
{
    const struct upstream_header *hd = find_header(h, name);
    assert_non_null(hd);
    assert_int_equal(hd->value_len, strlen(value));
    if (hd->value_len > 0)
        assert_memory_equal(hd->value, value, hd->value_len);
}

/* ---- head ---- */

static void complete_head_returns_its_exact_length(void **state)
{
    const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 16\r\nX-A: b\r\n\r\n";
    const char body[] = "body\r\n\r\nHTTP/1.1";
    char buf[sizeof(head) + sizeof(body)] = {0};
    memcpy(buf, head, sizeof(head) - 1);
    memcpy(buf + sizeof(head) - 1, body, sizeof(body));
    size_t len = strlen(buf);
    char copy[sizeof(buf)];
    memcpy(copy, buf, sizeof(buf));

    struct http1_response_head h;
    const char *why = NULL;
    ssize_t r = http1_parse_response_head(buf, len, &h, &why);
    assert_int_equal(r, (ssize_t)(sizeof(head) - 1));
    assert_memory_equal(buf, copy, sizeof(buf)); /* nothing written, body bytes untouched */
    assert_null(why);
    assert_int_equal(h.minor_version, 1);
    assert_int_equal(h.status, 200);
    assert_int_equal(h.n_headers, 2);
    assert_int_equal(h.content_length, 16);
    assert_int_equal(h.chunked, 0);
    assert_int_equal(h.keep_alive, 1);
    assert_header(&h, "Content-Length", "16");
    assert_header(&h, "X-A", "b");
}

static void check_every_prefix(const char *full, size_t full_len, size_t head_len)
{
    struct http1_response_head h;
    const char *why;
    for (size_t i = 0; i <= full_len; i++) {
        ssize_t r = parse(full, i, &h, &why);
        if (i < head_len) {
            if (r != 0)
                fail_msg("prefix of %zu bytes (head is %zu): got %zd", i, head_len, r);
        } else {
            if (r != (ssize_t)head_len)
                fail_msg("%zu bytes (head is %zu): got %zd", i, head_len, r);
        }
    }
}

static void every_prefix_of_a_head_is_incomplete(void **state)
{
    const char crlf[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    const char lf[] = "HTTP/1.1 200 OK\nContent-Type: text/event-stream\nTransfer-Encoding: chunked\n\n";
    const char mixed[] = "HTTP/1.1 404 Not Found\r\nA: 1\nB: 2\r\n\n";
    const char bare[] = "HTTP/1.1 204\r\n\r\n";
    check_every_prefix(LIT(crlf), sizeof(crlf) - 1);
    check_every_prefix(LIT(lf), sizeof(lf) - 1);
    check_every_prefix(LIT(mixed), sizeof(mixed) - 1);
    check_every_prefix(LIT(bare), sizeof(bare) - 1);

    /* with body bytes after the head: once complete, the length stays the head's */
    const char with_body[] = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n\r\n\r\nabcd";
    check_every_prefix(LIT(with_body), sizeof(with_body) - 1 - 8);
}

static void bare_lf_line_ends(void **state)
{
    const char buf[] = "HTTP/1.1 201 Created\nA: 1\nB:2\nContent-Length: 0\n\nrest";
    struct http1_response_head h;
    const char *why = NULL;
    assert_int_equal(http1_parse_response_head(LIT(buf), &h, &why), sizeof(buf) - 1 - 4);
    assert_int_equal(h.status, 201);
    assert_int_equal(h.n_headers, 3);
    assert_header(&h, "A", "1");
    assert_header(&h, "B", "2");
    assert_int_equal(h.content_length, 0);
    assert_int_equal(h.keep_alive, 1);

    /* LF then CRLF also ends the head */
    const char mixed[] = "HTTP/1.1 200 OK\nA: 1\n\r\nX";
    assert_int_equal(http1_parse_response_head(LIT(mixed), &h, &why), sizeof(mixed) - 1 - 1);
    assert_int_equal(h.n_headers, 1);
}

static void status_and_version(void **state)
{
    struct {
        const char *s;
        int minor, status;
    } cases[] = {
        {"HTTP/1.0 404 Not Found\r\n\r\n", 0, 404}, {"HTTP/1.1 200\r\n\r\n", 1, 200},
        {"HTTP/1.1 200 \r\n\r\n", 1, 200},          {"HTTP/1.1 599 Whatever Reason: with colon\r\n\r\n", 1, 599},
        {"HTTP/1.1 100 Continue\n\n", 1, 100},      {"HTTP/1.9 302 Found\r\nLocation: /x\r\n\r\n", 9, 302},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http1_response_head h;
        const char *why;
        ssize_t r = parse(cases[i].s, strlen(cases[i].s), &h, &why);
        if (r != (ssize_t)strlen(cases[i].s))
            fail_msg("case %zu: got %zd (%s)", i, r, why ? why : "-");
        assert_int_equal(h.minor_version, cases[i].minor);
        assert_int_equal(h.status, cases[i].status);
    }
}

static void header_trimming_and_pointers(void **state)
{
    const char buf[] = "HTTP/1.1 200 OK\r\n"
                       "X-Pad:   \t value with  inner  spaces \t \r\n"
                       "X-Tight:v\r\n"
                       "X-Empty:\r\n"
                       "X-Blank: \t \r\n"
                       "x-odd!#$%&'*+-.^_`|~: tchar name\r\n"
                       "Content-Length:   3   \r\n"
                       "\r\n";
    struct http1_response_head h;
    const char *why = NULL;
    assert_int_equal(http1_parse_response_head(LIT(buf), &h, &why), sizeof(buf) - 1);
    assert_int_equal(h.n_headers, 6);
    assert_header(&h, "X-Pad", "value with  inner  spaces");
    assert_header(&h, "X-Tight", "v");
    assert_header(&h, "X-Empty", "");
    assert_header(&h, "X-Blank", "");
    assert_header(&h, "x-odd!#$%&'*+-.^_`|~", "tchar name");
    assert_int_equal(h.content_length, 3);

    /* names and values point into the buffer, not into copies */
    const struct upstream_header *pad = &h.headers[0];
    assert_ptr_equal(pad->name, buf + strlen("HTTP/1.1 200 OK\r\n"));
    assert_int_equal(pad->name_len, 5);
    assert_ptr_equal(pad->value, strstr(buf, "value with"));
    assert_ptr_equal(h.headers[1].name, strstr(buf, "X-Tight"));
    assert_ptr_equal(h.headers[1].value, strstr(buf, "X-Tight:") + 8);
    for (size_t i = 0; i < h.n_headers; i++) {
        assert_true(h.headers[i].name >= buf && h.headers[i].name + h.headers[i].name_len <= buf + sizeof(buf) - 1);
        assert_true(h.headers[i].value >= buf && h.headers[i].value + h.headers[i].value_len <= buf + sizeof(buf) - 1);
    }
}

static void informational_heads_parse_alone(void **state)
{
    const char buf[] = "HTTP/1.1 100 Continue\r\n\r\n"
                       "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    struct http1_response_head h;
    const char *why = NULL;
    size_t off = 0;

    ssize_t r = http1_parse_response_head(buf, sizeof(buf) - 1, &h, &why);
    assert_int_equal(r, strlen("HTTP/1.1 100 Continue\r\n\r\n"));
    assert_int_equal(h.status, 100);
    assert_int_equal(h.n_headers, 0);
    assert_int_equal(h.content_length, -1);
    off += (size_t)r;

    r = http1_parse_response_head(buf + off, sizeof(buf) - 1 - off, &h, &why);
    assert_int_equal(r, strlen("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"));
    assert_int_equal(h.status, 103);
    assert_header(&h, "Link", "</style.css>; rel=preload");
    assert_int_equal(h.keep_alive, 1); /* no body: 1xx never reads to close */
    off += (size_t)r;

    r = http1_parse_response_head(buf + off, sizeof(buf) - 1 - off, &h, &why);
    assert_int_equal(r, sizeof(buf) - 1 - off - 2);
    assert_int_equal(h.status, 200);
    assert_int_equal(h.content_length, 2);
}

/* ---- framing and keep-alive ---- */

struct framing_case {
    const char *head;
    int64_t content_length;
    int chunked;
    int keep_alive;
};

static void check_framing(const struct framing_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct http1_response_head h;
        const char *why;
        size_t len = strlen(cases[i].head);
        ssize_t r = parse(cases[i].head, len, &h, &why);
        if (r != (ssize_t)len)
            fail_msg("case %zu: got %zd (%s)\n%s", i, r, why ? why : "-", cases[i].head);
        if (h.content_length != cases[i].content_length || h.chunked != cases[i].chunked || h.keep_alive != cases[i].keep_alive)
            fail_msg("case %zu: content_length %lld chunked %d keep_alive %d, want %lld %d %d\n%s", i, (long long)h.content_length,
                     h.chunked, h.keep_alive, (long long)cases[i].content_length, cases[i].chunked, cases[i].keep_alive,
                     cases[i].head);
    }
}

static void framing_from_headers(void **state)
{
    const struct framing_case cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n", 42, 0, 1},
        {"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", 0, 0, 1},
        {"HTTP/1.1 200 OK\r\nContent-Length: 999999999999999999\r\n\r\n", 999999999999999999LL, 0, 1},
        {"HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n", 7, 0, 1},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", -1, 1, 1},
        {"HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: Chunked\r\n\r\n", -1, 1, 1},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -1, 1, 1},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,chunked , \r\n\r\n", -1, 1, 1},
        /* chunked not last: the body runs to the close */
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", -1, 0, 0},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", -1, 0, 0},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n", -1, 0, 0},
        /* several Transfer-Encoding lines form one list */
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", -1, 1, 1},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", -1, 0, 0},
        /* duplicate equal Content-Length is one length */
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 5, 0, 1},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\n", 5, 0, 1},
    };
    check_framing(cases, sizeof(cases) / sizeof(cases[0]));
}

static void transfer_encoding_overrides_content_length(void **state)
{
    /* Transfer-Encoding wins (RFC 9112 6.3), in either order. Both at once is a smuggling signal,
     * so the connection is not reused afterwards (6.1: close after processing such a message). */
    const struct framing_case cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n", -1, 1, 0},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 10\r\n\r\n", -1, 1, 0},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 10\r\n\r\n", -1, 0, 0},
    };
    check_framing(cases, sizeof(cases) / sizeof(cases[0]));
}

static void keep_alive_rules(void **state)
{
    const struct framing_case cases[] = {
        /* HTTP/1.1: on unless Connection: close */
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n", 1, 0, 1},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\n", 1, 0, 0},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: Upgrade, CLOSE\r\n\r\n", 1, 0, 0},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", 1, 0, 0},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: closed\r\n\r\n", 1, 0, 1},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nX-Connection: close\r\n\r\n", 1, 0, 1},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", -1, 1, 0},
        /* HTTP/1.0: off unless Connection: keep-alive */
        {"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", 1, 0, 0},
        {"HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n", 1, 0, 1},
        {"HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: Keep-Alive\r\n\r\n", 1, 0, 1},
        {"HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive, close\r\n\r\n", 1, 0, 0},
        {"HTTP/1.0 204 No Content\r\n\r\n", -1, 0, 0},
        {"HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n", -1, 0, 1},
        /* a body that runs to the close ends the connection */
        {"HTTP/1.1 200 OK\r\n\r\n", -1, 0, 0},
        {"HTTP/1.1 500 Oops\r\nContent-Type: text/plain\r\n\r\n", -1, 0, 0},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", -1, 0, 0},
        /* responses that never have a body keep the connection without a length */
        {"HTTP/1.1 204 No Content\r\n\r\n", -1, 0, 1},
        {"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", -1, 0, 1},
        {"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", -1, 0, 0},
    };
    check_framing(cases, sizeof(cases) / sizeof(cases[0]));
}

static void http10_transfer_encoding_closes(void **state)
{
    /* RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 message means the framing is faulty;
     * the recipient must close the connection after the message even if asked to keep it */
    const struct framing_case cases[] = {
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n", -1, 1, 0},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", -1, 1, 0},
    };
    check_framing(cases, sizeof(cases) / sizeof(cases[0]));
}

/* ---- malformed heads ---- */

struct bad_case {
    const char *s;
    size_t len;
};
#define BAD(lit)                                                                                                                   \
    {                                                                                                                              \
        lit, sizeof(lit) - 1                                                                                                       \
    }

static void malformed_heads_are_errors(void **state)
{
    const struct bad_case cases[] = {
        /* status line */
        BAD("HTTP/2 200 OK\r\n\r\n"),
        BAD("HTTP/2.0 200 OK\r\n\r\n"),
        BAD("http/1.1 200 OK\r\n\r\n"),
        BAD("HTTP/1.x 200 OK\r\n\r\n"),
        BAD("HTTP/1.10 200 OK\r\n\r\n"),
        BAD("HTTP/1.1  200 OK\r\n\r\n"),
        BAD("ICY 200 OK\r\n\r\n"),
        BAD(" HTTP/1.1 200 OK\r\n\r\n"),
        BAD("\r\n\r\n"),
        BAD("\n\n"),
        BAD("HTTP/1.1\r\n\r\n"),
        BAD("HTTP/1.1 \r\n\r\n"),
        BAD("HTTP/1.1 20\r\n\r\n"),
        /* status code */
        BAD("HTTP/1.1 20 OK\r\n\r\n"),
        BAD("HTTP/1.1 2000 OK\r\n\r\n"),
        BAD("HTTP/1.1 099 Low\r\n\r\n"),
        BAD("HTTP/1.1 abc OK\r\n\r\n"),
        BAD("HTTP/1.1 2x0 OK\r\n\r\n"),
        BAD("HTTP/1.1 -20 OK\r\n\r\n"),
        BAD("HTTP/1.1 200OK\r\n\r\n"),
        BAD("HTTP/1.1 200\tOK\r\n\r\n"),
        /* header lines */
        BAD("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length\t: 5\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nBad\"Name: x\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nBad(Name): x\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nA: b\r\n\tfolded\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\n leading: space\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nA: b\x01 c\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nA: b\x1f\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nA: b\r\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nA\0: b\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nA\r: b\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\n\r\r\n\r\n"),
        /* Content-Length */
        BAD("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000000\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551621\r\n\r\n"),
        BAD("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999999\r\n\r\n"),
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http1_response_head h;
        const char *why;
        ssize_t r = parse(cases[i].s, cases[i].len, &h, &why);
        if (r != WARDEN_EUPSTREAM || why == NULL)
            fail_msg("case %zu: got %zd, why %s\n%.*s", i, r, why ? why : "NULL", (int)cases[i].len, cases[i].s);
    }
}

static void too_many_headers(void **state)
{
    char buf[64 * (HTTP1_HEADERS_MAX + 4)];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < HTTP1_HEADERS_MAX; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-H%d: %d\r\n", i, i);
    size_t before_last = n;
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");

    struct http1_response_head h;
    const char *why;
    assert_int_equal(parse(buf, n, &h, &why), (ssize_t)n);
    assert_int_equal(h.n_headers, HTTP1_HEADERS_MAX);

    n = before_last;
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-One-Too-Many: 1\r\n\r\n");
    assert_int_equal(parse(buf, n, &h, &why), WARDEN_EUPSTREAM);
    assert_non_null(why);
}

/* ---- chunked ---- */

struct decoded {
    char out[1024];
    size_t out_len;
    size_t used; /* input bytes taken over all calls */
    int rc;      /* the last call's result */
    int done_at; /* index of the piece that returned 1, or -1 */
    const char *why;
};

/* Feeds src[0..len) cut at cuts[0..n_cuts) (ascending), each piece in its own exact-size
 * buffer, keeping the decoder across calls. Stops at the first error. */
static void feed(const char *src, size_t len, const size_t *cuts, size_t n_cuts, struct decoded *res)
{
    struct http1_chunked d;
    memset(&d, 0, sizeof(d));
    memset(res, 0, sizeof(*res));
    res->done_at = -1;
    size_t start = 0;
    for (size_t k = 0; k <= n_cuts; k++) {
        size_t end = k < n_cuts ? cuts[k] : len;
        assert_true(end >= start && end <= len);
        char *piece = dup_exact(src + start, end - start);
        size_t out = 99999, used = 99999;
        const char *why = NULL;
        int rc = http1_chunked_decode(&d, piece, end - start, &out, &used, &why);
        assert_true(used <= end - start);
        assert_true(out <= used);
        assert_true(res->out_len + out <= sizeof(res->out));
        memcpy(res->out + res->out_len, piece, out);
        res->out_len += out;
        res->used += used;
        res->rc = rc;
        free(piece);
        if (rc < 0) {
            res->why = why;
            assert_non_null(why);
            return;
        }
        if (rc == 1) {
            if (res->done_at < 0)
                res->done_at = (int)k;
            else
                assert_int_equal(used, 0); /* after the end nothing more is taken */
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(used, end - start); /* needs more: took everything */
            assert_int_equal(res->done_at, -1);
        }
        start = end;
    }
}

static void decode_once(const char *src, size_t len, struct decoded *res)
{
    feed(src, len, NULL, 0, res);
}

static void assert_decoded(const struct decoded *res, int rc, const char *out, size_t used)
{
    assert_int_equal(res->rc, rc);
    assert_int_equal(res->out_len, strlen(out));
    if (res->out_len)
        assert_memory_equal(res->out, out, res->out_len);
    assert_int_equal(res->used, used);
}

static void chunked_body_in_one_call(void **state)
{
    const char in[] = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    struct decoded r;
    decode_once(LIT(in), &r);
    assert_decoded(&r, 1, "hello world", sizeof(in) - 1);

    /* in place: the payload lands at the front of the same buffer */
    char buf[sizeof(in)];
    memcpy(buf, in, sizeof(in));
    struct http1_chunked d = {0};
    size_t out, used;
    const char *why = NULL;
    assert_int_equal(http1_chunked_decode(&d, buf, sizeof(in) - 1, &out, &used, &why), 1);
    assert_int_equal(out, 11);
    assert_memory_equal(buf, "hello world", 11);

    /* called again after the end: done, nothing taken */
    assert_int_equal(http1_chunked_decode(&d, buf, 3, &out, &used, &why), 1);
    assert_int_equal(out, 0);
    assert_int_equal(used, 0);

    /* an empty call before anything arrived needs more */
    struct http1_chunked d2 = {0};
    assert_int_equal(http1_chunked_decode(&d2, buf, 0, &out, &used, &why), 0);
    assert_int_equal(out, 0);
    assert_int_equal(used, 0);
}

static void check_all_splits(const char *in, size_t len, int want_rc, const char *want_out, size_t want_used)
{
    struct decoded whole, r;
    decode_once(in, len, &whole);
    assert_decoded(&whole, want_rc, want_out, want_used);

    /* every one and two cut points (empty pieces included) */
    for (size_t i = 0; i <= len; i++) {
        for (size_t j = i; j <= len; j++) {
            size_t cuts[2] = {i, j};
            feed(in, len, cuts, 2, &r);
            if (r.rc != whole.rc || r.out_len != whole.out_len || memcmp(r.out, whole.out, r.out_len) != 0 || r.used != whole.used)
                fail_msg("cut at %zu,%zu: rc %d out %zu used %zu, whole: rc %d out %zu used %zu", i, j, r.rc, r.out_len, r.used,
                         whole.rc, whole.out_len, whole.used);
            if (want_rc < 0 && strcmp(r.why, whole.why) != 0)
                fail_msg("cut at %zu,%zu: why '%s', whole '%s'", i, j, r.why, whole.why);
        }
    }
    /* one byte at a time */
    size_t *cuts = malloc(len * sizeof(*cuts) + 1);
    for (size_t i = 0; i < len; i++)
        cuts[i] = i + 1;
    feed(in, len, cuts, len, &r);
    free(cuts);
    assert_int_equal(r.rc, whole.rc);
    assert_int_equal(r.out_len, whole.out_len);
    if (r.out_len)
        assert_memory_equal(r.out, whole.out, r.out_len);
}

static void chunked_split_at_every_boundary(void **state)
{
    const char plain[] = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    check_all_splits(LIT(plain), 1, "hello world", sizeof(plain) - 1);

    const char rich[] = "4;a=b\r\nWiki\r\nA\r\npedia in\r\n\r\n1f\n chunks with CRLF\r\n inside.1234\n"
                        "0 ;last\r\nX-Trailer: 1\r\nY: 2\n\r\n";
    check_all_splits(LIT(rich), 1, "Wikipedia in\r\n chunks with CRLF\r\n inside.1234", sizeof(rich) - 1);

    /* extra bytes after the end are not taken, however the input is cut */
    const char extra[] = "3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n";
    check_all_splits(LIT(extra), 1, "abc", strlen("3\r\nabc\r\n0\r\n\r\n"));

    /* an error is found wherever the input is cut, with the same payload before it */
    const char bad[] = "3\r\nabc\r\n2\r\nxyz\r\n0\r\n\r\n";
    check_all_splits(LIT(bad), WARDEN_EUPSTREAM, "abcxy", strlen("3\r\nabc\r\n2\r\nxy"));
}

static void chunk_extensions(void **state)
{
    const char in[] = "5;name=value\r\nhello\r\n1;a;b=\"q;uoted\"\r\n!\r\n5 ; spaced\r\nworld\r\n"
                      "3\t;tab\r\nabc\r\n0;last=1\r\n\r\n";
    struct decoded r;
    decode_once(LIT(in), &r);
    assert_decoded(&r, 1, "hello!worldabc", sizeof(in) - 1);
}

static void chunked_trailers(void **state)
{
    const char in[] = "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nServer-Timing: total;dur=12\r\n\r\n";
    struct decoded r;
    decode_once(LIT(in), &r);
    assert_decoded(&r, 1, "hello", sizeof(in) - 1);

    /* trailer lines ending in bare LF */
    const char lf[] = "0\nA: 1\nB: 2\n\n";
    decode_once(LIT(lf), &r);
    assert_decoded(&r, 1, "", sizeof(lf) - 1);

    /* whatever follows the last chunk line is trailer lines up to the blank line */
    const char garbage[] = "2\r\nhi\r\n0\r\nnot a header at all\r\n\r\n";
    decode_once(LIT(garbage), &r);
    assert_decoded(&r, 1, "hi", sizeof(garbage) - 1);

    /* unterminated trailers need more input */
    const char open[] = "0\r\nX: 1\r\n";
    decode_once(LIT(open), &r);
    assert_decoded(&r, 0, "", sizeof(open) - 1);
    const char half[] = "0\r\nX: 1\r\n\r";
    decode_once(LIT(half), &r);
    assert_decoded(&r, 0, "", sizeof(half) - 1);
}

static void chunked_hex_sizes(void **state)
{
    char in[256];
    char want[64];
    memset(want, 0, sizeof(want));
    for (int i = 0; i < 31; i++)
        want[i] = (char)('a' + i % 26);
    /* 0xA = 10 bytes, 0x1F = 31, 0x1f again lowercase, with leading zeros */
    int n = snprintf(in, sizeof(in), "A\r\n%.10s\r\n1F\r\n%.31s\r\n001f\r\n%.31s\r\n0000\r\n\r\n", want, want, want);
    char expect[128];
    snprintf(expect, sizeof(expect), "%.10s%.31s%.31s", want, want, want);
    struct decoded r;
    decode_once(in, (size_t)n, &r);
    assert_decoded(&r, 1, expect, (size_t)n);
}

static void chunked_bare_lf(void **state)
{
    const char in[] = "5\nhello\n6;x\n world\n0\n\n";
    struct decoded r;
    decode_once(LIT(in), &r);
    assert_decoded(&r, 1, "hello world", sizeof(in) - 1);
}

static void chunked_used_stops_after_the_end(void **state)
{
    const char *ends[] = {"0\r\n\r\n", "0\n\n", "0\r\nT: 1\r\n\r\n", "0;e\r\n\n"};
    const char extra[] = "HTTP/1.1 200 OK\r\n\r\n";
    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        char in[128];
        int body = snprintf(in, sizeof(in), "4\r\ndata\r\n%s", ends[i]);
        memcpy(in + body, extra, sizeof(extra));
        size_t len = (size_t)body + sizeof(extra) - 1;
        struct http1_chunked d = {0};
        size_t out, used;
        const char *why = NULL;
        assert_int_equal(http1_chunked_decode(&d, in, len, &out, &used, &why), 1);
        assert_int_equal(used, (size_t)body);
        assert_int_equal(out, 4);
        assert_memory_equal(in, "data", 4);
        assert_memory_equal(in + used, extra, sizeof(extra) - 1); /* the following bytes untouched */
    }
}

static void chunked_large_size_streams(void **state)
{
    /* the largest size allowed (15 hex digits): data passes through as it arrives */
    const char in[] = "fffffffffffffff\r\nsome of it";
    struct decoded r;
    decode_once(LIT(in), &r);
    assert_decoded(&r, 0, "some of it", sizeof(in) - 1);
}

static void chunked_errors(void **state)
{
    struct {
        const char *s;
        size_t len;
        const char *payload; /* delivered before the error */
    } cases[] = {
        {LIT("x\r\n"), ""},
        {LIT("\r\n"), ""},
        {LIT("\n"), ""},
        {LIT(";ext\r\n"), ""},
        {LIT(" 5\r\nhello\r\n"), ""},
        {LIT("-5\r\n"), ""},
        {LIT("0x5\r\nhello\r\n"), ""},
        {LIT("5g\r\n"), ""},
        {LIT("5\rX"), ""},
        {LIT("5\r\r\n"), ""},
        {LIT("1000000000000000\r\n"), ""}, /* 16 hex digits */
        {LIT("0000000000000001\r\n"), ""}, /* also 16 digits, leading zeros count */
        {LIT("ffffffffffffffffff\r\n"), ""},
        /* data longer than its size: no CRLF right after it */
        {LIT("3\r\nhello\r\n0\r\n\r\n"), "hel"},
        {LIT("5\r\nhelloX\r\n"), "hello"},
        {LIT("5\r\nhello\rX"), "hello"},
        {LIT("5\r\nhello\r\r\n"), "hello"},
        {LIT("2\r\nab\r\n1\r\ncd\r\n"), "abc"},
        /* a bad size line after a good chunk */
        {LIT("2\r\nab\r\nzz\r\n"), "ab"},
        /* a chunk extension holding a bare CR or a control byte */
        {LIT("5;a\rb\r\nhello\r\n"), ""},
        {LIT("5;a\x01\r\nhello\r\n"), ""},
        {"5;a\0\r\nhello\r\n", 13, ""},
        /* trailers: CR not followed by LF on the final line */
        {LIT("0\r\n\rX"), ""},
        {LIT("0\r\nA: 1\r\n\r\r\n"), ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct decoded r;
        decode_once(cases[i].s, cases[i].len, &r);
        if (r.rc != WARDEN_EUPSTREAM || r.why == NULL)
            fail_msg("case %zu: rc %d", i, r.rc);
        if (r.out_len != strlen(cases[i].payload) || memcmp(r.out, cases[i].payload, r.out_len) != 0)
            fail_msg("case %zu: payload '%.*s', want '%s'", i, (int)r.out_len, r.out, cases[i].payload);
        assert_true(r.used <= cases[i].len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(complete_head_returns_its_exact_length),
        cmocka_unit_test(every_prefix_of_a_head_is_incomplete),
        cmocka_unit_test(bare_lf_line_ends),
        cmocka_unit_test(status_and_version),
        cmocka_unit_test(header_trimming_and_pointers),
        cmocka_unit_test(informational_heads_parse_alone),
        cmocka_unit_test(framing_from_headers),
        cmocka_unit_test(transfer_encoding_overrides_content_length),
        cmocka_unit_test(keep_alive_rules),
        cmocka_unit_test(http10_transfer_encoding_closes),
        cmocka_unit_test(malformed_heads_are_errors),
        cmocka_unit_test(too_many_headers),
        cmocka_unit_test(chunked_body_in_one_call),
        cmocka_unit_test(chunked_split_at_every_boundary),
        cmocka_unit_test(chunk_extensions),
        cmocka_unit_test(chunked_trailers),
        cmocka_unit_test(chunked_hex_sizes),
        cmocka_unit_test(chunked_bare_lf),
        cmocka_unit_test(chunked_used_stops_after_the_end),
        cmocka_unit_test(chunked_large_size_streams),
        cmocka_unit_test(chunked_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
