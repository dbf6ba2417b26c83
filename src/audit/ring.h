/* A bounded single-producer single-consumer queue of audit records.
 *
 * One per worker: the worker's event loop is the only producer, the audit
 * writer thread the only consumer, so push and pop need no lock, only an
 * acquire/release pair on two indexes that each side alone advances (the
 * classic Lamport queue). The slots are allocated once; a push copies the
 * record into a slot (no allocation, no syscall), or the producer fills the
 * next slot itself and publishes it. */
#ifndef WARDEN_AUDIT_RING_H
#define WARDEN_AUDIT_RING_H

#include <stddef.h>
#include <stdint.h>

#include "audit/record.h"

struct audit_ring;

/* capacity is rounded up to a power of two (at least 2). */
struct audit_ring *audit_ring_create(size_t capacity);
/* Frees the ring and the strings of records still in it. */
void audit_ring_destroy(struct audit_ring *q);
size_t audit_ring_capacity(const struct audit_ring *q);

/* Producer side. Copies *r in; 0, or -1 when full (then *r still belongs to the caller). */
int audit_ring_push(struct audit_ring *q, const struct audit_record *r);
/* Producer side without the copy: the slot the next record may be written into (NULL when
 * full; it holds an older record's bytes), handed over by audit_ring_publish. */
struct audit_record *audit_ring_slot(struct audit_ring *q);
void audit_ring_publish(struct audit_ring *q);

/* Consumer side. Copies up to max records out into out[] and frees their slots;
 * returns how many (the caller now owns their malloc'd strings). */
size_t audit_ring_pop(struct audit_ring *q, struct audit_record *out, size_t max);
/* Records waiting (approximate from either side). */
size_t audit_ring_size(const struct audit_ring *q);

#endif
