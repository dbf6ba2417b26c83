/* Typed placeholders. See placeholder.h.
 *
 * An entry holds a value as a plain reader gets it (a spelling from a JSON text is
 * decoded first), so the value is both what identifies the entry and what it restores.
 * Entries are kept in insertion order; an open-addressing table on a hash of
 * (type, value) finds an existing entry when a value repeats, so redacting
 * n findings costs O(n). A placeholder is parsed back as "<" TYPE "_" n ">":
 * TYPE picks the type's list, n its n-th entry, so restoring costs one
 * lookup per '<' in the answer. */
#include "guard/placeholder.h"

#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json_text.h"

struct ph_entry {
    char *value;
    size_t len;
    unsigned type;
    uint64_t hash;
    size_t num; /* the n of <TYPE_n> */
    char ph[GUARD_PLACEHOLDER_MAX];
    size_t ph_len;
};

struct ph_type {
    char name[40];
    size_t name_len;
    size_t *entries; /* indices into p->entries, in number order (increasing, gaps where reserved) */
    size_t n, cap;
    uint64_t name_hash; /* finds the type's reserved numbers */
    size_t last;        /* the highest number given */
};

/* A <TYPE_n> the request's own text already spells: never given to a value. */
struct ph_reserved {
    uint64_t type_hash; /* name_hash of TYPE (a collision only skips a number) */
    size_t num;
};

struct guard_placeholders {
    struct ph_entry *entries;
    size_t n, cap;
    struct ph_type *types;
    size_t n_types;
    size_t *slots; /* entry index + 1; 0 = empty */
    size_t n_slots;
    size_t max_num; /* the highest number of any type: a longer one in an answer is no placeholder */
    struct ph_reserved *reserved; /* sorted by (type_hash, num) */
    size_t n_reserved, cap_reserved;
    int one_way; /* typed redaction: placeholders are never restored */
};

struct guard_restorer {
    const struct guard_placeholders *map;
    int json; /* originals go out JSON-escaped (the text is a JSON document's string content) */
    char held[GUARD_PLACEHOLDER_MAX];
    size_t n_held;
};

static uint64_t hash_of(unsigned type, const char *v, size_t len)
{
    uint64_t h = 1469598103934665603ull ^ type;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)v[i];
        h *= 1099511628211ull;
    }
    return h;
}

struct guard_placeholders *guard_placeholders_new(void)
{
    return util_calloc(1, sizeof(struct guard_placeholders));
}

void guard_placeholders_set_one_way(struct guard_placeholders *p)
{
    if (p != NULL)
        p->one_way = 1;
}

void guard_placeholders_free(struct guard_placeholders *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++) {
        /* the originals are sensitive: do not leave them in freed memory */
        memset(p->entries[i].value, 0, p->entries[i].len);
        free(p->entries[i].value);
    }
    for (size_t i = 0; i < p->n_types; i++)
        free(p->types[i].entries);
    free(p->reserved);
    free(p->entries);
    free(p->types);
    free(p->slots);
    free(p);
}

size_t guard_placeholders_count(const struct guard_placeholders *p)
{
    return p ? p->n : 0;
}

static int valid_type(const char *type, size_t *len)
{
    size_t n = 0;
    for (; type[n]; n++)
        if (!isalnum((unsigned char)type[n]) && type[n] != '_')
            return 0;
    *len = n;
    return n > 0 && n < 40;
}

static unsigned type_index(struct guard_placeholders *p, const char *type, size_t tl)
{
    for (size_t i = 0; i < p->n_types; i++)
        if (p->types[i].name_len == tl && !memcmp(p->types[i].name, type, tl))
            return (unsigned)i;
    p->types = util_realloc(p->types, (p->n_types + 1) * sizeof(*p->types));
    struct ph_type *t = &p->types[p->n_types];
    memset(t, 0, sizeof(*t));
    memcpy(t->name, type, tl);
    t->name_len = tl;
    t->name_hash = hash_of(0, type, tl);
    return (unsigned)p->n_types++;
}

static int reserved_cmp(const void *a, const void *b)
{
    const struct ph_reserved *x = a, *y = b;
    if (x->type_hash != y->type_hash)
        return x->type_hash < y->type_hash ? -1 : 1;
    return x->num < y->num ? -1 : x->num > y->num;
}

/* The type's next number that the request's own text does not already spell. */
static size_t next_number(const struct guard_placeholders *p, struct ph_type *t)
{
    struct ph_reserved key = {t->name_hash, t->last + 1};
    while (p->n_reserved > 0 && bsearch(&key, p->reserved, p->n_reserved, sizeof(key), reserved_cmp) != NULL)
        key.num++;
    return t->last = key.num;
}

static void rehash(struct guard_placeholders *p)
{
    size_t ns = p->n_slots ? p->n_slots * 2 : 16;
    free(p->slots);
    p->slots = util_calloc(ns, sizeof(*p->slots));
    p->n_slots = ns;
    for (size_t i = 0; i < p->n; i++) {
        size_t s = (size_t)p->entries[i].hash & (ns - 1);
        while (p->slots[s])
            s = (s + 1) & (ns - 1);
        p->slots[s] = i + 1;
    }
}

const char *guard_placeholders_add(struct guard_placeholders *p, const char *type, const char *value, size_t len,
                                   size_t *ph_len)
{
    size_t tl;
    if (p == NULL || type == NULL || !valid_type(type, &tl))
        return NULL;
    unsigned ti = type_index(p, type, tl);
    uint64_t h = hash_of(ti, value, len);
    if (p->n_slots) {
        for (size_t s = (size_t)h & (p->n_slots - 1); p->slots[s]; s = (s + 1) & (p->n_slots - 1)) {
            struct ph_entry *e = &p->entries[p->slots[s] - 1];
            if (e->hash == h && e->type == ti && e->len == len && !memcmp(e->value, value, len)) {
                *ph_len = e->ph_len;
                return e->ph;
            }
        }
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->entries = util_realloc(p->entries, p->cap * sizeof(*p->entries));
    }
    struct ph_type *t = &p->types[ti];
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4;
        t->entries = util_realloc(t->entries, t->cap * sizeof(*t->entries));
    }
    struct ph_entry *e = &p->entries[p->n];
    e->value = util_malloc(len + 1);
    memcpy(e->value, value, len);
    e->value[len] = '\0';
    e->len = len;
    e->type = ti;
    e->hash = h;
    t->entries[t->n++] = p->n;
    e->num = next_number(p, t);
    if (e->num > p->max_num)
        p->max_num = e->num;
    e->ph_len = (size_t)snprintf(e->ph, sizeof(e->ph), "<%.*s_%zu>", (int)tl, type, e->num);
    p->n++;
    if (p->n * 2 > p->n_slots)
        rehash(p);
    else {
        size_t s = (size_t)h & (p->n_slots - 1);
        while (p->slots[s])
            s = (s + 1) & (p->n_slots - 1);
        p->slots[s] = p->n;
    }
    *ph_len = e->ph_len;
    return e->ph;
}

const char *guard_placeholders_add_json(struct guard_placeholders *p, const char *type, const char *spelling, size_t len,
                                        size_t *ph_len)
{
    if (len == 0 || memchr(spelling, '\\', len) == NULL)
        return guard_placeholders_add(p, type, spelling, len, ph_len); /* no escape: the spelling is the value */
    char *value = util_malloc(len); /* decoding never makes it longer */
    size_t vl = util_json_unescape_once(spelling, len, value);
    const char *ph = guard_placeholders_add(p, type, value, vl, ph_len);
    memset(value, 0, vl); /* an original: not left in freed memory */
    free(value);
    return ph;
}

/* Whether s[0..n) spells a placeholder, "<" TYPE "_" n ">": TYPE of letters, digits and '_'
 * (1 to 39 bytes, its length in *type_len, from s + 1), n of 1 to 9 digits without a leading
 * zero (in *num: no map reaches further). */
static int parse_placeholder(const char *s, size_t n, size_t *type_len, size_t *num)
{
    if (n < 4 || s[0] != '<' || s[n - 1] != '>')
        return 0;
    size_t us = n - 2; /* the last '_' before the number */
    while (us > 1 && isdigit((unsigned char)s[us]))
        us--;
    if (s[us] != '_' || us == n - 2 || s[us + 1] == '0' || n - 2 - us > 9 || us < 2 || us - 1 >= 40)
        return 0;
    for (size_t i = 1; i < us; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    size_t k = 0;
    for (size_t i = us + 1; i < n - 1; i++)
        k = k * 10 + (size_t)(s[i] - '0');
    *type_len = us - 1;
    *num = k;
    return 1;
}

void guard_placeholders_reserve(struct guard_placeholders *p, const char *text, size_t len)
{
    if (p == NULL || p->n > 0 || len == 0)
        return; /* numbers already given would not move: reserve before the first _add */
    size_t before = p->n_reserved;
    for (const char *lt = memchr(text, '<', len); lt != NULL;
         lt = memchr(lt + 1, '<', len - (size_t)(lt + 1 - text))) {
        size_t at = (size_t)(lt - text), lim = len - at < GUARD_PLACEHOLDER_MAX ? len - at : GUARD_PLACEHOLDER_MAX;
        const char *gt = lim > 1 ? memchr(lt + 1, '>', lim - 1) : NULL;
        size_t tl, num;
        if (gt == NULL || !parse_placeholder(lt, (size_t)(gt - lt) + 1, &tl, &num))
            continue;
        if (p->n_reserved == p->cap_reserved) {
            p->cap_reserved = p->cap_reserved ? p->cap_reserved * 2 : 8;
            p->reserved = util_realloc(p->reserved, p->cap_reserved * sizeof(*p->reserved));
        }
        p->reserved[p->n_reserved].type_hash = hash_of(0, lt + 1, tl);
        p->reserved[p->n_reserved].num = num;
        p->n_reserved++;
    }
    if (p->n_reserved > before)
        qsort(p->reserved, p->n_reserved, sizeof(*p->reserved), reserved_cmp);
}

/* The entry whose placeholder is exactly s[0..n) ("<TYPE_k>"), or NULL. */
static const struct ph_entry *lookup_placeholder(const struct guard_placeholders *p, const char *s, size_t n)
{
    size_t tl, k;
    if (!parse_placeholder(s, n, &tl, &k) || k > p->max_num)
        return NULL;
    for (size_t i = 0; i < p->n_types; i++) {
        const struct ph_type *t = &p->types[i];
        if (t->name_len != tl || memcmp(t->name, s + 1, tl) != 0)
            continue;
        size_t lo = 0, hi = t->n; /* entries are in increasing number order */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            const struct ph_entry *e = &p->entries[t->entries[mid]];
            if (e->num == k)
                return e;
            if (e->num < k)
                lo = mid + 1;
            else
                hi = mid;
        }
        return NULL;
    }
    return NULL;
}

/* Could s[0..n) (starting with '<', no '>') still grow into a known placeholder? */
static int placeholder_prefix(const struct guard_placeholders *p, const char *s, size_t n)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->entries[i].ph_len > n && !memcmp(p->entries[i].ph, s, n))
            return 1;
    return 0;
}

/* An original, as is or escaped for the inside of a JSON string (without the quotes). */
static int append_value(struct util_buf *out, const struct ph_entry *e, int json)
{
    if (!json)
        return util_buf_append(out, e->value, e->len);
    size_t before = out->len;
    if (util_buf_append_json_string(out, e->value, e->len) != 0)
        return -1;
    /* drop the quotes the helper adds */
    memmove(out->data + before, out->data + before + 1, out->len - before - 2);
    out->len -= 2;
    return 0;
}

/* Processes text, appending restored output; when stream is set, a tail that may
 * still become a placeholder is not processed and its offset is returned. */
static size_t restore_into(const struct guard_placeholders *p, const char *text, size_t len, int stream, int json,
                           struct util_buf *out, int *err, int *changed)
{
    size_t i = 0, from = 0;
    while (i < len) {
        const char *lt = memchr(text + i, '<', len - i);
        if (lt == NULL)
            break;
        size_t j = (size_t)(lt - text);
        size_t lim = len - j < GUARD_PLACEHOLDER_MAX ? len - j : GUARD_PLACEHOLDER_MAX;
        const char *gt = memchr(text + j + 1, '>', lim - 1);
        const struct ph_entry *e = gt ? lookup_placeholder(p, text + j, (size_t)(gt - (text + j)) + 1) : NULL;
        if (e != NULL) {
            *err |= util_buf_append(out, text + from, j - from) != 0;
            *err |= append_value(out, e, json) != 0;
            *changed = 1;
            i = from = (size_t)(gt - text) + 1;
            continue;
        }
        if (stream && gt == NULL && placeholder_prefix(p, text + j, len - j)) {
            *err |= util_buf_append(out, text + from, j - from) != 0;
            return j;
        }
        i = j + 1;
    }
    *err |= util_buf_append(out, text + from, len - from) != 0;
    return len;
}

static char *restore_text(const struct guard_placeholders *p, const char *text, size_t len, int json, size_t *outlen)
{
    *outlen = 0;
    if (p == NULL || p->n == 0 || p->one_way || memchr(text, '<', len) == NULL)
        return NULL;
    struct util_buf out;
    util_buf_init(&out, SIZE_MAX);
    int err = 0, changed = 0;
    restore_into(p, text, len, 0, json, &out, &err, &changed);
    if (!changed || err) {
        util_buf_free(&out);
        return NULL;
    }
    return util_buf_take(&out, outlen);
}

char *guard_placeholders_restore(const struct guard_placeholders *p, const char *text, size_t len, size_t *outlen)
{
    return restore_text(p, text, len, 0, outlen);
}

char *guard_placeholders_restore_json(const struct guard_placeholders *p, const char *text, size_t len, size_t *outlen)
{
    return restore_text(p, text, len, 1, outlen);
}

struct guard_restorer *guard_restorer_new(const struct guard_placeholders *p)
{
    struct guard_restorer *r = util_calloc(1, sizeof(*r));
    r->map = p;
    return r;
}

struct guard_restorer *guard_restorer_new_json(const struct guard_placeholders *p)
{
    struct guard_restorer *r = guard_restorer_new(p);
    r->json = 1;
    return r;
}

void guard_restorer_free(struct guard_restorer *r)
{
    free(r);
}

size_t guard_restorer_pending(const struct guard_restorer *r)
{
    return r ? r->n_held : 0;
}

int guard_restorer_feed(struct guard_restorer *r, const char *in, size_t len, struct util_buf *out)
{
    int err = 0, changed = 0;
    if (r->map == NULL || r->map->n == 0 || r->map->one_way) {
        /* nothing to restore: pass through (after anything held, which cannot exist here) */
        return util_buf_append(out, in, len) ? WARDEN_ETOOBIG : 0;
    }
    /* Held bytes (< GUARD_PLACEHOLDER_MAX) are joined with just enough new
     * input to decide them; the rest of the input is processed in place. */
    size_t i = 0;
    while (r->n_held > 0 && i < len) {
        size_t take = len - i < GUARD_PLACEHOLDER_MAX - r->n_held ? len - i : GUARD_PLACEHOLDER_MAX - r->n_held;
        char tmp[2 * GUARD_PLACEHOLDER_MAX];
        memcpy(tmp, r->held, r->n_held);
        memcpy(tmp + r->n_held, in + i, take);
        size_t n = r->n_held + take;
        const char *gt = memchr(tmp + 1, '>', n - 1);
        if (gt == NULL && placeholder_prefix(r->map, tmp, n)) {
            /* still undecided: everything taken is held */
            memcpy(r->held, tmp, n);
            r->n_held = n;
            i += take;
            continue;
        }
        /* decided: a known placeholder (restore it) or not one (release the '<') */
        const struct ph_entry *e = gt ? lookup_placeholder(r->map, tmp, (size_t)(gt - tmp) + 1) : NULL;
        size_t consumed_tmp;
        if (e != NULL) {
            err |= append_value(out, e, r->json) != 0;
            consumed_tmp = (size_t)(gt - tmp) + 1;
        } else {
            err |= util_buf_append(out, tmp, 1) != 0;
            consumed_tmp = 1;
        }
        /* what was held beyond consumed_tmp goes back through the normal path */
        size_t rest_held = consumed_tmp < r->n_held ? r->n_held - consumed_tmp : 0;
        size_t from_input = consumed_tmp > r->n_held ? consumed_tmp - r->n_held : 0;
        char again[GUARD_PLACEHOLDER_MAX];
        memcpy(again, r->held + consumed_tmp, rest_held);
        r->n_held = 0;
        i += from_input;
        if (rest_held > 0) {
            size_t stop = restore_into(r->map, again, rest_held, 1, r->json, out, &err, &changed);
            memcpy(r->held, again + stop, rest_held - stop);
            r->n_held = rest_held - stop;
        }
    }
    if (i < len) {
        size_t stop = restore_into(r->map, in + i, len - i, 1, r->json, out, &err, &changed);
        size_t keep = len - i - stop;
        memcpy(r->held + r->n_held, in + i + stop, keep);
        r->n_held += keep;
    }
    return err ? WARDEN_ETOOBIG : 0;
}

int guard_restorer_finish(struct guard_restorer *r, struct util_buf *out)
{
    int err = 0, changed = 0;
    if (r->n_held > 0)
        restore_into(r->map, r->held, r->n_held, 0, r->json, out, &err, &changed);
    r->n_held = 0;
    return err ? WARDEN_ETOOBIG : 0;
}

/* ---- hiding the originals again (audit records) ---- */

/* value as the inside of a JSON string (quotes stripped); NULL if it cannot be encoded */
static char *json_inner(const char *v, size_t len, size_t flags, size_t *outlen)
{
    json_t *j = json_stringn(v, len);
    char *d = j ? json_dumps(j, JSON_ENCODE_ANY | flags) : NULL;
    json_decref(j);
    if (d == NULL)
        return NULL;
    size_t n = strlen(d);
    memmove(d, d + 1, n - 2);
    d[n - 2] = '\0';
    *outlen = n - 2;
    return d;
}

/* value as our own JSON writer puts it inside a string (util_buf_append_json_chars: what a
 * restore into JSON and a splice into the body write; a control character goes out as
 * \u00XX where jansson writes \n); NULL if it has nothing to escape. */
static char *writer_inner(const char *v, size_t len, size_t flags, size_t *outlen)
{
    (void)flags;
    struct util_buf b;
    util_buf_init(&b, SIZE_MAX);
    if (util_buf_append_json_chars(&b, v, len) != 0 || (b.len == len && memcmp(b.data, v, len) == 0)) {
        util_buf_free(&b);
        return NULL;
    }
    return util_buf_take(&b, outlen);
}

/* Replaces every occurrence of form (flen bytes) in *buf by ph; 1 if any. */
static int replace_all(struct util_buf *buf, const char *form, size_t flen, const char *ph, size_t ph_len)
{
    if (flen == 0 || buf->len < flen || memmem(buf->data, buf->len, form, flen) == NULL)
        return 0;
    struct util_buf out;
    util_buf_init(&out, SIZE_MAX);
    size_t at = 0;
    const char *hit;
    while ((hit = memmem(buf->data + at, buf->len - at, form, flen)) != NULL) {
        size_t pos = (size_t)(hit - buf->data);
        util_buf_append(&out, buf->data + at, pos - at);
        util_buf_append(&out, ph, ph_len);
        at = pos + flen;
    }
    util_buf_append(&out, buf->data + at, buf->len - at);
    util_buf_free(buf);
    *buf = out;
    return 1;
}

static int entry_longer_first(const void *a, const void *b)
{
    const struct ph_entry *x = *(const struct ph_entry *const *)a, *y = *(const struct ph_entry *const *)b;
    return x->len > y->len ? -1 : x->len < y->len;
}

/* Replaces e's value escaped once and twice by escape (json_inner, writer_inner) with its placeholder; 1 if any. */
static int replace_escaped(struct util_buf *buf, const struct ph_entry *e,
                           char *(*escape)(const char *, size_t, size_t, size_t *), size_t flags)
{
    size_t l1, l2;
    int changed = 0;
    char *once = escape(e->value, e->len, flags, &l1);
    char *twice = once ? escape(once, l1, flags, &l2) : NULL;
    if (once != NULL)
        changed |= replace_all(buf, once, l1, e->ph, e->ph_len);
    if (twice != NULL)
        changed |= replace_all(buf, twice, l2, e->ph, e->ph_len);
    free(once);
    free(twice);
    return changed;
}

char *guard_placeholders_hide(const struct guard_placeholders *p, const char *text, size_t len, size_t *outlen)
{
    *outlen = 0;
    if (p == NULL || p->n == 0 || len == 0)
        return NULL;
    const struct ph_entry **order = util_calloc(p->n, sizeof(*order));
    for (size_t i = 0; i < p->n; i++)
        order[i] = &p->entries[i];
    /* a longer original first: one that contains a shorter one is replaced whole */
    qsort(order, p->n, sizeof(*order), entry_longer_first);
    struct util_buf buf;
    util_buf_init(&buf, SIZE_MAX);
    util_buf_append(&buf, text, len);
    int changed = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct ph_entry *e = order[i];
        changed |= replace_all(&buf, e->value, e->len, e->ph, e->ph_len);
        /* the forms a JSON body holds: escaped once (content), twice (tool-call arguments), \u-escaped,
         * and as our own writer escapes */
        changed |= replace_escaped(&buf, e, json_inner, 0);
        changed |= replace_escaped(&buf, e, json_inner, JSON_ENSURE_ASCII);
        changed |= replace_escaped(&buf, e, writer_inner, 0);
    }
    free(order);
    if (!changed) {
        util_buf_free(&buf);
        return NULL;
    }
    return util_buf_take(&buf, outlen);
}
