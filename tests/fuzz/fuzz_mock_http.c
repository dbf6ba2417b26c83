/* Fuzzes warden-mock's request handling without sockets: the HTTP/1.1 head parser (whole and
 * split at an input-chosen point, which must agree: the blank-line scan resumes across calls), the
 * chunked body decoder, and then the router with its knobs and JSON bodies. Anything the parser
 * accepts goes through mock_route exactly as conn.c would pass it. Bodies are also checked
 * differentially: whatever the fast JSON scanner accepts, jansson must accept with equal values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mock/mock.h"

static struct mock_worker worker;
static struct mock_plan plan;

/* The fast scanner must accept only what jansson accepts, and read the same values. */
static void differential(const char *s, size_t n)
{
    static struct mock_jtok toks[MOCK_JTOK_MAX];
    int nt = mock_json_scan(s, n, toks, MOCK_JTOK_MAX);
    if (nt <= 0)
        return;
    json_t *j = json_loadb(s, n, 0, NULL);
    if (!j)
        abort();
    if (toks[0].type == MOCK_J_OBJ) {
        int i = 1;
        for (uint32_t c = 0; c < toks[0].len; c++) {
            char key[256];
            size_t kl = toks[i].end - toks[i].start;
            int val = i + 1;
            if (kl < sizeof(key) && !memchr(s + toks[i].start, 0, kl)) {
                memcpy(key, s + toks[i].start, kl);
                key[kl] = '\0';
                int v = mock_json_get(toks, s, 0, key);
                json_t *jv = json_object_get(j, key);
                if (v < 0 || !jv)
                    abort();
                if (toks[v].type == MOCK_J_STR) {
                    if (!json_is_string(jv) || json_string_length(jv) != toks[v].len)
                        abort();
                    if (!toks[v].esc && memcmp(json_string_value(jv), s + toks[v].start, toks[v].len) != 0)
                        abort();
                }
                if ((toks[v].type == MOCK_J_TRUE) != json_is_true(jv) || (toks[v].type == MOCK_J_ARR) != json_is_array(jv) ||
                    (toks[v].type == MOCK_J_ARR && toks[v].len != json_array_size(jv)))
                    abort();
            }
            i = (int)toks[val].skip;
        }
    }
    json_decref(j);
}

static void setup(void)
{
    mock_state_init();
    mock_opts.quiet = 1;
    worker.rng = 42;
    util_buf_init(&worker.scratch, SIZE_MAX);
    util_buf_init(&worker.hdrjson, SIZE_MAX);
    util_buf_init(&plan.head, SIZE_MAX);
    util_buf_init(&plan.body, SIZE_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 1)
        return 0;
    size_t split = data[0] % (size);
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    if (split > len)
        split = len;

    struct mock_http_req whole, parts;
    size_t scan = 0;
    int r = mock_http_parse_head(buf, len, &scan, &whole);
    size_t scan2 = 0;
    int r1 = mock_http_parse_head(buf, split, &scan2, &parts);
    int r2 = r1 != 0 ? r1 : mock_http_parse_head(buf, len, &scan2, &parts);
    /* a head complete in the prefix is the same head; an error may show earlier (431 on size) */
    if (r1 > 0 && r != r1)
        abort();
    if (r1 == 0 && r2 != r)
        abort();
    if (r <= 0)
        return 0;

    struct util_buf body;
    util_buf_init(&body, MOCK_BODY_MAX);
    const char *b = NULL;
    size_t blen = 0;
    if (whole.chunked) {
        size_t pos = (size_t)r;
        if (mock_http_parse_chunked(buf, len, &pos, &body) == 1) {
            b = body.data ? body.data : "";
            blen = body.len;
        }
    } else {
        size_t cl = whole.content_length > 0 ? (size_t)whole.content_length : 0;
        if (len - (size_t)r >= cl) {
            b = buf + r;
            blen = cl;
        }
    }
    if (b) {
        differential(b, blen);
        struct mock_request req = {.worker = &worker, .http = &whole, .base = buf, .body = b, .body_len = blen, .started_ms = 1};
        util_buf_reset(&plan.head);
        util_buf_reset(&plan.body);
        plan.n_ev = 0;
        plan.seq = 0;
        plan.kind = MOCK_PLAN_FULL;
        plan.abort_after = -1;
        plan.close_after = 0;
        mock_route(&req, &plan);
        if (plan.seq)
            mock_state_finish(plan.seq, MOCK_OUT_COMPLETED, plan.status, 2, 0);
        if (plan.kind == MOCK_PLAN_STREAM && plan.n_ev && plan.ev_end[plan.n_ev - 1] != plan.body.len)
            abort(); /* events must tile the body */
        if (plan.kind != MOCK_PLAN_STALL && plan.kind != MOCK_PLAN_RESET && plan.head.len == 0)
            abort();
    }
    util_buf_free(&body);
    return 0;
}
