/* Remote checks (engine_int.h): webhook and llm_judge calls on the worker's upstream client. */
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

/* ---- remote checks (webhook, llm_judge) ---- */

static int on_remote_head(struct upstream_call *call, void *ud, int status, const struct upstream_header *h, size_t n)
{
    return 0;
}

static int on_remote_body(struct upstream_call *call, void *ud, const char *data, size_t len)
{
    struct guard_run *r = ud;
    if (util_buf_append(&r->resp, data, len) == 0)
        return UPSTREAM_BODY_CONTINUE;
    /* a cancelled call reports nothing more: decide here (on_error applies) */
    r->call = NULL;
    guard__run_finish(r, RAW_ERROR, "check answer too large", NULL, NULL, 0);
    return UPSTREAM_BODY_CANCEL;
}

/* Maps a guard service's answer (webhook.h reads it as LiteLLM does) to a raw result. */
static void webhook_answer(struct guard_run *r, int status)
{
    struct guard_webhook_answer a;
    guard_webhook_answer_read(&a, status, r->resp.data, r->resp.len, r->wctx, (const char *const *)r->texts, r->lens, r->n);
    if (a.unknown_action)
        LOG_WARN("guard", "%s %s: %s", r->request_id, r->g->name, a.reason);
    int block_rewrites = r->g->on_intervened == CONFIG_ON_INTERVENED_BLOCK;
    switch (a.result) {
    case GUARD_WEBHOOK_PASS:
        guard__run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
        break;
    case GUARD_WEBHOOK_BLOCKED:
        guard__run_finish(r, RAW_VIOLATION, a.reason, NULL, NULL, 0);
        break;
    case GUARD_WEBHOOK_INTERVENED:
        if (block_rewrites)
            guard__run_finish(r, RAW_VIOLATION, "guard service intervened (on_intervened: block)", NULL, NULL, 0);
        else
            guard__run_finish(r, RAW_PASS, NULL, NULL, NULL, 0); /* LiteLLM: unchanged */
        break;
    case GUARD_WEBHOOK_REWRITE:
        if (block_rewrites) {
            guard__run_finish(r, RAW_VIOLATION, "guard service intervened (on_intervened: block)", NULL, NULL, 0);
            break;
        }
        /* the caller sees whole texts: fill the unchanged ones */
        for (size_t i = 0; i < r->n; i++)
            if (a.texts[i] == NULL) {
                a.texts[i] = util_strndup(r->texts[i], r->lens[i]);
                a.lens[i] = r->lens[i];
            }
        if (r->g->action == CONFIG_ACTION_LOG)
            LOG_INFO("guard", "%s %s: %s (action: log, not applied)", r->request_id, r->g->name, a.reason);
        guard__run_finish(r, RAW_REWRITE, a.reason, a.texts, a.lens, 0);
        a.texts = NULL; /* moved */
        a.lens = NULL;
        break;
    case GUARD_WEBHOOK_BAD_ANSWER:
        guard__run_finish(r, RAW_ERROR, a.reason, NULL, NULL, 0);
        break;
    case GUARD_WEBHOOK_UNREACHABLE:
        guard__run_finish(r, RAW_UNREACHABLE, a.reason, NULL, NULL, 0);
        break;
    }
    guard_webhook_answer_free(&a);
}

/* Llama Guard style: first line "safe" or "unsafe", categories on the next line. */
static void judge_answer(struct guard_run *r, int status)
{
    char why[320];
    if (status < 200 || status >= 300) {
        snprintf(why, sizeof(why), "judge model answered HTTP %d", status);
        guard__run_finish(r, guard_webhook_status_unreachable(status) ? RAW_UNREACHABLE : RAW_ERROR, why, NULL, NULL, 0);
        return;
    }
    json_error_t je;
    json_t *a = json_loadb(r->resp.data ? r->resp.data : "", r->resp.len, 0, &je);
    json_t *content = json_object_get(json_object_get(json_array_get(json_object_get(a, "choices"), 0), "message"), "content");
    const char *c = json_string_value(content);
    if (c == NULL) {
        json_decref(a);
        guard__run_finish(r, RAW_ERROR, "judge answer has no choices[0].message.content", NULL, NULL, 0);
        return;
    }
    while (*c == ' ' || *c == '\n' || *c == '\r' || *c == '\t')
        c++;
    size_t wl = 0;
    while (c[wl] && c[wl] != '\n' && c[wl] != ' ' && c[wl] != '\r' && c[wl] != ',' && c[wl] != '.')
        wl++;
    if (wl == 4 && strncasecmp(c, "safe", 4) == 0) {
        guard__run_finish(r, RAW_PASS, NULL, NULL, NULL, 0);
    } else if (wl == 6 && strncasecmp(c, "unsafe", 6) == 0) {
        const char *cat = c + 6;
        while (*cat == ' ' || *cat == '\n' || *cat == '\r' || *cat == ':' || *cat == ',')
            cat++;
        size_t cl = strcspn(cat, "\n\r");
        snprintf(why, sizeof(why), "judge: unsafe%s%.*s", cl ? " (" : "", (int)(cl > 200 ? 200 : cl), cat);
        if (cl)
            strncat(why, ")", sizeof(why) - strlen(why) - 1);
        guard__run_finish(r, RAW_VIOLATION, why, NULL, NULL, 0);
    } else {
        snprintf(why, sizeof(why), "judge answered neither 'safe' nor 'unsafe': '%.40s'", c);
        guard__run_finish(r, RAW_ERROR, why, NULL, NULL, 0);
    }
    json_decref(a);
}

static void on_remote_done(struct upstream_call *call, void *ud, int err, const char *message)
{
    struct guard_run *r = ud;
    r->call = NULL;
    if (err != 0) {
        char why[320];
        snprintf(why, sizeof(why), "%s unreachable: %s", r->g->type == CONFIG_GUARD_WEBHOOK ? "guard service" : "judge model",
                 message ? message : warden_strerror(err));
        guard__run_finish(r, RAW_UNREACHABLE, why, NULL, NULL, 0);
        return;
    }
    int status = upstream_call_status(call);
    if (r->g->type == CONFIG_GUARD_WEBHOOK)
        webhook_answer(r, status);
    else
        judge_answer(r, status);
}

static const struct upstream_call_callbacks remote_callbacks = {on_remote_head, on_remote_body, on_remote_done};

static char *judge_prompt(const struct guard_run *r)
{
    struct util_buf text, out;
    util_buf_init(&text, 16 * 1024 * 1024);
    util_buf_init(&out, 16 * 1024 * 1024);
    for (size_t i = 0; i < r->n; i++) {
        if (i)
            util_buf_append(&text, "\n\n", 2);
        util_buf_append(&text, r->texts[i], r->lens[i]);
    }
    const char *tpl = r->g->prompt_template ? r->g->prompt_template
                                            : "Is the following content safe? Answer 'safe', or 'unsafe' followed by the "
                                              "violated categories on the next line.\n\n{{input}}";
    const char *p = tpl;
    for (const char *m; (m = strstr(p, "{{input}}")) != NULL; p = m + 9) {
        util_buf_append(&out, p, (size_t)(m - p));
        util_buf_append(&out, text.data ? text.data : "", text.len);
    }
    util_buf_append(&out, p, strlen(p));
    util_buf_free(&text);
    return util_buf_take(&out, NULL);
}

/* Header lines for a check call: as many as configured (the upstream client copies them). */
struct header_lines {
    char **v;
    size_t n, cap;
};

static void header_add(struct header_lines *h, const char *name, const char *value)
{
    if (h->n + 2 > h->cap) {
        h->cap = h->cap ? h->cap * 2 : 8;
        h->v = util_realloc(h->v, h->cap * sizeof(*h->v));
    }
    size_t len = strlen(name) + strlen(value) + 3;
    h->v[h->n] = util_malloc(len);
    snprintf(h->v[h->n++], len, "%s: %s", name, value);
    h->v[h->n] = NULL;
}

static void header_lines_free(struct header_lines *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->v[i]);
    free(h->v);
}

void guard__check_remote(struct guard_run *r)
{
    const struct config_guardrail *g = r->g;
    struct util_buf url;
    struct header_lines hl = {0};
    const char *ca_file = NULL;
    util_buf_init(&url, 64 * 1024);
    header_add(&hl, "Content-Type", "application/json");
    json_t *body;
    if (g->type == CONFIG_GUARD_WEBHOOK) {
        util_buf_append(&url, g->url, strlen(g->url));
        body = guard_webhook_request_new(r->wctx, r->gc ? r->gc->provider_params : NULL, (const char *const *)r->texts, r->lens,
                                         r->n);
        if (g->api_key != NULL)
            header_add(&hl, "x-api-key", g->api_key);
        for (size_t i = 0; i < g->n_headers; i++)
            header_add(&hl, g->headers[i].name, g->headers[i].value);
    } else {
        const struct config_target *t = &g->judge_model->targets[0];
        util_buf_appendf(&url, "%s/chat/completions", t->provider->base_url);
        ca_file = t->provider->ca_file;
        char *prompt = judge_prompt(r);
        body = json_pack("{s:s, s:[{s:s, s:s}], s:i, s:i, s:b}", "model", t->model, "messages", "role", "user", "content",
                         prompt, "temperature", 0, "max_tokens", 64, "stream", 0);
        free(prompt);
        if (t->provider->api_key) {
            struct util_buf auth;
            util_buf_init(&auth, 64 * 1024);
            util_buf_appendf(&auth, "Bearer %s", t->provider->api_key);
            header_add(&hl, "Authorization", auth.data ? auth.data : "");
            util_buf_free(&auth);
        }
        for (size_t i = 0; i < t->provider->n_headers; i++)
            header_add(&hl, t->provider->headers[i].name, t->provider->headers[i].value);
    }
    r->req_body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (r->req_body == NULL) {
        header_lines_free(&hl);
        util_buf_free(&url);
        guard__run_finish(r, RAW_ERROR, "could not encode the check request (invalid UTF-8?)", NULL, NULL, 0);
        return;
    }
    util_buf_init(&r->resp, REMOTE_RESPONSE_MAX);
    struct upstream_call_opts o = {.url = url.data ? url.data : "",
                                   .method = "POST",
                                   .body = r->req_body,
                                   .body_len = strlen(r->req_body),
                                   .headers = (const char *const *)hl.v,
                                   .connect_timeout_ms = g->timeout_ms > 0 ? g->timeout_ms : 10000,
                                   .total_timeout_ms = 0,
                                   .ca_file = ca_file};
    guard__run_arm_timeout(r);
    r->call = upstream_call_start(r->env->upstream, &o, &remote_callbacks, r);
    header_lines_free(&hl);
    util_buf_free(&url);
    if (r->call == NULL)
        guard__run_finish(r, RAW_ERROR, "could not start the check request", NULL, NULL, 0);
}
