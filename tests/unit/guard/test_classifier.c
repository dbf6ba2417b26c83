/* Linear text classifier: training separates, model files round-trip and
 * refuse damage, and the shipped toxicity model generalises to comment-style
 * text (tests/data/toxicity_comments.jsonl) with toxic-class F1 >= 0.60. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guard/classifier.h"
#include "repo_path.h"

static const char *const pos_texts[] = {"you are a stupid idiot", "shut up moron", "what an idiot, total moron",
                                        "stupid loser, shut up", "idiot idiot idiot", "you moron, go away loser"};
static const char *const neg_texts[] = {"have a lovely day", "thanks for the help", "the weather is lovely today",
                                        "great article, thanks", "see you tomorrow at lunch", "what a lovely garden"};

static struct guard_classifier *train_small(void)
{
    struct guard_classifier_example ex[12];
    for (int i = 0; i < 6; i++) {
        ex[2 * i] = (struct guard_classifier_example){pos_texts[i], strlen(pos_texts[i]), 1};
        ex[2 * i + 1] = (struct guard_classifier_example){neg_texts[i], strlen(neg_texts[i]), 0};
    }
    struct guard_classifier_train_opts o = {.epochs = 20, .positive_label = "toxic", .negative_label = "not_toxic"};
    return guard_classifier_train(ex, 12, &o);
}

static double p_of(const struct guard_classifier *m, const char *t)
{
    return guard_classifier_predict(m, t, strlen(t));
}

/* CPU time this thread used, in ns */
static uint64_t thread_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void training_separates_the_classes(void **state)
{
    struct guard_classifier *m = train_small();
    assert_non_null(m);
    assert_true(p_of(m, "shut up you idiot") > 0.5);
    assert_true(p_of(m, "thanks, have a lovely day") < 0.5);
    assert_string_equal(guard_classifier_positive_label(m), "toxic");
    /* tweet artefacts and elongation normalise away */
    assert_true(p_of(m, "RT @someone: IDIOOOOOT http://t.co/x &amp; #moron") > 0.5);
    /* empty and binary input are fine */
    double e = p_of(m, "");
    assert_true(e >= 0 && e <= 1);
    char bin[300];
    for (int i = 0; i < 300; i++)
        bin[i] = (char)(i * 37);
    double b = guard_classifier_predict(m, bin, sizeof(bin));
    assert_true(b >= 0 && b <= 1);
    assert_null(guard_classifier_train(NULL, 0, NULL));
    guard_classifier_free(m);
}

static void model_file_round_trips_and_refuses_damage(void **state)
{
    struct guard_classifier *m = train_small();
    char path[] = "/tmp/warden-clf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[512] = "";
    assert_int_equal(guard_classifier_save(m, path, err, sizeof(err)), 0);
    struct guard_classifier *l = guard_classifier_load(path, err, sizeof(err));
    assert_non_null(l);
    assert_true(p_of(m, "stupid moron") == p_of(l, "stupid moron"));
    assert_string_equal(guard_classifier_negative_label(l), "not_toxic");
    guard_classifier_free(l);

    /* one flipped byte in the weights: checksum */
    FILE *f = fopen(path, "r+b");
    fseek(f, 5000, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 5000, SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
    assert_null(guard_classifier_load(path, err, sizeof(err)));
    assert_non_null(strstr(err, "checksum"));

    /* another version */
    assert_int_equal(guard_classifier_save(m, path, err, sizeof(err)), 0);
    f = fopen(path, "r+b");
    fseek(f, 8, SEEK_SET);
    uint32_t v = 99;
    fwrite(&v, 4, 1, f);
    fclose(f);
    assert_null(guard_classifier_load(path, err, sizeof(err)));
    assert_non_null(strstr(err, "version"));

    /* truncated, and not a model at all */
    assert_int_equal(guard_classifier_save(m, path, err, sizeof(err)), 0);
    assert_int_equal(truncate(path, 1000), 0);
    assert_null(guard_classifier_load(path, err, sizeof(err)));
    assert_non_null(strstr(err, "truncated"));
    f = fopen(path, "wb");
    fputs("hello", f);
    fclose(f);
    assert_null(guard_classifier_load(path, err, sizeof(err)));
    assert_non_null(strstr(err, "not a Warden classifier"));
    assert_null(guard_classifier_load("/nonexistent/model", err, sizeof(err)));
    unlink(path);
    guard_classifier_free(m);
}

static void shipped_model_generalises_to_comments(void **state)
{
    char mpath[4096], dpath[4096], err[512];
    if (built_model_path(mpath, sizeof(mpath)) != 0)
        fail_msg("toxicity.model not found: run make first");
    assert_int_equal(repo_path("tests/data/toxicity_comments.jsonl", dpath, sizeof(dpath)), 0);
    struct guard_classifier *m = guard_classifier_load(mpath, err, sizeof(err));
    if (!m)
        fail_msg("%s", err);
    FILE *f = fopen(dpath, "r");
    assert_non_null(f);
    size_t tp = 0, fp = 0, fn = 0, tn = 0;
    char line[8192];
    while (fgets(line, sizeof(line), f)) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        const char *t = json_string_value(json_object_get(j, "text"));
        int gold = strcmp(json_string_value(json_object_get(j, "label")), "toxic") == 0;
        int pred = guard_classifier_predict(m, t, strlen(t)) >= 0.5;
        tp += gold && pred, fp += !gold && pred, fn += gold && !pred, tn += !gold && !pred;
        json_decref(j);
    }
    fclose(f);
    double prec = (double)tp / (double)(tp + fp), rec = (double)tp / (double)(tp + fn);
    double f1 = 2 * prec * rec / (prec + rec);
    printf("comments: toxic precision %.3f recall %.3f F1 %.3f (tp %zu fp %zu fn %zu tn %zu)\n", prec, rec, f1, tp, fp, fn,
           tn);
    assert_true(tp + fn >= 75 && tn + fp >= 75);
    assert_true(f1 >= 0.60);

    /* inference on 1 KB: the bench measures it; here only a loose bound, on this thread's CPU
     * time, so a loaded machine (or a run at idle priority) does not fail it */
    char kb[1024];
    for (size_t i = 0; i < sizeof(kb); i++)
        kb[i] = "the quick brown fox jumps over the lazy dog, you idiot. "[i % 56];
    uint64_t t0 = thread_cpu_ns();
    for (int i = 0; i < 200; i++)
        guard_classifier_predict(m, kb, sizeof(kb));
    double us = (double)(thread_cpu_ns() - t0) / 1000.0 / 200;
    printf("inference, 1 KB: %.1f us\n", us);
    assert_true(us < 1000);
    guard_classifier_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(training_separates_the_classes),
        cmocka_unit_test(model_file_round_trips_and_refuses_damage),
        cmocka_unit_test(shipped_model_generalises_to_comments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
