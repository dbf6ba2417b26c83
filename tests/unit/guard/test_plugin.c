/* Plugin loader tests. They load the example plugin that `make` builds next
 * to the test binaries ($(BUILD)/plugins/example_guard.so, found from this
 * binary's own path, so the ASan build loads the ASan plugin), or from
 * $WARDEN_PLUGIN_DIR when set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard/plugin.h"

static char plugin_path[PATH_MAX + 64];

static void find_plugin(void)
{
    const char *dir = getenv("WARDEN_PLUGIN_DIR");
    if (dir && *dir) {
        snprintf(plugin_path, sizeof(plugin_path), "%s/example_guard.so", dir);
        return;
    }
    /* <BUILD>/tests/guard/test_plugin -> <BUILD>/plugins/example_guard.so */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 3; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash)
                break;
            *slash = '\0';
        }
        snprintf(plugin_path, sizeof(plugin_path), "%s/plugins/example_guard.so", exe);
        if (access(plugin_path, R_OK) == 0)
            return;
    }
    snprintf(plugin_path, sizeof(plugin_path), "build/plugins/example_guard.so");
}

static struct guard_plugin *load_example(const char *config)
{
    char err[512] = "";
    if (access(plugin_path, R_OK) != 0)
        fail_msg("example plugin not found at %s: build it first with `make build/plugins/example_guard.so` "
                 "(or set WARDEN_PLUGIN_DIR)",
                 plugin_path);
    struct guard_plugin *p = guard_plugin_load(plugin_path, config, err, sizeof(err));
    if (!p)
        fail_msg("load failed: %s", err);
    return p;
}

static int check1(struct guard_plugin *p, const char *text, struct guard_plugin_result *res)
{
    size_t len = strlen(text);
    struct warden_guard_input in = {.stage = 0, .texts = &text, .lens = &len, .count = 1, .model = "m", .request_id = "r1"};
    return guard_plugin_check(p, &in, res);
}

static void example_pass_block_rewrite(void **state)
{
    struct guard_plugin *p = load_example("max_upper_ratio=0.7, mask_digits=1");
    struct guard_plugin_result res;
    assert_string_equal(guard_plugin_name(p), "example_guard");
    assert_true(guard_plugin_is_cpu_bound(p));

    assert_int_equal(check1(p, "Please summarise this ticket for me, thanks.", &res), WARDEN_GUARD_PASS);
    assert_int_equal(res.verdict, WARDEN_GUARD_PASS);
    assert_null(res.reason);
    assert_int_equal(res.count, 0);
    guard_plugin_result_free(&res);

    assert_int_equal(check1(p, "WHY IS NOTHING WORKING, FIX IT NOW please", &res), WARDEN_GUARD_BLOCK);
    assert_non_null(res.reason);
    assert_non_null(strstr(res.reason, "uppercase"));
    guard_plugin_result_free(&res);
    /* Short texts are not judged (min_letters defaults to 20). */
    assert_int_equal(check1(p, "OK THANKS", &res), WARDEN_GUARD_PASS);
    guard_plugin_result_free(&res);

    const char *texts[] = {"card 4111111111111111 and pin 1234", "nothing to mask 12345678",
                           "a\0"
                           "123456789"};
    size_t lens[] = {strlen(texts[0]), strlen(texts[1]), 11};
    struct warden_guard_input in = {.stage = 1, .texts = texts, .lens = lens, .count = 3, .model = "m", .request_id = "r2"};
    assert_int_equal(guard_plugin_check(p, &in, &res), WARDEN_GUARD_REWRITE);
    assert_int_equal(res.count, 3);
    assert_string_equal(res.texts[0], "card ################ and pin 1234");
    assert_int_equal(res.lens[0], lens[0]);
    assert_null(res.texts[1]); /* unchanged */
    assert_int_equal(res.lens[2], 11);
    assert_memory_equal(res.texts[2], "a\0#########", 12);
    guard_plugin_result_free(&res);
    assert_null(res.texts);
    guard_plugin_free(p);
}

static void example_nonascii_and_config(void **state)
{
    struct guard_plugin *p = load_example("max_nonascii_ratio=0.5;min_letters=5");
    struct guard_plugin_result res;
    assert_int_equal(check1(p, "\xe2\x98\x85\xe2\x98\x85\xe2\x98\x85\xe2\x98\x85\xe2\x98\x85 buy", &res), WARDEN_GUARD_BLOCK);
    assert_non_null(strstr(res.reason, "non-ASCII"));
    guard_plugin_result_free(&res);
    assert_int_equal(check1(p, "caf\xc3\xa9 au lait", &res), WARDEN_GUARD_PASS);
    guard_plugin_result_free(&res);
    /* Digits are not masked unless asked. */
    assert_int_equal(check1(p, "call 0123456789012", &res), WARDEN_GUARD_PASS);
    guard_plugin_result_free(&res);
    guard_plugin_free(p);

    char err[256] = "";
    assert_null(guard_plugin_load(plugin_path, "bogus=1", err, sizeof(err)));
    assert_non_null(strstr(err, "init failed"));
    assert_non_null(strstr(err, "bogus"));
    assert_null(guard_plugin_load(plugin_path, "max_upper_ratio=2", err, sizeof(err)));
    assert_non_null(strstr(err, "max_upper_ratio"));
}

static void bad_path_and_missing_symbol(void **state)
{
    char err[512] = "";
    assert_null(guard_plugin_load("/nonexistent/dir/nothing.so", NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/dir/nothing.so"));
    assert_null(guard_plugin_load("", NULL, err, sizeof(err)));
    /* A real shared object that is not a plugin. */
    err[0] = '\0';
    assert_null(guard_plugin_load("libm.so.6", NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "warden_guard_plugin_v1"));
}

/* ---- linked-in descriptors exercise validation without a .so ---- */

static int frees;

static int bad_check(void *state, const struct warden_guard_input *in, struct warden_guard_output *out)
{
    int mode = *(int *)state;
    out->reason = strdup("from plugin");
    if (mode == 1) { /* REWRITE with the wrong count */
        out->count = in->count + 1;
        out->texts = calloc(out->count, sizeof(char *));
        out->lens = calloc(out->count, sizeof(size_t));
        return WARDEN_GUARD_REWRITE;
    }
    return 42; /* not a verdict */
}

static void bad_free_output(void *state, struct warden_guard_output *out)
{
    frees++;
    free(out->texts);
    free(out->lens);
    free(out->reason);
}

static int bad_init(const char *config, void **state, char *err, size_t errsz)
{
    int *mode = malloc(sizeof(int));
    *mode = atoi(config);
    *state = mode;
    return 0;
}

static void bad_destroy(void *state)
{
    free(state);
}

static void validates_plugin_answers(void **state)
{
    static const struct warden_guard_plugin def = {WARDEN_GUARD_ABI_VERSION, "bad",      0, bad_init, bad_check,
                                                   bad_free_output,          bad_destroy};
    char err[256];
    struct guard_plugin_result res;
    frees = 0;
    for (int mode = 1; mode <= 2; mode++) {
        char cfg[16];
        snprintf(cfg, sizeof(cfg), "%d", mode);
        struct guard_plugin *p = guard_plugin_open(&def, cfg, err, sizeof(err));
        assert_non_null(p);
        assert_false(guard_plugin_is_cpu_bound(p));
        assert_int_equal(check1(p, "x", &res), WARDEN_GUARD_ERROR);
        assert_int_equal(res.verdict, WARDEN_GUARD_ERROR);
        assert_non_null(strstr(res.reason, mode == 1 ? "REWRITE" : "invalid verdict 42"));
        assert_null(res.texts);
        guard_plugin_result_free(&res);
        guard_plugin_free(p);
    }
    assert_int_equal(frees, 2);
}

static void rejects_other_abi_versions(void **state)
{
    static const struct warden_guard_plugin v2 = {2, "future", 0, NULL, bad_check, bad_free_output, NULL};
    static const struct warden_guard_plugin nocheck = {WARDEN_GUARD_ABI_VERSION, "nocheck", 0, NULL, NULL, bad_free_output, NULL};
    char err[256] = "";
    assert_null(guard_plugin_open(&v2, "", err, sizeof(err)));
    assert_non_null(strstr(err, "ABI v2"));
    assert_non_null(strstr(err, "supports v1"));
    assert_null(guard_plugin_open(&nocheck, "", err, sizeof(err)));
    assert_non_null(strstr(err, "check"));
    assert_null(guard_plugin_open(NULL, "", err, sizeof(err)));
}

/* Builds a tiny .so with cc to test dlopen paths; skipped without a compiler. */
static int build_so(const char *dir, const char *name, const char *src, char *out, size_t outsz)
{
    char c[PATH_MAX], cmd[3 * PATH_MAX];
    snprintf(c, sizeof(c), "%s/%s.c", dir, name);
    snprintf(out, outsz, "%s/%s.so", dir, name);
    FILE *f = fopen(c, "w");
    if (!f)
        return -1;
    fputs(src, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "cc -shared -fPIC -Iinclude -o '%s' '%s' >/dev/null 2>&1", out, c);
    return system(cmd) == 0 ? 0 : -1;
}

static void wrong_abi_in_a_real_object(void **state)
{
    char dir[] = "/tmp/warden-plugin-test-XXXXXX", so[PATH_MAX], err[512] = "";
    if (!mkdtemp(dir))
        skip();
    const char *old_field = "#include \"warden/guard.h\"\n"
                            "static int chk(void *s, const struct warden_guard_input *i, struct warden_guard_output *o)"
                            "{ return 0; }\n"
                            "static void fo(void *s, struct warden_guard_output *o) {}\n"
                            "static const struct warden_guard_plugin d = { 7, \"old\", 0, 0, chk, fo, 0 };\n"
                            "const struct warden_guard_plugin *warden_guard_plugin_v1(void) { return &d; }\n";
    const char *v2 = "int warden_guard_plugin_v2(void) { return 0; }\n";
    if (build_so(dir, "abi7", old_field, so, sizeof(so)) != 0) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        (void)system(cmd);
        skip();
    }
    assert_null(guard_plugin_load(so, "", err, sizeof(err)));
    assert_non_null(strstr(err, "ABI v7"));
    assert_int_equal(build_so(dir, "v2", v2, so, sizeof(so)), 0);
    assert_null(guard_plugin_load(so, "", err, sizeof(err)));
    assert_non_null(strstr(err, "ABI v2"));
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

struct thread_arg {
    struct guard_plugin *p;
    int blocks, rewrites;
};

static void *check_thread(void *a)
{
    struct thread_arg *t = a;
    for (int i = 0; i < 1000; i++) {
        struct guard_plugin_result res;
        int v = check1(t->p, (i & 1) ? "ALL CAPS SHOUTING AT THE MODEL AGAIN" : "my number is 123456789012, ok?", &res);
        t->blocks += v == WARDEN_GUARD_BLOCK;
        t->rewrites += v == WARDEN_GUARD_REWRITE && res.texts[0] && !strcmp(res.texts[0], "my number is ############, ok?");
        guard_plugin_result_free(&res);
    }
    return NULL;
}

static void concurrent_checks(void **state)
{
    struct guard_plugin *p = load_example("max_upper_ratio=0.7 mask_digits=1");
    pthread_t th[4];
    struct thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){p, 0, 0};
        pthread_create(&th[i], NULL, check_thread, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].blocks, 500);
        assert_int_equal(args[i].rewrites, 500);
    }
    guard_plugin_free(p);
}

int main(void)
{
    find_plugin();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_pass_block_rewrite),  cmocka_unit_test(example_nonascii_and_config),
        cmocka_unit_test(bad_path_and_missing_symbol), cmocka_unit_test(validates_plugin_answers),
        cmocka_unit_test(rejects_other_abi_versions),  cmocka_unit_test(wrong_abi_in_a_real_object),
        cmocka_unit_test(concurrent_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
