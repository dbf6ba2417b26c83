/* The SQLite sink (the default).
 *
 * Records are stored in blocks (sqlite_schema.h): a batch is sorted by id, cut
 * into runs of at most AUDIT_BLOCK_RECORDS records spanning at most
 * AUDIT_BLOCK_SPAN_US, and each run is one row of audit_block whose records
 * are one JSON text (block.h). One row insert instead of one per record and
 * index: the writer's cost per record went from about 9,200 instructions to
 * about 1,600, most of it the encoding (bench/audit_instr.sh).
 *
 * Idempotent: before a batch is stored, the blocks whose id range meets the
 * batch's are read (their ids column) and the records already in one are
 * left out, so a journal replay or a retried batch stores nothing twice. For a
 * new batch that is none (its ids are all above the store's largest, kept in
 * stored_max) or the one or two latest blocks; a replay of old records reads
 * the blocks of their time. WAL mode with synchronous=NORMAL: a commit
 * survives a crash of the process (not of the machine), and readers
 * (GET /admin/audit, `warden audit`, the audit_log view) never block the
 * writer. Retention deletes at most RETENTION_BLOCKS whole blocks per
 * maintain() call, oldest first, a block once all of its records are past
 * the cutoff. */
#include <sqlite3.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/block.h"
#include "audit/sink.h"
#include "audit/sqlite_schema.h"
#include "util/alloc.h"
#include "util/err.h"
#include "util/log.h"

#define RETENTION_BLOCKS 20
#define MIGRATE_BATCH 2048
/* Term rows go in by statements of up to this many rows: a statement's own cost (its cursor
 * opened, its end) is paid once for them. */
#define TERMS_PER_INSERT 8

/* A record of the batch by its id as two big-endian halves: compared without memcmp. */
struct sort_key {
    uint64_t hi, lo;
    const struct audit_record *r;
};

struct sqlite_sink {
    struct audit_sink base;
    char *path;
    sqlite3 *db;
    sqlite3_stmt *insert, *overlap, *expire;
    sqlite3_stmt *insert_terms[TERMS_PER_INSERT]; /* [k]: k + 1 rows; prepared when first needed */
    sqlite3_stmt *begin, *commit; /* prepared once: sqlite3_exec parses its text on every call */
    struct sort_key *keys, *keys_tmp;
    size_t keys_cap;
    struct audit_text recs, summary, term;
    uint8_t ids[AUDIT_BLOCK_RECORDS * AUDIT_ID_BYTES];
    /* The largest last_id in the store (read at connect, raised by every block this connection
     * inserts; a failed transaction disconnects, and the next connect reads it again). A batch
     * whose ids are all above it cannot hold a stored record: no blocks to read. One writer a
     * store: another process's blocks are seen at the next connect, and never hold our ids. */
    struct sort_key stored_max;
    dev_t dev; /* the file the connection has open (stat at connect) */
    ino_t ino;
};

static void disconnect(struct sqlite_sink *s)
{
    sqlite3_finalize(s->insert);
    for (int i = 0; i < TERMS_PER_INSERT; i++) {
        sqlite3_finalize(s->insert_terms[i]);
        s->insert_terms[i] = NULL;
    }
    sqlite3_finalize(s->overlap);
    sqlite3_finalize(s->expire);
    sqlite3_finalize(s->begin);
    sqlite3_finalize(s->commit);
    s->insert = s->overlap = s->expire = s->begin = s->commit = NULL;
    if (s->db != NULL)
        sqlite3_close(s->db);
    s->db = NULL;
}

static int fail(struct sqlite_sink *s, char *err, size_t errsz, const char *what)
{
    util_set_err(err, errsz, "sqlite %s: %s: %s", s->path, what, s->db ? sqlite3_errmsg(s->db) : "cannot open");
    disconnect(s);
    return WARDEN_EIO;
}

/* ---- sorting the batch by id ---- */

static inline uint64_t load_be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

static inline void store_be64(uint8_t *p, uint64_t v)
{
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
}

static inline int key_less(const struct sort_key *a, const struct sort_key *b)
{
    return a->hi < b->hi || (a->hi == b->hi && a->lo < b->lo);
}

/* A natural merge sort: the batch is a few ascending runs (one per worker's ring, and the
 * journal's order), so a pass or two of merges sorts it. Returns the sorted array (keys or tmp). */
static struct sort_key *sort_keys(struct sort_key *a, struct sort_key *b, size_t n)
{
    for (;;) {
        size_t i = 0, runs = 0;
        while (i < n) {
            size_t s1 = i++;
            while (i < n && !key_less(&a[i], &a[i - 1]))
                i++;
            size_t e1 = i;
            runs++;
            if (runs == 1 && e1 == n)
                return a; /* sorted already */
            size_t s2 = i;
            if (i < n)
                i++;
            while (i < n && !key_less(&a[i], &a[i - 1]))
                i++;
            size_t e2 = i, o = s1, x = s1, y = s2;
            while (x < e1 && y < e2)
                b[o++] = key_less(&a[y], &a[x]) ? a[y++] : a[x++];
            while (x < e1)
                b[o++] = a[x++];
            while (y < e2)
                b[o++] = a[y++];
        }
        struct sort_key *t = a;
        a = b;
        b = t;
        if (runs == 1) /* one merge made the whole */
            return a;
    }
}

/* ---- leaving out what is stored already ---- */

static int64_t time_of(const struct sort_key *k)
{
    return (int64_t)k->hi;
}

/* Marks (r = NULL) the records of keys[0..n) (sorted) whose id is in a stored block (of equal
 * keys, the first). */
static int mark_stored(struct sqlite_sink *s, struct sort_key *keys, size_t n)
{
    uint8_t lo[AUDIT_ID_BYTES], hi[AUDIT_ID_BYTES], top[AUDIT_ID_BYTES];
    store_be64(lo, keys[0].hi);
    store_be64(lo + 8, keys[0].lo);
    store_be64(hi, keys[n - 1].hi);
    store_be64(hi + 8, keys[n - 1].lo);
    audit_id_for_time(time_of(&keys[n - 1]) + AUDIT_BLOCK_SPAN_US + 1, top);
    sqlite3_bind_blob(s->overlap, 1, lo, AUDIT_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(s->overlap, 2, hi, AUDIT_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(s->overlap, 3, top, AUDIT_ID_BYTES, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s->overlap)) == SQLITE_ROW) {
        const uint8_t *ids = sqlite3_column_blob(s->overlap, 0);
        size_t m = (size_t)sqlite3_column_bytes(s->overlap, 0) / AUDIT_ID_BYTES;
        /* both sorted: one merge walk from the first stored id >= the batch's first */
        size_t a = 0, b = m;
        while (a < b) {
            size_t mid = (a + b) / 2;
            if (memcmp(ids + mid * AUDIT_ID_BYTES, lo, AUDIT_ID_BYTES) < 0)
                a = mid + 1;
            else
                b = mid;
        }
        size_t j = 0;
        for (size_t i = a; i < m && j < n; i++) {
            struct sort_key k = {load_be64(ids + i * AUDIT_ID_BYTES), load_be64(ids + i * AUDIT_ID_BYTES + 8), NULL};
            while (j < n && key_less(&keys[j], &k))
                j++;
            if (j < n && keys[j].hi == k.hi && keys[j].lo == k.lo)
                keys[j].r = NULL;
        }
    }
    sqlite3_reset(s->overlap);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- one block ---- */

/* A block's dictionary while it is made: the distinct texts, the place of the one found last. */
struct dict_list {
    const char *text[AUDIT_BLOCK_RECORDS];
    int n, last;
};

/* The place of s in the list, added if new; -1 for "" (NULL). Consecutive records mostly
 * name the same model, key and target: the last one found is tried first. */
static int dict_ref(struct dict_list *l, const char *s)
{
    if (s[0] == '\0')
        return -1;
    if (l->n > 0 && strcmp(l->text[l->last], s) == 0)
        return l->last;
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->text[i], s) == 0)
            return l->last = i;
    l->text[l->n] = s;
    return l->last = l->n++;
}

static void dict_text(struct audit_text *t, const struct dict_list *l)
{
    audit_text_reserve(t, 1);
    t->p[t->len++] = '[';
    for (int i = 0; i < l->n; i++) {
        if (i > 0) {
            audit_text_reserve(t, 1);
            t->p[t->len++] = ',';
        }
        audit_json_string(t, l->text[i], strlen(l->text[i]));
    }
    audit_text_reserve(t, 1);
    t->p[t->len++] = ']';
}

/* The distinct (model, key, status) of a block's records, models and keys as places in its
 * dictionaries (-1: none): the combos column, which lets a query with two or three filters skip
 * a block where each filter matches some record but no record matches them all. */
struct combo {
    int32_t model, key, status;
};

struct combo_list {
    struct combo c[AUDIT_BLOCK_RECORDS];
    size_t n;
};

/* Adds c unless it is there, and makes it the last. */
static void combo_add_new(struct combo_list *l, struct combo c)
{
    size_t k = 0;
    while (k < l->n && (l->c[k].model != c.model || l->c[k].key != c.key || l->c[k].status != c.status))
        k++;
    if (k < l->n)
        memmove(l->c + k, l->c + k + 1, (l->n - k - 1) * sizeof(c));
    else
        l->n++;
    l->c[l->n - 1] = c;
}

/* Adds c unless it is there; the last one added or found is tried first (consecutive records
 * mostly repeat it). */
static inline void combo_add(struct combo_list *l, struct combo c)
{
    if (l->n > 0 && l->c[l->n - 1].model == c.model && l->c[l->n - 1].key == c.key && l->c[l->n - 1].status == c.status)
        return;
    combo_add_new(l, c);
}

/* v >= 0 in decimal at p; returns the end (no printf: a block has up to 768 of these). */
static char *put_nonneg(char *p, uint32_t v)
{
    char d[10];
    int n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    while (n > 0)
        *p++ = d[--n];
    return p;
}

/* The combos column: a flat JSON array of triples, "[0,null,200,1,null,429]". */
static void combo_text(struct audit_text *t, const struct combo_list *l)
{
    audit_text_reserve(t, 2 + l->n * 3 * 12);
    char *p = t->p + t->len;
    *p++ = '[';
    for (size_t i = 0; i < l->n; i++) {
        const int32_t v[3] = {l->c[i].model, l->c[i].key, l->c[i].status};
        for (int j = 0; j < 3; j++) {
            if (i + (size_t)j > 0)
                *p++ = ',';
            if (v[j] < 0 && j < 2) {
                memcpy(p, "null", 4);
                p += 4;
            } else if (v[j] < 0) { /* a status below zero: never written, but kept as it is */
                *p++ = '-';
                p = put_nonneg(p, -(uint32_t)v[j]);
            } else {
                p = put_nonneg(p, (uint32_t)v[j]);
            }
        }
    }
    *p++ = ']';
    t->len = (size_t)(p - t->p);
}

/* The text a reader of the block decodes from the literal of text (json_each in the retention
 * trigger, the query's filter): text itself, unless it holds a byte the encoder changes (then
 * decoded from its literal into buf, invalid UTF-8 become U+FFFD). */
static const char *term_text(struct audit_text *tmp, const char *text, char *buf, size_t bufsz)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p < 0x20 || *p >= 0x80 || *p == '"' || *p == '\\') {
            tmp->len = 0;
            audit_json_string(tmp, text, strlen(text));
            return audit_json_string_decode(tmp->p, tmp->len, buf, bufsz) == 0 ? buf : text;
        }
    }
    return text;
}

/* The statement that inserts k term rows (1 <= k <= TERMS_PER_INSERT). Two texts that decode
 * alike (invalid bytes both read as U+FFFD) make one row: OR IGNORE. */
static sqlite3_stmt *terms_statement(struct sqlite_sink *s, int k)
{
    if (s->insert_terms[k - 1] == NULL) {
        char sql[96 + TERMS_PER_INSERT * 32];
        int n = snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO audit_block_term (kind, value, last_id, seq) VALUES ");
        for (int i = 0; i < k; i++)
            n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%s(?%d, ?%d, ?%d, ?%d)", i ? "," : "", 4 * i + 1, 4 * i + 2,
                          4 * i + 3, 4 * i + 4);
        if (sqlite3_prepare_v2(s->db, sql, -1, &s->insert_terms[k - 1], NULL) != SQLITE_OK)
            return NULL;
    }
    return s->insert_terms[k - 1];
}

/* The block's term rows (audit_block_term): its models, keys and statuses, in the caller's
 * transaction. */
static int insert_terms(struct sqlite_sink *s, const uint8_t *last_id, sqlite3_int64 seq, const struct dict_list *models,
                        const struct dict_list *names, const int32_t *statuses, size_t n_statuses)
{
    size_t n_models = (size_t)models->n, n_texts = n_models + (size_t)names->n, total = n_texts + n_statuses, done = 0;
    char buf[TERMS_PER_INSERT][4 * sizeof(((struct audit_record *)0)->model)];
    while (done < total) {
        int k = total - done < TERMS_PER_INSERT ? (int)(total - done) : TERMS_PER_INSERT;
        sqlite3_stmt *st = terms_statement(s, k);
        if (st == NULL)
            return sqlite3_errcode(s->db);
        for (int i = 0; i < k; i++, done++) {
            int kind = done < n_models ? AUDIT_TERM_MODEL : done < n_texts ? AUDIT_TERM_KEY : AUDIT_TERM_STATUS;
            sqlite3_bind_int(st, 4 * i + 1, kind);
            if (kind == AUDIT_TERM_STATUS) {
                sqlite3_bind_int(st, 4 * i + 2, statuses[done - n_texts]);
            } else {
                const char *text = kind == AUDIT_TERM_MODEL ? models->text[done] : names->text[done - n_models];
                /* text (a record's, or the caller's) and buf live until the step */
                sqlite3_bind_text(st, 4 * i + 2, term_text(&s->term, text, buf[i], sizeof(buf[i])), -1, SQLITE_STATIC);
            }
            sqlite3_bind_blob(st, 4 * i + 3, last_id, AUDIT_ID_BYTES, SQLITE_STATIC);
            sqlite3_bind_int64(st, 4 * i + 4, seq);
        }
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return rc;
    }
    return SQLITE_OK;
}

/* Stores keys[0..n) (sorted, distinct, n <= AUDIT_BLOCK_RECORDS) as one block. */
static int insert_block(struct sqlite_sink *s, const struct sort_key *keys, size_t n)
{
    struct dict_list models = {.n = 0}, names = {.n = 0}, targets = {.n = 0};
    int32_t statuses[AUDIT_BLOCK_RECORDS];
    size_t n_statuses = 0;
    struct combo_list combos;
    combos.n = 0;
    int64_t ts_min = keys[0].r->time_us, ts_max = ts_min;
    for (size_t i = 1; i < n; i++) {
        ts_min = keys[i].r->time_us < ts_min ? keys[i].r->time_us : ts_min;
        ts_max = keys[i].r->time_us > ts_max ? keys[i].r->time_us : ts_max;
    }
    struct audit_text *t = &s->recs;
    t->len = 0;
    audit_text_reserve(t, 1);
    t->p[t->len++] = '[';
    for (size_t i = 0; i < n; i++) {
        const struct audit_record *r = keys[i].r;
        if (i > 0) {
            audit_text_reserve(t, 1);
            t->p[t->len++] = ',';
        }
        struct audit_block_refs refs = {dict_ref(&models, r->model), dict_ref(&names, r->key_name),
                                        dict_ref(&targets, r->target)};
        audit_block_append_record(t, r, ts_min, &refs);
        combo_add(&combos, (struct combo){refs.model, refs.key, r->status});
        memcpy(s->ids + i * AUDIT_ID_BYTES, r->id, AUDIT_ID_BYTES);
        if (n_statuses == 0 || statuses[n_statuses - 1] != r->status) {
            size_t k = 0;
            while (k < n_statuses && statuses[k] != r->status)
                k++;
            if (k == n_statuses)
                statuses[n_statuses++] = r->status;
            else if (k != n_statuses - 1) { /* the one just found goes last: tried first next time */
                int32_t v = statuses[k];
                memmove(statuses + k, statuses + k + 1, (n_statuses - k - 1) * sizeof(*statuses));
                statuses[n_statuses - 1] = v;
            }
        }
    }
    audit_text_reserve(t, 1);
    t->p[t->len++] = ']';

    struct audit_text *sum = &s->summary;
    sum->len = 0;
    dict_text(sum, &models);
    size_t models_end = sum->len;
    dict_text(sum, &names);
    size_t keys_end = sum->len;
    dict_text(sum, &targets);
    size_t targets_end = sum->len;
    audit_text_reserve(sum, 12 * n_statuses + 2);
    sum->p[sum->len++] = ',';
    for (size_t i = 0; i < n_statuses; i++)
        sum->len += (size_t)snprintf(sum->p + sum->len, 13, "%d,", (int)statuses[i]);
    size_t statuses_end = sum->len;
    combo_text(sum, &combos);

    sqlite3_stmt *st = s->insert;
    sqlite3_bind_blob(st, 1, keys[n - 1].r->id, AUDIT_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, keys[0].r->id, AUDIT_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)n);
    sqlite3_bind_int64(st, 4, ts_min);
    sqlite3_bind_int64(st, 5, ts_max);
    sqlite3_bind_text(st, 6, sum->p, (int)models_end, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, sum->p + models_end, (int)(keys_end - models_end), SQLITE_STATIC);
    sqlite3_bind_text(st, 8, sum->p + keys_end, (int)(targets_end - keys_end), SQLITE_STATIC);
    sqlite3_bind_text(st, 9, sum->p + targets_end, (int)(statuses_end - targets_end), SQLITE_STATIC);
    sqlite3_bind_text(st, 10, sum->p + statuses_end, (int)(sum->len - statuses_end), SQLITE_STATIC);
    sqlite3_bind_blob(st, 11, s->ids, (int)(n * AUDIT_ID_BYTES), SQLITE_STATIC);
    sqlite3_bind_text(st, 12, t->p, (int)t->len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    /* the bound pointers go stale with the next batch, which binds every parameter anew */
    if (rc != SQLITE_DONE)
        return rc;
    return insert_terms(s, keys[n - 1].r->id, sqlite3_last_insert_rowid(s->db), &models, &names, statuses, n_statuses);
}

/* Stores recs[0..n) inside the caller's transaction; an SQLite result code. */
static int store_records(struct sqlite_sink *s, const struct audit_record *recs, size_t n)
{
    if (n == 0)
        return SQLITE_OK;
    if (n > s->keys_cap) {
        s->keys_cap = n;
        s->keys = util_realloc(s->keys, n * sizeof(*s->keys));
        s->keys_tmp = util_realloc(s->keys_tmp, n * sizeof(*s->keys_tmp));
    }
    for (size_t i = 0; i < n; i++) {
        s->keys[i].hi = load_be64(recs[i].id);
        s->keys[i].lo = load_be64(recs[i].id + 8);
        s->keys[i].r = &recs[i];
    }
    struct sort_key *keys = sort_keys(s->keys, s->keys_tmp, n);
    int rc = SQLITE_OK;
    if (!key_less(&s->stored_max, &keys[0])) /* else every id is new: nothing to look up */
        rc = mark_stored(s, keys, n);        /* marks the first of equal keys */
    if (rc != SQLITE_OK)
        return rc;
    for (size_t i = 1; i < n; i++) /* the same record twice in one batch: the first one decides */
        if (keys[i].hi == keys[i - 1].hi && keys[i].lo == keys[i - 1].lo)
            keys[i].r = NULL;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (keys[i].r != NULL)
            keys[m++] = keys[i];
    for (size_t i = 0; i < m;) {
        size_t j = i + 1;
        while (j < m && j - i < AUDIT_BLOCK_RECORDS && keys[j].hi - keys[i].hi <= (uint64_t)AUDIT_BLOCK_SPAN_US) /* sorted */
            j++;
        if ((rc = insert_block(s, keys + i, j - i)) != SQLITE_OK)
            return rc;
        if (key_less(&s->stored_max, &keys[j - 1]))
            s->stored_max = keys[j - 1];
        i = j;
    }
    return SQLITE_OK;
}

/* ---- a store from before blocks ---- */

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static int64_t col_opt_int(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

static char *col_body(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL : util_strdup(col_text(st, i));
}

/* One row of the old table as a record (NULLs as the sink wrote them). */
static void record_of_row(sqlite3_stmt *st, struct audit_record *r)
{
    memset(r, 0, sizeof(*r));
    if (sqlite3_column_bytes(st, 0) == AUDIT_ID_BYTES)
        memcpy(r->id, sqlite3_column_blob(st, 0), AUDIT_ID_BYTES);
    r->time_us = sqlite3_column_int64(st, 1);
    char *fixed[] = {r->request_id, r->key_name, r->model, r->target};
    size_t sizes[] = {sizeof(r->request_id), sizeof(r->key_name), sizeof(r->model), sizeof(r->target)};
    for (int i = 0; i < 4; i++) {
        const char *t = col_text(st, 2 + i);
        audit_record_set(fixed[i], sizes[i], t, strlen(t));
    }
    r->status = sqlite3_column_int(st, 6);
    const char *t = col_text(st, 7);
    audit_record_set(r->error_code, sizeof(r->error_code), t, strlen(t));
    r->attempts = sqlite3_column_int(st, 8);
    r->reasks = sqlite3_column_int(st, 9);
    r->stream = sqlite3_column_int(st, 10);
    r->latency_us = sqlite3_column_int64(st, 11);
    r->ttft_us = col_opt_int(st, 12);
    r->tokens_in = col_opt_int(st, 13);
    r->tokens_out = col_opt_int(st, 14);
    r->cost_usd = sqlite3_column_type(st, 15) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 15);
    t = col_text(st, 16);
    r->guardrails = audit_text_dup(t, strlen(t), AUDIT_GUARDRAILS_MAX);
    r->request_body = col_body(st, 17);
    r->response_body = col_body(st, 18);
    t = col_text(st, 19);
    audit_record_set(r->parent_id, sizeof(r->parent_id), t, strlen(t));
}

static int old_table_exists(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'", -1, &st, NULL) ==
        SQLITE_OK)
        found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/* The rows of the old audit_log table into blocks, the table dropped: one transaction (an
 * interrupted migration leaves the old table as it was). */
static int migrate_rows(struct sqlite_sink *s, char *err, size_t errsz)
{
    if (!old_table_exists(s->db))
        return 0;
    sqlite3_exec(s->db, AUDIT_SQLITE_ADD_PARENT_ID, NULL, NULL, NULL); /* a store older still: the error is expected */
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, err, errsz, "migrate: begin");
    sqlite3_stmt *st = NULL;
    struct audit_record *batch = util_calloc(MIGRATE_BATCH, sizeof(*batch));
    size_t n = 0, total = 0;
    int rc = sqlite3_prepare_v2(s->db, "SELECT " AUDIT_OLD_COLUMNS " FROM audit_log ORDER BY id", -1, &st, NULL);
    while (rc == SQLITE_OK) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            record_of_row(st, &batch[n++]);
        else if (step != SQLITE_DONE)
            rc = step;
        if (rc == SQLITE_OK && (n == MIGRATE_BATCH || (step == SQLITE_DONE && n > 0))) {
            rc = store_records(s, batch, n);
            for (size_t i = 0; i < n; i++)
                audit_record_free(&batch[i]);
            total += n;
            n = 0;
        }
        if (step == SQLITE_DONE)
            break;
    }
    for (size_t i = 0; i < n; i++)
        audit_record_free(&batch[i]);
    free(batch);
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "DROP TABLE audit_log", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        util_set_err(err, errsz, "sqlite %s: migrating the audit_log table to blocks: %s", s->path, sqlite3_errmsg(s->db));
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        disconnect(s);
        return WARDEN_EIO;
    }
    LOG_INFO("audit", "%s: moved %zu records from the audit_log table into blocks (audit_log is a view now)", s->path, total);
    return 0;
}

/* ---- a store of the first block version: no combos, no term index ---- */

static int blocks_lack_combos(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int has_table = 0, has_combos = 0;
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('audit_block')", -1, &st, NULL) == SQLITE_OK)
        while (sqlite3_step(st) == SQLITE_ROW) {
            has_table = 1;
            has_combos |= strcmp(col_text(st, 0), "combos") == 0;
        }
    sqlite3_finalize(st);
    return has_table && !has_combos;
}

/* The combos and term rows of one stored block (row: the columns of UPGRADE_COLUMNS) into the
 * new table, with its seq. A block whose records do not read gets combos "" (a query never
 * skips it by them) and the terms its summary columns name. */
static int upgrade_block(struct sqlite_sink *s, sqlite3_stmt *row, sqlite3_stmt *ins, struct audit_block_dict *dict)
{
    struct dict_list models = {.n = 0}, names = {.n = 0};
    struct combo_list combos;
    int32_t statuses[AUDIT_BLOCK_RECORDS];
    size_t n_statuses = 0;
    combos.n = 0;
    int ok = audit_block_dict_parse(dict, col_text(row, 6), (size_t)sqlite3_column_bytes(row, 6), col_text(row, 7),
                                    (size_t)sqlite3_column_bytes(row, 7), col_text(row, 8),
                                    (size_t)sqlite3_column_bytes(row, 8)) == 0;
    if (ok) {
        for (size_t i = 0; i < dict->n_models; i++)
            models.text[models.n++] = dict->models[i];
        for (size_t i = 0; i < dict->n_keys; i++)
            names.text[names.n++] = dict->keys[i];
        struct audit_block_reader rd;
        struct audit_record head;
        audit_block_reader_init(&rd, col_text(row, 11), (size_t)sqlite3_column_bytes(row, 11), 0, dict);
        int rc;
        while ((rc = audit_block_read_head(&rd, &head)) == 1 && audit_block_skip_rest(&rd) == 0)
            combo_add(&combos, (struct combo){rd.model_ref, rd.key_ref, head.status});
        ok = rc == 0;
    }
    for (const char *p = col_text(row, 9); *p && n_statuses < AUDIT_BLOCK_RECORDS;) { /* ",200,429," */
        char *end;
        long v = strtol(p, &end, 10);
        if (end != p)
            statuses[n_statuses++] = (int32_t)v;
        p = end != p ? end : p + 1;
    }
    struct audit_text *t = &s->summary;
    t->len = 0;
    if (ok)
        combo_text(t, &combos);
    for (int i = 0; i < 10; i++)
        sqlite3_bind_value(ins, i + 1, sqlite3_column_value(row, i));
    sqlite3_bind_text(ins, 11, t->len ? t->p : "", (int)t->len, SQLITE_STATIC);
    sqlite3_bind_value(ins, 12, sqlite3_column_value(row, 10));
    sqlite3_bind_value(ins, 13, sqlite3_column_value(row, 11));
    int rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE)
        return rc;
    if (sqlite3_column_bytes(row, 1) != AUDIT_ID_BYTES)
        return SQLITE_OK; /* not an id: no block a query finds by its terms */
    return insert_terms(s, sqlite3_column_blob(row, 1), sqlite3_column_int64(row, 0), &models, &names, statuses, n_statuses);
}

/* Copies the blocks of audit_block_v1 (the table renamed) into audit_block with their combos and
 * terms, then drops it; inside the caller's transaction. */
static int upgrade_blocks(struct sqlite_sink *s, size_t *count)
{
    sqlite3_stmt *row = NULL, *ins = NULL;
    struct audit_block_dict *dict = util_malloc(sizeof(*dict));
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT seq, last_id, first_id, n, ts_min, ts_max, models, keys, targets, statuses, ids, recs"
                                " FROM audit_block_v1 ORDER BY seq",
                                -1, &row, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO audit_block (seq, last_id, first_id, n, ts_min, ts_max, models, keys, targets,"
                                " statuses, combos, ids, recs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                                -1, &ins, NULL);
    int step = SQLITE_DONE;
    while (rc == SQLITE_OK && (step = sqlite3_step(row)) == SQLITE_ROW) {
        rc = upgrade_block(s, row, ins, dict);
        (*count)++;
    }
    if (rc == SQLITE_OK && step != SQLITE_DONE)
        rc = step;
    sqlite3_finalize(row);
    sqlite3_finalize(ins);
    free(dict);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "DROP TABLE audit_block_v1", NULL, NULL, NULL);
    return rc;
}

/* ---- the sink ---- */

static int read_stored_max(struct sqlite_sink *s)
{
    sqlite3_stmt *st = NULL;
    memset(&s->stored_max, 0, sizeof(s->stored_max));
    int rc = sqlite3_prepare_v2(s->db, "SELECT max(last_id) FROM audit_block", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (sqlite3_column_bytes(st, 0) == AUDIT_ID_BYTES) {
            const uint8_t *id = sqlite3_column_blob(st, 0);
            s->stored_max.hi = load_be64(id);
            s->stored_max.lo = load_be64(id + 8);
        } else if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
            s->stored_max.hi = s->stored_max.lo = UINT64_MAX; /* not an id: always look */
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int sq_connect(struct audit_sink *base, char *err, size_t errsz)
{
    struct sqlite_sink *s = (struct sqlite_sink *)base;
    disconnect(s);
    /* the migration below stores through store_records: look up every batch until the store's
     * max is read */
    s->stored_max.hi = s->stored_max.lo = UINT64_MAX;
    if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        return fail(s, err, errsz, "open");
    sqlite3_busy_timeout(s->db, 2000);
    struct stat sb;
    if (stat(s->path, &sb) != 0)
        return fail(s, err, errsz, "stat");
    s->dev = sb.st_dev;
    s->ino = sb.st_ino;
    if (sqlite3_exec(s->db, AUDIT_SQLITE_PRAGMAS, NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, err, errsz, "pragmas");
    /* A store of the first block version gets the combos column (before ids: a query reads it
     * without the block's overflow pages) and the term index: its table is renamed, the new one
     * made and filled, the old dropped, in one transaction that an interruption undoes. */
    int upgrade = blocks_lack_combos(s->db);
    if (upgrade && sqlite3_exec(s->db,
                                "BEGIN IMMEDIATE; DROP VIEW IF EXISTS audit_log; DROP INDEX IF EXISTS audit_block_last;"
                                " ALTER TABLE audit_block RENAME TO audit_block_v1;",
                                NULL, NULL, NULL) != SQLITE_OK) {
        util_set_err(err, errsz, "sqlite %s: upgrading the blocks: %s", s->path, sqlite3_errmsg(s->db));
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        disconnect(s);
        return WARDEN_EIO;
    }
    if (sqlite3_exec(s->db, AUDIT_SQLITE_BLOCK_TABLE AUDIT_SQLITE_TERM_TABLE, NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, err, errsz, "schema"); /* the connection's close rolls back an upgrade */
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO audit_block (last_id, first_id, n, ts_min, ts_max, models, keys, targets, statuses, combos,"
                           " ids, recs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                           -1, &s->insert, NULL) != SQLITE_OK)
        return fail(s, err, errsz, "prepare insert");
    if (upgrade) {
        size_t blocks = 0;
        if (upgrade_blocks(s, &blocks) != SQLITE_OK || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            util_set_err(err, errsz, "sqlite %s: upgrading the blocks: %s", s->path, sqlite3_errmsg(s->db));
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            disconnect(s);
            return WARDEN_EIO;
        }
        LOG_INFO("audit", "%s: indexed %zu blocks by model, key and status", s->path, blocks);
    }
    /* the blocks that may hold an id of [?1, ?2]: last_id >= ?1 and first_id <= ?2, and as no block
     * spans more than AUDIT_BLOCK_SPAN_US, last_id < ?3 (?2's time plus that span) */
    if (sqlite3_prepare_v2(s->db, "SELECT ids FROM audit_block WHERE last_id >= ?1 AND last_id < ?3 AND first_id <= ?2", -1,
                           &s->overlap, NULL) != SQLITE_OK)
        return fail(s, err, errsz, "prepare overlap");
    if (sqlite3_prepare_v2(s->db,
                           "DELETE FROM audit_block WHERE seq IN"
                           " (SELECT seq FROM audit_block WHERE last_id < ?1 ORDER BY last_id LIMIT ?2)",
                           -1, &s->expire, NULL) != SQLITE_OK)
        return fail(s, err, errsz, "prepare retention");
    if (sqlite3_prepare_v2(s->db, "BEGIN", -1, &s->begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "COMMIT", -1, &s->commit, NULL) != SQLITE_OK)
        return fail(s, err, errsz, "prepare transaction");
    if (migrate_rows(s, err, errsz) != 0)
        return WARDEN_EIO;
    if (sqlite3_exec(s->db, AUDIT_SQLITE_VIEW, NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, err, errsz, "view");
    return read_stored_max(s) == SQLITE_OK ? 0 : fail(s, err, errsz, "max(last_id)");
}

static int sq_write(struct audit_sink *base, const struct audit_record *recs, size_t n, char *err, size_t errsz)
{
    struct sqlite_sink *s = (struct sqlite_sink *)base;
    if (s->db == NULL) {
        util_set_err(err, errsz, "sqlite %s: not connected", s->path);
        return WARDEN_EIO;
    }
    /* a store deleted or replaced under us: commits to the open file would vanish with it */
    struct stat sb;
    if (stat(s->path, &sb) != 0 || sb.st_dev != s->dev || sb.st_ino != s->ino) {
        util_set_err(err, errsz, "sqlite %s: the file was deleted or replaced: reopening", s->path);
        disconnect(s);
        return WARDEN_EIO;
    }
    int rc = sqlite3_step(s->begin);
    sqlite3_reset(s->begin);
    if (rc != SQLITE_DONE)
        return fail(s, err, errsz, "begin");
    if (store_records(s, recs, n) != SQLITE_OK) {
        util_set_err(err, errsz, "sqlite %s: insert: %s", s->path, sqlite3_errmsg(s->db));
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        disconnect(s);
        return WARDEN_EIO;
    }
    rc = sqlite3_step(s->commit);
    sqlite3_reset(s->commit);
    if (rc != SQLITE_DONE) {
        util_set_err(err, errsz, "sqlite %s: commit: %s", s->path, sqlite3_errmsg(s->db));
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        disconnect(s);
        return WARDEN_EIO;
    }
    return 0;
}

static int sq_maintain(struct audit_sink *base, int64_t now_us, char *err, size_t errsz)
{
    struct sqlite_sink *s = (struct sqlite_sink *)base;
    if (s->db == NULL || base->retention_days <= 0)
        return 0;
    uint8_t cutoff[AUDIT_ID_BYTES];
    audit_id_for_time(now_us - (int64_t)base->retention_days * 86400 * 1000000, cutoff);
    sqlite3_bind_blob(s->expire, 1, cutoff, AUDIT_ID_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_int(s->expire, 2, RETENTION_BLOCKS);
    int rc = sqlite3_step(s->expire);
    sqlite3_reset(s->expire);
    if (rc != SQLITE_DONE)
        return fail(s, err, errsz, "retention");
    return sqlite3_changes(s->db) == RETENTION_BLOCKS ? 1 : 0;
}

static void sq_destroy(struct audit_sink *base)
{
    struct sqlite_sink *s = (struct sqlite_sink *)base;
    disconnect(s);
    free(s->keys);
    free(s->keys_tmp);
    audit_text_free(&s->recs);
    audit_text_free(&s->summary);
    audit_text_free(&s->term);
    free(s->path);
    free(s);
}

static const struct audit_sink_ops sqlite_ops = {"sqlite", sq_connect, sq_write, sq_maintain, sq_destroy};

struct audit_sink *audit_sink_sqlite_create(const char *path, int retention_days)
{
    /* no memory statistics: each of SQLite's allocations takes a global mutex for them
     * (about 3% of an insert). Only possible before SQLite is initialised; later it is
     * refused (SQLITE_MISUSE) and nothing changes. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    struct sqlite_sink *s = util_calloc(1, sizeof(*s));
    s->base.ops = &sqlite_ops;
    s->base.retention_days = retention_days;
    s->path = util_strdup(path);
    return &s->base;
}

struct audit_sink *audit_sink_create(const struct config_audit *cfg)
{
    switch (cfg->sink) {
    case CONFIG_AUDIT_SQLITE:
        return audit_sink_sqlite_create(cfg->path, cfg->retention_days);
    case CONFIG_AUDIT_POSTGRES:
        return audit_sink_pg_create(cfg->dsn, cfg->retention_days);
    case CONFIG_AUDIT_OFF:
        break;
    }
    return NULL;
}
