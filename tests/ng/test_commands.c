/*
 * test_commands.c - ng offers and answers (ng/commands.h) bridging a
 * browser and a plain phone (session/profile.h): the SDP each side gets, and the security the
 * endpoint facing the browser was given, seen from the wire: binding
 * requests keyed with the pwd of our SDP are answered (stun.h), and the
 * endpoint opens DTLS only when the browser's a=setup makes it the client.
 * The engine runs on 127.0.0.1, ports 43000-43099 (test_engine.c has
 * 41000-41099, test_engine_secure.c 42000-42099).
 *
 * Cases: browser offers (transport-protocol RTP/AVP, ICE remove, DTLS off,
 * rtcp-mux demux towards the phone), phone answers (UDP/TLS/RTP/SAVPF, ICE
 * force towards the browser: setup passive, we are the DTLS server); phone
 * offers (setup actpass), browser answers setup passive (we are the
 * client); an answer without flags to a browser's offer is WebRTC; a plain
 * call without flags keeps its SDP as before.
 */
#include "core/mem.h"
#include "media/engine.h"
#include "ice/stun.h"
#include "ng/commands.h"
#include "ng/ng.h"
#include "sdp/sdp.h"
#include "session/session.h"
#include "leakcheck.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#define PORT_MIN 43000
#define PORT_MAX 43099
#define WAIT_MS 2000
#define SILENCE_MS 200
#define BROWSER_UFRAG "brws"

struct env {
	struct media_engine *engine;
	struct session_table *calls;
	int browser, phone; /* sockets */
	uint16_t browser_port, phone_port;
	struct mbuf reply;
	char sdp[8192]; /* the SDP of the last reply */
	unsigned cookie;
};

static int env_init(void *state)
{
	struct env *e = state;
	struct media_engine_settings s;
	struct netaddr none = { 0 }, bind4, addr;

	media_engine_settings_default(&s);
	s.workers = 1;
	s.port_min = PORT_MIN;
	s.port_max = PORT_MAX;
	netaddr_set_cstr(&s.bind4, "127.0.0.1", 0);
	bind4 = s.bind4;
	struct session_settings ss = { .advertised = none, .bind = bind4 };
	if (media_engine_create(&e->engine, &s) || media_engine_start(e->engine))
		return -1;
	ss.engine = e->engine;
	if (session_table_create(&e->calls, &ss))
		return -1;
	int *fds[2] = { &e->browser, &e->phone };
	uint16_t *ports[2] = { &e->browser_port, &e->phone_port };
	for (int i = 0; i < 2; i++) {
		netaddr_set_cstr(&addr, "127.0.0.1", 0);
		*fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (*fds[i] < 0 || bind(*fds[i], &addr.u.sa, addr.len))
			return -1;
		addr.len = sizeof(addr.u.storage);
		getsockname(*fds[i], &addr.u.sa, &addr.len);
		*ports[i] = netaddr_port(&addr);
	}
	mbuf_init(&e->reply);
	return 0;
}

static void env_fini(void *state)
{
	struct env *e = state;

	session_table_destroy(e->calls);
	media_engine_destroy(e->engine);
	close(e->browser);
	close(e->phone);
	mbuf_free(&e->reply);
}

static const struct leak_fixture env_fixture = { sizeof(struct env), env_init, env_fini };

/* ------------------------------------------------------------ helpers */

static void browser_sdp(char *buf, size_t size, uint16_t port, const char *setup)
{
	snprintf(buf, size,
		 "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
		 "a=group:BUNDLE 0\r\n"
		 "m=audio %u UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\n"
		 "a=rtcp:9 IN IP4 0.0.0.0\r\n"
		 "a=candidate:1 1 udp 2122260223 127.0.0.1 %u typ host generation 0\r\n"
		 "a=ice-ufrag:" BROWSER_UFRAG "\r\na=ice-pwd:browserpasswordbrowserpw\r\n"
		 "a=ice-options:trickle\r\n"
		 "a=fingerprint:sha-256 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:"
		 "10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F\r\n"
		 "a=setup:%s\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\n"
		 "a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n",
		 port, port, setup);
}

static void phone_sdp(char *buf, size_t size, uint16_t port)
{
	snprintf(buf, size,
		 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=phone\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 111 0\r\na=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n",
		 port);
}

/* Run one command; its keys and string values in pairs, NULL-terminated
 * (a value "[x" is the list ["x"]). The reply's SDP lands in e->sdp. */
static void command(struct env *e, const char *name, ...)
{
	struct bencode_node nodes[NG_MAX_NODES], reply_nodes[NG_MAX_NODES], *root;
	struct ng_message msg;
	struct ng_request req;
	struct bencode_error err;
	const char *reason = NULL;
	struct mbuf in;
	char cookie[16];
	va_list ap;

	mbuf_init(&in);
	snprintf(cookie, sizeof(cookie), "%u ", ++e->cookie);
	mbuf_append(&in, cookie, strlen(cookie));
	bencode_dict_begin(&in);
	bencode_put_str(&in, "command");
	bencode_put_str(&in, name);
	va_start(ap, name);
	for (const char *key; (key = va_arg(ap, const char *));) {
		const char *value = va_arg(ap, const char *);
		bencode_put_str(&in, key);
		if (value[0] == '[') {
			bencode_list_begin(&in);
			bencode_put_str(&in, value + 1);
			bencode_list_end(&in);
		} else {
			bencode_put_str(&in, value);
		}
	}
	va_end(ap);
	bencode_dict_end(&in);
	assert_false(mbuf_failed(&in));
	assert_int_equal(ng_parse((const char *)in.data, in.len, nodes, NG_MAX_NODES, &msg, &err), 0);
	assert_int_equal(ng_request_parse(&msg, &req, &reason), 0);
	mbuf_reset(&e->reply);
	ng_command_offer_answer(e->calls, &msg, &req, !strcmp(name, "offer"), &e->reply);
	mbuf_free(&in);

	const char *body = memchr(e->reply.data, ' ', e->reply.len);
	assert_non_null(body);
	body++;
	assert_int_equal(bencode_decode(body, e->reply.len - (size_t)(body - (char *)e->reply.data),
					reply_nodes, NG_MAX_NODES, &root, &err),
			 0);
	struct slice result = bencode_dict_get_str(root, "result");
	struct slice sdp = bencode_dict_get_str(root, "sdp");
	if (!slice_eq_cstr(result, "ok"))
		fail_msg("%s: %.*s", name, (int)e->reply.len, (const char *)e->reply.data);
	assert_int_equal(slice_to_cstr(sdp, e->sdp, sizeof(e->sdp)), 0);
}

static bool has(const struct env *e, const char *text)
{
	return strstr(e->sdp, text) != NULL;
}

/* The value of "a=<name>:" in e->sdp, into buf. */
static void attr_value(const struct env *e, const char *name, char *buf, size_t size)
{
	char key[64];
	snprintf(key, sizeof(key), "a=%s:", name);
	const char *p = strstr(e->sdp, key);
	if (!p)
		fail_msg("no %s in\n%s", key, e->sdp);
	p += strlen(key);
	size_t n = strcspn(p, "\r\n");
	assert_true(n < size);
	memcpy(buf, p, n);
	buf[n] = '\0';
}

static uint16_t audio_port(const struct env *e)
{
	const char *p = strstr(e->sdp, "m=audio ");
	assert_non_null(p);
	return (uint16_t)strtoul(p + 8, NULL, 10);
}

static void assert_plain(const struct env *e)
{
	if (!has(e, " RTP/AVP 111 0\r\n") || has(e, "a=ice-") || has(e, "a=candidate") ||
	    has(e, "a=fingerprint") || has(e, "a=setup") || has(e, "a=end-of-candidates"))
		fail_msg("not plain:\n%s", e->sdp);
}

/* The WebRTC checks; our ufrag and pwd into the buffers, the port back. */
static uint16_t assert_webrtc(const struct env *e, const char *setup, char *ufrag, char *pwd)
{
	char value[256], expected[128];
	uint16_t port = audio_port(e);

	if (!has(e, " UDP/TLS/RTP/SAVPF 111 0\r\n") || !has(e, "a=ice-lite\r\n") ||
	    !has(e, "a=rtcp-mux\r\n") || !has(e, "a=end-of-candidates\r\n"))
		fail_msg("not WebRTC:\n%s", e->sdp);
	attr_value(e, "ice-ufrag", ufrag, MEDIA_ICE_UFRAG_MAX + 1);
	attr_value(e, "ice-pwd", pwd, MEDIA_ICE_PWD_MAX + 1);
	assert_string_not_equal(ufrag, BROWSER_UFRAG);
	attr_value(e, "candidate", value, sizeof(value));
	snprintf(expected, sizeof(expected), "1 1 udp 2130706431 127.0.0.1 %u typ host", port);
	assert_string_equal(value, expected);
	assert_int_equal(strstr(strstr(e->sdp, "a=candidate:") + 1, "a=candidate:"), NULL);
	attr_value(e, "fingerprint", value, sizeof(value));
	assert_int_equal(strncmp(value, "sha-256 ", 8), 0);
	assert_null(strstr(value, "00:01:02:03"));
	attr_value(e, "setup", value, sizeof(value));
	assert_string_equal(value, setup);
	return port;
}

/* A browser's binding request to port, keyed with pwd: true when a
 * success came back whose integrity verifies with it. */
static bool stun_ok(struct env *e, uint16_t port, const char *ufrag, const char *pwd)
{
	char username[2 * MEDIA_ICE_UFRAG_MAX + 2];
	struct stun_binding_request req = {
		.priority = 0x6e7f1eff,
		.controlling = true,
		.tie_breaker = 0x1234567890abcdefull,
		.use_candidate = true,
	};
	struct stun_build_opts opts = { .key = slice_from_cstr(pwd), .fingerprint = true };
	struct netaddr to;
	struct stun_msg reply;
	struct pollfd pfd = { .fd = e->browser, .events = POLLIN };
	uint8_t buf[2048];
	struct mbuf out;
	ssize_t n;

	snprintf(username, sizeof(username), "%s:%s", ufrag, BROWSER_UFRAG);
	req.username = slice_from_cstr(username);
	memset(req.tid, 0x5a, sizeof(req.tid));
	mbuf_init(&out);
	assert_int_equal(stun_build_binding_request(&out, &req, &opts), 0);
	netaddr_set_cstr(&to, "127.0.0.1", port);
	assert_true(sendto(e->browser, out.data, out.len, 0, &to.u.sa, to.len) == (ssize_t)out.len);
	mbuf_free(&out);
	if (poll(&pfd, 1, WAIT_MS) != 1)
		return false;
	n = recv(e->browser, buf, sizeof(buf), 0);
	return n > 0 && stun_parse(buf, (size_t)n, &reply) == 0 && reply.cls == STUN_CLASS_SUCCESS &&
	       stun_check_integrity(&reply, buf, slice_from_cstr(pwd));
}

/* The first byte of the next datagram to the browser within ms, or -1. */
static int next_byte(struct env *e, int ms)
{
	struct pollfd pfd = { .fd = e->browser, .events = POLLIN };
	uint8_t buf[2048];

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	return recv(e->browser, buf, sizeof(buf), 0) > 0 ? buf[0] : -1;
}

/* ------------------------------------------------------------ cases */

static void browser_offers(void **state)
{
	struct env *e = *state;
	char sdp[2048], ufrag[MEDIA_ICE_UFRAG_MAX + 1], pwd[MEDIA_ICE_PWD_MAX + 1];

	browser_sdp(sdp, sizeof(sdp), e->browser_port, "actpass");
	command(e, "offer", "call-id", "w1", "from-tag", "browser", "sdp", sdp,
		"transport-protocol", "RTP/AVP", "ICE", "remove", "DTLS", "off", "rtcp-mux", "[demux",
		NULL);
	assert_plain(e);
	assert_false(has(e, "a=rtcp-mux"));
	assert_true(has(e, "a=rtpmap:111 opus/48000/2"));
	/* the phone gets no BUNDLE or mid: WebRTC's alone */
	assert_false(has(e, "a=group:BUNDLE"));
	assert_false(has(e, "a=mid:"));

	phone_sdp(sdp, sizeof(sdp), e->phone_port);
	command(e, "answer", "call-id", "w1", "from-tag", "browser", "to-tag",
		"phone", "sdp", sdp, "transport-protocol", "UDP/TLS/RTP/SAVPF", "ICE", "force", NULL);
	uint16_t port = assert_webrtc(e, "passive", ufrag, pwd);
	/* the browser's mid comes back, bundled (Chrome refuses an answer
	 * that drops either) */
	assert_true(has(e, "a=group:BUNDLE 0\r\n"));
	assert_true(has(e, "a=mid:0\r\n"));

	assert_false(stun_ok(e, port, ufrag, "not-our-password-at-all"));
	assert_true(stun_ok(e, port, ufrag, pwd));
	assert_int_equal(next_byte(e, SILENCE_MS), -1); /* the DTLS server waits */
}

static void phone_offers(void **state)
{
	struct env *e = *state;
	char sdp[2048], ufrag[MEDIA_ICE_UFRAG_MAX + 1], pwd[MEDIA_ICE_PWD_MAX + 1];

	phone_sdp(sdp, sizeof(sdp), e->phone_port);
	command(e, "offer", "call-id", "w2", "from-tag", "phone", "sdp", sdp,
		"transport-protocol", "UDP/TLS/RTP/SAVPF", "ICE", "force", NULL);
	uint16_t port = assert_webrtc(e, "actpass", ufrag, pwd);
	/* a phone's SDP has no mid: the browser gets one, bundled (max-bundle) */
	assert_true(has(e, "a=group:BUNDLE 0\r\n"));
	assert_true(has(e, "a=mid:0\r\n"));

	browser_sdp(sdp, sizeof(sdp), e->browser_port, "passive");
	command(e, "answer", "call-id", "w2", "from-tag", "phone", "to-tag",
		"browser", "sdp", sdp, "transport-protocol", "RTP/AVP", "ICE", "remove", NULL);
	assert_plain(e);
	assert_false(has(e, "a=rtcp-mux")); /* the phone did not offer it */

	assert_true(stun_ok(e, port, ufrag, pwd));
	assert_int_equal(next_byte(e, WAIT_MS), 22); /* our ClientHello */
}

static void answer_without_flags_mirrors_the_offer(void **state)
{
	struct env *e = *state;
	char sdp[2048], ufrag[MEDIA_ICE_UFRAG_MAX + 1], pwd[MEDIA_ICE_PWD_MAX + 1];

	browser_sdp(sdp, sizeof(sdp), e->browser_port, "active");
	command(e, "offer", "call-id", "w3", "from-tag", "browser", "sdp", sdp,
		"ICE", "remove", NULL);
	assert_plain(e);
	assert_true(has(e, "a=rtcp-mux"));
	phone_sdp(sdp, sizeof(sdp), e->phone_port);
	command(e, "answer", "call-id", "w3", "to-tag", "phone", "sdp", sdp, NULL);
	assert_webrtc(e, "passive", ufrag, pwd);
}

static void plain_call_unchanged(void **state)
{
	struct env *e = *state;
	char sdp[2048];

	phone_sdp(sdp, sizeof(sdp), e->phone_port);
	command(e, "offer", "call-id", "w4", "from-tag", "a", "sdp", sdp, NULL);
	assert_true(has(e, " RTP/AVP 111 0\r\n"));
	assert_false(has(e, "a=ice-") || has(e, "a=setup") || has(e, "a=rtcp-mux"));
	command(e, "answer", "call-id", "w4", "to-tag", "b", "sdp", sdp, NULL);
	assert_true(has(e, " RTP/AVP 111 0\r\n"));
	assert_false(has(e, "a=ice-") || has(e, "a=setup"));
}

/* What OpenSSL and the engine keep for good (the certificate's
 * one-time tables, thread state) is taken before the first measurement. */
static int warm_up(void **state)
{
	(void)state;
	return leak_warm_up(&env_fixture, phone_offers);
}

int main(void)
{
#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(browser_offers),
		T(phone_offers),
		T(answer_without_flags_mirrors_the_offer),
		T(plain_call_unchanged),
	};
#undef T
	return cmocka_run_group_tests(tests, warm_up, NULL);
}
