/*
 * internal.h - the layers under srtp.c, private to src/srtp/ and
 * tests/srtp/test_srtp.c.
 *
 *   srtp_kdf.c        RFC 3711 4.3 key derivation (AES-CM PRF, KDR 0)
 *   srtp_transform.c  the cryptographic transforms of one direction, RTP or
 *                     RTCP, given the packet index: AES-CM + HMAC-SHA1
 *                     (RFC 3711) and AES-GCM (RFC 7714), with OpenSSL
 *                     contexts keyed once
 *   srtp_replay.c     the packet index: ROC estimation for RTP (RFC 3711
 *                     3.3.1, libsrtp's rdbx) and the replay windows
 *   srtp.c            sessions, per-SSRC state, packet layout checks
 *
 * Nothing here allocates per packet.
 */
#ifndef RTCB_SRTP_INTERNAL_H
#define RTCB_SRTP_INTERNAL_H

#include "srtp/srtp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

/* ---------------------------------------------------------------------------
 * Key derivation (srtp_kdf.c)
 */

enum srtp_label {
	SRTP_LABEL_RTP_ENCRYPTION = 0x00,
	SRTP_LABEL_RTP_AUTH = 0x01,
	SRTP_LABEL_RTP_SALT = 0x02,
	SRTP_LABEL_RTCP_ENCRYPTION = 0x03,
	SRTP_LABEL_RTCP_AUTH = 0x04,
	SRTP_LABEL_RTCP_SALT = 0x05,
};

/* len bytes of the session key for label from the master key and salt
 * (salt_len 14, or 12 for AES-GCM, which libsrtp and RFC 7714 pad with two
 * zero bytes). 0, or EIO when OpenSSL fails. */
int srtp_kdf(uint8_t *out, size_t len, const uint8_t key[SRTP_MASTER_KEY_LEN],
	     const uint8_t *salt, size_t salt_len, enum srtp_label label);

/* ---------------------------------------------------------------------------
 * Transforms (srtp_transform.c)
 */

#define SRTP_SESSION_SALT_MAX 14
#define SRTP_AUTH_KEY_LEN 20
#define SRTP_GCM_TAG_LEN 16
/* E flag in the SRTCP index word: the packet is encrypted */
#define SRTCP_E_FLAG 0x80000000u
#define SRTCP_INDEX_MAX 0x7fffffffu

/* Session keys as derived: for one direction, RTP or RTCP. */
struct srtp_session_keys {
	uint8_t key[SRTP_MASTER_KEY_LEN];
	uint8_t salt[SRTP_SESSION_SALT_MAX]; /* 14 bytes, 12 for AES-GCM */
	uint8_t auth[SRTP_AUTH_KEY_LEN];     /* AES-CM only */
};

/* HMAC-SHA1 with the pads hashed once: per packet, two struct copies. */
struct srtp_hmac {
	SHA_CTX inner; /* after (key ^ ipad) */
	SHA_CTX outer; /* after (key ^ opad) */
};

struct srtp_transform {
	bool gcm;
	size_t tag_len; /* 10 or 4 (RTP with _32), 16 for AES-GCM */
	EVP_CIPHER_CTX *cipher; /* AES-128-CTR or AES-128-GCM, keyed once */
	struct srtp_hmac hmac;  /* AES-CM only */
	uint8_t salt[SRTP_SESSION_SALT_MAX];
};

/* Keys t for profile from session keys (the RFC test vectors start here),
 * or from a master key (srtp_transform_derive). rtcp picks the labels and,
 * for AES-CM, the 80-bit tag that SRTCP always has. EIO, ENOMEM. */
int srtp_transform_init(struct srtp_transform *t, enum srtp_profile profile, bool rtcp,
			const struct srtp_session_keys *keys);
int srtp_transform_derive(struct srtp_transform *t, enum srtp_profile profile, bool rtcp,
			  const struct srtp_master *master);
/* Frees the contexts and wipes the keys; t may be zeroed or initialised. */
void srtp_transform_clear(struct srtp_transform *t);

/* RTP, in place: buf holds header_len bytes of header and payload_len of
 * payload. Encrypt appends tag_len bytes. Decrypt takes the tag after the
 * payload, checks it (EBADMSG) and only then decrypts. EIO from OpenSSL. */
int srtp_transform_rtp_encrypt(struct srtp_transform *t, uint8_t *buf, size_t header_len,
			       size_t payload_len, uint32_t ssrc, uint64_t index);
int srtp_transform_rtp_decrypt(struct srtp_transform *t, uint8_t *buf, size_t header_len,
			       size_t payload_len, uint32_t ssrc, uint64_t index);

/* SRTCP, in place: len bytes of RTCP (at least the 8-byte header).
 * Encrypt appends the E|index word and the tag in the profile's order
 * (AES-CM: word, tag; AES-GCM: tag, word) and sets E. */
int srtp_transform_rtcp_encrypt(struct srtp_transform *t, uint8_t *buf, size_t *len,
				uint32_t index);
/* The E|index word of a protected packet, to check for replays before
 * anything else; EMSGSIZE when len has no room for header, word and tag. */
int srtp_transform_rtcp_word(const struct srtp_transform *t, const uint8_t *buf, size_t len,
			     uint32_t *word);
/* Checks the tag (EBADMSG), decrypts when E is set, strips the trailer. */
int srtp_transform_rtcp_decrypt(struct srtp_transform *t, uint8_t *buf, size_t *len);

/* ---------------------------------------------------------------------------
 * Indexes and replay windows (srtp_replay.c)
 */

#define SRTP_REPLAY_WINDOW 1024 /* RTP; libsrtp accepts up to 2^15 */
#define SRTCP_REPLAY_WINDOW 128 /* libsrtp's fixed SRTCP window */

/* libsrtp's srtp_rdbx_t: the highest index and which of the window below
 * it were seen. Zeroed: nothing seen, index 0. */
struct srtp_rtp_replay {
	uint64_t index; /* ROC << 16 | SEQ of the highest packet */
	/* bit k: index - k was seen, k < SRTP_REPLAY_WINDOW */
	uint64_t seen[SRTP_REPLAY_WINDOW / 64];
};

/* libsrtp's srtp_rdb_t: a window [start, start + 128). Zeroed: nothing. */
struct srtcp_replay {
	uint32_t start;
	uint64_t seen[SRTCP_REPLAY_WINDOW / 64]; /* bit k: start + k seen */
};

/* The index of seq (RFC 3711 3.3.1: the ROC that puts it closest to the
 * highest index) in *index; returns its distance from the highest index. */
int32_t srtp_replay_estimate(const struct srtp_rtp_replay *r, uint16_t seq, uint64_t *index);
/* 0, or EALREADY: seen already (replay) or older than the window. old is
 * set when it is older than the window (libsrtp's replay_old). */
int srtp_replay_check(const struct srtp_rtp_replay *r, int32_t delta, bool *old);
void srtp_replay_add(struct srtp_rtp_replay *r, int32_t delta);

int srtcp_replay_check(const struct srtcp_replay *r, uint32_t index);
void srtcp_replay_add(struct srtcp_replay *r, uint32_t index);

#endif
