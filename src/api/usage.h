/* Token usage and cost: byte-level, on JSON text (api/json_span.h).
 *
 * Pure functions, no state, so each is unit-tested on its own:
 *   usage_from_answer   a non-streaming answer's top-level "usage"
 *   usage_from_chunk    the final usage chunk of a stream (an SSE event's data)
 *   usage_stream_wants_include / usage_request_add_include
 *                       a streaming request that does not ask for usage gets
 *                       stream_options.include_usage = true, so the upstream
 *                       sends the final usage chunk...
 *   usage_chunk_is_usage_only / usage_strip_feed
 *                       ...which is then stripped from the client's stream
 *                       (choices: [] and a usage object: the chunk the client
 *                       did not ask for), every other byte passed unchanged.
 *   price_find / price_cost_usd
 *                       USD per million tokens: a target's own `price:`, then
 *                       `prices:` by exact model name, then the built-in table
 *                       by longest prefix (list prices as of 2026; override
 *                       them in the config when they change). */
#ifndef WARDEN_API_USAGE_H
#define WARDEN_API_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "util/buf.h"

struct usage {
    int64_t tokens_in;  /* prompt / input tokens */
    int64_t tokens_out; /* completion / output tokens (0 for embeddings) */
};

/* 0 and *u, or -1 when the text has no usable "usage" object. */
int usage_from_answer(const char *json, size_t len, struct usage *u);
int usage_from_chunk(const char *data, size_t len, struct usage *u);

/* 1 when body is a streaming request ("stream": true) that does not already ask for
 * stream_options.include_usage = true. */
int usage_stream_wants_include(const char *body, size_t len);
/* body with stream_options.include_usage set to true (other stream_options kept);
 * malloc'd, *out_len its length; NULL when body is not a JSON object. */
char *usage_request_add_include(const char *body, size_t len, size_t *out_len);
/* 1 when an SSE event's data is a usage-only chunk (empty choices, a usage object). */
int usage_chunk_is_usage_only(const char *data, size_t len);

/* The byte-level strip for a stream whose include_usage Warden added: feeds upstream SSE
 * bytes and appends to out every complete event except a usage-only chunk, byte for byte;
 * an event cut by the chunk boundary waits in pending (capped by its limit: past it the
 * bytes are passed through unchanged, never dropped). At the end of the stream call it with
 * len 0 and final = 1 to flush what is pending. If u is not NULL, the stripped chunk's usage
 * is stored there. Returns the number of events stripped. */
int usage_strip_feed(struct util_buf *pending, const char *data, size_t len, int final, struct util_buf *out, struct usage *u);

struct price {
    double input_per_mtok, output_per_mtok;
};

/* The price for the upstream model `target_model` (may be NULL) of target t (may be
 * NULL), else for the client's `model`. 0, or -1 when none is known. */
int price_find(const struct config *cfg, const struct config_target *t, const char *target_model, const char *model,
               struct price *p);
double price_cost_usd(const struct price *p, int64_t tokens_in, int64_t tokens_out);

#endif
