/* The keys of the pii and secrets guardrail types, and the guardrails_api
 * section (POST /v1/guardrails/check).
 *
 *   - {name: pii, type: pii, action: redact, redaction: typed,
 *      entities: [EMAIL_ADDRESS, PHONE_NUMBER], score_threshold: 0.5,
 *      recognizers: [{name: EMPLOYEE_ID, regex: "EMP-[0-9]{6}", validator: luhn,
 *                     context: [employee], score: 0.7}]}
 *   - {name: keys, type: secrets, entities: [OPENAI_API_KEY, GENERIC_SECRET],
 *      entropy_threshold: 3.5, rules: [{name: ACME_TOKEN, regex: "acme_[a-z0-9]{32}"}]}
 *
 * The entity and validator names are checked here so --check-config reports a
 * typo with its line; the guard module (pii.c, secrets.c) owns the patterns.
 * tests/unit/guard/test_pii.c checks that both sides know the same names. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"
#include "util/alloc.h"

const char *const config_pii_entities[] = {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
                                           "IP_ADDRESS",    "MAC_ADDRESS",  "CRYPTO",      "URL",       NULL};
const char *const config_secret_entities[] = {
    "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN",
    "GITLAB_TOKEN",   "SLACK_TOKEN",       "SLACK_WEBHOOK",     "STRIPE_KEY",            "GOOGLE_API_KEY",
    "HUGGINGFACE_TOKEN", "PRIVATE_KEY",    "JWT",               "DATABASE_URL",          "GENERIC_SECRET",
    NULL};
const char *const config_validator_names[] = {"luhn", "card", "iban", "ssn",   "ipv4",    "ipv6",
                                              "mac",  "crypto", "phone", "email", "entropy", NULL};

static const char *const redactions[] = {"mask", "typed", "reversible", NULL};

void cfg_detect_defaults(struct config_guardrail *g)
{
    g->score_threshold = 0.5;
    g->entropy_threshold = 3.0;
    g->redaction = CONFIG_REDACT_MASK;
}

static int in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(list[i], s))
            return 1;
    return 0;
}

static size_t list_len(const char *const *list)
{
    size_t n = 0;
    while (list[n])
        n++;
    return n;
}

/* A name used as a finding type and inside placeholders: <NAME_1>. */
static int check_type_name(struct cfg_ctx *c, yaml_node_t *n, const char *s)
{
    char q[96];
    size_t len = strlen(s);
    if (len == 0 || len >= 40)
        return cfg_fail(c, n, "a recognizer name needs 1 to 39 characters, got %zu", len);
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return cfg_fail(c, n, "recognizer name %s may only use letters, digits and '_' (it names placeholders)",
                            cfg_quote(q, sizeof(q), s));
    return 0;
}

static int check_entities(struct cfg_ctx *c, yaml_node_t *seq, struct config_guardrail *g)
{
    const char *const *known = g->type == CONFIG_GUARD_PII ? config_pii_entities : config_secret_entities;
    char q[96];
    for (size_t i = 0; i < g->n_entities; i++) {
        if (in_list(known, g->entities[i]))
            continue;
        size_t mark = cfg_push_index(c, i);
        yaml_node_t *item = cfg_node(c, seq->data.sequence.items.start[i]);
        const char *s = cfg_suggest(g->entities[i], known, list_len(known));
        char all[400];
        size_t o = 0;
        all[0] = '\0';
        for (size_t k = 0; known[k] && o < sizeof(all); k++)
            o += (size_t)snprintf(all + o, sizeof(all) - o, "%s%s", k ? ", " : "", known[k]);
        if (s)
            cfg_fail(c, item, "unknown entity %s (did you mean \"%s\"?)", cfg_quote(q, sizeof(q), g->entities[i]), s);
        else
            cfg_fail(c, item, "unknown entity %s (one of %s)", cfg_quote(q, sizeof(q), g->entities[i]), all);
        cfg_pop(c, mark);
        return -1;
    }
    return 0;
}

/* A recognizer that can match the empty string would find something in every text. */
static int check_not_empty_match(struct cfg_ctx *c, yaml_node_t *n, const char *pattern)
{
    char q[96];
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
    if (re == NULL)
        return 0; /* cfg_check_regex reported it */
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int empty = pcre2_match(re, (PCRE2_SPTR) "", 0, 0, 0, md, NULL) >= 0;
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return empty ? cfg_fail(c, n, "regex %s matches the empty string (it would match every text)", cfg_quote(q, sizeof(q), pattern))
                 : 0;
}

static int recognizer_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config_recognizer *r = ud;
    char q[96];
    if (!strcmp(key, "name"))
        return cfg_name(c, v, &r->name) || check_type_name(c, v, r->name);
    if (!strcmp(key, "regex"))
        return cfg_name(c, v, &r->regex) || cfg_check_regex(c, v, r->regex, 0) || check_not_empty_match(c, v, r->regex);
    if (!strcmp(key, "validator")) {
        if (cfg_name(c, v, &r->validator))
            return -1;
        if (!in_list(config_validator_names, r->validator)) {
            const char *s = cfg_suggest(r->validator, config_validator_names, list_len(config_validator_names));
            return s ? cfg_fail(c, v, "unknown validator %s (did you mean \"%s\"?)", cfg_quote(q, sizeof(q), r->validator), s)
                     : cfg_fail(c, v, "unknown validator %s (one of luhn, card, iban, ssn, ipv4, ipv6, mac, crypto, phone, "
                                      "email, entropy)",
                                cfg_quote(q, sizeof(q), r->validator));
        }
        return 0;
    }
    if (!strcmp(key, "context"))
        return cfg_str_list(c, v, &r->context, &r->n_context);
    if (!strcmp(key, "score"))
        return cfg_double(c, v, 0, 1, &r->score);
    return CFG_KEY_UNKNOWN;
}

static int parse_recognizers(struct cfg_ctx *c, yaml_node_t *n, struct config_guardrail *g)
{
    static const char *const keys[] = {"name", "regex", "validator", "context", "score", NULL};
    if (cfg_expect_seq(c, n))
        return -1;
    g->n_recognizers = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    g->recognizers = util_calloc(g->n_recognizers ? g->n_recognizers : 1, sizeof(*g->recognizers));
    for (size_t i = 0; i < g->n_recognizers; i++) {
        size_t mark = cfg_push_index(c, i);
        yaml_node_t *item = cfg_node(c, n->data.sequence.items.start[i]);
        struct config_recognizer *r = &g->recognizers[i];
        r->score = 0.6;
        r->line = cfg_line(item);
        if (cfg_map_each(c, item, keys, recognizer_key, r))
            return -1;
        if (!r->name)
            return cfg_fail(c, item, "missing required key \"name\"");
        if (!r->regex)
            return cfg_fail(c, item, "missing required key \"regex\"");
        cfg_pop(c, mark);
    }
    return 0;
}

int cfg_detect_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, struct config_guardrail *g)
{
    if (!strcmp(key, "entities"))
        return cfg_str_list(c, v, &g->entities, &g->n_entities) || check_entities(c, v, g);
    if (!strcmp(key, "score_threshold"))
        return cfg_double(c, v, 0, 1, &g->score_threshold);
    if (!strcmp(key, "entropy_threshold"))
        return cfg_double(c, v, 0, 8, &g->entropy_threshold);
    if (!strcmp(key, "redaction")) {
        int e;
        if (cfg_enum(c, v, redactions, &e))
            return -1;
        g->redaction = (enum config_redaction)e;
        return 0;
    }
    if (!strcmp(key, "recognizers") || !strcmp(key, "rules"))
        return parse_recognizers(c, v, g);
    return CFG_KEY_UNKNOWN;
}

int cfg_detect_finish(struct cfg_ctx *c, yaml_node_t *n, struct config_guardrail *g)
{
    if (g->redaction == CONFIG_REDACT_REVERSIBLE && g->stage != CONFIG_STAGE_INPUT)
        return cfg_fail(c, n, "redaction: reversible needs stage: input (the originals are restored in the answer)");
    return 0;
}

void cfg_detect_free(struct config_guardrail *g)
{
    cfg_free_strv(g->entities, g->n_entities);
    for (size_t i = 0; i < g->n_recognizers; i++) {
        struct config_recognizer *r = &g->recognizers[i];
        free(r->name);
        free(r->regex);
        free(r->validator);
        cfg_free_strv(r->context, r->n_context);
    }
    free(g->recognizers);
}

/* ---- guardrails_api: {enabled: true, token_env: NAME} ---- */

static int api_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config_guardrails_api *a = ud;
    if (!strcmp(key, "enabled"))
        return cfg_bool(c, v, &a->enabled);
    if (!strcmp(key, "token_env"))
        return cfg_name(c, v, &a->token_env);
    return CFG_KEY_UNKNOWN;
}

int cfg_parse_guardrails_api(struct cfg_ctx *c, yaml_node_t *n)
{
    static const char *const keys[] = {"enabled", "token_env", NULL};
    struct config_guardrails_api *a = &c->cfg->guardrails_api;
    if (cfg_map_each(c, n, keys, api_key, a))
        return -1;
    if (a->token_env) {
        const char *t = getenv(a->token_env);
        if (t && *t)
            a->token = util_strdup(t);
    }
    return 0;
}

void cfg_guardrails_api_free(struct config_guardrails_api *a)
{
    free(a->token_env);
    free(a->token);
}
