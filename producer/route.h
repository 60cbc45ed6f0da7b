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
/* The shape of a metadata or v3 path (see route_split). */
typedef enum {
    ROUTE_SHAPE_NONE = 0,
    ROUTE_SHAPE_TOPICS,      /* /topics */
    ROUTE_SHAPE_TOPIC,       /* /topics/{t} */
    ROUTE_SHAPE_PARTITIONS,  /* /topics/{t}/partitions */
    ROUTE_SHAPE_PARTITION,   /* /topics/{t}/partitions/{p} */
    ROUTE_SHAPE_V3_CLUSTERS, /* /v3/clusters */
    ROUTE_SHAPE_V3_CLUSTER,  /* /v3/clusters/{c} */
    ROUTE_SHAPE_V3_TOPICS,   /* /v3/clusters/{c}/topics */
    ROUTE_SHAPE_V3_TOPIC,    /* /v3/clusters/{c}/topics/{t} */
    ROUTE_SHAPE_V3_RECORDS,  /* /v3/clusters/{c}/topics/{t}/records */
} route_shape_t;

typedef struct route_parts {
    char cluster[128]; /* NUL-terminated; "" when the shape has none */
    char topic[256];
    long partition; /* -1 when the shape has none */
} route_parts_t;

/*
 * The shape of `path` (query already stripped) and its parts. A segment too
 * long for its field, an empty segment or a partition that is not a
 * non-negative number gives ROUTE_SHAPE_NONE.
 */
route_shape_t route_split(const char *path, route_parts_t *parts);

/* The route's name in metrics and logs ("/produce", ..., "other"); static. */
const char *route_name(route_t route);
/* application/json or any application/...+json media type; true for NULL
 * (no Content-Type at all is taken as JSON). */
int route_json_type(const char *content_type);

#endif
