/*
 * signature: Standard Webhooks HMAC-SHA256 signatures (see signature.h).
 * GnuTLS does the HMAC and the base64 decoding; kgw_json the encoding.
 */
#include "consumer/signature.h"

#include <errno.h>
#include <stdio.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
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
    out[used] = '\0';
    return 0;
}
