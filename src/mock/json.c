/* JSON output helpers. The mock writes its responses by hand instead of building jansson trees:
 * it is the "direct" baseline in benchmarks, so a response should cost a few appends. Strings are
 * escaped per RFC 8259 and checked as UTF-8; a bad byte becomes U+FFFD so that any input (a
 * request body cut at 64 KiB, a header with Latin-1 bytes) still yields valid JSON. */
#include "mock/mock.h"

#include <string.h>

#include "util/fmt.h"

static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    uint32_t cp;
    if (c < 0xc2 || c > 0xf4)
        return 0;
    if (c < 0xe0) {
        need = 2;
        cp = c & 0x1f;
    } else if (c < 0xf0) {
        need = 3;
        cp = c & 0x0f;
    } else {
        need = 4;
        cp = c & 0x07;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return need;
}

void mock_json_str(struct util_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    util_buf_append(b, "\"", 1);
    size_t run = 0; /* start of the pending run of bytes that need no escaping */
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq_len(u + i, n - i);
            if (k) {
                i += k;
                continue;
            }
        }
        util_buf_append(b, s + run, i - run);
        char esc[6];
        switch (c) {
        case '"':
            util_buf_append(b, "\\\"", 2);
            break;
        case '\\':
            util_buf_append(b, "\\\\", 2);
            break;
        case '\n':
            util_buf_append(b, "\\n", 2);
            break;
        case '\r':
            util_buf_append(b, "\\r", 2);
            break;
        case '\t':
            util_buf_append(b, "\\t", 2);
            break;
        default:
            if (c >= 0x80) {
                util_buf_append(b, "\\ufffd", 6);
            } else {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                util_buf_append(b, esc, 6);
            }
        }
        i++;
        run = i;
    }
    util_buf_append(b, s + run, n - run);
    util_buf_append(b, "\"", 1);
}

void mock_json_u64(struct util_buf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    util_buf_append(b, tmp + i, sizeof(tmp) - i);
}

void mock_json_i64(struct util_buf *b, int64_t v)
{
    if (v < 0) {
        util_buf_append(b, "-", 1);
        mock_json_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        mock_json_u64(b, (uint64_t)v);
    }
}

void mock_json_lit(struct util_buf *b, const char *s)
{
    util_buf_append(b, s, strlen(s));
}

/* ---- the fast-path scanner ----
 *
 * jansson costs about 3.5 us to build and free the tree of a small chat request, which is most of
 * the mock's own time per request. For the common chat body the mock only needs a handful of
 * fields, so it first tries this flat, allocation-free scan (jsmn style: tokens in document order,
 * each container knowing where its subtree ends). The scanner accepts a strict subset of what
 * jansson accepts and gives the same values; anything outside it (escaped keys, big or exponent
 * numbers, \u0000, deep nesting, too many tokens, invalid input) returns -1 and the caller falls
 * back to jansson, which then also produces the error messages. */

struct jscan {
    const char *s;
    size_t n, i;
    struct mock_jtok *t;
    size_t nt, max;
    int depth;
};

static void jws(struct jscan *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static int jnew(struct jscan *p, int type)
{
    if (p->nt == p->max)
        return -1;
    struct mock_jtok *t = &p->t[p->nt];
    t->type = (uint8_t)type;
    t->esc = 0;
    t->start = (uint32_t)p->i;
    t->end = t->start;
    t->len = 0;
    t->skip = 0;
    return (int)p->nt++;
}

static int jstring(struct jscan *p)
{
    int k = jnew(p, MOCK_J_STR);
    if (k < 0)
        return -1;
    const unsigned char *s = (const unsigned char *)p->s;
    size_t i = p->i + 1, n = p->n;
    uint32_t len = 0;
    p->t[k].start = (uint32_t)i;
    for (;;) {
        if (i >= n)
            return -1;
        unsigned char c = s[i];
        if (c == '"')
            break;
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            p->t[k].esc = 1;
            if (i + 1 >= n)
                return -1;
            char e = (char)s[i + 1];
            if (e == 'u') {
                uint32_t cp, lo;
                if (i + 6 > n || util_hex4(p->s + i + 2, &cp) != 0 || cp == 0)
                    return -1;
                i += 6;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u' || util_hex4(p->s + i + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
                        return -1;
                    i += 6;
                    len += 4;
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    return -1;
                } else {
                    len += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == 0)
                return -1;
            i += 2;
            len++;
            continue;
        }
        if (c >= 0x80) {
            size_t m = utf8_seq_len(s + i, n - i);
            if (m == 0)
                return -1;
            i += m;
            len += (uint32_t)m;
            continue;
        }
        i++;
        len++;
    }
    p->t[k].end = (uint32_t)i;
    p->t[k].len = len;
    p->i = i + 1;
    p->t[k].skip = (uint32_t)p->nt;
    return k;
}

static int jvalue(struct jscan *p);

static int jcontainer(struct jscan *p, int obj)
{
    int k = jnew(p, obj ? MOCK_J_OBJ : MOCK_J_ARR);
    if (k < 0 || ++p->depth > 32)
        return -1;
    p->i++;
    jws(p);
    uint32_t count = 0;
    if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
        p->i++;
    } else {
        for (;;) {
            jws(p);
            if (obj) {
                if (p->i >= p->n || p->s[p->i] != '"')
                    return -1;
                int key = jstring(p);
                if (key < 0 || p->t[key].esc)
                    return -1; /* escaped keys: let jansson decode them */
                jws(p);
                if (p->i >= p->n || p->s[p->i] != ':')
                    return -1;
                p->i++;
            }
            if (jvalue(p) < 0)
                return -1;
            count++;
            jws(p);
            if (p->i >= p->n)
                return -1;
            char c = p->s[p->i++];
            if (c == ',')
                continue;
            if (c == (obj ? '}' : ']'))
                break;
            return -1;
        }
    }
    p->depth--;
    p->t[k].len = count;
    p->t[k].end = (uint32_t)p->i;
    p->t[k].skip = (uint32_t)p->nt;
    return k;
}

static int jvalue(struct jscan *p)
{
    jws(p);
    if (p->i >= p->n)
        return -1;
    char c = p->s[p->i];
    if (c == '{' || c == '[')
        return jcontainer(p, c == '{');
    if (c == '"')
        return jstring(p);
    static const struct {
        const char *lit;
        int type;
    } lits[] = {{"true", MOCK_J_TRUE}, {"false", MOCK_J_FALSE}, {"null", MOCK_J_NULL}};
    for (size_t l = 0; l < 3; l++) {
        size_t m = strlen(lits[l].lit);
        if (p->n - p->i >= m && memcmp(p->s + p->i, lits[l].lit, m) == 0) {
            int k = jnew(p, lits[l].type);
            if (k < 0)
                return -1;
            p->i += m;
            p->t[k].end = (uint32_t)p->i;
            p->t[k].skip = (uint32_t)p->nt;
            return k;
        }
    }
    /* numbers: -?(0|[1-9][0-9]*)(.[0-9]+)? with at most 15 digits; exponents go to jansson */
    int k = jnew(p, MOCK_J_NUM);
    if (k < 0)
        return -1;
    size_t i = p->i, digits = 0;
    if (i < p->n && p->s[i] == '-')
        i++;
    if (i < p->n && p->s[i] == '0') {
        i++;
        digits++;
    } else {
        if (i >= p->n || p->s[i] < '1' || p->s[i] > '9')
            return -1;
        while (i < p->n && p->s[i] >= '0' && p->s[i] <= '9') {
            i++;
            digits++;
        }
    }
    if (i < p->n && p->s[i] == '.') {
        i++;
        size_t f = 0;
        while (i < p->n && p->s[i] >= '0' && p->s[i] <= '9') {
            i++;
            f++;
        }
        if (f == 0)
            return -1;
        digits += f;
    }
    if (digits > 15 || (i < p->n && (p->s[i] == 'e' || p->s[i] == 'E')))
        return -1;
    p->i = i;
    p->t[k].end = (uint32_t)i;
    p->t[k].skip = (uint32_t)p->nt;
    return k;
}

int mock_json_scan(const char *s, size_t n, struct mock_jtok *toks, size_t max)
{
    if (n > UINT32_MAX)
        return -1;
    struct jscan p = {.s = s, .n = n, .t = toks, .max = max};
    jws(&p);
    if (p.i >= n || (s[p.i] != '{' && s[p.i] != '['))
        return -1; /* jansson without JSON_DECODE_ANY wants an object or array */
    if (jvalue(&p) < 0)
        return -1;
    jws(&p);
    if (p.i != n)
        return -1;
    return (int)p.nt;
}

int mock_json_get(const struct mock_jtok *t, const char *s, int obj, const char *key)
{
    if (obj < 0 || t[obj].type != MOCK_J_OBJ)
        return -1;
    size_t kl = strlen(key);
    int found = -1, i = obj + 1;
    for (uint32_t c = 0; c < t[obj].len; c++) {
        int val = i + 1;
        if (t[i].end - t[i].start == kl && memcmp(s + t[i].start, key, kl) == 0)
            found = val; /* the last duplicate wins, as in jansson */
        i = (int)t[val].skip;
    }
    return found;
}
