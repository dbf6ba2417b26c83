/* JSON output helpers. The mock writes its responses by hand instead of building jansson trees:
 * it is the "direct" baseline in benchmarks, so a response should cost a few appends. Strings are
 * escaped per RFC 8259 and checked as UTF-8; a bad byte becomes U+FFFD so that any input (a
 * request body cut at 64 KiB, a header with Latin-1 bytes) still yields valid JSON. */
#include "mock/mock.h"

#include <string.h>

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
        case '"': util_buf_append(b, "\\\"", 2); break;
        case '\\': util_buf_append(b, "\\\\", 2); break;
        case '\n': util_buf_append(b, "\\n", 2); break;
        case '\r': util_buf_append(b, "\\r", 2); break;
        case '\t': util_buf_append(b, "\\t", 2); break;
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
