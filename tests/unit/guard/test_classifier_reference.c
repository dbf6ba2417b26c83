/* The classifier's fast inference (src/guard/classifier.c: byte-map normalisation,
 * n-gram buckets hashed 8 positions at a time, order-free sums) against a
 * straightforward reference written here from the documented model: the same
 * normalisation rules applied byte by byte, every feature hashed on its own,
 * weights summed left to right. Both read the same model file; probabilities must
 * agree within 1e-9 on fixed texts (tweet artefacts, elisions, repeats, long words,
 * non-ASCII), seeded random byte strings, texts past the feature cap and the 64 KiB
 * read limit, and models with non-default feature flags and n-gram ranges. A model
 * trained here is pinned to the probabilities the first implementation gave, so
 * `warden train` keeps producing the same models. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "guard/classifier.h"
#include "repo_path.h"

/* ---- the reference: a model file read field by field (layout in classifier.h) ---- */

#define REF_HEADER 108
#define REF_MAX_TEXT (64 * 1024)
#define REF_MAX_FEATURES 16384
#define REF_WORD_MAX 48

struct ref_model {
    uint32_t bits, flags, char_min, char_max;
    double bias;
    float *w;
};

static void ref_load(const char *path, struct ref_model *r)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char hdr[REF_HEADER];
    assert_int_equal(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
    uint32_t u[5];
    memcpy(u, hdr + 8, sizeof(u));
    r->bits = u[1], r->flags = u[2], r->char_min = u[3], r->char_max = u[4];
    memcpy(&r->bias, hdr + 28, 8);
    size_t nw = (size_t)1 << r->bits;
    r->w = malloc(nw * sizeof(float));
    assert_int_equal(fread(r->w, sizeof(float), nw, f), nw);
    fclose(f);
}

static int ref_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 || c == '*' || c == '@' || c == '$';
}

static int ref_starts(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

/* classifier.h's normalisation, one byte and one rule at a time */
static size_t ref_normalise(const char *text, size_t len, char *out)
{
    size_t o = 0, i = 0;
    char prev = ' ', prev2 = ' ';
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        size_t rest = len - i;
        int at_word_start = i == 0 || !ref_word_byte((unsigned char)text[i - 1] | 0x20);
        if (ref_starts(text + i, rest, "http://") || ref_starts(text + i, rest, "https://") ||
            (at_word_start && ref_starts(text + i, rest, "www."))) {
            while (i < len && text[i] != ' ' && text[i] != '\n' && text[i] != '\t')
                i++;
            c = ' ';
        } else if (c == '@' && at_word_start) {
            i++;
            while (i < len && (ref_word_byte((unsigned char)(text[i] | 0x20)) || text[i] == '_'))
                i++;
            c = ' ';
        } else if (c == '&') {
            if (ref_starts(text + i, rest, "&amp;"))
                i += 5;
            else if (ref_starts(text + i, rest, "&lt;") || ref_starts(text + i, rest, "&gt;"))
                i += 4;
            else if (ref_starts(text + i, rest, "&quot;"))
                i += 6;
            else if (rest > 2 && text[i + 1] == '#') {
                size_t k = i + 2;
                while (k < len && k < i + 10 && text[k] >= '0' && text[k] <= '9')
                    k++;
                i = (k < len && text[k] == ';') ? k + 1 : i + 1;
            } else {
                i++;
            }
            c = ' ';
        } else if (at_word_start && c == 'R' && rest >= 2 && text[i + 1] == 'T' &&
                   (rest == 2 || text[i + 2] == ' ' || text[i + 2] == ':')) {
            i += 2;
            c = ' ';
        } else if (c == '\'' && o > 0 && prev != ' ' && i + 1 < len && ref_word_byte((unsigned char)(text[i + 1] | 0x20))) {
            i++;
            continue;
        } else {
            i++;
            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c - 'A' + 'a');
            if (!ref_word_byte(c))
                c = ' ';
        }
        if (c == ' ') {
            if (prev == ' ')
                continue;
        } else if (c == (unsigned char)prev && c == (unsigned char)prev2 && c < 0x80) {
            continue;
        }
        out[o++] = (char)c;
        prev2 = prev;
        prev = (char)c;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    return o;
}

static uint32_t ref_fnv(uint32_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static uint32_t ref_mix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x7feb352dU;
    h ^= h >> 15;
    h *= 0x846ca68bU;
    h ^= h >> 16;
    return h;
}

static double ref_predict(const struct ref_model *r, const char *text, size_t len)
{
    if (len > REF_MAX_TEXT)
        len = REF_MAX_TEXT;
    char *norm = malloc(len + 1);
    size_t n = ref_normalise(text, len, norm);
    uint32_t mask = (1u << r->bits) - 1;
    double dot = 0;
    size_t k = 0;
    uint32_t prev_word = 0;
    int have_prev = 0;
#define REF_ADD(bucket)                                                                                                \
    do {                                                                                                               \
        if (k < REF_MAX_FEATURES) {                                                                                    \
            dot += r->w[(bucket)&mask];                                                                                \
            k++;                                                                                                       \
        }                                                                                                              \
    } while (0)
    for (size_t i = 0; i < n;) {
        while (i < n && norm[i] == ' ')
            i++;
        size_t j = i;
        while (j < n && norm[j] != ' ')
            j++;
        if (j == i)
            break;
        size_t wl = j - i > REF_WORD_MAX ? REF_WORD_MAX : j - i;
        uint32_t wh = ref_fnv(2166136261u, norm + i, wl);
        if (r->flags & 1)
            REF_ADD(ref_mix(wh ^ 0x9e3779b9u));
        if ((r->flags & 2) && have_prev)
            REF_ADD(ref_mix(prev_word * 31u + wh + 0x85ebca6bu));
        if (r->flags & 4) {
            char padded[REF_WORD_MAX + 2];
            padded[0] = ' ';
            memcpy(padded + 1, norm + i, wl);
            padded[wl + 1] = ' ';
            for (uint32_t g = r->char_min; g <= r->char_max; g++)
                for (size_t s = 0; s + g <= wl + 2; s++)
                    REF_ADD(ref_mix(ref_fnv(2166136261u ^ g, padded + s, g)));
        }
        prev_word = wh;
        have_prev = 1;
        i = j;
    }
#undef REF_ADD
    free(norm);
    double z = k ? r->bias + dot / sqrt((double)k) : r->bias;
    return z > 35 ? 1.0 : z < -35 ? 0.0 : 1.0 / (1.0 + exp(-z));
}

/* ---- texts ---- */

static const char *const fixed_texts[] = {
    "",
    " ",
    "a",
    "I",
    "you are a stupid idiot",
    "RT @someone: Idiooooot!!! http://x.co/a don't &amp; &#128514; stupid",
    "RT: rt RTs xRT RT",
    "see www.example.com and WWW.EXAMPLE.COM, awww.x, HTTPS://A.B/c?d=e\tnext",
    "&lt;b&gt; &quot;quoted&quot; &#39; &#12345678901; &nbsp; & &# &#;",
    "don't 'quoted' it's o'neil '' x' 'y",
    "@user hello @ @_x mail@example.com a@b",
    "soooooo goooood!!!!!! ......... 111111 ***** $$$$ ééééé",
    "Ünïcödé тест 日本語 mixed ÀÉÎ \xff\xfe bytes",
    "thisisaverylongwordthatgoesonandonandonandonwithoutanyspacesatallreallyverylong short",
    "exactly48charsexactly48charsexactly48charsexactl 49charsxx49charsxx49charsxx49charsxx49charsxx4",
    "a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3",
    "ab cd ef gh ij kl mn op qr st uv wx yz",
    "tab\tseparated\nnew\r\nlines\x01\x02 control \x7f",
    "h w H W R ' & @ hh ww http https www",
    "The quick brown fox jumps over the lazy dog; you idiot, what a lovely day.",
};

static uint64_t rng_state = 42;

static uint32_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

/* Random text from an alphabet of plain letters, separators and repeats (the 16-byte
 * path and its boundaries), or one rich in the bytes the normalisation treats specially. */
static size_t random_text(char *buf, size_t cap, int plain)
{
    static const char plain_pieces[][4] = {"a", "b", "o", "oo", "ooo", "e", "Z", "Q", "7", " ", " ", " ", "  ",
                                           ",", ". ", "\xc3\xa9", "*", "$", "hx", "wo", "xyz"};
    static const char pieces[][10] = {"a",  "b",   "e",     "z",     "A",   "Q",   "h",   "H",     "w",  "W",
                                      "R",  "RT",  " ",     " ",     "  ",  "\t",  "\n",  "'",     "@",  "&",
                                      "&amp;", "&lt;", "&#12;", "http://", "www.", "o",   "ooo", "\xc3\xa9", "\xff", "*",
                                      "$",  "_",   "1",     "9",     ".",   ",",   "!",   ":",     "\x01", "#"};
    size_t n = 0, target = rng() % cap;
    while (n < target) {
        const char *p = plain ? plain_pieces[rng() % (sizeof(plain_pieces) / sizeof(plain_pieces[0]))]
                              : pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
        size_t l = strlen(p);
        if (n + l > cap)
            break;
        memcpy(buf + n, p, l);
        n += l;
    }
    return n;
}

/* ---- checks ---- */

static void agree(const struct guard_classifier *m, const struct ref_model *r, const char *t, size_t len)
{
    double fast = guard_classifier_predict(m, t, len), slow = ref_predict(r, t, len);
    if (fabs(fast - slow) > 1e-9)
        fail_msg("%.17g (classifier) vs %.17g (reference) on %zu bytes: \"%.60s\"", fast, slow, len, t);
}

static void agree_on_all_texts(const struct guard_classifier *m, const struct ref_model *r)
{
    for (size_t i = 0; i < sizeof(fixed_texts) / sizeof(fixed_texts[0]); i++)
        agree(m, r, fixed_texts[i], strlen(fixed_texts[i]));
    static char buf[80 * 1024];
    rng_state = 42;
    for (int i = 0; i < 800; i++)
        agree(m, r, buf, random_text(buf, i % 400 < 350 ? 2000 : sizeof(buf), i >= 400));
    /* ordinary prose: 1 KB, 4 KB, then past the feature cap (~7 KB) and the 64 KiB read limit */
    const char *prose = fixed_texts[19];
    size_t pl = strlen(prose);
    size_t sizes[] = {1024, 4096, 5460, 7000, 12000, 70000};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (size_t i = 0; i < sizes[s]; i++)
            buf[i] = prose[i % pl];
        agree(m, r, buf, sizes[s]);
    }
    /* one-letter words, the most features per byte */
    for (size_t i = 0; i < 20000; i++)
        buf[i] = i % 2 ? ' ' : (char)('a' + i % 26);
    agree(m, r, buf, 5460);
    agree(m, r, buf, 20000);
}

/* Loads the model file both ways and compares them on every text. */
static void file_agrees(const char *path)
{
    char err[512];
    struct guard_classifier *m = guard_classifier_load(path, err, sizeof(err));
    if (!m)
        fail_msg("%s", err);
    struct ref_model r;
    ref_load(path, &r);
    agree_on_all_texts(m, &r);
    free(r.w);
    guard_classifier_free(m);
}

static void shipped_model_matches_the_reference(void **state)
{
    char path[4096];
    if (built_model_path(path, sizeof(path)) != 0)
        fail_msg("toxicity.model not found: run make first");
    file_agrees(path);
}

/* Rewrites a model file's feature flags and n-gram range, with a valid checksum. */
static void rewrite_features(const char *path, uint32_t flags, uint32_t char_min, uint32_t char_max)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    unsigned char *b = malloc((size_t)size);
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fread(b, 1, (size_t)size, f), (size_t)size);
    uint32_t u[3] = {flags, char_min, char_max};
    memcpy(b + 16, u, sizeof(u));
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(size - 4));
    memcpy(b + size - 4, &crc, 4);
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fwrite(b, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    free(b);
}

static const char *const pos_texts[] = {"you are a stupid idiot", "shut up moron", "what an idiot, total moron",
                                        "stupid loser, shut up", "idiot idiot idiot", "you moron, go away loser"};
static const char *const neg_texts[] = {"have a lovely day", "thanks for the help", "the weather is lovely today",
                                        "great article, thanks", "see you tomorrow at lunch", "what a lovely garden"};

static void trained_model_is_pinned_and_other_features_match(void **state)
{
    struct guard_classifier_example ex[12];
    for (int i = 0; i < 6; i++) {
        ex[2 * i] = (struct guard_classifier_example){pos_texts[i], strlen(pos_texts[i]), 1};
        ex[2 * i + 1] = (struct guard_classifier_example){neg_texts[i], strlen(neg_texts[i]), 0};
    }
    struct guard_classifier_train_opts o = {.epochs = 20, .positive_label = "toxic", .negative_label = "not_toxic"};
    struct guard_classifier *m = guard_classifier_train(ex, 12, &o);
    /* the probabilities the first implementation (per-feature FNV-1a, left-to-right sums) gave for this model */
    static const struct {
        const char *text;
        double p;
    } pinned[] = {
        {"you stupid moron", 0.98022407561137836},
        {"what a lovely day, thanks", 0.0096377145539630216},
        {"RT @someone: Idiooooot!!! http://x.co/a don't &amp; &#128514; stupid", 0.93537852709231606},
        {"", 0.45806959006255943},
        {"Lovely GARDEN... see you", 0.01966653938901625},
        {"idiot", 0.96999653898324578},
    };
    for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
        double p = guard_classifier_predict(m, pinned[i].text, strlen(pinned[i].text));
        if (fabs(p - pinned[i].p) > 1e-9)
            fail_msg("\"%s\": %.17g, pinned %.17g", pinned[i].text, p, pinned[i].p);
    }

    char path[] = "/tmp/warden-clfref-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[512];
    assert_int_equal(guard_classifier_save(m, path, err, sizeof(err)), 0);
    guard_classifier_free(m);
    /* the default features, then the other paths: no character n-grams, another n-gram range, words only */
    static const uint32_t variants[][3] = {{7, 3, 5}, {3, 3, 5}, {7, 2, 4}, {5, 1, 8}, {1, 3, 5}, {6, 4, 4}};
    for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        rewrite_features(path, variants[v][0], variants[v][1], variants[v][2]);
        file_agrees(path);
    }
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped_model_matches_the_reference),
        cmocka_unit_test(trained_model_is_pinned_and_other_features_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
