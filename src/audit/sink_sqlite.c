/* The SQLite sink (the default).
 *
 * One table, audit_log, with the 16-byte id as its primary key (WITHOUT ROWID):
 * ids start with the time, so inserts append to the b-tree, and INSERT OR IGNORE makes a
 * replayed record a no-op. WAL mode with synchronous=NORMAL: a commit survives
 * a crash of the process (not of the machine), and readers (GET /admin/audit,
 * `warden audit`) never block the writer. One transaction per batch, prepared
 * multi-row statements (see insert_rows). The id is the time index; key, model and status have
 * indexes that end in the id (see sqlite_schema.h). Retention deletes at most RETENTION_STEP rows per maintain() call, oldest
 * first, so the writer never stalls on a long DELETE. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/sink.h"
#include "audit/sqlite_schema.h"
#include "util/alloc.h"
#include "util/err.h"

#define RETENTION_STEP 5000
/* Rows per INSERT statement, largest first: a statement's start and end (VdbeHalt, the
 * statement journal) and its first bind cost about as much as a one-row insert, so a batch
 * goes in as 64-row statements and the rest as 16-, 4- and 1-row ones (a batch is whatever
 * arrived in flush_ms: any size). */
static const int insert_rows[] = {64, 16, 4, 1};
#define INSERT_SIZES 4
#define ROWS_PER_INSERT 64
#define COLUMNS 20

/* An INSERT and what its parameters hold now. A parameter keeps its value from one step to
 * the next, and most of a record's columns repeat (NULL key, error and bodies; status 200, one
 * attempt, no re-ask): a bind (about a hundred instructions) is skipped when the parameter
 * already holds that NULL or integer. Texts point into the batch and are always bound. */
enum param_held { PARAM_OTHER, PARAM_NULL, PARAM_INT, PARAM_KEPT_TEXT };
/* The texts that repeat from one record to the next (key, model, target) are bound from a copy
 * of the statement's own, so that the next row can compare with it. */
enum kept_text { KEPT_KEY, KEPT_MODEL, KEPT_TARGET, KEPT_TEXTS };
#define KEPT_TEXT_MAX sizeof(((struct audit_record *)0)->target) /* the longest of the three */
struct insert_stmt {
    sqlite3_stmt *st;
    uint8_t held[ROWS_PER_INSERT * COLUMNS];  /* enum param_held, by parameter - 1 */
    int64_t value[ROWS_PER_INSERT * COLUMNS]; /* the integer, when PARAM_INT */
    char kept[ROWS_PER_INSERT][KEPT_TEXTS][KEPT_TEXT_MAX]; /* the text, when PARAM_KEPT_TEXT */
};

struct sqlite_sink {
    struct audit_sink base;
    char *path;
    sqlite3 *db;
    struct insert_stmt insert[INSERT_SIZES]; /* insert[k] inserts insert_rows[k] rows */
    sqlite3_stmt *expire;
};

/* After prepare every parameter is NULL. */
static void params_cleared(struct insert_stmt *ins)
{
    memset(ins->held, PARAM_NULL, sizeof(ins->held));
}

static int prepare_insert(sqlite3 *db, const char *sql, int n, struct insert_stmt *ins)
{
    params_cleared(ins);
    return sqlite3_prepare_v2(db, sql, n, &ins->st, NULL);
}

static void disconnect(struct sqlite_sink *s)
{
    for (int k = 0; k < INSERT_SIZES; k++) {
        sqlite3_finalize(s->insert[k].st);
        s->insert[k].st = NULL;
    }
    sqlite3_finalize(s->expire);
    s->expire = NULL;
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

static int sq_connect(struct audit_sink *base, char *err, size_t errsz)
{
    struct sqlite_sink *s = (struct sqlite_sink *)base;
    disconnect(s);
    if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        return fail(s, err, errsz, "open");
    sqlite3_busy_timeout(s->db, 2000);
    if (sqlite3_exec(s->db, AUDIT_SQLITE_SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, err, errsz, "schema");
    sqlite3_exec(s->db, AUDIT_SQLITE_ADD_PARENT_ID, NULL, NULL, NULL);
    char sql[ROWS_PER_INSERT * (COLUMNS * 2 + 3) + 256];
    int n = snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO audit_log(" AUDIT_COLUMNS ") VALUES ");
    for (int r = 1, k = INSERT_SIZES - 1; k >= 0; r++) {
        n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%s(?", r > 1 ? "," : "");
        for (int c = 1; c < COLUMNS; c++)
            n += snprintf(sql + n, sizeof(sql) - (size_t)n, ",?");
        n += snprintf(sql + n, sizeof(sql) - (size_t)n, ")");
        if (r == insert_rows[k] && prepare_insert(s->db, sql, n, &s->insert[k--]) != SQLITE_OK)
            return fail(s, err, errsz, "prepare insert");
    }
    if (sqlite3_prepare_v2(s->db,
                           "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE id < ?1 ORDER BY id LIMIT ?2)",
                           -1, &s->expire, NULL) != SQLITE_OK)
        return fail(s, err, errsz, "prepare retention");
    return 0;
}

static void bind_null(struct insert_stmt *ins, int i)
{
    if (ins->held[i - 1] != PARAM_NULL) {
        sqlite3_bind_null(ins->st, i);
        ins->held[i - 1] = PARAM_NULL;
    }
}

static void bind_int(struct insert_stmt *ins, int i, int64_t v)
{
    if (ins->held[i - 1] != PARAM_INT || ins->value[i - 1] != v) {
        sqlite3_bind_int64(ins->st, i, v);
        ins->held[i - 1] = PARAM_INT;
        ins->value[i - 1] = v;
    }
}

static void bind_text(struct insert_stmt *ins, int i, const char *s)
{
    if (s == NULL || *s == '\0') {
        bind_null(ins, i);
    } else {
        sqlite3_bind_text(ins->st, i, s, -1, SQLITE_STATIC);
        ins->held[i - 1] = PARAM_OTHER;
    }
}

/* A text that the row in the same place of the previous step likely had as well. */
static void bind_kept_text(struct insert_stmt *ins, int i, int row, enum kept_text which, const char *s)
{
    if (*s == '\0') {
        bind_null(ins, i);
        return;
    }
    char *kept = ins->kept[row][which];
    if (ins->held[i - 1] == PARAM_KEPT_TEXT && strcmp(kept, s) == 0)
        return;
    size_t n = strnlen(s, KEPT_TEXT_MAX - 1); /* the record's fields are shorter: never cut */
    memcpy(kept, s, n);
    kept[n] = '\0';
    sqlite3_bind_text(ins->st, i, kept, (int)n, SQLITE_STATIC);
    ins->held[i - 1] = PARAM_KEPT_TEXT;
}

static void bind_optional_int(struct insert_stmt *ins, int i, int64_t v)
{
    if (v < 0)
        bind_null(ins, i);
    else
        bind_int(ins, i, v);
}

/* Binds r as the row whose first parameter is number base + 1 (columns in AUDIT_COLUMNS order). */
static void bind_record(struct insert_stmt *ins, int base, const struct audit_record *r)
{
    sqlite3_bind_blob(ins->st, base + 1, r->id, AUDIT_ID_BYTES, SQLITE_STATIC);
    ins->held[base] = PARAM_OTHER;
    bind_int(ins, base + 2, r->time_us);
    bind_text(ins, base + 3, r->request_id);
    int row = base / COLUMNS;
    bind_kept_text(ins, base + 4, row, KEPT_KEY, r->key_name);
    bind_kept_text(ins, base + 5, row, KEPT_MODEL, r->model);
    bind_kept_text(ins, base + 6, row, KEPT_TARGET, r->target);
    bind_int(ins, base + 7, r->status);
    bind_text(ins, base + 8, r->error_code);
    bind_int(ins, base + 9, r->attempts);
    bind_int(ins, base + 10, r->reasks);
    bind_int(ins, base + 11, r->stream);
    bind_int(ins, base + 12, r->latency_us);
    bind_optional_int(ins, base + 13, r->ttft_us > 0 ? r->ttft_us : -1);
    bind_optional_int(ins, base + 14, r->tokens_in);
    bind_optional_int(ins, base + 15, r->tokens_out);
    if (r->cost_usd < 0) {
        bind_null(ins, base + 16);
    } else {
        sqlite3_bind_double(ins->st, base + 16, r->cost_usd);
        ins->held[base + 15] = PARAM_OTHER;
    }
    bind_text(ins, base + 17, r->guardrails);
    bind_text(ins, base + 18, r->request_body);
    bind_text(ins, base + 19, r->response_body);
    bind_text(ins, base + 20, r->parent_id);
}

static int sq_write(struct audit_sink *base, const struct audit_record *recs, size_t n, char *err, size_t errsz)
{
    struct sqlite_sink *s = (struct sqlite_sink *)base;
    if (s->db == NULL) {
        util_set_err(err, errsz, "sqlite %s: not connected", s->path);
        return WARDEN_EIO;
    }
    if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, err, errsz, "begin");
    for (size_t i = 0; i < n;) {
        int k = 0;
        while (n - i < (size_t)insert_rows[k])
            k++;
        int rows = insert_rows[k];
        struct insert_stmt *ins = &s->insert[k];
        for (int r = 0; r < rows; r++)
            bind_record(ins, r * COLUMNS, &recs[i + (size_t)r]);
        int rc = sqlite3_step(ins->st);
        sqlite3_reset(ins->st);
        if (rc != SQLITE_DONE) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return fail(s, err, errsz, "insert");
        }
        i += (size_t)rows;
    }
    /* The bound texts (SQLITE_STATIC) point into the batch, which the caller frees, and are
     * left bound: every step binds all of its row's texts anew, so SQLite never reads one
     * of an earlier batch, and rebinding does not read the old value. sqlite3_clear_bindings
     * here cost 17k instructions a batch (every parameter of the 64-row statement) and
     * the integer binds that it undid. */
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return fail(s, err, errsz, "commit");
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
    sqlite3_bind_int(s->expire, 2, RETENTION_STEP);
    int rc = sqlite3_step(s->expire);
    sqlite3_reset(s->expire);
    if (rc != SQLITE_DONE)
        return fail(s, err, errsz, "retention");
    return sqlite3_changes(s->db) == RETENTION_STEP ? 1 : 0;
}

static void sq_destroy(struct audit_sink *base)
{
    struct sqlite_sink *s = (struct sqlite_sink *)base;
    disconnect(s);
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
