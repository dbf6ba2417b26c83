/* LiteLLM's Generic Guardrail API: the request Warden builds and how answers are read
 * (guard/webhook.c). Each case is one rule of webhook.h's list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/webhook.h"

/* A chat request with a tool call in its history and an image part, and the texts the
 * coverage contract collects from it, in its order. */
static const char *REQUEST =
    "{\"model\":\"gpt-x\",\"user\":\"eu-1\",\"messages\":["
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"my ssn is 123-45-6789\"},"
    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/cat.png\"}}]},"
    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
    "\"function\":{\"name\":\"lookup\",\"arguments\":\"{\\\"ssn\\\":\\\"123-45-6789\\\"}\"}}]},"
    "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"found\"}],"
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"description\":\"find a person\"}}]}";
static const char *TEXTS[] = {"my ssn is 123-45-6789", "lookup", "{\"ssn\":\"123-45-6789\"}", "found", "lookup",
                              "find a person"};
#define N_TEXTS 6

struct fixture {
    json_t *body;
    struct guard_webhook_ctx *w;
    size_t lens[N_TEXTS];
    struct config_api_key key;
    struct config_kv meta[3];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    json_error_t je;
    f->body = json_loads(REQUEST, 0, &je);
    assert_non_null(f->body);
    for (size_t i = 0; i < N_TEXTS; i++)
        f->lens[i] = strlen(TEXTS[i]);
    f->meta[0] = (struct config_kv){"team_id", "team-a"};
    f->meta[1] = (struct config_kv){"user_api_key_org_id", "org-1"};
    f->meta[2] = (struct config_kv){"tier", "free"};
    f->key = (struct config_api_key){.key = "sk-secret", .name = "alice-key", .metadata = f->meta, .n_metadata = 3};
    struct guard_header h[] = {{"authorization", 13, "Bearer sk-secret", 16}, {"user-agent", 10, "ua/1", 4},
                               {"X-Stainless-Lang", 16, "python", 6}};
    struct guard_subject s = {.stage = CONFIG_STAGE_INPUT,
                              .texts = TEXTS,
                              .lens = f->lens,
                              .n = N_TEXTS,
                              .model = "gpt-x",
                              .request_id = "rid-1",
                              .body = f->body,
                              .call_id = "00000000-0000-4000-8000-000000000001",
                              .api_key = &f->key,
                              .headers = h,
                              .n_headers = 3};
    f->w = guard_webhook_ctx_new(&s);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    guard_webhook_ctx_unref(f->w);
    json_decref(f->body);
    free(f);
    return 0;
}

static void read_answer(struct fixture *f, struct guard_webhook_answer *a, int status, const char *body)
{
    guard_webhook_answer_read(a, status, body, strlen(body), f->w, TEXTS, f->lens, N_TEXTS);
}

static void request_has_every_field_litellm_sends(void **state)
{
    struct fixture *f = *state;
    json_t *params = json_pack("{s:f}", "threshold", 0.5);
    json_t *r = guard_webhook_request_new(f->w, params, TEXTS, f->lens, N_TEXTS);
    static const char *const fields[] = {"texts", "images", "tools", "tool_calls", "structured_messages", "request_data",
                                         "input_type", "litellm_call_id", "litellm_trace_id", "request_headers",
                                         "litellm_version", "additional_provider_specific_params", "model", NULL};
    for (size_t i = 0; fields[i]; i++)
        assert_non_null(json_object_get(r, fields[i]));
    assert_int_equal(json_object_size(r), 13); /* nothing LiteLLM does not send */
    assert_int_equal(json_array_size(json_object_get(r, "texts")), N_TEXTS);
    assert_string_equal(json_string_value(json_object_get(r, "input_type")), "request");
    assert_string_equal(json_string_value(json_object_get(r, "litellm_call_id")), "00000000-0000-4000-8000-000000000001");
    assert_string_equal(json_string_value(json_object_get(r, "litellm_trace_id")), "rid-1");
    assert_string_equal(json_string_value(json_object_get(r, "model")), "gpt-x");
    assert_string_equal(json_string_value(json_array_get(json_object_get(r, "images"), 0)), "https://x/cat.png");
    assert_int_equal(json_array_size(json_object_get(r, "tool_calls")), 1);
    assert_int_equal(json_array_size(json_object_get(r, "structured_messages")), 3);
    assert_int_equal(json_array_size(json_object_get(r, "tools")), 1);
    json_t *rd = json_object_get(r, "request_data");
    assert_string_equal(json_string_value(json_object_get(rd, "user_api_key_alias")), "alice-key");
    assert_string_equal(json_string_value(json_object_get(rd, "user_api_key_team_id")), "team-a");
    assert_string_equal(json_string_value(json_object_get(rd, "user_api_key_org_id")), "org-1");
    assert_string_equal(json_string_value(json_object_get(rd, "user_api_key_end_user_id")), "eu-1");
    assert_null(json_object_get(rd, "tier")); /* not a LiteLLM field */
    json_t *rh = json_object_get(r, "request_headers");
    assert_string_equal(json_string_value(json_object_get(rh, "authorization")), "[present]");
    assert_string_equal(json_string_value(json_object_get(rh, "user-agent")), "ua/1");
    assert_string_equal(json_string_value(json_object_get(rh, "x-stainless-lang")), "python");
    assert_true(json_equal(json_object_get(r, "additional_provider_specific_params"), params));
    char *dump = json_dumps(r, JSON_COMPACT);
    assert_null(strstr(dump, "sk-secret")); /* the key never leaves */
    free(dump);
    json_decref(r);
    json_decref(params);
}

static void body_as_json_text_gives_the_same_request(void **state)
{
    struct fixture *f = *state;
    struct guard_subject s = {.stage = CONFIG_STAGE_INPUT,
                              .texts = TEXTS,
                              .lens = f->lens,
                              .n = N_TEXTS,
                              .model = "gpt-x",
                              .request_id = "rid-1",
                              .body_json = REQUEST,
                              .body_json_len = strlen(REQUEST),
                              .call_id = "00000000-0000-4000-8000-000000000001",
                              .api_key = &f->key};
    struct guard_webhook_ctx *w = guard_webhook_ctx_new(&s);
    json_t *from_text = guard_webhook_request_new(w, NULL, TEXTS, f->lens, N_TEXTS);
    json_t *from_tree = guard_webhook_request_new(f->w, NULL, TEXTS, f->lens, N_TEXTS);
    json_object_del(from_tree, "request_headers"); /* the fixture's subject has headers, this one none */
    json_object_del(from_text, "request_headers");
    assert_true(json_equal(from_text, from_tree));
    json_decref(from_text);
    json_decref(from_tree);
    guard_webhook_ctx_unref(w);
}

static void output_request_uses_the_answer(void **state)
{
    (void)state;
    json_error_t je;
    json_t *answer = json_loads("{\"model\":\"upstream-7\",\"choices\":["
                                "{\"message\":{\"content\":\"a\",\"tool_calls\":[{\"id\":\"1\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}},"
                                "{\"message\":{\"content\":\"b\",\"tool_calls\":[{\"id\":\"2\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]}}]}",
                                0, &je);
    const char *t[] = {"a"};
    size_t l[] = {1};
    struct guard_subject s = {.stage = CONFIG_STAGE_OUTPUT, .texts = t, .lens = l, .n = 1, .model = "asked", .body = answer};
    struct guard_webhook_ctx *w = guard_webhook_ctx_new(&s);
    json_t *r = guard_webhook_request_new(w, NULL, t, l, 1);
    assert_string_equal(json_string_value(json_object_get(r, "input_type")), "response");
    assert_string_equal(json_string_value(json_object_get(r, "model")), "upstream-7");
    assert_int_equal(json_array_size(json_object_get(r, "tool_calls")), 2); /* every choice */
    assert_true(json_is_null(json_object_get(r, "structured_messages")));
    assert_true(json_is_null(json_object_get(r, "litellm_call_id"))); /* none given: null, never invented */
    assert_int_equal(json_object_size(json_object_get(r, "additional_provider_specific_params")), 0);
    json_decref(r);
    guard_webhook_ctx_unref(w);
    json_decref(answer);
}

static void no_action_is_none(void **state)
{
    struct guard_webhook_answer a;
    read_answer(*state, &a, 200, "{}");
    assert_int_equal(a.result, GUARD_WEBHOOK_PASS);
    read_answer(*state, &a, 200, "{\"action\":null}");
    assert_int_equal(a.result, GUARD_WEBHOOK_PASS);
    read_answer(*state, &a, 200, "{\"action\":\"NONE\"}");
    assert_int_equal(a.result, GUARD_WEBHOOK_PASS);
}

static void blocked_carries_the_reason(void **state)
{
    struct guard_webhook_answer a;
    read_answer(*state, &a, 200, "{\"action\":\"BLOCKED\",\"blocked_reason\":\"no SSNs\",\"texts\":[\"x\"]}");
    assert_int_equal(a.result, GUARD_WEBHOOK_BLOCKED);
    assert_string_equal(a.reason, "no SSNs");
    read_answer(*state, &a, 200, "{\"action\":\"BLOCKED\"}");
    assert_string_equal(a.reason, "Content violates policy");
}

static void unknown_action_does_not_block(void **state)
{
    struct guard_webhook_answer a;
    read_answer(*state, &a, 200, "{\"action\":\"QUARANTINE\"}");
    assert_int_equal(a.result, GUARD_WEBHOOK_PASS);
    assert_true(a.unknown_action);
}

static void intervened_with_a_full_list_rewrites(void **state)
{
    struct fixture *f = *state;
    struct guard_webhook_answer a;
    read_answer(f, &a, 200,
                "{\"action\":\"GUARDRAIL_INTERVENED\",\"texts\":[\"my ssn is [SSN]\",\"lookup\",\"{\\\"ssn\\\":\\\"[SSN]\\\"}\","
                "\"found\",\"lookup\",\"find a person\"]}");
    assert_int_equal(a.result, GUARD_WEBHOOK_REWRITE);
    assert_true(a.intervened);
    assert_int_equal(a.n_rewritten, 2);
    assert_string_equal(a.texts[0], "my ssn is [SSN]");
    assert_null(a.texts[1]); /* unchanged */
    assert_string_equal(a.texts[2], "{\"ssn\":\"[SSN]\"}");
    guard_webhook_answer_free(&a);
}

static void intervened_with_partial_texts_is_unchanged(void **state)
{
    struct guard_webhook_answer a;
    read_answer(*state, &a, 200, "{\"action\":\"GUARDRAIL_INTERVENED\",\"texts\":[\"only one\"]}");
    assert_int_equal(a.result, GUARD_WEBHOOK_INTERVENED);
    read_answer(*state, &a, 200, "{\"action\":\"GUARDRAIL_INTERVENED\",\"texts\":[]}");
    assert_int_equal(a.result, GUARD_WEBHOOK_INTERVENED);
    read_answer(*state, &a, 200, "{\"action\":\"GUARDRAIL_INTERVENED\"}");
    assert_int_equal(a.result, GUARD_WEBHOOK_INTERVENED);
}

static void texts_with_none_are_applied(void **state)
{
    struct guard_webhook_answer a;
    read_answer(*state, &a, 200,
                "{\"action\":\"NONE\",\"texts\":[\"hello\",\"lookup\",\"{\\\"ssn\\\":\\\"123-45-6789\\\"}\",\"found\","
                "\"lookup\",\"find a person\"]}");
    assert_int_equal(a.result, GUARD_WEBHOOK_REWRITE);
    assert_false(a.intervened);
    assert_int_equal(a.n_rewritten, 1);
    assert_string_equal(a.texts[0], "hello");
    guard_webhook_answer_free(&a);
}

static void tool_calls_rewrite_is_placed_and_wins_over_texts(void **state)
{
    struct guard_webhook_answer a;
    /* texts rewrite the arguments one way, tool_calls another: tool_calls win */
    read_answer(*state, &a, 200,
                "{\"action\":\"GUARDRAIL_INTERVENED\",\"texts\":[\"my ssn is 123-45-6789\",\"lookup\",\"{}\",\"found\","
                "\"lookup\",\"find a person\"],"
                "\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"lookup\","
                "\"arguments\":\"{\\\"ssn\\\":\\\"***\\\"}\"}}]}");
    assert_int_equal(a.result, GUARD_WEBHOOK_REWRITE);
    assert_int_equal(a.n_rewritten, 1);
    assert_null(a.texts[0]);
    assert_string_equal(a.texts[2], "{\"ssn\":\"***\"}");
    guard_webhook_answer_free(&a);
}

static void structured_messages_rewrite_is_placed(void **state)
{
    struct guard_webhook_answer a;
    read_answer(*state, &a, 200,
                "{\"action\":\"GUARDRAIL_INTERVENED\",\"structured_messages\":["
                "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"my ssn is [SSN]\"},{\"type\":\"image_url\"}]},"
                "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"function\":{\"name\":\"lookup\","
                "\"arguments\":\"{}\"}}]},"
                "{\"role\":\"tool\",\"content\":\"found\"}]}");
    assert_int_equal(a.result, GUARD_WEBHOOK_REWRITE);
    assert_int_equal(a.n_rewritten, 2);
    assert_string_equal(a.texts[0], "my ssn is [SSN]");
    assert_string_equal(a.texts[2], "{}");
    guard_webhook_answer_free(&a);
}

static void tools_rewrite_is_placed_after_the_messages(void **state)
{
    struct guard_webhook_answer a;
    /* "lookup" is also the name of the history's tool call (text 1): the tool's is text 4 */
    read_answer(*state, &a, 200,
                "{\"action\":\"GUARDRAIL_INTERVENED\",\"tools\":[{\"type\":\"function\",\"function\":"
                "{\"name\":\"find\",\"description\":\"find a [PERSON]\"}}]}");
    assert_int_equal(a.result, GUARD_WEBHOOK_REWRITE);
    assert_int_equal(a.n_rewritten, 2);
    assert_null(a.texts[1]);
    assert_string_equal(a.texts[4], "find");
    assert_string_equal(a.texts[5], "find a [PERSON]");
    guard_webhook_answer_free(&a);
}

static void a_rewrite_that_cannot_be_placed_is_a_bad_answer(void **state)
{
    struct fixture *f = *state;
    struct guard_webhook_answer a;
    /* the same answer, but the texts list lacks the tool call's arguments */
    const char *texts[] = {"my ssn is 123-45-6789", "found"};
    size_t lens[] = {strlen(texts[0]), strlen(texts[1])};
    const char *body = "{\"action\":\"GUARDRAIL_INTERVENED\",\"tool_calls\":[{\"function\":{\"name\":\"lookup\","
                       "\"arguments\":\"{}\"}}]}";
    guard_webhook_answer_read(&a, 200, body, strlen(body), f->w, texts, lens, 2);
    assert_int_equal(a.result, GUARD_WEBHOOK_BAD_ANSWER);
    assert_non_null(strstr(a.reason, "cannot be applied"));
}

static void wrong_types_are_bad_answers(void **state)
{
    struct guard_webhook_answer a;
    static const char *const bad[] = {
        "not json", "[1,2]", "{\"action\":5}", "{\"action\":\"NONE\",\"texts\":\"x\"}",
        "{\"action\":\"NONE\",\"texts\":[1,2,3,4,5,6]}", "{\"action\":\"GUARDRAIL_INTERVENED\",\"tool_calls\":{}}",
        "{\"action\":\"GUARDRAIL_INTERVENED\",\"tool_calls\":[\"x\"]}",
        "{\"action\":\"GUARDRAIL_INTERVENED\",\"tool_calls\":[{\"function\":{\"arguments\":7}}]}",
        "{\"action\":\"GUARDRAIL_INTERVENED\",\"structured_messages\":{}}", NULL};
    for (size_t i = 0; bad[i]; i++) {
        read_answer(*state, &a, 200, bad[i]);
        if (a.result != GUARD_WEBHOOK_BAD_ANSWER)
            fail_msg("answer %s: result %d, want BAD_ANSWER", bad[i], a.result);
        guard_webhook_answer_free(&a);
    }
}

static void status_decides_unreachable_or_bad(void **state)
{
    struct guard_webhook_answer a;
    static const int unreachable[] = {502, 503, 504};
    static const int bad[] = {400, 401, 404, 422, 500, 301};
    for (size_t i = 0; i < 3; i++) {
        read_answer(*state, &a, unreachable[i], "{\"action\":\"NONE\"}");
        assert_int_equal(a.result, GUARD_WEBHOOK_UNREACHABLE);
    }
    for (size_t i = 0; i < 6; i++) {
        read_answer(*state, &a, bad[i], "{\"action\":\"NONE\"}");
        assert_int_equal(a.result, GUARD_WEBHOOK_BAD_ANSWER);
    }
}

static void chain_copy_carries_rewrites(void **state)
{
    struct fixture *f = *state;
    char *neu[N_TEXTS] = {"my ssn is [SSN]", NULL, "{\"ssn\":\"[SSN]\"}", NULL, NULL, NULL};
    size_t nl[N_TEXTS] = {strlen(neu[0]), 0, strlen(neu[2]), 0, 0, 0};
    struct guard_webhook_ctx *c = guard_webhook_ctx_rewritten(f->w, TEXTS, f->lens, neu, nl, N_TEXTS);
    json_t *r = guard_webhook_request_new(c, NULL, TEXTS, f->lens, N_TEXTS);
    char *dump = json_dumps(json_object_get(r, "structured_messages"), JSON_COMPACT);
    char *calls = json_dumps(json_object_get(r, "tool_calls"), JSON_COMPACT);
    assert_null(strstr(dump, "123-45-6789"));
    assert_null(strstr(calls, "123-45-6789"));
    free(dump);
    free(calls);
    json_decref(r);
    /* the original is untouched (other members share it) */
    assert_non_null(strstr(json_string_value(json_object_get(
                               json_array_get(json_object_get(json_array_get(f->w->messages, 0), "content"), 0), "text")),
                           "123-45-6789"));
    guard_webhook_ctx_unref(c);
}

static void call_ids_are_stable_per_request_and_distinct_between(void **state)
{
    (void)state;
    char a[GUARD_CALL_ID_SIZE], b[GUARD_CALL_ID_SIZE], c[GUARD_CALL_ID_SIZE], d[GUARD_CALL_ID_SIZE];
    int x = 0, y = 0;
    guard_call_id(a, &x, 1000);
    guard_call_id(b, &x, 1000);
    guard_call_id(c, &x, 1001);
    guard_call_id(d, &y, 1000);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '4'); /* UUID v4 layout */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(request_has_every_field_litellm_sends, setup, teardown),
        cmocka_unit_test_setup_teardown(body_as_json_text_gives_the_same_request, setup, teardown),
        cmocka_unit_test(output_request_uses_the_answer),
        cmocka_unit_test_setup_teardown(no_action_is_none, setup, teardown),
        cmocka_unit_test_setup_teardown(blocked_carries_the_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_action_does_not_block, setup, teardown),
        cmocka_unit_test_setup_teardown(intervened_with_a_full_list_rewrites, setup, teardown),
        cmocka_unit_test_setup_teardown(intervened_with_partial_texts_is_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(texts_with_none_are_applied, setup, teardown),
        cmocka_unit_test_setup_teardown(tool_calls_rewrite_is_placed_and_wins_over_texts, setup, teardown),
        cmocka_unit_test_setup_teardown(structured_messages_rewrite_is_placed, setup, teardown),
        cmocka_unit_test_setup_teardown(tools_rewrite_is_placed_after_the_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(a_rewrite_that_cannot_be_placed_is_a_bad_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_types_are_bad_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(status_decides_unreachable_or_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(chain_copy_carries_rewrites, setup, teardown),
        cmocka_unit_test(call_ids_are_stable_per_request_and_distinct_between),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
