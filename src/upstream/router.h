/* Target selection and health, shared by every worker.
 *
 * Each model target has a circuit breaker:
 *
 *     CLOSED --(error ratio over the window >= threshold, or 429 Retry-After)--> OPEN
 *     OPEN   --(cooldown elapsed)--> HALF_OPEN
 *     HALF_OPEN --(the single probe succeeds)--> CLOSED
 *     HALF_OPEN --(the probe fails)--> OPEN
 *
 * A cooldown set by one request holds for every request on every worker.
 * Selection skips OPEN targets and HALF_OPEN ones whose probe is out, then
 * applies the model's policy (weighted random, least in-flight, lowest
 * EWMA time to first token). Every router_attempt_begin() is matched by
 * exactly one router_attempt_end(). */
#ifndef WARDEN_UPSTREAM_ROUTER_H
#define WARDEN_UPSTREAM_ROUTER_H

#include <stdint.h>

#include "config/config.h"
#include <stddef.h>

struct router;
struct router_target;

enum router_outcome {
    ROUTER_OK,        /* answer received */
    ROUTER_FAILED,    /* counts against health */
    ROUTER_CANCELLED, /* ended by us (client gone, guard): no verdict on the target */
};

struct router *router_create(const struct config *cfg);
void router_destroy(struct router *r);

/* Picks a target of model m that may take traffic now; `tried` (may be NULL) is a bitmask of
 * target positions already tried by this request, preferred last. Returns NULL when every
 * target is cooling down; *wait_ms then says when the first one opens again. */
struct router_target *router_pick(struct router *r, const struct config_model *m, uint64_t tried, uint64_t *wait_ms);

/* Gives back a pick that will not be used (releases a half-open probe claim). */
void router_unpick(struct router_target *t);
/* Takes a concurrency slot: 0, or -1 when the target is at max_concurrent. */
int router_try_acquire(struct router_target *t);
void router_attempt_begin(struct router_target *t);
/* cooldown_ms > 0: the server asked for a pause (Retry-After); open the circuit that long. */
void router_attempt_end(struct router_target *t, enum router_outcome o, uint64_t ttft_us, uint64_t cooldown_ms);

const struct config_target *router_target_config(const struct router_target *t);
unsigned router_target_position(const struct router_target *t); /* index within its model */
const char *router_target_label(const struct router_target *t); /* "provider/model" */
/* Built once at start-up: the upstream URL of an endpoint ("/chat/completions", "/embeddings")
 * and the header lines every call to this target sends (NULL-terminated). */
const char *router_target_url(const struct router_target *t, int embeddings);
const char *const *router_target_headers(const struct router_target *t);
int router_target_waiting_add(struct router_target *t, int delta); /* queue length bookkeeping; returns new value */

/* Per-target numbers for /metrics, read with the same locking as selection. */
enum router_circuit { ROUTER_CIRCUIT_CLOSED, ROUTER_CIRCUIT_OPEN, ROUTER_CIRCUIT_HALF_OPEN };
struct router_target_stats {
    const char *model, *target; /* the config model's name, "provider/model" */
    uint64_t attempts, failures, cooldowns;
    enum router_circuit circuit;
    int inflight;
};
size_t router_target_count(const struct router *r);
/* i < router_target_count(r) */
void router_target_stats_get(const struct router *r, size_t i, struct router_target_stats *out);

#endif
