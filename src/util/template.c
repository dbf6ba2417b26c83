/* Template lexer (template.h). */
#include "util/template.h"

#include <string.h>

static int path_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

int util_tmpl_next(const char *t, size_t len, size_t *pos, struct util_tmpl_tok *tok, const char **why)
{
    size_t i = *pos;
    if (i >= len)
        return 0;
    if (i + 1 < len && t[i] == '{' && t[i + 1] == '{') {
        size_t j = i + 2;
        while (j < len && blank(t[j]))
            j++;
        size_t start = j;
        int want_char = 1; /* a segment must follow (at the start and after each '.') */
        while (j < len && (path_char((unsigned char)t[j]) || t[j] == '.')) {
            if (t[j] == '.') {
                if (want_char)
                    break;
                want_char = 1;
            } else {
                want_char = 0;
            }
            j++;
        }
        size_t end = j;
        while (j < len && blank(t[j]))
            j++;
        if (end == start || want_char || j + 1 >= len || t[j] != '}' || t[j + 1] != '}') {
            *why = end == start ? "\"{{\" must start a reference such as {{text}} or {{steps.NAME}}"
                                : "a reference is a dotted name of letters, digits, '_' and '-', closed by \"}}\"";
            return -1;
        }
        tok->is_ref = 1;
        tok->s = t + start;
        tok->len = end - start;
        tok->at = i;
        *pos = j + 2;
        return 1;
    }
    /* literal text up to the next "{{" */
    size_t j = i;
    while (j < len && !(t[j] == '{' && j + 1 < len && t[j + 1] == '{'))
        j++;
    tok->is_ref = 0;
    tok->s = t + i;
    tok->len = j - i;
    tok->at = i;
    *pos = j;
    return 1;
}

int util_tmpl_segment(const char *path, size_t len, size_t n, const char **seg, size_t *seg_len)
{
    size_t i = 0;
    for (size_t k = 0; k < n; k++) {
        const char *dot = memchr(path + i, '.', len - i);
        if (dot == NULL)
            return 0;
        i = (size_t)(dot - path) + 1;
    }
    if (i > len)
        return 0;
    const char *dot = memchr(path + i, '.', len - i);
    *seg = path + i;
    *seg_len = dot ? (size_t)(dot - (path + i)) : len - i;
    return 1;
}
