/* The texts guardrails look at, read straight from the raw JSON bytes of an
 * OpenAI-shaped request or answer, and the way rewritten texts are put back.
 *
 * One pass, no tree (api_scan_request / api_scan_answer):
 *   - validates (RFC 8259, UTF-8, escapes incl. surrogate pairs, nesting <= 256),
 *   - refuses an object with two members whose keys are equal after unescaping,
 *     at every level (the error names the key and its JSON path),
 *   - finds the routing fields (model, stream, ...) by their unescaped keys, so
 *     what Warden routes on is what any parser downstream reads,
 *   - collects every text of the guard-coverage contract (README, "What the
 *     guardrails read") with the byte span of its string literal, then the
 *     strings of fields outside the contract (unknown fields) and the free-form
 *     strings of known non-text fields (stop, user, metadata, schemas...).
 *     Vocabulary words in non-text positions ("user", "function", "object"...)
 *     and answer metadata (id, model, usage...) are the only strings not
 *     collected; model is replaced before the body goes upstream.
 *
 * A text points into the raw body when its literal has no escape (no copy), else
 * into the scan's arena. Everything lives until api_scan_free(); the raw body must
 * outlive the scan.
 *
 * Rewrites (api_scan_splice) copy the raw bytes and replace only the literals of
 * changed texts (JSON-escaped) and, optionally, the model value: a guarded
 * request is never re-serialised. */
#ifndef WARDEN_API_TEXTS_H
#define WARDEN_API_TEXTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Where a text comes from, which is also the order of the guard subject. */
enum api_text_class {
    API_TEXT_MESSAGE, /* chat: message texts; embeddings: inputs; answers: choice texts */
    API_TEXT_TOOL,    /* tool / function definitions (names, descriptions, parameter schemas) */
    API_TEXT_META,    /* free-form strings of known non-text fields (stop, user, response_format...) */
    API_TEXT_UNKNOWN, /* strings and keys of fields outside the contract */
    API_TEXT_VIEW,    /* views of the texts above that readers make (api_synth): joined parts, decoded arguments */
    API_TEXT_CLASSES
};

enum api_scan_shape { API_SCAN_CHAT, API_SCAN_EMBEDDINGS, API_SCAN_ANSWER };

struct api_span {
    size_t s, e; /* [s, e) in the raw body; s == 0 && e == 0: absent (a value never starts at byte 0) */
};

struct api_arena_block;

/* A synthetic text: a view of other texts that a reader gets and no literal holds. Its
 * lits entry is {0, 0}; the views come last in the subject (class API_TEXT_VIEW, the owner
 * of their sources), so a check that adds texts up (length) can leave them out. */
enum api_synth_kind {
    API_SYNTH_JOINED,  /* a message's (or choice's) text parts joined, as the provider joins them */
    API_SYNTH_DECODED, /* a text with its JSON escapes decoded once more (tool-call arguments; an answer's content) */
};

struct api_synth {
    size_t text;  /* its index in texts */
    size_t *src;  /* the indices of the texts it is made of, in order */
    size_t n_src;
    unsigned char kind; /* enum api_synth_kind */
};

struct api_scan {
    /* texts in subject order: message texts, tool texts, meta, unknown, views */
    const char **texts;
    size_t *lens;
    struct api_span *lits;   /* the string literal (quotes included) each text was read from */
    unsigned char *classes;  /* enum api_text_class */
    unsigned char *json_texts; /* 1: a text with a decoded view (API_SYNTH_DECODED), JSON that its reader decodes */
    uint32_t *owners;        /* message / input / choice index (tools: tool index) */
    size_t n;
    size_t n_by_class[API_TEXT_CLASSES];
    size_t n_messages; /* chat: messages; embeddings: input strings; answers: choices */

    /* routing fields (top level), found by unescaped key */
    struct api_span model, stream, messages, input, response_format, tools, functions;
    const char *model_name; /* decoded, NUL-terminated (NULL when model is absent or not a string) */
    size_t model_len;
    int stream_on;          /* "stream": true */
    char stream_type;       /* json type letter of the stream value ('t','f','n','"','0','[','{'), 0 absent */

    /* synthetic texts (see api_synth), in subject order */
    struct api_synth *synth;
    size_t n_synth;

    /* answers: each choice's message.tool_calls value */
    struct api_span *tool_calls;
    size_t n_tool_calls;

    /* findings */
    unsigned non_text : 1;    /* a content part that is not text (image, audio, file...) */
    unsigned token_input : 1; /* embeddings input given as tokens (numbers) */
    char unknown_path[128];   /* the first field outside the contract, "" if none */
    char non_text_path[128];  /* the first non-text part */
    long bad_message;         /* chat: index of the first malformed message, -1 if none */
    const char *bad_message_what; /* "role" or "content" */

    /* the error of a failed scan: code ("invalid_json" / "duplicate_key"), message */
    const char *err_code;
    char err[256];

    /* private */
    size_t cap;
    struct api_arena_block *arena;
};

/* Scans a request body (shape CHAT or EMBEDDINGS) or a chat completion answer. collect = 0
 * skips the texts (routing fields, validation and duplicates only: the unguarded path).
 * Returns 0, or -1 with err_code/err set. Always api_scan_free() afterwards. */
int api_scan(struct api_scan *s, const char *json, size_t len, enum api_scan_shape shape, int collect);
void api_scan_free(struct api_scan *s);

/* A copy of json with the literal of each text i with texts[i] != NULL replaced by that text
 * (JSON-escaped; invalid UTF-8 becomes U+FFFD), and the model value replaced by `model`
 * (when model != NULL and the scan found one). texts may be NULL. malloc'd, NUL-terminated.
 * A rewritten synthetic text is folded into its sources first: a joined text's change goes
 * to the parts it covers (their concatenation is then exactly the rewritten text); a
 * decoded view's change must be what the rewrite of its source decodes to, else NULL
 * (see api_scan_unspliceable). */
char *api_scan_splice(const struct api_scan *s, const char *json, size_t len, char *const *texts, const size_t *lens,
                      const char *model, size_t *out_len);

/* 1 (why set) if the rewrite texts cannot be spliced: it changes a decoded view (a match
 * made of JSON escapes inside tool-call arguments) in a way no rewrite of the literal gives.
 * The caller then blocks: what a guard cannot redact in place does not go through. */
int api_scan_unspliceable(const struct api_scan *s, char *const *texts, const size_t *lens, size_t n, char *why,
                          size_t why_size);

/* Texts i whose replacement differs from the scanned text (how many), as api_scan_splice would apply. */
size_t api_scan_changed(const struct api_scan *s, char *const *texts, const size_t *lens, size_t n);

/* The tool definitions (request) or every choice's tool_calls concatenated (answer) as a
 * jansson array for the `tools` guard type, parsed from just those spans; NULL if none. */
json_t *api_scan_tools_json(const struct api_scan *s, const char *json);

/* A chat completion object assembled from a collected SSE stream (the text of
 * choices[0].delta.content pieces); the caller owns the result. */
json_t *api_texts_answer_from_sse(const char *sse, size_t len);

#endif
