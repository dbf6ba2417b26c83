/* Key lookup by hash; see auth.h. */
#include "auth/auth.h"

#include <openssl/crypto.h>
#include <string.h>
#include <strings.h>

#include "util/sha256.h"

const struct config_api_key *auth_find_key(const struct config *cfg, const char *token, size_t len)
{
    if (cfg->n_api_keys == 0 || len == 0)
        return NULL;
    unsigned char h[AUTH_SHA256_BYTES];
    util_sha256(token, len, h);
    const struct config_api_key *found = NULL;
    /* every entry is compared, found or not: the time does not depend on which one matched */
    for (size_t i = 0; i < cfg->n_api_keys; i++) {
        int same = CRYPTO_memcmp(h, cfg->api_keys[i].key_sha256, AUTH_SHA256_BYTES) == 0;
        if (same && found == NULL)
            found = &cfg->api_keys[i];
    }
    return found;
}

void auth_bearer_token(const char *value, size_t len, const char **token, size_t *token_len)
{
    if (len > 7 && strncasecmp(value, "Bearer ", 7) == 0) {
        value += 7;
        len -= 7;
    }
    while (len > 0 && (*value == ' ' || *value == '\t'))
        value++, len--;
    while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
        len--;
    *token = value;
    *token_len = len;
}

const struct config_api_key *auth_request_key(const struct config *cfg, const h2o_headers_t *headers, int *presented)
{
    const char *tok = NULL;
    size_t tok_len = 0;
    ssize_t i = h2o_find_header(headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i >= 0) {
        auth_bearer_token(headers->entries[i].value.base, headers->entries[i].value.len, &tok, &tok_len);
    } else if ((i = h2o_find_header_by_str(headers, H2O_STRLIT("x-api-key"), -1)) >= 0) {
        auth_bearer_token(headers->entries[i].value.base, headers->entries[i].value.len, &tok, &tok_len);
    }
    if (presented != NULL)
        *presented = tok_len > 0;
    return tok_len > 0 ? auth_find_key(cfg, tok, tok_len) : NULL;
}

int auth_admin_ok(const struct config *cfg, const char *token, size_t len)
{
    if (!cfg->has_admin_token || len == 0)
        return 0;
    unsigned char h[AUTH_SHA256_BYTES];
    util_sha256(token, len, h);
    return CRYPTO_memcmp(h, cfg->admin_token_sha256, AUTH_SHA256_BYTES) == 0;
}
