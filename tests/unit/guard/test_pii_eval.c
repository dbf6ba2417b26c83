/* Precision and recall of the pii and secrets guardrails on the committed
 * labelled sets (tests/data/pii_eval.jsonl and secrets_eval.jsonl, made by the
 * gen_*_eval.py next to them; offsets are Unicode code points). A finding counts as a true positive when its type,
 * start and end equal a labelled span's; anything else found is a false
 * positive, anything labelled and not found a false negative.
 *
 * Also the blind sets (tests/data/pii_blind7_*.jsonl, secrets_blind7_*.jsonl, pii_blind8_*.jsonl,
 * secrets_blind8_*.jsonl; see below).
 *
 * Bars: precision and recall >= 0.95 per type, phone numbers >= 0.90.
 * Run with PII_EVAL_VERBOSE=1 to list the misses. Also usable on other data:
 * PII_EVAL_FILE=path (pii) and SECRETS_EVAL_FILE=path (secrets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "guard/pii.h"
#include "guard/secrets.h"

#define MAX_TYPES 16

struct counts {
    const char *type;
    size_t tp, fp, fn;
};

static struct counts *counts_for(struct counts *c, size_t *n, const char *type)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(c[i].type, type))
            return &c[i];
    if (*n == MAX_TYPES)
        return NULL;
    c[*n].type = strdup(type);
    return &c[(*n)++];
}

/* Byte offset -> code point offset. */
static size_t cp_at(const char *s, size_t byte)
{
    size_t n = 0;
    for (size_t i = 0; i < byte; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static const char *const YAML =
    "providers: [{name: p, base_url: \"http://h\"}]\n"
    "models: [{name: m, targets: [{provider: p, model: x}]}]\n"
    "guardrails: [{name: pii, type: pii}, {name: secrets, type: secrets}]\n";

/* Runs one set over a JSONL file, prints the table, asserts the bars. */
static void eval_file(int secrets, const char *path, size_t min_lines, size_t min_types)
{
    int verbose = getenv("PII_EVAL_VERBOSE") != NULL;
    char err[512];
    struct config *cfg = config_load_string(YAML, strlen(YAML), "eval.yaml", err, sizeof(err));
    assert_non_null(cfg);
    struct detect_set *set = secrets ? guard_secrets_compile(&cfg->guardrails[1], err, sizeof(err))
                                     : guard_pii_compile(&cfg->guardrails[0], err, sizeof(err));
    assert_non_null(set);
    struct detect_scratch *sc = detect_scratch_new();
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s (run the unit tests from the repository root)", path);
    struct counts c[MAX_TYPES] = {{0}};
    size_t nc = 0, lines = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, f)) > 0) {
        json_error_t je;
        json_t *rec = json_loadb(line, (size_t)got, 0, &je);
        assert_non_null(rec);
        const char *text = json_string_value(json_object_get(rec, "text"));
        size_t len = json_string_length(json_object_get(rec, "text"));
        json_t *spans = json_object_get(rec, "spans");
        struct guard_finding *fd = NULL;
        size_t nf = 0, capf = 0;
        assert_true(detect_scan(set, sc, text, len, 0, cfg->guardrails[0].score_threshold, &fd, &nf, &capf) >= 0);
        unsigned char *matched = calloc(json_array_size(spans) + 1, 1);
        for (size_t i = 0; i < nf; i++) {
            size_t s = cp_at(text, fd[i].start), e = cp_at(text, fd[i].end);
            size_t k;
            json_t *sp;
            int hit = 0;
            json_array_foreach(spans, k, sp)
            {
                if (!matched[k] && !strcmp(json_string_value(json_object_get(sp, "type")), fd[i].type) &&
                    (size_t)json_integer_value(json_object_get(sp, "start")) == s &&
                    (size_t)json_integer_value(json_object_get(sp, "end")) == e) {
                    matched[k] = 1;
                    hit = 1;
                    break;
                }
            }
            struct counts *ct = counts_for(c, &nc, fd[i].type);
            if (hit) {
                ct->tp++;
            } else {
                ct->fp++;
                if (verbose)
                    printf("FP %-14s [%.*s] in: %s", fd[i].type, (int)(fd[i].end - fd[i].start), text + fd[i].start, line);
            }
        }
        size_t k;
        json_t *sp;
        json_array_foreach(spans, k, sp)
        {
            if (matched[k])
                continue;
            struct counts *ct = counts_for(c, &nc, json_string_value(json_object_get(sp, "type")));
            ct->fn++;
            if (verbose)
                printf("FN %-14s %lld..%lld in: %s", ct->type, json_integer_value(json_object_get(sp, "start")),
                       json_integer_value(json_object_get(sp, "end")), line);
        }
        free(matched);
        free(fd);
        json_decref(rec);
        lines++;
    }
    free(line);
    fclose(f);
    printf("%s eval: %zu lines from %s\n", secrets ? "secrets" : "pii", lines, path);
    printf("  %-14s %6s %6s %6s %9s %7s\n", "type", "tp", "fp", "fn", "precision", "recall");
    int ok = 1;
    for (size_t i = 0; i < nc; i++) {
        double p = c[i].tp + c[i].fp ? (double)c[i].tp / (double)(c[i].tp + c[i].fp) : 1.0;
        double r = c[i].tp + c[i].fn ? (double)c[i].tp / (double)(c[i].tp + c[i].fn) : 1.0;
        double bar = !strcmp(c[i].type, "PHONE_NUMBER") ? 0.90 : 0.95;
        printf("  %-14s %6zu %6zu %6zu %9.3f %7.3f%s\n", c[i].type, c[i].tp, c[i].fp, c[i].fn, p, r,
               p < bar || r < bar ? "   <- below the bar" : "");
        if (p < bar || r < bar)
            ok = 0;
        free((char *)c[i].type);
    }
    assert_true(lines >= min_lines);
    assert_true(nc >= min_types);
    detect_scratch_free(sc);
    detect_free(set);
    config_free(cfg);
    assert_true(ok);
}

static void pii_eval_meets_the_bars(void **state)
{
    const char *other = getenv("PII_EVAL_FILE");
    eval_file(0, other ? other : "tests/data/pii_eval.jsonl", other ? 1 : 1000, other ? 1 : 9);
}

static void secrets_eval_meets_the_bars(void **state)
{
    const char *other = getenv("SECRETS_EVAL_FILE");
    eval_file(1, other ? other : "tests/data/secrets_eval.jsonl", other ? 1 : 500, other ? 1 : 13);
}

/* The blind sets (gen_pii_blind7.py, gen_secrets_blind7.py, and later gen_pii_blind8.py,
 * gen_secrets_blind8.py by another writer: written without reading the detectors or the
 * generators above). Their dev halves were used to find and fix gaps; the holdout halves are
 * measured only (blind8's holdout misses were looked at too: its figures are no longer blind).
 * blind8 ends a phone number's span before an extension ("920-614-4286" of "920-614-4286 ext.
 * 861"), the detector after it: those few count as a miss and a false finding here. */
static void pii_blind_sets_meet_the_bars(void **state)
{
    eval_file(0, "tests/data/pii_blind7_dev.jsonl", 800, 9);
    eval_file(0, "tests/data/pii_blind7_holdout.jsonl", 800, 9);
    eval_file(0, "tests/data/pii_blind8_dev.jsonl", 600, 9);
    eval_file(0, "tests/data/pii_blind8_holdout.jsonl", 600, 9);
}

static void secrets_blind_sets_meet_the_bars(void **state)
{
    eval_file(1, "tests/data/secrets_blind7_dev.jsonl", 800, 15);
    eval_file(1, "tests/data/secrets_blind7_holdout.jsonl", 800, 15);
    eval_file(1, "tests/data/secrets_blind8_dev.jsonl", 600, 15);
    eval_file(1, "tests/data/secrets_blind8_holdout.jsonl", 600, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pii_eval_meets_the_bars),
        cmocka_unit_test(secrets_eval_meets_the_bars),
        cmocka_unit_test(pii_blind_sets_meet_the_bars),
        cmocka_unit_test(secrets_blind_sets_meet_the_bars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
