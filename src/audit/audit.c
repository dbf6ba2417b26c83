/* The audit writer thread; see audit.h for the design. */
#include "audit/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/journal.h"
#include "audit/ring.h"
#include "audit/sink.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define MAINTAIN_EVERY_MS 10000
#define ACCEPT_AGAIN_RATIO 0.9 /* refuse mode ends when the journal is below this share of its cap */
/* refuse mode starts at this share, before the journal is full: the records of the
 * requests already admitted (in flight, in the rings) still fit in the rest */
#define REFUSE_RATIO 0.95

struct audit_worker {
    struct audit *a;
    struct audit_ring *ring;
    _Alignas(64) uint64_t submitted; /* written by this worker only: no shared line on the hot path */
    uint64_t queued_bytes;           /* encoded size bound of the records it pushed (this worker only) */
    uint64_t open_requests;          /* admitted, record not made yet (this worker only) */
    struct audit_record *slot;       /* the ring slot audit_record_begin gave out, or NULL */
    struct audit_record spare;       /* what it gives out when the ring is full */
    _Alignas(64) uint64_t taken_bytes; /* encoded size of those the writer stored (the writer only) */
    uint64_t taking_bytes;             /* popped into the writer's batch, not stored yet (the writer only) */
};

struct audit {
    const struct config_audit *cfg;
    struct audit_sink *sink;
    struct audit_journal *journal;
    struct audit_worker *workers;
    int n_workers;
    pthread_t thread;
    int started;
    int stop;          /* atomic: audit_stop asked the thread to drain and leave */
    int accepting;     /* atomic: 0 while refusing (overflow: refuse, journal full) */
    struct audit_record *batch; /* the writer's batch buffer (batch_max) */
    size_t batch_max;

    /* writer-thread state */
    uint64_t sink_writes; /* batches the sink took (read after the thread is joined) */
    int sink_up;
    uint64_t next_connect_ms, backoff_ms, next_maintain_ms;

    int journal_lock; /* fd holding flock(LOCK_EX) on the journal file: one process a journal */
    uint64_t journal_bytes; /* atomic: the journal's size after the last append or replay */
    uint64_t reserve_bytes; /* the most one record can take in the journal (refuse mode's reservation) */

    /* counters (atomics) */
    uint64_t written, journaled, replayed, dropped, sink_errors;
};

static void count(uint64_t *c, uint64_t n)
{
    __atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static void free_records(struct audit_record *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        audit_record_free(&r[i]);
}

/* The journal is full (or the disk): apply the overflow policy to n records that fit nowhere. */
static void overflow(struct audit *a, size_t n)
{
    count(&a->dropped, n);
    if (a->cfg->overflow == CONFIG_AUDIT_REFUSE && __atomic_exchange_n(&a->accepting, 0, __ATOMIC_RELAXED))
        LOG_ERROR("audit", "journal full (%lu MB): refusing new requests until the sink catches up", a->cfg->journal_max_mb);
    else if (a->cfg->overflow == CONFIG_AUDIT_DROP)
        LOG_DEBUG("audit", "journal full: dropped %zu records", n);
}

static void note_journal_size(struct audit *a)
{
    struct audit_journal_stats st;
    audit_journal_get_stats(a->journal, &st);
    __atomic_store_n(&a->journal_bytes, st.bytes, __ATOMIC_RELAXED);
}

static void refuse_if_nearly_full(struct audit *a)
{
    if (a->cfg->overflow != CONFIG_AUDIT_REFUSE || !__atomic_load_n(&a->accepting, __ATOMIC_RELAXED))
        return;
    struct audit_journal_stats st;
    audit_journal_get_stats(a->journal, &st);
    if ((double)st.bytes >= REFUSE_RATIO * (double)a->cfg->journal_max_mb * 1048576.0 &&
        __atomic_exchange_n(&a->accepting, 0, __ATOMIC_RELAXED))
        LOG_ERROR("audit", "journal nearly full (%lu MB): refusing new requests until the sink catches up",
                  a->cfg->journal_max_mb);
}

/* n records to the journal. A batch larger than the room left is not refused whole: the
 * records that fit go in, in order, and only the rest overflow. */
static int journal_put(struct audit *a, const struct audit_record *r, size_t n)
{
    int rc = audit_journal_append(a->journal, r, n);
    size_t done = rc == 0 ? n : 0;
    for (; rc == WARDEN_ETOOBIG && n > 1 && done < n; done++) {
        if (audit_journal_append(a->journal, r + done, 1) != 0)
            break;
    }
    if (done > 0)
        count(&a->journaled, done);
    note_journal_size(a);
    refuse_if_nearly_full(a);
    if (done == n)
        return 0;
    if (rc != WARDEN_ETOOBIG)
        LOG_ERROR("audit", "journal append failed: %s", strerror(errno));
    overflow(a, n - done);
    return rc != 0 ? rc : WARDEN_ETOOBIG;
}

struct audit_record *audit_record_begin(struct audit_worker *w)
{
    w->slot = audit_ring_slot(w->ring);
    return w->slot != NULL ? w->slot : &w->spare;
}

void audit_submit(struct audit_worker *w, struct audit_record *r)
{
    struct audit *a = w->a;
    __atomic_store_n(&w->submitted, w->submitted + 1, __ATOMIC_RELAXED);
    size_t bytes = audit_record_encoded_bound(r);
    if (r == w->slot) { /* made in place */
        w->slot = NULL;
        audit_ring_publish(w->ring);
        __atomic_store_n(&w->queued_bytes, w->queued_bytes + bytes, __ATOMIC_RELAXED);
        return;
    }
    if (audit_ring_push(w->ring, r) == 0) {
        __atomic_store_n(&w->queued_bytes, w->queued_bytes + bytes, __ATOMIC_RELAXED);
        return;
    }
    /* the writer is behind: keep the record in the journal rather than lose it */
    journal_put(a, r, 1);
    audit_record_free(r);
}

/* overflow: refuse promises that no admitted request loses its record, but a sink
 * that went down (or a writer blocked in it) leaves records in the rings that may all
 * have to go to the journal: the bytes queued there count against its room as well. */
int audit_accepting(const struct audit_worker *w)
{
    if (w == NULL)
        return 1;
    const struct audit *a = w->a;
    if (!__atomic_load_n(&a->accepting, __ATOMIC_RELAXED))
        return 0;
    if (a->cfg->overflow != CONFIG_AUDIT_REFUSE)
        return 1;
    uint64_t queued = 0;
    for (int i = 0; i < a->n_workers; i++)
        queued += __atomic_load_n(&a->workers[i].queued_bytes, __ATOMIC_RELAXED) -
                  __atomic_load_n(&a->workers[i].taken_bytes, __ATOMIC_RELAXED);
    uint64_t open = 0;
    for (int i = 0; i < a->n_workers; i++)
        open += __atomic_load_n(&a->workers[i].open_requests, __ATOMIC_RELAXED);
    uint64_t used = __atomic_load_n(&a->journal_bytes, __ATOMIC_RELAXED) + queued + open * a->reserve_bytes;
    return (double)used < REFUSE_RATIO * (double)a->cfg->journal_max_mb * 1048576.0;
}

/* Requests in flight have no record yet, and each will make one: under overflow: refuse
 * each reserves the most a record can take until audit_release (its record is made). */
int audit_admit(struct audit_worker *w)
{
    if (w == NULL)
        return 1;
    if (!audit_accepting(w))
        return 0;
    __atomic_store_n(&w->open_requests, w->open_requests + 1, __ATOMIC_RELAXED);
    return 1;
}

void audit_release(struct audit_worker *w)
{
    if (w != NULL && w->open_requests > 0)
        __atomic_store_n(&w->open_requests, w->open_requests - 1, __ATOMIC_RELAXED);
}

const struct config_audit *audit_worker_config(const struct audit_worker *w)
{
    return w->a->cfg;
}

/* ---- writer thread ---- */

static void sink_down(struct audit *a, const char *why)
{
    if (a->sink_up)
        LOG_WARN("audit", "%s sink down: %s (records go to the journal; retrying)", a->sink->ops->name, why);
    __atomic_store_n(&a->sink_up, 0, __ATOMIC_RELAXED);
    count(&a->sink_errors, 1);
    if (a->backoff_ms == 0)
        a->backoff_ms = BACKOFF_MIN_MS;
    else if ((a->backoff_ms *= 2) > BACKOFF_MAX_MS)
        a->backoff_ms = BACKOFF_MAX_MS;
    a->next_connect_ms = util_now_ms() + a->backoff_ms;
}

static void try_connect(struct audit *a)
{
    if (a->sink_up || util_now_ms() < a->next_connect_ms)
        return;
    char err[512];
    if (audit_sink_connect(a->sink, err, sizeof(err)) != 0) {
        sink_down(a, err);
        return;
    }
    if (a->backoff_ms != 0)
        LOG_INFO("audit", "%s sink is back", a->sink->ops->name);
    __atomic_store_n(&a->sink_up, 1, __ATOMIC_RELAXED);
    a->backoff_ms = 0;
}

static size_t collect(struct audit *a)
{
    size_t n = 0;
    for (int i = 0; i < a->n_workers && n < a->batch_max; i++) {
        size_t first = n;
        n += audit_ring_pop(a->workers[i].ring, a->batch + n, a->batch_max - n);
        for (size_t k = first; k < n; k++)
            a->workers[i].taking_bytes += audit_record_encoded_bound(&a->batch[k]);
    }
    return n;
}

/* The batch is stored (sink or journal): its records stop counting as queued. Until
 * then they do, so a writer blocked in the sink does not make room that is not there. */
static void batch_stored(struct audit *a)
{
    for (int i = 0; i < a->n_workers; i++) {
        struct audit_worker *w = &a->workers[i];
        if (w->taking_bytes > 0)
            __atomic_store_n(&w->taken_bytes, w->taken_bytes + w->taking_bytes, __ATOMIC_RELAXED);
        w->taking_bytes = 0;
    }
}

/* A batch from the rings: to the sink, else to the journal (synced). */
static void store_batch(struct audit *a, size_t n, int journal_only)
{
    char err[512];
    if (!journal_only && a->sink_up) {
        if (audit_sink_write(a->sink, a->batch, n, err, sizeof(err)) == 0) {
            a->sink_writes++;
            count(&a->written, n);
            free_records(a->batch, n);
            return;
        }
        sink_down(a, err);
    }
    journal_put(a, a->batch, n);
    audit_journal_sync(a->journal); /* what went in, also when the rest overflowed */
    free_records(a->batch, n);
}

/* One replay step: up to batch_max journal records into the sink. Returns how many. */
static size_t replay_step(struct audit *a)
{
    if (!a->sink_up)
        return 0;
    size_t n = audit_journal_read(a->journal, a->batch, a->batch_max);
    if (n == 0)
        return 0;
    char err[512];
    int rc = audit_sink_write(a->sink, a->batch, n, err, sizeof(err));
    free_records(a->batch, n);
    if (rc != 0) {
        audit_journal_unread(a->journal);
        sink_down(a, err);
        return 0;
    }
    a->sink_writes++;
    audit_journal_consumed(a->journal);
    note_journal_size(a);
    count(&a->written, n);
    count(&a->replayed, n);
    return n;
}

static void maybe_accept_again(struct audit *a)
{
    if (__atomic_load_n(&a->accepting, __ATOMIC_RELAXED))
        return;
    struct audit_journal_stats st;
    audit_journal_get_stats(a->journal, &st);
    if ((double)st.bytes < ACCEPT_AGAIN_RATIO * (double)a->cfg->journal_max_mb * 1048576.0) {
        __atomic_store_n(&a->accepting, 1, __ATOMIC_RELAXED);
        LOG_INFO("audit", "journal has room again: accepting requests");
    }
}

static void maintain(struct audit *a)
{
    uint64_t now = util_now_ms();
    if (!a->sink_up || now < a->next_maintain_ms)
        return;
    char err[512];
    int rc = audit_sink_maintain(a->sink, audit_now_us(), err, sizeof(err));
    if (rc < 0)
        sink_down(a, err);
    /* more to delete: come back soon, between batches, rather than loop here */
    a->next_maintain_ms = now + (rc == 1 ? 50 : MAINTAIN_EVERY_MS);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Sleeps what is left of flush_ms since tick_ns (a tick that took longer does not sleep). */
static void sleep_rest_of_tick(uint64_t tick_ns, int flush_ms)
{
    uint64_t spent = util_now_ns() - tick_ns, tick = (uint64_t)flush_ms * 1000000u;
    if (spent >= tick)
        return;
    struct timespec ts = {(time_t)((tick - spent) / 1000000000u), (long)((tick - spent) % 1000000000u)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* A batch goes to the sink when it is full (batch_max) or flush_ms after the previous one,
 * whichever comes first. Taking whatever arrived during the previous commit instead made
 * batches of a few records under load, and a commit (the WAL frames of every page it
 * touched, a write) costs as much as dozens of inserts: 20.9k instructions a record in
 * the writer against 11.7k in batches of 64. A record waits at most flush_ms plus one
 * commit in its ring, which is what a kill -9 can lose. */
static void *writer_main(void *arg)
{
    struct audit *a = arg;
    uint64_t deadline = 0;
    for (;;) {
        uint64_t tick_ns = util_now_ns();
        int stopping = __atomic_load_n(&a->stop, __ATOMIC_ACQUIRE);
        if (stopping && deadline == 0)
            deadline = util_now_ms() + (uint64_t)a->cfg->drain_ms;
        /* past the drain deadline the queues go to the journal only: it is local and fast */
        int journal_only = stopping && util_now_ms() >= deadline;
        if (!journal_only)
            try_connect(a);
        size_t n = collect(a);
        if (n > 0)
            store_batch(a, n, journal_only);
        batch_stored(a);
        size_t replayed = journal_only ? 0 : replay_step(a);
        maybe_accept_again(a);
        maintain(a);
        if (stopping && n == 0)
            break; /* rings empty (the workers are gone): the drain phase follows */
        /* a full batch or a journal replay has more behind it; a stop drains without waiting */
        if (n < a->batch_max && replayed == 0 && !stopping)
            sleep_rest_of_tick(tick_ns, a->cfg->flush_ms);
    }
    /* drain: replay the journal until it is empty or the deadline passes */
    for (;;) {
        struct audit_journal_stats st;
        audit_journal_get_stats(a->journal, &st);
        if (st.pending_bytes == 0 || util_now_ms() >= deadline)
            break;
        try_connect(a);
        if (replay_step(a) == 0)
            sleep_ms(a->sink_up ? 1 : 20);
    }
    audit_journal_sync(a->journal);
    return NULL;
}

/* ---- life cycle ---- */

/* The journal is one process's: two processes on one file (two Wardens on one store, with the
 * default journal path) appended and truncated it under each other, and opening cut the
 * other's frames as torn: records were lost (test_audit_attack.sh). The file is locked for
 * as long as the audit lives; a second process waits out a predecessor's drain (a restart
 * that overlaps), then fails with a message that says what to change. Returns the fd or -1. */
static int lock_journal(const struct config_audit *cfg, char *err, size_t errsz)
{
    int fd = open(cfg->journal_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        util_set_err(err, errsz, "audit journal %s: %s", cfg->journal_path, strerror(errno));
        return -1;
    }
    /* a predecessor's stop: its requests (drain time), then its writer's drain (drain_ms,
     * after a sink call that may wait out SQLite's 2 s busy time-out) */
    uint64_t drain = (uint64_t)(cfg->drain_ms > 0 ? cfg->drain_ms : 0);
    uint64_t give_up = util_now_ms() + 2 * drain + 3000;
    int waited = 0;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if ((errno != EWOULDBLOCK && errno != EINTR) || util_now_ms() >= give_up) {
            util_set_err(err, errsz,
                         "audit journal %s is in use by another Warden process: give each process its own "
                         "audit.journal (they may share the store)",
                         cfg->journal_path);
            close(fd);
            return -1;
        }
        if (!waited++)
            LOG_WARN("audit", "journal %s is locked by another process: waiting up to %llu ms for it to stop",
                     cfg->journal_path, (unsigned long long)(give_up - util_now_ms()));
        sleep_ms(50);
    }
    return fd;
}

struct audit *audit_create_with_sink(const struct config_audit *cfg, struct audit_sink *sink_take, int n_workers, char *err,
                                     size_t errsz)
{
    struct audit *a = util_calloc(1, sizeof(*a));
    a->cfg = cfg;
    a->sink = sink_take;
    a->accepting = 1;
    a->journal_lock = -1;
    /* before the journal is opened: opening checks its frames and cuts a torn tail */
    a->journal_lock = lock_journal(cfg, err, errsz);
    if (a->journal_lock < 0) {
        audit_destroy(a);
        return NULL;
    }
    a->journal = audit_journal_open(cfg->journal_path, (uint64_t)cfg->journal_max_mb << 20, err, errsz);
    if (a->journal == NULL) {
        audit_destroy(a);
        return NULL;
    }
    note_journal_size(a);
    struct audit_journal_stats st;
    audit_journal_get_stats(a->journal, &st);
    if (st.recovered)
        LOG_INFO("audit", "journal %s holds %llu records from an earlier run; replaying them", cfg->journal_path,
                 (unsigned long long)st.recovered);
    a->n_workers = n_workers;
    if (posix_memalign((void **)&a->workers, 64, (size_t)n_workers * sizeof(*a->workers)) != 0)
        abort();
    memset(a->workers, 0, (size_t)n_workers * sizeof(*a->workers));
    for (int i = 0; i < n_workers; i++) {
        a->workers[i].a = a;
        a->workers[i].ring = audit_ring_create((size_t)cfg->queue_size);
    }
    a->reserve_bytes = sizeof(struct audit_record) + AUDIT_GUARDRAILS_MAX + 2 * (uint64_t)cfg->body_max_bytes;
    a->batch_max = (size_t)cfg->batch_max;
    a->batch = util_calloc(a->batch_max, sizeof(*a->batch));
    a->next_maintain_ms = util_now_ms() + 1000;
    return a;
}

struct audit *audit_create(const struct config *cfg, int n_workers, char *err, size_t errsz)
{
    if (err && errsz)
        err[0] = '\0';
    struct audit_sink *sink = audit_sink_create(&cfg->audit);
    if (sink == NULL)
        return NULL;
    struct audit *a = audit_create_with_sink(&cfg->audit, sink, n_workers, err, errsz);
    int bodies = cfg->audit.bodies;
    for (size_t i = 0; i < cfg->n_models && !bodies; i++)
        bodies = cfg->models[i].audit_bodies > 0;
    if (a != NULL && !bodies)
        a->reserve_bytes = sizeof(struct audit_record) + AUDIT_GUARDRAILS_MAX; /* no record carries bodies */
    return a;
}

int audit_start(struct audit *a)
{
    try_connect(a); /* a sink that is down at start-up is retried by the thread */
    if (pthread_create(&a->thread, NULL, writer_main, a) != 0)
        return WARDEN_EIO;
    pthread_setname_np(a->thread, "warden-audit"); /* its CPU time apart in top and /proc (bench/run.sh) */
    a->started = 1;
    return 0;
}

struct audit_worker *audit_worker_get(struct audit *a, int i)
{
    return a != NULL && i >= 0 && i < a->n_workers ? &a->workers[i] : NULL;
}

void audit_stop(struct audit *a)
{
    if (a == NULL || !a->started)
        return;
    __atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
    pthread_join(a->thread, NULL);
    a->started = 0;
    struct audit_stats st;
    audit_get_stats(a, &st);
    LOG_INFO("audit",
             "stopped: %llu records written in %llu transactions, %llu replayed, %llu dropped, %llu bytes left in the journal",
             (unsigned long long)st.written, (unsigned long long)a->sink_writes, (unsigned long long)st.replayed,
             (unsigned long long)st.dropped, (unsigned long long)st.journal_bytes);
}

void audit_destroy(struct audit *a)
{
    if (a == NULL)
        return;
    audit_stop(a);
    /* records still in a ring (stop was never called, or a start failure) go to the journal */
    for (int i = 0; i < a->n_workers; i++) {
        size_t n;
        while (a->batch != NULL && (n = audit_ring_pop(a->workers[i].ring, a->batch, a->batch_max)) > 0) {
            journal_put(a, a->batch, n);
            free_records(a->batch, n);
        }
        audit_ring_destroy(a->workers[i].ring);
    }
    free(a->workers);
    free(a->batch);
    audit_journal_close(a->journal);
    if (a->journal_lock >= 0)
        close(a->journal_lock); /* the lock goes with it */
    audit_sink_destroy(a->sink);
    free(a);
}

void audit_get_stats(struct audit *a, struct audit_stats *st)
{
    memset(st, 0, sizeof(*st));
    for (int i = 0; i < a->n_workers; i++)
        st->submitted += __atomic_load_n(&a->workers[i].submitted, __ATOMIC_RELAXED);
    st->written = __atomic_load_n(&a->written, __ATOMIC_RELAXED);
    st->journaled = __atomic_load_n(&a->journaled, __ATOMIC_RELAXED);
    st->replayed = __atomic_load_n(&a->replayed, __ATOMIC_RELAXED);
    st->dropped = __atomic_load_n(&a->dropped, __ATOMIC_RELAXED);
    st->sink_errors = __atomic_load_n(&a->sink_errors, __ATOMIC_RELAXED);
    st->sink_up = __atomic_load_n(&a->sink_up, __ATOMIC_RELAXED);
    struct audit_journal_stats js;
    audit_journal_get_stats(a->journal, &js);
    st->journal_bytes = js.bytes;
}
