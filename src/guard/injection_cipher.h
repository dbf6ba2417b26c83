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
 *   backwards  each sentence that reads as English backwards, backwards ("uoy era won" -> "now
 *            are you"): backwards English keeps common letters, so every sentence is weighed
 *   leet     a copy of the text with its leetspeak words with the digits and signs read as letters, an ambiguous one
 *            ('1', '|', '!': i or l) chosen by the letters around it ("a11" -> "all",
 *            "d154b13" -> "disable"); only when a quarter of the words or more are leet
 *   pig latin  words ending in "ay" read back: "ignoreway" -> "ignore", "eviouspray" -> "previous"
 *            (the rotation of the stem whose letter pairs read best); three such words or more
 *            (its copy may be shorter than the text) */
#ifndef WARDEN_GUARD_INJECTION_CIPHER_H
#define WARDEN_GUARD_INJECTION_CIPHER_H

#include <stddef.h>

/* Mean letter-pair cost of the words of s[0..n) (English prose: about 22-26; shifted letters:
 * 35 and more), or -1 when it has fewer than min_pairs pairs. */
int inj_english_cost(const char *s, size_t n, size_t min_pairs);

size_t inj_decode_cipher(const char *s, size_t n, char *out);
size_t inj_decode_backwards(const char *s, size_t n, char *out);
size_t inj_decode_leet(const char *s, size_t n, char *out);
size_t inj_decode_leet_second(const char *s, size_t n, char *out); /* the close i/l calls the other way */
size_t inj_decode_pig_latin(const char *s, size_t n, char *out);

#endif
