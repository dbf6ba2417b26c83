/* POST /v1/guardrails/check. See check_api.h.
 *
 * Lifetime: a struct check_call lives in the request's memory pool as a
 * shared chunk whose dispose callback runs when h2o frees the request (after
 * the answer was sent, or when the client went away). It owns the parsed body
 * (the findings' "text" and offsets are computed from it) and the run: the
 * dispose cancels a run still in flight, so the verdict callback never sees a
 * freed request. The verdict arrives from the loop, never inside
 * guard_run_start() (guard/engine.h); it answers once and drops the run. */
#include "api/check_api.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/error.h"
#include "api/worker.h"
#include "auth/auth.h"
#include "guard/engine.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/clock.h"

struct check_call {
    struct server_worker *w;
    h2o_req_t *req;
    struct guard_run *run;
    json_t *body;
    const char **texts; /* borrowed from body */
    size_t *lens;
    size_t n;
    uint64_t t0;
    int answered;
};

static void send_json_error(h2o_req_t *req, int status, const char *type, const char *code, const char *param,
                            const char *msg)
{
    struct api_error e = {0};
    api_error_set(&e, status, type, code, param, "%s", msg);
    size_t len;
    char *body = api_error_body(&e, &len);
    api_send_body(req, status, "application/json", body ? body : "", len);
    free(body);
    api_error_clear(&e);
}

static void on_call_dispose(void *p)
{
    struct check_call *c = p;
    if (c->run != NULL) {
        guard_run_cancel(c->run);
        c->run = NULL;
    }
    json_decref(c->body);
    free(c->texts);
    free(c->lens);
    api_worker_inflight_leave(api_worker_get(c->w));
}

/* ---- the answer ---- */

/* Code points in s[0..n): every byte that is not a UTF-8 continuation byte starts one. */
static size_t code_points(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static const char *verdict_name(const struct guard_verdict *v)
{
    return v->outcome == GUARD_BLOCK ? "block" : v->outcome == GUARD_REWRITE ? "redact" : "pass";
}

static json_t *findings_json(const struct check_call *c, const struct guard_verdict *v)
{
    json_t *arr = json_array();
    size_t cur_index = (size_t)-1, cur_byte = 0, cur_cp = 0;
    for (size_t i = 0; i < v->n_findings; i++) {
        const struct guard_finding *f = &v->findings[i];
        if (f->index >= c->n || f->start > f->end || f->end > c->lens[f->index])
            continue;
        const char *t = c->texts[f->index];
        /* findings come grouped by text and by start: count code points incrementally */
        if (f->index != cur_index || f->start < cur_byte) {
            cur_index = f->index;
            cur_byte = cur_cp = 0;
        }
        cur_cp += code_points(t + cur_byte, f->start - cur_byte);
        cur_byte = f->start;
        size_t start_cp = cur_cp, end_cp = cur_cp + code_points(t + f->start, f->end - f->start);
        json_t *text = json_stringn(t + f->start, f->end - f->start);
        json_t *o = json_pack("{s:I, s:s, s:I, s:I, s:o, s:f}", "index", (json_int_t)f->index, "type", f->type, "start",
                              (json_int_t)start_cp, "end", (json_int_t)end_cp, "text", text ? text : json_null(), "score",
                              f->score);
        if (o != NULL)
            json_array_append_new(arr, o);
    }
    return arr;
}

static void on_check_verdict(void *ud, struct guard_verdict *v)
{
    struct check_call *c = ud;
    c->run = NULL;
    if (c->answered)
        return;
    c->answered = 1;
    json_t *texts = json_array();
    for (size_t i = 0; i < c->n; i++) {
        int rewritten = v->outcome == GUARD_REWRITE && v->texts != NULL && i < v->n && v->texts[i] != NULL;
        json_t *s = rewritten ? json_stringn(v->texts[i], v->lens[i]) : json_stringn(c->texts[i], c->lens[i]);
        if (s == NULL) {
            json_decref(texts);
            send_json_error(c->req, 500, "api_error", "invalid_rewrite", NULL, "the guardrail rewrote a text into invalid UTF-8");
            return;
        }
        json_array_append_new(texts, s);
    }
    uint64_t latency = (util_now_ns() - c->t0) / 1000;
    json_t *root = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I}", "verdict", verdict_name(v), "guardrail",
                             v->guard ? v->guard->name : "", "reason", v->reason, "findings", findings_json(c, v), "texts",
                             texts, "latency_us", (json_int_t)latency);
    if (root != NULL && v->errored)
        json_object_set_new(root, "errored", json_true());
    char *body = root ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(4)) : NULL;
    json_decref(root);
    if (body == NULL) {
        send_json_error(c->req, 500, "api_error", "internal_error", NULL, "could not encode the verdict");
        return;
    }
    api_send_body(c->req, 200, "application/json", body, strlen(body));
    free(body);
}

/* ---- the request ---- */

/* Authorization: Bearer <token>, compared in constant time over the token's length.
 * Without a token of its own the route is a /v1 route like the others: under
 * auth.required it takes a configured API key. */
static int authorized(const struct config *cfg, const struct config_guardrails_api *api, h2o_req_t *req)
{
    if (api->token_env == NULL)
        return !cfg->auth_required || auth_request_key(cfg, &req->headers, NULL) != NULL;
    if (api->token == NULL)
        return 0; /* the variable is unset: nothing can match, refuse every call */
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0)
        return 0;
    h2o_iovec_t v = req->headers.entries[i].value;
    if (v.len < 7 || strncasecmp(v.base, "Bearer ", 7) != 0)
        return 0;
    const char *got = v.base + 7;
    size_t got_len = v.len - 7, want_len = strlen(api->token);
    /* compare want_len bytes either way, so the time does not depend on where they differ */
    char *padded = util_calloc(want_len + 1, 1);
    memcpy(padded, got, got_len < want_len ? got_len : want_len);
    int same = CRYPTO_memcmp(padded, api->token, want_len) == 0 && got_len == want_len;
    free(padded);
    return same;
}

static int bad_request(h2o_req_t *req, const char *code, const char *param, const char *msg)
{
    send_json_error(req, 400, "invalid_request_error", code, param, msg);
    return 0;
}

/* Parses the call and starts its check; a refused call is answered here. */
static int check_start(struct server_worker *w, h2o_req_t *req, uint64_t t0)
{
    json_error_t je;
    json_t *body = json_loadb(req->entity.base ? req->entity.base : "", req->entity.len, JSON_REJECT_DUPLICATES, &je);
    if (body == NULL) {
        char msg[300];
        snprintf(msg, sizeof(msg), "could not parse the JSON body of your request: %s", je.text);
        return bad_request(req, "invalid_json", NULL, msg);
    }
    struct check_call *c = h2o_mem_alloc_shared(&req->pool, sizeof(*c), on_call_dispose);
    memset(c, 0, sizeof(*c));
    c->w = w;
    c->req = req;
    c->body = body; /* from here the dispose frees it */
    c->t0 = t0;
    api_worker_inflight_enter(api_worker_get(w));

    if (!json_is_object(body))
        return bad_request(req, "invalid_json", NULL, "the request body must be a JSON object");
    json_t *name = json_object_get(body, "guardrail");
    if (name == NULL)
        return bad_request(req, "missing_required_parameter", "guardrail", "you must provide a 'guardrail' parameter");
    if (!json_is_string(name))
        return bad_request(req, "invalid_type", "guardrail", "'guardrail' must be a string");
    const struct config_guardrail *g = config_find_guardrail(w->cfg, json_string_value(name));
    if (g == NULL) {
        char msg[300];
        snprintf(msg, sizeof(msg), "the guardrail '%.200s' does not exist", json_string_value(name));
        send_json_error(req, 404, "invalid_request_error", "guardrail_not_found", "guardrail", msg);
        return 0;
    }
    enum config_guard_stage stage = CONFIG_STAGE_INPUT;
    json_t *st = json_object_get(body, "stage");
    if (st != NULL && !json_is_null(st)) {
        const char *sv = json_string_value(st);
        if (sv != NULL && !strcmp(sv, "input"))
            stage = CONFIG_STAGE_INPUT;
        else if (sv != NULL && !strcmp(sv, "output"))
            stage = CONFIG_STAGE_OUTPUT;
        else
            return bad_request(req, "invalid_value", "stage", "'stage' must be \"input\" or \"output\"");
    }
    json_t *text = json_object_get(body, "text"), *texts = json_object_get(body, "texts");
    if ((text != NULL) == (texts != NULL))
        return bad_request(req, "missing_required_parameter", "text", "give exactly one of 'text' (a string) or 'texts' (an array of strings)");
    if (text != NULL) {
        if (!json_is_string(text))
            return bad_request(req, "invalid_type", "text", "'text' must be a string");
        c->n = 1;
    } else {
        if (!json_is_array(texts))
            return bad_request(req, "invalid_type", "texts", "'texts' must be an array of strings");
        c->n = json_array_size(texts);
    }
    c->texts = util_calloc(c->n ? c->n : 1, sizeof(*c->texts));
    c->lens = util_calloc(c->n ? c->n : 1, sizeof(*c->lens));
    for (size_t i = 0; i < c->n; i++) {
        json_t *t = text != NULL ? text : json_array_get(texts, i);
        if (!json_is_string(t)) {
            char msg[80];
            snprintf(msg, sizeof(msg), "'texts[%zu]' must be a string", i);
            return bad_request(req, "invalid_type", "texts", msg);
        }
        c->texts[i] = json_string_value(t);
        c->lens[i] = json_string_length(t);
    }

    char request_id[48];
    snprintf(request_id, sizeof(request_id), "check_%llx", (unsigned long long)t0);
    struct guard_subject s = {.stage = stage,
                              .texts = c->texts,
                              .lens = c->lens,
                              .n = c->n,
                              .n_messages = c->n,
                              .tool_calls = NULL,
                              .model = "",
                              .request_id = request_id};
    c->run = guard_run_start(w->guards, g, &s, on_check_verdict, c);
    return 0;
}

int api_check_handle(struct server_worker *w, h2o_req_t *req)
{
    const struct config_guardrails_api *api = &w->cfg->guardrails_api;
    if (!authorized(w->cfg, api, req)) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, H2O_STRLIT("Bearer"));
        send_json_error(req, 401, "invalid_request_error", "invalid_api_key", NULL,
                        api->token_env != NULL ? "missing or incorrect bearer token for the guardrails API (guardrails_api.token_env)"
                                               : "missing or incorrect API key (auth.required: Authorization: Bearer KEY or x-api-key)");
        return 0;
    }
    if (w->draining) {
        send_json_error(req, 503, "api_error", "shutting_down", NULL, "the server is shutting down");
        return 0;
    }
    uint64_t t0 = util_now_ns();
    guard_env_warm_pool(w->guards); /* a model check's pool thread wakes while the body is parsed */
    int rc = check_start(w, req, t0);
    guard_env_cool_pool(w->guards); /* taken, or no model job is to come (a refused call, a check without a model) */
    return rc;
}
