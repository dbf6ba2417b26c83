/* warden eval: measures one guardrail of a config on labelled data, through
 * the real engine (a libuv loop with a guard_env, as a worker has; no HTTP).
 *
 *   warden eval --config FILE --guardrail NAME --data FILE [--json] [--min-f1 X] [--min-recall X]
 *               [--text-column NAME --label-column NAME] [--positive VALUES] [--stage input|output]
 *
 * Data:
 *   JSONL {"text": ..., "spans": [{"type", "start", "end"}]}  span mode; offsets count code points,
 *                                                             end exclusive
 *   JSONL {"text": ..., "label": ...}                         label mode (string, number or boolean)
 *   CSV with --text-column / --label-column                   label mode
 * The mode is fixed by the first record.
 *
 * Label mode is binary: a record is positive when its label is one of
 * --positive (default 1, true, yes, toxic, positive, injection, unsafe, spam),
 * and predicted positive when the guard found a violation (an errored check
 * counts as predicted negative and is counted under "errors"). Precision,
 * recall and F1 are given for both classes, and macro-F1.
 *
 * Span mode, matching rule: per entity type, predicted findings (byte offsets
 * converted to code points) and gold spans are paired one to one, a finding
 * with the first unpaired gold span of the same type that it overlaps
 * (start < gold end and gold start < end). Pairs are true positives, unpaired
 * findings false positives, unpaired gold spans false negatives.
 *
 * Latency: wall time from guard_run_start to the verdict callback, per record;
 * p50 / p95 / p99 and the mean. A progress bar goes to stderr when it is a
 * terminal (and --json is not given).
 *
 * Bars: --min-f1 / --min-recall apply to the positive class in label mode and
 * to every entity type in span mode; below one, the exit code is 1. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "cli/cli.h"
#include "cli/cli_int.h"
#include "config/config.h"
#include "guard/engine.h"
#include "metrics/metrics.h"
#include "upstream/client.h"
#include "util/alloc.h"
#include "util/clock.h"

#define EVAL_FILE_MAX ((size_t)1 << 30)
#define EVAL_MAX_TYPES 64

struct gold_span {
    char type[40];
    size_t start, end; /* code points */
};

struct record {
    char *text;
    size_t len;
    int positive;           /* label mode */
    struct gold_span *spans; /* span mode */
    size_t n_spans;
};

struct type_stats {
    char name[40];
    size_t tp, fp, fn;
};

struct eval_state {
    int span_mode;
    struct record *recs;
    size_t n, cap;
    char pos_name[40], neg_name[40];
    /* results */
    struct type_stats types[EVAL_MAX_TYPES];
    size_t n_types;
    size_t tp, fp, tn, fn, errors;
    double *lat_us;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: warden eval --config FILE --guardrail NAME --data FILE [--json] [--min-f1 X] [--min-recall X]\n"
               "                   [--text-column NAME --label-column NAME] [--positive VALUES] [--stage input|output]\n");
}

static struct record *rec_add(struct eval_state *st)
{
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 256;
        st->recs = util_realloc(st->recs, st->cap * sizeof(*st->recs));
    }
    struct record *r = &st->recs[st->n++];
    memset(r, 0, sizeof(*r));
    return r;
}

static void label_name(struct eval_state *st, int positive, const char *label)
{
    char *slot = positive ? st->pos_name : st->neg_name;
    if (!slot[0])
        snprintf(slot, sizeof(st->pos_name), "%s", label);
}

static int load_jsonl(struct eval_state *st, const char *path, char *text, const struct cli_labels *pos)
{
    int line = 0;
    int mode = -1;
    for (char *s = text; *s;) {
        char *e = strchr(s, '\n');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        line++;
        while (l > 0 && (s[l - 1] == '\r' || s[l - 1] == ' '))
            l--;
        if (l > 0) {
            json_error_t je;
            json_t *j = json_loadb(s, l, JSON_ALLOW_NUL, &je); /* as the check API: a text may hold \u0000 */
            json_t *t = json_object_get(j, "text"), *spans = json_object_get(j, "spans"), *lab = json_object_get(j, "label");
            char num[32];
            const char *ls = cli_label_string(lab, num, sizeof(num));
            int this_mode = json_is_array(spans) ? 1 : ls ? 0 : -1;
            if (j == NULL) { /* say why: a lone surrogate or \u0000 reads as "expected {text...}" otherwise */
                fprintf(stderr, "warden eval: %s:%d:%d: invalid JSON: %s\n", path, line, je.column, je.text);
                return -1;
            }
            if (!json_is_string(t) || this_mode < 0 || (mode >= 0 && this_mode != mode)) {
                fprintf(stderr, "warden eval: %s:%d: expected {\"text\": STRING, %s}\n", path, line,
                        mode == 1 ? "\"spans\": [...]" : mode == 0 ? "\"label\": ..." : "\"spans\": [...] or \"label\": ...");
                json_decref(j);
                return -1;
            }
            mode = this_mode;
            struct record *r = rec_add(st);
            r->text = util_strndup(json_string_value(t), json_string_length(t));
            r->len = json_string_length(t);
            if (mode == 0) {
                r->positive = cli_label_is_positive(pos, ls);
                label_name(st, r->positive, ls);
            } else {
                r->n_spans = json_array_size(spans);
                r->spans = util_calloc(r->n_spans ? r->n_spans : 1, sizeof(*r->spans));
                for (size_t k = 0; k < r->n_spans; k++) {
                    json_t *sp = json_array_get(spans, k);
                    const char *ty = json_string_value(json_object_get(sp, "type"));
                    json_t *a = json_object_get(sp, "start"), *b = json_object_get(sp, "end");
                    if (!ty || !json_is_integer(a) || !json_is_integer(b) || json_integer_value(a) < 0 ||
                        json_integer_value(b) < json_integer_value(a)) {
                        fprintf(stderr, "warden eval: %s:%d: spans[%zu] needs type, start <= end (code points)\n", path,
                                line, k);
                        json_decref(j);
                        return -1;
                    }
                    snprintf(r->spans[k].type, sizeof(r->spans[k].type), "%s", ty);
                    r->spans[k].start = (size_t)json_integer_value(a);
                    r->spans[k].end = (size_t)json_integer_value(b);
                }
            }
            json_decref(j);
        }
        s += (e ? (size_t)(e - s) + 1 : strlen(s));
    }
    st->span_mode = mode == 1;
    return 0;
}

struct csv_sink {
    struct eval_state *st;
    const struct cli_labels *pos;
};

static int on_csv_row(void *ud, char *text_take, const char *label)
{
    struct csv_sink *k = ud;
    struct record *r = rec_add(k->st);
    r->text = text_take;
    r->len = strlen(text_take);
    r->positive = cli_label_is_positive(k->pos, label);
    label_name(k->st, r->positive, label);
    return 0;
}

/* Code point index of byte offset b in s. */
static size_t cp_index(const char *s, size_t len, size_t b)
{
    size_t n = 0;
    for (size_t i = 0; i < b && i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

static struct type_stats *type_of(struct eval_state *st, const char *name)
{
    for (size_t i = 0; i < st->n_types; i++)
        if (strcmp(st->types[i].name, name) == 0)
            return &st->types[i];
    if (st->n_types == EVAL_MAX_TYPES)
        return NULL;
    struct type_stats *t = &st->types[st->n_types++];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    return t;
}

struct one_run {
    struct eval_state *st;
    const struct record *rec;
    int done;
};

static void on_verdict(void *ud, struct guard_verdict *v)
{
    struct one_run *o = ud;
    struct eval_state *st = o->st;
    const struct record *r = o->rec;
    o->done = 1;
    if (v->errored)
        st->errors++;
    if (!st->span_mode) {
        int pred = v->violation && !v->errored;
        if (pred && r->positive)
            st->tp++;
        else if (pred)
            st->fp++;
        else if (r->positive)
            st->fn++;
        else
            st->tn++;
        return;
    }
    unsigned char *paired = util_calloc(r->n_spans ? r->n_spans : 1, 1);
    for (size_t i = 0; i < r->n_spans; i++)
        type_of(st, r->spans[i].type);
    for (size_t k = 0; k < v->n_findings; k++) {
        const struct guard_finding *f = &v->findings[k];
        if (f->index != 0)
            continue;
        size_t a = cp_index(r->text, r->len, f->start), b = cp_index(r->text, r->len, f->end);
        struct type_stats *t = type_of(st, f->type);
        int hit = 0;
        for (size_t i = 0; i < r->n_spans && !hit; i++) {
            const struct gold_span *g = &r->spans[i];
            if (!paired[i] && strcmp(g->type, f->type) == 0 && a < g->end && g->start < b) {
                paired[i] = 1;
                hit = 1;
            }
        }
        if (t)
            hit ? t->tp++ : t->fp++;
    }
    for (size_t i = 0; i < r->n_spans; i++)
        if (!paired[i]) {
            struct type_stats *t = type_of(st, r->spans[i].type);
            if (t)
                t->fn++;
        }
    free(paired);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)ceil(p * (double)n) - 1;
    return sorted[i < n ? i : n - 1];
}

static void progress(size_t i, size_t n)
{
    int width = 40, fill = n ? (int)((double)i * width / (double)n) : width;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu", fill, "########################################", width - fill, "", i, n);
    if (i == n)
        fputc('\n', stderr);
    fflush(stderr);
}

int cli_eval_main(int argc, char **argv)
{
    const char *config_path = NULL, *guard_name = NULL, *data = NULL, *text_col = NULL, *label_col = NULL,
               *positive = NULL, *stage = NULL;
    int json = 0;
    double min_f1 = -1, min_recall = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "warden eval: %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        char *end = NULL;
        if (!strcmp(a, "--config"))
            config_path = v;
        else if (!strcmp(a, "--guardrail"))
            guard_name = v;
        else if (!strcmp(a, "--data"))
            data = v;
        else if (!strcmp(a, "--text-column"))
            text_col = v;
        else if (!strcmp(a, "--label-column"))
            label_col = v;
        else if (!strcmp(a, "--positive"))
            positive = v;
        else if (!strcmp(a, "--stage"))
            stage = v;
        else if (!strcmp(a, "--min-f1") || !strcmp(a, "--min-recall")) {
            double x = strtod(v, &end);
            if (end == v || *end || x < 0 || x > 1) {
                fprintf(stderr, "warden eval: %s wants a number in 0..1, got '%s'\n", a, v);
                return 2;
            }
            *(!strcmp(a, "--min-f1") ? &min_f1 : &min_recall) = x;
        } else {
            fprintf(stderr, "warden eval: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!config_path || !guard_name || !data) {
        fprintf(stderr, "warden eval: --config, --guardrail and --data are required\n");
        usage(stderr);
        return 2;
    }
    if ((text_col == NULL) != (label_col == NULL)) {
        fprintf(stderr, "warden eval: --text-column and --label-column go together (CSV data)\n");
        return 2;
    }
    if (stage && strcmp(stage, "input") && strcmp(stage, "output")) {
        fprintf(stderr, "warden eval: --stage is input or output\n");
        return 2;
    }

    char err[1024];
    struct config *cfg = config_load(config_path, err, sizeof(err));
    if (cfg == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const struct config_guardrail *g = config_find_guardrail(cfg, guard_name);
    if (g == NULL) {
        fprintf(stderr, "warden eval: %s has no guardrail named '%s'\n", config_path, guard_name);
        config_free(cfg);
        return 1;
    }
    struct eval_state st = {0};
    struct cli_labels pos;
    cli_labels_parse(&pos, positive);
    int rc = 0;
    if (text_col) {
        struct csv_sink k = {&st, &pos};
        if (cli_read_labelled_csv("eval", data, text_col, label_col, on_csv_row, &k) != 0)
            rc = 1;
    } else {
        size_t len;
        char *text = cli_read_file(data, EVAL_FILE_MAX, &len, err, sizeof(err));
        if (text == NULL) {
            fprintf(stderr, "warden eval: %s\n", err);
            rc = 1;
        } else if (memchr(text, '\0', len) != NULL) { /* the lines are read as C strings: what follows would be lost */
            const char *z = memchr(text, '\0', len);
            int line = 1;
            for (const char *q = text; q < z; q++)
                line += *q == '\n';
            fprintf(stderr, "warden eval: %s:%d: a NUL byte (JSON Lines are text; write it as \\u0000)\n", data, line);
            rc = 1;
        } else if (load_jsonl(&st, data, text, &pos) != 0) {
            rc = 1;
        }
        free(text);
    }
    cli_labels_free(&pos);

    struct guard_shared *gs = NULL;
    struct metrics *metrics = NULL;
    struct upstream_client *up = NULL;
    struct guard_env *env = NULL;
    uv_loop_t loop;
    int loop_inited = 0;
    if (rc == 0) {
        gs = guard_shared_create(cfg, err, sizeof(err));
        if (gs == NULL) {
            fprintf(stderr, "warden eval: %s\n", err);
            rc = 1;
        }
    }
    if (rc == 0) {
        uv_loop_init(&loop);
        loop_inited = 1;
        metrics = metrics_create(cfg);
        up = upstream_client_create(&loop, (enum upstream_transport_choice)cfg->server.upstream_transport);
        env = guard_env_create(gs, &loop, up, metrics);
        st.lat_us = util_calloc(st.n ? st.n : 1, sizeof(double));
        int bar = !json && isatty(STDERR_FILENO);
        enum config_guard_stage sg = stage ? (strcmp(stage, "input") ? CONFIG_STAGE_OUTPUT : CONFIG_STAGE_INPUT) : g->stage;
        for (size_t i = 0; i < st.n; i++) {
            const char *tp = st.recs[i].text;
            size_t tl = st.recs[i].len;
            struct guard_subject s = {.stage = sg, .texts = &tp, .lens = &tl, .n = 1, .n_messages = 1, .model = "eval",
                                      .request_id = "eval"};
            struct one_run o = {&st, &st.recs[i], 0};
            uint64_t t0 = util_now_ns();
            guard_run_start(env, g, &s, on_verdict, &o);
            while (!o.done)
                uv_run(&loop, UV_RUN_ONCE);
            st.lat_us[i] = (double)(util_now_ns() - t0) / 1000.0;
            if (bar && (i % 64 == 0 || i + 1 == st.n))
                progress(i + 1, st.n);
        }
    }

    if (rc == 0) {
        qsort(st.lat_us, st.n, sizeof(double), cmp_double);
        double mean = 0;
        for (size_t i = 0; i < st.n; i++)
            mean += st.lat_us[i];
        mean = st.n ? mean / (double)st.n : 0;
        double p50 = percentile(st.lat_us, st.n, 0.50), p95 = percentile(st.lat_us, st.n, 0.95),
               p99 = percentile(st.lat_us, st.n, 0.99);
        int below = 0;
        json_t *out = json_object();
        json_object_set_new(out, "guardrail", json_string(g->name));
        json_object_set_new(out, "records", json_integer((json_int_t)st.n));
        json_object_set_new(out, "errors", json_integer((json_int_t)st.errors));
        json_t *per = json_object();
        if (!json)
            printf("guardrail %s on %s: %zu records, %zu errors\n", g->name, data, st.n, st.errors);
        if (st.span_mode) {
            json_object_set_new(out, "mode", json_string("spans"));
            size_t ttp = 0, tfp = 0, tfn = 0;
            for (size_t i = 0; i < st.n_types; i++) {
                const struct type_stats *t = &st.types[i];
                struct cli_prf p = cli_prf_of(t->tp, t->fp, t->fn);
                ttp += t->tp, tfp += t->fp, tfn += t->fn;
                json_object_set_new(per, t->name,
                                    json_pack("{s:I, s:I, s:I, s:f, s:f, s:f}", "tp", (json_int_t)t->tp, "fp",
                                              (json_int_t)t->fp, "fn", (json_int_t)t->fn, "precision", p.precision,
                                              "recall", p.recall, "f1", p.f1));
                if (!json)
                    printf("  %-20s precision %.3f recall %.3f F1 %.3f (tp %zu fp %zu fn %zu)\n", t->name, p.precision,
                           p.recall, p.f1, t->tp, t->fp, t->fn);
                if ((min_f1 >= 0 && p.f1 < min_f1) || (min_recall >= 0 && p.recall < min_recall))
                    below = 1;
            }
            struct cli_prf all = cli_prf_of(ttp, tfp, tfn);
            json_object_set_new(out, "micro", json_pack("{s:f, s:f, s:f}", "precision", all.precision, "recall", all.recall,
                                                        "f1", all.f1));
            if (!json)
                printf("  %-20s precision %.3f recall %.3f F1 %.3f\n", "(all types)", all.precision, all.recall, all.f1);
            json_object_set_new(out, "types", per);
        } else {
            json_object_set_new(out, "mode", json_string("labels"));
            struct cli_prf p = cli_prf_of(st.tp, st.fp, st.fn), q = cli_prf_of(st.tn, st.fn, st.fp);
            const char *pn = st.pos_name[0] ? st.pos_name : "positive", *nn = st.neg_name[0] ? st.neg_name : "negative";
            double acc = st.n ? (double)(st.tp + st.tn) / (double)st.n : 0;
            json_object_set_new(per, pn,
                                json_pack("{s:b, s:I, s:f, s:f, s:f}", "positive", 1, "support", (json_int_t)(st.tp + st.fn),
                                          "precision", p.precision, "recall", p.recall, "f1", p.f1));
            json_object_set_new(per, nn,
                                json_pack("{s:b, s:I, s:f, s:f, s:f}", "positive", 0, "support", (json_int_t)(st.tn + st.fp),
                                          "precision", q.precision, "recall", q.recall, "f1", q.f1));
            json_object_set_new(out, "classes", per);
            json_object_set_new(out, "accuracy", json_real(acc));
            json_object_set_new(out, "macro_f1", json_real((p.f1 + q.f1) / 2));
            json_object_set_new(out, "confusion", json_pack("{s:I, s:I, s:I, s:I}", "tp", (json_int_t)st.tp, "fp",
                                                            (json_int_t)st.fp, "tn", (json_int_t)st.tn, "fn",
                                                            (json_int_t)st.fn));
            if (!json) {
                printf("  %-12s precision %.3f recall %.3f F1 %.3f (support %zu)\n", pn, p.precision, p.recall, p.f1,
                       st.tp + st.fn);
                printf("  %-12s precision %.3f recall %.3f F1 %.3f (support %zu)\n", nn, q.precision, q.recall, q.f1,
                       st.tn + st.fp);
                printf("  accuracy %.3f, macro-F1 %.3f\n", acc, (p.f1 + q.f1) / 2);
            }
            if ((min_f1 >= 0 && p.f1 < min_f1) || (min_recall >= 0 && p.recall < min_recall))
                below = 1;
        }
        json_object_set_new(out, "latency_us",
                            json_pack("{s:f, s:f, s:f, s:f}", "p50", p50, "p95", p95, "p99", p99, "mean", mean));
        if (json) {
            char *dump = json_dumps(out, JSON_COMPACT);
            printf("%s\n", dump);
            free(dump);
        } else {
            printf("  latency p50 %.1f us, p95 %.1f us, p99 %.1f us, mean %.1f us\n", p50, p95, p99, mean);
            if (below)
                printf("below the bar (--min-f1 %.3f / --min-recall %.3f)\n", min_f1, min_recall);
        }
        json_decref(out);
        if (below)
            rc = 1;
    }

    if (env)
        guard_env_destroy(env);
    if (up)
        upstream_client_destroy(up);
    if (loop_inited) {
        /* a model job the verdict no longer waited for (prompt_injection: the lexicon decided)
         * may still run in the pool: its after_work must run before the model is freed */
        for (uint64_t end = util_now_ns() + 5000000000ull; uv_loop_alive(&loop) && util_now_ns() < end;)
            uv_run(&loop, UV_RUN_ONCE);
        uv_loop_close(&loop);
    }
    metrics_destroy(metrics);
    guard_shared_destroy(gs);
    for (size_t i = 0; i < st.n; i++) {
        free(st.recs[i].text);
        free(st.recs[i].spans);
    }
    free(st.recs);
    free(st.lat_us);
    config_free(cfg);
    return rc;
}
