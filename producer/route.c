/*
 * route: see route.h.
 */
#include "producer/route.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const names[ROUTE_COUNT] = {
    "/produce",           "/topics", "/topics", "/v3",
    "/openapi.json",      "/health", "/ready",  "/metrics",
    "/webhook-simulator", "other",
};

route_t route_of(const char *path)
{
    if (strcmp(path, "/produce") == 0)
        return ROUTE_PRODUCE;
    if (strncmp(path, "/topics/", 8) == 0)
        return ROUTE_TOPICS;
    if (strcmp(path, "/topics") == 0)
        return ROUTE_TOPIC_LIST;
    if (strncmp(path, "/v3/", 4) == 0)
        return ROUTE_V3;
    if (strcmp(path, "/openapi.json") == 0)
        return ROUTE_OPENAPI;
    if (strcmp(path, "/health") == 0)
        return ROUTE_HEALTH;
    if (strcmp(path, "/ready") == 0)
        return ROUTE_READY;
    if (strcmp(path, "/metrics") == 0)
        return ROUTE_METRICS;
    if (strcmp(path, "/webhook-simulator") == 0)
        return ROUTE_SIMULATOR;
    return ROUTE_OTHER;
}

/* Copies the next segment of *p into dst; 0, or -1 if empty or too long. */
static int segment(const char **p, char *dst, size_t size)
{
    size_t n = strcspn(*p, "/");
    if (n == 0 || n >= size)
        return -1;
    memcpy(dst, *p, n);
    dst[n] = '\0';
    *p += n;
    if (**p == '/')
        (*p)++;
    return 0;
}

route_shape_t route_split(const char *path, route_parts_t *parts)
{
    char seg[256];
    const char *p = path;
    memset(parts, 0, sizeof(*parts));
    parts->partition = -1;
    if (*p++ != '/' || segment(&p, seg, sizeof(seg)))
        return ROUTE_SHAPE_NONE;
    if (strcmp(seg, "v3") == 0) {
        if (segment(&p, seg, sizeof(seg)) || strcmp(seg, "clusters") != 0)
            return ROUTE_SHAPE_NONE;
        if (!*p)
            return ROUTE_SHAPE_V3_CLUSTERS;
        if (segment(&p, parts->cluster, sizeof(parts->cluster)))
            return ROUTE_SHAPE_NONE;
        if (!*p)
            return ROUTE_SHAPE_V3_CLUSTER;
        if (segment(&p, seg, sizeof(seg)) || strcmp(seg, "topics") != 0)
            return ROUTE_SHAPE_NONE;
        if (!*p)
            return ROUTE_SHAPE_V3_TOPICS;
        if (segment(&p, parts->topic, sizeof(parts->topic)))
            return ROUTE_SHAPE_NONE;
        if (!*p)
            return ROUTE_SHAPE_V3_TOPIC;
        if (segment(&p, seg, sizeof(seg)) || strcmp(seg, "records") != 0 || *p)
            return ROUTE_SHAPE_NONE;
        return ROUTE_SHAPE_V3_RECORDS;
    }
    if (strcmp(seg, "topics") != 0)
        return ROUTE_SHAPE_NONE;
    if (!*p)
        return ROUTE_SHAPE_TOPICS;
    if (segment(&p, parts->topic, sizeof(parts->topic)))
        return ROUTE_SHAPE_NONE;
    if (!*p)
        return ROUTE_SHAPE_TOPIC;
    if (segment(&p, seg, sizeof(seg)) || strcmp(seg, "partitions") != 0)
        return ROUTE_SHAPE_NONE;
    if (!*p)
        return ROUTE_SHAPE_PARTITIONS;
    if (segment(&p, seg, sizeof(seg)) || *p)
        return ROUTE_SHAPE_NONE;
    char *end;
    errno = 0;
    long v = strtol(seg, &end, 10);
    if (errno || *end || v < 0 || v > INT32_MAX || seg[0] == '-' || seg[0] == '+')
        return ROUTE_SHAPE_NONE;
    parts->partition = v;
    return ROUTE_SHAPE_PARTITION;
}

const char *route_name(route_t route)
{
    return (unsigned)route < ROUTE_COUNT ? names[route] : names[ROUTE_OTHER];
}

int route_json_type(const char *ct)
{
    if (!ct)
        return 1;
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; \t");
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
        return 1;
    return n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
           strncasecmp(ct + n - 5, "+json", 5) == 0;
}
