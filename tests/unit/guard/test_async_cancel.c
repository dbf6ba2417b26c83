/* Shutdown of pending async_post checks (issue 10, item 5): guard_env_cancel_async cancels
 * every detached check of a worker, counts them in warden_guard_async_cancelled_total and
 * leaves nothing pending; no verdict is counted for them. The checks are webhooks to a
 * local socket that accepts and never answers, so they stay pending until cancelled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "config/config.h"
#include "guard/engine.h"
#include "metrics/metrics.h"
#include "upstream/client.h"
#include "util/buf.h"

/* A listening socket that never accepts: connections complete (backlog) and get no answer. */
static int silent_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

static uint64_t metric(struct metrics *m, const char *name)
{
    struct metrics_gauges g = {0};
    struct util_buf out;
    util_buf_init(&out, 1 << 20);
    metrics_render(m, &g, &out);
    util_buf_append(&out, "", 1);
    char key[128];
    snprintf(key, sizeof(key), "\n%s ", name);
    const char *p = strstr(out.data, key);
    uint64_t v = p ? strtoull(p + strlen(key), NULL, 10) : UINT64_MAX;
    util_buf_free(&out);
    return v;
}

static void pending_checks_are_cancelled_and_counted(void **state)
{
    int port = 0, lfd = silent_listener(&port);
    assert_true(lfd >= 0);
    char yaml[1024], err[512];
    snprintf(yaml, sizeof(yaml),
             "providers:\n  - {name: p, type: openai, base_url: \"http://127.0.0.1:1/v1\"}\n"
             "models:\n  - {name: m, targets: [{provider: p, model: x}]}\n"
             "guardrails:\n"
             "  - {name: slow, type: webhook, stage: output, timing: async_post, timeout_ms: 60000,"
             " url: \"http://127.0.0.1:%d/guardrail\"}\n",
             port);
    struct config *cfg = config_load_string(yaml, strlen(yaml), "t.yaml", err, sizeof(err));
    if (cfg == NULL)
        fail_msg("%s", err);
    struct guard_shared *gs = guard_shared_create(cfg, err, sizeof(err));
    assert_non_null(gs);
    struct metrics *m = metrics_create(cfg);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct upstream_client *up = upstream_client_create(&loop, UPSTREAM_TRANSPORT_AUTO);
    assert_non_null(up);
    struct guard_env *env = guard_env_create(gs, &loop, up, m);

    const char *texts[] = {"an answer"};
    size_t lens[] = {9};
    struct guard_subject s = {.stage = CONFIG_STAGE_OUTPUT, .texts = texts, .lens = lens, .n = 1, .model = "m",
                              .request_id = "req-1"};
    const struct config_guardrail *g = config_find_guardrail(cfg, "slow");
    for (int i = 0; i < 3; i++)
        assert_int_equal(guard_run_async_post(env, g, &s, NULL, NULL), 0);
    for (int i = 0; i < 20; i++) /* connect and send; the answer never comes */
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(guard_env_async_pending(env), 3);
    assert_int_equal(metric(m, "warden_async_post_pending"), 3);
    assert_int_equal(metric(m, "warden_guard_async_cancelled_total"), 0);

    assert_int_equal(guard_env_cancel_async(env), 3);
    assert_int_equal(guard_env_async_pending(env), 0);
    assert_int_equal(metric(m, "warden_async_post_pending"), 0);
    assert_int_equal(metric(m, "warden_guard_async_cancelled_total"), 3);
    assert_int_equal(guard_env_cancel_async(env), 0); /* nothing left: no double count */
    assert_int_equal(metric(m, "warden_guard_async_cancelled_total"), 3);
    for (int i = 0; i < 20; i++) /* a cancelled check reports nothing later */
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(metric(m, "warden_guard_async_cancelled_total"), 3);

    guard_env_destroy(env);
    upstream_client_destroy(up);
    for (int i = 0; i < 50 && uv_run(&loop, UV_RUN_NOWAIT) != 0; i++)
        ;
    assert_int_equal(uv_loop_close(&loop), 0);
    metrics_destroy(m);
    guard_shared_destroy(gs);
    config_free(cfg);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pending_checks_are_cancelled_and_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
