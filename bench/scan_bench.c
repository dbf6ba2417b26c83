/* Scanner micro-benchmark: the cost of a regex guard on a 4 KB prompt that
 * passes (no match), which is what every request pays.
 *
 * Build and run from the repo root:
 *   make build/libwarden.a
 *   cc -O2 -Isrc bench/scan_bench.c build/libwarden.a $(pkg-config --libs libhs libpcre2-8) -o build/scan_bench
 *   build/scan_bench [iterations]
 *
 * Prints µs per scan for guard_scan_first (block) and guard_scan_redact
 * (redact, same passing text), and, as a sanity check, the time for a text
 * that does contain a match. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/scan.h"
#include "prompt.h"
#include "util/clock.h"

static const char *const patterns[] = {
    "sk-[A-Za-z0-9]{20,}",                             /* OpenAI-style API key */
    "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}", /* email */
    "\\b(?:\\d[ -]*?){13,16}\\b",                      /* credit card */
    "\\b\\d{3}-\\d{2}-\\d{4}\\b",                      /* US SSN */
    "AKIA[0-9A-Z]{16}",                                /* AWS access key id */
};

static double bench(const struct guard_scan *s, struct guard_scan_scratch *sc, const char *text, size_t len, long iters, int redact,
                    long *hits)
{
    uint64_t t0 = util_now_ns();
    for (long i = 0; i < iters; i++) {
        if (redact) {
            size_t outlen;
            char *r = guard_scan_redact(s, sc, text, len, "[REDACTED]", &outlen);
            if (r) {
                (*hits)++;
                free(r);
            }
        } else {
            struct guard_scan_match m;
            if (guard_scan_first(s, sc, text, len, &m) == 1)
                (*hits)++;
        }
    }
    return (double)(util_now_ns() - t0) / 1000.0 / (double)iters;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 100000;
    char err[256];
    struct guard_scan *s = guard_scan_compile(GUARD_SCAN_REGEX, patterns, 5, 0, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "compile: %s\n", err);
        return 1;
    }
    struct guard_scan_scratch *sc = guard_scan_scratch_new(s);

    char text[BENCH_PROMPT_BYTES + 1];
    size_t len = bench_prompt_fill(text);

    long hits = 0;
    double first = bench(s, sc, text, len, iters, 0, &hits);
    double redact = bench(s, sc, text, len, iters, 1, &hits);
    if (hits != 0) {
        fprintf(stderr, "unexpected match in the passing prompt\n");
        return 1;
    }
    /* Same prompt with a key in the middle: the PCRE2 span path. */
    memcpy(text + 2048, " sk-abcdefghijklmnopqrstuvwxyz0123 ", 35);
    double hit = bench(s, sc, text, len, iters / 10 ? iters / 10 : 1, 0, &hits);
    printf("scan_bench: %zu-byte prompt, %zu patterns, %ld iterations\n", len, sizeof(patterns) / sizeof(*patterns), iters);
    printf("guard_scan_first  (pass): %.2f us/scan\n", first);
    printf("guard_scan_redact (pass): %.2f us/scan\n", redact);
    printf("guard_scan_first  (hit):  %.2f us/scan\n", hit);
    guard_scan_scratch_free(sc);
    guard_scan_free(s);
    return hits == iters / 10 ? 0 : 1;
}
