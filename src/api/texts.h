/* The texts guardrails look at, pulled out of OpenAI-shaped JSON, and the
 * way rewritten texts are put back.
 *
 * A text set borrows the string values of a jansson tree (no copies) and
 * remembers the node each came from, so a rewrite is json_string_setn() on
 * that node. The set is valid while the tree is alive and unchanged. */
#ifndef WARDEN_API_TEXTS_H
#define WARDEN_API_TEXTS_H

#include <jansson.h>
#include <stddef.h>

/* Every text is collected, however many there are: a guardrail that looked at
 * only the first N would be trivially bypassed. Release with api_texts_free(). */
struct api_texts {
    const char **texts;
    size_t *lens;
    json_t **nodes;
    size_t n, cap;
    size_t n_messages;
    json_t *tools; /* borrowed: request "tools" or answer "tool_calls"; may be NULL */
};

/* Chat request: each message's content (string or the text parts); embeddings: input strings. */
void api_texts_from_request(struct api_texts *t, json_t *body);
/* Chat answer: choices[*].message.content, and choices[0].message.tool_calls. */
void api_texts_from_answer(struct api_texts *t, json_t *answer);
void api_texts_free(struct api_texts *t);
/* Writes rewritten texts back (NULL entries unchanged). Returns how many changed. */
size_t api_texts_apply(struct api_texts *t, char **texts, const size_t *lens);

/* A chat completion object assembled from a collected SSE stream (the text of
 * choices[0].delta.content pieces); the caller owns the result. */
json_t *api_texts_answer_from_sse(const char *sse, size_t len);

#endif
