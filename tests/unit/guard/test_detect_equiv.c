/* The shortcuts of detect.c find what a plain scan finds: the pii and secrets sets as
 * built, against the same rules with every gate removed (each pattern scanned over the
 * whole text) and DETECT_SPAN_KEPT cleared (a context rule scanned everywhere, not only
 * around its words), give the same findings (type, span, score) on every labelled text of
 * tests/data/pii_*.jsonl and secrets_*.jsonl and on seeded random texts made of the
 * pieces the shortcuts decide on (numbers and their separators, base64 runs of about 40
 * characters, the AWS context words at every distance, stray UTF-8 continuation bytes).
 * Streams too: detect_scan_stream on prefixes of each text gives the same findings and
 * the same hold. */
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
        case 2: {
            size_t k = 36 + rnd(8);
            for (size_t i = 0; i < k; i++)
                out[n++] = b64[rnd(sizeof(b64) - 1)];
            break;
        }
        case 3: {
            size_t k = 1 + rnd(5);
            for (size_t i = 0; i < k; i++)
                out[n++] = (char)('0' + rnd(10));
            break;
        }
        case 4: {
            size_t k = 1 + rnd(4);
            for (size_t i = 0; i < k; i++)
                out[n++] = hex[rnd(sizeof(hex) - 1)];
            break;
        }
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
                    struct guard_finding *f = NULL;
                    size_t nf = 0, cap = 0;
                    assert_true(detect_scan(secrets.plain, sc, text, n, 0, 0.5, &f, &nf, &cap) >= 0);
                    for (size_t i = 0; i < nf; i++)
                        found += !strcmp(f[i].type, "AWS_SECRET_ACCESS_KEY");
                    free(f);
                }
    assert_true(found > 100); /* the key is found where a word is near, and not elsewhere */
    assert_true(found < 4 * 2 * 3 * 110);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(labelled_texts_give_the_same_findings),
        cmocka_unit_test(random_texts_give_the_same_findings),
        cmocka_unit_test(context_words_at_every_distance),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
