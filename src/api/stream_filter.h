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
 * recorded for async_post checks). */
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
