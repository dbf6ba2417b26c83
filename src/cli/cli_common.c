/* Helpers shared by warden train and warden eval. */
#include "cli/cli_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/err.h"

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
