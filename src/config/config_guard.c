/* The guardrails: section of the config.
 *
 * A guardrail's type decides which keys it may have. guard_keys[] lists every
 * key with the set of types it applies to, so one table answers "unknown key"
 * (with a suggestion), "key does not apply to this type" and the allowed-keys
 * list. The type is read first, whatever its position in the mapping.
 *
 * Regular expressions (regex patterns and tools' argument patterns) are
 * compiled with PCRE2 here, at load, only to report mistakes with their line;
 * the guard module compiles its own copies.
 *
 * Composite guardrails (parallel, chain) name their members; after all names
 * are resolved, cfg_guardrails_finish() rejects member cycles and gives a
 * composite without stage/timing those of its first member, visiting members
 * before the composites that contain them. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "config/config_int.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/alloc.h"

#define T(x) (1u << CONFIG_GUARD_##x)
#define T_ALL 0xffffu

static const char *const type_names[] = {"regex", "keywords", "length", "webhook", "llm_judge",        "tools",      "plugin",
                                         "parallel", "chain", "pii",  "secrets", "prompt_injection", "classifier", NULL};

static const struct {
    const char *key;
    unsigned types;
} guard_keys[] = {
    {"name", T_ALL},
    {"type", T_ALL},
    {"stage", T_ALL},
    {"timing", T_ALL},
    {"cancel_on_failure", T_ALL},
    {"action", T_ALL},
    {"timeout_ms", T_ALL},
    {"on_error", T_ALL},
    {"status_code", T_ALL},
    {"when", T_ALL},
    {"stream", T_ALL},
    {"unknown_fields", T_ALL},
    {"non_text", T_ALL},
    {"patterns", T(REGEX)},
    {"keywords", T(KEYWORDS)},
    {"case_sensitive", T(REGEX) | T(KEYWORDS)},
    {"whole_word", T(REGEX) | T(KEYWORDS)},
    {"replacement", T(REGEX) | T(KEYWORDS)},
    {"max_chars", T(LENGTH)},
    {"max_messages", T(LENGTH)},
    {"max_tokens", T(LENGTH)},
    {"on_unreachable", T(WEBHOOK) | T(LLM_JUDGE)},
    {"url", T(WEBHOOK)},
    {"api_base", T(WEBHOOK)},
    {"api_key_env", T(WEBHOOK)},
    {"headers", T(WEBHOOK)},
    {"additional_provider_specific_params", T(WEBHOOK)},
    {"on_intervened", T(WEBHOOK)},
    {"model", T(LLM_JUDGE) | T(CLASSIFIER) | T(PROMPT_INJECTION)},
    {"prompt_template", T(LLM_JUDGE)},
    {"allow", T(TOOLS)},
    {"deny", T(TOOLS)},
    {"arguments", T(TOOLS)},
    {"path", T(PLUGIN)},
    {"config", T(PLUGIN)},
    {"cpu_bound", T(PLUGIN)},
    {"threshold", T(PROMPT_INJECTION) | T(CLASSIFIER)},
    {"canary", T(PROMPT_INJECTION)},
    {"strategy", T(PARALLEL)},
    {"members", T(PARALLEL) | T(CHAIN)},
    {"entities", T(PII) | T(SECRETS)},
    {"score_threshold", T(PII) | T(SECRETS)},
    {"redaction", T(PII) | T(SECRETS)},
    {"recognizers", T(PII)},
    {"rules", T(SECRETS)},
    {"entropy_threshold", T(SECRETS)},
};
#define N_GUARD_KEYS (sizeof(guard_keys) / sizeof(guard_keys[0]))

/* The keys valid for one type (types = that type's bit) or for any type. */
static size_t keys_for(unsigned types, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < N_GUARD_KEYS; i++)
        if (guard_keys[i].types & types)
            out[n++] = guard_keys[i].key;
    out[n] = NULL;
    return n;
}

static int check_guard_key(struct cfg_ctx *c, yaml_node_t *k, const char *key, int type)
{
    char q[96];
    const char *valid[N_GUARD_KEYS + 1];
    size_t i;
    for (i = 0; i < N_GUARD_KEYS; i++)
        if (!strcmp(guard_keys[i].key, key))
            break;
    if (i == N_GUARD_KEYS) {
        /* Prefer a suggestion that is valid for this type. */
        size_t n = keys_for(1u << type, valid);
        const char *s = cfg_suggest(key, valid, n);
        if (!s) {
            n = keys_for(T_ALL, valid);
            s = cfg_suggest(key, valid, n);
        }
        if (s)
            return cfg_fail(c, k, "unknown key %s (did you mean \"%s\"?)", cfg_quote(q, sizeof(q), key), s);
        return cfg_fail(c, k, "unknown key %s", cfg_quote(q, sizeof(q), key));
    }
    if (guard_keys[i].types & (1u << type))
        return 0;
    if (type == CONFIG_GUARD_KEYWORDS && !strcmp(key, "patterns"))
        return cfg_fail(c, k, "key \"patterns\" does not apply to type \"keywords\" (use \"keywords\")");
    if (type == CONFIG_GUARD_REGEX && !strcmp(key, "keywords"))
        return cfg_fail(c, k, "key \"keywords\" does not apply to type \"regex\" (use \"patterns\", or type: keywords)");
    return cfg_fail(c, k, "key %s does not apply to type \"%s\"", cfg_quote(q, sizeof(q), key), type_names[type]);
}

int cfg_check_regex(struct cfg_ctx *c, yaml_node_t *n, const char *pattern, int caseless)
{
    char q[96];
    int code;
    PCRE2_SIZE off;
    if (!*pattern)
        return cfg_fail(c, n, "empty pattern (it would match everything)");
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | (caseless ? PCRE2_CASELESS : 0),
                                   &code, &off, NULL);
    if (re) {
        pcre2_code_free(re);
        return 0;
    }
    PCRE2_UCHAR msg[256];
    if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
        snprintf((char *)msg, sizeof(msg), "error %d", code);
    return cfg_fail(c, n, "invalid regex %s: %s (at offset %zu)", cfg_quote(q, sizeof(q), pattern), (const char *)msg,
                    (size_t)off);
}

/* A YAML node as JSON, for additional_provider_specific_params (sent to the
 * guard service as written). Plain scalars are typed as YAML 1.2's core schema
 * types them (null, true/false, integers, floats); quoted scalars stay strings. */
json_t *cfg_yaml_to_json(struct cfg_ctx *c, yaml_node_t *n, int depth)
{
    if (depth > 32) {
        cfg_fail(c, n, "nested too deeply");
        return NULL;
    }
    if (n->type == YAML_MAPPING_NODE) {
        json_t *o = json_object();
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            yaml_node_t *k = cfg_node(c, p->key);
            const char *key = cfg_scalar(k);
            if (key == NULL) {
                cfg_fail(c, k, "expected a string key, got a %s", cfg_kind_name(k));
                json_decref(o);
                return NULL;
            }
            if (json_object_get(o, key) != NULL) {
                cfg_fail(c, k, "duplicate key \"%.60s\"", key);
                json_decref(o);
                return NULL;
            }
            json_t *v = cfg_yaml_to_json(c, cfg_node(c, p->value), depth + 1);
            if (v == NULL || json_object_set_new(o, key, v) != 0) {
                if (v == NULL)
                    json_decref(o);
                else
                    cfg_fail(c, k, "key \"%.60s\" is not valid UTF-8", key);
                return NULL;
            }
        }
        return o;
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        json_t *a = json_array();
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
            json_t *v = cfg_yaml_to_json(c, cfg_node(c, *i), depth + 1);
            if (v == NULL) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    const char *s = cfg_scalar(n);
    if (s == NULL) {
        cfg_fail(c, n, "expected a value");
        return NULL;
    }
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (cfg_is_null(n))
            return json_null();
        if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
            return json_true();
        if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
            return json_false();
        char *end = NULL;
        if (*s && (isdigit((unsigned char)*s) || ((*s == '-' || *s == '+') && isdigit((unsigned char)s[1])))) {
            long long ll = strtoll(s, &end, 10);
            if (*end == '\0')
                return json_integer(ll);
            double d = strtod(s, &end);
            if (*end == '\0')
                return json_real(d);
        }
    }
    json_t *str = json_string(s);
    if (str == NULL)
        cfg_fail(c, n, "not valid UTF-8");
    return str;
}

static int parse_provider_params(struct cfg_ctx *c, yaml_node_t *n, char **out)
{
    if (cfg_expect_map(c, n))
        return -1;
    json_t *j = cfg_yaml_to_json(c, n, 0);
    if (j == NULL)
        return -1;
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    free(*out);
    *out = text ? util_strdup(text) : NULL;
    free(text);
    return 0;
}

static int when_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config_guard_when *w = ud;
    if (!strcmp(key, "models"))
        return cfg_str_list(c, v, &w->models, &w->n_models);
    if (!strcmp(key, "paths"))
        return cfg_str_list(c, v, &w->paths, &w->n_paths);
    if (!strcmp(key, "headers")) {
        int rc = cfg_kv_map(c, v, 1, &w->headers, &w->n_headers);
        /* Header names are case-insensitive; h2o hands them over in lower case. */
        for (size_t i = 0; !rc && i < w->n_headers; i++)
            for (char *s = w->headers[i].name; *s; s++)
                *s = (char)tolower((unsigned char)*s);
        return rc;
    }
    if (!strcmp(key, "metadata"))
        return cfg_kv_map(c, v, 0, &w->metadata, &w->n_metadata);
    return CFG_KEY_UNKNOWN;
}

static int parse_when(struct cfg_ctx *c, yaml_node_t *n, struct config_guard_when *w)
{
    static const char *const keys[] = {"models", "paths", "headers", "metadata", NULL};
    return cfg_map_each(c, n, keys, when_key, w);
}

static int stream_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config_guardrail *g = ud;
    if (!strcmp(key, "window"))
        return cfg_int_field(c, v, 0, 16 << 20, &g->stream_window);
    if (!strcmp(key, "chunk_tokens"))
        return cfg_int_field(c, v, 0, INT_MAX, &g->stream_chunk_tokens);
    if (!strcmp(key, "context_tokens"))
        return cfg_int_field(c, v, 0, INT_MAX, &g->stream_context_tokens);
    if (!strcmp(key, "stream_first"))
        return cfg_bool(c, v, &g->stream_first);
    return CFG_KEY_UNKNOWN;
}

static int parse_stream(struct cfg_ctx *c, yaml_node_t *n, struct config_guardrail *g)
{
    static const char *const keys[] = {"window", "chunk_tokens", "context_tokens", "stream_first", NULL};
    return cfg_map_each(c, n, keys, stream_key, g);
}

/* Non-empty strings: an empty keyword or tool name is always a mistake. */
int cfg_coverage(struct cfg_ctx *c, yaml_node_t *v, int non_text, enum config_coverage *out)
{
    static const char *const unknown_words[] = {"check", "refuse", NULL};
    static const char *const non_text_words[] = {"pass", "refuse", NULL};
    int e;
    if (cfg_enum(c, v, non_text ? non_text_words : unknown_words, &e))
        return -1;
    *out = e == 0 ? CONFIG_COVERAGE_CHECK : CONFIG_COVERAGE_REFUSE;
    return 0;
}

static int check_nonempty_items(struct cfg_ctx *c, yaml_node_t *seq, char **v, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        if (!*v[i]) {
            size_t mark = cfg_push_index(c, i);
            cfg_fail(c, cfg_node(c, seq->data.sequence.items.start[i]), "empty %s", what);
            cfg_pop(c, mark);
            return -1;
        }
    }
    return 0;
}

/* prompt_injection's `model: none` (or false / off / no): the lexicon alone, without the shipped model. */
static int model_is_off(const yaml_node_t *v)
{
    static const char *const off[] = {"none", "false", "off", "no"};
    const char *s = cfg_scalar(v);
    for (size_t i = 0; s != NULL && i < sizeof(off) / sizeof(off[0]); i++)
        if (strcasecmp(s, off[i]) == 0)
            return 1;
    return 0;
}

static int parse_guardrail(struct cfg_ctx *c, yaml_node_t *n, struct config_guardrail *g, size_t index)
{
    static const char *const stages[] = {"input", "output", NULL};
    static const char *const timings[] = {"blocking", "concurrent", "async_post", NULL};
    static const char *const actions[] = {"block", "redact", "log", NULL};
    static const char *const on_errors[] = {"fail_closed", "fail_open", NULL};
    static const char *const on_intervened[] = {"apply", "block", NULL};
    static const char *const strategies[] = {"all_must_pass", "first_success", "race", "collect_all", NULL};
    yaml_node_t *type_node = NULL, *list_node = NULL, *args_node = NULL, *name_node = NULL, *api_base_node = NULL;
    int type = -1, has_max = 0, has_on_unreachable = 0;
    char *api_base = NULL;

    if (cfg_expect_map(c, n))
        return -1;
    g->line = cfg_line(n);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *key = cfg_scalar(cfg_node(c, p->key));
        if (!strcmp(key, "type"))
            type_node = cfg_node(c, p->value);
        else if (!strcmp(key, "name"))
            name_node = cfg_node(c, p->value);
    }
    if (name_node) {
        size_t mark = cfg_push_key(c, "name");
        if (cfg_name(c, name_node, &g->name))
            return -1;
        cfg_pop(c, mark);
    } else {
        return cfg_fail(c, n, "missing required key \"name\"");
    }
    if (!type_node)
        return cfg_fail(c, n, "missing required key \"type\" (one of regex, keywords, length, webhook, llm_judge, tools, "
                              "plugin, parallel, chain, pii, secrets, prompt_injection, classifier)");
    size_t tmark = cfg_push_key(c, "type");
    if (cfg_enum(c, type_node, type_names, &type))
        return -1;
    cfg_pop(c, tmark);
    g->type = (enum config_guard_type)type;

    g->stage = CONFIG_STAGE_INPUT;
    g->timing = CONFIG_TIMING_BLOCKING;
    g->cancel_on_failure = 1;
    g->action = CONFIG_ACTION_BLOCK;
    g->timeout_ms = 1000;
    g->on_error = CONFIG_ON_ERROR_FAIL_CLOSED;
    g->status_code = 400;
    g->case_sensitive = type != CONFIG_GUARD_KEYWORDS;
    g->replacement = util_strdup("[REDACTED]");
    cfg_detect_defaults(g);
    g->threshold = 0.5;

    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = cfg_node(c, p->key), *v = cfg_node(c, p->value);
        const char *key = cfg_scalar(k);
        int rc = 0, e;
        if (check_guard_key(c, k, key, type))
            return -1;
        size_t mark = cfg_push_key(c, key);
        if (!strcmp(key, "name") || !strcmp(key, "type")) {
            /* read above */
        } else if (!strcmp(key, "stage")) {
            rc = cfg_enum(c, v, stages, &e);
            g->stage = (enum config_guard_stage)e;
            c->guard_has_stage[index] = 1;
        } else if (!strcmp(key, "timing")) {
            rc = cfg_enum(c, v, timings, &e);
            g->timing = (enum config_guard_timing)e;
            c->guard_has_timing[index] = 1;
        } else if (!strcmp(key, "cancel_on_failure")) {
            rc = cfg_bool(c, v, &g->cancel_on_failure);
        } else if (!strcmp(key, "action")) {
            rc = cfg_enum(c, v, actions, &e);
            g->action = (enum config_guard_action)e;
        } else if (!strcmp(key, "timeout_ms")) {
            rc = cfg_int_field(c, v, 1, INT_MAX, &g->timeout_ms);
        } else if (!strcmp(key, "on_error")) {
            rc = cfg_enum(c, v, on_errors, &e);
            g->on_error = (enum config_guard_on_error)e;
        } else if (!strcmp(key, "on_unreachable")) {
            rc = cfg_enum(c, v, on_errors, &e);
            g->on_unreachable = (enum config_guard_on_error)e;
            has_on_unreachable = 1;
        } else if (!strcmp(key, "on_intervened")) {
            rc = cfg_enum(c, v, on_intervened, &e);
            g->on_intervened = (enum config_guard_on_intervened)e;
        } else if (!strcmp(key, "status_code")) {
            rc = cfg_int_field(c, v, 100, 599, &g->status_code);
        } else if (!strcmp(key, "when")) {
            rc = parse_when(c, v, &g->when);
            g->has_when = 1;
        } else if (!strcmp(key, "stream")) {
            rc = parse_stream(c, v, g);
        } else if (!strcmp(key, "unknown_fields")) {
            rc = cfg_coverage(c, v, 0, &g->unknown_fields);
        } else if (!strcmp(key, "non_text")) {
            rc = cfg_coverage(c, v, 1, &g->non_text);
        } else if (!strcmp(key, "patterns") || !strcmp(key, "keywords")) {
            rc = cfg_str_list(c, v, &g->patterns, &g->n_patterns);
            list_node = v;
        } else if (!strcmp(key, "case_sensitive")) {
            rc = cfg_bool(c, v, &g->case_sensitive);
        } else if (!strcmp(key, "whole_word")) {
            rc = cfg_bool(c, v, &g->whole_word);
        } else if (!strcmp(key, "replacement")) {
            rc = cfg_str(c, v, &g->replacement);
        } else if (!strcmp(key, "max_chars")) {
            rc = cfg_int(c, v, 0, LONG_MAX, &g->max_chars);
            has_max = 1;
        } else if (!strcmp(key, "max_messages")) {
            rc = cfg_int(c, v, 0, LONG_MAX, &g->max_messages);
            has_max = 1;
        } else if (!strcmp(key, "max_tokens")) {
            rc = cfg_int(c, v, 0, LONG_MAX, &g->max_tokens);
            has_max = 1;
        } else if (!strcmp(key, "url")) {
            rc = cfg_http_url(c, v, &g->url);
        } else if (!strcmp(key, "api_base")) {
            rc = cfg_http_url(c, v, &api_base);
            api_base_node = v;
        } else if (!strcmp(key, "api_key_env")) {
            rc = cfg_opt_str(c, v, &g->api_key_env);
            if (!rc && g->api_key_env && (!*g->api_key_env || strchr(g->api_key_env, '=')))
                rc = cfg_fail(c, v, "expected an environment variable name");
        } else if (!strcmp(key, "additional_provider_specific_params")) {
            rc = parse_provider_params(c, v, &g->provider_params_json);
        } else if (!strcmp(key, "headers")) {
            rc = cfg_kv_map(c, v, 1, &g->headers, &g->n_headers);
        } else if (!strcmp(key, "model") && type == CONFIG_GUARD_PROMPT_INJECTION && model_is_off(v)) {
            g->model_off = 1; /* the lexicon alone */
        } else if (!strcmp(key, "model") && (type == CONFIG_GUARD_CLASSIFIER || type == CONFIG_GUARD_PROMPT_INJECTION)) {
            rc = cfg_name(c, v, &g->model_path);
            if (!rc && access(g->model_path, R_OK) != 0)
                rc = cfg_fail(c, v, "cannot read model file \"%s\": %s (build it with `make` or `warden train`)",
                              g->model_path, strerror(errno));
        } else if (!strcmp(key, "threshold")) {
            rc = cfg_double(c, v, 0.0, 1.0, &g->threshold);
        } else if (!strcmp(key, "canary")) {
            rc = cfg_bool(c, v, &g->canary);
        } else if (!strcmp(key, "model")) {
            rc = cfg_name(c, v, &g->judge_model_name);
            if (!rc)
                cfg_add_ref(c, CFG_REF_MODEL, g->judge_model_name, &g->judge_model, v);
        } else if (!strcmp(key, "prompt_template")) {
            rc = cfg_name(c, v, &g->prompt_template);
        } else if (!strcmp(key, "allow")) {
            rc = cfg_str_list(c, v, &g->allow, &g->n_allow) || check_nonempty_items(c, v, g->allow, g->n_allow, "tool name");
        } else if (!strcmp(key, "deny")) {
            rc = cfg_str_list(c, v, &g->deny, &g->n_deny) || check_nonempty_items(c, v, g->deny, g->n_deny, "tool name");
        } else if (!strcmp(key, "arguments")) {
            rc = cfg_kv_map(c, v, 0, &g->arg_patterns, &g->n_arg_patterns);
            args_node = v;
        } else if (!strcmp(key, "path")) {
            rc = cfg_name(c, v, &g->plugin_path);
        } else if (!strcmp(key, "config")) {
            rc = cfg_opt_str(c, v, &g->plugin_config);
        } else if (!strcmp(key, "cpu_bound")) {
            rc = cfg_bool(c, v, &g->cpu_bound);
        } else if (!strcmp(key, "strategy")) {
            rc = cfg_enum(c, v, strategies, &e);
            g->strategy = (enum config_guard_strategy)e;
        } else if (!strcmp(key, "members")) {
            rc = cfg_str_list(c, v, &g->member_names, &g->n_members);
            if (!rc) {
                g->members = util_calloc(g->n_members, sizeof(*g->members));
                cfg_add_refs(c, v, CFG_REF_GUARDRAIL, g->member_names, g->n_members, g->members, sizeof(*g->members));
            }
            list_node = v;
        } else {
            rc = cfg_detect_key(c, key, v, g);
        }
        if (rc) {
            free(api_base);
            return -1;
        }
        cfg_pop(c, mark);
    }
    if (!has_on_unreachable)
        g->on_unreachable = g->on_error;
    if (api_base != NULL) {
        size_t plen = strlen(CONFIG_LITELLM_GUARDRAIL_PATH), blen = strlen(api_base);
        if (g->url != NULL) {
            free(api_base);
            return cfg_fail(c, api_base_node, "give either \"url\" (called as written) or \"api_base\" (LiteLLM style: "
                                              "%s is appended), not both", CONFIG_LITELLM_GUARDRAIL_PATH);
        }
        /* as LiteLLM does: the path is appended unless the base already ends with it */
        if (blen >= plen && !strcmp(api_base + blen - plen, CONFIG_LITELLM_GUARDRAIL_PATH)) {
            g->url = api_base;
        } else {
            g->url = util_malloc(blen + plen + 1);
            memcpy(g->url, api_base, blen);
            memcpy(g->url + blen, CONFIG_LITELLM_GUARDRAIL_PATH, plen + 1);
            free(api_base);
        }
    }
    if (g->api_key_env) {
        const char *key = getenv(g->api_key_env);
        if (key && *key)
            g->api_key = util_strdup(key);
    }

    /* What each type cannot work without. */
    switch (g->type) {
    case CONFIG_GUARD_REGEX:
    case CONFIG_GUARD_KEYWORDS: {
        const char *what = g->type == CONFIG_GUARD_REGEX ? "patterns" : "keywords";
        if (!list_node)
            return cfg_fail(c, n, "missing required key \"%s\"", what);
        size_t mark = cfg_push_key(c, what);
        if (!g->n_patterns)
            return cfg_fail(c, list_node, "needs at least one entry");
        for (size_t i = 0; i < g->n_patterns; i++) {
            size_t imark = cfg_push_index(c, i);
            yaml_node_t *item = cfg_node(c, list_node->data.sequence.items.start[i]);
            if (g->type == CONFIG_GUARD_REGEX) {
                if (cfg_check_regex(c, item, g->patterns[i], !g->case_sensitive))
                    return -1;
            } else if (!*g->patterns[i]) {
                return cfg_fail(c, item, "empty keyword");
            }
            cfg_pop(c, imark);
        }
        cfg_pop(c, mark);
        break;
    }
    case CONFIG_GUARD_LENGTH:
        if (!has_max || (!g->max_chars && !g->max_messages && !g->max_tokens))
            return cfg_fail(c, n, "a length guardrail needs max_chars, max_messages or max_tokens above 0");
        break;
    case CONFIG_GUARD_WEBHOOK:
        if (!g->url)
            return cfg_fail(c, n, "missing required key \"api_base\" (the guard service's base URL; %s is appended) "
                                  "or \"url\" (called as written)", CONFIG_LITELLM_GUARDRAIL_PATH);
        break;
    case CONFIG_GUARD_LLM_JUDGE:
        if (!g->judge_model_name)
            return cfg_fail(c, n, "missing required key \"model\" (the judge model, from models:)");
        break;
    case CONFIG_GUARD_TOOLS:
        if (!g->n_allow && !g->n_deny && !g->n_arg_patterns)
            return cfg_fail(c, n, "a tools guardrail needs allow, deny or arguments");
        if (args_node) {
            size_t mark = cfg_push_key(c, "arguments");
            for (size_t i = 0; i < g->n_arg_patterns; i++) {
                size_t kmark = cfg_push_key(c, g->arg_patterns[i].name);
                yaml_node_t *item = cfg_node(c, args_node->data.mapping.pairs.start[i].value);
                if (cfg_check_regex(c, item, g->arg_patterns[i].value, 0))
                    return -1;
                cfg_pop(c, kmark);
            }
            cfg_pop(c, mark);
        }
        break;
    case CONFIG_GUARD_PLUGIN:
        if (!g->plugin_path)
            return cfg_fail(c, n, "missing required key \"path\" (the plugin's .so)");
        break;
    case CONFIG_GUARD_PII:
    case CONFIG_GUARD_SECRETS:
        if (cfg_detect_finish(c, n, g))
            return -1;
        break;
    case CONFIG_GUARD_CLASSIFIER:
        if (!g->model_path)
            return cfg_fail(c, n, "missing required key \"model\" (a model file, e.g. build/models/toxicity.model)");
        break;
    case CONFIG_GUARD_PROMPT_INJECTION:
        break;
    case CONFIG_GUARD_PARALLEL:
    case CONFIG_GUARD_CHAIN:
        if (!list_node)
            return cfg_fail(c, n, "missing required key \"members\"");
        if (!g->n_members) {
            size_t mark = cfg_push_key(c, "members");
            cfg_fail(c, list_node, "needs at least one member");
            cfg_pop(c, mark);
            return -1;
        }
        break;
    }
    return 0;
}

int cfg_parse_guardrails(struct cfg_ctx *c, yaml_node_t *n)
{
    struct config *cfg = c->cfg;
    if (cfg_expect_seq(c, n))
        return -1;
    cfg->n_guardrails = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    /* room for a canary check per guardrail (add_canary_checks): the array never moves, so
     * the references into it taken while parsing stay valid */
    cfg->guardrails = util_calloc(cfg->n_guardrails * 2 + 1, sizeof(*cfg->guardrails));
    c->guard_has_stage = util_calloc(cfg->n_guardrails, 1);
    c->guard_has_timing = util_calloc(cfg->n_guardrails, 1);
    for (size_t i = 0; i < cfg->n_guardrails; i++) {
        size_t mark = cfg_push_index(c, i);
        if (parse_guardrail(c, cfg_node(c, n->data.sequence.items.start[i]), &cfg->guardrails[i], i))
            return -1;
        cfg_pop(c, mark);
    }
    return 0;
}

static size_t guard_n_edges(void *u, size_t i)
{
    return ((struct config *)u)->guardrails[i].n_members;
}

static size_t guard_edge(void *u, size_t i, size_t k)
{
    struct config *cfg = u;
    return (size_t)(cfg->guardrails[i].members[k] - cfg->guardrails);
}

/* Each prompt_injection guard with canary: true gets its answer-side check, appended to
 * guardrails (the room was reserved) after every reference is resolved, so no user list can
 * name it: a regex guard (guard/engine.c compiles the canary format for it) on the output,
 * which gates the answer whatever this guard's timing, except async_post (then it only
 * logs too). It shares the guard's error policy, status and coverage settings. */
static int add_canary_checks(struct cfg_ctx *c)
{
    struct config *cfg = c->cfg;
    size_t n = cfg->n_guardrails;
    for (size_t i = 0; i < n; i++) {
        struct config_guardrail *g = &cfg->guardrails[i];
        if (g->type != CONFIG_GUARD_PROMPT_INJECTION || !g->canary)
            continue;
        size_t len = strlen(g->name) + sizeof(".canary");
        char *name = util_malloc(len);
        snprintf(name, len, "%s.canary", g->name);
        if (config_find_guardrail(cfg, name) != NULL) {
            snprintf(c->where, sizeof(c->where), "guardrails[%zu].canary", i);
            c->where_len = strlen(c->where);
            cfg_fail_line(c, g->line, "the canary check of %s is named %s, which another guardrail already is", g->name, name);
            free(name);
            return -1;
        }
        struct config_guardrail *k = &cfg->guardrails[cfg->n_guardrails++];
        memset(k, 0, sizeof(*k));
        k->name = name;
        k->type = CONFIG_GUARD_REGEX;
        k->stage = CONFIG_STAGE_OUTPUT;
        k->timing = g->timing == CONFIG_TIMING_ASYNC_POST ? CONFIG_TIMING_ASYNC_POST : CONFIG_TIMING_BLOCKING;
        k->action = g->action == CONFIG_ACTION_LOG ? CONFIG_ACTION_LOG : CONFIG_ACTION_BLOCK;
        k->cancel_on_failure = g->cancel_on_failure;
        k->timeout_ms = g->timeout_ms;
        k->on_error = g->on_error;
        k->on_unreachable = g->on_unreachable;
        k->status_code = g->status_code;
        k->unknown_fields = g->unknown_fields;
        k->non_text = g->non_text;
        k->stream_window = g->stream_window; /* 0: the default; a disguised canary may need more */
        k->line = g->line;
        k->canary_of = g;
        g->canary_check = k;
    }
    return 0;
}

int cfg_guardrails_finish(struct cfg_ctx *c)
{
    struct config *cfg = c->cfg;
    size_t n = cfg->n_guardrails, *cycle, len;
    size_t *order = util_calloc(n, sizeof(*order));
    if (cfg_find_cycle(n, guard_n_edges, guard_edge, cfg, order, &cycle, &len)) {
        char path[192];
        cfg_cycle_path(path, sizeof(path), cycle, len, cfg->guardrails, sizeof(*cfg->guardrails),
                       offsetof(struct config_guardrail, name));
        snprintf(c->where, sizeof(c->where), "guardrails[%zu].members", cycle[0]);
        c->where_len = strlen(c->where);
        cfg_fail_line(c, cfg->guardrails[cycle[0]].line, "member cycle: %s", path);
        free(cycle);
        free(order);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct config_guardrail *g = &cfg->guardrails[i];
        if (g->unknown_fields == CONFIG_COVERAGE_UNSET)
            g->unknown_fields = cfg->unknown_fields;
        if (g->non_text == CONFIG_COVERAGE_UNSET)
            g->non_text = cfg->non_text;
    }
    /* Post-order: a composite's members are settled before the composite. */
    for (size_t j = 0; j < n; j++) {
        size_t i = order[j];
        struct config_guardrail *g = &cfg->guardrails[i];
        if (g->type != CONFIG_GUARD_PARALLEL && g->type != CONFIG_GUARD_CHAIN)
            continue;
        if (!c->guard_has_stage[i])
            g->stage = g->members[0]->stage;
        if (!c->guard_has_timing[i])
            g->timing = g->members[0]->timing;
    }
    free(order);
    return add_canary_checks(c);
}

void cfg_guardrail_free(struct config_guardrail *g)
{
    free(g->name);
    cfg_free_strv(g->when.models, g->when.n_models);
    cfg_free_strv(g->when.paths, g->when.n_paths);
    cfg_free_kv(g->when.headers, g->when.n_headers);
    cfg_free_kv(g->when.metadata, g->when.n_metadata);
    cfg_free_strv(g->patterns, g->n_patterns);
    free(g->replacement);
    free(g->url);
    free(g->api_key_env);
    free(g->api_key);
    free(g->provider_params_json);
    cfg_free_kv(g->headers, g->n_headers);
    free(g->judge_model_name);
    free(g->prompt_template);
    cfg_free_strv(g->allow, g->n_allow);
    cfg_free_strv(g->deny, g->n_deny);
    cfg_free_kv(g->arg_patterns, g->n_arg_patterns);
    free(g->plugin_path);
    free(g->plugin_config);
    free(g->model_path);
    cfg_free_strv(g->member_names, g->n_members);
    free(g->members);
    cfg_detect_free(g);
}
