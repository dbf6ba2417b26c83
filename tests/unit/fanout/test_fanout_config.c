/* The fan-out config sections (config/config_fanout.c): pipelines with their `after:` DAG and
 * template checks, batch and fanout, with FILE:LINE messages for every mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

static const char head[] = "providers: [{name: p, type: openai, base_url: \"http://127.0.0.1:1/v1\"}]\n" /* 1 */
                           "models: [{name: m, targets: [{provider: p, model: x}]}]\n"                 /* 2 */
                           "pipelines:\n"                                                              /* 3 */
                           "  - name: p1\n"                                                            /* 4 */
                           "    steps:\n";                                                             /* 5 */

static struct config *load(const char *tail, char *err, size_t errsz)
{
    char yaml[4096];
    int n = snprintf(yaml, sizeof(yaml), "%s%s", head, tail);
    return config_load_string(yaml, (size_t)n, "f.yaml", err, errsz);
}

static void expect_error(const char *tail, const char *want)
{
    char err[512];
    struct config *cfg = load(tail, err, sizeof(err));
    if (cfg != NULL || strstr(err, want) == NULL) {
        config_free(cfg);
        fail_msg("expected an error containing [%s], got [%s]", want, cfg ? "(loaded)" : err);
    }
}

static void a_valid_pipeline_loads_with_its_dag(void **state)
{
    char err[512];
    struct config *cfg = load("      a: {model: m, prompt: \"{{text}}\"}\n"
                              "      b: {model: m, prompt: \"{{steps.a}} {{x.y}}\", after: [a], required: false}\n"
                              "      c: {model: m, prompt: \"{{steps.a}} {{steps.b}}\", after: [b], schema: {type: object}}\n"
                              "batch: {max_concurrency: 4, max_items: 10, deadline_ms: 500}\n"
                              "fanout: {max_inflight: 32}\n",
                              err, sizeof(err));
    if (cfg == NULL)
        fail_msg("%s", err);
    assert_int_equal(cfg->n_pipelines, 1);
    const struct config_pipeline *p = &cfg->pipelines[0];
    assert_string_equal(p->name, "p1");
    assert_int_equal(p->max_concurrency, 8);
    assert_int_equal(p->n_steps, 3);
    assert_int_equal(p->steps[1].n_after, 1);
    assert_int_equal(p->steps[1].after[0], 0);
    assert_int_equal(p->steps[1].required, 0);
    assert_int_equal(p->steps[0].required, 1);
    assert_ptr_equal(p->steps[2].model, &cfg->models[0]);
    assert_int_equal(p->steps[2].schema_wrapped, 0); /* an object root is sent as it is */
    assert_int_equal(cfg->batch.max_concurrency, 4);
    assert_int_equal(cfg->batch.max_items, 10);
    assert_int_equal(cfg->batch.deadline_ms, 500);
    assert_int_equal(cfg->fanout.max_inflight, 32);
    assert_ptr_equal(config_find_pipeline(cfg, "p1", 2), p);
    assert_null(config_find_pipeline(cfg, "p", 1));
    config_free(cfg);
}

static void defaults_without_sections(void **state)
{
    char err[512];
    struct config *cfg = load("      a: {model: m, prompt: \"x\"}\n", err, sizeof(err));
    assert_non_null(cfg);
    assert_int_equal(cfg->batch.max_concurrency, 16);
    assert_int_equal(cfg->batch.max_items, 1000);
    assert_int_equal(cfg->batch.deadline_ms, 0);
    assert_int_equal(cfg->fanout.max_inflight, 0);
    config_free(cfg);
}

static void dag_mistakes_have_file_and_line(void **state)
{
    expect_error("      a: {model: m, prompt: \"a\", after: [c]}\n"
                 "      b: {model: m, prompt: \"b\", after: [a]}\n"
                 "      c: {model: m, prompt: \"c\", after: [b]}\n",
                 "f.yaml:6: pipelines[0].steps: cycle in after: a -> c -> b -> a");
    expect_error("      a: {model: m, prompt: \"a\", after: [a]}\n", "f.yaml:6: pipelines[0].steps.a.after: step \"a\" cannot wait for itself");
    expect_error("      a: {model: m, prompt: \"a\"}\n      b: {model: m, prompt: \"b\", after: [zz]}\n",
                 "f.yaml:7: pipelines[0].steps.b.after: unknown step \"zz\"");
}

static void template_mistakes_have_file_and_line(void **state)
{
    expect_error("      a: {model: m, prompt: \"{{steps.nope}}\"}\n",
                 "f.yaml:6: pipelines[0].steps.a.prompt: unknown template variable {{steps.nope}}");
    /* a step's output is there only when the step waits for it, directly or through others */
    expect_error("      a: {model: m, prompt: \"a\"}\n      b: {model: m, prompt: \"{{steps.a}}\"}\n",
                 "f.yaml:7: pipelines[0].steps.b.prompt: template variable {{steps.a}}: step \"b\" must list \"a\"");
    expect_error("      a: {model: m, prompt: \"a\", system: \"{{steps}}\"}\n", "f.yaml:6: pipelines[0].steps.a.system: {{steps}} needs a step name");
    expect_error("      a: {model: m, prompt: \"a {{ x\"}\n", "f.yaml:6: pipelines[0].steps.a.prompt: bad template at byte 2");
    /* transitively reachable outputs are fine */
    char err[512];
    struct config *cfg = load("      a: {model: m, prompt: \"a\"}\n"
                              "      b: {model: m, prompt: \"b\", after: [a]}\n"
                              "      c: {model: m, prompt: \"{{steps.a}}\", after: [b]}\n",
                              err, sizeof(err));
    if (cfg == NULL)
        fail_msg("%s", err);
    config_free(cfg);
}

static void step_and_section_mistakes(void **state)
{
    expect_error("      a: {model: nosuch, prompt: \"a\"}\n", "f.yaml:6: pipelines[0].steps.a.model: unknown model \"nosuch\"");
    expect_error("      a: {prompt: \"a\"}\n", "missing required key \"model\"");
    expect_error("      a: {model: m}\n", "missing required key \"prompt\"");
    expect_error("      a: {model: m, prompt: \"a\", colour: red}\n", "unknown key \"colour\"");
    expect_error("      _meta: {model: m, prompt: \"a\"}\n", "\"_meta\" is the answer's metadata field");
    expect_error("      \"a b\": {model: m, prompt: \"a\"}\n", "a step name is letters, digits");
    expect_error("      a: {model: m, prompt: \"a\", params: {model: other}}\n", "params: \"model\" is set by the step itself");
    expect_error("      a: {model: m, prompt: \"a\", params: {max_tokens: 3}}\n", "params: \"max_tokens\" is set by the step itself");
    expect_error("      a: {model: m, prompt: \"a\"}\n  - name: p1\n    steps: {b: {model: m, prompt: \"b\"}}\n",
                 "duplicate pipeline name \"p1\"");
    expect_error("      a: {model: m, prompt: \"a\"}\nbatch: {max_concurrency: 0}\n", "batch.max_concurrency");
    expect_error("      a: {model: m, prompt: \"a\"}\nfanout: {max_flight: 3}\n", "unknown key \"max_flight\"");
    expect_error("", "f.yaml:5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_valid_pipeline_loads_with_its_dag),
        cmocka_unit_test(defaults_without_sections),
        cmocka_unit_test(dag_mistakes_have_file_and_line),
        cmocka_unit_test(template_mistakes_have_file_and_line),
        cmocka_unit_test(step_and_section_mistakes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
