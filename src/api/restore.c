/* Restoring placeholders in an answer's texts. See restore.h. */
#include "api/restore.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "guard/placeholder.h"
#include "util/alloc.h"

/* One string through every map (last first); NULL if nothing changed. */
static char *restore_all(struct guard_placeholders *const *maps, size_t n_maps, const char *s, size_t len, size_t *outlen)
{
    char *cur = NULL;
    size_t cur_len = len;
    for (size_t m = n_maps; m-- > 0;) {
        size_t nl;
        char *next = guard_placeholders_restore(maps[m], cur ? cur : s, cur ? cur_len : len, &nl);
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
        char *r = restore_all(maps, n_maps, texts[i], lens[i], &rl);
        if (r == NULL)
            continue;
        if (memchr(texts[i], '{', lens[i]) && is_json(texts[i], lens[i]) && !is_json(r, rl)) {
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
