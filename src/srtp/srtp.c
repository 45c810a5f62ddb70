/*
 * srtp.c - SRTP/SRTCP sessions (RFC 3711, RFC 7714) on OpenSSL's libcrypto.
 *
 * A session has two directions: send (our master key) and receive (the
 * peer's). Each direction has its keyed transforms, RTP and RTCP
 * (srtp_transform.c, contexts made once when the session is), and a small
 * table of streams, one per SSRC, with what the packet index needs:
 *
 *   - up to STREAMS_MAX SSRCs per direction (a call has one or two: the
 *     media and, with some phones, a second after a re-INVITE or for
 *     music on hold). A new SSRC in a full table takes the slot of the one
 *     used least recently; if that one comes back it starts over (ROC 0,
 *     empty window), as it would after a new SDES key. On the receive side
 *     a stream is made only for a packet that authenticated, so packets
 *     without the key cannot evict anything.
 *   - the index of RTP (ROC estimation and the replay window,
 *     srtp_replay.c) and, sending SRTCP, the SRTCP index we count.
 *
 * The directions do not mix: a packet we send with an SSRC the peer also
 * uses (an echo test, a relay that keeps SSRCs) is protected with the
 * send direction's keys and state.
 *
 * Replay protection keeps what the libsrtp2 code this replaced did:
 *   - a window of 1024 RTP packets (SRTP_REPLAY_WINDOW; libsrtp's default
 *     is 128) lets late packets through after a burst of reordering
 *     (jitter, Wi-Fi retries) instead of counting them as replays; SRTCP
 *     has libsrtp's fixed 128.
 *   - sending, a repeated index is allowed (libsrtp's allow_repeat_tx): the
 *     relay re-protects what the other leg sends, with that leg's sequence
 *     numbers. When that leg sends a sequence number again (an RTP
 *     retransmission; a phone that resumes from where it stopped after a
 *     long hold; music on hold and the call taking turns on one SSRC) the
 *     media would otherwise stop after the hold: "SRTP packets dropped as
 *     replays after a long hold" is a known interop bug class. Repeats are
 *     only safe with the same payload, which is what a relay forwards.
 *     Indexes older than the window are still refused.
 *   - forward jumps below 2^15 (a sender that kept counting during a hold
 *     without sending) are estimated into the right rollover counter and
 *     pass; larger jumps fail authentication (RFC 3711 3.3.1).
 *
 * The order of checks is libsrtp's: the replay window before the tag (a
 * replay is EALREADY even when it was also altered), the tag before
 * decrypting, the state updated only for a packet that authenticated.
 */
#include "srtp/srtp.h"

#include "core/byteorder.h"
#include "core/mem.h"
#include "srtp/internal.h"

#include <errno.h>
#include <string.h>

/* RTP fixed header; RTCP header with the sender SSRC */
#define RTP_MIN_LEN 12
#define RTCP_MIN_LEN 8
#define PACKET_MAX_LEN 65535
#define STREAMS_MAX 16

_Static_assert(SRTP_SESSION_TRAILER_MAX >= SRTP_GCM_TAG_LEN + 4,
	       "room for the largest trailer: SRTCP with AES-GCM");

struct srtp_stream {
	struct srtp_rtp_replay rtp;
	uint32_t rtcp_sent;                  /* send: the last SRTCP index */
	struct srtcp_replay rtcp_received;   /* receive */
};

struct srtp_direction {
	struct srtp_transform rtp, rtcp;
	unsigned count;                      /* streams in use */
	uint64_t clock;                      /* counts packets, for last_used */
	uint32_t ssrc[STREAMS_MAX];          /* apart, for a scan of 64 bytes */
	uint64_t last_used[STREAMS_MAX];
	struct srtp_stream streams[STREAMS_MAX];
};

struct srtp_session {
	struct srtp_direction send;    /* our master key */
	struct srtp_direction receive; /* the peer's */
};


static bool profile_known(enum srtp_profile profile)
{
	return profile == SRTP_PROFILE_AES128_CM_SHA1_80 || profile == SRTP_PROFILE_AES128_CM_SHA1_32 ||
	       profile == SRTP_PROFILE_AEAD_AES_128_GCM;
}

/* ------------------------------------------------------------- streams */

static struct srtp_stream *stream_find(struct srtp_direction *d, uint32_t ssrc)
{
	for (unsigned i = 0; i < d->count; i++) {
		if (d->ssrc[i] == ssrc) {
			d->last_used[i] = ++d->clock;
			return &d->streams[i];
		}
	}
	return NULL;
}

/* A fresh stream for ssrc, in a free slot or the least recently used. */
static struct srtp_stream *stream_add(struct srtp_direction *d, uint32_t ssrc)
{
	unsigned slot = d->count;

	if (d->count < STREAMS_MAX) {
		d->count++;
	} else {
		slot = 0;
		for (unsigned i = 1; i < STREAMS_MAX; i++)
			if (d->last_used[i] < d->last_used[slot])
				slot = i;
	}
	d->ssrc[slot] = ssrc;
	d->last_used[slot] = ++d->clock;
	memset(&d->streams[slot], 0, sizeof(d->streams[slot]));
	return &d->streams[slot];
}

/* ------------------------------------------------------------- sessions */

static void direction_clear(struct srtp_direction *d)
{
	srtp_transform_clear(&d->rtp);
	srtp_transform_clear(&d->rtcp);
}

static int direction_init(struct srtp_direction *d, enum srtp_profile profile,
			  const struct srtp_master *master)
{
	int err = srtp_transform_derive(&d->rtp, profile, false, master);
	if (!err)
		err = srtp_transform_derive(&d->rtcp, profile, true, master);
	return err;
}

static void session_destroy(void *obj)
{
	struct srtp_session *s = obj;
	direction_clear(&s->send);
	direction_clear(&s->receive);
}

int srtp_session_alloc(struct srtp_session **sp, const struct srtp_keys *keys)
{
	struct srtp_session *s = NULL;
	int err;

	if (!sp || !keys || !profile_known(keys->profile))
		return EINVAL;
	s = mem_alloc(sizeof(*s), session_destroy);
	if (!s)
		return ENOMEM;
	if ((err = direction_init(&s->send, keys->profile, &keys->local)) ||
	    (err = direction_init(&s->receive, keys->profile, &keys->remote)))
		goto out;
	*sp = s;
	s = NULL;
out:
	mem_deref(s);
	return err;
}

/* ------------------------------------------------------------- the packet path */

/* The RTP header's length: 12, the CSRCs, the extension. */
static int rtp_header_len(const uint8_t *buf, size_t len, size_t *header_len)
{
	size_t h = RTP_MIN_LEN + 4 * (size_t)(buf[0] & 0x0f);

	if (len < h)
		return EMSGSIZE;
	if (buf[0] & 0x10) {
		if (len < h + 4)
			return EMSGSIZE;
		h += 4 + 4 * (size_t)be16_get(buf + h + 2);
		if (len < h)
			return EMSGSIZE;
	}
	*header_len = h;
	return 0;
}

static int check_lengths(const uint8_t *buf, const size_t *len, size_t min)
{
	if (!buf || !len)
		return EINVAL;
	return *len < min || *len > PACKET_MAX_LEN ? EMSGSIZE : 0;
}

static int check_room(size_t len, size_t cap)
{
	return cap < len || cap - len < SRTP_SESSION_TRAILER_MAX ? ENOSPC : 0;
}

int srtp_session_protect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap)
{
	struct srtp_direction *d;
	struct srtp_stream *st;
	size_t header_len;
	uint64_t index;
	int err;
	bool old;

	if (!s)
		return EINVAL;
	if ((err = check_lengths(buf, len, RTP_MIN_LEN)) || (err = check_room(*len, cap)) ||
	    (err = rtp_header_len(buf, *len, &header_len)))
		return err;
	d = &s->send;
	uint32_t ssrc = be32_get(buf + 8);
	st = stream_find(d, ssrc);
	if (!st)
		st = stream_add(d, ssrc);
	int32_t delta = srtp_replay_estimate(&st->rtp, be16_get(buf + 2), &index);
	if (srtp_replay_check(&st->rtp, delta, &old)) {
		if (old)
			return EALREADY;
	} else {
		srtp_replay_add(&st->rtp, delta);
	}
	if ((err = srtp_transform_rtp_encrypt(&d->rtp, buf, header_len, *len - header_len, ssrc,
					      index)))
		return err;
	*len += d->rtp.tag_len;
	return 0;
}

int srtp_session_unprotect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len)
{
	struct srtp_direction *d;
	struct srtp_stream *st;
	size_t header_len;
	uint64_t index;
	int32_t delta;
	int err;
	bool old;

	if (!s)
		return EINVAL;
	if ((err = check_lengths(buf, len, RTP_MIN_LEN)) ||
	    (err = rtp_header_len(buf, *len, &header_len)))
		return err;
	d = &s->receive;
	if (*len - header_len < d->rtp.tag_len)
		return EMSGSIZE;
	uint32_t ssrc = be32_get(buf + 8);
	uint16_t seq = be16_get(buf + 2);
	size_t payload_len = *len - header_len - d->rtp.tag_len;
	st = stream_find(d, ssrc);
	if (st) {
		delta = srtp_replay_estimate(&st->rtp, seq, &index);
		if ((err = srtp_replay_check(&st->rtp, delta, &old)))
			return err;
	} else {
		/* a new SSRC starts in ROC 0 (libsrtp's stream template) */
		index = seq;
		delta = seq;
	}
	if ((err = srtp_transform_rtp_decrypt(&d->rtp, buf, header_len, payload_len, ssrc, index)))
		return err;
	if (!st)
		st = stream_add(d, ssrc);
	srtp_replay_add(&st->rtp, delta);
	*len = header_len + payload_len;
	return 0;
}

int srtp_session_protect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap)
{
	struct srtp_direction *d;
	struct srtp_stream *st;
	int err;

	if (!s)
		return EINVAL;
	if ((err = check_lengths(buf, len, RTCP_MIN_LEN)) || (err = check_room(*len, cap)))
		return err;
	d = &s->send;
	uint32_t ssrc = be32_get(buf + 4);
	st = stream_find(d, ssrc);
	if (!st)
		st = stream_add(d, ssrc);
	/* 2^31 SRTCP packets under one key: libsrtp's key_expired */
	if (st->rtcp_sent >= SRTCP_INDEX_MAX)
		return EIO;
	st->rtcp_sent++;
	return srtp_transform_rtcp_encrypt(&d->rtcp, buf, len, st->rtcp_sent);
}

int srtp_session_unprotect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len)
{
	struct srtp_direction *d;
	struct srtp_stream *st;
	uint32_t word;
	int err;

	if (!s)
		return EINVAL;
	if ((err = check_lengths(buf, len, RTCP_MIN_LEN)))
		return err;
	d = &s->receive;
	if ((err = srtp_transform_rtcp_word(&d->rtcp, buf, *len, &word)))
		return err;
	uint32_t ssrc = be32_get(buf + 4), index = word & SRTCP_INDEX_MAX;
	st = stream_find(d, ssrc);
	if (st && (err = srtcp_replay_check(&st->rtcp_received, index)))
		return err;
	if ((err = srtp_transform_rtcp_decrypt(&d->rtcp, buf, len)))
		return err;
	if (!st)
		st = stream_add(d, ssrc);
	srtcp_replay_add(&st->rtcp_received, index);
	return 0;
}
