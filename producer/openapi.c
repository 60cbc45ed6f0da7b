/*
 * openapi: see openapi.h. The JSON file is included as it is with the
 * assembler's .incbin, so the document has one source: producer/openapi.json
 * (module.mk makes this object depend on it). The assembler also computes
 * its size, so C never subtracts pointers to two different symbols.
 */
#include "producer/openapi.h"

#include <stdint.h>

__asm__(".section .rodata\n"
        ".global kgw_openapi_doc\n"
        ".global kgw_openapi_size\n"
        "kgw_openapi_doc:\n"
        ".incbin \"producer/openapi.json\"\n"
        "1:\n"
        ".balign 8\n"
        "kgw_openapi_size:\n"
        ".quad 1b - kgw_openapi_doc\n"
        ".previous\n");

extern const char kgw_openapi_doc[];
extern const uint64_t kgw_openapi_size;

const char *openapi_json(size_t *len)
{
    *len = (size_t)kgw_openapi_size;
    return kgw_openapi_doc;
}
