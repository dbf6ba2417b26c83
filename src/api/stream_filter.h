/* Output guardrails on a streamed answer (internal to api/).
 *
 * Each upstream SSE event is read byte-level (no tree): every text the model
 * writes is a channel of its own - per choice index: delta.content,
 * reasoning_content / reasoning, refusal, each tool call's name and arguments
 * (by tool-call index), legacy function_call, legacy choices[].text, logprobs
 * tokens, and every string of a member outside the contract and known metadata.
 * Logprobs "bytes" and "top_logprobs" are dropped (null, []): they repeat the
 * tokens' text. An event that cannot be read exactly (not JSON, a repeated
 * member, a text field that is not a string) ends the stream (fail closed).
 *
 *  - local checks (regex, keywords, pii, secrets) match incrementally per
 *    channel (guard/stream_scan.h): text is held back only from where a match
 *    or finding could still start, a redaction replaces a whole final match, a
 *    block or a possible match outgrowing stream.window ends the stream;
 *  - reversible redaction of the request: the released text of each channel
 *    goes through the request's placeholder maps (api/restore.h) after the
 *    checks, so checks and recordings see placeholders, the client originals. The event goes
 *    out at once with each text literal replaced by what its channel releases
 *    (JSON-escaped); other bytes and the event order are kept. Text still held
 *    when a choice finishes (or at [DONE]) goes out first, in a copy of the
 *    channel's last event;
 *  - slow checks (webhook, judge, plugin, length, tools) run every
 *    stream.chunk_tokens tokens on that chunk plus stream.context_tokens of
 *    context, and always on the whole text at the end. With stream_first
 *    false (default) events are queued until the check covering their text
 *    has passed; with stream_first true they flow and a failing check ends the
 *    stream;
 *  - a violation ends the stream with an SSE error event, never [DONE].
 * The whole text is kept only for slow checks, async_post output checks and
 * structured-output validation (stream: pass), capped by
 * server.max_response_bytes (beyond it the stream ends with an error event).
 * A stream with no output check passes through byte-for-byte (its text is only
 * recorded for async_post checks).
 *
 * Cost: an event is validated and read whole once per shape; events that differ from a
 * remembered one (a stream's text events from each other, its first and last events from
 * the stream before's) only inside string literals are read by comparing bytes
 * (stream_filter.c: shape_match). A literal without escapes is checked in place and
 * relayed as it came when its channel releases it unchanged; the usual text event (the
 * last shape's one short literal) is read without the general walk, and when its text
 * passes its matcher whole and it came as "data: <json>\n\n" its own bytes are relayed.
 * The filter also reads the stream's usage (stream_filter_reads_usage), so a filtered
 * stream's events are walked once. Each loop thread keeps the
 * filters of cleanly ended streams (their scratch space, shapes and matchers) for its next
 * streams; the framed events of one upstream read go to the client in one append. */
#ifndef WARDEN_API_STREAM_FILTER_H
#define WARDEN_API_STREAM_FILTER_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"

struct config_guardrail;
struct guard_env;
struct guard_verdict;
struct stream_filter;
struct guard_placeholders;
struct usage_tap;

/* What the filter does to the stream's owner (the request): each gets the sink's ud. */
struct stream_sink_ops {
    void (*emit)(void *ud, const char *data, size_t len); /* queue bytes for the client */
    void (*flush)(void *ud);                              /* push what is queued */
    void (*end)(void *ud);                                /* end the stream cleanly */
    /* end it with a guardrail error event; g NULL: the stream cannot be checked (v->reason) */
    void (*block)(void *ud, const struct config_guardrail *g, const struct guard_verdict *v);
    /* a guardrail's verdict for the access log (the headers went out already) */
    void (*note_guard)(void *ud, const struct config_guardrail *g, const char *verdict);
    /* structured output at the end of a passed-through stream: 0 valid; else it was ended */
    int (*validate)(void *ud, const char *text, size_t len);
};

/* The stream filter's view of its request: the callbacks and the data it reads. Filled by
 * the owner before stream_filter_begin; `sf` is the filter's own state (NULL: inactive). */
struct stream_sink {
    const struct stream_sink_ops *ops;
    void *ud;
    struct guard_env *guards_env;
    const struct config_guardrail **guards; /* the guardrails that apply to the request */
    size_t n_guards;
    const char *request_id, *model;
    size_t max_response_bytes;
    int stream;                    /* the client asked for a stream */
    int validate;                  /* check structured output at the end (stream: pass) */
    int content_json;              /* response_format asks for JSON: the content is a JSON document */
    int *saw_done;                 /* set when the upstream's [DONE] goes by */
    int *saw_upstream_error_event; /* set when an upstream error event goes by */
    const struct util_buf *collected; /* a non-stream request's collected answer */
    /* reversible redaction of the request: its placeholder maps (borrowed; they hold originals, never logged),
     * restored in what the client gets after the output checks */
    struct guard_placeholders *const *placeholders;
    size_t n_placeholders;
    /* the stream's usage tap when the filter reads the usage itself (stream_filter_reads_usage) */
    struct usage_tap *usage;
    struct stream_filter *sf;
};

/* Decides whether this stream needs filtering or recording; call when the stream starts. */
void stream_filter_begin(struct stream_sink *ctx);
/* A filtering stream's events are read once: the filter also does the usage tap's work
 * (usage_event_read on each event that came as one data line: its usage kept, a usage-only
 * chunk Warden asked for taken out), so its bytes go to stream_filter_feed without
 * usage_tap_feed. Returns 1 when it does (from the stream's first byte on: t must not
 * have started), 0 when the bytes go through the tap. */
int stream_filter_reads_usage(struct stream_sink *ctx, struct usage_tap *t);
/* Upstream bytes of a started stream. */
void stream_filter_feed(struct stream_sink *ctx, const char *data, size_t len);
/* The upstream finished cleanly ([DONE] seen): final checks, then the end of the stream. */
void stream_filter_finish(struct stream_sink *ctx);
void stream_filter_cancel(struct stream_sink *ctx);
int stream_filter_active(const struct stream_sink *ctx);
/* The answer as an OpenAI chat completion object (for async_post output checks); NULL if unknown. */
json_t *stream_filter_answer(struct stream_sink *ctx);
void stream_filter_free(struct stream_sink *ctx);

#endif
