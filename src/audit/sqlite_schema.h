/* The SQLite audit table, shared by the sink (writes) and the query (reads).
 *
 * The table is keyed by the 16-byte record id WITHOUT ROWID. Ids begin with
 * the time in microseconds, big-endian, so the primary key is also the time
 * index: inserts append, a time range is an id range (audit_id_for_time), and
 * every secondary index (key, model, status) carries the id after its column,
 * so "model = ? AND time in range ORDER BY time DESC LIMIT n" is one index
 * range walked backwards, and the keyset cursor is simply the last id.
 *
 * Each index costs the writer a b-tree insert per record (about a fifth of its
 * work), so two are partial. The key index leaves out anonymous requests (no
 * key_name: a deployment without api_keys pays nothing for it); "key_name = ?"
 * implies "key_name IS NOT NULL", so SQLite uses it for every query by key. The
 * status index leaves out status 200: most records are 200s. A query for 200
 * walks the time index backwards and finds its page of rows almost at once,
 * because most rows match; a query for any other status says "AND status <> 200"
 * as well, so that SQLite may use the partial index. */
#ifndef WARDEN_AUDIT_SQLITE_SCHEMA_H
#define WARDEN_AUDIT_SQLITE_SCHEMA_H

#define AUDIT_SQLITE_SCHEMA                                                                                                  \
    "PRAGMA journal_mode=WAL;"                                                                                               \
    "PRAGMA synchronous=NORMAL;"                                                                                             \
    "PRAGMA wal_autocheckpoint=16384;"                                                                                       \
    "PRAGMA cache_size=-32768;"                                                                                              \
    "CREATE TABLE IF NOT EXISTS audit_log ("                                                                                 \
    " id BLOB NOT NULL PRIMARY KEY, ts INTEGER NOT NULL, request_id TEXT, key_name TEXT, model TEXT, target TEXT,"          \
    " status INTEGER, error_code TEXT, attempts INTEGER, reasks INTEGER, stream INTEGER, latency_us INTEGER,"                \
    " ttft_us INTEGER, tokens_in INTEGER, tokens_out INTEGER, cost_usd REAL, guardrails TEXT,"                              \
    " request_body TEXT, response_body TEXT, parent_id TEXT) WITHOUT ROWID;"                                               \
    "DROP INDEX IF EXISTS audit_log_key;"                                                                                    \
    "CREATE INDEX IF NOT EXISTS audit_log_key_named ON audit_log(key_name, id) WHERE key_name IS NOT NULL;"                 \
    "CREATE INDEX IF NOT EXISTS audit_log_model ON audit_log(model, id);"                                                    \
    "DROP INDEX IF EXISTS audit_log_status;"                                                                                 \
    "CREATE INDEX IF NOT EXISTS audit_log_status_not_ok ON audit_log(status, id) WHERE status <> 200;"

#define AUDIT_COLUMNS                                                                                                        \
    "id, ts, request_id, key_name, model, target, status, error_code, attempts, reasks, stream, latency_us, ttft_us,"       \
    " tokens_in, tokens_out, cost_usd, guardrails, request_body, response_body, parent_id"

/* A store made before parent_id existed gets the column (the error when it is already there is
 * the expected answer, and ignored). */
#define AUDIT_SQLITE_ADD_PARENT_ID "ALTER TABLE audit_log ADD COLUMN parent_id TEXT"

#endif
