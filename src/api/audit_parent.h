/* The audit record of a client request that Warden answered from sub-requests (split
 * embeddings, fan-out pipelines and batches). Its request id is the parent id that each
 * sub-request's own record carries, so "what did this client request cost and do" is one
 * row plus its linked rows.
 *
 * Reservations: the route takes one for the client request (audit_admit) and
 * api_audit_parent releases it; every sub-request takes its own before api_internal_start
 * (its record, written by the lifecycle, releases it). */
#ifndef WARDEN_API_AUDIT_PARENT_H
#define WARDEN_API_AUDIT_PARENT_H

#include <stdint.h>

struct server_worker;
struct api_internal;

/* What the sub-requests added up to: every call that started counts (a cancelled one too:
 * it has its own record); tokens and cost only of the answers that had usage. */
struct api_subcall_totals {
    int calls;
    int64_t tokens_in, tokens_out; /* summed over the calls with usage */
    int with_usage;                /* how many calls had usage */
    double cost_usd;               /* summed over the calls with a price */
    int unpriced;                  /* calls with usage but no price: the cost is unknown */
};

/* Adds one finished sub-request (call inside its on_done, where api_internal_info works). */
void api_subcall_totals_add(struct api_subcall_totals *t, const struct api_internal *h);

struct api_audit_parent {
    const char *request_id;
    const char *key_name;   /* the client's key, or NULL */
    const char *model;      /* the client's model (or pipeline), or NULL */
    const char *target;     /* what served it, e.g. "split:embeddings", "fanout:pipeline" */
    const char *error_code; /* NULL on success */
    int status;             /* what the client got (499: it went away first) */
    int stream;
    uint64_t t_start_ns;    /* util_now_ns() when the request arrived */
    const struct api_subcall_totals *totals;
};

/* Writes the record (when audit is on) and releases the client request's reservation. */
void api_audit_parent(struct server_worker *w, const struct api_audit_parent *p);

#endif
