/* pii + secrets micro-benchmark: what a request with both guardrails pays on
 * a 4 KB English prompt. Each guardrail scans the text with one Hyperscan
 * database (its literal-led recognizers) and its gated recognizers (numbers,
 * IBAN, MAC, IPv6, base58: see struct detect_gate) only over the stretches
 * that can hold them, plus the checks of the candidates.
 *
 * Build and run from the repo root (bench/micro.sh does it):
 *   cc -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/pii_bench.c build/libwarden.a $(pkg-config --libs ...) -o build/pii_bench
 *   build/pii_bench [iterations]
 *
 * Prints µs per scan and MB/s for: the clean prompt (nothing to find: what
 * most requests pay), the same prompt with one e-mail, phone, card, IBAN and
 * API key in it, pii alone, secrets alone, and the three built-in checks of
 * issue 11 on one core: pii + secrets + prompt_injection's scan (its lexicon,
 * patterns and decoders; the type's model runs as its own pool job and is
 * measured by builtin_bench) one after the other on the clean prompt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "guard/detect.h"
#include "guard/injection.h"
#include "guard/pii.h"
#include "guard/secrets.h"
#include "prompt.h"
#include "util/clock.h"

static const char *const with_pii =
    " Contact ana.lopez@example.org or +44 20 7946 0958; card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, "
    "key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1w.\n";

static const char *const YAML = "providers: [{name: p, base_url: \"http://h\"}]\n"
                                "models: [{name: m, targets: [{provider: p, model: x}]}]\n"
                                "guardrails: [{name: pii, type: pii}, {name: sec, type: secrets}]\n";

/* prompt_injection's scan, run after the sets when given */
struct injection_pass {
    struct guard_injection *inj;
    struct guard_injection_scratch *sc;
};

/* The machine may be shared: the best of 10 rounds is reported (the scan's own cost, not the neighbours'). */
static double bench(struct detect_set *const *sets, size_t n_sets, const struct injection_pass *ip, struct detect_scratch *sc,
                    const char *text, size_t len, long iters, size_t *found)
{
    struct guard_finding *f = NULL;
    size_t cap = 0;
    double best = 1e18;
    long per_round = iters / 10 > 0 ? iters / 10 : 1;
    for (int round = 0; round < 10; round++) {
        uint64_t t0 = util_now_ns();
        for (long i = 0; i < per_round; i++) {
            size_t n = 0;
            for (size_t k = 0; k < n_sets; k++)
                if (detect_scan(sets[k], sc, text, len, 0, 0.5, &f, &n, &cap) < 0) {
                    fprintf(stderr, "scan failed\n");
                    exit(1);
                }
            if (ip != NULL) {
                struct guard_injection_result r;
                if (guard_injection_check(ip->inj, ip->sc, text, len, &r) != 0 || r.score >= 0.5) {
                    fprintf(stderr, "prompt_injection failed or flagged the prompt\n");
                    exit(1);
                }
            }
            *found = n;
        }
        double us = (double)(util_now_ns() - t0) / 1000.0 / (double)per_round;
        if (us < best)
            best = us;
    }
    free(f);
    return best;
}

static void report(const char *what, double us, size_t len, size_t found)
{
    printf("%-36s %7.2f us/scan  %7.0f MB/s  (%zu findings)\n", what, us, (double)len / us, found);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 50000;
    char err[512];
    struct config *cfg = config_load_string(YAML, strlen(YAML), "bench.yaml", err, sizeof(err));
    if (cfg == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct detect_set *sets[2] = {guard_pii_compile(&cfg->guardrails[0], err, sizeof(err)),
                                  guard_secrets_compile(&cfg->guardrails[1], err, sizeof(err))};
    if (!sets[0] || !sets[1]) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct detect_scratch *sc = detect_scratch_new();
    char clean[BENCH_PROMPT_BYTES + 1], dirty[BENCH_PROMPT_BYTES + 1];
    bench_prompt_fill(clean);
    memcpy(dirty, clean, sizeof(dirty));
    memcpy(dirty + 2048, with_pii, strlen(with_pii));
    size_t found = 0;
    printf("pii_bench: 4096-byte prompt, %ld iterations (best of 10 rounds), pii (%zu recognizers) + secrets (%zu rules)\n", iters,
           detect_rule_count(sets[0]), detect_rule_count(sets[1]));
    bench(sets, 2, NULL, sc, clean, 4096, iters / 10 + 1, &found); /* warm up */
    double us = bench(sets, 2, NULL, sc, clean, 4096, iters, &found);
    report("pii + secrets, clean prompt", us, 4096, found);
    us = bench(sets, 2, NULL, sc, dirty, 4096, iters, &found);
    report("pii + secrets, 5 findings", us, 4096, found);
    us = bench(sets, 1, NULL, sc, clean, 4096, iters, &found);
    report("pii alone, clean prompt", us, 4096, found);
    us = bench(sets + 1, 1, NULL, sc, clean, 4096, iters, &found);
    report("secrets alone, clean prompt", us, 4096, found);
    struct injection_pass ip = {guard_injection_create(err, sizeof(err)), NULL};
    if (ip.inj == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    ip.sc = guard_injection_scratch_new(ip.inj);
    us = bench(sets, 0, &ip, sc, clean, 4096, iters, &found);
    report("prompt_injection scan, clean prompt", us, 4096, found);
    us = bench(sets, 2, &ip, sc, clean, 4096, iters, &found);
    report("all three on one core, clean prompt", us, 4096, found);
    guard_injection_scratch_free(ip.sc);
    guard_injection_free(ip.inj);
    detect_scratch_free(sc);
    detect_free(sets[0]);
    detect_free(sets[1]);
    config_free(cfg);
    return 0;
}
