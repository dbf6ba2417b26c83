/* Per-chunk cost of an output regex guard on a streamed answer (issue 9 target:
 * <= 1 us per chunk), without sockets: the quickstart's output guard
 * (no-secrets-out: redact sk-[A-Za-z0-9]{20,}) through the real stream filter
 * (SSE parsing, byte-level event reading, incremental matching, re-framing by
 * splicing) on 20-chunk answers shaped like OpenAI's chat.completion.chunk
 * events, each with the random padding ("obfuscation") OpenAI adds, so no two
 * events have the same length; a whole answer as a client gets it: the first event
 * with the role, the text events, the event with finish_reason, then [DONE]. The
 * client side is a stream sink whose emit queues what the filter sends (dropped after
 * each stream).
 *
 * Times are CPU time of the benchmark's thread. Prints: us per chunk with the guard (one event per upstream read, the
 * filter's set-up and teardown included; per chunk = per answer / 20), the same with the
 * whole answer in one upstream read (as warden-mock sends it), us per chunk of what an unguarded
 * stream does anyway (SSE parsing for [DONE], queueing the bytes), and us per
 * chunk of the matcher alone (guard_stream_feed on the text pieces); then the
 * same filter with an output pii guard and with an output secrets guard (redact),
 * whose findings are decided inline (detect_scan_stream).
 *
 * Built and run by bench/micro.sh:  build/stream_bench [streams] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/sse.h"
#include "api/stream_filter.h"
#include "config/config.h"
#include "guard/engine.h"
#include "guard/stream_scan.h"
#include "metrics/metrics.h"
#include "server/server.h"

#define CHUNKS 20
#define EVENTS (CHUNKS + 3) /* the role event, the text events, finish_reason, [DONE] */

static const char yaml[] = "server: {listen: \"127.0.0.1:1\", workers: 1}\n"
                           "providers:\n"
                           "  - {name: local, type: openai, base_url: \"http://127.0.0.1:1/v1\"}\n"
                           "models:\n"
                           "  - {name: m, targets: [{provider: local, model: mock-1}]}\n"
                           "guardrails:\n"
                           "  - {name: no-secrets-out, type: regex, stage: output, timing: blocking, action: redact,\n"
                           "     patterns: [\"sk-[A-Za-z0-9]{20,}\"]}\n"
                           "  - {name: pii-out, type: pii, stage: output, action: redact}\n"
                           "  - {name: secrets-out, type: secrets, stage: output, action: redact}\n";

static const char *const words[] = {"The ", "deployment ", "finished ", "without ", "errors; ", "the ", "service ",
                                    "is ", "healthy ", "again ", "after ", "the ", "restart ", "at ", "02:30. ",
                                    "Next ", "steps: ", "watch ", "the ", "queue."};

/* CPU time of this thread: the machine is shared, and wall time would count the others */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t cuts[EVENTS + 1]; /* event borders: each event is one upstream read */

/* The client side: what the filter emits is queued (and dropped after each stream). */
static struct util_buf out_pending;

static void b_emit(void *ud, const char *data, size_t len)
{
    util_buf_append(&out_pending, data, len);
}

static void b_nop(void *ud)
{
}

static void b_block(void *ud, const struct config_guardrail *g, const struct guard_verdict *v)
{
    fprintf(stderr, "stream_bench: the stream was ended (%s)\n", v->reason);
    exit(1);
}

static void b_note(void *ud, const struct config_guardrail *g, const char *verdict)
{
}

static int b_validate(void *ud, const char *text, size_t len)
{
    return 0;
}

static const struct stream_sink_ops bench_ops = {b_emit, b_nop, b_nop, b_block, b_note, b_validate};

/* Runs `streams` answers through a filter each (one upstream read per event, or the whole
 * answer in one); returns ns per text chunk. */
static double run_reads(struct stream_sink *ctx, const char *events, size_t len, long streams, int guarded, int one_read)
{
    uint64_t t0 = cpu_ns();
    for (long i = 0; i < streams; i++) {
        stream_filter_begin(ctx);
        if (guarded && ctx->sf == NULL) {
            fprintf(stderr, "stream_bench: the guard did not apply\n");
            exit(1);
        }
        if (one_read)
            stream_filter_feed(ctx, events, len);
        else
            for (int k = 0; k < EVENTS; k++)
                stream_filter_feed(ctx, events + cuts[k], cuts[k + 1] - cuts[k]);
        stream_filter_finish(ctx);
        stream_filter_free(ctx);
        util_buf_reset(&out_pending);
    }
    return (double)(cpu_ns() - t0) / (double)streams / CHUNKS;
}

static double run(struct stream_sink *ctx, const char *events, size_t len, long streams, int guarded)
{
    return run_reads(ctx, events, len, streams, guarded, 0);
}

static int on_event_nop(void *ud, const char *data, size_t len)
{
    return 0;
}

int main(int argc, char **argv)
{
    long streams = argc > 1 ? atol(argv[1]) : 100000;
    char err[512];
    struct config *cfg = config_load_string(yaml, sizeof(yaml) - 1, "stream_bench", err, sizeof(err));
    if (cfg == NULL) {
        fprintf(stderr, "stream_bench: %s\n", err);
        return 1;
    }
    struct guard_shared *gs = guard_shared_create(cfg, err, sizeof(err));
    if (gs == NULL) {
        fprintf(stderr, "stream_bench: %s\n", err);
        return 1;
    }
    static struct server_worker w;
    w.cfg = cfg;
    w.metrics = metrics_create(cfg);
    w.guards = guard_env_create(gs, uv_default_loop(), NULL, w.metrics);

    /* one answer: the role event, CHUNKS content events, finish_reason, [DONE] (each one
     * event per upstream chunk, as the feed sees them) */
    static char events[EVENTS * 512];
    size_t len = 0;
#define HEAD "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000," \
             "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_bench\",\"choices\":[{\"index\":0,"
    len += (size_t)snprintf(events + len, sizeof(events) - len,
                            HEAD "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}],"
                                 "\"obfuscation\":\"Qx\"}\n\n");
    cuts[1] = len;
    for (int i = 0; i < CHUNKS; i++, cuts[i + 1] = len)
        len += (size_t)snprintf(events + len, sizeof(events) - len,
                                HEAD "\"delta\":{\"content\":\"%s\"},\"logprobs\":null,\"finish_reason\":null}],"
                                     "\"obfuscation\":\"%.*s\"}\n\n",
                                words[i], (int)(11 - strlen(words[i])), "QxZ3kLp9WvR");
    len += (size_t)snprintf(events + len, sizeof(events) - len,
                            HEAD "\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"obfuscation\":\"QxZ3\"}\n\n");
    cuts[CHUNKS + 2] = len;
    len += (size_t)snprintf(events + len, sizeof(events) - len, "data: [DONE]\n\n");
    cuts[EVENTS] = len;
#undef HEAD

    const struct config_guardrail *g = &cfg->guardrails[0];
    int saw_done = 0, saw_error_event = 0;
    util_buf_init(&out_pending, 1 << 20);
    struct stream_sink ctx = {.ops = &bench_ops,
                              .guards_env = w.guards,
                              .guards = &g,
                              .n_guards = 1,
                              .request_id = "req_bench",
                              .model = "m",
                              .max_response_bytes = cfg->server.max_response_bytes,
                              .stream = 1,
                              .saw_done = &saw_done,
                              .saw_upstream_error_event = &saw_error_event};

    /* per chunk: one upstream read with one event */
    double warm = run(&ctx, events, len, streams / 10 + 1, 1);
    (void)warm;
    double guarded = run(&ctx, events, len, streams, 1);
    double guarded_one = run_reads(&ctx, events, len, streams, 1, 1);
    size_t out_len = 0;
    stream_filter_begin(&ctx);
    stream_filter_feed(&ctx, events, len);
    stream_filter_finish(&ctx);
    out_len = out_pending.len;
    stream_filter_free(&ctx);
    util_buf_reset(&out_pending);

    /* what an unguarded stream does per chunk: find the events ([DONE], errors) and queue the bytes */
    struct sse_parser parser;
    uint64_t t1 = cpu_ns();
    for (long i = 0; i < streams; i++) {
        sse_parser_init(&parser, 1 << 20);
        for (int k = 0; k < EVENTS; k++) {
            sse_parser_feed(&parser, events + cuts[k], cuts[k + 1] - cuts[k], on_event_nop, NULL);
            util_buf_append(&out_pending, events + cuts[k], cuts[k + 1] - cuts[k]);
        }
        sse_parser_free(&parser);
        util_buf_reset(&out_pending);
    }
    double none = (double)(cpu_ns() - t1) / (double)streams / CHUNKS;

    /* the matcher alone on the same text pieces */
    struct guard_stream_rule rule = {.scan = guard_local_scan(w.guards, g), .action = GUARD_STREAM_REDACT,
                                     .replacement = "[REDACTED]", .window = 256};
    struct util_buf out;
    util_buf_init(&out, 1 << 20);
    uint64_t t0 = cpu_ns();
    for (long i = 0; i < streams; i++) {
        struct guard_stream *st = guard_stream_new(&rule, 1);
        for (int k = 0; k < CHUNKS; k++)
            guard_stream_feed(st, guard_env_scratch(w.guards), words[k], strlen(words[k]), 0, &out, NULL);
        guard_stream_feed(st, guard_env_scratch(w.guards), NULL, 0, 1, &out, NULL);
        guard_stream_free(st);
        util_buf_reset(&out);
    }
    double matcher = (double)(cpu_ns() - t0) / (double)streams / CHUNKS;

    printf("stream filter, output regex guard (redact), %d-chunk answers: %.3f us per chunk (%zu bytes in, %zu out)\n", CHUNKS,
           guarded / 1000.0, len, out_len);
    printf("the same, each answer in one upstream read (as warden-mock sends it): %.3f us per chunk\n", guarded_one / 1000.0);
    printf("unguarded stream's own work (SSE events found, bytes queued): %.3f us per chunk\n", none / 1000.0);
    printf("incremental matcher alone (guard_stream_feed):              %.3f us per chunk\n", matcher / 1000.0);
    for (int k = 1; k <= 2; k++) {
        g = &cfg->guardrails[k];
        run(&ctx, events, len, streams / 10 + 1, 1);
        double t = run(&ctx, events, len, streams, 1);
        printf("stream filter, output %s guard (redact, inline):        %.3f us per chunk\n", g->name, t / 1000.0);
    }
    util_buf_free(&out);
    util_buf_free(&out_pending);
    return 0;
}
