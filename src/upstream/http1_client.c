/* The lean HTTP/1.1 transport of the upstream client, for http:// upstreams.
 *
 * Why it exists: see client.c. What it does, per worker loop:
 *  - An origin ("http://host:port") has a LIFO pool of idle keep-alive
 *    connections. Idle connections keep reading, so a server that closes one
 *    is noticed when it happens (no liveness poll before reuse), and they
 *    expire after HTTP1_IDLE_MS.
 *  - A call takes an idle connection or opens one (resolving names through
 *    uv_getaddrinfo, cached per origin), writes its request with one
 *    uv_write, and parses the answer as it arrives (http1_parse.c): the head
 *    goes to on_head, the body (chunked coding removed) to on_body straight
 *    from the read buffer, one shared buffer per client since every byte is
 *    handed on before the read callback returns.
 *  - A request that finds its reused connection closed before any byte of the
 *    answer is sent once more on a fresh connection (the server closed an idle
 *    connection while the request was on its way; libcurl does the same).
 *
 * Connection states:
 *
 *     RESOLVING --> CONNECTING --> BUSY <--> IDLE
 *          \             \          |         |
 *           `-------------`---------`---------`--> CLOSED (uv_close; freed
 *                                                  when every handle is)
 *
 * Invariants: a call is attached to exactly one connection from start to end
 * (conn->call / call->conn); a connection with a write in flight or a
 * response not read to its end is never pooled; callbacks never run inside
 * http1_client_call_start (failures found there are reported from the
 * connection's timer on the next loop turn); after cancel or on_done, no
 * callback runs and the call is freed once no callback of it is on the stack
 * (call->in_callback, h2o's _delay_free). */
#include <h2o/linklist.h>
#include <h2o/memory.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "upstream/http1_parse.h"
#include "upstream/transport.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fmt.h"
#include "util/log.h"

#define HTTP1_IDLE_MS 60000          /* an idle pooled connection is closed after this */
#define HTTP1_IDLE_PER_ORIGIN 4096   /* idle connections kept per origin */
#define HTTP1_RESOLVE_TTL_MS 60000   /* a resolved address is reused this long */
#define HTTP1_HEAD_MAX (64 * 1024)   /* response head cap */
#define HTTP1_READ_BUF (64 * 1024)
#define HTTP1_ADDRS_MAX 4            /* addresses of a name tried in turn when a connect fails */

enum conn_state { CONN_RESOLVING, CONN_CONNECTING, CONN_BUSY, CONN_IDLE, CONN_CLOSED };
enum resp_state { RESP_HEAD, RESP_BODY_LENGTH, RESP_BODY_CHUNKED, RESP_BODY_TO_CLOSE, RESP_COMPLETE };

struct http1_origin {
    struct http1_origin *next;
    char *prefix; /* "http://host:port" exactly as the URLs write it */
    size_t prefix_len;
    char *host_header; /* the authority, for Host: */
    char *hostname;    /* for the resolver (no brackets) */
    char port[8];
    int literal; /* hostname is an IP address: addrs[0] never expires */
    struct sockaddr_storage addrs[HTTP1_ADDRS_MAX]; /* resolved addresses, in the resolver's order */
    int n_addrs;
    int addr_good; /* the address the last connect succeeded on: tried first */
    uint64_t addr_expires_ms; /* loop time; 0 = not resolved */
    h2o_linklist_t idle;      /* http1_conn.idle_link, most recently used first */
    size_t n_idle;
};

struct http1_conn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* call deadline, deferred failure, or idle expiry */
    uv_connect_t connect_req;
    uv_write_t write_req;
    uv_getaddrinfo_t resolve_req;
    struct http1_client *client;
    struct http1_origin *origin;
    struct http1_call *call; /* NULL when idle */
    h2o_linklist_t idle_link; /* in origin->idle while CONN_IDLE */
    h2o_linklist_t all_link;  /* in client->conns until closed */
    enum conn_state state;
    int handles_pending; /* close callbacks and resolver callbacks still to come */
    unsigned tcp_open : 1;
    unsigned writing : 1;
    unsigned reading : 1;
    unsigned counted : 1; /* in stats->connections_open */
    unsigned reused : 1;  /* taken from the idle pool for its current call */
    unsigned resolving : 1; /* resolve_req is out */
    int addr_index;         /* which of origin->addrs it connects to */
};

struct http1_call {
    struct upstream_call base; /* first: the facade's handle */
    struct http1_client *client;
    struct http1_conn *conn;
    const struct upstream_call_callbacks *cb;
    void *ud;
    struct http1_origin *origin;
    struct util_buf request; /* request line and headers */
    const char *body;        /* borrowed until on_done / cancel */
    size_t body_len;
    uint64_t connect_deadline_ms; /* loop time, 0 = none */
    uint64_t deadline_ms;         /* the whole call, 0 = none */
    int connect_timeout_ms, total_timeout_ms;
    int status;
    enum resp_state resp;
    struct util_buf head; /* a response head split across reads */
    size_t head_scanned;  /* bytes of head known not to end it (no rescans of a trickled head) */
    uint64_t body_left;
    struct http1_chunked chunked;
    int in_callback;
    int pending_err; /* a failure to report from the timer (never inside call_start) */
    char pending_msg[200];
    unsigned keep_alive : 1;
    unsigned cancelled : 1;
    unsigned finished : 1; /* on_done is running or ran */
    unsigned got_bytes : 1;
    unsigned resent : 1;
    int addr_tries; /* addresses of the origin that refused it so far */
    unsigned paused : 1;
    unsigned complete_while_paused : 1;
};

struct http1_client {
    uv_loop_t *loop;
    struct upstream_client_stats *stats;
    struct http1_origin *origins;
    h2o_linklist_t conns; /* http1_conn.all_link: every connection not yet closed */
    size_t conns_alive;       /* allocated, closed or not */
    int destroying;
    upstream_transport_closed_cb on_closed;
    void *on_closed_arg;
    char read_buf[HTTP1_READ_BUF];
};

static const struct upstream_transport_ops http1_call_ops;
static void conn_close(struct http1_conn *conn);
static void conn_send(struct http1_conn *conn);
static void conn_connect(struct http1_conn *conn);
static void call_fail(struct http1_call *call, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void call_attach_new_conn(struct http1_call *call);
static void on_conn_timer(uv_timer_t *t);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void conn_read_start(struct http1_conn *conn)
{
    if (!conn->reading) {
        uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read);
        conn->reading = 1;
    }
}

/* ---- origins ---- */

/* Splits "http://authority/path" into an origin (found or created) and the path.
 * Returns NULL for URLs this transport leaves to libcurl (user info, odd ports). */
static struct http1_origin *origin_for_url(struct http1_client *c, const char *url, const char **path)
{
    const char *auth = url + 7; /* after "http://" */
    size_t alen = strcspn(auth, "/?#");
    *path = auth[alen] == '/' ? auth + alen : (auth[alen] == '?' ? auth + alen : "/");
    size_t plen = 7 + alen;
    for (struct http1_origin *o = c->origins; o != NULL; o = o->next)
        if (o->prefix_len == plen && memcmp(o->prefix, url, plen) == 0)
            return o;

    if (alen == 0 || memchr(auth, '@', alen) != NULL)
        return NULL;
    const char *host = auth, *host_end, *port = NULL;
    if (auth[0] == '[') {
        host_end = memchr(auth, ']', alen);
        if (host_end == NULL)
            return NULL;
        host++;
        if (host_end + 1 < auth + alen) {
            if (host_end[1] != ':')
                return NULL;
            port = host_end + 2;
        }
    } else {
        host_end = memchr(auth, ':', alen);
        if (host_end != NULL)
            port = host_end + 1;
        else
            host_end = auth + alen;
    }
    struct http1_origin *o = util_calloc(1, sizeof(*o));
    h2o_linklist_init_anchor(&o->idle);
    if (port != NULL) {
        size_t n = (size_t)(auth + alen - port);
        long v = 0;
        for (size_t i = 0; i < n; i++) {
            if (port[i] < '0' || port[i] > '9' || i > 4)
                goto unsupported;
            v = v * 10 + (port[i] - '0');
        }
        if (n == 0 || v < 1 || v > 65535)
            goto unsupported;
        snprintf(o->port, sizeof(o->port), "%ld", v);
    } else {
        memcpy(o->port, "80", 3);
    }
    o->hostname = util_strndup(host, (size_t)(host_end - host));
    o->prefix = util_strndup(url, plen);
    o->prefix_len = plen;
    o->host_header = util_strndup(auth, alen);
    struct sockaddr_in *sin = (struct sockaddr_in *)&o->addrs[0];
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&o->addrs[0];
    if (uv_ip4_addr(o->hostname, atoi(o->port), sin) == 0 || uv_ip6_addr(o->hostname, atoi(o->port), sin6) == 0) {
        o->literal = 1;
        o->n_addrs = 1;
        o->addr_expires_ms = UINT64_MAX;
    }
    o->next = c->origins;
    c->origins = o;
    return o;
unsupported:
    free(o);
    return NULL;
}

static void origin_free(struct http1_origin *o)
{
    free(o->prefix);
    free(o->host_header);
    free(o->hostname);
    free(o);
}

static void idle_remove(struct http1_conn *conn)
{
    h2o_linklist_unlink(&conn->idle_link);
    conn->origin->n_idle--;
}

/* ---- calls ---- */

static void call_free(struct http1_call *call)
{
    call->client->stats->calls_active--;
    util_buf_free(&call->request);
    util_buf_free(&call->head);
    free(call);
}

/* Runs around every user callback: afterwards, a call cancelled inside it is freed
 * here (never while its callback is on the stack) and the caller must stop. */
static int call_leave_callback(struct http1_call *call)
{
    if (--call->in_callback == 0 && call->cancelled) {
        call_free(call);
        return 1;
    }
    return call->cancelled;
}

static void conn_detach(struct http1_conn *conn)
{
    if (conn->call != NULL)
        conn->call->conn = NULL;
    conn->call = NULL;
}

/* The answer is complete: pool or close the connection, then report. */
static void call_complete(struct http1_call *call)
{
    struct http1_conn *conn = call->conn;
    if (call->paused) {
        call->complete_while_paused = 1;
        return;
    }
    call->resp = RESP_COMPLETE;
    if (conn != NULL) {
        conn_detach(conn);
        if (call->keep_alive && !conn->writing && !call->client->destroying &&
            conn->origin->n_idle < HTTP1_IDLE_PER_ORIGIN) {
            conn->state = CONN_IDLE;
            h2o_linklist_insert(conn->origin->idle.next, &conn->idle_link);
            conn->origin->n_idle++;
            conn_read_start(conn); /* if the call had paused it: a close while idle must be seen */
            uv_timer_start(&conn->timer, on_conn_timer, HTTP1_IDLE_MS, 0);
        } else {
            conn_close(conn);
        }
    }
    call->finished = 1;
    call->in_callback++;
    call->cb->on_done(&call->base, call->ud, 0, NULL);
    call->in_callback--;
    call_free(call);
}

static void call_fail(struct http1_call *call, int err, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (call->conn != NULL) {
        struct http1_conn *conn = call->conn;
        conn_detach(conn);
        conn_close(conn);
    }
    call->finished = 1;
    call->in_callback++;
    call->cb->on_done(&call->base, call->ud, err, msg);
    call->in_callback--;
    call_free(call);
}

/* The connection broke under the call. A reused connection that broke before any byte of
 * the answer was almost surely closed by the server while idle: send once more on a new one. */
static void call_connection_lost(struct http1_call *call, int uv_err, int reused)
{
    if (reused && !call->got_bytes && !call->resent) {
        call->resent = 1;
        struct http1_conn *old = call->conn;
        conn_detach(old);
        conn_close(old);
        call_attach_new_conn(call);
        return;
    }
    if (uv_err == UV_EOF)
        call_fail(call, WARDEN_EUPSTREAM, "upstream %s closed the connection %s", call->origin->host_header,
                  call->got_bytes ? "before the answer was complete" : "without answering");
    else
        call_fail(call, WARDEN_EUPSTREAM, "upstream %s: %s", call->origin->host_header, uv_strerror(uv_err));
}

/* Reports a failure found where callbacks may not run: from the timer, at once. */
static void call_fail_soon(struct http1_call *call, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void call_fail_soon(struct http1_call *call, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->pending_msg, sizeof(call->pending_msg), fmt, ap);
    va_end(ap);
    call->pending_err = err;
    uv_timer_start(&call->conn->timer, on_conn_timer, 0, 0);
}

static void conn_arm_deadline(struct http1_conn *conn)
{
    struct http1_call *call = conn->call;
    uint64_t d = call->deadline_ms;
    if ((conn->state == CONN_RESOLVING || conn->state == CONN_CONNECTING) && call->connect_deadline_ms != 0 &&
        (d == 0 || call->connect_deadline_ms < d))
        d = call->connect_deadline_ms;
    if (d == 0) {
        uv_timer_stop(&conn->timer);
        return;
    }
    uint64_t now = uv_now(conn->client->loop);
    uv_timer_start(&conn->timer, on_conn_timer, d > now ? d - now : 0, 0);
}

/* ---- the answer ---- */

/* Hands body bytes on. Returns 0 to go on, 1 when the call is gone or paused. */
static int call_deliver(struct http1_call *call, const char *data, size_t len)
{
    if (len == 0)
        return 0;
    call->in_callback++;
    int r = call->cb->on_body(&call->base, call->ud, data, len);
    if (call_leave_callback(call))
        return 1;
    if (r == UPSTREAM_BODY_CANCEL) {
        call->base.ops->cancel(&call->base);
        return 1;
    }
    if (r == UPSTREAM_BODY_PAUSE) {
        call->paused = 1;
        if (call->conn != NULL && call->conn->reading) {
            uv_read_stop((uv_stream_t *)&call->conn->tcp);
            call->conn->reading = 0;
        }
    }
    return 0;
}

/* Takes a parsed head. Returns 0 to go on with the body, 1 when the call is gone. */
static int call_take_head(struct http1_call *call, const struct http1_response_head *h)
{
    call->status = h->status;
    call->keep_alive = h->keep_alive;
    if (h->status == 204 || h->status == 304) {
        call->resp = RESP_BODY_LENGTH;
        call->body_left = 0;
    } else if (h->chunked) {
        call->resp = RESP_BODY_CHUNKED;
        memset(&call->chunked, 0, sizeof(call->chunked));
    } else if (h->content_length >= 0) {
        call->resp = RESP_BODY_LENGTH;
        call->body_left = (uint64_t)h->content_length;
    } else {
        call->resp = RESP_BODY_TO_CLOSE;
    }
    call->in_callback++;
    int r = call->cb->on_head(&call->base, call->ud, h->status, h->headers, h->n_headers);
    if (call_leave_callback(call))
        return 1;
    if (r != 0) {
        call->base.ops->cancel(&call->base);
        return 1;
    }
    return 0;
}

/* Is there an LF LF or LF CR LF in p[from..n)? */
static int head_end_in(const char *p, size_t n, size_t from)
{
    for (const char *q = p + from; (q = memchr(q, '\n', (size_t)(p + n - q))) != NULL; q++) {
        const char *r = q + 1;
        if (r < p + n && *r == '\r')
            r++;
        if (r < p + n && *r == '\n')
            return 1;
    }
    return 0;
}

/* Feeds bytes read from the connection to the call. The bytes are ours to change (the
 * chunked decoder works in place). Returns when they are used up or the call is gone. */
static void call_feed(struct http1_call *call, char *data, size_t len)
{
    int from_head = 0;
    call->got_bytes = 1;
    while (len > 0 || call->resp == RESP_HEAD) {
        switch (call->resp) {
        case RESP_HEAD: {
            /* the head is parsed from the read bytes when it comes whole, else from call->head,
             * which collects it across reads */
            struct http1_response_head h;
            const char *why = NULL;
            char *p = data;
            size_t n = len;
            if (call->head.len > 0 || from_head) {
                if (!from_head && util_buf_append(&call->head, data, len) != 0)
                    goto head_too_big;
                from_head = 1;
                p = call->head.data;
                n = call->head.len;
            }
            if (from_head) {
                /* parse only once the blank line can be there: a head sent a few bytes at a
                 * time would otherwise be rescanned from its start on every read */
                size_t from = call->head_scanned > 2 ? call->head_scanned - 2 : 0;
                call->head_scanned = n;
                if (!head_end_in(p, n, from))
                    return;
            }
            ssize_t used = n > 0 ? http1_parse_response_head(p, n, &h, &why) : 0;
            if (used < 0) {
                call_fail(call, WARDEN_EUPSTREAM, "%s (%s)", why, call->origin->host_header);
                return;
            }
            if (used == 0) {
                if (!from_head && len > 0 && util_buf_append(&call->head, data, len) != 0)
                    goto head_too_big;
                return;
            }
            if (h.status < 200) {
                /* 100 Continue, 103 Early Hints: the final head follows */
                if (from_head) {
                    util_buf_consume(&call->head, (size_t)used);
                    call->head_scanned = 0;
                    if (call->head.len == 0)
                        return;
                } else {
                    data += used;
                    len -= (size_t)used;
                    if (len == 0)
                        return;
                }
                continue;
            }
            /* body bytes that came with the head stay where they are (in data or in the head
             * buffer, which is not touched again until the call ends) */
            data = p + used;
            len = n - (size_t)used;
            if (call_take_head(call, &h))
                return;
            if (call->resp == RESP_BODY_LENGTH && call->body_left == 0) {
                if (len > 0)
                    call->keep_alive = 0; /* bytes past the end: do not trust the connection */
                call_complete(call);
                return;
            }
            break;
        }
        case RESP_BODY_LENGTH: {
            size_t take = len;
            if ((uint64_t)take > call->body_left)
                take = (size_t)call->body_left;
            call->body_left -= take;
            if (call->body_left == 0 && take < len)
                call->keep_alive = 0;
            if (call_deliver(call, data, take))
                return;
            if (call->body_left == 0)
                call_complete(call);
            return;
        }
        case RESP_BODY_CHUNKED: {
            size_t out = 0, used = 0;
            const char *why = NULL;
            int r = http1_chunked_decode(&call->chunked, data, len, &out, &used, &why);
            if (r < 0) {
                if (call_deliver(call, data, out))
                    return;
                call_fail(call, WARDEN_EUPSTREAM, "%s (%s)", why, call->origin->host_header);
                return;
            }
            if (r == 1 && used < len)
                call->keep_alive = 0;
            if (call_deliver(call, data, out))
                return;
            if (r == 1)
                call_complete(call);
            return;
        }
        case RESP_BODY_TO_CLOSE:
            call_deliver(call, data, len);
            return;
        case RESP_COMPLETE:
            return;
        }
    }
    return;
head_too_big:
    call_fail(call, WARDEN_EUPSTREAM, "upstream %s sent a response head over %d bytes", call->origin->host_header,
              HTTP1_HEAD_MAX);
}

/* ---- connections ---- */

/* Drops one of the things that keep a closed connection's memory: its two handles' close
 * callbacks and an outstanding resolver request. */
static void conn_release(struct http1_conn *conn)
{
    if (--conn->handles_pending > 0)
        return;
    struct http1_client *c = conn->client;
    free(conn);
    if (--c->conns_alive == 0 && c->destroying) {
        for (struct http1_origin *o = c->origins, *next; o != NULL; o = next) {
            next = o->next;
            origin_free(o);
        }
        if (c->on_closed != NULL)
            c->on_closed(c->on_closed_arg);
        free(c);
    }
}

static void on_conn_handle_closed(uv_handle_t *h)
{
    conn_release(h->data);
}

static void conn_close(struct http1_conn *conn)
{
    if (conn->state == CONN_CLOSED)
        return;
    struct http1_client *c = conn->client;
    if (conn->state == CONN_IDLE)
        idle_remove(conn);
    conn->state = CONN_CLOSED;
    conn->call = NULL;
    h2o_linklist_unlink(&conn->all_link);
    if (conn->counted) {
        conn->counted = 0;
        c->stats->connections_open--;
    }
    /* a resolver request still out keeps the connection until its callback */
    if (conn->state == CONN_CLOSED && conn->resolving)
        uv_cancel((uv_req_t *)&conn->resolve_req);
    uv_close((uv_handle_t *)&conn->timer, on_conn_handle_closed);
    uv_close((uv_handle_t *)&conn->tcp, on_conn_handle_closed); /* closes the socket now */
}

static void on_conn_timer(uv_timer_t *t)
{
    struct http1_conn *conn = t->data;
    struct http1_call *call = conn->call;
    if (call == NULL) {
        conn_close(conn); /* idle too long */
        return;
    }
    if (call->pending_err) {
        call_fail(call, call->pending_err, "%s", call->pending_msg);
        return;
    }
    uint64_t now = uv_now(conn->client->loop);
    if ((conn->state == CONN_RESOLVING || conn->state == CONN_CONNECTING) && call->connect_deadline_ms != 0 &&
        now >= call->connect_deadline_ms) {
        call_fail(call, WARDEN_ETIMEDOUT, "could not connect to upstream %s within %d ms", call->origin->host_header,
                  call->connect_timeout_ms);
        return;
    }
    if (call->deadline_ms != 0 && now >= call->deadline_ms) {
        call_fail(call, WARDEN_ETIMEDOUT, "upstream %s did not finish within %d ms", call->origin->host_header,
                  call->total_timeout_ms);
        return;
    }
    conn_arm_deadline(conn); /* woke early (the connect deadline moved on) */
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct http1_conn *conn = h->data;
    buf->base = conn->client->read_buf;
    buf->len = sizeof(conn->client->read_buf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct http1_conn *conn = s->data;
    if (nread == 0)
        return;
    struct http1_call *call = conn->call;
    if (call == NULL) {
        /* an idle connection was closed by the server, or sent bytes nobody asked for */
        conn_close(conn);
        return;
    }
    if (nread < 0) {
        if (nread == UV_EOF && call->resp == RESP_BODY_TO_CLOSE) {
            call->keep_alive = 0;
            call_complete(call);
            return;
        }
        call_connection_lost(call, (int)nread, conn->reused);
        return;
    }
    call_feed(call, buf->base, (size_t)nread);
}

static void on_write(uv_write_t *req, int status)
{
    struct http1_conn *conn = req->data;
    conn->writing = 0;
    if (status == 0 || status == UV_ECANCELED || conn->state == CONN_CLOSED)
        return;
    struct http1_call *call = conn->call;
    if (call != NULL && !call->got_bytes)
        call_connection_lost(call, status, conn->reused);
}

static void conn_send(struct http1_conn *conn)
{
    struct http1_call *call = conn->call;
    conn->state = CONN_BUSY;
    conn_arm_deadline(conn);
    uv_buf_t bufs[2] = {uv_buf_init(call->request.data, (unsigned)call->request.len),
                        uv_buf_init((char *)(call->body ? call->body : ""), (unsigned)call->body_len)};
    unsigned nbufs = call->body_len ? 2 : 1;
    /* Most requests fit the socket buffer: write them now. A completed uv_write would also
     * cost an epoll_ctl per request (libuv re-arms the watcher when its write queue drains). */
    int n = uv_try_write((uv_stream_t *)&conn->tcp, bufs, nbufs);
    if (n > 0) {
        size_t left = (size_t)n;
        for (unsigned i = 0; i < nbufs; i++) {
            size_t take = left < bufs[i].len ? left : bufs[i].len;
            bufs[i].base += take;
            bufs[i].len -= take;
            left -= take;
        }
        if (bufs[nbufs - 1].len == 0) {
            conn_read_start(conn);
            return;
        }
    }
    /* the rest, or everything after an error (uv_write reports it through on_write) */
    conn->write_req.data = conn;
    int rc = uv_write(&conn->write_req, (uv_stream_t *)&conn->tcp, bufs, nbufs, on_write);
    if (rc != 0) {
        call_fail_soon(call, WARDEN_EUPSTREAM, "upstream %s: %s", call->origin->host_header, uv_strerror(rc));
        return;
    }
    conn->writing = 1;
    conn_read_start(conn);
}

static void on_connect(uv_connect_t *req, int status)
{
    struct http1_conn *conn = req->data;
    if (conn->state == CONN_CLOSED)
        return;
    struct http1_call *call = conn->call;
    struct http1_origin *o = call->origin;
    if (status != 0) {
        if (call->addr_tries + 1 < o->n_addrs) {
            /* a name with several addresses (::1 and 127.0.0.1 for localhost): try the next */
            call->addr_tries++;
            conn_detach(conn);
            conn_close(conn);
            call_attach_new_conn(call);
            return;
        }
        call_fail(call, WARDEN_EUPSTREAM, "could not connect to upstream %s: %s", o->host_header, uv_strerror(status));
        return;
    }
    o->addr_good = conn->addr_index;
    uv_tcp_nodelay(&conn->tcp, 1);
    uv_tcp_keepalive(&conn->tcp, 1, 60);
    conn_send(conn);
}

static void conn_connect(struct http1_conn *conn)
{
    struct http1_call *call = conn->call;
    struct http1_origin *o = conn->origin;
    conn->state = CONN_CONNECTING;
    conn->connect_req.data = conn;
    conn->addr_index = (o->addr_good + call->addr_tries) % o->n_addrs;
    int rc = uv_tcp_connect(&conn->connect_req, &conn->tcp, (const struct sockaddr *)&o->addrs[conn->addr_index], on_connect);
    if (rc != 0) {
        call_fail_soon(call, WARDEN_EUPSTREAM, "could not connect to upstream %s: %s", call->origin->host_header,
                       uv_strerror(rc));
        return;
    }
    conn->counted = 1;
    conn->client->stats->connections_opened++;
    conn->client->stats->connections_open++;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct http1_conn *conn = req->data;
    conn->resolving = 0;
    if (conn->state == CONN_CLOSED) {
        uv_freeaddrinfo(res);
        conn_release(conn); /* the resolver's share */
        return;
    }
    conn->handles_pending--;
    struct http1_call *call = conn->call;
    if (status != 0 || res == NULL) {
        uv_freeaddrinfo(res);
        call_fail(call, WARDEN_EUPSTREAM, "could not resolve upstream host %s: %s", call->origin->hostname,
                  uv_strerror(status));
        return;
    }
    struct http1_origin *o = conn->origin;
    o->n_addrs = 0;
    o->addr_good = 0;
    for (struct addrinfo *ai = res; ai != NULL && o->n_addrs < HTTP1_ADDRS_MAX; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(o->addrs[0]) || (ai->ai_family != AF_INET && ai->ai_family != AF_INET6))
            continue;
        memset(&o->addrs[o->n_addrs], 0, sizeof(o->addrs[0]));
        memcpy(&o->addrs[o->n_addrs++], ai->ai_addr, ai->ai_addrlen);
    }
    uv_freeaddrinfo(res);
    if (o->n_addrs == 0) {
        call_fail(call, WARDEN_EUPSTREAM, "upstream host %s has no IPv4 or IPv6 address", o->hostname);
        return;
    }
    o->addr_expires_ms = uv_now(conn->client->loop) + HTTP1_RESOLVE_TTL_MS;
    conn_connect(conn);
}

/* A new connection for the call: resolve if needed, then connect. */
static void call_attach_new_conn(struct http1_call *call)
{
    struct http1_client *c = call->client;
    struct http1_conn *conn = util_calloc(1, sizeof(*conn));
    conn->client = c;
    conn->origin = call->origin;
    conn->call = call;
    call->conn = conn;
    uv_tcp_init(c->loop, &conn->tcp);
    uv_timer_init(c->loop, &conn->timer);
    conn->tcp.data = conn;
    conn->timer.data = conn;
    conn->handles_pending = 2;
    c->conns_alive++;
    h2o_linklist_insert(&c->conns, &conn->all_link);

    struct http1_origin *o = call->origin;
    if (o->addr_expires_ms > uv_now(c->loop)) {
        conn_connect(conn);
        conn_arm_deadline(conn);
        return;
    }
    conn->state = CONN_RESOLVING;
    conn_arm_deadline(conn);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    conn->resolve_req.data = conn;
    int rc = uv_getaddrinfo(c->loop, &conn->resolve_req, on_resolved, o->hostname, o->port, &hints);
    if (rc != 0) {
        call_fail_soon(call, WARDEN_EUPSTREAM, "could not resolve upstream host %s: %s", o->hostname, uv_strerror(rc));
        return;
    }
    conn->handles_pending++;
    conn->resolving = 1;
}

/* ---- the transport ---- */

struct http1_client *http1_client_create(uv_loop_t *loop, struct upstream_client_stats *stats)
{
    struct http1_client *c = util_calloc(1, sizeof(*c));
    h2o_linklist_init_anchor(&c->conns);
    c->loop = loop;
    c->stats = stats;
    return c;
}

void http1_client_destroy(struct http1_client *c, upstream_transport_closed_cb on_closed, void *arg)
{
    c->destroying = 1;
    c->on_closed = on_closed;
    c->on_closed_arg = arg;
    while (!h2o_linklist_is_empty(&c->conns)) {
        struct http1_conn *conn = H2O_STRUCT_FROM_MEMBER(struct http1_conn, all_link, c->conns.next);
        struct http1_call *call = conn->call;
        if (call != NULL) {
            conn_detach(conn);
            call->cancelled = 1;
            if (call->in_callback == 0)
                call_free(call);
        }
        conn_close(conn);
    }
    if (c->conns_alive == 0) {
        for (struct http1_origin *o = c->origins, *next; o != NULL; o = next) {
            next = o->next;
            origin_free(o);
        }
        if (on_closed != NULL)
            on_closed(arg);
        free(c);
    }
}

/* Appends the caller's "Name: value" lines, with libcurl's conventions: "Name:" with no value
 * removes a header (there is nothing to remove here, so it is skipped), "Name;" sends it empty.
 * Lines with CR or LF are dropped: they would split the request. Accept-Encoding is
 * dropped too: the request always asks for identity (build_request). */
static int append_header_lines(struct util_buf *b, const char *const *lines, int *has_host)
{
    for (const char *const *h = lines; h != NULL && *h != NULL; h++) {
        const char *line = *h;
        size_t n = strlen(line);
        if (n == 0 || memchr(line, '\r', n) != NULL || memchr(line, '\n', n) != NULL)
            continue;
        const char *colon = memchr(line, ':', n);
        if (colon == NULL) {
            if (line[n - 1] == ';' && !(n == 16 && strncasecmp(line, "accept-encoding", 15) == 0)) {
                if (util_buf_append(b, line, n - 1) || util_buf_append(b, ":\r\n", 3))
                    return -1;
            }
            continue;
        }
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v == '\0')
            continue;
        if (colon - line == 15 && strncasecmp(line, "accept-encoding", 15) == 0)
            continue; /* build_request sends its own */
        if (colon - line == 4 && strncasecmp(line, "host", 4) == 0)
            *has_host = 1;
        if (util_buf_append(b, line, n) || util_buf_append(b, "\r\n", 2))
            return -1;
    }
    return 0;
}

static int build_request(struct http1_call *call, const struct upstream_call_opts *o, const char *path)
{
    struct util_buf *b = &call->request;
    const char *method = o->method ? o->method : "GET";
    int post = strcmp(method, "POST") == 0;
    size_t plen = strcspn(path, "#");
    if (util_buf_append(b, method, strlen(method)) || util_buf_append(b, " /", *path == '/' ? 1 : 2) ||
        util_buf_append(b, path, plen) ||
        util_buf_append(b, " HTTP/1.1\r\n", 11))
        return -1;
    int has_host = 0;
    if (append_header_lines(b, o->headers, &has_host) != 0)
        return -1;
    if (!has_host &&
        (util_buf_append(b, "Host: ", 6) || util_buf_append(b, call->origin->host_header, strlen(call->origin->host_header)) ||
         util_buf_append(b, "\r\n", 2)))
        return -1;
    /* bodies are relayed byte-for-byte and checked as text: never ask for an encoded one */
    if (util_buf_append(b, "Accept-Encoding: identity\r\n", 27) != 0)
        return -1;
    if (post) {
        char num[UTIL_FMT_U64_MAX];
        size_t n = util_fmt_u64(num, o->body_len);
        if (util_buf_append(b, "Content-Length: ", 16) || util_buf_append(b, num, n) || util_buf_append(b, "\r\n", 2))
            return -1;
    }
    if (util_buf_append(b, "\r\n", 2) != 0)
        return -1;
    call->body = post ? o->body : NULL;
    call->body_len = post ? o->body_len : 0;
    return 0;
}

struct upstream_call *http1_client_call_start(struct http1_client *c, const struct upstream_call_opts *o,
                                              const struct upstream_call_callbacks *cb, void *ud, int *unsupported)
{
    *unsupported = 0;
    const char *path;
    struct http1_origin *origin = origin_for_url(c, o->url, &path);
    if (origin == NULL) {
        *unsupported = 1;
        return NULL;
    }
    struct http1_call *call = util_calloc(1, sizeof(*call));
    call->base.ops = &http1_call_ops;
    call->client = c;
    call->cb = cb;
    call->ud = ud;
    call->origin = origin;
    util_buf_init(&call->request, 1024 * 1024);
    util_buf_init(&call->head, HTTP1_HEAD_MAX);
    if (build_request(call, o, path) != 0) {
        util_buf_free(&call->request);
        free(call);
        return NULL;
    }
    uint64_t now = uv_now(c->loop);
    call->connect_timeout_ms = o->connect_timeout_ms;
    call->total_timeout_ms = o->total_timeout_ms;
    call->connect_deadline_ms = o->connect_timeout_ms > 0 ? now + (uint64_t)o->connect_timeout_ms : 0;
    call->deadline_ms = o->total_timeout_ms > 0 ? now + (uint64_t)o->total_timeout_ms : 0;
    c->stats->calls_started++;
    c->stats->calls_active++;

    struct http1_conn *conn =
        h2o_linklist_is_empty(&origin->idle) ? NULL : H2O_STRUCT_FROM_MEMBER(struct http1_conn, idle_link, origin->idle.next);
    if (conn != NULL) {
        idle_remove(conn);
        conn->reused = 1;
        conn->call = call;
        call->conn = conn;
        conn_send(conn);
    } else {
        call_attach_new_conn(call);
    }
    return &call->base;
}

static void http1_call_cancel_op(struct upstream_call *base)
{
    struct http1_call *call = (struct http1_call *)base;
    if (call->cancelled || call->finished)
        return;
    call->cancelled = 1;
    if (call->conn != NULL) {
        /* a half-read answer leaves the connection unusable; closing it is also what tells
         * the provider to stop generating */
        struct http1_conn *conn = call->conn;
        conn_detach(conn);
        conn_close(conn);
    }
    if (call->in_callback == 0)
        call_free(call);
}

static void http1_call_resume_op(struct upstream_call *base)
{
    struct http1_call *call = (struct http1_call *)base;
    if (call->cancelled || call->finished || !call->paused)
        return;
    call->paused = 0;
    if (call->complete_while_paused) {
        call_complete(call);
        return;
    }
    if (call->conn != NULL)
        conn_read_start(call->conn);
}

static int http1_call_status_op(const struct upstream_call *base)
{
    return ((const struct http1_call *)base)->status;
}

static const struct upstream_transport_ops http1_call_ops = {
    .cancel = http1_call_cancel_op,
    .resume = http1_call_resume_op,
    .status = http1_call_status_op,
};
