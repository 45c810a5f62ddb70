/*
 * srtp.c - SRTP/SRTCP sessions on libsrtp2.
 *
 * Two libsrtp sessions per srtp_session, not one with two policies: one
 * sends (ssrc_any_outbound, our key), one receives (ssrc_any_inbound, the
 * peer's key). libsrtp finds a stream by SSRC alone, so in a single session
 * a packet we send with an SSRC the peer also uses (an echo test, a relay
 * that keeps SSRCs) would be protected with the receive stream's keys.
 *
 * Replay protection, and why it is wider than libsrtp's default of 128:
 *   - window_size 1024 lets late packets through after a burst of
 *     reordering (jitter, Wi-Fi retries) instead of counting them as
 *     replays; libsrtp accepts up to 2^15.
 *   - allow_repeat_tx on the sending side: the relay re-protects what the
 *     other leg sends, with that leg's sequence numbers. When that leg sends
 *     a sequence number again (an RTP retransmission; a phone that resumes
 *     from where it stopped after a long hold; music on hold and the call
 *     taking turns on one SSRC) libsrtp's sender would refuse it as a
 *     replay, and the media silently stops after the hold: "SRTP packets
 *     dropped as replays after a long hold" is a known interop bug class.
 *     Repeats are only safe with the same payload, which is what a relay
 *     forwards. Indexes older than the window are still refused.
 *   - Forward jumps below 2^15 (a sender that kept counting during a hold
 *     without sending) are estimated into the right rollover counter by
 *     libsrtp and pass; larger jumps fail authentication (RFC 3711 3.3.1).
 *
 * srtp_init runs once per process (pthread_once) on the first session.
 */
#include "media/srtp.h"

#include "core/mem.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#define REPLAY_WINDOW 1024
/* RTP fixed header; RTCP header with the sender SSRC */
#define RTP_MIN_LEN 12
#define RTCP_MIN_LEN 8
#define PACKET_MAX_LEN 65535

_Static_assert(SRTP_SESSION_TRAILER_MAX == SRTP_MAX_TRAILER_LEN + 4, "trailer room changed in libsrtp");
_Static_assert((int)SRTP_PROFILE_AES128_CM_SHA1_80 == (int)srtp_profile_aes128_cm_sha1_80 &&
		       (int)SRTP_PROFILE_AES128_CM_SHA1_32 == (int)srtp_profile_aes128_cm_sha1_32 &&
		       (int)SRTP_PROFILE_AEAD_AES_128_GCM == (int)srtp_profile_aead_aes_128_gcm,
	       "profile numbers differ from libsrtp's");

struct srtp_session {
	srtp_t send;    /* ssrc_any_outbound with the local key */
	srtp_t receive; /* ssrc_any_inbound with the remote key */
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t library_status;

static void library_init(void)
{
	library_status = srtp_init();
}

static int status_errno(srtp_err_status_t status)
{
	switch (status) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
		return EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return EALREADY;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		return EMSGSIZE;
	default:
		return EIO;
	}
}

static bool profile_known(enum srtp_profile profile)
{
	return profile == SRTP_PROFILE_AES128_CM_SHA1_80 || profile == SRTP_PROFILE_AES128_CM_SHA1_32 ||
	       profile == SRTP_PROFILE_AEAD_AES_128_GCM;
}

/* One direction: a libsrtp session with a wildcard SSRC of type. */
static int direction_create(srtp_t *out, enum srtp_profile profile, srtp_ssrc_type_t type,
			    const struct srtp_master *master)
{
	unsigned char key[SRTP_MASTER_KEY_LEN + SRTP_MASTER_SALT_MAX];
	srtp_policy_t policy;
	size_t salt_len = srtp_profile_salt_len(profile);
	srtp_err_status_t status;

	memset(&policy, 0, sizeof(policy));
	if (srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, (srtp_profile_t)profile) ||
	    srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, (srtp_profile_t)profile))
		return EINVAL;
	/* libsrtp takes the key and the salt as one string */
	memcpy(key, master->key, SRTP_MASTER_KEY_LEN);
	memcpy(key + SRTP_MASTER_KEY_LEN, master->salt, salt_len);
	policy.ssrc.type = type;
	policy.key = key;
	policy.window_size = REPLAY_WINDOW;
	policy.allow_repeat_tx = type == ssrc_any_outbound;
	status = srtp_create(out, &policy);
	OPENSSL_cleanse(key, sizeof(key));
	if (status == srtp_err_status_ok)
		return 0;
	*out = NULL;
	return status == srtp_err_status_alloc_fail ? ENOMEM : EIO;
}

static void session_destroy(void *obj)
{
	struct srtp_session *s = obj;
	if (s->send)
		srtp_dealloc(s->send);
	if (s->receive)
		srtp_dealloc(s->receive);
}

int srtp_session_alloc(struct srtp_session **sp, const struct srtp_keys *keys)
{
	struct srtp_session *s = NULL;
	int err;

	if (!sp || !keys || !profile_known(keys->profile))
		return EINVAL;
	pthread_once(&library_once, library_init);
	if (library_status)
		return EIO;
	s = mem_alloc(sizeof(*s), session_destroy);
	if (!s)
		return ENOMEM;
	if ((err = direction_create(&s->send, keys->profile, ssrc_any_outbound, &keys->local)) ||
	    (err = direction_create(&s->receive, keys->profile, ssrc_any_inbound, &keys->remote)))
		goto out;
	*sp = s;
	s = NULL;
out:
	mem_deref(s);
	return err;
}

/* ---------------------------------------------------------------------------
 * The packet path
 */

static int protect(srtp_t ctx, bool rtcp, uint8_t *buf, size_t *len, size_t cap)
{
	if (!ctx || !buf || !len)
		return EINVAL;
	if (*len < (rtcp ? RTCP_MIN_LEN : RTP_MIN_LEN) || *len > PACKET_MAX_LEN)
		return EMSGSIZE;
	if (cap < *len || cap - *len < SRTP_SESSION_TRAILER_MAX)
		return ENOSPC;
	int n = (int)*len;
	int err = status_errno(rtcp ? srtp_protect_rtcp(ctx, buf, &n) : srtp_protect(ctx, buf, &n));
	if (!err)
		*len = (size_t)n;
	return err;
}

static int unprotect(srtp_t ctx, bool rtcp, uint8_t *buf, size_t *len)
{
	if (!ctx || !buf || !len)
		return EINVAL;
	if (*len < (rtcp ? RTCP_MIN_LEN : RTP_MIN_LEN) || *len > PACKET_MAX_LEN)
		return EMSGSIZE;
	int n = (int)*len;
	int err = status_errno(rtcp ? srtp_unprotect_rtcp(ctx, buf, &n) : srtp_unprotect(ctx, buf, &n));
	if (!err)
		*len = (size_t)n;
	return err;
}

int srtp_session_protect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap)
{
	return protect(s ? s->send : NULL, false, buf, len, cap);
}

int srtp_session_unprotect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len)
{
	return unprotect(s ? s->receive : NULL, false, buf, len);
}

int srtp_session_protect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap)
{
	return protect(s ? s->send : NULL, true, buf, len, cap);
}

int srtp_session_unprotect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len)
{
	return unprotect(s ? s->receive : NULL, true, buf, len);
}
