/* The canary placed in the upstream body. See canary.h. */
#include "api/canary.h"

#include <string.h>

#include "api/sse.h"
#include "api/texts.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Is the role literal json[s, e) "system" or "developer" once decoded? */
static int role_is_system(const char *json, size_t s, size_t e)
{
    struct util_buf b;
    util_buf_init(&b, 16);
    int yes = json[s] == '"' && sse_json_string_decode(json, s, e, &b) == 0 && b.data != NULL &&
              (strcmp(b.data, "system") == 0 || strcmp(b.data, "developer") == 0);
    util_buf_free(&b);
    return yes;
}

/* Appends s as the inside of a JSON string literal (no quotes). */
static void append_escaped(struct util_buf *b, const char *s, size_t n)
{
    struct util_buf lit;
    util_buf_init(&lit, SIZE_MAX);
    util_buf_append_json_string(&lit, s, n);
    util_buf_append(b, lit.data + 1, lit.len - 2);
    util_buf_free(&lit);
}

/* Where the note goes in the messages array j[0, n) and what is inserted there. */
static int place(const char *j, size_t n, const char *note, size_t note_len, size_t *at, struct util_buf *ins)
{
    struct sse_json_tape t = {0};
    if (n < 2 || j[0] != '[' || sse_json_tape_build(&t, j, n) != 0) {
        sse_json_tape_free(&t);
        return -1;
    }
    size_t pos = 0, es, ee;
    int placed = 0;
    while (!placed && sse_json_tape_array_next(&t, 0, &pos, &es, &ee)) {
        size_t mpos = 0, ks, ke, vs, ve, cs = 0, ce = 0;
        int system = 0;
        while (j[es] == '{' && sse_json_tape_object_next(&t, es, &mpos, &ks, &ke, &vs, &ve)) {
            if (sse_json_key_is(j, ks, ke, "role"))
                system = role_is_system(j, vs, ve);
            else if (sse_json_key_is(j, ks, ke, "content"))
                cs = vs, ce = ve;
        }
        if (!system || ce == 0)
            continue;
        if (j[cs] == '"') {
            *at = ce - 1; /* before the closing quote */
            util_buf_append(ins, "\\n\\n", 4);
            append_escaped(ins, note, note_len);
            placed = 1;
        } else if (j[cs] == '[') {
            size_t ap = 0, ps, pe;
            *at = ce - 1; /* before the closing bracket */
            if (sse_json_tape_array_next(&t, cs, &ap, &ps, &pe))
                util_buf_append(ins, ",", 1);
            util_buf_append(ins, "{\"type\":\"text\",\"text\":", 22);
            util_buf_append_json_string(ins, note, note_len);
            util_buf_append(ins, "}", 1);
            placed = 1;
        }
    }
    if (!placed) { /* a new first message (messages is never empty: intake refuses that) */
        *at = 1;
        util_buf_append(ins, "{\"role\":\"system\",\"content\":", 27);
        util_buf_append_json_string(ins, note, note_len);
        util_buf_append(ins, "},", 2);
    }
    sse_json_tape_free(&t);
    return 0;
}

char *api_canary_splice(const struct api_scan *sc, const char *json, size_t len, const char *model, const char *note,
                        size_t note_len, size_t *out_len)
{
    size_t ms = sc->messages.s, me = sc->messages.e, at;
    if (me == 0 || me > len || ms >= me)
        return NULL;
    struct util_buf ins, b;
    util_buf_init(&ins, SIZE_MAX);
    if (place(json + ms, me - ms, note, note_len, &at, &ins) != 0) {
        util_buf_free(&ins);
        return NULL;
    }
    at += ms;
    /* two edits that never overlap: the model value (a top-level member) and the insertion
     * inside messages, applied in text order */
    int with_model = model != NULL && sc->model.e != 0;
    size_t mod_s = with_model ? sc->model.s : len, mod_e = with_model ? sc->model.e : len;
    util_buf_init(&b, SIZE_MAX);
    if (mod_s < at) {
        util_buf_append(&b, json, mod_s);
        util_buf_append_json_string(&b, model, strlen(model));
        util_buf_append(&b, json + mod_e, at - mod_e);
        util_buf_append(&b, ins.data, ins.len);
        util_buf_append(&b, json + at, len - at);
    } else {
        util_buf_append(&b, json, at);
        util_buf_append(&b, ins.data, ins.len);
        util_buf_append(&b, json + at, mod_s - at);
        if (with_model) {
            util_buf_append_json_string(&b, model, strlen(model));
            util_buf_append(&b, json + mod_e, len - mod_e);
        }
    }
    util_buf_free(&ins);
    return util_buf_take(&b, out_len);
}
