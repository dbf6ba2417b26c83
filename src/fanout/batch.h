/* A batch: many independent items - plain chat-completions bodies, or the variables of
 * pipeline runs - processed with at most max_concurrency upstream calls in flight (one
 * runner, runner.h), each item's result or error reported as it finishes, in whatever
 * order they finish (the caller orders them). At most max_concurrency items are started
 * at a time, so the first results come early and nothing waits in long queues; a failed
 * item touches no other. deadline_ms (when > 0) bounds the whole batch: what has not
 * finished by then is cancelled and reported with 504 batch_deadline_exceeded.
 *
 * Rules: no callback inside fanout_batch_start or fanout_batch_free; on_item runs once per
 * item, then on_done once; nothing after fanout_batch_free, which cancels whatever runs
 * (upstream calls closed at once, nothing more started). Loop thread only. */
#ifndef WARDEN_FANOUT_BATCH_H
#define WARDEN_FANOUT_BATCH_H

#include <jansson.h>
#include <stddef.h>

struct server_worker;
struct config_pipeline;
struct config_api_key;
struct fanout_batch;
struct api_subcall_totals;

struct fanout_batch_callbacks {
    /* value: the item's answer (2xx) or its OpenAI error body {"error": {...}}; borrowed */
    void (*on_item)(void *ud, size_t index, int status, json_t *value);
    void (*on_done)(void *ud);
};

struct fanout_batch_opts {
    const struct config_pipeline *pipeline; /* NULL: the items are chat-completions bodies */
    size_t pipeline_index;
    const char *request_id;                 /* the client request: parent of every call; items are "<id>.<index>" */
    const struct config_api_key *api_key;
    int max_concurrency;
    int deadline_ms;                        /* 0: none */
    struct api_subcall_totals *totals;           /* the sub-calls' sums (runner.h); may be NULL */
};

/* items: a JSON array (a reference is taken). Never NULL. */
struct fanout_batch *fanout_batch_start(struct server_worker *w, json_t *items, const struct fanout_batch_opts *o,
                                        const struct fanout_batch_callbacks *cb, void *ud);
/* Back-pressure: while held, no item starts (those running finish and are reported);
 * resume starts items again on a later loop turn (never inside the call). */
void fanout_batch_hold(struct fanout_batch *b);
void fanout_batch_resume(struct fanout_batch *b);
int fanout_batch_held(const struct fanout_batch *b);
/* After on_done, or to cancel: releases everything (memory on a later loop turn). */
void fanout_batch_free(struct fanout_batch *b);

#endif
