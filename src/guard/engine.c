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
 * memory.
 *
 * The callback rule (engine.h): a verdict reached while guard_run_start() is
 * still on the stack (local checks, a remote check that could not start, a
 * full classifier queue, a group whose members all decided at once) is moved
 * into the run (due_verdict) and posted to the worker's deferral queue
 * (util/defer.h); the run keeps its logic reference until the verdict is
 * delivered from there, or until guard_run_cancel() takes it out of the queue
 * unseen. Only the top-level run defers: a group's members report to their
 * group directly, which is internal to the engine.
 *
 * Memory: runs come from the env's recycler (h2o_mem_recycle_t): most requests
 * start one to three, and a run (~1.5 KB) is past glibc's per-thread cache,
 * so malloc/free cost more than the check itself (callgrind: ~900
 * instructions a request with three regex checks). A run may outlive
 * guard_env_destroy() (its timer's close callback), so the env's memory goes
 * with the last run (live_runs). */
#include "guard/engine.h"
#include "guard/engine_int.h"

#include <h2o/linklist.h>
#include <h2o/memory.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard/builtin.h"
#include "guard/canary.h"
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
#include "util/defer.h"
#include "util/err.h"
#include "util/fmt.h"
#include "util/log.h"
#include "warden/guard.h"

#define GUARD_RUNS_KEPT 64 /* freed runs kept per worker for the next ones */

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

/* Gives guard i the model in path, loaded once per file: a guard naming a file an earlier guard
 * loaded borrows that guard's model (immutable, shared by every worker). 0, or -1 with err. */
static int model_attach(struct guard_shared *gs, size_t i, const char *path, char *err, size_t errsz)
{
    struct guard_compiled *c = &gs->gc[i];
    for (size_t k = 0; k < i; k++)
        if (gs->gc[k].classifier != NULL && strcmp(gs->gc[k].model_file, path) == 0) {
            c->classifier = gs->gc[k].classifier;
            c->classifier_borrowed = 1;
            c->model_file = util_strdup(path);
            return 0;
        }
    c->classifier = guard_classifier_load(path, err, errsz);
    if (c->classifier == NULL)
        return -1;
    c->model_file = util_strdup(path);
    return 0;
}

/* The shipped injection model: <directory of the running binary>/models/injection.model (make
 * builds it there), if that file exists. 1 with out set, or 0. */
static int injection_default_model(char *out, size_t outsz)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return 0;
    *slash = '\0';
    int w = snprintf(out, outsz, "%s/models/injection.model", exe);
    return w > 0 && (size_t)w < outsz && access(out, R_OK) == 0;
}

/* A prompt_injection guard's model: the configured file (one that does not load is an error),
 * none with `model: none`, else the shipped one if present; without it the lexicon decides alone,
 * said once at start-up (*told). A shipped file that does not load is said and skipped too: a
 * stale build must not stop a gateway whose config never named it. */
static int injection_model_attach(struct guard_shared *gs, size_t i, int *told, char *err, size_t errsz)
{
    const struct config_guardrail *g = &gs->cfg->guardrails[i];
    if (g->model_off)
        return 0;
    if (g->model_path != NULL)
        return model_attach(gs, i, g->model_path, err, errsz);
    char path[PATH_MAX + 32] = "models/injection.model next to the binary";
    char e[PATH_MAX + 256] = "";
    if (injection_default_model(path, sizeof(path)) && model_attach(gs, i, path, e, sizeof(e)) == 0)
        return 0;
    if (!*told)
        LOG_WARN("guard", "guardrail %s: prompt_injection without its model (%s%s): the lexicon alone; "
                          "build it with `make` or set model: FILE (model: none says so)",
                 g->name, e[0] ? "" : "no ", e[0] ? e : path);
    *told = 1;
    return 0;
}

struct guard_shared *guard_shared_create(const struct config *cfg, char *err, size_t errsz)
{
    struct guard_shared *gs = util_calloc(1, sizeof(*gs));
    gs->cfg = cfg;
    gs->n = cfg->n_guardrails;
    gs->gc = util_calloc(gs->n ? gs->n : 1, sizeof(*gs->gc));
    int told_no_model = 0;
    for (size_t i = 0; i < gs->n; i++) {
        const struct config_guardrail *g = &cfg->guardrails[i];
        struct guard_compiled *c = &gs->gc[i];
        c->cfg = g;
        char e[512] = "";
        if (g->type == CONFIG_GUARD_REGEX || g->type == CONFIG_GUARD_KEYWORDS) {
            int flags = (g->case_sensitive ? 0 : GUARD_SCAN_CASELESS) | (g->whole_word ? GUARD_SCAN_WHOLE_WORD : 0);
            /* a prompt_injection guard's canary check (config.h) matches the canary format */
            const char *canary = guard_canary_pattern();
            c->scan = guard_scan_compile(g->type == CONFIG_GUARD_REGEX ? GUARD_SCAN_REGEX : GUARD_SCAN_KEYWORDS,
                                         g->canary_of ? &canary : (const char *const *)g->patterns,
                                         g->canary_of ? 1 : g->n_patterns, flags, e, sizeof(e));
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
            if (model_attach(gs, i, g->model_path, e, sizeof(e)) != 0) {
                snprintf(err, errsz, "%s:%d: guardrail %s: %s", cfg->path ? cfg->path : "config", g->line, g->name, e);
                guard_shared_destroy(gs);
                return NULL;
            }
        } else if (g->type == CONFIG_GUARD_PROMPT_INJECTION) {
            if ((gs->injection == NULL && (gs->injection = guard_injection_create(e, sizeof(e))) == NULL) ||
                injection_model_attach(gs, i, &told_no_model, e, sizeof(e)) != 0) {
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
        if (c->classifier != NULL)
            gs->has_models = 1;
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
        if (!c->classifier_borrowed)
            guard_classifier_free(c->classifier);
        free(c->model_file);
        detect_free(c->detect);
        json_decref(c->provider_params);
    }
    guard_injection_free(gs->injection);
    free(gs->gc);
    free(gs);
}

const struct guard_compiled *guard__compiled(const struct guard_env *env, const struct config_guardrail *g)
{
    size_t i = (size_t)(g - env->shared->cfg->guardrails);
    return i < env->shared->n ? &env->shared->gc[i] : NULL;
}

struct guard_env *guard_env_create(struct guard_shared *gs, uv_loop_t *loop, struct upstream_client *up, struct metrics *m)
{
    struct guard_env *env = util_calloc(1, sizeof(*env));
    h2o_linklist_init_anchor(&env->async_runs);
    h2o_linklist_init_anchor(&env->timed_runs);
    env->run_recycle.max = GUARD_RUNS_KEPT;
    env->shared = gs;
    env->loop = loop;
    env->upstream = up;
    env->metrics = m;
    env->defer = util_defer_create(loop);
    env->scratch = guard_scan_scratch_new(NULL);
    if (gs->injection)
        env->injection_scratch = guard_injection_scratch_new(gs->injection);
    env->detect_scratch = detect_scratch_new();
    guard__carrier_init(env);
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

/* The env's memory, once it is destroyed and its last run is freed. */
static void env_free(struct guard_env *env)
{
    while (env->run_recycle.cnt > 0)
        free(h2o_mem_alloc_recycle(&env->run_recycle, sizeof(struct guard_run)));
    free(env);
}

static void run_timer_close(struct guard_run *r);

void guard_env_destroy(struct guard_env *env)
{
    if (env == NULL)
        return;
    guard_env_cancel_async(env);
    /* runs still waiting for the pool outlive the env's loop turns; their timers are closed now,
     * through the run (its reference goes with the close), before the worker closes every handle
     * left: a job done later must find no timer of its run to close a second time */
    while (!h2o_linklist_is_empty(&env->timed_runs))
        run_timer_close(H2O_STRUCT_FROM_MEMBER(struct guard_run, timed_link, env->timed_runs.next));
    util_defer_destroy(env->defer); /* its memory goes with its handles' close callbacks */
    guard_scan_scratch_free(env->scratch);
    guard_injection_scratch_free(env->injection_scratch);
    detect_scratch_free(env->detect_scratch);
    guard__carrier_close(env); /* an idle carrier stops spinning now */
    env->destroyed = 1;
    if (env->live_runs == 0)
        env_free(env);
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

int guard_runs_on_pool(const struct guard_env *env, const struct config_guardrail *g)
{
    if (g->type == CONFIG_GUARD_CLASSIFIER)
        return 1;
    const struct guard_compiled *c = g->type == CONFIG_GUARD_PROMPT_INJECTION ? guard__compiled(env, g) : NULL;
    return c != NULL && c->classifier != NULL;
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
    const struct guard_compiled *c = guard__compiled(env, g);
    size_t w = c && c->scan ? guard_scan_max_width(c->scan) : c && c->detect ? detect_max_width(c->detect) : 0;
    if (w == 0 || w > 64 * 1024)
        w = DEFAULT_STREAM_WINDOW;
    return w + (g->whole_word ? 8 : 0);
}

const struct guard_scan *guard_local_scan(const struct guard_env *env, const struct config_guardrail *g)
{
    const struct guard_compiled *c = guard_is_local(g) ? guard__compiled(env, g) : NULL;
    return c ? c->scan : NULL;
}

struct util_defer *guard_env_defer(struct guard_env *env)
{
    return env->defer;
}

struct guard_scan_scratch *guard_env_scratch(struct guard_env *env)
{
    return env->scratch;
}

const struct detect_set *guard_local_detect(const struct guard_env *env, const struct config_guardrail *g)
{
    const struct guard_compiled *c = guard_is_local(g) ? guard__compiled(env, g) : NULL;
    return c ? c->detect : NULL;
}

struct detect_scratch *guard_env_detect_scratch(struct guard_env *env)
{
    return env->detect_scratch;
}

/* ---- when: conditions ---- */

int guard__list_has(char **list, size_t n, const char *s)
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
    if (w->n_models && !guard__list_has(w->models, w->n_models, info->model))
        return 0;
    if (w->n_paths && !guard__list_has(w->paths, w->n_paths, info->path))
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

void guard__free_texts(char **texts, size_t *lens, size_t n)
{
    for (size_t i = 0; texts && i < n; i++)
        free(texts[i]);
    free(texts);
    free(lens);
}

void guard__run_free(struct guard_run *r)
{
    guard__free_texts(r->texts, r->lens, r->n);
    free(r->json_texts);
    free(r->findings);
    guard_placeholders_free(r->placeholders);
    json_decref(r->tool_calls);
    guard_webhook_ctx_unref(r->wctx);
    util_buf_free(&r->resp);
    free(r->req_body);
    for (size_t i = 0; r->child_verdicts && i < r->n_children; i++) {
        guard__free_texts(r->child_verdicts[i].texts, r->child_verdicts[i].lens, r->child_verdicts[i].n);
        free(r->child_verdicts[i].findings);
        guard_placeholders_free(r->child_verdicts[i].placeholders);
    }
    free(r->child_verdicts);
    free(r->children);
    free(r->child_done);
    free(r->clf_findings);
    struct guard_env *env = r->env;
    h2o_mem_free_recycle(&env->run_recycle, r);
    guard__env_release(env);
}

void guard__env_release(struct guard_env *env)
{
    if (--env->live_runs == 0 && env->destroyed)
        env_free(env);
}

void guard__run_unref(struct guard_run *r)
{
    if (--r->refs == 0)
        guard__run_free(r);
}

static void on_run_timer_closed(uv_handle_t *h)
{
    guard__run_unref(h->data);
}

static void run_timer_close(struct guard_run *r)
{
    if (!r->timer_inited)
        return;
    r->timer_inited = 0;
    h2o_linklist_unlink(&r->timed_link);
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, on_run_timer_closed);
}

/* Ends the run's activity: timer, remote call, children. Idempotent. */
static void run_stop(struct guard_run *r)
{
    run_timer_close(r);
    if (r->call) {
        upstream_call_cancel(r->call);
        r->call = NULL;
    }
    if (r->clf_queued && !r->clf_carried)
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

/* Frees what a verdict owns (what its receiver did not take). */
static void verdict_release(struct guard_verdict *v)
{
    guard__free_texts(v->texts, v->lens, v->n);
    v->texts = NULL;
    v->lens = NULL;
    free(v->findings);
    v->findings = NULL;
    guard_placeholders_free(v->placeholders);
    v->placeholders = NULL;
}

void guard_verdict_release(struct guard_verdict *v)
{
    verdict_release(v);
}

/* A verdict reached inside guard_run_start(), delivered from the deferral queue. */
static void on_verdict_due(struct util_defer_item *item)
{
    struct guard_run *r = H2O_STRUCT_FROM_MEMBER(struct guard_run, due, item);
    r->due_pending = 0;
    if (r->cb)
        r->cb(r->ud, &r->due_verdict);
    verdict_release(&r->due_verdict);
    guard__run_unref(r);
}

/* Reports the final verdict (once) and drops the logic reference; inside guard_run_start()
 * the verdict is deferred instead, and the reference goes when it is delivered. */
void guard__run_report(struct guard_run *r, struct guard_verdict *v)
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
        if (r->cb)
            r->cb(r->ud, v);
    } else if (r->starting) {
        if (v != &r->due_verdict)
            r->due_verdict = *v; /* moves what it owns: the caller lets go of v */
        r->due_pending = 1;
        util_defer_post(r->env->defer, &r->due, on_verdict_due);
        return;
    } else if (r->cb) {
        r->cb(r->ud, v);
    }
    verdict_release(v);
    guard__run_unref(r);
}

/* Maps a check's raw result over n texts through the guard's action and on_error into
 * *out (zeroed first). Takes ownership of texts. */
void guard__verdict_map(const struct config_guardrail *g, size_t n, enum raw_result raw, const char *reason, char **texts,
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
        guard__free_texts(texts, lens, n);
    } else if (raw == RAW_VIOLATION) {
        v.violation = 1;
        switch (g->action) {
        case CONFIG_ACTION_LOG:
            v.outcome = GUARD_PASS;
            guard__free_texts(texts, lens, n);
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
            guard__free_texts(texts, lens, n);
        }
    } else if (raw == RAW_REWRITE && g->action == CONFIG_ACTION_LOG) {
        /* recorded (metrics: logged; webhook_answer logs it), not applied */
        v.violation = 1;
        v.outcome = GUARD_PASS;
        guard__free_texts(texts, lens, n);
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
void guard__run_finish(struct guard_run *r, enum raw_result raw, const char *reason, char **texts, size_t *lens, int timed_out)
{
    struct guard_verdict v;
    int rewrite = texts != NULL;
    guard__verdict_map(r->g, r->n, raw, reason, texts, lens, timed_out, &v);
    /* the run's findings (pii / secrets) and, with a rewrite, the placeholders it made go with the verdict */
    v.findings = r->findings;
    v.n_findings = r->n_findings;
    r->findings = NULL;
    r->n_findings = r->cap_findings = 0;
    if (rewrite) {
        v.placeholders = r->placeholders;
        r->placeholders = NULL;
    }
    guard__run_report(r, &v);
}

static void on_run_timeout(uv_timer_t *t)
{
    struct guard_run *r = t->data;
    /* A big scan (pii, secrets, prompt_injection on the pool) that is done already: its after_work
     * is queued behind this timer (a busy loop runs due timers first), and its result decides, as
     * the same scan on the loop would - the time-out bounds the scan, not the loop's delay. */
    if (r->pool_done != NULL && atomic_load(&r->pool_finished))
        return;
    char why[96];
    snprintf(why, sizeof(why), "timed out after %d ms", r->g->timeout_ms);
    int remote = r->g->type == CONFIG_GUARD_WEBHOOK || r->g->type == CONFIG_GUARD_LLM_JUDGE;
    guard__run_finish(r, remote ? RAW_UNREACHABLE : RAW_ERROR, why, NULL, NULL, 1);
}

void guard__run_arm_timeout(struct guard_run *r)
{
    if (r->g->timeout_ms <= 0 || r->timer_inited)
        return;
    uv_timer_init(r->env->loop, &r->timer);
    r->timer.data = r;
    r->timer_inited = 1;
    h2o_linklist_insert(&r->env->timed_runs, &r->timed_link);
    r->refs++;
    uv_timer_start(&r->timer, on_run_timeout, (uint64_t)r->g->timeout_ms, 0);
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

/* A run with its logic reference and nothing of the subject yet. */
static struct guard_run *run_alloc(struct guard_env *env, const struct config_guardrail *g, guard_done_cb cb, void *ud)
{
    struct guard_run *r = h2o_mem_alloc_recycle(&env->run_recycle, sizeof(*r));
    memset(r, 0, offsetof(struct guard_run, due_verdict)); /* the rest: engine_int.h */
    env->live_runs++;
    r->env = env;
    r->g = g;
    r->gc = guard__compiled(env, g);
    r->cb = cb;
    r->ud = ud;
    r->refs = 1;
    r->t0 = util_now_ns();
    return r;
}

/* wctx: a group's context for its members (shared), or NULL to build one from s when needed. */
struct guard_run *guard__run_create_in(struct guard_env *env, const struct config_guardrail *g, const struct guard_subject *s,
                                       struct guard_webhook_ctx *wctx, guard_done_cb cb, void *ud)
{
    struct guard_run *r = run_alloc(env, g, cb, ud);
    memset(r->model, 0, sizeof(*r) - offsetof(struct guard_run, model));
    r->stage = s->stage;
    r->n = s->n;
    r->texts = util_calloc(s->n ? s->n : 1, sizeof(char *));
    r->lens = util_calloc(s->n ? s->n : 1, sizeof(size_t));
    for (size_t i = 0; i < s->n; i++) {
        r->texts[i] = util_strndup(s->texts[i], s->lens[i]);
        r->lens[i] = s->lens[i];
    }
    r->n_messages = s->n_messages;
    r->n_views = s->n_views <= s->n ? s->n_views : 0;
    if (s->json_texts != NULL && s->n > 0 && memchr(s->json_texts, 1, s->n) != NULL) { /* most requests: none */
        r->json_texts = util_malloc(s->n);
        memcpy(r->json_texts, s->json_texts, s->n);
    }
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
    return guard__run_create_in(env, g, s, NULL, cb, ud);
}

void guard__run_begin(struct guard_run *r)
{
    switch (r->g->type) {
    case CONFIG_GUARD_REGEX:
    case CONFIG_GUARD_KEYWORDS:
        guard__check_scan(r);
        break;
    case CONFIG_GUARD_LENGTH:
        guard__check_length(r);
        break;
    case CONFIG_GUARD_PII:
    case CONFIG_GUARD_SECRETS:
        guard__check_detect(r);
        break;
    case CONFIG_GUARD_TOOLS:
        guard__check_tools(r);
        break;
    case CONFIG_GUARD_PLUGIN:
        guard__check_plugin(r);
        break;
    case CONFIG_GUARD_WEBHOOK:
    case CONFIG_GUARD_LLM_JUDGE:
        guard__check_remote(r);
        break;
    case CONFIG_GUARD_PARALLEL:
    case CONFIG_GUARD_CHAIN:
        guard__check_group(r);
        break;
    case CONFIG_GUARD_PROMPT_INJECTION:
        guard__check_injection(r);
        break;
    case CONFIG_GUARD_CLASSIFIER:
        guard__check_classifier(r);
        break;
    }
}

struct guard_run *guard_run_start(struct guard_env *env, const struct config_guardrail *g, const struct guard_subject *s,
                                  guard_done_cb cb, void *ud)
{
    const struct guard_compiled *gc = guard__compiled(env, g);
    if (guard_is_local(g) && gc != NULL && gc->scan != NULL) {
        /* the fast path: a regex / keywords check reads the caller's texts at once, so its run
         * copies nothing and only carries the verdict to the deferral queue */
        struct guard_run *r = run_alloc(env, g, cb, ud);
        guard__scan_verdict(env, g, gc->scan, s->texts, s->lens, s->n, &r->due_verdict);
        r->starting = 1;
        guard__run_report(r, &r->due_verdict);
        r->starting = 0;
        return r;
    }
    struct guard_run *r = run_create(env, g, s, cb, ud);
    r->starting = 1;
    guard__run_begin(r); /* a verdict reached in here is deferred: the run stays alive */
    r->starting = 0;
    return r;
}

void guard_run_cancel(struct guard_run *r)
{
    if (r == NULL || r->cancelled)
        return;
    if (r->due_pending) {
        /* its verdict waits in the deferral queue: it is never delivered */
        util_defer_cancel(&r->due);
        r->due_pending = 0;
        r->cancelled = 1;
        verdict_release(&r->due_verdict);
        guard__run_unref(r);
        return;
    }
    if (r->reported)
        return;
    r->cancelled = 1;
    run_stop(r);
    if (r->detached) {
        async_list_remove(r);
        if (r->cb)
            r->cb(r->ud, NULL); /* no verdict will come: its owner stops waiting */
    }
    guard__run_unref(r);
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

int guard_run_async_post(struct guard_env *env, const struct config_guardrail *g, const struct guard_subject *s,
                         guard_done_cb cb, void *ud)
{
    int max = env->shared->cfg->async_post_max_pending > 0 ? env->shared->cfg->async_post_max_pending : 1024;
    if (atomic_fetch_add(&env->shared->async_pending, 1) >= max) {
        atomic_fetch_sub(&env->shared->async_pending, 1);
        metrics_count(env->metrics, METRICS_ASYNC_POST_OVERFLOW, 1);
        LOG_WARN("guard", "%s async_post %s dropped: %d checks pending", s->request_id ? s->request_id : "", g->name, max);
        return WARDEN_EOVERLOAD;
    }
    metrics_async_pending_add(env->metrics, 1);
    struct guard_run *r = run_create(env, g, s, cb, ud);
    r->detached = 1;
    h2o_linklist_insert(&env->async_runs, &r->async_link);
    env->async_count++;
    r->refs++;
    guard__run_begin(r);
    guard__run_unref(r);
    return 0;
}
