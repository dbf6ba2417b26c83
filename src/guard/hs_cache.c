/* Compiled Hyperscan databases kept across starts; the design is in hs_cache.h. */
#include "guard/hs_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/log.h"
#include "util/sha256.h"

#define CACHE_MAGIC "WHSC0001" /* a file: this, the fingerprint, then hs_serialize_database's bytes */
#define CACHE_MAGIC_LEN 8
#define CACHE_HEAD (CACHE_MAGIC_LEN + UTIL_SHA256_BYTES)
#define CACHE_MAX_BYTES ((size_t)256 << 20)

/* What the compile depends on, laid out in one buffer for the SHA-256 */
struct fp_input {
    unsigned char *p;
    size_t len;
};

static void put(struct fp_input *in, const void *data, size_t n)
{
    if (in->p != NULL)
        memcpy(in->p + in->len, data, n);
    in->len += n;
}

static void put_u32(struct fp_input *in, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
    put(in, b, 4);
}

/* Two passes over the same writes: the first (p NULL) measures, the second fills. */
static void fingerprint_feed(struct fp_input *in, const char *const *exprs, const unsigned *flags,
                             const unsigned *ids, unsigned n, unsigned mode)
{
    const char *version = hs_version();
    put(in, CACHE_MAGIC, CACHE_MAGIC_LEN);
    put(in, version, strlen(version) + 1);
    put_u32(in, mode);
    put_u32(in, n);
    for (unsigned i = 0; i < n; i++) {
        size_t len = strlen(exprs[i]);
        put_u32(in, flags != NULL ? flags[i] : 0);
        put_u32(in, ids != NULL ? ids[i] : 0);
        put_u32(in, (uint32_t)len);
        put(in, exprs[i], len);
    }
}

static void fingerprint(const char *const *exprs, const unsigned *flags, const unsigned *ids, unsigned n, unsigned mode,
                        unsigned char out[UTIL_SHA256_BYTES])
{
    struct fp_input in = {NULL, 0};
    fingerprint_feed(&in, exprs, flags, ids, n, mode);
    in.p = util_malloc(in.len);
    in.len = 0;
    fingerprint_feed(&in, exprs, flags, ids, n, mode);
    util_sha256(in.p, in.len, out);
    free(in.p);
}

/* The cache directory into dir (0), or -1 when there is none to use. */
static int cache_dir(char *dir, size_t size)
{
    const char *env = getenv("WARDEN_HS_CACHE");
    if (env != NULL && *env != '\0') {
        if (!strcmp(env, "off") || strlen(env) >= size)
            return -1;
        memcpy(dir, env, strlen(env) + 1);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    int w = snprintf(dir, size, "%s/hs-cache", exe);
    return w > 0 && (size_t)w < size ? 0 : -1;
}

/* The file's database when it holds the one fingerprinted by fp; NULL otherwise. */
static hs_database_t *cache_read(const char *path, const unsigned char fp[UTIL_SHA256_BYTES])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    hs_database_t *db = NULL;
    struct stat st;
    char *bytes = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= CACHE_HEAD || (size_t)st.st_size > CACHE_MAX_BYTES)
        goto done;
    size_t size = (size_t)st.st_size, got = 0;
    bytes = util_malloc(size);
    while (got < size) {
        ssize_t r = read(fd, bytes + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            goto done;
        got += (size_t)r;
    }
    if (memcmp(bytes, CACHE_MAGIC, CACHE_MAGIC_LEN) != 0 || memcmp(bytes + CACHE_MAGIC_LEN, fp, UTIL_SHA256_BYTES) != 0)
        goto done;
    if (hs_deserialize_database(bytes + CACHE_HEAD, size - CACHE_HEAD, &db) != HS_SUCCESS)
        db = NULL;
done:
    free(bytes);
    close(fd);
    return db;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Stores db under path; a failure only means the next start compiles again. */
static void cache_write(const char *dir, const char *path, const unsigned char fp[UTIL_SHA256_BYTES], const hs_database_t *db)
{
    char *bytes = NULL;
    size_t len = 0;
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
        return;
    char tmp[PATH_MAX];
    int w = snprintf(tmp, sizeof(tmp), "%s/.hsdb-XXXXXX", dir);
    int fd = w > 0 && (size_t)w < sizeof(tmp) ? mkstemp(tmp) : -1;
    if (fd >= 0) {
        int ok = fchmod(fd, 0644) == 0 && write_all(fd, CACHE_MAGIC, CACHE_MAGIC_LEN) == 0 &&
                 write_all(fd, fp, UTIL_SHA256_BYTES) == 0 && write_all(fd, bytes, len) == 0;
        ok = close(fd) == 0 && ok;
        if (!ok || rename(tmp, path) != 0) {
            LOG_DEBUG("guard", "pattern cache: cannot store %s: %s", path, strerror(errno));
            unlink(tmp);
        }
    }
    free(bytes); /* hs_serialize_database allocates with the misc allocator: malloc, Warden sets none */
}

hs_error_t guard_hs_compile_cached(const char *const *exprs, const unsigned *flags, const unsigned *ids, unsigned n,
                                   unsigned mode, hs_database_t **db, hs_compile_error_t **ce)
{
    char dir[PATH_MAX - 80], path[PATH_MAX];
    unsigned char fp[UTIL_SHA256_BYTES];
    int cached = cache_dir(dir, sizeof(dir)) == 0;
    if (cached) {
        fingerprint(exprs, flags, ids, n, mode, fp);
        int w = snprintf(path, sizeof(path), "%s/", dir);
        for (size_t i = 0; i < UTIL_SHA256_BYTES; i++)
            w += snprintf(path + w, sizeof(path) - (size_t)w, "%02x", fp[i]);
        snprintf(path + w, sizeof(path) - (size_t)w, ".hsdb");
        if ((*db = cache_read(path, fp)) != NULL) {
            *ce = NULL;
            return HS_SUCCESS;
        }
    }
    hs_error_t rc = hs_compile_multi(exprs, flags, ids, n, mode, NULL, db, ce);
    if (rc == HS_SUCCESS && cached && access(dir, W_OK) == 0)
        cache_write(dir, path, fp, *db);
    return rc;
}
