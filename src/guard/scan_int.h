/* Internal to guard/: the compiled scanner, shared by scan.c (whole texts) and
 * stream_scan.c (texts that arrive in pieces). Nothing outside guard/ includes it. */
#ifndef WARDEN_GUARD_SCAN_INT_H
#define WARDEN_GUARD_SCAN_INT_H

#include <hs/hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "guard/scan.h"

enum scan_mode {
    SCAN_HS_EXACT,     /* Hyperscan matches exactly what PCRE2 would */
    SCAN_HS_PREFILTER, /* Hyperscan over-approximates; PCRE2 confirms */
    SCAN_PCRE_ONLY,    /* Hyperscan cannot compile it at all */
};

struct scan_pat {
    char *text;     /* as configured, for messages and guard_scan_pattern */
    pcre2_code *re; /* regexes only: finds spans; JIT-compiled for complete and partial matching */
    enum scan_mode mode;
};

struct guard_scan {
    int kind, flags;
    size_t n;
    struct scan_pat *pats;
    hs_database_t *db;   /* NULL when no pattern is compiled into Hyperscan */
    hs_scratch_t *proto; /* cloned by guard_scan_scratch_new */
    unsigned *always;    /* PCRE_ONLY pattern ids, run on every scan */
    size_t nalways;
    pcre2_match_context *mctx;
    size_t max_width; /* 0 = unbounded */
    int utf8_db;      /* some pattern is in HS UTF-8 mode: trim cut characters */
    /* keywords only: the keywords as PCRE2 alternations (longest first; several for
     * long lists), for streams, which need partial matching (does a held tail begin
     * a keyword?) */
    pcre2_code **kw_res;
    size_t n_kw_res;
};

struct guard_scan_scratch {
    hs_scratch_t *hs;
    pcre2_match_data *md;
    unsigned *ids; /* regex ids Hyperscan reported in the current scan */
    size_t nids, capids;
    /* patterns that could not be evaluated in the last scan (PCRE2 limits) */
    size_t nerrors;
    unsigned err_pattern; /* the first of them */
    int err_code;         /* its WARDEN_E* code */
};

/* PCRE2 result code -> WARDEN_E* (limits are WARDEN_ETOOBIG). */
int guard_scan__pcre_error(int rc);

#endif
