/* Restoring placeholders in an answer's texts. See restore.h. */
#include "api/restore.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "guard/placeholder.h"
#include "util/alloc.h"
#include "util/buf.h"

#define RESTORED_MAX (4 * 1024 * 1024) /* one piece restored (an SSE event's text is at most 1 MiB) */

/* One string through every map (last first); NULL if nothing changed. json: originals go in
 * escaped for the inside of a JSON string. */
static char *restore_all(struct guard_placeholders *const *maps, size_t n_maps, const char *s, size_t len, int json,
                         size_t *outlen)
{
    char *cur = NULL;
    size_t cur_len = len;
    for (size_t m = n_maps; m-- > 0;) {
        size_t nl;
        char *next = json ? guard_placeholders_restore_json(maps[m], cur ? cur : s, cur ? cur_len : len, &nl)
                          : guard_placeholders_restore(maps[m], cur ? cur : s, cur ? cur_len : len, &nl);
        if (next != NULL) {
            free(cur);
            cur = next;
            cur_len = nl;
        }
    }
    *outlen = cur_len;
    return cur;
}

static int is_json(const char *s, size_t len)
{
    json_t *j = json_loadb(s, len, JSON_DECODE_ANY, NULL);
    json_decref(j);
    return j != NULL;
}

size_t api_restore_texts(struct guard_placeholders *const *maps, size_t n_maps, const char *const *texts, const size_t *lens,
                         size_t n, char ***out, size_t **out_lens)
{
    *out = NULL;
    *out_lens = NULL;
    size_t changed = 0;
    for (size_t i = 0; i < n && n_maps > 0; i++) {
        size_t rl;
        /* a JSON text (tool-call arguments): an original goes into a string, escaped, and may not break it */
        int json = memchr(texts[i], '{', lens[i]) && is_json(texts[i], lens[i]);
        char *r = restore_all(maps, n_maps, texts[i], lens[i], json, &rl);
        if (r == NULL)
            continue;
        if (json && !is_json(r, rl)) {
            free(r);
            continue;
        }
        if (*out == NULL) {
            *out = util_calloc(n, sizeof(**out));
            *out_lens = util_calloc(n, sizeof(**out_lens));
        }
        (*out)[i] = r;
        (*out_lens)[i] = rl;
        changed++;
    }
    return changed;
}

void api_restore_free(char **texts, size_t *lens, size_t n)
{
    for (size_t i = 0; texts && i < n; i++)
        free(texts[i]);
    free(texts);
    free(lens);
}

struct api_restorer {
    struct guard_restorer **chain; /* the last map's first */
    size_t n;
    struct util_buf out[2]; /* one per step, alternating */
};

struct api_restorer *api_restorer_new(struct guard_placeholders *const *maps, size_t n_maps, int json)
{
    struct api_restorer *r = util_calloc(1, sizeof(*r));
    r->n = n_maps;
    r->chain = util_calloc(n_maps ? n_maps : 1, sizeof(*r->chain));
    for (size_t m = 0; m < n_maps; m++) {
        const struct guard_placeholders *map = maps[n_maps - 1 - m];
        r->chain[m] = json ? guard_restorer_new_json(map) : guard_restorer_new(map);
    }
    util_buf_init(&r->out[0], RESTORED_MAX);
    util_buf_init(&r->out[1], RESTORED_MAX);
    return r;
}

int api_restorer_feed(struct api_restorer *r, const char *text, size_t len, int final, const char **out, size_t *out_len)
{
    for (size_t m = 0; m < r->n; m++) {
        struct util_buf *b = &r->out[m & 1];
        util_buf_reset(b);
        if (guard_restorer_feed(r->chain[m], text, len, b) != 0 || (final && guard_restorer_finish(r->chain[m], b) != 0))
            return -1;
        text = b->data ? b->data : "";
        len = b->len;
    }
    *out = text;
    *out_len = len;
    return 0;
}

size_t api_restorer_pending(const struct api_restorer *r)
{
    size_t held = 0;
    for (size_t m = 0; r != NULL && m < r->n; m++)
        held += guard_restorer_pending(r->chain[m]);
    return held;
}

void api_restorer_free(struct api_restorer *r)
{
    if (r == NULL)
        return;
    for (size_t m = 0; m < r->n; m++)
        guard_restorer_free(r->chain[m]);
    free(r->chain);
    util_buf_free(&r->out[0]);
    util_buf_free(&r->out[1]);
    free(r);
}
