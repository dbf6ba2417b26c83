/* JSON string escapes. See json_text.h. */
#include "util/json_text.h"

#include <string.h>

static unsigned hex_value(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned x = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F'   ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (x == 16u)
            return 0x110000u; /* not hex */
        v = v * 16 + x;
    }
    return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t util_json_unescape_once(const char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] != '\\' || i + 1 >= n) {
            out[o++] = in[i];
            continue;
        }
        char c = in[i + 1];
        const char *simple = strchr("\"\\/bfnrt", c);
        if (c != '\0' && simple != NULL) {
            static const char to[] = "\"\\/\b\f\n\r\t";
            out[o++] = to[simple - "\"\\/bfnrt"];
            i++;
            continue;
        }
        unsigned cp = c == 'u' && i + 6 <= n ? hex_value(in + i + 2) : 0x110000u;
        if (cp > 0xFFFF) {
            out[o++] = in[i]; /* not an escape a parser accepts: kept as it is */
            continue;
        }
        size_t used = 6;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 12 <= n && in[i + 6] == '\\' && in[i + 7] == 'u') {
            unsigned lo = hex_value(in + i + 8);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                used = 12;
            }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF)
            cp = 0xFFFD; /* a lone surrogate: what lenient parsers make of it */
        o += put_utf8(out + o, cp); /* at most 4 bytes for 6 or 12 of input */
        i += used - 1;
    }
    return o;
}
