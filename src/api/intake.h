/* Request intake (internal to api/). The body is worked on as raw bytes: one pass of the
 * scanner (texts.h) validates it, refuses duplicate keys, finds the routing fields and,
 * when any guardrail of the config reads requests, collects the texts. A jansson tree is
 * built only for structured output. */
#ifndef WARDEN_API_INTAKE_H
#define WARDEN_API_INTAKE_H

#include <h2o.h>
#include <stddef.h>

#include "api/lifecycle_int.h"
#include "api/texts.h"

struct req_ctx;
struct config_api_key;
struct server_worker;
struct api_internal_opts;

/* A new request context: the body copied, its id (from headers, or an internal caller's
 * opts, or new) and call id, an internal caller's key and model; buffers ready. The
 * lifecycle adds the receiver (h2o request or internal handle), timers and references. */
struct req_ctx *intake_ctx_new(struct server_worker *w, enum req_kind kind, const h2o_headers_t *headers, const char *body,
                               size_t len, const struct api_internal_opts *opts);
/* Frees the context and everything it owns (the lifecycle calls it when the last reference goes). */
void intake_ctx_free(struct req_ctx *ctx);
/* Parses and validates ctx->raw; on failure ctx->err is set and -1 returned. */
int intake_parse(struct req_ctx *ctx);
/* Refuses what the input guards that apply cannot read (README, "What the guardrails read"). */
int intake_check_coverage(struct req_ctx *ctx);
/* The client's API key (NULL without keys or without the h2o request). */
const struct config_api_key *intake_api_key(struct req_ctx *ctx);
enum api_scan_shape intake_request_shape(const struct req_ctx *ctx);
/* Makes body (malloc'd, taken) the request, scanned again so that the next guard, the
 * upstream body and a re-ask all start from it (I7). -1 (body freed, ctx unchanged) if it
 * does not scan, which a splice of valid literals cannot cause. */
int intake_replace_body(struct req_ctx *ctx, char *body, size_t len);

#endif
