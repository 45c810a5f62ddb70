/*
 * relay.c - the packet path of a media worker: RTP/RTCP anchoring, with
 * the security layer of secure endpoints (secure.c) plugged in.
 *
 * A socket becomes readable: one recvmmsg() takes up to RELAY_BATCH
 * datagrams into the worker's buffers (level-triggered epoll brings us
 * back for the rest, so one busy socket cannot starve the others). For
 * each datagram:
 *
 *   1. demux (media_demux). On a plain endpoint STUN and DTLS are counted
 *      as ignored and dropped; on a secure one they go to secure.c
 *      (ICE-lite answers, the DTLS handshake), and SRTP/SRTCP is
 *      unprotected in place (failures dropped and counted there), anything
 *      else ignored. RTP, RTCP and anything unknown on a plain endpoint go
 *      on.
 *   2. source. With strict_source only the remote given by SDP (or by
 *      ICE, for a secure endpoint) is accepted (others: dropped_source).
 *      Otherwise the first packet after set_remote latches its source as
 *      the destination of that socket (NAT traversal for phones behind a
 *      NAT), and every later packet is relayed whatever its source.
 *   3. statistics. RTP (on the RTP socket, told apart from muxed RTCP) is
 *      parsed and fed to rtp_stats; a packet that does not parse is still
 *      relayed and counted as not_rtp (the peers may know what it is).
 *      RTCP gives each leg's round-trip time (relay_rtt.c).
 *   4. route. To the bridged peer unless it is on hold: RTP out of the
 *      peer's RTP socket, RTCP out of its RTCP socket or, with rtcp-mux on
 *      the peer's side, its RTP socket; to the remote of that socket. A
 *      secure peer gets it protected in place (dropped while its SRTP is
 *      not ready, or once a browser's consent has expired).
 *
 * Datagrams are queued by destination socket (at most two per batch: the
 * peer's RTP and RTCP sockets) and flushed with one sendmmsg() each, the
 * iovecs pointing into the receive buffers: nothing is copied or
 * allocated per packet. Arrival time for jitter is taken once per batch.
 */
#include "media/worker.h"

#include "rtp/rtp.h"
#include "srtp/srtp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define RELAY_BATCH 32
/* Each receive buffer; what we accept leaves room for the SRTP trailer
 * that protecting toward a secure peer adds in place. */
#define RELAY_BUF_LEN 2048
#define RELAY_RECV_MAX (RELAY_BUF_LEN - SRTP_SESSION_TRAILER_MAX)

/* Datagrams queued for one destination socket. */
struct relay_out {
	struct relay_socket *socket; /* NULL: slot free */
	unsigned count;
	struct mmsghdr msgs[RELAY_BATCH];
	struct iovec iov[RELAY_BATCH];
};

struct relay_batch {
	struct mmsghdr in[RELAY_BATCH];
	struct iovec in_iov[RELAY_BATCH];
	struct sockaddr_storage from[RELAY_BATCH];
	struct relay_out out[2];
	uint8_t buf[RELAY_BATCH][RELAY_BUF_LEN];
};

int relay_batch_alloc(struct relay_batch **batchp)
{
	struct relay_batch *b = calloc(1, sizeof(*b));
	if (!b)
		return ENOMEM;
	for (unsigned i = 0; i < RELAY_BATCH; i++) {
		b->in_iov[i].iov_base = b->buf[i];
		b->in[i].msg_hdr.msg_iov = &b->in_iov[i];
		b->in[i].msg_hdr.msg_iovlen = 1;
		b->in[i].msg_hdr.msg_name = &b->from[i];
	}
	*batchp = b;
	return 0;
}

void relay_batch_free(struct relay_batch *batch)
{
	free(batch);
}

static uint64_t monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Step 2: may this source send to s? Latches when allowed. */
static bool source_accepted(const struct media_worker *w, struct relay_socket *s,
			    const struct netaddr *from)
{
	if (netaddr_family(&s->remote) && netaddr_eq(&s->remote, from))
		return true;
	if (w->settings->strict_source)
		return false;
	if (!s->latched) {
		s->remote = *from;
		s->latched = true;
	}
	return true;
}

static void queue_out(struct relay_batch *b, struct relay_socket *dst, uint8_t *buf, size_t len)
{
	struct relay_out *o = b->out[0].socket == dst || !b->out[0].socket ? &b->out[0] : &b->out[1];
	o->socket = dst;
	struct iovec *iov = &o->iov[o->count];
	struct mmsghdr *m = &o->msgs[o->count++];
	iov->iov_base = buf;
	iov->iov_len = len;
	memset(m, 0, sizeof(*m));
	m->msg_hdr.msg_iov = iov;
	m->msg_hdr.msg_iovlen = 1;
	m->msg_hdr.msg_name = &dst->remote.u.sa;
	m->msg_hdr.msg_namelen = dst->remote.len;
}

static void relay_one(struct media_worker *w, struct relay_socket *s, uint8_t *buf, size_t len,
		      const struct netaddr *from, uint64_t arrival_us)
{
	struct worker_endpoint *ep = s->endpoint;
	ep->counters.packets_received++;
	ep->counters.bytes_received += len;

	enum media_packet_kind kind = media_demux(buf, len);
	bool secure = secure_enabled(ep);
	if (kind == MEDIA_PACKET_STUN || kind == MEDIA_PACKET_DTLS) {
		if (secure)
			secure_control_received(s, kind, buf, len, from);
		else
			ep->counters.ignored++;
		return;
	}
	bool rtcp = s->component == RELAY_RTCP || kind == MEDIA_PACKET_RTCP;
	if (secure) {
		if (kind == MEDIA_PACKET_UNKNOWN) {
			ep->counters.ignored++;
			return;
		}
		if (!secure_unprotect(ep, rtcp, buf, &len))
			return;
	}
	if (!source_accepted(w, s, from)) {
		ep->counters.dropped_source++;
		return;
	}
	ep->call->last_packet_ms = loop_now_ms(w->loop);

	if (!rtcp) {
		struct rtp_header h;
		if (rtp_parse(buf, len, &h) == 0)
			rtp_stats_update(&ep->rtp_stats, &h, arrival_us);
		else
			ep->counters.not_rtp++;
	} else {
		relay_rtcp_observe(ep, buf, len, arrival_us);
	}

	struct worker_endpoint *peer = ep->peer;
	if (!peer || peer->hold) {
		ep->counters.dropped_unroutable++;
		return;
	}
	struct relay_socket *dst = &peer->sockets[rtcp && !peer->rtcp_mux ? RELAY_RTCP : RELAY_RTP];
	if (!netaddr_family(&dst->remote)) {
		ep->counters.dropped_unroutable++;
		return;
	}
	if (secure_consent_lost(peer, loop_now_ms(w->loop))) {
		ep->counters.dropped_no_consent++;
		return;
	}
	if (secure_enabled(peer) && !secure_protect(peer, ep, rtcp, buf, &len, RELAY_BUF_LEN))
		return;
	queue_out(w->batch, dst, buf, len);
}

static void flush_out(struct relay_out *o)
{
	struct media_endpoint_stats *c = &o->socket->endpoint->counters;
	unsigned done = 0;
	while (done < o->count) {
		int n = sendmmsg(o->socket->fd, o->msgs + done, o->count - done, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->send_errors += o->count - done; /* socket buffer full */
				break;
			}
			c->send_errors++; /* this one was refused (ICMP error, ...) */
			done++;
			continue;
		}
		for (unsigned i = done; i < done + (unsigned)n; i++) {
			c->packets_sent++;
			c->bytes_sent += o->msgs[i].msg_len;
		}
		done += (unsigned)n;
	}
	o->count = 0;
	o->socket = NULL;
}

void relay_socket_readable(int fd, uint32_t events, void *arg)
{
	struct relay_socket *s = arg;
	struct media_worker *w = s->endpoint->call->worker;
	struct relay_batch *b = w->batch;
	(void)events;

	for (unsigned i = 0; i < RELAY_BATCH; i++) {
		b->in_iov[i].iov_len = RELAY_RECV_MAX;
		b->in[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
		b->in[i].msg_hdr.msg_flags = 0;
	}
	int n = recvmmsg(fd, b->in, RELAY_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return; /* EAGAIN, or an ICMP error queued on the socket */

	uint64_t arrival_us = monotonic_us();
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &b->in[i].msg_hdr;
		struct netaddr from;
		if (h->msg_flags & MSG_TRUNC) {
			s->endpoint->counters.packets_received++;
			s->endpoint->counters.dropped_oversize++;
			continue;
		}
		memcpy(&from.u.storage, &b->from[i], sizeof(b->from[i]));
		from.len = h->msg_namelen;
		relay_one(w, s, b->buf[i], b->in[i].msg_len, &from, arrival_us);
	}
	for (unsigned i = 0; i < 2; i++)
		if (b->out[i].socket)
			flush_out(&b->out[i]);
}
