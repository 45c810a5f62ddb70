/*
 * test_http.c - HTTP/1.1 request head parser and response printing: fields
 * and slices of valid requests, every truncation, keep-alive rules, each
 * refusal with its status and reason, size limits, token lists, and the
 * exact bytes of responses.
 *
 * Every test checks that it gave back all the memory it took.
 */
#include "http/request.h"
#include "leakcheck.h"
#include "slice_assert.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAX_HEAD 8192

/* ------------------------------------------------------------- fixture */

struct env {
	struct http_request req;
	struct http_error err;
	struct mbuf out;
};

static int env_init(void *state)
{
	struct env *e = state;
	mbuf_init(&e->out);
	return 0;
}

static void env_fini(void *state)
{
	struct env *e = state;
	mbuf_free(&e->out);
}

static const struct leak_fixture env_fixture = { sizeof(struct env), env_init, env_fini };

static int parse(struct env *e, const char *text)
{
	memset(&e->err, 0, sizeof(e->err));
	return http_request_parse(text, strlen(text), MAX_HEAD, &e->req, &e->err);
}

/* ------------------------------------------------------------- parsing */

static const char upgrade_request[] = "GET /ws?user=alice HTTP/1.1\r\n"
				      "Host: phone.example.org:8443\r\n"
				      "Upgrade: websocket\r\n"
				      "Connection: Upgrade\r\n"
				      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				      "Sec-WebSocket-Protocol: sip\r\n"
				      "X-Empty:\r\n"
				      "X-Spaces: \t padded value \t\r\n"
				      "Sec-WebSocket-Version: 13\r\n"
				      "\r\n";

static void test_fields(void **state)
{
	struct env *e = *state;
	struct http_request *req = &e->req;
	int n = parse(e, upgrade_request);
	assert_int_equal(n, (int)strlen(upgrade_request));
	assert_int_equal(req->head_len, strlen(upgrade_request));
	assert_slice(req->method, "GET");
	assert_slice(req->target, "/ws?user=alice");
	assert_slice(req->path, "/ws");
	assert_slice(req->query, "user=alice");
	assert_int_equal(req->minor_version, 1);
	assert_int_equal(req->header_count, 8);
	assert_slice(req->headers[0].name, "Host");
	assert_slice(req->headers[0].value, "phone.example.org:8443");
	assert_int_equal(req->content_length, -1);
	assert_true(req->keep_alive);

	assert_slice(http_request_header(req, "sec-websocket-key"), "dGhlIHNhbXBsZSBub25jZQ==");
	assert_slice(http_request_header(req, "X-SPACES"), "padded value");
	assert_slice(http_request_header(req, "X-Empty"), "");
	assert_false(slice_is_set(http_request_header(req, "Origin")));
	assert_true(http_request_has_token(req, "connection", "upgrade"));
	assert_false(http_request_has_token(req, "Connection", "close"));

	for (size_t i = 0; i < req->header_count; i++) {
		assert_inside(req->headers[i].name, upgrade_request, sizeof(upgrade_request));
		assert_inside(req->headers[i].value, upgrade_request, sizeof(upgrade_request));
	}
}

static void test_query_forms(void **state)
{
	struct env *e = *state;
	assert_true(parse(e, "GET / HTTP/1.1\r\nHost: a\r\n\r\n") > 0);
	assert_slice(e->req.path, "/");
	assert_false(slice_is_set(e->req.query));
	assert_true(parse(e, "GET /x? HTTP/1.1\r\nHost: a\r\n\r\n") > 0);
	assert_slice(e->req.path, "/x");
	assert_slice(e->req.query, "");
	assert_true(parse(e, "GET /a%20b/c?d=%2F&e HTTP/1.1\r\nHost: a\r\n\r\n") > 0);
	assert_slice(e->req.path, "/a%20b/c"); /* raw: no decoding */
	assert_slice(e->req.query, "d=%2F&e");
}

/* Every prefix of a valid head is "need more"; the body is not counted. */
static void test_truncations(void **state)
{
	struct env *e = *state;
	const char body[] = "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
	size_t head = strlen(body) - 5;
	for (size_t len = 0; len < head; len++)
		assert_int_equal(http_request_parse(body, len, MAX_HEAD, &e->req, &e->err), 0);
	for (size_t len = head; len <= strlen(body); len++) {
		assert_int_equal(http_request_parse(body, len, MAX_HEAD, &e->req, &e->err),
				 (int)head);
		assert_int_equal(e->req.content_length, 5);
	}
	for (size_t len = 0; len < sizeof(upgrade_request) - 1; len++)
		assert_int_equal(http_request_parse(upgrade_request, len, MAX_HEAD, &e->req, &e->err),
				 0);
}

static void test_pipelined(void **state)
{
	struct env *e = *state;
	const char two[] = "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n";
	int n = parse(e, two);
	assert_int_equal(n, (int)(sizeof(two) - 1) / 2);
	assert_slice(e->req.path, "/a");
	assert_int_equal(http_request_parse(two + n, strlen(two + n), MAX_HEAD, &e->req, &e->err), n);
	assert_slice(e->req.path, "/b");
}

static void test_tolerated(void **state)
{
	struct env *e = *state;
	/* lone LF line endings */
	const char lf[] = "GET /lf HTTP/1.1\nHost: a\nX-A: b\n\n";
	assert_int_equal(parse(e, lf), (int)strlen(lf));
	assert_slice(e->req.path, "/lf");
	assert_slice(http_request_header(&e->req, "X-A"), "b");
	/* a mix, and empty lines before the request line (RFC 9112 2.2) */
	const char lead[] = "\r\n\n\r\nGET /lead HTTP/1.1\r\nHost: a\n\r\n";
	assert_int_equal(parse(e, lead), (int)strlen(lead));
	assert_slice(e->req.path, "/lead");
	assert_int_equal(e->req.header_count, 1);
	/* only empty lines so far: wait */
	assert_int_equal(parse(e, "\r\n\r\n"), 0);
	/* HTTP/1.0 needs no Host; other methods are the server's business */
	assert_true(parse(e, "BREW /pot HTTP/1.0\r\n\r\n") > 0);
	assert_slice(e->req.method, "BREW");
	assert_int_equal(e->req.minor_version, 0);
	/* obs-text in a value */
	assert_true(parse(e, "GET / HTTP/1.1\r\nHost: a\r\nX-Name: J\xc3\xbcrgen\r\n\r\n") > 0);
}

static void test_keep_alive(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *request;
		bool keep_alive;
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
		  false },
		{ "GET / HTTP/1.0\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(parse(e, cases[i].request) > 0);
		if (e->req.keep_alive != cases[i].keep_alive)
			fail_msg("keep_alive wrong for: %s", cases[i].request);
	}
}

static void test_content_length(void **state)
{
	struct env *e = *state;
	assert_true(parse(e, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n") > 0);
	assert_int_equal(e->req.content_length, 0);
	assert_true(parse(e, "POST / HTTP/1.1\r\nHost: a\r\ncontent-length:  42 \r\n"
			     "Content-Length: 42\r\n\r\n") > 0);
	assert_int_equal(e->req.content_length, 42);
	assert_true(parse(e, "POST / HTTP/1.1\r\nHost: a\r\n"
			     "Content-Length: 9223372036854775807\r\n\r\n") > 0);
	assert_int_equal(e->req.content_length, 9223372036854775807L);
}

/* Each refusal with its status and the reason that names the fault. */
static void test_errors(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *request;
		uint16_t status;
		const char *reason;
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400,
		  "Bad Request: header line without colon" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n", 400,
		  "Bad Request: whitespace before colon" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX-A\t: b\r\n\r\n", 400,
		  "Bad Request: whitespace before colon" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400,
		  "Bad Request: obsolete line folding" },
		{ "GET / HTTP/1.1\r\n\tHost: a\r\n\r\n", 400, "Bad Request: obsolete line folding" },
		{ "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400, "Bad Request: empty header name" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", 400,
		  "Bad Request: invalid character in header name" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\001c\r\n\r\n", 400,
		  "Bad Request: control character in header value" },
		{ "GET / HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n", 400, "Bad Request: bare CR in header line" },
		{ "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400, "Bad Request: bare CR in request line" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400,
		  "Bad Request: conflicting Content-Length headers" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: five\r\n\r\n", 400,
		  "Bad Request: invalid Content-Length" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400,
		  "Bad Request: invalid Content-Length" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400,
		  "Bad Request: invalid Content-Length" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400,
		  "Bad Request: invalid Content-Length" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400,
		  "Bad Request: invalid Content-Length" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", 400,
		  "Bad Request: Content-Length out of range" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400,
		  "Bad Request: Content-Length out of range" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501,
		  "Not Implemented: Transfer-Encoding (chunked request bodies) not supported" },
		{ "GET / HTTP/1.1\r\n\r\n", 400, "Bad Request: missing Host header" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
		  "Bad Request: multiple Host headers" },
		{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP Version Not Supported" },
		{ "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505, "HTTP Version Not Supported" },
		{ "GET / HTTP/0.9\r\n\r\n", 505, "HTTP Version Not Supported" },
		{ "GET / http/1.1\r\nHost: a\r\n\r\n", 400, "Bad Request: malformed HTTP version" },
		{ "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "Bad Request: malformed HTTP version" },
		{ "GET / HTTP/11\r\nHost: a\r\n\r\n", 400, "Bad Request: malformed HTTP version" },
		{ "GET /\r\n\r\n", 400, "Bad Request: malformed request line" },
		{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "Bad Request: malformed request line" },
		{ " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "Bad Request: malformed request line" },
		{ "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "Bad Request: invalid character in method" },
		{ "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
		  "Bad Request: request target must start with /" },
		{ "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 400,
		  "Bad Request: request target must start with /" },
		{ "GET /a\001 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
		  "Bad Request: invalid character in request target" },
		{ "GET /\xc3\xa4 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
		  "Bad Request: invalid character in request target" },
		{ "GET\r\n\r\n", 400, "Bad Request: malformed request line" },
		{ "\x16\x03\x01\x02", 400, "Bad Request: invalid character in method" },
		{ "G", 0, NULL }, /* need more */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(e, cases[i].request);
		if (cases[i].status == 0 ? rc != 0
					 : rc != -1 || e->err.status != cases[i].status ||
						   strcmp(e->err.reason, cases[i].reason) != 0)
			fail_msg("case %zu: got %d %u \"%s\", expected %u \"%s\"", i, rc, e->err.status,
				 e->err.reason ? e->err.reason : "", cases[i].status,
				 cases[i].reason ? cases[i].reason : "");
	}
}

static void test_limits(void **state)
{
	struct env *e = *state;
	char buf[600];

	/* the request line alone fills max_head: 414 */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	assert_int_equal(http_request_parse(buf, 255, 256, &e->req, &e->err), 0);
	assert_int_equal(http_request_parse(buf, 256, 256, &e->req, &e->err), -1);
	assert_int_equal(e->err.status, 414);
	assert_int_equal(http_request_parse(buf, sizeof(buf), 256, &e->req, &e->err), -1);
	assert_int_equal(e->err.status, 414);

	/* headers fill it: 431 */
	int n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nX-Long: %0300d\r\n\r\n", 0);
	assert_int_equal(http_request_parse(buf, (size_t)n, 256, &e->req, &e->err), -1);
	assert_int_equal(e->err.status, 431);
	assert_string_equal(e->err.reason, "Request Header Fields Too Large");
	assert_int_equal(http_request_parse(buf, (size_t)n, (size_t)n, &e->req, &e->err), n);
	assert_int_equal(http_request_parse(buf, (size_t)n, (size_t)n - 1, &e->req, &e->err), -1);

	/* a head that ends within max_head is fine with more bytes after it */
	n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n\r\n%0500d", 0);
	assert_int_equal(http_request_parse(buf, (size_t)n, 64, &e->req, &e->err), 27);
}

static void test_too_many_headers(void **state)
{
	struct env *e = *state;
	char buf[4096];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 1; i < HTTP_MAX_HEADERS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: %d\r\n", i, i);
	size_t at_limit = n;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	assert_int_equal(http_request_parse(buf, n, sizeof(buf), &e->req, &e->err), (int)n);
	assert_int_equal(e->req.header_count, HTTP_MAX_HEADERS);

	n = at_limit + (size_t)snprintf(buf + at_limit, sizeof(buf) - at_limit, "X-Last: 1\r\n\r\n");
	assert_int_equal(http_request_parse(buf, n, sizeof(buf), &e->req, &e->err), -1);
	assert_int_equal(e->err.status, 431);
	assert_string_equal(e->err.reason, "Request Header Fields Too Large: too many header fields");
}

static void test_token_list(void **state)
{
	(void)state;
	assert_true(http_token_list_has(SLICE_LIT("Upgrade"), "upgrade"));
	assert_true(http_token_list_has(SLICE_LIT("keep-alive, Upgrade"), "upgrade"));
	assert_true(http_token_list_has(SLICE_LIT("keep-alive,\tUPGRADE ,x"), "upgrade"));
	assert_true(http_token_list_has(SLICE_LIT(",,upgrade,,"), "upgrade"));
	assert_false(http_token_list_has(SLICE_LIT("upgrades"), "upgrade"));
	assert_false(http_token_list_has(SLICE_LIT("up grade"), "upgrade"));
	assert_false(http_token_list_has(SLICE_LIT(""), "upgrade"));
	assert_false(http_token_list_has(SLICE_NULL, "upgrade"));
	assert_false(http_token_list_has(SLICE_LIT(", ,"), ""));
}

/* ------------------------------------------------------------- responses */

static void test_response_print(void **state)
{
	struct env *e = *state;
	http_response_print(&e->out, 200, "OK", "Content-Type: text/plain\r\n", SLICE_LIT("hello"),
			    false);
	assert_string_equal(e->out.data, "HTTP/1.1 200 OK\r\n"
					 "Server: rtcbridge/" RTCBRIDGE_VERSION "\r\n"
					 "Content-Length: 5\r\n"
					 "Content-Type: text/plain\r\n"
					 "\r\n"
					 "hello");
	mbuf_reset(&e->out);
	http_response_print(&e->out, 200, "OK", NULL, SLICE_LIT("hello"), true);
	assert_string_equal(e->out.data, "HTTP/1.1 200 OK\r\n"
					 "Server: rtcbridge/" RTCBRIDGE_VERSION "\r\n"
					 "Content-Length: 5\r\n"
					 "\r\n");
	mbuf_reset(&e->out);
	http_response_print(&e->out, 404, "Not Found", NULL, SLICE_NULL, false);
	assert_non_null(strstr(e->out.data, "Content-Length: 0\r\n\r\n"));

	static const uint16_t bodiless[] = { 101, 204, 304 };
	for (size_t i = 0; i < 3; i++) {
		mbuf_reset(&e->out);
		http_response_print(&e->out, bodiless[i], "X", NULL, SLICE_LIT("body"), false);
		assert_null(strstr(e->out.data, "Content-Length"));
		assert_null(strstr(e->out.data, "body"));
	}
	assert_false(mbuf_failed(&e->out));
}

static void test_error_print(void **state)
{
	struct env *e = *state;
	assert_int_equal(parse(e, "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"), -1);
	http_error_print(&e->out, &e->err, "X-Extra: 1\r\n");
	assert_string_equal(e->out.data, "HTTP/1.1 400 Bad Request: header line without colon\r\n"
					 "Server: rtcbridge/" RTCBRIDGE_VERSION "\r\n"
					 "Content-Type: text/plain; charset=utf-8\r\n"
					 "Content-Length: 39\r\n"
					 "Connection: close\r\n"
					 "X-Extra: 1\r\n"
					 "\r\n"
					 "Bad Request: header line without colon\n");
}

int main(void)
{
#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(test_fields),        T(test_query_forms),  T(test_truncations),
		T(test_pipelined),     T(test_tolerated),    T(test_keep_alive),
		T(test_content_length), T(test_errors),      T(test_limits),
		T(test_too_many_headers), T(test_token_list), T(test_response_print),
		T(test_error_print),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
