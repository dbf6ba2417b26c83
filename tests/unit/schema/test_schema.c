/* Unit tests for the schema module: compile errors name the problem, validation errors carry
 * instance and schema paths, $ref resolution corner cases, recursion guards, and the cache. The
 * behaviour of each keyword is covered by the official suite (test_schema_suite.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema.h"
#include "util/clock.h"
#include "util/err.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    if (!j)
        fail_msg("bad test JSON: %s: %s", e.text, text);
    return j;
}

static struct schema *compile_text(const char *text, int flags, char *err, size_t errsz)
{
    json_t *doc = parse(text);
    struct schema *s = schema_compile(doc, flags, err, errsz);
    json_decref(doc);
    return s;
}

/* Compiling must fail and the message must contain want. */
static void expect_compile_error(const char *text, const char *want)
{
    char err[512];
    struct schema *s = compile_text(text, 0, err, sizeof(err));
    if (s) {
        schema_free(s);
        fail_msg("schema compiled but should not: %s", text);
    }
    if (!strstr(err, want))
        fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

/* Validates and returns the formatted errors (caller frees); *rc gets the result. */
static char *validate_text(const char *schema, const char *instance, int flags, size_t max, int *rc)
{
    char err[512];
    struct schema *s = compile_text(schema, flags, err, sizeof(err));
    if (!s)
        fail_msg("compile failed: %s", err);
    json_t *inst = parse(instance);
    struct schema_errors errs = {.max = max};
    *rc = schema_validate(s, inst, &errs);
    int quick = schema_validate(s, inst, NULL);
    assert_int_equal(quick, *rc);
    char *msg = schema_errors_format(&errs);
    schema_errors_free(&errs);
    json_decref(inst);
    schema_free(s);
    return msg;
}

static int is_valid(const char *schema, const char *instance, int flags)
{
    int rc;
    free(validate_text(schema, instance, flags, 0, &rc));
    return rc == 0;
}

static void compile_errors_name_the_problem(void **state)
{
    expect_compile_error("{\"properties\": {\"a\": {\"$ref\": \"#/$defs/x\"}}}", "unknown $ref \"#/$defs/x\" at #/properties/a");
    expect_compile_error("{\"properties\": {\"a\": {\"pattern\": \"(\"}}}", "invalid regex \"(\" at #/properties/a/pattern: ");
    expect_compile_error("{\"patternProperties\": {\"[\": {}}}", "invalid regex \"[\" at #/patternProperties/[");
    expect_compile_error("{\"properties\": {\"a\": {\"minLength\": -1}}}",
                         "minLength must be a non-negative integer at #/properties/a");
    expect_compile_error("{\"maxItems\": 1.5}", "maxItems must be a non-negative integer at #");
    expect_compile_error("{\"type\": \"strnig\"}", "unknown type \"strnig\" at #");
    expect_compile_error("{\"type\": [\"string\", 3]}", "type must be a type name or an array of type names at #");
    expect_compile_error("{\"properties\": {\"a\": 5}}", "schema must be an object or a boolean at #/properties/a");
    expect_compile_error("{\"required\": \"a\"}", "required must be an array of strings at #");
    expect_compile_error("{\"enum\": 3}", "enum must be an array at #");
    expect_compile_error("{\"multipleOf\": 0}", "multipleOf must be greater than 0 at #");
    expect_compile_error("{\"minimum\": \"1\"}", "minimum must be a number at #");
    expect_compile_error("{\"exclusiveMinimum\": true}", "exclusiveMinimum must be a number at #");
    expect_compile_error("{\"allOf\": []}", "allOf must be a non-empty array of schemas at #");
    expect_compile_error("{\"items\": {\"$ref\": \"http://localhost:1234/integer.json\"}}",
                         "unknown $ref \"http://localhost:1234/integer.json\" at #/items");
    expect_compile_error("{\"$ref\": \"#/$defs/a/0\", \"$defs\": {\"a\": {}}}", "unknown $ref");
    expect_compile_error("{\"$ref\": \"#nope\"}", "unknown $ref \"#nope\"");
    expect_compile_error("3", "schema must be an object or a boolean at #");
    expect_compile_error("{\"$defs\": {\"bad\": {\"maxLength\": \"x\"}}}",
                         "maxLength must be a non-negative integer at #/$defs/bad");
    char err[64];
    assert_null(schema_compile(NULL, 0, err, sizeof(err)));
    /* a tiny error buffer truncates without overflowing */
    char tiny[8];
    json_t *doc = parse("{\"$ref\": \"#/$defs/missing\"}");
    assert_null(schema_compile(doc, 0, tiny, sizeof(tiny)));
    assert_int_equal(strlen(tiny), 7);
    json_decref(doc);
}

static void validation_errors_have_paths(void **state)
{
    int rc;
    char *msg = validate_text(
        "{\"type\": \"object\", \"properties\": {\"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}}}",
        "{\"tags\": [\"a\", \"b\", 3]}", 0, 0, &rc);
    assert_int_equal(rc, WARDEN_ESCHEMA);
    assert_string_equal(msg, "/tags/2: expected string, got integer (at #/properties/tags/items/type)");
    free(msg);

    msg = validate_text("{\"type\": \"object\"}", "[]", 0, 0, &rc);
    assert_string_equal(msg, "(root): expected object, got array (at #/type)");
    free(msg);

    msg = validate_text("{\"required\": [\"a\", \"b\"], \"additionalProperties\": false, \"properties\": {\"a\": {}}}",
                        "{\"c\": 1}", 0, 0, &rc);
    assert_string_equal(msg, "(root): missing required property \"a\" (at #/required); "
                             "(root): missing required property \"b\" (at #/required); "
                             "/c: property \"c\" is not allowed (at #/additionalProperties)");
    free(msg);

    /* keys are escaped as JSON pointer tokens */
    msg = validate_text("{\"additionalProperties\": {\"type\": \"integer\"}}", "{\"a/b~c\": \"x\"}", 0, 0, &rc);
    assert_string_equal(msg, "/a~1b~0c: expected integer, got string (at #/additionalProperties/type)");
    free(msg);

    /* errors behind a $ref point at the referenced location */
    msg = validate_text("{\"$defs\": {\"n\": {\"type\": \"number\", \"maximum\": 10}}, \"items\": {\"$ref\": \"#/$defs/n\"}}",
                        "[1, 11, 2.5, \"x\"]", 0, 0, &rc);
    assert_string_equal(msg, "/1: must be <= 10 (at #/$defs/n/maximum); /3: expected number, got string (at #/$defs/n/type)");
    free(msg);

    /* the error list is capped */
    msg = validate_text("{\"items\": {\"type\": \"string\"}}", "[1, 2, 3, 4, 5]", 0, 2, &rc);
    assert_string_equal(msg,
                        "/0: expected string, got integer (at #/items/type); /1: expected string, got integer (at #/items/type)");
    free(msg);

    msg = validate_text("{\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}]}", "1", 0, 0, &rc);
    assert_string_equal(msg, "(root): does not match any of the 2 schemas in anyOf (at #/anyOf)");
    free(msg);

    msg = validate_text("{\"type\": [\"string\", \"null\"]}", "true", 0, 0, &rc);
    assert_string_equal(msg, "(root): expected one of null, string, got boolean (at #/type)");
    free(msg);

    msg = validate_text("{\"properties\": {\"a\": false}}", "{\"a\": 1}", 0, 0, &rc);
    assert_string_equal(msg, "/a: no value is allowed here (false schema) (at #/properties/a)");
    free(msg);

    msg = validate_text("{\"type\": \"string\"}", "\"ok\"", 0, 0, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(msg, "");
    free(msg);
}

static void numbers_strings_and_equality(void **state)
{
    assert_true(is_valid("{\"uniqueItems\": true}", "[1, \"1\", [1], {\"a\": 1}]", 0));
    assert_false(is_valid("{\"uniqueItems\": true}", "[1, 1.0]", 0));
    assert_false(is_valid("{\"uniqueItems\": true}", "[{\"a\": [1], \"b\": 2}, {\"b\": 2, \"a\": [1.0]}]", 0));
    assert_true(is_valid("{\"enum\": [1.0]}", "1", 0));
    assert_true(is_valid("{\"const\": {\"a\": 2}}", "{\"a\": 2.0}", 0));
    assert_true(is_valid("{\"multipleOf\": 0.1}", "0.3", 0));
    assert_true(is_valid("{\"multipleOf\": 0.01}", "19.99", 0));
    assert_true(is_valid("{\"multipleOf\": 0.0001}", "0.0075", 0));
    assert_false(is_valid("{\"multipleOf\": 0.0001}", "0.00751", 0));
    assert_false(is_valid("{\"multipleOf\": 3}", "10", 0));
    assert_true(is_valid("{\"multipleOf\": 3}", "9223372036854775806", 0));
    assert_true(is_valid("{\"maximum\": 9223372036854775806}", "9223372036854775806", 0));
    assert_false(is_valid("{\"maximum\": 9223372036854775806}", "9223372036854775807", 0));
    assert_true(is_valid("{\"type\": \"integer\"}", "2.0", 0));
    assert_false(is_valid("{\"type\": \"integer\"}", "2.5", 0));
    /* lengths count code points, not bytes */
    assert_true(is_valid("{\"maxLength\": 2}", "\"\\u00e9\\u00e9\"", 0));
    assert_true(is_valid("{\"minLength\": 2, \"maxLength\": 2}", "\"\\ud83d\\ude00x\"", 0));
}

static void regexes_follow_ecma(void **state)
{
    assert_true(is_valid("{\"pattern\": \"^\\\\s$\"}", "\"\\u2003\"", 0)); /* \s is Unicode whitespace */
    assert_true(is_valid("{\"pattern\": \"^[a\\\\s]$\"}", "\"\\u00a0\"", 0));
    assert_false(is_valid("{\"pattern\": \"^\\\\d$\"}", "\"\\u0664\"", 0)); /* \d is ASCII only */
    assert_true(is_valid("{\"pattern\": \"^\\\\D$\"}", "\"\\u07c0\"", 0));
    assert_true(is_valid("{\"pattern\": \"^\\\\p{Letter}+$\"}", "\"\\u00e9t\\u00e9\"", 0));
    assert_true(is_valid("{\"pattern\": \"^\\\\u00e9$\"}", "\"\\u00e9\"", 0));
    assert_false(is_valid("{\"pattern\": \"^a$\"}", "\"a\\n\"", 0)); /* $ does not match before a final newline */
    assert_true(is_valid("{\"pattern\": \"b\"}", "\"abc\"", 0));     /* patterns are not anchored */
    assert_true(is_valid("{\"pattern\": \"^.$\"}", "\"\\ud83d\\ude00\"", 0));
    /* catastrophic backtracking gives up instead of hanging */
    int rc;
    char *msg = validate_text("{\"pattern\": \"^(a+)+$\"}",
                              "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\"", 0, 0, &rc);
    assert_int_equal(rc, WARDEN_ESCHEMA);
    free(msg);
}

static void refs_pointers_and_ids(void **state)
{
    const char *s =
        "{\"$defs\": {\"a/b\": {\"type\": \"integer\"}, \"c~d\": {\"type\": \"string\"}, \"e%f\": {\"type\": \"null\"}},"
        " \"properties\": {\"x\": {\"$ref\": \"#/$defs/a~1b\"}, \"y\": {\"$ref\": \"#/$defs/c~0d\"},"
        " \"z\": {\"$ref\": \"#/$defs/e%25f\"}}}";
    assert_true(is_valid(s, "{\"x\": 1, \"y\": \"s\", \"z\": null}", 0));
    assert_false(is_valid(s, "{\"x\": \"1\"}", 0));
    assert_false(is_valid(s, "{\"y\": 1}", 0));
    assert_false(is_valid(s, "{\"z\": 1}", 0));
    /* $id-based resolution and $anchor inside one document */
    const char *ids =
        "{\"$id\": \"http://example.com/root.json\", \"items\": [{\"$ref\": \"item.json\"}, {\"$ref\": \"#pos\"}],"
        " \"$defs\": {\"i\": {\"$id\": \"item.json\", \"type\": \"string\"}, \"p\": {\"$anchor\": \"pos\", \"minimum\": 0}}}";
    assert_true(is_valid(ids, "[\"a\", 3]", SCHEMA_DRAFT7));
    assert_true(is_valid(ids, "[\"a\", 3]", 0));
    assert_false(is_valid(ids, "[1, 3]", 0));
    assert_false(is_valid(ids, "[\"a\", -3]", 0));
    /* a pointer into a keyword we do not know is still a schema */
    assert_false(is_valid("{\"x-lib\": {\"n\": {\"type\": \"integer\"}}, \"$ref\": \"#/x-lib/n\"}", "\"s\"", 0));
    /* draft-07: $ref ignores its siblings; 2020-12: it does not */
    const char *sib = "{\"definitions\": {\"s\": {\"type\": \"string\"}}, \"properties\": {\"a\": {\"$ref\": \"#/definitions/s\","
                      " \"maxLength\": 1}}}";
    assert_true(is_valid(sib, "{\"a\": \"long\"}", SCHEMA_DRAFT7));
    assert_false(is_valid(sib, "{\"a\": \"long\"}", 0));
    char sib7[512];
    snprintf(sib7, sizeof(sib7), "{\"$schema\": \"http://json-schema.org/draft-07/schema#\", %s", sib + 1);
    assert_true(is_valid(sib7, "{\"a\": \"long\"}", 0));
}

static void recursion_terminates(void **state)
{
    const char *tree = "{\"type\": \"object\", \"required\": [\"v\"], \"properties\": {\"v\": {\"type\": \"integer\"},"
                       " \"kids\": {\"type\": \"array\", \"items\": {\"$ref\": \"#\"}}}}";
    assert_true(is_valid(tree, "{\"v\": 1, \"kids\": [{\"v\": 2, \"kids\": [{\"v\": 3}]}, {\"v\": 4}]}", 0));
    int rc;
    char *msg = validate_text(tree, "{\"v\": 1, \"kids\": [{\"v\": 2, \"kids\": [{\"v\": \"x\"}]}]}", 0, 0, &rc);
    assert_string_equal(msg, "/kids/0/kids/0/v: expected integer, got string (at #/properties/v/type)");
    free(msg);

    /* loops that never consume the instance are cut off, never hang or overflow the stack */
    uint64_t t0 = util_now_ms();
    msg = validate_text("{\"$ref\": \"#\"}", "1", 0, 0, &rc);
    assert_int_equal(rc, WARDEN_ESCHEMA);
    assert_non_null(strstr(msg, "validation aborted"));
    free(msg);
    msg =
        validate_text("{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, \"b\": {\"$ref\": \"#/$defs/a\"}}, \"$ref\": \"#/$defs/a\"}",
                      "1", 0, 0, &rc);
    assert_int_equal(rc, WARDEN_ESCHEMA);
    free(msg);
    msg = validate_text("{\"anyOf\": [{\"$ref\": \"#\"}, {\"$ref\": \"#\"}]}", "1", 0, 0, &rc);
    assert_int_equal(rc, WARDEN_ESCHEMA);
    free(msg);
    msg = validate_text("{\"not\": {\"$ref\": \"#\"}}", "1", 0, 0, &rc); /* an aborted "not" must not turn into valid */
    assert_int_equal(rc, WARDEN_ESCHEMA);
    free(msg);
    assert_true(util_now_ms() - t0 < 5000);
}

static void format_is_opt_in(void **state)
{
    const char *s = "{\"properties\": {\"d\": {\"format\": \"date-time\"}, \"e\": {\"format\": \"email\"},"
                    " \"u\": {\"format\": \"uuid\"}, \"i\": {\"format\": \"ipv4\"}, \"x\": {\"format\": \"made-up\"}}}";
    const char *bad = "{\"d\": \"yesterday\"}";
    assert_true(is_valid(s, bad, 0));
    assert_false(is_valid(s, bad, SCHEMA_FORMAT_ASSERT));
    assert_true(
        is_valid(s,
                 "{\"d\": \"2024-02-29T12:00:00Z\", \"e\": \"a@b.example\", \"u\": \"123e4567-e89b-12d3-a456-426614174000\","
                 " \"i\": \"10.0.0.1\", \"x\": \"anything\"}",
                 SCHEMA_FORMAT_ASSERT));
    assert_false(is_valid(s, "{\"d\": \"2023-02-29T12:00:00Z\"}", SCHEMA_FORMAT_ASSERT));
    assert_false(is_valid(s, "{\"i\": \"010.0.0.1\"}", SCHEMA_FORMAT_ASSERT));
    int rc;
    char *msg = validate_text(s, "{\"e\": \"nope\"}", SCHEMA_FORMAT_ASSERT, 0, &rc);
    assert_string_equal(msg, "/e: not a valid email (at #/properties/e/format)");
    free(msg);
}

static void cache_shares_by_content(void **state)
{
    struct schema_cache *c = schema_cache_create(2);
    char err[256];
    json_t *a1 = parse("{\"type\": \"object\", \"required\": [\"x\"]}");
    json_t *a2 = parse("{\"required\": [\"x\"], \"type\": \"object\"}");
    json_t *b = parse("{\"type\": \"string\"}");
    json_t *d = parse("{\"type\": \"number\"}");
    json_t *bad = parse("{\"$ref\": \"#/nowhere\"}");

    const struct schema *s1 = schema_cache_get(c, a1, 0, err, sizeof(err));
    const struct schema *s2 = schema_cache_get(c, a2, 0, err, sizeof(err));
    assert_non_null(s1);
    assert_ptr_equal(s1, s2); /* key order does not matter */
    const struct schema *s3 = schema_cache_get(c, a1, SCHEMA_FORMAT_ASSERT, err, sizeof(err));
    assert_ptr_not_equal(s1, s3); /* flags are part of the key */
    assert_null(schema_cache_get(c, bad, 0, err, sizeof(err)));
    assert_non_null(strstr(err, "unknown $ref"));

    /* the cache is full of schemas in use: new ones are handed out uncached and still work */
    const struct schema *sb = schema_cache_get(c, b, 0, err, sizeof(err));
    json_t *str = json_string("s");
    assert_int_equal(schema_validate(sb, str, NULL), 0);
    schema_cache_release(c, sb);

    /* a held schema survives eviction of the others */
    schema_cache_release(c, s3);
    const struct schema *sd = schema_cache_get(c, d, 0, err, sizeof(err)); /* evicts s3's entry */
    json_t *obj = json_pack("{s:i}", "x", 1);
    assert_int_equal(schema_validate(s1, obj, NULL), 0);
    assert_int_equal(schema_validate(sd, str, NULL), WARDEN_ESCHEMA);
    schema_cache_release(c, sd);
    schema_cache_release(c, s1);
    schema_cache_release(c, s2);

    json_decref(obj);
    json_decref(str);
    json_decref(a1);
    json_decref(a2);
    json_decref(b);
    json_decref(d);
    json_decref(bad);
    schema_cache_destroy(c);
}

struct worker_arg {
    struct schema_cache *cache;
    int failures;
};

static void *cache_worker(void *p)
{
    struct worker_arg *w = p;
    const char *docs[] = {"{\"type\": \"integer\", \"minimum\": 0}", "{\"minimum\": 0, \"type\": \"integer\"}",
                          "{\"type\": \"integer\", \"maximum\": 100}", "{\"type\": \"integer\", \"multipleOf\": 1}"};
    json_t *inst = json_integer(5);
    for (int i = 0; i < 2000; i++) {
        json_t *doc = json_loads(docs[i % 4], 0, NULL);
        char err[128];
        const struct schema *s = schema_cache_get(w->cache, doc, 0, err, sizeof(err));
        if (!s || schema_validate(s, inst, NULL) != 0)
            w->failures++;
        schema_cache_release(w->cache, s);
        json_decref(doc);
    }
    json_decref(inst);
    return NULL;
}

static void cache_is_thread_safe(void **state)
{
    struct schema_cache *c = schema_cache_create(2); /* small, so that eviction races too */
    pthread_t th[4];
    struct worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i].cache = c;
        args[i].failures = 0;
        pthread_create(&th[i], NULL, cache_worker, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    schema_cache_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compile_errors_name_the_problem),
        cmocka_unit_test(validation_errors_have_paths),
        cmocka_unit_test(numbers_strings_and_equality),
        cmocka_unit_test(regexes_follow_ecma),
        cmocka_unit_test(refs_pointers_and_ids),
        cmocka_unit_test(recursion_terminates),
        cmocka_unit_test(format_is_opt_in),
        cmocka_unit_test(cache_shares_by_content),
        cmocka_unit_test(cache_is_thread_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
