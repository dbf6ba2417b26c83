#!/usr/bin/env python3
"""Blind PII evaluation sets for the `pii` guardrail (issue 11).

Written without reading the detector (src/guard/) or the first generator
(gen_pii_eval.py), so that the figures say how the detector does on text
somebody else wrote. Python 3 stdlib only, fixed seeds.

    python3 tests/data/gen_pii_blind7.py            # writes both files
    -> tests/data/pii_blind7_dev.jsonl      (seed 7001, tuning allowed)
    -> tests/data/pii_blind7_holdout.jsonl  (seed 7002, measure only)

Each line: {"text": ..., "spans": [{"type", "start", "end"}]}, offsets in
Unicode code points (Python str indices). A line with no spans holds only
look-alikes that must not match.

Genres: e-mail bodies, chat lines, support tickets, CSV rows, log lines,
JSON snippets, markdown tables, key: value forms. Checksums are computed
for real (Luhn, IBAN mod-97, base58check double SHA-256, bech32/bech32m
polymod); decoys break them on purpose.
"""
import hashlib
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------- names, words
FIRST = ["Anna", "José", "Zoë", "Łukasz", "Søren", "Ngọc", "Ольга", "王伟", "Aiko", "Priya",
         "Mohammed", "Chloé", "Jürgen", "Siobhán", "Mateus", "Fatima", "Kenji", "Émile",
         "Ravi", "Ingrid", "Dmitri", "Amara", "Björn", "Lucía", "Tomás", "Yuki", "Noah",
         "Olivia", "Liam", "Emma", "Raj", "Sara", "François", "Hana", "Kwame", "Mei"]
LAST = ["Müller", "García", "Kowalski", "Nguyễn", "Smith", "O'Brien", "Tanaka", "Sharma",
        "Dubois", "Jensen", "Rossi", "Silva", "Иванова", "Khan", "Schmidt", "Lefèvre",
        "Yamamoto", "Patel", "Andersson", "Novák", "Okafor", "Chen", "Brown", "Martin"]
ASCII_FIRST = ["anna", "jose", "zoe", "lukasz", "soren", "ngoc", "olga", "wei", "aiko",
               "priya", "mohammed", "chloe", "juergen", "siobhan", "mateus", "fatima",
               "kenji", "emile", "ravi", "ingrid", "dmitri", "amara", "bjorn", "lucia", "j",
               "noah", "olivia", "liam", "emma", "raj", "sara", "francois", "hana", "mei"]
ASCII_LAST = ["mueller", "garcia", "kowalski", "nguyen", "smith", "obrien", "tanaka",
              "sharma", "dubois", "jensen", "rossi", "silva", "ivanova", "khan", "schmidt",
              "lefevre", "yamamoto", "patel", "andersson", "novak", "okafor", "chen"]
DOMAINS = ["gmail.com", "outlook.com", "yahoo.co.uk", "web.de", "orange.fr", "example.org",
           "acme-corp.com", "mail.uni-heidelberg.de", "company.co.jp", "proton.me",
           "startup.io", "hospital.nhs.uk", "gov.in", "t-online.de", "icloud.com",
           "sub.mail.example.com", "fastmail.fm", "univ-lyon1.fr", "xn--mnchen-3ya.de"]
EMOJI = ["🙂", "👍", "🙏", "😅", "🚀", "✅", "📞", "💳", ""]


def name(r):
    return r.choice(FIRST) + " " + r.choice(LAST)


# ------------------------------------------------------------------ checksums
def luhn_check_digit(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # positions that get doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_ok(number):
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_check(country, bban):
    rearranged = bban + country + "00"
    num = "".join(str(int(c, 36)) for c in rearranged)
    return "%02d" % (98 - int(num) % 97)


def iban_ok(iban):
    s = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(raw):
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, rem = divmod(n, 58)
        out = B58[rem] + out
    pad = len(raw) - len(raw.lstrip(b"\0"))
    return "1" * pad + out


def base58check(version, payload):
    body = bytes([version]) + payload
    chk = hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4]
    return b58encode(body + chk)


BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def bech32_hrp_expand(hrp):
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def convertbits(data, frombits, tobits):
    acc = bits = 0
    ret = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if bits:
        ret.append((acc << (tobits - bits)) & maxv)
    return ret


def segwit_address(witver, program, hrp="bc"):
    const = 1 if witver == 0 else 0x2bc830a3
    data = [witver] + convertbits(program, 8, 5)
    values = bech32_hrp_expand(hrp) + data
    polymod = bech32_polymod(values + [0] * 6) ^ const
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in data + checksum)


# ------------------------------------------------------------ entity makers
def rdigits(r, n):
    return "".join(r.choice("0123456789") for _ in range(n))


def make_email(r):
    f, l = r.choice(ASCII_FIRST), r.choice(ASCII_LAST)
    local = r.choice([f + "." + l, f + "_" + l, f[0] + l, f + l + str(r.randint(1, 99)),
                      f + "+" + r.choice(["news", "work", "spam", "2024"]), l + "." + f,
                      f + "-" + l, f.upper()[0] + l.capitalize(), "info", "support",
                      "no-reply", f + "." + l + "." + str(r.randint(70, 99))])
    return local + "@" + r.choice(DOMAINS)


def us_number(r):
    area = str(r.randint(2, 9)) + rdigits(r, 2)
    exch = str(r.randint(2, 9)) + rdigits(r, 2)
    return area, exch, rdigits(r, 4)


def make_phone(r):
    """Returns (text, needs_context): national layouts are read as phones only
    next to a word that says so, as a human reader would."""
    kind = r.randrange(17)
    if kind == 0:
        a, e, s = us_number(r)
        return "(%s) %s-%s" % (a, e, s), False
    if kind == 1:
        a, e, s = us_number(r)
        return "%s-%s-%s" % (a, e, s), False
    if kind == 2:
        a, e, s = us_number(r)
        return "%s.%s.%s" % (a, e, s), False
    if kind == 3:
        a, e, s = us_number(r)
        return r.choice(["+1 %s %s %s", "+1-%s-%s-%s", "+1 (%s) %s-%s", "1-%s-%s-%s",
                         "+1.%s.%s.%s"]) % (a, e, s), False
    if kind == 4:
        a, e, s = us_number(r)
        return "+1" + a + e + s, False
    if kind == 5:  # UK
        return r.choice(["+44 20 %s %s" % (rdigits(r, 4), rdigits(r, 4)),
                         "+44 7%s %s" % (rdigits(r, 3), rdigits(r, 6)),
                         "+44 (0)20 %s %s" % (rdigits(r, 4), rdigits(r, 4)),
                         "+447%s" % rdigits(r, 9),
                         "+44 161 %s %s" % (rdigits(r, 3), rdigits(r, 4))]), False
    if kind == 6:
        return r.choice(["020 %s %s" % (rdigits(r, 4), rdigits(r, 4)),
                         "07%s %s" % (rdigits(r, 3), rdigits(r, 6)),
                         "0161 %s %s" % (rdigits(r, 3), rdigits(r, 4))]), True
    if kind == 7:  # Germany
        return r.choice(["+49 30 %s" % rdigits(r, 8),
                         "+49 151 %s" % rdigits(r, 8),
                         "+49 (0)89 %s %s" % (rdigits(r, 3), rdigits(r, 4)),
                         "+49-40-%s" % rdigits(r, 7),
                         "+4917%s" % rdigits(r, 9)]), False
    if kind == 8:
        return r.choice(["030 %s" % rdigits(r, 8), "0151 %s" % rdigits(r, 8),
                         "089/%s" % rdigits(r, 7), "0171-%s" % rdigits(r, 7)]), True
    if kind == 9:  # France
        g = [rdigits(r, 2) for _ in range(4)]
        return r.choice(["+33 1 %s %s %s %s" % tuple(g), "+33 6 %s %s %s %s" % tuple(g),
                         "+33 (0)1 %s %s %s %s" % tuple(g), "+336%s" % "".join(g)]), False
    if kind == 10:
        g = [rdigits(r, 2) for _ in range(4)]
        return r.choice(["01 %s %s %s %s" % tuple(g), "06.%s.%s.%s.%s" % tuple(g),
                         "07 %s %s %s %s" % tuple(g)]), True
    if kind == 11:  # India
        m = str(r.randint(6, 9)) + rdigits(r, 9)
        return r.choice(["+91 %s %s" % (m[:5], m[5:]), "+91-%s" % m, "+91%s" % m,
                         "+91 %s-%s" % (m[:5], m[5:])]), False
    if kind == 12:
        m = str(r.randint(6, 9)) + rdigits(r, 9)
        return r.choice(["%s %s" % (m[:5], m[5:]), "0%s" % m]), True
    if kind == 13:  # Japan
        return r.choice(["+81 3-%s-%s" % (rdigits(r, 4), rdigits(r, 4)),
                         "+81 90-%s-%s" % (rdigits(r, 4), rdigits(r, 4)),
                         "+81 (0)3 %s %s" % (rdigits(r, 4), rdigits(r, 4)),
                         "+8190%s" % rdigits(r, 8),
                         "+81 6 %s %s" % (rdigits(r, 4), rdigits(r, 4))]), False
    if kind == 14:  # other E.164
        return r.choice(["+34 6%s %s %s" % (rdigits(r, 2), rdigits(r, 3), rdigits(r, 3)),
                         "+39 06 %s %s" % (rdigits(r, 4), rdigits(r, 4)),
                         "+61 4%s %s %s" % (rdigits(r, 2), rdigits(r, 3), rdigits(r, 3)),
                         "+55 11 9%s-%s" % (rdigits(r, 4), rdigits(r, 4)),
                         "+31 6 %s" % rdigits(r, 8),
                         "+86 138 %s %s" % (rdigits(r, 4), rdigits(r, 4)),
                         "+7 495 %s-%s-%s" % (rdigits(r, 3), rdigits(r, 2), rdigits(r, 2)),
                         "+353 87 %s %s" % (rdigits(r, 3), rdigits(r, 4))]), False
    if kind == 15:  # US (an extension may follow, see make_value)
        a, e, s = us_number(r)
        return "(%s) %s-%s" % (a, e, s), False
    a, e, s = us_number(r)
    return "%s %s %s" % (a, e, s), True


PHONE_EXT = [" ext. 204", " x1234", " ext 12", " (ext. 5)", ""]
PHONE_WORDS = ["phone", "Phone", "Tel.", "tel", "call me on", "mobile", "Mobile:", "cell",
               "Handy", "téléphone", "WhatsApp", "reach me at", "ph:", "contact number"]


def make_card(r):
    kind = r.randrange(7)
    if kind == 0:
        prefix, n, groups = "4" + rdigits(r, 5), 16, [4, 4, 4, 4]
    elif kind == 1:
        prefix, n, groups = str(r.randint(51, 55)) + rdigits(r, 4), 16, [4, 4, 4, 4]
    elif kind == 2:
        prefix, n, groups = str(r.randint(2221, 2720)) + rdigits(r, 2), 16, [4, 4, 4, 4]
    elif kind == 3:
        prefix, n, groups = r.choice(["34", "37"]) + rdigits(r, 4), 15, [4, 6, 5]
    elif kind == 4:
        prefix, n, groups = r.choice(["6011", "65" + rdigits(r, 2)]) + rdigits(r, 2), 16, [4, 4, 4, 4]
    elif kind == 5:
        prefix, n, groups = str(r.randint(3528, 3589)) + rdigits(r, 2), 16, [4, 4, 4, 4]
    else:
        prefix, n, groups = "36" + rdigits(r, 4), 14, [4, 6, 4]
    body = prefix + rdigits(r, n - 1 - len(prefix))
    number = body + luhn_check_digit(body)
    assert luhn_ok(number)
    return group(r, number, groups)


def group(r, number, groups):
    sep = r.choice([" ", " ", "-", ""])
    if not sep:
        return number
    out, i = [], 0
    for g in groups:
        out.append(number[i:i + g])
        i += g
    return sep.join(out)


def bad_card(r):
    while True:
        number = make_card(r)
        digits = [c for c in number]
        idxs = [i for i, c in enumerate(digits) if c.isdigit()]
        i = r.choice(idxs[6:])
        digits[i] = str((int(digits[i]) + r.randint(1, 9)) % 10)
        cand = "".join(digits)
        if not luhn_ok(cand.replace(" ", "").replace("-", "")):
            return cand


IBAN_FORMATS = {  # country: BBAN layout (n = digit, a = upper letter, c = alnum)
    "DE": "n" * 18, "GB": "aaaa" + "n" * 14, "FR": "n" * 10 + "c" * 11 + "nn",
    "ES": "n" * 20, "IT": "a" + "n" * 10 + "c" * 12, "NL": "aaaa" + "n" * 10,
    "BE": "n" * 12, "CH": "n" * 5 + "c" * 12, "AT": "n" * 16, "PL": "n" * 24,
    "SE": "n" * 20, "NO": "n" * 11, "DK": "n" * 14, "FI": "n" * 14, "IE": "aaaa" + "n" * 14,
    "PT": "n" * 21, "LU": "nnn" + "c" * 13, "SA": "nn" + "c" * 18, "AE": "n" * 19,
    "TR": "n" * 5 + "0" + "c" * 16, "BR": "n" * 23 + "a" + "c", "CZ": "n" * 20,
    "HU": "n" * 24, "RO": "aaaa" + "c" * 16, "GR": "n" * 7 + "c" * 16, "HR": "n" * 17,
    "MT": "aaaa" + "n" * 5 + "c" * 18, "IL": "n" * 19, "LT": "n" * 16, "EE": "n" * 16,
}


def make_bban(r, layout):
    out = []
    for ch in layout:
        if ch == "n":
            out.append(r.choice("0123456789"))
        elif ch == "a":
            out.append(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        elif ch == "c":
            out.append(r.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        else:
            out.append(ch)
    return "".join(out)


def iban_raw(r):
    country = r.choice(sorted(IBAN_FORMATS))
    bban = make_bban(r, IBAN_FORMATS[country])
    iban = country + iban_check(country, bban) + bban
    assert iban_ok(iban)
    return iban


def fmt_iban(r, iban):
    if r.random() < 0.55:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def make_iban(r):
    return fmt_iban(r, iban_raw(r))


def bad_iban(r):
    iban = iban_raw(r)
    while True:
        chk = "%02d" % r.randint(2, 98)
        cand = iban[:2] + chk + iban[4:]
        if not iban_ok(cand):
            return fmt_iban(r, cand)


def ssn_parts(r):
    while True:
        area = r.randint(1, 899)
        if area != 666:
            break
    return "%03d" % area, "%02d" % r.randint(1, 99), "%04d" % r.randint(1, 9999)


def make_ssn(r):
    a, g, s = ssn_parts(r)
    return "%s-%s-%s" % (a, g, s)


def bad_ssn(r):
    a, g, s = ssn_parts(r)
    k = r.randrange(5)
    if k == 0:
        a = "000"
    elif k == 1:
        a = "666"
    elif k == 2:
        a = str(r.randint(900, 999))
    elif k == 3:
        g = "00"
    else:
        s = "0000"
    return "%s-%s-%s" % (a, g, s)


def make_ipv4(r):
    first = r.choice([10, 172, 192, 8, 34, 52, 100, 203, 185, r.randint(11, 223)])
    return "%d.%d.%d.%d" % (first, r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))


def hextet(r, lower=True):
    h = "%x" % r.randint(1, 0xffff)
    return h if lower else h.upper()


def make_ipv6(r):
    lower = r.random() < 0.85
    k = r.randrange(11)
    if k == 0:  # full
        return ":".join(hextet(r, lower) for _ in range(8))
    if k == 1:  # full, zero padded
        return ":".join("%04x" % r.randint(0, 0xffff) for _ in range(8))
    if k == 2:
        return "2001:db8::" + hextet(r, lower)
    if k == 3:
        return "fe80::" + ":".join(hextet(r, lower) for _ in range(4)) + r.choice(["", "%eth0", "%en0"])
    if k == 4:
        return "::1"
    if k == 5:
        return "::ffff:" + make_ipv4(r)
    if k == 6:  # compression in the middle
        left = r.randint(1, 5)
        right = r.randint(1, 6 - left)
        return ":".join(hextet(r, lower) for _ in range(left)) + "::" + \
            ":".join(hextet(r, lower) for _ in range(right))
    if k == 7:  # trailing ::
        return ":".join(hextet(r, lower) for _ in range(r.randint(1, 4))) + "::"
    if k == 8:  # leading ::
        return "::" + ":".join(hextet(r, lower) for _ in range(r.randint(1, 4)))
    if k == 9:  # embedded v4 after a prefix
        return "64:ff9b::" + make_ipv4(r)
    return "2001:db8:%s:%s::%s" % (hextet(r, lower), hextet(r, lower), hextet(r, lower))


def make_mac(r):
    b = [r.randint(0, 255) for _ in range(6)]
    k = r.randrange(5)
    if k == 0:
        return ":".join("%02x" % x for x in b)
    if k == 1:
        return ":".join("%02X" % x for x in b)
    if k == 2:
        return "-".join("%02X" % x for x in b)
    if k == 3:
        h = "".join("%02x" % x for x in b)
        return ".".join(h[i:i + 4] for i in range(0, 12, 4))
    return "-".join("%02x" % x for x in b)


def make_crypto(r):
    k = r.randrange(5)
    if k == 0:
        return base58check(0x00, bytes(r.randrange(256) for _ in range(20)))
    if k == 1:
        return base58check(0x05, bytes(r.randrange(256) for _ in range(20)))
    if k == 2:
        return segwit_address(0, bytes(r.randrange(256) for _ in range(20)))
    if k == 3:
        return segwit_address(0, bytes(r.randrange(256) for _ in range(32)))
    return segwit_address(1, bytes(r.randrange(256) for _ in range(32)))


def bad_crypto(r):
    addr = make_crypto(r)
    alphabet = BECH32_CHARSET if addr.startswith("bc1") else B58
    i = r.randrange(len(addr) - 8, len(addr))
    while True:
        c = r.choice(alphabet)
        if c != addr[i]:
            return addr[:i] + c + addr[i + 1:]


URL_HOSTS = ["example.com", "docs.python.org", "github.com", "www.bbc.co.uk", "en.wikipedia.org",
             "shop.acme-corp.com", "intranet.company.local", "status.aws.amazon.com",
             "stackoverflow.com", "www.spiegel.de", "api.stripe.com", "news.ycombinator.com",
             "maps.google.com", "www.lemonde.fr", "tickets.example.net", "cdn.jsdelivr.net"]
URL_PATHS = ["", "/", "/docs/getting-started", "/wiki/Zürich", "/3/library/json.html",
             "/questions/12345/how-to-parse-json", "/search?q=warden+gateway&lang=en",
             "/orders/8841?ref=mail#details", "/a/b/c.html", "/user/profile/", "/v1/items/42",
             "/index.php?id=7&sort=desc", "/item?id=38291044", "/npm/lodash@4.17.21/lodash.min.js"]


def make_url(r):
    host = r.choice(URL_HOSTS)
    path = r.choice(URL_PATHS)
    k = r.randrange(8)
    if k < 4:
        return r.choice(["https://", "http://"]) + host + path
    if k == 4:
        return "https://" + host + ":" + str(r.choice([8080, 8443, 3000])) + path
    if k == 5:
        return "www." + host.replace("www.", "") + path
    if k == 6:  # no scheme, no www: a host with a path, as people paste it
        return host.replace("www.", "") + r.choice(URL_PATHS[2:])
    return "ftp://files." + host.replace("www.", "") + "/pub/release.tar.gz"


MAKERS = {
    "EMAIL_ADDRESS": make_email, "CREDIT_CARD": make_card, "IBAN_CODE": make_iban,
    "US_SSN": make_ssn, "MAC_ADDRESS": make_mac, "CRYPTO": make_crypto, "URL": make_url,
}


# ------------------------------------------------------------------- decoys
def decoy(r):
    """A look-alike that must not be reported, with a realistic label."""
    k = r.randrange(30)
    if k == 0:
        return "card", bad_card(r)
    if k == 1:
        return "IBAN", bad_iban(r)
    if k == 2:
        return "SSN", bad_ssn(r)
    if k == 3:
        return "date", r.choice(["2024-03-15", "15/03/2024", "03/15/2024", "15.03.2024",
                                 "2023-12-31T23:59:59Z", "12.05.2025"])
    if k == 4:
        return "version", r.choice(["v2.10.3", "1.2.3.4.5", "4.18.2", "version 10.0.19045.3803",
                                    "3.11.4-rc1", "v0.0.1-alpha.2", "14.2.1 (23C71)"])
    if k == 5:
        return "order", "Order #%s" % rdigits(r, r.choice([8, 10, 12]))
    if k == 6:
        return "invoice", "INV-%s-%s" % (r.randint(2019, 2025), rdigits(r, 6))
    if k == 7:
        return "price", r.choice(["$1,234.56", "€ 2.499,00", "£12.99", "1 299,00 zł",
                                  "USD 15,000,000.00"])
    if k == 8:
        return "isbn", r.choice(["978-3-16-148410-0", "ISBN 0-306-40615-2", "978-0-596-52068-7"])
    if k == 9:
        return "hash", "".join(r.choice("0123456789abcdef") for _ in range(r.choice([40, 64, 7])))
    if k == 10:
        h = "".join(r.choice("0123456789abcdef") for _ in range(32))
        return "uuid", "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
    if k == 11:
        return "ip", r.choice(["256.1.1.1", "999.10.10.10", "192.168.1", "10.0.0.300",
                               "1.2.3.4.5.6"])
    if k == 12:
        return "code", r.choice(["std::vector<int>", "boost::asio::ip::tcp", "Foo::Bar::baz()",
                                 "a::b", "ns1::ns2"])
    if k == 13:
        return "time", r.choice(["12:30:45", "08:15", "23:59:59.999", "1:02:03:04"])
    if k == 14:
        return "crypto", bad_crypto(r)
    if k == 15:
        return "mention", r.choice(["@" + r.choice(ASCII_FIRST), "user@localhost",
                                    "name@domain", "foo@bar", "@channel"])
    if k == 16:
        return "file", r.choice(["config.yaml", "index.html", "node.js", "report_final.pdf",
                                 "e.g.", "i.e.", "main.c", "README.md", "setup.py"])
    if k == 17:
        return "tracking", "1Z%s" % "".join(r.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")
                                            for _ in range(16))
    if k == 18:
        return "coords", "%.4f, %.4f" % (r.uniform(-80, 80), r.uniform(-170, 170))
    if k == 19:
        return "mac-like", r.choice(["1a:2b:3c:4d:5e", "00:11:22:33:44:55:66", "aa-bb-cc-dd",
                                     "12:34:56"])
    if k == 20:
        return "account", "Account no. %s" % rdigits(r, r.choice([6, 8, 9]))
    if k == 21:
        return "phone-like", r.choice(["1234", "+1", "ext. 4401", "2024",
                                       "PO Box 4821"])
    if k == 22:
        return "ticket", "Ticket #%s" % rdigits(r, r.choice([5, 6, 7]))
    if k == 23:
        return "build", "build %s.%s" % (rdigits(r, 8), rdigits(r, 4))
    if k == 24:
        return "zip", r.choice(["SW1A 1AA", "10115 Berlin", "75008 Paris", "90210",
                                "560001"])
    if k == 25:
        return "serial", "S/N %s" % "".join(r.choice("0123456789ABCDEF") for _ in range(12))
    if k == 26:
        return "amount", "%s.%02d" % (rdigits(r, r.choice([4, 6, 9])), r.randint(0, 99))
    if k == 27:
        return "range", "%s-%s" % (rdigits(r, 3), rdigits(r, 3))
    if k == 28:
        return "sku", "SKU %s-%s-%s" % (rdigits(r, 3), rdigits(r, 2), rdigits(r, 4))
    return "percent", "%d%% of %s" % (r.randint(1, 99), rdigits(r, 5))


# ------------------------------------------------------------- line building
class Line:
    def __init__(self):
        self.parts = []
        self.spans = []
        self.length = 0

    def add(self, s, typ=None):
        if typ:
            self.spans.append({"type": typ, "start": self.length, "end": self.length + len(s)})
        self.parts.append(s)
        self.length += len(s)

    def text(self):
        return "".join(self.parts)


LABELS = {
    "EMAIL_ADDRESS": ["email", "E-mail", "mail", "Email address", "contact"],
    "PHONE_NUMBER": ["phone", "Tel", "mobile", "Phone number", "cell"],
    "CREDIT_CARD": ["card", "Card number", "CC", "Visa", "payment card"],
    "IBAN_CODE": ["IBAN", "iban", "bank account (IBAN)", "Konto"],
    "US_SSN": ["SSN", "ssn", "Social Security No.", "social"],
    "IP_ADDRESS": ["ip", "client_ip", "IP address", "remote_addr", "src"],
    "MAC_ADDRESS": ["mac", "MAC", "hw_addr", "MAC address", "ether"],
    "CRYPTO": ["btc", "BTC address", "wallet", "bitcoin"],
    "URL": ["url", "link", "website", "homepage", "see"],
}
TYPES = list(LABELS)
WEIGHTS = [12, 16, 12, 10, 8, 12, 8, 8, 12]


def make_value(r, typ):
    """(text, prefix, suffix): the entity text and what goes around it."""
    if typ == "PHONE_NUMBER":
        text, needs = make_phone(r)
        prefix = r.choice(PHONE_WORDS) + " " if needs or r.random() < 0.3 else ""
        ext = r.choice(PHONE_EXT) if r.random() < 0.15 else ""
        if ext and "(" not in ext:
            return text + ext, prefix, ""  # "x1234", " ext. 204": part of the number, as dialled
        return text, prefix, ext
    if typ == "IP_ADDRESS":
        if r.random() < 0.45:
            ip = make_ipv6(r)
            if r.random() < 0.15 and "%" not in ip:
                return ip, "[", "]:" + str(r.choice([443, 8080, 22]))
            return ip, "", ""
        ip = make_ipv4(r)
        if r.random() < 0.15:
            return ip, "", ":" + str(r.choice([443, 8080, 22, 5432]))
        if r.random() < 0.1:
            return ip, "", "/" + str(r.choice([8, 16, 24, 32]))
        return ip, "", ""
    if typ == "US_SSN":
        a, g, s = ssn_parts(r)
        k = r.randrange(5)
        if k == 3:
            return "%s %s %s" % (a, g, s), "SSN ", ""
        if k == 4:
            return a + g + s, r.choice(["SSN: ", "SSN#", "ssn="]), ""
        return "%s-%s-%s" % (a, g, s), "", ""
    return MAKERS[typ](r), "", ""


WRAPS = [("", ""), ("", ""), ("", ""), ("(", ")"), ("<", ">"), ("\"", "\""), ("'", "'"),
         ("[", "]"), ("`", "`"), ("«", "»"), ("*", "*")]
ENDS = [".", ",", "", "", "!", "?", ";", ":", "…", " " + "🙂"]


def prose_sentence(r, line, typ, val, pre, suf):
    lead = r.choice({
        "EMAIL_ADDRESS": ["Please write to ", "My new address is ", "cc ", "Send the invoice to ",
                          "Bitte an ", "contact: ", "Escríbeme a ", "reply-to "],
        "PHONE_NUMBER": ["You can ", "Best number: ", "Kontakt ", "Our office line is ",
                         "Ring ", "numéro ", "Urgent — ", ""],
        "CREDIT_CARD": ["Charge it to ", "my card is ", "Karte ", "Card on file: ",
                        "use the Amex ", "paid with "],
        "IBAN_CODE": ["Please wire it to ", "Überweisung an ", "Virement sur ", "IBAN ",
                      "account: ", "pay into "],
        "US_SSN": ["SSN is ", "my social is ", "Applicant SSN ", "ssn ", "it's "],
        "IP_ADDRESS": ["Blocked ", "the server at ", "ping ", "traffic from ", "Host "],
        "MAC_ADDRESS": ["the laptop's MAC is ", "whitelist ", "device ", "Wi-Fi adapter "],
        "CRYPTO": ["send BTC to ", "donations: ", "my wallet ", "pay to ", "Bitcoin: "],
        "URL": ["see ", "Docs at ", "check out ", "more info: ", "Link: ", "mirror "],
    }[typ])
    line.add(lead + pre)
    w = r.choice(WRAPS)
    line.add(w[0])
    line.add(val, typ)
    line.add(suf + w[1])
    tail = r.choice([" thanks", " asap", " when you can", " (new)", " — " + r.choice(FIRST), ""])
    line.add(tail + r.choice(ENDS))


def decoy_sentence(r, line):
    label, val = decoy(r)
    line.add(r.choice(["Ref ", "re: ", "Note: ", "", "About ", "see ", label + ": ",
                       label.capitalize() + " "]))
    line.add(val)
    line.add(r.choice([".", "", ",", " today.", " (old)", " ok?", "…"]))


def choose_type(r):
    return r.choices(TYPES, WEIGHTS)[0]


def items_for_line(r):
    n = r.choice([1, 1, 2, 2, 3, 4])
    out = []
    for _ in range(n):
        if r.random() < 0.3:
            out.append(("DECOY",) + decoy(r))
        else:
            t = choose_type(r)
            out.append((t,) + make_value(r, t))
    return out


def g_prose(r, line, items):
    opener = r.choice(["Hi " + name(r) + ", ", "Hello team, ", "Hey! ", "", "Dear Sir or Madam, ",
                       "Bonjour, ", "Hallo zusammen, ", r.choice(FIRST) + ": ", "> "])
    line.add(opener)
    for i, it in enumerate(items):
        if i:
            line.add(r.choice([" ", "\n", " Also, ", " And ", " / ", " btw "]))
        if it[0] == "DECOY":
            line.add(r.choice(["Ref ", "re: ", "", it[1] + ": ", it[1].capitalize() + " "]))
            line.add(it[2])
            line.add(r.choice([".", "", ",", " today.", " (old)"]))
        else:
            prose_sentence(r, line, it[0], it[1], it[2], it[3])
    line.add(r.choice(["", "", " Thanks, " + name(r), "\n-- \n" + name(r), " " + r.choice(EMOJI)]))


def label_of(r, it):
    return it[1] if it[0] == "DECOY" else r.choice(LABELS[it[0]])


def add_item_value(line, it, quote=""):
    if it[0] == "DECOY":
        line.add(quote + it[2] + quote)
    else:
        line.add(quote + it[2])
        line.add(it[1], it[0])
        line.add(it[3] + quote)


def g_kv(r, line, items):
    line.add(r.choice(["Ticket #%s\n" % rdigits(r, 5), "Customer details:\n", "", "### Form\n",
                       "Subject: account update\n"]))
    line.add("Name: " + name(r) + "\n")
    sep = r.choice([": ", " = ", ":\t", " - "])
    for it in items:
        line.add(label_of(r, it).replace(" ", "_" if sep == " = " else " ") + sep)
        add_item_value(line, it)
        line.add("\n")


def g_csv(r, line, items):
    d = r.choice([",", ";", "\t", "|"])
    quote = r.choice(["", "", "\""])
    line.add(d.join(["id", "name"] + [label_of(r, it).replace(" ", "_") for it in items]) + "\n")
    line.add(str(r.randint(1, 99999)) + d + quote + name(r) + quote)
    for it in items:
        line.add(d)
        add_item_value(line, it, quote)
    if r.random() < 0.4:
        line.add("\n" + str(r.randint(1, 99999)) + d + name(r) + d * len(items))


def g_log(r, line, items):
    ts = "2024-%02d-%02dT%02d:%02d:%02d.%03dZ" % (r.randint(1, 12), r.randint(1, 28),
                                                r.randint(0, 23), r.randint(0, 59),
                                                r.randint(0, 59), r.randint(0, 999))
    line.add(r.choice([ts + " ", "[" + ts + "] ", "Mar 15 12:30:45 gw01 sshd[2211]: "]))
    line.add(r.choice(["INFO ", "WARN ", "ERROR ", "level=info ", "DEBUG "]))
    line.add(r.choice(["request ", "login failed ", "dhcp lease ", "payment ", "msg=\"update\" "]))
    for it in items:
        key = label_of(r, it).replace(" ", "_").lower()
        q = "\"" if r.random() < 0.2 else ""
        line.add(key + "=")
        add_item_value(line, it, q)
        line.add(" ")
    line.add(r.choice(["status=200", "took=12ms", "rid=" + rdigits(r, 9), ""]))


def g_json(r, line, items):
    ind = r.choice(["", "  "])
    nl = "\n" if ind else " "
    line.add(r.choice(["", "```json\n", "payload: "]) + "{" + nl)
    line.add(ind + "\"name\": \"" + name(r) + "\"")
    for it in items:
        line.add("," + nl + ind + "\"" + label_of(r, it).replace(" ", "_").lower() + "\": \"")
        add_item_value(line, it)
        line.add("\"")
    line.add(nl + "}")


def g_markdown(r, line, items):
    heads = ["Name"] + [label_of(r, it) for it in items]
    line.add("| " + " | ".join(heads) + " |\n")
    line.add("|" + "|".join("---" for _ in heads) + "|\n")
    line.add("| " + name(r) + " ")
    for it in items:
        line.add("| ")
        add_item_value(line, it)
        line.add(" ")
    line.add("|")


def g_chat(r, line, items):
    for it in items:
        line.add("[%02d:%02d] %s: " % (r.randint(0, 23), r.randint(0, 59), r.choice(FIRST)))
        if it[0] == "DECOY":
            line.add(r.choice(["what about ", "it says ", "", "ref "]) + it[2] +
                     r.choice(["?", "", " lol", " 🤔"]))
        else:
            line.add(r.choice(["here: ", "ok ", "", "it's ", "try ", "new one → "]))
            line.add(it[2])
            line.add(it[1], it[0])
            line.add(it[3] + r.choice(["", " 👍", "!", " thx", "?"]))
        line.add("\n")


GENRES = [(g_prose, 30), (g_kv, 12), (g_csv, 12), (g_log, 14), (g_json, 12),
          (g_markdown, 8), (g_chat, 12)]


def make_line(r, decoy_only):
    line = Line()
    if decoy_only:
        items = [("DECOY",) + decoy(r) for _ in range(r.choice([1, 2, 3]))]
    else:
        items = items_for_line(r)
        if all(it[0] == "DECOY" for it in items):
            t = choose_type(r)
            items.append((t,) + make_value(r, t))
    gen = r.choices([g for g, _ in GENRES], [w for _, w in GENRES])[0]
    gen(r, line, items)
    return {"text": line.text(), "spans": line.spans}


def write(path, seed, n):
    r = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            rec = make_line(r, decoy_only=(r.random() < 0.22))
            for sp in rec["spans"]:
                assert rec["text"][sp["start"]:sp["end"]].strip() == rec["text"][sp["start"]:sp["end"]]
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def main():
    n = int(os.environ.get("PII_BLIND7_LINES", "800"))
    write(os.path.join(HERE, "pii_blind7_dev.jsonl"), 7001, n)
    write(os.path.join(HERE, "pii_blind7_holdout.jsonl"), 7002, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
