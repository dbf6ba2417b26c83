/* warden train: trains the classifier guardrail's model from CSV files.
 *
 *   warden train --data CSV [--data CSV ...] --text-column NAME --label-column NAME --out FILE
 *                [--positive VALUES] [--holdout N] [--test JSONL] [--epochs N] [--seed N]
 *                [--positive-name NAME] [--negative-name NAME] [--char-grams MIN-MAX]
 *                [--features words|spans]
 *
 * Every --data file must have a header with both columns. A row is positive when
 * its label is one of --positive (comma-separated; default 1,true,yes,toxic,...).
 * --holdout N keeps every N-th row of the first --data file out of training and
 * reports accuracy, per-class precision / recall / F1 and macro-F1 on it at
 * threshold 0.5; --test reports the same on a JSONL file of {"text","label"} (labels
 * read with the default positive values: toxic, 1, true, ...). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_int.h"
#include "guard/classifier.h"
#include "util/alloc.h"
#include "util/clock.h"

#define TRAIN_FILE_MAX ((size_t)1 << 30)
#define TRAIN_MAX_FILES 8

struct sample_set {
    struct guard_classifier_example *v;
    char **owned; /* texts, freed at the end */
    size_t n, cap;
};

static void set_add(struct sample_set *s, char *text_take, int positive)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = util_realloc(s->v, s->cap * sizeof(*s->v));
        s->owned = util_realloc(s->owned, s->cap * sizeof(*s->owned));
    }
    s->owned[s->n] = text_take;
    s->v[s->n].text = text_take;
    s->v[s->n].len = strlen(text_take);
    s->v[s->n].positive = positive;
    s->n++;
}

static void set_free(struct sample_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->owned[i]);
    free(s->owned);
    free(s->v);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: warden train --data CSV [--data CSV ...] --text-column NAME --label-column NAME --out FILE\n"
               "                    [--positive VALUES] [--holdout N] [--test JSONL] [--epochs N] [--seed N]\n"
               "                    [--char-grams MIN-MAX (default 3-5)] [--features words|spans (default words)]\n"
               "                    [--positive-name NAME] [--negative-name NAME]\n");
}

struct csv_sink {
    const struct cli_labels *pos;
    int holdout;
    size_t row;
    struct sample_set *train, *held;
};

static int on_csv_row(void *ud, char *text_take, const char *label)
{
    struct csv_sink *k = ud;
    int p = cli_label_is_positive(k->pos, label);
    if (k->holdout > 0 && k->held != NULL && k->row % (size_t)k->holdout == 0)
        set_add(k->held, text_take, p);
    else
        set_add(k->train, text_take, p);
    k->row++;
    return 0;
}

/* Reads one CSV into train (and every holdout-th row into held when holdout > 0). */
static int read_csv(const char *path, const char *text_col, const char *label_col, const struct cli_labels *pos, int holdout,
                    struct sample_set *train, struct sample_set *held)
{
    struct csv_sink k = {pos, holdout, 0, train, held};
    return cli_read_labelled_csv("train", path, text_col, label_col, on_csv_row, &k);
}

static int read_jsonl(const char *path, const struct cli_labels *pos, struct sample_set *out)
{
    char err[512];
    size_t len;
    char *text = cli_read_file(path, TRAIN_FILE_MAX, &len, err, sizeof(err));
    if (text == NULL) {
        fprintf(stderr, "warden train: %s\n", err);
        return -1;
    }
    int line = 0, rc = 0;
    for (char *s = text; *s;) {
        char *e = strchr(s, '\n');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        line++;
        if (l > 0) {
            json_error_t je;
            json_t *j = json_loadb(s, l, 0, &je);
            json_t *t = json_object_get(j, "text"), *lab = json_object_get(j, "label");
            char num[32];
            const char *ls = cli_label_string(lab, num, sizeof(num));
            if (!json_is_string(t) || ls == NULL) {
                fprintf(stderr, "warden train: %s:%d: expected {\"text\": STRING, \"label\": ...}\n", path, line);
                json_decref(j);
                rc = -1;
                break;
            }
            set_add(out, util_strndup(json_string_value(t), json_string_length(t)), cli_label_is_positive(pos, ls));
            json_decref(j);
        }
        s += l + (e ? 1 : 0);
    }
    free(text);
    return rc;
}

static void report(const char *what, const struct guard_classifier *m, const struct sample_set *s)
{
    size_t tp = 0, fp = 0, tn = 0, fn = 0;
    uint64_t t0 = util_now_ns();
    for (size_t i = 0; i < s->n; i++) {
        int pred = guard_classifier_predict(m, s->v[i].text, s->v[i].len) >= 0.5;
        if (pred && s->v[i].positive)
            tp++;
        else if (pred)
            fp++;
        else if (s->v[i].positive)
            fn++;
        else
            tn++;
    }
    double us = s->n ? (double)(util_now_ns() - t0) / 1000.0 / (double)s->n : 0;
    struct cli_prf p = cli_prf_of(tp, fp, fn), q = cli_prf_of(tn, fn, fp);
    printf("%s: %zu texts (%zu %s, %zu %s), accuracy %.3f, macro-F1 %.3f, %.1f us/text\n", what, s->n, tp + fn,
           guard_classifier_positive_label(m), tn + fp, guard_classifier_negative_label(m),
           s->n ? (double)(tp + tn) / (double)s->n : 0, (p.f1 + q.f1) / 2, us);
    printf("  %-10s precision %.3f recall %.3f F1 %.3f\n", guard_classifier_positive_label(m), p.precision, p.recall, p.f1);
    printf("  %-10s precision %.3f recall %.3f F1 %.3f\n", guard_classifier_negative_label(m), q.precision, q.recall, q.f1);
}

int cli_train_main(int argc, char **argv)
{
    const char *data[TRAIN_MAX_FILES];
    size_t n_data = 0;
    const char *text_col = NULL, *label_col = NULL, *out = NULL, *positive = NULL, *test = NULL;
    struct guard_classifier_train_opts o = {0};
    o.positive_label = "positive";
    o.negative_label = "negative";
    int holdout = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (v == NULL) {
            fprintf(stderr, "warden train: %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--data")) {
            if (n_data == TRAIN_MAX_FILES) {
                fprintf(stderr, "warden train: at most %d --data files\n", TRAIN_MAX_FILES);
                return 2;
            }
            data[n_data++] = v;
        } else if (!strcmp(a, "--text-column")) {
            text_col = v;
        } else if (!strcmp(a, "--label-column")) {
            label_col = v;
        } else if (!strcmp(a, "--out")) {
            out = v;
        } else if (!strcmp(a, "--positive")) {
            positive = v;
        } else if (!strcmp(a, "--test")) {
            test = v;
        } else if (!strcmp(a, "--holdout")) {
            holdout = atoi(v);
        } else if (!strcmp(a, "--epochs")) {
            o.epochs = atoi(v);
        } else if (!strcmp(a, "--seed")) {
            o.seed = strtoull(v, NULL, 10);
        } else if (!strcmp(a, "--char-grams")) {
            char *end = NULL;
            long lo = strtol(v, &end, 10), hi = lo;
            if (end != NULL && *end == '-')
                hi = strtol(end + 1, &end, 10);
            if (end == NULL || *end != '\0' || lo < 1 || hi < lo || hi > 8) {
                fprintf(stderr, "warden train: --char-grams wants N or MIN-MAX within 1-8, got '%s'\n", v);
                return 2;
            }
            o.char_min = (int)lo;
            o.char_max = (int)hi;
        } else if (!strcmp(a, "--features")) {
            if (!strcmp(v, "spans")) {
                o.span_grams = 1;
            } else if (strcmp(v, "words") != 0) {
                fprintf(stderr, "warden train: --features wants words or spans, got '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--positive-name")) {
            o.positive_label = v;
        } else if (!strcmp(a, "--negative-name")) {
            o.negative_label = v;
        } else {
            fprintf(stderr, "warden train: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (n_data == 0 || !text_col || !label_col || !out) {
        fprintf(stderr, "warden train: --data, --text-column, --label-column and --out are required\n");
        usage(stderr);
        return 2;
    }
    struct cli_labels pos;
    cli_labels_parse(&pos, positive);
    struct sample_set train = {0}, held = {0}, tset = {0};
    int rc = 0;
    for (size_t k = 0; k < n_data && rc == 0; k++)
        rc = read_csv(data[k], text_col, label_col, &pos, k == 0 ? holdout : 0, &train, &held);
    struct cli_labels test_pos; /* the test file says toxic / 1 / true, whatever the training labels */
    cli_labels_parse(&test_pos, NULL);
    if (rc == 0 && test)
        rc = read_jsonl(test, &test_pos, &tset);
    cli_labels_free(&test_pos);
    if (rc != 0 || train.n == 0) {
        if (rc == 0)
            fprintf(stderr, "warden train: no training rows\n");
        cli_labels_free(&pos);
        set_free(&train);
        set_free(&held);
        set_free(&tset);
        return 1;
    }
    size_t npos = 0;
    for (size_t i = 0; i < train.n; i++)
        npos += train.v[i].positive;
    uint64_t t0 = util_now_ns();
    struct guard_classifier *m = guard_classifier_train(train.v, train.n, &o);
    printf("trained on %zu texts (%zu %s, %zu %s) in %.2f s\n", train.n, npos, o.positive_label, train.n - npos,
           o.negative_label, (double)(util_now_ns() - t0) / 1e9);
    char err[512];
    if (guard_classifier_save(m, out, err, sizeof(err)) != 0) {
        fprintf(stderr, "warden train: %s\n", err);
        rc = 1;
    } else {
        printf("model written to %s\n", out);
    }
    if (held.n) {
        char what[96];
        snprintf(what, sizeof(what), "held-out (every %d%s row of %s)", holdout, holdout == 2 ? "nd" : holdout == 3 ? "rd" : "th",
                 data[0]);
        report(what, m, &held);
    }
    if (tset.n)
        report(test, m, &tset);
    guard_classifier_free(m);
    cli_labels_free(&pos);
    set_free(&train);
    set_free(&held);
    set_free(&tset);
    return rc;
}
