/* Decoders for hidden payloads. See injection_decode.h. */
#include "guard/injection_decode.h"

#include <string.h>

#define HEX_MIN_DIGITS 16
#define ESCAPES_MIN 4

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int printable(unsigned char c)
{
    return (c >= 0x20 && c < 0x7F) || c == '\n' || c == '\t' || c == '\r';
}

/* One escape at s[i]: "%HH", "\\xHH" or an HTML numeric entity of an ASCII character
 * ("&#105;", "&#x69;"). Stores the byte and returns the length consumed, 0 if none. */
static size_t escape_at(const char *s, size_t n, size_t i, char *byte)
{
    if (s[i] == '&') {
        if (i + 3 >= n || s[i + 1] != '#')
            return 0;
        size_t j = i + 2;
        int base = 10;
        if (s[j] == 'x' || s[j] == 'X') {
            base = 16;
            j++;
        }
        unsigned v = 0;
        size_t digits = 0;
        for (; j < n && digits < 4; j++, digits++) {
            int d = hex_value((unsigned char)s[j]);
            if (d < 0 || d >= base)
                break;
            v = v * (unsigned)base + (unsigned)d;
        }
        if (digits == 0 || j >= n || s[j] != ';' || v == 0 || v >= 0x80)
            return 0;
        *byte = (char)v;
        return j + 1 - i;
    }
    size_t at = s[i] == '%' ? i + 1 : i + 2;
    if (s[i] == '\\' && (i + 1 >= n || (s[i + 1] | 0x20) != 'x'))
        return 0;
    int hi = at + 1 < n ? hex_value((unsigned char)s[at]) : -1;
    int lo = hi >= 0 ? hex_value((unsigned char)s[at + 1]) : -1;
    if (lo < 0)
        return 0;
    *byte = (char)(hi << 4 | lo);
    return at + 2 - i;
}

int inj_has_escapes(const char *s, size_t n)
{
    /* the next '%', '\\' and '&' at or after p, each searched again only once passed */
    static const char marks[3] = {'%', '\\', '&'};
    const char *next[3], *end = s + n;
    for (int k = 0; k < 3; k++)
        next[k] = memchr(s, marks[k], n);
    size_t count = 0;
    while (count < ESCAPES_MIN) {
        int k = -1;
        for (int j = 0; j < 3; j++)
            if (next[j] != NULL && (k < 0 || next[j] < next[k]))
                k = j;
        if (k < 0)
            break;
        char byte;
        const char *q = next[k];
        count += escape_at(s, n, (size_t)(q - s), &byte) > 0;
        next[k] = memchr(q + 1, marks[k], (size_t)(end - q - 1));
    }
    return count >= ESCAPES_MIN;
}

size_t inj_decode_escapes(const char *s, size_t n, char *out)
{
    size_t o = 0, escapes = 0;
    for (size_t i = 0; i < n;) {
        size_t len = s[i] == '%' || s[i] == '\\' || s[i] == '&' ? escape_at(s, n, i, &out[o]) : 0;
        if (len == 0) {
            out[o++] = s[i++];
            continue;
        }
        o++;
        escapes++;
        i += len;
    }
    return escapes >= ESCAPES_MIN ? o : 0;
}

/* One run of hex pairs from s[i]: digits in pairs, optionally "0x" first and one space,
 * comma or colon between pairs. Decodes into out; returns the digits consumed (0: none). */
static size_t hex_run(const char *s, size_t n, size_t i, char *out, size_t *decoded, size_t *end)
{
    if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
        i += 2;
    size_t digits = 0, o = 0, last = i;
    while (i + 1 < n) {
        int hi = hex_value((unsigned char)s[i]), lo = hex_value((unsigned char)s[i + 1]);
        if (hi < 0 || lo < 0)
            break;
        out[o++] = (char)(hi << 4 | lo);
        digits += 2;
        i += 2;
        last = i;
        if (i + 2 < n && (s[i] == ' ' || s[i] == ',' || s[i] == ':') && hex_value((unsigned char)s[i + 1]) >= 0 &&
            hex_value((unsigned char)s[i + 2]) >= 0)
            i++; /* "49 67 6e" */
    }
    *decoded = o;
    *end = last;
    return digits;
}

size_t inj_decode_hex(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        int starts = hex_value((unsigned char)s[i]) >= 0 && (i == 0 || hex_value((unsigned char)s[i - 1]) < 0);
        if (!starts) {
            i++;
            continue;
        }
        size_t dn, end;
        size_t digits = hex_run(s, n, i, out + o, &dn, &end);
        /* a word like "deadbeef" or a date is not a run; the run ends at a word boundary */
        int whole = end >= n || hex_value((unsigned char)s[end]) < 0;
        size_t ok = 0;
        for (size_t k = 0; k < dn; k++)
            ok += printable((unsigned char)out[o + k]);
        if (digits >= HEX_MIN_DIGITS && whole && ok * 10 >= dn * 9) {
            o += dn;
            out[o++] = '\n'; /* dn <= digits / 2, so the newline still fits */
        }
        i = end > i ? end : i + 1;
    }
    return o;
}

size_t inj_decode_rot13(const char *s, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z'))
            c = (unsigned char)('a' + (c - 'a' + 13) % 26);
        else if (c >= 'A' && c <= 'Z')
            c = (unsigned char)('A' + (c - 'A' + 13) % 26);
        out[i] = (char)c;
    }
    return n;
}

size_t inj_decode_reverse(const char *s, size_t n, char *out)
{
    size_t o = n;
    for (size_t i = 0; i < n;) {
        size_t k = 1; /* a UTF-8 character's continuation bytes move with it */
        while (i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80)
            k++;
        o -= k;
        for (size_t q = 0; q < k; q++)
            out[o + q] = s[i + q];
        i += k;
    }
    return n;
}
