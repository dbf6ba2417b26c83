/* The attempt planner (attempt_plan.h): pure decisions over a request's attempts. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "api/attempt_plan.h"

int attempt_plan_status_retryable(int status)
{
    return status == 408 || status == 409 || status == 429 || status >= 500;
}

uint64_t attempt_plan_retry_after_ms(const char *v, time_t now)
{
    if (v == NULL || *v == '\0')
        return 0;
    char *end;
    double secs = strtod(v, &end);
    if (end != v && (*end == '\0' || *end == ' ')) {
        if (secs < 0)
            return 0;
        if (secs > 3600)
            secs = 3600;
        return (uint64_t)(secs * 1000);
    }
    time_t t = curl_getdate(v, NULL);
    if (t < 0 || t <= now)
        return 0;
    return (uint64_t)(t - now) * 1000 > 3600000 ? 3600000 : (uint64_t)(t - now) * 1000;
}

uint64_t attempt_plan_backoff_ms(const struct config_retry *r, int retry_index, uint64_t *seed)
{
    uint64_t cap = (uint64_t)(r->base_ms > 0 ? r->base_ms : 0);
    for (int i = 0; i < retry_index && cap < (uint64_t)r->max_ms; i++)
        cap *= 2;
    if (cap > (uint64_t)r->max_ms)
        cap = (uint64_t)r->max_ms;
    if (cap == 0)
        return 0;
    uint64_t s = *seed ? *seed : 1;
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    *seed = s;
    return s % (cap + 1);
}

int attempt_plan_fallback_allowed(const struct config_model *m, int status, const char *body, size_t n,
                                  const struct config_model **to)
{
    *to = NULL;
    if (m->n_fallback_rules == 0)
        return 1;
    for (size_t i = 0; i < m->n_fallback_rules; i++) {
        const struct config_fallback_rule *r = &m->fallback_rules[i];
        if (status < r->status_min || status > r->status_max)
            continue;
        if (r->match != NULL && (body == NULL || memmem(body, n, r->match, strlen(r->match)) == NULL))
            continue;
        *to = r->to_model;
        return 1;
    }
    return 0;
}

void attempt_plan_after_failure(const struct attempt_progress *p, const struct attempt_failure *f, uint64_t *seed,
                                struct attempt_decision *d)
{
    memset(d, 0, sizeof(*d));
    const struct config_retry *rp = p->retry != NULL ? p->retry : &p->model->retry;
    if (f->overload && p->cooling_waits < rp->max && f->cooling_wait_ms > 0 &&
        f->cooling_wait_ms <= ATTEMPT_PLAN_MAX_COOLING_WAIT_MS) {
        /* every target is cooling down (a shared Retry-After or an open circuit) and this request
         * still has retries: wait for the first one to reopen instead of failing now */
        d->next = ATTEMPT_NEXT_WAIT_COOLING;
        d->wait_ms = f->cooling_wait_ms;
        return;
    }
    if (!f->overload && p->attempts_on_model <= rp->max) {
        d->next = ATTEMPT_NEXT_RETRY;
        d->wait_ms = attempt_plan_backoff_ms(rp, p->attempts_on_model - 1, seed);
        if (f->retry_after_ms > d->wait_ms)
            d->wait_ms = f->retry_after_ms;
        return;
    }
    /* the model's targets are exhausted: fall back */
    const struct config_model *to = NULL;
    int allowed = attempt_plan_fallback_allowed(p->model, f->status, f->body, f->body_len, &to);
    if (allowed && to == NULL && p->fallback_pos < p->requested_model->n_fallbacks) {
        to = p->requested_model->fallbacks[p->fallback_pos];
        d->fallback_from_list = 1;
    }
    if (allowed && to != NULL && p->fallbacks_taken < ATTEMPT_PLAN_MAX_FALLBACKS) {
        d->next = ATTEMPT_NEXT_FALLBACK;
        d->fallback_to = to;
        return;
    }
    d->fallback_from_list = 0;
    d->next = ATTEMPT_NEXT_GIVE_UP;
}

int attempt_plan_queue_admits(int queue_max, int waiting)
{
    return queue_max > 0 && waiting <= queue_max;
}

int attempt_plan_queue_expired(uint64_t now, uint64_t since, int timeout_ms)
{
    return now - since > (uint64_t)timeout_ms * 1000000u;
}
