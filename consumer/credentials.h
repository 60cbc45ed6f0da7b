/*
 * credentials: the target's static credentials, --basic-auth-file (HTTP
 * Basic) and --client-cert/--client-key (mutual TLS): read and checked at
 * startup, so that a typo stops kgw-consumer instead of failing every
 * delivery later, then set on each of the sink's curl easy handles.
 *
 * Loaded and released by the sink's owner (loop thread, at start and stop);
 * credentials_apply() runs on the HTTP threads and only reads. The password
 * never reaches a log line or an error message, and is wiped at term.
 * (OAuth2 tokens are consumer/oauth2.h's.)
 */
#ifndef CONSUMER_CREDENTIALS_H
#define CONSUMER_CREDENTIALS_H

#include <curl/curl.h>
#include <stddef.h>

#include "consumer/config.h"

typedef struct credentials {
    char *basic_user; /* NULL: no Basic auth */
    char *basic_pass;
} credentials_t;

/* Reads the Basic secret ("user:password", first line) and checks that the
 * certificate and key files can be read. Returns 0, or -1 with errstr naming
 * the flag. Release with credentials_term() in either case. */
int credentials_load(credentials_t *c, const consumer_config_t *cfg, char *errstr,
                     size_t errstr_size);

/* Sets the Basic and mutual TLS options on an easy handle (curl copies them). */
void credentials_apply(const credentials_t *c, const consumer_config_t *cfg, CURL *easy);

/* Wipes and frees. Accepts a zeroed struct. */
void credentials_term(credentials_t *c);

#endif
