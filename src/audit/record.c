/* Audit records: ids, field copies and the journal's byte encoding. */
#include "audit/record.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "util/alloc.h"
#include "util/fmt.h"
#include "util/clock.h"

#define RECORD_VERSION 2 /* 2 added parent_id; version 1 records (journals of older builds) still decode */

int64_t audit_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t id_salt(void)
{
    static uint64_t salt;
    uint64_t s = __atomic_load_n(&salt, __ATOMIC_ACQUIRE);
    if (s != 0)
        return s;
    uint64_t r = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
            r = 0;
        close(fd);
    }
    r ^= util_now_ns() ^ ((uint64_t)getpid() << 32);
    r |= 1; /* never 0, which means "not drawn yet" */
    uint64_t expected = 0;
    __atomic_compare_exchange_n(&salt, &expected, r, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    return __atomic_load_n(&salt, __ATOMIC_ACQUIRE);
}

void audit_record_make_id(struct audit_record *r)
{
    /* low half: a random per-process salt, plus a per-thread block of 2^40 ids (no shared
     * counter on the request path), plus the thread's sequence. Unique within the process;
     * across processes (replicas, restarts) a collision also needs the same microsecond. */
    static uint64_t threads;
    static __thread uint64_t base, seq;
    if (base == 0)
        base = id_salt() + (__atomic_add_fetch(&threads, 1, __ATOMIC_RELAXED) << 40);
    uint64_t low = __builtin_bswap64(base + ++seq), t = __builtin_bswap64((uint64_t)r->time_us); /* big-endian */
    memcpy(r->id, &t, 8);
    memcpy(r->id + 8, &low, 8);
}

void audit_id_for_time(int64_t time_us, uint8_t id[AUDIT_ID_BYTES])
{
    uint64_t t = time_us < 0 ? 0 : (uint64_t)time_us;
    memset(id, 0, AUDIT_ID_BYTES);
    for (int i = 0; i < 8; i++)
        id[i] = (uint8_t)(t >> (56 - 8 * i));
}

static const char hexdig[] = "0123456789abcdef";

void audit_id_to_hex(const uint8_t id[AUDIT_ID_BYTES], char out[AUDIT_ID_HEX])
{
    for (int i = 0; i < AUDIT_ID_BYTES; i++) {
        out[2 * i] = hexdig[id[i] >> 4];
        out[2 * i + 1] = hexdig[id[i] & 15];
    }
    out[AUDIT_ID_BYTES * 2] = '\0';
}

int audit_id_from_hex(const char *hex, size_t len, uint8_t id[AUDIT_ID_BYTES])
{
    uint8_t tmp[AUDIT_ID_BYTES];
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (hex[i] == '-')
            continue;
        int hi = util_hexval(hex[i]), lo = i + 1 < len ? util_hexval(hex[i + 1]) : -1;
        if (hi < 0 || lo < 0 || k == AUDIT_ID_BYTES)
            return -1;
        tmp[k++] = (uint8_t)(hi << 4 | lo);
        i++;
    }
    if (k != AUDIT_ID_BYTES)
        return -1;
    memcpy(id, tmp, AUDIT_ID_BYTES);
    return 0;
}

void audit_id_to_uuid(const uint8_t id[AUDIT_ID_BYTES], char out[37])
{
    char *p = out;
    for (int i = 0; i < AUDIT_ID_BYTES; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hexdig[id[i] >> 4];
        *p++ = hexdig[id[i] & 15];
    }
    *p = '\0';
}

/* A cut character (the cap, or the request's own buffers, which cut by bytes) would be stored
 * as U+FFFD and read back as text the client never sent. */
size_t audit_text_whole_chars(const char *s, size_t len, size_t size)
{
    if (s == NULL)
        return 0;
    if (len >= size)
        len = size - 1;
    if (len == 0 || (unsigned char)s[len - 1] < 0x80)
        return len;
    size_t i = len, tail = 0; /* the continuation bytes at the end */
    while (i > 0 && tail < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
        i--, tail++;
    if (i == 0)
        return len;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    return lead >= 0xc0 && tail + 1 < need ? i - 1 : len;
}

char *audit_text_dup(const char *s, size_t len, size_t size)
{
    len = audit_text_whole_chars(s, len, size);
    return len ? util_strndup(s, len) : NULL;
}

int audit_record_append_guardrails(struct audit_record *r, const char *s, size_t len)
{
    if (len == 0)
        return 0;
    size_t have = r->guardrails != NULL ? strlen(r->guardrails) : 0, sep = have ? 2 : 0;
    if (have + sep + len >= AUDIT_GUARDRAILS_MAX)
        return -1;
    char *g = util_realloc(r->guardrails, have + sep + len + 1);
    memcpy(g + have, ", ", sep);
    memcpy(g + have + sep, s, len);
    g[have + sep + len] = '\0';
    r->guardrails = g;
    return 0;
}

void audit_record_free(struct audit_record *r)
{
    free(r->guardrails);
    free(r->request_body);
    free(r->response_body);
    r->guardrails = r->request_body = r->response_body = NULL;
}

/* ---- encoding: version, fixed numbers (little-endian), then length-prefixed strings ---- */

#define N_STRINGS 9
#define N_STRINGS_V1 8
#define FIXED_BYTES (1 + AUDIT_ID_BYTES + 8 + 4 * 4 + 8 * 5)

static void strings_of(const struct audit_record *r, const char *s[N_STRINGS])
{
    s[0] = r->request_id;
    s[1] = r->key_name;
    s[2] = r->model;
    s[3] = r->target;
    s[4] = r->error_code;
    s[5] = r->guardrails ? r->guardrails : "";
    s[6] = r->request_body ? r->request_body : "";
    s[7] = r->response_body ? r->response_body : "";
    s[8] = r->parent_id;
}

size_t audit_record_encoded_max(const struct audit_record *r)
{
    const char *s[N_STRINGS];
    strings_of(r, s);
    size_t n = FIXED_BYTES;
    for (int i = 0; i < N_STRINGS; i++)
        n += 4 + strlen(s[i]);
    return n;
}

size_t audit_record_encoded_bound(const struct audit_record *r)
{
    /* each fixed string field holds at most its size - 1 bytes: no strlen of them on the request path */
    size_t n = FIXED_BYTES + 4 * N_STRINGS + sizeof(r->request_id) + sizeof(r->key_name) + sizeof(r->model) +
               sizeof(r->target) + sizeof(r->error_code) + sizeof(r->parent_id) - 6;
    if (r->guardrails != NULL)
        n += strlen(r->guardrails);
    if (r->request_body != NULL)
        n += strlen(r->request_body);
    if (r->response_body != NULL)
        n += strlen(r->response_body);
    return n;
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t audit_record_encode(const struct audit_record *r, uint8_t *out)
{
    uint8_t *p = out;
    *p++ = RECORD_VERSION;
    memcpy(p, r->id, AUDIT_ID_BYTES);
    p += AUDIT_ID_BYTES;
    p = put64(p, (uint64_t)r->time_us);
    p = put32(p, (uint32_t)r->status);
    p = put32(p, (uint32_t)r->attempts);
    p = put32(p, (uint32_t)r->reasks);
    p = put32(p, (uint32_t)r->stream);
    p = put64(p, (uint64_t)r->latency_us);
    p = put64(p, (uint64_t)r->ttft_us);
    p = put64(p, (uint64_t)r->tokens_in);
    p = put64(p, (uint64_t)r->tokens_out);
    uint64_t cost;
    memcpy(&cost, &r->cost_usd, sizeof(cost));
    p = put64(p, cost);
    const char *s[N_STRINGS];
    strings_of(r, s);
    for (int i = 0; i < N_STRINGS; i++) {
        size_t n = strlen(s[i]);
        p = put32(p, (uint32_t)n);
        memcpy(p, s[i], n);
        p += n;
    }
    return (size_t)(p - out);
}

int audit_record_decode(const uint8_t *in, size_t len, struct audit_record *r)
{
    memset(r, 0, sizeof(*r));
    if (len < FIXED_BYTES || (in[0] != RECORD_VERSION && in[0] != 1))
        return -1;
    int n_strings = in[0] == 1 ? N_STRINGS_V1 : N_STRINGS;
    const uint8_t *p = in + 1, *end = in + len;
    memcpy(r->id, p, AUDIT_ID_BYTES);
    p += AUDIT_ID_BYTES;
    r->time_us = (int64_t)get64(p), p += 8;
    r->status = (int32_t)get32(p), p += 4;
    r->attempts = (int32_t)get32(p), p += 4;
    r->reasks = (int32_t)get32(p), p += 4;
    r->stream = (int32_t)get32(p), p += 4;
    r->latency_us = (int64_t)get64(p), p += 8;
    r->ttft_us = (int64_t)get64(p), p += 8;
    r->tokens_in = (int64_t)get64(p), p += 8;
    r->tokens_out = (int64_t)get64(p), p += 8;
    uint64_t cost = get64(p);
    p += 8;
    memcpy(&r->cost_usd, &cost, sizeof(cost));
    /* strings in strings_of() order; 5, 6 and 7 are malloc'd (NULL when empty): guardrails,
     * within the size its fixed field had (journals of older builds), and the bodies */
    char *fixed[N_STRINGS] = {r->request_id, r->key_name, r->model, r->target, r->error_code, NULL, NULL, NULL,
                              r->parent_id};
    size_t sizes[N_STRINGS] = {sizeof(r->request_id), sizeof(r->key_name), sizeof(r->model), sizeof(r->target),
                               sizeof(r->error_code), AUDIT_GUARDRAILS_MAX, 0, 0, sizeof(r->parent_id)};
    char **owned[N_STRINGS] = {[5] = &r->guardrails, [6] = &r->request_body, [7] = &r->response_body};
    for (int i = 0; i < n_strings; i++) {
        if (end - p < 4)
            goto bad;
        size_t n = get32(p);
        p += 4;
        if ((size_t)(end - p) < n)
            goto bad;
        if (sizes[i] != 0 && n >= sizes[i])
            goto bad;
        if (fixed[i] != NULL)
            audit_record_set(fixed[i], sizes[i], (const char *)p, n);
        else if (n > 0)
            *owned[i] = util_strndup((const char *)p, n);
        p += n;
    }
    if (p != end)
        goto bad;
    return 0;
bad:
    audit_record_free(r);
    return -1;
}
