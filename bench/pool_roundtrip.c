/* What a model check pays before and after its inference: libuv's thread pool, woken from idle.
 * A loop queues an empty job every millisecond (as sequential requests would, each after an idle
 * gap) and times it from uv_queue_work to the job's start on a pool thread, and to its after_work
 * callback back on the loop. Bounded: `rounds` jobs (default 2000), one at a time.
 *
 * Build and run from the repo root (bench/micro.sh does it):
 *   cc -O2 bench/pool_roundtrip.c -luv -o build/pool_roundtrip && build/pool_roundtrip [rounds] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uv.h>

#define ROUNDS_MAX 100000

struct roundtrip {
    uv_loop_t *loop;
    uv_timer_t gap;
    uv_work_t job;
    uint64_t queued_ns, started_ns;
    uint64_t *to_start, *to_back; /* per round, ns */
    int done, rounds;
};

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void on_job(uv_work_t *w)
{
    struct roundtrip *rt = w->data;
    rt->started_ns = now_ns(); /* read by the loop only after after_work: libuv orders the two */
}

static void on_gap(uv_timer_t *t);

static void on_job_done(uv_work_t *w, int status)
{
    struct roundtrip *rt = w->data;
    uint64_t back = now_ns();
    rt->to_start[rt->done] = rt->started_ns - rt->queued_ns;
    rt->to_back[rt->done] = back - rt->queued_ns;
    if (status == 0 && ++rt->done < rt->rounds)
        uv_timer_start(&rt->gap, on_gap, 1, 0);
}

static void on_gap(uv_timer_t *t)
{
    struct roundtrip *rt = t->data;
    rt->job.data = rt;
    rt->queued_ns = now_ns();
    if (uv_queue_work(rt->loop, &rt->job, on_job, on_job_done) != 0) {
        fprintf(stderr, "pool_roundtrip: uv_queue_work failed\n");
        exit(1);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_us(uint64_t *v, int n, double p)
{
    return (double)v[(int)(p * (n - 1))] / 1000.0;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 2000;
    if (rounds < 1 || rounds > ROUNDS_MAX) {
        fprintf(stderr, "usage: pool_roundtrip [rounds, 1..%d]\n", ROUNDS_MAX);
        return 2;
    }
    struct roundtrip rt = {.loop = uv_default_loop(), .rounds = rounds};
    rt.to_start = calloc((size_t)rounds, sizeof(*rt.to_start));
    rt.to_back = calloc((size_t)rounds, sizeof(*rt.to_back));
    if (rt.to_start == NULL || rt.to_back == NULL)
        return 1;
    uv_timer_init(rt.loop, &rt.gap);
    rt.gap.data = &rt;
    uv_timer_start(&rt.gap, on_gap, 1, 0);
    uv_run(rt.loop, UV_RUN_DEFAULT);
    qsort(rt.to_start, (size_t)rt.done, sizeof(uint64_t), cmp_u64);
    qsort(rt.to_back, (size_t)rt.done, sizeof(uint64_t), cmp_u64);
    printf("pool round trip from idle, %d jobs 1 ms apart: to the job's start p50 %.1f us p90 %.1f us; "
           "back on the loop p50 %.1f us p90 %.1f us\n",
           rt.done, pct_us(rt.to_start, rt.done, 0.5), pct_us(rt.to_start, rt.done, 0.9), pct_us(rt.to_back, rt.done, 0.5),
           pct_us(rt.to_back, rt.done, 0.9));
    uv_close((uv_handle_t *)&rt.gap, NULL);
    uv_run(rt.loop, UV_RUN_DEFAULT);
    uv_loop_close(rt.loop);
    free(rt.to_start);
    free(rt.to_back);
    return 0;
}
