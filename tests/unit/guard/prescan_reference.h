/* The prompt_injection pre-pass (prescan in src/guard/injection.c) as it was before its
 * shortcuts for words and numbers: every test on every token. Kept verbatim
 * (names prefixed ref_ / REF_) as the reference that tests/unit/guard/test_injection_equiv.c
 * holds prescan to: same answer (NEED_*), same base64 runs, same decoder candidates
 * on every text. */
#ifndef WARDEN_TEST_PRESCAN_REFERENCE_H
#define WARDEN_TEST_PRESCAN_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "guard/injection_cipher.h"

#define REF_B64_MIN_RUN 24
#define REF_B64_MAX_RUNS 8

static int ref_is_alpha(unsigned c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static int ref_is_leet(unsigned c)
{
    return c == '0' || c == '1' || c == '3' || c == '4' || c == '5' || c == '7' || c == '@' || c == '$';
}

/* Byte classes for the one cheap pass over the raw text. REF_C_TOKEN: the bytes a base64 run or a
 * leetspeak word is made of; REF_C_PUNCT: those of them that are neither letters nor digits; the
 * classes from REF_C_DIGIT on only tell ref_prescan where a payload may be encoded (enum ref_decode_cand). */
enum {
    REF_C_ALPHA = 1,
    REF_C_LEET = 2,
    REF_C_HIGH = 4,
    REF_C_B64 = 8,
    REF_C_UPPER = 16,
    REF_C_LOWER = 32,
    REF_C_TOKEN = 64,
    REF_C_PUNCT = 128,
    REF_C_DIGIT = 256,
    REF_C_VOWEL = 512, /* a e i o u y */
    REF_C_RARE = 1024, /* j q x z: rare in English, common in shifted letters */
    REF_C_DASH = 2048, /* - _ (Morse) */
    REF_C_QUOTE = 4096,
    REF_C_DOT = 8192,
};

static const uint16_t *ref_byte_class(void)
{
    static uint16_t cls[256];
    static int ready; /* benign race: every thread writes the same bytes */
    if (!ready) {
        for (int c = 0; c < 256; c++) {
            unsigned k = 0, lc = (unsigned)c | 0x20;
            if (ref_is_alpha((unsigned)c))
                k |= REF_C_ALPHA;
            if (ref_is_leet((unsigned)c))
                k |= REF_C_LEET;
            if (c >= 0x80)
                k |= REF_C_HIGH;
            if (c >= 'A' && c <= 'Z')
                k |= REF_C_UPPER;
            if (c >= 'a' && c <= 'z')
                k |= REF_C_LOWER;
            if (c >= '0' && c <= '9')
                k |= REF_C_DIGIT;
            if (ref_is_alpha((unsigned)c) && (lc == 'a' || lc == 'e' || lc == 'i' || lc == 'o' || lc == 'u' || lc == 'y'))
                k |= REF_C_VOWEL;
            if (ref_is_alpha((unsigned)c) && (lc == 'j' || lc == 'q' || lc == 'x' || lc == 'z'))
                k |= REF_C_RARE;
            if (c == '-' || c == '_')
                k |= REF_C_DASH;
            if (c == '\'' || c == '"' || c == '`')
                k |= REF_C_QUOTE;
            if (c == '.')
                k |= REF_C_DOT;
            int alnum = ref_is_alpha((unsigned)c) || (c >= '0' && c <= '9');
            if (alnum || c == '+' || c == '/' || c == '-' || c == '_')
                k |= REF_C_B64;
            if (alnum || c == '+' || c == '/' || c == '-' || c == '_' || c == '@' || c == '$')
                k |= REF_C_TOKEN;
            if ((k & REF_C_TOKEN) && !alnum)
                k |= REF_C_PUNCT;
            cls[c] = (uint16_t)k;
        }
        ready = 1;
    }
    return cls;
}

struct ref_b64_run {
    size_t start, end;
};

/* What the normalisation pass has to do (ref_prescan's answer). */
enum { REF_NEED_FOLD = 1, REF_NEED_LEET = 2, REF_NEED_SPACED = 4 };

/* Where ref_prescan saw what an encoded payload is made of: the decoders of injection_decode.h and
 * injection_cipher.h run only on texts that have it. */
enum ref_decode_cand {
    REF_CAND_BASE32 = 1, /* a token of 16+ characters, capitals and digits */
    REF_CAND_BITS = 2,   /* four tokens of 7 or 8 binary digits, or one of 32+ */
    REF_CAND_CODES = 4,  /* eight numbers of one to three digits in a row */
    REF_CAND_MORSE = 8,  /* three tokens of dashes */
    REF_CAND_CIPHER = 16, /* three of eight words in a row with j, q, x or z, or with no vowel */
    REF_CAND_CUT = 32,   /* three words cut by a dot ("ig.nore") */
    REF_CAND_PIECES = 64, /* three quoted pieces */
    REF_CAND_PIG = 128,   /* three words ending in "ay" (pig latin) */
    REF_CAND_ESCAPES = 256, /* four escapes (inj_has_escapes; not ref_prescan's) */
    REF_CAND_LEET = 512,    /* leetspeak (ref_prescan's REF_NEED_LEET) */
    REF_CAND_SPACED = 1024, /* s p a c e d letters joined by the normalisation */
    REF_CAND_HEX = 2048,    /* eight "0x69" tokens */
    REF_CAND_POINTS = 4096, /* four "U+0069" tokens */
    REF_CAND_CAPS = 8192,   /* five capitalised words of 4-8 letters in a row (spelling alphabet) */
    REF_CAND_BACKWARDS = 16384, /* two common words spelt backwards ("eht", "uoy", "ruoy") */
    REF_CAND_ALWAYS = 32768,    /* decoders cheap enough to try on every text (they look at its end) */
};
#define REF_CIPHER_ODD_WORDS 3

/* The byte-by-byte test for s[from..to): a leet character between word characters next to a
 * letter; four single letters in a row, each followed by one separator ("i-g-n-o"). */
static int ref_token_needs(const uint16_t *cls, const unsigned char *s, size_t len, size_t from, size_t to)
{
    int need = 0, singles = 0;
    for (size_t i = from; i < to; i++) {
        unsigned k = cls[s[i]];
        if ((k & REF_C_LEET) && i > 0 && i + 1 < len && (cls[s[i - 1]] & (REF_C_ALPHA | REF_C_LEET)) && (cls[s[i + 1]] & (REF_C_ALPHA | REF_C_LEET)) &&
            ((cls[s[i - 1]] | cls[s[i + 1]]) & REF_C_ALPHA)) {
            need |= REF_NEED_LEET;
        } else if (k & REF_C_ALPHA) {
            int single = (i == 0 || !(cls[s[i - 1]] & REF_C_ALPHA)) && (i + 1 == len || !(cls[s[i + 1]] & REF_C_ALPHA));
            if (!single)
                singles = 0;
            else if (i + 2 < len && s[i + 1] != '\n' && (cls[s[i + 2]] & REF_C_ALPHA) && ++singles >= 4)
                need |= REF_NEED_SPACED;
        }
    }
    return need;
}

/* Counters behind enum ref_decode_cand, token by token. Distances are in bytes: cheaper than
 * counting every word. */
struct ref_cand_state {
    unsigned cand, odd_words, odd1, odd2, codes_run, bit_tokens, dash_tokens, cuts, quoted, ay_words, hex0x, points, caps,
        last_cap, backwards;
    size_t last_code; /* where the last character code ended */
};

/* The rare tokens: digits, dashes, capitals with digits. */
static void ref_cand_other_token(struct ref_cand_state *st, const uint16_t *cls, const unsigned char *s, size_t start, size_t end, unsigned any)
{
    size_t n = end - start;
    if (any & REF_C_ALPHA) {
        if (n >= 16 && !(any & (REF_C_LOWER | REF_C_PUNCT)))
            st->cand |= REF_CAND_BASE32;
        if (n >= 3 && s[start] == '0' && (s[start + 1] | 0x20) == 'x' && ++st->hex0x >= 8)
            st->cand |= REF_CAND_HEX;
        if (n >= 4 && (s[start] | 0x20) == 'u' && s[start + 1] == '+' && ++st->points >= 4)
            st->cand |= REF_CAND_POINTS;
    } else if (!(any & REF_C_PUNCT)) { /* digits */
        if (n <= 3) {
            st->codes_run = st->last_code + 2 >= start ? st->codes_run + 1 : 1; /* one separator or ", " */
            st->last_code = end;
            if (st->codes_run >= 8)
                st->cand |= REF_CAND_CODES;
        }
        if (n >= 7 && (n <= 8 || n % 8 == 0)) {
            size_t k = start;
            while (k < end && (s[k] == '0' || s[k] == '1'))
                k++;
            if (k == end && (++st->bit_tokens >= 4 || n >= 32))
                st->cand |= REF_CAND_BITS;
        }
    } else if (any & REF_C_DASH) {
        size_t k = start;
        while (k < end && (cls[s[k]] & REF_C_DASH))
            k++;
        if (k == end && ++st->dash_tokens >= 3)
            st->cand |= REF_CAND_MORSE;
    }
}

#define REF_CIPHER_WORDS 8 /* three odd words among eight tokens */

/* The first two letters of the words inj_backwards_word knows (injection_cipher.h), a bit per
 * second letter: most short words are passed over on this test. */
#define L(c) (1u << ((c) - 'a'))
static const uint32_t ref_backwards_pairs[26] = {
    ['e' - 'a'] = L('h') | L('b') | L('w') | L('v') | L('k'), ['d' - 'a'] = L('n'), ['u' - 'a'] = L('o'),
    ['r' - 'a'] = L('o') | L('u'), ['l' - 'a'] = L('l'), ['y' - 'a'] = L('n') | L('m'), ['w' - 'a'] = L('o'),
    ['n' - 'a'] = L('a'), ['s' - 'a'] = L('i'), ['t' - 'a'] = L('a') | L('s') | L('i'), ['h' - 'a'] = L('t'),
    ['m' - 'a'] = L('o'), ['o' - 'a'] = L('t'), ['f' - 'a'] = L('o'),
};
#undef L

/* One token s[start..end), the words-th, with the OR of its byte classes and of the classes
 * of the bytes before it (gap). Most tokens are words of letters with a vowel after a space: a few tests
 * each, and the rest is for rarer tokens. */
static inline void ref_cand_token(struct ref_cand_state *st, const uint16_t *cls, const unsigned char *s, size_t start, size_t end,
                              unsigned any, unsigned gap, unsigned words)
{
    size_t n = end - start;
    if ((any & (REF_C_ALPHA | REF_C_DIGIT | REF_C_PUNCT)) == REF_C_ALPHA) {
        /* a word with j/q/x/z or without a vowel is odd (capitals only: acronyms up to 4);
         * three odd words close together may be shifted letters */
        if (((any ^ REF_C_VOWEL) & (REF_C_RARE | REF_C_VOWEL)) && n >= 3 && ((any & REF_C_LOWER) || n >= 5)) {
            if (++st->odd_words >= REF_CIPHER_ODD_WORDS && words - st->odd2 < REF_CIPHER_WORDS)
                st->cand |= REF_CAND_CIPHER;
            st->odd2 = st->odd1;
            st->odd1 = words;
        }
        if (n >= 16 && !(any & REF_C_LOWER))
            st->cand |= REF_CAND_BASE32;
        if ((s[end - 1] | 0x20) == 'y' && n >= 4 && (s[end - 2] | 0x20) == 'a' && ++st->ay_words >= 3)
            st->cand |= REF_CAND_PIG;
        if (n >= 2 && n <= 4 && ((ref_backwards_pairs[(s[start] | 0x20) - 'a'] >> ((s[start + 1] | 0x20) - 'a')) & 1) &&
            inj_backwards_word(s + start, n) && ++st->backwards >= 2)
            st->cand |= REF_CAND_BACKWARDS;
        if ((any & REF_C_UPPER) && (cls[s[start]] & REF_C_UPPER) && n >= 4 && n <= 8) { /* in a row: one word after the last */
            st->caps = st->last_cap + 1 == words ? st->caps + 1 : 1;
            st->last_cap = words;
            if (st->caps >= 5)
                st->cand |= REF_CAND_CAPS;
        }
    } else {
        ref_cand_other_token(st, cls, s, start, end, any);
    }
    if (gap & (REF_C_QUOTE | REF_C_DOT)) {
        if (s[start - 1] == '.') {
            if (start >= 2 && (cls[s[start - 2]] & REF_C_LOWER) && (any & REF_C_LOWER) && ++st->cuts >= 3)
                st->cand |= REF_CAND_CUT;
        } else if ((cls[s[start - 1]] & REF_C_QUOTE) && (start < 2 || !(cls[s[start - 2]] & REF_C_ALPHA)) && ++st->quoted >= 3) {
            st->cand |= REF_CAND_PIECES;
        }
    }
}

/* One pass over the text, a token at a time (two tight loops: the bytes between tokens, the
 * bytes of a token): does it need the normalisation pass, and which parts of it (NEED_*);
 * where are its base64 runs (REF_B64_MIN_RUN+ characters with both cases; runs may be NULL);
 * and which decoders may find a payload (*cand, enum ref_decode_cand; cand may be NULL)?
 * Most words of a prose text are letters only and longer than one letter: they cost a
 * table lookup per byte and a few operations per word. */
static int ref_prescan(const unsigned char *s, size_t len, struct ref_b64_run *runs, size_t *n_runs, unsigned *cand)
{
    const uint16_t *cls = ref_byte_class();
    int need = 0, singles = 0;
    unsigned gap_bits = 0;
    size_t nr = 0, i = 0;
    struct ref_cand_state st = {0};
    unsigned words = 0; /* tokens so far: a register, not a field of st */
    /* a token that starts before the text's last non-token byte ends at or before it: its
     * loop needs no test of the length (one compare and branch fewer a byte) */
    size_t bounded = len;
    while (bounded > 0 && (cls[s[bounded - 1]] & REF_C_TOKEN))
        bounded--;
    while (i < len) {
        unsigned gap = 0;
        if (s[i] == ' ') /* the usual gap; a space has no class bits */
            i++;
        while (i < len && !(cls[s[i]] & REF_C_TOKEN))
            gap |= cls[s[i++]];
        gap_bits |= gap;
        if (i == len)
            break;
        size_t start = i;
        unsigned any = 0;
        if (i < bounded) {
            for (unsigned k; (k = cls[s[i]]) & REF_C_TOKEN; i++)
                any |= k;
        } else {
            for (; i < len && (cls[s[i]] & REF_C_TOKEN); i++)
                any |= cls[s[i]];
        }
        size_t n = i - start;
        if (cand != NULL)
            ref_cand_token(&st, cls, s, start, i, any, gap, ++words);
        if (runs != NULL && n >= REF_B64_MIN_RUN && (any & (REF_C_UPPER | REF_C_LOWER)) == (REF_C_UPPER | REF_C_LOWER) && nr < REF_B64_MAX_RUNS) {
            /* a run of base64 bytes ends at an @ or $ */
            size_t a = start;
            while (a < i && nr < REF_B64_MAX_RUNS) {
                size_t b = a;
                unsigned cases = 0;
                while (b < i && (cls[s[b]] & REF_C_B64))
                    cases |= cls[s[b++]];
                if (b - a >= REF_B64_MIN_RUN && (cases & (REF_C_UPPER | REF_C_LOWER)) == (REF_C_UPPER | REF_C_LOWER)) {
                    runs[nr].start = a;
                    runs[nr].end = b;
                    nr++;
                }
                a = b + 1;
            }
        }
        if (need & (REF_NEED_LEET | REF_NEED_SPACED))
            continue;
        if (((any & REF_C_LEET) && (any & REF_C_ALPHA)) || ((any & REF_C_PUNCT) && n >= 3)) {
            need |= ref_token_needs(cls, s, len, start, i);
            singles = 0;
        } else if (n == 1 && (any & REF_C_ALPHA)) {
            /* a single letter, one separator, the next token: "i g n o r e" */
            if (i + 1 < len && s[i] != '\n' && (cls[s[i + 1]] & REF_C_ALPHA) && ++singles >= 4)
                need |= REF_NEED_SPACED;
        } else if (any & REF_C_ALPHA) {
            singles = 0;
        }
    }
    if (gap_bits & REF_C_HIGH)
        need |= REF_NEED_FOLD;
    if (n_runs != NULL)
        *n_runs = nr;
    if (cand != NULL)
        *cand = st.cand;
    return need;
}


#endif
