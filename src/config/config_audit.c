/* The audit, auth, admin and prices sections, a target's price, and the secret
 * forms of api_keys (key_sha256, key_env). Kept apart from config.c so that the
 * audit feature's keys live in one place. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"
#include "util/alloc.h"
#include "util/sha256.h"

static int audit_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config_audit *a = ud;
    if (!strcmp(key, "sink")) {
        static const char *const names[] = {"off", "sqlite", "postgres", NULL};
        int s = 0;
        int rc = cfg_enum(c, v, names, &s);
        a->sink = (enum config_audit_sink)s;
        return rc;
    }
    if (!strcmp(key, "path"))
        return cfg_name(c, v, &a->path);
    if (!strcmp(key, "dsn"))
        return cfg_name(c, v, &a->dsn);
    if (!strcmp(key, "journal"))
        return cfg_name(c, v, &a->journal_path);
    if (!strcmp(key, "journal_max_mb")) {
        long mb = 0;
        int rc = cfg_int(c, v, 1, 1L << 20, &mb);
        a->journal_max_mb = (unsigned long)mb;
        return rc;
    }
    if (!strcmp(key, "overflow")) {
        static const char *const names[] = {"refuse", "drop", NULL};
        int o = 0;
        int rc = cfg_enum(c, v, names, &o);
        a->overflow = (enum config_audit_overflow)o;
        return rc;
    }
    if (!strcmp(key, "bodies"))
        return cfg_bool(c, v, &a->bodies);
    if (!strcmp(key, "body_max_bytes"))
        return cfg_size(c, v, &a->body_max_bytes);
    if (!strcmp(key, "retention_days"))
        return cfg_int_field(c, v, 0, 100000, &a->retention_days);
    if (!strcmp(key, "queue_size"))
        return cfg_int_field(c, v, 16, 1 << 22, &a->queue_size);
    if (!strcmp(key, "batch_max"))
        return cfg_int_field(c, v, 1, 100000, &a->batch_max);
    if (!strcmp(key, "flush_ms"))
        return cfg_int_field(c, v, 1, 10000, &a->flush_ms);
    if (!strcmp(key, "drain_ms"))
        return cfg_int_field(c, v, 0, INT_MAX, &a->drain_ms);
    return CFG_KEY_UNKNOWN;
}

int cfg_parse_audit(struct cfg_ctx *c, yaml_node_t *n)
{
    static const char *const keys[] = {"sink",        "path",          "dsn",       "journal",    "journal_max_mb",
                                       "overflow",    "bodies",        "body_max_bytes", "retention_days", "queue_size",
                                       "batch_max",   "flush_ms",      "drain_ms",  NULL};
    struct config_audit *a = &c->cfg->audit;
    a->sink = CONFIG_AUDIT_SQLITE;
    a->drain_ms = -1;
    if (cfg_map_each(c, n, keys, audit_key, a))
        return -1;
    if (a->sink == CONFIG_AUDIT_POSTGRES && a->dsn == NULL)
        return cfg_fail(c, n, "sink: postgres needs \"dsn\"");
    return 0;
}

/* Defaults for the audit section (also when it is absent: sink off). */
void cfg_audit_defaults(struct config *cfg)
{
    struct config_audit *a = &cfg->audit;
    if (a->journal_max_mb == 0)
        a->journal_max_mb = 1024;
    if (a->body_max_bytes == 0)
        a->body_max_bytes = 65536;
    if (a->queue_size == 0)
        a->queue_size = 8192;
    if (a->batch_max == 0)
        a->batch_max = 2000;
    if (a->flush_ms == 0)
        a->flush_ms = 10;
    if (a->drain_ms < 0 || (a->drain_ms == 0 && a->sink != CONFIG_AUDIT_OFF))
        a->drain_ms = cfg->server.drain_timeout_ms;
    if (a->sink == CONFIG_AUDIT_SQLITE && a->path == NULL)
        a->path = util_strdup("warden-audit.db");
    if (a->sink != CONFIG_AUDIT_OFF && a->journal_path == NULL) {
        const char *base = a->sink == CONFIG_AUDIT_SQLITE ? a->path : "warden-audit";
        size_t n = strlen(base) + sizeof(".journal");
        a->journal_path = util_malloc(n);
        snprintf(a->journal_path, n, "%s.journal", base);
    }
}

static int auth_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    if (!strcmp(key, "required"))
        return cfg_bool(c, v, &c->cfg->auth_required);
    return CFG_KEY_UNKNOWN;
}

int cfg_parse_auth(struct cfg_ctx *c, yaml_node_t *n)
{
    static const char *const keys[] = {"required", NULL};
    return cfg_map_each(c, n, keys, auth_key, NULL);
}

static int admin_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config *cfg = c->cfg;
    if (!strcmp(key, "token_env")) {
        if (cfg_name(c, v, &cfg->admin_token_env))
            return -1;
        const char *t = getenv(cfg->admin_token_env);
        if (t != NULL && *t) {
            util_sha256(t, strlen(t), cfg->admin_token_sha256);
            cfg->has_admin_token = 1;
        }
        return 0;
    }
    return CFG_KEY_UNKNOWN;
}

int cfg_parse_admin(struct cfg_ctx *c, yaml_node_t *n)
{
    static const char *const keys[] = {"token_env", NULL};
    return cfg_map_each(c, n, keys, admin_key, NULL);
}

struct price_parse {
    double *in, *out;
    int seen_in, seen_out;
    char **model;
};

static int price_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct price_parse *p = ud;
    if (!strcmp(key, "input_per_mtok")) {
        p->seen_in = 1;
        return cfg_double(c, v, 0, 1e9, p->in);
    }
    if (!strcmp(key, "output_per_mtok")) {
        p->seen_out = 1;
        return cfg_double(c, v, 0, 1e9, p->out);
    }
    if (p->model != NULL && !strcmp(key, "model"))
        return cfg_name(c, v, p->model);
    return CFG_KEY_UNKNOWN;
}

static int parse_price_map(struct cfg_ctx *c, yaml_node_t *n, struct price_parse *p)
{
    static const char *const keys[] = {"input_per_mtok", "output_per_mtok", NULL};
    static const char *const keys_model[] = {"model", "input_per_mtok", "output_per_mtok", NULL};
    if (cfg_map_each(c, n, p->model ? keys_model : keys, price_key, p))
        return -1;
    if (!p->seen_in || !p->seen_out)
        return cfg_fail(c, n, "a price needs both \"input_per_mtok\" and \"output_per_mtok\" (USD per million tokens)");
    if (p->model != NULL && *p->model == NULL)
        return cfg_fail(c, n, "missing required key \"model\"");
    return 0;
}

int cfg_parse_target_price(struct cfg_ctx *c, yaml_node_t *n, struct config_target *t)
{
    struct price_parse p = {&t->price_in_per_mtok, &t->price_out_per_mtok, 0, 0, NULL};
    if (parse_price_map(c, n, &p))
        return -1;
    t->has_price = 1;
    return 0;
}

int cfg_parse_prices(struct cfg_ctx *c, yaml_node_t *n)
{
    struct config *cfg = c->cfg;
    if (cfg_expect_seq(c, n))
        return -1;
    size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    cfg->prices = util_calloc(count ? count : 1, sizeof(*cfg->prices));
    cfg->n_prices = count;
    for (size_t i = 0; i < count; i++) {
        size_t mark = cfg_push_index(c, i);
        struct config_price *pr = &cfg->prices[i];
        struct price_parse p = {&pr->input_per_mtok, &pr->output_per_mtok, 0, 0, &pr->model};
        if (parse_price_map(c, cfg_node(c, n->data.sequence.items.start[i]), &p))
            return -1;
        cfg_pop(c, mark);
    }
    return 0;
}

/* api_keys[]: the secret forms of a key. */
int cfg_api_key_secret(struct cfg_ctx *c, const char *key, yaml_node_t *v, struct config_api_key *a, int *has_hash)
{
    if (!strcmp(key, "key_sha256")) {
        const char *s = cfg_scalar(v);
        if (s == NULL || util_sha256_from_hex(s, a->key_sha256) != 0)
            return cfg_fail(c, v, "expected 64 hex digits (the SHA-256 of the key, e.g. `printf %%s KEY | sha256sum`)");
        *has_hash = 1;
        return 0;
    }
    if (!strcmp(key, "key_env")) {
        if (cfg_name(c, v, &a->key_env))
            return -1;
        const char *k = getenv(a->key_env);
        /* an unset variable is an error: a key that silently matches nothing locks clients out */
        if (k == NULL || *k == '\0')
            return cfg_fail(c, v, "the environment variable %s is not set (or empty)", a->key_env);
        util_sha256(k, strlen(k), a->key_sha256);
        *has_hash = 1;
        return 0;
    }
    return CFG_KEY_UNKNOWN;
}

void cfg_audit_free(struct config *cfg)
{
    free(cfg->audit.path);
    free(cfg->audit.dsn);
    free(cfg->audit.journal_path);
    for (size_t i = 0; i < cfg->n_prices; i++)
        free(cfg->prices[i].model);
    free(cfg->prices);
    free(cfg->admin_token_env);
}
