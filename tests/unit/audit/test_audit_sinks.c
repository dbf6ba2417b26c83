/* Sinks and the writer thread against real stores: SQLite in a temp directory, and
 * PostgreSQL when WARDEN_TEST_PG_DSN names a running server (tests/integration/
 * test_audit_pg.sh starts one and runs this binary; without it the PostgreSQL tests
 * say they were skipped, and fail when CI=true). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/query.h"
#include "audit/sink.h"
#include "record_compare.h"
#include "util/clock.h"
#include "util/err.h"

static char dir[256];

/* Asserts a sink call returned 0, showing its error message otherwise. */
#define assert_ok(call)                                                                                                      \
    do {                                                                                                                     \
        int rc_ = (call);                                                                                                    \
        if (rc_ != 0)                                                                                                        \
            fail_msg("%s -> %d: %s", #call, rc_, err);                                                                       \
    } while (0)

static void fill(struct audit_record *r, int i, int64_t t)
{
    memset(r, 0, sizeof(*r));
    r->time_us = t;
    audit_record_make_id(r);
    snprintf(r->request_id, sizeof(r->request_id), "req-%d", i);
    snprintf(r->model, sizeof(r->model), i % 2 ? "gpt-4o" : "gpt-4o-mini");
    snprintf(r->key_name, sizeof(r->key_name), "k%d", i % 3);
    r->status = i % 5 ? 200 : 429;
    r->attempts = 1;
    r->tokens_in = i;
    r->tokens_out = i;
    r->cost_usd = 0.001;
}

static long sqlite_count(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db); /* a handle is allocated even when the open fails */
        return -1;
    }
    if (sqlite3_prepare_v2(db, "SELECT count(*), count(DISTINCT id) FROM audit_log", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == sqlite3_column_int64(st, 1))
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void path_in_dir(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

struct pagestate {
    int *seen, *last_i, ok;
};

/* Counts rows and checks newest-first order (request ids carry their index). */
static void on_row(void *ud, const struct audit_record *r)
{
    struct pagestate *ps = ud;
    int i = atoi(r->request_id + 4);
    if (i >= *ps->last_i)
        ps->ok = 0;
    *ps->last_i = i;
    (*ps->seen)++;
}

static void sqlite_sink_is_idempotent_and_keeps_retention(void **state)
{
    char db[300], err[512];
    path_in_dir(db, sizeof(db), "s1.db");
    struct audit_sink *s = audit_sink_sqlite_create(db, 1);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    struct audit_record recs[100];
    int64_t now = 1796083200000000LL;
    for (int i = 0; i < 100; i++)
        fill(&recs[i], i, i < 30 ? now - 3LL * 86400 * 1000000 + i : now + i); /* 30 older than retention */
    assert_ok(audit_sink_write(s, recs, 100, err, sizeof(err)));
    assert_ok(audit_sink_write(s, recs, 100, err, sizeof(err))); /* a replay: no duplicates */
    assert_int_equal(sqlite_count(db), 100);
    int rc;
    while ((rc = audit_sink_maintain(s, now + 1000, err, sizeof(err))) == 1)
        ;
    assert_int_equal(rc, 0);
    assert_int_equal(sqlite_count(db), 70);
    audit_sink_destroy(s);
}

static void sqlite_query_filters_and_pages(void **state)
{
    char db[300], err[512];
    path_in_dir(db, sizeof(db), "s2.db");
    struct audit_sink *s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    struct audit_record recs[50];
    int64_t t0 = 1796083200000000LL;
    for (int i = 0; i < 50; i++)
        fill(&recs[i], i, t0 + i * 1000000LL);
    assert_ok(audit_sink_write(s, recs, 50, err, sizeof(err)));
    audit_sink_destroy(s);

    struct config_audit cfg = {.sink = CONFIG_AUDIT_SQLITE, .path = db};
    struct audit_filter f;
    audit_filter_init(&f);
    snprintf(f.model, sizeof(f.model), "gpt-4o");
    f.since_us = t0 + 10 * 1000000LL; /* i >= 10 */
    f.until_us = t0 + 40 * 1000000LL; /* i < 40 */
    f.limit = 4;
    /* odd i in [10, 40): 15 records, newest first, pages of 4 */
    int seen = 0, pages = 0;
    char next[AUDIT_ID_HEX];
    int last_i = 1000;
    struct pagestate ps = {&seen, &last_i, 1};
    for (;;) {
        assert_ok(audit_query_run(&cfg, &f, on_row, &ps, next, err, sizeof(err)));
        pages++;
        if (!next[0])
            break;
        assert_int_equal(audit_id_from_hex(next, strlen(next), f.cursor), 0);
        f.has_cursor = 1;
    }
    assert_true(ps.ok);
    assert_int_equal(seen, 15);
    assert_int_equal(pages, 4);
    /* status and key filters */
    audit_filter_init(&f);
    f.status = 429;
    f.limit = 1000;
    seen = 0;
    last_i = 1000;
    assert_ok(audit_query_run(&cfg, &f, on_row, &ps, next, err, sizeof(err)));
    assert_int_equal(seen, 10);
    assert_string_equal(next, "");
}


#define MIXED 90

/* Rows that switch between NULL and values, in batches of odd sizes (blocks of every length,
 * and a replay of records already stored), read back as written. */
static void sqlite_sink_stores_every_field_of_mixed_batches(void **state)
{
    char db[300], err[512];
    path_in_dir(db, sizeof(db), "s3.db");
    struct audit_sink *s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    static struct audit_record recs[MIXED];
    int64_t t0 = 1796083200000000LL;
    for (int i = 0; i < MIXED; i++) {
        fill(&recs[i], i, t0 + i);
        if (i % 3 == 0)
            recs[i].key_name[0] = '\0';
        if (i % 4 == 1)
            snprintf(recs[i].error_code, sizeof(recs[i].error_code), "rate_limit_exceeded");
        if (i % 5 == 2)
            snprintf(recs[i].parent_id, sizeof(recs[i].parent_id), "parent-%d", i);
        recs[i].tokens_in = i % 2 ? -1 : i;
        recs[i].tokens_out = i % 7 ? 12 : -1;
        recs[i].cost_usd = i % 6 ? 0.5 : -1;
        recs[i].ttft_us = i % 3 == 1 ? 1000 + i : 0;
        recs[i].stream = i % 2;
        recs[i].attempts = 1 + i % 2;
        recs[i].request_body = i % 8 == 3 ? strdup("{\"q\": \"<EMAIL_ADDRESS_1>\"}") : NULL;
    }
    /* 87 and 3: blocks of odd lengths, then 20 again (stored already) */
    assert_ok(audit_sink_write(s, recs, 87, err, sizeof(err)));
    assert_ok(audit_sink_write(s, recs + 87, MIXED - 87, err, sizeof(err)));
    assert_ok(audit_sink_write(s, recs, 20, err, sizeof(err))); /* a replay: no duplicates */
    audit_sink_destroy(s);
    assert_int_equal(sqlite_count(db), MIXED);

    struct config_audit cfg = {.sink = CONFIG_AUDIT_SQLITE, .path = db};
    struct audit_filter f;
    audit_filter_init(&f);
    f.limit = 1000;
    struct rows_check m = {recs, MIXED, 0, 0};
    char next[AUDIT_ID_HEX];
    assert_ok(audit_query_run(&cfg, &f, check_row, &m, next, err, sizeof(err)));
    assert_int_equal(m.seen, MIXED);
    assert_int_equal(m.bad, 0);
    for (int i = 0; i < MIXED; i++)
        audit_record_free(&recs[i]);
}


/* A sink that fails while *down is set: the real SQLite sink underneath. */
struct flaky {
    struct audit_sink base;
    struct audit_sink *real;
    int down;
};

static int fl_connect(struct audit_sink *b, char *err, size_t n)
{
    struct flaky *f = (struct flaky *)b;
    if (__atomic_load_n(&f->down, __ATOMIC_RELAXED)) {
        snprintf(err, n, "down (test)");
        return WARDEN_EIO;
    }
    return audit_sink_connect(f->real, err, n);
}
static int fl_write(struct audit_sink *b, const struct audit_record *r, size_t k, char *err, size_t n)
{
    struct flaky *f = (struct flaky *)b;
    if (__atomic_load_n(&f->down, __ATOMIC_RELAXED)) {
        snprintf(err, n, "down (test)");
        return WARDEN_EIO;
    }
    return audit_sink_write(f->real, r, k, err, n);
}
static int fl_maintain(struct audit_sink *b, int64_t now, char *err, size_t n)
{
    return 0;
}
static void fl_destroy(struct audit_sink *b)
{
    struct flaky *f = (struct flaky *)b;
    audit_sink_destroy(f->real);
}
static const struct audit_sink_ops flaky_ops = {"flaky", fl_connect, fl_write, fl_maintain, fl_destroy};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void writer_journals_while_the_sink_is_down_and_replays_exactly_once(void **state)
{
    char db[300], jpath[300], err[512];
    path_in_dir(db, sizeof(db), "w1.db");
    path_in_dir(jpath, sizeof(jpath), "w1.journal");
    struct config_audit cfg = {.sink = CONFIG_AUDIT_SQLITE, .path = db, .journal_path = jpath, .journal_max_mb = 64,
                               .queue_size = 256, .batch_max = 100, .flush_ms = 2, .drain_ms = 5000};
    struct flaky fl = {.base = {&flaky_ops, 0}, .real = audit_sink_sqlite_create(db, 0), .down = 1};
    /* fl is on the stack: destroy must not free it, so audit_destroy runs before we leave */
    struct audit *a = audit_create_with_sink(&cfg, &fl.base, 2, err, sizeof(err));
    assert_non_null(a);
    assert_int_equal(audit_start(a), 0);
    struct audit_worker *w0 = audit_worker_get(a, 0), *w1 = audit_worker_get(a, 1);
    struct audit_record r;
    for (int i = 0; i < 3000; i++) {
        fill(&r, i, audit_now_us());
        audit_submit(i % 2 ? w1 : w0, &r); /* rings of 256: some spill to the journal from here */
        if (i == 1500) {
            sleep_ms(50);
            __atomic_store_n(&fl.down, 0, __ATOMIC_RELAXED); /* the sink comes back mid-way */
        }
    }
    audit_stop(a);
    struct audit_stats st;
    audit_get_stats(a, &st);
    assert_int_equal(st.submitted, 3000);
    assert_int_equal(st.dropped, 0);
    assert_true(st.journaled > 0);
    assert_int_equal(st.journal_bytes, 0);
    audit_destroy(a);
    assert_int_equal(sqlite_count(db), 3000);
}

static void writer_leaves_unwritten_records_in_the_journal_for_the_next_start(void **state)
{
    char db[300], jpath[300], err[512];
    path_in_dir(db, sizeof(db), "w2.db");
    path_in_dir(jpath, sizeof(jpath), "w2.journal");
    struct config_audit cfg = {.sink = CONFIG_AUDIT_SQLITE, .path = db, .journal_path = jpath, .journal_max_mb = 64,
                               .queue_size = 4096, .batch_max = 500, .flush_ms = 2, .drain_ms = 100};
    struct flaky *fl = calloc(1, sizeof(*fl));
    *fl = (struct flaky){.base = {&flaky_ops, 0}, .real = audit_sink_sqlite_create(db, 0), .down = 1};
    struct audit *a = audit_create_with_sink(&cfg, &fl->base, 1, err, sizeof(err));
    assert_int_equal(audit_start(a), 0);
    struct audit_record r;
    for (int i = 0; i < 1000; i++) {
        fill(&r, i, audit_now_us());
        audit_submit(audit_worker_get(a, 0), &r);
    }
    audit_destroy(a); /* down during the whole drain: everything stays in the journal */
    free(fl);
    assert_true(sqlite_count(db) <= 0);
    /* next start: the sink is up; the journal is replayed */
    struct audit *b = audit_create_with_sink(&cfg, audit_sink_sqlite_create(db, 0), 1, err, sizeof(err));
    assert_int_equal(audit_start(b), 0);
    audit_stop(b);
    audit_destroy(b);
    assert_int_equal(sqlite_count(db), 1000);
}

static void overflow_drop_counts_and_refuse_stops_accepting(void **state)
{
    char db[300], jpath[300], err[512];
    path_in_dir(db, sizeof(db), "w3.db");
    path_in_dir(jpath, sizeof(jpath), "w3.journal");
    struct config_audit cfg = {.sink = CONFIG_AUDIT_SQLITE, .path = db, .journal_path = jpath, .journal_max_mb = 1,
                               .overflow = CONFIG_AUDIT_REFUSE, .queue_size = 16, .batch_max = 16, .flush_ms = 2,
                               .drain_ms = 10};
    struct flaky *fl = calloc(1, sizeof(*fl));
    *fl = (struct flaky){.base = {&flaky_ops, 0}, .real = audit_sink_sqlite_create(db, 0), .down = 1};
    struct audit *a = audit_create_with_sink(&cfg, &fl->base, 1, err, sizeof(err));
    /* no writer thread: the ring fills and then the 1 MB journal */
    struct audit_worker *w = audit_worker_get(a, 0);
    struct audit_record r;
    int i = 0;
    while (audit_admit(w) && i < 100000) {
        fill(&r, i++, audit_now_us());
        r.request_body = strdup("x");
        audit_release(w);
        audit_submit(w, &r);
    }
    assert_false(audit_accepting(w));
    struct audit_stats st;
    audit_get_stats(a, &st);
    /* refused before the journal was full: every admitted record still fit */
    assert_int_equal(st.dropped, 0);
    assert_int_equal(st.journaled + 16, (uint64_t)i); /* the rest waits in the 16-slot ring */
    assert_true(st.journal_bytes <= 1u << 20);
    audit_destroy(a);
    free(fl);
    unlink(jpath);
}

/* ---- PostgreSQL ---- */

static const char *pg_dsn(void)
{
    const char *d = getenv("WARDEN_TEST_PG_DSN");
    return d && *d ? d : NULL;
}

static long pg_count(const char *dsn)
{
    PGconn *c = PQconnectdb(dsn);
    long n = -1;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, "SELECT count(*), count(DISTINCT id) FROM warden_audit");
        if (PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1)))
            n = atol(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    PQfinish(c);
    return n;
}

static void pg_exec(const char *dsn, const char *sql)
{
    PGconn *c = PQconnectdb(dsn);
    PGresult *r = PQexec(c, sql);
    PQclear(r);
    PQfinish(c);
}

static int skip_pg(void)
{
    if (pg_dsn() != NULL)
        return 0;
    const char *ci = getenv("CI");
    if (ci && !strcmp(ci, "true"))
        fail_msg("WARDEN_TEST_PG_DSN is not set and CI=true: the PostgreSQL tests must run");
    print_message("SKIPPED: PostgreSQL tests (no WARDEN_TEST_PG_DSN; tests/integration/test_audit_pg.sh runs them)\n");
    return 1;
}

static void pg_sink_is_idempotent_partitions_and_drops_old_days(void **state)
{
    if (skip_pg())
        return;
    const char *dsn = pg_dsn();
    pg_exec(dsn, "SET client_min_messages = warning; DROP TABLE IF EXISTS warden_audit CASCADE");
    char err[512];
    struct audit_sink *s = audit_sink_pg_create(dsn, 2);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    int64_t now = audit_now_us();
    struct audit_record recs[2000];
    for (int i = 0; i < 2000; i++) /* 500 records five days old, the rest now */
        fill(&recs[i], i, i < 500 ? now - 5LL * 86400 * 1000000 + i : now + i);
    assert_ok(audit_sink_write(s, recs, 2000, err, sizeof(err)));
    assert_ok(audit_sink_write(s, recs, 2000, err, sizeof(err)));
    assert_int_equal(pg_count(dsn), 2000);
    int rc;
    while ((rc = audit_sink_maintain(s, now, err, sizeof(err))) == 1)
        ;
    assert_int_equal(rc, 0);
    assert_int_equal(pg_count(dsn), 1500);
    /* the query reads the same store */
    struct config_audit cfg = {.sink = CONFIG_AUDIT_POSTGRES, .dsn = (char *)dsn};
    struct audit_filter f;
    audit_filter_init(&f);
    f.limit = 10;
    snprintf(f.model, sizeof(f.model), "gpt-4o");
    int seen = 0, last_i = 100000;
    struct pagestate ps = {&seen, &last_i, 1};
    char next[AUDIT_ID_HEX];
    assert_ok(audit_query_run(&cfg, &f, on_row, &ps, next, err, sizeof(err)));
    assert_int_equal(seen, 10);
    assert_true(ps.ok);
    assert_true(next[0] != '\0');
    assert_int_equal(audit_id_from_hex(next, strlen(next), f.cursor), 0);
    f.has_cursor = 1;
    assert_ok(audit_query_run(&cfg, &f, on_row, &ps, next, err, sizeof(err)));
    assert_int_equal(seen, 20);
    assert_true(ps.ok);
    audit_sink_destroy(s);
}

static void pg_write_after_the_server_restarts_reconnects(void **state)
{
    if (skip_pg())
        return;
    const char *dsn = pg_dsn();
    char err[512];
    struct audit_sink *s = audit_sink_pg_create(dsn, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    /* another session kills ours: the next write fails, a reconnect works */
    pg_exec(dsn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'warden-audit'");
    struct audit_record r;
    fill(&r, 1, audit_now_us());
    assert_int_not_equal(audit_sink_write(s, &r, 1, err, sizeof(err)), 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    assert_ok(audit_sink_write(s, &r, 1, err, sizeof(err)));
    audit_sink_destroy(s);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/warden-audit-sinks-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sqlite_sink_is_idempotent_and_keeps_retention),
        cmocka_unit_test(sqlite_query_filters_and_pages),
        cmocka_unit_test(sqlite_sink_stores_every_field_of_mixed_batches),
        cmocka_unit_test(writer_journals_while_the_sink_is_down_and_replays_exactly_once),
        cmocka_unit_test(writer_leaves_unwritten_records_in_the_journal_for_the_next_start),
        cmocka_unit_test(overflow_drop_counts_and_refuse_stops_accepting),
        cmocka_unit_test(pg_sink_is_idempotent_partitions_and_drops_old_days),
        cmocka_unit_test(pg_write_after_the_server_restarts_reconnects),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
