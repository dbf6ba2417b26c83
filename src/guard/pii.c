/* Built-in PII recognizers. See pii.h.
 *
 * The patterns are short on purpose: each finds a candidate cheaply and
 * Hyperscan-with-SOM friendly, and the check (a C function) decides. E-mail
 * and URL patterns are only anchors ("x@y", "https://", "www."): the check
 * walks outwards to the address's real ends, which no bounded regex with a
 * start-of-match report can do in Hyperscan ("Pattern is too large"). Number
 * patterns carry their separators; the check validates checksum, issuer,
 * registry length or numbering-plan rules. */
#include "guard/pii.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "guard/validators.h"
#include "util/alloc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

const char *const guard_pii_entity_names[] = {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
                                              "IP_ADDRESS",    "MAC_ADDRESS",  "CRYPTO",      "URL",       NULL};

/* ---- e-mail and URL: anchors walked outwards ---- */

static int local_char(unsigned char c)
{
    return isalnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'';
}

/* Domain labels from text[from]: returns the end of the last label of a
 * dotted name with an alphabetic TLD of 2..24 letters, or 0. */
static size_t domain_end(const char *t, size_t len, size_t from)
{
    size_t i = from, labels = 0, last_start = from, end = 0;
    while (i < len) {
        size_t ls = i;
        while (i < len && (isalnum((unsigned char)t[i]) || t[i] == '-') && i - ls < 64)
            i++;
        if (i == ls || i - ls > 63 || t[ls] == '-' || t[i - 1] == '-')
            return 0;
        labels++;
        last_start = ls;
        end = i;
        if (i + 1 < len && t[i] == '.' && isalnum((unsigned char)t[i + 1]))
            i++;
        else
            break;
    }
    if (labels < 2 || end - last_start < 2 || end - last_start > 24)
        return 0;
    for (size_t k = last_start; k < end; k++)
        if (!isalpha((unsigned char)t[k]))
            return 0;
    if (end < len && (isalnum((unsigned char)t[end]) || t[end] == '_' || t[end] == '@'))
        return 0;
    return end;
}

/* The anchor "x@y" (x a local-part character): the local part is walked back, the domain forward. */
static int check_email(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    size_t at = sp->start + 1;
    size_t ls = at;
    while (ls > 0 && local_char((unsigned char)t[ls - 1]) && at - ls <= 64)
        ls--;
    if (at - ls > 64)
        return DETECT_REJECT;
    while (ls < at && (t[ls] == '.' || t[ls] == '\''))
        ls++; /* a sentence's dot or a quote is not part of the address */
    if (ls == at || t[at - 1] == '.')
        return DETECT_REJECT;
    for (size_t k = ls; k + 1 < at; k++)
        if (t[k] == '.' && t[k + 1] == '.')
            return DETECT_REJECT;
    if (detect_word_before(t, len, ls) || (ls > 0 && (t[ls - 1] == '@' || t[ls - 1] == '/')))
        return DETECT_REJECT;
    /* "scheme://user:password@host" is a URL's credentials, "mailto:a@b" an address */
    if (ls > 0 && t[ls - 1] == ':' && !(ls >= 7 && strncasecmp(t + ls - 7, "mailto:", 7) == 0))
        return DETECT_REJECT;
    size_t end = domain_end(t, len, at + 1);
    if (end == 0)
        return DETECT_REJECT;
    sp->start = ls;
    sp->end = end;
    return DETECT_VALID;
}

static int url_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("<>\"`{}|\\^", c);
}

/* How many bytes of a URL's character start at t[i]: an ASCII URL character, or a letter of
 * any script as browsers show decoded paths ("/wiki/Zürich"); 0 where the URL ends. */
static size_t url_char_len(const char *t, size_t len, size_t i)
{
    return url_char((unsigned char)t[i]) ? 1 : detect_word_char_len(t, len, i);
}

/* The end of a URL that runs from s to at most e: without trailing punctuation and
 * unbalanced closing brackets ("(see https://x.org/a)."). */
static size_t url_trim(const char *t, size_t s, size_t e)
{
    while (e > s) {
        char c = t[e - 1];
        if (strchr(".,;:!?*'", c)) {
            e--;
            continue;
        }
        if (c == ')' || c == ']') {
            char open = c == ')' ? '(' : '[';
            int depth = 0;
            for (size_t k = s; k < e; k++)
                depth += t[k] == open ? 1 : t[k] == c ? -1 : 0;
            if (depth < 0) {
                e--;
                continue;
            }
        }
        break;
    }
    return e;
}

/* The anchor is a scheme ("https://") or "www.": the URL runs to the first
 * space or quote, minus trailing punctuation and unbalanced closing brackets. */
static int check_url(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    size_t s = sp->start, e = sp->end;
    if (detect_word_before(t, len, s) || (s > 0 && strchr("./@-", t[s - 1]) != NULL && t[s - 1] != '\0'))
        return DETECT_REJECT;
    /* a field of a row ("id;name;https://x.org/a;4111 1111 ...") ends at its delimiter */
    char field = s > 0 && (t[s - 1] == ';' || t[s - 1] == ',') ? t[s - 1] : '\0';
    size_t step;
    while (e < len && e - s < 2048 && t[e] != field && (step = url_char_len(t, len, e)) > 0)
        e += step;
    if (e - s >= 2048 && e < len && url_char_len(t, len, e) > 0)
        return DETECT_REJECT;
    e = url_trim(t, s, e);
    if (e <= s)
        return DETECT_REJECT;
    /* the host: a dotted name, localhost, an IPv4 or a bracketed IPv6 literal */
    size_t h = s;
    const char *sch = memmem(t + s, e - s, "://", 3);
    if (sch != NULL && (size_t)(sch - t) < s + 12)
        h = (size_t)(sch - t) + 3;
    else if (strncasecmp(t + s, "www.", 4) != 0)
        return DETECT_REJECT;
    size_t he = h;
    while (he < e && t[he] != '/' && t[he] != '?' && t[he] != '#')
        he++;
    const char *atp = memchr(t + h, '@', he - h);
    if (atp != NULL)
        h = (size_t)(atp - t) + 1; /* user:password@host */
    if (he <= h)
        return DETECT_REJECT;
    if (t[h] == '[') {
        if (memchr(t + h, ']', he - h) == NULL)
            return DETECT_REJECT;
    } else {
        size_t hn = h;
        while (hn < he && t[hn] != ':')
            hn++;
        int dotted = 0, ok = 1;
        for (size_t k = h; k < hn; k++) {
            unsigned char c = (unsigned char)t[k];
            if (c == '.')
                dotted = 1;
            else if (!isalnum(c) && c != '-' && c != '_')
                ok = 0;
        }
        if (!ok || hn == h || t[hn - 1] == '.' || t[h] == '.')
            return DETECT_REJECT;
        if (!dotted && !(hn - h == 9 && strncasecmp(t + h, "localhost", 9) == 0))
            return DETECT_REJECT;
        if (h == s && strncasecmp(t + s, "www.", 4) == 0 && memchr(t + s + 4, '.', hn - s - 4) == NULL)
            return DETECT_REJECT; /* "www.example" without a TLD */
    }
    sp->end = e;
    return DETECT_VALID;
}

/* A URL pasted without scheme or "www." ("github.com/org/repo"): the anchor is the
 * host's last label and the slash after it (".com/"); the host is walked back and the
 * URL runs on as check_url's does. Only lower-case TLDs that are not file extensions,
 * so "Node.js/React", "ASP.NET/MVC" and "docs/README.md/" stay prose. */
static int check_url_bare(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    static const char *const not_tld[] = {"js",  "ts",  "jsx",  "tsx", "md",   "py",   "rb",   "rs",  "go",
                                          "cs",  "kt",  "java", "cpp", "hpp",  "txt",  "html", "htm", "php",
                                          "json", "yaml", "yml", "xml", "csv",  "pdf",  "png",  "jpg", "jpeg",
                                          "gif", "svg", "exe",  "dll", "lock", "toml", "ini",  "cfg", "conf",
                                          "log", "sql", "zip",  "tar", "gz",   "sh",   "so",   "swift"};
    size_t d = sp->start, slash = sp->end - 1;
    for (size_t k = d + 1; k < slash; k++)
        if (!islower((unsigned char)t[k]))
            return DETECT_REJECT;
    for (size_t i = 0; i < N(not_tld); i++)
        if (strlen(not_tld[i]) == slash - d - 1 && !strncmp(t + d + 1, not_tld[i], slash - d - 1))
            return DETECT_REJECT;
    size_t h = d;
    while (h > 0 && d - h < 253 && (isalnum((unsigned char)t[h - 1]) || t[h - 1] == '-' || t[h - 1] == '.'))
        h--;
    while (h < d && (t[h] == '.' || t[h] == '-'))
        h++;
    if (h == d || (h > 0 && (detect_word_before(t, len, h) || (t[h - 1] != '\0' && strchr("/@.:-_%\\&?#~+", t[h - 1]) != NULL))))
        return DETECT_REJECT; /* a path, an address, or the host of a URL with a scheme */
    if (t[d - 1] == '-')
        return DETECT_REJECT;
    for (size_t k = h + 1; k + 1 < d; k++)
        if (t[k] == '.' && (t[k + 1] == '.' || t[k + 1] == '-' || t[k - 1] == '-'))
            return DETECT_REJECT; /* empty labels, labels that start or end with '-' */
    size_t e = slash; /* a comma ends it too ("host/path,next,csv,field"), and a row's ';' (see check_url) */
    char field = h > 0 && t[h - 1] == ';' ? ';' : ',';
    size_t step;
    while (e < len && t[e] != ',' && t[e] != field && e - h < 2048 && (step = url_char_len(t, len, e)) > 0)
        e += step;
    e = url_trim(t, slash, e);
    sp->start = h;
    sp->end = e;
    return DETECT_VALID;
}

/* ---- numbers ---- */

#define SPAN(t, sp) (t) + (sp)->start, (sp)->end - (sp)->start

static size_t count_digits(const char *s, size_t n);

/* "NO50 0715 0273 805", "PL24 1064 4401 8943 ...": a number right after a space and a
 * token with digits is the tail of a longer grouped code, not a value of its own. */
static int grouped_tail(const char *t, size_t start)
{
    if (start < 2 || (t[start - 1] != ' ' && t[start - 1] != '-') || !isalnum((unsigned char)t[start - 2]))
        return 0;
    size_t k = start - 1;
    while (k > 0 && isalnum((unsigned char)t[k - 1]))
        k--;
    return count_digits(t + k, start - 1 - k) > 0;
}

static int check_card(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    return !grouped_tail(t, sp->start) && guard_card_ok(SPAN(t, sp)) ? DETECT_VALID : DETECT_REJECT;
}

/* Custom recognizers: the digits of the match (letters and separators around them skipped) pass Luhn. */
static int check_luhn(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    char d[20];
    size_t n = 0;
    for (size_t k = sp->start; k < sp->end; k++)
        if (isdigit((unsigned char)t[k])) {
            if (n == sizeof(d))
                return DETECT_REJECT;
            d[n++] = t[k];
        }
    return guard_luhn_ok(d, n) ? DETECT_VALID : DETECT_REJECT;
}

static int check_iban(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    return guard_iban_ok(SPAN(t, sp)) ? DETECT_VALID : DETECT_REJECT;
}

/* AAA-GG-SSSS -> VALID (high score); AAA GG SSSS -> MATCH (needs context). */
static int check_ssn(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    if (!guard_ssn_ok(SPAN(t, sp)))
        return DETECT_REJECT;
    return sp->end - sp->start == 9 || t[sp->start + 3] == '-' ? DETECT_VALID : DETECT_MATCH;
}

/* "SSN: 123456789", "phone 4155550132": the pattern runs from the label to the
 * digits (so undashed numbers cost nothing where no label is); the span is the
 * last n digits. */
static int narrow_to_digits(const char *t, size_t len, struct detect_span *sp, size_t n)
{
    if (sp->end - sp->start < n || detect_word_before(t, len, sp->start))
        return 0; /* the label inside a longer word ("getting", "context") */
    sp->start = sp->end - n;
    if (t[sp->start - 1] != '#')
        return detect_edges_ok(t, len, sp->start, sp->end, 1);
    /* "SSN#123456789": the '#' belongs to the label (elsewhere it marks an id) */
    size_t e = sp->end;
    return detect_edges_ok(t, len, sp->start, e, 0) &&
           !(e + 1 < len && (t[e] == '.' || t[e] == '-') && isalnum((unsigned char)t[e + 1]));
}

static int check_ssn_labelled(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    return narrow_to_digits(t, len, sp, 9) && guard_ssn_ok(SPAN(t, sp)) ? DETECT_VALID : DETECT_REJECT;
}

static int check_phone_labelled(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    return narrow_to_digits(t, len, sp, 10) && guard_nanp_ok(SPAN(t, sp)) ? DETECT_VALID : DETECT_REJECT;
}

static int check_ipv4(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    return guard_ipv4_ok(SPAN(t, sp)) ? DETECT_VALID : DETECT_REJECT;
}

static int check_ipv6(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    if (!guard_ipv6_ok(SPAN(t, sp)))
        return DETECT_REJECT;
    /* Without a decimal digit ("a::b", "dead:beef::") it is as often C++ or prose as an
     * address: a short one is rejected, a long one or "::" needs context. */
    size_t hex = 0;
    for (size_t k = sp->start; k < sp->end; k++) {
        if (isdigit((unsigned char)t[k]))
            return DETECT_VALID;
        hex += isxdigit((unsigned char)t[k]) != 0;
    }
    return hex == 0 || hex >= 6 ? DETECT_MATCH : DETECT_REJECT;
}

static int check_mac(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    return guard_mac_ok(SPAN(t, sp)) ? DETECT_VALID : DETECT_REJECT;
}

static int check_crypto(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    char c = t[sp->start];
    int ok = (c == '1' || c == '3') ? guard_base58check_ok(SPAN(t, sp)) : guard_bech32_ok(SPAN(t, sp));
    return ok ? DETECT_VALID : DETECT_REJECT;
}

/* An extension after a number ("x123", " ext. 12", " ext 7"): the new end, or end if none. */
static size_t phone_extension(const char *t, size_t len, size_t end)
{
    size_t i = end;
    if (i < len && t[i] == ' ')
        i++;
    if (i < len && (t[i] == 'x' || t[i] == 'X')) {
        i++;
    } else if (i + 3 <= len && strncasecmp(t + i, "ext", 3) == 0) {
        i += 3;
        if (i < len && t[i] == '.')
            i++;
        if (i < len && t[i] == ' ')
            i++;
    } else {
        return end;
    }
    size_t ds = i;
    while (i < len && isdigit((unsigned char)t[i]) && i - ds < 6)
        i++;
    return i > ds ? i : end;
}

/* An international number validated (ok) without its extension: the span takes the extension in,
 * and its right edge is checked. */
static int phone_intl_valid(const char *t, size_t len, struct detect_span *sp, int ok)
{
    size_t e = phone_extension(t, len, sp->end);
    if (!ok || !detect_edges_ok(t, len, sp->start, e, 1))
        return DETECT_REJECT;
    sp->end = e;
    return DETECT_VALID;
}

static int check_phone_intl(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    return phone_intl_valid(t, len, sp, guard_phone_intl_ok(SPAN(t, sp)));
}

static size_t count_digits(const char *s, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += isdigit((unsigned char)s[i]) != 0;
    return d;
}

/* NANP-valid -> VALID; ten digits in a US layout but outside the plan (the
 * ubiquitous 123-456-7890 / 555-123-4567 of examples) -> MATCH. The pattern has
 * no country prefix (an optional prefix makes it ~20x slower in Hyperscan): a
 * "1-", "1 ", "+1 " or "+1" before it is taken in here. */
static int check_phone_us(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    size_t s = sp->start;
    if (s >= 4 && !memcmp(t + s - 4, "001", 3) && strchr(" .-", t[s - 1]) && t[s - 1] != '\0' &&
        (s < 5 || !isdigit((unsigned char)t[s - 5])))
        s -= 4; /* 001-415-555-0132: the international prefix dialled from North America */
    else if (s >= 2 && strchr(" .-", t[s - 1]) && t[s - 1] != '\0' && t[s - 2] == '1' &&
             (s < 3 || !isdigit((unsigned char)t[s - 3])))
        s -= 2;
    else if (s >= 1 && t[s - 1] == '1' && t[s] == '(' && (s < 2 || !isdigit((unsigned char)t[s - 2])))
        s -= 1;
    if (s >= 1 && t[s] == '1' && t[s - 1] == '+')
        s--;
    size_t e = phone_extension(t, len, sp->end);
    if (!detect_edges_ok(t, len, s, e, 1))
        return DETECT_REJECT;
    sp->start = s;
    size_t d = count_digits(SPAN(t, sp)); /* without the extension */
    int nanp = guard_nanp_ok(SPAN(t, sp)) || (d == 13 && !memcmp(t + s, "001", 3) && guard_nanp_ok(t + s + 3, sp->end - s - 3));
    int plain = d == 10 || (d == 11 && (t[s] == '1' || t[s] == '+')) || (d == 13 && t[s] == '0');
    sp->end = e;
    return nanp ? DETECT_VALID : plain ? DETECT_MATCH : DETECT_REJECT;
}

/* National formats with a trunk 0 (UK, DE, FR, IN...): 10 or 11 digits, the area code may be in
 * parentheses ("(020) 7946 0958"). Weak alone. */
static int check_phone_national(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    size_t d = count_digits(SPAN(t, sp)), trunk = sp->start + (t[sp->start] == '(');
    if (d < 10 || d > 12 || t[trunk + 1] == '0')
        return DETECT_REJECT; /* 10..12 digits with the trunk 0: UK/FR/IN 10-11, German mobiles 12 */
    if (grouped_tail(t, sp->start))
        return DETECT_REJECT;
    char sep = 0;
    for (size_t k = sp->start; k < sp->end; k++) {
        char c = t[k];
        if (isdigit((unsigned char)c) || c == '(' || c == ')')
            continue;
        if (sep && c != sep && !(sep == '/' || c == '/'))
            return DETECT_REJECT; /* "030-123 4567": mixed separators read as two numbers */
        if (c != '/')
            sep = c;
    }
    return DETECT_MATCH;
}

/* "0049 30 6790062": the international prefix as dialled in Europe instead of "+": valid as the
 * number with "+" is, when written in groups (a run of digits starting 00 is as often an id). */
static int check_phone_00(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    char plus[48];
    size_t n = sp->end - sp->start;
    if (n - 1 > sizeof(plus) || count_digits(t + sp->start, n) == n)
        return DETECT_REJECT;
    plus[0] = '+';
    memcpy(plus + 1, t + sp->start + 2, n - 2);
    return phone_intl_valid(t, len, sp, guard_phone_intl_ok(plus, n - 1));
}

/* An Indian mobile number written without its trunk 0 or +91, "98765 43210"; a Spanish one in three
 * groups of three, "671 306 153"; a Brazilian one, "(11) 96933-2293": weak alone. */
static int check_phone_in(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    return grouped_tail(t, sp->start) ? DETECT_REJECT : DETECT_MATCH;
}

static int check_phone(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    if (t[sp->start] == '+')
        return check_phone_intl(t, len, sp, r);
    return guard_nanp_ok(SPAN(t, sp)) ? DETECT_VALID : DETECT_REJECT;
}

/* A custom pattern that matched a whole address: one '@', a local part, a dotted domain. */
static int check_email_value(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    const char *at = memchr(t + sp->start, '@', sp->end - sp->start);
    if (at == NULL || at == t + sp->start)
        return DETECT_REJECT;
    size_t a = (size_t)(at - t);
    if (memchr(at + 1, '@', sp->end - a - 1) != NULL)
        return DETECT_REJECT;
    for (size_t k = sp->start; k < a; k++)
        if (!local_char((unsigned char)t[k]))
            return DETECT_REJECT;
    return domain_end(t, sp->end, a + 1) == sp->end ? DETECT_VALID : DETECT_REJECT;
}

static int check_entropy(const char *t, size_t len, struct detect_span *sp, const struct detect_rule *r)
{
    return detect_entropy(SPAN(t, sp)) >= r->min_entropy ? DETECT_VALID : DETECT_REJECT;
}

detect_check_fn guard_validator_check(const char *name)
{
    static const struct {
        const char *name;
        detect_check_fn fn;
    } table[] = {
        {"luhn", check_luhn}, {"card", check_card},     {"iban", check_iban},   {"ssn", check_ssn},
        {"ipv4", check_ipv4}, {"ipv6", check_ipv6},     {"mac", check_mac},     {"crypto", check_crypto},
        {"phone", check_phone}, {"email", check_email_value}, {"entropy", check_entropy},
    };
    for (size_t i = 0; name && i < N(table); i++)
        if (!strcmp(table[i].name, name))
            return table[i].fn;
    return NULL;
}

void guard_recognizer_rule(const struct config_recognizer *r, struct detect_rule *out)
{
    memset(out, 0, sizeof(*out));
    out->entity = r->name;
    out->regex = r->regex;
    out->check = guard_validator_check(r->validator);
    out->score = out->valid_score = r->score;
    out->context = (const char *const *)r->context;
    out->n_context = r->n_context;
    out->min_entropy = 3.0;
}

/* ---- the built-in table ---- */

static const char *const ctx_email[] = {"email", "e-mail", "mail", "contact", "address", "reach", "write"};
static const char *const ctx_phone[] = {"phone",   "telephone", "tel",     "mobile",   "cell",     "call",  "fax",
                                        "contact", "whatsapp",  "number",  "dial",     "reach",    "text",  "sms",
                                        "ring",    "landline",  "ph",      "mob",      "handy",    "telefon", "telefono",
                                        "movil",   "celular",   "portable", "hotline", "helpline", "num", "nummer",
                                        "telefonnummer", "rufnummer", "telefonisch", "mobil", "telefoon", "telefoonnummer",
                                        "tél",     "téléphone", "teléfono", "telefone", "móvil", "numero", "número",
                                        "joindre", "appeler",   "appelez", "llamar",   "llame",  "ligue", "ligar",
                                        "anrufen", "erreichbar", "fone"};
/* Words that say phone and nothing else: the layouts that look like other numbers (a count in
 * groups of three, "914 532 807") need one of these, not "number", "call" or "text" */
static const char *const ctx_phone_only[] = {"phone", "telephone", "tel", "mobile", "cell", "fax", "whatsapp", "sms",
                                             "landline", "ph", "mob", "handy", "telefon", "telefono", "movil", "celular",
                                             "hotline", "helpline", "telefonnummer", "rufnummer", "telefonisch", "mobil",
                                             "telefoon", "telefoonnummer", "tél", "téléphone", "teléfono", "telefone",
                                             "móvil", "fone", "cellphone", "smartphone"};
static const char *const ctx_card[] = {"card", "credit", "debit", "visa", "mastercard", "amex", "payment", "cc", "pay"};
static const char *const ctx_iban[] = {"iban", "bank", "account", "transfer", "wire", "sepa", "swift", "payee"};
static const char *const ctx_ssn[] = {"ssn", "social security", "social", "taxpayer", "tin", "ss#", "security number"};
static const char *const ctx_ip[] = {"ip", "address", "host", "server", "client", "ipv4", "ipv6", "gateway", "dns"};
static const char *const ctx_mac[] = {"mac", "hardware", "ethernet", "wifi", "device", "nic", "bssid"};
static const char *const ctx_crypto[] = {"bitcoin", "btc", "wallet", "crypto", "address", "send", "satoshi"};
/* Numbers right after these are identifiers, versions or amounts, not personal data. */
static const char *const neg_number[] = {"order",  "invoice", "ref",     "reference", "tracking", "sku",     "isbn",
                                         "ticket", "receipt", "serial",  "part",      "item",     "po",      "version",
                                         "ver",    "build",   "release", "model",     "case",     "confirmation"};
static const char *const neg_version[] = {"version", "ver", "build", "release", "firmware", "v"};

#define CTX(a) a, N(a)
/* streams: a phone number's extension is read after the match, its "+1 " / "001-" prefix before
 * it; a labelled number's finding is its digits (the label before them may be released) */
#define PHONE_TAIL "(?: ?(?:[xX]|[eE][xX][tT]\\.? ?)[0-9]{0,6})?"
#define PHONE_PREFIX 5
/* an address's domain; a URL's characters (url_char), so a quote ends it as it ends the check */
#define EMAIL_TAIL "[A-Za-z0-9.\\-]{0,300}"
#define URL_TAIL "[!#-;=?-\\[\\]_a-z~\\x{c0}-\\x{1fff}\\x{2c00}-\\x{2fff}\\x{3040}-\\x{fe2f}]{0,2040}"

/* Gates (see detect.h): the bytes each number's pattern is made of, and what every match
 * of it that its check can accept holds at least. Digits and their separators: 9 digits
 * (an SSN; cards and US numbers have more, a national number's check wants 10 or 11). An
 * IPv4 address: 3 dots. */
#define HEX "0123456789ABCDEFabcdef"
static const struct detect_gate gate_number = {"0123456789 ./()-", "0123456789", 9, 9};
static const struct detect_gate gate_ipv4 = {"0123456789.", ".", 3, 7};
static const struct detect_gate gate_iban = {"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ", "0123456789", 2, 15};
static const struct detect_gate gate_base58 = {"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", "13", 1, 26};
static const struct detect_gate gate_mac = {HEX ":-", ":-", 5, 17};
static const struct detect_gate gate_mac_dots = {HEX ".", ".", 2, 14};
static const struct detect_gate gate_url_host = {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz./", "/", 1, 4};
static const struct detect_gate gate_ipv6 = {"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz:.%_-", ":", 2, 2};

static const struct detect_rule builtin[] = {
    {"EMAIL_ADDRESS", "[A-Za-z0-9._%+\\-']@[A-Za-z0-9]", DETECT_NO_EDGES, NULL, check_email, 0.5, 0.95, CTX(ctx_email), NULL,
     0, 0, 320, EMAIL_TAIL, 0},
    {"URL", "(?:https?|ftps?|sftp|wss?)://[A-Za-z0-9\\[]", DETECT_CASELESS | DETECT_NO_EDGES, NULL, check_url, 0.6, 0.6, NULL,
     0, NULL, 0, 0, 2048, URL_TAIL, 0},
    {"URL", "www\\.[A-Za-z0-9]", DETECT_CASELESS | DETECT_NO_EDGES, NULL, check_url, 0.6, 0.6, NULL, 0, NULL, 0, 0, 2048,
     URL_TAIL, 0},
    {"URL", "\\.[a-z]{2,24}/", DETECT_NO_EDGES, NULL, check_url_bare, 0.6, 0.6, NULL, 0, NULL, 0, 0, 2048 + 256, URL_TAIL,
     0, NULL, &gate_url_host},
    {"PHONE_NUMBER", "\\+[1-9][0-9 .()\\-]{6,24}[0-9]", DETECT_EDGE_NUMERIC | DETECT_NO_RIGHT_EDGE, NULL, check_phone_intl, 0.5, 0.75,
     CTX(ctx_phone), CTX(neg_number), 0, 0, PHONE_TAIL, 0},
    {"PHONE_NUMBER", "\\(\\d{3}\\)[ .\\-]?\\d{3}[ .\\-]\\d{4}", DETECT_NO_EDGES, NULL, check_phone_us, 0.5, 0.7,
     CTX(ctx_phone), CTX(neg_number), 0, 0, PHONE_TAIL, PHONE_PREFIX, NULL, &gate_number},
    {"PHONE_NUMBER", "\\d{3}[ .\\-]\\d{3}[ .\\-]\\d{4}", DETECT_NO_EDGES, NULL, check_phone_us, 0.5, 0.7, CTX(ctx_phone),
     CTX(neg_number), 0, 0, PHONE_TAIL, PHONE_PREFIX, NULL, &gate_number},
    {"PHONE_NUMBER", "(?:phone|tel|mobile|cell|call|fax|whatsapp|sms|text|dial)[^0-9]{0,24}\\d{10}",
     DETECT_CASELESS | DETECT_NO_EDGES, NULL, check_phone_labelled, 0.4, 0.4, CTX(ctx_phone), CTX(neg_number), 0, 0, NULL, 0,
     "\\d{10}"},
    {"PHONE_NUMBER", "0\\d{1,4}[ /.\\-]?\\d{2,8}(?:[ .\\-]?\\d{2,4}){0,4}", DETECT_EDGE_NUMERIC, NULL,
     check_phone_national, 0.3, 0.3, CTX(ctx_phone), CTX(neg_number), 0, 0, NULL, 0, NULL, &gate_number, CTX(ctx_phone_only)},
    {"PHONE_NUMBER", "\\(0\\d{1,4}\\)[ .\\-]?\\d{2,8}(?:[ .\\-]?\\d{2,4}){0,4}", DETECT_EDGE_NUMERIC, NULL,
     check_phone_national, 0.3, 0.3, CTX(ctx_phone), CTX(neg_number), 0, 0, NULL, 0, NULL, &gate_number, CTX(ctx_phone_only)},
    /* with a context word: a hex dump's "0031 3233 3435" or a batch id holds a valid-looking one */
    {"PHONE_NUMBER", "00[1-9][0-9 .()\\-]{6,24}[0-9]", DETECT_EDGE_NUMERIC | DETECT_NO_RIGHT_EDGE, NULL, check_phone_00, 0.3,
     0.3, CTX(ctx_phone), CTX(neg_number), 0, 0, PHONE_TAIL, 0, NULL, &gate_number, CTX(ctx_phone_only)},
    {"PHONE_NUMBER", "[6-9]\\d{2}(?: \\d{3} |-\\d{3}-)\\d{3}", DETECT_EDGE_NUMERIC, NULL, check_phone_in, 0.3, 0.3,
     CTX(ctx_phone_only), CTX(neg_number), 0, 0, NULL, 0, NULL, &gate_number, CTX(ctx_phone_only)}, /* Spain: 671 306 153 */
    {"PHONE_NUMBER", "\\([1-9]\\d\\) ?9?\\d{4}-\\d{4}", DETECT_EDGE_NUMERIC, NULL, check_phone_in, 0.3, 0.3,
     CTX(ctx_phone_only), CTX(neg_number), 0, 0, NULL, 0, NULL, &gate_number, CTX(ctx_phone_only)}, /* Brazil: (11) 96933-2293 */
    {"PHONE_NUMBER", "[6-9]\\d{4}[ \\-]\\d{5}", DETECT_EDGE_NUMERIC, NULL, check_phone_in, 0.3, 0.3, CTX(ctx_phone),
     CTX(neg_number), 0, 0, NULL, 0, NULL, &gate_number, CTX(ctx_phone_only)},
    {"CREDIT_CARD", "\\d{4}[ \\-]?\\d{4}[ \\-]?\\d{4}[ \\-]?\\d{1,7}", DETECT_EDGE_NUMERIC, NULL, check_card, 0.3, 1.0,
     CTX(ctx_card), NULL, 0, 0, 0, NULL, 0, NULL, &gate_number},
    {"CREDIT_CARD", "\\d{4}[ \\-]?\\d{6}[ \\-]?\\d{4,5}", DETECT_EDGE_NUMERIC, NULL, check_card, 0.3, 1.0, CTX(ctx_card),
     NULL, 0, 0, 0, NULL, 0, NULL, &gate_number},
    {"IBAN_CODE", "[A-Z]{2}\\d{2}(?:[ ]?[A-Z0-9]){11,30}", DETECT_EDGE_NUMERIC, NULL, check_iban, 0.3, 1.0, CTX(ctx_iban),
     NULL, 0, 0, 0, NULL, 0, NULL, &gate_iban},
    {"US_SSN", "\\d{3}[ \\-]\\d{2}[ \\-]\\d{4}", DETECT_EDGE_NUMERIC, NULL, check_ssn, 0.4, 0.85, CTX(ctx_ssn),
     CTX(neg_number), 0, 0, NULL, 0, NULL, &gate_number},
    {"US_SSN", "(?:ssn|social security|ss#|tin)[^0-9]{0,24}\\d{9}", DETECT_CASELESS | DETECT_NO_EDGES, NULL,
     check_ssn_labelled, 0.4, 0.5, CTX(ctx_ssn), CTX(neg_number), 0, 0, NULL, 0, "\\d{9}"},
    {"IP_ADDRESS", "\\d{1,3}(?:\\.\\d{1,3}){3}", DETECT_EDGE_NUMERIC, NULL, check_ipv4, 0.3, 0.75, CTX(ctx_ip),
     CTX(neg_version), 0, 0, NULL, 0, NULL, &gate_ipv4},
    {"IP_ADDRESS", "[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\\.\\d{1,3}){0,3}(?:%[0-9A-Za-z._\\-]{1,16})?", 0, ":",
     check_ipv6, 0.3, 0.75, CTX(ctx_ip), NULL, 0, 0, 0, NULL, 0, NULL, &gate_ipv6},
    {"MAC_ADDRESS", "[0-9A-Fa-f]{2}(?:[:\\-][0-9A-Fa-f]{2}){5}", DETECT_EDGE_NUMERIC, ":", check_mac, 0.3, 0.8,
     CTX(ctx_mac), NULL, 0, 0, 0, NULL, 0, NULL, &gate_mac},
    {"MAC_ADDRESS", "[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}", DETECT_EDGE_NUMERIC, NULL, check_mac, 0.3, 0.8,
     CTX(ctx_mac), NULL, 0, 0, 0, NULL, 0, NULL, &gate_mac_dots},
    {"CRYPTO", "[13][1-9A-HJ-NP-Za-km-z]{25,34}", 0, NULL, check_crypto, 0.3, 1.0, CTX(ctx_crypto), NULL, 0, 0, 0,
     NULL, 0, NULL, &gate_base58},
    {"CRYPTO", "(?:bc|tb)1[02-9ac-hj-np-z]{8,87}", DETECT_CASELESS, NULL, check_crypto, 0.3, 1.0, CTX(ctx_crypto), NULL,
     0, 0, 0},
};

int guard_entity_selected(const struct config_guardrail *g, const char *entity)
{
    if (g->n_entities == 0)
        return 1;
    for (size_t i = 0; i < g->n_entities; i++)
        if (!strcmp(g->entities[i], entity))
            return 1;
    return 0;
}

struct detect_set *guard_pii_compile(const struct config_guardrail *g, char *err, size_t errsz)
{
    struct detect_rule *rules = util_calloc(N(builtin) + g->n_recognizers, sizeof(*rules));
    size_t n = 0;
    for (size_t i = 0; i < N(builtin); i++)
        if (guard_entity_selected(g, builtin[i].entity))
            rules[n++] = builtin[i];
    for (size_t i = 0; i < g->n_recognizers; i++)
        guard_recognizer_rule(&g->recognizers[i], &rules[n++]);
    struct detect_set *s = detect_compile(rules, n, err, errsz);
    free(rules);
    return s;
}
