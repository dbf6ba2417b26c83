/* Prometheus metrics. See metrics.h. */
#include "metrics/metrics.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

#include "util/alloc.h"

static const double latency_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
#define N_BUCKETS (sizeof(latency_buckets) / sizeof(latency_buckets[0]))

struct histogram {
    _Atomic uint64_t buckets[N_BUCKETS + 1]; /* last one is +Inf */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_us;
};

struct guard_stats {
    _Atomic uint64_t verdicts[METRICS_VERDICT_COUNT];
    _Atomic uint64_t latency_us_sum;
    _Atomic uint64_t runs;
};

struct metrics {
    const struct config *cfg;
    _Atomic uint64_t requests[METRICS_ROUTE_COUNT][600];
    struct histogram latency;
    struct histogram ttft;
    _Atomic uint64_t counters[METRICS_COUNTER_COUNT];
    _Atomic int64_t async_pending;
    struct guard_stats *guards;
    size_t n_guards;
    struct model_cost {
        _Atomic uint64_t tokens_in, tokens_out, nano_usd;
    } *costs; /* per config model */
    struct pipeline_stats {
        _Atomic uint64_t ok, failed, latency_us_sum;
        struct step_stats {
            _Atomic uint64_t outcomes[METRICS_STEP_COUNT];
            _Atomic uint64_t latency_us_sum;
        } *steps;
    } *pipelines; /* per config pipeline */
    _Atomic uint64_t batch_items[METRICS_BATCH_COUNT][2]; /* [kind][ok] */
};

static const char *route_names[METRICS_ROUTE_COUNT] = {"chat_completions", "embeddings", "models", "other"};
static const char *verdict_names[METRICS_VERDICT_COUNT] = {"pass", "block", "rewrite", "error", "timeout", "logged", "unreachable"};
static const struct {
    const char *name;
    const char *help;
} counter_info[METRICS_COUNTER_COUNT] = {
    {"warden_upstream_attempts_total", "Upstream attempts started"},
    {"warden_upstream_retries_total", "Upstream attempts that were retries"},
    {"warden_upstream_timeouts_total", "Upstream attempts that timed out"},
    {"warden_fallbacks_total", "Requests moved on to a fallback model"},
    {"warden_client_disconnects_total", "Requests whose client went away before the end"},
    {"warden_upstream_cancelled_total", "Upstream transfers aborted by Warden"},
    {"warden_queue_rejected_total", "Requests rejected because a target's queue was full or timed out"},
    {"warden_stream_errors_total", "Streams ended with an SSE error event"},
    {"warden_async_post_overflow_total", "async_post checks dropped because the pending set was full"},
    {"warden_guard_async_cancelled_total", "Pending async_post checks cancelled when the drain time-out passed"},
    {"warden_schema_validation_failures_total", "Answers that failed structured-output validation"},
    {"warden_schema_reasks_total", "Re-asks sent after a structured-output validation failure"},
    {"warden_unverifiable_responses_total", "Answers refused (502) because output guardrails could not read them"},
    {"warden_model_jobs_carried_total", "Model checks and big scans (pii, secrets, prompt_injection on 64 KB or more) taken at once by a pool thread kept awake for them"},
    {"warden_model_jobs_queued_total", "Model checks and big scans (pii, secrets, prompt_injection on 64 KB or more) queued on the thread pool (no awake thread was waiting)"},
    {"warden_model_carriers_unused_total", "Pool threads kept awake for a model check that did not come"},
};

struct metrics *metrics_create(const struct config *cfg)
{
    struct metrics *m = util_calloc(1, sizeof(*m));
    m->cfg = cfg;
    m->n_guards = cfg->n_guardrails;
    m->guards = util_calloc(m->n_guards ? m->n_guards : 1, sizeof(*m->guards));
    m->costs = util_calloc(cfg->n_models ? cfg->n_models : 1, sizeof(*m->costs));
    m->pipelines = util_calloc(cfg->n_pipelines ? cfg->n_pipelines : 1, sizeof(*m->pipelines));
    for (size_t i = 0; i < cfg->n_pipelines; i++)
        m->pipelines[i].steps = util_calloc(cfg->pipelines[i].n_steps ? cfg->pipelines[i].n_steps : 1,
                                            sizeof(*m->pipelines[i].steps));
    return m;
}

void metrics_destroy(struct metrics *m)
{
    if (m == NULL)
        return;
    free(m->guards);
    free(m->costs);
    for (size_t i = 0; i < m->cfg->n_pipelines; i++)
        free(m->pipelines[i].steps);
    free(m->pipelines);
    free(m);
}

static void histogram_observe(struct histogram *h, uint64_t us)
{
    double s = (double)us / 1e6;
    size_t i = 0;
    while (i < N_BUCKETS && s > latency_buckets[i])
        i++;
    atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

void metrics_request_done(struct metrics *m, enum metrics_route route, int status, uint64_t total_us)
{
    if (status < 100 || status >= 600)
        status = 599;
    atomic_fetch_add_explicit(&m->requests[route][status], 1, memory_order_relaxed);
    histogram_observe(&m->latency, total_us);
}

void metrics_ttft(struct metrics *m, uint64_t us)
{
    histogram_observe(&m->ttft, us);
}

void metrics_count(struct metrics *m, enum metrics_counter c, uint64_t n)
{
    atomic_fetch_add_explicit(&m->counters[c], n, memory_order_relaxed);
}

void metrics_guard_verdict(struct metrics *m, size_t gi, enum metrics_verdict v, uint64_t latency_us)
{
    if (gi >= m->n_guards)
        return;
    atomic_fetch_add_explicit(&m->guards[gi].verdicts[v], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->guards[gi].latency_us_sum, latency_us, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->guards[gi].runs, 1, memory_order_relaxed);
}

void metrics_async_pending_add(struct metrics *m, int64_t delta)
{
    atomic_fetch_add_explicit(&m->async_pending, delta, memory_order_relaxed);
}

void metrics_cost(struct metrics *m, size_t mi, int64_t tokens_in, int64_t tokens_out, double cost_usd)
{
    if (mi >= m->cfg->n_models)
        return;
    if (tokens_in > 0)
        atomic_fetch_add_explicit(&m->costs[mi].tokens_in, (uint64_t)tokens_in, memory_order_relaxed);
    if (tokens_out > 0)
        atomic_fetch_add_explicit(&m->costs[mi].tokens_out, (uint64_t)tokens_out, memory_order_relaxed);
    if (cost_usd > 0)
        atomic_fetch_add_explicit(&m->costs[mi].nano_usd, (uint64_t)(cost_usd * 1e9 + 0.5), memory_order_relaxed);
}

void metrics_pipeline_run(struct metrics *m, size_t pi, int status, uint64_t total_us)
{
    if (pi >= m->cfg->n_pipelines)
        return;
    atomic_fetch_add_explicit(status >= 200 && status < 300 ? &m->pipelines[pi].ok : &m->pipelines[pi].failed, 1,
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&m->pipelines[pi].latency_us_sum, total_us, memory_order_relaxed);
}

void metrics_pipeline_step(struct metrics *m, size_t pi, size_t si, enum metrics_step_outcome o, uint64_t latency_us)
{
    if (pi >= m->cfg->n_pipelines || si >= m->cfg->pipelines[pi].n_steps)
        return;
    atomic_fetch_add_explicit(&m->pipelines[pi].steps[si].outcomes[o], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->pipelines[pi].steps[si].latency_us_sum, latency_us, memory_order_relaxed);
}

void metrics_batch_item(struct metrics *m, enum metrics_batch_kind kind, int ok)
{
    atomic_fetch_add_explicit(&m->batch_items[kind][ok ? 1 : 0], 1, memory_order_relaxed);
}

static void render_fanout(struct metrics *m, struct util_buf *o)
{
    static const char *outcome_names[METRICS_STEP_COUNT] = {"ok", "failed", "skipped", "cancelled"};
    static const char *batch_names[METRICS_BATCH_COUNT] = {"chat", "pipeline"};
    const struct config *cfg = m->cfg;
    util_buf_appendf(o, "# HELP warden_pipeline_runs_total Pipeline runs, by pipeline and result\n"
                        "# TYPE warden_pipeline_runs_total counter\n");
    for (size_t i = 0; i < cfg->n_pipelines; i++)
        util_buf_appendf(o, "warden_pipeline_runs_total{pipeline=\"%s\",result=\"ok\"} %llu\n"
                            "warden_pipeline_runs_total{pipeline=\"%s\",result=\"failed\"} %llu\n",
                         cfg->pipelines[i].name, (unsigned long long)atomic_load(&m->pipelines[i].ok), cfg->pipelines[i].name,
                         (unsigned long long)atomic_load(&m->pipelines[i].failed));
    util_buf_appendf(o, "# HELP warden_pipeline_run_seconds_sum Total time of pipeline runs\n"
                        "# TYPE warden_pipeline_run_seconds_sum counter\n");
    for (size_t i = 0; i < cfg->n_pipelines; i++)
        util_buf_appendf(o, "warden_pipeline_run_seconds_sum{pipeline=\"%s\"} %.6f\n", cfg->pipelines[i].name,
                         (double)atomic_load(&m->pipelines[i].latency_us_sum) / 1e6);
    util_buf_appendf(o, "# HELP warden_pipeline_steps_total Pipeline steps, by pipeline, step and outcome\n"
                        "# TYPE warden_pipeline_steps_total counter\n");
    for (size_t i = 0; i < cfg->n_pipelines; i++)
        for (size_t j = 0; j < cfg->pipelines[i].n_steps; j++)
            for (int k = 0; k < METRICS_STEP_COUNT; k++)
                util_buf_appendf(o, "warden_pipeline_steps_total{pipeline=\"%s\",step=\"%s\",outcome=\"%s\"} %llu\n",
                                 cfg->pipelines[i].name, cfg->pipelines[i].steps[j].name, outcome_names[k],
                                 (unsigned long long)atomic_load(&m->pipelines[i].steps[j].outcomes[k]));
    util_buf_appendf(o, "# HELP warden_pipeline_step_seconds_sum Time of pipeline steps (queueing excluded)\n"
                        "# TYPE warden_pipeline_step_seconds_sum counter\n");
    for (size_t i = 0; i < cfg->n_pipelines; i++)
        for (size_t j = 0; j < cfg->pipelines[i].n_steps; j++)
            util_buf_appendf(o, "warden_pipeline_step_seconds_sum{pipeline=\"%s\",step=\"%s\"} %.6f\n", cfg->pipelines[i].name,
                             cfg->pipelines[i].steps[j].name, (double)atomic_load(&m->pipelines[i].steps[j].latency_us_sum) / 1e6);
    util_buf_appendf(o, "# HELP warden_batch_items_total Batch items, by batch kind and result\n"
                        "# TYPE warden_batch_items_total counter\n");
    for (int k = 0; k < METRICS_BATCH_COUNT; k++)
        util_buf_appendf(o, "warden_batch_items_total{batch=\"%s\",result=\"ok\"} %llu\n"
                            "warden_batch_items_total{batch=\"%s\",result=\"failed\"} %llu\n",
                         batch_names[k], (unsigned long long)atomic_load(&m->batch_items[k][1]), batch_names[k],
                         (unsigned long long)atomic_load(&m->batch_items[k][0]));
}

static void render_costs(struct metrics *m, const struct metrics_gauges *g, struct util_buf *o)
{
    util_buf_appendf(o, "# HELP warden_tokens_total Tokens used, by requested model and direction\n"
                        "# TYPE warden_tokens_total counter\n");
    for (size_t i = 0; i < m->cfg->n_models; i++)
        util_buf_appendf(o, "warden_tokens_total{model=\"%s\",direction=\"in\"} %llu\n"
                            "warden_tokens_total{model=\"%s\",direction=\"out\"} %llu\n",
                         m->cfg->models[i].name, (unsigned long long)atomic_load(&m->costs[i].tokens_in), m->cfg->models[i].name,
                         (unsigned long long)atomic_load(&m->costs[i].tokens_out));
    util_buf_appendf(o, "# HELP warden_cost_usd_total Cost of the usage at the price of the target used, by requested model\n"
                        "# TYPE warden_cost_usd_total counter\n");
    for (size_t i = 0; i < m->cfg->n_models; i++)
        util_buf_appendf(o, "warden_cost_usd_total{model=\"%s\"} %.9f\n", m->cfg->models[i].name,
                         (double)atomic_load(&m->costs[i].nano_usd) / 1e9);
    if (!g->audit_on)
        return;
    util_buf_appendf(o,
                     "# HELP warden_audit_records_written_total Audit records committed to the sink\n"
                     "# TYPE warden_audit_records_written_total counter\nwarden_audit_records_written_total %llu\n"
                     "# HELP warden_audit_records_journaled_total Audit records spilled to the journal\n"
                     "# TYPE warden_audit_records_journaled_total counter\nwarden_audit_records_journaled_total %llu\n"
                     "# HELP warden_audit_records_dropped_total Audit records dropped (journal full)\n"
                     "# TYPE warden_audit_records_dropped_total counter\nwarden_audit_records_dropped_total %llu\n"
                     "# HELP warden_audit_journal_bytes Bytes in the audit journal\n"
                     "# TYPE warden_audit_journal_bytes gauge\nwarden_audit_journal_bytes %llu\n"
                     "# HELP warden_audit_sink_up 1 when the audit sink is connected\n"
                     "# TYPE warden_audit_sink_up gauge\nwarden_audit_sink_up %d\n",
                     (unsigned long long)g->audit_written, (unsigned long long)g->audit_journaled,
                     (unsigned long long)g->audit_dropped, (unsigned long long)g->audit_journal_bytes, g->audit_sink_up);
}

static void render_histogram(struct util_buf *o, const char *name, const char *help, struct histogram *h)
{
    util_buf_appendf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (size_t i = 0; i <= N_BUCKETS; i++) {
        cum += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
        if (i < N_BUCKETS)
            util_buf_appendf(o, "%s_bucket{le=\"%g\"} %llu\n", name, latency_buckets[i], (unsigned long long)cum);
        else
            util_buf_appendf(o, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
    }
    util_buf_appendf(o, "%s_sum %.6f\n%s_count %llu\n", name, (double)atomic_load(&h->sum_us) / 1e6, name,
                     (unsigned long long)atomic_load(&h->count));
}

static void render_targets(const struct metrics_gauges *g, struct util_buf *o)
{
    static const char *circuit_names[] = {"closed", "open", "half_open"};
    static const struct {
        const char *name, *help;
        size_t offset;
    } counters[] = {
        {"warden_target_attempts_total", "Upstream attempts per target", offsetof(struct metrics_target_sample, attempts)},
        {"warden_target_failures_total", "Failed upstream attempts per target", offsetof(struct metrics_target_sample, failures)},
        {"warden_target_cooldowns_total", "Times a target's circuit opened", offsetof(struct metrics_target_sample, cooldowns)},
    };
    if (g->targets == NULL)
        return;
    for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
        util_buf_appendf(o, "# HELP %s %s\n# TYPE %s counter\n", counters[c].name, counters[c].help, counters[c].name);
        for (size_t i = 0; i < g->n_targets; i++) {
            const struct metrics_target_sample *t = &g->targets[i];
            uint64_t v = *(const uint64_t *)((const char *)t + counters[c].offset);
            util_buf_appendf(o, "%s{model=\"%s\",target=\"%s\"} %llu\n", counters[c].name, t->model, t->target,
                             (unsigned long long)v);
        }
    }
    util_buf_appendf(o, "# HELP warden_target_state Circuit state per target (1 for the current state)\n"
                        "# TYPE warden_target_state gauge\n");
    for (size_t i = 0; i < g->n_targets; i++)
        for (int s = 0; s < 3; s++)
            util_buf_appendf(o, "warden_target_state{model=\"%s\",target=\"%s\",state=\"%s\"} %d\n", g->targets[i].model,
                             g->targets[i].target, circuit_names[s], s == (int)g->targets[i].circuit);
    util_buf_appendf(o, "# HELP warden_target_inflight Requests in flight per target\n# TYPE warden_target_inflight gauge\n");
    for (size_t i = 0; i < g->n_targets; i++)
        util_buf_appendf(o, "warden_target_inflight{model=\"%s\",target=\"%s\"} %d\n", g->targets[i].model,
                         g->targets[i].target, g->targets[i].inflight);
}

int metrics_render(struct metrics *m, const struct metrics_gauges *g, struct util_buf *o)
{
    util_buf_appendf(o, "# HELP warden_requests_total Requests answered, by route and status\n"
                        "# TYPE warden_requests_total counter\n");
    for (int rt = 0; rt < METRICS_ROUTE_COUNT; rt++)
        for (int s = 100; s < 600; s++) {
            uint64_t n = atomic_load_explicit(&m->requests[rt][s], memory_order_relaxed);
            if (n)
                util_buf_appendf(o, "warden_requests_total{route=\"%s\",status=\"%d\"} %llu\n", route_names[rt], s,
                                 (unsigned long long)n);
        }
    uint64_t errors = 0;
    for (int rt = 0; rt < METRICS_ROUTE_COUNT; rt++)
        for (int s = 400; s < 600; s++)
            errors += atomic_load_explicit(&m->requests[rt][s], memory_order_relaxed);
    util_buf_appendf(o, "# HELP warden_errors_total Requests answered with a 4xx or 5xx status\n"
                        "# TYPE warden_errors_total counter\nwarden_errors_total %llu\n",
                     (unsigned long long)errors);
    render_histogram(o, "warden_request_duration_seconds", "Total time per request", &m->latency);
    render_histogram(o, "warden_time_to_first_token_seconds", "Time from request to the first byte of the answer", &m->ttft);
    util_buf_appendf(o,
                     "# HELP warden_inflight_requests Requests being handled\n# TYPE warden_inflight_requests gauge\n"
                     "warden_inflight_requests %llu\n"
                     "# HELP warden_upstream_connections Open upstream connections\n# TYPE warden_upstream_connections gauge\n"
                     "warden_upstream_connections %llu\n"
                     "# HELP warden_upstream_connections_opened_total Upstream connections opened\n"
                     "# TYPE warden_upstream_connections_opened_total counter\n"
                     "warden_upstream_connections_opened_total %llu\n",
                     (unsigned long long)g->inflight, (unsigned long long)g->upstream_connections_open,
                     (unsigned long long)g->upstream_connections_opened);
    for (int c = 0; c < METRICS_COUNTER_COUNT; c++)
        util_buf_appendf(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counter_info[c].name, counter_info[c].help,
                         counter_info[c].name, counter_info[c].name,
                         (unsigned long long)atomic_load_explicit(&m->counters[c], memory_order_relaxed));
    util_buf_appendf(o, "# HELP warden_async_post_pending async_post checks still running\n"
                        "# TYPE warden_async_post_pending gauge\nwarden_async_post_pending %lld\n",
                     (long long)atomic_load(&m->async_pending));
    util_buf_appendf(o, "# HELP warden_guard_verdicts_total Guardrail verdicts\n# TYPE warden_guard_verdicts_total counter\n");
    for (size_t i = 0; i < m->n_guards; i++)
        for (int v = 0; v < METRICS_VERDICT_COUNT; v++) {
            uint64_t n = atomic_load_explicit(&m->guards[i].verdicts[v], memory_order_relaxed);
            if (n)
                util_buf_appendf(o, "warden_guard_verdicts_total{guard=\"%s\",verdict=\"%s\"} %llu\n",
                                 m->cfg->guardrails[i].name, verdict_names[v], (unsigned long long)n);
        }
    util_buf_appendf(o, "# HELP warden_guard_latency_seconds Guardrail check latency\n"
                        "# TYPE warden_guard_latency_seconds summary\n");
    for (size_t i = 0; i < m->n_guards; i++) {
        uint64_t runs = atomic_load(&m->guards[i].runs);
        if (!runs)
            continue;
        util_buf_appendf(o, "warden_guard_latency_seconds_sum{guard=\"%s\"} %.6f\nwarden_guard_latency_seconds_count{guard=\"%s\"} %llu\n",
                         m->cfg->guardrails[i].name, (double)atomic_load(&m->guards[i].latency_us_sum) / 1e6,
                         m->cfg->guardrails[i].name, (unsigned long long)runs);
    }
    render_costs(m, g, o);
    render_targets(g, o);
    render_fanout(m, o);
    return 0;
}
