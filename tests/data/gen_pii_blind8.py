#!/usr/bin/env python3
"""Blind PII test set (blind8) for Warden's `pii` guardrail.

Written from the README's claims only. Produces JSONL lines
{"text": ..., "spans": [{"type", "start", "end"}]} with code-point offsets.

usage: gen_pii_blind8.py [--dev FILE] [--holdout FILE] [--n N]
"""
import hashlib
import json
import os
import random
import sys

# ----------------------------------------------------------------- helpers

DIG = "0123456789"
UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LO = "abcdefghijklmnopqrstuvwxyz"


def rd(r, n, alpha=DIG):
    return "".join(r.choice(alpha) for _ in range(n))


class E:
    """An entity piece: (type, text).  type None = decoy (no span)."""

    def __init__(self, typ, text):
        self.typ = typ
        self.text = text


def build(pieces):
    text = ""
    spans = []
    for p in pieces:
        if isinstance(p, E):
            if p.typ:
                spans.append({"type": p.typ, "start": len(text), "end": len(text) + len(p.text)})
            text += p.text
        else:
            text += p
    return {"text": text, "spans": spans}


# ----------------------------------------------------------------- Luhn / cards

def luhn_digit(body):
    s = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        s += d
    return str((10 - s % 10) % 10)


def luhn_ok(num):
    return luhn_digit(num[:-1]) == num[-1]


def card_number(r, brand=None):
    brands = [
        ("visa", lambda: "4", 16, (4, 4, 4, 4)),
        ("mc", lambda: str(r.randint(51, 55)), 16, (4, 4, 4, 4)),
        ("mc2", lambda: str(r.randint(2221, 2720)), 16, (4, 4, 4, 4)),
        ("amex", lambda: r.choice(["34", "37"]), 15, (4, 6, 5)),
        ("disc", lambda: r.choice(["6011", "65", str(r.randint(644, 649))]), 16, (4, 4, 4, 4)),
        ("jcb", lambda: str(r.randint(3528, 3589)), 16, (4, 4, 4, 4)),
        ("diners", lambda: r.choice(["36", "38", str(r.randint(300, 305))]), 14, (4, 6, 4)),
        ("unionpay", lambda: "62" + rd(r, 1, "2345678"), 16, (4, 4, 4, 4)),
        ("maestro", lambda: r.choice(["5018", "5020", "5038", "6304", "6759"]), 16, (4, 4, 4, 4)),
    ]
    b = r.choice(brands) if brand is None else [x for x in brands if x[0] == brand][0]
    pre = b[1]()
    body = pre + rd(r, b[2] - len(pre) - 1)
    return b[0], body + luhn_digit(body), b[3]


def group(num, groups, sep):
    out, i = [], 0
    for g in groups:
        out.append(num[i:i + g])
        i += g
    if i < len(num):
        out.append(num[i:])
    return sep.join(out)


def card_text(r, valid=True):
    brand, num, groups = card_number(r)
    if not valid:
        num = num[:-1] + str((int(num[-1]) + r.randint(1, 9)) % 10)
        assert not luhn_ok(num)
    sep = r.choice([" ", "-", "", " ", "-"])
    return group(num, groups, sep) if sep else num


# ----------------------------------------------------------------- IBAN

IBAN_FMT = {
    "AD": "4n4n12c", "AE": "3n16n", "AT": "5n11n", "BE": "3n7n2n", "BG": "4a4n2n8c",
    "BH": "4a14c", "BR": "8n5n10n1a1c", "CH": "5n12c", "CY": "3n5n16c", "CZ": "4n6n10n",
    "DE": "8n10n", "DK": "4n9n1n", "EE": "2n2n11n1n", "ES": "4n4n1n1n10n", "FI": "3n11n",
    "FR": "5n5n11c2n", "GB": "4a6n8n", "GR": "3n4n16c", "HR": "7n10n", "HU": "3n4n1n15n1n",
    "IE": "4a6n8n", "IL": "3n3n13n", "IS": "4n2n6n10n", "IT": "1a5n5n12c", "JO": "4a4n18c",
    "KW": "4a22c", "LI": "5n12c", "LT": "5n11n", "LU": "3n13c", "LV": "4a13c",
    "MC": "5n5n11c2n", "MT": "4a5n18c", "MU": "4a2n2n12n3n3a", "NL": "4a10n", "NO": "4n6n1n",
    "PL": "8n16n", "PT": "4n4n11n2n", "QA": "4a21c", "RO": "4a16c", "SA": "2n18c",
    "SE": "3n16n1n", "SI": "5n8n2n", "SK": "4n6n10n", "SM": "1a5n5n12c", "TR": "5n1n16c",
    "UA": "6n19c", "CR": "4n14n", "GI": "4a15c", "ME": "3n13n2n", "RS": "3n13n2n",
}
IBAN_LEN = {}


def _parse_fmt(f):
    out, num = [], ""
    for ch in f:
        if ch.isdigit():
            num += ch
        else:
            out.append((int(num), ch))
            num = ""
    return out


for _c, _f in IBAN_FMT.items():
    IBAN_LEN[_c] = 4 + sum(n for n, _ in _parse_fmt(_f))


def iban_check(cc, bban):
    s = bban + cc + "00"
    v = int("".join(str(int(ch, 36)) for ch in s))
    return "%02d" % (98 - v % 97)


def iban_ok(iban):
    s = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in s)) % 97 == 1


def make_bban(r, cc):
    out = ""
    for n, kind in _parse_fmt(IBAN_FMT[cc]):
        if kind == "n":
            out += rd(r, n)
        elif kind == "a":
            out += rd(r, n, UP)
        else:  # alnum, mostly digits
            out += "".join(r.choice(UP) if r.random() < 0.15 else r.choice(DIG) for _ in range(n))
    return out


def iban_text(r, cc=None, valid=True, spaced=None):
    cc = cc or r.choice(list(IBAN_FMT))
    bban = make_bban(r, cc)
    chk = iban_check(cc, bban)
    iban = cc + chk + bban
    assert len(iban) == IBAN_LEN[cc] and iban_ok(iban)
    if not valid:
        mode = r.random()
        if mode < 0.6:  # wrong check digits
            bad = "%02d" % ((int(chk) + r.randint(1, 90)) % 97 + 2)
            bad = bad[-2:]
            iban = cc + bad + bban
            if iban_ok(iban):
                iban = cc + ("%02d" % ((int(bad) + 1) % 100)) + bban
        else:  # a digit swapped in the BBAN (transposition)
            b = list(bban)
            for _ in range(20):
                i = r.randrange(len(b) - 1)
                if b[i] != b[i + 1] and b[i].isdigit() and b[i + 1].isdigit():
                    b[i], b[i + 1] = b[i + 1], b[i]
                    break
            iban = cc + chk + "".join(b)
        if iban_ok(iban):
            return iban_text(r, cc, valid, spaced)
    if spaced is None:
        spaced = r.random() < 0.55
    if spaced:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


# ----------------------------------------------------------------- SSN

def ssn_parts(r, valid=True):
    if valid:
        while True:
            a = r.randint(1, 899)
            if a != 666:
                break
        g = r.randint(1, 99)
        s = r.randint(1, 9999)
    else:
        k = r.randrange(5)
        a = [0, 666, r.randint(900, 999), r.randint(1, 665), r.randint(1, 665)][k]
        g = r.randint(1, 99) if k < 3 else (0 if k == 3 else r.randint(1, 99))
        s = r.randint(1, 9999) if k != 4 else 0
    return "%03d" % a, "%02d" % g, "%04d" % s


# ----------------------------------------------------------------- phones

def phone(r, country=None):
    """Returns (country, text, needs_context)."""
    c = country or r.choice(["US", "US", "US", "UK", "UK", "DE", "DE", "FR", "FR", "IN", "IN",
                             "BR", "JP", "ES", "IT", "NL", "AU", "MX", "CH", "CA"])
    n = lambda k: rd(r, k)
    nz = lambda: str(r.randint(2, 9))
    if c in ("US", "CA"):
        area = nz() + n(2)
        ex = nz() + n(2)
        ln = n(4)
        fmts = ["(%s) %s-%s" % (area, ex, ln), "%s-%s-%s" % (area, ex, ln), "%s.%s.%s" % (area, ex, ln),
                "+1 %s %s %s" % (area, ex, ln), "+1 (%s) %s-%s" % (area, ex, ln), "1-%s-%s-%s" % (area, ex, ln),
                "+1-%s-%s-%s" % (area, ex, ln), "+1%s%s%s" % (area, ex, ln)]
        return c, r.choice(fmts)
    if c == "UK":
        fmts = ["020 7946 0%s" % n(3), "+44 20 7946 0%s" % n(3), "+44 (0)20 7946 0%s" % n(3),
                "07700 900%s" % n(3), "+44 7700 900%s" % n(3), "0161 496 0%s" % n(3),
                "+44 161 496 0%s" % n(3), "0117 496 0%s" % n(3), "+447700900%s" % n(3),
                "(020) 7946 0%s" % n(3), "01632 960%s" % n(3)]
        return c, r.choice(fmts)
    if c == "DE":
        fmts = ["030 %s" % n(r.choice([6, 7, 8])), "+49 30 %s" % n(7), "+49 (0)30 %s" % n(7),
                "0171 %s" % n(7), "+49 171 %s" % n(7), "089 %s" % n(7), "+49 89 %s %s" % (n(3), n(4)),
                "040 %s %s" % (n(3), n(4)), "0152 %s %s" % (n(4), n(4)), "+49 221 %s" % n(6),
                "030/%s" % n(7), "(030) %s" % n(7), "0049 30 %s" % n(7)]
        return c, r.choice(fmts)
    if c == "FR":
        p = lambda: " ".join(n(2) for _ in range(4))
        d = str(r.choice([1, 2, 3, 4, 5, 6, 7, 9]))
        tail = [n(2) for _ in range(4)]
        fmts = ["0%s %s" % (d, " ".join(tail)), "+33 %s %s" % (d, " ".join(tail)),
                "0%s.%s" % (d, ".".join(tail)), "+33 (0)%s %s" % (d, " ".join(tail)),
                "0%s%s" % (d, "".join(tail)), "+33%s%s" % (d, "".join(tail)), "0%s-%s" % (d, "-".join(tail))]
        return c, r.choice(fmts)
    if c == "IN":
        m = str(r.choice([6, 7, 8, 9])) + n(4)
        m2 = n(5)
        fmts = ["+91 %s %s" % (m, m2), "+91-%s-%s" % (m, m2), "+91 %s%s" % (m, m2), "0%s %s" % (m, m2),
                "+91 22 %s %s" % (n(4), n(4)), "+91-80-%s-%s" % (n(4), n(4)), "%s %s" % (m, m2)]
        return c, r.choice(fmts)
    if c == "BR":
        ddd = r.choice(["11", "21", "31", "41", "51", "61", "71", "81"])
        fmts = ["(%s) 9%s-%s" % (ddd, n(4), n(4)), "+55 %s 9%s-%s" % (ddd, n(4), n(4)),
                "+55 (%s) %s-%s" % (ddd, nz() + n(3), n(4)), "(%s) %s-%s" % (ddd, nz() + n(3), n(4)),
                "+55 %s 9%s %s" % (ddd, n(4), n(4))]
        return c, r.choice(fmts)
    if c == "JP":
        fmts = ["03-%s-%s" % (n(4), n(4)), "+81 3-%s-%s" % (n(4), n(4)), "090-%s-%s" % (n(4), n(4)),
                "+81 90-%s-%s" % (n(4), n(4)), "06-%s-%s" % (n(4), n(4)), "045-%s-%s" % (n(3), n(4)),
                "+81 3 %s %s" % (n(4), n(4))]
        return c, r.choice(fmts)
    if c == "ES":
        fmts = ["+34 91%s %s %s" % (n(1), n(3), n(3)), "+34 6%s %s %s" % (n(2), n(3), n(3)),
                "6%s %s %s" % (n(2), n(3), n(3)), "91%s %s %s" % (n(1), n(3), n(3)),
                "+34 6%s %s %s %s" % (n(1), n(2), n(2), n(2))]
        return c, r.choice(fmts)
    if c == "IT":
        fmts = ["+39 06 %s %s" % (n(4), n(4)), "+39 3%s %s %s" % (n(2), n(3), n(4)),
                "06 %s %s" % (n(4), n(4)), "3%s %s %s" % (n(2), n(3), n(4)), "+39 02 %s%s" % (n(4), n(4))]
        return c, r.choice(fmts)
    if c == "NL":
        fmts = ["+31 20 %s %s" % (n(3), n(4)), "020 %s %s" % (n(3), n(4)), "06-%s" % n(8),
                "+31 6 %s %s" % (n(4), n(4)), "06 %s %s" % (n(4), n(4))]
        return c, r.choice(fmts)
    if c == "AU":
        fmts = ["+61 2 %s %s" % (n(4), n(4)), "(02) %s %s" % (n(4), n(4)), "04%s %s %s" % (n(2), n(3), n(3)),
                "+61 4%s %s %s" % (n(2), n(3), n(3)), "(03) %s %s" % (n(4), n(4))]
        return c, r.choice(fmts)
    if c == "MX":
        fmts = ["+52 55 %s %s" % (n(4), n(4)), "+52 1 55 %s %s" % (n(4), n(4)), "55 %s %s" % (n(4), n(4)),
                "+52 (33) %s-%s" % (n(4), n(4))]
        return c, r.choice(fmts)
    if c == "CH":
        fmts = ["+41 44 %s %s %s" % (n(3), n(2), n(2)), "044 %s %s %s" % (n(3), n(2), n(2)),
                "+41 79 %s %s %s" % (n(3), n(2), n(2)), "079 %s %s %s" % (n(3), n(2), n(2))]
        return c, r.choice(fmts)
    raise ValueError(c)


# ----------------------------------------------------------------- IP / MAC

def ipv4(r, kind=None):
    kind = kind or r.choice(["priv10", "priv192", "priv172", "doc", "pub", "pub"])
    if kind == "priv10":
        return "10.%d.%d.%d" % (r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))
    if kind == "priv192":
        return "192.168.%d.%d" % (r.randint(0, 255), r.randint(1, 254))
    if kind == "priv172":
        return "172.%d.%d.%d" % (r.randint(16, 31), r.randint(0, 255), r.randint(1, 254))
    if kind == "doc":
        return r.choice(["192.0.2", "198.51.100", "203.0.113"]) + ".%d" % r.randint(1, 254)
    return "%d.%d.%d.%d" % (r.choice([8, 23, 34, 45, 52, 64, 81, 91, 104, 142, 151, 185, 212]),
                            r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))


def ipv6(r):
    groups = [r.choice(["2001", "2a02", "2600", "2604", "fd12", "2a01", "2001"])] + \
             ["%x" % r.randint(0, 0xffff) for _ in range(7)]
    if groups[0] == "2001" and r.random() < 0.5:
        groups[1] = "db8"
    form = r.choice(["full", "nozero", "mid", "mid", "end", "start_ll", "loop", "v4map", "v4nat",
                     "zone", "upper", "mid2", "leading0"])
    if form == "full":
        return ":".join("%04x" % int(g, 16) for g in groups)
    if form == "leading0":
        return ":".join("%04x" % int(g, 16) for g in groups[:4]) + "::" + "%x" % r.randint(1, 0xffff)
    if form == "nozero":
        return ":".join(groups)
    if form == "mid":
        k = r.randint(2, 4)
        tail = r.randint(1, 3)
        return ":".join(groups[:k]) + "::" + ":".join(groups[8 - tail:])
    if form == "mid2":
        return ":".join(groups[:3]) + "::" + groups[7]
    if form == "end":
        return ":".join(groups[:r.randint(2, 4)]) + "::"
    if form == "start_ll":
        return "fe80::" + ":".join("%x" % r.randint(0, 0xffff) for _ in range(r.randint(1, 4)))
    if form == "loop":
        return r.choice(["::1", "::ffff:%s" % ipv4(r, "priv10"), "::%x:%x" % (r.randint(1, 0xffff), r.randint(1, 0xffff))])
    if form == "v4map":
        return "::ffff:" + ipv4(r)
    if form == "v4nat":
        return "64:ff9b::" + ipv4(r, "doc")
    if form == "zone":
        return "fe80::%x:%x:%x:%x%%%s" % (r.randint(0, 0xffff), r.randint(0, 0xffff), r.randint(0, 0xffff),
                                         r.randint(0, 0xffff), r.choice(["eth0", "en0", "wlan0", "ens3", "12", "lo0"]))
    if form == "upper":
        return (":".join(groups[:3]) + "::" + groups[7]).upper()
    raise ValueError


def mac(r):
    b = ["%02x" % r.randint(0, 255) for _ in range(6)]
    b[0] = "%02x" % (int(b[0], 16) & 0xfe)
    f = r.choice(["colon", "colon", "COLON", "dash", "DASH", "cisco"])
    if f == "colon":
        return ":".join(b)
    if f == "COLON":
        return ":".join(b).upper()
    if f == "dash":
        return "-".join(b)
    if f == "DASH":
        return "-".join(b).upper()
    s = "".join(b)
    return ".".join([s[0:4], s[4:8], s[8:12]])


# ----------------------------------------------------------------- bitcoin

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58check(payload):
    chk = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    data = payload + chk
    n = int.from_bytes(data, "big")
    s = ""
    while n:
        n, m = divmod(n, 58)
        s = B58[m] + s
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + s


def b58decode_ok(s):
    n = 0
    for ch in s:
        n = n * 58 + B58.index(ch)
    pad = len(s) - len(s.lstrip("1"))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    data = b"\0" * pad + raw
    if len(data) != 25:
        return False
    return hashlib.sha256(hashlib.sha256(data[:21]).digest()).digest()[:4] == data[21:]


BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def _hrp_exp(h):
    return [ord(x) >> 5 for x in h] + [0] + [ord(x) & 31 for x in h]


def _convertbits(data, frm, to):
    acc = bits = 0
    ret = []
    maxv = (1 << to) - 1
    for v in data:
        acc = (acc << frm) | v
        bits += frm
        while bits >= to:
            bits -= to
            ret.append((acc >> bits) & maxv)
    if bits:
        ret.append((acc << (to - bits)) & maxv)
    return ret


def segwit_addr(r, ver, plen):
    prog = bytes(r.randrange(256) for _ in range(plen))
    data = [ver] + _convertbits(prog, 8, 5)
    const = 1 if ver == 0 else 0x2bc830a3
    pm = _polymod(_hrp_exp("bc") + data + [0] * 6) ^ const
    chk = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return "bc1" + "".join(BECH[d] for d in data + chk)


def bech_ok(addr):
    a = addr.lower()
    hrp, data = a[:2], [BECH.index(c) for c in a[3:]]
    pm = _polymod(_hrp_exp(hrp) + data)
    return pm in (1, 0x2bc830a3)


def btc(r, valid=True):
    kind = r.choice(["p2pkh", "p2pkh", "p2sh", "wpkh", "wpkh", "wsh", "tr", "tr"])
    if kind == "p2pkh":
        a = b58check(b"\x00" + bytes(r.randrange(256) for _ in range(20)))
    elif kind == "p2sh":
        a = b58check(b"\x05" + bytes(r.randrange(256) for _ in range(20)))
    elif kind == "wpkh":
        a = segwit_addr(r, 0, 20)
    elif kind == "wsh":
        a = segwit_addr(r, 0, 32)
    else:
        a = segwit_addr(r, 1, 32)
    if valid and kind in ("wpkh", "tr") and r.random() < 0.1:
        a = a.upper()
    if not valid:
        for _ in range(50):
            i = r.randrange(5, len(a) - 1)
            alpha = B58 if kind in ("p2pkh", "p2sh") else BECH
            b = a[:i] + r.choice(alpha) + a[i + 1:]
            ok = b58decode_ok(b) if kind in ("p2pkh", "p2sh") else bech_ok(b)
            if not ok:
                return b
        raise RuntimeError
    return a


# ----------------------------------------------------------------- email / url

FIRST = ["maria", "jürgen", "li", "amelia", "oliver", "noah", "sofia", "lucas", "chloe", "ravi", "ana", "kenji",
         "fatima", "lukas", "camille", "diego", "priya", "tom", "emma", "hannah", "mateo", "yuki", "olga", "sam"]
LAST = ["garcia", "weiss", "chen", "okafor", "dubois", "silva", "tanaka", "kowalski", "patel", "nguyen",
        "muller", "rossi", "haddad", "johansson", "obrien", "fernandes", "smith", "novak", "kim", "ito"]
NAMES = ["Maria García", "Jürgen Weiß", "Li Chen", "Amelia Okafor", "Camille Dubois", "João Silva",
         "Kenji Tanaka", "Anna Kowalski", "Ravi Patel", "Minh Nguyen", "Lukas Müller", "Giulia Rossi",
         "Fatima Haddad", "Erik Johansson", "Siobhán O'Brien", "Ana Fernandes", "Tom Smith", "Petra Novak"]
DOMAINS = ["gmail.com", "outlook.com", "example.com", "example.org", "acme-corp.io", "mail.example.co.uk",
           "uni-heidelberg.de", "orange.fr", "correo.example.es", "empresa.com.br", "example.jp",
           "eu.support.example.net", "hospital.example.org", "proton.me", "fastmail.fm", "dev.example.ai",
           "students.example.edu", "example.nl", "web.de", "yahoo.co.in"]


def ascii_name(s):
    return s.replace("ü", "u").replace("ö", "o")


def email(r):
    f, l = ascii_name(r.choice(FIRST)), r.choice(LAST)
    local = r.choice(["%s.%s" % (f, l), "%s%s" % (f[0], l), "%s_%s%d" % (f, l, r.randint(1, 99)),
                      "%s+%s" % (f, r.choice(["newsletter", "billing", "work", "test", "amazon", "2024"])),
                      "%s.%s+%s" % (f, l, r.choice(["jobs", "hr", "x"])), "%s-%s" % (f, l), f.upper() + "." + l.capitalize(),
                      "%s%d" % (l, r.randint(1970, 2005)), "no-reply", "support", "billing-team", "dr.%s" % l])
    return local + "@" + r.choice(DOMAINS)


HOSTS = ["www.example.com", "docs.python.org", "api.acme-corp.io", "portal.hospital.example.org",
         "shop.example.de", "status.example.net", "wiki.example.fr", "example.co.uk", "cdn.example.com.br",
         "auth.internal.example.io", "grafana.ops.example.com", "en.wikipedia.org", "github.com",
         "gitlab.example.com", "s3.eu-west-1.amazonaws.com", "calendly.com", "zoom.us", "meet.google.com"]


def url(r):
    h = r.choice(HOSTS)
    kind = r.choice(["plain", "path", "query", "frag", "port", "wiki", "www", "bare", "deep", "http", "unicode",
                     "query", "path"])
    seg = lambda: r.choice(["api", "v2", "users", "orders", "docs", "help", "kb", "invoice", "reset-password",
                            "settings", "en-us", "blog", "2024", "reports", "download", "tickets"])
    if kind == "plain":
        return "https://%s/" % h if r.random() < 0.3 else "https://%s" % h
    if kind == "path":
        return "https://%s/%s/%s" % (h, seg(), seg())
    if kind == "query":
        return "https://%s/%s?%s=%s&%s=%d" % (h, seg(), r.choice(["id", "ref", "utm_source", "q", "token"]),
                                              r.choice(["abc123", "newsletter", "x9Y7", "summer%20sale"]),
                                              r.choice(["page", "lang", "limit"]), r.randint(1, 50))
    if kind == "frag":
        return "https://%s/%s/%s#%s" % (h, seg(), seg(), r.choice(["section-2", "faq", "L42", "install"]))
    if kind == "port":
        return "%s://%s:%d/%s" % (r.choice(["http", "https"]), r.choice(["localhost", "grafana.ops.example.com",
                                                                          "auth.internal.example.io"]),
                                  r.choice([3000, 8080, 8443, 9090, 5601]), seg())
    if kind == "wiki":
        return r.choice(["https://en.wikipedia.org/wiki/Python_(programming_language)",
                         "https://en.wikipedia.org/wiki/Mercury_(planet)",
                         "https://de.wikipedia.org/wiki/Köln", "https://fr.wikipedia.org/wiki/Bœuf_bourguignon",
                         "https://ja.wikipedia.org/wiki/東京都"])
    if kind == "www":
        return "www.%s/%s" % (r.choice(["example.com", "acme-shop.de", "example.co.uk", "ticketing.example.fr"]), seg())
    if kind == "bare":
        return r.choice(["github.com/acme/warden-plugins", "gitlab.com/group/sub/project",
                         "example.com/help/returns", "bit.ly/3xYz9Qa", "docs.example.io/guide/install",
                         "github.com/torvalds/linux/blob/master/README"])
    if kind == "deep":
        return "https://%s/%s/%s/%s.html" % (h, seg(), seg(), seg())
    if kind == "http":
        return "http://%s/%s" % (h, seg())
    if kind == "unicode":
        return r.choice(["https://example.jp/パス/案内", "https://example.de/straße/öffnungszeiten",
                         "https://www.example.es/niño/año"])
    raise ValueError


# ----------------------------------------------------------------- decoys

def decoy(r):
    k = r.randrange(24)
    if k == 0:
        return "%04d-%02d-%02d" % (r.randint(1990, 2030), r.randint(1, 12), r.randint(1, 28))
    if k == 1:
        return "%02d:%02d:%02d" % (r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))
    if k == 2:
        return "v%d.%d.%d" % (r.randint(0, 12), r.randint(0, 40), r.randint(0, 99))
    if k == 3:
        return "order #%d" % r.randint(10 ** 7, 10 ** 9)
    if k == 4:
        return "1Z%s%s" % (rd(r, 6, UP + DIG), rd(r, 10))
    if k == 5:
        return "%08x-%04x-4%03x-%04x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12),
                                              0x8000 | r.getrandbits(14), r.getrandbits(48))
    if k == 6:
        return hashlib.sha256(str(r.random()).encode()).hexdigest()
    if k == 7:
        isbn = "978" + rd(r, 9)
        s = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(isbn))
        isbn += str((10 - s % 10) % 10)
        return "ISBN %s-%s-%s-%s-%s" % (isbn[:3], isbn[3], isbn[4:7], isbn[7:12], isbn[12])
    if k == 8:
        return r.choice(["$%d,%03d.%02d" % (r.randint(1, 99), r.randint(0, 999), r.randint(0, 99)),
                         "€%d,%02d" % (r.randint(1, 9999), r.randint(0, 99)), "R$ %d,%02d" % (r.randint(1, 999), r.randint(0, 99))])
    if k == 9:
        return "%.4f, %.4f" % (r.uniform(-60, 60), r.uniform(-120, 120))
    if k == 10:
        return "%d.%d.%d.%d" % (r.randint(256, 999), r.randint(0, 255), r.randint(0, 255), r.randint(0, 255))
    if k == 11:
        return "%d.%d.%d.%d.%d" % tuple(r.randint(0, 20) for _ in range(5))
    if k == 12:
        return "Card: %s" % card_text(r, valid=False)
    if k == 13:
        return "IBAN %s" % iban_text(r, valid=False)
    if k == 14:
        a, g, s = ssn_parts(r, valid=False)
        return "SSN %s-%s-%s" % (a, g, s)
    if k == 15:
        return "BTC %s" % btc(r, valid=False)
    if k == 16:
        return "build 10.0.%d.%d" % (r.randint(17000, 26000), r.randint(1, 3000))
    if k == 17:
        return "INV-%d-%06d" % (r.randint(2019, 2026), r.randint(1, 999999))
    if k == 18:
        return r.choice(["std::vector<int>", "Foo::bar()", "a::b::c", "report_final.pdf", "config.yaml",
                         "main.py", "README.md", "index.html", "e.g.", "i.e.", "package.json", "app.js"])
    if k == 19:
        return "tracking %s" % rd(r, 12)
    if k == 20:
        return "commit %s" % hashlib.sha1(str(r.random()).encode()).hexdigest()
    if k == 21:
        return "%02d/%02d/%04d" % (r.randint(1, 28), r.randint(1, 12), r.randint(1950, 2024))
    if k == 22:
        return "12:34:56:78"[:r.choice([8, 11])]
    return "case %d" % r.randint(100000, 9999999)


# ----------------------------------------------------------------- templates

def P(t, s):
    return E(t, s)


def ph(r, country=None):
    return E("PHONE_NUMBER", phone(r, country)[1])


def em(r):
    return E("EMAIL_ADDRESS", email(r))


def cc(r):
    return E("CREDIT_CARD", card_text(r))


def ib(r, **kw):
    return E("IBAN_CODE", iban_text(r, **kw))


def ssn(r, sep="-"):
    a, g, s = ssn_parts(r)
    return E("US_SSN", sep.join([a, g, s]))


def ip4(r):
    return E("IP_ADDRESS", ipv4(r))


def ip6(r):
    return E("IP_ADDRESS", ipv6(r))


def ip(r):
    return ip4(r) if r.random() < 0.5 else ip6(r)


def mc(r):
    return E("MAC_ADDRESS", mac(r))


def bt(r):
    return E("CRYPTO", btc(r))


def ur(r):
    return E("URL", url(r))


def D(r):
    return E(None, decoy(r))


def t_chat(r):
    who = r.choice(NAMES)
    agent = r.choice(["Priya (Support)", "Agent Tom", "Bot", "Sofía - Atención al cliente", "Lena"])
    h, m = r.randint(8, 20), r.randint(0, 55)
    ts = lambda k: "[%02d:%02d]" % (h, m + k)
    lines = [[ts(0), " ", agent, ": Thanks for contacting us, can I get the email on the account?\n"]]
    choice = r.randrange(6)
    if choice == 0:
        lines.append([ts(1), " ", who, ": sure its ", em(r), " and my cell is ", ph(r), "\n"])
    elif choice == 1:
        lines.append([ts(1), " ", who, ": ", em(r), " (the old one was ", em(r), ")\n"])
    elif choice == 2:
        lines.append([ts(1), " ", who, ": I paid with the card ending... actually full number is ", cc(r),
                      ", refund it pls\n"])
    elif choice == 3:
        lines.append([ts(1), " ", who, ": can you call me back at ", ph(r), "? ", D(r), " still not arrived\n"])
    elif choice == 4:
        lines.append([ts(1), " ", who, ": the link ", ur(r), " gives 404, my IP is ", ip4(r), "\n"])
    else:
        lines.append([ts(1), " ", who, ": refund to IBAN ", ib(r), " please, ref ", D(r), "\n"])
    lines.append([ts(2), " ", agent, ": Got it, I've opened ", E(None, "case %d" % r.randint(100000, 999999)), ".\n"])
    return [x for l in lines for x in l]


def t_hr(r):
    name = r.choice(NAMES)
    rows = [
        ["EMPLOYEE ONBOARDING FORM\n", "Full name: ", name, "\n"],
        ["Date of birth: ", E(None, "%02d/%02d/%d" % (r.randint(1, 12), r.randint(1, 28), r.randint(1960, 2002))), "\n"],
        ["Social Security Number: ", ssn(r), "\n"],
        ["Personal e-mail: ", em(r), "\n"],
        ["Mobile phone: ", ph(r), "\n"],
        ["Direct deposit IBAN: ", ib(r), "\n"],
        ["Employee ID: ", E(None, "E%06d" % r.randint(1, 999999)), "\n"],
        ["Start date: ", E(None, "%d-%02d-%02d" % (r.randint(2020, 2026), r.randint(1, 12), r.randint(1, 28))), "\n"],
    ]
    keep = [rows[0]] + r.sample(rows[1:], r.randint(3, 6))
    return [x for l in keep for x in l]


def t_medical(r):
    pieces = ["Patient intake — ", r.choice(NAMES), "\nDOB: ",
              E(None, "%02d/%02d/%d" % (r.randint(1, 12), r.randint(1, 28), r.randint(1940, 2015))),
              "  MRN: ", E(None, "%08d" % r.randint(0, 99999999)), "\n"]
    opts = [
        ["Home phone: ", ph(r), "   Emergency contact: ", r.choice(NAMES), ", tel. ", ph(r), "\n"],
        ["Insurance member ID: ", E(None, "XJH%09d" % r.randint(0, 999999999)), ", SSN on file: ", ssn(r), "\n"],
        ["Portal login email: ", em(r), "\n"],
        ["BP 12%d/8%d, HR %d bpm, temp 37.%d °C. Allergies: penicillin.\n" % (r.randint(0, 9), r.randint(0, 9),
                                                                               r.randint(55, 99), r.randint(0, 9))],
        ["Pharmacy fax: ", ph(r, "US"), "\n"],
        ["Co-pay card on file: ", cc(r), " exp ", E(None, "%02d/%02d" % (r.randint(1, 12), r.randint(25, 31))), "\n"],
    ]
    for o in r.sample(opts, r.randint(2, 4)):
        pieces += o
    return pieces


def t_nginx(r):
    host = r.choice(["api.example.com", "shop.example.de", "intranet.acme-corp.io"])
    p = ["server {\n    listen 443 ssl http2;\n    listen [", ip6(r), "]:443 ssl;\n    server_name ", host, ";\n"]
    p += ["    allow ", ip4(r), ";\n    allow ", ip4(r), "/24;\n    deny all;\n"]
    if r.random() < 0.5:
        p += ["    set_real_ip_from ", ip(r), ";\n"]
    p += ["    proxy_pass http://upstream_app;\n    # owner: ", em(r), "\n}\n"]
    return p


def t_yaml(r):
    p = ["network:\n  version: 2\n  ethernets:\n    eth0:\n      match:\n        macaddress: \"", mc(r), "\"\n",
         "      addresses:\n        - ", ip4(r), "/24\n        - \"", ip6(r), "/64\"\n",
         "      nameservers:\n        addresses: [", ip4(r), ", ", ip6(r), "]\n"]
    if r.random() < 0.5:
        p += ["# maintainer: ", em(r), " (", E(None, "v%d.%d" % (r.randint(1, 9), r.randint(0, 20))), ")\n"]
    return p


def t_toml(r):
    p = ["[owner]\nname = \"", r.choice(NAMES), "\"\nemail = \"", em(r), "\"\n\n[server]\nbind = \"", ip(r), "\"\n",
         "port = ", E(None, str(r.choice([8080, 8443, 5432, 6379]))), "\n"]
    if r.random() < 0.5:
        p += ["homepage = \"", ur(r), "\"\n"]
    if r.random() < 0.4:
        p += ["\n[billing]\niban = \"", ib(r, spaced=False), "\"\nsupport_phone = \"", ph(r), "\"\n"]
    p += ["checksum = \"", D(r), "\"\n"]
    return p


def t_sql(r):
    name = r.choice(NAMES).replace("'", "''")
    cols = r.choice([
        ("email, phone", [em, ph]),
        ("email, iban", [em, lambda r: ib(r, spaced=False)]),
        ("ssn, email", [ssn, em]),
        ("card_number, email", [lambda r: E("CREDIT_CARD", card_number(r)[1]), em]),
        ("last_ip, mac", [ip, mc]),
        ("phone, website", [ph, ur]),
    ])
    p = ["INSERT INTO customers (id, name, %s, created_at) VALUES (%d, '%s', '" % (cols[0], r.randint(1, 99999), name),
         cols[1][0](r), "', '", cols[1][1](r), "', '",
         E(None, "%d-%02d-%02d %02d:%02d:%02d" % (r.randint(2019, 2026), r.randint(1, 12), r.randint(1, 28),
                                                  r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))), "');"]
    return p


def t_gitdiff(r):
    f = r.choice(["config/settings.py", "deploy/hosts.ini", "docs/CONTACT.md", "src/app/constants.ts"])
    p = ["diff --git a/%s b/%s\nindex %s..%s 100644\n--- a/%s\n+++ b/%s\n@@ -%d,%d +%d,%d @@\n" % (
        f, f, rd(r, 7, "0123456789abcdef"), rd(r, 7, "0123456789abcdef"), f, f,
        r.randint(1, 90), r.randint(3, 9), r.randint(1, 90), r.randint(3, 9))]
    k = r.randrange(4)
    if k == 0:
        p += ["-ADMIN_EMAIL = \"", em(r), "\"\n+ADMIN_EMAIL = \"", em(r), "\"\n"]
    elif k == 1:
        p += ["-db01 ansible_host=", ip4(r), "\n+db01 ansible_host=", ip(r), "\n"]
    elif k == 2:
        p += ["-Support hotline: ", ph(r), "\n+Support hotline: ", ph(r), "\n"]
    else:
        p += [" export const DOCS = \"", ur(r), "\";\n+export const STATUS_PAGE = \"", ur(r), "\";\n"]
    return p


def t_stack(r):
    k = r.randrange(3)
    if k == 0:
        h = r.choice(["api.acme-corp.io", "payments.example.com"])
        return ["Traceback (most recent call last):\n  File \"/srv/app/client.py\", line %d, in fetch\n" % r.randint(10, 400),
                "    resp = session.get(url, timeout=5)\nrequests.exceptions.ConnectionError: HTTPSConnectionPool(host='",
                h, "', port=443): Max retries exceeded with url: /v1/users/", E(None, str(r.randint(1000, 99999))),
                " (Caused by NewConnectionError: Failed to establish a new connection to ", ip4(r), ")\n"]
    if k == 1:
        return ["java.net.ConnectException: Connection refused (connect to ", ip4(r), ":5432)\n",
                "\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:%d)\n" % r.randint(100, 400),
                "\tat com.example.billing.InvoiceService.send(InvoiceService.java:%d)\n" % r.randint(10, 200),
                "Caused by: mail delivery to <", em(r), "> failed\n"]
    return ["ERROR [", E(None, "%d-%02d-%02dT%02d:%02d:%02dZ" % (r.randint(2023, 2026), r.randint(1, 12), r.randint(1, 28),
                                                               r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))),
            "] worker-3 panic: dial tcp [", ip6(r), "]:6379: connect: connection refused\n",
            "goroutine 17 [running]:\nmain.(*Cache).Get(0xc000128000)\n\t/go/src/cache.go:%d +0x1a5\n" % r.randint(10, 300)]


def t_html(r):
    k = r.randrange(3)
    if k == 0:
        return ["<footer>\n  <p>Questions? Write to <b>", em(r), "</b> or call <a href=\"tel:",
                E("PHONE_NUMBER", "+1%d%07d" % (r.randint(201, 989), r.randint(2000000, 9999999))),
                "\">our phone line</a>.</p>\n  <a href=\"", ur(r), "\">Privacy</a>\n</footer>"]
    if k == 1:
        return ["<tr><td>", r.choice(NAMES), "</td><td>", em(r), "</td><td>", ph(r), "</td></tr>"]
    return ["<div class=\"donate\">Support the project: <code>", bt(r), "</code> &middot; <a href=\"", ur(r),
            "\" target=\"_blank\">more</a></div>"]


def t_mdtable(r):
    p = ["| Host | IP | MAC | Owner |\n|------|----|-----|-------|\n"]
    for i in range(r.randint(2, 4)):
        p += ["| %s-%02d | " % (r.choice(["web", "db", "cache", "printer"]), i + 1), ip(r), " | ", mc(r), " | ",
              em(r) if r.random() < 0.6 else "ops", " |\n"]
    return p


def t_mdtable2(r):
    p = ["| Vendor | IBAN | Phone |\n|---|---|---|\n"]
    for _ in range(r.randint(2, 3)):
        p += ["| ", r.choice(["Müller GmbH", "Dupont SARL", "Rossi S.p.A.", "Acme Ltd", "Silva & Filhos"]), " | ",
              ib(r), " | ", ph(r), " |\n"]
    return p


def t_multi(r):
    k = r.randrange(10)
    if k == 0:
        return ["Sehr geehrte Damen und Herren, bitte überweisen Sie den Betrag auf das Konto ", ib(r, cc="DE"),
                ". Bei Fragen erreichen Sie mich telefonisch unter ", ph(r, "DE"), "."]
    if k == 1:
        return ["Bonjour, vous pouvez me joindre au ", ph(r, "FR"), " ou par courriel : ", em(r),
                ". Merci de virer le remboursement sur ", ib(r, cc="FR"), "."]
    if k == 2:
        return ["Hola, mi teléfono es ", ph(r, "ES"), " y mi correo ", em(r), ". ¿Me podéis llamar mañana?"]
    if k == 3:
        return ["Olá! Meu celular é ", ph(r, "BR"), ", me chama no WhatsApp. O PIX não funcionou, segue o e-mail: ",
                em(r), "."]
    if k == 4:
        return ["お問い合わせは電話 ", ph(r, "JP"), " またはメール ", em(r), " までご連絡ください。"]
    if k == 5:
        return ["Buongiorno, il mio numero di telefono è ", ph(r, "IT"), ". IBAN per il rimborso: ", ib(r, cc="IT"), "."]
    if k == 6:
        return ["Goedemiddag, mijn telefoonnummer is ", ph(r, "NL"), " en mijn IBAN is ", ib(r, cc="NL"), "."]
    if k == 7:
        return ["Der Server ", ip(r), " antwortet nicht; Schnittstelle eth0 (MAC ", mc(r), ") ist down. Siehe ",
                ur(r), "."]
    if k == 8:
        return ["Pour les dons en bitcoin : ", bt(r), ". Merci ! Plus d'infos sur ", ur(r), "."]
    return ["El servidor con IP ", ip(r), " y dirección MAC ", mc(r), " se reinició a las ",
            E(None, "%02d:%02d" % (r.randint(0, 23), r.randint(0, 59))), "."]


def t_sms(r):
    k = r.randrange(6)
    if k == 0:
        return ["hey its ", r.choice(["dave", "mo", "jess", "kenji"]), " new num ", ph(r), " txt me l8r"]
    if k == 1:
        return ["Ur verification code is ", E(None, rd(r, 6)), ". Didnt request it? call ", ph(r, "US"), " asap"]
    if k == 2:
        return ["send the deposit to ", bt(r), " by 5pm pls thx"]
    if k == 3:
        return ["can u email it to ", em(r), "?? my work one blocks attachments"]
    if k == 4:
        return ["ok my ssn is ", ssn(r), " for the form, dont share lol"]
    return ["Your parcel ", E(None, "1Z" + rd(r, 6, UP + DIG) + rd(r, 10)), " is out for delivery. Track: ", ur(r)]


def t_csv(r):
    p = ["id,name,email,phone,country\n"]
    for i in range(r.randint(2, 4)):
        c = r.choice(["US", "UK", "DE", "FR", "IN", "BR", "JP", "AU"])
        p += ["%d,\"%s\"," % (r.randint(100, 9999), r.choice(NAMES)), em(r), ",\"", ph(r, c), "\",", c, "\n"]
    return p


def t_accesslog(r):
    ipx = ip(r)
    return [ipx, " - - [%02d/%s/%d:%02d:%02d:%02d +0000] \"GET /%s HTTP/1.1\" %d %d \"" % (
        r.randint(1, 28), r.choice(["Jan", "Mar", "Jul", "Nov"]), r.randint(2022, 2026), r.randint(0, 23),
        r.randint(0, 59), r.randint(0, 59), r.choice(["index.html", "api/v2/orders?id=77", "login", "static/app.js"]),
        r.choice([200, 301, 404, 500]), r.randint(200, 90000)), ur(r), "\" \"Mozilla/5.0 (X11; Linux x86_64)\""]


def t_arp(r):
    k = r.randrange(3)
    if k == 0:
        return ["? (", ip4(r), ") at ", mc(r), " [ether] on eth0\n? (", ip4(r), ") at ", mc(r), " [ether] on wlan0"]
    if k == 1:
        return ["Vlan%d    " % r.randint(1, 400), E("MAC_ADDRESS", mac(r) if r.random() < 0.3 else
                                                    ".".join(rd(r, 4, "0123456789abcdef") for _ in range(3))),
                "    DYNAMIC     Gi1/0/%d" % r.randint(1, 48)]
    return ["DHCPACK on ", ip4(r), " to ", mc(r), " (", r.choice(["laptop-01", "iphone", "printer"]),
            ") via eth1\ninet6 ", ip6(r), " prefixlen 64 scopeid 0x20<link>"]


def t_crypto(r):
    k = r.randrange(3)
    if k == 0:
        return ["Invoice ", E(None, "INV-%d-%04d" % (r.randint(2023, 2026), r.randint(1, 9999))), ": please pay ",
                E(None, "0.%04d BTC" % r.randint(1, 9999)), " to ", bt(r), " within 24h."]
    if k == 1:
        return ["{\"wallet\": \"", bt(r), "\", \"change\": \"", bt(r), "\", \"fee_rate\": ", E(None, str(r.randint(2, 80))), "}"]
    return ["Withdrawal to ", bt(r), " confirmed, txid ", E(None, hashlib.sha256(str(r.random()).encode()).hexdigest()), "."]


def t_signature(r):
    return ["--\n", r.choice(NAMES), "\n", r.choice(["Senior Engineer", "Account Manager", "Head of HR"]), " | Acme Corp\n",
            "Tel: ", ph(r), " | Fax: ", ph(r), "\n", em(r), " | ", ur(r), "\n"]


def t_jsonlog(r):
    return ["{\"ts\":\"", E(None, "%d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (r.randint(2023, 2026), r.randint(1, 12), r.randint(1, 28),
                                                                       r.randint(0, 23), r.randint(0, 59), r.randint(0, 59), r.randint(0, 999))),
            "\",\"level\":\"info\",\"msg\":\"login ok\",\"user\":\"", em(r), "\",\"client_ip\":\"", ip(r),
            "\",\"request_id\":\"", D(r), "\"}"]


def t_prose_ssn(r):
    a, g, s = ssn_parts(r)
    k = r.randrange(4)
    if k == 0:
        return ["The applicant listed her Social Security number as ", E("US_SSN", "%s-%s-%s" % (a, g, s)),
                " on page 2 of the form."]
    if k == 1:
        return ["SSN: ", E("US_SSN", a + g + s), " (verified against W-2)"]
    if k == 2:
        return ["Taxpayer SSN ", E("US_SSN", "%s %s %s" % (a, g, s)), ", filing status single."]
    return ["Please confirm the last four of your SSN; we have ", E("US_SSN", "%s-%s-%s" % (a, g, s)), " on record."]


def t_cards(r):
    k = r.randrange(4)
    if k == 0:
        return ["Payment method updated: ", r.choice(["Visa", "Mastercard", "Amex", "card"]), " ", cc(r),
                ", billing zip ", E(None, rd(r, 5)), "."]
    if k == 1:
        return ["{\"pan\":\"", E("CREDIT_CARD", card_number(r)[1]), "\",\"exp\":\"", E(None, "%02d/%d" % (r.randint(1, 12), r.randint(2026, 2031))),
                "\",\"amount\":", E(None, "%d.%02d" % (r.randint(1, 999), r.randint(0, 99))), "}"]
    if k == 2:
        return ["Charge declined for card ", cc(r), " (", D(r), ")."]
    return ["| Customer | Card | Total |\n|---|---|---|\n| ", r.choice(NAMES), " | ", cc(r), " | ",
            E(None, "€%d,%02d" % (r.randint(1, 999), r.randint(0, 99))), " |"]


def t_urls(r):
    k = r.randrange(6)
    if k == 0:
        return ["See the [setup guide](", ur(r), ") for details."]
    if k == 1:
        return ["More info (", ur(r), ") is in the wiki."]
    if k == 2:
        return ["Docs moved to ", ur(r), ". Update your bookmarks!"]
    if k == 3:
        return ["Reference: ", E("URL", r.choice(["https://en.wikipedia.org/wiki/Python_(programming_language)",
                                                  "https://en.wikipedia.org/wiki/Mercury_(planet)",
                                                  "https://en.wikipedia.org/wiki/C_(programming_language)"])), ", accessed today."]
    if k == 4:
        return ["Clone it: `git clone ", E("URL", "https://github.com/%s/%s.git" % (r.choice(["acme", "torvalds", "openai"]),
                                                                                 r.choice(["warden", "linux", "tiktoken"]))), "`"]
    return ["<", ur(r), ">"]


def t_phonectx(r):
    k = r.randrange(6)
    if k == 0:
        return ["Call us at ", ph(r, "US"), " ext. ", E(None, str(r.randint(10, 999))), " (Mon-Fri 9-5)."]
    if k == 1:
        return ["Phone: ", ph(r, "UK"), "\nOffice hours 09:00-17:30"]
    if k == 2:
        return ["Tel. ", ph(r, "DE"), " | Fax ", ph(r, "DE")]
    if k == 3:
        return ["Mobile: ", ph(r, "IN"), " (WhatsApp preferred)"]
    if k == 4:
        return ["phone number ", ph(r, r.choice(["BR", "JP", "AU", "MX", "CH", "NL", "IT", "ES", "FR"])), " — leave a voicemail"]
    return ["Reach the on-call engineer by phone on ", ph(r), " or page ", E(None, "#ops-%d" % r.randint(1, 99)), "."]


def t_ipv6(r):
    k = r.randrange(4)
    if k == 0:
        a = ipv6(r)
        b = ipv6(r)
        if b.endswith("::"):  # "x::" + ":" would be ambiguous text; make the reply address end in a group
            b += "1"
        return ["ping6 ", E("IP_ADDRESS", a), " -> 64 bytes from ", E("IP_ADDRESS", b), ": icmp_seq=1 ttl=57 time=", E(None, "%.1f" % r.uniform(1, 90)), " ms"]
    if k == 1:
        return ["ip -6 route add default via ", ip6(r), " dev eth0 metric 1024"]
    if k == 2:
        return ["Allowed CIDRs: ", ip6(r), "/48, ", ip4(r), "/16; blocked: ", ip(r), "."]
    return ["BGP neighbor ", ip6(r), " remote-as ", E(None, str(r.randint(1000, 65000))), " is Established"]


# decoy-only templates -----------------------------------------------------

def d_line(r):
    k = r.randrange(14)
    if k == 0:
        return ["Order ", E(None, "#%d" % r.randint(10 ** 6, 10 ** 9)), " shipped on ", E(None, "2024-%02d-%02d" % (r.randint(1, 12), r.randint(1, 28))),
                ", tracking ", E(None, "1Z" + rd(r, 6, UP + DIG) + rd(r, 10)), "."]
    if k == 1:
        return ["Upgraded nginx from ", E(None, "1.%d.%d" % (r.randint(18, 27), r.randint(0, 9))), " to ",
                E(None, "1.%d.%d" % (r.randint(18, 27), r.randint(0, 9))), "; build ", E(None, "10.0.%d.%d" % (r.randint(17000, 26000), r.randint(300, 3000))), "."]
    if k == 2:
        return ["Refund failed: card number ", E(None, card_text(r, valid=False)), " did not pass validation."]
    if k == 3:
        return ["IBAN ", E(None, iban_text(r, valid=False)), " was rejected by the bank (checksum)."]
    if k == 4:
        a, g, s = ssn_parts(r, valid=False)
        return ["Form rejected: SSN ", E(None, "%s-%s-%s" % (a, g, s)), " is not a valid number."]
    if k == 5:
        return ["Address ", E(None, btc(r, valid=False)), " failed checksum, please re-copy it."]
    if k == 6:
        return ["Meeting at ", E(None, "%02d:%02d" % (r.randint(8, 18), r.choice([0, 15, 30, 45]))), " on ",
                E(None, "%02d.%02d.%d" % (r.randint(1, 28), r.randint(1, 12), r.randint(2024, 2026))), ", room 4.12, budget ",
                E(None, "$%d,%03d" % (r.randint(1, 99), r.randint(0, 999))), "."]
    if k == 7:
        return ["Request ", E(None, "%08x-%04x-4%03x-a%03x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12),
                                                                    r.getrandbits(12), r.getrandbits(48))),
                " took ", E(None, "%d ms" % r.randint(3, 999)), ", sha256=", E(None, hashlib.sha256(str(r.random()).encode()).hexdigest())]
    if k == 8:
        return ["GPS: ", E(None, "%.5f, %.5f" % (r.uniform(-60, 60), r.uniform(-120, 120))), " (accuracy ", E(None, str(r.randint(3, 50))), " m)"]
    if k == 9:
        return ["#include <vector>\nstd::vector<int> v; auto it = std::find(v.begin(), v.end(), 42); // see utils.cpp"]
    if k == 10:
        return ["Bad address in config: ", E(None, "%d.%d.%d.%d" % (r.randint(256, 400), r.randint(0, 255), r.randint(0, 255), r.randint(0, 255))),
                " and ", E(None, "2001:db8::g%d" % r.randint(1, 9)), " and ", E(None, "12345::abcd::1"), "."]
    if k == 11:
        return ["ISBN ", E(None, "978-%d-%02d-%06d-%d" % (r.randint(0, 9), r.randint(10, 99), r.randint(0, 999999), r.randint(0, 9))),
                ", price ", E(None, "€%d,%02d" % (r.randint(5, 80), r.randint(0, 99))), ", ", E(None, "%d pages" % r.randint(90, 900))]
    if k == 12:
        return ["Invoice ", E(None, "INV-%d-%06d" % (r.randint(2020, 2026), r.randint(0, 999999))), " / PO ", E(None, rd(r, 8)),
                " / ticket ", E(None, "JIRA-%d" % r.randint(100, 9999)), " — files: report.pdf, data.csv, notes.txt"]
    return ["Uptime ", E(None, "%d:%02d:%02d" % (r.randint(0, 999), r.randint(0, 59), r.randint(0, 59))),
            ", load ", E(None, "%.2f %.2f %.2f" % (r.random() * 4, r.random() * 4, r.random() * 4)),
            ", kernel ", E(None, "6.%d.%d-%d-generic" % (r.randint(1, 9), r.randint(0, 40), r.randint(1, 99)))]


TEMPLATES = [t_chat, t_hr, t_medical, t_nginx, t_yaml, t_toml, t_sql, t_gitdiff, t_stack, t_html, t_mdtable,
             t_mdtable2, t_multi, t_multi, t_sms, t_csv, t_accesslog, t_arp, t_crypto, t_signature, t_jsonlog,
             t_prose_ssn, t_cards, t_urls, t_ipv6, t_phonectx, t_phonectx, t_cards, t_cards, t_urls, t_crypto, t_prose_ssn]


def gen(seed, n):
    r = random.Random(seed)
    out = []
    for _ in range(n):
        if r.random() < 0.25:
            rec = build(d_line(r))
        else:
            rec = build(r.choice(TEMPLATES)(r))
        out.append(rec)
    return out


def main():
    args = sys.argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    dev, hold, n = os.path.join(here, "pii_blind8_dev.jsonl"), os.path.join(here, "pii_blind8_holdout.jsonl"), 600
    while args:
        a = args.pop(0)
        if a == "--dev":
            dev = args.pop(0)
        elif a == "--holdout":
            hold = args.pop(0)
        elif a == "--n":
            n = int(args.pop(0))
    for path, seed in ((dev, 8801), (hold, 8802)):
        with open(path, "w", encoding="utf-8") as f:
            for rec in gen(seed, n):
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        print("wrote", path)


if __name__ == "__main__":
    main()
