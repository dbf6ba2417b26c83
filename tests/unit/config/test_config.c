/* Config loader tests: a full example loads with every field and reference
 * resolved; defaults and inheritance; and each class of mistake gives the
 * expected "FILE:LINE: where: message". Every error case is also loaded in a
 * loop, so an ASan build (make test-asan) catches leaks on error paths. */
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
#include <unistd.h>

#include "auth/auth.h"
#include "config/config.h"

#define BASE                                                                                                                    \
    "providers:\n"                                                                                                              \
    "  - {name: local, base_url: \"http://127.0.0.1:9000/v1\"}\n"                                                             \
    "models:\n"                                                                                                                 \
    "  - name: m\n"                                                                                                             \
    "    targets: [{provider: local, model: x}]\n"
/* BASE takes lines 1-5; text appended starts at line 6. */

static struct config *load(const char *yaml, char *err, size_t errsz)
{
    return config_load_string(yaml, strlen(yaml), "t.yaml", err, errsz);
}

static struct config *load_ok(const char *yaml)
{
    char err[512];
    struct config *cfg = load(yaml, err, sizeof(err));
    if (!cfg)
        fail_msg("unexpected error: %s", err);
    return cfg;
}

static const char *fixture(const char *name, char *out, size_t outsz)
{
    snprintf(out, outsz, "tests/fixtures/config/%s", name);
    if (access(out, R_OK) == 0)
        return out;
    /* run from elsewhere: locate the fixtures next to this source file */
    const char *src = __FILE__, *slash = strrchr(src, '/');
    snprintf(out, outsz, "%.*s/../../fixtures/config/%s", slash ? (int)(slash - src) : 1, slash ? src : ".", name);
    return out;
}

static void full_example_loads_with_every_field(void **state)
{
    char err[512], path[512];
    setenv("WARDEN_TEST_OPENAI_KEY", "sk-from-env", 1);
    struct config *cfg = config_load(fixture("full.yaml", path, sizeof(path)), err, sizeof(err));
    if (!cfg)
        fail_msg("%s", err);

    assert_string_equal(cfg->server.listen_host, "127.0.0.1");
    assert_int_equal(cfg->server.listen_port, 8080);
    assert_true(cfg->server.workers >= 1);
    assert_int_equal(cfg->server.workers, (int)sysconf(_SC_NPROCESSORS_ONLN));
    assert_int_equal(cfg->server.max_body_bytes, 4 << 20);
    assert_int_equal(cfg->server.max_response_bytes, 32 << 20);
    assert_int_equal(cfg->server.header_timeout_ms, 10000);
    assert_string_equal(cfg->server.access_log, "-");

    assert_int_equal(cfg->n_providers, 2);
    struct config_provider *local = &cfg->providers[0], *backup = &cfg->providers[1];
    assert_string_equal(local->name, "local");
    assert_int_equal(local->type, CONFIG_PROVIDER_OPENAI);
    assert_string_equal(local->base_url, "http://127.0.0.1:9000/v1");
    assert_string_equal(local->api_key_env, "WARDEN_TEST_OPENAI_KEY");
    assert_string_equal(local->api_key, "sk-from-env");
    assert_int_equal(local->n_headers, 1);
    assert_string_equal(local->headers[0].name, "x-mock-ttft-ms");
    assert_string_equal(local->headers[0].value, "5");
    assert_string_equal(backup->base_url, "https://backup.example.com/v1");
    assert_null(backup->api_key);

    assert_int_equal(cfg->n_models, 3);
    struct config_model *m = config_find_model(cfg, "gpt-4o-mini");
    struct config_model *lc = config_find_model(cfg, "long-context");
    struct config_model *judge = config_find_model(cfg, "judge");
    assert_non_null(m);
    assert_non_null(lc);
    assert_non_null(judge);
    assert_null(config_find_model(cfg, "nope"));
    assert_int_equal(m->lb, CONFIG_LB_WEIGHTED);
    assert_int_equal(lc->lb, CONFIG_LB_LEAST_INFLIGHT);
    assert_int_equal(judge->lb, CONFIG_LB_LATENCY);
    assert_int_equal(m->n_targets, 2);
    struct config_target *t0 = &m->targets[0], *t1 = &m->targets[1];
    assert_ptr_equal(t0->provider, local);
    assert_ptr_equal(t1->provider, backup);
    assert_string_equal(t0->model, "mock-1");
    assert_int_equal(t0->weight, 3);
    assert_int_equal(t0->max_concurrent, 64);
    assert_int_equal(t0->queue_max, 128);
    assert_int_equal(t0->queue_timeout_ms, 500);
    /* target keys override, the rest come from the model */
    assert_int_equal(t0->timeouts.connect_ms, 1000);
    assert_int_equal(t0->timeouts.first_byte_ms, 30000);
    assert_int_equal(t0->timeouts.idle_ms, 15000);
    assert_int_equal(t0->timeouts.total_ms, 120000);
    assert_int_equal(t0->retry.max, 1);
    assert_int_equal(t0->retry.base_ms, 500);
    assert_int_equal(t0->retry.max_ms, 4000);
    assert_int_equal(t1->weight, 1);
    assert_int_equal(t1->retry.max, 3);
    assert_int_equal(t1->timeouts.connect_ms, 2000);
    assert_int_equal(t1->queue_timeout_ms, 1000);

    assert_int_equal(m->n_fallbacks, 1);
    assert_string_equal(m->fallback_names[0], "long-context");
    assert_ptr_equal(m->fallbacks[0], lc);
    assert_int_equal(m->n_fallback_rules, 4);
    assert_int_equal(m->fallback_rules[0].status_min, 429);
    assert_int_equal(m->fallback_rules[0].status_max, 429);
    assert_int_equal(m->fallback_rules[1].status_min, 500);
    assert_int_equal(m->fallback_rules[1].status_max, 599);
    assert_int_equal(m->fallback_rules[2].status_min, 0);
    assert_int_equal(m->fallback_rules[2].status_max, 0);
    assert_null(m->fallback_rules[2].to);
    assert_string_equal(m->fallback_rules[3].match, "context_length");
    assert_string_equal(m->fallback_rules[3].to, "long-context");
    assert_ptr_equal(m->fallback_rules[3].to_model, lc);

    assert_true(m->has_guardrails);
    assert_int_equal(m->n_guardrails, 2);
    assert_ptr_equal(m->guardrails[0], config_find_guardrail(cfg, "no-keys"));
    assert_ptr_equal(m->guardrails[1], config_find_guardrail(cfg, "input-checks"));
    assert_true(lc->has_guardrails);
    assert_int_equal(lc->n_guardrails, 0);
    assert_false(judge->has_guardrails);
    assert_int_equal(m->structured_output.max_reasks, 2);
    assert_true(m->structured_output.validate_tool_calls);
    assert_int_equal(m->structured_output.stream_mode, CONFIG_SCHEMA_STREAM_HOLD);
    assert_false(m->structured_output.check_formats);

    assert_int_equal(cfg->n_default_guardrails, 1);
    assert_ptr_equal(cfg->default_guardrails[0], config_find_guardrail(cfg, "no-keys"));

    assert_int_equal(cfg->n_guardrails, 11);
    struct config_guardrail *g = config_find_guardrail(cfg, "no-keys");
    assert_int_equal(g->type, CONFIG_GUARD_REGEX);
    assert_int_equal(g->action, CONFIG_ACTION_REDACT);
    assert_string_equal(g->replacement, "[KEY]");
    assert_int_equal(g->n_patterns, 2);
    assert_string_equal(g->patterns[1], "AKIA[0-9A-Z]{16}");
    assert_true(g->case_sensitive);

    g = config_find_guardrail(cfg, "banned-words");
    assert_int_equal(g->type, CONFIG_GUARD_KEYWORDS);
    assert_int_equal(g->stage, CONFIG_STAGE_OUTPUT);
    assert_int_equal(g->status_code, 422);
    assert_string_equal(g->patterns[1], "top secret");
    assert_false(g->case_sensitive);
    assert_true(g->whole_word);
    assert_int_equal(g->stream_window, 64);

    g = config_find_guardrail(cfg, "size");
    assert_int_equal(g->type, CONFIG_GUARD_LENGTH);
    assert_int_equal(g->max_chars, 100000);
    assert_int_equal(g->max_messages, 200);
    assert_int_equal(g->max_tokens, 32000);

    g = config_find_guardrail(cfg, "moderation");
    assert_int_equal(g->type, CONFIG_GUARD_WEBHOOK);
    assert_int_equal(g->timing, CONFIG_TIMING_CONCURRENT);
    assert_int_equal(g->timeout_ms, 300);
    assert_int_equal(g->on_error, CONFIG_ON_ERROR_FAIL_OPEN);
    assert_int_equal(g->unknown_fields, CONFIG_COVERAGE_REFUSE);
    assert_int_equal(g->non_text, CONFIG_COVERAGE_REFUSE);
    assert_string_equal(g->url, "http://127.0.0.1:9000/guardrail");
    assert_string_equal(g->headers[0].name, "x-api-key");
    assert_true(g->has_when);
    assert_string_equal(g->when.models[0], "gpt-4o-mini");
    assert_string_equal(g->when.paths[0], "/v1/chat/completions");
    assert_string_equal(g->when.headers[0].name, "x-tenant"); /* lower-cased */
    assert_string_equal(g->when.headers[0].value, "acme");
    assert_string_equal(g->when.metadata[0].name, "tier");

    g = config_find_guardrail(cfg, "judge-check");
    assert_int_equal(g->type, CONFIG_GUARD_LLM_JUDGE);
    assert_int_equal(g->timing, CONFIG_TIMING_ASYNC_POST);
    assert_string_equal(g->judge_model_name, "judge");
    assert_ptr_equal(g->judge_model, judge);
    assert_non_null(strstr(g->prompt_template, "{{input}}"));
    assert_int_equal(g->stream_chunk_tokens, 200);
    assert_int_equal(g->stream_context_tokens, 50);

    g = config_find_guardrail(cfg, "tool-policy");
    assert_int_equal(g->n_allow, 2);
    assert_string_equal(g->deny[0], "delete_everything");
    assert_string_equal(g->arg_patterns[0].name, "search");
    assert_string_equal(g->arg_patterns[0].value, "(?i)password");

    g = config_find_guardrail(cfg, "pii");
    assert_int_equal(g->type, CONFIG_GUARD_PII);
    assert_int_equal(g->redaction, CONFIG_REDACT_REVERSIBLE);
    assert_int_equal(g->n_entities, 5);
    assert_string_equal(g->entities[4], "US_SSN");
    assert_true(g->score_threshold == 0.5);
    assert_int_equal(g->n_recognizers, 1);
    assert_string_equal(g->recognizers[0].name, "EMPLOYEE_ID");
    assert_string_equal(g->recognizers[0].validator, "luhn");
    assert_string_equal(g->recognizers[0].context[1], "staff");
    assert_true(g->recognizers[0].score == 0.6);

    g = config_find_guardrail(cfg, "no-secrets");
    assert_int_equal(g->type, CONFIG_GUARD_SECRETS);
    assert_int_equal(g->redaction, CONFIG_REDACT_MASK);
    assert_true(g->entropy_threshold == 3.5);
    assert_string_equal(g->recognizers[0].regex, "acme_[a-z0-9]{32}");
    assert_null(g->recognizers[0].validator);
    assert_true(cfg->guardrails_api.enabled);
    assert_string_equal(cfg->guardrails_api.token_env, "WARDEN_CHECK_TOKEN");

    g = config_find_guardrail(cfg, "example-plugin");
    assert_string_equal(g->plugin_path, "build/plugins/example_guard.so");
    assert_string_equal(g->plugin_config, "threshold=0.8");
    assert_true(g->cpu_bound);

    g = config_find_guardrail(cfg, "input-checks");
    assert_int_equal(g->type, CONFIG_GUARD_PARALLEL);
    assert_int_equal(g->strategy, CONFIG_STRATEGY_ALL_MUST_PASS);
    assert_ptr_equal(g->members[0], config_find_guardrail(cfg, "size"));
    assert_ptr_equal(g->members[1], config_find_guardrail(cfg, "moderation"));
    assert_int_equal(g->stage, CONFIG_STAGE_INPUT);
    assert_int_equal(g->timing, CONFIG_TIMING_BLOCKING);

    g = config_find_guardrail(cfg, "output-chain");
    assert_int_equal(g->type, CONFIG_GUARD_CHAIN);
    assert_int_equal(g->stage, CONFIG_STAGE_OUTPUT);
    assert_null(config_find_guardrail(cfg, "nope"));

    assert_int_equal(cfg->health.window, 20);
    assert_int_equal(cfg->n_api_keys, 2);
    assert_string_equal(cfg->api_keys[0].key, "sk-warden-test");
    assert_string_equal(cfg->api_keys[0].name, "team-a");
    assert_string_equal(cfg->api_keys[0].metadata[0].value, "free");
    assert_int_equal(cfg->async_post_max_pending, 1024);
    assert_int_equal(cfg->guard_pool_threads, 2);
    assert_non_null(strstr(cfg->path, "full.yaml"));
    config_free(cfg);
    unsetenv("WARDEN_TEST_OPENAI_KEY");
}

static void minimal_config_gets_defaults(void **state)
{
    struct config *cfg = load_ok(BASE);
    assert_string_equal(cfg->server.listen_host, "127.0.0.1");
    assert_int_equal(cfg->server.listen_port, 8080);
    assert_int_equal(cfg->server.workers, (int)sysconf(_SC_NPROCESSORS_ONLN));
    assert_int_equal(cfg->server.max_body_bytes, 4 << 20);
    assert_int_equal(cfg->server.header_timeout_ms, 10000);
    assert_int_equal(cfg->server.idle_timeout_ms, 60000);
    assert_int_equal(cfg->server.drain_timeout_ms, 10000);
    assert_int_equal(cfg->server.max_response_bytes, 32 << 20);
    assert_null(cfg->server.access_log);
    assert_int_equal(cfg->server.max_inflight, 0);
    assert_int_equal(cfg->server.upstream_transport, 0); /* auto */
    struct config_model *m = &cfg->models[0];
    assert_int_equal(m->lb, CONFIG_LB_WEIGHTED);
    assert_int_equal(m->retry.max, 0);
    assert_int_equal(m->retry.base_ms, 1000);
    assert_int_equal(m->retry.max_ms, 8000);
    assert_int_equal(m->timeouts.connect_ms, 10000);
    assert_int_equal(m->timeouts.first_byte_ms, 0);
    assert_int_equal(m->timeouts.idle_ms, 0);
    assert_int_equal(m->timeouts.total_ms, 600000);
    assert_int_equal(m->targets[0].weight, 1);
    assert_int_equal(m->targets[0].queue_timeout_ms, 1000);
    assert_int_equal(m->targets[0].timeouts.total_ms, 600000);
    assert_int_equal(m->targets[0].retry.base_ms, 1000);
    assert_int_equal(m->structured_output.max_reasks, 2);
    assert_int_equal(m->structured_output.stream_mode, CONFIG_SCHEMA_STREAM_HOLD);
    assert_false(m->has_guardrails);
    assert_int_equal(cfg->health.window, 20);
    assert_int_equal(cfg->health.min_requests, 5);
    assert_true(cfg->health.error_ratio == 0.5);
    assert_int_equal(cfg->health.cooldown_ms, 30000);
    assert_int_equal(cfg->n_api_keys, 0);
    assert_int_equal(cfg->async_post_max_pending, 1024);
    assert_int_equal(cfg->guard_pool_threads, 2);
    assert_string_equal(cfg->path, "t.yaml");
    config_free(cfg);
}

static void guardrail_defaults_depend_on_type(void **state)
{
    struct config *cfg = load_ok(BASE "guardrails:\n"
                                      "  - {name: r, type: regex, patterns: [a]}\n"
                                      "  - {name: k, type: keywords, keywords: [a]}\n"
                                      "  - {name: p, type: parallel, members: [k2, r]}\n"
                                      "  - {name: k2, type: keywords, keywords: [b], stage: output, timing: concurrent}\n"
                                      "  - {name: c, type: chain, members: [p], timing: blocking}\n");
    struct config_guardrail *r = config_find_guardrail(cfg, "r"), *k = config_find_guardrail(cfg, "k");
    assert_int_equal(r->stage, CONFIG_STAGE_INPUT);
    assert_int_equal(r->timing, CONFIG_TIMING_BLOCKING);
    assert_true(r->cancel_on_failure);
    assert_int_equal(r->action, CONFIG_ACTION_BLOCK);
    assert_int_equal(r->timeout_ms, 1000);
    assert_int_equal(r->on_error, CONFIG_ON_ERROR_FAIL_CLOSED);
    assert_int_equal(r->status_code, 400);
    assert_true(r->case_sensitive);
    assert_false(r->whole_word);
    assert_string_equal(r->replacement, "[REDACTED]");
    assert_false(r->has_when);
    assert_false(k->case_sensitive);
    /* composites take stage/timing from the first member, through nesting */
    struct config_guardrail *p = config_find_guardrail(cfg, "p"), *c = config_find_guardrail(cfg, "c");
    assert_int_equal(p->stage, CONFIG_STAGE_OUTPUT);
    assert_int_equal(p->timing, CONFIG_TIMING_CONCURRENT);
    assert_int_equal(p->strategy, CONFIG_STRATEGY_ALL_MUST_PASS);
    assert_int_equal(c->stage, CONFIG_STAGE_OUTPUT);
    assert_int_equal(c->timing, CONFIG_TIMING_BLOCKING); /* given explicitly */
    config_free(cfg);
}

static void builtin_detector_keys_parse(void **state)
{
    struct config *cfg = load_ok(BASE "guardrails:\n"
                                      "  - {name: i, type: prompt_injection}\n"
                                      "  - {name: i2, type: prompt_injection, threshold: 0.7, canary: false, stage: output}\n"
                                      "  - {name: t, type: classifier, model: /dev/null, threshold: 0.25}\n");
    struct config_guardrail *i = config_find_guardrail(cfg, "i"), *i2 = config_find_guardrail(cfg, "i2"),
                            *t = config_find_guardrail(cfg, "t");
    assert_int_equal(i->type, CONFIG_GUARD_PROMPT_INJECTION);
    assert_true(i->threshold == 0.5);
    assert_false(i->canary);
    assert_true(i2->threshold == 0.7);
    assert_int_equal(i2->stage, CONFIG_STAGE_OUTPUT);
    assert_int_equal(t->type, CONFIG_GUARD_CLASSIFIER);
    assert_string_equal(t->model_path, "/dev/null"); /* readable; the format is checked when the engine loads it */
    assert_true(t->threshold == 0.25);
    assert_null(t->judge_model_name);
    config_free(cfg);
}

/* canary: true gets its answer-side check: a regex companion on the output, named after it,
 * after every guardrail of the file (no list can name it), sharing its settings. */
static void canary_true_adds_its_answer_check(void **state)
{
    struct config *cfg = load_ok(BASE "guardrails:\n"
                                      "  - {name: pi, type: prompt_injection, canary: true, status_code: 403, action: log,\n"
                                      "     on_error: fail_open, stream: {window: 1024}}\n"
                                      "  - {name: r, type: regex, patterns: [x]}\n"
                                      "  - {name: q, type: prompt_injection, canary: true, timing: async_post}\n");
    assert_int_equal(cfg->n_guardrails, 5);
    struct config_guardrail *pi = config_find_guardrail(cfg, "pi"), *k = config_find_guardrail(cfg, "pi.canary");
    assert_non_null(k);
    assert_ptr_equal(pi->canary_check, k);
    assert_ptr_equal(k->canary_of, pi);
    assert_ptr_equal(k, &cfg->guardrails[3]); /* after the file's own */
    assert_int_equal(k->type, CONFIG_GUARD_REGEX);
    assert_int_equal(k->n_patterns, 0); /* the engine compiles the canary format for it */
    assert_int_equal(k->stage, CONFIG_STAGE_OUTPUT);
    assert_int_equal(k->timing, CONFIG_TIMING_BLOCKING);
    assert_int_equal(k->action, CONFIG_ACTION_LOG);
    assert_int_equal(k->status_code, 403);
    assert_int_equal(k->on_error, CONFIG_ON_ERROR_FAIL_OPEN);
    assert_int_equal(k->stream_window, 1024);
    assert_false(k->case_sensitive);
    assert_null(config_find_guardrail(cfg, "r")->canary_check);
    struct config_guardrail *q = config_find_guardrail(cfg, "q.canary");
    assert_int_equal(q->timing, CONFIG_TIMING_ASYNC_POST);
    assert_int_equal(q->action, CONFIG_ACTION_BLOCK);
    config_free(cfg);
}

static void guard_coverage_defaults_and_overrides(void **state)
{
    struct config *cfg = load_ok(BASE "guardrails:\n"
                                      "  - {name: r, type: regex, patterns: [a]}\n"
                                      "  - {name: s, type: regex, patterns: [a], unknown_fields: refuse, non_text: refuse}\n");
    struct config_guardrail *r = config_find_guardrail(cfg, "r"), *s = config_find_guardrail(cfg, "s");
    assert_int_equal(r->unknown_fields, CONFIG_COVERAGE_CHECK);
    assert_int_equal(r->non_text, CONFIG_COVERAGE_CHECK);
    assert_int_equal(s->unknown_fields, CONFIG_COVERAGE_REFUSE);
    assert_int_equal(s->non_text, CONFIG_COVERAGE_REFUSE);
    config_free(cfg);
    /* the top-level default applies to guardrails that do not say, wherever it is written */
    cfg = load_ok(BASE "guardrails:\n"
                       "  - {name: r, type: regex, patterns: [a]}\n"
                       "  - {name: s, type: regex, patterns: [a], unknown_fields: check, non_text: pass}\n"
                       "guard_coverage: {unknown_fields: refuse, non_text: refuse}\n");
    r = config_find_guardrail(cfg, "r");
    s = config_find_guardrail(cfg, "s");
    assert_int_equal(r->unknown_fields, CONFIG_COVERAGE_REFUSE);
    assert_int_equal(r->non_text, CONFIG_COVERAGE_REFUSE);
    assert_int_equal(s->unknown_fields, CONFIG_COVERAGE_CHECK);
    assert_int_equal(s->non_text, CONFIG_COVERAGE_CHECK);
    config_free(cfg);
    char err[512];
    assert_null(load(BASE "guard_coverage: {non_text: check}\n", err, sizeof(err)));
    assert_non_null(strstr(err, "pass, refuse"));
    assert_null(load(BASE "guard_coverage: {unknown: refuse}\n", err, sizeof(err)));
}

static void model_values_override_defaults_key_by_key(void **state)
{
    struct config *cfg = load_ok("providers: [{name: p, base_url: \"http://h\"}]\n"
                                 "models:\n"
                                 "  - name: m\n"
                                 "    retries: {max: 2}\n"
                                 "    timeouts: {total_ms: 5000, idle_ms: 0}\n"
                                 "    targets:\n"
                                 "      - {provider: p, model: a, retries: {base_ms: 10}, timeouts: {connect_ms: 0}}\n");
    struct config_model *m = &cfg->models[0];
    assert_int_equal(m->retry.max, 2);
    assert_int_equal(m->retry.base_ms, 1000);
    assert_int_equal(m->retry.max_ms, 8000);
    assert_int_equal(m->timeouts.total_ms, 5000);
    assert_int_equal(m->timeouts.connect_ms, 10000);
    struct config_target *t = &m->targets[0];
    assert_int_equal(t->retry.max, 2);
    assert_int_equal(t->retry.base_ms, 10);
    assert_int_equal(t->retry.max_ms, 8000);
    assert_int_equal(t->timeouts.connect_ms, 0); /* 0 given explicitly is kept, not inherited */
    assert_int_equal(t->timeouts.total_ms, 5000);
    assert_string_equal(cfg->providers[0].base_url, "http://h");
    config_free(cfg);
}

static void api_key_comes_from_the_environment(void **state)
{
    const char *yaml = "providers: [{name: p, base_url: \"http://h/\", api_key_env: WARDEN_TEST_KEY_X}]\n"
                       "models: [{name: m, targets: [{provider: p, model: a}]}]\n";
    unsetenv("WARDEN_TEST_KEY_X");
    struct config *cfg = load_ok(yaml);
    assert_string_equal(cfg->providers[0].api_key_env, "WARDEN_TEST_KEY_X");
    assert_null(cfg->providers[0].api_key);
    assert_string_equal(cfg->providers[0].base_url, "http://h");
    config_free(cfg);
    setenv("WARDEN_TEST_KEY_X", "sk-secret-123", 1);
    cfg = load_ok(yaml);
    assert_string_equal(cfg->providers[0].api_key, "sk-secret-123");
    config_free(cfg);
    unsetenv("WARDEN_TEST_KEY_X");
}

static void webhook_keys_speak_litellm(void **state)
{
    setenv("WARDEN_TEST_GUARD_KEY", "gk-123", 1);
    struct config *cfg = load_ok(BASE "guardrails:\n"
                                      "  - {name: a, type: webhook, api_base: \"http://g:1/\", api_key_env: WARDEN_TEST_GUARD_KEY,\n"
                                      "     additional_provider_specific_params: {t: 0.8, n: 3, on: true, s: \"3\", l: [x, null]},\n"
                                      "     on_error: fail_open}\n"
                                      "  - {name: b, type: webhook, api_base: \"http://g:1/beta/litellm_basic_guardrail_api\",\n"
                                      "     on_unreachable: fail_open, on_intervened: block}\n"
                                      "  - {name: c, type: webhook, url: \"http://g:1/check\"}\n");
    unsetenv("WARDEN_TEST_GUARD_KEY");
    struct config_guardrail *a = config_find_guardrail(cfg, "a"), *b = config_find_guardrail(cfg, "b"),
                            *c = config_find_guardrail(cfg, "c");
    assert_string_equal(a->url, "http://g:1/beta/litellm_basic_guardrail_api"); /* appended, as LiteLLM */
    assert_string_equal(b->url, "http://g:1/beta/litellm_basic_guardrail_api"); /* not twice */
    assert_string_equal(c->url, "http://g:1/check");                           /* as written */
    assert_string_equal(a->api_key, "gk-123");
    assert_null(b->api_key);
    json_error_t je;
    json_t *got = json_loads(a->provider_params_json, 0, &je);
    json_t *want = json_pack("{s:f, s:i, s:b, s:s, s:[s, n]}", "t", 0.8, "n", 3, "on", 1, "s", "3", "l", "x");
    assert_true(json_equal(got, want)); /* typed as YAML types them; quoted stays a string */
    json_decref(got);
    json_decref(want);
    assert_null(b->provider_params_json);
    assert_int_equal(a->on_unreachable, CONFIG_ON_ERROR_FAIL_OPEN); /* defaults to on_error */
    assert_int_equal(c->on_unreachable, CONFIG_ON_ERROR_FAIL_CLOSED);
    assert_int_equal(b->on_error, CONFIG_ON_ERROR_FAIL_CLOSED);
    assert_int_equal(b->on_unreachable, CONFIG_ON_ERROR_FAIL_OPEN);
    assert_int_equal(a->on_intervened, CONFIG_ON_INTERVENED_APPLY);
    assert_int_equal(b->on_intervened, CONFIG_ON_INTERVENED_BLOCK);
    config_free(cfg);
}

static void audit_auth_admin_and_prices_parse(void **state)
{
    char err[512];
    setenv("WARDEN_TEST_KEY_ENV", "sk-from-env", 1);
    setenv("WARDEN_TEST_ADMIN", "admin-token", 1);
    struct config *cfg = load("providers:\n"
                              "  - {name: local, base_url: \"http://127.0.0.1:9000/v1\"}\n"
                              "models:\n"
                              "  - name: m\n"
                              "    targets: [{provider: local, model: x, price: {input_per_mtok: 1.5, output_per_mtok: 6}}]\n"
                                   "api_keys:\n"
                                   "  - {name: a, key: sk-plain}\n"
                                   "  - {name: b, key_sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08}\n"
                                   "  - {name: c, key_env: WARDEN_TEST_KEY_ENV}\n"
                                   "auth: {required: true}\n"
                                   "admin: {token_env: WARDEN_TEST_ADMIN}\n"
                                   "prices: [{model: x, input_per_mtok: 0.1, output_per_mtok: 0.2}]\n"
                                   "audit: {path: /tmp/a.db, overflow: drop, bodies: true, retention_days: 30}\n",
                              err, sizeof(err));
    if (cfg == NULL)
        fail_msg("%s", err);
    assert_true(cfg->models[0].targets[0].has_price);
    assert_true(cfg->models[0].targets[0].price_out_per_mtok == 6);
    assert_true(cfg->auth_required);
    assert_null(cfg->api_keys[1].key); /* only the hash is kept */
    assert_ptr_equal(auth_find_key(cfg, "test", 4), &cfg->api_keys[1]); /* sha256("test") */
    assert_ptr_equal(auth_find_key(cfg, "sk-from-env", 11), &cfg->api_keys[2]);
    assert_ptr_equal(auth_find_key(cfg, "sk-plain", 8), &cfg->api_keys[0]);
    assert_true(auth_admin_ok(cfg, "admin-token", 11));
    assert_int_equal(cfg->n_prices, 1);
    assert_int_equal(cfg->audit.sink, CONFIG_AUDIT_SQLITE);
    assert_int_equal(cfg->audit.overflow, CONFIG_AUDIT_DROP);
    assert_string_equal(cfg->audit.journal_path, "/tmp/a.db.journal");
    assert_int_equal(cfg->audit.journal_max_mb, 1024);
    assert_int_equal(cfg->audit.retention_days, 30);
    config_free(cfg);
    /* no audit section: off */
    cfg = load(BASE, err, sizeof(err));
    assert_int_equal(cfg->audit.sink, CONFIG_AUDIT_OFF);
    assert_false(cfg->auth_required);
    config_free(cfg);
}

static void server_listen_workers_and_sizes_parse(void **state)
{
    static const struct {
        const char *listen;
        const char *host;
        int port;
    } cases[] = {
        {"\"[::1]:8081\"", "::1", 8081},
        {"\":9090\"", "0.0.0.0", 9090},
        {"localhost:80", "localhost", 80},
        {"\"0.0.0.0:65535\"", "0.0.0.0", 65535},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char yaml[512];
        snprintf(yaml, sizeof(yaml), "server: {listen: %s, workers: 3, max_body_bytes: 512k, max_response_bytes: 1234}\n" BASE,
                 cases[i].listen);
        struct config *cfg = load_ok(yaml);
        assert_string_equal(cfg->server.listen_host, cases[i].host);
        assert_int_equal(cfg->server.listen_port, cases[i].port);
        assert_int_equal(cfg->server.workers, 3);
        assert_int_equal(cfg->server.max_body_bytes, 512 * 1024);
        assert_int_equal(cfg->server.max_response_bytes, 1234);
        config_free(cfg);
    }
    struct config *cfg = load_ok("server: {max_body_bytes: 2M, access_log: off}\n" BASE);
    assert_int_equal(cfg->server.max_body_bytes, 2 << 20);
    assert_string_equal(cfg->server.access_log, "off");
    config_free(cfg);
}

static void fallback_status_forms_parse(void **state)
{
    struct config *cfg = load_ok(BASE "    fallbacks: [n]\n"
                                      "    fallback_on: [{status: 5xx}, {status: connect}, {status: \"429-429\"}]\n"
                                      "  - {name: n, targets: [{provider: local, model: y}]}\n");
    struct config_model *m = &cfg->models[0];
    assert_int_equal(m->fallback_rules[0].status_min, 500);
    assert_int_equal(m->fallback_rules[0].status_max, 599);
    assert_int_equal(m->fallback_rules[1].status_min, 0);
    assert_int_equal(m->fallback_rules[2].status_min, 429);
    assert_int_equal(m->fallback_rules[2].status_max, 429);
    assert_ptr_equal(m->fallbacks[0], &cfg->models[1]);
    config_free(cfg);
}

static void aliases_are_followed(void **state)
{
    struct config *cfg = load_ok("providers: [{name: p, base_url: \"http://h\"}]\n"
                                 "models:\n"
                                 "  - {name: a, retries: &r {max: 4}, targets: [{provider: p, model: x}]}\n"
                                 "  - {name: b, retries: *r, targets: [{provider: p, model: y}]}\n");
    assert_int_equal(cfg->models[1].retry.max, 4);
    config_free(cfg);
}

/* ---- errors ---- */

struct bad {
    const char *yaml;
    const char *want; /* substring of the message, usually starting "t.yaml:LINE: " */
};

static const struct bad bad_configs[] = {
    /* the examples from the design notes */
    {"providers:\n  - {name: local, base_url: \"http://h\"}\nmodels:\n  - name: m\n    targets:\n      - provider: lcal\n        model: x\n",
     "t.yaml:6: models[0].targets[0].provider: unknown provider \"lcal\" (did you mean \"local\"?)"},
    {"server:\n  listen: \"127.0.0.1:8080\"\n  workers: many\n" BASE,
     "t.yaml:3: server.workers: expected a positive integer (at most 1024) or \"auto\", got \"many\""},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [x]}\n  - name: b\n    type: regex\n    pattern: [x]\n",
     "t.yaml:10: guardrails[1]: unknown key \"pattern\" (did you mean \"patterns\"?)"},
    /* unknown keys at every level */
    {"sever: {}\n" BASE, "t.yaml:1: unknown key \"sever\" (did you mean \"server\"?)"},
    {"server: {listn: \":80\"}\n" BASE, "t.yaml:1: server: unknown key \"listn\" (did you mean \"listen\"?)"},
    {"providers: [{name: p, base_url: \"http://h\", apikey: x}]\n", "t.yaml:1: providers[0]: unknown key \"apikey\""},
    {BASE "    retries: {max: 1, backoff: 2}\n", "t.yaml:6: models[0].retries: unknown key \"backoff\""},
    {BASE "    timeouts: {total: 5}\n", "t.yaml:6: models[0].timeouts: unknown key \"total\""},
    {"providers: [{name: p, base_url: \"http://h\"}]\nmodels: [{name: m, targets: [{provider: p, model: x, wieght: 2}]}]\n",
     "t.yaml:2: models[0].targets[0]: unknown key \"wieght\" (did you mean \"weight\"?)"},
    {BASE "    structured_output: {max_reask: 1}\n", "models[0].structured_output: unknown key \"max_reask\" (did you mean \"max_reasks\"?)"},
    {BASE "    fallback_on: [{code: 500}]\n", "t.yaml:6: models[0].fallback_on[0]: unknown key \"code\""},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [x], when: {model: [m]}}\n",
     "t.yaml:7: guardrails[0].when: unknown key \"model\" (did you mean \"models\"?)"},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [x], stream: {windw: 1}}\n", "guardrails[0].stream: unknown key \"windw\""},
    {BASE "health: {windows: 3}\n", "t.yaml:6: health: unknown key \"windows\" (did you mean \"window\"?)"},
    {BASE "api_keys: [{key: k, tier: x}]\n", "t.yaml:6: api_keys[0]: unknown key \"tier\""},
    {BASE "guard_pool: {thread: 2}\n", "t.yaml:6: guard_pool: unknown key \"thread\" (did you mean \"threads\"?)"},
    /* wrong kinds */
    {"providers: {name: x}\n", "t.yaml:1: providers: expected a list, got a mapping"},
    {"server: [1]\n" BASE, "t.yaml:1: server: expected a mapping, got a list"},
    {"providers: [{name: [a], base_url: \"http://h\"}]\n", "t.yaml:1: providers[0].name: expected a string, got a list"},
    {BASE "    fallbacks: n\n", "t.yaml:6: models[0].fallbacks: expected a list, got a scalar"},
    {BASE "    guardrails: {a: 1}\n", "t.yaml:6: models[0].guardrails: expected a list, got a mapping"},
    {"- a\n- b\n", "t.yaml:1: the configuration must be a mapping"},
    {"providers: [{name: p, base_url: \"http://h\", headers: {x-a: [1]}}]\n",
     "t.yaml:1: providers[0].headers.x-a: expected a string, got a list"},
    {"providers: [{name: , base_url: \"http://h\"}]\n", "t.yaml:1: providers[0].name: expected a string, got null"},
    /* bad enums list the allowed values */
    {BASE "    load_balancing: random\n",
     "t.yaml:6: models[0].load_balancing: expected one of weighted, least_inflight, latency, got \"random\""},
    {"providers: [{name: p, type: anthropic, base_url: \"http://h\"}]\n",
     "t.yaml:1: providers[0].type: expected one of openai, got \"anthropic\""},
    {BASE "guardrails:\n  - {name: a, type: regexp, patterns: [x]}\n",
     "t.yaml:7: guardrails[0].type: expected one of regex, keywords, length, webhook, llm_judge, tools, plugin, parallel, chain, pii, secrets, prompt_injection, classifier, got \"regexp\""},
    /* pii / secrets and the guardrails_api section (config_detect.c) */
    {BASE "guardrails:\n  - {name: a, type: pii, entities: [EMAIL_ADRESS]}\n",
     "t.yaml:7: guardrails[0].entities[0]: unknown entity \"EMAIL_ADRESS\" (did you mean \"EMAIL_ADDRESS\"?)"},
    {BASE "guardrails:\n  - {name: a, type: secrets, entities: [EMAIL_ADDRESS]}\n",
     "t.yaml:7: guardrails[0].entities[0]: unknown entity \"EMAIL_ADDRESS\" (one of OPENAI_API_KEY,"},
    {BASE "guardrails:\n  - {name: a, type: pii, score_threshold: 1.5}\n",
     "t.yaml:7: guardrails[0].score_threshold: expected a number from 0 to 1, got \"1.5\""},
    {BASE "guardrails:\n  - {name: a, type: pii, redaction: blur}\n",
     "t.yaml:7: guardrails[0].redaction: expected one of mask, typed, reversible, got \"blur\""},
    {BASE "guardrails:\n  - {name: a, type: secrets, entropy_threshold: 9}\n",
     "t.yaml:7: guardrails[0].entropy_threshold: expected a number from 0 to 8"},
    {BASE "guardrails:\n  - {name: a, type: pii, recognizers: [{name: \"my id\", regex: x}]}\n",
     "guardrails[0].recognizers[0].name: recognizer name \"my id\" may only use letters, digits and '_'"},
    {BASE "guardrails:\n  - {name: a, type: pii, recognizers: [{name: X}]}\n",
     "t.yaml:7: guardrails[0].recognizers[0]: missing required key \"regex\""},
    {BASE "guardrails:\n  - {name: a, type: secrets, rules: [{name: X, regex: \"a(\"}]}\n",
     "guardrails[0].rules[0].regex: invalid regex \"a(\""},
    {BASE "guardrails:\n  - {name: a, type: pii, recognizers: [{name: X, regex: \"[0-9]*\"}]}\n",
     "guardrails[0].recognizers[0].regex: regex \"[0-9]*\" matches the empty string"},
    {BASE "guardrails:\n  - {name: a, type: pii, recognizers: [{name: X, regex: x, validator: luhnn}]}\n",
     "guardrails[0].recognizers[0].validator: unknown validator \"luhnn\" (did you mean \"luhn\"?)"},
    {BASE "guardrails:\n  - {name: a, type: pii, recognizers: [{name: X, regex: x, colour: red}]}\n",
     "guardrails[0].recognizers[0]: unknown key \"colour\""},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [x], entities: [URL]}\n",
     "t.yaml:7: guardrails[0]: key \"entities\" does not apply to type \"regex\""},
    {BASE "guardrails:\n  - {name: a, type: pii, stage: output, action: redact, redaction: reversible}\n",
     "t.yaml:7: guardrails[0]: redaction: reversible needs stage: input"},
    {BASE "guardrails_api: {enabled: yes please}\n", "t.yaml:6: guardrails_api.enabled: expected true or false"},
    {BASE "guardrails_api: {enabled: true, token: abc}\n", "t.yaml:6: guardrails_api: unknown key \"token\""},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [x], stage: both}\n",
     "guardrails[0].stage: expected one of input, output, got \"both\""},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [x], timing: later}\n",
     "guardrails[0].timing: expected one of blocking, concurrent, async_post"},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [x], action: drop}\n",
     "guardrails[0].action: expected one of block, redact, log"},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [x], on_error: ignore}\n",
     "guardrails[0].on_error: expected one of fail_closed, fail_open"},
    {BASE "guardrails:\n  - {name: a, type: parallel, members: [a2], strategy: any}\n  - {name: a2, type: regex, patterns: [x]}\n",
     "guardrails[0].strategy: expected one of all_must_pass, first_success, race, collect_all"},
    {BASE "    structured_output: {stream: buffer}\n", "models[0].structured_output.stream: expected one of hold, pass"},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [x], case_sensitive: maybe}\n",
     "t.yaml:7: guardrails[0].case_sensitive: expected true or false, got \"maybe\""},
    /* numbers and ranges */
    {BASE "    retries: {max: 1000}\n", "t.yaml:6: models[0].retries.max: expected an integer from 0 to 100, got \"1000\""},
    {BASE "    retries: {base_ms: 5000, max_ms: 100}\n", "t.yaml:6: models[0].retries: base_ms (5000) must not exceed max_ms (100)"},
    {BASE "    timeouts: {total_ms: -1}\n", "t.yaml:6: models[0].timeouts.total_ms: expected a non-negative integer, got \"-1\""},
    {BASE "    timeouts: {total_ms: 10s}\n", "models[0].timeouts.total_ms: expected a non-negative integer, got \"10s\""},
    {BASE "    timeouts: {total_ms: 99999999999999}\n", "models[0].timeouts.total_ms: expected a non-negative integer"},
    {"server: {listen: \"127.0.0.1:70000\"}\n" BASE, "t.yaml:1: server.listen: port must be a number from 1 to 65535"},
    {"server: {listen: \"127.0.0.1\"}\n" BASE, "t.yaml:1: server.listen: expected \"host:port\""},
    {"server: {listen: \"::1:80\"}\n" BASE, "server.listen: IPv6 addresses need brackets"},
    {"server: {upstream_transport: http3}\n" BASE, "server.upstream_transport: expected one of"},
    {"server: {workers: 0}\n" BASE, "server.workers: expected a positive integer (at most 1024) or \"auto\", got \"0\""},
    {"server: {max_body_bytes: lots}\n" BASE, "t.yaml:1: server.max_body_bytes: expected a positive size"},
    {"server: {max_body_bytes: 0}\n" BASE, "server.max_body_bytes: expected a positive size"},
    {"server: {max_body_bytes: 99999999999g}\n" BASE, "server.max_body_bytes: expected a positive size"},
    {"server: {header_timeout_ms: 0}\n" BASE, "server.header_timeout_ms: expected a positive integer, got \"0\""},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [x], status_code: 99}\n",
     "guardrails[0].status_code: expected an integer from 100 to 599, got \"99\""},
    {BASE "health: {error_ratio: 1.5}\n", "t.yaml:6: health.error_ratio: expected a number from 0 to 1, got \"1.5\""},
    {BASE "health: {error_ratio: 0}\n", "t.yaml:6: health.error_ratio: must be above 0"},
    {BASE "    fallback_on: [{status: 600}]\n", "models[0].fallback_on[0].status: expected an HTTP status from 100 to 599"},
    {BASE "    fallback_on: [{status: \"599-500\"}]\n", "models[0].fallback_on[0].status: expected an HTTP status"},
    {BASE "    fallback_on: [{match: x}]\n", "t.yaml:6: models[0].fallback_on[0]: missing required key \"status\""},
    {"providers: [{name: p, base_url: \"http://h\"}]\nmodels: [{name: m, targets: [{provider: p, model: x, weight: 0}]}]\n",
     "t.yaml:2: models[0].targets: every target has weight 0"},
    /* duplicates */
    {"providers:\n  - {name: p, base_url: \"http://a\"}\n  - {name: p, base_url: \"http://b\"}\n"
     "models: [{name: m, targets: [{provider: p, model: x}]}]\n",
     "t.yaml:3: providers[1]: duplicate provider name \"p\" (first defined at line 2)"},
    {BASE "  - name: m\n    targets: [{provider: local, model: y}]\n",
     "t.yaml:6: models[1]: duplicate model name \"m\" (first defined at line 4)"},
    {BASE "guardrails:\n  - {name: g, type: regex, patterns: [x]}\n  - {name: g, type: keywords, keywords: [x]}\n",
     "t.yaml:8: guardrails[1]: duplicate guardrail name \"g\" (first defined at line 7)"},
    {BASE "    load_balancing: weighted\n    load_balancing: latency\n",
     "t.yaml:7: models[0]: duplicate key \"load_balancing\" (first at line 6)"},
    {"server: {}\nserver: {}\n" BASE, "t.yaml:2: duplicate key \"server\" (first at line 1)"},
    {BASE "api_keys: [{key: abc}, {key: def}, {key: abc}]\n", "t.yaml:6: api_keys[2]: duplicate key (same as api_keys[0])"},
    /* dangling references */
    {BASE "    guardrails: [nope]\n", "t.yaml:6: models[0].guardrails[0]: unknown guardrail \"nope\""},
    {BASE "default_guardrails: [a, nope]\nguardrails: [{name: a, type: regex, patterns: [x]}]\n",
     "t.yaml:6: default_guardrails[1]: unknown guardrail \"nope\""},
    {BASE "    fallbacks: [m2]\n", "t.yaml:6: models[0].fallbacks[0]: unknown model \"m2\" (did you mean \"m\"?)"},
    {BASE "    fallback_on: [{status: 400, to: big}]\n", "t.yaml:6: models[0].fallback_on[0].to: unknown model \"big\""},
    {BASE "guardrails:\n  - name: p\n    type: parallel\n    members: [missing]\n",
     "t.yaml:9: guardrails[0].members[0]: unknown guardrail \"missing\""},
    {BASE "guardrails:\n  - {name: j, type: llm_judge, model: judge}\n", "t.yaml:7: guardrails[0].model: unknown model \"judge\""},
    /* cycles */
    {BASE "    fallbacks: [m]\n", "t.yaml:4: models[0].fallbacks: fallback cycle: m -> m"},
    {BASE "    fallbacks: [b]\n  - {name: b, targets: [{provider: local, model: y}], fallbacks: [c]}\n"
          "  - {name: c, targets: [{provider: local, model: y}], fallbacks: [m]}\n",
     "fallback cycle: m -> b -> c -> m"},
    {BASE "    fallback_on: [{status: 400, to: b}]\n  - {name: b, targets: [{provider: local, model: y}], fallbacks: [m]}\n",
     "fallback cycle: m -> b -> m"},
    {BASE "guardrails:\n  - {name: p, type: parallel, members: [r, c]}\n  - {name: c, type: chain, members: [p]}\n"
          "  - {name: r, type: regex, patterns: [x]}\n",
     "t.yaml:7: guardrails[0].members: member cycle: p -> c -> p"},
    {BASE "guardrails:\n  - {name: p, type: chain, members: [p]}\n", "member cycle: p -> p"},
    /* YAML itself */
    {"server:\n  listen: [1, 2\nmodels: []\n", "t.yaml:3: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence started at line 2)"},
    {"a: b: c\n", "t.yaml:1: YAML syntax error: mapping values are not allowed in this context"},
    {"", "t.yaml:1: the configuration is empty"},
    {"# only a comment\n\n", "t.yaml:1: the configuration is empty"},
    {BASE "---\nserver: {}\n", "t.yaml:6: more than one YAML document"},
    {"a: &x [*x]\n", "t.yaml:1: recursive alias"},
    {"models: *nope\n", "YAML syntax error: found undefined alias"},
    {"server: {}\n", "t.yaml:1: no models defined"},
    {"models: []\n", "t.yaml:1: no models defined"},
    {"? [a]\n: b\n", "t.yaml:1: mapping keys must be strings"},
    /* missing required keys */
    {"providers: [{base_url: \"http://h\"}]\n", "t.yaml:1: providers[0]: missing required key \"name\""},
    {"providers: [{name: p}]\n", "t.yaml:1: providers[0]: missing required key \"base_url\""},
    {BASE "  - targets: [{provider: local, model: y}]\n", "t.yaml:6: models[1]: missing required key \"name\""},
    {BASE "  - name: n\n", "t.yaml:6: models[1]: missing required key \"targets\""},
    {BASE "  - {name: n, targets: []}\n", "t.yaml:6: models[1].targets: at least one target is required"},
    {BASE "  - {name: n, targets: [{model: y}]}\n", "t.yaml:6: models[1].targets[0]: missing required key \"provider\""},
    {BASE "  - {name: n, targets: [{provider: local}]}\n", "t.yaml:6: models[1].targets[0]: missing required key \"model\""},
    {BASE "guardrails:\n  - {type: regex, patterns: [x]}\n", "t.yaml:7: guardrails[0]: missing required key \"name\""},
    {BASE "guardrails:\n  - {name: a, patterns: [x]}\n", "t.yaml:7: guardrails[0]: missing required key \"type\""},
    {BASE "guardrails:\n  - {name: a, type: regex}\n", "t.yaml:7: guardrails[0]: missing required key \"patterns\""},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: []}\n", "t.yaml:7: guardrails[0].patterns: needs at least one entry"},
    {BASE "guardrails:\n  - {name: a, type: keywords, keywords: [ok, \"\"]}\n", "t.yaml:7: guardrails[0].keywords[1]: empty keyword"},
    {BASE "guardrails:\n  - {name: a, type: webhook}\n", "t.yaml:7: guardrails[0]: missing required key \"api_base\""},
    {BASE "guardrails:\n  - {name: a, type: webhook, url: \"http://h/x\", api_base: \"http://h\"}\n",
     "t.yaml:7: guardrails[0]: give either \"url\""},
    {BASE "guardrails:\n  - {name: a, type: webhook, api_base: \"http://h\", on_intervened: redact}\n",
     "guardrails[0].on_intervened: expected one of apply, block"},
    {BASE "guardrails:\n  - {name: a, type: webhook, api_base: \"http://h\", additional_provider_specific_params: [1]}\n",
     "guardrails[0].additional_provider_specific_params: expected a mapping"},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [x], on_unreachable: fail_open}\n",
     "key \"on_unreachable\" does not apply to type \"regex\""},
    {BASE "guardrails:\n  - {name: a, type: llm_judge}\n", "t.yaml:7: guardrails[0]: missing required key \"model\""},
    {BASE "guardrails:\n  - {name: a, type: plugin}\n", "t.yaml:7: guardrails[0]: missing required key \"path\""},
    {BASE "guardrails:\n  - {name: a, type: parallel}\n", "t.yaml:7: guardrails[0]: missing required key \"members\""},
    {BASE "guardrails:\n  - {name: a, type: chain, members: []}\n", "t.yaml:7: guardrails[0].members: needs at least one member"},
    {BASE "guardrails:\n  - {name: a, type: length}\n", "t.yaml:7: guardrails[0]: a length guardrail needs max_chars"},
    {BASE "guardrails:\n  - {name: a, type: tools}\n", "t.yaml:7: guardrails[0]: a tools guardrail needs allow, deny or arguments"},
    {BASE "api_keys: [{name: x}]\n", "t.yaml:6: api_keys[0]: missing the key: one of \"key\", \"key_sha256\" or \"key_env\""},
    /* audit, auth, admin, prices (config_audit.c) */
    {BASE "api_keys: [{name: x, key_sha256: abc}]\n", "t.yaml:6: api_keys[0].key_sha256: expected 64 hex digits (the SHA-256 of the key, e.g. `printf %s KEY | sha256sum`)"},
    {BASE "api_keys: [{name: x, key_env: WARDEN_TEST_UNSET_VARIABLE}]\n", "t.yaml:6: api_keys[0].key_env: the environment variable WARDEN_TEST_UNSET_VARIABLE is not set (or empty)"},
    {BASE "api_keys: [{name: x, key: a, key_sha256: 0000000000000000000000000000000000000000000000000000000000000000}]\n", "t.yaml:6: api_keys[0]: give the key once: one of \"key\", \"key_sha256\" or \"key_env\""},
    {BASE "auth: {required: true}\n", "t.yaml:1: auth: required: true needs at least one entry in api_keys"},
    {BASE "auth: {required: yes-please}\n", "t.yaml:6: auth.required: expected true or false, got \"yes-please\""},
    {BASE "audit: {sink: postgres}\n", "t.yaml:6: audit: sink: postgres needs \"dsn\""},
    {BASE "audit: {sink: mysql}\n", "t.yaml:6: audit.sink: expected one of off, sqlite, postgres, got \"mysql\""},
    {BASE "audit: {overflow: maybe}\n", "t.yaml:6: audit.overflow: expected one of refuse, drop, got \"maybe\""},
    {BASE "audit: {journal_max_mb: 0}\n", "t.yaml:6: audit.journal_max_mb: expected an integer from 1 to 1048576, got \"0\""},
    {BASE "prices: [{model: m, input_per_mtok: 1}]\n", "t.yaml:6: prices[0]: a price needs both \"input_per_mtok\" and \"output_per_mtok\" (USD per million tokens)"},
    {BASE "prices: [{input_per_mtok: 1, output_per_mtok: 2}]\n", "t.yaml:6: prices[0]: missing required key \"model\""},
    {BASE "admin: {token: x}\n", "t.yaml:6: admin: unknown key \"token\""},
    /* values */
    {BASE "guardrails:\n  - name: a\n    type: regex\n    patterns:\n      - ok\n      - \"sk-[\"\n",
     "t.yaml:11: guardrails[0].patterns[1]: invalid regex \"sk-[\": missing terminating ] for character class"},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [\"\"]}\n", "guardrails[0].patterns[0]: empty pattern"},
    {BASE "guardrails:\n  - {name: a, type: tools, arguments: {search: \"(unclosed\"}}\n",
     "t.yaml:7: guardrails[0].arguments.search: invalid regex \"(unclosed\": missing closing parenthesis"},
    {"providers: [{name: p, base_url: \"ftp://h\"}]\n", "t.yaml:1: providers[0].base_url: expected an http:// or https:// URL, got \"ftp://h\""},
    {"providers: [{name: p, base_url: \"http://\"}]\n", "providers[0].base_url: expected an http:// or https:// URL"},
    {BASE "guardrails:\n  - {name: a, type: webhook, url: \"localhost:9000\"}\n", "guardrails[0].url: expected an http:// or https:// URL"},
    {"providers: [{name: p, base_url: \"http://h\", headers: {\"bad header\": x}}]\n",
     "t.yaml:1: providers[0].headers: invalid header name \"bad header\""},
    {"providers: [{name: p, base_url: \"http://h\", headers: {x-a: \"v\\r\\nx-b: 1\"}}]\n",
     "providers[0].headers.x-a: header value must not contain CR or LF"},
    {"providers: [{name: p, base_url: \"http://h\", api_key_env: \"\"}]\n", "providers[0].api_key_env: expected an environment variable name"},
    /* keys that do not fit the type */
    {BASE "guardrails:\n  - {name: a, type: webhook, url: \"http://h\", patterns: [x]}\n",
     "t.yaml:7: guardrails[0]: key \"patterns\" does not apply to type \"webhook\""},
    {BASE "guardrails:\n  - {name: a, type: keywords, patterns: [x]}\n",
     "guardrails[0]: key \"patterns\" does not apply to type \"keywords\" (use \"keywords\")"},
    {BASE "guardrails:\n  - {name: a, type: chain, members: [b], strategy: race}\n  - {name: b, type: regex, patterns: [x]}\n",
     "guardrails[0]: key \"strategy\" does not apply to type \"chain\""},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [x], url: \"http://h\"}\n",
     "guardrails[0]: key \"url\" does not apply to type \"regex\""},
    /* prompt_injection / classifier */
    {BASE "guardrails:\n  - {name: a, type: classifier}\n", "t.yaml:7: guardrails[0]: missing required key \"model\""},
    {BASE "guardrails:\n  - {name: a, type: classifier, model: /nonexistent/tox.model}\n",
     "t.yaml:7: guardrails[0].model: cannot read model file \"/nonexistent/tox.model\""},
    {BASE "guardrails:\n  - {name: a, type: prompt_injection, threshold: 1.5}\n", "t.yaml:7: guardrails[0].threshold:"},
    {BASE "guardrails:\n  - {name: a, type: prompt_injection, canary: maybe}\n", "t.yaml:7: guardrails[0].canary:"},
    {BASE "guardrails:\n  - {name: a, type: prompt_injection, canary: true}\n  - {name: a.canary, type: regex, patterns: [x]}\n",
     "t.yaml:7: guardrails[0].canary: the canary check of a is named a.canary, which another guardrail already is"},
    {BASE "    guardrails: [a.canary]\nguardrails:\n  - {name: a, type: prompt_injection, canary: true}\n",
     "unknown guardrail"},
    {BASE "guardrails:\n  - {name: a, type: regex, patterns: [x], threshold: 0.5}\n",
     "guardrails[0]: key \"threshold\" does not apply to type \"regex\""},
    {BASE "guardrails:\n  - {name: a, type: prompt_injection, model: x}\n",
     "t.yaml:7: guardrails[0].model: cannot read model file \"x\""},
    {BASE "guardrails:\n  - {name: a, type: pii, model: none}\n", "guardrails[0]: key \"model\" does not apply to type \"pii\""},
};

static void each_mistake_gives_file_line_and_message(void **state)
{
    size_t failures = 0;
    for (size_t i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
        char err[512] = "";
        struct config *cfg = load(bad_configs[i].yaml, err, sizeof(err));
        if (cfg) {
            print_error("case %zu loaded but should fail with: %s\n", i, bad_configs[i].want);
            config_free(cfg);
            failures++;
        } else if (!strstr(err, bad_configs[i].want)) {
            print_error("case %zu:\n  want: %s\n  got:  %s\n", i, bad_configs[i].want, err);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void error_names_the_file_path(void **state)
{
    char path[] = "/tmp/warden-config-test-XXXXXX", err[512];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *yaml = BASE "    load_balancing: nope\n";
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    assert_null(config_load(path, err, sizeof(err)));
    char want[600];
    snprintf(want, sizeof(want), "%s:6: models[0].load_balancing: expected one of", path);
    assert_non_null(strstr(err, want));
    unlink(path);

    assert_null(config_load("/nonexistent/warden.yaml", err, sizeof(err)));
    assert_string_equal(err, "/nonexistent/warden.yaml: cannot open: No such file or directory");
}

static void small_error_buffers_are_safe(void **state)
{
    char err[8];
    memset(err, 'x', sizeof(err));
    assert_null(load("server: 1\n", err, sizeof(err)));
    assert_int_equal(strlen(err), sizeof(err) - 1);
    assert_null(load("server: 1\n", NULL, 0));
    config_free(NULL);
}

/* Under ASan this proves every error path frees what it built. */
static void loading_many_bad_configs_leaks_nothing(void **state)
{
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
            char err[256];
            struct config *cfg = load(bad_configs[i].yaml, err, sizeof(err));
            assert_null(cfg);
        }
    }
}

static void alias_bombs_are_refused(void **state)
{
    char err[512];
    const char *yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    assert_null(load(yaml, err, sizeof(err)));
    assert_non_null(strstr(err, "after expanding aliases"));
    char deep[400];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    char doc[420];
    snprintf(doc, sizeof(doc), "a: %.*s\n", 400, deep);
    assert_null(load(doc, err, sizeof(err)));
    assert_non_null(strstr(err, "nested more than"));
}

/* CPU time of this thread: a loaded machine does not stretch it */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 100k-deep nesting (flow and block styles) is refused at the line where the bound is
 * crossed, before a document is built: it used to cost 15-30 s of CPU. */
static void deep_nesting_is_refused_before_the_document_is_built(void **state)
{
    (void)state;
    size_t n = 100000;
    char *flow = malloc(2 * n + 8);
    memcpy(flow, "a: ", 3);
    memset(flow + 3, '[', n);
    memset(flow + 3 + n, ']', n);
    strcpy(flow + 3 + 2 * n, "\n");
    char err[512];
    double t0 = now_s();
    assert_null(load(flow, err, sizeof(err)));
    assert_non_null(strstr(err, "t.yaml:1: "));
    assert_non_null(strstr(err, "nested more than 64 levels deep"));
    free(flow);
    /* block style: one level per line; the message names the first line past the bound */
    struct { char *p; size_t len; } b = {malloc(300 * 303 + 1), 0};
    for (size_t i = 0; i < 300; i++) {
        memset(b.p + b.len, ' ', i);
        memcpy(b.p + b.len + i, "k:\n", 3);
        b.len += i + 3;
    }
    b.p[b.len] = '\0';
    assert_null(load(b.p, err, sizeof(err)));
    assert_non_null(strstr(err, "t.yaml:65: "));
    free(b.p);
    assert_true(now_s() - t0 < 2.0);
    /* 64 levels still load as far as the shape goes (then fail on the unknown key) */
    char ok[400];
    snprintf(ok, sizeof(ok), "%sa: %.*s%.*s\n", BASE, 63, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
             63, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    assert_null(load(ok, err, sizeof(err)));
    assert_null(strstr(err, "nested more than"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_example_loads_with_every_field),
        cmocka_unit_test(minimal_config_gets_defaults),
        cmocka_unit_test(audit_auth_admin_and_prices_parse),
        cmocka_unit_test(guardrail_defaults_depend_on_type),
        cmocka_unit_test(builtin_detector_keys_parse),
        cmocka_unit_test(canary_true_adds_its_answer_check),
        cmocka_unit_test(guard_coverage_defaults_and_overrides),
        cmocka_unit_test(model_values_override_defaults_key_by_key),
        cmocka_unit_test(api_key_comes_from_the_environment),
        cmocka_unit_test(server_listen_workers_and_sizes_parse),
        cmocka_unit_test(fallback_status_forms_parse),
        cmocka_unit_test(aliases_are_followed),
        cmocka_unit_test(each_mistake_gives_file_line_and_message),
        cmocka_unit_test(error_names_the_file_path),
        cmocka_unit_test(small_error_buffers_are_safe),
        cmocka_unit_test(loading_many_bad_configs_leaks_nothing),
        cmocka_unit_test(alias_bombs_are_refused),
        cmocka_unit_test(webhook_keys_speak_litellm),
        cmocka_unit_test(deep_nesting_is_refused_before_the_document_is_built),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
