/* A small HTTP/1.1 request parser for the mock.
 *
 * The parser works on a contiguous buffer that holds the request from its first byte (conn.c
 * keeps unprocessed input at the front of its buffer), so it returns offsets, not pointers: the
 * buffer may move when more input arrives. The head is parsed in one pass once the blank line is
 * in; the scan for that blank line resumes where the previous call stopped so a slow client
 * costs linear time. Strictness follows RFC 9112 where a lax reading could desynchronise framing
 * (both Content-Length and Transfer-Encoding, bad lengths, folded headers, control bytes): those
 * are refused with 400. Bare LF line ends are accepted, as nginx does. */
#include "mock/mock.h"

#include <string.h>
#include <strings.h>

#include "util/fmt.h"

/* RFC 9110 tchar, as a table: this runs for every byte of every header name */
static const unsigned char tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1,
    ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1, ['0'] = 1, ['1'] = 1,  ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1,  ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,  ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1,
    ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1,  ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,  ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
    ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,  ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static int is_tchar(unsigned char c)
{
    return tchar[c];
}

/* Finds the end of the head (just past the blank line); 0 if not there yet. */
static size_t find_head_end(const char *buf, size_t len, size_t *scan)
{
    size_t i = *scan;
    for (; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
        if (i + 2 >= len)
            break; /* the blank line may still be arriving: rescan from this LF */
    }
    *scan = i;
    return 0;
}

static int token_eq(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    return n == m && strncasecmp(s, lit, m) == 0;
}

int mock_http_parse_head(const char *buf, size_t len, size_t *scan, struct mock_http_req *req)
{
    size_t end = find_head_end(buf, len, scan);
    if (end == 0)
        return len > MOCK_HEAD_MAX ? -431 : 0;
    if (end > MOCK_HEAD_MAX)
        return -431;

    memset(req, 0, offsetof(struct mock_http_req, headers));
    req->content_length = -1;
    req->head_len = end;

    /* request line: method SP target SP HTTP/1.x */
    size_t p = 0;
    while (p < end && is_tchar((unsigned char)buf[p]))
        p++;
    if (p == 0 || p >= end || buf[p] != ' ')
        return -400;
    req->method_len = (uint32_t)p;
    size_t t = ++p;
    while (p < end && (unsigned char)buf[p] > ' ' && (unsigned char)buf[p] != 0x7f)
        p++;
    if (p == t || p >= end || buf[p] != ' ')
        return -400;
    /* origin-form only (RFC 9112 3.2.1), as strict servers insist: a client that drops the
     * slash must fail here, not pass the tests */
    if (buf[t] != '/' && !(p - t == 1 && buf[t] == '*'))
        return -400;
    req->target_off = (uint32_t)t;
    req->target_len = (uint32_t)(p - t);
    p++;
    if (end - p < 9 || memcmp(buf + p, "HTTP/1.", 7) != 0 || (buf[p + 7] != '0' && buf[p + 7] != '1'))
        return -400;
    req->minor = buf[p + 7] - '0';
    p += 8;
    if (buf[p] == '\r')
        p++;
    if (buf[p] != '\n')
        return -400;
    p++;
    req->keep_alive = req->minor == 1;

    int have_te = 0, conn_close = 0, conn_keep = 0;
    while (p < end) {
        if (buf[p] == '\r' || buf[p] == '\n')
            break; /* the blank line */
        if (buf[p] == ' ' || buf[p] == '\t')
            return -400; /* obsolete line folding */
        size_t ns = p;
        while (p < end && is_tchar((unsigned char)buf[p]))
            p++;
        if (p == ns || p >= end || buf[p] != ':')
            return -400;
        size_t nl = p - ns;
        p++;
        while (p < end && (buf[p] == ' ' || buf[p] == '\t'))
            p++;
        size_t vs = p;
        while (p < end && buf[p] != '\r' && buf[p] != '\n') {
            unsigned char c = (unsigned char)buf[p];
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return -400;
            p++;
        }
        size_t ve = p;
        if (p < end && buf[p] == '\r')
            p++;
        if (p >= end || buf[p] != '\n')
            return -400;
        p++;
        while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
            ve--;
        if (req->nheaders == MOCK_MAX_HEADERS)
            return -431;
        struct mock_http_header *h = &req->headers[req->nheaders++];
        h->name_off = (uint32_t)ns;
        h->name_len = (uint32_t)nl;
        h->value_off = (uint32_t)vs;
        h->value_len = (uint32_t)(ve - vs);

        const char *name = buf + ns, *val = buf + vs;
        size_t vl = ve - vs;
        if (token_eq(name, nl, "content-length")) {
            if (vl == 0 || vl > 18)
                return vl > 18 ? -413 : -400;
            int64_t v = 0;
            for (size_t i = 0; i < vl; i++) {
                if (val[i] < '0' || val[i] > '9')
                    return -400;
                v = v * 10 + (val[i] - '0');
            }
            if (req->content_length >= 0 && req->content_length != v)
                return -400;
            req->content_length = v;
        } else if (token_eq(name, nl, "transfer-encoding")) {
            if (have_te || !token_eq(val, vl, "chunked"))
                return have_te ? -400 : -501;
            have_te = 1;
        } else if (token_eq(name, nl, "connection")) {
            conn_close |= util_list_has_token(val, vl, "close");
            conn_keep |= util_list_has_token(val, vl, "keep-alive");
        } else if (token_eq(name, nl, "expect")) {
            if (token_eq(val, vl, "100-continue"))
                req->expect_continue = 1;
            else
                return -400; /* 417 would be the precise answer; nobody sends other expectations */
        }
    }
    if (have_te && req->content_length >= 0)
        return -400; /* request smuggling shape */
    req->chunked = have_te;
    if (req->content_length > (int64_t)MOCK_BODY_MAX)
        return -413;
    if (conn_close)
        req->keep_alive = 0;
    else if (conn_keep)
        req->keep_alive = 1;
    return (int)end;
}

/* The line starting at p: returns the index just past its LF and sets *le to where its content
 * ends (before CR LF); 0 if the LF is not there yet. */
static size_t line_at(const char *buf, size_t len, size_t p, size_t *le)
{
    const char *nl = memchr(buf + p, '\n', len - p);
    if (!nl)
        return 0;
    size_t e = (size_t)(nl - buf);
    *le = (e > p && buf[e - 1] == '\r') ? e - 1 : e;
    return e + 1;
}

int mock_http_parse_chunked(const char *buf, size_t len, size_t *pos, struct util_buf *body)
{
    size_t p = *pos;
    for (;;) {
        if (p > MOCK_CHUNKED_RAW_MAX)
            return -413;
        size_t le, next = line_at(buf, len, p, &le);
        if (next == 0)
            return (len - p > 1024) ? -400 : 0;
        if (le - p > 1024)
            return -400;
        /* chunk-size [; extensions] */
        uint64_t size = 0;
        size_t i = p;
        int digits = 0;
        for (; i < le; i++) {
            int v = util_hexval(buf[i]);
            if (v < 0)
                break;
            if (++digits > 8)
                return -413;
            size = size * 16 + (uint64_t)v;
        }
        if (digits == 0)
            return -400;
        while (i < le && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        if (i < le && buf[i] != ';')
            return -400;
        if (size == 0) {
            /* trailers, until the blank line; the whole tail is consumed at once */
            size_t q = next;
            for (;;) {
                size_t te, tn = line_at(buf, len, q, &te);
                if (tn == 0)
                    return (len - q > MOCK_HEAD_MAX) ? -431 : 0;
                if (te == q) {
                    *pos = tn;
                    return 1;
                }
                q = tn;
            }
        }
        if (body->len + size > MOCK_BODY_MAX)
            return -413;
        /* wait for the whole chunk and its CRLF, then take it in one step */
        if (len - next < size + 1)
            return 0;
        size_t after = next + size;
        if (buf[after] == '\r') {
            if (len - after < 2)
                return 0;
            if (buf[after + 1] != '\n')
                return -400;
            after += 2;
        } else if (buf[after] == '\n') {
            after += 1;
        } else {
            return -400;
        }
        util_buf_append(body, buf + next, size);
        p = after;
        *pos = p;
    }
}

const char *mock_http_header_get(const struct mock_http_req *req, const char *base, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct mock_http_header *h = &req->headers[i];
        if (h->name_len == n && strncasecmp(base + h->name_off, name, n) == 0) {
            *len = h->value_len;
            return base + h->value_off;
        }
    }
    return NULL;
}
