#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/scan.h"
#include "util/err.h"

static struct guard_scan *compile_ok(int kind, const char *const *p, size_t n, int flags)
{
    char err[256] = "";
    struct guard_scan *s = guard_scan_compile(kind, p, n, flags, err, sizeof(err));
    if (!s)
        fail_msg("compile failed: %s", err);
    return s;
}

/* Returns the redacted text (static buffer) or "<none>". */
static const char *redact(const struct guard_scan *s, struct guard_scan_scratch *sc, const char *text)
{
    static char buf[1024];
    size_t outlen = 12345;
    char *r = guard_scan_redact(s, sc, text, strlen(text), "[X]", &outlen);
    if (!r) {
        assert_int_equal(outlen, 0);
        return "<none>";
    }
    assert_int_equal(outlen, strlen(r));
    snprintf(buf, sizeof(buf), "%s", r);
    free(r);
    return buf;
}

static void regex_first_and_all(void **state)
{
    const char *p[] = {"sk-[A-Za-z0-9]{20,}", "AKIA[0-9A-Z]{16}"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 2, 0);
    struct guard_scan_scratch *sc = guard_scan_scratch_new(s);
    struct guard_scan_match m;
    const char *t = "key: sk-ABCDEFGHIJKLMNOPQRSTUVWX and AKIAABCDEFGHIJKLMNOP end";

    assert_int_equal(guard_scan_first(s, sc, t, strlen(t), &m), 1);
    assert_true(m.pattern == 0 || m.pattern == 1);
    assert_int_equal(guard_scan_first(s, sc, "nothing here sk-short", 21, &m), 0);

    struct guard_scan_match *all;
    size_t n;
    assert_int_equal(guard_scan_all(s, sc, t, strlen(t), &all, &n), 2);
    assert_int_equal(n, 2);
    assert_int_equal(all[0].pattern, 0);
    assert_int_equal(all[0].start, 5);
    assert_int_equal(all[0].end, 5 + 3 + 24); /* greedy: the whole key */
    assert_int_equal(all[1].pattern, 1);
    assert_memory_equal(t + all[1].start, "AKIAABCDEFGHIJKLMNOP", 20);
    assert_int_equal(all[1].end - all[1].start, 20);
    free(all);
    assert_string_equal(guard_scan_pattern(s, 1), "AKIA[0-9A-Z]{16}");
    assert_null(guard_scan_pattern(s, 2));
    guard_scan_scratch_free(sc);
    guard_scan_free(s);
}

static void keywords_are_literals(void **state)
{
    /* Regex metacharacters in keywords must be matched literally. */
    const char *p[] = {"a.b", "c++", "(x)"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_KEYWORDS, p, 3, 0);
    struct guard_scan_scratch *sc = guard_scan_scratch_new(s);
    assert_string_equal(redact(s, sc, "axb c+ x"), "<none>");
    assert_string_equal(redact(s, sc, "a.b and c++ and (x)!"), "[X] and [X] and [X]!");
    guard_scan_scratch_free(sc);
    guard_scan_free(s);
}

static void caseless(void **state)
{
    const char *kw[] = {"Secret"};
    const char *re[] = {"pass(word)?"};
    struct guard_scan *k0 = compile_ok(GUARD_SCAN_KEYWORDS, kw, 1, 0);
    struct guard_scan *k1 = compile_ok(GUARD_SCAN_KEYWORDS, kw, 1, GUARD_SCAN_CASELESS);
    struct guard_scan *r1 = compile_ok(GUARD_SCAN_REGEX, re, 1, GUARD_SCAN_CASELESS);
    struct guard_scan_scratch *sc = guard_scan_scratch_new(k0);
    assert_int_equal(guard_scan_scratch_grow(sc, k1), 0);
    assert_int_equal(guard_scan_scratch_grow(sc, r1), 0);
    struct guard_scan_match m;
    assert_int_equal(guard_scan_first(k0, sc, "a SECRET b", 10, &m), 0);
    assert_int_equal(guard_scan_first(k1, sc, "a SECRET b", 10, &m), 1);
    assert_int_equal(m.start, 2);
    assert_int_equal(m.end, 8);
    assert_string_equal(redact(r1, sc, "PassWord and PASS"), "[X] and [X]");
    guard_scan_scratch_free(sc);
    guard_scan_free(k0);
    guard_scan_free(k1);
    guard_scan_free(r1);
}

static void whole_word(void **state)
{
    const char *p[] = {"ass", "c++"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_KEYWORDS, p, 2, GUARD_SCAN_WHOLE_WORD | GUARD_SCAN_CASELESS);
    struct guard_scan_scratch *sc = guard_scan_scratch_new(s);
    struct guard_scan_match m;
    assert_int_equal(guard_scan_first(s, sc, "first class passage", 19, &m), 0);
    assert_int_equal(guard_scan_first(s, sc, "classy", 6, &m), 0);
    /* The first occurrence fails the boundary test, a later one passes. */
    assert_int_equal(guard_scan_first(s, sc, "class, ass.", 11, &m), 1);
    assert_int_equal(m.start, 7);
    assert_string_equal(redact(s, sc, "Ass! bass ass_x (ass) ass"), "[X]! bass ass_x ([X]) [X]");
    /* A keyword ending in punctuation: the boundary is about neighbours only. */
    assert_string_equal(redact(s, sc, "I like c++, not c++x"), "I like [X], not c++x");
    /* Non-ASCII letters are word characters, punctuation is not. */
    assert_string_equal(redact(s, sc,
                               "\xc3\xa9"
                               "ass \xe2\x80\x94"
                               "ass\xe2\x80\x94"),
                        "\xc3\xa9"
                        "ass \xe2\x80\x94[X]\xe2\x80\x94");

    const char *re[] = {"\\d{3}"};
    struct guard_scan *r = compile_ok(GUARD_SCAN_REGEX, re, 1, GUARD_SCAN_WHOLE_WORD);
    assert_int_equal(guard_scan_scratch_grow(sc, r), 0);
    assert_string_equal(redact(r, sc, "1234 567 x890"), "1234 [X] x890");
    guard_scan_free(r);
    guard_scan_scratch_free(sc);
    guard_scan_free(s);
}

static void utf8_mode(void **state)
{
    /* Caseless non-ASCII keyword: Unicode case folding. */
    const char *kw[] = {"привет"};
    struct guard_scan *k = compile_ok(GUARD_SCAN_KEYWORDS, kw, 1, GUARD_SCAN_CASELESS | GUARD_SCAN_UTF8);
    struct guard_scan_scratch *sc = guard_scan_scratch_new(k);
    assert_string_equal(redact(k, sc, "скажи ПРИВЕТ миру"), "скажи [X] миру");

    /* In UTF-8 mode '.' is one character, \w covers letters beyond ASCII. */
    const char *re[] = {"^\\w{3}$", "x.y"};
    struct guard_scan *r = compile_ok(GUARD_SCAN_REGEX, re, 2, GUARD_SCAN_UTF8);
    struct guard_scan_match m;
    assert_int_equal(guard_scan_first(r, sc, "élan", 5, &m), 0);
    assert_int_equal(guard_scan_first(r, sc, "été", 5, &m), 1);
    assert_int_equal(m.end, 5);
    assert_string_equal(redact(r, sc, "x\xe2\x82\xacy x\xc3\xa9y"), "[X] [X]");

    /* A streaming window cut mid-character must not confuse the scan. */
    const char *cut = "\xa9t\xc3\xa9 x\xc3\xa9y \xe2\x82";
    assert_string_equal(redact(r, sc, cut), "\xa9t\xc3\xa9 [X] \xe2\x82");
    /* Invalid UTF-8 inside the text: no crash, the valid match still found. */
    assert_int_equal(guard_scan_first(r, sc, "\xff\xfe x\xc3\xa9y \xc0\x80", 11, &m), 1);
    guard_scan_scratch_free(sc);
    guard_scan_free(k);
    guard_scan_free(r);
}

static void redact_multiple_and_overlaps(void **state)
{
    const char *p[] = {"[a-z]+@[a-z]+\\.com", "\\b\\d{3}-\\d{2}-\\d{4}\\b", "bob@"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 3, 0);
    struct guard_scan_scratch *sc = guard_scan_scratch_new(s);
    assert_string_equal(redact(s, sc, "mail bob@ex.com or amy@ex.com, ssn 123-45-6789."), "mail [X] or [X], ssn [X].");
    /* Matches of different patterns overlapping: all() keeps the leftmost
     * longest, redact() removes the union. */
    struct guard_scan_match *all;
    size_t n;
    const char *t = "x bob@ex.com";
    assert_int_equal(guard_scan_all(s, sc, t, strlen(t), &all, &n), 1);
    assert_int_equal(all[0].start, 2);
    assert_int_equal(all[0].end, strlen(t));
    assert_int_equal(all[0].pattern, 0);
    free(all);
    assert_int_equal(guard_scan_all(s, sc, "clean", 5, &all, &n), 0);
    assert_null(all);
    assert_int_equal(n, 0);

    const char *kw[] = {"abc", "bcd"};
    struct guard_scan *k = compile_ok(GUARD_SCAN_KEYWORDS, kw, 2, 0);
    assert_int_equal(guard_scan_scratch_grow(sc, k), 0);
    assert_string_equal(redact(k, sc, "xabcdx abc"), "x[X]x [X]");
    size_t outlen;
    char *r = guard_scan_redact(k, sc, "abcd", 4, NULL, &outlen);
    assert_non_null(r);
    assert_int_equal(outlen, 0);
    assert_string_equal(r, "");
    free(r);
    guard_scan_free(k);
    guard_scan_scratch_free(sc);
    guard_scan_free(s);
}

static void pcre2_fallback(void **state)
{
    /* Lookahead and back-reference: Hyperscan rejects both, PCRE2 decides. */
    const char *p[] = {"password(?=\\s*[:=])", "\\b(\\w+) \\1\\b", "AKIA[0-9A-Z]{16}"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 3, 0);
    struct guard_scan_scratch *sc = guard_scan_scratch_new(s);
    struct guard_scan_match m;
    assert_int_equal(guard_scan_first(s, sc, "my password is long", 19, &m), 0);
    assert_int_equal(guard_scan_first(s, sc, "password = x", 12, &m), 1);
    assert_int_equal(m.pattern, 0);
    assert_int_equal(m.start, 0);
    assert_int_equal(m.end, 8);
    assert_string_equal(redact(s, sc, "the the cat, password: 1"), "[X] cat, [X]: 1");
    assert_int_equal(guard_scan_max_width(s), 0); /* fallbacks are unbounded */
    guard_scan_scratch_free(sc);
    guard_scan_free(s);
}

static void bad_patterns(void **state)
{
    char err[256] = "";
    const char *p[] = {"ok", "foo(bar"};
    assert_null(guard_scan_compile(GUARD_SCAN_REGEX, p, 2, 0, err, sizeof(err)));
    assert_non_null(strstr(err, "pattern 1"));
    assert_non_null(strstr(err, "foo(bar"));

    const char *e[] = {"x", "a*"};
    err[0] = '\0';
    assert_null(guard_scan_compile(GUARD_SCAN_REGEX, e, 2, 0, err, sizeof(err)));
    assert_non_null(strstr(err, "pattern 1"));

    const char *z[] = {""};
    assert_null(guard_scan_compile(GUARD_SCAN_KEYWORDS, z, 1, 0, err, sizeof(err)));
    assert_non_null(strstr(err, "empty"));
    assert_null(guard_scan_compile(GUARD_SCAN_KEYWORDS, z, 0, 0, err, sizeof(err)));
    assert_null(guard_scan_compile(7, p, 1, 0, err, sizeof(err)));
}

static void max_width(void **state)
{
    const char *a[] = {"AKIA[0-9A-Z]{16}", "\\d{3}-\\d{2}-\\d{4}"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, a, 2, 0);
    assert_int_equal(guard_scan_max_width(s), 20);
    guard_scan_free(s);
    const char *b[] = {"AKIA[0-9A-Z]{16}", "sk-[a-z]{20,}"};
    s = compile_ok(GUARD_SCAN_REGEX, b, 2, 0);
    assert_int_equal(guard_scan_max_width(s), 0);
    guard_scan_free(s);
    const char *k[] = {"short", "a longer keyword"};
    s = compile_ok(GUARD_SCAN_KEYWORDS, k, 2, GUARD_SCAN_CASELESS);
    assert_int_equal(guard_scan_max_width(s), 16);
    guard_scan_free(s);
}

static void empty_text_and_lazy_scratch(void **state)
{
    const char *p[] = {"x"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 1, 0);
    /* A scratch never grown for s: scanning grows it. */
    struct guard_scan_scratch *sc = guard_scan_scratch_new(NULL);
    struct guard_scan_match m;
    assert_int_equal(guard_scan_first(s, sc, "", 0, &m), 0);
    assert_int_equal(guard_scan_first(s, sc, NULL, 0, &m), 0);
    assert_int_equal(guard_scan_first(s, sc, "axb", 3, &m), 1);
    size_t outlen = 1;
    assert_null(guard_scan_redact(s, sc, "", 0, "[X]", &outlen));
    assert_int_equal(outlen, 0);
    struct guard_scan_match *all = (void *)1;
    size_t n = 9;
    assert_int_equal(guard_scan_all(s, sc, "", 0, &all, &n), 0);
    assert_null(all);
    assert_int_equal(n, 0);
    assert_true(guard_scan_first(s, sc, NULL, 5, &m) < 0);
    guard_scan_scratch_free(sc);
    guard_scan_free(s);
}

static void embedded_nul(void **state)
{
    const char *p[] = {"secret"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_KEYWORDS, p, 1, 0);
    struct guard_scan_scratch *sc = guard_scan_scratch_new(s);
    size_t outlen;
    char *r = guard_scan_redact(s, sc, "a\0secret", 8, "*", &outlen);
    assert_non_null(r);
    assert_int_equal(outlen, 3);
    assert_memory_equal(r, "a\0*", 4);
    free(r);
    guard_scan_scratch_free(sc);
    guard_scan_free(s);
}

struct thread_arg {
    const struct guard_scan *s;
    int hits;
};

static void *scan_thread(void *p)
{
    struct thread_arg *a = p;
    struct guard_scan_scratch *sc = guard_scan_scratch_new(a->s);
    for (int i = 0; i < 2000; i++) {
        struct guard_scan_match m;
        const char *t = (i & 1) ? "call 555-12-3456 now" : "nothing to see here";
        if (guard_scan_first(a->s, sc, t, strlen(t), &m) == 1)
            a->hits++;
    }
    guard_scan_scratch_free(sc);
    return NULL;
}

static void shared_across_threads(void **state)
{
    const char *p[] = {"\\d{3}-\\d{2}-\\d{4}", "x(?=y)"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 2, 0);
    pthread_t th[4];
    struct thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){s, 0};
        pthread_create(&th[i], NULL, scan_thread, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].hits, 1000);
    }
    guard_scan_free(s);
}


/* Issue 9 item 4: a pattern over the PCRE2 match limit is skipped alone; the
 * other patterns of the list still find, redact and block. */
static void pattern_error_skips_only_that_pattern(void **state)
{
    const char *p[] = {"(a+)+b", "sk-[A-Za-z0-9]{20,}"};
    struct guard_scan *s = compile_ok(GUARD_SCAN_REGEX, p, 2, 0);
    guard_scan_set_match_limit(s, 1000);
    struct guard_scan_scratch *sc = guard_scan_scratch_new(s);
    /* Hyperscan sees "ab" at the end, so PCRE2 runs (a+)+b from the start and blows up */
    const char *t = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaac sk-ABCDEFGHIJKLMNOPQRSTUVWX ab";
    unsigned bad = 99;
    int code = 0;
    struct guard_scan_match m;
    assert_int_equal(guard_scan_first(s, sc, t, strlen(t), &m), 1);
    assert_int_equal(m.pattern, 1); /* found first: the failing pattern may not even have run */
    assert_string_equal(redact(s, sc, t), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaac [X] ab");
    assert_int_equal(guard_scan_errors(sc, &bad, &code), 1);
    assert_int_equal(bad, 0);
    assert_int_equal(code, WARDEN_ETOOBIG);
    /* alone, the failing pattern reports no match and the error */
    assert_int_equal(guard_scan_first(s, sc, t, 31, &m), 0);
    assert_int_equal(guard_scan_first(s, sc, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaac ab", 34, &m), 0);
    assert_int_equal(guard_scan_errors(sc, NULL, NULL), 1);
    /* a clean scan resets the count */
    assert_int_equal(guard_scan_first(s, sc, "nothing", 7, &m), 0);
    assert_int_equal(guard_scan_errors(sc, NULL, NULL), 0);
    guard_scan_scratch_free(sc);
    guard_scan_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(regex_first_and_all),
        cmocka_unit_test(keywords_are_literals),
        cmocka_unit_test(caseless),
        cmocka_unit_test(whole_word),
        cmocka_unit_test(utf8_mode),
        cmocka_unit_test(redact_multiple_and_overlaps),
        cmocka_unit_test(pcre2_fallback),
        cmocka_unit_test(bad_patterns),
        cmocka_unit_test(max_width),
        cmocka_unit_test(empty_text_and_lazy_scratch),
        cmocka_unit_test(embedded_nul),
        cmocka_unit_test(shared_across_threads),
        cmocka_unit_test(pattern_error_skips_only_that_pattern),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
