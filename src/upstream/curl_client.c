/* The libcurl transport of the upstream client (TLS and HTTP/2 upstreams, or
 * every upstream with `upstream_transport: curl`): libcurl's multi interface
 * on a libuv loop.
 *
 * Design (after curl's docs/examples/multi-uv.c, written anew here):
 *  - libcurl tells us which sockets to watch (socket_cb) and when to time out
 *    (timer_cb); each watched socket gets a uv_poll_t, the timeout one
 *    uv_timer_t. Poll and timer events call curl_multi_socket_action().
 *  - Finished transfers are collected by drain_done() after every action.
 *  - libcurl forbids adding or removing easy handles from inside its own
 *    callbacks. Our callbacks call into the request lifecycle, which may well
 *    want to cancel or start calls, so while we are inside libcurl
 *    (client->in_curl) starts, cancels and resumes are queued and applied by
 *    apply_deferred() when libcurl returns.
 *  - Easy handles are kept on a free list and curl_easy_reset() between
 *    calls; connections live in the multi handle's cache, so keep-alive
 *    pooling works across calls.
 *
 * Ownership: the client owns every call until on_done returns or the call
 * is cancelled; then the call is freed here and the caller's pointer is dead. */
#include "upstream/transport.h"

#include <curl/curl.h>
#include <h2o/linklist.h>
#include <h2o/memory.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define HEADER_BYTES_MAX (64 * 1024)
#define HEADERS_MAX 100
#define EASY_POOL_MAX 256

struct curl_call {
    struct upstream_call base; /* first: the facade's handle */
    struct curl_client *client;
    CURL *easy;
    struct curl_slist *headers;
    const struct upstream_call_callbacks *cb;
    void *ud;
    int status;
    unsigned head_done : 1;
    unsigned cancelled : 1;
    unsigned paused : 1;
    unsigned added : 1;       /* in the multi handle */
    unsigned want_resume : 1; /* resume requested while inside libcurl */
    struct util_buf head;     /* raw header lines of the final response */
    char errbuf[CURL_ERROR_SIZE];
    h2o_linklist_t active_link;          /* in client->active until freed */
    struct curl_call *deferred_next;     /* client->deferred */
};

struct poll_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    struct curl_client *client;
    int events;   /* what the uv handle watches now */
    int curl_wants; /* 0 once libcurl removed the socket (an idle pooled connection) */
};

struct curl_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    int in_curl;
    int destroying;
    int handles_open; /* uv handles not yet closed (timer + polls) */
    h2o_linklist_t active; /* curl_call.active_link: every call not yet freed */
    struct curl_call *deferred;
    CURL *easy_pool[EASY_POOL_MAX];
    size_t n_easy_pool;
    /* fd -> its poll handle. A kept-alive connection's handle is only stopped between
     * transfers (libcurl removes idle sockets from its watch set) and reused for the next
     * one; it is closed when libcurl closes the socket (close_socket_cb). */
    struct poll_ctx **polls;
    size_t n_polls;
    struct upstream_client_stats *stats; /* the facade's, shared with the other transport */
    upstream_transport_closed_cb on_closed;
    void *on_closed_arg;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void drain_done(struct curl_client *c);
static void curl_call_cancel(struct curl_call *call);
static void apply_deferred(struct curl_client *c);

/* ---- socket and timer plumbing ---- */

static void socket_action(struct curl_client *c, curl_socket_t fd, int events)
{
    int running;
    c->in_curl++;
    curl_multi_socket_action(c->multi, fd, events, &running);
    c->in_curl--;
    drain_done(c);
    apply_deferred(c);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct poll_ctx *p = h->data;
    if (!p->curl_wants) {
        /* an idle pooled connection became readable: the server closed it (or sent junk).
         * libcurl notices when it next picks the connection; stop watching until then */
        uv_poll_stop(&p->poll);
        p->events = 0;
        return;
    }
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    socket_action(p->client, p->fd, flags);
}

static void on_timer(uv_timer_t *t)
{
    socket_action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct curl_client *c;
    if (h->type == UV_POLL) {
        struct poll_ctx *p = h->data;
        c = p->client;
        free(p);
    } else {
        c = h->data;
    }
    if (--c->handles_open == 0 && c->destroying) {
        if (c->on_closed != NULL)
            c->on_closed(c->on_closed_arg);
        free(c);
    }
}

static struct poll_ctx **poll_slot(struct curl_client *c, curl_socket_t fd)
{
    if ((size_t)fd >= c->n_polls) {
        size_t n = c->n_polls ? c->n_polls : 1024;
        while (n <= (size_t)fd)
            n *= 2;
        c->polls = util_realloc(c->polls, n * sizeof(*c->polls));
        memset(c->polls + c->n_polls, 0, (n - c->n_polls) * sizeof(*c->polls));
        c->n_polls = n;
    }
    return &c->polls[fd];
}

static void poll_close(struct curl_client *c, curl_socket_t fd)
{
    if (fd < 0 || (size_t)fd >= c->n_polls || c->polls[fd] == NULL)
        return;
    struct poll_ctx *p = c->polls[fd];
    c->polls[fd] = NULL;
    uv_poll_stop(&p->poll);
    uv_close((uv_handle_t *)&p->poll, on_handle_closed); /* takes the fd out of epoll now */
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct curl_client *c = userp;
    if (fd < 0)
        return -1;
    struct poll_ctx **slot = poll_slot(c, fd);
    struct poll_ctx *p = *slot;
    if (what == CURL_POLL_REMOVE) {
        /* Keep watching for readability: the next transfer on this kept-alive connection wants
         * exactly that, so leaving the handle as it is saves two epoll_ctl calls per request. */
        if (p != NULL) {
            p->curl_wants = 0;
            if (p->events & UV_WRITABLE) {
                uv_poll_stop(&p->poll);
                p->events = 0;
            }
        }
        return 0;
    }
    if (p == NULL) {
        p = util_calloc(1, sizeof(*p));
        p->fd = fd;
        p->client = c;
        if (uv_poll_init_socket(c->loop, &p->poll, fd) != 0) {
            free(p);
            return -1;
        }
        p->poll.data = p;
        c->handles_open++;
        *slot = p;
    }
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    p->curl_wants = 1;
    if (events != p->events) {
        uv_poll_start(&p->poll, events, on_poll);
        p->events = events;
    }
    return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct curl_client *c = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

static curl_socket_t open_socket_cb(void *userp, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct curl_client *c = userp;
    curl_socket_t fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    if (fd != CURL_SOCKET_BAD) {
        c->stats->connections_opened++;
        c->stats->connections_open++;
    }
    return fd;
}

static int close_socket_cb(void *userp, curl_socket_t fd)
{
    struct curl_client *c = userp;
    poll_close(c, fd);
    c->stats->connections_open--;
    return close(fd);
}

/* ---- client ---- */

struct curl_client *curl_client_create(uv_loop_t *loop, struct upstream_client_stats *stats)
{
    pthread_once(&curl_once, curl_init_once);
    struct curl_client *c = util_calloc(1, sizeof(*c));
    h2o_linklist_init_anchor(&c->active);
    c->loop = loop;
    c->stats = stats;
    c->multi = curl_multi_init();
    if (c->multi == NULL) {
        free(c);
        return NULL;
    }
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->handles_open = 1;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    /* Keep enough idle connections for a busy worker: the cache is the pool. */
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 4096L);
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    return c;
}

static void call_free(struct curl_call *call);

void curl_client_destroy(struct curl_client *c, upstream_transport_closed_cb on_closed, void *arg)
{
    c->on_closed = on_closed;
    c->on_closed_arg = arg;
    while (!h2o_linklist_is_empty(&c->active)) {
        struct curl_call *call = H2O_STRUCT_FROM_MEMBER(struct curl_call, active_link, c->active.next);
        call->cancelled = 1;
        call_free(call);
    }
    for (size_t i = 0; i < c->n_easy_pool; i++)
        curl_easy_cleanup(c->easy_pool[i]);
    c->n_easy_pool = 0;
    c->destroying = 1;
    /* curl_multi_cleanup closes the cached connections; socket_cb(REMOVE) closes their polls */
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    for (size_t i = 0; i < c->n_polls; i++)
        poll_close(c, (curl_socket_t)i);
    free(c->polls);
    c->polls = NULL;
    c->n_polls = 0;
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}


/* ---- calls ---- */

static void list_remove(struct curl_call *call)
{
    if (h2o_linklist_is_linked(&call->active_link))
        h2o_linklist_unlink(&call->active_link);
}

static void call_free(struct curl_call *call)
{
    struct curl_client *c = call->client;
    if (call->added && c->multi != NULL)
        curl_multi_remove_handle(c->multi, call->easy);
    list_remove(call);
    c->stats->calls_active--;
    if (c->n_easy_pool < EASY_POOL_MAX && c->multi != NULL) {
        curl_easy_reset(call->easy);
        c->easy_pool[c->n_easy_pool++] = call->easy;
    } else {
        curl_easy_cleanup(call->easy);
    }
    curl_slist_free_all(call->headers);
    util_buf_free(&call->head);
    free(call);
}

static void defer(struct curl_call *call)
{
    struct curl_client *c = call->client;
    for (struct curl_call *d = c->deferred; d; d = d->deferred_next)
        if (d == call)
            return;
    call->deferred_next = c->deferred;
    c->deferred = call;
}

static void apply_deferred(struct curl_client *c)
{
    while (c->deferred != NULL && c->in_curl == 0) {
        struct curl_call *call = c->deferred;
        c->deferred = call->deferred_next;
        call->deferred_next = NULL;
        if (call->cancelled) {
            call_free(call);
        } else if (!call->added) {
            call->added = 1;
            curl_multi_add_handle(c->multi, call->easy);
        } else if (call->want_resume) {
            call->want_resume = 0;
            c->in_curl++;
            curl_easy_pause(call->easy, CURLPAUSE_CONT);
            c->in_curl--;
            drain_done(c);
        }
    }
}

static void parse_and_deliver_head(struct curl_call *call)
{
    struct upstream_header hs[HEADERS_MAX];
    size_t n = 0;
    char *p = call->head.data, *end = p + call->head.len;
    while (p < end && n < HEADERS_MAX) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        char *line_end = eol;
        if (line_end > p && line_end[-1] == '\r')
            line_end--;
        char *colon = memchr(p, ':', (size_t)(line_end - p));
        if (colon != NULL && colon > p) {
            char *v = colon + 1;
            while (v < line_end && (*v == ' ' || *v == '\t'))
                v++;
            char *ve = line_end;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            hs[n++] = (struct upstream_header){p, (size_t)(colon - p), v, (size_t)(ve - v)};
        }
        p = eol + 1;
    }
    call->head_done = 1;
    if (call->cb->on_head(&call->base, call->ud, call->status, hs, n) != 0)
        curl_call_cancel(call);
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    struct curl_call *call = userp;
    size_t len = size * nmemb;
    if (call->cancelled)
        return 0;
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* a status line starts a new header block (1xx responses come first) */
        const char *sp = memchr(data, ' ', len);
        call->status = sp ? atoi(sp + 1) : 0;
        util_buf_reset(&call->head);
        return len;
    }
    if (len <= 2 && (data[0] == '\r' || data[0] == '\n')) {
        if (call->status >= 200 && !call->head_done)
            parse_and_deliver_head(call);
        return call->cancelled ? 0 : len;
    }
    if (util_buf_append(&call->head, data, len) != 0)
        return 0; /* absurd header block: abort the transfer */
    return len;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    struct curl_call *call = userp;
    size_t len = size * nmemb;
    if (call->cancelled)
        return 0;
    if (call->paused)
        return CURL_WRITEFUNC_PAUSE;
    if (!call->head_done)
        parse_and_deliver_head(call);
    if (call->cancelled)
        return 0;
    int r = call->cb->on_body(&call->base, call->ud, data, len);
    if (r == UPSTREAM_BODY_CANCEL || call->cancelled) {
        curl_call_cancel(call);
        return 0;
    }
    if (r == UPSTREAM_BODY_PAUSE)
        call->paused = 1;
    return len;
}

static void drain_done(struct curl_client *c)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct curl_call *call = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&call);
        CURLcode rc = msg->data.result;
        curl_multi_remove_handle(c->multi, msg->easy_handle);
        call->added = 0;
        if (call->cancelled)
            continue; /* freed by apply_deferred */
        int err = 0;
        const char *message = NULL;
        if (rc == CURLE_OK && !call->head_done && call->status >= 200)
            parse_and_deliver_head(call); /* e.g. a body-less response */
        if (call->cancelled)
            continue;
        if (rc == CURLE_OPERATION_TIMEDOUT) {
            err = WARDEN_ETIMEDOUT;
            message = call->errbuf[0] ? call->errbuf : "upstream timed out";
        } else if (rc != CURLE_OK) {
            err = WARDEN_EUPSTREAM;
            message = call->errbuf[0] ? call->errbuf : curl_easy_strerror(rc);
        } else if (!call->head_done) {
            err = WARDEN_EUPSTREAM;
            message = "upstream sent no response";
        }
        call->cancelled = 1; /* no callback after on_done */
        c->in_curl++;        /* on_done may start or cancel calls: defer them */
        call->cb->on_done(&call->base, call->ud, err, message);
        c->in_curl--;
        call_free(call);
    }
}

static const struct upstream_transport_ops curl_call_ops;

struct upstream_call *curl_client_call_start(struct curl_client *c, const struct upstream_call_opts *o,
                                             const struct upstream_call_callbacks *cb, void *ud)
{
    struct curl_call *call = util_calloc(1, sizeof(*call));
    call->base.ops = &curl_call_ops;
    call->client = c;
    call->cb = cb;
    call->ud = ud;
    util_buf_init(&call->head, HEADER_BYTES_MAX);
    call->easy = c->n_easy_pool ? c->easy_pool[--c->n_easy_pool] : curl_easy_init();
    if (call->easy == NULL) {
        free(call);
        return NULL;
    }
    CURL *e = call->easy;
    curl_easy_setopt(e, CURLOPT_URL, o->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, call);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->errbuf);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, call);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket_cb);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, c);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket_cb);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, c);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    /* Waiting to multiplex only pays off where HTTP/2 can be negotiated (TLS): on plain HTTP it
     * would park every new transfer until the first connection answered. */
    if (strncmp(o->url, "https:", 6) == 0)
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    /* 2 KiB receive buffer (default 16): thousands of slow streams should not cost 16 KiB each;
     * SSE chunks are far smaller, and large answers just take a few more reads */
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 2048L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->ca_file != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file); /* libcurl copies the string */
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    if (o->connect_timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
    if (o->total_timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->total_timeout_ms);
    if (o->method != NULL && strcmp(o->method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, o->body ? o->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
    } else {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    /* no "Expect: 100-continue" round trip; bodies are forwarded byte-for-byte and checked as
     * text, so they are asked for unencoded and never decoded here (a decoded body would be
     * relayed under a Content-Encoding header it no longer has) */
    curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    call->headers = curl_slist_append(NULL, "Expect:");
    call->headers = curl_slist_append(call->headers, "Accept-Encoding: identity");
    for (const char *const *h = o->headers; h != NULL && *h != NULL; h++)
        if (strncasecmp(*h, "accept-encoding", 15) != 0 || ((*h)[15] != ':' && (*h)[15] != ';'))
            call->headers = curl_slist_append(call->headers, *h);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->headers);

    h2o_linklist_insert(&c->active, &call->active_link);
    c->stats->calls_started++;
    c->stats->calls_active++;
    if (c->in_curl) {
        defer(call);
    } else {
        call->added = 1;
        curl_multi_add_handle(c->multi, e);
    }
    return &call->base;
}

static void curl_call_cancel(struct curl_call *call)
{
    if (call->cancelled)
        return;
    call->cancelled = 1;
    if (call->client->in_curl)
        defer(call);
    else
        call_free(call);
}

static void curl_call_cancel_op(struct upstream_call *base)
{
    curl_call_cancel((struct curl_call *)base);
}

static void curl_call_resume_op(struct upstream_call *base)
{
    struct curl_call *call = (struct curl_call *)base;
    if (call->cancelled || !call->paused)
        return;
    call->paused = 0;
    struct curl_client *c = call->client;
    if (c->in_curl) {
        call->want_resume = 1;
        defer(call);
        return;
    }
    c->in_curl++;
    curl_easy_pause(call->easy, CURLPAUSE_CONT);
    c->in_curl--;
    drain_done(c);
    apply_deferred(c);
}

static int curl_call_status_op(const struct upstream_call *base)
{
    return ((const struct curl_call *)base)->status;
}

static const struct upstream_transport_ops curl_call_ops = {
    .cancel = curl_call_cancel_op,
    .resume = curl_call_resume_op,
    .status = curl_call_status_op,
};
