#include "api/sse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_span.h"
#include "util/alloc.h"
#include "util/err.h"
#include "util/fmt.h"

/* The per-event state: nothing of an event read yet. */
static void event_state_clear(struct sse_parser *p)
{
    p->event_bytes = 0;
    p->overflow = 0;
    p->has_data = 0;
    p->data_lines = 0;
    p->other_lines = 0;
    p->raw = NULL;
    p->raw_len = 0;
}

void sse_parser_init(struct sse_parser *p, size_t max_event)
{
    util_buf_init(&p->line, max_event);
    util_buf_init(&p->data, max_event);
    event_state_clear(p);
}

void sse_parser_reset(struct sse_parser *p)
{
    util_buf_reset(&p->line);
    util_buf_reset(&p->data);
    event_state_clear(p);
}

void sse_parser_free(struct sse_parser *p)
{
    util_buf_free(&p->line);
    util_buf_free(&p->data);
}

/* One complete line (without its '\n'). */
static int on_line(struct sse_parser *p, const char *l, size_t n, sse_event_cb cb, void *ud)
{
    if (n > 0 && l[n - 1] == '\r')
        n--;
    if (n == 0) {
        /* blank line: dispatch the event, if it had data */
        int rc = 0;
        if (p->has_data)
            rc = cb(ud, p->data.data ? p->data.data : "", p->data.len);
        util_buf_reset(&p->data);
        p->has_data = 0;
        p->data_lines = 0;
        p->other_lines = 0;
        p->event_bytes = 0;
        return rc;
    }
    if (n >= 5 && memcmp(l, "data:", 5) == 0) {
        const char *v = l + 5;
        size_t vn = n - 5;
        if (vn > 0 && *v == ' ') {
            v++;
            vn--;
        }
        if (p->has_data && util_buf_append(&p->data, "\n", 1) != 0)
            p->overflow = 1;
        if (util_buf_append(&p->data, v, vn) != 0)
            p->overflow = 1;
        p->has_data = 1;
        p->data_lines++;
    } else {
        p->other_lines++; /* comments (":") and other fields (event, id, retry) are ignored */
    }
    return 0;
}

/* Complete lines are handled in place; only a line split across feeds is copied. */
int sse_parser_feed(struct sse_parser *p, const char *bytes, size_t len, sse_event_cb cb, void *ud)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(bytes + i, '\n', len - i);
        size_t take = nl ? (size_t)(nl - (bytes + i)) : len - i;
        p->event_bytes += take + (nl ? 1 : 0);
        if (nl == NULL || p->line.len > 0) {
            if (util_buf_append(&p->line, bytes + i, take) != 0) {
                p->overflow = 1;
                return WARDEN_ETOOBIG;
            }
        } else if (take > p->line.limit) {
            /* the same cap as a line assembled across feeds */
            p->overflow = 1;
            return WARDEN_ETOOBIG;
        }
        i += take;
        if (nl == NULL)
            break;
        i++;
        int rc;
        /* the common event, "data: {...}\n\n" whole in this feed: dispatched in place (the
         * same as on_line twice, without copying the data) */
        if (p->line.len == 0 && !p->has_data && i < len && bytes[i] == '\n' && take >= 5 && nl[-1] != '\r' &&
            memcmp(nl - take, "data:", 5) == 0) {
            const char *v = nl - take + 5;
            size_t vn = take - 5;
            if (vn > 0 && *v == ' ')
                v++, vn--;
            i++;
            p->event_bytes++; /* the blank line */
            p->data_lines = 1;
            p->raw = nl - take;
            p->raw_len = take + 2;
            rc = cb(ud, v, vn);
            p->raw = NULL;
            p->event_bytes = 0;
            p->data_lines = 0;
            p->other_lines = 0;
            if (rc != 0)
                return rc;
            continue;
        }
        if (p->line.len > 0) {
            rc = on_line(p, p->line.data, p->line.len, cb, ud);
            util_buf_reset(&p->line);
        } else {
            rc = on_line(p, nl - take, take, cb, ud);
        }
        if (rc != 0)
            return rc;
        if (p->overflow)
            return WARDEN_ETOOBIG;
    }
    return 0;
}

/* ---- byte-level JSON helpers ---- */

static int put_utf8(struct util_buf *out, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6)), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12)), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18)), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F)), b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)),
        b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    return util_buf_append(out, b, n);
}

int sse_json_string_decode(const char *json, size_t start, size_t end, struct util_buf *out)
{
    if (end < start + 2 || json[start] != '"' || json[end - 1] != '"')
        return WARDEN_EINVAL;
    size_t i = start + 1, last = end - 1;
    while (i < last) {
        const char *bs = memchr(json + i, '\\', last - i);
        size_t run = bs ? (size_t)(bs - (json + i)) : last - i;
        if (run > 0 && util_buf_append(out, json + i, run) != 0)
            return WARDEN_ETOOBIG;
        i += run;
        if (i >= last)
            break;
        if (i + 1 >= last)
            return WARDEN_EINVAL;
        char c = json[i + 1], e = 0;
        switch (c) {
        case '"': e = '"'; break;
        case '\\': e = '\\'; break;
        case '/': e = '/'; break;
        case 'b': e = '\b'; break;
        case 'f': e = '\f'; break;
        case 'n': e = '\n'; break;
        case 'r': e = '\r'; break;
        case 't': e = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (i + 6 > last || util_hex4(json + i + 2, &cp) != 0)
                return WARDEN_EINVAL;
            i += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= last && json[i] == '\\' && json[i + 1] == 'u' &&
                util_hex4(json + i + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            if (put_utf8(out, cp) != 0)
                return WARDEN_ETOOBIG;
            continue;
        }
        default:
            return WARDEN_EINVAL;
        }
        if (util_buf_append(out, &e, 1) != 0)
            return WARDEN_ETOOBIG;
        i += 2;
    }
    return 0;
}

int sse_json_key_is(const char *json, size_t ks, size_t ke, const char *name)
{
    if (ke < ks + 2)
        return 0;
    /* the common case, a key spelled plainly: compared in place (a name holds no backslash,
     * so an equal literal is an unescaped one) */
    const char *k = json + ks + 1;
    size_t klen = ke - ks - 2, i = 0;
    while (i < klen && name[i] != '\0' && k[i] == name[i])
        i++;
    if (i == klen && name[i] == '\0')
        return 1;
    if (memchr(k, '\\', klen) == NULL)
        return 0;
    size_t n = strlen(name);
    char tmp[64];
    struct util_buf b = {.data = NULL};
    util_buf_init(&b, sizeof(tmp));
    int eq = sse_json_string_decode(json, ks, ke, &b) == 0 && b.len == n && memcmp(b.data, name, n) == 0;
    util_buf_free(&b);
    return eq;
}

/* ---- the token tape ---- */

_Static_assert(sizeof(size_t) >= 8, "a tape position packs two 32-bit token indices");

struct tape_builder {
    const char *s, *p, *e;
    struct sse_json_tape *t;
};

static const char *tape_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static size_t tape_push(struct tape_builder *b, const char *at, char type)
{
    struct sse_json_tape *t = b->t;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->tok = util_realloc(t->tok, t->cap * sizeof(*t->tok));
    }
    t->tok[t->n] = (struct sse_json_tok){.start = (unsigned)(at - b->s), .type = type};
    return t->n++;
}

/* A string literal at b->p (a key or a value); the same checks as the validator's. */
static int tape_string(struct tape_builder *b)
{
    int escaped = 0;
    const char *msg = NULL;
    size_t i = tape_push(b, b->p, '"');
    const char *q = json_span_string_end(b->p, b->e, &escaped, &msg);
    if (msg != NULL)
        return -1;
    struct sse_json_tok *k = &b->t->tok[i];
    k->end = (unsigned)(q - b->s);
    k->next = (unsigned)(i + 1);
    b->p = q;
    return 0;
}

static int tape_literal(struct tape_builder *b, const char *lit, size_t n)
{
    if ((size_t)(b->e - b->p) < n || memcmp(b->p, lit, n) != 0)
        return -1;
    b->p += n;
    return 0;
}

/* After a member or element: 1 if another follows (','), 0 at `close`, -1 otherwise. */
static int tape_after_item(struct tape_builder *b, char close)
{
    b->p = tape_ws(b->p, b->e);
    if (b->p < b->e && (*b->p == ',' || *b->p == close))
        return *b->p++ == ',';
    return -1;
}

/* The value of token i ends here; the tokens after it are not inside it. */
static int tape_close(struct tape_builder *b, size_t i)
{
    struct sse_json_tok *k = &b->t->tok[i];
    k->end = (unsigned)(b->p - b->s);
    k->next = (unsigned)b->t->n;
    return 0;
}

/* One value: the grammar of json_span.c's v_value (the same whitespace, nesting limit,
 * literals, numbers and string rules), recording each key and value on the way. */
static int tape_value(struct tape_builder *b, int depth)
{
    b->p = tape_ws(b->p, b->e);
    if (b->p >= b->e || depth > 256)
        return -1;
    char c = *b->p;
    if (c == '"')
        return tape_string(b);
    size_t i = tape_push(b, b->p, json_span_type(b->p));
    int rc = 0;
    switch (c) {
    case 't':
        rc = tape_literal(b, "true", 4);
        break;
    case 'f':
        rc = tape_literal(b, "false", 5);
        break;
    case 'n':
        rc = tape_literal(b, "null", 4);
        break;
    case '{':
        b->p = tape_ws(b->p + 1, b->e);
        if (b->p < b->e && *b->p == '}') {
            b->p++;
            break;
        }
        for (;;) {
            b->p = tape_ws(b->p, b->e);
            if (b->p >= b->e || *b->p != '"' || tape_string(b) != 0)
                return -1;
            b->p = tape_ws(b->p, b->e);
            if (b->p >= b->e || *b->p != ':')
                return -1;
            b->p++;
            if (tape_value(b, depth + 1) != 0)
                return -1;
            int more = tape_after_item(b, '}');
            if (more <= 0)
                return more < 0 ? -1 : tape_close(b, i);
        }
    case '[':
        b->p = tape_ws(b->p + 1, b->e);
        if (b->p < b->e && *b->p == ']') {
            b->p++;
            break;
        }
        for (;;) {
            if (tape_value(b, depth + 1) != 0)
                return -1;
            int more = tape_after_item(b, ']');
            if (more <= 0)
                return more < 0 ? -1 : tape_close(b, i);
        }
    default: {
        if (c != '-' && (c < '0' || c > '9'))
            return -1;
        const char *q = json_span_number_end(b->p, b->e);
        if (q == NULL)
            return -1;
        b->p = q;
    }
    }
    return rc != 0 ? -1 : tape_close(b, i);
}

int sse_json_tape_build(struct sse_json_tape *t, const char *json, size_t len)
{
    struct tape_builder b = {json, json, json + len, t};
    t->n = 0;
    if (len >= UINT32_MAX || tape_value(&b, 0) != 0)
        return -1;
    return tape_ws(b.p, b.e) == b.e ? 0 : -1;
}

void sse_json_tape_trim(struct sse_json_tape *t, size_t keep)
{
    if (t->cap > keep)
        sse_json_tape_free(t);
}

void sse_json_tape_free(struct sse_json_tape *t)
{
    free(t->tok);
    t->tok = NULL;
    t->n = t->cap = 0;
}

/* The token of the value that starts at byte `start`, or SIZE_MAX: tokens start at
 * strictly increasing offsets, so a binary search finds it. */
static size_t tape_find(const struct sse_json_tape *t, size_t start)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->tok[mid].start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n && t->tok[lo].start == start ? lo : SIZE_MAX;
}

/* *pos packs the container's token (high half) and the next child's token (low half);
 * 0 before the first call (a child's token is never 0). */
static int tape_child(const struct sse_json_tape *t, size_t start, char type, size_t *pos, size_t *child)
{
    size_t c, k;
    if (*pos == 0) {
        c = tape_find(t, start);
        if (c == SIZE_MAX || t->tok[c].type != type)
            return 0;
        k = c + 1;
    } else {
        c = (size_t)(*pos >> 32);
        k = (size_t)(*pos & 0xFFFFFFFFu);
    }
    if (k >= t->tok[c].next)
        return 0;
    *child = k;
    *pos = (uint64_t)c << 32 | 0; /* the caller completes the low half */
    return 1;
}

int sse_json_tape_object_next(const struct sse_json_tape *t, size_t start, size_t *pos, size_t *ks, size_t *ke, size_t *vs,
                              size_t *ve)
{
    size_t k;
    if (!tape_child(t, start, '{', pos, &k))
        return 0;
    const struct sse_json_tok *key = &t->tok[k], *val = &t->tok[k + 1];
    *ks = key->start;
    *ke = key->end;
    *vs = val->start;
    *ve = val->end;
    *pos |= val->next;
    return 1;
}

int sse_json_tape_array_next(const struct sse_json_tape *t, size_t start, size_t *pos, size_t *es, size_t *ee)
{
    size_t k;
    if (!tape_child(t, start, '[', pos, &k))
        return 0;
    const struct sse_json_tok *el = &t->tok[k];
    *es = el->start;
    *ee = el->end;
    *pos |= el->next;
    return 1;
}
