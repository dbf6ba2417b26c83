/* src/guard/finding.h: what a check found, for the check API, eval and logs */
#ifndef WARDEN_GUARD_FINDING_H
#define WARDEN_GUARD_FINDING_H
#include <stddef.h>
struct guard_finding {
    size_t index;      /* which text of the subject */
    size_t start, end; /* byte offsets into that text, end exclusive */
    char type[40];     /* entity type (EMAIL_ADDRESS), rule name, or class */
    double score;      /* 0..1 */
};
#endif
