/* The checks orchestrator (api/checks.c) through internal requests (api/internal.h) on a real
 * worker loop, with local guards only; the upstream is a tiny HTTP/1.1 server on the same loop
 * that records each request body and answers one fixed chat completion (with a secret in it).
 *
 * What it pins down: blocking input checks run one after the other and the next one and the
 * upstream read the rewrite; a block never reaches the upstream; a concurrent local check that
 * blocks or rewrites decides before the first attempt (the attempt is reported behind the
 * concurrent checks' immediate verdicts), so the original text never leaves; output checks
 * redact or block the answer; no answer inside api_internal_start(); a request cancelled while
 * a verdict waits in the deferral queue gets no callback and starts no attempt (ASan build:
 * nothing freed is touched). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "api/internal.h"
#include "upstream/client.h"
#include "util/buf.h"
#include "worker_fixture.h"

#define SECRET_ANSWER "the key is sk-ABCDEFGHIJKLMNOPQRSTUVWX"

/* ---- the upstream: one request per connection, answered and closed ---- */

static const char answer[] =
    "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"mock-1\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"" SECRET_ANSWER "\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";

static struct {
    uv_tcp_t listener;
    int port;
    int requests;          /* complete requests read */
    struct util_buf bodies; /* their bodies, one after the other */
} up;

struct up_conn {
    uv_tcp_t tcp;
    uv_write_t wr;
    struct util_buf in;
    char out[2048];
};

static void on_up_closed(uv_handle_t *h)
{
    struct up_conn *c = h->data;
    util_buf_free(&c->in);
    free(c);
}

static void on_up_written(uv_write_t *wr, int status)
{
    struct up_conn *c = wr->data;
    uv_close((uv_handle_t *)&c->tcp, on_up_closed);
}

static void on_up_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    static char buf[65536];
    *b = uv_buf_init(buf, sizeof(buf));
}

/* A whole request (head and Content-Length body) in c->in: record it and answer. */
static void up_maybe_answer(struct up_conn *c)
{
    const char *head_end = c->in.data ? strstr(c->in.data, "\r\n\r\n") : NULL;
    if (head_end == NULL)
        return;
    const char *cl = strcasestr(c->in.data, "\r\ncontent-length:");
    size_t body_len = cl != NULL && cl < head_end ? strtoul(cl + 17, NULL, 10) : 0;
    const char *body = head_end + 4;
    if ((size_t)(c->in.data + c->in.len - body) < body_len)
        return;
    up.requests++;
    util_buf_append(&up.bodies, body, body_len);
    util_buf_append(&up.bodies, "\n", 1);
    int n = snprintf(c->out, sizeof(c->out),
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     strlen(answer), answer);
    uv_buf_t b = uv_buf_init(c->out, (unsigned)n);
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->wr.data = c;
    uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_up_written);
}

static void on_up_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct up_conn *c = s->data;
    if (n < 0) {
        uv_close((uv_handle_t *)s, on_up_closed);
        return;
    }
    util_buf_append(&c->in, b->base, (size_t)n);
    up_maybe_answer(c);
}

static void on_up_connection(uv_stream_t *server, int status)
{
    struct up_conn *c = calloc(1, sizeof(*c));
    util_buf_init(&c->in, 1 << 20);
    uv_tcp_init(server->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, on_up_closed);
        return;
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_up_alloc, on_up_read);
}

/* ---- the worker, as server.c builds one ---- */

static int worker_up(void **state)
{
    memset(&w, 0, sizeof(w));
    assert_int_equal(uv_loop_init(&w.loop), 0);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    uv_tcp_init(&w.loop, &up.listener);
    assert_int_equal(uv_tcp_bind(&up.listener, (const struct sockaddr *)&a, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&up.listener, 64, on_up_connection), 0);
    int alen = sizeof(a);
    uv_tcp_getsockname(&up.listener, (struct sockaddr *)&a, &alen);
    up.port = ntohs(a.sin_port);
    util_buf_init(&up.bodies, 1 << 20);

    char yaml[4096];
    int n = snprintf(
        yaml, sizeof(yaml),
        "server: {listen: \"127.0.0.1:1\", workers: 1, access_log: \"off\"}\n"
        "providers:\n  - {name: up, type: openai, base_url: \"http://127.0.0.1:%d/v1\"}\n"
        "models:\n"
        "  - {name: m-block, retries: {max: 0}, targets: [{provider: up, model: mock-1}], guardrails: [in-redact, in-after, out-redact]}\n"
        "  - {name: m-conc-block, retries: {max: 0}, targets: [{provider: up, model: mock-1}], guardrails: [conc-block]}\n"
        "  - {name: m-conc-redact, retries: {max: 0}, targets: [{provider: up, model: mock-1}], guardrails: [conc-redact]}\n"
        "  - {name: m-out-block, retries: {max: 0}, targets: [{provider: up, model: mock-1}], guardrails: [out-block]}\n"
        "  - {name: m-conc-two, retries: {max: 0}, targets: [{provider: up, model: mock-1}], guardrails: [conc-redact, conc-redact-pin]}\n"
        "  - {name: m-conc-redact-block, retries: {max: 0}, targets: [{provider: up, model: mock-1}],\n"
        "     guardrails: [conc-redact, conc-block-secret]}\n"
        "guardrails:\n"
        "  - {name: in-redact, type: regex, stage: input, action: redact, replacement: \"[R]\", patterns: [\"secret-[0-9]+\"]}\n"
        "  - {name: in-after, type: regex, stage: input, action: block, patterns: [\"secret-[0-9]+\", \"forbidden\"]}\n"
        "  - {name: out-redact, type: regex, stage: output, action: redact, replacement: \"#\", patterns: [\"sk-[A-Za-z0-9]{20,}\"]}\n"
        "  - {name: conc-block, type: regex, stage: input, timing: concurrent, cancel_on_failure: true, patterns: [\"forbidden\"]}\n"
        "  - {name: conc-redact, type: regex, stage: input, timing: concurrent, action: redact, replacement: \"[C]\",\n"
        "     patterns: [\"secret-[0-9]+\"]}\n"
        "  - {name: out-block, type: regex, stage: output, patterns: [\"sk-[A-Za-z0-9]{20,}\"]}\n"
        "  - {name: conc-redact-pin, type: regex, stage: input, timing: concurrent, action: redact, replacement: \"[P]\",\n"
        "     patterns: [\"pin-[0-9]+\"]}\n"
        "  - {name: conc-block-secret, type: regex, stage: input, timing: concurrent, cancel_on_failure: true,\n"
        "     patterns: [\"secret-[0-9]+\"]}\n",
        up.port);
    worker_build(yaml, (size_t)n);
    return 0;
}

static int worker_down(void **state)
{
    worker_destroy();
    util_buf_free(&up.bodies);
    return 0;
}

/* ---- requests ---- */

struct result {
    int done, status;
    struct util_buf body;
    struct api_internal *h;
};

static void on_chunk(void *ud, const char *data, size_t len)
{
}

static void on_done(void *ud, int status, const char *body, size_t len)
{
    struct result *r = ud;
    r->done++;
    r->status = status;
    util_buf_append(&r->body, body, len);
    pending--;
}

static const struct api_internal_callbacks cbs = {on_chunk, on_done};

static void start(struct result *r, const char *model, const char *content)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}", model, content);
    memset(r, 0, sizeof(*r));
    util_buf_init(&r->body, 1 << 20);
    struct api_internal_opts o = {0};
    pending++;
    r->h = api_internal_start(&w, API_INTERNAL_CHAT, body, strlen(body), &o, &cbs, r);
    assert_int_equal(r->done, 0); /* never inside the start */
}

static void reset_upstream(void)
{
    up.requests = 0;
    util_buf_reset(&up.bodies);
}

/* One request from a fresh upstream record to its answer: status and the body's NUL-terminated text. */
static int answer_of(struct result *r, const char *model, const char *content)
{
    reset_upstream();
    start(r, model, content);
    run_until_answered(5000, 1);
    assert_int_equal(r->done, 1);
    util_buf_append(&r->body, "", 0);
    return r->status;
}

static uint64_t calls_started(void)
{
    struct upstream_client_stats st;
    upstream_client_get_stats(w.upstream, &st);
    return st.calls_started;
}

static void blocking_checks_run_in_order_and_the_upstream_reads_the_rewrite(void **state)
{
    struct result r;
    if (answer_of(&r, "m-block", "my secret-123 please") != 200)
        fail_msg("%d %s", r.status, r.body.data);
    /* in-redact rewrote it, so in-after (which blocks the original) passed */
    assert_int_equal(up.requests, 1);
    assert_non_null(strstr(up.bodies.data, "my [R] please"));
    assert_null(strstr(up.bodies.data, "secret-123"));
    /* the output check redacted the answer */
    assert_null(strstr(r.body.data, "sk-ABCDEFGHIJKLMNOPQRSTUVWX"));
    assert_non_null(strstr(r.body.data, "the key is #"));
    util_buf_free(&r.body);
}

static void a_blocking_block_never_reaches_the_upstream(void **state)
{
    uint64_t calls = calls_started();
    struct result r;
    assert_int_equal(answer_of(&r, "m-block", "a forbidden word"), 400);
    assert_non_null(strstr(r.body.data, "guardrail_blocked"));
    assert_non_null(strstr(r.body.data, "in-after"));
    assert_int_equal(calls_started(), calls);
    assert_int_equal(up.requests, 0);
    util_buf_free(&r.body);
}

static void a_concurrent_local_block_decides_before_the_first_attempt(void **state)
{
    uint64_t calls = calls_started();
    struct result r;
    assert_int_equal(answer_of(&r, "m-conc-block", "a forbidden word"), 400);
    assert_non_null(strstr(r.body.data, "conc-block"));
    assert_int_equal(calls_started(), calls); /* no attempt was started, let alone cancelled */
    assert_int_equal(up.requests, 0);
    util_buf_free(&r.body);
}

static void a_concurrent_local_rewrite_is_what_the_first_attempt_sends(void **state)
{
    uint64_t calls = calls_started();
    struct result r;
    assert_int_equal(answer_of(&r, "m-conc-redact", "my secret-7 please"), 200);
    assert_int_equal(calls_started(), calls + 1); /* one attempt: no abort and re-send */
    assert_int_equal(up.requests, 1);
    assert_non_null(strstr(up.bodies.data, "my [C] please"));
    assert_null(strstr(up.bodies.data, "secret-7"));
    util_buf_free(&r.body);
}

/* Two concurrent redactions of the same text: the second decided on the original, so it runs
 * again on the first one's rewrite; the one attempt carries both. */
static void concurrent_rewrites_of_one_text_both_reach_the_first_attempt(void **state)
{
    uint64_t calls = calls_started();
    struct result r;
    assert_int_equal(answer_of(&r, "m-conc-two", "my secret-7 and pin-42"), 200);
    assert_int_equal(calls_started(), calls + 1);
    assert_int_equal(up.requests, 1);
    assert_non_null(strstr(up.bodies.data, "my [C] and [P]"));
    assert_null(strstr(up.bodies.data, "secret-7"));
    assert_null(strstr(up.bodies.data, "pin-42"));
    util_buf_free(&r.body);
}

/* A concurrent block decided on text that an earlier concurrent check has redacted since is
 * checked again on the redacted request (as when local checks ran one after the other). */
static void a_block_on_text_redacted_since_is_checked_again(void **state)
{
    struct result r;
    assert_int_equal(answer_of(&r, "m-conc-redact-block", "my secret-9 please"), 200);
    assert_int_equal(up.requests, 1);
    assert_non_null(strstr(up.bodies.data, "my [C] please"));
    util_buf_free(&r.body);
}

static void an_output_block_replaces_the_answer(void **state)
{
    struct result r;
    assert_int_equal(answer_of(&r, "m-out-block", "hello"), 400);
    assert_non_null(strstr(r.body.data, "out-block"));
    assert_null(strstr(r.body.data, "sk-ABCDEFGHIJKLMNOPQRSTUVWX"));
    assert_int_equal(up.requests, 1);
    util_buf_free(&r.body);
}

/* Cancelled right after the start: the first blocking check's verdict (and, for a concurrent
 * check, the report that the input checks passed) wait in the deferral queue. */
static void a_request_cancelled_while_a_verdict_waits_gets_nothing(void **state)
{
    reset_upstream();
    uint64_t calls = calls_started();
    struct result r[4];
    start(&r[0], "m-block", "a forbidden word");
    start(&r[1], "m-block", "my secret-1 please");
    start(&r[2], "m-conc-block", "a forbidden word");
    start(&r[3], "m-conc-redact", "my secret-2 please");
    for (int i = 0; i < 4; i++) {
        api_internal_cancel(r[i].h);
        pending--;
    }
    run_until_answered(200, 1);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r[i].done, 0);
        util_buf_free(&r[i].body);
    }
    assert_int_equal(calls_started(), calls);
    assert_int_equal(up.requests, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blocking_checks_run_in_order_and_the_upstream_reads_the_rewrite),
        cmocka_unit_test(a_blocking_block_never_reaches_the_upstream),
        cmocka_unit_test(a_concurrent_local_block_decides_before_the_first_attempt),
        cmocka_unit_test(a_concurrent_local_rewrite_is_what_the_first_attempt_sends),
        cmocka_unit_test(concurrent_rewrites_of_one_text_both_reach_the_first_attempt),
        cmocka_unit_test(a_block_on_text_redacted_since_is_checked_again),
        cmocka_unit_test(an_output_block_replaces_the_answer),
        cmocka_unit_test(a_request_cancelled_while_a_verdict_waits_gets_nothing),
    };
    return cmocka_run_group_tests(tests, worker_up, worker_down);
}
