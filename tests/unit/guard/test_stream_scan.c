/* The incremental stream matcher: every split point of a secret, growth,
 * overflow, whole words, keywords, UTF-8 boundaries, per-pattern errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/scan.h"
#include "guard/stream_scan.h"

#define SECRET "sk-ABCDEFGHIJKLMNOPQRSTUVWXYZabcd" /* 30 characters after sk- */

static struct guard_scan *compile_ok(int kind, const char *const *p, size_t n, int flags)
{
    char err[256] = "";
    struct guard_scan *s = guard_scan_compile(kind, p, n, flags, err, sizeof(err));
    if (!s)
        fail_msg("compile failed: %s", err);
    return s;
}

/* No 8-byte piece of secret appears in text. */
static int leaks(const char *text, size_t len, const char *secret)
{
    size_t sl = strlen(secret);
    for (size_t i = 0; i + 8 <= sl; i++)
        if (memmem(text, len, secret + i, 8) != NULL)
            return 1;
    return 0;
}

struct run {
    char out[4096];
    size_t outlen;
    int status;
    size_t releases; /* feeds that released something */
    size_t max_held;
};

/* Feeds text in pieces of `step` bytes (or split at `cut` into two pieces when
 * step is 0), then the end. Asserts that after every feed the released text
 * never holds an 8-byte piece of SECRET. */
static void feed_pieces(const struct guard_stream_rule *rules, size_t nrules, const char *text, size_t step, size_t cut,
                        struct run *r)
{
    struct guard_scan_scratch *sc = guard_scan_scratch_new(NULL);
    struct guard_stream *st = guard_stream_new(rules, nrules);
    struct util_buf out;
    util_buf_init(&out, 1 << 20);
    size_t len = strlen(text), pos = 0;
    memset(r, 0, sizeof(*r));
    while (pos < len && r->status == GUARD_STREAM_OK) {
        size_t n = step ? (len - pos < step ? len - pos : step) : (pos == 0 ? cut : len - pos);
        size_t before = out.len;
        r->status = guard_stream_feed(st, sc, text + pos, n, 0, &out, NULL);
        if (out.len > before)
            r->releases++;
        if (guard_stream_held(st) > r->max_held)
            r->max_held = guard_stream_held(st);
        assert_false(leaks(out.data ? out.data : "", out.len, SECRET));
        pos += n;
    }
    if (r->status == GUARD_STREAM_OK)
        r->status = guard_stream_feed(st, sc, NULL, 0, 1, &out, NULL);
    assert_true(out.len < sizeof(r->out));
    memcpy(r->out, out.data ? out.data : "", out.len);
    r->out[out.len] = '\0';
    r->outlen = out.len;
    util_buf_free(&out);
    guard_stream_free(st);
    guard_scan_scratch_free(sc);
}

static void secret_split_at_every_point(void **state)
{
    const char *p[] = {"sk-[A-Za-z0-9]{20,}"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 1, 0);
    struct guard_stream_rule rule = {.scan = s, .action = GUARD_STREAM_REDACT, .replacement = "[R]", .window = 256};
    const char *text = "the key is " SECRET " and more text";
    struct run r;
    for (size_t cut = 1; cut < strlen(text); cut++) {
        feed_pieces(&rule, 1, text, 0, cut, &r);
        assert_int_equal(r.status, GUARD_STREAM_OK);
        assert_string_equal(r.out, "the key is [R] and more text");
    }
    for (size_t step = 1; step <= 7; step++) {
        feed_pieces(&rule, 1, text, step, 0, &r);
        assert_int_equal(r.status, GUARD_STREAM_OK);
        assert_string_equal(r.out, "the key is [R] and more text");
    }
    guard_scan_free(s);
}

static void growth_redacts_the_whole_match(void **state)
{
    /* the old bug: redacted at 20 characters, the tail released */
    const char *p[] = {"sk-[A-Za-z0-9]{20,}"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 1, 0);
    struct guard_stream_rule rule = {.scan = s, .action = GUARD_STREAM_REDACT, .replacement = "[R]", .window = 256};
    struct run r;
    feed_pieces(&rule, 1, SECRET, 1, 0, &r); /* the secret is the whole text: final only at the end */
    assert_int_equal(r.status, GUARD_STREAM_OK);
    assert_string_equal(r.out, "[R]");
    feed_pieces(&rule, 1, "x " SECRET "AAAAAAAAAA!", 1, 0, &r);
    assert_string_equal(r.out, "x [R]!");
    guard_scan_free(s);
}

static void only_possible_match_starts_are_held(void **state)
{
    const char *p[] = {"sk-[A-Za-z0-9]{20,}"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 1, 0);
    struct guard_stream_rule rule = {.scan = s, .action = GUARD_STREAM_REDACT, .replacement = "[R]", .window = 256};
    struct guard_scan_scratch *sc = guard_scan_scratch_new(s);
    struct guard_stream *st = guard_stream_new(&rule, 1);
    struct util_buf out;
    util_buf_init(&out, 4096);
    const char *pieces[] = {"Hello, this is a short ", "answer with no secret. ", "It ends with s"};
    assert_int_equal(guard_stream_feed(st, sc, pieces[0], strlen(pieces[0]), 0, &out, NULL), GUARD_STREAM_OK);
    assert_int_equal(out.len, strlen(pieces[0])); /* nothing held: no match can start in it */
    assert_int_equal(guard_stream_feed(st, sc, pieces[1], strlen(pieces[1]), 0, &out, NULL), GUARD_STREAM_OK);
    assert_int_equal(guard_stream_held(st), 0);
    assert_int_equal(guard_stream_feed(st, sc, pieces[2], strlen(pieces[2]), 0, &out, NULL), GUARD_STREAM_OK);
    assert_int_equal(guard_stream_held(st), 1); /* "s" may begin "sk-" */
    assert_int_equal(guard_stream_feed(st, sc, "k", 1, 0, &out, NULL), GUARD_STREAM_OK);
    assert_int_equal(guard_stream_held(st), 2);
    assert_int_equal(guard_stream_feed(st, sc, "y.", 2, 0, &out, NULL), GUARD_STREAM_OK);
    assert_int_equal(guard_stream_held(st), 0);
    assert_string_equal(out.data, "Hello, this is a short answer with no secret. It ends with sky.");
    util_buf_free(&out);
    guard_stream_free(st);
    guard_scan_scratch_free(sc);
    guard_scan_free(s);
}

/* A regex whose every match starts with one known byte skips PCRE2 on text without that
 * byte (stream_scan.c: first_byte). The same pattern wrapped in (?:...) always runs
 * PCRE2: after every feed both must have released exactly the same text and status,
 * for redact and block, at every piece size. */
static void first_byte_skip_matches_pcre2(void **state)
{
    const char *pairs[][2] = {{"sk-[A-Za-z0-9]{20,}", "(?:sk-[A-Za-z0-9]{20,})"},
                              {"AKIA[0-9A-Z]{16}", "(?:AKIA[0-9A-Z]{16})"},
                              {"\xc3\xa9t[a-z]+e", "(?:\xc3\xa9t[a-z]+e)"},
                              {"ab*c", "(?:ab*c)"}};
    const char *texts[] = {"plain text with no start byte at all",
                           "ends with s",
                           "ss sk sk- sk-ABCDEFGHIJKLMNOPQRSTUVWXYZ and sk-abc sk-" SECRET " s",
                           "AKIAABCDEFGHIJKLMNOP AKIA1234 AKI",
                           "\xc3\xa9t\xc3\xa9 \xc3\xa9tude \xc3\xa9tablie \xc3",
                           "ac abbbc a abc ab"};
    enum guard_stream_action actions[] = {GUARD_STREAM_REDACT, GUARD_STREAM_BLOCK};
    for (size_t pi = 0; pi < sizeof(pairs) / sizeof(*pairs); pi++) {
        struct guard_scan *fast = compile_ok(GUARD_SCAN_REGEX, &pairs[pi][0], 1, 0);
        struct guard_scan *slow = compile_ok(GUARD_SCAN_REGEX, &pairs[pi][1], 1, 0);
        struct guard_scan_scratch *sc = guard_scan_scratch_new(NULL);
        for (size_t ai = 0; ai < 2; ai++) {
            struct guard_stream_rule rf = {.scan = fast, .action = actions[ai], .replacement = "[R]", .window = 256};
            struct guard_stream_rule rs = {.scan = slow, .action = actions[ai], .replacement = "[R]", .window = 256};
            for (size_t ti = 0; ti < sizeof(texts) / sizeof(*texts); ti++) {
                for (size_t step = 1; step <= 9; step++) {
                    struct guard_stream *a = guard_stream_new(&rf, 1), *b = guard_stream_new(&rs, 1);
                    struct util_buf oa, ob;
                    util_buf_init(&oa, 1 << 16);
                    util_buf_init(&ob, 1 << 16);
                    const char *t = texts[ti];
                    size_t len = strlen(t);
                    int sa = 0, sb = 0;
                    for (size_t pos = 0; pos <= len && sa == 0 && sb == 0; pos += step) {
                        size_t n = pos < len ? (len - pos < step ? len - pos : step) : 0;
                        int final = pos + n >= len;
                        sa = guard_stream_feed(a, sc, t + pos, n, final, &oa, NULL);
                        sb = guard_stream_feed(b, sc, t + pos, n, final, &ob, NULL);
                        assert_int_equal(sa, sb);
                        assert_int_equal(oa.len, ob.len);
                        assert_memory_equal(oa.data ? oa.data : "", ob.data ? ob.data : "", oa.len);
                        assert_int_equal(guard_stream_held(a), guard_stream_held(b));
                        if (final)
                            break;
                    }
                    util_buf_free(&oa);
                    util_buf_free(&ob);
                    guard_stream_free(a);
                    guard_stream_free(b);
                }
            }
        }
        guard_scan_scratch_free(sc);
        guard_scan_free(fast);
        guard_scan_free(slow);
    }
}

/* A matcher reset for a new text (a stream filter reuses its channels' matchers) keeps
 * nothing of the last one: held text, redaction spans, a stopped status. */
static void reset_starts_a_new_text(void **state)
{
    const char *p[] = {"sk-[A-Za-z0-9]{20,}"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 1, 0);
    struct guard_stream_rule redact = {.scan = s, .action = GUARD_STREAM_REDACT, .replacement = "[R]", .window = 256};
    struct guard_stream_rule block = {.scan = s, .action = GUARD_STREAM_BLOCK, .window = 256};
    struct guard_scan_scratch *sc = guard_scan_scratch_new(s);
    struct util_buf out;
    util_buf_init(&out, 4096);
    /* redact: a match held, a span pending */
    struct guard_stream *st = guard_stream_new(&redact, 1);
    const char *first = "a " SECRET " b sk-Q7wX";
    assert_int_equal(guard_stream_feed(st, sc, first, strlen(first), 0, &out, NULL), GUARD_STREAM_OK);
    assert_true(guard_stream_held(st) > 0);
    guard_stream_reset(st);
    util_buf_reset(&out);
    const char *second = "2mK9pL4vR8tY3nB6cD1fG5hJ0zAs end";
    assert_int_equal(guard_stream_feed(st, sc, second, strlen(second), 0, &out, NULL), GUARD_STREAM_OK);
    assert_int_equal(guard_stream_feed(st, sc, NULL, 0, 1, &out, NULL), GUARD_STREAM_OK);
    assert_string_equal(out.data, second);
    guard_stream_free(st);
    /* block: a stopped matcher runs again */
    st = guard_stream_new(&block, 1);
    util_buf_reset(&out);
    assert_int_equal(guard_stream_feed(st, sc, SECRET " x", strlen(SECRET " x"), 0, &out, NULL), GUARD_STREAM_MATCH);
    guard_stream_reset(st);
    util_buf_reset(&out);
    assert_int_equal(guard_stream_feed(st, sc, "fine text", 9, 1, &out, NULL), GUARD_STREAM_OK);
    assert_string_equal(out.data, "fine text");
    guard_stream_free(st);
    util_buf_free(&out);
    guard_scan_scratch_free(sc);
    guard_scan_free(s);
}

static void overflow_releases_nothing_of_the_match(void **state)
{
    const char *p[] = {"sk-[A-Za-z0-9]{20,}"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 1, 0);
    struct guard_stream_rule rule = {.scan = s, .action = GUARD_STREAM_REDACT, .replacement = "[R]", .window = 64};
    char text[256];
    snprintf(text, sizeof(text), "ok sk-%0100d", 7);
    struct run r;
    feed_pieces(&rule, 1, text, 5, 0, &r);
    assert_int_equal(r.status, GUARD_STREAM_OVERFLOW);
    assert_string_equal(r.out, "ok ");
    assert_true(r.max_held <= 64 + 5);
    /* arriving whole it is final and simply redacted */
    strcat(text, " end");
    feed_pieces(&rule, 1, text, 0, strlen(text) - 1, &r);
    assert_int_equal(r.status, GUARD_STREAM_OK);
    assert_string_equal(r.out, "ok [R] end");
    guard_scan_free(s);
}

static void block_on_a_split_keyword(void **state)
{
    const char *kw[] = {"forbidden"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_KEYWORDS, kw, 1, GUARD_SCAN_CASELESS);
    struct guard_stream_rule rule = {.scan = s, .action = GUARD_STREAM_BLOCK, .window = 9};
    struct run r;
    const char *text = "this is fine and then FORBIDDEN stuff";
    for (size_t cut = 1; cut < strlen(text); cut++) {
        feed_pieces(&rule, 1, text, 0, cut, &r);
        assert_int_equal(r.status, GUARD_STREAM_MATCH);
        assert_null(strstr(r.out, "FORB"));
        assert_true(strncmp(r.out, "this is fine and then ", r.outlen) == 0);
    }
    guard_scan_free(s);
}

static void whole_word_needs_the_next_character(void **state)
{
    const char *kw[] = {"secret", "pass word"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_KEYWORDS, kw, 2, GUARD_SCAN_WHOLE_WORD | GUARD_SCAN_CASELESS);
    struct guard_stream_rule rule = {.scan = s, .action = GUARD_STREAM_REDACT, .replacement = "#", .window = 32};
    struct run r;
    const char *cases[][2] = {
        {"a secret here", "a # here"},   {"secrets stay", "secrets stay"}, {"my secret", "my #"},
        {"xsecret secret_ ", "xsecret secret_ "}, {"the Pass Word.", "the #."}, {"café secret", "café #"},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++)
        for (size_t step = 1; step <= 3; step++) {
            feed_pieces(&rule, 1, cases[c][0], step, 0, &r);
            assert_int_equal(r.status, GUARD_STREAM_OK);
            assert_string_equal(r.out, cases[c][1]);
        }
    guard_scan_free(s);
}

static void overlapping_keywords_merge(void **state)
{
    const char *kw[] = {"abc", "bcde", "foo", "foobar"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_KEYWORDS, kw, 4, 0);
    struct guard_stream_rule rule = {.scan = s, .action = GUARD_STREAM_REDACT, .replacement = "#", .window = 6};
    struct run r;
    for (size_t step = 1; step <= 4; step++) {
        feed_pieces(&rule, 1, "xabcdex foobar foob", step, 0, &r);
        assert_string_equal(r.out, "x#x # #b");
    }
    guard_scan_free(s);
}

static void utf8_characters_are_never_cut(void **state)
{
    const char *p[] = {"sk-[A-Za-z0-9]{20,}"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 1, 0);
    const char *kw[] = {"é"};
    struct guard_scan *k = compile_ok(GUARD_SCAN_KEYWORDS, kw, 1, GUARD_SCAN_CASELESS);
    struct guard_stream_rule rules[] = {{.scan = s, .action = GUARD_STREAM_REDACT, .replacement = "[R]", .window = 256},
                                        {.scan = k, .action = GUARD_STREAM_LOG, .window = 2}};
    const char *text = "h\xc3\xa9llo w\xc3\xb6rld \xf0\x9f\x98\x80 \xe2\x82\xac" "5 " SECRET " \xc3\x89t\xc3\xa9";
    struct guard_scan_scratch *sc = guard_scan_scratch_new(NULL);
    for (size_t step = 1; step <= 4; step++) {
        struct guard_stream *st = guard_stream_new(rules, 2);
        struct util_buf out;
        util_buf_init(&out, 4096);
        struct guard_stream_result res;
        for (size_t pos = 0; pos < strlen(text); pos += step) {
            size_t n = strlen(text) - pos < step ? strlen(text) - pos : step;
            assert_int_equal(guard_stream_feed(st, sc, text + pos, n, 0, &out, &res), GUARD_STREAM_OK);
            /* what went out ends on a character boundary */
            for (size_t b = out.len; b > 0 && b + 4 > out.len; b--) {
                unsigned char c = (unsigned char)out.data[b - 1];
                if ((c & 0xC0) == 0x80)
                    continue;
                size_t need = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
                assert_int_equal(out.len - (b - 1), need);
                break;
            }
        }
        assert_int_equal(guard_stream_feed(st, sc, NULL, 0, 1, &out, &res), GUARD_STREAM_OK);
        assert_string_equal(out.data, "h\xc3\xa9llo w\xc3\xb6rld \xf0\x9f\x98\x80 \xe2\x82\xac" "5 [R] \xc3\x89t\xc3\xa9");
        assert_int_equal(res.logged, 3); /* é, É, é: caseless */
        util_buf_free(&out);
        guard_stream_free(st);
    }
    guard_scan_scratch_free(sc);
    guard_scan_free(s);
    guard_scan_free(k);
}

static void pattern_error_applies_to_that_pattern(void **state)
{
    /* (a+)+b backtracks exponentially on a run of a's with no b after it */
    const char *p[] = {"(a+)+b", "sk-[A-Za-z0-9]{20,}"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 2, 0);
    guard_scan_set_match_limit(s, 1000);
    const char *text = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa! " SECRET " end";
    struct guard_stream_rule open = {.scan = s, .action = GUARD_STREAM_REDACT, .replacement = "[R]", .window = 256, .fail_open = 1};
    struct run r;
    feed_pieces(&open, 1, text, 7, 0, &r);
    assert_int_equal(r.status, GUARD_STREAM_OK);
    assert_non_null(strstr(r.out, "! [R] end"));
    struct guard_stream_rule closed = open;
    closed.fail_open = 0;
    feed_pieces(&closed, 1, text, 7, 0, &r);
    assert_int_equal(r.status, GUARD_STREAM_ERROR);
    assert_int_equal(r.outlen, 0);
    guard_scan_free(s);
}

static void several_rules_hold_the_earliest(void **state)
{
    const char *p[] = {"sk-[A-Za-z0-9]{20,}"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 1, 0);
    const char *kw[] = {"ABCDEFGH"};
    struct guard_scan *k = compile_ok(GUARD_SCAN_KEYWORDS, kw, 1, 0);
    struct guard_stream_rule rules[] = {{.scan = s, .action = GUARD_STREAM_REDACT, .replacement = "[R]", .window = 256},
                                        {.scan = k, .action = GUARD_STREAM_REDACT, .replacement = "[K]", .window = 8}};
    struct run r;
    for (size_t step = 1; step <= 5; step++) {
        feed_pieces(rules, 2, "a " SECRET " b ABCDEFGH c", step, 0, &r);
        assert_int_equal(r.status, GUARD_STREAM_OK);
        assert_string_equal(r.out, "a [R] b [K] c"); /* the keyword inside the secret merged into its span */
    }
    guard_scan_free(s);
    guard_scan_free(k);
}

static void long_keyword_lists(void **state)
{
    /* a PCRE2 pattern has a size limit: long lists become several alternations */
    enum { N = 6000 };
    static char store[N][24];
    static const char *kw[N];
    for (int i = 0; i < N; i++) {
        snprintf(store[i], sizeof(store[i]), "secretword%05d", i);
        kw[i] = store[i];
    }
    struct guard_scan *s = compile_ok(GUARD_SCAN_KEYWORDS, kw, N, GUARD_SCAN_CASELESS | GUARD_SCAN_WHOLE_WORD);
    struct guard_stream_rule rule = {.scan = s, .action = GUARD_STREAM_REDACT, .replacement = "#", .window = 24};
    struct run r;
    feed_pieces(&rule, 1, "a SecretWord00001 b secretword05999 c secretword06000 d", 3, 0, &r);
    assert_int_equal(r.status, GUARD_STREAM_OK);
    assert_string_equal(r.out, "a # b # c secretword06000 d");
    guard_scan_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(secret_split_at_every_point),
        cmocka_unit_test(growth_redacts_the_whole_match),
        cmocka_unit_test(only_possible_match_starts_are_held),
        cmocka_unit_test(first_byte_skip_matches_pcre2),
        cmocka_unit_test(reset_starts_a_new_text),
        cmocka_unit_test(overflow_releases_nothing_of_the_match),
        cmocka_unit_test(block_on_a_split_keyword),
        cmocka_unit_test(whole_word_needs_the_next_character),
        cmocka_unit_test(overlapping_keywords_merge),
        cmocka_unit_test(utf8_characters_are_never_cut),
        cmocka_unit_test(pattern_error_applies_to_that_pattern),
        cmocka_unit_test(several_rules_hold_the_earliest),
        cmocka_unit_test(long_keyword_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
