/* Internal requests (internal.h): the handle between a caller and its request context. */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/lifecycle_int.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/buf.h"

struct api_internal {
    struct req_ctx *ctx; /* NULL once released */
    struct api_internal_callbacks cb;
    void *ud;
    int stream;
    int cancelled; /* by the caller: no callback any more */
    int ended;     /* the final bytes were handed over: on_done is due */
    int status;
    struct util_buf body; /* the answer or error, when it is not streamed */
    uv_timer_t later;     /* the end and a cancel take effect on the next loop turn */
};

static void on_closed(uv_handle_t *hd)
{
    struct api_internal *h = hd->data;
    util_buf_free(&h->body);
    free(h);
}

static void on_later(uv_timer_t *t)
{
    struct api_internal *h = t->data;
    if (!h->cancelled && h->ended && h->cb.on_done != NULL)
        h->cb.on_done(h->ud, h->status, h->body.data ? h->body.data : "", h->body.len);
    if (h->ctx != NULL) {
        struct req_ctx *ctx = h->ctx;
        h->ctx = NULL;
        lifecycle_internal_release(ctx); /* as a client hang-up unless the answer went out */
    }
    uv_close((uv_handle_t *)&h->later, on_closed);
}

struct api_internal *api_internal_start(struct server_worker *w, enum api_internal_kind kind, const char *body, size_t len,
                                        const struct api_internal_opts *opts, const struct api_internal_callbacks *cb,
                                        void *ud)
{
    static const struct api_internal_opts no_opts;
    struct api_internal *h = util_calloc(1, sizeof(*h));
    h->cb = *cb;
    h->ud = ud;
    h->stream = opts != NULL && opts->stream;
    util_buf_init(&h->body, SIZE_MAX);
    uv_timer_init(&w->loop, &h->later);
    h->later.data = h;
    h->ctx = lifecycle_internal_start(w, kind == API_INTERNAL_EMBEDDINGS ? REQ_KIND_EMBEDDINGS : REQ_KIND_CHAT, body, len,
                                      opts ? opts : &no_opts, h);
    return h;
}

void api_internal_cancel(struct api_internal *h)
{
    if (h->cancelled)
        return;
    h->cancelled = 1;
    uv_timer_start(&h->later, on_later, 0, 0);
}

void api_internal_info(const struct api_internal *h, struct api_internal_info *out)
{
    memset(out, 0, sizeof(*out));
    if (h->ctx != NULL) {
        out->attempts = h->ctx->att.attempts;
        out->reasks = h->ctx->reasks;
    }
}

int api_internal_streams(const struct api_internal *h)
{
    return h->stream;
}

void api_internal_chunk(struct api_internal *h, const char *data, size_t len)
{
    if (!h->cancelled && h->cb.on_chunk != NULL && len > 0)
        h->cb.on_chunk(h->ud, data, len);
}

void api_internal_end(struct api_internal *h, int status, const char *data, size_t len)
{
    h->status = status;
    h->ended = 1;
    util_buf_append(&h->body, data, len);
    if (!h->cancelled)
        uv_timer_start(&h->later, on_later, 0, 0);
}
