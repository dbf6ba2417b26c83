/* A linear text classifier for the `classifier` guardrail (binary: positive
 * class, e.g. "toxic", against the rest).
 *
 * Features: the text is normalised (lower case; tweet and web artefacts
 * removed: "RT", @mentions, URLs, HTML entities, '#'; letters repeated three
 * or more times cut to two, "soooo" -> "soo"), then hashed into 2^bits
 * buckets: word unigrams, word bigrams and character 3- to 5-grams of each
 * word padded with spaces (" idiot " -> " id", "idi", ..., "iot "); or, for a
 * model trained with spans (feature flags 8), character n-grams at every
 * position of the normalised text padded with a space at each end, across
 * word boundaries, and nothing else ("a b" -> " a b", "a b "). The
 * feature vector is scaled to unit length, so a long comment and a short
 * tweet weigh alike. P(positive) = sigmoid(bias + w . x).
 *
 * Training (guard_classifier_train): logistic regression with AdaGrad and L2,
 * classes balanced by weight, examples visited in a seeded shuffle, so the
 * same data gives the same model.
 *
 * Model file, little-endian, versioned and checksummed:
 *   magic "WDNCLF01" | u32 version | u32 bits | u32 feature flags | u32 char_min | u32 char_max
 *   (feature flags: 1 words, 2 bigrams, 4 character n-grams of words, any of these; or 8 alone, spans)
 *   | f64 bias | char positive_label[32] | char negative_label[32] | u64 n_train
 *   | f32 weights[2^bits] | u32 crc32 (zlib) of every byte before it
 * A file with another magic, version, size or checksum is refused with a message.
 *
 * Threading: a loaded model is immutable; predict from any number of threads. */
#ifndef WARDEN_GUARD_CLASSIFIER_H
#define WARDEN_GUARD_CLASSIFIER_H

#include <stddef.h>
#include <stdint.h>

#define GUARD_CLASSIFIER_VERSION 1
#define GUARD_CLASSIFIER_BITS 18

struct guard_classifier;

struct guard_classifier_example {
    const char *text;
    size_t len;
    int positive; /* 1 or 0 */
};

struct guard_classifier_train_opts {
    int epochs;         /* default 6 */
    double learning_rate; /* AdaGrad step; default 0.2 */
    double l2;          /* default 1e-6 */
    int balance;        /* weight classes to equal total weight; default 1 */
    uint64_t seed;      /* shuffle seed; default 1 */
    int char_min, char_max; /* character n-gram lengths (1-8); default 3-5. 3-5 and 4 alone have
                             * a fast inference path (every position of the text hashed at once) */
    int span_grams; /* 1: the character n-grams of the whole normalised text, across word boundaries,
                     * and no word or bigram features (4 alone has the fast path) */
    const char *positive_label; /* names stored in the model; default "positive" / "negative" */
    const char *negative_label;
};

/* Trains a model on n examples. Never fails for n >= 1 (returns NULL for n == 0). */
struct guard_classifier *guard_classifier_train(const struct guard_classifier_example *ex, size_t n,
                                                const struct guard_classifier_train_opts *opts);

int guard_classifier_save(const struct guard_classifier *m, const char *path, char *err, size_t errsz);
struct guard_classifier *guard_classifier_load(const char *path, char *err, size_t errsz);
void guard_classifier_free(struct guard_classifier *m);

/* P(positive) for a text (any bytes; at most the first 64 KiB are read). */
double guard_classifier_predict(const struct guard_classifier *m, const char *text, size_t len);

const char *guard_classifier_positive_label(const struct guard_classifier *m);
const char *guard_classifier_negative_label(const struct guard_classifier *m);

#endif
