/*
 * kgw_security: see kgw_security.h. Validation happens before any property is
 * set, so a bad combination is refused with a sentence naming the flag rather
 * than a librdkafka error about a property the user never typed.
 */
#include "common/kgw_security.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/kgw_kafka.h"

char *kgw_secret_read_file(const char *path, const char *what, char *errstr, size_t errstr_size)
{
    FILE *f = fopen(path, "r");
    char buf[4096];
    if (!f) {
        snprintf(errstr, errstr_size, "%s: cannot read '%s': %s", what, path, strerror(errno));
        return NULL;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (buf[0] == '\0') {
        snprintf(errstr, errstr_size, "%s: '%s' is empty", what, path);
        return NULL;
    }
    char *s = strdup(buf);
    /* Do not leave the secret on the stack longer than needed. */
    memset(buf, 0, sizeof(buf));
    if (!s)
        snprintf(errstr, errstr_size, "%s: out of memory", what);
    return s;
}

static int one_of(const char *s, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcasecmp(s, *allowed) == 0)
            return 1;
    return 0;
}

int kgw_security_apply(const kgw_security_t *sec, rd_kafka_conf_t *conf, char *errstr,
                       size_t errstr_size)
{
    static const char *const protocols[] = {"plaintext", "ssl", "sasl_plaintext", "sasl_ssl", NULL};
    static const char *const mechanisms[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", NULL};
    char *password = NULL;
    int rc = -1;
    const char *proto = sec->protocol;
    int sasl;

    if (proto && !one_of(proto, protocols)) {
        snprintf(errstr, errstr_size,
                 "--kafka-security-protocol: '%s' is not plaintext, ssl, sasl_plaintext or "
                 "sasl_ssl",
                 proto);
        return -1;
    }
    /* A mechanism alone implies SASL over TLS, the safe choice. */
    if (!proto && sec->sasl_mechanism)
        proto = "sasl_ssl";
    sasl = proto && strncasecmp(proto, "sasl_", 5) == 0;
    if (sec->sasl_mechanism && !one_of(sec->sasl_mechanism, mechanisms)) {
        snprintf(errstr, errstr_size,
                 "--kafka-sasl-mechanism: '%s' is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
                 sec->sasl_mechanism);
        return -1;
    }
    if (sasl && !sec->sasl_mechanism) {
        snprintf(errstr, errstr_size, "--kafka-sasl-mechanism: required with %s", proto);
        return -1;
    }
    if (!sasl && (sec->sasl_mechanism || sec->sasl_username || sec->sasl_password_file)) {
        snprintf(errstr, errstr_size,
                 "--kafka-sasl-*: SASL options need --kafka-security-protocol sasl_ssl or "
                 "sasl_plaintext");
        return -1;
    }
    if (sasl && !sec->sasl_username) {
        snprintf(errstr, errstr_size, "--kafka-sasl-username: required with SASL");
        return -1;
    }
    if (sasl) {
        const char *env = getenv(KGW_SECURITY_PASSWORD_ENV);
        if (sec->sasl_password_file) {
            password = kgw_secret_read_file(sec->sasl_password_file, "--kafka-sasl-password-file",
                                            errstr, errstr_size);
            if (!password)
                return -1;
        } else if (env && *env) {
            password = strdup(env);
        } else {
            snprintf(errstr, errstr_size,
                     "--kafka-sasl-password-file: required with SASL (or set %s)",
                     KGW_SECURITY_PASSWORD_ENV);
            return -1;
        }
        if (!password) {
            snprintf(errstr, errstr_size, "out of memory");
            return -1;
        }
    }
    if ((sec->cert_file != NULL) != (sec->key_file != NULL)) {
        snprintf(errstr, errstr_size, "--kafka-cert-file and --kafka-key-file go together");
        goto out;
    }

    if (proto && kgw_kafka_conf_set(conf, "security.protocol", proto, errstr, errstr_size))
        goto out;
    if (sasl) {
        if (kgw_kafka_conf_set(conf, "sasl.mechanisms", sec->sasl_mechanism, errstr, errstr_size) ||
            kgw_kafka_conf_set(conf, "sasl.username", sec->sasl_username, errstr, errstr_size) ||
            kgw_kafka_conf_set(conf, "sasl.password", password, errstr, errstr_size))
            goto out;
    }
    if (sec->ca_file &&
        kgw_kafka_conf_set(conf, "ssl.ca.location", sec->ca_file, errstr, errstr_size))
        goto out;
    if (sec->cert_file &&
        (kgw_kafka_conf_set(conf, "ssl.certificate.location", sec->cert_file, errstr,
                            errstr_size) ||
         kgw_kafka_conf_set(conf, "ssl.key.location", sec->key_file, errstr, errstr_size)))
        goto out;
    rc = 0;
out:
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    return rc;
}
