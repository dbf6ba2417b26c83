#include "api/json_span.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p points at the opening quote; returns the byte after the closing quote */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
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
    const char *p = json, *e = json + len;
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
