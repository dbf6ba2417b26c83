/* Requests without an HTTP client: a part of Warden (fan-out pipelines, batches) starts a
 * chat-completions or embeddings request on a worker's loop, and it runs through the same
 * lifecycle as an HTTP request - guardrails, retries, fallbacks, time-outs (request_ms
 * included), structured output, metrics, the access log and audit.
 *
 * The response writer has two sinks: h2o for HTTP requests, these callbacks for internal
 * ones. Rules (the same as the upstream client's):
 *  - no callback runs inside the call that started the request or cancelled it;
 *  - on_done runs exactly once unless the request was cancelled first; nothing after it;
 *  - with opts.stream, a streamed answer's bytes (SSE, as a client would get them, the
 *    stream filter applied) come through on_chunk, then on_done with no body; a
 *    non-streamed answer or an error comes whole in on_done;
 *  - api_internal_cancel stops the request as a client hang-up does (the upstream call is
 *    closed, checks are cancelled); the handle is invalid after it or after on_done.
 * Everything runs on the worker's loop thread. */
#ifndef WARDEN_API_INTERNAL_H
#define WARDEN_API_INTERNAL_H

#include <stddef.h>

struct server_worker;
struct config_api_key;
struct api_internal;

enum api_internal_kind { API_INTERNAL_CHAT, API_INTERNAL_EMBEDDINGS };

struct api_internal_opts {
    const char *model;                    /* replaces the body's "model" (NULL: the body's) */
    const char *request_id;               /* NULL: a new one (request_id.h rules apply) */
    const struct config_api_key *api_key; /* the key it runs under (guards' when:, audit); may be NULL */
    int stream;                           /* deliver a streamed answer as it comes (on_chunk) */
    const char *parent_request_id;        /* the client request this one is part of (fan-out, split embeddings):
                                           * its access-log line and audit record; NULL: none */
};

struct api_internal_callbacks {
    void (*on_chunk)(void *ud, const char *data, size_t len);
    /* status is the HTTP status a client would get; body is the answer or the OpenAI error body */
    void (*on_done)(void *ud, int status, const char *body, size_t len);
};

/* Starts the request (body: the JSON a client would POST, copied). Never NULL: a bad body
 * ends in on_done with its 4xx error, like an HTTP request. */
struct api_internal *api_internal_start(struct server_worker *w, enum api_internal_kind kind, const char *body, size_t len,
                                        const struct api_internal_opts *opts, const struct api_internal_callbacks *cb,
                                        void *ud);
void api_internal_cancel(struct api_internal *h);

/* What the lifecycle did for the request; call it only inside on_done (from the handle
 * given by api_internal_start). */
struct api_internal_info {
    int attempts; /* upstream attempts, retries and fallbacks included */
    int reasks;   /* structured-output re-asks */
};
void api_internal_info(const struct api_internal *h, struct api_internal_info *out);

#endif
