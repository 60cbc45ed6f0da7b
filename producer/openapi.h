/*
 * openapi: the OpenAPI 3.1 description of kgw-producer's routes
 * (producer/openapi.json, compiled into the binary), served at
 * GET /openapi.json. Constant data: any thread.
 */
#ifndef PRODUCER_OPENAPI_H
#define PRODUCER_OPENAPI_H

#include <stddef.h>

/* The document's bytes (static, not NUL-terminated) and their length. */
const char *openapi_json(size_t *len);

#endif
