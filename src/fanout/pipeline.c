/* A pipeline run (pipeline.h).
 *
 * Each step goes WAITING -> RUNNING -> OK | FAILED, or WAITING -> SKIPPED (a dependency
 * failed) | CANCELLED (a required step failed and the run ended); RUNNING -> CANCELLED too.
 * The run ends when no step is open (answer 200) or at the first required failure.
 *
 * Invariants:
 *   P1. steps[i].call != NULL iff steps[i].state == STEP_RUNNING.
 *   P2. n_open counts the steps in WAITING or RUNNING.
 *   P3. The result is handed over once, by the outermost entry (on_step_done, or
 *       fanout_pipeline_start's return), after every nested settle has returned: nothing
 *       touches the run after its callback, which may have cancelled or freed it (P4).
 *   P4. The run is freed after its callback returns, or by fanout_pipeline_cancel
 *       (which, called from inside the callback, only marks it). */
#include "fanout/pipeline.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/request_id.h"
#include "config/config.h"
#include "fanout/runner.h"
#include "fanout/template.h"
#include "metrics/metrics.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/template.h"

#define STEP_BODY_MAX (16u << 20)
#define APPEND_LIT(b, lit) util_buf_append((b), (lit), sizeof(lit) - 1)

enum step_state { STEP_WAITING, STEP_RUNNING, STEP_OK, STEP_FAILED, STEP_SKIPPED, STEP_CANCELLED };
static const char *const state_names[] = {"waiting", "running", "ok", "failed", "skipped", "cancelled"};

struct step_run {
    struct fanout_pipeline_run *run;
    enum step_state state;
    struct fanout_call *call; /* P1 */
    int status;
    json_t *error; /* the OpenAI error object ({"message", "type", "code", "param"}) of a failed or skipped step */
    json_t *usage;
    int attempts, reasks;
    uint64_t latency_us, queued_us;
    char request_id[API_REQUEST_ID_SIZE];
};

struct fanout_pipeline_run {
    const struct config_pipeline *p;
    size_t pi;
    struct fanout_runner *r;
    struct metrics *metrics;
    json_t *vars;
    json_t *outputs; /* step name -> output, for {{steps.NAME}} and the answer */
    struct step_run *steps;
    size_t n_open; /* P2 */
    int ended;     /* the result is set (P3) */
    int status;
    json_t *answer;
    int in_callback, cancel_requested; /* P4 */
    char request_id[API_REQUEST_ID_SIZE];
    char prefix[API_REQUEST_ID_SIZE];
    const struct config_api_key *api_key;
    fanout_pipeline_done_cb cb;
    void *ud;
    uint64_t t_start;
};

/* ---- the upstream body ---- */

int fanout_pipeline_step_body(const struct config_pipeline *p, size_t si, const json_t *vars, const json_t *outputs,
                              struct util_buf *out, char *what, size_t what_sz)
{
    const struct config_pipeline_step *s = &p->steps[si];
    int rc;
    APPEND_LIT(out, "{\"model\":");
    util_buf_append_json_string(out, s->model_name, strlen(s->model_name));
    APPEND_LIT(out, ",\"messages\":[");
    if (s->system != NULL) {
        APPEND_LIT(out, "{\"role\":\"system\",\"content\":");
        if ((rc = fanout_template_fill(s->system, strlen(s->system), vars, outputs, out, what, what_sz)) != 0)
            return rc;
        APPEND_LIT(out, "},");
    }
    APPEND_LIT(out, "{\"role\":\"user\",\"content\":");
    if ((rc = fanout_template_fill(s->prompt, strlen(s->prompt), vars, outputs, out, what, what_sz)) != 0)
        return rc;
    APPEND_LIT(out, "}]");
    if (s->max_tokens > 0)
        util_buf_appendf(out, ",\"max_tokens\":%ld", s->max_tokens);
    if (s->has_temperature)
        util_buf_appendf(out, ",\"temperature\":%.6g", s->temperature);
    if (s->schema_json != NULL) {
        APPEND_LIT(out, ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":");
        util_buf_append_json_string(out, s->name, strlen(s->name));
        APPEND_LIT(out, ",\"strict\":true,\"schema\":");
        util_buf_append(out, s->schema_json, strlen(s->schema_json));
        APPEND_LIT(out, "}}");
    }
    if (s->params_json != NULL && strlen(s->params_json) > 2) {
        /* a JSON object's members, spliced in (config_fanout.c keeps the step's own keys out) */
        APPEND_LIT(out, ",");
        util_buf_append(out, s->params_json + 1, strlen(s->params_json) - 2);
    }
    if (APPEND_LIT(out, "}") != 0) {
        snprintf(what, what_sz, "the request for step %s is over %u bytes", s->name, STEP_BODY_MAX);
        return FANOUT_TEMPLATE_TOO_BIG;
    }
    return 0;
}

/* ---- results ---- */

static json_t *error_object(const char *type, const char *code, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static json_t *error_object(const char *type, const char *code, const char *param, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return json_pack("{s:s, s:s, s:s, s:s?}", "message", msg, "type", type, "code", code, "param", param);
}

/* The error object of a failed call's body (OpenAI's shape), or one describing the status. */
static json_t *error_of_body(int status, const char *body, size_t len)
{
    json_t *doc = json_loadb(body, len, 0, NULL);
    json_t *e = json_object_get(doc, "error");
    json_t *r = json_is_object(e) ? json_deep_copy(e) : NULL;
    json_decref(doc);
    if (r == NULL)
        r = error_object("api_error", "upstream_error", NULL, "the call answered HTTP %d", status);
    return r;
}

/* The step's output from a 2xx chat answer: the text, or the schema's JSON value. */
static json_t *output_of_answer(const struct config_pipeline_step *s, const char *body, size_t len, json_t **usage,
                                json_t **error)
{
    json_t *doc = json_loadb(body, len, 0, NULL);
    json_t *content = json_object_get(json_object_get(json_array_get(json_object_get(doc, "choices"), 0), "message"), "content");
    json_t *u = json_object_get(doc, "usage");
    *usage = json_is_object(u) ? json_incref(u) : NULL;
    json_t *out = NULL;
    if (!json_is_string(content)) {
        *error = error_object("api_error", "step_no_text", NULL, "step %s: the answer has no message text", s->name);
    } else if (s->schema_json == NULL) {
        out = json_incref(content);
    } else {
        json_error_t je;
        json_t *v = json_loadb(json_string_value(content), json_string_length(content), JSON_DECODE_ANY, &je);
        json_t *value = s->schema_wrapped ? json_object_get(v, "value") : v;
        if (value == NULL)
            *error = error_object("api_error", "schema_validation_failed", NULL, "step %s: the answer is not the schema's JSON",
                                  s->name);
        else
            out = json_incref(value);
        json_decref(v);
    }
    json_decref(doc);
    return out;
}

/* The client status when a required step failed with status (and error code). */
static int run_status(int status, const char *code)
{
    if (code != NULL && (!strcmp(code, "request_timeout") || !strcmp(code, "upstream_timeout")))
        return 504;
    if (status == 400 || status == 422 || status == 504)
        return status;
    if (status == 408)
        return 504;
    if (status == 413)
        return 400;
    return 502;
}

static void step_metrics(struct step_run *st, enum metrics_step_outcome o)
{
    struct fanout_pipeline_run *run = st->run;
    metrics_pipeline_step(run->metrics, run->pi, (size_t)(st - run->steps), o, st->latency_us);
}

static json_t *answer_build(struct fanout_pipeline_run *run)
{
    json_t *a = json_object(), *steps = json_object();
    json_t *total = json_pack("{s:I, s:I, s:I}", "prompt_tokens", (json_int_t)0, "completion_tokens", (json_int_t)0,
                              "total_tokens", (json_int_t)0);
    for (size_t i = 0; i < run->p->n_steps; i++) {
        struct step_run *st = &run->steps[i];
        const char *name = run->p->steps[i].name;
        if (st->state == STEP_OK)
            json_object_set(a, name, json_object_get(run->outputs, name));
        else
            json_object_set_new(a, name, json_pack("{s:O}", "error", st->error ? st->error : json_null()));
        json_t *m = json_pack("{s:s, s:i, s:i, s:i, s:f, s:f}", "outcome", state_names[st->state], "status", st->status,
                              "attempts", st->attempts, "reasks", st->reasks, "latency_ms", (double)st->latency_us / 1000.0,
                              "queued_ms", (double)st->queued_us / 1000.0);
        if (st->request_id[0])
            json_object_set_new(m, "request_id", json_string(st->request_id));
        if (st->usage != NULL) {
            json_object_set(m, "usage", st->usage);
            const char *keys[] = {"prompt_tokens", "completion_tokens", "total_tokens"};
            for (size_t k = 0; k < 3; k++) {
                json_t *v = json_object_get(st->usage, keys[k]);
                if (json_is_integer(v))
                    json_object_set_new(total, keys[k],
                                        json_integer(json_integer_value(json_object_get(total, keys[k])) + json_integer_value(v)));
            }
        }
        json_object_set_new(steps, name, m);
    }
    json_object_set_new(a, "_meta",
                        json_pack("{s:s, s:s, s:f, s:o, s:o}", "pipeline", run->p->name, "request_id", run->request_id,
                                  "latency_ms", (double)(util_now_ns() - run->t_start) / 1e6, "usage", total, "steps", steps));
    return a;
}

static void run_end(struct fanout_pipeline_run *run, int status, json_t *answer_take)
{
    if (run->ended) {
        json_decref(answer_take);
        return;
    }
    run->ended = 1;
    run->status = status;
    run->answer = answer_take;
    metrics_pipeline_run(run->metrics, run->pi, status, (util_now_ns() - run->t_start) / 1000);
}

static void start_step(struct fanout_pipeline_run *run, size_t i);

/* Cancels every call of the run, the queued ones first: a slot freed by cancelling a started
 * call must not go to a call of this run that is cancelled next (it would start upstream). */
static void cancel_calls(struct fanout_pipeline_run *run)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < run->p->n_steps; k++) {
            struct step_run *st = &run->steps[k];
            if (st->call != NULL && fanout_call_started(st->call) == pass) {
                fanout_call_cancel(st->call);
                st->call = NULL;
            }
        }
}

/* A required step i failed (or was skipped): the run fails, naming it (P3: the result
 * waits for the outermost entry). Running siblings are cancelled, waiting steps are not
 * started. */
static void run_fail(struct fanout_pipeline_run *run, size_t i)
{
    struct step_run *failed = &run->steps[i];
    const char *name = run->p->steps[i].name;
    const char *code = json_string_value(json_object_get(failed->error, "code"));
    const char *type = json_string_value(json_object_get(failed->error, "type"));
    const char *msg = json_string_value(json_object_get(failed->error, "message"));
    int status = run_status(failed->status, code);
    cancel_calls(run);
    for (size_t k = 0; k < run->p->n_steps; k++) {
        struct step_run *st = &run->steps[k];
        if (st->state == STEP_RUNNING || st->state == STEP_WAITING) {
            st->state = STEP_CANCELLED;
            run->n_open--;
            step_metrics(st, METRICS_STEP_CANCELLED);
        }
    }
    char param[96];
    snprintf(param, sizeof(param), "steps.%s", name);
    json_t *e = error_object(type ? type : "api_error", code ? code : "step_failed", param, "pipeline %s: step %s failed: %s",
                             run->p->name, name, msg ? msg : "no message");
    json_object_set_new(e, "step", json_string(name));
    json_object_set_new(e, "step_status", json_integer(failed->status));
    run_end(run, status, json_pack("{s:o}", "error", e));
}

static void check_end(struct fanout_pipeline_run *run)
{
    if (run->n_open == 0 && !run->ended)
        run_end(run, 200, answer_build(run));
}

/* Steps i's dependants can never run: skipped, transitively. */
static void skip_dependants(struct fanout_pipeline_run *run, size_t i)
{
    for (size_t j = 0; j < run->p->n_steps && !run->ended; j++) {
        struct step_run *st = &run->steps[j];
        const struct config_pipeline_step *s = &run->p->steps[j];
        if (st->state != STEP_WAITING)
            continue;
        for (size_t k = 0; k < s->n_after; k++) {
            if (s->after[k] != i)
                continue;
            st->state = STEP_SKIPPED;
            run->n_open--;
            st->error = error_object("api_error", "dependency_failed", NULL, "not run: step %s (in after:) did not answer",
                                     run->p->steps[i].name);
            step_metrics(st, METRICS_STEP_SKIPPED);
            if (s->required)
                run_fail(run, j);
            else
                skip_dependants(run, j);
            break;
        }
    }
}

static void step_failed(struct fanout_pipeline_run *run, size_t i, int status, json_t *error_take)
{
    struct step_run *st = &run->steps[i];
    st->state = STEP_FAILED;
    st->status = status;
    st->error = error_take;
    run->n_open--;
    step_metrics(st, METRICS_STEP_FAILED);
    if (run->p->steps[i].required) {
        run_fail(run, i);
        return;
    }
    skip_dependants(run, i);
    check_end(run);
}

static void step_ok(struct fanout_pipeline_run *run, size_t i, json_t *output_take)
{
    struct step_run *st = &run->steps[i];
    st->state = STEP_OK;
    run->n_open--;
    json_object_set_new(run->outputs, run->p->steps[i].name, output_take);
    step_metrics(st, METRICS_STEP_OK);
    for (size_t j = 0; j < run->p->n_steps && !run->ended; j++) {
        const struct config_pipeline_step *s = &run->p->steps[j];
        if (run->steps[j].state != STEP_WAITING || s->n_after == 0)
            continue;
        int waits_on_i = 0, ready = 1;
        for (size_t k = 0; k < s->n_after; k++) {
            waits_on_i |= s->after[k] == i;
            ready &= run->steps[s->after[k]].state == STEP_OK;
        }
        if (waits_on_i && ready)
            start_step(run, j);
    }
    check_end(run);
}

/* Hands the result over and frees the run (P3, P4). */
static void deliver(struct fanout_pipeline_run *run);

static void on_step_done(void *ud, int status, const char *body, size_t len, const struct fanout_call_result *res)
{
    struct step_run *st = ud;
    struct fanout_pipeline_run *run = st->run;
    size_t i = (size_t)(st - run->steps);
    st->call = NULL;
    st->status = status;
    st->attempts = res->attempts;
    st->reasks = res->reasks;
    st->latency_us = res->latency_us;
    st->queued_us = res->queued_us;
    if (status >= 200 && status < 300) {
        json_t *error = NULL;
        json_t *out = output_of_answer(&run->p->steps[i], body, len, &st->usage, &error);
        if (out != NULL)
            step_ok(run, i, out);
        else
            step_failed(run, i, 502, error);
    } else {
        step_failed(run, i, status, error_of_body(status, body, len));
    }
    if (run->ended)
        deliver(run);
}

static void start_step(struct fanout_pipeline_run *run, size_t i)
{
    struct step_run *st = &run->steps[i];
    const struct config_pipeline_step *s = &run->p->steps[i];
    struct util_buf body;
    char what[256];
    util_buf_init(&body, STEP_BODY_MAX);
    int rc = fanout_pipeline_step_body(run->p, i, run->vars, run->outputs, &body, what, sizeof(what));
    if (rc != 0) {
        util_buf_free(&body);
        json_t *e = rc == FANOUT_TEMPLATE_MISSING
                        ? error_object("invalid_request_error", "missing_variable", what,
                                       "step %s: the template variable {{%s}} is not in the request", s->name, what)
                        : error_object("invalid_request_error", rc == FANOUT_TEMPLATE_TOO_BIG ? "request_too_large" : "bad_template",
                                       NULL, "step %s: %s", s->name, what);
        step_failed(run, i, rc == FANOUT_TEMPLATE_TOO_BIG ? 413 : 400, e);
        return;
    }
    if (snprintf(st->request_id, sizeof(st->request_id), "%s.%s", run->prefix, s->name) >= (int)sizeof(st->request_id) ||
        !api_request_id_ok(st->request_id, strlen(st->request_id)))
        st->request_id[0] = '\0';
    struct fanout_call_opts o = {st->request_id[0] ? st->request_id : NULL, run->request_id, run->api_key};
    st->state = STEP_RUNNING;
    st->call = fanout_runner_submit(run->r, body.data, body.len, &o, on_step_done, st);
    util_buf_free(&body);
}

static void run_free(struct fanout_pipeline_run *run)
{
    cancel_calls(run);
    for (size_t i = 0; i < run->p->n_steps; i++) {
        json_decref(run->steps[i].error);
        json_decref(run->steps[i].usage);
    }
    json_decref(run->vars);
    json_decref(run->outputs);
    json_decref(run->answer);
    free(run->steps);
    free(run);
}

static void deliver(struct fanout_pipeline_run *run)
{
    run->in_callback = 1;
    run->cb(run->ud, run->status, run->answer);
    run_free(run);
}

/* A request variable that a step's templates name and vars lacks: the first one, in what[]. */
static int missing_request_variable(const struct config_pipeline_step *s, const json_t *vars, char *what, size_t what_sz)
{
    const char *tmpl[2] = {s->prompt, s->system};
    for (int k = 0; k < 2; k++) {
        if (tmpl[k] == NULL)
            continue;
        size_t pos = 0, len = strlen(tmpl[k]);
        struct util_tmpl_tok tok;
        const char *why;
        while (util_tmpl_next(tmpl[k], len, &pos, &tok, &why) == 1) {
            if (!tok.is_ref || (tok.len >= 5 && memcmp(tok.s, "steps", 5) == 0 && (tok.len == 5 || tok.s[5] == '.')))
                continue;
            if (fanout_template_lookup(tok.s, tok.len, vars, NULL) == NULL) {
                snprintf(what, what_sz, "%.*s", (int)(tok.len > 200 ? 200 : tok.len), tok.s);
                return 1;
            }
        }
    }
    return 0;
}

struct fanout_pipeline_run *fanout_pipeline_start(struct fanout_runner *r, const struct config_pipeline *p, size_t pipeline_index,
                                                  json_t *vars, const struct fanout_pipeline_opts *o, fanout_pipeline_done_cb cb,
                                                  void *ud, int *status, json_t **answer)
{
    struct fanout_pipeline_run *run = util_calloc(1, sizeof(*run));
    run->p = p;
    run->pi = pipeline_index;
    run->r = r;
    run->metrics = fanout_runner_worker(r)->metrics;
    run->vars = json_incref(vars);
    run->outputs = json_object();
    run->steps = util_calloc(p->n_steps, sizeof(*run->steps));
    run->n_open = p->n_steps;
    run->api_key = o->api_key;
    run->cb = cb;
    run->ud = ud;
    run->t_start = util_now_ns();
    snprintf(run->request_id, sizeof(run->request_id), "%s", o->request_id ? o->request_id : "");
    snprintf(run->prefix, sizeof(run->prefix), "%s", o->step_id_prefix ? o->step_id_prefix : run->request_id);
    for (size_t i = 0; i < p->n_steps; i++)
        run->steps[i].run = run;
    /* request variables are known now: a required step that names a missing one fails the
     * request before anything starts; an optional one fails alone */
    char what[256];
    for (size_t i = 0; i < p->n_steps && !run->ended; i++) {
        if (!missing_request_variable(&p->steps[i], vars, what, sizeof(what)))
            continue;
        if (p->steps[i].required) {
            json_t *e = error_object("invalid_request_error", "missing_variable", what,
                                     "pipeline %s: step %s needs the request variable {{%s}}", p->name, p->steps[i].name, what);
            run_end(run, 400, json_pack("{s:o}", "error", e));
            break;
        }
        step_failed(run, i, 400,
                    error_object("invalid_request_error", "missing_variable", what,
                                 "step %s: the template variable {{%s}} is not in the request", p->steps[i].name, what));
    }
    for (size_t i = 0; i < p->n_steps && !run->ended; i++)
        if (run->steps[i].state == STEP_WAITING && p->steps[i].n_after == 0)
            start_step(run, i);
    if (!run->ended)
        return run;
    *status = run->status;
    *answer = run->answer;
    run->answer = NULL;
    run_free(run);
    return NULL;
}

void fanout_pipeline_cancel(struct fanout_pipeline_run *run)
{
    if (run == NULL)
        return;
    if (run->in_callback) {
        run->cancel_requested = 1; /* deliver() frees it when the callback returns */
        return;
    }
    for (size_t i = 0; i < run->p->n_steps; i++)
        if (run->steps[i].state == STEP_RUNNING || run->steps[i].state == STEP_WAITING)
            step_metrics(&run->steps[i], METRICS_STEP_CANCELLED);
    run_free(run);
}
