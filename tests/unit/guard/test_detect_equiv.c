/* The shortcuts of detect.c find what a plain scan finds: the pii and secrets sets as
 * built, against the same rules with every gate removed (each pattern scanned over the
 * whole text) and DETECT_SPAN_KEPT cleared (a context rule scanned everywhere, not only
 * around its words), give the same findings (type, span, score) on every labelled text of
 * tests/data/pii_*.jsonl and secrets_*.jsonl and on seeded random texts made of the
 * pieces the shortcuts decide on (numbers and their separators, base64 runs of about 40
 * characters, the AWS context words at every distance, stray UTF-8 continuation bytes).
 * Streams too: detect_scan_stream on prefixes of each text gives the same findings and
 * the same hold. The one difference is the candidate cap: a text of more than 2^18 edged
 * 40-character runs fails the plain scan (WARDEN_ETOOBIG, on_error applies) and scans with
 * the context rule unless as many are near its words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "guard/detect.h"
#include "guard/pii.h"
#include "guard/secrets.h"
#include "repo_path.h"
#include "util/err.h"

struct pair {
    struct detect_set *fast, *plain;
};

static struct config *cfg;
static struct pair pii, secrets;
static struct detect_scratch *sc;

/* The set's rules without gates and without DETECT_SPAN_KEPT. */
static struct detect_set *plain_of(const struct detect_set *set)
{
    size_t n = detect_rule_count(set);
    struct detect_rule *rules = calloc(n, sizeof(*rules));
    for (size_t i = 0; i < n; i++) {
        rules[i] = *detect_rule_at(set, i);
        rules[i].gate = NULL;
        rules[i].flags &= ~(unsigned)DETECT_SPAN_KEPT;
    }
    char err[256];
    struct detect_set *plain = detect_compile(rules, n, err, sizeof(err));
    free(rules);
    return plain;
}

static int setup(void **state)
{
    static const char yaml[] = "providers: [{name: p, base_url: \"http://h\"}]\n"
                               "models: [{name: m, targets: [{provider: p, model: x}]}]\n"
                               "guardrails: [{name: pii, type: pii}, {name: secrets, type: secrets}]\n";
    char err[512];
    cfg = config_load_string(yaml, sizeof(yaml) - 1, "t.yaml", err, sizeof(err));
    assert_non_null(cfg);
    pii.fast = guard_pii_compile(&cfg->guardrails[0], err, sizeof(err));
    secrets.fast = guard_secrets_compile(&cfg->guardrails[1], err, sizeof(err));
    assert_non_null(pii.fast);
    assert_non_null(secrets.fast);
    pii.plain = plain_of(pii.fast);
    secrets.plain = plain_of(secrets.fast);
    assert_non_null(pii.plain);
    assert_non_null(secrets.plain);
    sc = detect_scratch_new();
    return 0;
}

static int teardown(void **state)
{
    detect_free(pii.fast);
    detect_free(pii.plain);
    detect_free(secrets.fast);
    detect_free(secrets.plain);
    detect_scratch_free(sc);
    config_free(cfg);
    return 0;
}

static void same_findings(const struct guard_finding *a, size_t na, const struct guard_finding *b, size_t nb, const char *text,
                          size_t len)
{
    if (na != nb)
        fail_msg("%zu findings, %zu without the shortcuts, in: %.*s", na, nb, (int)len, text);
    for (size_t i = 0; i < na; i++)
        if (a[i].start != b[i].start || a[i].end != b[i].end || a[i].score != b[i].score || strcmp(a[i].type, b[i].type))
            fail_msg("%s [%zu, %zu) %.2f, without the shortcuts %s [%zu, %zu) %.2f, in: %.*s", a[i].type, a[i].start, a[i].end,
                     a[i].score, b[i].type, b[i].start, b[i].end, b[i].score, (int)len, text);
}

/* One text through both sets of a pair: whole, and as a stream cut at a few places. */
static void compare(const struct pair *p, const char *text, size_t len)
{
    struct guard_finding *a = NULL, *b = NULL;
    size_t na = 0, nb = 0, capa = 0, capb = 0;
    int ra = detect_scan(p->fast, sc, text, len, 0, 0.5, &a, &na, &capa);
    int rb = detect_scan(p->plain, sc, text, len, 0, 0.5, &b, &nb, &capb);
    assert_int_equal(ra, rb);
    same_findings(a, na, b, nb, text, len);
    size_t cuts[] = {len / 3, len / 2, len - len / 5, len > 40 ? len - 40 : 0, len};
    for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
        size_t hold_a = 0, hold_b = 0, from = cuts[k] / 4;
        na = nb = 0;
        ra = detect_scan_stream(p->fast, sc, text, cuts[k], from, 0, 0.5, &a, &na, &capa, &hold_a);
        rb = detect_scan_stream(p->plain, sc, text, cuts[k], from, 0, 0.5, &b, &nb, &capb, &hold_b);
        assert_int_equal(ra, rb);
        assert_int_equal(hold_a, hold_b);
        same_findings(a, na, b, nb, text, cuts[k]);
    }
    free(a);
    free(b);
}

static void compare_file(const char *rel, size_t min_lines)
{
    char path[4096];
    if (repo_path(rel, path, sizeof(path)) != 0)
        fail_msg("cannot find %s", rel);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0, lines = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, f)) > 0) {
        json_t *rec = json_loadb(line, (size_t)got, 0, NULL);
        assert_non_null(rec);
        const char *text = json_string_value(json_object_get(rec, "text"));
        size_t len = json_string_length(json_object_get(rec, "text"));
        compare(&pii, text, len);
        compare(&secrets, text, len);
        json_decref(rec);
        lines++;
    }
    free(line);
    fclose(f);
    assert_true(lines >= min_lines);
}

static void labelled_texts_give_the_same_findings(void **state)
{
    static const char *const files[] = {"tests/data/pii_eval.jsonl", "tests/data/pii_blind7_dev.jsonl",
                                        "tests/data/pii_blind7_holdout.jsonl", "tests/data/secrets_eval.jsonl",
                                        "tests/data/secrets_blind7_dev.jsonl", "tests/data/secrets_blind7_holdout.jsonl"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        compare_file(files[i], 100);
}

static uint64_t rng_state;

static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((rng_state >> 33) % n);
}

/* k random bytes of the alphabet into out; returns k */
static size_t random_run(char *out, const char *alphabet, size_t k)
{
    size_t n = strlen(alphabet);
    for (size_t i = 0; i < k; i++)
        out[i] = alphabet[rnd((unsigned)n)];
    return k;
}

/* A random text of about `want` bytes from pieces the shortcuts decide on. */
static size_t random_text(char *out, size_t want)
{
    static const char *const words[] = {"aws",     "AWS",   "Aws_Secret_Access_Key", "secretaccesskey", "SECRET_ACCESS_KEY",
                                        "aws_secret_access_key=", "key", "the",    "order",           "version",
                                        "card",    "phone", "iban",    "ip",    "mac",   "ssn", "bitcoin", "awss", "xaws"};
    static const char *const seps[] = {" ", "  ", "-", ".", ":", "/", "(", ")", "=", "\n", ", ", "\"", "+", "_", "#"};
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";
    static const char hex[] = "0123456789abcdefABCDEF";
    size_t n = 0;
    while (n < want) {
        switch (rnd(9)) {
        case 0:
        case 1:
            n += (size_t)sprintf(out + n, "%s", words[rnd(sizeof(words) / sizeof(words[0]))]);
            break;
        case 2: /* key-like runs around the AWS rule's 40 */
            n += random_run(out + n, b64, 36 + rnd(8));
            break;
        case 3:
            n += random_run(out + n, "0123456789", 1 + rnd(5));
            break;
        case 4:
            n += random_run(out + n, hex, 1 + rnd(4));
            break;
        case 5: {
            size_t k = 1 + rnd(3); /* stray continuation bytes, or a two-byte letter (é) */
            if (rnd(2))
                for (size_t i = 0; i < k; i++)
                    out[n++] = (char)(0x80 + rnd(0x40));
            else
                n += (size_t)sprintf(out + n, "\xc3\xa9");
            break;
        }
        default:
            n += (size_t)sprintf(out + n, "%s", seps[rnd(sizeof(seps) / sizeof(seps[0]))]);
            break;
        }
    }
    return n;
}

static void random_texts_give_the_same_findings(void **state)
{
    static char text[4096];
    rng_state = 20261203;
    for (int i = 0; i < 3000; i++) {
        size_t len = random_text(text, 40 + rnd(400));
        compare(&pii, text, len);
        compare(&secrets, text, len);
    }
}

/* An AWS secret key with a context word before or after it at every distance around the
 * reach of DETECT_CONTEXT_BEFORE / AFTER, the gap made of spaces or of stray continuation
 * bytes (a span is widened over them to whole characters). */
/* AWS_SECRET_ACCESS_KEY findings of the plain scan of text[0, n) */
static size_t aws_keys_found(const char *text, size_t n)
{
    struct guard_finding *f = NULL;
    size_t nf = 0, cap = 0, found = 0;
    assert_true(detect_scan(secrets.plain, sc, text, n, 0, 0.5, &f, &nf, &cap) >= 0);
    for (size_t i = 0; i < nf; i++)
        found += !strcmp(f[i].type, "AWS_SECRET_ACCESS_KEY");
    free(f);
    return found;
}

static void context_words_at_every_distance(void **state)
{
    static const char *const words[] = {"aws", "AWS_SECRET_ACCESS_KEY", "secretaccesskey", "awss"};
    static const char key[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a";
    static char text[512];
    size_t found = 0;
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
        for (int after = 0; after < 2; after++)
            for (int gap = 0; gap < 3; gap++)
                for (size_t d = 0; d < 110; d++) {
                    size_t n = (size_t)sprintf(text, "note: ");
                    if (!after)
                        n += (size_t)sprintf(text + n, "%s", words[w]);
                    else
                        n += (size_t)sprintf(text + n, "%s", key);
                    for (size_t k = 0; k < d; k++)
                        text[n++] = gap == 0 ? ' ' : gap == 1 ? (char)0x85 : k % 2 ? ' ' : (char)0xa9;
                    if (!after)
                        n += (size_t)sprintf(text + n, "%s", key);
                    else
                        n += (size_t)sprintf(text + n, "%s", words[w]);
                    n += (size_t)sprintf(text + n, " end");
                    compare(&secrets, text, n);
                    found += aws_keys_found(text, n);
                }
    assert_true(found > 100); /* the key is found where a word is near, and not elsewhere */
    assert_true(found < 4 * 2 * 3 * 110);
}

/* Streams at every cut of the text, from 0 and from half the cut, final or not. */
static void compare_every_cut(const struct pair *p, const char *text, size_t len)
{
    struct guard_finding *a = NULL, *b = NULL;
    size_t na = 0, nb = 0, capa = 0, capb = 0;
    for (size_t cut = 0; cut <= len; cut++)
        for (int k = 0; k < 4; k++) {
            size_t hold_a = 0, hold_b = 0, from = k / 2 ? cut / 2 : 0;
            na = nb = 0;
            int ra = detect_scan_stream(p->fast, sc, text, cut, from, k % 2, 0.5, &a, &na, &capa, &hold_a);
            int rb = detect_scan_stream(p->plain, sc, text, cut, from, k % 2, 0.5, &b, &nb, &capb, &hold_b);
            assert_int_equal(ra, rb);
            assert_int_equal(hold_a, hold_b);
            same_findings(a, na, b, nb, text, cut);
        }
    free(a);
    free(b);
}

/* The context words in other cases and inside other words, with a gap of valid 2-, 3- and
 * 4-byte characters (after 0 to 3 spaces, so the reach ends at every byte of a character),
 * before and after the key, and the key at the start and the end of the text; whole and
 * streamed at every cut. */
static void context_words_across_characters_and_cases(void **state)
{
    static const char *const words[] = {"aWs", "AWS", "Secret_Access_KEY", "xaws", "awsome", "aws_", "AWSs", "SecretAccessKeys"};
    static const char *const chars[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    static const char key[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a";
    static char text[512];
    size_t found = 0;
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
        for (int after = 0; after < 2; after++)
            for (size_t c = 0; c < 3; c++)
                for (size_t lead = 0; lead < 4; lead++)
                    for (size_t k = 0; k * (c + 2) + lead < 80; k++) {
                        size_t n = 0;
                        n += (size_t)sprintf(text + n, "%s", after ? key : words[w]);
                        for (size_t i = 0; i < lead; i++)
                            text[n++] = ' ';
                        for (size_t i = 0; i < k; i++)
                            n += (size_t)sprintf(text + n, "%s", chars[c]);
                        text[n++] = ' ';
                        n += (size_t)sprintf(text + n, "%s", after ? words[w] : key);
                        compare(&secrets, text, n);
                        if (k % 8 == 2 * lead)
                            compare_every_cut(&secrets, text, n);
                        found += aws_keys_found(text, n);
                    }
    assert_true(found > 100);
}

/* Keys next to each other, sharing one word, a word inside a key, a run of 41 to 80 key
 * characters, a key before '=', a word cut by the end of a stream's text ("a", "aw"), stray
 * continuation bytes after a key (the stream's tail reaches back over them). */
static void keys_around_one_word(void **state)
{
    static const char *const texts[] = {
        "aws wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a aB3dEfGhIjKlMnOpQrStUvWxYz0123456789+/Zq",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a aws aB3dEfGhIjKlMnOpQrStUvWxYz0123456789+/Zq",
        "wJalrXUtnFEMI/K7MDENG/awsxRfiCYzEXAMPLE9a end",
        "key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9aX aws",
        "aws wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9awJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a",
        "aws wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a=",
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a\xc3\xa9\xc3\xa9 a",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a, aw",
        "\xef\xbd\x81\xef\xbd\x97\xef\xbd\x93 wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a and \\u0061ws",
        "aws\xe2\x80\x8b wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a \x85\x85\x85 wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a",
        /* stray continuation bytes after the key: its span (whole characters) ends after them, so
         * a stream's tail reaches back over them (a token before it makes the stream scan) */
        "ghp_0123456789abcdefghijABCDEFGHIJ012345 wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a\x85\x85\x85\x85\x85\x85\x85"
        "\x85\x85\x85 and then some more words",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a\x85\x85\x85\x85\x85\x85\x85\x85\x85\x85 and then some more words",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a\xa9\x85\xa9\x85\xa9\x85\xa9\x85\xa9\x85\xa9\x85                     aws",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        compare(&secrets, texts[i], strlen(texts[i]));
        compare_every_cut(&secrets, texts[i], strlen(texts[i]));
    }
}

/* Seeded texts of many keys and words in any case, with characters of every UTF-8 length,
 * full-width letters and JSON escapes (folded before the scan), a few streamed at every cut. */
static size_t dense_text(char *out, size_t want)
{
    static const char *const words[] = {"aws", "AWS", "aWS", "secret_access_key", "SECRETACCESSKEY", "Aws_Secret_Access_Key",
                                        "awss", "xaws", "awsx", "aws=", "\xef\xbd\x81\xef\xbd\x97\xef\xbd\x93", "\\u0041WS"};
    static const char *const seps[] = {" ", "\n", ":", "=", "\"", ",", "-", "/", "+", "_", "\xc3\xa9", "\xe2\x82\xac",
                                       "\xf0\x9f\x98\x80", "\xc2\xa0", "\xe2\x80\x8b", "\x85", "\xef\xbc\x91"};
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";
    size_t n = 0;
    while (n < want) {
        unsigned kind = rnd(8);
        if (kind < 3)
            n += (size_t)sprintf(out + n, "%s", words[rnd(sizeof(words) / sizeof(words[0]))]);
        else if (kind < 5) {
            size_t k = kind == 3 ? 40 : 38 + rnd(6);
            for (size_t i = 0; i < k; i++)
                out[n++] = b64[rnd(sizeof(b64) - 1)];
        } else if (kind == 5) {
            size_t k = 1 + rnd(70);
            for (size_t i = 0; i < k; i++)
                out[n++] = ' ';
        } else {
            const char *sep = seps[rnd(sizeof(seps) / sizeof(seps[0]))];
            for (size_t k = 1 + rnd(kind == 6 ? 1 : 25); k > 0; k--)
                n += (size_t)sprintf(out + n, "%s", sep);
        }
        if (rnd(2))
            out[n++] = ' ';
    }
    return n;
}

static void many_keys_and_words(void **state)
{
    static char text[8192];
    rng_state = 17552026;
    for (int i = 0; i < 1500; i++) {
        size_t len = dense_text(text, 20 + rnd(i % 10 ? 400 : 3000));
        compare(&secrets, text, len);
        if (i % 25 == 1)
            compare_every_cut(&secrets, text, len);
    }
}

/* The candidate cap (2^18): the plain scan makes a candidate of every edged 40-character
 * run and fails past it; the context rule makes them only near its words, so the same text
 * scans (where no word is, and with one word, its one key). The scan fails the same way
 * when the words are everywhere. Not identical: the one place the two differ. */
static void the_candidate_cap_counts_only_keys_near_a_word(void **state)
{
    static const char key[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE9a";
    size_t keys = (1u << 18) + 10, len = 0;
    char *text = malloc(keys * 50);
    for (size_t i = 0; i < keys; i++) {
        memcpy(text + len, key, 40);
        len += 40;
        text[len++] = ' ';
    }
    struct guard_finding *f = NULL;
    size_t nf = 0, cap = 0;
    assert_int_equal(detect_scan(secrets.plain, sc, text, len, 0, 0.5, &f, &nf, &cap), WARDEN_ETOOBIG);
    assert_int_equal(detect_scan(secrets.fast, sc, text, len, 0, 0.5, &f, &nf, &cap), 0);
    memcpy(text, "aws ", 4);
    assert_int_equal(detect_scan(secrets.plain, sc, text, len, 0, 0.5, &f, &nf, &cap), WARDEN_ETOOBIG);
    assert_int_equal(detect_scan(secrets.fast, sc, text, len, 0, 0.5, &f, &nf, &cap), 1);
    assert_string_equal(f[0].type, "AWS_SECRET_ACCESS_KEY");
    assert_int_equal(f[0].start, 41); /* "aws " took the first key's first bytes */
    len = 0;
    for (size_t i = 0; i < keys; i++) {
        memcpy(text + len, i % 2 ? key : "aws ", i % 2 ? 40 : 4);
        len += i % 2 ? 40 : 4;
        text[len++] = ' ';
    }
    for (size_t i = 0; i < keys / 2; i++) { /* every key near a word: as many candidates as keys */
        memcpy(text + len, key, 40);
        len += 40;
        text[len++] = ' ';
        memcpy(text + len, "aws ", 4);
        len += 4;
    }
    nf = 0;
    int ra = detect_scan(secrets.fast, sc, text, len, 0, 0.5, &f, &nf, &cap);
    int rb = detect_scan(secrets.plain, sc, text, len, 0, 0.5, &f, &nf, &cap);
    assert_int_equal(ra, WARDEN_ETOOBIG);
    assert_int_equal(rb, WARDEN_ETOOBIG);
    free(f);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(labelled_texts_give_the_same_findings),
        cmocka_unit_test(random_texts_give_the_same_findings),
        cmocka_unit_test(context_words_at_every_distance),
        cmocka_unit_test(context_words_across_characters_and_cases),
        cmocka_unit_test(keys_around_one_word),
        cmocka_unit_test(many_keys_and_words),
        cmocka_unit_test(the_candidate_cap_counts_only_keys_near_a_word),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
