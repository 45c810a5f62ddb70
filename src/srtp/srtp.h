/*
 * srtp.h - SRTP and SRTCP sessions, and SDES key exchange.
 *
 * A session protects what we send with our master key and unprotects what
 * we receive with the peer's. The keys come from a DTLS-SRTP handshake
 * (dtls_conn_keys) or from two a=crypto lines (SDES, RFC 4568), in the same
 * struct srtp_keys either way, so the packet path does not care which.
 *
 * Packets are protected and unprotected in place. Protecting makes a packet
 * longer (the authentication tag, and for SRTCP the index), so the caller's
 * buffer needs SRTP_SESSION_TRAILER_MAX bytes of room past the packet.
 *
 * Errors are errno values, chosen so that the engine can count them apart:
 *   EBADMSG   authentication failed (wrong key, tampered or garbage packet)
 *   EALREADY  replay: this index was seen already, or is older than the
 *             replay window; normal in small numbers (duplicates on the
 *             network), not an attack by itself
 *   EMSGSIZE  not an RTP/RTCP packet of a possible length
 *   ENOSPC    protect: less than SRTP_SESSION_TRAILER_MAX bytes of room
 *   EIO       anything else (OpenSSL failed; 2^31 SRTCP packets sent)
 *
 * A session belongs to one thread (the media worker that owns the stream).
 */
#ifndef RTCB_SRTP_SRTP_H
#define RTCB_SRTP_SRTP_H

#include "core/mbuf.h"
#include "core/slice.h"

#include <stddef.h>
#include <stdint.h>

/* The values are the DTLS-SRTP protection profile numbers (RFC 5764 4.1.2,
 * RFC 7714 14.2), which libsrtp's srtp_profile_t and OpenSSL use too. */
enum srtp_profile {
	SRTP_PROFILE_AES128_CM_SHA1_80 = 1,
	SRTP_PROFILE_AES128_CM_SHA1_32 = 2,
	SRTP_PROFILE_AEAD_AES_128_GCM = 7,
};

#define SRTP_MASTER_KEY_LEN 16
#define SRTP_MASTER_SALT_MAX 14

/* Room protect needs past the packet: the largest tag (AES-GCM's 16), plus
 * 4 for the SRTCP index. No MKI. */
#define SRTP_SESSION_TRAILER_MAX (16 + 4)

struct srtp_master {
	uint8_t key[SRTP_MASTER_KEY_LEN];
	/* srtp_profile_salt_len() bytes of it: 14, or 12 for AES-GCM */
	uint8_t salt[SRTP_MASTER_SALT_MAX];
};

struct srtp_keys {
	enum srtp_profile profile;
	struct srtp_master local;  /* protects what we send */
	struct srtp_master remote; /* unprotects what we receive */
};

static inline size_t srtp_profile_salt_len(enum srtp_profile profile)
{
	return profile == SRTP_PROFILE_AEAD_AES_128_GCM ? 12 : 14;
}

struct srtp_session;

/* A session for keys->profile, refcounted (mem_deref). EINVAL for an
 * unknown profile, ENOMEM, EIO when OpenSSL fails. */
int srtp_session_alloc(struct srtp_session **sp, const struct srtp_keys *keys);

/* In place: *len is the packet's length before and after; cap is the size
 * of buf. Errors as above; on error the packet must be dropped. */
int srtp_session_protect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap);
int srtp_session_unprotect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len);
int srtp_session_protect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap);
int srtp_session_unprotect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len);

/* ---------------------------------------------------------------------------
 * SDES (RFC 4568): the value of an a=crypto attribute
 */

struct sdes_crypto {
	uint32_t tag;
	enum srtp_profile profile;
	struct srtp_master master;
};

/* Parses "<tag> <suite> inline:<base64 key||salt>[|lifetime]" (what follows
 * "a=crypto:"). Suites: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32,
 * AEAD_AES_128_GCM. A lifetime is accepted and ignored (2^48 packets, the
 * RFC 3711 limit, is beyond any call). Refused with EINVAL and a static *reason:
 * other suites, MKI, several keys, session parameters, malformed text. */
int sdes_crypto_parse(struct sdes_crypto *out, struct slice value, const char **reason);

/* A fresh random master key and salt for profile (RAND_bytes). */
int sdes_crypto_generate(struct sdes_crypto *out, uint32_t tag, enum srtp_profile profile);

/* Appends "<tag> <suite> inline:<base64>" to b (check mbuf_failed). */
void sdes_crypto_print(struct mbuf *b, const struct sdes_crypto *crypto);

#endif
