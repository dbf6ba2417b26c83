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
 * embed_join_init; embed_join_add once per part, in any order; embed_join_finish once every
 * part is in; then embed_join_pieces gives the answer as pieces to send in order (they point
 * into the join: valid until embed_join_free, which always comes last).
 *
 * embed_join_add walks the sub-answer once and keeps only its items, written out with their
 * final indexes (the caller's bytes may go away after the call); so the memory held is about
 * the answer's size, and the answer is never copied into one buffer. */

struct embed_join_span { /* one item of the sub-answer being added */
    const char *s, *e;         /* the item object; s == NULL: not seen yet */
    const char *idx_s, *idx_e; /* its "index" value; NULL: none */
};

struct embed_join_part {
    char *items; /* the part's items, comma-separated, final indexes; NULL until added */
    size_t len;
    char *model; /* its "model" value (a JSON string literal); NULL: none */
};

struct embed_join_piece {
    const char *data;
    size_t len;
};

struct embed_join {
    size_t n_inputs, n_parts, batch; /* part k holds inputs [k * batch, min(n_inputs, (k + 1) * batch)) */
    size_t max_bytes;                /* cap on the answer (and so on what is kept) */
    size_t bytes;                    /* rendered item bytes kept so far */
    size_t done;                     /* parts added */
    struct embed_join_span *scratch; /* one part's items by index, while it is added */
    struct embed_join_part *parts;   /* n_parts */
    struct util_buf tail;            /* "],"model":...,"usage":{...}}", from embed_join_finish */
    int64_t prompt_tokens, total_tokens;
    unsigned no_prompt_tokens : 1, no_total_tokens : 1; /* some sub-answer lacked the count */
};

void embed_join_init(struct embed_join *j, size_t n_inputs, size_t batch, size_t max_bytes);
void embed_join_free(struct embed_join *j);
/* Adds part k (a 2xx sub-answer). 0, or -1 with err set (502 upstream_bad_answer: not an
 * embeddings answer for those inputs - wrong count, a bad or repeated index, cut short; 502
 * upstream_response_too_large: the answer would pass max_bytes). */
int embed_join_add(struct embed_join *j, size_t k, const char *body, size_t len, struct api_error *err);
/* Every part is in: the tail is built and *total set to the answer's length, or -1 with err set
 * (a part missing: 500; over max_bytes: 502). */
int embed_join_finish(struct embed_join *j, size_t *total, struct api_error *err);
/* The answer as pieces, in order, into out (room for 2 * n_parts + 1); returns their number. */
size_t embed_join_pieces(const struct embed_join *j, struct embed_join_piece *out);

#endif
