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
