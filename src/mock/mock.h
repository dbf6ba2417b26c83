/* warden-mock: an OpenAI-compatible fake upstream for Warden's tests, benchmarks and quickstart.
 *
 * Internal header shared by the files of src/mock/ (the mock is a program, not a library, so there
 * is no public API beyond its command line and HTTP endpoints):
 *
 *   main.c    command line, listeners (SO_REUSEPORT, one per worker), worker threads, signals
 *   http.c    the HTTP/1.1 request parser (head, Content-Length and chunked bodies)
 *   conn.c    connections: reading (always, to notice a client close at once), writing, and the
 *             per-request state machine that plays a response plan (delays, chunks, faults)
 *   routes.c  endpoints and knobs: turns a parsed request into a response plan
 *   state.c   process-wide state behind one mutex: request records, stats, per-key counters
 *   json.c    small JSON output helpers (escaping, numbers) used on the hot path
 *
 * Threads: each worker owns one uv loop, its listener and its connections; nothing in a
 * connection is touched by another thread. Only state.c is shared, under its mutex. */
#ifndef WARDEN_MOCK_H
#define WARDEN_MOCK_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <h2o/linklist.h>
#include <uv.h>

#include "util/buf.h"

#define MOCK_HEAD_MAX (64u << 10)       /* request line + headers; past it: 431 */
#define MOCK_BODY_MAX (1u << 20)        /* decoded request body; past it: 413 */
#define MOCK_CHUNKED_RAW_MAX (8u << 20) /* raw chunked framing (tiny chunks inflate it) */
#define MOCK_IN_MAX (12u << 20)         /* unprocessed input per connection (pipelining) */
#define MOCK_MAX_HEADERS 100
#define MOCK_RECORDS 256                 /* ring of request records */
#define MOCK_RECORD_BODY_MAX (64u << 10) /* body bytes kept per record */

/* ---- command line (main.c); read-only once the workers start ---- */
struct mock_options {
    char host[64];
    int port;
    int workers;
    int64_t ttft_ms;
    int64_t chunks;
    int64_t chunk_interval_ms;
    const char *content;
    double chaos; /* 0..1 */
    uint64_t seed;
    int quiet;
};
extern struct mock_options mock_opts;

/* ---- http.c ---- */
struct mock_http_header {
    uint32_t name_off, name_len; /* offsets from the start of the request */
    uint32_t value_off, value_len;
};

struct mock_http_req {
    uint32_t method_off, method_len;
    uint32_t target_off, target_len;
    int minor;      /* HTTP/1.<minor> */
    int keep_alive; /* after Connection: and the version */
    int expect_continue;
    int chunked;
    int64_t content_length; /* -1: none */
    size_t head_len;        /* request line + headers + blank line */
    size_t nheaders;
    struct mock_http_header headers[MOCK_MAX_HEADERS];
};

/* Parses a request head from buf[0..len). Returns the head length (> 0) when complete, 0 when
 * more bytes are needed, or a negative HTTP status for a request that must be refused (-400,
 * -413, -431, -501). *scan remembers how far the search for the blank line got; start it at 0. */
int mock_http_parse_head(const char *buf, size_t len, size_t *scan, struct mock_http_req *req);

/* Decodes a chunked body that starts at buf[*pos] (a chunk-size line). Appends whole chunks to
 * body and advances *pos past them, so a later call resumes where this one stopped. Returns 1 when
 * the last chunk and trailers are in (then *pos is the end of the message), 0 when more bytes are
 * needed, or a negative HTTP status (-400, -413). */
int mock_http_parse_chunked(const char *buf, size_t len, size_t *pos, struct util_buf *body);

/* Case-insensitive lookup; returns the value (pointing into base) or NULL. */
const char *mock_http_header_get(const struct mock_http_req *req, const char *base, const char *name, size_t *len);

/* ---- state.c ---- */
enum mock_outcome {
    MOCK_OUT_PENDING,         /* still in flight */
    MOCK_OUT_COMPLETED,       /* the whole response was written */
    MOCK_OUT_CLIENT_CLOSED,   /* the peer closed or reset before the response ended */
    MOCK_OUT_ABORTED_BY_MOCK, /* the mock closed mid-response (half body, shutdown) */
    MOCK_OUT_RESET,           /* the mock reset the connection (RST) */
    MOCK_OUT_STALLED,         /* in flight and never going to answer */
};

enum mock_path { MOCK_PATH_CHAT, MOCK_PATH_EMBEDDINGS, MOCK_PATH_MODELS, MOCK_PATH_GUARDRAIL, MOCK_PATH_OTHER, MOCK_PATH_COUNT };

struct mock_record_in {
    enum mock_path path_kind;
    const char *method;
    size_t method_len;
    const char *path;
    size_t path_len;
    const char *model; /* NULL: none */
    size_t model_len;
    const char *body;
    size_t body_len;
    const char *headers_json; /* pre-rendered JSON object */
    size_t headers_json_len;
    uint64_t started_ms;
};

enum mock_counter { MOCK_COUNTER_FAIL, MOCK_COUNTER_CONTENTS };

void mock_state_init(void);
void mock_state_free(void);
/* Records a new request; returns its sequence number (> 0, never reused). */
uint64_t mock_state_begin(const struct mock_record_in *in);
void mock_state_mark(uint64_t seq, enum mock_outcome outcome, int status);
void mock_state_finish(uint64_t seq, enum mock_outcome outcome, int status, uint64_t finished_ms, uint64_t closed_ms);
/* Returns how many requests carried this key for this counter before, and counts this one. */
uint64_t mock_state_counter_next(const char *key, size_t key_len, enum mock_counter which);
void mock_state_reset(void);
void mock_state_stats_json(struct util_buf *out);
void mock_state_requests_json(struct util_buf *out, size_t limit);

/* ---- json.c ---- */
void mock_json_str(struct util_buf *b, const char *s, size_t n); /* "..." escaped, invalid UTF-8 -> U+FFFD */
void mock_json_u64(struct util_buf *b, uint64_t v);
void mock_json_i64(struct util_buf *b, int64_t v);
void mock_json_lit(struct util_buf *b, const char *s); /* raw bytes, no escaping */
/* Fast-path scanner (see json.c): tokens in document order; a container's children follow it and
 * skip is the index just past its subtree. STR tokens span the text between the quotes. */
enum { MOCK_J_OBJ = 1, MOCK_J_ARR, MOCK_J_STR, MOCK_J_NUM, MOCK_J_TRUE, MOCK_J_FALSE, MOCK_J_NULL };
struct mock_jtok {
    uint8_t type;
    uint8_t esc; /* STR: has backslash escapes (then the raw text is not the value) */
    uint32_t start, end;
    uint32_t skip;
    uint32_t len; /* STR: decoded UTF-8 bytes; OBJ: members; ARR: elements */
};
#define MOCK_JTOK_MAX 512
/* Returns the token count, or -1: not handled here, parse with jansson instead. */
int mock_json_scan(const char *s, size_t n, struct mock_jtok *toks, size_t max);
/* The value token of key in object token obj (the last duplicate), or -1. */
int mock_json_get(const struct mock_jtok *t, const char *s, int obj, const char *key);
#define MOCK_LIT(b, s) util_buf_append((b), (s), sizeof(s) - 1)

/* ---- conn.c / routes.c ---- */
enum mock_plan_kind {
    MOCK_PLAN_FULL,   /* head + body at the first byte */
    MOCK_PLAN_STREAM, /* head + events, one per interval */
    MOCK_PLAN_STALL,  /* nothing, until the client closes */
    MOCK_PLAN_RESET,  /* RST at the first byte */
    MOCK_PLAN_HALF,   /* head + half the body, then close */
};

/* What routes.c asks conn.c to play. Buffers persist per connection and are reset per request. */
struct mock_plan {
    enum mock_plan_kind kind;
    int status;
    uint64_t seq;         /* 0: not recorded (control endpoints, protocol errors) */
    uint64_t delay_ms;    /* before the first byte */
    uint64_t interval_ms; /* between stream events */
    int64_t abort_after;  /* stream: RST after this many events; -1: never */
    int close_after;      /* close the connection once the response is out */
    struct util_buf head;
    struct util_buf body; /* FULL/HALF: the body; STREAM: events back to back, chunk-framed */
    size_t *ev_end;       /* STREAM: end offset of each event in body */
    size_t n_ev, ev_cap;
};

struct mock_worker {
    int index;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_async_t stop;
    pthread_t thread;
    int listen_fd;
    uint64_t rng;
    struct util_buf scratch;              /* per-worker temporary for building events */
    struct util_buf hdrjson;              /* per-worker temporary for a record's headers object */
    struct mock_jtok toks[MOCK_JTOK_MAX]; /* the fast-path scan of the current body */
    h2o_linklist_t conns;                 /* mock_conn.link: every open connection, for shutdown */
};

struct mock_conn;

/* The parsed request handed to routes.c; pointers are valid only during mock_route(). */
struct mock_request {
    struct mock_worker *worker;
    const struct mock_http_req *http;
    const char *base; /* the request's bytes; header offsets are relative to it */
    const char *body;
    size_t body_len;
    uint64_t started_ms;
};

void mock_route(const struct mock_request *r, struct mock_plan *plan);
/* A protocol-level error answer (bad request line, body too large...); always closes. */
void mock_route_error(struct mock_plan *plan, int status, const char *message);

void mock_conn_on_connection(uv_stream_t *listener, int status);
void mock_conn_close_all(struct mock_worker *w);

uint64_t mock_rng_next(struct mock_worker *w);
double mock_rng_unit(struct mock_worker *w); /* [0, 1) */

#endif
