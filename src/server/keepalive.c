/* Warden's own idle clock for HTTP/1 connections; the design is in keepalive.h. */
#include "server/keepalive.h"

#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <h2o/http2.h>
#include <h2o/version.h>

#include "util/alloc.h"
#include "util/log.h"

enum conn_phase {
    CONN_BUSY,    /* h2o is not reading: a request is being answered */
    CONN_IDLE,    /* reading, nothing buffered: between requests */
    CONN_PARTIAL, /* reading, part of a request buffered */
};

struct keepalive_conn {
    uv_tcp_t tcp; /* first: the uv close callback gets &tcp */
    h2o_linklist_t link;
    h2o_socket_t *sock; /* NULL until attached; valid while tcp is not closing */
    enum conn_phase phase;
    uint64_t since_ms; /* when the current phase was first seen */
    size_t last_read, last_written;
    int shut; /* shut down once; h2o closes it next */
};

static struct keepalive_conn *conn_of_tcp(uv_tcp_t *tcp)
{
    return (struct keepalive_conn *)tcp;
}

/* h2o switches a connection to HTTP/2 by handing the socket to another conn
 * object; only HTTP/1 conns fill the http1 logging slot. */
static int sock_is_http1(h2o_socket_t *sock)
{
    h2o_conn_t *hc = sock->data;
    return hc != NULL && hc->callbacks != NULL && hc->callbacks->log_.http1.request_index != NULL;
}

/* The head of libh2o 2.2's HTTP/2 connection (struct st_h2o_http2_conn_t in h2o/http2_internal.h,
 * which cannot be included here: it needs klib's khash.h, which libh2o-dev does not install), up to
 * the stream counts; every member's type is public. h2_conn_of reads it only when its sock member
 * points back at the socket it came from, so a layout other than this one reads as "not known". */
struct h2_stream_counts {
    uint32_t open;        /* from a stream's HEADERS to its close */
    uint32_t half_closed; /* from its response's start to its close */
    uint32_t send_body;
};
struct h2_conn_head {
    h2o_conn_t super;
    h2o_socket_t *sock;
    h2o_http2_settings_t peer_settings;
    void *streams;
    struct {
        uint32_t max_open;
        uint32_t max_processed;
    } pull_stream_ids;
    struct {
        uint32_t max_open;
    } push_stream_ids;
    struct {
        struct h2_stream_counts priority, pull, push;
    } num_streams;
};

static const struct h2_conn_head *h2_conn_of(h2o_socket_t *sock)
{
#if H2O_VERSION_MAJOR == 2 && H2O_VERSION_MINOR == 2
    const struct h2_conn_head *h = sock->data;
    if (h != NULL && !sock_is_http1(sock) && h->sock == sock)
        return h;
#endif
    return NULL;
}

static enum conn_phase conn_phase_now(const struct keepalive_conn *c)
{
    if (!h2o_socket_is_reading(c->sock))
        return CONN_BUSY;
    return c->sock->input == NULL || c->sock->input->size == 0 ? CONN_IDLE : CONN_PARTIAL;
}

/* Bytes the kernel holds that h2o has not read yet: an IDLE connection with some is a request
 * arriving (the loop was busy when it came), not an idle one. A system call: the drain's tests
 * only, not the sweep's. */
static int conn_has_unread(const struct keepalive_conn *c)
{
    uv_os_fd_t fd;
    int n = 0;
    return uv_fileno((const uv_handle_t *)&c->tcp, &fd) == 0 && ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

/* Both directions: the client sees the close at once, h2o's read gets end-of-file. */
static void conn_shut(struct keepalive_conn *c)
{
    uv_os_fd_t fd;
    c->shut = 1;
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0)
        shutdown(fd, SHUT_RDWR);
}

/* Attached to h2o, not shut down or closing: h2o's objects behind its socket are there */
static int conn_live(const struct keepalive_conn *c)
{
    return c->sock != NULL && !c->shut && !uv_is_closing((const uv_handle_t *)&c->tcp);
}

static int conn_watchable(const struct keepalive_conn *c)
{
    return conn_live(c) && sock_is_http1(c->sock);
}

static void on_sweep(uv_timer_t *t)
{
    struct keepalive *ka = t->data;
    uint64_t now = uv_now(t->loop);
    for (h2o_linklist_t *n = ka->conns.next; n != &ka->conns; n = n->next) {
        struct keepalive_conn *c = H2O_STRUCT_FROM_MEMBER(struct keepalive_conn, link, n);
        if (!conn_watchable(c))
            continue;
        enum conn_phase ph = conn_phase_now(c);
        int answered = c->sock->bytes_written != c->last_written;
        int read_more = c->sock->bytes_read != c->last_read;
        c->last_written = c->sock->bytes_written;
        c->last_read = c->sock->bytes_read;
        /* a whole request and its answer may fit between two sweeps: any answer
         * restarts the clock; more bytes of a PARTIAL request do not */
        if (ph != c->phase || answered || (ph == CONN_IDLE && read_more)) {
            c->phase = ph;
            c->since_ms = now;
            continue;
        }
        if (ph == CONN_IDLE && now - c->since_ms >= ka->idle_ms) {
            ka->closed_idle++;
            conn_shut(c);
        } else if (ph == CONN_PARTIAL && now - c->since_ms >= ka->header_ms) {
            ka->closed_partial++;
            LOG_DEBUG("server", "closing a connection whose request did not arrive within header_timeout_ms");
            conn_shut(c);
        }
    }
}

void keepalive_init(struct keepalive *ka, uv_loop_t *loop, uint64_t idle_ms, uint64_t header_ms)
{
    ka->idle_ms = idle_ms;
    ka->header_ms = header_ms;
    ka->closed_idle = ka->closed_partial = 0;
    h2o_linklist_init_anchor(&ka->conns);
    uint64_t period = (idle_ms < header_ms ? idle_ms : header_ms) / 10;
    period = period < 5 ? 5 : period > 1000 ? 1000 : period;
    uv_timer_init(loop, &ka->sweep);
    ka->sweep.data = ka;
    uv_timer_start(&ka->sweep, on_sweep, period, period);
    uv_unref((uv_handle_t *)&ka->sweep); /* never keeps the loop alive by itself */
}

uv_tcp_t *keepalive_conn_new(struct keepalive *ka, uv_loop_t *loop)
{
    struct keepalive_conn *c = util_calloc(1, sizeof(*c));
    uv_tcp_init(loop, &c->tcp);
    h2o_linklist_insert(&ka->conns, &c->link);
    c->phase = CONN_IDLE;
    c->since_ms = uv_now(loop);
    return &c->tcp;
}

void keepalive_on_close(uv_handle_t *h)
{
    struct keepalive_conn *c = conn_of_tcp((uv_tcp_t *)h);
    if (h2o_linklist_is_linked(&c->link))
        h2o_linklist_unlink(&c->link);
    free(c);
}

void keepalive_conn_attach(uv_tcp_t *tcp, h2o_socket_t *sock)
{
    struct keepalive_conn *c = conn_of_tcp(tcp);
    c->sock = sock;
    c->last_read = sock->bytes_read;
    c->last_written = sock->bytes_written;
}

void keepalive_close_idle(struct keepalive *ka)
{
    for (h2o_linklist_t *n = ka->conns.next; n != &ka->conns; n = n->next) {
        struct keepalive_conn *c = H2O_STRUCT_FROM_MEMBER(struct keepalive_conn, link, n);
        if (conn_watchable(c) && conn_phase_now(c) == CONN_IDLE && !conn_has_unread(c))
            conn_shut(c);
    }
}

int keepalive_has_partial(const struct keepalive *ka)
{
    for (const h2o_linklist_t *n = ka->conns.next; n != &ka->conns; n = n->next) {
        const struct keepalive_conn *c = H2O_STRUCT_FROM_MEMBER(struct keepalive_conn, link, n);
        if (!conn_watchable(c))
            continue;
        enum conn_phase ph = conn_phase_now(c);
        if (ph == CONN_PARTIAL || (ph == CONN_IDLE && conn_has_unread(c)))
            return 1;
    }
    return 0;
}

int keepalive_h2_has_partial(const struct keepalive *ka)
{
    for (const h2o_linklist_t *n = ka->conns.next; n != &ka->conns; n = n->next) {
        const struct keepalive_conn *c = H2O_STRUCT_FROM_MEMBER(struct keepalive_conn, link, n);
        if (!conn_live(c))
            continue;
        const struct h2_conn_head *h = h2_conn_of(c->sock);
        /* a client stream open and its response not begun: its request is still arriving, or
         * waits for the handler */
        if (h != NULL && h->num_streams.pull.open > h->num_streams.pull.half_closed)
            return 1;
    }
    return 0;
}

void keepalive_stop(struct keepalive *ka)
{
    uv_timer_stop(&ka->sweep);
    if (!uv_is_closing((uv_handle_t *)&ka->sweep))
        uv_close((uv_handle_t *)&ka->sweep, NULL);
}
