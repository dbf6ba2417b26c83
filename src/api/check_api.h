/* POST /v1/guardrails/check: runs one configured guardrail over texts and
 * answers its verdict, without a model call, so other services can use
 * Warden's checks.
 *
 *   request:  {"guardrail": NAME, "text": STR} or {"guardrail": NAME, "texts": [STR...]},
 *             optional "stage": "input" (default) | "output"
 *   answer:   {"verdict": "pass"|"block"|"redact", "guardrail", "reason",
 *              "findings": [{"index","type","start","end","text","score"}],
 *              "texts": [the texts, rewritten where the verdict is redact], "latency_us"}
 *
 * start/end count Unicode code points of texts[index] (end exclusive). A
 * guardrail with action: log answers "pass" and still lists its findings.
 * Remote guardrails (webhook, llm_judge, ...) answer when the engine's
 * callback runs; if the client leaves first the check is cancelled.
 *
 * Served only with guardrails_api: {enabled: true} (otherwise the route is
 * unknown: 404). With guardrails_api.token_env the caller must send
 * "Authorization: Bearer <token>" (compared in constant time), else 401.
 * The server's body cap applies as on every route. */
#ifndef WARDEN_API_CHECK_API_H
#define WARDEN_API_CHECK_API_H

#include <h2o.h>

struct server_worker;

int api_check_handle(struct server_worker *w, h2o_req_t *req);
/* The drain time-out: every call whose check still runs (a webhook, a big scan on the pool) is
 * answered 503 shutting_down, its check cancelled, as lifecycle_drain_expired does for requests. */
void api_check_drain_expired(struct server_worker *w);

/* routes.c: a complete response with this body (copied) */
void api_send_body(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len);

#endif
