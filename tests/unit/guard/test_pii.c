/* The pii and secrets recognizers: every validator on valid values and on
 * near misses, every entity found in context with its exact span and not
 * found in look-alikes, custom recognizers, thresholds and entity selection,
 * the placeholder map (numbering, restore, a placeholder split at every byte
 * of a stream), the redaction modes, and the config's names agreeing with the
 * guard module's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "guard/detect.h"
#include "guard/pii.h"
#include "guard/placeholder.h"
#include "guard/redact.h"
#include "guard/secrets.h"
#include "guard/validators.h"
#include "util/buf.h"
#include "util/json_text.h"

extern const char *const config_pii_entities[];
extern const char *const config_secret_entities[];
extern const char *const config_validator_names[];

#define OK(fn, s) assert_true(fn(s, strlen(s)))
#define NO(fn, s) assert_false(fn(s, strlen(s)))

/* ---- validators ---- */

static void luhn_and_cards(void **state)
{
    OK(guard_luhn_ok, "4111111111111111");
    OK(guard_luhn_ok, "4111 1111 1111 1111");
    NO(guard_luhn_ok, "4111111111111112");
    NO(guard_luhn_ok, "4111x111111111111");
    NO(guard_luhn_ok, "42");
    OK(guard_card_ok, "4111 1111 1111 1111");
    OK(guard_card_ok, "4111-1111-1111-1111");
    OK(guard_card_ok, "4111111111111111");
    OK(guard_card_ok, "5555555555554444");     /* Mastercard 51-55 */
    OK(guard_card_ok, "2223003122003222");     /* Mastercard 2-series */
    OK(guard_card_ok, "3782 822463 10005");    /* Amex 4-6-5 */
    OK(guard_card_ok, "6011111111111117");     /* Discover */
    OK(guard_card_ok, "3530111333300000");     /* JCB */
    OK(guard_card_ok, "4222222222222");        /* Visa, 13 digits */
    OK(guard_card_ok, "4111 1111-1111 1111");  /* mixed separators: an evasion, still a card */
    NO(guard_card_ok, "4111 1111-1111 1112");  /* ... but Luhn still decides */
    NO(guard_card_ok, "41111 111 1111 1111");  /* odd grouping */
    NO(guard_card_ok, "1234567812345670");     /* Luhn-valid, no issuer */
    NO(guard_card_ok, "4111111111111112");     /* bad Luhn */
    NO(guard_card_ok, "378282246310005 ");     /* trailing separator */
}

static void iban(void **state)
{
    OK(guard_iban_ok, "DE89370400440532013000");
    OK(guard_iban_ok, "DE89 3704 0044 0532 0130 00");
    OK(guard_iban_ok, "GB82 WEST 1234 5698 7654 32");
    OK(guard_iban_ok, "gb82 west 1234 5698 7654 32");
    OK(guard_iban_ok, "FR1420041010050500013M02606");
    OK(guard_iban_ok, "NO9386011117947");      /* the shortest, 15 */
    OK(guard_iban_ok, "MT84MALT011000012345MTLCAST001S");
    NO(guard_iban_ok, "DE89370400440532013001"); /* checksum */
    NO(guard_iban_ok, "DE8937040044053201300");  /* length for DE */
    NO(guard_iban_ok, "XX89370400440532013000"); /* no such country */
    NO(guard_iban_ok, "DE89 37040044 0532 0130 00"); /* spaces not every four */
    NO(guard_iban_ok, "Gb82 WEST 1234 5698 7654 32"); /* mixed case */
    assert_int_equal(guard_iban_length("DE"), 22);
    assert_int_equal(guard_iban_length("LC"), 32);
    assert_int_equal(guard_iban_length("US"), 0);
}

static void ssn(void **state)
{
    OK(guard_ssn_ok, "123-45-6789");
    OK(guard_ssn_ok, "123 45 6789");
    OK(guard_ssn_ok, "123456789");
    OK(guard_ssn_ok, "899-99-9999");
    NO(guard_ssn_ok, "000-12-3456"); /* area 000 */
    NO(guard_ssn_ok, "666-12-3456"); /* area 666 */
    NO(guard_ssn_ok, "900-12-3456"); /* area 9xx */
    NO(guard_ssn_ok, "123-00-4567"); /* group 00 */
    NO(guard_ssn_ok, "123-45-0000"); /* serial 0000 */
    NO(guard_ssn_ok, "078-05-1120"); /* the Woolworth wallet card */
    NO(guard_ssn_ok, "111-11-1111");
    NO(guard_ssn_ok, "123-45 6789"); /* mixed */
    NO(guard_ssn_ok, "12-345-6789");
}

static void ip_and_mac(void **state)
{
    OK(guard_ipv4_ok, "192.168.1.10");
    OK(guard_ipv4_ok, "0.0.0.0");
    OK(guard_ipv4_ok, "255.255.255.255");
    NO(guard_ipv4_ok, "256.1.1.1");
    NO(guard_ipv4_ok, "1.2.3");
    OK(guard_ipv4_ok, "192.168.001.010");
    NO(guard_ipv4_ok, "0001.2.3.4");
    NO(guard_ipv4_ok, "1.2.3.4.5");
    OK(guard_ipv6_ok, "2001:db8::1");
    OK(guard_ipv6_ok, "::");
    OK(guard_ipv6_ok, "::1");
    OK(guard_ipv6_ok, "::ffff:192.0.2.1");
    OK(guard_ipv6_ok, "fe80::1%eth0");
    OK(guard_ipv6_ok, "2001:0db8:0000:0000:0000:ff00:0042:8329");
    OK(guard_ipv6_ok, "2001:DB8:0:0:8:800:200C:417A");
    NO(guard_ipv6_ok, "2001:db8::1::2");
    NO(guard_ipv6_ok, "12:30:45");
    NO(guard_ipv6_ok, "fe80::1%");
    NO(guard_ipv6_ok, "fe80::1%eth0.");
    NO(guard_ipv6_ok, "1:2:3:4:5:6:7:8:9");
    OK(guard_mac_ok, "00:1A:2B:3C:4D:5E");
    OK(guard_mac_ok, "00-1a-2b-3c-4d-5e");
    OK(guard_mac_ok, "001a.2b3c.4d5e");
    NO(guard_mac_ok, "00:1A-2B:3C:4D:5E");
    NO(guard_mac_ok, "00:1A:2B:3C:4D:5G");
}

static void bitcoin(void **state)
{
    OK(guard_base58check_ok, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2");
    OK(guard_base58check_ok, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy");
    OK(guard_base58check_ok, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"); /* the genesis address */
    NO(guard_base58check_ok, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"); /* checksum */
    NO(guard_base58check_ok, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN0"); /* '0' is not base58 */
    OK(guard_bech32_ok, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq");
    OK(guard_bech32_ok, "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4");
    OK(guard_bech32_ok, "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"); /* taproot, bech32m */
    NO(guard_bech32_ok, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr");                      /* checksum */
    NO(guard_bech32_ok, "bc1QAR0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq");                      /* mixed case */
    /* a v1 program with the v0 (bech32) checksum: the constant must be bech32m */
    NO(guard_bech32_ok, "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx");
}

static void phones(void **state)
{
    OK(guard_nanp_ok, "(415) 555-0132");
    OK(guard_nanp_ok, "+1 415 555 0132");
    NO(guard_nanp_ok, "(115) 555-0132");
    NO(guard_nanp_ok, "415-155-0132");
    OK(guard_phone_intl_ok, "+44 20 7946 0958");
    OK(guard_phone_intl_ok, "+44 (0)20 7946 0958");
    OK(guard_phone_intl_ok, "+49 30 12345678");
    OK(guard_phone_intl_ok, "+33 1 23 45 67 89");
    OK(guard_phone_intl_ok, "+91 98765 43210");
    OK(guard_phone_intl_ok, "+14155550132");
    OK(guard_phone_intl_ok, "+1 (415) 555-0132");
    NO(guard_phone_intl_ok, "+44 20 7946 09");     /* too short for the UK */
    NO(guard_phone_intl_ok, "+1 415 555 01322");   /* 11 national digits */
    NO(guard_phone_intl_ok, "+0 123 456 789");     /* no calling code 0 */
    NO(guard_phone_intl_ok, "+28 123 456 789");    /* unassigned */
    NO(guard_phone_intl_ok, "+44  20 7946 0958");  /* doubled separator */
    NO(guard_phone_intl_ok, "+44 (20 7946 0958");  /* unbalanced */
}

/* ---- entities in text ---- */

static struct config *cfg_of(const char *guards)
{
    char yaml[4096], err[512];
    snprintf(yaml, sizeof(yaml),
             "providers: [{name: p, base_url: \"http://h\"}]\n"
             "models: [{name: m, targets: [{provider: p, model: x}]}]\n"
             "guardrails:\n%s",
             guards);
    struct config *cfg = config_load_string(yaml, strlen(yaml), "t.yaml", err, sizeof(err));
    if (cfg == NULL)
        fail_msg("config: %s", err);
    return cfg;
}

struct fixture {
    struct config *cfg;
    struct detect_set *pii, *secrets;
    struct detect_scratch *sc;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[512];
    f->cfg = cfg_of("  - {name: p, type: pii}\n  - {name: s, type: secrets}\n");
    f->pii = guard_pii_compile(&f->cfg->guardrails[0], err, sizeof(err));
    f->secrets = guard_secrets_compile(&f->cfg->guardrails[1], err, sizeof(err));
    assert_non_null(f->pii);
    assert_non_null(f->secrets);
    f->sc = detect_scratch_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    detect_free(f->pii);
    detect_free(f->secrets);
    detect_scratch_free(f->sc);
    config_free(f->cfg);
    free(f);
    return 0;
}

/* "TYPE=value|TYPE=value" of what the set finds in text, or "" */
static const char *found(const struct detect_set *s, struct detect_scratch *sc, const char *text)
{
    static char out[2048];
    struct guard_finding *f = NULL;
    size_t n = 0, cap = 0;
    assert_true(detect_scan(s, sc, text, strlen(text), 0, 0.5, &f, &n, &cap) >= 0);
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && o < sizeof(out); i++)
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s=%.*s", i ? "|" : "", f[i].type, (int)(f[i].end - f[i].start),
                              text + f[i].start);
    free(f);
    return out;
}

#define PII(text, want) assert_string_equal(found(f->pii, f->sc, text), want)
#define SECRET(text, want) assert_string_equal(found(f->secrets, f->sc, text), want)

static void pii_entities(void **state)
{
    struct fixture *f = *state;
    PII("mail John.Doe+tag@mail.example.co.uk, now", "EMAIL_ADDRESS=John.Doe+tag@mail.example.co.uk");
    PII("(reach: “ana@example.org”)", "EMAIL_ADDRESS=ana@example.org");
    PII("mailto:ana@example.org", "EMAIL_ADDRESS=ana@example.org");
    PII("not an address: a@b, x@localhost, @example.com", "");
    PII("call (415) 555-0132 or 415.555.0132 or +1 415-555-0132", "PHONE_NUMBER=(415) 555-0132|PHONE_NUMBER=415.555.0132|PHONE_NUMBER=+1 415-555-0132");
    PII("ring +44 20 7946 0958, +49 (0)89 1234567, +33 6 12 34 56 78.",
        "PHONE_NUMBER=+44 20 7946 0958|PHONE_NUMBER=+49 (0)89 1234567|PHONE_NUMBER=+33 6 12 34 56 78");
    PII("phone: 020 7946 0958", "PHONE_NUMBER=020 7946 0958");
    PII("555-123-4567x123, 001-415-555-0132 or +1-415-555-0132 ext. 12.",
        "PHONE_NUMBER=555-123-4567x123|PHONE_NUMBER=001-415-555-0132|PHONE_NUMBER=+1-415-555-0132 ext. 12");
    PII("IBAN NO50 0715 0273 805 (a bad one)", ""); /* the tail of a grouped code is no phone */
    PII("code 020 7946 0958", "");                    /* a national format needs a context word */
    /* the area code in parentheses; "00" for "+"; Spain's three groups of three; more context words */
    PII("Phone: (020) 7946 0392, fax (030) 6105023", "PHONE_NUMBER=(020) 7946 0392|PHONE_NUMBER=(030) 6105023");
    PII("Tel. 0049 30 6790062 or 0033 1 23 45 67 89", "PHONE_NUMBER=0049 30 6790062|PHONE_NUMBER=0033 1 23 45 67 89");
    PII("id 00493067900621, order 0049 30 6790062", ""); /* an unbroken run of digits; an order number */
    PII("mi teléfono es 671 306 153", "PHONE_NUMBER=671 306 153");
    PII("In 2023 we shipped 914 532 807 units", "");
    PII("Support hotline: 07700 900848; telefonisch unter 0152 4007 0205; Tél : 03 14 47 89 47",
        "PHONE_NUMBER=07700 900848|PHONE_NUMBER=0152 4007 0205|PHONE_NUMBER=03 14 47 89 47");
    /* a table's header is the context of its column, however far up (CSV, markdown) */
    PII("id,name,phone,country\n1,Ann Marie Lee-Smithson,n/a,US\n2,Bob Alexander Johnson,n/a,US\n"
        "3,\"Okafor, Amelia\",020 7946 0637,UK\n4,Li Chen,0152 1410 6117,DE\n",
        "PHONE_NUMBER=020 7946 0637|PHONE_NUMBER=0152 1410 6117");
    PII("| Name | Phone |\n|---|---|\n| Ann Marie Lee-Smithson | n/a |\n| Bob Alexander Johnson | n/a |\n"
        "| Rossi | 06-69319531 |\n",
        "PHONE_NUMBER=06-69319531");
    PII("<table>\n<tr><th>Name</th><th>E-mail</th><th>Phone</th></tr>\n<tr><td>Ann Marie Lee-Smithson</td><td>n/a</td>"
        "<td>n/a</td></tr>\n<tr><td>Amelia Okafor</td><td>no-reply@example.ai</td><td>020 7946 0637</td></tr>\n",
        "EMAIL_ADDRESS=no-reply@example.ai|PHONE_NUMBER=020 7946 0637");
    PII("<tr><th>Name</th><th>Ref</th><th>Note</th></tr>\n<tr><td>Ann Marie Lee-Smithson</td><td>n/a</td><td>n/a</td></tr>\n"
        "<tr><td>Amelia Okafor</td><td>020 7946 0637</td><td>paid</td></tr>\n",
        "");
    PII("Ol\xC3\xA1! Meu celular \xC3\xA9 (41) 96654-6044; vous pouvez me joindre au 01-01-28-63-24",
        "PHONE_NUMBER=(41) 96654-6044|PHONE_NUMBER=01-01-28-63-24");
    PII("see note (41) 3537-6621 in the list", ""); /* Brazil's layout needs a context word */
    PII("id,name,ref,country\n1,Ann,020 7946 0637,UK\n", ""); /* another column's header */
    PII("phone,name,ref\nn/a,Ann Marie Lee-Smithson,none\nn/a,Bob Alexander Johnson,none\nn/a,Carla Dominguez Perez,none\n"
        "n/a,Ann,020 7946 0637\n",
        "");
    PII("a ping6 reply: 64 bytes from 2001:db8::1: icmp_seq=1", "IP_ADDRESS=2001:db8::1");
    PII("order 415-555-0132 and invoice no. 212-555-0187", ""); /* identifiers, not phones */
    PII("pay $415-555-0132 now", "");
    PII("card 4111 1111 1111 1111, exp 12/25", "CREDIT_CARD=4111 1111 1111 1111");
    PII("Amex 3782-822463-10005.", "CREDIT_CARD=3782-822463-10005");
    PII("card 4111 1111 1111 1112", "");
    PII("jcb 213100000000001", "CREDIT_CARD=213100000000001");
    PII("IBAN PL24 1064 4401 8943 8902 7981 9721", ""); /* Luhn-valid digits inside an (invalid) IBAN */
    PII("card 4111 1111 1111 1111 2024", "CREDIT_CARD=4111 1111 1111 1111"); /* the longest valid end wins */
    PII("IBAN: DE89 3704 0044 0532 0130 00.", "IBAN_CODE=DE89 3704 0044 0532 0130 00");
    PII("IBAN DE89370400440532013001", "");
    PII("SSN 219-09-9998 ok", "US_SSN=219-09-9998");
    PII("ssn: 219099998", "US_SSN=219099998");
    PII("number 219099998", "");
    PII("SSN 666-12-3456 / 000-12-3456 / 123-00-4567", "");
    PII("hosts 10.0.0.1:8080, [2001:db8::42] and ::ffff:192.0.2.1.",
        "IP_ADDRESS=10.0.0.1|IP_ADDRESS=2001:db8::42|IP_ADDRESS=::ffff:192.0.2.1");
    PII("ip address :: unset", "IP_ADDRESS=::");
    PII("std::vector a::b 12:30:45 1.2.3.4.5 999.1.1.1 version 1.2.3.4", "");
    PII("MAC 00:1A:2B:3C:4D:5E and 001a.2b3c.4d5e", "MAC_ADDRESS=00:1A:2B:3C:4D:5E|MAC_ADDRESS=001a.2b3c.4d5e");
    PII("to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 or bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "CRYPTO=1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2|CRYPTO=bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq");
    PII("to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", "");
    PII("see (https://example.com/a_(b)?q=1), www.example.org. or http://localhost:8080/x",
        "URL=https://example.com/a_(b)?q=1|URL=www.example.org|URL=http://localhost:8080/x");
    /* an address inside a URL is the URL */
    PII("https://example.com/u?mail=ana@example.org", "URL=https://example.com/u?mail=ana@example.org");
    PII("", "");
}

static void secrets_rules(void **state)
{
    struct fixture *f = *state;
    SECRET("OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1w", "OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1w");
    SECRET("key sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe.", "ANTHROPIC_API_KEY=sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe");
    SECRET("AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE");
    SECRET("# example: AKIAXXXXXXXXXXXXXXXX", ""); /* a template */
    SECRET("DATABASE_URL=postgres://app:$(DB_PASS)@localhost:5432/app", ""); /* a shell substitution */
    SECRET("SLACK_BOT_TOKEN=xoxe.xoxp-1-Mi0yLTM0MDQ4NzQ5NjQ2NjEtNDU0NjE4ODY1NjU3Ny0xNjk2",
           "SLACK_TOKEN=xoxe.xoxp-1-Mi0yLTM0MDQ4NzQ5NjQ2NjEtNDU0NjE4ODY1NjU3Ny0xNjk2"); /* a rotating token, whole */
    SECRET("GET /v1/data?api_key=kIri-h-KYtK52tnpFfd7Kp&format=json", "GENERIC_SECRET=kIri-h-KYtK52tnpFfd7Kp");
    SECRET("DB_PASSWORD=abc&def9Zk2Qw", "GENERIC_SECRET=abc&def9Zk2Qw"); /* '&' ends a value only before name= */
    SECRET("<add key=\"ApiSecret\" value=\"8BptdxaXQh0qJbgS9E7OjkeOZ7RndxZ1q797xWpQ\" />",
           "GENERIC_SECRET=8BptdxaXQh0qJbgS9E7OjkeOZ7RndxZ1q797xWpQ");
    SECRET("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
           "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    SECRET("just a string wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "");
    SECRET("ghp_0123456789abcdefghijABCDEFGHIJ012345 github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
           "GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345|GITHUB_TOKEN=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz");
    SECRET("glpat-xYz12345678901234567", "GITLAB_TOKEN=glpat-xYz12345678901234567");
    SECRET("xoxb-123456789012-abcdefghij", "SLACK_TOKEN=xoxb-123456789012-abcdefghij");
    SECRET("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
           "SLACK_WEBHOOK=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX");
    SECRET("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "STRIPE_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc");
    SECRET("pk_live_4eC39HqLyjWDarjtT1zdp7dc", ""); /* publishable: 0.4, under the default threshold */
    SECRET("AIzaSyA-1234567890abcdefghijklmnopqrstu", "GOOGLE_API_KEY=AIzaSyA-1234567890abcdefghijklmnopqrstu");
    SECRET("hf_abcdefghijklmnopqrstuvwxyz01234567", "HUGGINGFACE_TOKEN=hf_abcdefghijklmnopqrstuvwxyz01234567");
    SECRET("x -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY----- y",
           "PRIVATE_KEY=-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----");
    SECRET("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
           "PRIVATE_KEY=-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC");
    SECRET("Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
           "JWT=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U");
    /* three base64url parts, but the header is not JSON with "alg" */
    SECRET("eyJub3RhbGciOjF9.eyJzdWIiOiIxIn0.abc", "");
    SECRET("DATABASE_URL=postgres://app:S3cr3tP4ss@db.internal:5432/app",
           "DATABASE_URL=postgres://app:S3cr3tP4ss@db.internal:5432/app");
    SECRET("mongodb+srv://u:pw123456@cluster0.example.net/x", "DATABASE_URL=mongodb+srv://u:pw123456@cluster0.example.net/x");
    SECRET("engine = create_engine(\"postgresql+psycopg2://svc:w650PG0kqYbP0Uun@10.0.4.12:5432/wh\")",
           "DATABASE_URL=postgresql+psycopg2://svc:w650PG0kqYbP0Uun@10.0.4.12:5432/wh"); /* SQLAlchemy's dialect+driver */
    SECRET("redis://localhost:6379/0 and postgres://app:${DB_PASSWORD}@db/app", "");
    SECRET("api_key = \"a8F3kL9mQ2xZ7pR4\"", "GENERIC_SECRET=a8F3kL9mQ2xZ7pR4");
    SECRET("{\"client_secret\": \"Zq8#mW2$kP9!vL4x\"}", "GENERIC_SECRET=Zq8#mW2$kP9!vL4x");
    SECRET("password: hunter2, token: <your-token-here>, api_key=changeme123, secret=xxxxxxxxxxxx", "");
    SECRET("the password is long; token: the", "");
    SECRET("max_tokens=4096", "");
}

static void custom_recognizers_and_selection(void **state)
{
    char err[512];
    struct config *cfg = cfg_of("  - name: p\n    type: pii\n    entities: [CREDIT_CARD]\n    score_threshold: 0.7\n"
                                "    recognizers:\n"
                                "      - {name: EMPLOYEE_ID, regex: \"EMP-[0-9]{6}\", context: [employee], score: 0.5}\n"
                                "      - {name: CARD_REF, regex: \"CR[0-9]{16}\", validator: luhn, score: 0.9}\n"
                                "      - {name: LONG_RE, regex: \"Z(?=Q)[A-Z]{3}\", score: 0.9}\n"
                                "      - {name: ACCENT, regex: \"caf\\u00e9-[0-9]+\", score: 0.9}\n"
                                "      - {name: DOTS, regex: \"X-..\", score: 0.9}\n"
                                "  - name: s\n    type: secrets\n    entities: [GENERIC_SECRET]\n    entropy_threshold: 4.5\n"
                                "    rules: [{name: ACME_TOKEN, regex: \"acme_[a-z0-9]{8}\", score: 0.9}]\n");
    struct detect_set *p = guard_pii_compile(&cfg->guardrails[0], err, sizeof(err));
    struct detect_set *s = guard_secrets_compile(&cfg->guardrails[1], err, sizeof(err));
    assert_non_null(p);
    assert_non_null(s);
    struct detect_scratch *sc = detect_scratch_new();
    double th = cfg->guardrails[0].score_threshold;
    struct guard_finding *fd = NULL;
    size_t n = 0, cap = 0;
    const char *t = "ana@example.org employee EMP-654321 CR4111111111111111 CR4111111111111112 ZQRS "
                    "card 4111111111111111, and far from that word: EMP-123456 caf\xc3\xa9-42 X-\xc3\xa9";
    assert_true(detect_scan(p, sc, t, strlen(t), 3, th, &fd, &n, &cap) >= 0);
    /* no e-mail (not selected); EMP-123456 scores 0.5 < 0.7, the one next to "employee" 0.85 */
    assert_int_equal(n, 6);
    assert_string_equal(fd[0].type, "EMPLOYEE_ID");
    assert_memory_equal(t + fd[0].start, "EMP-654321", 10);
    assert_int_equal(fd[0].index, 3);
    assert_string_equal(fd[1].type, "CARD_REF");
    assert_string_equal(fd[2].type, "LONG_RE"); /* a lookahead: Hyperscan detects, PCRE2 delimits */
    assert_memory_equal(t + fd[2].start, "ZQRS", 4);
    assert_string_equal(fd[3].type, "CREDIT_CARD");
    /* a non-ASCII pattern goes to PCRE2; a byte-mode '.' never cuts a character */
    assert_string_equal(fd[4].type, "ACCENT");
    assert_memory_equal(t + fd[4].start, "caf\xc3\xa9-42", 8);
    assert_string_equal(fd[5].type, "DOTS");
    assert_memory_equal(t + fd[5].start, "X-\xc3\xa9", 4);
    assert_int_equal(fd[5].end, strlen(t));
    free(fd);
    fd = NULL;
    n = cap = 0;
    /* entropy_threshold 4.5: a 16-character value cannot reach it (at most 4 bits) */
    const char *t2 = "acme_x1y2z3w4 api_key=a8F3kL9mQ2xZ7pR4";
    assert_true(detect_scan(s, sc, t2, strlen(t2), 0, 0.5, &fd, &n, &cap) >= 0);
    assert_int_equal(n, 1);
    assert_string_equal(fd[0].type, "ACME_TOKEN");
    free(fd);
    detect_scratch_free(sc);
    detect_free(p);
    detect_free(s);
    config_free(cfg);
}

/* A text that needs folding (a full-width digit) with a byte that starts no well-formed
 * character: the byte is one character, so "::" (an IP address, score 0.3) and the phone
 * number after it do not both begin at it (fuzz_pii: overlapping findings). */
static void an_invalid_byte_is_one_character_when_folding(void **state)
{
    struct fixture *f = *state;
    const char *t = "\xef\xbc\x91 \xff::+44 20 7946 0958 x";
    struct guard_finding *fd = NULL;
    size_t n = 0, cap = 0;
    assert_true(detect_scan(f->pii, f->sc, t, strlen(t), 0, 0.3, &fd, &n, &cap) >= 0);
    assert_true(n >= 1);
    for (size_t i = 1; i < n; i++)
        assert_true(fd[i].start >= fd[i - 1].end);
    assert_string_equal(fd[n - 1].type, "PHONE_NUMBER");
    assert_int_equal(fd[n - 1].start, 7); /* "+44 20 7946 0958", after the byte and "::" */
    free(fd);
}

/* ---- placeholders and redaction ---- */

static void placeholder_numbering_and_restore(void **state)
{
    struct guard_placeholders *p = guard_placeholders_new();
    size_t l;
    assert_string_equal(guard_placeholders_add(p, "EMAIL_ADDRESS", "a@x.org", 7, &l), "<EMAIL_ADDRESS_1>");
    assert_int_equal(l, 17);
    assert_string_equal(guard_placeholders_add(p, "EMAIL_ADDRESS", "b@x.org", 7, &l), "<EMAIL_ADDRESS_2>");
    assert_string_equal(guard_placeholders_add(p, "EMAIL_ADDRESS", "a@x.org", 7, &l), "<EMAIL_ADDRESS_1>");
    assert_string_equal(guard_placeholders_add(p, "PHONE_NUMBER", "a@x.org", 7, &l), "<PHONE_NUMBER_1>");
    assert_null(guard_placeholders_add(p, "BAD TYPE", "v", 1, &l));
    assert_null(guard_placeholders_add(p, "", "v", 1, &l));
    assert_int_equal(guard_placeholders_count(p), 3);
    /* many values: the table grows and still finds each one */
    char v[32];
    for (int i = 0; i < 500; i++) {
        snprintf(v, sizeof(v), "v%d", i);
        guard_placeholders_add(p, "X", v, strlen(v), &l);
    }
    assert_string_equal(guard_placeholders_add(p, "X", "v321", 4, &l), "<X_322>");
    const char *ans = "<EMAIL_ADDRESS_2> wrote to <EMAIL_ADDRESS_1>, <<EMAIL_ADDRESS_1>>, <EMAIL_ADDRESS_3> <EMAIL_ADDRESS_01> "
                      "<X_500><X_0><EMAIL_ADDRESS_1";
    size_t ol;
    char *r = guard_placeholders_restore(p, ans, strlen(ans), &ol);
    assert_non_null(r);
    assert_string_equal(r, "b@x.org wrote to a@x.org, <a@x.org>, <EMAIL_ADDRESS_3> <EMAIL_ADDRESS_01> v499<X_0><EMAIL_ADDRESS_1");
    assert_int_equal(ol, strlen(r));
    free(r);
    assert_null(guard_placeholders_restore(p, "nothing here", 12, &ol));
    assert_null(guard_placeholders_restore(p, "<EMAIL_ADDRESS_9>", 17, &ol));
    guard_placeholders_free(p);
}

/* A <TYPE_n> the client typed itself is reserved: no value gets it, so the upstream can tell it
 * from a value's placeholder and the answer gives it back as typed, never as someone's value. */
static void placeholder_typed_by_the_client_is_never_a_value(void **state)
{
    (void)state;
    struct guard_placeholders *p = guard_placeholders_new();
    const char *typed = "I typed <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_3>, <X_0>, <EMAIL_ADDRESS_01>, <EMAIL_ADDRESS_>, "
                        "<EMAIL_ADDRESS_1234567890>, <BAD TYPE_2>, <EMAIL_ADDRESS_1";
    guard_placeholders_reserve(p, typed, strlen(typed));
    const char *view = "<PHONE_NUMBER_1>"; /* a second text (a decoded view) adds to the first */
    guard_placeholders_reserve(p, view, strlen(view));
    size_t l;
    assert_string_equal(guard_placeholders_add(p, "EMAIL_ADDRESS", "a@x.org", 7, &l), "<EMAIL_ADDRESS_2>");
    assert_string_equal(guard_placeholders_add(p, "EMAIL_ADDRESS", "b@x.org", 7, &l), "<EMAIL_ADDRESS_4>");
    assert_string_equal(guard_placeholders_add(p, "EMAIL_ADDRESS", "a@x.org", 7, &l), "<EMAIL_ADDRESS_2>");
    assert_string_equal(guard_placeholders_add(p, "PHONE_NUMBER", "+1 415 555 0132", 15, &l), "<PHONE_NUMBER_2>");
    assert_string_equal(guard_placeholders_add(p, "X", "v", 1, &l), "<X_1>");
    /* after the first value, reserving changes nothing (numbers given do not move) */
    guard_placeholders_reserve(p, "<EMAIL_ADDRESS_5>", 17);
    assert_string_equal(guard_placeholders_add(p, "EMAIL_ADDRESS", "c@x.org", 7, &l), "<EMAIL_ADDRESS_5>");
    const char *ans = "<EMAIL_ADDRESS_1> <EMAIL_ADDRESS_2> <EMAIL_ADDRESS_3> <EMAIL_ADDRESS_4> <PHONE_NUMBER_1> <X_1>";
    size_t ol;
    char *r = guard_placeholders_restore(p, ans, strlen(ans), &ol);
    assert_non_null(r);
    assert_string_equal(r, "<EMAIL_ADDRESS_1> a@x.org <EMAIL_ADDRESS_3> b@x.org <PHONE_NUMBER_1> v");
    free(r);
    guard_placeholders_free(p);
}

/* Feeds text to a restorer split into pieces at the given cut points. */
static char *restore_stream(const struct guard_placeholders *p, const char *text, const size_t *cuts, size_t n_cuts,
                            size_t *max_pending)
{
    struct guard_restorer *r = guard_restorer_new(p);
    struct util_buf out;
    util_buf_init(&out, 1 << 20);
    size_t len = strlen(text), at = 0;
    *max_pending = 0;
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t to = i < n_cuts ? cuts[i] : len;
        assert_int_equal(guard_restorer_feed(r, text + at, to - at, &out), 0);
        if (guard_restorer_pending(r) > *max_pending)
            *max_pending = guard_restorer_pending(r);
        at = to;
    }
    assert_int_equal(guard_restorer_finish(r, &out), 0);
    assert_int_equal(guard_restorer_pending(r), 0);
    guard_restorer_free(r);
    return util_buf_take(&out, NULL);
}

static void restorer_split_at_every_byte(void **state)
{
    struct guard_placeholders *p = guard_placeholders_new();
    size_t l;
    guard_placeholders_add(p, "EMAIL_ADDRESS", "jane@example.org", 16, &l);
    guard_placeholders_add(p, "EMAIL_ADDRESS", "bob@example.org", 15, &l);
    guard_placeholders_add(p, "PHONE_NUMBER", "+44 20 7946 0958", 16, &l);
    for (int i = 2; i <= 12; i++) {
        char v[16];
        snprintf(v, sizeof(v), "p%d", i);
        guard_placeholders_add(p, "PHONE_NUMBER", v, strlen(v), &l); /* <PHONE_NUMBER_12> exists: _1 is a prefix of it */
    }
    const char *text = "Hi <EMAIL_ADDRESS_1>, call <PHONE_NUMBER_1> or <PHONE_NUMBER_12>; a < b, <EMAIL_ADDRESS_2><EMAIL_"
                       "ADDRESS_1> <EMAIL_ADDRESS_9> <EMAIL <PHONE_NUMBER_1";
    const char *want = "Hi jane@example.org, call +44 20 7946 0958 or p12; a < b, bob@example.orgjane@example.org "
                       "<EMAIL_ADDRESS_9> <EMAIL <PHONE_NUMBER_1";
    size_t len = strlen(text), maxp;
    /* one cut at every position */
    for (size_t c = 0; c <= len; c++) {
        char *got = restore_stream(p, text, &c, 1, &maxp);
        assert_string_equal(got, want);
        assert_true(maxp < GUARD_PLACEHOLDER_MAX);
        free(got);
    }
    /* every pair of cuts (all splits of a placeholder into three pieces) */
    for (size_t a = 0; a <= len; a += 1)
        for (size_t b = a; b <= len; b += 3) {
            size_t cuts[2] = {a, b};
            char *got = restore_stream(p, text, cuts, 2, &maxp);
            assert_string_equal(got, want);
            free(got);
        }
    /* byte by byte */
    size_t *cuts = malloc(len * sizeof(*cuts));
    for (size_t i = 0; i < len; i++)
        cuts[i] = i;
    char *got = restore_stream(p, text, cuts, len, &maxp);
    assert_string_equal(got, want);
    free(got);
    free(cuts);
    /* what is held back is only ever a placeholder prefix: text without '<' is released at once */
    struct guard_restorer *r = guard_restorer_new(p);
    struct util_buf out;
    util_buf_init(&out, 1024);
    guard_restorer_feed(r, "plain text, no placeholder", 26, &out);
    assert_int_equal(out.len, 26);
    assert_int_equal(guard_restorer_pending(r), 0);
    guard_restorer_feed(r, "x <EMAIL_AD", 11, &out);
    assert_int_equal(guard_restorer_pending(r), 9);
    guard_restorer_feed(r, "Z", 1, &out); /* no longer a prefix: released */
    assert_int_equal(guard_restorer_pending(r), 0);
    assert_string_equal(out.data, "plain text, no placeholderx <EMAIL_ADZ");
    util_buf_free(&out);
    guard_restorer_free(r);
    guard_placeholders_free(p);
}

static void redaction_modes(void **state)
{
    const char *t = "a é@x — ana@example.org, bob@example.org, ana@example.org.";
    struct guard_finding f[3] = {{0, 11, 26, "EMAIL_ADDRESS", 1}, {0, 28, 43, "EMAIL_ADDRESS", 1}, {0, 45, 60, "EMAIL_ADDRESS", 1}};
    size_t ol;
    char *r = guard_redact_apply(t, strlen(t), f, 3, CONFIG_REDACT_MASK, NULL, 0, &ol);
    assert_string_equal(r, "a é@x — ****, ****, ****.");
    free(r);
    struct guard_placeholders *p = guard_placeholders_new();
    r = guard_redact_apply(t, strlen(t), f, 3, CONFIG_REDACT_TYPED, p, 0, &ol);
    assert_string_equal(r, "a é@x — <EMAIL_ADDRESS_1>, <EMAIL_ADDRESS_2>, <EMAIL_ADDRESS_1>.");
    assert_int_equal(ol, strlen(r));
    char *back = guard_placeholders_restore(p, r, ol, &ol);
    assert_string_equal(back, t);
    free(back);
    free(r);
    /* a finding out of range or overlapping is skipped, never read past the text */
    struct guard_finding bad[2] = {{0, 2, 5, "X", 1}, {0, 3, 900, "X", 1}};
    r = guard_redact_apply("abcdefgh", 8, bad, 2, CONFIG_REDACT_TYPED, p, 0, &ol);
    assert_string_equal(r, "ab<X_1>fgh");
    free(r);
    guard_placeholders_free(p);
}

/* Two spellings of one URL in plain text ("/" and "\/" fold to one key) are two values: each
 * placeholder gives back exactly the bytes it replaced (fuzz_pii found them sharing <URL_1>,
 * restored as the first spelling in both places). */
static void redaction_restores_each_spelling_of_plain_text(void **state)
{
    const char *t = "see http://a.b/x and http:\\/\\/a.b\\/x";
    struct guard_finding f[2] = {{0, 4, 16, "URL", 1}, {0, 21, 36, "URL", 1}};
    struct guard_placeholders *p = guard_placeholders_new();
    size_t ol, bl;
    char *r = guard_redact_apply(t, strlen(t), f, 2, CONFIG_REDACT_REVERSIBLE, p, 0, &ol);
    assert_string_equal(r, "see <URL_1> and <URL_2>");
    char *back = guard_placeholders_restore(p, r, ol, &bl);
    assert_non_null(back);
    assert_string_equal(back, t);
    free(back);
    free(r);
    guard_placeholders_free(p);
}

/* The finding at the first occurrence of what in text, of type. */
static struct guard_finding finding_at(const char *text, const char *what, const char *type)
{
    const char *at = strstr(text, what);
    assert_non_null(at);
    struct guard_finding f = {0, (size_t)(at - text), (size_t)(at - text) + strlen(what), "", 1};
    snprintf(f.type, sizeof(f.type), "%s", type);
    return f;
}

/* Tool-call arguments are JSON their reader decodes: "\/" and "/" spell one value there,
 * so redacting the arguments and redacting their decoded view (api/texts.h) give the same
 * placeholders (api_scan_unspliceable compares them), and restoring into JSON gives back
 * the values, escaped where JSON needs it. */
static void redaction_of_json_text_agrees_with_its_decoded_view(void **state)
{
    const char *src = "{\"u\":\"http:\\/\\/a.b\\/x\",\"v\":\"http://a.b/x\",\"m\":\"jo\\\"e@x.org\"}";
    struct guard_finding fs[3] = {finding_at(src, "http:\\/\\/a.b\\/x", "URL"), finding_at(src, "http://a.b/x", "URL"),
                                  finding_at(src, "jo\\\"e@x.org", "EMAIL_ADDRESS")};
    char view[128];
    size_t view_len = util_json_unescape_once(src, strlen(src), view);
    view[view_len] = '\0';
    assert_string_equal(view, "{\"u\":\"http://a.b/x\",\"v\":\"http://a.b/x\",\"m\":\"jo\"e@x.org\"}");
    struct guard_finding fv[3] = {finding_at(view, "http://a.b/x", "URL"), finding_at(view + 20, "http://a.b/x", "URL"),
                                  finding_at(view, "jo\"e@x.org", "EMAIL_ADDRESS")};
    fv[1].start += 20, fv[1].end += 20;
    struct guard_placeholders *p = guard_placeholders_new();
    size_t rl, vl, ol;
    char *red = guard_redact_apply(src, strlen(src), fs, 3, CONFIG_REDACT_REVERSIBLE, p, 1, &rl);
    assert_string_equal(red, "{\"u\":\"<URL_1>\",\"v\":\"<URL_1>\",\"m\":\"<EMAIL_ADDRESS_1>\"}");
    char *vred = guard_redact_apply(view, view_len, fv, 3, CONFIG_REDACT_REVERSIBLE, p, 0, &vl);
    char decoded[128];
    size_t dl = util_json_unescape_once(red, rl, decoded);
    assert_int_equal(dl, vl);
    assert_memory_equal(decoded, vred, vl);
    /* back into JSON: the values, escaped for a JSON string */
    char *back = guard_placeholders_restore_json(p, red, rl, &ol);
    assert_string_equal(back, "{\"u\":\"http://a.b/x\",\"v\":\"http://a.b/x\",\"m\":\"jo\\\"e@x.org\"}");
    free(back);
    /* into plain text (the decoded view, or an answer's content): the values as they are */
    back = guard_placeholders_restore(p, vred, vl, &ol);
    assert_string_equal(back, view);
    free(back);
    free(vred);
    free(red);
    /* a plain text's value is its bytes: a spelling with an escape is another value */
    const char *plain = "http:\\/\\/a.b\\/x";
    struct guard_finding f1 = {0, 0, strlen(plain), "URL", 1};
    red = guard_redact_apply(plain, strlen(plain), &f1, 1, CONFIG_REDACT_REVERSIBLE, p, 0, &rl);
    assert_string_equal(red, "<URL_2>");
    back = guard_placeholders_restore(p, red, rl, &ol);
    assert_string_equal(back, plain);
    free(back);
    free(red);
    guard_placeholders_free(p);
}

/* What is stored gets the placeholders back wherever a restore put an original: as is, or
 * escaped once or twice, by jansson or by our own writer (a control character: \n or \u000a). */
static void hide_finds_every_escaped_form(void **state)
{
    struct guard_placeholders *p = guard_placeholders_new();
    size_t l;
    guard_placeholders_add(p, "X", "a\nb\"c", 5, &l);
    const char *text = "1 a\nb\"c 2 a\\nb\\\"c 3 a\\u000ab\\\"c 4 a\\\\u000ab\\\\\\\"c 5 a\\\\nb\\\\\\\"c";
    char *h = guard_placeholders_hide(p, text, strlen(text), &l);
    assert_string_equal(h, "1 <X_1> 2 <X_1> 3 <X_1> 4 <X_1> 5 <X_1>");
    free(h);
    guard_placeholders_free(p);
}

/* The config module checks names without calling into guard/: both lists must agree. */
static void config_names_match_the_guard_module(void **state)
{
    size_t i;
    for (i = 0; config_pii_entities[i]; i++)
        assert_string_equal(config_pii_entities[i], guard_pii_entity_names[i]);
    assert_null(guard_pii_entity_names[i]);
    for (i = 0; config_secret_entities[i]; i++)
        assert_string_equal(config_secret_entities[i], guard_secret_entity_names[i]);
    assert_null(guard_secret_entity_names[i]);
    for (i = 0; config_validator_names[i]; i++)
        assert_non_null(guard_validator_check(config_validator_names[i]));
    assert_null(guard_validator_check("nope"));
}

static void stream_window_is_bounded(void **state)
{
    struct fixture *f = *state;
    size_t wp = detect_max_width(f->pii), ws = detect_max_width(f->secrets);
    assert_true(wp >= 320 && wp <= 4096);
    assert_true(ws >= 1024 && ws <= 16384);
}

/* Gates (detect.h) only skip text where no finding can be: the built-in sets and the
 * same rules with their gates removed find the same on texts dense in digits, hex,
 * separators and real values cut and joined at random. */
static void same_findings_without_gates(struct detect_set *gated)
{
    size_t n = detect_rule_count(gated);
    struct detect_rule *rules = calloc(n, sizeof(*rules));
    for (size_t i = 0; i < n; i++) {
        rules[i] = *detect_rule_at(gated, i);
        rules[i].gate = NULL;
    }
    char err[256];
    struct detect_set *plain = detect_compile(rules, n, err, sizeof(err));
    assert_non_null(plain);
    struct detect_scratch *sc = detect_scratch_new();
    static const char alphabet[] = "0123456789012345678901234567890123456789     --..::()/ABCDEFabcdef"
                                   "GHJKLMNPQRSTUVWXYZghijkmnopqrstuvwxyz13131313@+%_#=,;'\"\n";
    static const char *const values[] = {"4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "415-555-0132",
                                         "(415) 555-0132", "078-05-1120", "192.168.1.10", "fe80::1%eth0",
                                         "00:1A:2B:3C:4D:5E", "0011.2233.4455", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
                                         "+44 20 7946 0958", "030 12345678", "AKIAIOSFODNN7EXAMPLE",
                                         "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SSN 123456789", "2001:db8::8a2e:370:7334"};
    uint64_t seed = 12345;
    char text[512];
    for (int round = 0; round < 3000; round++) {
        size_t len = 0, want = 16 + round % 400;
        while (len < want) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            unsigned r = (unsigned)(seed >> 33);
            if (r % 8 == 0) {
                const char *v = values[(r >> 3) % (sizeof(values) / sizeof(values[0]))];
                size_t k = strlen(v), from = (r >> 8) % 3 == 0 ? (r >> 10) % k : 0;
                for (size_t j = from; j < k && len < want; j++)
                    text[len++] = v[j];
            } else {
                text[len++] = alphabet[(r >> 3) % (sizeof(alphabet) - 1)];
            }
        }
        struct guard_finding *a = NULL, *b = NULL;
        size_t na = 0, ca = 0, nb = 0, cb = 0;
        int ra = detect_scan(gated, sc, text, len, 0, 0.0, &a, &na, &ca);
        int rb = detect_scan(plain, sc, text, len, 0, 0.0, &b, &nb, &cb);
        assert_int_equal(ra, rb);
        assert_int_equal(na, nb);
        for (size_t i = 0; i < na; i++) {
            assert_string_equal(a[i].type, b[i].type);
            assert_int_equal(a[i].start, b[i].start);
            assert_int_equal(a[i].end, b[i].end);
            assert_true(a[i].score == b[i].score);
        }
        free(a);
        free(b);
    }
    detect_scratch_free(sc);
    detect_free(plain);
    free(rules);
}

static void gates_change_no_finding(void **state)
{
    struct fixture *f = *state;
    same_findings_without_gates(f->pii);
    same_findings_without_gates(f->secrets);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(luhn_and_cards),
        cmocka_unit_test(iban),
        cmocka_unit_test(ssn),
        cmocka_unit_test(ip_and_mac),
        cmocka_unit_test(bitcoin),
        cmocka_unit_test(phones),
        cmocka_unit_test_setup_teardown(pii_entities, setup, teardown),
        cmocka_unit_test_setup_teardown(secrets_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(an_invalid_byte_is_one_character_when_folding, setup, teardown),
        cmocka_unit_test(custom_recognizers_and_selection),
        cmocka_unit_test(placeholder_numbering_and_restore),
        cmocka_unit_test(placeholder_typed_by_the_client_is_never_a_value),
        cmocka_unit_test(restorer_split_at_every_byte),
        cmocka_unit_test(redaction_modes),
        cmocka_unit_test(redaction_restores_each_spelling_of_plain_text),
        cmocka_unit_test(redaction_of_json_text_agrees_with_its_decoded_view),
        cmocka_unit_test(hide_finds_every_escaped_form),
        cmocka_unit_test(config_names_match_the_guard_module),
        cmocka_unit_test_setup_teardown(stream_window_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(gates_change_no_finding, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
