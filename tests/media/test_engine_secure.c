/*
 * test_engine_secure.c - the media engine bridging a secure endpoint W
 * (a browser's: ICE-lite and DTLS-SRTP, or SDES) and a plain one P (a
 * phone's). The test plays the browser with our own modules over a UDP
 * socket: binding requests with its credentials (stun.h), a DTLS client
 * with its own certificate (dtls.h), and SRTP keyed from that handshake
 * (srtp.h); a second socket plays the phone. All on loopback, on ports
 * 42000-42099 (test_engine.c has 41000-41099).
 *
 * Cases: the DTLS-SRTP round trip (W's address learned from STUN, media
 * dropped before the keys, both directions byte for byte, tampered and
 * replayed packets counted and not forwarded); W as the DTLS client;
 * credentials that are wrong (401, nothing latched); SDES both ways;
 * settings refused.
 *
 * Every wait is a poll() with a timeout. Every test checks that it gave
 * back all the memory it took; the group setup runs the scenarios once
 * first so that what OpenSSL keeps for good is taken before the first
 * measurement.
 */
#include "dtls/dtls.h"
#include "media/engine.h"
#include "rtp/rtp.h"
#include "srtp/srtp.h"
#include "ice/stun.h"
#include "core/mem.h"
#include "leakcheck.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>

#define PORT_MIN 42000
#define PORT_MAX 42099
#define WAIT_MS 2000
#define SILENCE_MS 150
#include "media/engine_peer.h" /* after WAIT_MS, SILENCE_MS */

#define PAYLOAD_LEN 160
#define PACKET_MAX 2048
#define BROWSER_UFRAG "brws"
#define W 0 /* the browser's endpoint */
#define P 1 /* the phone's endpoint */

static struct dtls_cert *browser_cert;

/* ------------------------------------------------------------- fixture */

struct peer {
	int fd;
	struct netaddr addr;
};

struct env {
	struct media_engine *engine;
	struct media_call *call;
	struct media_endpoint_info ep[2];
	struct media_local_security local; /* W's */
	struct peer browser, phone;
	struct dtls_conn *dtls;    /* the browser's */
	struct srtp_session *srtp; /* the browser's */
	struct mbuf buf;
};

static void peer_open(struct peer *p)
{
	assert_int_equal(netaddr_set_cstr(&p->addr, "127.0.0.1", 0), 0);
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(p->fd >= 0);
	assert_int_equal(bind(p->fd, &p->addr.u.sa, p->addr.len), 0);
	p->addr.len = sizeof(p->addr.u.storage);
	assert_int_equal(getsockname(p->fd, &p->addr.u.sa, &p->addr.len), 0);
}

static void peer_close(struct peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/* Engine, one call, W and P bridged. P's remote is the phone; W's is not
 * known (the browser's SDP has an mDNS candidate) unless w_remote. */
static void env_start(struct env *e, bool w_remote)
{
	struct media_engine_settings s;
	media_engine_settings_default(&s);
	s.workers = 1;
	s.port_min = PORT_MIN;
	s.port_max = PORT_MAX;
	netaddr_set_cstr(&s.bind4, "127.0.0.1", 0);
	assert_int_equal(media_engine_create(&e->engine, &s), 0);
	assert_int_equal(media_engine_start(e->engine), 0);
	assert_int_equal(media_call_create(e->engine, "secure-1", &e->call), 0);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(media_endpoint_create(e->call, AF_INET, &e->ep[i]), 0);
	peer_open(&e->browser);
	peer_open(&e->phone);
	struct media_remote rw = { .rtcp_mux = true };
	struct media_remote rp = { .rtp = e->phone.addr, .rtcp = e->phone.addr, .rtcp_mux = true };
	if (w_remote)
		rw.rtp = rw.rtcp = e->browser.addr;
	assert_int_equal(media_endpoint_set_remote(e->call, W, &rw), 0);
	assert_int_equal(media_endpoint_set_remote(e->call, P, &rp), 0);
	assert_int_equal(media_endpoints_bridge(e->call, W, P), 0);
	assert_int_equal(media_endpoint_get_local_security(e->call, W, &e->local), 0);
}

static int env_init(void *state)
{
	struct env *e = state;
	e->browser.fd = e->phone.fd = -1;
	mbuf_init(&e->buf);
	return 0;
}

static void env_fini(void *state)
{
	struct env *e = state;
	e->dtls = mem_deref(e->dtls);
	e->srtp = mem_deref(e->srtp);
	e->call = mem_deref(e->call);
	media_engine_destroy(e->engine);
	peer_close(&e->browser);
	peer_close(&e->phone);
	mbuf_free(&e->buf);
}

static const struct leak_fixture env_fixture = { sizeof(struct env), env_init, env_fini };

/* ------------------------------------------------------------- packets */

static size_t rtp_build(uint8_t *buf, uint16_t seq, uint32_t ssrc)
{
	buf[0] = 0x80;
	buf[1] = 0; /* PCMU */
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	uint32_t words[2] = { htonl(160u * seq), htonl(ssrc) };
	memcpy(buf + 4, words, sizeof(words));
	for (size_t i = 0; i < PAYLOAD_LEN; i++)
		buf[12 + i] = (uint8_t)(seq * 7 + i);
	return 12 + PAYLOAD_LEN;
}

/* The browser protects RTP packet seq and sends it to W; P's phone must
 * get it back plain. */
static void browser_to_phone(struct env *e, uint16_t seq)
{
	uint8_t buf[PACKET_MAX], want[PACKET_MAX];
	size_t len = rtp_build(buf, seq, 0xb0b);
	size_t want_len = rtp_build(want, seq, 0xb0b);
	assert_int_equal(srtp_session_protect_rtp(e->srtp, buf, &len, sizeof(buf)), 0);
	assert_true(len > want_len);
	send_to(e->browser.fd, &e->ep[W].rtp, buf, len);
	ssize_t n = recv_within(e->phone.fd, buf, sizeof(buf), NULL, WAIT_MS);
	if (n < 0)
		fail_msg("RTP %u did not reach the phone", seq);
	assert_int_equal(n, want_len);
	assert_memory_equal(buf, want, want_len);
}

/* The phone sends plain RTP packet seq to P; the browser must get it as
 * SRTP that its session unprotects to the same bytes. */
static void phone_to_browser(struct env *e, uint16_t seq)
{
	uint8_t buf[PACKET_MAX], want[PACKET_MAX];
	size_t want_len = rtp_build(want, seq, 0xf0e);
	send_to(e->phone.fd, &e->ep[P].rtp, want, want_len);
	ssize_t n = recv_within(e->browser.fd, buf, sizeof(buf), NULL, WAIT_MS);
	if (n < 0)
		fail_msg("RTP %u did not reach the browser", seq);
	assert_true((size_t)n > want_len);
	size_t len = (size_t)n;
	assert_int_equal(srtp_session_unprotect_rtp(e->srtp, buf, &len), 0);
	assert_int_equal(len, want_len);
	assert_memory_equal(buf, want, want_len);
}

/* ------------------------------------------------------------- browser */

/* W as DTLS server (a=setup:passive), or as client when engine_client,
 * for a browser whose ICE ufrag is ufrag. */
static void set_dtls_security_ufrag(struct env *e, bool engine_client, const char *ufrag)
{
	struct media_security sec = { .mode = MEDIA_SECURITY_DTLS_SRTP, .dtls_client = engine_client };
	snprintf(sec.remote_ufrag, sizeof(sec.remote_ufrag), "%s", ufrag);
	strcpy(sec.remote_pwd, "browserbrowserbrowserpw");
	snprintf(sec.remote_fingerprint, sizeof(sec.remote_fingerprint), "%s",
		 dtls_cert_fingerprint(browser_cert));
	assert_int_equal(media_endpoint_set_security(e->call, W, &sec), 0);
}

static void set_dtls_security(struct env *e, bool engine_client)
{
	set_dtls_security_ufrag(e, engine_client, BROWSER_UFRAG);
}

/* A binding request from the browser (ICE ufrag ufrag) to W, keyed with
 * pwd; the reply. */
static void stun_check_as(struct env *e, const char *ufrag, const char *pwd, uint8_t seed,
			  struct stun_msg *reply, uint8_t *reply_buf)
{
	char username[2 * MEDIA_ICE_UFRAG_MAX + 2];
	snprintf(username, sizeof(username), "%s:%s", e->local.ufrag, ufrag);
	struct stun_binding_request req = {
		.username = slice_from_cstr(username),
		.priority = 0x6e7f1eff,
		.controlling = true,
		.tie_breaker = 0x1234567890abcdefull,
		.use_candidate = true,
	};
	for (unsigned i = 0; i < STUN_TID_LEN; i++)
		req.tid[i] = (uint8_t)(seed + i);
	struct stun_build_opts opts = { .key = slice_from_cstr(pwd), .fingerprint = true };
	mbuf_reset(&e->buf);
	assert_int_equal(stun_build_binding_request(&e->buf, &req, &opts), 0);
	send_to(e->browser.fd, &e->ep[W].rtp, e->buf.data, e->buf.len);

	ssize_t n = recv_within(e->browser.fd, reply_buf, PACKET_MAX, NULL, WAIT_MS);
	if (n < 0)
		fail_msg("no answer to the binding request");
	assert_int_equal(stun_parse(reply_buf, (size_t)n, reply), 0);
	assert_memory_equal(reply->tid, req.tid, STUN_TID_LEN);
	assert_true(stun_check_fingerprint(reply, reply_buf));
}

static void stun_check(struct env *e, const char *pwd, uint8_t seed, struct stun_msg *reply,
		       uint8_t *reply_buf)
{
	stun_check_as(e, BROWSER_UFRAG, pwd, seed, reply, reply_buf);
}

/* The browser's DTLS side (client unless W is) against W until connected
 * (bounded), then, once W has its keys, the browser's SRTP session from
 * the exported ones. */
static void browser_handshake(struct env *e, enum dtls_role role)
{
	uint8_t buf[PACKET_MAX];
	assert_int_equal(dtls_conn_alloc(&e->dtls, browser_cert, role,
					 slice_from_cstr(e->local.fingerprint)),
			 0);
	assert_int_equal(dtls_conn_start(e->dtls), 0);
	for (int round = 0; round < 200; round++) {
		while (dtls_conn_take_output(e->dtls, &e->buf) == 0)
			send_to(e->browser.fd, &e->ep[W].rtp, e->buf.data, e->buf.len);
		if (dtls_conn_state(e->dtls) != DTLS_STATE_HANDSHAKING)
			break;
		long t = dtls_conn_timeout_ms(e->dtls);
		ssize_t n = recv_within(e->browser.fd, buf, sizeof(buf), NULL,
					t < 0 || t > 100 ? 100 : (int)t);
		if (n > 0 && media_demux(buf, (size_t)n) == MEDIA_PACKET_DTLS)
			assert_int_equal(dtls_conn_receive(e->dtls, buf, (size_t)n), 0);
		else
			dtls_conn_handle_timeout(e->dtls);
	}
	assert_int_equal(dtls_conn_state(e->dtls), DTLS_STATE_CONNECTED);
	struct media_call_stats st;
	STATS_UNTIL(e->call, st, st.endpoints[W].srtp_ready);
	struct srtp_keys keys;
	assert_int_equal(dtls_conn_keys(e->dtls, &keys), 0);
	assert_int_equal(srtp_session_alloc(&e->srtp, &keys), 0);
}

/* ------------------------------------------------------------- tests */

static void test_dtls_srtp(void **state)
{
	struct env *e = *state;
	struct media_call_stats st;
	uint8_t reply_buf[PACKET_MAX];
	struct stun_msg reply;
	env_start(e, false);
	assert_true(strlen(e->local.ufrag) >= 4 && strlen(e->local.pwd) >= 22);
	assert_true(strncmp(e->local.fingerprint, "sha-256 ", 8) == 0);
	set_dtls_security(e, false);

	/* ICE-lite: answered with integrity by W's pwd, the browser's
	 * address learned from the request */
	stun_check(e, e->local.pwd, 1, &reply, reply_buf);
	assert_int_equal(reply.cls, STUN_CLASS_SUCCESS);
	assert_true(stun_check_integrity(&reply, reply_buf, slice_from_cstr(e->local.pwd)));
	assert_true(reply.has_xor_mapped);
	assert_true(netaddr_eq(&reply.xor_mapped, &e->browser.addr));
	assert_int_equal(media_call_stats(e->call, &st), 0);
	assert_true(st.endpoints[W].latched);
	assert_true(netaddr_eq(&st.endpoints[W].remote_rtp, &e->browser.addr));
	assert_int_equal(st.endpoints[W].stun_answered, 1);
	assert_true(st.endpoints[W].consent_age_ms >= 0);
	assert_false(st.endpoints[W].srtp_ready);

	/* no keys yet: the phone's media is dropped, not sent in clear */
	uint8_t pkt[PACKET_MAX];
	send_to(e->phone.fd, &e->ep[P].rtp, pkt, rtp_build(pkt, 1, 0xf0e));
	STATS_UNTIL(e->call, st, st.endpoints[P].dropped_unsecured == 1);
	expect_silence(e->browser.fd);

	browser_handshake(e, DTLS_ROLE_CLIENT);
	assert_int_equal(media_call_stats(e->call, &st), 0);
	assert_false(st.endpoints[W].dtls_failed);

	for (uint16_t seq = 100; seq < 110; seq++)
		browser_to_phone(e, seq);
	for (uint16_t seq = 200; seq < 210; seq++)
		phone_to_browser(e, seq);

	/* tampered: an authentication failure, not forwarded */
	size_t len = rtp_build(pkt, 110, 0xb0b);
	assert_int_equal(srtp_session_protect_rtp(e->srtp, pkt, &len, sizeof(pkt)), 0);
	pkt[20] ^= 0x01;
	send_to(e->browser.fd, &e->ep[W].rtp, pkt, len);
	STATS_UNTIL(e->call, st, st.endpoints[W].srtp_auth_failures == 1);
	expect_silence(e->phone.fd);

	/* replayed: forwarded once, then counted */
	len = rtp_build(pkt, 111, 0xb0b);
	assert_int_equal(srtp_session_protect_rtp(e->srtp, pkt, &len, sizeof(pkt)), 0);
	send_to(e->browser.fd, &e->ep[W].rtp, pkt, len);
	send_to(e->browser.fd, &e->ep[W].rtp, pkt, len);
	assert_true(recv_within(e->phone.fd, pkt, sizeof(pkt), NULL, WAIT_MS) > 0);
	STATS_UNTIL(e->call, st, st.endpoints[W].srtp_replays == 1);
	expect_silence(e->phone.fd);

	assert_int_equal(st.endpoints[W].srtp_auth_failures, 1);
	assert_int_equal(st.endpoints[P].packets_sent, 11);
}

static void test_wrong_password(void **state)
{
	struct env *e = *state;
	struct media_call_stats st;
	uint8_t reply_buf[PACKET_MAX];
	struct stun_msg reply;
	env_start(e, false);
	set_dtls_security(e, false);

	stun_check(e, "not-the-password-at-all", 7, &reply, reply_buf);
	assert_int_equal(reply.cls, STUN_CLASS_ERROR);
	assert_int_equal(reply.error_code, 401);
	assert_int_equal(media_call_stats(e->call, &st), 0);
	assert_false(st.endpoints[W].latched);
	assert_int_equal(netaddr_family(&st.endpoints[W].remote_rtp), 0);
	assert_int_equal(st.endpoints[W].stun_answered, 0);
	assert_int_equal(st.endpoints[W].stun_rejected, 1);
	assert_int_equal(st.endpoints[W].consent_age_ms, -1);

	/* nothing latched: the phone's media has nowhere to go */
	uint8_t pkt[PACKET_MAX];
	send_to(e->phone.fd, &e->ep[P].rtp, pkt, rtp_build(pkt, 1, 0xf0e));
	STATS_UNTIL(e->call, st, st.endpoints[P].dropped_unroutable == 1);
	expect_silence(e->browser.fd);
}

/* W as the DTLS client: it starts once the first valid check came. */
static void test_dtls_engine_client(void **state)
{
	struct env *e = *state;
	uint8_t reply_buf[PACKET_MAX];
	struct stun_msg reply;
	env_start(e, false);
	set_dtls_security(e, true);
	stun_check(e, e->local.pwd, 3, &reply, reply_buf);
	assert_int_equal(reply.cls, STUN_CLASS_SUCCESS);
	browser_handshake(e, DTLS_ROLE_SERVER);
	browser_to_phone(e, 1);
	phone_to_browser(e, 2);
}

/* An ICE restart (new credentials on both sides, same fingerprint and
 * role) keeps the DTLS association and its SRTP keys: media goes on with
 * the browser's existing session, old credentials are refused. At the
 * end, deleting the call sends the browser a close_notify. */
static void test_ice_restart_keeps_dtls(void **state)
{
	struct env *e = *state;
	uint8_t reply_buf[PACKET_MAX], buf[PACKET_MAX];
	struct stun_msg reply;
	struct media_local_security before;
	env_start(e, false);
	set_dtls_security(e, false);
	stun_check(e, e->local.pwd, 5, &reply, reply_buf);
	assert_int_equal(reply.cls, STUN_CLASS_SUCCESS);
	browser_handshake(e, DTLS_ROLE_CLIENT);
	browser_to_phone(e, 1);
	phone_to_browser(e, 2);

	before = e->local;
	assert_int_equal(media_endpoint_ice_restart(e->call, W), 0);
	set_dtls_security_ufrag(e, false, "rstr");
	assert_int_equal(media_endpoint_get_local_security(e->call, W, &e->local), 0);
	assert_string_not_equal(e->local.ufrag, before.ufrag);
	assert_string_not_equal(e->local.pwd, before.pwd);
	assert_string_equal(e->local.fingerprint, before.fingerprint);

	stun_check_as(e, "rstr", before.pwd, 6, &reply, reply_buf);
	assert_int_equal(reply.cls, STUN_CLASS_ERROR); /* the old password is gone */
	stun_check_as(e, "rstr", e->local.pwd, 7, &reply, reply_buf);
	assert_int_equal(reply.cls, STUN_CLASS_SUCCESS);
	for (uint16_t seq = 3; seq < 6; seq++) { /* no new handshake: the same keys */
		browser_to_phone(e, seq);
		phone_to_browser(e, (uint16_t)(seq + 10));
	}

	media_call_delete(e->call);
	ssize_t n = recv_within(e->browser.fd, buf, sizeof(buf), NULL, WAIT_MS);
	assert_true(n > 0);
	assert_int_equal(buf[0], 21); /* a DTLS alert record: close_notify */
}

static void test_sdes(void **state)
{
	struct env *e = *state;
	struct media_call_stats st;
	env_start(e, true);
	struct sdes_crypto ours, theirs;
	assert_int_equal(sdes_crypto_generate(&ours, 1, SRTP_PROFILE_AES128_CM_SHA1_80), 0);
	assert_int_equal(sdes_crypto_generate(&theirs, 1, SRTP_PROFILE_AES128_CM_SHA1_80), 0);
	struct media_security sec = {
		.mode = MEDIA_SECURITY_SDES,
		.sdes = { .profile = ours.profile, .local = ours.master, .remote = theirs.master },
	};
	assert_int_equal(media_endpoint_set_security(e->call, W, &sec), 0);
	struct srtp_keys browser = {
		.profile = ours.profile,
		.local = theirs.master,
		.remote = ours.master,
	};
	assert_int_equal(srtp_session_alloc(&e->srtp, &browser), 0);
	STATS_UNTIL(e->call, st, st.endpoints[W].srtp_ready);

	for (uint16_t seq = 300; seq < 305; seq++)
		phone_to_browser(e, seq);
	for (uint16_t seq = 400; seq < 405; seq++)
		browser_to_phone(e, seq);
	assert_int_equal(media_call_stats(e->call, &st), 0);
	assert_int_equal(st.endpoints[W].srtp_auth_failures, 0);
	assert_int_equal(st.endpoints[W].packets_sent, 5);
}

static void test_bad_settings(void **state)
{
	struct env *e = *state;
	env_start(e, false);
	struct media_security sec = { .mode = MEDIA_SECURITY_DTLS_SRTP };
	strcpy(sec.remote_fingerprint, "sha-256 not-hex");
	assert_int_equal(media_endpoint_set_security(e->call, W, &sec), EINVAL);
	memset(sec.remote_ufrag, 'x', sizeof(sec.remote_ufrag));
	assert_int_equal(media_endpoint_set_security(e->call, W, &sec), EINVAL);
	struct media_security none = { .mode = MEDIA_SECURITY_NONE };
	assert_int_equal(media_endpoint_set_security(e->call, W, &none), 0);
	struct media_local_security local;
	assert_int_equal(media_endpoint_get_local_security(e->call, 5, &local), ENOENT);
	/* each endpoint has its own credentials */
	assert_int_equal(media_endpoint_get_local_security(e->call, P, &local), 0);
	assert_string_not_equal(local.ufrag, e->local.ufrag);
	assert_string_equal(local.fingerprint, e->local.fingerprint);
}

/* The scenarios once, unmeasured: OpenSSL's algorithm caches (and what
 * its first close_notify sets up), this
 * thread's error queue (made the first time an error is queued, which
 * depends on timing), glibc's thread stacks. */
static int warm_up(void **state)
{
	void (*const scenarios[])(void **) = { test_dtls_srtp, test_dtls_engine_client,
					       test_ice_restart_keeps_dtls, test_sdes };
	(void)state;
	ERR_clear_error();
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (leak_warm_up(&env_fixture, scenarios[i]))
			return -1;
	return 0;
}

int main(void)
{
	if (dtls_cert_alloc(&browser_cert))
		return 1;
#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(test_dtls_srtp),
		T(test_dtls_engine_client),
		T(test_ice_restart_keeps_dtls),
		T(test_wrong_password),
		T(test_sdes),
		T(test_bad_settings),
	};
#undef T
	int failed = cmocka_run_group_tests(tests, warm_up, NULL);
	mem_deref(browser_cert);
	return failed;
}
