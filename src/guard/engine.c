/* The guardrail engine. */
#include "guard/engine.h"

#include <stdlib.h>

#include "util/alloc.h"

struct guard_shared {
    const struct config *cfg;
};

struct guard_env {
    struct guard_shared *shared;
    uv_loop_t *loop;
    struct upstream_client *upstream;
    struct metrics *metrics;
};

struct guard_shared *guard_shared_create(const struct config *cfg, char *err, size_t errsz)
{
    struct guard_shared *gs = util_calloc(1, sizeof(*gs));
    gs->cfg = cfg;
    return gs;
}

void guard_shared_drain(struct guard_shared *gs, int timeout_ms)
{
}

void guard_shared_destroy(struct guard_shared *gs)
{
    free(gs);
}

struct guard_env *guard_env_create(struct guard_shared *gs, uv_loop_t *loop, struct upstream_client *up, struct metrics *m)
{
    struct guard_env *env = util_calloc(1, sizeof(*env));
    env->shared = gs;
    env->loop = loop;
    env->upstream = up;
    env->metrics = m;
    return env;
}

void guard_env_destroy(struct guard_env *env)
{
    free(env);
}
