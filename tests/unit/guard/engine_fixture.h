/* A guard engine on a real loop for guard/ unit tests: the config, the shared state, metrics
 * and one worker's env (no upstream client: no remote checks). Included by one test file each. */
#ifndef WARDEN_TESTS_GUARD_ENGINE_FIXTURE_H
#define WARDEN_TESTS_GUARD_ENGINE_FIXTURE_H

#include <stdio.h>
#include <uv.h>

#include "config/config.h"
#include "guard/engine.h"
#include "metrics/metrics.h"

static struct {
    struct config *cfg;
    struct guard_shared *gs;
    struct metrics *m;
    uv_loop_t loop;
    struct guard_env *env;
} fx;

/* 0, or -1 with the reason on stderr (a cmocka group setup). */
static int engine_fixture_up(const char *yaml, size_t len)
{
    char err[1024];
    fx.cfg = config_load_string(yaml, len, "t.yaml", err, sizeof(err));
    if (fx.cfg == NULL) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    fx.gs = guard_shared_create(fx.cfg, err, sizeof(err));
    if (fx.gs == NULL) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    fx.m = metrics_create(fx.cfg);
    uv_loop_init(&fx.loop);
    fx.env = guard_env_create(fx.gs, &fx.loop, NULL, fx.m);
    return 0;
}

/* The env goes first; running the loop lets its handles close and its runs finish. */
static int engine_fixture_down(void)
{
    guard_env_destroy(fx.env);
    uv_run(&fx.loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&fx.loop);
    metrics_destroy(fx.m);
    guard_shared_destroy(fx.gs);
    config_free(fx.cfg);
    return rc == 0 ? 0 : -1;
}

#endif
