/* Internal to src/upstream/: what the client facade (client.c) needs from each
 * transport. Two transports implement upstream_call:
 *   http1_client.c  plain-HTTP upstreams: a lean HTTP/1.1 client on libuv TCP
 *                   handles with its own keep-alive pool;
 *   curl_client.c   everything else (TLS, HTTP/2): libcurl's multi interface.
 * Each transport's call struct starts with a struct upstream_call, so the
 * facade can route cancel/resume/status without knowing which one it holds. */
#ifndef WARDEN_UPSTREAM_TRANSPORT_H
#define WARDEN_UPSTREAM_TRANSPORT_H

#include "upstream/client.h"

struct upstream_transport_ops {
    void (*cancel)(struct upstream_call *call);
    void (*resume)(struct upstream_call *call);
    int (*status)(const struct upstream_call *call);
};

struct upstream_call {
    const struct upstream_transport_ops *ops;
};

/* Called by a transport once every handle it had is closed after destroy. */
typedef void (*upstream_transport_closed_cb)(void *arg);

struct curl_client;
struct curl_client *curl_client_create(uv_loop_t *loop, struct upstream_client_stats *stats);
void curl_client_destroy(struct curl_client *c, upstream_transport_closed_cb on_closed, void *arg);
struct upstream_call *curl_client_call_start(struct curl_client *c, const struct upstream_call_opts *opts,
                                             const struct upstream_call_callbacks *cb, void *ud);

struct http1_client;
struct http1_client *http1_client_create(uv_loop_t *loop, struct upstream_client_stats *stats);
void http1_client_destroy(struct http1_client *c, upstream_transport_closed_cb on_closed, void *arg);
/* Takes http:// URLs only (the facade checks); sets *unsupported and returns NULL for
 * ones it leaves to libcurl (user info in the authority, a malformed port). */
struct upstream_call *http1_client_call_start(struct http1_client *c, const struct upstream_call_opts *opts,
                                              const struct upstream_call_callbacks *cb, void *ud, int *unsupported);

#endif
