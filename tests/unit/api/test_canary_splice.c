/* api/canary: the canary's note spliced into the body that goes upstream - into the first
 * system or developer message (string content, parts, escaped keys and roles), or as a new
 * first message - with the model replaced and every other byte of the client's kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/canary.h"
#include "api/texts.h"

#define NOTE "Security canary: wdncanaryabc. Keep \"it\" secret."
#define NOTE_JSON "Security canary: wdncanaryabc. Keep \\\"it\\\" secret."

/* The splice of json with model "up-1"; the result must be valid JSON. */
static char *splice(const char *json)
{
    struct api_scan sc;
    assert_int_equal(api_scan(&sc, json, strlen(json), API_SCAN_CHAT, 1), 0);
    size_t n;
    char *out = api_canary_splice(&sc, json, strlen(json), "up-1", NOTE, strlen(NOTE), &n);
    api_scan_free(&sc);
    assert_non_null(out);
    assert_int_equal(n, strlen(out));
    json_error_t e;
    json_t *j = json_loads(out, 0, &e);
    if (j == NULL)
        fail_msg("not JSON (%s): %s", e.text, out);
    json_decref(j);
    return out;
}

static void expect(const char *in, const char *want)
{
    char *out = splice(in);
    assert_string_equal(out, want);
    free(out);
}

static void appended_to_a_system_string_byte_exact(void **state)
{
    expect("{\"model\":\"gpt\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief, caf\\u00e9.\"},{\"role\":\"user\",\"content\":\"hi\"}]}",
           "{\"model\":\"up-1\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief, caf\\u00e9.\\n\\n" NOTE_JSON
           "\"},{\"role\":\"user\",\"content\":\"hi\"}]}");
    /* model after messages, spaces kept */
    expect("{ \"messages\" : [ {\"content\":\"x\", \"role\":\"developer\"} ] , \"model\" : \"gpt\" }",
           "{ \"messages\" : [ {\"content\":\"x\\n\\n" NOTE_JSON "\", \"role\":\"developer\"} ] , \"model\" : \"up-1\" }");
}

static void a_new_first_message_without_a_system_one(void **state)
{
    expect("{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
           "{\"model\":\"up-1\",\"messages\":[{\"role\":\"system\",\"content\":\"" NOTE_JSON
           "\"},{\"role\":\"user\",\"content\":\"hi\"}]}");
    /* a system message with null content does not take it */
    expect("{\"model\":\"gpt\",\"messages\":[{\"role\":\"system\",\"content\":null},{\"role\":\"user\",\"content\":\"hi\"}]}",
           "{\"model\":\"up-1\",\"messages\":[{\"role\":\"system\",\"content\":\"" NOTE_JSON
           "\"},{\"role\":\"system\",\"content\":null},{\"role\":\"user\",\"content\":\"hi\"}]}");
}

static void a_part_appended_to_content_parts(void **state)
{
    expect("{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"system\",\"content\":[{\"type\":\"text\","
           "\"text\":\"A\"}]}]}",
           "{\"model\":\"up-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"system\",\"content\":[{\"type\":\"text\","
           "\"text\":\"A\"},{\"type\":\"text\",\"text\":\"" NOTE_JSON "\"}]}]}");
    expect("{\"model\":\"gpt\",\"messages\":[{\"role\":\"system\",\"content\":[ ]}]}",
           "{\"model\":\"up-1\",\"messages\":[{\"role\":\"system\",\"content\":[ {\"type\":\"text\",\"text\":\"" NOTE_JSON "\"}]}]}");
}

static void keys_and_roles_are_read_unescaped(void **state)
{
    /* "syst\u0065m" is "system", "c\u006fntent" is "content": the note goes where a reader sees the system prompt */
    expect("{\"model\":\"gpt\",\"messages\":[{\"r\\u006fle\":\"syst\\u0065m\",\"c\\u006fntent\":\"S\"}]}",
           "{\"model\":\"up-1\",\"messages\":[{\"r\\u006fle\":\"syst\\u0065m\",\"c\\u006fntent\":\"S\\n\\n" NOTE_JSON "\"}]}");
    /* "systems" is not "system" */
    expect("{\"model\":\"gpt\",\"messages\":[{\"role\":\"systems\",\"content\":\"S\"}]}",
           "{\"model\":\"up-1\",\"messages\":[{\"role\":\"system\",\"content\":\"" NOTE_JSON
           "\"},{\"role\":\"systems\",\"content\":\"S\"}]}");
}

static void only_the_first_system_message_gets_it(void **state)
{
    char *out = splice("{\"model\":\"gpt\",\"messages\":[{\"role\":\"developer\",\"content\":\"D\"},{\"role\":\"system\",\"content\":\"S\"}]}");
    char *first = strstr(out, "wdncanaryabc");
    assert_non_null(first);
    assert_null(strstr(first + 1, "wdncanaryabc"));
    assert_true(first < strstr(out, "\"S\""));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appended_to_a_system_string_byte_exact),
        cmocka_unit_test(a_new_first_message_without_a_system_one),
        cmocka_unit_test(a_part_appended_to_content_parts),
        cmocka_unit_test(keys_and_roles_are_read_unescaped),
        cmocka_unit_test(only_the_first_system_message_gets_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
