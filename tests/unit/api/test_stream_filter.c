/* The stream filter without sockets, behind its sink (stream_filter.h): the test's sink
 * collects what the filter emits and records how it ended the stream. Checks the byte-exact
 * splice (other fields and spacing untouched), channels per choice and per
 * tool call, events split anywhere, held text flushed before finish_reason,
 * and the fail-closed cases (duplicate keys, non-JSON events). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/stream_filter.h"
#include "config/config.h"
#include "guard/engine.h"
#include "guard/placeholder.h"
#include "metrics/metrics.h"
#include "util/buf.h"

#define SECRET "sk-Q7wX2mK9pL4vR8tY3nB6cD1fG5hJ0zAs"

static const char yaml[] = "server: {listen: \"127.0.0.1:1\", workers: 1}\n"
                           "providers:\n"
                           "  - {name: local, type: openai, base_url: \"http://127.0.0.1:1/v1\"}\n"
                           "models:\n"
                           "  - {name: m, targets: [{provider: local, model: mock-1}]}\n"
                           "guardrails:\n"
                           "  - {name: out, type: regex, stage: output, action: redact, replacement: \"#\",\n"
                           "     patterns: [\"sk-[A-Za-z0-9]{20,}\"]}\n";

static struct config *cfg;
static struct guard_shared *gs;
static struct guard_env *env;
static const struct config_guardrail *guard;

static int setup(void **state)
{
    char err[512];
    cfg = config_load_string(yaml, sizeof(yaml) - 1, "test", err, sizeof(err));
    assert_non_null(cfg);
    gs = guard_shared_create(cfg, err, sizeof(err));
    assert_non_null(gs);
    env = guard_env_create(gs, uv_default_loop(), NULL, metrics_create(cfg));
    guard = &cfg->guardrails[0];
    return 0;
}

/* The request as the filter sees it: output collected, the end and a block recorded. */
struct test_req {
    struct stream_sink sink;
    struct util_buf out;
    int ended;        /* the stream ended cleanly */
    int block_status; /* 502: the stream could not be checked; 400: a guardrail blocked it */
    int saw_done, saw_error_event;
    char notes[256];
};

static void t_emit(void *ud, const char *data, size_t len)
{
    struct test_req *r = ud;
    assert_int_equal(r->ended, 0);
    assert_int_equal(r->block_status, 0);
    util_buf_append(&r->out, data, len);
}

static void t_flush(void *ud)
{
    (void)ud;
}

static void t_end(void *ud)
{
    ((struct test_req *)ud)->ended = 1;
}

static void t_block(void *ud, const struct config_guardrail *g, const struct guard_verdict *v)
{
    ((struct test_req *)ud)->block_status = g == NULL ? 502 : 400;
}

static void t_note(void *ud, const struct config_guardrail *g, const char *verdict)
{
    struct test_req *r = ud;
    snprintf(r->notes + strlen(r->notes), sizeof(r->notes) - strlen(r->notes), "%s=%s;", g->name, verdict);
}

static int t_validate(void *ud, const char *text, size_t len)
{
    return 0;
}

static const struct stream_sink_ops t_ops = {t_emit, t_flush, t_end, t_block, t_note, t_validate};

/* content_json: the request's response_format asks for JSON (the content is a JSON document) */
static void ctx_init_restoring(struct test_req *ctx, struct guard_placeholders **maps, size_t n_maps, int content_json)
{
    memset(ctx, 0, sizeof(*ctx));
    util_buf_init(&ctx->out, 1 << 20);
    ctx->sink = (struct stream_sink){.ops = &t_ops,
                                     .ud = ctx,
                                     .guards_env = env,
                                     .guards = &guard,
                                     .n_guards = 1,
                                     .request_id = "req_test",
                                     .model = "m",
                                     .max_response_bytes = 1 << 20,
                                     .stream = 1,
                                     .saw_done = &ctx->saw_done,
                                     .saw_upstream_error_event = &ctx->saw_error_event,
                                     .content_json = content_json,
                                     .placeholders = maps,
                                     .n_placeholders = n_maps};
    stream_filter_begin(&ctx->sink);
    assert_non_null(ctx->sink.sf);
}

static void ctx_init(struct test_req *ctx)
{
    ctx_init_restoring(ctx, NULL, 0, 0);
}

static void ctx_done(struct test_req *ctx)
{
    stream_filter_free(&ctx->sink);
    assert_null(ctx->sink.sf);
    util_buf_free(&ctx->out);
}

/* Feeds s in pieces of `step` bytes (0: whole). */
static void feed(struct test_req *ctx, const char *s, size_t step)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i += step ? step : len)
        stream_filter_feed(&ctx->sink, s + i, step && len - i > step ? step : len - i);
}

static void splices_only_the_text(void **state)
{
    struct test_req ctx;
    ctx_init(&ctx);
    feed(&ctx,
         "data: {\"id\":\"a\", \"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"hello \\u00e9\"},"
         "\"logprobs\":null,\"finish_reason\":null}],\"x\":[1, 2]}\n\n",
         0);
    assert_string_equal(ctx.out.data,
                        "data: {\"id\":\"a\", \"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"hello \xc3\xa9\"},"
                        "\"logprobs\":null,\"finish_reason\":null}],\"x\":[1, 2]}\n\n");
    /* one event in two data: lines goes out as one line */
    util_buf_reset(&ctx.out);
    feed(&ctx, "data: {\"choices\":[{\"index\":0,\ndata: \"delta\":{\"content\":\"x\"}}]}\n\n", 0);
    assert_string_equal(ctx.out.data, "data: {\"choices\":[{\"index\":0, \"delta\":{\"content\":\"x\"}}]}\n\n");
    ctx_done(&ctx);
}

static void secret_split_in_events_split_anywhere(void **state)
{
    const char *ev[] = {"key " SECRET " end"};
    char stream[4096];
    size_t n = 0;
    /* the secret in 3-byte pieces, one event each */
    for (size_t i = 0; i < strlen(ev[0]); i += 3)
        n += (size_t)snprintf(stream + n, sizeof(stream) - n, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%.3s\"}}]}\n\n",
                              ev[0] + i);
    n += (size_t)snprintf(stream + n, sizeof(stream) - n,
                          "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    for (size_t step = 1; step <= 64; step *= 4) {
        struct test_req ctx;
        ctx_init(&ctx);
        feed(&ctx, stream, step);
        stream_filter_finish(&ctx.sink);
        assert_int_equal(ctx.block_status, 0);
        /* the released pieces, concatenated */
        char text[512] = "";
        const char *p = ctx.out.data;
        while ((p = strstr(p, "\"content\":\"")) != NULL) {
            p += 11;
            strncat(text, p, strcspn(p, "\""));
        }
        assert_string_equal(text, "key # end");
        assert_null(strstr(ctx.out.data, "Q7wX2mK9"));
        /* the held text went out before finish_reason, [DONE] last */
        assert_true(strstr(ctx.out.data, "end\"") < strstr(ctx.out.data, "finish_reason"));
        assert_non_null(strstr(ctx.out.data, "data: [DONE]\n\n"));
        assert_int_equal(strlen(strstr(ctx.out.data, "data: [DONE]\n\n")), 14);
        /* the sink was told: [DONE] seen, the stream ended cleanly, the redaction noted */
        assert_int_equal(ctx.saw_done, 1);
        assert_int_equal(ctx.ended, 1);
        assert_string_equal(ctx.notes, "out=rewrite;");
        ctx_done(&ctx);
    }
}

static void choices_and_tool_calls_are_separate_channels(void **state)
{
    struct test_req ctx;
    ctx_init(&ctx);
    /* choice 1's content and tool call 2's arguments carry halves of secrets; choice 0 interleaves */
    feed(&ctx,
         "data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"sk-Q7wX2mK9\"}},{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
         "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":2,\"function\":{\"arguments\":\"{\\\"k\\\":\\\"sk-AAAA\"}}]}}]}\n\n"
         "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}},{\"index\":1,\"delta\":{\"content\":\"pL4vR8tY3nB6cD1f\"}}]}\n\n"
         "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":2,\"function\":{\"arguments\":\"AAAAAAAAAAAAAAAAAAAA\\\"}\"}}]}}]}\n\n"
         "data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\" done\"}}]}\n\n",
         7);
    assert_int_equal(ctx.block_status, 0);
    const char *out = ctx.out.data;
    assert_null(strstr(out, "Q7wX"));
    assert_null(strstr(out, "pL4v"));
    assert_null(strstr(out, "AAAA"));
    assert_non_null(strstr(out, "\"content\":\"a\""));
    assert_non_null(strstr(out, "\"content\":\"b\""));
    assert_non_null(strstr(out, "\"content\":\"# done\""));
    assert_non_null(strstr(out, "\"arguments\":\"{\\\"k\\\":\\\"\""));
    assert_non_null(strstr(out, "\"arguments\":\"#\\\"}\""));
    ctx_done(&ctx);
}

/* unknown_fields: check - strings outside the contract and known metadata are text too */
static void strings_outside_the_contract_are_checked(void **state)
{
    struct test_req ctx;
    ctx_init(&ctx);
    feed(&ctx,
         "data: {\"id\":\"sk-AAAAAAAAAAAAAAAAAAAAAAAA\",\"x\":{\"y\":[\"" SECRET " \"]},\"choices\":[{\"index\":0,"
         "\"delta\":{\"role\":\"assistant\",\"note\":\"" SECRET " \"},\"extra\":\"" SECRET " \",\"logprobs\":\"" SECRET " \",\"finish_reason\":{\"r\":\"" SECRET " \"}}],\"model\":[\"" SECRET " \"]}\n\n"
         "data: [DONE]\n\n",
         5);
    stream_filter_finish(&ctx.sink);
    assert_int_equal(ctx.block_status, 0);
    const char *out = ctx.out.data;
    assert_null(strstr(out, "Q7wX"));
    /* known metadata (id) is not text: left as the upstream sent it */
    assert_non_null(strstr(out, "\"id\":\"sk-AAAAAAAAAAAAAAAAAAAAAAAA\""));
    assert_non_null(strstr(out, "\"y\":[\"# \"]"));
    assert_non_null(strstr(out, "\"note\":\"# \""));
    assert_non_null(strstr(out, "\"extra\":\"# \""));
    assert_non_null(strstr(out, "\"logprobs\":\"# \""));
    assert_non_null(strstr(out, "\"finish_reason\":{\"r\":\"# \"}"));
    assert_non_null(strstr(out, "\"model\":[\"# \"]"));
    ctx_done(&ctx);
}

/* Events that differ from the one before only inside string literals reuse its reading
 * (stream_filter.c: read_same_shape): the outcome must be the same as a full read. */
static void same_shape_events_read_like_any_other(void **state)
{
#define EV(obf, content) \
    "data: {\"id\":\"c1\",\"obfuscation\":\"" obf "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":" content "}," \
    "\"finish_reason\":null}]}\n\n"
    struct test_req ctx;
    ctx_init(&ctx);
    feed(&ctx, EV("x", "\"a\"") EV("xyz12", "\"b\\u0041\\\"\"") EV("", "\"sk-Q7wX2mK9pL\"") EV("q", "\"4vR8tY3nB6cD1fG5hJ0zAs.\""), 0);
    assert_int_equal(ctx.block_status, 0);
    assert_null(strstr(ctx.out.data, "Q7wX"));
    assert_non_null(strstr(ctx.out.data, EV("xyz12", "\"bA\\\"\"")));
    assert_non_null(strstr(ctx.out.data, "#."));
    /* the same bytes around a value that is no longer a string: not text we can check */
    feed(&ctx, EV("x", "7"), 0);
    assert_int_equal(ctx.block_status, 502);
    ctx_done(&ctx);

    /* a metadata string that becomes a container is read again: its strings are text */
    ctx_init(&ctx);
    feed(&ctx, EV("x", "\"a\"") EV("x", "\"b\"")
         "data: {\"id\":\"c1\",\"obfuscation\":{\"s\":\"" SECRET "\"},\"choices\":[{\"index\":0,\"delta\":{\"content\":\"c\"},"
         "\"finish_reason\":null}]}\n\n", 7);
    assert_int_equal(ctx.block_status, 0);
    assert_null(strstr(ctx.out.data, "Q7wX"));
    /* a repeated member after same-shape events still fails closed */
    feed(&ctx, "data: {\"id\":\"c1\",\"obfuscation\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\",\"content\":\"" SECRET
               "\"},\"finish_reason\":null}]}\n\n", 0);
    assert_int_equal(ctx.block_status, 502);
    ctx_done(&ctx);
#undef EV
}

/* Shapes are remembered across the streams a filter serves (the thread's pool): a shape
 * read in one stream must not carry that stream's channels into the next. Stream 2 opens
 * with a tool call, so its channel numbers differ from stream 1's; then content events of
 * stream 1's shape interleave with argument pieces, each field carrying half of a secret. */
static void shapes_carry_no_channel_across_streams(void **state)
{
#define CONTENT(id, text) \
    "data: {\"id\":\"" id "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" text "\"},\"finish_reason\":null}]}\n\n"
#define ARGS(id, text)                                                                                                     \
    "data: {\"id\":\"" id "\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"" text \
    "\"}}]},\"finish_reason\":null}]}\n\n"
#define FINISH(id) "data: {\"id\":\"" id "\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
    for (int round = 0; round < 3; round++) {
        struct test_req ctx;
        ctx_init(&ctx);
        feed(&ctx, CONTENT("s1", "hello ") CONTENT("s1", "world") FINISH("s1"), 0);
        stream_filter_finish(&ctx.sink);
        assert_int_equal(ctx.ended, 1);
        ctx_done(&ctx);

        ctx_init(&ctx);
        feed(&ctx,
             ARGS("s2", "x") CONTENT("s2", "sk-Q7wX2mK9") ARGS("s2", "sk-AAAAAAAAAA") CONTENT("s2", "pL4vR8tY3nB6cD1f")
                 ARGS("s2", "AAAAAAAAAAAAAAA") CONTENT("s2", " done") ARGS("s2", " end") FINISH("s2"),
             round == 0 ? 0 : (size_t)(round * 5));
        stream_filter_finish(&ctx.sink);
        assert_int_equal(ctx.block_status, 0);
        assert_int_equal(ctx.ended, 1);
        assert_null(strstr(ctx.out.data, "Q7wX"));
        assert_null(strstr(ctx.out.data, "pL4v"));
        assert_null(strstr(ctx.out.data, "AAAAAAAA"));
        assert_non_null(strstr(ctx.out.data, "\"content\":\"# done\""));
        assert_non_null(strstr(ctx.out.data, "\"arguments\":\"# end\""));
        ctx_done(&ctx);
    }
    /* a stream that ends holding the start of a secret: the next stream (the same filter,
     * its channels' matchers reused) starts from nothing */
    struct test_req ctx;
    ctx_init(&ctx);
    feed(&ctx, CONTENT("s3", "key sk-Q7wX") FINISH("s3"), 0);
    stream_filter_finish(&ctx.sink);
    assert_int_equal(ctx.ended, 1);
    ctx_done(&ctx);
    ctx_init(&ctx);
    feed(&ctx, CONTENT("s4", "2mK9pL4vR8tY3nB6cD1fG5hJ0zA end") FINISH("s4"), 0);
    stream_filter_finish(&ctx.sink);
    assert_non_null(strstr(ctx.out.data, "\"content\":\"2mK9pL4vR8tY3nB6cD1fG5hJ0zA end\""));
    ctx_done(&ctx);
#undef CONTENT
#undef ARGS
#undef FINISH
}

static void unreadable_events_fail_closed(void **state)
{
    const char *bad[] = {
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\",\"content\":\"" SECRET "\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":[7]}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" SECRET "\"}}]\n\n",
        "data: {\"choices\":[{\"index\":0,\"index\":1,\"delta\":{\"content\":\"x\"}}]}\n\n",
        /* two choices without an index: which is which depends on the reader */
        "data: {\"choices\":[{\"delta\":{\"content\":\"sk-Q7wX\"}},{\"delta\":{\"content\":\"2mK9pL4vR8tY3nB6cD1fG5hJ0zAs\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0},{\"function\":{\"arguments\":\"x\"}}]}}]}\n\n",
        /* arguments a client parses, with a printable character escaped inside: "s\u006b-..." */
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
        "\"{\\\"k\\\":\\\"s\\\\u006b-Q7wX2mK9pL4vR8tY3nB6cD1fG5hJ0zAs\\\"}\"}}]}}]}\n\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct test_req ctx;
        ctx_init(&ctx);
        feed(&ctx, bad[i], 0);
        assert_int_equal(ctx.block_status, 502);
        assert_int_equal(ctx.ended, 0);
        assert_true(ctx.out.len == 0 || strstr(ctx.out.data, "Q7wX") == NULL);
        ctx_done(&ctx);
    }
}

/* delta.content as a list of parts: the parts' texts are one channel, as a client joins them */
static void content_parts_are_one_channel(void **state)
{
    const char *stream =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"text\",\"text\":\"key sk-Q7wX2mK9\"},"
        "{\"type\":\"text\",\"text\":\"pL4vR8tY3n\"}]}}]}\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":[\"B6cD1fG5hJ0zAs end\"]}}]}\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    for (size_t step = 1; step <= 256; step *= 4) {
        struct test_req ctx;
        ctx_init(&ctx);
        feed(&ctx, stream, step);
        stream_filter_finish(&ctx.sink);
        assert_int_equal(ctx.block_status, 0);
        const char *out = ctx.out.data;
        for (const char *p = "Q7wX2mK9pL4vR8tY3nB6cD1fG5hJ0zAs"; p[8] != '\0'; p++)
            if (memmem(out, strlen(out), p, 8) != NULL)
                fail_msg("a piece of the secret got out (step %zu): %s", step, out);
        assert_non_null(strstr(out, "\"type\":\"text\""));
        assert_non_null(strstr(out, "key "));
        assert_non_null(strstr(out, "# end"));
        ctx_done(&ctx);
    }
    /* an escape of a non-printable or HTML-unsafe character in arguments is fine */
    struct test_req ctx;
    ctx_init(&ctx);
    feed(&ctx,
         "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
         "\"{\\\"k\\\":\\\"\\\\u00e9\\\\u003c\\\\n\\\\\\\\u0041\\\"}\"}}]}}]}\n\n",
         0);
    assert_int_equal(ctx.block_status, 0);
    ctx_done(&ctx);
}

/* Each data: line's choices[0].delta content and tool-call arguments, concatenated. */
static void collect(const char *out, char *content, char *args, size_t cap)
{
    content[0] = args[0] = 0;
    for (const char *p = out; (p = strstr(p, "data: {")) != NULL; p++) {
        json_error_t je;
        json_t *ev = json_loadb(p + 6, strcspn(p + 6, "\n"), 0, &je);
        assert_non_null(ev);
        json_t *d = json_object_get(json_array_get(json_object_get(ev, "choices"), 0), "delta");
        const char *c = json_string_value(json_object_get(d, "content"));
        json_t *tc = json_array_get(json_object_get(d, "tool_calls"), 0);
        const char *a = json_string_value(json_object_get(json_object_get(tc, "function"), "arguments"));
        if (c)
            strncat(content, c, cap - strlen(content) - 1);
        if (a)
            strncat(args, a, cap - strlen(args) - 1);
        json_decref(ev);
    }
}

/* Reversible redaction: the request's placeholders come back in the answer, a placeholder
 * split at every byte (one character per event), in content and (JSON-escaped) in tool-call
 * arguments; after the output check, which sees the placeholders. */
static void restores_placeholders_split_anywhere(void **state)
{
    struct guard_placeholders *map = guard_placeholders_new();
    size_t pl;
    const char *orig = "O\"Brien \\ sk-Q7wX2mK9pL4vR8tY3nB6cD1fG5hJ0zAs";
    assert_string_equal(guard_placeholders_add(map, "NAME", orig, strlen(orig), &pl), "<NAME_1>");
    const char *content = "hi <NAME_1> and <NAME_2> <NAM";
    const char *args = "{\"who\":\"<NAME_1>\",\"n\":1}";
    char stream[16384];
    size_t n = 0;
    for (size_t i = 0; content[i]; i++)
        n += (size_t)snprintf(stream + n, sizeof(stream) - n, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%c\"}}]}\n\n",
                              content[i]);
    for (size_t i = 0; args[i]; i++)
        n += (size_t)snprintf(stream + n, sizeof(stream) - n,
                              "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"%s%c\"}}]}}]}\n\n",
                              args[i] == '"' ? "\\" : "", args[i]);
    n += (size_t)snprintf(stream + n, sizeof(stream) - n,
                          "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    for (size_t step = 1; step <= 256; step *= 4) {
        struct test_req ctx;
        ctx_init_restoring(&ctx, &map, 1, 0);
        feed(&ctx, stream, step);
        stream_filter_finish(&ctx.sink);
        assert_int_equal(ctx.block_status, 0);
        char c[1024], a[1024];
        collect(ctx.out.data, c, a, sizeof(c));
        /* the original's secret is restored after the check (which saw "<NAME_1>"): it is the client's own */
        char want[512];
        snprintf(want, sizeof(want), "hi %s and <NAME_2> <NAM", orig);
        assert_string_equal(c, want);
        json_error_t je;
        json_t *j = json_loads(a, 0, &je);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "who")), orig);
        json_decref(j);
        ctx_done(&ctx);
    }
    guard_placeholders_free(map);
}

/* With response_format asking for JSON, the streamed content is a JSON document: an original
 * with a quote and a backslash goes in escaped, as in a whole answer (it went in raw and
 * broke the client's JSON). */
static void restores_into_json_content_escaped(void **state)
{
    struct guard_placeholders *map = guard_placeholders_new();
    size_t pl;
    const char *orig = "Ka\"b\\K";
    assert_string_equal(guard_placeholders_add(map, "TOKEN_ID", orig, strlen(orig), &pl), "<TOKEN_ID_1>");
    const char *stream = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"{\\\"a\\\": \\\"<TOKEN_\"}}]}\n\n"
                         "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ID_1>\\\"}\"}}]}\n\n"
                         "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    for (int content_json = 0; content_json <= 1; content_json++) {
        struct test_req ctx;
        ctx_init_restoring(&ctx, &map, 1, content_json);
        feed(&ctx, stream, 7);
        stream_filter_finish(&ctx.sink);
        char c[1024], a[1024];
        collect(ctx.out.data, c, a, sizeof(c));
        json_error_t je;
        json_t *j = json_loads(c, 0, &je);
        if (content_json) {
            assert_non_null(j);
            assert_string_equal(json_string_value(json_object_get(j, "a")), orig);
        } else {
            assert_null(j); /* plain text: the original as is */
            assert_string_equal(c, "{\"a\": \"Ka\"b\\K\"}");
        }
        json_decref(j);
        ctx_done(&ctx);
    }
    guard_placeholders_free(map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splices_only_the_text),
        cmocka_unit_test(secret_split_in_events_split_anywhere),
        cmocka_unit_test(choices_and_tool_calls_are_separate_channels),
        cmocka_unit_test(strings_outside_the_contract_are_checked),
        cmocka_unit_test(unreadable_events_fail_closed),
        cmocka_unit_test(same_shape_events_read_like_any_other),
        cmocka_unit_test(shapes_carry_no_channel_across_streams),
        cmocka_unit_test(content_parts_are_one_channel),
        cmocka_unit_test(restores_placeholders_split_anywhere),
        cmocka_unit_test(restores_into_json_content_escaped),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
