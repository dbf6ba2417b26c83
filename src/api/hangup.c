#include "api/hangup.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/err.h"

struct watch {
    uint64_t conn_id;
    api_hangup_cb cb; /* NULL between requests */
    void *ud;
    int fd;
    int dead;                /* replaced while an event batch may still point at it */
    struct watch *next_dead;
};

struct api_hangup {
    int epfd;
    uv_poll_t poll;
    /* fd -> its watch record; epoll cannot be asked for data.ptr, and unwatch needs it */
    struct watch **table;
    size_t table_size;
    int in_batch;
    struct watch *dead; /* freed after the batch */
};

static void retire(struct api_hangup *h, struct watch *w)
{
    if (!h->in_batch) {
        free(w);
        return;
    }
    w->dead = 1;
    w->next_dead = h->dead;
    h->dead = w;
}

static void on_epoll_ready(uv_poll_t *p, int status, int events)
{
    struct api_hangup *h = p->data;
    struct epoll_event ev[64];
    int n = epoll_wait(h->epfd, ev, 64, 0);
    h->in_batch = 1;
    for (int i = 0; i < n; i++) {
        struct watch *w = ev[i].data.ptr;
        if (w->dead)
            continue;
        if (w->cb == NULL) {
            /* an idle keep-alive connection hung up: h2o will close it; forget it */
            epoll_ctl(h->epfd, EPOLL_CTL_DEL, w->fd, NULL);
            h->table[w->fd] = NULL;
            retire(h, w);
            continue;
        }
        api_hangup_cb cb = w->cb;
        void *ud = w->ud;
        w->cb = NULL;
        w->ud = NULL;
        cb(ud);
    }
    h->in_batch = 0;
    while (h->dead != NULL) {
        struct watch *w = h->dead;
        h->dead = w->next_dead;
        free(w);
    }
}

struct api_hangup *api_hangup_create(uv_loop_t *loop)
{
    struct api_hangup *h = util_calloc(1, sizeof(*h));
    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (h->epfd < 0 || uv_poll_init(loop, &h->poll, h->epfd) != 0) {
        if (h->epfd >= 0)
            close(h->epfd);
        free(h);
        return NULL;
    }
    h->poll.data = h;
    uv_poll_start(&h->poll, UV_READABLE, on_epoll_ready);
    return h;
}

static void on_closed(uv_handle_t *handle)
{
    struct api_hangup *h = handle->data;
    close(h->epfd);
    for (size_t i = 0; i < h->table_size; i++)
        free(h->table[i]);
    free(h->table);
    free(h);
}

void api_hangup_destroy(struct api_hangup *h)
{
    if (h == NULL)
        return;
    uv_poll_stop(&h->poll);
    uv_close((uv_handle_t *)&h->poll, on_closed);
}

static struct watch **slot(struct api_hangup *h, int fd)
{
    if ((size_t)fd >= h->table_size) {
        size_t n = h->table_size ? h->table_size : 1024;
        while (n <= (size_t)fd)
            n *= 2;
        h->table = util_realloc(h->table, n * sizeof(*h->table));
        for (size_t i = h->table_size; i < n; i++)
            h->table[i] = NULL;
        h->table_size = n;
    }
    return &h->table[fd];
}

int api_hangup_watch(struct api_hangup *h, int fd, uint64_t conn_id, api_hangup_cb cb, void *ud)
{
    if (fd < 0)
        return WARDEN_EINVAL;
    struct watch **s = slot(h, fd);
    if (*s != NULL && (*s)->conn_id == conn_id) {
        (*s)->cb = cb;
        (*s)->ud = ud;
        return 0;
    }
    if (*s != NULL) {
        /* the old connection is gone (its close took it out of the set); the number is reused */
        retire(h, *s);
        *s = NULL;
    }
    struct watch *w = util_malloc(sizeof(*w));
    w->conn_id = conn_id;
    w->cb = cb;
    w->ud = ud;
    w->fd = fd;
    w->dead = 0;
    w->next_dead = NULL;
    struct epoll_event ev = {.events = EPOLLRDHUP | EPOLLET, .data.ptr = w};
    if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 &&
        (errno != EEXIST || epoll_ctl(h->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)) {
        free(w);
        return WARDEN_EIO;
    }
    *s = w;
    return 0;
}

void api_hangup_unwatch(struct api_hangup *h, int fd, uint64_t conn_id)
{
    if (fd < 0 || (size_t)fd >= h->table_size || h->table[fd] == NULL || h->table[fd]->conn_id != conn_id)
        return;
    h->table[fd]->cb = NULL;
    h->table[fd]->ud = NULL;
}
