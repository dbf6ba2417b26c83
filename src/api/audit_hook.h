/* The request lifecycle's one link to the audit log: at the end of a request
 * (req_close) the lifecycle calls lifecycle_audit(ctx), which fills a fixed
 * record from the request context and hands it to the worker's audit queue.
 * Nothing is allocated unless audit.bodies is on. */
#ifndef WARDEN_API_AUDIT_HOOK_H
#define WARDEN_API_AUDIT_HOOK_H

#include <stddef.h>

struct req_ctx;

void lifecycle_audit(struct req_ctx *ctx);
/* For streams: an SSE event's data; remembers the usage of the final usage chunk. */
void lifecycle_audit_sse_event(struct req_ctx *ctx, const char *data, size_t len);

#endif
