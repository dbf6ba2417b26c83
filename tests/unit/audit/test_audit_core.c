/* The audit core without a server: record encoding, the SPSC ring (also across two
 * threads), the journal (torn tail, CRC mismatch, replay protocol), usage parsing,
 * include_usage injection (the tap: tests/unit/api/test_usage.c), prices, key hashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/journal.h"
#include "audit/query.h"
#include "audit/record.h"
#include "audit/ring.h"
#include "api/usage.h"
#include "auth/auth.h"
#include "util/sha256.h"
#include "config/config.h"
#include "util/err.h"

static void fill(struct audit_record *r, int i)
{
    memset(r, 0, sizeof(*r));
    r->time_us = 1764547200000000LL + i;
    audit_record_make_id(r);
    snprintf(r->request_id, sizeof(r->request_id), "req-%d", i);
    snprintf(r->model, sizeof(r->model), "gpt-4o-mini");
    r->status = 200;
    r->attempts = 1;
    r->tokens_in = i;
    r->tokens_out = 2 * i;
    r->cost_usd = 0.5;
}

static void record_encoding_round_trips_with_bodies(void **state)
{
    struct audit_record r, back;
    fill(&r, 7);
    r.guardrails = strdup("pii=pass, toxicity=block");
    snprintf(r.parent_id, sizeof(r.parent_id), "req-parent");
    r.request_body = strdup("{\"messages\":[]}");
    uint8_t buf[4096];
    size_t n = audit_record_encode(&r, buf);
    assert_true(n <= audit_record_encoded_max(&r));
    /* the queues' cheap bound holds even with every string field full */
    struct audit_record full = r; /* shares r's strings: not freed */
    char most[AUDIT_GUARDRAILS_MAX];
    memset(most, 'x', sizeof(most) - 1);
    most[sizeof(most) - 1] = '\0';
    full.guardrails = most;
    memset(full.request_id, 'x', sizeof(full.request_id) - 1);
    memset(full.key_name, 'x', sizeof(full.key_name) - 1);
    memset(full.model, 'x', sizeof(full.model) - 1);
    memset(full.target, 'x', sizeof(full.target) - 1);
    memset(full.error_code, 'x', sizeof(full.error_code) - 1);
    memset(full.parent_id, 'x', sizeof(full.parent_id) - 1);
    full.request_id[sizeof(full.request_id) - 1] = full.key_name[sizeof(full.key_name) - 1] = '\0';
    full.model[sizeof(full.model) - 1] = full.target[sizeof(full.target) - 1] = '\0';
    full.error_code[sizeof(full.error_code) - 1] = '\0';
    full.parent_id[sizeof(full.parent_id) - 1] = '\0';
    assert_int_equal(audit_record_encoded_max(&full), audit_record_encoded_bound(&full));
    /* the longest guardrails a journal of the fixed-field builds held reads back; one more is refused */
    uint8_t big[8192];
    size_t big_n = audit_record_encode(&full, big);
    assert_int_equal(audit_record_decode(big, big_n, &back), 0);
    assert_int_equal(strlen(back.guardrails), AUDIT_GUARDRAILS_MAX - 1);
    audit_record_free(&back);
    char over[AUDIT_GUARDRAILS_MAX + 1];
    memset(over, 'x', sizeof(over) - 1);
    over[sizeof(over) - 1] = '\0';
    full.guardrails = over;
    big_n = audit_record_encode(&full, big);
    assert_int_equal(audit_record_decode(big, big_n, &back), -1);
    assert_true(audit_record_encoded_max(&r) <= audit_record_encoded_bound(&r));
    assert_int_equal(audit_record_decode(buf, n, &back), 0);
    assert_memory_equal(back.id, r.id, AUDIT_ID_BYTES);
    assert_string_equal(back.request_id, "req-7");
    assert_string_equal(back.guardrails, "pii=pass, toxicity=block");
    assert_string_equal(back.parent_id, "req-parent");
    assert_string_equal(back.request_body, "{\"messages\":[]}");
    assert_null(back.response_body);
    assert_int_equal(back.tokens_out, 14);
    assert_true(back.cost_usd == 0.5);
    audit_record_free(&back);
    /* a truncated encoding is refused */
    assert_int_equal(audit_record_decode(buf, n - 1, &back), -1);
    /* a version 1 record (a journal written before parent_id) still decodes: the same bytes
     * without the last string */
    size_t parent_len = strlen(r.parent_id);
    buf[0] = 1;
    assert_int_equal(audit_record_decode(buf, n - 4 - parent_len, &back), 0);
    assert_string_equal(back.request_id, "req-7");
    assert_string_equal(back.parent_id, "");
    assert_string_equal(back.request_body, "{\"messages\":[]}");
    audit_record_free(&back);
    audit_record_free(&r);
}

/* The journal's bytes of a record as the builds with a fixed guardrails field wrote them (the
 * format did not change): version 2, the fixed numbers, then nine length-prefixed strings. */
static size_t old_encoding(uint8_t *out, const char *guardrails)
{
    uint8_t *p = out;
    *p++ = 2;
    memset(p, 0xab, AUDIT_ID_BYTES + 8 + 4 * 4 + 8 * 5);
    p += AUDIT_ID_BYTES + 8 + 4 * 4 + 8 * 5;
    const char *s[9] = {"req-old", "", "gpt-4o", "", "", guardrails, "", "", ""};
    for (int i = 0; i < 9; i++) {
        uint32_t n = (uint32_t)strlen(s[i]);
        for (int k = 0; k < 4; k++)
            *p++ = (uint8_t)(n >> (8 * k));
        memcpy(p, s[i], n);
        p += n;
    }
    return (size_t)(p - out);
}

/* guardrails is malloc'd, NULL when no guardrail ran: the record with none encodes as the old
 * one with "" did, and both read back as NULL; a list reads back whole. */
static void guardrails_are_owned_and_journal_compatible(void **state)
{
    uint8_t old[512], now[512];
    struct audit_record back;
    size_t n = old_encoding(old, "");
    assert_int_equal(audit_record_decode(old, n, &back), 0);
    assert_string_equal(back.request_id, "req-old");
    assert_null(back.guardrails);
    assert_int_equal(audit_record_encode(&back, now), n);
    assert_memory_equal(now, old, n);
    n = old_encoding(old, "pii=pass(input,blocking,12us)");
    assert_int_equal(audit_record_decode(old, n, &back), 0);
    assert_string_equal(back.guardrails, "pii=pass(input,blocking,12us)");
    assert_int_equal(audit_record_encode(&back, now), n);
    assert_memory_equal(now, old, n);
    /* async entries are appended within the cap: whole, or not at all */
    assert_int_equal(audit_record_append_guardrails(&back, "judge=pass(output,async_post,9us)", 33), 0);
    assert_string_equal(back.guardrails, "pii=pass(input,blocking,12us), judge=pass(output,async_post,9us)");
    char big[AUDIT_GUARDRAILS_MAX];
    memset(big, 'y', sizeof(big));
    size_t room = AUDIT_GUARDRAILS_MAX - 1 - strlen(back.guardrails) - 2;
    assert_int_equal(audit_record_append_guardrails(&back, big, room + 1), -1);
    assert_int_equal(strlen(back.guardrails), 64);
    assert_int_equal(audit_record_append_guardrails(&back, big, room), 0);
    assert_int_equal(strlen(back.guardrails), AUDIT_GUARDRAILS_MAX - 1);
    audit_record_free(&back);
    assert_null(back.guardrails);
    assert_int_equal(audit_record_append_guardrails(&back, "a=pass", 6), 0); /* to none: no separator */
    assert_string_equal(back.guardrails, "a=pass");
    audit_record_free(&back);
    /* a copy is capped at a character boundary, and nothing is NULL */
    assert_null(audit_text_dup("", 0, AUDIT_GUARDRAILS_MAX));
    assert_null(audit_text_dup(NULL, 5, AUDIT_GUARDRAILS_MAX));
    char *cut = audit_text_dup("ab\xc3\xa9", 4, 4); /* "abé": 3 bytes of room cut before é */
    assert_string_equal(cut, "ab");
    free(cut);
    cut = audit_text_dup("ab\xc3\xa9", 4, 5);
    assert_string_equal(cut, "ab\xc3\xa9");
    free(cut);
}

static void ids_are_unique_and_sort_by_time(void **state)
{
    struct audit_record a, b;
    fill(&a, 1);
    fill(&b, 1);
    assert_memory_not_equal(a.id, b.id, AUDIT_ID_BYTES); /* same microsecond, different ids */
    struct audit_record later;
    fill(&later, 2);
    assert_true(memcmp(later.id, a.id, AUDIT_ID_BYTES) > 0);
    uint8_t lo[AUDIT_ID_BYTES];
    audit_id_for_time(a.time_us, lo);
    assert_true(memcmp(a.id, lo, AUDIT_ID_BYTES) >= 0);
    char hex[AUDIT_ID_HEX];
    uint8_t back[AUDIT_ID_BYTES];
    audit_id_to_hex(a.id, hex);
    assert_int_equal(audit_id_from_hex(hex, strlen(hex), back), 0);
    assert_memory_equal(back, a.id, AUDIT_ID_BYTES);
    assert_int_equal(audit_id_from_hex("zz", 2, back), -1);
}

static void ring_is_bounded_and_fifo(void **state)
{
    struct audit_ring *q = audit_ring_create(5); /* rounds up to 8 */
    assert_int_equal(audit_ring_capacity(q), 8);
    struct audit_record r, out[16];
    for (int i = 0; i < 8; i++) {
        fill(&r, i);
        assert_int_equal(audit_ring_push(q, &r), 0);
    }
    fill(&r, 99);
    assert_int_equal(audit_ring_push(q, &r), -1);
    assert_int_equal(audit_ring_pop(q, out, 3), 3);
    assert_string_equal(out[0].request_id, "req-0");
    assert_string_equal(out[2].request_id, "req-2");
    assert_int_equal(audit_ring_push(q, &r), 0);
    assert_int_equal(audit_ring_pop(q, out, 16), 6);
    assert_string_equal(out[5].request_id, "req-99");
    assert_int_equal(audit_ring_pop(q, out, 16), 0);
    audit_ring_destroy(q);
}

/* A record made in its slot: handed over by publish, in order with pushed ones; none when full. */
static void ring_slot_is_filled_in_place_and_published(void **state)
{
    struct audit_ring *q = audit_ring_create(2);
    struct audit_record r, out[4];
    struct audit_record *slot = audit_ring_slot(q);
    assert_non_null(slot);
    assert_int_equal(audit_ring_pop(q, out, 4), 0); /* not handed over before publish */
    fill(slot, 1);
    audit_ring_publish(q);
    fill(&r, 2);
    assert_int_equal(audit_ring_push(q, &r), 0);
    assert_null(audit_ring_slot(q)); /* full */
    assert_int_equal(audit_ring_pop(q, out, 4), 2);
    assert_string_equal(out[0].request_id, "req-1");
    assert_string_equal(out[1].request_id, "req-2");
    slot = audit_ring_slot(q);
    assert_non_null(slot);
    fill(slot, 3);
    audit_ring_publish(q);
    assert_int_equal(audit_ring_pop(q, out, 4), 1);
    assert_string_equal(out[0].request_id, "req-3");
    audit_ring_destroy(q);
}

#define SPSC_N 200000
static void *consumer(void *arg)
{
    struct audit_ring *q = arg;
    static struct audit_record out[64];
    long expect = 0;
    while (expect < SPSC_N) {
        size_t n = audit_ring_pop(q, out, 64);
        for (size_t i = 0; i < n; i++) {
            if (out[i].tokens_in != expect)
                return (void *)1;
            expect++;
        }
    }
    return NULL;
}

static void ring_passes_every_record_in_order_between_threads(void **state)
{
    struct audit_ring *q = audit_ring_create(64);
    pthread_t t;
    pthread_create(&t, NULL, consumer, q);
    struct audit_record r;
    memset(&r, 0, sizeof(r));
    for (long i = 0; i < SPSC_N;) {
        r.tokens_in = i;
        if (audit_ring_push(q, &r) == 0)
            i++;
    }
    void *bad;
    pthread_join(t, &bad);
    assert_null(bad);
    audit_ring_destroy(q);
}

static char *tmp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof(path), "/tmp/warden-audit-unit-%d-%s", (int)getpid(), name);
    unlink(path);
    return path;
}

static void journal_replays_and_truncates(void **state)
{
    char err[256];
    char *path = tmp_path("j1");
    struct audit_journal *j = audit_journal_open(path, 1 << 20, err, sizeof(err));
    assert_non_null(j);
    struct audit_record recs[10], out[10];
    for (int i = 0; i < 10; i++)
        fill(&recs[i], i);
    assert_int_equal(audit_journal_append(j, recs, 10), 0);
    assert_int_equal(audit_journal_sync(j), 0);
    assert_int_equal(audit_journal_read(j, out, 4), 4);
    audit_journal_unread(j); /* the store failed: the same four again */
    assert_int_equal(audit_journal_read(j, out, 4), 4);
    assert_string_equal(out[0].request_id, "req-0");
    audit_journal_consumed(j);
    assert_int_equal(audit_journal_read(j, out, 10), 6);
    assert_string_equal(out[0].request_id, "req-4");
    audit_journal_consumed(j);
    struct audit_journal_stats st;
    audit_journal_get_stats(j, &st);
    assert_int_equal(st.bytes, 0); /* all consumed: truncated */
    audit_journal_close(j);
    unlink(path);
}

/* Writes records 0..2 to a new journal at path and closes it; recs gets them. */
static void journal_of_three(const char *path, struct audit_record recs[3])
{
    char err[256];
    struct audit_journal *j = audit_journal_open(path, 1 << 20, err, sizeof(err));
    assert_non_null(j);
    for (int i = 0; i < 3; i++)
        fill(&recs[i], i);
    assert_int_equal(audit_journal_append(j, recs, 3), 0);
    audit_journal_close(j);
}

static void journal_cuts_a_torn_tail_and_keeps_whole_frames(void **state)
{
    char err[256];
    char *path = tmp_path("j2");
    struct audit_record recs[3], out[3];
    journal_of_three(path, recs);
    /* a crash mid-write: the last frame loses its end */
    int fd = open(path, O_RDWR);
    off_t size = lseek(fd, 0, SEEK_END);
    assert_int_equal(ftruncate(fd, size - 5), 0);
    close(fd);
    struct audit_journal *j = audit_journal_open(path, 1 << 20, err, sizeof(err));
    assert_non_null(j);
    struct audit_journal_stats st;
    audit_journal_get_stats(j, &st);
    assert_int_equal(st.recovered, 2);
    assert_true(st.discarded_bytes > 0);
    assert_int_equal(audit_journal_read(j, out, 3), 2);
    assert_string_equal(out[1].request_id, "req-1");
    /* appending after the cut starts at a frame boundary */
    audit_journal_unread(j);
    assert_int_equal(audit_journal_append(j, &recs[2], 1), 0);
    assert_int_equal(audit_journal_read(j, out, 3), 3);
    assert_string_equal(out[2].request_id, "req-2");
    audit_journal_close(j);
    unlink(path);
}

static void journal_stops_at_a_crc_mismatch(void **state)
{
    char err[256];
    char *path = tmp_path("j3");
    struct audit_record recs[3], out[3];
    journal_of_three(path, recs);
    /* flip one byte in the payload of the last frame */
    int fd = open(path, O_RDWR);
    off_t size = lseek(fd, 0, SEEK_END);
    char c;
    assert_int_equal(pread(fd, &c, 1, size - 3), 1);
    c ^= 0x55;
    assert_int_equal(pwrite(fd, &c, 1, size - 3), 1);
    close(fd);
    struct audit_journal *j = audit_journal_open(path, 1 << 20, err, sizeof(err));
    struct audit_journal_stats st;
    audit_journal_get_stats(j, &st);
    assert_int_equal(st.recovered, 2);
    assert_int_equal(audit_journal_read(j, out, 3), 2);
    audit_journal_close(j);
    unlink(path);
}

static void journal_refuses_past_its_cap(void **state)
{
    char err[256];
    char *path = tmp_path("j4");
    struct audit_journal *j = audit_journal_open(path, 600, err, sizeof(err));
    struct audit_record recs[10];
    for (int i = 0; i < 10; i++)
        fill(&recs[i], i);
    assert_int_equal(audit_journal_append(j, recs, 1), 0);
    assert_int_equal(audit_journal_append(j, recs, 10), WARDEN_ETOOBIG);
    struct audit_journal_stats st;
    audit_journal_get_stats(j, &st);
    assert_true(st.bytes > 0 && st.bytes <= 600);
    audit_journal_close(j);
    unlink(path);
}

static void usage_is_read_from_answers_and_chunks(void **state)
{
    struct usage u;
    const char *answer = "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"usage\"}}],"
                         "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,\"total_tokens\":46}}";
    assert_int_equal(usage_from_answer(answer, strlen(answer), &u), 0);
    assert_int_equal(u.tokens_in, 12);
    assert_int_equal(u.tokens_out, 34);
    const char *emb = "{\"data\":[],\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}";
    assert_int_equal(usage_from_answer(emb, strlen(emb), &u), 0);
    assert_int_equal(u.tokens_in, 5);
    assert_int_equal(u.tokens_out, 0);
    const char *none = "{\"choices\":[],\"usage\":null}";
    assert_int_equal(usage_from_answer(none, strlen(none), &u), -1);
    const char *chunk = "{\"id\":\"c\",\"choices\":[],\"usage\":{\"input_tokens\":3,\"output_tokens\":4}}";
    assert_int_equal(usage_from_chunk(chunk, strlen(chunk), &u), 0);
    assert_int_equal(u.tokens_out, 4);
    assert_int_equal(usage_from_answer("{\"usage\":{\"prompt_tokens\":-1}}", 30, &u), -1);
    assert_int_equal(usage_from_answer("not json", 8, &u), -1);
}

static void include_usage_is_asked_only_when_missing(void **state)
{
    const char *a = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    assert_int_equal(usage_stream_wants_include(a, strlen(a)), 1);
    const char *b = "{\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
    assert_int_equal(usage_stream_wants_include(b, strlen(b)), 0);
    const char *c = "{\"stream\":false}";
    assert_int_equal(usage_stream_wants_include(c, strlen(c)), 0);

    size_t n;
    char *out = usage_request_add_include(a, strlen(a), &n);
    assert_string_equal(out, "{\"model\":\"m\",\"stream\":true,\"messages\":[],\"stream_options\":{\"include_usage\":true}}");
    assert_int_equal(usage_stream_wants_include(out, n), 0);
    free(out);
    const char *d = "{\"stream\":true,\"stream_options\":{\"include_usage\":false}}";
    out = usage_request_add_include(d, strlen(d), &n);
    assert_string_equal(out, "{\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    free(out);
    const char *e = "{\"stream\":true,\"stream_options\":{ \"x\":1}}";
    out = usage_request_add_include(e, strlen(e), &n);
    assert_string_equal(out, "{\"stream\":true,\"stream_options\":{\"include_usage\":true, \"x\":1}}");
    free(out);
    const char *f = "{\"stream\":true,\"stream_options\":{}}";
    out = usage_request_add_include(f, strlen(f), &n);
    assert_string_equal(out, "{\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    free(out);
    const char *g = "{\"stream\":true,\"stream_options\":null }";
    out = usage_request_add_include(g, strlen(g), &n);
    assert_string_equal(out, "{\"stream\":true,\"stream_options\":{\"include_usage\":true} }");
    free(out);
    out = usage_request_add_include("{}", 2, &n);
    assert_string_equal(out, "{\"stream_options\":{\"include_usage\":true}}");
    free(out);
}

static void usage_only_chunks_are_recognised_for_stripping(void **state)
{
    const char *only = "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":1}}";
    assert_int_equal(usage_chunk_is_usage_only(only, strlen(only)), 1);
    const char *content = "{\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}";
    assert_int_equal(usage_chunk_is_usage_only(content, strlen(content)), 0);
    const char *both = "{\"choices\":[{\"delta\":{}}],\"usage\":{\"prompt_tokens\":1}}";
    assert_int_equal(usage_chunk_is_usage_only(both, strlen(both)), 0);
}

static void prices_come_from_target_config_then_defaults(void **state)
{
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    struct config_price pr = {"my-model", 1.0, 2.0};
    cfg.prices = &pr;
    cfg.n_prices = 1;
    struct price p;
    assert_int_equal(price_find(&cfg, NULL, "my-model", "x", &p), 0);
    assert_true(p.input_per_mtok == 1.0 && p.output_per_mtok == 2.0);
    assert_int_equal(price_find(&cfg, NULL, "gpt-4o-mini-2024-07-18", NULL, &p), 0);
    assert_true(p.input_per_mtok == 0.15);
    assert_int_equal(price_find(&cfg, NULL, "openai/gpt-4o", NULL, &p), 0);
    assert_true(p.input_per_mtok == 2.50);
    assert_int_equal(price_find(&cfg, NULL, "claude-3-5-haiku-20241022", NULL, &p), 0);
    assert_true(p.output_per_mtok == 4.0);
    assert_int_equal(price_find(&cfg, NULL, "unknown-model", "also-unknown", &p), -1);
    assert_int_equal(price_find(&cfg, NULL, "unknown-model", "gemini-2.5-pro", &p), 0);
    struct config_target t;
    memset(&t, 0, sizeof(t));
    t.has_price = 1;
    t.price_in_per_mtok = 10;
    t.price_out_per_mtok = 20;
    assert_int_equal(price_find(&cfg, &t, "gpt-4o", NULL, &p), 0);
    assert_true(p.input_per_mtok == 10);
    double c = price_cost_usd(&p, 1000000, 500000);
    assert_true(c > 19.999 && c < 20.001);
}

static void keys_match_by_hash_only(void **state)
{
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    struct config_api_key keys[2];
    memset(keys, 0, sizeof(keys));
    keys[0].name = "alice";
    util_sha256("sk-alice", 8, keys[0].key_sha256);
    keys[1].name = "bob";
    assert_int_equal(util_sha256_from_hex("a2b1d6ca7a4d5e8e0c4ff4a3d6a6b0aa8b7b1b3b0e2a9e5c3c6d1f0e9a8b7c6d", keys[1].key_sha256), 0);
    cfg.api_keys = keys;
    cfg.n_api_keys = 2;
    assert_ptr_equal(auth_find_key(&cfg, "sk-alice", 8), &keys[0]);
    assert_null(auth_find_key(&cfg, "sk-alicf", 8));
    assert_null(auth_find_key(&cfg, "", 0));
    const char *tok;
    size_t n;
    auth_bearer_token("Bearer  sk-x ", 13, &tok, &n);
    assert_int_equal(n, 4);
    assert_memory_equal(tok, "sk-x", 4);
    assert_int_equal(util_sha256_from_hex("xyz", keys[1].key_sha256), -1);
    /* the admin token: only when configured */
    assert_int_equal(auth_admin_ok(&cfg, "t", 1), 0);
    cfg.has_admin_token = 1;
    util_sha256("admin-t", 7, cfg.admin_token_sha256);
    assert_int_equal(auth_admin_ok(&cfg, "admin-t", 7), 1);
    assert_int_equal(auth_admin_ok(&cfg, "admin-u", 7), 0);
}

static void query_filters_parse_and_reject(void **state)
{
    struct audit_filter f;
    char err[256];
    audit_filter_init(&f);
    const char *q = "since=2026-11-30T00%3A00%3A00Z&until=2026-12-01T00:00:00.5%2B01:00&model=gpt-4o&status=200&limit=5&key=alice";
    assert_int_equal(audit_filter_from_query(&f, q, strlen(q), err, sizeof(err)), 0);
    assert_int_equal(f.since_us, 1795996800LL * 1000000);
    assert_int_equal(f.until_us, (1796083200LL - 3600) * 1000000 + 500000);
    assert_string_equal(f.model, "gpt-4o");
    assert_string_equal(f.key, "alice");
    assert_int_equal(f.status, 200);
    assert_int_equal(f.limit, 5);
    assert_int_equal(audit_filter_from_query(&f, "limit=0", 7, err, sizeof(err)), -1);
    assert_int_equal(audit_filter_from_query(&f, "limit=1001", 10, err, sizeof(err)), -1);
    assert_int_equal(audit_filter_from_query(&f, "since=yesterday", 15, err, sizeof(err)), -1);
    assert_int_equal(audit_filter_from_query(&f, "colour=red", 10, err, sizeof(err)), -1);
    assert_int_equal(audit_filter_from_query(&f, "cursor=abc", 10, err, sizeof(err)), -1);
    char t[40];
    audit_format_rfc3339(1796083200123456LL, t);
    assert_string_equal(t, "2026-12-01T00:00:00.123456Z");
    int64_t back;
    assert_int_equal(audit_parse_rfc3339(t, &back), 0);
    assert_int_equal(back, 1796083200123456LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(record_encoding_round_trips_with_bodies),
        cmocka_unit_test(guardrails_are_owned_and_journal_compatible),
        cmocka_unit_test(ids_are_unique_and_sort_by_time),
        cmocka_unit_test(ring_is_bounded_and_fifo),
        cmocka_unit_test(ring_slot_is_filled_in_place_and_published),
        cmocka_unit_test(ring_passes_every_record_in_order_between_threads),
        cmocka_unit_test(journal_replays_and_truncates),
        cmocka_unit_test(journal_cuts_a_torn_tail_and_keeps_whole_frames),
        cmocka_unit_test(journal_stops_at_a_crc_mismatch),
        cmocka_unit_test(journal_refuses_past_its_cap),
        cmocka_unit_test(usage_is_read_from_answers_and_chunks),
        cmocka_unit_test(include_usage_is_asked_only_when_missing),
        cmocka_unit_test(usage_only_chunks_are_recognised_for_stripping),
        cmocka_unit_test(prices_come_from_target_config_then_defaults),
        cmocka_unit_test(keys_match_by_hash_only),
        cmocka_unit_test(query_filters_parse_and_reject),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
