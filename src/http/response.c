/*
 * response.c - whole HTTP/1.1 responses into an mbuf (declared in
 * request.h, beside the parser whose errors they answer).
 *
 * Responses are small (error texts, the 101 of a WebSocket upgrade, static
 * files of at most a few MiB), so each is built complete in memory and
 * written by the connection code in one go.
 */
#include "http/request.h"

#include <string.h>

/* RFC 9110 8.6 and 15.4.5: no Content-Length, no body for these. */
static bool status_has_body(uint16_t status)
{
	return status >= 200 && status != 204 && status != 304;
}

void http_response_print(struct mbuf *out, uint16_t status, const char *reason,
			 const char *extra_headers, struct slice body, bool head_only)
{
	mbuf_printf(out, "HTTP/1.1 %u %s\r\nServer: rtcbridge/%s\r\n", status, reason,
		    RTCBRIDGE_VERSION);
	if (status_has_body(status))
		mbuf_printf(out, "Content-Length: %zu\r\n", body.len);
	if (extra_headers)
		mbuf_append_str(out, extra_headers);
	mbuf_append_str(out, "\r\n");
	if (status_has_body(status) && !head_only)
		mbuf_append_slice(out, body);
}

void http_error_print(struct mbuf *out, const struct http_error *err, const char *extra_headers)
{
	mbuf_printf(out, "HTTP/1.1 %u %s\r\nServer: rtcbridge/%s\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n%s\r\n%s\n",
		    err->status, err->reason, RTCBRIDGE_VERSION, strlen(err->reason) + 1,
		    extra_headers ? extra_headers : "", err->reason);
}
