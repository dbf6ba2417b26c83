/* bench/audit_bench.c: audit sink throughput and query latency.
 *
 *   audit_bench sqlite DIR [N]        N records (default 200000) through the writer thread into
 *                                     DIR/bench.db: records/s end to end (submit -> committed)
 *   audit_bench pg DSN [N]            the same into PostgreSQL
 *   audit_bench sink DIR N BATCH      the SQLite sink alone, N records shaped like the proxy's
 *                                     (no key, no guardrails) in transactions of BATCH: for
 *                                     callgrind --toggle-collect=sq_write (bench/audit_instr.sh SINK=1)
 *   audit_bench query DIR [ROWS]      fills DIR/query.db with ROWS records (default 1000000; 8
 *                                     models, 10 keys, a day of timestamps), then times 200
 *                                     queries "model = M and a 2-hour range, limit 100": median
 *                                     and worst in ms; then filters that few or no blocks match
 *                                     (absent, rare: o1-pro and 504 about once in 10,000 records, a
 *                                     key, and 429 with o3: in every block, never on one record)
 *
 * Prints one line per measurement: "AUDIT_BENCH <what> ...". Built and run by bench/micro.sh
 * (make bench), or by hand: make build/audit_bench. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/query.h"
#include "audit/sink.h"
#include "util/clock.h"

static const char *models[] = {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3", "claude-sonnet-4", "gemini-2.5-pro",
                               "llama-3.3-70b", "gemini-2.5-flash"};

static void fill(struct audit_record *r, long i, int64_t t)
{
    memset(r, 0, sizeof(*r));
    r->time_us = t;
    audit_record_make_id(r);
    snprintf(r->request_id, sizeof(r->request_id), "req_%012lx", i);
    snprintf(r->key_name, sizeof(r->key_name), "team-%ld", i % 10);
    snprintf(r->model, sizeof(r->model), "%s", i % 9973 == 17 ? "o1-pro" : models[i % 8]); /* o1-pro: 1 in 9,973 */
    snprintf(r->target, sizeof(r->target), "openai/%s", models[i % 8]);
    r->guardrails = strdup("pii=pass, jailbreak=pass"); /* owned by the record: audit_submit or audit_record_free */
    r->status = i % 10007 == 5 ? 504 : i % 50 ? 200 : 429; /* 504: 1 in 10,007 */
    r->attempts = 1;
    r->stream = (int)(i & 1);
    r->latency_us = 120000 + i % 1000;
    r->ttft_us = 40000;
    r->tokens_in = 300 + i % 100;
    r->tokens_out = 150;
    r->cost_usd = 0.0012;
}

/* A record as the proxy benchmark makes it: no key, no guardrails, one model. */
static void fill_proxy(struct audit_record *r, long i, int64_t t)
{
    memset(r, 0, sizeof(*r));
    r->time_us = t;
    audit_record_make_id(r);
    snprintf(r->request_id, sizeof(r->request_id), "%016lx%016lx", 0x5eedUL * (unsigned long)i, (unsigned long)i);
    snprintf(r->model, sizeof(r->model), "gpt-4o-mini");
    snprintf(r->target, sizeof(r->target), "mock/mock-1");
    r->status = 200;
    r->attempts = 1;
    r->latency_us = 900 + i % 300;
    r->ttft_us = 0;
    r->tokens_in = 230;
    r->tokens_out = 12;
    r->cost_usd = 0.0000417;
}

/* The sink alone: n records in transactions of `batch`, no writer thread. */
static int sink_direct(struct audit_sink *s, long n, size_t batch, const char *what,
                       void (*make)(struct audit_record *, long, int64_t))
{
    char err[512];
    if (audit_sink_connect(s, err, sizeof(err)) != 0) {
        fprintf(stderr, "audit_bench: %s\n", err);
        return 1;
    }
    struct audit_record *b = calloc(batch, sizeof(*b));
    int64_t now = audit_now_us();
    uint64_t t0 = util_now_ns();
    for (long i = 0; i < n; i += (long)batch) {
        size_t k = (size_t)(n - i) < batch ? (size_t)(n - i) : batch;
        for (size_t j = 0; j < k; j++)
            make(&b[j], i + (long)j, now + i + (long)j);
        if (audit_sink_write(s, b, k, err, sizeof(err)) != 0) {
            fprintf(stderr, "audit_bench: %s\n", err);
            return 1;
        }
    }
    double sec = (double)(util_now_ns() - t0) / 1e9;
    printf("AUDIT_BENCH %s_sink records=%ld batch=%zu seconds=%.3f records_per_s=%.0f\n", what, n, batch, sec, (double)n / sec);
    free(b);
    return 0;
}

static int through_writer(struct config_audit *cfg, struct audit_sink *sink, long n, const char *what)
{
    char err[512];
    struct audit *a = audit_create_with_sink(cfg, sink, 1, err, sizeof(err));
    if (a == NULL || audit_start(a) != 0) {
        fprintf(stderr, "audit_bench: %s\n", err);
        return 1;
    }
    struct audit_worker *w = audit_worker_get(a, 0);
    struct audit_record r;
    uint64_t t0 = util_now_ns();
    int64_t now = audit_now_us();
    for (long i = 0; i < n; i++) {
        fill(&r, i, now + i);
        audit_submit(w, &r);
    }
    struct audit_stats st;
    do {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        audit_get_stats(a, &st);
    } while (st.written + st.dropped < (uint64_t)n && (util_now_ns() - t0) < 120000000000ull);
    double s = (double)(util_now_ns() - t0) / 1e9;
    printf("AUDIT_BENCH %s records=%ld seconds=%.3f records_per_s=%.0f journaled=%llu dropped=%llu\n", what, n, s, (double)n / s,
           (unsigned long long)st.journaled, (unsigned long long)st.dropped);
    audit_stop(a);
    audit_destroy(a);
    return 0;
}

static void count_row(void *ud, const struct audit_record *r)
{
    (*(int *)ud)++;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: audit_bench sqlite DIR [N] | sink DIR N BATCH | pg DSN [N] | query DIR [ROWS]\n");
        return 2;
    }
    char db[512], journal[600];
    long n = argc > 3 ? atol(argv[3]) : 0;
    struct config_audit cfg = {.journal_max_mb = 4096, .queue_size = 1 << 16, .batch_max = 5000, .flush_ms = 2, .drain_ms = 60000};
    if (!strcmp(argv[1], "sqlite") || !strcmp(argv[1], "query") || !strcmp(argv[1], "sink")) {
        snprintf(db, sizeof(db), "%s/%s.db", argv[2], argv[1][0] == 'q' ? "query" : "bench");
        snprintf(journal, sizeof(journal), "%s.journal", db);
        cfg.sink = CONFIG_AUDIT_SQLITE;
        cfg.path = db;
        cfg.journal_path = journal;
    }
    if (!strcmp(argv[1], "sqlite")) {
        unlink(db);
        struct audit_sink *s = audit_sink_sqlite_create(db, 0);
        int rc = sink_direct(s, n ? n : 200000, 2000, "sqlite", fill);
        audit_sink_destroy(s);
        unlink(db);
        return rc ? rc : through_writer(&cfg, audit_sink_sqlite_create(db, 0), n ? n : 200000, "sqlite");
    }
    if (!strcmp(argv[1], "sink")) {
        unlink(db);
        struct audit_sink *s = audit_sink_sqlite_create(db, 0);
        int rc = sink_direct(s, n ? n : 20000, argc > 4 ? (size_t)atol(argv[4]) : 64, "sqlite_proxy", fill_proxy);
        audit_sink_destroy(s);
        unlink(db);
        return rc;
    }
    if (!strcmp(argv[1], "pg")) {
        snprintf(journal, sizeof(journal), "/tmp/warden-audit-bench-%d.journal", (int)getpid());
        cfg.sink = CONFIG_AUDIT_POSTGRES;
        cfg.dsn = argv[2];
        cfg.journal_path = journal;
        struct audit_sink *s = audit_sink_pg_create(argv[2], 0);
        int rc = sink_direct(s, n ? n : 100000, 2000, "postgres", fill);
        audit_sink_destroy(s);
        rc = rc ? rc : through_writer(&cfg, audit_sink_pg_create(argv[2], 0), n ? n : 100000, "postgres");
        unlink(journal);
        return rc;
    }
    if (!strcmp(argv[1], "query")) {
        long rows = n ? n : 1000000;
        unlink(db);
        char err[512];
        struct audit_sink *s = audit_sink_sqlite_create(db, 0);
        if (audit_sink_connect(s, err, sizeof(err)) != 0) {
            fprintf(stderr, "audit_bench: %s\n", err);
            return 1;
        }
        int64_t day0 = 1796083200000000LL; /* 2026-12-01 */
        struct audit_record *batch = calloc(10000, sizeof(*batch));
        uint64_t t0 = util_now_ns();
        for (long i = 0; i < rows; i += 10000) {
            long k = rows - i < 10000 ? rows - i : 10000;
            for (long j = 0; j < k; j++)
                fill(&batch[j], i + j, day0 + (i + j) * (86400000000LL / rows));
            int rc = audit_sink_write(s, batch, (size_t)k, err, sizeof(err));
            for (long j = 0; j < k; j++)
                audit_record_free(&batch[j]);
            if (rc != 0) {
                fprintf(stderr, "audit_bench: %s\n", err);
                return 1;
            }
        }
        printf("AUDIT_BENCH query_fill rows=%ld seconds=%.1f\n", rows, (double)(util_now_ns() - t0) / 1e9);
        audit_sink_destroy(s);
        free(batch);
        double ms[200];
        for (int q = 0; q < 200; q++) {
            struct audit_filter f;
            audit_filter_init(&f);
            snprintf(f.model, sizeof(f.model), "%s", models[q % 8]);
            f.since_us = day0 + (int64_t)(q % 22) * 3600000000LL;
            f.until_us = f.since_us + 2 * 3600000000LL;
            f.limit = 100;
            int got = 0;
            char next[AUDIT_ID_HEX];
            uint64_t a = util_now_ns();
            if (audit_query_run(&cfg, &f, count_row, &got, next, err, sizeof(err)) != 0 || got != 100) {
                fprintf(stderr, "audit_bench: query returned %d rows: %s\n", got, err);
                return 1;
            }
            ms[q] = (double)(util_now_ns() - a) / 1e6;
        }
        qsort(ms, 200, sizeof(double), cmp_double);
        printf("AUDIT_BENCH query rows=%ld filter=model+2h limit=100 median_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", rows, ms[100],
               ms[197], ms[199]);
        /* the worst cases of a store in blocks: filters that no block (or few) can match, so that
         * every block's summary is read, and a key (in every block, a tenth of the records) */
        static const struct {
            const char *name, *model, *key;
            int status;
        } rare[] = {{"model=absent", "no-such-model", NULL, 0}, {"status=503(absent)", NULL, NULL, 503},
                    {"model=rare", "o1-pro", NULL, 0},         {"status=504(rare)", NULL, NULL, 504},
                    {"key", NULL, "team-3", 0},                {"status=429+model(never together)", "o3", NULL, 429}};
        for (size_t k = 0; k < sizeof(rare) / sizeof(rare[0]); k++) {
            for (int q = 0; q < 100; q++) {
                struct audit_filter f;
                audit_filter_init(&f);
                if (rare[k].model)
                    snprintf(f.model, sizeof(f.model), "%s", rare[k].model);
                if (rare[k].key)
                    snprintf(f.key, sizeof(f.key), "%s", rare[k].key);
                f.status = rare[k].status;
                int got = 0;
                char next[AUDIT_ID_HEX];
                uint64_t a = util_now_ns();
                if (audit_query_run(&cfg, &f, count_row, &got, next, err, sizeof(err)) != 0) {
                    fprintf(stderr, "audit_bench: %s\n", err);
                    return 1;
                }
                ms[q] = (double)(util_now_ns() - a) / 1e6;
            }
            qsort(ms, 100, sizeof(double), cmp_double);
            printf("AUDIT_BENCH query rows=%ld filter=%s limit=100 median_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", rows,
                   rare[k].name, ms[50], ms[98], ms[99]);
        }
        return 0;
    }
    fprintf(stderr, "audit_bench: unknown mode %s\n", argv[1]);
    return 2;
}
