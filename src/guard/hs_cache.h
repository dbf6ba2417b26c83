/* Compiled Hyperscan databases kept across starts.
 *
 * hs_compile_multi is most of a start-up: prompt_injection's pattern set takes ~0.35 s to compile
 * (2.7 G instructions, callgrind), pii's and secrets' sets and per-rule probes ~0.15 s, and on the
 * ASan build ~2.6 s and ~1.4 s. A database compiled once is kept in the directory hs-cache/ next
 * to the running binary (build/hs-cache/ for build/warden; make creates it), in a file named by
 * the SHA-256 of everything the compile depends on: the Hyperscan version, the mode and each
 * expression with its flags and id. A start finds it there and deserializes it in microseconds.
 * The file is used only when its stored fingerprint is the one asked for and Hyperscan accepts it
 * (its own version and platform checks); anything else (no directory, no file, a damaged or
 * foreign one, a read-only directory) compiles as before, and a fresh compile is stored (written
 * to a temporary file, then renamed: starts running at once never see half a file).
 * WARDEN_HS_CACHE=DIR names another directory; WARDEN_HS_CACHE=off never reads or writes one.
 * Internal to guard/. */
#ifndef WARDEN_GUARD_HS_CACHE_H
#define WARDEN_GUARD_HS_CACHE_H

#include <hs/hs.h>

/* hs_compile_multi's contract (on failure *ce is set and *db is NULL), through the cache. */
hs_error_t guard_hs_compile_cached(const char *const *exprs, const unsigned *flags, const unsigned *ids, unsigned n,
                                   unsigned mode, hs_database_t **db, hs_compile_error_t **ce);

#endif
