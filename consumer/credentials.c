/*
 * credentials: HTTP Basic and mutual TLS for the target (see credentials.h).
 */
#include "consumer/credentials.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_security.h"

static void secret_free(char *p)
{
    if (p) {
        memset(p, 0, strlen(p));
        free(p);
    }
}

int credentials_load(credentials_t *c, const consumer_config_t *cfg, char *errstr,
                     size_t errstr_size)
{
    memset(c, 0, sizeof(*c));
    /* curl reads these at each new connection: a typo found now, not at the first record. */
    const char *files[] = {cfg->client_cert, cfg->client_key};
    const char *flags[] = {"--client-cert", "--client-key"};
    for (size_t i = 0; i < 2; i++) {
        FILE *f = files[i] ? fopen(files[i], "r") : NULL;
        if (files[i] && !f) {
            snprintf(errstr, errstr_size, "%s: cannot read %s: %s", flags[i], files[i],
                     strerror(errno));
            return -1;
        }
        if (f)
            fclose(f);
    }
    if (!cfg->basic_auth_file)
        return 0;
    char *secret =
        kgw_secret_read_file(cfg->basic_auth_file, "--basic-auth-file", errstr, errstr_size);
    if (!secret)
        return -1;
    char *colon = strchr(secret, ':');
    if (!colon || colon == secret) {
        snprintf(errstr, errstr_size, "--basic-auth-file: %s does not hold user:password",
                 cfg->basic_auth_file);
        secret_free(secret);
        return -1;
    }
    *colon = '\0';
    c->basic_user = strdup(secret);
    c->basic_pass = strdup(colon + 1);
    memset(colon + 1, 0, strlen(colon + 1));
    secret_free(secret);
    if (!c->basic_user || !c->basic_pass) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    return 0;
}

void credentials_apply(const credentials_t *c, const consumer_config_t *cfg, CURL *easy)
{
    if (cfg->client_cert) {
        curl_easy_setopt(easy, CURLOPT_SSLCERT, cfg->client_cert);
        curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(easy, CURLOPT_SSLKEY,
                         cfg->client_key ? cfg->client_key : cfg->client_cert);
        curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (c->basic_user) { /* sent with the first request: Basic is the only scheme allowed */
        curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(easy, CURLOPT_USERNAME, c->basic_user);
        curl_easy_setopt(easy, CURLOPT_PASSWORD, c->basic_pass);
    }
}

void credentials_term(credentials_t *c)
{
    secret_free(c->basic_user);
    secret_free(c->basic_pass);
    c->basic_user = c->basic_pass = NULL;
}
