/* Output guardrails on streams. See stream_filter.h for the design. */
#include "api/stream_filter.h"

#include <stdlib.h>
#include <string.h>

#include "api/lifecycle_int.h"
#include "api/sse.h"
#include "guard/engine.h"
#include "server/server.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

#define TEXT_MAX (32u * 1024 * 1024)

struct stream_filter {
    int filtering; /* re-framing through checks; else pass-through with recording */
    struct sse_parser parser;
    struct util_buf full;    /* the whole answer text so far */
    size_t released;         /* bytes of full sent to the client */
    size_t window;           /* bytes local checks need held back */
    struct util_buf tail;    /* raw non-content events waiting behind unreleased text */
    json_t *tmpl;            /* last content event, re-used to frame released text */
    /* slow checks */
    const struct config_guardrail **slow; /* owned array */
    size_t n_slow;
    int stream_first;
    size_t chunk_bytes, context_bytes;
    size_t overlap; /* bytes of context before each chunk (context_tokens, else one chunk) */
    size_t checked;          /* text covered by passing slow checks */
    size_t next_boundary;
    size_t run_boundary;     /* the running check covers text [run_from, run_boundary) */
    size_t run_from;
    int final_state;         /* 0: not started, 1: running, 2: passed (whole text checked at the end) */
    size_t run_index;        /* which slow guard is running */
    struct guard_run *run;
    int finishing;
    int failed;
    int sync;
    int redacted; /* a local check rewrote text inline */
};

static int guard_applies(const struct config_guardrail *g)
{
    return g->stage == CONFIG_STAGE_OUTPUT && g->timing != CONFIG_TIMING_ASYNC_POST;
}

int stream_filter_active(const struct req_ctx *ctx)
{
    return ctx->sf != NULL;
}

void stream_filter_begin(struct req_ctx *ctx)
{
    int record = 0, filter = 0;
    for (size_t i = 0; i < ctx->n_guards; i++) {
        const struct config_guardrail *g = ctx->guards[i];
        if (g->stage != CONFIG_STAGE_OUTPUT)
            continue;
        record = 1;
        if (guard_applies(g))
            filter = 1;
    }
    /* structured output streamed through (stream: pass) is checked at the end: hold [DONE] */
    if (ctx->so.mode != STRUCTURED_NONE && !ctx->schema_hold)
        record = filter = 1;
    if (!record || ctx->sf != NULL)
        return;
    struct stream_filter *f = util_calloc(1, sizeof(*f));
    f->filtering = filter;
    sse_parser_init(&f->parser, 1024 * 1024);
    util_buf_init(&f->full, TEXT_MAX);
    util_buf_init(&f->tail, TEXT_MAX);
    f->slow = util_calloc(ctx->n_guards ? ctx->n_guards : 1, sizeof(*f->slow));
    for (size_t i = 0; i < ctx->n_guards; i++) {
        const struct config_guardrail *g = ctx->guards[i];
        if (!guard_applies(g))
            continue;
        if (guard_is_local(g)) {
            size_t w = guard_stream_window(ctx->w->guards, g);
            if (w > f->window)
                f->window = w;
        } else {
            f->slow[f->n_slow++] = g;
            if (g->stream_first)
                f->stream_first = 1;
            if (g->stream_chunk_tokens > 0 && (f->chunk_bytes == 0 || (size_t)g->stream_chunk_tokens * 4 < f->chunk_bytes))
                f->chunk_bytes = (size_t)g->stream_chunk_tokens * 4;
            if ((size_t)g->stream_context_tokens * 4 > f->context_bytes)
                f->context_bytes = (size_t)g->stream_context_tokens * 4;
        }
    }
    /* with no context configured, each chunk is checked together with the previous one */
    f->overlap = f->context_bytes > 0 ? f->context_bytes : f->chunk_bytes;
    f->next_boundary = f->chunk_bytes;
    ctx->sf = f;
}

static void fail(struct req_ctx *ctx, const struct config_guardrail *g, const struct guard_verdict *v)
{
    struct stream_filter *f = ctx->sf;
    f->failed = 1;
    lifecycle_block(ctx, g, v);
}

/* Sends text [released, upto) framed as one chunk event. */
static void release_to(struct req_ctx *ctx, size_t upto)
{
    struct stream_filter *f = ctx->sf;
    if (upto > f->full.len)
        upto = f->full.len;
    /* never cut a UTF-8 sequence: back off to a character start */
    while (upto > f->released && upto < f->full.len && ((unsigned char)f->full.data[upto] & 0xC0) == 0x80)
        upto--;
    if (upto <= f->released || f->tmpl == NULL)
        return;
    json_t *ev = json_deep_copy(f->tmpl);
    json_t *delta = json_object_get(json_array_get(json_object_get(ev, "choices"), 0), "delta");
    json_object_set_new(delta, "content", json_stringn_nocheck(f->full.data + f->released, upto - f->released));
    char *s = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    if (s != NULL) {
        lifecycle_emit(ctx, "data: ", 6);
        lifecycle_emit(ctx, s, strlen(s));
        lifecycle_emit(ctx, "\n\n", 2);
        free(s);
    }
    f->released = upto;
}

/* How far text may go out now. Slow checks see each chunk with `overlap` bytes before it; text
 * within overlap of the last checked boundary stays held, so a match that straddles a boundary
 * (and is no longer than the overlap) is seen whole by the next check before any of it is sent. */
static size_t releasable(const struct stream_filter *f)
{
    size_t limit = f->full.len;
    if (!f->finishing)
        limit = limit > f->window ? limit - f->window : 0;
    if (f->n_slow > 0 && !f->stream_first) {
        size_t safe = f->checked;
        if (!f->finishing || f->final_state != 2)
            safe = safe > f->overlap ? safe - f->overlap : 0;
        if (safe < limit)
            limit = safe;
    }
    return limit;
}

static void start_slow_check(struct req_ctx *ctx);
static void try_finish(struct req_ctx *ctx);

/* A check subject made of one piece of the answer's text. */
static struct guard_subject text_subject(const struct req_ctx *ctx, const char *const *text, const size_t *len)
{
    return (struct guard_subject){.stage = CONFIG_STAGE_OUTPUT,
                                  .texts = text,
                                  .lens = len,
                                  .n = 1,
                                  .n_messages = 1,
                                  .model = ctx->requested_model_name,
                                  .request_id = ctx->request_id};
}

static void pump(struct req_ctx *ctx)
{
    struct stream_filter *f = ctx->sf;
    if (f->failed)
        return;
    release_to(ctx, releasable(f));
    if (f->run == NULL)
        start_slow_check(ctx);
    if (f->finishing)
        try_finish(ctx);
    lifecycle_flush(ctx);
}

static void on_slow_verdict(void *ud, struct guard_verdict *v)
{
    struct req_ctx *ctx = ud;
    struct stream_filter *f = ctx->sf;
    const struct config_guardrail *g = f->slow[f->run_index];
    f->run = NULL;
    if (v->outcome != GUARD_PASS) {
        /* a rewrite cannot take back text already streamed: streams treat it as a violation */
        fail(ctx, g, v);
        return;
    }
    if (++f->run_index >= f->n_slow) {
        f->run_index = 0;
        if (f->run_boundary > f->checked)
            f->checked = f->run_boundary;
        if (f->final_state == 1)
            f->final_state = 2;
    }
    if (!f->sync)
        pump(ctx);
}

/* Starts the next slow check: the next guard on the current span, or a new span (a chunk
 * boundary reached, or the whole text once the upstream finished). */
static void start_slow_check(struct req_ctx *ctx)
{
    struct stream_filter *f = ctx->sf;
    while (f->n_slow > 0 && f->run == NULL && !f->failed) {
        if (f->run_index == 0) {
            if (f->final_state == 0 && f->chunk_bytes > 0 && f->full.len >= f->next_boundary) {
                f->run_boundary = f->next_boundary;
                f->run_from = f->run_boundary > f->chunk_bytes + f->overlap ? f->run_boundary - f->chunk_bytes - f->overlap : 0;
                f->next_boundary += f->chunk_bytes;
            } else if (f->finishing && f->final_state == 0) {
                f->final_state = 1;
                f->run_boundary = f->full.len;
                f->run_from = 0;
            } else {
                return;
            }
        }
        const struct config_guardrail *g = f->slow[f->run_index];
        const char *text = f->full.data ? f->full.data + f->run_from : "";
        size_t len = f->run_boundary - f->run_from;
        struct guard_subject s = text_subject(ctx, &text, &len);
        f->sync = 1;
        f->run = guard_run_start(ctx->w->guards, g, &s, on_slow_verdict, ctx);
        f->sync = 0;
    }
}

struct captured {
    struct guard_verdict v;
    char *text;
    size_t len;
};

static void capture_verdict(void *ud, struct guard_verdict *v)
{
    struct captured *c = ud;
    c->v = *v;
    c->v.texts = NULL;
    c->v.lens = NULL;
    if (v->outcome == GUARD_REWRITE && v->texts != NULL && v->n == 1 && v->texts[0] != NULL) {
        c->text = v->texts[0];
        c->len = v->lens[0];
        v->texts[0] = NULL;
    }
}

/* Local checks over the text not yet released (plus what just came). */
static int run_local_checks(struct req_ctx *ctx)
{
    struct stream_filter *f = ctx->sf;
    for (size_t i = 0; i < ctx->n_guards; i++) {
        const struct config_guardrail *g = ctx->guards[i];
        if (!guard_applies(g) || !guard_is_local(g))
            continue;
        /* the window may reach back into released text for context, but only unreleased text can change */
        size_t from = f->released > f->window ? f->released - f->window : 0;
        const char *text = f->full.data + from;
        size_t len = f->full.len - from;
        struct captured r = {0};
        struct guard_subject s = text_subject(ctx, &text, &len);
        struct guard_run *run = guard_run_start(ctx->w->guards, g, &s, capture_verdict, &r);
        if (run != NULL) { /* local checks are synchronous; anything else is a bug */
            guard_run_cancel(run);
            continue;
        }
        if (r.v.outcome == GUARD_BLOCK) {
            fail(ctx, g, &r.v);
            free(r.text);
            return -1;
        }
        if (r.v.outcome == GUARD_REWRITE && r.text != NULL) {
            /* splice: released bytes stay, the rest is the redacted text's remainder */
            size_t keep = f->released - from;
            f->redacted = 1;
            if (r.len >= keep && memcmp(r.text, f->full.data + from, keep) == 0) {
                f->full.len = f->released;
                util_buf_append(&f->full, r.text + keep, r.len - keep);
            } else {
                /* the redaction reached into released text: block rather than leak */
                snprintf(r.v.reason, sizeof(r.v.reason), "a match straddles text already sent");
                free(r.text);
                fail(ctx, g, &r.v);
                return -1;
            }
        }
        free(r.text);
    }
    return 0;
}

static int on_event(void *ud, const char *data, size_t len)
{
    struct req_ctx *ctx = ud;
    struct stream_filter *f = ctx->sf;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        ctx->saw_done = 1;
        util_buf_append(&f->tail, "data: [DONE]\n\n", 14);
        return 0;
    }
    json_error_t je;
    json_t *ev = json_loadb(data, len, 0, &je);
    json_t *delta = json_object_get(json_array_get(json_object_get(ev, "choices"), 0), "delta");
    json_t *content = json_object_get(delta, "content");
    if (json_is_string(content) && json_string_length(content) > 0) {
        if (util_buf_append(&f->full, json_string_value(content), json_string_length(content)) != 0) {
            json_decref(ev);
            struct guard_verdict v = {0};
            snprintf(v.reason, sizeof(v.reason), "answer too long to check");
            fail(ctx, NULL, &v);
            return 1;
        }
        if (f->filtering) {
            json_decref(f->tmpl);
            f->tmpl = ev; /* released text is framed like the latest content event */
            if (run_local_checks(ctx) != 0)
                return 1;
            return 0;
        }
        json_decref(ev);
        return 0;
    }
    if (json_object_get(json_object_get(ev, "error"), "message") != NULL)
        ctx->saw_upstream_error_event = 1;
    json_decref(ev);
    if (f->filtering) {
        /* a content-less event: in order behind the text still held */
        if (f->released == f->full.len && f->tail.len == 0) {
            lifecycle_emit(ctx, "data: ", 6);
            lifecycle_emit(ctx, data, len);
            lifecycle_emit(ctx, "\n\n", 2);
        } else {
            util_buf_append(&f->tail, "data: ", 6);
            util_buf_append(&f->tail, data, len);
            util_buf_append(&f->tail, "\n\n", 2);
        }
    }
    return 0;
}

void stream_filter_feed(struct req_ctx *ctx, const char *data, size_t len)
{
    struct stream_filter *f = ctx->sf;
    if (f->failed)
        return;
    if (!f->filtering)
        lifecycle_emit(ctx, data, len);
    if (sse_parser_feed(&f->parser, data, len, on_event, ctx) != 0 && f->parser.overflow && f->filtering) {
        struct guard_verdict v = {0};
        snprintf(v.reason, sizeof(v.reason), "upstream SSE event too large to check");
        fail(ctx, NULL, &v);
        return;
    }
    if (f->filtering)
        pump(ctx);
    else
        lifecycle_flush(ctx);
}

static void try_finish(struct req_ctx *ctx)
{
    struct stream_filter *f = ctx->sf;
    if (f->failed || f->run != NULL || (f->n_slow > 0 && f->final_state != 2))
        return;
    release_to(ctx, f->full.len);
    if (lifecycle_stream_validate(ctx, f->full.data ? f->full.data : "", f->full.len) != 0) {
        f->failed = 1;
        return;
    }
    if (f->tail.len)
        lifecycle_emit(ctx, f->tail.data, f->tail.len);
    util_buf_reset(&f->tail);
    f->finishing = 0;
    for (size_t i = 0; i < ctx->n_guards; i++)
        if (guard_applies(ctx->guards[i]))
            lifecycle_note_guard(ctx, ctx->guards[i], f->redacted ? "rewrite" : "pass");
    lifecycle_end_stream(ctx);
}

void stream_filter_finish(struct req_ctx *ctx)
{
    struct stream_filter *f = ctx->sf;
    if (!f->filtering) {
        lifecycle_end_stream(ctx);
        return;
    }
    f->finishing = 1;
    if (run_local_checks(ctx) != 0)
        return;
    pump(ctx);
}

void stream_filter_cancel(struct req_ctx *ctx)
{
    if (ctx->sf != NULL && ctx->sf->run != NULL) {
        guard_run_cancel(ctx->sf->run);
        ctx->sf->run = NULL;
    }
}

json_t *stream_filter_answer(struct req_ctx *ctx)
{
    if (ctx->sf != NULL)
        return json_pack("{s:s, s:[{s:i, s:{s:s, s:s%}}]}", "object", "chat.completion", "choices", "index", 0, "message",
                         "role", "assistant", "content", ctx->sf->full.data ? ctx->sf->full.data : "", ctx->sf->full.len);
    if (ctx->stream)
        return NULL;
    json_error_t je;
    return json_loadb(ctx->up_body.data ? ctx->up_body.data : "", ctx->up_body.len, 0, &je);
}

void stream_filter_free(struct req_ctx *ctx)
{
    struct stream_filter *f = ctx->sf;
    if (f == NULL)
        return;
    stream_filter_cancel(ctx);
    sse_parser_free(&f->parser);
    util_buf_free(&f->full);
    util_buf_free(&f->tail);
    json_decref(f->tmpl);
    free(f->slow);
    free(f);
    ctx->sf = NULL;
}
