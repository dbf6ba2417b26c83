/* Fuzz target for the stream filter (src/api/stream_filter.c) on arbitrary
 * upstream SSE bytes, with the quickstart's output guard (redact
 * sk-[A-Za-z0-9]{20,}). The first input byte picks how the rest is cut into
 * reads. Properties: no crash or sanitizer report whatever the bytes; every
 * event the filter sends is "[DONE]" or one valid JSON value on one data:
 * line; and unless the filter ended the stream with an error, the content it
 * released for choice 0 (delta.content, concatenated) holds no match of the
 * guard's pattern: no key went out, whole or in pieces. A stream sink whose
 * emit appends collects the output. A secrets guard (redact, inline) runs
 * beside it, and when the first byte's high bit is set the request carries a
 * placeholder map, so reversible restoring runs on every text field too.
 * (tests/fuzz/run.sh builds and runs it.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/json_span.h"
#include "guard/scan.h"
#include "api/lifecycle_int.h"
#include "api/stream_filter.h"
#include "config/config.h"
#include "guard/engine.h"
#include "guard/placeholder.h"
#include "metrics/metrics.h"
#include "server/server.h"

static const char yaml[] = "server: {listen: \"127.0.0.1:1\", workers: 1}\n"
                           "providers:\n"
                           "  - {name: local, type: openai, base_url: \"http://127.0.0.1:1/v1\"}\n"
                           "models:\n"
                           "  - {name: m, targets: [{provider: local, model: mock-1}]}\n"
                           "guardrails:\n"
                           "  - {name: out, type: regex, stage: output, action: redact, replacement: \"#\",\n"
                           "     patterns: [\"sk-[A-Za-z0-9]{20,}\"]}\n"
                           "  - {name: sec, type: secrets, stage: output, action: redact}\n";

static struct server_worker w;
static const struct config_guardrail *guard;
static const struct config_guardrail *guards[2];
static struct guard_placeholders *map;

static void setup(void)
{
    char err[512];
    struct config *cfg = config_load_string(yaml, sizeof(yaml) - 1, "fuzz", err, sizeof(err));
    struct guard_shared *gs = cfg ? guard_shared_create(cfg, err, sizeof(err)) : NULL;
    if (gs == NULL)
        abort();
    w.cfg = cfg;
    w.metrics = metrics_create(cfg);
    w.guards = guard_env_create(gs, uv_default_loop(), NULL, w.metrics);
    guard = guards[0] = &cfg->guardrails[0];
    guards[1] = &cfg->guardrails[1];
    map = guard_placeholders_new();
    size_t pl;
    guard_placeholders_add(map, "EMAIL_ADDRESS", "o\"rig@example.org", 17, &pl);
    guard_placeholders_add(map, "NAME", "<NAME_2>\\", 9, &pl);
}

/* Appends choice 0's delta.content of one sent event to text. */
static void add_content(const char *d, size_t dl, struct util_buf *text)
{
    json_error_t je;
    json_t *ev = json_loadb(d, dl, 0, &je);
    json_t *choices = json_object_get(ev, "choices");
    for (size_t k = 0; k < json_array_size(choices); k++) {
        json_t *c = json_array_get(choices, k);
        json_t *ix = json_object_get(c, "index");
        if (ix != NULL ? !json_is_integer(ix) || json_integer_value(ix) != 0 : k != 0)
            continue;
        json_t *t = json_object_get(json_object_get(c, "delta"), "content");
        if (json_is_string(t))
            util_buf_append(text, json_string_value(t), json_string_length(t));
    }
    json_decref(ev);
}

/* Every "data: X\n\n" the filter sent is [DONE] or valid JSON on one line, and the
 * content it released for choice 0 holds no match of the guard's pattern. */
static void check_output(const char *out, size_t len)
{
    size_t i = 0;
    char err[128];
    struct util_buf text;
    util_buf_init(&text, 1 << 24);
    while (i < len) {
        if (len - i < 8 || memcmp(out + i, "data: ", 6) != 0)
            abort();
        const char *end = memmem(out + i, len - i, "\n\n", 2);
        if (end == NULL)
            abort();
        const char *d = out + i + 6;
        size_t dl = (size_t)(end - d);
        if (memchr(d, '\n', dl) != NULL)
            abort();
        if (!(dl == 6 && memcmp(d, "[DONE]", 6) == 0)) {
            if (json_span_validate(d, dl, err, sizeof(err)) != 0)
                abort();
            add_content(d, dl, &text);
        }
        i = (size_t)(end - out) + 2;
    }
    struct guard_scan_match m;
    if (guard_scan_first(guard_local_scan(w.guards, guard), guard_env_scratch(w.guards), text.data ? text.data : "", text.len, &m) == 1)
        abort();
    util_buf_free(&text);
}

/* The client side of the filter: what it sends, and whether it ended the stream with an error. */
struct fuzz_client {
    struct util_buf out;
    int blocked;
};

static void f_emit(void *ud, const char *d, size_t n)
{
    util_buf_append(&((struct fuzz_client *)ud)->out, d, n);
}

static void f_nop(void *ud)
{
}

static void f_block(void *ud, const struct config_guardrail *g, const struct guard_verdict *v)
{
    ((struct fuzz_client *)ud)->blocked = 1;
}

static void f_note(void *ud, const struct config_guardrail *g, const char *verdict)
{
}

static int f_validate(void *ud, const char *text, size_t len)
{
    return 0;
}

static const struct stream_sink_ops fuzz_ops = {f_emit, f_nop, f_nop, f_block, f_note, f_validate};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (w.cfg == NULL)
        setup();
    if (size < 1)
        return 0;
    size_t step = (size_t)(data[0] & 0x7f) % 64 + 1;
    struct fuzz_client client = {.blocked = 0};
    int saw_done = 0, saw_error_event = 0;
    struct stream_sink ctx = {.ops = &fuzz_ops,
                              .ud = &client,
                              .guards_env = w.guards,
                              .guards = guards,
                              .n_guards = 2,
                              .request_id = "fuzz",
                              .model = "m",
                              .max_response_bytes = w.cfg->server.max_response_bytes,
                              .stream = 1,
                              .saw_done = &saw_done,
                              .saw_upstream_error_event = &saw_error_event};
    if (data[0] & 0x80) {
        ctx.placeholders = &map;
        ctx.n_placeholders = 1;
    }
    util_buf_init(&client.out, 1 << 24);
    stream_filter_begin(&ctx);
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    for (size_t i = 0; i < n && !client.blocked; i += step)
        stream_filter_feed(&ctx, p + i, n - i < step ? n - i : step);
    if (!client.blocked && saw_done)
        stream_filter_finish(&ctx);
    if (!client.blocked)
        check_output(client.out.data ? client.out.data : "", client.out.len);
    stream_filter_free(&ctx);
    util_buf_free(&client.out);
    return 0;
}
