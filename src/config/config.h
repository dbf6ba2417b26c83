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

#include "config/config_fanout.h"

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
    int http2;                  /* h2c (prior knowledge and Upgrade); default 0: libh2o 2.2.5 has no
                                 * HTTP/2 rapid-reset protection */
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
    int request_ms;    /* the whole request across retries, fallbacks and re-asks (the requested
                          model's value applies); 0 = none (default) */
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
    int has_price;                   /* price: {input_per_mtok, output_per_mtok} given */
    double price_in_per_mtok, price_out_per_mtok; /* USD per million tokens */
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

/* `embeddings:` (top level: the default; per model: overrides it key by key). An `input`
 * array longer than max_batch is split into sub-requests (api/embed_split.h). */
struct config_embeddings {
    int max_batch;       /* inputs per sub-request; 0 = never split (default) */
    int max_concurrency; /* sub-requests in flight for one client request; default 4 */
};

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
    int audit_bodies;   /* -1: audit.bodies decides; 0/1: this model's choice */
    struct config_embeddings embeddings;
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
    CONFIG_GUARD_PII,
    CONFIG_GUARD_SECRETS,
    CONFIG_GUARD_PROMPT_INJECTION,
    CONFIG_GUARD_CLASSIFIER,
};
enum config_guard_stage { CONFIG_STAGE_INPUT, CONFIG_STAGE_OUTPUT };
enum config_guard_timing { CONFIG_TIMING_BLOCKING, CONFIG_TIMING_CONCURRENT, CONFIG_TIMING_ASYNC_POST };
enum config_guard_action { CONFIG_ACTION_BLOCK, CONFIG_ACTION_REDACT, CONFIG_ACTION_LOG };
enum config_guard_on_error { CONFIG_ON_ERROR_FAIL_CLOSED, CONFIG_ON_ERROR_FAIL_OPEN };
/* Guard coverage (README "What the guardrails read"): what to do with strings outside the
 * contract and with non-text content parts. UNSET only while loading: resolved to the
 * top-level guard_coverage: default (check / pass). */
enum config_coverage { CONFIG_COVERAGE_UNSET, CONFIG_COVERAGE_CHECK, CONFIG_COVERAGE_REFUSE };
/* What a webhook's rewrite answer (GUARDRAIL_INTERVENED, or texts returned) does. */
enum config_guard_on_intervened { CONFIG_ON_INTERVENED_APPLY, CONFIG_ON_INTERVENED_BLOCK };

/* LiteLLM's Generic Guardrail API endpoint, appended to a webhook's api_base. */
#define CONFIG_LITELLM_GUARDRAIL_PATH "/beta/litellm_basic_guardrail_api"
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

/* pii / secrets: what action: redact puts in place of a finding */
enum config_redaction {
    CONFIG_REDACT_MASK,       /* "mask": "****" */
    CONFIG_REDACT_TYPED,      /* "typed": <EMAIL_ADDRESS_1>, numbered per distinct value in the request */
    CONFIG_REDACT_REVERSIBLE, /* "reversible": typed upstream, originals restored in the answer */
};

/* A pii recognizer or secrets rule added in the config (config_detect.c). */
struct config_recognizer {
    char *name;      /* the finding's type, e.g. EMPLOYEE_ID */
    char *regex;
    char *validator; /* NULL, or luhn | card | iban | ssn | ipv4 | ipv6 | mac | crypto | phone | entropy */
    char **context; size_t n_context; /* words nearby that raise the score */
    double score;    /* default 0.6 */
    int line;
};

struct config_guardrail {
    char *name;
    enum config_guard_type type;
    enum config_guard_stage stage;      /* default input */
    enum config_guard_timing timing;    /* default blocking */
    int cancel_on_failure;              /* default 1 */
    enum config_guard_action action;    /* default block */
    int timeout_ms;                     /* default 1000 */
    enum config_guard_on_error on_error; /* default fail_closed; for remote checks: a bad answer */
    enum config_guard_on_error on_unreachable; /* webhook / llm_judge: connection error, 502/503/504, time-out;
                                                * default: the value of on_error */
    int status_code;                    /* HTTP status on block; default 400 */
    enum config_coverage unknown_fields; /* check (default) | refuse */
    enum config_coverage non_text;       /* CHECK = pass (not text: noted as unchecked) | refuse */
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

    /* webhook: LiteLLM's Generic Guardrail API */
    char *url;          /* the endpoint called: `url` as written, or `api_base` + CONFIG_LITELLM_GUARDRAIL_PATH */
    char *api_key_env;  /* sent as x-api-key */
    char *api_key;      /* resolved from the environment at load; NULL if unset; never logged */
    struct config_kv *headers; size_t n_headers;
    char *provider_params_json; /* additional_provider_specific_params as JSON object text; NULL = {} */
    enum config_guard_on_intervened on_intervened; /* default apply */

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

    /* pii / secrets */
    char **entities; size_t n_entities; /* built-in entity types (pii) or rule names (secrets); empty = all */
    double score_threshold;             /* findings below are ignored; default 0.5 */
    enum config_redaction redaction;    /* default mask */
    struct config_recognizer *recognizers; size_t n_recognizers; /* pii recognizers: / secrets rules: */
    double entropy_threshold;           /* secrets: bits per character of a generic token; default 3.0 */
    /* prompt_injection / classifier */
    double threshold;   /* violation at score >= threshold (classifier: P(positive)); default 0.5 */
    int canary;         /* prompt_injection: canary tokens (src/guard/canary.h) */
    struct config_guardrail *canary_check; /* canary: true: its answer-side check, a companion the loader appends
                                            * to guardrails: type regex (the canary format), stage output,
                                            * named "<name>.canary", action block (log when this guard logs) */
    const struct config_guardrail *canary_of; /* a companion: its prompt_injection guard; NULL for the others */
    char *model_path;   /* classifier: model file from `warden train`; prompt_injection: its model, NULL =
                         * the shipped one next to the binary if present (guard/engine.c) */
    int model_off;      /* prompt_injection: `model: none` (or false): the lexicon alone */

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
    char *key;  /* the bearer token a client sends (plain `key`); NULL with key_sha256 / key_env */
    char *key_env; /* `key_env`: the environment variable the key was read from */
    unsigned char key_sha256[32]; /* SHA-256 of the key: what requests are matched against */
    char *name;
    struct config_kv *metadata; size_t n_metadata;
};

/* POST /v1/guardrails/check */
struct config_guardrails_api {
    int enabled;     /* default 0: the route answers 404 */
    char *token_env; /* NULL: no token required */
    char *token;     /* resolved from the environment; NULL when token_env is unset (then every call is refused) */
};

enum config_audit_sink { CONFIG_AUDIT_OFF = 0, CONFIG_AUDIT_SQLITE, CONFIG_AUDIT_POSTGRES };
enum config_audit_overflow {
    CONFIG_AUDIT_REFUSE = 0, /* "refuse" (default): new requests get 503 while the journal is full */
    CONFIG_AUDIT_DROP,       /* "drop": records that fit nowhere are dropped and counted */
};

/* `audit:` (src/audit). The section's presence turns auditing on (sink: sqlite by default). */
struct config_audit {
    enum config_audit_sink sink;
    char *path;              /* sqlite: the database file; default "warden-audit.db" */
    char *dsn;               /* postgres: libpq connection string */
    char *journal_path;      /* default: path (or "warden-audit") + ".journal" */
    unsigned long journal_max_mb; /* default 1024 */
    enum config_audit_overflow overflow;
    int bodies;              /* record request and answer text; default 0 */
    size_t body_max_bytes;   /* cap per body; default 65536 */
    int retention_days;      /* 0 = keep forever */
    int queue_size;          /* records per worker queue; default 8192 */
    int batch_max;           /* records per sink transaction; default 2000 */
    int flush_ms;            /* the writer's idle poll; default 10 */
    int drain_ms;            /* shutdown: time to empty queues and journal; default server.drain_timeout_ms */
};

/* `prices:` entries: USD per million tokens for a model name (the upstream name or the client's). */
struct config_price {
    char *model;
    double input_per_mtok, output_per_mtok;
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
    enum config_coverage unknown_fields; /* guard_coverage.unknown_fields: default for guardrails; check */
    enum config_coverage non_text;       /* guard_coverage.non_text: pass (CHECK) or refuse */
    int guard_pool_threads;     /* default 2 */
    struct config_guardrails_api guardrails_api;
    struct config_audit audit;
    struct config_price *prices; size_t n_prices;
    int auth_required;          /* `auth: {required: true}`: every API request needs a configured key */
    char *admin_token_env;      /* `admin: {token_env: NAME}` */
    int has_admin_token;        /* the variable was set (non-empty) at load */
    unsigned char admin_token_sha256[32];
    struct config_pipeline *pipelines; size_t n_pipelines; /* `pipelines:` (config_fanout.h) */
    struct config_batch batch;
    struct config_fanout fanout;
    struct config_embeddings embeddings; /* the default for models without their own */
};

struct config *config_load(const char *path, char *err, size_t errsz);
/* Same, from a string; path is only used in messages. */
struct config *config_load_string(const char *yaml, size_t len, const char *path, char *err, size_t errsz);
void config_free(struct config *cfg);

struct config_model *config_find_model(const struct config *cfg, const char *name);
struct config_guardrail *config_find_guardrail(const struct config *cfg, const char *name);
struct config_pipeline *config_find_pipeline(const struct config *cfg, const char *name, size_t len);

#endif
