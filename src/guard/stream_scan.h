/* Incremental matching of local guards (regex, keywords, pii, secrets) over a text that
 * arrives in pieces: one streamed answer's field (a choice's content, its
 * reasoning, one tool call's arguments...), called a channel.
 *
 * The contract, for every piece fed:
 *   (a) a match is acted on only once it is final (can no longer grow): a
 *       redact replaces the whole final match, a block stops the channel;
 *   (b) text is held back only from the earliest position where a match could
 *       still start (PCRE2 partial matching on the text not yet resolved),
 *       never text that cannot begin a match; everything before it is released
 *       at once, with final matches replaced;
 *   (c) a possible match that would outgrow its rule's window (the longest
 *       match, or stream.window) is an overflow: the caller ends the stream
 *       rather than release any part of it.
 * Whole-word keywords and \b need the next character to decide, so a match at
 * the very end of the text so far is held until it arrives (or the end).
 *
 * Cost: each pattern resumes where it stopped, so a byte is scanned once
 * unless it is held inside a possible match (then again on each piece, at
 * most the window). Memory: the held text plus 32 bytes of context for
 * lookbehinds and word boundaries; never the whole text.
 *
 * pii / secrets (detect.h): on each piece the detector runs over the text not
 * released yet (plus 128 bytes of context); detect_scan_stream says where a
 * finding could still start or grow, and which findings are final.
 *
 * Errors are per pattern: a pattern that cannot be evaluated (PCRE2 limits)
 * is skipped for the text it could not check when its rule is fail_open, else
 * the channel reports GUARD_STREAM_ERROR. */
#ifndef WARDEN_GUARD_STREAM_SCAN_H
#define WARDEN_GUARD_STREAM_SCAN_H

#include <stddef.h>

#include "guard/scan.h"
#include "util/buf.h"

enum guard_stream_action { GUARD_STREAM_BLOCK, GUARD_STREAM_REDACT, GUARD_STREAM_LOG };

struct detect_set;
struct detect_scratch;
struct guard_placeholders;

/* One guard watching the channel: a scan (regex, keywords) or a detect set (pii,
 * secrets: detect_scan_stream decides what is held; a finding is replaced whole by
 * replacement, or with a map by its <TYPE_n>). Borrowed: it must outlive every
 * channel using it. */
struct guard_stream_rule {
    const struct guard_scan *scan;
    enum guard_stream_action action;
    const char *replacement; /* redact; NULL means "" */
    size_t window;           /* the most a possible match may hold back (> 0) */
    int fail_open;           /* a pattern error skips that pattern (else: GUARD_STREAM_ERROR) */
    const struct detect_set *detect;     /* instead of scan */
    struct detect_scratch *detect_scratch; /* the loop thread's */
    double threshold;                    /* findings below it do not count */
    struct guard_placeholders *map;      /* typed redaction: numbered per value across the stream; NULL: replacement */
};

enum guard_stream_status {
    GUARD_STREAM_OK = 0,
    GUARD_STREAM_MATCH = 1,    /* a block rule matched */
    GUARD_STREAM_OVERFLOW = 2, /* a possible match outgrew its rule's window */
    GUARD_STREAM_ERROR = 3,    /* a fail_closed rule could not evaluate a pattern */
};

struct guard_stream_result {
    size_t rule;      /* the rule that decided (MATCH, OVERFLOW, ERROR) */
    unsigned pattern; /* its pattern index (keywords: which group of the list) */
    size_t redacted;  /* final matches replaced so far */
    size_t logged;    /* matches of log rules so far */
    size_t skipped;   /* pattern evaluations skipped (fail_open errors) so far */
    char type[40];    /* detect rules, MATCH: the finding's entity type */
};

struct guard_stream;

struct guard_stream *guard_stream_new(const struct guard_stream_rule *rules, size_t n);
void guard_stream_free(struct guard_stream *st);
/* Back to the start of a new text with the same rules (which must still be there, with
 * the same contents), keeping the space it has. */
void guard_stream_reset(struct guard_stream *st);
/* The channel's text is JSON that its reader decodes (tool-call arguments): a typed
 * redaction numbers a finding by the value its escapes decode to (placeholder.h).
 * Off after new and reset. */
void guard_stream_set_json(struct guard_stream *st, int json);

/* Feeds the next piece of the channel's text (final: it is the last). Appends
 * the text that may go out now to out (redactions applied; never a partial
 * UTF-8 character unless the input has one at its very end). Returns a
 * guard_stream_status; after anything but OK the channel is stopped and
 * further calls return the same status without output. res may be NULL. */
int guard_stream_feed(struct guard_stream *st, struct guard_scan_scratch *sc, const char *text, size_t len, int final,
                      struct util_buf *out, struct guard_stream_result *res);

/* guard_stream_feed for the usual piece, when it can go out whole right away (nothing
 * held; it holds no byte a match could start with): returns 1, and the caller releases
 * the piece itself (nothing is appended anywhere); 0 (nothing done): feed it. */
int guard_stream_pass(struct guard_stream *st, const char *text, size_t len, int final);
/* Bytes fed but not yet released. */
size_t guard_stream_held(const struct guard_stream *st);

#endif
