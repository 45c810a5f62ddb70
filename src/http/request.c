/*
 * request.c - HTTP/1.1 request head parser (RFC 9112 2-3, 5, 6.3).
 *
 * The parser is stateless: each call looks at all the bytes received so far.
 * It first finds the empty line that ends the head within the first max_head
 * bytes (so rescanning costs at most max_head per call), then walks the head
 * line by line: the request line, then one "name: value" header per line.
 * Nothing is copied or rewritten; every result is a slice into the input.
 *
 * Strict where a lax reading could let two parsers disagree about where a
 * request ends or what it says (request smuggling): whitespace before a
 * colon, obs-fold, bare CR, conflicting Content-Length and any
 * Transfer-Encoding are refused. Tolerant where nothing is ambiguous: empty
 * lines before the request line, lone LF line endings.
 *
 * The first fault found is the one reported, with a reason that names it.
 */
#include "http/request.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* tchar (RFC 9110 5.6.2) */
static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static struct slice trim_ows(struct slice s)
{
	while (s.len && is_ows(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_ows(s.p[s.len - 1]))
		s.len--;
	return s;
}

static int refuse(struct http_error *err, uint16_t status, const char *reason)
{
	err->status = status;
	err->reason = reason;
	return -1;
}

/* ------------------------------------------------------------ framing */

/* Offset just past the empty line that ends the head, looking only at
 * buf[start..limit); 0 when it is not there. */
static size_t find_head_end(const char *buf, size_t start, size_t limit)
{
	const char *p = buf + start, *end = buf + limit;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return 0;
		if (nl + 1 < end && nl[1] == '\n')
			return (size_t)(nl + 2 - buf);
		if (nl + 2 < end && nl[1] == '\r' && nl[2] == '\n')
			return (size_t)(nl + 3 - buf);
		p = nl + 1;
	}
	return 0;
}

/* RFC 9112 2.2: ignore empty lines before the request line. */
static size_t skip_empty_lines(const char *buf, size_t len)
{
	size_t i = 0;
	for (;;) {
		if (i < len && buf[i] == '\n')
			i++;
		else if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
			i += 2;
		else
			return i;
	}
}

/* Next line of the head at *p: its text without the line ending. A CR
 * anywhere but right before the LF is refused (returns false). The head end
 * was found already, so every line does end. */
static bool next_line(const char **p, const char *end, struct slice *line)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *stop = (nl > *p && nl[-1] == '\r') ? nl - 1 : nl;
	*line = slice_make(*p, (size_t)(stop - *p));
	*p = nl + 1;
	return slice_index(*line, '\r') < 0;
}

/* ------------------------------------------------------------ request line */

/* Length of the method token at p (up to a space or a line end), or -1 at
 * a character that cannot be in it. Needs no complete line, so bytes that
 * are not HTTP at all (a TLS hello on the plain port) are refused at once. */
static long method_length(const char *p, size_t len)
{
	size_t i = 0;
	while (i < len && p[i] != ' ' && p[i] != '\r' && p[i] != '\n') {
		if (!is_tchar(p[i]))
			return -1;
		i++;
	}
	return (long)i;
}

/* request-line = method SP request-target SP HTTP-version */
static int parse_request_line(struct slice line, struct http_request *req, struct http_error *err)
{
	if (method_length(line.p, line.len) < 0)
		return refuse(err, 400, "Bad Request: invalid character in method");
	long sp1 = slice_index(line, ' ');
	if (sp1 <= 0)
		return refuse(err, 400, "Bad Request: malformed request line");
	struct slice rest = slice_make(line.p + sp1 + 1, line.len - (size_t)sp1 - 1);
	long sp2 = slice_index(rest, ' ');
	if (sp2 <= 0)
		return refuse(err, 400, "Bad Request: malformed request line");
	req->method = slice_make(line.p, (size_t)sp1);
	req->target = slice_make(rest.p, (size_t)sp2);
	struct slice version = slice_make(rest.p + sp2 + 1, rest.len - (size_t)sp2 - 1);

	if (req->target.p[0] != '/')
		return refuse(err, 400, "Bad Request: request target must start with /");
	for (size_t i = 0; i < req->target.len; i++) {
		unsigned char c = (unsigned char)req->target.p[i];
		if (c <= 0x20 || c >= 0x7f)
			return refuse(err, 400, "Bad Request: invalid character in request target");
	}
	long q = slice_index(req->target, '?');
	if (q < 0) {
		req->path = req->target;
		req->query = SLICE_NULL;
	} else {
		req->path = slice_make(req->target.p, (size_t)q);
		req->query = slice_make(req->target.p + q + 1, req->target.len - (size_t)q - 1);
	}

	/* HTTP-version = "HTTP/" DIGIT "." DIGIT */
	if (version.len == 8 && memcmp(version.p, "HTTP/", 5) == 0 && version.p[6] == '.' &&
	    version.p[5] >= '0' && version.p[5] <= '9' && version.p[7] >= '0' && version.p[7] <= '9') {
		if (version.p[5] != '1' || version.p[7] > '1')
			return refuse(err, 505, "HTTP Version Not Supported");
		req->minor_version = version.p[7] - '0';
		return 0;
	}
	return refuse(err, 400, "Bad Request: malformed HTTP version");
}

/* ------------------------------------------------------------ headers */

/* field-line = field-name ":" OWS field-value OWS */
static int parse_header_line(struct slice line, struct http_request *req, struct http_error *err)
{
	if (is_ows(line.p[0]))
		return refuse(err, 400, "Bad Request: obsolete line folding");
	long colon = slice_index(line, ':');
	if (colon < 0)
		return refuse(err, 400, "Bad Request: header line without colon");
	if (colon == 0)
		return refuse(err, 400, "Bad Request: empty header name");
	struct slice name = slice_make(line.p, (size_t)colon);
	if (is_ows(name.p[name.len - 1]))
		return refuse(err, 400, "Bad Request: whitespace before colon");
	for (size_t i = 0; i < name.len; i++)
		if (!is_tchar(name.p[i]))
			return refuse(err, 400, "Bad Request: invalid character in header name");
	struct slice value = trim_ows(slice_make(line.p + colon + 1, line.len - (size_t)colon - 1));
	for (size_t i = 0; i < value.len; i++) {
		unsigned char c = (unsigned char)value.p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return refuse(err, 400, "Bad Request: control character in header value");
	}
	if (req->header_count == HTTP_MAX_HEADERS)
		return refuse(err, 431, "Request Header Fields Too Large: too many header fields");
	req->headers[req->header_count++] = (struct http_header){ name, value };
	return 0;
}

/* Content-Length = 1*DIGIT; repeats must agree (RFC 9112 6.3 point 5). */
static int check_content_length(struct http_request *req, struct http_error *err)
{
	for (size_t i = 0; i < req->header_count; i++) {
		if (!slice_eq_cstr_case(req->headers[i].name, "Content-Length"))
			continue;
		uint64_t v;
		int rc = slice_to_u64(req->headers[i].value, &v);
		if (rc == EINVAL)
			return refuse(err, 400, "Bad Request: invalid Content-Length");
		if (rc || v > LONG_MAX)
			return refuse(err, 400, "Bad Request: Content-Length out of range");
		if (req->content_length >= 0 && (uint64_t)req->content_length != v)
			return refuse(err, 400, "Bad Request: conflicting Content-Length headers");
		req->content_length = (long)v;
	}
	return 0;
}

static int check_headers(struct http_request *req, struct http_error *err)
{
	size_t hosts = 0;
	for (size_t i = 0; i < req->header_count; i++) {
		struct slice name = req->headers[i].name;
		if (slice_eq_cstr_case(name, "Host"))
			hosts++;
		else if (slice_eq_cstr_case(name, "Transfer-Encoding"))
			return refuse(err, 501,
				      "Not Implemented: Transfer-Encoding (chunked request bodies) not supported");
	}
	/* RFC 9112 3.2: a 1.1 request has exactly one Host. */
	if (hosts > 1)
		return refuse(err, 400, "Bad Request: multiple Host headers");
	if (hosts == 0 && req->minor_version == 1)
		return refuse(err, 400, "Bad Request: missing Host header");
	if (check_content_length(req, err))
		return -1;

	if (req->minor_version == 1)
		req->keep_alive = !http_request_has_token(req, "Connection", "close");
	else
		req->keep_alive = http_request_has_token(req, "Connection", "keep-alive") &&
				  !http_request_has_token(req, "Connection", "close");
	return 0;
}

/* ------------------------------------------------------------ parse */

int http_request_parse(const char *buf, size_t len, size_t max_head, struct http_request *req,
		       struct http_error *err)
{
	if (max_head > INT_MAX)
		max_head = INT_MAX; /* the head length is returned as int */
	size_t limit = len < max_head ? len : max_head;
	size_t start = skip_empty_lines(buf, limit);
	size_t head_end = find_head_end(buf, start, limit);
	if (head_end == 0) {
		if (method_length(buf + start, limit - start) < 0)
			return refuse(err, 400, "Bad Request: invalid character in method");
		if (len < max_head)
			return 0;
		if (!memchr(buf + start, '\n', limit - start))
			return refuse(err, 414, "URI Too Long: request line too long");
		return refuse(err, 431, "Request Header Fields Too Large");
	}

	req->header_count = 0;
	req->content_length = -1;
	req->keep_alive = false;
	req->head_len = head_end;

	const char *p = buf + start, *end = buf + head_end;
	struct slice line;
	if (!next_line(&p, end, &line))
		return refuse(err, 400, "Bad Request: bare CR in request line");
	if (parse_request_line(line, req, err))
		return -1;
	for (;;) {
		if (!next_line(&p, end, &line))
			return refuse(err, 400, "Bad Request: bare CR in header line");
		if (line.len == 0)
			break;
		if (parse_header_line(line, req, err))
			return -1;
	}
	if (check_headers(req, err))
		return -1;
	return (int)head_end;
}

/* ------------------------------------------------------------ lookups */

struct slice http_request_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->header_count; i++)
		if (slice_eq_cstr_case(req->headers[i].name, name))
			return req->headers[i].value;
	return SLICE_NULL;
}

bool http_token_list_has(struct slice value, const char *token)
{
	while (value.len) {
		long comma = slice_index(value, ',');
		size_t n = comma < 0 ? value.len : (size_t)comma;
		struct slice element = trim_ows(slice_make(value.p, n));
		if (element.len && slice_eq_cstr_case(element, token))
			return true;
		value = comma < 0 ? SLICE_NULL : slice_make(value.p + n + 1, value.len - n - 1);
	}
	return false;
}

bool http_request_has_token(const struct http_request *req, const char *name, const char *token)
{
	for (size_t i = 0; i < req->header_count; i++)
		if (slice_eq_cstr_case(req->headers[i].name, name) &&
		    http_token_list_has(req->headers[i].value, token))
			return true;
	return false;
}
