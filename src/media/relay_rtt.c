/*
 * relay_rtt.c - round-trip time of each leg, measured by the relay from
 * the RTCP it forwards (RFC 3550 6.4.1, seen from the middle).
 *
 * An SR from one side passes through the relay at t0 on its way to the
 * other side's phone; that phone's next report block on the SR's source
 * carries LSR (the SR's NTP time, middle 32 bits) and DLSR (how long it
 * held the SR) and reaches the relay at t1. Then t1 - t0 - DLSR is the
 * round trip between the relay and that phone: the leg's RTT, not the
 * end-to-end one. The relay's own clock times both ends, so the phones'
 * clocks do not matter.
 *
 * Each endpoint keeps the last RELAY_SR_KEEP SRs it received (LSR and
 * arrival time); a report block arriving on its peer is matched against
 * them. The latest match wins (no smoothing): it is what a live view and
 * the MOS's delay want.
 */
#include "media/worker.h"

#include "rtp/rtp.h"

struct rtt_walk {
	struct worker_endpoint *ep;
	uint64_t arrival_us;
};

static void sr_remember(struct worker_endpoint *ep, const struct rtcp_sender_info *si,
			uint64_t arrival_us)
{
	struct relay_sr *sr = &ep->srs[ep->sr_next++ % RELAY_SR_KEEP];
	sr->lsr = rtcp_ntp_compact(si->ntp);
	sr->at_us = arrival_us;
}

/* A report block received on ep answers an SR its peer forwarded to it. */
static void block_match(struct worker_endpoint *ep, const struct rtcp_report_block *rb,
			uint64_t arrival_us)
{
	const struct worker_endpoint *peer = ep->peer;
	uint64_t dlsr_us = ((uint64_t)rb->dlsr * 1000000) >> 16;

	if (!peer || rb->lsr == 0)
		return;
	for (unsigned i = 0; i < RELAY_SR_KEEP; i++) {
		const struct relay_sr *sr = &peer->srs[i];
		if (sr->at_us && sr->lsr == rb->lsr && arrival_us >= sr->at_us + dlsr_us) {
			ep->counters.rtt_ms = (double)(arrival_us - sr->at_us - dlsr_us) / 1000.0;
			return;
		}
	}
}

static int packet_seen(const struct rtcp_packet *pkt, void *arg)
{
	struct rtt_walk *walk = arg;
	struct rtcp_sender_info si;
	struct rtcp_report_block rb;

	if (pkt->type != RTCP_SR && pkt->type != RTCP_RR)
		return 0;
	if (pkt->type == RTCP_SR && rtcp_sender_info(pkt, &si) == 0)
		sr_remember(walk->ep, &si, walk->arrival_us);
	for (size_t i = 0; i < pkt->count; i++)
		if (rtcp_report_block(pkt, i, &rb) == 0)
			block_match(walk->ep, &rb, walk->arrival_us);
	return 0;
}

void relay_rtcp_observe(struct worker_endpoint *ep, const uint8_t *buf, size_t len,
			uint64_t arrival_us)
{
	struct rtt_walk walk = { ep, arrival_us };

	rtcp_parse_compound(buf, len, packet_seen, &walk); /* malformed: nothing learned */
}
