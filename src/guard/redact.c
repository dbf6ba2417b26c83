/* Redaction of findings. See redact.h. */
#include "guard/redact.h"

#include <stdint.h>
#include <string.h>

#include "guard/placeholder.h"
#include "util/buf.h"

char *guard_redact_apply(const char *text, size_t len, const struct guard_finding *f, size_t n, enum config_redaction mode,
                         struct guard_placeholders *map, int json, size_t *outlen)
{
    struct util_buf out;
    util_buf_init(&out, SIZE_MAX);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i].start < at || f[i].end > len || f[i].end <= f[i].start)
            continue; /* overlapping or out of range: the caller broke the contract; never copy past the text */
        util_buf_append(&out, text + at, f[i].start - at);
        const char *ph = NULL;
        size_t ph_len = 0;
        if (mode != CONFIG_REDACT_MASK && map != NULL) {
            const char *v = text + f[i].start;
            size_t vl = f[i].end - f[i].start;
            ph = json ? guard_placeholders_add_json(map, f[i].type, v, vl, &ph_len)
                      : guard_placeholders_add(map, f[i].type, v, vl, &ph_len);
        }
        if (ph == NULL) {
            ph = GUARD_MASK;
            ph_len = sizeof(GUARD_MASK) - 1;
        }
        util_buf_append(&out, ph, ph_len);
        at = f[i].end;
    }
    util_buf_append(&out, text + at, len - at);
    return util_buf_take(&out, outlen);
}
