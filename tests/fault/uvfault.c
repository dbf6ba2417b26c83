/* A fault injector for the integration tests, preloaded into warden (LD_PRELOAD): libuv calls
 * that fail on demand, so the branches that handle libuv's refusal, or a connection's death, run in a
 * real process (tests/integration/test_pool_refused.sh, test_conn_faults.sh). Not part of the product.
 *
 *   WARDEN_FAULT_QUEUE_WORK=N  every N-th uv_queue_work call fails with UV_EINVAL (1: every call)
 *   WARDEN_FAULT_CANCEL_WORK=N every N-th job queued is cancelled as uv_cancel would (its work never
 *                              runs; its after-work callback gets UV_ECANCELED), counted among the
 *                              calls that WARDEN_FAULT_QUEUE_WORK did not refuse
 *   WARDEN_FAULT_LISTEN=N      the N-th uv_listen call fails with UV_EADDRINUSE, after its bind
 *                              succeeded (2: the second worker's, once the first one listens)
 *   WARDEN_FAULT_TCP_OPEN=N    the N-th uv_tcp_open call fails with UV_EBADF (2: the second
 *                              worker's start-up fails half-way, the first one's was complete)
 *   WARDEN_FAULT_WRITE=N       at every N-th uv_write or uv_try_write call (h2o's to the clients,
 *                              the upstream client's) the connection dies first (shutdown(2) of
 *                              both directions): the write fails as it would on a reset, with
 *                              UV_EPIPE (uv_try_write at once, uv_write through its callback), and
 *                              the reads see the end of the stream
 *   WARDEN_FAULT_STALL_ASYNC_MS=N the first callback of each uv_async_t waits N ms before its own
 *                              code runs (the loop busy elsewhere when the drain's stop request
 *                              comes: what clients send meanwhile waits unread in the kernel)
 *
 * Unset or 0, a call goes to libuv's own function. Each fault writes one line to stderr
 * ("uvfault: uv_queue_work refused (call K)", "uvfault: uv_queue_work job cancelled (call K)"), so
 * a test can tell that the branch it means was reached. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

typedef int (*queue_work_fn)(uv_loop_t *, uv_work_t *, uv_work_cb, uv_after_work_cb);
typedef int (*listen_fn)(uv_stream_t *, int, uv_connection_cb);
typedef int (*tcp_open_fn)(uv_tcp_t *, uv_os_sock_t);
typedef int (*write_fn)(uv_write_t *, uv_stream_t *, const uv_buf_t[], unsigned int, uv_write_cb);
typedef int (*try_write_fn)(uv_stream_t *, const uv_buf_t[], unsigned int);
typedef int (*async_init_fn)(uv_loop_t *, uv_async_t *, uv_async_cb);

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
 * N-th call, else the N-th only. A failure is logged as what ("uv_listen refused"). */
static int refuse(atomic_long *calls, const char *var, int every, const char *what)
{
    long n = env_long(var), k = atomic_fetch_add(calls, 1) + 1;
    if (n <= 0 || (every ? k % n != 0 : k != n))
        return 0;
    fprintf(stderr, "uvfault: %s (call %ld)\n", what, k);
    return 1;
}

/* The jobs cancelled: their own after-work callbacks, by request, until the loop runs them */
#define CANCELLED_MAX 4096
static pthread_mutex_t cancelled_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    uv_work_t *req;
    uv_after_work_cb after;
} cancelled[CANCELLED_MAX];

static void cancelled_work(uv_work_t *req)
{
    (void)req; /* never started, as for a job uv_cancel took off the queue */
}

static void cancelled_after_work(uv_work_t *req, int status)
{
    (void)status;
    uv_after_work_cb after = NULL;
    pthread_mutex_lock(&cancelled_lock);
    for (int i = 0; i < CANCELLED_MAX && after == NULL; i++)
        if (cancelled[i].req == req) {
            after = cancelled[i].after;
            cancelled[i].req = NULL;
        }
    pthread_mutex_unlock(&cancelled_lock);
    if (after == NULL)
        abort(); /* a job the shim did not queue */
    after(req, UV_ECANCELED);
}

/* Remembers req's after-work callback; 0 when the table is full (the job then runs as usual) */
static int cancelled_add(uv_work_t *req, uv_after_work_cb after)
{
    int added = 0;
    pthread_mutex_lock(&cancelled_lock);
    for (int i = 0; i < CANCELLED_MAX && !added; i++)
        if (cancelled[i].req == NULL) {
            cancelled[i].req = req;
            cancelled[i].after = after;
            added = 1;
        }
    pthread_mutex_unlock(&cancelled_lock);
    return added;
}

int uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb, uv_after_work_cb after_work_cb)
{
    static atomic_long calls, queued;
    if (refuse(&calls, "WARDEN_FAULT_QUEUE_WORK", 1, "uv_queue_work refused"))
        return UV_EINVAL;
    queue_work_fn real;
    *(void **)&real = real_symbol("uv_queue_work");
    if (after_work_cb != NULL && refuse(&queued, "WARDEN_FAULT_CANCEL_WORK", 1, "uv_queue_work job cancelled") &&
        cancelled_add(req, after_work_cb))
        return real(loop, req, cancelled_work, cancelled_after_work);
    return real(loop, req, work_cb, after_work_cb);
}

int uv_listen(uv_stream_t *stream, int backlog, uv_connection_cb cb)
{
    static atomic_long calls;
    if (refuse(&calls, "WARDEN_FAULT_LISTEN", 0, "uv_listen refused"))
        return UV_EADDRINUSE;
    listen_fn real;
    *(void **)&real = real_symbol("uv_listen");
    return real(stream, backlog, cb);
}

int uv_tcp_open(uv_tcp_t *handle, uv_os_sock_t sock)
{
    static atomic_long calls;
    if (refuse(&calls, "WARDEN_FAULT_TCP_OPEN", 0, "uv_tcp_open refused"))
        return UV_EBADF;
    tcp_open_fn real;
    *(void **)&real = real_symbol("uv_tcp_open");
    return real(handle, sock);
}

/* uv_write and uv_try_write share one count: at the N-th write of either kind the connection
 * dies, then libuv's own function runs and meets the dead socket */
static atomic_long write_calls;

static void connection_dies(uv_stream_t *handle, const char *what)
{
    uv_os_fd_t fd;
    if (refuse(&write_calls, "WARDEN_FAULT_WRITE", 1, what) && uv_fileno((uv_handle_t *)handle, &fd) == 0)
        shutdown(fd, SHUT_RDWR);
}

int uv_write(uv_write_t *req, uv_stream_t *handle, const uv_buf_t bufs[], unsigned int nbufs, uv_write_cb cb)
{
    connection_dies(handle, "uv_write: the connection died");
    write_fn real;
    *(void **)&real = real_symbol("uv_write");
    return real(req, handle, bufs, nbufs, cb);
}

int uv_try_write(uv_stream_t *handle, const uv_buf_t bufs[], unsigned int nbufs)
{
    connection_dies(handle, "uv_try_write: the connection died");
    try_write_fn real;
    *(void **)&real = real_symbol("uv_try_write");
    return real(handle, bufs, nbufs);
}

/* The async handles whose first callback is stalled, with their own callbacks */
#define STALLED_MAX 64
static pthread_mutex_t stalled_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    uv_async_t *handle;
    uv_async_cb cb;
    int fired;
} stalled[STALLED_MAX];

static void stalled_async(uv_async_t *handle)
{
    uv_async_cb cb = NULL;
    int first = 0;
    pthread_mutex_lock(&stalled_lock);
    for (int i = 0; i < STALLED_MAX && cb == NULL; i++)
        if (stalled[i].handle == handle) {
            cb = stalled[i].cb;
            first = !stalled[i].fired;
            stalled[i].fired = 1;
        }
    pthread_mutex_unlock(&stalled_lock);
    if (cb == NULL)
        abort(); /* a handle the shim did not set up */
    if (first) {
        long ms = env_long("WARDEN_FAULT_STALL_ASYNC_MS");
        fprintf(stderr, "uvfault: async callback stalled %ld ms\n", ms);
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0) {
        }
    }
    cb(handle);
}

int uv_async_init(uv_loop_t *loop, uv_async_t *handle, uv_async_cb cb)
{
    async_init_fn real;
    *(void **)&real = real_symbol("uv_async_init");
    if (env_long("WARDEN_FAULT_STALL_ASYNC_MS") <= 0 || cb == NULL)
        return real(loop, handle, cb);
    int added = 0;
    pthread_mutex_lock(&stalled_lock);
    for (int i = 0; i < STALLED_MAX && !added; i++)
        if (stalled[i].handle == NULL || stalled[i].handle == handle) {
            stalled[i].handle = handle;
            stalled[i].cb = cb;
            stalled[i].fired = 0;
            added = 1;
        }
    pthread_mutex_unlock(&stalled_lock);
    return real(loop, handle, added ? stalled_async : cb);
}
