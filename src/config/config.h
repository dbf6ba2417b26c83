/* Warden configuration: a YAML file parsed once at start-up (libyaml) into an
 * immutable tree of plain structs. Every worker thread reads it without locks.
 *
 * config_load() returns NULL and fills err with "FILE:LINE: message" on the
 * first mistake (unknown key, wrong type, dangling reference, bad value).
 * References between sections (targets -> providers, models -> guardrails,
 * fallbacks -> models, parallel members -> guardrails, llm_judge -> model)
 * are resolved to pointers during load, so a loaded config is always
 * consistent. config_free() releases everything.
 *
 * Secrets: a provider's API key is read from the environment variable named
 * by api_key_env at load time and is never logged or printed. */
#ifndef WARDEN_CONFIG_H
#define WARDEN_CONFIG_H

#include <stddef.h>

struct config_kv {
    char *name;
    char *value;
};

struct config_server {
    char *listen_host;          /* "127.0.0.1" */
    int listen_port;            /* 8080 */
    int workers;                /* resolved: "auto" -> number of CPUs */
    size_t max_body_bytes;      /* request body cap (413 past it); default 4 MiB */
    int header_timeout_ms;      /* whole request (headers + body) must arrive in this; default 10000 */
    int idle_timeout_ms;        /* keep-alive idle; default 60000 */
    int drain_timeout_ms;       /* SIGTERM: in-flight requests get this long; default 10000 */
    size_t max_response_bytes;  /* cap on a buffered upstream answer; default 32 MiB */
    char *access_log;           /* NULL or "-" = stderr; "off" disables; else a file path */
    int max_inflight;           /* per worker; 0 = unlimited */
    int upstream_transport;     /* 0 "auto": http:// on the lean HTTP/1.1 client, TLS on libcurl;
                                 * 1 "curl": libcurl for every upstream (enum upstream_transport_choice) */
};

struct config_retry {
    int max;     /* retries after the first attempt; default 0 */
    int base_ms; /* default 1000 */
    int max_ms;  /* default 8000 */
};

struct config_timeouts {
    int connect_ms;    /* 0 = none; default 10000 */
    int first_byte_ms; /* time to the first byte of the answer; 0 = none */
    int idle_ms;       /* between stream chunks; 0 = none */
    int total_ms;      /* the whole attempt; 0 = none; default 600000 */
};

enum config_provider_type { CONFIG_PROVIDER_OPENAI };

struct config_provider {
    char *name;
    enum config_provider_type type;
    char *base_url;       /* "http://127.0.0.1:9000/v1", no trailing slash */
    char *api_key_env;    /* may be NULL */
    char *api_key;        /* resolved from the environment; NULL if unset */
    struct config_kv *headers; /* extra headers sent upstream */
    size_t n_headers;
    char *ca_file;        /* PEM CA bundle for an https upstream (a private CA); NULL = the system store */
    int line;
};

struct config_target {
    struct config_provider *provider;
    char *model;           /* name sent upstream */
    int weight;            /* default 1 */
    int max_concurrent;    /* 0 = unlimited */
    int queue_max;         /* waiters when at max_concurrent; default 0 = reject at once */
    int queue_timeout_ms;  /* default 1000 */
    struct config_timeouts timeouts; /* inherits the model's, then defaults */
    struct config_retry retry;       /* inherits the model's */
};

enum config_lb {
    CONFIG_LB_WEIGHTED = 0, /* "weighted" (default): weighted random */
    CONFIG_LB_LEAST_INFLIGHT, /* "least_inflight" */
    CONFIG_LB_LATENCY,        /* "latency": lowest EWMA of time to first token */
};

/* Which failures move a request on to the model's fallbacks. */
struct config_fallback_rule {
    int status_min, status_max; /* HTTP status range; 0,0 = connect error / time-out */
    char *to;                   /* NULL = the model's fallbacks list in order; else a model name */
    struct config_model *to_model;
    char *match;                /* optional substring of the upstream error body, e.g. "context_length" */
};

enum config_stream_schema_mode {
    CONFIG_SCHEMA_STREAM_HOLD = 0, /* "hold": buffer the stream until valid (re-ask possible) */
    CONFIG_SCHEMA_STREAM_PASS,     /* "pass": stream through, end with an SSE error if invalid */
};

struct config_structured_output {
    int max_reasks;              /* default 2 */
    int validate_tool_calls;     /* default 0 */
    enum config_stream_schema_mode stream_mode;
    int check_formats;           /* "format" as an assertion; default 0 */
};

struct config_guardrail;

struct config_model {
    char *name;
    struct config_target *targets;
    size_t n_targets;
    enum config_lb lb;
    char **fallback_names;
    struct config_model **fallbacks; /* resolved */
    size_t n_fallbacks;
    struct config_fallback_rule *fallback_rules; /* empty = fall back on any retryable failure */
    size_t n_fallback_rules;
    struct config_retry retry;
    struct config_timeouts timeouts;
    struct config_structured_output structured_output;
    char **guardrail_names;
    struct config_guardrail **guardrails; /* resolved; NULL => default_guardrails apply */
    size_t n_guardrails;
    int has_guardrails; /* the key was present (an empty list disables defaults) */
    int line;
};

enum config_guard_type {
    CONFIG_GUARD_REGEX,
    CONFIG_GUARD_KEYWORDS,
    CONFIG_GUARD_LENGTH,
    CONFIG_GUARD_WEBHOOK,
    CONFIG_GUARD_LLM_JUDGE,
    CONFIG_GUARD_TOOLS,
    CONFIG_GUARD_PLUGIN,
    CONFIG_GUARD_PARALLEL,
    CONFIG_GUARD_CHAIN,
    CONFIG_GUARD_PROMPT_INJECTION,
    CONFIG_GUARD_CLASSIFIER,
};
enum config_guard_stage { CONFIG_STAGE_INPUT, CONFIG_STAGE_OUTPUT };
enum config_guard_timing { CONFIG_TIMING_BLOCKING, CONFIG_TIMING_CONCURRENT, CONFIG_TIMING_ASYNC_POST };
enum config_guard_action { CONFIG_ACTION_BLOCK, CONFIG_ACTION_REDACT, CONFIG_ACTION_LOG };
enum config_guard_on_error { CONFIG_ON_ERROR_FAIL_CLOSED, CONFIG_ON_ERROR_FAIL_OPEN };
enum config_guard_strategy {
    CONFIG_STRATEGY_ALL_MUST_PASS,
    CONFIG_STRATEGY_FIRST_SUCCESS,
    CONFIG_STRATEGY_RACE,
    CONFIG_STRATEGY_COLLECT_ALL,
};

/* `when:` conditions; every non-empty list must match (AND); within a list, any (OR). */
struct config_guard_when {
    char **models;     size_t n_models;
    char **paths;      size_t n_paths;
    struct config_kv *headers; size_t n_headers; /* header name -> exact value ("*" = present) */
    struct config_kv *metadata; size_t n_metadata; /* API-key metadata: key -> value */
};

struct config_guardrail {
    char *name;
    enum config_guard_type type;
    enum config_guard_stage stage;      /* default input */
    enum config_guard_timing timing;    /* default blocking */
    int cancel_on_failure;              /* default 1 */
    enum config_guard_action action;    /* default block */
    int timeout_ms;                     /* default 1000 */
    enum config_guard_on_error on_error; /* default fail_closed */
    int status_code;                    /* HTTP status on block; default 400 */
    struct config_guard_when when;
    int has_when;

    /* regex / keywords */
    char **patterns;   size_t n_patterns; /* regex: patterns; keywords: keywords */
    int case_sensitive; /* default: regex 1, keywords 0 */
    int whole_word;     /* default 0 */
    char *replacement;  /* redact: default "[REDACTED]" */

    /* length: 0 = no limit */
    long max_chars;
    long max_messages;
    long max_tokens; /* approximate: (chars + 3) / 4 */

    /* webhook */
    char *url;
    struct config_kv *headers; size_t n_headers;

    /* llm_judge */
    char *judge_model_name;
    struct config_model *judge_model;
    char *prompt_template; /* "{{input}}" is replaced by the text under check */

    /* tools */
    char **allow; size_t n_allow;
    char **deny;  size_t n_deny;
    struct config_kv *arg_patterns; size_t n_arg_patterns; /* tool name -> regex its arguments JSON must not match */

    /* plugin */
    char *plugin_path;
    char *plugin_config; /* opaque string passed to the plugin's init */
    int cpu_bound;       /* run on the worker pool; the plugin may also declare it */

    /* output streaming */
    int stream_window;       /* bytes held back for inline matching; 0 = auto (longest match) */
    int stream_chunk_tokens; /* slow checks: run every N tokens; default 0 = at end */
    int stream_context_tokens;
    int stream_first;        /* 1 = send chunks before their check finishes */

    /* prompt_injection / classifier */
    double threshold;   /* violation at score >= threshold (classifier: P(positive)); default 0.5 */
    int canary;         /* prompt_injection: canary tokens (src/guard/canary.c); only false is accepted until the
                         * request lifecycle places and checks them */
    char *model_path;   /* classifier: model file from `warden train` */

    /* parallel / chain */
    enum config_guard_strategy strategy;
    char **member_names; size_t n_members;
    struct config_guardrail **members; /* resolved */

    int line;
};

struct config_health {
    int window;          /* outcomes remembered per target; default 20 */
    int min_requests;    /* before the ratio counts; default 5 */
    double error_ratio;  /* open the circuit at or above; default 0.5 */
    int cooldown_ms;     /* default 30000 */
};

struct config_api_key {
    char *key;  /* the bearer token a client sends */
    char *name;
    struct config_kv *metadata; size_t n_metadata;
};

struct config {
    char *path;
    struct config_server server;
    struct config_provider *providers; size_t n_providers;
    struct config_model *models;       size_t n_models;
    struct config_guardrail *guardrails; size_t n_guardrails;
    char **default_guardrail_names;
    struct config_guardrail **default_guardrails; size_t n_default_guardrails;
    struct config_health health;
    struct config_api_key *api_keys; size_t n_api_keys; /* empty = no client auth */
    int async_post_max_pending; /* default 1024 */
    int guard_pool_threads;     /* default 2 */
};

struct config *config_load(const char *path, char *err, size_t errsz);
/* Same, from a string; path is only used in messages. */
struct config *config_load_string(const char *yaml, size_t len, const char *path, char *err, size_t errsz);
void config_free(struct config *cfg);

struct config_model *config_find_model(const struct config *cfg, const char *name);
struct config_guardrail *config_find_guardrail(const struct config *cfg, const char *name);

#endif
