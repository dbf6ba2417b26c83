/* CSV reader. See csv.h. */
#include "util/csv.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"

#define CSV_FIELD_MAX (16 * 1024 * 1024)

struct util_csv util_csv_start(const char *text, size_t len)
{
    struct util_csv c = {text, text + len, 1};
    return c;
}

void util_csv_fields_free(char **fields, int n)
{
    for (int i = 0; fields && i < n; i++)
        free(fields[i]);
    free(fields);
}

int util_csv_column(char **header, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(header[i], name) == 0)
            return i;
    return -1;
}

int util_csv_next(struct util_csv *c, char ***out, char *err, size_t errsz)
{
    *out = NULL;
    while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) { /* empty lines */
        if (*c->p == '\n')
            c->line++;
        c->p++;
    }
    if (c->p >= c->end)
        return 0;
    char **fields = NULL;
    int n = 0, cap = 0;
    struct util_buf f;
    util_buf_init(&f, CSV_FIELD_MAX);
    int start_line = c->line;
    for (;;) {
        util_buf_reset(&f);
        if (c->p < c->end && *c->p == '"') {
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    util_set_err(err, errsz, "line %d: unterminated quoted field", start_line);
                    goto fail;
                }
                if (*c->p == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        util_buf_append(&f, "\"", 1);
                        c->p += 2;
                        continue;
                    }
                    c->p++;
                    break;
                }
                if (*c->p == '\n')
                    c->line++;
                if (util_buf_append(&f, c->p, 1) != 0) {
                    util_set_err(err, errsz, "line %d: field longer than %d bytes", start_line, CSV_FIELD_MAX);
                    goto fail;
                }
                c->p++;
            }
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
                util_set_err(err, errsz, "line %d: unexpected character after a closing quote", c->line);
                goto fail;
            }
        } else {
            const char *s = c->p;
            while (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r')
                c->p++;
            if (util_buf_append(&f, s, (size_t)(c->p - s)) != 0) {
                util_set_err(err, errsz, "line %d: field longer than %d bytes", start_line, CSV_FIELD_MAX);
                goto fail;
            }
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            fields = util_realloc(fields, (size_t)cap * sizeof(*fields));
        }
        fields[n++] = util_strndup(f.data ? f.data : "", f.len);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '\r')
            c->p++;
        if (c->p < c->end && *c->p == '\n') {
            c->p++;
            c->line++;
        }
        break;
    }
    util_buf_free(&f);
    *out = fields;
    return n;
fail:
    util_buf_free(&f);
    util_csv_fields_free(fields, n);
    return WARDEN_EINVAL;
}
