/* The request / answer scanner (see texts.h for the contract).
 *
 * A recursive descent over the raw bytes, one function per JSON value, that
 * carries a context: where in the OpenAI shape the value sits (a message, a
 * content part, a tool definition, the answer's choices...). The context decides
 * what a string is (a contract text, a free-form meta string, an unknown field,
 * metadata that is not collected) and the context of each child.
 *
 * Duplicate keys: each object's keys (decoded when escaped) sit on a stack while
 * the object is open. An object compares a new key with its own keys linearly up
 * to SMALL_OBJECT members, then through a hash table shared by the whole scan
 * (entries tagged with the object's serial), so a huge object costs O(n).
 *
 * Memory: the item vector while scanning, then one block for the subject arrays;
 * decoded strings (those with escapes) in an arena of blocks freed together. */
#include "api/texts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_span.h"
#include "api/sse.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json_text.h"

#define SCAN_MAX_DEPTH 256
#define SMALL_OBJECT 16
#define ARENA_BLOCK 4096

struct api_arena_block {
    struct api_arena_block *next;
    size_t used, cap;
    char data[];
};

static char *arena_alloc(struct api_scan *s, size_t n)
{
    struct api_arena_block *b = s->arena;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = util_malloc(sizeof(*b) + cap);
        b->cap = cap;
        b->used = 0;
        b->next = s->arena;
        s->arena = b;
    }
    char *p = b->data + b->used;
    b->used += n;
    return p;
}

/* What a value is, by where it sits. */
enum ctx {
    X_SKIP,  /* validated only: answer metadata, non-text payloads, routing values */
    X_ALL,   /* every string and key is a text of the given class */
    X_VOCAB, /* every string and key but vocabulary words */
    X_TEXT,  /* a contract text: a string (anything else is read as X_ALL) */
    X_CHAT_ROOT,
    X_EMB_ROOT,
    X_ANSWER_ROOT,
    X_MESSAGES,
    X_MESSAGE,
    X_CONTENT,
    X_PART,
    X_TOOL_CALLS,
    X_TOOL_CALL,
    X_FUNC_CALL,
    X_ARGS, /* tool-call / function-call arguments: a text a client decodes once more as JSON */
    X_TOOLS,
    X_TOOL,
    X_FUNC_DEFS,
    X_FUNC_DEF,
    X_EMB_INPUT,
    X_EMB_ITEM,
    X_EMB_TOKENS,
    X_CHOICES,
    X_CHOICE,
};

struct item {
    const char *p;
    size_t len;
    size_t s, e;
    uint32_t owner;
    unsigned char cls;
};

/* A synthetic text: what a reader gets by joining texts or decoding one further. */
struct synth_item {
    size_t item;             /* the synthetic text's item */
    size_t first, end;       /* its sources: items [first, end) of class API_TEXT_MESSAGE */
    unsigned char kind;      /* enum api_synth_kind */
};

struct key {
    const char *p;
    size_t len;
    uint32_t hash;
};

struct seg {
    const char *key; /* NULL: an array index */
    size_t len;      /* key length, or the index */
};

struct scanner {
    struct api_scan *out;
    const char *s, *p, *e;
    enum api_scan_shape shape;
    int collect;
    const char *msg; /* syntax error */
    struct item *items;
    size_t n_items, cap_items;
    struct synth_item *synth;
    size_t n_synth, cap_synth;
    struct key *keys;
    size_t n_keys, cap_keys;
    struct {
        uint32_t serial, idx;
    } *tab;
    size_t tab_cap, tab_n;
    uint32_t serial;
    uint32_t owner;
    struct key keys_inline[64]; /* most bodies have fewer open keys than this: no allocation */
    struct seg path[SCAN_MAX_DEPTH + 2]; /* written before read: never cleared */
};

/* ---- vocabulary: words that may sit in non-text positions without being checked ---- */

static const char *const vocab[] = {
    "system", "user", "assistant", "tool", "function", "developer", "text", "input_text", "output_text", "refusal",
    "image_url", "input_audio", "input_image", "input_file", "file", "audio", "auto", "low", "high", "none", "required",
    "json_object", "json_schema", "object", "string", "number", "integer", "boolean", "array", "null", "minimal", "medium",
    "default", "flex", "priority", "scale", "float", "base64", "wav", "mp3", "ephemeral", "content", "type", "name",
    "description", "parameters", "properties", "items", "enum", "additionalProperties", "strict", "schema", "format",
    "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern", "anyOf", "oneOf", "allOf", "$ref",
    "$defs", "definitions", "const", "title", "nullable", "include_usage", "token", "logprob", "bytes", "top_logprobs",
    "role", "id", "index", "url", "detail", "voice", "arguments", "tool_calls", "function_call", "reasoning", "data",
    "date-time", "date", "time", "email", "uri", "uuid", "custom", "grammar", "lark", "regex", "tokens", "text_offset",
};

static int is_vocab(const char *p, size_t n)
{
    for (size_t i = 0; i < sizeof(vocab) / sizeof(vocab[0]); i++)
        if (vocab[i][0] == p[0] && strlen(vocab[i]) == n && memcmp(vocab[i], p, n) == 0)
            return 1;
    return 0;
}

#define KEQ(lit) (kl == sizeof(lit) - 1 && memcmp(k, lit, sizeof(lit) - 1) == 0)

/* ---- errors and paths ---- */

static int fail(struct scanner *st, const char *msg)
{
    if (st->msg == NULL)
        st->msg = msg;
    return -1;
}

/* Writes the JSON path of the value at depth d (segments 1..d) into buf. */
static void path_render(const struct scanner *st, int d, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 1; i <= d && o + 1 < size; i++) {
        int k;
        if (st->path[i].key != NULL)
            k = snprintf(buf + o, size - o, "%s%.*s", o ? "." : "", (int)(st->path[i].len > 40 ? 40 : st->path[i].len),
                         st->path[i].key);
        else
            k = snprintf(buf + o, size - o, "[%zu]", st->path[i].len);
        if (k < 0)
            break;
        o += (size_t)k;
        if (o >= size)
            o = size - 1;
    }
}

/* ---- texts ---- */

static void push_text(struct scanner *st, const char *p, size_t len, const char *ls, const char *le, int cls)
{
    if (st->n_items == st->cap_items) {
        st->cap_items = st->cap_items ? st->cap_items * 2 : 32;
        st->items = util_realloc(st->items, st->cap_items * sizeof(*st->items));
    }
    struct item *it = &st->items[st->n_items++];
    it->p = p;
    it->len = len;
    it->s = (size_t)(ls - st->s);
    it->e = (size_t)(le - st->s);
    it->owner = st->owner;
    it->cls = (unsigned char)cls;
}

/* The string literal at st->p: validated; *out and *len its decoded text when decode is set
 * (pointing into the body without escapes, else into the arena). */
static int read_string(struct scanner *st, int decode, const char **out, size_t *len)
{
    int escaped = 0;
    const char *msg = NULL;
    const char *start = st->p;
    const char *end = json_span_string_end(st->p, st->e, &escaped, &msg);
    st->p = end;
    if (msg != NULL)
        return fail(st, msg);
    if (!decode)
        return 0;
    size_t raw = (size_t)(end - start) - 2;
    if (!escaped) {
        *out = start + 1;
        *len = raw;
        return 0;
    }
    char *d = arena_alloc(st->out, raw + 1);
    *len = json_span_unescape(start + 1, raw, d);
    d[*len] = '\0';
    *out = d;
    return 0;
}

static void ws(struct scanner *st)
{
    while (st->p < st->e && (*st->p == ' ' || *st->p == '\t' || *st->p == '\n' || *st->p == '\r'))
        st->p++;
}

/* ---- duplicate keys ---- */

static uint32_t key_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static void tab_insert(struct scanner *st, uint32_t serial, uint32_t idx);

static void tab_grow(struct scanner *st)
{
    size_t old_cap = st->tab_cap;
    __typeof__(st->tab) old = st->tab;
    st->tab_cap = old_cap ? old_cap * 2 : 64;
    st->tab = util_calloc(st->tab_cap, sizeof(*st->tab));
    st->tab_n = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].serial != 0 && old[i].idx < st->n_keys)
            tab_insert(st, old[i].serial, old[i].idx);
    free(old);
}

static size_t tab_slot(const struct scanner *st, uint32_t serial, uint32_t hash)
{
    return (size_t)((hash ^ (serial * 0x9E3779B9u)) & (st->tab_cap - 1));
}

static void tab_insert(struct scanner *st, uint32_t serial, uint32_t idx)
{
    if ((st->tab_n + 1) * 2 > st->tab_cap)
        tab_grow(st);
    size_t i = tab_slot(st, serial, st->keys[idx].hash);
    while (st->tab[i].serial != 0)
        i = (i + 1) & (st->tab_cap - 1);
    st->tab[i].serial = serial;
    st->tab[i].idx = idx;
    st->tab_n++;
}

/* 1 if the key is already a member of the open object (keys [base, n_keys), serial). */
static int key_seen(struct scanner *st, size_t base, uint32_t serial, int *hashed, const char *k, size_t kl)
{
    size_t n = st->n_keys - base;
    if (n < SMALL_OBJECT) {
        for (size_t i = base; i < st->n_keys; i++)
            if (st->keys[i].len == kl && memcmp(st->keys[i].p, k, kl) == 0)
                return 1;
        return 0;
    }
    if (!*hashed) {
        for (size_t i = base; i < st->n_keys; i++) {
            st->keys[i].hash = key_hash(st->keys[i].p, st->keys[i].len);
            tab_insert(st, serial, (uint32_t)i);
        }
        *hashed = 1;
    }
    uint32_t h = key_hash(k, kl);
    for (size_t i = tab_slot(st, serial, h); st->tab[i].serial != 0; i = (i + 1) & (st->tab_cap - 1)) {
        const struct key *o = &st->keys[st->tab[i].idx];
        if (st->tab[i].serial == serial && st->tab[i].idx >= base && st->tab[i].idx < st->n_keys && o->hash == h &&
            o->len == kl && memcmp(o->p, k, kl) == 0)
            return 1;
    }
    return 0;
}

static void key_push(struct scanner *st, const char *k, size_t kl, uint32_t serial, int hashed)
{
    if (st->n_keys == st->cap_keys) {
        st->cap_keys *= 2;
        if (st->keys == st->keys_inline) {
            st->keys = util_malloc(st->cap_keys * sizeof(*st->keys));
            memcpy(st->keys, st->keys_inline, sizeof(st->keys_inline));
        } else {
            st->keys = util_realloc(st->keys, st->cap_keys * sizeof(*st->keys));
        }
    }
    struct key *key = &st->keys[st->n_keys++];
    key->p = k;
    key->len = kl;
    key->hash = 0;
    if (hashed) {
        key->hash = key_hash(k, kl);
        tab_insert(st, serial, (uint32_t)(st->n_keys - 1));
    }
}

/* ---- what each member is ---- */

/* Routing members of the request root, recorded by span. */
enum route { ROUTE_NONE, ROUTE_MODEL, ROUTE_STREAM, ROUTE_MESSAGES, ROUTE_INPUT, ROUTE_RESPONSE_FORMAT, ROUTE_TOOLS, ROUTE_FUNCTIONS };

/* Known top-level chat parameters that carry no contract text: their free-form strings are meta. */
static int chat_meta_key(const char *k, size_t kl)
{
    static const char *const keys[] = {
        "tool_choice", "function_call", "stop", "user", "metadata", "stream_options", "logit_bias", "temperature", "top_p",
        "n", "max_tokens", "max_completion_tokens", "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs",
        "seed", "parallel_tool_calls", "store", "service_tier", "reasoning_effort", "modalities", "audio", "prediction",
        "verbosity", "web_search_options", "safety_identifier", "prompt_cache_key",
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strlen(keys[i]) == kl && memcmp(keys[i], k, kl) == 0)
            return 1;
    return 0;
}

/* The context of member k of an object in context c; *cls the class of its texts,
 * *route the routing field it is. Returns -1 for a member outside the contract. */
static int member_ctx(const struct scanner *st, enum ctx c, const char *k, size_t kl, int *cls, enum route *route)
{
    int answer = st->shape == API_SCAN_ANSWER;
    switch (c) {
    case X_CHAT_ROOT:
        *cls = API_TEXT_MESSAGE;
        if (KEQ("model"))
            return *route = ROUTE_MODEL, X_SKIP;
        if (KEQ("messages"))
            return *route = ROUTE_MESSAGES, X_MESSAGES;
        if (KEQ("stream"))
            return *route = ROUTE_STREAM, X_SKIP;
        if (KEQ("tools"))
            return *route = ROUTE_TOOLS, *cls = API_TEXT_TOOL, X_TOOLS;
        if (KEQ("functions"))
            return *route = ROUTE_FUNCTIONS, *cls = API_TEXT_TOOL, X_FUNC_DEFS;
        if (KEQ("response_format"))
            return *route = ROUTE_RESPONSE_FORMAT, *cls = API_TEXT_META, X_VOCAB;
        if (chat_meta_key(k, kl))
            return *cls = API_TEXT_META, X_VOCAB;
        return -1;
    case X_EMB_ROOT:
        *cls = API_TEXT_MESSAGE;
        if (KEQ("model"))
            return *route = ROUTE_MODEL, X_SKIP;
        if (KEQ("input"))
            return *route = ROUTE_INPUT, X_EMB_INPUT;
        if (KEQ("encoding_format") || KEQ("dimensions") || KEQ("user"))
            return *cls = API_TEXT_META, X_VOCAB;
        return -1;
    case X_ANSWER_ROOT:
        if (KEQ("choices"))
            return X_CHOICES;
        if (KEQ("id") || KEQ("object") || KEQ("created") || KEQ("model") || KEQ("system_fingerprint") || KEQ("service_tier") ||
            KEQ("usage") || KEQ("prompt_filter_results") || KEQ("content_filter_results"))
            return X_SKIP;
        return -1;
    case X_CHOICE:
        if (KEQ("message") || KEQ("delta"))
            return X_MESSAGE;
        if (KEQ("text"))
            return X_TEXT;
        if (KEQ("logprobs"))
            return X_VOCAB;
        if (KEQ("index") || KEQ("finish_reason") || KEQ("stop_reason") || KEQ("content_filter_results"))
            return X_SKIP;
        return -1;
    case X_MESSAGE:
        if (KEQ("content") || KEQ("reasoning"))
            return X_CONTENT;
        if (KEQ("name") || KEQ("refusal") || KEQ("reasoning_content"))
            return X_TEXT;
        if (KEQ("tool_calls"))
            return X_TOOL_CALLS;
        if (KEQ("function_call"))
            return X_FUNC_CALL;
        if (KEQ("role"))
            return answer ? X_SKIP : (*cls = API_TEXT_META, X_VOCAB);
        if (KEQ("tool_call_id") || KEQ("audio"))
            return *cls = API_TEXT_META, X_VOCAB;
        return -1;
    case X_PART:
        if (KEQ("text") || KEQ("refusal"))
            return X_TEXT;
        if (KEQ("type") || KEQ("cache_control"))
            return *cls = API_TEXT_META, X_VOCAB;
        return -1;
    case X_TOOL_CALL:
        if (KEQ("function"))
            return X_FUNC_CALL;
        if (KEQ("id") || KEQ("type") || KEQ("index"))
            return answer ? X_SKIP : (*cls = API_TEXT_META, X_VOCAB);
        return -1;
    case X_FUNC_CALL:
        if (KEQ("arguments"))
            return X_ARGS;
        if (KEQ("name"))
            return X_TEXT;
        return -1;
    case X_TOOL:
        if (KEQ("function"))
            return X_FUNC_DEF;
        if (KEQ("type"))
            return X_VOCAB;
        return -1;
    case X_FUNC_DEF:
        if (KEQ("name") || KEQ("description"))
            return X_TEXT;
        if (KEQ("parameters") || KEQ("strict"))
            return X_VOCAB;
        return -1;
    default:
        return -1;
    }
}

/* Content-part members whose value is not text (images, audio, files): not collected. */
static int non_text_payload(const char *k, size_t kl)
{
    return KEQ("image_url") || KEQ("input_audio") || KEQ("file") || KEQ("image") || KEQ("audio") || KEQ("video_url") ||
           KEQ("input_image") || KEQ("input_file") || KEQ("image_file");
}

/* ---- synthetic texts ----
 *
 * Two readers see more than the literals: a provider joins a message's text parts
 * into one text (a secret split across parts is whole for the model), and a client
 * or a tool parses tool-call arguments as JSON (an escape inside them, "s\\u006b-",
 * decodes to what a pattern looks for). Each such view is given to the guards as a
 * text without a span; api_scan_splice maps a rewrite of a joined text back onto its
 * parts, and refuses a rewrite of a decoded view that the source's own rewrite does
 * not produce (api_scan_unspliceable). */

static void push_synth(struct scanner *st, const char *p, size_t len, size_t first, size_t end, int kind)
{
    if (st->n_synth == st->cap_synth) {
        st->cap_synth = st->cap_synth ? st->cap_synth * 2 : 8;
        st->synth = util_realloc(st->synth, st->cap_synth * sizeof(*st->synth));
    }
    const char *at = st->s; /* no span: s == e == 0 */
    push_text(st, p, len, at, at, API_TEXT_VIEW);
    st->synth[st->n_synth++] = (struct synth_item){st->n_items - 1, first, end, (unsigned char)kind};
}

/* The message texts among items [first, end) joined, when there are two or more. */
static int joinable(const struct item *it)
{
    return it->cls == API_TEXT_MESSAGE && it->e != 0; /* synthetic texts have no span */
}

static void push_joined(struct scanner *st, size_t first)
{
    size_t n = 0, total = 0;
    for (size_t i = first; i < st->n_items; i++)
        if (joinable(&st->items[i]))
            n++, total += st->items[i].len;
    if (n < 2)
        return;
    char *d = arena_alloc(st->out, total + 1);
    size_t o = 0;
    for (size_t i = first; i < st->n_items; i++)
        if (joinable(&st->items[i])) {
            memcpy(d + o, st->items[i].p, st->items[i].len);
            o += st->items[i].len;
        }
    d[o] = '\0';
    push_synth(st, d, o, first, st->n_items, API_SYNTH_JOINED);
}

/* A decoded view of item i when it holds a JSON escape (arguments; an answer's string content,
 * which a client may parse as JSON too). */
static void push_decoded(struct scanner *st, size_t i)
{
    const struct item *it = &st->items[i];
    if (it->len < 2 || memchr(it->p, '\\', it->len) == NULL)
        return;
    char *d = arena_alloc(st->out, it->len + 1);
    size_t n = util_json_unescape_once(it->p, it->len, d);
    if (n == it->len && memcmp(d, st->items[i].p, n) == 0)
        return;
    d[n] = '\0';
    push_synth(st, d, n, i, i + 1, API_SYNTH_DECODED);
}

/* ---- the descent ---- */

static int scan_value(struct scanner *st, enum ctx c, int cls, int depth);

static int scan_string_value(struct scanner *st, enum ctx c, int cls)
{
    const char *ls = st->p;
    /* a string anywhere but metadata reaches the model: a string where the contract expects an
     * object (a message given as a string...) is collected like a text of its place */
    int want = st->collect && c != X_SKIP;
    const char *t = NULL;
    size_t tl = 0;
    if (read_string(st, want, &t, &tl) != 0)
        return -1;
    if (want && !(c == X_VOCAB && is_vocab(t, tl)))
        push_text(st, t, tl, ls, st->p, cls);
    if (want && (c == X_ARGS || (st->shape == API_SCAN_ANSWER && c == X_CONTENT)))
        push_decoded(st, st->n_items - 1);
    return 0;
}

/* After an object member or array element: 1 if another follows (',' eaten), 0 at the close
 * (eaten), -1 with the error set otherwise. */
static int after_item(struct scanner *st, char close, const char *expected)
{
    ws(st);
    if (st->p < st->e && *st->p == ',') {
        st->p++;
        return 1;
    }
    if (st->p < st->e && *st->p == close) {
        st->p++;
        return 0;
    }
    return fail(st, expected);
}

static int scan_array(struct scanner *st, enum ctx c, int cls, int depth)
{
    enum ctx child;
    switch (c) {
    case X_MESSAGES: child = X_MESSAGE; break;
    case X_CONTENT: child = X_PART; break;
    case X_TOOL_CALLS: child = X_TOOL_CALL; break;
    case X_TOOLS: child = X_TOOL; break;
    case X_FUNC_DEFS: child = X_FUNC_DEF; break;
    case X_EMB_INPUT: child = X_EMB_ITEM; break;
    case X_EMB_ITEM: child = X_EMB_TOKENS; break;
    case X_EMB_TOKENS: child = X_EMB_TOKENS; break;
    case X_CHOICES: child = X_CHOICE; break;
    case X_SKIP: case X_ALL: case X_VOCAB: child = c; break;
    default: child = X_ALL; break; /* an array where the contract has none: every string counts */
    }
    /* owners: messages, embeddings inputs, tools and choices are numbered by position */
    int numbered = c == X_MESSAGES || c == X_EMB_INPUT || c == X_TOOLS || c == X_FUNC_DEFS || c == X_CHOICES;
    uint32_t saved_owner = st->owner;
    size_t first_item = st->n_items;
    st->p++;
    ws(st);
    size_t i = 0;
    if (st->p < st->e && *st->p == ']') {
        st->p++;
    } else {
        for (;; i++) {
            st->path[depth + 1].key = NULL;
            st->path[depth + 1].len = i;
            if (numbered)
                st->owner = (uint32_t)i;
            if (c == X_MESSAGES && st->out->bad_message < 0) {
                ws(st);
                if (st->p < st->e && *st->p != '{') {
                    st->out->bad_message = (long)i;
                    st->out->bad_message_what = "role";
                }
            }
            if (scan_value(st, child, cls, depth + 1) != 0)
                return -1;
            int more = after_item(st, ']', "expected ',' or ']'");
            if (more < 0)
                return -1;
            if (more == 0) {
                i++;
                break;
            }
        }
    }
    if (numbered)
        st->owner = saved_owner;
    if (st->collect && c == X_CONTENT)
        push_joined(st, first_item);
    if (c == X_MESSAGES || c == X_CHOICES)
        st->out->n_messages = i;
    else if (c == X_EMB_INPUT)
        st->out->n_messages = i;
    return 0;
}

static char value_type(const char *p)
{
    return (*p == '-' || (*p >= '0' && *p <= '9')) ? '0' : *p;
}

static void record_route(struct scanner *st, enum route r, const char *vs, const char *ve)
{
    struct api_scan *o = st->out;
    struct api_span sp = {(size_t)(vs - st->s), (size_t)(ve - st->s)};
    switch (r) {
    case ROUTE_MODEL:
        o->model = sp;
        if (*vs == '"') {
            size_t raw = (size_t)(ve - vs) - 2;
            char *d = arena_alloc(o, raw + 1);
            o->model_len = memchr(vs, '\\', raw + 1) ? json_span_unescape(vs + 1, raw, d) : (memcpy(d, vs + 1, raw), raw);
            d[o->model_len] = '\0';
            o->model_name = strlen(d) == o->model_len ? d : NULL; /* an embedded NUL is no model name */
        }
        break;
    case ROUTE_STREAM:
        o->stream = sp;
        o->stream_type = value_type(vs);
        o->stream_on = *vs == 't';
        break;
    case ROUTE_MESSAGES: o->messages = sp; break;
    case ROUTE_INPUT: o->input = sp; break;
    case ROUTE_RESPONSE_FORMAT: o->response_format = sp; break;
    case ROUTE_TOOLS: o->tools = sp; break;
    case ROUTE_FUNCTIONS: o->functions = sp; break;
    case ROUTE_NONE: break;
    }
}

static int scan_object(struct scanner *st, enum ctx c, int cls, int depth)
{
    int is_root = c == X_CHAT_ROOT || c == X_EMB_ROOT || c == X_ANSWER_ROOT;
    int message = c == X_MESSAGE && st->shape != API_SCAN_ANSWER;
    int role_ok = 0, content_bad = 0;
    size_t base = st->n_keys;
    uint32_t serial = ++st->serial;
    int hashed = 0;
    st->p++;
    ws(st);
    if (st->p < st->e && *st->p == '}') {
        st->p++;
    } else {
        for (;;) {
            ws(st);
            if (st->p >= st->e || *st->p != '"')
                return fail(st, "expected a string key");
            const char *ks = st->p;
            const char *k = NULL;
            size_t kl = 0;
            if (read_string(st, 1, &k, &kl) != 0)
                return -1;
            const char *ke = st->p;
            ws(st);
            if (st->p >= st->e || *st->p != ':')
                return fail(st, "expected ':'");
            st->p++;
            if (key_seen(st, base, serial, &hashed, k, kl)) {
                char where[128];
                path_render(st, depth, where, sizeof(where));
                st->out->err_code = "duplicate_key";
                snprintf(st->out->err, sizeof(st->out->err), "duplicate key \"%.*s\" in %s%s: each member may appear once",
                         (int)(kl > 64 ? 64 : kl), k, where[0] ? "" : "the top-level object", where);
                return -1;
            }
            key_push(st, k, kl, serial, hashed);
            st->path[depth + 1].key = k;
            st->path[depth + 1].len = kl;

            int ccls = cls;
            enum route route = ROUTE_NONE;
            int cc;
            if (c == X_SKIP || c == X_ALL || c == X_VOCAB) {
                cc = c;
                if (st->collect && c != X_SKIP && !(c == X_VOCAB && is_vocab(k, kl)))
                    push_text(st, k, kl, ks, ke, cls);
            } else if (c == X_PART && non_text_payload(k, kl)) {
                cc = X_SKIP;
                if (!st->out->non_text)
                    path_render(st, depth + 1, st->out->non_text_path, sizeof(st->out->non_text_path));
                st->out->non_text = 1;
            } else {
                cc = member_ctx(st, c, k, kl, &ccls, &route);
                if (cc < 0) {
                    /* outside the contract: its key and every string inside are checked as text */
                    cc = X_ALL;
                    ccls = API_TEXT_UNKNOWN;
                    if (st->out->unknown_path[0] == '\0')
                        path_render(st, depth + 1, st->out->unknown_path, sizeof(st->out->unknown_path));
                    if (st->collect)
                        push_text(st, k, kl, ks, ke, API_TEXT_UNKNOWN);
                }
            }
            ws(st);
            const char *vs = st->p;
            if (scan_value(st, (enum ctx)cc, ccls, depth + 1) != 0)
                return -1;
            if (is_root && route != ROUTE_NONE)
                record_route(st, route, vs, st->p);
            if (message && vs < st->e) {
                char t = value_type(vs);
                if (KEQ("role"))
                    role_ok = t == '"';
                else if (KEQ("content"))
                    content_bad = t != '"' && t != '[' && t != 'n';
            }
            if (c == X_MESSAGE && st->shape == API_SCAN_ANSWER && KEQ("tool_calls") && value_type(vs) == '[') {
                struct api_scan *o = st->out;
                o->tool_calls = util_realloc(o->tool_calls, (o->n_tool_calls + 1) * sizeof(*o->tool_calls));
                o->tool_calls[o->n_tool_calls].s = (size_t)(vs - st->s);
                o->tool_calls[o->n_tool_calls].e = (size_t)(st->p - st->s);
                o->n_tool_calls++;
            }
            int more = after_item(st, '}', "expected ',' or '}'");
            if (more < 0)
                return -1;
            if (more == 0)
                break;
        }
    }
    st->n_keys = base;
    if (message && st->out->bad_message < 0 && (!role_ok || content_bad)) {
        st->out->bad_message = (long)st->owner;
        st->out->bad_message_what = role_ok ? "content" : "role";
    }
    return 0;
}

static int scan_value(struct scanner *st, enum ctx c, int cls, int depth)
{
    ws(st);
    if (st->p >= st->e)
        return fail(st, "unexpected end of input");
    if (depth > SCAN_MAX_DEPTH)
        return fail(st, "nesting too deep");
    switch (*st->p) {
    case '"':
        return scan_string_value(st, c, cls);
    case '{':
        if (c == X_TEXT || c == X_ARGS || c == X_CONTENT || c == X_MESSAGES || c == X_TOOL_CALLS || c == X_TOOLS || c == X_FUNC_DEFS ||
            c == X_EMB_INPUT || c == X_EMB_ITEM || c == X_EMB_TOKENS || c == X_CHOICES)
            c = X_ALL; /* an object where the contract expects a string or an array: every string counts */
        return scan_object(st, c, cls, depth);
    case '[':
        return scan_array(st, c, cls, depth);
    case 't':
    case 'f':
    case 'n': {
        const char *lit = *st->p == 't' ? "true" : *st->p == 'f' ? "false" : "null";
        size_t n = strlen(lit);
        if ((size_t)(st->e - st->p) < n || memcmp(st->p, lit, n) != 0)
            return fail(st, "invalid literal");
        st->p += n;
        return 0;
    }
    default: {
        const char *q = json_span_number_end(st->p, st->e);
        if (q == NULL)
            return fail(st, *st->p == '-' || (*st->p >= '0' && *st->p <= '9') ? "invalid number" : "unexpected character");
        if (c == X_EMB_INPUT || c == X_EMB_ITEM || c == X_EMB_TOKENS)
            st->out->token_input = 1;
        st->p = q;
        return 0;
    }
    }
}

/* Moves the items into the subject arrays, grouped by class (stable). */
static void build_subject(struct scanner *st)
{
    struct api_scan *s = st->out;
    size_t n = st->n_items;
    s->n = n;
    if (n == 0)
        return;
    size_t bytes = n * (sizeof(*s->texts) + sizeof(*s->lens) + sizeof(*s->lits) + sizeof(*s->owners) + sizeof(*s->classes) +
                        sizeof(*s->json_texts));
    char *block = util_malloc(bytes);
    s->lits = (struct api_span *)block;
    s->lens = (size_t *)(s->lits + n);
    s->texts = (const char **)(s->lens + n);
    s->owners = (uint32_t *)(s->texts + n);
    s->classes = (unsigned char *)(s->owners + n);
    s->json_texts = s->classes + n;
    memset(s->json_texts, 0, n);
    size_t at[API_TEXT_CLASSES];
    size_t *where = st->n_synth ? util_malloc(n * sizeof(*where)) : NULL; /* item -> subject index */
    for (size_t i = 0; i < n; i++)
        s->n_by_class[st->items[i].cls]++;
    at[0] = 0;
    for (int c = 1; c < API_TEXT_CLASSES; c++)
        at[c] = at[c - 1] + s->n_by_class[c - 1];
    for (size_t i = 0; i < n; i++) {
        const struct item *it = &st->items[i];
        size_t j = at[it->cls]++;
        s->texts[j] = it->p;
        s->lens[j] = it->len;
        s->lits[j].s = it->s;
        s->lits[j].e = it->e;
        s->owners[j] = it->owner;
        s->classes[j] = it->cls;
        if (where != NULL)
            where[i] = j;
    }
    if (where == NULL)
        return;
    size_t n_src = 0;
    for (size_t k = 0; k < st->n_synth; k++)
        for (size_t i = st->synth[k].first; i < st->synth[k].end; i++)
            n_src += joinable(&st->items[i]);
    s->synth = util_malloc(st->n_synth * sizeof(*s->synth) + n_src * sizeof(size_t));
    size_t *src = (size_t *)(s->synth + st->n_synth);
    s->n_synth = st->n_synth;
    for (size_t k = 0; k < st->n_synth; k++) {
        struct api_synth *y = &s->synth[k];
        y->text = where[st->synth[k].item];
        y->kind = st->synth[k].kind;
        y->src = src;
        y->n_src = 0;
        for (size_t i = st->synth[k].first; i < st->synth[k].end; i++)
            if (joinable(&st->items[i]))
                y->src[y->n_src++] = where[i];
        src += y->n_src;
        if (y->kind == API_SYNTH_DECODED && y->n_src > 0)
            s->json_texts[y->src[0]] = 1; /* its reader decodes it: a JSON text */
    }
    free(where);
}

int api_scan(struct api_scan *s, const char *json, size_t len, enum api_scan_shape shape, int collect)
{
    memset(s, 0, sizeof(*s));
    s->bad_message = -1;
    /* on the stack, and only the fields read before they are written are set: this runs for
     * every request, and clearing the path array alone would cost more than a small body's scan */
    struct scanner scanner_mem;
    struct scanner *st = &scanner_mem;
    memset(st, 0, offsetof(struct scanner, keys_inline));
    st->keys = st->keys_inline;
    st->cap_keys = sizeof(st->keys_inline) / sizeof(st->keys_inline[0]);
    st->out = s;
    st->s = st->p = json;
    st->e = json + len;
    st->shape = shape;
    st->collect = collect;
    enum ctx root = shape == API_SCAN_CHAT ? X_CHAT_ROOT : shape == API_SCAN_EMBEDDINGS ? X_EMB_ROOT : X_ANSWER_ROOT;
    ws(st);
    int rc = 0;
    if (st->p < st->e && *st->p != '{') {
        /* not an object: validated, but nothing is routed or collected */
        rc = scan_value(st, X_ALL, API_TEXT_UNKNOWN, 0);
        if (rc == 0) {
            s->err_code = "invalid_json";
            snprintf(s->err, sizeof(s->err), "the body must be a JSON object");
            rc = -1;
        }
    } else {
        rc = scan_value(st, root, API_TEXT_MESSAGE, 0);
    }
    if (rc == 0) {
        ws(st);
        if (st->p != st->e)
            rc = fail(st, "trailing data after the JSON value");
    }
    if (rc != 0 && s->err_code == NULL) {
        s->err_code = "invalid_json";
        snprintf(s->err, sizeof(s->err), "%s at byte %zu", st->msg ? st->msg : "invalid JSON", (size_t)(st->p - json));
    }
    if (rc == 0) {
        build_subject(st);
        if (shape == API_SCAN_EMBEDDINGS)
            s->n_messages = s->n_by_class[API_TEXT_MESSAGE];
    }
    free(st->items);
    free(st->synth);
    if (st->keys != st->keys_inline)
        free(st->keys);
    free(st->tab);
    return rc;
}

void api_scan_free(struct api_scan *s)
{
    free(s->lits); /* the one block of the subject arrays */
    free(s->tool_calls);
    free(s->synth); /* one block with the sources */
    for (struct api_arena_block *b = s->arena, *next; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    memset(s, 0, sizeof(*s));
    s->bad_message = -1;
}

struct edit {
    size_t s, e;
    const char *text;
    size_t len;
};

static int edit_cmp(const void *a, const void *b)
{
    const struct edit *x = a, *y = b;
    return x->s < y->s ? -1 : x->s > y->s;
}

/* The replacements of the real texts once the synthetic rewrites are folded in. */
struct folded {
    const char **texts; /* NULL entry: unchanged */
    size_t *lens;
    char **owned;       /* texts made here */
    size_t n;
};

static void folded_free(struct folded *f)
{
    for (size_t i = 0; f->owned != NULL && i < f->n; i++)
        free(f->owned[i]);
    free(f->owned);
    free(f->texts);
    free(f->lens);
}

static const char *folded_text(const struct api_scan *s, const struct folded *f, size_t i, size_t *len)
{
    if (f->texts[i] != NULL) {
        *len = f->lens[i];
        return f->texts[i];
    }
    *len = s->lens[i];
    return s->texts[i];
}

/* 1 if the parts' own replacements already join to `r`. */
static int parts_join_to(const struct api_scan *s, const struct folded *f, const struct api_synth *y, const char *r, size_t rl)
{
    size_t off = 0;
    for (size_t k = 0; k < y->n_src; k++) {
        size_t l;
        const char *t = folded_text(s, f, y->src[k], &l);
        if (off + l > rl || memcmp(r + off, t, l) != 0)
            return 0;
        off += l;
    }
    return off == rl;
}

/* A rewrite r of the joined text of y onto its parts: the bytes before and after the
 * changed region stay in their parts, the region's replacement goes to the first part it
 * touches, the parts it covers after that lose the covered bytes. */
static void fold_joined(const struct api_scan *s, struct folded *f, const struct api_synth *y, const char *r, size_t rl)
{
    const char *j = s->texts[y->text];
    size_t jl = s->lens[y->text];
    if (parts_join_to(s, f, y, r, rl))
        return;
    size_t p = 0, q = 0;
    while (p < jl && p < rl && j[p] == r[p])
        p++;
    while (q < jl - p && q < rl - p && j[jl - 1 - q] == r[rl - 1 - q])
        q++;
    size_t end = jl - q, mid = rl - q - p; /* the region [p, end) of the joined text becomes r[p, p + mid) */
    size_t off = 0;
    int placed = 0;
    for (size_t k = 0; k < y->n_src; k++, off += s->lens[y->src[k - 1]]) {
        size_t i = y->src[k], l = s->lens[i];
        const char *t = s->texts[i];
        size_t a = p > off ? p - off : 0, b = end > off ? end - off : 0; /* the region within this part */
        a = a > l ? l : a;
        b = b > l ? l : b;
        /* the replacement goes where the region starts: inside this part, or at its end when it is the last */
        int here = !placed && (p < off + l || k + 1 == y->n_src);
        if (!here && a == b) {
            f->texts[i] = t; /* untouched by the region: the original (the part's own rewrite is superseded) */
            f->lens[i] = l;
            continue;
        }
        size_t m = here ? mid : 0, nl = a + m + (l - b);
        char *n = util_malloc(nl + 1);
        memcpy(n, t, a);
        memcpy(n + a, r + p, m);
        memcpy(n + a + m, t + b, l - b);
        n[nl] = '\0';
        free(f->owned[i]);
        f->owned[i] = n;
        f->texts[i] = n;
        f->lens[i] = nl;
        placed |= here;
    }
}

/* Folds texts (n of them, NULL entries unchanged) into f. 0, or -1 with why set when a
 * decoded view's rewrite is not what its source's rewrite decodes to. */
static int fold(const struct api_scan *s, char *const *texts, const size_t *lens, size_t n, struct folded *f, char *why,
                size_t why_size)
{
    memset(f, 0, sizeof(*f));
    f->n = s->n;
    f->texts = util_calloc(s->n ? s->n : 1, sizeof(*f->texts));
    f->lens = util_calloc(s->n ? s->n : 1, sizeof(*f->lens));
    if (s->n_synth > 0)
        f->owned = util_calloc(s->n, sizeof(*f->owned));
    for (size_t i = 0; texts != NULL && i < n && i < s->n; i++) {
        f->texts[i] = texts[i];
        f->lens[i] = texts[i] != NULL ? lens[i] : 0;
    }
    for (size_t k = 0; k < s->n_synth; k++) {
        const struct api_synth *y = &s->synth[k];
        size_t rl;
        const char *r = folded_text(s, f, y->text, &rl);
        if (y->kind == API_SYNTH_JOINED && (rl != s->lens[y->text] || memcmp(r, s->texts[y->text], rl) != 0))
            fold_joined(s, f, y, r, rl);
    }
    int rc = 0;
    for (size_t k = 0; k < s->n_synth && rc == 0; k++) {
        const struct api_synth *y = &s->synth[k];
        size_t rl, el;
        const char *r = folded_text(s, f, y->text, &rl);
        if (y->kind != API_SYNTH_DECODED || (rl == s->lens[y->text] && memcmp(r, s->texts[y->text], rl) == 0))
            continue;
        const char *e = folded_text(s, f, y->src[0], &el);
        char *d = util_malloc(el + 1);
        size_t dl = util_json_unescape_once(e, el, d);
        if (dl != rl || memcmp(d, r, rl) != 0) {
            snprintf(why, why_size, "a match made of JSON escapes inside a text (tool-call arguments) cannot be redacted "
                                    "in place");
            rc = -1;
        }
        free(d);
    }
    for (size_t k = 0; k < s->n_synth; k++)
        f->texts[s->synth[k].text] = NULL; /* no literal to splice */
    return rc;
}

int api_scan_unspliceable(const struct api_scan *s, char *const *texts, const size_t *lens, size_t n, char *why, size_t why_size)
{
    if (texts == NULL || s->n_synth == 0)
        return 0;
    struct folded f;
    int rc = fold(s, texts, lens, n, &f, why, why_size);
    folded_free(&f);
    return rc != 0;
}

static int text_changed(const struct api_scan *s, const char *const *texts, const size_t *lens, size_t i)
{
    return texts[i] != NULL && (lens[i] != s->lens[i] || memcmp(texts[i], s->texts[i], lens[i]) != 0);
}

size_t api_scan_changed(const struct api_scan *s, char *const *texts, const size_t *lens, size_t n)
{
    size_t changed = 0;
    for (size_t i = 0; texts != NULL && i < n && i < s->n; i++)
        changed += (size_t)text_changed(s, (const char *const *)texts, lens, i);
    return changed;
}

char *api_scan_splice(const struct api_scan *s, const char *json, size_t len, char *const *texts, const size_t *lens,
                      const char *model, size_t *out_len)
{
    struct folded f = {0};
    char why[160];
    if (texts != NULL && fold(s, texts, lens, s->n, &f, why, sizeof(why)) != 0) {
        folded_free(&f);
        return NULL;
    }
    size_t n_changed = 0;
    for (size_t i = 0; texts != NULL && i < s->n; i++)
        n_changed += (size_t)text_changed(s, f.texts, f.lens, i);
    size_t n_edits = (model != NULL && s->model.e != 0) + n_changed;
    struct edit stack_edits[8];
    struct edit *edits = n_edits <= 8 ? stack_edits : util_malloc(n_edits * sizeof(*edits));
    size_t k = 0;
    if (model != NULL && s->model.e != 0)
        edits[k++] = (struct edit){s->model.s, s->model.e, model, strlen(model)};
    for (size_t i = 0; texts != NULL && i < s->n; i++)
        if (text_changed(s, f.texts, f.lens, i))
            edits[k++] = (struct edit){s->lits[i].s, s->lits[i].e, f.texts[i], f.lens[i]};
    if (k > 1)
        qsort(edits, k, sizeof(*edits), edit_cmp);
    struct util_buf b;
    util_buf_init(&b, SIZE_MAX);
    size_t at = 0;
    for (size_t i = 0; i < k; i++) {
        if (edits[i].s < at)
            continue; /* cannot happen: literals never overlap */
        util_buf_append(&b, json + at, edits[i].s - at);
        util_buf_append_json_string(&b, edits[i].text, edits[i].len);
        at = edits[i].e;
    }
    util_buf_append(&b, json + at, len - at);
    if (edits != stack_edits)
        free(edits);
    if (texts != NULL)
        folded_free(&f);
    if (b.data == NULL)
        util_buf_append(&b, "", 0);
    char *out = util_buf_take(&b, out_len);
    return out != NULL ? out : util_strdup("");
}

json_t *api_scan_tools_json(const struct api_scan *s, const char *json)
{
    json_error_t je;
    if (s->tools.e != 0)
        return json_loadb(json + s->tools.s, s->tools.e - s->tools.s, JSON_ALLOW_NUL, &je);
    if (s->n_tool_calls == 0)
        return NULL;
    json_t *all = json_array();
    for (size_t i = 0; i < s->n_tool_calls; i++) {
        json_t *a = json_loadb(json + s->tool_calls[i].s, s->tool_calls[i].e - s->tool_calls[i].s, JSON_ALLOW_NUL, &je);
        if (json_is_array(a))
            json_array_extend(all, a);
        json_decref(a);
    }
    return all;
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
