/* Restoring placeholders in an answer. See restore.h. */
#include "api/restore.h"

#include <stdlib.h>
#include <string.h>

#include "api/texts.h"
#include "guard/placeholder.h"

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

size_t api_restore_answer(json_t *answer, struct guard_placeholders *const *maps, size_t n_maps)
{
    size_t changed = 0;
    if (answer == NULL || n_maps == 0)
        return 0;
    struct api_texts t;
    api_texts_from_answer(&t, answer);
    char **texts = calloc(t.n ? t.n : 1, sizeof(*texts));
    size_t *lens = calloc(t.n ? t.n : 1, sizeof(*lens));
    for (size_t i = 0; texts && lens && i < t.n; i++)
        texts[i] = restore_all(maps, n_maps, t.texts[i], t.lens[i], &lens[i]);
    if (texts && lens)
        changed += api_texts_apply(&t, texts, lens);
    for (size_t i = 0; texts && i < t.n; i++)
        free(texts[i]);
    free(texts);
    free(lens);
    /* tool calls: the arguments are JSON text; restore only if it stays JSON */
    size_t k;
    json_t *call;
    json_array_foreach(t.tools, k, call)
    {
        json_t *args = json_object_get(json_object_get(call, "function"), "arguments");
        if (!json_is_string(args))
            continue;
        size_t nl;
        char *r = restore_all(maps, n_maps, json_string_value(args), json_string_length(args), &nl);
        if (r == NULL)
            continue;
        json_t *check = json_loadb(r, nl, JSON_DECODE_ANY, NULL);
        if (check != NULL && json_string_setn(args, r, nl) == 0)
            changed++;
        json_decref(check);
        free(r);
    }
    api_texts_free(&t);
    return changed;
}
