/* Fuzz target for the incremental stream matcher (src/guard/stream_scan.c):
 * the first input byte picks how the rest is cut into pieces (1-16 bytes),
 * the rest is the text. Fed piece by piece with a window large enough to
 * never overflow, the redacted stream must equal guard_scan_redact over the
 * whole text, byte for byte, whatever the cut; and no piece may release text
 * that the whole-text redaction hides. (tests/fuzz/run.sh builds and runs it.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard/scan.h"
#include "guard/stream_scan.h"

static struct guard_scan *regex, *utf8;
static struct guard_scan_scratch *scratch;

static void setup(void)
{
    static const char *const re[] = {"sk-[A-Za-z0-9]{20,}", "\\b(?:\\d[ -]*?){13,16}\\b", "[a-z]+@[a-z]+\\.com", "(\\w)\\1{3}",
                                     "pass(?=word)"};
    static const char *const u8[] = {"\\w+\xc3\xa9", "x.y", "AKIA[0-9A-Z]{16}"};
    char err[256];
    regex = guard_scan_compile(GUARD_SCAN_REGEX, re, sizeof(re) / sizeof(*re), 0, err, sizeof(err));
    utf8 =
        guard_scan_compile(GUARD_SCAN_REGEX, u8, sizeof(u8) / sizeof(*u8), GUARD_SCAN_UTF8 | GUARD_SCAN_CASELESS, err, sizeof(err));
    if (!regex || !utf8)
        abort();
    scratch = guard_scan_scratch_new(regex);
    guard_scan_scratch_grow(scratch, utf8);
}

static void compare(const struct guard_scan *s, const char *text, size_t len, size_t step)
{
    struct guard_stream_rule rule = {.scan = s, .action = GUARD_STREAM_REDACT, .replacement = "#", .window = 1 << 20};
    struct guard_stream *st = guard_stream_new(&rule, 1);
    struct util_buf out;
    util_buf_init(&out, 1 << 22);
    size_t outlen;
    char *whole = guard_scan_redact(s, scratch, text, len, "#", &outlen);
    if (whole == NULL && outlen == GUARD_SCAN_REDACT_ERROR)
        abort();
    const char *want = whole ? whole : text;
    size_t want_len = whole ? outlen : len;
    for (size_t pos = 0; pos < len; pos += step) {
        size_t n = len - pos < step ? len - pos : step;
        if (guard_stream_feed(st, scratch, text + pos, n, 0, &out, NULL) != GUARD_STREAM_OK)
            abort();
        /* what went out so far is a prefix of the whole-text redaction */
        if (out.len > want_len || memcmp(out.data ? out.data : "", want, out.len) != 0)
            abort();
    }
    if (guard_stream_feed(st, scratch, NULL, 0, 1, &out, NULL) != GUARD_STREAM_OK)
        abort();
    if (out.len != want_len || memcmp(out.data ? out.data : "", want, want_len) != 0)
        abort();
    free(whole);
    util_buf_free(&out);
    guard_stream_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!regex)
        setup();
    if (size < 1 || size > 1 << 12)
        return 0;
    size_t step = (size_t)(data[0] % 16) + 1;
    compare(regex, (const char *)data + 1, size - 1, step);
    compare(utf8, (const char *)data + 1, size - 1, step);
    return 0;
}
