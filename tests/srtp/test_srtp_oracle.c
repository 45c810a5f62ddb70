/*
 * test_srtp_oracle.c - our SRTP sessions against libsrtp2, which rtcbridge
 * used before and which stays here as the oracle (a test-only dependency).
 * For every profile, RTP and RTCP: the same bytes out for the same key;
 * each unprotecting what the other protected, with CSRCs and a header
 * extension, across a sequence-number wrap (ROC 0 to 1), reordered inside
 * the window; tampered packets refused by both, replays refused by both.
 * Sending again (allow_repeat_tx): the same answers for repeats, for
 * indexes before the wrap and for indexes behind the window.
 *
 * A timing loop prints (does not assert) the cost of protect + unprotect
 * per packet with 1 and with 1000 live sessions, ours and libsrtp2's.
 *
 * Every test checks that it gave back all the memory it took.
 */
#include <srtp2/srtp.h>
/* libsrtp's is key and salt (30 bytes); ours, below, is the key alone */
#undef SRTP_MASTER_KEY_LEN

#include "srtp/srtp.h"
#include "srtp/internal.h"
#include "core/mem.h"
#include "leakcheck.h"
#include "srtp/srtp_packets.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define BUF_SIZE 1600
#define PAYLOAD_LEN SRTP_TEST_PAYLOAD_LEN
#define SSRC 0x11223344u

static const enum srtp_profile all_profiles[] = {
	SRTP_PROFILE_AES128_CM_SHA1_80,
	SRTP_PROFILE_AES128_CM_SHA1_32,
	SRTP_PROFILE_AEAD_AES_128_GCM,
};
#define PROFILE_COUNT (sizeof(all_profiles) / sizeof(all_profiles[0]))

/* ------------------------------------------------------------- libsrtp2 as the oracle */

/* A libsrtp session as the code this replaced made them. */
static srtp_t oracle_make(enum srtp_profile profile, const struct srtp_master *m, bool send)
{
	unsigned char key[SRTP_MASTER_KEY_LEN + SRTP_MASTER_SALT_MAX];
	srtp_policy_t policy;
	srtp_t ctx = NULL;

	memset(&policy, 0, sizeof(policy));
	assert_int_equal(srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, (srtp_profile_t)profile), 0);
	assert_int_equal(srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, (srtp_profile_t)profile), 0);
	memcpy(key, m->key, SRTP_MASTER_KEY_LEN);
	memcpy(key + SRTP_MASTER_KEY_LEN, m->salt, srtp_profile_salt_len(profile));
	policy.ssrc.type = send ? ssrc_any_outbound : ssrc_any_inbound;
	policy.key = key;
	policy.window_size = SRTP_REPLAY_WINDOW;
	policy.allow_repeat_tx = send;
	assert_int_equal(srtp_create(&ctx, &policy), srtp_err_status_ok);
	return ctx;
}

static int oracle_errno(srtp_err_status_t status)
{
	switch (status) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
		return EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return EALREADY;
	default:
		return EIO;
	}
}

static int oracle_protect(srtp_t ctx, bool rtcp, uint8_t *buf, size_t *len)
{
	int n = (int)*len;
	int err = oracle_errno(rtcp ? srtp_protect_rtcp(ctx, buf, &n) : srtp_protect(ctx, buf, &n));
	*len = (size_t)n;
	return err;
}

static int oracle_unprotect(srtp_t ctx, bool rtcp, uint8_t *buf, size_t *len)
{
	int n = (int)*len;
	int err = oracle_errno(rtcp ? srtp_unprotect_rtcp(ctx, buf, &n) : srtp_unprotect(ctx, buf, &n));
	*len = (size_t)n;
	return err;
}

#define CROSS_PACKETS 160
#define CROSS_FIRST_SEQ 65480 /* wraps after 56 packets */

/* RTP with two CSRCs, and on every other packet a header extension
 * (RFC 8285 one-byte form, two words); or an RTCP receiver report. */
static size_t cross_make(uint8_t *buf, bool rtcp, unsigned i, uint32_t ssrc)
{
	if (rtcp) {
		size_t len = rtcp_make(buf, ssrc);
		buf[27] = (uint8_t)i; /* so that no two are alike */
		return len;
	}
	uint16_t seq = (uint16_t)(CROSS_FIRST_SEQ + i);
	bool ext = i % 2;
	size_t h = 0;
	buf[h++] = (uint8_t)(0x80 | (ext ? 0x10 : 0) | 2);
	buf[h++] = 111;
	buf[h++] = (uint8_t)(seq >> 8);
	buf[h++] = (uint8_t)seq;
	for (int k = 0; k < 4; k++)
		buf[h++] = (uint8_t)(i * 960 >> (24 - 8 * k));
	for (int k = 0; k < 4; k++)
		buf[h++] = (uint8_t)(ssrc >> (24 - 8 * k));
	for (int k = 0; k < 8; k++) /* CSRCs */
		buf[h++] = (uint8_t)(0xc0 + k);
	if (ext) {
		static const uint8_t extension[12] = { 0xbe, 0xde, 0x00, 0x02, 0x10, 0xff,
						       0x22, 0x12, 0x34, 0x00, 0x00, 0x00 };
		memcpy(buf + h, extension, sizeof(extension));
		h += sizeof(extension);
	}
	for (unsigned k = 0; k < 40 + i % 7; k++)
		buf[h++] = (uint8_t)(k * 13 + i);
	return h;
}

/* Moves what is delivered at from to the place to, later. */
static void deliver_later(unsigned order[CROSS_PACKETS], unsigned from, unsigned to)
{
	unsigned late = order[from];
	memmove(order + from, order + from + 1, (to - from) * sizeof(order[0]));
	order[to] = late;
}

/* The order packets are delivered in: pairs swapped, one delivered 100
 * later (from before the wrap to after it), one 50 later; all inside the
 * window. */
static void cross_order(unsigned order[CROSS_PACKETS])
{
	for (unsigned i = 0; i < CROSS_PACKETS; i++)
		order[i] = i;
	for (unsigned i = 0; i + 3 < CROSS_PACKETS; i += 10) {
		unsigned t = order[i];
		order[i] = order[i + 3];
		order[i + 3] = t;
	}
	deliver_later(order, 50, 150);
	deliver_later(order, 5, 55);
}

struct cross {
	struct srtp_session *ours; /* local: k1, remote: k2 */
	srtp_t twin;               /* sends with k1, as ours does */
	srtp_t receiver;           /* receives k1 */
	srtp_t sender;             /* sends with k2 */
	srtp_t mirror;             /* receives k2 as ours does, to compare */
	uint8_t plain[CROSS_PACKETS][BUF_SIZE];
	uint8_t sent[CROSS_PACKETS][BUF_SIZE];
	size_t plain_len[CROSS_PACKETS], sent_len[CROSS_PACKETS];
};

/* One profile, RTP or RTCP, both ways. */
static void cross_check(enum srtp_profile profile, bool rtcp)
{
	struct cross *c = calloc(1, sizeof(*c));
	struct sdes_crypto k1, k2;
	struct srtp_keys keys = { .profile = profile };
	unsigned order[CROSS_PACKETS];
	uint8_t buf[BUF_SIZE];
	size_t len;
	const uint32_t ssrc = 0x5eed0001;

	assert_non_null(c);
	assert_int_equal(sdes_crypto_generate(&k1, 1, profile), 0);
	assert_int_equal(sdes_crypto_generate(&k2, 1, profile), 0);
	keys.local = k1.master;
	keys.remote = k2.master;
	assert_int_equal(srtp_session_alloc(&c->ours, &keys), 0);
	c->twin = oracle_make(profile, &k1.master, true);
	c->receiver = oracle_make(profile, &k1.master, false);
	c->sender = oracle_make(profile, &k2.master, true);
	c->mirror = oracle_make(profile, &k2.master, false);
	cross_order(order);

	/* ours sends: byte for byte what libsrtp sends with the same key */
	for (unsigned i = 0; i < CROSS_PACKETS; i++) {
		c->plain_len[i] = cross_make(c->plain[i], rtcp, i, ssrc);
		memcpy(c->sent[i], c->plain[i], len = c->plain_len[i]);
		assert_int_equal(rtcp ? srtp_session_protect_rtcp(c->ours, c->sent[i], &len, BUF_SIZE)
				      : srtp_session_protect_rtp(c->ours, c->sent[i], &len, BUF_SIZE),
				 0);
		c->sent_len[i] = len;
		memcpy(buf, c->plain[i], len = c->plain_len[i]);
		assert_int_equal(oracle_protect(c->twin, rtcp, buf, &len), 0);
		assert_int_equal(len, c->sent_len[i]);
		assert_memory_equal(buf, c->sent[i], len);
	}
	/* libsrtp receives it, out of order */
	for (unsigned j = 0; j < CROSS_PACKETS; j++) {
		unsigned i = order[j];
		memcpy(buf, c->sent[i], len = c->sent_len[i]);
		assert_int_equal(oracle_unprotect(c->receiver, rtcp, buf, &len), 0);
		assert_int_equal(len, c->plain_len[i]);
		assert_memory_equal(buf, c->plain[i], len);
	}

	/* libsrtp sends, ours (and libsrtp beside it) receive out of order */
	for (unsigned i = 0; i < CROSS_PACKETS; i++) {
		memcpy(c->sent[i], c->plain[i], len = c->plain_len[i]);
		assert_int_equal(oracle_protect(c->sender, rtcp, c->sent[i], &len), 0);
		c->sent_len[i] = len;
	}
	for (unsigned j = 0; j < CROSS_PACKETS; j++) {
		unsigned i = order[j];
		memcpy(buf, c->sent[i], len = c->sent_len[i]);
		if (j % 17 == 3) { /* tampered first: refused, and the real one still passes */
			buf[len / 2] ^= 0x04;
			assert_int_equal(rtcp ? srtp_session_unprotect_rtcp(c->ours, buf, &len)
					      : srtp_session_unprotect_rtp(c->ours, buf, &len),
					 EBADMSG);
			memcpy(buf, c->sent[i], len = c->sent_len[i]);
			buf[len / 2] ^= 0x04;
			assert_int_equal(oracle_unprotect(c->mirror, rtcp, buf, &len), EBADMSG);
			memcpy(buf, c->sent[i], len = c->sent_len[i]);
		}
		assert_int_equal(oracle_unprotect(c->mirror, rtcp, buf, &len), 0);
		memcpy(buf, c->sent[i], len = c->sent_len[i]);
		assert_int_equal(rtcp ? srtp_session_unprotect_rtcp(c->ours, buf, &len)
				      : srtp_session_unprotect_rtp(c->ours, buf, &len),
				 0);
		assert_int_equal(len, c->plain_len[i]);
		assert_memory_equal(buf, c->plain[i], len);
	}
	/* replays, recent (in the window) and first (before the wrap) */
	static const unsigned replayed[] = { CROSS_PACKETS - 1, CROSS_PACKETS - 30, 50, 0 };
	for (size_t r = 0; r < sizeof(replayed) / sizeof(replayed[0]); r++) {
		unsigned i = replayed[r];
		memcpy(buf, c->sent[i], len = c->sent_len[i]);
		assert_int_equal(rtcp ? srtp_session_unprotect_rtcp(c->ours, buf, &len)
				      : srtp_session_unprotect_rtp(c->ours, buf, &len),
				 EALREADY);
		memcpy(buf, c->sent[i], len = c->sent_len[i]);
		assert_int_equal(oracle_unprotect(c->mirror, rtcp, buf, &len), EALREADY);
	}
	/* and a fresh one, tampered in the tag */
	memcpy(c->sent[0], c->plain[CROSS_PACKETS - 1], len = c->plain_len[CROSS_PACKETS - 1]);
	if (!rtcp) { /* RTP: the next sequence number */
		uint16_t seq = (uint16_t)(CROSS_FIRST_SEQ + CROSS_PACKETS);
		c->sent[0][2] = (uint8_t)(seq >> 8);
		c->sent[0][3] = (uint8_t)seq;
	}
	assert_int_equal(oracle_protect(c->sender, rtcp, c->sent[0], &len), 0);
	/* (AES-GCM's SRTCP ends in the index, after the tag) */
	c->sent[0][len - (rtcp && profile == SRTP_PROFILE_AEAD_AES_128_GCM ? 5 : 1)] ^= 0x01;
	assert_int_equal(rtcp ? srtp_session_unprotect_rtcp(c->ours, c->sent[0], &len)
			      : srtp_session_unprotect_rtp(c->ours, c->sent[0], &len),
			 EBADMSG);

	srtp_dealloc(c->twin);
	srtp_dealloc(c->receiver);
	srtp_dealloc(c->sender);
	srtp_dealloc(c->mirror);
	mem_deref(c->ours);
	free(c);
}

static void test_oracle(void **state)
{
	(void)state;
	for (size_t p = 0; p < PROFILE_COUNT; p++) {
		cross_check(all_profiles[p], false);
		cross_check(all_profiles[p], true);
	}
}

/* Sending again what was sent before the wrap, or far behind: libsrtp's
 * allow_repeat_tx answers, ours must answer the same. */
static void test_oracle_sender_repeats(void **state)
{
	(void)state;
	static const uint16_t seqs[] = { 65530, 65535, 2, 65534, 100, 2, 65000, 1500, 300, 1200 };
	for (size_t p = 0; p < PROFILE_COUNT; p++) {
		struct sdes_crypto k;
		struct srtp_keys keys = { .profile = all_profiles[p] };
		struct srtp_session *ours;
		assert_int_equal(sdes_crypto_generate(&k, 1, all_profiles[p]), 0);
		keys.local = keys.remote = k.master;
		assert_int_equal(srtp_session_alloc(&ours, &keys), 0);
		srtp_t twin = oracle_make(all_profiles[p], &k.master, true);
		for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
			uint8_t a[BUF_SIZE], b[BUF_SIZE];
			size_t a_len = rtp_make(a, seqs[i], SSRC), b_len = a_len;
			memcpy(b, a, a_len);
			int ours_err = srtp_session_protect_rtp(ours, a, &a_len, sizeof(a));
			int twin_err = oracle_protect(twin, false, b, &b_len);
			assert_int_equal(ours_err, twin_err);
			if (!ours_err) {
				assert_int_equal(a_len, b_len);
				assert_memory_equal(a, b, a_len);
			}
		}
		srtp_dealloc(twin);
		mem_deref(ours);
	}
}

/* ------------------------------------------------------------- timing */

#define TIMING_SESSIONS 1000
#define TIMING_PACKETS 20000

static double seconds_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Protect on a, unprotect on b, round robin over n pairs; µs per packet. */
static double time_ours(struct srtp_session **a, struct srtp_session **b, unsigned n)
{
	uint8_t buf[BUF_SIZE];
	double start = seconds_now();
	for (unsigned i = 0; i < TIMING_PACKETS; i++) {
		size_t len = rtp_make(buf, (uint16_t)(1 + i / n), SSRC);
		assert_int_equal(srtp_session_protect_rtp(a[i % n], buf, &len, sizeof(buf)), 0);
		assert_int_equal(srtp_session_unprotect_rtp(b[i % n], buf, &len), 0);
	}
	return (seconds_now() - start) * 1e6 / TIMING_PACKETS;
}

static double time_libsrtp(srtp_t *a, srtp_t *b, unsigned n)
{
	uint8_t buf[BUF_SIZE];
	double start = seconds_now();
	for (unsigned i = 0; i < TIMING_PACKETS; i++) {
		size_t len = rtp_make(buf, (uint16_t)(1 + i / n), SSRC);
		assert_int_equal(oracle_protect(a[i % n], false, buf, &len), 0);
		assert_int_equal(oracle_unprotect(b[i % n], false, buf, &len), 0);
	}
	return (seconds_now() - start) * 1e6 / TIMING_PACKETS;
}

/* Printed, not asserted: the point is that 1000 live sessions cost what
 * one does (protect + unprotect of a 172-byte packet). */
static void test_timing(void **state)
{
	(void)state;
	static const unsigned counts[] = { 1, TIMING_SESSIONS };
	struct srtp_session **a = calloc(TIMING_SESSIONS, sizeof(*a));
	struct srtp_session **b = calloc(TIMING_SESSIONS, sizeof(*b));
	srtp_t *la = calloc(TIMING_SESSIONS, sizeof(*la)), *lb = calloc(TIMING_SESSIONS, sizeof(*lb));
	assert_true(a && b && la && lb);

	for (size_t p = 0; p < PROFILE_COUNT; p++) {
		for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
			unsigned n = counts[c];
			for (unsigned i = 0; i < n; i++) {
				struct sdes_crypto k;
				struct srtp_keys keys = { .profile = all_profiles[p] };
				assert_int_equal(sdes_crypto_generate(&k, 1, all_profiles[p]), 0);
				keys.local = keys.remote = k.master;
				assert_int_equal(srtp_session_alloc(&a[i], &keys), 0);
				assert_int_equal(srtp_session_alloc(&b[i], &keys), 0);
				la[i] = oracle_make(all_profiles[p], &k.master, true);
				lb[i] = oracle_make(all_profiles[p], &k.master, false);
			}
			double ours = time_ours(a, b, n), theirs = time_libsrtp(la, lb, n);
			printf("timing: profile %d, %4u live sessions: ours %6.2f us, libsrtp2 %6.2f us "
			       "per packet (protect + unprotect)\n",
			       (int)all_profiles[p], n, ours, theirs);
			for (unsigned i = 0; i < n; i++) {
				a[i] = mem_deref(a[i]);
				b[i] = mem_deref(b[i]);
				srtp_dealloc(la[i]);
				srtp_dealloc(lb[i]);
			}
		}
	}
	free(a);
	free(b);
	free(la);
	free(lb);
}

int main(void)
{
	/* libsrtp, its crypto backend (NSS here) and OpenSSL set up state on
	 * first use and keep it: do that before the memory accounting starts. */
	if (srtp_init() != srtp_err_status_ok)
		return 1;
	for (size_t p = 0; p < PROFILE_COUNT; p++) {
		struct sdes_crypto made;
		struct srtp_keys keys = { .profile = all_profiles[p] };
		struct srtp_session *ours;
		uint8_t buf[BUF_SIZE];
		size_t len;
		assert_int_equal(sdes_crypto_generate(&made, 1, all_profiles[p]), 0);
		keys.local = keys.remote = made.master;
		assert_int_equal(srtp_session_alloc(&ours, &keys), 0);
		srtp_t oracle_send = oracle_make(all_profiles[p], &made.master, true);
		srtp_t oracle_receive = oracle_make(all_profiles[p], &made.master, false);
		for (int rtcp = 0; rtcp < 2; rtcp++) {
			len = rtcp ? rtcp_make(buf, 1) : rtp_make(buf, 1, 1);
			oracle_protect(oracle_send, rtcp, buf, &len);
			oracle_unprotect(oracle_receive, rtcp, buf, &len);
			len = rtcp ? rtcp_make(buf, 1) : rtp_make(buf, 1, 1);
			if (rtcp) {
				srtp_session_protect_rtcp(ours, buf, &len, sizeof(buf));
				srtp_session_unprotect_rtcp(ours, buf, &len);
			} else {
				srtp_session_protect_rtp(ours, buf, &len, sizeof(buf));
				srtp_session_unprotect_rtp(ours, buf, &len);
			}
		}
		srtp_dealloc(oracle_send);
		srtp_dealloc(oracle_receive);
		mem_deref(ours);
	}

#define T(name) leak_test(name, NULL)
	const struct CMUnitTest tests[] = {
		T(test_oracle),
		T(test_oracle_sender_repeats),
		T(test_timing),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
