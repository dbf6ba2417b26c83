/* texts: the one-pass scanner of requests and answers must refuse duplicate keys
 * (compared unescaped), route on the unescaped keys, hand the guards every text of the
 * contract (and unknown fields), and splice rewrites back into valid JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/texts.h"
#include "util/json_text.h"

#define SECRET "sk-ABCDEFGHIJKLMNOPQRSTUVWX"

static int scan(struct api_scan *s, const char *json, enum api_scan_shape shape)
{
    return api_scan(s, json, strlen(json), shape, 1);
}

/* Does some text of the scan (of class cls, or any when cls < 0) contain needle? */
static int has_text(const struct api_scan *s, const char *needle, int cls)
{
    for (size_t i = 0; i < s->n; i++)
        if ((cls < 0 || s->classes[i] == cls) && memmem(s->texts[i], s->lens[i], needle, strlen(needle)) != NULL)
            return 1;
    return 0;
}

static void expect_duplicate(const char *json, const char *key_in_message)
{
    struct api_scan s;
    if (scan(&s, json, API_SCAN_CHAT) == 0)
        fail_msg("duplicate accepted: %s", json);
    assert_string_equal(s.err_code, "duplicate_key");
    if (strstr(s.err, key_in_message) == NULL)
        fail_msg("message '%s' does not name '%s'", s.err, key_in_message);
    api_scan_free(&s);
}

static void duplicate_keys_are_refused_at_every_level(void **state)
{
    expect_duplicate("{\"model\":\"a\",\"messages\":[],\"model\":\"x\"}", "\"model\"");
    expect_duplicate("{\"model\":\"a\",\"m\\u006fdel\":\"x\",\"messages\":[]}", "\"model\"");
    expect_duplicate("{\"stream\":false,\"model\":\"a\",\"stream\":true}", "top-level");
    expect_duplicate("{\"model\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"content\":\"b\"}]}",
                     "messages[0]");
    expect_duplicate("{\"model\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\","
                     "\"t\\u0065xt\":\"b\"}]}]}",
                     "messages[0].content[0]");
    /* a key with a surrogate pair, written raw and escaped */
    expect_duplicate("{\"x\":{\"\xf0\x9f\x98\x80\":1,\"\\ud83d\\ude00\":2}}", "x");
    expect_duplicate("{\"a\":{\"b\":{\"c\":{\"\\/\":1,\"/\":2}}}}", "a.b.c");
    /* a large object goes through the hash path */
    char big[8192];
    size_t o = (size_t)snprintf(big, sizeof(big), "{\"model\":\"m\",\"meta\":{");
    for (int i = 0; i < 200; i++)
        o += (size_t)snprintf(big + o, sizeof(big) - o, "\"k%d\":%d,", i, i);
    snprintf(big + o, sizeof(big) - o, "\"k\\u0031\\u0039\\u0037\":1}}");
    expect_duplicate(big, "k197");
    /* same keys in different objects are fine */
    struct api_scan s;
    assert_int_equal(scan(&s, "{\"model\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"user\","
                              "\"content\":\"y\"}]}",
                          API_SCAN_CHAT),
                     0);
    api_scan_free(&s);
    o = (size_t)snprintf(big, sizeof(big), "{\"model\":\"m\",\"meta\":{");
    for (int i = 0; i < 200; i++)
        o += (size_t)snprintf(big + o, sizeof(big) - o, "\"k%d\":{\"a\":1,\"b\":2},", i);
    snprintf(big + o, sizeof(big) - o, "\"last\":1}}");
    assert_int_equal(scan(&s, big, API_SCAN_CHAT), 0);
    api_scan_free(&s);
}

static void routing_fields_are_read_by_unescaped_key(void **state)
{
    struct api_scan s;
    const char *j = "{\"m\\u006fdel\":\"gpt\\u002d4\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"str\\u0065am\":true}";
    assert_int_equal(scan(&s, j, API_SCAN_CHAT), 0);
    assert_string_equal(s.model_name, "gpt-4");
    assert_true(s.stream_on);
    assert_int_equal(s.stream_type, 't');
    assert_int_equal(s.n_messages, 1);
    size_t n;
    char *up = api_scan_splice(&s, j, strlen(j), NULL, NULL, "target-model", &n);
    json_error_t je;
    json_t *t = json_loadb(up, n, JSON_REJECT_DUPLICATES, &je);
    assert_non_null(t);
    assert_string_equal(json_string_value(json_object_get(t, "model")), "target-model");
    json_decref(t);
    free(up);
    api_scan_free(&s);
}

static void every_contract_text_of_a_request_is_collected(void **state)
{
    static const char *const bodies[] = {
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"name\":\"" SECRET "\"}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":"
        "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"k\\\":\\\"" SECRET "\\\"}\"}}]}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"function_call\":{\"name\":\"f\",\"arguments\":\"" SECRET
        "\"}}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\",\"function\":"
        "{\"name\":\"f\",\"description\":\"" SECRET "\"}}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\",\"function\":"
        "{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"enum\":[\"" SECRET
        "\"]}}}}}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"functions\":[{\"name\":\"" SECRET "\"}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"refusal\",\"refusal\":\"" SECRET
        "\"}]}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" SECRET "\"}]}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"" SECRET "\"}]}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"refusal\":\"" SECRET "\"}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"reasoning_content\":\"" SECRET "\"}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\\u0073k-ABCDEFGHIJKLMNOPQRSTUVWX\"}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"input\":\"" SECRET "\"}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[\"" SECRET "\"]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"" SECRET "\",\"content\":\"x\"}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":{\"type\":\"json_schema\","
        "\"json_schema\":{\"name\":\"n\",\"schema\":{\"type\":\"object\",\"properties\":{\"" SECRET "\":{}}}}}}",
        "{\"model\":\"m\",\"messages\":[\"" SECRET "\"]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"" SECRET "\":1}]}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct api_scan s;
        if (scan(&s, bodies[i], API_SCAN_CHAT) != 0)
            fail_msg("#%zu refused: %s", i, s.err);
        if (!has_text(&s, SECRET, -1))
            fail_msg("#%zu: the secret is not among the %zu texts: %s", i, s.n, bodies[i]);
        api_scan_free(&s);
    }
}

static void classes_come_in_contract_order(void **state)
{
    const char *j = "{\"zzz\":\"unknown1\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"tool1\"}}],"
                    "\"model\":\"m\",\"user\":\"meta1\",\"messages\":[{\"role\":\"user\",\"content\":\"first\"},"
                    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"second\"},{\"type\":\"image_url\","
                    "\"image_url\":{\"url\":\"http://x/" SECRET "\"}}]}]}";
    struct api_scan s;
    assert_int_equal(scan(&s, j, API_SCAN_CHAT), 0);
    assert_int_equal(s.n_messages, 2);
    /* messages first (in order), then tools, then meta, then unknown */
    assert_true(s.n >= 5);
    assert_memory_equal(s.texts[0], "first", 5);
    assert_memory_equal(s.texts[1], "second", 6);
    assert_int_equal(s.owners[1], 1);
    assert_int_equal(s.classes[2], API_TEXT_TOOL);
    assert_int_equal(s.classes[s.n - 1], API_TEXT_UNKNOWN);
    assert_true(has_text(&s, "meta1", API_TEXT_META));
    assert_true(has_text(&s, "unknown1", API_TEXT_UNKNOWN));
    assert_true(has_text(&s, "zzz", API_TEXT_UNKNOWN)); /* an unknown member's key is a text */
    assert_string_equal(s.unknown_path, "zzz");
    /* the image is not text: flagged, not collected */
    assert_true(s.non_text);
    assert_string_equal(s.non_text_path, "messages[1].content[1].image_url");
    assert_false(has_text(&s, SECRET, -1));
    /* vocabulary words in non-text places are not texts */
    assert_false(has_text(&s, "user", -1));
    assert_false(has_text(&s, "function", -1));
    api_scan_free(&s);
}

static void embeddings_inputs_and_tokens(void **state)
{
    struct api_scan s;
    assert_int_equal(scan(&s, "{\"model\":\"e\",\"input\":[\"a\",\"" SECRET "\"]}", API_SCAN_EMBEDDINGS), 0);
    assert_true(has_text(&s, SECRET, API_TEXT_MESSAGE));
    assert_int_equal(s.n_messages, 2);
    assert_false(s.token_input);
    api_scan_free(&s);
    assert_int_equal(scan(&s, "{\"model\":\"e\",\"input\":[[1,2],[3]]}", API_SCAN_EMBEDDINGS), 0);
    assert_true(s.token_input);
    api_scan_free(&s);
    assert_int_equal(scan(&s, "{\"model\":\"e\",\"input\":[1,2,3]}", API_SCAN_EMBEDDINGS), 0);
    assert_true(s.token_input);
    api_scan_free(&s);
    /* messages beside input: read as an unknown field, so still checked */
    assert_int_equal(scan(&s, "{\"model\":\"e\",\"input\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"" SECRET "\"}]}",
                          API_SCAN_EMBEDDINGS),
                     0);
    assert_true(has_text(&s, SECRET, API_TEXT_UNKNOWN));
    api_scan_free(&s);
}

static void every_text_of_an_answer_is_collected(void **state)
{
    static const char *const answers[] = {
        "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":"
        "\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\\\"" SECRET "\\\"}\"}}]}}]}",
        "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"ok\",\"reasoning_content\":\"" SECRET "\"}}]}",
        "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"ok\",\"reasoning\":\"" SECRET "\"}}]}",
        "{\"choices\":[{\"index\":0,\"text\":\"" SECRET "\"}]}",
        "{\"choices\":[{\"message\":{\"content\":\"ok\"}},{\"message\":{\"content\":\"" SECRET "\"}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"ok\",\"refusal\":\"" SECRET "\"}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"ok\"},\"logprobs\":{\"content\":[{\"token\":\"" SECRET
        "\",\"logprob\":-1,\"top_logprobs\":[]}]}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"ok\",\"function_call\":{\"name\":\"f\",\"arguments\":\"" SECRET "\"}}}]}",
        "{\"choices\":[{\"message\":{\"content\":[{\"type\":\"output_text\",\"text\":\"" SECRET "\"}]}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"ok\"}}],\"extra\":{\"note\":\"" SECRET "\"}}",
    };
    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
        struct api_scan s;
        if (scan(&s, answers[i], API_SCAN_ANSWER) != 0)
            fail_msg("#%zu refused: %s", i, s.err);
        if (!has_text(&s, SECRET, -1))
            fail_msg("#%zu: the secret is not among the %zu texts: %s", i, s.n, answers[i]);
        api_scan_free(&s);
    }
    /* metadata is not text */
    struct api_scan s;
    assert_int_equal(scan(&s, "{\"id\":\"" SECRET "\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\","
                              "\"message\":{\"role\":\"assistant\",\"content\":\"hello\",\"tool_calls\":[{\"id\":\"call_1\","
                              "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}],\"usage\":{}}",
                          API_SCAN_ANSWER),
                     0);
    assert_false(has_text(&s, SECRET, -1));
    assert_false(has_text(&s, "call_1", -1));
    assert_int_equal(s.n_tool_calls, 1);
    json_t *tools = api_scan_tools_json(&s, "{\"id\":\"" SECRET "\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"finish_"
                                            "reason\":\"stop\",\"message\":{\"role\":\"assistant\",\"content\":\"hello\","
                                            "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":"
                                            "\"f\",\"arguments\":\"{}\"}}]}}],\"usage\":{}}");
    assert_int_equal(json_array_size(tools), 1);
    json_decref(tools);
    api_scan_free(&s);
}

static void rewrites_splice_back_into_valid_json(void **state)
{
    const char *j = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"my key \\u0073k-1 here\"},"
                    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"plain\"}]}],\"temperature\":0.5e1}";
    struct api_scan s;
    assert_int_equal(scan(&s, j, API_SCAN_CHAT), 0);
    assert_int_equal(s.n, 2);
    assert_memory_equal(s.texts[0], "my key sk-1 here", s.lens[0]);
    char *texts[2] = {"quote \" backslash \\ nl \n nul", NULL};
    size_t lens[2] = {strlen(texts[0]) + 1, 0}; /* the NUL too */
    texts[0] = strdup("quote \" backslash \\ nl \n nul");
    assert_int_equal(api_scan_changed(&s, texts, lens, 2), 1);
    size_t n;
    char *out = api_scan_splice(&s, j, strlen(j), texts, lens, "up-model", &n);
    struct api_scan t;
    assert_int_equal(api_scan(&t, out, n, API_SCAN_CHAT, 1), 0);
    assert_int_equal(t.lens[0], lens[0]);
    assert_memory_equal(t.texts[0], texts[0], lens[0]);
    assert_memory_equal(t.texts[1], "plain", 5);
    json_error_t je;
    json_t *doc = json_loadb(out, n, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "model")), "up-model");
    assert_non_null(strstr(out, "0.5e1")); /* untouched bytes stay as they were */
    json_decref(doc);
    api_scan_free(&t);
    free(out);
    free(texts[0]);
    api_scan_free(&s);
}

static void answer_rewrites_keep_metadata_and_structure(void **state)
{
    const char *a = "{\"id\":\"chatcmpl-1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                    "\"content\":\"key " SECRET "\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":{"
                    "\"name\":\"f\",\"arguments\":\"{\\\"k\\\":\\\"" SECRET "\\\"}\"}}]}}],\"usage\":{\"total_tokens\":3}}";
    struct api_scan s;
    assert_int_equal(scan(&s, a, API_SCAN_ANSWER), 0);
    assert_string_equal(s.unknown_path, "");
    char **texts = calloc(s.n, sizeof(*texts));
    size_t *lens = calloc(s.n, sizeof(*lens));
    for (size_t i = 0; i < s.n; i++)
        if (memmem(s.texts[i], s.lens[i], SECRET, strlen(SECRET)) != NULL) {
            /* what a redaction of arguments must produce: still a JSON text */
            texts[i] = s.texts[i][0] == '{' ? "{\"k\":\"[REDACTED]\"}" : "key [REDACTED]";
            lens[i] = strlen(texts[i]);
        }
    size_t n;
    char *out = api_scan_splice(&s, a, strlen(a), texts, lens, NULL, &n);
    assert_null(strstr(out, SECRET));
    json_error_t je;
    json_t *doc = json_loadb(out, n, JSON_REJECT_DUPLICATES, &je);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), "chatcmpl-1");
    json_t *msg = json_object_get(json_array_get(json_object_get(doc, "choices"), 0), "message");
    assert_string_equal(json_string_value(json_object_get(msg, "content")), "key [REDACTED]");
    json_t *args = json_object_get(json_object_get(json_array_get(json_object_get(msg, "tool_calls"), 0), "function"), "arguments");
    assert_string_equal(json_string_value(args), "{\"k\":\"[REDACTED]\"}");
    json_decref(doc);
    free(out);
    free(texts);
    free(lens);
    api_scan_free(&s);
    /* an answer field outside the contract is reported, for unknown_fields: refuse */
    assert_int_equal(scan(&s, "{\"choices\":[{\"message\":{\"content\":\"x\",\"annotations\":[{\"url\":\"u\"}]}}]}",
                          API_SCAN_ANSWER),
                     0);
    assert_string_equal(s.unknown_path, "choices[0].message.annotations");
    api_scan_free(&s);
    /* duplicate keys in an answer make it unreadable */
    assert_int_not_equal(scan(&s, "{\"choices\":[{\"message\":{\"content\":\"x\",\"content\":\"y\"}}]}", API_SCAN_ANSWER), 0);
    assert_string_equal(s.err_code, "duplicate_key");
    api_scan_free(&s);
}

static void hostile_input_is_refused_cleanly(void **state)
{
    static const char *const bad[] = {
        "", "{", "[1]", "\"x\"", "{\"model\":\"a\"} x", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}",
        "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\x01\"}", "{\"a\":01}", "{\"a\" 1}", "{\"a\":1,}", "{\"a\":[1,]}", "{\"a\":tru}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct api_scan s;
        if (api_scan(&s, bad[i], strlen(bad[i]), API_SCAN_CHAT, 1) == 0)
            fail_msg("#%zu accepted: %s", i, bad[i]);
        assert_non_null(s.err_code);
        api_scan_free(&s);
    }
    /* nesting: 256 deep is fine, 300 is not, and nothing crashes */
    char deep[1024];
    size_t o = 0;
    deep[o++] = '{';
    memcpy(deep + o, "\"a\":", 4);
    o += 4;
    for (int i = 0; i < 300; i++)
        deep[o++] = '[';
    for (int i = 0; i < 300; i++)
        deep[o++] = ']';
    deep[o++] = '}';
    struct api_scan s;
    assert_int_not_equal(api_scan(&s, deep, o, API_SCAN_CHAT, 1), 0);
    assert_non_null(strstr(s.err, "nesting"));
    api_scan_free(&s);
    /* a NUL inside the model name is no model name */
    assert_int_equal(scan(&s, "{\"model\":\"a\\u0000b\",\"messages\":[]}", API_SCAN_CHAT), 0);
    assert_null(s.model_name);
    api_scan_free(&s);
}

static void malformed_messages_are_reported(void **state)
{
    struct api_scan s;
    assert_int_equal(scan(&s, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"content\":\"y\"}]}",
                          API_SCAN_CHAT),
                     0);
    assert_int_equal(s.bad_message, 1);
    assert_string_equal(s.bad_message_what, "role");
    api_scan_free(&s);
    assert_int_equal(scan(&s, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":5}]}", API_SCAN_CHAT), 0);
    assert_int_equal(s.bad_message, 0);
    assert_string_equal(s.bad_message_what, "content");
    api_scan_free(&s);
    /* without collecting, routing and validation are the same */
    const char *j = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":false}";
    assert_int_equal(api_scan(&s, j, strlen(j), API_SCAN_CHAT, 0), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(s.n_messages, 1);
    assert_string_equal(s.model_name, "m");
    assert_int_equal(s.stream_type, 'f');
    api_scan_free(&s);
}


/* What a redacting guard returns: each text with every SECRET replaced (NULL: unchanged). */
static char **redact_secret(const struct api_scan *s, size_t **lens_out)
{
    char **t = calloc(s->n, sizeof(*t));
    size_t *l = calloc(s->n, sizeof(*l));
    for (size_t i = 0; i < s->n; i++) {
        const char *at = memmem(s->texts[i], s->lens[i], SECRET, strlen(SECRET));
        if (at == NULL)
            continue;
        size_t pre = (size_t)(at - s->texts[i]), post = s->lens[i] - pre - strlen(SECRET);
        t[i] = malloc(pre + 10 + post + 1);
        memcpy(t[i], s->texts[i], pre);
        memcpy(t[i] + pre, "[REDACTED]", 10);
        memcpy(t[i] + pre + 10, at + strlen(SECRET), post);
        l[i] = pre + 10 + post;
    }
    *lens_out = l;
    return t;
}

static void free_texts(char **t, size_t *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(t[i]);
    free(t);
    free(l);
}

/* The request's splice with every SECRET redacted, as a tree (NULL if the splice refused). */
static json_t *splice_redacted(const char *json, enum api_scan_shape shape, int *unspliceable)
{
    struct api_scan s;
    assert_int_equal(scan(&s, json, shape), 0);
    size_t *l;
    char **t = redact_secret(&s, &l);
    char why[200] = "";
    *unspliceable = api_scan_unspliceable(&s, t, l, s.n, why, sizeof(why));
    size_t len;
    char *out = api_scan_splice(&s, json, strlen(json), t, l, NULL, &len);
    assert_int_equal(out == NULL, *unspliceable);
    if (*unspliceable)
        assert_non_null(strstr(why, "cannot be redacted"));
    json_error_t je;
    json_t *tree = out ? json_loads(out, 0, &je) : NULL;
    if (out != NULL)
        assert_non_null(tree);
    free(out);
    free_texts(t, l, s.n);
    api_scan_free(&s);
    return tree;
}

static const char *part_text(json_t *req, size_t part)
{
    json_t *c = json_object_get(json_array_get(json_object_get(req, "messages"), 0), "content");
    return json_string_value(json_object_get(json_array_get(c, part), "text"));
}

static void expect_no_views(const char *json)
{
    struct api_scan s;
    assert_int_equal(scan(&s, json, API_SCAN_CHAT), 0);
    assert_int_equal(s.n_synth, 0);
    assert_int_equal(s.n_by_class[API_TEXT_VIEW], 0);
    api_scan_free(&s);
}

static void text_parts_are_also_read_joined(void **state)
{
    struct api_scan s;
    const char *req = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"sk-ABCDEFGHIJ\"},"
                      "{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x\"}},{\"type\":\"text\",\"text\":\"KLMNOPQRSTUVWX\"}]}]}";
    assert_int_equal(scan(&s, req, API_SCAN_CHAT), 0);
    assert_true(has_text(&s, SECRET, API_TEXT_VIEW));
    assert_int_equal(s.n_synth, 1);
    const struct api_synth *y = &s.synth[0];
    assert_int_equal(y->kind, API_SYNTH_JOINED);
    assert_int_equal(y->n_src, 2);
    assert_int_equal(s.lits[y->text].s, 0);
    assert_int_equal(s.lits[y->text].e, 0);
    assert_true(y->src[0] < y->src[1] && y->src[1] < y->text);
    assert_int_equal(s.owners[y->text], 0);
    api_scan_free(&s);
    /* one text part, a string content: nothing to join */
    expect_no_views("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}]},"
                    "{\"role\":\"user\",\"content\":\"b\"}]}");
    /* an answer's content parts too */
    assert_int_equal(scan(&s, "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":"
                              "\"sk-ABCDEFGHIJKLM\"},{\"type\":\"output_text\",\"text\":\"NOPQRSTUVWX\"}]}}]}",
                          API_SCAN_ANSWER),
                     0);
    assert_true(has_text(&s, SECRET, API_TEXT_VIEW));
    assert_false(has_text(&s, SECRET, API_TEXT_MESSAGE));
    assert_int_equal(s.classes[s.n - 1], API_TEXT_VIEW);
    api_scan_free(&s);
}

static void a_joined_rewrite_is_mapped_back_onto_the_parts(void **state)
{
    int refused;
    /* the match spans the parts: the replacement goes to the first, the rest of the match leaves the second */
    json_t *r = splice_redacted("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi "
                                "sk-ABCDEFGHIJ\"},{\"type\":\"text\",\"text\":\"KLMNOPQRSTUVWX bye\"}]}]}",
                                API_SCAN_CHAT, &refused);
    assert_false(refused);
    assert_string_equal(part_text(r, 0), "hi [REDACTED]");
    assert_string_equal(part_text(r, 1), " bye");
    json_decref(r);
    /* over three parts, the middle one covered whole */
    r = splice_redacted("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"sk-ABC\"},"
                        "{\"type\":\"text\",\"text\":\"DEFGHIJKLMNOPQRSTUV\"},{\"type\":\"text\",\"text\":\"WX.\"}]}]}",
                        API_SCAN_CHAT, &refused);
    assert_false(refused);
    assert_string_equal(part_text(r, 0), "[REDACTED]");
    assert_string_equal(part_text(r, 1), "");
    assert_string_equal(part_text(r, 2), ".");
    json_decref(r);
    /* a match inside one part: the part's own rewrite stands, the other part is untouched */
    r = splice_redacted("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"" SECRET
                        "\"},{\"type\":\"text\",\"text\":\"x\"}]}]}",
                        API_SCAN_CHAT, &refused);
    assert_false(refused);
    assert_string_equal(part_text(r, 0), "[REDACTED]");
    assert_string_equal(part_text(r, 1), "x");
    json_decref(r);
    /* the result scans again with no secret in any text, joined or not */
    struct api_scan s;
    const char *req = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"sk-ABCDEFGHIJ\"},"
                      "{\"type\":\"text\",\"text\":\"KLMNOPQRSTUVWX\"}]}]}";
    assert_int_equal(scan(&s, req, API_SCAN_CHAT), 0);
    size_t *l;
    char **t = redact_secret(&s, &l);
    size_t len;
    char *out = api_scan_splice(&s, req, strlen(req), t, l, NULL, &len);
    free_texts(t, l, s.n);
    api_scan_free(&s);
    assert_int_equal(scan(&s, out, API_SCAN_CHAT), 0);
    assert_false(has_text(&s, "sk-", -1));
    assert_true(has_text(&s, "[REDACTED]", API_TEXT_MESSAGE));
    api_scan_free(&s);
    free(out);
}

static void escapes_inside_arguments_are_read_decoded(void **state)
{
    struct api_scan s;
    const char *req = "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c\","
                      "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"k\\\":\\\"s\\\\u006b-"
                      "ABCDEFGHIJKLMNOPQRSTUVWX\\\"}\"}}]}]}";
    assert_int_equal(scan(&s, req, API_SCAN_CHAT), 0);
    assert_true(has_text(&s, "\"k\":\"" SECRET "\"", API_TEXT_VIEW));
    assert_int_equal(s.n_synth, 1);
    assert_int_equal(s.synth[0].kind, API_SYNTH_DECODED);
    assert_int_equal(s.synth[0].n_src, 1);
    /* the arguments (and nothing else) are a JSON text: a typed redaction names the values they decode to */
    for (size_t i = 0; i < s.n; i++)
        assert_int_equal(s.json_texts[i], i == s.synth[0].src[0]);
    api_scan_free(&s);
    /* a redaction of the decoded view alone cannot be put back: refused */
    int refused;
    json_t *r = splice_redacted(req, API_SCAN_CHAT, &refused);
    assert_true(refused);
    assert_null(r);
    /* an escape that hides nothing (a newline) next to a plain secret: the literal's own rewrite is enough */
    r = splice_redacted("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
                        "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"k\\\":\\\"a\\\\nb " SECRET "\\\"}\"}}]}]}",
                        API_SCAN_CHAT, &refused);
    assert_false(refused);
    const char *args = json_string_value(json_object_get(
        json_object_get(json_array_get(json_object_get(json_array_get(json_object_get(r, "messages"), 0), "tool_calls"), 0),
                        "function"),
        "arguments"));
    assert_string_equal(args, "{\"k\":\"a\\nb [REDACTED]\"}");
    json_decref(r);
    /* answers: tool-call arguments and any text with an escape a client may parse */
    assert_int_equal(scan(&s, "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"a\\\":\\\"\\\\u0073k-"
                              "ABCDEFGHIJKLMNOPQRSTUVWX\\\"}\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":"
                              "{\"name\":\"f\",\"arguments\":\"\\\\u0073k-ABCDEFGHIJKLMNOPQRSTUVWX\"}}]}}]}",
                          API_SCAN_ANSWER),
                     0);
    assert_int_equal(s.n_synth, 2);
    assert_true(has_text(&s, "\"a\":\"" SECRET, API_TEXT_VIEW));
    api_scan_free(&s);
    /* no escape, no view */
    expect_no_views("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":"
                    "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}]}");
}

static void unescape_once_decodes_what_a_json_reader_decodes(void **state)
{
    char out[64];
    const char *in = "a\\u0073\\n\\\"\\\\\\/\\ud83d\\ude00\\u00e9";
    size_t n = util_json_unescape_once(in, strlen(in), out);
    assert_int_equal(n, 1 + 1 + 1 + 1 + 1 + 1 + 4 + 2);
    assert_memory_equal(out, "as\n\"\\/\xf0\x9f\x98\x80\xc3\xa9", n);
    /* malformed escapes stay; a lone surrogate becomes U+FFFD; a trailing backslash stays */
    in = "\\uZZZZ\\q\\ud800x\\";
    n = util_json_unescape_once(in, strlen(in), out);
    assert_memory_equal(out, "\\uZZZZ\\q\xef\xbf\xbdx\\", n);
    assert_int_equal(n, 6 + 2 + 3 + 1 + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(duplicate_keys_are_refused_at_every_level),
        cmocka_unit_test(routing_fields_are_read_by_unescaped_key),
        cmocka_unit_test(every_contract_text_of_a_request_is_collected),
        cmocka_unit_test(classes_come_in_contract_order),
        cmocka_unit_test(embeddings_inputs_and_tokens),
        cmocka_unit_test(every_text_of_an_answer_is_collected),
        cmocka_unit_test(rewrites_splice_back_into_valid_json),
        cmocka_unit_test(answer_rewrites_keep_metadata_and_structure),
        cmocka_unit_test(hostile_input_is_refused_cleanly),
        cmocka_unit_test(malformed_messages_are_reported),
        cmocka_unit_test(text_parts_are_also_read_joined),
        cmocka_unit_test(a_joined_rewrite_is_mapped_back_onto_the_parts),
        cmocka_unit_test(escapes_inside_arguments_are_read_decoded),
        cmocka_unit_test(unescape_once_decodes_what_a_json_reader_decodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
