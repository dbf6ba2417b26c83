/* The audit journal: an append-only local file of records that have not reached
 * the sink yet (queue full, sink down, shutdown deadline).
 *
 * Layout: a sequence of frames, each [u32 length][u32 CRC-32 of the payload]
 * [payload = audit_record_encode()], little-endian. A crash can leave a torn
 * frame at the end; open() checks every frame and cuts the file at the first
 * one that is short or fails its CRC, so what follows is always whole frames.
 *
 * Replay: read() hands out frames from a read position, the caller stores them
 * (idempotently: the ids make a second store a no-op) and calls consumed();
 * once every frame is consumed the file is truncated to zero. A crash between
 * the store and consumed() replays those frames again, which the ids absorb.
 *
 * Thread-safety: every function takes the journal's mutex, so a worker loop may
 * append (its queue was full) while the writer thread replays. */
#ifndef WARDEN_AUDIT_JOURNAL_H
#define WARDEN_AUDIT_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "audit/record.h"

struct audit_journal;

struct audit_journal_stats {
    uint64_t bytes;           /* current file size */
    uint64_t pending_bytes;   /* not yet consumed */
    uint64_t recovered;       /* whole frames found by open() */
    uint64_t discarded_bytes; /* torn or corrupt tail cut by open() */
};

/* Opens (creating) path; max_bytes bounds the file. NULL with err on failure. */
struct audit_journal *audit_journal_open(const char *path, uint64_t max_bytes, char *err, size_t errsz);
void audit_journal_close(struct audit_journal *j);

/* Appends n records (not fsync'd: see sync). 0; WARDEN_ETOOBIG when they would pass
 * max_bytes or the disk is full (nothing is written); WARDEN_EIO otherwise. */
int audit_journal_append(struct audit_journal *j, const struct audit_record *recs, size_t n);
/* fdatasync when something was appended since the last sync. */
int audit_journal_sync(struct audit_journal *j);

/* Decodes up to max unconsumed records into out (the caller owns their malloc'd strings) and
 * returns how many; 0 when none is pending. A frame that fails to decode is skipped. */
size_t audit_journal_read(struct audit_journal *j, struct audit_record *out, size_t max);
/* Marks the records of the last read() as stored; truncates the file once all are. */
void audit_journal_consumed(struct audit_journal *j);
/* Forgets the last read() (the store failed): the next read() returns them again. */
void audit_journal_unread(struct audit_journal *j);

void audit_journal_get_stats(struct audit_journal *j, struct audit_journal_stats *st);

#endif
