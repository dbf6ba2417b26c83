/* Route table and the small endpoints (models, health, metrics, 404/405).
 * The proxied endpoints hand over to the request lifecycle (lifecycle.c). */
#include <stdlib.h>
#include <string.h>

#include "api/admin_audit.h"
#include "api/audit_hook.h"
#include "api/api.h"
#include "api/error.h"
#include "api/hangup.h"
#include "api/lifecycle_int.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "server/metrics.h"
#include "server/server.h"
#include "upstream/client.h"
#include "util/buf.h"

enum route { ROUTE_CHAT, ROUTE_EMBEDDINGS, ROUTE_MODELS, ROUTE_HEALTHZ, ROUTE_METRICS, ROUTE_ADMIN_AUDIT, ROUTE_FALLBACK };

struct route_handler {
    h2o_handler_t super;
    enum route route;
};

static void add_request_id(h2o_req_t *req)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-request-id"), -1);
    if (i >= 0 && req->headers.entries[i].value.len < 80) {
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, req->headers.entries[i].value.base,
                              req->headers.entries[i].value.len);
        return;
    }
    static __thread unsigned long long seq;
    char *id = h2o_mem_alloc_pool(&req->pool, 40);
    int n = snprintf(id, 40, "req_local_%llx_%llx", (unsigned long long)(uintptr_t)req & 0xffffff, ++seq);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, id, (size_t)n);
}

static void send_body(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len)
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
    send_body(req, status, "application/json", body, len);
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
                send_body(req, 200, "application/json", body, strlen(body));
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
    send_body(req, 200, "application/json", body, strlen(body));
    free(body);
    json_decref(root);
}

static void send_metrics(struct server_worker *w, h2o_req_t *req)
{
    struct metrics_gauges g = {0};
    server_collect_gauges(w->server, &g);
    struct util_buf out;
    util_buf_init(&out, 16 * 1024 * 1024);
    metrics_render(w->metrics, &g, w->router, &out);
    send_body(req, 200, "text/plain; version=0.0.4", out.data ? out.data : "", out.len);
    util_buf_free(&out);
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

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct route_handler *h = (struct route_handler *)self;
    struct server_worker *w = server_worker_from_ctx(req->conn->ctx);
    if (over_limits(w, req))
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
        if (!audit_accepting(w->audit)) {
            api_send_error(req, 503, "api_error", "audit_unavailable", "the audit log is full (audit.overflow: refuse); try again later");
            return 0;
        }
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
            send_body(req, 503, "application/json", H2O_STRLIT("{\"status\":\"draining\"}"));
        else
            send_body(req, 200, "application/json", H2O_STRLIT("{\"status\":\"ok\"}"));
        return 0;
    case ROUTE_METRICS:
        if (!path_is(req, "/metrics"))
            break;
        send_metrics(w, req);
        return 0;
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
    register_route(host, "/admin/audit", ROUTE_ADMIN_AUDIT);
    register_route(host, "/", ROUTE_FALLBACK);
}

int api_worker_start(struct server_worker *w)
{
    w->hangup = api_hangup_create(&w->loop);
    return w->hangup ? 0 : -1;
}

void api_worker_drain_expired(struct server_worker *w)
{
    lifecycle_drain_expired(w);
}

void api_worker_stop(struct server_worker *w)
{
    api_hangup_destroy(w->hangup);
    w->hangup = NULL;
}
