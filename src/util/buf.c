#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/err.h"

void util_buf_init(struct util_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

static int reserve(struct util_buf *b, size_t extra)
{
    if (extra > b->limit - b->len)
        return WARDEN_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = util_realloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int util_buf_append_grow(struct util_buf *b, const void *data, size_t len)
{
    int rc = reserve(b, len);
    if (rc != 0)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int util_buf_appendf(struct util_buf *b, const char *fmt, ...)
{
    /* formatted straight into the free space; only text that does not fit is formatted twice */
    size_t room = b->cap > b->len ? b->cap - b->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        if (room)
            b->data[b->len] = '\0';
        return WARDEN_EINVAL;
    }
    if ((size_t)n < room && (size_t)n <= b->limit - b->len) {
        b->len += (size_t)n;
        return 0;
    }
    if (room)
        b->data[b->len] = '\0'; /* a partial or over-the-limit write leaves the contents as they were */
    int rc = reserve(b, (size_t)n);
    if (rc != 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void util_buf_consume(struct util_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    if (b->data)
        b->data[b->len] = '\0';
}

char *util_buf_take(struct util_buf *b, size_t *len)
{
    char *d = b->data ? b->data : util_strdup("");
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void util_buf_free(struct util_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int util_buf_append_json_chars(struct util_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    int rc = 0;
    size_t i = 0;
    while (rc == 0 && i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            size_t j = i;
            while (j < len && (unsigned char)s[j] >= 0x20 && (unsigned char)s[j] < 0x80 && s[j] != '"' && s[j] != '\\')
                j++;
            rc = util_buf_append(b, s + i, j - i);
            i = j;
        } else if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rc = util_buf_append(b, e, 2);
            i++;
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = util_buf_append(b, e, 6);
            i++;
        } else {
            /* copy a well-formed UTF-8 sequence, replace anything else */
            int n = c >= 0xF0 && c <= 0xF4 ? 3 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xC2 && c <= 0xDF ? 1 : -1;
            int ok = n > 0 && i + (size_t)n < len;
            for (int k = 1; ok && k <= n; k++)
                ok = i + (size_t)k < len && ((unsigned char)s[i + (size_t)k] & 0xC0) == 0x80;
            if (ok) {
                /* no overlong forms, no UTF-16 surrogates, nothing past U+10FFFF: what JSON parsers accept */
                unsigned char c1 = (unsigned char)s[i + 1];
                ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 > 0x9F) && !(c == 0xF0 && c1 < 0x90) &&
                     !(c == 0xF4 && c1 > 0x8F);
            }
            if (ok) {
                rc = util_buf_append(b, s + i, (size_t)n + 1);
                i += (size_t)n + 1;
            } else {
                rc = util_buf_append(b, "\xef\xbf\xbd", 3);
                i++;
            }
        }
    }
    return rc;
}

int util_buf_append_json_string(struct util_buf *b, const char *s, size_t len)
{
    int rc = util_buf_append(b, "\"", 1);
    if (rc == 0)
        rc = util_buf_append_json_chars(b, s, len);
    return rc == 0 ? util_buf_append(b, "\"", 1) : rc;
}
