/* Warden guardrail plugin ABI, version 1.
 *
 * A guardrail plugin is a shared object (cc -shared -fPIC) that exports one
 * function, warden_guard_plugin_v1(), returning a pointer to a static
 * descriptor. This header is self-contained (C99, no Warden types, no JSON
 * library) and is the whole contract.
 *
 * Versioning. WARDEN_GUARD_ABI_VERSION is the major version. A change that
 * would break an existing plugin bumps it and renames the exported symbol
 * (warden_guard_plugin_v2, ...), so an old Warden and a new plugin refuse each
 * other with a clear message instead of crashing. The descriptor repeats the
 * version; Warden rejects a descriptor whose abi_version differs from its own.
 *
 * Lifecycle, all on one Warden thread unless noted:
 *   init(config)     once per configured guard (the same .so may be loaded by
 *                    several guards, each with its own config and state).
 *                    config is the guard's "config" string from warden.yaml
 *                    ("" if absent). Return 0, or non-zero after writing a
 *                    NUL-terminated message into err (at most errsz bytes):
 *                    Warden then refuses to start or to reload the config.
 *   check(...)       per request and stage, from Warden's worker pool. It MUST
 *                    be thread-safe: several threads may call it at once with
 *                    the same state. Treat state as read-only or lock it.
 *   free_output(out) after every check, whatever the verdict, on the same
 *                    thread, once Warden has copied what it needs. It must
 *                    accept an output whose fields are all still zero.
 *   destroy(state)   once, after the last check has returned.
 *
 * check() returns a verdict:
 *   PASS     the texts are fine; out is ignored.
 *   BLOCK    reject the request (input stage) or response (output stage).
 *            out->reason may explain why; Warden returns it to the client,
 *            so it must not contain the offending text.
 *   REWRITE  replace texts: out->texts has exactly in->count entries, each
 *            either NULL (keep that text) or a replacement of out->lens[i]
 *            bytes. Anything else is treated as ERROR.
 *   ERROR    the plugin could not decide (bad input, internal failure).
 *            Warden applies the guard's error policy (fail open: pass;
 *            fail closed: block) and logs out->reason. It is not a verdict
 *            on the text: don't use it to block.
 * Any other return value counts as ERROR. check() should return quickly:
 * Warden may stop waiting once the guard's timeout passes, but it cannot
 * interrupt a running check, which keeps its pool thread busy until it ends.
 *
 * Memory: Warden owns everything in *in; it is valid only during the call.
 * Each in->texts[i] is UTF-8, NUL-terminated at in->lens[i], and may contain
 * embedded NULs (JSON allows \u0000), so use lens. Everything the plugin
 * puts in *out (reason, texts, the texts and lens arrays) belongs to the
 * plugin, allocated however it likes; Warden copies it and then calls
 * free_output, which must release it. out is zeroed before each check.
 *
 * Flags: WARDEN_GUARD_CPU_BOUND tells Warden the check burns CPU (rather than
 * waiting on I/O), so Warden schedules it on threads sized to the CPU count
 * and never runs it on an event-loop thread. */
#ifndef WARDEN_GUARD_H
#define WARDEN_GUARD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WARDEN_GUARD_ABI_VERSION 1

enum warden_guard_verdict {
    WARDEN_GUARD_PASS = 0,
    WARDEN_GUARD_BLOCK = 1,
    WARDEN_GUARD_REWRITE = 2,
    WARDEN_GUARD_ERROR = 3,
};

enum warden_guard_stage {
    WARDEN_GUARD_STAGE_INPUT = 0,  /* request messages, before the upstream call */
    WARDEN_GUARD_STAGE_OUTPUT = 1, /* the model's answer, before the client sees it */
};

enum warden_guard_flags {
    WARDEN_GUARD_CPU_BOUND = 1,
};

struct warden_guard_input {
    int stage;                /* enum warden_guard_stage */
    const char *const *texts; /* count texts (message contents, in order) */
    const size_t *lens;       /* their lengths in bytes */
    size_t count;
    const char *model;      /* the requested model name, never NULL */
    const char *request_id; /* for the plugin's own logs, never NULL */
};

struct warden_guard_output {
    char *reason; /* optional, NUL-terminated; released by free_output */
    char **texts; /* REWRITE only: in->count entries, NULL = unchanged */
    size_t *lens; /* REWRITE only: lengths of the replacement texts */
    size_t count; /* REWRITE only: must equal in->count */
};

struct warden_guard_plugin {
    unsigned abi_version; /* WARDEN_GUARD_ABI_VERSION */
    const char *name;     /* short identifier for logs and metrics */
    unsigned flags;       /* enum warden_guard_flags */
    int (*init)(const char *config, void **state, char *err, size_t errsz);
    int (*check)(void *state, const struct warden_guard_input *in, struct warden_guard_output *out);
    void (*free_output)(void *state, struct warden_guard_output *out);
    void (*destroy)(void *state); /* may be NULL */
};

/* The one exported symbol. Called once per load; the descriptor must stay
 * valid until the object is unloaded. */
const struct warden_guard_plugin *warden_guard_plugin_v1(void);

#define WARDEN_GUARD_PLUGIN_SYMBOL "warden_guard_plugin_v1"

#ifdef __cplusplus
}
#endif

#endif
