/* Audit queries over SQLite (read-only connection) and PostgreSQL; see query.h. */
#include "audit/query.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/block.h"
#include "audit/sqlite_schema.h"
#include "util/alloc.h"
#include "util/err.h"

void audit_filter_init(struct audit_filter *f)
{
    memset(f, 0, sizeof(*f));
    f->limit = 100;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* timegm() would roll 2026-02-30 over into March: a day past the month's end is an error. */
static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

int audit_parse_rfc3339(const char *s, int64_t *out_us)
{
    int Y, M, D, h, m, sec;
    if (strlen(s) < 20 || digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' || digits(s + 8, 2, &D) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &m) ||
        s[16] != ':' || digits(s + 17, 2, &sec))
        return -1;
    if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 || m > 59 || sec > 60)
        return -1;
    const char *p = s + 19;
    int64_t frac_us = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        int64_t scale = 100000;
        while (isdigit((unsigned char)*p)) {
            if (n < 6)
                frac_us += (*p - '0') * scale, scale /= 10;
            p++, n++;
        }
        if (n == 0)
            return -1;
    }
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset_s = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h, .tm_min = m, .tm_sec = sec};
    time_t t = timegm(&tm);
    *out_us = ((int64_t)t - offset_s) * 1000000 + frac_us;
    return 0;
}

void audit_format_rfc3339(int64_t us, char out[40])
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
             tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, (int)((us % 1000000 + 1000000) % 1000000));
}

int audit_filter_set(struct audit_filter *f, const char *name, const char *value, char *err, size_t errsz)
{
    if (!strcmp(name, "since") || !strcmp(name, "until")) {
        int64_t *dst = name[0] == 's' ? &f->since_us : &f->until_us;
        if (audit_parse_rfc3339(value, dst) != 0) {
            util_set_err(err, errsz, "%s: expected an RFC 3339 time like 2026-11-30T23:00:00Z", name);
            return -1;
        }
        /* until 0 means none (the filter's zero): until=1970-01-01T00:00:00Z, or anything
         * earlier, returned every record instead of none */
        if (*dst < 0 || (*dst == 0 && name[0] == 'u')) {
            util_set_err(err, errsz, "%s: expected a time after 1970-01-01T00:00:00Z", name);
            return -1;
        }
        return 0;
    }
    if (!strcmp(name, "model") || !strcmp(name, "key")) {
        char *dst = name[0] == 'm' ? f->model : f->key;
        size_t cap = name[0] == 'm' ? sizeof(f->model) : sizeof(f->key);
        if (strlen(value) >= cap || *value == '\0') {
            util_set_err(err, errsz, "%s: expected 1 to %zu characters", name, cap - 1);
            return -1;
        }
        snprintf(dst, cap, "%s", value);
        return 0;
    }
    if (!strcmp(name, "status") || !strcmp(name, "limit")) {
        char *end;
        long v = strtol(value, &end, 10);
        int is_status = name[0] == 's';
        long lo = is_status ? 100 : 1, hi = is_status ? 599 : AUDIT_QUERY_LIMIT_MAX;
        if (*value == '\0' || *end != '\0' || v < lo || v > hi) {
            util_set_err(err, errsz, "%s: expected an integer from %ld to %ld", name, lo, hi);
            return -1;
        }
        if (is_status)
            f->status = (int)v;
        else
            f->limit = (int)v;
        return 0;
    }
    if (!strcmp(name, "cursor")) {
        if (audit_id_from_hex(value, strlen(value), f->cursor) != 0) {
            util_set_err(err, errsz, "cursor: not a cursor returned by an earlier page");
            return -1;
        }
        f->has_cursor = 1;
        return 0;
    }
    return 1;
}

static size_t url_decode(const char *s, size_t n, char *out, size_t outsz)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < outsz; i++) {
        if (s[i] == '+') {
            out[k++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            out[k++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    return k;
}

int audit_filter_from_query(struct audit_filter *f, const char *q, size_t len, char *err, size_t errsz)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && q[j] != '&')
            j++;
        if (j > i) {
            const char *eq = memchr(q + i, '=', j - i);
            size_t nlen = eq ? (size_t)(eq - (q + i)) : j - i;
            char name[32], value[512];
            size_t name_len = url_decode(q + i, nlen, name, sizeof(name)), value_len = 0;
            if (eq)
                value_len = url_decode(eq + 1, (size_t)(q + j - eq - 1), value, sizeof(value));
            else
                value[0] = '\0';
            /* a %00 would cut the text short: model=a%00b filtered by "a" */
            if (strlen(name) != name_len || strlen(value) != value_len) {
                util_set_err(err, errsz, "parameter '%.31s': a NUL byte (%%00) is not allowed", name);
                return -1;
            }
            int rc = audit_filter_set(f, name, value, err, errsz);
            if (rc < 0)
                return -1;
            if (rc == 1) {
                util_set_err(err, errsz, "unknown parameter '%.31s' (since, until, model, key, status, limit, cursor)", name);
                return -1;
            }
        }
        i = j + 1;
    }
    return 0;
}

/* ---- SQLite: the blocks (sqlite_schema.h) ----
 *
 * The newest limit + 1 matching records (one more tells whether there is a next page) are
 * kept in a min-heap by id while the blocks are walked by last_id, newest first. Blocks
 * overlap in id range, so a block below the newest kept records may still hold newer ones;
 * the walk stops when the heap is full and the next block's last_id is below its smallest
 * id: no later block can hold a record that belongs in the page. Which blocks are read: see
 * query_sqlite. */

struct top_records {
    struct audit_record *slots; /* cap records; heap points into it */
    struct audit_record **heap; /* min-heap by id */
    size_t n, cap;
};

static int id_cmp(const struct audit_record *a, const struct audit_record *b)
{
    return memcmp(a->id, b->id, AUDIT_ID_BYTES);
}

static void heap_sift_down(struct top_records *t, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < t->n && id_cmp(t->heap[l], t->heap[m]) < 0)
            m = l;
        if (l + 1 < t->n && id_cmp(t->heap[l + 1], t->heap[m]) < 0)
            m = l + 1;
        if (m == i)
            return;
        struct audit_record *x = t->heap[i];
        t->heap[i] = t->heap[m];
        t->heap[m] = x;
        i = m;
    }
}

/* The slot the next record is read into: a free one, or the smallest kept (the caller has
 * checked that the new record is newer). */
static struct audit_record *top_slot(struct top_records *t)
{
    if (t->n < t->cap)
        return &t->slots[t->n];
    audit_record_free(t->heap[0]);
    return t->heap[0];
}

static void top_add(struct top_records *t, struct audit_record *r)
{
    if (t->n < t->cap) {
        size_t i = t->n++;
        t->heap[i] = r;
        while (i > 0 && id_cmp(t->heap[i], t->heap[(i - 1) / 2]) < 0) {
            struct audit_record *x = t->heap[i];
            t->heap[i] = t->heap[(i - 1) / 2];
            t->heap[(i - 1) / 2] = x;
            i = (i - 1) / 2;
        }
    } else {
        heap_sift_down(t, 0); /* r is heap[0]'s slot, refilled */
    }
}

static int newest_first(const void *a, const void *b)
{
    return -id_cmp(*(struct audit_record *const *)a, *(struct audit_record *const *)b);
}

/* A filter text as the blocks hold it: the JSON literal (the summary's needle) and its
 * decoded form (what a record's field reads back as: invalid UTF-8 is U+FFFD there too). */
static void filter_text(const char *value, struct audit_text *needle, char *norm, size_t normsz)
{
    needle->len = 0;
    audit_json_string(needle, value, strlen(value));
    if (audit_json_string_decode(needle->p, needle->len, norm, normsz) != 0)
        norm[0] = '\0';
    audit_text_reserve(needle, 1);
    needle->p[needle->len] = '\0';
}

/* A model or key filter as the places of one block's dictionary: every entry that reads as
 * the filter's text. Distinct entries may read alike (the writer keeps texts apart by their
 * bytes, and every byte that is not UTF-8 reads as U+FFFD): a filter takes them all. */
struct block_filter {
    size_t n_models, n_keys;
    uint8_t model[AUDIT_BLOCK_RECORDS], key[AUDIT_BLOCK_RECORDS];
};

static int dict_match(const char *entries, size_t size, size_t n, const char *text, uint8_t match[AUDIT_BLOCK_RECORDS])
{
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        match[i] = strcmp(entries + i * size, text) == 0;
        any |= match[i];
    }
    return any;
}

/* 0 when the model or key filter names no entry of the block's dictionaries (no record of
 * the block matches), else 1 with bf set. */
static int block_filter_set(struct block_filter *bf, const struct audit_block_dict *dict, const struct audit_filter *f,
                            const char *model, const char *key)
{
    bf->n_models = dict->n_models;
    bf->n_keys = dict->n_keys;
    if (f->model[0] && !dict_match(dict->models[0], sizeof(dict->models[0]), dict->n_models, model, bf->model))
        return 0;
    if (f->key[0] && !dict_match(dict->keys[0], sizeof(dict->keys[0]), dict->n_keys, key, bf->key))
        return 0;
    return 1;
}

/* Whether places (a record's, or a combo's) pass the model and key filters. */
static int refs_match(const struct block_filter *bf, const struct audit_filter *f, int64_t model_ref, int64_t key_ref)
{
    return (!f->model[0] || (model_ref >= 0 && (size_t)model_ref < bf->n_models && bf->model[model_ref])) &&
           (!f->key[0] || (key_ref >= 0 && (size_t)key_ref < bf->n_keys && bf->key[key_ref]));
}

/* Reads the records of one block into the heap. 0, or -1 when its text is malformed. The
 * filters are compared as places in the block's dictionaries (bf). */
static int scan_block(const uint8_t *ids, size_t n_ids, const char *recs, size_t len, int64_t ts_min,
                      const struct audit_block_dict *dict, const struct audit_filter *f, const struct block_filter *bf,
                      const uint8_t lo[AUDIT_ID_BYTES], const uint8_t hi[AUDIT_ID_BYTES], struct top_records *t)
{
    struct audit_block_reader rd;
    audit_block_reader_init(&rd, recs, len, ts_min, dict);
    struct audit_record head; /* time and status only */
    for (size_t i = 0;; i++) {
        int rc = audit_block_read_head(&rd, &head);
        if (rc == 0)
            return i == n_ids ? 0 : -1;
        if (rc < 0 || i >= n_ids)
            return -1;
        const uint8_t *id = ids + i * AUDIT_ID_BYTES;
        int keep = (!f->status || head.status == f->status) && refs_match(bf, f, rd.model_ref, rd.key_ref) &&
                   memcmp(id, lo, AUDIT_ID_BYTES) >= 0 &&
                   memcmp(id, hi, AUDIT_ID_BYTES) < 0 && (t->n < t->cap || memcmp(id, t->heap[0]->id, AUDIT_ID_BYTES) > 0);
        if (!keep) {
            if (audit_block_skip_rest(&rd) != 0)
                return -1;
            continue;
        }
        struct audit_record *r = top_slot(t);
        memcpy(r->id, id, AUDIT_ID_BYTES);
        r->time_us = head.time_us;
        r->status = head.status;
        if (audit_block_read_rest(&rd, r) != 0) {
            memset(r, 0, sizeof(*r)); /* its slot is reused or freed: nothing of it is owned */
            if (t->n == t->cap)
                heap_sift_down(t, 0);
            return -1;
        }
        top_add(t, r);
    }
}

/* ---- SQLite: the term index and the combos (sqlite_schema.h) ---- */

/* 0 when combos (a block's distinct (model, key, status) triples, a flat JSON array with places
 * in its dictionaries, null for none) shows that no record of the block matches every filter;
 * 1 when one may (also for a combos that is "" or does not read: the records decide). */
static int combos_may_match(const char *p, size_t len, const struct audit_filter *f, const struct block_filter *bf)
{
    if (p == NULL || len < 2 || *p != '[')
        return 1;
    const char *end = p + len;
    p++;
    int64_t v[3];
    int k = 0;
    for (;;) {
        if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
            v[k] = -1;
            p += 4;
        } else {
            int neg = p < end && *p == '-';
            const char *s = p += neg;
            int64_t x = 0;
            while (p < end && *p >= '0' && *p <= '9' && p - s < 10)
                x = x * 10 + (*p++ - '0');
            if (p == s)
                return 1;
            v[k] = neg ? -x : x;
        }
        if (++k == 3) {
            if (refs_match(bf, f, v[0], v[1]) && (!f->status || v[2] == f->status))
                return 1;
            k = 0;
        }
        if (p >= end)
            return 1;
        if (*p == ']')
            return k != 0 || p + 1 != end; /* every triple read and none matched: 0 */
        if (*p++ != ',')
            return 1;
    }
}

/* A filter as a row of audit_block_term. */
struct term {
    int kind;
    const char *text; /* model and key (as the blocks' dictionaries decode); NULL for a status */
    int status;
    long count;       /* its blocks in the id range */
};

static void bind_term(sqlite3_stmt *st, int at, const struct term *t)
{
    sqlite3_bind_int(st, at, t->kind);
    if (t->text)
        sqlite3_bind_text(st, at + 1, t->text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int(st, at + 1, t->status);
}

/* Counts each term's blocks in [lo, top) and puts the rarest first: the walk follows it and
 * asks the index for the others. -1 on an SQLite error. */
static int order_terms(sqlite3 *db, struct term *terms, int n, const uint8_t *lo, const uint8_t *top)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM audit_block_term WHERE kind = ?1 AND value = ?2 AND last_id >= ?3"
                               " AND last_id < ?4", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_blob(st, 3, lo, AUDIT_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, top, AUDIT_ID_BYTES, SQLITE_STATIC);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        bind_term(st, 1, &terms[i]);
        rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
        terms[i].count = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        if (i > 0 && terms[i].count < terms[0].count) {
            struct term x = terms[0];
            terms[0] = terms[i];
            terms[i] = x;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* The message for a store this version cannot query. */
static void store_error(sqlite3 *db, const char *path, char *err, size_t errsz)
{
    sqlite3_stmt *st = NULL;
    int rows = 0, terms = 0;
    if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('audit_log', 'audit_block_term')",
                           -1, &st, NULL) == SQLITE_OK)
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 0);
            rows |= name && !strcmp(name, "audit_log");
            terms |= name && !strcmp(name, "audit_block_term");
        }
    sqlite3_finalize(st);
    if (rows || !terms)
        util_set_err(err, errsz,
                     "audit store %s was written by an older Warden (%s): start Warden with it once, which %s, then query"
                     " again",
                     path, rows ? "one row per record" : "blocks without an index",
                     rows ? "moves the rows into blocks" : "indexes the blocks");
    else
        util_set_err(err, errsz, "audit store %s: %s", path, sqlite3_errmsg(db));
}

/* The blocks are walked newest last_id first: with a model, key or status filter through the
 * term index (the rarest term's rows, in (kind, value, last_id) order; the other terms looked
 * up in it), so that a filter that few blocks match reads few rows; without one, through
 * audit_block's last_id index. The walk reads the summary columns only; a block's records
 * (the ids and recs columns, its overflow pages) are read, by seq, when its dictionaries hold
 * the filter's model and key and its combos a triple that matches all filters. The walk is in
 * last_id order whatever order the blocks were written in (a replay stores old records late),
 * so the stop rule above holds: a block left out has no matching record. */
static int query_sqlite(const struct config_audit *cfg, const struct audit_filter *f, audit_row_cb on_row, void *ud,
                        char next_cursor[AUDIT_ID_HEX], char *err, size_t errsz)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL, *body = NULL;
    int rc = -1;
    struct top_records t = {0};
    struct audit_block_dict *dict = NULL;
    struct block_filter bf[1]; /* the model and key filters as places of the current block's dictionaries */
    struct audit_text model_needle = {0}, key_needle = {0};
    char model[sizeof(f->model) * 3], key[sizeof(f->key) * 3];
    if (sqlite3_open_v2(cfg->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        util_set_err(err, errsz, "audit store %s: %s", cfg->path, db ? sqlite3_errmsg(db) : "cannot open");
        goto out;
    }
    sqlite3_busy_timeout(db, 2000);
    uint8_t lo[AUDIT_ID_BYTES], hi[AUDIT_ID_BYTES], top[AUDIT_ID_BYTES];
    audit_id_for_time(f->since_us, lo);
    if (f->until_us > 0)
        audit_id_for_time(f->until_us, hi);
    else
        memset(hi, 0xff, sizeof(hi));
    if (f->has_cursor && memcmp(f->cursor, hi, AUDIT_ID_BYTES) < 0)
        memcpy(hi, f->cursor, AUDIT_ID_BYTES);
    memset(top, 0xff, sizeof(top));
    if (hi[0] != 0xff) { /* a block that begins below hi ends below hi's time plus a block's span */
        int64_t hi_us = 0;
        for (int i = 0; i < 8; i++)
            hi_us = hi_us << 8 | hi[i];
        audit_id_for_time(hi_us + AUDIT_BLOCK_SPAN_US + 1, top);
    }
    struct term terms[3];
    int n_terms = 0;
    if (f->model[0]) {
        filter_text(f->model, &model_needle, model, sizeof(model));
        terms[n_terms++] = (struct term){AUDIT_TERM_MODEL, model, 0, 0};
    }
    if (f->key[0]) {
        filter_text(f->key, &key_needle, key, sizeof(key));
        terms[n_terms++] = (struct term){AUDIT_TERM_KEY, key, 0, 0};
    }
    if (f->status)
        terms[n_terms++] = (struct term){AUDIT_TERM_STATUS, NULL, f->status, 0};
    char sql[1024];
    if (n_terms == 0) {
        snprintf(sql, sizeof(sql), "SELECT seq, last_id, ts_min, models, keys, targets, combos FROM audit_block"
                                   " WHERE last_id >= ?1 AND last_id < ?3 AND first_id < ?2 ORDER BY last_id DESC");
    } else {
        if (n_terms > 1 && order_terms(db, terms, n_terms, lo, top) != 0) {
            store_error(db, cfg->path, err, errsz);
            goto out;
        }
        /* CROSS JOIN: the term index is the outer loop, in its order; a block by its rowid */
        int n = snprintf(sql, sizeof(sql),
                         "SELECT b.seq, b.last_id, b.ts_min, b.models, b.keys, b.targets, b.combos FROM audit_block_term AS t"
                         " CROSS JOIN audit_block AS b ON b.seq = t.seq WHERE t.kind = ?4 AND t.value = ?5 AND t.last_id >= ?1"
                         " AND t.last_id < ?3 AND b.last_id = t.last_id AND b.first_id < ?2");
        for (int i = 1; i < n_terms; i++)
            n += snprintf(sql + n, sizeof(sql) - (size_t)n,
                          " AND EXISTS (SELECT 1 FROM audit_block_term AS u WHERE u.kind = ?%d AND u.value = ?%d"
                          " AND u.last_id = t.last_id)",
                          4 + 2 * i, 5 + 2 * i);
        snprintf(sql + n, sizeof(sql) - (size_t)n, " ORDER BY t.last_id DESC");
    }
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT ids, recs FROM audit_block WHERE seq = ?1", -1, &body, NULL) != SQLITE_OK) {
        store_error(db, cfg->path, err, errsz);
        goto out;
    }
    sqlite3_bind_blob(st, 1, lo, AUDIT_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, hi, AUDIT_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, top, AUDIT_ID_BYTES, SQLITE_STATIC);
    for (int i = 0; i < n_terms; i++)
        bind_term(st, 4 + 2 * i, &terms[i]);
    dict = util_malloc(sizeof(*dict));
    t.cap = (size_t)f->limit + 1;
    t.slots = util_calloc(t.cap, sizeof(*t.slots));
    t.heap = util_calloc(t.cap, sizeof(*t.heap));
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (t.n == t.cap && sqlite3_column_bytes(st, 1) == AUDIT_ID_BYTES &&
            memcmp(sqlite3_column_blob(st, 1), t.heap[0]->id, AUDIT_ID_BYTES) < 0)
            break; /* this block and every later one end below the page */
        if (audit_block_dict_parse(dict, (const char *)sqlite3_column_text(st, 3), (size_t)sqlite3_column_bytes(st, 3),
                                   (const char *)sqlite3_column_text(st, 4), (size_t)sqlite3_column_bytes(st, 4),
                                   (const char *)sqlite3_column_text(st, 5), (size_t)sqlite3_column_bytes(st, 5)) != 0)
            goto malformed;
        if (!block_filter_set(bf, dict, f, model, key))
            continue;
        if (n_terms > 0 && !combos_may_match((const char *)sqlite3_column_text(st, 6), (size_t)sqlite3_column_bytes(st, 6), f, bf))
            continue;
        sqlite3_bind_int64(body, 1, sqlite3_column_int64(st, 0));
        int found = sqlite3_step(body);
        if (found == SQLITE_ROW) {
            const char *recs = (const char *)sqlite3_column_text(body, 1);
            if (recs == NULL || scan_block(sqlite3_column_blob(body, 0), (size_t)sqlite3_column_bytes(body, 0) / AUDIT_ID_BYTES,
                                           recs, (size_t)sqlite3_column_bytes(body, 1), sqlite3_column_int64(st, 2), dict, f, bf,
                                           lo, hi, &t) != 0) {
                sqlite3_reset(body);
                goto malformed;
            }
        }
        sqlite3_reset(body);
        if (found != SQLITE_ROW && found != SQLITE_DONE) {
            step = found;
            break;
        }
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        util_set_err(err, errsz, "audit store %s: %s", cfg->path, sqlite3_errmsg(db));
        goto out;
    }
    qsort(t.heap, t.n, sizeof(*t.heap), newest_first);
    size_t shown = t.n < (size_t)f->limit ? t.n : (size_t)f->limit;
    for (size_t i = 0; i < shown; i++)
        on_row(ud, t.heap[i]);
    if (t.n > shown) /* a further record exists: the page ends at the last one sent */
        audit_id_to_hex(t.heap[shown - 1]->id, next_cursor);
    rc = 0;
    goto out;
malformed:
    util_set_err(err, errsz, "audit store %s: a block's records are malformed", cfg->path);
out:
    for (size_t i = 0; i < t.n; i++)
        audit_record_free(&t.slots[i]);
    free(t.slots);
    free(t.heap);
    free(dict);
    audit_text_free(&model_needle);
    audit_text_free(&key_needle);
    sqlite3_finalize(st);
    sqlite3_finalize(body);
    if (db)
        sqlite3_close(db);
    return rc;
}

/* ---- PostgreSQL ---- */

static int query_pg(const struct config_audit *cfg, const struct audit_filter *f, audit_row_cb on_row, void *ud,
                    char next_cursor[AUDIT_ID_HEX], char *err, size_t errsz)
{
    /* tcp_user_timeout: a server that vanished without a reset fails the call in 10 s */
    const char *keys[] = {"dbname", "connect_timeout", "application_name", "tcp_user_timeout", NULL};
    const char *vals[] = {cfg->dsn, "3", "warden-audit-query", "10000", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    PGresult *res = NULL;
    int rc = -1;
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        util_set_err(err, errsz, "audit store: postgres: %s", c ? PQerrorMessage(c) : "cannot connect");
        goto out;
    }
    char sql[1024], a[7][160];
    const char *params[7];
    int np = 0;
    int n = snprintf(sql, sizeof(sql), "SELECT id::text, ts, request_id, key_name, model, target, status, error_code, attempts, "
                                       "reasks, stream::int, latency_us, ttft_us, tokens_in, tokens_out, cost_usd, guardrails, "
                                       "request_body, response_body, parent_id FROM warden_audit WHERE true");
#define ADD_PARAM(cond, value)                                                                                               \
    do {                                                                                                                     \
        snprintf(a[np], sizeof(a[np]), "%s", value);                                                                         \
        params[np] = a[np];                                                                                                  \
        np++;                                                                                                                \
        n += snprintf(sql + n, sizeof(sql) - (size_t)n, cond, np);                                                           \
    } while (0)
    char num[32], uuid[37];
    if (f->since_us) {
        snprintf(num, sizeof(num), "%lld", (long long)f->since_us);
        ADD_PARAM(" AND ts >= $%d", num);
    }
    if (f->until_us) {
        snprintf(num, sizeof(num), "%lld", (long long)f->until_us);
        ADD_PARAM(" AND ts < $%d", num);
    }
    if (f->model[0])
        ADD_PARAM(" AND model = $%d", f->model);
    if (f->key[0])
        ADD_PARAM(" AND key_name = $%d", f->key);
    if (f->status) {
        snprintf(num, sizeof(num), "%d", f->status);
        ADD_PARAM(" AND status = $%d", num);
    }
    if (f->has_cursor) {
        /* the id begins with its ts: (ts, id) < (cursor ts, cursor id) */
        int64_t cts = 0;
        for (int i = 0; i < 8; i++)
            cts = cts << 8 | f->cursor[i];
        snprintf(num, sizeof(num), "%lld", (long long)cts);
        audit_id_to_uuid(f->cursor, uuid);
        snprintf(a[np], sizeof(a[np]), "%s", num);
        params[np] = a[np];
        np++;
        snprintf(a[np], sizeof(a[np]), "%s", uuid);
        params[np] = a[np];
        np++;
        n += snprintf(sql + n, sizeof(sql) - (size_t)n, " AND (ts, id) < ($%d::bigint, $%d::uuid)", np - 1, np);
    }
#undef ADD_PARAM
    snprintf(sql + n, sizeof(sql) - (size_t)n, " ORDER BY ts DESC, id DESC LIMIT %d", f->limit + 1);
    res = PQexecParams(c, sql, np, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        util_set_err(err, errsz, "audit store: postgres: %s", PQresultErrorMessage(res));
        goto out;
    }
    next_cursor[0] = '\0';
    int rows = PQntuples(res);
    for (int i = 0; i < rows && i < f->limit; i++) {
        struct audit_record r;
        memset(&r, 0, sizeof(r));
        const char *id = PQgetvalue(res, i, 0);
        audit_id_from_hex(id, strlen(id), r.id);
        r.time_us = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        audit_record_set(r.request_id, sizeof(r.request_id), PQgetvalue(res, i, 2), strlen(PQgetvalue(res, i, 2)));
        audit_record_set(r.key_name, sizeof(r.key_name), PQgetvalue(res, i, 3), strlen(PQgetvalue(res, i, 3)));
        audit_record_set(r.model, sizeof(r.model), PQgetvalue(res, i, 4), strlen(PQgetvalue(res, i, 4)));
        audit_record_set(r.target, sizeof(r.target), PQgetvalue(res, i, 5), strlen(PQgetvalue(res, i, 5)));
        r.status = atoi(PQgetvalue(res, i, 6));
        audit_record_set(r.error_code, sizeof(r.error_code), PQgetvalue(res, i, 7), strlen(PQgetvalue(res, i, 7)));
        r.attempts = atoi(PQgetvalue(res, i, 8));
        r.reasks = atoi(PQgetvalue(res, i, 9));
        r.stream = atoi(PQgetvalue(res, i, 10));
        r.latency_us = strtoll(PQgetvalue(res, i, 11), NULL, 10);
        r.ttft_us = PQgetisnull(res, i, 12) ? 0 : strtoll(PQgetvalue(res, i, 12), NULL, 10);
        r.tokens_in = PQgetisnull(res, i, 13) ? -1 : strtoll(PQgetvalue(res, i, 13), NULL, 10);
        r.tokens_out = PQgetisnull(res, i, 14) ? -1 : strtoll(PQgetvalue(res, i, 14), NULL, 10);
        r.cost_usd = PQgetisnull(res, i, 15) ? -1 : strtod(PQgetvalue(res, i, 15), NULL);
        r.guardrails = PQgetisnull(res, i, 16) ? NULL : PQgetvalue(res, i, 16); /* borrowed, as the bodies */
        r.request_body = PQgetisnull(res, i, 17) ? NULL : PQgetvalue(res, i, 17);
        r.response_body = PQgetisnull(res, i, 18) ? NULL : PQgetvalue(res, i, 18);
        audit_record_set(r.parent_id, sizeof(r.parent_id), PQgetvalue(res, i, 19), strlen(PQgetvalue(res, i, 19)));
        on_row(ud, &r);
        if (i == f->limit - 1 && rows > f->limit)
            audit_id_to_hex(r.id, next_cursor);
    }
    rc = 0;
out:
    if (res)
        PQclear(res);
    if (c)
        PQfinish(c);
    return rc;
}

int audit_query_run(const struct config_audit *cfg, const struct audit_filter *f, audit_row_cb on_row, void *ud,
                    char next_cursor[AUDIT_ID_HEX], char *err, size_t errsz)
{
    next_cursor[0] = '\0';
    switch (cfg->sink) {
    case CONFIG_AUDIT_SQLITE:
        return query_sqlite(cfg, f, on_row, ud, next_cursor, err, errsz);
    case CONFIG_AUDIT_POSTGRES:
        return query_pg(cfg, f, on_row, ud, next_cursor, err, errsz);
    case CONFIG_AUDIT_OFF:
        break;
    }
    util_set_err(err, errsz, "audit is off in this configuration (no audit: section)");
    return -1;
}

void audit_record_to_json(const struct audit_record *r, struct util_buf *b)
{
    char id[AUDIT_ID_HEX], t[40];
    audit_id_to_hex(r->id, id);
    audit_format_rfc3339(r->time_us, t);
    util_buf_appendf(b, "{\"id\":\"%s\",\"time\":\"%s\",\"request_id\":", id, t);
    util_buf_append_json_string(b, r->request_id, strlen(r->request_id));
    if (r->parent_id[0]) {
        util_buf_append(b, ",\"parent_id\":", 13);
        util_buf_append_json_string(b, r->parent_id, strlen(r->parent_id));
    }
    util_buf_append(b, ",\"key\":", 7);
    if (r->key_name[0])
        util_buf_append_json_string(b, r->key_name, strlen(r->key_name));
    else
        util_buf_append(b, "null", 4);
    util_buf_append(b, ",\"model\":", 9);
    util_buf_append_json_string(b, r->model, strlen(r->model));
    util_buf_append(b, ",\"target\":", 10);
    util_buf_append_json_string(b, r->target, strlen(r->target));
    util_buf_appendf(b, ",\"status\":%d,\"error_code\":", r->status);
    if (r->error_code[0])
        util_buf_append_json_string(b, r->error_code, strlen(r->error_code));
    else
        util_buf_append(b, "null", 4);
    util_buf_appendf(b, ",\"attempts\":%d,\"reasks\":%d,\"stream\":%s,\"latency_ms\":%.3f", r->attempts, r->reasks,
                     r->stream ? "true" : "false", (double)r->latency_us / 1e3);
    if (r->ttft_us > 0)
        util_buf_appendf(b, ",\"ttft_ms\":%.3f", (double)r->ttft_us / 1e3);
    else
        util_buf_appendf(b, ",\"ttft_ms\":null");
    if (r->tokens_in >= 0)
        util_buf_appendf(b, ",\"tokens_in\":%lld,\"tokens_out\":%lld", (long long)r->tokens_in,
                         (long long)(r->tokens_out < 0 ? 0 : r->tokens_out));
    else
        util_buf_appendf(b, ",\"tokens_in\":null,\"tokens_out\":null");
    if (r->cost_usd >= 0) {
        /* the stored double exactly (10 digits dropped some: a sum over records drifted from
         * the view's), in the fewest digits that read back as it */
        char num[40];
        snprintf(num, sizeof(num), "%.15g", r->cost_usd);
        if (strtod(num, NULL) != r->cost_usd)
            snprintf(num, sizeof(num), "%.17g", r->cost_usd);
        util_buf_appendf(b, ",\"cost_usd\":%s", num);
    }
    else
        util_buf_appendf(b, ",\"cost_usd\":null");
    util_buf_append(b, ",\"guardrails\":", 14);
    const char *g = r->guardrails != NULL ? r->guardrails : "";
    util_buf_append_json_string(b, g, strlen(g));
    if (r->request_body) {
        util_buf_append(b, ",\"request_body\":", 16);
        util_buf_append_json_string(b, r->request_body, strlen(r->request_body));
    }
    if (r->response_body) {
        util_buf_append(b, ",\"response_body\":", 17);
        util_buf_append_json_string(b, r->response_body, strlen(r->response_body));
    }
    util_buf_append(b, "}", 1);
}
