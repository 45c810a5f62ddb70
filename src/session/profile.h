/*
 * profile.h - each leg's transport profile (private to session/): what a
 * leg's SDP tells the endpoint facing it (WebRTC: ICE and DTLS-SRTP; SDES;
 * plain RTP), and how the SDP for each recipient is made WebRTC, SDES or
 * plain, as the request's struct session_output asks (session.h: the
 * typed form of what Kamailio's WebRTC configs ask rtpengine for with
 * "transport-protocol", "ICE" and "DTLS"; below in those words).
 *
 * The output kind, per m= line, for the leg receiving the SDP:
 *   with keep_leg_profiles (rtcbridge's own calls): an answer -> what the
 *     recipient offered: WebRTC, SDES (kept when the answerer has its own
 *     a=crypto: end-to-end SRTP), else plain; an offer to a leg that
 *     speaks SDES with us -> SDES (a re-INVITE keeps its SRTP);
 *   transport-protocol given: "UDP/TLS/..." -> WebRTC, anything else ->
 *     plain (the given proto is printed either way);
 *   else ICE=force or DTLS=passive|active -> WebRTC;
 *   else ICE=remove or DTLS=off -> plain;
 *   else an answer to a leg that offered WebRTC -> WebRTC;
 *   else kept: the SDP is rewritten as for plain RTP and nothing else
 *     changes (a plain call without flags behaves as before).
 *
 * WebRTC output: proto UDP/TLS/RTP/SAVPF, a=ice-lite at session level, and
 * per m= line the ICE credentials of the endpoint facing the recipient,
 * one host candidate (its RTP port), a=end-of-candidates, the engine's
 * a=fingerprint, a=setup and a=rtcp-mux (in an answer only when the
 * recipient offered it; otherwise a second candidate, component 2, on the
 * RTCP port); the sender's ICE, DTLS and a=crypto are dropped. Plain output: ICE, DTLS and a=crypto dropped,
 * proto RTP/AVP; a=rtcp-mux as the sender wrote it, but not in an answer
 * to a recipient that did not offer it, nor when rtcp-mux has "demux".
 *
 * DTLS roles (RFC 8842). What we print:
 *   in an offer: actpass (DTLS=passive or active: that);
 *   in an answer: the recipient offered active -> passive, passive ->
 *     active, actpass (or nothing) -> passive, unless DTLS=active. Passive
 *     is the natural role for an ICE-lite server: the browser (the
 *     controlling agent) checks, then opens DTLS; we wait.
 * The endpoint facing a WebRTC leg is the DTLS client exactly when that
 * leg's a=setup is passive, or actpass while we printed active to it;
 * otherwise (active, actpass before or after we printed passive or
 * actpass, none) it is the server. So a browser offering actpass gets
 * setup:passive back and a server endpoint; a browser answering active
 * to our actpass gets a server endpoint too.
 *
 * The endpoint facing a leg becomes DTLS_SRTP when that leg's SDP carries
 * a=fingerprint in a UDP/TLS proto (with its ICE ufrag and pwd, remote
 * checks then require them), and is set again only when the credentials
 * or the role change: a re-offer with the same ones keeps DTLS up.
 * Before the leg's SDP arrives (an offer we sent to a browser) the
 * endpoint stays plain: without a fingerprint there is nothing to check.
 *
 * SDES (RFC 4568), as rtpengine does for RTP/SAVP. A leg whose SDP has
 * proto RTP/SAVP or RTP/SAVPF and an a=crypto that sdes_crypto_parse()
 * takes (the first such) gives its key. The output is SDES when
 * transport-protocol is RTP/SAVP or RTP/SAVPF, or, without it and without
 * ICE=force or DTLS flags, in an answer to a leg that offered SDES when the
 * answerer's m= line has no a=crypto of its own (one that has is passed
 * through as before: end-to-end SRTP, not ours). SDES output: the proto
 * (RTP/SAVP, or RTP/SAVPF when the recipient offered that), ICE, DTLS and
 * the sender's a=crypto dropped, one a=crypto with our key (see
 * profile_sdes_media()), a=rtcp-mux as for plain output. The endpoint
 * facing the leg becomes SDES once both keys are known: ours printed to
 * it, theirs from its SDP (an answer to an offer we keyed, or our answer
 * to its offer); until then it is SDES_PENDING (engine.h): nothing is
 * relayed to or from it, so early media never reaches it in the clear.
 * A leg given other output than SDES gets a plain endpoint again.
 *
 * a=mid and BUNDLE (RFC 8843) towards a browser: each WebRTC m= line gets
 * a mid (see profile_media()) and the session one BUNDLE group of them.
 * The relay keeps one endpoint per m= line, so only the first line of a
 * bundle really works (audio-only calls are fine; audio+video to a browser
 * needs BUNDLE demultiplexing in the engine, not done).
 */
#ifndef RTCB_SESSION_PROFILE_H
#define RTCB_SESSION_PROFILE_H

#include "media/engine.h"
#include "sdp/sdp.h"
#include "session/session.h"

enum profile_kind {
	PROFILE_KEEP,
	PROFILE_PLAIN,
	PROFILE_WEBRTC,
	PROFILE_SDES, /* RTP/SAVP(F) with our a=crypto */
};

/* "<tag> <suite> inline:<40 base64>": room to spare. */
#define PROFILE_SDES_LINE_MAX 96
/* a=mid values kept per leg (RFC 8843 allows 16 bytes; browsers use "0") */
#define PROFILE_MID_MAX 33

/* One leg of one stream, kept with the call. */
struct profile_leg {
	bool webrtc;           /* its last SDP offered DTLS (a=fingerprint) */
	bool rtcp_mux;         /* its last SDP had a=rtcp-mux */
	enum sdp_setup theirs; /* its last a=setup */
	enum sdp_setup ours;   /* the a=setup we last printed to it; NONE: none yet */
	/* The endpoint facing the leg lacks `security` (zeroed: both plain). */
	bool stale;
	/* Its ICE credentials changed (an ICE restart): ours change too. */
	bool ice_restart;
	/* mode and remote credentials from its SDP; the role is set by
	 * profile_apply() */
	struct media_security security;
	/* SDES: its last SDP was RTP/SAVP(F) with an a=crypto we can use
	 * (theirs), and the key we last printed to it (ours, with its text,
	 * which the printed SDP points into). */
	bool sdes, sdes_savpf, have_ours;
	struct sdes_crypto sdes_theirs, sdes_ours;
	char sdes_line[PROFILE_SDES_LINE_MAX];
	/* a=mid of its last SDP ("" without one or when longer), and the one
	 * we print to it when it is WebRTC (which the SDP points into) */
	char mid[PROFILE_MID_MAX], mid_ours[PROFILE_MID_MAX];
};

enum profile_kind profile_output(const struct session_output *out, bool offer,
				const struct profile_leg *recipient, const struct sdp_media *m);

/* Read the sender's m line m into leg, and fix the remote the endpoint
 * facing it gets: a WebRTC sender is on hold only by direction (its
 * c=0.0.0.0 means "see the candidates"), and without a usable c= address
 * its first numeric UDP RTP candidate is taken (latching by STUN corrects
 * it anyway). */
void profile_input(struct profile_leg *leg, const struct sdp_session *s,
		     const struct sdp_media *m, struct media_remote *remote, bool *hold);

/* Give the endpoint facing leg the security the leg's SDP and our setup
 * call for, when it differs from what the endpoint has. */
int profile_apply(struct media_call *call, unsigned endpoint, struct profile_leg *leg);

/* Make m (m= line index) WebRTC for leg, with the credentials of the
 * endpoint facing it (local, which with host must outlive the printing)
 * and its RTP and RTCP ports (the latter a component-2 candidate in an
 * answer to a leg that did not offer rtcp-mux). Its a=mid: in an answer
 * the one the leg offered; else the sender's; else the index. */
void profile_media(struct sdp_media *m, size_t index, struct profile_leg *leg,
		     const struct session_output *out, bool offer,
		     const struct media_local_security *local, const char *host, uint16_t port,
		     uint16_t rtcp_port);
/* Make m RTP/SAVP for leg with one a=crypto of ours: in an answer the
 * suite and tag of the line we took from the leg's offer, else
 * AES_CM_128_HMAC_SHA1_80 with tag 1. A key already printed to the leg
 * for the same suite and tag is kept, so a re-offer keeps SRTP up. */
int profile_sdes_media(struct sdp_media *m, struct profile_leg *leg,
			 const struct session_output *out, bool offer);
/* The leg gets other than SDES output: an SDES or pending endpoint facing
 * it becomes plain again (end-to-end SRTP passes through untouched). */
void profile_no_sdes(struct profile_leg *leg);
/* Make m plain for leg: also without what only WebRTC uses (a=mid, msid,
 * extmap, rtcp-fb: RTP/AVP has no feedback). */
void profile_plain_media(struct sdp_media *m, const struct profile_leg *leg,
			   const struct session_output *out, bool offer);
/* The session level once some m= line was made WebRTC or plain: the
 * sender's session-level ICE and DTLS go; a=ice-lite when lite, with one
 * a=group:BUNDLE of the WebRTC m= lines (mids: room for the group's value,
 * which the SDP then points into; browsers use max-bundle), and without
 * the sender's BUNDLE group and msid-semantic when none is WebRTC. */
void profile_session(struct sdp_session *s, bool lite, const bool *webrtc_lines, char *mids,
		       size_t mids_size);

#endif
