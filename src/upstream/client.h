/* The upstream HTTP client: one per worker thread, created at start-up on
 * that worker's libuv loop and shared by every request of the worker.
 * Two transports sit behind it (see transport.h): plain-HTTP upstreams use a
 * lean HTTP/1.1 client with its own keep-alive pool; TLS upstreams use one
 * libcurl multi handle (curl_multi_socket_action + uv_poll + uv_timer) whose
 * connection cache is the pool, HTTP/2 negotiated where the upstream offers
 * it, TLS verification on.
 *
 * An upstream_call is one HTTP exchange. Its callbacks run on the loop, and
 * never inside upstream_call_start() or upstream_call_cancel(): a call that
 * fails at once (a bad URL, a refused connection) reports its on_done from a
 * later loop callback, so the caller needs no "did it finish already?" check
 * after starting it (the guard engine follows the same rule, guard/engine.h):
 *   on_head  once, when the status line and headers are complete;
 *   on_body  for each piece of the body as it arrives (may ask for a pause);
 *   on_done  exactly once at the end (success or failure), unless the call
 *            was cancelled: upstream_call_cancel() is the caller's own
 *            decision, so after it returns no callback runs again.
 * The call frees itself after on_done returns or when cancelled. Cancelling
 * a transfer in progress closes its connection at once (a half-read response
 * leaves the connection unusable), which is what makes the provider stop. */
#ifndef WARDEN_UPSTREAM_CLIENT_H
#define WARDEN_UPSTREAM_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct upstream_client;
struct upstream_call;

struct upstream_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

struct upstream_call_callbacks {
    /* Returns 0 to go on, or non-zero to cancel (as if upstream_call_cancel). */
    int (*on_head)(struct upstream_call *call, void *ud, int status, const struct upstream_header *headers, size_t n);
    /* Returns 0 to go on, UPSTREAM_BODY_PAUSE to pause (resume with upstream_call_resume), or
     * UPSTREAM_BODY_CANCEL to cancel. When paused, the bytes given here count as consumed. */
    int (*on_body)(struct upstream_call *call, void *ud, const char *data, size_t len);
    /* err is 0 on a complete response, else a negative WARDEN_E* (ETIMEDOUT, EUPSTREAM...) with a
     * message (NULL when err is 0). The HTTP status seen is upstream_call_status(call) (0 if
     * none arrived); the call is still valid during this callback. */
    void (*on_done)(struct upstream_call *call, void *ud, int err, const char *message);
};
enum { UPSTREAM_BODY_CONTINUE = 0, UPSTREAM_BODY_PAUSE = 1, UPSTREAM_BODY_CANCEL = 2 };

struct upstream_call_opts {
    const char *url;
    const char *method;         /* "POST" or "GET" */
    const char *body;           /* borrowed: must stay valid until on_done/cancel */
    size_t body_len;
    const char *const *headers; /* "Name: value" lines, NULL-terminated; copied */
    int connect_timeout_ms;     /* 0 = the transport default */
    int total_timeout_ms;       /* 0 = none */
    const char *ca_file;        /* https: PEM CA bundle to verify the upstream with; NULL = system store */
};

struct upstream_client_stats {
    uint64_t calls_started;
    uint64_t calls_active;
    uint64_t connections_opened;  /* sockets opened to upstreams, both transports */
    uint64_t connections_open;    /* currently open */
};

enum upstream_transport_choice {
    UPSTREAM_TRANSPORT_AUTO = 0, /* http:// on the lean HTTP/1.1 client, the rest on libcurl */
    UPSTREAM_TRANSPORT_CURL,     /* libcurl for every URL */
};

struct upstream_client *upstream_client_create(uv_loop_t *loop, enum upstream_transport_choice choice);
/* Cancels every call still active and closes the uv handles; the memory is freed
 * once the close callbacks have run (run the loop after calling this). */
void upstream_client_destroy(struct upstream_client *c);
void upstream_client_get_stats(const struct upstream_client *c, struct upstream_client_stats *out);

struct upstream_call *upstream_call_start(struct upstream_client *c, const struct upstream_call_opts *opts,
                                          const struct upstream_call_callbacks *cb, void *ud);
void upstream_call_cancel(struct upstream_call *call);
void upstream_call_resume(struct upstream_call *call);
/* The HTTP status of the final response head, 0 before it arrived. */
int upstream_call_status(const struct upstream_call *call);

#endif
