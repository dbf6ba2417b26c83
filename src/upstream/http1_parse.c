/* HTTP/1.x response head and chunked-coding parsers (RFC 9112).
 *
 * Strict where a mistake would let bytes of one response be taken for another
 * (framing: Content-Length, Transfer-Encoding, chunk sizes), lenient where it
 * costs nothing (bare LF line ends, as most clients accept). */
#include "upstream/http1_parse.h"

#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/fmt.h"

/* token characters of RFC 9110 section 5.6.2 */
static const unsigned char tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1,
    ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
    ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/* Is tok the last element of the list (the coding applied last)? */
static int list_ends_with_token(const char *v, size_t n, const char *tok)
{
    size_t e = n;
    while (e > 0 && (v[e - 1] == ' ' || v[e - 1] == '\t' || v[e - 1] == ','))
        e--;
    size_t s = e;
    while (s > 0 && v[s - 1] != ',')
        s--;
    while (s < e && (v[s] == ' ' || v[s] == '\t'))
        s++;
    size_t tl = strlen(tok);
    return e - s == tl && strncasecmp(v + s, tok, tl) == 0;
}

static int header_is(const struct upstream_header *h, const char *name)
{
    size_t n = strlen(name);
    return h->name_len == n && strncasecmp(h->name, name, n) == 0;
}

ssize_t http1_parse_response_head(const char *buf, size_t len, struct http1_response_head *h, const char **why)
{
    /* find the end of the head first: nothing is parsed until it is all here */
    const char *end = NULL;
    for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + len - p))) != NULL; p++) {
        const char *q = p + 1;
        if (q < buf + len && *q == '\r')
            q++;
        if (q < buf + len && *q == '\n') {
            end = q + 1;
            break;
        }
        if (q >= buf + len)
            break;
    }
    if (end == NULL)
        return 0;

    /* not memset: the header array is 3 KiB and only the first n_headers entries are read */
    h->n_headers = 0;
    h->chunked = 0;
    h->keep_alive = 0;
    h->content_length = -1;
    const char *p = buf;
    /* status line: HTTP/1.x SP 3DIGIT [SP reason] */
    if (end - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' || p[8] != ' ') {
        *why = "upstream sent a malformed status line";
        return WARDEN_EUPSTREAM;
    }
    h->minor_version = p[7] - '0';
    p += 9;
    if (p[0] < '1' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9' ||
        (p[3] != ' ' && p[3] != '\r' && p[3] != '\n')) {
        *why = "upstream sent a malformed status code";
        return WARDEN_EUPSTREAM;
    }
    h->status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    p = memchr(p, '\n', (size_t)(end - p)) + 1;

    int connection_close = 0, connection_keep_alive = 0, te_seen = 0, cl_seen = 0;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol;
        if (le > p && le[-1] == '\r')
            le--;
        if (le == p)
            break; /* the blank line */
        if (*p == ' ' || *p == '\t') {
            *why = "upstream sent a folded header line";
            return WARDEN_EUPSTREAM;
        }
        const char *colon = p;
        while (colon < le && tchar[(unsigned char)*colon])
            colon++;
        if (colon == p || colon == le || *colon != ':') {
            *why = "upstream sent a malformed header line";
            return WARDEN_EUPSTREAM;
        }
        const char *v = colon + 1, *ve = le;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        for (const char *c = v; c < ve; c++)
            if ((unsigned char)*c < 0x20 && *c != '\t') {
                *why = "upstream sent a control character in a header";
                return WARDEN_EUPSTREAM;
            }
        if (h->n_headers == HTTP1_HEADERS_MAX) {
            *why = "upstream sent too many headers";
            return WARDEN_EUPSTREAM;
        }
        struct upstream_header *hd = &h->headers[h->n_headers++];
        *hd = (struct upstream_header){p, (size_t)(colon - p), v, (size_t)(ve - v)};

        if (header_is(hd, "content-length")) {
            if (hd->value_len == 0 || hd->value_len > 18) {
                *why = "upstream sent an invalid Content-Length";
                return WARDEN_EUPSTREAM;
            }
            int64_t n = 0;
            for (size_t i = 0; i < hd->value_len; i++) {
                if (hd->value[i] < '0' || hd->value[i] > '9') {
                    *why = "upstream sent an invalid Content-Length";
                    return WARDEN_EUPSTREAM;
                }
                n = n * 10 + (hd->value[i] - '0');
            }
            if (h->content_length >= 0 && h->content_length != n) {
                *why = "upstream sent conflicting Content-Length headers";
                return WARDEN_EUPSTREAM;
            }
            h->content_length = n;
            cl_seen = 1;
        } else if (header_is(hd, "transfer-encoding")) {
            te_seen = 1;
            h->chunked = list_ends_with_token(hd->value, hd->value_len, "chunked");
        } else if (header_is(hd, "connection")) {
            connection_close |= util_list_has_token(hd->value, hd->value_len, "close");
            connection_keep_alive |= util_list_has_token(hd->value, hd->value_len, "keep-alive");
        }
        p = eol + 1;
    }
    if (te_seen) {
        /* Transfer-Encoding wins over Content-Length (RFC 9112 6.3); a coding other than
         * chunked last means the body runs to the end of the connection */
        h->content_length = -1;
    }
    int body_to_close = !h->chunked && h->content_length < 0 && h->status >= 200 && h->status != 204 &&
                        h->status != 304;
    /* Both framings at once, or Transfer-Encoding in HTTP/1.0 (RFC 9112 6.1: faulty framing), is
     * what a desync attempt looks like: someone on the path may have framed this response
     * differently, so its connection is not trusted with another request. */
    int suspicious_framing = te_seen && (cl_seen || h->minor_version == 0);
    if (h->minor_version == 0)
        h->keep_alive = connection_keep_alive && !connection_close && !body_to_close && !suspicious_framing;
    else
        h->keep_alive = !connection_close && !body_to_close && !suspicious_framing;
    return end - buf;
}

enum {
    CH_SIZE = 0, /* reading hex digits */
    CH_EXT,      /* chunk extension, skipped to the end of the line */
    CH_SIZE_LF,  /* after CR of the size line */
    CH_DATA,
    CH_DATA_CR, /* CRLF after the chunk data */
    CH_DATA_LF,
    CH_TRAILER_START, /* start of a trailer line (or the final blank line) */
    CH_TRAILER_LINE,
    CH_TRAILER_END_LF,
    CH_DONE,
};

int http1_chunked_decode(struct http1_chunked *d, char *buf, size_t len, size_t *out_len, size_t *used, const char **why)
{
    size_t in = 0, out = 0;
    while (in < len) {
        char c = buf[in];
        switch (d->state) {
        case CH_SIZE: {
            int v = util_hexval(c);
            if (v >= 0) {
                if (++d->digits > 15) {
                    *why = "upstream sent an oversized chunk length";
                    goto bad;
                }
                d->remaining = d->remaining * 16 + (uint64_t)v;
                in++;
                break;
            }
            if (d->digits == 0) {
                *why = "upstream sent a malformed chunk length";
                goto bad;
            }
            if (c == ';' || c == ' ' || c == '\t') {
                d->state = CH_EXT;
            } else if (c == '\r') {
                d->state = CH_SIZE_LF;
            } else if (c == '\n') {
                d->state = d->remaining ? CH_DATA : CH_TRAILER_START;
            } else {
                *why = "upstream sent a malformed chunk length";
                goto bad;
            }
            in++;
            break;
        }
        case CH_EXT:
            /* extensions are skipped, but a stray CR or control byte is an error, not part of
             * one: lenient line ends inside chunk lines are what smuggling relies on */
            if (c == '\n') {
                d->state = d->remaining ? CH_DATA : CH_TRAILER_START;
            } else if (c == '\r') {
                d->state = CH_SIZE_LF;
            } else if ((unsigned char)c < 0x20 && c != '\t') {
                *why = "upstream sent a control character in a chunk extension";
                goto bad;
            }
            in++;
            break;
        case CH_SIZE_LF:
            if (c != '\n') {
                *why = "upstream sent a malformed chunk line";
                goto bad;
            }
            d->state = d->remaining ? CH_DATA : CH_TRAILER_START;
            in++;
            break;
        case CH_DATA: {
            size_t n = len - in;
            if ((uint64_t)n > d->remaining)
                n = (size_t)d->remaining;
            if (out != in)
                memmove(buf + out, buf + in, n);
            out += n;
            in += n;
            d->remaining -= n;
            if (d->remaining == 0)
                d->state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (c == '\r') {
                d->state = CH_DATA_LF;
            } else if (c == '\n') {
                d->state = CH_SIZE;
                d->digits = 0;
            } else {
                *why = "upstream sent chunk data longer than its length";
                goto bad;
            }
            in++;
            break;
        case CH_DATA_LF:
            if (c != '\n') {
                *why = "upstream sent chunk data longer than its length";
                goto bad;
            }
            d->state = CH_SIZE;
            d->digits = 0;
            in++;
            break;
        case CH_TRAILER_START:
            if (c == '\r')
                d->state = CH_TRAILER_END_LF;
            else if (c == '\n')
                d->state = CH_DONE;
            else
                d->state = CH_TRAILER_LINE;
            in++;
            break;
        case CH_TRAILER_LINE:
            if (c == '\n')
                d->state = CH_TRAILER_START;
            in++;
            break;
        case CH_TRAILER_END_LF:
            if (c != '\n') {
                *why = "upstream sent malformed chunked trailers";
                goto bad;
            }
            d->state = CH_DONE;
            in++;
            break;
        case CH_DONE:
            goto done;
        }
        if (d->state == CH_DONE)
            goto done;
    }
    *out_len = out;
    *used = in;
    return d->state == CH_DONE;
done:
    *out_len = out;
    *used = in;
    return 1;
bad:
    *out_len = out;
    *used = in;
    return WARDEN_EUPSTREAM;
}
