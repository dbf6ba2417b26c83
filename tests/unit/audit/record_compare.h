/* Tests of the audit store: a record read back (GET /admin/audit's form) against the record
 * written. The store keeps "" as NULL and an unknown ttft as NULL, which reads back as -1. */
#ifndef WARDEN_TEST_AUDIT_RECORD_COMPARE_H
#define WARDEN_TEST_AUDIT_RECORD_COMPARE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/record.h"

static inline int text_differs(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

static inline const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* 0 when got is what want read back as, field by field. */
static inline int record_differs(const struct audit_record *got, const struct audit_record *want)
{
    return memcmp(got->id, want->id, AUDIT_ID_BYTES) || got->time_us != want->time_us ||
           strcmp(got->request_id, want->request_id) || strcmp(got->key_name, want->key_name) ||
           strcmp(got->model, want->model) || strcmp(got->target, want->target) || strcmp(got->error_code, want->error_code) ||
           strcmp(got->parent_id, want->parent_id) || strcmp(or_empty(got->guardrails), or_empty(want->guardrails)) ||
           got->status != want->status || got->attempts != want->attempts || got->reasks != want->reasks ||
           got->stream != want->stream || got->latency_us != want->latency_us || got->tokens_in != want->tokens_in ||
           got->tokens_out != want->tokens_out || got->cost_usd != want->cost_usd ||
           got->ttft_us != (want->ttft_us > 0 ? want->ttft_us : -1) || text_differs(got->request_body, want->request_body) ||
           text_differs(got->response_body, want->response_body);
}

/* An audit_row_cb for the query: each row against want[i], i read from its request id
 * ("req-<i>"); counts the rows and those that differ. */
struct rows_check {
    const struct audit_record *want;
    int n, seen, bad;
};

static inline void check_row(void *ud, const struct audit_record *r)
{
    struct rows_check *c = ud;
    int i = atoi(r->request_id + 4);
    c->seen++;
    if (i < 0 || i >= c->n || record_differs(r, &c->want[i])) {
        fprintf(stderr, "row %d differs from what was written\n", i);
        c->bad++;
    }
}

#endif
