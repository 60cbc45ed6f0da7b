/*
 * kgw_fmt: see kgw_fmt.h.
 */
#include "common/kgw_fmt.h"

size_t kgw_fmt_i64(char *out, int64_t v)
{
    char tmp[KGW_FMT_I64_MAX];
    /* Negated as unsigned: INT64_MIN has no positive int64_t. */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0, len = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[len++] = '-';
    while (n)
        out[len++] = tmp[--n];
    return len;
}
