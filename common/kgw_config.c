/*
 * kgw_config: see kgw_config.h. Parsing runs in three passes over the option
 * table (file, environment, argv), each converting text through one function,
 * set_value(), so every source shares the same validation and error text.
 */
#include "common/kgw_config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { SRC_DEFAULT = 0, SRC_FILE, SRC_ENV, SRC_ARGV };

int kgw_strlist_add(kgw_strlist_t *l, const char *s)
{
    char *copy = strdup(s);
    if (!copy)
        return -1;
    char **items = realloc(l->items, (l->count + 1) * sizeof(*items));
    if (!items) {
        free(copy);
        return -1;
    }
    items[l->count++] = copy;
    l->items = items;
    return 0;
}

int kgw_strlist_add_csv(kgw_strlist_t *l, const char *s)
{
    const char *p = s;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && isspace((unsigned char)*p)) {
            p++;
            n--;
        }
        while (n > 0 && isspace((unsigned char)p[n - 1]))
            n--;
        if (n > 0) {
            char *item = strndup(p, n);
            int rc = item ? kgw_strlist_add(l, item) : -1;
            free(item);
            if (rc)
                return -1;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

void kgw_strlist_clear(kgw_strlist_t *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

int kgw_parse_long(const char *s, long *out)
{
    char *end = NULL;
    if (!s || !*s)
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int kgw_parse_double(const char *s, double *out)
{
    char *end = NULL;
    if (!s || !*s)
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int kgw_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

static void set_err(char *errstr, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *errstr, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, size, fmt, ap);
    va_end(ap);
}

static size_t count_opts(const kgw_option_t *opts)
{
    size_t n = 0;
    while (opts[n].name)
        n++;
    return n;
}

static const kgw_option_t *find_opt(const kgw_option_t *opts, const char *name)
{
    for (const kgw_option_t *o = opts; o->name; o++) {
        if (strcmp(o->name, name) == 0 || (o->alias && strcmp(o->alias, name) == 0))
            return o;
    }
    return NULL;
}

static void env_name(const kgw_option_t *o, char *buf, size_t size)
{
    size_t i = 0;
    int n = snprintf(buf, size, "KGW_");
    if (n < 0 || (size_t)n >= size)
        return;
    for (i = 0; o->name[i] && (size_t)n + i + 1 < size; i++) {
        char c = o->name[i];
        buf[n + i] = c == '-' ? '_' : (char)toupper((unsigned char)c);
    }
    buf[n + i] = '\0';
}

/*
 * Converts `value` into the option's field. `src` is the source level; a CSV
 * list set from a higher source than before replaces what it had. `where`
 * describes the source for error text ("--port", "KGW_PORT", "f.conf:3").
 */
static int set_value(const kgw_option_t *o, void *cfg, const char *value, int src, int *srcs,
                     size_t idx, const char *where, char *errstr, size_t errstr_size)
{
    void *field = (char *)cfg + o->offset;
    int bounded = !(o->min == 0 && o->max == 0);

    switch (o->type) {
    case KGW_OPT_STR: {
        char *copy = strdup(value);
        if (!copy)
            goto oom;
        free(*(char **)field);
        *(char **)field = copy;
        break;
    }
    case KGW_OPT_INT: {
        long v;
        if (kgw_parse_long(value, &v)) {
            set_err(errstr, errstr_size, "%s: '%s' is not a whole number", where, value);
            return -1;
        }
        if (bounded && (v < o->min || v > o->max)) {
            set_err(errstr, errstr_size, "%s: %ld is out of range (%.0f..%.0f)", where, v, o->min,
                    o->max);
            return -1;
        }
        memcpy(field, &v, sizeof(v));
        break;
    }
    case KGW_OPT_DOUBLE: {
        double v;
        if (kgw_parse_double(value, &v)) {
            set_err(errstr, errstr_size, "%s: '%s' is not a number", where, value);
            return -1;
        }
        if (bounded && (v < o->min || v > o->max)) {
            set_err(errstr, errstr_size, "%s: %g is out of range (%g..%g)", where, v, o->min,
                    o->max);
            return -1;
        }
        memcpy(field, &v, sizeof(v));
        break;
    }
    case KGW_OPT_BOOL: {
        int v;
        if (kgw_parse_bool(value, &v)) {
            set_err(errstr, errstr_size, "%s: '%s' is not true or false", where, value);
            return -1;
        }
        memcpy(field, &v, sizeof(v));
        break;
    }
    case KGW_OPT_LIST:
        if (kgw_strlist_add((kgw_strlist_t *)field, value))
            goto oom;
        break;
    case KGW_OPT_CSV:
        if (srcs[idx] < src)
            kgw_strlist_clear((kgw_strlist_t *)field);
        if (kgw_strlist_add_csv((kgw_strlist_t *)field, value))
            goto oom;
        break;
    }
    srcs[idx] = src;
    return 0;
oom:
    set_err(errstr, errstr_size, "%s: out of memory", where);
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* The longest config line, newline excluded. A longer one is refused rather than read in
 * pieces, which would apply its tail as a line of its own. */
enum { MAX_LINE_BYTES = 4095 };

static int apply_file(const kgw_cli_t *cli, void *cfg, const char *path, int *srcs, char *errstr,
                      size_t errstr_size)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t line_size = 0;
    ssize_t len;
    int lineno = 0;
    int rc = 0;

    if (!f) {
        set_err(errstr, errstr_size, "--config: cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    while ((len = getline(&line, &line_size, f)) >= 0) {
        char where[512];
        lineno++;
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        if (len > 0 && line[len - 1] == '\n')
            len--;
        if (len > MAX_LINE_BYTES) {
            set_err(errstr, errstr_size, "%s: line is longer than %d bytes", where, MAX_LINE_BYTES);
            rc = -1;
            break;
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            set_err(errstr, errstr_size, "%s: expected 'name = value'", where);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *name = trim(s);
        char *value = trim(eq + 1);
        size_t vlen = strlen(value);
        if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
            value[vlen - 1] = '\0';
            value++;
        }
        const kgw_option_t *o = find_opt(cli->opts, name);
        if (!o) {
            set_err(errstr, errstr_size, "%s: unknown option '%s'", where, name);
            rc = -1;
            break;
        }
        /* Value errors then read "file:line: name: ...". */
        snprintf(where, sizeof(where), "%s:%d: %s", path, lineno, o->name);
        if (set_value(o, cfg, value, SRC_FILE, srcs, (size_t)(o - cli->opts), where, errstr,
                      errstr_size)) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        set_err(errstr, errstr_size, "--config: cannot read '%s': %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

static int apply_env_var(const kgw_option_t *o, void *cfg, const char *var, int *srcs, size_t idx,
                         char *errstr, size_t errstr_size)
{
    const char *value = getenv(var);
    if (!value || !*value)
        return 0;
    if (o->type == KGW_OPT_LIST) {
        /* Newline-separated, because -X and -H values may hold commas. */
        char *copy = strdup(value);
        char *save = NULL;
        int rc = 0;
        if (!copy)
            return -1;
        for (char *tok = strtok_r(copy, "\n", &save); tok && !rc; tok = strtok_r(NULL, "\n", &save))
            rc = set_value(o, cfg, tok, SRC_ENV, srcs, idx, var, errstr, errstr_size);
        free(copy);
        return rc;
    }
    return set_value(o, cfg, value, SRC_ENV, srcs, idx, var, errstr, errstr_size);
}

static int apply_env(const kgw_cli_t *cli, void *cfg, int *srcs, char *errstr, size_t errstr_size)
{
    size_t idx = 0;
    for (const kgw_option_t *o = cli->opts; o->name; o++, idx++) {
        char var[128];
        /* The alias first, so KGW_<NAME> (applied after it) wins. */
        if (o->env_alias && apply_env_var(o, cfg, o->env_alias, srcs, idx, errstr, errstr_size))
            return -1;
        env_name(o, var, sizeof(var));
        if (apply_env_var(o, cfg, var, srcs, idx, errstr, errstr_size))
            return -1;
    }
    return 0;
}

static int apply_defaults(const kgw_cli_t *cli, void *cfg, int *srcs, char *errstr,
                          size_t errstr_size)
{
    size_t idx = 0;
    for (const kgw_option_t *o = cli->opts; o->name; o++, idx++) {
        char where[128];
        if (!o->def)
            continue;
        snprintf(where, sizeof(where), "default of --%s", o->name);
        if (set_value(o, cfg, o->def, SRC_DEFAULT, srcs, idx, where, errstr, errstr_size))
            return -1;
    }
    return 0;
}

/* Finds --config/-config FILE (or =FILE) in argv before the real parse. */
static const char *find_config_arg(int argc, char **argv)
{
    const char *path = getenv("KGW_CONFIG");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (a[0] != '-')
            continue;
        a += (a[1] == '-') ? 2 : 1;
        if (strcmp(a, "config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strncmp(a, "config=", 7) == 0)
            path = a + 7;
    }
    return (path && *path) ? path : NULL;
}

enum { OPT_HELP = 'h', OPT_VERSION = 'V', OPT_CONFIG = 1, OPT_BASE = 1000 };

int kgw_config_parse(const kgw_cli_t *cli, void *cfg, int argc, char **argv, char *errstr,
                     size_t errstr_size)
{
    size_t n = count_opts(cli->opts);
    struct option *longopts = calloc(2 * n + 4, sizeof(*longopts));
    int *srcs = calloc(n + 1, sizeof(*srcs));
    char shortopts[128] = ":hV";
    size_t sp = strlen(shortopts);
    size_t lp = 0;
    int rc = KGW_CONFIG_OK;
    const char *config_path;

    if (!longopts || !srcs) {
        set_err(errstr, errstr_size, "out of memory");
        rc = KGW_CONFIG_ERROR;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const kgw_option_t *o = &cli->opts[i];
        int has_arg = o->type == KGW_OPT_BOOL ? optional_argument : required_argument;
        longopts[lp++] = (struct option){o->name, has_arg, NULL, OPT_BASE + (int)i};
        if (o->alias)
            longopts[lp++] = (struct option){o->alias, has_arg, NULL, OPT_BASE + (int)i};
        if (o->short_name && sp + 3 < sizeof(shortopts)) {
            shortopts[sp++] = (char)o->short_name;
            if (o->type != KGW_OPT_BOOL)
                shortopts[sp++] = ':';
        }
    }
    shortopts[sp] = '\0';
    longopts[lp++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    longopts[lp++] = (struct option){"version", no_argument, NULL, OPT_VERSION};
    longopts[lp++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};

    if (apply_defaults(cli, cfg, srcs, errstr, errstr_size)) {
        rc = KGW_CONFIG_ERROR;
        goto out;
    }
    config_path = find_config_arg(argc, argv);
    if (config_path && apply_file(cli, cfg, config_path, srcs, errstr, errstr_size)) {
        rc = KGW_CONFIG_ERROR;
        goto out;
    }
    if (apply_env(cli, cfg, srcs, errstr, errstr_size)) {
        rc = KGW_CONFIG_ERROR;
        goto out;
    }

    optind = 0; /* glibc: full re-initialisation, so tests may parse twice */
    opterr = 0;
    for (;;) {
        int longidx = -1;
        int c = getopt_long_only(argc, argv, shortopts, longopts, &longidx);
        if (c == -1)
            break;
        if (c == OPT_HELP) {
            rc = KGW_CONFIG_HELP;
            goto out;
        }
        if (c == OPT_VERSION) {
            rc = KGW_CONFIG_VERSION;
            goto out;
        }
        if (c == OPT_CONFIG)
            continue; /* applied before the environment */
        if (c == '?' || c == ':') {
            const char *arg = argv[optind - 1];
            if (c == ':')
                set_err(errstr, errstr_size, "%s: missing value", arg);
            else if (optopt && optopt < 256)
                set_err(errstr, errstr_size, "unknown option '-%c'", optopt);
            else
                set_err(errstr, errstr_size, "unknown option '%s'", arg);
            rc = KGW_CONFIG_ERROR;
            goto out;
        }
        const kgw_option_t *o = NULL;
        if (c >= OPT_BASE) {
            o = &cli->opts[c - OPT_BASE];
        } else {
            for (size_t i = 0; i < n; i++)
                if (cli->opts[i].short_name == c)
                    o = &cli->opts[i];
        }
        if (!o) {
            set_err(errstr, errstr_size, "unknown option '-%c'", c);
            rc = KGW_CONFIG_ERROR;
            goto out;
        }
        char where[160];
        if (o->short_name == c)
            snprintf(where, sizeof(where), "-%c", c);
        else
            snprintf(where, sizeof(where), "--%s", o->name);
        const char *value = optarg;
        if (o->type == KGW_OPT_BOOL && !value)
            value = "true";
        if (set_value(o, cfg, value, SRC_ARGV, srcs, (size_t)(o - cli->opts), where, errstr,
                      errstr_size)) {
            rc = KGW_CONFIG_ERROR;
            goto out;
        }
    }
    if (optind < argc) {
        set_err(errstr, errstr_size, "unexpected argument '%s'", argv[optind]);
        rc = KGW_CONFIG_ERROR;
    }
out:
    free(longopts);
    free(srcs);
    return rc;
}

void kgw_config_usage(const kgw_cli_t *cli, FILE *out)
{
    fprintf(out, "usage: %s %s\n", cli->prog, cli->usage ? cli->usage : "[options]");
    if (cli->description)
        fprintf(out, "\n%s\n", cli->description);
    fprintf(out, "\noptions (each also as -name; environment KGW_<NAME>):\n");
    for (const kgw_option_t *o = cli->opts; o->name; o++) {
        char left[96];
        int n = 0;
        if (o->short_name)
            n = snprintf(left, sizeof(left), "  -%c, --%s", o->short_name, o->name);
        else
            n = snprintf(left, sizeof(left), "  --%s", o->name);
        if (o->alias && n > 0 && (size_t)n < sizeof(left))
            n += snprintf(left + n, sizeof(left) - (size_t)n, ", -%s", o->alias);
        if (o->metavar && n > 0 && (size_t)n < sizeof(left))
            snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->metavar);
        fprintf(out, "%-34s %s", left, o->help ? o->help : "");
        if (o->def && *o->def)
            fprintf(out, " (default %s)", o->def);
        if (o->env_alias)
            fprintf(out, " [env %s]", o->env_alias);
        fputc('\n', out);
    }
    fprintf(out, "%-34s %s\n", "  --config FILE", "read 'name = value' lines (env KGW_CONFIG)");
    fprintf(out, "%-34s %s\n", "  -h, --help", "show this help and exit");
    fprintf(out, "%-34s %s\n", "  -V, --version", "show the version and exit");
    if (cli->epilog)
        fprintf(out, "\n%s\n", cli->epilog);
}

void kgw_config_free(const kgw_cli_t *cli, void *cfg)
{
    for (const kgw_option_t *o = cli->opts; o->name; o++) {
        char *field = (char *)cfg + o->offset;
        if (o->type == KGW_OPT_STR) {
            free(*(char **)field);
            *(char **)field = NULL;
        } else if (o->type == KGW_OPT_LIST || o->type == KGW_OPT_CSV) {
            kgw_strlist_clear((kgw_strlist_t *)field);
        }
    }
}
