/* Internals shared by the config loader's files (not part of the contract).
 *
 * The loader works on a libyaml document (yaml_parser_load): a flat array of
 * nodes with start marks, so every value keeps its line for messages. One
 * struct config_ctx travels through the walk; it holds the first error, the
 * "where" path of the value being read (e.g. "models[0].targets[1]") and the
 * list of cross references, which are resolved to pointers only after the
 * whole file has been read because sections may appear in any order.
 *
 * Every parse function returns 0 or -1; -1 means cfg_fail() has written the
 * message and the walk unwinds. Whatever was allocated so far already hangs
 * off the struct config (arrays are calloc'd at their final size before
 * they are filled), so one config_free() cleans up every error path. */
#ifndef WARDEN_CONFIG_INT_H
#define WARDEN_CONFIG_INT_H

#include <stddef.h>
#include <yaml.h>

#include "config/config.h"

#define CFG_WHERE_MAX 256

enum cfg_ref_kind { CFG_REF_PROVIDER, CFG_REF_MODEL, CFG_REF_GUARDRAIL };

/* A name that must point at a provider, model or guardrail once all are known. */
struct cfg_ref {
    enum cfg_ref_kind kind;
    char *name;  /* owned copy */
    void *slot;  /* the pointer to set (typed by kind); arrays never move after parsing */
    int line;
    char *where;
};

struct cfg_ctx {
    const char *path;
    yaml_document_t *doc;
    char *err;
    size_t errsz;
    int failed;
    struct config *cfg;
    char where[CFG_WHERE_MAX];
    size_t where_len;
    struct cfg_ref *refs;
    size_t n_refs, cap_refs;
    /* Per guardrail: whether stage/timing were given (parallel/chain inherit them). */
    unsigned char *guard_has_stage, *guard_has_timing;
};

/* Fails (FILE:LINE) at the first value nested more than max_depth collections deep,
 * reading YAML events only: call before building the document. 0 when within the bound
 * or when the text does not parse (the loader reports that). */
int cfg_check_nesting(struct cfg_ctx *c, const char *yaml, size_t len, int max_depth);

/* Errors: "FILE:LINE: where: message"; only the first one is kept. */
int cfg_fail(struct cfg_ctx *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cfg_fail_line(struct cfg_ctx *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cfg_line(const yaml_node_t *n);

/* The where path: push returns the old length to hand back to pop. */
size_t cfg_push_key(struct cfg_ctx *c, const char *key);
size_t cfg_push_index(struct cfg_ctx *c, size_t i);
void cfg_pop(struct cfg_ctx *c, size_t mark);

/* Quotes a user value for a message: escaped, truncated to a readable length. */
const char *cfg_quote(char *out, size_t outsz, const char *s);

yaml_node_t *cfg_node(struct cfg_ctx *c, int index);
const char *cfg_kind_name(const yaml_node_t *n);
int cfg_is_null(const yaml_node_t *n);
const char *cfg_scalar(const yaml_node_t *n); /* NULL unless a scalar */

/* Checks n is a mapping with unique string keys. */
int cfg_expect_map(struct cfg_ctx *c, yaml_node_t *n);
int cfg_expect_seq(struct cfg_ctx *c, yaml_node_t *n);
/* A section's key handler for cfg_map_each: parses value into ud (the struct being filled)
 * and returns 0, -1 after recording an error, or CFG_KEY_UNKNOWN for a key it does not know. */
#define CFG_KEY_UNKNOWN 1
typedef int (*cfg_key_fn)(struct cfg_ctx *c, const char *key, yaml_node_t *value, void *ud);
/* Walks a mapping: checks it (cfg_expect_map), then for each pair pushes the key on the where
 * path, calls on_key and pops it. An unknown key fails with "unknown key" and a suggestion
 * from keys (NULL-terminated). Returns 0, or -1 with the error recorded. */
int cfg_map_each(struct cfg_ctx *c, yaml_node_t *n, const char *const *keys, cfg_key_fn on_key, void *ud);
/* "unknown key "x" (did you mean "y"?)"; allowed is NULL-terminated. */
int cfg_unknown_key(struct cfg_ctx *c, yaml_node_t *key, const char *const *allowed);
const char *cfg_suggest(const char *word, const char *const *candidates, size_t n);

/* Value readers: each checks the node kind and range and reports with the current where. */
int cfg_str(struct cfg_ctx *c, yaml_node_t *n, char **out);          /* non-null string, replaces *out */
int cfg_name(struct cfg_ctx *c, yaml_node_t *n, char **out);         /* non-empty string */
int cfg_opt_str(struct cfg_ctx *c, yaml_node_t *n, char **out);      /* null -> NULL */
int cfg_int(struct cfg_ctx *c, yaml_node_t *n, long min, long max, long *out);
int cfg_int_field(struct cfg_ctx *c, yaml_node_t *n, long min, long max, int *out);
int cfg_bool(struct cfg_ctx *c, yaml_node_t *n, int *out);
int cfg_double(struct cfg_ctx *c, yaml_node_t *n, double min, double max, double *out);
int cfg_size(struct cfg_ctx *c, yaml_node_t *n, size_t *out);
int cfg_enum(struct cfg_ctx *c, yaml_node_t *n, const char *const *names, int *out);
/* unknown_fields: check|refuse, or (non_text set) non_text: pass|refuse */
int cfg_coverage(struct cfg_ctx *c, yaml_node_t *v, int non_text, enum config_coverage *out);
int cfg_str_list(struct cfg_ctx *c, yaml_node_t *n, char ***out, size_t *count);
/* A mapping of strings; as_headers also checks HTTP header syntax. */
int cfg_kv_map(struct cfg_ctx *c, yaml_node_t *n, int as_headers, struct config_kv **out, size_t *count);
int cfg_http_url(struct cfg_ctx *c, yaml_node_t *n, char **out);

/* Records a reference to resolve later, using the current where and n's line. */
void cfg_add_ref(struct cfg_ctx *c, enum cfg_ref_kind kind, const char *name, void *slot, const yaml_node_t *n);
void cfg_add_refs(struct cfg_ctx *c, yaml_node_t *seq, enum cfg_ref_kind kind, char **names, size_t count, void *slots,
                  size_t stride);

/* Depth-first search over n nodes; see config.c. */
int cfg_find_cycle(size_t n, size_t (*n_edges)(void *u, size_t i), size_t (*edge)(void *u, size_t i, size_t k), void *u,
                   size_t *order, size_t **cycle, size_t *cycle_len);
/* A found cycle as "a -> b -> a" in out (truncated); names[i] is node i's name at
 * base + i * stride + name_off (a char *). */
void cfg_cycle_path(char *out, size_t outsz, const size_t *cycle, size_t len, const void *base, size_t stride, size_t name_off);

/* config_guard.c */
int cfg_parse_guardrails(struct cfg_ctx *c, yaml_node_t *n);
int cfg_guardrails_finish(struct cfg_ctx *c);
void cfg_guardrail_free(struct config_guardrail *g);

/* A regex compiles with PCRE2 (UTF, optionally caseless) and is not empty. */
int cfg_check_regex(struct cfg_ctx *c, yaml_node_t *n, const char *pattern, int caseless);

/* config_detect.c: pii / secrets keys and the guardrails_api section */
extern const char *const config_pii_entities[];
extern const char *const config_secret_entities[];
extern const char *const config_validator_names[];
void cfg_detect_defaults(struct config_guardrail *g);
/* Parses one pii/secrets key; CFG_KEY_UNKNOWN if key is not one of them. */
int cfg_detect_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, struct config_guardrail *g);
int cfg_detect_finish(struct cfg_ctx *c, yaml_node_t *n, struct config_guardrail *g);
void cfg_detect_free(struct config_guardrail *g);
int cfg_parse_guardrails_api(struct cfg_ctx *c, yaml_node_t *n);
void cfg_guardrails_api_free(struct config_guardrails_api *a);
/* config_embeddings.c: the `embeddings:` section (top level and per model) */
void cfg_embeddings_unset(struct config_embeddings *e);
int cfg_parse_embeddings(struct cfg_ctx *c, yaml_node_t *n, struct config_embeddings *e);
void cfg_embeddings_inherit(struct config *cfg); /* after parsing: models take the top level's unset keys */
/* config_audit.c: audit, auth, admin, prices, a target's price, api_keys' key_sha256 / key_env */
int cfg_parse_audit(struct cfg_ctx *c, yaml_node_t *n);
void cfg_audit_defaults(struct config *cfg);
int cfg_parse_auth(struct cfg_ctx *c, yaml_node_t *n);
int cfg_parse_admin(struct cfg_ctx *c, yaml_node_t *n);
int cfg_parse_prices(struct cfg_ctx *c, yaml_node_t *n);
int cfg_parse_target_price(struct cfg_ctx *c, yaml_node_t *n, struct config_target *t);
/* CFG_KEY_UNKNOWN for other keys; sets *has_hash when the key's hash was given. */
int cfg_api_key_secret(struct cfg_ctx *c, const char *key, yaml_node_t *v, struct config_api_key *a, int *has_hash);
void cfg_audit_free(struct config *cfg);

/* A YAML node as JSON (plain scalars typed as YAML 1.2's core schema types them); NULL after
 * an error (config_guard.c). */
struct json_t *cfg_yaml_to_json(struct cfg_ctx *c, yaml_node_t *n, int depth);

/* config_fanout.c: pipelines, batch, fanout */
int cfg_parse_pipelines(struct cfg_ctx *c, yaml_node_t *n);
int cfg_parse_batch(struct cfg_ctx *c, yaml_node_t *n);
int cfg_parse_fanout(struct cfg_ctx *c, yaml_node_t *n);
void cfg_fanout_defaults(struct config *cfg);
void cfg_fanout_free(struct config *cfg);

/* config_yaml.c: the shared free helpers */
void cfg_free_strv(char **v, size_t n);
void cfg_free_kv(struct config_kv *kv, size_t n);

#endif
