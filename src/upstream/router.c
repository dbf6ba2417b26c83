/* Target selection, concurrency slots and circuit breakers. See router.h.
 *
 * Locking: each target has a mutex guarding its breaker state and outcome
 * window; it is held for a few instructions per attempt. In-flight counts are
 * atomics so least-in-flight selection reads them without locking. */
#include "upstream/router.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

enum breaker_state { BREAKER_CLOSED, BREAKER_OPEN, BREAKER_HALF_OPEN };

struct router_target {
    const struct config_model *model;
    const struct config_target *cfg;
    const struct config_health *health;
    unsigned position;
    char label[256];
    char *chat_url, *embeddings_url;
    char **headers; /* NULL-terminated "Name: value" lines */
    pthread_mutex_t lock;
    enum breaker_state state;
    uint64_t open_until_ms;
    int probe_out;
    int advised; /* open only for a provider's Retry-After: closed again when it passes */
    unsigned char *window; /* 1 = failure */
    int window_size, window_pos, window_count, window_failures;
    double ewma_ttft_us;
    _Atomic int inflight;
    _Atomic int waiting;
    _Atomic uint64_t attempts, failures, cooldowns;
};

struct router {
    const struct config *cfg;
    const struct config_health *health;
    struct router_target *targets; /* all models' targets, model by model */
    size_t n_targets;
    size_t *first; /* per model: index of its first target */
};

static __thread uint64_t rng_state;

static uint64_t rng_next(void)
{
    if (rng_state == 0)
        rng_state = util_now_ns() ^ (uint64_t)(uintptr_t)&rng_state;
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

struct router *router_create(const struct config *cfg)
{
    struct router *r = util_calloc(1, sizeof(*r));
    r->cfg = cfg;
    r->health = &cfg->health;
    for (size_t i = 0; i < cfg->n_models; i++)
        r->n_targets += cfg->models[i].n_targets;
    r->targets = util_calloc(r->n_targets ? r->n_targets : 1, sizeof(*r->targets));
    r->first = util_calloc(cfg->n_models ? cfg->n_models : 1, sizeof(size_t));
    size_t k = 0;
    for (size_t i = 0; i < cfg->n_models; i++) {
        r->first[i] = k;
        for (size_t j = 0; j < cfg->models[i].n_targets; j++, k++) {
            struct router_target *t = &r->targets[k];
            t->model = &cfg->models[i];
            t->cfg = &cfg->models[i].targets[j];
            t->position = (unsigned)j;
            t->health = r->health;
            snprintf(t->label, sizeof(t->label), "%s/%s", t->cfg->provider->name, t->cfg->model);
            pthread_mutex_init(&t->lock, NULL);
            t->window_size = r->health->window > 0 ? r->health->window : 20;
            t->window = util_calloc((size_t)t->window_size, 1);
            const struct config_provider *p = t->cfg->provider;
            size_t nl = strlen(p->base_url);
            t->chat_url = util_malloc(nl + 32);
            snprintf(t->chat_url, nl + 32, "%s/chat/completions", p->base_url);
            t->embeddings_url = util_malloc(nl + 32);
            snprintf(t->embeddings_url, nl + 32, "%s/embeddings", p->base_url);
            t->headers = util_calloc(p->n_headers + 3, sizeof(char *));
            size_t h = 0;
            t->headers[h++] = util_strdup("Content-Type: application/json");
            if (p->api_key != NULL) {
                size_t kl = strlen(p->api_key) + 32;
                t->headers[h] = util_malloc(kl);
                snprintf(t->headers[h++], kl, "Authorization: Bearer %s", p->api_key);
            }
            for (size_t k = 0; k < p->n_headers; k++) {
                size_t hl = strlen(p->headers[k].name) + strlen(p->headers[k].value) + 3;
                t->headers[h] = util_malloc(hl);
                snprintf(t->headers[h++], hl, "%s: %s", p->headers[k].name, p->headers[k].value);
            }
        }
    }
    return r;
}

void router_destroy(struct router *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_targets; i++) {
        struct router_target *t = &r->targets[i];
        pthread_mutex_destroy(&t->lock);
        free(t->window);
        free(t->chat_url);
        free(t->embeddings_url);
        for (char **h = t->headers; h && *h; h++) {
            if (strncmp(*h, "Authorization:", 14) == 0)
                memset(*h, 0, strlen(*h)); /* the key does not outlive us in freed memory */
            free(*h);
        }
        free(t->headers);
    }
    free(r->targets);
    free(r->first);
    free(r);
}

/* Under t->lock: may this target take a request now? Claims the probe when half-open. */
static int admit_locked(struct router_target *t, uint64_t now_ms, uint64_t *wait_ms)
{
    if (t->state == BREAKER_OPEN) {
        if (now_ms < t->open_until_ms) {
            uint64_t w = t->open_until_ms - now_ms;
            if (*wait_ms == 0 || w < *wait_ms)
                *wait_ms = w;
            return 0;
        }
        t->probe_out = 0;
        if (t->advised) {
            /* the provider said when to come back: every waiting request may, not one probe
             * (waiters racing for a single probe spent their retries waiting and failed 503) */
            t->state = BREAKER_CLOSED;
            return 1;
        }
        t->state = BREAKER_HALF_OPEN;
    }
    if (t->state == BREAKER_HALF_OPEN) {
        if (t->probe_out) {
            if (*wait_ms == 0 || *wait_ms > 100)
                *wait_ms = 100;
            return 0;
        }
        return 1;
    }
    return 1;
}

struct router_target *router_pick(struct router *r, const struct config_model *m, uint64_t tried, uint64_t *wait_ms)
{
    size_t mi = (size_t)(m - r->cfg->models);
    struct router_target *base = &r->targets[r->first[mi]];
    uint64_t now = util_now_ms();
    struct router_target *cand[64];
    size_t n = 0, n_untried = 0;
    *wait_ms = 0;
    /* candidates: admissible targets, untried ones first */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < m->n_targets && i < 64; i++) {
            int was_tried = (tried >> i) & 1;
            if (was_tried != pass)
                continue;
            struct router_target *t = &base[i];
            pthread_mutex_lock(&t->lock);
            int ok = admit_locked(t, now, wait_ms);
            pthread_mutex_unlock(&t->lock);
            if (ok)
                cand[n++] = t;
        }
        if (pass == 0)
            n_untried = n;
    }
    if (n == 0)
        return NULL;
    size_t pool = n_untried ? n_untried : n;
    struct router_target *best = cand[0];
    switch (m->lb) {
    case CONFIG_LB_LEAST_INFLIGHT:
        for (size_t i = 1; i < pool; i++)
            if (atomic_load(&cand[i]->inflight) < atomic_load(&best->inflight))
                best = cand[i];
        break;
    case CONFIG_LB_LATENCY:
        /* untried targets with no sample yet get explored first */
        for (size_t i = 1; i < pool; i++)
            if (cand[i]->ewma_ttft_us < best->ewma_ttft_us)
                best = cand[i];
        break;
    case CONFIG_LB_WEIGHTED:
    default: {
        uint64_t total = 0;
        for (size_t i = 0; i < pool; i++)
            total += (uint64_t)(cand[i]->cfg->weight > 0 ? cand[i]->cfg->weight : 1);
        uint64_t x = rng_next() % (total ? total : 1);
        for (size_t i = 0; i < pool; i++) {
            uint64_t w = (uint64_t)(cand[i]->cfg->weight > 0 ? cand[i]->cfg->weight : 1);
            if (x < w) {
                best = cand[i];
                break;
            }
            x -= w;
        }
    }
    }
    pthread_mutex_lock(&best->lock);
    if (best->state == BREAKER_HALF_OPEN)
        best->probe_out = 1;
    pthread_mutex_unlock(&best->lock);
    return best;
}

void router_unpick(struct router_target *t)
{
    pthread_mutex_lock(&t->lock);
    if (t->state == BREAKER_HALF_OPEN)
        t->probe_out = 0;
    pthread_mutex_unlock(&t->lock);
}

int router_try_acquire(struct router_target *t)
{
    int max = t->cfg->max_concurrent;
    if (max <= 0) {
        atomic_fetch_add(&t->inflight, 1);
        return 0;
    }
    int cur = atomic_load(&t->inflight);
    while (cur < max)
        if (atomic_compare_exchange_weak(&t->inflight, &cur, cur + 1))
            return 0;
    return -1;
}

void router_attempt_begin(struct router_target *t)
{
    atomic_fetch_add_explicit(&t->attempts, 1, memory_order_relaxed);
}

static void open_locked(struct router_target *t, uint64_t now, uint64_t ms, int advised)
{
    t->advised = (t->state != BREAKER_OPEN || t->advised) && advised;
    if (t->state != BREAKER_OPEN)
        atomic_fetch_add(&t->cooldowns, 1);
    t->state = BREAKER_OPEN;
    if (now + ms > t->open_until_ms)
        t->open_until_ms = now + ms;
    t->probe_out = 0;
    LOG_WARN("router", "target %s cooled down for %llu ms", t->label, (unsigned long long)ms);
}

void router_attempt_end(struct router_target *t, enum router_outcome o, uint64_t ttft_us, uint64_t cooldown_ms)
{
    atomic_fetch_sub(&t->inflight, 1);
    uint64_t now = util_now_ms();
    pthread_mutex_lock(&t->lock);
    if (o == ROUTER_CANCELLED) {
        if (t->state == BREAKER_HALF_OPEN)
            t->probe_out = 0;
        pthread_mutex_unlock(&t->lock);
        return;
    }
    int failed = o == ROUTER_FAILED;
    if (failed)
        atomic_fetch_add_explicit(&t->failures, 1, memory_order_relaxed);
    if (!failed && ttft_us > 0)
        t->ewma_ttft_us = t->ewma_ttft_us == 0 ? (double)ttft_us : 0.8 * t->ewma_ttft_us + 0.2 * (double)ttft_us;
    /* the sliding window of outcomes */
    if (t->window_count == t->window_size)
        t->window_failures -= t->window[t->window_pos];
    else
        t->window_count++;
    t->window[t->window_pos] = (unsigned char)failed;
    t->window_failures += failed;
    t->window_pos = (t->window_pos + 1) % t->window_size;

    int min_req = t->health->min_requests > 0 ? t->health->min_requests : 1;
    double ratio = t->health->error_ratio;
    uint64_t cooldown_default = (uint64_t)t->health->cooldown_ms;
    if (t->state == BREAKER_HALF_OPEN) {
        if (failed) {
            open_locked(t, now, cooldown_ms ? cooldown_ms : cooldown_default, 0);
        } else {
            t->state = BREAKER_CLOSED;
            t->probe_out = 0;
            memset(t->window, 0, (size_t)t->window_size);
            t->window_count = t->window_failures = t->window_pos = 0;
            LOG_INFO("router", "target %s is healthy again", t->label);
        }
    } else if (cooldown_ms > 0) {
        open_locked(t, now, cooldown_ms, 1);
    } else if (failed && t->state == BREAKER_CLOSED && t->window_count >= min_req &&
               (double)t->window_failures >= ratio * (double)t->window_count) {
        open_locked(t, now, cooldown_default, 0);
    }
    pthread_mutex_unlock(&t->lock);
}

const struct config_target *router_target_config(const struct router_target *t)
{
    return t->cfg;
}

unsigned router_target_position(const struct router_target *t)
{
    return t->position;
}

const char *router_target_label(const struct router_target *t)
{
    return t->label;
}

const char *router_target_url(const struct router_target *t, int embeddings)
{
    return embeddings ? t->embeddings_url : t->chat_url;
}

const char *const *router_target_headers(const struct router_target *t)
{
    return (const char *const *)t->headers;
}

int router_target_waiting_add(struct router_target *t, int delta)
{
    return atomic_fetch_add(&t->waiting, delta) + delta;
}

size_t router_target_count(const struct router *r)
{
    return r->n_targets;
}

void router_target_stats_get(const struct router *r, size_t i, struct router_target_stats *out)
{
    struct router_target *t = &r->targets[i];
    pthread_mutex_lock(&t->lock);
    enum breaker_state st = t->state;
    pthread_mutex_unlock(&t->lock);
    *out = (struct router_target_stats){
        .model = t->model->name,
        .target = t->label,
        .attempts = atomic_load(&t->attempts),
        .failures = atomic_load(&t->failures),
        .cooldowns = atomic_load(&t->cooldowns),
        .circuit = st == BREAKER_OPEN ? ROUTER_CIRCUIT_OPEN : st == BREAKER_HALF_OPEN ? ROUTER_CIRCUIT_HALF_OPEN : ROUTER_CIRCUIT_CLOSED,
        .inflight = atomic_load(&t->inflight),
    };
}
