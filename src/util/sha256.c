/* SHA-256 helpers; see sha256.h. */
#include "util/sha256.h"

#include <openssl/evp.h>
#include <string.h>

#include "util/fmt.h"

void util_sha256(const void *data, size_t len, unsigned char out[UTIL_SHA256_BYTES])
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != UTIL_SHA256_BYTES)
        memset(out, 0, UTIL_SHA256_BYTES); /* cannot match: no configured key hashes to zeros */
}

int util_sha256_from_hex(const char *hex, unsigned char out[UTIL_SHA256_BYTES])
{
    if (strlen(hex) != UTIL_SHA256_BYTES * 2)
        return -1;
    for (int i = 0; i < UTIL_SHA256_BYTES; i++) {
        int hi = util_hexval(hex[2 * i]), lo = util_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}
