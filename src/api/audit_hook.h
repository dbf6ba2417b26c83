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

struct req_ctx;
struct server_worker;

void lifecycle_audit(struct req_ctx *ctx);
/* For a non-streaming 2xx answer with a usage object and a known price: writes the cost in
 * USD into out (for x-warden-cost-usd) and returns its length; else 0. */
size_t lifecycle_cost_header(struct req_ctx *ctx, char *out, size_t outsz);
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
