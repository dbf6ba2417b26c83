/* Client keys and the admin token.
 *
 * Keys are configured in api_keys as `key` (plain), `key_sha256` (hex) or
 * `key_env` (read from the environment at load); the config keeps only the
 * SHA-256 of each. A request's key (`Authorization: Bearer K` or
 * `x-api-key: K`) is hashed once and compared with every configured hash in
 * constant time (CRYPTO_memcmp), so neither the match nor the position of a
 * mismatch shows in the timing. Key material is never logged: callers get the
 * matched entry (its name and metadata), never the key. */
#ifndef WARDEN_AUTH_AUTH_H
#define WARDEN_AUTH_AUTH_H

#include <stddef.h>

#include <h2o.h>

#include "config/config.h"

#define AUTH_SHA256_BYTES 32

/* The configured key matching the presented token, or NULL. */
const struct config_api_key *auth_find_key(const struct config *cfg, const char *token, size_t len);

/* The token of an Authorization header value ("Bearer T"; a bare value is taken whole). */
void auth_bearer_token(const char *value, size_t len, const char **token, size_t *token_len);

/* The configured key a request carries (`Authorization: Bearer K`, else `x-api-key: K`), or
 * NULL; *presented (if not NULL) says whether the request carried a key at all. */
const struct config_api_key *auth_request_key(const struct config *cfg, const h2o_headers_t *headers, int *presented);

/* 1 when token is the admin token (admin.token_env was set at load), else 0. */
int auth_admin_ok(const struct config *cfg, const char *token, size_t len);

#endif
