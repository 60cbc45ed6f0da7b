/*
 * signature: Standard Webhooks signatures (https://www.standardwebhooks.com).
 *
 *   webhook-signature: v1,<base64 of HMAC-SHA256(key, "<id>.<timestamp>.<body>")>
 *
 * The secret is given as "whsec_<base64 key>" (the prefix is optional); the
 * key is its base64-decoded remainder. HMAC-SHA256 comes from GnuTLS.
 *
 *   webhook-signature: v1a,<base64 of ed25519(private key, same content)>
 *
 * is the spec's asymmetric scheme: the receiver holds only the public key.
 * The private key is a PEM file (PKCS#8, as `openssl genpkey -algorithm
 * ed25519` writes it); GnuTLS parses it and Nettle signs (a pure function,
 * so HTTP threads sign concurrently without a lock).
 *
 * Pure: no network, no global state; any thread. The key never reaches a
 * log or an error message.
 */
#ifndef CONSUMER_SIGNATURE_H
#define CONSUMER_SIGNATURE_H

#include <stddef.h>

typedef struct signature_key {
    unsigned char *data;
    size_t len;
} signature_key_t;

/* Room for "v1," + base64 of 32 bytes + NUL. */
#define SIGNATURE_MAX 64

/* Parses a secret ("whsec_" + base64). Returns 0, or -1 with errstr (which
 * never quotes the secret). Release with signature_key_term(). */
int signature_key_parse(signature_key_t *key, const char *secret, char *errstr, size_t errstr_size);

/* Loads the secret from `path` (first line), or when path is NULL from the
 * environment variable `env`. Returns 1 when a key was loaded, 0 when neither
 * is set, -1 with errstr on error. */
int signature_key_load(signature_key_t *key, const char *path, const char *env, char *errstr,
                       size_t errstr_size);

void signature_key_term(signature_key_t *key);

/* Writes "v1,<base64>" for the message into out (SIGNATURE_MAX bytes).
 * Returns 0, or -1 on a crypto library failure. */
int signature_sign(const signature_key_t *key, const char *id, long long timestamp,
                   const void *body, size_t body_len, char out[SIGNATURE_MAX]);

/* An ed25519 signing key (v1a). */
typedef struct signature_edkey {
    unsigned char priv[32];
    unsigned char pub[32];
    int set;
} signature_edkey_t;

/* Room for "v1a," + base64 of 64 bytes + NUL. */
#define SIGNATURE_V1A_MAX 96
/* Room for "whpk_" + base64 of 32 bytes + NUL. */
#define SIGNATURE_PUBLIC_MAX 64

/* Parses a PEM private key (PKCS#8 "PRIVATE KEY", ed25519 only). Returns 0,
 * or -1 with errstr (never quoting the key). */
int signature_edkey_parse(signature_edkey_t *k, const char *pem, size_t pem_len, char *errstr,
                          size_t errstr_size);

/* Reads and parses the PEM file at path. Returns 0, or -1 with errstr naming
 * --signing-key-file and the path. */
int signature_edkey_load(signature_edkey_t *k, const char *path, char *errstr, size_t errstr_size);

/* Wipes the key. */
void signature_edkey_term(signature_edkey_t *k);

/* Writes the public key as Standard Webhooks spells it, "whpk_<base64>",
 * for the operator to give to receivers. */
void signature_edkey_public(const signature_edkey_t *k, char out[SIGNATURE_PUBLIC_MAX]);

/* Writes "v1a,<base64>" for the message into out. Returns 0, or -1 when out
 * of memory. */
int signature_edkey_sign(const signature_edkey_t *k, const char *id, long long timestamp,
                         const void *body, size_t body_len, char out[SIGNATURE_V1A_MAX]);

/* Key rotation: every attempt carries one signature per secret,
 * space-separated (the Standard Webhooks header allows several). */
#define SIGNATURE_KEYS_MAX 4

typedef struct signature_keys {
    signature_key_t key[SIGNATURE_KEYS_MAX];
    size_t n;             /* HMAC secrets (v1) */
    signature_edkey_t ed; /* ed.set: a v1a signature too */
} signature_keys_t;

/* Requests are signed at all. */
static inline int signature_keys_any(const signature_keys_t *ks)
{
    return ks->n > 0 || ks->ed.set;
}

/* Room for SIGNATURE_KEYS_MAX v1 signatures, one v1a, their spaces and a NUL. */
#define SIGNATURES_MAX (SIGNATURE_KEYS_MAX * SIGNATURE_MAX + SIGNATURE_V1A_MAX)

/* Loads every non-empty line of `path` as a secret (at most
 * SIGNATURE_KEYS_MAX), or when path is NULL the one secret in the
 * environment variable `env`. Returns the number loaded (0: neither set),
 * or -1 with errstr (naming the line, never quoting it). Release with
 * signature_keys_term(). */
int signature_keys_load(signature_keys_t *ks, const char *path, const char *env, char *errstr,
                        size_t errstr_size);

void signature_keys_term(signature_keys_t *ks);

/* Writes "v1,<a> v1,<b> ... v1a,<c>" (one per key) into out (SIGNATURES_MAX bytes).
 * Returns 0, or -1 on a crypto library failure. */
int signature_keys_sign(const signature_keys_t *ks, const char *id, long long timestamp,
                        const void *body, size_t body_len, char out[SIGNATURES_MAX]);

#endif
