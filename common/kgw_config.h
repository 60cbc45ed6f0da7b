/*
 * kgw_config: table-driven command-line, environment and config-file options.
 *
 * A program describes its options in one table (name, type, target field,
 * default, help); kgw_config_parse() fills a plain struct from, in increasing
 * precedence: defaults < config file < environment < command line. `--help`
 * is generated from the same table, so it cannot drift from what is parsed.
 *
 * Spellings: every option accepts `--name` and `-name` (getopt_long_only), and
 * `--name=value`. Environment: KGW_<NAME> (upper case, '-' -> '_'), plus an
 * optional extra variable per option (`env_alias`, lower precedence than
 * KGW_<NAME>) for drop-in compatibility with older deployments. Config file:
 * `--config FILE` or KGW_CONFIG; lines `name = value`, `#` comments; errors say
 * `file:line: message`.
 *
 * Built in: --help/-h, --version/-V, --config FILE.
 *
 * List options: KGW_OPT_LIST (repeatable, e.g. -X k=v) accumulates across
 * sources in precedence order, so a later -X overrides an earlier key;
 * KGW_OPT_CSV (comma-separated, repeatable) is replaced by a higher source.
 * In the environment a LIST is newline-separated, a CSV comma-separated.
 *
 * Not thread-safe (getopt state): call at startup.
 */
#ifndef KGW_CONFIG_H
#define KGW_CONFIG_H

#include <stddef.h>
#include <stdio.h>

typedef struct kgw_strlist {
    char **items; /* owned */
    size_t count;
} kgw_strlist_t;

/* Appends a copy of s. Returns 0, or -1 on allocation failure. */
int kgw_strlist_add(kgw_strlist_t *l, const char *s);
/* Appends the comma-separated items of s (empty items skipped). */
int kgw_strlist_add_csv(kgw_strlist_t *l, const char *s);
void kgw_strlist_clear(kgw_strlist_t *l);

typedef enum {
    KGW_OPT_STR,    /* char *, owned by the struct; NULL when unset */
    KGW_OPT_INT,    /* long */
    KGW_OPT_DOUBLE, /* double */
    KGW_OPT_BOOL,   /* int 0/1; a bare flag on the command line, --x=false allowed */
    KGW_OPT_LIST,   /* kgw_strlist_t, repeatable */
    KGW_OPT_CSV,    /* kgw_strlist_t, comma-separated and repeatable */
} kgw_opt_type_t;

typedef struct kgw_option {
    const char *name;      /* long name: --name and -name */
    const char *alias;     /* optional second long name, or NULL */
    int short_name;        /* single-letter form ('X'), or 0 */
    kgw_opt_type_t type;   /* storage type at `offset` */
    size_t offset;         /* offsetof(your_config, field) */
    const char *def;       /* default as text, or NULL */
    const char *env_alias; /* optional extra environment variable, or NULL */
    double min, max;       /* numeric range; both 0 means unbounded */
    const char *metavar;   /* argument name in --help, e.g. "LIST" */
    const char *help;      /* one line */
} kgw_option_t;

typedef struct kgw_cli {
    const char *prog;         /* "kgw-producer" */
    const char *usage;        /* first help line after "usage: prog " */
    const char *description;  /* paragraph printed after the usage line, or NULL */
    const char *epilog;       /* text printed after the options, or NULL */
    const kgw_option_t *opts; /* terminated by an entry with name == NULL */
} kgw_cli_t;

enum {
    KGW_CONFIG_OK = 0,
    KGW_CONFIG_HELP = 1,    /* --help given: print kgw_config_usage(), exit 0 */
    KGW_CONFIG_VERSION = 2, /* --version given: print the version, exit 0 */
    KGW_CONFIG_ERROR = -1,  /* errstr says why, naming the option: exit 2 */
};

/*
 * Fills cfg (which the caller zeroed) from defaults, file, environment and
 * argv. On error, errstr holds one sentence naming the option and cfg may be
 * partly filled: release it with kgw_config_free() in every case.
 */
int kgw_config_parse(const kgw_cli_t *cli, void *cfg, int argc, char **argv, char *errstr,
                     size_t errstr_size);

/* Writes the --help text generated from the table. */
void kgw_config_usage(const kgw_cli_t *cli, FILE *out);

/* Frees the strings and lists the table's fields own; cfg itself is the caller's. */
void kgw_config_free(const kgw_cli_t *cli, void *cfg);

/* Strict number parsing (whole string, range checked). Return 0, or -1. */
int kgw_parse_long(const char *s, long *out);
int kgw_parse_double(const char *s, double *out);
int kgw_parse_bool(const char *s, int *out);

#endif
