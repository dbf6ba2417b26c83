/* The syntax of prompt templates ("Sentiment of: {{text}}", "{{steps.summary}}"): a
 * lexer only, shared by the config loader (which checks every reference at load) and the
 * fan-out filler (which fills them at run time), so both read templates the same way.
 *
 * A template is literal text with references "{{ path }}": path is one or more segments
 * of [A-Za-z0-9_-] joined by '.', optionally surrounded by blanks. Any other "{{" is an
 * error (a template cannot hold a literal "{{"); a single '{' or '}' is literal text. */
#ifndef WARDEN_UTIL_TEMPLATE_H
#define WARDEN_UTIL_TEMPLATE_H

#include <stddef.h>

struct util_tmpl_tok {
    int is_ref;     /* 0: literal text s[0..len); 1: a reference, s[0..len) is its path */
    const char *s;
    size_t len;
    size_t at;      /* offset of the token in the template */
};

/* Reads the token at *pos of t[0..len) and advances *pos past it. Returns 1 with a token,
 * 0 at the end, -1 on a malformed reference (*why says what is wrong; *pos is left at it). */
int util_tmpl_next(const char *t, size_t len, size_t *pos, struct util_tmpl_tok *tok, const char **why);

/* The n-th '.'-separated segment of a reference path (0-based); 0 when there is none. */
int util_tmpl_segment(const char *path, size_t len, size_t n, const char **seg, size_t *seg_len);

#endif
