/* The checks orchestrator (checks.h): input, concurrent, output and async_post guardrail
 * runs of one request. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "api/answer.h"
#include "api/attempt.h"
#include "api/canary.h"
#include "api/checks.h"
#include "api/audit_hook.h"
#include "api/intake.h"
#include "api/lifecycle_int.h"
#include "api/reask.h"
#include "api/response.h"
#include "api/scrub.h"
#include "api/stream_filter.h"
#include "api/worker.h"
#include "auth/auth.h"
#include "guard/canary.h"
#include "guard/engine.h"
#include "util/fmt.h"
#include "guard/placeholder.h"
#include "guard/scan.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/defer.h"
#include "util/json_text.h"
#include "util/log.h"
#include <stdlib.h>
#include <strings.h>

/* ---- guardrails ----
 *
 * Input stage:  blocking checks run one after the other (INPUT_CHECKS) before
 *               the first attempt; a rewrite changes the request that is sent.
 *               Concurrent checks start with the first attempt, which waits
 *               only for the verdicts they reach at once (local checks); while
 *               any is pending (ctx->checks.held) the answer is collected, not
 *               sent. A failing check with cancel_on_failure aborts the attempt
 *               at once; a rewrite aborts it and re-sends the rewritten request.
 *               A verdict reached on a request that another check rewrote since
 *               is not applied: that check runs again on the current request.
 * Output stage: on a complete answer, checks run before it is sent
 *               (OUTPUT_CHECKS); streams are filtered in stream_filter.c.
 * async_post:   started when the request closes; never delays it. */

const char *checks_verdict_word(const struct guard_verdict *v)
{
    if (v->timed_out)
        return v->outcome == GUARD_PASS ? "timeout_open" : "timeout_closed";
    if (v->unreachable)
        return v->outcome == GUARD_PASS ? "unreachable_open" : "unreachable_closed";
    if (v->errored)
        return v->outcome == GUARD_PASS ? "error_open" : "error_closed";
    if (v->outcome == GUARD_BLOCK)
        return "block";
    if (v->outcome == GUARD_REWRITE)
        return "rewrite";
    return v->violation ? "flagged" : "pass";
}

/* The audit record's account of one verdict (issue 12: verdict, timing mode, latency and
 * reason of every check): "name=verdict(stage,mode,LATENCYus[,reason])". */
size_t checks_verdict_entry(char *out, size_t cap, const struct config_guardrail *g, const char *word,
                            const struct guard_verdict *v, const char *mode)
{
    const char *stage = g->stage == CONFIG_STAGE_OUTPUT ? "output" : "input";
    char num[24];
    size_t nl = util_fmt_u64(num, v != NULL ? v->latency_us : 0);
    size_t reason_len = v != NULL ? strnlen(v->reason, sizeof(v->reason)) : 0;
    if (reason_len > CHECKS_AUDIT_REASON_MAX) {
        reason_len = CHECKS_AUDIT_REASON_MAX;
        while (reason_len > 0 && ((unsigned char)v->reason[reason_len] & 0xc0) == 0x80)
            reason_len--; /* a cut at a character boundary */
    }
    const char *parts[] = {g->name, "=", word, "(", stage, ",", mode, ",", num, "us"};
    size_t lens[] = {strlen(g->name), 1, strlen(word), 1, strlen(stage), 1, strlen(mode), 1, nl, 2};
    size_t need = (reason_len ? reason_len + 1 : 0) + 1, o = 0;
    for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++)
        need += lens[k];
    if (need > cap)
        return 0; /* all of an entry or none of it */
    for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        memcpy(out + o, parts[k], lens[k]);
        o += lens[k];
    }
    if (reason_len) {
        out[o++] = ',';
        memcpy(out + o, v->reason, reason_len);
        o += reason_len;
    }
    out[o++] = ')';
    return o;
}

/* The record's list, built only when the worker audits. A stream's per-chunk checks say mode
 * "stream" and no latency. */
static void audit_detail_append(struct req_ctx *ctx, const struct config_guardrail *g, const char *word,
                                const struct guard_verdict *v, int streamed)
{
    static const char *const modes[] = {"blocking", "concurrent", "async_post"};
    struct util_buf *d = &ctx->checks.audit_detail;
    if (d->limit == 0)
        util_buf_init(d, CHECKS_AUDIT_DETAIL_MAX);
    char entry[CHECKS_AUDIT_ENTRY_MAX];
    size_t n = checks_verdict_entry(entry, sizeof(entry), g, word, v, streamed ? "stream" : modes[g->timing]);
    if (n == 0 || d->len + (d->len ? 2 : 0) + n > d->limit)
        return;
    if (d->len)
        util_buf_append(d, ", ", 2);
    util_buf_append(d, entry, n);
}

static void log_verdict(struct req_ctx *ctx, const struct config_guardrail *g, const char *word, const struct guard_verdict *v,
                        int streamed)
{
    if (ctx->w->audit != NULL)
        audit_detail_append(ctx, g, word, v, streamed);
    struct util_buf *log = &ctx->checks.log;
    if (log->limit == 0)
        util_buf_init(log, 2048);
    /* by pieces, not printf (~2,000 instructions an entry); all of an entry or none of it */
    size_t name_len = strlen(g->name), word_len = strlen(word), sep = log->len ? 2 : 0;
    if (log->len + sep + name_len + 1 + word_len > log->limit)
        return;
    if (sep)
        util_buf_append(log, ", ", 2);
    util_buf_append(log, g->name, name_len);
    util_buf_append(log, "=", 1);
    util_buf_append(log, word, word_len);
}

void checks_log_append(struct req_ctx *ctx, const struct config_guardrail *g, const char *word, const struct guard_verdict *v)
{
    log_verdict(ctx, g, word, v, 0);
}

/* Ends the request with the guardrail error body (the client never sees the answer).
 * One rule for every guard type, stage and timing, streams included: a check that ran
 * and said no is the guard's status (400 by default), code guardrail_blocked; a
 * fail_closed check that could not run (time-out, service down, bad answer, engine
 * error) is 503 guardrail_unavailable, which a client may retry. */
void checks_block(struct req_ctx *ctx, const struct config_guardrail *g, const struct guard_verdict *v)
{
    checks_cancel_all(ctx);
    ctx->checks.blocked_by = g;
    /* the reason may quote a guard service's answer, which may echo its credentials */
    char reason[sizeof(v->reason)];
    snprintf(reason, sizeof(reason), "%s", v->reason);
    api_scrub_text(api_worker_get(ctx->w)->scrub, reason, sizeof(reason));
    /* the block replaces an earlier attempt's error: it is why the request ends */
    if (v->errored || v->timed_out)
        api_error_replace(&ctx->err, 503, "api_error", "guardrail_unavailable", NULL, "%s",
                      reason[0] ? reason : v->timed_out ? "the guardrail timed out (fail_closed)" : "the guardrail failed (fail_closed)");
    else
        api_error_replace(&ctx->err, g->status_code > 0 ? g->status_code : 400, "guardrail_violation", "guardrail_blocked", NULL,
                      "blocked by guardrail %s: %s", g->name, reason[0] ? reason : "policy violation");
    json_t *info = json_pack("{s:s, s:s, s:s, s:s}", "name", g->name, "stage", guard_stage_name(g->stage), "timing",
                             guard_timing_name(g->timing), "reason", reason[0] ? reason : "policy violation");
    if (info != NULL && v->guard != NULL && v->guard != g)
        json_object_set_new(info, "member", json_string(v->guard->name));
    api_error_set_extra(&ctx->err, json_pack("{s:o}", "guardrail", info ? info : json_null()));
    lifecycle_respond_error(ctx);
}

void lifecycle_guard_context(struct req_ctx *ctx, struct guard_subject *s)
{
    s->call_id = ctx->call_id;
    s->api_key = ctx->api_key;
    s->headers = NULL;
    s->n_headers = 0;
    if (ctx->req != NULL && ctx->req->headers.size > 0) {
        struct guard_header *h = h2o_mem_alloc_pool(&ctx->req->pool, ctx->req->headers.size * sizeof(*h));
        for (size_t i = 0; i < ctx->req->headers.size; i++) {
            const h2o_header_t *e = &ctx->req->headers.entries[i];
            h[i] = (struct guard_header){e->name->base, e->name->len, e->value.base, e->value.len};
        }
        s->headers = h;
        s->n_headers = ctx->req->headers.size;
    }
}

/* Does g (or a member of a composite) read tool definitions / tool calls as JSON? */
static int guard_reads_tools(const struct config_guardrail *g, int depth)
{
    if (g->type == CONFIG_GUARD_TOOLS)
        return 1;
    for (size_t i = 0; depth < 8 && i < g->n_members; i++)
        if (g->members[i] != NULL && guard_reads_tools(g->members[i], depth + 1))
            return 1;
    return 0;
}

/* The subject of a guard: every text of the scan, in contract order (texts.h). The tools
 * JSON is parsed from its span only for a guard that reads it, once per scan. */
static void subject_from_scan(struct req_ctx *ctx, struct guard_subject *s, const struct config_guardrail *g,
                              enum config_guard_stage st)
{
    const struct api_scan *sc = st == CONFIG_STAGE_INPUT ? &ctx->scan : &ctx->answer.scan;
    json_t **tools = st == CONFIG_STAGE_INPUT ? &ctx->tools_json : &ctx->answer.tools;
    const char *json = st == CONFIG_STAGE_INPUT ? ctx->raw : ctx->up.body.data;
    memset(s, 0, sizeof(*s));
    s->stage = st;
    s->texts = sc->texts;
    s->lens = sc->lens;
    s->n = sc->n;
    s->n_messages = sc->n_messages;
    s->n_views = sc->n_by_class[API_TEXT_VIEW];
    s->json_texts = sc->json_texts;
    if (*tools == NULL && g != NULL && guard_reads_tools(g, 0))
        *tools = api_scan_tools_json(sc, json);
    s->tool_calls = *tools;
    s->model = ctx->requested_model_name;
    s->request_id = ctx->request_id;
    s->body_json = json;
    s->body_json_len = st == CONFIG_STAGE_INPUT ? ctx->raw_len : ctx->up.body.len;
    lifecycle_guard_context(ctx, s);
}

static const char *header_lookup(void *ud, const char *name)
{
    struct req_ctx *ctx = ud;
    if (ctx->req == NULL)
        return NULL;
    ssize_t i = h2o_find_header_by_str(&ctx->req->headers, name, strlen(name), -1);
    if (i < 0)
        return NULL;
    h2o_iovec_t v = ctx->req->headers.entries[i].value;
    /* h2o values are not NUL-terminated: copy into the pool */
    return h2o_strdup(&ctx->req->pool, v.base, v.len).base;
}

/* ---- canary tokens (guard/canary.h) ----
 *
 * A prompt_injection guard with canary: true that applies to a chat request (itself or as a
 * member of a group) brings its canary check (config.h: an output regex guard for the
 * canary format) into the request's guards, and the request gets a fresh canary. The
 * canary goes only into the upstream body (checks_upstream_body); the answer-side check is
 * an ordinary local output check: the whole answer's texts, or the stream filter's
 * per-channel matcher. Several such guards share one canary and one check: the format is
 * the same. */

static const struct config_guardrail *canary_check_of(const struct config_guardrail *g, int depth)
{
    if (g->canary_check != NULL)
        return g->canary_check;
    for (size_t i = 0; depth < 8 && i < g->n_members; i++) {
        const struct config_guardrail *k = g->members[i] != NULL ? canary_check_of(g->members[i], depth + 1) : NULL;
        if (k != NULL)
            return k;
    }
    return NULL;
}

static void canary_resolve(struct req_ctx *ctx)
{
    const struct config_guardrail *k = NULL;
    for (size_t i = 0; ctx->kind == REQ_KIND_CHAT && k == NULL && i < ctx->checks.n_guards; i++)
        k = canary_check_of(ctx->checks.guards[i], 0);
    if (k == NULL)
        return;
    ctx->checks.guards[ctx->checks.n_guards++] = k;
    ctx->checks.canary_check = k;
    ctx->checks.canary_failed = guard_canary_make(&ctx->checks.canary) != 0;
}

/* A canary check's finding is named, never quoted: the matched text is a canary. */
static void canary_reason(const struct config_guardrail *g, struct guard_verdict *v)
{
    if (g != NULL && g->canary_of != NULL && v->violation && !v->errored)
        snprintf(v->reason, sizeof(v->reason), "canary_leak");
}

char *checks_upstream_body(struct req_ctx *ctx, const char *model, size_t *len)
{
    if (ctx->checks.canary_check == NULL)
        return api_scan_splice(&ctx->scan, ctx->raw, ctx->raw_len, NULL, NULL, model, len);
    char note[GUARD_CANARY_NOTE_MAX];
    size_t n = guard_canary_note(&ctx->checks.canary, note, sizeof(note));
    char *body = api_canary_splice(&ctx->scan, ctx->raw, ctx->raw_len, model, note, n, len);
    explicit_bzero(note, sizeof(note));
    if (body == NULL)
        LOG_ERROR("checks", "%s: the canary of %s could not be placed", ctx->request_id, ctx->checks.canary_check->canary_of->name);
    return body;
}

/* Whether a check of the list may run a model on the pool (a group may hold one). */
static int list_may_run_model(const struct guard_env *env, const struct config_guardrail *const *list, size_t n)
{
    for (size_t i = 0; env != NULL && i < n; i++) /* NULL: the worker's checks are gone (shutdown) */
        if (guard_runs_on_pool(env, list[i]) || list[i]->type == CONFIG_GUARD_PARALLEL || list[i]->type == CONFIG_GUARD_CHAIN)
            return 1;
    return 0;
}

/* The model a body most likely names: a plain "model" string member among its first bytes, where
 * clients put it. A hint for warming the pool only: the request is routed by api_scan. */
static const struct config_model *model_hint(const struct config *cfg, const char *body, size_t len)
{
    size_t head = len < 512 ? len : 512;
    const char *k = memmem(body, head, "\"model\"", 7);
    if (k == NULL)
        return NULL;
    const char *p = k + 7, *end = body + head;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    if (p >= end || *p++ != ':')
        return NULL;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    if (p >= end || *p++ != '"')
        return NULL;
    char name[128];
    size_t n = 0;
    while (p < end && *p != '"' && *p != '\\' && n + 1 < sizeof(name))
        name[n++] = *p++;
    if (p >= end || *p != '"')
        return NULL;
    name[n] = '\0';
    return config_find_model(cfg, name);
}

void checks_warm_pool(struct req_ctx *ctx, const char *body, size_t len)
{
    const struct config *cfg = ctx->w->cfg;
    if (!guard_env_runs_models(ctx->w->guards))
        return;
    const struct config_model *m = model_hint(cfg, body, len);
    struct config_guardrail *const *list = m == NULL ? NULL : m->has_guardrails ? m->guardrails : cfg->default_guardrails;
    size_t n = m == NULL ? 0 : m->has_guardrails ? m->n_guardrails : cfg->n_default_guardrails;
    if (m != NULL && !list_may_run_model(ctx->w->guards, (const struct config_guardrail *const *)list, n))
        return; /* its route runs no model check */
    ctx->checks.warmed_pool = guard_env_warm_pool(ctx->w->guards);
}

/* Only the request that woke the carrier releases it: another one's checks may not be its job's. */
void checks_release_pool(struct req_ctx *ctx)
{
    if (!ctx->checks.warmed_pool)
        return;
    ctx->checks.warmed_pool = 0;
    guard_env_cool_pool(ctx->w->guards);
}

/* The requested model's guardrails (or the defaults) whose `when:` matches this request. */
void checks_resolve(struct req_ctx *ctx)
{
    const struct config *cfg = ctx->w->cfg;
    const struct config_model *m = ctx->requested_model;
    struct config_guardrail **list = m->has_guardrails ? m->guardrails : cfg->default_guardrails;
    size_t n = m->has_guardrails ? m->n_guardrails : cfg->n_default_guardrails;
    struct guard_request_info info = {.model = ctx->requested_model_name,
                                      .path = ctx->kind == REQ_KIND_EMBEDDINGS ? "/v1/embeddings" : "/v1/chat/completions",
                                      .header = header_lookup,
                                      .header_ud = ctx,
                                      .api_key = ctx->api_key};
    ctx->checks.n_guards = 0;
    if (n > 0) {
        ctx->checks.guards = util_malloc((n + 1) * sizeof(*ctx->checks.guards)); /* + a canary check */
        for (size_t i = 0; i < n; i++)
            if (guard_when_matches(list[i], &info))
                ctx->checks.guards[ctx->checks.n_guards++] = list[i];
        canary_resolve(ctx);
    }
    if (ctx->checks.warmed_pool && !list_may_run_model(ctx->w->guards, ctx->checks.guards, ctx->checks.n_guards))
        checks_release_pool(ctx); /* no check of this request takes the pool thread warmed at intake */
}

/* Reversible redaction: the map of a rewrite of the request is kept for the answer (never logged). */
static void keep_placeholders(struct req_ctx *ctx, struct guard_verdict *v)
{
    struct guard_placeholders *p = guard_verdict_take_placeholders(v);
    if (p == NULL)
        return;
    ctx->checks.placeholders = util_realloc(ctx->checks.placeholders, (ctx->checks.n_placeholders + 1) * sizeof(*ctx->checks.placeholders));
    ctx->checks.placeholders[ctx->checks.n_placeholders++] = p;
}

/* A rewrite that cannot be spliced (api_scan_unspliceable: a match made of JSON escapes
 * inside tool-call arguments) becomes a block: what a guard cannot redact in place does
 * not go through. */
static void block_unspliceable_rewrite(struct guard_verdict *v, const struct api_scan *sc)
{
    char why[200];
    if (v->outcome != GUARD_REWRITE || v->texts == NULL || v->n != sc->n ||
        !api_scan_unspliceable(sc, v->texts, v->lens, v->n, why, sizeof(why)))
        return;
    v->outcome = GUARD_BLOCK;
    v->violation = 1;
    snprintf(v->reason, sizeof(v->reason), "%s", why);
}

/* Splices a guard's rewritten texts into the request. 1 if it changed, 0 if not, -1 on failure. */
static int apply_request_rewrite(struct req_ctx *ctx, struct guard_verdict *v)
{
    keep_placeholders(ctx, v);
    if (v->texts != NULL && v->n != ctx->scan.n)
        return -1; /* made for another version of the request: applying none of it would fail open */
    if (v->texts == NULL || api_scan_changed(&ctx->scan, v->texts, v->lens, v->n) == 0)
        return 0;
    size_t len;
    char *body = api_scan_splice(&ctx->scan, ctx->raw, ctx->raw_len, v->texts, v->lens, NULL, &len);
    if (body == NULL || intake_replace_body(ctx, body, len) != 0)
        return -1;
    ctx->checks.rewrites++;
    return 1;
}

/* A guard's rewrite could not be spliced in: the request ends (what else runs is cancelled). */
static void rewrite_failed(struct req_ctx *ctx, const struct config_guardrail *g)
{
    checks_cancel_all(ctx);
    api_error_set(&ctx->err, 500, "api_error", "internal_error", NULL, "guardrail %s: could not apply its rewrite", g->name);
    lifecycle_respond_error(ctx);
}

static void start_concurrent(struct req_ctx *ctx);

static void on_blocking_verdict(void *ud, struct guard_verdict *v)
{
    struct req_ctx *ctx = ud;
    const struct config_guardrail *g = ctx->checks.guards[ctx->checks.input_pos - 1];
    ctx->checks.input_run = NULL;
    block_unspliceable_rewrite(v, &ctx->scan);
    checks_log_append(ctx, g, checks_verdict_word(v), v);
    if (v->outcome == GUARD_BLOCK) {
        checks_block(ctx, g, v);
        return;
    }
    if (v->outcome == GUARD_REWRITE && apply_request_rewrite(ctx, v) < 0) {
        rewrite_failed(ctx, g);
        return;
    }
    checks_run_input(ctx);
}

/* ---- early start of a pool check ----
 * Blocking input checks run one at a time, in order, and a check that waits for the thread pool
 * (a classifier, prompt_injection with its model) would add its whole pool time (hand-offs and
 * inference) after the loop's checks before it. So the first such check after the first blocking
 * check starts with the first, on the request as it is then: the pool works while the loop runs
 * the checks before it. Its verdict is used at its turn, in order (a verdict that came early
 * waits), if no check before it rewrote the request; else it runs again on the request as it is
 * (a check reads exactly what the model will read). */
enum { EARLY_NONE, EARLY_RUNNING, EARLY_WAITED, EARLY_DONE, EARLY_DUE };

static void on_blocking_verdict(void *ud, struct guard_verdict *v);

static void on_early_verdict(void *ud, struct guard_verdict *v)
{
    struct req_ctx *ctx = ud;
    struct req_early_check *e = &ctx->checks.early;
    e->run = NULL;
    if (e->state == EARLY_WAITED) { /* its turn came first: it is the blocking check in flight */
        e->state = EARLY_NONE;
        on_blocking_verdict(ctx, v);
        return;
    }
    e->verdict = *v; /* moved: the engine's copy owns nothing after this */
    v->texts = NULL;
    v->lens = NULL;
    v->findings = NULL;
    v->n_findings = 0;
    v->placeholders = NULL;
    e->state = EARLY_DONE;
}

static void early_start(struct req_ctx *ctx)
{
    int first = 1;
    for (size_t i = 0; i < ctx->checks.n_guards; i++) {
        const struct config_guardrail *g = ctx->checks.guards[i];
        if (g->stage != CONFIG_STAGE_INPUT || g->timing != CONFIG_TIMING_BLOCKING)
            continue;
        if (first) {
            first = 0;
            continue;
        }
        if (!guard_runs_on_pool(ctx->w->guards, g))
            continue;
        struct req_early_check *e = &ctx->checks.early;
        struct guard_subject s;
        subject_from_scan(ctx, &s, g, CONFIG_STAGE_INPUT);
        e->pos = i;
        e->rewrites = ctx->checks.rewrites;
        e->state = EARLY_RUNNING;
        e->run = guard_run_start(ctx->w->guards, g, &s, on_early_verdict, ctx);
        return;
    }
}

/* Forgets the early check: cancelled if running, its verdict freed if kept. */
static void early_drop(struct req_ctx *ctx)
{
    struct req_early_check *e = &ctx->checks.early;
    util_defer_cancel(&e->due);
    guard_run_cancel(e->run);
    e->run = NULL;
    if (e->state == EARLY_DONE || e->state == EARLY_DUE)
        guard_verdict_release(&e->verdict);
    e->state = EARLY_NONE;
}


static void on_early_due(struct util_defer_item *item)
{
    struct req_ctx *ctx = H2O_STRUCT_FROM_MEMBER(struct req_ctx, checks.early.due, item);
    struct guard_verdict v = ctx->checks.early.verdict;
    ctx->checks.early.state = EARLY_NONE;
    on_blocking_verdict(ctx, &v); /* may end the request: v is ours, ctx is not touched after */
    guard_verdict_release(&v);
}

/* At the early check's turn: 1 when it decides this turn (its verdict now or when it comes),
 * 0 when it must run again. */
static int early_take_turn(struct req_ctx *ctx)
{
    struct req_early_check *e = &ctx->checks.early;
    if (e->state == EARLY_NONE || e->pos != ctx->checks.input_pos - 1)
        return 0;
    if (e->rewrites != ctx->checks.rewrites) {
        early_drop(ctx);
        return 0;
    }
    if (e->state == EARLY_RUNNING) {
        /* it is the blocking check in flight now: its verdict goes on as any */
        ctx->checks.input_run = e->run; /* checks_cancel_all cancels it there */
        e->run = NULL;
        e->state = EARLY_WAITED;
        return 1;
    }
    e->state = EARLY_DUE; /* never inside checks_run_input's caller: from the deferral queue */
    util_defer_post(guard_env_defer(ctx->w->guards), &e->due, on_early_due);
    return 1;
}

size_t checks_input_blocking(const struct req_ctx *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < ctx->checks.n_guards; i++)
        n += ctx->checks.guards[i]->stage == CONFIG_STAGE_INPUT && ctx->checks.guards[i]->timing == CONFIG_TIMING_BLOCKING;
    return n;
}

/* Runs the blocking input checks in order (one at a time: each verdict starts the next), then
 * starts the concurrent ones. */
void checks_run_input(struct req_ctx *ctx)
{
    if (ctx->checks.canary_failed && ctx->checks.input_pos == 0) {
        /* no canary, no request: a guard that cannot place it protects nothing */
        api_error_set(&ctx->err, 503, "api_error", "guardrail_unavailable", NULL,
                      "guardrail %s: no random source for its canary", ctx->checks.canary_check->canary_of->name);
        lifecycle_respond_error(ctx);
        return;
    }
    if (ctx->checks.input_pos == 0)
        early_start(ctx);
    while (ctx->checks.input_pos < ctx->checks.n_guards) {
        const struct config_guardrail *g = ctx->checks.guards[ctx->checks.input_pos++];
        if (g->stage != CONFIG_STAGE_INPUT || g->timing != CONFIG_TIMING_BLOCKING)
            continue;
        if (early_take_turn(ctx))
            return;
        struct guard_subject s;
        subject_from_scan(ctx, &s, g, CONFIG_STAGE_INPUT);
        ctx->checks.input_run = guard_run_start(ctx->w->guards, g, &s, on_blocking_verdict, ctx); /* copies what it keeps */
        return; /* on_blocking_verdict goes on */
    }
    start_concurrent(ctx);
}

static void on_concurrent_verdict(void *ud, struct guard_verdict *v);
static void on_input_passed_due(struct util_defer_item *item);

static void concurrent_slot_start(struct req_ctx *ctx, struct req_guard_slot *slot)
{
    struct guard_subject s;
    subject_from_scan(ctx, &s, slot->g, CONFIG_STAGE_INPUT);
    slot->rewrites_seen = ctx->checks.rewrites;
    slot->run = guard_run_start(ctx->w->guards, slot->g, &s, on_concurrent_verdict, slot);
}

static void on_concurrent_verdict(void *ud, struct guard_verdict *v)
{
    struct req_guard_slot *slot = ud;
    struct req_ctx *ctx = slot->ctx;
    const struct config_guardrail *g = slot->g;
    slot->run = NULL;
    if (v->outcome != GUARD_PASS && slot->rewrites_seen != ctx->checks.rewrites) {
        /* decided on a request that another concurrent check has rewritten since: applying this
         * rewrite would undo that one, and this block may not hold for the rewritten request.
         * The check runs again on the request as it is now (rewrites only come from verdicts of
         * other checks, so this ends); the first attempt stays behind its verdict too. */
        concurrent_slot_start(ctx, slot);
        if (util_defer_cancel(&ctx->checks.input_passed_due))
            util_defer_post(guard_env_defer(ctx->w->guards), &ctx->checks.input_passed_due, on_input_passed_due);
        return;
    }
    ctx->checks.held--;
    block_unspliceable_rewrite(v, &ctx->scan);
    checks_log_append(ctx, g, checks_verdict_word(v), v);
    if (v->outcome == GUARD_BLOCK) {
        if (g->cancel_on_failure) {
            /* the point of concurrent mode: stop the upstream (and its token spend) now */
            checks_block(ctx, g, v);
            return;
        }
        LOG_INFO("guard", "%s: %s failed (cancel_on_failure: false): %s; answer delivered", ctx->request_id, g->name, v->reason);
    } else if (v->outcome == GUARD_REWRITE) {
        /* the request in flight is not the one policy allows: the lifecycle aborts it and sends
         * the rewritten one (before the first attempt, that attempt sends it) */
        int changed = apply_request_rewrite(ctx, v);
        if (changed < 0) {
            rewrite_failed(ctx, g);
            return;
        }
        if (changed)
            lifecycle_request_rewritten(ctx);
    }
    lifecycle_hold_released(ctx);
}

/* The blocking input checks passed and the concurrent ones started: reported behind the
 * verdicts that those reached at once (FIFO in the engine's deferral queue), so that a check
 * that decided at once (a local one) blocks or rewrites before anything goes upstream. */
static void on_input_passed_due(struct util_defer_item *item)
{
    struct req_ctx *ctx = H2O_STRUCT_FROM_MEMBER(struct req_ctx, checks.input_passed_due, item);
    lifecycle_input_checks_passed(ctx);
}

/* Starts the concurrent input checks; the lifecycle hears that the input checks passed at once
 * when there are none, else after their immediate verdicts (on_input_passed_due). */
static void start_concurrent(struct req_ctx *ctx)
{
    ctx->checks.n_conc = 0;
    size_t want = 0;
    for (size_t i = 0; i < ctx->checks.n_guards; i++)
        if (ctx->checks.guards[i]->stage == CONFIG_STAGE_INPUT && ctx->checks.guards[i]->timing == CONFIG_TIMING_CONCURRENT)
            want++;
    if (want == 0) {
        checks_release_pool(ctx); /* no model job of this request is to come */
        lifecycle_input_checks_passed(ctx);
        return;
    }
    ctx->checks.conc = util_calloc(want, sizeof(*ctx->checks.conc));
    for (size_t i = 0; i < ctx->checks.n_guards; i++) {
        const struct config_guardrail *g = ctx->checks.guards[i];
        if (g->stage != CONFIG_STAGE_INPUT || g->timing != CONFIG_TIMING_CONCURRENT)
            continue;
        struct req_guard_slot *slot = &ctx->checks.conc[ctx->checks.n_conc++];
        slot->ctx = ctx;
        slot->g = g;
        ctx->checks.held++;
        concurrent_slot_start(ctx, slot);
    }
    checks_release_pool(ctx);
    util_defer_post(guard_env_defer(ctx->w->guards), &ctx->checks.input_passed_due, on_input_passed_due);
}

/* The coverage settings of the guards of one stage that apply to this request: the strictest wins. */
void checks_coverage(const struct req_ctx *ctx, enum config_guard_stage st, int *any, int *unknown_refuse,
                        int *non_text_refuse)
{
    *any = *unknown_refuse = *non_text_refuse = 0;
    for (size_t i = 0; i < ctx->checks.n_guards; i++) {
        const struct config_guardrail *g = ctx->checks.guards[i];
        if (g->stage != st || (st == CONFIG_STAGE_OUTPUT && g->timing == CONFIG_TIMING_ASYNC_POST))
            continue;
        *any = 1;
        *unknown_refuse |= g->unknown_fields == CONFIG_COVERAGE_REFUSE;
        *non_text_refuse |= g->non_text == CONFIG_COVERAGE_REFUSE;
    }
}

static void note_once(struct util_buf *b, size_t limit, const char *note)
{
    if (b->limit == 0)
        util_buf_init(b, limit);
    if (strstr(b->data ? b->data : "", note) == NULL)
        util_buf_appendf(b, "%s%s", b->len ? ", " : "", note);
}

void checks_log_note(struct req_ctx *ctx, const char *note)
{
    note_once(&ctx->checks.log, 2048, note);
    if (ctx->w->audit != NULL)
        note_once(&ctx->checks.audit_detail, CHECKS_AUDIT_DETAIL_MAX, note);
}

static void on_output_verdict(void *ud, struct guard_verdict *v);

/* Output checks on a complete answer (prepared: decoded and scanned), in declaration order;
 * then the (maybe rewritten) answer is sent. */
void checks_run_output(struct req_ctx *ctx)
{
    while (ctx->checks.output_pos < ctx->checks.n_guards) {
        const struct config_guardrail *g = ctx->checks.guards[ctx->checks.output_pos++];
        if (g->stage != CONFIG_STAGE_OUTPUT || g->timing == CONFIG_TIMING_ASYNC_POST)
            continue;
        struct guard_subject s;
        subject_from_scan(ctx, &s, g, CONFIG_STAGE_OUTPUT);
        ctx->checks.output_run = guard_run_start(ctx->w->guards, g, &s, on_output_verdict, ctx);
        return; /* on_output_verdict goes on */
    }
    /* reversible redaction: the client gets the originals back, after every output check */
    if (ctx->checks.n_placeholders > 0 && answer_restore(ctx) != 0)
        return;
    lifecycle_respond_answer(ctx);
}

static void on_output_verdict(void *ud, struct guard_verdict *v)
{
    struct req_ctx *ctx = ud;
    const struct config_guardrail *g = ctx->checks.guards[ctx->checks.output_pos - 1];
    ctx->checks.output_run = NULL;
    block_unspliceable_rewrite(v, &ctx->answer.scan);
    canary_reason(g, v);
    checks_log_append(ctx, g, checks_verdict_word(v), v);
    if (v->outcome == GUARD_BLOCK) {
        checks_block(ctx, g, v);
        return;
    }
    if (v->outcome == GUARD_REWRITE && answer_apply_rewrite(ctx, v) < 0) {
        answer_unverifiable(ctx, "a guardrail's rewrite could not be applied");
        return;
    }
    checks_run_output(ctx);
}

void checks_cancel_all(struct req_ctx *ctx)
{
    early_drop(ctx);
    util_defer_cancel(&ctx->checks.input_passed_due);
    guard_run_cancel(ctx->checks.input_run);
    ctx->checks.input_run = NULL;
    guard_run_cancel(ctx->checks.output_run);
    ctx->checks.output_run = NULL;
    for (size_t i = 0; i < ctx->checks.n_conc; i++) {
        if (ctx->checks.conc[i].run != NULL) {
            guard_run_cancel(ctx->checks.conc[i].run);
            ctx->checks.conc[i].run = NULL;
            ctx->checks.held--;
        }
    }
    stream_filter_cancel(&ctx->sink);
}

/* async_post checks: detached runs over the request (input) or the answer (output). */
void checks_run_async_post(struct req_ctx *ctx)
{
    char *dumped = NULL;
    for (size_t i = 0; i < ctx->checks.n_guards; i++) {
        const struct config_guardrail *g = ctx->checks.guards[i];
        if (g->timing != CONFIG_TIMING_ASYNC_POST)
            continue;
        if (g->stage == CONFIG_STAGE_OUTPUT && !ctx->answer.scanned) {
            /* a stream's answer comes from the stream filter as a tree; a plain one is up.body */
            const char *json = ctx->up.body.data;
            size_t len = ctx->up.body.len;
            if (ctx->sink.sf != NULL || ctx->up.is_sse) {
                json_t *answer = stream_filter_answer(&ctx->sink);
                dumped = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
                json_decref(answer);
                json = dumped;
                len = dumped ? strlen(dumped) : 0;
            }
            if (json == NULL || api_scan(&ctx->answer.scan, json, len, API_SCAN_ANSWER, 1) != 0) {
                api_scan_free(&ctx->answer.scan);
                continue;
            }
            ctx->answer.scanned = 1;
            if (dumped != NULL && guard_reads_tools(g, 0))
                ctx->answer.tools = api_scan_tools_json(&ctx->answer.scan, dumped);
        }
        struct guard_subject s;
        subject_from_scan(ctx, &s, g, g->stage);
        /* with the audit on, the request's record waits for this verdict (audit_hook.c) */
        if (ctx->w->audit != NULL && ctx->checks.async_audit == NULL)
            ctx->checks.async_audit = audit_async_begin(ctx->w->audit, ctx->checks.n_guards);
        void *watch = audit_async_watch(ctx->checks.async_audit, g);
        if (guard_run_async_post(ctx->w->guards, g, &s, watch ? audit_async_on_verdict : NULL, watch) != 0)
            audit_async_unwatch(watch, "dropped");
    }
    /* the engine copied the texts: the scan may not point into `dumped` past here */
    if (dumped != NULL) {
        api_scan_free(&ctx->answer.scan);
        ctx->answer.scanned = 0;
        free(dumped);
    }
}

/* Output checks that gate the answer (async_post ones never do). */
int checks_gate_output(const struct req_ctx *ctx)
{
    for (size_t i = 0; i < ctx->checks.n_guards; i++)
        if (ctx->checks.guards[i]->stage == CONFIG_STAGE_OUTPUT && ctx->checks.guards[i]->timing != CONFIG_TIMING_ASYNC_POST)
            return 1;
    return 0;
}

/* Why text[0, len) may not reach the client when output checks gate the answer, or NULL: a
 * blocking or redacting output check matches it (its bytes, or them with their JSON escapes
 * decoded), or, with `strict`, one applies that cannot read it here (it runs elsewhere). */
static const char *screen_text(struct req_ctx *ctx, const char *text, size_t len, int strict)
{
    const char *why = NULL;
    /* what a JSON reader would make of it too, unless there is no escape to decode */
    char *decoded = NULL;
    size_t decoded_len = 0;
    if (memchr(text, '\\', len) != NULL) {
        decoded = util_malloc(len + 1);
        decoded_len = util_json_unescape_once(text, len, decoded);
    }
    for (size_t i = 0; why == NULL && i < ctx->checks.n_guards; i++) {
        const struct config_guardrail *g = ctx->checks.guards[i];
        if (g->stage != CONFIG_STAGE_OUTPUT || g->timing == CONFIG_TIMING_ASYNC_POST || g->action == CONFIG_ACTION_LOG)
            continue;
        const struct guard_scan *scan = guard_local_scan(ctx->w->guards, g);
        struct guard_scan_match m;
        struct guard_scan_scratch *scratch = guard_env_scratch(ctx->w->guards);
        if (scan == NULL)
            why = strict ? "a guardrail that applies cannot check it here" : NULL;
        else if (guard_scan_first(scan, scratch, text, len, &m) != 0 ||
                 (decoded != NULL && guard_scan_first(scan, scratch, decoded, decoded_len, &m) != 0))
            why = "a guardrail matched it or could not check it";
    }
    free(decoded);
    return why;
}

const char *checks_screen_answer_text(struct req_ctx *ctx, const char *text, size_t len)
{
    return checks_gate_output(ctx) ? screen_text(ctx, text, len, 1) : NULL;
}

void checks_screen_headers(struct req_ctx *ctx)
{
    /* one scan of them all first: the usual answer has none to drop */
    if (!checks_gate_output(ctx) || ctx->up.headers.len == 0 || screen_text(ctx, ctx->up.headers.data, ctx->up.headers.len, 0) == NULL)
        return;
    struct util_buf kept;
    util_buf_init(&kept, SIZE_MAX);
    size_t dropped = 0;
    for (const char *p = ctx->up.headers.data, *end = p + ctx->up.headers.len; p < end;) {
        const char *v = p + strlen(p) + 1, *next = v + strlen(v) + 1;
        if (screen_text(ctx, p, (size_t)(next - p) - 1, 0) == NULL)
            util_buf_append(&kept, p, (size_t)(next - p));
        else
            dropped++;
        p = next;
    }
    if (dropped > 0) {
        LOG_INFO("checks", "%s: %zu upstream header%s withheld: an output guardrail matched", ctx->request_id, dropped,
                 dropped == 1 ? "" : "s");
        util_buf_free(&ctx->up.headers);
        ctx->up.headers = kept;
    } else {
        util_buf_free(&kept);
    }
}

void checks_screen_error_body(struct req_ctx *ctx)
{
    if (!checks_gate_output(ctx))
        return;
    const char *body = ctx->up.body.data ? ctx->up.body.data : "";
    size_t len = ctx->up.body.len;
    const char *enc = attempt_upstream_header(ctx, "content-encoding");
    const char *why = enc != NULL && *enc && strcasecmp(enc, "identity") != 0 ? "it is encoded" : NULL;
    if (why == NULL)
        why = screen_text(ctx, body, len, 1);
    if (why == NULL)
        return;
    LOG_INFO("checks", "%s: upstream error %d withheld: %s", ctx->request_id, ctx->up.status, why);
    struct api_error e = {0};
    api_error_set(&e, ctx->up.status, "upstream_error", "upstream_error", NULL,
                  "the upstream answered with status %d; its body is withheld (output guardrails apply and %s)",
                  ctx->up.status, why);
    size_t n;
    char *json = api_error_body(&e, &n);
    api_error_clear(&e);
    util_buf_reset(&ctx->up.body);
    util_buf_append(&ctx->up.body, json, n);
    free(json);
    /* the body's own headers go with it */
    struct util_buf kept;
    util_buf_init(&kept, SIZE_MAX);
    for (const char *p = ctx->up.headers.data, *end = p + ctx->up.headers.len; p != NULL && p < end;) {
        const char *v = p + strlen(p) + 1, *next = v + strlen(v) + 1;
        if (strcasecmp(p, "content-type") != 0 && strcasecmp(p, "content-encoding") != 0 && strcasecmp(p, "content-length") != 0)
            util_buf_append(&kept, p, (size_t)(next - p));
        p = next;
    }
    util_buf_append(&kept, "content-type\0application/json\0", sizeof("content-type\0application/json\0") - 1);
    util_buf_free(&ctx->up.headers);
    ctx->up.headers = kept;
}

/* ---- the stream filter's sink (stream_filter.h): the request as the filter sees it ---- */

static void sink_emit(void *ud, const char *data, size_t len)
{
    response_append(ud, data, len);
}

static void sink_flush(void *ud)
{
    response_flush(ud);
}

static void sink_end(void *ud)
{
    response_end(ud, 0);
}

static void sink_note_guard(void *ud, const struct config_guardrail *g, const char *verdict)
{
    log_verdict(ud, g, verdict, NULL, 1);
}

static void sink_block(void *ud, const struct config_guardrail *g, const struct guard_verdict *v)
{
    struct req_ctx *ctx = ud;
    if (g == NULL) {
        /* the stream could not be checked (too large, not SSE/JSON we can read, duplicate keys):
         * fail closed, with the same code as an answer that cannot be verified */
        api_error_replace(&ctx->err, 502, "api_error", "unverifiable_response", NULL, "%s", v->reason);
        lifecycle_respond_error(ctx);
        return;
    }
    struct guard_verdict named = *v;
    canary_reason(g, &named);
    log_verdict(ctx, g, "block", &named, 1);
    checks_block(ctx, g, &named);
}

static int sink_validate(void *ud, const char *text, size_t len)
{
    return reask_check_stream(ud, text, len);
}

static const struct stream_sink_ops sink_ops = {sink_emit, sink_flush, sink_end, sink_block, sink_note_guard, sink_validate};

void checks_stream_sink_fill(struct req_ctx *ctx)
{
    struct stream_sink *k = &ctx->sink;
    k->ops = &sink_ops;
    k->ud = ctx;
    k->guards_env = ctx->w->guards;
    k->guards = ctx->checks.guards;
    k->n_guards = ctx->checks.n_guards;
    k->request_id = ctx->request_id;
    k->model = ctx->requested_model_name;
    k->max_response_bytes = ctx->w->cfg->server.max_response_bytes;
    k->stream = ctx->stream;
    k->validate = ctx->so.mode != STRUCTURED_NONE && !ctx->schema_hold;
    k->content_json = ctx->so.mode != STRUCTURED_NONE;
    k->saw_done = &ctx->up.saw_done;
    k->saw_upstream_error_event = &ctx->up.saw_error_event;
    k->collected = &ctx->up.body;
    k->placeholders = ctx->checks.placeholders;
    k->n_placeholders = ctx->checks.n_placeholders;
}
