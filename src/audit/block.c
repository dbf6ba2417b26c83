/* Audit blocks: the JSON text of a block's records, written and read; see block.h. */
#include "audit/block.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/fmt.h"

void audit_text_reserve(struct audit_text *t, size_t more)
{
    if (t->cap - t->len > more)
        return;
    size_t cap = t->cap ? t->cap : 4096;
    while (cap - t->len <= more)
        cap *= 2;
    t->p = util_realloc(t->p, cap);
    t->cap = cap;
}

void audit_text_free(struct audit_text *t)
{
    free(t->p);
    memset(t, 0, sizeof(*t));
}

/* ---- writing ---- */

static const char hexdig[] = "0123456789abcdef";
static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                  "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                  "8081828384858687888990919293949596979899";

static const uint64_t pow10_u64[20] = {1ULL,
                                      10ULL,
                                      100ULL,
                                      1000ULL,
                                      10000ULL,
                                      100000ULL,
                                      1000000ULL,
                                      10000000ULL,
                                      100000000ULL,
                                      1000000000ULL,
                                      10000000000ULL,
                                      100000000000ULL,
                                      1000000000000ULL,
                                      10000000000000ULL,
                                      100000000000000ULL,
                                      1000000000000000ULL,
                                      10000000000000000ULL,
                                      100000000000000000ULL,
                                      1000000000000000000ULL,
                                      10000000000000000000ULL};

/* The decimal digits of v > 0: log10 from the bit length, then one comparison. */
static inline int count_digits(uint64_t v)
{
    int n = ((64 - __builtin_clzll(v)) * 1233) >> 12; /* floor(bits * log10(2)) */
    return n + (v >= pow10_u64[n]);
}

/* Two digits a step, written in place from the end (no copy through a temporary). */
static char *put_u64_long(char *p, uint64_t v)
{
    char *e = p + count_digits(v), *q = e;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100);
        v /= 100;
        q -= 2;
        memcpy(q, digit_pairs + 2 * d, 2);
    }
    if (v >= 10)
        memcpy(q - 2, digit_pairs + 2 * v, 2);
    else
        q[-1] = (char)('0' + v);
    return e;
}

/* Most numbers of a record (status, attempts, tokens, milliseconds, places) have at most
 * four digits: those inline, in 32-bit arithmetic. */
static inline char *put_u64(char *p, uint64_t v)
{
    if (v < 10) {
        *p = (char)('0' + v);
        return p + 1;
    }
    if (v < 100) {
        memcpy(p, digit_pairs + 2 * v, 2);
        return p + 2;
    }
    if (v < 10000) {
        unsigned hi = (unsigned)v / 100, lo = (unsigned)v % 100;
        if (hi < 10) {
            *p = (char)('0' + hi);
            memcpy(p + 1, digit_pairs + 2 * lo, 2);
            return p + 3;
        }
        memcpy(p, digit_pairs + 2 * hi, 2);
        memcpy(p + 2, digit_pairs + 2 * lo, 2);
        return p + 4;
    }
    return put_u64_long(p, v);
}

static inline char *put_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, -(uint64_t)v);
    }
    return put_u64(p, (uint64_t)v);
}

/* Nonzero when one of the 8 bytes in x needs more than a copy: a control byte (< 0x20), '"',
 * '\\' or a byte of a multi-byte character (>= 0x80, validated one by one). Exact as a whole
 * (the per-byte flags may be wrong above a hit; only "any" is used). */
static inline uint64_t special_bytes(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
    uint64_t control = (x - ones * 0x20) & ~x;
    quote = (quote - ones) & ~quote;
    backslash = (backslash - ones) & ~backslash;
    return (control | quote | backslash | x) & highs;
}

/* The length of the valid UTF-8 character at s[0..n) (s[0] >= 0x80), or 0 when it is not one. */
static size_t utf8_char_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* the allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0; /* no overlong forms */
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f; /* nothing past U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* Escapes one byte or character at s[i] to *o; returns the bytes of s used. */
static size_t escape_one(const unsigned char *s, size_t i, size_t n, char **o)
{
    unsigned char c = s[i];
    char *p = *o;
    size_t used = 1;
    if (c == '"' || c == '\\') {
        *p++ = '\\';
        *p++ = (char)c;
    } else if (c < 0x20) {
        *p++ = '\\';
        switch (c) {
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        default:
            memcpy(p, "u00", 3);
            p[3] = hexdig[c >> 4];
            p[4] = hexdig[c & 15];
            p += 5;
        }
    } else if (c < 0x80) {
        *p++ = (char)c;
    } else {
        size_t len = utf8_char_len(s + i, n - i);
        if (len == 0) {
            memcpy(p, "\xef\xbf\xbd", 3); /* U+FFFD for a byte that starts no valid character */
            p += 3;
        } else {
            for (size_t k = 0; k < len; k++)
                *p++ = (char)s[i + k];
            used = len;
        }
    }
    *o = p;
    return used;
}

/* The room a string of n bytes may take as a literal: every byte as \u00XX, the quotes, and 8
 * for the whole-word stores. */
#define STRING_ROOM(n) (6 * (n) + 2 + 8)

/* s[0..n) as a JSON string literal at o, which has STRING_ROOM(n) bytes; returns its end. */
static char *put_string(char *o, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    *o++ = '"';
    size_t i = 0, clean_before = 0; /* bytes just before i that were copied unchanged */
    while (i < n) {
        if (n - i >= 8) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (special_bytes(x) == 0) {
                memcpy(o, &x, 8);
                o += 8;
                i += 8;
                clean_before = 8;
                continue;
            }
            clean_before = 0;
            /* something in these 8 bytes needs care: byte by byte to their end */
            size_t stop = i + 8;
            while (i < stop)
                i += escape_one(s, i, n, &o);
            continue;
        }
        if (clean_before >= 8 - (n - i)) {
            /* the last few bytes: the 8 that end the string, over bytes already copied as they
             * were (so input and output line up), in one step when they need no care */
            uint64_t x;
            memcpy(&x, s + n - 8, 8);
            if (special_bytes(x) == 0) {
                memcpy(o - (8 - (n - i)), &x, 8);
                o += n - i;
                break;
            }
            clean_before = 0;
        }
        unsigned char c = s[i]; /* the tail, byte by byte */
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
            *o++ = (char)s[i++];
        else
            i += escape_one(s, i, n, &o);
    }
    *o++ = '"';
    return o;
}

void audit_json_string(struct audit_text *t, const char *s, size_t n)
{
    audit_text_reserve(t, STRING_ROOM(n));
    t->len = (size_t)(put_string(t->p + t->len, s, n) - t->p);
}

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
/* 10^e for e in [-10, 15], for the estimate of a cost's decimal exponent (need not be exact) */
static const double pow10_near[26] = {1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0,  1e1,  1e2,
                                      1e3,   1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
#define COST_ROOM 64 /* the longest decimal (2 + 22 + 17) plus a whole-word copy's overrun */

/* m * 10^-k (k <= 22) as a decimal with a point, at p; trailing zeros of the fraction left
 * out. Whole-word copies of fixed size (the caller reserved COST_ROOM): no calls. */
static char *put_decimal(char *p, uint64_t m, int k)
{
    static const char zeros[24] = "000000000000000000000000";
    char d[48];
    int len = (int)(put_u64(d, m) - d);
    while (k > 0 && d[len - 1] == '0')
        len--, k--;
    if (k == 0) {
        memcpy(p, d, 24);
        memcpy(p + len, ".0", 2);
        return p + len + 2;
    }
    if (len > k) {
        memcpy(p, d, 24);
        p += len - k;
        *p++ = '.';
        memcpy(p, d + len - k, 24);
        return p + k;
    }
    memcpy(p, "0.", 2);
    memcpy(p + 2, zeros, 24);
    p += 2 + k - len;
    memcpy(p, d, 24);
    return p + len;
}

/* v >= 0 at p (COST_ROOM bytes); returns the end. */
static char *put_cost(char *p, double v)
{
    if (v == 0) {
        memcpy(p, "0.0", 3);
        return p + 3;
    }
    if (v >= 1e-8 && v < 1e14) {
        /* 15 significant digits: m = v * 10^k rounded, k = 14 - floor(log10(v)). m (< 2^53)
         * and 10^k (k <= 22) are exact doubles, so m / 10^k is the correctly rounded value
         * of the decimal m * 10^-k: what any correct reader makes of it. When that is v, the
         * decimal reads back as v; its trailing zeros go (a price times a token count has a
         * few digits), in halving steps rather than one division a digit. */
        uint64_t bits;
        memcpy(&bits, &v, 8);
        int e2 = (int)((bits >> 52) & 0x7ff) - 1023;
        int e = (e2 * 1233) >> 12; /* about floor(log10(v)) */
        if (e < -9)
            e = -9;
        if (e > 13)
            e = 13;
        if (v >= pow10_near[e + 11])
            e++;
        else if (v < pow10_near[e + 10])
            e--;
        int k = 14 - e;
        if (k >= 0 && k <= 22) {
            int64_t m0 = (int64_t)(v * pow10_exact[k] + 0.5); /* < 2^53: signed conversions, one instruction each */
            for (int i = 0; i < 3; i++) {
                int64_t c = i == 0 ? m0 : i == 1 ? m0 - 1 : m0 + 1; /* the product's rounding may miss by one */
                if (c <= 0 || c >= (1LL << 53) || (double)c / pow10_exact[k] != v)
                    continue;
                uint64_t m = (uint64_t)c;
                /* constant divisors: multiplications, not divisions */
                if (k >= 8 && m % 100000000 == 0)
                    m /= 100000000, k -= 8;
                if (k >= 4 && m % 10000 == 0)
                    m /= 10000, k -= 4;
                if (k >= 2 && m % 100 == 0)
                    m /= 100, k -= 2;
                if (k >= 1 && m % 10 == 0)
                    m /= 10, k--;
                if (k >= 1 && m % 10 == 0) /* 15 = 8 + 4 + 2 + 1: at most one more */
                    m /= 10, k--;
                return put_decimal(p, m, k);
            }
        }
    }
    if (v >= 1e-6 && v < 1e14) {
        /* Needs 16 or 17 digits (a quarter of the costs computed from list prices: the sum of
         * two products is rarely the double nearest a short decimal). 17 significant digits,
         * correctly rounded, always read back as the same double; computed exactly in 128-bit
         * integers: v = M * 2^E, so v * 10^k = M * 10^k * 2^E, rounded by a shift. */
        uint64_t bits;
        memcpy(&bits, &v, 8);
        uint64_t mant = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
        int exp2 = (int)((bits >> 52) & 0x7ff) - 1075; /* negative here: v < 2^52 */
        int e = 0;
        while (e < 13 && v >= pow10_near[e + 11])
            e++;
        while (e > -6 && v < pow10_near[e + 10])
            e--;
        for (int k = 16 - e; k <= 22 && exp2 < 0; k++) {
            unsigned __int128 prod = (unsigned __int128)mant * pow10_u64[k < 19 ? k : 19];
            if (k > 19)
                prod *= pow10_u64[k - 19]; /* < 2^53 * 10^22 < 2^127 */
            uint64_t m = (uint64_t)((prod + ((unsigned __int128)1 << (-exp2 - 1))) >> -exp2);
            if (m < 10000000000000000ULL)
                continue; /* the exponent was guessed one too high: one more digit */
            if (m % 100000000 == 0 && k >= 8)
                m /= 100000000, k -= 8;
            if (m % 10000 == 0 && k >= 4)
                m /= 10000, k -= 4;
            if (m % 100 == 0 && k >= 2)
                m /= 100, k -= 2;
            if (m % 10 == 0 && k >= 1)
                m /= 10, k--;
            if (m % 10 == 0 && k >= 1)
                m /= 10, k--;
            return put_decimal(p, m, k);
        }
    }
    /* rare: far from any price (below a millionth of a dollar, or huge) */
    int n = snprintf(p, 32, "%.17g", v);
    if (strpbrk(p, ".eEn") == NULL) /* a whole number: a point makes it a REAL */
        memcpy(p + n, ".0", 2), n += 2;
    return p + n;
}

void audit_json_cost(struct audit_text *t, double v)
{
    audit_text_reserve(t, COST_ROOM);
    t->len = (size_t)(put_cost(t->p + t->len, v) - t->p);
}

static char *put_null(char *p)
{
    memcpy(p, "null", 4);
    return p + 4;
}

/* A text field: "" is NULL, as the table before blocks stored it. */
static char *put_text(char *p, const char *s, size_t n)
{
    return n == 0 ? put_null(p) : put_string(p, s, n);
}

/* A place in a dictionary, or null. */
static char *put_ref(char *p, int ref)
{
    return ref < 0 ? put_null(p) : put_u64(p, (uint64_t)ref);
}

void audit_block_append_record(struct audit_text *t, const struct audit_record *r, int64_t ts_base,
                               const struct audit_block_refs *refs)
{
    enum { REQUEST_ID, ERROR_CODE, GUARDRAILS, REQUEST_BODY, RESPONSE_BODY, PARENT_ID, TEXTS };
    const char *s[TEXTS] = {r->request_id, r->error_code, r->guardrails, r->request_body, r->response_body, r->parent_id};
    size_t n[TEXTS], room = 2 + AUDIT_F_COUNT + 14 * 21 + COST_ROOM;
    for (int i = 0; i < TEXTS; i++) {
        n[i] = s[i] != NULL && s[i][0] ? strlen(s[i]) : 0; /* most are empty: no call */
        room += STRING_ROOM(n[i]);
    }
    audit_text_reserve(t, room); /* once: everything below writes unchecked */
    char *p = t->p + t->len;
    *p++ = '[';
    p = put_i64(p, (int64_t)((uint64_t)r->time_us - (uint64_t)ts_base));
    *p++ = ',';
    p = put_i64(p, r->status);
    *p++ = ',';
    p = put_ref(p, refs->model);
    *p++ = ',';
    p = put_ref(p, refs->key);
    *p++ = ',';
    p = put_text(p, s[REQUEST_ID], n[REQUEST_ID]);
    *p++ = ',';
    p = put_ref(p, refs->target);
    *p++ = ',';
    p = put_text(p, s[ERROR_CODE], n[ERROR_CODE]);
    *p++ = ',';
    p = put_i64(p, r->attempts);
    *p++ = ',';
    p = put_i64(p, r->reasks);
    *p++ = ',';
    p = put_i64(p, r->stream);
    *p++ = ',';
    p = put_i64(p, r->latency_us);
    *p++ = ',';
    p = r->ttft_us > 0 ? put_i64(p, r->ttft_us) : put_null(p);
    *p++ = ',';
    p = r->tokens_in >= 0 ? put_i64(p, r->tokens_in) : put_null(p);
    *p++ = ',';
    p = r->tokens_out >= 0 ? put_i64(p, r->tokens_out) : put_null(p);
    *p++ = ',';
    p = r->cost_usd >= 0 ? put_cost(p, r->cost_usd) : put_null(p);
    /* the rest is mostly NULL: left out from the last value on (a missing field reads as NULL) */
    char *kept = p;
    for (int i = GUARDRAILS; i < TEXTS; i++) {
        *p++ = ',';
        p = put_text(p, s[i], n[i]);
        if (n[i] > 0)
            kept = p;
    }
    p = kept;
    *p++ = ']';
    t->len = (size_t)(p - t->p);
}

/* ---- reading ---- */

void audit_block_reader_init(struct audit_block_reader *rd, const char *text, size_t len, int64_t ts_base,
                             const struct audit_block_dict *dict)
{
    memset(rd, 0, sizeof(*rd));
    rd->p = text;
    rd->end = text + len;
    rd->ts_base = ts_base;
    rd->dict = dict;
}

/* Four hex digits at p (before end) as a number. */
static int hex4(const char *p, const char *end, unsigned *out)
{
    uint32_t v;
    if (end - p < 4 || util_hex4(p, &v) != 0)
        return -1;
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes the string literal at *pp (on its opening quote) into out[0..outsz-1] (the rest
 * dropped), NUL-terminated; moves *pp past the closing quote. Returns the decoded length kept,
 * or -1. The decoded text is never longer than the literal. */
static long decode_string(const char **pp, const char *end, char *out, size_t outsz)
{
    const char *p = *pp;
    if (p >= end || *p != '"')
        return -1;
    p++;
    size_t o = 0, room = outsz > 0 ? outsz - 1 : 0;
    for (;;) {
        if (p >= end)
            return -1;
        char c = *p;
        if (c == '"') {
            p++;
            break;
        }
        char ch[4];
        size_t chn;
        if (c != '\\') {
            /* a run of plain bytes */
            const char *s = p;
            while (p < end && *p != '"' && *p != '\\')
                p++;
            size_t n = (size_t)(p - s);
            size_t take = n < room - o ? n : room - o;
            if (take < n) {
                /* full: cut before the character the cap falls in, never inside it (a
                 * reader would see a broken sequence), and keep nothing after it */
                while (take > 0 && ((unsigned char)s[take] & 0xc0) == 0x80)
                    take--;
                room = o + take;
            }
            memcpy(out + o, s, take);
            o += take;
            continue;
        }
        if (end - p < 2)
            return -1;
        switch (p[1]) {
        case '"': ch[0] = '"'; chn = 1; break;
        case '\\': ch[0] = '\\'; chn = 1; break;
        case '/': ch[0] = '/'; chn = 1; break;
        case 'b': ch[0] = '\b'; chn = 1; break;
        case 'f': ch[0] = '\f'; chn = 1; break;
        case 'n': ch[0] = '\n'; chn = 1; break;
        case 'r': ch[0] = '\r'; chn = 1; break;
        case 't': ch[0] = '\t'; chn = 1; break;
        case 'u': {
            unsigned cp, lo;
            if (hex4(p + 2, end, &cp) != 0)
                return -1;
            p += 6;
            if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, end, &lo) == 0 &&
                lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
            } else if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0) {
                cp = 0xfffd; /* a lone surrogate, or a NUL that a C string cannot hold */
            }
            chn = put_utf8(ch, cp);
            p -= 2; /* the common step below */
            break;
        }
        default:
            return -1;
        }
        p += 2;
        if (chn <= room - o) {
            memcpy(out + o, ch, chn);
            o += chn;
        } else {
            room = o; /* full: keep no part of a character */
        }
    }
    if (outsz > 0)
        out[o] = '\0';
    *pp = p;
    return (long)o;
}

int audit_json_string_decode(const char *s, size_t n, char *out, size_t outsz)
{
    const char *p = s;
    if (decode_string(&p, s + n, out, outsz) < 0 || p != s + n)
        return -1;
    return 0;
}

/* Moves past one JSON value of any kind (a record's fields are flat, but nothing is assumed). */
static int skip_value(const char **pp, const char *end)
{
    const char *p = *pp;
    int depth = 0;
    do {
        if (p >= end)
            return -1;
        char c = *p;
        if (c == '"') {
            p++;
            while (p < end && *p != '"')
                p += *p == '\\' ? 2 : 1;
            if (p >= end)
                return -1;
            p++;
        } else if (c == '[' || c == '{') {
            depth++;
            p++;
        } else if (c == ']' || c == '}') {
            if (depth == 0)
                return -1;
            depth--;
            p++;
        } else if (c == ',' || c == ':') {
            if (depth == 0)
                return -1;
            p++;
        } else {
            const char *s = p;
            while (p < end && *p != ',' && *p != ']' && *p != '}' && *p != ':')
                p++;
            if (p == s)
                return -1;
        }
    } while (depth > 0);
    *pp = p;
    return 0;
}

/* Moves to the next field of the current record: 1 (a value is next), 0 (the record ended:
 * this and the later fields are NULL) or -1. */
static int next_field(struct audit_block_reader *rd, int *field, int *closed)
{
    if (*closed)
        return 0;
    if (rd->p >= rd->end)
        return -1;
    if (*rd->p == ']') {
        rd->p++;
        *closed = 1;
        return 0;
    }
    if (*field > 0) {
        if (*rd->p != ',')
            return -1;
        rd->p++;
    }
    (*field)++;
    return rd->p < rd->end ? 1 : -1;
}

static int is_null(struct audit_block_reader *rd)
{
    if (rd->end - rd->p >= 4 && memcmp(rd->p, "null", 4) == 0) {
        rd->p += 4;
        return 1;
    }
    return 0;
}

/* The number up to the field's end (strtod wants a NUL: a copy of at most 63 bytes). */
static int read_number(struct audit_block_reader *rd, double *out)
{
    char num[64];
    const char *e = rd->p;
    while (e < rd->end && *e != ',' && *e != ']' && e - rd->p < 63)
        e++;
    memcpy(num, rd->p, (size_t)(e - rd->p));
    num[e - rd->p] = '\0';
    char *stop;
    *out = strtod(num, &stop);
    if (stop == num || *stop != '\0')
        return -1;
    rd->p = e;
    return 0;
}

/* An integer field; def when NULL or missing. */
static int read_int(struct audit_block_reader *rd, int *field, int *closed, int64_t def, int64_t *out)
{
    int rc = next_field(rd, field, closed);
    *out = def;
    if (rc <= 0)
        return rc;
    if (is_null(rd))
        return 0;
    const char *p = rd->p;
    int neg = p < rd->end && *p == '-';
    p += neg;
    uint64_t v = 0;
    const char *s = p;
    while (p < rd->end && *p >= '0' && *p <= '9' && p - s < 19)
        v = v * 10 + (uint64_t)(*p++ - '0');
    if (p == s)
        return -1;
    if (p < rd->end && *p != ',' && *p != ']') {
        /* not a plain integer (a fraction, an exponent, more digits): read it as a number */
        double d;
        if (read_number(rd, &d) != 0 || !(d > -9.2e18 && d < 9.2e18))
            return -1;
        *out = (int64_t)d;
        return 0;
    }
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    rd->p = p;
    return 0;
}

static int read_double(struct audit_block_reader *rd, int *field, int *closed, double def, double *out)
{
    int rc = next_field(rd, field, closed);
    *out = def;
    if (rc <= 0)
        return rc;
    if (is_null(rd))
        return 0;
    return read_number(rd, out);
}

/* A text field into a fixed buffer ("" when NULL or missing). */
static int read_text(struct audit_block_reader *rd, int *field, int *closed, char *out, size_t outsz)
{
    out[0] = '\0';
    int rc = next_field(rd, field, closed);
    if (rc <= 0)
        return rc;
    if (is_null(rd))
        return 0;
    return decode_string(&rd->p, rd->end, out, outsz) < 0 ? -1 : 0;
}

/* A place in a dictionary of n entries: -1 when NULL or missing. */
static int read_ref(struct audit_block_reader *rd, int *field, int *closed, size_t n, int *ref)
{
    *ref = -1;
    int rc = next_field(rd, field, closed);
    if (rc <= 0)
        return rc;
    if (is_null(rd))
        return 0;
    int64_t at;
    int f = 0, c = 0; /* read_int moves to "the next field": start it as the first of none */
    const char *p = rd->p;
    if (read_int(rd, &f, &c, -1, &at) < 0 || p == rd->p || at < 0 || (uint64_t)at >= n)
        return -1;
    *ref = (int)at;
    return 0;
}

/* Entry ref of a dictionary into out ("" for -1). */
static void ref_text(const char *entries, size_t size, int ref, char *out)
{
    if (ref < 0)
        out[0] = '\0';
    else
        memcpy(out, entries + (size_t)ref * size, size);
}

/* One JSON array of strings into n entries of size bytes each. */
static int dict_array(const char *s, size_t len, char *entries, size_t size, size_t *n)
{
    const char *p = s, *end = s + len;
    *n = 0;
    if (p >= end || *p++ != '[')
        return -1;
    if (p < end && *p == ']')
        return p + 1 == end ? 0 : -1;
    for (;;) {
        if (*n == AUDIT_BLOCK_RECORDS || decode_string(&p, end, entries + *n * size, size) < 0)
            return -1;
        (*n)++;
        if (p >= end)
            return -1;
        if (*p == ']')
            return p + 1 == end ? 0 : -1;
        if (*p++ != ',')
            return -1;
    }
}

int audit_block_dict_parse(struct audit_block_dict *d, const char *models, size_t models_len, const char *keys,
                           size_t keys_len, const char *targets, size_t targets_len)
{
    if (models == NULL || keys == NULL || targets == NULL ||
        dict_array(models, models_len, d->models[0], sizeof(d->models[0]), &d->n_models) != 0 ||
        dict_array(keys, keys_len, d->keys[0], sizeof(d->keys[0]), &d->n_keys) != 0 ||
        dict_array(targets, targets_len, d->targets[0], sizeof(d->targets[0]), &d->n_targets) != 0)
        return -1;
    return 0;
}

/* A malloc'd text of at most size - 1 bytes (cut at a character boundary), NULL when NULL or
 * missing: guardrails (capped as the writer caps it) and the bodies (size 0: uncapped). */
static int read_owned(struct audit_block_reader *rd, int *field, int *closed, size_t size, char **out)
{
    *out = NULL;
    int rc = next_field(rd, field, closed);
    if (rc <= 0)
        return rc;
    if (is_null(rd))
        return 0;
    const char *s = rd->p, *e = s;
    if (skip_value(&e, rd->end) != 0)
        return -1;
    size_t room = (size_t)(e - s) + 1; /* the quoted form is never shorter than the text */
    if (size != 0 && room > size)
        room = size;
    char *body = util_malloc(room);
    if (decode_string(&rd->p, rd->end, body, room) < 0) {
        free(body);
        return -1;
    }
    *out = body;
    return 0;
}

int audit_block_read_head(struct audit_block_reader *rd, struct audit_record *r)
{
    if (rd->p >= rd->end)
        return -1;
    if (!rd->started) {
        if (*rd->p != '[')
            return -1;
        rd->p++;
        rd->started = 1;
    } else if (*rd->p == ',') {
        rd->p++;
    }
    if (rd->p < rd->end && *rd->p == ']')
        return 0;
    if (rd->p >= rd->end || *rd->p != '[')
        return -1;
    rd->p++;
    rd->field = 0;
    rd->closed = 0;
    int64_t v;
    if (read_int(rd, &rd->field, &rd->closed, 0, &r->time_us) < 0 || read_int(rd, &rd->field, &rd->closed, 0, &v) < 0)
        return -1;
    r->status = (int32_t)v;
    r->time_us = (int64_t)((uint64_t)r->time_us + (uint64_t)rd->ts_base); /* wraps, never overflows, on bad input */
    const struct audit_block_dict *d = rd->dict;
    if (read_ref(rd, &rd->field, &rd->closed, d->n_models, &rd->model_ref) < 0 ||
        read_ref(rd, &rd->field, &rd->closed, d->n_keys, &rd->key_ref) < 0)
        return -1;
    return 1;
}

/* Past the record's closing bracket (fields this version does not know are skipped). */
static int close_record(struct audit_block_reader *rd)
{
    for (;;) {
        int rc = next_field(rd, &rd->field, &rd->closed);
        if (rc <= 0)
            return rc;
        if (skip_value(&rd->p, rd->end) != 0)
            return -1;
    }
}

int audit_block_read_rest(struct audit_block_reader *rd, struct audit_record *r)
{
    int *f = &rd->field, *c = &rd->closed;
    int64_t v[7];
    const struct audit_block_dict *d = rd->dict;
    int target_ref;
    r->guardrails = r->request_body = r->response_body = NULL;
    ref_text(d->models[0], sizeof(d->models[0]), rd->model_ref, r->model);
    ref_text(d->keys[0], sizeof(d->keys[0]), rd->key_ref, r->key_name);
    if (read_text(rd, f, c, r->request_id, sizeof(r->request_id)) < 0 || read_ref(rd, f, c, d->n_targets, &target_ref) < 0 ||
        read_text(rd, f, c, r->error_code, sizeof(r->error_code)) < 0 || read_int(rd, f, c, 0, &v[0]) < 0 ||
        read_int(rd, f, c, 0, &v[1]) < 0 || read_int(rd, f, c, 0, &v[2]) < 0 || read_int(rd, f, c, 0, &v[3]) < 0 ||
        read_int(rd, f, c, -1, &v[4]) < 0 || read_int(rd, f, c, -1, &v[5]) < 0 || read_int(rd, f, c, -1, &v[6]) < 0 ||
        read_double(rd, f, c, -1, &r->cost_usd) < 0 || read_owned(rd, f, c, AUDIT_GUARDRAILS_MAX, &r->guardrails) < 0 ||
        read_owned(rd, f, c, 0, &r->request_body) < 0 || read_owned(rd, f, c, 0, &r->response_body) < 0 ||
        read_text(rd, f, c, r->parent_id, sizeof(r->parent_id)) < 0 || close_record(rd) < 0) {
        audit_record_free(r);
        return -1;
    }
    ref_text(d->targets[0], sizeof(d->targets[0]), target_ref, r->target);
    if (r->guardrails != NULL && r->guardrails[0] == '\0') { /* "" is NULL, as the writer stores it */
        free(r->guardrails);
        r->guardrails = NULL;
    }
    r->attempts = (int32_t)v[0];
    r->reasks = (int32_t)v[1];
    r->stream = (int32_t)v[2];
    r->latency_us = v[3];
    r->ttft_us = v[4];
    r->tokens_in = v[5];
    r->tokens_out = v[6];
    return 0;
}

static inline uint64_t has_byte(uint64_t x, unsigned char b)
{
    uint64_t y = x ^ (0x0101010101010101ULL * b);
    return (y - 0x0101010101010101ULL) & ~y & 0x8080808080808080ULL;
}

/* Past the record's closing bracket without reading its fields: eight bytes a step when none
 * of them is a quote, bracket or brace (outside strings) or a quote or backslash (inside):
 * a query that matches few records walks every record of the blocks it reads. */
int audit_block_skip_rest(struct audit_block_reader *rd)
{
    if (rd->closed)
        return 0;
    const char *p = rd->p, *end = rd->end;
    int in_string = 0, depth = 0;
    for (;;) {
        if (end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            uint64_t hit = in_string ? has_byte(x, '"') | has_byte(x, '\\')
                                     : has_byte(x, '"') | has_byte(x, ']') | has_byte(x, '[') | has_byte(x, '{') |
                                           has_byte(x, '}');
            if (hit == 0) {
                p += 8;
                continue;
            }
            p += __builtin_ctzll(hit) / 8; /* the lowest flag is exact */
        } else {
            while (p < end && (in_string ? *p != '"' && *p != '\\'
                                         : *p != '"' && *p != ']' && *p != '[' && *p != '{' && *p != '}'))
                p++;
            if (p >= end)
                return -1;
        }
        char c = *p;
        if (in_string) {
            if (c == '\\') {
                p += 2;
                if (p > end)
                    return -1;
                continue;
            }
            in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (depth > 0) {
            depth--;
        } else if (c == ']') {
            rd->p = p + 1;
            rd->closed = 1;
            return 0;
        } else {
            return -1; /* a '}' that closes nothing */
        }
        p++;
    }
}
