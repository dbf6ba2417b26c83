/* GET /admin/audit: the audit store, filtered and paged (audit/query.h), behind
 * the admin token (admin.token_env, sent as Authorization: Bearer). The query
 * runs on libuv's thread pool with its own read-only connection, so a slow
 * store never blocks the event loop; the answer is sent back on the loop. */
#ifndef WARDEN_API_ADMIN_AUDIT_H
#define WARDEN_API_ADMIN_AUDIT_H

#include <h2o.h>

struct server_worker;

void api_admin_audit(struct server_worker *w, h2o_req_t *req);

/* Sends an OpenAI-style error body; shared by the auth checks in routes.c. */
void api_send_error(h2o_req_t *req, int status, const char *type, const char *code, const char *message);

#endif
