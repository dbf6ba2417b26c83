/* Entity detection for the pii and secrets guardrails: a set of recognizers
 * compiled into ONE Hyperscan database, scanned once per text.
 *
 * A recognizer (struct detect_rule) is a pattern plus what to do with a
 * candidate: edge rules (a match inside a longer token is no match), an
 * optional check that validates a checksum or structure and may move the
 * span (trim a URL's trailing punctuation, extend a PEM block to its END
 * line, narrow "api_key=VALUE" to the value), a score, and context words
 * that raise it (or, negative, lower it) when they occur nearby.
 *
 * Pipeline of detect_scan():
 *   1. Hyperscan, every pattern with HS_FLAG_SOM_LEFTMOST: each (rule, start,
 *      end) whose edges hold becomes a candidate (edges are checked inside
 *      the match callback, so a long digit run costs no memory); a rule with
 *      a gate (struct detect_gate) is scanned only over the stretches of text
 *      its gate lets through, one that needs a context word only around its
 *      words (DETECT_SPAN_KEPT);
 *      a custom pattern Hyperscan cannot give starts for is only detected
 *      there and delimited by PCRE2 afterwards, and only if it occurred;
 *   2. per (rule, start), the longest end whose check accepts wins;
 *   3. score: valid_score if the check confirmed a checksum, else score;
 *      -DETECT_NEGATIVE_PENALTY if the word just before is a negative one ("order",
 *      "version": an identifier, not personal data), else +DETECT_CONTEXT_BOOST if
 *      a context word is near; rules with DETECT_NEED_CONTEXT need a word;
 *   4. findings under the threshold are dropped, then overlaps are resolved:
 *      the longer span wins, then the higher score (so an e-mail address
 *      inside a URL is reported as the URL).
 *
 * A compiled set is immutable and shared by every thread; each thread brings
 * a struct detect_scratch (one serves every set, see detect_scratch_grow).
 * The rules' strings must outlive the set (they point into the config or
 * static tables). */
#ifndef WARDEN_GUARD_DETECT_H
#define WARDEN_GUARD_DETECT_H

#include <stddef.h>

#include "guard/finding.h"

#define DETECT_CONTEXT_BOOST 0.35
#define DETECT_NEGATIVE_PENALTY 0.4

enum {
    DETECT_CASELESS = 1,       /* the pattern ignores case */
    DETECT_EDGE_NUMERIC = 2,   /* also no '.'/'-' + digit or letter outside, no '#', '$', '€', '£' before */
    DETECT_NEED_CONTEXT = 4,   /* only counts with a context word nearby */
    DETECT_NO_EDGES = 8,       /* the pattern may touch other word characters (e.g. "-----BEGIN") */
    DETECT_NO_RIGHT_EDGE = 16, /* the pattern is a prefix; the check finds where the value ends */
    DETECT_SPAN_KEPT = 32,     /* the check never moves the span (with DETECT_NEED_CONTEXT: see below) */
};

/* A rule with DETECT_NEED_CONTEXT and DETECT_SPAN_KEPT whose pattern has one width (such as
 * "[A-Za-z0-9/+]{40}"), ASCII context words and no gate is scanned only around its context
 * words: they are found in the whole text with the other patterns (as literals), and the
 * rule's own database scans the text within reach of each (DETECT_CONTEXT_BEFORE/AFTER in
 * detect.c, plus the pattern's width). Only the candidates no context word is near are
 * left out, and those are never findings; a stream's scan also takes the end of the text,
 * where a word still to come may reach (see detect_scan_stream). */

/* What a check says about a candidate. */
enum { DETECT_REJECT = -1, DETECT_MATCH = 0, DETECT_VALID = 1 };

struct detect_span {
    size_t start, end;
};

/* A cheap necessary condition for a pattern's findings, so that its database scans only
 * the stretches of text where it can match (most prose has none) instead of every byte:
 * every match consists of bytes from `run` only, and every match the rule's check can
 * accept contains at least min_triggers bytes from `trigger` (a subset of `run`) and is
 * at least min_len bytes long (a candidate that fails them may be skipped). Hyperscan is
 * slow on patterns that start with a character class (digits, hex): ~25 instructions a
 * byte for the built-in numbers, against ~2 to find their trigger bytes. The pattern
 * must have no anchors or word boundaries (a stretch's ends are not the text's), and
 * the trigger bytes must be ASCII (not DEL; a gate with others is ignored). Rules that
 * share a gate (the same pointer) share a database. */
struct detect_gate {
    const char *run;     /* the bytes a match is made of, listed */
    const char *trigger; /* bytes of which every match has min_triggers, listed */
    unsigned min_triggers;
    unsigned min_len;
};

struct detect_rule;
/* Looks at text[span) (the whole text is given for context) and returns
 * DETECT_*; may move the span within the text. */
typedef int (*detect_check_fn)(const char *text, size_t len, struct detect_span *span, const struct detect_rule *rule);

struct detect_rule {
    const char *entity;         /* the finding's type, e.g. "EMAIL_ADDRESS" (< 40 bytes) */
    const char *regex;          /* PCRE syntax Hyperscan accepts */
    unsigned flags;             /* DETECT_* */
    const char *word_extra;     /* characters besides [A-Za-z0-9_] that continue a token at the edges; may be NULL */
    detect_check_fn check;      /* NULL: the pattern alone decides */
    double score;               /* a match the check did not confirm (DETECT_MATCH) */
    double valid_score;         /* the check confirmed it (DETECT_VALID) */
    const char *const *context; /* words that raise the score; n_context of them */
    size_t n_context;
    const char *const *negative; /* words that lower it (order ids, versions, prices) */
    size_t n_negative;
    double min_entropy;         /* for checks that measure entropy (bits per character) */
    size_t max_extent;          /* the longest span the check may produce (it may extend the match); 0 = the pattern's */
    /* Streams (detect_scan_stream): what the check may read after the pattern's match, as
     * a regex fragment (NULL: the rest of the token, \S*), and how many bytes before the
     * match's token it may take into the span (a phone number's "+1 " prefix). */
    const char *stream_tail;
    size_t stream_back;
    const char *stream_regex; /* what a finding is made of, when narrower than regex (a label's digits); NULL: regex */
    const struct detect_gate *gate; /* NULL: the pattern is scanned over the whole text */
    /* words that, as a table's column header far above the match (detect.c, table_header_cell),
     * count as a context word: narrower than context ("phone", not "number"); NULL: none */
    const char *const *header_context;
    size_t n_header_context;
};

struct detect_set;
struct detect_scratch;

/* Copies the rule array (not the strings). NULL with a message naming the rule on error. */
struct detect_set *detect_compile(const struct detect_rule *rules, size_t n, char *err, size_t errsz);
void detect_free(struct detect_set *s);

struct detect_scratch *detect_scratch_new(void);
int detect_scratch_grow(struct detect_scratch *sc, const struct detect_set *s);
void detect_scratch_free(struct detect_scratch *sc);

/* Scans one text. Appends the findings (index = index, sorted by start,
 * non-overlapping, score >= threshold) to *out / *n / *cap (a growable array
 * the caller frees). Returns the number appended or <0 (WARDEN_E*) on error. */
int detect_scan(const struct detect_set *s, struct detect_scratch *sc, const char *text, size_t len, size_t index,
                double threshold, struct guard_finding **out, size_t *n, size_t *cap);

/* Streams: scans text[0, len) of which more may follow (unless final), the text
 * before `from` being context only (already released). Appends, as detect_scan
 * does, the findings that start at or after from and that no continuation can
 * change; sets *hold to the earliest offset >= from where a finding could still
 * start or grow (len when none): a prefix of a recognizer's match reaching the
 * end (PCRE2 partial matching of pattern + stream_tail + two characters of right
 * edge, its token walked back), a candidate a context word still to come could
 * raise over the threshold, or a finding reaching past another hold. Never
 * reports a finding that reaches past *hold. WARDEN_ETOOBIG also when a finding
 * starts before from and ends after it (part of it already went out). */
int detect_scan_stream(const struct detect_set *s, struct detect_scratch *sc, const char *text, size_t len, size_t from,
                       int final, double threshold, struct guard_finding **out, size_t *n, size_t *cap, size_t *hold);

/* Longest candidate in bytes (before a check extends it), or 0 if a pattern is unbounded. */
size_t detect_max_width(const struct detect_set *s);
size_t detect_rule_count(const struct detect_set *s);
const struct detect_rule *detect_rule_at(const struct detect_set *s, size_t i);

/* Is the word just before start (skipping punctuation and fillers such as
 * "number", "no", "#") one of words[]? Case-insensitive. */
int detect_label_before(const char *text, size_t start, const char *const *words, size_t n_words);
/* Edge rules for checks that move a span themselves: no word character (a letter of
 * any script, a digit, '_') just outside; numeric: DETECT_EDGE_NUMERIC's rules too. */
int detect_edges_ok(const char *text, size_t len, size_t start, size_t end, int numeric);
/* The length in bytes of the non-ASCII letter (of any script: not punctuation, a symbol or an
 * emoji) that starts at pos, or 0 (an ASCII byte, a separator, invalid UTF-8). */
size_t detect_word_char_len(const char *text, size_t len, size_t pos);
/* Does a word character (a letter of any script, a digit, '_') end just before pos? */
int detect_word_before(const char *text, size_t len, size_t pos);

/* Shannon entropy of the bytes, in bits per byte. */
double detect_entropy(const char *s, size_t n);
/* Is there a word from words[] within the bytes around [start, end)? Case-insensitive, word starts only. */
int detect_near(const char *text, size_t len, size_t start, size_t end, const char *const *words, size_t n_words,
                size_t before, size_t after);

#endif
