/* The request lifecycle's links to the audit log and cost accounting: at the
 * end of a request (req_close) the lifecycle calls lifecycle_audit(ctx), which
 * prices the usage (cost metrics per model) and, with audit on, fills a fixed
 * record from the request context and hands it to the worker's audit queue.
 * Nothing is allocated unless audit.bodies is on. start_response asks for the
 * x-warden-cost-usd header; a stream's bytes pass through the usage tap. */
#ifndef WARDEN_API_AUDIT_HOOK_H
#define WARDEN_API_AUDIT_HOOK_H

#include <h2o.h>
#include <stddef.h>
#include <stdint.h>

struct req_ctx;
struct server_worker;

void lifecycle_audit(struct req_ctx *ctx);

/* A request with async_post checks: its record waits for their verdicts, so that every verdict
 * is in it (the client's answer never waits: the checks start as the request closes).
 *   audit_async_begin   when the first async_post check starts (n: at most that many watched)
 *   audit_async_watch   one per check: the ud of its guard_done_cb (NULL: no record waits)
 *   audit_async_unwatch the check did not start (why: "dropped")
 *   audit_async_on_verdict  the checks' callback (v NULL: cancelled at shutdown)
 * lifecycle_audit then fills the record (ctx->checks.async_audit) instead of a queue slot; it
 * goes to the queue when the last verdict is in, with an entry per async_post verdict. */
struct audit_worker;
struct audit_async;
struct guard_verdict;
struct config_guardrail;
struct audit_async *audit_async_begin(struct audit_worker *aw, size_t n);
void *audit_async_watch(struct audit_async *aa, const struct config_guardrail *g);
void audit_async_unwatch(void *watch, const char *why);
void audit_async_on_verdict(void *watch, struct guard_verdict *v);
/* For a non-streaming 2xx answer with a usage object and a known price: writes the cost in
 * USD into out (for x-warden-cost-usd) and returns its length; else 0. */
size_t lifecycle_cost_header(struct req_ctx *ctx, char *out, size_t outsz);
/* The usage of a finished 2xx answer and its cost at the price of the target used: 1 with
 * *in, *out and *cost (-1: no price) set, or 0 when the answer has no usage (an error, a
 * stream without its usage chunk). For a caller summing sub-calls (fan-out's parent record). */
int lifecycle_usage_cost(struct req_ctx *ctx, int64_t *in, int64_t *out, double *cost);
/* A request refused before the lifecycle (auth: 401): recorded with its status, code and
 * the client's model when the body names it in its first 64 KiB (audit_hook.c). */
void api_audit_rejected(struct server_worker *w, h2o_req_t *req, int status, const char *code);
/* Upstream bytes of a started stream, toward the client (through the stream filter when
 * it is active): the usage tap (usage.h) reads the stream's usage and, when Warden asked
 * for it (ctx->usage.asked), takes the usage-only chunk out. Called by the lifecycle for
 * every byte it relays in STREAMING; lifecycle_stream_relay_end when the upstream ended
 * cleanly, before the stream is finished (an incomplete last event goes out as it is). */
void lifecycle_stream_relay(struct req_ctx *ctx, const char *data, size_t len);
void lifecycle_stream_relay_end(struct req_ctx *ctx);

#endif
