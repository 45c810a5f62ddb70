/*
 * test_session.c - the call model's typed API (session/session.h) on a
 * real engine: offer and answer rewrite parsed SDP to the relay's
 * endpoints, RTP goes both ways through them, session_stats() counts it
 * per leg, session_hold() stops and resumes what goes towards one leg, and
 * the errors a controller sees (unknown call, missing tag, delete).
 * The engine runs on 127.0.0.1, ports 44000-44099 (test_commands.c has
 * 43000-43099).
 */
#include "core/mem.h"
#include "media/engine.h"
#include "sdp/sdp.h"
#include "session/session.h"
#include "leakcheck.h"

#include <errno.h>
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

#define PORT_MIN 44000
#define PORT_MAX 44099
#define WAIT_MS 2000
#define SILENCE_MS 200

#include "media/engine_peer.h"

struct env {
	struct media_engine *engine;
	struct session_table *table;
	struct sdp_session *sdp;
	char text[2][1024];      /* each phone's SDP text (the parsed SDP points into it) */
	int phone[2];            /* A, B */
	struct netaddr addr[2];  /* where each phone listens */
	struct netaddr relay[2]; /* where each phone sends: the relay endpoint facing it */
};

static int env_init(void *state)
{
	struct env *e = state;
	struct media_engine_settings s;
	struct session_settings ss = { 0 };

	media_engine_settings_default(&s);
	s.workers = 1;
	s.port_min = PORT_MIN;
	s.port_max = PORT_MAX;
	netaddr_set_cstr(&s.bind4, "127.0.0.1", 0);
	ss.bind = s.bind4;
	e->phone[0] = e->phone[1] = -1;
	if (media_engine_create(&e->engine, &s) || media_engine_start(e->engine))
		return -1;
	ss.engine = e->engine;
	e->sdp = malloc(sizeof(*e->sdp));
	if (!e->sdp || session_table_create(&e->table, &ss))
		return -1;
	for (int i = 0; i < 2; i++) {
		netaddr_set_cstr(&e->addr[i], "127.0.0.1", 0);
		e->phone[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (e->phone[i] < 0 || bind(e->phone[i], &e->addr[i].u.sa, e->addr[i].len))
			return -1;
		e->addr[i].len = sizeof(e->addr[i].u.storage);
		getsockname(e->phone[i], &e->addr[i].u.sa, &e->addr[i].len);
	}
	return 0;
}

static void env_fini(void *state)
{
	struct env *e = state;

	session_table_destroy(e->table);
	media_engine_destroy(e->engine);
	for (int i = 0; i < 2; i++)
		if (e->phone[i] >= 0)
			close(e->phone[i]);
	free(e->sdp);
}

static const struct leak_fixture env_fixture = { sizeof(struct env), env_init, env_fini };

/* Phone i's SDP, parsed into e->sdp. */
static void phone_sdp(struct env *e, int i)
{
	struct sdp_error err;
	int n = snprintf(e->text[i], sizeof(e->text[i]),
			 "v=0\r\no=phone%d 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			 "t=0 0\r\nm=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n",
			 i, (unsigned)netaddr_port(&e->addr[i]));

	assert_int_equal(sdp_parse(e->text[i], (size_t)n, e->sdp, &err), 0);
}

/* The rewritten SDP names the relay on 127.0.0.1 in the port range: that
 * is where the recipient, phone `to`, sends. */
static void take_relay(struct env *e, int to)
{
	assert_int_equal(e->sdp->media_count, 1);
	assert_true(slice_eq_cstr(e->sdp->connection.address, "127.0.0.1"));
	uint16_t port = e->sdp->media[0].port;
	assert_in_range(port, PORT_MIN, PORT_MAX);
	assert_int_not_equal(port, netaddr_port(&e->addr[!to]));
	netaddr_set_cstr(&e->relay[to], "127.0.0.1", port);
}

static struct session_request request(const char *tag)
{
	return (struct session_request){ .call_id = SLICE_LIT("s1"), .tag = slice_from_cstr(tag) };
}

/* A offers, B answers: each learns the relay port facing it. */
static void set_up_call(struct env *e)
{
	struct session_request a = request("a"), b = request("b");
	const char *reason = NULL;

	phone_sdp(e, 0);
	assert_int_equal(session_offer(e->table, &a, e->sdp, &reason), 0);
	take_relay(e, 1);
	phone_sdp(e, 1);
	assert_int_equal(session_answer(e->table, &b, e->sdp, &reason), 0);
	take_relay(e, 0);
	assert_true(session_exists(e->table, SLICE_LIT("s1")));
}

/* Phone `from` sends one RTP packet (sequence seq); does the other get it? */
static bool passes(struct env *e, int from, uint16_t seq)
{
	uint8_t pkt[172] = { 0x80, 0 }, got[2048];

	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	pkt[11] = (uint8_t)(from + 1); /* SSRC */
	send_to(e->phone[from], &e->relay[from], pkt, sizeof(pkt));
	ssize_t n = recv_within(e->phone[!from], got, sizeof(got), NULL, WAIT_MS);
	return n == (ssize_t)sizeof(pkt) && memcmp(got, pkt, sizeof(pkt)) == 0;
}

static void relays_both_ways_and_counts(void **state)
{
	struct env *e = *state;
	struct session_stats stats;

	set_up_call(e);
	for (uint16_t seq = 1; seq <= 5; seq++) {
		assert_true(passes(e, 0, seq));
		assert_true(passes(e, 1, seq));
	}
	assert_int_equal(session_stats(e->table, SLICE_LIT("s1"), &stats), 0);
	assert_int_equal(stats.stream_count, 1);
	assert_string_equal(stats.streams[0].codec, "PCMU/8000");
	assert_string_equal(stats.streams[0].leg[SESSION_LEG_A].tag, "a");
	assert_string_equal(stats.streams[0].leg[SESSION_LEG_B].tag, "b");
	for (int leg = 0; leg < SESSION_LEG_COUNT; leg++) {
		assert_int_equal(stats.streams[0].leg[leg].local_port, netaddr_port(&e->relay[leg]));
		assert_int_equal(stats.streams[0].leg[leg].media.packets_received, 5);
		assert_int_equal(stats.streams[0].leg[leg].media.packets_sent, 5);
	}
}

static void hold_stops_one_direction(void **state)
{
	struct env *e = *state;

	set_up_call(e);
	assert_true(passes(e, 0, 1));
	assert_int_equal(session_hold(e->table, SLICE_LIT("s1"), SLICE_LIT("b"), true), 0);
	/* nothing towards B; B's media still reaches A */
	uint8_t pkt[172] = { 0x80, 0, 0, 2 };
	send_to(e->phone[0], &e->relay[0], pkt, sizeof(pkt));
	expect_silence(e->phone[1]);
	assert_true(passes(e, 1, 1));
	assert_int_equal(session_hold(e->table, SLICE_LIT("s1"), SLICE_LIT("b"), false), 0);
	assert_true(passes(e, 0, 3));

	assert_int_equal(session_hold(e->table, SLICE_LIT("s1"), SLICE_LIT("nobody"), true), ENOENT);
	assert_int_equal(session_hold(e->table, SLICE_LIT("s2"), SLICE_LIT("b"), true), ENOENT);
}

static void errors_and_delete(void **state)
{
	struct env *e = *state;
	struct session_request req = request("b");
	struct session_stats stats;
	const char *reason = NULL;

	phone_sdp(e, 1);
	assert_int_equal(session_answer(e->table, &req, e->sdp, &reason), ENOENT);
	assert_string_equal(reason, "Unknown call-id");
	req.tag = SLICE_NULL;
	assert_int_equal(session_offer(e->table, &req, e->sdp, &reason), EINVAL);
	assert_string_equal(reason, "No from-tag in message");
	assert_false(session_exists(e->table, SLICE_LIT("s1")));

	set_up_call(e);
	assert_int_equal(session_delete(e->table, SLICE_LIT("s1")), 0);
	assert_false(session_exists(e->table, SLICE_LIT("s1")));
	assert_int_equal(session_delete(e->table, SLICE_LIT("s1")), ENOENT);
	assert_int_equal(session_stats(e->table, SLICE_LIT("s1"), &stats), ENOENT);
}

/* What OpenSSL and the engine keep for good (the certificate's one-time
 * tables, thread state) is taken before the first measurement. */
static int warm_up(void **state)
{
	(void)state;
	return leak_warm_up(&env_fixture, relays_both_ways_and_counts);
}

int main(void)
{
#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(relays_both_ways_and_counts),
		T(hold_stops_one_direction),
		T(errors_and_delete),
	};
#undef T
	return cmocka_run_group_tests(tests, warm_up, NULL);
}
