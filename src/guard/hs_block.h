/* hs_scan() for block-mode databases, safe against Hyperscan's read past the end.
 *
 * Hyperscan 5.4's AVX-512 VBMI literal matcher (fat Teddy) may load up to 64
 * bytes after the last byte of the buffer (VectorCamp/vectorscan issue 322).
 * On a buffer that ends at the end of a mapping that is a SEGV: tests/fuzz
 * fuzz_scan hit it on the CPUs that have VBMI. A load that stays on the page
 * of the buffer's last byte cannot fault, so only a buffer ending less than
 * 64 bytes before a page boundary is copied into padded memory first (a few
 * percent of calls; the copy is bounded by the text's own size cap).
 * Internal to guard/. */
#ifndef WARDEN_GUARD_HS_BLOCK_H
#define WARDEN_GUARD_HS_BLOCK_H

#include <hs/hs.h>

hs_error_t guard_hs_scan(const hs_database_t *db, const char *data, unsigned len, hs_scratch_t *scratch,
                         match_event_handler cb, void *ctx);

#endif
