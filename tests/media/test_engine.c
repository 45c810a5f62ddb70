/*
 * test_engine.c - the media engine relaying plain RTP between two test
 * sockets that play phone A and phone B, all on loopback: both directions
 * with payloads unchanged, RTCP with and without rtcp-mux, latching,
 * strict source, hold, STUN and non-RTP datagrams, statistics and MOS,
 * the idle timeout, ports given back, an exhausted range, a port someone
 * else holds, two workers, IPv6, and stopping with calls still open.
 *
 * Every wait is a poll() with a timeout; every test checks that it gave
 * back all the memory it took.
 */
#include "media/engine.h"
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

#define PORT_MIN 41000
#define PORT_MAX 41099
#define WAIT_MS 2000
#define SILENCE_MS 150
#include "media/engine_peer.h" /* after WAIT_MS, SILENCE_MS */

#define PAYLOAD_LEN 160

/* ------------------------------------------------------------- fixture */

struct phone {
	int fd;
	struct netaddr addr;
};

struct env {
	struct media_engine *engine;
	struct media_call *call;
	struct media_endpoint_info ep[2]; /* A's and B's endpoints */
	struct phone a, b;
};

static void settings_loopback(struct media_engine_settings *s)
{
	media_engine_settings_default(s);
	s->workers = 1;
	s->port_min = PORT_MIN;
	s->port_max = PORT_MAX;
	netaddr_set_cstr(&s->bind4, "127.0.0.1", 0);
}

static void phone_open_family(struct phone *p, const char *host)
{
	assert_int_equal(netaddr_set_cstr(&p->addr, host, 0), 0);
	p->fd = socket(netaddr_family(&p->addr), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(p->fd >= 0);
	assert_int_equal(bind(p->fd, &p->addr.u.sa, p->addr.len), 0);
	p->addr.len = sizeof(p->addr.u.storage);
	assert_int_equal(getsockname(p->fd, &p->addr.u.sa, &p->addr.len), 0);
}

static void phone_open(struct phone *p)
{
	phone_open_family(p, "127.0.0.1");
}

static void phone_close(struct phone *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static struct media_remote remote_of(const struct phone *p)
{
	struct media_remote r = { .rtp = p->addr, .rtcp = p->addr, .rtcp_mux = true };
	return r;
}

/* An engine started with `s`, one call, endpoints A (id 0) and B (id 1)
 * whose remotes are the phones, bridged. */
static void env_start(struct env *e, const struct media_engine_settings *s)
{
	assert_int_equal(media_engine_create(&e->engine, s), 0);
	assert_int_equal(media_engine_start(e->engine), 0);
	assert_int_equal(media_call_create(e->engine, "call-1", &e->call), 0);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(media_endpoint_create(e->call, AF_INET, &e->ep[i]), 0);
		assert_int_equal(e->ep[i].id, i);
	}
	phone_open(&e->a);
	phone_open(&e->b);
	struct media_remote ra = remote_of(&e->a), rb = remote_of(&e->b);
	assert_int_equal(media_endpoint_set_remote(e->call, 0, &ra), 0);
	assert_int_equal(media_endpoint_set_remote(e->call, 1, &rb), 0);
	assert_int_equal(media_endpoints_bridge(e->call, 0, 1), 0);
}

static int env_init(void *state)
{
	struct env *e = state;
	e->a.fd = e->b.fd = -1;
	return 0;
}

static void env_fini(void *state)
{
	struct env *e = state;
	e->call = mem_deref(e->call);
	media_engine_destroy(e->engine);
	phone_close(&e->a);
	phone_close(&e->b);
}

static const struct leak_fixture env_fixture = { sizeof(struct env), env_init, env_fini };

/* ------------------------------------------------------------- packets */

/* Packet i of a stream: sequence number first + i, 1 ms of 8 kHz
 * timestamp per packet (send_rtp_paced() sends them 1 ms apart), and a
 * payload that differs from packet to packet. */
static size_t rtp_build(uint8_t *buf, uint16_t first, unsigned i, uint32_t ssrc)
{
	uint16_t seq = (uint16_t)(first + i);
	buf[0] = 0x80;
	buf[1] = 0; /* PCMU */
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	uint32_t ts = 8 * i;
	uint32_t words[2] = { htonl(ts), htonl(ssrc) };
	memcpy(buf + 4, words, sizeof(words));
	for (size_t i = 0; i < PAYLOAD_LEN; i++)
		buf[12 + i] = (uint8_t)(seq * 7 + i);
	return 12 + PAYLOAD_LEN;
}

static void send_stream(int fd, const struct netaddr *to, uint16_t first, unsigned count,
			uint32_t ssrc, bool paced)
{
	uint8_t buf[512];
	for (unsigned i = 0; i < count; i++) {
		size_t len = rtp_build(buf, first, i, ssrc);
		send_to(fd, to, buf, len);
		if (paced)
			sleep_ms(1);
	}
}

static void send_rtp(int fd, const struct netaddr *to, uint16_t first, unsigned count,
		     uint32_t ssrc)
{
	send_stream(fd, to, first, count, ssrc, false);
}

/* As a phone would send (faster, but evenly), for a jitter figure. */
static void send_rtp_paced(int fd, const struct netaddr *to, uint16_t first, unsigned count,
			   uint32_t ssrc)
{
	send_stream(fd, to, first, count, ssrc, true);
}

/* Receive `count` RTP packets numbered from `first`, sent by `source`,
 * byte for byte as rtp_build() made them. */
static void expect_rtp(int fd, const struct netaddr *source, uint16_t first, unsigned count,
		       uint32_t ssrc)
{
	uint8_t buf[512], want[512];
	for (unsigned i = 0; i < count; i++) {
		struct netaddr from;
		ssize_t n = recv_within(fd, buf, sizeof(buf), &from, WAIT_MS);
		if (n < 0)
			fail_msg("packet %u of %u did not arrive", i + 1, count);
		size_t len = rtp_build(want, first, i, ssrc);
		assert_int_equal(n, len);
		assert_memory_equal(buf, want, len);
		assert_int_equal(netaddr_port(&from), netaddr_port(source));
	}
}

/* ------------------------------------------------------------- tests */

static void test_relay_both_ways(void **state)
{
	struct env *e = *state;
	struct media_engine_settings s;
	settings_loopback(&s);
	env_start(e, &s);
	assert_int_equal(netaddr_port(&e->ep[0].rtp) % 2, 0);
	assert_int_equal(netaddr_port(&e->ep[0].rtcp), netaddr_port(&e->ep[0].rtp) + 1);

	send_rtp_paced(e->a.fd, &e->ep[0].rtp, 1000, 100, 0xa);
	expect_rtp(e->b.fd, &e->ep[1].rtp, 1000, 100, 0xa);
	send_rtp_paced(e->b.fd, &e->ep[1].rtp, 65500, 100, 0xb); /* wraps */
	expect_rtp(e->a.fd, &e->ep[0].rtp, 65500, 100, 0xb);

	struct media_call_stats st;
	STATS_UNTIL(e->call, st, st.endpoints[0].packets_sent == 100);
	assert_int_equal(st.endpoint_count, 2);
	for (unsigned i = 0; i < 2; i++) {
		const struct media_endpoint_stats *ep = &st.endpoints[i];
		assert_int_equal(ep->packets_received, 100);
		assert_int_equal(ep->bytes_received, 100 * (12 + PAYLOAD_LEN));
		assert_int_equal(ep->packets_sent, 100);
		assert_int_equal(ep->bytes_sent, 100 * (12 + PAYLOAD_LEN));
		assert_int_equal(ep->dropped_source + ep->dropped_unroutable + ep->not_rtp, 0);
		assert_int_equal(ep->send_errors, 0);
		/* the first packet is on probation (RFC 3550 A.1) */
		assert_int_equal(ep->expected, 99);
		assert_int_equal(ep->lost, 0);
		assert_true(ep->mos > 4.0);
		/* 1 ms pacing against a 1 ms timestamp step: only scheduling
		 * noise, generous for a loaded machine and the sanitizers */
		assert_true(ep->jitter_ms >= 0 && ep->jitter_ms < 10);
		assert_false(ep->latched); /* came from the SDP address */
	}
	assert_int_equal(st.endpoints[0].ssrc, 0xa);
	assert_int_equal(st.endpoints[1].ssrc, 0xb);
	assert_false(st.timed_out);
}

static void test_rtcp(void **state)
{
	struct env *e = *state;
	struct media_engine_settings s;
	settings_loopback(&s);
	env_start(e, &s);
	struct phone a_rtcp, b_rtcp;
	phone_open(&a_rtcp);
	phone_open(&b_rtcp);
	struct media_remote ra = { .rtp = e->a.addr, .rtcp = a_rtcp.addr };
	struct media_remote rb = { .rtp = e->b.addr, .rtcp = b_rtcp.addr };
	assert_int_equal(media_endpoint_set_remote(e->call, 0, &ra), 0);
	assert_int_equal(media_endpoint_set_remote(e->call, 1, &rb), 0);

	/* RR from A, no report blocks */
	uint8_t rr[8] = { 0x80, 201, 0, 1, 0, 0, 0, 0xa };
	uint8_t buf[64];
	struct netaddr from;
	send_to(a_rtcp.fd, &e->ep[0].rtcp, rr, sizeof(rr));
	assert_int_equal(recv_within(b_rtcp.fd, buf, sizeof(buf), &from, WAIT_MS), sizeof(rr));
	assert_memory_equal(buf, rr, sizeof(rr));
	assert_int_equal(netaddr_port(&from), netaddr_port(&e->ep[1].rtcp));

	/* B switches to rtcp-mux: A's RTCP now reaches B's RTP port */
	rb.rtcp_mux = true;
	assert_int_equal(media_endpoint_set_remote(e->call, 1, &rb), 0);
	send_to(a_rtcp.fd, &e->ep[0].rtcp, rr, sizeof(rr));
	assert_int_equal(recv_within(e->b.fd, buf, sizeof(buf), &from, WAIT_MS), sizeof(rr));
	assert_int_equal(netaddr_port(&from), netaddr_port(&e->ep[1].rtp));
	/* and B's muxed RTCP goes to A's RTCP port, A not being muxed */
	send_to(e->b.fd, &e->ep[1].rtp, rr, sizeof(rr));
	assert_int_equal(recv_within(a_rtcp.fd, buf, sizeof(buf), &from, WAIT_MS), sizeof(rr));
	assert_int_equal(netaddr_port(&from), netaddr_port(&e->ep[0].rtcp));
	expect_silence(e->a.fd);

	struct media_call_stats st;
	assert_int_equal(media_call_stats(e->call, &st), 0);
	assert_int_equal(st.endpoints[1].not_rtp, 0); /* muxed RTCP is not bad RTP */
	assert_int_equal(st.endpoints[1].expected, 0);
	phone_close(&a_rtcp);
	phone_close(&b_rtcp);
}

/* Each leg's RTT from the RTCP the relay forwards: an SR from A passes
 * through, B answers it 100 ms later (DLSR says so) after holding it 60 ms
 * of that: B's leg RTT is what is left, ~40 ms, not counting the hold. A
 * block with an unknown LSR teaches nothing. */
static void test_rtcp_rtt(void **state)
{
	struct env *e = *state;
	struct media_engine_settings s;
	settings_loopback(&s);
	env_start(e, &s);
	/* SR from A (SSRC 0xa): NTP 0x0000123456780000 -> LSR 0x12345678 */
	uint8_t sr[28] = { 0x80, 200, 0, 6, 0, 0, 0, 0xa, 0, 0, 0x12, 0x34, 0x56, 0x78, 0, 0 };
	/* RR from B (SSRC 0xb), one block on 0xa: LSR, DLSR = 60 ms in 1/65536 s */
	uint32_t dlsr = 60 * 65536 / 1000;
	uint8_t rr[32] = { 0x81, 201, 0, 7, 0, 0, 0, 0xb, 0, 0, 0, 0xa };
	uint8_t buf[64];
	rr[24] = 0x12, rr[25] = 0x34, rr[26] = 0x56, rr[27] = 0x78;
	rr[28] = (uint8_t)(dlsr >> 24), rr[29] = (uint8_t)(dlsr >> 16);
	rr[30] = (uint8_t)(dlsr >> 8), rr[31] = (uint8_t)dlsr;

	send_to(e->a.fd, &e->ep[0].rtp, sr, sizeof(sr));
	assert_int_equal(recv_within(e->b.fd, buf, sizeof(buf), NULL, WAIT_MS), sizeof(sr));
	sleep_ms(100);
	send_to(e->b.fd, &e->ep[1].rtp, rr, sizeof(rr));
	assert_int_equal(recv_within(e->a.fd, buf, sizeof(buf), NULL, WAIT_MS), sizeof(rr));

	struct media_call_stats st;
	assert_int_equal(media_call_stats(e->call, &st), 0);
	assert_true(st.endpoints[1].rtt_ms >= 39 && st.endpoints[1].rtt_ms < 140);
	assert_true(st.endpoints[0].rtt_ms == 0); /* A answered no SR */

	rr[24] = 0x11; /* another SR: no match, the RTT stays */
	double before = st.endpoints[1].rtt_ms;
	send_to(e->b.fd, &e->ep[1].rtp, rr, sizeof(rr));
	assert_int_equal(recv_within(e->a.fd, buf, sizeof(buf), NULL, WAIT_MS), sizeof(rr));
	assert_int_equal(media_call_stats(e->call, &st), 0);
	assert_true(st.endpoints[1].rtt_ms == before);
}

static void test_latching(void **state)
{
	struct env *e = *state;
	struct media_engine_settings s;
	settings_loopback(&s);
	env_start(e, &s);
	struct phone wrong;
	phone_open(&wrong); /* where the SDP says A is; nobody is */
	struct media_remote ra = remote_of(&wrong);
	assert_int_equal(media_endpoint_set_remote(e->call, 0, &ra), 0);

	send_rtp(e->a.fd, &e->ep[0].rtp, 1, 1, 0xa);
	expect_rtp(e->b.fd, &e->ep[1].rtp, 1, 1, 0xa);
	send_rtp(e->b.fd, &e->ep[1].rtp, 1, 20, 0xb);
	expect_rtp(e->a.fd, &e->ep[0].rtp, 1, 20, 0xb);
	expect_silence(wrong.fd);

	struct media_call_stats st;
	assert_int_equal(media_call_stats(e->call, &st), 0);
	assert_true(st.endpoints[0].latched);
	assert_true(netaddr_eq(&st.endpoints[0].remote_rtp, &e->a.addr));
	phone_close(&wrong);
}

static void test_strict_source(void **state)
{
	struct env *e = *state;
	struct media_engine_settings s;
	settings_loopback(&s);
	s.strict_source = true;
	env_start(e, &s);
	struct phone intruder;
	phone_open(&intruder);

	send_rtp(intruder.fd, &e->ep[0].rtp, 1, 10, 0xbad);
	send_rtp(e->a.fd, &e->ep[0].rtp, 1, 5, 0xa); /* same socket, so after them */
	expect_rtp(e->b.fd, &e->ep[1].rtp, 1, 5, 0xa);
	expect_silence(e->b.fd);
	expect_silence(intruder.fd);

	struct media_call_stats st;
	assert_int_equal(media_call_stats(e->call, &st), 0);
	assert_int_equal(st.endpoints[0].dropped_source, 10);
	assert_int_equal(st.endpoints[0].packets_received, 15);
	assert_int_equal(st.endpoints[1].packets_sent, 5);
	assert_int_equal(st.endpoints[0].ssrc, 0xa); /* the intruder is not measured */
	assert_false(st.endpoints[0].latched);
	phone_close(&intruder);
}

static void test_hold(void **state)
{
	struct env *e = *state;
	struct media_engine_settings s;
	settings_loopback(&s);
	env_start(e, &s);

	assert_int_equal(media_endpoint_set_hold(e->call, 1, true), 0);
	send_rtp(e->a.fd, &e->ep[0].rtp, 1, 10, 0xa);
	send_rtp(e->b.fd, &e->ep[1].rtp, 1, 5, 0xb); /* toward A still flows */
	expect_rtp(e->a.fd, &e->ep[0].rtp, 1, 5, 0xb);
	expect_silence(e->b.fd);
	struct media_call_stats st;
	STATS_UNTIL(e->call, st, st.endpoints[0].dropped_unroutable == 10);
	assert_int_equal(st.endpoints[1].packets_sent, 0);

	assert_int_equal(media_endpoint_set_hold(e->call, 1, false), 0);
	send_rtp(e->a.fd, &e->ep[0].rtp, 11, 10, 0xa);
	expect_rtp(e->b.fd, &e->ep[1].rtp, 11, 10, 0xa);
}

static void test_not_rtp_and_stun(void **state)
{
	struct env *e = *state;
	struct media_engine_settings s;
	settings_loopback(&s);
	env_start(e, &s);
	uint8_t stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
	uint8_t dtls[13] = { 22, 0xfe, 0xfd };
	uint8_t junk[5] = { 0x80, 0x00, 0x01 }; /* RTP-looking, too short */
	uint8_t buf[64];

	send_to(e->a.fd, &e->ep[0].rtp, stun, sizeof(stun));
	send_to(e->a.fd, &e->ep[0].rtp, dtls, sizeof(dtls));
	send_to(e->a.fd, &e->ep[0].rtp, junk, sizeof(junk));
	assert_int_equal(recv_within(e->b.fd, buf, sizeof(buf), NULL, WAIT_MS), sizeof(junk));
	assert_memory_equal(buf, junk, sizeof(junk));
	expect_silence(e->b.fd);

	struct media_call_stats st;
	assert_int_equal(media_call_stats(e->call, &st), 0);
	assert_int_equal(st.endpoints[0].packets_received, 3);
	assert_int_equal(st.endpoints[0].ignored, 2);
	assert_int_equal(st.endpoints[0].not_rtp, 1);
	assert_int_equal(st.endpoints[1].packets_sent, 1);
}

static void test_unbridged_and_errors(void **state)
{
	struct env *e = *state;
	struct media_engine_settings s;
	settings_loopback(&s);
	s.timeout_ms = 200;
	assert_int_equal(media_engine_create(&e->engine, &s), 0);
	assert_int_equal(media_call_create(e->engine, "early", &e->call), ESHUTDOWN);
	assert_int_equal(media_engine_start(e->engine), 0);
	assert_int_equal(media_engine_start(e->engine), EALREADY);
	assert_int_equal(media_call_create(e->engine, "call-1", &e->call), 0);
	assert_int_equal(media_endpoint_create(e->call, AF_INET, &e->ep[0]), 0);
	assert_int_equal(media_endpoint_create(e->call, AF_INET6, &e->ep[1]), EAFNOSUPPORT);
	assert_int_equal(media_endpoints_bridge(e->call, 0, 1), ENOENT);
	assert_int_equal(media_endpoints_bridge(e->call, 0, 0), EINVAL);
	assert_int_equal(media_endpoint_set_hold(e->call, 7, true), ENOENT);
	struct media_remote v6 = { .rtcp_mux = true };
	netaddr_set_cstr(&v6.rtp, "::1", 4000);
	assert_int_equal(media_endpoint_set_remote(e->call, 0, &v6), EAFNOSUPPORT);

	/* Not bridged: latched, counted, dropped. */
	phone_open(&e->a);
	send_rtp(e->a.fd, &e->ep[0].rtp, 1, 3, 0xa);
	struct media_call_stats st;
	STATS_UNTIL(e->call, st, st.endpoints[0].dropped_unroutable == 3);
	assert_true(st.endpoints[0].latched);
	assert_false(st.timed_out);

	/* Idle timeout: reported, not acted on; a packet clears it. */
	STATS_UNTIL(e->call, st, st.timed_out);
	assert_true(st.idle_ms >= 200);
	assert_int_equal(st.endpoint_count, 1);
	send_rtp(e->a.fd, &e->ep[0].rtp, 4, 1, 0xa);
	STATS_UNTIL(e->call, st, !st.timed_out);

	media_call_delete(e->call);
	media_call_delete(e->call);
	assert_int_equal(media_call_stats(e->call, &st), ENOENT);
	assert_int_equal(media_endpoint_create(e->call, AF_INET, &e->ep[0]), ENOENT);
}

static void test_ports_given_back(void **state)
{
	struct env *e = *state;
	struct media_engine_settings s;
	settings_loopback(&s);
	s.port_min = PORT_MIN + 1; /* odd: starts at the next even port */
	s.port_max = PORT_MIN + 4; /* two pairs: +2/+3 and +4/+5 would not fit */
	assert_int_equal(media_engine_create(&e->engine, &s), 0);
	media_engine_destroy(e->engine);
	s.port_min = PORT_MIN;
	s.port_max = PORT_MIN + 3; /* two pairs */
	e->engine = NULL;
	struct media_engine_settings bad = s;
	bad.port_max = PORT_MIN; /* no whole pair */
	assert_int_equal(media_engine_create(&e->engine, &bad), EINVAL);

	assert_int_equal(media_engine_create(&e->engine, &s), 0);
	assert_int_equal(media_engine_start(e->engine), 0);
	for (int round = 0; round < 3; round++) {
		struct media_call *call;
		struct media_endpoint_info info[3];
		assert_int_equal(media_call_create(e->engine, "c", &call), 0);
		assert_int_equal(media_endpoint_create(call, AF_INET, &info[0]), 0);
		assert_int_equal(media_endpoint_create(call, AF_INET, &info[1]), 0);
		assert_int_equal(media_endpoint_create(call, AF_INET, &info[2]), ENOSPC);
		uint16_t p0 = netaddr_port(&info[0].rtp), p1 = netaddr_port(&info[1].rtp);
		assert_true(p0 != p1);
		assert_true(p0 == PORT_MIN || p0 == PORT_MIN + 2);
		assert_true(p1 == PORT_MIN || p1 == PORT_MIN + 2);
		mem_deref(call); /* deletes: the ports come back */
	}
}

static void test_port_in_use(void **state)
{
	struct env *e = *state;
	struct media_engine_settings s;
	settings_loopback(&s);
	s.port_max = PORT_MIN + 5; /* three pairs */
	struct phone squatter;
	assert_int_equal(netaddr_set_cstr(&squatter.addr, "127.0.0.1", PORT_MIN + 1), 0);
	squatter.fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(squatter.fd >= 0);
	assert_int_equal(bind(squatter.fd, &squatter.addr.u.sa, squatter.addr.len), 0);

	assert_int_equal(media_engine_create(&e->engine, &s), 0);
	assert_int_equal(media_engine_start(e->engine), 0);
	assert_int_equal(media_call_create(e->engine, "c", &e->call), 0);
	assert_int_equal(media_endpoint_create(e->call, AF_INET, &e->ep[0]), 0);
	assert_int_equal(netaddr_port(&e->ep[0].rtp), PORT_MIN + 2);
	assert_int_equal(media_endpoint_create(e->call, AF_INET, &e->ep[1]), 0);
	assert_int_equal(netaddr_port(&e->ep[1].rtp), PORT_MIN + 4);
	assert_int_equal(media_endpoint_create(e->call, AF_INET, &e->ep[1]), ENOSPC);
	phone_close(&squatter);
}

static void test_two_workers(void **state)
{
	struct env *e = *state;
	struct media_engine_settings s;
	settings_loopback(&s);
	s.workers = 2;
	env_start(e, &s);
	/* a second call, on the other worker, between two more phones */
	struct media_call *call2;
	struct media_endpoint_info ep[2];
	struct phone c, d;
	phone_open(&c);
	phone_open(&d);
	assert_int_equal(media_call_create(e->engine, "call-2", &call2), 0);
	assert_int_equal(media_endpoint_create(call2, AF_INET, &ep[0]), 0);
	assert_int_equal(media_endpoint_create(call2, AF_INET, &ep[1]), 0);
	struct media_remote rc = remote_of(&c), rd = remote_of(&d);
	assert_int_equal(media_endpoint_set_remote(call2, 0, &rc), 0);
	assert_int_equal(media_endpoint_set_remote(call2, 1, &rd), 0);
	assert_int_equal(media_endpoints_bridge(call2, 0, 1), 0);

	send_rtp(e->a.fd, &e->ep[0].rtp, 1, 50, 0xa);
	send_rtp(c.fd, &ep[0].rtp, 1, 50, 0xc);
	expect_rtp(e->b.fd, &e->ep[1].rtp, 1, 50, 0xa);
	expect_rtp(d.fd, &ep[1].rtp, 1, 50, 0xc);
	mem_deref(call2);
	phone_close(&c);
	phone_close(&d);
}

static void test_ipv6(void **state)
{
	struct env *e = *state;
	int probe = socket(AF_INET6, SOCK_DGRAM, 0);
	struct netaddr lo6;
	netaddr_set_cstr(&lo6, "::1", 0);
	if (probe < 0 || bind(probe, &lo6.u.sa, lo6.len) < 0) {
		if (probe >= 0)
			close(probe);
		skip();
	}
	close(probe);
	struct media_engine_settings s;
	settings_loopback(&s);
	memset(&s.bind4, 0, sizeof(s.bind4));
	netaddr_set_cstr(&s.bind6, "::1", 0);
	assert_int_equal(media_engine_create(&e->engine, &s), 0);
	assert_int_equal(media_engine_start(e->engine), 0);
	assert_int_equal(media_call_create(e->engine, "v6", &e->call), 0);
	assert_int_equal(media_endpoint_create(e->call, AF_INET, &e->ep[0]), EAFNOSUPPORT);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(media_endpoint_create(e->call, AF_INET6, &e->ep[i]), 0);
	assert_int_equal(netaddr_family(&e->ep[0].rtp), AF_INET6);
	phone_open_family(&e->a, "::1");
	phone_open_family(&e->b, "::1");
	struct media_remote ra = remote_of(&e->a), rb = remote_of(&e->b);
	assert_int_equal(media_endpoint_set_remote(e->call, 0, &ra), 0);
	assert_int_equal(media_endpoint_set_remote(e->call, 1, &rb), 0);
	assert_int_equal(media_endpoints_bridge(e->call, 0, 1), 0);
	send_rtp(e->a.fd, &e->ep[0].rtp, 1, 20, 0xa);
	expect_rtp(e->b.fd, &e->ep[1].rtp, 1, 20, 0xa);
	send_rtp(e->b.fd, &e->ep[1].rtp, 1, 20, 0xb);
	expect_rtp(e->a.fd, &e->ep[0].rtp, 1, 20, 0xb);
}

/* Destroyed with calls open and packets flowing: the sockets close at
 * once, handles dropped later find a stopped engine, nothing leaks. */
static void test_destroy_with_calls_open(void **state)
{
	struct env *e = *state;
	struct media_engine_settings s;
	settings_loopback(&s);
	s.workers = 2;
	env_start(e, &s);
	struct media_call *call2;
	struct media_endpoint_info ep2;
	assert_int_equal(media_call_create(e->engine, "call-2", &call2), 0);
	assert_int_equal(media_endpoint_create(call2, AF_INET, &ep2), 0);
	send_rtp(e->a.fd, &e->ep[0].rtp, 1, 100, 0xa);

	media_engine_destroy(e->engine);
	e->engine = NULL;
	struct media_call_stats st;
	assert_int_equal(media_call_stats(e->call, &st), ESHUTDOWN);
	assert_int_equal(media_endpoint_set_hold(call2, 0, true), ESHUTDOWN);

	/* the ports are free again */
	struct netaddr addr = e->ep[0].rtp;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(bind(fd, &addr.u.sa, addr.len), 0);
	close(fd);
	mem_deref(call2);
	/* e->call is dropped by the teardown, after the engine */
}

/*
 * glibc keeps the stacks of finished threads for the next ones, with the
 * TLS block it malloc()ed for each: the first time two threads run at
 * once, that memory stays allocated for good. Start and stop an engine
 * with as many workers as any test uses, so the leak checks measure the
 * engine and not that cache.
 */
static int warm_thread_cache(void **state)
{
	struct media_engine_settings s;
	struct media_engine *engine;
	(void)state;
	settings_loopback(&s);
	s.workers = 2;
	if (media_engine_create(&engine, &s) || media_engine_start(engine))
		return -1;
	media_engine_destroy(engine);
	return 0;
}

int main(void)
{
#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(test_relay_both_ways),
		T(test_rtcp),
		T(test_rtcp_rtt),
		T(test_latching),
		T(test_strict_source),
		T(test_hold),
		T(test_not_rtp_and_stun),
		T(test_unbridged_and_errors),
		T(test_ports_given_back),
		T(test_port_in_use),
		T(test_two_workers),
		T(test_ipv6),
		T(test_destroy_with_calls_open),
	};
#undef T
	return cmocka_run_group_tests(tests, warm_thread_cache, NULL);
}
