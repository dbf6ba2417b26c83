/* Request intake (intake.h): the request id, the body parsed and validated, the client's
 * key, and the one way the request's bytes are replaced (rewrites, re-asks). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "api/checks.h"
#include "api/intake.h"
#include "api/internal.h"
#include "api/lifecycle_int.h"
#include "api/response.h"
#include "api/stream_filter.h"
#include "api/usage.h"
#include "auth/auth.h"
#include "guard/placeholder.h"
#include "schema/schema.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/fmt.h"
#include "util/log.h"

/* Request intake works on the raw bytes: one pass of the scanner (texts.h) validates the
 * body, refuses duplicate keys, finds the routing fields and, when any guardrail of the
 * config reads requests, collects the texts. A jansson tree is built only for structured
 * output (response_format / tool schemas). */

static int bad_param(struct req_ctx *ctx, const char *code, const char *param_fmt, size_t idx, const char *fmt)
{
    char param[64];
    snprintf(param, sizeof(param), param_fmt, idx);
    char msg[200];
    snprintf(msg, sizeof(msg), fmt, idx);
    api_error_set(&ctx->err, 400, "invalid_request_error", code, param, "%s", msg);
    return -1;
}

static int validate_chat(struct req_ctx *ctx)
{
    const struct api_scan *sc = &ctx->scan;
    if (sc->messages.e == 0)
        return bad_param(ctx, "missing_required_parameter", "messages", 0, "you must provide a 'messages' parameter");
    if (ctx->raw[sc->messages.s] != '[')
        return bad_param(ctx, "invalid_type", "messages", 0, "'messages' must be an array");
    if (sc->bad_message >= 0 && strcmp(sc->bad_message_what, "role") == 0)
        return bad_param(ctx, "invalid_value", "messages[%zu].role", (size_t)sc->bad_message,
                         "messages[%zu] must be an object with a string 'role'");
    if (sc->bad_message >= 0)
        return bad_param(ctx, "invalid_type", "messages[%zu].content", (size_t)sc->bad_message,
                         "messages[%zu].content must be a string, an array of parts or null");
    if (sc->n_messages == 0)
        return bad_param(ctx, "empty_array", "messages", 0, "'messages' must contain at least one message");
    if (sc->stream_type != 0 && sc->stream_type != 't' && sc->stream_type != 'f' && sc->stream_type != 'n')
        return bad_param(ctx, "invalid_type", "stream", 0, "'stream' must be a boolean");
    ctx->stream = sc->stream_on;
    /* cost needs a stream's usage: asked for when the client did not (usage.h) */
    ctx->usage.asked = ctx->stream && !usage_client_asks(ctx->raw, ctx->raw_len);
    return 0;
}

static int validate_embeddings(struct req_ctx *ctx)
{
    const struct api_scan *sc = &ctx->scan;
    if (sc->input.e == 0)
        return bad_param(ctx, "missing_required_parameter", "input", 0, "you must provide an 'input' parameter");
    char t = ctx->raw[sc->input.s];
    if (t != '"' && t != '[')
        return bad_param(ctx, "invalid_type", "input", 0, "'input' must be a string or an array");
    return 0;
}

/* Builds the jansson tree of the request once (structured output only). */
static int body_tree(struct req_ctx *ctx)
{
    if (ctx->body != NULL)
        return 0;
    json_error_t je;
    ctx->body = json_loadb(ctx->raw, ctx->raw_len, JSON_ALLOW_NUL, &je);
    if (ctx->body == NULL)
        return api_error_set(&ctx->err, 400, "invalid_request_error", "invalid_json", NULL,
                             "could not parse the JSON body of your request: %s (line %d, column %d)", je.text, je.line,
                             je.column),
               -1;
    return 0;
}

static int span_present(const struct req_ctx *ctx, struct api_span sp)
{
    return sp.e != 0 && ctx->raw[sp.s] != 'n';
}

/* Does any guardrail of the config read requests? Then every request's texts are collected
 * in the one scan (which guards apply is known only after routing). Cached per config. */
static int config_reads_requests(const struct config *cfg)
{
    static __thread const struct config *cached_cfg;
    static __thread int cached;
    if (cached_cfg == cfg)
        return cached;
    int any = 0;
    for (size_t i = 0; i < cfg->n_guardrails && !any; i++)
        any = cfg->guardrails[i].stage == CONFIG_STAGE_INPUT;
    cached_cfg = cfg;
    cached = any;
    return any;
}

/* Parses and validates the body; on failure ctx->err is set. */
int intake_parse(struct req_ctx *ctx)
{
    if (ctx->raw_len == 0)
        return api_error_set(&ctx->err, 400, "invalid_request_error", "missing_body", NULL,
                             "the request body is empty; send a JSON object"),
               -1;
    struct api_scan *sc = &ctx->scan;
    if (api_scan(sc, ctx->raw, ctx->raw_len, intake_request_shape(ctx), config_reads_requests(ctx->w->cfg)) != 0) {
        if (strcmp(sc->err_code, "duplicate_key") == 0)
            return api_error_set(&ctx->err, 400, "invalid_request_error", "duplicate_key", NULL, "%s", sc->err), -1;
        return api_error_set(&ctx->err, 400, "invalid_request_error", "invalid_json", NULL,
                             "could not parse the JSON body of your request: %s", sc->err),
               -1;
    }
    if (sc->model.e == 0)
        return api_error_set(&ctx->err, 400, "invalid_request_error", "missing_required_parameter", "model",
                             "you must provide a 'model' parameter"),
               -1;
    if (sc->model_name == NULL)
        return api_error_set(&ctx->err, 400, "invalid_request_error", "invalid_type", "model", "'model' must be a string"), -1;
    util_strlcpy(ctx->requested_model_name, sc->model_name, sizeof(ctx->requested_model_name));
    ctx->requested_model = sc->model_len < sizeof(ctx->requested_model_name) ? config_find_model(ctx->w->cfg, sc->model_name)
                                                                               : NULL;
    if (ctx->kind == REQ_KIND_CHAT ? validate_chat(ctx) != 0 : validate_embeddings(ctx) != 0)
        return -1;
    if (ctx->requested_model == NULL)
        return api_error_set(&ctx->err, 404, "invalid_request_error", "model_not_found", "model",
                             "the model '%s' does not exist", ctx->requested_model_name),
               -1;
    ctx->model = ctx->requested_model;
    if (ctx->kind == REQ_KIND_CHAT) {
        const struct config_structured_output *so = &ctx->requested_model->structured_output;
        if (span_present(ctx, sc->response_format) || (so->validate_tool_calls && span_present(ctx, sc->tools))) {
            if (body_tree(ctx) != 0)
                return -1;
            int flags = so->check_formats ? SCHEMA_FORMAT_ASSERT : 0;
            if (structured_spec_init(&ctx->so, ctx->body, ctx->w->schemas, flags, so->validate_tool_calls, &ctx->err) != 0)
                return -1;
            /* a non-stream request holds an SSE answer too: it is validated before anything is sent */
            ctx->schema_hold = structured_active(&ctx->so) && (!ctx->stream || so->stream_mode == CONFIG_SCHEMA_STREAM_HOLD);
        }
    }
    return 0;
}

/* What the input guards that apply cannot read (README, "What the guardrails read"): token
 * arrays, fields outside the contract under unknown_fields: refuse, non-text parts under
 * non_text: refuse are refused; non-text parts otherwise pass, noted as unchecked. */
int intake_check_coverage(struct req_ctx *ctx)
{
    int any, unknown_refuse, non_text_refuse;
    checks_coverage(ctx, CONFIG_STAGE_INPUT, &any, &unknown_refuse, &non_text_refuse);
    if (!any)
        return 0;
    const struct api_scan *sc = &ctx->scan;
    if (sc->token_input)
        return api_error_set(&ctx->err, 400, "invalid_request_error", "unsupported_input", "input",
                             "'input' given as tokens cannot be checked by the guardrails that apply; send text"),
               -1;
    if (unknown_refuse && sc->unknown_path[0])
        return api_error_set(&ctx->err, 400, "invalid_request_error", "unknown_field", sc->unknown_path,
                             "field '%s' is outside what the guardrails read (unknown_fields: refuse)", sc->unknown_path),
               -1;
    if (sc->non_text && non_text_refuse)
        return api_error_set(&ctx->err, 400, "invalid_request_error", "non_text_content", sc->non_text_path,
                             "'%s' is not text and the guardrails that apply refuse what they cannot read (non_text: refuse)",
                             sc->non_text_path),
               -1;
    if (sc->non_text)
        checks_log_note(ctx, "non_text=unchecked");
    return 0;
}

const struct config_api_key *intake_api_key(struct req_ctx *ctx)
{
    if (ctx->w->cfg->n_api_keys == 0 || ctx->req == NULL)
        return NULL;
    return auth_request_key(ctx->w->cfg, &ctx->req->headers, NULL);
}

enum api_scan_shape intake_request_shape(const struct req_ctx *ctx)
{
    return ctx->kind == REQ_KIND_EMBEDDINGS ? API_SCAN_EMBEDDINGS : API_SCAN_CHAT;
}

/* Makes body (malloc'd, taken) the request: scanned again so that the next guard, the
 * upstream body and a re-ask all start from it. -1 (body freed, ctx unchanged) if the
 * result does not scan, which a splice of valid literals cannot cause. */
int intake_replace_body(struct req_ctx *ctx, char *body, size_t len)
{
    struct api_scan ns;
    if (api_scan(&ns, body, len, intake_request_shape(ctx), 1) != 0) {
        LOG_ERROR("lifecycle", "%s: a rewritten request does not scan: %s", ctx->request_id, ns.err);
        api_scan_free(&ns);
        free(body);
        return -1;
    }
    api_scan_free(&ctx->scan);
    free(ctx->raw);
    ctx->raw = body;
    ctx->raw_len = len;
    ctx->scan = ns;
    json_decref(ctx->tools_json);
    ctx->tools_json = NULL;
    return 0;
}

struct req_ctx *intake_ctx_new(struct server_worker *w, enum req_kind kind, const h2o_headers_t *headers, const char *body,
                               size_t len, const struct api_internal_opts *opts)
{
    struct req_ctx *ctx = util_calloc(1, sizeof(*ctx));
    ctx->w = w;
    ctx->kind = kind;
    ctx->timing.t_start = util_now_ns();
    /* first: the pool thread wakes (~13 us on a 2-vCPU VM) while the request is read; the body's
     * model is a hint (an internal caller's opts->model may route elsewhere: a carrier unused) */
    checks_warm_pool(ctx, body, len);
    ctx->hangup_fd = -1;
    util_buf_init(&ctx->up.body, LIFECYCLE_ERROR_BODY_MAX);
    util_buf_init(&ctx->up.headers, LIFECYCLE_HEADERS_KEPT_MAX);
    response_writer_init(&ctx->out);
    sse_parser_init(&ctx->up.sse, LIFECYCLE_SSE_EVENT_MAX);
    if (opts != NULL && opts->request_id != NULL && api_request_id_ok(opts->request_id, strlen(opts->request_id)))
        util_strlcpy(ctx->request_id, opts->request_id, sizeof(ctx->request_id));
    else
        api_request_id(headers, ctx->request_id);
    guard_call_id(ctx->call_id, ctx, ctx->timing.t_start);
    if (opts != NULL)
        ctx->api_key = opts->api_key;
    if (opts != NULL && opts->parent_request_id != NULL &&
        api_request_id_ok(opts->parent_request_id, strlen(opts->parent_request_id)))
        util_strlcpy(ctx->parent_request_id, opts->parent_request_id, sizeof(ctx->parent_request_id));
    /* our own copy of the body (h2o's entity points into its input buffer; it outlives retries),
     * with an internal caller's model in place of the body's */
    char *spliced = NULL;
    if (opts != NULL && opts->model != NULL) {
        struct api_scan sc;
        if (api_scan(&sc, body, len, kind == REQ_KIND_EMBEDDINGS ? API_SCAN_EMBEDDINGS : API_SCAN_CHAT, 0) == 0 && sc.model.e != 0)
            spliced = api_scan_splice(&sc, body, len, NULL, NULL, opts->model, &len);
        api_scan_free(&sc);
    }
    if (spliced != NULL) {
        ctx->raw = spliced;
        ctx->raw_len = len;
    } else {
        ctx->raw_len = len;
        ctx->raw = util_malloc(len + 1);
        if (len)
            memcpy(ctx->raw, body, len);
        ctx->raw[len] = '\0';
    }
    checks_stream_sink_fill(ctx);
    return ctx;
}

void intake_ctx_free(struct req_ctx *ctx)
{
    checks_release_pool(ctx);
    json_decref(ctx->body);
    json_decref(ctx->tools_json);
    api_scan_free(&ctx->scan);
    free(ctx->raw);
    free(ctx->up.request_body);
    util_buf_free(&ctx->up.body);
    util_buf_free(&ctx->up.headers);
    response_writer_free(&ctx->out);
    sse_parser_free(&ctx->up.sse);
    api_error_clear(&ctx->err);
    api_scan_free(&ctx->answer.scan);
    json_decref(ctx->answer.tools);
    util_buf_free(&ctx->checks.log);
    util_buf_free(&ctx->checks.audit_detail);
    stream_filter_free(&ctx->sink);
    usage_tap_free(&ctx->usage.tap);
    structured_spec_release(&ctx->so);
    free(ctx->checks.guards);
    free(ctx->checks.conc);
    for (size_t i = 0; i < ctx->checks.n_placeholders; i++)
        guard_placeholders_free(ctx->checks.placeholders[i]);
    free(ctx->checks.placeholders);
    free(ctx);
}
