/* Route table and the small endpoints (models, health, metrics, 404/405).
 * The proxied endpoints hand over to the request lifecycle (lifecycle.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/admin_audit.h"
#include "api/api.h"
#include "api/audit_hook.h"
#include "api/check_api.h"
#include "api/embed_split.h"
#include "api/error.h"
#include "api/framing.h"
#include "api/hangup.h"
#include "api/lifecycle_int.h"
#include "api/request_id.h"
#include "api/scrub.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "metrics/metrics.h"
#include "server/server.h"
#include "upstream/client.h"
#include "upstream/router.h"
#include "util/alloc.h"
#include "util/buf.h"

enum route {
    ROUTE_CHAT,
    ROUTE_EMBEDDINGS,
    ROUTE_MODELS,
    ROUTE_HEALTHZ,
    ROUTE_METRICS,
    ROUTE_ADMIN_AUDIT,
    ROUTE_GUARDRAILS_CHECK,
    ROUTE_FALLBACK,
};

struct route_handler {
    h2o_handler_t super;
    enum route route;
};

static void add_request_id(h2o_req_t *req)
{
    char *id = h2o_mem_alloc_pool(&req->pool, API_REQUEST_ID_SIZE);
    size_t n = api_request_id(&req->headers, id);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, id, n);
}

void api_send_body(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = status < 400 ? "OK" : "Error";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    add_request_id(req);
    h2o_iovec_t b = h2o_strdup(&req->pool, body, len);
    h2o_send_inline(req, b.base, b.len);
}

static void send_error(h2o_req_t *req, int status, const char *code, const char *message)
{
    struct api_error e = {0};
    api_error_set(&e, status, "invalid_request_error", code, NULL, "%s", message);
    size_t len;
    char *body = api_error_body(&e, &len);
    api_send_body(req, status, "application/json", body, len);
    free(body);
    api_error_clear(&e);
}

static int path_is(h2o_req_t *req, const char *path)
{
    size_t n = strlen(path);
    return req->path_normalized.len == n && memcmp(req->path_normalized.base, path, n) == 0;
}

static int method_is(h2o_req_t *req, const char *m)
{
    return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

static void send_models(struct server_worker *w, h2o_req_t *req, const char *one, size_t one_len)
{
    const struct config *cfg = w->cfg;
    json_t *data = json_array();
    for (size_t i = 0; i < cfg->n_models; i++) {
        const char *name = cfg->models[i].name;
        json_t *m = json_pack("{s:s, s:s, s:i, s:s}", "id", name, "object", "model", "created", 0, "owned_by", "warden");
        if (one != NULL) {
            if (strlen(name) == one_len && memcmp(name, one, one_len) == 0) {
                char *body = json_dumps(m, JSON_COMPACT);
                api_send_body(req, 200, "application/json", body, strlen(body));
                free(body);
                json_decref(m);
                json_decref(data);
                return;
            }
            json_decref(m);
            continue;
        }
        json_array_append_new(data, m);
    }
    if (one != NULL) {
        json_decref(data);
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(one_len > 200 ? 200 : one_len), one);
        char msg[300];
        snprintf(msg, sizeof(msg), "the model '%s' does not exist", name);
        send_error(req, 404, "model_not_found", msg);
        return;
    }
    json_t *root = json_pack("{s:s, s:o}", "object", "list", "data", data);
    char *body = json_dumps(root, JSON_COMPACT);
    api_send_body(req, 200, "application/json", body, strlen(body));
    free(body);
    json_decref(root);
}

static void send_metrics(struct server_worker *w, h2o_req_t *req)
{
    struct metrics_gauges g = {0};
    server_collect_gauges(w->server, &g);
    size_t n = router_target_count(w->router);
    struct metrics_target_sample *targets = n ? util_calloc(n, sizeof(*targets)) : NULL;
    for (size_t i = 0; i < n; i++) {
        struct router_target_stats st;
        router_target_stats_get(w->router, i, &st);
        targets[i] = (struct metrics_target_sample){
            .model = st.model,
            .target = st.target,
            .attempts = st.attempts,
            .failures = st.failures,
            .cooldowns = st.cooldowns,
            .circuit = st.circuit == ROUTER_CIRCUIT_OPEN        ? METRICS_CIRCUIT_OPEN
                       : st.circuit == ROUTER_CIRCUIT_HALF_OPEN ? METRICS_CIRCUIT_HALF_OPEN
                                                                : METRICS_CIRCUIT_CLOSED,
            .inflight = st.inflight,
        };
    }
    g.targets = targets;
    g.n_targets = n;
    struct util_buf out;
    util_buf_init(&out, 16 * 1024 * 1024);
    metrics_render(w->metrics, &g, &out);
    api_send_body(req, 200, "text/plain; version=0.0.4", out.data ? out.data : "", out.len);
    util_buf_free(&out);
    free(targets);
}

static void method_not_allowed(h2o_req_t *req, const char *allow)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "method %.*s is not allowed on this route; use %s", (int)(req->method.len > 16 ? 16 : req->method.len),
             req->method.base, allow);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, allow, strlen(allow));
    send_error(req, 405, "method_not_allowed", msg);
}

#define HEADER_BYTES_MAX (64 * 1024)

/* Limits h2o does not enforce the way we want: total header size, body size (with a JSON body). */
static int over_limits(struct server_worker *w, h2o_req_t *req)
{
    size_t hbytes = 0;
    for (size_t i = 0; i < req->headers.size; i++)
        hbytes += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
    if (hbytes > HEADER_BYTES_MAX) {
        char msg[128];
        snprintf(msg, sizeof(msg), "request headers total %zu bytes; the limit is %d", hbytes, HEADER_BYTES_MAX);
        req->http1_is_persistent = 0;
        send_error(req, 431, "request_header_fields_too_large", msg);
        return 1;
    }
    if (req->entity.len > w->cfg->server.max_body_bytes) {
        char msg[128];
        snprintf(msg, sizeof(msg), "request body is %zu bytes; the limit is %zu (server.max_body_bytes)", req->entity.len,
                 w->cfg->server.max_body_bytes);
        req->http1_is_persistent = 0;
        send_error(req, 413, "request_too_large", msg);
        return 1;
    }
    return 0;
}

/* auth.required: the /v1 routes need a configured key (401 in OpenAI's shape otherwise). */
static int unauthorized(struct server_worker *w, h2o_req_t *req)
{
    if (!w->cfg->auth_required)
        return 0;
    int presented = 0;
    if (auth_request_key(w->cfg, &req->headers, &presented) != NULL)
        return 0;
    api_audit_rejected(w, req, 401, "invalid_api_key");
    api_send_error(req, 401, "invalid_request_error", "invalid_api_key",
                   presented ? "Incorrect API key provided." : "You didn't provide an API key (Authorization: Bearer KEY or x-api-key).");
    return 1;
}

/* What every request gets before its route: framing, size limits. */
static int refused(struct server_worker *w, h2o_req_t *req)
{
    const char *framing = api_framing_problem_of_req(req);
    if (framing != NULL) {
        /* the bytes after this request cannot be trusted to start the next one */
        req->http1_is_persistent = 0;
        send_error(req, 400, "ambiguous_request_framing", framing);
        return 1;
    }
    return over_limits(w, req);
}

int api_route_admit(struct server_worker *w, h2o_req_t *req)
{
    return !refused(w, req) && !unauthorized(w, req);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct route_handler *h = (struct route_handler *)self;
    struct server_worker *w = server_worker_from_ctx(req->conn->ctx);
    if (w->draining)
        req->http1_is_persistent = 0; /* the answer says Connection: close: the worker is leaving */
    if (refused(w, req))
        return 0;
    if ((h->route == ROUTE_CHAT || h->route == ROUTE_EMBEDDINGS || h->route == ROUTE_MODELS) && unauthorized(w, req))
        return 0;
    switch (h->route) {
    case ROUTE_CHAT:
    case ROUTE_EMBEDDINGS:
        if (!path_is(req, h->route == ROUTE_CHAT ? "/v1/chat/completions" : "/v1/embeddings"))
            break;
        if (!method_is(req, "POST")) {
            method_not_allowed(req, "POST");
            return 0;
        }
        if (!audit_admit(w->audit)) {
            api_send_error(req, 503, "api_error", "audit_unavailable", "the audit log is full (audit.overflow: refuse); try again later");
            return 0;
        }
        if (h->route == ROUTE_EMBEDDINGS && api_embed_split_handle(w, req))
            return 0; /* an input over embeddings.max_batch: answered from sub-requests */
        return lifecycle_handle(w, req, h->route == ROUTE_CHAT ? REQ_KIND_CHAT : REQ_KIND_EMBEDDINGS);
    case ROUTE_MODELS:
        if (!method_is(req, "GET") && !method_is(req, "HEAD")) {
            method_not_allowed(req, "GET");
            return 0;
        }
        if (path_is(req, "/v1/models")) {
            send_models(w, req, NULL, 0);
            return 0;
        }
        if (req->path_normalized.len > 11 && memcmp(req->path_normalized.base, "/v1/models/", 11) == 0) {
            send_models(w, req, req->path_normalized.base + 11, req->path_normalized.len - 11);
            return 0;
        }
        break;
    case ROUTE_HEALTHZ:
        if (!path_is(req, "/healthz"))
            break;
        if (w->draining)
            api_send_body(req, 503, "application/json", H2O_STRLIT("{\"status\":\"draining\"}"));
        else
            api_send_body(req, 200, "application/json", H2O_STRLIT("{\"status\":\"ok\"}"));
        return 0;
    case ROUTE_METRICS:
        if (!path_is(req, "/metrics"))
            break;
        send_metrics(w, req);
        return 0;
    case ROUTE_GUARDRAILS_CHECK:
        /* served only when guardrails_api.enabled; otherwise it is an unknown route */
        if (!path_is(req, "/v1/guardrails/check") || !w->cfg->guardrails_api.enabled)
            break;
        if (!method_is(req, "POST")) {
            method_not_allowed(req, "POST");
            return 0;
        }
        return api_check_handle(w, req);
    case ROUTE_ADMIN_AUDIT:
        if (!path_is(req, "/admin/audit"))
            break;
        if (!method_is(req, "GET")) {
            method_not_allowed(req, "GET");
            return 0;
        }
        api_admin_audit(w, req);
        return 0;
    case ROUTE_FALLBACK:
        break;
    }
    char msg[300];
    snprintf(msg, sizeof(msg), "unknown route: %.*s", (int)(req->path_normalized.len > 200 ? 200 : req->path_normalized.len),
             req->path_normalized.base);
    send_error(req, 404, "unknown_url", msg);
    return 0;
}

/* ---- h2o's own error answers ----
 *
 * libh2o answers some requests itself before any handler runs, with a plain-text body:
 * 413 past max_request_entity_size, 400 for a broken Content-Length, an unknown
 * Transfer-Encoding or broken chunked framing, 417 for an unknown Expect. It sends them
 * on the host's fallback path, so a filter there turns each into the OpenAI-style JSON
 * error every other answer uses (the status and the connection close stay h2o's). */

struct json_error_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body; /* pool memory */
};

static void json_error_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt, h2o_send_state_t state)
{
    struct json_error_ostream *o = (struct json_error_ostream *)self;
    (void)bufs;
    (void)bufcnt;
    if (h2o_send_state_is_in_progress(state)) {
        h2o_ostream_send_next(self, req, NULL, 0, state); /* h2o's text is dropped */
        return;
    }
    h2o_ostream_send_next(self, req, &o->body, 1, state);
}

static void h2o_error_describe(int status, size_t max_body, char *msg, size_t msgsz, const char **code)
{
    switch (status) {
    case 413:
        *code = "request_too_large";
        snprintf(msg, msgsz, "request body is larger than %zu bytes (server.max_body_bytes)", max_body);
        return;
    case 400:
        *code = "invalid_request_framing";
        snprintf(msg, msgsz, "the request's Content-Length or Transfer-Encoding cannot be read");
        return;
    case 417:
        *code = "expectation_failed";
        snprintf(msg, msgsz, "unknown Expect header (only 100-continue is supported)");
        return;
    default:
        *code = "http_error";
        snprintf(msg, msgsz, "the request could not be read (HTTP %d)", status);
    }
}

static void on_setup_h2o_error(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    (void)self;
    if (req->res.status >= 400) {
        struct server_worker *w = server_worker_from_ctx(req->conn->ctx);
        struct api_error e = {0};
        char msg[200];
        const char *code;
        h2o_error_describe(req->res.status, w->cfg->server.max_body_bytes, msg, sizeof(msg), &code);
        api_error_set(&e, req->res.status, req->res.status < 500 ? "invalid_request_error" : "api_error", code, NULL, "%s", msg);
        size_t len;
        char *body = api_error_body(&e, &len);
        api_error_clear(&e);
        if (body != NULL) {
            struct json_error_ostream *o = (struct json_error_ostream *)h2o_add_ostream(req, sizeof(*o), slot);
            o->super.do_send = json_error_send;
            o->body = h2o_strdup(&req->pool, body, len);
            free(body);
            memset(&req->res.headers, 0, sizeof(req->res.headers));
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
            add_request_id(req);
            req->res.content_length = len;
            slot = &o->super.next;
        }
    }
    h2o_setup_next_ostream(req, slot);
}

static void register_route(h2o_hostconf_t *host, const char *path, enum route r)
{
    h2o_pathconf_t *pc = h2o_config_register_path(host, path, 0);
    struct route_handler *h = (struct route_handler *)h2o_create_handler(pc, sizeof(*h));
    h->super.on_req = on_req;
    h->route = r;
}

void api_register(h2o_hostconf_t *host)
{
    register_route(host, "/v1/chat/completions", ROUTE_CHAT);
    register_route(host, "/v1/embeddings", ROUTE_EMBEDDINGS);
    register_route(host, "/v1/models", ROUTE_MODELS);
    register_route(host, "/healthz", ROUTE_HEALTHZ);
    register_route(host, "/metrics", ROUTE_METRICS);
    register_route(host, "/v1/guardrails/check", ROUTE_GUARDRAILS_CHECK);
    register_route(host, "/admin/audit", ROUTE_ADMIN_AUDIT);
    register_route(host, "/", ROUTE_FALLBACK);
    h2o_filter_t *f = h2o_create_filter(&host->fallback_path, sizeof(*f));
    f->on_setup_ostream = on_setup_h2o_error;
}
