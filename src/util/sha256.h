/* SHA-256 (OpenSSL) for secrets that are stored and compared only as hashes:
 * client keys and the admin token (see auth/auth.h). */
#ifndef WARDEN_UTIL_SHA256_H
#define WARDEN_UTIL_SHA256_H

#include <stddef.h>

#define UTIL_SHA256_BYTES 32

void util_sha256(const void *data, size_t len, unsigned char out[UTIL_SHA256_BYTES]);
/* Parses 64 hex digits; 0 or -1. */
int util_sha256_from_hex(const char *hex, unsigned char out[UTIL_SHA256_BYTES]);

#endif
