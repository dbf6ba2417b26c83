/* The guardrail engine: runs one configured guardrail (or a parallel group
 * or chain of them) over a set of texts and reports one verdict.
 *
 * guard_shared: built once at start-up from the config and shared read-only
 * by every worker: compiled scanners, loaded plugins, the async_post budget.
 * guard_env: one per worker: its loop, its upstream client (webhooks,
 * judges), scratch space, its async_post checks.
 *
 * A run reports exactly one verdict through its callback unless it is
 * cancelled first; after guard_run_cancel() no callback runs. The callback
 * rule is the upstream client's (upstream/client.h): the verdict is never
 * delivered inside guard_run_start() nor inside guard_run_cancel(). A check
 * that decides at once (regex, keywords, pii, length, ...) has its verdict
 * delivered later on the same loop, in the same loop iteration when started
 * from an I/O callback (util/defer.h: the worker's deferral queue, drained
 * right after the poll), and verdicts reached at once are delivered in the
 * order their runs were started. guard_run_start() always returns the run;
 * the pointer is valid until the callback has returned or guard_run_cancel()
 * was called (a run whose verdict is queued may be cancelled: it is then
 * never delivered).
 * The verdict passed to the callback belongs to the engine and is valid
 * only during the callback (copy what you keep, or take the texts with
 * guard_verdict_take_texts()).
 *
 * Outcome mapping, done here so callers see only PASS / BLOCK / REWRITE:
 *   check found a violation + action block  -> BLOCK
 *   check found a violation + action redact -> REWRITE (BLOCK if the check cannot rewrite)
 *   check found a violation + action log    -> PASS with violation = 1
 *   check failed or timed out               -> on_error: fail_open -> PASS (errored = 1),
 *                                                        fail_closed -> BLOCK (errored = 1)
 *   remote check could not run (connection
 *   error, 502/503/504, time-out)            -> on_unreachable, the same way (errored = 1, unreachable = 1)
 *   remote check answered badly (not JSON,
 *   wrong types, another HTTP status)        -> on_error (errored = 1, unreachable = 0)
 *   webhook rewrite (GUARDRAIL_INTERVENED or
 *   texts returned)                          -> REWRITE; on_intervened: block -> BLOCK; action log -> PASS
 *                                               with violation = 1 (recorded, not applied) */
#ifndef WARDEN_GUARD_ENGINE_H
#define WARDEN_GUARD_ENGINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"
#include "guard/finding.h"

struct guard_shared;
struct guard_env;
struct guard_run;
struct upstream_client;
struct metrics;
struct guard_placeholders;
struct detect_set;
struct detect_scratch;
struct util_defer;

enum guard_outcome { GUARD_PASS, GUARD_BLOCK, GUARD_REWRITE };

/* A request header as the client sent it (webhooks send a sanitised copy as request_headers). */
struct guard_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* What is checked. The engine copies what it needs; the caller's memory may go after start. */
struct guard_subject {
    enum config_guard_stage stage;
    const char *const *texts;
    const size_t *lens;
    size_t n;
    size_t n_messages;       /* for length checks (input stage) */
    size_t n_views;          /* the last n_views texts are views of the others (api/texts.h): length checks skip them */
    const unsigned char *json_texts; /* per text, 1: JSON that its reader decodes (tool-call arguments), whose typed
                                        redaction names decoded values (placeholder.h); NULL: every text is plain */
    const json_t *tool_calls; /* output: the assistant's tool_calls; input: the request's tools; may be NULL */
    const char *model;
    const char *request_id;
    /* Optional context for remote checks (webhook: LiteLLM's structured_messages, tools,
     * tool_calls, images, request_data, request_headers, model); NULL / 0 when unknown. */
    const json_t *body;                   /* input: the chat request; output: the parsed answer */
    const char *body_json;                /* or the same as JSON text (parsed only when a webhook needs it) */
    size_t body_json_len;
    const char *call_id;                  /* guard_call_id() of this client request; shared by all its checks */
    const struct config_api_key *api_key; /* the caller's key: its name and metadata are sent, never the key */
    const struct guard_header *headers;   /* the client's request headers */
    size_t n_headers;
};

struct guard_verdict {
    enum guard_outcome outcome;
    const struct config_guardrail *guard; /* the guardrail that decided (a member, for groups) */
    char reason[320];
    int violation; /* something was found, whatever the action */
    int errored;     /* the check failed or timed out (on_error / on_unreachable applied) */
    int unreachable; /* errored because the check could not run: connection error, 502/503/504, time-out */
    int timed_out;
    uint64_t latency_us;
    /* REWRITE: replacement texts, same count as the subject; NULL entry = unchanged */
    char **texts;
    size_t *lens;
    size_t n;
    /* what the check found (pii, secrets; groups: their members'), byte offsets into the subject's texts */
    struct guard_finding *findings;
    size_t n_findings;
    /* redaction: reversible: value <-> placeholder map of this rewrite (holds the originals) */
    struct guard_placeholders *placeholders;
};

typedef void (*guard_done_cb)(void *ud, struct guard_verdict *v);

/* When conditions are evaluated by the caller with this request view. */
struct guard_request_info {
    const char *model;
    const char *path;
    const char *(*header)(void *ud, const char *name); /* value or NULL */
    void *header_ud;
    const struct config_api_key *api_key; /* NULL if none */
};

struct guard_shared *guard_shared_create(const struct config *cfg, char *err, size_t errsz);
void guard_shared_destroy(struct guard_shared *gs);

struct guard_env *guard_env_create(struct guard_shared *gs, uv_loop_t *loop, struct upstream_client *up, struct metrics *m);
/* Cancels what is still running (async_post checks included) and frees the env once its handles are closed. */
void guard_env_destroy(struct guard_env *env);

/* A request that may run a model check has arrived: keeps a pool thread awake (spinning, for at
 * most a few hundred microseconds) to take its model job at once, instead of waking a sleeping
 * one then (engine_plugin.c says why). No-op without model guards, with one already awake, or
 * with the pool busy. guard_env_cool_pool() releases it early (the request's checks have started). */
int guard_env_warm_pool(struct guard_env *env); /* 1: this call woke one */
/* Whether some guard of the config runs a model (0 for NULL: the worker's checks are gone). */
int guard_env_runs_models(const struct guard_env *env);
void guard_env_cool_pool(struct guard_env *env);

int guard_when_matches(const struct config_guardrail *g, const struct guard_request_info *info);

/* Starts a check of s (copied as needed: the caller's memory may go after this returns). Never
 * NULL; cb(ud, verdict) runs later, exactly once, unless the run is cancelled first. */
struct guard_run *guard_run_start(struct guard_env *env, const struct config_guardrail *g, const struct guard_subject *s,
                                  guard_done_cb cb, void *ud);
/* No callback after this (NULL is fine). Not for a run whose callback already returned. */
void guard_run_cancel(struct guard_run *r);
/* The worker's deferral queue, where verdicts reached inside guard_run_start() wait. A caller
 * that posts its own item here after starting runs gets it after those runs' immediate
 * verdicts (FIFO), e.g. to act once every check that decided at once has reported. */
struct util_defer *guard_env_defer(struct guard_env *env);

/* Moves the rewritten texts out of a verdict (the caller frees each and the arrays). */
void guard_verdict_take_texts(struct guard_verdict *v, char ***texts, size_t **lens);
/* Moves the placeholder map out (reversible redaction; NULL if none): the caller
 * restores the answer with it and frees it with guard_placeholders_free(). */
struct guard_placeholders *guard_verdict_take_placeholders(struct guard_verdict *v);

/* async_post: runs detached; the verdict goes to metrics and the log, and to cb when one is
 * given (the audit record waits for it): cb(ud, v) once with the verdict, or cb(ud, NULL) when
 * the check is cancelled at shutdown (guard_env_cancel_async). cb may run before this returns
 * (a local check decides at once). Returns 0, or WARDEN_EOVERLOAD when the pending set is full
 * (counted; cb is never called). */
int guard_run_async_post(struct guard_env *env, const struct config_guardrail *g, const struct guard_subject *s,
                         guard_done_cb cb, void *ud);
/* async_post checks of this worker still running */
size_t guard_env_async_pending(const struct guard_env *env);
/* Shutdown: cancels every pending async_post check of this worker (each is logged and counted in
 * warden_guard_async_cancelled_total); no verdict is reported for them. Returns how many. */
size_t guard_env_cancel_async(struct guard_env *env);

/* For streaming output checks: the bytes a regex/keywords/pii/secrets guard must
 * hold back to see every match whole (0: this guard cannot check inline). */
size_t guard_stream_window(const struct guard_env *env, const struct config_guardrail *g);
int guard_is_local(const struct config_guardrail *g); /* regex / keywords / pii / secrets: synchronous, inline-capable */
/* 1 when g's check waits for the thread pool (a classifier, a prompt_injection with its model):
 * the one kind worth starting before its turn, so that the pool works while the loop runs the
 * checks before it (api/checks.c). */
int guard_runs_on_pool(const struct guard_env *env, const struct config_guardrail *g);
/* Frees what a verdict owns: for a receiver that kept a struct copy of one (moving what it
 * owns out of the engine's, which then owns nothing) and is done with it. */
void guard_verdict_release(struct guard_verdict *v);

/* Warden's id for one client request, sent to guard services as litellm_call_id: a UUID-shaped
 * keyed hash of (request, started_ns) under a per-process random key. The same pair gives the
 * same id (so a request's input and output checks share it); no client header goes into it, so
 * ids never collide between requests and cannot be chosen by a client. */
#define GUARD_CALL_ID_SIZE 37
void guard_call_id(char out[GUARD_CALL_ID_SIZE], const void *request, uint64_t started_ns);
/* For streams (guard/stream_scan.h): a local guard's compiled scanner (NULL if g is not
 * local) and the worker's scratch space (loop thread only). */
const struct guard_scan *guard_local_scan(const struct guard_env *env, const struct config_guardrail *g);
struct guard_scan_scratch *guard_env_scratch(struct guard_env *env);
/* The same for pii / secrets: the compiled recognizers (NULL for other types) and the scratch. */
const struct detect_set *guard_local_detect(const struct guard_env *env, const struct config_guardrail *g);
struct detect_scratch *guard_env_detect_scratch(struct guard_env *env);
/* Counts a verdict reached outside a run (streams) in the guard's metrics. */
void guard_count_verdict(struct guard_env *env, const struct guard_verdict *v, uint64_t latency_us);

const char *guard_timing_name(enum config_guard_timing t);
const char *guard_stage_name(enum config_guard_stage s);

#endif
