/* Fuzz target for the request-path pieces that see untrusted bytes:
 *
 *   json_span   find a top-level member's value span and splice a new string in,
 *               on every input jansson accepts (Warden only calls it on those);
 *   sse         the incremental SSE parser, fed the input in one piece and split at
 *               fuzz-chosen points: both must give the same events and result;
 *   error       api_error_body() with the input as the message (any bytes, NULs,
 *               invalid UTF-8), which must always serialise to valid JSON.
 *
 * Input layout: byte 0 picks the split points and the SSE event cap, byte 1 how much of the
 * tail is the replacement string; the rest is the payload. Any violated property aborts.
 *
 * Build and run: tests/fuzz/run.sh (FUZZ_SECONDS=60 tests/fuzz/run.sh request). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/error.h"
#include "api/json_span.h"
#include "api/sse.h"
#include "util/buf.h"
#include "util/err.h"

#define CHECK(cond)                                                                                                        \
    do {                                                                                                                   \
        if (!(cond)) {                                                                                                     \
            fprintf(stderr, "fuzz_request: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                         \
            abort();                                                                                                       \
        }                                                                                                                  \
    } while (0)

/* ---- json_span ---- */

static void span_one(const char *json, size_t len, json_t *doc, const char *key, const char *repl)
{
    size_t s = 0, e = 0;
    if (json_span_find_member(json, len, key, &s, &e) != 0)
        return;
    CHECK(s <= e && e <= len);
    /* the span is exactly the member's value */
    json_t *v = json_loadb(json + s, e - s, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    CHECK(v != NULL);
    json_t *want = json_object_get(doc, key);
    CHECK(want != NULL);
    CHECK(json_equal(v, want));
    json_decref(v);

    /* splicing a string in gives the same document with only that member changed */
    size_t n = 0;
    char *out = json_span_replace_with_string(json, len, s, e, repl, &n);
    CHECK(out != NULL && out[n] == '\0');
    json_t *got = json_loadb(out, n, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, NULL);
    CHECK(got != NULL);
    json_t *expect = json_deep_copy(doc);
    json_t *rs = json_string(repl); /* NULL for invalid UTF-8: the splice writes "" then */
    json_object_set_new(expect, key, rs ? rs : json_string(""));
    CHECK(json_equal(got, expect));
    json_decref(expect);
    json_decref(got);
    free(out);
}

static void fuzz_span(const char *data, size_t len, const char *repl)
{
    /* duplicates would make "the value" ambiguous (jansson keeps the last, the span finder the first) */
    json_t *doc = json_loadb(data, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, NULL);
    static const char *const keys[] = {"model", "messages", "stream", ""};
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
        size_t s, e;
        if (json_span_find_member(data, len, keys[i], &s, &e) == 0)
            CHECK(s <= e && e <= len); /* must hold on any bytes, accepted or not */
    }
    /* every member of an accepted object: if the span finder reports one, it must be the right one.
     * Keys with a backslash are skipped: the finder compares raw bytes, so the raw spelling of one
     * key ("\u0041") can equal another key's decoded text; Warden only looks up "model". */
    if (doc != NULL && json_is_object(doc)) {
        const char *k;
        json_t *v;
        json_object_foreach(doc, k, v)
        {
            if (strchr(k, '\\') == NULL)
                span_one(data, len, doc, k, repl);
        }
    }
    json_decref(doc);
}

/* ---- sse ---- */

struct events {
    struct util_buf log; /* length-prefixed copies of every event's data */
    size_t count;
    size_t max_event;
};

static int on_event(void *ud, const char *d, size_t n)
{
    struct events *ev = ud;
    CHECK(n <= ev->max_event);
    CHECK(d != NULL);
    ev->count++;
    char pre[32];
    int m = snprintf(pre, sizeof(pre), "%zu:", n);
    util_buf_append(&ev->log, pre, (size_t)m);
    util_buf_append(&ev->log, d, n);
    return 0;
}

static int sse_run(const char *data, size_t len, const size_t *cuts, size_t ncuts, size_t max_event, struct events *ev)
{
    struct sse_parser p;
    sse_parser_init(&p, max_event);
    util_buf_init(&ev->log, SIZE_MAX);
    ev->count = 0;
    ev->max_event = max_event;
    size_t at = 0;
    int rc = 0;
    for (size_t i = 0; i <= ncuts && rc == 0; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        if (to < at)
            to = at;
        rc = sse_parser_feed(&p, data + at, to - at, on_event, ev);
        at = to;
    }
    sse_parser_free(&p);
    return rc;
}

static void fuzz_sse(const char *data, size_t len, unsigned char sel)
{
    static const size_t caps[] = {16, 64, 1024, 1u << 20};
    size_t cap = caps[sel & 3];
    struct events whole, split;
    int rc1 = sse_run(data, len, NULL, 0, cap, &whole);
    size_t cuts[3] = {len ? (sel * 7919u) % (len + 1) : 0, 0, 0};
    cuts[1] = cuts[0] + (len - cuts[0]) / 2;
    cuts[2] = cuts[1] + (cuts[1] < len ? 1 : 0);
    int rc2 = sse_run(data, len, cuts, 3, cap, &split);
    CHECK(rc1 == 0 || rc1 == WARDEN_ETOOBIG);
    CHECK(rc1 == rc2);
    CHECK(whole.count == split.count);
    CHECK(whole.log.len == split.log.len);
    CHECK(whole.log.len == 0 || memcmp(whole.log.data, split.log.data, whole.log.len) == 0);
    util_buf_free(&whole.log);
    util_buf_free(&split.log);
}

/* ---- error bodies ---- */

static void fuzz_error(const char *data, size_t len, unsigned char sel)
{
    struct api_error e = {0};
    CHECK(api_error_set(&e, 400 + sel % 200, sel & 1 ? "invalid_request_error" : NULL, sel & 2 ? "code_x" : NULL,
                        sel & 4 ? "messages[0].content" : NULL, "%.*s", (int)(len > 4096 ? 4096 : len), data) == 1);
    CHECK(api_error_set(&e, 500, "api_error", NULL, NULL, "second error must not win") == 0);
    if (sel & 8)
        api_error_set_extra(&e, json_pack("{s:s, s:i}", "guardrail", "fuzz", "n", (int)len));
    size_t n = 0;
    char *body = api_error_body(&e, &n);
    CHECK(body != NULL && n == strlen(body));
    json_t *j = json_loadb(body, n, 0, NULL);
    CHECK(j != NULL);
    json_t *err = json_object_get(j, "error");
    CHECK(json_is_object(err));
    CHECK(json_is_string(json_object_get(err, "message")));
    CHECK(json_is_string(json_object_get(err, "type")));
    CHECK(json_object_get(err, "param") != NULL && json_object_get(err, "code") != NULL);
    /* a message that is valid UTF-8 without NULs comes back unchanged (up to the 511-byte cap) */
    size_t mlen = strnlen(data, len > 511 ? 511 : len);
    json_t *tmp = mlen == len ? json_stringn(data, len) : NULL;
    if (tmp != NULL)
        CHECK(strcmp(json_string_value(json_object_get(err, "message")), json_string_value(tmp)) == 0);
    json_decref(tmp);
    json_decref(j);
    free(body);
    api_error_clear(&e);
    CHECK(e.status == 0 && e.extra == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
    if (size < 2)
        return 0;
    unsigned char sel = buf[0], tail = buf[1];
    const char *data = (const char *)buf + 2;
    size_t len = size - 2;

    /* the replacement string: a NUL-terminated copy of the last (tail % 16) bytes */
    size_t rl = tail % 16 < len ? tail % 16 : len;
    char repl[17];
    memcpy(repl, data + len - rl, rl);
    repl[rl] = '\0';

    fuzz_span(data, len, repl);
    fuzz_sse(data, len, sel);
    fuzz_error(data, len, sel);
    return 0;
}
