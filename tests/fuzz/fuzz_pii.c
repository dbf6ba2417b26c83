/* Fuzz target for the pii and secrets guardrails: arbitrary bytes through
 * both detect sets (with a custom recognizer that takes the PCRE2 path), then
 * the typed redaction and the placeholder restorers. Checks, besides memory
 * safety: findings lie inside the text, sorted and non-overlapping;
 * redacting valid UTF-8 gives valid UTF-8 (so it always fits in JSON);
 * restoring a redaction of plain text gives exactly the original back, and
 * the stream restorer, fed in two pieces split anywhere, agrees with the
 * one-shot restore; the same for the input read as JSON (tool-call
 * arguments: values named by what their escapes decode to, restored escaped).
 *
 *   tests/fuzz/run.sh pii          (FUZZ_SECONDS=60 for longer) */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "guard/detect.h"
#include "guard/pii.h"
#include "guard/placeholder.h"
#include "guard/redact.h"
#include "guard/secrets.h"
#include "util/buf.h"
#include "util/json_text.h"

static struct config *cfg;
static struct detect_set *pii, *secrets;
static struct detect_scratch *scratch;

static void setup(void)
{
    static const char yaml[] = "providers: [{name: p, base_url: \"http://h\"}]\n"
                               "models: [{name: m, targets: [{provider: p, model: x}]}]\n"
                               "guardrails:\n"
                               "  - {name: p, type: pii, score_threshold: 0.3,\n"
                               "     recognizers: [{name: LOOK, regex: \"id(?=[0-9])[0-9]{3,}\", validator: luhn}]}\n"
                               "  - {name: s, type: secrets}\n";
    char err[512];
    cfg = config_load_string(yaml, sizeof(yaml) - 1, "fuzz.yaml", err, sizeof(err));
    if (!cfg)
        abort();
    pii = guard_pii_compile(&cfg->guardrails[0], err, sizeof(err));
    secrets = guard_secrets_compile(&cfg->guardrails[1], err, sizeof(err));
    if (!pii || !secrets)
        abort();
    scratch = detect_scratch_new();
}

/* The stream restorer (plain or JSON), fed red in two pieces cut at cut, gives what the
 * one-shot restore gives. */
static void restorers_agree(const struct guard_placeholders *map, const char *red, size_t rl, size_t cut, int json)
{
    struct guard_restorer *r = json ? guard_restorer_new_json(map) : guard_restorer_new(map);
    struct util_buf out;
    util_buf_init(&out, SIZE_MAX);
    guard_restorer_feed(r, red, cut, &out);
    guard_restorer_feed(r, red + cut, rl - cut, &out);
    guard_restorer_finish(r, &out);
    size_t ol;
    char *once = json ? guard_placeholders_restore_json(map, red, rl, &ol) : guard_placeholders_restore(map, red, rl, &ol);
    const char *w = once ? once : red;
    size_t wl = once ? ol : rl;
    if (out.len != wl || (wl && memcmp(out.data, w, wl) != 0))
        abort();
    free(once);
    util_buf_free(&out);
    guard_restorer_free(r);
}

/* jansson validates UTF-8 (NUL bytes allowed): what fits in a JSON string */
static int utf8_valid(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    json_decref(j);
    return j != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cfg)
        setup();
    const char *text = (const char *)data;
    struct guard_finding *f = NULL;
    size_t n = 0, cap = 0;
    if (detect_scan(pii, scratch, text, size, 0, 0.3, &f, &n, &cap) < 0)
        goto out;
    size_t n_pii = n;
    if (detect_scan(secrets, scratch, text, size, 0, 0.5, &f, &n, &cap) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (f[i].start >= f[i].end || f[i].end > size)
            abort();
        if (i > 0 && i != n_pii && f[i].start < f[i - 1].end)
            abort(); /* each set's findings are sorted and do not overlap */
    }
    /* redact the pii findings (a consistent, non-overlapping list) */
    struct guard_placeholders *map = guard_placeholders_new();
    /* what the text already spells as <TYPE_n> is reserved, so restoring gives back exactly the
     * text, placeholder-looking strings and all */
    guard_placeholders_reserve(map, text, size);
    size_t rl;
    char *red = guard_redact_apply(text, size, f, n_pii, CONFIG_REDACT_TYPED, map, 0, &rl);
    if (utf8_valid(text, size) && !utf8_valid(red, rl))
        abort();
    {
        size_t bl;
        char *back = guard_placeholders_restore(map, red, rl, &bl);
        const char *b = back ? back : red;
        size_t blen = back ? bl : rl;
        if (blen != size || memcmp(b, text, size) != 0)
            abort();
        free(back);
    }
    /* the stream restorer, split at a point taken from the input, agrees with restore */
    restorers_agree(map, red, rl, size ? data[0] % (rl + 1) : 0, 0);
    free(red);
    guard_placeholders_free(map);
    /* the input read as JSON (tool-call arguments) */
    map = guard_placeholders_new();
    red = guard_redact_apply(text, size, f, n_pii, CONFIG_REDACT_REVERSIBLE, map, 1, &rl);
    if (utf8_valid(text, size) && !utf8_valid(red, rl))
        abort();
    /* each finding's value is what it decodes to: already in the map, and restored as such */
    size_t known = guard_placeholders_count(map);
    for (size_t i = 0; i < n_pii && i < 8; i++) {
        const char *v = text + f[i].start;
        size_t vl = f[i].end - f[i].start, pl, bl;
        char *decoded = malloc(vl);
        size_t dl = util_json_unescape_once(v, vl, decoded);
        const char *ph = guard_placeholders_add(map, f[i].type, decoded, dl, &pl);
        char *back = ph ? guard_placeholders_restore(map, ph, pl, &bl) : NULL;
        if (ph == NULL || guard_placeholders_count(map) != known || back == NULL || bl != dl || memcmp(back, decoded, dl) != 0)
            abort();
        free(back);
        free(decoded);
    }
    /* restoring into JSON, streamed or not: the same */
    restorers_agree(map, red, rl, size ? data[size - 1] % (rl + 1) : 0, 1);
    free(red);
    guard_placeholders_free(map);
out:
    free(f);
    return 0;
}
