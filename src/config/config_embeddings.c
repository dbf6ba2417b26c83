/* The `embeddings:` section (api/embed_split.h): at the top level it is the default for every
 * model, and a model's own `embeddings:` overrides it key by key. Keys read as -1 ("not
 * given") until cfg_embeddings_inherit() fills them, after the whole file is read (the
 * top-level section may come after `models:`). */
#include <string.h>

#include "config/config_int.h"

#define EMBEDDINGS_UNSET (-1)
#define EMBEDDINGS_DEFAULT_CONCURRENCY 4

static int embeddings_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config_embeddings *e = ud;
    if (!strcmp(key, "max_batch"))
        return cfg_int_field(c, v, 0, 1000000, &e->max_batch);
    if (!strcmp(key, "max_concurrency"))
        return cfg_int_field(c, v, 1, 1024, &e->max_concurrency);
    return CFG_KEY_UNKNOWN;
}

void cfg_embeddings_unset(struct config_embeddings *e)
{
    e->max_batch = EMBEDDINGS_UNSET;
    e->max_concurrency = EMBEDDINGS_UNSET;
}

int cfg_parse_embeddings(struct cfg_ctx *c, yaml_node_t *n, struct config_embeddings *e)
{
    static const char *const keys[] = {"max_batch", "max_concurrency", NULL};
    return cfg_map_each(c, n, keys, embeddings_key, e);
}

void cfg_embeddings_inherit(struct config *cfg)
{
    struct config_embeddings *top = &cfg->embeddings;
    if (top->max_batch == EMBEDDINGS_UNSET)
        top->max_batch = 0; /* no split */
    if (top->max_concurrency == EMBEDDINGS_UNSET)
        top->max_concurrency = EMBEDDINGS_DEFAULT_CONCURRENCY;
    for (size_t i = 0; i < cfg->n_models; i++) {
        struct config_embeddings *m = &cfg->models[i].embeddings;
        if (m->max_batch == EMBEDDINGS_UNSET)
            m->max_batch = top->max_batch;
        if (m->max_concurrency == EMBEDDINGS_UNSET)
            m->max_concurrency = top->max_concurrency;
    }
}
