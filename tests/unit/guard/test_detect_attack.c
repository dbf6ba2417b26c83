/* Adversarial review (adv66) of the table/HTML header context (detect.c), the new phone
 * rules (pii.c) and the new secrets rules (secrets.c) of 6645971, 55c4f04, d79d0ad.
 *
 * held_*: properties that hold at d79d0ad (run always): hostile table/HTML texts scan
 * without crashing (run under ASan by test-asan), the new rules' findings are the same
 * whole and streamed split at every byte, the features work where intended.
 *
 * known_*: problems found at d79d0ad, written as the behaviour wanted, all fixed since (the
 * table cache, <th>/<td> tags, a header's negative label, the 3-3-3 and 00 rules' context,
 * "$(" and '&' in values) and run always, but one: known_stream_loses_table_header, a
 * documented limit (README, pii: a streamed table's header counts only within the stream's
 * 128-byte context), run with WARDEN_TEST_KNOWN_LIMITS=1.
 *
 * adv67_* (review of the table header code at 94d33dc): adv67_held_* run always; the
 * adv67_known_* problems are fixed (a block is lines of the row's shape, a walk that runs out or
 * meets a long line finds nothing, HTML headers are lines of <th> cells only, colspan and nested
 * tables give none, header words are the rule's header_context, a byte budget) and run always,
 * but adv67_known_csv_right_under_csv, a documented limit, run with WARDEN_TEST_KNOWN_LIMITS=1. Not
 * written as a test: the cost, about +3 us per undecided candidate in a 1 KB row (line_at's byte
 * loops over the candidate's line and the line above, html_cell's memmem), +650 ms on a 4 MB text
 * of 1023-byte rows each holding 60 "<td>0161xxxxxxx" (1.16 s against 0.50 s at 728ea36). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "guard/detect.h"
#include "guard/pii.h"
#include "guard/redact.h"
#include "guard/secrets.h"
#include "guard/stream_scan.h"
#include "util/buf.h"

static struct config *cfg;
static struct detect_set *pii, *secrets;
static struct detect_scratch *sc;

static int setup(void **state)
{
    static const char yaml[] = "providers: [{name: p, base_url: \"http://h\"}]\n"
                               "models: [{name: m, targets: [{provider: p, model: x}]}]\n"
                               "guardrails:\n  - {name: p, type: pii}\n  - {name: s, type: secrets}\n";
    char err[512];
    cfg = config_load_string(yaml, sizeof(yaml) - 1, "t.yaml", err, sizeof(err));
    assert_non_null(cfg);
    pii = guard_pii_compile(&cfg->guardrails[0], err, sizeof(err));
    secrets = guard_secrets_compile(&cfg->guardrails[1], err, sizeof(err));
    assert_non_null(pii);
    assert_non_null(secrets);
    sc = detect_scratch_new();
    return 0;
}

static int teardown(void **state)
{
    detect_free(pii);
    detect_free(secrets);
    detect_scratch_free(sc);
    config_free(cfg);
    return 0;
}

static void strict(void)
{
    if (getenv("WARDEN_TEST_KNOWN_LIMITS") == NULL)
        skip();
}

/* the findings of set on text[0, len) of type (NULL: any); *what: the first one's text */
static size_t count(const struct detect_set *set, const char *text, size_t len, const char *type, char *what, size_t wsz)
{
    struct guard_finding *f = NULL;
    size_t n = 0, cap = 0, hits = 0;
    assert_true(detect_scan(set, sc, text, len, 0, 0.5, &f, &n, &cap) >= 0);
    if (what)
        what[0] = 0;
    for (size_t i = 0; i < n; i++)
        if (type == NULL || strcmp(f[i].type, type) == 0) {
            if (hits++ == 0 && what)
                snprintf(what, wsz, "%.*s", (int)(f[i].end - f[i].start), text + f[i].start);
        }
    free(f);
    return hits;
}

static size_t phones(const char *text, char *what, size_t wsz)
{
    return count(pii, text, strlen(text), "PHONE_NUMBER", what, wsz);
}

static char *whole(const struct detect_set *set, const char *text, size_t len, size_t *outlen)
{
    struct guard_finding *f = NULL;
    size_t n = 0, cap = 0;
    assert_true(detect_scan(set, sc, text, len, 0, 0.5, &f, &n, &cap) >= 0);
    char *r;
    if (n) {
        r = guard_redact_apply(text, len, f, n, CONFIG_REDACT_MASK, NULL, 0, outlen);
    } else {
        r = malloc(len + 1);
        memcpy(r, text, len);
        *outlen = len;
    }
    free(f);
    return r;
}

static int stream_cuts(const struct detect_set *set, const char *text, size_t len, const size_t *cuts, size_t ncuts,
                       struct util_buf *out)
{
    struct guard_stream_rule rule = {.action = GUARD_STREAM_REDACT, .replacement = GUARD_MASK, .window = 8192,
                                     .detect = set, .detect_scratch = sc, .threshold = 0.5};
    struct guard_stream *st = guard_stream_new(&rule, 1);
    size_t pos = 0;
    int rc = GUARD_STREAM_OK;
    for (size_t k = 0; k <= ncuts && rc == GUARD_STREAM_OK; k++) {
        size_t end = k < ncuts ? cuts[k] : len;
        rc = guard_stream_feed(st, NULL, text + pos, end - pos, 0, out, NULL);
        pos = end;
    }
    if (rc == GUARD_STREAM_OK)
        rc = guard_stream_feed(st, NULL, NULL, 0, 1, out, NULL);
    guard_stream_free(st);
    return rc;
}

/* streamed split at every byte and byte by byte == the whole text's redaction */
static void expect_same(const struct detect_set *set, const char *text)
{
    size_t len = strlen(text), wl;
    char *want = whole(set, text, len, &wl);
    struct util_buf out;
    util_buf_init(&out, 1 << 20);
    size_t *cuts = calloc(len + 1, sizeof(*cuts)), n = 0;
    for (size_t k = 1; k < len; k++) {
        util_buf_reset(&out);
        cuts[0] = k;
        assert_int_equal(stream_cuts(set, text, len, cuts, 1, &out), GUARD_STREAM_OK);
        if (out.len != wl || memcmp(out.data, want, wl) != 0)
            fail_msg("split at %zu of [%s]:\n  got  [%.*s]\n  want [%s]", k, text, (int)out.len, out.data, want);
    }
    for (size_t k = 1; k < len; k++)
        cuts[n++] = k;
    util_buf_reset(&out);
    assert_int_equal(stream_cuts(set, text, len, cuts, n, &out), GUARD_STREAM_OK);
    if (out.len != wl || memcmp(out.data, want, wl) != 0)
        fail_msg("byte by byte [%s]:\n  got  [%.*s]\n  want [%s]", text, (int)out.len, out.data, want);
    util_buf_free(&out);
    free(cuts);
    free(want);
}

/* n rows "i,Person i,<value>" (no context word in them) */
static void rows(struct util_buf *b, int from, int n, const char *value_fmt)
{
    char line[128];
    for (int i = from; i < from + n; i++) {
        int k = snprintf(line, sizeof(line), "%d,Person %d,", i, i);
        k += snprintf(line + k, sizeof(line) - (size_t)k, value_fmt, i % 10000);
        line[k++] = '\n';
        assert_int_equal(util_buf_append(&b[0], line, (size_t)k), 0);
    }
}

/* Hostile tables and HTML rows: exact-size heap copies so ASan sees the end of the text. */
static void held_hostile_tables_scan_safely(void **state)
{
    static const char *const texts[] = {
        "id,name,phone\r\n0,Someone Name,London Road 0\r\n1,Someone Name,London Road 1\r\n2,Someone,x\r\n7,Ann,020 7946 0958",
        "id,\"name,phone\n0,Someone Name,London Road 0\n1,Someone Name,London Road 1\n7,\"Ann,020 7946 0958\n",
        "<tr><th>id<th>phone\n<tr><td>a long cell of words here<td>x</td>\n<tr><td>7<td 020 7946 0958",
        "<tr><th>id</th><th>phone\n<tr><td>a long cell of words here<td>x</td>\n<tr><td>7</td><td>020 7946 0958</td></tr>",
        "<tr><th>id</th><th>\n<tr><td>7</td><td>020 7946 0958</td></tr>",
        "<tr><td>7</td><td>020 7946 0958</td></tr>\n<th",
        "<th\n<tr><td>7</td><td>020 7946 0958",
        "x\n<td",
        "\n<td020 7946 0958",
        "\n020 7946 0958",
        ",,,\n,,020 7946 0958",
        "7,Ann,020 7946 0958\nid,name,phone\n",
        "id,name,phone\n\n\n7,Ann,020 7946 0958\n\n",
        "id,\xff\xfename,ph\xc3one\n7,\xc3,020 7946 0958\xe2\x82",
        "| a | b |\n|---|---|\n| 020 7946 0958 | (020) 7946 0392 |",
        "<th>a<th>b>phone\n<td>1<td>020 7946 0958\n",
        "\"\n\"\n\"\n1,2,0049 30 6790062",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        size_t len = strlen(texts[i]);
        char *t = malloc(len);
        memcpy(t, texts[i], len);
        count(pii, t, len, NULL, NULL, 0);
        count(secrets, t, len, NULL, NULL, 0);
        free(t);
    }
    /* NUL bytes inside rows and the header */
    static const char nul[] = "id,na\0me,phone\0\n0,Someone Name,London Road 0\n7,A\0n,020 7946 0958\n\0\n";
    char *t = malloc(sizeof(nul) - 1);
    memcpy(t, nul, sizeof(nul) - 1);
    count(pii, t, sizeof(nul) - 1, NULL, NULL, 0);
    free(t);
    /* lines of 1022..1026 bytes (TABLE_LINE_MAX 1024), the candidate at the end of the text */
    for (size_t L = 1022; L <= 1026; L++) {
        size_t len = 0, cap = 8 * (L + 1);
        t = malloc(cap);
        memset(t, 'a', cap);
        memcpy(t, "id,name,", 8);
        memcpy(t + L - 6, ",phone", 6);
        t[L] = '\n';
        len = L + 1;
        for (int r = 0; r < 4; r++, len += L + 1) {
            memcpy(t + len, "1,b,", 4);
            t[len + L] = '\n';
        }
        memcpy(t + len, "7,Ann,", 6);
        memcpy(t + len + L - 13, "020 7946 0958", 13);
        t[len + L - 14] = ',';
        len += L;
        char *u = malloc(len);
        memcpy(u, t, len);
        count(pii, u, len, NULL, NULL, 0);
        free(u);
        free(t);
    }
}

/* what the new rules find, whole and streamed alike */
static void held_new_rules_same_streamed(void **state)
{
    static const char *const p[] = {
        "call (020) 7946 0392 or 0049 30 6790062 ext. 12 today",
        "Ruf an: 0049 30 6790062, danke",
        "llamar al 671 306 153 hoy",
        "Ligue (11) 96933-2293 agora",
        "ping6 says 64 bytes from 2001:db8::1: icmp_seq=1 ttl=64",
        "id,name,phone\n7,Ann,020 7946 0958\n",
    };
    static const char *const s[] = {
        "GET /v1?api_key=Zx81Kq02LmNb77QeAbC&format=json HTTP/1.1",
        "<add key=\"ApiSecret\" value=\"Zx81Kq02LmNb77QeAbC9\"/>",
        "token xoxe.xoxp-1-Mi0yLTM0MTQwMjE0NzEwNS00NjY5 end",
        "engine postgresql+psycopg2://admin:S3cr3tPw0rd@db.example.com:5432/app ok",
        "key AKIAXXXXXXXXXXXXXXXX and AKIAIOSFODNN7EXAMPLE",
    };
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
        expect_same(pii, p[i]);
    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
        expect_same(secrets, s[i]);
}

static void held_intended_findings(void **state)
{
    char w[128];
    assert_int_equal(phones("call (020) 7946 0392 now", w, sizeof(w)), 1);
    assert_string_equal(w, "(020) 7946 0392");
    assert_int_equal(phones("<table>\n<tr><th>Name</th><th>Phone</th></tr>\n<tr><td>Someone 0</td><td>x</td></tr>\n"
                            "<tr><td>Someone 1</td><td>x</td></tr>\n<tr><td>Someone 2</td><td>x</td></tr>\n"
                            "<tr><td>Ann</td><td>020 7946 0958</td></tr>\n</table>",
                            w, sizeof(w)),
                     1);
    assert_int_equal(count(pii, "IBAN DE89 3704 0044 0532 0130 00 please", 39, "PHONE_NUMBER", w, sizeof(w)), 0);
    assert_int_equal(count(secrets, "key AKIAXXXXXXXXXXXXXXXX here", 28, NULL, w, sizeof(w)), 0);
}

/* 1. A streamed answer keeps 128 bytes of context (stream_scan.c DETECT_CONTEXT): a header
 * further up is gone, so a phone the whole text's scan redacts by its column header goes out
 * in clear when streamed. */
static void known_stream_loses_table_header(void **state)
{
    strict();
    expect_same(pii, "id,name,phone\n0,Someone Name,London Road 0\n1,Someone Name,London Road 1\n"
                     "2,Someone Name,London Road 2\n3,Someone Name,London Road 3\n4,Someone Name,London Road 4\n"
                     "5,Someone Name,London Road 5\n7,Ann,020 7946 0958\n");
}

/* 2. "however far up": rows past TABLE_MAX_ROWS (64) below the header lose it; and 256 lookups
 * spent on an earlier table (TABLE_LOOKUPS) leave a later table's phones unredacted. */
static void known_long_table_rows_lose_header(void **state)
{
    struct util_buf b;
    util_buf_init(&b, 1 << 20);
    assert_int_equal(util_buf_append(&b, "id,name,phone\n", 14), 0);
    rows(&b, 0, 100, "020 7946 %04d");
    size_t n = count(pii, b.data, b.len, "PHONE_NUMBER", NULL, 0);
    util_buf_free(&b);
    assert_int_equal(n, 100); /* 64 at d79d0ad */
}

static void known_lookups_exhausted_by_decoys(void **state)
{
    struct util_buf b;
    util_buf_init(&b, 1 << 20);
    assert_int_equal(util_buf_append(&b, "id,a,b\n", 7), 0);
    rows(&b, 0, 300, "020 7946 %04d");
    assert_int_equal(util_buf_append(&b, "\nlast words of the first table\n\nid,name,phone\n", 46), 0);
    rows(&b, 0, 10, "020 7946 %04d");
    size_t all = count(pii, b.data, b.len, "PHONE_NUMBER", NULL, 0);
    util_buf_free(&b);
    /* the 10 rows under "phone" (and none of the first table's, whose header says nothing) */
    assert_int_equal(all, 10); /* 2 at d79d0ad: rows 2..9 of the phone table are missed */
}

/* 3. A header cell's negative label is ignored: "Invoice Number", "Serial number", "Account
 * number" raise the numbers under them, while "invoice number 0412345678" inline is an id. */
static void known_header_negative_label_ignored(void **state)
{
    char w[64];
    assert_int_equal(phones("id,customer,invoice number\n0,Cust 0,n/a\n1,Cust 1,n/a\n2,Cust 2,n/a\n3,Cust 3,n/a\n"
                            "7,ACME,0412345678\n",
                            w, sizeof(w)),
                     0);
    assert_int_equal(phones("<table>\n<tr><th>Item</th><th>Serial number</th></tr>\n<tr><td>Item 0</td><td>n/a</td></tr>\n"
                            "<tr><td>Item 1</td><td>n/a</td></tr>\n<tr><td>Item 2</td><td>n/a</td></tr>\n"
                            "<tr><td>Widget</td><td>0301 234 5678</td></tr>\n</table>\n",
                            w, sizeof(w)),
                     0);
}

/* 4. html_header_has counts "<th" in "<thead>": the header row one column off */
static void known_thead_shifts_columns(void **state)
{
    char w[64];
    const char *t = "<table>\n<thead><tr><th>Name</th><th>Phone</th><th>Account</th></tr></thead>\n"
                    "<tr><td>Someone 0</td><td>n/a</td><td>n/a</td></tr>\n<tr><td>Someone 1</td><td>n/a</td><td>n/a</td></tr>\n"
                    "<tr><td>Someone 2</td><td>n/a</td><td>n/a</td></tr>\n<tr><td>Someone 3</td><td>n/a</td><td>n/a</td></tr>\n"
                    "<tr><td>Ann</td><td>020 7946 0958</td><td>0412 345 6789</td></tr>\n</table>\n";
    assert_int_equal(phones(t, w, sizeof(w)), 1);
    assert_string_equal(w, "020 7946 0958"); /* d79d0ad: "0412 345 6789" (the Account column) */
}

/* 5. the Spain 3-3-3 rule with generic context words: thousands separators */
static void known_333_thousands_flagged(void **state)
{
    static const char *const t[] = {
        "The number of rows was 914 532 807 in total.",
        "Total: 914 532 807 EUR, invoice number attached.",
        "Price 712.345.678 EUR, call us for the number.",
        "Text size: 812 345 678 bytes",
        "Lines 671 306 153 of the text file",
        "| Year | Country | Number |\n|---|---|---|\n| 2000 | A | n/a |\n| 2001 | B | n/a |\n| 2002 | C | n/a |\n"
        "| 2003 | D | n/a |\n| 2023 | India | 812 345 678 |\n",
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char w[64];
        if (phones(t[i], w, sizeof(w)) != 0)
            fail_msg("[%s]: PHONE_NUMBER [%s]", t[i], w);
    }
}

/* 6. the "00" rule is valid (0.6) with no context at all: hex dumps, batch ids, amounts, a mistyped IBAN */
static void known_00_rule_without_context(void **state)
{
    static const char *const t[] = {
        "hexdump: 00000010: 0031 3233 3435 3637 3839 3a3b 3c3d 3e3f",
        "xxd: 00000000: 0049 3020 6120 7465 7374 0a",
        "Batch 0044 2079 4609 58 shipped",
        "Amount 0041 234 567 CHF",
        "IBAN DE89 3704 0044 0532 0130 01 please",
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char w[64];
        if (phones(t[i], w, sizeof(w)) != 0)
            fail_msg("[%s]: PHONE_NUMBER [%s]", t[i], w);
    }
}

/* 7. "$(" anywhere in a value makes it a placeholder: a real password with "$(" in it is hidden */
static void known_shell_substitution_hides_secret(void **state)
{
    static const char *const t[] = {
        "password=hunter2$(x)realsecret99",
        "export DB_PASSWORD=Kq02$(LmNb77Qe)Zx81",
        "api_key: \"sk9Xq2$(Lm)Nb77QeAbC81\"",
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (count(secrets, t[i], strlen(t[i]), "GENERIC_SECRET", NULL, 0) != 1)
            fail_msg("[%s]: no GENERIC_SECRET", t[i]);
    /* still placeholders */
    assert_int_equal(count(secrets, "DB_PASS=$(cat /run/secrets/db)", 30, NULL, NULL, 0), 0);
}

/* 8. '&' + "name=" ends a value outside any query string: the rest of a password goes out */
static void known_ampersand_cuts_password(void **state)
{
    char w[64];
    const char *t = "password=Kq02LmNb77Qe&Zx9=81aBcD";
    assert_int_equal(count(secrets, t, strlen(t), "GENERIC_SECRET", w, sizeof(w)), 1);
    assert_string_equal(w, "Kq02LmNb77Qe&Zx9=81aBcD"); /* d79d0ad: "Kq02LmNb77Qe", "&Zx9=81aBcD" released */
    t = "token=xK9q&_=Kq02LmNb77QeZx81aB";
    assert_int_equal(count(secrets, t, strlen(t), "GENERIC_SECRET", NULL, 0), 1); /* d79d0ad: none */
}

/* ---- adv67: review of row_cells / html_cell / line_at / table_row / table_header_cell and the
 * table cache at 94d33dc. adv67_held_*: what held. adv67_known_*: problems found, written as the
 * behaviour wanted (they fail at 94d33dc; see the file's head for the one that stays skipped). */

/* phones of text, as "a|b|c" (the findings' texts) */
static const char *phone_list(const char *text)
{
    static char out[1024];
    struct guard_finding *f = NULL;
    size_t n = 0, cap = 0, o = 0;
    assert_true(detect_scan(pii, sc, text, strlen(text), 0, 0.5, &f, &n, &cap) >= 0);
    out[0] = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].type, "PHONE_NUMBER") == 0 && o < sizeof(out) - 64)
            o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.*s", o ? "|" : "", (int)(f[i].end - f[i].start),
                                  text + f[i].start);
    free(f);
    return out;
}

#define EXPECT_PHONES(text, want)                                                                                   \
    do {                                                                                                            \
        const char *got_ = phone_list(text);                                                                        \
        if (strcmp(got_, want) != 0)                                                                                \
            fail_msg("[%s]:\n  got  [%s]\n  want [%s]", text, got_, want);                                          \
    } while (0)

/* the header reaches the right column: quoted separators, "" inside quotes, markdown with and
 * without outer pipes, TSV cells holding commas, ';' inside quotes; and not the next column */
static void adv67_held_columns(void **state)
{
    EXPECT_PHONES("name,note,phone\nPerson 0,\"a, b, \"\"c\"\", d\",n/a\nPerson 1,\"a, b, \"\"c\"\", d\",n/a\n"
                  "Person 2,\"a, b, \"\"c\"\", d\",n/a\nAnn,\"He said \"\"hi, there\"\"\",020 7946 0958\n",
                  "020 7946 0958");
    EXPECT_PHONES("name,phone,ref\nPerson 0 Someone,n/a,n/a\nPerson 1 Someone,n/a,n/a\nPerson 2 Someone,n/a,n/a\n"
                  "Ann,\"x \"\"y, z\"\"\",0161 496 0000\n",
                  "");
    EXPECT_PHONES("| Name | Phone | Ref |\n|---|---|---|\n| Person 0 | n/a | n/a |\n| Person 1 | n/a | n/a |\n"
                  "| Person 2 | n/a | n/a |\n| Ann | 020 7946 0958 | 0161 496 0000 |\n",
                  "020 7946 0958");
    EXPECT_PHONES("Name | Phone | Ref\n---|---|---\nPerson 0 | n/a | n/a\nPerson 1 | n/a | n/a\nPerson 2 | n/a | n/a\n"
                  "Ann | 020 7946 0958 | 0161 496 0000\n",
                  "020 7946 0958");
    EXPECT_PHONES("name\tphone\tref\nPerson 0, Esq.\tn/a\tn/a\nPerson 1, Esq.\tn/a\tn/a\nPerson 2, Esq.\tn/a\tn/a\n"
                  "Ann, Esq.\t020 7946 0958\tx\n",
                  "020 7946 0958");
    EXPECT_PHONES("name;phone;notes\nPerson 0;n/a;n/a\nPerson 1;n/a;n/a\nPerson 2;n/a;n/a\nAnn;020 7946 0958;\"a;b\"\n",
                  "020 7946 0958");
    /* a row with more cells than the header: no header */
    EXPECT_PHONES("name,phone,ref\nPerson 0 Someone,n/a,n/a\nPerson 1 Someone,n/a,n/a\nPerson 2 Someone,n/a,n/a\n"
                  "Ann,020 7946 0958,0161 496 0000,extra\n",
                  "");
    /* a blank line or a line without the separator ends the block */
    EXPECT_PHONES("name,phone,city\nPerson 0 Someone,n/a,Someplace\nAnn,020 7946 0958,London\n\nid,ref,total\n"
                  "Customer 0 Ltd,n/a,1\nCustomer 1 Ltd,n/a,1\nACME,0161 496 0000,12\n",
                  "020 7946 0958");
    EXPECT_PHONES("name,phone,city\nPerson 0 Someone,n/a,Someplace\nAnn,020 7946 0958,London\nOrders below\nid,ref,total\n"
                  "Customer 0 Ltd,n/a,1\nCustomer 1 Ltd,n/a,1\nACME,0161 496 0000,12\n",
                  "020 7946 0958");
}

/* random tables and HTML (tags, separators, quotes, CR, NUL, 1022..1026-byte lines, a candidate
 * on the first line, no final newline) in exact-size heap copies: run under ASan by test-asan */
static void adv67_held_random_tables_scan_safely(void **state)
{
    static const char *const toks[] = {"<td>", "<th>", "<TD>", "<td class=\"x\">", "<th scope=row>", "</td>", "</th>",
                                       "<tr>", "</tr>", "<thead>", "<table>", "<t", "<th", "<td", "<", ">", ",", ";",
                                       "\t", "|", "\"", "\"\"", "\n", "\r\n", "\n\n", "phone", "Number",
                                       "invoice number", "contact", "n/a", "0161 496 0000", "020 7946 0958",
                                       "01614960000", "(020) 7946 0392", "0049 30 6790062", "98765 43210", "\xff", " "};
    unsigned long long rs = 88172645463325252ull;
    char *buf = malloc(1 << 15);
    for (int it = 0; it < 1500; it++) {
        size_t len = 0;
        rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
        size_t want = rs % 5000;
        while (len < want) {
            rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
            if (rs % 40 == 0) { /* a line of 1022..1026 bytes, a phone at its end */
                size_t L = 1022 + (rs >> 8) % 5;
                if (len + L + 1 > (1 << 15))
                    break;
                for (size_t k = 0; k < L; k++)
                    buf[len + k] = ",;|\tab0 "[(rs >> (k % 40)) % 8];
                memcpy(buf + len + L - 14, ",0161 496 0000", 14);
                len += L;
                buf[len++] = '\n';
            } else if (rs % 40 == 1) {
                buf[len++] = '\0';
            } else {
                const char *t = toks[(rs >> 8) % (sizeof(toks) / sizeof(toks[0]))];
                size_t tl = strlen(t);
                if (len + tl > (1 << 15))
                    break;
                memcpy(buf + len, t, tl);
                len += tl;
            }
        }
        char *u = malloc(len ? len : 1);
        memcpy(u, buf, len);
        count(pii, u, len, NULL, NULL, 0);
        free(u);
    }
    free(buf);
}

/* 1. A block longer than TABLE_MAX_ROWS (64) rows above its first lookup: the walk stops at a
 * data row and takes it as the header (and caches it for the rows below). The national phones
 * of a customer export whose other phones are international (no lookup: they score alone) are
 * missed from row 64 on; a data row's cell is a header's context word. */
static void adv67_known_walk_limit_takes_data_row_as_header(void **state)
{
    struct util_buf b;
    util_buf_init(&b, 1 << 20);
    char line[128];
    assert_int_equal(util_buf_append(&b, "name,phone,city\n", 16), 0);
    for (int i = 0; i < 64; i++) {
        int k = snprintf(line, sizeof(line), "Person %d Someone,+44 20 7946 %04d,London\n", i, i);
        assert_int_equal(util_buf_append(&b, line, (size_t)k), 0);
    }
    assert_int_equal(util_buf_append(&b, "Ann,020 7946 0958,London\n", 25), 0);
    assert_int_equal(util_buf_append(&b, "", 1), 0);
    size_t n = count(pii, b.data, b.len - 1, "PHONE_NUMBER", NULL, 0);
    assert_int_equal(n, 65); /* 94d33dc: 64 (63 rows: 65) */
    util_buf_reset(&b);
    /* the "header" found is row 6, whose ref cell says "call back" */
    assert_int_equal(util_buf_append(&b, "name,ref,city\n", 14), 0);
    for (int i = 0; i < 70; i++) {
        int k = snprintf(line, sizeof(line), "Person %d Someone,%s,Someplace\n", i, i == 6 ? "call back" : "n/a");
        assert_int_equal(util_buf_append(&b, line, (size_t)k), 0);
    }
    assert_int_equal(util_buf_append(&b, "Ann,0161 496 0000,London\n", 26), 0); /* with the NUL */
    n = count(pii, b.data, b.len - 1, "PHONE_NUMBER", NULL, 0);
    util_buf_free(&b);
    assert_int_equal(n, 0); /* 94d33dc: 1 */
}

/* 2. A row longer than TABLE_LINE_MAX inside a table ends the walk: the row under it is the
 * header. */
static void adv67_known_long_row_makes_next_row_header(void **state)
{
    char *t = malloc(4096);
    int k = sprintf(t, "id,name,notes\nx,");
    memset(t + k, 'y', 1100);
    k += 1100;
    k += sprintf(t + k, ",z\nContact,Number,Text\nPerson 0 Someone,n/a,Someplace\nPerson 1 Someone,n/a,Someplace\n"
                        "Person 2 Someone,n/a,Someplace\nAnn,0161 496 0000,London\n");
    EXPECT_PHONES(t, ""); /* 94d33dc: 0161 496 0000 (the data row "Contact,Number,Text" as the header) */
    free(t);
}

/* 3. A line of prose holding the separator (a comma) is a row: it joins two tables into one block
 * (B's rows get A's header, B's own header ignored), or, as a title line over a table, is its
 * header (the real one ignored; when its comma count matches, its words are the context). */
static void adv67_known_prose_line_joins_tables(void **state)
{
    EXPECT_PHONES("name,phone,city\nPerson 0 Someone,n/a,Someplace\nPerson 1 Someone,n/a,Someplace\n"
                  "Ann,020 7946 0958,London\nOrders, all of them:\ncustomer,ref,total\nCustomer 0 Ltd,n/a,1\n"
                  "Customer 1 Ltd,n/a,1\nCustomer 2 Ltd,n/a,1\nACME,0161 496 0000,12\n",
                  "020 7946 0958"); /* 94d33dc: and 0161 496 0000 (A's "phone") */
    EXPECT_PHONES("Call me, text me, or whatever\nname,ref,city\nPerson 0 Someone,n/a,Someplace\n"
                  "Person 1 Someone,n/a,Someplace\nPerson 2 Someone,n/a,Someplace\nAnn,0161 496 0000,London\n",
                  ""); /* 94d33dc: 0161 496 0000 ("Call me" as the header of the ref column) */
    EXPECT_PHONES("Here is the list, as requested:\nname,phone,city\nPerson 0 Someone,n/a,Someplace\n"
                  "Person 1 Someone,n/a,Someplace\nPerson 2 Someone,n/a,Someplace\nAnn,020 7946 0958,London\n",
                  "020 7946 0958"); /* 94d33dc: none (the title line is the header, 2 cells) */
}

/* A second CSV right under the first, with as many cells and no line between: one block, whose
 * header is the first CSV's (a documented limit: nothing tells a header row from a data row) */
static void adv67_known_csv_right_under_csv(void **state)
{
    strict();
    EXPECT_PHONES("name,phone,city\nPerson 0 Someone,n/a,Someplace\nPerson 1 Someone,n/a,Someplace\n"
                  "Ann,020 7946 0958,London\ncustomer,ref,total\nCustomer 0 Ltd,n/a,1\n"
                  "Customer 1 Ltd,n/a,1\nCustomer 2 Ltd,n/a,1\nACME,0161 496 0000,12\n",
                  "020 7946 0958");
}

/* 4. HTML: a data row's own <th> (a row header, scope="row") is not counted as a column, and the
 * nearest line holding "<th" above is the header even when it is a data row: a vertical
 * key/value table gives each value the label of the row above. */
static void adv67_known_html_row_headers(void **state)
{
    EXPECT_PHONES("<table>\n<tr><th>Contact</th><td>Ann Marie Lee-Smithson, Head of Procurement, ACME</td></tr>\n"
                  "<tr><th>Account</th><td>0161 496 0000</td></tr>\n</table>\n",
                  ""); /* 94d33dc: 0161 496 0000 (under "Contact", the row above's label) */
    EXPECT_PHONES("<table>\n<tr><th>Name</th><th>Phone</th><th>Account</th></tr>\n"
                  "<tr><th>Person 0</th><td>n/a</td><td>n/a</td></tr>\n<tr><th>Person 1</th><td>n/a</td><td>n/a</td></tr>\n"
                  "<tr><th>Person 2</th><td>n/a</td><td>n/a</td></tr>\n<tr><th>Person 3</th><td>n/a</td><td>n/a</td></tr>\n"
                  "<tr><th>Bob</th><td>020 7946 0958</td><td>0161 496 0000</td></tr>\n</table>\n",
                  "020 7946 0958"); /* 94d33dc: none (Bob's row's header is "Person 3"'s row) */
}

/* 5. HTML column counting: colspan, a nested table's <td>s, and a header-less table right under
 * another table's rows ("<table" holds "<t": a row of the block) shift or borrow the header. */
static void adv67_known_html_columns(void **state)
{
    EXPECT_PHONES("<table>\n<tr><th colspan=\"2\">Name</th><th>Ref</th><th>Phone</th></tr>\n"
                  "<tr><td>P0</td><td>Q</td><td>n/a</td><td>n/a</td></tr>\n<tr><td>P1</td><td>Q</td><td>n/a</td><td>n/a</td></tr>\n"
                  "<tr><td>P2</td><td>Q</td><td>n/a</td><td>n/a</td></tr>\n<tr><td>P3</td><td>Q</td><td>n/a</td><td>n/a</td></tr>\n"
                  "<tr><td>Bob</td><td>Smith</td><td>0161 496 0000</td><td>020 7946 0958</td></tr>\n</table>\n",
                  ""); /* 94d33dc: 0161 496 0000 (the Ref column under "Phone"); now a table with colspan
                        * gives no header at all */
    EXPECT_PHONES("<table>\n<tr><th>Name</th><th>Ref</th><th>Phone</th></tr>\n"
                  "<tr><td>P0</td><td>n/a</td><td>n/a</td></tr>\n<tr><td>P1</td><td>n/a</td><td>n/a</td></tr>\n"
                  "<tr><td>P2</td><td>n/a</td><td>n/a</td></tr>\n<tr><td>P3</td><td>n/a</td><td>n/a</td></tr>\n"
                  "<tr><td><table><tr><td>Bob</td></tr></table></td><td>0161 496 0000</td><td>n/a</td></tr>\n</table>\n",
                  ""); /* 94d33dc: 0161 496 0000 (the nested <td> counted: under "Phone") */
    EXPECT_PHONES("<table><tr><th>Name</th><th>Phone</th></tr>\n<tr><td>P0</td><td>n/a</td></tr>\n"
                  "<tr><td>P1</td><td>n/a</td></tr>\n<tr><td>P2</td><td>n/a</td></tr>\n<tr><td>P3</td><td>n/a</td></tr>\n"
                  "<tr><td>Bob</td><td>n/a</td></tr></table>\n<table class=\"orders\">\n"
                  "<tr><td>Widget</td><td>0161 496 0000</td></tr>\n</table>\n",
                  ""); /* 94d33dc: 0161 496 0000 (the orders table under the first one's "Phone") */
}

/* 6. Headers that name an identifier, read as phone context through ctx_phone's generic words
 * ("number", "contact", "call", "text", "reach"): none of these are flagged at 728ea36. */
static void adv67_known_generic_header_words(void **state)
{
    static const char *const t[] = {
        "id,customer,account number\n0,Customer name,n/a\n1,Customer name,n/a\n2,Customer name,n/a\n"
        "7,ACME Trading Ltd,0532013000\n8,Globex,04 1234 5678\n",
        "id,customer,Contact ID\n0,Customer name,n/a\n1,Customer name,n/a\n2,Customer name,n/a\n"
        "7,ACME Trading Ltd,01234567890\n8,Globex,0312 345 6789\n",
        "Date,Agent,Call ID,Duration\n0,Agent name here,n/a,00:00:00\n1,Agent name here,n/a,00:00:00\n"
        "2,Agent name here,n/a,00:00:00\n2024-01-02,Ann,0312345678,00:04:12\n",
        "Student,Course,Student Number\nStudent 0,Course name here,n/a\nStudent 1,Course name here,n/a\n"
        "Student 2,Course name here,n/a\nAnn,Maths,0212345678\n",
        "Batch,Site,Number\nB 0,Site name here,n/a\nB 1,Site name here,n/a\nB 2,Site name here,n/a\n"
        "B7,Leeds,0044 2079 4609 58\n",
        "Year,Region,Reach\n2000,Region name,n/a\n2001,Region name,n/a\n2002,Region name,n/a\n2023,India,81234 56789\n",
        "Lot,Plant,Text\nL 0,Plant name here,n/a\nL 1,Plant name here,n/a\nL 2,Plant name here,n/a\n"
        "L7,Koeln,030 1234 5678\n",
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        EXPECT_PHONES(t[i], "");
}

/* 7. TABLE_LOOKUPS spent on 256 small tables (each its own block: one walk each) leaves every
 * later table without its header (HTML: but for the row right under the <th> line). */
static void adv67_known_small_tables_exhaust_lookups(void **state)
{
    struct util_buf b;
    util_buf_init(&b, 1 << 20);
    char line[128];
    for (int i = 0; i < 260; i++) {
        int k = snprintf(line, sizeof(line), "a,b,c\n%d,x,0161 496 %04d\n\n", i, i);
        assert_int_equal(util_buf_append(&b, line, (size_t)k), 0);
    }
    const char *tail = "name,phone,city\nPerson 0 Someone,n/a,Someplace\nPerson 1 Someone,n/a,Someplace\n"
                       "Person 2 Someone,n/a,Someplace\nAnn,020 7946 0958,London\n";
    assert_int_equal(util_buf_append(&b, tail, strlen(tail) + 1), 0);
    char w[64];
    size_t n = count(pii, b.data, b.len - 1, "PHONE_NUMBER", NULL, 0);
    (void)w;
    util_buf_free(&b);
    assert_int_equal(n, 2); /* 94d33dc: 1 (the last small table's, by "phone" 32 bytes on) */
}

/* A scan walks at most TABLE_WALK_BYTES (1 MB) up from cells whose walk finds no cached block:
 * after three tall tables whose last rows' headers are out of reach (512 rows of ~1 KB each), a
 * later table's header is not looked for; the same table alone has it. */
static void walking_budget_bounds_a_scan(void **state)
{
    static const char *const table = "name,phone,city\nPerson 0 Someone,n/a,Someplace\nPerson 1 Someone,n/a,Someplace\n"
                                     "Person 2 Someone,n/a,Someplace\nAnn,020 7946 0958,London\n";
    assert_int_equal(count(pii, table, strlen(table), "PHONE_NUMBER", NULL, 0), 1);
    struct util_buf b;
    util_buf_init(&b, 2u << 20);
    char row[1024];
    memset(row, 'y', sizeof(row));
    row[0] = 'x';
    row[1] = ',';
    memcpy(row + 1000, ",z\n", 3);
    for (int t = 0; t < 3; t++) {
        for (int i = 0; i < 600; i++)
            assert_int_equal(util_buf_append(&b, row, 1003), 0);
        /* then prose (no context word within 64 bytes of the next number) */
        const char *last = "x,y,0161 496 0000\n\nThat was the whole export; the next one follows after this short note.\n\n";
        assert_int_equal(util_buf_append(&b, last, strlen(last)), 0);
    }
    assert_int_equal(util_buf_append(&b, table, strlen(table) + 1), 0);
    size_t n = count(pii, b.data, b.len - 1, "PHONE_NUMBER", NULL, 0);
    util_buf_free(&b);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(walking_budget_bounds_a_scan),
        cmocka_unit_test(held_hostile_tables_scan_safely),
        cmocka_unit_test(held_new_rules_same_streamed),
        cmocka_unit_test(held_intended_findings),
        cmocka_unit_test(known_stream_loses_table_header),
        cmocka_unit_test(known_long_table_rows_lose_header),
        cmocka_unit_test(known_lookups_exhausted_by_decoys),
        cmocka_unit_test(known_header_negative_label_ignored),
        cmocka_unit_test(known_thead_shifts_columns),
        cmocka_unit_test(known_333_thousands_flagged),
        cmocka_unit_test(known_00_rule_without_context),
        cmocka_unit_test(known_shell_substitution_hides_secret),
        cmocka_unit_test(known_ampersand_cuts_password),
        cmocka_unit_test(adv67_held_columns),
        cmocka_unit_test(adv67_held_random_tables_scan_safely),
        cmocka_unit_test(adv67_known_walk_limit_takes_data_row_as_header),
        cmocka_unit_test(adv67_known_long_row_makes_next_row_header),
        cmocka_unit_test(adv67_known_prose_line_joins_tables),
        cmocka_unit_test(adv67_known_csv_right_under_csv),
        cmocka_unit_test(adv67_known_html_row_headers),
        cmocka_unit_test(adv67_known_html_columns),
        cmocka_unit_test(adv67_known_generic_header_words),
        cmocka_unit_test(adv67_known_small_tables_exhaust_lookups),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
