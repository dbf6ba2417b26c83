/* Batches (batch.h).
 *
 * Items go QUEUED -> ACTIVE -> DONE, started in index order by fill() while fewer than
 * max_concurrency are active. An item is one runner call (chat) or one pipeline run.
 *
 * Invariants:
 *   B1. active counts ACTIVE items; an ACTIVE item holds exactly one of call / run.
 *   B2. After stopped is set (all done, the deadline, or fanout_batch_free) no item starts.
 *   B3. The struct is freed only in the timers' close callbacks (two references), never
 *       inside a callback chain: whoever runs after on_item or on_done checks `released`
 *       and touches nothing more than the struct itself. */
#include "fanout/batch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "api/request_id.h"
#include "config/config.h"
#include "fanout/pipeline.h"
#include "fanout/runner.h"
#include "metrics/metrics.h"
#include "server/server.h"
#include "util/alloc.h"

enum item_state { ITEM_QUEUED, ITEM_ACTIVE, ITEM_DONE };

struct batch_item {
    struct fanout_batch *b;
    enum item_state state;
    struct fanout_call *call;
    struct fanout_pipeline_run *run;
};

struct fanout_batch {
    struct server_worker *w;
    struct fanout_runner *runner;
    json_t *items;
    struct batch_item *it;
    size_t n, next, active, done;
    struct fanout_batch_opts o;
    char request_id[API_REQUEST_ID_SIZE];
    struct fanout_batch_callbacks cb;
    void *ud;
    int stopped;   /* B2 */
    int released;  /* fanout_batch_free was called: no callback any more */
    int filling;
    int refs;      /* the two timers (B3) */
    uv_timer_t kick;     /* starts the first items on the next loop turn (no callback inside start) */
    uv_timer_t deadline;
};

static json_t *error_body(int status, const char *type, const char *code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static json_t *error_body(int status, const char *type, const char *code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    (void)status;
    return json_pack("{s:{s:s, s:s, s:s, s:n}}", "error", "message", msg, "type", type, "code", code, "param");
}

static void fill(struct fanout_batch *b);

static void finish(struct fanout_batch *b)
{
    b->stopped = 1;
    uv_timer_stop(&b->deadline);
    b->cb.on_done(b->ud);
}

/* Item i has its result (B1); reports it and moves on. */
static void item_done(struct fanout_batch *b, size_t i, int status, json_t *value)
{
    struct batch_item *it = &b->it[i];
    if (it->state == ITEM_ACTIVE)
        b->active--;
    it->state = ITEM_DONE;
    it->call = NULL;
    it->run = NULL;
    b->done++;
    metrics_batch_item(b->w->metrics, b->o.pipeline ? METRICS_BATCH_PIPELINE : METRICS_BATCH_CHAT, status >= 200 && status < 300);
    b->cb.on_item(b->ud, i, status, value);
    if (b->released)
        return;
    if (b->done == b->n) {
        finish(b);
        return;
    }
    if (!b->filling)
        fill(b);
}

static void on_chat_done(void *ud, int status, const char *body, size_t len, const struct fanout_call_result *res)
{
    struct batch_item *it = ud;
    struct fanout_batch *b = it->b;
    it->call = NULL;
    json_t *v = json_loadb(body, len, 0, NULL);
    if (v == NULL || !json_is_object(v)) {
        json_decref(v);
        v = error_body(502, "api_error", "unreadable_answer", "the answer (HTTP %d) is not a JSON object", status);
        if (status >= 200 && status < 300)
            status = 502;
    } else if ((status < 200 || status >= 300) && !json_is_object(json_object_get(v, "error"))) {
        json_decref(v);
        v = error_body(status, "api_error", "upstream_error", "the call answered HTTP %d", status);
    }
    item_done(b, (size_t)(it - b->it), status, v);
    json_decref(v);
}

static void on_run_done(void *ud, int status, json_t *answer)
{
    struct batch_item *it = ud;
    it->run = NULL;
    item_done(it->b, (size_t)(it - it->b->it), status, answer);
}

static void start_item(struct fanout_batch *b, size_t i)
{
    struct batch_item *it = &b->it[i];
    json_t *item = json_array_get(b->items, i);
    char id[API_REQUEST_ID_SIZE];
    if (snprintf(id, sizeof(id), "%s.%zu", b->request_id, i) >= (int)sizeof(id) || !api_request_id_ok(id, strlen(id)))
        id[0] = '\0';
    it->state = ITEM_ACTIVE;
    b->active++;
    if (!json_is_object(item)) {
        json_t *e = error_body(400, "invalid_request_error", "invalid_type", "item %zu must be a JSON object", i);
        item_done(b, i, 400, e);
        json_decref(e);
        return;
    }
    if (b->o.pipeline != NULL) {
        struct fanout_pipeline_opts po = {b->request_id, id[0] ? id : NULL, b->o.api_key};
        int status = 0;
        json_t *answer = NULL;
        it->run = fanout_pipeline_start(b->runner, b->o.pipeline, b->o.pipeline_index, item, &po, on_run_done, it, &status, &answer);
        if (it->run == NULL) {
            item_done(b, i, status, answer);
            json_decref(answer);
        }
        return;
    }
    if (json_is_true(json_object_get(item, "stream"))) {
        json_t *e = error_body(400, "invalid_request_error", "unsupported_value",
                               "item %zu: \"stream\": true is not supported in a batch (the batch streams with its own \"stream\")", i);
        item_done(b, i, 400, e);
        json_decref(e);
        return;
    }
    char *body = json_dumps(item, JSON_COMPACT);
    struct fanout_call_opts co = {id[0] ? id : NULL, b->request_id, b->o.api_key};
    it->call = fanout_runner_submit(b->runner, body ? body : "", body ? strlen(body) : 0, &co, on_chat_done, it);
    free(body);
}

static void fill(struct fanout_batch *b)
{
    b->filling = 1;
    while (!b->stopped && !b->released && b->active < (size_t)b->o.max_concurrency && b->next < b->n)
        start_item(b, b->next++);
    if (!b->released)
        b->filling = 0;
}

static void on_kick(uv_timer_t *t)
{
    struct fanout_batch *b = t->data;
    if (b->n == 0)
        finish(b);
    else
        fill(b);
}

/* Stops what is active (B2); no callback. */
static void cancel_active(struct fanout_batch *b)
{
    b->stopped = 1;
    fanout_runner_stop(b->runner); /* freed slots go to nothing of this batch */
    for (size_t i = 0; i < b->n; i++) {
        struct batch_item *it = &b->it[i];
        if (it->run != NULL)
            fanout_pipeline_cancel(it->run);
        else if (it->call != NULL)
            fanout_call_cancel(it->call);
        it->run = NULL;
        it->call = NULL;
    }
}

static void on_deadline(uv_timer_t *t)
{
    struct fanout_batch *b = t->data;
    if (b->stopped)
        return;
    cancel_active(b);
    for (size_t i = 0; i < b->n && !b->released; i++) {
        if (b->it[i].state == ITEM_DONE)
            continue;
        json_t *e = error_body(504, "api_error", "batch_deadline_exceeded", "item %zu did not finish within batch.deadline_ms (%d ms)",
                               i, b->o.deadline_ms);
        b->filling = 1; /* no refill: the batch is stopped */
        item_done(b, i, 504, e);
        json_decref(e);
    }
}

struct fanout_batch *fanout_batch_start(struct server_worker *w, json_t *items, const struct fanout_batch_opts *o,
                                        const struct fanout_batch_callbacks *cb, void *ud)
{
    struct fanout_batch *b = util_calloc(1, sizeof(*b));
    b->w = w;
    b->o = *o;
    if (b->o.max_concurrency < 1)
        b->o.max_concurrency = 1;
    snprintf(b->request_id, sizeof(b->request_id), "%s", o->request_id ? o->request_id : "");
    b->o.request_id = b->request_id;
    b->runner = fanout_runner_new(w, b->o.max_concurrency);
    b->items = json_incref(items);
    b->n = json_array_size(items);
    b->it = util_calloc(b->n ? b->n : 1, sizeof(*b->it));
    for (size_t i = 0; i < b->n; i++)
        b->it[i].b = b;
    b->cb = *cb;
    b->ud = ud;
    b->refs = 2;
    uv_timer_init(&w->loop, &b->kick);
    uv_timer_init(&w->loop, &b->deadline);
    b->kick.data = b->deadline.data = b;
    uv_timer_start(&b->kick, on_kick, 0, 0);
    if (o->deadline_ms > 0)
        uv_timer_start(&b->deadline, on_deadline, (uint64_t)o->deadline_ms, 0);
    return b;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct fanout_batch *b = h->data;
    if (--b->refs > 0)
        return;
    free(b->it);
    free(b);
}

void fanout_batch_free(struct fanout_batch *b)
{
    if (b == NULL || b->released)
        return;
    b->released = 1;
    cancel_active(b);
    fanout_runner_free(b->runner);
    b->runner = NULL;
    json_decref(b->items);
    b->items = NULL;
    uv_close((uv_handle_t *)&b->kick, on_timer_closed);
    uv_close((uv_handle_t *)&b->deadline, on_timer_closed);
}
