/* The guardrail engine (see engine.c for the design).
 *
 * guard_shared: built once at start-up from the config and shared by every
 * worker read-only: compiled scanners, loaded plugins, the CPU worker pool,
 * the bounded set of async_post checks.
 * guard_env: one per worker: its loop, its upstream client (webhooks,
 * judges), scratch space. */
#ifndef WARDEN_GUARD_ENGINE_H
#define WARDEN_GUARD_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"

struct guard_shared;
struct guard_env;
struct upstream_client;
struct metrics;

struct guard_shared *guard_shared_create(const struct config *cfg, char *err, size_t errsz);
/* Waits (bounded) for async_post checks still running. */
void guard_shared_drain(struct guard_shared *gs, int timeout_ms);
void guard_shared_destroy(struct guard_shared *gs);

struct guard_env *guard_env_create(struct guard_shared *gs, uv_loop_t *loop, struct upstream_client *up, struct metrics *m);
void guard_env_destroy(struct guard_env *env);

#endif
