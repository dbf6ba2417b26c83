/* Fuzz target for the prompt_injection decoders (injection_decode.h, injection_cipher.h) and the
 * detector that runs them: arbitrary bytes through every decoder, each writing into a heap
 * buffer of exactly the input's length (the decoders' contract: ASan sees a byte too many),
 * then through guard_injection_check. Checks, besides memory safety: no decoder returns more
 * than the input's length; the score lies in 0..1 and the span inside the text.
 *
 *   tests/fuzz/run.sh injection_decode          (FUZZ_SECONDS=60 for longer) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard/injection.h"
#include "guard/injection_cipher.h"
#include "guard/injection_decode.h"

static struct guard_injection *inj;
static struct guard_injection_scratch *sc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (inj == NULL) {
        char err[256];
        inj = guard_injection_create(err, sizeof(err));
        if (inj == NULL)
            abort();
        sc = guard_injection_scratch_new(inj);
    }
    size_t (*const decoders[])(const char *, size_t, char *) = {
        inj_decode_escapes, inj_decode_escape_runs, inj_decode_hex,       inj_decode_base32,  inj_decode_binary,
        inj_decode_codes,   inj_decode_morse,       inj_decode_pieces,    inj_decode_cut_words, inj_decode_spaced,
        inj_decode_rot13,   inj_decode_reverse,     inj_decode_cipher,    inj_decode_leet,    inj_decode_pig_latin,
        inj_decode_code_points, inj_decode_nato,    inj_decode_leet_second, inj_decode_backwards,
        inj_decode_word_order};
    const char *text = (const char *)data;
    char *out = malloc(size ? size : 1);
    for (size_t d = 0; d < sizeof(decoders) / sizeof(decoders[0]); d++)
        if (decoders[d](text, size, out) > size)
            abort();
    (void)inj_has_escapes(text, size);
    (void)inj_follow_frame(text, size, 1);
    (void)inj_instruction(text, size);
    free(out);
    struct guard_injection_result r;
    if (guard_injection_check(inj, sc, text, size, &r) != 0)
        abort();
    if (!(r.score >= 0 && r.score <= 1) || r.start > r.end || r.end > size)
        abort();
    return 0;
}
