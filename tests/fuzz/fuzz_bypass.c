/* Bypass fuzz target: no secret reaches the upstream unless a guard saw it.
 *
 * The input is a request body (the seeds in corpus_bypass/ hold the secret
 * "sk-" + 24 letters in every place the contract names, and in places it does not,
 * some with JSON escapes of its letters). For the chat and the embeddings shape:
 *
 *   1. the scanner (api_scan, as the request path calls it with input guards) decides;
 *      what the request path then refuses is refused here too: model not a string,
 *      stream not a boolean, non-text parts (as with non_text: refuse), token inputs;
 *   2. the upstream body is built as the request path builds it (api_scan_splice with
 *      the target's model) and must be valid JSON without duplicate keys (jansson, an
 *      independent parser, with JSON_REJECT_DUPLICATES);
 *   3. every string value and every key of that body is decoded by jansson: if one
 *      holds the secret, some text handed to the guards must hold it too; the same for
 *      what readers make of it: a message's text parts joined (the provider joins them)
 *      and tool-call arguments parsed as JSON (the client or the tool parses them).
 *
 * Answers (the same input read as a chat completion): when the scanner accepts it, jansson does
 * too, and after every text is redacted (spliced) the secret survives only in the metadata the
 * contract leaves out (id, model, usage, finish_reason, roles, tool call ids...).
 *
 * Any violated property aborts. Build and run: tests/fuzz/run.sh bypass
 * (FUZZ_SECONDS=120 tests/fuzz/run.sh bypass for a long run). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/texts.h"

#define SECRET "sk-ABCDEFGHIJKLMNOPQRSTUVWX"
#define SECRET_LEN (sizeof(SECRET) - 1)

#define CHECK(cond)                                                                                                        \
    do {                                                                                                                   \
        if (!(cond)) {                                                                                                     \
            fprintf(stderr, "fuzz_bypass: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                          \
            abort();                                                                                                       \
        }                                                                                                                  \
    } while (0)

static int holds_secret(const char *s, size_t n)
{
    return n >= SECRET_LEN && memmem(s, n, SECRET, SECRET_LEN) != NULL;
}

/* jansson refuses numbers it cannot hold (RFC 8259 allows them): not a disagreement on JSON */
static int jansson_number_limit(const json_error_t *je)
{
    return strstr(je->text, "too big") != NULL || strstr(je->text, "overflow") != NULL;
}

/* json_loadb, past one more jansson limit: a key holding U+0000 (valid JSON, but jansson keys
 * are C strings). Such a text is parsed again with every \u0000 spelled \uDBFF\uDFFF (U+10FFFF):
 * still valid JSON, with the same strings but for that character, which the secret does not
 * hold, and one no other key of a fuzzed input is likely to hold in the same place. */
static json_t *json_load_lenient(const char *text, size_t len, size_t flags, json_error_t *je)
{
    json_t *doc = json_loadb(text, len, flags, je);
    if (doc != NULL || strstr(je->text, "NUL byte in object key") == NULL)
        return doc;
    char *copy = malloc(2 * len + 1), *o = copy;
    CHECK(copy != NULL);
    for (size_t i = 0; i < len;) {
        if (i + 6 <= len && memcmp(text + i, "\\u0000", 6) == 0) {
            memcpy(o, "\\uDBFF\\uDFFF", 12);
            o += 12;
            i += 6;
        } else if (text[i] == '\\' && i + 1 < len) { /* an escape: in \\u0000 the backslash is escaped, u0000 is text */
            *o++ = text[i++];
            *o++ = text[i++];
        } else {
            *o++ = text[i++];
        }
    }
    doc = json_loadb(copy, (size_t)(o - copy), flags, je);
    free(copy);
    return doc;
}

static int guards_saw_secret(const struct api_scan *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (holds_secret(s->texts[i], s->lens[i]))
            return 1;
    return 0;
}

/* 1 if some string value or key of v holds the secret. */
static int upstream_holds_secret(json_t *v, int depth)
{
    CHECK(depth < 300);
    if (json_is_string(v))
        return holds_secret(json_string_value(v), json_string_length(v));
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) if (upstream_holds_secret(x, depth + 1)) return 1;
        return 0;
    }
    if (json_is_object(v)) {
        const char *k;
        size_t kl;
        json_t *x;
        json_object_keylen_foreach(v, k, kl, x)
        {
            if (holds_secret(k, kl) || upstream_holds_secret(x, depth + 1))
                return 1;
        }
    }
    return 0;
}

/* 1 if what a reader makes of message m holds the secret: its text parts joined, or its
 * tool-call / function-call arguments parsed as JSON. */
static int reader_views_hold_secret(json_t *m)
{
    if (!json_is_object(m))
        return 0;
    json_t *content = json_object_get(m, "content");
    if (json_is_array(content)) {
        char joined[8192];
        size_t n = 0, i;
        int plain = 1;
        json_t *part;
        json_array_foreach(content, i, part)
        {
            const char *keys[] = {"text", "refusal"};
            for (int k = 0; k < 2 && plain; k++) {
                json_t *t = json_is_string(part) ? (k == 0 ? part : NULL) : json_object_get(part, keys[k]);
                if (t == NULL)
                    continue;
                if (!json_is_string(t) || json_string_length(t) > sizeof(joined) - n) {
                    plain = 0; /* not a text a provider joins, or too long for this check */
                    break;
                }
                memcpy(joined + n, json_string_value(t), json_string_length(t));
                n += json_string_length(t);
            }
        }
        if (plain && holds_secret(joined, n))
            return 1;
    }
    json_t *calls = json_object_get(m, "tool_calls"), *call;
    size_t j;
    json_t *fns[64];
    size_t n_fns = 0;
    json_array_foreach(calls, j, call) if (n_fns < 63) fns[n_fns++] = json_object_get(call, "function");
    fns[n_fns++] = json_object_get(m, "function_call");
    for (size_t k = 0; k < n_fns; k++) {
        json_t *args = json_object_get(fns[k], "arguments");
        if (!json_is_string(args))
            continue;
        json_error_t je;
        json_t *parsed = json_load_lenient(json_string_value(args), json_string_length(args), JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        int held = parsed != NULL && upstream_holds_secret(parsed, 0);
        json_decref(parsed);
        if (held)
            return 1;
    }
    return 0;
}

static int readers_see_secret(json_t *doc)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(doc, "messages"), i, x) if (reader_views_hold_secret(x)) return 1;
    json_array_foreach(json_object_get(doc, "choices"), i, x) if (reader_views_hold_secret(json_object_get(x, "message"))) return 1;
    return 0;
}

static void one_shape(const char *body, size_t len, enum api_scan_shape shape)
{
    struct api_scan s;
    if (api_scan(&s, body, len, shape, 1) != 0) {
        CHECK(s.err_code != NULL);
        api_scan_free(&s);
        return;
    }
    /* what the request path refuses before anything goes upstream (lifecycle.c parse_request,
     * check_input_coverage) */
    int refused = s.model_name == NULL || (s.stream_type && s.stream_type != 't' && s.stream_type != 'f' && s.stream_type != 'n') ||
                  s.non_text || s.token_input;
    if (refused) {
        api_scan_free(&s);
        return;
    }
    size_t up_len;
    char *up = api_scan_splice(&s, body, len, NULL, NULL, "target-model", &up_len);
    json_error_t je;
    json_t *doc = json_load_lenient(up, up_len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL && jansson_number_limit(&je)) {
        free(up);
        api_scan_free(&s);
        return;
    }
    if (doc == NULL)
        fprintf(stderr, "fuzz_bypass: upstream body does not parse: %s\n", je.text);
    CHECK(doc != NULL);
    CHECK(json_is_object(doc));
    CHECK(strcmp(json_string_value(json_object_get(doc, "model")), "target-model") == 0);
    if ((upstream_holds_secret(doc, 0) || (shape == API_SCAN_CHAT && readers_see_secret(doc))) && !guards_saw_secret(&s)) {
        fprintf(stderr, "fuzz_bypass: the secret reaches the upstream unchecked (%s):\n%.*s\n",
                shape == API_SCAN_CHAT ? "chat" : "embeddings", (int)up_len, up);
        abort();
    }
    /* a rewrite of every text keeps the body valid and routes the same */
    if (s.n > 0) {
        char **texts = calloc(s.n, sizeof(*texts));
        size_t *lens = calloc(s.n, sizeof(*lens));
        for (size_t i = 0; i < s.n; i++) {
            texts[i] = "[REDACTED]\n\"";
            lens[i] = 12;
        }
        size_t rw_len;
        char *rw = api_scan_splice(&s, body, len, texts, lens, NULL, &rw_len);
        CHECK(rw != NULL); /* every view rewritten alike: nothing that cannot be put back */
        struct api_scan t;
        int rc = api_scan(&t, rw, rw_len, shape, 1);
        CHECK(rc == 0 || strcmp(t.err_code, "duplicate_key") == 0); /* two redacted unknown keys may collide */
        if (rc == 0) {
            CHECK(t.model_name != NULL && strcmp(t.model_name, s.model_name) == 0);
            CHECK(!guards_saw_secret(&t));
        }
        api_scan_free(&t);
        free(rw);
        free(texts);
        free(lens);
    }
    json_decref(doc);
    free(up);
    api_scan_free(&s);
}

static void drop_members(json_t *obj, const char *const *names)
{
    for (size_t i = 0; json_is_object(obj) && names[i] != NULL; i++)
        json_object_del(obj, names[i]);
}

/* Removes what the contract calls answer metadata (texts.h, X_ANSWER_ROOT / X_CHOICE / X_MESSAGE). */
static void drop_answer_metadata(json_t *answer)
{
    static const char *const root[] = {"id", "object", "created", "model", "system_fingerprint", "service_tier", "usage",
                                       "prompt_filter_results", "content_filter_results", NULL};
    static const char *const choice[] = {"index", "finish_reason", "stop_reason", "content_filter_results", NULL};
    static const char *const message[] = {"role", NULL};
    static const char *const call[] = {"id", "type", "index", NULL};
    drop_members(answer, root);
    size_t i, j;
    json_t *c, *t;
    json_array_foreach(json_object_get(answer, "choices"), i, c)
    {
        drop_members(c, choice);
        const char *keys[] = {"message", "delta"};
        for (int k = 0; k < 2; k++) {
            json_t *m = json_object_get(c, keys[k]);
            drop_members(m, message);
            json_array_foreach(json_object_get(m, "tool_calls"), j, t) drop_members(t, call);
        }
    }
}

static void answer(const char *body, size_t len)
{
    struct api_scan s;
    if (api_scan(&s, body, len, API_SCAN_ANSWER, 1) != 0) {
        api_scan_free(&s);
        return;
    }
    json_error_t je;
    json_t *doc = json_load_lenient(body, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL && jansson_number_limit(&je)) {
        api_scan_free(&s);
        return;
    }
    CHECK(doc != NULL); /* what the scanner accepts, an independent parser accepts */
    json_decref(doc);
    char **texts = calloc(s.n + 1, sizeof(*texts));
    size_t *lens = calloc(s.n + 1, sizeof(*lens));
    for (size_t i = 0; i < s.n; i++) {
        texts[i] = "[REDACTED]";
        lens[i] = 10;
    }
    size_t rw_len;
    char *rw = api_scan_splice(&s, body, len, texts, lens, NULL, &rw_len);
    CHECK(rw != NULL);
    json_t *red = json_load_lenient(rw, rw_len, JSON_ALLOW_NUL, &je);
    CHECK(red != NULL);
    if (!s.non_text) {
        drop_answer_metadata(red);
        if (upstream_holds_secret(red, 0) || readers_see_secret(red)) {
            fprintf(stderr, "fuzz_bypass: the secret survives redaction of every answer text:\n%.*s\n", (int)rw_len, rw);
            abort();
        }
    }
    json_decref(red);
    free(rw);
    free(texts);
    free(lens);
    api_scan_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_shape((const char *)data, size, API_SCAN_CHAT);
    one_shape((const char *)data, size, API_SCAN_EMBEDDINGS);
    answer((const char *)data, size);
    return 0;
}
