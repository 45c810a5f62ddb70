/*
 * request.h - HTTP/1.1 request heads (RFC 9112) and whole responses.
 *
 * Pure functions: no sockets, no event loop. The connection code keeps the
 * bytes it has received and calls http_request_parse() on all of them each
 * time more arrive; the parser needs no state between calls. Every slice in
 * struct http_request points into the caller's buffer, so the buffer must
 * stay put while the request is looked at.
 *
 * Request bodies are framed only by Content-Length: a Transfer-Encoding is
 * refused with 501, which leaves no way to smuggle a second request past us.
 * The web phone and the WebSocket upgrade never send a body anyway.
 */
#ifndef RTCB_HTTP_REQUEST_H
#define RTCB_HTTP_REQUEST_H

#include "core/mbuf.h"
#include "core/slice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 64

struct http_header {
	struct slice name, value; /* value trimmed of OWS (SP, HTAB) */
};

struct http_request {
	/* target = path[?query]. path is raw: no percent-decoding, no dot
	 * segment removal (static.c does its own checks). query is SLICE_NULL
	 * without a '?', an empty set slice after a bare '?'. */
	struct slice method, target, path, query;
	int minor_version; /* HTTP/1.x: 0 or 1 */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t header_count;
	size_t head_len;     /* request line + headers + the empty line, and any
			      * empty lines before the request line */
	long content_length; /* -1 when absent */
	bool keep_alive;     /* 1.1: unless "Connection: close"; 1.0: only with
			      * "Connection: keep-alive" */
};

/* Why a request was refused: the status to answer and a reason that names
 * the fault, e.g. 400 "Bad Request: header line without colon". */
struct http_error {
	uint16_t status;
	const char *reason;
};

/*
 * Parse the head at the start of buf[0..len).
 *   >0  the head is complete: returns req->head_len (<= max_head); a body,
 *       if any, is the next req->content_length bytes.
 *   0   need more bytes (only while len < max_head).
 *   -1  refused, err filled; answer with http_error_print() and close the
 *       connection. Also when max_head bytes hold no complete head: 414 when
 *       the request line alone is that long, 431 otherwise.
 * On -1 the fields of req are unspecified.
 *
 * Refused: a method that is not a token, a target not starting with '/' or
 * holding controls, space or non-ASCII bytes (400); a version other than
 * HTTP/1.0 or HTTP/1.1 (505 when it looks like HTTP/d.d, else 400); a header
 * name with non-token characters or whitespace before the colon, a line
 * without a colon, obs-fold continuation lines, control characters in a
 * value, a bare CR (400); more than HTTP_MAX_HEADERS headers (431); a
 * Content-Length that is not plain digits or conflicts with another (400);
 * HTTP/1.1 without exactly one Host header (400); any Transfer-Encoding
 * (501). Empty lines before the request line are skipped and lone LF line
 * endings are accepted, as nginx does.
 */
int http_request_parse(const char *buf, size_t len, size_t max_head, struct http_request *req,
		       struct http_error *err);

/* Value of the first header called name (case-insensitive); SLICE_NULL when
 * absent, so slice_is_set() tells "absent" from "present but empty". */
struct slice http_request_header(const struct http_request *req, const char *name);

/* Does a comma list such as "keep-alive, Upgrade" hold token (ASCII case
 * folded)? Elements are trimmed of OWS; empty elements are skipped. */
bool http_token_list_has(struct slice value, const char *token);

/* http_token_list_has() over every header called name, since a list may be
 * split over several header lines. */
bool http_request_has_token(const struct http_request *req, const char *name, const char *token);

/*
 * Append a whole response: status line, "Server: rtcbridge/<version>",
 * Content-Length, extra_headers (complete lines each ending CRLF, or NULL),
 * the empty line, then body. head_only (a HEAD request) keeps the
 * Content-Length of body but leaves its bytes out. 1xx, 204 and 304
 * responses get neither Content-Length nor body (RFC 9110 8.6, 15.4.5).
 * Failure to allocate is left in out (mbuf_failed).
 */
void http_response_print(struct mbuf *out, uint16_t status, const char *reason,
			 const char *extra_headers, struct slice body, bool head_only);

/* An error response for err: its reason as status text and as a text/plain
 * body, "Connection: close", plus extra_headers (or NULL). */
void http_error_print(struct mbuf *out, const struct http_error *err, const char *extra_headers);

#endif
