/* Audit queries over SQLite (read-only connection) and PostgreSQL; see query.h. */
#include "audit/query.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
            url_decode(q + i, nlen, name, sizeof(name));
            if (eq)
                url_decode(eq + 1, (size_t)(q + j - eq - 1), value, sizeof(value));
            else
                value[0] = '\0';
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

/* ---- SQLite ---- */

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static int64_t col_opt_int(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

static int query_sqlite(const struct config_audit *cfg, const struct audit_filter *f, audit_row_cb on_row, void *ud,
                        char next_cursor[AUDIT_ID_HEX], char *err, size_t errsz)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_open_v2(cfg->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        util_set_err(err, errsz, "audit store %s: %s", cfg->path, db ? sqlite3_errmsg(db) : "cannot open");
        goto out;
    }
    sqlite3_busy_timeout(db, 2000);
    char sql[1024];
    int n = snprintf(sql, sizeof(sql), "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE id >= ?1 AND id < ?2");
    if (f->model[0])
        n += snprintf(sql + n, sizeof(sql) - (size_t)n, " AND model = ?3");
    if (f->key[0])
        n += snprintf(sql + n, sizeof(sql) - (size_t)n, " AND key_name = ?4");
    if (f->status) /* the second term lets SQLite use the partial status index (sqlite_schema.h) */
        n += snprintf(sql + n, sizeof(sql) - (size_t)n, f->status == 200 ? " AND status = ?5" : " AND status = ?5 AND status <> 200");
    snprintf(sql + n, sizeof(sql) - (size_t)n, " ORDER BY id DESC LIMIT ?6");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        util_set_err(err, errsz, "audit store %s: %s", cfg->path, sqlite3_errmsg(db));
        goto out;
    }
    uint8_t lo[AUDIT_ID_BYTES], hi[AUDIT_ID_BYTES];
    audit_id_for_time(f->since_us, lo);
    if (f->until_us > 0)
        audit_id_for_time(f->until_us, hi);
    else
        memset(hi, 0xff, sizeof(hi));
    if (f->has_cursor && memcmp(f->cursor, hi, AUDIT_ID_BYTES) < 0)
        memcpy(hi, f->cursor, AUDIT_ID_BYTES);
    sqlite3_bind_blob(st, 1, lo, AUDIT_ID_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, hi, AUDIT_ID_BYTES, SQLITE_TRANSIENT);
    if (f->model[0])
        sqlite3_bind_text(st, 3, f->model, -1, SQLITE_STATIC);
    if (f->key[0])
        sqlite3_bind_text(st, 4, f->key, -1, SQLITE_STATIC);
    if (f->status)
        sqlite3_bind_int(st, 5, f->status);
    sqlite3_bind_int(st, 6, f->limit + 1);
    int count = 0, step;
    next_cursor[0] = '\0';
    uint8_t last[AUDIT_ID_BYTES];
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == f->limit) {
            audit_id_to_hex(last, next_cursor); /* a further row exists: the page ends at the last one sent */
            break;
        }
        struct audit_record r;
        memset(&r, 0, sizeof(r));
        if (sqlite3_column_bytes(st, 0) == AUDIT_ID_BYTES)
            memcpy(r.id, sqlite3_column_blob(st, 0), AUDIT_ID_BYTES);
        memcpy(last, r.id, AUDIT_ID_BYTES);
        r.time_us = sqlite3_column_int64(st, 1);
        const char *s;
        s = col_text(st, 2), audit_record_set(r.request_id, sizeof(r.request_id), s, strlen(s));
        s = col_text(st, 3), audit_record_set(r.key_name, sizeof(r.key_name), s, strlen(s));
        s = col_text(st, 4), audit_record_set(r.model, sizeof(r.model), s, strlen(s));
        s = col_text(st, 5), audit_record_set(r.target, sizeof(r.target), s, strlen(s));
        r.status = sqlite3_column_int(st, 6);
        s = col_text(st, 7), audit_record_set(r.error_code, sizeof(r.error_code), s, strlen(s));
        r.attempts = sqlite3_column_int(st, 8);
        r.reasks = sqlite3_column_int(st, 9);
        r.stream = sqlite3_column_int(st, 10);
        r.latency_us = sqlite3_column_int64(st, 11);
        r.ttft_us = col_opt_int(st, 12);
        r.tokens_in = col_opt_int(st, 13);
        r.tokens_out = col_opt_int(st, 14);
        r.cost_usd = sqlite3_column_type(st, 15) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 15);
        s = col_text(st, 16), audit_record_set(r.guardrails, sizeof(r.guardrails), s, strlen(s));
        /* bodies are pointed at, not copied: they live until the next step */
        r.request_body = sqlite3_column_type(st, 17) == SQLITE_NULL ? NULL : (char *)col_text(st, 17);
        r.response_body = sqlite3_column_type(st, 18) == SQLITE_NULL ? NULL : (char *)col_text(st, 18);
        s = col_text(st, 19), audit_record_set(r.parent_id, sizeof(r.parent_id), s, strlen(s));
        on_row(ud, &r);
        count++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        util_set_err(err, errsz, "audit store %s: %s", cfg->path, sqlite3_errmsg(db));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
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
        audit_record_set(r.guardrails, sizeof(r.guardrails), PQgetvalue(res, i, 16), strlen(PQgetvalue(res, i, 16)));
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
    if (r->cost_usd >= 0)
        util_buf_appendf(b, ",\"cost_usd\":%.10g", r->cost_usd);
    else
        util_buf_appendf(b, ",\"cost_usd\":null");
    util_buf_append(b, ",\"guardrails\":", 14);
    util_buf_append_json_string(b, r->guardrails, strlen(r->guardrails));
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
