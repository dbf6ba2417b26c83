/* warden-mock entry point: command line, listeners, worker threads, shutdown.
 *
 * Each worker has its own uv loop and its own listening socket bound to the same address with
 * SO_REUSEPORT, so the kernel spreads connections over the workers and no accept lock is needed.
 * The sockets are bound here, before any thread starts, so a busy port fails at once with a clear
 * message. The main thread then waits for SIGINT/SIGTERM (blocked in every thread, taken with
 * sigwait), asks each loop to close everything through a uv_async, joins the workers and frees
 * the shared state, so a leak checker sees a clean exit. */
#include "mock/mock.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/log.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: warden-mock [options]\n"
               "  --listen HOST:PORT        address to listen on (default 127.0.0.1:9000; port 0 picks one)\n"
               "  --workers N               worker threads, each with its own loop (default 1)\n"
               "  --ttft-ms MS              delay before the first byte of chat/embeddings answers (default 0)\n"
               "  --chunks N                SSE content chunks per streamed answer (default 5)\n"
               "  --chunk-interval-ms MS    delay between streamed chunks (default 0)\n"
               "  --content TEXT            reply text (default \"Hello from warden-mock.\")\n"
               "  --chaos RATE              0..1: fraction of requests given a random fault (default 0)\n"
               "  --seed N                  random seed for chaos and fail_rate (default 1)\n"
               "  --quiet                   log nothing but errors\n"
               "Per-request knobs: x-mock-<name> headers or a \"mock\" object in the JSON body (see src/mock/routes.c).\n");
}

static int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_listen(const char *s)
{
    const char *colon = strrchr(s, ':');
    const char *host = s, *port = s;
    size_t host_len = 0;
    if (colon) {
        host_len = (size_t)(colon - s);
        port = colon + 1;
        if (host_len >= 2 && s[0] == '[' && s[host_len - 1] == ']') {
            host++;
            host_len -= 2;
        }
    }
    int64_t p;
    if (parse_i64(port, 0, 65535, &p) != 0 || host_len >= sizeof(mock_opts.host))
        return -1;
    if (host_len) {
        memcpy(mock_opts.host, host, host_len);
        mock_opts.host[host_len] = '\0';
    }
    mock_opts.port = (int)p;
    return 0;
}

static int parse_args(int argc, char **argv)
{
    static const struct option longs[] = {
        {"listen", required_argument, NULL, 'l'},
        {"workers", required_argument, NULL, 'w'},
        {"ttft-ms", required_argument, NULL, 't'},
        {"chunks", required_argument, NULL, 'c'},
        {"chunk-interval-ms", required_argument, NULL, 'i'},
        {"content", required_argument, NULL, 'C'},
        {"chaos", required_argument, NULL, 'x'},
        {"seed", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int o, li = 0;
    int64_t v;
    while ((o = getopt_long(argc, argv, "qh", longs, &li)) != -1) {
        switch (o) {
        case 'l':
            if (parse_listen(optarg) != 0) {
                fprintf(stderr, "warden-mock: bad --listen '%s' (want HOST:PORT)\n", optarg);
                return -1;
            }
            break;
        case 'w':
            if (parse_i64(optarg, 1, 256, &v) != 0)
                goto bad;
            mock_opts.workers = (int)v;
            break;
        case 't':
            if (parse_i64(optarg, 0, 3600000, &mock_opts.ttft_ms) != 0)
                goto bad;
            break;
        case 'c':
            if (parse_i64(optarg, 1, 100000, &mock_opts.chunks) != 0)
                goto bad;
            break;
        case 'i':
            if (parse_i64(optarg, 0, 3600000, &mock_opts.chunk_interval_ms) != 0)
                goto bad;
            break;
        case 'C':
            mock_opts.content = optarg;
            break;
        case 'x': {
            char *end;
            double r = strtod(optarg, &end);
            if (*optarg == '\0' || *end != '\0' || !(r >= 0 && r <= 1))
                goto bad;
            mock_opts.chaos = r;
            break;
        }
        case 's':
            if (parse_i64(optarg, 0, INT64_MAX, &v) != 0)
                goto bad;
            mock_opts.seed = (uint64_t)v;
            break;
        case 'q':
            mock_opts.quiet = 1;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
        continue;
    bad:
        fprintf(stderr, "warden-mock: bad value '%s' for --%s\n", optarg, longs[li].name);
        return -1;
    }
    if (optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* Binds one SO_REUSEPORT socket; fills *port when it was 0. Returns the fd or -1. */
static int bind_listener(const struct sockaddr_storage *addr, socklen_t len)
{
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 || bind(fd, (const struct sockaddr *)addr, len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void on_stop(uv_async_t *a)
{
    struct mock_worker *w = a->data;
    mock_conn_close_all(w);
    uv_close((uv_handle_t *)&w->listener, NULL);
    uv_close((uv_handle_t *)&w->stop, NULL);
}

static void *worker_main(void *arg)
{
    struct mock_worker *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
    return NULL;
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) != 0)
        return 2;
    if (mock_opts.quiet)
        util_log_set_level(UTIL_LOG_WARN);

    struct sockaddr_storage addr;
    socklen_t addr_len;
    memset(&addr, 0, sizeof(addr));
    if (uv_ip4_addr(mock_opts.host, mock_opts.port, (struct sockaddr_in *)&addr) == 0) {
        addr_len = sizeof(struct sockaddr_in);
    } else if (uv_ip6_addr(mock_opts.host, mock_opts.port, (struct sockaddr_in6 *)&addr) == 0) {
        addr_len = sizeof(struct sockaddr_in6);
    } else {
        fprintf(stderr, "warden-mock: '%s' is not an IP address\n", mock_opts.host);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* inherited by the workers; main takes them */

    mock_state_init();
    int nw = mock_opts.workers;
    struct mock_worker *workers = util_calloc((size_t)nw, sizeof(*workers));
    int rc = 0, started = 0;
    for (int i = 0; i < nw; i++) {
        struct mock_worker *w = &workers[i];
        h2o_linklist_init_anchor(&w->conns);
        w->index = i;
        w->rng = (mock_opts.seed + 1) * 0x9e3779b97f4a7c15ull + (uint64_t)i * 0xbf58476d1ce4e5b9ull;
        if (w->rng == 0)
            w->rng = 1;
        util_buf_init(&w->scratch, SIZE_MAX);
        util_buf_init(&w->hdrjson, SIZE_MAX);
        w->listen_fd = bind_listener(&addr, addr_len);
        if (w->listen_fd < 0) {
            fprintf(stderr, "warden-mock: cannot listen on %s:%d: %s\n", mock_opts.host, mock_opts.port, strerror(errno));
            rc = 1;
            break;
        }
        if (i == 0 && mock_opts.port == 0) {
            /* the other workers must share the port the kernel picked */
            socklen_t l = addr_len;
            getsockname(w->listen_fd, (struct sockaddr *)&addr, &l);
            mock_opts.port = ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port
                                                             : ((struct sockaddr_in6 *)&addr)->sin6_port);
        }
        uv_loop_init(&w->loop);
        uv_tcp_init(&w->loop, &w->listener);
        w->listener.data = w;
        uv_async_init(&w->loop, &w->stop, on_stop);
        w->stop.data = w;
        int e = uv_tcp_open(&w->listener, w->listen_fd);
        if (e == 0)
            e = uv_listen((uv_stream_t *)&w->listener, 4096, mock_conn_on_connection);
        if (e != 0) {
            fprintf(stderr, "warden-mock: listen: %s\n", uv_strerror(e));
            uv_close((uv_handle_t *)&w->listener, NULL);
            uv_close((uv_handle_t *)&w->stop, NULL);
            uv_run(&w->loop, UV_RUN_DEFAULT);
            uv_loop_close(&w->loop);
            w->listen_fd = -1;
            rc = 1;
            break;
        }
        started++;
    }

    if (rc == 0) {
        for (int i = 0; i < nw; i++)
            pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
        if (!mock_opts.quiet)
            LOG_INFO("mock", "warden-mock listening on http://%s:%d (%d worker%s)", mock_opts.host, mock_opts.port, nw,
                     nw == 1 ? "" : "s");
        int sig = 0;
        sigwait(&sigs, &sig);
        if (!mock_opts.quiet)
            LOG_INFO("mock", "signal %d: shutting down", sig);
        for (int i = 0; i < nw; i++)
            uv_async_send(&workers[i].stop);
        for (int i = 0; i < nw; i++)
            pthread_join(workers[i].thread, NULL);
    } else {
        /* start-up failed: the loops that were set up have only their two handles */
        for (int i = 0; i < started; i++) {
            uv_close((uv_handle_t *)&workers[i].listener, NULL);
            uv_close((uv_handle_t *)&workers[i].stop, NULL);
            uv_run(&workers[i].loop, UV_RUN_DEFAULT);
        }
    }
    for (int i = 0; i < started; i++)
        uv_loop_close(&workers[i].loop);
    for (int i = 0; i < nw; i++) {
        util_buf_free(&workers[i].scratch);
        util_buf_free(&workers[i].hdrjson);
    }
    free(workers);
    mock_state_free();
    return rc;
}
