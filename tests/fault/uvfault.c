/* A fault injector for the integration tests, preloaded into warden (LD_PRELOAD): libuv calls
 * that fail on demand, so the branches that handle libuv's refusal run in a real process
 * (tests/integration/test_pool_refused.sh). Not part of the product.
 *
 *   WARDEN_FAULT_QUEUE_WORK=N  every N-th uv_queue_work call fails with UV_EINVAL (1: every call)
 *   WARDEN_FAULT_LISTEN=N      the N-th uv_listen call fails with UV_EADDRINUSE, after its bind
 *                              succeeded (2: the second worker's, once the first one listens)
 *   WARDEN_FAULT_TCP_OPEN=N    the N-th uv_tcp_open call fails with UV_EBADF (2: the second
 *                              worker's start-up fails half-way, the first one's was complete)
 *
 * Unset or 0, a call goes to libuv's own function. Each refusal writes one line to stderr
 * ("uvfault: uv_queue_work refused (call K)"), so a test can tell that the branch it means
 * was reached. */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

typedef int (*queue_work_fn)(uv_loop_t *, uv_work_t *, uv_work_cb, uv_after_work_cb);
typedef int (*listen_fn)(uv_stream_t *, int, uv_connection_cb);
typedef int (*tcp_open_fn)(uv_tcp_t *, uv_os_sock_t);

static long env_long(const char *name)
{
    const char *v = getenv(name);
    return v != NULL ? atol(v) : 0;
}

/* libuv's own symbol (the next one after this library's) */
static void *real_symbol(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (f == NULL) {
        fprintf(stderr, "uvfault: %s not found: %s\n", name, dlerror());
        abort();
    }
    return f;
}

/* Does this call fail? calls: the function's count so far; var: its variable (N); every: fail every
 * N-th call, else the N-th only. A refusal is logged. */
static int refuse(atomic_long *calls, const char *var, int every, const char *fn)
{
    long n = env_long(var), k = atomic_fetch_add(calls, 1) + 1;
    if (n <= 0 || (every ? k % n != 0 : k != n))
        return 0;
    fprintf(stderr, "uvfault: %s refused (call %ld)\n", fn, k);
    return 1;
}

int uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb, uv_after_work_cb after_work_cb)
{
    static atomic_long calls;
    if (refuse(&calls, "WARDEN_FAULT_QUEUE_WORK", 1, "uv_queue_work"))
        return UV_EINVAL;
    queue_work_fn real;
    *(void **)&real = real_symbol("uv_queue_work");
    return real(loop, req, work_cb, after_work_cb);
}

int uv_listen(uv_stream_t *stream, int backlog, uv_connection_cb cb)
{
    static atomic_long calls;
    if (refuse(&calls, "WARDEN_FAULT_LISTEN", 0, "uv_listen"))
        return UV_EADDRINUSE;
    listen_fn real;
    *(void **)&real = real_symbol("uv_listen");
    return real(stream, backlog, cb);
}

int uv_tcp_open(uv_tcp_t *handle, uv_os_sock_t sock)
{
    static atomic_long calls;
    if (refuse(&calls, "WARDEN_FAULT_TCP_OPEN", 0, "uv_tcp_open"))
        return UV_EBADF;
    tcp_open_fn real;
    *(void **)&real = real_symbol("uv_tcp_open");
    return real(handle, sock);
}
