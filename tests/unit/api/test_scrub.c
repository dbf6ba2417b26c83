/* Secret scrubbing of relayed upstream errors (api/scrub.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "api/scrub.h"
#include "config/config.h"

#define KEY "sk-provider-key/with+slash-0123456789"

static struct config *load_cfg(void)
{
    setenv("SCRUB_TEST_KEY", KEY, 1);
    const char *yaml = "providers:\n"
                       "  - {name: p, base_url: \"http://127.0.0.1:9/v1\", api_key_env: SCRUB_TEST_KEY,\n"
                       "     headers: {X-Api-Key: header-secret-value-42, X-Trace: not-a-secret-at-all}}\n"
                       "models:\n"
                       "  - {name: m, targets: [{provider: p, model: x}], guardrails: [wh]}\n"
                       "guardrails:\n"
                       "  - {name: wh, type: webhook, url: \"http://127.0.0.1:9/g\", headers: {Authorization: Bearer webhook-token-77777}}\n"
                       "api_keys:\n"
                       "  - {key: client-key-abcdefgh, name: c}\n"
                       "  - {key: short, name: s}\n";
    char err[256];
    struct config *cfg = config_load_string(yaml, strlen(yaml), "t.yaml", err, sizeof(err));
    if (cfg == NULL)
        fail_msg("config: %s", err);
    return cfg;
}

static char *scrubbed(const struct api_scrub *s, const char *in, size_t *count)
{
    struct util_buf b;
    util_buf_init(&b, strlen(in) + 1);
    util_buf_append(&b, in, strlen(in));
    *count = api_scrub_buf(s, &b);
    size_t len;
    char *out = util_buf_take(&b, &len);
    return out ? out : strdup("");
}

static void every_configured_secret_is_masked(void **state)
{
    (void)state;
    struct config *cfg = load_cfg();
    struct api_scrub *s = api_scrub_create(cfg);
    size_t n;
    char *out = scrubbed(s, "{\"error\":\"bad key Bearer " KEY "\",\"h\":\"header-secret-value-42\","
                            "\"w\":\"webhook-token-77777\",\"c\":\"client-key-abcdefgh\"}", &n);
    assert_int_equal(n, 4);
    assert_string_equal(out, "{\"error\":\"bad key Bearer [REDACTED]\",\"h\":\"[REDACTED]\",\"w\":\"[REDACTED]\","
                             "\"c\":\"[REDACTED]\"}");
    free(out);
    /* the JSON-escaped form ("\/") too, and every occurrence */
    out = scrubbed(s, "a sk-provider-key\\/with+slash-0123456789 b " KEY " c " KEY, &n);
    assert_int_equal(n, 3);
    assert_string_equal(out, "a [REDACTED] b [REDACTED] c [REDACTED]");
    free(out);
    api_scrub_destroy(s);
    config_free(cfg);
}

static void other_text_is_left_alone(void **state)
{
    (void)state;
    struct config *cfg = load_cfg();
    struct api_scrub *s = api_scrub_create(cfg);
    size_t n;
    /* not a credential header, too short to search, partial key */
    const char *in = "not-a-secret-at-all short sk-provider-key/with+slash";
    char *out = scrubbed(s, in, &n);
    assert_int_equal(n, 0);
    assert_string_equal(out, in);
    free(out);
    /* NUL-separated header buffers work the same */
    struct util_buf b;
    util_buf_init(&b, 1024);
    util_buf_append(&b, "x-echo\0Bearer " KEY "\0", 16 + strlen(KEY));
    assert_int_equal(api_scrub_buf(s, &b), 1);
    assert_int_equal(b.len, 16 + strlen("[REDACTED]"));
    assert_memory_equal(b.data, "x-echo\0Bearer [REDACTED]\0", b.len);
    util_buf_free(&b);
    api_scrub_destroy(s);
    config_free(cfg);
}

static void fixed_arrays_are_scrubbed_in_place(void **state)
{
    (void)state;
    struct config *cfg = load_cfg();
    struct api_scrub *s = api_scrub_create(cfg);
    char text[64] = "guard said: webhook-token-77777 is wrong";
    assert_int_equal(api_scrub_text(s, text, sizeof(text)), 1);
    assert_string_equal(text, "guard said: [REDACTED] is wrong");
    char exact[20] = "webhook-token-77777"; /* fills the array */
    assert_int_equal(api_scrub_text(s, exact, sizeof(exact)), 1);
    assert_string_equal(exact, "[REDACTED]");
    char cut[12] = "webhook-tok"; /* a secret cut off by the array is no secret any more */
    assert_int_equal(api_scrub_text(s, cut, sizeof(cut)), 0);
    api_scrub_destroy(s);
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_configured_secret_is_masked),
        cmocka_unit_test(other_text_is_left_alone),
        cmocka_unit_test(fixed_arrays_are_scrubbed_in_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
