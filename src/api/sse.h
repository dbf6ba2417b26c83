/* An incremental Server-Sent Events parser for upstream streams.
 *
 * Bytes go in as they arrive (split anywhere); complete events come out
 * through a callback with their joined "data:" payload. Warden uses it to
 * see the "[DONE]" sentinel (a stream that ends without it was cut), to pull
 * the answer's text out of chunks for output checks, and to notice an
 * upstream's in-band error event. Lines and events are size-capped. */
#ifndef WARDEN_API_SSE_H
#define WARDEN_API_SSE_H

#include <stddef.h>

#include "util/buf.h"

struct sse_parser {
    struct util_buf line;  /* the line being assembled */
    struct util_buf data;  /* data of the event being assembled */
    size_t event_bytes;    /* raw bytes of the current event, for callers that re-frame */
    int overflow;          /* an event exceeded the cap: the stream is not SSE we can handle */
    int has_data;          /* the event being assembled has a data field (maybe empty) */
    size_t data_lines;     /* its data lines (joined by '\n'): one means the data holds no newline */
    size_t other_lines;    /* its other lines (comments, event:, id:...): none means the data line is all of it */
    /* while the callback runs: the event's own bytes when it came whole in this feed as one
     * line "data:...\n\n" (the data is inside them), else NULL */
    const char *raw;
    size_t raw_len;
};

/* Returns non-zero to stop parsing (the value is returned by sse_parser_feed). */
typedef int (*sse_event_cb)(void *ud, const char *data, size_t len);

void sse_parser_init(struct sse_parser *p, size_t max_event);
/* Back to the start of a stream, keeping the buffers' space (a parser reused for another stream). */
void sse_parser_reset(struct sse_parser *p);
int sse_parser_feed(struct sse_parser *p, const char *bytes, size_t len, sse_event_cb cb, void *ud);
void sse_parser_free(struct sse_parser *p);

/* ---- a validated event's tokens ----
 *
 * One pass over an event both validates it (exactly what json_span_validate
 * accepts) and records where each key and value starts and ends, so the
 * stream filter walks nested objects without scanning their bytes again. */

struct sse_json_tok {
    unsigned start, end; /* byte span (a string literal's quotes included) */
    unsigned next;       /* index of the first token after this value and all it contains */
    char type;           /* json_span_type of the value: one of "{[\"tfn" or '0' */
};

struct sse_json_tape {
    struct sse_json_tok *tok; /* in document order: a key, then its value */
    size_t n, cap;
};

/* Validates json[0, len) and records its tokens in t (reused: reset first).
 * Returns 0, or -1 when json_span_validate would reject the text. */
int sse_json_tape_build(struct sse_json_tape *t, const char *json, size_t len);
/* Frees a tape grown past `keep` tokens (a huge event), keeping small ones for reuse. */
void sse_json_tape_trim(struct sse_json_tape *t, size_t keep);
void sse_json_tape_free(struct sse_json_tape *t);
/* Iterate the members of the object (the elements of the array) that starts at byte
 * `start` of the text the tape was built from: *pos starts at 0. Return 1 with the
 * key literal's span [*ks, *ke) (quotes included) and the value's span [*vs, *ve)
 * (the element's [*es, *ee)); 0 at the end or when no such container starts there. */
int sse_json_tape_object_next(const struct sse_json_tape *t, size_t start, size_t *pos, size_t *ks, size_t *ke, size_t *vs,
                              size_t *ve);
int sse_json_tape_array_next(const struct sse_json_tape *t, size_t start, size_t *pos, size_t *es, size_t *ee);

/* ---- byte-level JSON helpers for SSE event payloads ----
 *
 * The stream filter reads and re-frames each event without building a tree:
 * it walks the few objects it reads (through the tape above), takes the spans
 * of the text string literals, and splices the event's own bytes. These
 * helpers expect JSON that the tape accepted; they never read outside
 * [start, end) even if it is not. */

/* The key literal json[ks, ke) equals name after unescaping ("c\u006fntent" is "content"). */
int sse_json_key_is(const char *json, size_t ks, size_t ke, const char *name);
/* Appends the decoded bytes of the string literal json[start, end) to out. A
 * lone surrogate escape becomes U+FFFD. Returns 0, or <0 (bad literal, cap). */
int sse_json_string_decode(const char *json, size_t start, size_t end, struct util_buf *out);

#endif
