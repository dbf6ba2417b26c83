/* The response writer (internal to api/): the head toward the client (status, relayed
 * upstream headers, Warden's own x-warden-* headers), the body through h2o's generator with
 * two buffers, and the access-log line. An internal request (internal.h) has no h2o
 * request: the same calls deliver to its callbacks instead (the writer's second sink).
 *
 * h2o_send() may not be called again until h2o calls proceed, and the bytes it was given
 * must stay valid until then. So there are two buffers: the one h2o is sending, and the one
 * collecting new bytes meanwhile. The writer never changes the request's state: it reports
 * to the lifecycle (lifecycle_int.h) when the final bytes are handed over
 * (lifecycle_response_final, before h2o may dispose the request), when h2o took a buffer
 * (lifecycle_response_drained: a paused producer may resume) and when the client stopped
 * the response (lifecycle_response_stopped). */
#ifndef WARDEN_API_RESPONSE_H
#define WARDEN_API_RESPONSE_H

#include <h2o.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct req_ctx;

struct response_writer {
    h2o_generator_t generator;
    struct util_buf sending; /* handed to h2o_send; valid until proceed */
    struct util_buf pending; /* collecting the next bytes */
    unsigned started : 1,    /* the head went out: failures end the body, never a new status */
        in_flight : 1,       /* h2o has not called proceed for `sending` yet */
        final : 1,           /* the body is complete: the next flush ends the response */
        done : 1,            /* the final bytes were handed over */
        final_error : 1,     /* end the response as an error (the connection is cut) */
        stopped : 1,         /* h2o stopped the generator (client gone) */
        streaming : 1;       /* the body is a stream (length unknown at the head) */
    int status;              /* the status sent (0: none yet) */
    uint64_t bytes;          /* body bytes handed to h2o */
};

void response_writer_init(struct response_writer *o);
void response_writer_free(struct response_writer *o);

/* Starts the response: status, upstream headers (if asked) or content_type, Warden's own.
 * content_length SIZE_MAX means unknown (chunked / streamed). */
void response_start(struct req_ctx *ctx, int status, const char *content_type, int with_upstream_headers,
                    size_t content_length);
/* Queues body bytes (sent by the next flush). */
void response_append(struct req_ctx *ctx, const char *data, size_t len);
/* Hands the pending bytes to h2o if it is ready for them; with out.final set, the last ones. */
void response_flush(struct req_ctx *ctx);
/* Marks the body complete (as an error when `error`) and flushes. */
void response_end(struct req_ctx *ctx, int error);

/* A complete response in one go (status + body), ended; nothing if a response started. */
void response_full(struct req_ctx *ctx, int status, const char *content_type, int with_upstream_headers, const char *body,
                   size_t len);
/* ctx->err (500 internal_error if none) as a JSON error body, or, once a stream has
 * started, as an SSE error event that ends it (never a clean [DONE], I3). */
void response_error(struct req_ctx *ctx);

/* Did the client get a failure? (the access log's "error" vs "last_attempt_error") */
int response_request_failed(const struct req_ctx *ctx);
/* One JSON line per request into the worker's access log. */
void response_access_log(struct req_ctx *ctx);

#endif
