/* Structured-output re-asks (reask.h). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "api/checks.h"
#include "api/intake.h"
#include "api/lifecycle_int.h"
#include "api/reask.h"
#include "api/texts.h"
#include "metrics/metrics.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

/* ---- structured output ----
 *
 * The answer must match response_format (json_object / json_schema) and, when
 * the model opts in, each tool call's arguments must match the tool's
 * parameters. A failing answer is re-asked: the conversation goes out again
 * with the invalid answer and the validation errors appended, up to
 * structured_output.max_reasks times; then the client gets 422. Streams are
 * held and checked at the end (stream: hold), or passed through and ended
 * with an SSE error event when invalid (stream: pass). */

static void structured_failed(struct req_ctx *ctx, const char *content, size_t len, const char *upstream_errors)
{
    const struct config_structured_output *so = &ctx->requested_model->structured_output;
    /* the errors quote the answer (its keys, its text): the re-ask sends them upstream, which
     * wrote them; the client and the logs get them only if the output checks let them out,
     * since the answer itself never reached those checks (a canary as a key, say) */
    const char *errors = upstream_errors;
    if (checks_screen_answer_text(ctx, errors, strlen(errors)) != NULL)
        errors = "withheld (output guardrails apply and one matched the validation errors)";
    metrics_count(ctx->w->metrics, METRICS_SCHEMA_FAILURES, 1);
    if (ctx->reasks < so->max_reasks && !ctx->out.started && ctx->scan.messages.e > ctx->scan.messages.s) {
        char note[8192];
        snprintf(note, sizeof(note),
                 "Your previous answer was rejected because it does not match the required format: %s. "
                 "Answer again with only the corrected JSON.",
                 upstream_errors);
        /* the two messages are spliced in before the messages array's closing bracket */
        static const char asst[] = ",{\"role\":\"assistant\",\"content\":", user[] = "},{\"role\":\"user\",\"content\":";
        struct util_buf b;
        util_buf_init(&b, SIZE_MAX);
        size_t close = ctx->scan.messages.e - 1;
        util_buf_append(&b, ctx->raw, close);
        util_buf_append(&b, asst, sizeof(asst) - 1);
        util_buf_append_json_string(&b, content ? content : "", content ? len : 0);
        util_buf_append(&b, user, sizeof(user) - 1);
        util_buf_append_json_string(&b, note, strlen(note));
        util_buf_append(&b, "}", 1);
        util_buf_append(&b, ctx->raw + close, ctx->raw_len - close);
        size_t blen;
        char *body = util_buf_take(&b, &blen);
        if (intake_replace_body(ctx, body, blen) != 0) {
            api_error_set(&ctx->err, 500, "api_error", "internal_error", NULL, "could not build the re-ask");
            lifecycle_respond_error(ctx);
            return;
        }
        ctx->reasks++;
        metrics_count(ctx->w->metrics, METRICS_SCHEMA_REASKS, 1);
        LOG_DEBUG("lifecycle", "%s re-ask %d: %s", ctx->request_id, ctx->reasks, errors);
        api_scan_free(&ctx->answer.scan);
        ctx->answer.scanned = 0;
        lifecycle_reask(ctx);
        return;
    }
    api_error_replace(&ctx->err, 422, "invalid_response_error", "schema_validation_failed", "response_format",
                  "the model's answer did not match the requested format after %d attempt%s: %s", ctx->reasks + 1,
                  ctx->reasks ? "s" : "", errors);
    json_t *list = json_array();
    const char *p = errors;
    while (p && *p) {
        const char *sep = strstr(p, "; ");
        size_t n = sep ? (size_t)(sep - p) : strlen(p);
        json_array_append_new(list, json_stringn_nocheck(p, n));
        p = sep ? sep + 2 : NULL;
    }
    api_error_set_extra(&ctx->err, json_pack("{s:o, s:i}", "errors", list, "reasks", ctx->reasks));
    lifecycle_respond_error(ctx);
}

/* 0: the answer is valid (go on); -1: taken over (re-ask started or error sent). */
int reask_check_answer(struct req_ctx *ctx)
{
    json_t *answer;
    if (ctx->up.is_sse) {
        answer = api_texts_answer_from_sse(ctx->up.body.data ? ctx->up.body.data : "", ctx->up.body.len);
    } else {
        json_error_t je;
        answer = json_loadb(ctx->up.body.data ? ctx->up.body.data : "", ctx->up.body.len, 0, &je);
    }
    json_t *msg = json_object_get(json_array_get(json_object_get(answer, "choices"), 0), "message");
    json_t *content = json_object_get(msg, "content");
    json_t *tool_calls = json_object_get(msg, "tool_calls");
    char *errors = NULL;
    int rc = 0;
    if (ctx->so.mode != STRUCTURED_NONE && !(json_is_array(tool_calls) && !json_is_string(content)))
        rc = structured_check_content(&ctx->so, json_string_value(content), json_string_length(content), &errors);
    if (rc == 0)
        rc = structured_check_tool_calls(&ctx->so, ctx->body, tool_calls, &errors);
    if (rc != 0) {
        char *text = util_strndup(json_string_value(content) ? json_string_value(content) : "", json_string_length(content));
        size_t len = json_string_length(content);
        json_decref(answer);
        structured_failed(ctx, text, len, errors ? errors : "invalid answer");
        free(text);
        free(errors);
        return -1;
    }
    json_decref(answer);
    return 0;
}

int reask_check_stream(struct req_ctx *ctx, const char *text, size_t len)
{
    if (ctx->so.mode == STRUCTURED_NONE)
        return 0;
    char *errors = NULL;
    if (structured_check_content(&ctx->so, text, len, &errors) == 0)
        return 0;
    structured_failed(ctx, text, len, errors ? errors : "invalid answer"); /* started: an SSE error event */
    free(errors);
    return -1;
}
