/* The server: N worker threads, each with its own libuv loop, h2o context,
 * SO_REUSEPORT listener and upstream client; the main thread only waits for
 * signals. A request lives and dies on the worker that accepted it, so the
 * request path takes no locks; the few things shared between workers
 * (metrics counters, target health) are atomics or short mutexes.
 *
 * Order of use: server_create (binds, fails early with a message),
 * server_run (starts the workers, blocks until SIGTERM/SIGINT and the drain
 * have finished), server_destroy. */
#ifndef WARDEN_SERVER_H
#define WARDEN_SERVER_H

#include <h2o.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"
#include "server/keepalive.h"

struct server;
struct upstream_client;
struct metrics;
struct router;
struct guard_env;

/* One event-loop thread. Fields are read-only for other modules. */
struct server_worker {
    h2o_context_t h2o_ctx; /* first: server_worker_from_ctx relies on it */
    int id;
    uv_loop_t loop;
    struct server *server;
    const struct config *cfg;
    struct metrics *metrics;
    struct router *router;
    struct upstream_client *upstream;
    struct guard_env *guards;
    struct api_hangup *hangup;
    struct api_scrub *scrub;      /* secrets kept out of relayed upstream errors */
    struct schema_cache *schemas; /* process-wide compiled-schema cache */
    struct audit_worker *audit;   /* this worker's audit queue; NULL when audit is off */
    uint64_t inflight;          /* requests being handled by this worker */
    int draining;
    /* private */
    h2o_accept_ctx_t _accept_ctx;
    uv_tcp_t _listener;
    int _listen_fd;
    uv_async_t _stop_async;
    uv_timer_t _drain_timer;
    uv_timer_t _drain_check;
    struct keepalive _keepalive; /* idle HTTP/1 connections */
    uv_thread_t _thread;
    h2o_linklist_t _requests; /* live requests (api/ req_ctx.worker_link), for drain and shutdown */
};

static inline struct server_worker *server_worker_from_ctx(h2o_context_t *ctx)
{
    return (struct server_worker *)ctx;
}

struct server *server_create(const struct config *cfg, char *err, size_t errsz);
int server_run(struct server *s);
void server_destroy(struct server *s);

struct metrics_gauges;
void server_collect_gauges(struct server *s, struct metrics_gauges *g);
/* Writes one access-log line (a newline is added). */
void server_access_log_write(struct server_worker *w, const char *line, size_t len);

/* Called by api/ when a worker's last in-flight request ends while draining. */
void server_worker_request_finished(struct server_worker *w);

#endif
