/* The attempt planner: what a request does after an upstream attempt failed, and how a
 * target's queue and Retry-After are read. Pure decision functions: no sockets, timers or
 * clocks (the caller passes the time and the random state), so each rule is unit-tested
 * alone (tests/unit/api/test_attempt_plan.c). The lifecycle acts on the decisions. */
#ifndef WARDEN_API_ATTEMPT_PLAN_H
#define WARDEN_API_ATTEMPT_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config/config.h"

/* Fallbacks taken by one request at most (a loop of fallback rules ends here). */
#define ATTEMPT_PLAN_MAX_FALLBACKS 8
/* A wait for a cooling target longer than this fails the attempt at once. */
#define ATTEMPT_PLAN_MAX_COOLING_WAIT_MS 60000

/* An upstream status worth another attempt. */
int attempt_plan_status_retryable(int status);

/* A Retry-After value (delta-seconds or an HTTP date) in ms from now, capped at one hour;
 * 0 when absent, malformed or in the past. */
uint64_t attempt_plan_retry_after_ms(const char *value, time_t now);

/* Full-jitter exponential backoff: uniform in [0, min(max, base * 2^retry_index)].
 * *seed is the caller's xorshift state (non-zero). */
uint64_t attempt_plan_backoff_ms(const struct config_retry *r, int retry_index, uint64_t *seed);

/* May model m fall back after a failure with this status (0: no HTTP answer) and body?
 * 1 with *to set when a rule names its model, 1 with *to NULL when the model's fallback
 * list applies (no rules, or a rule without a model), 0 when its rules forbid it. */
int attempt_plan_fallback_allowed(const struct config_model *m, int status, const char *body, size_t len,
                                  const struct config_model **to);

/* What one request has used so far. */
struct attempt_progress {
    const struct config_model *model;           /* the model tried now */
    const struct config_model *requested_model; /* its fallbacks list is the default order */
    const struct config_retry *retry;           /* the last target's policy, else the model's */
    int attempts_on_model;                      /* attempts on model, the failed one included */
    int cooling_waits;                          /* waits for a cooling target so far */
    size_t fallback_pos;                        /* next entry of requested_model->fallbacks */
    int fallbacks_taken;
};

/* How the attempt failed. */
struct attempt_failure {
    int overload;             /* no target could be tried (all cooling down) */
    uint64_t cooling_wait_ms; /* overload: when the first target reopens (0: unknown) */
    int status;               /* the upstream's HTTP status, 0 if it gave none */
    uint64_t retry_after_ms;  /* the upstream's Retry-After (429/503), 0 if none */
    const char *body;         /* the upstream's error body (fallback rules match it) */
    size_t body_len;
};

enum attempt_next {
    ATTEMPT_NEXT_WAIT_COOLING, /* wait wait_ms for a cooling target, then try again */
    ATTEMPT_NEXT_RETRY,        /* back off wait_ms, then try the model again */
    ATTEMPT_NEXT_FALLBACK,     /* try model fallback_to now */
    ATTEMPT_NEXT_GIVE_UP,      /* answer with the last error */
};

struct attempt_decision {
    enum attempt_next next;
    uint64_t wait_ms;
    const struct config_model *fallback_to;
    int fallback_from_list; /* fallback_to is requested_model->fallbacks[fallback_pos]: advance it */
};

void attempt_plan_after_failure(const struct attempt_progress *p, const struct attempt_failure *f, uint64_t *seed,
                                struct attempt_decision *d);

/* A target at max_concurrent: may one more request wait in its queue (waiting counts it)? */
int attempt_plan_queue_admits(int queue_max, int waiting);
/* Has a request queued since `since` (ns) waited longer than timeout_ms at `now` (ns)? */
int attempt_plan_queue_expired(uint64_t now, uint64_t since, int timeout_ms);

#endif
