/* One audit record: what happened to one request, in a fixed-size struct.
 *
 * The request path fills a struct audit_record in its worker's queue slot (or on
 * its stack, then copied in: audit.h), and the writer thread owns it from then
 * on. Short strings are fixed fields, truncated, always NUL-terminated. The
 * long and often absent ones are malloc'd and owned by the record, freed only by
 * audit_record_free: the guardrail verdicts (NULL when no guardrail ran, the
 * common case, which then copies and touches nothing of them) and the bodies
 * (opt-in). A copy of a record moves that ownership; it never shares it.
 *
 * The id is 128 bits: the first 8 bytes are the end time in microseconds
 * (big-endian, so ids sort by time and the sinks' primary-key inserts append),
 * the last 8 a per-process random salt mixed with a sequence number. A record
 * replayed from the journal keeps its id, so sinks skip it when it is already
 * stored (SQLite: the ids of the blocks around it are checked, sink_sqlite.c;
 * PostgreSQL: ON CONFLICT DO NOTHING). */
#ifndef WARDEN_AUDIT_RECORD_H
#define WARDEN_AUDIT_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define AUDIT_ID_BYTES 16
#define AUDIT_ID_HEX (AUDIT_ID_BYTES * 2 + 1)
/* The most bytes guardrails takes, its NUL included (the fixed field it was): longer lists are
 * cut at a character boundary. */
#define AUDIT_GUARDRAILS_MAX 1024

struct audit_record {
    uint8_t id[AUDIT_ID_BYTES];
    int64_t time_us;        /* wall clock (Unix, microseconds) when the request ended */
    char request_id[80];    /* x-request-id */
    char parent_id[80];     /* the request that started this one (a fan-out step or batch item); "" when none */
    char key_name[64];      /* the client's api_keys[].name; "" when anonymous */
    char model[128];        /* the model the client asked for */
    char target[192];       /* provider/model actually used; "" when no attempt was made */
    char error_code[48];    /* OpenAI error code; "" on success */
    int32_t status;         /* HTTP status sent (499: client went away) */
    int32_t attempts;
    int32_t reasks;
    int32_t stream;
    int64_t latency_us;
    int64_t ttft_us;        /* 0: no first byte */
    int64_t tokens_in, tokens_out; /* -1: unknown */
    double cost_usd;        /* -1: unknown (no usage or no price) */
    char *guardrails;       /* "name=verdict(stage,mode,LATENCYus[,reason]), ...": every verdict (api/checks.c);
                             * malloc'd, < AUDIT_GUARDRAILS_MAX bytes; NULL when none ("" is never stored) */
    char *request_body;     /* opt-in (audit.bodies), malloc'd, capped; NULL otherwise */
    char *response_body;
};

/* Fills id from time_us and a process-wide sequence (thread-safe, no syscall after the first call). */
void audit_record_make_id(struct audit_record *r);
/* Copies src into the fixed field dst[dstsz] (truncated, NUL-terminated). Inline: the request
 * path sets seven fields a record. */
static inline void audit_record_set(char *dst, size_t dstsz, const char *src, size_t len)
{
    if (src == NULL)
        len = 0;
    if (len >= dstsz)
        len = dstsz - 1;
    if (len)
        memcpy(dst, src, len);
    dst[len] = '\0';
}
/* The length of s[0..len) capped to size - 1 bytes and never ending inside a UTF-8 character. */
size_t audit_text_whole_chars(const char *s, size_t len, size_t size);
/* A malloc'd copy of s[0..len) of at most size - 1 bytes cut at a character boundary, NULL when
 * that is empty. */
char *audit_text_dup(const char *s, size_t len, size_t size);
/* Appends ", " and s[0..len) to r->guardrails when the whole of it fits in AUDIT_GUARDRAILS_MAX
 * (a verdict is kept whole or not at all); returns 0, or -1 when it did not fit. */
int audit_record_append_guardrails(struct audit_record *r, const char *s, size_t len);
/* The smallest id of time t: ids of records at or after t compare >= it (memcmp). */
void audit_id_for_time(int64_t time_us, uint8_t id[AUDIT_ID_BYTES]);
void audit_id_to_hex(const uint8_t id[AUDIT_ID_BYTES], char out[AUDIT_ID_HEX]);
int audit_id_from_hex(const char *hex, size_t len, uint8_t id[AUDIT_ID_BYTES]);
/* Formats as a UUID (8-4-4-4-12), the text form PostgreSQL's uuid type reads. */
void audit_id_to_uuid(const uint8_t id[AUDIT_ID_BYTES], char out[37]);
/* Frees the owned members (guardrails and the bodies) and sets them to NULL. */
void audit_record_free(struct audit_record *r);

/* The journal's byte form: a versioned, self-delimiting encoding. encode returns the
 * bytes written to out (at most audit_record_encoded_max(r)); decode returns 0 or -1 on
 * malformed input (then *r holds nothing to free). */
size_t audit_record_encoded_max(const struct audit_record *r);
/* An upper bound of encoded_max read from the field sizes (only the malloc'd strings are measured):
 * what the queues count against the journal's room, cheaply, on the request path. */
size_t audit_record_encoded_bound(const struct audit_record *r);
size_t audit_record_encode(const struct audit_record *r, uint8_t *out);
int audit_record_decode(const uint8_t *in, size_t len, struct audit_record *r);

/* Unix time now, microseconds (CLOCK_REALTIME through the vDSO: no syscall). */
int64_t audit_now_us(void);

#endif
