#include "api/json_span.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/fmt.h"

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p points at the opening quote; returns the byte after the closing quote.
 * memchr finds candidate quotes; one is the end if an even number of backslashes precede it. */
static const char *skip_string(const char *p, const char *end)
{
    const char *from = p + 1;
    for (;;) {
        const char *q = from < end ? memchr(from, '"', (size_t)(end - from)) : NULL;
        if (q == NULL)
            return NULL;
        size_t bs = 0;
        for (const char *b = q; b > from && b[-1] == '\\'; b--)
            bs++;
        if (bs % 2 == 0)
            return q + 1;
        from = q + 1;
    }
}

static const char *skip_value(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < end) {
            if (*p == '"') {
                p = skip_string(p, end);
                if (p == NULL)
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if (*p == '}' || *p == ']') {
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        return NULL;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
        p++;
    return p;
}

int json_span_find_member(const char *json, size_t len, const char *key, size_t *start, size_t *end)
{
    return json_span_find_in(json, 0, len, key, start, end);
}

size_t json_span_members(const char *json, size_t len, const char *const *keys, size_t n, size_t *starts, size_t *ends)
{
    const char *p = json, *e = json + len;
    size_t found = 0;
    for (size_t i = 0; i < n; i++)
        starts[i] = ends[i] = 0;
    p = skip_ws(p, e);
    if (p >= e || *p != '{')
        return 0;
    p++;
    for (;;) {
        p = skip_ws(p, e);
        if (p >= e || *p != '"')
            return found;
        const char *ks = p + 1;
        const char *ke = skip_string(p, e);
        if (ke == NULL)
            return found;
        p = skip_ws(ke, e);
        if (p >= e || *p != ':')
            return found;
        p = skip_ws(p + 1, e);
        const char *vs = p;
        const char *ve = skip_value(p, e);
        if (ve == NULL)
            return found;
        size_t kl = (size_t)(ke - 1 - ks);
        for (size_t i = 0; i < n; i++)
            if (starts[i] == 0 && strlen(keys[i]) == kl && memcmp(ks, keys[i], kl) == 0) {
                starts[i] = (size_t)(vs - json);
                ends[i] = (size_t)(ve - json);
                found++;
            }
        p = skip_ws(ve, e);
        if (p < e && *p == ',') {
            p++;
            continue;
        }
        return found;
    }
}

int json_span_find_in(const char *json, size_t from, size_t to, const char *key, size_t *start, size_t *end)
{
    const char *p = json + from, *e = json + to;
    size_t klen = strlen(key);
    p = skip_ws(p, e);
    if (p >= e || *p != '{')
        return -1;
    p++;
    for (;;) {
        p = skip_ws(p, e);
        if (p >= e || *p != '"')
            return -1;
        const char *ks = p + 1;
        const char *ke = skip_string(p, e);
        if (ke == NULL)
            return -1;
        p = skip_ws(ke, e);
        if (p >= e || *p != ':')
            return -1;
        p = skip_ws(p + 1, e);
        const char *vs = p;
        const char *ve = skip_value(p, e);
        if (ve == NULL)
            return -1;
        if ((size_t)(ke - 1 - ks) == klen && memcmp(ks, key, klen) == 0) {
            *start = (size_t)(vs - json);
            *end = (size_t)(ve - json);
            return 0;
        }
        p = skip_ws(ve, e);
        if (p < e && *p == ',') {
            p++;
            continue;
        }
        return -1;
    }
}

char *json_span_replace_with_string(const char *json, size_t len, size_t start, size_t end, const char *s, size_t *out_len)
{
    json_t *str = json_string(s);
    char *lit = str ? json_dumps(str, JSON_ENCODE_ANY) : NULL;
    json_decref(str);
    if (lit == NULL)
        lit = util_strdup("\"\"");
    size_t ll = strlen(lit);
    size_t n = start + ll + (len - end);
    char *out = util_malloc(n + 1);
    memcpy(out, json, start);
    memcpy(out + start, lit, ll);
    memcpy(out + start + ll, json + end, len - end);
    out[n] = '\0';
    free(lit);
    *out_len = n;
    return out;
}

/* ---- validation ---- */

struct vstate {
    const char *s, *p, *e;
    const char *msg;
};

static int v_fail(struct vstate *v, const char *msg)
{
    if (v->msg == NULL)
        v->msg = msg;
    return -1;
}

static void v_ws(struct vstate *v)
{
    while (v->p < v->e && (*v->p == ' ' || *v->p == '\t' || *v->p == '\n' || *v->p == '\r'))
        v->p++;
}

/* 1 for bytes that need no further look inside a string: printable ASCII but '"' and '\\' */
static const unsigned char plain_byte[256] = {
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
    [0x20] = 1, [0x21] = 1, [0x23 ... 0x5B] = 1, [0x5D ... 0x7E] = 1,
#undef P16
};

/* hex digit value + 1, 0 for anything else: one lookup per digit on the \\u path */
static const unsigned char hexv1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

#define HEXV(c) ((unsigned)hexv1[(unsigned char)(c)] - 1u)

static unsigned hex4(const char *p)
{
    return HEXV(p[0]) << 12 | HEXV(p[1]) << 8 | HEXV(p[2]) << 4 | HEXV(p[3]);
}

static int is_hex4(const char *p)
{
    return hexv1[(unsigned char)p[0]] && hexv1[(unsigned char)p[1]] && hexv1[(unsigned char)p[2]] && hexv1[(unsigned char)p[3]];
}

const char *json_span_string_end(const char *p, const char *e, int *escaped, const char **msg)
{
    p++; /* opening quote */
    while (p < e) {
        /* fast path: runs of plain ASCII, 16 bytes at a time where SSE2 is there (x86-64 always) */
#ifdef __SSE2__
        while (e - p >= 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)p);
            __m128i plain = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x1F)), _mm_cmplt_epi8(x, _mm_set1_epi8(0x7F)));
            __m128i special = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
            unsigned mask = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(special, plain));
            if (mask != 0xFFFF) {
                p += __builtin_ctz(~mask);
                break;
            }
            p += 16;
        }
#endif
        while (e - p >= 4 && plain_byte[(unsigned char)p[0]] && plain_byte[(unsigned char)p[1]] &&
               plain_byte[(unsigned char)p[2]] && plain_byte[(unsigned char)p[3]])
            p += 4;
        while (p < e && plain_byte[(unsigned char)*p])
            p++;
        if (p >= e)
            break;
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return *msg = "control character in string", p;
        if (c == '\\') {
            *escaped = 1;
            if (++p >= e)
                break;
            char x = *p;
            if (x == 'u') {
                if (e - p < 5)
                    return *msg = "truncated \\u escape", p;
                if (!is_hex4(p + 1))
                    return *msg = "invalid \\u escape", p;
                unsigned cp = hex4(p + 1);
                p += 5;
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return *msg = "lone low surrogate in \\u escape", p;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    /* a high surrogate must be followed by a low one: \\uD83D\\uDE00 */
                    if (e - p < 6 || p[0] != '\\' || p[1] != 'u' || !is_hex4(p + 2) || hex4(p + 2) < 0xDC00 ||
                        hex4(p + 2) > 0xDFFF)
                        return *msg = "lone high surrogate in \\u escape", p;
                    p += 6;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", x) || x == 0)
                return *msg = "invalid escape in string", p;
            p++;
            continue;
        }
        if (c < 0x80) {
            p++;
            continue;
        }
        /* UTF-8: reject overlongs, surrogates and anything past U+10FFFF */
        int n;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return *msg = "invalid UTF-8 in string", p;
        }
        if (e - p <= n)
            return *msg = "truncated UTF-8 sequence", p;
        for (int i = 1; i <= n; i++) {
            unsigned char d = (unsigned char)p[i];
            if ((d & 0xC0) != 0x80)
                return *msg = "invalid UTF-8 in string", p;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return *msg = "invalid UTF-8 in string", p;
        p += n + 1;
    }
    return *msg = "unterminated string", p;
}

size_t json_span_unescape(const char *in, size_t n, char *out)
{
    const char *p = in, *e = in + n;
    char *o = out;
    while (p < e) {
        const char *bs = memchr(p, '\\', (size_t)(e - p));
        if (bs == NULL)
            bs = e;
        memcpy(o, p, (size_t)(bs - p));
        o += bs - p;
        p = bs;
        if (p >= e)
            break;
        char x = p[1];
        p += 2;
        switch (x) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp = hex4(p);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4(p + 2) - 0xDC00);
                p += 6;
            }
            if (cp < 0x80) {
                *o++ = (char)cp;
            } else if (cp < 0x800) {
                *o++ = (char)(0xC0 | (cp >> 6));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (char)(0xE0 | (cp >> 12));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (char)(0xF0 | (cp >> 18));
                *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: *o++ = x; break; /* " \\ / */
        }
    }
    return (size_t)(o - out);
}

const char *json_span_number_end(const char *p, const char *e)
{
    if (p < e && *p == '-')
        p++;
    if (p >= e)
        return NULL;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    } else {
        return NULL;
    }
    if (p < e && *p == '.') {
        p++;
        if (p >= e || *p < '0' || *p > '9')
            return NULL;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p >= e || *p < '0' || *p > '9')
            return NULL;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    return p;
}

static int v_string(struct vstate *v)
{
    int escaped = 0;
    const char *msg = NULL;
    const char *p = json_span_string_end(v->p, v->e, &escaped, &msg);
    v->p = p;
    return msg ? v_fail(v, msg) : 0;
}

static int v_number(struct vstate *v)
{
    const char *p = json_span_number_end(v->p, v->e);
    if (p == NULL)
        return v_fail(v, "invalid number");
    v->p = p;
    return 0;
}

static int v_literal(struct vstate *v, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(v->e - v->p) < n || memcmp(v->p, lit, n) != 0)
        return v_fail(v, "invalid literal");
    v->p += n;
    return 0;
}

/* After an object member or array element: ',' means another follows, close ends the
 * container. Returns 1 to go on, 0 at the end, -1 (with the error set) otherwise. */
static int v_after_item(struct vstate *v, char close, const char *expected)
{
    v_ws(v);
    if (v->p < v->e && *v->p == ',') {
        v->p++;
        return 1;
    }
    if (v->p < v->e && *v->p == close) {
        v->p++;
        return 0;
    }
    return v_fail(v, expected);
}

static int v_value(struct vstate *v, int depth)
{
    v_ws(v);
    if (v->p >= v->e)
        return v_fail(v, "unexpected end of input");
    if (depth > 256)
        return v_fail(v, "nesting too deep");
    switch (*v->p) {
    case '"':
        return v_string(v);
    case 't':
        return v_literal(v, "true");
    case 'f':
        return v_literal(v, "false");
    case 'n':
        return v_literal(v, "null");
    case '{':
        v->p++;
        v_ws(v);
        if (v->p < v->e && *v->p == '}') {
            v->p++;
            return 0;
        }
        for (;;) {
            v_ws(v);
            if (v->p >= v->e || *v->p != '"')
                return v_fail(v, "expected a string key");
            if (v_string(v) != 0)
                return -1;
            v_ws(v);
            if (v->p >= v->e || *v->p != ':')
                return v_fail(v, "expected ':'");
            v->p++;
            if (v_value(v, depth + 1) != 0)
                return -1;
            int more = v_after_item(v, '}', "expected ',' or '}'");
            if (more <= 0)
                return more;
        }
    case '[':
        v->p++;
        v_ws(v);
        if (v->p < v->e && *v->p == ']') {
            v->p++;
            return 0;
        }
        for (;;) {
            if (v_value(v, depth + 1) != 0)
                return -1;
            int more = v_after_item(v, ']', "expected ',' or ']'");
            if (more <= 0)
                return more;
        }
    default:
        if (*v->p == '-' || (*v->p >= '0' && *v->p <= '9'))
            return v_number(v);
        return v_fail(v, "unexpected character");
    }
}

int json_span_validate(const char *json, size_t len, char *err, size_t errsz)
{
    struct vstate v = {json, json, json + len, NULL};
    if (v_value(&v, 0) == 0) {
        v_ws(&v);
        if (v.p == v.e)
            return 0;
        v_fail(&v, "trailing data after the JSON value");
    }
    if (err)
        snprintf(err, errsz, "%s at byte %zu", v.msg, (size_t)(v.p - json));
    return -1;
}

const char *json_span_value_end(const char *p, const char *end)
{
    return skip_value(p, end);
}

char json_span_type(const char *v)
{
    return (*v == '-' || (*v >= '0' && *v <= '9')) ? '0' : *v;
}

int json_span_array_next(const char *json, size_t start, size_t end, size_t *pos, size_t *es, size_t *ee)
{
    const char *e = json + end;
    const char *p = json + (*pos ? *pos : start + 1);
    p = skip_ws(p, e);
    if (p < e && *p == ',')
        p = skip_ws(p + 1, e);
    if (p >= e || *p == ']')
        return 0;
    const char *ve = skip_value(p, e);
    if (ve == NULL)
        return 0;
    *es = (size_t)(p - json);
    *ee = (size_t)(ve - json);
    *pos = *ee;
    return 1;
}

char *json_span_string(const char *json, size_t start, size_t end)
{
    if (memchr(json + start, '\\', end - start) == NULL)
        return util_strndup(json + start + 1, end - start - 2);
    json_error_t je;
    json_t *s = json_loadb(json + start, end - start, JSON_DECODE_ANY, &je);
    char *out = json_is_string(s) ? util_strdup(json_string_value(s)) : NULL;
    json_decref(s);
    return out;
}
