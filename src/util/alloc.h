/* Allocation wrappers that abort on real out-of-memory, as h2o_mem_alloc and
 * Redis' zmalloc do: every input is size-capped elsewhere, so running out of
 * memory means the machine is gone and limping on would only corrupt state. */
#ifndef WARDEN_UTIL_ALLOC_H
#define WARDEN_UTIL_ALLOC_H

#include <stddef.h>

void *util_malloc(size_t n);
void *util_calloc(size_t count, size_t size);
void *util_realloc(void *p, size_t n);
char *util_strdup(const char *s);
char *util_strndup(const char *s, size_t n);

#endif
