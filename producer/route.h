/*
 * route: which endpoint a request target names, and whether a Content-Type
 * is JSON. Pure: no sockets; any thread may call it.
 */
#ifndef PRODUCER_ROUTE_H
#define PRODUCER_ROUTE_H

typedef enum {
    ROUTE_PRODUCE,
    ROUTE_TOPICS,     /* /topics/{topic}... (REST Proxy v2) */
    ROUTE_TOPIC_LIST, /* /topics */
    ROUTE_V3,         /* /v3/... (REST Proxy v3) */
    ROUTE_OPENAPI,    /* /openapi.json */
    ROUTE_HEALTH,
    ROUTE_READY,
    ROUTE_METRICS,
    ROUTE_SIMULATOR,
    ROUTE_OTHER,
    ROUTE_COUNT,
} route_t;

/* The route of an origin-form path ("/produce", "/topics/t", ...). */
route_t route_of(const char *path);
/* The route's name in metrics and logs ("/produce", ..., "other"); static. */
const char *route_name(route_t route);
/* application/json or any application/...+json media type; true for NULL
 * (no Content-Type at all is taken as JSON). */
int route_json_type(const char *content_type);

#endif
