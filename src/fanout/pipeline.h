/* One pipeline run: the steps of a configured pipeline (config_fanout.h) as sub-calls on a
 * runner (runner.h), independent steps at once, dependent ones (`after:`) when what they
 * wait for has answered, their templates filled from the request and the outputs before.
 *
 * The answer is one JSON object with a field per step - its text, or with `schema` the
 * parsed, validated JSON value (unwrapped from {"value": ...} when the schema's root is not
 * an object) - and "_meta": {"pipeline", "request_id", "latency_ms", "steps": {NAME:
 * {"status", "attempts", "reasks", "latency_ms", "queued_ms", "usage", "request_id",
 * "outcome"}}}. An optional step that fails gets {"error": {...}} in its field; a required
 * one fails the run: its status (400 for a refused request or a guardrail block, 422 for an
 * answer that never matched its schema, 504 for a time-out, 502 otherwise) and an error
 * naming the step; its dependants are not started and its running siblings are cancelled.
 * A step whose dependency failed is skipped (and fails the run when required).
 *
 * Rules: on_done runs exactly once, never inside fanout_pipeline_start or
 * fanout_pipeline_cancel, and not after a cancel; the run is invalid after on_done or
 * cancel. Loop thread only. */
#ifndef WARDEN_FANOUT_PIPELINE_H
#define WARDEN_FANOUT_PIPELINE_H

#include <jansson.h>
#include <stddef.h>

struct config_pipeline;
struct config_api_key;
struct fanout_runner;
struct fanout_pipeline_run;

/* answer: the answer object (200) or an OpenAI-style error body {"error": {...}}; borrowed */
typedef void (*fanout_pipeline_done_cb)(void *ud, int status, json_t *answer);

struct fanout_pipeline_opts {
    const char *request_id;               /* the client request's id: the parent of every step call */
    const char *step_id_prefix;           /* steps are "<prefix>.<step>" (NULL: request_id) */
    const struct config_api_key *api_key; /* the key every step runs under */
};

/* Starts a run of pipeline p (cfg->pipelines[pipeline_index]) with the request variables
 * vars (an object; a reference is taken). Returns the run; or NULL when it ended at once (a
 * required step's template names a request variable vars lacks: 400; or nothing could
 * run): then *status and *answer (a new reference) hold the result and no callback comes. */
struct fanout_pipeline_run *fanout_pipeline_start(struct fanout_runner *r, const struct config_pipeline *p, size_t pipeline_index,
                                                  json_t *vars, const struct fanout_pipeline_opts *o, fanout_pipeline_done_cb cb,
                                                  void *ud, int *status, json_t **answer);
/* Cancels the steps in flight (their upstream calls are closed) and frees the run. */
void fanout_pipeline_cancel(struct fanout_pipeline_run *run);

/* The upstream chat body of step si for the given variables and step outputs: a JSON object
 * built around the filled templates (template.h). Returns 0, or a FANOUT_TEMPLATE_* code
 * with what[] naming the variable or problem. Exposed for tests. */
struct util_buf;
int fanout_pipeline_step_body(const struct config_pipeline *p, size_t si, const json_t *vars, const json_t *outputs,
                              struct util_buf *out, char *what, size_t what_sz);

#endif
