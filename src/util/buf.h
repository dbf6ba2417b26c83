/* A growable byte buffer with a hard cap fixed at creation (curl's dynbuf).
 * Appending past the cap fails with WARDEN_ETOOBIG and leaves the contents as
 * they were, so no input can make a buffer grow without bound. The data is
 * always NUL-terminated for convenience; len does not count the NUL. */
#ifndef WARDEN_UTIL_BUF_H
#define WARDEN_UTIL_BUF_H

#include <stddef.h>
#include <string.h>

struct util_buf {
    char *data;   /* NULL until the first append */
    size_t len;
    size_t cap;   /* allocated bytes (private) */
    size_t limit; /* the most len may reach */
};

void util_buf_init(struct util_buf *b, size_t limit);
/* Appends len bytes; WARDEN_ETOOBIG past the limit (the contents are kept as they were). */
int util_buf_append_grow(struct util_buf *b, const void *data, size_t len);
/* Inline: the stream paths append a few bytes many times per event; only growth (or
 * the limit) takes the call. */
static inline int util_buf_append(struct util_buf *b, const void *data, size_t len)
{
    if (len >= b->cap - b->len || len > b->limit - b->len)
        return util_buf_append_grow(b, data, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}
int util_buf_appendf(struct util_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (quotes included); invalid UTF-8 bytes become U+FFFD. */
int util_buf_append_json_string(struct util_buf *b, const char *s, size_t len);
/* The same without the quotes: s as the content of a JSON string. */
int util_buf_append_json_chars(struct util_buf *b, const char *s, size_t len);
/* Drops the first n bytes, keeping the rest (used by sliding windows). */
void util_buf_consume(struct util_buf *b, size_t n);
static inline void util_buf_reset(struct util_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}
/* Hands the bytes to the caller (free() them); the buffer is left empty. */
char *util_buf_take(struct util_buf *b, size_t *len);
void util_buf_free(struct util_buf *b);

#endif
