/* Token usage and cost: byte-level, on JSON text (api/json_span.h).
 *
 * Functions without state (the tap's is the caller's; the refusal table is per thread),
 * so each is unit-tested on its own:
 *   usage_from_answer   a non-streaming answer's top-level "usage"
 *   usage_from_chunk    the final usage chunk of a stream (an SSE event's data)
 *   usage_stream_wants_include / usage_request_add_include
 *                       a streaming request that does not ask for usage gets
 *                       stream_options.include_usage = true, so the upstream
 *                       sends the final usage chunk...
 *   usage_chunk_is_usage_only / usage_tap_*
 *                       ...which is then stripped from the client's stream
 *                       (choices: [] and a usage object: the chunk the client
 *                       did not ask for), every other byte passed unchanged;
 *                       the same tap reads the usage of every stream.
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

/* 1 when the request asks for the usage chunk itself (stream_options.include_usage: true). */
int usage_client_asks(const char *body, size_t len);
/* 1 when body is a streaming request ("stream": true) that does not already ask for
 * stream_options.include_usage = true. */
int usage_stream_wants_include(const char *body, size_t len);
/* body with stream_options.include_usage set to true (other stream_options kept);
 * malloc'd, *out_len its length; NULL when body is not a JSON object. */
char *usage_request_add_include(const char *body, size_t len, size_t *out_len);
/* 1 when an SSE event's data is a usage-only chunk (empty choices, a usage object). */
int usage_chunk_is_usage_only(const char *data, size_t len);

/* ---- the usage tap: a stream's usage read (and, when Warden asked for it, taken out)
 * on its way to the client ----
 *
 * Every byte of a started stream goes through usage_tap_feed, which hands the bytes that go
 * on to emit, in order and unchanged. Events are delimited as sse.c does (a line ends at
 * '\n', optionally after '\r'; an empty line ends the event), so the tap and the parsers
 * behind it agree on every boundary however the bytes are split across reads.
 *   OBSERVE  the client asked for usage (or the upstream sends it unasked): each feed goes
 *            out at once, whole; only a copy of an event cut by the feed's end is kept, to
 *            read a usage chunk split across reads.
 *   STRIP    Warden added stream_options.include_usage: a usage-only chunk (choices: [] and
 *            a usage object, single data line) is taken out. An event cut by the feed's end
 *            is held back until it is complete (never more than USAGE_TAP_EVENT_MAX: a
 *            larger event cannot be the usage chunk and passes unexamined, to its end).
 * In both modes the last top-level usage object of any event is kept (usage, has_usage):
 * some upstreams put it on the last content chunk instead. Nothing is allocated unless an
 * event is cut by a read. */
#define USAGE_TAP_EVENT_MAX (64 * 1024)

enum usage_tap_mode {
    USAGE_TAP_OBSERVE,
    USAGE_TAP_STRIP,
};

struct usage_tap {
    unsigned char mode;      /* enum usage_tap_mode */
    unsigned char line;      /* the current line: 0 at its start, 1 after a lone '\r', 2 inside */
    unsigned char passing;   /* the current event outgrew USAGE_TAP_EVENT_MAX: passes unexamined */
    unsigned char has_usage; /* usage holds the last usage object seen */
    unsigned stripped;       /* usage-only chunks taken out */
    struct usage usage;
    struct util_buf held;    /* the current event's bytes from earlier feeds */
};

typedef void (*usage_tap_emit_cb)(void *ud, const char *data, size_t len);

/* The same reading where another parser delimits the events (the stream filter, which then
 * relays the stream without usage_tap_feed). data is the payload of one event that came as
 * its only line ("data:", a blank line; at most USAGE_TAP_EVENT_MAX bytes in all - other
 * events are not examined, as by the tap); validated: it is known to be valid JSON.
 * usage_event_read: 0 with its usage and whether it is a usage-only chunk, -1 when it has no
 * usage (a result that depends on the event's bytes only). usage_tap_take keeps that usage
 * as the stream's; 1 when STRIP takes the event out (counted): the caller drops it. */
int usage_event_read(const char *data, size_t len, int validated, struct usage *u, int *only);
int usage_tap_take(struct usage_tap *t, const struct usage *u, int only);
/* (Re)starts the tap for a new stream; keeps its buffer's memory for reuse. */
void usage_tap_reset(struct usage_tap *t, enum usage_tap_mode mode);
void usage_tap_feed(struct usage_tap *t, const char *data, size_t len, usage_tap_emit_cb emit, void *ud);
/* The stream ended: what STRIP still holds (an incomplete last event) goes out unchanged. */
void usage_tap_finish(struct usage_tap *t, usage_tap_emit_cb emit, void *ud);
void usage_tap_free(struct usage_tap *t);

/* Upstreams that refused stream_options (400/422 naming it): Warden retries such a request
 * once without it and, for USAGE_REFUSAL_TTL_MS, does not add it for that target (per
 * worker thread: no lock). Keyed by the target's label. */
#define USAGE_REFUSAL_TTL_MS (10 * 60 * 1000)
int usage_target_refuses(const char *label, uint64_t now_ms);
void usage_target_refused(const char *label, uint64_t now_ms);
/* Does an upstream error answer (status, body) refuse stream_options? */
int usage_error_names_stream_options(int status, const char *body, size_t len);

struct price {
    double input_per_mtok, output_per_mtok;
};

/* The price for the upstream model `target_model` (may be NULL) of target t (may be
 * NULL), else for the client's `model`. 0, or -1 when none is known. */
int price_find(const struct config *cfg, const struct config_target *t, const char *target_model, const char *model,
               struct price *p);
double price_cost_usd(const struct price *p, int64_t tokens_in, int64_t tokens_out);

#endif
