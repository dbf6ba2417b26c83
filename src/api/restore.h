/* Reversible redaction, the answer side: the typed placeholders an input
 * guardrail put into the request (<EMAIL_ADDRESS_1>) are replaced by the
 * originals in the model's answer, after the output checks ran, so checks
 * and audit see placeholders and only the client sees the originals.
 *
 * Non-streaming answers: api_restore_texts on the answer's texts. Streams: the
 * stream filter keeps one struct api_restorer per text field of each choice and
 * feeds it what the checks released; it holds back only a tail that could still
 * become a placeholder (guard/placeholder.h). */
#ifndef WARDEN_API_RESTORE_H
#define WARDEN_API_RESTORE_H

#include <stddef.h>

struct guard_placeholders;

/* Restores each of the n texts with every map, the last applied first. Sets *out and
 * *out_lens (n entries; NULL = unchanged) and returns how many changed; with 0 nothing
 * is allocated. In a text that is JSON (tool-call arguments) an original goes in escaped
 * for the inside of a JSON string, as on a stream; such a text stays as it is if the
 * restored one would not be JSON any more (a placeholder outside any string). */
size_t api_restore_texts(struct guard_placeholders *const *maps, size_t n_maps, const char *const *texts, const size_t *lens,
                         size_t n, char ***out, size_t **out_lens);
void api_restore_free(char **texts, size_t *lens, size_t n);

struct api_restorer;
/* For one streamed text: every map, the last applied first (maps are borrowed: they
 * outlive the restorer). json: the text is a JSON document (tool-call arguments), so an
 * original goes in escaped for the inside of a JSON string. */
struct api_restorer *api_restorer_new(struct guard_placeholders *const *maps, size_t n_maps, int json);
/* The next piece; *out / *out_len: what may go out now (valid until the next call).
 * final: the text ends here (what is held goes out). 0, or -1 when too large. */
int api_restorer_feed(struct api_restorer *r, const char *text, size_t len, int final, const char **out, size_t *out_len);
size_t api_restorer_pending(const struct api_restorer *r);
void api_restorer_free(struct api_restorer *r);

#endif
