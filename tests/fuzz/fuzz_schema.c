/* libFuzzer target for the schema module.
 *
 * Input: a schema document and an instance, separated by the first NUL byte, or else by the first
 * newline. Both halves must parse as JSON (anything else is rejected early). The schema is compiled
 * both with and without SCHEMA_FORMAT_ASSERT, then the instance is validated in first-error and in
 * collecting mode; the two verdicts must agree. Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DH2O_USE_LIBUV=1 -Isrc -Iinclude -I/usr/include/hs \
 *       tests/fuzz/fuzz_schema.c src/schema/\*.c src/util/\*.c -ljansson -lpcre2-8 -o /tmp/fuzz_schema
 *   /tmp/fuzz_schema -max_total_time=60 tests/fuzz/corpus_schema */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema.h"
#include "util/err.h"

static json_t *parse(const uint8_t *p, size_t n)
{
    return json_loadb((const char *)p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, '\0', size);
    if (!sep)
        sep = memchr(data, '\n', size);
    if (!sep)
        return 0;
    json_t *doc = parse(data, (size_t)(sep - data));
    json_t *inst = doc ? parse(sep + 1, size - (size_t)(sep - data) - 1) : NULL;
    if (!doc || !inst) {
        json_decref(doc);
        json_decref(inst);
        return 0;
    }
    for (int flags = 0; flags <= SCHEMA_FORMAT_ASSERT; flags++) {
        char err[256];
        struct schema *s = schema_compile(doc, flags, err, sizeof(err));
        if (!s)
            continue;
        struct schema_errors errs = {.max = 8};
        int quick = schema_validate(s, inst, NULL);
        int full = schema_validate(s, inst, &errs);
        if (quick != full || (full == WARDEN_ESCHEMA) != (errs.count > 0))
            abort();
        char *msg = schema_errors_format(&errs);
        free(msg);
        schema_errors_free(&errs);
        schema_free(s);
    }
    json_decref(doc);
    json_decref(inst);
    return 0;
}
