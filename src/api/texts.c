#include "api/texts.h"

#include <stdlib.h>
#include <string.h>

#include "api/sse.h"
#include "util/alloc.h"
#include "util/buf.h"

void api_texts_free(struct api_texts *t)
{
    free(t->texts);
    free(t->lens);
    free(t->nodes);
    memset(t, 0, sizeof(*t));
}

static void add(struct api_texts *t, json_t *node)
{
    if (!json_is_string(node))
        return;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->texts = util_realloc(t->texts, t->cap * sizeof(*t->texts));
        t->lens = util_realloc(t->lens, t->cap * sizeof(*t->lens));
        t->nodes = util_realloc(t->nodes, t->cap * sizeof(*t->nodes));
    }
    t->texts[t->n] = json_string_value(node);
    t->lens[t->n] = json_string_length(node);
    t->nodes[t->n] = node;
    t->n++;
}

static void add_content(struct api_texts *t, json_t *content)
{
    if (json_is_string(content)) {
        add(t, content);
    } else if (json_is_array(content)) {
        size_t i;
        json_t *part;
        json_array_foreach(content, i, part)
        {
            const char *type = json_string_value(json_object_get(part, "type"));
            if (type != NULL && strcmp(type, "text") == 0)
                add(t, json_object_get(part, "text"));
        }
    }
}

void api_texts_from_request(struct api_texts *t, json_t *body)
{
    memset(t, 0, sizeof(*t));
    json_t *msgs = json_object_get(body, "messages");
    if (json_is_array(msgs)) {
        size_t i;
        json_t *m;
        t->n_messages = json_array_size(msgs);
        json_array_foreach(msgs, i, m) add_content(t, json_object_get(m, "content"));
        t->tools = json_object_get(body, "tools");
        return;
    }
    json_t *in = json_object_get(body, "input"); /* embeddings */
    if (json_is_string(in)) {
        add(t, in);
    } else if (json_is_array(in)) {
        size_t i;
        json_t *x;
        json_array_foreach(in, i, x) add(t, x);
    }
    t->n_messages = t->n;
}

void api_texts_from_answer(struct api_texts *t, json_t *answer)
{
    memset(t, 0, sizeof(*t));
    json_t *choices = json_object_get(answer, "choices");
    size_t i;
    json_t *c;
    json_array_foreach(choices, i, c)
    {
        json_t *msg = json_object_get(c, "message");
        add_content(t, json_object_get(msg, "content"));
        if (i == 0)
            t->tools = json_object_get(msg, "tool_calls");
    }
    t->n_messages = t->n;
}

size_t api_texts_apply(struct api_texts *t, char **texts, const size_t *lens)
{
    size_t changed = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (texts[i] == NULL)
            continue;
        if (lens[i] == t->lens[i] && memcmp(texts[i], t->texts[i], lens[i]) == 0)
            continue;
        if (json_string_setn(t->nodes[i], texts[i], lens[i]) != 0)
            json_string_setn_nocheck(t->nodes[i], texts[i], lens[i]);
        t->texts[i] = json_string_value(t->nodes[i]);
        t->lens[i] = json_string_length(t->nodes[i]);
        changed++;
    }
    return changed;
}

static int collect_delta(void *ud, const char *data, size_t len)
{
    struct util_buf *text = ud;
    json_error_t je;
    json_t *ev = json_loadb(data, len, 0, &je);
    json_t *c = json_object_get(json_object_get(json_array_get(json_object_get(ev, "choices"), 0), "delta"), "content");
    if (json_is_string(c))
        util_buf_append(text, json_string_value(c), json_string_length(c));
    json_decref(ev);
    return 0;
}

json_t *api_texts_answer_from_sse(const char *sse, size_t len)
{
    struct sse_parser p;
    struct util_buf text;
    sse_parser_init(&p, 1024 * 1024);
    util_buf_init(&text, 64 * 1024 * 1024);
    sse_parser_feed(&p, sse, len, collect_delta, &text);
    json_t *a = json_pack("{s:s, s:[{s:i, s:{s:s, s:s%}}]}", "object", "chat.completion", "choices", "index", 0, "message", "role",
                          "assistant", "content", text.data ? text.data : "", text.len);
    sse_parser_free(&p);
    util_buf_free(&text);
    return a;
}
