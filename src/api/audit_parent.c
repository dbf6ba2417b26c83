/* The parent audit record of a request answered from sub-requests (audit_parent.h). */
#include "api/audit_parent.h"

#include <string.h>

#include "api/internal.h"
#include "audit/audit.h"
#include "audit/record.h"
#include "server/server.h"
#include "util/clock.h"

void api_subcall_totals_add(struct api_subcall_totals *t, const struct api_internal *h)
{
    struct api_internal_info info;
    api_internal_info(h, &info);
    if (!info.has_usage)
        return;
    t->with_usage++;
    t->tokens_in += info.tokens_in;
    t->tokens_out += info.tokens_out;
    if (info.cost_usd >= 0)
        t->cost_usd += info.cost_usd;
    else
        t->unpriced++;
}

static void set(char *dst, size_t dstsz, const char *s)
{
    audit_record_set(dst, dstsz, s, s != NULL ? strlen(s) : 0);
}

void api_audit_parent(struct server_worker *w, const struct api_audit_parent *p)
{
    struct audit_worker *aw = w->audit;
    if (aw == NULL)
        return;
    audit_release(aw);
    struct audit_record r;
    memset(&r, 0, sizeof(r));
    r.time_us = audit_now_us();
    audit_record_make_id(&r);
    set(r.request_id, sizeof(r.request_id), p->request_id);
    set(r.key_name, sizeof(r.key_name), p->key_name);
    set(r.model, sizeof(r.model), p->model);
    set(r.target, sizeof(r.target), p->target);
    set(r.error_code, sizeof(r.error_code), p->error_code);
    r.status = p->status;
    r.stream = p->stream;
    r.latency_us = (int64_t)(util_now_ns() - p->t_start_ns) / 1000;
    const struct api_subcall_totals *t = p->totals;
    r.attempts = t->calls;
    r.tokens_in = t->with_usage ? t->tokens_in : -1;
    r.tokens_out = t->with_usage ? t->tokens_out : -1;
    r.cost_usd = t->with_usage && !t->unpriced ? t->cost_usd : -1;
    audit_submit(aw, &r);
}
