/* Multi-pattern scanner for local guardrails (regex and keyword lists).
 *
 * A pattern set is compiled once, at config load, into one Hyperscan block-mode
 * database and is then immutable: any number of threads may scan with it at
 * once. Each thread brings its own struct guard_scan_scratch; one scratch can
 * serve every scanner of a process (it grows to fit, see
 * guard_scan_scratch_grow), so a worker or pool thread keeps exactly one.
 *
 * Keywords are literals. Hyperscan finds every occurrence with its exact
 * start (HS_FLAG_SOM_LEFTMOST), so keyword lists of any size never touch PCRE2.
 *
 * Regexes use PCRE2 semantics. Hyperscan cannot report start offsets for many
 * ordinary patterns (the credit-card pattern "\b(?:\d[ -]*?){13,16}\b" is "too
 * large" with SOM), so it is used as an exact-or-wider detector: a text in
 * which it finds nothing - the common case - costs one Hyperscan scan. Only
 * the patterns it reports are then run through PCRE2 (JIT) to get the spans.
 * A pattern Hyperscan rejects (back-references, lookarounds) is compiled in
 * Hyperscan's prefilter mode, which over-approximates it, and failing that is
 * run through PCRE2 on every scan. Either way the fallback is transparent.
 *
 * Whole-word: a match counts only if the characters just before and after it
 * are not word characters (ASCII letters, digits, '_' and non-ASCII letters;
 * Unicode punctuation, symbols and emoji are not word characters).
 *
 * UTF-8: with GUARD_SCAN_UTF8, patterns are compiled as UTF-8 with Unicode
 * properties (\w, \d, \b, caseless folding). Scanning invalid UTF-8 is safe:
 * PCRE2 runs with PCRE2_MATCH_INVALID_UTF and a window cut mid-character at
 * either end is trimmed to whole characters before Hyperscan sees it.
 * Caseless keywords with non-ASCII letters get UTF-8 mode automatically. */
#ifndef WARDEN_GUARD_SCAN_H
#define WARDEN_GUARD_SCAN_H

#include <stddef.h>
#include <stdint.h>

struct guard_scan;         /* compiled, immutable, shared */
struct guard_scan_scratch; /* per thread, mutable */

enum { GUARD_SCAN_REGEX = 0, GUARD_SCAN_KEYWORDS = 1 };
enum { GUARD_SCAN_CASELESS = 1, GUARD_SCAN_WHOLE_WORD = 2, GUARD_SCAN_UTF8 = 4 };

struct guard_scan_match {
    size_t start, end; /* byte offsets into the scanned text, end exclusive */
    unsigned pattern;  /* index into the compiled pattern list */
};

/* Compiles n patterns (n >= 1, none empty). On failure returns NULL and writes
 * a message naming the offending pattern (index and text) into err. A pattern
 * that can match the empty string is rejected: it would match every text. */
struct guard_scan *guard_scan_compile(int kind, const char *const *patterns, size_t n, int flags, char *err, size_t errsz);
void guard_scan_free(struct guard_scan *s);

/* A scratch sized for s (s may be NULL: an empty scratch that grows on first
 * use). Grow it for every other scanner the thread will use; scanning also
 * grows a scratch that is too small, but that allocates on the hot path. */
struct guard_scan_scratch *guard_scan_scratch_new(const struct guard_scan *s);
int guard_scan_scratch_grow(struct guard_scan_scratch *sc, const struct guard_scan *s);
void guard_scan_scratch_free(struct guard_scan_scratch *sc);

/* Some match, cheaply (the fast path for "block"): returns 1 and fills *m if
 * any pattern matches, 0 if none, <0 (WARDEN_E*) on error. Which match is
 * reported when several exist is unspecified. */
int guard_scan_first(const struct guard_scan *s, struct guard_scan_scratch *sc, const char *text, size_t len,
                     struct guard_scan_match *m);

/* Every match, non-overlapping, in text order: where matches overlap the one
 * that starts first wins, then the longer one. Sets *out (free() it; NULL when
 * there are none) and *n. Returns the number of matches or <0 on error. */
int guard_scan_all(const struct guard_scan *s, struct guard_scan_scratch *sc, const char *text, size_t len,
                   struct guard_scan_match **out, size_t *n);

/* Replaces every match with replacement (NULL means ""). Overlapping matches
 * are merged so that no matched byte survives. Returns a new NUL-terminated
 * malloc'd string and its length in *outlen, or NULL when nothing matched
 * (*outlen = 0) or on error (*outlen = GUARD_SCAN_REDACT_ERROR): callers that
 * must fail closed check for the latter. */
#define GUARD_SCAN_REDACT_ERROR ((size_t)-1)
char *guard_scan_redact(const struct guard_scan *s, struct guard_scan_scratch *sc, const char *text, size_t len,
                        const char *replacement, size_t *outlen);

/* Per-pattern errors. A pattern that cannot be evaluated on a text (a PCRE2
 * match, heap or depth limit) is skipped: guard_scan_first/_all/_redact still
 * report the matches of every other pattern, and the scan does not fail. After
 * each of those calls this returns how many patterns were skipped (0: the
 * result is complete), the first one's index and its WARDEN_E* code; the
 * caller applies its error policy to them alone. Whole-scan failures (bad
 * arguments, Hyperscan errors) still make the calls return <0. */
size_t guard_scan_errors(const struct guard_scan_scratch *sc, unsigned *first_pattern, int *code);

/* PCRE2 match limit for this scanner (0: the default, 2,000,000). Set it
 * before the scanner is shared between threads. */
void guard_scan_set_match_limit(struct guard_scan *s, uint32_t limit);

/* Upper bound on a match's length in bytes, or 0 if some pattern is unbounded.
 * With GUARD_SCAN_WHOLE_WORD the boundary check also looks at one character
 * (up to 4 bytes) on each side of a match. */
size_t guard_scan_max_width(const struct guard_scan *s);

size_t guard_scan_count(const struct guard_scan *s);
const char *guard_scan_pattern(const struct guard_scan *s, unsigned i);

#endif
