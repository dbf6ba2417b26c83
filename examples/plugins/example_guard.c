/* Example Warden guardrail plugin: "shouting" and symbol-spam detection, and
 * masking of long digit runs (account or card numbers).
 *
 * Build: make build/plugins/example_guard.so
 *   (or: cc -shared -fPIC -O2 -Iinclude examples/plugins/example_guard.c -o example_guard.so)
 *
 * Config (the guard's "config" string), key=value pairs separated by commas,
 * semicolons or whitespace; every key is optional:
 *   max_upper_ratio=0.7     block if more than 70% of the ASCII letters are
 *                           uppercase (default: off)
 *   max_nonascii_ratio=0.5  block if more than half of the non-space
 *                           characters are non-ASCII (default: off)
 *   min_letters=20          ratios are only judged on texts with at least this
 *                           many letters / characters (default 20)
 *   mask_digits=1           rewrite runs of mask_min_digits or more digits as
 *                           '#' (default 0)
 *   mask_min_digits=9       (default 9)
 *
 * Thread safety: the state is written only in init; check reads it and keeps
 * everything else on its stack or in memory it returns. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warden/guard.h"

struct example_state {
    double max_upper;    /* < 0: off */
    double max_nonascii; /* < 0: off */
    size_t min_letters;
    int mask_digits;
    size_t mask_min;
};

static int parse_double(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || d < 0 || d > 1)
        return -1;
    *out = d;
    return 0;
}

static int parse_size(const char *v, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v || *end || *v == '-')
        return -1;
    *out = (size_t)n;
    return 0;
}

static int example_init(const char *config, void **state, char *err, size_t errsz)
{
    struct example_state *st = calloc(1, sizeof(*st));
    char *copy = strdup(config);
    if (!st || !copy) {
        snprintf(err, errsz, "out of memory");
        goto fail;
    }
    st->max_upper = -1;
    st->max_nonascii = -1;
    st->min_letters = 20;
    st->mask_min = 9;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",; \t\r\n", &save); tok; tok = strtok_r(NULL, ",; \t\r\n", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            snprintf(err, errsz, "expected key=value, got \"%s\"", tok);
            goto fail;
        }
        *eq = '\0';
        const char *k = tok, *v = eq + 1;
        size_t n;
        int rc;
        if (!strcmp(k, "max_upper_ratio"))
            rc = parse_double(v, &st->max_upper);
        else if (!strcmp(k, "max_nonascii_ratio"))
            rc = parse_double(v, &st->max_nonascii);
        else if (!strcmp(k, "min_letters"))
            rc = parse_size(v, &st->min_letters);
        else if (!strcmp(k, "mask_min_digits"))
            rc = parse_size(v, &st->mask_min) || st->mask_min == 0 ? -1 : 0;
        else if (!strcmp(k, "mask_digits"))
            rc = parse_size(v, &n) || n > 1 ? -1 : (st->mask_digits = (int)n, 0);
        else {
            snprintf(err, errsz, "unknown key \"%s\"", k);
            goto fail;
        }
        if (rc != 0) {
            snprintf(err, errsz, "bad value for %s: \"%s\"", k, v);
            goto fail;
        }
    }
    free(copy);
    *state = st;
    return 0;
fail:
    free(copy);
    free(st);
    return -1;
}

/* Why text i must be blocked (malloc'd), or NULL if it may pass. */
static char *judge(const struct example_state *st, size_t i, const unsigned char *s, size_t len)
{
    size_t letters = 0, upper = 0, chars = 0, nonascii = 0;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = s[k];
        if ((c & 0xC0) == 0x80)
            continue; /* UTF-8 continuation byte: counted with its lead byte */
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        chars++;
        if (c >= 0x80)
            nonascii++;
        else if (c >= 'A' && c <= 'Z')
            letters++, upper++;
        else if (c >= 'a' && c <= 'z')
            letters++;
    }
    char buf[160];
    if (st->max_upper >= 0 && letters >= st->min_letters && (double)upper > st->max_upper * (double)letters) {
        snprintf(buf, sizeof(buf), "text %zu: %.0f%% of letters are uppercase (limit %.0f%%)", i,
                 100.0 * (double)upper / (double)letters, 100.0 * st->max_upper);
        return strdup(buf);
    }
    if (st->max_nonascii >= 0 && chars >= st->min_letters && (double)nonascii > st->max_nonascii * (double)chars) {
        snprintf(buf, sizeof(buf), "text %zu: %.0f%% of characters are non-ASCII (limit %.0f%%)", i,
                 100.0 * (double)nonascii / (double)chars, 100.0 * st->max_nonascii);
        return strdup(buf);
    }
    return NULL;
}

/* A copy of s with long digit runs masked, or NULL if nothing changes. */
static char *mask(const struct example_state *st, const char *s, size_t len)
{
    char *out = NULL;
    size_t k = 0;
    while (k < len) {
        if (s[k] < '0' || s[k] > '9') {
            k++;
            continue;
        }
        size_t run = k;
        while (run < len && s[run] >= '0' && s[run] <= '9')
            run++;
        if (run - k >= st->mask_min) {
            if (!out) {
                out = malloc(len + 1);
                if (!out)
                    return NULL;
                memcpy(out, s, len);
                out[len] = '\0';
            }
            memset(out + k, '#', run - k);
        }
        k = run;
    }
    return out;
}

static int example_check(void *state, const struct warden_guard_input *in, struct warden_guard_output *out)
{
    const struct example_state *st = state;
    if (in->count > 0 && (!in->texts || !in->lens)) {
        out->reason = strdup("no texts");
        return WARDEN_GUARD_ERROR;
    }
    for (size_t i = 0; i < in->count; i++) {
        char *why = judge(st, i, (const unsigned char *)in->texts[i], in->lens[i]);
        if (why) {
            out->reason = why;
            return WARDEN_GUARD_BLOCK;
        }
    }
    if (!st->mask_digits)
        return WARDEN_GUARD_PASS;
    int changed = 0;
    for (size_t i = 0; i < in->count; i++) {
        char *m = mask(st, in->texts[i], in->lens[i]);
        if (!m)
            continue;
        if (!out->texts) {
            out->texts = calloc(in->count, sizeof(*out->texts));
            out->lens = calloc(in->count, sizeof(*out->lens));
            out->count = in->count;
            if (!out->texts || !out->lens) {
                free(m);
                out->reason = strdup("out of memory");
                return WARDEN_GUARD_ERROR;
            }
        }
        out->texts[i] = m;
        out->lens[i] = in->lens[i];
        changed = 1;
    }
    if (!changed)
        return WARDEN_GUARD_PASS;
    out->reason = strdup("masked long digit sequences");
    return WARDEN_GUARD_REWRITE;
}

static void example_free_output(void *state, struct warden_guard_output *out)
{
    if (out->texts)
        for (size_t i = 0; i < out->count; i++)
            free(out->texts[i]);
    free(out->texts);
    free(out->lens);
    free(out->reason);
}

static void example_destroy(void *state)
{
    free(state);
}

static const struct warden_guard_plugin example_plugin = {
    .abi_version = WARDEN_GUARD_ABI_VERSION,
    .name = "example_guard",
    .flags = WARDEN_GUARD_CPU_BOUND,
    .init = example_init,
    .check = example_check,
    .free_output = example_free_output,
    .destroy = example_destroy,
};

const struct warden_guard_plugin *warden_guard_plugin_v1(void)
{
    return &example_plugin;
}
