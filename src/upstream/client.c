/* The upstream client facade: picks a transport per call.
 *
 * Plain-HTTP upstreams (vLLM, llama.cpp, Ollama, a sidecar, the mock) go
 * through http1_client.c; callgrind showed libcurl spending ~60% of Warden's
 * user-space instructions per proxied request on work a fixed POST to a known
 * origin does not need (URL parsing, request formatting through printf, a
 * poll() liveness check per reused connection). TLS and HTTP/2 upstreams stay
 * on libcurl. UPSTREAM_TRANSPORT_CURL forces libcurl for everything. */
#include "upstream/client.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "upstream/transport.h"
#include "util/alloc.h"

struct upstream_client {
    struct curl_client *curl;
    struct http1_client *http1;
    enum upstream_transport_choice choice;
    int transports_open;
    struct upstream_client_stats stats;
};

struct upstream_client *upstream_client_create(uv_loop_t *loop, enum upstream_transport_choice choice)
{
    struct upstream_client *c = util_calloc(1, sizeof(*c));
    c->choice = choice;
    c->curl = curl_client_create(loop, &c->stats);
    c->http1 = http1_client_create(loop, &c->stats);
    if (c->curl == NULL || c->http1 == NULL) {
        /* neither has handles yet worth waiting for: both are created before any call */
        c->transports_open = 0;
        if (c->curl != NULL)
            curl_client_destroy(c->curl, NULL, NULL);
        if (c->http1 != NULL)
            http1_client_destroy(c->http1, NULL, NULL);
        free(c);
        return NULL;
    }
    c->transports_open = 2;
    return c;
}

static void on_transport_closed(void *arg)
{
    struct upstream_client *c = arg;
    if (--c->transports_open == 0)
        free(c);
}

void upstream_client_destroy(struct upstream_client *c)
{
    if (c == NULL)
        return;
    curl_client_destroy(c->curl, on_transport_closed, c);
    http1_client_destroy(c->http1, on_transport_closed, c);
}

void upstream_client_get_stats(const struct upstream_client *c, struct upstream_client_stats *out)
{
    *out = c->stats;
}

struct upstream_call *upstream_call_start(struct upstream_client *c, const struct upstream_call_opts *opts,
                                          const struct upstream_call_callbacks *cb, void *ud)
{
    if (c->choice == UPSTREAM_TRANSPORT_AUTO && strncasecmp(opts->url, "http://", 7) == 0) {
        int unsupported;
        struct upstream_call *call = http1_client_call_start(c->http1, opts, cb, ud, &unsupported);
        if (!unsupported)
            return call;
    }
    return curl_client_call_start(c->curl, opts, cb, ud);
}

void upstream_call_cancel(struct upstream_call *call)
{
    if (call != NULL)
        call->ops->cancel(call);
}

void upstream_call_resume(struct upstream_call *call)
{
    if (call != NULL)
        call->ops->resume(call);
}

int upstream_call_status(const struct upstream_call *call)
{
    return call->ops->status(call);
}
