/* The PostgreSQL sink (libpq), for many replicas sharing one store.
 *
 * Table warden_audit is partitioned by range of ts (Unix microseconds), one
 * partition per UTC day named warden_audit_pYYYYMMDD. The primary key is
 * (ts, id): the id alone is unique, but a partitioned table's key must contain
 * the partition column; ids embed their ts, so a replayed record conflicts on
 * the same key and ON CONFLICT DO NOTHING skips it. Partitions are created
 * for today and the next two days by maintain(), and on demand for the days a
 * batch touches (a replayed journal may hold older days); retention drops
 * whole partitions, never DELETEs rows.
 *
 * A batch is one transaction of multi-row INSERTs (ROWS_PER_INSERT rows of 19
 * text parameters each; PostgreSQL caps a statement at 65535 parameters).
 * Any error disconnects; the writer reconnects with backoff. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/sink.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"

#define ROWS_PER_INSERT 1000
#define N_COLS 20
#define DAY_US (86400LL * 1000000LL)
#define KNOWN_DAYS 64

struct pg_sink {
    struct audit_sink base;
    char *dsn;
    PGconn *conn;
    int64_t known_days[KNOWN_DAYS]; /* partitions this connection has made sure of */
    size_t n_known;
    struct util_buf sql;
    /* parameter scratch: text of the numbers and the uuid of each row */
    char (*num)[N_COLS][40];
    const char **values;
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS warden_audit ("
    " id uuid NOT NULL, ts bigint NOT NULL, request_id text, key_name text, model text, target text,"
    " status integer, error_code text, attempts integer, reasks integer, stream boolean, latency_us bigint,"
    " ttft_us bigint, tokens_in bigint, tokens_out bigint, cost_usd double precision, guardrails text,"
    " request_body text, response_body text, parent_id text, PRIMARY KEY (ts, id)) PARTITION BY RANGE (ts);"
    "ALTER TABLE warden_audit ADD COLUMN IF NOT EXISTS parent_id text;" /* stores made before it */
    "CREATE INDEX IF NOT EXISTS warden_audit_key_ts ON warden_audit (key_name, ts);"
    "CREATE INDEX IF NOT EXISTS warden_audit_model_ts ON warden_audit (model, ts);"
    "CREATE INDEX IF NOT EXISTS warden_audit_status_ts ON warden_audit (status, ts);";

static void disconnect(struct pg_sink *s)
{
    if (s->conn != NULL)
        PQfinish(s->conn);
    s->conn = NULL;
    s->n_known = 0;
}

static int fail(struct pg_sink *s, char *err, size_t errsz, const char *what, PGresult *res)
{
    const char *m = res ? PQresultErrorMessage(res) : s->conn ? PQerrorMessage(s->conn) : "no connection";
    char msg[400];
    snprintf(msg, sizeof(msg), "%s", m && *m ? m : "unknown error");
    msg[strcspn(msg, "\n")] = '\0';
    util_set_err(err, errsz, "postgres: %s: %s", what, msg);
    if (res)
        PQclear(res);
    disconnect(s);
    return WARDEN_EIO;
}

static int exec_ok(struct pg_sink *s, const char *sql, char *err, size_t errsz, const char *what)
{
    PGresult *res = PQexec(s->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return fail(s, err, errsz, what, res);
    PQclear(res);
    return 0;
}

/* Runs a CREATE ... IF NOT EXISTS, once more if it fails: two replicas creating the same
 * table at once can make one of them lose the race on the catalog. */
static int create_twice(struct pg_sink *s, const char *sql, char *err, size_t errsz, const char *what)
{
    PGresult *res = PQexec(s->conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        PQclear(res);
        res = PQexec(s->conn, sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            return fail(s, err, errsz, what, res);
    }
    PQclear(res);
    return 0;
}

static int pg_connect(struct audit_sink *base, char *err, size_t errsz)
{
    struct pg_sink *s = (struct pg_sink *)base;
    disconnect(s);
    /* the dsn may be a URI or key=value text; connect_timeout after it bounds a dead server */
    /* tcp_user_timeout: a server that vanished without a reset fails the call in 10 s */
    const char *keys[] = {"dbname", "connect_timeout", "application_name", "tcp_user_timeout", NULL};
    const char *vals[] = {s->dsn, "3", "warden-audit", "10000", NULL};
    s->conn = PQconnectdbParams(keys, vals, 1);
    if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
        return fail(s, err, errsz, "connect", NULL);
    PGresult *res = PQexec(s->conn, "SET client_min_messages = warning");
    PQclear(res);
    return create_twice(s, schema_sql, err, errsz, "schema");
}

static int64_t day_of(int64_t ts_us)
{
    return ts_us >= 0 ? ts_us / DAY_US : (ts_us - DAY_US + 1) / DAY_US;
}

static void partition_name(int64_t day, char *out, size_t outsz)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, outsz, "warden_audit_p%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static int ensure_partition(struct pg_sink *s, int64_t day, char *err, size_t errsz)
{
    for (size_t i = 0; i < s->n_known; i++)
        if (s->known_days[i] == day)
            return 0;
    char name[64], sql[256];
    partition_name(day, name, sizeof(name));
    snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS %s PARTITION OF warden_audit FOR VALUES FROM (%lld) TO (%lld)", name,
             (long long)(day * DAY_US), (long long)((day + 1) * DAY_US));
    if (create_twice(s, sql, err, errsz, "create partition") != 0)
        return WARDEN_EIO;
    if (s->n_known == KNOWN_DAYS)
        s->n_known = 0; /* forget: re-checking is cheap (IF NOT EXISTS) */
    s->known_days[s->n_known++] = day;
    return 0;
}

static const char *opt_text(const char *v)
{
    return v != NULL && *v ? v : NULL;
}

static int insert_rows(struct pg_sink *s, const struct audit_record *recs, size_t n, char *err, size_t errsz)
{
    util_buf_reset(&s->sql);
    util_buf_appendf(&s->sql, "INSERT INTO warden_audit (id, ts, request_id, key_name, model, target, status, error_code, "
                              "attempts, reasks, stream, latency_us, ttft_us, tokens_in, tokens_out, cost_usd, guardrails, "
                              "request_body, response_body, parent_id) VALUES ");
    for (size_t i = 0; i < n; i++) {
        const struct audit_record *r = &recs[i];
        char (*num)[40] = s->num[i];
        const char **v = s->values + i * N_COLS;
        audit_id_to_uuid(r->id, num[0]);
        snprintf(num[1], 40, "%lld", (long long)r->time_us);
        snprintf(num[6], 40, "%d", r->status);
        snprintf(num[8], 40, "%d", r->attempts);
        snprintf(num[9], 40, "%d", r->reasks);
        snprintf(num[11], 40, "%lld", (long long)r->latency_us);
        snprintf(num[12], 40, "%lld", (long long)r->ttft_us);
        snprintf(num[13], 40, "%lld", (long long)r->tokens_in);
        snprintf(num[14], 40, "%lld", (long long)r->tokens_out);
        snprintf(num[15], 40, "%.17g", r->cost_usd);
        v[0] = num[0];
        v[1] = num[1];
        v[2] = opt_text(r->request_id);
        v[3] = opt_text(r->key_name);
        v[4] = opt_text(r->model);
        v[5] = opt_text(r->target);
        v[6] = num[6];
        v[7] = opt_text(r->error_code);
        v[8] = num[8];
        v[9] = num[9];
        v[10] = r->stream ? "t" : "f";
        v[11] = num[11];
        v[12] = r->ttft_us > 0 ? num[12] : NULL;
        v[13] = r->tokens_in >= 0 ? num[13] : NULL;
        v[14] = r->tokens_out >= 0 ? num[14] : NULL;
        v[15] = r->cost_usd >= 0 ? num[15] : NULL;
        v[16] = opt_text(r->guardrails);
        v[17] = opt_text(r->request_body);
        v[18] = opt_text(r->response_body);
        v[19] = opt_text(r->parent_id);
        util_buf_append(&s->sql, i ? ",(" : "(", i ? 2 : 1);
        for (int c = 0; c < N_COLS; c++)
            util_buf_appendf(&s->sql, "%s$%zu", c ? "," : "", i * N_COLS + (size_t)c + 1);
        util_buf_append(&s->sql, ")", 1);
    }
    util_buf_appendf(&s->sql, " ON CONFLICT DO NOTHING");
    PGresult *res = PQexecParams(s->conn, s->sql.data, (int)(n * N_COLS), NULL, s->values, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return fail(s, err, errsz, "insert", res);
    PQclear(res);
    return 0;
}

static int pg_write(struct audit_sink *base, const struct audit_record *recs, size_t n, char *err, size_t errsz)
{
    struct pg_sink *s = (struct pg_sink *)base;
    if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
        util_set_err(err, errsz, "postgres: not connected");
        disconnect(s);
        return WARDEN_EIO;
    }
    for (size_t i = 0; i < n; i++)
        if (ensure_partition(s, day_of(recs[i].time_us), err, errsz) != 0)
            return WARDEN_EIO;
    if (exec_ok(s, "BEGIN", err, errsz, "begin") != 0)
        return WARDEN_EIO;
    for (size_t off = 0; off < n; off += ROWS_PER_INSERT) {
        size_t k = n - off < ROWS_PER_INSERT ? n - off : ROWS_PER_INSERT;
        if (insert_rows(s, recs + off, k, err, errsz) != 0)
            return WARDEN_EIO; /* disconnected: the transaction is gone with the session */
    }
    return exec_ok(s, "COMMIT", err, errsz, "commit");
}

static int pg_maintain(struct audit_sink *base, int64_t now_us, char *err, size_t errsz)
{
    struct pg_sink *s = (struct pg_sink *)base;
    if (s->conn == NULL)
        return 0;
    int64_t today = day_of(now_us);
    for (int64_t d = today; d <= today + 2; d++)
        if (ensure_partition(s, d, err, errsz) != 0)
            return WARDEN_EIO;
    if (base->retention_days <= 0)
        return 0;
    /* drop one expired partition per step */
    PGresult *res = PQexec(s->conn, "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                    "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'warden_audit' ORDER BY 1");
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return fail(s, err, errsz, "list partitions", res);
    char cutoff[64];
    partition_name(today - base->retention_days, cutoff, sizeof(cutoff));
    char victim[64] = "";
    int more = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        if (strlen(name) == strlen(cutoff) && strncmp(name, "warden_audit_p", 14) == 0 && strcmp(name, cutoff) < 0) {
            if (victim[0] == '\0')
                snprintf(victim, sizeof(victim), "%s", name);
            else
                more = 1;
        }
    }
    PQclear(res);
    if (victim[0] == '\0')
        return 0;
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", victim);
    if (exec_ok(s, sql, err, errsz, "drop partition") != 0)
        return WARDEN_EIO;
    s->n_known = 0;
    return more;
}

static void pg_destroy(struct audit_sink *base)
{
    struct pg_sink *s = (struct pg_sink *)base;
    disconnect(s);
    util_buf_free(&s->sql);
    free(s->num);
    free(s->values);
    free(s->dsn);
    free(s);
}

static const struct audit_sink_ops pg_ops = {"postgres", pg_connect, pg_write, pg_maintain, pg_destroy};

struct audit_sink *audit_sink_pg_create(const char *dsn, int retention_days)
{
    struct pg_sink *s = util_calloc(1, sizeof(*s));
    s->base.ops = &pg_ops;
    s->base.retention_days = retention_days;
    s->dsn = util_strdup(dsn);
    util_buf_init(&s->sql, 64u << 20);
    s->num = util_calloc(ROWS_PER_INSERT, sizeof(*s->num));
    s->values = util_calloc(ROWS_PER_INSERT * N_COLS, sizeof(*s->values));
    return &s->base;
}
