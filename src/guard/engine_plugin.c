/* Plugin checks (engine_int.h): on libuv's thread pool, never on the loop. */
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

#include "guard/detect.h"
#include "guard/pii.h"
#include "guard/placeholder.h"
#include "guard/plugin.h"
#include "guard/redact.h"
#include "guard/scan.h"
#include "guard/secrets.h"
#include "guard/webhook.h"
#include "server/metrics.h"
#include "upstream/client.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fmt.h"
#include "util/log.h"
#include "warden/guard.h"

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
        guard__run_arm_timeout(r);
        r->work.data = r;
        r->refs++;
        if (uv_queue_work(r->env->loop, &r->work, on_plugin_work, on_plugin_work_done) != 0) {
            r->refs--;
            guard__run_finish(r, RAW_ERROR, "could not queue plugin work", NULL, NULL, 0);
        }
        return;
    }
    struct warden_guard_input in;
    plugin_input(r, &in);
    int verdict = guard_plugin_check(r->gc->plugin, &in, &r->presult);
    plugin_result_finish(r, verdict);
}
