/* Structured output (internal to api/): the answer must match response_format (json_object /
 * json_schema) and, when the model opts in, each tool call's arguments must match the tool's
 * parameters. A failing answer is re-asked: the conversation goes out again with the invalid
 * answer and the validation errors appended (spliced into the request's bytes), up to
 * structured_output.max_reasks times; then 422 schema_validation_failed. Streams are held and
 * checked at the end (stream: hold), or passed through and ended with an SSE error event when
 * invalid (stream: pass; reask_check_stream). */
#ifndef WARDEN_API_REASK_H
#define WARDEN_API_REASK_H

struct req_ctx;

/* A complete 2xx answer (JSON or collected SSE): 0 valid (go on); -1 taken over (a re-ask
 * started through lifecycle_reask, or the 422 sent). */
int reask_check_answer(struct req_ctx *ctx);

/* The text of a passed-through stream at its end: 0 valid; else the stream was ended with an
 * SSE error event (schema_validation_failed). */
int reask_check_stream(struct req_ctx *ctx, const char *text, size_t len);

#endif
