/* Audit sinks: where records end up (SQLite file or PostgreSQL).
 *
 * A sink is used by one thread at a time: the audit writer thread, or a test
 * or benchmark. Every write is idempotent (a record whose id is already stored
 * is skipped), so the writer may replay the journal, or retry a batch whose
 * commit it is unsure of, without duplicating anything.
 *
 * Order: create, connect (again after a failure; the writer backs off), write
 * and maintain any number of times, destroy. A failed write leaves the sink
 * disconnected; nothing of that batch is committed. */
#ifndef WARDEN_AUDIT_SINK_H
#define WARDEN_AUDIT_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "audit/record.h"
#include "config/config.h"

struct audit_sink;

struct audit_sink_ops {
    const char *name;
    int (*connect)(struct audit_sink *s, char *err, size_t errsz);
    /* Stores n records in one transaction; 0, or a negative WARDEN_E* with err set. */
    int (*write)(struct audit_sink *s, const struct audit_record *recs, size_t n, char *err, size_t errsz);
    /* One bounded step of upkeep (retention, partitions ahead); returns 1 when more work is
     * left (call again soon), 0 when done, negative on error. */
    int (*maintain)(struct audit_sink *s, int64_t now_us, char *err, size_t errsz);
    void (*destroy)(struct audit_sink *s);
};

struct audit_sink {
    const struct audit_sink_ops *ops;
    int retention_days;
};

struct audit_sink *audit_sink_sqlite_create(const char *path, int retention_days);
struct audit_sink *audit_sink_pg_create(const char *dsn, int retention_days);
/* The sink the config asks for; NULL when auditing is off. */
struct audit_sink *audit_sink_create(const struct config_audit *cfg);

static inline int audit_sink_connect(struct audit_sink *s, char *err, size_t errsz)
{
    return s->ops->connect(s, err, errsz);
}
static inline int audit_sink_write(struct audit_sink *s, const struct audit_record *r, size_t n, char *err, size_t errsz)
{
    return s->ops->write(s, r, n, err, errsz);
}
static inline int audit_sink_maintain(struct audit_sink *s, int64_t now_us, char *err, size_t errsz)
{
    return s->ops->maintain(s, now_us, err, errsz);
}
static inline void audit_sink_destroy(struct audit_sink *s)
{
    if (s != NULL)
        s->ops->destroy(s);
}

#endif
