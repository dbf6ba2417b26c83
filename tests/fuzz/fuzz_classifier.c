/* Fuzz target for the classifier's inference (classifier.c: 16-byte normalisation, n-gram
 * buckets hashed 8 positions at a time, 8-byte word loads, order-free sums): arbitrary
 * bytes, in a heap buffer of exactly their length (ASan sees a read past the text), are
 * scored by a model with random weights (every feature counts) and by the plain reference
 * of tests/unit/guard/classifier_reference.h; the probabilities must agree within 1e-9.
 * The first byte picks the model's features (the default ones, or the other paths, spans among them).
 *
 *   tests/fuzz/run.sh classifier          (FUZZ_SECONDS=60 for longer) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/guard/classifier_reference.h"
#include "guard/classifier.h"

#define FUZZ_MODELS 5

static struct guard_classifier *models[FUZZ_MODELS];
static struct ref_model refs[FUZZ_MODELS];

static void load_models(void)
{
    static const char *const texts[] = {"you are a stupid idiot", "have a lovely day"};
    struct guard_classifier_example ex[2] = {{texts[0], strlen(texts[0]), 1}, {texts[1], strlen(texts[1]), 0}};
    struct guard_classifier *m = guard_classifier_train(ex, 2, NULL);
    static const uint32_t features[FUZZ_MODELS][3] = {{7, 3, 5}, {7, 2, 4}, {3, 3, 5}, {8, 4, 4}, {8, 2, 5}};
    char path[] = "/tmp/warden-fuzz-clf-XXXXXX", err[256];
    int fd = mkstemp(path);
    if (m == NULL || fd < 0)
        abort();
    close(fd);
    for (int i = 0; i < FUZZ_MODELS; i++) {
        if (guard_classifier_save(m, path, err, sizeof(err)) != 0 ||
            ref_rewrite(path, features[i][0], features[i][1], features[i][2], (uint64_t)i + 1) != 0 ||
            (models[i] = guard_classifier_load(path, err, sizeof(err))) == NULL || ref_load(path, &refs[i]) != 0)
            abort();
    }
    unlink(path);
    guard_classifier_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (models[0] == NULL)
        load_models();
    if (size == 0)
        return 0;
    int which = data[0] % FUZZ_MODELS;
    size_t len = size - 1;
    char *text = malloc(len ? len : 1);
    memcpy(text, data + 1, len);
    double fast = guard_classifier_predict(models[which], text, len);
    double slow = ref_predict(&refs[which], text, len);
    if (!(fast >= 0 && fast <= 1) || fabs(fast - slow) > 1e-9)
        abort();
    free(text);
    return 0;
}
