/* A worker for api/ unit tests, built and torn down as server.c does (no listener): its loop,
 * config, metrics, router, upstream client, guard env, schema cache and API state; and a
 * bounded loop run for internal requests (api/internal.h). Included by one test file each. */
#ifndef WARDEN_TESTS_API_WORKER_FIXTURE_H
#define WARDEN_TESTS_API_WORKER_FIXTURE_H

#include <uv.h>

#include "api/api.h"
#include "config/config.h"
#include "guard/engine.h"
#include "metrics/metrics.h"
#include "schema/schema.h"
#include "server/server.h"
#include "upstream/client.h"
#include "upstream/router.h"

static struct config *fixture_cfg;
static struct guard_shared *fixture_gs;
static struct server_worker w;
static int pending; /* internal requests not answered yet (the tests count them) */

static void fixture_close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* The worker on its loop (uv_loop_init already done by the caller when it put handles there). */
static void worker_build(const char *yaml, size_t len)
{
    char err[512];
    fixture_cfg = config_load_string(yaml, len, "test", err, sizeof(err));
    if (fixture_cfg == NULL)
        fail_msg("config: %s", err);
    fixture_gs = guard_shared_create(fixture_cfg, err, sizeof(err));
    assert_non_null(fixture_gs);
    w.cfg = fixture_cfg;
    w.metrics = metrics_create(fixture_cfg);
    w.router = router_create(fixture_cfg);
    w.upstream = upstream_client_create(&w.loop, (enum upstream_transport_choice)fixture_cfg->server.upstream_transport);
    w.guards = guard_env_create(fixture_gs, &w.loop, w.upstream, w.metrics);
    w.schemas = schema_cache_create(16);
    w.app = api_server_app.worker_init(&w);
    assert_non_null(w.app);
}

/* Everything the worker holds, as server.c stops a worker; closes every handle on the loop. */
static void worker_destroy(void)
{
    for (int i = 0; i < 50 && uv_run(&w.loop, UV_RUN_NOWAIT) != 0; i++)
        ;
    guard_env_destroy(w.guards);
    upstream_client_destroy(w.upstream);
    api_server_app.worker_stop(w.app);
    for (int i = 0; i < 50 && uv_run(&w.loop, UV_RUN_NOWAIT) != 0; i++)
        ;
    uv_walk(&w.loop, fixture_close_walk, NULL);
    uv_run(&w.loop, UV_RUN_DEFAULT);
    uv_loop_close(&w.loop);
    router_destroy(w.router);
    schema_cache_destroy(w.schemas);
    api_server_app.worker_free(w.app);
    metrics_destroy(w.metrics);
    guard_shared_destroy(fixture_gs);
    config_free(fixture_cfg);
}

static void fixture_on_bound(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void fixture_on_poll(uv_timer_t *t)
{
    if (pending == 0)
        uv_stop(t->loop);
}

/* Runs the loop until `pending` is 0, or bound_ms passed (checked every poll_ms). */
static void run_until_answered(int bound_ms, int poll_ms)
{
    uv_timer_t bound, poll;
    uv_timer_init(&w.loop, &bound);
    uv_timer_init(&w.loop, &poll);
    uv_timer_start(&bound, fixture_on_bound, (uint64_t)bound_ms, 0);
    uv_timer_start(&poll, fixture_on_poll, (uint64_t)poll_ms, (uint64_t)poll_ms);
    uv_run(&w.loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&bound, NULL);
    uv_close((uv_handle_t *)&poll, NULL);
    uv_run(&w.loop, UV_RUN_NOWAIT);
}

#endif
