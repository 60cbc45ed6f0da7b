/*
 * kgw_security: first-class Kafka TLS and SASL options, shared by every kgw
 * program and mapped onto librdkafka properties.
 *
 *   --kafka-security-protocol plaintext|ssl|sasl_plaintext|sasl_ssl
 *   --kafka-sasl-mechanism    PLAIN|SCRAM-SHA-256|SCRAM-SHA-512
 *   --kafka-sasl-username     NAME
 *   --kafka-sasl-password-file PATH   (or the environment variable
 *                                      KGW_KAFKA_SASL_PASSWORD)
 *   --kafka-ca-file PATH, --kafka-cert-file PATH, --kafka-key-file PATH
 *
 * There is deliberately no flag for the password: command lines show in
 * `ps` and shell history. The password never appears in an error or a log.
 * A program embeds the options in its own table with KGW_SECURITY_OPTIONS()
 * and calls kgw_security_apply() on its rd_kafka_conf_t before -X properties,
 * so -X can still override anything.
 */
#ifndef KGW_SECURITY_H
#define KGW_SECURITY_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

typedef struct kgw_security {
    char *protocol;
    char *sasl_mechanism;
    char *sasl_username;
    char *sasl_password_file;
    char *ca_file;
    char *cert_file;
    char *key_file;
} kgw_security_t;

#define KGW_SECURITY_PASSWORD_ENV "KGW_KAFKA_SASL_PASSWORD"

/* Option table entries for a config struct `type` holding a kgw_security_t `member`. */
#define KGW_SECURITY_OPTIONS(type, member)                                                         \
    {"kafka-security-protocol",                                                                    \
     NULL,                                                                                         \
     0,                                                                                            \
     KGW_OPT_STR,                                                                                  \
     offsetof(type, member.protocol),                                                              \
     NULL,                                                                                         \
     NULL,                                                                                         \
     0,                                                                                            \
     0,                                                                                            \
     "PROTO",                                                                                      \
     "Kafka security: plaintext, ssl, sasl_plaintext or sasl_ssl"},                                \
        {"kafka-sasl-mechanism",                                                                   \
         NULL,                                                                                     \
         0,                                                                                        \
         KGW_OPT_STR,                                                                              \
         offsetof(type, member.sasl_mechanism),                                                    \
         NULL,                                                                                     \
         NULL,                                                                                     \
         0,                                                                                        \
         0,                                                                                        \
         "MECH",                                                                                   \
         "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"},                                 \
        {"kafka-sasl-username",                                                                    \
         NULL,                                                                                     \
         0,                                                                                        \
         KGW_OPT_STR,                                                                              \
         offsetof(type, member.sasl_username),                                                     \
         NULL,                                                                                     \
         NULL,                                                                                     \
         0,                                                                                        \
         0,                                                                                        \
         "NAME",                                                                                   \
         "SASL user name"},                                                                        \
        {"kafka-sasl-password-file",                                                               \
         NULL,                                                                                     \
         0,                                                                                        \
         KGW_OPT_STR,                                                                              \
         offsetof(type, member.sasl_password_file),                                                \
         NULL,                                                                                     \
         NULL,                                                                                     \
         0,                                                                                        \
         0,                                                                                        \
         "PATH",                                                                                   \
         "file holding the SASL password (or env " KGW_SECURITY_PASSWORD_ENV "; never a flag)"},   \
        {"kafka-ca-file",                                                                          \
         NULL,                                                                                     \
         0,                                                                                        \
         KGW_OPT_STR,                                                                              \
         offsetof(type, member.ca_file),                                                           \
         NULL,                                                                                     \
         NULL,                                                                                     \
         0,                                                                                        \
         0,                                                                                        \
         "PATH",                                                                                   \
         "CA certificate(s) to verify the brokers (PEM)"},                                         \
        {"kafka-cert-file",                                                                        \
         NULL,                                                                                     \
         0,                                                                                        \
         KGW_OPT_STR,                                                                              \
         offsetof(type, member.cert_file),                                                         \
         NULL,                                                                                     \
         NULL,                                                                                     \
         0,                                                                                        \
         0,                                                                                        \
         "PATH",                                                                                   \
         "client certificate for mutual TLS (PEM)"},                                               \
    {                                                                                              \
        "kafka-key-file", NULL, 0, KGW_OPT_STR, offsetof(type, member.key_file), NULL, NULL, 0, 0, \
            "PATH", "client private key for mutual TLS (PEM)"                                      \
    }

/*
 * Validates the options and sets the matching librdkafka properties on conf.
 * Reads the password from the file or the environment. Returns 0, or -1 with
 * errstr naming the option (never containing the password).
 */
int kgw_security_apply(const kgw_security_t *sec, rd_kafka_conf_t *conf, char *errstr,
                       size_t errstr_size);

/* Reads a secret from a file: the first line, without its newline.
 * Returns a malloc'd string (caller frees) or NULL with errstr set. */
char *kgw_secret_read_file(const char *path, const char *what, char *errstr, size_t errstr_size);

#endif
