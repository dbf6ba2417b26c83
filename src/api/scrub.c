/* Secret scrubbing of relayed upstream errors; the contract is in scrub.h. */
#include "api/scrub.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"

struct api_scrub {
    char **secrets;
    size_t *lens;
    size_t n, cap;
};

static void add_secret(struct api_scrub *s, const char *v, size_t len)
{
    if (v == NULL || len < API_SCRUB_MIN_LEN)
        return;
    for (size_t i = 0; i < s->n; i++)
        if (s->lens[i] == len && memcmp(s->secrets[i], v, len) == 0)
            return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->secrets = util_realloc(s->secrets, s->cap * sizeof(*s->secrets));
        s->lens = util_realloc(s->lens, s->cap * sizeof(*s->lens));
    }
    s->secrets[s->n] = util_strndup(v, len);
    s->lens[s->n] = len;
    s->n++;
}

/* The secret as it appears inside a JSON string, when that differs from the raw bytes. */
static void add_secret_forms(struct api_scrub *s, const char *v)
{
    if (v == NULL)
        return;
    size_t len = strlen(v);
    add_secret(s, v, len);
    struct util_buf esc;
    util_buf_init(&esc, 6 * len + 3);
    if (util_buf_append_json_string(&esc, v, len) == 0 && esc.len >= 2 &&
        (esc.len - 2 != len || memcmp(esc.data + 1, v, len) != 0))
        add_secret(s, esc.data + 1, esc.len - 2);
    util_buf_free(&esc);
    /* "/" may also be written "\/" */
    if (strchr(v, '/') != NULL) {
        struct util_buf slash;
        util_buf_init(&slash, 2 * len + 1);
        for (size_t i = 0; i < len; i++)
            util_buf_append(&slash, v[i] == '/' ? "\\/" : &v[i], v[i] == '/' ? 2 : 1);
        add_secret(s, slash.data, slash.len);
        util_buf_free(&slash);
    }
}

static int name_has(const char *name, const char *part)
{
    return strcasestr(name, part) != NULL;
}

static int header_is_credential(const char *name)
{
    return name_has(name, "auth") || name_has(name, "key") || name_has(name, "token") || name_has(name, "secret") ||
           name_has(name, "password") || name_has(name, "cookie");
}

static void add_header_secrets(struct api_scrub *s, const struct config_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (kv[i].name == NULL || kv[i].value == NULL || !header_is_credential(kv[i].name))
            continue;
        add_secret_forms(s, kv[i].value);
        const char *sp = strchr(kv[i].value, ' '); /* "Bearer X", "Basic X": the credential alone too */
        if (sp != NULL) {
            while (*sp == ' ')
                sp++;
            add_secret_forms(s, sp);
        }
    }
}

struct api_scrub *api_scrub_create(const struct config *cfg)
{
    struct api_scrub *s = util_calloc(1, sizeof(*s));
    for (size_t i = 0; i < cfg->n_providers; i++) {
        add_secret_forms(s, cfg->providers[i].api_key);
        add_header_secrets(s, cfg->providers[i].headers, cfg->providers[i].n_headers);
    }
    for (size_t i = 0; i < cfg->n_guardrails; i++)
        add_header_secrets(s, cfg->guardrails[i].headers, cfg->guardrails[i].n_headers);
    for (size_t i = 0; i < cfg->n_api_keys; i++)
        add_secret_forms(s, cfg->api_keys[i].key);
    return s;
}

void api_scrub_destroy(struct api_scrub *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        memset(s->secrets[i], 0, s->lens[i]);
        free(s->secrets[i]);
    }
    free(s->secrets);
    free(s->lens);
    free(s);
}

/* Replaces one secret everywhere in b; returns the count. */
static size_t scrub_one(struct util_buf *b, const char *secret, size_t slen)
{
    if (b->data == NULL || b->len < slen || memmem(b->data, b->len, secret, slen) == NULL)
        return 0;
    struct util_buf out;
    util_buf_init(&out, SIZE_MAX); /* the mask may be longer than the secret; the limit is restored below */
    size_t count = 0;
    const char *p = b->data, *end = b->data + b->len;
    const char *hit;
    while ((hit = memmem(p, (size_t)(end - p), secret, slen)) != NULL) {
        util_buf_append(&out, p, (size_t)(hit - p));
        util_buf_append(&out, API_SCRUB_MASK, sizeof(API_SCRUB_MASK) - 1);
        p = hit + slen;
        count++;
    }
    util_buf_append(&out, p, (size_t)(end - p));
    size_t limit = b->limit;
    util_buf_free(b);
    *b = out;
    b->limit = limit > b->len ? limit : b->len;
    return count;
}

size_t api_scrub_buf(const struct api_scrub *s, struct util_buf *b)
{
    if (s == NULL)
        return 0;
    size_t count = 0;
    /* longest first would matter only for nested secrets; they are few, so simply loop */
    for (size_t i = 0; i < s->n; i++)
        count += scrub_one(b, s->secrets[i], s->lens[i]);
    return count;
}

size_t api_scrub_text(const struct api_scrub *s, char *text, size_t cap)
{
    if (s == NULL || cap == 0)
        return 0;
    struct util_buf b;
    util_buf_init(&b, SIZE_MAX);
    util_buf_append(&b, text, strnlen(text, cap - 1));
    size_t count = api_scrub_buf(s, &b);
    if (count > 0) {
        size_t n = b.len < cap - 1 ? b.len : cap - 1;
        memcpy(text, b.data, n);
        text[n] = '\0';
    }
    util_buf_free(&b);
    return count;
}
