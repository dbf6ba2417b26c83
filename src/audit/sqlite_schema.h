/* The SQLite audit table, shared by the sink (writes) and the query (reads). */
#ifndef WARDEN_AUDIT_SQLITE_SCHEMA_H
#define WARDEN_AUDIT_SQLITE_SCHEMA_H

#define AUDIT_SQLITE_SCHEMA                                                                                                  \
    "PRAGMA journal_mode=WAL;"                                                                                               \
    "PRAGMA synchronous=NORMAL;"                                                                                             \
    "CREATE TABLE IF NOT EXISTS audit_log ("                                                                                 \
    " id BLOB PRIMARY KEY, ts INTEGER NOT NULL, request_id TEXT, key_name TEXT, model TEXT, target TEXT,"                    \
    " status INTEGER, error_code TEXT, attempts INTEGER, reasks INTEGER, stream INTEGER, latency_us INTEGER,"                \
    " ttft_us INTEGER, tokens_in INTEGER, tokens_out INTEGER, cost_usd REAL, guardrails TEXT,"                              \
    " request_body TEXT, response_body TEXT);"                                                                               \
    "CREATE INDEX IF NOT EXISTS audit_log_ts ON audit_log(ts);"                                                              \
    "CREATE INDEX IF NOT EXISTS audit_log_key_ts ON audit_log(key_name, ts);"                                                \
    "CREATE INDEX IF NOT EXISTS audit_log_model_ts ON audit_log(model, ts);"                                                 \
    "CREATE INDEX IF NOT EXISTS audit_log_status_ts ON audit_log(status, ts);"

#define AUDIT_COLUMNS                                                                                                        \
    "id, ts, request_id, key_name, model, target, status, error_code, attempts, reasks, stream, latency_us, ttft_us,"       \
    " tokens_in, tokens_out, cost_usd, guardrails, request_body, response_body"

#endif
