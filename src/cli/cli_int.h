/* Internals shared by the sub-commands. */
#ifndef WARDEN_CLI_INT_H
#define WARDEN_CLI_INT_H

#include <jansson.h>
#include <stddef.h>

/* Reads a whole file (at most max bytes) into a NUL-terminated malloc'd buffer. */
char *cli_read_file(const char *path, size_t max, size_t *len, char *err, size_t errsz);

/* Label values that count as the positive class: a comma-separated list, or NULL for
 * the defaults (1, true, yes, toxic, positive, injection, unsafe, spam; case-insensitive). */
struct cli_labels {
    char **values;
    size_t n;
};
void cli_labels_parse(struct cli_labels *l, const char *csv);
int cli_label_is_positive(const struct cli_labels *l, const char *value);
void cli_labels_free(struct cli_labels *l);

/* A JSON label as text: a string as is, an integer in decimal, a boolean as true/false;
 * NULL for anything else. buf holds the converted forms. */
const char *cli_label_string(json_t *label, char *buf, size_t bufsz);

/* Reads a CSV with a header naming text_col and label_col and calls on_row for each row
 * with the text (the callee takes it: free() it) and the label. Errors are printed as
 * "warden TOOL: FILE[:LINE]: message"; returns 0 or -1 (also when on_row returns non-zero). */
typedef int (*cli_row_fn)(void *ud, char *text_take, const char *label);
int cli_read_labelled_csv(const char *tool, const char *path, const char *text_col, const char *label_col, cli_row_fn on_row,
                          void *ud);

/* Precision, recall and F1 from counts (0 when undefined). */
struct cli_prf {
    double precision, recall, f1;
};
struct cli_prf cli_prf_of(size_t tp, size_t fp, size_t fn);

#endif
