/* The fan-out sections: `pipelines:`, `batch:` and `fanout:` (config_fanout.h).
 *
 * A pipeline is checked whole once its steps are read: every `after:` name is a step of
 * the same pipeline, `after:` has no cycle, every template parses (util/template.h) and
 * every {{steps.NAME...}} names a step the referring step waits for (directly or through
 * other steps), so its output exists when the template is filled. Request variables
 * ({{text}}, {{a.b}}) can only be checked when a request comes (400 naming the variable).
 * Step models are resolved with the other cross references (unknown model: FILE:LINE). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"
#include "util/alloc.h"
#include "util/template.h"

#define PIPELINE_STEPS_MAX 64

/* What a step's parse leaves for the whole-pipeline checks. */
struct step_parse {
    struct config_pipeline_step *s;
    char **after_names;
    size_t n_after;
    yaml_node_t *after_node, *prompt_node, *system_node;
};

/* Pipeline and step names go into URLs, request ids, metric labels and template paths. */
static int plain_name(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static int parse_schema(struct cfg_ctx *c, yaml_node_t *v, struct config_pipeline_step *s)
{
    if (cfg_expect_map(c, v))
        return -1;
    json_t *schema = cfg_yaml_to_json(c, v, 0);
    if (schema == NULL)
        return -1;
    /* json_schema answers must be objects: any other root travels as {"value": ...} */
    const char *type = json_string_value(json_object_get(schema, "type"));
    if (type == NULL || strcmp(type, "object") != 0) {
        json_t *w = json_pack("{s:s, s:{s:o}, s:[s], s:b}", "type", "object", "properties", "value", schema, "required", "value",
                              "additionalProperties", 0);
        schema = w;
        s->schema_wrapped = 1;
    }
    char *text = schema ? json_dumps(schema, JSON_COMPACT) : NULL;
    json_decref(schema);
    if (text == NULL)
        return cfg_fail(c, v, "the schema cannot be written as JSON");
    free(s->schema_json);
    s->schema_json = util_strdup(text);
    free(text);
    return 0;
}

static int parse_params(struct cfg_ctx *c, yaml_node_t *v, struct config_pipeline_step *s)
{
    static const char *const reserved[] = {"model", "messages", "stream", "response_format", "max_tokens", "temperature", NULL};
    if (cfg_expect_map(c, v))
        return -1;
    json_t *j = cfg_yaml_to_json(c, v, 0);
    if (j == NULL)
        return -1;
    for (size_t i = 0; reserved[i]; i++) {
        if (json_object_get(j, reserved[i]) != NULL) {
            json_decref(j);
            return cfg_fail(c, v, "params: \"%s\" is set by the step itself (its own key, or the pipeline)", reserved[i]);
        }
    }
    char *text = json_object_size(j) ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    free(s->params_json);
    s->params_json = text ? util_strdup(text) : NULL;
    free(text);
    return 0;
}

static int step_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct step_parse *p = ud;
    struct config_pipeline_step *s = p->s;
    if (!strcmp(key, "model")) {
        if (cfg_name(c, v, &s->model_name))
            return -1;
        cfg_add_ref(c, CFG_REF_MODEL, s->model_name, &s->model, v);
        return 0;
    }
    if (!strcmp(key, "prompt")) {
        p->prompt_node = v;
        return cfg_name(c, v, &s->prompt);
    }
    if (!strcmp(key, "system")) {
        p->system_node = v;
        return cfg_opt_str(c, v, &s->system);
    }
    if (!strcmp(key, "max_tokens"))
        return cfg_int(c, v, 1, 10000000, &s->max_tokens);
    if (!strcmp(key, "temperature")) {
        s->has_temperature = 1;
        return cfg_double(c, v, 0, 2, &s->temperature);
    }
    if (!strcmp(key, "schema"))
        return parse_schema(c, v, s);
    if (!strcmp(key, "params"))
        return parse_params(c, v, s);
    if (!strcmp(key, "required"))
        return cfg_bool(c, v, &s->required);
    if (!strcmp(key, "after")) {
        p->after_node = v;
        return cfg_str_list(c, v, &p->after_names, &p->n_after);
    }
    return CFG_KEY_UNKNOWN;
}

static ssize_t step_index(const struct config_pipeline *pl, const char *name, size_t len)
{
    for (size_t i = 0; i < pl->n_steps; i++)
        if (pl->steps[i].name != NULL && strlen(pl->steps[i].name) == len && memcmp(pl->steps[i].name, name, len) == 0)
            return (ssize_t)i;
    return -1;
}

static size_t after_n_edges(void *u, size_t i)
{
    return ((struct config_pipeline *)u)->steps[i].n_after;
}

static size_t after_edge(void *u, size_t i, size_t k)
{
    return ((struct config_pipeline *)u)->steps[i].after[k];
}

/* Marks in reach[] every step that step i waits for, directly or not. */
static void closure(const struct config_pipeline *pl, size_t i, unsigned char *reach)
{
    for (size_t k = 0; k < pl->steps[i].n_after; k++) {
        size_t d = pl->steps[i].after[k];
        if (!reach[d]) {
            reach[d] = 1;
            closure(pl, d, reach); /* depth bounded by PIPELINE_STEPS_MAX, and acyclic by now */
        }
    }
}

/* Every reference of a template: well formed, and a steps.NAME that i waits for. */
static int check_template(struct cfg_ctx *c, const struct config_pipeline *pl, size_t i, yaml_node_t *node, const char *key,
                          const char *t, const unsigned char *reach)
{
    size_t pos = 0, len = strlen(t);
    struct util_tmpl_tok tok;
    const char *why = NULL;
    int r;
    size_t mark = cfg_push_key(c, pl->steps[i].name);
    cfg_push_key(c, key);
    while ((r = util_tmpl_next(t, len, &pos, &tok, &why)) == 1) {
        const char *seg;
        size_t seg_len;
        if (!tok.is_ref)
            continue;
        util_tmpl_segment(tok.s, tok.len, 0, &seg, &seg_len);
        if (seg_len != 5 || memcmp(seg, "steps", 5) != 0)
            continue; /* a request variable: checked per request */
        if (!util_tmpl_segment(tok.s, tok.len, 1, &seg, &seg_len))
            return cfg_fail(c, node, "{{steps}} needs a step name: {{steps.NAME}}");
        ssize_t d = step_index(pl, seg, seg_len);
        if (d < 0)
            return cfg_fail(c, node, "unknown template variable {{%.*s}}: no step \"%.*s\" in this pipeline", (int)tok.len, tok.s,
                            (int)seg_len, seg);
        if (!reach[d])
            return cfg_fail(c, node, "template variable {{%.*s}}: step \"%s\" must list \"%.*s\" (or a step after it) in after:",
                            (int)tok.len, tok.s, pl->steps[i].name, (int)seg_len, seg);
    }
    if (r < 0)
        return cfg_fail(c, node, "bad template at byte %zu: %s", pos, why);
    cfg_pop(c, mark);
    return 0;
}

/* after: names to indices, no cycle, templates checked. */
static int pipeline_finish(struct cfg_ctx *c, yaml_node_t *steps_node, struct config_pipeline *pl, struct step_parse *sp)
{
    for (size_t i = 0; i < pl->n_steps; i++) {
        struct config_pipeline_step *s = &pl->steps[i];
        s->after = util_calloc(sp[i].n_after ? sp[i].n_after : 1, sizeof(*s->after));
        for (size_t k = 0; k < sp[i].n_after; k++) {
            ssize_t d = step_index(pl, sp[i].after_names[k], strlen(sp[i].after_names[k]));
            if (d < 0 || (size_t)d == i) {
                char q[96];
                cfg_push_key(c, s->name); /* the error unwinds the walk: no pop */
                cfg_push_key(c, "after");
                return cfg_fail(c, sp[i].after_node, d < 0 ? "unknown step %s" : "step %s cannot wait for itself",
                                cfg_quote(q, sizeof(q), sp[i].after_names[k]));
            }
            s->after[s->n_after++] = (size_t)d;
        }
    }
    size_t *cycle, len;
    if (cfg_find_cycle(pl->n_steps, after_n_edges, after_edge, pl, NULL, &cycle, &len)) {
        char path[256];
        cfg_cycle_path(path, sizeof(path), cycle, len, pl->steps, sizeof(*pl->steps), offsetof(struct config_pipeline_step, name));
        yaml_node_t *at = sp[cycle[0]].after_node ? sp[cycle[0]].after_node : steps_node;
        free(cycle);
        return cfg_fail(c, at, "cycle in after: %s", path);
    }
    unsigned char *reach = util_calloc(pl->n_steps, 1);
    int rc = 0;
    for (size_t i = 0; i < pl->n_steps && rc == 0; i++) {
        memset(reach, 0, pl->n_steps);
        closure(pl, i, reach);
        rc = check_template(c, pl, i, sp[i].prompt_node, "prompt", pl->steps[i].prompt, reach);
        if (rc == 0 && pl->steps[i].system != NULL)
            rc = check_template(c, pl, i, sp[i].system_node, "system", pl->steps[i].system, reach);
    }
    free(reach);
    return rc;
}

static int parse_steps(struct cfg_ctx *c, yaml_node_t *n, struct config_pipeline *pl)
{
    static const char *const keys[] = {"model", "prompt", "system", "max_tokens", "temperature", "schema", "params", "required",
                                       "after", NULL};
    if (cfg_expect_map(c, n))
        return -1;
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (count == 0)
        return cfg_fail(c, n, "a pipeline needs at least one step");
    if (count > PIPELINE_STEPS_MAX)
        return cfg_fail(c, n, "%zu steps; a pipeline has at most %d", count, PIPELINE_STEPS_MAX);
    pl->steps = util_calloc(count, sizeof(*pl->steps));
    struct step_parse *sp = util_calloc(count, sizeof(*sp));
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
        yaml_node_t *k = cfg_node(c, p->key), *v = cfg_node(c, p->value);
        struct config_pipeline_step *s = &pl->steps[i];
        pl->n_steps = i + 1;
        s->required = 1;
        s->line = cfg_line(k);
        sp[i].s = s;
        size_t mark = cfg_push_key(c, cfg_scalar(k) ? cfg_scalar(k) : "?");
        if (cfg_name(c, k, &s->name) != 0) {
            rc = -1;
        } else if (!strcmp(s->name, "_meta")) {
            rc = cfg_fail(c, k, "\"_meta\" is the answer's metadata field; name the step otherwise");
        } else if (!plain_name(s->name)) {
            rc = cfg_fail(c, k, "a step name is letters, digits, '_' and '-'");
        } else if ((rc = cfg_map_each(c, v, keys, step_key, &sp[i])) == 0) {
            if (s->model_name == NULL)
                rc = cfg_fail(c, v, "missing required key \"model\"");
            else if (s->prompt == NULL)
                rc = cfg_fail(c, v, "missing required key \"prompt\"");
        }
        if (rc == 0)
            cfg_pop(c, mark);
    }
    if (rc == 0)
        rc = pipeline_finish(c, n, pl, sp);
    for (size_t i = 0; i < count; i++)
        cfg_free_strv(sp[i].after_names, sp[i].n_after);
    free(sp);
    return rc;
}

static int pipeline_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config_pipeline *pl = ud;
    if (!strcmp(key, "name"))
        return cfg_name(c, v, &pl->name);
    if (!strcmp(key, "max_concurrency"))
        return cfg_int_field(c, v, 1, 1024, &pl->max_concurrency);
    if (!strcmp(key, "steps"))
        return parse_steps(c, v, pl);
    return CFG_KEY_UNKNOWN;
}

int cfg_parse_pipelines(struct cfg_ctx *c, yaml_node_t *n)
{
    static const char *const keys[] = {"name", "max_concurrency", "steps", NULL};
    struct config *cfg = c->cfg;
    if (cfg_expect_seq(c, n))
        return -1;
    size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    cfg->pipelines = util_calloc(count ? count : 1, sizeof(*cfg->pipelines));
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *pn = cfg_node(c, n->data.sequence.items.start[i]);
        struct config_pipeline *pl = &cfg->pipelines[i];
        cfg->n_pipelines = i + 1;
        pl->line = cfg_line(pn);
        pl->max_concurrency = 8;
        size_t mark = cfg_push_index(c, i);
        if (cfg_map_each(c, pn, keys, pipeline_key, pl))
            return -1;
        if (pl->name == NULL)
            return cfg_fail(c, pn, "missing required key \"name\"");
        if (pl->steps == NULL)
            return cfg_fail(c, pn, "missing required key \"steps\"");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(cfg->pipelines[j].name, pl->name))
                return cfg_fail(c, pn, "duplicate pipeline name \"%.60s\" (first defined at line %d)", pl->name,
                                cfg->pipelines[j].line);
        if (!plain_name(pl->name))
            return cfg_fail(c, pn, "a pipeline name is letters, digits, '_' and '-' (it is a URL path segment)");
        cfg_pop(c, mark);
    }
    return 0;
}

static int batch_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config_batch *b = ud;
    if (!strcmp(key, "max_concurrency"))
        return cfg_int_field(c, v, 1, 4096, &b->max_concurrency);
    if (!strcmp(key, "max_items"))
        return cfg_int_field(c, v, 1, 1000000, &b->max_items);
    if (!strcmp(key, "deadline_ms"))
        return cfg_int_field(c, v, 0, 86400000, &b->deadline_ms);
    return CFG_KEY_UNKNOWN;
}

int cfg_parse_batch(struct cfg_ctx *c, yaml_node_t *n)
{
    static const char *const keys[] = {"max_concurrency", "max_items", "deadline_ms", NULL};
    return cfg_map_each(c, n, keys, batch_key, &c->cfg->batch);
}

static int fanout_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config_fanout *f = ud;
    if (!strcmp(key, "max_inflight"))
        return cfg_int_field(c, v, 0, 1000000, &f->max_inflight);
    return CFG_KEY_UNKNOWN;
}

int cfg_parse_fanout(struct cfg_ctx *c, yaml_node_t *n)
{
    static const char *const keys[] = {"max_inflight", NULL};
    return cfg_map_each(c, n, keys, fanout_key, &c->cfg->fanout);
}

void cfg_fanout_defaults(struct config *cfg)
{
    if (cfg->batch.max_concurrency == 0)
        cfg->batch.max_concurrency = 16;
    if (cfg->batch.max_items == 0)
        cfg->batch.max_items = 1000;
}

void cfg_fanout_free(struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_pipelines; i++) {
        struct config_pipeline *pl = &cfg->pipelines[i];
        for (size_t j = 0; j < pl->n_steps; j++) {
            struct config_pipeline_step *s = &pl->steps[j];
            free(s->name);
            free(s->model_name);
            free(s->prompt);
            free(s->system);
            free(s->schema_json);
            free(s->params_json);
            free(s->after);
        }
        free(pl->steps);
        free(pl->name);
    }
    free(cfg->pipelines);
}

struct config_pipeline *config_find_pipeline(const struct config *cfg, const char *name, size_t len)
{
    for (size_t i = 0; cfg && i < cfg->n_pipelines; i++)
        if (strlen(cfg->pipelines[i].name) == len && memcmp(cfg->pipelines[i].name, name, len) == 0)
            return &cfg->pipelines[i];
    return NULL;
}
