/* Guardrail plugin loader: dlopen, ABI check, init, and a check wrapper that
 * copies the plugin's output into Warden memory.
 *
 * Copying costs a little per REWRITE but gives one owner per allocation on
 * Warden's side: the plugin may use any allocator (or a static buffer), and
 * its free_output runs immediately on the same thread, so no plugin memory
 * outlives the call. Plugin answers are validated, never trusted: a REWRITE
 * with the wrong number of texts would otherwise make Warden index past an
 * array. */
#include "guard/plugin.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/err.h"

#define PLUGIN_REASON_MAX 1024

struct guard_plugin {
    void *dl; /* NULL for a linked-in descriptor */
    const struct warden_guard_plugin *def;
    void *state;
    char *name;
};

static struct guard_plugin *open_def(const struct warden_guard_plugin *def, const char *config, const char *where, char *err,
                                     size_t errsz)
{
    if (!def) {
        util_set_err(err, errsz, "plugin %s: descriptor is NULL", where);
        return NULL;
    }
    if (def->abi_version != WARDEN_GUARD_ABI_VERSION) {
        util_set_err(err, errsz, "plugin %s: built for guard ABI v%u, this Warden supports v%d (rebuild it against warden/guard.h)",
                where, def->abi_version, WARDEN_GUARD_ABI_VERSION);
        return NULL;
    }
    if (!def->check || !def->free_output) {
        util_set_err(err, errsz, "plugin %s: descriptor lacks %s", where, !def->check ? "check" : "free_output");
        return NULL;
    }
    struct guard_plugin *p = util_calloc(1, sizeof(*p));
    p->def = def;
    p->name = util_strdup(def->name && *def->name ? def->name : where);
    if (def->init) {
        char ebuf[256] = "";
        int rc = def->init(config ? config : "", &p->state, ebuf, sizeof(ebuf));
        ebuf[sizeof(ebuf) - 1] = '\0';
        if (rc != 0) {
            util_set_err(err, errsz, "plugin %s: init failed: %s", p->name, ebuf[0] ? ebuf : "(no message)");
            free(p->name);
            free(p);
            return NULL;
        }
    }
    return p;
}

struct guard_plugin *guard_plugin_open(const struct warden_guard_plugin *def, const char *config, char *err, size_t errsz)
{
    return open_def(def, config, def && def->name ? def->name : "(builtin)", err, errsz);
}

struct guard_plugin *guard_plugin_load(const char *path, const char *config, char *err, size_t errsz)
{
    if (!path || !*path) {
        util_set_err(err, errsz, "plugin path is empty");
        return NULL;
    }
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *e = dlerror();
        util_set_err(err, errsz, "cannot load plugin %s: %s", path, e ? e : "unknown error");
        return NULL;
    }
    void *sym = dlsym(dl, WARDEN_GUARD_PLUGIN_SYMBOL);
    if (!sym) {
        /* Name a newer ABI if the object has one: far clearer than "not found". */
        for (int v = WARDEN_GUARD_ABI_VERSION + 1; v < WARDEN_GUARD_ABI_VERSION + 8; v++) {
            char name[48];
            snprintf(name, sizeof(name), "warden_guard_plugin_v%d", v);
            if (dlsym(dl, name)) {
                util_set_err(err, errsz, "plugin %s: built for guard ABI v%d, this Warden supports v%d", path, v,
                        WARDEN_GUARD_ABI_VERSION);
                dlclose(dl);
                return NULL;
            }
        }
        util_set_err(err, errsz, "plugin %s does not export %s() (not a Warden guard plugin?)", path, WARDEN_GUARD_PLUGIN_SYMBOL);
        dlclose(dl);
        return NULL;
    }
    const struct warden_guard_plugin *(*entry)(void);
    memcpy(&entry, &sym, sizeof(entry)); /* object pointer to function pointer, without the ISO C warning */
    struct guard_plugin *p = open_def(entry(), config, path, err, errsz);
    if (!p) {
        dlclose(dl);
        return NULL;
    }
    p->dl = dl;
    return p;
}

static void set_reason(struct guard_plugin_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(struct guard_plugin_result *res, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    free(res->reason);
    res->reason = util_strdup(buf);
}

int guard_plugin_check(const struct guard_plugin *p, const struct warden_guard_input *in, struct guard_plugin_result *res)
{
    struct warden_guard_output out;
    memset(res, 0, sizeof(*res));
    memset(&out, 0, sizeof(out));
    int v = p->def->check(p->state, in, &out);

    if (out.reason)
        res->reason = util_strndup(out.reason, strnlen(out.reason, PLUGIN_REASON_MAX)); /* util_strndup copies n bytes */
    switch (v) {
    case WARDEN_GUARD_PASS:
    case WARDEN_GUARD_BLOCK:
    case WARDEN_GUARD_ERROR:
        break;
    case WARDEN_GUARD_REWRITE:
        if (out.count != in->count || (in->count > 0 && (!out.texts || !out.lens))) {
            set_reason(res, "plugin %s: REWRITE with %zu texts for %zu inputs", p->name, out.count, in->count);
            v = WARDEN_GUARD_ERROR;
            break;
        }
        res->count = out.count;
        res->texts = util_calloc(out.count, sizeof(*res->texts));
        res->lens = util_calloc(out.count, sizeof(*res->lens));
        for (size_t i = 0; i < out.count; i++) {
            if (!out.texts[i])
                continue;
            res->texts[i] = util_malloc(out.lens[i] + 1);
            memcpy(res->texts[i], out.texts[i], out.lens[i]);
            res->texts[i][out.lens[i]] = '\0';
            res->lens[i] = out.lens[i];
        }
        break;
    default:
        set_reason(res, "plugin %s: invalid verdict %d", p->name, v);
        v = WARDEN_GUARD_ERROR;
        break;
    }
    p->def->free_output(p->state, &out);
    res->verdict = v;
    return v;
}

void guard_plugin_result_free(struct guard_plugin_result *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->count; i++)
        free(res->texts[i]);
    free(res->texts);
    free(res->lens);
    free(res->reason);
    memset(res, 0, sizeof(*res));
}

int guard_plugin_is_cpu_bound(const struct guard_plugin *p)
{
    return (p->def->flags & WARDEN_GUARD_CPU_BOUND) != 0;
}

const char *guard_plugin_name(const struct guard_plugin *p)
{
    return p->name;
}

void guard_plugin_free(struct guard_plugin *p)
{
    if (!p)
        return;
    if (p->def->destroy)
        p->def->destroy(p->state);
    if (p->dl)
        dlclose(p->dl);
    free(p->name);
    free(p);
}
