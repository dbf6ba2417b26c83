/* api_restore_texts: the originals of reversible placeholders back into an answer's texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "api/restore.h"
#include "guard/placeholder.h"

/* An original with a quote goes into a JSON text (tool-call arguments) escaped, as the
 * stream restorer puts it; into plain text as it is. (It used to go into the arguments as
 * is, which broke their JSON, so the placeholder stayed.) */
static void an_original_goes_into_json_escaped(void **state)
{
    struct guard_placeholders *map = guard_placeholders_new();
    size_t pl;
    assert_string_equal(guard_placeholders_add(map, "EMAIL_ADDRESS", "jo\"e@x.org", 10, &pl), "<EMAIL_ADDRESS_1>");
    const char *texts[3] = {"mail <EMAIL_ADDRESS_1>", "{\"to\": \"<EMAIL_ADDRESS_1>\", \"n\": 1}", "{\"to\": <EMAIL_ADDRESS_1>}"};
    size_t lens[3] = {strlen(texts[0]), strlen(texts[1]), strlen(texts[2])};
    char **out;
    size_t *out_lens;
    assert_int_equal(api_restore_texts(&map, 1, texts, lens, 3, &out, &out_lens), 3);
    assert_string_equal(out[0], "mail jo\"e@x.org");
    assert_string_equal(out[1], "{\"to\": \"jo\\\"e@x.org\", \"n\": 1}");
    assert_int_equal(out_lens[1], strlen(out[1]));
    /* not JSON to begin with (a placeholder outside a string): restored as plain text */
    assert_string_equal(out[2], "{\"to\": jo\"e@x.org}");
    api_restore_free(out, out_lens, 3);
    guard_placeholders_free(map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_original_goes_into_json_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
