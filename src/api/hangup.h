/* Client hang-up detection for HTTP/1 requests.
 *
 * While h2o processes an HTTP/1 request it stops reading the socket, so a
 * client that goes away while Warden waits for the upstream would only be
 * noticed at the next write. That can be seconds (time to first token, a
 * pause between chunks), all the while the provider keeps generating and
 * billing. Reading the socket ourselves is not safe: h2o's request fields
 * point into its input buffer, which a read may move. So each worker keeps
 * a second epoll set that watches its in-flight HTTP/1 sockets for
 * EPOLLRDHUP only (never EPOLLIN): the kernel tells us about a FIN or RST
 * without a byte being read. The epoll fd itself is polled by the loop.
 * The kernel drops a closed socket from the set by itself; records are keyed by
 * fd and h2o's connection id, so a reused fd number is recognised. */
#ifndef WARDEN_API_HANGUP_H
#define WARDEN_API_HANGUP_H

#include <stdint.h>
#include <uv.h>

struct api_hangup;
typedef void (*api_hangup_cb)(void *ud);

struct api_hangup *api_hangup_create(uv_loop_t *loop);
void api_hangup_destroy(struct api_hangup *h);
/* Watches connection conn_id (socket fd) for the request ud. A connection stays registered
 * between its keep-alive requests (no syscall per request); conn_id tells a reused fd
 * number from the connection that had it before. */
int api_hangup_watch(struct api_hangup *h, int fd, uint64_t conn_id, api_hangup_cb cb, void *ud);
/* The request is done: no callback for it any more (the connection stays watched). */
void api_hangup_unwatch(struct api_hangup *h, int fd, uint64_t conn_id);

#endif
