/* Built-in checks over a subject's texts. See builtin.h. */
#include "guard/builtin.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guard/classifier.h"
#include "guard/injection.h"
#include "util/alloc.h"

static void finding_add(struct guard_finding **v, size_t *n, size_t index, size_t start, size_t end, const char *type,
                        double score)
{
    *v = util_realloc(*v, (*n + 1) * sizeof(**v));
    struct guard_finding *f = &(*v)[(*n)++];
    memset(f, 0, sizeof(*f));
    f->index = index;
    f->start = start;
    f->end = end;
    snprintf(f->type, sizeof(f->type), "%s", type);
    f->score = score;
}

int guard_builtin_injection(const struct guard_injection *inj, struct guard_injection_scratch *sc,
                            const struct config_guardrail *g, char *const *texts, const size_t *lens, size_t n,
                            struct guard_finding **findings, size_t *n_findings, char *reason, size_t reasonsz)
{
    *findings = NULL;
    *n_findings = 0;
    double best = -1;
    for (size_t i = 0; i < n; i++) {
        struct guard_injection_result res;
        int rc = guard_injection_check(inj, sc, texts[i], lens[i], &res);
        if (rc < 0) {
            free(*findings);
            *findings = NULL;
            *n_findings = 0;
            return rc;
        }
        if (res.score < g->threshold)
            continue;
        finding_add(findings, n_findings, i, res.start, res.end, "prompt_injection", res.score);
        if (res.score > best) {
            best = res.score;
            snprintf(reason, reasonsz, "prompt injection (%s: %s), score %.2f", guard_injection_family_name(res.family),
                     res.signal, res.score);
        }
    }
    return *n_findings > 0;
}

int guard_builtin_classify(const struct guard_classifier *m, const struct config_guardrail *g, char *const *texts,
                           const size_t *lens, size_t n, struct guard_finding **findings, size_t *n_findings, char *reason,
                           size_t reasonsz)
{
    *findings = NULL;
    *n_findings = 0;
    double best = -1;
    for (size_t i = 0; i < n; i++) {
        double p = guard_classifier_predict(m, texts[i], lens[i]);
        if (p < g->threshold)
            continue;
        finding_add(findings, n_findings, i, 0, lens[i], guard_classifier_positive_label(m), p);
        if (p > best) {
            best = p;
            snprintf(reason, reasonsz, "classifier: %s, P = %.2f (threshold %.2f)", guard_classifier_positive_label(m), p,
                     g->threshold);
        }
    }
    return *n_findings > 0;
}

void guard_builtin_pool_thread_init(int loop_cpu)
{
    static __thread int done, avoided = -1, can_avoid;
    static __thread cpu_set_t allowed; /* the thread's CPUs when it first ran pool work */
    if (!done) {
        done = 1;
        id_t tid = (id_t)syscall(SYS_gettid);
        errno = 0;
        int cur = getpriority(PRIO_PROCESS, tid);
        if (cur != -1 || errno == 0)
            (void)setpriority(PRIO_PROCESS, tid, cur + 10 > 19 ? 19 : cur + 10); /* best effort */
        can_avoid = sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && CPU_COUNT(&allowed) > 1;
    }
    if (!can_avoid || loop_cpu < 0 || loop_cpu >= CPU_SETSIZE || loop_cpu == avoided || !CPU_ISSET(loop_cpu, &allowed))
        return;
    cpu_set_t set = allowed;
    CPU_CLR(loop_cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) == 0) /* moves the thread off that CPU now */
        avoided = loop_cpu;
    else
        can_avoid = 0; /* the CPUs allowed changed under us (a cpuset): no syscall per job from now on */
}
