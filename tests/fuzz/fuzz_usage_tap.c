/* Fuzz target for the usage tap (src/api/usage.c) on arbitrary upstream SSE bytes. The
 * first input byte picks how the rest is cut into reads (a seed for the cut lengths).
 * Properties: no crash or sanitizer report whatever the bytes; OBSERVE hands on every byte,
 * unchanged and in order; STRIP gives the same bytes, the same count of stripped chunks and
 * the same usage however the stream is cut (compared with one read of it all), and only
 * takes bytes out (its output is never longer than the input). (tests/fuzz/run.sh builds
 * and runs it.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/usage.h"
#include "util/buf.h"

static void on_emit(void *ud, const char *data, size_t len)
{
    if (len == 0)
        abort(); /* never an empty run */
    if (util_buf_append(ud, data, len) != 0)
        abort();
}

/* Feeds data cut by seed (seed 0: one read); output in out. */
static void run(enum usage_tap_mode mode, const char *data, size_t len, unsigned seed, struct usage_tap *t, struct util_buf *out)
{
    usage_tap_reset(t, mode);
    size_t i = 0;
    while (i < len) {
        size_t n = len - i;
        if (seed != 0) {
            seed = seed * 1103515245u + 12345u;
            n = 1 + (seed >> 16) % 97;
            if (n > len - i)
                n = len - i;
        }
        usage_tap_feed(t, data + i, n, on_emit, out);
        i += n;
    }
    usage_tap_finish(t, on_emit, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    if (size < 1)
        return 0;
    unsigned seed = bytes[0] | 1u;
    const char *data = (const char *)bytes + 1;
    size_t len = size - 1;
    struct usage_tap t = {0}, whole = {0};
    struct util_buf a, b;
    util_buf_init(&a, 1 << 24);
    util_buf_init(&b, 1 << 24);

    run(USAGE_TAP_OBSERVE, data, len, seed, &t, &a);
    if (a.len != len || (len > 0 && memcmp(a.data, data, len) != 0))
        abort();

    util_buf_reset(&a);
    run(USAGE_TAP_STRIP, data, len, seed, &t, &a);
    run(USAGE_TAP_STRIP, data, len, 0, &whole, &b);
    if (a.len != b.len || (a.len > 0 && memcmp(a.data, b.data, a.len) != 0) || a.len > len)
        abort();
    if (t.stripped != whole.stripped || t.has_usage != whole.has_usage ||
        (t.has_usage && (t.usage.tokens_in != whole.usage.tokens_in || t.usage.tokens_out != whole.usage.tokens_out)))
        abort();
    if (t.stripped == 0 && a.len != len)
        abort(); /* nothing taken out: every byte went on */

    util_buf_free(&a);
    util_buf_free(&b);
    usage_tap_free(&t);
    usage_tap_free(&whole);
    return 0;
}
