/*
 * test_srtp.c - SRTP sessions: libsrtp's known-answer vectors through our
 * API (AES-CM-128/HMAC-SHA1-80 and AES-128-GCM, RTP and RTCP); the RFC
 * vectors for the layers below (RFC 3711 B.3 key derivation, B.2 AES-CM
 * keystream, RFC 7714 16.1 and 17.1 AES-GCM SRTP and SRTCP); round trips
 * for every profile with SDES-generated keys, tampering, replays, the
 * replay window and sequence jumps after a hold, sender repeats, several
 * SSRCs and the table's eviction, lengths; SDES parsing (RFC 4568
 * examples, refusals with their reasons), printing and the round trip
 * between the two. libsrtp2 as the oracle, and the timing loop, are in
 * test_srtp_oracle.c.
 *
 * Every test checks that it gave back all the memory it took.
 */
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

/* ------------------------------------------------------------- fixture */

struct env {
	struct srtp_session *a, *b; /* b's remote key is a's local key and back */
	struct mbuf text;
};

static int env_init(void *state)
{
	struct env *e = state;
	mbuf_init(&e->text);
	return 0;
}

static void env_fini(void *state)
{
	struct env *e = state;
	mem_deref(e->a);
	mem_deref(e->b);
	mbuf_free(&e->text);
}

static const struct leak_fixture env_fixture = { sizeof(struct env), env_init, env_fini };

/* Two sessions facing each other, with fresh keys as SDES would make. */
static void pair_make(struct env *e, enum srtp_profile profile)
{
	struct sdes_crypto ours, theirs;
	struct srtp_keys keys = { .profile = profile };

	assert_int_equal(sdes_crypto_generate(&ours, 1, profile), 0);
	assert_int_equal(sdes_crypto_generate(&theirs, 1, profile), 0);
	keys.local = ours.master;
	keys.remote = theirs.master;
	assert_int_equal(srtp_session_alloc(&e->a, &keys), 0);
	keys.local = theirs.master;
	keys.remote = ours.master;
	assert_int_equal(srtp_session_alloc(&e->b, &keys), 0);
}

static void pair_free(struct env *e)
{
	e->a = mem_deref(e->a);
	e->b = mem_deref(e->b);
}

/* Protects seq on a, unprotects it on b, checks it came back unchanged. */
static void rtp_through_ssrc(struct env *e, uint16_t seq, uint32_t ssrc)
{
	uint8_t plain[BUF_SIZE], buf[BUF_SIZE];
	size_t len = rtp_make(plain, seq, ssrc);
	memcpy(buf, plain, len);
	assert_int_equal(srtp_session_protect_rtp(e->a, buf, &len, sizeof(buf)), 0);
	assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), 0);
	assert_int_equal(len, 12 + PAYLOAD_LEN);
	assert_memory_equal(buf, plain, len);
}

static void rtp_through(struct env *e, uint16_t seq)
{
	rtp_through_ssrc(e, seq, SSRC);
}

/* ------------------------------------------------------------- known answers */

/* libsrtp's test/srtp_driver.c srtp_validate(): RFC 3711 key, SSRC cafebabe */
static const uint8_t kat_key_cm[30] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
	0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};
static const uint8_t kat_rtp_plain[28] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t kat_rtp_cm[38] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e,
	0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d,
	0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
};
static const uint8_t kat_rtcp_plain[24] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t kat_rtcp_cm[38] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4,
	0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00,
	0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98,
};
/* srtp_validate_gcm() */
static const uint8_t kat_key_gcm[28] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
};
static const uint8_t kat_rtp_gcm[44] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e,
	0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97,
	0x68, 0x26, 0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92,
};
static const uint8_t kat_rtcp_gcm[44] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b, 0x5d, 0xf0, 0x39, 0x2a,
	0x55, 0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e, 0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3,
	0xb4, 0x46, 0xea, 0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01,
};

static void known_answer(struct env *e, enum srtp_profile profile, const uint8_t *key,
			 const uint8_t *rtp, size_t rtp_len, const uint8_t *rtcp, size_t rtcp_len)
{
	struct srtp_keys keys = { .profile = profile };
	uint8_t buf[BUF_SIZE];
	size_t len;

	memcpy(keys.local.key, key, SRTP_MASTER_KEY_LEN);
	memcpy(keys.local.salt, key + SRTP_MASTER_KEY_LEN, srtp_profile_salt_len(profile));
	keys.remote = keys.local;
	assert_int_equal(srtp_session_alloc(&e->a, &keys), 0);
	assert_int_equal(srtp_session_alloc(&e->b, &keys), 0);

	len = sizeof(kat_rtp_plain);
	memcpy(buf, kat_rtp_plain, len);
	assert_int_equal(srtp_session_protect_rtp(e->a, buf, &len, sizeof(buf)), 0);
	assert_int_equal(len, rtp_len);
	assert_memory_equal(buf, rtp, len);
	assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), 0);
	assert_int_equal(len, sizeof(kat_rtp_plain));
	assert_memory_equal(buf, kat_rtp_plain, len);

	len = sizeof(kat_rtcp_plain);
	memcpy(buf, kat_rtcp_plain, len);
	assert_int_equal(srtp_session_protect_rtcp(e->a, buf, &len, sizeof(buf)), 0);
	assert_int_equal(len, rtcp_len);
	assert_memory_equal(buf, rtcp, len);
	assert_int_equal(srtp_session_unprotect_rtcp(e->b, buf, &len), 0);
	assert_int_equal(len, sizeof(kat_rtcp_plain));
	assert_memory_equal(buf, kat_rtcp_plain, len);
}

static void test_known_answer_cm_80(void **state)
{
	known_answer(*state, SRTP_PROFILE_AES128_CM_SHA1_80, kat_key_cm, kat_rtp_cm, sizeof(kat_rtp_cm),
		     kat_rtcp_cm, sizeof(kat_rtcp_cm));
}

static void test_known_answer_gcm(void **state)
{
	known_answer(*state, SRTP_PROFILE_AEAD_AES_128_GCM, kat_key_gcm, kat_rtp_gcm, sizeof(kat_rtp_gcm),
		     kat_rtcp_gcm, sizeof(kat_rtcp_gcm));
}

/* ------------------------------------------------------------- round trips */

static void test_round_trip(void **state)
{
	struct env *e = *state;
	/* RTP tag; SRTCP adds its 4-byte index and a tag (80 bits for _32 too) */
	static const size_t rtp_extra[] = { 10, 4, 16 }, rtcp_extra[] = { 14, 14, 20 };

	for (size_t p = 0; p < PROFILE_COUNT; p++) {
		uint8_t plain[BUF_SIZE], buf[BUF_SIZE];
		size_t len, plain_len;

		pair_make(e, all_profiles[p]);
		for (uint16_t seq = 100; seq < 110; seq++) {
			plain_len = len = rtp_make(plain, seq, 0xdeadbeef);
			memcpy(buf, plain, len);
			assert_int_equal(srtp_session_protect_rtp(e->a, buf, &len, sizeof(buf)), 0);
			assert_int_equal(len, plain_len + rtp_extra[p]);
			assert_memory_not_equal(buf + 12, plain + 12, PAYLOAD_LEN);
			assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), 0);
			assert_int_equal(len, plain_len);
			assert_memory_equal(buf, plain, len);
		}
		/* the other way, with the same SSRC: directions do not mix */
		plain_len = len = rtp_make(plain, 7, 0xdeadbeef);
		memcpy(buf, plain, len);
		assert_int_equal(srtp_session_protect_rtp(e->b, buf, &len, sizeof(buf)), 0);
		assert_int_equal(srtp_session_unprotect_rtp(e->a, buf, &len), 0);
		assert_memory_equal(buf, plain, plain_len);

		for (int i = 0; i < 3; i++) {
			plain_len = len = rtcp_make(plain, 0xdeadbeef);
			memcpy(buf, plain, len);
			assert_int_equal(srtp_session_protect_rtcp(e->a, buf, &len, sizeof(buf)), 0);
			assert_int_equal(len, plain_len + rtcp_extra[p]);
			assert_int_equal(srtp_session_unprotect_rtcp(e->b, buf, &len), 0);
			assert_int_equal(len, plain_len);
			assert_memory_equal(buf, plain, len);
		}
		pair_free(e);
	}
}

static void test_tampered(void **state)
{
	struct env *e = *state;
	for (size_t p = 0; p < PROFILE_COUNT; p++) {
		uint8_t buf[BUF_SIZE], copy[BUF_SIZE];
		size_t len, copy_len;

		pair_make(e, all_profiles[p]);
		len = rtp_make(buf, 1, 1);
		assert_int_equal(srtp_session_protect_rtp(e->a, buf, &len, sizeof(buf)), 0);
		memcpy(copy, buf, len);
		copy_len = len;

		buf[20] ^= 0x01; /* payload */
		assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), EBADMSG);
		memcpy(buf, copy, len = copy_len);
		buf[len - 1] ^= 0x80; /* tag */
		assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), EBADMSG);
		memcpy(buf, copy, len = copy_len);
		buf[3] ^= 0x01; /* sequence number, authenticated in the clear */
		assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), EBADMSG);
		/* a's own receive key is not the one a sent with */
		memcpy(buf, copy, len = copy_len);
		assert_int_equal(srtp_session_unprotect_rtp(e->a, buf, &len), EBADMSG);
		/* and the untouched packet still passes after all that */
		memcpy(buf, copy, len = copy_len);
		assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), 0);

		len = rtcp_make(buf, 1);
		assert_int_equal(srtp_session_protect_rtcp(e->a, buf, &len, sizeof(buf)), 0);
		buf[10] ^= 0x40;
		assert_int_equal(srtp_session_unprotect_rtcp(e->b, buf, &len), EBADMSG);
		pair_free(e);
	}
}

static void test_replay(void **state)
{
	struct env *e = *state;
	uint8_t buf[BUF_SIZE], copy[BUF_SIZE];
	size_t len, copy_len;

	pair_make(e, SRTP_PROFILE_AES128_CM_SHA1_80);
	copy_len = len = rtp_make(buf, 5, 9);
	assert_int_equal(srtp_session_protect_rtp(e->a, buf, &len, sizeof(buf)), 0);
	memcpy(copy, buf, copy_len = len);
	assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), 0);
	memcpy(buf, copy, len = copy_len);
	assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), EALREADY);

	len = rtcp_make(buf, 9);
	assert_int_equal(srtp_session_protect_rtcp(e->a, buf, &len, sizeof(buf)), 0);
	memcpy(copy, buf, copy_len = len);
	assert_int_equal(srtp_session_unprotect_rtcp(e->b, buf, &len), 0);
	memcpy(buf, copy, len = copy_len);
	assert_int_equal(srtp_session_unprotect_rtcp(e->b, buf, &len), EALREADY);
}

/* 1024 packets of reordering pass; older than that is a replay. */
static void test_replay_window(void **state)
{
	struct env *e = *state;
	uint8_t late[BUF_SIZE], old[BUF_SIZE];
	size_t late_len, old_len;

	pair_make(e, SRTP_PROFILE_AES128_CM_SHA1_80);
	/* protected now, delivered after 2000 newer packets */
	old_len = rtp_make(old, 1000, SSRC);
	assert_int_equal(srtp_session_protect_rtp(e->a, old, &old_len, sizeof(old)), 0);
	late_len = rtp_make(late, 2000, SSRC);
	assert_int_equal(srtp_session_protect_rtp(e->a, late, &late_len, sizeof(late)), 0);
	rtp_through(e, 2500);
	rtp_through(e, 3000);
	assert_int_equal(srtp_session_unprotect_rtp(e->b, late, &late_len), 0);
	assert_int_equal(srtp_session_unprotect_rtp(e->b, old, &old_len), EALREADY);
}

/* A long hold: the sender kept counting, or restarted far ahead. */
static void test_sequence_jump(void **state)
{
	struct env *e = *state;
	for (size_t p = 0; p < PROFILE_COUNT; p++) {
		pair_make(e, all_profiles[p]);
		rtp_through(e, 1000);
		rtp_through(e, 1001);
		rtp_through(e, 31001); /* +30000 */
		rtp_through(e, 31002);
		rtp_through(e, 60000);
		rtp_through(e, 24464); /* +30000 across the rollover */
		rtp_through(e, 24465);
		pair_free(e);
	}
}

/* The relay sends a sequence number again (retransmission, a source that
 * resumes after hold): same bytes out, not a refusal. */
static void test_sender_repeat(void **state)
{
	struct env *e = *state;
	uint8_t first[BUF_SIZE], again[BUF_SIZE];
	size_t first_len, again_len;

	pair_make(e, SRTP_PROFILE_AES128_CM_SHA1_80);
	first_len = rtp_make(first, 42, SSRC);
	assert_int_equal(srtp_session_protect_rtp(e->a, first, &first_len, sizeof(first)), 0);
	rtp_through(e, 43);
	again_len = rtp_make(again, 42, SSRC);
	assert_int_equal(srtp_session_protect_rtp(e->a, again, &again_len, sizeof(again)), 0);
	assert_int_equal(again_len, first_len);
	assert_memory_equal(again, first, first_len);
}

static void test_lengths(void **state)
{
	struct env *e = *state;
	uint8_t buf[BUF_SIZE];
	size_t len;
	struct srtp_keys keys = { .profile = (enum srtp_profile)5 };
	struct srtp_session *s = NULL;

	assert_int_equal(srtp_session_alloc(&s, &keys), EINVAL);
	assert_null(s);
	pair_make(e, SRTP_PROFILE_AES128_CM_SHA1_80);
	len = rtp_make(buf, 1, 1);
	size_t short_cap = len + SRTP_SESSION_TRAILER_MAX - 1;
	assert_int_equal(srtp_session_protect_rtp(e->a, buf, &len, short_cap), ENOSPC);
	assert_int_equal(srtp_session_protect_rtp(e->a, buf, &len, len - 1), ENOSPC);
	len = 11;
	assert_int_equal(srtp_session_protect_rtp(e->a, buf, &len, sizeof(buf)), EMSGSIZE);
	assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), EMSGSIZE);
	len = 7;
	assert_int_equal(srtp_session_protect_rtcp(e->a, buf, &len, sizeof(buf)), EMSGSIZE);
	assert_int_equal(srtp_session_unprotect_rtcp(e->b, buf, &len), EMSGSIZE);
	len = 70000;
	assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), EMSGSIZE);
	/* a header and no room for a tag */
	rtp_make(buf, 2, 1);
	len = 12;
	assert_int_not_equal(srtp_session_unprotect_rtp(e->b, buf, &len), 0);
	assert_int_equal(srtp_session_protect_rtp(NULL, buf, &len, sizeof(buf)), EINVAL);
}

/* ------------------------------------------------------------- RFC vectors */

/* Hex digits to bytes, blanks skipped; returns the count. */
static size_t unhex(uint8_t *out, size_t cap, const char *text)
{
	size_t n = 0;
	int high = -1;
	for (const char *p = text; *p; p++) {
		int v;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else
			continue;
		if (high < 0) {
			high = v;
			continue;
		}
		assert_true(n < cap);
		out[n++] = (uint8_t)(high << 4 | v);
		high = -1;
	}
	assert_int_equal(high, -1);
	return n;
}

static void assert_hex(const uint8_t *got, size_t len, const char *expected)
{
	uint8_t want[256];
	assert_int_equal(unhex(want, sizeof(want), expected), len);
	assert_memory_equal(got, want, len);
}

/* RFC 3711 B.3 */
static void test_rfc3711_key_derivation(void **state)
{
	(void)state;
	uint8_t key[16], salt[14], out[20];
	unhex(key, sizeof(key), "E1F97A0D3E018BE0D64FA32C06DE4139");
	unhex(salt, sizeof(salt), "0EC675AD498AFEEBB6960B3AABE6");

	assert_int_equal(srtp_kdf(out, 16, key, salt, 14, SRTP_LABEL_RTP_ENCRYPTION), 0);
	assert_hex(out, 16, "C61E7A93744F39EE10734AFE3FF7A087");
	assert_int_equal(srtp_kdf(out, 14, key, salt, 14, SRTP_LABEL_RTP_SALT), 0);
	assert_hex(out, 14, "30CBBC08863D8C85D49DB34A9AE1");
	assert_int_equal(srtp_kdf(out, 20, key, salt, 14, SRTP_LABEL_RTP_AUTH), 0);
	assert_hex(out, 20, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4");
}

/* RFC 3711 B.2: the keystream is what encrypting zeros gives, SSRC 0 and
 * index 0; its blocks 0xfeff to 0xff01 need a payload of 0xff02 blocks. */
static void test_rfc3711_keystream(void **state)
{
	(void)state;
	struct srtp_session_keys keys = { 0 };
	struct srtp_transform t;
	const size_t payload = 0xff02 * 16;
	uint8_t *buf = calloc(1, 12 + payload + SRTP_SESSION_TRAILER_MAX);

	assert_non_null(buf);
	unhex(keys.key, sizeof(keys.key), "2B7E151628AED2A6ABF7158809CF4F3C");
	unhex(keys.salt, sizeof(keys.salt), "F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
	assert_int_equal(srtp_transform_init(&t, SRTP_PROFILE_AES128_CM_SHA1_80, false, &keys), 0);
	buf[0] = 0x80;
	assert_int_equal(srtp_transform_rtp_encrypt(&t, buf, 12, payload, 0, 0), 0);
	const uint8_t *ks = buf + 12;
	assert_hex(ks, 16, "E03EAD0935C95E80E166B16DD92B4EB4");
	assert_hex(ks + 16, 16, "D23513162B02D0F72A43A2FE4A5F97AB");
	assert_hex(ks + 32, 16, "41E95B3BB0A2E8DD477901E4FCA894C0");
	assert_hex(ks + 0xfeff * 16, 16, "EC8CDF7398607CB0F2D21675EA9EA1E4");
	assert_hex(ks + 0xff00 * 16, 16, "362B7C3C6773516318A077D7FC5073AE");
	assert_hex(ks + 0xff01 * 16, 16, "6A2CC3787889374FBEB4C81B17BA6C44");
	srtp_transform_clear(&t);
	free(buf);
}

/* RFC 7714 16.1.1 (SRTP) and 17.1.1 (SRTCP): AEAD_AES_128_GCM with the
 * session key and salt given. */
static const char gcm_key[] = "000102030405060708090a0b0c0d0e0f";
static const char gcm_salt[] = "517569642070726f2071756f";

static void gcm_transform(struct srtp_transform *t, bool rtcp)
{
	struct srtp_session_keys keys = { 0 };
	unhex(keys.key, sizeof(keys.key), gcm_key);
	unhex(keys.salt, sizeof(keys.salt), gcm_salt);
	assert_int_equal(srtp_transform_init(t, SRTP_PROFILE_AEAD_AES_128_GCM, rtcp, &keys), 0);
}

static void test_rfc7714_srtp(void **state)
{
	(void)state;
	struct srtp_transform send, receive;
	uint8_t plain[BUF_SIZE], buf[BUF_SIZE];
	size_t len = unhex(plain, sizeof(plain),
			   "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973"
			   "20646976 69736120 696e2070 61727465 73207472 6573");

	gcm_transform(&send, false);
	gcm_transform(&receive, false);
	memcpy(buf, plain, len);
	assert_int_equal(srtp_transform_rtp_encrypt(&send, buf, 12, len - 12, 0x5501a0b2, 0xf17b), 0);
	assert_hex(buf, len + 16,
		   "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5"
		   "0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce");
	assert_int_equal(srtp_transform_rtp_decrypt(&receive, buf, 12, len - 12, 0x5501a0b2, 0xf17b), 0);
	assert_memory_equal(buf, plain, len);
	/* the same bytes under another ROC are another packet */
	assert_int_equal(srtp_transform_rtp_encrypt(&send, buf, 12, len - 12, 0x5501a0b2, 0xf17b), 0);
	assert_int_equal(srtp_transform_rtp_decrypt(&receive, buf, 12, len - 12, 0x5501a0b2,
						    0x1f17b),
			 EBADMSG);
	srtp_transform_clear(&send);
	srtp_transform_clear(&receive);
}

static void test_rfc7714_srtcp(void **state)
{
	(void)state;
	struct srtp_transform send, receive;
	uint8_t plain[BUF_SIZE], buf[BUF_SIZE];
	size_t plain_len = unhex(plain, sizeof(plain),
				 "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930"
				 "4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");
	size_t len = plain_len;

	gcm_transform(&send, true);
	gcm_transform(&receive, true);
	memcpy(buf, plain, len);
	assert_int_equal(srtp_transform_rtcp_encrypt(&send, buf, &len, 0x5d4), 0);
	assert_hex(buf, len,
		   "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d"
		   "c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872"
		   "45d9eade 800005d4");
	uint32_t word;
	assert_int_equal(srtp_transform_rtcp_word(&receive, buf, len, &word), 0);
	assert_int_equal(word, 0x800005d4);
	assert_int_equal(srtp_transform_rtcp_decrypt(&receive, buf, &len), 0);
	assert_int_equal(len, plain_len);
	assert_memory_equal(buf, plain, len);
	srtp_transform_clear(&send);
	srtp_transform_clear(&receive);
}

/* ------------------------------------------------------------- SSRCs */

/* Streams are kept per SSRC: far-apart sequence numbers on two SSRCs do
 * not disturb each other; past the table's 16, the least recently used
 * SSRC is forgotten and starts over when it comes back. */
static void test_ssrcs(void **state)
{
	struct env *e = *state;
	uint8_t plain[BUF_SIZE], buf[BUF_SIZE], copy[BUF_SIZE];
	size_t len, copy_len;

	pair_make(e, SRTP_PROFILE_AES128_CM_SHA1_80);
	for (uint16_t i = 0; i < 5; i++) {
		for (uint32_t ssrc = 1; ssrc <= 2; ssrc++) {
			len = rtp_make(plain, (uint16_t)(ssrc == 1 ? 100 + i : 40000 + i), ssrc);
			memcpy(buf, plain, len);
			assert_int_equal(srtp_session_protect_rtp(e->a, buf, &len, sizeof(buf)), 0);
			assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), 0);
			assert_memory_equal(buf, plain, len);
		}
	}
	/* a replay on SSRC 1, kept for later */
	len = rtp_make(buf, 104, 1);
	assert_int_equal(srtp_session_protect_rtp(e->a, buf, &len, sizeof(buf)), 0);
	memcpy(copy, buf, copy_len = len);
	assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), EALREADY);
	/* 16 other SSRCs push SSRC 1 out of b's table */
	for (uint32_t ssrc = 100; ssrc < 116; ssrc++) {
		len = rtp_make(buf, 7, ssrc);
		assert_int_equal(srtp_session_protect_rtp(e->a, buf, &len, sizeof(buf)), 0);
		assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), 0);
	}
	memcpy(buf, copy, len = copy_len);
	assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), 0);
	memcpy(buf, copy, len = copy_len);
	assert_int_equal(srtp_session_unprotect_rtp(e->b, buf, &len), EALREADY);
	/* SSRC 2, forgotten too, starts over in ROC 0: fine before a wrap */
	rtp_through_ssrc(e, 40005, 2);
}

/* ------------------------------------------------------------- SDES */

static void assert_parses(const char *text, uint32_t tag, enum srtp_profile profile)
{
	struct sdes_crypto c;
	const char *reason = NULL;
	int err = sdes_crypto_parse(&c, slice_from_cstr(text), &reason);
	if (err)
		fail_msg("\"%s\": %s", text, reason ? reason : "(no reason)");
	assert_int_equal(c.tag, tag);
	assert_int_equal(c.profile, profile);
}

static void assert_refused(const char *text, const char *expected_reason)
{
	struct sdes_crypto c;
	const char *reason = NULL;
	assert_int_equal(sdes_crypto_parse(&c, slice_from_cstr(text), &reason), EINVAL);
	assert_non_null(reason);
	if (strcmp(reason, expected_reason) != 0)
		fail_msg("\"%s\": got \"%s\", expected \"%s\"", text, reason, expected_reason);
}

static void test_sdes_parse(void **state)
{
	(void)state;
	struct sdes_crypto c;
	const char *reason = NULL;

	/* RFC 4568 6.1's key, without its MKI */
	struct slice rfc = SLICE_LIT("1 AES_CM_128_HMAC_SHA1_80 "
				     "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20");
	assert_int_equal(sdes_crypto_parse(&c, rfc, &reason), 0);
	assert_int_equal(c.tag, 1);
	assert_int_equal(c.profile, SRTP_PROFILE_AES128_CM_SHA1_80);
	assert_memory_equal(c.master.key, "YS___semctl () {", 16);
	assert_memory_equal(c.master.salt, "\t220;}\n}\nunles", 14);

	assert_parses("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", 1,
		      SRTP_PROFILE_AES128_CM_SHA1_80);
	assert_parses("  2 AES_CM_128_HMAC_SHA1_32 "
		      "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|1048576\r\n",
		      2, SRTP_PROFILE_AES128_CM_SHA1_32);
	assert_parses("999999999\tAEAD_AES_128_GCM\tinline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==",
		      999999999, SRTP_PROFILE_AEAD_AES_128_GCM);
	/* padding left out, as some endpoints do */
	struct slice unpadded = SLICE_LIT("3 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw");
	assert_int_equal(sdes_crypto_parse(&c, unpadded, &reason), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(c.master.key[i], i);
	for (int i = 0; i < 12; i++)
		assert_int_equal(c.master.salt[i], 16 + i);
}

static void test_sdes_refused(void **state)
{
	(void)state;
	const char *key = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
	char text[256];

	/* RFC 4568 6.1 exactly: lifetime and MKI */
	snprintf(text, sizeof(text), "1 AES_CM_128_HMAC_SHA1_80 inline:%s|2^20|1:4", key);
	assert_refused(text, "MKI is not supported");
	snprintf(text, sizeof(text), "1 AES_CM_128_HMAC_SHA1_80 inline:%s|1:4", key);
	assert_refused(text, "MKI is not supported");
	snprintf(text, sizeof(text), "1 AES_256_CM_HMAC_SHA1_80 inline:%s", key);
	assert_refused(text, "unsupported crypto suite");
	snprintf(text, sizeof(text), "1 F8_128_HMAC_SHA1_80 inline:%s", key);
	assert_refused(text, "unsupported crypto suite");
	snprintf(text, sizeof(text), "1 aes_cm_128_hmac_sha1_80 inline:%s", key);
	assert_refused(text, "unsupported crypto suite");
	snprintf(text, sizeof(text), "1 AES_CM_128_HMAC_SHA1_80 inline:%s;inline:%s", key, key);
	assert_refused(text, "more than one key is not supported");
	snprintf(text, sizeof(text), "1 AES_CM_128_HMAC_SHA1_80 inline:%s KDR=1", key);
	assert_refused(text, "session parameters are not supported");
	snprintf(text, sizeof(text), "1 AES_CM_128_HMAC_SHA1_80 inline:%s UNENCRYPTED_SRTP", key);
	assert_refused(text, "session parameters are not supported");
	snprintf(text, sizeof(text), "1 AES_CM_128_HMAC_SHA1_80 uri:%s", key);
	assert_refused(text, "key method is not inline");
	/* a 30-byte key for a suite that takes 28 */
	snprintf(text, sizeof(text), "1 AEAD_AES_128_GCM inline:%s", key);
	assert_refused(text, "key is not base64 of the suite's key and salt length");
	assert_refused("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubG",
		       "key is not base64 of the suite's key and salt length");
	assert_refused("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGV*",
		       "key is not base64 of the suite's key and salt length");
	assert_refused("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwg=CkgewkyMjA7fQp9CnVubGVz",
		       "key is not base64 of the suite's key and salt length");
	assert_refused("1 AES_CM_128_HMAC_SHA1_80 inline:",
		       "key is not base64 of the suite's key and salt length");
	snprintf(text, sizeof(text), "1 AES_CM_128_HMAC_SHA1_80 inline:%s|2^x", key);
	assert_refused(text, "bad key lifetime");
	snprintf(text, sizeof(text), "1 AES_CM_128_HMAC_SHA1_80 inline:%s|", key);
	assert_refused(text, "bad key lifetime");
	snprintf(text, sizeof(text), "1234567890 AES_CM_128_HMAC_SHA1_80 inline:%s", key);
	assert_refused(text, "bad tag");
	snprintf(text, sizeof(text), "x AES_CM_128_HMAC_SHA1_80 inline:%s", key);
	assert_refused(text, "bad tag");
	assert_refused("1 AES_CM_128_HMAC_SHA1_80", "expected <tag> <suite> inline:<key>");
	assert_refused("", "expected <tag> <suite> inline:<key>");
}

static void test_sdes_print(void **state)
{
	struct env *e = *state;
	static const char *const names[] = { "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
					     "AEAD_AES_128_GCM" };

	for (size_t p = 0; p < PROFILE_COUNT; p++) {
		struct sdes_crypto made, parsed;
		const char *reason = NULL;
		char prefix[64];

		assert_int_equal(sdes_crypto_generate(&made, (uint32_t)p + 1, all_profiles[p]), 0);
		mbuf_reset(&e->text);
		sdes_crypto_print(&e->text, &made);
		assert_false(mbuf_failed(&e->text));
		snprintf(prefix, sizeof(prefix), "%zu %s inline:", p + 1, names[p]);
		assert_int_equal(strncmp(e->text.data, prefix, strlen(prefix)), 0);
		assert_int_equal(e->text.len, strlen(prefix) + 40);
		assert_int_equal(sdes_crypto_parse(&parsed, mbuf_slice(&e->text), &reason), 0);
		assert_int_equal(parsed.tag, made.tag);
		assert_int_equal(parsed.profile, made.profile);
		assert_memory_equal(parsed.master.key, made.master.key, SRTP_MASTER_KEY_LEN);
		assert_memory_equal(parsed.master.salt, made.master.salt,
				    srtp_profile_salt_len(made.profile));
	}
	struct sdes_crypto again;
	assert_int_equal(sdes_crypto_generate(&again, 1, SRTP_PROFILE_AES128_CM_SHA1_80), 0);
	struct sdes_crypto other;
	assert_int_equal(sdes_crypto_generate(&other, 1, SRTP_PROFILE_AES128_CM_SHA1_80), 0);
	assert_memory_not_equal(&again.master, &other.master, sizeof(again.master));
	assert_int_equal(sdes_crypto_generate(&other, 1, (enum srtp_profile)8), EINVAL);
	assert_int_equal(sdes_crypto_generate(&other, 1000000000, SRTP_PROFILE_AES128_CM_SHA1_80), EINVAL);
}

/* OpenSSL sets up state on first use and keeps it: every profile, both
 * directions and SDES text once, before the per-test accounting starts. */
static void warm_up(void **state)
{
	struct env *e = *state;
	for (size_t p = 0; p < PROFILE_COUNT; p++) {
		uint8_t buf[BUF_SIZE];
		size_t len = rtp_make(buf, 1, 1);
		struct sdes_crypto made, parsed;
		const char *reason;
		pair_make(e, all_profiles[p]);
		srtp_session_protect_rtp(e->a, buf, &len, sizeof(buf));
		srtp_session_unprotect_rtp(e->b, buf, &len);
		len = rtcp_make(buf, 1);
		srtp_session_protect_rtcp(e->a, buf, &len, sizeof(buf));
		srtp_session_unprotect_rtcp(e->b, buf, &len);
		buf[0] ^= 1;
		srtp_session_unprotect_rtcp(e->b, buf, &len);
		sdes_crypto_generate(&made, 1, all_profiles[p]);
		sdes_crypto_print(&e->text, &made);
		sdes_crypto_parse(&parsed, mbuf_slice(&e->text), &reason);
		mbuf_reset(&e->text);
		pair_free(e);
	}
}

int main(void)
{
	if (leak_warm_up(&env_fixture, warm_up))
		return 1;

#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(test_known_answer_cm_80), T(test_known_answer_gcm), T(test_round_trip),
		T(test_tampered),           T(test_replay),           T(test_replay_window),
		T(test_sequence_jump),      T(test_sender_repeat),    T(test_lengths),
		T(test_sdes_parse),         T(test_sdes_refused),     T(test_sdes_print),
		T(test_rfc3711_key_derivation), T(test_rfc3711_keystream), T(test_rfc7714_srtp),
		T(test_rfc7714_srtcp),      T(test_ssrcs),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
