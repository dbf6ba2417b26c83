/* Attacks on the SQLite block store (issue 12) at the module level: texts cut at a field's
 * cap, dictionaries whose distinct entries read back alike, queries at exact time and block
 * boundaries, limits of 1 and the maximum, and damaged block rows (a clear error, never a
 * crash, never a read past the text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/block.h"
#include "audit/query.h"
#include "audit/sink.h"
#include "util/buf.h"

static char dir[256];

#define assert_ok(call)                                                                                                      \
    do {                                                                                                                     \
        int rc_ = (call);                                                                                                    \
        if (rc_ != 0)                                                                                                        \
            fail_msg("%s -> %d: %s", #call, rc_, err);                                                                       \
    } while (0)

static const int64_t T0 = 1796083200000000LL;

static void fill(struct audit_record *r, int i, int64_t t)
{
    memset(r, 0, sizeof(*r));
    r->time_us = t;
    audit_record_make_id(r);
    snprintf(r->request_id, sizeof(r->request_id), "req-%d", i);
    snprintf(r->model, sizeof(r->model), "m%d", i % 3);
    snprintf(r->target, sizeof(r->target), "p/m%d", i % 3);
    r->status = 200;
    r->attempts = 1;
    r->tokens_in = r->tokens_out = -1;
    r->cost_usd = -1;
}

static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0)
            return 0;
        for (int k = 1; k < n; k++)
            if ((p[k] & 0xc0) != 0x80)
                return 0;
        p += n;
    }
    return 1;
}

/* A literal longer than the buffer it is read into is cut before the character the cap falls
 * in (found: the reader cut runs of plain bytes inside a character, so a capped field read
 * back as broken UTF-8 and GET /admin/audit showed a U+FFFD the view did not). */
static void decoded_text_is_cut_at_a_character_boundary(void **state)
{
    const char *lits[] = {"\"aa\xc3\xa9\xc3\xa9\"", "\"a\xe2\x82\xac\xe2\x82\xac\"", "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"",
                          "\"x\\n\xf0\x9f\x98\x80\"", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""};
    for (size_t l = 0; l < sizeof(lits) / sizeof(lits[0]); l++) {
        for (size_t cap = 1; cap <= 12; cap++) {
            char out[16];
            memset(out, 0x55, sizeof(out));
            assert_int_equal(audit_json_string_decode(lits[l], strlen(lits[l]), out, cap), 0);
            assert_true(strlen(out) < cap);
            if (!valid_utf8(out))
                fail_msg("literal %zu cap %zu: broken UTF-8 read back", l, cap);
            assert_int_equal(out[cap], 0x55); /* nothing written past the buffer */
        }
    }
}

/* A U+FFFD-heavy field (a refused request's raw x-request-id of invalid bytes) grows three
 * times when stored: read back into its field it is cut at a character, still valid. */
static void invalid_bytes_at_the_cap_read_back_valid(void **state)
{
    struct audit_record r, got;
    fill(&r, 1, T0);
    memset(r.request_id, 0xff, sizeof(r.request_id) - 1);
    r.request_id[sizeof(r.request_id) - 1] = '\0';
    struct audit_text t = {0};
    struct audit_block_refs refs = {-1, -1, -1};
    audit_text_reserve(&t, 1);
    t.p[t.len++] = '[';
    audit_block_append_record(&t, &r, T0, &refs);
    t.p[t.len++] = ']';
    static struct audit_block_dict d;
    memset(&d, 0, sizeof(d));
    struct audit_block_reader rd;
    audit_block_reader_init(&rd, t.p, t.len, T0, &d);
    memset(&got, 0, sizeof(got));
    assert_int_equal(audit_block_read_head(&rd, &got), 1);
    assert_int_equal(audit_block_read_rest(&rd, &got), 0);
    assert_true(valid_utf8(got.request_id));
    assert_int_equal(strlen(got.request_id), 78); /* 26 whole U+FFFD */
    audit_text_free(&t);
}

struct collected {
    int n;
    uint8_t ids[600][AUDIT_ID_BYTES];
    char models[600][128];
    int bad_order;
};

static void collect_row(void *ud, const struct audit_record *r)
{
    struct collected *c = ud;
    if (c->n > 0 && memcmp(r->id, c->ids[c->n - 1], AUDIT_ID_BYTES) >= 0)
        c->bad_order = 1;
    if (c->n < 600) {
        memcpy(c->ids[c->n], r->id, AUDIT_ID_BYTES);
        snprintf(c->models[c->n], sizeof(c->models[0]), "%s", r->model);
        c->n++;
    }
}

static int run(const char *db, struct audit_filter *f, struct collected *c, char next[AUDIT_ID_HEX], char *err, size_t errsz)
{
    struct config_audit cfg = {.sink = CONFIG_AUDIT_SQLITE, .path = (char *)db};
    return audit_query_run(&cfg, f, collect_row, c, next, err, errsz);
}

static void page_all(const char *db, struct audit_filter *f, struct collected *c)
{
    char next[AUDIT_ID_HEX], err[512];
    memset(c, 0, sizeof(*c));
    for (int pages = 0; pages < 1000; pages++) {
        assert_ok(run(db, f, c, next, err, sizeof(err)));
        if (!next[0])
            return;
        assert_int_equal(audit_id_from_hex(next, strlen(next), f->cursor), 0);
        f->has_cursor = 1;
    }
    fail_msg("no last page");
}

/* Two models that differ only in bytes that are not UTF-8 ("a\xff", "a\xfe") are two entries
 * of one block's dictionary, both read back as "a" U+FFFD: a filter by that text must find the
 * records of both (found: the query compared places, and took only the first entry). */
static void filter_finds_every_dictionary_entry_of_its_text(void **state)
{
    char db[300], err[512];
    snprintf(db, sizeof(db), "%s/dict.db", dir);
    struct audit_sink *s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    struct audit_record recs[6];
    for (int i = 0; i < 6; i++) {
        fill(&recs[i], i, T0 + i);
        snprintf(recs[i].model, sizeof(recs[i].model), "%s", i % 2 ? "a\xff" : "a\xfe");
        if (i == 5)
            snprintf(recs[i].model, sizeof(recs[i].model), "other");
    }
    assert_ok(audit_sink_write(s, recs, 6, err, sizeof(err)));
    audit_sink_destroy(s);
    static struct collected c;
    struct audit_filter f;
    audit_filter_init(&f);
    snprintf(f.model, sizeof(f.model), "a\xff");
    page_all(db, &f, &c);
    assert_int_equal(c.n, 5);
    for (int i = 0; i < c.n; i++)
        assert_string_equal(c.models[i], "a\xef\xbf\xbd");
    audit_filter_init(&f);
    snprintf(f.model, sizeof(f.model), "a\xef\xbf\xbd"); /* the text as it reads back */
    page_all(db, &f, &c);
    assert_int_equal(c.n, 5);
}

/* since is inclusive and until exclusive at the exact microsecond (several records share
 * it), limit 1 and the maximum page through blocks that overlap, and each record comes once. */
static void exact_boundaries_and_limits(void **state)
{
    char db[300], err[512], next[AUDIT_ID_HEX];
    snprintf(db, sizeof(db), "%s/bounds.db", dir);
    struct audit_sink *s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    /* 520 records, 4 a microsecond; stored newest half first, then the oldest half with the
     * newest again (a replay): blocks of every overlap, three of them full (256) */
    static struct audit_record recs[520];
    for (int i = 0; i < 520; i++)
        fill(&recs[i], i, T0 + (i / 4) * 1000);
    assert_ok(audit_sink_write(s, recs + 260, 260, err, sizeof(err)));
    assert_ok(audit_sink_write(s, recs, 520, err, sizeof(err)));
    audit_sink_destroy(s);
    static struct collected c;
    struct audit_filter f;
    int limits[] = {1, 3, 256, 257, AUDIT_QUERY_LIMIT_MAX};
    for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
        audit_filter_init(&f);
        f.limit = limits[l];
        page_all(db, &f, &c);
        assert_int_equal(c.n, 520);
        assert_false(c.bad_order);
    }
    /* [t(40), t(80)): records 160..319, 4 a microsecond */
    audit_filter_init(&f);
    f.since_us = T0 + 40 * 1000;
    f.until_us = T0 + 80 * 1000;
    f.limit = 7;
    page_all(db, &f, &c);
    assert_int_equal(c.n, 160);
    audit_filter_init(&f);
    f.since_us = f.until_us = T0 + 40 * 1000; /* an empty range */
    page_all(db, &f, &c);
    assert_int_equal(c.n, 0);
    audit_filter_init(&f);
    f.since_us = T0 + 129 * 1000; /* the last microsecond: its 4 records */
    page_all(db, &f, &c);
    assert_int_equal(c.n, 4);
    audit_filter_init(&f);
    f.until_us = T0 + 1; /* the first microsecond only */
    page_all(db, &f, &c);
    assert_int_equal(c.n, 4);
    /* filters that match nothing: a model, a key, a status no record has */
    audit_filter_init(&f);
    snprintf(f.model, sizeof(f.model), "m1\"");
    memset(&c, 0, sizeof(c));
    assert_ok(run(db, &f, &c, next, err, sizeof(err)));
    assert_int_equal(c.n, 0);
    assert_string_equal(next, "");
    audit_filter_init(&f);
    snprintf(f.key, sizeof(f.key), "nobody");
    memset(&c, 0, sizeof(c));
    assert_ok(run(db, &f, &c, next, err, sizeof(err)));
    assert_int_equal(c.n, 0);
    audit_filter_init(&f);
    f.status = 599;
    memset(&c, 0, sizeof(c));
    assert_ok(run(db, &f, &c, next, err, sizeof(err)));
    assert_int_equal(c.n, 0);
    for (int i = 0; i < 520; i++)
        audit_record_free(&recs[i]);
}

/* Bad parameters are errors with a message, never accepted silently. */
static void bad_parameters_are_refused(void **state)
{
    const char *bad[] = {"limit=0", "limit=-1", "limit=1001x", "limit=99999999999999999999", "status=0", "status=600",
                         "status=abc", "since=2026-02-30T00:00:00Z", "since=2026-11-30T24:00:00Z", "until=yesterday",
                         "cursor=zz", "cursor=", "model=", "key=", "bogus=1", "since=2026-11-30T23:00:00+25:00",
                         "model=a%00b", "key=%00", "limit=1%00", "cursor=00%00", "until=1970-01-01T00:00:00Z",
                         "until=1969-12-31T23:59:59Z", "since=1969-12-31T23:59:59Z", "until=0000-01-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct audit_filter f;
        char err[256] = "";
        audit_filter_init(&f);
        if (audit_filter_from_query(&f, bad[i], strlen(bad[i]), err, sizeof(err)) == 0)
            fail_msg("accepted %s", bad[i]);
        assert_true(err[0] != '\0');
    }
    struct audit_filter f;
    char err[256];
    audit_filter_init(&f);
    char max[64];
    snprintf(max, sizeof(max), "limit=%d", AUDIT_QUERY_LIMIT_MAX);
    assert_int_equal(audit_filter_from_query(&f, max, strlen(max), err, sizeof(err)), 0);
    snprintf(max, sizeof(max), "limit=%d", AUDIT_QUERY_LIMIT_MAX + 1);
    assert_int_equal(audit_filter_from_query(&f, max, strlen(max), err, sizeof(err)), -1);
}

/* One SQL change to the store's first block, then a query that must reach it: an error that
 * names the store, never a crash (ASan) and never a hang. */
static void damage_and_query(const char *db, const char *sql, int expect_error)
{
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(h);
    static struct collected c;
    struct audit_filter f;
    char next[AUDIT_ID_HEX], err[512] = "";
    audit_filter_init(&f);
    f.limit = AUDIT_QUERY_LIMIT_MAX;
    memset(&c, 0, sizeof(c));
    int rc = run(db, &f, &c, next, err, sizeof(err));
    if (expect_error) {
        if (rc == 0)
            fail_msg("%s: no error", sql);
        assert_non_null(strstr(err, db));
    }
    /* the filtered walks (term index, combos): an error or an answer, never a crash */
    const char *models[] = {"m0", "m1", "zz"};
    for (int i = 0; i < 3; i++) {
        audit_filter_init(&f);
        snprintf(f.model, sizeof(f.model), "%s", models[i]);
        f.status = i == 1 ? 200 : 0;
        memset(&c, 0, sizeof(c));
        run(db, &f, &c, next, err, sizeof(err));
    }
}

/* A store of 10 records (one block) at db. */
static void ten_records_store(const char *db)
{
    char err[512];
    struct audit_sink *s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    struct audit_record recs[10];
    for (int k = 0; k < 10; k++)
        fill(&recs[k], k, T0 + k);
    assert_ok(audit_sink_write(s, recs, 10, err, sizeof(err)));
    audit_sink_destroy(s);
}

static void damaged_blocks_are_an_error_not_a_crash(void **state)
{
    const char *damage[] = {
        "UPDATE audit_block SET recs = '[[0,200,0,null' WHERE seq = 1",                   /* truncated */
        "UPDATE audit_block SET recs = 'not json at all' WHERE seq = 1",                  /* not JSON */
        "UPDATE audit_block SET recs = '[]' WHERE seq = 1",                               /* fewer records than ids */
        "UPDATE audit_block SET ids = substr(ids, 1, 16 * (n - 1)) WHERE seq = 1",        /* fewer ids than records */
        "UPDATE audit_block SET ids = substr(ids, 1, 16 * n - 3) WHERE seq = 1",          /* ids not whole */
        "UPDATE audit_block SET models = '[\"m0\"' WHERE seq = 1",                        /* a dictionary cut */
        "UPDATE audit_block SET models = '[]' WHERE seq = 1",                             /* places past the dictionary */
        "UPDATE audit_block SET recs = NULL WHERE seq = 1",                               /* NOT NULL: refused by SQLite */
        "UPDATE audit_block SET recs = replace(recs, '\"req-', '\"\\x') WHERE seq = 1",  /* a bad escape */
        "UPDATE audit_block SET recs = x'5b5b302c3230302c302c6e756c6c2c2200' WHERE seq = 1", /* a NUL in a string */
    };
    /* the index's columns damaged: the walk may miss or over-read blocks, never crash */
    const char *index_damage[] = {
        "UPDATE audit_block SET combos = '[0,null,200,9999,-5,200,' WHERE seq = 1",
        "UPDATE audit_block SET combos = 'garbage' WHERE seq = 1",
        "UPDATE audit_block SET combos = '[99999999999999999999,0,200]' WHERE seq = 1",
        "DELETE FROM audit_block_term",
        "UPDATE audit_block_term SET last_id = x'00'",
    };
    for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
        char db[300];
        snprintf(db, sizeof(db), "%s/damaged-%zu.db", dir, i);
        ten_records_store(db);
        if (strstr(damage[i], "= NULL") != NULL) {
            sqlite3 *h = NULL;
            assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
            assert_int_not_equal(sqlite3_exec(h, damage[i], NULL, NULL, NULL), SQLITE_OK);
            sqlite3_close(h);
            continue;
        }
        damage_and_query(db, damage[i], 1);
    }
    for (size_t i = 0; i < sizeof(index_damage) / sizeof(index_damage[0]); i++) {
        char db[300];
        snprintf(db, sizeof(db), "%s/damaged-index-%zu.db", dir, i);
        ten_records_store(db);
        damage_and_query(db, index_damage[i], 0);
    }
}

/* A file that is not an SQLite store, and one that does not exist: errors, not crashes. */
static void not_a_store_is_an_error(void **state)
{
    char db[300];
    snprintf(db, sizeof(db), "%s/garbage.db", dir);
    FILE *fp = fopen(db, "w");
    assert_non_null(fp);
    for (int i = 0; i < 1000; i++)
        fputs("this is not an sqlite database ", fp);
    fclose(fp);
    static struct collected c;
    struct audit_filter f;
    char next[AUDIT_ID_HEX], err[512] = "";
    audit_filter_init(&f);
    memset(&c, 0, sizeof(c));
    assert_int_not_equal(run(db, &f, &c, next, err, sizeof(err)), 0);
    assert_non_null(strstr(err, db));
    snprintf(db, sizeof(db), "%s/missing/none.db", dir);
    err[0] = '\0';
    assert_int_not_equal(run(db, &f, &c, next, err, sizeof(err)), 0);
    assert_true(err[0] != '\0');
    /* the sink refuses the garbage file too (the journal keeps the records) */
    snprintf(db, sizeof(db), "%s/garbage.db", dir);
    struct audit_sink *s = audit_sink_sqlite_create(db, 0);
    assert_int_not_equal(audit_sink_connect(s, err, sizeof(err)), 0);
    audit_sink_destroy(s);
}

/* GET /admin/audit and `warden audit --json` give the cost as stored, exactly (found: printed
 * with 10 significant digits, so 0.1 + 0.2 and costs of 16-17 digits read back changed). */
static void cost_in_json_reads_back_exactly(void **state)
{
    const double costs[] = {0.1 + 0.2, 0.000417, 1.0 / 3.0, 2.5e-7, 123456.789012345678, 0.0, 1e-12, 98765432109.87654};
    for (size_t i = 0; i < sizeof(costs) / sizeof(costs[0]); i++) {
        struct audit_record r;
        fill(&r, 1, T0);
        r.cost_usd = costs[i];
        struct util_buf b;
        util_buf_init(&b, 1 << 16);
        audit_record_to_json(&r, &b);
        util_buf_append(&b, "", 1);
        const char *c = strstr(b.data, "\"cost_usd\":");
        assert_non_null(c);
        double got = strtod(c + 11, NULL);
        if (got != costs[i])
            fail_msg("cost %.17g read back as %.17g (%s)", costs[i], got, c);
        util_buf_free(&b);
    }
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/warden-audit-attack-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoded_text_is_cut_at_a_character_boundary),
        cmocka_unit_test(invalid_bytes_at_the_cap_read_back_valid),
        cmocka_unit_test(filter_finds_every_dictionary_entry_of_its_text),
        cmocka_unit_test(exact_boundaries_and_limits),
        cmocka_unit_test(bad_parameters_are_refused),
        cmocka_unit_test(damaged_blocks_are_an_error_not_a_crash),
        cmocka_unit_test(not_a_store_is_an_error),
        cmocka_unit_test(cost_in_json_reads_back_exactly),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
