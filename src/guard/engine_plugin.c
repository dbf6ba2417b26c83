/* Pool work (engine_int.h): plugins and classifier models on libuv's thread pool, never on the loop. */
#include "guard/engine.h"
#include "guard/engine_int.h"

#include <pthread.h>
#include <sched.h>
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

/* Queues pool work for r (time-out armed, a reference held until after_work); if libuv refuses,
 * reports why through on_error and returns -1. */
static int run_queue_work(struct guard_run *r, uv_work_cb work, uv_after_work_cb done, const char *why)
{
    guard__run_arm_timeout(r);
    r->work.data = r;
    r->refs++;
    if (uv_queue_work(r->env->loop, &r->work, work, done) == 0)
        return 0;
    r->refs--;
    guard__run_finish(r, RAW_ERROR, why, NULL, NULL, 0);
    return -1;
}

/* ---- classifier models (pool) ---- */

static void on_classifier_work(uv_work_t *w)
{
    struct guard_run *r = w->data;
    guard_builtin_pool_thread_init(r->loop_cpu); /* yields the loops their cores */
    r->pverdict = guard_builtin_classify(r->gc->classifier, r->g, r->texts, r->lens, r->n, &r->clf_findings,
                                         &r->clf_n_findings, r->clf_reason, sizeof(r->clf_reason));
}

/* The count a job of r's takes: a big scan's (pool_done set) or a model's. */
static _Atomic int *pool_jobs(struct guard_run *r)
{
    return r->pool_done != NULL ? &r->env->shared->scan_jobs : &r->env->shared->classifier_jobs;
}

/* Both model kinds: a classifier guard's, and prompt_injection's when its lexicon found nothing
 * at the threshold (engine_local.c); and a big scan's (pool_done). */
static void on_classifier_work_done(uv_work_t *w, int status)
{
    struct guard_run *r = w->data;
    r->clf_queued = 0;
    r->clf_carried = 0;
    atomic_fetch_sub(pool_jobs(r), 1);
    if (!r->reported && !r->cancelled) {
        if (status != 0) {
            guard__run_finish(r, RAW_ERROR, r->pool_done != NULL ? "scan job cancelled" : "classifier job cancelled", NULL, NULL, 0);
        } else {
            /* the pool thread is done with them: hand the findings to the run on the loop */
            free(r->findings);
            r->findings = r->clf_findings;
            r->n_findings = r->cap_findings = r->clf_n_findings;
            r->clf_findings = NULL;
            r->clf_n_findings = 0;
            if (r->pool_done != NULL)
                r->pool_done(r); /* a scan moved to the pool: its check decides */
            else
                guard__run_finish(r, r->pverdict ? RAW_VIOLATION : RAW_PASS, r->clf_reason, NULL, NULL, 0);
        }
    }
    guard__run_unref(r);
}

/* ---- the carrier: a pool thread kept awake for the next model job ----
 * A job queued on libuv's pool from idle first waits for a sleeping thread to wake (~20 us at p50
 * on a 2-vCPU VM, bench/pool_roundtrip.c: an idle vCPU woken by the hypervisor), as long as the
 * inference of a 4 KB prompt, and the loop waits for both. So when a request arrives that may run
 * a model, its worker queues a carrier: a pool thread that wakes while the loop reads the request,
 * then spins for at most CARRIER_SPIN_NS until the loop hands it the model job, and runs it in
 * place. The loop, polling meanwhile, runs the job's after_work as soon as the job is done
 * (carrier_collect), without waiting for libuv to report the carrier's end (an eventfd write and
 * an epoll round, ~5 us on a 2-vCPU VM); if it stopped polling, the carrier's after_work runs it.
 * A job that finds no open carrier (another request took it, it expired, the pool was busy) is
 * queued as any pool work. */
#define CARRIER_SPIN_NS (200 * 1000)
/* With this many model jobs out the pool's threads are awake anyway: no carrier. */
#define CARRIER_BUSY_JOBS 2
/* While the carrier runs a job the loop, once out of work, polls for its end instead of sleeping:
 * a sleeping loop's vCPU takes as long to wake as the pool thread's. At most this long, so that a
 * long inference (a big text) is waited for asleep. */
#define CARRIER_POLL_NS (200 * 1000)

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static void on_carrier_work(uv_work_t *w)
{
    struct guard_env *env = w->data;
    struct guard_carrier *c = &env->carrier;
    guard_builtin_pool_thread_init(c->loop_cpu); /* off the loop's CPU before the job comes */
    uint64_t deadline = util_now_ns() + CARRIER_SPIN_NS;
    for (;;) {
        int slot = atomic_load_explicit(&c->slot, memory_order_acquire);
        if (slot == CARRIER_HANDED) {
            c->job_work(&c->job->work);
            /* the job's results are published with it; the loop may free the job from here on */
            atomic_store_explicit(&c->job_done, 1, memory_order_release);
            return;
        }
        if (slot == CARRIER_CLOSED)
            return;
        if (util_now_ns() >= deadline) {
            int open = CARRIER_OPEN;
            if (atomic_compare_exchange_strong_explicit(&c->slot, &open, CARRIER_CLOSED, memory_order_acq_rel,
                                                        memory_order_acquire))
                return;
            continue; /* handed in the meantime */
        }
        cpu_relax();
    }
}

/* On the loop: the handed job's after_work, once, whichever of the poll and the carrier's own
 * after_work sees the job done first. */
static void carrier_collect(struct guard_carrier *c, int status)
{
    struct guard_run *job = c->job;
    c->job = NULL;
    c->job_collected = 1;
    on_classifier_work_done(&job->work, status);
}

static void on_carrier_poll(uv_idle_t *idle)
{
    struct guard_env *env = idle->data;
    struct guard_carrier *c = &env->carrier;
    if (atomic_load_explicit(&c->job_done, memory_order_acquire)) {
        uv_idle_stop(idle);
        carrier_collect(c, 0);
    } else if (util_now_ns() - c->handed_at > CARRIER_POLL_NS) {
        uv_idle_stop(idle);
    }
}

static void on_carrier_poll_closed(uv_handle_t *h)
{
    guard__env_release(h->data);
}

void guard__carrier_init(struct guard_env *env)
{
    uv_idle_init(env->loop, &env->carrier.poll);
    env->carrier.poll.data = env;
}

void guard__carrier_close(struct guard_env *env)
{
    guard_env_cool_pool(env);
    env->live_runs++; /* the env's memory waits for the handle's close */
    uv_close((uv_handle_t *)&env->carrier.poll, on_carrier_poll_closed);
}

static void on_carrier_done(uv_work_t *w, int status)
{
    struct guard_env *env = w->data;
    struct guard_carrier *c = &env->carrier;
    if (!env->destroyed)
        uv_idle_stop(&c->poll);
    int carried = atomic_load_explicit(&c->slot, memory_order_acquire) == CARRIER_HANDED;
    metrics_count(env->metrics, carried ? METRICS_MODEL_JOBS_CARRIED : METRICS_CARRIERS_UNUSED, 1);
    if (carried && !c->job_collected)
        carrier_collect(c, status);
    c->in_flight = 0;
    c->job = NULL;
    c->job_collected = 0;
    guard__env_release(env);
}

int guard_env_warm_pool(struct guard_env *env)
{
    if (env == NULL)
        return 0; /* the worker's checks are gone (shutdown) */
    struct guard_carrier *c = &env->carrier;
    if (!env->shared->has_models || c->in_flight || env->destroyed ||
        atomic_load_explicit(&env->shared->classifier_jobs, memory_order_relaxed) >= CARRIER_BUSY_JOBS)
        return 0;
    atomic_store_explicit(&c->slot, CARRIER_OPEN, memory_order_relaxed);
    atomic_store_explicit(&c->job_done, 0, memory_order_relaxed);
    c->job = NULL;
    c->job_collected = 0;
    c->work.data = env;
    c->loop_cpu = sched_getcpu();
    if (uv_queue_work(env->loop, &c->work, on_carrier_work, on_carrier_done) != 0)
        return 0; /* the job will be queued as any */
    c->in_flight = 1;
    env->live_runs++; /* the env's memory waits for on_carrier_done */
    return 1;
}

int guard_env_runs_models(const struct guard_env *env)
{
    return env != NULL && env->shared->has_models && !env->destroyed;
}

void guard_env_cool_pool(struct guard_env *env)
{
    int open = CARRIER_OPEN;
    if (env != NULL && env->carrier.in_flight)
        atomic_compare_exchange_strong(&env->carrier.slot, &open, CARRIER_CLOSED);
}

/* Hands r's model job to the env's open carrier: 1 if it took it, 0 if there is none. */
static int carrier_take(struct guard_run *r, uv_work_cb work)
{
    struct guard_carrier *c = &r->env->carrier;
    if (!c->in_flight || r->env->destroyed || atomic_load_explicit(&c->slot, memory_order_relaxed) != CARRIER_OPEN)
        return 0;
    c->job = r;
    c->job_work = work;
    int open = CARRIER_OPEN;
    if (atomic_compare_exchange_strong_explicit(&c->slot, &open, CARRIER_HANDED, memory_order_acq_rel, memory_order_acquire)) {
        c->handed_at = util_now_ns();
        uv_idle_start(&c->poll, on_carrier_poll);
        return 1;
    }
    c->job = NULL; /* it expired just now */
    return 0;
}

/* Queues work with r's model (r->gc->classifier) or a big scan on the pool, bounded per process by
 * CLASSIFIER_QUEUE_MAX model jobs or GUARD_POOL_SCAN_MAX scans, with the guard's time-out armed and
 * a reference held until after_work runs. Reports nothing: returns 0, or -1 with *why when the
 * queue is full or libuv refuses. */
static int classifier_queue(struct guard_run *r, uv_work_cb work, const char **why)
{
    if (atomic_fetch_add(pool_jobs(r), 1) >= (r->pool_done != NULL ? GUARD_POOL_SCAN_MAX : CLASSIFIER_QUEUE_MAX)) {
        atomic_fetch_sub(pool_jobs(r), 1);
        *why = "classifier queue full";
        return -1;
    }
    r->work.data = r;
    r->loop_cpu = sched_getcpu();
    r->refs++;
    if (carrier_take(r, work)) {
        r->clf_queued = 1;
        r->clf_carried = 1;
        guard__run_arm_timeout(r);
        return 0;
    }
    if (uv_queue_work(r->env->loop, &r->work, work, on_classifier_work_done) != 0) {
        r->refs--;
        atomic_fetch_sub(pool_jobs(r), 1);
        *why = "could not queue classifier work";
        return -1;
    }
    metrics_count(r->env->metrics, METRICS_MODEL_JOBS_QUEUED, 1); /* a job refused is none: carried + queued = jobs run */
    r->clf_queued = 1; /* after_work runs on this loop later, never before this line */
    guard__run_arm_timeout(r);
    return 0;
}

/* A local check's scan on the pool (its texts are big: GUARD_POOL_SCAN_BYTES); done runs on the loop
 * once the work did, with the findings the work left in clf_findings moved to findings. -1 when the
 * pool's queue is full: the caller scans on the loop instead (a scan never fails for want of room). */
int guard__pool_queue(struct guard_run *r, uv_work_cb work, void (*done)(struct guard_run *r))
{
    const char *why = NULL;
    r->pool_done = done;
    if (classifier_queue(r, work, &why) == 0)
        return 0;
    r->pool_done = NULL;
    return -1;
}

/* Model inference never runs on the loop: the pool takes it, with a bound on queued jobs. */
void guard__check_classifier(struct guard_run *r)
{
    const char *why = NULL;
    if (classifier_queue(r, on_classifier_work, &why) != 0)
        guard__run_finish(r, RAW_ERROR, why, NULL, NULL, 0);
}

/* The injection model reads texts of at least this many bytes: on a word or two ("system", a
 * role name, a field value) its n-gram weights say more about the word than about an attack
 * (P("system") = 0.65), and the lexicon judges short texts well on its own. */
#define INJECTION_MODEL_MIN_BYTES 16

/* In the pool: the model's probability for each text long enough to read; at or above the
 * threshold, a prompt_injection finding over the whole text with that score. */
static void on_injection_model_work(uv_work_t *w)
{
    struct guard_run *r = w->data;
    guard_builtin_pool_thread_init(r->loop_cpu); /* yields the loops their cores */
    guard__injection_model_read(r);
}

/* The model's reading of r's texts into clf_findings, pverdict and clf_reason (on the pool). */
void guard__injection_model_read(struct guard_run *r)
{
    double best = -1;
    for (size_t i = 0; i < r->n; i++) {
        if (r->lens[i] < INJECTION_MODEL_MIN_BYTES)
            continue;
        double p = guard_classifier_predict(r->gc->classifier, r->texts[i], r->lens[i]);
        if (p < r->g->threshold)
            continue;
        r->clf_findings = util_realloc(r->clf_findings, (r->clf_n_findings + 1) * sizeof(*r->clf_findings));
        struct guard_finding *f = &r->clf_findings[r->clf_n_findings++];
        memset(f, 0, sizeof(*f));
        f->index = i;
        f->end = r->lens[i];
        snprintf(f->type, sizeof(f->type), "prompt_injection");
        f->score = p;
        if (p > best)
            snprintf(r->clf_reason, sizeof(r->clf_reason), "prompt injection (model), score %.2f", p);
        best = p > best ? p : best;
    }
    r->pverdict = r->clf_n_findings > 0;
}

/* Starts prompt_injection's model on the pool before the lexicon runs on the loop, so the two
 * overlap. Returns 1 (queued: on_classifier_work_done decides unless the lexicon already did),
 * 0 (the guard has no model) or -1 with *why (queue full, libuv refused). */
int guard__injection_model_start(struct guard_run *r, const char **why)
{
    if (r->gc == NULL || r->gc->classifier == NULL)
        return 0;
    return classifier_queue(r, on_injection_model_work, why) == 0 ? 1 : -1;
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
        guard__free_texts(texts, lens, r->n);
        guard__run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
        break;
    case WARDEN_GUARD_BLOCK:
        guard__free_texts(texts, lens, r->n);
        guard__run_finish(r, RAW_VIOLATION, reason[0] ? reason : "blocked by plugin", NULL, NULL, 0);
        break;
    case WARDEN_GUARD_REWRITE:
        if (texts == NULL) {
            guard__run_finish(r, RAW_ERROR, "plugin rewrite without texts", NULL, NULL, 0);
            break;
        }
        /* NULL entries mean unchanged: fill them so the caller sees whole texts */
        for (size_t i = 0; i < r->n; i++)
            if (texts[i] == NULL) {
                texts[i] = util_strndup(r->texts[i], r->lens[i]);
                lens[i] = r->lens[i];
            }
        if (r->g->action == CONFIG_ACTION_BLOCK) {
            guard__free_texts(texts, lens, r->n);
            guard__run_finish(r, RAW_VIOLATION, reason[0] ? reason : "plugin asked to rewrite", NULL, NULL, 0);
        } else {
            guard__run_finish(r, RAW_VIOLATION, reason[0] ? reason : "rewritten by plugin", texts, lens, 0);
        }
        break;
    default:
        guard__free_texts(texts, lens, r->n);
        guard__run_finish(r, RAW_ERROR, reason[0] ? reason : "plugin error", NULL, NULL, 0);
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
    if (r->reported || r->cancelled || status != 0) {
        guard_plugin_result_free(&r->presult);
        if (!r->reported && !r->cancelled) /* the job never ran: an error now, not the guard's time-out later */
            guard__run_finish(r, RAW_ERROR, "plugin job cancelled", NULL, NULL, 0);
    } else {
        plugin_result_finish(r, r->pverdict);
    }
    guard__run_unref(r);
}

void guard__check_plugin(struct guard_run *r)
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
