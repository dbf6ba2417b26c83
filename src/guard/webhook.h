/* Webhook guardrails: LiteLLM's Generic Guardrail API, spoken exactly, so a
 * guard service written for LiteLLM works with Warden unchanged.
 *
 * The call: POST <api_base>/beta/litellm_basic_guardrail_api (or `url` as
 * written), Content-Type: application/json, x-api-key: <api_key_env's value>
 * when set, then the configured headers. The body is LiteLLM's
 * GenericGuardrailAPIRequest; every member is always present (LiteLLM sends
 * its pydantic model whole, so strict services require them all), null when
 * Warden has nothing for it:
 *
 *   texts                 [str]   every text the model reads (input) or wrote (output), in the order
 *                                 of the guard-coverage contract (see README "Webhook guardrails")
 *   images                [str]|null   input: the url of each image_url part, in message order
 *   tools                 [obj]|null   input: the request's tools (OpenAI ChatCompletionToolParam)
 *   tool_calls            [obj]|null   input: every tool_calls[] item of the messages, in order;
 *                                      output: every choice's message.tool_calls[] items, in order
 *   structured_messages   [obj]|null   input: the request's messages as sent; output: null (as LiteLLM)
 *   request_data          obj     user_api_key_alias (the API key's name), user_api_key_user_id,
 *                                 _user_email, _team_id, _team_alias, _org_id, _end_user_id from the
 *                                 key's metadata (keys with or without the user_api_key_ prefix);
 *                                 _end_user_id also from the request's "user"; never the key itself
 *   input_type            "request" | "response"
 *   litellm_call_id       str     Warden's id of the client request (guard_call_id), the same for its
 *                                 request and response calls; never the client's x-request-id
 *   litellm_trace_id      str     the request id (x-request-id, or the one Warden generated)
 *   request_headers       obj|null the client's headers, sanitised as LiteLLM does: values of host,
 *                                 accept, accept-encoding, connection, content-type, content-length,
 *                                 user-agent, x-stainless-*, x-litellm-* are sent; any other header
 *                                 (authorization, cookie, ...) is sent as "[present]"
 *   litellm_version       str     GUARD_WEBHOOK_LITELLM_VERSION: the LiteLLM release whose API this is
 *   additional_provider_specific_params  obj  the guardrail's config mapping, as JSON ({} if none)
 *   model                 str|null input: the requested model; output: the answer's "model" (the
 *                                 upstream's), else the requested one
 *
 * The answer (GenericGuardrailAPIResponse) is read as LiteLLM reads it:
 *   action missing or null     -> "NONE"
 *   "BLOCKED"                  -> blocked; blocked_reason is the reason ("Content violates policy" if none)
 *   any other action ("NONE", "GUARDRAIL_INTERVENED", unknown ones) does not block; then
 *   texts                      a list with one string per text sent replaces them (even with NONE);
 *                              a list of another length, empty or null leaves them unchanged
 *   structured_messages        input: a list with one message per message sent: changed content
 *                              (string or text parts), name, refusal, reasoning_content and
 *                              tool_calls are applied to the texts they came from
 *   tools                      input: a list with one tool per tool sent: changed function.name,
 *                              .description and strings inside .parameters are applied
 *   tool_calls                 the i-th returned call replaces the i-th sent one (a shorter list
 *                              leaves the rest); its function.name / .arguments are applied, and win
 *                              over texts, structured_messages and tools that rewrite the same text
 * Wrong types (texts not a list of strings, a tool call that is not an object, ...) make the answer
 * bad, as do a body that is not a JSON object and any HTTP status but 2xx and 502/503/504; 502/503/504
 * mean the service is unreachable (LiteLLM's unreachable_fallback).
 *
 * Rewrites of structured_messages, tools and tool_calls are applied through the texts list: each
 * rewritten string is placed on the text it came from, found by walking the texts in the
 * coverage-contract order (a cursor that only moves forward, matching the original value).
 * A rewrite that cannot be placed (the text is not in the list) makes the answer unusable, so
 * on_error decides: a rewrite that the service asked for is never silently dropped. */
#ifndef WARDEN_GUARD_WEBHOOK_H
#define WARDEN_GUARD_WEBHOOK_H

#include <jansson.h>
#include <stddef.h>

#include "guard/engine.h"

#define GUARD_WEBHOOK_LITELLM_VERSION "1.80.0"

/* The request context of one client request, copied from a guard_subject when a run is created.
 * Reference-counted: a group's member runs share their parent's. */
struct guard_webhook_ctx {
    int refs;
    enum config_guard_stage stage;
    json_t *messages;        /* input: the request's messages; NULL */
    json_t *tools;           /* input: the request's tools; NULL */
    json_t *tool_calls;      /* the tool calls, flattened in order; NULL if none */
    json_t *images;          /* input: image urls; NULL if none */
    json_t *request_data;    /* always an object */
    json_t *request_headers; /* NULL if none */
    char model[128];
    char call_id[GUARD_CALL_ID_SIZE];
    char trace_id[80];
};

struct guard_webhook_ctx *guard_webhook_ctx_new(const struct guard_subject *s);
struct guard_webhook_ctx *guard_webhook_ctx_ref(struct guard_webhook_ctx *w);
void guard_webhook_ctx_unref(struct guard_webhook_ctx *w);
/* A copy of w for checks that see rewritten texts (a chain after a member rewrote): every string
 * of its messages, tools and tool_calls equal to orig[k] becomes neu[k] (NULL: unchanged). */
struct guard_webhook_ctx *guard_webhook_ctx_rewritten(const struct guard_webhook_ctx *w, const char *const *orig,
                                                      const size_t *olens, char *const *neu, const size_t *nlens, size_t n);

/* The GenericGuardrailAPIRequest for these texts. provider_params: the configured
 * additional_provider_specific_params (NULL = {}). Returns a new reference. */
json_t *guard_webhook_request_new(const struct guard_webhook_ctx *w, const json_t *provider_params, const char *const *texts,
                                  const size_t *lens, size_t n);

enum guard_webhook_result {
    GUARD_WEBHOOK_PASS,        /* nothing to block, nothing rewritten */
    GUARD_WEBHOOK_BLOCKED,     /* reason: blocked_reason */
    GUARD_WEBHOOK_REWRITE,     /* texts: one per text sent, NULL = unchanged (at least one is not NULL) */
    GUARD_WEBHOOK_INTERVENED,  /* GUARDRAIL_INTERVENED with nothing that could be applied (LiteLLM: unchanged) */
    GUARD_WEBHOOK_BAD_ANSWER,  /* reason says why */
    GUARD_WEBHOOK_UNREACHABLE, /* HTTP 502/503/504 */
};

struct guard_webhook_answer {
    enum guard_webhook_result result;
    int intervened;      /* the action was GUARDRAIL_INTERVENED */
    int unknown_action;  /* an action LiteLLM does not know (read as not blocked) */
    size_t n_rewritten;  /* texts changed */
    char reason[320];
    char **texts;
    size_t *lens;
    size_t n;
};

/* Reads a guard service's answer (status, body) to a request built from w and these texts.
 * Fills a; release with guard_webhook_answer_free(). */
void guard_webhook_answer_read(struct guard_webhook_answer *a, int status, const char *body, size_t len,
                               const struct guard_webhook_ctx *w, const char *const *texts, const size_t *lens, size_t n);
void guard_webhook_answer_free(struct guard_webhook_answer *a);

/* 502, 503 and 504 say the service could not answer (LiteLLM: unreachable), not that it answered badly. */
int guard_webhook_status_unreachable(int status);

#endif
