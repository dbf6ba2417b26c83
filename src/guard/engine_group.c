/* Groups (engine_int.h): parallel (strategies) and chain (ordered) runs of member guardrails. */
#include "guard/engine.h"
#include "guard/engine_int.h"

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

/* ---- groups: parallel and chain ---- */

static void on_child_verdict(void *ud, struct guard_verdict *v);

static void group_start_child(struct guard_run *r, size_t i, char **texts, size_t *lens)
{
    const struct config_guardrail *m = r->g->members[i];
    struct guard_subject s = {.stage = r->stage,
                              .texts = (const char *const *)texts,
                              .lens = lens,
                              .n = r->n,
                              .n_messages = r->n_messages,
                              .json_texts = r->json_texts,
                              .tool_calls = r->tool_calls,
                              .model = r->model,
                              .request_id = r->request_id};
    struct guard_run *c = guard__run_create_in(r->env, m, &s, r->wctx, on_child_verdict, NULL);
    c->ud = c; /* the child tells the parent who it is */
    c->parent = r;
    c->index_in_parent = i;
    r->children[i] = c;
    r->refs++; /* the parent stays alive while a child may call back */
    c->refs++;
    guard__run_begin(c);
    if (c->reported || c->cancelled)
        r->children[i] = NULL;
    guard__run_unref(c);
    guard__run_unref(r);
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
                char *red = guard__local_redact(r->env, cv, cur, cur_len, guard__text_is_json(r, k), &nl);
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
    guard__run_report(r, &v);
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
            r->texts = util_calloc(r->n, sizeof(char *)); /* guard__run_free frees NULL entries fine */
            r->lens = util_calloc(r->n, sizeof(size_t));
        }
        group_collect(r, &v);
        guard__run_report(r, &v);
    }
}

void guard__check_group(struct guard_run *r)
{
    r->n_children = r->g->n_members;
    r->children = util_calloc(r->n_children ? r->n_children : 1, sizeof(*r->children));
    r->child_verdicts = util_calloc(r->n_children ? r->n_children : 1, sizeof(*r->child_verdicts));
    r->child_done = util_calloc(r->n_children ? r->n_children : 1, 1);
    guard__run_arm_timeout(r);
    if (r->n_children == 0) {
        guard__run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
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
