/* Schema compilation: JSON document -> graph of flat struct schema_node.
 *
 * Two passes over a private deep copy of the document:
 *
 *  1. scan() walks every position where a subschema may stand (properties/x, items, allOf/0, $defs/x
 *     ...; never enum/const contents) carrying the current base URI. It records, per schema object,
 *     its base URI and its keyword location, and registers every resource ($id) and $anchor under
 *     its absolute URI.
 *  2. compile_node() turns one schema object into a node, recursing into subschemas. Each object is
 *     compiled at most once (memoised by pointer), which is what keeps recursive schemas from
 *     looping: a cycle through $ref ends at a node that is already being built. $ref values are
 *     queued and resolved after the tree is built; a target that pass 1 never saw (a JSON pointer
 *     into an unknown keyword) is scanned and compiled on demand, which may queue more refs, so the
 *     queue is drained until empty.
 *
 * Every compile error is fatal and the first one wins; it names the keyword location. Strings held
 * by nodes (property names, required names, ref text) point into the deep copy, which lives as long
 * as the compiled schema. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema_int.h"
#include "util/alloc.h"
#include "util/fmt.h"

#define MATCH_LIMIT 200000 /* pcre2 backtracking steps per match: a hostile pattern fails, never hangs */
#define DEPTH_LIMIT 10000

struct info {
    const json_t *json;
    const char *base; /* owned by cctx.strs */
    const char *path; /* owned by cctx.strs */
    struct schema_node *node;
};

struct uri_entry {
    const char *uri; /* absolute URI; anchors include "#name" */
    const json_t *json;
};

struct pending {
    struct schema_node *node;
    const char *ref;
    const char *base;
};

struct cctx {
    struct schema *s;
    int draft7;
    char *err;
    size_t errsz;
    int failed;
    struct info *infos;
    size_t ninfos, capinfos;
    size_t *hash; /* open addressing over infos; index + 1, 0 = empty */
    size_t hashcap;
    struct uri_entry *uris;
    size_t nuris, capuris;
    struct pending *pend;
    size_t npend, cappend;
    char **strs;
    size_t nstrs, capstrs;
    pcre2_compile_context *pcctx;
};

#define GROW(arr, n, cap)                                                                                                          \
    do {                                                                                                                           \
        if ((n) == (cap)) {                                                                                                        \
            (cap) = (cap) ? (cap)*2 : 16;                                                                                          \
            (arr) = util_realloc((arr), (cap) * sizeof(*(arr)));                                                                   \
        }                                                                                                                          \
    } while (0)

static void fail(struct cctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct cctx *c, const char *fmt, ...)
{
    if (c->failed)
        return;
    c->failed = 1;
    if (c->err && c->errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errsz, fmt, ap);
        va_end(ap);
    }
}

static const char *keep(struct cctx *c, char *s)
{
    GROW(c->strs, c->nstrs, c->capstrs);
    c->strs[c->nstrs++] = s;
    return s;
}

/* ---- strings and URIs ---- */

static char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = util_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* path + "/" + kw [+ "/" + escaped key | index]; JSON pointer escaping (~0 ~1). */
static char *path_join(const char *path, const char *kw, const char *key, size_t keylen, long idx)
{
    size_t cap = strlen(path) + strlen(kw) + 2 * keylen + 32;
    char *out = util_malloc(cap);
    size_t n = (size_t)snprintf(out, cap, "%s/%s", path, kw);
    if (key) {
        out[n++] = '/';
        for (size_t i = 0; i < keylen; i++) {
            if (key[i] == '~') {
                out[n++] = '~';
                out[n++] = '0';
            } else if (key[i] == '/') {
                out[n++] = '~';
                out[n++] = '1';
            } else {
                out[n++] = key[i] ? key[i] : '?';
            }
        }
        out[n] = '\0';
    } else if (idx >= 0) {
        snprintf(out + n, cap - n, "/%ld", idx);
    }
    return out;
}

struct uri_parts {
    const char *scheme, *auth, *path, *query, *frag;
    size_t nscheme, nauth, npath, nquery, nfrag;
    int has_scheme, has_auth, has_query, has_frag;
};

static void uri_parse(const char *s, struct uri_parts *u)
{
    memset(u, 0, sizeof(*u));
    const char *p = s;
    const char *q = p;
    while (*q && *q != ':' && *q != '/' && *q != '?' && *q != '#')
        q++;
    if (*q == ':' && q > p && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
        u->has_scheme = 1;
        u->scheme = p;
        u->nscheme = (size_t)(q - p);
        p = q + 1;
    }
    if (p[0] == '/' && p[1] == '/') {
        p += 2;
        q = p;
        while (*q && *q != '/' && *q != '?' && *q != '#')
            q++;
        u->has_auth = 1;
        u->auth = p;
        u->nauth = (size_t)(q - p);
        p = q;
    }
    q = p;
    while (*q && *q != '?' && *q != '#')
        q++;
    u->path = p;
    u->npath = (size_t)(q - p);
    p = q;
    if (*p == '?') {
        q = ++p;
        while (*q && *q != '#')
            q++;
        u->has_query = 1;
        u->query = p;
        u->nquery = (size_t)(q - p);
        p = q;
    }
    if (*p == '#') {
        u->has_frag = 1;
        u->frag = p + 1;
        u->nfrag = strlen(p + 1);
    }
}

/* RFC 3986 5.2.4 remove_dot_segments; out has room for n + 1 bytes. */
static size_t remove_dots(const char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    while (i < n) {
        if (n - i >= 3 && !strncmp(in + i, "../", 3)) {
            i += 3;
        } else if (n - i >= 2 && !strncmp(in + i, "./", 2)) {
            i += 2;
        } else if (n - i >= 3 && !strncmp(in + i, "/./", 3)) {
            i += 2;
        } else if (n - i == 2 && !strncmp(in + i, "/.", 2)) {
            i += 1;
            out[o++] = '/';
            i = n;
        } else if ((n - i >= 4 && !strncmp(in + i, "/../", 4)) || (n - i == 3 && !strncmp(in + i, "/..", 3))) {
            int last = (n - i == 3);
            i += 3;
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
            if (last) {
                out[o++] = '/';
                i = n;
            }
        } else if ((n - i == 1 && in[i] == '.') || (n - i == 2 && !strncmp(in + i, "..", 2))) {
            i = n;
        } else {
            if (in[i] == '/')
                out[o++] = in[i++];
            while (i < n && in[i] != '/')
                out[o++] = in[i++];
        }
    }
    out[o] = '\0';
    return o;
}

/* Resolves reference ref against base (RFC 3986 5.2.2); the result is malloc'ed. */
static char *uri_resolve(const char *base, const char *ref)
{
    struct uri_parts b, r;
    uri_parse(base, &b);
    uri_parse(ref, &r);
    size_t cap = strlen(base) + strlen(ref) + 8;
    char *merged = util_malloc(cap);
    char *path = util_malloc(cap);
    const struct uri_parts *sa; /* where scheme comes from */
    const struct uri_parts *aa; /* where authority comes from */
    const char *query = NULL;
    size_t nquery = 0;
    int has_query = 0;
    if (r.has_scheme) {
        sa = aa = &r;
        remove_dots(r.path, r.npath, path);
        has_query = r.has_query, query = r.query, nquery = r.nquery;
    } else if (r.has_auth) {
        sa = &b, aa = &r;
        remove_dots(r.path, r.npath, path);
        has_query = r.has_query, query = r.query, nquery = r.nquery;
    } else {
        sa = aa = &b;
        if (r.npath == 0) {
            memcpy(path, b.path, b.npath);
            path[b.npath] = '\0';
            if (r.has_query)
                has_query = 1, query = r.query, nquery = r.nquery;
            else
                has_query = b.has_query, query = b.query, nquery = b.nquery;
        } else {
            if (r.path[0] == '/') {
                remove_dots(r.path, r.npath, path);
            } else {
                size_t m = 0;
                if (b.has_auth && b.npath == 0) {
                    merged[m++] = '/';
                } else {
                    size_t k = b.npath;
                    while (k > 0 && b.path[k - 1] != '/')
                        k--;
                    memcpy(merged, b.path, k);
                    m = k;
                }
                memcpy(merged + m, r.path, r.npath);
                m += r.npath;
                remove_dots(merged, m, path);
            }
            has_query = r.has_query, query = r.query, nquery = r.nquery;
        }
    }
    char *out = strf("%.*s%s%s%.*s%s%s%.*s%s%.*s", (int)sa->nscheme, sa->has_scheme ? sa->scheme : "", sa->has_scheme ? ":" : "",
                     aa->has_auth ? "//" : "", (int)aa->nauth, aa->has_auth ? aa->auth : "", path, has_query ? "?" : "",
                     (int)nquery, has_query ? query : "", r.has_frag ? "#" : "", (int)r.nfrag, r.has_frag ? r.frag : "");
    free(merged);
    free(path);
    return out;
}

/* In-place percent-decoding; returns the new length (may contain NUL bytes). */
static size_t pct_decode(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && util_hexval(s[i + 1]) >= 0 && util_hexval(s[i + 2]) >= 0) {
            s[o++] = (char)(util_hexval(s[i + 1]) * 16 + util_hexval(s[i + 2]));
            i += 2;
        } else {
            s[o++] = s[i];
        }
    }
    s[o] = '\0';
    return o;
}

/* ---- bookkeeping maps ---- */

static size_t ptr_hash(const void *p, size_t cap)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

static struct info *info_find(struct cctx *c, const json_t *j)
{
    if (!c->hashcap)
        return NULL;
    for (size_t h = ptr_hash(j, c->hashcap);; h = (h + 1) & (c->hashcap - 1)) {
        size_t v = c->hash[h];
        if (!v)
            return NULL;
        if (c->infos[v - 1].json == j)
            return &c->infos[v - 1];
    }
}

static void hash_insert(struct cctx *c, const json_t *j, size_t idx1)
{
    size_t h = ptr_hash(j, c->hashcap);
    while (c->hash[h])
        h = (h + 1) & (c->hashcap - 1);
    c->hash[h] = idx1;
}

static struct info *info_add(struct cctx *c, const json_t *j, const char *base, const char *path)
{
    if ((c->ninfos + 1) * 2 > c->hashcap) {
        size_t cap = c->hashcap ? c->hashcap * 2 : 64;
        free(c->hash);
        c->hash = util_calloc(cap, sizeof(*c->hash));
        c->hashcap = cap;
        for (size_t i = 0; i < c->ninfos; i++)
            hash_insert(c, c->infos[i].json, i + 1);
    }
    GROW(c->infos, c->ninfos, c->capinfos);
    struct info *in = &c->infos[c->ninfos++];
    in->json = j;
    in->base = base;
    in->path = path;
    in->node = NULL;
    hash_insert(c, j, c->ninfos);
    return in;
}

static const json_t *uri_find(struct cctx *c, const char *uri)
{
    for (size_t i = 0; i < c->nuris; i++)
        if (!strcmp(c->uris[i].uri, uri))
            return c->uris[i].json;
    return NULL;
}

static void uri_add(struct cctx *c, const char *uri, const json_t *j)
{
    if (uri_find(c, uri))
        return; /* first definition wins */
    GROW(c->uris, c->nuris, c->capuris);
    c->uris[c->nuris].uri = uri;
    c->uris[c->nuris].json = j;
    c->nuris++;
}

/* Strips the fragment (an empty "#" too) from a malloc'ed URI, in place. */
static char *strip_frag(char *uri, char **frag)
{
    char *h = strchr(uri, '#');
    *frag = NULL;
    if (h) {
        *h = '\0';
        *frag = h + 1;
    }
    return uri;
}

/* ---- pass 1: ids, anchors, bases, locations ---- */

static const char *const single_kws[] = {
    "additionalProperties",  "propertyNames",    "additionalItems", "contains", "not", "if", "then", "else",
    "unevaluatedProperties", "unevaluatedItems", "contentSchema",   "items",    NULL};
static const char *const map_kws[] = {"properties",       "patternProperties", "$defs", "definitions",
                                      "dependentSchemas", "dependencies",      NULL};
static const char *const array_kws[] = {"allOf", "anyOf", "oneOf", "prefixItems", "items", NULL};

static void scan(struct cctx *c, const json_t *j, const char *base, const char *path)
{
    if (!json_is_object(j) || info_find(c, j))
        return;
    const json_t *ref = json_object_get(j, "$ref");
    int siblings = !(c->draft7 && ref);
    const json_t *id = json_object_get(j, "$id");
    if (siblings && json_is_string(id)) {
        const char *ids = json_string_value(id);
        if (c->draft7 && ids[0] == '#') {
            uri_add(c, keep(c, strf("%s%s", base, ids)), j);
        } else {
            char *frag;
            char *abs = strip_frag(uri_resolve(base, ids), &frag);
            base = keep(c, abs);
            uri_add(c, base, j);
            if (frag && *frag && c->draft7)
                uri_add(c, keep(c, strf("%s#%s", base, frag)), j);
        }
    }
    const json_t *anchor = json_object_get(j, "$anchor");
    if (siblings && json_is_string(anchor))
        uri_add(c, keep(c, strf("%s#%s", base, json_string_value(anchor))), j);
    info_add(c, j, base, path);
    if (!siblings)
        return;
    for (int k = 0; single_kws[k]; k++) {
        const json_t *v = json_object_get(j, single_kws[k]);
        if (json_is_object(v))
            scan(c, v, base, keep(c, path_join(path, single_kws[k], NULL, 0, -1)));
    }
    for (int k = 0; map_kws[k]; k++) {
        const json_t *m = json_object_get(j, map_kws[k]);
        if (!json_is_object(m))
            continue;
        void *it = json_object_iter((json_t *)m);
        for (; it; it = json_object_iter_next((json_t *)m, it)) {
            const json_t *v = json_object_iter_value(it);
            if (json_is_object(v))
                scan(c, v, base, keep(c, path_join(path, map_kws[k], json_object_iter_key(it), json_object_iter_key_len(it), -1)));
        }
    }
    for (int k = 0; array_kws[k]; k++) {
        const json_t *a = json_object_get(j, array_kws[k]);
        if (!json_is_array(a))
            continue;
        for (size_t i = 0; i < json_array_size(a); i++)
            scan(c, json_array_get(a, i), base, keep(c, path_join(path, array_kws[k], NULL, 0, (long)i)));
    }
}

/* ---- pass 2: nodes ---- */

static struct schema_node *node_new(struct cctx *c, const char *path)
{
    struct schema *s = c->s;
    struct schema_node *n = util_calloc(1, sizeof(*n));
    n->path = util_strdup(path);
    n->boolean = -1;
    n->min_props = n->max_props = -1;
    n->min_items = n->max_items = -1;
    n->min_len = n->max_len = -1;
    n->min_contains = 1;
    n->max_contains = -1;
    GROW(s->nodes, s->nnodes, s->capnodes);
    s->nodes[s->nnodes++] = n;
    return n;
}

static struct schema_node *compile_node(struct cctx *c, const json_t *j, const char *base, const char *path);

static struct schema_node *sub(struct cctx *c, const json_t *j, const char *base, const char *path, const char *kw)
{
    char *p = path_join(path, kw, NULL, 0, -1);
    struct schema_node *n = compile_node(c, j, base, keep(c, p));
    return n;
}

static int get_count(struct cctx *c, const json_t *v, const char *kw, const char *path, json_int_t *out)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d >= 0 && d < 9.0e18 && floor(d) == d) {
            *out = (json_int_t)d;
            return 0;
        }
    }
    fail(c, "%s must be a non-negative integer at %s", kw, path);
    return -1;
}

static int get_num(struct cctx *c, const json_t *v, const char *kw, const char *path, struct schema_num *out)
{
    if (!json_is_number(v)) {
        fail(c, "%s must be a number at %s", kw, path);
        return -1;
    }
    out->set = 1;
    out->is_int = json_is_integer(v);
    out->i = out->is_int ? json_integer_value(v) : 0;
    out->d = json_number_value(v);
    return 0;
}

/* ECMA-262 regexes on PCRE2 without PCRE2_UCP, so that \d \w \b stay ASCII as in ECMA; ECMA's \s
 * however is Unicode whitespace, so \s is rewritten to an explicit class (inside a class, its
 * members are spliced in). \S inside a class is left to PCRE2's ASCII meaning. */
#define ECMA_WS "\\s\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"

/* ECMA \p{...} accepts long General_Category names and "gc="/"Script=" prefixes that PCRE2 10.42
 * does not; map them to the short forms. Unknown names pass through for PCRE2 to judge. */
static const char *property_name(const char *name, size_t len, size_t *outlen)
{
    static const char *const map[][2] = {
        {"Letter", "L"},
        {"Cased_Letter", "L&"},
        {"Uppercase_Letter", "Lu"},
        {"Lowercase_Letter", "Ll"},
        {"Titlecase_Letter", "Lt"},
        {"Modifier_Letter", "Lm"},
        {"Other_Letter", "Lo"},
        {"Mark", "M"},
        {"Nonspacing_Mark", "Mn"},
        {"Spacing_Mark", "Mc"},
        {"Enclosing_Mark", "Me"},
        {"Number", "N"},
        {"Decimal_Number", "Nd"},
        {"digit", "Nd"},
        {"Letter_Number", "Nl"},
        {"Other_Number", "No"},
        {"Punctuation", "P"},
        {"punct", "P"},
        {"Connector_Punctuation", "Pc"},
        {"Dash_Punctuation", "Pd"},
        {"Open_Punctuation", "Ps"},
        {"Close_Punctuation", "Pe"},
        {"Initial_Punctuation", "Pi"},
        {"Final_Punctuation", "Pf"},
        {"Other_Punctuation", "Po"},
        {"Symbol", "S"},
        {"Math_Symbol", "Sm"},
        {"Currency_Symbol", "Sc"},
        {"Modifier_Symbol", "Sk"},
        {"Other_Symbol", "So"},
        {"Separator", "Z"},
        {"Space_Separator", "Zs"},
        {"Line_Separator", "Zl"},
        {"Paragraph_Separator", "Zp"},
        {"Other", "C"},
        {"Control", "Cc"},
        {"cntrl", "Cc"},
        {"Format", "Cf"},
        {"Surrogate", "Cs"},
        {"Private_Use", "Co"},
        {"Unassigned", "Cn"},
    };
    static const char *const prefixes[] = {"General_Category=", "gc=", "Script=", "sc=", "Script_Extensions=", "scx="};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t pl = strlen(prefixes[i]);
        if (len > pl && !strncmp(name, prefixes[i], pl)) {
            name += pl;
            len -= pl;
            break;
        }
    }
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strlen(map[i][0]) == len && !strncmp(name, map[i][0], len)) {
            *outlen = strlen(map[i][1]);
            return map[i][1];
        }
    }
    *outlen = len;
    return name;
}

static char *ecma_translate(const char *src, size_t len, size_t *outlen)
{
    size_t cap = len * 4 + sizeof(ECMA_WS) * 4 + 16, n = 0;
    int in_class = 0;
    char *out = util_malloc(cap);
    for (size_t i = 0; i < len; i++) {
        if (n + sizeof(ECMA_WS) + 8 > cap) {
            cap *= 2;
            out = util_realloc(out, cap);
        }
        char ch = src[i];
        if (ch == '\\' && i + 1 < len) {
            char nx = src[++i];
            if ((nx == 'p' || nx == 'P') && i + 1 < len && src[i + 1] == '{') {
                const char *close = memchr(src + i + 2, '}', len - i - 2);
                if (close) {
                    size_t nl = (size_t)(close - (src + i + 2));
                    const char *name = property_name(src + i + 2, nl, &nl);
                    if (n + nl + 8 > cap) {
                        cap = cap * 2 + nl;
                        out = util_realloc(out, cap);
                    }
                    n += (size_t)sprintf(out + n, "\\%c{%.*s}", nx, (int)nl, name);
                    i = (size_t)(close - src);
                    continue;
                }
            }
            if (nx == 's' || (nx == 'S' && !in_class)) {
                const char *pre = in_class ? "" : (nx == 's' ? "[" : "[^");
                n += (size_t)sprintf(out + n, "%s%s%s", pre, ECMA_WS, in_class ? "" : "]");
            } else {
                out[n++] = '\\';
                out[n++] = nx;
            }
            continue;
        }
        if (ch == '[' && !in_class)
            in_class = 1;
        else if (ch == ']' && in_class)
            in_class = 0;
        out[n++] = ch;
    }
    out[n] = '\0';
    *outlen = n;
    return out;
}

static int compile_regex(struct cctx *c, const char *src, size_t len, const char *path, struct schema_regex *out)
{
    size_t tlen;
    char *t = ecma_translate(src, len, &tlen);
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)t, tlen, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX, &ec, &off, c->pcctx);
    free(t);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        fail(c, "invalid regex \"%.*s\" at %s: %s", (int)(len > 200 ? 200 : len), src, path, (char *)msg);
        return -1;
    }
    /* Optional: the interpreter runs if JIT is unavailable. PCRE2_MATCH_INVALID_UTF is deliberately
     * not used: with JIT, 10.42 then fails "^\D$" on non-ASCII subjects. Subjects are checked for
     * valid UTF-8 by pcre2_match instead (jansson strings always are). */
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    out->re = re;
    out->src = src;
    return 0;
}

static int prop_cmp(const void *a, const void *b)
{
    const struct schema_prop *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->name, y->name, x->len);
}

static int parse_type_name(const char *t)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"null", SCHEMA_T_NULL},      {"boolean", SCHEMA_T_BOOLEAN}, {"object", SCHEMA_T_OBJECT},
                 {"array", SCHEMA_T_ARRAY},    {"number", SCHEMA_T_NUMBER},   {"string", SCHEMA_T_STRING},
                 {"integer", SCHEMA_T_INTEGER}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(t, names[i].name))
            return (int)names[i].bit;
    return 0;
}

static int parse_strlist(struct cctx *c, const json_t *a, const char *kw, const char *path, struct schema_strlist *out)
{
    if (!json_is_array(a)) {
        fail(c, "%s must be an array of strings at %s", kw, path);
        return -1;
    }
    size_t n = json_array_size(a);
    out->names = util_calloc(n ? n : 1, sizeof(*out->names));
    out->lens = util_calloc(n ? n : 1, sizeof(*out->lens));
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_string(v)) {
            fail(c, "%s must be an array of strings at %s", kw, path);
            return -1;
        }
        out->names[i] = json_string_value(v);
        out->lens[i] = json_string_length(v);
    }
    return 0;
}

static struct schema_node **parse_schema_array(struct cctx *c, const json_t *a, const char *kw, const char *base, const char *path,
                                               size_t *n)
{
    if (!json_is_array(a) || (json_array_size(a) == 0 && strcmp(kw, "prefixItems") && strcmp(kw, "items"))) {
        fail(c, "%s must be a non-empty array of schemas at %s", kw, path);
        return NULL;
    }
    *n = json_array_size(a);
    struct schema_node **arr = util_calloc(*n ? *n : 1, sizeof(*arr));
    for (size_t i = 0; i < *n && !c->failed; i++)
        arr[i] = compile_node(c, json_array_get(a, i), base, keep(c, path_join(path, kw, NULL, 0, (long)i)));
    return arr;
}

static struct schema_prop *parse_schema_map(struct cctx *c, const json_t *m, const char *kw, const char *base, const char *path,
                                            size_t *n)
{
    if (!json_is_object(m)) {
        fail(c, "%s must be an object of schemas at %s", kw, path);
        return NULL;
    }
    *n = json_object_size(m);
    struct schema_prop *arr = util_calloc(*n ? *n : 1, sizeof(*arr));
    size_t i = 0;
    for (void *it = json_object_iter((json_t *)m); it && !c->failed; it = json_object_iter_next((json_t *)m, it), i++) {
        arr[i].name = json_object_iter_key(it);
        arr[i].len = json_object_iter_key_len(it);
        arr[i].node = compile_node(c, json_object_iter_value(it), base, keep(c, path_join(path, kw, arr[i].name, arr[i].len, -1)));
    }
    return arr;
}

static void add_pending(struct cctx *c, struct schema_node *n, const char *ref, const char *base)
{
    GROW(c->pend, c->npend, c->cappend);
    c->pend[c->npend].node = n;
    c->pend[c->npend].ref = ref;
    c->pend[c->npend].base = base;
    c->npend++;
}

static void compile_keywords(struct cctx *c, struct schema_node *n, const json_t *j, const char *base, const char *path)
{
    const json_t *v;
    if ((v = json_object_get(j, "$ref"))) {
        if (!json_is_string(v))
            return fail(c, "$ref must be a string at %s", path);
        n->ref_str = json_string_value(v);
        add_pending(c, n, n->ref_str, base);
        if (c->draft7)
            return; /* draft-07: $ref ignores its siblings */
    }
    if ((v = json_object_get(j, "$id")) && !json_is_string(v))
        return fail(c, "$id must be a string at %s", path);
    if ((v = json_object_get(j, "$anchor")) && !json_is_string(v))
        return fail(c, "$anchor must be a string at %s", path);
    if ((v = json_object_get(j, "type"))) {
        if (json_is_string(v)) {
            n->types = (unsigned)parse_type_name(json_string_value(v));
            if (!n->types)
                return fail(c, "unknown type \"%s\" at %s", json_string_value(v), path);
        } else if (json_is_array(v)) {
            for (size_t i = 0; i < json_array_size(v); i++) {
                const json_t *t = json_array_get(v, i);
                int bit = json_is_string(t) ? parse_type_name(json_string_value(t)) : 0;
                if (!bit)
                    return fail(c, "type must be a type name or an array of type names at %s", path);
                n->types |= (unsigned)bit;
            }
            if (!n->types)
                n->types = 1u << 31; /* an empty list admits nothing */
        } else {
            return fail(c, "type must be a type name or an array of type names at %s", path);
        }
    }
    if ((v = json_object_get(j, "enum"))) {
        if (!json_is_array(v))
            return fail(c, "enum must be an array at %s", path);
        n->enum_vals = v;
    }
    if ((v = json_object_get(j, "const"))) {
        n->const_val = v;
        n->has_const = 1;
    }
    /* objects */
    if ((v = json_object_get(j, "properties"))) {
        n->props = parse_schema_map(c, v, "properties", base, path, &n->nprops);
        if (c->failed)
            return;
        qsort(n->props, n->nprops, sizeof(*n->props), prop_cmp);
    }
    if ((v = json_object_get(j, "patternProperties"))) {
        if (!json_is_object(v))
            return fail(c, "patternProperties must be an object of schemas at %s", path);
        n->pprops = util_calloc(json_object_size(v) + 1, sizeof(*n->pprops));
        for (void *it = json_object_iter((json_t *)v); it && !c->failed; it = json_object_iter_next((json_t *)v, it)) {
            const char *k = json_object_iter_key(it);
            size_t kl = json_object_iter_key_len(it);
            const char *kp = keep(c, path_join(path, "patternProperties", k, kl, -1));
            struct schema_pattern_prop *pp = &n->pprops[n->npprops++];
            if (compile_regex(c, k, kl, kp, &pp->rx) == 0)
                pp->node = compile_node(c, json_object_iter_value(it), base, kp);
        }
        if (c->failed)
            return;
    }
    if ((v = json_object_get(j, "additionalProperties")) && !(n->addl_props = sub(c, v, base, path, "additionalProperties")))
        return;
    if ((v = json_object_get(j, "propertyNames")) && !(n->prop_names = sub(c, v, base, path, "propertyNames")))
        return;
    if ((v = json_object_get(j, "required")) && parse_strlist(c, v, "required", path, &n->required))
        return;
    if ((v = json_object_get(j, "minProperties")) && get_count(c, v, "minProperties", path, &n->min_props))
        return;
    if ((v = json_object_get(j, "maxProperties")) && get_count(c, v, "maxProperties", path, &n->max_props))
        return;
    const json_t *dr = json_object_get(j, "dependentRequired");
    const json_t *ds = json_object_get(j, "dependentSchemas");
    const json_t *dep = json_object_get(j, "dependencies");
    if ((dr && !json_is_object(dr)) || (dep && !json_is_object(dep)))
        return fail(c, "%s must be an object at %s", dr && !json_is_object(dr) ? "dependentRequired" : "dependencies", path);
    size_t ndeps = json_object_size(dr) + json_object_size(dep);
    if (ndeps) {
        n->dep_req = util_calloc(ndeps, sizeof(*n->dep_req));
        n->dep_schemas = util_calloc(ndeps, sizeof(*n->dep_schemas));
    }
    for (int pass = 0; pass < 2; pass++) {
        const json_t *m = pass ? dep : dr;
        const char *kw = pass ? "dependencies" : "dependentRequired";
        for (void *it = m ? json_object_iter((json_t *)m) : NULL; it && !c->failed; it = json_object_iter_next((json_t *)m, it)) {
            const json_t *val = json_object_iter_value(it);
            const char *k = json_object_iter_key(it);
            size_t kl = json_object_iter_key_len(it);
            if (json_is_array(val) || !pass) {
                struct schema_strlist *sl = &n->dep_req[n->ndep_req++];
                sl->name = k;
                sl->len = kl;
                parse_strlist(c, val, kw, path, sl);
            } else {
                struct schema_prop *sp = &n->dep_schemas[n->ndep_schemas++];
                sp->name = k;
                sp->len = kl;
                sp->node = compile_node(c, val, base, keep(c, path_join(path, kw, k, kl, -1)));
            }
        }
    }
    if (c->failed)
        return;
    if (ds) {
        size_t cnt;
        struct schema_prop *arr = parse_schema_map(c, ds, "dependentSchemas", base, path, &cnt);
        if (c->failed) {
            free(arr);
            return;
        }
        n->dep_schemas = util_realloc(n->dep_schemas, (n->ndep_schemas + cnt + 1) * sizeof(*n->dep_schemas));
        memcpy(n->dep_schemas + n->ndep_schemas, arr, cnt * sizeof(*arr));
        n->ndep_schemas += cnt;
        free(arr);
    }
    /* arrays: 2020-12 prefixItems + items, or draft-07 array-form items + additionalItems */
    const json_t *items = json_object_get(j, "items");
    if ((v = json_object_get(j, "prefixItems")) && !(n->prefix = parse_schema_array(c, v, "prefixItems", base, path, &n->nprefix)))
        return;
    if (json_is_array(items)) {
        free(n->prefix);
        if (!(n->prefix = parse_schema_array(c, items, "items", base, path, &n->nprefix)))
            return;
        if ((v = json_object_get(j, "additionalItems")) && !(n->items = sub(c, v, base, path, "additionalItems")))
            return;
    } else if (items && !(n->items = sub(c, items, base, path, "items"))) {
        return;
    }
    if ((v = json_object_get(j, "contains")) && !(n->contains = sub(c, v, base, path, "contains")))
        return;
    if ((v = json_object_get(j, "minContains")) && get_count(c, v, "minContains", path, &n->min_contains))
        return;
    if ((v = json_object_get(j, "maxContains")) && get_count(c, v, "maxContains", path, &n->max_contains))
        return;
    if ((v = json_object_get(j, "minItems")) && get_count(c, v, "minItems", path, &n->min_items))
        return;
    if ((v = json_object_get(j, "maxItems")) && get_count(c, v, "maxItems", path, &n->max_items))
        return;
    if ((v = json_object_get(j, "uniqueItems"))) {
        if (!json_is_boolean(v))
            return fail(c, "uniqueItems must be a boolean at %s", path);
        n->unique = json_is_true(v);
    }
    /* strings */
    if ((v = json_object_get(j, "minLength")) && get_count(c, v, "minLength", path, &n->min_len))
        return;
    if ((v = json_object_get(j, "maxLength")) && get_count(c, v, "maxLength", path, &n->max_len))
        return;
    if ((v = json_object_get(j, "pattern"))) {
        if (!json_is_string(v))
            return fail(c, "pattern must be a string at %s", path);
        if (compile_regex(c, json_string_value(v), json_string_length(v), keep(c, path_join(path, "pattern", NULL, 0, -1)),
                          &n->pattern))
            return;
    }
    if ((v = json_object_get(j, "format"))) {
        if (!json_is_string(v))
            return fail(c, "format must be a string at %s", path);
        n->format = schema_format_lookup(json_string_value(v));
    }
    /* numbers */
    if ((v = json_object_get(j, "minimum")) && get_num(c, v, "minimum", path, &n->minimum))
        return;
    if ((v = json_object_get(j, "maximum")) && get_num(c, v, "maximum", path, &n->maximum))
        return;
    if ((v = json_object_get(j, "exclusiveMinimum")) && get_num(c, v, "exclusiveMinimum", path, &n->ex_minimum))
        return;
    if ((v = json_object_get(j, "exclusiveMaximum")) && get_num(c, v, "exclusiveMaximum", path, &n->ex_maximum))
        return;
    if ((v = json_object_get(j, "multipleOf"))) {
        if (get_num(c, v, "multipleOf", path, &n->multiple_of))
            return;
        if (!(n->multiple_of.d > 0))
            return fail(c, "multipleOf must be greater than 0 at %s", path);
    }
    /* applicators */
    if ((v = json_object_get(j, "allOf")) && !(n->all_of = parse_schema_array(c, v, "allOf", base, path, &n->nall_of)))
        return;
    if ((v = json_object_get(j, "anyOf")) && !(n->any_of = parse_schema_array(c, v, "anyOf", base, path, &n->nany_of)))
        return;
    if ((v = json_object_get(j, "oneOf")) && !(n->one_of = parse_schema_array(c, v, "oneOf", base, path, &n->none_of)))
        return;
    if ((v = json_object_get(j, "not")) && !(n->not_ = sub(c, v, base, path, "not")))
        return;
    if ((v = json_object_get(j, "if")) && !(n->if_ = sub(c, v, base, path, "if")))
        return;
    if ((v = json_object_get(j, "then")) && !(n->then_ = sub(c, v, base, path, "then")))
        return;
    if ((v = json_object_get(j, "else")) && !(n->else_ = sub(c, v, base, path, "else")))
        return;
    /* Definitions are compiled too so that their mistakes are reported even when unreferenced. */
    for (int k = 0; k < 2; k++) {
        const char *kw = k ? "definitions" : "$defs";
        if ((v = json_object_get(j, kw))) {
            size_t cnt;
            free(parse_schema_map(c, v, kw, base, path, &cnt));
            if (c->failed)
                return;
        }
    }
}

/* base/path are used only for an object that pass 1 never saw. */
static struct schema_node *compile_node(struct cctx *c, const json_t *j, const char *base, const char *path)
{
    if (c->failed)
        return NULL;
    if (json_is_boolean(j)) {
        struct schema_node *n = node_new(c, path);
        n->boolean = json_is_true(j);
        return n;
    }
    if (!json_is_object(j)) {
        fail(c, "schema must be an object or a boolean at %s", path);
        return NULL;
    }
    struct info *in = info_find(c, j);
    if (!in) {
        scan(c, j, base, path);
        in = info_find(c, j);
    }
    if (in->node)
        return in->node;
    struct schema_node *n = node_new(c, in->path);
    in->node = n;
    const char *b = in->base, *p = in->path; /* copy: compile_keywords may grow infos */
    compile_keywords(c, n, j, b, p);
    return c->failed ? NULL : n;
}

/* Walks a JSON pointer (already percent-decoded) from doc. */
static const json_t *pointer_walk(const json_t *doc, const char *ptr, size_t len)
{
    size_t i = 0;
    char *tok = util_malloc(len + 1);
    while (doc && i < len) {
        if (ptr[i] != '/') {
            doc = NULL;
            break;
        }
        i++;
        size_t t = 0;
        while (i < len && ptr[i] != '/') {
            if (ptr[i] == '~' && i + 1 < len && (ptr[i + 1] == '0' || ptr[i + 1] == '1')) {
                tok[t++] = ptr[i + 1] == '0' ? '~' : '/';
                i += 2;
            } else {
                tok[t++] = ptr[i++];
            }
        }
        tok[t] = '\0';
        if (json_is_object(doc)) {
            doc = json_object_getn(doc, tok, t);
        } else if (json_is_array(doc)) {
            char *end;
            if (t == 0 || (t > 1 && tok[0] == '0') || tok[0] < '0' || tok[0] > '9') {
                doc = NULL;
                break;
            }
            unsigned long idx = strtoul(tok, &end, 10);
            doc = (*end == '\0') ? json_array_get(doc, idx) : NULL;
        } else {
            doc = NULL;
        }
    }
    free(tok);
    return doc;
}

static void resolve_pending(struct cctx *c)
{
    /* Index loop: compiling a target may append more pending refs. */
    for (size_t i = 0; i < c->npend && !c->failed; i++) {
        struct pending pd = c->pend[i];
        char *frag;
        char *uri = strip_frag(uri_resolve(pd.base, pd.ref), &frag);
        const json_t *target = NULL;
        const json_t *res = uri_find(c, uri);
        if (frag && *frag && frag[0] != '/') {
            char *full = strf("%s#%s", uri, frag);
            target = uri_find(c, full);
            free(full);
        } else if (res) {
            size_t fl = frag ? pct_decode(frag, strlen(frag)) : 0;
            target = fl ? pointer_walk(res, frag, fl) : res;
        }
        if (!target) {
            free(uri);
            fail(c, "unknown $ref \"%s\" at %s", pd.ref, pd.node->path);
            return;
        }
        struct info *rin = info_find(c, res ? res : target);
        const char *tbase = rin ? rin->base : keep(c, util_strdup(uri));
        struct schema_node *t = compile_node(c, target, tbase, keep(c, strf("%s#%s", uri, frag ? frag : "")));
        free(uri);
        c->pend[i].node->ref = t;
    }
}

static void node_free(struct schema_node *n)
{
    free(n->path);
    free(n->props);
    for (size_t i = 0; i < n->npprops; i++)
        pcre2_code_free(n->pprops[i].rx.re);
    free(n->pprops);
    free(n->required.names);
    free(n->required.lens);
    for (size_t i = 0; i < n->ndep_req; i++) {
        free(n->dep_req[i].names);
        free(n->dep_req[i].lens);
    }
    free(n->dep_req);
    free(n->dep_schemas);
    free(n->prefix);
    pcre2_code_free(n->pattern.re);
    free(n->all_of);
    free(n->any_of);
    free(n->one_of);
    free(n);
}

void schema_free(struct schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nnodes; i++)
        node_free(s->nodes[i]);
    free(s->nodes);
    pcre2_match_context_free(s->mctx);
    json_decref(s->doc);
    free(s);
}

static int is_draft7_uri(const char *u)
{
    return strstr(u, "draft-07") || strstr(u, "draft-06") || strstr(u, "draft-04");
}

struct schema *schema_compile(const json_t *doc, int flags, char *err, size_t errsz)
{
    struct cctx c;
    memset(&c, 0, sizeof(c));
    c.err = err;
    c.errsz = errsz;
    if (err && errsz)
        err[0] = '\0';
    if (!doc) {
        fail(&c, "schema document is NULL");
        return NULL;
    }
    struct schema *s = util_calloc(1, sizeof(*s));
    c.s = s;
    s->flags = flags;
    s->doc = json_deep_copy(doc);
    const json_t *sv = json_object_get(s->doc, "$schema");
    c.draft7 = (flags & SCHEMA_DRAFT7) != 0;
    if (json_is_string(sv))
        c.draft7 = is_draft7_uri(json_string_value(sv)) ? 1 : 0;
    c.pcctx = pcre2_compile_context_create(NULL);
    pcre2_set_compile_extra_options(c.pcctx, PCRE2_EXTRA_ALT_BSUX);
    pcre2_set_max_pattern_length(c.pcctx, 65536);
    s->mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(s->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(s->mctx, DEPTH_LIMIT);

    scan(&c, s->doc, "", "#");
    uri_add(&c, "", s->doc); /* the root resource when it has no $id of its own */
    s->root = compile_node(&c, s->doc, "", "#");
    resolve_pending(&c);

    for (size_t i = 0; i < c.nstrs; i++)
        free(c.strs[i]);
    free(c.strs);
    free(c.infos);
    free(c.hash);
    free(c.uris);
    free(c.pend);
    pcre2_compile_context_free(c.pcctx);
    if (c.failed) {
        schema_free(s);
        return NULL;
    }
    return s;
}
