/* Micro-benchmark: validation of a ~2 KB JSON answer against a 30-property schema.
 *
 * Build and run from the repo root (after `make`, which builds build/libwarden.a):
 *   cc -O2 -Isrc bench/schema_bench.c build/libwarden.a -ljansson -lpcre2-8 -lm -pthread -o build/schema_bench
 *   ./build/schema_bench [iterations]
 *
 * The schema mixes the keywords structured-output schemas use in practice: typed properties with
 * length, range and pattern limits, enums, a nested object, arrays of strings and of objects,
 * required, additionalProperties false and a format annotation. Target: <= 20 us per validation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema.h"
#include "util/buf.h"
#include "util/clock.h"

static void build_schema(struct util_buf *b)
{
    util_buf_appendf(b, "%s", "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{");
    for (int i = 0; i < 30; i++) {
        const char *sep = i ? "," : "";
        switch (i % 6) {
        case 0:
            util_buf_appendf(b, "%s\"name%d\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":200}", sep, i);
            break;
        case 1:
            util_buf_appendf(b, "%s\"count%d\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":100000}", sep, i);
            break;
        case 2:
            util_buf_appendf(b, "%s\"kind%d\":{\"enum\":[\"alpha\",\"beta\",\"gamma\",\"delta\"]}", sep, i);
            break;
        case 3:
            util_buf_appendf(b, "%s\"code%d\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}-[0-9]{4}$\"}", sep, i);
            break;
        case 4:
            util_buf_appendf(
                b, "%s\"tags%d\":{\"type\":\"array\",\"maxItems\":20,\"items\":{\"type\":\"string\",\"maxLength\":40}}", sep, i);
            break;
        default:
            util_buf_appendf(b,
                             "%s\"item%d\":{\"type\":\"object\",\"required\":[\"id\",\"score\"],\"properties\":{"
                             "\"id\":{\"type\":\"string\"},\"score\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
                             "\"at\":{\"type\":\"string\",\"format\":\"date-time\"},\"note\":{\"type\":\"string\"},\"ok\":{"
                             "\"type\":\"boolean\"}}}",
                             sep, i);
            break;
        }
    }
    util_buf_appendf(b, "%s",
                     "},\"required\":[\"name0\",\"count1\",\"kind2\",\"code3\",\"tags4\",\"item5\",\"name6\",\"count7\"]}");
}

static void build_instance(struct util_buf *b)
{
    util_buf_append(b, "{", 1);
    for (int i = 0; i < 30; i++) {
        const char *sep = i ? "," : "";
        switch (i % 6) {
        case 0:
            util_buf_appendf(b,
                             "%s\"name%d\":\"A fairly ordinary sentence for field %d, long enough to look like typical model "
                             "output in a reply to a user question.\"",
                             sep, i, i);
            break;
        case 1:
            util_buf_appendf(b, "%s\"count%d\":%d", sep, i, i * 37);
            break;
        case 2:
            util_buf_appendf(b, "%s\"kind%d\":\"gamma\"", sep, i);
            break;
        case 3:
            util_buf_appendf(b, "%s\"code%d\":\"ABC-%04d\"", sep, i, i * 11);
            break;
        case 4:
            util_buf_appendf(b,
                             "%s\"tags%d\":[\"red\",\"green\",\"blue\",\"cyan\",\"magenta\",\"yellow\",\"black\",\"white\","
                             "\"orange\",\"purple\"]",
                             sep, i);
            break;
        default:
            util_buf_appendf(b,
                             "%s\"item%d\":{\"id\":\"obj-%d\",\"score\":0.%d5,\"note\":\"checked by the "
                             "reviewer\",\"at\":\"2024-05-01T12:00:00Z\",\"ok\":true}",
                             sep, i, i, i % 10);
            break;
        }
    }
    util_buf_append(b, "}", 1);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    struct util_buf sb, ib;
    util_buf_init(&sb, 1 << 20);
    util_buf_init(&ib, 1 << 20);
    build_schema(&sb);
    build_instance(&ib);
    json_error_t je;
    json_t *sdoc = json_loads(sb.data, 0, &je);
    json_t *inst = json_loads(ib.data, 0, &je);
    if (!sdoc || !inst) {
        fprintf(stderr, "bench: bad JSON: %s\n", je.text);
        return 1;
    }
    char err[256];
    struct schema *s = schema_compile(sdoc, 0, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "bench: compile failed: %s\n", err);
        return 1;
    }
    struct schema_errors errs = {.max = 20};
    if (schema_validate(s, inst, &errs) != 0) {
        char *m = schema_errors_format(&errs);
        fprintf(stderr, "bench: instance is invalid: %s\n", m);
        free(m);
        return 1;
    }
    for (long i = 0; i < iters / 10; i++) /* warm up */
        schema_validate(s, inst, NULL);

    uint64_t t0 = util_now_ns();
    int bad = 0;
    for (long i = 0; i < iters; i++)
        bad |= schema_validate(s, inst, NULL);
    uint64_t t1 = util_now_ns();
    for (long i = 0; i < iters; i++) {
        bad |= schema_validate(s, inst, &errs);
        schema_errors_free(&errs);
    }
    uint64_t t2 = util_now_ns();

    uint64_t c0 = util_now_ns();
    int compiles = 2000;
    for (int i = 0; i < compiles; i++)
        schema_free(schema_compile(sdoc, 0, err, sizeof(err)));
    uint64_t c1 = util_now_ns();

    printf("schema bench: schema %zu bytes (30 properties), instance %zu bytes, %ld iterations%s\n", sb.len, ib.len, iters,
           bad ? " (UNEXPECTED FAILURES)" : "");
    printf("validate (stop at first error): %.2f us per validation\n", (double)(t1 - t0) / 1e3 / (double)iters);
    printf("validate (collecting errors):   %.2f us per validation\n", (double)(t2 - t1) / 1e3 / (double)iters);
    printf("compile:                        %.2f us per schema\n", (double)(c1 - c0) / 1e3 / compiles);
    schema_free(s);
    json_decref(sdoc);
    json_decref(inst);
    util_buf_free(&sb);
    util_buf_free(&ib);
    return bad ? 1 : 0;
}
