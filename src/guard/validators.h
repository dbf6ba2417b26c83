/* Checksum and structure validators for detected entities: pure functions
 * over bytes, no allocation, used by the pii and secrets recognizers and by
 * custom recognizers that name one (validator: luhn | iban | ...).
 *
 * Each returns 1 when the value is valid, 0 otherwise. Inputs are exactly the
 * value (no surrounding text); where separators are allowed it says so. */
#ifndef WARDEN_GUARD_VALIDATORS_H
#define WARDEN_GUARD_VALIDATORS_H

#include <stddef.h>

/* Luhn mod-10 over the digits of s; spaces and dashes are skipped, any other byte fails. 12..19 digits. */
int guard_luhn_ok(const char *s, size_t len);
/* A card number: Luhn, 13..19 digits, a known issuer prefix (IIN), and either no
 * separators or one kind of separator (space or dash) between digit groups. */
int guard_card_ok(const char *s, size_t len);
/* IBAN: country code from the registry, that country's length, mod-97 == 1.
 * Spaces are allowed every four characters; letters in either case (not mixed). */
int guard_iban_ok(const char *s, size_t len);
/* The registered length of country's IBANs (two upper-case letters), 0 if not an IBAN country. */
int guard_iban_length(const char *country);
/* US SSN: 9 digits, optionally as AAA-GG-SSSS / AAA GG SSSS (one separator kind); area not
 * 000, 666 or 900-999, group not 00, serial not 0000, and not a known advertising number. */
int guard_ssn_ok(const char *s, size_t len);
/* Dotted-quad IPv4, octets 0..255 (1 to 3 digits, leading zeros allowed). */
int guard_ipv4_ok(const char *s, size_t len);
/* IPv6 in any RFC 4291 form (compressed, ::, embedded IPv4), optional %zone. */
int guard_ipv6_ok(const char *s, size_t len);
/* MAC-48: six hex pairs with one separator kind (':' or '-'), or three dot-separated hex quads. */
int guard_mac_ok(const char *s, size_t len);
/* Bitcoin base58check address (P2PKH '1...', P2SH '3...'): 25 bytes, double-SHA-256 checksum. */
int guard_base58check_ok(const char *s, size_t len);
/* Bitcoin segwit address (bc1 / tb1): bech32 for witness v0, bech32m for v1+, program length rules. */
int guard_bech32_ok(const char *s, size_t len);
/* A North American number: 10 digits (an optional leading 1 or +1), area and exchange codes 2-9xx. */
int guard_nanp_ok(const char *s, size_t len);
/* An international number: '+', a country calling code, 8..15 digits in all, plausible
 * length for the country; separators: space, dash, dot, one pair of parentheses, "(0)". */
int guard_phone_intl_ok(const char *s, size_t len);

#endif
