/*
 * profile.c - WebRTC, SDES and plain SDP for the recipients of offers and
 * answers, and the security of the endpoints facing each leg; the rules
 * (output kind, a=setup, DTLS roles) are in profile.h.
 *
 * Everything printed points at the request (transport_protocol), at the
 * caller's host and local credentials, or at literals: nothing here
 * allocates. A leg's remote credentials are copied into its struct
 * media_security because the SDP they came from is gone by the time a
 * later answer or re-offer changes our role.
 */
#include "session/profile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* RFC 8445 5.1.2.1 for a host candidate: type preference 126, local
 * preference 65535, component 1. */
#define HOST_PRIORITY 2130706431u

/* RTP/SAVP or RTP/SAVPF: SRTP keyed by SDES (UDP/TLS/... is DTLS). */
static bool proto_is_sdes(struct slice proto)
{
	return slice_starts_with_case(proto, "RTP/SAVP");
}

enum profile_kind profile_output(const struct session_output *out, bool offer,
				const struct profile_leg *recipient, const struct sdp_media *m)
{
	struct slice proto = out->transport_protocol;

	if (out->keep_leg_profiles && !offer)
		return recipient->webrtc ? PROFILE_WEBRTC
		       : recipient->sdes ? (m->crypto_count ? PROFILE_KEEP : PROFILE_SDES)
					 : PROFILE_PLAIN;
	if (out->keep_leg_profiles && recipient->sdes && recipient->have_ours &&
	    !slice_starts_with_case(proto, "UDP/TLS/"))
		return PROFILE_SDES;
	if (proto.p && proto.len)
		return slice_starts_with_case(proto, "UDP/TLS/") ? PROFILE_WEBRTC
		       : proto_is_sdes(proto)                    ? PROFILE_SDES
								 : PROFILE_PLAIN;
	if (out->ice == SESSION_ICE_FORCE || out->dtls == SESSION_DTLS_PASSIVE ||
	    out->dtls == SESSION_DTLS_ACTIVE)
		return PROFILE_WEBRTC;
	if (!offer && recipient->sdes && m->crypto_count == 0)
		return PROFILE_SDES;
	if (out->ice == SESSION_ICE_REMOVE || out->dtls == SESSION_DTLS_OFF)
		return PROFILE_PLAIN;
	if (!offer && recipient->webrtc)
		return PROFILE_WEBRTC;
	return PROFILE_KEEP;
}

/* ------------------------------------------------------------ input */

/* The first numeric UDP candidate for RTP; mDNS names are left to STUN. */
static bool candidate_remote(const struct sdp_media *m, struct netaddr *out)
{
	for (size_t i = 0; i < m->candidate_count; i++) {
		const struct sdp_candidate *c = &m->candidates[i];
		if (c->component == 1 && slice_eq_cstr_case(c->transport, "udp") &&
		    netaddr_set(out, c->address, c->port) == 0 && !netaddr_is_any(out))
			return true;
	}
	return false;
}

/* The leg's remote credentials from its SDP, into a zeroed next. */
static void credentials_of(const struct sdp_session *s, const struct sdp_media *m,
			   const struct sdp_fingerprint *fp, struct media_security *next)
{
	struct slice ufrag = m->ice_ufrag.p ? m->ice_ufrag : s->ice_ufrag;
	struct slice pwd = m->ice_pwd.p ? m->ice_pwd : s->ice_pwd;
	int n;

	next->mode = MEDIA_SECURITY_DTLS_SRTP;
	/* Too long: left empty, and media_endpoint_set_security() decides. */
	if (slice_to_cstr(ufrag, next->remote_ufrag, sizeof(next->remote_ufrag)))
		next->remote_ufrag[0] = '\0';
	if (slice_to_cstr(pwd, next->remote_pwd, sizeof(next->remote_pwd)))
		next->remote_pwd[0] = '\0';
	n = snprintf(next->remote_fingerprint, sizeof(next->remote_fingerprint), "%.*s %.*s",
		     SLICE_FMT(fp->hash), SLICE_FMT(fp->value));
	if (n < 0 || (size_t)n >= sizeof(next->remote_fingerprint))
		next->remote_fingerprint[0] = '\0';
}

/* The first a=crypto of m that sdes_crypto_parse() takes, into out. */
static bool crypto_of(const struct sdp_media *m, struct sdes_crypto *out)
{
	char text[256];

	for (size_t i = 0; i < m->crypto_count; i++) {
		const struct sdp_crypto *c = &m->crypto[i];
		const char *reason;
		int n = snprintf(text, sizeof(text), "%u %.*s %.*s%s%.*s", (unsigned)c->tag,
				 SLICE_FMT(c->suite), SLICE_FMT(c->key_params),
				 c->session_params.p ? " " : "", SLICE_FMT(c->session_params));
		if (n < 0 || (size_t)n >= sizeof(text))
			continue;
		if (sdes_crypto_parse(out, slice_make(text, (size_t)n), &reason) == 0) {
			memset(text, 0, sizeof(text));
			return true;
		}
	}
	memset(text, 0, sizeof(text));
	return false;
}

/* SDES security for the endpoint facing leg, into a zeroed next: pending
 * until both keys are known. */
static void sdes_security(const struct profile_leg *leg, struct media_security *next)
{
	if (!leg->sdes)
		return;
	if (!leg->have_ours) {
		next->mode = MEDIA_SECURITY_SDES_PENDING;
		return;
	}
	next->mode = MEDIA_SECURITY_SDES;
	next->sdes.profile = leg->sdes_theirs.profile;
	next->sdes.local = leg->sdes_ours.master;
	next->sdes.remote = leg->sdes_theirs.master;
}

/* next replaces the leg's security when it differs; next is wiped. */
static void security_update(struct profile_leg *leg, struct media_security *next)
{
	if (memcmp(next, &leg->security, sizeof(*next))) {
		memcpy(&leg->security, next, sizeof(*next));
		leg->stale = true;
	}
	memset(next, 0, sizeof(*next));
}

void profile_input(struct profile_leg *leg, const struct sdp_session *s,
		     const struct sdp_media *m, struct media_remote *remote, bool *hold)
{
	const struct sdp_fingerprint *fp = m->fingerprint_count ? &m->fingerprints[0]
				       : s->fingerprint_count ? &s->fingerprints[0]
							      : NULL;
	struct media_security next;

	memset(&next, 0, sizeof(next));
	leg->webrtc = fp && slice_starts_with_case(m->proto, "UDP/TLS/");
	leg->theirs = m->setup ? m->setup : s->setup;
	leg->rtcp_mux = m->rtcp_mux;
	if (leg->webrtc) {
		credentials_of(s, m, fp, &next);
		if (leg->security.mode == MEDIA_SECURITY_DTLS_SRTP && leg->security.remote_ufrag[0] &&
		    strcmp(next.remote_ufrag, leg->security.remote_ufrag))
			leg->ice_restart = true;
		next.dtls_client = leg->security.dtls_client; /* the role is apply's */
		enum sdp_direction dir = sdp_media_direction(s, m);
		*hold = dir == SDP_DIRECTION_SENDONLY || dir == SDP_DIRECTION_INACTIVE;
		if (m->port && !netaddr_family(&remote->rtp))
			candidate_remote(m, &remote->rtp);
		remote->rtcp_mux = m->rtcp_mux;
		remote->clock_rate = m->codec_count ? m->codecs[0].clock_rate : 0;
	}
	if (slice_to_cstr(m->mid, leg->mid, sizeof(leg->mid)))
		leg->mid[0] = '\0';
	leg->sdes = !leg->webrtc && proto_is_sdes(m->proto) && crypto_of(m, &leg->sdes_theirs);
	leg->sdes_savpf = slice_eq_cstr_case(m->proto, "RTP/SAVPF");
	if (!leg->webrtc)
		sdes_security(leg, &next);
	security_update(leg, &next);
}

int profile_apply(struct media_call *call, unsigned endpoint, struct profile_leg *leg)
{
	bool client = leg->theirs == SDP_SETUP_PASSIVE ||
		      (leg->theirs == SDP_SETUP_ACTPASS && leg->ours == SDP_SETUP_ACTIVE);
	int err;

	if (leg->security.mode == MEDIA_SECURITY_DTLS_SRTP && client != leg->security.dtls_client) {
		leg->security.dtls_client = client;
		leg->stale = true;
	}
	if (!leg->stale)
		return 0;
	if (leg->ice_restart && (err = media_endpoint_ice_restart(call, endpoint)))
		return err;
	leg->ice_restart = false;
	if ((err = media_endpoint_set_security(call, endpoint, &leg->security)))
		return err;
	leg->stale = false;
	return 0;
}

/* ------------------------------------------------------------ output */

static enum sdp_setup setup_to_print(const struct session_output *out, bool offer, enum sdp_setup theirs)
{
	if (offer)
		return out->dtls == SESSION_DTLS_PASSIVE  ? SDP_SETUP_PASSIVE
		       : out->dtls == SESSION_DTLS_ACTIVE ? SDP_SETUP_ACTIVE
							  : SDP_SETUP_ACTPASS;
	if (theirs == SDP_SETUP_ACTIVE)
		return SDP_SETUP_PASSIVE;
	if (theirs == SDP_SETUP_PASSIVE)
		return SDP_SETUP_ACTIVE;
	return out->dtls == SESSION_DTLS_ACTIVE ? SDP_SETUP_ACTIVE : SDP_SETUP_PASSIVE;
}

static void clear_security(struct sdp_media *m)
{
	sdp_media_clear_ice(m);
	sdp_media_clear_dtls(m);
	sdp_media_clear_crypto(m);
}

void profile_media(struct sdp_media *m, size_t index, struct profile_leg *leg,
		     const struct session_output *out, bool offer,
		     const struct media_local_security *local, const char *host, uint16_t port,
		     uint16_t rtcp_port)
{
	struct slice proto = out->transport_protocol;
	struct slice fp = slice_from_cstr(local->fingerprint);
	long space = slice_index(fp, ' ');
	const struct sdp_candidate candidate = {
		.foundation = SLICE_LIT("1"),
		.component = 1,
		.transport = SLICE_LIT("udp"),
		.priority = HOST_PRIORITY,
		.address = slice_from_cstr(host),
		.port = port,
		.type = SLICE_LIT("host"),
	};

	m->proto = proto.p && proto.len ? proto : SLICE_LIT("UDP/TLS/RTP/SAVPF");
	clear_security(m);
	m->ice_ufrag = slice_from_cstr(local->ufrag);
	m->ice_pwd = slice_from_cstr(local->pwd);
	m->candidates[0] = candidate;
	m->candidate_count = 1;
	m->end_of_candidates = true;
	if (space > 0) {
		m->fingerprints[0].hash = slice_make(fp.p, (size_t)space);
		m->fingerprints[0].value = slice_make(fp.p + space + 1, fp.len - (size_t)space - 1);
		m->fingerprint_count = 1;
	}
	if (!offer && leg->mid[0])
		snprintf(leg->mid_ours, sizeof(leg->mid_ours), "%s", leg->mid);
	else if (m->mid.len && m->mid.len < sizeof(leg->mid_ours))
		snprintf(leg->mid_ours, sizeof(leg->mid_ours), "%.*s", SLICE_FMT(m->mid));
	else
		snprintf(leg->mid_ours, sizeof(leg->mid_ours), "%zu", index);
	m->mid = slice_from_cstr(leg->mid_ours);
	m->setup = leg->ours = setup_to_print(out, offer, leg->theirs);
	/* in an answer only when offered (RFC 5761 5.1.1); without it the
	 * RTCP port is ICE component 2 */
	m->rtcp_mux = offer || leg->rtcp_mux;
	if (!m->rtcp_mux) {
		m->candidates[1] = candidate;
		m->candidates[1].component = 2;
		m->candidates[1].priority = HOST_PRIORITY - 1;
		m->candidates[1].port = rtcp_port;
		m->candidate_count = 2;
	}
}

int profile_sdes_media(struct sdp_media *m, struct profile_leg *leg,
			 const struct session_output *out, bool offer)
{
	struct slice proto = out->transport_protocol;
	bool answer_to_sdes = !offer && leg->sdes;
	uint32_t tag = answer_to_sdes ? leg->sdes_theirs.tag : 1;
	enum srtp_profile profile = answer_to_sdes ? leg->sdes_theirs.profile
						   : SRTP_PROFILE_AES128_CM_SHA1_80;
	struct media_security next;
	struct slice line, suite, key;
	struct mbuf b;
	long sp1, sp2;
	int err = 0;

	if (!leg->have_ours || leg->sdes_ours.tag != tag || leg->sdes_ours.profile != profile) {
		if ((err = sdes_crypto_generate(&leg->sdes_ours, tag, profile)))
			return err;
		mbuf_init(&b);
		sdes_crypto_print(&b, &leg->sdes_ours);
		line = mbuf_slice(&b);
		if (mbuf_failed(&b) || line.len >= sizeof(leg->sdes_line))
			err = mbuf_failed(&b) ? ENOMEM : EINVAL;
		else
			memcpy(leg->sdes_line, line.p, line.len);
		leg->sdes_line[err ? 0 : line.len] = '\0';
		mbuf_free(&b);
		if (err)
			return err;
		leg->have_ours = true;
	}
	/* "<tag> <suite> <key-params>", as sdes_crypto_print() wrote it */
	line = slice_from_cstr(leg->sdes_line);
	if ((sp1 = slice_index(line, ' ')) <= 0)
		return EINVAL;
	suite = slice_make(line.p + sp1 + 1, line.len - (size_t)sp1 - 1);
	if ((sp2 = slice_index(suite, ' ')) <= 0)
		return EINVAL;
	key = slice_make(suite.p + sp2 + 1, suite.len - (size_t)sp2 - 1);
	suite.len = (size_t)sp2;

	if (proto_is_sdes(proto))
		m->proto = proto;
	else
		m->proto = answer_to_sdes && leg->sdes_savpf ? SLICE_LIT("RTP/SAVPF")
							     : SLICE_LIT("RTP/SAVP");
	clear_security(m);
	m->crypto[0] = (struct sdp_crypto){
		.tag = tag, .suite = suite, .key_params = key, .session_params = SLICE_NULL};
	m->crypto_count = 1;
	if ((out->rtcp_mux & SESSION_RTCP_MUX_DEMUX) || (!offer && !leg->rtcp_mux))
		m->rtcp_mux = false;

	memset(&next, 0, sizeof(next));
	sdes_security(leg, &next);
	if (next.mode == MEDIA_SECURITY_SDES)
		security_update(leg, &next);
	memset(&next, 0, sizeof(next));
	return 0;
}

void profile_plain_media(struct sdp_media *m, const struct profile_leg *leg,
			   const struct session_output *out, bool offer)
{
	struct slice proto = out->transport_protocol;

	m->proto = proto.p && proto.len ? proto : SLICE_LIT("RTP/AVP");
	clear_security(m);
	m->mid = SLICE_NULL;
	m->msid_count = 0;
	m->extmap_count = 0;
	m->rtcp_fb_count = 0;
	if ((out->rtcp_mux & SESSION_RTCP_MUX_DEMUX) || (!offer && !leg->rtcp_mux))
		m->rtcp_mux = false;
}

/* Drop the session's BUNDLE groups. */
static void bundle_remove(struct sdp_session *s)
{
	size_t kept = 0;
	for (size_t i = 0; i < s->group_count; i++)
		if (!slice_eq_cstr_case(s->groups[i].semantics, "BUNDLE"))
			s->groups[kept++] = s->groups[i];
	s->group_count = kept;
}

void profile_session(struct sdp_session *s, bool lite, const bool *webrtc_lines, char *mids,
		       size_t mids_size)
{
	size_t len = 0;

	s->ice_ufrag = s->ice_pwd = s->ice_options = SLICE_NULL;
	s->fingerprint_count = 0;
	s->setup = SDP_SETUP_NONE;
	sdp_session_remove_attribute(s, "tls-id");
	s->ice_lite = lite;
	bundle_remove(s);
	if (!lite) {
		s->msid_semantic = SLICE_NULL;
		return;
	}
	for (size_t i = 0; i < s->media_count; i++) {
		const struct sdp_media *m = &s->media[i];
		int n;
		if (!webrtc_lines[i] || m->port == 0 || !m->mid.len)
			continue;
		n = snprintf(mids + len, mids_size - len, "%s%.*s", len ? " " : "", SLICE_FMT(m->mid));
		if (n < 0 || (size_t)n >= mids_size - len)
			break; /* cannot happen with SDP_MAX_MEDIA * PROFILE_MID_MAX of room */
		len += (size_t)n;
	}
	if (len && s->group_count < SDP_MAX_GROUPS)
		s->groups[s->group_count++] = (struct sdp_group){ .semantics = SLICE_LIT("BUNDLE"),
								  .mids = slice_make(mids, len) };
}

void profile_no_sdes(struct profile_leg *leg)
{
	struct media_security next;

	if (leg->security.mode != MEDIA_SECURITY_SDES &&
	    leg->security.mode != MEDIA_SECURITY_SDES_PENDING)
		return;
	leg->have_ours = false;
	memset(&next, 0, sizeof(next));
	security_update(leg, &next);
}
