/* Multi-pattern scanner: Hyperscan detects, PCRE2 delimits regex matches.
 *
 * Why two engines: a guard that passes (the common case) must cost one fast
 * scan of the text, which only Hyperscan gives for a whole pattern set. But
 * Hyperscan's start-of-match support refuses ordinary patterns ("Pattern is
 * too large"), and its all-end-offsets match semantics do not suit redaction.
 * So regexes are compiled into Hyperscan with HS_FLAG_SINGLEMATCH and no SOM,
 * purely to learn which patterns occur; PCRE2 (JIT) then finds the spans of
 * those patterns only. Keywords are literals, so Hyperscan's SOM is exact and
 * cheap for them: keyword scans never use PCRE2, whatever the list size.
 *
 * Fallback ladder for a regex Hyperscan rejects: exact -> HS_FLAG_PREFILTER
 * (a superset, confirmed by PCRE2 anyway) -> PCRE2 on every scan. A pattern
 * that matches the empty buffer is an error, not a fallback.
 *
 * Thread safety: struct guard_scan is never written after compile (pcre2 codes
 * and the match context are read-only during matching); all per-scan state
 * lives in the caller's struct guard_scan_scratch. */
#include "guard/scan.h"
#include "guard/hs_block.h"
#include "guard/scan_int.h"


#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/err.h"

/* PCRE2 limits for fallback and span matching: a pathological pattern fails
 * the scan (the engine then applies its error policy) instead of spinning. */
#define SCAN_PCRE_MATCH_LIMIT 2000000u
#define SCAN_PCRE_HEAP_LIMIT_KIB 65536u

/* A growable match list; allocates only when something matched. */
struct scan_vec {
    struct guard_scan_match *v;
    size_t n, cap;
};

static void vec_push(struct scan_vec *vec, size_t start, size_t end, unsigned pattern)
{
    if (vec->n == vec->cap) {
        vec->cap = vec->cap ? vec->cap * 2 : 8;
        vec->v = util_realloc(vec->v, vec->cap * sizeof(*vec->v));
    }
    vec->v[vec->n].start = start;
    vec->v[vec->n].end = end;
    vec->v[vec->n].pattern = pattern;
    vec->n++;
}

/* ---- UTF-8 helpers ---- */

static int utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1, cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3, cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + n >= len)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

/* Length of the sequence a lead byte starts, 0 if it is not a lead byte. */
static size_t utf8_seqlen(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

/* Decodes the character starting at s[i] (i < len); -1 if invalid. */
static int32_t utf8_decode_at(const unsigned char *s, size_t len, size_t i)
{
    size_t n = utf8_seqlen(s[i]);
    if (n == 0 || i + n > len)
        return -1;
    if (n == 1)
        return s[i];
    int32_t cp = s[i] & (0x7F >> n);
    for (size_t k = 1; k < n; k++) {
        if ((s[i + k] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    return cp;
}

/* Word characters for keyword boundaries. Non-ASCII code points count as
 * letters except the punctuation, symbol and emoji blocks, which is what a
 * reader means by "a word" without carrying Unicode tables around. */
static int is_word_cp(int32_t cp)
{
    if (cp < 0)
        return 0;
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || cp == '_';
    if (cp <= 0xBF || cp == 0xD7 || cp == 0xF7)
        return 0;
    if ((cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x2E00 && cp <= 0x2E7F) || (cp >= 0x3000 && cp <= 0x303F) ||
        (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF0F) ||
        (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) ||
        (cp >= 0x1F000 && cp <= 0x1FAFF) || cp >= 0xE0000)
        return 0;
    return 1;
}

static int word_before(const unsigned char *s, size_t len, size_t pos)
{
    if (pos == 0)
        return 0;
    size_t i = pos - 1;
    /* Walk back over at most three continuation bytes to the lead byte. */
    for (int k = 0; k < 3 && i > 0 && (s[i] & 0xC0) == 0x80; k++)
        i--;
    int32_t cp = utf8_decode_at(s, len, i);
    if (cp >= 0 && i + utf8_seqlen(s[i]) != pos)
        cp = -1;
    return is_word_cp(cp);
}

static int word_after(const unsigned char *s, size_t len, size_t pos)
{
    return pos < len && is_word_cp(utf8_decode_at(s, len, pos));
}

static int whole_word_ok(const char *text, size_t len, size_t start, size_t end)
{
    const unsigned char *s = (const unsigned char *)text;
    return !word_before(s, len, start) && !word_after(s, len, end);
}

/* The part of text Hyperscan may see in UTF-8 mode: a streaming window can
 * begin or end in the middle of a character. */
static void utf8_trim(const char *text, size_t len, size_t *lo, size_t *hi)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t a = 0, b = len;
    while (a < len && a < 3 && (s[a] & 0xC0) == 0x80)
        a++;
    for (size_t k = 1; k <= 4 && k <= b - a; k++) {
        unsigned char c = s[b - k];
        if ((c & 0xC0) == 0x80)
            continue;
        size_t n = utf8_seqlen(c);
        if (n > k)
            b -= k;
        break;
    }
    *lo = a;
    *hi = b;
}

/* ---- compile ---- */

/* A pattern, shortened for an error message. */
static const char *excerpt(const char *p, char *buf, size_t bufsz)
{
    size_t n = strlen(p);
    if (n < bufsz)
        return p;
    snprintf(buf, bufsz, "%.*s...", (int)(bufsz - 4), p);
    return buf;
}

/* A keyword as a Hyperscan regex: every ASCII non-alphanumeric byte becomes
 * \xHH; non-ASCII bytes stay raw so UTF-8 mode sees whole characters. */
static char *escape_literal(const char *kw)
{
    size_t n = strlen(kw);
    char *out = util_malloc(n * 4 + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)kw; *p; p++) {
        unsigned c = *p;
        if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
            *o++ = (char)c;
        } else {
            o += sprintf(o, "\\x%02x", c);
        }
    }
    *o = '\0';
    return out;
}

static int has_non_ascii(const char *p)
{
    for (; *p; p++)
        if ((unsigned char)*p >= 0x80)
            return 1;
    return 0;
}

/* The PCRE2 form of a regex: whole-word wraps it in \w lookarounds so that
 * PCRE2 backtracks into a match that satisfies them. */
static pcre2_code *compile_pcre(const struct guard_scan *s, const char *pat, int utf8, char *msg, size_t msgsz)
{
    uint32_t opts = 0;
    if (s->flags & GUARD_SCAN_CASELESS)
        opts |= PCRE2_CASELESS;
    opts |= utf8 ? (PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF) : PCRE2_NEVER_UTF;
    char *wrapped = NULL;
    if (s->flags & GUARD_SCAN_WHOLE_WORD) {
        size_t n = strlen(pat);
        wrapped = util_malloc(n + 32);
        snprintf(wrapped, n + 32, "(?<!\\w)(?:%s)(?!\\w)", pat);
        pat = wrapped;
    }
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts, &ec, &eo, NULL);
    free(wrapped);
    if (!re) {
        PCRE2_UCHAR buf[160];
        pcre2_get_error_message(ec, buf, sizeof(buf));
        snprintf(msg, msgsz, "%s", (const char *)buf);
        return NULL;
    }
    /* best effort: the interpreter works too. The partial modes serve streams (stream_scan.c). */
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_HARD | PCRE2_JIT_PARTIAL_SOFT);
    return re;
}

static int cmp_longer_first(const void *a, const void *b)
{
    size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);
    return x > y ? -1 : x < y;
}

/* One PCRE2 alternation of sorted[0, n). */
static pcre2_code *compile_alternation(const struct guard_scan *s, char **sorted, size_t n, int utf8, char *msg, size_t msgsz)
{
    char *alt = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        char *e = escape_literal(sorted[i]);
        size_t el = strlen(e);
        if (len + el + 2 > cap) {
            cap = (len + el + 2) * 2;
            alt = util_realloc(alt, cap);
        }
        if (i > 0)
            alt[len++] = '|';
        memcpy(alt + len, e, el);
        len += el;
        alt[len] = '\0';
        free(e);
    }
    pcre2_code *re = compile_pcre(s, alt, utf8, msg, msgsz);
    free(alt);
    return re;
}

/* The keywords as PCRE2 alternations, longest first (so that at one start the longest
 * keyword wins, as in the merged spans of guard_scan_redact), for streams. A compiled
 * PCRE2 pattern is limited in size, so long lists become several alternations: a group
 * that is "too large" is halved until it compiles. UTF-8 mode when the keywords allow
 * it, so that caseless folding and whole-word boundaries see characters. */
static int compile_keyword_alternations(struct guard_scan *s, char *msg, size_t msgsz)
{
    char **sorted = util_calloc(s->n, sizeof(*sorted));
    int all_utf8 = 1;
    for (size_t i = 0; i < s->n; i++) {
        sorted[i] = s->pats[i].text;
        if (!utf8_valid((const unsigned char *)sorted[i], strlen(sorted[i])))
            all_utf8 = 0;
    }
    qsort(sorted, s->n, sizeof(*sorted), cmp_longer_first);
    s->kw_res = util_calloc(s->n, sizeof(*s->kw_res));
    size_t group = s->n < 512 ? s->n : 512;
    for (size_t at = 0; at < s->n;) {
        size_t n = s->n - at < group ? s->n - at : group;
        pcre2_code *re = compile_alternation(s, sorted + at, n, all_utf8, msg, msgsz);
        if (re == NULL && n > 1) {
            group = n / 2; /* too large: smaller groups */
            continue;
        }
        if (re == NULL) {
            free(sorted);
            return -1;
        }
        s->kw_res[s->n_kw_res++] = re;
        at += n;
    }
    free(sorted);
    return 0;
}

static int pcre_matches_empty(pcre2_code *re)
{
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR) "", 0, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

static unsigned hs_flags_for(const struct guard_scan *s, const char *pat, int *utf8)
{
    unsigned f = 0;
    int want_utf8 =
        (s->flags & GUARD_SCAN_UTF8) || (s->kind == GUARD_SCAN_KEYWORDS && (s->flags & GUARD_SCAN_CASELESS) && has_non_ascii(pat));
    *utf8 = want_utf8 && utf8_valid((const unsigned char *)pat, strlen(pat));
    if (s->flags & GUARD_SCAN_CASELESS)
        f |= HS_FLAG_CASELESS;
    if (*utf8)
        f |= HS_FLAG_UTF8 | HS_FLAG_UCP;
    f |= s->kind == GUARD_SCAN_KEYWORDS ? HS_FLAG_SOM_LEFTMOST : HS_FLAG_SINGLEMATCH;
    return f;
}

struct guard_scan *guard_scan_compile(int kind, const char *const *patterns, size_t n, int flags, char *err, size_t errsz)
{
    struct guard_scan *s = NULL;
    char **exprs = NULL;
    unsigned *hsflags = NULL, *ids = NULL;
    size_t nhs = 0;
    char ex[72], msg[256];

    if (kind != GUARD_SCAN_REGEX && kind != GUARD_SCAN_KEYWORDS) {
        util_set_err(err, errsz, "unknown pattern kind %d", kind);
        return NULL;
    }
    if (n == 0 || n > UINT_MAX / 2 || !patterns) {
        util_set_err(err, errsz, "a pattern list needs at least one pattern");
        return NULL;
    }
    s = util_calloc(1, sizeof(*s));
    s->kind = kind;
    s->flags = flags;
    s->n = n;
    s->pats = util_calloc(n, sizeof(*s->pats));
    s->always = util_calloc(n, sizeof(*s->always));
    exprs = util_calloc(n, sizeof(*exprs));
    hsflags = util_calloc(n, sizeof(*hsflags));
    ids = util_calloc(n, sizeof(*ids));
    s->mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(s->mctx, SCAN_PCRE_MATCH_LIMIT);
    pcre2_set_heap_limit(s->mctx, SCAN_PCRE_HEAP_LIMIT_KIB);

    for (size_t i = 0; i < n; i++) {
        const char *p = patterns[i];
        if (!p || !*p) {
            util_set_err(err, errsz, "pattern %zu is empty", i);
            goto fail;
        }
        s->pats[i].text = util_strdup(p);
        int utf8;
        hsflags[nhs] = hs_flags_for(s, p, &utf8);
        if (utf8)
            s->utf8_db = 1;
        if (kind == GUARD_SCAN_REGEX) {
            s->pats[i].re = compile_pcre(s, p, utf8, msg, sizeof(msg));
            if (!s->pats[i].re) {
                util_set_err(err, errsz, "pattern %zu \"%s\": %s", i, excerpt(p, ex, sizeof(ex)), msg);
                goto fail;
            }
            exprs[nhs] = util_strdup(p);
        } else {
            exprs[nhs] = escape_literal(p);
        }
        ids[nhs] = (unsigned)i;
        nhs++;
    }

    if (kind == GUARD_SCAN_KEYWORDS && compile_keyword_alternations(s, msg, sizeof(msg)) != 0) {
        util_set_err(err, errsz, "keywords: %s", msg);
        goto fail;
    }

    /* Compile, demoting each pattern Hyperscan rejects one rung down the
     * fallback ladder, until the database builds. */
    while (nhs > 0) {
        hs_compile_error_t *cerr = NULL;
        if (hs_compile_multi((const char *const *)exprs, hsflags, ids, (unsigned)nhs, HS_MODE_BLOCK, NULL, &s->db, &cerr) ==
            HS_SUCCESS)
            break;
        s->db = NULL;
        int bad = cerr->expression;
        snprintf(msg, sizeof(msg), "%s", cerr->message);
        hs_free_compile_error(cerr);
        if (bad < 0 || (size_t)bad >= nhs) {
            util_set_err(err, errsz, "hyperscan: %s", msg);
            goto fail;
        }
        unsigned id = ids[bad];
        const char *p = s->pats[id].text;
        if (kind == GUARD_SCAN_KEYWORDS || strstr(msg, "empty buffer")) {
            util_set_err(err, errsz, "pattern %u \"%s\": %s", id, excerpt(p, ex, sizeof(ex)), msg);
            goto fail;
        }
        if (!(hsflags[bad] & HS_FLAG_PREFILTER)) {
            hsflags[bad] |= HS_FLAG_PREFILTER;
            s->pats[id].mode = SCAN_HS_PREFILTER;
            continue;
        }
        if (pcre_matches_empty(s->pats[id].re)) {
            util_set_err(err, errsz, "pattern %u \"%s\": matches the empty string", id, excerpt(p, ex, sizeof(ex)));
            goto fail;
        }
        s->pats[id].mode = SCAN_PCRE_ONLY;
        s->always[s->nalways++] = id;
        free(exprs[bad]);
        memmove(exprs + bad, exprs + bad + 1, (nhs - bad - 1) * sizeof(*exprs));
        memmove(hsflags + bad, hsflags + bad + 1, (nhs - bad - 1) * sizeof(*hsflags));
        memmove(ids + bad, ids + bad + 1, (nhs - bad - 1) * sizeof(*ids));
        nhs--;
    }
    if (s->db && hs_alloc_scratch(s->db, &s->proto) != HS_SUCCESS) {
        util_set_err(err, errsz, "hyperscan: cannot allocate scratch");
        goto fail;
    }

    /* Widest match: only exact Hyperscan patterns have a known bound. */
    s->max_width = 0;
    int unbounded = s->nalways > 0;
    for (size_t k = 0; k < nhs && !unbounded; k++) {
        hs_expr_info_t *info = NULL;
        hs_compile_error_t *cerr = NULL;
        if (hsflags[k] & HS_FLAG_PREFILTER) {
            unbounded = 1;
            break;
        }
        if (hs_expression_info(exprs[k], hsflags[k] & ~(HS_FLAG_SINGLEMATCH | HS_FLAG_SOM_LEFTMOST), &info, &cerr) != HS_SUCCESS) {
            hs_free_compile_error(cerr);
            unbounded = 1;
            break;
        }
        if (info->max_width == UINT_MAX)
            unbounded = 1;
        else if (info->max_width > s->max_width)
            s->max_width = info->max_width;
        free(info); /* hs_expression_info allocates with the default (malloc) allocator */
    }
    if (unbounded)
        s->max_width = 0;

    for (size_t k = 0; k < nhs; k++)
        free(exprs[k]);
    free(exprs);
    free(hsflags);
    free(ids);
    return s;

fail:
    for (size_t k = 0; k < nhs; k++)
        free(exprs[k]);
    free(exprs);
    free(hsflags);
    free(ids);
    guard_scan_free(s);
    return NULL;
}

void guard_scan_free(struct guard_scan *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->pats[i].text);
        pcre2_code_free(s->pats[i].re);
    }
    for (size_t i = 0; i < s->n_kw_res; i++)
        pcre2_code_free(s->kw_res[i]);
    free(s->kw_res);
    free(s->pats);
    free(s->always);
    hs_free_scratch(s->proto);
    hs_free_database(s->db);
    pcre2_match_context_free(s->mctx);
    free(s);
}

/* ---- scratch ---- */

struct guard_scan_scratch *guard_scan_scratch_new(const struct guard_scan *s)
{
    struct guard_scan_scratch *sc = util_calloc(1, sizeof(*sc));
    sc->md = pcre2_match_data_create(1, NULL);
    if (!sc->md || (s && guard_scan_scratch_grow(sc, s) != 0)) {
        guard_scan_scratch_free(sc);
        return NULL;
    }
    return sc;
}

int guard_scan_scratch_grow(struct guard_scan_scratch *sc, const struct guard_scan *s)
{
    if (!sc || !s)
        return WARDEN_EINVAL;
    if (!s->db)
        return 0;
    if (!sc->hs)
        return hs_clone_scratch(s->proto, &sc->hs) == HS_SUCCESS ? 0 : WARDEN_ENOMEM;
    return hs_alloc_scratch(s->db, &sc->hs) == HS_SUCCESS ? 0 : WARDEN_ENOMEM;
}

void guard_scan_scratch_free(struct guard_scan_scratch *sc)
{
    if (!sc)
        return;
    hs_free_scratch(sc->hs);
    pcre2_match_data_free(sc->md);
    free(sc->ids);
    free(sc);
}

/* ---- scanning ---- */

/* Runs Hyperscan over the part of text it may see; *lo receives the offset
 * of that part. Returns 0, 1 if the callback stopped the scan, or <0. */
static int run_hs(const struct guard_scan *s, struct guard_scan_scratch *sc, const char *text, size_t len, size_t *lo,
                  match_event_handler cb, void *ctx)
{
    size_t a = 0, b = len;
    *lo = 0;
    if (!s->db)
        return 0;
    if (s->utf8_db)
        utf8_trim(text, len, &a, &b);
    if (b - a > UINT_MAX)
        return WARDEN_ETOOBIG;
    *lo = a;
    const char *p = text ? text + a : "";
    hs_error_t rc = guard_hs_scan(s->db, p, (unsigned)(b - a), sc->hs, cb, ctx);
    if (rc == HS_INVALID) {
        /* Most likely a scratch that was never grown for this database. */
        if (guard_scan_scratch_grow(sc, s) != 0)
            return WARDEN_ENOMEM;
        rc = guard_hs_scan(s->db, p, (unsigned)(b - a), sc->hs, cb, ctx);
    }
    if (rc == HS_SUCCESS)
        return 0;
    if (rc == HS_SCAN_TERMINATED)
        return 1;
    return WARDEN_EINVAL;
}

static int on_regex_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ctx)
{
    struct guard_scan_scratch *sc = ctx;
    if (sc->nids == sc->capids) {
        sc->capids = sc->capids ? sc->capids * 2 : 16;
        sc->ids = util_realloc(sc->ids, sc->capids * sizeof(*sc->ids));
    }
    sc->ids[sc->nids++] = id; /* HS_FLAG_SINGLEMATCH: at most once per id */
    return 0;
}

struct kw_ctx {
    const char *text;
    size_t len, lo;
    int whole_word, first_only;
    struct scan_vec vec;
};

static int on_keyword(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ctx)
{
    struct kw_ctx *k = ctx;
    size_t start = k->lo + (size_t)from, end = k->lo + (size_t)to;
    if (k->whole_word && !whole_word_ok(k->text, k->len, start, end))
        return 0;
    vec_push(&k->vec, start, end, id);
    return k->first_only ? 1 : 0;
}

/* PCRE2 matches of one regex, appended to vec. Returns the number found
 * (stopping after one if first_only) or <0. */
static int pcre_spans(const struct guard_scan *s, struct guard_scan_scratch *sc, unsigned id, const char *text, size_t len,
                      int first_only, struct scan_vec *vec)
{
    const struct scan_pat *pat = &s->pats[id];
    const unsigned char *t = (const unsigned char *)(text ? text : "");
    size_t off = 0;
    int found = 0;
    while (off <= len) {
        int rc = pcre2_match(pat->re, t, len, off, 0, sc->md, s->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0)
            return guard_scan__pcre_error(rc);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
        size_t ms = ov[0], me = ov[1];
        if (me <= ms) {
            /* Empty (or \K-inverted) match: never a hit; step past it. */
            off = (me > ms ? me : ms) + 1;
            continue;
        }
        vec_push(vec, ms, me, id);
        found++;
        if (first_only)
            break;
        off = me;
    }
    return found;
}

int guard_scan__pcre_error(int rc)
{
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ? WARDEN_ETOOBIG
                                                                                                       : WARDEN_EINVAL;
}

/* One pattern could not be evaluated: it is skipped, the others still run (the
 * caller applies its error policy to this pattern alone, see guard_scan_errors). */
static void note_pattern_error(struct guard_scan_scratch *sc, unsigned id, int code)
{
    if (sc->nerrors++ == 0) {
        sc->err_pattern = id;
        sc->err_code = code;
    }
}

static int cmp_match(const void *a, const void *b)
{
    const struct guard_scan_match *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1;
    return x->pattern < y->pattern ? -1 : x->pattern > y->pattern;
}

/* Every match of every pattern (overlaps included), unsorted. */
static int collect(const struct guard_scan *s, struct guard_scan_scratch *sc, const char *text, size_t len, int first_only,
                   struct scan_vec *vec)
{
    if (!s || !sc || (!text && len))
        return WARDEN_EINVAL;
    sc->nerrors = 0;
    if (s->kind == GUARD_SCAN_KEYWORDS) {
        struct kw_ctx k = {.text = text, .len = len, .whole_word = !!(s->flags & GUARD_SCAN_WHOLE_WORD), .first_only = first_only};
        int rc = run_hs(s, sc, text, len, &k.lo, on_keyword, &k);
        *vec = k.vec;
        return rc < 0 ? rc : 0;
    }
    size_t lo;
    sc->nids = 0;
    int rc = run_hs(s, sc, text, len, &lo, on_regex_hit, sc);
    if (rc < 0)
        return rc;
    for (size_t pass = 0; pass < 2; pass++) {
        const unsigned *list = pass == 0 ? sc->ids : s->always;
        size_t cnt = pass == 0 ? sc->nids : s->nalways;
        for (size_t i = 0; i < cnt; i++) {
            size_t before = vec->n;
            rc = pcre_spans(s, sc, list[i], text, len, first_only, vec);
            if (rc < 0) {
                vec->n = before; /* a half-evaluated pattern reports nothing */
                note_pattern_error(sc, list[i], rc);
                continue;
            }
            if (rc > 0 && first_only)
                return 0;
        }
    }
    return 0;
}

int guard_scan_first(const struct guard_scan *s, struct guard_scan_scratch *sc, const char *text, size_t len,
                     struct guard_scan_match *m)
{
    struct scan_vec vec = {0};
    int rc = collect(s, sc, text, len, 1, &vec);
    if (rc == 0 && vec.n > 0) {
        if (m)
            *m = vec.v[0];
        rc = 1;
    }
    free(vec.v);
    return rc;
}

int guard_scan_all(const struct guard_scan *s, struct guard_scan_scratch *sc, const char *text, size_t len,
                   struct guard_scan_match **out, size_t *n)
{
    struct scan_vec vec = {0};
    *out = NULL;
    *n = 0;
    int rc = collect(s, sc, text, len, 0, &vec);
    if (rc < 0) {
        free(vec.v);
        return rc;
    }
    if (vec.n == 0)
        return 0;
    qsort(vec.v, vec.n, sizeof(*vec.v), cmp_match);
    size_t k = 0;
    for (size_t i = 0; i < vec.n; i++) {
        if (k > 0 && vec.v[i].start < vec.v[k - 1].end)
            continue; /* overlaps the previous winner */
        vec.v[k++] = vec.v[i];
    }
    *out = vec.v;
    *n = k;
    return k > INT_MAX ? INT_MAX : (int)k;
}

char *guard_scan_redact(const struct guard_scan *s, struct guard_scan_scratch *sc, const char *text, size_t len,
                        const char *replacement, size_t *outlen)
{
    struct scan_vec vec = {0};
    size_t dummy;
    if (!outlen)
        outlen = &dummy;
    *outlen = 0;
    int rc = collect(s, sc, text, len, 0, &vec);
    if (rc < 0) {
        free(vec.v);
        *outlen = GUARD_SCAN_REDACT_ERROR;
        return NULL;
    }
    if (vec.n == 0)
        return NULL;
    qsort(vec.v, vec.n, sizeof(*vec.v), cmp_match);
    /* Merge overlapping spans so no matched byte survives. */
    size_t k = 0;
    for (size_t i = 0; i < vec.n; i++) {
        if (k > 0 && vec.v[i].start < vec.v[k - 1].end) {
            if (vec.v[i].end > vec.v[k - 1].end)
                vec.v[k - 1].end = vec.v[i].end;
            continue;
        }
        vec.v[k++] = vec.v[i];
    }
    const char *rep = replacement ? replacement : "";
    size_t rlen = strlen(rep), total = len;
    for (size_t i = 0; i < k; i++)
        total = total - (vec.v[i].end - vec.v[i].start) + rlen;
    char *out = util_malloc(total + 1), *o = out;
    size_t pos = 0;
    for (size_t i = 0; i < k; i++) {
        memcpy(o, text + pos, vec.v[i].start - pos);
        o += vec.v[i].start - pos;
        memcpy(o, rep, rlen);
        o += rlen;
        pos = vec.v[i].end;
    }
    memcpy(o, text + pos, len - pos);
    o += len - pos;
    *o = '\0';
    *outlen = total;
    free(vec.v);
    return out;
}

size_t guard_scan_errors(const struct guard_scan_scratch *sc, unsigned *first_pattern, int *code)
{
    if (sc->nerrors > 0) {
        if (first_pattern)
            *first_pattern = sc->err_pattern;
        if (code)
            *code = sc->err_code;
    }
    return sc->nerrors;
}

void guard_scan_set_match_limit(struct guard_scan *s, uint32_t limit)
{
    pcre2_set_match_limit(s->mctx, limit ? limit : SCAN_PCRE_MATCH_LIMIT);
}

size_t guard_scan_max_width(const struct guard_scan *s)
{
    return s->max_width;
}

size_t guard_scan_count(const struct guard_scan *s)
{
    return s->n;
}

const char *guard_scan_pattern(const struct guard_scan *s, unsigned i)
{
    return i < s->n ? s->pats[i].text : NULL;
}
