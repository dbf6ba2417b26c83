/* A reference for the classifier's inference, written from the documented model
 * (classifier.h) and kept deliberately plain: the normalisation rules applied one byte
 * at a time, every feature hashed on its own, weights summed left to right, all read
 * from a model file field by field. Used by tests/unit/guard/test_classifier_reference.c
 * and tests/fuzz/fuzz_classifier.c. Also: rewriting a model file's feature fields and
 * weights with a valid checksum, to reach the paths a trained model does not. */
#ifndef WARDEN_TEST_CLASSIFIER_REFERENCE_H
#define WARDEN_TEST_CLASSIFIER_REFERENCE_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define REF_HEADER 108
#define REF_MAX_TEXT (64 * 1024)
#define REF_MAX_FEATURES 16384
#define REF_WORD_MAX 48

struct ref_model {
    uint32_t bits, flags, char_min, char_max;
    double bias;
    float *w;
};

/* Returns 0, or -1 if the file cannot be read (r->w is then NULL). */
static int ref_load(const char *path, struct ref_model *r)
{
    r->w = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    unsigned char hdr[REF_HEADER];
    if (fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr)) {
        fclose(f);
        return -1;
    }
    uint32_t u[5];
    memcpy(u, hdr + 8, sizeof(u));
    r->bits = u[1], r->flags = u[2], r->char_min = u[3], r->char_max = u[4];
    memcpy(&r->bias, hdr + 28, 8);
    size_t nw = (size_t)1 << r->bits;
    r->w = malloc(nw * sizeof(float));
    int ok = r->w != NULL && fread(r->w, sizeof(float), nw, f) == nw;
    fclose(f);
    if (!ok) {
        free(r->w);
        r->w = NULL;
        return -1;
    }
    return 0;
}

static int ref_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 || c == '*' || c == '@' || c == '$';
}

static int ref_starts(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

/* classifier.h's normalisation, one byte and one rule at a time */
static size_t ref_normalise(const char *text, size_t len, char *out)
{
    size_t o = 0, i = 0;
    char prev = ' ', prev2 = ' ';
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        size_t rest = len - i;
        int at_word_start = i == 0 || !ref_word_byte((unsigned char)text[i - 1] | 0x20);
        if (ref_starts(text + i, rest, "http://") || ref_starts(text + i, rest, "https://") ||
            (at_word_start && ref_starts(text + i, rest, "www."))) {
            while (i < len && text[i] != ' ' && text[i] != '\n' && text[i] != '\t')
                i++;
            c = ' ';
        } else if (c == '@' && at_word_start) {
            i++;
            while (i < len && (ref_word_byte((unsigned char)(text[i] | 0x20)) || text[i] == '_'))
                i++;
            c = ' ';
        } else if (c == '&') {
            if (ref_starts(text + i, rest, "&amp;"))
                i += 5;
            else if (ref_starts(text + i, rest, "&lt;") || ref_starts(text + i, rest, "&gt;"))
                i += 4;
            else if (ref_starts(text + i, rest, "&quot;"))
                i += 6;
            else if (rest > 2 && text[i + 1] == '#') {
                size_t k = i + 2;
                while (k < len && k < i + 10 && text[k] >= '0' && text[k] <= '9')
                    k++;
                i = (k < len && text[k] == ';') ? k + 1 : i + 1;
            } else {
                i++;
            }
            c = ' ';
        } else if (at_word_start && c == 'R' && rest >= 2 && text[i + 1] == 'T' &&
                   (rest == 2 || text[i + 2] == ' ' || text[i + 2] == ':')) {
            i += 2;
            c = ' ';
        } else if (c == '\'' && o > 0 && prev != ' ' && i + 1 < len && ref_word_byte((unsigned char)(text[i + 1] | 0x20))) {
            i++;
            continue;
        } else {
            i++;
            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c - 'A' + 'a');
            if (!ref_word_byte(c))
                c = ' ';
        }
        if (c == ' ') {
            if (prev == ' ')
                continue;
        } else if (c == (unsigned char)prev && c == (unsigned char)prev2 && c < 0x80) {
            continue;
        }
        out[o++] = (char)c;
        prev2 = prev;
        prev = (char)c;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    return o;
}

static uint32_t ref_fnv(uint32_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static uint32_t ref_mix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x7feb352dU;
    h ^= h >> 15;
    h *= 0x846ca68bU;
    h ^= h >> 16;
    return h;
}

static double ref_predict(const struct ref_model *r, const char *text, size_t len)
{
    if (len > REF_MAX_TEXT)
        len = REF_MAX_TEXT;
    char *norm = malloc(len + 1);
    size_t n = ref_normalise(text, len, norm);
    uint32_t mask = (1u << r->bits) - 1;
    double dot = 0;
    size_t k = 0;
    uint32_t prev_word = 0;
    int have_prev = 0;
#define REF_ADD(bucket)                                                                                                \
    do {                                                                                                               \
        if (k < REF_MAX_FEATURES) {                                                                                    \
            dot += r->w[(bucket)&mask];                                                                                \
            k++;                                                                                                       \
        }                                                                                                              \
    } while (0)
    if (r->flags == 8) { /* spans: the g-grams of " " + norm + " ", position by position, no words */
        char *padded = malloc(n + 2);
        padded[0] = ' ';
        memcpy(padded + 1, norm, n);
        padded[n + 1] = ' ';
        for (size_t p = 0; p < n + 2; p++)
            for (uint32_t g = r->char_min; g <= r->char_max && p + g <= n + 2; g++) {
                uint64_t x = 0;
                for (uint32_t b = 0; b < g; b++)
                    x |= (uint64_t)(unsigned char)padded[p + b] << (8 * b);
                REF_ADD((uint32_t)(((x + g) * 0x9e3779b97f4a7c15ULL) >> (64 - r->bits)));
            }
        free(padded);
        n = 0; /* no words */
    }
    for (size_t i = 0; i < n;) {
        while (i < n && norm[i] == ' ')
            i++;
        size_t j = i;
        while (j < n && norm[j] != ' ')
            j++;
        if (j == i)
            break;
        size_t wl = j - i > REF_WORD_MAX ? REF_WORD_MAX : j - i;
        uint32_t wh = ref_fnv(2166136261u, norm + i, wl);
        if (r->flags & 1)
            REF_ADD(ref_mix(wh ^ 0x9e3779b9u));
        if ((r->flags & 2) && have_prev)
            REF_ADD(ref_mix(prev_word * 31u + wh + 0x85ebca6bu));
        if (r->flags & 4) {
            char padded[REF_WORD_MAX + 2];
            padded[0] = ' ';
            memcpy(padded + 1, norm + i, wl);
            padded[wl + 1] = ' ';
            for (uint32_t g = r->char_min; g <= r->char_max; g++)
                for (size_t s = 0; s + g <= wl + 2; s++)
                    REF_ADD(ref_mix(ref_fnv(2166136261u ^ g, padded + s, g)));
        }
        prev_word = wh;
        have_prev = 1;
        i = j;
    }
#undef REF_ADD
    free(norm);
    double z = k ? r->bias + dot / sqrt((double)k) : r->bias;
    return z > 35 ? 1.0 : z < -35 ? 0.0 : 1.0 / (1.0 + exp(-z));
}

/* Rewrites a model file's feature flags and n-gram range and, with weight_seed != 0, its
 * weights (uniform in -1..1 from that seed), with a valid checksum. Returns 0 or -1. */
static int ref_rewrite(const char *path, uint32_t flags, uint32_t char_min, uint32_t char_max, uint64_t weight_seed)
{
    FILE *f = fopen(path, "r+b");
    if (f == NULL)
        return -1;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    unsigned char *b = size > REF_HEADER + 4 ? malloc((size_t)size) : NULL;
    int ok = b != NULL && fseek(f, 0, SEEK_SET) == 0 && fread(b, 1, (size_t)size, f) == (size_t)size;
    if (ok) {
        uint32_t u[3] = {flags, char_min, char_max};
        memcpy(b + 16, u, sizeof(u));
        for (long at = REF_HEADER; weight_seed != 0 && at + 4 <= size - 4; at += 4) {
            weight_seed = weight_seed * 6364136223846793005ULL + 1442695040888963407ULL;
            float w = (float)((double)(weight_seed >> 40) / (double)(1ULL << 23) - 1.0);
            memcpy(b + at, &w, 4);
        }
        uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(size - 4));
        memcpy(b + size - 4, &crc, 4);
        ok = fseek(f, 0, SEEK_SET) == 0 && fwrite(b, 1, (size_t)size, f) == (size_t)size;
    }
    if (fclose(f) != 0)
        ok = 0;
    free(b);
    return ok ? 0 : -1;
}

#endif
