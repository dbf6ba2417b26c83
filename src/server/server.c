/* Server: listeners, worker threads, signals, graceful drain.
 *
 * Each worker binds its own SO_REUSEPORT socket (the kernel spreads
 * connections across them), runs its own libuv loop with an h2o context and
 * an upstream client, and never shares per-request state. The main thread
 * blocks SIGTERM/SIGINT everywhere and waits for them with sigwait(); on a
 * signal every worker stops accepting, asks h2o to close idle connections,
 * and leaves its loop once the application (struct server_app) says nothing
 * is left, or when the drain time-out passes: then app->drain ends what is
 * left at once (requests get a 503, pending async_post checks are cancelled)
 * and the loop is left within a short grace for those answers to go out. */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "audit/audit.h"
#include "guard/engine.h"
#include "schema/schema.h"
#include "server/keepalive.h"
#include "metrics/metrics.h"
#include "upstream/client.h"
#include "upstream/router.h"
#include "util/alloc.h"
#include "util/err.h"
#include "util/log.h"

/* How far over server.max_body_bytes a body is still read whole so that its 413 arrives
 * reliably (see server_create). */
#define BODY_CAP_SLACK (1u << 20)

struct server {
    const struct config *cfg;
    const struct server_app *app;
    h2o_globalconf_t h2o_config;
    struct metrics *metrics;
    struct router *router;
    struct guard_shared *guard_shared;
    struct schema_cache *schemas;
    struct audit *audit; /* NULL when audit is off */
    struct server_worker *workers;
    int n_workers;
    int access_log_fd; /* -1: off */
};

static void raise_nofile_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            LOG_WARN("server", "could not raise RLIMIT_NOFILE: %s", strerror(errno));
    }
}

/* A socket bound to the listen address, not yet listening: bound first so that an address in
 * use is an error before the models load, listening last (server_run) so that no connection
 * waits in the backlog while they do (~0.3 s with the shipped models). */
static int open_listener(const struct config_server *sc, char *err, size_t errsz)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char port[16];
    snprintf(port, sizeof(port), "%d", sc->listen_port);
    int rc = getaddrinfo(sc->listen_host && *sc->listen_host ? sc->listen_host : NULL, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errsz, "listen %s:%d: %s", sc->listen_host, sc->listen_port, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        snprintf(err, errsz, "listen %s:%d: %s", sc->listen_host, sc->listen_port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* SIGTERM / SIGINT wait for server_run's sigwait(): blocked in this thread, and so in every thread
 * it starts (workers, the audit writer, libuv's pool), from server_create on. A signal that comes
 * while the guards compile stays pending and starts the drain as soon as server_run waits, instead
 * of killing the process (exit 143). */
static void block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

struct server *server_create(const struct config *cfg, const struct server_app *app, char *err, size_t errsz)
{
    sigset_t set;
    block_stop_signals(&set);
    raise_nofile_limit();
    struct server *s = util_calloc(1, sizeof(*s));
    s->cfg = cfg;
    s->app = app;
    s->access_log_fd = STDERR_FILENO;
    if (cfg->server.access_log != NULL) {
        if (strcmp(cfg->server.access_log, "off") == 0) {
            s->access_log_fd = -1;
        } else if (strcmp(cfg->server.access_log, "-") != 0) {
            s->access_log_fd = open(cfg->server.access_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (s->access_log_fd < 0) {
                snprintf(err, errsz, "access_log %s: %s", cfg->server.access_log, strerror(errno));
                free(s);
                return NULL;
            }
        }
    }
    s->n_workers = cfg->server.workers > 0 ? cfg->server.workers : 1;
    s->workers = util_calloc((size_t)s->n_workers, sizeof(*s->workers));
    for (int i = 0; i < s->n_workers; i++)
        s->workers[i]._listen_fd = -1;
    for (int i = 0; i < s->n_workers; i++) {
        s->workers[i]._listen_fd = open_listener(&cfg->server, err, errsz);
        if (s->workers[i]._listen_fd < 0) {
            server_destroy(s);
            return NULL;
        }
    }
    s->guard_shared = guard_shared_create(cfg, err, errsz);
    if (s->guard_shared == NULL) {
        server_destroy(s);
        return NULL;
    }
    h2o_config_init(&s->h2o_config);
    /* h2o buffers a request body whole before any handler runs: its cap is what bounds the
     * memory. Past it h2o answers 413 at once and closes with the body still unread, which makes
     * the kernel reset the connection: a client still sending can lose that 413 (libh2o 2.2 has
     * no lingering close). So h2o's cap sits BODY_CAP_SLACK above ours: a body up to that far
     * over is read whole and the handler answers 413 on a connection with nothing left unread;
     * only a body further over gets h2o's early answer (api_register's filter makes it JSON). */
    s->h2o_config.max_request_entity_size = cfg->server.max_body_bytes + BODY_CAP_SLACK;
    /* h2o's only HTTP/1 timer runs from "waiting for a request" to "request complete", idle
     * time included: it is the backstop; keepalive.c enforces the two bounds separately */
    s->h2o_config.http1.req_timeout = (uint64_t)cfg->server.header_timeout_ms + (uint64_t)cfg->server.idle_timeout_ms;
    /* libh2o 2.2.5 has no HTTP/2 rapid-reset mitigation: HTTP/2 (h2c) only when asked for */
    s->h2o_config.http1.upgrade_to_http2 = cfg->server.http2 ? 1 : 0;
    s->h2o_config.http2.idle_timeout = (uint64_t)cfg->server.idle_timeout_ms;
    s->h2o_config.http2.graceful_shutdown_timeout = (uint64_t)cfg->server.drain_timeout_ms;
    s->h2o_config.server_name = h2o_iovec_init(H2O_STRLIT("warden"));
    h2o_hostconf_t *host = h2o_config_register_host(&s->h2o_config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    app->register_routes(host);
    s->metrics = metrics_create(cfg);
    s->router = router_create(cfg);
    s->schemas = schema_cache_create(256);
    s->audit = audit_create(cfg, s->n_workers, err, errsz);
    if (s->audit == NULL && err[0] != '\0') {
        server_destroy(s);
        return NULL;
    }
    return s;
}

void server_collect_gauges(struct server *s, struct metrics_gauges *g)
{
    for (int i = 0; i < s->n_workers; i++) {
        struct server_worker *w = &s->workers[i];
        if (w->app != NULL)
            g->inflight += s->app->inflight(w->app);
        if (w->upstream != NULL) {
            struct upstream_client_stats st;
            upstream_client_get_stats(w->upstream, &st);
            g->upstream_connections_open += st.connections_open;
            g->upstream_connections_opened += st.connections_opened;
        }
    }
    if (s->audit != NULL) {
        struct audit_stats st;
        audit_get_stats(s->audit, &st);
        g->audit_on = 1;
        g->audit_written = st.written;
        g->audit_journaled = st.journaled;
        g->audit_dropped = st.dropped;
        g->audit_journal_bytes = st.journal_bytes;
        g->audit_sink_up = st.sink_up;
    }
}

void server_access_log_write(struct server_worker *w, const char *line, size_t len)
{
    int fd = w->server->access_log_fd;
    if (fd < 0)
        return;
    if (fd == STDERR_FILENO) {
        util_log_raw(line, len);
        return;
    }
    struct iovec iov[2] = {{(void *)line, len}, {"\n", 1}};
    ssize_t r = writev(fd, iov, 2);
    (void)r;
}

/* ---- workers ---- */

static void on_accept(uv_stream_t *listener, int status)
{
    struct server_worker *w = listener->data;
    if (status != 0)
        return;
    uv_tcp_t *conn = keepalive_conn_new(&w->_keepalive, &w->loop);
    if (uv_accept(listener, (uv_stream_t *)conn) != 0) {
        uv_close((uv_handle_t *)conn, keepalive_on_close);
        return;
    }
    uv_tcp_nodelay(conn, 1);
    h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)conn, keepalive_on_close);
    keepalive_conn_attach(conn, sock);
    h2o_accept(&w->_accept_ctx, sock);
}

static void worker_leave_loop(struct server_worker *w)
{
    uv_timer_stop(&w->_drain_timer);
    uv_timer_stop(&w->_drain_check);
    uv_stop(&w->loop);
}

/* While draining: leave once no request and no async_post check is left, and no connection is
 * still receiving one (its client sent part of it before the drain began: it gets an answer, not
 * a closed connection). The keep-alive sweep bounds how long an HTTP/1 request may take; HTTP/2
 * streams get header_timeout_ms from the drain's start. */
static void on_drain_check(uv_timer_t *t)
{
    struct server_worker *w = t->data;
    if (w->server->app->busy(w->app) || keepalive_has_partial(&w->_keepalive))
        return;
    if (uv_now(&w->loop) - w->_drain_began < (uint64_t)w->cfg->server.header_timeout_ms &&
        keepalive_h2_has_partial(&w->_keepalive))
        return;
    worker_leave_loop(w);
}

/* The drain time-out's grace period is over: leave, whatever is left. */
static void on_drain_grace_over(uv_timer_t *t)
{
    worker_leave_loop(t->data);
}

static void on_drain_timeout(uv_timer_t *t)
{
    struct server_worker *w = t->data;
    LOG_WARN("server", "worker %d: drain time-out with %llu requests in flight; ending them", w->id,
             (unsigned long long)w->server->app->inflight(w->app));
    w->server->app->drain(w->app);
    /* give the error responses a moment to be written, then leave */
    uv_timer_start(&w->_drain_timer, on_drain_grace_over, 200, 0);
}

static void on_stop_request(uv_async_t *a)
{
    struct server_worker *w = a->data;
    if (w->draining)
        return;
    w->draining = 1;
    /* the loop's clock is the time its iteration began: a loop busy since then would take as much
     * from the HTTP/2 streams' wait (header_timeout_ms, and h2o's one second before its second
     * GOAWAY, counted on the same clock) */
    uv_update_time(&w->loop);
    w->_drain_began = uv_now(&w->loop);
    uv_close((uv_handle_t *)&w->_listener, NULL);
    h2o_context_request_shutdown(&w->h2o_ctx);
    keepalive_close_idle(&w->_keepalive); /* h2o 2.2.5 leaves idle HTTP/1 connections open on shutdown */
    uv_timer_start(&w->_drain_check, on_drain_check, 0, 5);
    uv_timer_start(&w->_drain_timer, on_drain_timeout, (uint64_t)w->cfg->server.drain_timeout_ms, 0);
}

/* Idle keep-alive connections sit on h2o's request/idle time-outs; h2o_context_dispose
 * requires those lists empty. Expire them now so h2o closes the connections itself. */
static void expire_idle_connections(struct server_worker *w)
{
    h2o_timeout_t *ts[] = {&w->h2o_ctx.zero_timeout,         &w->h2o_ctx.one_sec_timeout,
                           &w->h2o_ctx.hundred_ms_timeout,   &w->h2o_ctx.handshake_timeout,
                           &w->h2o_ctx.http1.req_timeout,    &w->h2o_ctx.http2.idle_timeout,
                           &w->h2o_ctx.http2.graceful_shutdown_timeout, &w->h2o_ctx.proxy.io_timeout};
    for (int round = 0; round < 20; round++) {
        int pending = 0;
        for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
            if (h2o_linklist_is_empty(&ts[i]->_entries))
                continue;
            pending = 1;
            ts[i]->timeout = 0;
            h2o_timeout_run(&w->loop, ts[i], UINT64_MAX / 2);
        }
        if (!pending)
            break;
        uv_run(&w->loop, UV_RUN_NOWAIT);
    }
}

static void close_walk_cb(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Releases a worker's objects and closes every handle on its loop, then runs the loop until their
 * close callbacks ran (server_destroy closes the loop itself). On the worker's thread once its loop
 * was left (ran: cancel what remains first), or on the main thread for a worker whose thread never
 * started, start-up having failed after worker_init began on it: then only what worker_init made
 * is there (w->_ready: all of it). */
static void worker_shutdown(struct server_worker *w, int ran)
{
    const struct server_app *app = w->server->app;
    w->stopped = 1;
    if (ran) {
        app->drain(w->app);
        uv_run(&w->loop, UV_RUN_NOWAIT);
    }
    guard_env_destroy(w->guards);
    w->guards = NULL;
    upstream_client_destroy(w->upstream);
    w->upstream = NULL;
    if (w->app != NULL)
        app->worker_stop(w->app);
    if (w->_ready) {
        if (!uv_is_closing((uv_handle_t *)&w->_stop_async))
            uv_close((uv_handle_t *)&w->_stop_async, NULL);
        if (!uv_is_closing((uv_handle_t *)&w->_drain_timer))
            uv_close((uv_handle_t *)&w->_drain_timer, NULL);
        if (!uv_is_closing((uv_handle_t *)&w->_drain_check))
            uv_close((uv_handle_t *)&w->_drain_check, NULL);
        keepalive_stop(&w->_keepalive);
    }
    for (int i = 0; i < 50 && uv_run(&w->loop, UV_RUN_NOWAIT) != 0; i++)
        ;
    expire_idle_connections(w);
    for (int i = 0; i < 50 && uv_run(&w->loop, UV_RUN_NOWAIT) != 0; i++)
        ;
    h2o_context_dispose(&w->h2o_ctx);
    uv_walk(&w->loop, close_walk_cb, NULL); /* the listener, the app's handles */
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

static void worker_main(void *arg)
{
    struct server_worker *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
    worker_shutdown(w, 1);
}

/* Start-up failed before any worker thread started: shut down the workers worker_init began on
 * (their loop and h2o context exist), so nothing they hold is left behind. */
static void workers_unwind(struct server *s)
{
    for (int i = 0; i < s->n_workers; i++)
        if (s->workers[i].h2o_ctx.loop != NULL)
            worker_shutdown(&s->workers[i], 0);
}

static int worker_init(struct server *s, struct server_worker *w, int id, char *err, size_t errsz)
{
    w->id = id;
    w->server = s;
    w->cfg = s->cfg;
    w->metrics = s->metrics;
    w->router = s->router;
    w->schemas = s->schemas;
    w->audit = audit_worker_get(s->audit, id);
    int rc = uv_loop_init(&w->loop);
    if (rc != 0) { /* no loop (EMFILE: its epoll fd): nothing for workers_unwind to shut down */
        snprintf(err, errsz, "worker %d: could not create its event loop: %s", id, uv_strerror(rc));
        return -1;
    }
    /* the loop's async watcher (an eventfd) before h2o_context_init, whose uv_async_init does
     * not say when it fails: then the loop has its own, and h2o's cannot fail */
    rc = uv_async_init(&w->loop, &w->_stop_async, on_stop_request);
    if (rc != 0) {
        uv_loop_close(&w->loop);
        snprintf(err, errsz, "worker %d: could not create its event loop: %s", id, uv_strerror(rc));
        return -1;
    }
    w->_stop_async.data = w;
    h2o_context_init(&w->h2o_ctx, &w->loop, &s->h2o_config);
    w->_accept_ctx.ctx = &w->h2o_ctx;
    w->_accept_ctx.hosts = s->h2o_config.hosts;
    w->upstream = upstream_client_create(&w->loop, (enum upstream_transport_choice)s->cfg->server.upstream_transport);
    if (w->upstream == NULL) {
        snprintf(err, errsz, "worker %d: could not create the upstream client", id);
        return -1;
    }
    w->guards = guard_env_create(s->guard_shared, &w->loop, w->upstream, s->metrics);
    w->app = s->app->worker_init(w);
    if (w->app == NULL) {
        snprintf(err, errsz, "worker %d: could not start the API", id);
        return -1;
    }
    uv_tcp_init(&w->loop, &w->_listener);
    w->_listener.data = w;
    if (uv_tcp_open(&w->_listener, w->_listen_fd) != 0) {
        snprintf(err, errsz, "worker %d: could not listen", id);
        return -1;
    }
    w->_listen_fd = -1; /* owned by the uv handle now; it listens once every worker is ready */
    uv_timer_init(&w->loop, &w->_drain_timer);
    w->_drain_timer.data = w;
    uv_timer_init(&w->loop, &w->_drain_check);
    w->_drain_check.data = w;
    keepalive_init(&w->_keepalive, &w->loop, (uint64_t)s->cfg->server.idle_timeout_ms, (uint64_t)s->cfg->server.header_timeout_ms);
    w->_ready = 1;
    return 0;
}

int server_run(struct server *s)
{
    sigset_t set;
    block_stop_signals(&set);
    signal(SIGPIPE, SIG_IGN);

    char err[256];
    if (s->audit != NULL && audit_start(s->audit) != 0) {
        LOG_ERROR("server", "could not start the audit writer");
        return -1;
    }
    for (int i = 0; i < s->n_workers; i++) {
        if (worker_init(s, &s->workers[i], i, err, sizeof(err)) != 0) {
            LOG_ERROR("server", "%s", err);
            workers_unwind(s);
            return -1;
        }
    }
    for (int i = 0; i < s->n_workers; i++) {
        int rc = uv_listen((uv_stream_t *)&s->workers[i]._listener, 4096, on_accept);
        if (rc != 0) {
            LOG_ERROR("server", "listen %s:%d: %s", s->cfg->server.listen_host, s->cfg->server.listen_port, uv_strerror(rc));
            workers_unwind(s);
            return -1;
        }
    }
    for (int i = 0; i < s->n_workers; i++)
        uv_thread_create(&s->workers[i]._thread, worker_main, &s->workers[i]);
    LOG_INFO("server", "listening on %s:%d with %d worker%s", s->cfg->server.listen_host, s->cfg->server.listen_port,
             s->n_workers, s->n_workers == 1 ? "" : "s");

    int sig = 0;
    sigwait(&set, &sig);
    LOG_INFO("server", "%s: draining (up to %d ms)", sig == SIGTERM ? "SIGTERM" : "SIGINT", s->cfg->server.drain_timeout_ms);
    for (int i = 0; i < s->n_workers; i++)
        uv_async_send(&s->workers[i]._stop_async);
    for (int i = 0; i < s->n_workers; i++)
        uv_thread_join(&s->workers[i]._thread);
    audit_stop(s->audit); /* the workers are gone: drain their queues and the journal */
    LOG_INFO("server", "stopped");
    return 0;
}

void server_destroy(struct server *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->n_workers; i++) {
        struct server_worker *w = &s->workers[i];
        if (w->app != NULL)
            s->app->worker_free(w->app);
        if (w->_listen_fd >= 0)
            close(w->_listen_fd);
        if (w->upstream != NULL || w->h2o_ctx.loop != NULL)
            uv_loop_close(&w->loop);
    }
    free(s->workers);
    if (s->h2o_config.hosts != NULL)
        h2o_config_dispose(&s->h2o_config);
    guard_shared_destroy(s->guard_shared);
    if (s->schemas)
        schema_cache_destroy(s->schemas);
    audit_destroy(s->audit);
    metrics_destroy(s->metrics);
    router_destroy(s->router);
    if (s->access_log_fd > STDERR_FILENO)
        close(s->access_log_fd);
    free(s);
}
