/*
 * cli: kgw-consumer's options table, parsed into a plain struct with no live
 * handles, then validated (required flags, URL, enums, -H syntax) so the
 * whole command line is unit-testable without a network.
 *
 * Runs at startup on the main thread only.
 */
#ifndef CONSUMER_CLI_H
#define CONSUMER_CLI_H

#include <stddef.h>

#include "common/kgw_config.h"
#include "consumer/config.h"

extern const kgw_cli_t consumer_cli;

/*
 * Parses and validates argv (plus KGW_* environment and --config). Returns
 * KGW_CONFIG_OK, _HELP, _VERSION, or _ERROR with one sentence in errstr that
 * names the flag. cfg must be zeroed by the caller; release it with
 * cli_config_free() in every case.
 */
int cli_parse(consumer_config_t *cfg, int argc, char **argv, char *errstr, size_t errstr_size);

/* Checks an already-filled cfg and derives the enums. Returns 0, or -1 with errstr. */
int cli_validate(consumer_config_t *cfg, char *errstr, size_t errstr_size);

void cli_config_free(consumer_config_t *cfg);

#endif
