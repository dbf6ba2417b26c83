/* Built-in check benchmarks (bench/micro.sh runs it):
 *
 *   (1 and 2 report CPU time of the thread, CLOCK_THREAD_CPUTIME_ID: on this shared
 *   2-core machine wall time mostly measures the other tenants.)
 *   1. prompt_injection: start-up cost (CPU ms to compile its patterns and build its lexicon);
 *      a 4 KB English prompt that passes: us per scan and MB/s; the same prompt with one
 *      Cyrillic letter (the normalisation path); 4 KB of ordinary text full of anchor words.
 *   2. classifier inference on 1 KB: us per text.
 *   3. event-loop lag while the worker pool is saturated with classifier jobs
 *      (through the engine, as requests run them): a uv timer armed for 1 ms records
 *      how late its callback runs: callback time (uv_hrtime) - libuv's due time
 *      (the loop time in ms at arming + 1 ms). libuv keeps loop time in whole ms and
 *      epoll waits in whole ms, so even an idle loop shows up to ~1 ms here; the
 *      same measurement without load is printed first as the baseline.
 *      Bounded: LAG_SECONDS seconds and LAG_MAX_JOBS jobs.
 *
 * Usage: builtin_bench MODEL [iterations] (prompt_injection: best of ROUNDS rounds of iterations/ROUNDS) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "config/config.h"
#include "guard/classifier.h"
#include "guard/engine.h"
#include "guard/injection.h"
#include "metrics/metrics.h"
#include "util/clock.h"

#define LAG_SECONDS 3
#define LAG_MAX_JOBS 2000000
#define LAG_INFLIGHT 16 /* classifier runs kept outstanding: 4x the pool threads, so the pool never idles */

#include "prompt.h"

/* CPU time of this thread: on a shared machine wall time mostly measures the other tenants. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define ROUNDS 5 /* the prompt_injection timings: best of ROUNDS rounds of iterations/ROUNDS scans */

/* CPU us per scan of text[0..len), best of ROUNDS rounds: on a shared machine the other
 * tenants only ever add time. */
static double injection_us(const struct guard_injection *inj, struct guard_injection_scratch *sc, const char *text, size_t len,
                           long iters, struct guard_injection_result *r)
{
    long per = iters / ROUNDS > 0 ? iters / ROUNDS : 1;
    double best = 0;
    for (int k = 0; k < ROUNDS; k++) {
        uint64_t t0 = cpu_ns();
        for (long i = 0; i < per; i++)
            guard_injection_check(inj, sc, text, len, r);
        double us = (double)(cpu_ns() - t0) / 1000.0 / (double)per;
        if (k == 0 || us < best)
            best = us;
    }
    return best;
}

static void fill(char *buf, size_t n)
{
    size_t pl = strlen(bench_paragraph);
    for (size_t i = 0; i < n; i++)
        buf[i] = bench_paragraph[i % pl];
}

/* ---- event-loop lag ---- */

struct lag_state {
    uv_loop_t *loop;
    struct guard_env *env;
    const struct config_guardrail *g;
    const char *text;
    size_t len;
    uint64_t due_ms; /* libuv's due time of the armed timer */
    double *lags;
    size_t n_lags, cap_lags;
    size_t started, done, inflight;
    uint64_t end_ns;
    int stopping;
    uv_timer_t timer;
};

static void start_job(struct lag_state *st);

static void on_verdict(void *ud, struct guard_verdict *v)
{
    struct lag_state *st = ud;
    st->done++;
    st->inflight--;
    if (!st->stopping)
        start_job(st);
}

static void start_job(struct lag_state *st)
{
    if (st->started >= LAG_MAX_JOBS)
        return;
    struct guard_subject s = {.stage = CONFIG_STAGE_INPUT, .texts = &st->text, .lens = &st->len, .n = 1, .n_messages = 1};
    st->started++;
    st->inflight++;
    guard_run_start(st->env, st->g, &s, on_verdict, st);
}

static void on_tick(uv_timer_t *t);

static void arm(struct lag_state *st)
{
    uv_update_time(st->loop);
    st->due_ms = uv_now(st->loop) + 1;
    uv_timer_start(&st->timer, on_tick, 1, 0);
}

static void on_tick(uv_timer_t *t)
{
    struct lag_state *st = t->data;
    double late_us = (double)uv_hrtime() / 1000.0 - (double)st->due_ms * 1000.0;
    if (st->n_lags < st->cap_lags)
        st->lags[st->n_lags++] = late_us;
    if (util_now_ns() >= st->end_ns) {
        st->stopping = 1;
        uv_timer_stop(t);
        uv_close((uv_handle_t *)t, NULL);
        return;
    }
    arm(st);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int lag_bench(const char *model, int inflight)
{
    char yaml[8192], err[1024];
    snprintf(yaml, sizeof(yaml),
             "providers:\n  - {name: p, type: openai, base_url: \"http://127.0.0.1:1/v1\"}\n"
             "models:\n  - {name: m, targets: [{provider: p, model: x}]}\n"
             "guardrails:\n  - {name: tox, type: classifier, model: \"%s\", timeout_ms: 10000}\n",
             model);
    struct config *cfg = config_load_string(yaml, strlen(yaml), "bench.yaml", err, sizeof(err));
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct guard_shared *gs = guard_shared_create(cfg, err, sizeof(err));
    if (!gs) {
        fprintf(stderr, "%s\n", err);
        config_free(cfg);
        return 1;
    }
    struct metrics *m = metrics_create(cfg);
    uv_loop_t loop;
    uv_loop_init(&loop);
    static char text[1024];
    fill(text, sizeof(text));
    struct lag_state st = {0};
    st.loop = &loop;
    st.env = guard_env_create(gs, &loop, NULL, m);
    st.g = config_find_guardrail(cfg, "tox");
    st.text = text;
    st.len = sizeof(text);
    st.cap_lags = LAG_SECONDS * 2000;
    st.lags = calloc(st.cap_lags, sizeof(double));
    uint64_t t0 = util_now_ns();
    st.end_ns = t0 + (uint64_t)LAG_SECONDS * 1000000000u;
    for (int i = 0; i < inflight; i++)
        start_job(&st);
    uv_timer_init(&loop, &st.timer);
    st.timer.data = &st;
    arm(&st);
    uv_run(&loop, UV_RUN_DEFAULT);
    double secs = (double)(util_now_ns() - t0) / 1e9;
    qsort(st.lags, st.n_lags, sizeof(double), cmp_double);
    double p50 = st.lags[st.n_lags / 2], p99 = st.lags[(size_t)((double)st.n_lags * 0.99)], mx = st.lags[st.n_lags - 1];
    const char *threads = getenv("UV_THREADPOOL_SIZE");
    if (inflight == 0)
        printf("event-loop lag, idle loop (baseline, %.1f s):\n", secs);
    else
        printf("event-loop lag, pool saturated (%s threads, %d runs in flight, %zu classifier jobs of 1 KB in %.1f s, "
               "%.0f jobs/s):\n",
               threads ? threads : "4", inflight, st.done, secs, (double)st.done / secs);
    printf("  timer lateness over %zu ticks: p50 %.0f us, p99 %.0f us, max %.0f us\n", st.n_lags, p50, p99, mx);
    guard_env_destroy(st.env);
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_loop_close(&loop);
    metrics_destroy(m);
    guard_shared_destroy(gs);
    config_free(cfg);
    free(st.lags);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: builtin_bench MODEL [iterations]\n");
        return 2;
    }
    long iters = argc > 2 ? atol(argv[2]) : 20000;
    char err[512];

    uint64_t c0 = cpu_ns();
    struct guard_injection *inj = guard_injection_create(err, sizeof(err));
    if (!inj) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("prompt_injection start-up (patterns compiled or read from hs-cache/, lexicon built): %.1f ms CPU\n", (double)(cpu_ns() - c0) / 1e6);
    struct guard_injection_scratch *sc = guard_injection_scratch_new(inj);
    static char prompt[4096];
    fill(prompt, sizeof(prompt));
    struct guard_injection_result r;
    double sink = 0;
    double us = injection_us(inj, sc, prompt, sizeof(prompt), iters, &r);
    printf("prompt_injection, 4096-byte prompt (pass, score %.2f): %.2f us/scan (best of %d rounds), %.0f MB/s\n", r.score, us,
           ROUNDS, 4096.0 / us);
    memcpy(prompt + 100, "\xd0\xb0", 2); /* one Cyrillic letter: the normalisation path */
    us = injection_us(inj, sc, prompt, sizeof(prompt), iters, &r);
    printf("prompt_injection, 4096-byte prompt with non-ASCII (normalised): %.2f us/scan, %.0f MB/s\n", us, 4096.0 / us);
    /* ordinary text full of anchor words (rules, instructions, ignore, previous): the
     * patterns then run on windows that cover most of the text */
    static const char talk[] = "Please review the following onboarding text and apply our style guide rules: keep the "
                               "previous formatting, ignore typos in code comments, and rewrite the instructions for new "
                               "hires so that the restrictions on remote access are clear. ";
    for (size_t i = 0; i < sizeof(prompt); i++)
        prompt[i] = talk[i % (sizeof(talk) - 1)];
    us = injection_us(inj, sc, prompt, sizeof(prompt), iters, &r);
    printf("prompt_injection, 4096-byte prompt that talks about rules (score %.2f): %.2f us/scan, %.0f MB/s\n", r.score, us,
           4096.0 / us);
    guard_injection_scratch_free(sc);
    guard_injection_free(inj);

    struct guard_classifier *m = guard_classifier_load(argv[1], err, sizeof(err));
    if (!m) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    static char text[4096];
    fill(text, sizeof(text));
    static const size_t sizes[] = {1024, 4096}; /* 4 KB: a prompt_injection check's prompt */
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        uint64_t t0 = cpu_ns();
        for (long i = 0; i < iters; i++)
            sink += guard_classifier_predict(m, text, sizes[s]);
        us = (double)(cpu_ns() - t0) / 1000.0 / (double)iters;
        printf("classifier inference, %zu-byte text: %.2f us/text (%.2f us/KB)\n", sizes[s], us, us * 1024.0 / (double)sizes[s]);
    }
    guard_classifier_free(m);
    if (sink < 0)
        printf("%f\n", sink);
    return lag_bench(argv[1], 0) || lag_bench(argv[1], LAG_INFLIGHT);
}
