/* Template filler (template.h). */
#include "fanout/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/template.h"

static int segment_index(const char *s, size_t n, size_t *out)
{
    if (n == 0 || n > 9)
        return -1;
    size_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

json_t *fanout_template_lookup(const char *path, size_t len, const json_t *vars, const json_t *steps)
{
    const char *seg;
    size_t seg_len, n = 0;
    const json_t *cur = vars;
    if (util_tmpl_segment(path, len, 0, &seg, &seg_len) && seg_len == 5 && memcmp(seg, "steps", 5) == 0) {
        cur = steps;
        n = 1;
    }
    for (; cur != NULL && util_tmpl_segment(path, len, n, &seg, &seg_len); n++) {
        size_t ix;
        if (json_is_object(cur))
            cur = json_object_getn(cur, seg, seg_len);
        else if (json_is_array(cur) && segment_index(seg, seg_len, &ix) == 0)
            cur = json_array_get(cur, ix);
        else
            cur = NULL;
    }
    return (json_t *)cur;
}

static int append_value(struct util_buf *out, const json_t *v)
{
    if (json_is_string(v))
        return util_buf_append_json_chars(out, json_string_value(v), json_string_length(v));
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == NULL)
        return -1;
    int rc = util_buf_append_json_chars(out, text, strlen(text));
    free(text);
    return rc;
}

int fanout_template_fill(const char *t, size_t len, const json_t *vars, const json_t *steps, struct util_buf *out, char *what,
                         size_t what_sz)
{
    size_t start = out->len, pos = 0;
    struct util_tmpl_tok tok;
    const char *why = NULL;
    int r = 0, rc = util_buf_append(out, "\"", 1);
    while (rc == 0 && (r = util_tmpl_next(t, len, &pos, &tok, &why)) == 1) {
        if (!tok.is_ref) {
            rc = util_buf_append_json_chars(out, tok.s, tok.len);
            continue;
        }
        const json_t *v = fanout_template_lookup(tok.s, tok.len, vars, steps);
        if (v == NULL) {
            snprintf(what, what_sz, "%.*s", (int)(tok.len > 200 ? 200 : tok.len), tok.s);
            out->len = start; /* nothing half-written stays behind */
            if (out->data)
                out->data[start] = '\0';
            return FANOUT_TEMPLATE_MISSING;
        }
        rc = append_value(out, v);
    }
    if (rc == 0 && r < 0) {
        snprintf(what, what_sz, "byte %zu: %s", pos, why);
        rc = FANOUT_TEMPLATE_BAD;
    } else if (rc == 0) {
        rc = util_buf_append(out, "\"", 1);
        if (rc != 0)
            rc = FANOUT_TEMPLATE_TOO_BIG;
    } else {
        rc = FANOUT_TEMPLATE_TOO_BIG;
    }
    if (rc != 0) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}
