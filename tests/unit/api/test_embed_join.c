/* The split-embeddings join (api/embed_split.h): sub-answers in any order make one answer in
 * input order, items copied byte for byte with only their index replaced, usage summed; an
 * answer that is not right for its inputs is refused, never half-used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/embed_split.h"

#define BIG ((size_t)1 << 20)

static int add(struct embed_join *j, size_t k, const char *body, struct api_error *e)
{
    return embed_join_add(j, k, body, strlen(body), e);
}

/* The joined answer: its pieces concatenated, NUL-terminated (the caller frees it). */
static char *written(struct embed_join *j)
{
    struct api_error e = {0};
    size_t total = 0;
    assert_int_equal(embed_join_finish(j, &total, &e), 0);
    struct embed_join_piece *pieces = calloc(2 * j->n_parts + 1, sizeof(*pieces));
    size_t n = embed_join_pieces(j, pieces), at = 0;
    assert_true(n <= 2 * j->n_parts + 1);
    char *s = malloc(total + 1);
    for (size_t i = 0; i < n; i++) {
        assert_true(at + pieces[i].len <= total);
        memcpy(s + at, pieces[i].data, pieces[i].len);
        at += pieces[i].len;
    }
    assert_int_equal(at, total);
    s[at] = '\0';
    free(pieces);
    return s;
}

static void parts_in_any_order_join_in_input_order(void **state)
{
    struct embed_join j;
    struct api_error e = {0};
    embed_join_init(&j, 5, 2, BIG); /* parts: [0,1] [2,3] [4] */
    /* the last part first, and a part whose items come in reverse index order */
    assert_int_equal(add(&j, 2, "{\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[4.5]}],\"model\":\"m2\","
                                "\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}", &e), 0);
    assert_int_equal(add(&j, 1, "{\"object\":\"list\",\"data\":[{\"index\":1,\"embedding\":[3.25e-1]},"
                                "{\"index\":0,\"embedding\":[2]}],\"model\":\"m1\",\"usage\":{\"prompt_tokens\":20,\"total_tokens\":21}}", &e), 0);
    assert_int_equal(add(&j, 0, " { \"data\" : [ {\"index\" : 0 , \"embedding\":[0.000001]} , {\"embedding\":[1],\"index\":1} ] ,"
                                " \"usage\":{\"total_tokens\":300,\"prompt_tokens\":300},\"model\":\"m0\" } ", &e), 0);
    char *s = written(&j);
    assert_string_equal(s, "{\"object\":\"list\",\"data\":[{\"index\" : 0 , \"embedding\":[0.000001]},{\"embedding\":[1],\"index\":1},"
                           "{\"index\":2,\"embedding\":[2]},{\"index\":3,\"embedding\":[3.25e-1]},"
                           "{\"object\":\"embedding\",\"index\":4,\"embedding\":[4.5]}],\"model\":\"m0\","
                           "\"usage\":{\"prompt_tokens\":321,\"total_tokens\":322}}");
    json_error_t je;
    json_t *root = json_loads(s, 0, &je);
    assert_non_null(root);
    json_decref(root);
    free(s);
    embed_join_free(&j);
}

/* Joins two parts (a is added first, as part ka) and compares the answer with want. */
static void expect_joined(size_t n_inputs, size_t batch, size_t ka, const char *a, size_t kb, const char *b, const char *want)
{
    struct embed_join j;
    struct api_error e = {0};
    embed_join_init(&j, n_inputs, batch, BIG);
    assert_int_equal(add(&j, ka, a, &e), 0);
    assert_int_equal(add(&j, kb, b, &e), 0);
    char *s = written(&j);
    assert_string_equal(s, want);
    free(s);
    embed_join_free(&j);
}

static void base64_and_escaped_strings_pass_byte_exact(void **state)
{
    /* no usage in the sub-answers: none in the answer; the model of the first part that has one */
    expect_joined(2, 1, 1, "{\"data\":[{\"index\":0,\"embedding\":\"AAAAPw==\"}],\"model\":\"a\\u00e9\"}", 0,
                  "{\"data\":[{\"index\":0,\"embedding\":\"zczMP\\/8=\"}]}",
                  "{\"object\":\"list\",\"data\":[{\"index\":0,\"embedding\":\"zczMP\\/8=\"},"
                  "{\"index\":1,\"embedding\":\"AAAAPw==\"}],\"model\":\"a\\u00e9\"}");
}

static void an_item_without_index_gets_one(void **state)
{
    /* total_tokens was missing from one part: not reported rather than wrong */
    expect_joined(3, 2, 0, "{\"data\":[{\"embedding\":[0]},{\"embedding\":[1]}],\"usage\":{\"prompt_tokens\":2}}", 1,
                  "{\"data\":[{\"embedding\":[2], \"x\":1}],\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}",
                  "{\"object\":\"list\",\"data\":[{\"index\":0,\"embedding\":[0]},{\"index\":1,\"embedding\":[1]},"
                  "{\"index\":2,\"embedding\":[2], \"x\":1}],\"usage\":{\"prompt_tokens\":5}}");
}

/* Each bad sub-answer is refused with 502 upstream_bad_answer (or the size error). */
static void bad_answers_are_refused(void **state)
{
    static const char *bad[] = {
        "not json",
        "{\"data\":{}}",
        "{\"object\":\"list\"}",
        "{\"data\":[{\"index\":0,\"embedding\":[0]}]}",                                         /* 1 of 2 */
        "{\"data\":[{\"index\":0,\"embedding\":[0]},{\"index\":0,\"embedding\":[1]}]}",         /* repeated */
        "{\"data\":[{\"index\":0,\"embedding\":[0]},{\"index\":2,\"embedding\":[1]}]}",         /* out of range */
        "{\"data\":[{\"index\":0,\"embedding\":[0]},{\"index\":1.0,\"embedding\":[1]}]}",       /* not an integer */
        "{\"data\":[{\"index\":0,\"embedding\":[0]},{\"index\":-1,\"embedding\":[1]}]}",
        "{\"data\":[{\"index\":0,\"embedding\":[0]},{\"index\":\"1\",\"embedding\":[1]}]}",
        "{\"data\":[{\"index\":0,\"embedding\":[0]},{\"index\":1}]}",                           /* no embedding */
        "{\"data\":[{\"index\":0,\"embedding\":[0]},[1]]}",
        "{\"data\":[{\"index\":0,\"embedding\":[0]},{\"index\":1,\"embedding\":[1]},{\"index\":1,\"embedding\":[1]}]}",
        "{\"data\":[{\"index\":0,\"embedding\":[0]},{\"index\":18446744073709551617,\"embedding\":[1]}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct embed_join j;
        struct api_error e = {0};
        embed_join_init(&j, 4, 2, BIG);
        if (add(&j, 1, bad[i], &e) == 0)
            fail_msg("accepted bad sub-answer #%zu: %s", i, bad[i]);
        assert_int_equal(e.status, 502);
        assert_string_equal(e.code, "upstream_bad_answer");
        assert_non_null(strstr(e.message, "sub-request 1"));
        api_error_clear(&e);
        embed_join_free(&j);
    }
}

static void sizes_are_capped(void **state)
{
    const char *part = "{\"data\":[{\"index\":0,\"embedding\":[0.5]}]}";
    struct embed_join j;
    struct api_error e = {0};
    embed_join_init(&j, 3, 1, 2 * strlen("{\"index\":0,\"embedding\":[0.5]}") + 1); /* two items fit, not three */
    assert_int_equal(add(&j, 0, part, &e), 0);
    assert_int_equal(add(&j, 1, part, &e), 0);
    assert_int_equal(add(&j, 2, part, &e), -1);
    assert_string_equal(e.code, "upstream_response_too_large");
    api_error_clear(&e);
    embed_join_free(&j);

    /* the joined answer is capped too: the two items fit, the answer (with its wrapper) not */
    embed_join_init(&j, 2, 1, 2 * strlen("{\"index\":0,\"embedding\":[0.5]}"));
    assert_int_equal(add(&j, 0, part, &e), 0);
    assert_int_equal(add(&j, 1, part, &e), 0);
    size_t len;
    assert_int_equal(embed_join_finish(&j, &len, &e), -1);
    assert_string_equal(e.code, "upstream_response_too_large");
    api_error_clear(&e);
    embed_join_free(&j);
    /* and exactly at the cap it is written */
    embed_join_init(&j, 2, 1, BIG);
    assert_int_equal(add(&j, 0, part, &e), 0);
    assert_int_equal(add(&j, 1, part, &e), 0);
    char *s = written(&j);
    size_t exact = strlen(s);
    free(s);
    embed_join_free(&j);
    embed_join_init(&j, 2, 1, exact);
    assert_int_equal(add(&j, 0, part, &e), 0);
    assert_int_equal(add(&j, 1, part, &e), 0);
    s = written(&j);
    free(s);
    embed_join_free(&j);
}

static void a_missing_or_repeated_part_is_an_error(void **state)
{
    const char *part = "{\"data\":[{\"index\":0,\"embedding\":[0.5]}]}";
    struct embed_join j;
    struct api_error e = {0};
    embed_join_init(&j, 2, 1, BIG);
    assert_int_equal(add(&j, 0, part, &e), 0);
    assert_int_equal(add(&j, 0, part, &e), -1);
    assert_int_equal(e.status, 500);
    api_error_clear(&e);
    size_t len;
    assert_int_equal(embed_join_finish(&j, &len, &e), -1); /* part 1 never came */
    assert_int_equal(e.status, 500);
    api_error_clear(&e);
    assert_int_equal(add(&j, 7, part, &e), -1); /* no such part */
    api_error_clear(&e);
    embed_join_free(&j);
}

/* A larger join against jansson: 1,000 inputs in parts of 64, added in a scrambled order. */
static void large_join_matches_a_parser(void **state)
{
    enum { N = 1000, B = 64 };
    size_t parts = (N + B - 1) / B;
    struct embed_join j;
    struct api_error e = {0};
    embed_join_init(&j, N, B, BIG * 8);
    for (size_t t = 0; t < parts; t++) {
        size_t k = (t * 7) % parts; /* 7 is coprime with 16 parts: each once */
        size_t first = k * B, n = N - first < B ? N - first : B;
        struct util_buf b;
        util_buf_init(&b, BIG);
        util_buf_appendf(&b, "{\"object\":\"list\",\"data\":[");
        for (size_t i = 0; i < n; i++) {
            size_t local = n - 1 - i; /* reversed within the part */
            util_buf_appendf(&b, "%s{\"object\":\"embedding\",\"index\":%zu,\"embedding\":[%zu.5,-1e-3]}", i ? "," : "", local,
                             first + local);
        }
        util_buf_appendf(&b, "],\"model\":\"emb\",\"usage\":{\"prompt_tokens\":%zu,\"total_tokens\":%zu}}", n, n * 2);
        assert_int_equal(embed_join_add(&j, k, b.data, b.len, &e), 0);
        util_buf_free(&b);
    }
    char *s = written(&j);
    json_error_t je;
    json_t *root = json_loads(s, JSON_REJECT_DUPLICATES, &je);
    assert_non_null(root);
    json_t *data = json_object_get(root, "data");
    assert_int_equal(json_array_size(data), N);
    for (size_t i = 0; i < N; i++) {
        json_t *it = json_array_get(data, i);
        assert_int_equal(json_integer_value(json_object_get(it, "index")), i);
        assert_true(json_real_value(json_array_get(json_object_get(it, "embedding"), 0)) == (double)i + 0.5);
    }
    assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "usage"), "prompt_tokens")), N);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "usage"), "total_tokens")), 2 * N);
    json_decref(root);
    free(s);
    embed_join_free(&j);
}

/* Untrusted bytes: every prefix of a sub-answer and every one-byte change of it is refused or
 * joined, each in a buffer of its exact size (so ASan sees any read past it). */
static void truncated_and_mutated_answers_never_read_past_the_end(void **state)
{
    const char *good = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":1,\"embedding\":[0.5,-1e-2]},"
                       "{\"index\":0,\"embedding\":\"AAAAPw==\"}],\"model\":\"m\",\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}";
    static const char subst[] = "{}[]\",:0 \\x";
    size_t len = strlen(good);
    for (size_t cut = 0; cut <= len; cut++) {
        for (size_t m = 0; m <= sizeof(subst) - 1; m++) {
            if (m > 0 && cut == len)
                break;
            char *b = malloc(cut ? cut : 1);
            memcpy(b, good, cut);
            if (m > 0 && cut > 0)
                b[cut - 1] = subst[m - 1]; /* the last byte of the prefix changed */
            struct embed_join j;
            struct api_error e = {0};
            embed_join_init(&j, 2, 2, BIG);
            if (embed_join_add(&j, 0, b, cut, &e) == 0) {
                char *s = written(&j);
                assert_non_null(strstr(s, "\"index\":0"));
                free(s);
            } else {
                assert_true(e.status == 502);
            }
            api_error_clear(&e);
            embed_join_free(&j);
            free(b);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parts_in_any_order_join_in_input_order),
        cmocka_unit_test(base64_and_escaped_strings_pass_byte_exact),
        cmocka_unit_test(an_item_without_index_gets_one),
        cmocka_unit_test(bad_answers_are_refused),
        cmocka_unit_test(sizes_are_capped),
        cmocka_unit_test(a_missing_or_repeated_part_is_an_error),
        cmocka_unit_test(large_join_matches_a_parser),
        cmocka_unit_test(truncated_and_mutated_answers_never_read_past_the_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
