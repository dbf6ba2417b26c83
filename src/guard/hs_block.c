/* See hs_block.h. */
#include "guard/hs_block.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

enum { HS_OVERREAD = 64, PAGE_MIN = 4096 /* every page size is a multiple of it */ };

hs_error_t guard_hs_scan(const hs_database_t *db, const char *data, unsigned len, hs_scratch_t *scratch,
                         match_event_handler cb, void *ctx)
{
    uintptr_t end = (uintptr_t)data + len;
    size_t room = (PAGE_MIN - end % PAGE_MIN) % PAGE_MIN; /* readable bytes after the end on its page */
    if (len == 0 || room >= HS_OVERREAD)
        return hs_scan(db, data, len, 0, scratch, cb, ctx);
    char *copy = util_malloc((size_t)len + HS_OVERREAD);
    memcpy(copy, data, len);
    memset(copy + len, 0, HS_OVERREAD);
    hs_error_t rc = hs_scan(db, copy, len, 0, scratch, cb, ctx);
    free(copy);
    return rc;
}
