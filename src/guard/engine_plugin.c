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

/* Both model kinds: a classifier guard's, and prompt_injection's when its lexicon found nothing
 * at the threshold (engine_local.c). */
static void on_classifier_work_done(uv_work_t *w, int status)
{
    struct guard_run *r = w->data;
    r->clf_queued = 0;
    atomic_fetch_sub(&r->env->shared->classifier_jobs, 1);
    if (!r->reported && !r->cancelled) {
        if (status != 0) {
            guard__run_finish(r, RAW_ERROR, "classifier job cancelled", NULL, NULL, 0);
        } else {
            /* the pool thread is done with them: hand the findings to the run on the loop */
            free(r->findings);
            r->findings = r->clf_findings;
            r->n_findings = r->cap_findings = r->clf_n_findings;
            r->clf_findings = NULL;
            r->clf_n_findings = 0;
            guard__run_finish(r, r->pverdict ? RAW_VIOLATION : RAW_PASS, r->clf_reason, NULL, NULL, 0);
        }
    }
    guard__run_unref(r);
}

/* Queues work with r's model (r->gc->classifier) on the pool, bounded by CLASSIFIER_QUEUE_MAX jobs per process,
 * with the guard's time-out armed and a reference held until after_work runs. Reports nothing: returns 0,
 * or -1 with *why when the queue is full or libuv refuses. */
static int classifier_queue(struct guard_run *r, uv_work_cb work, const char **why)
{
    if (atomic_fetch_add(&r->env->shared->classifier_jobs, 1) >= CLASSIFIER_QUEUE_MAX) {
        atomic_fetch_sub(&r->env->shared->classifier_jobs, 1);
        *why = "classifier queue full";
        return -1;
    }
    r->work.data = r;
    r->loop_cpu = sched_getcpu();
    r->refs++;
    if (uv_queue_work(r->env->loop, &r->work, work, on_classifier_work_done) != 0) {
        r->refs--;
        atomic_fetch_sub(&r->env->shared->classifier_jobs, 1);
        *why = "could not queue classifier work";
        return -1;
    }
    r->clf_queued = 1; /* after_work runs on this loop later, never before this line */
    guard__run_arm_timeout(r);
    return 0;
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
    if (r->reported || r->cancelled || status != 0)
        guard_plugin_result_free(&r->presult);
    else
        plugin_result_finish(r, r->pverdict);
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
