/* Cache of compiled schemas, keyed by the canonical text of the document.
 *
 * The key is json_dumps(JSON_SORT_KEYS | JSON_COMPACT) plus the compile flags, so documents that
 * differ only in key order share one entry; a 64-bit FNV-1a hash of the key is compared first and
 * the full text second, so a hash collision can never hand out the wrong schema.
 *
 * Entries are refcounted. schema_cache_get() takes a reference, schema_cache_release() drops it;
 * eviction (least recently used, when the table is full) only considers entries nobody holds, so
 * a schema is never freed under a validator. If every entry is in use the new schema is handed out
 * uncached and freed on its release. Compilation runs outside the lock; when two threads compile the
 * same document at once, the second to insert keeps the first one's entry and frees its own. */
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema_int.h"
#include "util/alloc.h"

struct cache_entry {
    uint64_t hash;
    char *key;
    size_t keylen;
    int flags;
    struct schema *schema;
    unsigned refs;
    uint64_t last_used;
};

struct schema_cache {
    pthread_mutex_t mu;
    struct cache_entry *entries;
    size_t n, max;
    uint64_t tick;
};

static uint64_t fnv1a(const char *s, size_t n, int flags)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)(unsigned)flags;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

struct schema_cache *schema_cache_create(size_t max_entries)
{
    struct schema_cache *c = util_calloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    c->max = max_entries ? max_entries : 256;
    c->entries = util_calloc(c->max, sizeof(*c->entries));
    return c;
}

void schema_cache_destroy(struct schema_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->entries[i].key);
        schema_free(c->entries[i].schema);
    }
    free(c->entries);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static struct cache_entry *lookup(struct schema_cache *c, uint64_t h, const char *key, size_t keylen, int flags)
{
    for (size_t i = 0; i < c->n; i++) {
        struct cache_entry *e = &c->entries[i];
        if (e->hash == h && e->flags == flags && e->keylen == keylen && !memcmp(e->key, key, keylen))
            return e;
    }
    return NULL;
}

const struct schema *schema_cache_get(struct schema_cache *c, const json_t *doc, int flags, char *err, size_t errsz)
{
    char *key = doc ? json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (!key) {
        if (err && errsz)
            snprintf(err, errsz, "schema document cannot be serialised");
        return NULL;
    }
    size_t keylen = strlen(key);
    uint64_t h = fnv1a(key, keylen, flags);

    pthread_mutex_lock(&c->mu);
    struct cache_entry *e = lookup(c, h, key, keylen, flags);
    if (e) {
        e->refs++;
        e->last_used = ++c->tick;
        struct schema *s = e->schema;
        pthread_mutex_unlock(&c->mu);
        free(key);
        return s;
    }
    pthread_mutex_unlock(&c->mu);

    struct schema *s = schema_compile(doc, flags, err, errsz);
    if (!s) {
        free(key);
        return NULL;
    }

    pthread_mutex_lock(&c->mu);
    if ((e = lookup(c, h, key, keylen, flags))) { /* another thread won the race */
        e->refs++;
        e->last_used = ++c->tick;
        struct schema *won = e->schema;
        pthread_mutex_unlock(&c->mu);
        schema_free(s);
        free(key);
        return won;
    }
    if (c->n == c->max) {
        size_t victim = c->n;
        for (size_t i = 0; i < c->n; i++)
            if (c->entries[i].refs == 0 && (victim == c->n || c->entries[i].last_used < c->entries[victim].last_used))
                victim = i;
        if (victim == c->n) { /* everything is in use: hand it out uncached */
            pthread_mutex_unlock(&c->mu);
            free(key);
            return s;
        }
        free(c->entries[victim].key);
        schema_free(c->entries[victim].schema);
        c->entries[victim] = c->entries[--c->n];
    }
    e = &c->entries[c->n++];
    e->hash = h;
    e->key = key;
    e->keylen = keylen;
    e->flags = flags;
    e->schema = s;
    e->refs = 1;
    e->last_used = ++c->tick;
    pthread_mutex_unlock(&c->mu);
    return s;
}

void schema_cache_release(struct schema_cache *c, const struct schema *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n; i++) {
        if (c->entries[i].schema == s) {
            if (c->entries[i].refs > 0)
                c->entries[i].refs--;
            pthread_mutex_unlock(&c->mu);
            return;
        }
    }
    pthread_mutex_unlock(&c->mu);
    schema_free((struct schema *)s); /* an uncached schema (the cache was full of schemas in use) */
}
