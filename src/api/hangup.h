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
 * An fd must be unwatched before h2o closes it (the request's dispose hook
 * does this), since a closed fd's number can be reused. */
#ifndef WARDEN_API_HANGUP_H
#define WARDEN_API_HANGUP_H

#include <uv.h>

struct api_hangup;
typedef void (*api_hangup_cb)(void *ud);

struct api_hangup *api_hangup_create(uv_loop_t *loop);
void api_hangup_destroy(struct api_hangup *h);
int api_hangup_watch(struct api_hangup *h, int fd, api_hangup_cb cb, void *ud);
void api_hangup_unwatch(struct api_hangup *h, int fd);

#endif
