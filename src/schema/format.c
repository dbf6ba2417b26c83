/* "format" checkers for date-time, date, time (RFC 3339), email (RFC 5321 mailbox, ASCII only),
 * uri (RFC 3986 absolute URI), uuid (RFC 4122 text form), ipv4 (dotted quad, no leading zeros) and
 * ipv6 (RFC 4291 text, via inet_pton). They are hand-written scanners over (pointer, length) so
 * embedded NUL bytes and non-ASCII digits are rejected rather than misread; validate.c calls them
 * only when the schema was compiled with SCHEMA_FORMAT_ASSERT. */
#include <arpa/inet.h>
#include <string.h>

#include "schema/schema_int.h"

static const struct {
    const char *name;
    enum schema_format f;
} formats[] = {
    {"date-time", SCHEMA_FMT_DATE_TIME}, {"date", SCHEMA_FMT_DATE}, {"time", SCHEMA_FMT_TIME},
    {"email", SCHEMA_FMT_EMAIL},         {"uri", SCHEMA_FMT_URI},   {"uuid", SCHEMA_FMT_UUID},
    {"ipv4", SCHEMA_FMT_IPV4},           {"ipv6", SCHEMA_FMT_IPV6},
};

enum schema_format schema_format_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (!strcmp(name, formats[i].name))
            return formats[i].f;
    return SCHEMA_FMT_NONE; /* unknown formats are annotations */
}

const char *schema_format_name(enum schema_format f)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (formats[i].f == f)
            return formats[i].name;
    return "value";
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Reads exactly n digits at s; -1 if any is not an ASCII digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int check_date(const char *s, size_t len)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return 1;
}

static int check_time(const char *s, size_t len)
{
    if (len < 9 || s[2] != ':' || s[5] != ':')
        return 0;
    int h = digits(s, 2), mi = digits(s + 3, 2), sec = digits(s + 6, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
        return 0;
    size_t i = 8;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < len && is_digit(s[i]))
            i++;
        if (i == start)
            return 0;
    }
    int off = 0; /* minutes east of UTC */
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        if (len - i != 6 || s[i + 3] != ':')
            return 0;
        int oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return 0;
        off = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
        i += 6;
    } else {
        return 0;
    }
    if (i != len)
        return 0;
    if (sec == 60) { /* a leap second happens at 23:59:60 UTC only */
        int utc = ((h * 60 + mi - off) % 1440 + 1440) % 1440;
        if (utc != 23 * 60 + 59)
            return 0;
    }
    return 1;
}

static int check_date_time(const char *s, size_t len)
{
    return len > 11 && (s[10] == 'T' || s[10] == 't') && check_date(s, 10) && check_time(s + 11, len - 11);
}

static int check_ipv4(const char *s, size_t len)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= len || s[i] != '.')
                return 0;
            i++;
        }
        size_t start = i;
        int v = 0;
        while (i < len && is_digit(s[i]) && i - start < 3)
            v = v * 10 + (s[i++] - '0');
        if (i == start || v > 255 || (i - start > 1 && s[start] == '0'))
            return 0;
    }
    return i == len;
}

static int check_ipv6(const char *s, size_t len)
{
    char buf[64];
    unsigned char out[16];
    if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return inet_pton(AF_INET6, buf, out) == 1;
}

static int check_uuid(const char *s, size_t len)
{
    if (len != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!is_hex(s[i])) {
            return 0;
        }
    }
    return 1;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
static int check_hostname(const char *s, size_t len)
{
    if (len == 0 || len > 253)
        return 0;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
        } else if (is_alpha(c) || is_digit(c) || c == '-') {
            if (c == '-' && label == 0)
                return 0;
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0 && s[len - 1] != '-';
}

static int check_email(const char *s, size_t len)
{
    const char *at = NULL;
    for (size_t i = len; i > 0; i--)
        if (s[i - 1] == '@') {
            at = s + i - 1;
            break;
        }
    if (!at || at == s || at == s + len - 1)
        return 0;
    size_t llen = (size_t)(at - s);
    if (s[0] == '"') {
        if (llen < 2 || s[llen - 1] != '"')
            return 0;
        for (size_t i = 1; i < llen - 1; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '\\') {
                if (++i >= llen - 1)
                    return 0;
            } else if (c == '"' || c < 32 || c > 126) {
                return 0;
            }
        }
    } else {
        static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
        for (size_t i = 0; i < llen; i++) {
            char c = s[i];
            if (c == '.') {
                if (i == 0 || i == llen - 1 || s[i - 1] == '.')
                    return 0;
            } else if (!is_alpha(c) && !is_digit(c) && !(c && strchr(atext, c))) {
                return 0;
            }
        }
    }
    const char *d = at + 1;
    size_t dlen = len - llen - 1;
    if (d[0] == '[') {
        if (d[dlen - 1] != ']')
            return 0;
        if (dlen > 7 && !strncmp(d + 1, "IPv6:", 5))
            return check_ipv6(d + 6, dlen - 7);
        return check_ipv4(d + 1, dlen - 2);
    }
    return check_hostname(d, dlen);
}

static int is_unreserved(char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int is_subdelim(char c)
{
    return c && strchr("!$&'()*+,;=", c) != NULL;
}

/* Accepts pct-encoded, unreserved, sub-delims and the extra characters given. */
static int uri_chars(const char *s, size_t len, const char *extra)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
                return 0;
            i += 2;
        } else if (!is_unreserved(c) && !is_subdelim(c) && !(c && strchr(extra, c))) {
            return 0;
        }
    }
    return 1;
}

static int check_uri(const char *s, size_t len)
{
    size_t i = 0;
    if (len == 0 || !is_alpha(s[0]))
        return 0;
    while (i < len && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i >= len || s[i] != ':')
        return 0;
    i++;
    /* split off fragment and query */
    size_t end = len, qpos;
    for (size_t k = i; k < len; k++)
        if (s[k] == '#') {
            end = k;
            break;
        }
    if (end < len && !uri_chars(s + end + 1, len - end - 1, ":@/?"))
        return 0;
    qpos = end;
    for (size_t k = i; k < end; k++)
        if (s[k] == '?') {
            qpos = k;
            break;
        }
    if (qpos < end && !uri_chars(s + qpos + 1, end - qpos - 1, ":@/?"))
        return 0;
    size_t pstart = i;
    if (end - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        size_t a = i + 2, ae = a;
        while (ae < qpos && s[ae] != '/')
            ae++;
        /* authority = [userinfo "@"] host [":" port] */
        size_t h = a;
        for (size_t k = a; k < ae; k++)
            if (s[k] == '@') {
                if (!uri_chars(s + a, k - a, ":"))
                    return 0;
                h = k + 1;
                break;
            }
        size_t he, pe = ae;
        if (h < ae && s[h] == '[') {
            he = h;
            while (he < ae && s[he] != ']')
                he++;
            if (he >= ae || !check_ipv6(s + h + 1, he - h - 1))
                return 0;
            he++;
        } else {
            he = h;
            while (he < ae && s[he] != ':')
                he++;
            if (!uri_chars(s + h, he - h, ""))
                return 0;
        }
        if (he < pe) {
            if (s[he] != ':')
                return 0;
            for (size_t k = he + 1; k < pe; k++)
                if (!is_digit(s[k]))
                    return 0;
        }
        pstart = ae;
    }
    return uri_chars(s + pstart, qpos - pstart, ":@/");
}

int schema_format_check(enum schema_format f, const char *s, size_t len)
{
    switch (f) {
    case SCHEMA_FMT_DATE_TIME:
        return check_date_time(s, len);
    case SCHEMA_FMT_DATE:
        return check_date(s, len);
    case SCHEMA_FMT_TIME:
        return check_time(s, len);
    case SCHEMA_FMT_EMAIL:
        return check_email(s, len);
    case SCHEMA_FMT_URI:
        return check_uri(s, len);
    case SCHEMA_FMT_UUID:
        return check_uuid(s, len);
    case SCHEMA_FMT_IPV4:
        return check_ipv4(s, len);
    case SCHEMA_FMT_IPV6:
        return check_ipv6(s, len);
    default:
        return 1;
    }
}
