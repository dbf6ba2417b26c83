/* Local checks (engine_int.h): regex, keywords, pii / secrets, length, tools and prompt injection,
 * computed at once on the loop. */
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

/* ---- local checks ---- */

/* A regex / keywords guard over n texts, synchronously, into *v (the verdict owns its
 * texts). Per-pattern errors: a pattern that cannot be evaluated (PCRE2 limits) is
 * skipped and the others still decide; on_error applies to the skipped pattern alone:
 * fail_closed blocks (the text was not fully checked), fail_open lets the other
 * patterns' verdict stand. */
void guard__scan_verdict(struct guard_env *env, const struct config_guardrail *g, const struct guard_scan *s,
                         const char *const *texts, const size_t *lens, size_t n, struct guard_verdict *v)
{
    size_t skipped = 0;
    unsigned bad = 0;
    char why[200];
    if (g->action == CONFIG_ACTION_REDACT) {
        char **out = NULL;
        size_t *outl = NULL;
        for (size_t i = 0; i < n; i++) {
            size_t nl = 0;
            char *red = guard_scan_redact(s, env->scratch, texts[i], lens[i], g->replacement ? g->replacement : "[REDACTED]", &nl);
            if (red == NULL && nl == GUARD_SCAN_REDACT_ERROR) {
                guard__free_texts(out, outl, n);
                guard__verdict_map(g, n, RAW_ERROR, "scanner error", NULL, NULL, 0, v);
                return;
            }
            unsigned p;
            if (guard_scan_errors(env->scratch, &p, NULL) > 0 && skipped++ == 0)
                bad = p;
            if (red == NULL)
                continue;
            if (out == NULL) {
                out = util_calloc(n, sizeof(*out));
                outl = util_calloc(n, sizeof(*outl));
            }
            out[i] = red;
            outl[i] = nl;
        }
        if (skipped > 0 && (out == NULL || g->on_error != CONFIG_ON_ERROR_FAIL_OPEN)) {
            guard__free_texts(out, outl, n);
            snprintf(why, sizeof(why), "pattern #%u could not be evaluated (match limit)", bad + 1);
            guard__verdict_map(g, n, RAW_ERROR, why, NULL, NULL, 0, v);
        } else if (out != NULL) {
            guard__verdict_map(g, n, RAW_VIOLATION, "redacted matches", out, outl, 0, v);
        } else {
            guard__verdict_map(g, n, RAW_PASS, NULL, NULL, NULL, 0, v);
        }
        v->errored |= skipped > 0;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct guard_scan_match m;
        int rc = guard_scan_first(s, env->scratch, texts[i], lens[i], &m);
        if (rc < 0) {
            guard__verdict_map(g, n, RAW_ERROR, "scanner error", NULL, NULL, 0, v);
            return;
        }
        unsigned p;
        if (guard_scan_errors(env->scratch, &p, NULL) > 0 && skipped++ == 0)
            bad = p;
        if (rc == 1) {
            /* never echo the matched text: it may be the secret */
            snprintf(why, sizeof(why), "matched %s #%u", g->type == CONFIG_GUARD_KEYWORDS ? "keyword" : "pattern", m.pattern + 1);
            guard__verdict_map(g, n, RAW_VIOLATION, why, NULL, NULL, 0, v);
            v->errored |= skipped > 0;
            return;
        }
    }
    if (skipped > 0) {
        snprintf(why, sizeof(why), "pattern #%u could not be evaluated (match limit)", bad + 1);
        guard__verdict_map(g, n, RAW_ERROR, why, NULL, NULL, 0, v);
        return;
    }
    guard__verdict_map(g, n, RAW_PASS, NULL, NULL, NULL, 0, v);
}

void guard__check_scan(struct guard_run *r)
{
    struct guard_verdict v;
    guard__scan_verdict(r->env, r->g, r->gc->scan, (const char *const *)r->texts, r->lens, r->n, &v);
    guard__run_report(r, &v);
}

/* "found EMAIL_ADDRESS, CREDIT_CARD": the types, never the values. */
static void findings_reason(const struct guard_finding *f, size_t n, char *why, size_t whysz)
{
    size_t o = (size_t)snprintf(why, whysz, "found");
    for (size_t i = 0; i < n && o < whysz; i++) {
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(f[k].type, f[i].type) == 0;
        if (!seen)
            o += (size_t)snprintf(why + o, whysz - o, "%s %s", o > 5 ? "," : "", f[i].type);
    }
}

/* The findings of text i: they are grouped by index, in order. */
static size_t findings_of(const struct guard_finding *f, size_t n, size_t index, size_t *first)
{
    size_t a = 0;
    while (a < n && f[a].index != index)
        a++;
    size_t b = a;
    while (b < n && f[b].index == index)
        b++;
    *first = a;
    return b - a;
}

/* The bytes of a run's texts in all (GUARD_POOL_SCAN_BYTES decides where they are scanned). */
static size_t run_bytes(const struct guard_run *r)
{
    size_t bytes = 0;
    for (size_t i = 0; i < r->n; i++)
        bytes += r->lens[i];
    return bytes;
}

/* pii / secrets: one Hyperscan scan per text into *f (0, or the first scan's error). */
static int detect_collect(const struct guard_run *r, struct detect_scratch *sc, struct guard_finding **f, size_t *n,
                          size_t *cap)
{
    for (size_t i = 0; i < r->n; i++) {
        int rc = detect_scan(r->gc->detect, sc, r->texts[i], r->lens[i], i, r->g->score_threshold, f, n, cap);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void detect_finish(struct guard_run *r, int rc);

/* On the pool: a scratch of the thread's own (the env's belongs to the loop). */
static void on_detect_work(uv_work_t *w)
{
    struct guard_run *r = w->data;
    guard_builtin_pool_thread_init(r->loop_cpu);
    struct detect_scratch *sc = detect_scratch_new();
    size_t cap = 0;
    r->pool_rc = sc != NULL && detect_scratch_grow(sc, r->gc->detect) == 0
                     ? detect_collect(r, sc, &r->clf_findings, &r->clf_n_findings, &cap)
                     : WARDEN_ENOMEM;
    detect_scratch_free(sc);
    atomic_store(&r->pool_finished, 1);
}

static void on_detect_done(struct guard_run *r)
{
    detect_finish(r, r->pool_rc);
}

/* pii / secrets: every finding goes to the verdict (the check API lists them); redact rewrites
 * with the guard's redaction mode. Big texts are scanned on the pool, or here when its queue is full. */
void guard__check_detect(struct guard_run *r)
{
    if (run_bytes(r) >= GUARD_POOL_SCAN_BYTES && guard__pool_queue(r, on_detect_work, on_detect_done) == 0)
        return;
    detect_finish(r, detect_collect(r, r->env->detect_scratch, &r->findings, &r->n_findings, &r->cap_findings));
}

/* The verdict of a scan whose findings are in r->findings (rc: detect_collect's). */
static void detect_finish(struct guard_run *r, int rc)
{
    const struct config_guardrail *g = r->g;
    if (rc < 0) {
        guard__run_finish(r, RAW_ERROR, rc == WARDEN_ETOOBIG ? "too many candidates to check" : "scanner error", NULL, NULL, 0);
        return;
    }
    if (r->n_findings == 0) {
        guard__run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
        return;
    }
    char why[200];
    findings_reason(r->findings, r->n_findings, why, sizeof(why));
    char **out = NULL;
    size_t *outl = NULL;
    if (g->action == CONFIG_ACTION_REDACT) {
        if (g->redaction != CONFIG_REDACT_MASK)
            r->placeholders = guard_placeholders_new();
        if (g->redaction == CONFIG_REDACT_TYPED)
            guard_placeholders_set_one_way(r->placeholders); /* numbered, never restored */
        /* every text first: a <TYPE_n> the client typed itself is never a value's placeholder */
        for (size_t i = 0; r->placeholders != NULL && i < r->n; i++)
            guard_placeholders_reserve(r->placeholders, r->texts[i], r->lens[i]);
        out = util_calloc(r->n, sizeof(*out));
        outl = util_calloc(r->n, sizeof(*outl));
        for (size_t i = 0; i < r->n; i++) {
            size_t first, k = findings_of(r->findings, r->n_findings, i, &first);
            if (k > 0)
                out[i] = guard_redact_apply(r->texts[i], r->lens[i], r->findings + first, k, g->redaction, r->placeholders,
                                            guard__text_is_json(r, i), &outl[i]);
        }
    }
    guard__run_finish(r, RAW_VIOLATION, why, out, outl, 0);
}

/* A local guard's redaction re-applied to another base text (group merges); NULL if nothing matched there. */
char *guard__local_redact(struct guard_env *env, struct guard_verdict *cv, const char *text, size_t len, int json,
                          size_t *outlen)
{
    const struct guard_compiled *gc = guard__compiled(env, cv->guard);
    *outlen = 0;
    if (gc->scan != NULL)
        return guard_scan_redact(gc->scan, env->scratch, text, len, cv->guard->replacement ? cv->guard->replacement : "[REDACTED]",
                                 outlen);
    struct guard_finding *f = NULL;
    size_t n = 0, cap = 0;
    char *red = NULL;
    int rc = detect_scan(gc->detect, env->detect_scratch, text, len, 0, cv->guard->score_threshold, &f, &n, &cap);
    if (rc > 0)
        red = guard_redact_apply(text, len, f, n, cv->guard->redaction, cv->placeholders, json, outlen);
    else if (rc < 0)
        *outlen = GUARD_SCAN_REDACT_ERROR;
    free(f);
    return red;
}

static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

void guard__check_length(struct guard_run *r)
{
    size_t chars = 0;
    for (size_t i = 0; i + r->n_views < r->n; i++) /* a view (joined parts...) repeats what is counted */
        chars += utf8_chars(r->texts[i], r->lens[i]);
    size_t tokens = (chars + 3) / 4;
    char why[160];
    if (r->g->max_chars > 0 && chars > (size_t)r->g->max_chars) {
        snprintf(why, sizeof(why), "%zu characters exceed max_chars %ld", chars, r->g->max_chars);
        guard__run_finish(r, RAW_VIOLATION, why, NULL, NULL, 0);
    } else if (r->g->max_messages > 0 && r->n_messages > (size_t)r->g->max_messages) {
        snprintf(why, sizeof(why), "%zu messages exceed max_messages %ld", r->n_messages, r->g->max_messages);
        guard__run_finish(r, RAW_VIOLATION, why, NULL, NULL, 0);
    } else if (r->g->max_tokens > 0 && tokens > (size_t)r->g->max_tokens) {
        snprintf(why, sizeof(why), "about %zu tokens exceed max_tokens %ld", tokens, r->g->max_tokens);
        guard__run_finish(r, RAW_VIOLATION, why, NULL, NULL, 0);
    } else {
        guard__run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
    }
}

void guard__check_tools(struct guard_run *r)
{
    const struct config_guardrail *g = r->g;
    size_t i;
    json_t *item;
    char why[300];
    json_array_foreach(r->tool_calls, i, item)
    {
        json_t *fn = json_object_get(item, "function");
        const char *name = json_string_value(json_object_get(fn ? fn : item, "name"));
        if (name == NULL)
            continue;
        if (guard__list_has(g->deny, g->n_deny, name) || (g->n_allow > 0 && !guard__list_has(g->allow, g->n_allow, name))) {
            snprintf(why, sizeof(why), "tool '%.100s' is not allowed", name);
            guard__run_finish(r, RAW_VIOLATION, why, NULL, NULL, 0);
            return;
        }
        const char *args = json_string_value(json_object_get(fn, "arguments"));
        for (size_t k = 0; args && k < g->n_arg_patterns; k++) {
            if (strcmp(g->arg_patterns[k].name, name) != 0 && strcmp(g->arg_patterns[k].name, "*") != 0)
                continue;
            struct guard_scan_match m;
            int rc = guard_scan_first(r->gc->arg_scans[k], r->env->scratch, args, strlen(args), &m);
            if (rc < 0 || (rc == 0 && guard_scan_errors(r->env->scratch, NULL, NULL) > 0)) {
                guard__run_finish(r, RAW_ERROR, "scanner error", NULL, NULL, 0);
                return;
            }
            if (rc == 1) {
                snprintf(why, sizeof(why), "arguments of tool '%.100s' match a forbidden pattern", name);
                guard__run_finish(r, RAW_VIOLATION, why, NULL, NULL, 0);
                return;
            }
        }
    }
    guard__run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
}

/* ---- built-in detectors ---- */

/* prompt_injection: the guard's score is max(lexicon score, model probability) against one
 * threshold. The model (if the guard has one) goes to the pool first, then the lexicon reads the
 * texts here; a lexicon hit (or a scanner error) decides at once and the model's job is cancelled
 * or ignored (run_stop; its reference keeps the run alive until after_work), otherwise the model
 * decides when its job is done (engine_plugin.c). */
/* On the pool (big texts): the lexicon with a scratch of the thread's own, then, unless it decided,
 * the model in turn. */
static void on_injection_work(uv_work_t *w)
{
    struct guard_run *r = w->data;
    guard_builtin_pool_thread_init(r->loop_cpu);
    struct guard_injection_scratch *sc = guard_injection_scratch_new(r->env->shared->injection);
    r->pool_rc = sc == NULL ? -1
                            : guard_builtin_injection(r->env->shared->injection, sc, r->g, r->texts, r->lens, r->n,
                                                      &r->clf_findings, &r->clf_n_findings, r->clf_reason, sizeof(r->clf_reason));
    guard_injection_scratch_free(sc);
    if (r->pool_rc == 0 && r->gc != NULL && r->gc->classifier != NULL) {
        free(r->clf_findings); /* the model decides, as on the loop */
        r->clf_findings = NULL;
        r->clf_n_findings = 0;
        guard__injection_model_read(r);
    }
    atomic_store(&r->pool_finished, 1);
}

static void on_injection_done(struct guard_run *r)
{
    if (r->pool_rc < 0)
        guard__run_finish(r, RAW_ERROR, "scanner error", NULL, NULL, 0);
    else if (r->pool_rc > 0)
        guard__run_finish(r, RAW_VIOLATION, r->clf_reason, NULL, NULL, 0);
    else
        guard__run_finish(r, r->pverdict ? RAW_VIOLATION : RAW_PASS, r->clf_reason, NULL, NULL, 0);
}

void guard__check_injection(struct guard_run *r)
{
    if (run_bytes(r) >= GUARD_POOL_SCAN_BYTES && guard__pool_queue(r, on_injection_work, on_injection_done) == 0)
        return;
    const char *model_why = NULL;
    int model = guard__injection_model_start(r, &model_why);
    char why[200] = "";
    int rc = guard_builtin_injection(r->env->shared->injection, r->env->injection_scratch, r->g, r->texts, r->lens, r->n,
                                     &r->findings, &r->n_findings, why, sizeof(why));
    r->cap_findings = r->n_findings;
    if (rc == 0 && model > 0)
        return; /* the model decides */
    if (rc == 0 && model < 0)
        guard__run_finish(r, RAW_ERROR, model_why, NULL, NULL, 0);
    else
        guard__run_finish(r, rc < 0 ? RAW_ERROR : rc ? RAW_VIOLATION : RAW_PASS, rc < 0 ? "scanner error" : why, NULL, NULL, 0);
}
