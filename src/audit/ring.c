/* SPSC ring: head is written only by the consumer, tail only by the producer.
 * Each side reads the other's index with acquire and publishes its own with
 * release, so a slot's contents are visible before the index that hands it over.
 * The two indexes sit on separate cache lines, and each side keeps a cached copy
 * of the other's index so the common case touches no shared line. */
#include "audit/ring.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

struct audit_ring {
    struct audit_record *slots;
    size_t mask;
    _Alignas(64) size_t tail;  /* next slot to write (producer) */
    size_t head_cache;         /* producer's last view of head */
    _Alignas(64) size_t head;  /* next slot to read (consumer) */
    size_t tail_cache;         /* consumer's last view of tail */
};

struct audit_ring *audit_ring_create(size_t capacity)
{
    size_t cap = 2;
    while (cap < capacity)
        cap <<= 1;
    struct audit_ring *q;
    if (posix_memalign((void **)&q, 64, sizeof(*q)) != 0)
        abort();
    memset(q, 0, sizeof(*q));
    q->slots = util_calloc(cap, sizeof(*q->slots));
    q->mask = cap - 1;
    return q;
}

void audit_ring_destroy(struct audit_ring *q)
{
    if (q == NULL)
        return;
    for (size_t i = q->head; i != q->tail; i++)
        audit_record_free(&q->slots[i & q->mask]);
    free(q->slots);
    free(q);
}

size_t audit_ring_capacity(const struct audit_ring *q)
{
    return q->mask + 1;
}

struct audit_record *audit_ring_slot(struct audit_ring *q)
{
    size_t t = q->tail; /* only we write it */
    if (t - q->head_cache > q->mask) {
        q->head_cache = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
        if (t - q->head_cache > q->mask)
            return NULL;
    }
    return &q->slots[t & q->mask];
}

void audit_ring_publish(struct audit_ring *q)
{
    __atomic_store_n(&q->tail, q->tail + 1, __ATOMIC_RELEASE);
}

int audit_ring_push(struct audit_ring *q, const struct audit_record *r)
{
    struct audit_record *slot = audit_ring_slot(q);
    if (slot == NULL)
        return -1;
    *slot = *r;
    audit_ring_publish(q);
    return 0;
}

size_t audit_ring_pop(struct audit_ring *q, struct audit_record *out, size_t max)
{
    size_t h = q->head;
    if (q->tail_cache - h < max)
        q->tail_cache = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
    size_t n = q->tail_cache - h;
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++)
        out[i] = q->slots[(h + i) & q->mask];
    if (n)
        __atomic_store_n(&q->head, h + n, __ATOMIC_RELEASE);
    return n;
}

size_t audit_ring_size(const struct audit_ring *q)
{
    size_t t = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
    size_t h = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
    return t - h;
}
