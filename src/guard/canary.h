/* Canary tokens for the prompt_injection guardrail (`canary: true`).
 *
 * Per request Warden makes a fresh random canary, puts it in the system prompt
 * with an instruction never to repeat it, and blocks any answer that contains
 * one: a model that leaks the canary has been made to leak its system prompt.
 *
 *   request side   guard_canary_make, then guard_canary_note: the text the api module
 *                  splices into the upstream body (api/canary.h), never into the request
 *                  that guards, logs and the audit see.
 *   answer side    one pattern for the canary's *format* (guard_canary_pattern), compiled
 *                  once at start-up as the regex of the guard's answer-side check (a
 *                  companion guardrail "<name>.canary" that the config loader adds). The
 *                  existing local-check paths run it: the whole-answer scan (every text
 *                  the output guards read, JSON escapes decoded) and the stream matcher
 *                  (stream_scan.h: PCRE2 partial matching per channel, so a canary split
 *                  across chunks is held back, never released). No per-request compile;
 *                  any canary-shaped string is a leak, another request's too.
 *
 * The format: "wdncanary" and 24 random lower-case letters and digits (124 bits), no
 * punctuation a model could reformat. The pattern ignores ASCII case, accepts each
 * character also in its full-width form (U+FF10-FF19, U+FF21-FF3A, U+FF41-FF5A) and any
 * number of invisible characters (soft hyphen, U+180E, zero-width space / joiners, word
 * joiner, BOM; canary.c says how wide that class is) between characters: the folding
 * detect.c applies. On a stream a possible
 * canary is held up to the guard's stream.window (default 256 bytes) and beyond it the
 * stream ends, so a disguise longer than that ends the answer too. It is written for byte mode
 * (no UTF flag: the regex guard compiles it like any config pattern).
 *
 * Partial leaks: the random part alone (or a canary with its prefix altered, spelled out,
 * spaced or encoded) is not detected. Recognising the bare random part needs this
 * request's value inside the stream matcher, i.e. a per-request compile; and a model
 * that can be made to cut the canary can be made to reformat it beyond any matcher. The
 * canary catches the verbatim (and lightly disguised) system-prompt dump; the prompt
 * injection detector on the request is the first line.
 *
 * The canary is never logged: callers log "canary_leak", not the value. */
#ifndef WARDEN_GUARD_CANARY_H
#define WARDEN_GUARD_CANARY_H

#include <stddef.h>

#define GUARD_CANARY_PREFIX "wdncanary"
#define GUARD_CANARY_RANDOM 24
#define GUARD_CANARY_LEN (sizeof(GUARD_CANARY_PREFIX) - 1 + GUARD_CANARY_RANDOM)
#define GUARD_CANARY_NOTE_MAX 256 /* guard_canary_note's text, NUL included */

struct guard_canary {
    char token[GUARD_CANARY_LEN + 1];
};

/* A fresh canary from the kernel's random source. Returns 0 or WARDEN_EIO. */
int guard_canary_make(struct guard_canary *c);

/* The instruction that carries the canary (at most GUARD_CANARY_NOTE_MAX - 1 bytes, plain
 * ASCII). Returns its length. */
size_t guard_canary_note(const struct guard_canary *c, char *out, size_t size);

/* The regex of the canary format (see above), for the answer-side check. Static storage. */
const char *guard_canary_pattern(void);

#endif
