/*
 * test_ws.c - WebSocket: the RFC 6455 accept key, handshake answers and
 * refusals (Origin rules included), the frame reader on masked frames built
 * here (fragments, interleaved control frames, every truncation, size limits
 * judged from the header, UTF-8, close frames, protocol errors), and the
 * bytes of server frames.
 *
 * Every test checks that it gave back all the memory it took.
 */
#include "http/ws.h"
#include "leakcheck.h"
#include "slice_assert.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAX_MESSAGE 1000

/* ------------------------------------------------------------- fixture */

struct env {
	struct http_request req;
	struct http_error err;
	struct mbuf out;
	struct ws_reader reader;
	struct ws_event ev;
	char request[2048];
	char frames[70000];
	size_t frames_len, frames_read; /* bytes in frames, bytes consumed */
};

static int env_init(void *state)
{
	struct env *e = state;
	mbuf_init(&e->out);
	ws_reader_init(&e->reader, MAX_MESSAGE);
	return 0;
}

static void env_fini(void *state)
{
	struct env *e = state;
	ws_reader_free(&e->reader);
	mbuf_free(&e->out);
}

static const struct leak_fixture env_fixture = { sizeof(struct env), env_init, env_fini };

/* ------------------------------------------------------------- handshake */

static void test_accept_key(void **state)
{
	(void)state;
	char accept[29];
	ws_accept_key(SLICE_LIT("dGhlIHNhbXBsZSBub25jZQ=="), accept); /* RFC 6455 1.3 */
	assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static const struct ws_policy tls_policy = {
	.secure = true,
	.path = "/ws",
	.subprotocol = "sip",
};

/* Parse a GET /ws upgrade with Host host, the given extra header lines
 * (each ending CRLF) and the usual WebSocket headers. */
static void parse_upgrade(struct env *e, const char *host, const char *extra)
{
	int n = snprintf(e->request, sizeof(e->request),
			 "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
			 "Connection: keep-alive, Upgrade\r\n%s\r\n",
			 host, extra);
	int rc = http_request_parse(e->request, (size_t)n, sizeof(e->request), &e->req, &e->err);
	if (rc != n)
		fail_msg("request does not parse (%d): %s", rc, e->request);
}

#define KEY "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define VERSION "Sec-WebSocket-Version: 13\r\n"
#define SIP "Sec-WebSocket-Protocol: sip\r\n"

static void test_handshake_ok(void **state)
{
	struct env *e = *state;
	parse_upgrade(e, "phone.example.org:8443",
		      "Origin: https://phone.example.org:8443\r\n" KEY VERSION SIP);
	assert_true(ws_is_upgrade(&e->req));
	assert_int_equal(ws_handshake(&e->req, &tls_policy, &e->out, &e->err), 0);
	assert_string_equal(e->out.data, "HTTP/1.1 101 Switching Protocols\r\n"
					 "Server: rtcbridge/" RTCBRIDGE_VERSION "\r\n"
					 "Upgrade: websocket\r\n"
					 "Connection: Upgrade\r\n"
					 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
					 "Sec-WebSocket-Protocol: sip\r\n"
					 "\r\n");

	/* no subprotocol wanted: none answered, none needed */
	struct ws_policy any = { .secure = false };
	mbuf_reset(&e->out);
	parse_upgrade(e, "a", KEY VERSION);
	assert_int_equal(ws_handshake(&e->req, &any, &e->out, &e->err), 0);
	assert_null(strstr(e->out.data, "Sec-WebSocket-Protocol"));
}

static void test_is_upgrade(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *request;
		bool upgrade;
	} cases[] = {
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: WebSocket\r\nConnection: upgrade\r\n\r\n",
		  true },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: h2c, websocket\r\nConnection: x\r\n"
		  "Connection: Upgrade\r\n\r\n",
		  true },
		{ "POST /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
		  false },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", false },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n\r\n", false },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *r = cases[i].request;
		assert_true(http_request_parse(r, strlen(r), 4096, &e->req, &e->err) > 0);
		if (ws_is_upgrade(&e->req) != cases[i].upgrade)
			fail_msg("case %zu", i);
	}
}

static void test_origins(void **state)
{
	struct env *e = *state;
	static const char *const allowed[] = { "https://phone.example.org:8443",
					       "HTTPS://Other.Example.COM" };
	static const struct {
		bool secure, use_list;
		const char *host, *origin;
		bool ok;
	} cases[] = {
		{ true, false, "phone.example.org", "https://phone.example.org", true },
		{ true, false, "phone.example.org:443", "https://phone.example.org", true },
		{ true, false, "phone.example.org", "https://phone.example.org:443", true },
		{ true, false, "Phone.Example.org", "HTTPS://phone.example.ORG:443", true },
		{ true, false, "phone.example.org:8443", "https://phone.example.org:8443", true },
		{ true, false, "[::1]:8443", "https://[::1]:8443", true },
		{ false, false, "127.0.0.1:8080", "http://127.0.0.1:8080", true },
		{ false, false, "127.0.0.1", "http://127.0.0.1:80", true },
		{ true, false, "phone.example.org:8443", "https://phone.example.org", false },
		{ true, false, "phone.example.org", "http://phone.example.org", false },
		{ false, false, "phone.example.org", "https://phone.example.org", false },
		{ true, false, "phone.example.org", "https://evil.example", false },
		{ true, false, "phone.example.org", "https://phone.example.org.evil.example", false },
		{ true, false, "phone.example.org", "https://phone.example.org/", false },
		{ true, false, "phone.example.org", "https://phone.example.org:", false },
		{ true, false, "phone.example.org", "https://phone.example.org:99999", false },
		{ true, false, "phone.example.org", "null", false },
		{ true, false, "phone.example.org", "", false },
		{ true, false, "[::1]", "https://[::1", false },
		{ true, true, "10.0.0.1", "https://phone.example.org:8443", true },
		{ true, true, "10.0.0.1", "https://other.example.com", true },
		{ true, true, "10.0.0.1", "https://other.example.com:443", true },
		{ true, true, "10.0.0.1", "https://phone.example.org", false },
		{ true, true, "10.0.0.1", "http://other.example.com", false },
		{ true, true, "10.0.0.1", "https://10.0.0.1", true }, /* same-origin still */
	};
	char extra[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ws_policy policy = tls_policy;
		policy.secure = cases[i].secure;
		if (cases[i].use_list) {
			policy.allowed_origins = allowed;
			policy.allowed_origin_count = 2;
		}
		snprintf(extra, sizeof(extra), "Origin: %s\r\n" KEY VERSION SIP, cases[i].origin);
		parse_upgrade(e, cases[i].host, extra);
		mbuf_reset(&e->out);
		int rc = ws_handshake(&e->req, &policy, &e->out, &e->err);
		if (rc != (cases[i].ok ? 0 : -1))
			fail_msg("case %zu (Host %s, Origin %s): %d", i, cases[i].host,
				 cases[i].origin, rc);
		if (!cases[i].ok) {
			assert_int_equal(e->err.status, 403);
			assert_string_equal(e->err.reason, "Origin not allowed");
			assert_true(strncmp(e->out.data, "HTTP/1.1 403 Origin not allowed\r\n", 33) == 0);
		}
	}
	/* no Origin: not a browser, allowed */
	parse_upgrade(e, "phone.example.org", KEY VERSION SIP);
	assert_int_equal(ws_handshake(&e->req, &tls_policy, &e->out, &e->err), 0);
}

static void test_handshake_errors(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *request;
		uint16_t status;
		const char *reason, *header;
	} cases[] = {
		{ "GET /ws HTTP/1.1\r\nHost: a\r\n" KEY VERSION SIP "\r\n", 400,
		  "Bad Request: not a WebSocket upgrade", NULL },
		{ "GET /ws HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" KEY VERSION SIP
		  "\r\n",
		  400, "Bad Request: WebSocket needs HTTP/1.1", NULL },
		{ "GET /other HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" KEY
			  VERSION SIP "\r\n",
		  404, "Not Found", NULL },
		{ "GET /ws/ HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" KEY
			  VERSION SIP "\r\n",
		  404, "Not Found", NULL },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" KEY SIP
		  "\r\n",
		  400, "Bad Request: missing Sec-WebSocket-Version", NULL },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" KEY SIP
		  "Sec-WebSocket-Version: 8\r\n\r\n",
		  426, "Upgrade Required: WebSocket version 13 only", "Sec-WebSocket-Version: 13\r\n" },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" VERSION
			  SIP "\r\n",
		  400, "Bad Request: missing Sec-WebSocket-Key", NULL },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" VERSION
			  SIP "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=\r\n\r\n",
		  400, "Bad Request: invalid Sec-WebSocket-Key", NULL },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" VERSION
			  SIP "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ!=\r\n\r\n",
		  400, "Bad Request: invalid Sec-WebSocket-Key", NULL },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" KEY
			  VERSION "\r\n",
		  400, "Bad Request: WebSocket subprotocol not offered", NULL },
		{ "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" KEY
			  VERSION "Sec-WebSocket-Protocol: SIP, sips\r\n\r\n",
		  400, "Bad Request: WebSocket subprotocol not offered", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *r = cases[i].request;
		assert_true(http_request_parse(r, strlen(r), 4096, &e->req, &e->err) > 0);
		mbuf_reset(&e->out);
		int rc = ws_handshake(&e->req, &tls_policy, &e->out, &e->err);
		if (rc != -1 || e->err.status != cases[i].status ||
		    strcmp(e->err.reason, cases[i].reason) != 0)
			fail_msg("case %zu: got %d %u \"%s\"", i, rc, e->err.status,
				 rc ? e->err.reason : "");
		char status_line[128];
		snprintf(status_line, sizeof(status_line), "HTTP/1.1 %u %s\r\n", cases[i].status,
			 cases[i].reason);
		assert_true(strncmp(e->out.data, status_line, strlen(status_line)) == 0);
		assert_non_null(strstr(e->out.data, "\r\nConnection: close\r\n"));
		if (cases[i].header)
			assert_non_null(strstr(e->out.data, cases[i].header));
	}

	/* the offer may be one of several, on several lines */
	const char *r = "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" KEY
		VERSION "Sec-WebSocket-Protocol: foo\r\nSec-WebSocket-Protocol: bar , sip\r\n\r\n";
	assert_true(http_request_parse(r, strlen(r), 4096, &e->req, &e->err) > 0);
	mbuf_reset(&e->out);
	assert_int_equal(ws_handshake(&e->req, &tls_policy, &e->out, &e->err), 0);
}

/* ------------------------------------------------------------- frames */

static const unsigned char mask_key[4] = { 0x37, 0xfa, 0x21, 0x3d }; /* RFC 6455 5.7 */

/* Append a masked client frame to e->frames: first_byte is FIN, RSV and
 * opcode as sent, declared the length put in the header, which may differ
 * from len, the payload bytes that follow (size-limit tests send none). */
static size_t add_frame_raw(struct env *e, unsigned first_byte, const void *payload, size_t len,
			    uint64_t declared)
{
	unsigned char *p = (unsigned char *)e->frames + e->frames_len;
	size_t n = 0;
	p[n++] = (unsigned char)first_byte;
	if (declared <= 125) {
		p[n++] = 0x80 | (unsigned char)declared;
	} else if (declared <= 0xffff) {
		p[n++] = 0x80 | 126;
		p[n++] = (unsigned char)(declared >> 8);
		p[n++] = (unsigned char)declared;
	} else {
		p[n++] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			p[n++] = (unsigned char)(declared >> (56 - 8 * i));
	}
	memcpy(p + n, mask_key, 4);
	n += 4;
	for (size_t i = 0; i < len; i++)
		p[n + i] = ((const unsigned char *)payload)[i] ^ mask_key[i % 4];
	n += len;
	e->frames_len += n;
	return n;
}

static size_t add_frame(struct env *e, bool fin, enum ws_opcode opcode, const char *payload)
{
	size_t len = strlen(payload);
	return add_frame_raw(e, (fin ? 0x80u : 0) | opcode, payload, len, len);
}

/* Read the next frame of e->frames; the bytes stay where they are, for the
 * event's slices point into them. */
static int next(struct env *e, size_t *used)
{
	int rc = ws_reader_next(&e->reader, e->frames + e->frames_read,
				e->frames_len - e->frames_read, used, &e->ev);
	e->frames_read += *used;
	return rc;
}

static void frames_clear(struct env *e)
{
	e->frames_len = e->frames_read = 0;
}

static void expect_error(struct env *e, uint16_t code, const char *error)
{
	size_t used = 99;
	assert_int_equal(next(e, &used), -1);
	assert_int_equal(used, 0);
	assert_int_equal(e->ev.type, WS_EVENT_ERROR);
	assert_int_equal(e->ev.close_code, code);
	assert_string_equal(e->ev.error, error);
}

static void test_rfc_example(void **state)
{
	struct env *e = *state;
	/* RFC 6455 5.7: a single-frame masked text message "Hello" */
	static const unsigned char hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
					       0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	memcpy(e->frames, hello, sizeof(hello));
	e->frames_len = sizeof(hello);
	size_t used;
	assert_int_equal(next(e, &used), 0);
	assert_int_equal(used, sizeof(hello));
	assert_int_equal(e->ev.type, WS_EVENT_MESSAGE);
	assert_int_equal(e->ev.opcode, WS_OP_TEXT);
	assert_slice(e->ev.payload, "Hello");
}

/* Every truncation of a frame is "not yet" and leaves the bytes alone. */
static void test_truncations(void **state)
{
	struct env *e = *state;
	char big[300];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *payloads[] = { "", "Hello", big };
	for (size_t k = 0; k < 3; k++) {
		frames_clear(e);
		size_t n = add_frame(e, true, WS_OP_TEXT, payloads[k]);
		char copy[400];
		memcpy(copy, e->frames, n);
		for (size_t len = 0; len < n; len++) {
			size_t used = 99;
			assert_int_equal(ws_reader_next(&e->reader, e->frames, len, &used, &e->ev), 0);
			assert_int_equal(used, 0);
			assert_int_equal(e->ev.type, WS_EVENT_NONE);
			assert_memory_equal(e->frames, copy, n);
		}
		size_t used;
		assert_int_equal(ws_reader_next(&e->reader, e->frames, n, &used, &e->ev), 0);
		assert_int_equal(used, n);
		assert_int_equal(e->ev.type, WS_EVENT_MESSAGE);
		assert_slice(e->ev.payload, payloads[k]);
	}
}

/* A message in fragments, with a ping in between, all in one buffer. */
static void test_fragments(void **state)
{
	struct env *e = *state;
	add_frame(e, false, WS_OP_TEXT, "REGISTER sip:a ");
	add_frame(e, false, WS_OP_CONTINUATION, "");
	add_frame(e, true, WS_OP_PING, "are you there");
	add_frame(e, false, WS_OP_CONTINUATION, "SIP/2.0 \xe2\x82");  /* split euro sign */
	add_frame(e, true, WS_OP_CONTINUATION, "\xac\r\n\r\n");
	add_frame(e, true, WS_OP_BINARY, "\xff\xfe");
	size_t used;
	assert_int_equal(next(e, &used), 0);
	assert_true(used > 0);
	assert_int_equal(e->ev.type, WS_EVENT_NONE);
	assert_true(e->reader.in_message);
	assert_int_equal(next(e, &used), 0);
	assert_int_equal(e->ev.type, WS_EVENT_NONE);
	assert_int_equal(next(e, &used), 0);
	assert_int_equal(e->ev.type, WS_EVENT_PING);
	assert_slice(e->ev.payload, "are you there");
	assert_int_equal(next(e, &used), 0);
	assert_int_equal(e->ev.type, WS_EVENT_NONE);
	assert_int_equal(next(e, &used), 0);
	assert_int_equal(e->ev.type, WS_EVENT_MESSAGE);
	assert_int_equal(e->ev.opcode, WS_OP_TEXT);
	assert_slice(e->ev.payload, "REGISTER sip:a SIP/2.0 \xe2\x82\xac\r\n\r\n");
	assert_false(e->reader.in_message);
	assert_int_equal(next(e, &used), 0);
	assert_int_equal(e->ev.type, WS_EVENT_MESSAGE);
	assert_int_equal(e->ev.opcode, WS_OP_BINARY); /* binary: no UTF-8 rule */
	assert_slice(e->ev.payload, "\xff\xfe");
	assert_int_equal(e->frames_read, e->frames_len);
	assert_int_equal(next(e, &used), 0);
	assert_int_equal(used, 0);
	assert_int_equal(e->ev.type, WS_EVENT_NONE);

	/* fragmented binary, and a pong in between */
	add_frame(e, false, WS_OP_BINARY, "ab");
	add_frame(e, true, WS_OP_PONG, "");
	add_frame(e, true, WS_OP_CONTINUATION, "cd");
	assert_int_equal(next(e, &used), 0);
	assert_int_equal(next(e, &used), 0);
	assert_int_equal(e->ev.type, WS_EVENT_PONG);
	assert_int_equal(e->ev.payload.len, 0);
	assert_int_equal(next(e, &used), 0);
	assert_int_equal(e->ev.type, WS_EVENT_MESSAGE);
	assert_int_equal(e->ev.opcode, WS_OP_BINARY);
	assert_slice(e->ev.payload, "abcd");
}

static void test_protocol_errors(void **state)
{
	struct env *e = *state;
	static const struct {
		unsigned first_byte;
		const char *error;
	} firsts[] = {
		{ 0xc1, "RSV bit set without a negotiated extension" },
		{ 0xa1, "RSV bit set without a negotiated extension" },
		{ 0x91, "RSV bit set without a negotiated extension" },
		{ 0x83, "reserved opcode" },
		{ 0x87, "reserved opcode" },
		{ 0x8b, "reserved opcode" },
		{ 0x8f, "reserved opcode" },
		{ 0x09, "fragmented control frame" },
		{ 0x08, "fragmented control frame" },
		{ 0x80, "continuation frame without a message" },
		{ 0x00, "continuation frame without a message" },
	};
	for (size_t i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
		frames_clear(e);
		add_frame_raw(e, firsts[i].first_byte, "x", 1, 1);
		expect_error(e, 1002, firsts[i].error);
	}

	/* judged from the first two bytes alone */
	frames_clear(e);
	add_frame(e, true, WS_OP_TEXT, "hello");
	e->frames[1] &= 0x7f;
	e->frames_len = 2;
	expect_error(e, 1002, "unmasked frame from the client");
	frames_clear(e);
	add_frame_raw(e, 0x89, NULL, 0, 126);
	e->frames_len = 2;
	expect_error(e, 1002, "control frame longer than 125 bytes");
	frames_clear(e);
	add_frame_raw(e, 0x82, NULL, 0, 1ull << 63);
	expect_error(e, 1002, "frame length with the top bit set");

	/* a new message inside a fragmented one */
	frames_clear(e);
	size_t used;
	add_frame(e, false, WS_OP_TEXT, "a");
	add_frame(e, true, WS_OP_TEXT, "b");
	assert_int_equal(next(e, &used), 0);
	expect_error(e, 1002, "new message inside a fragmented one");
	frames_clear(e);
	add_frame(e, false, WS_OP_BINARY, "b");
	expect_error(e, 1002, "new message inside a fragmented one");
}

/* Too big is known from the header: no payload needs to arrive. */
static void test_too_big(void **state)
{
	struct env *e = *state;
	static const uint64_t declared[] = { MAX_MESSAGE + 1, 65535, 65536, 1ull << 40,
					     (1ull << 63) - 1 };
	for (size_t i = 0; i < sizeof(declared) / sizeof(declared[0]); i++) {
		frames_clear(e);
		add_frame_raw(e, 0x81, NULL, 0, declared[i]);
		e->frames_len -= 4; /* not even the mask key */
		expect_error(e, 1009, "message too big");
	}

	/* exactly the limit is fine */
	char *big = malloc(MAX_MESSAGE + 1);
	assert_non_null(big);
	memset(big, 'a', MAX_MESSAGE);
	big[MAX_MESSAGE] = '\0';
	frames_clear(e);
	add_frame(e, true, WS_OP_TEXT, big);
	size_t used;
	assert_int_equal(next(e, &used), 0);
	assert_int_equal(e->ev.type, WS_EVENT_MESSAGE);
	assert_int_equal(e->ev.payload.len, MAX_MESSAGE);

	/* fragments add up: the one that passes the limit is refused by its header */
	big[600] = '\0';
	add_frame(e, false, WS_OP_TEXT, big);
	assert_int_equal(next(e, &used), 0);
	big[600] = 'a';
	big[400] = '\0';
	add_frame(e, true, WS_OP_CONTINUATION, big);
	assert_int_equal(next(e, &used), 0);
	assert_int_equal(e->ev.type, WS_EVENT_MESSAGE);
	assert_int_equal(e->ev.payload.len, MAX_MESSAGE);
	big[400] = 'a';
	big[600] = '\0';
	add_frame(e, false, WS_OP_TEXT, big);
	assert_int_equal(next(e, &used), 0);
	add_frame_raw(e, 0x80, NULL, 0, 401);
	expect_error(e, 1009, "message too big");
	free(big);
}

static void test_utf8(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *text;
		bool valid;
	} cases[] = {
		{ "", true },
		{ "plain ASCII", true },
		{ "\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80", true },   /* U+00E4, U+20AC, U+1F600 */
		{ "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf", true }, /* U+D7FF, U+E000, U+10FFFF */
		{ "\xc0\x80", false },                            /* overlong NUL */
		{ "\xc1\xbf", false },                            /* overlong */
		{ "\xe0\x9f\xbf", false },                        /* overlong */
		{ "\xf0\x8f\xbf\xbf", false },                    /* overlong */
		{ "\xed\xa0\x80", false },                        /* surrogate U+D800 */
		{ "\xf4\x90\x80\x80", false },                    /* U+110000 */
		{ "\xf5\x80\x80\x80", false },
		{ "\xff", false },
		{ "\x80", false },                                /* lone continuation */
		{ "\xe2\x82", false },                            /* truncated */
		{ "\xe2\x28\xac", false },
		{ "a\xf0\x9f\x98", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (ws_utf8_valid(slice_from_cstr(cases[i].text)) != cases[i].valid)
			fail_msg("case %zu", i);
		frames_clear(e);
		add_frame(e, true, WS_OP_TEXT, cases[i].text);
		size_t used;
		if (cases[i].valid) {
			assert_int_equal(next(e, &used), 0);
			assert_int_equal(e->ev.type, WS_EVENT_MESSAGE);
		} else {
			expect_error(e, 1007, "text message is not valid UTF-8");
		}
	}
	/* checked on the whole message, not per fragment */
	frames_clear(e);
	add_frame(e, false, WS_OP_TEXT, "ok");
	add_frame(e, true, WS_OP_CONTINUATION, "\xed\xa0\x80");
	size_t used;
	assert_int_equal(next(e, &used), 0);
	expect_error(e, 1007, "text message is not valid UTF-8");
}

static void test_close_frames(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *payload;
		size_t len;
		int rc;
		uint16_t code;
		const char *text; /* reason, or the error */
	} cases[] = {
		{ "", 0, 0, 1005, "" },
		{ "\x03\xe8", 2, 0, 1000, "" },
		{ "\x03\xe8" "bye", 5, 0, 1000, "bye" },
		{ "\x03\xe9" "going \xe2\x82\xac", 11, 0, 1001, "going \xe2\x82\xac" },
		{ "\x0b\xb8", 2, 0, 3000, "" },
		{ "\x13\x87", 2, 0, 4999, "" },
		{ "\x03\xf6", 2, 0, 1014, "" },
		{ "\x03", 1, -1, 1002, "close frame with a 1-byte payload" },
		{ "\x03\xe7", 2, -1, 1002, "invalid close code" },  /* 999 */
		{ "\x03\xec", 2, -1, 1002, "invalid close code" },  /* 1004 */
		{ "\x03\xed", 2, -1, 1002, "invalid close code" },  /* 1005 */
		{ "\x03\xee", 2, -1, 1002, "invalid close code" },  /* 1006 */
		{ "\x03\xf7", 2, -1, 1002, "invalid close code" },  /* 1015 */
		{ "\x0b\xb7", 2, -1, 1002, "invalid close code" },  /* 2999 */
		{ "\x13\x88", 2, -1, 1002, "invalid close code" },  /* 5000 */
		{ "\x00\x00", 2, -1, 1002, "invalid close code" },
		{ "\x03\xe8\xc0\x80", 4, -1, 1007, "close reason is not valid UTF-8" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		frames_clear(e);
		add_frame_raw(e, 0x88, cases[i].payload, cases[i].len, cases[i].len);
		size_t used;
		int rc = next(e, &used);
		if (rc != cases[i].rc || e->ev.close_code != cases[i].code)
			fail_msg("case %zu: %d %u", i, rc, e->ev.close_code);
		if (rc == 0) {
			assert_int_equal(e->ev.type, WS_EVENT_CLOSE);
			assert_slice(e->ev.payload, cases[i].text);
		} else {
			assert_int_equal(e->ev.type, WS_EVENT_ERROR);
			assert_string_equal(e->ev.error, cases[i].text);
		}
	}
}

/* ------------------------------------------------------------- writing */

static void test_frame_print(void **state)
{
	struct env *e = *state;
	static const struct {
		size_t len, header;
		unsigned char second, extended[8];
	} cases[] = {
		{ 0, 2, 0, { 0 } },
		{ 125, 2, 125, { 0 } },
		{ 126, 4, 126, { 0, 126 } },
		{ 65535, 4, 126, { 0xff, 0xff } },
		{ 65536, 10, 127, { 0, 0, 0, 0, 0, 1, 0, 0 } },
	};
	char *payload = calloc(1, 65536);
	assert_non_null(payload);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mbuf_reset(&e->out);
		ws_frame_print(&e->out, WS_OP_TEXT, slice_make(payload, cases[i].len));
		assert_false(mbuf_failed(&e->out));
		assert_int_equal(e->out.len, cases[i].header + cases[i].len);
		assert_int_equal((unsigned char)e->out.data[0], 0x81);
		assert_int_equal((unsigned char)e->out.data[1], cases[i].second);
		assert_memory_equal(e->out.data + 2, cases[i].extended, cases[i].header - 2);
	}
	free(payload);

	mbuf_reset(&e->out);
	ws_frame_print(&e->out, WS_OP_PONG, SLICE_LIT("hi"));
	assert_int_equal(e->out.len, 4);
	assert_memory_equal(e->out.data, "\x8a\x02hi", 4);
}

static void test_close_frame_print(void **state)
{
	struct env *e = *state;
	ws_close_frame_print(&e->out, 1000, "bye");
	assert_int_equal(e->out.len, 7);
	assert_memory_equal(e->out.data, "\x88\x05\x03\xe8" "bye", 7);

	static const uint16_t unsendable[] = { 0, 1005, 1006, 1015 };
	for (size_t i = 0; i < 4; i++) {
		mbuf_reset(&e->out);
		ws_close_frame_print(&e->out, unsendable[i], "x");
		assert_int_equal(e->out.len, 2);
		assert_memory_equal(e->out.data, "\x88\x00", 2);
	}

	/* the reason is cut to fit 125 bytes, between UTF-8 characters */
	char reason[200] = "";
	for (int i = 0; i < 60; i++)
		strcat(reason, "\xc3\xa4"); /* 120 bytes */
	strcat(reason, "ab\xe2\x82\xac"); /* 122, then a 3-byte char crossing 123 */
	mbuf_reset(&e->out);
	ws_close_frame_print(&e->out, 1009, reason);
	assert_int_equal((unsigned char)e->out.data[1], 2 + 122);
	assert_true(ws_utf8_valid(slice_make(e->out.data + 4, 122)));
	mbuf_reset(&e->out);
	ws_close_frame_print(&e->out, 1002, NULL);
	assert_memory_equal(e->out.data, "\x88\x02\x03\xea", 4);
}

int main(void)
{
	/* OpenSSL sets up state on first use and keeps it: do that before the
	 * per-test memory accounting starts. */
	char accept[29];
	ws_accept_key(SLICE_LIT("warm up"), accept);

#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(test_accept_key),     T(test_handshake_ok),    T(test_is_upgrade),
		T(test_origins),        T(test_handshake_errors), T(test_rfc_example),
		T(test_truncations),    T(test_fragments),       T(test_protocol_errors),
		T(test_too_big),        T(test_utf8),            T(test_close_frames),
		T(test_frame_print),    T(test_close_frame_print),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
