/* Prompt-injection detector for the `prompt_injection` guardrail.
 *
 * Four families of signal:
 *   override     "ignore all previous instructions", "new instructions:", "from now on you will..."
 *   roleplay     jailbreak personas and markers: DAN, "do anything now", developer mode,
 *                "pretend you are ... without restrictions", "you are no longer bound"
 *   extraction   requests for the system prompt: "repeat your system prompt", "what were you told before"
 *   encoding     payloads hidden from a reader: base64 runs that decode to an attack, invisible and
 *                tag characters, bidi overrides, homoglyph / fullwidth / leetspeak obfuscation
 *
 * Two models read the text:
 *   - a token-level model (injection_lex.h): words and short phrases looked up in a lexicon
 *     of word classes (override verbs, instruction nouns, scope words, role-play frames,
 *     no-limit phrases, reveal verbs, hidden-prompt nouns, bystander subjects), combined by
 *     rules within a sentence; it is built at start-up without compiling anything;
 *   - fixed phrase patterns in one Hyperscan database (compiled once, shared read-only by all
 *     threads) for markers the token model does not cover (chat-template tokens, AIM, ...).
 *     A text of 1 KB or more runs them only on windows around the anchor words the token
 *     model reports while reading.
 * A text is read once by a byte-class pre-pass: when it is pure ASCII without leetspeak it is
 * scanned as is; otherwise one normalisation pass maps look-alikes to ASCII, drops invisible
 * characters, decodes tag characters and joins s.p.a.c.e.d letters, and only the normalised
 * text is scanned (offsets are mapped back). Base64 runs of 24+ characters whose decoding is
 * printable text are scanned too, and so are rot13, reversed, hex and escaped payloads when the
 * text carries their cue; the same pre-pass notes what other encodings are made of (base32,
 * binary, character codes, Morse, spelling alphabet, words with no English letter pairs, pig
 * latin, split or cut words) and only then are their decoders run (injection_decode.h,
 * injection_cipher.h), one level deeper for a payload encoded twice. A decoded payload that
 * reads as an attack is an encoded attack; "decode this and do what it says" around an encoded
 * payload is evidence on its own.
 *
 * Score: each pattern and token rule has a weight in 0..1; signals combine as a noisy-OR
 * (1 - prod(1 - w)), so several weak cues add up while one weak cue stays
 * below the default threshold 0.5. Phrases that mark a text as talking
 * *about* instructions ("should I ignore...", "prompt injection") damp the
 * phrase score, which keeps ordinary questions below the threshold.
 *
 * Threading: guard_injection is immutable after create; each thread brings its
 * own scratch. */
#ifndef WARDEN_GUARD_INJECTION_H
#define WARDEN_GUARD_INJECTION_H

#include <stddef.h>

struct guard_injection;         /* compiled patterns, immutable, shared */
struct guard_injection_scratch; /* per thread */

enum guard_injection_family {
    GUARD_INJ_OVERRIDE,
    GUARD_INJ_ROLEPLAY,
    GUARD_INJ_EXTRACTION,
    GUARD_INJ_ENCODING,
    GUARD_INJ_N_FAMILIES
};

struct guard_injection_result {
    double score;                                /* 0..1 */
    double family_score[GUARD_INJ_N_FAMILIES];   /* each family's own noisy-OR */
    int family;                                  /* family of the strongest signal, -1 if none */
    size_t start, end;                           /* byte span of the strongest signal in the text (0,0: none) */
    char signal[48];                             /* its name, e.g. "ignore-previous-instructions" */
};

struct guard_injection *guard_injection_create(char *err, size_t errsz);
void guard_injection_free(struct guard_injection *inj);

struct guard_injection_scratch *guard_injection_scratch_new(const struct guard_injection *inj);
void guard_injection_scratch_free(struct guard_injection_scratch *sc);
/* Tests: scan every text whole instead of on the windows around its anchors (the result
 * must be the same; test_injection checks it). */
void guard_injection_scratch_whole_text(struct guard_injection_scratch *sc, int on);

/* Scores one text. Returns 0, or <0 (WARDEN_E*) if the scanner failed. */
int guard_injection_check(const struct guard_injection *inj, struct guard_injection_scratch *sc, const char *text, size_t len,
                          struct guard_injection_result *out);

const char *guard_injection_family_name(int family); /* "override", ... */

#endif
