/* Reversible redaction, the answer side: the typed placeholders an input
 * guardrail put into the request (<EMAIL_ADDRESS_1>) are replaced by the
 * originals in the model's answer, after the output checks ran, so checks
 * and audit see placeholders and only the client sees the originals.
 *
 * Non-streaming answers only (streams need the stream filter to feed a
 * guard_restorer per choice, see guard/placeholder.h). */
#ifndef WARDEN_API_RESTORE_H
#define WARDEN_API_RESTORE_H

#include <stddef.h>

struct guard_placeholders;

/* Restores each of the n texts with every map, the last applied first. Sets *out and
 * *out_lens (n entries; NULL = unchanged) and returns how many changed; with 0 nothing
 * is allocated. A text that is JSON (tool-call arguments) stays as it is if the
 * restored one would not be JSON any more (an original with a quote in it). */
size_t api_restore_texts(struct guard_placeholders *const *maps, size_t n_maps, const char *const *texts, const size_t *lens,
                         size_t n, char ***out, size_t **out_lens);
void api_restore_free(char **texts, size_t *lens, size_t n);

#endif
