/*
 * fuzz_rtp.c - libFuzzer target for demultiplexing, RTP headers, compound
 * RTCP and the receive statistics.
 *
 * The input is a first byte choosing the RTP clock rate, then records of
 * datagrams as they might arrive on one port:
 *
 *   delay(8, ms since the previous one)  length(16)  datagram
 *
 * (a short last record takes what is left). Every datagram goes through
 * media_demux(), rtp_parse() and rtcp_parse_compound() whatever demux
 * says, with every accessor run on every RTCP packet; RTP packets are fed
 * to one struct rtp_stats, whose report, RTT and MOS are computed at the
 * end. Each datagram is copied to an exact-size buffer so any read past it
 * is caught, and every slice handed back must lie inside it.
 */
#include "rtp/rtp.h"
#include "rtp/stats.h"
#include "fuzz_slices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct walk {
	const uint8_t *buf;
	size_t len;
	uint64_t now_ntp;
	size_t packets;
};

static void check_inside(struct slice s, const uint8_t *buf, size_t len)
{
	if (!fuzz_slice_inside(s, buf, len))
		abort();
}

static int visit(const struct rtcp_packet *pkt, void *arg)
{
	struct walk *w = arg;
	struct rtcp_sender_info si;
	struct rtcp_report_block rb;
	struct rtcp_sdes_iter it;
	struct rtcp_sdes_item item;
	struct slice s;
	uint32_t media, rtt;

	w->packets++;
	check_inside(pkt->body, w->buf, w->len);
	if (rtcp_sender_info(pkt, &si) == 0)
		w->now_ntp = si.ntp;
	for (size_t i = 0; i <= pkt->count; i++) {
		int rc = rtcp_report_block(pkt, i, &rb);
		if ((rc == 0) != (i < pkt->count && (pkt->type == RTCP_SR || pkt->type == RTCP_RR)))
			abort();
		if (rc == 0)
			rtp_stats_rtt(&rb, (uint64_t)rb.lsr << 16, w->now_ntp, &rtt);
	}
	rtcp_sdes_iter_init(&it, pkt);
	while (rtcp_sdes_next(&it, &item))
		check_inside(item.value, w->buf, w->len);
	if (it.malformed)
		abort(); /* rtcp_parse_compound() let it through */
	if (rtcp_bye_reason(pkt, &s) == 0)
		check_inside(s, w->buf, w->len);
	else if (pkt->type == RTCP_BYE)
		abort();
	if (rtcp_feedback(pkt, &media, &s) == 0)
		check_inside(s, w->buf, w->len);
	return 0;
}

static void datagram(const uint8_t *buf, size_t len, uint64_t arrival_us, struct rtp_stats *stats)
{
	enum media_packet_kind kind = media_demux(buf, len);
	struct rtp_header h;
	int rc = rtp_parse(buf, len, &h);
	if (rc == 0) {
		if (h.header_len + h.payload.len + h.padding_len != len ||
		    (const uint8_t *)h.payload.p != buf + h.header_len)
			abort();
		check_inside(h.payload, buf, len);
		check_inside(h.extension_data, buf, len);
		if (kind == MEDIA_PACKET_RTP)
			rtp_stats_update(stats, &h, arrival_us);
	} else if (rc != EMSGSIZE && rc != EPROTONOSUPPORT && rc != EBADMSG) {
		abort();
	}
	if (rc == 0 && kind != MEDIA_PACKET_RTP && kind != MEDIA_PACKET_RTCP)
		abort(); /* version 2 means a first byte of 128-191 */

	struct walk w = { .buf = buf, .len = len };
	rc = rtcp_parse_compound(buf, len, visit, &w);
	if ((rc != 0 && rc != EBADMSG) || (rc == EBADMSG && w.packets))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t clocks[4] = { 8000, 16000, 48000, 90000 };
	struct rtp_stats stats;
	struct rtcp_report_block rb;
	uint64_t now_us = 1000000;
	if (size < 1)
		return 0;
	rtp_stats_init(&stats, clocks[data[0] & 3]);
	size_t pos = 1;
	while (pos < size) {
		now_us += 1000u * data[pos++];
		size_t len = size - pos;
		if (len >= 2) {
			size_t want = (size_t)data[pos] << 8 | data[pos + 1];
			pos += 2;
			len = size - pos < want ? size - pos : want;
		} else {
			pos = size;
			len = 0;
		}
		uint8_t *buf = malloc(len ? len : 1);
		if (!buf)
			abort();
		memcpy(buf, data + pos, len);
		datagram(buf, len, now_us, &stats);
		free(buf);
		pos += len;
	}

	rtp_stats_report(&stats, &rb);
	if (rtp_stats_expected(&stats) && rb.cumulative_lost != rtp_stats_lost(&stats) &&
	    rb.cumulative_lost != 0x7fffff && rb.cumulative_lost != -0x800000)
		abort();
	double loss = 100.0 * rb.fraction_lost / 256;
	double delay = 1000.0 * rtp_stats_jitter(&stats) / stats.clock_rate;
	double mos = rtp_stats_mos(rtp_stats_r_factor(RTP_IMPAIRMENT_OPUS, loss, 1, delay));
	if (!(mos >= 1.0 && mos <= 4.5))
		abort();
	return 0;
}
