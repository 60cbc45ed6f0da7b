/*
 * signature: Standard Webhooks HMAC-SHA256 (v1) and ed25519 (v1a)
 * signatures (see signature.h). GnuTLS does the HMAC, the base64 decoding
 * and the PEM parsing, Nettle the ed25519 signing; kgw_json the encoding.
 */
#include "consumer/signature.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nettle/eddsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_json.h"
#include "common/kgw_security.h"

#define PREFIX "whsec_"

int signature_key_parse(signature_key_t *key, const char *secret, char *errstr, size_t errstr_size)
{
    memset(key, 0, sizeof(*key));
    if (!strncmp(secret, PREFIX, sizeof(PREFIX) - 1))
        secret += sizeof(PREFIX) - 1;
    size_t len = strlen(secret);
    if (len == 0) {
        snprintf(errstr, errstr_size, "signing secret: empty");
        return -1;
    }
    /* Standard base64, padded: length a multiple of 4, '=' only at the end. */
    size_t pad = 0;
    for (size_t i = 0; i < len; i++) {
        char c = secret[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/';
        if (c == '=' && i + 2 >= len)
            pad++;
        else if (!ok || pad)
            len = 0;
    }
    if (len % 4 != 0 || len == 0) {
        snprintf(errstr, errstr_size,
                 "signing secret: not \"whsec_\" followed by base64 (Standard Webhooks)");
        return -1;
    }
    gnutls_datum_t in = {(unsigned char *)(uintptr_t)secret, (unsigned)len};
    gnutls_datum_t out = {NULL, 0};
    if (gnutls_base64_decode2(&in, &out) < 0 || out.size == 0) {
        gnutls_free(out.data);
        snprintf(errstr, errstr_size,
                 "signing secret: not \"whsec_\" followed by base64 (Standard Webhooks)");
        return -1;
    }
    key->data = malloc(out.size);
    if (!key->data) {
        gnutls_memset(out.data, 0, out.size);
        gnutls_free(out.data);
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    memcpy(key->data, out.data, out.size);
    key->len = out.size;
    gnutls_memset(out.data, 0, out.size);
    gnutls_free(out.data);
    return 0;
}

int signature_key_load(signature_key_t *key, const char *path, const char *env, char *errstr,
                       size_t errstr_size)
{
    memset(key, 0, sizeof(*key));
    if (path) {
        char *secret = kgw_secret_read_file(path, "--signing-secret-file", errstr, errstr_size);
        if (!secret)
            return -1;
        int rc = signature_key_parse(key, secret, errstr, errstr_size);
        memset(secret, 0, strlen(secret));
        free(secret);
        return rc ? -1 : 1;
    }
    const char *secret = env ? getenv(env) : NULL;
    if (!secret || !*secret)
        return 0;
    if (signature_key_parse(key, secret, errstr, errstr_size)) {
        size_t n = strlen(errstr);
        snprintf(errstr + n, errstr_size - n, " (from %s)", env);
        return -1;
    }
    return 1;
}

void signature_key_term(signature_key_t *key)
{
    if (key->data) {
        memset(key->data, 0, key->len);
        free(key->data);
    }
    key->data = NULL;
    key->len = 0;
}

int signature_sign(const signature_key_t *key, const char *id, long long timestamp,
                   const void *body, size_t body_len, char out[SIGNATURE_MAX])
{
    char prefix[400];
    unsigned char mac[32];
    gnutls_hmac_hd_t h;
    int n = snprintf(prefix, sizeof(prefix), "%s.%lld.", id, timestamp);
    if (n < 0 || (size_t)n >= sizeof(prefix))
        return -1;
    if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, key->data, key->len) < 0)
        return -1;
    int rc = gnutls_hmac(h, prefix, (size_t)n);
    if (rc >= 0 && body_len)
        rc = gnutls_hmac(h, body, body_len);
    gnutls_hmac_deinit(h, mac);
    if (rc < 0)
        return -1;
    kgw_buf_t b;
    kgw_buf_init(&b);
    if (kgw_buf_add(&b, "v1,", 3) || kgw_buf_add_base64(&b, mac, sizeof(mac)) ||
        b.len >= SIGNATURE_MAX) {
        kgw_buf_term(&b);
        return -1;
    }
    memcpy(out, b.data, b.len + 1);
    kgw_buf_term(&b);
    return 0;
}

int signature_keys_load(signature_keys_t *ks, const char *path, const char *env, char *errstr,
                        size_t errstr_size)
{
    memset(ks, 0, sizeof(*ks));
    if (!path) {
        int rc = signature_key_load(&ks->key[0], NULL, env, errstr, errstr_size);
        ks->n = rc > 0 ? 1 : 0;
        return rc;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errstr, errstr_size, "--signing-secret-file: cannot read %s: %s", path,
                 strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, rc = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (ks->n == SIGNATURE_KEYS_MAX) {
            snprintf(errstr, errstr_size, "--signing-secret-file: %s:%d: more than %d secrets",
                     path, lineno, SIGNATURE_KEYS_MAX);
            rc = -1;
            break;
        }
        char why[200];
        if (signature_key_parse(&ks->key[ks->n], line, why, sizeof(why))) {
            snprintf(errstr, errstr_size, "--signing-secret-file: %s:%d: %s", path, lineno, why);
            rc = -1;
            break;
        }
        ks->n++;
    }
    if (line) {
        memset(line, 0, cap);
        free(line);
    }
    fclose(f);
    if (rc == 0 && ks->n == 0) {
        snprintf(errstr, errstr_size, "--signing-secret-file: %s holds no secret", path);
        rc = -1;
    }
    if (rc) {
        signature_keys_term(ks);
        return -1;
    }
    return (int)ks->n;
}

void signature_keys_term(signature_keys_t *ks)
{
    for (size_t i = 0; i < SIGNATURE_KEYS_MAX; i++)
        signature_key_term(&ks->key[i]);
    ks->n = 0;
    signature_edkey_term(&ks->ed);
}

/* --- ed25519 (v1a) ---------------------------------------------------------------- */

int signature_edkey_parse(signature_edkey_t *k, const char *pem, size_t pem_len, char *errstr,
                          size_t errstr_size)
{
    gnutls_privkey_t key = NULL;
    gnutls_datum_t in = {(unsigned char *)(uintptr_t)pem, (unsigned)pem_len};
    gnutls_datum_t x = {NULL, 0}, y = {NULL, 0}, d = {NULL, 0};
    gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
    int rc = -1;

    memset(k, 0, sizeof(*k));
    if (pem_len > UINT32_MAX || gnutls_privkey_init(&key) < 0) {
        snprintf(errstr, errstr_size, "signing key: cannot parse (out of memory)");
        return -1;
    }
    /* No password: an encrypted key would need one on the command line. */
    if (gnutls_privkey_import_x509_raw(key, &in, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN) <
        0) {
        snprintf(errstr, errstr_size,
                 "signing key: not an unencrypted PEM private key "
                 "(openssl genpkey -algorithm ed25519)");
        goto out;
    }
    if (gnutls_privkey_get_pk_algorithm(key, NULL) != GNUTLS_PK_EDDSA_ED25519 ||
        gnutls_privkey_export_ecc_raw2(key, &curve, &x, &y, &d, 0) < 0 ||
        curve != GNUTLS_ECC_CURVE_ED25519 || d.size != sizeof(k->priv)) {
        snprintf(errstr, errstr_size, "signing key: not an ed25519 key");
        goto out;
    }
    memcpy(k->priv, d.data, sizeof(k->priv));
    /* Derived rather than taken from the file: a PKCS#8 file may omit it. */
    ed25519_sha512_public_key(k->pub, k->priv);
    k->set = 1;
    rc = 0;
out:
    if (d.data)
        gnutls_memset(d.data, 0, d.size);
    gnutls_free(d.data);
    gnutls_free(x.data);
    gnutls_free(y.data);
    gnutls_privkey_deinit(key);
    return rc;
}

int signature_edkey_load(signature_edkey_t *k, const char *path, char *errstr, size_t errstr_size)
{
    char buf[16384];
    memset(k, 0, sizeof(*k));
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errstr, errstr_size, "--signing-key-file: cannot read %s: %s", path,
                 strerror(errno));
        return -1;
    }
    size_t len = fread(buf, 1, sizeof(buf), f);
    int big = len == sizeof(buf), err = ferror(f);
    fclose(f);
    int rc = -1;
    char why[200];
    if (err)
        snprintf(errstr, errstr_size, "--signing-key-file: cannot read %s", path);
    else if (big)
        snprintf(errstr, errstr_size, "--signing-key-file: %s is too large for a key", path);
    else if (signature_edkey_parse(k, buf, len, why, sizeof(why)))
        snprintf(errstr, errstr_size, "--signing-key-file: %s: %s", path, why);
    else
        rc = 0;
    gnutls_memset(buf, 0, sizeof(buf));
    return rc;
}

void signature_edkey_term(signature_edkey_t *k)
{
    gnutls_memset(k, 0, sizeof(*k));
}

void signature_edkey_public(const signature_edkey_t *k, char out[SIGNATURE_PUBLIC_MAX])
{
    kgw_buf_t b;
    kgw_buf_init(&b);
    out[0] = '\0';
    if (!kgw_buf_add(&b, "whpk_", 5) && !kgw_buf_add_base64(&b, k->pub, sizeof(k->pub)) &&
        b.len < SIGNATURE_PUBLIC_MAX)
        memcpy(out, b.data, b.len + 1);
    kgw_buf_term(&b);
}

int signature_edkey_sign(const signature_edkey_t *k, const char *id, long long timestamp,
                         const void *body, size_t body_len, char out[SIGNATURE_V1A_MAX])
{
    /* Nettle signs one contiguous message: "<id>.<timestamp>.<body>". */
    kgw_buf_t msg, b;
    unsigned char sig[ED25519_SIGNATURE_SIZE];
    char prefix[400];
    int n = snprintf(prefix, sizeof(prefix), "%s.%lld.", id, timestamp);
    if (n < 0 || (size_t)n >= sizeof(prefix))
        return -1;
    kgw_buf_init(&msg);
    if (kgw_buf_add(&msg, prefix, (size_t)n) || (body_len && kgw_buf_add(&msg, body, body_len))) {
        kgw_buf_term(&msg);
        return -1;
    }
    ed25519_sha512_sign(k->pub, k->priv, msg.len, (const uint8_t *)msg.data, sig);
    kgw_buf_term(&msg);
    kgw_buf_init(&b);
    if (kgw_buf_add(&b, "v1a,", 4) || kgw_buf_add_base64(&b, sig, sizeof(sig)) ||
        b.len >= SIGNATURE_V1A_MAX) {
        kgw_buf_term(&b);
        return -1;
    }
    memcpy(out, b.data, b.len + 1);
    kgw_buf_term(&b);
    return 0;
}

int signature_keys_sign(const signature_keys_t *ks, const char *id, long long timestamp,
                        const void *body, size_t body_len, char out[SIGNATURES_MAX])
{
    size_t used = 0;
    for (size_t i = 0; i < ks->n; i++) {
        char sig[SIGNATURE_MAX];
        if (signature_sign(&ks->key[i], id, timestamp, body, body_len, sig))
            return -1;
        size_t n = strlen(sig);
        if (used + n + 2 > SIGNATURES_MAX)
            return -1;
        if (i)
            out[used++] = ' ';
        memcpy(out + used, sig, n);
        used += n;
    }
    if (ks->ed.set) {
        char sig[SIGNATURE_V1A_MAX];
        if (signature_edkey_sign(&ks->ed, id, timestamp, body, body_len, sig))
            return -1;
        size_t n = strlen(sig);
        if (used + n + 2 > SIGNATURES_MAX)
            return -1;
        if (used)
            out[used++] = ' ';
        memcpy(out + used, sig, n);
        used += n;
    }
    out[used] = '\0';
    return 0;
}
