/* Output guardrails on streams. See stream_filter.h for the design.
 *
 * Each upstream event is read byte-level (sse_json_* helpers, no tree): the
 * walk finds the string literals that carry text (the channels, see
 * enum sf_field) and a few members that must not leak what the texts hide
 * (logprobs bytes and alternatives). The event is re-framed by splicing its
 * own bytes: each text literal becomes the part of its channel's text that
 * may go out now, JSON-escaped; everything else stays as the upstream sent it,
 * in the same order.
 *
 * Memory: a channel's local checks keep only what they hold back (stream_scan.h).
 * The whole answer's text is kept only when something needs it - slow checks,
 * async_post output checks, structured-output validation - and then up to
 * server.max_response_bytes: beyond that the stream ends with an error event. */
#include "api/stream_filter.h"

#include "api/usage.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_span.h"
#include "api/restore.h"
#include "api/sse.h"
#include "api/usage.h"
#include "guard/detect.h"
#include "guard/engine.h"
#include "guard/placeholder.h"
#include "guard/redact.h"
#include "guard/scan.h"
#include "guard/stream_scan.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

#define SSE_EVENT_MAX (1024 * 1024)
#define MAX_CHANNELS 256 /* text fields per stream (choices x fields x tool calls) */
#define MAX_EDITS 512    /* spliced values per event */
#define TAPE_KEEP 1024   /* tokens of an event kept for the next one (16 KiB) */
#define SHAPE_MAX 16384  /* the largest event kept to compare the next one with */
#define MAX_LOOSE 16     /* metadata strings of an event tracked for shape_match */
#define SHAPES 4         /* event shapes remembered: a stream's first, text and last events */
#define POOL_MAX 16      /* finished filters kept per thread for the next streams */
#define POOL_BUF_KEEP (64 * 1024) /* a kept filter's scratch buffers larger than this are freed */
#define BATCH_MAX (8 * 1024)      /* re-framed bytes held before they go to the sink (its space is per stream) */
#define SPARE_GS 8                /* channel matchers a kept filter keeps for the next stream */

/* The fields of a choice that carry text the model wrote (the output contract). */
enum sf_field {
    F_CONTENT,
    F_REASONING_CONTENT,
    F_REASONING,
    F_REFUSAL,
    F_TOOL_NAME, /* per tool-call index */
    F_TOOL_ARGS, /* per tool-call index */
    F_FUNC_NAME, /* legacy function_call */
    F_FUNC_ARGS,
    F_TEXT,       /* legacy completions choices[].text */
    F_LP_CONTENT, /* logprobs.content[].token */
    F_LP_REFUSAL, /* logprobs.refusal[].token */
    F_OTHER,      /* every string of a member outside the contract and known metadata */
};

enum sf_edit_kind {
    EDIT_TEXT,  /* a text literal: replaced by what its channel releases */
    EDIT_NULL,  /* logprobs bytes: the token's bytes again, so dropped */
    EDIT_EMPTY, /* top_logprobs: alternative tokens nobody checked, so dropped */
};

struct sf_edit {
    size_t start, end;
    enum sf_edit_kind kind;
    size_t channel;
    int final; /* the channel's last piece (its choice finishes in this event) */
    /* a remembered shape's text literal: its channel's identity (channel indexes are per stream) */
    long choice, tool;
    enum sf_field field;
};

struct sf_channel {
    long choice, tool;
    enum sf_field field;
    struct guard_stream *gs; /* NULL when no local guard applies */
    struct api_restorer *rest; /* reversible redaction of the request (NULL: none) */
    char *tmpl;              /* the last event that carried this channel: frames text released at the end */
    size_t tmpl_len, tmpl_cap;
    int finished;
    /* arguments: where the text stands in an escape a client decodes (see args_escape_hidden) */
    unsigned char esc, esc_digits;
    unsigned esc_value;
};

/* One event as read; also a remembered shape (an event read whole, with its bytes). */
struct sf_event {
    struct sf_edit *edits; /* grows up to MAX_EDITS */
    size_t n, cap;
    long finishing[16]; /* choices whose finish_reason is in this event */
    size_t n_finishing;
    int error_event;
    int has_usage;             /* a top-level "usage" object (read by usage_event_read) */
    int plain0;                /* its first edit is known to be a literal without escapes (read_as_last) */
    /* a remembered shape: usage_event_read's answer for its bytes (usage_read 1: known) */
    int usage_read, usage_found, usage_only;
    struct usage usage;
    const char *bad;           /* why the event cannot be checked (NULL: fine) */
    struct sse_json_tape tape; /* the event's keys and values, found while validating it */
    char *shape;               /* a remembered shape: the last event read with it (see shape_match) */
    size_t shape_len, shape_cap;
    unsigned long long gen;    /* a remembered shape: the stream its edits' channels belong to */
    struct sf_span {
        size_t start, end;
    } loose[MAX_LOOSE]; /* string values of known metadata (id, obfuscation...): any string reads the same */
    size_t n_loose;     /* MAX_LOOSE + 1: too many to track */
};

struct stream_filter {
    int filtering; /* re-framing through checks; else pass-through with recording */
    int record;    /* the whole text is kept (slow checks, async_post, structured output) */
    /* local checks */
    size_t n_rules;
    struct guard_placeholders *const *restore_maps; /* the request's (borrowed: they live as long as it) */
    size_t n_restore;
    int content_json; /* the content is a JSON document (response_format): originals go in escaped */
    size_t n_channels;
    int redacted;
    int done_pending; /* [DONE] seen: sent at the very end */
    /* the whole text (record) */
    struct util_buf full;     /* every released text, in event order */
    struct util_buf content0; /* choice 0's content, for structured-output validation */
    /* events waiting for slow checks (stream_first false) */
    int gating;
    struct util_buf queue;
    struct sf_mark {
        size_t queue_end, text_end;
    } *marks;
    size_t n_marks, cap_marks, marks_head;
    /* slow checks */
    size_t n_slow;
    int stream_first;
    size_t chunk_bytes, context_bytes;
    size_t overlap; /* bytes of context before each chunk (context_tokens, else one chunk) */
    size_t checked; /* text covered by passing slow checks */
    size_t next_boundary;
    size_t run_boundary; /* the running check covers text [run_from, run_boundary) */
    size_t run_from;
    int final_state;  /* 0: not started, 1: running, 2: passed (whole text checked at the end) */
    size_t run_index; /* which slow guard is running */
    struct guard_run *run;
    int finishing;
    int failed;
    int ended; /* the stream ended cleanly (its filter may go to the pool) */

    /* ---- from here on: space that outlives the stream (the thread's pool: pool_put) ---- */
    struct sse_parser parser;
    /* per guard of the request (cap_guards entries): the local checks' rules and guards, typed
     * redaction's numbering for the whole stream (or NULL), the slow checks */
    struct guard_stream_rule *rules;
    const struct config_guardrail **rule_guards;
    struct guard_placeholders **maps;
    const struct config_guardrail **slow;
    size_t cap_guards;
    struct sf_channel *channels; /* n_channels in use */
    size_t cap_channels;
    /* matchers of the last stream's channels, reused while the rules stay the same */
    struct guard_stream *spare_gs[SPARE_GS];
    size_t n_spare_gs;
    struct guard_stream_rule *spare_rules; /* the rules they were made for */
    size_t n_spare_rules, cap_spare_rules;
    struct sf_event ev, tmpl_ev;
    struct sf_event shapes[SHAPES]; /* events read whole, most recently used first (shape_order) */
    struct sf_event *read_shape;    /* the shape whose bytes the event just read has (NULL: none) */
    unsigned char shape_order[SHAPES];
    unsigned char shape_next[SHAPES]; /* per shape: the one that came right after it last time */
    unsigned long long gen;           /* this stream, unique in the process (channels of shapes) */
    struct util_buf piece;    /* one decoded text literal */
    struct util_buf released; /* what a channel releases for one literal */
    /* re-framed events not yet handed to the sink: one emit per upstream read, not per event */
    struct util_buf event;
    size_t event_start;              /* where the event being framed starts in it (SIZE_MAX: none) */
    struct stream_filter *pool_next; /* in the thread's pool of finished filters */
};

static int guard_applies(const struct config_guardrail *g)
{
    return g->stage == CONFIG_STAGE_OUTPUT && g->timing != CONFIG_TIMING_ASYNC_POST;
}

int stream_filter_active(const struct stream_sink *ctx)
{
    return ctx->sf != NULL;
}

static enum guard_stream_action stream_action(const struct config_guardrail *g)
{
    return g->action == CONFIG_ACTION_REDACT ? GUARD_STREAM_REDACT
           : g->action == CONFIG_ACTION_LOG  ? GUARD_STREAM_LOG
                                             : GUARD_STREAM_BLOCK;
}

/* A guard checked inline, per channel (regex, keywords, pii, secrets). */
static int local_inline(const struct stream_sink *ctx, const struct config_guardrail *g)
{
    return guard_local_scan(ctx->guards_env, g) != NULL || guard_local_detect(ctx->guards_env, g) != NULL;
}

/* ---- the thread's pool of finished filters ----
 *
 * A stream's filter keeps, beyond its stream, only scratch space: the SSE parser's and the
 * event buffers, the edit and token arrays, and the remembered event shapes (so a new
 * stream's first and last events are read like the text events between). Each loop
 * thread keeps up to POOL_MAX finished filters with that space for its next streams;
 * everything of a stream (channels' matchers, texts, queues) is freed when it ends. */

static __thread struct stream_filter *pool_head;
static __thread size_t pool_n;
static __thread int pool_registered; /* pool_key is set for this thread */
static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* Frees the scratch space (what outlives a stream) and the filter. */
static void spares_free(struct stream_filter *f)
{
    while (f->n_spare_gs > 0)
        guard_stream_free(f->spare_gs[--f->n_spare_gs]);
}

static void filter_destroy(struct stream_filter *f)
{
    spares_free(f);
    free(f->spare_rules);
    sse_parser_free(&f->parser);
    free(f->channels);
    free(f->ev.edits);
    free(f->tmpl_ev.edits);
    sse_json_tape_free(&f->ev.tape);
    sse_json_tape_free(&f->tmpl_ev.tape);
    for (size_t k = 0; k < SHAPES; k++) {
        free(f->shapes[k].shape);
        free(f->shapes[k].edits);
    }
    util_buf_free(&f->piece);
    util_buf_free(&f->released);
    util_buf_free(&f->event);
    free(f->maps);
    free(f->rules);
    free(f->rule_guards);
    free(f->slow);
    free(f);
}

/* At a thread's exit (its pool is unreachable after it). */
static void pool_drain(void *unused)
{
    (void)unused;
    while (pool_head != NULL) {
        struct stream_filter *f = pool_head;
        pool_head = f->pool_next;
        filter_destroy(f);
    }
    pool_n = 0;
}

static void pool_key_create(void)
{
    pthread_key_create(&pool_key, pool_drain);
}

/* A filter with no stream state, its arrays sized for n_guards. */
static struct stream_filter *pool_take(size_t n_guards)
{
    struct stream_filter *f = pool_head;
    if (f != NULL) {
        pool_head = f->pool_next;
        pool_n--;
        f->pool_next = NULL;
        sse_parser_reset(&f->parser);
    } else {
        f = util_calloc(1, sizeof(*f));
        sse_parser_init(&f->parser, SSE_EVENT_MAX);
        util_buf_init(&f->piece, SSE_EVENT_MAX);
        util_buf_init(&f->released, SSE_EVENT_MAX * 2);
        util_buf_init(&f->event, SSE_EVENT_MAX * 8 + BATCH_MAX);
        for (unsigned char k = 0; k < SHAPES; k++)
            f->shape_order[k] = f->shape_next[k] = k;
    }
    f->event_start = SIZE_MAX;
    static unsigned long long stream_gen;
    f->gen = __atomic_add_fetch(&stream_gen, 1, __ATOMIC_RELAXED);
    size_t n = n_guards ? n_guards : 1;
    if (n > f->cap_guards) {
        spares_free(f); /* they point into the rules array */
        f->cap_guards = n;
        f->slow = util_realloc(f->slow, n * sizeof(*f->slow));
        f->rules = util_realloc(f->rules, n * sizeof(*f->rules));
        f->rule_guards = util_realloc(f->rule_guards, n * sizeof(*f->rule_guards));
        f->maps = util_realloc(f->maps, n * sizeof(*f->maps));
    }
    memset(f->slow, 0, n * sizeof(*f->slow));
    memset(f->rules, 0, n * sizeof(*f->rules));
    memset(f->rule_guards, 0, n * sizeof(*f->rule_guards));
    memset(f->maps, 0, n * sizeof(*f->maps));
    return f;
}

static void buf_trim(struct util_buf *b)
{
    if (b->cap > POOL_BUF_KEEP)
        util_buf_free(b);
    util_buf_reset(b);
}

/* Ends f's stream state; the scratch space goes to the pool (or f is freed). */
static void pool_put(struct stream_filter *f)
{
    /* only filters of streams that ended cleanly: a burst of cut streams (clients gone)
     * leaves nothing behind that would hold the heap at its peak */
    int keep = f->ended && pool_n < POOL_MAX && f->parser.line.cap <= POOL_BUF_KEEP && f->parser.data.cap <= POOL_BUF_KEEP;
    for (size_t i = 0; i < f->n_channels; i++) {
        if (keep && f->channels[i].gs != NULL && f->n_spare_gs < SPARE_GS)
            f->spare_gs[f->n_spare_gs++] = f->channels[i].gs;
        else
            guard_stream_free(f->channels[i].gs);
        api_restorer_free(f->channels[i].rest);
        free(f->channels[i].tmpl);
    }
    if (f->n_spare_gs > 0) {
        if (f->n_rules > f->cap_spare_rules) {
            f->cap_spare_rules = f->n_rules;
            f->spare_rules = util_realloc(f->spare_rules, f->n_rules * sizeof(*f->spare_rules));
        }
        memcpy(f->spare_rules, f->rules, f->n_rules * sizeof(*f->rules));
        f->n_spare_rules = f->n_rules;
    }
    for (size_t r = 0; r < f->n_rules; r++)
        guard_placeholders_free(f->maps[r]);
    util_buf_free(&f->full);
    util_buf_free(&f->content0);
    util_buf_free(&f->queue);
    free(f->marks);
    if (!keep) {
        filter_destroy(f);
        return;
    }
    if (!pool_registered) {
        pthread_once(&pool_once, pool_key_create);
        pthread_setspecific(pool_key, &pool_head); /* non-NULL: pool_drain runs at the thread's exit */
        pool_registered = 1;
    }
    /* the stream's own state starts from zero; the space after it is kept */
    memset(f, 0, offsetof(struct stream_filter, parser));
    buf_trim(&f->piece);
    buf_trim(&f->released);
    buf_trim(&f->event);
    f->pool_next = pool_head;
    pool_head = f;
    pool_n++;
}

static int rules_same(const struct guard_stream_rule *a, size_t na, const struct guard_stream_rule *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i].scan != b[i].scan || a[i].action != b[i].action || a[i].replacement != b[i].replacement ||
            a[i].window != b[i].window || a[i].fail_open != b[i].fail_open || a[i].detect != b[i].detect ||
            a[i].detect_scratch != b[i].detect_scratch || a[i].threshold != b[i].threshold || a[i].map != NULL ||
            b[i].map != NULL)
            return 0;
    return 1;
}

void stream_filter_begin(struct stream_sink *ctx)
{
    int record = 0, filter = 0, slow_or_async = 0;
    for (size_t i = 0; i < ctx->n_guards; i++) {
        const struct config_guardrail *g = ctx->guards[i];
        if (g->stage != CONFIG_STAGE_OUTPUT)
            continue;
        if (guard_applies(g))
            filter = 1;
        /* checks without an inline scanner (remote ones) need the recorded text */
        if (!guard_applies(g) || !local_inline(ctx, g))
            slow_or_async = 1;
    }
    /* reversible redaction of the request: the originals go back in, after the checks */
    if (ctx->n_placeholders > 0)
        filter = 1;
    /* structured output streamed through (stream: pass) is checked at the end: hold [DONE] */
    int validate = ctx->validate;
    if (validate)
        filter = 1;
    record = slow_or_async || validate;
    if (ctx->sf != NULL)
        return;
    ctx->usage = NULL; /* a new stream: the tap reads it until stream_filter_reads_usage */
    if (!record && !filter)
        return;
    size_t cap = ctx->max_response_bytes;
    struct stream_filter *f = pool_take(ctx->n_guards);
    f->filtering = filter;
    f->record = record;
    f->restore_maps = ctx->placeholders;
    f->n_restore = ctx->n_placeholders;
    f->content_json = ctx->content_json;
    util_buf_init(&f->full, cap);
    util_buf_init(&f->content0, validate ? cap : 0);
    util_buf_init(&f->queue, cap);
    for (size_t i = 0; i < ctx->n_guards; i++) {
        const struct config_guardrail *g = ctx->guards[i];
        if (!guard_applies(g))
            continue;
        const struct guard_scan *scan = guard_local_scan(ctx->guards_env, g);
        const struct detect_set *det = guard_local_detect(ctx->guards_env, g);
        if (scan != NULL || det != NULL) {
            struct guard_stream_rule r = {.scan = scan,
                                          .action = stream_action(g),
                                          .replacement = g->replacement ? g->replacement : "[REDACTED]",
                                          .window = guard_stream_window(ctx->guards_env, g),
                                          .fail_open = g->on_error == CONFIG_ON_ERROR_FAIL_OPEN};
            if (det != NULL) {
                r.detect = det;
                r.detect_scratch = guard_env_detect_scratch(ctx->guards_env);
                r.threshold = g->score_threshold;
                r.replacement = GUARD_MASK;
                if (g->action == CONFIG_ACTION_REDACT && g->redaction != CONFIG_REDACT_MASK)
                    r.map = f->maps[f->n_rules] = guard_placeholders_new();
            }
            f->rule_guards[f->n_rules] = g;
            f->rules[f->n_rules++] = r;
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
    /* the last stream's matchers serve this one only if made for the same rules */
    if (f->n_spare_gs > 0 && !rules_same(f->rules, f->n_rules, f->spare_rules, f->n_spare_rules))
        spares_free(f);
    /* with no context configured, each chunk is checked together with the previous one */
    f->overlap = f->context_bytes > 0 ? f->context_bytes : f->chunk_bytes;
    f->next_boundary = f->chunk_bytes;
    f->gating = f->n_slow > 0 && !f->stream_first;
    ctx->sf = f;
}

/* Hands the framed events to the sink (not the one being framed). */
static void batch_send(struct stream_sink *ctx)
{
    struct stream_filter *f = ctx->sf;
    size_t n = f->event_start != SIZE_MAX ? f->event_start : f->event.len;
    if (n > 0)
        ctx->ops->emit(ctx->ud, f->event.data, n);
    util_buf_consume(&f->event, n);
    if (f->event_start != SIZE_MAX)
        f->event_start = 0;
}

static void fail(struct stream_sink *ctx, const struct config_guardrail *g, const struct guard_verdict *v)
{
    struct stream_filter *f = ctx->sf;
    f->failed = 1;
    /* the events before this one go out first; a half-framed one never does */
    batch_send(ctx);
    if (f->event_start != SIZE_MAX)
        f->event.len = f->event_start;
    ctx->ops->block(ctx->ud, g, v);
}

/* The stream cannot be checked (too large, not SSE/JSON we can read): it ends here. */
static void fail_unverifiable(struct stream_sink *ctx, const char *why)
{
    struct guard_verdict v = {0};
    snprintf(v.reason, sizeof(v.reason), "%s", why);
    fail(ctx, NULL, &v);
}

/* ---- reading an event ---- */

static int key_index(const char *j, size_t ks, size_t ke, const char *const *names, size_t n)
{
    char c = ke > ks + 2 ? j[ks + 1] : 0;
    for (size_t i = 0; i < n; i++)
        if ((c == names[i][0] || c == '\\') && sse_json_key_is(j, ks, ke, names[i]))
            return (int)i;
    return -1;
}

/* A member seen twice makes the object mean different things to different readers. */
static int seen_twice(struct sf_event *ev, unsigned *seen, int k)
{
    if (k < 0)
        return 0;
    if (*seen & (1u << k)) {
        ev->bad = "an event repeats a member";
        return 1;
    }
    *seen |= 1u << k;
    return 0;
}

static long parse_index(const char *j, size_t s, size_t e)
{
    long v = 0;
    if (s >= e || e - s > 6)
        return -1;
    for (size_t i = s; i < e; i++) {
        if (j[i] < '0' || j[i] > '9')
            return -1;
        v = v * 10 + (j[i] - '0');
    }
    return v;
}

static size_t channel_of(struct stream_filter *f, struct sf_event *ev, long choice, enum sf_field field, long tool)
{
    for (size_t i = 0; i < f->n_channels; i++)
        if (f->channels[i].choice == choice && f->channels[i].field == field && f->channels[i].tool == tool)
            return i;
    if (f->n_channels == MAX_CHANNELS) {
        ev->bad = "too many text fields in one stream";
        return SIZE_MAX;
    }
    if (f->n_channels == f->cap_channels) {
        f->cap_channels = f->cap_channels ? f->cap_channels * 2 : 4;
        f->channels = util_realloc(f->channels, f->cap_channels * sizeof(*f->channels));
    }
    struct sf_channel *c = &f->channels[f->n_channels];
    memset(c, 0, sizeof(*c));
    c->choice = choice;
    c->field = field;
    c->tool = tool;
    if (f->n_rules > 0 && f->n_spare_gs > 0) {
        c->gs = f->spare_gs[--f->n_spare_gs];
        guard_stream_reset(c->gs);
    } else if (f->n_rules > 0) {
        c->gs = guard_stream_new(f->rules, f->n_rules);
    }
    if (c->gs != NULL)
        guard_stream_set_json(c->gs, field == F_TOOL_ARGS || field == F_FUNC_ARGS);
    /* tool-call arguments are JSON, and so is the content when response_format asks for JSON (as a
     * whole answer's JSON content is restored, api_restore_texts): an original goes in escaped */
    if (f->n_restore > 0)
        c->rest = api_restorer_new(f->restore_maps, f->n_restore,
                                   field == F_TOOL_ARGS || field == F_FUNC_ARGS || (field == F_CONTENT && f->content_json));
    /* a channel that may hold text gets its template's space now, with the channel, rather
     * than later among a busy stream's buffers (where it would pin the heap's top) */
    if (c->gs != NULL || c->rest != NULL) {
        c->tmpl_cap = 256;
        c->tmpl = util_malloc(c->tmpl_cap);
    }
    return f->n_channels++;
}

static void edits_reserve(struct sf_event *ev, size_t n)
{
    if (n <= ev->cap)
        return;
    ev->cap = n;
    ev->edits = util_realloc(ev->edits, ev->cap * sizeof(*ev->edits));
}

static void add_edit(struct sf_event *ev, size_t s, size_t e, enum sf_edit_kind kind, size_t ch)
{
    if (ev->n >= MAX_EDITS) {
        ev->bad = "too many text values in one event";
        return;
    }
    if (ev->n == ev->cap)
        edits_reserve(ev, ev->cap ? ev->cap * 2 : 8);
    ev->edits[ev->n++] = (struct sf_edit){.start = s, .end = e, .kind = kind, .channel = ch};
}

/* A text field: a string (a piece of its channel) or null; anything else cannot be checked. */
static void read_text(struct stream_filter *f, struct sf_event *ev, const char *j, size_t vs, size_t ve, long choice,
                      enum sf_field field, long tool)
{
    char t = json_span_type(j + vs);
    if (t == 'n')
        return;
    if (t != '"') {
        ev->bad = "a text field of the answer is not a string";
        return;
    }
    size_t ch = channel_of(f, ev, choice, field, tool);
    if (ch != SIZE_MAX)
        add_edit(ev, vs, ve, EDIT_TEXT, ch);
}

/* A member outside the contract (not text we know, not known metadata): any string in
 * it may reach a reader, so each is checked as text (unknown_fields: check). */
static void read_other(struct stream_filter *f, struct sf_event *ev, const char *j, size_t s, size_t e, long choice)
{
    size_t pos = 0, ks, ke, vs, ve;
    switch (json_span_type(j + s)) {
    case '"':
        read_text(f, ev, j, s, e, choice, F_OTHER, 0);
        break;
    case '{':
        while (!ev->bad && sse_json_tape_object_next(&ev->tape, s, &pos, &ks, &ke, &vs, &ve))
            read_other(f, ev, j, vs, ve, choice);
        break;
    case '[':
        while (!ev->bad && sse_json_tape_array_next(&ev->tape, s, &pos, &vs, &ve))
            read_other(f, ev, j, vs, ve, choice);
        break;
    }
}

/* Known metadata is a scalar (id, role, finish_reason...); a container there is not
 * metadata we know, so its strings are checked like any member outside the contract. */
static void read_metadata(struct stream_filter *f, struct sf_event *ev, const char *j, size_t s, size_t e, long choice)
{
    char t = json_span_type(j + s);
    if (t == '{' || t == '[')
        read_other(f, ev, j, s, e, choice);
    else if (t == '"' && ev->n_loose <= MAX_LOOSE && ev->n_loose++ < MAX_LOOSE)
        ev->loose[ev->n_loose - 1] = (struct sf_span){s, e};
}

static int is_object(const char *j, size_t vs)
{
    return json_span_type(j + vs) == '{';
}

/* 1 if the value at j[s] has type `type` ('{' or '['); 0 if it is null; 0 with ev->bad = why otherwise. */
static int expect(struct sf_event *ev, const char *j, size_t s, char type, const char *why)
{
    char t = json_span_type(j + s);
    if (t != type && t != 'n')
        ev->bad = why;
    return t == type;
}

/* {"name": ..., "arguments": ...} of a tool call or a legacy function_call. */
static void read_function(struct stream_filter *f, struct sf_event *ev, const char *j, size_t s, size_t e, long choice,
                          enum sf_field name_field, enum sf_field args_field, long tool)
{
    static const char *const keys[] = {"name", "arguments"};
    size_t pos = 0, ks, ke, vs, ve;
    unsigned seen = 0;
    if (!expect(ev, j, s, '{', "a function of the answer is not an object"))
        return;
    while (!ev->bad && sse_json_tape_object_next(&ev->tape, s, &pos, &ks, &ke, &vs, &ve)) {
        int k = key_index(j, ks, ke, keys, 2);
        if (seen_twice(ev, &seen, k))
            continue;
        if (k < 0)
            read_other(f, ev, j, vs, ve, choice);
        else
            read_text(f, ev, j, vs, ve, choice, k == 0 ? name_field : args_field, tool);
    }
}

static void read_tool_calls(struct stream_filter *f, struct sf_event *ev, const char *j, size_t s, size_t e, long choice)
{
    static const char *const keys[] = {"index", "function", "id", "type"};
    size_t apos = 0, es, ee;
    if (!expect(ev, j, s, '[', "tool_calls is not an array"))
        return;
    for (long nth = 0; !ev->bad && sse_json_tape_array_next(&ev->tape, s, &apos, &es, &ee); nth++) {
        size_t pos = 0, ks, ke, vs, ve, fs = 0, fe = 0;
        unsigned seen = 0;
        long index = nth;
        if (!is_object(j, es)) {
            ev->bad = "a tool call is not an object";
            return;
        }
        while (!ev->bad && sse_json_tape_object_next(&ev->tape, es, &pos, &ks, &ke, &vs, &ve)) {
            int k = key_index(j, ks, ke, keys, 4);
            if (seen_twice(ev, &seen, k))
                continue;
            if (k == 0)
                index = parse_index(j, vs, ve);
            else if (k == 1)
                fs = vs, fe = ve;
            else if (k < 0)
                read_other(f, ev, j, vs, ve, choice);
            else
                read_metadata(f, ev, j, vs, ve, choice);
        }
        if (index < 0 || (nth > 0 && !(seen & 1u))) {
            ev->bad = "a tool call index is missing or not a small integer";
            return;
        }
        if (fe > fs && !ev->bad)
            read_function(f, ev, j, fs, fe, choice, F_TOOL_NAME, F_TOOL_ARGS, index);
    }
}

/* logprobs.content / .refusal: [{token, bytes, top_logprobs}...] */
static void read_logprob_list(struct stream_filter *f, struct sf_event *ev, const char *j, size_t s, size_t e, long choice,
                              enum sf_field field)
{
    static const char *const keys[] = {"token", "bytes", "top_logprobs", "logprob"};
    size_t apos = 0, es, ee;
    if (!expect(ev, j, s, '[', "logprobs is not an array"))
        return;
    while (!ev->bad && sse_json_tape_array_next(&ev->tape, s, &apos, &es, &ee)) {
        size_t pos = 0, ks, ke, vs, ve;
        unsigned seen = 0;
        if (!is_object(j, es)) {
            ev->bad = "a logprob is not an object";
            return;
        }
        while (!ev->bad && sse_json_tape_object_next(&ev->tape, es, &pos, &ks, &ke, &vs, &ve)) {
            int k = key_index(j, ks, ke, keys, 4);
            if (seen_twice(ev, &seen, k))
                continue;
            if (k == 3)
                read_metadata(f, ev, j, vs, ve, choice);
            else if (k < 0)
                read_other(f, ev, j, vs, ve, choice);
            else if (k == 0)
                read_text(f, ev, j, vs, ve, choice, field, 0);
            else if (json_span_type(j + vs) != 'n')
                add_edit(ev, vs, ve, k == 1 ? EDIT_NULL : EDIT_EMPTY, 0);
        }
    }
}

static void read_logprobs(struct stream_filter *f, struct sf_event *ev, const char *j, size_t s, size_t e, long choice)
{
    static const char *const keys[] = {"content", "refusal"};
    size_t pos = 0, ks, ke, vs, ve;
    unsigned seen = 0;
    if (!is_object(j, s)) {
        read_other(f, ev, j, s, e, choice); /* null; any other shape is checked as text */
        return;
    }
    while (!ev->bad && sse_json_tape_object_next(&ev->tape, s, &pos, &ks, &ke, &vs, &ve)) {
        int k = key_index(j, ks, ke, keys, 2);
        if (seen_twice(ev, &seen, k))
            continue;
        if (k < 0)
            read_other(f, ev, j, vs, ve, choice);
        else
            read_logprob_list(f, ev, j, vs, ve, choice, k == 0 ? F_LP_CONTENT : F_LP_REFUSAL);
    }
}

/* delta.content (or reasoning) given as a list of parts: each part's text goes to the
 * field's channel, as a client joins them, so text split across parts is one text to the
 * checks; the rest of a part is read like any member. */
static void read_text_parts(struct stream_filter *f, struct sf_event *ev, const char *j, size_t s, size_t e, long choice,
                            enum sf_field field)
{
    static const char *const keys[] = {"text", "type"};
    size_t apos = 0, es, ee;
    while (!ev->bad && sse_json_tape_array_next(&ev->tape, s, &apos, &es, &ee)) {
        size_t pos = 0, ks, ke, vs, ve;
        unsigned seen = 0;
        if (!is_object(j, es)) {
            read_text(f, ev, j, es, ee, choice, field, 0); /* a bare string is text; anything else cannot be checked */
            continue;
        }
        while (!ev->bad && sse_json_tape_object_next(&ev->tape, es, &pos, &ks, &ke, &vs, &ve)) {
            int k = key_index(j, ks, ke, keys, 2);
            if (seen_twice(ev, &seen, k))
                continue;
            if (k == 0)
                read_text(f, ev, j, vs, ve, choice, field, 0);
            else if (k == 1)
                read_metadata(f, ev, j, vs, ve, choice);
            else
                read_other(f, ev, j, vs, ve, choice);
        }
    }
}

static void read_delta(struct stream_filter *f, struct sf_event *ev, const char *j, size_t s, size_t e, long choice)
{
    static const char *const keys[] = {"content",    "reasoning_content", "reasoning", "refusal",
                                       "tool_calls", "function_call",     "role"};
    static const enum sf_field fields[] = {F_CONTENT, F_REASONING_CONTENT, F_REASONING, F_REFUSAL};
    size_t pos = 0, ks, ke, vs, ve;
    unsigned seen = 0;
    if (!expect(ev, j, s, '{', "a delta is not an object"))
        return;
    while (!ev->bad && sse_json_tape_object_next(&ev->tape, s, &pos, &ks, &ke, &vs, &ve)) {
        int k = key_index(j, ks, ke, keys, 7);
        if (seen_twice(ev, &seen, k))
            continue;
        if (k == 6)
            read_metadata(f, ev, j, vs, ve, choice);
        else if (k < 0)
            read_other(f, ev, j, vs, ve, choice);
        else if (k < 4 && json_span_type(j + vs) == '[')
            read_text_parts(f, ev, j, vs, ve, choice, fields[k]);
        else if (k < 4)
            read_text(f, ev, j, vs, ve, choice, fields[k], 0);
        else if (k == 4)
            read_tool_calls(f, ev, j, vs, ve, choice);
        else
            read_function(f, ev, j, vs, ve, choice, F_FUNC_NAME, F_FUNC_ARGS, 0);
    }
}

static void read_choice(struct stream_filter *f, struct sf_event *ev, const char *j, size_t s, size_t e, long nth)
{
    enum { K_INDEX, K_DELTA, K_MESSAGE, K_TEXT, K_LOGPROBS, K_FINISH, K_N };
    static const char *const keys[] = {"index", "delta", "message", "text", "logprobs", "finish_reason"};
    size_t at[K_N][2] = {{0}};
    size_t pos = 0, ks, ke, vs, ve;
    unsigned seen = 0;
    int others = 0;
    if (!is_object(j, s)) {
        ev->bad = "a choice is not an object";
        return;
    }
    while (!ev->bad && sse_json_tape_object_next(&ev->tape, s, &pos, &ks, &ke, &vs, &ve)) {
        int k = key_index(j, ks, ke, keys, K_N);
        if (seen_twice(ev, &seen, k))
            continue;
        if (k < 0) {
            others = 1;
            continue;
        }
        at[k][0] = vs;
        at[k][1] = ve;
    }
    if (ev->bad)
        return;
    /* without an index, readers disagree on which choice this is (its position? 0?): one
     * choice per event is unambiguous, a second one is not */
    long choice = at[K_INDEX][1] ? parse_index(j, at[K_INDEX][0], at[K_INDEX][1]) : nth == 0 ? 0 : -1;
    if (choice < 0) {
        ev->bad = "a choice index is missing or not a small integer";
        return;
    }
    if (at[K_DELTA][1])
        read_delta(f, ev, j, at[K_DELTA][0], at[K_DELTA][1], choice);
    if (at[K_MESSAGE][1] && !ev->bad)
        read_delta(f, ev, j, at[K_MESSAGE][0], at[K_MESSAGE][1], choice);
    if (at[K_TEXT][1] && !ev->bad)
        read_text(f, ev, j, at[K_TEXT][0], at[K_TEXT][1], choice, F_TEXT, 0);
    if (at[K_LOGPROBS][1] && !ev->bad)
        read_logprobs(f, ev, j, at[K_LOGPROBS][0], at[K_LOGPROBS][1], choice);
    if (at[K_FINISH][1] && json_span_type(j + at[K_FINISH][0]) == '"' && ev->n_finishing < 16)
        ev->finishing[ev->n_finishing++] = choice;
    if (at[K_FINISH][1] && !ev->bad)
        read_metadata(f, ev, j, at[K_FINISH][0], at[K_FINISH][1], choice);
    /* members outside the contract, now that the choice's index is known */
    for (pos = 0; others && !ev->bad && sse_json_tape_object_next(&ev->tape, s, &pos, &ks, &ke, &vs, &ve);)
        if (key_index(j, ks, ke, keys, K_N) < 0)
            read_other(f, ev, j, vs, ve, choice);
}

static int cmp_edit(const void *a, const void *b)
{
    const struct sf_edit *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_span(const void *a, const void *b)
{
    const struct sf_span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int choice_finishing(const struct sf_event *ev, long choice)
{
    for (size_t i = 0; i < ev->n_finishing; i++)
        if (ev->finishing[i] == choice)
            return 1;
    return 0;
}

/* Most events of a stream differ from one read before only inside their string literals
 * (a stream's text events from each other; its first and last events from another
 * stream's). When every byte outside the text literals and the metadata strings equals
 * the remembered shape's, and each of those literals is a valid string, a full read would
 * find the same members, channels, finishing choices and edits (what a metadata string
 * says is never read; only the literals' spans move). Returns 1 with ev holding sh's
 * reading at the new spans (channels not resolved yet), 0 when they differ (sh is not
 * changed; ev's spans may be). */
/* The length of the common prefix of a and b (n if they are equal). */
static size_t common_prefix(const char *a, const char *b, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(a + i));
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
        if (m != 0xFFFF)
            return i + (size_t)__builtin_ctz(~m);
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            break;
    }
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

/* json_span_string_end (p at the opening quote) for a streamed text literal, usually a
 * few bytes of printable ASCII: those are read here up to the quote; anything else (an
 * escape, a control or non-ASCII byte, a longer text) goes the full way. */
static const char *literal_end(const char *p, const char *e, const char **msg)
{
    const char *q = p + 1;
    for (int k = 0; k < 8 && q < e; k++, q++) {
        unsigned char c = (unsigned char)*q;
        if (c == '"')
            return q + 1;
        if (c < 0x20 || c == '\\' || c >= 0x80)
            break;
    }
    int escaped = 0;
    return json_span_string_end(p, e, &escaped, msg);
}

static int shape_match(const struct sf_event *sh, struct sf_event *ev, const char *j, size_t len, int *moved)
{
    const char *prev = sh->shape;
    size_t at = 0, from = 0; /* the same point in j and in prev */
    size_t ie = 0, il = 0;   /* the next edit and metadata string, in document order */
    /* metadata strings moved as a block (their new spans are needed only if one changed) */
    struct {
        size_t il_from, il_to, at, from;
    } blocks[MAX_LOOSE];
    size_t n_blocks = 0;
    if (sh->shape_len == 0)
        return 0;
    edits_reserve(ev, sh->n);
    *moved = 0;
    /* the usual text event: one text literal after every metadata string, those unchanged */
    size_t p = sh->n == 1 ? sh->edits[0].start : 0;
    if (p > 0 && (sh->n_loose == 0 || sh->loose[sh->n_loose - 1].end <= p) && len > p && j[p] == '"' &&
        memcmp(j, prev, p) == 0) {
        const char *msg = NULL;
        const char *q = literal_end(j + p, j + len, &msg);
        size_t e = (size_t)(q - j), tail = sh->shape_len - sh->edits[0].end;
        if (msg != NULL || len - e != tail || memcmp(q, prev + sh->edits[0].end, tail) != 0)
            return 0;
        ev->edits[0] = sh->edits[0];
        ev->edits[0].start = p, ev->edits[0].end = e;
        at = len, ie = 1, il = sh->n_loose;
        goto matched;
    }
    while (ie < sh->n || il < sh->n_loose) {
        size_t s, e, *ns, *ne;
        /* the metadata strings before the next text (id, model...) usually repeat byte for
         * byte: one comparison up to that text moves them all */
        size_t stop = ie < sh->n ? sh->edits[ie].start : sh->shape_len;
        if (il < sh->n_loose && sh->loose[il].start < stop) {
            size_t n = stop - from, same = len - at >= n && memcmp(j + at, prev + from, n) == 0
                                              ? n
                                              : common_prefix(j + at, prev + from, len - at < n ? len - at : n);
            if (same == n) {
                size_t il_from = il;
                while (il < sh->n_loose && sh->loose[il].start < stop)
                    il++;
                blocks[n_blocks++] = (typeof(blocks[0])){il_from, il, at, from};
                at += n;
                from = stop;
                continue;
            }
            /* the first difference is outside every metadata string: another shape */
            size_t k = il;
            while (k < sh->n_loose && sh->loose[k].end <= from + same)
                k++;
            if (k == sh->n_loose || sh->loose[k].start > from + same)
                return 0;
            *moved = 1; /* a metadata string changed: the shape follows it (shape_keep) */
        }
        if (il == sh->n_loose || (ie < sh->n && sh->edits[ie].start < sh->loose[il].start)) {
            s = sh->edits[ie].start, e = sh->edits[ie].end;
            ns = &ev->edits[ie].start, ne = &ev->edits[ie].end, ie++;
        } else {
            s = sh->loose[il].start, e = sh->loose[il].end;
            ns = &ev->loose[il].start, ne = &ev->loose[il].end, il++;
        }
        size_t gap = s - from;
        if (len - at <= gap || (gap > 0 && memcmp(j + at, prev + from, gap) != 0) || j[at + gap] != '"')
            return 0;
        at += gap;
        int escaped = 0;
        const char *msg = NULL;
        const char *q = json_span_string_end(j + at, j + len, &escaped, &msg);
        if (msg != NULL)
            return 0;
        from = e;
        *ns = at;
        *ne = at = (size_t)(q - j);
    }
    if (len - at != sh->shape_len - from || memcmp(j + at, prev + from, len - at) != 0)
        return 0;
    for (size_t i = 0; i < sh->n; i++) {
        struct sf_edit *d = &ev->edits[i];
        size_t ds = d->start, de = d->end;
        *d = sh->edits[i];
        d->start = ds, d->end = de;
    }
matched:
    for (size_t b = 0; *moved && b < n_blocks; b++)
        for (size_t k = blocks[b].il_from; k < blocks[b].il_to; k++)
            ev->loose[k] = (struct sf_span){blocks[b].at + (sh->loose[k].start - blocks[b].from),
                                            blocks[b].at + (sh->loose[k].end - blocks[b].from)};
    ev->n = sh->n;
    ev->n_loose = sh->n_loose;
    for (size_t i = 0; i < sh->n_finishing; i++)
        ev->finishing[i] = sh->finishing[i];
    ev->n_finishing = sh->n_finishing;
    ev->error_event = sh->error_event;
    ev->has_usage = sh->has_usage;
    ev->bad = NULL;
    return 1;
}

/* Makes sh the event just read as ev (its bytes, edits and metadata spans). */
static void shape_keep(struct sf_event *sh, const struct sf_event *ev, const char *j, size_t len)
{
    if (len > sh->shape_cap) {
        sh->shape_cap = len < 512 ? 512 : len;
        sh->shape = util_realloc(sh->shape, sh->shape_cap);
    }
    memcpy(sh->shape, j, len);
    sh->shape_len = len;
    edits_reserve(sh, ev->n);
    if (ev->n > 0) /* an event with no text has no edits array yet */
        memcpy(sh->edits, ev->edits, ev->n * sizeof(*ev->edits));
    sh->n = ev->n;
    memcpy(sh->loose, ev->loose, ev->n_loose * sizeof(*ev->loose));
    sh->n_loose = ev->n_loose;
    memcpy(sh->finishing, ev->finishing, ev->n_finishing * sizeof(*ev->finishing));
    sh->n_finishing = ev->n_finishing;
    sh->error_event = ev->error_event;
    sh->has_usage = ev->has_usage;
}

/* Shape `slot` read the event: it moves to the front, and is what came after the last. */
static void shape_used(struct stream_filter *f, unsigned char slot)
{
    size_t k = 0;
    while (k < SHAPES - 1 && f->shape_order[k] != slot)
        k++;
    f->shape_next[f->shape_order[0]] = slot;
    for (; k > 0; k--)
        f->shape_order[k] = f->shape_order[k - 1];
    f->shape_order[0] = slot;
}

/* Reads j through a remembered shape: 1 (ev read, its channels resolved), 0 (no shape
 * fits: read it whole), -1 (ev->bad: too many channels). The shape that followed the last
 * one used last time is tried first (a stream's first event after the last one of the
 * stream before, its first text event after its first event, the usage chunk after the
 * finish), then the last one (a repeating shape is its own next; its usual event
 * read_as_last has taken), then the others. */
static int read_known_shape(struct stream_filter *f, struct sf_event *ev, const char *j, size_t len)
{
    unsigned char last = f->shape_order[0], next = f->shape_next[last];
    for (size_t k = 0; k <= SHAPES; k++) {
        unsigned char slot = k == 0 ? next : k == 1 ? last : f->shape_order[k - 1];
        if ((k == 1 && next == last) || (k > 1 && (slot == last || slot == next)))
            continue;
        struct sf_event *sh = &f->shapes[slot];
        int moved;
        if (!shape_match(sh, ev, j, len, &moved))
            continue;
        /* the channels of the shape's edits are this stream's once resolved */
        if (sh->gen != f->gen) {
            for (size_t i = 0; i < ev->n; i++) {
                struct sf_edit *d = &ev->edits[i];
                if ((d->channel = channel_of(f, ev, d->choice, d->field, d->tool)) == SIZE_MAX)
                    return -1;
                sh->edits[i].channel = d->channel;
            }
            sh->gen = f->gen;
        }
        /* the bytes outside text literals are the shape's: it needs no update unless a
         * metadata string changed (then the next event is likelier to look like this one) */
        if (moved)
            shape_keep(sh, ev, j, len);
        shape_used(f, slot);
        f->read_shape = sh;
        return 1;
    }
    return 0;
}

/* Remembers an event read whole, in place of the least recently used shape. Only events
 * whose edits are all text literals (shape_match walks string literals), not too large. */
static void remember_shape(struct stream_filter *f, struct sf_event *ev, const char *j, size_t len)
{
    if (len > SHAPE_MAX || ev->n_loose > MAX_LOOSE)
        return;
    for (size_t i = 0; i < ev->n; i++) {
        struct sf_edit *d = &ev->edits[i];
        if (d->kind != EDIT_TEXT)
            return;
        const struct sf_channel *c = &f->channels[d->channel];
        d->choice = c->choice, d->tool = c->tool, d->field = c->field;
    }
    unsigned char slot = f->shape_order[SHAPES - 1];
    shape_keep(&f->shapes[slot], ev, j, len);
    f->shapes[slot].usage_read = 0; /* other bytes (a shape that moved keeps them outside its metadata strings) */
    f->shapes[slot].gen = f->gen;
    shape_used(f, slot);
    f->read_shape = &f->shapes[slot];
}

/* The usual event of a stream: the last shape's one text literal, up to 24 bytes of printable
 * ASCII, and every other byte the same. That is shape_match's first case on the shape
 * read_known_shape tries first, without its general walk; 1 when ev was read so. */
static int read_as_last(struct stream_filter *f, struct sf_event *ev, const char *j, size_t len)
{
    unsigned char slot = f->shape_order[0];
    struct sf_event *sh = &f->shapes[slot];
    if (sh->n != 1 || sh->gen != f->gen || sh->n_finishing != 0 || ev->cap == 0)
        return 0;
    size_t p = sh->edits[0].start, tail = sh->shape_len - sh->edits[0].end;
    if (p == 0 || len <= p || j[p] != '"' || (sh->n_loose > 0 && sh->loose[sh->n_loose - 1].end > p))
        return 0;
    size_t end = p + 1;
    for (; end < len && end < p + 25; end++) {
        unsigned char c = (unsigned char)j[end];
        if (c == '"' || c < 0x20 || c == '\\' || c >= 0x80)
            break;
    }
    if (end >= len || j[end] != '"' || len - ++end != tail || memcmp(j, sh->shape, p) != 0 ||
        memcmp(j + end, sh->shape + sh->edits[0].end, tail) != 0)
        return 0;
    ev->edits[0] = sh->edits[0];
    ev->edits[0].start = p, ev->edits[0].end = end;
    ev->n = 1;
    ev->n_loose = sh->n_loose;
    ev->n_finishing = 0;
    ev->error_event = sh->error_event;
    ev->has_usage = sh->has_usage;
    ev->plain0 = 1;
    ev->bad = NULL;
    f->shape_next[slot] = slot; /* shape_used, with the shape already first */
    f->read_shape = sh;
    return 1;
}

/* Reads the event json[0, len) into ev. Returns 0, or -1 with ev->bad set. */
static int read_event(struct stream_filter *f, struct sf_event *ev, const char *j, size_t len)
{
    if (read_as_last(f, ev, j, len))
        return 0;
    ev->plain0 = 0;
    /* known metadata: no text of the model's */
    static const char *const keys[] = {"choices", "error",        "id",          "object",     "created",
                                       "model",   "service_tier", "obfuscation", "usage",      "system_fingerprint"};
    f->read_shape = NULL;
    int known = read_known_shape(f, ev, j, len);
    if (known != 0)
        return known > 0 ? 0 : -1;
    ev->n_loose = 0;
    ev->n = 0;
    ev->n_finishing = 0;
    ev->error_event = 0;
    ev->has_usage = 0;
    ev->bad = NULL;
    int valid = sse_json_tape_build(&ev->tape, j, len) == 0 && json_span_type(j) == '{';
    /* the tokens are needed only while reading: a huge event's are not kept */
    if (!valid) {
        sse_json_tape_trim(&ev->tape, TAPE_KEEP);
        ev->bad = "an event is not a JSON object";
        return -1;
    }
    size_t pos = 0, ks, ke, vs, ve;
    unsigned seen = 0;
    while (!ev->bad && sse_json_tape_object_next(&ev->tape, 0, &pos, &ks, &ke, &vs, &ve)) {
        int k = key_index(j, ks, ke, keys, 10);
        if (seen_twice(ev, &seen, k))
            continue;
        if (k >= 2) {
            if (k == 8 && j[vs] == '{')
                ev->has_usage = 1;
            read_metadata(f, ev, j, vs, ve, -1);
            continue;
        }
        if (k < 0) {
            read_other(f, ev, j, vs, ve, -1);
            continue;
        }
        if (k == 1) {
            /* an upstream error event may quote the prompt (a canary, a secret): its strings
             * are text the client reads, checked like any member outside the contract */
            ev->error_event = 1;
            read_other(f, ev, j, vs, ve, -1);
            continue;
        }
        if (!expect(ev, j, vs, '[', "choices is not an array"))
            continue;
        size_t apos = 0, es, ee;
        for (long nth = 0; !ev->bad && sse_json_tape_array_next(&ev->tape, vs, &apos, &es, &ee); nth++)
            read_choice(f, ev, j, es, ee, nth);
    }
    sse_json_tape_trim(&ev->tape, TAPE_KEEP);
    if (ev->bad)
        return -1;
    if (ev->n > 1)
        qsort(ev->edits, ev->n, sizeof(*ev->edits), cmp_edit);
    if (ev->n_loose > 1 && ev->n_loose <= MAX_LOOSE)
        qsort(ev->loose, ev->n_loose, sizeof(*ev->loose), cmp_span);
    /* a channel's last piece in an event whose finish_reason ends its choice is final */
    for (size_t i = 0; i < ev->n; i++) {
        const struct sf_edit *d = &ev->edits[i];
        if (d->kind != EDIT_TEXT || !choice_finishing(ev, f->channels[d->channel].choice))
            continue;
        size_t last = i;
        for (size_t k = i + 1; k < ev->n; k++)
            if (ev->edits[k].kind == EDIT_TEXT && ev->edits[k].channel == d->channel)
                last = k;
        ev->edits[last].final = 1;
    }
    remember_shape(f, ev, j, len);
    return 0;
}

/* ---- re-framing ---- */

/* Appends released text to the recordings; -1 when over max_response_bytes. */
static int record(struct stream_filter *f, const struct sf_channel *c, const char *text, size_t len)
{
    if (!f->record || len == 0)
        return 0;
    if (util_buf_append(&f->full, text, len) != 0)
        return -1;
    if (c->choice == 0 && c->field == F_CONTENT && f->content0.limit > 0 && util_buf_append(&f->content0, text, len) != 0)
        return -1;
    return 0;
}

/* A local guard stopped the channel: the stream ends with its verdict. */
static void channel_stopped(struct stream_sink *ctx, int status, const struct guard_stream_result *res)
{
    struct stream_filter *f = ctx->sf;
    const struct config_guardrail *g = f->rule_guards[res->rule];
    struct guard_verdict v = {0};
    v.guard = g;
    v.outcome = GUARD_BLOCK;
    v.violation = status == GUARD_STREAM_MATCH;
    v.errored = status == GUARD_STREAM_ERROR;
    if (status == GUARD_STREAM_MATCH && res->type[0])
        snprintf(v.reason, sizeof(v.reason), "found %s", res->type);
    else if (status == GUARD_STREAM_MATCH && g->type == CONFIG_GUARD_KEYWORDS)
        snprintf(v.reason, sizeof(v.reason), "matched a keyword");
    else if (status == GUARD_STREAM_MATCH)
        snprintf(v.reason, sizeof(v.reason), "matched pattern #%u", res->pattern + 1);
    else if (status == GUARD_STREAM_OVERFLOW)
        snprintf(v.reason, sizeof(v.reason), "a possible match grew past the stream window (%zu bytes)", f->rules[res->rule].window);
    else
        snprintf(v.reason, sizeof(v.reason), "guardrail %s failed (fail_closed): pattern #%u could not be evaluated", g->name,
                 res->pattern + 1);
    guard_count_verdict(ctx->guards_env, &v, 0);
    fail(ctx, g, &v);
}

/* Tool-call arguments are JSON a client parses: an escape inside them of a printable
 * character ("s\\u006b-..." for "sk-...") hides from the checks what the client gets.
 * Such an escape has no reason to be there; on a stream the decoded view cannot be held
 * back with the text, so the stream ends instead (the answer of a non-streaming request
 * gets a decoded view, texts.h). 1 if this piece completes one. */
static int args_escape_hidden(struct sf_channel *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (c->esc == 0) {
            c->esc = ch == '\\';
        } else if (c->esc == 1) {
            if (ch == '/')
                return 1;
            c->esc = ch == 'u' ? 2 : 0; /* \\ \" \n...: done */
            c->esc_digits = 0;
            c->esc_value = 0;
        } else {
            int x = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
            if (x < 0) {
                c->esc = 0;
                continue;
            }
            c->esc_value = c->esc_value * 16 + (unsigned)x;
            if (++c->esc_digits == 4) {
                c->esc = 0;
                /* < > & ' and " are what HTML-safe encoders (Go's, for one) escape */
                if (c->esc_value >= 0x20 && c->esc_value < 0x7f && strchr("<>&'\"", (int)c->esc_value) == NULL)
                    return 1;
            }
        }
    }
    return 0;
}

static size_t channel_held(const struct sf_channel *c)
{
    return (c->gs != NULL ? guard_stream_held(c->gs) : 0) + api_restorer_pending(c->rest);
}

/* Feeds one text literal (NULL: nothing new, e.g. the final flush) to its channel: *out is
 * what the client gets of it (valid until the next literal), *verbatim 1 when that is the
 * literal j[s, e) as it came. Returns 0 or -1 (stream ended). */
static int splice_release(struct stream_sink *ctx, size_t ch, const char *j, size_t s, size_t e, int final, int known_plain,
                          const char **out, size_t *out_len, int *verbatim)
{
    struct stream_filter *f = ctx->sf;
    struct sf_channel *c = &f->channels[ch];
    if (c->finished && j != NULL && e > s + 2) {
        fail_unverifiable(ctx, "text after the end of its choice");
        return -1;
    }
    /* a literal without escapes is its own text (the event was validated: no control
     * characters, valid UTF-8): read in place, and relayed as it came if nothing changed */
    const char *lit = j != NULL && e >= s + 2 ? j + s + 1 : "";
    size_t lit_len = j != NULL && e >= s + 2 ? e - s - 2 : 0;
    int plain = j != NULL && e >= s + 2 && j[s] == '"' && j[e - 1] == '"' && (known_plain || memchr(lit, '\\', lit_len) == NULL);
    const char *text = lit;
    size_t text_len = lit_len;
    if (j != NULL && !plain) {
        util_buf_reset(&f->piece);
        if (sse_json_string_decode(j, s, e, &f->piece) != 0) {
            fail_unverifiable(ctx, "an event's text cannot be decoded");
            return -1;
        }
        text = f->piece.data ? f->piece.data : "";
        text_len = f->piece.len;
    }
    const char *rel = text;
    size_t rel_len = text_len;
    if ((c->field == F_TOOL_ARGS || c->field == F_FUNC_ARGS) && args_escape_hidden(c, rel, rel_len)) {
        fail_unverifiable(ctx, "tool-call arguments escape a printable character (\\u00XX): what a client decodes cannot be "
                               "checked on a stream");
        return -1;
    }
    /* a function name comes whole in one event: nothing of it is held for later */
    if (c->gs != NULL && !c->finished && !guard_stream_pass(c->gs, text, text_len, final || c->field == F_TOOL_NAME || c->field == F_FUNC_NAME)) {
        struct guard_stream_result res;
        util_buf_reset(&f->released);
        int whole = final || c->field == F_TOOL_NAME || c->field == F_FUNC_NAME;
        int st = guard_stream_feed(c->gs, guard_env_scratch(ctx->guards_env), text, text_len, whole, &f->released, &res);
        if (st != GUARD_STREAM_OK) {
            channel_stopped(ctx, st, &res);
            return -1;
        }
        if (res.redacted > 0)
            f->redacted = 1;
        rel = f->released.data ? f->released.data : "";
        rel_len = f->released.len;
    }
    /* the checks and the recording see placeholders; only the client gets the originals */
    if (record(f, c, rel, rel_len) != 0) {
        fail_unverifiable(ctx, "answer too long to check (server.max_response_bytes)");
        return -1;
    }
    if (c->rest != NULL && !c->finished) {
        int whole = final || c->field == F_TOOL_NAME || c->field == F_FUNC_NAME;
        if (api_restorer_feed(c->rest, rel, rel_len, whole, &rel, &rel_len) != 0) {
            fail_unverifiable(ctx, "event too large");
            return -1;
        }
    }
    if (final)
        c->finished = 1;
    *out = rel;
    *out_len = rel_len;
    *verbatim = plain && rel_len == lit_len && (rel == lit || memcmp(rel, lit, lit_len) == 0);
    return 0;
}

/* splice_release, with the released part appended to f->event as a JSON string. */
static int splice_text(struct stream_sink *ctx, size_t ch, const char *j, size_t s, size_t e, int final)
{
    struct stream_filter *f = ctx->sf;
    const char *rel;
    size_t rel_len;
    int verbatim;
    if (splice_release(ctx, ch, j, s, e, final, 0, &rel, &rel_len, &verbatim) != 0)
        return -1;
    int rc = verbatim ? util_buf_append(&f->event, j + s, e - s) : util_buf_append_json_string(&f->event, rel, rel_len);
    if (rc != 0) {
        fail_unverifiable(ctx, "event too large");
        return -1;
    }
    return 0;
}

/* reframe for the usual live event: at most one text literal. When the client gets that
 * literal as it came and the event came as "data: <json>\n\n", its own bytes are relayed. */
static int reframe_live(struct stream_sink *ctx, const struct sf_event *ev, const char *j, size_t len)
{
    struct stream_filter *f = ctx->sf;
    const struct sf_edit *d = ev->n == 1 ? &ev->edits[0] : NULL;
    const char *rel = NULL;
    size_t rel_len = 0;
    int verbatim = 1, rc;
    if (d != NULL && splice_release(ctx, d->channel, j, d->start, d->end, d->final, ev->plain0, &rel, &rel_len, &verbatim) != 0)
        return -1;
    const struct sse_parser *p = &f->parser;
    f->event_start = f->event.len;
    if (verbatim && p->raw != NULL && j == p->raw + 6 && p->raw_len == len + 8) {
        rc = util_buf_append(&f->event, p->raw, p->raw_len);
    } else {
        size_t s = d != NULL ? d->start : len, e = d != NULL ? d->end : len;
        rc = util_buf_append(&f->event, "data: ", 6) | util_buf_append(&f->event, j, s);
        if (d != NULL)
            rc |= verbatim ? util_buf_append(&f->event, j + s, e - s) : util_buf_append_json_string(&f->event, rel, rel_len);
        rc |= util_buf_append(&f->event, j + e, len - e);
        /* an event sent in several data: lines arrives joined by '\n' (see reframe) */
        if (rc == 0 && p->data_lines != 1) {
            char *b = f->event.data + f->event_start + 6, *end = f->event.data + f->event.len;
            for (char *nl = b; (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL;)
                *nl++ = ' ';
        }
        rc |= util_buf_append(&f->event, "\n\n", 2);
    }
    if (rc != 0) {
        fail_unverifiable(ctx, "event too large");
        return -1;
    }
    return 0;
}

/* Frames "data: <event>\n\n" at the end of f->event (from f->event_start) from json with
 * ev's edits applied. flush_ch: SIZE_MAX for a live event; else only that channel's text
 * (its final release) is spliced in and every other text becomes "". */
static int reframe(struct stream_sink *ctx, const struct sf_event *ev, const char *j, size_t len, size_t flush_ch)
{
    struct stream_filter *f = ctx->sf;
    size_t pos = 0;
    int rc = 0;
    if (f->event.len > BATCH_MAX)
        batch_send(ctx);
    if (flush_ch == SIZE_MAX && ev->n <= 1 && (ev->n == 0 || ev->edits[0].kind == EDIT_TEXT))
        return reframe_live(ctx, ev, j, len);
    size_t start = f->event_start = f->event.len;
    rc |= util_buf_append(&f->event, "data: ", 6);
    for (size_t i = 0; i < ev->n && rc == 0; i++) {
        const struct sf_edit *d = &ev->edits[i];
        rc |= util_buf_append(&f->event, j + pos, d->start - pos);
        pos = d->end;
        if (d->kind == EDIT_NULL) {
            rc |= util_buf_append(&f->event, "null", 4);
        } else if (d->kind == EDIT_EMPTY) {
            rc |= util_buf_append(&f->event, "[]", 2);
        } else if (flush_ch == SIZE_MAX) {
            if (splice_text(ctx, d->channel, j, d->start, d->end, d->final) != 0)
                return -1;
        } else if (d->channel == flush_ch) {
            if (splice_text(ctx, d->channel, NULL, 0, 0, 1) != 0)
                return -1;
            flush_ch = SIZE_MAX - 1; /* once: a channel may appear twice in its template */
        } else {
            rc |= util_buf_append(&f->event, "\"\"", 2);
        }
    }
    rc |= util_buf_append(&f->event, j + pos, len - pos);
    /* an event sent in several data: lines arrives joined by '\n': outside strings that is
     * whitespace, and one data: line must not carry a raw newline (a live event read from
     * one line has none) */
    if (rc == 0 && (flush_ch != SIZE_MAX || f->parser.data_lines != 1)) {
        char *b = f->event.data + start + 6, *e = f->event.data + f->event.len;
        for (char *nl = b; (nl = memchr(nl, '\n', (size_t)(e - nl))) != NULL;)
            *nl++ = ' ';
    }
    rc |= util_buf_append(&f->event, "\n\n", 2);
    if (rc != 0) {
        fail_unverifiable(ctx, "event too large");
        return -1;
    }
    return 0;
}

/* The event just framed goes out with the next batch (or, while slow checks gate the
 * text, it is queued). */
static void output(struct stream_sink *ctx)
{
    struct stream_filter *f = ctx->sf;
    size_t start = f->event_start;
    f->event_start = SIZE_MAX;
    if (!f->gating)
        return;
    const char *bytes = f->event.data + start;
    size_t len = f->event.len - start;
    f->event.len = start;
    if (util_buf_append(&f->queue, bytes, len) != 0) {
        fail_unverifiable(ctx, "answer too long to check (server.max_response_bytes)");
        return;
    }
    if (f->n_marks == f->cap_marks) {
        f->cap_marks = f->cap_marks ? f->cap_marks * 2 : 32;
        f->marks = util_realloc(f->marks, f->cap_marks * sizeof(*f->marks));
    }
    f->marks[f->n_marks++] = (struct sf_mark){.queue_end = f->queue.len, .text_end = f->full.len};
}

/* The end of a channel: what it still holds goes out in a copy of its last event. */
static int flush_channel(struct stream_sink *ctx, size_t ch)
{
    struct stream_filter *f = ctx->sf;
    struct sf_channel *c = &f->channels[ch];
    if (c->finished)
        return 0;
    if (channel_held(c) == 0 || c->tmpl == NULL) {
        /* nothing held; the matcher still resolves its last possible match */
        if (c->gs != NULL) {
            struct guard_stream_result res;
            util_buf_reset(&f->released);
            int st = guard_stream_feed(c->gs, guard_env_scratch(ctx->guards_env), NULL, 0, 1, &f->released, &res);
            if (st != GUARD_STREAM_OK) {
                channel_stopped(ctx, st, &res);
                return -1;
            }
        }
        c->finished = 1;
        return 0;
    }
    if (read_event(f, &f->tmpl_ev, c->tmpl, c->tmpl_len) != 0 || reframe(ctx, &f->tmpl_ev, c->tmpl, c->tmpl_len, ch) != 0)
        return f->failed ? -1 : (fail_unverifiable(ctx, "cannot frame held text"), -1);
    c->finished = 1;
    output(ctx);
    return f->failed ? -1 : 0;
}

static int flush_channels(struct stream_sink *ctx, const struct sf_event *ev)
{
    struct stream_filter *f = ctx->sf;
    for (size_t i = 0; i < f->n_channels && !f->failed; i++) {
        if (ev != NULL && !choice_finishing(ev, f->channels[i].choice))
            continue;
        int in_event = 0;
        for (size_t k = 0; ev != NULL && k < ev->n; k++)
            if (ev->edits[k].kind == EDIT_TEXT && ev->edits[k].channel == i)
                in_event = 1;
        if (!in_event && flush_channel(ctx, i) != 0)
            return -1;
    }
    return f->failed ? -1 : 0;
}

/* After an event: a channel that still holds text keeps the event as its template (what
 * it holds goes out in a copy of it at the end); one that holds nothing needs none yet. */
static void keep_template(struct stream_filter *f, const struct sf_event *ev, const char *data, size_t len)
{
    for (size_t k = 0; k < ev->n; k++) {
        struct sf_channel *c = &f->channels[ev->edits[k].channel];
        if (ev->edits[k].kind != EDIT_TEXT || c->finished || (c->rest == NULL ? c->gs == NULL || guard_stream_held(c->gs) == 0 : channel_held(c) == 0) ||
            (c->tmpl_len == len && memcmp(c->tmpl, data, len) == 0))
            continue;
        if (len > c->tmpl_cap) {
            c->tmpl_cap = len < 256 ? 256 : len;
            c->tmpl = util_realloc(c->tmpl, c->tmpl_cap);
        }
        memcpy(c->tmpl, data, len);
        c->tmpl_len = len;
    }
}

/* The usage tap's reading of the event (stream_filter_reads_usage): 1 when it is taken out.
 * sh: the remembered shape with the event's bytes outside its text literals (NULL: none),
 * which keeps the answer (those bytes decide it: usage values are numbers). */
static int usage_taken(struct stream_sink *ctx, struct sf_event *sh, const char *data, size_t len, int validated)
{
    const struct sse_parser *p = &ctx->sf->parser;
    if (ctx->usage == NULL || p->data_lines != 1 || p->other_lines != 0 || p->event_bytes > USAGE_TAP_EVENT_MAX)
        return 0;
    struct usage u;
    int only = 0, found;
    if (sh != NULL && sh->usage_read) {
        u = sh->usage, only = sh->usage_only, found = sh->usage_found;
    } else {
        found = usage_event_read(data, len, validated, &u, &only) == 0;
        if (sh != NULL)
            sh->usage = u, sh->usage_only = only, sh->usage_found = found, sh->usage_read = 1;
    }
    return found && usage_tap_take(ctx->usage, &u, only);
}

static int on_event(void *ud, const char *data, size_t len)
{
    struct stream_sink *ctx = ud;
    struct stream_filter *f = ctx->sf;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        *ctx->saw_done = 1;
        if (f->filtering) {
            if (flush_channels(ctx, NULL) != 0)
                return 1;
            f->done_pending = 1;
        }
        return 0;
    }
    struct sf_event *ev = &f->ev;
    if (read_event(f, ev, data, len) != 0) {
        if (usage_taken(ctx, NULL, data, len, 0))
            return 0; /* a usage-only chunk the client did not ask for, as usage_tap_feed would take it */
        if (!f->filtering)
            return 0; /* recording only: the client gets the bytes as they are */
        fail_unverifiable(ctx, ev->bad);
        return 1;
    }
    if (ev->has_usage && usage_taken(ctx, f->read_shape, data, len, 1))
        return 0;
    if (ev->error_event)
        *ctx->saw_upstream_error_event = 1;
    if (!f->filtering) {
        for (size_t i = 0; i < ev->n; i++) {
            const struct sf_edit *d = &ev->edits[i];
            util_buf_reset(&f->piece);
            if (d->kind == EDIT_TEXT && sse_json_string_decode(data, d->start, d->end, &f->piece) == 0 &&
                record(f, &f->channels[d->channel], f->piece.data ? f->piece.data : "", f->piece.len) != 0) {
                fail_unverifiable(ctx, "answer too long to record (server.max_response_bytes)");
                return 1;
            }
        }
        return 0;
    }
    /* choices that finish here: their other channels' held text goes out first */
    if (ev->n_finishing > 0 && flush_channels(ctx, ev) != 0)
        return 1;
    if (reframe(ctx, ev, data, len, SIZE_MAX) != 0)
        return 1;
    output(ctx);
    keep_template(f, ev, data, len);
    return f->failed ? 1 : 0;
}

/* ---- slow checks and the end ---- */

/* Sends the queued events whose text slow checks have covered. */
static void release_queue(struct stream_sink *ctx, int all)
{
    struct stream_filter *f = ctx->sf;
    size_t safe = f->checked;
    if (!f->finishing || f->final_state != 2)
        safe = safe > f->overlap ? safe - f->overlap : 0;
    size_t upto = 0;
    while (f->marks_head < f->n_marks && (all || f->marks[f->marks_head].text_end <= safe))
        upto = f->marks[f->marks_head++].queue_end;
    if (upto == 0)
        return;
    size_t done = upto;
    ctx->ops->emit(ctx->ud, f->queue.data, done);
    util_buf_consume(&f->queue, done);
    for (size_t i = f->marks_head; i < f->n_marks; i++)
        f->marks[i].queue_end -= done;
    memmove(f->marks, f->marks + f->marks_head, (f->n_marks - f->marks_head) * sizeof(*f->marks));
    f->n_marks -= f->marks_head;
    f->marks_head = 0;
}

static void start_slow_check(struct stream_sink *ctx);
static void try_finish(struct stream_sink *ctx);

/* A check subject made of one piece of the answer's text. */
static struct guard_subject text_subject(const struct stream_sink *ctx, const char *const *text, const size_t *len)
{
    return (struct guard_subject){.stage = CONFIG_STAGE_OUTPUT,
                                  .texts = text,
                                  .lens = len,
                                  .n = 1,
                                  .n_messages = 1,
                                  .model = ctx->model,
                                  .request_id = ctx->request_id};
}

static void pump(struct stream_sink *ctx)
{
    struct stream_filter *f = ctx->sf;
    if (f->failed)
        return;
    batch_send(ctx);
    if (f->gating)
        release_queue(ctx, 0);
    if (f->run == NULL)
        start_slow_check(ctx);
    if (f->finishing)
        try_finish(ctx);
    ctx->ops->flush(ctx->ud);
}

static void on_slow_verdict(void *ud, struct guard_verdict *v)
{
    struct stream_sink *ctx = ud;
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
    pump(ctx); /* verdicts never come inside guard_run_start() (guard/engine.h) */
}

/* Starts the next slow check: the next guard on the current span, or a new span (a chunk
 * boundary reached, or the whole text once the upstream finished). */
static void start_slow_check(struct stream_sink *ctx)
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
        f->run = guard_run_start(ctx->guards_env, g, &s, on_slow_verdict, ctx);
    }
}

int stream_filter_reads_usage(struct stream_sink *ctx, struct usage_tap *t)
{
    if (ctx->sf == NULL || !ctx->sf->filtering)
        return 0;
    if (ctx->usage == t)
        return 1;
    if (ctx->usage != NULL || t->held.len > 0 || t->passing || t->line != 0)
        return 0;
    ctx->usage = t;
    return 1;
}

void stream_filter_feed(struct stream_sink *ctx, const char *data, size_t len)
{
    struct stream_filter *f = ctx->sf;
    if (f->failed)
        return;
    if (!f->filtering)
        ctx->ops->emit(ctx->ud, data, len);
    if (sse_parser_feed(&f->parser, data, len, on_event, ctx) != 0 && f->parser.overflow && f->filtering && !f->failed) {
        fail_unverifiable(ctx, "upstream SSE event too large to check");
        return;
    }
    if (f->failed)
        return;
    if (f->filtering)
        pump(ctx);
    else
        ctx->ops->flush(ctx->ud);
}

static void try_finish(struct stream_sink *ctx)
{
    struct stream_filter *f = ctx->sf;
    if (f->failed || f->run != NULL || (f->n_slow > 0 && f->final_state != 2))
        return;
    if (ctx->ops->validate(ctx->ud, f->content0.data ? f->content0.data : "", f->content0.len) != 0) {
        f->failed = 1;
        return;
    }
    release_queue(ctx, 1);
    if (f->done_pending)
        ctx->ops->emit(ctx->ud, "data: [DONE]\n\n", 14);
    f->done_pending = 0;
    f->finishing = 0;
    for (size_t i = 0; i < ctx->n_guards; i++)
        if (guard_applies(ctx->guards[i]))
            ctx->ops->note_guard(ctx->ud, ctx->guards[i], f->redacted && ctx->guards[i]->action == CONFIG_ACTION_REDACT ? "rewrite" : "pass");
    /* the local guards' verdicts on the whole stream, for /metrics (slow checks count their own runs) */
    for (size_t r = 0; r < f->n_rules; r++) {
        struct guard_verdict v = {.guard = f->rule_guards[r]};
        v.outcome = f->redacted && f->rules[r].action == GUARD_STREAM_REDACT ? GUARD_REWRITE : GUARD_PASS;
        v.violation = v.outcome == GUARD_REWRITE;
        guard_count_verdict(ctx->guards_env, &v, 0);
    }
    f->ended = 1;
    ctx->ops->end(ctx->ud);
}

void stream_filter_finish(struct stream_sink *ctx)
{
    struct stream_filter *f = ctx->sf;
    if (!f->filtering) {
        f->ended = 1;
        ctx->ops->end(ctx->ud);
        return;
    }
    if (f->failed)
        return;
    f->finishing = 1;
    if (flush_channels(ctx, NULL) != 0)
        return;
    pump(ctx);
}

void stream_filter_cancel(struct stream_sink *ctx)
{
    if (ctx->sf != NULL && ctx->sf->run != NULL) {
        guard_run_cancel(ctx->sf->run);
        ctx->sf->run = NULL;
    }
}

json_t *stream_filter_answer(struct stream_sink *ctx)
{
    if (ctx->sf != NULL)
        return json_pack("{s:s, s:[{s:i, s:{s:s, s:s%}}]}", "object", "chat.completion", "choices", "index", 0, "message",
                         "role", "assistant", "content", ctx->sf->full.data ? ctx->sf->full.data : "", ctx->sf->full.len);
    if (ctx->stream)
        return NULL;
    json_error_t je;
    return json_loadb(ctx->collected->data ? ctx->collected->data : "", ctx->collected->len, 0, &je);
}

void stream_filter_free(struct stream_sink *ctx)
{
    struct stream_filter *f = ctx->sf;
    if (f == NULL)
        return;
    stream_filter_cancel(ctx);
    pool_put(f);
    ctx->sf = NULL;
    ctx->usage = NULL;
}
