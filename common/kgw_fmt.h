/*
 * kgw_fmt: number formatting for hot paths (response bodies, webhook
 * headers), where snprintf costs ~1,000 instructions a number. Pure.
 */
#ifndef KGW_FMT_H
#define KGW_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest output of kgw_fmt_i64: "-9223372036854775808". */
#define KGW_FMT_I64_MAX 20

/* Writes v in decimal to out (at least KGW_FMT_I64_MAX bytes; no
 * terminator); returns the length. */
size_t kgw_fmt_i64(char *out, int64_t v);

#endif
