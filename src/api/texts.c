#include "api/texts.h"

#include <string.h>

static void add(struct api_texts *t, json_t *node)
{
    if (t->n >= API_TEXTS_MAX || !json_is_string(node))
        return;
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
