/* guard_hs_scan (src/guard/hs_block.h): a text that ends right before an unmapped page is
 * scanned without a fault. Hyperscan 5.4's AVX-512 VBMI matcher reads up to 64 bytes past the
 * end; on CPUs with VBMI the two inputs below (found by tests/fuzz/fuzz_scan) crashed hs_scan
 * when placed at the end of a mapping. Every text end from 0 to 200 bytes before the guard page
 * is tried, through the scanner (scan.c) and the detector's path (same helper). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard/scan.h"

static const unsigned char crash_a[] = {  0xfb, 0xfb, 0x7d, 0x41, 0x40, 0x73, 0x00, 0x00, 0x00, 0x4c, 0x3f, 0xab,  0xfb, 0xfb, 0xb3, 0x61, 0x73, 0x73, 0x1c, 0x7d, 0x41, 0x41, 0x2b, 0x20,  0x28, 0xc0, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34,  0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x1a, 0x5f, 0x5f, 0x5f, 0x5f, 0x34,  0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34,  0x34, 0x34, 0x20};
static const unsigned char crash_b[] = {  0x74, 0x73, 0xc2, 0x82, 0x61, 0x73, 0x73, 0x73, 0x28, 0x73, 0xc2, 0x82,  0x61, 0x73, 0x73, 0x73, 0x61, 0x00, 0x20, 0x82, 0x60, 0xc2, 0xd9, 0x82,  0x61, 0x73, 0x73, 0x82, 0x73, 0xc2, 0x82, 0x61, 0x73, 0x73, 0x82, 0x20,  0x00, 0xc2, 0x82, 0x61, 0x73, 0x73, 0x82, 0x73, 0x3b, 0x00, 0xc2, 0x82,  0x61, 0x41, 0x41, 0x82, 0x20, 0x00, 0x60, 0x61, 0x73, 0xc2, 0x82, 0x61,  0x73, 0x73, 0x82, 0x20};

/* the pattern sets of tests/fuzz/fuzz_scan.c */
static struct guard_scan *sets[3];
static struct guard_scan_scratch *scratch;

static int setup(void **state)
{
    static const char *const re[] = {"sk-[A-Za-z0-9]{20,}", "\\b(?:\\d[ -]*?){13,16}\\b", "[a-z]+@[a-z]+\\.com", "(\\w)\\1{3}",
                                     "pass(?=word)"};
    static const char *const u8[] = {"\\w+\xc3\xa9", "x.y", "^\\d{2,4}$"};
    static const char *const kw[] = {"ass", "c++", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "aa"};
    char err[256];
    sets[0] = guard_scan_compile(GUARD_SCAN_REGEX, re, 5, 0, err, sizeof(err));
    sets[1] = guard_scan_compile(GUARD_SCAN_REGEX, u8, 3, GUARD_SCAN_UTF8 | GUARD_SCAN_CASELESS, err, sizeof(err));
    sets[2] = guard_scan_compile(GUARD_SCAN_KEYWORDS, kw, 4, GUARD_SCAN_WHOLE_WORD | GUARD_SCAN_CASELESS, err, sizeof(err));
    if (!sets[0] || !sets[1] || !sets[2])
        return -1;
    scratch = guard_scan_scratch_new(sets[0]);
    guard_scan_scratch_grow(scratch, sets[1]);
    guard_scan_scratch_grow(scratch, sets[2]);
    return 0;
}

static int teardown(void **state)
{
    guard_scan_scratch_free(scratch);
    for (int i = 0; i < 3; i++)
        guard_scan_free(sets[i]);
    return 0;
}

/* Places text so that its last byte is the last byte before a PROT_NONE page, then scans it
 * with every set; a read past the end faults (the test process dies). */
static void scan_at_page_end(const unsigned char *text, size_t len, size_t slack)
{
    long page = sysconf(_SC_PAGESIZE);
    char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map + page, (size_t)page, PROT_NONE), 0);
    char *p = map + page - len - slack;
    memcpy(p, text, len);
    memset(p + len, 'a', slack); /* the scanned text is len + slack bytes */
    for (int i = 0; i < 3; i++) {
        struct guard_scan_match m, *all = NULL;
        size_t n = 0;
        int first = guard_scan_first(sets[i], scratch, p, len + slack, &m);
        int cnt = guard_scan_all(sets[i], scratch, p, len + slack, &all, &n);
        assert_true(first >= 0 && cnt >= 0);
        assert_int_equal(first == 1, cnt > 0);
        free(all);
    }
    munmap(map, (size_t)page * 2);
}

static void fuzz_inputs_at_a_page_end_do_not_fault(void **state)
{
    for (size_t slack = 0; slack <= 200; slack++) {
        scan_at_page_end(crash_a, sizeof(crash_a), slack);
        scan_at_page_end(crash_b, sizeof(crash_b), slack);
    }
}

static void short_texts_at_a_page_end_do_not_fault(void **state)
{
    static const unsigned char words[] = "ass c++ aa pass sk-0123456789abcdefghijABCD x@y.com 4111 1111 1111 1111";
    for (size_t len = 1; len < sizeof(words); len++)
        scan_at_page_end(words, len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fuzz_inputs_at_a_page_end_do_not_fault),
        cmocka_unit_test(short_texts_at_a_page_end_do_not_fault),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
