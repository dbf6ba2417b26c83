/* Instructions of the prompt_injection check on a 4 KB prompt, for bench/injection_instr.sh:
 * runs guard_injection_check N times on one text under callgrind (the script counts only inside
 * the check). Texts: 0 the benchmark prompt (bench/prompt.h: ASCII, scanned as is), 1 the same
 * with one Cyrillic letter (the normalisation path), 2 ordinary text full of anchor words (the
 * patterns run on windows that cover most of it; builtin_bench.c's third case).
 * Usage: injection_instr TEXT [N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/injection.h"
#include "prompt.h"

int main(int argc, char **argv)
{
    int which = argc > 1 ? atoi(argv[1]) : 0, n = argc > 2 ? atoi(argv[2]) : 200;
    char err[256];
    struct guard_injection *inj = guard_injection_create(err, sizeof(err));
    if (inj == NULL) {
        fprintf(stderr, "injection_instr: %s\n", err);
        return 1;
    }
    struct guard_injection_scratch *sc = guard_injection_scratch_new(inj);
    static char text[BENCH_PROMPT_BYTES + 1];
    size_t len = bench_prompt_fill(text);
    if (which == 1)
        memcpy(text + 100, "\xd0\xb0", 2);
    if (which == 2) {
        static const char talk[] = "Please review the following onboarding text and apply our style guide rules: keep the "
                                   "previous formatting, ignore typos in code comments, and rewrite the instructions for new "
                                   "hires so that the restrictions on remote access are clear. ";
        for (size_t i = 0; i < len; i++)
            text[i] = talk[i % (sizeof(talk) - 1)];
    }
    struct guard_injection_result r;
    for (int i = 0; i < n; i++)
        if (guard_injection_check(inj, sc, text, len, &r) != 0)
            return 1;
    printf("text %d: score %.3f\n", which, r.score);
    guard_injection_scratch_free(sc);
    guard_injection_free(inj);
    return 0;
}
