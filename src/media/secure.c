/*
 * secure.c - the WebRTC security layer of a media worker's endpoints:
 * ICE-lite binding answers, the DTLS-SRTP handshake, SRTP in and out.
 * relay.c calls in here for every packet of, or toward, a secure endpoint.
 *
 * ICE-lite (RFC 8445 2.5). We never send checks; the browser sends us
 * binding requests. One is valid when it parses, carries a correct
 * FINGERPRINT, a USERNAME "<our ufrag>:<its ufrag>" and a
 * MESSAGE-INTEGRITY keyed by our pwd. It is answered with a success
 * (XOR-MAPPED-ADDRESS = its source, integrity with our pwd, fingerprint).
 * The lite side is controlled, so the browser's nomination decides: a
 * valid request with USE-CANDIDATE, or any valid one while nothing is
 * latched (also after set_remote), makes its source the RTP socket's
 * remote. Browsers hide their host addresses
 * behind mDNS names, so this is how we learn where they are. The time of
 * the last valid request is the consent (RFC 7675) the stats report.
 * Wrong credentials get a 401, a missing USERNAME or integrity a 400,
 * unknown required attributes a 420 (all without integrity); a bad
 * fingerprint, or anything but a binding request, is dropped. STUN is
 * answered on both sockets (a peer without rtcp-mux checks component 2 on
 * the RTCP one, which latches its own remote); DTLS counts on the RTP
 * socket only.
 *
 * DTLS (RFC 5764). SET_SECURITY makes the dtls_conn (unless only the ICE
 * credentials change, an ICE restart: then the connection and its SRTP
 * keys stay, as the browser keeps them); a server waits for
 * the ClientHello, a client starts after the first valid binding request
 * (RFC 8842: once a pair works). Datagrams are taken from the RTP socket's
 * remote only, and what the connection produces goes there. Its
 * retransmission timer is one loop_timer per endpoint, re-armed after each
 * step. Once connected, the exported keys make the srtp_session. SDES: the
 * session is made at once from the given keys.
 *
 * SRTP. Unprotected in place as media arrives, protected in place as it
 * leaves: the relay forwards each packet to exactly one socket, so no
 * other copy of a packet can be clobbered, and relay.c leaves
 * SRTP_SESSION_TRAILER_MAX bytes of room behind every receive buffer.
 *
 * Consent (RFC 7675). A browser sends a binding request every few
 * seconds while it wants our media; once one has come, SECURE_CONSENT_
 * TIMEOUT_MS without another stops what we relay to it (counted as
 * dropped_no_consent) until the next. At hang-up a connected DTLS
 * association is closed with a close_notify, so the browser knows at once.
 *
 * Replies (STUN, DTLS) go out at once with sendto() from the worker's
 * control_out buffer, which keeps its capacity: nothing is allocated per
 * packet. They are not counted in packets_sent, which counts media.
 */
#include "media/worker.h"

#include "core/log.h"
#include "core/mem.h"
#include "dtls/dtls.h"
#include "srtp/srtp.h"
#include "ice/stun.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static struct loop *endpoint_loop(const struct worker_endpoint *ep)
{
	return ep->call->worker->loop;
}

static void send_control(struct relay_socket *s, const struct netaddr *to, const struct mbuf *b)
{
	if (sendto(s->fd, b->data, b->len, MSG_DONTWAIT, &to->u.sa, to->len) < 0)
		s->endpoint->counters.send_errors++;
}

void secure_close(struct worker_endpoint *ep)
{
	struct endpoint_security *sec = &ep->security;
	struct relay_socket *s = &ep->sockets[RELAY_RTP];
	struct mbuf *out = &ep->call->worker->control_out;

	if (!sec->dtls || dtls_conn_state(sec->dtls) != DTLS_STATE_CONNECTED ||
	    !netaddr_family(&s->remote))
		return;
	dtls_conn_close(sec->dtls);
	while (dtls_conn_take_output(sec->dtls, out) == 0)
		send_control(s, &s->remote, out);
}

bool secure_consent_lost(const struct worker_endpoint *ep, uint64_t now_ms)
{
	const struct endpoint_security *sec = &ep->security;
	return sec->mode == MEDIA_SECURITY_DTLS_SRTP && sec->checked &&
	       now_ms - sec->last_check_ms > SECURE_CONSENT_TIMEOUT_MS;
}

void secure_clear(struct worker_endpoint *ep)
{
	struct endpoint_security *sec = &ep->security;
	loop_timer_stop(endpoint_loop(ep), &sec->dtls_timer);
	mem_deref(sec->dtls);
	mem_deref(sec->srtp);
	memset(sec, 0, sizeof(*sec));
}

/* Same DTLS association: new ICE credentials alone (an ICE restart). */
static bool dtls_unchanged(const struct endpoint_security *sec, const struct media_security *m)
{
	return sec->mode == MEDIA_SECURITY_DTLS_SRTP && m->mode == MEDIA_SECURITY_DTLS_SRTP &&
	       sec->dtls && sec->dtls_client == m->dtls_client &&
	       !strcmp(sec->remote_fingerprint, m->remote_fingerprint);
}

static void credentials_set(struct endpoint_security *sec, const struct worker_security_settings *ws)
{
	memcpy(sec->local_ufrag, ws->local_ufrag, sizeof(sec->local_ufrag));
	memcpy(sec->local_pwd, ws->local_pwd, sizeof(sec->local_pwd));
	memcpy(sec->remote_ufrag, ws->settings.remote_ufrag, sizeof(sec->remote_ufrag));
}

int secure_set(struct worker_endpoint *ep, const struct worker_security_settings *ws)
{
	const struct media_security *m = &ws->settings;
	struct endpoint_security *sec = &ep->security;
	int err = 0;

	if (dtls_unchanged(sec, m)) {
		credentials_set(sec, ws); /* DTLS and SRTP go on: no silence after a restart */
		return 0;
	}
	secure_clear(ep);
	switch (m->mode) {
	case MEDIA_SECURITY_NONE:
		return 0;
	case MEDIA_SECURITY_DTLS_SRTP:
		err = dtls_conn_alloc(&sec->dtls, ws->cert,
				      m->dtls_client ? DTLS_ROLE_CLIENT : DTLS_ROLE_SERVER,
				      slice_from_cstr(m->remote_fingerprint));
		break;
	case MEDIA_SECURITY_SDES:
		err = srtp_session_alloc(&sec->srtp, &m->sdes);
		break;
	case MEDIA_SECURITY_SDES_PENDING:
		break; /* no session: secure_unprotect and secure_protect drop */
	default:
		err = EINVAL;
	}
	if (err) {
		secure_clear(ep);
		return err;
	}
	sec->mode = m->mode;
	sec->dtls_client = m->dtls_client;
	memcpy(sec->remote_fingerprint, m->remote_fingerprint, sizeof(sec->remote_fingerprint));
	credentials_set(sec, ws);
	return 0;
}


/* ------------------------------------------------------------ DTLS */

static void dtls_timer_fired(void *arg);

/* After every step of the connection: make the SRTP session once
 * connected, send what it produced, re-arm its timer. */
static void dtls_progress(struct worker_endpoint *ep)
{
	struct endpoint_security *sec = &ep->security;
	struct relay_socket *s = &ep->sockets[RELAY_RTP];
	struct mbuf *out = &ep->call->worker->control_out;

	if (dtls_conn_state(sec->dtls) == DTLS_STATE_CONNECTED && !sec->srtp) {
		struct srtp_keys keys;
		int err = dtls_conn_keys(sec->dtls, &keys);
		if (!err)
			err = srtp_session_alloc(&sec->srtp, &keys);
		memset(&keys, 0, sizeof(keys));
		if (err)
			log_warn("media: SRTP from DTLS keys: %s", strerror(err));
	}
	while (dtls_conn_take_output(sec->dtls, out) == 0)
		if (netaddr_family(&s->remote))
			send_control(s, &s->remote, out);
	long ms = dtls_conn_timeout_ms(sec->dtls);
	if (ms >= 0)
		loop_timer_start(endpoint_loop(ep), &sec->dtls_timer, (uint64_t)ms,
				 dtls_timer_fired, ep);
	else
		loop_timer_stop(endpoint_loop(ep), &sec->dtls_timer);
}

static void dtls_timer_fired(void *arg)
{
	struct worker_endpoint *ep = arg;
	dtls_conn_handle_timeout(ep->security.dtls);
	dtls_progress(ep);
}

static void dtls_received(struct relay_socket *s, const uint8_t *buf, size_t len,
			  const struct netaddr *from)
{
	struct worker_endpoint *ep = s->endpoint;
	struct endpoint_security *sec = &ep->security;
	if (!sec->dtls) {
		ep->counters.ignored++; /* SDES */
		return;
	}
	if (!netaddr_family(&s->remote) || !netaddr_eq(&s->remote, from)) {
		ep->counters.dropped_source++;
		return;
	}
	if (dtls_conn_receive(sec->dtls, buf, len) == EBADMSG) {
		ep->counters.ignored++;
		return;
	}
	ep->call->last_packet_ms = loop_now_ms(endpoint_loop(ep));
	dtls_progress(ep);
}

/* ------------------------------------------------------------ ICE-lite */

/* Is u "<our ufrag>:<theirs>", theirs checked when we know it? */
static bool username_valid(const struct endpoint_security *sec, struct slice u)
{
	size_t l = strlen(sec->local_ufrag);
	if (u.len <= l || memcmp(u.p, sec->local_ufrag, l) != 0 || u.p[l] != ':')
		return false;
	struct slice remote = slice_make(u.p + l + 1, u.len - l - 1);
	return !sec->remote_ufrag[0] || slice_eq_cstr(remote, sec->remote_ufrag);
}

static void stun_reply_error(struct relay_socket *s, const struct stun_msg *req,
			     const struct netaddr *to, uint16_t code)
{
	struct mbuf *out = &s->endpoint->call->worker->control_out;
	struct stun_build_opts opts = { .fingerprint = true };
	mbuf_reset(out);
	if (!stun_build_binding_error(out, req->tid, code, req->unknown,
				      code == 420 ? req->unknown_count : 0, &opts))
		send_control(s, to, out);
}

static void stun_received(struct relay_socket *s, const uint8_t *buf, size_t len,
			  const struct netaddr *from)
{
	struct worker_endpoint *ep = s->endpoint;
	struct endpoint_security *sec = &ep->security;
	struct stun_msg msg;

	if (stun_parse(buf, len, &msg) || msg.cls != STUN_CLASS_REQUEST ||
	    msg.method != STUN_METHOD_BINDING || !stun_check_fingerprint(&msg, buf)) {
		ep->counters.stun_rejected++;
		return;
	}
	uint16_t code = 0;
	if (!slice_is_set(msg.username) || !msg.integrity_offset)
		code = 400;
	else if (!username_valid(sec, msg.username) ||
		 !stun_check_integrity(&msg, buf, slice_from_cstr(sec->local_pwd)))
		code = 401;
	else if (msg.unknown_count)
		code = 420;
	if (code) {
		ep->counters.stun_rejected++;
		stun_reply_error(s, &msg, from, code);
		return;
	}

	uint64_t now = loop_now_ms(endpoint_loop(ep));
	ep->counters.stun_answered++;
	ep->call->last_packet_ms = now;
	if (msg.use_candidate || !s->latched) {
		s->remote = *from;
		s->latched = true;
	}
	sec->checked = true;
	sec->last_check_ms = now;

	struct mbuf *out = &ep->call->worker->control_out;
	struct stun_build_opts opts = {
		.key = slice_from_cstr(sec->local_pwd),
		.fingerprint = true,
	};
	mbuf_reset(out);
	if (!stun_build_binding_success(out, msg.tid, from, &opts))
		send_control(s, from, out);

	if (sec->dtls && !sec->dtls_started && s->component == RELAY_RTP) {
		sec->dtls_started = true;
		dtls_conn_start(sec->dtls); /* a server has nothing to start */
		dtls_progress(ep);
	}
}

void secure_control_received(struct relay_socket *s, enum media_packet_kind kind,
			     const uint8_t *buf, size_t len, const struct netaddr *from)
{
	if (kind == MEDIA_PACKET_STUN)
		stun_received(s, buf, len, from);
	else if (s->component == RELAY_RTP)
		dtls_received(s, buf, len, from);
	else
		s->endpoint->counters.ignored++;
}

/* ------------------------------------------------------------ SRTP */

bool secure_unprotect(struct worker_endpoint *ep, bool rtcp, uint8_t *buf, size_t *len)
{
	struct srtp_session *srtp = ep->security.srtp;
	if (!srtp) {
		ep->counters.dropped_unsecured++;
		return false;
	}
	int err = rtcp ? srtp_session_unprotect_rtcp(srtp, buf, len)
		       : srtp_session_unprotect_rtp(srtp, buf, len);
	if (!err)
		return true;
	if (err == EALREADY)
		ep->counters.srtp_replays++;
	else
		ep->counters.srtp_auth_failures++;
	return false;
}

bool secure_protect(struct worker_endpoint *ep, struct worker_endpoint *from, bool rtcp,
		    uint8_t *buf, size_t *len, size_t cap)
{
	struct srtp_session *srtp = ep->security.srtp;
	if (!srtp) {
		from->counters.dropped_unsecured++;
		return false;
	}
	int err = rtcp ? srtp_session_protect_rtcp(srtp, buf, len, cap)
		       : srtp_session_protect_rtp(srtp, buf, len, cap);
	if (err) {
		ep->counters.send_errors++;
		return false;
	}
	return true;
}

void secure_stats(const struct worker_endpoint *ep, uint64_t now_ms,
		  struct media_endpoint_stats *out)
{
	const struct endpoint_security *sec = &ep->security;
	out->consent_age_ms = sec->checked ? (int64_t)(now_ms - sec->last_check_ms) : -1;
	out->srtp_ready = sec->srtp != NULL;
	if (sec->dtls) {
		enum dtls_state state = dtls_conn_state(sec->dtls);
		out->dtls_failed = state == DTLS_STATE_FAILED || state == DTLS_STATE_CLOSED;
	}
}
