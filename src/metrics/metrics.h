/* Process-wide counters and histograms, rendered in Prometheus text format.
 * This module sits below every other one: any module may report to it, and it
 * includes none of them (config/ and util/ aside). Numbers owned by other modules
 * (per-target health, audit counters, in-flight requests) are handed to
 * metrics_render() as plain samples; the Prometheus text is written only here.
 * Every update is a relaxed atomic add, so workers never contend on a lock.
 * Label sets are fixed at start-up (routes, models' targets, guardrails), so
 * the storage is plain arrays sized from the config. */
#ifndef WARDEN_METRICS_METRICS_H
#define WARDEN_METRICS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "util/buf.h"

enum metrics_route { METRICS_ROUTE_CHAT, METRICS_ROUTE_EMBEDDINGS, METRICS_ROUTE_MODELS, METRICS_ROUTE_OTHER, METRICS_ROUTE_COUNT };

enum metrics_counter {
    METRICS_UPSTREAM_ATTEMPTS,
    METRICS_UPSTREAM_RETRIES,
    METRICS_UPSTREAM_TIMEOUTS,
    METRICS_FALLBACKS,
    METRICS_CLIENT_DISCONNECTS,
    METRICS_UPSTREAM_CANCELLED,
    METRICS_QUEUE_REJECTED,
    METRICS_STREAM_ERRORS,
    METRICS_ASYNC_POST_OVERFLOW,
    METRICS_ASYNC_POST_CANCELLED, /* pending async_post checks cancelled at shutdown */
    METRICS_SCHEMA_FAILURES,
    METRICS_SCHEMA_REASKS,
    METRICS_UNVERIFIABLE_RESPONSES,
    METRICS_MODEL_JOBS_CARRIED, /* model jobs taken at once by a pool thread kept awake for them */
    METRICS_MODEL_JOBS_QUEUED,  /* model jobs queued on the pool (no awake thread was waiting) */
    METRICS_CARRIERS_UNUSED,    /* pool threads kept awake that no model job came to */
    METRICS_COUNTER_COUNT
};

/* error: the check failed or its service answered badly; unreachable: a remote check's service could
 * not be reached (connection error, HTTP 502/503/504); timeout: it did not answer in time. */
enum metrics_verdict { METRICS_VERDICT_PASS, METRICS_VERDICT_BLOCK, METRICS_VERDICT_REWRITE, METRICS_VERDICT_ERROR,
                       METRICS_VERDICT_TIMEOUT, METRICS_VERDICT_LOGGED, METRICS_VERDICT_UNREACHABLE, METRICS_VERDICT_COUNT };

struct metrics;

struct metrics *metrics_create(const struct config *cfg);
void metrics_destroy(struct metrics *m);

void metrics_request_done(struct metrics *m, enum metrics_route route, int status, uint64_t total_us);
void metrics_ttft(struct metrics *m, uint64_t us);
void metrics_count(struct metrics *m, enum metrics_counter c, uint64_t n);
void metrics_guard_verdict(struct metrics *m, size_t guard_index, enum metrics_verdict v, uint64_t latency_us);
void metrics_async_pending_add(struct metrics *m, int64_t delta);
/* Usage and its cost (cost_usd < 0: no price known) of a request for config model model_index. */
void metrics_cost(struct metrics *m, size_t model_index, int64_t tokens_in, int64_t tokens_out, double cost_usd);

/* Fan-out (src/fanout): a pipeline run ended with an HTTP status; one of its steps ended
 * (pipeline and step are indices into cfg->pipelines and its steps); a batch item ended. */
enum metrics_step_outcome { METRICS_STEP_OK, METRICS_STEP_FAILED, METRICS_STEP_SKIPPED, METRICS_STEP_CANCELLED, METRICS_STEP_COUNT };
enum metrics_batch_kind { METRICS_BATCH_CHAT, METRICS_BATCH_PIPELINE, METRICS_BATCH_COUNT };
void metrics_pipeline_run(struct metrics *m, size_t pipeline, int status, uint64_t total_us);
void metrics_pipeline_step(struct metrics *m, size_t pipeline, size_t step, enum metrics_step_outcome o, uint64_t latency_us);
void metrics_batch_item(struct metrics *m, enum metrics_batch_kind kind, int ok);

/* One upstream target's numbers at render time (filled from upstream/router.h). */
enum metrics_circuit { METRICS_CIRCUIT_CLOSED, METRICS_CIRCUIT_OPEN, METRICS_CIRCUIT_HALF_OPEN };
struct metrics_target_sample {
    const char *model, *target; /* label values */
    uint64_t attempts, failures, cooldowns;
    enum metrics_circuit circuit;
    int inflight;
};

/* Gauges read at render time from the live workers, the router and the audit log. */
struct metrics_gauges {
    uint64_t inflight;
    uint64_t upstream_connections_open;
    uint64_t upstream_connections_opened;
    int audit_on; /* the audit log's counters (audit/audit.h), when audit is on */
    uint64_t audit_written, audit_journaled, audit_dropped, audit_journal_bytes;
    int audit_sink_up;
    const struct metrics_target_sample *targets; /* n_targets samples, or NULL */
    size_t n_targets;
};
int metrics_render(struct metrics *m, const struct metrics_gauges *g, struct util_buf *out);

#endif
