/* The guardrail engine. See engine.h for the contract.
 *
 * A guard_run is one evaluation of one guardrail. Kinds of run:
 *   local   regex, keywords, length, tools: computed at once on the loop
 *           (microseconds: a 4 KB prompt scans in ~10 us with Hyperscan);
 *   remote  webhook, llm_judge: an HTTP call on the worker's upstream client;
 *   pool    plugins that declare themselves CPU-bound (or are configured so), and
 *           classifier models: uv_queue_work on libuv's thread pool, never on the loop;
 *           classifier jobs in the pool are bounded (CLASSIFIER_QUEUE_MAX per process:
 *           past it, on_error applies at once) and a job still queued at the
 *           guard's time-out is cancelled (uv_cancel) and on_error applies;
 *   group   parallel (strategies) and chain (ordered): child runs.
 *
 * Lifetime: a run holds references: one for its logic (dropped when it
 * reports or is cancelled), one for its time-out timer (dropped in the
 * timer's close callback), one while pool work is queued (dropped in
 * after_work, which libuv always calls even if we no longer care). The run
 * is freed when the count reaches zero, so no callback ever touches freed
 * memory. */
#include "guard/engine.h"

#include <h2o/linklist.h>
#include <h2o/memory.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard/builtin.h"
#include "guard/classifier.h"
#include "guard/injection.h"
#include "guard/detect.h"
#include "guard/pii.h"
#include "guard/placeholder.h"
#include "guard/plugin.h"
#include "guard/redact.h"
#include "guard/scan.h"
#include "guard/secrets.h"
#include "guard/webhook.h"
#include "metrics/metrics.h"
#include "upstream/client.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fmt.h"
#include "util/log.h"
#include "warden/guard.h"

#define REMOTE_RESPONSE_MAX (1024 * 1024)
#define DEFAULT_STREAM_WINDOW 256
#define CLASSIFIER_QUEUE_MAX 256

struct guard_compiled {
    const struct config_guardrail *cfg;
    struct guard_scan *scan;       /* regex / keywords */
    struct guard_scan **arg_scans; /* tools: one per arg_patterns entry */
    struct guard_plugin *plugin;
    struct guard_classifier *classifier; /* classifier: the model, loaded once */
    struct detect_set *detect;     /* pii / secrets */
    json_t *provider_params; /* webhook: additional_provider_specific_params */
};

struct guard_shared {
    const struct config *cfg;
    struct guard_compiled *gc; /* parallel to cfg->guardrails */
    size_t n;
    _Atomic int async_pending;
    struct guard_injection *injection; /* one compiled detector for every prompt_injection guard */
    _Atomic int classifier_jobs;       /* classifier jobs in the worker pool, all workers */
};

struct guard_env {
    struct guard_shared *shared;
    uv_loop_t *loop;
    struct upstream_client *upstream;
    struct metrics *metrics;
    struct guard_scan_scratch *scratch;
    struct guard_injection_scratch *injection_scratch;
    struct detect_scratch *detect_scratch;
    h2o_linklist_t async_runs; /* detached async_post runs of this worker (guard_run.async_link) */
    size_t async_count;
};

/* What a check found, before action / on_error / on_unreachable are applied. */
enum raw_result {
    RAW_PASS,
    RAW_VIOLATION,   /* found something: the action decides */
    RAW_REWRITE,     /* a guard service rewrote texts: applied unless action log */
    RAW_ERROR,       /* the check failed or answered badly: on_error */
    RAW_UNREACHABLE, /* a remote check could not run (connection, 502/503/504, time-out): on_unreachable */
};

struct guard_run {
    struct guard_env *env;
    const struct config_guardrail *g;
    const struct guard_compiled *gc;
    guard_done_cb cb;
    void *ud;
    int refs;
    unsigned reported : 1, cancelled : 1, timer_inited : 1, detached : 1;
    uint64_t t0;
    /* the subject, copied */
    enum config_guard_stage stage;
    char **texts;
    size_t *lens;
    size_t n;
    size_t n_messages;
    json_t *tool_calls;
    char model[128];
    char request_id[80];
    struct guard_webhook_ctx *wctx; /* webhooks and groups with one: the request's context (shared with members) */
    uv_timer_t timer;
    /* remote */
    struct upstream_call *call;
    struct util_buf resp;
    char *req_body;
    /* pool */
    uv_work_t work;
    struct guard_plugin_result presult;
    int pverdict;
    int clf_queued; /* classifier work in the pool, not yet completed (uv_cancel on stop) */
    /* written by the pool thread; moved to findings on the loop in after_work */
    struct guard_finding *clf_findings;
    size_t clf_n_findings;
    char clf_reason[200];
    /* what a local check found; moved into the verdict */
    struct guard_finding *findings;
    size_t n_findings, cap_findings;
    struct guard_placeholders *placeholders;
    /* group */
    struct guard_run **children;
    struct guard_verdict *child_verdicts; /* kept copies (texts moved in) */
    unsigned char *child_done;
    size_t n_children, pending, chain_pos;
    int chain_rewrote;
    struct guard_run *parent;
    size_t index_in_parent;
    h2o_linklist_t async_link; /* in guard_env.async_runs while a detached run is pending */
};

/* ---- call ids ---- */

static uint64_t call_id_key[2];
static pthread_once_t call_id_once = PTHREAD_ONCE_INIT;

static void call_id_key_init(void)
{
    if (getrandom(call_id_key, sizeof(call_id_key), 0) != (ssize_t)sizeof(call_id_key)) {
        /* no entropy source: still unique per process run, only less unpredictable */
        call_id_key[0] = util_now_ns() ^ ((uint64_t)getpid() << 32);
        call_id_key[1] = (uint64_t)(uintptr_t)&call_id_key ^ 0x9e3779b97f4a7c15ull;
    }
}

/* SplitMix64's finaliser: every input bit affects every output bit. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void guard_call_id(char out[GUARD_CALL_ID_SIZE], const void *request, uint64_t started_ns)
{
    pthread_once(&call_id_once, call_id_key_init);
    uint64_t a = mix64(call_id_key[0] ^ mix64((uint64_t)(uintptr_t)request));
    uint64_t hi = mix64(a ^ mix64(call_id_key[1] ^ started_ns));
    uint64_t lo = mix64(hi ^ call_id_key[0] ^ started_ns);
    /* UUID version 4 layout, as LiteLLM's own call ids */
    hi = (hi & ~0xf000ull) | 0x4000ull;
    lo = (lo & ~(0xc000ull << 48)) | (0x8000ull << 48);
    /* 8-4-4-4-12 hex digits; made once per client request, so no printf */
    util_fmt_hex(out, hi >> 32, 8);
    out[8] = '-';
    util_fmt_hex(out + 9, (hi >> 16) & 0xffff, 4);
    out[13] = '-';
    util_fmt_hex(out + 14, hi & 0xffff, 4);
    out[18] = '-';
    util_fmt_hex(out + 19, lo >> 48, 4);
    out[23] = '-';
    util_fmt_hex(out + 24, lo & 0xffffffffffffull, 12);
    out[36] = '\0';
}

const char *guard_timing_name(enum config_guard_timing t)
{
    return t == CONFIG_TIMING_BLOCKING ? "blocking" : t == CONFIG_TIMING_CONCURRENT ? "concurrent" : "async_post";
}

const char *guard_stage_name(enum config_guard_stage s)
{
    return s == CONFIG_STAGE_INPUT ? "input" : "output";
}

/* ---- shared state ---- */

struct guard_shared *guard_shared_create(const struct config *cfg, char *err, size_t errsz)
{
    struct guard_shared *gs = util_calloc(1, sizeof(*gs));
    gs->cfg = cfg;
    gs->n = cfg->n_guardrails;
    gs->gc = util_calloc(gs->n ? gs->n : 1, sizeof(*gs->gc));
    for (size_t i = 0; i < gs->n; i++) {
        const struct config_guardrail *g = &cfg->guardrails[i];
        struct guard_compiled *c = &gs->gc[i];
        c->cfg = g;
        char e[512] = "";
        if (g->type == CONFIG_GUARD_REGEX || g->type == CONFIG_GUARD_KEYWORDS) {
            int flags = (g->case_sensitive ? 0 : GUARD_SCAN_CASELESS) | (g->whole_word ? GUARD_SCAN_WHOLE_WORD : 0);
            c->scan = guard_scan_compile(g->type == CONFIG_GUARD_REGEX ? GUARD_SCAN_REGEX : GUARD_SCAN_KEYWORDS,
                                         (const char *const *)g->patterns, g->n_patterns, flags, e, sizeof(e));
            if (c->scan == NULL) {
                snprintf(err, errsz, "%s:%d: guardrail %s: %s", cfg->path ? cfg->path : "config", g->line, g->name, e);
                guard_shared_destroy(gs);
                return NULL;
            }
        } else if (g->type == CONFIG_GUARD_TOOLS && g->n_arg_patterns > 0) {
            c->arg_scans = util_calloc(g->n_arg_patterns, sizeof(*c->arg_scans));
            for (size_t k = 0; k < g->n_arg_patterns; k++) {
                const char *p = g->arg_patterns[k].value;
                c->arg_scans[k] = guard_scan_compile(GUARD_SCAN_REGEX, &p, 1, 0, e, sizeof(e));
                if (c->arg_scans[k] == NULL) {
                    snprintf(err, errsz, "%s:%d: guardrail %s: arguments pattern for %s: %s", cfg->path ? cfg->path : "config",
                             g->line, g->name, g->arg_patterns[k].name, e);
                    guard_shared_destroy(gs);
                    return NULL;
                }
            }
        } else if (g->type == CONFIG_GUARD_WEBHOOK) {
            json_error_t je;
            if (g->provider_params_json != NULL)
                c->provider_params = json_loads(g->provider_params_json, 0, &je);
            if (g->api_key_env != NULL && g->api_key == NULL)
                LOG_WARN("guard", "guardrail %s: %s is not set in the environment: no x-api-key is sent", g->name,
                         g->api_key_env);
        } else if (g->type == CONFIG_GUARD_PLUGIN) {
            c->plugin = guard_plugin_load(g->plugin_path, g->plugin_config, e, sizeof(e));
            if (c->plugin == NULL) {
                snprintf(err, errsz, "%s:%d: guardrail %s: %s", cfg->path ? cfg->path : "config", g->line, g->name, e);
                guard_shared_destroy(gs);
                return NULL;
            }
        } else if (g->type == CONFIG_GUARD_CLASSIFIER) {
            c->classifier = guard_classifier_load(g->model_path, e, sizeof(e));
            if (c->classifier == NULL) {
                snprintf(err, errsz, "%s:%d: guardrail %s: %s", cfg->path ? cfg->path : "config", g->line, g->name, e);
                guard_shared_destroy(gs);
                return NULL;
            }
        } else if (g->type == CONFIG_GUARD_PROMPT_INJECTION && gs->injection == NULL) {
            gs->injection = guard_injection_create(e, sizeof(e));
            if (gs->injection == NULL) {
                snprintf(err, errsz, "%s:%d: guardrail %s: %s", cfg->path ? cfg->path : "config", g->line, g->name, e);
                guard_shared_destroy(gs);
                return NULL;
            }
        } else if (g->type == CONFIG_GUARD_PII || g->type == CONFIG_GUARD_SECRETS) {
            c->detect = g->type == CONFIG_GUARD_PII ? guard_pii_compile(g, e, sizeof(e)) : guard_secrets_compile(g, e, sizeof(e));
            if (c->detect == NULL) {
                snprintf(err, errsz, "%s:%d: guardrail %s: %s", cfg->path ? cfg->path : "config", g->line, g->name, e);
                guard_shared_destroy(gs);
                return NULL;
            }
        }
    }
    return gs;
}

void guard_shared_destroy(struct guard_shared *gs)
{
    if (gs == NULL)
        return;
    for (size_t i = 0; i < gs->n; i++) {
        struct guard_compiled *c = &gs->gc[i];
        guard_scan_free(c->scan);
        if (c->arg_scans) {
            for (size_t k = 0; k < c->cfg->n_arg_patterns; k++)
                guard_scan_free(c->arg_scans[k]);
            free(c->arg_scans);
        }
        if (c->plugin)
            guard_plugin_free(c->plugin);
        guard_classifier_free(c->classifier);
        detect_free(c->detect);
        json_decref(c->provider_params);
    }
    guard_injection_free(gs->injection);
    free(gs->gc);
    free(gs);
}

static const struct guard_compiled *compiled(const struct guard_env *env, const struct config_guardrail *g)
{
    size_t i = (size_t)(g - env->shared->cfg->guardrails);
    return i < env->shared->n ? &env->shared->gc[i] : NULL;
}

struct guard_env *guard_env_create(struct guard_shared *gs, uv_loop_t *loop, struct upstream_client *up, struct metrics *m)
{
    struct guard_env *env = util_calloc(1, sizeof(*env));
    h2o_linklist_init_anchor(&env->async_runs);
    env->shared = gs;
    env->loop = loop;
    env->upstream = up;
    env->metrics = m;
    env->scratch = guard_scan_scratch_new(NULL);
    if (gs->injection)
        env->injection_scratch = guard_injection_scratch_new(gs->injection);
    env->detect_scratch = detect_scratch_new();
    for (size_t i = 0; i < gs->n; i++) {
        if (gs->gc[i].detect)
            detect_scratch_grow(env->detect_scratch, gs->gc[i].detect);
        if (gs->gc[i].scan)
            guard_scan_scratch_grow(env->scratch, gs->gc[i].scan);
        for (size_t k = 0; gs->gc[i].arg_scans && k < gs->gc[i].cfg->n_arg_patterns; k++)
            guard_scan_scratch_grow(env->scratch, gs->gc[i].arg_scans[k]);
    }
    return env;
}

void guard_env_destroy(struct guard_env *env)
{
    if (env == NULL)
        return;
    guard_env_cancel_async(env);
    guard_scan_scratch_free(env->scratch);
    guard_injection_scratch_free(env->injection_scratch);
    detect_scratch_free(env->detect_scratch);
    free(env);
}

size_t guard_env_async_pending(const struct guard_env *env)
{
    return env ? env->async_count : 0;
}

size_t guard_env_cancel_async(struct guard_env *env)
{
    size_t n = 0;
    while (env != NULL && !h2o_linklist_is_empty(&env->async_runs)) {
        struct guard_run *r = H2O_STRUCT_FROM_MEMBER(struct guard_run, async_link, env->async_runs.next);
        LOG_WARN("guard", "%s async_post %s cancelled: shutting down (%llu ms after it started)", r->request_id, r->g->name,
                 (unsigned long long)((util_now_ns() - r->t0) / 1000000));
        guard_run_cancel(r);
        n++;
    }
    if (n > 0)
        metrics_count(env->metrics, METRICS_ASYNC_POST_CANCELLED, n);
    return n;
}

int guard_is_local(const struct config_guardrail *g)
{
    return g->type == CONFIG_GUARD_REGEX || g->type == CONFIG_GUARD_KEYWORDS || g->type == CONFIG_GUARD_PII ||
           g->type == CONFIG_GUARD_SECRETS;
}

size_t guard_stream_window(const struct guard_env *env, const struct config_guardrail *g)
{
    if (!guard_is_local(g))
        return 0;
    if (g->stream_window > 0)
        return (size_t)g->stream_window;
    const struct guard_compiled *c = compiled(env, g);
    size_t w = c && c->scan ? guard_scan_max_width(c->scan) : c && c->detect ? detect_max_width(c->detect) : 0;
    if (w == 0 || w > 64 * 1024)
        w = DEFAULT_STREAM_WINDOW;
    return w + (g->whole_word ? 8 : 0);
}

const struct guard_scan *guard_local_scan(const struct guard_env *env, const struct config_guardrail *g)
{
    const struct guard_compiled *c = guard_is_local(g) ? compiled(env, g) : NULL;
    return c ? c->scan : NULL;
}

struct guard_scan_scratch *guard_env_scratch(struct guard_env *env)
{
    return env->scratch;
}

const struct detect_set *guard_local_detect(const struct guard_env *env, const struct config_guardrail *g)
{
    const struct guard_compiled *c = guard_is_local(g) ? compiled(env, g) : NULL;
    return c ? c->detect : NULL;
}

struct detect_scratch *guard_env_detect_scratch(struct guard_env *env)
{
    return env->detect_scratch;
}

/* ---- when: conditions ---- */

static int list_has(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (s != NULL && strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

int guard_when_matches(const struct config_guardrail *g, const struct guard_request_info *info)
{
    if (!g->has_when)
        return 1;
    const struct config_guard_when *w = &g->when;
    if (w->n_models && !list_has(w->models, w->n_models, info->model))
        return 0;
    if (w->n_paths && !list_has(w->paths, w->n_paths, info->path))
        return 0;
    for (size_t i = 0; i < w->n_headers; i++) {
        const char *v = info->header ? info->header(info->header_ud, w->headers[i].name) : NULL;
        if (v == NULL || (strcmp(w->headers[i].value, "*") != 0 && strcmp(v, w->headers[i].value) != 0))
            return 0;
    }
    for (size_t i = 0; i < w->n_metadata; i++) {
        const struct config_api_key *k = info->api_key;
        int found = 0;
        for (size_t j = 0; k != NULL && j < k->n_metadata; j++)
            if (strcmp(k->metadata[j].name, w->metadata[i].name) == 0 &&
                (strcmp(w->metadata[i].value, "*") == 0 || strcmp(k->metadata[j].value, w->metadata[i].value) == 0))
                found = 1;
        if (!found)
            return 0;
    }
    return 1;
}

/* ---- run plumbing ---- */

static void free_texts(char **texts, size_t *lens, size_t n)
{
    for (size_t i = 0; texts && i < n; i++)
        free(texts[i]);
    free(texts);
    free(lens);
}

static void run_free(struct guard_run *r)
{
    free_texts(r->texts, r->lens, r->n);
    free(r->findings);
    guard_placeholders_free(r->placeholders);
    json_decref(r->tool_calls);
    guard_webhook_ctx_unref(r->wctx);
    util_buf_free(&r->resp);
    free(r->req_body);
    for (size_t i = 0; r->child_verdicts && i < r->n_children; i++) {
        free_texts(r->child_verdicts[i].texts, r->child_verdicts[i].lens, r->child_verdicts[i].n);
        free(r->child_verdicts[i].findings);
        guard_placeholders_free(r->child_verdicts[i].placeholders);
    }
    free(r->child_verdicts);
    free(r->children);
    free(r->child_done);
    free(r->clf_findings);
    free(r);
}

static void run_unref(struct guard_run *r)
{
    if (--r->refs == 0)
        run_free(r);
}

static void on_run_timer_closed(uv_handle_t *h)
{
    run_unref(h->data);
}

/* Ends the run's activity: timer, remote call, children. Idempotent. */
static void run_stop(struct guard_run *r)
{
    if (r->timer_inited) {
        r->timer_inited = 0;
        uv_timer_stop(&r->timer);
        uv_close((uv_handle_t *)&r->timer, on_run_timer_closed);
    }
    if (r->call) {
        upstream_call_cancel(r->call);
        r->call = NULL;
    }
    if (r->clf_queued)
        uv_cancel((uv_req_t *)&r->work); /* still queued: after_work runs with UV_ECANCELED; running: no effect */
    for (size_t i = 0; i < r->n_children; i++)
        if (r->children[i]) {
            guard_run_cancel(r->children[i]);
            r->children[i] = NULL;
        }
}

static void async_list_remove(struct guard_run *r)
{
    struct guard_env *env = r->env;
    h2o_linklist_unlink(&r->async_link);
    env->async_count--;
    atomic_fetch_sub(&env->shared->async_pending, 1);
    metrics_async_pending_add(env->metrics, -1);
}

static enum metrics_verdict metrics_verdict_of(const struct guard_verdict *v)
{
    if (v->timed_out)
        return METRICS_VERDICT_TIMEOUT;
    if (v->unreachable)
        return METRICS_VERDICT_UNREACHABLE;
    if (v->errored)
        return METRICS_VERDICT_ERROR;
    if (v->outcome == GUARD_BLOCK)
        return METRICS_VERDICT_BLOCK;
    if (v->outcome == GUARD_REWRITE)
        return METRICS_VERDICT_REWRITE;
    return v->violation ? METRICS_VERDICT_LOGGED : METRICS_VERDICT_PASS;
}

void guard_count_verdict(struct guard_env *env, const struct guard_verdict *v, uint64_t latency_us)
{
    const struct config_guardrail *g = v->guard;
    if (g != NULL && g >= env->shared->cfg->guardrails && (size_t)(g - env->shared->cfg->guardrails) < env->shared->n)
        metrics_guard_verdict(env->metrics, (size_t)(g - env->shared->cfg->guardrails), metrics_verdict_of(v), latency_us);
}

/* Reports the final verdict (once) and drops the logic reference. */
static void run_report(struct guard_run *r, struct guard_verdict *v)
{
    if (r->reported || r->cancelled)
        return;
    r->reported = 1;
    run_stop(r);
    v->latency_us = (util_now_ns() - r->t0) / 1000;
    size_t gi = (size_t)(r->g - r->env->shared->cfg->guardrails);
    metrics_guard_verdict(r->env->metrics, gi, metrics_verdict_of(v), v->latency_us);
    if (r->detached) {
        LOG_INFO("guard", "%s async_post %s: %s%s%s (%llu us)", r->request_id, r->g->name,
                 v->outcome == GUARD_PASS ? (v->violation ? "violation (logged)" : "pass") : "violation",
                 v->reason[0] ? ": " : "", v->reason, (unsigned long long)v->latency_us);
        async_list_remove(r);
    } else if (r->cb) {
        r->cb(r->ud, v);
    }
    free_texts(v->texts, v->lens, v->n);
    v->texts = NULL;
    v->lens = NULL;
    free(v->findings);
    v->findings = NULL;
    guard_placeholders_free(v->placeholders);
    v->placeholders = NULL;
    run_unref(r);
}

/* Maps a check's raw result over n texts through the guard's action and on_error into
 * *out (zeroed first). Takes ownership of texts. */
static void verdict_map(const struct config_guardrail *g, size_t n, enum raw_result raw, const char *reason, char **texts,
                        size_t *lens, int timed_out, struct guard_verdict *out)
{
    struct guard_verdict v = {0};
    v.guard = g;
    v.timed_out = timed_out;
    if (reason)
        snprintf(v.reason, sizeof(v.reason), "%s", reason);
    if (raw == RAW_ERROR || raw == RAW_UNREACHABLE) {
        v.errored = 1;
        v.unreachable = raw == RAW_UNREACHABLE;
        enum config_guard_on_error policy = v.unreachable ? g->on_unreachable : g->on_error;
        v.outcome = policy == CONFIG_ON_ERROR_FAIL_OPEN ? GUARD_PASS : GUARD_BLOCK;
        if (v.outcome == GUARD_BLOCK)
            snprintf(v.reason, sizeof(v.reason), "guardrail %s failed (fail_closed): %s", g->name, reason ? reason : "error");
        free_texts(texts, lens, n);
    } else if (raw == RAW_VIOLATION) {
        v.violation = 1;
        switch (g->action) {
        case CONFIG_ACTION_LOG:
            v.outcome = GUARD_PASS;
            free_texts(texts, lens, n);
            break;
        case CONFIG_ACTION_REDACT:
            if (texts != NULL) {
                v.outcome = GUARD_REWRITE;
                v.texts = texts;
                v.lens = lens;
                v.n = n;
                break;
            }
            /* nothing to rewrite with, so block */
            __attribute__((fallthrough));
        case CONFIG_ACTION_BLOCK:
        default:
            v.outcome = GUARD_BLOCK;
            free_texts(texts, lens, n);
        }
    } else if (raw == RAW_REWRITE && g->action == CONFIG_ACTION_LOG) {
        /* recorded (metrics: logged; webhook_answer logs it), not applied */
        v.violation = 1;
        v.outcome = GUARD_PASS;
        free_texts(texts, lens, n);
    } else if (raw == RAW_REWRITE && texts != NULL) {
        v.outcome = GUARD_REWRITE;
        v.violation = 1;
        v.texts = texts;
        v.lens = lens;
        v.n = n;
    } else {
        v.outcome = GUARD_PASS;
    }
    *out = v;
}

/* Maps a check's raw result through action and on_error, then reports. Takes ownership of texts. */
static void run_finish(struct guard_run *r, enum raw_result raw, const char *reason, char **texts, size_t *lens, int timed_out)
{
    struct guard_verdict v;
    int rewrite = texts != NULL;
    verdict_map(r->g, r->n, raw, reason, texts, lens, timed_out, &v);
    /* the run's findings (pii / secrets) and, with a rewrite, the placeholders it made go with the verdict */
    v.findings = r->findings;
    v.n_findings = r->n_findings;
    r->findings = NULL;
    r->n_findings = r->cap_findings = 0;
    if (rewrite) {
        v.placeholders = r->placeholders;
        r->placeholders = NULL;
    }
    run_report(r, &v);
}

static void on_run_timeout(uv_timer_t *t)
{
    struct guard_run *r = t->data;
    char why[96];
    snprintf(why, sizeof(why), "timed out after %d ms", r->g->timeout_ms);
    int remote = r->g->type == CONFIG_GUARD_WEBHOOK || r->g->type == CONFIG_GUARD_LLM_JUDGE;
    run_finish(r, remote ? RAW_UNREACHABLE : RAW_ERROR, why, NULL, NULL, 1);
}

static void run_arm_timeout(struct guard_run *r)
{
    if (r->g->timeout_ms <= 0 || r->timer_inited)
        return;
    uv_timer_init(r->env->loop, &r->timer);
    r->timer.data = r;
    r->timer_inited = 1;
    r->refs++;
    uv_timer_start(&r->timer, on_run_timeout, (uint64_t)r->g->timeout_ms, 0);
}

/* ---- local checks ---- */

/* A regex / keywords guard over n texts, synchronously, into *v (the verdict owns its
 * texts). Per-pattern errors: a pattern that cannot be evaluated (PCRE2 limits) is
 * skipped and the others still decide; on_error applies to the skipped pattern alone:
 * fail_closed blocks (the text was not fully checked), fail_open lets the other
 * patterns' verdict stand. */
static void scan_verdict(struct guard_env *env, const struct config_guardrail *g, const struct guard_scan *s,
                         const char *const *texts, const size_t *lens, size_t n, struct guard_verdict *v)
{
    size_t skipped = 0;
    unsigned bad = 0;
    char why[200];
    if (g->action == CONFIG_ACTION_REDACT) {
        char **out = NULL;
        size_t *outl = NULL;
        for (size_t i = 0; i < n; i++) {
            size_t nl = 0;
            char *red = guard_scan_redact(s, env->scratch, texts[i], lens[i], g->replacement ? g->replacement : "[REDACTED]", &nl);
            if (red == NULL && nl == GUARD_SCAN_REDACT_ERROR) {
                free_texts(out, outl, n);
                verdict_map(g, n, RAW_ERROR, "scanner error", NULL, NULL, 0, v);
                return;
            }
            unsigned p;
            if (guard_scan_errors(env->scratch, &p, NULL) > 0 && skipped++ == 0)
                bad = p;
            if (red == NULL)
                continue;
            if (out == NULL) {
                out = util_calloc(n, sizeof(*out));
                outl = util_calloc(n, sizeof(*outl));
            }
            out[i] = red;
            outl[i] = nl;
        }
        if (skipped > 0 && (out == NULL || g->on_error != CONFIG_ON_ERROR_FAIL_OPEN)) {
            free_texts(out, outl, n);
            snprintf(why, sizeof(why), "pattern #%u could not be evaluated (match limit)", bad + 1);
            verdict_map(g, n, RAW_ERROR, why, NULL, NULL, 0, v);
        } else if (out != NULL) {
            verdict_map(g, n, RAW_VIOLATION, "redacted matches", out, outl, 0, v);
        } else {
            verdict_map(g, n, RAW_PASS, NULL, NULL, NULL, 0, v);
        }
        v->errored |= skipped > 0;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct guard_scan_match m;
        int rc = guard_scan_first(s, env->scratch, texts[i], lens[i], &m);
        if (rc < 0) {
            verdict_map(g, n, RAW_ERROR, "scanner error", NULL, NULL, 0, v);
            return;
        }
        unsigned p;
        if (guard_scan_errors(env->scratch, &p, NULL) > 0 && skipped++ == 0)
            bad = p;
        if (rc == 1) {
            /* never echo the matched text: it may be the secret */
            snprintf(why, sizeof(why), "matched %s #%u", g->type == CONFIG_GUARD_KEYWORDS ? "keyword" : "pattern", m.pattern + 1);
            verdict_map(g, n, RAW_VIOLATION, why, NULL, NULL, 0, v);
            v->errored |= skipped > 0;
            return;
        }
    }
    if (skipped > 0) {
        snprintf(why, sizeof(why), "pattern #%u could not be evaluated (match limit)", bad + 1);
        verdict_map(g, n, RAW_ERROR, why, NULL, NULL, 0, v);
        return;
    }
    verdict_map(g, n, RAW_PASS, NULL, NULL, NULL, 0, v);
}

static void check_scan(struct guard_run *r)
{
    struct guard_verdict v;
    scan_verdict(r->env, r->g, r->gc->scan, (const char *const *)r->texts, r->lens, r->n, &v);
    run_report(r, &v);
}

/* "found EMAIL_ADDRESS, CREDIT_CARD": the types, never the values. */
static void findings_reason(const struct guard_finding *f, size_t n, char *why, size_t whysz)
{
    size_t o = (size_t)snprintf(why, whysz, "found");
    for (size_t i = 0; i < n && o < whysz; i++) {
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(f[k].type, f[i].type) == 0;
        if (!seen)
            o += (size_t)snprintf(why + o, whysz - o, "%s %s", o > 5 ? "," : "", f[i].type);
    }
}

/* The findings of text i: they are grouped by index, in order. */
static size_t findings_of(const struct guard_finding *f, size_t n, size_t index, size_t *first)
{
    size_t a = 0;
    while (a < n && f[a].index != index)
        a++;
    size_t b = a;
    while (b < n && f[b].index == index)
        b++;
    *first = a;
    return b - a;
}

/* pii / secrets: one Hyperscan scan per text; every finding goes to the verdict
 * (the check API lists them); redact rewrites with the guard's redaction mode. */
static void check_detect(struct guard_run *r)
{
    const struct config_guardrail *g = r->g;
    for (size_t i = 0; i < r->n; i++) {
        int rc = detect_scan(r->gc->detect, r->env->detect_scratch, r->texts[i], r->lens[i], i, g->score_threshold,
                             &r->findings, &r->n_findings, &r->cap_findings);
        if (rc < 0) {
            run_finish(r, RAW_ERROR, rc == WARDEN_ETOOBIG ? "too many candidates to check" : "scanner error", NULL, NULL, 0);
            return;
        }
    }
    if (r->n_findings == 0) {
        run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
        return;
    }
    char why[200];
    findings_reason(r->findings, r->n_findings, why, sizeof(why));
    char **out = NULL;
    size_t *outl = NULL;
    if (g->action == CONFIG_ACTION_REDACT) {
        if (g->redaction != CONFIG_REDACT_MASK)
            r->placeholders = guard_placeholders_new();
        out = util_calloc(r->n, sizeof(*out));
        outl = util_calloc(r->n, sizeof(*outl));
        for (size_t i = 0; i < r->n; i++) {
            size_t first, k = findings_of(r->findings, r->n_findings, i, &first);
            if (k > 0)
                out[i] = guard_redact_apply(r->texts[i], r->lens[i], r->findings + first, k, g->redaction, r->placeholders,
                                            &outl[i]);
        }
    }
    run_finish(r, RAW_VIOLATION, why, out, outl, 0);
}

/* A local guard's redaction re-applied to another base text (group merges); NULL if nothing matched there. */
static char *local_redact(struct guard_env *env, struct guard_verdict *cv, const char *text, size_t len, size_t *outlen)
{
    const struct guard_compiled *gc = compiled(env, cv->guard);
    *outlen = 0;
    if (gc->scan != NULL)
        return guard_scan_redact(gc->scan, env->scratch, text, len, cv->guard->replacement ? cv->guard->replacement : "[REDACTED]",
                                 outlen);
    struct guard_finding *f = NULL;
    size_t n = 0, cap = 0;
    char *red = NULL;
    int rc = detect_scan(gc->detect, env->detect_scratch, text, len, 0, cv->guard->score_threshold, &f, &n, &cap);
    if (rc > 0)
        red = guard_redact_apply(text, len, f, n, cv->guard->redaction, cv->placeholders, outlen);
    else if (rc < 0)
        *outlen = GUARD_SCAN_REDACT_ERROR;
    free(f);
    return red;
}

static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

static void check_length(struct guard_run *r)
{
    size_t chars = 0;
    for (size_t i = 0; i < r->n; i++)
        chars += utf8_chars(r->texts[i], r->lens[i]);
    size_t tokens = (chars + 3) / 4;
    char why[160];
    if (r->g->max_chars > 0 && chars > (size_t)r->g->max_chars) {
        snprintf(why, sizeof(why), "%zu characters exceed max_chars %ld", chars, r->g->max_chars);
        run_finish(r, RAW_VIOLATION, why, NULL, NULL, 0);
    } else if (r->g->max_messages > 0 && r->n_messages > (size_t)r->g->max_messages) {
        snprintf(why, sizeof(why), "%zu messages exceed max_messages %ld", r->n_messages, r->g->max_messages);
        run_finish(r, RAW_VIOLATION, why, NULL, NULL, 0);
    } else if (r->g->max_tokens > 0 && tokens > (size_t)r->g->max_tokens) {
        snprintf(why, sizeof(why), "about %zu tokens exceed max_tokens %ld", tokens, r->g->max_tokens);
        run_finish(r, RAW_VIOLATION, why, NULL, NULL, 0);
    } else {
        run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
    }
}

static void check_tools(struct guard_run *r)
{
    const struct config_guardrail *g = r->g;
    size_t i;
    json_t *item;
    char why[300];
    json_array_foreach(r->tool_calls, i, item)
    {
        json_t *fn = json_object_get(item, "function");
        const char *name = json_string_value(json_object_get(fn ? fn : item, "name"));
        if (name == NULL)
            continue;
        if (list_has(g->deny, g->n_deny, name) || (g->n_allow > 0 && !list_has(g->allow, g->n_allow, name))) {
            snprintf(why, sizeof(why), "tool '%.100s' is not allowed", name);
            run_finish(r, RAW_VIOLATION, why, NULL, NULL, 0);
            return;
        }
        const char *args = json_string_value(json_object_get(fn, "arguments"));
        for (size_t k = 0; args && k < g->n_arg_patterns; k++) {
            if (strcmp(g->arg_patterns[k].name, name) != 0 && strcmp(g->arg_patterns[k].name, "*") != 0)
                continue;
            struct guard_scan_match m;
            int rc = guard_scan_first(r->gc->arg_scans[k], r->env->scratch, args, strlen(args), &m);
            if (rc < 0 || (rc == 0 && guard_scan_errors(r->env->scratch, NULL, NULL) > 0)) {
                run_finish(r, RAW_ERROR, "scanner error", NULL, NULL, 0);
                return;
            }
            if (rc == 1) {
                snprintf(why, sizeof(why), "arguments of tool '%.100s' match a forbidden pattern", name);
                run_finish(r, RAW_VIOLATION, why, NULL, NULL, 0);
                return;
            }
        }
    }
    run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
}

/* Queues pool work for r (time-out armed, a reference held until after_work); if libuv refuses,
 * reports why through on_error and returns -1. */
static int run_queue_work(struct guard_run *r, uv_work_cb work, uv_after_work_cb done, const char *why)
{
    run_arm_timeout(r);
    r->work.data = r;
    r->refs++;
    if (uv_queue_work(r->env->loop, &r->work, work, done) == 0)
        return 0;
    r->refs--;
    run_finish(r, RAW_ERROR, why, NULL, NULL, 0);
    return -1;
}

/* ---- built-in detectors ---- */

static void check_injection(struct guard_run *r)
{
    char why[200] = "";
    int rc = guard_builtin_injection(r->env->shared->injection, r->env->injection_scratch, r->g, r->texts, r->lens, r->n,
                                     &r->findings, &r->n_findings, why, sizeof(why));
    r->cap_findings = r->n_findings;
    run_finish(r, rc < 0 ? RAW_ERROR : rc ? RAW_VIOLATION : RAW_PASS, rc < 0 ? "scanner error" : why, NULL, NULL, 0);
}

static void on_classifier_work(uv_work_t *w)
{
    struct guard_run *r = w->data;
    guard_builtin_pool_thread_init(); /* inference yields the cores to the loops */
    r->pverdict = guard_builtin_classify(r->gc->classifier, r->g, r->texts, r->lens, r->n, &r->clf_findings,
                                         &r->clf_n_findings, r->clf_reason, sizeof(r->clf_reason));
}

static void on_classifier_work_done(uv_work_t *w, int status)
{
    struct guard_run *r = w->data;
    r->clf_queued = 0;
    atomic_fetch_sub(&r->env->shared->classifier_jobs, 1);
    if (!r->reported && !r->cancelled) {
        if (status != 0) {
            run_finish(r, RAW_ERROR, "classifier job cancelled", NULL, NULL, 0);
        } else {
            /* the pool thread is done with them: hand the findings to the run on the loop */
            free(r->findings);
            r->findings = r->clf_findings;
            r->n_findings = r->cap_findings = r->clf_n_findings;
            r->clf_findings = NULL;
            r->clf_n_findings = 0;
            run_finish(r, r->pverdict ? RAW_VIOLATION : RAW_PASS, r->clf_reason, NULL, NULL, 0);
        }
    }
    run_unref(r);
}

/* Model inference never runs on the loop: the pool takes it, with a bound on queued jobs. */
static void check_classifier(struct guard_run *r)
{
    if (atomic_fetch_add(&r->env->shared->classifier_jobs, 1) >= CLASSIFIER_QUEUE_MAX) {
        atomic_fetch_sub(&r->env->shared->classifier_jobs, 1);
        run_finish(r, RAW_ERROR, "classifier queue full", NULL, NULL, 0);
        return;
    }
    if (run_queue_work(r, on_classifier_work, on_classifier_work_done, "could not queue classifier work") != 0) {
        atomic_fetch_sub(&r->env->shared->classifier_jobs, 1);
        return;
    }
    r->clf_queued = 1; /* after_work runs on this loop later, never before this line */
}

/* ---- plugins ---- */

static void plugin_result_finish(struct guard_run *r, int verdict)
{
    struct guard_plugin_result *pr = &r->presult;
    char **texts = NULL;
    size_t *lens = NULL;
    if (verdict == WARDEN_GUARD_REWRITE && pr->texts != NULL && pr->count == r->n) {
        texts = pr->texts;
        lens = pr->lens;
        pr->texts = NULL;
        pr->lens = NULL;
        pr->count = 0; /* moved: the result no longer owns them */
    }
    char reason[320];
    snprintf(reason, sizeof(reason), "%s", pr->reason ? pr->reason : "");
    guard_plugin_result_free(pr);
    switch (verdict) {
    case WARDEN_GUARD_PASS:
        free_texts(texts, lens, r->n);
        run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
        break;
    case WARDEN_GUARD_BLOCK:
        free_texts(texts, lens, r->n);
        run_finish(r, RAW_VIOLATION, reason[0] ? reason : "blocked by plugin", NULL, NULL, 0);
        break;
    case WARDEN_GUARD_REWRITE:
        if (texts == NULL) {
            run_finish(r, RAW_ERROR, "plugin rewrite without texts", NULL, NULL, 0);
            break;
        }
        /* NULL entries mean unchanged: fill them so the caller sees whole texts */
        for (size_t i = 0; i < r->n; i++)
            if (texts[i] == NULL) {
                texts[i] = util_strndup(r->texts[i], r->lens[i]);
                lens[i] = r->lens[i];
            }
        if (r->g->action == CONFIG_ACTION_BLOCK) {
            free_texts(texts, lens, r->n);
            run_finish(r, RAW_VIOLATION, reason[0] ? reason : "plugin asked to rewrite", NULL, NULL, 0);
        } else {
            run_finish(r, RAW_VIOLATION, reason[0] ? reason : "rewritten by plugin", texts, lens, 0);
        }
        break;
    default:
        free_texts(texts, lens, r->n);
        run_finish(r, RAW_ERROR, reason[0] ? reason : "plugin error", NULL, NULL, 0);
    }
}

static void plugin_input(struct guard_run *r, struct warden_guard_input *in)
{
    in->stage = r->stage == CONFIG_STAGE_INPUT ? WARDEN_GUARD_STAGE_INPUT : WARDEN_GUARD_STAGE_OUTPUT;
    in->texts = (const char *const *)r->texts;
    in->lens = r->lens;
    in->count = r->n;
    in->model = r->model;
    in->request_id = r->request_id;
}

static void on_plugin_work(uv_work_t *w)
{
    struct guard_run *r = w->data;
    struct warden_guard_input in;
    plugin_input(r, &in);
    r->pverdict = guard_plugin_check(r->gc->plugin, &in, &r->presult);
}

static void on_plugin_work_done(uv_work_t *w, int status)
{
    struct guard_run *r = w->data;
    if (r->reported || r->cancelled || status != 0)
        guard_plugin_result_free(&r->presult);
    else
        plugin_result_finish(r, r->pverdict);
    run_unref(r);
}

static void check_plugin(struct guard_run *r)
{
    if (r->g->cpu_bound || guard_plugin_is_cpu_bound(r->gc->plugin)) {
        run_queue_work(r, on_plugin_work, on_plugin_work_done, "could not queue plugin work");
        return;
    }
    struct warden_guard_input in;
    plugin_input(r, &in);
    int verdict = guard_plugin_check(r->gc->plugin, &in, &r->presult);
    plugin_result_finish(r, verdict);
}

/* ---- remote checks (webhook, llm_judge) ---- */

static int on_remote_head(struct upstream_call *call, void *ud, int status, const struct upstream_header *h, size_t n)
{
    return 0;
}

static int on_remote_body(struct upstream_call *call, void *ud, const char *data, size_t len)
{
    struct guard_run *r = ud;
    if (util_buf_append(&r->resp, data, len) == 0)
        return UPSTREAM_BODY_CONTINUE;
    /* a cancelled call reports nothing more: decide here (on_error applies) */
    r->call = NULL;
    run_finish(r, RAW_ERROR, "check answer too large", NULL, NULL, 0);
    return UPSTREAM_BODY_CANCEL;
}

/* Maps a guard service's answer (webhook.h reads it as LiteLLM does) to a raw result. */
static void webhook_answer(struct guard_run *r, int status)
{
    struct guard_webhook_answer a;
    guard_webhook_answer_read(&a, status, r->resp.data, r->resp.len, r->wctx, (const char *const *)r->texts, r->lens, r->n);
    if (a.unknown_action)
        LOG_WARN("guard", "%s %s: %s", r->request_id, r->g->name, a.reason);
    int block_rewrites = r->g->on_intervened == CONFIG_ON_INTERVENED_BLOCK;
    switch (a.result) {
    case GUARD_WEBHOOK_PASS:
        run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
        break;
    case GUARD_WEBHOOK_BLOCKED:
        run_finish(r, RAW_VIOLATION, a.reason, NULL, NULL, 0);
        break;
    case GUARD_WEBHOOK_INTERVENED:
        if (block_rewrites)
            run_finish(r, RAW_VIOLATION, "guard service intervened (on_intervened: block)", NULL, NULL, 0);
        else
            run_finish(r, RAW_PASS, NULL, NULL, NULL, 0); /* LiteLLM: unchanged */
        break;
    case GUARD_WEBHOOK_REWRITE:
        if (block_rewrites) {
            run_finish(r, RAW_VIOLATION, "guard service intervened (on_intervened: block)", NULL, NULL, 0);
            break;
        }
        /* the caller sees whole texts: fill the unchanged ones */
        for (size_t i = 0; i < r->n; i++)
            if (a.texts[i] == NULL) {
                a.texts[i] = util_strndup(r->texts[i], r->lens[i]);
                a.lens[i] = r->lens[i];
            }
        if (r->g->action == CONFIG_ACTION_LOG)
            LOG_INFO("guard", "%s %s: %s (action: log, not applied)", r->request_id, r->g->name, a.reason);
        run_finish(r, RAW_REWRITE, a.reason, a.texts, a.lens, 0);
        a.texts = NULL; /* moved */
        a.lens = NULL;
        break;
    case GUARD_WEBHOOK_BAD_ANSWER:
        run_finish(r, RAW_ERROR, a.reason, NULL, NULL, 0);
        break;
    case GUARD_WEBHOOK_UNREACHABLE:
        run_finish(r, RAW_UNREACHABLE, a.reason, NULL, NULL, 0);
        break;
    }
    guard_webhook_answer_free(&a);
}

/* Llama Guard style: first line "safe" or "unsafe", categories on the next line. */
static void judge_answer(struct guard_run *r, int status)
{
    char why[320];
    if (status < 200 || status >= 300) {
        snprintf(why, sizeof(why), "judge model answered HTTP %d", status);
        run_finish(r, guard_webhook_status_unreachable(status) ? RAW_UNREACHABLE : RAW_ERROR, why, NULL, NULL, 0);
        return;
    }
    json_error_t je;
    json_t *a = json_loadb(r->resp.data ? r->resp.data : "", r->resp.len, 0, &je);
    json_t *content = json_object_get(json_object_get(json_array_get(json_object_get(a, "choices"), 0), "message"), "content");
    const char *c = json_string_value(content);
    if (c == NULL) {
        json_decref(a);
        run_finish(r, RAW_ERROR, "judge answer has no choices[0].message.content", NULL, NULL, 0);
        return;
    }
    while (*c == ' ' || *c == '\n' || *c == '\r' || *c == '\t')
        c++;
    size_t wl = 0;
    while (c[wl] && c[wl] != '\n' && c[wl] != ' ' && c[wl] != '\r' && c[wl] != ',' && c[wl] != '.')
        wl++;
    if (wl == 4 && strncasecmp(c, "safe", 4) == 0) {
        run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
    } else if (wl == 6 && strncasecmp(c, "unsafe", 6) == 0) {
        const char *cat = c + 6;
        while (*cat == ' ' || *cat == '\n' || *cat == '\r' || *cat == ':' || *cat == ',')
            cat++;
        size_t cl = strcspn(cat, "\n\r");
        snprintf(why, sizeof(why), "judge: unsafe%s%.*s", cl ? " (" : "", (int)(cl > 200 ? 200 : cl), cat);
        if (cl)
            strncat(why, ")", sizeof(why) - strlen(why) - 1);
        run_finish(r, RAW_VIOLATION, why, NULL, NULL, 0);
    } else {
        snprintf(why, sizeof(why), "judge answered neither 'safe' nor 'unsafe': '%.40s'", c);
        run_finish(r, RAW_ERROR, why, NULL, NULL, 0);
    }
    json_decref(a);
}

static void on_remote_done(struct upstream_call *call, void *ud, int err, const char *message)
{
    struct guard_run *r = ud;
    r->call = NULL;
    if (err != 0) {
        char why[320];
        snprintf(why, sizeof(why), "%s unreachable: %s", r->g->type == CONFIG_GUARD_WEBHOOK ? "guard service" : "judge model",
                 message ? message : warden_strerror(err));
        run_finish(r, RAW_UNREACHABLE, why, NULL, NULL, 0);
        return;
    }
    int status = upstream_call_status(call);
    if (r->g->type == CONFIG_GUARD_WEBHOOK)
        webhook_answer(r, status);
    else
        judge_answer(r, status);
}

static const struct upstream_call_callbacks remote_callbacks = {on_remote_head, on_remote_body, on_remote_done};

static char *judge_prompt(const struct guard_run *r)
{
    struct util_buf text, out;
    util_buf_init(&text, 16 * 1024 * 1024);
    util_buf_init(&out, 16 * 1024 * 1024);
    for (size_t i = 0; i < r->n; i++) {
        if (i)
            util_buf_append(&text, "\n\n", 2);
        util_buf_append(&text, r->texts[i], r->lens[i]);
    }
    const char *tpl = r->g->prompt_template ? r->g->prompt_template
                                            : "Is the following content safe? Answer 'safe', or 'unsafe' followed by the "
                                              "violated categories on the next line.\n\n{{input}}";
    const char *p = tpl;
    for (const char *m; (m = strstr(p, "{{input}}")) != NULL; p = m + 9) {
        util_buf_append(&out, p, (size_t)(m - p));
        util_buf_append(&out, text.data ? text.data : "", text.len);
    }
    util_buf_append(&out, p, strlen(p));
    util_buf_free(&text);
    return util_buf_take(&out, NULL);
}

/* Header lines for a check call: as many as configured (the upstream client copies them). */
struct header_lines {
    char **v;
    size_t n, cap;
};

static void header_add(struct header_lines *h, const char *name, const char *value)
{
    if (h->n + 2 > h->cap) {
        h->cap = h->cap ? h->cap * 2 : 8;
        h->v = util_realloc(h->v, h->cap * sizeof(*h->v));
    }
    size_t len = strlen(name) + strlen(value) + 3;
    h->v[h->n] = util_malloc(len);
    snprintf(h->v[h->n++], len, "%s: %s", name, value);
    h->v[h->n] = NULL;
}

static void header_lines_free(struct header_lines *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->v[i]);
    free(h->v);
}

static void check_remote(struct guard_run *r)
{
    const struct config_guardrail *g = r->g;
    struct util_buf url;
    struct header_lines hl = {0};
    const char *ca_file = NULL;
    util_buf_init(&url, 64 * 1024);
    header_add(&hl, "Content-Type", "application/json");
    json_t *body;
    if (g->type == CONFIG_GUARD_WEBHOOK) {
        util_buf_append(&url, g->url, strlen(g->url));
        body = guard_webhook_request_new(r->wctx, r->gc ? r->gc->provider_params : NULL, (const char *const *)r->texts, r->lens,
                                         r->n);
        if (g->api_key != NULL)
            header_add(&hl, "x-api-key", g->api_key);
        for (size_t i = 0; i < g->n_headers; i++)
            header_add(&hl, g->headers[i].name, g->headers[i].value);
    } else {
        const struct config_target *t = &g->judge_model->targets[0];
        util_buf_appendf(&url, "%s/chat/completions", t->provider->base_url);
        ca_file = t->provider->ca_file;
        char *prompt = judge_prompt(r);
        body = json_pack("{s:s, s:[{s:s, s:s}], s:i, s:i, s:b}", "model", t->model, "messages", "role", "user", "content",
                         prompt, "temperature", 0, "max_tokens", 64, "stream", 0);
        free(prompt);
        if (t->provider->api_key) {
            struct util_buf auth;
            util_buf_init(&auth, 64 * 1024);
            util_buf_appendf(&auth, "Bearer %s", t->provider->api_key);
            header_add(&hl, "Authorization", auth.data ? auth.data : "");
            util_buf_free(&auth);
        }
        for (size_t i = 0; i < t->provider->n_headers; i++)
            header_add(&hl, t->provider->headers[i].name, t->provider->headers[i].value);
    }
    r->req_body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (r->req_body == NULL) {
        header_lines_free(&hl);
        util_buf_free(&url);
        run_finish(r, RAW_ERROR, "could not encode the check request (invalid UTF-8?)", NULL, NULL, 0);
        return;
    }
    util_buf_init(&r->resp, REMOTE_RESPONSE_MAX);
    struct upstream_call_opts o = {.url = url.data ? url.data : "",
                                   .method = "POST",
                                   .body = r->req_body,
                                   .body_len = strlen(r->req_body),
                                   .headers = (const char *const *)hl.v,
                                   .connect_timeout_ms = g->timeout_ms > 0 ? g->timeout_ms : 10000,
                                   .total_timeout_ms = 0,
                                   .ca_file = ca_file};
    run_arm_timeout(r);
    r->call = upstream_call_start(r->env->upstream, &o, &remote_callbacks, r);
    header_lines_free(&hl);
    util_buf_free(&url);
    if (r->call == NULL)
        run_finish(r, RAW_ERROR, "could not start the check request", NULL, NULL, 0);
}

/* ---- groups: parallel and chain ---- */

static struct guard_run *run_create_in(struct guard_env *env, const struct config_guardrail *g, const struct guard_subject *s,
                                       struct guard_webhook_ctx *wctx, guard_done_cb cb, void *ud);
static void run_begin(struct guard_run *r);
static void on_child_verdict(void *ud, struct guard_verdict *v);

static void group_start_child(struct guard_run *r, size_t i, char **texts, size_t *lens)
{
    const struct config_guardrail *m = r->g->members[i];
    struct guard_subject s = {.stage = r->stage,
                              .texts = (const char *const *)texts,
                              .lens = lens,
                              .n = r->n,
                              .n_messages = r->n_messages,
                              .tool_calls = r->tool_calls,
                              .model = r->model,
                              .request_id = r->request_id};
    struct guard_run *c = run_create_in(r->env, m, &s, r->wctx, on_child_verdict, NULL);
    c->ud = c; /* the child tells the parent who it is */
    c->parent = r;
    c->index_in_parent = i;
    r->children[i] = c;
    r->refs++; /* the parent stays alive while a child may call back */
    c->refs++;
    run_begin(c);
    if (c->reported || c->cancelled)
        r->children[i] = NULL;
    run_unref(c);
    run_unref(r);
}

/* Merges the members' rewrites deterministically. Remote and plugin rewrites cannot be
 * recomputed, so for each text the earliest such rewrite (declaration order) is the base;
 * then every local scanner that rewrote is re-applied on top, in declaration order. So no
 * redaction of any member is lost, and the same inputs always give the same text. */
static void group_merge_rewrites(struct guard_run *r, char ***out_texts, size_t **out_lens)
{
    char **texts = NULL;
    size_t *lens = NULL;
    int any = 0;
    for (size_t i = 0; i < r->n_children; i++)
        if (r->child_done[i] && r->child_verdicts[i].outcome == GUARD_REWRITE && r->child_verdicts[i].texts != NULL)
            any = 1;
    if (!any) {
        *out_texts = NULL;
        *out_lens = NULL;
        return;
    }
    texts = util_calloc(r->n, sizeof(*texts));
    lens = util_calloc(r->n, sizeof(*lens));
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < r->n_children; i++) {
            struct guard_verdict *cv = &r->child_verdicts[i];
            if (!r->child_done[i] || cv->outcome != GUARD_REWRITE || cv->texts == NULL)
                continue;
            int local = guard_is_local(cv->guard);
            if ((pass == 0) == local)
                continue;
            for (size_t k = 0; k < r->n; k++) {
                if (pass == 0) {
                    if (cv->texts[k] != NULL && texts[k] == NULL) {
                        texts[k] = cv->texts[k];
                        lens[k] = cv->lens[k];
                        cv->texts[k] = NULL;
                    }
                    continue;
                }
                if (cv->texts[k] == NULL)
                    continue;
                const char *cur = texts[k] ? texts[k] : r->texts[k];
                size_t cur_len = texts[k] ? lens[k] : r->lens[k];
                size_t nl = 0;
                char *red = local_redact(r->env, cv, cur, cur_len, &nl);
                if (red != NULL) {
                    free(texts[k]);
                    texts[k] = red;
                    lens[k] = nl;
                } else if (texts[k] == NULL) {
                    /* nothing matched on this base (cannot happen on the original): keep the member's own */
                    texts[k] = cv->texts[k];
                    lens[k] = cv->lens[k];
                    cv->texts[k] = NULL;
                }
            }
        }
    }
    for (size_t k = 0; k < r->n; k++)
        if (texts[k] == NULL) {
            texts[k] = util_strndup(r->texts[k], r->lens[k]);
            lens[k] = r->lens[k];
        }
    *out_texts = texts;
    *out_lens = lens;
}

/* The members' findings, in declaration order (a chain's later members report offsets into the texts
 * as rewritten by the earlier ones), and the first member's placeholder map. */
static void group_collect(struct guard_run *r, struct guard_verdict *v)
{
    size_t total = 0;
    for (size_t i = 0; i < r->n_children; i++)
        if (r->child_done[i])
            total += r->child_verdicts[i].n_findings;
    if (total > 0) {
        v->findings = util_calloc(total, sizeof(*v->findings));
        for (size_t i = 0; i < r->n_children; i++) {
            struct guard_verdict *cv = &r->child_verdicts[i];
            if (r->child_done[i] && cv->n_findings > 0) {
                memcpy(v->findings + v->n_findings, cv->findings, cv->n_findings * sizeof(*cv->findings));
                v->n_findings += cv->n_findings;
            }
        }
    }
    for (size_t i = 0; i < r->n_children && v->placeholders == NULL; i++)
        if (r->child_done[i] && r->child_verdicts[i].placeholders != NULL) {
            v->placeholders = r->child_verdicts[i].placeholders;
            r->child_verdicts[i].placeholders = NULL;
        }
}

static void group_report(struct guard_run *r, enum guard_outcome o, const struct guard_verdict *decider, int merge)
{
    struct guard_verdict v = {0};
    v.outcome = o;
    v.guard = decider ? decider->guard : r->g;
    if (decider) {
        snprintf(v.reason, sizeof(v.reason), "%s", decider->reason);
        v.errored = decider->errored;
        v.unreachable = decider->unreachable;
        v.timed_out = decider->timed_out;
    }
    for (size_t i = 0; i < r->n_children; i++)
        if (r->child_done[i] && r->child_verdicts[i].violation)
            v.violation = 1;
    if (merge) {
        group_merge_rewrites(r, &v.texts, &v.lens);
        if (v.texts != NULL) {
            v.outcome = GUARD_REWRITE;
            v.n = r->n;
        }
    }
    group_collect(r, &v);
    run_report(r, &v);
}

static void chain_next(struct guard_run *r);

static void on_child_verdict(void *ud, struct guard_verdict *v)
{
    struct guard_run *child = ud;
    struct guard_run *r = child->parent;
    size_t i = child->index_in_parent;
    if (i >= r->n_children)
        return;
    r->child_done[i] = 1;
    r->children[i] = NULL;
    r->pending--;
    struct guard_verdict *cv = &r->child_verdicts[i];
    *cv = *v;
    v->texts = NULL; /* moved */
    v->lens = NULL;
    v->findings = NULL;
    v->placeholders = NULL;
    if (r->reported || r->cancelled)
        return;

    if (r->g->type == CONFIG_GUARD_CHAIN) {
        if (cv->outcome == GUARD_BLOCK) {
            group_report(r, GUARD_BLOCK, cv, 0);
            return;
        }
        if (cv->outcome == GUARD_REWRITE && cv->texts != NULL) {
            /* the chain goes on with the rewritten texts, and remote members' structured
             * copies (structured_messages, tools, tool_calls) carry the rewrites too */
            if (r->wctx != NULL) {
                struct guard_webhook_ctx *w = guard_webhook_ctx_rewritten(r->wctx, (const char *const *)r->texts, r->lens,
                                                                          cv->texts, cv->lens, r->n);
                guard_webhook_ctx_unref(r->wctx);
                r->wctx = w;
            }
            for (size_t k = 0; k < r->n; k++)
                if (cv->texts[k] != NULL) {
                    free(r->texts[k]);
                    r->texts[k] = cv->texts[k];
                    r->lens[k] = cv->lens[k];
                    cv->texts[k] = NULL;
                    r->chain_rewrote = 1;
                }
        }
        chain_next(r);
        return;
    }
    switch (r->g->strategy) {
    case CONFIG_STRATEGY_ALL_MUST_PASS:
        if (cv->outcome == GUARD_BLOCK)
            group_report(r, GUARD_BLOCK, cv, 0); /* cancels the rest */
        else if (r->pending == 0)
            group_report(r, GUARD_PASS, NULL, 1);
        break;
    case CONFIG_STRATEGY_FIRST_SUCCESS:
        if (cv->outcome != GUARD_BLOCK)
            group_report(r, cv->outcome, cv, cv->outcome == GUARD_REWRITE);
        else if (r->pending == 0) {
            /* all failed: report the first failure in declaration order */
            for (size_t k = 0; k < r->n_children; k++)
                if (r->child_done[k] && r->child_verdicts[k].outcome == GUARD_BLOCK) {
                    group_report(r, GUARD_BLOCK, &r->child_verdicts[k], 0);
                    break;
                }
        }
        break;
    case CONFIG_STRATEGY_RACE:
        group_report(r, cv->outcome, cv, cv->outcome == GUARD_REWRITE);
        break;
    case CONFIG_STRATEGY_COLLECT_ALL:
        if (r->pending == 0) {
            /* every verdict recorded (metrics, log); the request itself is unchanged */
            const struct guard_verdict *first_violation = NULL;
            for (size_t k = 0; k < r->n_children; k++)
                if (r->child_verdicts[k].violation && first_violation == NULL)
                    first_violation = &r->child_verdicts[k];
            group_report(r, GUARD_PASS, first_violation, 0);
        }
        break;
    }
}

static void chain_next(struct guard_run *r)
{
    while (r->chain_pos < r->n_children && !r->reported && !r->cancelled) {
        size_t i = r->chain_pos++;
        r->pending++;
        group_start_child(r, i, r->texts, r->lens);
        if (r->children[i] != NULL)
            return; /* asynchronous: continue in on_child_verdict */
    }
    if (r->chain_pos >= r->n_children && !r->reported && !r->cancelled && r->pending == 0) {
        struct guard_verdict v = {0};
        v.guard = r->g;
        for (size_t k = 0; k < r->n_children; k++)
            if (r->child_done[k] && r->child_verdicts[k].violation)
                v.violation = 1;
        if (r->chain_rewrote) {
            v.outcome = GUARD_REWRITE;
            v.n = r->n;
            v.texts = r->texts;
            v.lens = r->lens;
            r->texts = util_calloc(r->n, sizeof(char *)); /* run_free frees NULL entries fine */
            r->lens = util_calloc(r->n, sizeof(size_t));
        }
        group_collect(r, &v);
        run_report(r, &v);
    }
}

static void check_group(struct guard_run *r)
{
    r->n_children = r->g->n_members;
    r->children = util_calloc(r->n_children ? r->n_children : 1, sizeof(*r->children));
    r->child_verdicts = util_calloc(r->n_children ? r->n_children : 1, sizeof(*r->child_verdicts));
    r->child_done = util_calloc(r->n_children ? r->n_children : 1, 1);
    run_arm_timeout(r);
    if (r->n_children == 0) {
        run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
        return;
    }
    if (r->g->type == CONFIG_GUARD_CHAIN) {
        chain_next(r);
        return;
    }
    r->pending = r->n_children;
    for (size_t i = 0; i < r->n_children && !r->reported && !r->cancelled; i++)
        group_start_child(r, i, r->texts, r->lens);
}

/* ---- runs ---- */

/* Webhooks send the request's context (structured_messages, tools, ...); groups pass theirs to
 * their members. The config has no member cycles, so the recursion ends. */
static int uses_request_context(const struct config_guardrail *g)
{
    if (g->type == CONFIG_GUARD_WEBHOOK)
        return 1;
    for (size_t i = 0; (g->type == CONFIG_GUARD_PARALLEL || g->type == CONFIG_GUARD_CHAIN) && i < g->n_members; i++)
        if (uses_request_context(g->members[i]))
            return 1;
    return 0;
}

/* wctx: a group's context for its members (shared), or NULL to build one from s when needed. */
static struct guard_run *run_create_in(struct guard_env *env, const struct config_guardrail *g, const struct guard_subject *s,
                                       struct guard_webhook_ctx *wctx, guard_done_cb cb, void *ud)
{
    struct guard_run *r = util_calloc(1, sizeof(*r));
    r->env = env;
    r->g = g;
    r->gc = compiled(env, g);
    r->cb = cb;
    r->ud = ud;
    r->refs = 1;
    r->t0 = util_now_ns();
    r->stage = s->stage;
    r->n = s->n;
    r->texts = util_calloc(s->n ? s->n : 1, sizeof(char *));
    r->lens = util_calloc(s->n ? s->n : 1, sizeof(size_t));
    for (size_t i = 0; i < s->n; i++) {
        r->texts[i] = util_strndup(s->texts[i], s->lens[i]);
        r->lens[i] = s->lens[i];
    }
    r->n_messages = s->n_messages;
    r->tool_calls = s->tool_calls ? json_deep_copy(s->tool_calls) : json_array();
    snprintf(r->model, sizeof(r->model), "%s", s->model ? s->model : "");
    snprintf(r->request_id, sizeof(r->request_id), "%s", s->request_id ? s->request_id : "");
    if (wctx != NULL)
        r->wctx = guard_webhook_ctx_ref(wctx);
    else if (uses_request_context(g))
        r->wctx = guard_webhook_ctx_new(s);
    return r;
}

static struct guard_run *run_create(struct guard_env *env, const struct config_guardrail *g, const struct guard_subject *s,
                                    guard_done_cb cb, void *ud)
{
    return run_create_in(env, g, s, NULL, cb, ud);
}

static void run_begin(struct guard_run *r)
{
    switch (r->g->type) {
    case CONFIG_GUARD_REGEX:
    case CONFIG_GUARD_KEYWORDS:
        check_scan(r);
        break;
    case CONFIG_GUARD_LENGTH:
        check_length(r);
        break;
    case CONFIG_GUARD_PII:
    case CONFIG_GUARD_SECRETS:
        check_detect(r);
        break;
    case CONFIG_GUARD_TOOLS:
        check_tools(r);
        break;
    case CONFIG_GUARD_PLUGIN:
        check_plugin(r);
        break;
    case CONFIG_GUARD_WEBHOOK:
    case CONFIG_GUARD_LLM_JUDGE:
        check_remote(r);
        break;
    case CONFIG_GUARD_PARALLEL:
    case CONFIG_GUARD_CHAIN:
        check_group(r);
        break;
    case CONFIG_GUARD_PROMPT_INJECTION:
        check_injection(r);
        break;
    case CONFIG_GUARD_CLASSIFIER:
        check_classifier(r);
        break;
    }
}

struct guard_run *guard_run_start(struct guard_env *env, const struct config_guardrail *g, const struct guard_subject *s,
                                  guard_done_cb cb, void *ud)
{
    const struct guard_compiled *gc = compiled(env, g);
    if (guard_is_local(g) && gc != NULL && gc->scan != NULL) {
        /* the fast path: a local check needs no run (no copies, no timer, no refs) */
        uint64_t t0 = util_now_ns();
        struct guard_verdict v;
        scan_verdict(env, g, gc->scan, s->texts, s->lens, s->n, &v);
        v.latency_us = (util_now_ns() - t0) / 1000;
        guard_count_verdict(env, &v, v.latency_us);
        if (cb)
            cb(ud, &v);
        free_texts(v.texts, v.lens, v.n);
        return NULL;
    }
    struct guard_run *r = run_create(env, g, s, cb, ud);
    r->refs++; /* held across run_begin: a synchronous report must not free r under us */
    run_begin(r);
    int finished = r->reported;
    run_unref(r);
    return finished ? NULL : r;
}

void guard_run_cancel(struct guard_run *r)
{
    if (r == NULL || r->reported || r->cancelled)
        return;
    r->cancelled = 1;
    run_stop(r);
    if (r->detached)
        async_list_remove(r);
    run_unref(r);
}

struct guard_placeholders *guard_verdict_take_placeholders(struct guard_verdict *v)
{
    struct guard_placeholders *p = v->placeholders;
    v->placeholders = NULL;
    return p;
}

void guard_verdict_take_texts(struct guard_verdict *v, char ***texts, size_t **lens)
{
    *texts = v->texts;
    *lens = v->lens;
    v->texts = NULL;
    v->lens = NULL;
}

int guard_run_async_post(struct guard_env *env, const struct config_guardrail *g, const struct guard_subject *s)
{
    int max = env->shared->cfg->async_post_max_pending > 0 ? env->shared->cfg->async_post_max_pending : 1024;
    if (atomic_fetch_add(&env->shared->async_pending, 1) >= max) {
        atomic_fetch_sub(&env->shared->async_pending, 1);
        metrics_count(env->metrics, METRICS_ASYNC_POST_OVERFLOW, 1);
        LOG_WARN("guard", "%s async_post %s dropped: %d checks pending", s->request_id ? s->request_id : "", g->name, max);
        return WARDEN_EOVERLOAD;
    }
    metrics_async_pending_add(env->metrics, 1);
    struct guard_run *r = run_create(env, g, s, NULL, NULL);
    r->detached = 1;
    h2o_linklist_insert(&env->async_runs, &r->async_link);
    env->async_count++;
    r->refs++;
    run_begin(r);
    run_unref(r);
    return 0;
}
