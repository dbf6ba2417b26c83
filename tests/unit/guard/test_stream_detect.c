/* pii and secrets on streams (stream_scan.h with a detect rule): for texts with
 * every built-in entity type, streaming the text split at every byte, one byte
 * per piece and in 3-byte pieces gives exactly the whole text's redaction (so no
 * piece of a finding is ever released), text that cannot begin a finding is
 * released at once, typed placeholders are numbered per value across pieces, a
 * block stops before any of the value goes out, and a finding outgrowing the
 * window stops the stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "guard/detect.h"
#include "guard/pii.h"
#include "guard/placeholder.h"
#include "guard/redact.h"
#include "guard/secrets.h"
#include "guard/stream_scan.h"
#include "util/buf.h"

struct fixture {
    struct config *cfg;
    struct detect_set *pii, *secrets;
    struct detect_scratch *sc;
};

static struct fixture fx;

static int setup(void **state)
{
    static const char yaml[] = "providers: [{name: p, base_url: \"http://h\"}]\n"
                               "models: [{name: m, targets: [{provider: p, model: x}]}]\n"
                               "guardrails:\n  - {name: p, type: pii}\n  - {name: s, type: secrets}\n";
    char err[512];
    fx.cfg = config_load_string(yaml, sizeof(yaml) - 1, "t.yaml", err, sizeof(err));
    assert_non_null(fx.cfg);
    fx.pii = guard_pii_compile(&fx.cfg->guardrails[0], err, sizeof(err));
    fx.secrets = guard_secrets_compile(&fx.cfg->guardrails[1], err, sizeof(err));
    assert_non_null(fx.pii);
    assert_non_null(fx.secrets);
    fx.sc = detect_scratch_new();
    return 0;
}

static int teardown(void **state)
{
    detect_free(fx.pii);
    detect_free(fx.secrets);
    detect_scratch_free(fx.sc);
    config_free(fx.cfg);
    return 0;
}

static struct guard_stream_rule rule_of(const struct detect_set *set, enum guard_stream_action action, size_t window)
{
    return (struct guard_stream_rule){.action = action,
                                      .replacement = GUARD_MASK,
                                      .window = window,
                                      .detect = set,
                                      .detect_scratch = fx.sc,
                                      .threshold = 0.5};
}

/* The whole text's redaction (mask), as a non-streamed answer gets it. */
static char *whole(const struct detect_set *set, const char *text, size_t *outlen)
{
    struct guard_finding *f = NULL;
    size_t n = 0, cap = 0;
    size_t len = strlen(text);
    assert_true(detect_scan(set, fx.sc, text, len, 0, 0.5, &f, &n, &cap) >= 0);
    char *r = n ? guard_redact_apply(text, len, f, n, CONFIG_REDACT_MASK, NULL, 0, outlen) : strdup(text);
    if (n == 0)
        *outlen = len;
    free(f);
    return r;
}

/* Streams text cut at the given offsets (cuts[0..ncuts), increasing); returns the status. */
static int stream_cuts(const struct guard_stream_rule *rule, const char *text, const size_t *cuts, size_t ncuts,
                       struct util_buf *out, struct guard_stream_result *res)
{
    struct guard_stream *st = guard_stream_new(rule, 1);
    size_t len = strlen(text), pos = 0;
    int rc = GUARD_STREAM_OK;
    for (size_t k = 0; k <= ncuts && rc == GUARD_STREAM_OK; k++) {
        size_t end = k < ncuts ? cuts[k] : len;
        rc = guard_stream_feed(st, NULL, text + pos, end - pos, 0, out, res);
        pos = end;
    }
    if (rc == GUARD_STREAM_OK)
        rc = guard_stream_feed(st, NULL, NULL, 0, 1, out, res);
    guard_stream_free(st);
    return rc;
}

static void expect_same(const struct detect_set *set, const char *text)
{
    size_t wl;
    char *want = whole(set, text, &wl);
    struct guard_stream_rule rule = rule_of(set, GUARD_STREAM_REDACT, 8192);
    size_t len = strlen(text);
    size_t *cuts = calloc(len + 1, sizeof(*cuts));
    struct util_buf out;
    util_buf_init(&out, 1 << 20);
    /* every split into two pieces */
    for (size_t k = 1; k < len; k++) {
        util_buf_reset(&out);
        cuts[0] = k;
        assert_int_equal(stream_cuts(&rule, text, cuts, 1, &out, NULL), GUARD_STREAM_OK);
        if (out.len != wl || memcmp(out.data, want, wl) != 0)
            fail_msg("split at %zu of [%s]:\n  got  [%.*s]\n  want [%s]", k, text, (int)out.len, out.data, want);
    }
    /* one byte, then three bytes per piece */
    for (size_t step = 1; step <= 3; step += 2) {
        size_t n = 0;
        for (size_t k = step; k < len; k += step)
            cuts[n++] = k;
        util_buf_reset(&out);
        assert_int_equal(stream_cuts(&rule, text, cuts, n, &out, NULL), GUARD_STREAM_OK);
        if (out.len != wl || memcmp(out.data, want, wl) != 0)
            fail_msg("%zu byte(s) per piece of [%s]:\n  got  [%.*s]\n  want [%s]", step, text, (int)out.len, out.data, want);
    }
    util_buf_free(&out);
    free(cuts);
    free(want);
}

static void test_pii_every_split(void **state)
{
    static const char *const texts[] = {
        "Write to jane.roe@example.org, or call +1 415-555-0132 ext. 12 today.",
        "My card is 4111 1111 1111 1111 and my SSN is 219-45-6789.",
        "IBAN DE89 3704 0044 0532 0130 00 please",
        "server 192.168.10.42 and fe80::1ff:fe23:4567:890a, mac 00:1A:2B:3C:4D:5E.",
        "see https://example.com/a/b?q=1). or www.example.org/x, fine",
        "send btc to 1BoatSLRHtKNngkdXEeobR76b53LETtpyT now",
        "call (415) 555-0132 or 415.555.0133",
        "phone: 4155550132 ok",
        "ssn 219 45 6789 end",
        "nothing here at all, just words and 2024 numbers like 1.2.3",
        "é café → mail jane@example.org now",
        "reach 030 12345678 which is my phone, thanks",
        "order 415-555-0132 shipped; 2001:db8::8a2e:370:7334 is the host",
        "mail: a.b+c@sub.example.co.uk. next",
        "x@y is not one, but z@example.com.au is",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        expect_same(fx.pii, texts[i]);
}

static void test_secrets_every_split(void **state)
{
    static const char *const texts[] = {
        "key sk-proj-Q7wX2mK9pL4vR8tY3nB6cD1fG5hJ0zAs here",
        "export GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345 and AKIAIOSFODNN7EXAMPLE",
        "password: \"Xk9#mQ2$vL7pR4wZ\" and api_key=Zx81Kq02LmNb77Qe",
        "db postgres://admin:S3cr3tPw0rd@db.example.com:5432/app ok",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcDEF123_- done",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----\nafter",
        "plain prose with no secrets in it at all",
        "aws secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY1 ok",
        "slack xoxb-1234567890-abcdefghij and hf_abcdefghijklmnopqrstuvwxyz1234 end",
        "the token: 'aB3$dE6^gH9*jK2@' was leaked",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        expect_same(fx.secrets, texts[i]);
}

/* Text that cannot begin a finding goes out at once; a word at the end may (an address). */
static void test_hold_only_what_may_begin(void **state)
{
    struct guard_stream_rule rule = rule_of(fx.pii, GUARD_STREAM_REDACT, 2048);
    struct guard_stream *st = guard_stream_new(&rule, 1);
    struct util_buf out;
    util_buf_init(&out, 1 << 16);
    assert_int_equal(guard_stream_feed(st, NULL, "hello there, wor", 16, 0, &out, NULL), GUARD_STREAM_OK);
    assert_int_equal(out.len, 13);
    assert_memory_equal(out.data, "hello there, ", 13);
    assert_int_equal(guard_stream_held(st), 3);
    assert_int_equal(guard_stream_feed(st, NULL, "ld. ", 4, 0, &out, NULL), GUARD_STREAM_OK);
    assert_int_equal(guard_stream_held(st), 0);
    /* a label ("text", "tin" in "getting") may precede a number: only the number would be held */
    assert_int_equal(guard_stream_feed(st, NULL, "getting the text, ", 18, 0, &out, NULL), GUARD_STREAM_OK);
    assert_int_equal(guard_stream_held(st), 0);
    assert_int_equal(guard_stream_feed(st, NULL, "mail jane.roe@exa", 17, 0, &out, NULL), GUARD_STREAM_OK);
    assert_int_equal(guard_stream_held(st), 12); /* "jane.roe@exa" */
    assert_int_equal(guard_stream_feed(st, NULL, "mple.org now", 12, 0, &out, NULL), GUARD_STREAM_OK);
    assert_int_equal(guard_stream_feed(st, NULL, NULL, 0, 1, &out, NULL), GUARD_STREAM_OK);
    const char *want = "hello there, world. getting the text, mail **** now";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);
    guard_stream_free(st);
    util_buf_free(&out);
}

static void test_typed_numbering(void **state)
{
    struct guard_stream_rule rule = rule_of(fx.pii, GUARD_STREAM_REDACT, 2048);
    rule.map = guard_placeholders_new();
    const char *text = "a ann@example.com b bob@example.org c ann@example.com.";
    size_t cuts[64], n = 0;
    for (size_t k = 2; k < strlen(text); k += 2)
        cuts[n++] = k;
    struct util_buf out;
    util_buf_init(&out, 1 << 16);
    assert_int_equal(stream_cuts(&rule, text, cuts, n, &out, NULL), GUARD_STREAM_OK);
    const char *want = "a <EMAIL_ADDRESS_1> b <EMAIL_ADDRESS_2> c <EMAIL_ADDRESS_1>.";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);
    guard_placeholders_free(rule.map);
    util_buf_free(&out);
}

static void test_block_and_overflow(void **state)
{
    struct guard_stream_rule rule = rule_of(fx.secrets, GUARD_STREAM_BLOCK, 8192);
    const char *text = "token ghp_0123456789abcdefghijABCDEFGHIJ012345 end";
    size_t cuts[128], n = 0;
    for (size_t k = 1; k < strlen(text); k++)
        cuts[n++] = k;
    struct util_buf out;
    util_buf_init(&out, 1 << 16);
    struct guard_stream_result res;
    assert_int_equal(stream_cuts(&rule, text, cuts, n, &out, &res), GUARD_STREAM_MATCH);
    assert_string_equal(res.type, "GITHUB_TOKEN");
    assert_null(memmem(out.data, out.len, "ghp_", 4));

    /* a URL longer than the window: the stream ends before any of it goes out */
    struct guard_stream_rule small = rule_of(fx.pii, GUARD_STREAM_REDACT, 64);
    char url[300] = "go to https://example.com/";
    while (strlen(url) < 200)
        strcat(url, "abcdefghij");
    util_buf_reset(&out);
    n = 0;
    for (size_t k = 10; k < strlen(url); k += 10)
        cuts[n++] = k;
    assert_int_equal(stream_cuts(&small, url, cuts, n, &out, &res), GUARD_STREAM_OVERFLOW);
    assert_null(memmem(out.data, out.len, "https", 5));

    /* a URL in minified JSON followed by 3 KB without a space: the quote ends it, no overflow */
    struct guard_stream_rule pii = rule_of(fx.pii, GUARD_STREAM_REDACT, 2048);
    char json[4096] = "{\"u\":\"https://example.com/x\",\"pad\":\"";
    while (strlen(json) < 3200)
        strcat(json, "abcdefghij");
    strcat(json, "\"}");
    size_t cl[128];
    n = 0;
    for (size_t k = 50; k < strlen(json); k += 50)
        cl[n++] = k;
    util_buf_reset(&out);
    assert_int_equal(stream_cuts(&pii, json, cl, n, &out, &res), GUARD_STREAM_OK);
    size_t wl;
    char *want = whole(fx.pii, json, &wl);
    assert_int_equal(out.len, wl);
    assert_memory_equal(out.data, want, wl);
    assert_non_null(strstr(want, "\"u\":\"****\""));
    free(want);
    util_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pii_every_split),       cmocka_unit_test(test_secrets_every_split),
        cmocka_unit_test(test_hold_only_what_may_begin), cmocka_unit_test(test_typed_numbering),
        cmocka_unit_test(test_block_and_overflow),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
