#!/usr/bin/env python3
"""Generates tests/data/pii_eval.jsonl: labelled text for the pii guardrail.

Each line is {"text": STR, "spans": [{"type", "start", "end"}]} where start/end
are offsets in Unicode code points (Python string indices) into text, end
exclusive, and type is a Presidio entity name (EMAIL_ADDRESS, PHONE_NUMBER,
CREDIT_CARD, IBAN_CODE, US_SSN, IP_ADDRESS, MAC_ADDRESS, CRYPTO, URL).

The values are valid by construction (Luhn, IBAN mod-97 with each country's
registered length, SSN area/group/serial rules, NANP, Bitcoin base58check
with a double SHA-256 checksum, bech32/bech32m) and written in the formats
people use: separators, grouping, case, surrounding punctuation and quotes.
Every line also carries look-alike decoys that must NOT be reported: invalid
Luhn, invalid IBAN checksum, invalid SSNs, dates, times, version numbers,
order/invoice/tracking ids, prices, ISBNs, hashes, UUIDs, out-of-range IPs.

Deterministic: fixed seed, python3 standard library only.
    python3 tests/data/gen_pii_eval.py > tests/data/pii_eval.jsonl
"""
import hashlib
import json
import random
import string
import sys

R = random.Random(int(__import__("os").environ.get("PII_EVAL_SEED", "20261130")))

# ---------------------------------------------------------------- values

FIRST = ["john", "jane", "maria", "li", "ahmed", "olga", "pierre", "sofia", "kenji", "amara", "lucas", "noor",
         "eva", "tom", "ines", "raj", "chen", "fatima", "jonas", "elena"]
LAST = ["smith", "doe", "garcia", "wang", "khan", "ivanova", "martin", "rossi", "tanaka", "okafor", "silva",
        "haddad", "berg", "nguyen", "muller", "patel", "li", "kowalski", "dubois", "jensen"]
DOMAINS = ["example.com", "example.org", "mail.example.net", "corp.example.co.uk", "uni-example.de", "example.io",
           "sub.example.com.au", "example-shop.fr", "example.travel"]


def email():
    f, l = R.choice(FIRST), R.choice(LAST)
    local = R.choice([f"{f}.{l}", f"{f}{l}", f"{f[0]}{l}", f"{f}_{l}{R.randint(1, 99)}", f"{f}+news", f"{l}.{f}.{R.randint(70, 99)}"])
    if R.random() < 0.15:
        local = local.capitalize()
    return f"{local}@{R.choice(DOMAINS)}"


def luhn_complete(prefix, length):
    digits = [int(c) for c in prefix]
    while len(digits) < length - 1:
        digits.append(R.randint(0, 9))
    for check in range(10):
        d = digits + [check]
        s = 0
        for i, v in enumerate(reversed(d)):
            if i % 2 == 1:
                v *= 2
                if v > 9:
                    v -= 9
            s += v
        if s % 10 == 0:
            return "".join(map(str, d))
    raise AssertionError


def luhn_break(number):
    last = int(number[-1])
    return number[:-1] + str((last + R.randint(1, 9)) % 10)


def card_digits():
    kind = R.choice(["visa", "visa", "mc", "mc2", "amex", "disc", "jcb"])
    if kind == "visa":
        return luhn_complete("4" + str(R.randint(0, 9)), 16), kind
    if kind == "mc":
        return luhn_complete(str(R.randint(51, 55)), 16), kind
    if kind == "mc2":
        return luhn_complete(str(R.randint(2221, 2720)), 16), kind
    if kind == "amex":
        return luhn_complete(R.choice(["34", "37"]), 15), kind
    if kind == "disc":
        return luhn_complete("6011", 16), kind
    return luhn_complete(str(R.randint(3528, 3589)), 16), kind


def group_card(d, kind):
    sep = R.choice([" ", " ", "-", ""])
    if kind == "amex":
        parts = [d[:4], d[4:10], d[10:]]
    else:
        parts = [d[i:i + 4] for i in range(0, len(d), 4)]
    return sep.join(parts)


IBAN_SPEC = {  # country: (length, BBAN layout: n = digit, a = upper letter, c = alphanumeric)
    "DE": (22, "n" * 18), "GB": (22, "aaaa" + "n" * 14), "FR": (27, "n" * 10 + "c" * 11 + "nn"),
    "ES": (24, "n" * 20), "IT": (27, "a" + "n" * 10 + "c" * 12), "NL": (18, "aaaa" + "n" * 10),
    "CH": (21, "n" * 5 + "c" * 12), "BE": (16, "n" * 12), "AT": (20, "n" * 16), "PL": (28, "n" * 24),
    "SE": (24, "n" * 20), "NO": (15, "n" * 11), "IE": (22, "aaaa" + "n" * 14), "PT": (25, "n" * 21),
    "DK": (18, "n" * 14), "FI": (18, "n" * 14), "LU": (20, "nnn" + "c" * 13), "SA": (24, "nn" + "c" * 18),
    "BR": (29, "n" * 23 + "a" + "c"), "TR": (26, "n" * 5 + "c" * 17),
}


def iban_check(cc, bban):
    s = bban + cc + "00"
    num = "".join(str(int(ch, 36)) for ch in s)
    return 98 - int(num) % 97


def iban_value(valid=True):
    cc = R.choice(list(IBAN_SPEC))
    length, layout = IBAN_SPEC[cc]
    bban = "".join(R.choice(string.digits) if t == "n" else R.choice(string.ascii_uppercase) if t == "a"
                   else R.choice(string.digits + string.ascii_uppercase) for t in layout)
    check = iban_check(cc, bban)
    if not valid:
        check = (check + R.randint(1, 96)) % 97 or 1
        if check == iban_check(cc, bban):
            check = (check % 96) + 1
    iban = f"{cc}{check:02d}{bban}"
    assert len(iban) == length
    if R.random() < 0.6:
        iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def ssn_digits(valid=True):
    if valid:
        area = R.choice([R.randint(1, 665), R.randint(667, 899)])
        return f"{area:03d}", f"{R.randint(1, 99):02d}", f"{R.randint(1, 9999):04d}"
    bad = R.choice(["000", "666", str(R.randint(900, 999))])
    return bad, f"{R.randint(1, 99):02d}", f"{R.randint(1, 9999):04d}"


def nanp():
    return f"{R.randint(2, 9)}{R.randint(0, 9)}{R.randint(0, 9)}", f"{R.randint(2, 9)}{R.randint(0, 9)}{R.randint(0, 9)}", f"{R.randint(0, 9999):04d}"


def phone():
    kind = R.randint(0, 13)
    a, b, c = nanp()
    if kind == 0:
        return f"({a}) {b}-{c}"
    if kind == 1:
        return f"{a}-{b}-{c}"
    if kind == 2:
        return f"{a}.{b}.{c}"
    if kind == 3:
        return f"+1 {a}-{b}-{c}"
    if kind == 4:
        return f"+1{a}{b}{c}"
    if kind == 5:
        return f"+1 ({a}) {b}-{c}"
    if kind == 6:  # UK London / mobile
        return R.choice([f"+44 20 {R.randint(7000, 8999)} {R.randint(0, 9999):04d}",
                         f"+44 7{R.randint(100, 999)} {R.randint(100000, 999999)}",
                         f"+44 (0)20 {R.randint(7000, 8999)} {R.randint(0, 9999):04d}"])
    if kind == 7:  # Germany
        return R.choice([f"+49 30 {R.randint(1000000, 99999999)}", f"+49 89 {R.randint(100000, 9999999)}",
                         f"+49 15{R.randint(1, 9)} {R.randint(1000000, 99999999)}", f"+49-30-{R.randint(1000000, 99999999)}"])
    if kind == 8:  # France
        d = [f"{R.randint(0, 99):02d}" for _ in range(4)]
        return R.choice([f"+33 {R.randint(1, 9)} {' '.join(d)}", f"+33{R.randint(1, 9)}{''.join(d)}",
                         f"+33 {R.randint(6, 7)}.{'.'.join(d)}"])
    if kind == 9:  # India
        m = f"{R.randint(6, 9)}{R.randint(0, 9999):04d}"
        n = f"{R.randint(0, 99999):05d}"
        return R.choice([f"+91 {m} {n}", f"+91-{m}-{n}", f"+91{m}{n}"])
    if kind == 10:
        return f"+1-{a}-{b}-{c}"
    if kind == 11:
        return f"{a} {b} {c}"
    if kind == 12:  # other countries, E.164
        return R.choice([f"+61 4{R.randint(10, 99)} {R.randint(100, 999)} {R.randint(100, 999)}",
                         f"+81 3-{R.randint(1000, 9999)}-{R.randint(1000, 9999)}",
                         f"+34 6{R.randint(10, 99)} {R.randint(100, 999)} {R.randint(100, 999)}",
                         f"+39 06 {R.randint(1000, 9999)} {R.randint(1000, 9999)}"])
    return f"({a}){b}-{c}"


def ipv4():
    o = [R.randint(1, 254), R.randint(0, 255), R.randint(0, 255), R.randint(1, 254)]
    if R.random() < 0.3:
        o[0] = R.choice([10, 192, 172])
    return ".".join(map(str, o))


def ipv6():
    groups = [f"{R.randint(0, 0xffff):x}" for _ in range(8)]
    k = R.randint(0, 6)
    if k == 0:
        return ":".join(groups)
    if k == 1:
        return "2001:db8::" + ":".join(groups[:R.randint(1, 3)])
    if k == 2:
        return "::1"
    if k == 3:
        return "::ffff:" + ipv4()
    if k == 4:
        return "fe80::" + ":".join(groups[:2]) + R.choice(["", "%eth0", "%en0"])
    if k == 5:
        return ":".join(groups[:3]).upper() + "::" + groups[7].upper()
    return ":".join(groups[:4]) + "::"


def mac():
    b = [R.randint(0, 255) for _ in range(6)]
    k = R.randint(0, 3)
    if k == 0:
        return ":".join(f"{x:02X}" for x in b)
    if k == 1:
        return ":".join(f"{x:02x}" for x in b)
    if k == 2:
        return "-".join(f"{x:02X}" for x in b)
    h = "".join(f"{x:02x}" for x in b)
    return f"{h[0:4]}.{h[4:8]}.{h[8:12]}"


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58check(version, payload):
    raw = bytes([version]) + payload
    raw += hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4]
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def segwit(hrp, version, prog):
    acc, bits, data = 0, 0, [version]
    for b in prog:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    const = 1 if version == 0 else 0x2bc830a3
    values = [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp] + data
    pm = bech32_polymod(values + [0] * 6) ^ const
    data += [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH[d] for d in data)


def crypto(valid=True):
    k = R.randint(0, 3)
    if k == 0:
        v = b58check(0, bytes(R.randrange(256) for _ in range(20)))
    elif k == 1:
        v = b58check(5, bytes(R.randrange(256) for _ in range(20)))
    elif k == 2:
        v = segwit("bc", 0, bytes(R.randrange(256) for _ in range(R.choice([20, 32]))))
    else:
        v = segwit("bc", 1, bytes(R.randrange(256) for _ in range(32)))
    if not valid:
        i = R.randrange(5, len(v) - 1)
        alphabet = B58 if v[0] in "13" else BECH
        v = v[:i] + R.choice([c for c in alphabet if c != v[i]]) + v[i + 1:]
    return v


def url():
    host = R.choice(["www.example.com", "example.org", "docs.example.io", "shop.example.co.uk", "api.example.net"])
    path = R.choice(["", "/", "/about", "/docs/intro.html", "/search?q=warden&page=2", "/a/b/c?x=1&y=2#frag",
                     "/wiki/Main_Page", "/products/42"])
    k = R.randint(0, 3)
    if k == 0:
        return f"https://{host}{path}"
    if k == 1:
        return f"http://{host}{path}"
    if k == 2:
        return f"www.example.{R.choice(['com', 'org', 'net'])}{path}"
    return f"https://{host}:{R.choice([8080, 8443])}{path}"


# ---------------------------------------------------------------- decoys (must not match)

def decoy():
    k = R.randint(0, 22)
    d, kind = card_digits()
    if k == 0:
        return "card " + group_card(luhn_break(d), kind)
    if k == 1:
        return "IBAN " + iban_value(valid=False)
    if k == 2:
        return R.choice([f"{R.randint(2000, 2030)}-{R.randint(1, 12):02d}-{R.randint(1, 28):02d}",
                         f"{R.randint(1, 28):02d}/{R.randint(1, 12):02d}/{R.randint(2000, 2030)}",
                         f"{R.randint(1, 28):02d}.{R.randint(1, 12):02d}.{R.randint(2000, 2030)}"])
    if k == 3:
        return R.choice([f"version {R.randint(1, 9)}.{R.randint(0, 20)}.{R.randint(0, 50)}.{R.randint(0, 99)}.{R.randint(0, 9)}",
                         f"v{R.randint(1, 5)}.{R.randint(0, 20)}.{R.randint(0, 9)}",
                         f"build 10.0.{R.randint(19000, 22999)}.{R.randint(1000, 4000)}",
                         f"release {R.randint(1, 3)}.{R.randint(0, 9)}.{R.randint(0, 9)}.{R.randint(0, 9)}.{R.randint(1, 9)}"])
    if k == 4:
        return R.choice([f"order ORD-{R.randint(2019, 2026)}-{R.randint(0, 999999):06d}", f"order #{R.randint(10**7, 10**9)}",
                         f"Order {R.randint(100, 999)}-{R.randint(100, 999)}-{R.randint(1000, 9999)}",
                         f"invoice INV{R.randint(10**5, 10**7)}"])
    if k == 5:
        return R.choice([f"${R.randint(1, 999)},{R.randint(0, 999):03d},{R.randint(0, 999):03d}.{R.randint(0, 99):02d}",
                         f"€{R.randint(1, 99)}.{R.randint(0, 999):03d},{R.randint(0, 99):02d}",
                         f"USD {R.randint(1, 9)},{R.randint(100, 999)},{R.randint(100, 999)}",
                         f"${R.randint(200, 999)}-{R.randint(200, 999)}-{R.randint(1000, 9999)}"])
    if k == 6:
        return f"at {R.randint(0, 23):02d}:{R.randint(0, 59):02d}:{R.randint(0, 59):02d}"
    if k == 7:
        return f"ISBN 978-{R.randint(0, 9)}-{R.randint(10, 99)}-{R.randint(100000, 999999)}-{R.randint(0, 9)}"
    if k == 8:
        return "commit " + "".join(R.choice("0123456789abcdef") for _ in range(40))
    if k == 9:
        h = "".join(R.choice("0123456789abcdef") for _ in range(32))
        return f"id {h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    if k == 10:
        return f"host {R.randint(256, 999)}.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(0, 255)}"
    if k == 11:
        a, g, s = ssn_digits(valid=False)
        return f"SSN {a}-{g}-{s}"
    if k == 12:
        return f"ZIP {R.randint(10000, 99999)}-{R.randint(1000, 9999)}"
    if k == 13:
        return f"tracking 1Z{''.join(R.choice(string.ascii_uppercase + string.digits) for _ in range(16))}"
    if k == 14:
        return f"coordinates {R.uniform(-90, 90):.4f}, {R.uniform(-180, 180):.4f}"
    if k == 15:
        return f"{R.randint(2, 99)} items x {R.randint(100, 999)} = {R.randint(1000, 99999)} units"
    if k == 16:
        return "wallet " + crypto(valid=False)
    if k == 17:
        return f"ticket #{R.randint(100, 999)}-{R.randint(10, 99)}-{R.randint(1000, 9999)}"
    if k == 18:
        return f"ratio {R.randint(1, 9)}:{R.randint(1, 9)}:{R.randint(1, 9)}"
    if k == 19:
        return f"std::vector<int> and a::b"
    if k == 20:
        return f"serial number {R.randint(10**11, 10**12)}"
    if k == 21:
        return f"version {R.randint(1, 4)}.{R.randint(0, 9)}.{R.randint(0, 9)}.{R.randint(0, 9)}"
    return f"PO {R.randint(10**9, 10**10 - 1)}"


# ---------------------------------------------------------------- sentences

CONTEXT = {
    "EMAIL_ADDRESS": ["email me at {}", "my address is {}", "send it to {}", "contact: {}", "cc {}", "reach out to {}"],
    "PHONE_NUMBER": ["call me on {}", "my phone is {}", "tel: {}", "mobile {}", "reach me at {}", "the number is {}",
                     "you can text {}", "phone: {}"],
    "CREDIT_CARD": ["my card is {}", "charge {}", "credit card: {}", "use the Visa {}", "card number {}", "pay with {}"],
    "IBAN_CODE": ["IBAN {}", "wire it to {}", "my bank account is {}", "account: {}", "transfer to IBAN: {}"],
    "US_SSN": ["SSN {}", "my social security number is {}", "ssn: {}", "SSN# {}", "social security {}"],
    "IP_ADDRESS": ["the server is at {}", "ping {}", "IP {}", "connect to {}", "client address {}", "host {}"],
    "MAC_ADDRESS": ["MAC {}", "device {}", "the NIC has MAC address {}", "hardware address {}"],
    "CRYPTO": ["send BTC to {}", "my bitcoin wallet is {}", "wallet: {}", "pay {}"],
    "URL": ["see {}", "visit {}", "docs at {}", "open {}", "link: {}"],
}
WRAP = [("", ""), ("(", ")"), ("\"", "\""), ("'", "'"), ("“", "”"), ("[", "]"), ("<", ">"), ("«", "»"), ("", ","),
        ("", "."), ("", ";"), ("", "!"), ("", "?"), ("", " —"), ("**", "**"), ("`", "`")]
OPENERS = ["Hi,", "Hello team —", "Quick note:", "FYI", "Please update the record.", "Thanks!", "Héllo,", "Re: ticket",
           "As discussed", "Customer says:", "Note to self:", ""]
CLOSERS = ["Thanks.", "Cheers", "Best, Ana", "ASAP please.", "🙏", "See you Monday.", "Regards", "", "— sent from my phone"]


def value_for(t):
    if t == "EMAIL_ADDRESS":
        return email()
    if t == "PHONE_NUMBER":
        return phone()
    if t == "CREDIT_CARD":
        d, k = card_digits()
        return group_card(d, k)
    if t == "IBAN_CODE":
        return iban_value()
    if t == "US_SSN":
        a, g, s = ssn_digits()
        return R.choice([f"{a}-{g}-{s}", f"{a}-{g}-{s}", f"{a} {g} {s}", f"{a}{g}{s}"])
    if t == "IP_ADDRESS":
        return ipv4() if R.random() < 0.55 else ipv6()
    if t == "MAC_ADDRESS":
        return mac()
    if t == "CRYPTO":
        return crypto()
    return url()


def line():
    parts, spans = [], []
    text = ""

    def add(s):
        nonlocal text
        text += s

    add(R.choice(OPENERS))
    types = R.sample(list(CONTEXT), R.choice([1, 1, 2, 2, 3]))
    for t in types:
        if text and not text.endswith(" "):
            add(" ")
        if R.random() < 0.5:
            add(decoy() + R.choice([", ", "; ", " and ", ". "]))
        tmpl = R.choice(CONTEXT[t])
        v = value_for(t)
        left, right = R.choice(WRAP)
        pre, post = tmpl.split("{}")
        add(pre + left)
        start = len(text)
        add(v)
        spans.append({"type": t, "start": start, "end": len(text)})
        add(right + post)
        if R.random() < 0.4:
            add(" " + decoy())
        add(R.choice([".", "", ",", " -", "!"]))
    add(" " + R.choice(CLOSERS))
    return {"text": text.rstrip(), "spans": spans}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
    for _ in range(n):
        rec = line()
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    # decoy-only lines: nothing may be found in them
    for _ in range(n // 5):
        text = R.choice(OPENERS) + " " + ", ".join(decoy() for _ in range(R.randint(2, 4))) + ". " + R.choice(CLOSERS)
        sys.stdout.write(json.dumps({"text": text.strip(), "spans": []}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
