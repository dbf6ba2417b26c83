/* The HTTP side of fan-out (fanout.h): one struct fanout_http per client request, holding
 * the h2o request, the work (a pipeline run on its runner, or a batch) and the writer.
 *
 * Lifetime: the request's pool holds a pointer whose dispose callback ends everything
 * (the work is cancelled: no callback after) and frees the struct. h2o may dispose the
 * request inside h2o_send, so every function that sends does so as its last act.
 *
 * The client going away is seen three ways: the hang-up watch (api/hangup.h: a FIN or RST
 * while Warden waits and h2o reads nothing), h2o stopping a streamed response (a failed
 * write), and the pool's dispose. Each cancels the work at once; the first two also make
 * h2o notice (an error answer or an error end of the stream), so it disposes the request.
 *
 * A streamed batch is bounded: while the output h2o has not yet written (the buffer being
 * sent and the one filling) is over NDJSON_HOLD_BYTES, the batch starts no new item (the
 * running ones finish into the buffer); when h2o asks for more (on_proceed) and the rest is
 * under the bound, items start again. A client that stops reading without closing holds at
 * most that bound plus max_concurrency answers in Warden.
 *
 * The client request has its own audit record (the parent of its sub-calls' records, which
 * carry its id as parent_id): route and pipeline, status, error code, latency, the number of
 * sub-calls as attempts, and the sums of their tokens and cost (api/audit_parent.h). */
#include "fanout/fanout.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/admin_audit.h"
#include "api/audit_parent.h"
#include "api/api.h"
#include "api/hangup.h"
#include "api/request_id.h"
#include "api/worker.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "config/config.h"
#include "fanout/batch.h"
#include "fanout/pipeline.h"
#include "fanout/runner.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"

#define NDJSON_HOLD_BYTES (256u * 1024)

enum fanout_route { ROUTE_PIPELINE, ROUTE_PIPELINE_BATCH, ROUTE_CHAT_BATCH };
static const char *const route_names[] = {"pipeline", "pipeline_batch", "chat_batch"};

struct fanout_http {
    struct server_worker *w;
    h2o_req_t *req; /* NULL once disposed */
    enum fanout_route route;
    const struct config_pipeline *pipeline;
    char request_id[API_REQUEST_ID_SIZE];
    uint64_t t_start;
    int status;     /* what the client was sent (0: nothing yet) */
    char error_code[48]; /* the code of an error answer */
    int client_gone;
    int audited;    /* audit_admit took a reservation: on_dispose writes the record */
    const struct config_api_key *key;
    struct api_subcall_totals totals;

    /* the work */
    struct fanout_runner *runner;       /* a single pipeline run's */
    struct fanout_pipeline_run *run;
    struct fanout_batch *batch;
    json_t **results;                   /* a non-streamed batch: per index, the item's line */
    size_t n_items, n_failed, n_done;

    /* a streamed batch (NDJSON) */
    int stream;
    int started, in_flight, final, error_end;
    h2o_generator_t gen;
    struct util_buf pending, sending;

    int hangup_fd;
    uint64_t conn_id;
};

/* ---- answers ---- */

static void add_headers(struct fanout_http *f, const char *content_type)
{
    h2o_req_t *req = f->req;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    h2o_iovec_t id = h2o_strdup(&req->pool, f->request_id, strlen(f->request_id));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, id.base, id.len);
}

/* Sends a whole JSON answer: the last act of its caller. */
static void send_json(struct fanout_http *f, int status, json_t *body)
{
    if (f->req == NULL || f->started)
        return;
    char *text = json_dumps(body, JSON_COMPACT);
    f->status = status;
    const char *code = status >= 400 ? json_string_value(json_object_get(json_object_get(body, "error"), "code")) : NULL;
    if (code != NULL)
        snprintf(f->error_code, sizeof(f->error_code), "%s", code);
    f->started = 1;
    h2o_req_t *req = f->req;
    req->res.status = status;
    req->res.reason = status < 400 ? "OK" : "Error";
    add_headers(f, "application/json");
    h2o_iovec_t b = h2o_strdup(&req->pool, text ? text : "{}", text ? strlen(text) : 2);
    free(text);
    h2o_send_inline(req, b.base, b.len);
}

static void send_error(struct fanout_http *f, int status, const char *type, const char *code, const char *param, const char *msg)
{
    json_t *e = json_pack("{s:{s:s, s:s, s:s, s:s?}}", "error", "message", msg, "type", type, "code", code, "param", param);
    send_json(f, status, e);
    json_decref(e);
}

/* ---- the NDJSON writer ---- */

static void ndjson_flush(struct fanout_http *f)
{
    if (f->req == NULL || f->in_flight || (f->pending.len == 0 && !f->final))
        return;
    struct util_buf tmp = f->sending;
    f->sending = f->pending;
    f->pending = tmp;
    util_buf_reset(&f->pending);
    h2o_iovec_t buf = h2o_iovec_init(f->sending.data ? f->sending.data : "", f->sending.len);
    h2o_send_state_t st = !f->final ? H2O_SEND_STATE_IN_PROGRESS : f->error_end ? H2O_SEND_STATE_ERROR : H2O_SEND_STATE_FINAL;
    f->in_flight = 1;
    h2o_send(f->req, &buf, buf.len ? 1 : 0, st); /* may dispose the request: last act */
}

static void on_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    struct fanout_http *f = H2O_STRUCT_FROM_MEMBER(struct fanout_http, gen, g);
    f->in_flight = 0;
    util_buf_reset(&f->sending);
    if (f->pending.len < NDJSON_HOLD_BYTES)
        fanout_batch_resume(f->batch);
    if (!f->final || f->pending.len > 0 || f->error_end)
        ndjson_flush(f);
}

static void cancel_work(struct fanout_http *f);

static void on_stop(h2o_generator_t *g, h2o_req_t *req)
{
    struct fanout_http *f = H2O_STRUCT_FROM_MEMBER(struct fanout_http, gen, g);
    f->client_gone = 1;
    cancel_work(f);
}

static void ndjson_start(struct fanout_http *f)
{
    h2o_req_t *req = f->req;
    f->started = 1;
    f->status = 200;
    req->res.status = 200;
    req->res.reason = "OK";
    add_headers(f, "application/x-ndjson");
    f->gen.proceed = on_proceed;
    f->gen.stop = on_stop;
    h2o_start_response(req, &f->gen);
}

static void ndjson_append(struct fanout_http *f, json_t *line)
{
    char *text = json_dumps(line, JSON_COMPACT);
    if (text != NULL) {
        util_buf_append(&f->pending, text, strlen(text));
        util_buf_append(&f->pending, "\n", 1);
        free(text);
    }
}

/* ---- the work ---- */

static void cancel_work(struct fanout_http *f)
{
    if (f->runner != NULL)
        fanout_runner_stop(f->runner);
    fanout_pipeline_cancel(f->run);
    f->run = NULL;
    fanout_runner_free(f->runner);
    f->runner = NULL;
    fanout_batch_free(f->batch);
    f->batch = NULL;
}

static void on_pipeline_done(void *ud, int status, json_t *answer)
{
    struct fanout_http *f = ud;
    f->run = NULL; /* it frees itself after this callback */
    send_json(f, status, answer);
}

/* One batch item's line: {"index", "status", "result"} or {"index", "status", "error"}. */
static json_t *item_line(size_t index, int status, json_t *value)
{
    int ok = status >= 200 && status < 300;
    json_t *err = ok ? NULL : json_object_get(value, "error");
    return json_pack("{s:I, s:i, s:O}", "index", (json_int_t)index, "status", status, ok ? "result" : "error",
                     ok ? value : (err ? err : value));
}

static void on_batch_item(void *ud, size_t index, int status, json_t *value)
{
    struct fanout_http *f = ud;
    f->n_done++;
    if (status < 200 || status >= 300)
        f->n_failed++;
    json_t *line = item_line(index, status, value);
    if (!f->stream) {
        f->results[index] = line;
        return;
    }
    if (!f->started)
        ndjson_start(f);
    ndjson_append(f, line);
    json_decref(line);
    if (f->pending.len + f->sending.len >= NDJSON_HOLD_BYTES)
        fanout_batch_hold(f->batch); /* on_proceed resumes */
    ndjson_flush(f); /* last act */
}

static void on_batch_done(void *ud)
{
    struct fanout_http *f = ud;
    json_t *summary = json_pack("{s:I, s:I, s:I, s:s, s:f}", "items", (json_int_t)f->n_items, "succeeded",
                                (json_int_t)(f->n_items - f->n_failed), "failed", (json_int_t)f->n_failed, "request_id",
                                f->request_id, "latency_ms", (double)(util_now_ns() - f->t_start) / 1e6);
    if (f->stream) {
        json_object_set_new(summary, "done", json_true());
        if (!f->started)
            ndjson_start(f);
        f->final = 1;
        ndjson_append(f, summary);
        json_decref(summary);
        ndjson_flush(f); /* last act */
        return;
    }
    json_t *results = json_array();
    for (size_t i = 0; i < f->n_items; i++) {
        json_array_append_new(results, f->results[i] ? f->results[i] : json_null());
        f->results[i] = NULL;
    }
    json_t *body = json_pack("{s:s, s:o, s:o}", "object", "batch", "results", results, "summary", summary);
    send_json(f, 200, body); /* last act */
    json_decref(body);
}

static const struct fanout_batch_callbacks batch_callbacks = {on_batch_item, on_batch_done};

/* ---- hang-ups and the end ---- */

static void on_hangup(void *ud)
{
    struct fanout_http *f = ud;
    f->hangup_fd = -1; /* the watcher forgot this request */
    f->client_gone = 1;
    cancel_work(f);
    if (f->req == NULL)
        return;
    if (!f->started) {
        /* h2o reads nothing now: a write makes it notice the closed socket and dispose */
        send_error(f, 499, "api_error", "client_closed_request", NULL, "client closed the request");
        return;
    }
    if (f->stream && !f->final) {
        f->final = 1;
        f->error_end = 1;
        ndjson_flush(f);
    }
}

static void access_log(struct fanout_http *f)
{
    const struct config *cfg = f->w->cfg;
    if (cfg->server.access_log != NULL && strcmp(cfg->server.access_log, "off") == 0)
        return;
    struct util_buf b;
    util_buf_init(&b, 64 * 1024);
    util_buf_appendf(&b, "{\"id\":");
    util_buf_append_json_string(&b, f->request_id, strlen(f->request_id));
    util_buf_appendf(&b, ",\"route\":\"%s\",\"status\":%d,\"total_ms\":%.3f", route_names[f->route],
                     f->client_gone && !f->status ? 499 : f->status, (double)(util_now_ns() - f->t_start) / 1e6);
    if (f->pipeline != NULL) {
        util_buf_append(&b, ",\"pipeline\":", 12);
        util_buf_append_json_string(&b, f->pipeline->name, strlen(f->pipeline->name));
    }
    if (f->route != ROUTE_PIPELINE)
        util_buf_appendf(&b, ",\"items\":%zu,\"items_done\":%zu,\"items_failed\":%zu", f->n_items, f->n_done, f->n_failed);
    if (f->client_gone)
        util_buf_append(&b, ",\"client_gone\":true", 19);
    util_buf_append(&b, "}", 1);
    server_access_log_write(f->w, b.data, b.len);
    util_buf_free(&b);
}

/* The client request's own record: the parent of its sub-calls' records. */
static void audit_parent(struct fanout_http *f)
{
    if (!f->audited)
        return;
    char target[64];
    snprintf(target, sizeof(target), "fanout:%s", route_names[f->route]);
    struct api_audit_parent p = {
        .request_id = f->request_id,
        .key_name = f->key != NULL ? f->key->name : NULL,
        .model = f->pipeline != NULL ? f->pipeline->name : NULL, /* a chat batch has none */
        .target = target,
        .error_code = f->client_gone ? "client_closed_request" : f->error_code[0] ? f->error_code : NULL,
        .status = f->client_gone ? 499 : f->status,
        .stream = f->stream,
        .t_start_ns = f->t_start,
        .totals = &f->totals,
    };
    api_audit_parent(f->w, &p);
}

static void on_dispose(void *p)
{
    struct fanout_http *f = *(struct fanout_http **)p;
    f->req = NULL;
    if (f->hangup_fd >= 0)
        api_hangup_unwatch(api_worker_get(f->w)->hangup, f->hangup_fd, f->conn_id);
    if (!f->final && f->stream && f->started)
        f->client_gone = 1; /* the stream never ended */
    if (f->status == 0)
        f->client_gone = 1;
    cancel_work(f);
    access_log(f);
    audit_parent(f);
    for (size_t i = 0; f->results != NULL && i < f->n_items; i++)
        json_decref(f->results[i]);
    free(f->results);
    util_buf_free(&f->pending);
    util_buf_free(&f->sending);
    api_worker_inflight_leave(api_worker_get(f->w));
    free(f);
}

/* ---- the handler ---- */

static int method_is_post(h2o_req_t *req)
{
    return h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
}

/* The route of path, and for pipelines the name in it; 0 when the path is not ours. */
static int parse_path(h2o_req_t *req, enum fanout_route *route, const char **name, size_t *name_len)
{
    const char *p = req->path_normalized.base;
    size_t n = req->path_normalized.len;
    if (n == sizeof("/v1/chat/completions/batch") - 1 && memcmp(p, "/v1/chat/completions/batch", n) == 0) {
        *route = ROUTE_CHAT_BATCH;
        return 1;
    }
    static const char prefix[] = "/v1/pipelines/";
    if (n <= sizeof(prefix) - 1 || memcmp(p, prefix, sizeof(prefix) - 1) != 0)
        return 0;
    *name = p + sizeof(prefix) - 1;
    const char *slash = memchr(*name, '/', n - (sizeof(prefix) - 1));
    if (slash == NULL) {
        *name_len = n - (sizeof(prefix) - 1);
        *route = ROUTE_PIPELINE;
        return 1;
    }
    *name_len = (size_t)(slash - *name);
    if ((size_t)(p + n - slash) == 6 && memcmp(slash, "/batch", 6) == 0 && *name_len > 0) {
        *route = ROUTE_PIPELINE_BATCH;
        return 1;
    }
    return 0;
}

static void watch_hangup(struct fanout_http *f)
{
    h2o_req_t *req = f->req;
    if (req->version >= 0x200)
        return; /* HTTP/2: a reset stream stops the response (on_stop) and disposes it */
    int fd = h2o_socket_get_fd(req->conn->callbacks->get_socket(req->conn));
    f->conn_id = req->conn->id;
    if (api_hangup_watch(api_worker_get(f->w)->hangup, fd, f->conn_id, on_hangup, f) == 0)
        f->hangup_fd = fd;
}

/* Starts a batch: body {"inputs"|"requests": [...], "stream": bool}. */
static void start_batch(struct fanout_http *f, json_t *body, const struct config_api_key *key)
{
    const struct config *cfg = f->w->cfg;
    const char *field = f->route == ROUTE_CHAT_BATCH ? "requests" : "inputs";
    json_t *items = json_object_get(body, field);
    char msg[200];
    if (!json_is_array(items) || json_array_size(items) == 0) {
        snprintf(msg, sizeof(msg), "'%s' must be a non-empty array", field);
        send_error(f, 400, "invalid_request_error", items ? "invalid_type" : "missing_required_parameter", field, msg);
        return;
    }
    if (json_array_size(items) > (size_t)cfg->batch.max_items) {
        snprintf(msg, sizeof(msg), "%zu items; a batch holds at most %d (batch.max_items)", json_array_size(items),
                 cfg->batch.max_items);
        f->req->http1_is_persistent = 0;
        send_error(f, 413, "invalid_request_error", "too_many_items", field, msg);
        return;
    }
    json_t *stream = json_object_get(body, "stream");
    if (stream != NULL && !json_is_boolean(stream)) {
        send_error(f, 400, "invalid_request_error", "invalid_type", "stream", "'stream' must be a boolean");
        return;
    }
    f->stream = json_is_true(stream);
    f->n_items = json_array_size(items);
    if (!f->stream)
        f->results = util_calloc(f->n_items, sizeof(*f->results));
    struct fanout_batch_opts o = {
        .pipeline = f->pipeline,
        .pipeline_index = f->pipeline ? (size_t)(f->pipeline - cfg->pipelines) : 0,
        .request_id = f->request_id,
        .api_key = key,
        .max_concurrency = cfg->batch.max_concurrency,
        .deadline_ms = cfg->batch.deadline_ms,
        .totals = &f->totals,
    };
    f->batch = fanout_batch_start(f->w, items, &o, &batch_callbacks, f);
    watch_hangup(f);
}

static void start_pipeline(struct fanout_http *f, json_t *vars, const struct config_api_key *key)
{
    const struct config *cfg = f->w->cfg;
    f->runner = fanout_runner_new(f->w, f->pipeline->max_concurrency, &f->totals);
    struct fanout_pipeline_opts o = {f->request_id, NULL, key};
    int status = 0;
    json_t *answer = NULL;
    f->run = fanout_pipeline_start(f->runner, f->pipeline, (size_t)(f->pipeline - cfg->pipelines), vars, &o, on_pipeline_done, f,
                                   &status, &answer);
    if (f->run == NULL) {
        send_json(f, status, answer);
        json_decref(answer);
        return;
    }
    watch_hangup(f);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct server_worker *w = server_worker_from_ctx(req->conn->ctx);
    enum fanout_route route;
    const char *name = NULL;
    size_t name_len = 0;
    if (!parse_path(req, &route, &name, &name_len)) {
        api_send_error(req, 404, "invalid_request_error", "unknown_url", "unknown route");
        return 0;
    }
    if (!api_route_admit(w, req))
        return 0;
    if (!audit_admit(w->audit)) {
        api_send_error(req, 503, "api_error", "audit_unavailable", "the audit log is full (audit.overflow: refuse); try again later");
        return 0;
    }
    struct fanout_http *f = util_calloc(1, sizeof(*f));
    f->audited = w->audit != NULL;
    int presented;
    const struct config_api_key *key = auth_request_key(w->cfg, &req->headers, &presented);
    f->key = key;
    f->w = w;
    f->req = req;
    f->route = route;
    f->t_start = util_now_ns();
    f->hangup_fd = -1;
    util_buf_init(&f->pending, SIZE_MAX);
    util_buf_init(&f->sending, SIZE_MAX);
    api_request_id(&req->headers, f->request_id);
    api_worker_inflight_enter(api_worker_get(w));
    struct fanout_http **slot = h2o_mem_alloc_shared(&req->pool, sizeof(*slot), on_dispose);
    *slot = f;

    if (!method_is_post(req)) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("POST"));
        send_error(f, 405, "invalid_request_error", "method_not_allowed", NULL, "use POST on this route");
        return 0;
    }
    if (w->draining) {
        send_error(f, 503, "api_error", "shutting_down", NULL, "the server is shutting down");
        return 0;
    }
    if (route != ROUTE_CHAT_BATCH) {
        f->pipeline = config_find_pipeline(w->cfg, name, name_len);
        if (f->pipeline == NULL) {
            char msg[300];
            snprintf(msg, sizeof(msg), "the pipeline '%.*s' does not exist", (int)(name_len > 200 ? 200 : name_len), name);
            send_error(f, 404, "invalid_request_error", "pipeline_not_found", NULL, msg);
            return 0;
        }
    }
    json_error_t je;
    json_t *body = json_loadb(req->entity.base, req->entity.len, JSON_REJECT_DUPLICATES, &je);
    if (body == NULL || !json_is_object(body)) {
        char msg[300];
        if (body == NULL)
            snprintf(msg, sizeof(msg), "could not parse the JSON body of your request: %s (line %d, column %d)", je.text, je.line,
                     je.column);
        else
            snprintf(msg, sizeof(msg), "the request body must be a JSON object");
        json_decref(body);
        send_error(f, 400, "invalid_request_error", "invalid_json", NULL, msg);
        return 0;
    }
    if (route == ROUTE_PIPELINE)
        start_pipeline(f, body, key);
    else
        start_batch(f, body, key);
    json_decref(body);
    return 0;
}

void fanout_register(h2o_hostconf_t *host)
{
    static const char *const paths[] = {"/v1/chat/completions/batch", "/v1/pipelines"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        h2o_pathconf_t *pc = h2o_config_register_path(host, paths[i], 0);
        h2o_handler_t *h = h2o_create_handler(pc, sizeof(*h));
        h->on_req = on_req;
    }
}
