/*
 * api: the metadata routes (REST Proxy v2 GET /topics, /topics/{t},
 * /topics/{t}/partitions[/{p}]; v3 GET /v3/clusters[/{id}],
 * /v3/clusters/{id}/topics[/{t}]) and the dispatch of v3 produce (v3.h).
 * Metadata comes from meta.h's cache; a request that finds it stale waits
 * suspended until the fetch thread resumes it.
 *
 * Threads: the event-loop thread of the request; meta's fetch thread only
 * resumes the connection.
 */
#ifndef PRODUCER_API_H
#define PRODUCER_API_H

#include "producer/request.h"

/*
 * The headers of a request on ROUTE_TOPIC_LIST, ROUTE_V3, or a GET on
 * ROUTE_TOPICS. Returns 1 when the request was answered (*ret holds MHD's
 * verdict), 0 when it goes on (req->api set: api_handle runs when the body
 * is in), -1 when it is not api's (a v2 produce POST).
 */
int api_on_headers(request_t *req, const char *method, enum MHD_Result *ret);

/* The whole request is in (req->api set). */
enum MHD_Result api_handle(request_t *req);

/* A suspended request was resumed (req->api set). */
enum MHD_Result api_resume(request_t *req);

#endif
