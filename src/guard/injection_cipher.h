/* Letter-level decoders for the prompt_injection detector (injection.c), the ones that need
 * to know what English looks like: a table of English letter-pair costs (-3 log2 P(pair),
 * measured on the repository's ordinary English by scripts/gen_injection_bigrams.py) tells
 * English from shifted or substituted letters. Each decoder writes its reading into out (at
 * least n bytes) and returns its length, or 0 when it found nothing worth scoring;
 * injection.c scores the reading like the text.
 *
 *   cipher   each sentence or line whose words do not read as English and that some Caesar
 *            shift (1-25), the Atbash substitution or reading backwards turns into English, read
 *            that way ("brx duh qrz" -> "you are now"); only those sentences are written out.
 *            The transform is chosen on the sentence's strange words (with j, q, x or z or
 *            without a vowel, and dear as written): a sentence without one is skipped
 *   backwards  each sentence with more common words backwards than forwards ("uoy era won dna"),
 *            backwards (letter pairs hardly tell backwards English: its pairs are common too)
 *   leet     a copy of the text with its leetspeak words with the digits and signs read as letters, an ambiguous one
 *            ('1', '|', '!': i or l) chosen by the letters around it ("a11" -> "all",
 *            "d154b13" -> "disable"); only when a quarter of the words or more are leet
 *   pig latin  words ending in "ay" read back: "ignoreway" -> "ignore", "eviouspray" -> "previous"
 *            (the rotation of the stem whose letter pairs read best); three such words or more
 *            (its copy may be shorter than the text) */
#ifndef WARDEN_GUARD_INJECTION_CIPHER_H
#define WARDEN_GUARD_INJECTION_CIPHER_H

#include <stddef.h>
#include <stdint.h>

/* Mean letter-pair cost of the words of s[0..n) (English prose: about 22-26; shifted letters:
 * 35 and more), or -1 when it has fewer than min_pairs pairs. */
int inj_english_cost(const char *s, size_t n, size_t min_pairs);

size_t inj_decode_cipher(const char *s, size_t n, char *out);
size_t inj_decode_backwards(const char *s, size_t n, char *out);
size_t inj_decode_leet(const char *s, size_t n, char *out);
size_t inj_decode_leet_second(const char *s, size_t n, char *out); /* the close i/l calls the other way */
size_t inj_decode_pig_latin(const char *s, size_t n, char *out);

/* Is s[0..n) (2 to 4 letters) a common English word spelt backwards ("eht", "uoy", "ruoy")?
 * Inline: prescan (injection.c) asks it of every short word. */
static inline int inj_backwards_word(const unsigned char *s, size_t n)
{
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++)
        k = k << 8 | (s[i] | 0x20u);
#define W3(a, b, c) ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))
#define W4(a, b, c, d) ((uint32_t)(a) << 24 | W3(b, c, d))
#define W2(a, b) ((uint32_t)(a) << 8 | (uint32_t)(b))
    switch (k) {
    case W2('o', 't'): /* to */
    case W2('f', 'o'): /* of */
    case W2('t', 'i'): /* it */
    case W2('e', 'b'): /* be */
    case W2('e', 'w'): /* we */
    case W2('y', 'm'): /* my */
    case W3('e', 'h', 't'): /* the */
    case W3('d', 'n', 'a'): /* and */
    case W3('u', 'o', 'y'): /* you */
    case W3('r', 'o', 'f'): /* for */
    case W3('l', 'l', 'a'): /* all */
    case W3('y', 'n', 'a'): /* any */
    case W3('r', 'u', 'o'): /* our */
    case W3('w', 'o', 'h'): /* how */
    case W3('n', 'a', 'c'): /* can */
    case W4('r', 'u', 'o', 'y'): /* your */
    case W4('s', 'i', 'h', 't'): /* this */
    case W4('t', 'a', 'h', 't'): /* that */
    case W4('h', 't', 'i', 'w'): /* with */
    case W4('e', 'v', 'a', 'h'): /* have */
    case W4('m', 'o', 'r', 'f'): /* from */
    case W4('t', 's', 'u', 'm'): /* must */
    case W4('e', 'k', 'i', 'l'): /* like */
        return 1;
    }
    return 0;
#undef W2
#undef W3
#undef W4
}

#endif
