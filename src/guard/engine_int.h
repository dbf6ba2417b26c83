/* Internal to the guardrail engine (src/guard/engine*.c): the run, its environment and the
 * plumbing the run kinds share. engine.c: shared state, environments, `when:`, run plumbing
 * and the public entry points; engine_local.c: regex, keywords, pii / secrets, length, tools,
 * prompt injection; engine_plugin.c: work on the thread pool (plugins, classifier models);
 * engine_remote.c: webhook and llm_judge calls; engine_group.c: parallel and chain groups.
 * Nothing outside src/guard/ includes this. */
#ifndef WARDEN_GUARD_ENGINE_INT_H
#define WARDEN_GUARD_ENGINE_INT_H

#include <h2o/linklist.h>
#include <h2o/memory.h>
#include <jansson.h>
#include <stdatomic.h>
#include <uv.h>

#include "guard/engine.h"
#include "guard/plugin.h"
#include "guard/scan.h"
#include "util/buf.h"
#include "util/defer.h"
#include "warden/guard.h"

struct detect_set;
struct detect_scratch;
struct guard_classifier;
struct guard_finding;
struct guard_injection;
struct guard_injection_scratch;
struct guard_placeholders;
struct guard_webhook_ctx;
struct upstream_call;
struct upstream_client;

#define REMOTE_RESPONSE_MAX (1024 * 1024)
#define DEFAULT_STREAM_WINDOW 256
#define CLASSIFIER_QUEUE_MAX 256
/* pii, secrets and prompt_injection read texts of this many bytes in all (a run's texts) on the
 * pool, not the loop: ~0.2 to 0.6 ms of scanning there, where the pool's round trip is ~30 us;
 * a 1 MB prompt (or a 20 MB check API call) would stop the loop's other requests for ms to s. */
#define GUARD_POOL_SCAN_BYTES (64 * 1024)
/* At most this many such scans queued per process (their own bound: they never take a model job's
 * room); past it a scan runs on the loop, as before. */
#define GUARD_POOL_SCAN_MAX 64

struct guard_compiled {
    const struct config_guardrail *cfg;
    struct guard_scan *scan;       /* regex / keywords */
    struct guard_scan **arg_scans; /* tools: one per arg_patterns entry */
    struct guard_plugin *plugin;
    struct guard_classifier *classifier; /* classifier, prompt_injection: the model, loaded once per file */
    char *model_file;                    /* the file it came from (the resolved default for prompt_injection) */
    unsigned classifier_borrowed : 1;    /* another guard naming the same file owns it */
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
    _Atomic int scan_jobs;             /* big scans there (GUARD_POOL_SCAN_BYTES), bounded apart */
    unsigned has_models : 1;           /* some guard runs a model (guard_env_warm_pool) */
};

/* A pool thread kept awake for the next model job of its worker (guard_env_warm_pool, engine.h).
 * The loop owns it; the pool thread reads only slot and job, and writes only slot and job_done. */
enum { CARRIER_OPEN, CARRIER_HANDED, CARRIER_CLOSED };
struct guard_carrier {
    uv_work_t work;
    _Atomic int slot;              /* OPEN: takes a job; HANDED: job set; CLOSED: takes none */
    struct guard_run *job;         /* written by the loop before slot becomes HANDED */
    uv_work_cb job_work;           /* the job's pool function (its after_work: on_classifier_work_done) */
    int loop_cpu;                  /* the loop's CPU when queued (guard_builtin_pool_thread_init) */
    _Atomic int job_done;          /* set by the pool thread once the job's function returned */
    unsigned in_flight : 1;        /* queued or running: its after_work has not run yet */
    unsigned job_collected : 1;    /* the job's after_work already ran, from the poll (carrier_collect) */
    uv_idle_t poll;                /* active while it runs a job: the loop polls instead of sleeping */
    uint64_t handed_at;            /* when the job was handed (the poll's bound) */
};

struct guard_env {
    struct guard_shared *shared;
    uv_loop_t *loop;
    struct upstream_client *upstream;
    struct metrics *metrics;
    struct util_defer *defer; /* verdicts reached inside guard_run_start() wait here (engine.h) */
    struct guard_scan_scratch *scratch;
    struct guard_injection_scratch *injection_scratch;
    struct detect_scratch *detect_scratch;
    h2o_linklist_t async_runs; /* detached async_post runs of this worker (guard_run.async_link) */
    h2o_linklist_t timed_runs; /* runs whose timer is open (guard_run.timed_link): closed by guard_env_destroy */
    size_t async_count;
    h2o_mem_recycle_t run_recycle; /* freed runs kept for the next ones: a run is ~1.5 KB, past malloc's fast bins */
    size_t live_runs;              /* runs (and the carrier while in flight) not freed yet: the env's memory waits for them */
    struct guard_carrier carrier;
    unsigned destroyed : 1;
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
    /* Every run: zeroed by run_alloc() (engine.c). A regex / keywords check, which decides
     * inside guard_run_start(), uses this part and due_verdict only. */
    struct guard_env *env;
    const struct config_guardrail *g;
    const struct guard_compiled *gc;
    guard_done_cb cb;
    void *ud;
    int refs;
    unsigned reported : 1, cancelled : 1, timer_inited : 1, detached : 1;
    unsigned starting : 1;    /* inside guard_run_start(): a verdict now is deferred (engine.h) */
    unsigned due_pending : 1; /* reported inside guard_run_start(): due_verdict waits in env->defer */
    uint64_t t0;
    struct util_defer_item due;
    /* the subject, copied */
    enum config_guard_stage stage;
    char **texts;
    size_t *lens;
    size_t n;
    size_t n_messages;
    size_t n_views; /* the subject's last n_views texts are views of the others */
    unsigned char *json_texts; /* per text: JSON that its reader decodes (guard_subject); NULL: none is */
    json_t *tool_calls;
    struct guard_webhook_ctx *wctx; /* webhooks and groups with one: the request's context (shared with members) */
    /* remote */
    struct upstream_call *call;
    struct util_buf resp;
    char *req_body;
    /* pool */
    int pverdict;
    int clf_queued; /* classifier work in the pool, not yet completed (uv_cancel on stop) */
    int clf_carried; /* ... handed to the env's carrier: not uv_cancel's to stop (it runs, the result is dropped) */
    int loop_cpu;   /* the CPU the loop queued pool work from (guard_builtin_pool_thread_init) */
    /* written by the pool thread; moved to findings on the loop in after_work */
    struct guard_finding *clf_findings;
    size_t clf_n_findings;
    int pool_rc;                            /* a pool scan's own status (its check's return code) */
    _Atomic int pool_finished;              /* set by the pool thread once a big scan's work returned */
    void (*pool_done)(struct guard_run *r); /* on the loop after a pool scan (guard__pool_queue); NULL: a model's */
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
    /* async_post list */
    h2o_linklist_t async_link; /* in guard_env.async_runs while a detached run is pending */
    h2o_linklist_t timed_link; /* in guard_env.timed_runs while its timer is open */

    /* Written before it is read, never zeroed: the verdict waiting in env->defer (owned while
     * due_pending). */
    struct guard_verdict due_verdict;

    /* Runs made from a subject (guard__run_create_in() zeroes this part): the larger fields. */
    char model[128];
    char request_id[80];
    uv_timer_t timer;
    uv_work_t work;
    struct guard_plugin_result presult;
    char clf_reason[200];
};

/* Shared by the run kinds: the run plumbing (engine.c), run_create_in and run_begin
 * (engine.c), local_redact and scan_verdict (engine_local.c), and each kind's entry
 * point guard__check_<kind> (engine_<kind>.c). */
void guard__check_classifier(struct guard_run *r);
void guard__check_detect(struct guard_run *r);
void guard__check_group(struct guard_run *r);
void guard__check_injection(struct guard_run *r);
int guard__injection_model_start(struct guard_run *r, const char **why);
void guard__injection_model_read(struct guard_run *r);
int guard__pool_queue(struct guard_run *r, uv_work_cb work, void (*done)(struct guard_run *r));
void guard__check_length(struct guard_run *r);
void guard__check_plugin(struct guard_run *r);
void guard__check_remote(struct guard_run *r);
void guard__check_scan(struct guard_run *r);
void guard__check_tools(struct guard_run *r);
const struct guard_compiled *guard__compiled(const struct guard_env *env, const struct config_guardrail *g);
void guard__free_texts(char **texts, size_t *lens, size_t n);
int guard__list_has(char **list, size_t n, const char *s);
/* Whether r's text i is JSON that its reader decodes (tool-call arguments): placeholder.h. */
static inline int guard__text_is_json(const struct guard_run *r, size_t i)
{
    return r->json_texts != NULL && r->json_texts[i];
}
char *guard__local_redact(struct guard_env *env, struct guard_verdict *cv, const char *text, size_t len, int json,
                          size_t *outlen);
void guard__run_arm_timeout(struct guard_run *r);
void guard__run_begin(struct guard_run *r);
struct guard_run *guard__run_create_in(struct guard_env *env, const struct config_guardrail *g, const struct guard_subject *s, struct guard_webhook_ctx *wctx, guard_done_cb cb, void *ud);
void guard__run_finish(struct guard_run *r, enum raw_result raw, const char *reason, char **texts, size_t *lens, int timed_out);
void guard__run_free(struct guard_run *r);
/* One holder of the env's memory (a run, the carrier in flight) is gone: after guard_env_destroy(), the last frees it. */
void guard__env_release(struct guard_env *env);
/* The env's carrier (engine_plugin.c): its loop handle, made with the env and closed with it. */
void guard__carrier_init(struct guard_env *env);
void guard__carrier_close(struct guard_env *env);
void guard__run_report(struct guard_run *r, struct guard_verdict *v);
void guard__run_unref(struct guard_run *r);
void guard__scan_verdict(struct guard_env *env, const struct config_guardrail *g, const struct guard_scan *s, const char *const *texts, const size_t *lens, size_t n, struct guard_verdict *v);
void guard__verdict_map(const struct config_guardrail *g, size_t n, enum raw_result raw, const char *reason, char **texts, size_t *lens, int timed_out, struct guard_verdict *out);

#endif
