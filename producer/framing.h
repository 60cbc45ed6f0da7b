/*
 * framing: refuses HTTP/1.1 requests whose message length a proxy in front
 * could read differently (request smuggling, RFC 9112 section 11.2). Pure: it
 * sees the request's header fields one by one, as libmicrohttpd parsed them,
 * and includes no network library.
 *
 * libmicrohttpd 0.9.75 itself refuses a malformed first Content-Length (400),
 * a Content-Length or chunk size too large to count (413), a request line
 * without a version (HTTP/0.9, 400) and, with MHD_OPTION_STRICT_FOR_CLIENT
 * set to 1, an HTTP/1.1 request without Host. What it lets through, and this
 * module refuses:
 *   - repeated Content-Length fields with differing (or malformed) values:
 *     libmicrohttpd reads the first, a proxy may read the last;
 *   - Content-Length together with Transfer-Encoding: libmicrohttpd lets
 *     Transfer-Encoding win, a proxy may not;
 *   - any Transfer-Encoding but one field "chunked": libmicrohttpd reads
 *     any other coding's body until the connection closes;
 *   - a field name that is not a token: "Content-Length : 5" (space before
 *     the colon) has no length for libmicrohttpd, so its body would be read
 *     as the next request; an obs-fold line whose text has a space or colon
 *     ends up in the previous field's name (libmicrohttpd appends folded
 *     lines to the name);
 *   - control characters in a field value (CR, NUL and the other CTLs but
 *     HTAB, and DEL; RFC 9110 section 5.5).
 * Known gaps, both libmicrohttpd's: it ends a value at a NUL byte, and glues
 * a folded line of one token to the name, so neither reaches us as such.
 * Bare-LF line ends stay accepted (RFC 9112 section 2.2 allows it; nginx and
 * libmicrohttpd both read them alike).
 *
 * Threads: a framing_t belongs to one request on one event-loop thread.
 */
#ifndef PRODUCER_FRAMING_H
#define PRODUCER_FRAMING_H

#include <stddef.h>

typedef struct framing {
    const char *error; /* the first problem found (static text), or NULL */
    unsigned long long content_length;
    int n_content_length;
    int n_transfer_encoding;
    size_t head_bytes; /* "name: value\r\n" bytes of the fields seen */
} framing_t;

/* Caller-provided storage; starts a request's check. */
void framing_init(framing_t *f);

/*
 * One header field instance, in the order received. name and value are
 * borrowed for the call only and need not be NUL-terminated.
 */
void framing_add(framing_t *f, const char *name, size_t name_len, const char *value,
                 size_t value_len);

/*
 * After the last field: NULL when the request's framing is unambiguous, or a
 * static sentence saying why not (answer 400 and close the connection).
 */
const char *framing_verdict(const framing_t *f);

/*
 * The origin-form part of a request target: for an absolute-form target
 * ("http://host:port/path?q", RFC 9112 section 3.2.2) the "/path?q" inside
 * it ("/" when there is none), otherwise target itself. Borrows target.
 */
const char *framing_origin_form(const char *target);

#endif
