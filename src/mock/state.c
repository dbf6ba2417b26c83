/* Process-wide mock state: the ring of the last MOCK_RECORDS request records, counters for
 * /mock/stats, and the per-key counters behind the fail_first and contents knobs.
 *
 * Every worker thread reaches this through one mutex. A request takes it twice (begin, finish);
 * uncontended that is a few tens of nanoseconds, far below the cost of the socket calls. A record
 * is found again by seq: slot = seq % MOCK_RECORDS, and a finish whose slot has been reused by a
 * newer request is dropped. Sequence numbers are never reused, not even across /mock/reset, so an
 * old in-flight request cannot update a newer record. */
#include "mock/mock.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

/* The command line's values (main.c fills them before any thread starts) and the workers' random
 * numbers live here rather than in main.c so that every file but main.c links on its own (the
 * fuzz targets link src/mock/ without main.c). */
struct mock_options mock_opts = {
    .host = "127.0.0.1",
    .port = 9000,
    .workers = 1,
    .ttft_ms = 0,
    .chunks = 5,
    .chunk_interval_ms = 0,
    .content = "Hello from warden-mock.",
    .chaos = 0,
    .seed = 1,
};

uint64_t mock_rng_next(struct mock_worker *w)
{
    /* xorshift64*: plenty for fault injection, and reproducible per --seed and worker */
    uint64_t x = w->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    w->rng = x;
    return x * 2685821657736338717ull;
}

double mock_rng_unit(struct mock_worker *w)
{
    return (double)(mock_rng_next(w) >> 11) / (double)(1ull << 53);
}

struct record {
    uint64_t seq; /* 0: empty slot */
    enum mock_path path_kind;
    char *strings; /* one allocation holding the fields below */
    const char *method, *path, *model, *body, *headers_json;
    size_t method_len, path_len, model_len, body_len, body_total, headers_json_len;
    uint64_t started_ms, finished_ms, closed_ms; /* finished/closed: 0 = not yet */
    int status;
    enum mock_outcome outcome;
};

struct counter {
    struct counter *next;
    uint64_t fail, contents;
    size_t key_len;
    char key[];
};

#define COUNTER_BUCKETS 1024
#define COUNTER_MAX 100000 /* past this many keys the table starts over, so no input grows it forever */

static const char *const outcome_names[] = {"pending", "completed", "client_closed", "aborted_by_mock", "reset", "stalled"};
static const char *const path_names[] = {"/v1/chat/completions", "/v1/embeddings", "/v1/models", "/guardrail", "other"};

static struct {
    pthread_mutex_t lock;
    uint64_t next_seq;
    struct record ring[MOCK_RECORDS];
    uint64_t requests, active, closed_by_client;
    uint64_t max_active; /* the most requests in flight at once since the start or /mock/reset */
    uint64_t by_path[MOCK_PATH_COUNT];
    uint64_t by_outcome[6];
    struct counter *buckets[COUNTER_BUCKETS];
    size_t ncounters;
} st = {.lock = PTHREAD_MUTEX_INITIALIZER};

void mock_state_init(void)
{
    st.next_seq = 1;
}

static void counters_clear(void)
{
    for (size_t i = 0; i < COUNTER_BUCKETS; i++) {
        struct counter *c = st.buckets[i];
        while (c) {
            struct counter *n = c->next;
            free(c);
            c = n;
        }
        st.buckets[i] = NULL;
    }
    st.ncounters = 0;
}

static void records_clear(void)
{
    for (size_t i = 0; i < MOCK_RECORDS; i++) {
        free(st.ring[i].strings);
        memset(&st.ring[i], 0, sizeof(st.ring[i]));
    }
}

void mock_state_free(void)
{
    pthread_mutex_lock(&st.lock);
    records_clear();
    counters_clear();
    pthread_mutex_unlock(&st.lock);
}

static const char *put(char **p, const char *s, size_t n)
{
    const char *r = *p;
    if (n)
        memcpy(*p, s, n);
    *p += n;
    return r;
}

uint64_t mock_state_begin(const struct mock_record_in *in)
{
    size_t body_len = in->body_len > MOCK_RECORD_BODY_MAX ? MOCK_RECORD_BODY_MAX : in->body_len;
    size_t total = in->method_len + in->path_len + in->model_len + body_len + in->headers_json_len;
    /* copy outside the lock; only the slot swap happens inside */
    char *strings = util_malloc(total);
    char *p = strings;
    struct record r = {0};
    r.path_kind = in->path_kind;
    r.strings = strings;
    r.method = put(&p, in->method, in->method_len);
    r.method_len = in->method_len;
    r.path = put(&p, in->path, in->path_len);
    r.path_len = in->path_len;
    r.model = in->model ? put(&p, in->model, in->model_len) : NULL;
    r.model_len = in->model_len;
    r.body = put(&p, in->body, body_len);
    r.body_len = body_len;
    r.body_total = in->body_len;
    r.headers_json = put(&p, in->headers_json, in->headers_json_len);
    r.headers_json_len = in->headers_json_len;
    r.started_ms = in->started_ms;
    r.outcome = MOCK_OUT_PENDING;

    pthread_mutex_lock(&st.lock);
    r.seq = st.next_seq++;
    struct record *slot = &st.ring[r.seq % MOCK_RECORDS];
    char *old = slot->strings;
    *slot = r;
    st.requests++;
    st.active++;
    if (st.active > st.max_active)
        st.max_active = st.active;
    st.by_path[in->path_kind]++;
    pthread_mutex_unlock(&st.lock);
    free(old);
    return r.seq;
}

void mock_state_mark(uint64_t seq, enum mock_outcome outcome, int status)
{
    pthread_mutex_lock(&st.lock);
    struct record *slot = &st.ring[seq % MOCK_RECORDS];
    if (slot->seq == seq) {
        slot->outcome = outcome;
        if (status)
            slot->status = status;
    }
    pthread_mutex_unlock(&st.lock);
}

void mock_state_finish(uint64_t seq, enum mock_outcome outcome, int status, uint64_t finished_ms, uint64_t closed_ms)
{
    pthread_mutex_lock(&st.lock);
    struct record *slot = &st.ring[seq % MOCK_RECORDS];
    if (slot->seq == seq) {
        slot->outcome = outcome;
        slot->status = status;
        slot->finished_ms = finished_ms;
        slot->closed_ms = closed_ms;
    }
    if (st.active)
        st.active--;
    st.by_outcome[outcome]++;
    if (outcome == MOCK_OUT_CLIENT_CLOSED)
        st.closed_by_client++;
    pthread_mutex_unlock(&st.lock);
}

static size_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (size_t)(h % COUNTER_BUCKETS);
}

uint64_t mock_state_counter_next(const char *key, size_t key_len, enum mock_counter which)
{
    size_t b = hash(key, key_len);
    uint64_t prev;
    pthread_mutex_lock(&st.lock);
    struct counter *c = st.buckets[b];
    while (c && !(c->key_len == key_len && memcmp(c->key, key, key_len) == 0))
        c = c->next;
    if (!c) {
        if (st.ncounters >= COUNTER_MAX)
            counters_clear();
        c = util_calloc(1, sizeof(*c) + key_len + 1);
        memcpy(c->key, key, key_len);
        c->key_len = key_len;
        c->next = st.buckets[b];
        st.buckets[b] = c;
        st.ncounters++;
    }
    uint64_t *v = which == MOCK_COUNTER_FAIL ? &c->fail : &c->contents;
    prev = (*v)++;
    pthread_mutex_unlock(&st.lock);
    return prev;
}

void mock_state_reset(void)
{
    pthread_mutex_lock(&st.lock);
    records_clear();
    counters_clear();
    st.requests = 0;
    st.closed_by_client = 0;
    memset(st.by_path, 0, sizeof(st.by_path));
    memset(st.by_outcome, 0, sizeof(st.by_outcome));
    /* active is left alone: it counts requests still in flight, which will finish later */
    st.max_active = st.active;
    pthread_mutex_unlock(&st.lock);
}

void mock_state_stats_json(struct util_buf *out)
{
    pthread_mutex_lock(&st.lock);
    MOCK_LIT(out, "{\"requests\":");
    mock_json_u64(out, st.requests);
    MOCK_LIT(out, ",\"active\":");
    mock_json_u64(out, st.active);
    MOCK_LIT(out, ",\"max_active\":");
    mock_json_u64(out, st.max_active);
    MOCK_LIT(out, ",\"closed_by_client\":");
    mock_json_u64(out, st.closed_by_client);
    MOCK_LIT(out, ",\"by_path\":{");
    for (int i = 0; i < MOCK_PATH_COUNT; i++) {
        if (i)
            MOCK_LIT(out, ",");
        mock_json_str(out, path_names[i], strlen(path_names[i]));
        MOCK_LIT(out, ":");
        mock_json_u64(out, st.by_path[i]);
    }
    MOCK_LIT(out, "},\"by_outcome\":{");
    for (int i = 1; i < 6; i++) {
        if (i > 1)
            MOCK_LIT(out, ",");
        mock_json_str(out, outcome_names[i], strlen(outcome_names[i]));
        MOCK_LIT(out, ":");
        mock_json_u64(out, st.by_outcome[i]);
    }
    MOCK_LIT(out, "}}");
    pthread_mutex_unlock(&st.lock);
}

static void record_json(struct util_buf *out, const struct record *r)
{
    MOCK_LIT(out, "{\"seq\":");
    mock_json_u64(out, r->seq);
    MOCK_LIT(out, ",\"method\":");
    mock_json_str(out, r->method, r->method_len);
    MOCK_LIT(out, ",\"path\":");
    mock_json_str(out, r->path, r->path_len);
    MOCK_LIT(out, ",\"model\":");
    if (r->model)
        mock_json_str(out, r->model, r->model_len);
    else
        MOCK_LIT(out, "null");
    MOCK_LIT(out, ",\"body\":");
    mock_json_str(out, r->body, r->body_len);
    MOCK_LIT(out, ",\"body_bytes\":");
    mock_json_u64(out, r->body_total);
    MOCK_LIT(out, ",\"body_truncated\":");
    mock_json_lit(out, r->body_total > r->body_len ? "true" : "false");
    MOCK_LIT(out, ",\"headers\":");
    util_buf_append(out, r->headers_json, r->headers_json_len);
    MOCK_LIT(out, ",\"started_ms\":");
    mock_json_u64(out, r->started_ms);
    MOCK_LIT(out, ",\"finished_ms\":");
    if (r->finished_ms)
        mock_json_u64(out, r->finished_ms);
    else
        MOCK_LIT(out, "null");
    MOCK_LIT(out, ",\"status\":");
    if (r->status)
        mock_json_i64(out, r->status);
    else
        MOCK_LIT(out, "null");
    MOCK_LIT(out, ",\"outcome\":");
    mock_json_str(out, outcome_names[r->outcome], strlen(outcome_names[r->outcome]));
    MOCK_LIT(out, ",\"closed_ms\":");
    if (r->closed_ms)
        mock_json_u64(out, r->closed_ms);
    else
        MOCK_LIT(out, "null");
    MOCK_LIT(out, "}");
}

void mock_state_requests_json(struct util_buf *out, size_t limit)
{
    pthread_mutex_lock(&st.lock);
    if (limit > MOCK_RECORDS)
        limit = MOCK_RECORDS;
    /* oldest first, so that .requests[-1] is the newest */
    uint64_t last = st.next_seq - 1;
    uint64_t first = last >= limit ? last - limit + 1 : 1;
    size_t n = 0;
    MOCK_LIT(out, "{\"requests\":[");
    for (uint64_t s = first; s <= last && s > 0; s++) {
        const struct record *r = &st.ring[s % MOCK_RECORDS];
        if (r->seq != s)
            continue; /* cleared by /mock/reset */
        if (n++)
            MOCK_LIT(out, ",");
        record_json(out, r);
    }
    MOCK_LIT(out, "],\"count\":");
    mock_json_u64(out, n);
    MOCK_LIT(out, "}");
    pthread_mutex_unlock(&st.lock);
}
