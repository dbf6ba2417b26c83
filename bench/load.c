/* bench/load.c: a tiny load client for the "N concurrent slow requests" scenario of bench/run.sh.
 *
 * wrk measures throughput over a duration; it cannot send exactly N requests that are all in
 * flight at the same time. This program opens N connections to 127.0.0.1:PORT (one request each,
 * "Connection: close"), writes the same POST on every one, and reads each answer to EOF. A request
 * counts as a success when the status is 200 and the body is complete (Content-Length matched, or
 * the chunked terminator seen). Plain epoll, one thread, no dependencies, so run.sh can compile it
 * on the fly with `cc -O2`.
 *
 *   load -p PORT -n COUNT -b BODY_FILE [-u PATH] [-t TIMEOUT_S] [-r RAMP_PER_MS]
 *
 * Prints one line: LOAD ok=.. fail=.. wall_ms=.. first_ms=.. last_ms=.. and the failure kinds.
 * Exit status 0 when every request succeeded. Needs RLIMIT_NOFILE > COUNT (run.sh raises it). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_KEEP 4096 /* bytes of each answer kept for parsing; the rest is only counted */

enum state { ST_CONNECTING, ST_WRITING, ST_READING, ST_DONE };

struct conn {
    int fd;
    enum state st;
    size_t woff;          /* bytes of the request written */
    char head[HEAD_KEEP]; /* the first bytes of the answer */
    size_t hlen;          /* bytes in head */
    size_t total;         /* all bytes read */
    char tail[8];         /* the last bytes read (for the chunked terminator) */
    double done_ms;
};

static struct {
    int connect, reset, timeout, status, truncated;
} fails;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void usage(void)
{
    fprintf(stderr, "usage: load -p PORT -n COUNT -b BODY_FILE [-u PATH] [-t TIMEOUT_S] [-r RAMP_PER_MS]\n");
    exit(2);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(p);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Did this answer arrive whole? 1 yes, 0 no, -1 wrong status. */
static int judge(const struct conn *c)
{
    if (c->hlen < 12 || memcmp(c->head, "HTTP/1.", 7) != 0)
        return 0;
    if (memcmp(c->head + 9, "200", 3) != 0)
        return -1;
    const char *end = memmem(c->head, c->hlen, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t head_len = (size_t)(end - c->head) + 4;
    for (const char *l = c->head; l < end; l = memchr(l, '\n', (size_t)(end - l)) + 1) {
        if (strncasecmp(l, "content-length:", 15) == 0)
            return c->total - head_len == (size_t)strtoull(l + 15, NULL, 10);
        if (strncasecmp(l, "transfer-encoding:", 18) == 0 && c->total >= 5)
            return memcmp(c->tail + sizeof(c->tail) - 5, "0\r\n\r\n", 5) == 0;
        if (!memchr(l, '\n', (size_t)(end - l)))
            break;
    }
    return 1; /* no framing: EOF delimits the body */
}

static void finish(int ep, struct conn *c, int *pending, int *ok)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->st = ST_DONE;
    c->done_ms = now_ms();
    (*pending)--;
    int j = judge(c);
    if (j == 1)
        (*ok)++;
    else if (j < 0)
        fails.status++;
    else
        fails.truncated++;
}

static void fail(int ep, struct conn *c, int *pending, int *kind)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->st = ST_DONE;
    c->done_ms = now_ms();
    (*pending)--;
    (*kind)++;
}

int main(int argc, char **argv)
{
    int port = 0, n = 0, timeout_s = 30, ramp = 500, o;
    const char *body_path = NULL, *path = "/v1/chat/completions";
    while ((o = getopt(argc, argv, "p:n:b:u:t:r:")) != -1) {
        switch (o) {
        case 'p': port = atoi(optarg); break;
        case 'n': n = atoi(optarg); break;
        case 'b': body_path = optarg; break;
        case 'u': path = optarg; break;
        case 't': timeout_s = atoi(optarg); break;
        case 'r': ramp = atoi(optarg); break;
        default: usage();
        }
    }
    if (port <= 0 || n <= 0 || !body_path || ramp <= 0)
        usage();

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)n + 16) {
        fprintf(stderr, "load: RLIMIT_NOFILE %lu is too small for %d connections\n", (unsigned long)rl.rlim_cur, n);
        return 2;
    }
    size_t body_len;
    char *body = read_file(body_path, &body_len);
    if (!body) {
        fprintf(stderr, "load: cannot read %s\n", body_path);
        return 2;
    }
    char *req = malloc(body_len + 512);
    int hl = snprintf(req, 512,
                      "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                      "Authorization: Bearer sk-bench\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n",
                      path, port, body_len);
    memcpy(req + hl, body, body_len);
    size_t req_len = (size_t)hl + body_len;

    struct conn *conns = calloc((size_t)n, sizeof(*conns));
    int ep = epoll_create1(0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);

    double start = now_ms(), deadline = start + timeout_s * 1000.0;
    int opened = 0, pending = 0, ok = 0;
    struct epoll_event evs[1024];
    while (opened < n || pending > 0) {
        /* Open up to `ramp` connections per millisecond so the listen backlog never overflows. */
        for (int k = 0; k < ramp && opened < n; k++, opened++) {
            struct conn *c = &conns[opened];
            c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            pending++;
            if (c->fd < 0) {
                c->st = ST_DONE;
                pending--;
                fails.connect++;
                continue;
            }
            int one = 1;
            setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS) {
                close(c->fd);
                c->fd = -1;
                c->st = ST_DONE;
                pending--;
                fails.connect++;
                continue;
            }
            c->st = ST_CONNECTING;
            struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        }
        double t = now_ms();
        if (t > deadline)
            break;
        int wait_ms = opened < n ? 1 : (int)(deadline - t) + 1;
        int m = epoll_wait(ep, evs, 1024, wait_ms);
        for (int i = 0; i < m; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c->st == ST_DONE)
                continue;
            if (c->st == ST_CONNECTING) {
                int err = 0;
                socklen_t el = sizeof(err);
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err) {
                    fail(ep, c, &pending, &fails.connect);
                    continue;
                }
                c->st = ST_WRITING;
            }
            if (c->st == ST_WRITING && (evs[i].events & EPOLLOUT)) {
                ssize_t w = send(c->fd, req + c->woff, req_len - c->woff, MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN) {
                    fail(ep, c, &pending, &fails.reset);
                    continue;
                }
                if (w > 0)
                    c->woff += (size_t)w;
                if (c->woff == req_len) {
                    c->st = ST_READING;
                    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
            }
            if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                char buf[16384];
                for (;;) {
                    ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
                    if (r > 0) {
                        size_t k = (size_t)r < HEAD_KEEP - c->hlen ? (size_t)r : HEAD_KEEP - c->hlen;
                        memcpy(c->head + c->hlen, buf, k);
                        c->hlen += k;
                        c->total += (size_t)r;
                        if ((size_t)r >= sizeof(c->tail)) {
                            memcpy(c->tail, buf + r - sizeof(c->tail), sizeof(c->tail));
                        } else {
                            memmove(c->tail, c->tail + r, sizeof(c->tail) - (size_t)r);
                            memcpy(c->tail + sizeof(c->tail) - r, buf, (size_t)r);
                        }
                        continue;
                    }
                    if (r == 0)
                        finish(ep, c, &pending, &ok);
                    else if (errno != EAGAIN)
                        fail(ep, c, &pending, &fails.reset);
                    break;
                }
            }
        }
    }
    double end = now_ms(), first = 0, last = 0;
    for (int i = 0; i < n; i++) {
        if (conns[i].st != ST_DONE) {
            fails.timeout++;
            close(conns[i].fd);
            continue;
        }
        double d = conns[i].done_ms - start;
        if (first == 0 || d < first)
            first = d;
        if (d > last)
            last = d;
    }
    int failed = n - ok;
    printf("LOAD ok=%d fail=%d wall_ms=%.0f first_ms=%.0f last_ms=%.0f connect_err=%d reset=%d timeout=%d bad_status=%d "
           "truncated=%d\n",
           ok, failed, end - start, first, last, fails.connect, fails.reset, fails.timeout, fails.status, fails.truncated);
    free(conns);
    free(req);
    free(body);
    close(ep);
    return failed == 0 ? 0 : 1;
}
