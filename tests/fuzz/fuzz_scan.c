/* Fuzz target for the guard scanner: arbitrary bytes (invalid UTF-8, NULs,
 * cut characters) through first/all/redact on a fixed pattern set that covers
 * every path: exact Hyperscan regexes, a PCRE2-only fallback, UTF-8 mode,
 * and whole-word caseless keywords.
 *
 * Build by hand (tests/fuzz/run.sh does the equivalent):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -Iinclude -I/usr/include/hs \
 *     tests/fuzz/fuzz_scan.c src/guard/scan.c src/util/[a-z]*.c -lhs -lpcre2-8 -o build/fuzz_scan
 *   build/fuzz_scan -max_total_time=60 tests/fuzz/corpus_scan/
 * (libhs.so links libstdc++ itself, so no -lstdc++ is needed.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard/scan.h"

static struct guard_scan *regex, *utf8, *words;
static struct guard_scan_scratch *scratch;

static void setup(void)
{
    static const char *const re[] = {"sk-[A-Za-z0-9]{20,}", "\\b(?:\\d[ -]*?){13,16}\\b", "[a-z]+@[a-z]+\\.com", "(\\w)\\1{3}",
                                     "pass(?=word)"};
    static const char *const u8[] = {"\\w+\xc3\xa9", "x.y", "^\\d{2,4}$"};
    static const char *const kw[] = {"ass", "c++", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "aa"};
    char err[256];
    regex = guard_scan_compile(GUARD_SCAN_REGEX, re, sizeof(re) / sizeof(*re), 0, err, sizeof(err));
    utf8 =
        guard_scan_compile(GUARD_SCAN_REGEX, u8, sizeof(u8) / sizeof(*u8), GUARD_SCAN_UTF8 | GUARD_SCAN_CASELESS, err, sizeof(err));
    words = guard_scan_compile(GUARD_SCAN_KEYWORDS, kw, sizeof(kw) / sizeof(*kw), GUARD_SCAN_WHOLE_WORD | GUARD_SCAN_CASELESS, err,
                               sizeof(err));
    if (!regex || !utf8 || !words)
        abort();
    scratch = guard_scan_scratch_new(regex);
    guard_scan_scratch_grow(scratch, utf8);
    guard_scan_scratch_grow(scratch, words);
}

static void exercise(const struct guard_scan *s, const char *text, size_t len)
{
    struct guard_scan_match m, *all;
    size_t n, outlen;
    int first = guard_scan_first(s, scratch, text, len, &m);
    if (first == 1 && (m.start >= m.end || m.end > len))
        abort();
    int cnt = guard_scan_all(s, scratch, text, len, &all, &n);
    if (cnt < 0)
        abort(); /* no pattern here can hit the PCRE2 limits on a fuzz-sized input */
    if ((cnt > 0) != (first == 1))
        abort();
    for (size_t i = 0; i < n; i++) {
        if (all[i].start >= all[i].end || all[i].end > len || (i > 0 && all[i].start < all[i - 1].end))
            abort();
    }
    free(all);
    char *r = guard_scan_redact(s, scratch, text, len, "#", &outlen);
    if ((r != NULL) != (cnt > 0))
        abort();
    if (r && (outlen > len + n || r[outlen] != '\0'))
        abort();
    free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!regex)
        setup();
    if (size > 1 << 16)
        return 0;
    const char *text = (const char *)data;
    exercise(regex, text, size);
    exercise(utf8, text, size);
    exercise(words, text, size);
    return 0;
}
