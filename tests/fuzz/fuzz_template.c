/* Fuzz target for the fan-out template filler (src/fanout/template.h): the input is a template
 * and a value, split at the first NUL. Whatever they hold (braces, quotes, "{{", escapes,
 * invalid UTF-8, NULs in the value), a filled template must be one JSON string literal that
 * parses on its own and inside a body without adding a field; a value must arrive as text,
 * never expanded: filling "<{{v}}>" gives exactly "<" + value + ">" for a valid UTF-8 value.
 *
 *   tests/fuzz/run.sh template            (FUZZ_SECONDS=60 for longer) */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fanout/template.h"
#include "util/buf.h"

/* Does s parse as exactly one JSON string? Then its decoded text (caller frees). */
static char *decode(const char *s, size_t len, size_t *out_len)
{
    json_t *j = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (j == NULL || !json_is_string(j))
        abort(); /* the filler wrote something that is not one JSON string */
    *out_len = json_string_length(j);
    char *r = malloc(*out_len + 1);
    memcpy(r, json_string_value(j), *out_len + 1);
    json_decref(j);
    return r;
}

static void check_in_body(const struct util_buf *lit)
{
    struct util_buf body;
    util_buf_init(&body, SIZE_MAX);
    util_buf_append(&body, "{\"content\":", 11);
    util_buf_append(&body, lit->data, lit->len);
    util_buf_append(&body, ",\"model\":\"m\"}", 13);
    json_t *j = json_loadb(body.data, body.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    if (j == NULL || json_object_size(j) != 2 || strcmp(json_string_value(json_object_get(j, "model")), "m") != 0)
        abort(); /* the value escaped its string */
    json_decref(j);
    util_buf_free(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nul = memchr(in, '\0', size);
    size_t tlen = nul ? (size_t)(nul - in) : size;
    const char *value = nul ? nul + 1 : "";
    size_t vlen = nul ? size - tlen - 1 : 0;

    json_t *v = json_stringn_nocheck(value, vlen); /* jansson keeps the bytes as they are */
    json_t *vars = json_pack("{s:o, s:{s:O}}", "v", v, "a", "b", v);
    json_t *steps = json_pack("{s:O}", "s", v);
    char what[256];
    struct util_buf out;
    util_buf_init(&out, 1 << 20);

    /* the fuzzer's template */
    if (fanout_template_fill(in, tlen, vars, steps, &out, what, sizeof(what)) == 0) {
        size_t n;
        free(decode(out.data, out.len, &n));
        check_in_body(&out);
    } else if (out.len != 0) {
        abort(); /* a failed fill leaves nothing behind */
    }

    /* the value through a fixed template: literal, never expanded */
    util_buf_reset(&out);
    static const char t[] = "<{{v}}|{{ a.b }}|{{steps.s}}>";
    if (fanout_template_fill(t, sizeof(t) - 1, vars, steps, &out, what, sizeof(what)) != 0)
        abort();
    check_in_body(&out);
    size_t n;
    char *got = decode(out.data, out.len, &n);
    json_t *probe = json_stringn(value, vlen); /* NULL unless valid UTF-8 */
    if (probe != NULL) {                        /* then byte-exact */
        json_decref(probe);
        size_t want_len = 3 * vlen + 4;
        char *want = malloc(want_len);
        size_t o = 0;
        want[o++] = '<';
        for (int k = 0; k < 3; k++) {
            memcpy(want + o, value, vlen);
            o += vlen;
            want[o++] = k < 2 ? '|' : '>';
        }
        if (n != want_len || memcmp(got, want, n) != 0)
            abort();
        free(want);
    }
    free(got);
    util_buf_free(&out);
    json_decref(vars);
    json_decref(steps);
    return 0;
}
