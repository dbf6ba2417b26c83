/* Secrets kept out of what Warden relays from an upstream.
 *
 * A provider that answers 401 may echo the request's Authorization header in its
 * error body; relaying that body verbatim would hand the provider key to the client.
 * Before an upstream error (any non-2xx answer) is relayed, its body and headers go
 * through api_scrub_buf, which replaces every configured secret with "[REDACTED]":
 * every provider's api_key, credential-like provider and webhook header values
 * (names with auth, key, token, secret, password or cookie; after a "Bearer " or
 * "Basic " scheme too), and the client api_keys. Each secret is also searched in its
 * JSON-escaped form. Secrets shorter than API_SCRUB_MIN_LEN bytes are not searched
 * (they would match ordinary text; no real key is that short).
 *
 * Built once per worker from the immutable config; read-only afterwards. */
#ifndef WARDEN_API_SCRUB_H
#define WARDEN_API_SCRUB_H

#include <stddef.h>

#include "config/config.h"
#include "util/buf.h"

#define API_SCRUB_MIN_LEN 8
#define API_SCRUB_MASK "[REDACTED]"

struct api_scrub;

struct api_scrub *api_scrub_create(const struct config *cfg);
void api_scrub_destroy(struct api_scrub *s);
/* Replaces every secret in b (any bytes; NULs included) with API_SCRUB_MASK.
 * Returns the number of replacements; b is unchanged when there were none. */
size_t api_scrub_buf(const struct api_scrub *s, struct util_buf *b);
/* The same for a NUL-terminated string in a fixed array of cap bytes (truncated to fit). */
size_t api_scrub_text(const struct api_scrub *s, char *text, size_t cap);

#endif
