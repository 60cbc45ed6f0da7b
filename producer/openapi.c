/*
 * openapi: see openapi.h. The JSON file is included as it is with the
 * assembler's .incbin, so the document has one source: producer/openapi.json
 * (module.mk makes this object depend on it).
 */
#include "producer/openapi.h"

__asm__(".section .rodata\n"
        ".global kgw_openapi_start\n"
        ".global kgw_openapi_end\n"
        "kgw_openapi_start:\n"
        ".incbin \"producer/openapi.json\"\n"
        "kgw_openapi_end:\n"
        ".previous\n");

extern const char kgw_openapi_start[];
extern const char kgw_openapi_end[];

const char *openapi_json(size_t *len)
{
    *len = (size_t)(kgw_openapi_end - kgw_openapi_start);
    return kgw_openapi_start;
}
