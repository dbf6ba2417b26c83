/* The built-in model-free and model checks of the engine, as plain functions
 * over a subject's texts: prompt_injection (src/guard/injection.c) and
 * classifier (src/guard/classifier.c). The engine decides where they run
 * (injection on the loop: microseconds; classifier on the worker pool) and
 * maps the result through action / on_error; these only score and report.
 *
 * Each returns 1 when some text scores at or above the guard's threshold,
 * 0 when none does, <0 (WARDEN_E*) on a scanner error. Findings: one per text
 * at or above the threshold (type "prompt_injection" or the model's positive
 * label, span = strongest signal for injection and the whole text for the
 * classifier, score), malloc'd into *findings (NULL when none). reason gets a
 * short message that never quotes the text. Thread-safe given a scratch per
 * thread (the classifier needs none). */
#ifndef WARDEN_GUARD_BUILTIN_H
#define WARDEN_GUARD_BUILTIN_H

#include <stddef.h>

#include "config/config.h"
#include "guard/finding.h"

struct guard_injection;
struct guard_injection_scratch;
struct guard_classifier;

int guard_builtin_injection(const struct guard_injection *inj, struct guard_injection_scratch *sc,
                            const struct config_guardrail *g, char *const *texts, const size_t *lens, size_t n,
                            struct guard_finding **findings, size_t *n_findings, char *reason, size_t reasonsz);

int guard_builtin_classify(const struct guard_classifier *m, const struct config_guardrail *g, char *const *texts,
                           const size_t *lens, size_t n, struct guard_finding **findings, size_t *n_findings, char *reason,
                           size_t reasonsz);

/* Call at the start of pool work, with the CPU the queueing loop ran on (sched_getcpu() there;
 * -1: unknown). The first call on a thread lowers that thread's CPU priority (nice +10), so
 * model inference that saturates the pool yields the cores to the event loops. And the thread
 * keeps off that loop's CPU while another CPU is allowed: the scheduler wakes a pool thread on
 * its waker's CPU, where the loop is still busy with the request's other checks, so the two
 * would take turns on one CPU while another sits idle (measured: a 4 KB prompt's checks went
 * from +60 to +100 us with the injection model; bench/guard_overhead.sh). The affinity changes
 * only when the loop's CPU does. Affects later jobs of libuv's pool on that thread too. */
void guard_builtin_pool_thread_init(int loop_cpu);

#endif
