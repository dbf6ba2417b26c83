/* Connections and the per-request state machine.
 *
 * The socket is read at all times, whatever the request is doing. That is the point of the mock
 * having its own server loop: while a response waits (time to first token, a stall, the gap between
 * chunks) a client close shows up at once as EOF or ECONNRESET, and the request is recorded as
 * "client_closed" with the monotonic time it happened. Bytes that arrive while a request is in
 * flight (pipelining) are kept, up to MOCK_IN_MAX, and parsed once it is done, so responses stay
 * in order.
 *
 * One request at a time per connection:
 *
 *          parse complete
 *   IDLE ------------------> plan_start --+-- STALL --------------> STALLED
 *    ^                                    |-- delay > 0 ----------> WAITING --timer--+
 *    |                                    +-- no delay ----------------------------+ |
 *    |                                                                             v v
 *    |                        FULL: head+body ----------------------------- first_byte
 *    +---- req_finish <-----  HALF: head+half body, then drain (close)          |
 *               ^             RESET: RST                                         | STREAM
 *               |                                                                v
 *               +---- last event ---- STREAMING --timer--> stream_next --abort_after--> RESETTING --timer--> RST
 *
 * Any state other than IDLE + peer EOF/error -> req_finish(client_closed) -> conn_close.
 *
 * Invariants:
 *  1. c->timer runs only in WAITING, STREAMING, RESETTING (for the request) or while the
 *     connection is DRAINING (for the linger deadline); req_finish always stops it.
 *  2. req_finish runs exactly once per started request and is the only place a record is closed.
 *  3. The conn is freed only in on_close, after both of its handles have closed; all write and
 *     shutdown callbacks run before that (libuv cancels them with UV_ECANCELED first).
 *  4. Output is gathered in c->out and written once per event-loop turn (conn_flush); a write
 *     error is ignored here because the read side reports the same peer loss. */
#include "mock/mock.h"

#include <h2o/memory.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

enum conn_state {
    CONN_OPEN,     /* reading and answering */
    CONN_DRAINING, /* response out, write side shut; discarding input until EOF or the linger timer */
    CONN_CLOSING,  /* uv_close called */
};

enum req_state {
    REQ_IDLE,      /* no request in flight */
    REQ_WAITING,   /* timer: the delay before the first byte */
    REQ_STREAMING, /* head sent; timer: the next event */
    REQ_STALLED,   /* never answers; waits for the client to leave */
    REQ_RESETTING, /* timer: a short grace so sent chunks reach the client before the RST */
};

#define LINGER_MS 2000
#define RESET_GRACE_MS 10
#define IN_MIN_FREE (16u << 10)

struct mock_conn {
    h2o_linklist_t link; /* in worker->conns until its handles are closed */
    struct mock_worker *worker;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown;
    int handles_open;
    enum conn_state state;
    enum req_state rstate;
    int in_process; /* conn_process is on the stack: req_finish must not re-enter it */

    char *in; /* unprocessed input, always starting at a request boundary */
    size_t in_len, in_cap;
    int have_head;
    size_t head_scan;
    size_t chunk_pos;
    int sent_continue;
    struct mock_http_req http;
    struct util_buf chunk_body;

    struct util_buf out;
    struct mock_plan plan;
    size_t next_ev;
};

struct write_req {
    uv_write_t req;
    size_t len;
    char data[];
};

static void conn_process(struct mock_conn *c);
static void on_timer(uv_timer_t *t);

/* ------------------------------------------------------------------ closing */

static void on_close(uv_handle_t *h)
{
    struct mock_conn *c = h->data;
    if (--c->handles_open > 0)
        return;
    h2o_linklist_unlink(&c->link);
    free(c->in);
    util_buf_free(&c->chunk_body);
    util_buf_free(&c->out);
    util_buf_free(&c->plan.head);
    util_buf_free(&c->plan.body);
    free(c->plan.ev_end);
    free(c);
}

static const char *const outcome_log[] = {"pending", "completed", "client_closed", "aborted_by_mock", "reset", "stalled"};

/* Closes the books on the request in flight. Follow-up (next request, close) is the caller's. */
static void req_finish(struct mock_conn *c, enum mock_outcome outcome, uint64_t closed_ms)
{
    if (c->rstate == REQ_IDLE)
        return;
    uv_timer_stop(&c->timer);
    c->rstate = REQ_IDLE;
    if (c->plan.seq) {
        mock_state_finish(c->plan.seq, outcome, c->plan.kind == MOCK_PLAN_STALL ? 0 : c->plan.status, util_now_ms(), closed_ms);
        if (!mock_opts.quiet && (outcome != MOCK_OUT_COMPLETED || c->plan.status >= 400))
            LOG_INFO("mock", "request %llu: status %d, %s", (unsigned long long)c->plan.seq, c->plan.status, outcome_log[outcome]);
        c->plan.seq = 0;
    }
}

static void conn_close(struct mock_conn *c)
{
    if (c->state == CONN_CLOSING)
        return;
    if (c->rstate != REQ_IDLE)
        req_finish(c, MOCK_OUT_ABORTED_BY_MOCK, 0);
    c->state = CONN_CLOSING;
    uv_close((uv_handle_t *)&c->tcp, on_close);
    uv_close((uv_handle_t *)&c->timer, on_close);
}

static void conn_reset(struct mock_conn *c)
{
    if (c->state == CONN_CLOSING)
        return;
    c->state = CONN_CLOSING;
    uv_timer_stop(&c->timer);
    if (uv_tcp_close_reset(&c->tcp, on_close) != 0)
        uv_close((uv_handle_t *)&c->tcp, on_close);
    uv_close((uv_handle_t *)&c->timer, on_close);
}

/* The peer closed or reset its end. */
static void conn_peer_gone(struct mock_conn *c)
{
    if (c->state == CONN_CLOSING)
        return;
    if (c->rstate != REQ_IDLE)
        req_finish(c, MOCK_OUT_CLIENT_CLOSED, util_now_ms());
    conn_close(c);
}

/* ------------------------------------------------------------------ writing */

static void on_write(uv_write_t *req, int status)
{
    free(req); /* errors: the read side reports the same loss (invariant 4) */
}

static void conn_flush(struct mock_conn *c)
{
    if (c->out.len == 0)
        return;
    if (c->state == CONN_CLOSING) {
        util_buf_reset(&c->out);
        return;
    }
    size_t off = 0;
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) == 0) {
        uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->out.len);
        int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (n >= 0)
            off = (size_t)n;
        else if (n != UV_EAGAIN)
            off = c->out.len; /* peer gone: drop it */
    }
    if (off < c->out.len) {
        size_t rest = c->out.len - off;
        struct write_req *wr = util_malloc(sizeof(*wr) + rest);
        memcpy(wr->data, c->out.data + off, rest);
        wr->len = rest;
        uv_buf_t b = uv_buf_init(wr->data, (unsigned)rest);
        if (uv_write(&wr->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0)
            free(wr);
    }
    util_buf_reset(&c->out);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct mock_conn *c = req->data;
    if (status < 0 && status != UV_ECANCELED)
        conn_close(c);
}

/* Response done and the connection must end: shut the write side so the client sees EOF after the
 * last byte, but keep reading (and discarding) for a while. Closing at once with unread input
 * would make the kernel send RST, and the client could lose the response (a 413 sent while it is
 * still uploading, say). */
static void conn_drain(struct mock_conn *c)
{
    if (c->state != CONN_OPEN)
        return;
    conn_flush(c);
    c->state = CONN_DRAINING;
    c->in_len = 0;
    c->shutdown.data = c;
    if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, on_timer, LINGER_MS, 0);
}

/* ------------------------------------------------------------------ playing a plan */

/* After a completed response: next request, or the end of the connection. */
static void after_response(struct mock_conn *c)
{
    if (c->plan.close_after) {
        conn_drain(c);
        return;
    }
    if (!c->in_process)
        conn_process(c);
}

static void stream_next(struct mock_conn *c)
{
    struct mock_plan *p = &c->plan;
    for (;;) {
        if (p->abort_after >= 0 && c->next_ev == (size_t)p->abort_after) {
            conn_flush(c);
            c->rstate = REQ_RESETTING;
            uint64_t grace = p->interval_ms > 0 && c->next_ev > 0 ? 0 : RESET_GRACE_MS;
            if (grace == 0) {
                req_finish(c, MOCK_OUT_RESET, 0);
                conn_reset(c);
            } else {
                uv_timer_start(&c->timer, on_timer, grace, 0);
            }
            return;
        }
        size_t start = c->next_ev ? p->ev_end[c->next_ev - 1] : 0;
        util_buf_append(&c->out, p->body.data + start, p->ev_end[c->next_ev] - start);
        c->next_ev++;
        if (c->next_ev == p->n_ev) {
            conn_flush(c);
            req_finish(c, MOCK_OUT_COMPLETED, 0);
            after_response(c);
            return;
        }
        if (p->interval_ms > 0) {
            conn_flush(c);
            uv_timer_start(&c->timer, on_timer, p->interval_ms, 0);
            return;
        }
    }
}

static void first_byte(struct mock_conn *c)
{
    struct mock_plan *p = &c->plan;
    switch (p->kind) {
    case MOCK_PLAN_FULL:
        util_buf_append(&c->out, p->head.data, p->head.len);
        util_buf_append(&c->out, p->body.data, p->body.len);
        req_finish(c, MOCK_OUT_COMPLETED, 0);
        after_response(c);
        break;
    case MOCK_PLAN_HALF:
        util_buf_append(&c->out, p->head.data, p->head.len);
        util_buf_append(&c->out, p->body.data, p->body.len / 2);
        req_finish(c, MOCK_OUT_ABORTED_BY_MOCK, 0);
        p->close_after = 1;
        conn_drain(c);
        break;
    case MOCK_PLAN_RESET:
        req_finish(c, MOCK_OUT_RESET, 0);
        conn_flush(c); /* earlier pipelined answers, if any */
        conn_reset(c);
        break;
    case MOCK_PLAN_STREAM:
        util_buf_append(&c->out, p->head.data, p->head.len);
        c->rstate = REQ_STREAMING;
        stream_next(c);
        break;
    case MOCK_PLAN_STALL:
        break;
    }
}

static void on_timer(uv_timer_t *t)
{
    struct mock_conn *c = t->data;
    if (c->state == CONN_DRAINING) {
        conn_close(c);
        return;
    }
    switch (c->rstate) {
    case REQ_WAITING:
        first_byte(c);
        break;
    case REQ_STREAMING:
        stream_next(c);
        break;
    case REQ_RESETTING:
        req_finish(c, MOCK_OUT_RESET, 0);
        conn_reset(c);
        break;
    default:
        break;
    }
    conn_flush(c);
}

static void plan_reset(struct mock_plan *p)
{
    p->kind = MOCK_PLAN_FULL;
    p->status = 0;
    p->seq = 0;
    p->delay_ms = 0;
    p->interval_ms = 0;
    p->abort_after = -1;
    p->close_after = 0;
    p->n_ev = 0;
    util_buf_reset(&p->head);
    util_buf_reset(&p->body);
}

static void plan_start(struct mock_conn *c)
{
    struct mock_plan *p = &c->plan;
    c->next_ev = 0;
    if (p->kind == MOCK_PLAN_STALL) {
        c->rstate = REQ_STALLED;
        if (p->seq)
            mock_state_mark(p->seq, MOCK_OUT_STALLED, 0);
        return;
    }
    if (p->delay_ms > 0) {
        c->rstate = REQ_WAITING;
        uv_timer_start(&c->timer, on_timer, p->delay_ms, 0);
        return;
    }
    c->rstate = REQ_WAITING;
    first_byte(c);
}

/* ------------------------------------------------------------------ reading */

static void consume(struct mock_conn *c, size_t n)
{
    if (n >= c->in_len) {
        c->in_len = 0;
        if (c->in_cap > (256u << 10)) { /* give back what a big body needed */
            free(c->in);
            c->in = NULL;
            c->in_cap = 0;
        }
    } else {
        memmove(c->in, c->in + n, c->in_len - n);
        c->in_len -= n;
    }
}

static void protocol_error(struct mock_conn *c, int status)
{
    const char *msg = status == 413   ? "mock: request body too large"
                      : status == 431 ? "mock: request head too large"
                      : status == 501 ? "mock: unsupported transfer-encoding"
                                      : "mock: malformed HTTP request";
    plan_reset(&c->plan);
    mock_route_error(&c->plan, status, msg);
    c->in_len = 0;
    c->have_head = 0;
    plan_start(c);
}

static void maybe_continue(struct mock_conn *c)
{
    if (c->http.expect_continue && c->http.minor == 1 && !c->sent_continue) {
        c->sent_continue = 1;
        MOCK_LIT(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
    }
}

static void conn_process(struct mock_conn *c)
{
    c->in_process = 1;
    while (c->state == CONN_OPEN && c->rstate == REQ_IDLE) {
        if (!c->have_head) {
            size_t skip = 0; /* RFC 9112 2.2: ignore empty lines before a request line */
            while (skip < c->in_len && (c->in[skip] == '\r' || c->in[skip] == '\n'))
                skip++;
            if (skip)
                consume(c, skip);
            if (c->in_len == 0)
                break;
            int r = mock_http_parse_head(c->in, c->in_len, &c->head_scan, &c->http);
            if (r == 0)
                break;
            if (r < 0) {
                protocol_error(c, -r);
                break;
            }
            c->have_head = 1;
            c->chunk_pos = (size_t)r;
            c->sent_continue = 0;
            util_buf_reset(&c->chunk_body);
        }
        const char *body;
        size_t body_len, total;
        if (c->http.chunked) {
            int r = mock_http_parse_chunked(c->in, c->in_len, &c->chunk_pos, &c->chunk_body);
            if (r == 0) {
                maybe_continue(c);
                break;
            }
            if (r < 0) {
                protocol_error(c, -r);
                break;
            }
            body = c->chunk_body.data ? c->chunk_body.data : "";
            body_len = c->chunk_body.len;
            total = c->chunk_pos;
        } else {
            size_t cl = c->http.content_length > 0 ? (size_t)c->http.content_length : 0;
            if (c->in_len - c->http.head_len < cl) {
                maybe_continue(c);
                break;
            }
            body = c->in + c->http.head_len;
            body_len = cl;
            total = c->http.head_len + cl;
        }
        struct mock_request req = {
            .worker = c->worker,
            .http = &c->http,
            .base = c->in,
            .body = body,
            .body_len = body_len,
            .started_ms = util_now_ms(),
        };
        plan_reset(&c->plan);
        mock_route(&req, &c->plan);
        c->have_head = 0;
        c->head_scan = 0;
        consume(c, total);
        plan_start(c);
    }
    c->in_process = 0;
    conn_flush(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct mock_conn *c = h->data;
    if (c->state != CONN_OPEN)
        c->in_len = 0; /* draining: everything read is thrown away */
    if (c->in_cap - c->in_len < IN_MIN_FREE) {
        size_t cap = c->in_cap ? c->in_cap : IN_MIN_FREE;
        while (cap - c->in_len < IN_MIN_FREE)
            cap *= 2;
        c->in = util_realloc(c->in, cap);
        c->in_cap = cap;
    }
    *buf = uv_buf_init(c->in + c->in_len, (unsigned)(c->in_cap - c->in_len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct mock_conn *c = s->data;
    if (nread < 0) {
        if (c->state == CONN_DRAINING)
            conn_close(c);
        else
            conn_peer_gone(c);
        return;
    }
    if (nread == 0 || c->state != CONN_OPEN)
        return;
    c->in_len += (size_t)nread;
    if (c->in_len > MOCK_IN_MAX) {
        /* a client pipelining without reading answers; no request can be this big */
        conn_close(c);
        return;
    }
    if (c->rstate == REQ_IDLE)
        conn_process(c);
}

void mock_conn_on_connection(uv_stream_t *listener, int status)
{
    struct mock_worker *w = listener->data;
    if (status < 0)
        return;
    struct mock_conn *c = util_calloc(1, sizeof(*c));
    c->worker = w;
    util_buf_init(&c->chunk_body, MOCK_BODY_MAX);
    util_buf_init(&c->out, SIZE_MAX);
    util_buf_init(&c->plan.head, SIZE_MAX);
    util_buf_init(&c->plan.body, SIZE_MAX);
    c->plan.abort_after = -1;
    uv_tcp_init(&w->loop, &c->tcp);
    uv_timer_init(&w->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles_open = 2;
    h2o_linklist_insert(&w->conns, &c->link);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
        conn_close(c);
}

void mock_conn_close_all(struct mock_worker *w)
{
    for (h2o_linklist_t *l = w->conns.next; l != &w->conns; l = l->next)
        conn_close(H2O_STRUCT_FROM_MEMBER(struct mock_conn, link, l)); /* in-flight requests are recorded as aborted_by_mock */
}
