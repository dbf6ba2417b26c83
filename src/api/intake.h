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

/* A new request context: the client's bytes copied, its id, key and call id; buffers
 * ready. The lifecycle adds its timers and references. */
struct req_ctx *intake_ctx_new(struct server_worker *w, h2o_req_t *req, enum req_kind kind);
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
