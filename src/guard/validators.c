/* Validators for detected entities. See validators.h. */
#include "guard/validators.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

/* ---- cards ---- */

int guard_luhn_ok(const char *s, size_t len)
{
    int sum = 0, n = 0;
    for (size_t i = len; i-- > 0;) {
        char c = s[i];
        if (c == ' ' || c == '-')
            continue;
        if (c < '0' || c > '9')
            return 0;
        int d = c - '0';
        if (n++ & 1) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return n >= 12 && n <= 19 && sum % 10 == 0;
}

static int prefix_in(const char *d, size_t nd, int digits, long lo, long hi)
{
    if (nd < (size_t)digits)
        return 0;
    long v = 0;
    for (int i = 0; i < digits; i++)
        v = v * 10 + (d[i] - '0');
    return v >= lo && v <= hi;
}

/* Issuer identification numbers of the networks in use, with their lengths. */
static int card_iin_ok(const char *d, size_t nd)
{
    if (d[0] == '4')
        return nd == 13 || nd == 16 || nd == 19; /* Visa */
    if (prefix_in(d, nd, 2, 51, 55) || prefix_in(d, nd, 4, 2221, 2720))
        return nd == 16; /* Mastercard */
    if (prefix_in(d, nd, 2, 34, 34) || prefix_in(d, nd, 2, 37, 37))
        return nd == 15; /* American Express */
    if (prefix_in(d, nd, 4, 6011, 6011) || prefix_in(d, nd, 2, 65, 65) || prefix_in(d, nd, 3, 644, 649) ||
        prefix_in(d, nd, 6, 622126, 622925))
        return nd >= 16 && nd <= 19; /* Discover */
    if (prefix_in(d, nd, 4, 3528, 3589))
        return nd >= 16 && nd <= 19; /* JCB */
    if (prefix_in(d, nd, 4, 2131, 2131) || prefix_in(d, nd, 4, 1800, 1800))
        return nd == 15; /* JCB, the older 15-digit range */
    if (prefix_in(d, nd, 3, 300, 305) || prefix_in(d, nd, 2, 36, 36) || prefix_in(d, nd, 2, 38, 39) ||
        prefix_in(d, nd, 4, 3095, 3095))
        return nd >= 14 && nd <= 19; /* Diners Club */
    if (prefix_in(d, nd, 2, 62, 62))
        return nd >= 16 && nd <= 19; /* UnionPay */
    if (prefix_in(d, nd, 2, 50, 50) || prefix_in(d, nd, 2, 56, 69))
        return nd >= 12 && nd <= 19; /* Maestro */
    if (prefix_in(d, nd, 4, 2200, 2204))
        return nd >= 16 && nd <= 19; /* Mir */
    return 0;
}

int guard_card_ok(const char *s, size_t len)
{
    char d[20];
    size_t nd = 0, group = 0, groups = 0;
    size_t glen[8];
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (nd == 19)
                return 0;
            d[nd++] = c;
            group++;
            continue;
        }
        if (c != ' ' && c != '-')
            return 0;
        /* one separator between groups; space and dash may be mixed ("4111 1111-1111 1111" is
         * still read as a card: the grouping, Luhn and the IIN below decide) */
        if (group == 0 || groups == 7)
            return 0;
        glen[groups++] = group;
        group = 0;
    }
    if (group == 0)
        return 0;
    glen[groups++] = group;
    if (nd < 13 || !guard_luhn_ok(d, nd) || !card_iin_ok(d, nd))
        return 0;
    if (groups == 1)
        return 1;
    /* grouped: 4-4-4-4(-3), 4-6-5 (Amex), 4-6-4 (Diners), or fours with a shorter tail */
    if (groups == 3 && glen[0] == 4 && glen[1] == 6 && (glen[2] == 5 || glen[2] == 4))
        return 1;
    for (size_t g = 0; g + 1 < groups; g++)
        if (glen[g] != 4)
            return 0;
    return glen[groups - 1] >= 1 && glen[groups - 1] <= 4;
}

/* ---- IBAN ---- */

static const struct {
    char cc[3];
    unsigned char len;
} iban_lengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22}, {"BI", 27},
    {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28},
    {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23},
    {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27},
    {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"LY", 25},
    {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18},
    {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33},
    {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28},
    {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

int guard_iban_length(const char *cc)
{
    for (size_t i = 0; i < sizeof(iban_lengths) / sizeof(iban_lengths[0]); i++)
        if (cc[0] == iban_lengths[i].cc[0] && cc[1] == iban_lengths[i].cc[1])
            return iban_lengths[i].len;
    return 0;
}

int guard_iban_ok(const char *s, size_t len)
{
    char v[40];
    size_t n = 0, since_space = 0;
    int upper = 0, lower = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ') {
            /* spaces only between groups of four */
            if (since_space != 4)
                return 0;
            since_space = 0;
            continue;
        }
        if (!isalnum(c) || n == sizeof(v) - 1)
            return 0;
        if (isupper(c))
            upper = 1;
        else if (islower(c))
            lower = 1;
        v[n++] = (char)toupper(c);
        since_space++;
    }
    v[n] = '\0';
    if (upper && lower)
        return 0;
    if (n < 15 || !isupper((unsigned char)v[0]) || !isupper((unsigned char)v[1]) || !isdigit((unsigned char)v[2]) ||
        !isdigit((unsigned char)v[3]))
        return 0;
    if ((size_t)guard_iban_length(v) != n)
        return 0;
    /* mod 97 of the rearranged number (first four characters moved to the end, letters as 10..35) */
    unsigned rem = 0;
    for (size_t k = 0; k < n; k++) {
        char c = v[(k + 4) % n];
        if (isdigit((unsigned char)c))
            rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        else
            rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
    }
    return rem == 1;
}

/* ---- US SSN ---- */

int guard_ssn_ok(const char *s, size_t len)
{
    char d[9];
    size_t nd = 0;
    char sep = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (nd == 9)
                return 0;
            d[nd++] = c;
        } else if ((c == '-' || c == ' ') && (nd == 3 || nd == 5) && (!sep || c == sep)) {
            sep = c;
        } else {
            return 0;
        }
    }
    if (nd != 9)
        return 0;
    if (sep && !(len == 11 && (s[3] == sep) && (s[6] == sep)))
        return 0;
    int area = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
    int group = (d[3] - '0') * 10 + (d[4] - '0');
    int serial = (d[5] - '0') * 1000 + (d[6] - '0') * 100 + (d[7] - '0') * 10 + (d[8] - '0');
    if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0)
        return 0;
    /* numbers published in advertising, and one digit repeated */
    if (!memcmp(d, "078051120", 9) || !memcmp(d, "219099999", 9))
        return 0;
    int same = 1;
    for (int i = 1; i < 9; i++)
        same &= d[i] == d[0];
    return !same;
}

/* ---- network addresses ---- */

int guard_ipv4_ok(const char *s, size_t len)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.')
                return 0;
            i++;
        }
        size_t st = i;
        unsigned v = 0;
        while (i < len && isdigit((unsigned char)s[i]) && i - st < 3)
            v = v * 10 + (unsigned)(s[i++] - '0');
        if (i == st || v > 255)
            return 0; /* leading zeros are allowed ("192.168.001.010"), as Presidio does */
    }
    return i == len;
}

int guard_ipv6_ok(const char *s, size_t len)
{
    char buf[64];
    const char *pct = memchr(s, '%', len);
    size_t alen = pct ? (size_t)(pct - s) : len;
    if (pct) {
        /* zone id: letters, digits, '.', '_', '-' */
        if (alen + 1 == len || !isalnum((unsigned char)s[len - 1]))
            return 0; /* "fe80::1%eth0." ends a sentence: the dot is not part of the zone */
        for (const char *p = pct + 1; p < s + len; p++)
            if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
                return 0;
    }
    if (alen < 2 || alen >= sizeof(buf))
        return 0;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    unsigned char out[16];
    return inet_pton(AF_INET6, buf, out) == 1;
}

static int hexpair(const char *s)
{
    return isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]);
}

int guard_mac_ok(const char *s, size_t len)
{
    if (len == 17) {
        char sep = s[2];
        if (sep != ':' && sep != '-')
            return 0;
        for (size_t i = 0; i < 17; i += 3)
            if (!hexpair(s + i) || (i + 2 < 17 && s[i + 2] != sep))
                return 0;
        return 1;
    }
    if (len == 14) {
        for (size_t i = 0; i < 14; i++)
            if ((i == 4 || i == 9) ? s[i] != '.' : !isxdigit((unsigned char)s[i]))
                return 0;
        return 1;
    }
    return 0;
}

/* ---- Bitcoin ---- */

static const char b58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

int guard_base58check_ok(const char *s, size_t len)
{
    unsigned char bin[25];
    if (len < 26 || len > 35)
        return 0;
    memset(bin, 0, sizeof(bin));
    for (size_t i = 0; i < len; i++) {
        const char *p = s[i] ? strchr(b58_alphabet, s[i]) : NULL;
        if (p == NULL)
            return 0;
        unsigned carry = (unsigned)(p - b58_alphabet);
        for (int k = 24; k >= 0; k--) {
            carry += 58u * bin[k];
            bin[k] = (unsigned char)(carry & 0xff);
            carry >>= 8;
        }
        if (carry)
            return 0; /* more than 25 bytes */
    }
    /* each leading '1' is a leading zero byte: the count must agree */
    size_t ones = 0, zeros = 0;
    while (ones < len && s[ones] == '1')
        ones++;
    while (zeros < 25 && bin[zeros] == 0)
        zeros++;
    if (ones != zeros)
        return 0;
    if (bin[0] != 0x00 && bin[0] != 0x05)
        return 0;
    unsigned char h1[SHA256_DIGEST_LENGTH], h2[SHA256_DIGEST_LENGTH];
    SHA256(bin, 21, h1);
    SHA256(h1, sizeof(h1), h2);
    return memcmp(h2, bin + 21, 4) == 0;
}

static uint32_t bech32_polymod_step(uint32_t chk, unsigned v)
{
    static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; i++)
        if ((top >> i) & 1)
            chk ^= gen[i];
    return chk;
}

int guard_bech32_ok(const char *s, size_t len)
{
    static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    unsigned char data[90];
    int upper = 0, lower = 0;
    if (len < 14 || len > 90)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (isupper((unsigned char)s[i]))
            upper = 1;
        else if (islower((unsigned char)s[i]))
            lower = 1;
    }
    if (upper && lower)
        return 0;
    size_t sep = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '1')
            sep = i;
    if (sep != 2 || (tolower((unsigned char)s[0]) != 'b' && tolower((unsigned char)s[0]) != 't') ||
        (tolower((unsigned char)s[1]) != 'c' && tolower((unsigned char)s[1]) != 'b'))
        return 0;
    uint32_t chk = 1;
    for (size_t i = 0; i < sep; i++)
        chk = bech32_polymod_step(chk, (unsigned)tolower((unsigned char)s[i]) >> 5);
    chk = bech32_polymod_step(chk, 0);
    for (size_t i = 0; i < sep; i++)
        chk = bech32_polymod_step(chk, (unsigned)tolower((unsigned char)s[i]) & 31);
    size_t nd = 0;
    for (size_t i = sep + 1; i < len; i++) {
        const char *p = strchr(charset, tolower((unsigned char)s[i]));
        if (p == NULL || s[i] == '\0')
            return 0;
        data[nd] = (unsigned char)(p - charset);
        chk = bech32_polymod_step(chk, data[nd]);
        nd++;
    }
    if (nd < 7)
        return 0;
    unsigned version = data[0];
    if (version > 16)
        return 0;
    if (chk != (version == 0 ? 1u : 0x2bc830a3u))
        return 0;
    /* the witness program: 5-bit groups to bytes, no leftover bits beyond padding */
    size_t bits = (nd - 7) * 5, prog = bits / 8;
    if (bits % 8 >= 5 || prog < 2 || prog > 40)
        return 0;
    if (version == 0 && prog != 20 && prog != 32)
        return 0;
    return 1;
}

/* ---- phone numbers ---- */

int guard_nanp_ok(const char *s, size_t len)
{
    char d[11];
    size_t nd = 0;
    for (size_t i = 0; i < len; i++) {
        if (isdigit((unsigned char)s[i])) {
            if (nd == 11)
                return 0;
            d[nd++] = s[i];
        }
    }
    const char *n = d;
    if (nd == 11 && d[0] == '1')
        n++, nd--;
    return nd == 10 && n[0] >= '2' && n[3] >= '2';
}

/* Two-digit country calling codes; the rest of zones 2-9 use three digits,
 * zones 1 and 7 one. Prefixes 28, 83 and 89 are unassigned. */
static int calling_code_len(const char *d, size_t nd)
{
    static const char two[][3] = {"20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
                                  "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
                                  "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"};
    if (nd < 3 || d[0] == '0')
        return 0;
    if (d[0] == '1' || d[0] == '7')
        return 1;
    for (size_t i = 0; i < sizeof(two) / sizeof(two[0]); i++)
        if (d[0] == two[i][0] && d[1] == two[i][1])
            return 2;
    if ((d[0] == '2' && d[1] == '8') || (d[0] == '8' && (d[1] == '3' || d[1] == '9')))
        return 0;
    return 3;
}

int guard_phone_intl_ok(const char *s, size_t len)
{
    char d[16];
    size_t nd = 0, i = 1;
    int parens = 0, open = 0;
    char prev = '+';
    if (len < 2 || s[0] != '+')
        return 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c == '(' && i + 2 < len && s[i + 1] == '0' && s[i + 2] == ')' && nd > 0) {
            i += 2; /* "(0)": the trunk prefix, not dialled from abroad */
            prev = ')';
            continue;
        }
        if (isdigit((unsigned char)c)) {
            if (nd == 15)
                return 0;
            d[nd++] = c;
        } else if (c == ' ' || c == '-' || c == '.') {
            if (!isdigit((unsigned char)prev) && prev != ')')
                return 0;
        } else if (c == '(') {
            if (open || parens || nd == 0)
                return 0;
            open = parens = 1;
        } else if (c == ')') {
            if (!open || !isdigit((unsigned char)prev))
                return 0;
            open = 0;
        } else {
            return 0;
        }
        prev = c;
    }
    if (open || nd < 8 || !isdigit((unsigned char)prev))
        return 0;
    int cc = calling_code_len(d, nd);
    if (cc == 0)
        return 0;
    size_t national = nd - (size_t)cc;
    if (d[0] == '1')
        return national == 10 && d[1] >= '2';
    if (d[0] == '4' && d[1] == '4')
        return national == 9 || national == 10;
    if (d[0] == '3' && d[1] == '3')
        return national == 9;
    if (d[0] == '9' && d[1] == '1')
        return national == 10;
    if (d[0] == '4' && d[1] == '9')
        return national >= 6 && national <= 13;
    return national >= 6 && national <= 12;
}
