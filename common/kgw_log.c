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

static void put_json_string(char *buf, size_t size, size_t *pos, const char *s, size_t n)
{
    put(buf, size, pos, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(buf, size, pos, esc, 2);
        } else if (c == '\n') {
            put(buf, size, pos, "\\n", 2);
        } else if (c == '\t') {
            put(buf, size, pos, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            int n2 = snprintf(esc, sizeof(esc), "\\u%04x", c);
            put(buf, size, pos, esc, (size_t)n2);
        } else {
            put(buf, size, pos, (const char *)&s[i], 1);
        }
    }
    put(buf, size, pos, "\"", 1);
}

static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/*
 * Splits msg into free text and key=value tokens. A token is key=value when
 * its key is [A-Za-z0-9_.-]+; a value starting with '"' runs to the next '"'.
 * Fields are emitted after "msg", which holds the free text only.
 */
static void put_json_fields(char *buf, size_t size, size_t *pos, const char *msg)
{
    char text[LINE_MAX_BYTES];
    size_t tlen = 0;
    const char *p = msg;
    char fields[LINE_MAX_BYTES];
    size_t flen = 0;

    fields[0] = '\0';
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *tok = p;
        const char *k = p;
        while (is_key_char(*k))
            k++;
        if (k > tok && *k == '=') {
            const char *v = k + 1;
            const char *vend;
            const char *next;
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
            put(fields, sizeof(fields), &flen, ",", 1);
            put_json_string(fields, sizeof(fields), &flen, tok, (size_t)(k - tok));
            put(fields, sizeof(fields), &flen, ":", 1);
            put_json_string(fields, sizeof(fields), &flen, v, (size_t)(vend - v));
            p = next;
        } else {
            const char *end = strchr(p, ' ');
            if (!end)
                end = p + strlen(p);
            if (tlen)
                put(text, sizeof(text), &tlen, " ", 1);
            put(text, sizeof(text), &tlen, tok, (size_t)(end - tok));
            p = end;
        }
    }
    if (!tlen)
        text[0] = '\0';
    put(buf, size, pos, ",\"msg\":", 7);
    put_json_string(buf, size, pos, text, tlen);
    put(buf, size, pos, fields, flen);
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
        put(buf, size, &pos, "{\"ts\":\"", 7);
        put(buf, size, &pos, ts, strlen(ts));
        put(buf, size, &pos, "\",\"level\":\"", 11);
        put(buf, size, &pos, level_names[level], strlen(level_names[level]));
        put(buf, size, &pos, "\",\"prog\":", 9);
        put_json_string(buf, size, &pos, prog, strlen(prog));
        put_json_fields(buf, size, &pos, msg);
        /* Keep room for the closing brace and newline even when truncated. */
        if (pos + 3 > size)
            pos = size >= 3 ? size - 3 : 0;
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
