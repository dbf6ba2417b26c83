/* Internal requests (api/internal.h) on a real worker loop against warden-mock: 100
 * concurrent chat requests, each failing once upstream (the retry answers), through an
 * input guardrail and an output redaction; one blocked by the guardrail; one stream
 * delivered chunk by chunk; one stream cancelled mid-way (the mock must record the
 * upstream connection closed by Warden, and no on_done may come). Needs build/warden-mock
 * next to the test binaries (or WARDEN_MOCK). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/internal.h"
#include "config/config.h"
#include "guard/engine.h"
#include "schema/schema.h"
#include "metrics/metrics.h"
#include "server/server.h"
#include "upstream/client.h"
#include "upstream/router.h"
#include "util/buf.h"
#include "worker_fixture.h"

#define N_CHAT 100

static char mock_bin[PATH_MAX];
static int mock_port;
static pid_t mock_pid;
static char run_id[32];

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || getsockname(fd, (struct sockaddr *)&a, &l) != 0)
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

static int port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int mock_start(void **state)
{
    (void)state;
    mock_port = free_port();
    assert_true(mock_port > 0);
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", mock_port);
    mock_pid = fork();
    if (mock_pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(mock_bin, mock_bin, "--listen", listen, "--quiet", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && !port_open(mock_port); i++)
        usleep(10000);
    assert_true(port_open(mock_port));
    snprintf(run_id, sizeof(run_id), "%d-%ld", (int)getpid(), (long)time(NULL));
    return 0;
}

static int mock_stop(void **state)
{
    (void)state;
    if (mock_pid > 0) {
        kill(mock_pid, SIGTERM);
        waitpid(mock_pid, NULL, 0);
    }
    return 0;
}

/* ---- one worker, as server.c assembles it, without a listener ---- */

static void worker_init(void)
{
    char yaml[2048];
    int n = snprintf(yaml, sizeof(yaml),
                     "server: {listen: \"127.0.0.1:1\", workers: 1, access_log: \"off\"}\n"
                     "health: {window: 1000, min_requests: 10000, error_ratio: 1.0, cooldown_ms: 1000}\n"
                     "providers:\n"
                     "  - {name: local, type: openai, base_url: \"http://127.0.0.1:%d/v1\"}\n"
                     "models:\n"
                     "  - name: m\n"
                     "    retries: {max: 2, base_ms: 1, max_ms: 5}\n"
                     "    targets: [{provider: local, model: mock-1}]\n"
                     "default_guardrails: [no-forbidden, out]\n"
                     "guardrails:\n"
                     "  - {name: no-forbidden, type: regex, stage: input, action: block, patterns: [\"forbidden\"]}\n"
                     "  - {name: out, type: regex, stage: output, action: redact, replacement: \"#\",\n"
                     "     patterns: [\"sk-[A-Za-z0-9]{20,}\"]}\n",
                     mock_port);
    memset(&w, 0, sizeof(w));
    assert_int_equal(uv_loop_init(&w.loop), 0);
    worker_build(yaml, (size_t)n);
}

/* ---- the requests ---- */

struct result {
    int done, status, chunks, cancelled;
    struct util_buf body, streamed;
    struct api_internal *h;
    int cancel_after; /* chunks; 0: never */
};

static void on_chunk(void *ud, const char *data, size_t len)
{
    struct result *r = ud;
    r->chunks++;
    util_buf_append(&r->streamed, data, len);
    if (r->cancel_after > 0 && r->chunks == r->cancel_after) {
        api_internal_cancel(r->h);
        r->cancelled = 1;
        pending--;
    }
}

static void on_done(void *ud, int status, const char *body, size_t len)
{
    struct result *r = ud;
    r->done++;
    r->status = status;
    util_buf_append(&r->body, body, len);
    pending--;
}

static const struct api_internal_callbacks cbs = {on_chunk, on_done};

static void start(struct result *r, const char *body, int stream)
{
    util_buf_init(&r->body, 1 << 20);
    util_buf_init(&r->streamed, 1 << 20);
    struct api_internal_opts o = {.stream = stream};
    pending++;
    r->h = api_internal_start(&w, API_INTERNAL_CHAT, body, strlen(body), &o, &cbs, r);
    assert_non_null(r->h);
}

static size_t on_curl_body(char *p, size_t sz, size_t n, void *ud)
{
    util_buf_append(ud, p, sz * n);
    return sz * n;
}

/* The mock's records of the requests whose body contains key: the first one's outcome, and
 * how many there are in *count. */
static char *mock_outcome(const char *key, int *count)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/mock/requests?limit=1024", mock_port);
    struct util_buf b;
    util_buf_init(&b, 64 << 20);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_curl_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    char *out = NULL;
    json_t *root = rc == CURLE_OK ? json_loadb(b.data ? b.data : "", b.len, 0, NULL) : NULL;
    size_t i;
    json_t *rec;
    *count = 0;
    json_array_foreach(json_object_get(root, "requests"), i, rec)
    {
        const char *body = json_string_value(json_object_get(rec, "body"));
        if (body != NULL && strstr(body, key) != NULL && (*count)++ == 0)
            out = strdup(json_string_value(json_object_get(rec, "outcome")) ? json_string_value(json_object_get(rec, "outcome"))
                                                                              : "?");
    }
    json_decref(root);
    util_buf_free(&b);
    return out;
}

static void hundred_chats_a_block_a_stream_and_a_cancel(void **state)
{
    (void)state;
    worker_init();
    static struct result chats[N_CHAT], blocked, streamed, cancelled;
    char body[512];
    for (int i = 0; i < N_CHAT; i++) {
        snprintf(body, sizeof(body),
                 "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello %d\"}],"
                 "\"mock\":{\"fail_first\":1,\"key\":\"int-%s-%d\"}}",
                 i, run_id, i);
        start(&chats[i], body, 0);
    }
    start(&blocked, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a forbidden word\"}]}", 0);
    start(&streamed, "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"s\"}],\"mock\":{\"chunks\":5}}", 1);
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"c\"}],"
             "\"mock\":{\"chunks\":200,\"chunk_interval_ms\":20,\"key\":\"int-%s-cancel\"}}",
             run_id);
    cancelled.cancel_after = 3;
    start(&cancelled, body, 1);
    /* no callback inside the starts: nothing answered yet, even the blocked one */
    assert_int_equal(pending, N_CHAT + 3);
    assert_int_equal(blocked.done, 0);

    run_until_answered(20000, 10);
    assert_int_equal(pending, 0);
    for (int i = 0; i < N_CHAT; i++) {
        assert_int_equal(chats[i].done, 1);
        if (chats[i].status != 200)
            fail_msg("chat %d: %d %.*s", i, chats[i].status, (int)chats[i].body.len, chats[i].body.data);
        assert_non_null(strstr(chats[i].body.data, "\"choices\""));
        assert_int_equal(chats[i].chunks, 0);
    }
    assert_int_equal(blocked.done, 1);
    assert_int_equal(blocked.status, 400);
    assert_non_null(strstr(blocked.body.data, "guardrail_blocked"));
    assert_int_equal(streamed.done, 1);
    assert_int_equal(streamed.status, 200);
    assert_int_equal(streamed.body.len, 0);
    assert_true(streamed.chunks >= 1);
    assert_non_null(strstr(streamed.streamed.data, "data: [DONE]"));
    assert_int_equal(cancelled.done, 0);
    assert_int_equal(cancelled.chunks, 3);

    /* the retries happened: a chat's key was tried twice upstream (fail_first 1, then the answer) */
    char key[64];
    int count = 0;
    for (int i = 0; i < N_CHAT; i += 33) {
        snprintf(key, sizeof(key), "\"int-%s-%d\"", run_id, i);
        free(mock_outcome(key, &count));
        assert_int_equal(count, 2);
    }
    /* the cancelled stream: the mock saw Warden close the upstream connection */
    snprintf(key, sizeof(key), "int-%s-cancel", run_id);
    char *outcome = NULL;
    for (int i = 0; i < 50 && (outcome == NULL || strcmp(outcome, "pending") == 0); i++) {
        free(outcome);
        uv_run(&w.loop, UV_RUN_NOWAIT);
        usleep(20000);
        outcome = mock_outcome(key, &count);
    }
    assert_non_null(outcome);
    assert_string_equal(outcome, "client_closed");
    free(outcome);
    for (int i = 0; i < N_CHAT; i++) {
        util_buf_free(&chats[i].body);
        util_buf_free(&chats[i].streamed);
    }
    struct result *rs[] = {&blocked, &streamed, &cancelled};
    for (size_t i = 0; i < 3; i++) {
        util_buf_free(&rs[i]->body);
        util_buf_free(&rs[i]->streamed);
    }
    worker_destroy();
}

int main(int argc, char **argv)
{
    const char *env = getenv("WARDEN_MOCK");
    if (env != NULL) {
        snprintf(mock_bin, sizeof(mock_bin), "%s", env);
    } else {
        char self[PATH_MAX];
        snprintf(self, sizeof(self), "%s", argv[0]);
        snprintf(mock_bin, sizeof(mock_bin), "%s/../../warden-mock", dirname(self));
    }
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hundred_chats_a_block_a_stream_and_a_cancel),
    };
    return cmocka_run_group_tests(tests, mock_start, mock_stop);
}
