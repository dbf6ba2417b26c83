#include "api/sse.h"

#include <string.h>

#include "util/err.h"

void sse_parser_init(struct sse_parser *p, size_t max_event)
{
    util_buf_init(&p->line, max_event);
    util_buf_init(&p->data, max_event);
    p->event_bytes = 0;
    p->overflow = 0;
    p->has_data = 0;
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
    }
    /* comments (":") and other fields (event, id, retry) are ignored */
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
