/* Split embeddings: a /v1/embeddings request whose `input` array is longer than its model's
 * embeddings.max_batch is cut into sub-requests of at most max_batch inputs, sent with at most
 * embeddings.max_concurrency in flight, and answered as one.
 *
 * Each sub-request is an internal request (internal.h), so it goes through the whole
 * lifecycle on its own: guardrails on its inputs, retries, fallbacks, time-outs, metrics,
 * audit and an access-log line that names the client's request (parent_request_id). Its body
 * is the client's bytes with only the `input` array cut down to its slice: every other field
 * (encoding_format, dimensions, user...) goes as the client sent it.
 *
 * The answer is put together by the join below: data[i].index is the position in the
 * client's input, each item (and so its embedding, float array or base64 string) is copied
 * byte for byte from its sub-answer, usage is summed, model is the first sub-answer's. A
 * sub-request that finally fails (after the lifecycle's retries and fallbacks; a guardrail
 * block; a refused token input) fails the whole request with its status and error body: the
 * others in flight are cancelled, nothing more is started, no vector is sent. A client that
 * goes away cancels every sub-request in flight.
 *
 * Not split (the lifecycle takes the request as before): no max_batch for the model, an
 * input that is a string or one token array, an input not longer than max_batch, a body that
 * does not scan (the lifecycle answers its error), and a request that a guardrail's
 * `when: headers` would treat differently without the client's headers (sub-requests carry
 * no client headers, so splitting it could skip a guardrail). */
#ifndef WARDEN_API_EMBED_SPLIT_H
#define WARDEN_API_EMBED_SPLIT_H

#include <h2o.h>
#include <stddef.h>
#include <stdint.h>

#include "api/error.h"
#include "util/buf.h"

struct server_worker;

/* 1: the request is split and will be answered from here; 0: not split, give it to the
 * lifecycle. Called by routes.c for POST /v1/embeddings after auth and size limits. */
int api_embed_split_handle(struct server_worker *w, h2o_req_t *req);

/* ---- the join: sub-answers in, one answer out (no I/O; unit-tested) ----
 *
 * embed_join_init, then embed_join_add once per part (in any order), then embed_join_write
 * once every part is in; embed_join_free always. Each sub-answer is copied (the caller's
 * bytes may go away after the call). */

struct embed_join_item {
    size_t part;       /* the sub-answer holding it; SIZE_MAX: not filled yet */
    int has_index;
    size_t s, e;       /* the item object's bytes in that sub-answer */
    size_t idx_s, idx_e; /* its "index" value's bytes (has_index) */
};

struct embed_join_part {
    char *body; /* owned copy of the sub-answer; NULL until added */
    size_t len;
    size_t model_s, model_e; /* its "model" value (0, 0: none) */
};

struct embed_join {
    size_t n_inputs, n_parts, batch; /* part k holds inputs [k * batch, min(n_inputs, (k + 1) * batch)) */
    size_t max_bytes;                /* cap on the sub-answers kept and on the answer written */
    size_t bytes;                    /* sub-answer bytes kept so far */
    struct embed_join_item *items;   /* n_inputs */
    struct embed_join_part *parts;   /* n_parts */
    int64_t prompt_tokens, total_tokens;
    unsigned no_prompt_tokens : 1, no_total_tokens : 1; /* some sub-answer lacked the count */
};

void embed_join_init(struct embed_join *j, size_t n_inputs, size_t batch, size_t max_bytes);
void embed_join_free(struct embed_join *j);
/* Adds part k (a 2xx sub-answer). 0, or -1 with err set (502: not an embeddings answer for
 * those inputs - wrong count, bad or repeated index; over max_bytes). */
int embed_join_add(struct embed_join *j, size_t k, const char *body, size_t len, struct api_error *err);
/* The answer, once every part is in: {"object":"list","data":[...],"model":...,"usage":{...}},
 * malloc'd (the caller frees it), *len its length; NULL with err set when a part is missing or
 * it would exceed max_bytes (the size is known before anything is allocated). */
char *embed_join_write(const struct embed_join *j, size_t *len, struct api_error *err);

#endif
