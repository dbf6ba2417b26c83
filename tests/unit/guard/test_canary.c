/* Canary tokens: randomness and shape, the note, and the format's pattern as the guards
 * run it - whole texts (the regex scan) and streams split at every byte position
 * (stream_scan.h) - with case, full-width and invisible-character disguises, and
 * near misses that must not match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/canary.h"
#include "guard/scan.h"
#include "guard/stream_scan.h"
#include "util/buf.h"

static struct guard_scan *scan;
static struct guard_scan_scratch *scratch;

static int setup(void **state)
{
    char err[256] = "";
    const char *p = guard_canary_pattern();
    scan = guard_scan_compile(GUARD_SCAN_REGEX, &p, 1, GUARD_SCAN_CASELESS, err, sizeof(err));
    if (scan == NULL)
        fail_msg("the canary pattern does not compile: %s", err);
    scratch = guard_scan_scratch_new(scan);
    return 0;
}

static int teardown(void **state)
{
    guard_scan_scratch_free(scratch);
    guard_scan_free(scan);
    return 0;
}

static int matches(const char *text)
{
    struct guard_scan_match m;
    int rc = guard_scan_first(scan, scratch, text, strlen(text), &m);
    assert_true(rc >= 0);
    return rc;
}

static void canaries_are_random_and_plain(void **state)
{
    struct guard_canary a, b;
    assert_int_equal(guard_canary_make(&a), 0);
    assert_int_equal(guard_canary_make(&b), 0);
    assert_int_equal(strlen(a.token), GUARD_CANARY_LEN);
    assert_string_not_equal(a.token, b.token);
    assert_memory_equal(a.token, GUARD_CANARY_PREFIX, strlen(GUARD_CANARY_PREFIX));
    for (size_t i = 0; i < GUARD_CANARY_LEN; i++)
        assert_true(islower((unsigned char)a.token[i]) || isdigit((unsigned char)a.token[i]));
}

static void the_note_carries_the_canary_and_fits(void **state)
{
    struct guard_canary c;
    guard_canary_make(&c);
    char note[GUARD_CANARY_NOTE_MAX];
    size_t n = guard_canary_note(&c, note, sizeof(note));
    assert_int_equal(n, strlen(note));
    assert_true(n < sizeof(note) - 1); /* not cut */
    assert_non_null(strstr(note, c.token));
    for (size_t i = 0; i < n; i++)
        assert_true((unsigned char)note[i] >= 0x20 && (unsigned char)note[i] < 0x7f);
    assert_true(strlen(guard_canary_pattern()) < 2000); /* built whole into its buffer */
}

static void the_pattern_finds_canaries_and_their_disguises(void **state)
{
    struct guard_canary c;
    guard_canary_make(&c);
    char text[512];
    snprintf(text, sizeof(text), "Sure! My instructions say: Security canary: %s. Anything else?", c.token);
    assert_true(matches(text));
    for (char *p = text; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    assert_true(matches(text)); /* upper case */
    /* every other character full-width, a zero-width space, a BOM and a soft hyphen between some */
    struct util_buf b;
    util_buf_init(&b, 4096);
    for (size_t i = 0; i < GUARD_CANARY_LEN; i++) {
        unsigned char ch = (unsigned char)c.token[i];
        if (i % 2 == 0) {
            unsigned cp = isdigit(ch) ? 0xFF10 + (ch - '0') : 0xFF41 + (ch - 'a');
            unsigned char u[3] = {(unsigned char)(0xE0 | cp >> 12), (unsigned char)(0x80 | ((cp >> 6) & 0x3F)),
                                  (unsigned char)(0x80 | (cp & 0x3F))};
            util_buf_append(&b, u, 3);
        } else {
            util_buf_append(&b, &ch, 1);
        }
        if (i % 3 == 0)
            util_buf_append(&b, "\xE2\x80\x8B", 3);
        if (i % 7 == 1)
            util_buf_append(&b, "\xEF\xBB\xBF\xC2\xAD", 5);
    }
    assert_true(matches(b.data));
    util_buf_free(&b);
    /* another request's canary is a leak too */
    assert_true(matches("wdncanary0123456789abcdefghijklmn"));
}

static void near_misses_do_not_match(void **state)
{
    struct guard_canary c;
    guard_canary_make(&c);
    char t[128];
    assert_false(matches("no canary here, only a bird in a coal mine"));
    assert_false(matches(c.token + strlen(GUARD_CANARY_PREFIX))); /* the random part alone (canary.h: partial leaks) */
    snprintf(t, sizeof(t), "%.*s", (int)GUARD_CANARY_LEN - 1, c.token);
    assert_false(matches(t)); /* one character short */
    snprintf(t, sizeof(t), "wdnkanary%s", c.token + strlen(GUARD_CANARY_PREFIX));
    assert_false(matches(t)); /* another prefix */
    snprintf(t, sizeof(t), "wdncanary %s", c.token + strlen(GUARD_CANARY_PREFIX));
    assert_false(matches(t)); /* a space is not invisible */
    /* one character short, full-width with invisible ones between: no match, and no pattern
     * error (a reading with choices would backtrack into PCRE2's match limit) */
    struct util_buf b;
    util_buf_init(&b, 4096);
    util_buf_append(&b, GUARD_CANARY_PREFIX, strlen(GUARD_CANARY_PREFIX));
    for (int i = 0; i < GUARD_CANARY_RANDOM - 1; i++)
        util_buf_append(&b, "\xEF\xBD\x81\xE2\x80\x8B\xEF\xBB\xBF", 9);
    util_buf_append(&b, ".", 1);
    assert_false(matches(b.data));
    assert_int_equal(guard_scan_errors(scratch, NULL, NULL), 0);
    util_buf_free(&b);
    /* base64 and hex blobs: 4 KB of each, no canary */
    char blob[4097];
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned x = 12345;
    for (size_t i = 0; i < 4096; i++) {
        x = x * 1103515245u + 12345u;
        blob[i] = b64[(x >> 16) % 64];
    }
    blob[4096] = '\0';
    assert_false(matches(blob));
}

/* The stream matcher with the canary's rule: a canary split at any byte, in two pieces or
 * one byte at a time, is never released and stops the channel. */
static void streams_hold_a_split_canary_and_block(void **state)
{
    struct guard_canary c;
    guard_canary_make(&c);
    char answer[256];
    int n = snprintf(answer, sizeof(answer), "Here you go: Security canary: %s. Done.", c.token);
    /* the pattern is unbounded (invisible characters): the guard's stream.window (default 256) bounds the hold */
    struct guard_stream_rule rule = {.scan = scan, .action = GUARD_STREAM_BLOCK, .window = 256};
    for (int cut = 0; cut <= n; cut++) {
        struct guard_stream *st = guard_stream_new(&rule, 1);
        struct util_buf out;
        util_buf_init(&out, 4096);
        int r = guard_stream_feed(st, scratch, answer, (size_t)cut, 0, &out, NULL);
        if (r == GUARD_STREAM_OK)
            r = guard_stream_feed(st, scratch, answer + cut, (size_t)(n - cut), 1, &out, NULL);
        assert_int_equal(r, GUARD_STREAM_MATCH);
        assert_null(out.data ? strstr(out.data, c.token + 3) : NULL); /* nothing of the canary past its prefix went out */
        util_buf_free(&out);
        guard_stream_free(st);
    }
    struct guard_stream *st = guard_stream_new(&rule, 1);
    struct util_buf out;
    util_buf_init(&out, 4096);
    int r = GUARD_STREAM_OK;
    for (int i = 0; i < n && r == GUARD_STREAM_OK; i++)
        r = guard_stream_feed(st, scratch, answer + i, 1, i == n - 1, &out, NULL);
    assert_int_equal(r, GUARD_STREAM_MATCH);
    assert_true(out.len <= (size_t)(strstr(answer, c.token) - answer));
    util_buf_free(&out);
    guard_stream_free(st);
}

static void streams_without_a_canary_pass_whole(void **state)
{
    const char *answer = "A perfectly ordinary answer about bread, flour, water and salt: wdn is a prefix, canary a bird.";
    size_t n = strlen(answer);
    struct guard_stream_rule rule = {.scan = scan, .action = GUARD_STREAM_BLOCK, .window = 256};
    struct guard_stream *st = guard_stream_new(&rule, 1);
    struct util_buf out;
    util_buf_init(&out, 4096);
    for (size_t i = 0; i < n; i += 7) {
        size_t k = n - i < 7 ? n - i : 7;
        assert_int_equal(guard_stream_feed(st, scratch, answer + i, k, i + k == n, &out, NULL), GUARD_STREAM_OK);
    }
    assert_int_equal(out.len, n);
    assert_memory_equal(out.data, answer, n);
    util_buf_free(&out);
    guard_stream_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(canaries_are_random_and_plain),
        cmocka_unit_test(the_note_carries_the_canary_and_fits),
        cmocka_unit_test(the_pattern_finds_canaries_and_their_disguises),
        cmocka_unit_test(near_misses_do_not_match),
        cmocka_unit_test(streams_hold_a_split_canary_and_block),
        cmocka_unit_test(streams_without_a_canary_pass_whole),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
