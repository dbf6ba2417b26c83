/* Validation: a recursive walk of the compiled node graph against a jansson instance.
 *
 * Each call carries a small context: the instance path as a stack of (key | index) segments that is
 * turned into a JSON pointer only when an error is recorded (valid instances never format
 * strings), the error list, and a "silent" depth. Applicators whose subschemas may legitimately fail
 * (anyOf, oneOf, not, if, contains, propertyNames) evaluate them silently and report one error of
 * their own; everything else reports where it fails. Without an error list, or once the list is
 * full, the first failure unwinds the whole walk.
 *
 * Recursion guard: a schema may recurse through $ref without consuming the instance ({"$ref": "#"})
 * and anyOf/oneOf can make that exponential, so each validation is bounded both in depth and in
 * the total number of node visits; hitting either makes the instance invalid ("validation aborted"),
 * never a hang or a stack overflow. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema_int.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"

#define MAX_DEPTH 512
#define STEP_BUDGET 2000000UL
#define DEFAULT_MAX_ERRORS 20
#define INLINE_SEGS 32

struct seg {
    const char *key; /* NULL: array index */
    size_t len;      /* key length, or the index */
};

struct vctx {
    const struct schema *s;
    struct schema_errors *errs;
    int silent;
    int aborted;
    unsigned depth;
    unsigned long steps;
    pcre2_match_data *md; /* created on first regex use, freed when the call returns */
    struct seg *segs;
    size_t nsegs, capsegs;
    struct seg inline_segs[INLINE_SEGS];
};

static int stop(const struct vctx *v)
{
    return v->silent || v->aborted || !v->errs || v->errs->count >= v->errs->max;
}

static void push(struct vctx *v, const char *key, size_t len)
{
    if (v->nsegs == v->capsegs) {
        size_t cap = v->capsegs * 2;
        struct seg *n = util_malloc(cap * sizeof(*n));
        memcpy(n, v->segs, v->nsegs * sizeof(*n));
        if (v->segs != v->inline_segs)
            free(v->segs);
        v->segs = n;
        v->capsegs = cap;
    }
    v->segs[v->nsegs].key = key;
    v->segs[v->nsegs].len = len;
    v->nsegs++;
}

static void pop(struct vctx *v)
{
    v->nsegs--;
}

static char *instance_path(const struct vctx *v)
{
    struct util_buf b;
    util_buf_init(&b, 1 << 20);
    util_buf_append(&b, "", 0);
    for (size_t i = 0; i < v->nsegs; i++) {
        const struct seg *s = &v->segs[i];
        if (!s->key) {
            util_buf_appendf(&b, "/%zu", s->len);
            continue;
        }
        util_buf_append(&b, "/", 1);
        for (size_t k = 0; k < s->len; k++) {
            if (s->key[k] == '~')
                util_buf_append(&b, "~0", 2);
            else if (s->key[k] == '/')
                util_buf_append(&b, "~1", 2);
            else
                util_buf_append(&b, s->key[k] ? &s->key[k] : "?", 1);
        }
    }
    size_t n;
    return util_buf_take(&b, &n);
}

static void add_error(struct vctx *v, const struct schema_node *n, const char *kw, char *msg)
{
    struct schema_errors *e = v->errs;
    e->items = util_realloc(e->items, (e->count + 1) * sizeof(*e->items));
    struct schema_error *er = &e->items[e->count++];
    er->instance_path = instance_path(v);
    size_t pl = strlen(n->path) + (kw ? strlen(kw) + 2 : 1);
    er->schema_path = util_malloc(pl);
    snprintf(er->schema_path, pl, "%s%s%s", n->path, kw ? "/" : "", kw ? kw : "");
    er->message = msg;
}

static void report(struct vctx *v, const struct schema_node *n, const char *kw, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void report(struct vctx *v, const struct schema_node *n, const char *kw, const char *fmt, ...)
{
    if (stop(v))
        return;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = util_malloc((size_t)len + 1);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)len + 1, fmt, ap);
    va_end(ap);
    add_error(v, n, kw, msg);
}

/* ---- values ---- */

static const char *type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

static int is_integral(double d)
{
    return isfinite(d) && floor(d) == d;
}

static int type_ok(unsigned types, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return types & SCHEMA_T_OBJECT;
    case JSON_ARRAY:
        return types & SCHEMA_T_ARRAY;
    case JSON_STRING:
        return types & SCHEMA_T_STRING;
    case JSON_INTEGER:
        return types & (SCHEMA_T_NUMBER | SCHEMA_T_INTEGER);
    case JSON_REAL:
        return (types & SCHEMA_T_NUMBER) || ((types & SCHEMA_T_INTEGER) && is_integral(json_real_value(j)));
    case JSON_TRUE:
    case JSON_FALSE:
        return types & SCHEMA_T_BOOLEAN;
    default:
        return types & SCHEMA_T_NULL;
    }
}

static void types_text(unsigned types, char *out, size_t outsz)
{
    static const char *const names[] = {"null", "boolean", "object", "array", "number", "string", "integer"};
    size_t n = 0, count = 0;
    for (int i = 0; i < 7; i++)
        count += (types >> i) & 1;
    out[0] = '\0';
    if (count > 1)
        n += (size_t)snprintf(out + n, outsz - n, "one of ");
    for (int i = 0, k = 0; i < 7 && n < outsz; i++)
        if (types & (1u << i))
            n += (size_t)snprintf(out + n, outsz - n, "%s%s", k++ ? ", " : "", names[i]);
}

int schema_json_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               !memcmp(json_string_value(a), json_string_value(b), json_string_length(a));
    case JSON_ARRAY: {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!schema_json_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        for (void *it = json_object_iter((json_t *)a); it; it = json_object_iter_next((json_t *)a, it)) {
            const json_t *o = json_object_getn(b, json_object_iter_key(it), json_object_iter_key_len(it));
            if (!o || !schema_json_equal(json_object_iter_value(it), o))
                return 0;
        }
        return 1;
    }
    default:
        return 1; /* true, false, null: same type is same value */
    }
}

/* -1, 0, 1 as instance <, ==, > bound; integers compare exactly. */
static int num_cmp(const json_t *j, const struct schema_num *b)
{
    if (json_is_integer(j) && b->is_int) {
        json_int_t x = json_integer_value(j);
        return x < b->i ? -1 : x > b->i;
    }
    double x = json_number_value(j);
    return x < b->d ? -1 : x > b->d;
}

static void num_text(const struct schema_num *b, char *out, size_t outsz)
{
    if (b->is_int)
        snprintf(out, outsz, "%lld", (long long)b->i);
    else
        snprintf(out, outsz, "%.15g", b->d);
}

static int multiple_ok(const json_t *j, const struct schema_num *m)
{
    if (json_is_integer(j) && m->is_int)
        return json_integer_value(j) % m->i == 0;
    double x = json_number_value(j);
    double q = x / m->d;
    if (!isfinite(q))
        return fmod(x, m->d) == 0;
    /* x/m carries rounding error (0.0075 / 0.0001 = 74.99999999999999), so "integral" is judged
     * with a tolerance relative to the magnitude of the quotient. */
    double tol = fmax(1e-9, fabs(q) * 1e-13);
    return fabs(q - nearbyint(q)) <= tol;
}

static size_t utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* 1 match, 0 no match, -1 the match gave up (backtracking limit). */
static int re_match(struct vctx *v, const struct schema_regex *rx, const char *s, size_t len)
{
    if (!v->md)
        v->md = pcre2_match_data_create(1, NULL);
    int rc = pcre2_match(rx->re, (PCRE2_SPTR)s, len, 0, 0, v->md, v->s->mctx);
    if (rc >= 0) /* 0: the one-pair ovector was too small, still a match */
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

/* ---- the walk ---- */

static int validate(struct vctx *v, const struct schema_node *n, const json_t *inst);

#define FAILED()                                                                                                                   \
    do {                                                                                                                           \
        valid = 0;                                                                                                                 \
        if (stop(v))                                                                                                               \
            return 0;                                                                                                              \
    } while (0)

static int silent_ok(struct vctx *v, const struct schema_node *n, const json_t *inst)
{
    v->silent++;
    int ok = validate(v, n, inst);
    v->silent--;
    return ok && !v->aborted;
}

static const struct schema_prop *prop_find(const struct schema_node *n, const char *key, size_t len)
{
    size_t lo = 0, hi = n->nprops;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct schema_prop *p = &n->props[mid];
        int c = p->len != len ? (p->len < len ? -1 : 1) : memcmp(p->name, key, len);
        if (c == 0)
            return p;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int check_object(struct vctx *v, const struct schema_node *n, const json_t *inst)
{
    int valid = 1;
    size_t size = json_object_size(inst);
    if (n->min_props >= 0 && size < (size_t)n->min_props) {
        report(v, n, "minProperties", "expected at least %lld properties, got %zu", (long long)n->min_props, size);
        FAILED();
    }
    if (n->max_props >= 0 && size > (size_t)n->max_props) {
        report(v, n, "maxProperties", "expected at most %lld properties, got %zu", (long long)n->max_props, size);
        FAILED();
    }
    for (size_t i = 0; i < n->required.n; i++) {
        if (!json_object_getn(inst, n->required.names[i], n->required.lens[i])) {
            report(v, n, "required", "missing required property \"%s\"", n->required.names[i]);
            FAILED();
        }
    }
    for (size_t d = 0; d < n->ndep_req; d++) {
        const struct schema_strlist *dl = &n->dep_req[d];
        if (!json_object_getn(inst, dl->name, dl->len))
            continue;
        for (size_t i = 0; i < dl->n; i++) {
            if (!json_object_getn(inst, dl->names[i], dl->lens[i])) {
                report(v, n, "dependentRequired", "property \"%s\" requires property \"%s\"", dl->name, dl->names[i]);
                FAILED();
            }
        }
    }
    for (size_t d = 0; d < n->ndep_schemas; d++) {
        const struct schema_prop *dp = &n->dep_schemas[d];
        if (json_object_getn(inst, dp->name, dp->len) && !validate(v, dp->node, inst))
            FAILED();
    }
    if (!n->nprops && !n->npprops && !n->addl_props && !n->prop_names)
        return valid;
    for (void *it = json_object_iter((json_t *)inst); it; it = json_object_iter_next((json_t *)inst, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        const json_t *val = json_object_iter_value(it);
        int matched = 0;
        if (n->prop_names) {
            json_t *ks = json_stringn_nocheck(key, klen);
            int ok = silent_ok(v, n->prop_names, ks);
            json_decref(ks);
            if (!ok) {
                report(v, n, "propertyNames", "property name \"%s\" is not allowed", key);
                FAILED();
            }
        }
        push(v, key, klen);
        const struct schema_prop *p = n->nprops ? prop_find(n, key, klen) : NULL;
        if (p) {
            matched = 1;
            if (!validate(v, p->node, val)) {
                pop(v);
                FAILED();
                push(v, key, klen);
            }
        }
        for (size_t i = 0; i < n->npprops; i++) {
            int m = re_match(v, &n->pprops[i].rx, key, klen);
            if (m < 0) {
                report(v, n, "patternProperties", "regular expression \"%s\" could not be matched (match limit or invalid UTF-8)",
                       n->pprops[i].rx.src);
                pop(v);
                FAILED();
                push(v, key, klen);
                continue;
            }
            if (m) {
                matched = 1;
                if (!validate(v, n->pprops[i].node, val)) {
                    pop(v);
                    FAILED();
                    push(v, key, klen);
                }
            }
        }
        if (!matched && n->addl_props) {
            int ok;
            if (n->addl_props->boolean == 0) {
                report(v, n, "additionalProperties", "property \"%s\" is not allowed", key);
                ok = 0;
            } else {
                ok = validate(v, n->addl_props, val);
            }
            if (!ok) {
                pop(v);
                FAILED();
                push(v, key, klen);
            }
        }
        pop(v);
    }
    return valid;
}

static int check_array(struct vctx *v, const struct schema_node *n, const json_t *inst)
{
    int valid = 1;
    size_t size = json_array_size(inst);
    if (n->min_items >= 0 && size < (size_t)n->min_items) {
        report(v, n, "minItems", "expected at least %lld items, got %zu", (long long)n->min_items, size);
        FAILED();
    }
    if (n->max_items >= 0 && size > (size_t)n->max_items) {
        report(v, n, "maxItems", "expected at most %lld items, got %zu", (long long)n->max_items, size);
        FAILED();
    }
    for (size_t i = 0; i < size; i++) {
        const struct schema_node *sub = i < n->nprefix ? n->prefix[i] : n->items;
        if (!sub)
            break;
        push(v, NULL, i);
        int ok;
        if (sub->boolean == 0 && sub == n->items) {
            report(v, n, "items", "expected at most %zu items, got %zu", n->nprefix, size);
            ok = 0;
        } else {
            ok = validate(v, sub, json_array_get(inst, i));
        }
        pop(v);
        if (!ok)
            FAILED();
        if (sub->boolean == 0 && sub == n->items)
            break; /* one error for the whole tail */
    }
    if (n->contains) {
        size_t count = 0;
        for (size_t i = 0; i < size; i++) {
            if (silent_ok(v, n->contains, json_array_get(inst, i)))
                count++;
            if (v->aborted)
                return 0;
            if (n->max_contains < 0 && count >= (size_t)n->min_contains)
                break;
        }
        if (count < (size_t)n->min_contains) {
            if (n->min_contains == 1)
                report(v, n, "contains", "no item matches the \"contains\" schema");
            else
                report(v, n, "minContains", "expected at least %lld items matching \"contains\", got %zu",
                       (long long)n->min_contains, count);
            FAILED();
        }
        if (n->max_contains >= 0 && count > (size_t)n->max_contains) {
            report(v, n, "maxContains", "expected at most %lld items matching \"contains\", got %zu", (long long)n->max_contains,
                   count);
            FAILED();
        }
    }
    if (n->unique && size > 1) {
        for (size_t i = 0; i < size; i++) {
            const json_t *a = json_array_get(inst, i);
            for (size_t k = i + 1; k < size; k++) {
                if (schema_json_equal(a, json_array_get(inst, k))) {
                    report(v, n, "uniqueItems", "items %zu and %zu are equal", i, k);
                    FAILED();
                    goto unique_done;
                }
            }
        }
    }
unique_done:
    return valid;
}

static int check_string(struct vctx *v, const struct schema_node *n, const json_t *inst)
{
    int valid = 1;
    const char *s = json_string_value(inst);
    size_t len = json_string_length(inst);
    if (n->min_len >= 0 || n->max_len >= 0) {
        size_t cps = utf8_count(s, len);
        if (n->min_len >= 0 && cps < (size_t)n->min_len) {
            report(v, n, "minLength", "expected at least %lld characters, got %zu", (long long)n->min_len, cps);
            FAILED();
        }
        if (n->max_len >= 0 && cps > (size_t)n->max_len) {
            report(v, n, "maxLength", "expected at most %lld characters, got %zu", (long long)n->max_len, cps);
            FAILED();
        }
    }
    if (n->pattern.re) {
        int m = re_match(v, &n->pattern, s, len);
        if (m <= 0) {
            report(v, n, "pattern",
                   m < 0 ? "regular expression \"%s\" could not be matched (match limit or invalid UTF-8)"
                         : "does not match pattern \"%s\"",
                   n->pattern.src);
            FAILED();
        }
    }
    if (n->format && (v->s->flags & SCHEMA_FORMAT_ASSERT) && !schema_format_check(n->format, s, len)) {
        report(v, n, "format", "not a valid %s", schema_format_name(n->format));
        FAILED();
    }
    return valid;
}

static int check_number(struct vctx *v, const struct schema_node *n, const json_t *inst)
{
    int valid = 1;
    char b[64];
    if (n->minimum.set && num_cmp(inst, &n->minimum) < 0) {
        num_text(&n->minimum, b, sizeof(b));
        report(v, n, "minimum", "must be >= %s", b);
        FAILED();
    }
    if (n->maximum.set && num_cmp(inst, &n->maximum) > 0) {
        num_text(&n->maximum, b, sizeof(b));
        report(v, n, "maximum", "must be <= %s", b);
        FAILED();
    }
    if (n->ex_minimum.set && num_cmp(inst, &n->ex_minimum) <= 0) {
        num_text(&n->ex_minimum, b, sizeof(b));
        report(v, n, "exclusiveMinimum", "must be > %s", b);
        FAILED();
    }
    if (n->ex_maximum.set && num_cmp(inst, &n->ex_maximum) >= 0) {
        num_text(&n->ex_maximum, b, sizeof(b));
        report(v, n, "exclusiveMaximum", "must be < %s", b);
        FAILED();
    }
    if (n->multiple_of.set && !multiple_ok(inst, &n->multiple_of)) {
        num_text(&n->multiple_of, b, sizeof(b));
        report(v, n, "multipleOf", "must be a multiple of %s", b);
        FAILED();
    }
    return valid;
}

static int validate_body(struct vctx *v, const struct schema_node *n, const json_t *inst)
{
    int valid = 1;
    if (n->ref && !validate(v, n->ref, inst))
        FAILED();
    if (n->types && !type_ok(n->types, inst)) {
        char t[96];
        types_text(n->types, t, sizeof(t));
        report(v, n, "type", "expected %s, got %s", t, type_name(inst));
        FAILED();
    }
    if (n->enum_vals) {
        size_t i, cnt = json_array_size(n->enum_vals);
        for (i = 0; i < cnt; i++)
            if (schema_json_equal(inst, json_array_get(n->enum_vals, i)))
                break;
        if (i == cnt) {
            report(v, n, "enum", "value is not one of the %zu allowed values", cnt);
            FAILED();
        }
    }
    if (n->has_const && !schema_json_equal(inst, n->const_val)) {
        report(v, n, "const", "value does not equal the constant");
        FAILED();
    }
    int ok = 1;
    switch (json_typeof(inst)) {
    case JSON_OBJECT:
        ok = check_object(v, n, inst);
        break;
    case JSON_ARRAY:
        ok = check_array(v, n, inst);
        break;
    case JSON_STRING:
        ok = check_string(v, n, inst);
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        ok = check_number(v, n, inst);
        break;
    default:
        break;
    }
    if (!ok)
        FAILED();
    for (size_t i = 0; i < n->nall_of; i++)
        if (!validate(v, n->all_of[i], inst))
            FAILED();
    if (n->nany_of) {
        size_t i;
        for (i = 0; i < n->nany_of; i++)
            if (silent_ok(v, n->any_of[i], inst))
                break;
        if (v->aborted)
            return 0;
        if (i == n->nany_of) {
            report(v, n, "anyOf", "does not match any of the %zu schemas in anyOf", n->nany_of);
            FAILED();
        }
    }
    if (n->none_of) {
        size_t matches = 0, first = 0, second = 0;
        for (size_t i = 0; i < n->none_of && matches < 2; i++) {
            if (silent_ok(v, n->one_of[i], inst)) {
                if (matches++ == 0)
                    first = i;
                else
                    second = i;
            }
        }
        if (v->aborted)
            return 0;
        if (matches == 0) {
            report(v, n, "oneOf", "does not match any of the %zu schemas in oneOf", n->none_of);
            FAILED();
        } else if (matches > 1) {
            report(v, n, "oneOf", "matches both schema %zu and %zu in oneOf, expected exactly one", first, second);
            FAILED();
        }
    }
    if (n->not_) {
        int m = silent_ok(v, n->not_, inst);
        if (v->aborted)
            return 0;
        if (m) {
            report(v, n, "not", "must not match the schema in \"not\"");
            FAILED();
        }
    }
    if (n->if_) {
        int m = silent_ok(v, n->if_, inst);
        if (v->aborted)
            return 0;
        const struct schema_node *branch = m ? n->then_ : n->else_;
        if (branch && !validate(v, branch, inst))
            FAILED();
    }
    return valid;
}

static int validate(struct vctx *v, const struct schema_node *n, const json_t *inst)
{
    if (n->boolean >= 0) {
        if (!n->boolean)
            report(v, n, NULL, "no value is allowed here (false schema)");
        return n->boolean;
    }
    if (v->aborted)
        return 0;
    if (++v->steps > STEP_BUDGET || v->depth >= MAX_DEPTH) {
        v->aborted = 1;
        return 0;
    }
    v->depth++;
    int ok = validate_body(v, n, inst);
    v->depth--;
    return ok;
}

int schema_validate(const struct schema *s, const json_t *instance, struct schema_errors *errs)
{
    struct vctx v;
    v.s = s;
    v.errs = errs;
    v.silent = 0;
    v.aborted = 0;
    v.depth = 0;
    v.steps = 0;
    v.md = NULL;
    v.segs = v.inline_segs;
    v.nsegs = 0;
    v.capsegs = INLINE_SEGS;
    if (errs && errs->max == 0)
        errs->max = DEFAULT_MAX_ERRORS;
    if (!s || !instance)
        return WARDEN_EINVAL;
    int ok = validate(&v, s->root, instance);
    if (v.aborted && errs) {
        v.aborted = 0;
        v.nsegs = 0;
        if (errs->count >= errs->max && errs->count > 0)
            errs->count--, free(errs->items[errs->count].instance_path), free(errs->items[errs->count].schema_path),
                free(errs->items[errs->count].message);
        add_error(&v, s->root, NULL, util_strdup("validation aborted: recursion too deep or too many steps"));
        ok = 0;
    }
    if (v.md)
        pcre2_match_data_free(v.md);
    if (v.segs != v.inline_segs)
        free(v.segs);
    return ok ? 0 : WARDEN_ESCHEMA;
}

void schema_errors_free(struct schema_errors *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->count; i++) {
        free(e->items[i].instance_path);
        free(e->items[i].schema_path);
        free(e->items[i].message);
    }
    free(e->items);
    e->items = NULL;
    e->count = 0;
}

char *schema_errors_format(const struct schema_errors *e)
{
    struct util_buf b;
    util_buf_init(&b, 1 << 20);
    util_buf_append(&b, "", 0);
    for (size_t i = 0; e && i < e->count; i++) {
        const struct schema_error *er = &e->items[i];
        util_buf_appendf(&b, "%s%s: %s (at %s)", i ? "; " : "", er->instance_path[0] ? er->instance_path : "(root)", er->message,
                         er->schema_path);
    }
    size_t n;
    return util_buf_take(&b, &n);
}
