/* Runs the official JSON-Schema-Test-Suite (draft2020-12 and draft7) against the schema module.
 *
 * The suite lives in ../shared/json-schema-test-suite relative to the repo root (the cwd of unit
 * tests), or wherever SCHEMA_SUITE_DIR points. Every case of every supported keyword file runs,
 * including optional/ (the ECMA-262 regex files among them);
 * each case is validated twice, once stopping at the first error and once collecting errors, and
 * the two verdicts must agree (an invalid verdict must come with at least one error).
 *
 * What is skipped, and why, is in the two tables below: whole files for features we do not
 * implement, and a short list of single groups/cases that cannot pass by design. The test fails if
 * any case that is not skipped fails, and prints
 *   schema suite: N passed, M failed, K skipped
 * followed by the skipped files and their reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schema/schema.h"
#include "util/err.h"

struct skip_file {
    const char *file; /* path below tests/, e.g. "draft2020-12/refRemote.json"; "*" matches any draft */
    const char *reason;
};

static const struct skip_file skip_files[] = {
    {"*/refRemote.json", "remote $ref (http://localhost:1234/...) is not supported by design"},
    {"*/dynamicRef.json", "$dynamicRef/$dynamicAnchor not implemented"},
    {"*/unevaluatedItems.json", "unevaluatedItems not implemented"},
    {"*/unevaluatedProperties.json", "unevaluatedProperties not implemented"},
    {"*/vocabulary.json", "$vocabulary needs metaschema processing (not implemented)"},
    {"*/optional/bignum.json", "jansson cannot parse integers beyond 64 bits"},
    {"*/optional/content.json", "contentEncoding/contentMediaType are annotations only here (assertion is optional)"},
    {"*/optional/cross-draft.json", "needs remote schemas of other drafts"},
    {"*/optional/format-assertion.json", "needs a custom metaschema with $vocabulary"},
    {"*/optional/dynamicRef.json", "$dynamicRef/$dynamicAnchor not implemented"},
};

/* Single groups (test == NULL) or cases that cannot pass by design. Keep this short and honest. */
struct skip_case {
    const char *file;
    const char *group;
    const char *test; /* NULL: the whole group */
    const char *reason;
};

static const struct skip_case skip_cases[] = {
    {"draft2020-12/defs.json", "validate definition against metaschema", NULL, "needs the remote 2020-12 metaschema"},
    {"draft2020-12/ref.json", "remote ref, containing refs itself", NULL, "needs the remote 2020-12 metaschema"},
    {"draft7/definitions.json", "validate definition against metaschema", NULL, "needs the remote draft-07 metaschema"},
    {"draft7/ref.json", "remote ref, containing refs itself", NULL, "needs the remote draft-07 metaschema"},
    {"draft2020-12/not.json", "collect annotations inside a 'not', even if collection is disabled", NULL,
     "uses unevaluatedProperties (not implemented)"},
    {"draft2020-12/ref.json", "ref creates new scope when adjacent to keywords", NULL,
     "uses unevaluatedProperties (not implemented)"},
};

/* optional/ files run too (ECMA regex, non-BMP regex, float overflow, id, unknown keywords...),
 * except those in skip_files; of optional/format/ only these run, with SCHEMA_FORMAT_ASSERT. */
static const char *const format_files[] = {"date-time.json", "date.json", "time.json", "email.json",  "uri.json",
                                           "uuid.json",      "ipv4.json", "ipv6.json", "unknown.json"};

struct tally {
    int passed, failed, skipped;
    char skipped_files[8192];
    size_t skipped_len;
};

static int match_file(const char *pattern, const char *rel)
{
    if (!strncmp(pattern, "*/", 2)) {
        const char *slash = strchr(rel, '/');
        return slash && !strcmp(slash + 1, pattern + 2);
    }
    return !strcmp(pattern, rel);
}

static const char *file_skip_reason(const char *rel)
{
    for (size_t i = 0; i < sizeof(skip_files) / sizeof(skip_files[0]); i++)
        if (match_file(skip_files[i].file, rel))
            return skip_files[i].reason;
    if (strstr(rel, "/optional/format/")) {
        const char *base = strrchr(rel, '/') + 1;
        for (size_t i = 0; i < sizeof(format_files) / sizeof(format_files[0]); i++)
            if (!strcmp(base, format_files[i]))
                return NULL;
        return "format not implemented (stays an annotation)";
    }
    return NULL;
}

static const struct skip_case *case_skip(const char *rel, const char *group, const char *test)
{
    for (size_t i = 0; i < sizeof(skip_cases) / sizeof(skip_cases[0]); i++) {
        const struct skip_case *s = &skip_cases[i];
        if (!s->file || !match_file(s->file, rel) || strcmp(s->group, group))
            continue;
        if (!s->test || (test && !strcmp(s->test, test)))
            return s;
    }
    return NULL;
}

static void note_skipped_file(struct tally *t, const char *rel, const char *reason)
{
    size_t room = sizeof(t->skipped_files) - t->skipped_len;
    int n = snprintf(t->skipped_files + t->skipped_len, room, "  %s: %s\n", rel, reason);
    if (n > 0 && (size_t)n < room)
        t->skipped_len += (size_t)n;
}

static void run_file(struct tally *t, const char *path, const char *rel, int flags)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    if (!json_is_array(doc)) {
        printf("FAIL %s: cannot load: %s (line %d)\n", rel, jerr.text, jerr.line);
        t->failed++;
        json_decref(doc);
        return;
    }
    size_t gi;
    json_t *group;
    json_array_foreach(doc, gi, group)
    {
        const char *gdesc = json_string_value(json_object_get(group, "description"));
        json_t *tests = json_object_get(group, "tests");
        char err[512];
        struct schema *s = schema_compile(json_object_get(group, "schema"), flags, err, sizeof(err));
        size_t ti;
        json_t *tc;
        json_array_foreach(tests, ti, tc)
        {
            const char *tdesc = json_string_value(json_object_get(tc, "description"));
            int expect = json_is_true(json_object_get(tc, "valid"));
            if (case_skip(rel, gdesc, tdesc)) {
                t->skipped++;
                continue;
            }
            if (!s) {
                printf("FAIL %s: \"%s\" / \"%s\": schema did not compile: %s\n", rel, gdesc, tdesc, err);
                t->failed++;
                continue;
            }
            const json_t *data = json_object_get(tc, "data");
            int quick = schema_validate(s, data, NULL);
            struct schema_errors errs = {.max = 5};
            int full = schema_validate(s, data, &errs);
            int got = quick == 0;
            if (quick != full || (full == WARDEN_ESCHEMA && errs.count == 0) || (full == 0 && errs.count != 0)) {
                printf("FAIL %s: \"%s\" / \"%s\": first-error and collecting modes disagree (%d vs %d, %zu errors)\n", rel, gdesc,
                       tdesc, quick, full, errs.count);
                t->failed++;
            } else if (got != expect) {
                char *msg = schema_errors_format(&errs);
                printf("FAIL %s: \"%s\" / \"%s\": expected %s, got %s %s\n", rel, gdesc, tdesc, expect ? "valid" : "invalid",
                       got ? "valid" : "invalid", msg);
                free(msg);
                t->failed++;
            } else {
                t->passed++;
            }
            schema_errors_free(&errs);
        }
        schema_free(s);
    }
    json_decref(doc);
}

static int count_cases(const char *path)
{
    json_t *doc = json_load_file(path, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, NULL);
    size_t gi;
    json_t *group;
    int n = 0;
    json_array_foreach(doc, gi, group) n += (int)json_array_size(json_object_get(group, "tests"));
    json_decref(doc);
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every *.json in dir (sorted), recursing into subdirectories. rel is the path below tests/. */
static void run_dir(struct tally *t, const char *dir, const char *rel, int flags)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("FAIL cannot open %s\n", dir);
        t->failed++;
        return;
    }
    char *names[512];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 512)
        if (de->d_name[0] != '.')
            names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[1024], r[512];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        snprintf(r, sizeof(r), "%s/%s", rel, names[i]);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            run_dir(t, path, r, flags);
        } else if (strlen(names[i]) > 5 && !strcmp(names[i] + strlen(names[i]) - 5, ".json")) {
            const char *why = file_skip_reason(r);
            if (why) {
                note_skipped_file(t, r, why);
                t->skipped += count_cases(path);
            } else {
                run_file(t, path, r, flags | (strstr(r, "/optional/format/") ? SCHEMA_FORMAT_ASSERT : 0));
            }
        }
        free(names[i]);
    }
}

static const char *suite_dir(void)
{
    static const char *const candidates[] = {"../shared/json-schema-test-suite", "shared/json-schema-test-suite",
                                             "../../shared/json-schema-test-suite"};
    const char *env = getenv("SCHEMA_SUITE_DIR");
    if (env && *env)
        return env;
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
        char p[512];
        struct stat st;
        snprintf(p, sizeof(p), "%s/tests/draft2020-12", candidates[i]);
        if (stat(p, &st) == 0)
            return candidates[i];
    }
    return NULL;
}

static void suite_cases_pass(void **state)
{
    const char *root = suite_dir();
    if (!root) {
        /* a clone of the repository alone has no ../shared: say so and skip, except in CI, where the
         * suite is part of the contract */
        const char *ci = getenv("CI");
        if (ci != NULL && strcmp(ci, "true") == 0)
            fail_msg("JSON-Schema-Test-Suite not found (CI=true requires it): set SCHEMA_SUITE_DIR or put it in "
                     "../shared/json-schema-test-suite");
        printf("schema suite: skipped: JSON-Schema-Test-Suite not found in ../shared/json-schema-test-suite "
               "(set SCHEMA_SUITE_DIR to run it)\n");
        skip();
    }
    static struct tally t;
    memset(&t, 0, sizeof(t));
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/tests/draft2020-12", root);
    run_dir(&t, dir, "draft2020-12", 0);
    snprintf(dir, sizeof(dir), "%s/tests/draft7", root);
    run_dir(&t, dir, "draft7", SCHEMA_DRAFT7);
    printf("schema suite: %d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped);
    printf("skipped files:\n%s", t.skipped_files);
    printf("skipped cases:\n");
    for (size_t i = 0; i < sizeof(skip_cases) / sizeof(skip_cases[0]); i++)
        if (skip_cases[i].file)
            printf("  %s: \"%s\"%s%s%s: %s\n", skip_cases[i].file, skip_cases[i].group, skip_cases[i].test ? " / \"" : "",
                   skip_cases[i].test ? skip_cases[i].test : "", skip_cases[i].test ? "\"" : "", skip_cases[i].reason);
    assert_int_equal(t.failed, 0);
    assert_true(t.passed > 1000); /* the suite really ran */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(suite_cases_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
