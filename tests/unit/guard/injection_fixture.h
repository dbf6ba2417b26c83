/* The prompt_injection detector for a cmocka group: setup() builds it and one scratch,
 * teardown() frees them, score(text) checks a text and returns its score (asserting the call
 * succeeds and the score lies in 0..1). Include after <cmocka.h>. */
#ifndef WARDEN_TEST_INJECTION_FIXTURE_H
#define WARDEN_TEST_INJECTION_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "guard/injection.h"

static struct guard_injection *inj;
static struct guard_injection_scratch *sc;

static int setup(void **state)
{
    char err[256] = "";
    inj = guard_injection_create(err, sizeof(err));
    if (!inj) {
        fprintf(stderr, "create: %s\n", err);
        return -1;
    }
    sc = guard_injection_scratch_new(inj);
    return 0;
}

static int teardown(void **state)
{
    guard_injection_scratch_free(sc);
    guard_injection_free(inj);
    return 0;
}

static double score(const char *text)
{
    struct guard_injection_result r;
    assert_int_equal(guard_injection_check(inj, sc, text, strlen(text), &r), 0);
    assert_true(r.score >= 0 && r.score <= 1);
    return r.score;
}

#endif
