/* The prompt text the micro-benchmarks scan (bench/scan_bench.c, bench/builtin_bench.c). */
#ifndef WARDEN_BENCH_PROMPT_TEXT_H
#define WARDEN_BENCH_PROMPT_TEXT_H

/* A realistic prompt: prose, code, numbers, punctuation, no secrets. */
static const char *const paragraph =
    "You are a helpful assistant. Summarize the following support ticket and propose next steps. "
    "Customer reports that since version 3.14.2 the export job fails at 02:30 with error code 504 "
    "after roughly 1200 seconds; order #48213 was affected on 2024-03-07. They attached this snippet:\n"
    "    for (int i = 0; i < n; i++) { total += price[i] * qty[i]; }\n"
    "The dashboard shows 87% CPU on node-7 and a queue depth of 3,512 items. Please keep the answer "
    "under 200 words, use bullet points, and avoid speculation about root causes we cannot verify. "
    "Mention the workaround from ticket 7731 (restart the scheduler, then re-run with --batch-size=500).\n";

#endif
