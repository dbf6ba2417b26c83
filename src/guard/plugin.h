/* Loader for C guardrail plugins (ABI in include/warden/guard.h).
 *
 * guard_plugin_load() dlopens a shared object, checks its ABI version and
 * runs its init with the guard's config string. guard_plugin_check() calls
 * the plugin and hands back a result in Warden-owned memory (the plugin's
 * output is copied and released through its free_output at once), with the
 * plugin's answer validated: a malformed REWRITE or an unknown verdict
 * becomes WARDEN_GUARD_ERROR with a reason saying why.
 *
 * Threading: load and free on one thread; check from any number of threads
 * at once (the plugin contract requires its check to be thread-safe). */
#ifndef WARDEN_GUARD_PLUGIN_H
#define WARDEN_GUARD_PLUGIN_H

#include <stddef.h>

#include "warden/guard.h"

struct guard_plugin;

struct guard_plugin_result {
    int verdict;  /* enum warden_guard_verdict */
    char *reason; /* NULL or a copy of the plugin's reason (at most 1 KB) */
    /* REWRITE only: count == the input's count; texts[i] NULL means "keep
     * text i", otherwise a NUL-terminated copy of lens[i] bytes. */
    char **texts;
    size_t *lens;
    size_t count;
};

/* Loads the plugin at path (dlopen rules: a name without '/' is searched in
 * the system library path) and initialises it with config (NULL = "").
 * On failure returns NULL with a message in err. */
struct guard_plugin *guard_plugin_load(const char *path, const char *config, char *err, size_t errsz);
/* The same for a descriptor linked into the binary (built-in plugins, tests). */
struct guard_plugin *guard_plugin_open(const struct warden_guard_plugin *def, const char *config, char *err, size_t errsz);

/* Runs the plugin's check. Texts must be NUL-terminated at lens[i]. Returns
 * the verdict, also stored in res; release res with guard_plugin_result_free. */
int guard_plugin_check(const struct guard_plugin *p, const struct warden_guard_input *in, struct guard_plugin_result *res);
void guard_plugin_result_free(struct guard_plugin_result *res);

int guard_plugin_is_cpu_bound(const struct guard_plugin *p);
const char *guard_plugin_name(const struct guard_plugin *p);
/* Calls the plugin's destroy and unloads it. No check may still be running. */
void guard_plugin_free(struct guard_plugin *p);

#endif
