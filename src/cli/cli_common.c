/* Helpers shared by warden train and warden eval. */
#include "cli/cli_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/csv.h"
#include "util/err.h"

#define CLI_FILE_MAX ((size_t)1 << 30)

char *cli_read_file(const char *path, size_t max, size_t *len, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        util_set_err(err, errsz, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = util_malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            if (cap >= max) {
                util_set_err(err, errsz, "%s is larger than %zu bytes", path, max);
                free(buf);
                fclose(f);
                return NULL;
            }
            cap = cap * 2 > max ? max : cap * 2;
            buf = util_realloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        util_set_err(err, errsz, "cannot read %s", path);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

void cli_labels_parse(struct cli_labels *l, const char *csv)
{
    static const char *const defaults = "1,true,yes,toxic,positive,injection,unsafe,spam";
    const char *s = csv ? csv : defaults;
    l->values = NULL;
    l->n = 0;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t k = e ? (size_t)(e - s) : strlen(s);
        l->values = util_realloc(l->values, (l->n + 1) * sizeof(char *));
        l->values[l->n++] = util_strndup(s, k);
        s += k + (e ? 1 : 0);
    }
}

int cli_label_is_positive(const struct cli_labels *l, const char *value)
{
    while (*value == ' ')
        value++;
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->values[i], value) == 0)
            return 1;
    return 0;
}

void cli_labels_free(struct cli_labels *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->values[i]);
    free(l->values);
    l->values = NULL;
    l->n = 0;
}

struct cli_prf cli_prf_of(size_t tp, size_t fp, size_t fn)
{
    struct cli_prf r = {0, 0, 0};
    if (tp + fp > 0)
        r.precision = (double)tp / (double)(tp + fp);
    if (tp + fn > 0)
        r.recall = (double)tp / (double)(tp + fn);
    if (r.precision + r.recall > 0)
        r.f1 = 2 * r.precision * r.recall / (r.precision + r.recall);
    return r;
}

const char *cli_label_string(json_t *label, char *buf, size_t bufsz)
{
    if (json_is_string(label))
        return json_string_value(label);
    if (json_is_integer(label)) {
        snprintf(buf, bufsz, "%lld", (long long)json_integer_value(label));
        return buf;
    }
    if (json_is_boolean(label))
        return json_is_true(label) ? "true" : "false";
    return NULL;
}

int cli_read_labelled_csv(const char *tool, const char *path, const char *text_col, const char *label_col, cli_row_fn on_row,
                          void *ud)
{
    char err[512];
    size_t len;
    char *text = cli_read_file(path, CLI_FILE_MAX, &len, err, sizeof(err));
    if (text == NULL) {
        fprintf(stderr, "warden %s: %s\n", tool, err);
        return -1;
    }
    struct util_csv c = util_csv_start(text, len);
    char **hdr;
    int nh = util_csv_next(&c, &hdr, err, sizeof(err));
    if (nh <= 0) {
        fprintf(stderr, "warden %s: %s: %s\n", tool, path, nh < 0 ? err : "empty file");
        free(text);
        return -1;
    }
    int ti = util_csv_column(hdr, nh, text_col), li = util_csv_column(hdr, nh, label_col);
    util_csv_fields_free(hdr, nh);
    if (ti < 0 || li < 0) {
        fprintf(stderr, "warden %s: %s: no column named '%s' in the header\n", tool, path, ti < 0 ? text_col : label_col);
        free(text);
        return -1;
    }
    int rc = 0;
    for (;;) {
        char **f;
        int line = c.line;
        int n = util_csv_next(&c, &f, err, sizeof(err));
        if (n == 0)
            break;
        if (n < 0 || n <= ti || n <= li) {
            if (n < 0)
                fprintf(stderr, "warden %s: %s: %s\n", tool, path, err);
            else
                fprintf(stderr, "warden %s: %s:%d: %d fields, the header has more\n", tool, path, line, n);
            util_csv_fields_free(f, n > 0 ? n : 0);
            rc = -1;
            break;
        }
        char *t = f[ti];
        f[ti] = NULL;
        rc = on_row(ud, t, f[li]);
        util_csv_fields_free(f, n);
        if (rc != 0) {
            rc = -1;
            break;
        }
    }
    free(text);
    return rc;
}
