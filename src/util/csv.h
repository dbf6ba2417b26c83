/* A reader for CSV text (RFC 4180): comma-separated fields, optionally in
 * double quotes, "" for a quote inside quotes, quoted fields may span lines,
 * CRLF or LF line ends. The caller owns the text; fields are copied.
 *
 *   struct util_csv c = util_csv_start(text, len);
 *   while ((n = util_csv_next(&c, &fields, err, errsz)) > 0) { ...; util_csv_fields_free(fields, n); }
 *
 * util_csv_next returns the number of fields of the next record, 0 at the end,
 * or WARDEN_EINVAL with "line N: message" in err (an unterminated quote, or a
 * character after a closing quote). Empty lines are skipped. */
#ifndef WARDEN_UTIL_CSV_H
#define WARDEN_UTIL_CSV_H

#include <stddef.h>

struct util_csv {
    const char *p, *end;
    int line; /* line of the next record, from 1 */
};

struct util_csv util_csv_start(const char *text, size_t len);
int util_csv_next(struct util_csv *c, char ***fields, char *err, size_t errsz);
void util_csv_fields_free(char **fields, int n);
/* Index of name in a header record, or -1. */
int util_csv_column(char **header, int n, const char *name);

#endif
