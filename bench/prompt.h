/* The 4 KB English prompt the micro-benchmarks scan: prose, code, numbers
 * (versions, dates, prices, ids) and punctuation, no secrets and no PII, so
 * every benchmark measures the same text a passing request carries. */
#ifndef WARDEN_BENCH_PROMPT_H
#define WARDEN_BENCH_PROMPT_H

#include <stddef.h>
#include <string.h>

#define BENCH_PROMPT_BYTES 4096

static const char *const bench_paragraph =
    "You are a helpful assistant. Summarize the following support ticket and propose next steps. "
    "Customer reports that since version 3.14.2 the export job fails at 02:30 with error code 504 "
    "after roughly 1200 seconds; order #48213 was affected on 2024-03-07. They attached this snippet:\n"
    "    for (int i = 0; i < n; i++) { total += price[i] * qty[i]; }\n"
    "The dashboard shows 87% CPU on node-7 and a queue depth of 3,512 items. Please keep the answer "
    "under 200 words, use bullet points, and avoid speculation about root causes we cannot verify. "
    "Mention the workaround from ticket 7731 (restart the scheduler, then re-run with --batch-size=500).\n";

/* Fills text[0..BENCH_PROMPT_BYTES) with the paragraph repeated (the last copy cut) and a NUL. */
static inline size_t bench_prompt_fill(char text[BENCH_PROMPT_BYTES + 1])
{
    size_t plen = strlen(bench_paragraph), len = 0;
    while (len < BENCH_PROMPT_BYTES) {
        size_t k = plen < BENCH_PROMPT_BYTES - len ? plen : BENCH_PROMPT_BYTES - len;
        memcpy(text + len, bench_paragraph, k);
        len += k;
    }
    text[len] = '\0';
    return len;
}

#endif
