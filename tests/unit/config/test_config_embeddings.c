/* The `embeddings:` section (config/config_embeddings.c): no split by default, a top-level
 * default that models inherit key by key whatever the order of the sections, and the
 * usual FILE:LINE errors for bad values and unknown keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

#define PROVIDERS "providers:\n  - {name: local, base_url: \"http://127.0.0.1:9000/v1\"}\n"

static struct config *load(const char *yaml, char *err, size_t errsz)
{
    return config_load_string(yaml, strlen(yaml), "t.yaml", err, errsz);
}

static void no_split_by_default(void **state)
{
    char err[512];
    struct config *cfg = load(PROVIDERS "models:\n  - {name: m, targets: [{provider: local, model: x}]}\n", err, sizeof(err));
    assert_non_null(cfg);
    assert_int_equal(cfg->models[0].embeddings.max_batch, 0);
    assert_int_equal(cfg->models[0].embeddings.max_concurrency, 4);
    config_free(cfg);
}

static void models_inherit_the_top_level_key_by_key(void **state)
{
    char err[512];
    /* models: comes before embeddings:, so inheritance waits for the whole file */
    const char *yaml = PROVIDERS "models:\n"
                                 "  - {name: a, targets: [{provider: local, model: x}]}\n"
                                 "  - {name: b, targets: [{provider: local, model: x}], embeddings: {max_concurrency: 9}}\n"
                                 "  - {name: c, targets: [{provider: local, model: x}], embeddings: {max_batch: 0}}\n"
                                 "embeddings: {max_batch: 100, max_concurrency: 2}\n";
    struct config *cfg = load(yaml, err, sizeof(err));
    if (cfg == NULL)
        fail_msg("%s", err);
    assert_int_equal(cfg->models[0].embeddings.max_batch, 100);
    assert_int_equal(cfg->models[0].embeddings.max_concurrency, 2);
    assert_int_equal(cfg->models[1].embeddings.max_batch, 100);
    assert_int_equal(cfg->models[1].embeddings.max_concurrency, 9);
    assert_int_equal(cfg->models[2].embeddings.max_batch, 0); /* the model turns the default off */
    assert_int_equal(cfg->models[2].embeddings.max_concurrency, 2);
    config_free(cfg);
}

static void bad_values_name_file_and_line(void **state)
{
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        {PROVIDERS "embeddings: {max_batch: -1}\n", "t.yaml:3"},
        {PROVIDERS "embeddings: {max_concurrency: 0}\n", "t.yaml:3"},
        {PROVIDERS "embeddings: {max_bacth: 10}\n", "max_batch"},
        {PROVIDERS "models:\n  - name: m\n    targets: [{provider: local, model: x}]\n    embeddings: {max_batch: lots}\n",
         "t.yaml:6"},
        {PROVIDERS "embeddings: 5\n", "t.yaml:3"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512];
        struct config *cfg = load(cases[i].yaml, err, sizeof(err));
        if (cfg != NULL)
            fail_msg("case %zu loaded", i);
        if (strstr(err, cases[i].want) == NULL)
            fail_msg("case %zu: [%s] does not contain [%s]", i, err, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_split_by_default),
        cmocka_unit_test(models_inherit_the_top_level_key_by_key),
        cmocka_unit_test(bad_values_name_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
