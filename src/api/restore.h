/* Reversible redaction, the answer side: the typed placeholders an input
 * guardrail put into the request (<EMAIL_ADDRESS_1>) are replaced by the
 * originals in the model's answer, after the output checks ran, so checks
 * and audit see placeholders and only the client sees the originals.
 *
 * Non-streaming answers only (streams need the stream filter's restorer,
 * see guard/placeholder.h: guard_restorer). */
#ifndef WARDEN_API_RESTORE_H
#define WARDEN_API_RESTORE_H

#include <jansson.h>
#include <stddef.h>

struct guard_placeholders;

/* Restores choices[*].message.content and the tool calls' arguments of a chat
 * answer with each map, the last applied first. Arguments stay valid JSON: an
 * original that would break them (a quote, a backslash) is left as its
 * placeholder. Returns how many texts changed. */
size_t api_restore_answer(json_t *answer, struct guard_placeholders *const *maps, size_t n_maps);

#endif
