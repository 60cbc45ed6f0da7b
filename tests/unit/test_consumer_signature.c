/* signature: Standard Webhooks signing, against the scheme's published
 * example and values computed with Python's hmac module. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/signature.h"

Test(signature, standard_webhooks_example)
{
    /* The example of the Standard Webhooks reference libraries. */
    signature_key_t key;
    char err[256], sig[SIGNATURE_MAX];
    const char *body = "{\"test\": 2432232314}";
    cr_assert_eq(
        signature_key_parse(&key, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", err, sizeof(err)), 0);
    cr_assert_eq(
        signature_sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), sig),
        0);
    cr_assert_str_eq(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    signature_key_term(&key);
}

Test(signature, key_without_prefix_and_empty_body)
{
    /* Key "Jefe" (RFC 4231 case 2) given without the whsec_ prefix; the
     * expected value was computed independently:
     *   python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(
     *     hmac.new(b"Jefe", b"t-0-1.0.", hashlib.sha256).digest()))' */
    signature_key_t key;
    char err[256], sig[SIGNATURE_MAX];
    cr_assert_eq(signature_key_parse(&key, "SmVmZQ==", err, sizeof(err)), 0);
    cr_assert_eq(key.len, 4);
    cr_assert_eq(memcmp(key.data, "Jefe", 4), 0);
    cr_assert_eq(signature_sign(&key, "t-0-1", 0, "", 0, sig), 0);
    /* python3 -c 'import hmac,hashlib,base64;print(base64.b64encode(
     *   hmac.new(b"Jefe",b"t-0-1.0.",hashlib.sha256).digest()))' */
    cr_assert_str_eq(sig, "v1,tskF7vSqmJMB1D96pkBK5XKjfPONChgIFH6sO0QWxlE=");
    signature_key_term(&key);
}

Test(signature, bad_secrets_refused_without_echo)
{
    static const char *bad[] = {"whsec_", "", "whsec_!!!notbase64!!!", "whsec_Zq9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        signature_key_t key;
        char err[256] = "";
        cr_assert_eq(signature_key_parse(&key, bad[i], err, sizeof(err)), -1, "case %zu", i);
        cr_assert(strstr(err, "signing secret"), "case %zu: %s", i, err);
        if (strlen(bad[i]) > 8)
            cr_assert_null(strstr(err, bad[i] + 6), "case %zu echoes the secret", i);
    }
}

Test(signature, load_from_env_and_none)
{
    signature_key_t key;
    char err[256];
    unsetenv("KGW_TEST_SIGNING");
    cr_assert_eq(signature_key_load(&key, NULL, "KGW_TEST_SIGNING", err, sizeof(err)), 0);
    setenv("KGW_TEST_SIGNING", "whsec_SmVmZQ==", 1);
    cr_assert_eq(signature_key_load(&key, NULL, "KGW_TEST_SIGNING", err, sizeof(err)), 1);
    cr_assert_eq(key.len, 4);
    signature_key_term(&key);
    cr_assert_eq(signature_key_load(&key, "/nonexistent/kgw", "KGW_TEST_SIGNING", err, sizeof(err)),
                 -1);
    unsetenv("KGW_TEST_SIGNING");
}

/* ed25519 (v1a): a key made by `openssl genpkey -algorithm ed25519`; the
 * expected values come from OpenSSL, independently of GnuTLS and Nettle
 * (ed25519 signatures are deterministic):
 *   printf 'msg_1.1614265330.{"test": 2432232314}' |
 *     openssl pkeyutl -sign -rawin -inkey key.pem -in /dev/stdin | base64 -w0
 *   openssl pkey -in key.pem -pubout -outform DER | tail -c 32 | base64 */
static const char ED_PEM[] = "-----BEGIN PRIVATE KEY-----\n"
                             "MC4CAQAwBQYDK2VwBCIEIDpItHuMcPGrM5eIXa0jAMaNvsv5mRJhw8IXo2K9WqJp\n"
                             "-----END PRIVATE KEY-----\n";

Test(signature, ed25519_v1a_matches_openssl)
{
    signature_edkey_t k;
    char err[256], sig[SIGNATURE_V1A_MAX], pub[SIGNATURE_PUBLIC_MAX];
    const char *body = "{\"test\": 2432232314}";
    cr_assert_eq(signature_edkey_parse(&k, ED_PEM, strlen(ED_PEM), err, sizeof(err)), 0, "%s", err);
    signature_edkey_public(&k, pub);
    cr_assert_str_eq(pub, "whpk_AMh4IJlAyduBNXde8tkEqUfYXKTY/bSBeH8w6gIjhg4=");
    cr_assert_eq(signature_edkey_sign(&k, "msg_1", 1614265330, body, strlen(body), sig), 0);
    cr_assert_str_eq(sig, "v1a,mEU3IuYgU2Vd/axOZjnkTFiZAqw+VD9oiGiD+vhCEGv7q1GP83bZooeUFqFJGVPXb//"
                          "iZa7ZhzS2lyxxwWrsCg==");
    signature_edkey_term(&k);
    cr_assert_eq(k.set, 0);
}

Test(signature, ed25519_key_file_refusals)
{
    /* Another algorithm's key, a truncated file and garbage are refused
     * without quoting the file. */
    static const char x25519[] =
        "-----BEGIN PRIVATE KEY-----\n"
        "MC4CAQAwBQYDK2VuBCIEICiCQMJvmzV+fe/UVn3oWvxgc6NEQTPiY62VAOeZ8kRS\n"
        "-----END PRIVATE KEY-----\n";
    static const char p256[] = "-----BEGIN PRIVATE KEY-----\n"
                               "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgolGg9eX8CeeINRAO\n"
                               "bBtTPxhTpyYoy1DQwXaRLMjhzdehRANCAARW1tL2HgABrpLlLgOXF2s/Q2yqRkPc\n"
                               "jaz4rtOTbRGNaxl37ojxTM6HABzxQWqUbrNwlnd2ANF1oH95bXIs/Sc5\n"
                               "-----END PRIVATE KEY-----\n";
    const struct {
        const char *pem;
        size_t len;
        const char *err;
    } cases[] = {
        {x25519, sizeof(x25519) - 1, "not an ed25519 key"},
        {p256, sizeof(p256) - 1, "not an ed25519 key"},
        {ED_PEM, 40, "not an unencrypted PEM private key"},
        {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 38, "not an unencrypted PEM private key"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        signature_edkey_t k;
        char err[256] = "";
        cr_assert_eq(signature_edkey_parse(&k, cases[i].pem, cases[i].len, err, sizeof(err)), -1,
                     "case %zu", i);
        cr_assert(strstr(err, cases[i].err), "case %zu: %s", i, err);
        cr_assert_null(strstr(err, "MC4C"), "case %zu", i);
        cr_assert_eq(k.set, 0);
    }
}

Test(signature, hmac_and_ed25519_together)
{
    /* One header value: every v1 first, then the v1a, space-separated. */
    signature_keys_t ks;
    char err[256], sig[SIGNATURES_MAX];
    memset(&ks, 0, sizeof(ks));
    cr_assert_eq(
        signature_key_parse(&ks.key[0], "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", err, sizeof(err)),
        0);
    ks.n = 1;
    cr_assert_eq(signature_edkey_parse(&ks.ed, ED_PEM, strlen(ED_PEM), err, sizeof(err)), 0);
    cr_assert(signature_keys_any(&ks));
    const char *body = "{\"test\": 2432232314}";
    cr_assert_eq(signature_keys_sign(&ks, "msg_1", 1614265330, body, strlen(body), sig), 0);
    cr_assert(!strncmp(sig, "v1,", 3));
    const char *v1a = strstr(sig, " v1a,mEU3IuYgU2Vd");
    cr_assert_not_null(v1a, "%s", sig);
    cr_assert_eq(strlen(v1a), 1 + 4 + 88);
    signature_keys_term(&ks);
    cr_assert(!signature_keys_any(&ks));
}
