/* Warden's own clock for idle HTTP/1 connections.
 *
 * libh2o 2.2.5 has one timer per HTTP/1 connection, http1.req_timeout, armed
 * when the connection starts waiting for a request and removed only once the
 * whole request (head and body) has arrived: it cannot tell "idle between two
 * requests" from "a request is arriving too slowly". Warden sets it to
 * idle_timeout_ms + header_timeout_ms as a backstop and enforces both bounds
 * here, from what h2o's public socket shows:
 *
 *   not reading                  -> BUSY: a request is being answered (no bound here)
 *   reading, nothing buffered    -> IDLE: waiting for the next request (idle_timeout_ms)
 *   reading, bytes buffered      -> PARTIAL: a request has started (header_timeout_ms)
 *
 * A sweep timer samples every connection; a new response written (bytes_written
 * moved) or a change of state restarts the clock, new bytes of a PARTIAL request do
 * not (a slow sender gets header_timeout_ms in all). The bounds hold to within
 * one sweep period (a tenth of the smaller bound, 5 ms to 1 s). A connection
 * over its bound is shut down at the TCP level; h2o sees end-of-file and closes
 * it through its own path, so no h2o object is freed behind its back.
 * HTTP/2 connections are left to h2o's http2.idle_timeout (the drain asks
 * keepalive_h2_has_partial about their streams).
 *
 * Order of use (loop thread only): keepalive_init, then per accepted socket
 * keepalive_conn_new (the uv handle to accept into) and keepalive_conn_attach
 * (once h2o owns the socket); keepalive_close_idle on drain; keepalive_stop
 * before the loop ends. A connection's record is freed by the uv close
 * callback returned by keepalive_conn_new's handle (see keepalive_on_close). */
#ifndef WARDEN_SERVER_KEEPALIVE_H
#define WARDEN_SERVER_KEEPALIVE_H

#include <h2o.h>
#include <stdint.h>
#include <uv.h>

struct keepalive {
    uv_timer_t sweep;
    h2o_linklist_t conns; /* struct keepalive_conn */
    uint64_t idle_ms;
    uint64_t header_ms;
    uint64_t closed_idle;    /* read-only counters */
    uint64_t closed_partial;
};

void keepalive_init(struct keepalive *ka, uv_loop_t *loop, uint64_t idle_ms, uint64_t header_ms);
/* A new, initialised TCP handle to accept into; close it with uv_close(h, keepalive_on_close). */
uv_tcp_t *keepalive_conn_new(struct keepalive *ka, uv_loop_t *loop);
/* The close callback for handles from keepalive_conn_new (also to pass to h2o_uv_socket_create). */
void keepalive_on_close(uv_handle_t *h);
/* Starts watching the connection once h2o owns its socket. */
void keepalive_conn_attach(uv_tcp_t *tcp, h2o_socket_t *sock);
/* Shuts down every HTTP/1 connection that is waiting for a request (drain); one whose next
 * request is in the kernel, not read yet (the loop was busy), is not waiting. */
void keepalive_close_idle(struct keepalive *ka);
/* Whether some HTTP/1 connection holds part of a request (PARTIAL, or bytes in the kernel h2o has
 * not read): the drain waits for it to arrive (and be refused or answered) rather than drop it,
 * within header_timeout_ms. */
int keepalive_has_partial(const struct keepalive *ka);
/* Whether some HTTP/2 connection has a stream whose request has not all arrived (its HEADERS
 * came before the GOAWAY, its body has not ended) or waits for the handler: the drain waits for it
 * as for a PARTIAL HTTP/1 request (h2o goes on reading the streams its GOAWAY let through). h2o
 * has no clock for it: the caller bounds the wait (libh2o 2.2.5 itself closes such a connection
 * when it sends its second GOAWAY, a second into the drain). 0 where the libh2o in use is not 2.2. */
int keepalive_h2_has_partial(const struct keepalive *ka);
/* Stops the sweep timer and closes it (its memory belongs to the caller). */
void keepalive_stop(struct keepalive *ka);

#endif
