/* The usage tap (src/api/usage.c): a stream's bytes split anywhere (every one and two cut
 * points, one byte at a time) come out the same; STRIP takes out exactly the usage-only
 * chunk, OBSERVE passes every byte; the usage is read in both; what is not a usage-only
 * chunk on one data line (a content chunk with usage, "usage": null, several data lines,
 * an event over the cap) passes unchanged; an unterminated last event is flushed; the
 * include_usage request edits and the refusal table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/usage.h"
#include "util/buf.h"

static void on_emit(void *ud, const char *data, size_t len)
{
    assert_true(len > 0); /* the tap never emits empty runs */
    assert_int_equal(util_buf_append(ud, data, len), 0);
}

/* Feeds stream in pieces cut at a and b (a <= b), then finishes; returns the output (free it). */
static char *run_tap(enum usage_tap_mode mode, const char *stream, size_t a, size_t b, struct usage_tap *t)
{
    size_t n = strlen(stream);
    struct util_buf out;
    util_buf_init(&out, 1 << 22);
    usage_tap_reset(t, mode);
    usage_tap_feed(t, stream, a, on_emit, &out);
    usage_tap_feed(t, stream + a, b - a, on_emit, &out);
    usage_tap_feed(t, stream + b, n - b, on_emit, &out);
    usage_tap_finish(t, on_emit, &out);
    util_buf_append(&out, "", 0);
    size_t len;
    return util_buf_take(&out, &len);
}

static const char *STREAM = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n"
                            ": keep-alive comment\n\n"
                            "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\n"
                            "data: {\"id\":\"c\",\"choices\": [ ],\"usage\": {\"prompt_tokens\":7,\"completion_tokens\":3}}\r\n\r\n"
                            "data: [DONE]\n\n";

static const char *STRIPPED = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n"
                              ": keep-alive comment\n\n"
                              "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\n"
                              "data: [DONE]\n\n";

static void strip_is_the_same_at_every_pair_of_cut_points(void **state)
{
    size_t n = strlen(STREAM);
    struct usage_tap t = {0};
    for (size_t a = 0; a <= n; a++) {
        for (size_t b = a; b <= n; b++) {
            char *out = run_tap(USAGE_TAP_STRIP, STREAM, a, b, &t);
            assert_string_equal(out, STRIPPED);
            assert_int_equal(t.stripped, 1);
            assert_int_equal(t.has_usage, 1);
            assert_int_equal(t.usage.tokens_in, 7);
            assert_int_equal(t.usage.tokens_out, 3);
            free(out);
        }
    }
    usage_tap_free(&t);
}

static void observe_passes_every_byte_and_reads_the_usage(void **state)
{
    size_t n = strlen(STREAM);
    struct usage_tap t = {0};
    for (size_t a = 0; a <= n; a++) {
        for (size_t b = a; b <= n; b += 3) {
            char *out = run_tap(USAGE_TAP_OBSERVE, STREAM, a, b, &t);
            assert_string_equal(out, STREAM);
            assert_int_equal(t.stripped, 0);
            assert_int_equal(t.has_usage, 1);
            assert_int_equal(t.usage.tokens_in, 7);
            free(out);
        }
    }
    usage_tap_free(&t);
}

static void one_byte_at_a_time(void **state)
{
    struct usage_tap t = {0};
    struct util_buf out;
    util_buf_init(&out, 1 << 20);
    usage_tap_reset(&t, USAGE_TAP_STRIP);
    for (const char *p = STREAM; *p; p++)
        usage_tap_feed(&t, p, 1, on_emit, &out);
    usage_tap_finish(&t, on_emit, &out);
    util_buf_append(&out, "", 0);
    assert_string_equal(out.data, STRIPPED);
    assert_int_equal(t.usage.tokens_out, 3);
    util_buf_free(&out);
    usage_tap_free(&t);
}

/* Only a usage-only chunk on one data line goes; everything else passes byte for byte. */
static void what_is_not_a_usage_only_chunk_passes(void **state)
{
    const char *kept[] = {
        /* usage on a content chunk (some upstreams): read, not stripped */
        "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":5}}\n\n",
        /* the same chunk split over two data lines */
        "data: {\"choices\":[],\ndata: \"usage\":{\"prompt_tokens\":1}}\n\n",
        /* not JSON */
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1}\n\n",
        /* an event with another field first */
        "event: usage\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":1}}\n\n",
        /* the text of a message that mentions a usage object */
        "data: {\"choices\":[{\"delta\":{\"content\":\"\\\"usage\\\":{}\"}}]}\n\n",
    };
    struct usage_tap t = {0};
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        char *out = run_tap(USAGE_TAP_STRIP, kept[i], 0, 0, &t);
        assert_string_equal(out, kept[i]);
        assert_int_equal(t.stripped, 0);
        free(out);
    }
    char *out = run_tap(USAGE_TAP_STRIP, kept[0], 5, 9, &t);
    assert_int_equal(t.has_usage, 1);
    assert_int_equal(t.usage.tokens_in, 4);
    assert_int_equal(t.usage.tokens_out, 5);
    free(out);
    usage_tap_free(&t);
}

/* usage_event_read + usage_tap_take (the stream filter's reading of events it delimits
 * itself) say what usage_tap_feed says of the same payload on one data line: the usage
 * kept, and whether STRIP takes the event out. */
static void event_read_agrees_with_the_tap(void **state)
{
    const char *payloads[] = {
        "{\"id\":\"c\",\"choices\": [ ],\"usage\": {\"prompt_tokens\":7,\"completion_tokens\":3}}",
        "{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":5}}",
        "{\"choices\":[],\"usage\":{\"input_tokens\":2,\"output_tokens\":6}}",
        "{\"choices\":[],\"usage\":{\"completion_tokens\":6}}", /* no input count: not usage */
        "{\"choices\":[],\"usage\":null}",
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":1}", /* not JSON */
        "{\"choices\":[{\"delta\":{\"content\":\"\\\"usage\\\":{}\"}}]}",
        "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}",
    };
    for (int mode = USAGE_TAP_OBSERVE; mode <= USAGE_TAP_STRIP; mode++) {
        for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
            char ev[512];
            snprintf(ev, sizeof(ev), "data: %s\n\n", payloads[i]);
            struct usage_tap a = {0}, b = {0};
            char *out = run_tap((enum usage_tap_mode)mode, ev, 0, 0, &a);
            usage_tap_reset(&b, (enum usage_tap_mode)mode);
            struct usage u;
            int only = 0, taken = 0;
            if (usage_event_read(payloads[i], strlen(payloads[i]), 0, &u, &only) == 0)
                taken = usage_tap_take(&b, &u, only);
            assert_int_equal(taken, strcmp(out, ev) != 0);
            assert_int_equal(a.stripped, b.stripped);
            assert_int_equal(a.has_usage, b.has_usage);
            if (a.has_usage) {
                assert_int_equal(a.usage.tokens_in, b.usage.tokens_in);
                assert_int_equal(a.usage.tokens_out, b.usage.tokens_out);
            }
            free(out);
            usage_tap_free(&a);
            usage_tap_free(&b);
        }
    }
}

/* An event over USAGE_TAP_EVENT_MAX passes whole and unexamined, however it is cut, and the
 * usage chunk after it is still found; an unterminated last event goes out at the finish. */
static void a_large_event_passes_and_the_tail_is_flushed(void **state)
{
    size_t big = USAGE_TAP_EVENT_MAX + 100;
    struct util_buf in;
    util_buf_init(&in, 1 << 22);
    const char *head = "data: {\"choices\":[{\"delta\":{\"content\":\"";
    util_buf_append(&in, head, strlen(head));
    for (size_t i = 0; i < big; i++)
        util_buf_append(&in, "a", 1);
    const char *rest = "\"}}],\"usage\":{\"prompt_tokens\":99}}\n\n"
                       "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1}}\n\n"
                       "data: [DONE]\n\ndata: {\"cut";
    util_buf_append(&in, rest, strlen(rest));
    size_t keep_len = in.len - strlen("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1}}\n\n");
    size_t cuts[] = {0, 10, 5000, USAGE_TAP_EVENT_MAX - 1, USAGE_TAP_EVENT_MAX + 60, big + strlen(head), big + strlen(head) + 40, in.len - 3};
    struct usage_tap t = {0};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        for (size_t j = i; j < sizeof(cuts) / sizeof(cuts[0]); j++) {
            char *out = run_tap(USAGE_TAP_STRIP, in.data, cuts[i], cuts[j], &t);
            assert_int_equal(strlen(out), keep_len);
            assert_memory_equal(out, in.data, big + strlen(head));
            assert_int_equal(t.stripped, 1);
            assert_int_equal(t.usage.tokens_in, 2);
            assert_string_equal(out + keep_len - 25, "data: [DONE]\n\ndata: {\"cut");
            free(out);
        }
    }
    util_buf_free(&in);
    usage_tap_free(&t);
}

/* A stream without a usage chunk (an upstream that ignores stream_options): unchanged, no usage. */
static void a_stream_without_usage_is_unchanged(void **state)
{
    const char *s = "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]\n\n";
    struct usage_tap t = {0};
    char *out = run_tap(USAGE_TAP_STRIP, s, 7, 30, &t);
    assert_string_equal(out, s);
    assert_int_equal(t.has_usage, 0);
    free(out);
    usage_tap_free(&t);
}

static void include_usage_goes_into_the_request(void **state)
{
    const char *a = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"stream_options\"}]}";
    assert_int_equal(usage_client_asks(a, strlen(a)), 0);
    size_t n;
    char *out = usage_request_add_include(a, strlen(a), &n);
    assert_string_equal(out, "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"stream_options\"}],"
                             "\"stream_options\":{\"include_usage\":true}}");
    assert_int_equal(usage_client_asks(out, n), 1);
    free(out);
    const char *b = "{\"stream\":true,\"stream_options\":{\"include_obfuscation\":false}}";
    out = usage_request_add_include(b, strlen(b), &n);
    assert_string_equal(out, "{\"stream\":true,\"stream_options\":{\"include_usage\":true,\"include_obfuscation\":false}}");
    free(out);
    const char *c = "{\"stream\":true,\"messages\":[{\"content\":\"include_usage\"}]}";
    assert_int_equal(usage_client_asks(c, strlen(c)), 0);
}

static void refusals_are_remembered_per_target_for_a_while(void **state)
{
    assert_int_equal(usage_target_refuses("p/m", 1000), 0);
    usage_target_refused("p/m", 1000);
    assert_int_equal(usage_target_refuses("p/m", 1001), 1);
    assert_int_equal(usage_target_refuses("p/other", 1001), 0);
    assert_int_equal(usage_target_refuses("p/m", 1000 + USAGE_REFUSAL_TTL_MS + 1), 0);
    /* more targets than slots: the table stays bounded, the newest are kept */
    char label[32];
    for (int i = 0; i < 40; i++) {
        snprintf(label, sizeof(label), "p/m%d", i);
        usage_target_refused(label, 2000 + (uint64_t)i);
    }
    assert_int_equal(usage_target_refuses("p/m39", 3000), 1);
    const char *e = "{\"error\":{\"message\":\"Unrecognized request argument supplied: stream_options\"}}";
    assert_int_equal(usage_error_names_stream_options(400, e, strlen(e)), 1);
    assert_int_equal(usage_error_names_stream_options(500, e, strlen(e)), 0);
    assert_int_equal(usage_error_names_stream_options(400, "{}", 2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strip_is_the_same_at_every_pair_of_cut_points),
        cmocka_unit_test(observe_passes_every_byte_and_reads_the_usage),
        cmocka_unit_test(one_byte_at_a_time),
        cmocka_unit_test(what_is_not_a_usage_only_chunk_passes),
        cmocka_unit_test(event_read_agrees_with_the_tap),
        cmocka_unit_test(a_large_event_passes_and_the_tail_is_flushed),
        cmocka_unit_test(a_stream_without_usage_is_unchanged),
        cmocka_unit_test(include_usage_goes_into_the_request),
        cmocka_unit_test(refusals_are_remembered_per_target_for_a_while),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
