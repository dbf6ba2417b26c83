/* The SQLite store's blocks: the JSON encoding of hostile texts and costs, the audit_log
 * view against what was written, the query's merge over overlapping blocks, replays,
 * retention of whole blocks, and the migration of a store from before blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/block.h"
#include "audit/query.h"
#include "audit/sink.h"
#include "record_compare.h"

static char dir[256];

#define assert_ok(call)                                                                                                      \
    do {                                                                                                                     \
        int rc_ = (call);                                                                                                    \
        if (rc_ != 0)                                                                                                        \
            fail_msg("%s -> %d: %s", #call, rc_, err);                                                                       \
    } while (0)

static void path_in_dir(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

static void fill(struct audit_record *r, int i, int64_t t)
{
    memset(r, 0, sizeof(*r));
    r->time_us = t;
    audit_record_make_id(r);
    snprintf(r->request_id, sizeof(r->request_id), "req-%d", i);
    snprintf(r->model, sizeof(r->model), i % 3 == 0 ? "gpt-4o" : "o3");
    if (i % 2)
        snprintf(r->key_name, sizeof(r->key_name), "k%d", i % 4);
    snprintf(r->target, sizeof(r->target), "openai/%s", r->model);
    r->status = i % 7 ? 200 : 502;
    r->attempts = 1 + i % 3;
    r->latency_us = 1000 + i;
    r->ttft_us = i % 2 ? 0 : 500 + i;
    r->tokens_in = i % 5 ? i : -1;
    r->tokens_out = i % 5 ? 2 * i : -1;
    r->cost_usd = i % 5 ? 0.0000417 * i : -1;
}

/* ---- the JSON text ---- */

static sqlite3 *memdb(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    return db;
}

/* SQLite's json_valid and json_extract on the text of one record. */
static int sqlite_json_valid(sqlite3 *db, const char *text, size_t len)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT json_valid(?1)", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, text, (int)len, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void sqlite_field(sqlite3 *db, const char *text, size_t len, int field, char *out, size_t outsz)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT ?1 ->> ?2", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, text, (int)len, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, field);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, outsz, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize(st);
}

/* Each hostile text, and what a reader must get back (invalid UTF-8 as U+FFFD). */
static const struct {
    const char *in, *out;
} hostile[] = {
    {"plain", "plain"},
    {"quote \" and backslash \\ and slash /", "quote \" and backslash \\ and slash /"},
    {"\x01\x02\x07\b\t\n\v\f\r\x1b\x1f end", "\x01\x02\x07\b\t\n\v\f\r\x1b\x1f end"},
    {"bad \xff byte", "bad \xef\xbf\xbd byte"},
    {"overlong \xc0\x80 nul", "overlong \xef\xbf\xbd\xef\xbf\xbd nul"},
    {"lone \x80 continuation", "lone \xef\xbf\xbd continuation"},
    {"cut \xe2\x82", "cut \xef\xbf\xbd\xef\xbf\xbd"},
    {"surrogate \xed\xa0\x80 half", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd half"},
    {"past max \xf4\x90\x80\x80", "past max \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"emoji \xf0\x9f\x98\x80 and \xe2\x82\xac euro and \xc3\xa9", "emoji \xf0\x9f\x98\x80 and \xe2\x82\xac euro and \xc3\xa9"},
    {"12345678\"2345678\\234567\x01", "12345678\"2345678\\234567\x01"},
    {"\x7f delete is plain", "\x7f delete is plain"},
};

/* Reads back the one record of a block made of r with the dictionaries given. */
static void encode_one(struct audit_text *t, const struct audit_record *r, const struct audit_block_refs *refs)
{
    t->len = 0;
    audit_text_reserve(t, 1);
    t->p[t->len++] = '[';
    audit_block_append_record(t, r, 0, refs);
    audit_text_reserve(t, 1);
    t->p[t->len++] = ']';
}

/* Hostile texts in the record's own strings (request id, guardrails, bodies, parent) and in a
 * block's dictionaries (model, key): valid JSON, read back alike by SQLite and the reader. */
static void hostile_texts_are_valid_json_and_read_back(void **state)
{
    sqlite3 *db = memdb();
    struct audit_text t = {0}, dict = {0};
    static struct audit_block_dict d;
    for (size_t h = 0; h < sizeof(hostile) / sizeof(hostile[0]); h++) {
        struct audit_record r;
        fill(&r, 1, 1796083200000000LL);
        snprintf(r.request_id, sizeof(r.request_id), "%s", hostile[h].in);
        r.guardrails = strdup(hostile[h].in);
        r.request_body = strdup(hostile[h].in);
        snprintf(r.parent_id, sizeof(r.parent_id), "%s", hostile[h].in);
        struct audit_block_refs refs = {0, 0, -1};
        encode_one(&t, &r, &refs);
        if (!sqlite_json_valid(db, t.p, t.len))
            fail_msg("case %zu: invalid JSON: %.*s", h, (int)t.len, t.p);
        /* SQLite reads the same text back */
        char one[4096];
        snprintf(one, sizeof(one), "%.*s", (int)(t.len - 2), t.p + 1);
        char got[1024];
        sqlite_field(db, one, strlen(one), AUDIT_F_REQUEST_ID, got, sizeof(got));
        assert_string_equal(got, hostile[h].out);
        sqlite_field(db, one, strlen(one), AUDIT_F_REQUEST_BODY, got, sizeof(got));
        assert_string_equal(got, hostile[h].out);
        /* the dictionaries: one array of the text as model and key */
        dict.len = 0;
        audit_text_reserve(&dict, 1);
        dict.p[dict.len++] = '[';
        audit_json_string(&dict, hostile[h].in, strlen(hostile[h].in));
        audit_text_reserve(&dict, 1);
        dict.p[dict.len++] = ']';
        assert_true(sqlite_json_valid(db, dict.p, dict.len));
        sqlite_field(db, dict.p, dict.len, 0, got, sizeof(got));
        assert_string_equal(got, hostile[h].out);
        assert_int_equal(audit_block_dict_parse(&d, dict.p, dict.len, dict.p, dict.len, "[]", 2), 0);
        /* and so does the block reader */
        struct audit_block_reader rd;
        audit_block_reader_init(&rd, t.p, t.len, 0, &d);
        struct audit_record back;
        assert_int_equal(audit_block_read_head(&rd, &back), 1);
        assert_int_equal(rd.model_ref, 0);
        assert_int_equal(audit_block_read_rest(&rd, &back), 0);
        assert_string_equal(back.model, hostile[h].out);
        assert_string_equal(back.key_name, hostile[h].out);
        assert_string_equal(back.request_id, hostile[h].out);
        assert_string_equal(back.guardrails, hostile[h].out);
        assert_string_equal(back.parent_id, hostile[h].out);
        assert_string_equal(back.request_body, hostile[h].out);
        assert_string_equal(back.target, "");
        assert_null(back.response_body);
        assert_int_equal(back.time_us, r.time_us);
        assert_true(back.cost_usd == r.cost_usd);
        audit_record_free(&back);
        assert_int_equal(audit_block_read_head(&rd, &back), 0);
        audit_record_free(&r);
    }
    audit_text_free(&t);
    audit_text_free(&dict);
    sqlite3_close(db);
}

/* Fields filled to their last byte, every byte one that needs an escape: the encoder's worst case. */
static void full_length_fields_of_escapes_read_back(void **state)
{
    sqlite3 *db = memdb();
    struct audit_record r;
    fill(&r, 2, 1796083200000000LL);
    r.guardrails = malloc(AUDIT_GUARDRAILS_MAX);
    char *fields[] = {r.request_id, r.parent_id, r.error_code, r.guardrails};
    size_t sizes[] = {sizeof(r.request_id), sizeof(r.parent_id), sizeof(r.error_code), AUDIT_GUARDRAILS_MAX};
    for (int f = 0; f < 4; f++) {
        for (size_t i = 0; i + 1 < sizes[f]; i++)
            fields[f][i] = (char)(1 + (i + (size_t)f) % 31); /* control bytes 0x01..0x1f */
        fields[f][sizes[f] - 1] = '\0';
    }
    r.response_body = malloc(99996);
    for (int i = 0; i < 99995; i++) /* whole characters: 7 bytes a round */
        r.response_body[i] = "\"\\\x01\xf0\x9f\x98\x80"[i % 7];
    r.response_body[99995] = '\0';
    struct audit_text t = {0};
    struct audit_block_refs refs = {-1, -1, -1};
    encode_one(&t, &r, &refs);
    assert_true(sqlite_json_valid(db, t.p, t.len));
    static struct audit_block_dict d;
    struct audit_block_reader rd;
    audit_block_reader_init(&rd, t.p, t.len, 0, &d);
    struct audit_record back;
    assert_int_equal(audit_block_read_head(&rd, &back), 1);
    assert_int_equal(audit_block_read_rest(&rd, &back), 0);
    char *bf[] = {back.request_id, back.parent_id, back.error_code, back.guardrails};
    for (int f = 0; f < 4; f++)
        assert_string_equal(bf[f], fields[f]);
    assert_string_equal(back.response_body, r.response_body);
    assert_string_equal(back.model, "");
    audit_record_free(&back);
    audit_record_free(&r);
    audit_text_free(&t);
    sqlite3_close(db);
}

/* Costs read back (strtod, and SQLite's reader for the usual ones) as exactly the double written. */
static void costs_read_back_exactly(void **state)
{
    sqlite3 *db = memdb();
    double v[] = {0,          0.0012,     0.0000417,  0.0000417 * 3, 1e-9,    0.1 + 0.2, 123456.789, 1e20,
                  1.5,        2.0,        3e-8,       0.5,           99.99,   1e14,      1e13 + 0.5, 7.123456789012345e-5,
                  4.9e-324,   1.7e308,    0.000001,   0.0000025 * 1234 + 0.00001 * 56};
    struct audit_text t = {0};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) + 2000; i++) {
        double c = i < sizeof(v) / sizeof(v[0]) ? v[i] : ldexp((double)(rand() % 1000000 + 1), -(rand() % 60));
        t.len = 0;
        audit_json_cost(&t, c);
        audit_text_reserve(&t, 1);
        t.p[t.len] = '\0';
        char *end;
        double back = strtod(t.p, &end);
        if (back != c || *end != '\0')
            fail_msg("cost %.17g written as %s reads back as %.17g", c, t.p, back);
        assert_non_null(strpbrk(t.p, ".eE")); /* a REAL for SQLite */
        if (i < sizeof(v) / sizeof(v[0]) && c < 1e15 && c > 1e-10) {
            sqlite3_stmt *st = NULL;
            char arr[64];
            snprintf(arr, sizeof(arr), "[%s]", t.p);
            assert_int_equal(sqlite3_prepare_v2(db, "SELECT typeof(?1 ->> 0), ?1 ->> 0", -1, &st, NULL), SQLITE_OK);
            sqlite3_bind_text(st, 1, arr, -1, SQLITE_STATIC);
            assert_int_equal(sqlite3_step(st), SQLITE_ROW);
            assert_string_equal((const char *)sqlite3_column_text(st, 0), "real");
            if (sqlite3_column_double(st, 1) != c)
                fail_msg("SQLite reads %s as %.17g, not %.17g", arr, sqlite3_column_double(st, 1), c);
            sqlite3_finalize(st);
        }
    }
    /* costs as Warden computes them, (in * price_in + out * price_out) / 1e6: a quarter need
     * 16 or 17 digits; all read back exactly, none with more than 17 significant digits */
    static const double prices[][2] = {{0.15, 0.6}, {2.5, 10}, {3, 15}, {0.075, 0.3}, {1.1, 4.4}, {0.88, 0.88}};
    for (size_t pr = 0; pr < sizeof(prices) / sizeof(prices[0]); pr++)
        for (int in = 1; in < 3000; in += 7)
            for (int out = 0; out < 800; out += 13) {
                double c = (in * prices[pr][0] + out * prices[pr][1]) / 1e6;
                t.len = 0;
                audit_json_cost(&t, c);
                audit_text_reserve(&t, 1);
                t.p[t.len] = '\0';
                if (strtod(t.p, NULL) != c)
                    fail_msg("cost %.17g written as %s", c, t.p);
                int digits = 0, leading = 1;
                for (const char *q = t.p; *q && *q != 'e'; q++) {
                    if (*q >= '1' && *q <= '9')
                        leading = 0;
                    digits += !leading && *q >= '0' && *q <= '9';
                }
                if (digits > 17 || (c >= 1e-6 && strchr(t.p, 'e') != NULL)) /* 'e': printf's, the slow way */
                    fail_msg("cost %.17g written as %s: %d digits", c, t.p, digits);
            }
    audit_text_free(&t);
    sqlite3_close(db);
}

static void malformed_block_text_is_an_error_not_a_crash(void **state)
{
    static struct audit_block_dict d;
    assert_int_equal(audit_block_dict_parse(&d, "[\"m\"]", 5, "[]", 2, "[\"t\",\"u\"]", 9), 0);
    const char *bad[] = {"", "[", "[[", "[[1", "[[1,", "[[1,200,\"x", "[[1,200,0,\"x\\", "[[1,200,0,null,\"\\u12\"]]",
                         "[[1,200,x]]", "[[1,200,1]]", "[[1,200,-1]]", "[[1,200,0,null,\"r\",2]]",
                         "[[1,200,0,null,\"r\",0,null,1,0,0,5,null,null,null,1e]]", "[1]", "[[1,200]", "{}",
                         "[[1,200,0,null,\"r\",0,null,1,0,0,5,null,null,null,null,null,\"b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct audit_block_reader rd;
        audit_block_reader_init(&rd, bad[i], strlen(bad[i]), 0, &d);
        struct audit_record r;
        memset(&r, 0, sizeof(r)); /* read_head sets only time and status */
        int rc = audit_block_read_head(&rd, &r);
        if (rc == 1)
            rc = audit_block_read_rest(&rd, &r) == 0 ? audit_block_read_head(&rd, &r) : -1;
        if (rc != -1)
            fail_msg("malformed block %zu (%s) read as %d", i, bad[i], rc);
        audit_record_free(&r);
    }
    const char *bad_dicts[] = {"", "[", "[\"a\"", "[\"a\",]", "[1]", "[\"a\"]x", "{}"};
    for (size_t i = 0; i < sizeof(bad_dicts) / sizeof(bad_dicts[0]); i++)
        assert_int_equal(audit_block_dict_parse(&d, bad_dicts[i], strlen(bad_dicts[i]), "[]", 2, "[]", 2), -1);
    assert_int_equal(audit_block_dict_parse(&d, "[\"m\"]", 5, "[]", 2, "[\"t\",\"u\"]", 9), 0);
    /* fields a later version adds are skipped; missing ones are NULL */
    const char *ok = "[[5,201,0],[6,200,0,null,\"r\",1,null,1,0,0,5,null,null,null,null,null,null,null,null,"
                     "[1,{\"a\":\"]\"}],\"new\"]]";
    struct audit_block_reader rd;
    audit_block_reader_init(&rd, ok, strlen(ok), 100, &d);
    struct audit_record r;
    assert_int_equal(audit_block_read_head(&rd, &r), 1);
    assert_int_equal(audit_block_read_rest(&rd, &r), 0);
    assert_int_equal(r.status, 201);
    assert_int_equal(r.time_us, 105);
    assert_string_equal(r.model, "m");
    assert_int_equal(r.tokens_in, -1);
    assert_true(r.cost_usd == -1);
    assert_int_equal(audit_block_read_head(&rd, &r), 1);
    assert_int_equal(audit_block_read_rest(&rd, &r), 0);
    assert_int_equal(r.latency_us, 5);
    assert_string_equal(r.target, "u");
    assert_int_equal(audit_block_read_head(&rd, &r), 0);
}

/* Random damage to a valid block (bytes changed, the text cut short): the reader and the
 * dictionary parser answer -1 or read on, never past the end (the ASan build checks that). */
static void mutated_blocks_never_read_past_their_end(void **state)
{
    struct audit_text t = {0};
    audit_text_reserve(&t, 1);
    t.p[t.len++] = '[';
    for (int i = 0; i < 20; i++) {
        struct audit_record r;
        fill(&r, i, 1796083200000000LL + i);
        char g[32];
        snprintf(g, sizeof(g), "g\"%d\\", i);
        r.guardrails = strdup(g);
        r.request_body = i % 3 ? NULL : strdup("body \"x\" \xe2\x82\xac");
        struct audit_block_refs refs = {i % 2, i % 3 - 1, 0};
        if (i > 0)
            t.p[t.len++] = ',';
        audit_block_append_record(&t, &r, 1796083200000000LL, &refs);
        audit_text_reserve(&t, 2);
        audit_record_free(&r);
    }
    t.p[t.len++] = ']';
    static struct audit_block_dict d;
    const char *dict = "[\"m0\",\"m1\"]";
    assert_int_equal(audit_block_dict_parse(&d, dict, strlen(dict), dict, strlen(dict), dict, strlen(dict)), 0);
    static const char noise[] = "[]{},\"\\:0-n9ax";
    srand(7);
    for (int round = 0; round < 5000; round++) {
        size_t len = t.len - (size_t)(rand() % 4 == 0 ? rand() % (int)t.len : 0);
        char *copy = malloc(len ? len : 1); /* exactly len bytes: ASan sees any read past them */
        memcpy(copy, t.p, len);
        for (int k = rand() % 4; k > 0 && len > 0; k--)
            copy[rand() % (int)len] = noise[rand() % (int)(sizeof(noise) - 1)];
        struct audit_block_reader rd;
        audit_block_reader_init(&rd, copy, len, 0, &d);
        for (int i = 0; i < 100; i++) {
            struct audit_record r;
            memset(&r, 0, sizeof(r));
            int rc = audit_block_read_head(&rd, &r);
            if (rc <= 0)
                break;
            rc = i % 2 ? audit_block_skip_rest(&rd) : audit_block_read_rest(&rd, &r);
            audit_record_free(&r);
            if (rc != 0)
                break;
        }
        static struct audit_block_dict d2;
        audit_block_dict_parse(&d2, copy, len, dict, strlen(dict), dict, strlen(dict));
        free(copy);
    }
    audit_text_free(&t);
}

/* ---- the store ---- */

/* The audit_log view's row for r's id, compared column by column with what the table of
 * one row per record held (NULL for "", unknown tokens, cost and ttft). */
static void assert_view_row(sqlite3 *db, const struct audit_record *r)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT typeof(id), ts, request_id, key_name, model, target, status, error_code,"
                                        " attempts, reasks, stream, latency_us, ttft_us, tokens_in, tokens_out, cost_usd,"
                                        " typeof(cost_usd), guardrails, request_body, response_body, parent_id"
                                        " FROM audit_log WHERE id = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, r->id, AUDIT_ID_BYTES, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "blob");
    assert_int_equal(sqlite3_column_int64(st, 1), r->time_us);
    const char *texts[] = {r->request_id, r->key_name, r->model, r->target};
    for (int i = 0; i < 4; i++) {
        if (texts[i][0])
            assert_string_equal((const char *)sqlite3_column_text(st, 2 + i), texts[i]);
        else
            assert_int_equal(sqlite3_column_type(st, 2 + i), SQLITE_NULL);
    }
    assert_int_equal(sqlite3_column_int(st, 6), r->status);
    if (r->error_code[0])
        assert_string_equal((const char *)sqlite3_column_text(st, 7), r->error_code);
    else
        assert_int_equal(sqlite3_column_type(st, 7), SQLITE_NULL);
    assert_int_equal(sqlite3_column_int(st, 8), r->attempts);
    assert_int_equal(sqlite3_column_int(st, 9), r->reasks);
    assert_int_equal(sqlite3_column_int(st, 10), r->stream);
    assert_int_equal(sqlite3_column_int64(st, 11), r->latency_us);
    if (r->ttft_us > 0)
        assert_int_equal(sqlite3_column_int64(st, 12), r->ttft_us);
    else
        assert_int_equal(sqlite3_column_type(st, 12), SQLITE_NULL);
    assert_int_equal(sqlite3_column_type(st, 13), r->tokens_in < 0 ? SQLITE_NULL : SQLITE_INTEGER);
    assert_int_equal(sqlite3_column_type(st, 14), r->tokens_out < 0 ? SQLITE_NULL : SQLITE_INTEGER);
    if (r->tokens_in >= 0)
        assert_int_equal(sqlite3_column_int64(st, 13), r->tokens_in);
    if (r->cost_usd >= 0) {
        assert_string_equal((const char *)sqlite3_column_text(st, 16), "real");
        assert_true(sqlite3_column_double(st, 15) == r->cost_usd);
    } else {
        assert_int_equal(sqlite3_column_type(st, 15), SQLITE_NULL);
    }
    const char *tail[] = {or_empty(r->guardrails), r->request_body ? r->request_body : "", r->response_body ? r->response_body : "",
                          r->parent_id};
    for (int i = 0; i < 4; i++) {
        if (tail[i][0])
            assert_string_equal((const char *)sqlite3_column_text(st, 17 + i), tail[i]);
        else
            assert_int_equal(sqlite3_column_type(st, 17 + i), SQLITE_NULL);
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE); /* one row per id */
    sqlite3_finalize(st);
}

static long view_count(const char *path, const char *where)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT count(*) - count(DISTINCT id), count(*) FROM audit_log %s", where);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 0); /* no duplicates */
    long n = (long)sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}


static void view_columns_equal_what_was_written(void **state)
{
    char db[300], err[512];
    path_in_dir(db, sizeof(db), "view.db");
    struct audit_sink *s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    static struct audit_record recs[300];
    int64_t t0 = 1796083200000000LL;
    for (int i = 0; i < 300; i++) {
        fill(&recs[i], i, t0 + i * 1000);
        if (i % 4 == 1)
            snprintf(recs[i].error_code, sizeof(recs[i].error_code), "upstream_error");
        if (i % 5 == 2)
            snprintf(recs[i].parent_id, sizeof(recs[i].parent_id), "parent-%d", i / 10);
        if (i % 6 == 3)
            recs[i].guardrails = strdup("pii=redact(1 ms), jailbreak=pass");
        if (i % 8 == 0)
            recs[i].request_body = strdup("{\"q\":\"<EMAIL_ADDRESS_1> \\\"x\\\"\"}");
        if (i % 9 == 0)
            recs[i].response_body = strdup("line1\nline2\t\xe2\x82\xac");
        if (i % 10 == 0)
            recs[i].cost_usd = 0;
        recs[i].stream = i % 2;
        recs[i].reasks = i % 3 == 0;
    }
    /* hostile texts in the dictionaries (model, key, target) */
    static struct audit_record want[300];
    size_t n_hostile = sizeof(hostile) / sizeof(hostile[0]);
    for (int i = 0; i < 300; i++) {
        want[i] = recs[i];
        want[i].request_body = want[i].response_body = NULL; /* borrowed below, never freed */
        if (i % 13 == 0) {
            size_t h = (size_t)i / 13 % n_hostile;
            snprintf(recs[i].model, sizeof(recs[i].model), "%s", hostile[h].in);
            snprintf(recs[i].key_name, sizeof(recs[i].key_name), "%s", hostile[h].in);
            snprintf(recs[i].target, sizeof(recs[i].target), "t %s", hostile[h].in);
            snprintf(want[i].model, sizeof(want[i].model), "%s", hostile[h].out);
            snprintf(want[i].key_name, sizeof(want[i].key_name), "%s", hostile[h].out);
            snprintf(want[i].target, sizeof(want[i].target), "t %s", hostile[h].out);
        }
    }
    assert_ok(audit_sink_write(s, recs, 300, err, sizeof(err))); /* two blocks: 256 + 44 */
    audit_sink_destroy(s);
    assert_int_equal(view_count(db, ""), 300);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (int i = 0; i < 300; i++) {
        want[i].request_body = recs[i].request_body;
        want[i].response_body = recs[i].response_body;
        assert_view_row(h, &want[i]);
    }
    sqlite3_close(h);
    /* the query reads them back alike, and finds a hostile model by its text */
    struct config_audit cfg = {.sink = CONFIG_AUDIT_SQLITE, .path = db};
    struct audit_filter f;
    audit_filter_init(&f);
    snprintf(f.model, sizeof(f.model), "%s", hostile[3].in); /* invalid UTF-8: found as stored */
    struct rows_check m = {want, 300, 0, 0};
    char next[AUDIT_ID_HEX];
    assert_ok(audit_query_run(&cfg, &f, check_row, &m, next, err, sizeof(err)));
    assert_true(m.seen >= 1);
    audit_filter_init(&f);
    f.limit = 1000;
    m.seen = 0;
    assert_ok(audit_query_run(&cfg, &f, check_row, &m, next, err, sizeof(err)));
    assert_int_equal(m.seen, 300);
    assert_int_equal(m.bad, 0);
    for (int i = 0; i < 300; i++)
        audit_record_free(&recs[i]);
}

struct collected {
    int n;
    uint8_t ids[400][AUDIT_ID_BYTES];
    int bad_order;
};

static void collect_row(void *ud, const struct audit_record *r)
{
    struct collected *c = ud;
    if (c->n > 0 && memcmp(r->id, c->ids[c->n - 1], AUDIT_ID_BYTES) >= 0)
        c->bad_order = 1;
    if (c->n < 400)
        memcpy(c->ids[c->n++], r->id, AUDIT_ID_BYTES);
}

/* Pages through the query; returns the ids seen (newest first). */
static void page_all(const char *db, struct audit_filter *f, struct collected *c)
{
    struct config_audit cfg = {.sink = CONFIG_AUDIT_SQLITE, .path = (char *)db};
    char next[AUDIT_ID_HEX], err[512];
    memset(c, 0, sizeof(*c));
    for (int pages = 0; pages < 500; pages++) {
        assert_ok(audit_query_run(&cfg, f, collect_row, c, next, err, sizeof(err)));
        if (!next[0])
            return;
        assert_int_equal(audit_id_from_hex(next, strlen(next), f->cursor), 0);
        f->has_cursor = 1;
    }
    fail_msg("no last page");
}

static int id_desc(const void *a, const void *b)
{
    return -memcmp(a, b, AUDIT_ID_BYTES);
}

/* Blocks that overlap in id range (batches of interleaved records, a replay of old records
 * after newer ones, the same records again): every page newest first, each record once. */
static void query_merges_overlapping_blocks_and_replays_store_nothing_twice(void **state)
{
    char db[300], err[512];
    path_in_dir(db, sizeof(db), "merge.db");
    struct audit_sink *s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    static struct audit_record recs[300];
    int64_t t0 = 1796083200000000LL;
    for (int i = 0; i < 300; i++)
        fill(&recs[i], i, t0 + i * 10000);
    static struct audit_record evens[150], odds[150];
    for (int i = 0; i < 150; i++) {
        evens[i] = recs[2 * i];
        odds[i] = recs[2 * i + 1];
    }
    /* the newest 100 of each parity first, then the rest: blocks overlapping in every way */
    assert_ok(audit_sink_write(s, evens + 50, 100, err, sizeof(err)));
    assert_ok(audit_sink_write(s, odds + 50, 100, err, sizeof(err)));
    assert_ok(audit_sink_write(s, odds, 60, err, sizeof(err))); /* 50 new, 10 stored already */
    assert_ok(audit_sink_write(s, evens, 150, err, sizeof(err))); /* a replay: 50 new in the middle of stored ones */
    assert_ok(audit_sink_write(s, recs, 300, err, sizeof(err)));  /* everything again: nothing new */
    struct audit_record twice[2] = {recs[7], recs[7]};
    assert_ok(audit_sink_write(s, twice, 2, err, sizeof(err)));
    audit_sink_destroy(s);
    assert_int_equal(view_count(db, ""), 300);

    uint8_t want[300][AUDIT_ID_BYTES];
    for (int i = 0; i < 300; i++)
        memcpy(want[i], recs[i].id, AUDIT_ID_BYTES);
    qsort(want, 300, AUDIT_ID_BYTES, id_desc);
    static struct collected c;
    struct audit_filter f;
    int limits[] = {1, 7, 100, 299, 300, 1000};
    for (int l = 0; l < 6; l++) {
        audit_filter_init(&f);
        f.limit = limits[l];
        page_all(db, &f, &c);
        assert_int_equal(c.n, 300);
        assert_false(c.bad_order);
        assert_memory_equal(c.ids, want, sizeof(want));
    }
    /* filters and a time range over the overlapping blocks */
    audit_filter_init(&f);
    snprintf(f.model, sizeof(f.model), "gpt-4o");
    f.status = 502;
    f.since_us = t0 + 20 * 10000;
    f.until_us = t0 + 250 * 10000;
    f.limit = 3;
    page_all(db, &f, &c);
    int expect = 0;
    for (int i = 20; i < 250; i++)
        expect += i % 3 == 0 && i % 7 == 0;
    assert_int_equal(c.n, expect);
    assert_false(c.bad_order);
    audit_filter_init(&f);
    snprintf(f.key, sizeof(f.key), "k3");
    f.limit = 5;
    page_all(db, &f, &c);
    assert_int_equal(c.n, 75); /* i % 4 == 3 */
    audit_filter_init(&f);
    snprintf(f.model, sizeof(f.model), "no-such-model");
    page_all(db, &f, &c);
    assert_int_equal(c.n, 0);
    for (int i = 0; i < 300; i++)
        audit_record_free(&recs[i]);
}

/* Records made in queue slots keep an older record's bytes after each text's NUL: the
 * dictionaries compare texts, not fields (one entry for one model, another for a model that
 * shares its first bytes). */
static void dictionaries_ignore_bytes_after_the_text(void **state)
{
    char db[300], err[512];
    path_in_dir(db, sizeof(db), "dict.db");
    struct audit_sink *s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    static struct audit_record recs[40];
    for (int i = 0; i < 40; i++) {
        fill(&recs[i], i, 1796083200000000LL + i);
        memset(recs[i].model, 'a' + i % 26, sizeof(recs[i].model)); /* stale bytes */
        memset(recs[i].target, 'z' - i % 26, sizeof(recs[i].target));
        snprintf(recs[i].model, sizeof(recs[i].model), "%s", i % 3 ? "gpt-4o-mini" : "gpt-4o-mini-long");
        snprintf(recs[i].target, sizeof(recs[i].target), "%s", "mock/mock-1");
    }
    assert_ok(audit_sink_write(s, recs, 40, err, sizeof(err)));
    audit_sink_destroy(s);
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT models, targets FROM audit_block", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "[\"gpt-4o-mini-long\",\"gpt-4o-mini\"]");
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "[\"mock/mock-1\"]");
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_int_equal(view_count(db, "WHERE model = 'gpt-4o-mini'"), 26);
    assert_int_equal(view_count(db, "WHERE model = 'gpt-4o-mini-long' AND target = 'mock/mock-1'"), 14);
}

/* Whole blocks go, oldest first and in steps, once all of their records are past the cutoff. */
static void retention_drops_whole_blocks_past_the_cutoff(void **state)
{
    char db[300], err[512];
    path_in_dir(db, sizeof(db), "retention.db");
    struct audit_sink *s = audit_sink_sqlite_create(db, 1);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    int64_t now = 1796083200000000LL, day = 86400LL * 1000000;
    static struct audit_record recs[6000];
    /* 5,000 records two days old (20 blocks of 256 and one of 136: more than one step), then
     * 1,000 that straddle the cutoff within one block's span, then now */
    for (int i = 0; i < 6000; i++)
        fill(&recs[i], i, i < 5000 ? now - 2 * day + i : i < 5010 ? now - day - 5000 + (i - 5000) * 1000 : now + i);
    assert_ok(audit_sink_write(s, recs, 6000, err, sizeof(err)));
    int rc, steps = 0;
    while ((rc = audit_sink_maintain(s, now, err, sizeof(err))) == 1)
        steps++;
    assert_int_equal(rc, 0);
    assert_true(steps >= 1);
    audit_sink_destroy(s);
    /* the straddling block (records i = 5000..5009, the last 5 after the cutoff) stays whole */
    assert_int_equal(view_count(db, ""), 1000);
}

static void assert_index_matches_blocks(const char *db);

/* A store written before blocks: a table of one row per record (without parent_id, as the
 * oldest were). The writer moves its rows into blocks and makes audit_log a view; the query
 * refuses the old table with a clear message before that. */
static void old_table_is_migrated_into_blocks(void **state)
{
    char db[300], err[512];
    path_in_dir(db, sizeof(db), "old.db");
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h,
                                  "CREATE TABLE audit_log (id BLOB NOT NULL PRIMARY KEY, ts INTEGER NOT NULL, request_id TEXT,"
                                  " key_name TEXT, model TEXT, target TEXT, status INTEGER, error_code TEXT, attempts INTEGER,"
                                  " reasks INTEGER, stream INTEGER, latency_us INTEGER, ttft_us INTEGER, tokens_in INTEGER,"
                                  " tokens_out INTEGER, cost_usd REAL, guardrails TEXT, request_body TEXT, response_body TEXT)"
                                  " WITHOUT ROWID; CREATE INDEX audit_log_model ON audit_log(model, id);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    static struct audit_record recs[3000];
    int64_t t0 = 1796083200000000LL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "INSERT INTO audit_log VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                                        " ?14, ?15, ?16, ?17, ?18, ?19)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
    for (int i = 0; i < 3000; i++) {
        struct audit_record *r = &recs[i];
        fill(r, i, t0 + i * 1000);
        if (i % 11 == 0)
            r->request_body = strdup("old \"body\"");
        sqlite3_bind_blob(st, 1, r->id, AUDIT_ID_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, r->time_us);
        const char *texts[] = {r->request_id, r->key_name, r->model, r->target, r->error_code};
        int cols[] = {3, 4, 5, 6, 8};
        for (int k = 0; k < 5; k++) {
            if (texts[k][0])
                sqlite3_bind_text(st, cols[k], texts[k], -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(st, cols[k]);
        }
        sqlite3_bind_int(st, 7, r->status);
        sqlite3_bind_int(st, 9, r->attempts);
        sqlite3_bind_int(st, 10, r->reasks);
        sqlite3_bind_int(st, 11, r->stream);
        sqlite3_bind_int64(st, 12, r->latency_us);
        if (r->ttft_us > 0)
            sqlite3_bind_int64(st, 13, r->ttft_us);
        else
            sqlite3_bind_null(st, 13);
        if (r->tokens_in >= 0) {
            sqlite3_bind_int64(st, 14, r->tokens_in);
            sqlite3_bind_int64(st, 15, r->tokens_out);
        } else {
            sqlite3_bind_null(st, 14);
            sqlite3_bind_null(st, 15);
        }
        if (r->cost_usd >= 0)
            sqlite3_bind_double(st, 16, r->cost_usd);
        else
            sqlite3_bind_null(st, 16);
        sqlite3_bind_null(st, 17);
        if (r->request_body)
            sqlite3_bind_text(st, 18, r->request_body, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 18);
        sqlite3_bind_null(st, 19);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);

    struct config_audit cfg = {.sink = CONFIG_AUDIT_SQLITE, .path = db};
    struct audit_filter f;
    audit_filter_init(&f);
    char next[AUDIT_ID_HEX];
    static struct collected c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(audit_query_run(&cfg, &f, collect_row, &c, next, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "older Warden"));

    struct audit_sink *s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    struct audit_record more;
    fill(&more, 3000, t0 + 3000 * 1000);
    assert_ok(audit_sink_write(s, &more, 1, err, sizeof(err)));
    assert_ok(audit_sink_write(s, recs, 100, err, sizeof(err))); /* migrated records are known: a replay adds nothing */
    audit_sink_destroy(s);
    assert_int_equal(view_count(db, ""), 3001);
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT type FROM sqlite_master WHERE name = 'audit_log'", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "view");
    sqlite3_finalize(st);
    for (int i = 0; i < 3000; i += 7)
        assert_view_row(h, &recs[i]);
    sqlite3_close(h);
    /* a second start finds nothing to migrate */
    s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    audit_sink_destroy(s);
    assert_int_equal(view_count(db, ""), 3001);
    assert_index_matches_blocks(db);
    f.limit = 10;
    memset(&c, 0, sizeof(c));
    assert_ok(audit_query_run(&cfg, &f, collect_row, &c, next, err, sizeof(err)));
    assert_int_equal(c.n, 10);
    assert_memory_equal(c.ids[0], more.id, AUDIT_ID_BYTES);
    for (int i = 0; i < 3000; i++)
        audit_record_free(&recs[i]);
}

/* ---- the term index and the combos ---- */

static long sql_count(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(h));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* What the term rows and the combos of the store's blocks must be, from their records (json_each
 * over recs, as the view reads them): the same sets, both ways; no term of a block that is gone. */
#define EXPECTED_TERMS                                                                                                       \
    "SELECT DISTINCT 0, b.models ->> (r.value ->> 2), b.last_id, b.seq FROM audit_block AS b, json_each(b.recs) AS r"       \
    " WHERE r.value ->> 2 IS NOT NULL UNION SELECT DISTINCT 1, b.keys ->> (r.value ->> 3), b.last_id, b.seq FROM"          \
    " audit_block AS b, json_each(b.recs) AS r WHERE r.value ->> 3 IS NOT NULL UNION SELECT DISTINCT 2, r.value ->> 1,"    \
    " b.last_id, b.seq FROM audit_block AS b, json_each(b.recs) AS r"
#define STORED_TERMS "SELECT kind, value, last_id, seq FROM audit_block_term"
#define EXPECTED_COMBOS                                                                                                      \
    "SELECT DISTINCT b.seq, r.value ->> 2, r.value ->> 3, r.value ->> 1 FROM audit_block AS b, json_each(b.recs) AS r"
#define STORED_COMBOS                                                                                                        \
    "SELECT b.seq, c.value, b.combos ->> (c.key + 1), b.combos ->> (c.key + 2) FROM audit_block AS b,"                     \
    " json_each(b.combos) AS c WHERE c.key % 3 = 0"

/* Fails with the first row of a query that should return none. */
static void assert_no_rows(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(h));
    if (sqlite3_step(st) == SQLITE_ROW) {
        char row[512];
        int n = 0;
        for (int i = 0; i < sqlite3_column_count(st) && n < 400; i++)
            n += snprintf(row + n, sizeof(row) - (size_t)n, "%s%s", i ? " | " : "",
                          sqlite3_column_type(st, i) == SQLITE_BLOB ? "(blob)"
                          : sqlite3_column_text(st, i)               ? (const char *)sqlite3_column_text(st, i)
                                                                     : "NULL");
        fail_msg("unexpected row [%s] of %s", row, sql);
    }
    sqlite3_finalize(st);
}

static void assert_index_matches_blocks(const char *db)
{
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_true(sql_count(h, "SELECT count(*) FROM audit_block_term") > 0);
    assert_no_rows(h, "SELECT * FROM (" EXPECTED_TERMS ") EXCEPT SELECT * FROM (" STORED_TERMS ")");
    assert_no_rows(h, "SELECT * FROM (" STORED_TERMS ") EXCEPT SELECT * FROM (" EXPECTED_TERMS ")");
    assert_no_rows(h, "SELECT * FROM (" EXPECTED_COMBOS ") EXCEPT SELECT * FROM (" STORED_COMBOS ")");
    assert_no_rows(h, "SELECT * FROM (" STORED_COMBOS ") EXCEPT SELECT * FROM (" EXPECTED_COMBOS ")");
    /* no triple twice in a block */
    assert_int_equal(sql_count(h, "SELECT (SELECT count(*) FROM (" STORED_COMBOS ")) - (SELECT count(*) FROM (" EXPECTED_COMBOS
                                  "))"),
                     0);
    sqlite3_close(h);
}

/* The term rows and combos are written with their blocks (fresh batches, a replay, a batch
 * that mixes both) and deleted with them by retention. */
static void term_rows_and_combos_follow_their_blocks(void **state)
{
    char db[300], err[512];
    path_in_dir(db, sizeof(db), "terms.db");
    struct audit_sink *s = audit_sink_sqlite_create(db, 1);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    int64_t now = 1796083200000000LL, day = 86400LL * 1000000;
    static struct audit_record recs[3000];
    for (int i = 0; i < 3000; i++) {
        fill(&recs[i], i, i < 1500 ? now - 3 * day + i * 1000 : now + i * 1000);
        if (i % 97 == 0)
            snprintf(recs[i].model, sizeof(recs[i].model), "bad\xff\xfe-model"); /* one term: both bytes read as U+FFFD */
        if (i % 89 == 0)
            snprintf(recs[i].key_name, sizeof(recs[i].key_name), "key \"quoted\"\n");
    }
    assert_ok(audit_sink_write(s, recs + 1500, 1500, err, sizeof(err)));
    assert_ok(audit_sink_write(s, recs, 1000, err, sizeof(err)));        /* old records, late */
    assert_ok(audit_sink_write(s, recs + 900, 700, err, sizeof(err)));   /* half of it stored already */
    assert_index_matches_blocks(db);
    int rc;
    while ((rc = audit_sink_maintain(s, now, err, sizeof(err))) == 1)
        ;
    assert_int_equal(rc, 0);
    audit_sink_destroy(s);
    assert_int_equal(view_count(db, ""), 1500);
    assert_index_matches_blocks(db);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sql_count(h, "SELECT count(*) FROM audit_block_term WHERE seq NOT IN (SELECT seq FROM audit_block)"), 0);
    sqlite3_close(h);
    for (int i = 0; i < 3000; i++)
        audit_record_free(&recs[i]);
}

/* ---- the query against a brute-force filter ---- */

static const char *const eq_models[] = {"gpt-4o", "o3", "rare-model", "claude-sonnet-4", ""};
static const char *const eq_keys[] = {"", "alpha", "beta", "rare-key"};
static const int eq_statuses[] = {200, 200, 200, 429, 500, 503};

struct id_list {
    size_t n, cap;
    uint8_t (*ids)[AUDIT_ID_BYTES];
    int bad_order;
};

static void list_row(void *ud, const struct audit_record *r)
{
    struct id_list *l = ud;
    if (l->n > 0 && memcmp(r->id, l->ids[l->n - 1], AUDIT_ID_BYTES) >= 0)
        l->bad_order = 1;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->ids = realloc(l->ids, l->cap * sizeof(*l->ids));
    }
    memcpy(l->ids[l->n++], r->id, AUDIT_ID_BYTES);
}

static int record_desc(const void *a, const void *b)
{
    return -memcmp(((const struct audit_record *)a)->id, ((const struct audit_record *)b)->id, AUDIT_ID_BYTES);
}

static int brute_match(const struct audit_record *r, const struct audit_filter *f)
{
    return r->time_us >= f->since_us && (f->until_us == 0 || r->time_us < f->until_us) &&
           (!f->model[0] || !strcmp(r->model, f->model)) && (!f->key[0] || !strcmp(r->key_name, f->key)) &&
           (!f->status || r->status == f->status);
}

/* Checks every page of f's query (limit and cursor) against a scan of recs[0..n) (sorted newest
 * first, distinct). */
static void assert_query_equals_brute_force(const char *db, const struct audit_filter *f0, const struct audit_record *recs,
                                            size_t n)
{
    struct config_audit cfg = {.sink = CONFIG_AUDIT_SQLITE, .path = (char *)db};
    struct audit_filter f = *f0;
    struct id_list got = {0};
    char next[AUDIT_ID_HEX], err[512];
    size_t pages = 0;
    for (;; pages++) {
        size_t before = got.n;
        assert_ok(audit_query_run(&cfg, &f, list_row, &got, next, err, sizeof(err)));
        assert_true(got.n - before <= (size_t)f.limit);
        if (!next[0])
            break;
        assert_int_equal(got.n - before, f.limit); /* a page before the last is full */
        assert_int_equal(audit_id_from_hex(next, strlen(next), f.cursor), 0);
        f.has_cursor = 1;
        assert_true(pages < 10000);
    }
    assert_false(got.bad_order);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!brute_match(&recs[i], f0))
            continue;
        if (k >= got.n || memcmp(got.ids[k], recs[i].id, AUDIT_ID_BYTES) != 0)
            fail_msg("filter model=%s key=%s status=%d since=%lld until=%lld limit=%d: record %zu differs (%zu returned)",
                     f0->model, f0->key, f0->status, (long long)f0->since_us, (long long)f0->until_us, f0->limit, k, got.n);
        k++;
    }
    assert_int_equal(k, got.n);
    free(got.ids);
}

/* Random records written in random batches that overlap in id range (batches of interleaved
 * times, old records replayed late, records written twice): every filter's pages, with every
 * limit, hold exactly the records a scan finds, newest first. */
static void query_equals_a_brute_force_filter_over_overlapping_blocks(void **state)
{
    char db[300], err[512];
    path_in_dir(db, sizeof(db), "brute.db");
    enum { N = 6000 };
    static struct audit_record recs[N];
    srand(12345);
    int64_t t0 = 1796083200000000LL;
    for (int i = 0; i < N; i++) {
        fill(&recs[i], i, t0 + (int64_t)(rand() % 3600) * 1000000 + rand() % 1000000);
        int m = rand() % 100, k = rand() % 100;
        snprintf(recs[i].model, sizeof(recs[i].model), "%s", eq_models[m < 2 ? 2 : m < 4 ? 4 : m % 2 ? 0 : m % 4 ? 1 : 3]);
        snprintf(recs[i].key_name, sizeof(recs[i].key_name), "%s", eq_keys[k < 1 ? 3 : k < 20 ? 0 : 1 + k % 2]);
        recs[i].status = rand() % 500 == 0 ? 503 : eq_statuses[rand() % 5];
    }
    struct audit_sink *s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    /* batches in the order made (random times: every batch spans the hour), then replays */
    for (int i = 0; i < N;) {
        int b = 1 + rand() % 700;
        if (b > N - i)
            b = N - i;
        assert_ok(audit_sink_write(s, recs + i, (size_t)b, err, sizeof(err)));
        if (rand() % 3 == 0) {
            int from = rand() % (i + b), len = 1 + rand() % 300;
            assert_ok(audit_sink_write(s, recs + from, (size_t)(from + len > N ? N - from : len), err, sizeof(err)));
        }
        i += b;
    }
    audit_sink_destroy(s);
    assert_int_equal(view_count(db, ""), N);
    assert_index_matches_blocks(db);
    qsort(recs, N, sizeof(recs[0]), record_desc);
    for (int q = 0; q < 120; q++) {
        struct audit_filter f;
        audit_filter_init(&f);
        int pick = rand();
        if (pick & 1)
            snprintf(f.model, sizeof(f.model), "%s", eq_models[rand() % 4]);
        if (pick & 2)
            snprintf(f.key, sizeof(f.key), "%s", eq_keys[1 + rand() % 3]);
        if (pick & 4)
            f.status = eq_statuses[rand() % 6];
        if (pick & 8)
            f.since_us = t0 + (int64_t)(rand() % 3600) * 1000000;
        if (pick & 16)
            f.until_us = (f.since_us ? f.since_us : t0) + (int64_t)(1 + rand() % 1800) * 1000000;
        if (q % 10 == 0)
            snprintf(f.model, sizeof(f.model), "no-such-model");
        f.limit = (pick >> 5) % 4 == 0 ? 1 + rand() % 5 : (pick >> 5) % 4 == 1 ? 1000 : 1 + rand() % 300;
        assert_query_equals_brute_force(db, &f, recs, N);
    }
    /* the filters the bench names: a status and a model that are in every block, rarely on one record */
    struct audit_filter f;
    audit_filter_init(&f);
    snprintf(f.model, sizeof(f.model), "rare-model");
    f.status = 503;
    f.limit = 7;
    assert_query_equals_brute_force(db, &f, recs, N);
    for (int i = 0; i < N; i++)
        audit_record_free(&recs[i]);
}

/* A store of the first block version (no combos column, no term index) is upgraded when the
 * writer opens it: one transaction, every block kept, its terms and combos as if written new.
 * The query refuses it with a clear message before that. */
static void blocks_without_an_index_are_indexed_at_open(void **state)
{
    char db[300], err[512];
    path_in_dir(db, sizeof(db), "v1.db");
    static struct audit_record recs[2000];
    int64_t t0 = 1796083200000000LL;
    for (int i = 0; i < 2000; i++)
        fill(&recs[i], i, t0 + (i * 7919 % 2000) * 1000); /* interleaved: blocks overlap */
    struct audit_sink *s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    for (int i = 0; i < 2000; i += 500)
        assert_ok(audit_sink_write(s, recs + i, 500, err, sizeof(err)));
    audit_sink_destroy(s);
    /* back to the first version's schema, byte for byte what it wrote apart from combos */
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    if (sqlite3_exec(h,
                     "BEGIN; DROP TABLE audit_block_term; DROP VIEW audit_log; DROP INDEX audit_block_last;"
                     "CREATE TABLE v1 (seq INTEGER PRIMARY KEY, last_id BLOB NOT NULL, first_id BLOB NOT NULL,"
                     " n INTEGER NOT NULL, ts_min INTEGER NOT NULL, ts_max INTEGER NOT NULL, models TEXT NOT NULL, keys TEXT NOT NULL,"
                     " targets TEXT NOT NULL, statuses TEXT NOT NULL, ids BLOB NOT NULL, recs TEXT NOT NULL);"
                     "INSERT INTO v1 SELECT seq, last_id, first_id, n, ts_min, ts_max, models, keys, targets, statuses, ids, recs"
                     " FROM audit_block; DROP TABLE audit_block; ALTER TABLE v1 RENAME TO audit_block;"
                     "CREATE UNIQUE INDEX audit_block_last ON audit_block(last_id); COMMIT",
                     NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s", sqlite3_errmsg(h));
    long blocks = sql_count(h, "SELECT count(*) FROM audit_block");
    sqlite3_close(h);
    struct config_audit cfg = {.sink = CONFIG_AUDIT_SQLITE, .path = db};
    struct audit_filter f;
    audit_filter_init(&f);
    struct id_list got = {0};
    char next[AUDIT_ID_HEX];
    assert_int_equal(audit_query_run(&cfg, &f, list_row, &got, next, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "indexes the blocks"));

    s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    struct audit_record more;
    fill(&more, 2000, t0 + 5000 * 1000);
    assert_ok(audit_sink_write(s, &more, 1, err, sizeof(err)));
    assert_ok(audit_sink_write(s, recs, 300, err, sizeof(err))); /* stored already: nothing new */
    audit_sink_destroy(s);
    assert_int_equal(view_count(db, ""), 2001);
    assert_index_matches_blocks(db);
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sql_count(h, "SELECT count(*) FROM audit_block"), blocks + 1);
    assert_int_equal(sql_count(h, "SELECT count(*) FROM sqlite_master WHERE name = 'audit_block_v1'"), 0);
    for (int i = 0; i < 2000; i += 13)
        assert_view_row(h, &recs[i]);
    sqlite3_close(h);
    static struct audit_record all[2001];
    memcpy(all, recs, sizeof(recs));
    all[2000] = more;
    qsort(all, 2001, sizeof(all[0]), record_desc);
    snprintf(f.model, sizeof(f.model), "gpt-4o");
    f.status = 502;
    f.limit = 9;
    assert_query_equals_brute_force(db, &f, all, 2001);
    audit_filter_init(&f);
    snprintf(f.key, sizeof(f.key), "k3");
    f.limit = 50;
    assert_query_equals_brute_force(db, &f, all, 2001);
    /* a second start finds nothing to upgrade */
    s = audit_sink_sqlite_create(db, 0);
    assert_ok(audit_sink_connect(s, err, sizeof(err)));
    audit_sink_destroy(s);
    assert_index_matches_blocks(db);
    for (int i = 0; i < 2000; i++)
        audit_record_free(&recs[i]);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/warden-audit-block-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hostile_texts_are_valid_json_and_read_back),
        cmocka_unit_test(full_length_fields_of_escapes_read_back),
        cmocka_unit_test(costs_read_back_exactly),
        cmocka_unit_test(malformed_block_text_is_an_error_not_a_crash),
        cmocka_unit_test(mutated_blocks_never_read_past_their_end),
        cmocka_unit_test(view_columns_equal_what_was_written),
        cmocka_unit_test(query_merges_overlapping_blocks_and_replays_store_nothing_twice),
        cmocka_unit_test(dictionaries_ignore_bytes_after_the_text),
        cmocka_unit_test(retention_drops_whole_blocks_past_the_cutoff),
        cmocka_unit_test(old_table_is_migrated_into_blocks),
        cmocka_unit_test(term_rows_and_combos_follow_their_blocks),
        cmocka_unit_test(query_equals_a_brute_force_filter_over_overlapping_blocks),
        cmocka_unit_test(blocks_without_an_index_are_indexed_at_open),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), getenv("KEEP_TEST_DIR") ? "true %s" : "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
