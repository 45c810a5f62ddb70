/*
 * test_stun.c - STUN: the RFC 5769 test vectors checked and rebuilt byte
 * for byte, RFC 8489's SHA-256 vector noted, the binding error responses
 * ICE sends, and messages that must be refused (truncations, bad lengths,
 * attributes after FINGERPRINT, wrong cookie, damaged integrity).
 *
 * Every test checks that it gave back all the memory it took.
 */
#include "ice/stun.h"
#include "leakcheck.h"
#include "slice_assert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ------------------------------------------------------------- vectors */

#define PASSWORD "VOkJxbRl1RmTxUk/WvJxBt"

static const uint8_t tid_5769[STUN_TID_LEN] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
						0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };

/* RFC 5769 2.1 */
static const uint8_t sample_request[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e,
	0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24,
	0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1,
	0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68,
	0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5,
	0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* RFC 5769 2.2: 192.0.2.1 port 32853 */
static const uint8_t ipv4_response[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
	0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
	0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99,
	0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b,
	0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 2.3: 2001:db8:1234:5678:11:2233:4455:6677 port 32853 */
static const uint8_t ipv6_response[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
	0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02,
	0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5,
	0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6,
	0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* RFC 5769 2.4: long-term credentials, username "マトリックス", password
 * "TheMatrIX" after SASLprep, realm "example.org" */
static const uint8_t long_term_request[] = {
	0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
	0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3,
	0x83, 0x88, 0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9,
	0x00, 0x00, 0x00, 0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39,
	0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54,
	0x76, 0x79, 0x36, 0x34, 0x73, 0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x08, 0x00, 0x14, 0xf6, 0x70,
	0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2,
	0x8c, 0xa8, 0x96, 0x66,
};
#define LONG_TERM_USER "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9"

/* RFC 8489 B.1: USERHASH (which we do not implement) and
 * MESSAGE-INTEGRITY-SHA256 */
static const uint8_t sha256_request[] = {
	0x00, 0x01, 0x00, 0x88, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
	0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x1e, 0x00, 0x20, 0x4a, 0x3c, 0xf3, 0x8f,
	0xef, 0x69, 0x92, 0xbd, 0xa9, 0x52, 0xc6, 0x78, 0x04, 0x17, 0xda, 0x0f, 0x24, 0x81,
	0x94, 0x15, 0x56, 0x9e, 0x60, 0xb2, 0x05, 0xc4, 0x6e, 0x41, 0x40, 0x7f, 0x17, 0x04,
	0x00, 0x15, 0x00, 0x29, 0x6f, 0x62, 0x4d, 0x61, 0x74, 0x4a, 0x6f, 0x73, 0x32, 0x41,
	0x41, 0x41, 0x43, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64,
	0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36,
	0x34, 0x73, 0x41, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x1c, 0x00, 0x20, 0xfd, 0x8c,
	0x27, 0x38, 0x60, 0xd2, 0xe1, 0x8e, 0xbc, 0xa4, 0xc8, 0x9b, 0x69, 0x73, 0xbe, 0xfa,
	0x7e, 0xe8, 0xec, 0xc6, 0x9e, 0x96, 0x42, 0xdb, 0x32, 0x6f, 0xab, 0x65, 0xa0, 0xb9,
	0x55, 0xba,
};

/* ------------------------------------------------------------- fixture */

struct env {
	struct mbuf out;
	struct stun_msg msg;
	uint8_t buf[512];
	size_t len;
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

static void assert_bytes(const struct mbuf *out, const uint8_t *expected, size_t len)
{
	assert_int_equal(out->len, len);
	for (size_t i = 0; i < len; i++)
		if ((uint8_t)out->data[i] != expected[i])
			fail_msg("byte %zu: got %02x, expected %02x", i, (uint8_t)out->data[i],
				 expected[i]);
}

/* Hand-made messages: a header, then attributes, then the length set. */
static void msg_start(struct env *e, uint16_t type)
{
	e->len = 0;
	e->buf[e->len++] = (uint8_t)(type >> 8);
	e->buf[e->len++] = (uint8_t)type;
	e->buf[e->len++] = 0;
	e->buf[e->len++] = 0;
	const uint8_t cookie[4] = { 0x21, 0x12, 0xa4, 0x42 };
	memcpy(e->buf + e->len, cookie, 4);
	memcpy(e->buf + e->len + 4, tid_5769, STUN_TID_LEN);
	e->len += 4 + STUN_TID_LEN;
}

static void msg_attr(struct env *e, uint16_t type, const void *value, size_t len)
{
	e->buf[e->len++] = (uint8_t)(type >> 8);
	e->buf[e->len++] = (uint8_t)type;
	e->buf[e->len++] = (uint8_t)(len >> 8);
	e->buf[e->len++] = (uint8_t)len;
	if (len)
		memcpy(e->buf + e->len, value, len);
	e->len += len;
	while (e->len % 4)
		e->buf[e->len++] = 0;
}

static void msg_finish(struct env *e)
{
	e->buf[2] = (uint8_t)((e->len - STUN_HEADER_LEN) >> 8);
	e->buf[3] = (uint8_t)(e->len - STUN_HEADER_LEN);
}

static int parse_buf(struct env *e)
{
	return stun_parse(e->buf, e->len, &e->msg);
}

static void assert_addr(const struct netaddr *a, const char *host, uint16_t port)
{
	char s[NETADDR_STRLEN];
	struct netaddr expected;
	assert_int_equal(netaddr_set_cstr(&expected, host, port), 0);
	if (!netaddr_eq(a, &expected))
		fail_msg("got %s, expected %s port %u", netaddr_str(a, s, sizeof(s)), host, port);
}

/* ------------------------------------------------------------- RFC 5769 */

static void test_type(void **state)
{
	(void)state;
	assert_int_equal(stun_type(STUN_CLASS_REQUEST, STUN_METHOD_BINDING), 0x0001);
	assert_int_equal(stun_type(STUN_CLASS_INDICATION, STUN_METHOD_BINDING), 0x0011);
	assert_int_equal(stun_type(STUN_CLASS_SUCCESS, STUN_METHOD_BINDING), 0x0101);
	assert_int_equal(stun_type(STUN_CLASS_ERROR, STUN_METHOD_BINDING), 0x0111);
	assert_int_equal(stun_type(STUN_CLASS_ERROR, 0xfff), 0x3fff);
	assert_int_equal(stun_type(STUN_CLASS_REQUEST, 0x003), 0x0003); /* TURN Allocate */
}

static void test_sample_request(void **state)
{
	struct env *e = *state;
	struct stun_msg *m = &e->msg;
	assert_true(stun_is_message(sample_request, sizeof(sample_request)));
	assert_int_equal(stun_parse(sample_request, sizeof(sample_request), m), 0);
	assert_int_equal(m->cls, STUN_CLASS_REQUEST);
	assert_int_equal(m->method, STUN_METHOD_BINDING);
	assert_memory_equal(m->tid, tid_5769, STUN_TID_LEN);
	assert_slice(m->software, "STUN test client");
	assert_slice(m->username, "evtj:h6vY");
	assert_true(m->has_priority);
	assert_int_equal(m->priority, 0x6e0001ff);
	assert_true(m->ice_controlled);
	assert_false(m->ice_controlling);
	assert_true(m->tie_breaker == 0x932ff9b151263b36u);
	assert_false(m->use_candidate);
	assert_int_equal(m->integrity_offset, 76);
	assert_int_equal(m->fingerprint_offset, 108 - 8);
	assert_int_equal(m->unknown_count, 0);
	assert_false(m->has_xor_mapped);

	assert_true(stun_check_integrity(m, sample_request, SLICE_LIT(PASSWORD)));
	assert_false(stun_check_integrity(m, sample_request, SLICE_LIT("VOkJxbRl1RmTxUk/WvJxBT")));
	assert_false(stun_check_integrity(m, sample_request, SLICE_LIT("")));
	assert_false(stun_check_integrity(m, sample_request, SLICE_NULL));
	assert_true(stun_check_fingerprint(m, sample_request));
}

static void test_ipv4_response(void **state)
{
	struct env *e = *state;
	struct stun_msg *m = &e->msg;
	assert_int_equal(stun_parse(ipv4_response, sizeof(ipv4_response), m), 0);
	assert_int_equal(m->cls, STUN_CLASS_SUCCESS);
	assert_int_equal(m->method, STUN_METHOD_BINDING);
	assert_slice(m->software, "test vector");
	assert_true(m->has_xor_mapped);
	assert_addr(&m->xor_mapped, "192.0.2.1", 32853);
	assert_true(stun_check_integrity(m, ipv4_response, SLICE_LIT(PASSWORD)));
	assert_true(stun_check_fingerprint(m, ipv4_response));
}

static void test_ipv6_response(void **state)
{
	struct env *e = *state;
	struct stun_msg *m = &e->msg;
	assert_int_equal(stun_parse(ipv6_response, sizeof(ipv6_response), m), 0);
	assert_int_equal(m->cls, STUN_CLASS_SUCCESS);
	assert_true(m->has_xor_mapped);
	assert_addr(&m->xor_mapped, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
	assert_true(stun_check_integrity(m, ipv6_response, SLICE_LIT(PASSWORD)));
	assert_true(stun_check_fingerprint(m, ipv6_response));
}

static void test_long_term_request(void **state)
{
	struct env *e = *state;
	struct stun_msg *m = &e->msg;
	uint8_t key[16];
	assert_int_equal(stun_parse(long_term_request, sizeof(long_term_request), m), 0);
	assert_slice(m->username, LONG_TERM_USER);
	assert_slice(m->nonce, "f//499k954d6OL34oL9FSTvy64sA");
	assert_slice(m->realm, "example.org");
	assert_int_equal(m->unknown_count, 0);
	assert_int_equal(m->fingerprint_offset, 0);
	assert_false(stun_check_fingerprint(m, long_term_request));

	assert_int_equal(stun_long_term_key(m->username, m->realm, SLICE_LIT("TheMatrIX"), key), 0);
	struct slice k = slice_make((const char *)key, sizeof(key));
	assert_true(stun_check_integrity(m, long_term_request, k));
	assert_false(stun_check_integrity(m, long_term_request, SLICE_LIT("TheMatrIX")));
}

/* SHA-256 integrity is noted, not checked; USERHASH is not ours: a 420. */
static void test_sha256_request(void **state)
{
	struct env *e = *state;
	struct stun_msg *m = &e->msg;
	assert_int_equal(stun_parse(sha256_request, sizeof(sha256_request), m), 0);
	assert_int_equal(m->integrity_sha256_offset, 120);
	assert_int_equal(m->integrity_offset, 0);
	assert_int_equal(m->unknown_count, 1);
	assert_int_equal(m->unknown[0], 0x001e);
	assert_slice(m->realm, "example.org");
	assert_false(stun_check_integrity(m, sha256_request, SLICE_LIT("TheMatrIX")));
}

/* ------------------------------------------------------------- building */

/* The RFC 5769 responses: SOFTWARE, integrity with the password, fingerprint. */
static struct stun_build_opts vector_opts(void)
{
	return (struct stun_build_opts){
		.software = SLICE_LIT("test vector"),
		.key = SLICE_LIT(PASSWORD),
		.fingerprint = true,
	};
}

static void test_build_ipv4_response(void **state)
{
	struct env *e = *state;
	const struct stun_build_opts opts = vector_opts();
	struct netaddr a;
	assert_int_equal(netaddr_set_cstr(&a, "192.0.2.1", 32853), 0);
	assert_int_equal(stun_build_binding_success(&e->out, tid_5769, &a, &opts), 0);
	assert_bytes(&e->out, ipv4_response, sizeof(ipv4_response));
}

static void test_build_ipv6_response(void **state)
{
	struct env *e = *state;
	const struct stun_build_opts opts = vector_opts();
	struct netaddr a;
	assert_int_equal(netaddr_set_cstr(&a, "2001:db8:1234:5678:11:2233:4455:6677", 32853), 0);
	assert_int_equal(stun_build_binding_success(&e->out, tid_5769, &a, &opts), 0);
	assert_bytes(&e->out, ipv6_response, sizeof(ipv6_response));
}

static void test_build_request(void **state)
{
	struct env *e = *state;
	struct stun_binding_request req = {
		.username = SLICE_LIT("evtj:h6vY"),
		.priority = 0x6e0001ff,
		.controlling = false,
		.tie_breaker = 0x932ff9b151263b36u,
	};
	memcpy(req.tid, tid_5769, STUN_TID_LEN);
	struct stun_build_opts opts = vector_opts();
	opts.software = SLICE_LIT("STUN test client");
	assert_int_equal(stun_build_binding_request(&e->out, &req, &opts), 0);
	assert_bytes(&e->out, sample_request, sizeof(sample_request));

	/* the other role, nomination, no software: round trip */
	req.controlling = true;
	req.use_candidate = true;
	opts.software = SLICE_NULL;
	mbuf_reset(&e->out);
	assert_int_equal(stun_build_binding_request(&e->out, &req, &opts), 0);
	const uint8_t *b = (const uint8_t *)e->out.data;
	assert_int_equal(stun_parse(b, e->out.len, &e->msg), 0);
	assert_true(e->msg.ice_controlling);
	assert_false(e->msg.ice_controlled);
	assert_true(e->msg.use_candidate);
	assert_true(e->msg.tie_breaker == 0x932ff9b151263b36u);
	assert_false(slice_is_set(e->msg.software));
	assert_true(stun_check_integrity(&e->msg, b, SLICE_LIT(PASSWORD)));
	assert_true(stun_check_fingerprint(&e->msg, b));

	/* usernames are at most 513 bytes */
	char name[514];
	memset(name, 'u', sizeof(name));
	req.username = slice_make(name, sizeof(name));
	assert_int_equal(stun_build_binding_request(&e->out, &req, &opts), EINVAL);
}

/* A message built after other bytes in the buffer covers only itself. */
static void test_build_at_offset(void **state)
{
	struct env *e = *state;
	const struct stun_build_opts opts = vector_opts();
	struct netaddr a;
	mbuf_append_str(&e->out, "xyz");
	assert_int_equal(netaddr_set_cstr(&a, "192.0.2.1", 32853), 0);
	assert_int_equal(stun_build_binding_success(&e->out, tid_5769, &a, &opts), 0);
	assert_int_equal(e->out.len, 3 + sizeof(ipv4_response));
	assert_memory_equal(e->out.data + 3, ipv4_response, sizeof(ipv4_response));

	memset(&a, 0, sizeof(a));
	assert_int_equal(stun_build_binding_success(&e->out, tid_5769, &a, &opts), EINVAL);
}

static void test_build_errors(void **state)
{
	struct env *e = *state;
	const struct stun_build_opts plain = { .fingerprint = true };
	const struct stun_build_opts opts = vector_opts();
	static const struct {
		uint16_t code;
		const char *reason;
	} cases[] = {
		{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 487, "Role Conflict" },
		{ 500, "Server Error" }, { 438, "Error" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mbuf_reset(&e->out);
		assert_int_equal(stun_build_binding_error(&e->out, tid_5769, cases[i].code, NULL, 0,
							  &plain),
				 0);
		const uint8_t *b = (const uint8_t *)e->out.data;
		assert_int_equal(stun_parse(b, e->out.len, &e->msg), 0);
		assert_int_equal(e->msg.cls, STUN_CLASS_ERROR);
		assert_int_equal(e->msg.method, STUN_METHOD_BINDING);
		assert_int_equal(e->msg.error_code, cases[i].code);
		assert_slice(e->msg.error_reason, cases[i].reason);
		assert_false(slice_is_set(e->msg.unknown_attributes));
		assert_int_equal(e->msg.integrity_offset, 0);
		assert_true(stun_check_fingerprint(&e->msg, b));
	}

	/* 420 names the attributes; an odd count is padded */
	static const uint16_t unknown[] = { 0x0003, 0x001e, 0x7777 };
	mbuf_reset(&e->out);
	assert_int_equal(stun_build_binding_error(&e->out, tid_5769, 420, unknown, 3, &opts),
			 0);
	const uint8_t *b = (const uint8_t *)e->out.data;
	assert_int_equal(stun_parse(b, e->out.len, &e->msg), 0);
	assert_int_equal(e->msg.error_code, 420);
	assert_slice(e->msg.error_reason, "Unknown Attribute");
	assert_int_equal(e->msg.unknown_attributes.len, 6);
	assert_memory_equal(e->msg.unknown_attributes.p, "\x00\x03\x00\x1e\x77\x77", 6);
	assert_true(stun_check_integrity(&e->msg, b, SLICE_LIT(PASSWORD)));
	assert_true(stun_check_fingerprint(&e->msg, b));
	assert_slice(e->msg.software, "test vector");

	assert_int_equal(stun_build_binding_error(&e->out, tid_5769, 299, NULL, 0, &plain), EINVAL);
	assert_int_equal(stun_build_binding_error(&e->out, tid_5769, 700, NULL, 0, &plain), EINVAL);
}

/* ------------------------------------------------------------- refusals */

static void test_is_message(void **state)
{
	struct env *e = *state;
	assert_true(stun_is_message(ipv6_response, sizeof(ipv6_response)));
	assert_false(stun_is_message(ipv6_response, STUN_HEADER_LEN - 1));
	assert_false(stun_is_message(ipv6_response, sizeof(ipv6_response) - 4));

	memcpy(e->buf, sample_request, sizeof(sample_request));
	e->buf[7] ^= 1; /* wrong cookie */
	assert_false(stun_is_message(e->buf, sizeof(sample_request)));
	assert_int_equal(stun_parse(e->buf, sizeof(sample_request), &e->msg), EBADMSG);
	e->buf[7] ^= 1;
	e->buf[0] |= 0x80; /* an RTP-looking first byte */
	assert_false(stun_is_message(e->buf, sizeof(sample_request)));
	e->buf[0] = 0x40;
	assert_false(stun_is_message(e->buf, sizeof(sample_request)));

	/* an empty message is one */
	msg_start(e, 0x0001);
	msg_finish(e);
	assert_true(stun_is_message(e->buf, e->len));
	assert_int_equal(parse_buf(e), 0);
}

/* Every shorter datagram is refused, and so is every one whose length
 * field was patched to match: attributes would run past the end. */
static void test_truncations(void **state)
{
	struct env *e = *state;
	const uint8_t *vectors[] = { sample_request, ipv4_response, ipv6_response,
				     long_term_request };
	size_t sizes[] = { sizeof(sample_request), sizeof(ipv4_response), sizeof(ipv6_response),
			   sizeof(long_term_request) };
	for (size_t v = 0; v < 4; v++) {
		for (size_t n = 0; n < sizes[v]; n++) {
			assert_int_equal(stun_parse(vectors[v], n, &e->msg), EBADMSG);
			if (n < STUN_HEADER_LEN || n % 4)
				continue;
			memcpy(e->buf, vectors[v], n);
			e->len = n;
			msg_finish(e);
			int rc = parse_buf(e);
			/* cut between attributes it parses, inside one it must not */
			size_t pos = STUN_HEADER_LEN;
			while (pos < n)
				pos += 4 + ((((size_t)vectors[v][pos + 2] << 8 | vectors[v][pos + 3]) + 3) &
					    ~(size_t)3);
			if (rc != (pos == n ? 0 : EBADMSG))
				fail_msg("vector %zu cut at %zu: %d", v, n, rc);
		}
	}
}

static void test_malformed(void **state)
{
	struct env *e = *state;
	const uint8_t v4[8] = { 0, 1, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43 };

	/* length not a multiple of 4 */
	memcpy(e->buf, ipv4_response, sizeof(ipv4_response));
	e->buf[3] = 0x3b;
	assert_int_equal(stun_parse(e->buf, sizeof(ipv4_response) - 1, &e->msg), EBADMSG);

	/* an attribute whose length runs past the end */
	msg_start(e, 0x0001);
	msg_attr(e, STUN_ATTR_USERNAME, "abcd", 4);
	e->buf[e->len - 5] = 8;
	msg_finish(e);
	assert_int_equal(parse_buf(e), EBADMSG);

	/* attributes are whole words, so only a value can be cut short; an
	 * empty value is fine */
	msg_start(e, 0x0001);
	msg_attr(e, STUN_ATTR_USERNAME, NULL, 0);
	msg_finish(e);
	assert_int_equal(parse_buf(e), 0);
	assert_true(slice_is_set(e->msg.username));
	assert_int_equal(e->msg.username.len, 0);

	/* anything after FINGERPRINT */
	msg_start(e, 0x0001);
	msg_attr(e, STUN_ATTR_FINGERPRINT, "\0\0\0\0", 4);
	msg_attr(e, STUN_ATTR_SOFTWARE, "late", 4);
	msg_finish(e);
	assert_int_equal(parse_buf(e), EBADMSG);
	msg_start(e, 0x0001);
	msg_attr(e, STUN_ATTR_FINGERPRINT, "\0\0\0\0", 4);
	msg_attr(e, STUN_ATTR_FINGERPRINT, "\0\0\0\0", 4);
	msg_finish(e);
	assert_int_equal(parse_buf(e), EBADMSG);

	/* known attributes of the wrong size, and bad values */
	static const struct {
		uint16_t type;
		const char *value;
		size_t len;
	} bad[] = {
		{ STUN_ATTR_PRIORITY, "\0\0\0", 3 },
		{ STUN_ATTR_PRIORITY, "\0\0\0\0\0", 5 },
		{ STUN_ATTR_USE_CANDIDATE, "\0", 1 },
		{ STUN_ATTR_ICE_CONTROLLING, "\0\0\0\0", 4 },
		{ STUN_ATTR_ICE_CONTROLLED, "\0\0\0\0\0\0\0\0\0", 9 },
		{ STUN_ATTR_MESSAGE_INTEGRITY, "\0\0\0\0", 4 },
		{ STUN_ATTR_MESSAGE_INTEGRITY_SHA256, "\0\0\0\0\0\0\0\0\0\0\0\0", 12 },
		{ STUN_ATTR_FINGERPRINT, "\0\0\0\0\0\0\0\0", 8 },
		{ STUN_ATTR_XOR_MAPPED_ADDRESS, "\0\x01\0\0\0\0\0", 7 },
		{ STUN_ATTR_XOR_MAPPED_ADDRESS, "\0\x03\0\0\0\0\0\0", 8 },
		{ STUN_ATTR_XOR_MAPPED_ADDRESS, "\0\x02\0\0\0\0\0\0", 8 },
		{ STUN_ATTR_MAPPED_ADDRESS, "\0\x01\0", 3 },
		{ STUN_ATTR_ERROR_CODE, "\0\0\x04", 3 },
		{ STUN_ATTR_ERROR_CODE, "\0\0\x02\x00", 4 },
		{ STUN_ATTR_ERROR_CODE, "\0\0\x07\x00", 4 },
		{ STUN_ATTR_ERROR_CODE, "\0\0\x04\x64", 4 },
		{ STUN_ATTR_UNKNOWN_ATTRIBUTES, "\0\x03\0", 3 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg_start(e, 0x0001);
		msg_attr(e, bad[i].type, bad[i].value, bad[i].len);
		msg_finish(e);
		if (parse_buf(e) != EBADMSG)
			fail_msg("case %zu (attribute %04x) parsed", i, bad[i].type);
	}

	/* the same values well-formed */
	msg_start(e, 0x0101);
	msg_attr(e, STUN_ATTR_MAPPED_ADDRESS, "\0\x01\x12\x34\x0a\0\0\x01", 8);
	msg_attr(e, STUN_ATTR_XOR_MAPPED_ADDRESS, v4, sizeof(v4));
	msg_attr(e, STUN_ATTR_ERROR_CODE, "\xff\xff\xfc\x01x", 5); /* reserved bits ignored */
	msg_finish(e);
	assert_int_equal(parse_buf(e), 0);
	assert_true(e->msg.has_mapped);
	assert_addr(&e->msg.mapped, "10.0.0.1", 0x1234);
	assert_addr(&e->msg.xor_mapped, "192.0.2.1", 32853);
	assert_int_equal(e->msg.error_code, 401);
	assert_slice(e->msg.error_reason, "x");
}

static void test_integrity_mismatch(void **state)
{
	struct env *e = *state;
	size_t n = sizeof(sample_request);
	/* any changed byte before MESSAGE-INTEGRITY, or in it, breaks it */
	for (size_t i = 0; i < 100; i++) {
		if (i == 2 || i == 3)
			continue; /* the length: would no longer parse */
		memcpy(e->buf, sample_request, n);
		e->buf[i] ^= 0x01;
		if (stun_parse(e->buf, n, &e->msg))
			continue; /* e.g. a type byte now with the top bits set */
		if (stun_check_integrity(&e->msg, e->buf, SLICE_LIT(PASSWORD)))
			fail_msg("byte %zu changed, integrity still good", i);
		if (stun_check_fingerprint(&e->msg, e->buf))
			fail_msg("byte %zu changed, fingerprint still good", i);
	}
	/* a damaged fingerprint leaves the integrity alone */
	memcpy(e->buf, sample_request, n);
	e->buf[n - 1] ^= 0x80;
	assert_int_equal(stun_parse(e->buf, n, &e->msg), 0);
	assert_true(stun_check_integrity(&e->msg, e->buf, SLICE_LIT(PASSWORD)));
	assert_false(stun_check_fingerprint(&e->msg, e->buf));

	/* no integrity at all */
	msg_start(e, 0x0001);
	msg_attr(e, STUN_ATTR_USERNAME, "a:b", 3);
	msg_finish(e);
	assert_int_equal(parse_buf(e), 0);
	assert_false(stun_check_integrity(&e->msg, e->buf, SLICE_LIT(PASSWORD)));
	assert_false(stun_check_fingerprint(&e->msg, e->buf));
}

/* Unknown comprehension-required attributes are listed for the 420; the
 * optional ones (0x8000 and up) are not; duplicates count once (the first). */
static void test_unknown_and_duplicates(void **state)
{
	struct env *e = *state;
	msg_start(e, 0x0001);
	msg_attr(e, 0x0003, "\0\0\0\0", 4); /* CHANGE-REQUEST (RFC 5780) */
	msg_attr(e, 0x8055, "zz", 2);
	msg_attr(e, STUN_ATTR_PRIORITY, "\0\0\0\x01", 4);
	msg_attr(e, STUN_ATTR_PRIORITY, "\0\0\0\x02", 4);
	msg_attr(e, STUN_ATTR_USERNAME, "first", 5);
	msg_attr(e, STUN_ATTR_USERNAME, "second", 6);
	msg_attr(e, STUN_ATTR_ICE_CONTROLLING, "\0\0\0\0\0\0\0\x07", 8);
	msg_attr(e, STUN_ATTR_ICE_CONTROLLED, "\0\0\0\0\0\0\0\x08", 8);
	msg_attr(e, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	for (uint16_t t = 0x7000; t < 0x7000 + STUN_MAX_UNKNOWN; t++)
		msg_attr(e, t, NULL, 0);
	msg_finish(e);
	assert_int_equal(parse_buf(e), 0);
	assert_int_equal(e->msg.unknown_count, STUN_MAX_UNKNOWN);
	assert_int_equal(e->msg.unknown[0], 0x0003);
	assert_int_equal(e->msg.unknown[1], 0x7000);
	assert_int_equal(e->msg.priority, 1);
	assert_slice(e->msg.username, "first");
	assert_true(e->msg.ice_controlling);
	assert_false(e->msg.ice_controlled);
	assert_true(e->msg.tie_breaker == 7);
	assert_true(e->msg.use_candidate);
}

/* After MESSAGE-INTEGRITY only FINGERPRINT (and the SHA-256 integrity)
 * count: the rest is ignored, unknown or not, and the integrity holds. */
static void test_after_integrity(void **state)
{
	struct env *e = *state;
	struct stun_binding_request req = { .username = SLICE_LIT("a:b"), .priority = 5 };
	const struct stun_build_opts opts = { .key = SLICE_LIT(PASSWORD) };
	assert_int_equal(stun_build_binding_request(&e->out, &req, &opts), 0);
	memcpy(e->buf, e->out.data, e->out.len);
	e->len = e->out.len;
	msg_attr(e, STUN_ATTR_PRIORITY, "\0\0\0\x09", 4);
	msg_attr(e, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	msg_attr(e, 0x0003, "\0\0\0\0", 4);
	msg_attr(e, STUN_ATTR_PRIORITY, "\0\0", 2); /* malformed, but ignored */
	msg_finish(e);
	assert_int_equal(parse_buf(e), 0);
	assert_int_equal(e->msg.priority, 5);
	assert_false(e->msg.use_candidate);
	assert_int_equal(e->msg.unknown_count, 0);
	assert_true(stun_check_integrity(&e->msg, e->buf, SLICE_LIT(PASSWORD)));
	assert_false(stun_check_fingerprint(&e->msg, e->buf));
}

int main(void)
{
	/* OpenSSL sets up state on first use and keeps it: do that before the
	 * per-test memory accounting starts. */
	struct stun_msg m;
	uint8_t key[16];
	if (stun_parse(sample_request, sizeof(sample_request), &m) ||
	    !stun_check_integrity(&m, sample_request, SLICE_LIT(PASSWORD)) ||
	    stun_long_term_key(SLICE_LIT("u"), SLICE_LIT("r"), SLICE_LIT("p"), key))
		return 1;

#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(test_type),
		T(test_sample_request),
		T(test_ipv4_response),
		T(test_ipv6_response),
		T(test_long_term_request),
		T(test_sha256_request),
		T(test_build_ipv4_response),
		T(test_build_ipv6_response),
		T(test_build_request),
		T(test_build_at_offset),
		T(test_build_errors),
		T(test_is_message),
		T(test_truncations),
		T(test_malformed),
		T(test_integrity_mismatch),
		T(test_unknown_and_duplicates),
		T(test_after_integrity),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
