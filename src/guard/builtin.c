/* Built-in checks over a subject's texts. See builtin.h. */
#include "guard/builtin.h"

#include <errno.h>
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

void guard_builtin_pool_thread_init(void)
{
    static __thread int done;
    if (done)
        return;
    done = 1;
    id_t tid = (id_t)syscall(SYS_gettid);
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, tid);
    if (cur == -1 && errno != 0)
        return;
    (void)setpriority(PRIO_PROCESS, tid, cur + 10 > 19 ? 19 : cur + 10); /* best effort */
}
