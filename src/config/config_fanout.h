/* Fan-out configuration (src/fanout): `pipelines:`, `batch:` and `fanout:`. Part of the
 * config contract (config.h includes it); parsed in config_fanout.c. */
#ifndef WARDEN_CONFIG_FANOUT_H
#define WARDEN_CONFIG_FANOUT_H

#include <stddef.h>

struct config_model;

/* One step of a pipeline: one chat-completions call. */
struct config_pipeline_step {
    char *name;
    char *model_name;
    struct config_model *model; /* resolved */
    char *prompt;               /* template (util/template.h): the user message */
    char *system;               /* template of an optional system message; NULL: none */
    long max_tokens;            /* 0: not sent */
    double temperature;         /* sent when has_temperature */
    int has_temperature;
    char *schema_json;          /* the JSON Schema sent as response_format (compact JSON); NULL: text output */
    int schema_wrapped;         /* the schema's root is not an object: sent as {"value": <schema>}, unwrapped */
    char *params_json;          /* `params:` extra body fields (a JSON object's text); NULL: none */
    int required;               /* default 1: its failure fails the run */
    size_t *after;              /* indices of the steps it waits for */
    size_t n_after;
    int line;
};

struct config_pipeline {
    char *name;
    int max_concurrency;        /* upstream calls in flight for one run; default 8 */
    struct config_pipeline_step *steps;
    size_t n_steps;
    int line;
};

/* `batch:` POST /v1/chat/completions/batch and /v1/pipelines/{name}/batch */
struct config_batch {
    int max_concurrency;        /* upstream calls in flight for one batch request; default 16 */
    int max_items;              /* items per batch request (413 past it); default 1000 */
    int deadline_ms;            /* the whole batch; 0: none (default) */
};

/* `fanout:` per worker, across every pipeline run and batch */
struct config_fanout {
    int max_inflight;           /* fan-out upstream calls in flight per worker; 0: unlimited (default) */
};

#endif
