/* The audit log: records handed over by the request path, written in the
 * background, never slowing a request and never lost silently.
 *
 * DESIGN
 *   worker loop --push--> per-worker SPSC ring --pop--> writer thread --batch--> sink
 *                  |  (ring full)                           |  (sink down / error)
 *                  +---------------> journal <--------------+
 *                                       |  (sink back: replay, idempotent ids)
 *                                       +--------------------------------> sink
 *
 * The hot path (audit_submit) copies a fixed-size record into the worker's
 * ring: no lock, no allocation, no syscall. Only when the ring is full does
 * the worker append to the journal itself (a write under the journal's mutex).
 * The writer thread polls the rings every flush_ms (at once again after a batch of
 * batch_max: a batch is one commit, the larger the cheaper per record; a record waits at
 * most flush_ms and a commit), commits one transaction per batch, and on any sink error appends the batch to the journal (fdatasync per
 * batch) and reconnects with exponential backoff (100 ms .. 5 s); once the sink
 * is back it replays the journal between new batches. The journal is bounded
 * (journal_max_mb); when it is full, `overflow: drop` drops (counted) and
 * `overflow: refuse` makes audit_accepting() return 0 until it has room again,
 * so the API answers new requests with 503.
 *
 * Order: audit_create (opens the journal, tries the sink once), audit_start
 * (the thread), audit_submit from the worker loops, audit_stop (after the
 * workers have stopped: drains the rings and replays the journal until
 * drain_ms passes; what is left stays in the journal for the next start),
 * audit_destroy. */
#ifndef WARDEN_AUDIT_AUDIT_H
#define WARDEN_AUDIT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "audit/record.h"
#include "config/config.h"

struct audit;
struct audit_sink;

/* One per worker: the producer side. */
struct audit_worker;

struct audit_stats {
    uint64_t submitted;      /* audit_submit calls */
    uint64_t written;        /* records committed to the sink (new batches and replays) */
    uint64_t journaled;      /* records appended to the journal */
    uint64_t replayed;       /* journal records committed to the sink */
    uint64_t dropped;        /* records lost (overflow: drop, or journal full/failing) */
    uint64_t sink_errors;
    uint64_t journal_bytes;
    int sink_up;
};

/* NULL with err on failure. With audit.sink off, returns NULL and err = "" (nothing to do). */
struct audit *audit_create(const struct config *cfg, int n_workers, char *err, size_t errsz);
/* Same, with a sink made by the caller (tests, benchmarks); takes ownership of sink. */
struct audit *audit_create_with_sink(const struct config_audit *cfg, struct audit_sink *sink_take, int n_workers, char *err,
                                     size_t errsz);
int audit_start(struct audit *a);
struct audit_worker *audit_worker_get(struct audit *a, int i);

/* Hands r to the writer (its malloc'd strings too: the audit owns them from here). Called on the
 * worker's loop thread only. */
void audit_submit(struct audit_worker *w, struct audit_record *r);
/* The record to fill for the worker's next audit_submit: the next free slot of its queue, so
 * that the record is handed over where it was made (no copy of its 700 bytes), else a spare.
 * It holds an older record's bytes: every field must be set. Worker's loop thread only, one
 * at a time. */
struct audit_record *audit_record_begin(struct audit_worker *w);
/* 0 when new requests must be refused (overflow: refuse and the journal, with what is
 * queued and reserved, is nearly full). */
int audit_accepting(const struct audit_worker *w);
/* Admission of a request that will make a record: audit_accepting, and if so a
 * reservation of the room its record may take, held until audit_release (called when
 * the record is made, just before audit_submit). Worker's loop thread only. */
int audit_admit(struct audit_worker *w);
void audit_release(struct audit_worker *w);
const struct config_audit *audit_worker_config(const struct audit_worker *w);

/* Drains within cfg->drain_ms and joins the thread. */
void audit_stop(struct audit *a);
void audit_destroy(struct audit *a);
void audit_get_stats(struct audit *a, struct audit_stats *st);

#endif
