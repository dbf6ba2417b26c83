/* Canary tokens for the prompt_injection guardrail (`canary: true`).
 *
 * Per request Warden makes a fresh random canary, puts it in the system prompt
 * with an instruction never to repeat it, and blocks any answer that contains
 * it: a model that leaks the canary has been made to leak its system prompt.
 *
 *   request side   guard_canary_make, then guard_canary_inject on the parsed chat request
 *   answer side    guard_canary_leaked on a whole answer, or a guard_canary_stream per
 *                  streamed answer: it holds back the last (canary length - 1) bytes of what
 *                  it was fed, so a canary split across chunks is still seen whole, and
 *                  releases everything else at once.
 *
 * The canary is 24 lower-case letters and digits after the prefix "wdn" (no
 * punctuation a model could reformat); matching ignores case. It is never
 * logged: callers log "canary leaked", not the value. */
#ifndef WARDEN_GUARD_CANARY_H
#define WARDEN_GUARD_CANARY_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"

#define GUARD_CANARY_LEN 27 /* "wdn" + 24 */

struct guard_canary {
    char token[GUARD_CANARY_LEN + 1];
};

/* A fresh canary from the kernel's random source. Returns 0 or WARDEN_EIO. */
int guard_canary_make(struct guard_canary *c);

/* Adds the canary instruction to request.messages: appended to the first system
 * (or developer) message whose content is a string, else as a new system message
 * at the front. Returns 0, or WARDEN_EINVAL when messages is not an array. */
int guard_canary_inject(json_t *request, const struct guard_canary *c);

/* 1 if text contains the canary (any case), else 0. */
int guard_canary_leaked(const struct guard_canary *c, const char *text, size_t len);

struct guard_canary_stream {
    const struct guard_canary *canary;
    char held[GUARD_CANARY_LEN]; /* the tail that may begin a canary */
    size_t n_held;
    int leaked;
};

void guard_canary_stream_init(struct guard_canary_stream *s, const struct guard_canary *c);
/* Feeds the next chunk and appends what is safe to send to out. Returns 0, 1 when the
 * canary appeared (nothing more is released, now or later), or <0 when out is full. */
int guard_canary_stream_feed(struct guard_canary_stream *s, const char *chunk, size_t len, struct util_buf *out);
/* End of the answer: releases the held tail (shorter than a canary, so harmless). */
int guard_canary_stream_finish(struct guard_canary_stream *s, struct util_buf *out);

#endif
