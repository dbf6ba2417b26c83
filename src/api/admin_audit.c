/* GET /admin/audit; see admin_audit.h.
 *
 * The job outlives neither side: the request's pool holds a slot pointing at
 * the job, whose dispose callback (the client went away) clears job->req; the
 * after-work callback on the loop sends only when job->req is still set,
 * clears the slot, and frees the job. */
#include "api/admin_audit.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "api/error.h"
#include "audit/query.h"
#include "auth/auth.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/buf.h"

#define ANSWER_MAX (64u << 20)

struct admin_job {
    uv_work_t work;
    h2o_req_t *req;              /* NULL once h2o disposed the request */
    struct admin_job **slot;     /* in the request's pool */
    const struct config_audit *cfg;
    struct audit_filter filter;
    struct util_buf out;
    int count;
    char next_cursor[AUDIT_ID_HEX];
    char err[512];
    int failed;
};

void api_send_error(h2o_req_t *req, int status, const char *type, const char *code, const char *message)
{
    struct api_error e = {0};
    api_error_set(&e, status, type, code, NULL, "%s", message);
    size_t len;
    char *body = api_error_body(&e, &len);
    req->res.status = status;
    req->res.reason = "Error";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    if (status == 401)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, H2O_STRLIT("Bearer"));
    h2o_iovec_t b = h2o_strdup(&req->pool, body, len);
    free(body);
    api_error_clear(&e);
    h2o_send_inline(req, b.base, b.len);
}

static void on_row(void *ud, const struct audit_record *r)
{
    struct admin_job *job = ud;
    if (job->count++)
        util_buf_append(&job->out, ",", 1);
    audit_record_to_json(r, &job->out);
}

static void on_work(uv_work_t *w)
{
    struct admin_job *job = w->data;
    util_buf_append(&job->out, "{\"object\":\"list\",\"data\":[", 25);
    if (audit_query_run(job->cfg, &job->filter, on_row, job, job->next_cursor, job->err, sizeof(job->err)) != 0) {
        job->failed = 1;
        return;
    }
    if (job->next_cursor[0])
        util_buf_appendf(&job->out, "],\"has_more\":true,\"next_cursor\":\"%s\"}", job->next_cursor);
    else
        util_buf_appendf(&job->out, "],\"has_more\":false,\"next_cursor\":null}");
}

static void on_after_work(uv_work_t *w, int status)
{
    struct admin_job *job = w->data;
    h2o_req_t *req = job->req;
    if (req != NULL) {
        *job->slot = NULL;
        if (job->failed || status != 0) {
            api_send_error(req, 503, "api_error", "audit_store_unavailable", job->failed ? job->err : "the query was cancelled");
        } else {
            req->res.status = 200;
            req->res.reason = "OK";
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
            h2o_iovec_t b = h2o_strdup(&req->pool, job->out.data ? job->out.data : "", job->out.len);
            h2o_send_inline(req, b.base, b.len);
        }
    }
    util_buf_free(&job->out);
    free(job);
}

static void on_pool_dispose(void *p)
{
    struct admin_job *job = *(struct admin_job **)p;
    if (job != NULL)
        job->req = NULL;
}

void api_admin_audit(struct server_worker *w, h2o_req_t *req)
{
    const struct config *cfg = w->cfg;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    const char *tok = NULL;
    size_t tok_len = 0;
    if (i >= 0)
        auth_bearer_token(req->headers.entries[i].value.base, req->headers.entries[i].value.len, &tok, &tok_len);
    if (!auth_admin_ok(cfg, tok, tok_len)) {
        api_send_error(req, 401, "invalid_request_error", "invalid_admin_token",
                       cfg->has_admin_token ? "admin routes need the admin token (Authorization: Bearer)"
                                            : "admin routes are disabled: set admin.token_env to a variable holding a token");
        return;
    }
    if (cfg->audit.sink == CONFIG_AUDIT_OFF) {
        api_send_error(req, 404, "invalid_request_error", "audit_disabled", "audit is off (no audit: section in the config)");
        return;
    }
    struct admin_job *job = util_calloc(1, sizeof(*job));
    job->cfg = &cfg->audit;
    audit_filter_init(&job->filter);
    if (req->query_at != SIZE_MAX &&
        audit_filter_from_query(&job->filter, req->path.base + req->query_at + 1, req->path.len - req->query_at - 1, job->err,
                                sizeof(job->err)) != 0) {
        api_send_error(req, 400, "invalid_request_error", "invalid_audit_query", job->err);
        free(job);
        return;
    }
    util_buf_init(&job->out, ANSWER_MAX);
    job->req = req;
    job->slot = h2o_mem_alloc_shared(&req->pool, sizeof(*job->slot), on_pool_dispose);
    *job->slot = job;
    job->work.data = job;
    if (uv_queue_work(&w->loop, &job->work, on_work, on_after_work) != 0) {
        *job->slot = NULL;
        util_buf_free(&job->out);
        free(job);
        api_send_error(req, 503, "api_error", "audit_store_unavailable", "could not queue the query");
    }
}
