/* LiteLLM's Generic Guardrail API: the request Warden sends and how the answer
 * is read. See webhook.h for the field list and the answer rules; the HTTP
 * call itself is the engine's (check_remote in engine.c). */
#include "guard/webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"

/* ---- the request context ---- */

static void append_copy(json_t **list, json_t *item)
{
    if (*list == NULL)
        *list = json_array();
    json_array_append_new(*list, json_deep_copy(item));
}

/* input: the tool calls of every message, and the url of every image part, in message order */
static void collect_from_messages(struct guard_webhook_ctx *w, json_t *messages)
{
    size_t i, j;
    json_t *msg, *item;
    json_array_foreach(messages, i, msg)
    {
        json_array_foreach(json_object_get(msg, "tool_calls"), j, item)
            if (json_is_object(item))
                append_copy(&w->tool_calls, item);
        json_array_foreach(json_object_get(msg, "content"), j, item)
        {
            if (!json_is_object(item) || !json_is_string(json_object_get(item, "type")) ||
                strcmp(json_string_value(json_object_get(item, "type")), "image_url") != 0)
                continue;
            json_t *iu = json_object_get(item, "image_url");
            json_t *url = json_is_object(iu) ? json_object_get(iu, "url") : iu;
            if (json_is_string(url))
                append_copy(&w->images, url);
        }
    }
}

/* output: the tool calls of every choice, in choice order */
static void collect_from_answer(struct guard_webhook_ctx *w, const json_t *answer)
{
    size_t i, j;
    json_t *choice, *item;
    json_array_foreach(json_object_get(answer, "choices"), i, choice)
    {
        json_t *msg = json_object_get(choice, "message");
        json_array_foreach(json_object_get(msg, "tool_calls"), j, item)
            if (json_is_object(item))
                append_copy(&w->tool_calls, item);
    }
}

/* LiteLLM's GenericGuardrailAPIMetadata fields that Warden can fill from a key's metadata. */
static const char *const metadata_fields[] = {"user_id", "user_email", "team_id", "team_alias", "end_user_id", "org_id", NULL};

static void set_request_data(struct guard_webhook_ctx *w, const struct guard_subject *s, const json_t *body)
{
    w->request_data = json_object();
    const struct config_api_key *k = s->api_key;
    if (k != NULL && k->name != NULL)
        json_object_set_new(w->request_data, "user_api_key_alias", json_string(k->name));
    for (size_t i = 0; k != NULL && i < k->n_metadata; i++) {
        const char *name = k->metadata[i].name;
        if (strncmp(name, "user_api_key_", 13) == 0)
            name += 13;
        for (size_t f = 0; metadata_fields[f] != NULL; f++)
            if (strcmp(name, metadata_fields[f]) == 0) {
                char key[64];
                snprintf(key, sizeof(key), "user_api_key_%s", name);
                json_object_set_new(w->request_data, key, json_string(k->metadata[i].value));
            }
    }
    /* OpenAI's "user" is the end user's id (LiteLLM files it as user_api_key_end_user_id) */
    json_t *user = s->stage == CONFIG_STAGE_INPUT ? json_object_get(body, "user") : NULL;
    if (json_is_string(user) && json_object_get(w->request_data, "user_api_key_end_user_id") == NULL)
        json_object_set(w->request_data, "user_api_key_end_user_id", user);
}

/* LiteLLM's header allowlist: these values are sent; any other header only as "[present]". */
static int header_value_allowed(const char *name, size_t len)
{
    static const char *const exact[] = {"host",       "accept-encoding", "connection",     "accept",
                                        "content-type", "user-agent",    "content-length", NULL};
    for (size_t i = 0; exact[i] != NULL; i++)
        if (strlen(exact[i]) == len && strncasecmp(name, exact[i], len) == 0)
            return 1;
    return (len > 11 && strncasecmp(name, "x-stainless-", 12) == 0) || (len > 10 && strncasecmp(name, "x-litellm-", 10) == 0);
}

static void set_request_headers(struct guard_webhook_ctx *w, const struct guard_subject *s)
{
    for (size_t i = 0; i < s->n_headers; i++) {
        const struct guard_header *h = &s->headers[i];
        if (h->name_len == 0 || h->name_len > 256)
            continue;
        char name[257];
        for (size_t k = 0; k < h->name_len; k++)
            name[k] = (char)((h->name[k] >= 'A' && h->name[k] <= 'Z') ? h->name[k] + 32 : h->name[k]);
        name[h->name_len] = '\0';
        json_t *v = header_value_allowed(name, h->name_len) ? json_stringn(h->value, h->value_len) : NULL;
        if (w->request_headers == NULL)
            w->request_headers = json_object();
        json_object_set_new(w->request_headers, name, v ? v : json_string("[present]"));
    }
}

struct guard_webhook_ctx *guard_webhook_ctx_new(const struct guard_subject *s)
{
    struct guard_webhook_ctx *w = util_calloc(1, sizeof(*w));
    w->refs = 1;
    w->stage = s->stage;
    const char *model = s->model;
    json_t *parsed = NULL;
    const json_t *body = s->body;
    if (body == NULL && s->body_json != NULL) {
        json_error_t je;
        body = parsed = json_loadb(s->body_json, s->body_json_len, 0, &je);
    }
    if (body != NULL && s->stage == CONFIG_STAGE_INPUT) {
        json_t *messages = json_object_get(body, "messages");
        json_t *tools = json_object_get(body, "tools");
        if (json_is_array(messages)) {
            w->messages = json_deep_copy(messages);
            collect_from_messages(w, messages);
        }
        if (json_is_array(tools) && json_array_size(tools) > 0)
            w->tools = json_deep_copy(tools);
    } else if (body != NULL) {
        collect_from_answer(w, body);
        const char *upstream_model = json_string_value(json_object_get(body, "model"));
        if (upstream_model != NULL && *upstream_model)
            model = upstream_model;
    }
    set_request_data(w, s, body);
    set_request_headers(w, s);
    snprintf(w->model, sizeof(w->model), "%s", model ? model : "");
    json_decref(parsed); /* after model: it may point into it */
    snprintf(w->call_id, sizeof(w->call_id), "%s", s->call_id ? s->call_id : "");
    snprintf(w->trace_id, sizeof(w->trace_id), "%s", s->request_id ? s->request_id : "");
    return w;
}

struct guard_webhook_ctx *guard_webhook_ctx_ref(struct guard_webhook_ctx *w)
{
    if (w != NULL)
        w->refs++;
    return w;
}

void guard_webhook_ctx_unref(struct guard_webhook_ctx *w)
{
    if (w == NULL || --w->refs > 0)
        return;
    json_decref(w->messages);
    json_decref(w->tools);
    json_decref(w->tool_calls);
    json_decref(w->images);
    json_decref(w->request_data);
    json_decref(w->request_headers);
    free(w);
}

/* A chain member rewrote the texts: the next member's structured copies must not still hold
 * what was rewritten (a regex that redacted a key before a webhook would be pointless if
 * structured_messages still carried the key). Every string in them equal to a text that was
 * rewritten becomes its rewrite. */
struct projection {
    const char *const *orig;
    const size_t *olens;
    char *const *neu;
    const size_t *nlens;
    size_t n;
};

static void project(const struct projection *pj, json_t *v, int depth)
{
    size_t i;
    const char *key;
    json_t *item;
    if (v == NULL || depth > 64)
        return;
    if (json_is_string(v)) {
        for (size_t k = 0; k < pj->n; k++)
            if (pj->neu[k] != NULL && json_string_length(v) == pj->olens[k] &&
                memcmp(json_string_value(v), pj->orig[k], pj->olens[k]) == 0) {
                json_string_setn_nocheck(v, pj->neu[k], pj->nlens[k]);
                return;
            }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item) project(pj, item, depth + 1);
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, item) project(pj, item, depth + 1);
    }
}

struct guard_webhook_ctx *guard_webhook_ctx_rewritten(const struct guard_webhook_ctx *w, const char *const *orig,
                                                      const size_t *olens, char *const *neu, const size_t *nlens, size_t n)
{
    struct guard_webhook_ctx *c = util_calloc(1, sizeof(*c));
    *c = *w;
    c->refs = 1;
    c->messages = w->messages ? json_deep_copy(w->messages) : NULL;
    c->tools = w->tools ? json_deep_copy(w->tools) : NULL;
    c->tool_calls = w->tool_calls ? json_deep_copy(w->tool_calls) : NULL;
    c->images = w->images ? json_incref(w->images) : NULL;
    c->request_data = json_incref(w->request_data);
    c->request_headers = w->request_headers ? json_incref(w->request_headers) : NULL;
    struct projection pj = {orig, olens, neu, nlens, n};
    project(&pj, c->messages, 0);
    project(&pj, c->tools, 0);
    project(&pj, c->tool_calls, 0);
    return c;
}

/* ---- the request ---- */

static json_t *copy_or_null(const json_t *v)
{
    return v ? json_deep_copy(v) : json_null();
}

static json_t *string_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *guard_webhook_request_new(const struct guard_webhook_ctx *w, const json_t *provider_params, const char *const *texts,
                                  const size_t *lens, size_t n)
{
    json_t *t = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(t, json_stringn_nocheck(texts[i], lens[i]));
    json_t *body = json_object();
    json_object_set_new(body, "texts", t);
    json_object_set_new(body, "images", copy_or_null(w->images));
    json_object_set_new(body, "tools", copy_or_null(w->tools));
    json_object_set_new(body, "tool_calls", copy_or_null(w->tool_calls));
    json_object_set_new(body, "structured_messages", copy_or_null(w->messages));
    json_object_set_new(body, "request_data", json_deep_copy(w->request_data));
    json_object_set_new(body, "input_type", json_string(w->stage == CONFIG_STAGE_INPUT ? "request" : "response"));
    json_object_set_new(body, "litellm_call_id", string_or_null(w->call_id));
    json_object_set_new(body, "litellm_trace_id", string_or_null(w->trace_id));
    json_object_set_new(body, "request_headers", copy_or_null(w->request_headers));
    json_object_set_new(body, "litellm_version", json_string(GUARD_WEBHOOK_LITELLM_VERSION));
    json_object_set_new(body, "additional_provider_specific_params",
                        provider_params ? json_deep_copy(provider_params) : json_object());
    json_object_set_new(body, "model", string_or_null(w->model));
    return body;
}

/* ---- the answer ---- */

int guard_webhook_status_unreachable(int status)
{
    return status == 502 || status == 503 || status == 504;
}

/* Puts rewritten strings on the texts they came from. The texts list follows the coverage
 * contract's order, and so do the walks below, so a cursor that only moves forward finds
 * each original string where it was collected. */
struct placement {
    const char *const *texts;
    const size_t *lens;
    size_t n;
    char **out; /* NULL entries: unchanged */
    size_t *outl;
    size_t cursor;
    const char *error; /* first problem: the answer is unusable */
};

static void place_set(struct placement *p, size_t k, const char *s, size_t len)
{
    if (len == p->lens[k] && memcmp(s, p->texts[k], len) == 0) {
        free(p->out[k]); /* back to the original */
        p->out[k] = NULL;
        return;
    }
    free(p->out[k]);
    p->out[k] = util_strndup(s, len);
    p->outl[k] = len;
}

/* 1 when the answer gives v with this type; 0 when it leaves it out (absent or null), or
 * gives another type (then the answer is unusable: p->error says why). */
static int given_as(struct placement *p, const json_t *v, json_type type, const char *wrong_type)
{
    if (p->error != NULL || v == NULL || json_is_null(v))
        return 0;
    if (json_typeof(v) != type) {
        p->error = wrong_type;
        return 0;
    }
    return 1;
}

/* orig: the string that was sent (may be absent: nothing to place); neu: the answer's. */
static void place(struct placement *p, const json_t *orig, const json_t *neu)
{
    if (!json_is_string(orig) || !given_as(p, neu, JSON_STRING, "a rewritten value is not a string"))
        return;
    const char *o = json_string_value(orig), *s = json_string_value(neu);
    size_t ol = json_string_length(orig), sl = json_string_length(neu);
    int changed = sl != ol || memcmp(o, s, ol) != 0;
    for (size_t k = p->cursor; k < p->n; k++)
        if (p->lens[k] == ol && memcmp(p->texts[k], o, ol) == 0) {
            p->cursor = k + 1;
            if (changed)
                place_set(p, k, s, sl);
            return;
        }
    if (changed)
        p->error = "a rewritten value is not among the texts that were checked, so it cannot be applied";
}

/* a tool call's "function", or a message's legacy "function_call" */
static void place_function(struct placement *p, const json_t *orig, const json_t *neu)
{
    if (!given_as(p, neu, JSON_OBJECT, "a function (call) is not an object"))
        return;
    place(p, json_object_get(orig, "name"), json_object_get(neu, "name"));
    place(p, json_object_get(orig, "arguments"), json_object_get(neu, "arguments"));
}

static void place_tool_call(struct placement *p, const json_t *orig, const json_t *neu)
{
    if (!given_as(p, neu, JSON_OBJECT, "a tool call is not an object"))
        return;
    place_function(p, json_object_get(orig, "function"), json_object_get(neu, "function"));
}

static void place_tool_calls(struct placement *p, const json_t *orig, const json_t *neu)
{
    if (!given_as(p, neu, JSON_ARRAY, "tool_calls is not a list"))
        return;
    /* as LiteLLM: the i-th returned call replaces the i-th sent one */
    for (size_t i = 0; i < json_array_size(neu) && i < json_array_size(orig) && p->error == NULL; i++)
        place_tool_call(p, json_array_get(orig, i), json_array_get(neu, i));
}

/* The strings inside a tool's parameters, in document order (jansson keeps the parsed
 * order of object members); the answer's values are matched by key and index. */
static void place_strings(struct placement *p, const json_t *orig, const json_t *neu, int depth)
{
    size_t i;
    const char *key;
    json_t *item;
    if (p->error != NULL || depth > 64 || neu == NULL || json_is_null(neu))
        return;
    if (json_is_string(orig)) {
        place(p, orig, neu);
    } else if (json_is_array(orig) && given_as(p, neu, JSON_ARRAY, "a tool's parameters changed shape")) {
        json_array_foreach(orig, i, item) place_strings(p, item, json_array_get(neu, i), depth + 1);
    } else if (json_is_object(orig) && given_as(p, neu, JSON_OBJECT, "a tool's parameters changed shape")) {
        json_object_foreach((json_t *)orig, key, item) place_strings(p, item, json_object_get(neu, key), depth + 1);
    }
}

static void place_tool(struct placement *p, const json_t *orig, const json_t *neu)
{
    if (!given_as(p, neu, JSON_OBJECT, "a tool is not an object"))
        return;
    json_t *of = json_object_get(orig, "function"), *nf = json_object_get(neu, "function");
    if (!given_as(p, nf, JSON_OBJECT, "a tool's function is not an object"))
        return;
    place(p, json_object_get(of, "name"), json_object_get(nf, "name"));
    place(p, json_object_get(of, "description"), json_object_get(nf, "description"));
    place_strings(p, json_object_get(of, "parameters"), json_object_get(nf, "parameters"), 0);
}

static void place_message(struct placement *p, const json_t *orig, const json_t *neu)
{
    if (!given_as(p, neu, JSON_OBJECT, "a structured message is not an object"))
        return;
    json_t *oc = json_object_get(orig, "content"), *nc = json_object_get(neu, "content");
    if (json_is_array(oc)) {
        if (given_as(p, nc, JSON_ARRAY, "a structured message's content changed shape"))
            for (size_t j = 0; j < json_array_size(oc) && j < json_array_size(nc); j++)
                place(p, json_object_get(json_array_get(oc, j), "text"), json_object_get(json_array_get(nc, j), "text"));
    } else {
        place(p, oc, nc);
    }
    static const char *const fields[] = {"name", "refusal", "reasoning_content", NULL};
    for (size_t f = 0; fields[f] != NULL; f++)
        place(p, json_object_get(orig, fields[f]), json_object_get(neu, fields[f]));
    json_t *otc = json_object_get(orig, "tool_calls");
    if (json_is_array(otc))
        place_tool_calls(p, otc, json_object_get(neu, "tool_calls"));
    place_function(p, json_object_get(orig, "function_call"), json_object_get(neu, "function_call"));
}

static void answer_set(struct guard_webhook_answer *a, enum guard_webhook_result r, const char *fmt, const char *arg)
{
    a->result = r;
    snprintf(a->reason, sizeof(a->reason), fmt, arg);
}

void guard_webhook_answer_read(struct guard_webhook_answer *a, int status, const char *body, size_t len,
                               const struct guard_webhook_ctx *w, const char *const *texts, const size_t *lens, size_t n)
{
    memset(a, 0, sizeof(*a));
    char code[16];
    snprintf(code, sizeof(code), "%d", status);
    if (guard_webhook_status_unreachable(status)) {
        answer_set(a, GUARD_WEBHOOK_UNREACHABLE, "guard service answered HTTP %s", code);
        return;
    }
    if (status < 200 || status >= 300) {
        answer_set(a, GUARD_WEBHOOK_BAD_ANSWER, "guard service answered HTTP %s", code);
        return;
    }
    json_error_t je;
    json_t *j = json_loadb(body ? body : "", len, 0, &je);
    if (!json_is_object(j)) {
        answer_set(a, GUARD_WEBHOOK_BAD_ANSWER, "guard service answer is not a JSON object%s", "");
        json_decref(j);
        return;
    }
    json_t *action = json_object_get(j, "action");
    char act[48] = "NONE"; /* LiteLLM: a missing action is NONE */
    if (action != NULL && !json_is_null(action)) {
        if (!json_is_string(action)) {
            answer_set(a, GUARD_WEBHOOK_BAD_ANSWER, "guard service answer: \"action\" is not a string%s", "");
            json_decref(j);
            return;
        }
        snprintf(act, sizeof(act), "%s", json_string_value(action));
    }
    if (strcmp(act, "BLOCKED") == 0) {
        const char *why = json_string_value(json_object_get(j, "blocked_reason"));
        answer_set(a, GUARD_WEBHOOK_BLOCKED, "%s", why && *why ? why : "Content violates policy");
        json_decref(j);
        return;
    }
    a->intervened = strcmp(act, "GUARDRAIL_INTERVENED") == 0;
    a->unknown_action = !a->intervened && strcmp(act, "NONE") != 0;

    /* Not blocked: whatever the action, LiteLLM applies what came back. */
    struct placement p = {.texts = texts, .lens = lens, .n = n};
    p.out = util_calloc(n ? n : 1, sizeof(*p.out));
    p.outl = util_calloc(n ? n : 1, sizeof(*p.outl));
    json_t *rt = json_object_get(j, "texts");
    if (given_as(&p, rt, JSON_ARRAY, "\"texts\" is not a list")) {
        for (size_t k = 0; p.error == NULL && k < json_array_size(rt); k++)
            if (!json_is_string(json_array_get(rt, k)))
                p.error = "\"texts\" holds a value that is not a string";
        /* one per text sent, or nothing (LiteLLM cannot tell which text a shorter list rewrites) */
        for (size_t k = 0; p.error == NULL && json_array_size(rt) == n && k < n; k++)
            place_set(&p, k, json_string_value(json_array_get(rt, k)), json_string_length(json_array_get(rt, k)));
    }
    json_t *rm = json_object_get(j, "structured_messages");
    if (given_as(&p, rm, JSON_ARRAY, "\"structured_messages\" is not a list") && w->messages != NULL &&
        json_array_size(rm) == json_array_size(w->messages)) {
        for (size_t i = 0; p.error == NULL && i < json_array_size(rm); i++)
            place_message(&p, json_array_get(w->messages, i), json_array_get(rm, i));
    }
    json_t *rtools = json_object_get(j, "tools");
    if (given_as(&p, rtools, JSON_ARRAY, "\"tools\" is not a list") && w->tools != NULL &&
        json_array_size(rtools) == json_array_size(w->tools)) {
        /* the tools' texts follow the messages' in the contract's order: walk past those first */
        p.cursor = 0;
        for (size_t i = 0; i < json_array_size(w->messages); i++)
            place_message(&p, json_array_get(w->messages, i), json_array_get(w->messages, i));
        for (size_t i = 0; p.error == NULL && i < json_array_size(rtools); i++)
            place_tool(&p, json_array_get(w->tools, i), json_array_get(rtools, i));
    }
    p.cursor = 0; /* a new walk: tool_calls win over what texts, messages and tools set */
    place_tool_calls(&p, w->tool_calls, json_object_get(j, "tool_calls"));
    json_decref(j);
    if (p.error != NULL) {
        answer_set(a, GUARD_WEBHOOK_BAD_ANSWER, "guard service answer: %s", p.error);
        for (size_t k = 0; k < n; k++)
            free(p.out[k]);
        free(p.out);
        free(p.outl);
        return;
    }
    for (size_t k = 0; k < n; k++)
        a->n_rewritten += p.out[k] != NULL;
    if (a->n_rewritten > 0) {
        a->result = GUARD_WEBHOOK_REWRITE;
        a->texts = p.out;
        a->lens = p.outl;
        a->n = n;
        snprintf(a->reason, sizeof(a->reason), "guard service rewrote %zu of %zu texts", a->n_rewritten, n);
        return;
    }
    free(p.out);
    free(p.outl);
    a->result = a->intervened ? GUARD_WEBHOOK_INTERVENED : GUARD_WEBHOOK_PASS;
    if (a->intervened)
        snprintf(a->reason, sizeof(a->reason), "guard service intervened without a rewrite that applies");
    else if (a->unknown_action)
        snprintf(a->reason, sizeof(a->reason), "guard service answered an unknown action '%.40s' (read as not blocked)", act);
}

void guard_webhook_answer_free(struct guard_webhook_answer *a)
{
    for (size_t k = 0; a->texts && k < a->n; k++)
        free(a->texts[k]);
    free(a->texts);
    free(a->lens);
    a->texts = NULL;
    a->lens = NULL;
    a->n = 0;
}
