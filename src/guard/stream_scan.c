/* Incremental matcher for streams. See stream_scan.h for the contract.
 *
 * Technique: PCRE2 partial matching. Each pattern (a regex of a regex rule,
 * or the keyword alternation of a keywords rule) keeps `off`, the absolute
 * offset from which it has not resolved the text yet. On each piece it runs
 * from there with PCRE2_PARTIAL_HARD (redact, log: a match at the end of the
 * text might grow, so it comes back as partial) or PCRE2_PARTIAL_SOFT (block:
 * any complete match blocks at once), and gets one of:
 *   no match  -> nothing in [off, end) can start a match, even with more text:
 *                off = end;
 *   partial   -> a match may start at s: off = s, and the channel holds from s;
 *   complete  -> a final match [s, e): block, log, or a redaction span; the
 *                search goes on from e (keywords: from s + 1, so overlapping
 *                keywords merge into one span as in guard_scan_redact).
 * The release point is the smallest hold over all patterns; spans are replaced
 * whole, and a span that a possible match still overlaps is held with it.
 *
 * Invariants: (1) base <= rel <= every pattern's off, for block and redact
 * rules; (2) spans are sorted, disjoint and start at or after rel; (3) buf
 * holds [base, end) with at most CONTEXT bytes before rel. */
#include "guard/stream_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/detect.h"
#include "guard/placeholder.h"
#include "guard/scan_int.h"
#include "util/alloc.h"
#include "util/err.h"

#define CONTEXT 32         /* released bytes kept for lookbehinds and word boundaries */
#define DETECT_CONTEXT 128 /* for detect rules: context words (64 before), labels, an e-mail's local part */

struct stream_pat {
    const struct guard_stream_rule *rule;
    size_t rule_index;
    unsigned pattern; /* regex index; keywords: the alternation's index */
    const pcre2_code *re;
    int keywords;
    int first; /* every match starts with this byte (-1: unknown): text without it is resolved at once */
    size_t off;  /* absolute: not resolved before this */
    size_t hold; /* absolute: where a possible match starts, or the end */
};

struct stream_span {
    size_t start, end; /* absolute */
    const struct guard_stream_rule *rule;
    char type[40]; /* detect rules: the entity, for a typed placeholder */
};

struct guard_stream {
    const struct guard_stream_rule *rules;
    size_t nrules;
    struct stream_pat *pats;
    size_t npats;
    char *buf; /* bytes [base, base + len) */
    size_t len, cap, base;
    size_t rel; /* absolute: the first byte not released */
    struct stream_span *spans;
    size_t nspans, capspans;
    size_t context;   /* bytes kept before rel */
    size_t *detected; /* per rule (detect rules): absolute end of the findings already acted on */
    struct guard_finding *finds;
    size_t nfinds, capfinds;
    int status;
    struct guard_stream_result res;
    int by_first; /* every pattern has a first byte and no rule is a detect rule (see fast_take) */
    int json;     /* the channel's text is JSON (tool-call arguments): placeholders name decoded values */
};

/* The byte every match of a regex starts with, or -1. Only when that is certain without
 * running it: PCRE2 knows a fixed first code unit, the pattern is case-sensitive, and it
 * has no inline options, lookarounds, verbs or escapes (a \b or a lookbehind can make a
 * partial match begin before that byte). Then a text without the byte holds no match,
 * complete or partial, and PCRE2 would say no match too. */
static int first_byte(const pcre2_code *re, const char *text)
{
    uint32_t type = 0, unit = 0, opts = 0, behind = 1;
    if (text == NULL || strstr(text, "(?") != NULL || strstr(text, "(*") != NULL || strchr(text, '\\') != NULL)
        return -1;
    if (pcre2_pattern_info(re, PCRE2_INFO_MAXLOOKBEHIND, &behind) != 0 || behind != 0 ||
        pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODETYPE, &type) != 0 || type != 1 ||
        pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODEUNIT, &unit) != 0 ||
        pcre2_pattern_info(re, PCRE2_INFO_ALLOPTIONS, &opts) != 0 || (opts & PCRE2_CASELESS) || unit > 0xFF)
        return -1;
    return (int)unit;
}

struct guard_stream *guard_stream_new(const struct guard_stream_rule *rules, size_t n)
{
    struct guard_stream *st = util_calloc(1, sizeof(*st));
    st->rules = rules;
    st->nrules = n;
    size_t np = 0;
    st->context = CONTEXT;
    st->detected = util_calloc(n ? n : 1, sizeof(*st->detected));
    for (size_t i = 0; i < n; i++) {
        if (rules[i].scan == NULL) {
            st->context = DETECT_CONTEXT;
            continue;
        }
        np += rules[i].scan->kind == GUARD_SCAN_KEYWORDS ? rules[i].scan->n_kw_res : rules[i].scan->n;
    }
    st->pats = util_calloc(np ? np : 1, sizeof(*st->pats));
    for (size_t i = 0; i < n; i++) {
        const struct guard_scan *s = rules[i].scan;
        if (s == NULL)
            continue;
        size_t k = s->kind == GUARD_SCAN_KEYWORDS ? s->n_kw_res : s->n;
        for (size_t j = 0; j < k; j++) {
            struct stream_pat *p = &st->pats[st->npats++];
            p->rule = &rules[i];
            p->rule_index = i;
            p->pattern = (unsigned)j;
            p->keywords = s->kind == GUARD_SCAN_KEYWORDS;
            p->re = p->keywords ? s->kw_res[j] : s->pats[j].re;
            /* whole words and caseless patterns compile to more than their text says */
            p->first = p->keywords || (s->flags & (GUARD_SCAN_WHOLE_WORD | GUARD_SCAN_CASELESS)) ? -1
                                                                                            : first_byte(p->re, s->pats[j].text);
        }
    }
    st->by_first = st->context == CONTEXT;
    for (size_t i = 0; i < st->npats; i++)
        if (st->pats[i].first < 0)
            st->by_first = 0;
    return st;
}

void guard_stream_free(struct guard_stream *st)
{
    if (st == NULL)
        return;
    free(st->pats);
    free(st->buf);
    free(st->spans);
    free(st->detected);
    free(st->finds);
    free(st);
}

void guard_stream_reset(struct guard_stream *st)
{
    st->len = st->base = st->rel = 0;
    st->nspans = st->nfinds = 0;
    st->status = GUARD_STREAM_OK;
    st->json = 0;
    memset(&st->res, 0, sizeof(st->res));
    memset(st->detected, 0, (st->nrules ? st->nrules : 1) * sizeof(*st->detected));
    for (size_t i = 0; i < st->npats; i++)
        st->pats[i].off = st->pats[i].hold = 0;
}

void guard_stream_set_json(struct guard_stream *st, int json)
{
    st->json = json;
}

size_t guard_stream_held(const struct guard_stream *st)
{
    return st->base + st->len - st->rel;
}

static void buf_append(struct guard_stream *st, const char *text, size_t len)
{
    if (st->len + len > st->cap) {
        st->cap = (st->len + len) * 2 < 256 ? 256 : (st->len + len) * 2;
        st->buf = util_realloc(st->buf, st->cap);
    }
    memcpy(st->buf + st->len, text, len);
    st->len += len;
}

/* Adds the final match [s, e) as a redaction span, merging with overlapping ones. */
static void span_add(struct guard_stream *st, size_t s, size_t e, const struct guard_stream_rule *rule, const char *type)
{
    size_t i = st->nspans;
    while (i > 0 && st->spans[i - 1].start > s)
        i--;
    /* merge with the span before when they overlap */
    if (i > 0 && st->spans[i - 1].end > s) {
        struct stream_span *m = &st->spans[i - 1];
        if (e > m->end)
            m->end = e;
        i--;
    } else {
        if (st->nspans == st->capspans) {
            st->capspans = st->capspans ? st->capspans * 2 : 4;
            st->spans = util_realloc(st->spans, st->capspans * sizeof(*st->spans));
        }
        memmove(st->spans + i + 1, st->spans + i, (st->nspans - i) * sizeof(*st->spans));
        st->spans[i] = (struct stream_span){s, e, rule, {0}};
        if (type != NULL)
            snprintf(st->spans[i].type, sizeof(st->spans[i].type), "%s", type);
        st->nspans++;
    }
    /* absorb the spans after it that it now overlaps */
    struct stream_span *m = &st->spans[i];
    size_t j = i + 1;
    while (j < st->nspans && st->spans[j].start < m->end) {
        if (st->spans[j].end > m->end)
            m->end = st->spans[j].end;
        j++;
    }
    memmove(st->spans + i + 1, st->spans + j, (st->nspans - j) * sizeof(*st->spans));
    st->nspans -= j - i - 1;
}

static int stop(struct guard_stream *st, int status, const struct stream_pat *p)
{
    st->status = status;
    st->res.rule = p->rule_index;
    st->res.pattern = p->pattern;
    return status;
}

/* The largest offset <= upto (and >= pos) that does not fall inside a UTF-8
 * character, counting a character cut by the end of the text so far as inside. */
static size_t char_start(const struct guard_stream *st, size_t pos, size_t upto, size_t end)
{
    if (upto <= pos)
        return upto;
    const unsigned char *b = (const unsigned char *)st->buf;
    if (b[upto - 1 - st->base] < 0x80)
        return upto; /* ASCII: no character is cut there */
    size_t lead = upto - 1; /* absolute; b[lead - base] */
    while (lead > pos && upto - lead < 4 && (b[lead - st->base] & 0xC0) == 0x80)
        lead--;
    unsigned c = b[lead - st->base];
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return lead + need > upto ? lead : upto;
}

/* Advances one pattern over the text; returns a status (OK or what stops the channel). */
static int advance(struct guard_stream *st, struct guard_scan_scratch *sc, struct stream_pat *p, int final)
{
    const struct guard_stream_rule *r = p->rule;
    size_t end = st->base + st->len;
    uint32_t opts = st->base > 0 ? PCRE2_NOTBOL : 0;
    if (!final) {
        opts |= r->action == GUARD_STREAM_BLOCK ? PCRE2_PARTIAL_SOFT : PCRE2_PARTIAL_HARD;
        /* a character cut by the end of the text so far is not text yet: PCRE2 would
         * see an invalid character (no match) where the whole one may continue a match */
        end = char_start(st, st->base, end, end);
    }
    p->hold = end;
    while (p->off < end) {
        if (p->first >= 0 && memchr(st->buf + (p->off - st->base), p->first, end - p->off) == NULL) {
            p->off = end;
            return GUARD_STREAM_OK;
        }
        int rc = pcre2_match(p->re, (PCRE2_SPTR)st->buf, end - st->base, p->off - st->base, opts, sc->md, r->scan->mctx);
        if (rc == PCRE2_ERROR_NOMATCH) {
            p->off = end;
            return GUARD_STREAM_OK;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
        if (rc == PCRE2_ERROR_PARTIAL) {
            size_t s = st->base + ov[0];
            if (s < p->off)
                s = p->off; /* a lookbehind inspected earlier bytes: the match itself starts here */
            p->off = s;
            if (r->action == GUARD_STREAM_LOG) {
                /* logging never holds text back; it looks again from here, within its window */
                if (end - s > r->window)
                    p->off = end - r->window;
                return GUARD_STREAM_OK;
            }
            p->hold = s;
            if (end - s > r->window)
                return stop(st, GUARD_STREAM_OVERFLOW, p);
            return GUARD_STREAM_OK;
        }
        if (rc < 0) {
            if (!r->fail_open)
                return stop(st, GUARD_STREAM_ERROR, p);
            st->res.skipped++;
            p->off = end; /* this pattern cannot check this text: skip it */
            return GUARD_STREAM_OK;
        }
        size_t s = st->base + ov[0], e = st->base + ov[1];
        if (e <= s) {
            p->off = (e > s ? e : s) + 1;
            continue;
        }
        switch (r->action) {
        case GUARD_STREAM_BLOCK:
            return stop(st, GUARD_STREAM_MATCH, p);
        case GUARD_STREAM_LOG:
            st->res.logged++;
            break;
        case GUARD_STREAM_REDACT:
            span_add(st, s, e, r, NULL);
            st->res.redacted++;
            break;
        }
        if (p->keywords) {
            /* from the next character: an overlapping keyword merges into this span */
            p->off = s + 1;
            while (p->off < e && ((unsigned char)st->buf[p->off - st->base] & 0xC0) == 0x80)
                p->off++;
        } else {
            p->off = e;
        }
    }
    return GUARD_STREAM_OK;
}

/* Appends [from, to) of the buffer (absolute offsets) to out. */
static int emit(struct guard_stream *st, struct util_buf *out, size_t from, size_t to)
{
    return to > from ? util_buf_append(out, st->buf + (from - st->base), to - from) : 0;
}

/* Releases everything before `upto`, replacing whole spans. */
static int release(struct guard_stream *st, struct util_buf *out, size_t upto, int final)
{
    size_t pos = st->rel;
    size_t end = st->base + st->len;
    size_t k = 0;
    /* never cut a UTF-8 character while more text may come */
    if (!final)
        upto = char_start(st, pos, upto, end);
    for (; k < st->nspans && st->spans[k].start < upto; k++) {
        const struct stream_span *sp = &st->spans[k];
        if (sp->end > upto) {
            upto = sp->start; /* a possible match overlaps it: it may still grow */
            break;
        }
        const char *rep = sp->rule->replacement ? sp->rule->replacement : "";
        size_t rep_len = strlen(rep);
        if (sp->rule->map != NULL && sp->type[0]) {
            /* typed: numbered per distinct value across the stream (the map is the stream's) */
            const char *v = st->buf + (sp->start - st->base);
            size_t vl = sp->end - sp->start;
            const char *ph = st->json ? guard_placeholders_add_json(sp->rule->map, sp->type, v, vl, &rep_len)
                                      : guard_placeholders_add(sp->rule->map, sp->type, v, vl, &rep_len);
            if (ph != NULL)
                rep = ph;
            else
                rep_len = strlen(rep);
        }
        if (emit(st, out, pos, sp->start) != 0 || util_buf_append(out, rep, rep_len) != 0)
            return WARDEN_ETOOBIG;
        pos = sp->end;
    }
    if (k > 0) {
        memmove(st->spans, st->spans + k, (st->nspans - k) * sizeof(*st->spans));
        st->nspans -= k;
    }
    if (upto > pos && emit(st, out, pos, upto) != 0)
        return WARDEN_ETOOBIG;
    if (upto > pos)
        pos = upto;
    st->rel = pos;
    /* keep CONTEXT bytes before rel, and what a log rule still looks at */
    size_t keep = st->rel > st->base + st->context ? st->rel - st->context : st->base;
    for (size_t i = 0; i < st->npats; i++)
        if (st->pats[i].off < keep)
            keep = st->pats[i].off > st->base ? st->pats[i].off : st->base;
    if (keep > st->base) {
        memmove(st->buf, st->buf + (keep - st->base), st->len - (keep - st->base));
        st->len -= keep - st->base;
        st->base = keep;
    }
    return 0;
}

/* A detect rule (pii, secrets) over the text not released yet: lowers *upto to where a
 * finding could still start, acts on the final findings. Returns a status. */
static int detect_advance(struct guard_stream *st, size_t ri, int final, size_t *upto)
{
    const struct guard_stream_rule *r = &st->rules[ri];
    size_t end = st->base + st->len, hold;
    st->nfinds = 0;
    int rc = detect_scan_stream(r->detect, r->detect_scratch, st->buf, st->len, st->rel - st->base, final, r->threshold,
                                &st->finds, &st->nfinds, &st->capfinds, &hold);
    if (rc == WARDEN_ETOOBIG) {
        st->res.rule = ri;
        st->res.pattern = 0;
        return st->status = GUARD_STREAM_OVERFLOW;
    }
    if (rc < 0) {
        st->res.rule = ri;
        st->res.pattern = 0;
        if (!r->fail_open)
            return st->status = GUARD_STREAM_ERROR;
        st->res.skipped++;
        return GUARD_STREAM_OK;
    }
    /* log rules hold too: a finding is counted once, whole */
    hold += st->base;
    if (end - hold > r->window) {
        st->res.rule = ri;
        st->res.pattern = 0;
        return st->status = GUARD_STREAM_OVERFLOW;
    }
    if (hold < *upto)
        *upto = hold;
    for (size_t k = 0; k < st->nfinds; k++) {
        const struct guard_finding *f = &st->finds[k];
        size_t fs = st->base + f->start, fe = st->base + f->end;
        if (fs < st->detected[ri])
            continue; /* acted on in an earlier piece, still held behind another rule */
        st->detected[ri] = fe;
        if (r->action == GUARD_STREAM_BLOCK) {
            st->res.rule = ri;
            st->res.pattern = 0;
            snprintf(st->res.type, sizeof(st->res.type), "%s", f->type);
            return st->status = GUARD_STREAM_MATCH;
        }
        if (r->action == GUARD_STREAM_LOG) {
            st->res.logged++;
            continue;
        }
        span_add(st, fs, fe, r, f->type);
        st->res.redacted++;
    }
    return GUARD_STREAM_OK;
}

/* The usual piece of a stream's text: nothing held, and it holds no pattern's first byte
 * (nor ends inside a UTF-8 character). Then every pattern says "no match" over it and the
 * piece goes out whole: what advance and release would do, without copying it through
 * the buffer. Nor is any context kept: patterns with a known first byte have no
 * lookbehind, word boundary or escape (first_byte), and start no match before their
 * offset, so they never read a byte before it (the bytes a context would keep). 1 when it
 * took the piece (the caller releases it), 0 when the piece must go the usual way. */
static int fast_take(struct guard_stream *st, const char *text, size_t len, int final)
{
    size_t end = st->base + st->len;
    if (st->status != GUARD_STREAM_OK || !st->by_first || len == 0 || st->nspans > 0 || st->rel != end ||
        (!final && (unsigned char)text[len - 1] >= 0x80))
        return 0;
    for (size_t i = 0; i < st->npats; i++)
        if (st->pats[i].off != end || memchr(text, st->pats[i].first, len) != NULL)
            return 0;
    end += len;
    st->len = 0;
    st->base = st->rel = end;
    for (size_t i = 0; i < st->npats; i++)
        st->pats[i].off = st->pats[i].hold = end;
    return 1;
}

int guard_stream_pass(struct guard_stream *st, const char *text, size_t len, int final)
{
    return fast_take(st, text, len, final);
}

int guard_stream_feed(struct guard_stream *st, struct guard_scan_scratch *sc, const char *text, size_t len, int final,
                      struct util_buf *out, struct guard_stream_result *res)
{
    int rc = st->status;
    if (fast_take(st, text, len, final)) {
        if (util_buf_append(out, text, len) != 0) {
            st->status = rc = GUARD_STREAM_OVERFLOW; /* as release reports it */
            st->res.rule = 0;
        }
    } else if (rc == GUARD_STREAM_OK) {
        if (len > 0)
            buf_append(st, text, len);
        size_t upto = st->base + st->len;
        for (size_t i = 0; i < st->npats && rc == GUARD_STREAM_OK; i++) {
            rc = advance(st, sc, &st->pats[i], final);
            if (st->pats[i].hold < upto)
                upto = st->pats[i].hold;
        }
        for (size_t i = 0; i < st->nrules && rc == GUARD_STREAM_OK; i++)
            if (st->rules[i].detect != NULL)
                rc = detect_advance(st, i, final, &upto);
        if (rc == GUARD_STREAM_OK && release(st, out, upto, final) != 0) {
            st->status = rc = GUARD_STREAM_OVERFLOW;
            st->res.rule = 0;
        }
    }
    if (res)
        *res = st->res;
    return rc;
}
