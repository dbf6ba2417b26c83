/* Monotonic time for latency accounting and deadlines. */
#ifndef WARDEN_UTIL_CLOCK_H
#define WARDEN_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t util_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t util_now_us(void)
{
    return util_now_ns() / 1000u;
}

static inline uint64_t util_now_ms(void)
{
    return util_now_ns() / 1000000u;
}

#endif
