/* Fuzz target for the HTTP/1.x response parsers the lean upstream client runs on bytes from
 * the network (src/upstream/http1_parse.c):
 *
 *   head     http1_parse_response_head() on the payload: the result is 0, an error with a
 *            reason, or a length within the input; every header points inside the head; the
 *            same head alone parses to the same length and one byte less is incomplete;
 *   chunked  http1_chunked_decode() on what follows the head (the whole payload when there is
 *            no head), in one call, cut in two at a fuzz-chosen point, and in small pieces:
 *            all three must give the same result, payload and bytes taken; no call takes more
 *            than it was given, returns more than it took, or writes past what it took.
 *
 * Input layout: byte 0 picks the cut point, byte 1 the piece size; the rest is the payload.
 * Every buffer handed to the parsers is an exact-size heap copy, so ASan sees any read past it.
 * Any violated property aborts.
 *
 * Build and run: tests/fuzz/run.sh http1 (FUZZ_SECONDS=60 tests/fuzz/run.sh http1). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/http1_parse.h"
#include "util/err.h"

#define CHECK(cond)                                                                                                                \
    do {                                                                                                                           \
        if (!(cond)) {                                                                                                             \
            fprintf(stderr, "fuzz_http1: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                                   \
            abort();                                                                                                               \
        }                                                                                                                          \
    } while (0)

static char *dup_exact(const char *s, size_t len)
{
    char *p = malloc(len ? len : 1);
    CHECK(p != NULL);
    if (len)
        memcpy(p, s, len);
    return p;
}

/* ---- head ---- */

static ssize_t head_once(const char *data, size_t len, struct http1_response_head *h)
{
    char *b = dup_exact(data, len);
    const char *why = NULL;
    ssize_t r = http1_parse_response_head(b, len, h, &why);
    CHECK(r == WARDEN_EUPSTREAM || (r >= 0 && (size_t)r <= len));
    CHECK(r != WARDEN_EUPSTREAM || (why != NULL && why[0] != '\0'));
    CHECK(memcmp(b, data, len) == 0); /* the head parser never writes */
    if (r > 0) {
        CHECK(r >= 14); /* "HTTP/1.x NNN\n\n" at least */
        CHECK(h->minor_version >= 0 && h->minor_version <= 9);
        CHECK(h->status >= 100 && h->status <= 999);
        CHECK(h->n_headers <= HTTP1_HEADERS_MAX);
        CHECK(h->content_length >= -1);
        CHECK(!(h->chunked && h->content_length >= 0));
        for (size_t i = 0; i < h->n_headers; i++) {
            const struct upstream_header *hd = &h->headers[i];
            CHECK(hd->name >= b && hd->name_len > 0 && hd->name + hd->name_len <= b + r);
            CHECK(hd->value >= b && hd->value + hd->value_len <= b + r);
            CHECK(hd->value > hd->name + hd->name_len); /* after the colon */
            CHECK(memchr(hd->name, ':', hd->name_len) == NULL);
            for (size_t k = 0; k < hd->value_len; k++)
                CHECK((unsigned char)hd->value[k] >= 0x20 || hd->value[k] == '\t');
            CHECK(hd->value_len == 0 || (hd->value[0] != ' ' && hd->value[0] != '\t' && hd->value[hd->value_len - 1] != ' ' &&
                                         hd->value[hd->value_len - 1] != '\t'));
        }
    }
    free(b);
    return r;
}

static size_t fuzz_head(const char *data, size_t len)
{
    struct http1_response_head h, h2;
    ssize_t r = head_once(data, len, &h);
    if (r <= 0)
        return 0;
    /* restartable: the head alone is the same head, and one byte short of it is incomplete */
    CHECK(head_once(data, (size_t)r, &h2) == r);
    CHECK(h2.status == h.status && h2.n_headers == h.n_headers && h2.content_length == h.content_length &&
          h2.chunked == h.chunked && h2.keep_alive == h.keep_alive);
    CHECK(head_once(data, (size_t)r - 1, &h2) == 0);
    return (size_t)r;
}

/* ---- chunked ---- */

struct chunked_run {
    char *out; /* payload gathered over all calls */
    size_t out_len;
    size_t used;
    int rc;
    const char *why;
};

/* Feeds data[0..len) in pieces whose ends are cuts[0..n) then len, each piece in its own
 * exact-size buffer; stops at the first error. */
static void chunked_feed(const char *data, size_t len, const size_t *cuts, size_t n, struct chunked_run *run)
{
    struct http1_chunked d;
    memset(&d, 0, sizeof(d));
    run->out = malloc(len ? len : 1);
    CHECK(run->out != NULL);
    run->out_len = run->used = 0;
    run->rc = 0;
    run->why = NULL;
    size_t start = 0;
    int done = 0;
    for (size_t k = 0; k <= n; k++) {
        size_t end = k < n ? cuts[k] : len;
        CHECK(end >= start && end <= len);
        size_t plen = end - start;
        char *piece = dup_exact(data + start, plen);
        size_t out = SIZE_MAX, used = SIZE_MAX;
        const char *why = NULL;
        int rc = http1_chunked_decode(&d, piece, plen, &out, &used, &why);
        CHECK(rc == 0 || rc == 1 || rc == WARDEN_EUPSTREAM);
        CHECK(used <= plen);
        CHECK(out <= used);
        /* written only at the front, never ahead of what was read */
        CHECK(memcmp(piece + used, data + start + used, plen - used) == 0);
        CHECK(run->out_len + out <= len);
        memcpy(run->out + run->out_len, piece, out);
        run->out_len += out;
        run->used += used;
        run->rc = rc;
        free(piece);
        if (rc < 0) {
            CHECK(why != NULL && why[0] != '\0');
            run->why = why;
            return;
        }
        if (rc == 0) {
            CHECK(!done);
            CHECK(used == plen); /* needing more means everything was taken */
        } else if (done) {
            CHECK(used == 0 && out == 0); /* nothing after the end */
        }
        done |= rc == 1;
        start = end;
    }
}

static void runs_equal(const struct chunked_run *a, const struct chunked_run *b)
{
    CHECK(a->rc == b->rc);
    CHECK(a->out_len == b->out_len);
    CHECK(memcmp(a->out, b->out, a->out_len) == 0);
    CHECK(a->used == b->used);
    CHECK((a->why == NULL) == (b->why == NULL));
    CHECK(a->why == NULL || strcmp(a->why, b->why) == 0);
}

static void fuzz_chunked(const char *data, size_t len, unsigned char cut_sel, unsigned char piece_sel)
{
    struct chunked_run whole, two, small;
    chunked_feed(data, len, NULL, 0, &whole);
    CHECK(whole.used <= len && whole.out_len <= whole.used);

    size_t cut = (size_t)cut_sel * (len + 1) / 256;
    chunked_feed(data, len, &cut, 1, &two);
    runs_equal(&whole, &two);

    size_t step = 1 + piece_sel % 16;
    size_t n = len / step;
    size_t *cuts = malloc((n ? n : 1) * sizeof(*cuts));
    CHECK(cuts != NULL);
    for (size_t i = 0; i < n; i++)
        cuts[i] = (i + 1) * step;
    chunked_feed(data, len, cuts, n, &small);
    free(cuts);
    runs_equal(&whole, &small);

    free(whole.out);
    free(two.out);
    free(small.out);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
    if (size < 2)
        return 0;
    unsigned char cut_sel = buf[0], piece_sel = buf[1];
    const char *data = (const char *)buf + 2;
    size_t len = size - 2;

    size_t head = fuzz_head(data, len);
    fuzz_chunked(data + head, len - head, cut_sel, piece_sel);
    return 0;
}
