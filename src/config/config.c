/* Config loading: YAML text -> struct config, in four steps.
 *
 *   1. libyaml composes the whole file into a document (syntax errors stop here).
 *   2. check_shape() walks the node graph once: aliases may share nodes, but a
 *      recursive alias or an alias bomb (a few lines expanding to millions of
 *      values) is refused before anything else looks at the tree.
 *   3. parse_*() read each section into freshly calloc'd structs; names that
 *      refer to other sections are recorded as struct cfg_ref.
 *   4. finish() rejects duplicate names, resolves every reference through a
 *      sorted index, rejects fallback and member cycles and fills in values
 *      inherited from elsewhere (composite guardrails' stage and timing).
 *
 * Unset-value sentinels: retries and timeouts are read as -1 for "not given",
 * so a target can inherit exactly the keys it did not set from its model and
 * the model exactly the keys it did not set from the defaults. */
#include "config/config_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/sha256.h"

#define CFG_FILE_MAX (16u << 20)      /* a config file larger than this is a mistake */
#define CFG_NODES_MAX 1000000         /* values after alias expansion */
#define CFG_DEPTH_MAX 64              /* nesting; real configs need about 6 */
#define CFG_UNSET (-1)

/* ---- step 2: the shape of the node graph ---- */

struct shape {
    struct cfg_ctx *c;
    unsigned char *state; /* 0 new, 1 on the current path, 2 done */
    size_t *size;         /* values in the expanded subtree, capped */
};

static size_t sat_add(size_t a, size_t b)
{
    return a + b < a || a + b > CFG_NODES_MAX + 1 ? CFG_NODES_MAX + 1 : a + b;
}

static int shape_visit(struct shape *s, int index, int depth)
{
    yaml_node_t *n = cfg_node(s->c, index);
    size_t i = (size_t)(index - 1);
    if (!n)
        return cfg_fail(s->c, NULL, "invalid YAML node reference");
    if (s->state[i] == 1)
        return cfg_fail(s->c, n, "recursive alias: a value contains itself");
    if (s->state[i] == 2)
        return 0;
    if (depth > CFG_DEPTH_MAX)
        return cfg_fail(s->c, n, "values nested more than %d levels deep", CFG_DEPTH_MAX);
    s->state[i] = 1;
    size_t total = 1;
    if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            if (shape_visit(s, *it, depth + 1))
                return -1;
            total = sat_add(total, s->size[*it - 1]);
        }
    } else if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            if (shape_visit(s, p->key, depth + 1) || shape_visit(s, p->value, depth + 1))
                return -1;
            total = sat_add(total, sat_add(s->size[p->key - 1], s->size[p->value - 1]));
        }
    }
    s->state[i] = 2;
    s->size[i] = total;
    if (total > CFG_NODES_MAX)
        return cfg_fail(s->c, n, "more than %d values after expanding aliases", CFG_NODES_MAX);
    return 0;
}

static int check_shape(struct cfg_ctx *c)
{
    size_t count = (size_t)(c->doc->nodes.top - c->doc->nodes.start);
    struct shape s = {c, util_calloc(count, 1), util_calloc(count, sizeof(size_t))};
    int rc = shape_visit(&s, 1, 0);
    free(s.state);
    free(s.size);
    return rc;
}

/* ---- small shared pieces ---- */

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_item(struct cfg_ctx *c, const yaml_node_t *n, size_t i)
{
    return cfg_node(c, n->data.sequence.items.start[i]);
}

/* Records names[i] as a reference to resolve into the pointer at slots + i * stride. */
void cfg_add_refs(struct cfg_ctx *c, yaml_node_t *n, enum cfg_ref_kind kind, char **names, size_t count, void *slots,
                     size_t stride)
{
    for (size_t i = 0; i < count; i++) {
        size_t mark = cfg_push_index(c, i);
        cfg_add_ref(c, kind, names[i], (char *)slots + i * stride, seq_item(c, n, i));
        cfg_pop(c, mark);
    }
}

/* Reads a sub-mapping under key, keeping the where path right. */
/* ---- server ---- */

static int parse_listen(struct cfg_ctx *c, yaml_node_t *n, struct config_server *s)
{
    char q[96];
    const char *v = cfg_scalar(n);
    if (!v || cfg_is_null(n))
        return cfg_fail(c, n, "expected \"host:port\", got %s", cfg_kind_name(n));
    const char *host = v, *host_end, *colon;
    if (*v == '[') {
        host = v + 1;
        host_end = strchr(host, ']');
        if (!host_end || host_end == host || host_end[1] != ':')
            return cfg_fail(c, n, "expected \"[ipv6]:port\", got %s", cfg_quote(q, sizeof(q), v));
        colon = host_end + 1;
    } else {
        colon = strrchr(v, ':');
        if (!colon)
            return cfg_fail(c, n, "expected \"host:port\" (or \":port\"), got %s", cfg_quote(q, sizeof(q), v));
        if (memchr(v, ':', (size_t)(colon - v)))
            return cfg_fail(c, n, "IPv6 addresses need brackets, as in \"[::1]:8080\"; got %s", cfg_quote(q, sizeof(q), v));
        host_end = colon;
    }
    const char *port = colon + 1;
    long p = 0;
    if (!*port || strlen(port) > 5)
        goto bad_port;
    for (const char *d = port; *d; d++) {
        if (*d < '0' || *d > '9')
            goto bad_port;
        p = p * 10 + (*d - '0');
    }
    if (p < 1 || p > 65535)
        goto bad_port;
    free(s->listen_host);
    s->listen_host = host_end == host ? util_strdup("0.0.0.0") : util_strndup(host, (size_t)(host_end - host));
    s->listen_port = (int)p;
    return 0;
bad_port:
    return cfg_fail(c, n, "port must be a number from 1 to 65535, got %s", cfg_quote(q, sizeof(q), v));
}

static int parse_workers(struct cfg_ctx *c, yaml_node_t *n, int *out)
{
    char q[96];
    const char *v = cfg_scalar(n);
    if (v && !strcmp(v, "auto")) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        *out = cpus < 1 ? 1 : cpus > 1024 ? 1024 : (int)cpus;
        return 0;
    }
    long w;
    if (v && !cfg_is_null(n)) {
        const char *d = v;
        while (*d >= '0' && *d <= '9')
            d++;
        if (!*d && d != v && d - v <= 4 && (w = strtol(v, NULL, 10)) >= 1 && w <= 1024) {
            *out = (int)w;
            return 0;
        }
    }
    return cfg_fail(c, n, "expected a positive integer (at most 1024) or \"auto\", got %s",
                    v && !cfg_is_null(n) ? cfg_quote(q, sizeof(q), v) : cfg_kind_name(n));
}

static int server_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    static const char *const transports[] = {"auto", "curl", NULL};
    struct config_server *s = ud;
    if (!strcmp(key, "listen"))
        return parse_listen(c, v, s);
    if (!strcmp(key, "workers"))
        return parse_workers(c, v, &s->workers);
    if (!strcmp(key, "max_body_bytes"))
        return cfg_size(c, v, &s->max_body_bytes);
    if (!strcmp(key, "max_response_bytes"))
        return cfg_size(c, v, &s->max_response_bytes);
    if (!strcmp(key, "header_timeout_ms"))
        return cfg_int_field(c, v, 1, INT_MAX, &s->header_timeout_ms);
    if (!strcmp(key, "idle_timeout_ms"))
        return cfg_int_field(c, v, 1, INT_MAX, &s->idle_timeout_ms);
    if (!strcmp(key, "drain_timeout_ms"))
        return cfg_int_field(c, v, 0, INT_MAX, &s->drain_timeout_ms);
    if (!strcmp(key, "access_log"))
        return cfg_opt_str(c, v, &s->access_log);
    if (!strcmp(key, "max_inflight"))
        return cfg_int_field(c, v, 0, INT_MAX, &s->max_inflight);
    if (!strcmp(key, "upstream_transport"))
        return cfg_enum(c, v, transports, &s->upstream_transport);
    if (!strcmp(key, "http2"))
        return cfg_bool(c, v, &s->http2);
    return CFG_KEY_UNKNOWN;
}

static int parse_server(struct cfg_ctx *c, yaml_node_t *n)
{
    static const char *const keys[] = {"listen",           "workers",      "max_body_bytes",     "header_timeout_ms",
                                       "idle_timeout_ms",  "drain_timeout_ms", "max_response_bytes", "access_log",
                                       "max_inflight",     "upstream_transport", "http2", NULL};
    return cfg_map_each(c, n, keys, server_key, &c->cfg->server);
}

/* ---- providers ---- */

static int provider_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    static const char *const types[] = {"openai", NULL};
    struct config_provider *pr = ud;
    int rc, t;
    if (!strcmp(key, "name"))
        return cfg_name(c, v, &pr->name);
    if (!strcmp(key, "type")) {
        rc = cfg_enum(c, v, types, &t);
        pr->type = (enum config_provider_type)t;
        return rc;
    }
    if (!strcmp(key, "base_url"))
        return cfg_http_url(c, v, &pr->base_url);
    if (!strcmp(key, "api_key_env")) {
        rc = cfg_opt_str(c, v, &pr->api_key_env);
        if (!rc && pr->api_key_env && (!*pr->api_key_env || strchr(pr->api_key_env, '=')))
            rc = cfg_fail(c, v, "expected an environment variable name");
        return rc;
    }
    if (!strcmp(key, "headers"))
        return cfg_kv_map(c, v, 1, &pr->headers, &pr->n_headers);
    if (!strcmp(key, "ca_file")) {
        rc = cfg_opt_str(c, v, &pr->ca_file);
        if (!rc && pr->ca_file && access(pr->ca_file, R_OK) != 0)
            rc = cfg_fail(c, v, "cannot read CA file %s: %s", pr->ca_file, strerror(errno));
        return rc;
    }
    return CFG_KEY_UNKNOWN;
}

static int parse_provider(struct cfg_ctx *c, yaml_node_t *n, struct config_provider *pr)
{
    static const char *const keys[] = {"name", "type", "base_url", "api_key_env", "headers", "ca_file", NULL};
    pr->line = cfg_line(n);
    if (cfg_map_each(c, n, keys, provider_key, pr))
        return -1;
    if (!pr->name)
        return cfg_fail(c, n, "missing required key \"name\"");
    if (!pr->base_url)
        return cfg_fail(c, n, "missing required key \"base_url\"");
    if (pr->api_key_env) {
        const char *key = getenv(pr->api_key_env);
        if (key && *key)
            pr->api_key = util_strdup(key);
    }
    return 0;
}

static int parse_providers(struct cfg_ctx *c, yaml_node_t *n)
{
    struct config *cfg = c->cfg;
    if (cfg_expect_seq(c, n))
        return -1;
    cfg->n_providers = seq_len(n);
    cfg->providers = util_calloc(cfg->n_providers, sizeof(*cfg->providers));
    for (size_t i = 0; i < cfg->n_providers; i++) {
        size_t mark = cfg_push_index(c, i);
        if (parse_provider(c, seq_item(c, n, i), &cfg->providers[i]))
            return -1;
        cfg_pop(c, mark);
    }
    return 0;
}

/* ---- models ---- */

static int retry_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config_retry *r = ud;
    if (!strcmp(key, "max"))
        return cfg_int_field(c, v, 0, 100, &r->max);
    if (!strcmp(key, "base_ms"))
        return cfg_int_field(c, v, 0, INT_MAX, &r->base_ms);
    if (!strcmp(key, "max_ms"))
        return cfg_int_field(c, v, 0, INT_MAX, &r->max_ms);
    return CFG_KEY_UNKNOWN;
}

static int parse_retry(struct cfg_ctx *c, yaml_node_t *n, struct config_retry *r)
{
    static const char *const keys[] = {"max", "base_ms", "max_ms", NULL};
    if (cfg_map_each(c, n, keys, retry_key, r))
        return -1;
    if (r->base_ms != CFG_UNSET && r->max_ms != CFG_UNSET && r->base_ms > r->max_ms)
        return cfg_fail(c, n, "base_ms (%d) must not exceed max_ms (%d)", r->base_ms, r->max_ms);
    return 0;
}

static int timeouts_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config_timeouts *t = ud;
    int *dst = !strcmp(key, "connect_ms")      ? &t->connect_ms
               : !strcmp(key, "first_byte_ms") ? &t->first_byte_ms
               : !strcmp(key, "idle_ms")       ? &t->idle_ms
               : !strcmp(key, "total_ms")      ? &t->total_ms
               : !strcmp(key, "request_ms")    ? &t->request_ms
                                               : NULL;
    return dst ? cfg_int_field(c, v, 0, INT_MAX, dst) : CFG_KEY_UNKNOWN;
}

static int parse_timeouts(struct cfg_ctx *c, yaml_node_t *n, struct config_timeouts *t)
{
    static const char *const keys[] = {"connect_ms", "first_byte_ms", "idle_ms", "total_ms", "request_ms", NULL};
    return cfg_map_each(c, n, keys, timeouts_key, t);
}

static void inherit_int(int *dst, int from)
{
    if (*dst == CFG_UNSET)
        *dst = from;
}

static void inherit_retry(struct config_retry *dst, const struct config_retry *from)
{
    inherit_int(&dst->max, from->max);
    inherit_int(&dst->base_ms, from->base_ms);
    inherit_int(&dst->max_ms, from->max_ms);
}

static void inherit_timeouts(struct config_timeouts *dst, const struct config_timeouts *from)
{
    inherit_int(&dst->connect_ms, from->connect_ms);
    inherit_int(&dst->first_byte_ms, from->first_byte_ms);
    inherit_int(&dst->idle_ms, from->idle_ms);
    inherit_int(&dst->total_ms, from->total_ms);
    inherit_int(&dst->request_ms, from->request_ms);
}

static const struct config_retry retry_defaults = {0, 1000, 8000};
static const struct config_timeouts timeout_defaults = {10000, 0, 0, 600000, 0};
static const struct config_retry retry_unset = {CFG_UNSET, CFG_UNSET, CFG_UNSET};
static const struct config_timeouts timeouts_unset = {CFG_UNSET, CFG_UNSET, CFG_UNSET, CFG_UNSET, CFG_UNSET};

struct target_parse {
    struct config_target *t;
    yaml_node_t *provider; /* the provider key's value, once seen */
    char *provider_name;
};

static int target_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct target_parse *tp = ud;
    struct config_target *t = tp->t;
    if (!strcmp(key, "provider")) {
        int rc = cfg_name(c, v, &tp->provider_name);
        if (!rc)
            cfg_add_ref(c, CFG_REF_PROVIDER, tp->provider_name, &t->provider, v);
        tp->provider = v;
        return rc;
    }
    if (!strcmp(key, "model"))
        return cfg_name(c, v, &t->model);
    if (!strcmp(key, "weight"))
        return cfg_int_field(c, v, 0, 1000000, &t->weight);
    if (!strcmp(key, "max_concurrent"))
        return cfg_int_field(c, v, 0, INT_MAX, &t->max_concurrent);
    if (!strcmp(key, "queue_max"))
        return cfg_int_field(c, v, 0, INT_MAX, &t->queue_max);
    if (!strcmp(key, "queue_timeout_ms"))
        return cfg_int_field(c, v, 0, INT_MAX, &t->queue_timeout_ms);
    if (!strcmp(key, "timeouts"))
        return parse_timeouts(c, v, &t->timeouts);
    if (!strcmp(key, "retries"))
        return parse_retry(c, v, &t->retry);
    if (!strcmp(key, "price"))
        return cfg_parse_target_price(c, v, t);
    return CFG_KEY_UNKNOWN;
}

static int parse_target(struct cfg_ctx *c, yaml_node_t *n, struct config_target *t)
{
    static const char *const keys[] = {"provider",  "model",   "weight",  "max_concurrent", "queue_max",
                                       "queue_timeout_ms", "timeouts", "retries", "price", NULL};
    t->weight = 1;
    t->queue_timeout_ms = 1000;
    t->timeouts = timeouts_unset;
    t->retry = retry_unset;
    struct target_parse tp = {t, NULL, NULL};
    int rc = cfg_map_each(c, n, keys, target_key, &tp);
    free(tp.provider_name);
    if (rc)
        return -1;
    if (!tp.provider)
        return cfg_fail(c, n, "missing required key \"provider\"");
    if (!t->model)
        return cfg_fail(c, n, "missing required key \"model\"");
    return 0;
}

static int parse_targets(struct cfg_ctx *c, yaml_node_t *n, struct config_model *m)
{
    if (cfg_expect_seq(c, n))
        return -1;
    if (!seq_len(n))
        return cfg_fail(c, n, "at least one target is required");
    m->n_targets = seq_len(n);
    m->targets = util_calloc(m->n_targets, sizeof(*m->targets));
    for (size_t i = 0; i < m->n_targets; i++) {
        size_t mark = cfg_push_index(c, i);
        if (parse_target(c, seq_item(c, n, i), &m->targets[i]))
            return -1;
        cfg_pop(c, mark);
    }
    return 0;
}

static int parse_status(struct cfg_ctx *c, yaml_node_t *n, struct config_fallback_rule *r)
{
    char q[96];
    const char *s = cfg_scalar(n);
    if (!s || cfg_is_null(n))
        goto bad;
    if (!strcmp(s, "timeout") || !strcmp(s, "connect")) {
        r->status_min = r->status_max = 0;
        return 0;
    }
    if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && !strcmp(s + 1, "xx")) {
        r->status_min = (s[0] - '0') * 100;
        r->status_max = r->status_min + 99;
        return 0;
    }
    int a, b, used = 0;
    if (sscanf(s, "%3d-%3d%n", &a, &b, &used) == 2 && (size_t)used == strlen(s) && s[0] != '-') {
        if (a < 100 || b > 599 || a > b)
            goto bad;
        r->status_min = a;
        r->status_max = b;
        return 0;
    }
    used = 0;
    if (sscanf(s, "%3d%n", &a, &used) == 1 && (size_t)used == strlen(s) && s[0] >= '1' && s[0] <= '5' && a >= 100 &&
        a <= 599) {
        r->status_min = r->status_max = a;
        return 0;
    }
bad:
    return cfg_fail(c, n, "expected an HTTP status from 100 to 599, a range (\"500-599\", \"5xx\"), \"timeout\" or \"connect\", got %s",
                    s && !cfg_is_null(n) ? cfg_quote(q, sizeof(q), s) : cfg_kind_name(n));
}

struct fallback_rule_parse {
    struct config_fallback_rule *r;
    int has_status;
};

static int fallback_rule_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct fallback_rule_parse *fp = ud;
    struct config_fallback_rule *r = fp->r;
    if (!strcmp(key, "status")) {
        fp->has_status = 1;
        return parse_status(c, v, r);
    }
    if (!strcmp(key, "match"))
        return cfg_name(c, v, &r->match);
    if (!strcmp(key, "to")) {
        int rc = cfg_name(c, v, &r->to);
        if (!rc)
            cfg_add_ref(c, CFG_REF_MODEL, r->to, &r->to_model, v);
        return rc;
    }
    return CFG_KEY_UNKNOWN;
}

static int parse_fallback_rule(struct cfg_ctx *c, yaml_node_t *n, struct config_fallback_rule *r)
{
    static const char *const keys[] = {"status", "match", "to", NULL};
    struct fallback_rule_parse fp = {r, 0};
    if (cfg_map_each(c, n, keys, fallback_rule_key, &fp))
        return -1;
    if (!fp.has_status)
        return cfg_fail(c, n, "missing required key \"status\"");
    return 0;
}

static int structured_output_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    static const char *const modes[] = {"hold", "pass", NULL};
    struct config_structured_output *so = ud;
    if (!strcmp(key, "max_reasks"))
        return cfg_int_field(c, v, 0, 10, &so->max_reasks);
    if (!strcmp(key, "validate_tool_calls"))
        return cfg_bool(c, v, &so->validate_tool_calls);
    if (!strcmp(key, "check_formats"))
        return cfg_bool(c, v, &so->check_formats);
    if (!strcmp(key, "stream")) {
        int mode = 0, rc = cfg_enum(c, v, modes, &mode);
        so->stream_mode = (enum config_stream_schema_mode)mode;
        return rc;
    }
    return CFG_KEY_UNKNOWN;
}

static int parse_structured_output(struct cfg_ctx *c, yaml_node_t *n, struct config_structured_output *so)
{
    static const char *const keys[] = {"max_reasks", "validate_tool_calls", "stream", "check_formats", NULL};
    return cfg_map_each(c, n, keys, structured_output_key, so);
}

struct model_parse {
    struct config_model *m;
    yaml_node_t *targets; /* the targets key's value, once seen */
};

static int parse_fallback_rules(struct cfg_ctx *c, yaml_node_t *v, struct config_model *m)
{
    int rc = cfg_expect_seq(c, v);
    if (rc)
        return rc;
    m->n_fallback_rules = seq_len(v);
    m->fallback_rules = util_calloc(m->n_fallback_rules, sizeof(*m->fallback_rules));
    for (size_t i = 0; i < m->n_fallback_rules && !rc; i++) {
        size_t imark = cfg_push_index(c, i);
        rc = parse_fallback_rule(c, seq_item(c, v, i), &m->fallback_rules[i]);
        if (!rc)
            cfg_pop(c, imark);
    }
    return rc;
}

static int model_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    static const char *const lbs[] = {"weighted", "least_inflight", "latency", NULL};
    struct model_parse *mp = ud;
    struct config_model *m = mp->m;
    int rc;
    if (!strcmp(key, "name"))
        return cfg_name(c, v, &m->name);
    if (!strcmp(key, "audit_bodies"))
        return cfg_bool(c, v, &m->audit_bodies);
    if (!strcmp(key, "targets")) {
        mp->targets = v;
        return parse_targets(c, v, m);
    }
    if (!strcmp(key, "load_balancing")) {
        int lb = 0;
        rc = cfg_enum(c, v, lbs, &lb);
        m->lb = (enum config_lb)lb;
        return rc;
    }
    if (!strcmp(key, "retries"))
        return parse_retry(c, v, &m->retry);
    if (!strcmp(key, "timeouts"))
        return parse_timeouts(c, v, &m->timeouts);
    if (!strcmp(key, "fallbacks")) {
        rc = cfg_str_list(c, v, &m->fallback_names, &m->n_fallbacks);
        if (!rc) {
            m->fallbacks = util_calloc(m->n_fallbacks, sizeof(*m->fallbacks));
            cfg_add_refs(c, v, CFG_REF_MODEL, m->fallback_names, m->n_fallbacks, m->fallbacks, sizeof(*m->fallbacks));
        }
        return rc;
    }
    if (!strcmp(key, "guardrails")) {
        rc = cfg_str_list(c, v, &m->guardrail_names, &m->n_guardrails);
        if (!rc) {
            m->guardrails = util_calloc(m->n_guardrails, sizeof(*m->guardrails));
            cfg_add_refs(c, v, CFG_REF_GUARDRAIL, m->guardrail_names, m->n_guardrails, m->guardrails, sizeof(*m->guardrails));
        }
        m->has_guardrails = 1;
        return rc;
    }
    if (!strcmp(key, "structured_output"))
        return parse_structured_output(c, v, &m->structured_output);
    if (!strcmp(key, "fallback_on"))
        return parse_fallback_rules(c, v, m);
    if (!strcmp(key, "embeddings"))
        return cfg_parse_embeddings(c, v, &m->embeddings);
    return CFG_KEY_UNKNOWN;
}

static int parse_model(struct cfg_ctx *c, yaml_node_t *n, struct config_model *m)
{
    static const char *const keys[] = {"name",      "targets",    "load_balancing", "retries",           "timeouts",
                                       "fallbacks", "fallback_on", "guardrails",    "structured_output", "audit_bodies",
                                       "embeddings", NULL};
    m->line = cfg_line(n);
    m->audit_bodies = -1;
    cfg_embeddings_unset(&m->embeddings);
    m->retry = retry_unset;
    m->timeouts = timeouts_unset;
    m->structured_output.max_reasks = 2;
    struct model_parse mp = {m, NULL};
    if (cfg_map_each(c, n, keys, model_key, &mp))
        return -1;
    yaml_node_t *targets = mp.targets;
    if (!m->name)
        return cfg_fail(c, n, "missing required key \"name\"");
    if (!targets)
        return cfg_fail(c, n, "missing required key \"targets\"");
    inherit_retry(&m->retry, &retry_defaults);
    inherit_timeouts(&m->timeouts, &timeout_defaults);
    int weight = 0;
    for (size_t i = 0; i < m->n_targets; i++) {
        inherit_retry(&m->targets[i].retry, &m->retry);
        inherit_timeouts(&m->targets[i].timeouts, &m->timeouts);
        weight |= m->targets[i].weight;
    }
    if (m->lb == CONFIG_LB_WEIGHTED && !weight) {
        size_t mark = cfg_push_key(c, "targets");
        cfg_fail(c, targets, "every target has weight 0, so none can be chosen");
        cfg_pop(c, mark);
        return -1;
    }
    return 0;
}

static int parse_models(struct cfg_ctx *c, yaml_node_t *n)
{
    struct config *cfg = c->cfg;
    if (cfg_expect_seq(c, n))
        return -1;
    cfg->n_models = seq_len(n);
    cfg->models = util_calloc(cfg->n_models, sizeof(*cfg->models));
    for (size_t i = 0; i < cfg->n_models; i++) {
        size_t mark = cfg_push_index(c, i);
        if (parse_model(c, seq_item(c, n, i), &cfg->models[i]))
            return -1;
        cfg_pop(c, mark);
    }
    return 0;
}

/* ---- smaller sections ---- */

static int health_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config_health *h = ud;
    if (!strcmp(key, "window"))
        return cfg_int_field(c, v, 1, 10000, &h->window);
    if (!strcmp(key, "min_requests"))
        return cfg_int_field(c, v, 0, 10000, &h->min_requests);
    if (!strcmp(key, "error_ratio")) {
        int rc = cfg_double(c, v, 0, 1, &h->error_ratio);
        if (!rc && h->error_ratio <= 0)
            rc = cfg_fail(c, v, "must be above 0 (0 would open the circuit on success)");
        return rc;
    }
    if (!strcmp(key, "cooldown_ms"))
        return cfg_int_field(c, v, 0, INT_MAX, &h->cooldown_ms);
    return CFG_KEY_UNKNOWN;
}

static int parse_health(struct cfg_ctx *c, yaml_node_t *n)
{
    static const char *const keys[] = {"window", "min_requests", "error_ratio", "cooldown_ms", NULL};
    return cfg_map_each(c, n, keys, health_key, &c->cfg->health);
}

struct api_key_parse {
    struct config_api_key *a;
    int has_hash;
};

static int api_key_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct api_key_parse *p = ud;
    struct config_api_key *a = p->a;
    if (!strcmp(key, "key")) {
        int rc = cfg_name(c, v, &a->key);
        if (!rc) {
            util_sha256(a->key, strlen(a->key), a->key_sha256);
            p->has_hash++;
        }
        return rc;
    }
    if (!strcmp(key, "name"))
        return cfg_opt_str(c, v, &a->name);
    if (!strcmp(key, "metadata"))
        return cfg_kv_map(c, v, 0, &a->metadata, &a->n_metadata);
    int has = 0;
    int rc = cfg_api_key_secret(c, key, v, a, &has);
    p->has_hash += has;
    return rc;
}

static int parse_api_key(struct cfg_ctx *c, yaml_node_t *n, struct config_api_key *a)
{
    static const char *const keys[] = {"key", "key_sha256", "key_env", "name", "metadata", NULL};
    struct api_key_parse p = {a, 0};
    if (cfg_map_each(c, n, keys, api_key_key, &p))
        return -1;
    if (p.has_hash == 0)
        return cfg_fail(c, n, "missing the key: one of \"key\", \"key_sha256\" or \"key_env\"");
    if (p.has_hash > 1)
        return cfg_fail(c, n, "give the key once: one of \"key\", \"key_sha256\" or \"key_env\"");
    return 0;
}

static int parse_api_keys(struct cfg_ctx *c, yaml_node_t *n)
{
    struct config *cfg = c->cfg;
    if (cfg_expect_seq(c, n))
        return -1;
    cfg->n_api_keys = seq_len(n);
    cfg->api_keys = util_calloc(cfg->n_api_keys, sizeof(*cfg->api_keys));
    for (size_t i = 0; i < cfg->n_api_keys; i++) {
        size_t mark = cfg_push_index(c, i);
        if (parse_api_key(c, seq_item(c, n, i), &cfg->api_keys[i]))
            return -1;
        /* The key itself is a secret: say which entries clash, never the value. */
        for (size_t j = 0; j < i; j++) {
            if (!memcmp(cfg->api_keys[j].key_sha256, cfg->api_keys[i].key_sha256, sizeof(cfg->api_keys[i].key_sha256)))
                return cfg_fail(c, seq_item(c, n, i), "duplicate key (same as api_keys[%zu])", j);
        }
        cfg_pop(c, mark);
    }
    return 0;
}

struct one_int_section {
    const char *name;
    long min, max;
    int *out;
};

static int one_int_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    const struct one_int_section *o = ud;
    return strcmp(key, o->name) ? CFG_KEY_UNKNOWN : cfg_int_field(c, v, o->min, o->max, o->out);
}

/* A section with a single integer key (async_post: {max_pending: N}). */
static int parse_one_int_section(struct cfg_ctx *c, yaml_node_t *n, const char *name, long min, long max, int *out)
{
    const char *const keys[] = {name, NULL};
    struct one_int_section o = {name, min, max, out};
    return cfg_map_each(c, n, keys, one_int_key, &o);
}

/* ---- step 4: names, references, cycles ---- */

struct name_ix {
    const char *name;
    size_t i;
};

static int name_ix_cmp(const void *a, const void *b)
{
    const struct name_ix *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    return r ? r : (x->i > y->i) - (x->i < y->i);
}

static int name_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct name_ix *)elem)->name);
}

/* Sorts names for lookups; a name used twice is an error at its second use. */
static struct name_ix *index_names(struct cfg_ctx *c, const char *section, const char *what, size_t n, size_t stride,
                                   const char *base, size_t name_off, size_t line_off)
{
    struct name_ix *ix = util_calloc(n, sizeof(*ix));
    for (size_t i = 0; i < n; i++) {
        ix[i].name = *(char *const *)(base + i * stride + name_off);
        ix[i].i = i;
    }
    qsort(ix, n, sizeof(*ix), name_ix_cmp);
    for (size_t i = 1; i < n; i++) {
        if (!strcmp(ix[i].name, ix[i - 1].name)) {
            char q[96];
            size_t at = ix[i].i;
            int line = *(const int *)(base + at * stride + line_off);
            int first = *(const int *)(base + ix[i - 1].i * stride + line_off);
            size_t mark = cfg_push_key(c, section);
            cfg_push_index(c, at);
            cfg_fail_line(c, line, "duplicate %s name %s (first defined at line %d)", what, cfg_quote(q, sizeof(q), ix[i].name),
                          first);
            cfg_pop(c, mark);
            free(ix);
            return NULL;
        }
    }
    return ix;
}

static void *lookup(struct name_ix *ix, size_t n, const char *name, void *base, size_t stride)
{
    struct name_ix *hit = n ? bsearch(name, ix, n, sizeof(*ix), name_cmp) : NULL;
    return hit ? (char *)base + hit->i * stride : NULL;
}

static int resolve_refs(struct cfg_ctx *c, struct name_ix *pix, struct name_ix *mix, struct name_ix *gix)
{
    static const char *const what[] = {"provider", "model", "guardrail"};
    struct config *cfg = c->cfg;
    for (size_t i = 0; i < c->n_refs; i++) {
        struct cfg_ref *r = &c->refs[i];
        void *hit;
        struct name_ix *ix;
        size_t n;
        switch (r->kind) {
        case CFG_REF_PROVIDER:
            hit = lookup(pix, cfg->n_providers, r->name, cfg->providers, sizeof(*cfg->providers));
            if (hit)
                *(struct config_provider **)r->slot = hit;
            ix = pix, n = cfg->n_providers;
            break;
        case CFG_REF_MODEL:
            hit = lookup(mix, cfg->n_models, r->name, cfg->models, sizeof(*cfg->models));
            if (hit)
                *(struct config_model **)r->slot = hit;
            ix = mix, n = cfg->n_models;
            break;
        default:
            hit = lookup(gix, cfg->n_guardrails, r->name, cfg->guardrails, sizeof(*cfg->guardrails));
            if (hit)
                *(struct config_guardrail **)r->slot = hit;
            ix = gix, n = cfg->n_guardrails;
            break;
        }
        if (hit)
            continue;
        /* Suggest the closest defined name, as for unknown keys. */
        const char **names = util_calloc(n + 1, sizeof(*names));
        for (size_t j = 0; j < n; j++)
            names[j] = ix[j].name;
        const char *s = cfg_suggest(r->name, names, n);
        char q[96];
        snprintf(c->where, sizeof(c->where), "%s", r->where);
        c->where_len = strlen(c->where);
        if (s)
            cfg_fail_line(c, r->line, "unknown %s %s (did you mean \"%s\"?)", what[r->kind], cfg_quote(q, sizeof(q), r->name), s);
        else
            cfg_fail_line(c, r->line, "unknown %s %s", what[r->kind], cfg_quote(q, sizeof(q), r->name));
        free(names);
        return -1;
    }
    return 0;
}

/* Iterative depth-first search (a long fallback chain must not exhaust the
 * stack). On a cycle, returns 1 with the cycle's nodes in *cycle (first node
 * repeated at the end). Otherwise returns 0 and, if order is given, fills it
 * with every node after all the nodes it points to (post-order). */
int cfg_find_cycle(size_t n, size_t (*n_edges)(void *u, size_t i), size_t (*edge)(void *u, size_t i, size_t k), void *u,
                   size_t *order, size_t **cycle, size_t *cycle_len)
{
    unsigned char *color = util_calloc(n, 1);
    size_t *stack = util_calloc(n, sizeof(size_t)), *next = util_calloc(n, sizeof(size_t));
    size_t n_order = 0;
    int found = 0;
    for (size_t root = 0; root < n && !found; root++) {
        if (color[root])
            continue;
        size_t top = 0;
        stack[top++] = root;
        next[root] = 0;
        color[root] = 1;
        while (top && !found) {
            size_t v = stack[top - 1];
            if (next[v] < n_edges(u, v)) {
                size_t w = edge(u, v, next[v]++);
                if (w == SIZE_MAX || color[w] == 2)
                    continue;
                if (color[w] == 1) {
                    size_t from = top;
                    while (stack[from - 1] != w)
                        from--;
                    from--;
                    *cycle_len = top - from + 1;
                    *cycle = util_calloc(*cycle_len, sizeof(size_t));
                    memcpy(*cycle, stack + from, (top - from) * sizeof(size_t));
                    (*cycle)[*cycle_len - 1] = w;
                    found = 1;
                    break;
                }
                color[w] = 1;
                next[w] = 0;
                stack[top++] = w;
            } else {
                color[v] = 2;
                if (order)
                    order[n_order++] = v;
                top--;
            }
        }
    }
    free(color);
    free(stack);
    free(next);
    return found;
}

void cfg_cycle_path(char *out, size_t outsz, const size_t *cycle, size_t len, const void *base, size_t stride, size_t name_off)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < len && o < outsz; i++) {
        const char *name = *(char *const *)((const char *)base + cycle[i] * stride + name_off);
        int k = snprintf(out + o, outsz - o, "%s%s", i ? " -> " : "", name);
        if (k < 0)
            break;
        o += (size_t)k;
    }
}

static size_t model_n_edges(void *u, size_t i)
{
    struct config_model *m = &((struct config *)u)->models[i];
    return m->n_fallbacks + m->n_fallback_rules;
}

static size_t model_edge(void *u, size_t i, size_t k)
{
    struct config *cfg = u;
    struct config_model *m = &cfg->models[i];
    struct config_model *to = k < m->n_fallbacks ? m->fallbacks[k] : m->fallback_rules[k - m->n_fallbacks].to_model;
    return to ? (size_t)(to - cfg->models) : SIZE_MAX;
}

static int check_fallback_cycles(struct cfg_ctx *c)
{
    struct config *cfg = c->cfg;
    size_t *cycle, len;
    if (!cfg_find_cycle(cfg->n_models, model_n_edges, model_edge, cfg, NULL, &cycle, &len))
        return 0;
    char path[192];
    cfg_cycle_path(path, sizeof(path), cycle, len, cfg->models, sizeof(*cfg->models), offsetof(struct config_model, name));
    snprintf(c->where, sizeof(c->where), "models[%zu].fallbacks", cycle[0]);
    c->where_len = strlen(c->where);
    cfg_fail_line(c, cfg->models[cycle[0]].line, "fallback cycle: %s", path);
    free(cycle);
    return -1;
}

static int finish(struct cfg_ctx *c, yaml_node_t *root)
{
    struct config *cfg = c->cfg;
    struct name_ix *pix = NULL, *mix = NULL, *gix = NULL;
    int rc = -1;
    if (!cfg->n_models) {
        cfg_fail(c, root, "no models defined: the \"models\" list needs at least one entry");
        return -1;
    }
    pix = index_names(c, "providers", "provider", cfg->n_providers, sizeof(*cfg->providers), (const char *)cfg->providers,
                      offsetof(struct config_provider, name), offsetof(struct config_provider, line));
    if (!pix && cfg->n_providers)
        goto out;
    mix = index_names(c, "models", "model", cfg->n_models, sizeof(*cfg->models), (const char *)cfg->models,
                      offsetof(struct config_model, name), offsetof(struct config_model, line));
    if (!mix)
        goto out;
    gix = index_names(c, "guardrails", "guardrail", cfg->n_guardrails, sizeof(*cfg->guardrails), (const char *)cfg->guardrails,
                      offsetof(struct config_guardrail, name), offsetof(struct config_guardrail, line));
    if (!gix && cfg->n_guardrails)
        goto out;
    if (resolve_refs(c, pix, mix, gix) || check_fallback_cycles(c) || cfg_guardrails_finish(c))
        goto out;
    rc = 0;
out:
    free(pix);
    free(mix);
    free(gix);
    return rc;
}

/* ---- the root ---- */

static void set_defaults(struct config *cfg)
{
    struct config_server *s = &cfg->server;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    s->listen_host = util_strdup("127.0.0.1");
    s->listen_port = 8080;
    s->workers = cpus < 1 ? 1 : cpus > 1024 ? 1024 : (int)cpus;
    s->max_body_bytes = 4u << 20;
    s->header_timeout_ms = 10000;
    s->idle_timeout_ms = 60000;
    s->drain_timeout_ms = 10000;
    s->max_response_bytes = 32u << 20;
    cfg->health.window = 20;
    cfg->health.min_requests = 5;
    cfg->health.error_ratio = 0.5;
    cfg->health.cooldown_ms = 30000;
    cfg->async_post_max_pending = 1024;
    cfg->unknown_fields = CONFIG_COVERAGE_CHECK;
    cfg->non_text = CONFIG_COVERAGE_CHECK;
    cfg->guard_pool_threads = 2;
    cfg_embeddings_unset(&cfg->embeddings);
}

static int coverage_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config *cfg = ud;
    if (!strcmp(key, "unknown_fields"))
        return cfg_coverage(c, v, 0, &cfg->unknown_fields);
    if (!strcmp(key, "non_text"))
        return cfg_coverage(c, v, 1, &cfg->non_text);
    return CFG_KEY_UNKNOWN;
}

static int root_key(struct cfg_ctx *c, const char *key, yaml_node_t *v, void *ud)
{
    struct config *cfg = c->cfg;
    if (!strcmp(key, "server"))
        return parse_server(c, v);
    if (!strcmp(key, "providers"))
        return parse_providers(c, v);
    if (!strcmp(key, "models"))
        return parse_models(c, v);
    if (!strcmp(key, "guardrails"))
        return cfg_parse_guardrails(c, v);
    if (!strcmp(key, "default_guardrails")) {
        int rc = cfg_str_list(c, v, &cfg->default_guardrail_names, &cfg->n_default_guardrails);
        if (!rc) {
            cfg->default_guardrails = util_calloc(cfg->n_default_guardrails, sizeof(*cfg->default_guardrails));
            cfg_add_refs(c, v, CFG_REF_GUARDRAIL, cfg->default_guardrail_names, cfg->n_default_guardrails,
                         cfg->default_guardrails, sizeof(*cfg->default_guardrails));
        }
        return rc;
    }
    if (!strcmp(key, "health"))
        return parse_health(c, v);
    if (!strcmp(key, "api_keys"))
        return parse_api_keys(c, v);
    if (!strcmp(key, "async_post"))
        return parse_one_int_section(c, v, "max_pending", 1, 10000000, &cfg->async_post_max_pending);
    if (!strcmp(key, "guard_pool"))
        return parse_one_int_section(c, v, "threads", 1, 256, &cfg->guard_pool_threads);
    if (!strcmp(key, "guardrails_api"))
        return cfg_parse_guardrails_api(c, v);
    if (!strcmp(key, "guard_coverage")) {
        static const char *const keys[] = {"unknown_fields", "non_text", NULL};
        return cfg_map_each(c, v, keys, coverage_key, cfg);
    }
    if (!strcmp(key, "audit"))
        return cfg_parse_audit(c, v);
    if (!strcmp(key, "auth"))
        return cfg_parse_auth(c, v);
    if (!strcmp(key, "admin"))
        return cfg_parse_admin(c, v);
    if (!strcmp(key, "prices"))
        return cfg_parse_prices(c, v);
    if (!strcmp(key, "pipelines"))
        return cfg_parse_pipelines(c, v);
    if (!strcmp(key, "batch"))
        return cfg_parse_batch(c, v);
    if (!strcmp(key, "fanout"))
        return cfg_parse_fanout(c, v);
    if (!strcmp(key, "embeddings"))
        return cfg_parse_embeddings(c, v, &cfg->embeddings);
    return CFG_KEY_UNKNOWN;
}

static int parse_root(struct cfg_ctx *c, yaml_node_t *root)
{
    static const char *const keys[] = {"server",     "providers", "models",     "default_guardrails", "guardrails",
                                       "health",     "api_keys",  "async_post", "guard_pool",         "guard_coverage",
                                       "audit",      "auth",      "admin",      "prices",     "guardrails_api",
                                       "embeddings", "pipelines", "batch",    "fanout",     NULL};
    if (root->type != YAML_MAPPING_NODE)
        return cfg_fail(c, root, "the configuration must be a mapping (server:, providers:, models:, ...), got %s",
                        cfg_kind_name(root));
    if (cfg_map_each(c, root, keys, root_key, NULL))
        return -1;
    cfg_audit_defaults(c->cfg);
    cfg_fanout_defaults(c->cfg);
    cfg_embeddings_inherit(c->cfg);
    if (c->cfg->auth_required && c->cfg->n_api_keys == 0)
        return cfg_fail(c, root, "auth: required: true needs at least one entry in api_keys");
    return finish(c, root);
}

static void syntax_error(struct cfg_ctx *c, yaml_parser_t *parser)
{
    if (parser->error == YAML_MEMORY_ERROR) {
        cfg_fail_line(c, 1, "out of memory while parsing YAML");
        return;
    }
    if (parser->error == YAML_READER_ERROR) {
        cfg_fail_line(c, 1, "invalid YAML input: %s (at byte %zu)", parser->problem ? parser->problem : "unreadable",
                      parser->problem_offset);
        return;
    }
    int line = (int)parser->problem_mark.line + 1;
    if (parser->context)
        cfg_fail_line(c, line, "YAML syntax error: %s (%s started at line %d)", parser->problem ? parser->problem : "invalid",
                      parser->context, (int)parser->context_mark.line + 1);
    else
        cfg_fail_line(c, line, "YAML syntax error: %s", parser->problem ? parser->problem : "invalid");
}

static void ctx_free(struct cfg_ctx *c)
{
    for (size_t i = 0; i < c->n_refs; i++) {
        free(c->refs[i].name);
        free(c->refs[i].where);
    }
    free(c->refs);
    free(c->guard_has_stage);
    free(c->guard_has_timing);
}

struct config *config_load_string(const char *yaml, size_t len, const char *path, char *err, size_t errsz)
{
    struct cfg_ctx c = {0};
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    struct config *cfg = NULL;
    int have_doc = 0;

    c.path = path ? path : "<string>";
    c.err = err;
    c.errsz = errsz;
    if (err && errsz)
        err[0] = '\0';
    if (!yaml_parser_initialize(&parser)) {
        cfg_fail_line(&c, 1, "out of memory while parsing YAML");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)(yaml ? yaml : ""), yaml ? len : 0);
    if (cfg_check_nesting(&c, yaml, len, CFG_DEPTH_MAX))
        goto out;
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(&c, &parser);
        goto out;
    }
    have_doc = 1;
    c.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        cfg_fail_line(&c, 1, "the configuration is empty");
        goto out;
    }
    /* A second document is most likely a pasting mistake; reading it also
     * reports syntax errors anywhere in the rest of the file. */
    if (!yaml_parser_load(&parser, &extra)) {
        syntax_error(&c, &parser);
        goto out;
    }
    yaml_node_t *second = yaml_document_get_root_node(&extra);
    if (second) {
        cfg_fail_line(&c, (int)extra.start_mark.line + 1, "more than one YAML document (\"---\"); put everything in one");
        yaml_document_delete(&extra);
        goto out;
    }
    yaml_document_delete(&extra);
    if (check_shape(&c))
        goto out;
    cfg = util_calloc(1, sizeof(*cfg));
    c.cfg = cfg;
    cfg->path = util_strdup(c.path);
    set_defaults(cfg);
    if (parse_root(&c, root)) {
        config_free(cfg);
        cfg = NULL;
    }
out:
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    ctx_free(&c);
    return cfg;
}

struct config *config_load(const char *path, char *err, size_t errsz)
{
    if (err && errsz)
        err[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (err && errsz)
            snprintf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (err && errsz)
            snprintf(err, errsz, "%s: cannot read: %s", path, strerror(EISDIR));
        close(fd);
        return NULL;
    }
    size_t cap = 64 << 10, len = 0;
    char *buf = util_malloc(cap);
    for (;;) {
        if (len == cap) {
            if (cap >= CFG_FILE_MAX) {
                if (err && errsz)
                    snprintf(err, errsz, "%s: file is larger than %u MiB", path, CFG_FILE_MAX >> 20);
                goto fail;
            }
            cap *= 2;
            buf = util_realloc(buf, cap);
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            if (err && errsz)
                snprintf(err, errsz, "%s: cannot read: %s", path, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    struct config *cfg = config_load_string(buf, len, path, err, errsz);
    free(buf);
    return cfg;
fail:
    close(fd);
    free(buf);
    return NULL;
}

static void provider_free(struct config_provider *p)
{
    free(p->name);
    free(p->base_url);
    free(p->api_key_env);
    free(p->ca_file);
    if (p->api_key) {
        /* do not leave the secret in freed heap memory */
        volatile char *k = p->api_key;
        while (*k)
            *k++ = '\0';
        free(p->api_key);
    }
    cfg_free_kv(p->headers, p->n_headers);
}

static void model_free(struct config_model *m)
{
    free(m->name);
    for (size_t i = 0; i < m->n_targets; i++)
        free(m->targets[i].model);
    free(m->targets);
    cfg_free_strv(m->fallback_names, m->n_fallbacks);
    free(m->fallbacks);
    for (size_t i = 0; i < m->n_fallback_rules; i++) {
        free(m->fallback_rules[i].to);
        free(m->fallback_rules[i].match);
    }
    free(m->fallback_rules);
    cfg_free_strv(m->guardrail_names, m->n_guardrails);
    free(m->guardrails);
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    free(cfg->path);
    free(cfg->server.listen_host);
    free(cfg->server.access_log);
    for (size_t i = 0; i < cfg->n_providers; i++)
        provider_free(&cfg->providers[i]);
    free(cfg->providers);
    for (size_t i = 0; i < cfg->n_models; i++)
        model_free(&cfg->models[i]);
    free(cfg->models);
    for (size_t i = 0; i < cfg->n_guardrails; i++)
        cfg_guardrail_free(&cfg->guardrails[i]);
    free(cfg->guardrails);
    cfg_free_strv(cfg->default_guardrail_names, cfg->n_default_guardrails);
    free(cfg->default_guardrails);
    for (size_t i = 0; i < cfg->n_api_keys; i++) {
        free(cfg->api_keys[i].key);
        free(cfg->api_keys[i].key_env);
        free(cfg->api_keys[i].name);
        cfg_free_kv(cfg->api_keys[i].metadata, cfg->api_keys[i].n_metadata);
    }
    free(cfg->api_keys);
    cfg_guardrails_api_free(&cfg->guardrails_api);
    cfg_audit_free(cfg);
    cfg_fanout_free(cfg);
    free(cfg);
}

struct config_model *config_find_model(const struct config *cfg, const char *name)
{
    for (size_t i = 0; cfg && name && i < cfg->n_models; i++)
        if (!strcmp(cfg->models[i].name, name))
            return &cfg->models[i];
    return NULL;
}

struct config_guardrail *config_find_guardrail(const struct config *cfg, const char *name)
{
    for (size_t i = 0; cfg && name && i < cfg->n_guardrails; i++)
        if (!strcmp(cfg->guardrails[i].name, name))
            return &cfg->guardrails[i];
    return NULL;
}
