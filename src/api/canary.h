/* The canary of a prompt_injection guard (guard/canary.h) placed in the body that goes
 * upstream (internal to api/).
 *
 * A splice into the client's bytes, like every rewrite (texts.h): the body stays byte-exact
 * except for
 *   - the model value (as api_scan_splice replaces it), and
 *   - the canary's note, put into the first message whose role is "system" or "developer"
 *     (escaped keys and values read as a JSON reader reads them):
 *       content a string   -> "\n\n" + note appended inside the literal (the client's
 *                             escapes and bytes kept);
 *       content parts      -> a part {"type":"text","text": note} appended to the array;
 *       content null       -> as below;
 *     or, when no such message has content, a new first message
 *     {"role":"system","content": note}.
 * It is made per attempt from the request as checked (ctx->raw): the canary never enters
 * the request that guards, logs, re-asks and the audit see. */
#ifndef WARDEN_API_CANARY_H
#define WARDEN_API_CANARY_H

#include <stddef.h>

struct api_scan;

/* The chat request json (len bytes, scanned into sc) with the model replaced by `model`
 * (when not NULL and the scan found one) and the note placed as above. malloc'd,
 * NUL-terminated; NULL when the messages array cannot be read (the scan accepted it, so
 * never for a request that passed intake). */
char *api_canary_splice(const struct api_scan *sc, const char *json, size_t len, const char *model, const char *note,
                        size_t note_len, size_t *out_len);

#endif
