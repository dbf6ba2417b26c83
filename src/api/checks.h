/* The checks orchestrator (internal to api/): which guardrails apply to a request, and
 * their runs - blocking input checks in order before the first attempt (a rewrite changes
 * the request sent), concurrent input checks beside the attempts (while any is pending,
 * ctx->checks.held > 0 and the answer is collected, not sent), output checks on a complete answer,
 * async_post checks when the request closes (never delaying it). Streams are checked by the
 * stream filter (stream_filter.h).
 *
 * Each check reports from the loop (the callback rule of guard/engine.h), so after starting a
 * check nothing here asks whether the request still stands. It reports to the lifecycle
 * (lifecycle_int.h) and never changes the state: all blocking input checks passed and the
 * concurrent ones started (lifecycle_input_checks_passed), a concurrent rewrite changed the
 * request in flight (lifecycle_request_rewritten), the hold ended (lifecycle_hold_released),
 * the answer passed (lifecycle_respond_answer), or the request ends with an error
 * (lifecycle_respond_error after checks_block / answer_unverifiable). */
#ifndef WARDEN_API_CHECKS_H
#define WARDEN_API_CHECKS_H

#include "config/config.h"

struct req_ctx;
struct guard_verdict;

/* The requested model's guardrails (or the defaults) whose `when:` matches this request. */
void checks_resolve(struct req_ctx *ctx);
/* At intake, before the body is parsed: wakes a pool thread for the request's model check
 * (guard_env_warm_pool) unless the route the body most likely names runs none. */
void checks_warm_pool(struct req_ctx *ctx, const char *body, size_t len);
/* The carrier this request woke is released (its checks have started, or it ends). */
void checks_release_pool(struct req_ctx *ctx);
/* Blocking input checks that apply (the lifecycle enters INPUT_CHECKS when there are any). */
size_t checks_input_blocking(const struct req_ctx *ctx);
/* Runs the blocking input checks in order, then starts the concurrent ones; then
 * lifecycle_input_checks_passed, after the concurrent checks' immediate verdicts (a local
 * concurrent check that blocks or rewrites does so before the first attempt starts). Every
 * verdict arrives from the loop, never inside the call that started the check (guard/engine.h). */
void checks_run_input(struct req_ctx *ctx);
/* Does an output check gate the answer (async_post ones never do)? */
int checks_gate_output(const struct req_ctx *ctx);
/* An upstream error body is text the client gets: when output checks gate the answer, it goes
 * out only if every blocking or redacting one can read it here (a local pattern or keyword scan,
 * over the bytes and over them with their JSON escapes decoded) and none matches. Otherwise (a
 * match, a check that runs elsewhere, an encoded body) ctx->up.body becomes Warden's own error
 * naming the upstream's status (which is kept), with its content headers. */
void checks_screen_error_body(struct req_ctx *ctx);
/* The upstream's answer headers are relayed too: when output checks gate the answer, a header
 * (its name and value, the NUL between them) that a local blocking or redacting output check
 * matches is dropped from ctx->up_headers (a 200 that echoes a canary in a header, say). */
void checks_screen_headers(struct req_ctx *ctx);
/* Text Warden derives from the answer for the client (a schema failure's messages quote its
 * keys): NULL when it may go out, else why not (screened as an error body is). */
const char *checks_screen_answer_text(struct req_ctx *ctx, const char *text, size_t len);
/* Output checks on a prepared answer (answer_prepare), in order; then lifecycle_respond_answer. */
void checks_run_output(struct req_ctx *ctx);
/* Cancels every run in flight (the stream filter's too); their callbacks never come. */
void checks_cancel_all(struct req_ctx *ctx);
/* async_post checks: detached runs over the request and the answer, at close. */
void checks_run_async_post(struct req_ctx *ctx);
/* Ends the request with the guardrail error: g's status (400) guardrail_blocked, or 503
 * guardrail_unavailable for a fail_closed check that could not run. */
void checks_block(struct req_ctx *ctx, const struct config_guardrail *g, const struct guard_verdict *v);
/* "name=verdict" and notes for x-warden-guardrails and the access log; with the audit on, the
 * record's fuller entry too (stage, timing mode, latency and reason from v; NULL: a stream's
 * per-chunk check). */
#define CHECKS_AUDIT_DETAIL_MAX 1000
#define CHECKS_AUDIT_REASON_MAX 160
#define CHECKS_AUDIT_ENTRY_MAX 320
/* "pass", "block", "rewrite", "flagged", "timeout_open"...: a verdict in one word. */
const char *checks_verdict_word(const struct guard_verdict *v);
/* One entry "name=verdict(stage,mode,LATENCYus[,reason])" into out[cap] (no NUL); 0 when it
 * does not fit. v NULL: no latency, no reason. */
size_t checks_verdict_entry(char *out, size_t cap, const struct config_guardrail *g, const char *word,
                            const struct guard_verdict *v, const char *mode);
void checks_log_append(struct req_ctx *ctx, const struct config_guardrail *g, const char *word, const struct guard_verdict *v);
void checks_log_note(struct req_ctx *ctx, const char *note);
/* The coverage settings of the guards of one stage that apply: the strictest wins. */
void checks_coverage(const struct req_ctx *ctx, enum config_guard_stage st, int *any, int *unknown_refuse,
                     int *non_text_refuse);

/* The body of the next upstream attempt: ctx->raw with the target's model, and the canary
 * placed when a prompt_injection guard with canary: true applies (api/canary.h). malloc'd;
 * NULL (logged) if the canary could not be placed: the attempt does not start. */
char *checks_upstream_body(struct req_ctx *ctx, const char *model, size_t *len);

/* Fills the stream filter's view of the request (ctx->sink): its callbacks and the data
 * it reads. Called at intake and again once the guardrails are resolved. */
void checks_stream_sink_fill(struct req_ctx *ctx);

#endif
