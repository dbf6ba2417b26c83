/* The SQLite audit store, shared by the sink (writes) and the query (reads).
 *
 * BLOCKS. A row per record cost the writer about 9,000 instructions a record (a
 * WITHOUT ROWID primary-key insert and three index inserts, each a b-tree
 * descent and a page change in the WAL): more than the 5% of a request that
 * the audit may take. So the writer stores each batch as a few rows of
 * audit_block, one per up to AUDIT_BLOCK_RECORDS records of one id range:
 *
 *   seq       the row id (a rowid table: a block's row is tens of KB, and a b-tree keyed
 *             by a BLOB compares keys by reading whole rows, overflow pages and all, where
 *             an integer key compares in place; the first version, WITHOUT ROWID on
 *             last_id, spent a third of its time there)
 *   last_id   the block's largest record id (unique index: blocks are walked by it)
 *   first_id  its smallest; a block never spans more than AUDIT_BLOCK_SPAN_US,
 *             so a block with first_id < X has last_id < X + that span
 *   n, ts_min, ts_max    its record count and time range (for people)
 *   models, keys, targets   the distinct models, key names and targets of its records,
 *             each a JSON array of strings ("[\"gpt-4o\",\"o3\"]"; an empty one is not
 *             listed): the block's dictionaries, which its records point into by position
 *   statuses             its distinct statuses, ",200,429,"
 *   combos    the distinct (model, key, status) of its records, a flat JSON array of triples,
 *             model and key as places in the dictionaries, null for none:
 *             "[0,null,200,1,null,429]" (a block where each filter matches some record
 *             but no record matches them all is skipped without reading its records)
 *   ids       the records' 16-byte ids, concatenated, ascending
 *   recs      the records, a JSON array with one positional array each (block.h);
 *             a record's time is written as the microseconds after ts_min, its model,
 *             key and target as places in the dictionaries (a few digits, where the
 *             texts, the same in most records, would be escaped and stored again)
 *
 * The summary columns come before the two big ones, so that the query decides
 * whether to read a block (its dictionaries and combos) without reading the
 * rest of its overflow pages. Ids begin with the time in microseconds,
 * big-endian, so a time range is an id range (audit_id_for_time). Blocks may
 * overlap in id range (rings are popped in any order, a journal replay stores
 * old records late): the query merges them (query.c), and the writer skips a
 * record whose id is already in a block (sink_sqlite.c).
 *
 * TERMS. audit_block_term indexes the blocks by model, key and status (the
 * issue's "indexes on time, key, model and status"; time is last_id's index):
 * one row (kind, value, last_id, seq) per distinct model, key name and status
 * of each block, written in the block's transaction, deleted with the block by
 * a trigger (retention, or any DELETE). Keyed by (kind, value, last_id), not
 * seq: the query walks a term's blocks newest last_id first, the order its stop
 * rule needs, whatever order they were written in (a replay writes old records
 * in a new, higher seq). A query with a filter reads O(blocks that hold the
 * term) rows instead of every block's summary. Its cost to the writer: a few
 * thousand instructions per term row and one multi-row INSERT per 8 terms of a
 * block (SINK=1 bench/audit_instr.sh, one model and one status a block: +78 a
 * record in batches of 256, +350 in batches of 64, +1,340 in batches of 16).
 *
 * audit_log is a VIEW with the columns and types of the table that stored a
 * row per record before (id BLOB, ts, ..., cost_usd REAL, ..., parent_id), so
 * that any reader (python's sqlite3, the sqlite3 shell, the tests) keeps
 * working: json_each walks a block's records, ->> reads their fields (a field
 * that is left out reads as NULL), substr() cuts the record's id out of ids
 * (substr on a BLOB counts bytes and returns a BLOB). The view reads every
 * block it may need: a scan, fine for a person or a test; GET /admin/audit and
 * `warden audit` read the blocks themselves.
 *
 * A store made before blocks (audit_log a table) is migrated when the writer
 * opens it: its rows become blocks in one transaction, then the table is
 * dropped and the view made (sink_sqlite.c, migrate_rows). A store of the
 * first block version (no combos, no audit_block_term) is upgraded when the
 * writer opens it, in one transaction: its table is renamed audit_block_v1,
 * each block copied into the new table with its combos and term rows, the old
 * table dropped (sink_sqlite.c, upgrade_blocks). Until then the query refuses
 * it with a message that says so. */
#ifndef WARDEN_AUDIT_SQLITE_SCHEMA_H
#define WARDEN_AUDIT_SQLITE_SCHEMA_H

#include "audit/block.h" /* AUDIT_BLOCK_RECORDS */

#define AUDIT_BLOCK_SPAN_US (60LL * 1000000)

/* page_size (a new store only; before WAL mode, which fixes it): every commit rewrites whole
 * pages (the table's and the index's leaf, page 1, the block's overflow pages) and checksums
 * them into the WAL, so smaller pages cost less a batch; 2 KiB measured best
 * (SINK=1 bench/audit_instr.sh: 1,448 instructions a record in batches of 256, 1,564 with
 * 4 KiB pages, 1,519 with 1 KiB). */
#define AUDIT_SQLITE_PRAGMAS                                                                                                 \
    "PRAGMA page_size=2048;"                                                                                                 \
    "PRAGMA journal_mode=WAL;"                                                                                               \
    "PRAGMA synchronous=NORMAL;"                                                                                             \
    "PRAGMA wal_autocheckpoint=16384;"                                                                                       \
    "PRAGMA cache_size=-32768;"

#define AUDIT_SQLITE_BLOCK_TABLE                                                                                             \
    "CREATE TABLE IF NOT EXISTS audit_block (seq INTEGER PRIMARY KEY, last_id BLOB NOT NULL, first_id BLOB NOT NULL,"        \
    " n INTEGER NOT NULL, ts_min INTEGER NOT NULL, ts_max INTEGER NOT NULL, models TEXT NOT NULL, keys TEXT NOT NULL,"      \
    " targets TEXT NOT NULL, statuses TEXT NOT NULL, combos TEXT NOT NULL, ids BLOB NOT NULL, recs TEXT NOT NULL);"         \
    "CREATE UNIQUE INDEX IF NOT EXISTS audit_block_last ON audit_block(last_id);"

/* The kinds of audit_block_term rows. */
enum audit_term_kind { AUDIT_TERM_MODEL = 0, AUDIT_TERM_KEY = 1, AUDIT_TERM_STATUS = 2 };

/* The term index, and the trigger that deletes a block's terms with the block (retention, or a
 * person's DELETE): the block's models and keys are JSON arrays, its statuses ",200,429," made
 * one ("[200,429]"). A summary that is not JSON (never written so) deletes none: a term left
 * behind names a block that is gone, which the query's join drops. */
#define AUDIT_SQLITE_TERM_TABLE                                                                                              \
    "CREATE TABLE IF NOT EXISTS audit_block_term (kind INTEGER NOT NULL, value NOT NULL, last_id BLOB NOT NULL,"           \
    " seq INTEGER NOT NULL, PRIMARY KEY (kind, value, last_id)) WITHOUT ROWID;"                                             \
    "CREATE TRIGGER IF NOT EXISTS audit_block_term_delete AFTER DELETE ON audit_block BEGIN"                               \
    " DELETE FROM audit_block_term WHERE kind = 0 AND last_id = old.last_id AND value IN"                                  \
    "  (SELECT value FROM json_each(CASE WHEN json_valid(old.models) THEN old.models ELSE '[]' END));"                     \
    " DELETE FROM audit_block_term WHERE kind = 1 AND last_id = old.last_id AND value IN"                                  \
    "  (SELECT value FROM json_each(CASE WHEN json_valid(old.keys) THEN old.keys ELSE '[]' END));"                         \
    " DELETE FROM audit_block_term WHERE kind = 2 AND last_id = old.last_id AND value IN"                                  \
    "  (SELECT value FROM json_each(CASE WHEN json_valid('[' || trim(old.statuses, ',') || ']')"                           \
    "   THEN '[' || trim(old.statuses, ',') || ']' ELSE '[]' END));"                                                       \
    " END;"

/* The fields' positions are those of enum audit_block_field (block.h); x ->> NULL is NULL. */
#define AUDIT_SQLITE_VIEW                                                                                                    \
    "CREATE VIEW IF NOT EXISTS audit_log (id, ts, request_id, key_name, model, target, status, error_code, attempts,"       \
    " reasks, stream, latency_us, ttft_us, tokens_in, tokens_out, cost_usd, guardrails, request_body, response_body,"       \
    " parent_id) AS SELECT substr(b.ids, 16 * r.key + 1, 16), b.ts_min + (r.value ->> 0), r.value ->> 4,"              \
    " b.keys ->> (r.value ->> 3), b.models ->> (r.value ->> 2), b.targets ->> (r.value ->> 5), r.value ->> 1, r.value ->> 6, r.value ->> 7, r.value ->> 8, r.value ->> 9, r.value ->> 10,"            \
    " r.value ->> 11, r.value ->> 12, r.value ->> 13, r.value ->> 14, r.value ->> 15, r.value ->> 16, r.value ->> 17,"      \
    " r.value ->> 18 FROM audit_block AS b, json_each(b.recs) AS r;"

/* The columns of the table a store had before blocks (migrated from; parent_id came later). */
#define AUDIT_OLD_COLUMNS                                                                                                    \
    "id, ts, request_id, key_name, model, target, status, error_code, attempts, reasks, stream, latency_us, ttft_us,"       \
    " tokens_in, tokens_out, cost_usd, guardrails, request_body, response_body, parent_id"
#define AUDIT_SQLITE_ADD_PARENT_ID "ALTER TABLE audit_log ADD COLUMN parent_id TEXT"

#endif
