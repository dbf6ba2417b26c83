/* Reading the audit store: GET /admin/audit and `warden audit` share this.
 *
 * Filters: since (inclusive) and until (exclusive) as RFC 3339 times, model,
 * key (the key's name), status, limit (1..1000, default 100) and cursor, an
 * opaque keyset cursor (the id of the last record of the previous page).
 * Records come newest first. The query opens its own connection (SQLite:
 * read-only; PostgreSQL: a new session), so it may run on any thread. */
#ifndef WARDEN_AUDIT_QUERY_H
#define WARDEN_AUDIT_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "audit/record.h"
#include "config/config.h"
#include "util/buf.h"

#define AUDIT_QUERY_LIMIT_MAX 1000

struct audit_filter {
    int64_t since_us, until_us; /* 0 = unbounded */
    char model[128];
    char key[64];
    int status; /* 0 = any */
    int limit;
    int has_cursor;
    uint8_t cursor[AUDIT_ID_BYTES];
};

void audit_filter_init(struct audit_filter *f);
/* Sets one filter from its name and text value (as in a URL query or on the command line).
 * 0; 1 when name is not a filter; -1 with err on a bad value. */
int audit_filter_set(struct audit_filter *f, const char *name, const char *value, char *err, size_t errsz);
/* Parses a URL query string (a=b&c=d, percent-encoded); -1 with err on a bad or unknown parameter. */
int audit_filter_from_query(struct audit_filter *f, const char *query, size_t len, char *err, size_t errsz);

/* Parses an RFC 3339 date-time ("2026-11-30T23:00:00Z", fractions and offsets allowed). */
int audit_parse_rfc3339(const char *s, int64_t *out_us);
/* Formats as RFC 3339 UTC with microseconds; out needs 40 bytes. */
void audit_format_rfc3339(int64_t us, char out[40]);

typedef void (*audit_row_cb)(void *ud, const struct audit_record *r);
/* Runs the query; calls on_row per record (newest first). next_cursor gets the cursor of the
 * next page or "" when this was the last. 0, or -1 with err. */
int audit_query_run(const struct config_audit *cfg, const struct audit_filter *f, audit_row_cb on_row, void *ud,
                    char next_cursor[AUDIT_ID_HEX], char *err, size_t errsz);

/* One record as a JSON object (no newline). */
void audit_record_to_json(const struct audit_record *r, struct util_buf *b);

#endif
