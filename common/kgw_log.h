/*
 * kgw_log: one thread-safe logger for every kgw program.
 *
 * One event per line on stderr (or the fd set with kgw_log_set_fd()), formatted
 * whole into a buffer and written with one write(2) so threads never interleave.
 * Text lines look like
 *     2026-11-21T10:00:00.123Z INFO kgw-producer: listening port=6969
 * and JSON lines (--log-format json) like
 *     {"ts":"...","level":"info","prog":"kgw-producer","msg":"listening","port":"6969"}
 * where every `key=value` token of the message becomes a field.
 *
 * Configuration calls (set_*) are meant for startup, before threads start.
 * kgw_log() itself is safe from any thread.
 */
#ifndef KGW_LOG_H
#define KGW_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    KGW_LOG_DEBUG = 0,
    KGW_LOG_INFO,
    KGW_LOG_WARN,
    KGW_LOG_ERROR,
    KGW_LOG_OFF,
} kgw_log_level_t;

typedef enum {
    KGW_LOG_TEXT = 0,
    KGW_LOG_JSON,
} kgw_log_format_t;

/* Program name shown on each line (borrowed; must outlive logging). */
void kgw_log_set_program(const char *prog);
void kgw_log_set_level(kgw_log_level_t level);
kgw_log_level_t kgw_log_get_level(void);
void kgw_log_set_format(kgw_log_format_t format);
/* Where lines go; default 2 (stderr). */
void kgw_log_set_fd(int fd);

/* Parse "debug|info|warn|error|off" / "text|json". Return 0, or -1 if unknown. */
int kgw_log_level_parse(const char *s, kgw_log_level_t *out);
int kgw_log_format_parse(const char *s, kgw_log_format_t *out);
const char *kgw_log_level_name(kgw_log_level_t level);

/* True when a line of this level would be written (skip costly formatting). */
int kgw_log_enabled(kgw_log_level_t level);

void kgw_log(kgw_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kgw_vlog(kgw_log_level_t level, const char *fmt, va_list ap);

/*
 * Pure formatter behind kgw_log(), exposed for tests: formats one line
 * (ending in '\n') for message `msg` into buf. `ts_ms` is milliseconds since
 * the epoch. Returns the line length (truncated to size-1 if needed).
 */
size_t kgw_log_format_line(char *buf, size_t size, kgw_log_format_t format, kgw_log_level_t level,
                           const char *prog, int64_t ts_ms, const char *msg);

#define KGW_DEBUG(...) kgw_log(KGW_LOG_DEBUG, __VA_ARGS__)
#define KGW_INFO(...)  kgw_log(KGW_LOG_INFO, __VA_ARGS__)
#define KGW_WARN(...)  kgw_log(KGW_LOG_WARN, __VA_ARGS__)
#define KGW_ERROR(...) kgw_log(KGW_LOG_ERROR, __VA_ARGS__)

#endif
