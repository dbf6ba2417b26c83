/* Recognizer sets: one Hyperscan database per configuration, candidates
 * checked only where a pattern matched. See detect.h for the pipeline.
 *
 * Why SOM and all ends: Hyperscan reports every end offset of a pattern (with
 * HS_FLAG_SOM_LEFTMOST, the leftmost start for each). "4111 1111 1111 1111
 * 2024" gives the card pattern ends after 13..19 digits; only the 16-digit
 * one has a clean right edge and a valid Luhn sum, so every end is kept as a
 * candidate (edges are checked in the callback, which rejects the ends in the
 * middle of a digit run without storing them) and the longest that passes
 * its check wins.
 *
 * Patterns Hyperscan cannot give a start for ("Pattern is too large" with
 * SOM: only custom ones; the built-in ones are written to fit) are compiled
 * without SOM, as a detector: when such a rule occurs, PCRE2 delimits its
 * matches in that text. If Hyperscan rejects a pattern outright, it is
 * compiled in prefilter mode (a superset), and failing that PCRE2 runs on
 * every scan, as it does for a pattern with non-ASCII text (Hyperscan runs in
 * byte mode). So the text is scanned once by Hyperscan for every ASCII pattern
 * (a gated one: only the stretches its gate lets through, see gated_candidates). */
#include "guard/detect.h"

#include <hs/hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "guard/hs_block.h"
#include "guard/hs_cache.h"
#include "util/alloc.h"
#include "util/err.h"
#include "util/fmt.h"

#define DETECT_CONTEXT_BEFORE 64
#define DETECT_CONTEXT_AFTER 32
#define DETECT_MAX_CANDIDATES (1u << 18) /* 6 MB of candidates; past it the scan fails and on_error applies */
#define DETECT_PCRE_MATCH_LIMIT 2000000u

enum rule_mode {
    MODE_SOM,       /* Hyperscan gives start and end */
    MODE_DETECT,    /* Hyperscan says "somewhere"; PCRE2 delimits */
    MODE_PCRE_ONLY, /* Hyperscan rejected it; PCRE2 on every scan */
};

#define DETECT_MAX_GATES 8 /* one bit each in trigger[] */
#define DETECT_MAX_CONTEXT_RULES 4

/* The rules of one gate: their database and the gate as byte tables. */
struct gated_db {
    const struct detect_gate *gate;
    hs_database_t *db;
    size_t min_triggers, min_len; /* the gate's */
    unsigned char run[256];       /* 1: a match may contain the byte */
};

/* A rule scanned only around its context words (DETECT_SPAN_KEPT, see detect.h): its
 * database, and its pattern's one width. */
struct context_db {
    hs_database_t *db;
    size_t width;
};

struct detect_set {
    struct detect_rule *rules;
    enum rule_mode *mode;
    pcre2_code **re; /* non-NULL for MODE_DETECT / MODE_PCRE_ONLY */
    pcre2_code **reach; /* streams: pattern + stream_tail + right edge, matched partially */
    pcre2_code *reach_all; /* the same joined (NULL if a rule cannot be) */
    size_t stream_back;    /* the largest stream_back */
    size_t n;
    hs_database_t *db; /* the rules without a gate (NULL if none) */
    struct gated_db gated[DETECT_MAX_GATES];
    size_t n_gated;
    unsigned char trigger[256]; /* bit g: the byte is a trigger of gated[g] */
    unsigned char trigger_lo, trigger_hi; /* every trigger byte is in [lo, hi] (ASCII, not NUL or DEL) */
    struct context_db ctx[DETECT_MAX_CONTEXT_RULES];
    size_t n_ctx;
    unsigned char *word_ctx; /* Hyperscan id n + k, a context word found in s->db: k's slot in ctx */
    int any_pcre_only;
    size_t max_width;
    pcre2_match_context *mctx;
};

struct candidate {
    size_t start, end;
    unsigned rule;
};

/* Where a context rule's database scans: text[start, end). */
struct context_window {
    size_t start, end;
    unsigned slot;
};

struct detect_scratch {
    hs_scratch_t *hs;
    pcre2_match_data *md;
    struct candidate *cand;
    size_t n_cand, cap_cand;
    unsigned char *hit; /* per rule: a MODE_DETECT rule occurred */
    size_t cap_hit;
    struct guard_finding *found; /* before overlap resolution */
    size_t n_found, cap_found;
    int overflow;
    struct context_window *win; /* in the order found; one that overlaps its rule's last one is merged into it */
    size_t n_win, cap_win;
    /* Sets this scratch was grown for: growing is a Hyperscan call that costs
     * more than a scan, so it happens once per set, not per scan. */
    const struct detect_set *grown[16];
    size_t n_grown;
};

/* ---- characters at the edges ---- */

/* Decodes the UTF-8 character that starts at s[i]; returns -1 if invalid. */
static int32_t cp_at(const unsigned char *s, size_t len, size_t i)
{
    unsigned c = s[i];
    size_t n;
    int32_t cp;
    if (c < 0x80)
        return (int32_t)c;
    if (c >= 0xC2 && c <= 0xDF)
        n = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 3, cp = c & 0x07;
    else
        return -1;
    if (i + n >= len)
        return -1;
    for (size_t k = 1; k <= n; k++) {
        if ((s[i + k] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    return cp;
}

/* A UTF-8 continuation byte: inside a character, never at its start */
static inline int utf8_continuation(unsigned char b)
{
    return (b & 0xC0) == 0x80;
}

/* The character that ends just before position i (i > 0). */
static int32_t cp_before(const unsigned char *s, size_t len, size_t i)
{
    size_t k = i - 1;
    while (k > 0 && i - k < 4 && utf8_continuation(s[k]))
        k--;
    return cp_at(s, len, k);
}

/* Non-ASCII characters that separate words: Latin-1 punctuation, general
 * punctuation, currency, symbols and arrows, CJK and full-width punctuation,
 * emoji. Everything else (letters of any script) continues a token. */
static int cp_is_separator(int32_t cp)
{
    return cp < 0 || (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x2BFF) ||
           (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF0F) ||
           (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) ||
           cp >= 0x1F000;
}

static int is_word_cp(const char *word_extra, int32_t cp)
{
    if (cp >= 0x80)
        return !cp_is_separator(cp);
    if (cp < 0)
        return 0;
    if (isalnum(cp) || cp == '_')
        return 1;
    return word_extra != NULL && cp != 0 && strchr(word_extra, cp) != NULL;
}

static int is_currency(int32_t cp)
{
    return cp == '$' || cp == 0xA3 || cp == 0xA5 || cp == 0x20AC || cp == 0x20B9;
}

static int left_ok(const unsigned char *t, size_t len, size_t start, const char *word_extra, int numeric)
{
    if (start == 0)
        return 1;
    int32_t cp = cp_before(t, len, start);
    if (is_word_cp(word_extra, cp))
        return 0;
    if (numeric) {
        if (cp == '#' || is_currency(cp))
            return 0;
        if ((cp == '.' || cp == '-') && start >= 2 && isalnum(t[start - 2]))
            return 0;
    }
    return 1;
}

static int right_ok(const unsigned char *t, size_t len, size_t end, const char *word_extra, int numeric)
{
    if (end >= len)
        return 1;
    int32_t cp = cp_at(t, len, end);
    /* a colon before a space ends a clause, not the token: "64 bytes from 2001:db8::1: icmp_seq=1" */
    if (is_word_cp(word_extra, cp) && !(cp == ':' && end + 1 < len && isspace(t[end + 1])))
        return 0;
    if (numeric && (cp == '.' || cp == '-') && end + 1 < len && isalnum(t[end + 1]))
        return 0;
    return 1;
}

static int left_edge_ok(const struct detect_rule *r, const unsigned char *t, size_t len, size_t start)
{
    return (r->flags & DETECT_NO_EDGES) || left_ok(t, len, start, r->word_extra, (r->flags & DETECT_EDGE_NUMERIC) != 0);
}

static int right_edge_ok(const struct detect_rule *r, const unsigned char *t, size_t len, size_t end)
{
    return (r->flags & (DETECT_NO_EDGES | DETECT_NO_RIGHT_EDGE)) ||
           right_ok(t, len, end, r->word_extra, (r->flags & DETECT_EDGE_NUMERIC) != 0);
}

int detect_edges_ok(const char *text, size_t len, size_t start, size_t end, int numeric)
{
    const unsigned char *t = (const unsigned char *)text;
    return left_ok(t, len, start, NULL, numeric) && right_ok(t, len, end, NULL, numeric);
}

/* ---- context words ---- */

static int word_at(const char *p, size_t avail, const char *w)
{
    size_t wl = strlen(w);
    if (wl == 0 || wl > avail || strncasecmp(p, w, wl) != 0)
        return 0;
    /* the word ends there, or after a plural 's' */
    if (wl < avail && isalpha((unsigned char)p[wl])) {
        if (tolower((unsigned char)p[wl]) != 's' || (wl + 1 < avail && isalpha((unsigned char)p[wl + 1])))
            return 0;
    }
    return 1;
}

static int window_has(const char *text, size_t from, size_t to, const char *const *words, size_t n)
{
    /* the words' first letters, so most tokens are dismissed with one lookup */
    unsigned char first[32] = {0};
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)tolower((unsigned char)words[k][0]);
        first[c >> 3] |= (unsigned char)(1u << (c & 7));
    }
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)tolower((unsigned char)text[i]);
        if (!(first[c >> 3] & (1u << (c & 7))) || !isalnum(c) || (i > from && isalnum((unsigned char)text[i - 1])))
            continue;
        for (size_t k = 0; k < n; k++) /* the word's own first letter before its length and the rest */
            if ((unsigned char)tolower((unsigned char)words[k][0]) == c && word_at(text + i, to - i, words[k]))
                return 1;
    }
    return 0;
}

int detect_near(const char *text, size_t len, size_t start, size_t end, const char *const *words, size_t n_words,
                size_t before, size_t after)
{
    if (n_words == 0)
        return 0;
    size_t from = start > before ? start - before : 0;
    size_t to = end + after < len ? end + after : len;
    return window_has(text, from, start, words, n_words) || window_has(text, end, to, words, n_words);
}

/* The cells of the line [ls, le) split by d outside double quotes: how many; *col (if col): the
 * one holding pos; [*cs, *ce) (if cs): the bounds of cell `want` (when the line has it). */
static size_t row_cells(const char *t, size_t ls, size_t le, char d, size_t pos, size_t *col, size_t want, size_t *cs,
                        size_t *ce)
{
    size_t cells = 0, from = ls;
    int quoted = 0;
    for (size_t i = ls; i <= le; i++) {
        if (i < le && t[i] == '"')
            quoted = !quoted;
        if (i < le && (t[i] != d || quoted))
            continue;
        if (col != NULL && pos >= from && pos <= i)
            *col = cells;
        if (cs != NULL && cells == want) {
            *cs = from;
            *ce = i;
        }
        cells++;
        from = i + 1;
    }
    return cells;
}

/* The next HTML cell tag ("<td" / "<th" and then '>' or a space: not "<thead>") in [p, end);
 * kind 'd', 'h', or 0 for either */
static const char *html_cell(const char *p, const char *end, char kind)
{
    for (; (p = memmem(p, (size_t)(end - p), "<t", 2)) != NULL; p += 2)
        if (p + 3 < end && (kind ? (p[2] | 0x20) == kind : ((p[2] | 0x20) == 'd' || (p[2] | 0x20) == 'h')) &&
            (p[3] == '>' || isspace((unsigned char)p[3])))
            return p;
    return NULL;
}

#define TABLE_LINE_MAX 1024      /* longer lines are no table rows here */
#define TABLE_MAX_ROWS 512       /* rows walked up from a cell to its header (or to rows walked before) */
#define TABLE_WALK_BYTES (1 << 20) /* bytes a scan may walk up that end in no cached block */

/* Where the current table block's header is, for the next candidate of the same scan (candidates
 * come in text order): a row right under rows already walked costs one line. */
struct table_cache {
    size_t hs, he;   /* the header line */
    size_t rows_end; /* the end of the last row walked or holding a candidate */
    size_t cells;    /* cells of a row (0: HTML) */
    char d;          /* the separator (0: HTML) */
    int valid;
    size_t walked; /* bytes walked by walks that found no cached block */
};

/* The line holding pos, at most TABLE_LINE_MAX bytes: 0 if longer */
static int line_at(const char *t, size_t len, size_t pos, size_t *ls, size_t *le)
{
    size_t a = pos, b = pos;
    while (a > 0 && t[a - 1] != '\n' && pos - a < TABLE_LINE_MAX)
        a--;
    while (b < len && t[b] != '\n' && b - a < TABLE_LINE_MAX)
        b++;
    *ls = a;
    *le = b;
    return (a == 0 || t[a - 1] == '\n') && (b == len || t[b] == '\n');
}

/* An HTML row to be read as a table's: its cells on one line, no table inside it, no cell
 * spanning columns */
static int html_plain_row(const char *t, size_t ls, size_t le)
{
    return memmem(t + ls, le - ls, "<table", 6) == NULL && memmem(t + ls, le - ls, "colspan", 7) == NULL &&
           memmem(t + ls, le - ls, "<TABLE", 6) == NULL && memmem(t + ls, le - ls, "COLSPAN", 7) == NULL;
}

/* The header cell of the column holding start, when start lies in a table row: a CSV, TSV or
 * markdown row (three cells or more split by '|', a tab, ';' or ','), under the first line of
 * its block, the lines above it with as many cells; or an HTML row of <td> / <th> cells, under
 * the nearest line of <th> cells only, with the rows between all of cells. [*cs, *ce) is set and
 * 1 returned if found. A walk that reaches TABLE_MAX_ROWS, a line too long or a scan's
 * TABLE_WALK_BYTES finds nothing (a data row is never taken for the header). */
static int table_header_cell(const char *t, size_t len, size_t start, struct table_cache *tc, size_t *cs, size_t *ce)
{
    size_t ls, le, col = SIZE_MAX, cells = 0;
    if (!line_at(t, len, start, &ls, &le) || ls == 0)
        return 0; /* a line too long, or the first line: no header above */
    char d = 0;
    if (html_cell(t + ls, t + start, 'd') != NULL) {
        if (!html_plain_row(t, ls, le))
            return 0;
        col = 0;
        for (const char *p = t + ls; (p = html_cell(p, t + start, 0)) != NULL; p += 3)
            col++; /* <td> and a row's own <th> */
        col--;
    } else {
        for (const char *c = "|\t;,"; *c && !d; c++)
            if (memchr(t + ls, *c, le - ls) != NULL)
                d = *c;
        cells = d ? row_cells(t, ls, le, d, start, &col, SIZE_MAX, NULL, NULL) : 0;
        if (cells < 3 || col == SIZE_MAX)
            return 0;
    }
    /* walk up to the header, or to a row of the block the cache knows */
    size_t hs = ls, he = 0;
    int found = 0, top = 0;
    for (int rows = 0; rows < TABLE_MAX_ROWS && !found; rows++) {
        if (tc->valid && tc->d == d && tc->cells == cells && hs > tc->hs && hs <= tc->rows_end + 1) {
            hs = tc->hs; /* under rows already walked: their header */
            he = tc->he;
            found = 1;
            break;
        }
        if (tc->walked >= TABLE_WALK_BYTES)
            return 0;
        size_t ps, pe;
        if (hs == 0) {
            top = 1; /* the text's first line */
            break;
        }
        if (!line_at(t, len, hs - 1, &ps, &pe))
            return 0; /* a line too long: unknown, not the block's top */
        tc->walked += pe - ps + 1;
        if (d != 0) {
            if (row_cells(t, ps, pe, d, SIZE_MAX, NULL, SIZE_MAX, NULL, NULL) != cells) {
                top = 1; /* a line not of the block's shape (as many cells) ends it above */
                break;
            }
        } else {
            if (html_cell(t + ps, t + pe, 0) == NULL || !html_plain_row(t, ps, pe))
                return 0; /* the table's start, or a line that is no row: no header line found */
            if (html_cell(t + ps, t + pe, 'h') != NULL && html_cell(t + ps, t + pe, 'd') == NULL)
                found = 1; /* the nearest line of <th> cells only */
        }
        hs = ps;
        he = pe;
    }
    if (!found && !(d != 0 && top && hs < ls))
        return 0; /* no header line, or the walk ran out of rows; else [hs, he) is the block's first line */
    tc->valid = 1;
    tc->hs = hs;
    tc->he = he;
    tc->d = d;
    tc->cells = cells;
    tc->rows_end = le;
    *cs = *ce = 0;
    if (d == 0) {
        const char *th = html_cell(t + hs, t + he, 'h');
        for (size_t c = 0; c < col && th != NULL; c++)
            th = html_cell(th + 3, t + he, 'h');
        const char *open = th != NULL ? memchr(th, '>', (size_t)(t + he - th)) : NULL;
        const char *close = open != NULL ? memchr(open, '<', (size_t)(t + he - open)) : NULL;
        if (close == NULL)
            return 0;
        *cs = (size_t)(open + 1 - t);
        *ce = (size_t)(close - t);
    } else if (row_cells(t, hs, he, d, SIZE_MAX, NULL, col, cs, ce) != cells) {
        return 0;
    }
    return *ce > *cs;
}

/* The word that ends just before pos (skipping spaces and punctuation), as [*ws, *we). */
static int prev_word(const char *t, size_t pos, size_t *ws, size_t *we)
{
    size_t i = pos;
    while (i > 0 && !isalnum((unsigned char)t[i - 1]) && pos - i < 8)
        i--;
    if (i == 0 || !isalnum((unsigned char)t[i - 1]))
        return 0;
    *we = i;
    while (i > 0 && isalnum((unsigned char)t[i - 1]))
        i--;
    *ws = i;
    return 1;
}

static int word_is(const char *t, size_t ws, size_t we, const char *w)
{
    return strlen(w) == we - ws && strncasecmp(t + ws, w, we - ws) == 0;
}

int detect_label_before(const char *text, size_t start, const char *const *words, size_t n_words)
{
    static const char *const fillers[] = {"number", "no", "nr", "id", "num", "code", "is", "was", "the", "a"};
    size_t ws, we, pos = start;
    for (int hops = 0; hops < 3 && prev_word(text, pos, &ws, &we); hops++) {
        for (size_t k = 0; k < n_words; k++)
            if (word_is(text, ws, we, words[k]))
                return 1;
        int filler = 0;
        for (size_t k = 0; k < sizeof(fillers) / sizeof(fillers[0]) && !filler; k++)
            filler = word_is(text, ws, we, fillers[k]);
        if (!filler)
            return 0;
        pos = ws;
    }
    return 0;
}

size_t detect_word_char_len(const char *text, size_t len, size_t pos)
{
    int32_t cp = pos < len ? cp_at((const unsigned char *)text, len, pos) : -1;
    if (cp < 0x80 || cp_is_separator(cp))
        return 0;
    return cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

int detect_word_before(const char *text, size_t len, size_t pos)
{
    if (pos == 0)
        return 0;
    int32_t cp = cp_before((const unsigned char *)text, len, pos);
    return is_word_cp(NULL, cp);
}

double detect_entropy(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned counts[256] = {0};
    for (size_t i = 0; i < n; i++)
        counts[(unsigned char)s[i]]++;
    double h = 0;
    for (int c = 0; c < 256; c++) {
        if (!counts[c])
            continue;
        double p = (double)counts[c] / (double)n;
        h -= p * log2(p);
    }
    return h;
}

/* ---- compile ---- */

static pcre2_code *compile_pcre(const struct detect_rule *r, char *msg, size_t msgsz)
{
    int code;
    PCRE2_SIZE off;
    uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | ((r->flags & DETECT_CASELESS) ? PCRE2_CASELESS : 0);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)r->regex, PCRE2_ZERO_TERMINATED, opts, &code, &off, NULL);
    if (re == NULL) {
        PCRE2_UCHAR m[200];
        pcre2_get_error_message(code, m, sizeof(m));
        snprintf(msg, msgsz, "%s (at offset %zu)", (const char *)m, (size_t)off);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

/* The stream pattern: the match, what the check may read after it (stream_tail, or
 * the rest of the token up to the rule's extent), then two more characters, because
 * the right edge (and "-5" after a number) is decided by them. Matched with
 * PCRE2_PARTIAL_HARD, a prefix of it that reaches the end of the text so far is a
 * finding that may still start there or grow. Caseless rules say so inline, so the
 * patterns of a set can be joined into one. */
static char *reach_source(const struct detect_rule *r)
{
    char tail[64];
    if (r->stream_tail == NULL)
        snprintf(tail, sizeof(tail), "\\S{0,%zu}", r->max_extent > 0 ? r->max_extent : (size_t)256);
    const char *re = r->stream_regex ? r->stream_regex : r->regex;
    size_t n = strlen(re) + strlen(r->stream_tail ? r->stream_tail : tail) + 40;
    char *src = util_malloc(n);
    snprintf(src, n, "(?%s:(?:%s)(?:%s)(?=[\\s\\S]{2}))", (r->flags & DETECT_CASELESS) ? "i" : "", re,
             r->stream_tail ? r->stream_tail : tail);
    return src;
}

static pcre2_code *compile_reach(const char *src, char *msg, size_t msgsz)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
    if (re == NULL) {
        PCRE2_UCHAR m[200];
        pcre2_get_error_message(code, m, sizeof(m));
        snprintf(msg, msgsz, "%s", (const char *)m);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_HARD);
    return re;
}

/* Does a pattern refer to its groups by number or recurse (then it cannot be joined with others)? */
static int refers_to_groups(const char *re)
{
    for (const char *p = re; *p; p++) {
        if (p[0] == '\\' && p[1] != 0 && (strchr("123456789gk", p[1]) != NULL))
            return 1;
        if (p[0] == '\\' && p[1] != 0)
            p++;
        else if (p[0] == '(' && p[1] == '?' && p[2] != 0 && strchr("PR|&0123456789+-", p[2]) != NULL)
            return 1;
    }
    return 0;
}

/* One pattern for the whole set (one PCRE2 call per piece instead of one per rule); NULL if a
 * rule cannot be joined. */
static pcre2_code *compile_reach_all(const struct detect_set *s)
{
    size_t total = 1;
    char **src = util_calloc(s->n, sizeof(*src));
    pcre2_code *re = NULL;
    for (size_t i = 0; i < s->n; i++) {
        if (refers_to_groups(s->rules[i].stream_regex ? s->rules[i].stream_regex : s->rules[i].regex))
            goto out;
        src[i] = reach_source(&s->rules[i]);
        total += strlen(src[i]) + 1;
    }
    char *all = util_malloc(total), *w = all;
    for (size_t i = 0; i < s->n; i++)
        w += sprintf(w, "%s%s", i ? "|" : "", src[i]);
    char msg[200];
    re = compile_reach(all, msg, sizeof(msg));
    free(all);
out:
    for (size_t i = 0; i < s->n; i++)
        free(src[i]);
    free(src);
    return re;
}

void detect_free(struct detect_set *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        pcre2_code_free(s->re[i]);
        if (s->reach)
            pcre2_code_free(s->reach[i]);
    }
    free(s->re);
    free(s->reach);
    pcre2_code_free(s->reach_all);
    free(s->mode);
    free(s->rules);
    hs_free_database(s->db);
    for (size_t g = 0; g < s->n_gated; g++)
        hs_free_database(s->gated[g].db);
    for (size_t c = 0; c < s->n_ctx; c++)
        hs_free_database(s->ctx[c].db);
    free(s->word_ctx);
    pcre2_match_context_free(s->mctx);
    free(s);
}

static int gate_usable(const struct detect_gate *g)
{
    if (g->run == NULL || g->trigger == NULL || !*g->trigger)
        return 0;
    for (const unsigned char *p = (const unsigned char *)g->trigger; *p; p++)
        if (*p >= 0x7F || strchr(g->run, *p) == NULL) /* bytes_in_range() compares signed, below DEL */
            return 0;
    return 1;
}

/* The gate's slot in s->gated (added if new); -1 when there is no room. */
static int gate_slot(struct detect_set *s, const struct detect_gate *g)
{
    for (size_t k = 0; k < s->n_gated; k++)
        if (s->gated[k].gate == g)
            return (int)k;
    if (s->n_gated == DETECT_MAX_GATES)
        return -1;
    struct gated_db *gd = &s->gated[s->n_gated];
    gd->gate = g;
    gd->min_triggers = g->min_triggers;
    gd->min_len = g->min_len;
    for (const unsigned char *p = (const unsigned char *)g->run; *p; p++)
        gd->run[*p] = 1;
    for (const unsigned char *p = (const unsigned char *)g->trigger; *p; p++) {
        s->trigger[*p] |= (unsigned char)(1u << s->n_gated);
        if (s->trigger_lo == 0 || *p < s->trigger_lo)
            s->trigger_lo = *p;
        if (*p > s->trigger_hi)
            s->trigger_hi = *p;
    }
    return (int)s->n_gated++;
}

/* The pattern's one width (context rules need one: a match's start is then its end's, in
 * any window that holds it), or 0. */
static size_t fixed_width(const char *expr, unsigned flags)
{
    hs_expr_info_t *info = NULL;
    hs_compile_error_t *cerr = NULL;
    if (hs_expression_info(expr, flags & ~(HS_FLAG_SINGLEMATCH | HS_FLAG_SOM_LEFTMOST), &info, &cerr) != HS_SUCCESS) {
        hs_free_compile_error(cerr);
        return 0;
    }
    size_t w = info->min_width == info->max_width && info->max_width != UINT_MAX ? info->max_width : 0;
    free(info);
    return w;
}

/* Can rule i be scanned only around its context words (see detect.h)? */
static int context_usable(const struct detect_set *s, size_t i, size_t width)
{
    const struct detect_rule *r = &s->rules[i];
    if ((r->flags & (DETECT_NEED_CONTEXT | DETECT_SPAN_KEPT)) != (DETECT_NEED_CONTEXT | DETECT_SPAN_KEPT) ||
        s->mode[i] != MODE_SOM || r->gate != NULL || width == 0 || s->n_ctx == DETECT_MAX_CONTEXT_RULES)
        return 0;
    for (size_t k = 0; k < r->n_context; k++)
        for (const unsigned char *p = (const unsigned char *)r->context[k]; *p; p++)
            if (*p >= 0x80)
                return 0; /* Hyperscan's caseless is ASCII's, as strncasecmp's is in the C locale */
    return 1;
}

/* A context word as a Hyperscan literal: every byte but a letter or digit escaped. */
static char *literal_source(const char *word)
{
    char *src = util_malloc(strlen(word) * 4 + 1), *w = src;
    for (const unsigned char *p = (const unsigned char *)word; *p; p++)
        w += isalnum(*p) ? sprintf(w, "%c", *p) : sprintf(w, "\\x%02x", *p);
    return src;
}

/* One database for the rules without a gate, one per gate for the others (SOM rules only:
 * a gated rule's candidates come from the stretches its gate lets through) and one per
 * context rule, whose words join the first database as literals (ids n + k). */
static int compile_databases(struct detect_set *s, const char **exprs, const unsigned *flags, const unsigned *ids, size_t nhs,
                             char *err, size_t errsz)
{
    size_t n_words = 0;
    for (size_t k = 0; k < nhs; k++)
        n_words += s->rules[ids[k]].n_context;
    const char **ex = util_calloc(nhs + n_words + 1, sizeof(*ex));
    unsigned *fl = util_calloc(nhs + n_words + 1, sizeof(*fl)), *id = util_calloc(nhs + n_words + 1, sizeof(*id));
    char **lit = util_calloc(n_words + 1, sizeof(*lit));
    int *slot = util_calloc(nhs + 1, sizeof(*slot));
    size_t n_lit = 0;
    int rc = 0;
    s->word_ctx = util_calloc(n_words + 1, 1);
    for (size_t k = 0; k < nhs; k++) {
        const struct detect_rule *r = &s->rules[ids[k]];
        size_t width = (r->flags & DETECT_SPAN_KEPT) ? fixed_width(exprs[k], flags[k]) : 0;
        slot[k] = r->gate != NULL && s->mode[ids[k]] == MODE_SOM && gate_usable(r->gate) ? gate_slot(s, r->gate) : -1;
        if (slot[k] >= 0 || !context_usable(s, ids[k], width))
            continue;
        slot[k] = DETECT_MAX_GATES + (int)s->n_ctx;
        for (size_t w = 0; w < r->n_context; w++)
            if (*r->context[w]) {
                lit[n_lit] = literal_source(r->context[w]);
                s->word_ctx[n_lit++] = (unsigned char)s->n_ctx;
            }
        s->ctx[s->n_ctx++] = (struct context_db){NULL, width};
    }
    for (int g = -1; g < DETECT_MAX_GATES + (int)s->n_ctx && rc == 0; g++) {
        size_t m = 0;
        for (size_t k = 0; k < nhs; k++)
            if (slot[k] == g)
                ex[m] = exprs[k], fl[m] = flags[k], id[m] = ids[k], m++;
        for (size_t w = 0; g < 0 && w < n_lit; w++)
            ex[m] = lit[w], fl[m] = HS_FLAG_CASELESS, id[m] = (unsigned)(s->n + w), m++;
        if (m == 0)
            continue;
        hs_compile_error_t *cerr = NULL;
        hs_database_t **db = g < 0 ? &s->db : g < DETECT_MAX_GATES ? &s->gated[g].db : &s->ctx[g - DETECT_MAX_GATES].db;
        if (guard_hs_compile_cached(ex, fl, id, (unsigned)m, HS_MODE_BLOCK, db, &cerr) != HS_SUCCESS) {
            util_set_err(err, errsz, "hyperscan: %s", cerr ? cerr->message : "compile failed");
            hs_free_compile_error(cerr);
            *db = NULL;
            rc = -1;
        }
    }
    for (size_t w = 0; w < n_lit; w++)
        free(lit[w]);
    free(lit);
    free(ex);
    free(fl);
    free(id);
    free(slot);
    return rc;
}

struct detect_set *detect_compile(const struct detect_rule *rules, size_t n, char *err, size_t errsz)
{
    if (n == 0 || n > UINT_MAX / 2) {
        util_set_err(err, errsz, "no recognizers selected");
        return NULL;
    }
    struct detect_set *s = util_calloc(1, sizeof(*s));
    s->n = n;
    s->rules = util_calloc(n, sizeof(*s->rules));
    memcpy(s->rules, rules, n * sizeof(*rules));
    s->mode = util_calloc(n, sizeof(*s->mode));
    s->re = util_calloc(n, sizeof(*s->re));
    s->reach = util_calloc(n, sizeof(*s->reach));
    s->mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(s->mctx, DETECT_PCRE_MATCH_LIMIT);
    const char **exprs = util_calloc(n, sizeof(*exprs));
    unsigned *flags = util_calloc(n, sizeof(*flags));
    unsigned *ids = util_calloc(n, sizeof(*ids));
    size_t nhs = 0;
    char msg[256];

    for (size_t i = 0; i < n; i++) {
        const struct detect_rule *r = &s->rules[i];
        if (r->regex == NULL || !*r->regex || r->entity == NULL || strlen(r->entity) >= sizeof(((struct guard_finding *)0)->type)) {
            util_set_err(err, errsz, "recognizer %zu: needs an entity name (under 40 bytes) and a pattern", i);
            goto fail;
        }
        /* Every pattern must be valid PCRE (custom ones fall back to it). */
        pcre2_code *re = compile_pcre(r, msg, sizeof(msg));
        if (re == NULL) {
            util_set_err(err, errsz, "recognizer %s: invalid regex: %s", r->entity, msg);
            goto fail;
        }
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        int empty = pcre2_match(re, (PCRE2_SPTR) "", 0, 0, 0, md, NULL) >= 0;
        pcre2_match_data_free(md);
        if (empty) {
            pcre2_code_free(re);
            util_set_err(err, errsz, "recognizer %s: the pattern matches the empty string", r->entity);
            goto fail;
        }
        char *src = reach_source(r);
        s->reach[i] = compile_reach(src, msg, sizeof(msg));
        free(src);
        if (s->stream_back < r->stream_back)
            s->stream_back = r->stream_back;
        if (s->reach[i] == NULL) {
            pcre2_code_free(re);
            util_set_err(err, errsz, "recognizer %s: cannot build its stream pattern: %s", r->entity, msg);
            goto fail;
        }
        /* Hyperscan runs in byte mode: its UTF-8 mode is undefined on invalid UTF-8 (a
         * stream window may cut a character) and slows byte classes down. A pattern
         * with non-ASCII text in it is left to PCRE2 (UTF, invalid input tolerated). */
        int ascii = 1;
        for (const unsigned char *q = (const unsigned char *)r->regex; *q; q++)
            ascii &= *q < 0x80;
        if (!ascii) {
            s->re[i] = re;
            s->mode[i] = MODE_PCRE_ONLY;
            s->any_pcre_only = 1;
            continue;
        }
        unsigned f = HS_FLAG_SOM_LEFTMOST | ((r->flags & DETECT_CASELESS) ? HS_FLAG_CASELESS : 0);
        hs_database_t *probe = NULL;
        hs_compile_error_t *cerr = NULL;
        /* the probes go through the cache too: a start reads the ones that compiled back */
        if (guard_hs_compile_cached(&r->regex, &f, NULL, 1, HS_MODE_BLOCK, &probe, &cerr) == HS_SUCCESS) {
            hs_free_database(probe);
            pcre2_code_free(re);
            s->mode[i] = MODE_SOM;
        } else {
            hs_free_compile_error(cerr);
            s->re[i] = re;
            f = HS_FLAG_SINGLEMATCH | ((r->flags & DETECT_CASELESS) ? HS_FLAG_CASELESS : 0);
            if (guard_hs_compile_cached(&r->regex, &f, NULL, 1, HS_MODE_BLOCK, &probe, &cerr) != HS_SUCCESS) {
                hs_free_compile_error(cerr);
                f |= HS_FLAG_PREFILTER;
                if (guard_hs_compile_cached(&r->regex, &f, NULL, 1, HS_MODE_BLOCK, &probe, &cerr) != HS_SUCCESS) {
                    hs_free_compile_error(cerr);
                    s->mode[i] = MODE_PCRE_ONLY;
                    s->any_pcre_only = 1;
                    continue;
                }
            }
            hs_free_database(probe);
            s->mode[i] = MODE_DETECT;
        }
        exprs[nhs] = r->regex;
        flags[nhs] = f;
        ids[nhs] = (unsigned)i;
        nhs++;
    }
    if (compile_databases(s, exprs, flags, ids, nhs, err, errsz) != 0)
        goto fail;
    /* The widest finding: the pattern's bound, or what the check may extend it to. */
    for (size_t k = 0; k < nhs; k++) {
        const struct detect_rule *r = &s->rules[ids[k]];
        hs_expr_info_t *info = NULL;
        hs_compile_error_t *cerr = NULL;
        size_t w = 0;
        if (s->mode[ids[k]] == MODE_SOM &&
            hs_expression_info(exprs[k], flags[k] & ~(HS_FLAG_SINGLEMATCH | HS_FLAG_SOM_LEFTMOST), &info, &cerr) == HS_SUCCESS) {
            w = info->max_width == UINT_MAX ? 0 : info->max_width;
            free(info);
        } else {
            hs_free_compile_error(cerr);
        }
        if (r->max_extent > 0)
            w = w > r->max_extent ? w : r->max_extent;
        else if (w == 0 || s->mode[ids[k]] != MODE_SOM)
            s->max_width = SIZE_MAX;
        if (s->max_width != SIZE_MAX && w > s->max_width)
            s->max_width = w;
    }
    if (s->any_pcre_only)
        s->max_width = SIZE_MAX;
    s->reach_all = compile_reach_all(s);
    free(exprs);
    free(flags);
    free(ids);
    return s;
fail:
    free(exprs);
    free(flags);
    free(ids);
    detect_free(s);
    return NULL;
}

size_t detect_max_width(const struct detect_set *s)
{
    return s == NULL || s->max_width == SIZE_MAX ? 0 : s->max_width;
}

size_t detect_rule_count(const struct detect_set *s)
{
    return s ? s->n : 0;
}

const struct detect_rule *detect_rule_at(const struct detect_set *s, size_t i)
{
    return s && i < s->n ? &s->rules[i] : NULL;
}

/* ---- scratch ---- */

struct detect_scratch *detect_scratch_new(void)
{
    struct detect_scratch *sc = util_calloc(1, sizeof(*sc));
    sc->md = pcre2_match_data_create(1, NULL);
    return sc;
}

int detect_scratch_grow(struct detect_scratch *sc, const struct detect_set *s)
{
    if (sc == NULL || s == NULL)
        return WARDEN_EINVAL;
    if (s->db != NULL && hs_alloc_scratch(s->db, &sc->hs) != HS_SUCCESS)
        return WARDEN_ENOMEM;
    for (size_t g = 0; g < s->n_gated; g++)
        if (hs_alloc_scratch(s->gated[g].db, &sc->hs) != HS_SUCCESS)
            return WARDEN_ENOMEM;
    for (size_t c = 0; c < s->n_ctx; c++)
        if (hs_alloc_scratch(s->ctx[c].db, &sc->hs) != HS_SUCCESS)
            return WARDEN_ENOMEM;
    if (sc->cap_hit < s->n) {
        sc->hit = util_realloc(sc->hit, s->n);
        sc->cap_hit = s->n;
    }
    if (sc->n_grown < sizeof(sc->grown) / sizeof(sc->grown[0]))
        sc->grown[sc->n_grown++] = s;
    return 0;
}

static int scratch_ready(struct detect_scratch *sc, const struct detect_set *s)
{
    for (size_t i = 0; i < sc->n_grown; i++)
        if (sc->grown[i] == s && sc->cap_hit >= s->n)
            return 0;
    return detect_scratch_grow(sc, s);
}

void detect_scratch_free(struct detect_scratch *sc)
{
    if (sc == NULL)
        return;
    hs_free_scratch(sc->hs);
    pcre2_match_data_free(sc->md);
    free(sc->cand);
    free(sc->win);
    free(sc->hit);
    free(sc->found);
    free(sc);
}

/* ---- scan ---- */

struct scan_ctx {
    const struct detect_set *s;
    struct detect_scratch *sc;
    const unsigned char *text;
    size_t len;
    size_t base; /* where the scanned stretch starts in text */
};

static void add_candidate(struct scan_ctx *x, unsigned rule, size_t start, size_t end)
{
    struct detect_scratch *sc = x->sc;
    const struct detect_rule *r = &x->s->rules[rule];
    if (!left_edge_ok(r, x->text, x->len, start) || !right_edge_ok(r, x->text, x->len, end))
        return;
    if (sc->n_cand == sc->cap_cand) {
        if (sc->cap_cand >= DETECT_MAX_CANDIDATES) {
            sc->overflow = 1;
            return;
        }
        sc->cap_cand = sc->cap_cand ? sc->cap_cand * 2 : 64;
        sc->cand = util_realloc(sc->cand, sc->cap_cand * sizeof(*sc->cand));
    }
    sc->cand[sc->n_cand++] = (struct candidate){start, end, rule};
}

/* Adds text[a, b) to where context rule c is scanned, merged into its last window when
 * they overlap (Hyperscan reports the words in order: the windows come nearly sorted). */
static void context_window_add(struct detect_scratch *sc, unsigned c, size_t a, size_t b)
{
    for (size_t k = sc->n_win; k-- > 0;)
        if (sc->win[k].slot == c) {
            struct context_window *w = &sc->win[k];
            if (a > w->end || b < w->start)
                break;
            w->start = a < w->start ? a : w->start;
            w->end = b > w->end ? b : w->end;
            return;
        }
    if (sc->n_win == sc->cap_win) {
        sc->cap_win = sc->cap_win ? sc->cap_win * 2 : 8;
        sc->win = util_realloc(sc->win, sc->cap_win * sizeof(*sc->win));
    }
    sc->win[sc->n_win++] = (struct context_window){a, b, c};
}

/* A word of context rule c ends at `to`: the rule's candidates it can be near lie in the window
 * added here. Near means (scan_core, detect_near) that the word lies within the
 * DETECT_CONTEXT_BEFORE bytes before the span's start s' or within the DETECT_CONTEXT_AFTER
 * bytes after its end e', where [s', e') is the candidate's span [s, e) (the check keeps it)
 * widened to whole characters: s' is s or the start of the character s is inside, e' the
 * first byte at or after e that is no continuation byte. A word after the span: e' >= to -
 * AFTER, so e is at least that point walked back over continuation bytes. A word before it:
 * s' <= to + BEFORE, so s is below that point + 1 walked forward over continuation bytes. The
 * pattern's one width W then bounds the span's other end. */
static void context_word(struct scan_ctx *x, unsigned c, size_t to)
{
    const unsigned char *t = x->text;
    size_t w = x->s->ctx[c].width;
    size_t a = to > DETECT_CONTEXT_AFTER ? to - DETECT_CONTEXT_AFTER : 0;
    while (a > 0 && utf8_continuation(t[a - 1]))
        a--;
    size_t b = to + DETECT_CONTEXT_BEFORE + 1;
    while (b < x->len && utf8_continuation(t[b]))
        b++;
    a = a > w ? a - w : 0;
    b = b + w < x->len ? b + w : x->len;
    context_window_add(x->sc, c, a, b);
}

static int on_hs_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ud)
{
    struct scan_ctx *x = ud;
    if (id >= x->s->n)
        context_word(x, x->s->word_ctx[id - x->s->n], (size_t)to);
    else if (x->s->mode[id] == MODE_SOM)
        add_candidate(x, id, x->base + (size_t)from, x->base + (size_t)to);
    else
        x->sc->hit[id] = 1;
    return x->sc->overflow ? 1 : 0;
}

/* The bytes of t[at, at + 64) in [lo, hi] (1 <= lo <= hi < 0x7F), as bits of a mask (bit k:
 * t[at + k]); past len, none. SSE2 (every x86-64) compares 16 at once; elsewhere one byte at
 * a time. 64 at a time, the loop over a block's trigger bytes ends (a branch the CPU cannot
 * predict) once per 64 bytes, not once per 16. */
#ifdef __SSE2__
static uint64_t bytes_in_range(const unsigned char *t, size_t at, size_t len, unsigned lo, unsigned hi)
{
    unsigned char buf[64];
    const unsigned char *p = t + at;
    if (at + 64 > len) {
        memset(buf, 0, sizeof(buf));
        p = memcpy(buf, t + at, len - at);
    }
    /* signed compares: bytes >= 0x80 are negative, below lo */
    __m128i below = _mm_set1_epi8((char)(lo - 1)), above = _mm_set1_epi8((char)(hi + 1));
    uint64_t m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
        __m128i in = _mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above));
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(in) << (16 * k);
    }
    return m;
}
#else
static uint64_t bytes_in_range(const unsigned char *t, size_t at, size_t len, unsigned lo, unsigned hi)
{
    uint64_t m = 0;
    for (size_t k = 0; k < 64 && at + k < len; k++)
        m |= (uint64_t)(t[at + k] >= lo && t[at + k] <= hi) << k;
    return m;
}
#endif

/* Scans text[a, b) with db; HS_INVALID retried once with a scratch grown for the set. */
static int scan_stretch(struct scan_ctx *x, const hs_database_t *db, size_t a, size_t b)
{
    x->base = a;
    hs_error_t e = guard_hs_scan(db, (const char *)x->text + a, (unsigned)(b - a), x->sc->hs, on_hs_match, x);
    if (e == HS_INVALID) {
        /* a set at an address this scratch was grown for earlier (freed, then reallocated) */
        if (detect_scratch_grow(x->sc, x->s) != 0)
            return WARDEN_ENOMEM;
        e = guard_hs_scan(db, (const char *)x->text + a, (unsigned)(b - a), x->sc->hs, on_hs_match, x);
    }
    x->base = 0;
    return e == HS_SUCCESS || e == HS_SCAN_TERMINATED ? 0 : WARDEN_EINVAL;
}

/* The trigger byte at i: scans each stretch of its gates that starts there (not one seen
 * already, before done[g]) and qualifies. */
static int open_gates(struct scan_ctx *x, size_t i, size_t *done)
{
    const struct detect_set *s = x->s;
    const unsigned char *t = x->text;
    for (unsigned bits = s->trigger[t[i]]; bits != 0; bits &= bits - 1) {
        unsigned g = (unsigned)__builtin_ctz(bits);
        if (i < done[g])
            continue;
        /* Triggers come in order: one of g before i in this stretch would have set done[g]
         * past i, so the triggers are all at or after i, and the walk back (for the
         * length) is only needed when there are enough of them. */
        const struct gated_db *gd = &s->gated[g];
        size_t a = i, b = i + 1, hits = 1;
        while (b < x->len && gd->run[t[b]])
            hits += (s->trigger[t[b++]] >> g) & 1u;
        done[g] = b;
        if (hits < gd->min_triggers)
            continue;
        while (a > 0 && gd->run[t[a - 1]])
            a--;
        if (b - a < gd->min_len)
            continue;
        if (b - a > UINT_MAX)
            return WARDEN_ETOOBIG;
        int rc = scan_stretch(x, gd->db, a, b);
        if (rc != 0 || x->sc->overflow)
            return rc;
    }
    return 0;
}

/* The gated rules: each gate's database scans the maximal stretches of its run bytes
 * that hold a trigger byte and meet its minimums. Every match lies inside one such
 * stretch, and every match ending at a given offset inside the same one, so the
 * candidates and their leftmost starts are the whole text's, less those in stretches
 * below the minimums, which no check accepts. Trigger bytes are looked for 64 at a time:
 * in prose most words hold none. */
static int gated_candidates(struct scan_ctx *x)
{
    size_t len = x->len, done[DETECT_MAX_GATES] = {0};
    unsigned lo = x->s->trigger_lo, hi = x->s->trigger_hi;
    for (size_t at = 0; at < len; at += 64)
        for (uint64_t m = bytes_in_range(x->text, at, len, lo, hi); m != 0; m &= m - 1) {
            int rc = open_gates(x, at + (size_t)__builtin_ctzll(m), done);
            if (rc != 0 || x->sc->overflow)
                return rc;
        }
    return 0;
}

/* The context rules: each scans the windows its words opened (see context_word) and, in a
 * stream (tail set), the end of the text, where a word still to come may be near: a candidate
 * whose e' (see context_word) lies within DETECT_CONTEXT_AFTER of the end. */
static int context_candidates(struct scan_ctx *x, int tail)
{
    const struct detect_set *s = x->s;
    struct detect_scratch *sc = x->sc;
    for (unsigned c = 0; tail && c < s->n_ctx; c++) {
        size_t a = x->len > DETECT_CONTEXT_AFTER ? x->len - DETECT_CONTEXT_AFTER : 0;
        while (a > 0 && utf8_continuation(x->text[a - 1]))
            a--;
        context_window_add(sc, c, a > s->ctx[c].width ? a - s->ctx[c].width : 0, x->len);
    }
    for (size_t k = 0; k < sc->n_win && !sc->overflow; k++) {
        int rc = scan_stretch(x, s->ctx[sc->win[k].slot].db, sc->win[k].start, sc->win[k].end);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int pcre_candidates(struct scan_ctx *x, unsigned rule)
{
    const struct detect_set *s = x->s;
    size_t off = 0;
    while (off <= x->len) {
        int rc = pcre2_match(s->re[rule], x->text, x->len, off, 0, x->sc->md, s->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            return 0;
        if (rc < 0)
            return WARDEN_EINVAL;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(x->sc->md);
        if (ov[1] > ov[0])
            add_candidate(x, rule, ov[0], ov[1]);
        off = ov[1] > off ? ov[1] : off + 1;
        if (x->sc->overflow)
            return 0;
    }
    return 0;
}

static int cand_cmp(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->rule != y->rule)
        return x->rule < y->rule ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1; /* longest first */
    return 0;
}

static void add_found(struct detect_scratch *sc, const struct detect_rule *r, size_t start, size_t end, double score)
{
    if (sc->n_found == sc->cap_found) {
        sc->cap_found = sc->cap_found ? sc->cap_found * 2 : 16;
        sc->found = util_realloc(sc->found, sc->cap_found * sizeof(*sc->found));
    }
    struct guard_finding *f = &sc->found[sc->n_found++];
    memset(f, 0, sizeof(*f));
    f->start = start;
    f->end = end;
    f->score = score;
    snprintf(f->type, sizeof(f->type), "%s", r->entity);
}

/* Longer first, then higher score, then earlier. */
static int found_rank_cmp(const void *a, const void *b)
{
    const struct guard_finding *x = a, *y = b;
    size_t lx = x->end - x->start, ly = y->end - y->start;
    if (lx != ly)
        return lx > ly ? -1 : 1;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int found_pos_cmp(const void *a, const void *b)
{
    const struct guard_finding *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* Streams: what a candidate still waits for. */
struct stream_wait {
    int active;     /* more text may come */
    size_t pending; /* earliest start of a candidate a context word still to come could raise */
};

/* Candidates -> scored findings in sc->found (sorted by start, no overlaps); returns how many, or <0. */
static int scan_core(const struct detect_set *s, struct detect_scratch *sc, const char *text, size_t len, double threshold,
                     struct stream_wait *wait)
{
    if (s == NULL || sc == NULL || (text == NULL && len > 0))
        return WARDEN_EINVAL;
    if (scratch_ready(sc, s) != 0)
        return WARDEN_ENOMEM;
    struct scan_ctx x = {s, sc, (const unsigned char *)text, len, 0};
    sc->n_cand = 0;
    sc->n_found = 0;
    sc->n_win = 0;
    sc->overflow = 0;
    memset(sc->hit, 0, s->n);
    if (s->db != NULL && len > 0) {
        hs_error_t e = guard_hs_scan(s->db, text, (unsigned)(len > UINT_MAX ? UINT_MAX : len), sc->hs, on_hs_match, &x);
        if (e == HS_INVALID) {
            /* a set at an address this scratch was grown for earlier (freed, then reallocated) */
            if (detect_scratch_grow(sc, s) != 0)
                return WARDEN_ENOMEM;
            sc->n_cand = 0;
            sc->n_win = 0;
            e = guard_hs_scan(s->db, text, (unsigned)(len > UINT_MAX ? UINT_MAX : len), sc->hs, on_hs_match, &x);
        }
        if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
            return WARDEN_EINVAL;
        if (len > UINT_MAX)
            return WARDEN_ETOOBIG;
    }
    if (s->n_gated > 0 && len > 0 && !sc->overflow) {
        int rc = gated_candidates(&x);
        if (rc != 0)
            return rc;
    }
    if (s->n_ctx > 0 && len > 0 && !sc->overflow) {
        int rc = context_candidates(&x, wait != NULL && wait->active);
        if (rc != 0)
            return rc;
    }
    for (unsigned i = 0; i < s->n && !sc->overflow; i++)
        if ((s->mode[i] == MODE_DETECT && sc->hit[i]) || s->mode[i] == MODE_PCRE_ONLY)
            if (pcre_candidates(&x, i) != 0)
                return WARDEN_EINVAL;
    if (sc->overflow)
        return WARDEN_ETOOBIG;
    if (sc->n_cand == 0)
        return 0;

    qsort(sc->cand, sc->n_cand, sizeof(*sc->cand), cand_cmp);
    struct table_cache tables = {0};
    for (size_t i = 0; i < sc->n_cand;) {
        size_t j = i;
        const struct candidate *c0 = &sc->cand[i];
        while (j < sc->n_cand && sc->cand[j].start == c0->start && sc->cand[j].rule == c0->rule)
            j++;
        const struct detect_rule *r = &s->rules[c0->rule];
        for (size_t k = i; k < j; k++) {
            struct detect_span sp = {sc->cand[k].start, sc->cand[k].end};
            int v = r->check ? r->check(text, len, &sp, r) : DETECT_MATCH;
            if (v == DETECT_REJECT || sp.end <= sp.start || sp.end > len)
                continue;
            /* whole characters only (a byte-mode '.' may stop inside one): redaction keeps UTF-8 valid */
            while (sp.start > 0 && utf8_continuation((unsigned char)text[sp.start]))
                sp.start--;
            while (sp.end < len && utf8_continuation((unsigned char)text[sp.end]))
                sp.end++;
            double score = v == DETECT_VALID ? r->valid_score : r->score;
            int ctx = detect_near(text, len, sp.start, sp.end, r->context, r->n_context, DETECT_CONTEXT_BEFORE,
                                  DETECT_CONTEXT_AFTER);
            int negative = r->n_negative && detect_label_before(text, sp.start, r->negative, r->n_negative);
            /* a table's header is its column's context (or its negative label: "invoice number"), for
             * rules that name header words and that context only raises (a rule that needs it is
             * scanned near its words alone) */
            size_t hcs, hce;
            if (!ctx && !negative && !(r->flags & DETECT_NEED_CONTEXT) && r->n_header_context > 0 && score < threshold &&
                clamp01(score + DETECT_CONTEXT_BOOST) >= threshold && table_header_cell(text, len, sp.start, &tables, &hcs, &hce)) {
                if (r->n_negative && detect_label_before(text, hce, r->negative, r->n_negative))
                    negative = 1;
                else
                    ctx = window_has(text, hcs, hce, r->header_context, r->n_header_context);
            }
            /* a context word may still come within DETECT_CONTEXT_AFTER: a candidate it would
             * raise over the threshold is not decided yet */
            if (wait != NULL && wait->active && !ctx && !negative && r->n_context > 0 &&
                sp.end + DETECT_CONTEXT_AFTER > len && clamp01(score + DETECT_CONTEXT_BOOST) >= threshold &&
                ((r->flags & DETECT_NEED_CONTEXT) || score < threshold) && sp.start < wait->pending)
                wait->pending = sp.start;
            if ((r->flags & DETECT_NEED_CONTEXT) && !ctx)
                break;
            /* a label that makes it an identifier ("order 415-555-0132") outweighs any context */
            if (negative)
                score -= DETECT_NEGATIVE_PENALTY;
            else if (ctx)
                score += DETECT_CONTEXT_BOOST;
            score = clamp01(score);
            if (score >= threshold)
                add_found(sc, r, sp.start, sp.end, score);
            break;
        }
        i = j;
    }
    if (sc->n_found == 0)
        return 0;

    /* Overlaps: the longer span, then the higher score, wins. */
    size_t kept = sc->n_found;
    if (sc->n_found > 1) {
        /* a bitmap of taken bytes keeps this linear in the spans' total length */
        qsort(sc->found, sc->n_found, sizeof(*sc->found), found_rank_cmp);
        unsigned char *taken = util_calloc(len / 8 + 1, 1);
        kept = 0;
        for (size_t i = 0; i < sc->n_found; i++) {
            const struct guard_finding *f = &sc->found[i];
            int overlaps = 0;
            for (size_t b = f->start; b < f->end && !overlaps; b++)
                overlaps = taken[b >> 3] & (1u << (b & 7));
            if (overlaps)
                continue;
            for (size_t b = f->start; b < f->end; b++)
                taken[b >> 3] |= (unsigned char)(1u << (b & 7));
            sc->found[kept++] = *f;
        }
        free(taken);
    }
    qsort(sc->found, kept, sizeof(*sc->found), found_pos_cmp);
    return (int)kept;
}

/* Appends found[0, kept) with their text's index to the caller's array. */
static void append_found(const struct guard_finding *found, size_t kept, size_t index, struct guard_finding **out, size_t *n,
                         size_t *cap)
{
    if (*n + kept > *cap) {
        size_t nc = *cap ? *cap : 8;
        while (nc < *n + kept)
            nc *= 2;
        *out = util_realloc(*out, nc * sizeof(**out));
        *cap = nc;
    }
    for (size_t i = 0; i < kept; i++) {
        (*out)[*n] = found[i];
        (*out)[(*n)++].index = index;
    }
}

/* ---- folding: scan what a reader sees, not the bytes ----
 *
 * Invisible characters inside a value ("4111<U+200B>1111...", "john<U+200B>.doe@...")
 * and other spellings of its ASCII characters (full-width digits and letters, "＠",
 * Arabic-Indic or Devanagari digits, "%40" for '@', JSON escapes such as "\u0040" in
 * tool-call arguments) hide it from ASCII patterns, and a reader (or the model) still
 * sees the value. A text that has any of them is scanned as
 * a folded copy: invisible characters dropped, the others replaced by their ASCII
 * character; each folded byte remembers the original character it came from, so the
 * findings are mapped back to spans of the original text that cover whole characters
 * (the invisible ones inside included). */

struct fold {
    char *text;
    size_t len;
    size_t *from, *to; /* folded byte i came from the original character text[from[i], to[i]) */
};

/* What cp folds to: an ASCII byte, 0 to drop it, -1 to keep it as it is. */
static int fold_cp(int32_t cp)
{
    if (cp == 0xAD || cp == 0x180E || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF)
        return 0; /* soft hyphen, zero-width space / joiners, word joiner, BOM */
    if (cp >= 0xFF10 && cp <= 0xFF19)
        return '0' + (cp - 0xFF10);
    if (cp >= 0xFF21 && cp <= 0xFF3A)
        return 'A' + (cp - 0xFF21);
    if (cp >= 0xFF41 && cp <= 0xFF5A)
        return 'a' + (cp - 0xFF41);
    if (cp == 0xFF20)
        return '@';
    if (cp == 0xFF0E)
        return '.';
    if (cp == 0xFF0D)
        return '-';
    if (cp == 0xFF0B)
        return '+';
    if (cp == 0xFF3F)
        return '_';
    static const int32_t digit_zero[] = {0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66,
                                         0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0E50, 0x0ED0, 0x1040, 0x17E0};
    for (size_t i = 0; i < sizeof(digit_zero) / sizeof(digit_zero[0]); i++)
        if (cp >= digit_zero[i] && cp <= digit_zero[i] + 9)
            return '0' + (cp - digit_zero[i]);
    if (cp >= 0x1D7CE && cp <= 0x1D7FF)
        return '0' + (cp - 0x1D7CE) % 10; /* mathematical digits */
    return -1;
}

static size_t utf8_len_at(const unsigned char *t, size_t len, size_t i)
{
    unsigned c = t[i];
    size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 1;
    return i + n <= len ? n : 1;
}

static int hex4(const unsigned char *t, size_t len, size_t i, int32_t *v)
{
    uint32_t u;
    if (i + 4 > len || util_hex4((const char *)t + i, &u) != 0)
        return 0;
    *v = (int32_t)u;
    return 1;
}

static int utf8_put(int32_t cp, unsigned char out[4])
{
    if (cp < 0x80)
        return out[0] = (unsigned char)cp, 1;
    if (cp < 0x800)
        return out[0] = (unsigned char)(0xC0 | cp >> 6), out[1] = (unsigned char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A JSON escape at t[i] == '\\' (tool-call arguments are JSON inside a string): its
 * code point and in *n its length; -1 if it is none. Decoded, a value spelled with
 * escapes is found, and a span never starts or ends inside an escape (which would
 * leave "\\<EMAIL_ADDRESS_1>" behind: arguments that are not JSON any more). */
static int32_t json_escape_at(const unsigned char *t, size_t len, size_t i, size_t *n)
{
    if (i + 1 >= len)
        return -1;
    *n = 2;
    switch (t[i + 1]) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'b': return '\b';
    case 'f': return '\f';
    case '"': return '"';
    case '/': return '/';
    case '\\': return '\\';
    case 'u': break;
    default: return -1;
    }
    int32_t hi, lo;
    if (!hex4(t, len, i + 2, &hi) || (hi >= 0xDC00 && hi <= 0xDFFF))
        return -1;
    *n = 6;
    if (hi < 0xD800 || hi > 0xDBFF)
        return hi;
    if (i + 12 > len || t[i + 6] != '\\' || t[i + 7] != 'u' || !hex4(t, len, i + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
        return -1; /* a lone surrogate: not a character */
    *n = 12;
    return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
}

/* What the text at i folds to: the bytes in out and their count (0: dropped), or -1 to
 * keep the text's own *n bytes. */
static int fold_at(const unsigned char *t, size_t len, size_t i, size_t *n, unsigned char out[4])
{
    *n = 1;
    if (t[i] == '%') {
        if (i + 2 < len && t[i + 1] == '4' && t[i + 2] == '0')
            return *n = 3, out[0] = '@', 1;
        return -1;
    }
    int32_t cp;
    if (t[i] == '\\') {
        size_t en;
        if ((cp = json_escape_at(t, len, i, &en)) < 0)
            return -1;
        *n = en;
        int c = fold_cp(cp);
        if (c >= 0)
            return c == 0 ? 0 : (out[0] = (unsigned char)c, 1);
        return utf8_put(cp, out);
    }
    if (t[i] < 0x80)
        return -1;
    /* a byte that starts no well-formed character is one character by itself: taken as
     * the length its lead byte announces, "\xff::+44..." would be one character, and the
     * two findings that begin inside it ("::", "+44...") would both map back to its start */
    if ((cp = cp_at(t, len, i)) < 0)
        return -1;
    *n = utf8_len_at(t, len, i);
    int c = fold_cp(cp);
    return c < 0 ? -1 : c == 0 ? 0 : (out[0] = (unsigned char)c, 1);
}

/* Are the 64 bytes at p all ASCII? */
static int ascii64(const unsigned char *p)
{
#ifdef __SSE2__
    __m128i v = _mm_or_si128(_mm_or_si128(_mm_loadu_si128((const __m128i *)p), _mm_loadu_si128((const __m128i *)(p + 16))),
                             _mm_or_si128(_mm_loadu_si128((const __m128i *)(p + 32)), _mm_loadu_si128((const __m128i *)(p + 48))));
    return _mm_movemask_epi8(v) == 0;
#else
    uint64_t w[8], any = 0;
    memcpy(w, p, 64);
    for (int k = 0; k < 8; k++)
        any |= w[k];
    return (any & 0x8080808080808080ull) == 0;
#endif
}

/* Most texts are ASCII with no '%' or '\\': memchr and 64 bytes at a time keep this
 * check far below the cost of the scan itself. */
static int needs_fold(const unsigned char *t, size_t len)
{
    size_t n;
    unsigned char out[4];
    static const unsigned char marks[2] = {'%', '\\'};
    for (int m = 0; m < 2; m++)
        for (const unsigned char *p = t; (p = memchr(p, marks[m], len - (size_t)(p - t))) != NULL; p++)
            if (fold_at(t, len, (size_t)(p - t), &n, out) >= 0)
                return 1;
    for (size_t i = 0; i < len;) {
        uint64_t w;
        if (i + 64 <= len && ascii64(t + i)) {
            i += 64;
            continue;
        }
        if (i + 8 <= len && (memcpy(&w, t + i, 8), (w & 0x8080808080808080ull) == 0)) {
            i += 8;
            continue;
        }
        if (t[i] >= 0x80 && fold_at(t, len, i, &n, out) >= 0)
            return 1;
        i++;
    }
    return 0;
}

/* Every fold is no longer than what it replaces, so the copy fits in len bytes. */
static void fold_build(struct fold *f, const unsigned char *t, size_t len)
{
    f->text = util_malloc(len + 1);
    f->from = util_malloc((len + 1) * sizeof(*f->from));
    f->to = util_malloc((len + 1) * sizeof(*f->to));
    f->len = 0;
    for (size_t i = 0, n; i < len; i += n) {
        unsigned char out[4];
        int c = fold_at(t, len, i, &n, out);
        const unsigned char *src = c < 0 ? t + i : out;
        size_t cnt = c < 0 ? n : (size_t)c;
        for (size_t k = 0; k < cnt; k++) {
            f->text[f->len] = (char)src[k];
            f->from[f->len] = i;
            f->to[f->len] = i + n;
            f->len++;
        }
    }
    f->text[f->len] = '\0';
}

static void fold_free(struct fold *f)
{
    free(f->text);
    free(f->from);
    free(f->to);
}

static int scan_text(const struct detect_set *s, struct detect_scratch *sc, const char *text, size_t len, size_t index,
                     double threshold, struct guard_finding **out, size_t *n, size_t *cap);

int detect_scan(const struct detect_set *s, struct detect_scratch *sc, const char *text, size_t len, size_t index,
                double threshold, struct guard_finding **out, size_t *n, size_t *cap)
{
    if (s == NULL || sc == NULL || (text == NULL && len > 0))
        return WARDEN_EINVAL;
    if (len == 0 || !needs_fold((const unsigned char *)text, len))
        return scan_text(s, sc, text, len, index, threshold, out, n, cap);
    struct fold f;
    fold_build(&f, (const unsigned char *)text, len);
    size_t first = *n;
    int rc = scan_text(s, sc, f.text, f.len, index, threshold, out, n, cap);
    for (size_t i = first; rc > 0 && i < *n; i++) {
        struct guard_finding *g = &(*out)[i];
        size_t fs = g->start, fe = g->end;
        g->start = f.from[fs];
        g->end = f.to[fe - 1];
    }
    fold_free(&f);
    return rc;
}

static int scan_text(const struct detect_set *s, struct detect_scratch *sc, const char *text, size_t len, size_t index,
                     double threshold, struct guard_finding **out, size_t *n, size_t *cap)
{
    int kept = scan_core(s, sc, text, len, threshold, NULL);
    if (kept > 0)
        append_found(sc->found, (size_t)kept, index, out, n, cap);
    return kept;
}

/* The start of the token around pos (non-space bytes, at most 64 back: an e-mail's
 * local part), then, for a number, up to `back` bytes of its prefix ("+1 "); never
 * before from. */
static size_t token_start(size_t back, const char *text, size_t pos, size_t from)
{
    size_t p = pos;
    while (p > from && pos - p < 64 && !isspace((unsigned char)text[p - 1]))
        p--;
    if (!isdigit((unsigned char)text[p]) && text[p] != '(' && text[p] != '+')
        return p; /* only a number has a prefix */
    while (p > from && back-- > 0 && text[p - 1] != 0 && strchr("+0123456789 .-(", text[p - 1]) != NULL)
        p--;
    return p;
}

/* The earliest start >= from of a prefix of rule i's stream pattern (all rules: i == n,
 * the joined pattern) that reaches end, lowering *hold. Returns 0, 1 when the joined
 * pattern found a complete match at *complete (alternatives after the matching one
 * were not tried there), or WARDEN_EINVAL. */
static int partial_of(const struct detect_set *s, struct detect_scratch *sc, size_t i, const char *text, size_t end,
                      size_t from, size_t *hold, size_t *complete)
{
    const pcre2_code *re = i < s->n ? s->reach[i] : s->reach_all;
    size_t back = i < s->n ? s->rules[i].stream_back : s->stream_back;
    size_t off = from;
    while (off < end && off < *hold) {
        int rc = pcre2_match(re, (PCRE2_SPTR)text, end, off, PCRE2_PARTIAL_HARD, sc->md, s->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            return 0;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
        if (rc == PCRE2_ERROR_PARTIAL) {
            size_t h = token_start(back, text, ov[0] < off ? off : ov[0], from);
            if (h < *hold)
                *hold = h;
            return 0;
        }
        if (rc < 0)
            return WARDEN_EINVAL;
        if (i == s->n) {
            *complete = ov[0];
            return 1;
        }
        /* a complete match is decided; another one may start inside it */
        off = ov[0] + 1;
        while (off < end && utf8_continuation((unsigned char)text[off]))
            off++;
    }
    return 0;
}

/* The earliest start >= from of a prefix of a stream pattern that reaches end. The joined
 * pattern answers in one call unless it meets a complete match (rare in prose): from
 * there on each rule's own pattern decides. Returns 1 when the joined pattern met no
 * complete match before *hold: then no finding can start in [from, *hold) (each
 * finding's stream pattern starts inside it at or after from), 0 when one may. */
static int partial_hold(const struct detect_set *s, struct detect_scratch *sc, const char *text, size_t end, size_t from,
                        size_t *hold)
{
    size_t complete = from;
    if (s->reach_all != NULL) {
        int rc = partial_of(s, sc, s->n, text, end, from, hold, &complete);
        if (rc <= 0)
            return rc < 0 ? rc : 1;
    }
    for (size_t i = 0; i < s->n; i++)
        if (partial_of(s, sc, i, text, end, complete, hold, &complete) < 0)
            return WARDEN_EINVAL;
    return 0;
}

int detect_scan_stream(const struct detect_set *s, struct detect_scratch *sc, const char *text, size_t len, size_t from,
                       int final, double threshold, struct guard_finding **out, size_t *n, size_t *cap, size_t *hold)
{
    if (s == NULL || sc == NULL || (text == NULL && len > 0) || from > len)
        return WARDEN_EINVAL;
    *hold = len;
    struct stream_wait wait = {.active = !final, .pending = len};
    if (!final) {
        /* a character cut by the end of the text so far is not text yet */
        size_t end = len, lead = len;
        while (lead > from && len - lead < 4 && utf8_continuation((unsigned char)text[lead - 1]))
            lead--;
        if (lead > from) {
            unsigned c = (unsigned char)text[lead - 1];
            size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            if (lead - 1 + need > len)
                end = lead - 1;
        }
        *hold = end;
        int none = partial_hold(s, sc, text, end, from, hold);
        if (none < 0)
            return WARDEN_EINVAL;
        if (none)
            return 0; /* nothing to find before the hold: the scan is skipped */
    }
    int kept = scan_core(s, sc, text, len, threshold, &wait);
    if (kept < 0)
        return kept;
    if (wait.pending < *hold)
        *hold = wait.pending < from ? from : wait.pending;
    size_t first = 0, last = 0;
    for (size_t i = 0; i < (size_t)kept; i++) {
        const struct guard_finding *f = &sc->found[i];
        if (f->start < from) {
            if (f->end > from)
                return WARDEN_ETOOBIG; /* part of it went out already */
            first = i + 1;
            continue;
        }
        if (f->end > *hold) {
            /* it may still grow or be outranked: held from its start, with everything after it */
            if (f->start < *hold)
                *hold = f->start;
            break;
        }
        last = i + 1;
    }
    if (last > first)
        append_found(sc->found + first, last - first, 0, out, n, cap);
    return last > first ? (int)(last - first) : 0;
}
