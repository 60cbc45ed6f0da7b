/*
 * route: see route.h.
 */
#include "producer/route.h"

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
