/*
 * kgw_log: see kgw_log.h. Global settings are plain statics written at startup;
 * the level is atomic because a signal or admin path may change it later. Each
 * line is formatted on the caller's stack and written with one write(2), which
 * POSIX keeps whole for pipes up to PIPE_BUF and in practice for files.
 */
#include "common/kgw_log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/kgw_json.h"

#define LINE_MAX_BYTES 4096

static const char *g_prog = "kgw";
static _Atomic int g_level = KGW_LOG_INFO;
static kgw_log_format_t g_format = KGW_LOG_TEXT;
static int g_fd = 2;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};
static const char *const level_upper[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};

void kgw_log_set_program(const char *prog)
{
    g_prog = prog ? prog : "kgw";
}

void kgw_log_set_level(kgw_log_level_t level)
{
    atomic_store(&g_level, (int)level);
}

kgw_log_level_t kgw_log_get_level(void)
{
    return (kgw_log_level_t)atomic_load(&g_level);
}

void kgw_log_set_format(kgw_log_format_t format)
{
    g_format = format;
}

void kgw_log_set_fd(int fd)
{
    g_fd = fd;
}

int kgw_log_level_parse(const char *s, kgw_log_level_t *out)
{
    for (int i = 0; i <= KGW_LOG_OFF; i++) {
        if (s && strcasecmp(s, level_names[i]) == 0) {
            *out = (kgw_log_level_t)i;
            return 0;
        }
    }
    if (s && strcasecmp(s, "warning") == 0) {
        *out = KGW_LOG_WARN;
        return 0;
    }
    return -1;
}

int kgw_log_format_parse(const char *s, kgw_log_format_t *out)
{
    if (s && strcmp(s, "text") == 0) {
        *out = KGW_LOG_TEXT;
        return 0;
    }
    if (s && strcmp(s, "json") == 0) {
        *out = KGW_LOG_JSON;
        return 0;
    }
    return -1;
}

const char *kgw_log_level_name(kgw_log_level_t level)
{
    return level <= KGW_LOG_OFF ? level_names[level] : "?";
}

int kgw_log_enabled(kgw_log_level_t level)
{
    return (int)level >= atomic_load(&g_level) && level < KGW_LOG_OFF;
}

/* Appends to buf at *pos, never past size-1; keeps *pos <= size-1. */
static void put(char *buf, size_t size, size_t *pos, const char *s, size_t n)
{
    if (*pos + 1 >= size)
        return;
    size_t room = size - 1 - *pos;
    if (n > room)
        n = room;
    memcpy(buf + *pos, s, n);
    *pos += n;
    buf[*pos] = '\0';
}

static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* One space-separated token of a message; key/value are set for key=value. */
typedef struct token {
    const char *start, *end; /* the whole token */
    const char *key, *value;
    size_t key_len, value_len;
} token_t;

/*
 * Reads the token at p (after blanks); returns where the next one starts,
 * or NULL at the end. A token is key=value when its key is [A-Za-z0-9_.-]+;
 * a value starting with '"' runs to the next '"'.
 */
static const char *next_token(const char *p, token_t *t)
{
    while (*p == ' ')
        p++;
    if (!*p)
        return NULL;
    const char *k = p;
    while (is_key_char(*k))
        k++;
    t->start = p;
    t->key = NULL;
    if (k > p && *k == '=') {
        const char *v = k + 1, *vend, *next;
        if (*v == '"') {
            v++;
            vend = strchr(v, '"');
            if (!vend)
                vend = v + strlen(v);
            next = *vend ? vend + 1 : vend;
        } else {
            vend = strchr(v, ' ');
            if (!vend)
                vend = v + strlen(v);
            next = vend;
        }
        t->key = p;
        t->key_len = (size_t)(k - p);
        t->value = v;
        t->value_len = (size_t)(vend - v);
        t->end = next;
        return next;
    }
    const char *end = strchr(p, ' ');
    t->end = end ? end : p + strlen(p);
    return t->end;
}

#define MAX_FIELDS 64

/* Appends a fixed piece only if all of it fits before `limit`. */
static int put_whole(char *buf, size_t limit, size_t *pos, const char *s, size_t n)
{
    if (*pos + n > limit)
        return -1;
    memcpy(buf + *pos, s, n);
    *pos += n;
    return 0;
}

/* `,"key":"value"`: the key whole or nothing, the value cut to the room. */
static int put_field(char *buf, size_t limit, size_t *pos, const char *key, size_t klen,
                     const char *value, size_t vlen)
{
    size_t start = *pos, used;
    if (put_whole(buf, limit, pos, ",", 1))
        return -1;
    size_t n = kgw_json_put_str(buf + *pos, limit - *pos, key, klen, &used);
    if (n == 0 || used < klen || *pos + n + 3 > limit) { /* ':' and at least "" */
        *pos = start;
        return -1;
    }
    *pos += n;
    buf[(*pos)++] = ':';
    *pos += kgw_json_put_str(buf + *pos, limit - *pos, value, vlen, NULL);
    return 0;
}

static int reserved_key(const token_t *t)
{
    static const char *const names[] = {"ts", "level", "prog", "msg"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (t->key_len == strlen(names[i]) && memcmp(t->key, names[i], t->key_len) == 0)
            return 1;
    return 0;
}

/*
 * The JSON line, written within buf[0..limit) (the caller keeps room for the
 * closing "}\n"). Every key=value token becomes a field after "msg", which
 * holds the rest of the text. So that no key repeats, a token whose key is
 * one of ours or came before (and any past the 64th field) stays in "msg".
 * Strings are cut on an escape or code point boundary and always closed, so
 * a truncated line is still one JSON object.
 */
static void put_json(char *buf, size_t limit, size_t *pos, const char *ts, const char *level,
                     const char *prog, const char *msg)
{
    token_t fields[MAX_FIELDS], t;
    size_t nfields = 0;
    char text[LINE_MAX_BYTES];
    size_t tlen = 0;

    for (const char *p = msg; (p = next_token(p, &t)) != NULL;) {
        int field = t.key && nfields < MAX_FIELDS && !reserved_key(&t);
        for (size_t i = 0; field && i < nfields; i++)
            if (fields[i].key_len == t.key_len && memcmp(fields[i].key, t.key, t.key_len) == 0)
                field = 0;
        if (field) {
            fields[nfields++] = t;
            continue;
        }
        size_t n = (size_t)(t.end - t.start), room = sizeof(text) - 1 - tlen;
        if (tlen && room) {
            text[tlen++] = ' ';
            room--;
        }
        if (n > room)
            n = room;
        memcpy(text + tlen, t.start, n);
        tlen += n;
    }
    if (put_whole(buf, limit, pos, "{\"ts\":\"", 7) || put_whole(buf, limit, pos, ts, strlen(ts)) ||
        put_whole(buf, limit, pos, "\",\"level\":\"", 11) ||
        put_whole(buf, limit, pos, level, strlen(level)) || put_whole(buf, limit, pos, "\"", 1))
        goto cut;
    if (put_field(buf, limit, pos, "prog", 4, prog, strlen(prog)) ||
        put_field(buf, limit, pos, "msg", 3, text, tlen))
        goto cut;
    for (size_t i = 0; i < nfields; i++)
        if (put_field(buf, limit, pos, fields[i].key, fields[i].key_len, fields[i].value,
                      fields[i].value_len))
            break;
    return;
cut:
    /* Not even the fixed part fits: an empty object is still one JSON line. */
    *pos = 0;
    put_whole(buf, limit, pos, "{", 1);
}

size_t kgw_log_format_line(char *buf, size_t size, kgw_log_format_t format, kgw_log_level_t level,
                           const char *prog, int64_t ts_ms, const char *msg)
{
    char ts[40];
    time_t secs = (time_t)(ts_ms / 1000);
    struct tm tm;
    size_t pos = 0;

    if (size == 0)
        return 0;
    buf[0] = '\0';
    gmtime_r(&secs, &tm);
    size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - n, ".%03dZ", (int)(ts_ms % 1000));
    if (level > KGW_LOG_OFF)
        level = KGW_LOG_ERROR;

    if (format == KGW_LOG_JSON) {
        if (size < 4) /* not even "{}\n" */
            return 0;
        put_json(buf, size - 3, &pos, ts, level_names[level], prog, msg);
        put(buf, size, &pos, "}\n", 2);
    } else {
        put(buf, size, &pos, ts, strlen(ts));
        put(buf, size, &pos, " ", 1);
        put(buf, size, &pos, level_upper[level], strlen(level_upper[level]));
        put(buf, size, &pos, " ", 1);
        put(buf, size, &pos, prog, strlen(prog));
        put(buf, size, &pos, ": ", 2);
        put(buf, size, &pos, msg, strlen(msg));
        if (pos + 2 > size)
            pos = size >= 2 ? size - 2 : 0;
        put(buf, size, &pos, "\n", 1);
    }
    return pos;
}

void kgw_vlog(kgw_log_level_t level, const char *fmt, va_list ap)
{
    char msg[LINE_MAX_BYTES];
    char line[LINE_MAX_BYTES + 256];
    struct timespec now;

    if (!kgw_log_enabled(level))
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t ts_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    size_t len = kgw_log_format_line(line, sizeof(line), g_format, level, g_prog, ts_ms, msg);
    const char *p = line;
    while (len > 0) {
        ssize_t w = write(g_fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        len -= (size_t)w;
    }
}

void kgw_log(kgw_log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kgw_vlog(level, fmt, ap);
    va_end(ap);
}
