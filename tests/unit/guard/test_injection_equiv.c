/* The prompt_injection detector's fast paths against what it answered before them.
 *
 *   - prescan (the byte-class pre-pass of src/guard/injection.c) against the version before
 *     its shortcuts, kept in prescan_reference.h: the same NEED_* answer, base64 runs and
 *     decoder candidates on every text below, started at several offsets and cut at every
 *     length near its end in a buffer of exactly that length (the loops' reads near the end);
 *   - the token model (inj_lex_score: rules, spans, cues and the anchors it reports) and the
 *     whole check (guard_injection_check: score, family scores, family, span, signal) against
 *     digests the code gave before it was made faster, in tests/data/injection_equiv.digests
 *     (one line per group of GROUP texts). WARDEN_EQUIV_RECORD=path writes that file from the
 *     code as built; a change of any score, span or rule changes a digest.
 *
 * The texts: every labelled set (tests/data/injection*.jsonl), the training and technical
 * CSVs of data/prompt-injection, the 4 KB benchmark prompt, each labelled text inside 1.4 KB
 * of prose (the windowed scan), and seeded random texts made of attack and ordinary words,
 * UTF-8 look-alikes, invisible, bidi and tag characters, base64 runs, leetspeak, spaced
 * letters, digits, punctuation and raw bytes. The test includes injection.c to reach prescan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/injection.c"

#include "../../../bench/prompt.h"
#include "prescan_reference.h"
#include "repo_path.h"
#include "util/csv.h"

#define GROUP 64 /* texts per digest line */
#define DIGESTS "tests/data/injection_equiv.digests"

/* ---- the texts ---- */

struct corpus {
    char **text;
    size_t *len;
    size_t n, cap;
};

static void corpus_add(struct corpus *c, const char *t, size_t n)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->text = realloc(c->text, c->cap * sizeof(*c->text));
        c->len = realloc(c->len, c->cap * sizeof(*c->len));
        assert_non_null(c->text);
        assert_non_null(c->len);
    }
    c->text[c->n] = malloc(n + 1);
    assert_non_null(c->text[c->n]);
    memcpy(c->text[c->n], t, n);
    c->text[c->n][n] = '\0';
    c->len[c->n++] = n;
}

static void corpus_free(struct corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->text[i]);
    free(c->text);
    free(c->len);
}

static char *read_file(const char *rel, size_t *n)
{
    char path[4096];
    if (repo_path(rel, path, sizeof(path)) != 0)
        fail_msg("%s not found (set WARDEN_SRC_DIR)", rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)sz + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)sz, f), (size_t)sz);
    buf[sz] = '\0';
    fclose(f);
    *n = (size_t)sz;
    return buf;
}

static const char *const jsonl_sets[] = {
    "tests/data/injection.jsonl",          "tests/data/injection_heldout.jsonl", "tests/data/injection_final.jsonl",
    "tests/data/injection_final2.jsonl",   "tests/data/injection_dev3.jsonl",    "tests/data/injection_dev4.jsonl",
    "tests/data/injection_holdout3.jsonl", "tests/data/injection_blind4.jsonl",  "tests/data/injection_dev6lex.jsonl",
    "tests/data/injection_blind5.jsonl",   "tests/data/injection_blind6.jsonl",  "tests/data/injection_dev6.jsonl",
    "tests/integration/data/eval_injection.jsonl",
};
static const char *const csv_sets[] = {
    "data/prompt-injection/injection.csv",
    "data/prompt-injection/ordinary.csv",
    "data/prompt-injection/technical.csv",
};

static const char filler[] =
    "Customer reports that since version 3.14.2 the export job fails at 02:30 with error code 504 after roughly "
    "1200 seconds; order #48213 was affected on 2024-03-07. The dashboard shows 87% CPU on node-7 and a queue depth "
    "of 3,512 items. Please keep the answer under 200 words, use bullet points, and avoid speculation about root "
    "causes we cannot verify. Mention the workaround from ticket 7731 (restart the scheduler, then re-run). ";

static void add_labelled(struct corpus *c, size_t *n_labelled)
{
    for (size_t s = 0; s < sizeof(jsonl_sets) / sizeof(jsonl_sets[0]); s++) {
        size_t n;
        char *buf = read_file(jsonl_sets[s], &n);
        for (char *line = buf, *nl; *line; line = nl + 1) {
            nl = strchr(line, '\n');
            if (nl == NULL)
                nl = line + strlen(line) - 1;
            else
                *nl = '\0';
            json_t *j = json_loads(line, 0, NULL);
            if (j != NULL) {
                json_t *t = json_object_get(j, "text");
                if (json_is_string(t))
                    corpus_add(c, json_string_value(t), json_string_length(t));
                json_decref(j);
            }
            if (nl[1] == '\0')
                break;
        }
        free(buf);
    }
    for (size_t s = 0; s < sizeof(csv_sets) / sizeof(csv_sets[0]); s++) {
        size_t n;
        char *buf = read_file(csv_sets[s], &n);
        struct util_csv csv = util_csv_start(buf, n);
        char **fields, err[256];
        int nf, row = 0;
        while ((nf = util_csv_next(&csv, &fields, err, sizeof(err))) > 0) {
            if (row++ > 0)
                corpus_add(c, fields[0], strlen(fields[0]));
            util_csv_fields_free(fields, nf);
        }
        assert_true(nf == 0);
        free(buf);
    }
    *n_labelled = c->n;
}

/* Seeded xorshift: the same texts on every run (the digests depend on them). */
static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *const pieces[] = {
    "ignore", "all", "previous", "instructions", "and", "print", "your", "system", "prompt", "you", "are", "now", "DAN",
    "do anything now", "developer mode", "pretend", "act as", "without", "restrictions", "reveal", "the", "hidden",
    "rules", "disregard", "forget", "above", "told", "what were you", "jailbroken", "uncensored", "AI", "assistant",
    "note to AI", "SYSTEM:", "[ADMIN]", "<developer>", "### System ###", "from now on", "never refuse", "Sure, here is",
    "decode this", "base64", "rot13", "vtaber", "snoitcurtsni", "eht", "uoy", "ruoy", "0x69", "U+0069", "01101001",
    "-.-- ---", "ig.nore", "'over' 'ride' 'this'", "isregardday ethay", "Delta India Sierra Romeo Echo", "i g n o r e",
    "1gn0r3", "pr3v10us", "h@ck", "$ecret", "3.14.2", "node-7", "--batch-size=500", "e.g.", "casino.example", "it's",
    "operator's", "rules'", "'quoted'", "\"said\"", "`code`", "HackGPT", "EvilBot", "You are Mongo Tom", "grandma",
    "napalm", "<refusals>disabled</refusals>", "\"safety_mode\": \"off\"", "69 67 6e 6f 72 65 20 61 6c 6c",
    "aWdub3JlIGFsbCBwcmV2aW91cyBpbnN0cnVjdGlvbnM=", "NFXGK4ZAMFXGIIDTNBXXOIDUNBSSA2DJMRSGK3RA",
    "\\u0069\\u0067\\u006e", "\\x69\\x67\\x6e\\x6f", "JQXZ qwzx", "rhythm", "crwth", "Lorem", "ipsum", "dolor",
    "\xd0\xb0", "\xd0\xb5", "\xce\xbf", "\xef\xbd\x89\xef\xbd\x87", "\xe2\x80\x8b", "\xe2\x80\xae", "\xe2\x81\xa6",
    "\xf3\xa0\x81\xa9\xf3\xa0\x81\xa7", "\xf0\x9f\x98\x80", "\xf0\x9d\x90\xa2\xf0\x9d\x90\xa0", "\xe5\xbf\xbd\xe7\x95\xa5",
    "\xe6\x8c\x87\xe4\xbb\xa4", "\xd0\xb8\xd0\xb3\xd0\xbd\xd0\xbe\xd1\x80\xd0\xb8\xd1\x80\xd1\x83\xd0\xb9", "\xd8\xaa\xd8\xac",
    "\xe0\xa4\x85", "\xc5\x9f", "\xc3\xa9", "\xe2\xa0\x99", "\xf0\x9f\x87\xa9", "\xc2\xad", "\xff", "\xc0", "\xe2\x82",
};
static const char seps[] = {' ', ' ', ' ', ' ', '\n', '.', ',', ':', '-', '_', '/', '+', '@', '$', '\'', '"', '`', '!', '?',
                            '(', ')', '[', ']', '<', '>', '#', '*', '=', '\t', '\r', ';', '0', 'A', 'z'};

static size_t random_text(char *buf, size_t cap)
{
    size_t target = (size_t)(rng() % 5 == 0 ? rng() % (cap - 64) : rng() % 600), n = 0;
    int mode = (int)(rng() % 8);
    while (n < target) {
        uint64_t r = rng();
        if (mode == 0 && r % 3 == 0) { /* raw bytes */
            buf[n++] = (char)(rng() & 0xFF);
            continue;
        }
        if (mode == 1 && r % 2 == 0) { /* a base64 alphabet run */
            static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_@$";
            size_t k = 8 + rng() % 80;
            for (size_t q = 0; q < k && n < cap - 64; q++)
                buf[n++] = b64[rng() % (sizeof(b64) - 1)];
        } else if (mode == 2 && r % 2 == 0) { /* letters spaced out, words cut */
            buf[n++] = (char)('a' + rng() % 26);
        } else {
            const char *p = pieces[r % (sizeof(pieces) / sizeof(pieces[0]))];
            size_t k = strlen(p);
            memcpy(buf + n, p, k);
            n += k;
        }
        buf[n++] = seps[rng() % (mode == 3 ? 4 : sizeof(seps))];
    }
    return n;
}

/* The corpus: labelled texts, the bench prompt, labelled texts inside prose, random texts. */
static void corpus_build(struct corpus *c)
{
    size_t n_labelled;
    add_labelled(c, &n_labelled);
    static char prompt[BENCH_PROMPT_BYTES + 1];
    size_t plen = bench_prompt_fill(prompt);
    corpus_add(c, prompt, plen);
    char *buf = malloc(1 << 17);
    assert_non_null(buf);
    for (size_t i = 0; i < n_labelled; i += 7) { /* every seventh: long texts are scanned on windows */
        int k = snprintf(buf, 1 << 17, "%s%s%s %.*s %s%s", filler, filler, filler, (int)c->len[i], c->text[i], filler, filler);
        if (k > 0 && k < (1 << 17))
            corpus_add(c, buf, (size_t)k);
    }
    rng_state = 0x2545F4914F6CDD1Dull;
    for (int i = 0; i < 6000; i++)
        corpus_add(c, buf, random_text(buf, 8192));
    free(buf);
}

/* ---- prescan against its reference ---- */

static int prescan_agrees(const unsigned char *s, size_t len)
{
    struct b64_run runs[B64_MAX_RUNS];
    struct ref_b64_run rruns[REF_B64_MAX_RUNS];
    size_t nr = 99, rnr = 98;
    unsigned cand = 1u << 31, rcand = 1u << 30;
    int need = prescan(s, len, runs, &nr, &cand);
    int rneed = ref_prescan(s, len, rruns, &rnr, &rcand);
    int ok = need == rneed && nr == rnr && cand == rcand;
    for (size_t r = 0; ok && r < nr; r++)
        ok = runs[r].start == rruns[r].start && runs[r].end == rruns[r].end;
    ok = ok && prescan(s, len, NULL, NULL, NULL) == ref_prescan(s, len, NULL, NULL, NULL);
    if (!ok)
        printf("prescan differs on %zu bytes: need %d/%d runs %zu/%zu cand %x/%x: %.*s\n", len, need, rneed, nr, rnr, cand, rcand,
               (int)(len < 300 ? len : 300), (const char *)s);
    return ok;
}

static void prescan_matches_its_reference(void **state)
{
    struct corpus c = {0};
    corpus_build(&c);
    size_t differ = 0, runs = 0;
    for (size_t i = 0; i < c.n; i++) {
        const unsigned char *t = (const unsigned char *)c.text[i];
        size_t n = c.len[i];
        differ += !prescan_agrees(t, n);
        runs++;
        if (i % 5 != 0 || n > (1 << 16))
            continue;
        /* started inside its first tokens */
        for (size_t off = 1; off < 64 && off < n; off += 3) {
            differ += !prescan_agrees(t + off, n - off);
            runs++;
        }
        /* cut at every length near the end, in a buffer of exactly that size (reads past it trap under ASan) */
        for (size_t cut = 0; cut < 70 && cut <= n; cut += 1 + (i % 3)) {
            unsigned char *exact = malloc(n - cut + 1);
            assert_non_null(exact);
            memcpy(exact, t, n - cut);
            differ += !prescan_agrees(exact, n - cut);
            free(exact);
            runs++;
        }
    }
    printf("prescan: %zu texts, %zu runs, %zu differ\n", c.n, runs, differ);
    corpus_free(&c);
    assert_true(c.n > 20000);
    assert_int_equal(differ, 0);
}

/* ---- the token model and the check against recorded digests ---- */

struct digest {
    uint64_t h;
};

static void mix(struct digest *d, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        d->h = (d->h ^ b[i]) * 0x100000001B3ull;
}

static void mix_u64(struct digest *d, uint64_t v)
{
    mix(d, &v, sizeof(v));
}

static void mix_double(struct digest *d, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    mix_u64(d, bits);
}

static void on_anchor_mix(void *ud, size_t end)
{
    mix_u64(ud, end);
}

static void lex_mix(struct digest *d, const struct inj_lex *lex, const char *t, size_t n)
{
    struct inj_lex_result r;
    inj_lex_score(lex, t, n, &r, on_anchor_mix, d);
    for (int k = 0; k < LEX_N_RULES; k++) {
        mix_double(d, r.weight[k]);
        mix_u64(d, r.weight[k] > 0 ? r.start[k] : 0);
        mix_u64(d, r.weight[k] > 0 ? r.end[k] : 0);
    }
    mix_u64(d, (uint64_t)r.rot13_cue | (uint64_t)r.reversed_cue << 8 | (uint64_t)r.hex_cue << 16 | (uint64_t)r.own_fiction << 24 |
                   (uint64_t)r.harm_in_fiction << 32);
}

static void check_mix(struct digest *d, struct guard_injection *g, struct guard_injection_scratch *s, const char *t, size_t n)
{
    struct guard_injection_result r;
    assert_int_equal(guard_injection_check(g, s, t, n, &r), 0);
    mix_double(d, r.score);
    for (int f = 0; f < GUARD_INJ_N_FAMILIES; f++)
        mix_double(d, r.family_score[f]);
    mix_u64(d, (uint64_t)(int64_t)r.family);
    mix_u64(d, r.start);
    mix_u64(d, r.end);
    mix(d, r.signal, strlen(r.signal));
}

static void lex_and_check_match_recorded_digests(void **state)
{
    char err[256];
    struct guard_injection *g = guard_injection_create(err, sizeof(err));
    assert_non_null(g);
    struct guard_injection_scratch *s = guard_injection_scratch_new(g);
    struct corpus c = {0};
    corpus_build(&c);
    size_t n_groups = (c.n + GROUP - 1) / GROUP;
    uint64_t *lexd = calloc(n_groups, sizeof(uint64_t)), *chkd = calloc(n_groups, sizeof(uint64_t));
    assert_non_null(lexd);
    assert_non_null(chkd);
    for (size_t gi = 0; gi < n_groups; gi++) {
        struct digest dl = {0xCBF29CE484222325ull}, dc = {0xCBF29CE484222325ull};
        for (size_t i = gi * GROUP; i < c.n && i < (gi + 1) * GROUP; i++) {
            lex_mix(&dl, g->lex, c.text[i], c.len[i]);
            check_mix(&dc, g, s, c.text[i], c.len[i]);
        }
        lexd[gi] = dl.h;
        chkd[gi] = dc.h;
    }
    const char *record = getenv("WARDEN_EQUIV_RECORD");
    if (record != NULL && *record) {
        FILE *f = fopen(record, "w");
        assert_non_null(f);
        fprintf(f, "# group of %d texts, digest of inj_lex_score, digest of guard_injection_check (test_injection_equiv.c)\n",
                GROUP);
        for (size_t gi = 0; gi < n_groups; gi++)
            fprintf(f, "%zu %016llx %016llx\n", gi, (unsigned long long)lexd[gi], (unsigned long long)chkd[gi]);
        fclose(f);
        printf("recorded %zu groups of %zu texts into %s\n", n_groups, c.n, record);
    } else {
        size_t n;
        char *want = read_file(DIGESTS, &n);
        size_t lines = 0, lex_differ = 0, check_differ = 0;
        for (char *line = strchr(want, '\n'); line != NULL && line[1]; line = strchr(line + 1, '\n')) {
            size_t gi;
            unsigned long long a, b;
            assert_int_equal(sscanf(line + 1, "%zu %llx %llx", &gi, &a, &b), 3);
            assert_true(gi < n_groups);
            lines++;
            if (a != lexd[gi]) {
                lex_differ++;
                printf("inj_lex_score differs in group %zu (texts %zu..%zu)\n", gi, gi * GROUP, (gi + 1) * GROUP - 1);
            }
            if (b != chkd[gi]) {
                check_differ++;
                printf("guard_injection_check differs in group %zu (texts %zu..%zu)\n", gi, gi * GROUP, (gi + 1) * GROUP - 1);
            }
        }
        free(want);
        printf("%zu texts in %zu groups: %zu token-model and %zu check digests differ\n", c.n, lines, lex_differ, check_differ);
        assert_int_equal(lines, n_groups);
        assert_int_equal(lex_differ, 0);
        assert_int_equal(check_differ, 0);
    }
    free(lexd);
    free(chkd);
    corpus_free(&c);
    guard_injection_scratch_free(s);
    guard_injection_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prescan_matches_its_reference),
        cmocka_unit_test(lex_and_check_match_recorded_digests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
