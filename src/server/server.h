/* The server: N worker threads, each with its own libuv loop, h2o context,
 * SO_REUSEPORT listener and upstream client; the main thread only waits for
 * signals. A request lives and dies on the worker that accepted it, so the
 * request path takes no locks; the few things shared between workers
 * (metrics counters, target health) are atomics or short mutexes.
 *
 * server/ knows nothing of what the workers serve: the program hands it a
 * struct server_app (routes and per-worker callbacks), so server/ includes no
 * application module (api/) and those may include server.h.
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
struct server_worker;
struct upstream_client;
struct metrics;
struct router;
struct guard_env;

/* What the workers serve, given by the program (src/main.c). register_routes runs once on the
 * main thread in server_create; inflight may run on any thread (/metrics reads every worker);
 * worker_free runs on the main thread once
 * every worker has stopped (so inflight never reads freed memory); the others run on the worker's own thread. app_worker is what worker_init returned. */
struct server_app {
    void (*register_routes)(h2o_hostconf_t *host);
    void *(*worker_init)(struct server_worker *w); /* the app's per-worker state, NULL on failure */
    uint64_t (*inflight)(const void *app_worker);  /* requests being handled by this worker */
    int (*busy)(const void *app_worker);           /* while draining: anything left (requests, checks)? */
    void (*drain)(void *app_worker);               /* the drain time-out passed: end what is left, now */
    void (*worker_stop)(void *app_worker);         /* the loop's last turns: release loop resources */
    void (*worker_free)(void *app_worker);         /* main thread, every worker joined: free the rest */
};

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
    struct schema_cache *schemas; /* process-wide compiled-schema cache */
    struct audit_worker *audit;   /* this worker's audit queue; NULL when audit is off */
    void *app;                    /* what server_app.worker_init returned (api/: struct api_worker) */
    int draining;                 /* set on this worker's thread when SIGTERM arrives */
    int stopped;                  /* the loop was left: h2o's context goes next, answer nothing more */
    /* private */
    h2o_accept_ctx_t _accept_ctx;
    uv_tcp_t _listener;
    int _listen_fd;
    uv_async_t _stop_async;
    uv_timer_t _drain_timer;
    uv_timer_t _drain_check;
    uint64_t _drain_began;       /* uv_now when the drain began (the loop's clock brought up to date) */
    struct keepalive _keepalive; /* idle HTTP/1 connections */
    int _ready;                  /* worker_init ran to its end: every handle above exists */
    uv_thread_t _thread;
};

static inline struct server_worker *server_worker_from_ctx(h2o_context_t *ctx)
{
    return (struct server_worker *)ctx;
}

/* app is kept (not copied): it must outlive the server. */
struct server *server_create(const struct config *cfg, const struct server_app *app, char *err, size_t errsz);
int server_run(struct server *s);
void server_destroy(struct server *s);

struct metrics_gauges;
void server_collect_gauges(struct server *s, struct metrics_gauges *g);
/* Writes one access-log line (a newline is added). */
void server_access_log_write(struct server_worker *w, const char *line, size_t len);

#endif
