/* Audit blocks: many records as one row of the SQLite store (sqlite_schema.h).
 *
 * A block's records are one compact JSON text, an array with one positional
 * array per record (the fields in enum audit_block_field order; NULL fields at
 * the end are left out; model, key and target as places in the block's
 * dictionaries), so that SQLite's json_each reads it for the
 * audit_log view, and the query (query.c) and the sink (sink_sqlite.c) read it
 * with the reader below. The ids are not in the text: they are a separate
 * BLOB of 16 bytes per record, in the same order.
 *
 * The encoder is written for the writer thread's budget (a few hundred
 * instructions a record): no printf, strings escaped eight bytes at a time
 * when nothing needs escaping. It always produces valid JSON: control bytes
 * are escaped, invalid UTF-8 becomes U+FFFD, and the cost is written as the
 * shortest of 15 significant digits that reads back as exactly the same
 * double (checked by one division), else with 17 digits. */
#ifndef WARDEN_AUDIT_BLOCK_H
#define WARDEN_AUDIT_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "audit/record.h"

/* The positions of the fields in a record's array (the view in sqlite_schema.h reads them by
 * these numbers). The four that queries filter on come first, so a reader can stop early. */
enum audit_block_field {
    AUDIT_F_TS,
    AUDIT_F_STATUS,
    AUDIT_F_MODEL,
    AUDIT_F_KEY,
    AUDIT_F_REQUEST_ID,
    AUDIT_F_TARGET,
    AUDIT_F_ERROR_CODE,
    AUDIT_F_ATTEMPTS,
    AUDIT_F_REASKS,
    AUDIT_F_STREAM,
    AUDIT_F_LATENCY,
    AUDIT_F_TTFT,
    AUDIT_F_TOKENS_IN,
    AUDIT_F_TOKENS_OUT,
    AUDIT_F_COST,
    AUDIT_F_GUARDRAILS,
    AUDIT_F_REQUEST_BODY,
    AUDIT_F_RESPONSE_BODY,
    AUDIT_F_PARENT_ID,
    AUDIT_F_COUNT
};

/* The most records in one block. */
#define AUDIT_BLOCK_RECORDS 256

/* A block's dictionaries: the distinct models, key names and targets of its records (the
 * store's models, keys and targets columns, JSON arrays of strings). A record holds their
 * positions, so that these texts, the same in most records, are written once a block. */
struct audit_block_dict {
    size_t n_models, n_keys, n_targets;
    char models[AUDIT_BLOCK_RECORDS][sizeof(((struct audit_record *)0)->model)];
    char keys[AUDIT_BLOCK_RECORDS][sizeof(((struct audit_record *)0)->key_name)];
    char targets[AUDIT_BLOCK_RECORDS][sizeof(((struct audit_record *)0)->target)];
};
/* Reads the three arrays; -1 when one is not an array of at most AUDIT_BLOCK_RECORDS strings. */
int audit_block_dict_parse(struct audit_block_dict *d, const char *models, size_t models_len, const char *keys,
                           size_t keys_len, const char *targets, size_t targets_len);

/* A record's places in its block's dictionaries (-1: the field is empty, NULL). */
struct audit_block_refs {
    int model, key, target;
};

/* A growable text (no cap: its owner bounds what goes in, a block's records). */
struct audit_text {
    char *p;
    size_t len, cap;
};

void audit_text_reserve(struct audit_text *t, size_t more);
void audit_text_free(struct audit_text *t);

/* Appends s[0..n) as a JSON string literal, quotes included. */
void audit_json_string(struct audit_text *t, const char *s, size_t n);
/* Appends r as one positional JSON array (no id; its time as the microseconds after ts_base,
 * the block's ts_min; its model, key and target as their places in the block's dictionaries). */
void audit_block_append_record(struct audit_text *t, const struct audit_record *r, int64_t ts_base,
                               const struct audit_block_refs *refs);
/* Appends v >= 0 as a JSON number that reads back as exactly v (with a '.', so SQLite reads a REAL). */
void audit_json_cost(struct audit_text *t, double v);

/* Reads a block's text record by record. Nothing here trusts the text: malformed input is an
 * error (-1), never a read past its end. */
struct audit_block_reader {
    const char *p, *end;
    int started;
    int field, closed; /* inside a record: fields begun, and whether its ']' was read */
    int model_ref, key_ref; /* the record's places in the dictionaries (-1: none), from read_head */
    int64_t ts_base;
    const struct audit_block_dict *dict;
};

void audit_block_reader_init(struct audit_block_reader *rd, const char *text, size_t len, int64_t ts_base,
                             const struct audit_block_dict *dict);
/* The next record's leading fields: time and status into r, its model's and key's places into
 * rd->model_ref and rd->key_ref (a filter compares those, not texts); then audit_block_read_rest
 * or audit_block_skip_rest. 1: read; 0: no more records; -1: malformed. */
int audit_block_read_head(struct audit_block_reader *rd, struct audit_record *r);
/* Every other field of r, model and key included (bodies malloc'd: audit_record_free). 0, or
 * -1 (then r owns nothing). */
int audit_block_read_rest(struct audit_block_reader *rd, struct audit_record *r);
int audit_block_skip_rest(struct audit_block_reader *rd);

/* Decodes the JSON string literal at s[0..n) (quotes included) into out[outsz] (truncated at a
 * character boundary, NUL-terminated); -1 when it is not one string. */
int audit_json_string_decode(const char *s, size_t n, char *out, size_t outsz);

#endif
