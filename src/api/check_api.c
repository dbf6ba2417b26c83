/* POST /v1/guardrails/check. See check_api.h.
 *
 * Lifetime: a struct check_call lives in the request's memory pool as a
 * shared chunk whose dispose callback runs when h2o frees the request (after
 * the answer was sent, or when the client went away). It owns the parsed body
 * (the findings' "text" and offsets are computed from it) and the run: the
 * dispose cancels a run still in flight, so the verdict callback never sees a
 * freed request. The verdict arrives from the loop, never inside
 * guard_run_start() (guard/engine.h); it answers once and drops the run.
 *
 * A big call (CHECK_POOL_BYTES) is parsed, and its answer built, on the worker pool: a 3 MB
 * call with many findings held the loop for ~0.4 s in jansson. Each pool job owns what it
 * reads (a copy of the body; the parsed body, texts and verdict moved out of the call), so
 * the call may go meanwhile: its dispose detaches the job, whose after_work then only frees.
 * Once the worker has left its loop (shutdown: h2o's context goes next) nothing more is answered
 * or started; the connection is cut with the process. */
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

/* A body at least this big is parsed on the pool, and so is the answer to a call whose texts
 * are (or whose findings are many: each is a JSON object). */
#define CHECK_POOL_BYTES (64 * 1024)
#define CHECK_POOL_FINDINGS 1024

struct check_parse;
struct check_answer;

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
    struct check_parse *parsing;   /* the body's parse on the pool, if in flight */
    struct check_answer *answering; /* the answer's build on the pool, if in flight */
    h2o_linklist_t link;            /* in api_worker.checks, for the drain time-out */
};

/* The body's parse on the pool: owns a copy of the body (h2o frees its own with the call). */
struct check_parse {
    uv_work_t work;
    struct check_call *c; /* NULL once the call is gone */
    char *raw;
    size_t raw_len;
    json_t *body;
    json_error_t je;
};

/* The answer's build (on the pool for a big call): owns the parsed body, the texts that point
 * into it and the verdict. */
struct check_answer {
    uv_work_t work;
    struct check_call *c; /* NULL once the call is gone */
    json_t *body;
    const char **texts;
    size_t *lens;
    size_t n;
    struct guard_verdict v;
    uint64_t latency_us;
    char *out;            /* the answer's JSON, or NULL: */
    const char *fail;     /* ... why (an error code of ours) */
    const char *fail_msg; /* ... and its message */
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
    if (h2o_linklist_is_linked(&c->link))
        h2o_linklist_unlink(&c->link);
    if (c->parsing != NULL)
        c->parsing->c = NULL;
    if (c->answering != NULL)
        c->answering->c = NULL;
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

static json_t *findings_json(const struct check_answer *a, const struct guard_verdict *v)
{
    json_t *arr = json_array();
    size_t cur_index = (size_t)-1, cur_byte = 0, cur_cp = 0;
    for (size_t i = 0; i < v->n_findings; i++) {
        const struct guard_finding *f = &v->findings[i];
        if (f->index >= a->n || f->start > f->end || f->end > a->lens[f->index])
            continue;
        const char *t = a->texts[f->index];
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

/* The answer's JSON into a->out, or a->fail (on the pool for a big call: touches a alone). */
static void answer_build(struct check_answer *a)
{
    const struct guard_verdict *v = &a->v;
    json_t *texts = json_array();
    for (size_t i = 0; i < a->n; i++) {
        int rewritten = v->outcome == GUARD_REWRITE && v->texts != NULL && i < v->n && v->texts[i] != NULL;
        json_t *s = rewritten ? json_stringn(v->texts[i], v->lens[i]) : json_stringn(a->texts[i], a->lens[i]);
        if (s == NULL) {
            json_decref(texts);
            a->fail = "invalid_rewrite";
            a->fail_msg = "the guardrail rewrote a text into invalid UTF-8";
            return;
        }
        json_array_append_new(texts, s);
    }
    json_t *root = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I}", "verdict", verdict_name(v), "guardrail",
                             v->guard ? v->guard->name : "", "reason", v->reason, "findings", findings_json(a, v), "texts",
                             texts, "latency_us", (json_int_t)a->latency_us);
    if (root != NULL && v->errored)
        json_object_set_new(root, "errored", json_true());
    a->out = root ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(4)) : NULL;
    json_decref(root);
    if (a->out == NULL) {
        a->fail = "internal_error";
        a->fail_msg = "could not encode the verdict";
    }
}

static void on_answer_work(uv_work_t *w)
{
    answer_build(w->data);
}

/* Sends the built answer if the call is still there, and frees the build. */
static void answer_send(struct check_answer *a)
{
    struct check_call *c = a->c;
    if (c != NULL)
        c->answering = NULL;
    if (c != NULL && !c->w->stopped) {
        if (a->out != NULL)
            api_send_body(c->req, 200, "application/json", a->out, strlen(a->out));
        else
            send_json_error(c->req, 500, "api_error", a->fail, NULL, a->fail_msg);
    }
    free(a->out);
    guard_verdict_release(&a->v);
    free(a->texts);
    free(a->lens);
    json_decref(a->body);
    free(a);
}

static void on_answer_done(uv_work_t *w, int status)
{
    struct check_answer *a = w->data;
    if (status != 0 && a->out == NULL && a->fail == NULL) {
        a->fail = "internal_error";
        a->fail_msg = "the answer's build was cancelled";
    }
    answer_send(a);
}

static void on_check_verdict(void *ud, struct guard_verdict *v)
{
    struct check_call *c = ud;
    c->run = NULL;
    if (c->answered)
        return;
    c->answered = 1;
    /* the build takes the body, its texts and the verdict (the engine's copy then owns nothing) */
    struct check_answer *a = util_calloc(1, sizeof(*a));
    a->c = c;
    a->latency_us = (util_now_ns() - c->t0) / 1000;
    a->body = c->body;
    a->texts = c->texts;
    a->lens = c->lens;
    a->n = c->n;
    c->body = NULL;
    c->texts = NULL;
    c->lens = NULL;
    a->v = *v;
    v->texts = NULL;
    v->lens = NULL;
    v->findings = NULL;
    v->n_findings = 0;
    v->placeholders = NULL;
    size_t bytes = 0;
    for (size_t i = 0; i < a->n; i++)
        bytes += a->lens[i];
    a->work.data = a;
    if ((bytes >= CHECK_POOL_BYTES || a->v.n_findings >= CHECK_POOL_FINDINGS) &&
        uv_queue_work(&c->w->loop, &a->work, on_answer_work, on_answer_done) == 0) {
        c->answering = a;
        return;
    }
    answer_build(a);
    answer_send(a);
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

/* Starts the check of a parsed call (body: NULL when it did not parse, je says why); a refused
 * call is answered here. */
static int check_begin(struct check_call *c, json_t *body, const json_error_t *je)
{
    struct server_worker *w = c->w;
    h2o_req_t *req = c->req;
    uint64_t t0 = c->t0;
    if (body == NULL) {
        char msg[300];
        snprintf(msg, sizeof(msg), "could not parse the JSON body of your request: %s", je->text);
        return bad_request(req, "invalid_json", NULL, msg);
    }
    c->body = body; /* from here the dispose frees it */

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

static json_t *body_parse(const char *raw, size_t len, json_error_t *je)
{
    return json_loadb(raw ? raw : "", len, JSON_REJECT_DUPLICATES, je);
}

static void on_parse_work(uv_work_t *w)
{
    struct check_parse *p = w->data;
    p->body = body_parse(p->raw, p->raw_len, &p->je);
}

static void on_parse_done(uv_work_t *w, int status)
{
    struct check_parse *p = w->data;
    struct check_call *c = p->c;
    if (c != NULL)
        c->parsing = NULL;
    if (c != NULL && !c->w->stopped && status != 0 && p->body == NULL) {
        /* the job never ran: the server's failure, not the caller's JSON */
        send_json_error(c->req, 500, "api_error", "internal_error", NULL, "the parse of the check was cancelled");
    } else if (c != NULL && !c->w->stopped) {
        check_begin(c, p->body, &p->je); /* takes the body */
    } else {
        json_decref(p->body); /* the call is gone, or the worker left its loop: its checks are going */
    }
    free(p->raw);
    free(p);
}

/* Parses the call (on the pool when it is big) and starts its check. */
static int check_start(struct server_worker *w, h2o_req_t *req, uint64_t t0)
{
    struct check_call *c = h2o_mem_alloc_shared(&req->pool, sizeof(*c), on_call_dispose);
    memset(c, 0, sizeof(*c));
    c->w = w;
    c->req = req;
    c->t0 = t0;
    api_worker_inflight_enter(api_worker_get(w));
    h2o_linklist_insert(&api_worker_get(w)->checks, &c->link);
    if (req->entity.len >= CHECK_POOL_BYTES) {
        struct check_parse *p = util_calloc(1, sizeof(*p));
        p->c = c;
        p->raw = util_malloc(req->entity.len);
        memcpy(p->raw, req->entity.base, req->entity.len);
        p->raw_len = req->entity.len;
        p->work.data = p;
        if (uv_queue_work(&w->loop, &p->work, on_parse_work, on_parse_done) == 0) {
            c->parsing = p;
            return 0;
        }
        free(p->raw);
        free(p);
    }
    json_error_t je;
    return check_begin(c, body_parse(req->entity.base, req->entity.len, &je), &je);
}

void api_check_drain_expired(struct server_worker *w)
{
    h2o_linklist_t *anchor = &api_worker_get(w)->checks;
    while (!h2o_linklist_is_empty(anchor)) {
        struct check_call *c = H2O_STRUCT_FROM_MEMBER(struct check_call, link, anchor->next);
        h2o_linklist_unlink(&c->link);
        int pending = c->parsing != NULL || c->run != NULL || c->answering != NULL;
        if (c->parsing != NULL) { /* its job only frees from now on */
            c->parsing->c = NULL;
            c->parsing = NULL;
        }
        if (c->answering != NULL) {
            c->answering->c = NULL;
            c->answering = NULL;
        }
        if (c->run != NULL) {
            guard_run_cancel(c->run);
            c->run = NULL;
        }
        if (!pending) /* answered already (a refusal, a verdict sent) */
            continue;
        c->answered = 1;
        c->req->http1_is_persistent = 0; /* the worker is leaving */
        send_json_error(c->req, 503, "api_error", "shutting_down", NULL, "the server shut down before the check completed");
    }
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
