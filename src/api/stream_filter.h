/* Output guardrails on a streamed answer (internal to api/).
 *
 * The upstream's SSE events are parsed; the answer's text (delta.content)
 * is accumulated, and what the client gets is re-framed from it:
 *
 *  - local checks (regex, keywords) see every new piece together with the
 *    text still held back; a sliding window of the longest possible match
 *    is never released early, so block and redact work inline on matches
 *    that straddle chunk boundaries, and the stream keeps flowing;
 *  - slow checks (webhook, judge, plugin, length, tools) run every
 *    stream.chunk_tokens tokens on that chunk plus stream.context_tokens of
 *    context, and always on the whole text at the end. With stream_first
 *    false (default) text is released only once the check covering it has
 *    passed; with stream_first true it flows and a failing check ends the
 *    stream;
 *  - a violation ends the stream with an SSE error event, never [DONE].
 * Events without content (role, finish_reason, usage, [DONE]) keep their
 * order relative to the text. A stream with no output check passes through
 * byte-for-byte (its text is only recorded for async_post checks). */
#ifndef WARDEN_API_STREAM_FILTER_H
#define WARDEN_API_STREAM_FILTER_H

#include <jansson.h>
#include <stddef.h>

struct req_ctx;

/* Decides whether this stream needs filtering or recording; call when the stream starts. */
void stream_filter_begin(struct req_ctx *ctx);
/* Upstream bytes of a started stream. */
void stream_filter_feed(struct req_ctx *ctx, const char *data, size_t len);
/* The upstream finished cleanly ([DONE] seen): final checks, then the end of the stream. */
void stream_filter_finish(struct req_ctx *ctx);
void stream_filter_cancel(struct req_ctx *ctx);
int stream_filter_active(const struct req_ctx *ctx);
/* The answer as an OpenAI chat completion object (for async_post output checks); NULL if unknown. */
json_t *stream_filter_answer(struct req_ctx *ctx);
void stream_filter_free(struct req_ctx *ctx);

#endif
