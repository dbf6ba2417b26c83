/* Rewrites a text with its findings replaced, for action: redact of the pii
 * and secrets guardrails.
 *
 *   mask        every finding becomes "****" (fixed width: the value's
 *               length is not revealed);
 *   typed       <TYPE_n> from the request's placeholder map (placeholder.h);
 *   reversible  the same placeholders; the caller keeps the map to restore
 *               the originals in the answer.
 *
 * The findings must be those of this text, sorted by start and not
 * overlapping (as detect_scan returns them); their spans lie on character
 * boundaries, so the result is valid UTF-8 whenever the input was. */
#ifndef WARDEN_GUARD_REDACT_H
#define WARDEN_GUARD_REDACT_H

#include <stddef.h>

#include "config/config.h"
#include "guard/finding.h"

struct guard_placeholders;

#define GUARD_MASK "****"

/* A new malloc'd, NUL-terminated text (length in *outlen). map is needed for
 * typed and reversible (NULL there falls back to mask). json: the text is JSON that
 * its reader decodes (tool-call arguments), so a finding's value is what its escapes
 * decode to (guard_placeholders_add_json); else the value is the finding's bytes. */
char *guard_redact_apply(const char *text, size_t len, const struct guard_finding *f, size_t n, enum config_redaction mode,
                         struct guard_placeholders *map, int json, size_t *outlen);

#endif
