/* Typed readers over libyaml document nodes for the config loader.
 *
 * Each reader checks one value (its kind, syntax and range) and on a mistake
 * writes the single error message of the load: "FILE:LINE: where: message".
 * Values are quoted and truncated in messages so that a stray multi-line
 * string cannot make an error unreadable. Secrets never reach these messages:
 * API keys are read from the environment, and api_keys[].key values are
 * compared without being quoted. */
#include "config/config_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

int cfg_line(const yaml_node_t *n)
{
    return n ? (int)n->start_mark.line + 1 : 1;
}

static void cfg_vfail(struct cfg_ctx *c, int line, const char *fmt, va_list ap)
{
    if (c->failed)
        return;
    c->failed = 1;
    if (!c->err || !c->errsz)
        return;
    int k;
    if (c->where_len)
        k = snprintf(c->err, c->errsz, "%s:%d: %s: ", c->path, line, c->where);
    else
        k = snprintf(c->err, c->errsz, "%s:%d: ", c->path, line);
    if (k >= 0 && (size_t)k < c->errsz)
        vsnprintf(c->err + k, c->errsz - (size_t)k, fmt, ap);
}

int cfg_fail(struct cfg_ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_vfail(c, cfg_line(n), fmt, ap);
    va_end(ap);
    return -1;
}

int cfg_fail_line(struct cfg_ctx *c, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_vfail(c, line, fmt, ap);
    va_end(ap);
    return -1;
}

size_t cfg_push_key(struct cfg_ctx *c, const char *key)
{
    size_t mark = c->where_len;
    if (c->where_len < sizeof(c->where)) {
        int k = snprintf(c->where + c->where_len, sizeof(c->where) - c->where_len, "%s%s", c->where_len ? "." : "", key);
        if (k > 0)
            c->where_len += (size_t)k;
        if (c->where_len >= sizeof(c->where))
            c->where_len = sizeof(c->where) - 1;
    }
    return mark;
}

size_t cfg_push_index(struct cfg_ctx *c, size_t i)
{
    size_t mark = c->where_len;
    if (c->where_len < sizeof(c->where)) {
        int k = snprintf(c->where + c->where_len, sizeof(c->where) - c->where_len, "[%zu]", i);
        if (k > 0)
            c->where_len += (size_t)k;
        if (c->where_len >= sizeof(c->where))
            c->where_len = sizeof(c->where) - 1;
    }
    return mark;
}

void cfg_pop(struct cfg_ctx *c, size_t mark)
{
    c->where_len = mark;
    c->where[mark] = '\0';
}

const char *cfg_quote(char *out, size_t outsz, const char *s)
{
    const size_t max = 60;
    size_t o = 0, i;
    if (outsz < 8) {
        if (outsz)
            out[0] = '\0';
        return out;
    }
    out[o++] = '"';
    for (i = 0; s[i] && o + 6 < outsz && i < max; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    if (s[i] && o + 5 < outsz) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

yaml_node_t *cfg_node(struct cfg_ctx *c, int index)
{
    return yaml_document_get_node(c->doc, index);
}

const char *cfg_kind_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_SCALAR_NODE:
        return cfg_is_null(n) ? "null" : "a scalar";
    default:
        return "nothing";
    }
}

int cfg_is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *s = (const char *)n->data.scalar.value;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

const char *cfg_scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int key_cmp(const void *a, const void *b)
{
    const yaml_node_t *x = *(yaml_node_t *const *)a, *y = *(yaml_node_t *const *)b;
    int r = strcmp((const char *)x->data.scalar.value, (const char *)y->data.scalar.value);
    if (r)
        return r;
    /* equal keys: keep document order so the second one is reported */
    if (x->start_mark.index != y->start_mark.index)
        return x->start_mark.index < y->start_mark.index ? -1 : 1;
    return 0;
}

int cfg_expect_map(struct cfg_ctx *c, yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE)
        return cfg_fail(c, n, "expected a mapping, got %s", cfg_kind_name(n));
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (!count)
        return 0;
    /* Sorting a copy of the keys finds duplicates in n log n, so a huge
     * mapping in a hostile file cannot make the load quadratic. */
    yaml_node_t **keys = util_calloc(count, sizeof(*keys));
    size_t i = 0;
    int rc = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++, i++) {
        keys[i] = cfg_node(c, p->key);
        if (!keys[i] || keys[i]->type != YAML_SCALAR_NODE || cfg_is_null(keys[i])) {
            rc = cfg_fail(c, keys[i] ? keys[i] : n, "mapping keys must be strings");
            goto out;
        }
    }
    qsort(keys, count, sizeof(*keys), key_cmp);
    for (i = 1; i < count; i++) {
        if (!strcmp((const char *)keys[i]->data.scalar.value, (const char *)keys[i - 1]->data.scalar.value)) {
            char q[96];
            rc = cfg_fail(c, keys[i], "duplicate key %s (first at line %d)",
                          cfg_quote(q, sizeof(q), (const char *)keys[i]->data.scalar.value), cfg_line(keys[i - 1]));
            goto out;
        }
    }
out:
    free(keys);
    return rc;
}

int cfg_expect_seq(struct cfg_ctx *c, yaml_node_t *n)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return cfg_fail(c, n, "expected a list, got %s", cfg_kind_name(n));
    return 0;
}

/* Levenshtein distance, capped: only short config keys and names go through here. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

const char *cfg_suggest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, len = strlen(word);
    size_t limit = len <= 3 ? 1 : len <= 8 ? 2 : 3;
    for (size_t i = 0; i < n && candidates[i]; i++) {
        size_t d = edit_distance(word, candidates[i]);
        if (d <= limit && d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

int cfg_map_each(struct cfg_ctx *c, yaml_node_t *n, const char *const *keys, cfg_key_fn on_key, void *ud)
{
    if (cfg_expect_map(c, n))
        return -1;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = cfg_node(c, p->key), *v = cfg_node(c, p->value);
        const char *key = cfg_scalar(k);
        if (key == NULL)
            continue; /* cfg_expect_map already refused non-string keys */
        size_t mark = cfg_push_key(c, key);
        int rc = on_key(c, key, v, ud);
        if (rc == CFG_KEY_UNKNOWN) {
            cfg_pop(c, mark);
            return cfg_unknown_key(c, k, keys);
        }
        if (rc)
            return -1;
        cfg_pop(c, mark);
    }
    return 0;
}

int cfg_unknown_key(struct cfg_ctx *c, yaml_node_t *key, const char *const *allowed)
{
    char q[96];
    const char *word = cfg_scalar(key);
    const char *s = cfg_suggest(word, allowed, SIZE_MAX);
    if (s)
        return cfg_fail(c, key, "unknown key %s (did you mean \"%s\"?)", cfg_quote(q, sizeof(q), word), s);
    return cfg_fail(c, key, "unknown key %s", cfg_quote(q, sizeof(q), word));
}

int cfg_str(struct cfg_ctx *c, yaml_node_t *n, char **out)
{
    if (n->type != YAML_SCALAR_NODE || cfg_is_null(n))
        return cfg_fail(c, n, "expected a string, got %s", cfg_kind_name(n));
    if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
        return cfg_fail(c, n, "string contains a NUL character");
    free(*out);
    *out = util_strdup((const char *)n->data.scalar.value);
    return 0;
}

int cfg_name(struct cfg_ctx *c, yaml_node_t *n, char **out)
{
    if (cfg_str(c, n, out))
        return -1;
    if (!**out)
        return cfg_fail(c, n, "must not be empty");
    return 0;
}

int cfg_opt_str(struct cfg_ctx *c, yaml_node_t *n, char **out)
{
    if (cfg_is_null(n)) {
        free(*out);
        *out = NULL;
        return 0;
    }
    return cfg_str(c, n, out);
}

static int parse_long(const char *s, long *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return -1;
    for (; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '_')
            return -1;
    /* YAML 1.1 allows "_" as a digit separator (1_000); strip it. */
    char buf[32];
    size_t o = 0;
    for (p = s; *p; p++) {
        if (*p == '_')
            continue;
        if (o + 1 >= sizeof(buf))
            return -1;
        buf[o++] = *p;
    }
    buf[o] = '\0';
    errno = 0;
    char *end;
    long v = strtol(buf, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int fail_range(struct cfg_ctx *c, yaml_node_t *n, long min, long max, const char *got)
{
    if (max >= INT_MAX) {
        if (min == 0)
            return cfg_fail(c, n, "expected a non-negative integer, got %s", got);
        if (min == 1)
            return cfg_fail(c, n, "expected a positive integer, got %s", got);
        return cfg_fail(c, n, "expected an integer >= %ld, got %s", min, got);
    }
    return cfg_fail(c, n, "expected an integer from %ld to %ld, got %s", min, max, got);
}

int cfg_int(struct cfg_ctx *c, yaml_node_t *n, long min, long max, long *out)
{
    char q[96];
    const char *s = cfg_scalar(n);
    if (!s || cfg_is_null(n))
        return fail_range(c, n, min, max, cfg_kind_name(n));
    long v;
    if (parse_long(s, &v) || v < min || v > max)
        return fail_range(c, n, min, max, cfg_quote(q, sizeof(q), s));
    *out = v;
    return 0;
}

int cfg_int_field(struct cfg_ctx *c, yaml_node_t *n, long min, long max, int *out)
{
    long v;
    if (max > INT_MAX)
        max = INT_MAX;
    if (cfg_int(c, n, min, max, &v))
        return -1;
    *out = (int)v;
    return 0;
}

int cfg_bool(struct cfg_ctx *c, yaml_node_t *n, int *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    char q[96];
    const char *s = cfg_scalar(n);
    if (!s || cfg_is_null(n))
        return cfg_fail(c, n, "expected true or false, got %s", cfg_kind_name(n));
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (!strcmp(s, yes[i])) {
            *out = 1;
            return 0;
        }
        if (!strcmp(s, no[i])) {
            *out = 0;
            return 0;
        }
    }
    return cfg_fail(c, n, "expected true or false, got %s", cfg_quote(q, sizeof(q), s));
}

int cfg_double(struct cfg_ctx *c, yaml_node_t *n, double min, double max, double *out)
{
    char q[96];
    const char *s = cfg_scalar(n);
    if (!s || cfg_is_null(n))
        return cfg_fail(c, n, "expected a number from %g to %g, got %s", min, max, cfg_kind_name(n));
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < min || v > max)
        return cfg_fail(c, n, "expected a number from %g to %g, got %s", min, max, cfg_quote(q, sizeof(q), s));
    *out = v;
    return 0;
}

int cfg_size(struct cfg_ctx *c, yaml_node_t *n, size_t *out)
{
    /* 1 TiB: far past any sane body cap, small enough never to overflow. */
    const unsigned long long cap = 1ULL << 40;
    char q[96];
    const char *s = cfg_scalar(n);
    if (!s || cfg_is_null(n))
        return cfg_fail(c, n, "expected a size like 4194304, \"512k\" or \"4m\", got %s", cfg_kind_name(n));
    const char *p = s;
    unsigned long long v = 0;
    if (!isdigit((unsigned char)*p))
        goto bad;
    for (; isdigit((unsigned char)*p); p++) {
        v = v * 10 + (unsigned long long)(*p - '0');
        if (v > cap)
            goto bad;
    }
    unsigned long long mult = 1;
    if (*p == 'k' || *p == 'K')
        mult = 1ULL << 10, p++;
    else if (*p == 'm' || *p == 'M')
        mult = 1ULL << 20, p++;
    else if (*p == 'g' || *p == 'G')
        mult = 1ULL << 30, p++;
    if (mult > 1 && (*p == 'b' || *p == 'B'))
        p++;
    if (*p || v == 0 || v > cap / mult)
        goto bad;
    *out = (size_t)(v * mult);
    return 0;
bad:
    return cfg_fail(c, n, "expected a positive size like 4194304, \"512k\" or \"4m\" (at most 1024g), got %s",
                    cfg_quote(q, sizeof(q), s));
}

int cfg_enum(struct cfg_ctx *c, yaml_node_t *n, const char *const *names, int *out)
{
    char list[256], q[96];
    const char *s = cfg_scalar(n);
    if (s && !cfg_is_null(n)) {
        for (int i = 0; names[i]; i++) {
            if (!strcmp(s, names[i])) {
                *out = i;
                return 0;
            }
        }
    }
    size_t o = 0;
    list[0] = '\0';
    for (int i = 0; names[i] && o < sizeof(list); i++) {
        int k = snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", names[i]);
        if (k < 0)
            break;
        o += (size_t)k;
    }
    return cfg_fail(c, n, "expected one of %s, got %s", list, s && !cfg_is_null(n) ? cfg_quote(q, sizeof(q), s) : cfg_kind_name(n));
}

int cfg_str_list(struct cfg_ctx *c, yaml_node_t *n, char ***out, size_t *count)
{
    if (cfg_expect_seq(c, n))
        return -1;
    size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    cfg_free_strv(*out, *count);
    *out = util_calloc(len, sizeof(**out));
    *count = 0;
    for (size_t i = 0; i < len; i++) {
        size_t mark = cfg_push_index(c, i);
        yaml_node_t *item = cfg_node(c, n->data.sequence.items.start[i]);
        if (cfg_str(c, item, &(*out)[i]))
            return -1;
        (*count)++;
        cfg_pop(c, mark);
    }
    return 0;
}

static int header_name_ok(const char *s)
{
    /* RFC 9110 token characters */
    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!(isalnum(ch) || strchr("!#$%&'*+-.^_`|~", ch)))
            return 0;
    }
    return 1;
}

int cfg_kv_map(struct cfg_ctx *c, yaml_node_t *n, int as_headers, struct config_kv **out, size_t *count)
{
    char q[96];
    if (cfg_expect_map(c, n))
        return -1;
    size_t len = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    cfg_free_kv(*out, *count);
    *out = util_calloc(len, sizeof(**out));
    *count = 0;
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *k = cfg_node(c, n->data.mapping.pairs.start[i].key);
        yaml_node_t *v = cfg_node(c, n->data.mapping.pairs.start[i].value);
        const char *name = cfg_scalar(k);
        if (as_headers && !header_name_ok(name))
            return cfg_fail(c, k, "invalid header name %s", cfg_quote(q, sizeof(q), name));
        size_t mark = cfg_push_key(c, name);
        struct config_kv *kv = &(*out)[i];
        kv->name = util_strdup(name);
        (*count)++;
        if (cfg_str(c, v, &kv->value))
            return -1;
        if (as_headers && strpbrk(kv->value, "\r\n"))
            return cfg_fail(c, v, "header value must not contain CR or LF");
        cfg_pop(c, mark);
    }
    return 0;
}

int cfg_http_url(struct cfg_ctx *c, yaml_node_t *n, char **out)
{
    char q[96];
    if (cfg_str(c, n, out))
        return -1;
    char *s = *out;
    const char *rest = NULL;
    if (!strncmp(s, "http://", 7))
        rest = s + 7;
    else if (!strncmp(s, "https://", 8))
        rest = s + 8;
    if (!rest || !*rest || *rest == '/' || strpbrk(s, " \t\r\n"))
        return cfg_fail(c, n, "expected an http:// or https:// URL, got %s", cfg_quote(q, sizeof(q), s));
    size_t len = strlen(s);
    while (len > (size_t)(rest - s) && s[len - 1] == '/')
        s[--len] = '\0';
    return 0;
}

void cfg_add_ref(struct cfg_ctx *c, enum cfg_ref_kind kind, const char *name, void *slot, const yaml_node_t *n)
{
    if (c->n_refs == c->cap_refs) {
        c->cap_refs = c->cap_refs ? c->cap_refs * 2 : 16;
        c->refs = util_realloc(c->refs, c->cap_refs * sizeof(*c->refs));
    }
    struct cfg_ref *r = &c->refs[c->n_refs++];
    r->kind = kind;
    r->name = util_strdup(name);
    r->slot = slot;
    r->line = cfg_line(n);
    r->where = util_strdup(c->where);
}

void cfg_free_strv(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void cfg_free_kv(struct config_kv *kv, size_t n)
{
    if (!kv)
        return;
    for (size_t i = 0; i < n; i++) {
        free(kv[i].name);
        free(kv[i].value);
    }
    free(kv);
}

/* Nesting bound before any document is built. libyaml's loader keeps a stack of
 * open collections and a node per value, and building (then walking) a document
 * nested 100k levels deep took tens of seconds of CPU: the bound is therefore
 * checked on the event stream, which costs one pass and constant memory per level,
 * and the loader only ever sees documents within it. A syntax error is left for
 * the loader to report (its messages carry more context). */
int cfg_check_nesting(struct cfg_ctx *c, const char *yaml, size_t len, int max_depth)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return 0;
    yaml_parser_set_input_string(&parser, (const unsigned char *)(yaml ? yaml : ""), yaml ? len : 0);
    int depth = 0, rc = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev))
            break; /* the loader reports it */
        int type = ev.type;
        if (type == YAML_SCALAR_EVENT || type == YAML_ALIAS_EVENT || type == YAML_SEQUENCE_START_EVENT ||
            type == YAML_MAPPING_START_EVENT) {
            if (depth > max_depth) {
                rc = cfg_fail_line(c, (int)ev.start_mark.line + 1, "values nested more than %d levels deep", max_depth);
                yaml_event_delete(&ev);
                break;
            }
            if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT)
                depth++;
        } else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
            depth--;
        } else if (type == YAML_DOCUMENT_START_EVENT) {
            depth = 0;
        }
        yaml_event_delete(&ev);
        if (type == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&parser);
    return rc;
}
