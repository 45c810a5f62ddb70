/*
 * engine_peer.h - what the media engine's unit tests (test_engine.c,
 * test_engine_secure.c) do as the phones and browsers on the other side of
 * the relay: send a datagram, wait for one (bounded), expect none, and
 * poll the call's statistics until a condition holds. Header-only; the
 * including file includes cmocka.h first and defines WAIT_MS (the longest
 * wait for something that must happen) and SILENCE_MS (how long nothing
 * must arrive).
 */
#ifndef RTCB_TESTS_MEDIA_ENGINE_PEER_H
#define RTCB_TESTS_MEDIA_ENGINE_PEER_H

#include "core/netaddr.h"
#include "media/engine.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static inline void send_to(int fd, const struct netaddr *to, const void *buf, size_t len)
{
	assert_int_equal(sendto(fd, buf, len, 0, &to->u.sa, to->len), (ssize_t)len);
}

/* One datagram within timeout_ms: its length, or -1 on silence. */
static inline ssize_t recv_within(int fd, uint8_t *buf, size_t size, struct netaddr *from,
				  int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	struct netaddr dummy;
	if (!from)
		from = &dummy;
	from->len = sizeof(from->u.storage);
	return recvfrom(fd, buf, size, MSG_DONTWAIT, &from->u.sa, &from->len);
}

static inline void expect_silence(int fd)
{
	uint8_t buf[2048];
	assert_int_equal(recv_within(fd, buf, sizeof(buf), NULL, SILENCE_MS), -1);
}

/* Poll the call's statistics until `cond` holds (bounded). */
#define STATS_UNTIL(call, st, cond)                                               \
	do {                                                                      \
		int tries_ = WAIT_MS / 10;                                        \
		for (;;) {                                                        \
			assert_int_equal(media_call_stats((call), &(st)), 0);     \
			if (cond)                                                 \
				break;                                            \
			if (--tries_ == 0)                                        \
				fail_msg("statistics never reached: %s", #cond);   \
			sleep_ms(10);                                             \
		}                                                                 \
	} while (0)

#endif
