/*
 * rtcp.c - compound RTCP packets (RFC 3550 6, RFC 4585 6.1) read in place.
 *
 * Every packet starts with the same word:
 *
 *   V=2(2) P(1) count(5)  type(8)  length(16): 32-bit words after this one
 *
 * and the body that follows depends on the type:
 *
 *   SR     SSRC, NTP(64), RTP timestamp, packets, octets, count x report block
 *   RR     SSRC, count x report block
 *   SDES   count x chunk: SSRC, items type(8) length(8) value, a 0 octet,
 *          zeros up to the next 32-bit boundary
 *   BYE    count x SSRC, then optionally length(8) reason
 *   APP    SSRC, name(4 ASCII), data
 *   RTPFB, PSFB   sender SSRC, media SSRC, feedback control information
 *
 * A report block is SSRC, fraction lost(8), cumulative lost(24, signed),
 * extended highest sequence number, jitter, LSR, DLSR.
 *
 * rtcp_parse_compound() walks the datagram twice: first checking every
 * packet, then handing them out, so a handler never sees the first half of
 * a compound whose second half is garbage.
 */
#include "rtp/rtp.h"

#include "core/byteorder.h"

#include <errno.h>


static const uint8_t *body_of(const struct rtcp_packet *pkt)
{
	return (const uint8_t *)pkt->body.p;
}

/* ------------------------------------------------------------ SDES */

void rtcp_sdes_iter_init(struct rtcp_sdes_iter *it, const struct rtcp_packet *pkt)
{
	it->base = it->p = body_of(pkt);
	it->end = it->p + pkt->body.len;
	it->chunks_left = pkt->type == RTCP_SDES ? pkt->count : 0;
	it->ssrc = 0;
	it->in_chunk = false;
	it->malformed = false;
}

static bool sdes_malformed(struct rtcp_sdes_iter *it)
{
	it->malformed = true;
	it->chunks_left = 0;
	it->in_chunk = false;
	return false;
}

bool rtcp_sdes_next(struct rtcp_sdes_iter *it, struct rtcp_sdes_item *item)
{
	for (;;) {
		if (!it->in_chunk) {
			if (!it->chunks_left)
				return false;
			if (it->end - it->p < 4)
				return sdes_malformed(it);
			it->ssrc = be32_get(it->p);
			it->p += 4;
			it->in_chunk = true;
			it->chunks_left--;
		}
		if (it->p >= it->end)
			return sdes_malformed(it);
		if (*it->p == RTCP_SDES_END) {
			/* the null octet, then up to the next chunk's word */
			size_t next = ((size_t)(it->p - it->base) + 4) & ~(size_t)3;
			it->p = next < (size_t)(it->end - it->base) ? it->base + next : it->end;
			it->in_chunk = false;
			continue;
		}
		if (it->end - it->p < 2 || it->end - it->p - 2 < it->p[1])
			return sdes_malformed(it);
		item->ssrc = it->ssrc;
		item->type = it->p[0];
		item->value = slice_make((const char *)it->p + 2, it->p[1]);
		it->p += 2 + it->p[1];
		return true;
	}
}

static bool sdes_valid(const struct rtcp_packet *pkt)
{
	struct rtcp_sdes_iter it;
	struct rtcp_sdes_item item;
	rtcp_sdes_iter_init(&it, pkt);
	while (rtcp_sdes_next(&it, &item))
		;
	return !it.malformed;
}

/* ------------------------------------------------------------ compound */

/* Is the body long enough for what the packet's count announces? */
static bool body_fits(const struct rtcp_packet *pkt)
{
	size_t len = pkt->body.len, n = pkt->count;
	const uint8_t *b = body_of(pkt);
	switch (pkt->type) {
	case RTCP_SR:
		return len >= 24 + n * RTCP_REPORT_BLOCK_LEN;
	case RTCP_RR:
		return len >= 4 + n * RTCP_REPORT_BLOCK_LEN;
	case RTCP_SDES:
		return sdes_valid(pkt);
	case RTCP_BYE:
		if (len < 4 * n)
			return false;
		return len == 4 * n || (size_t)b[4 * n] < len - 4 * n;
	case RTCP_APP:
	case RTCP_RTPFB:
	case RTCP_PSFB:
		return len >= 8;
	default:
		return true;
	}
}

/* Read and check the packet at p, at most left bytes; *size gets its
 * length including padding. */
static int read_packet(const uint8_t *p, size_t left, struct rtcp_packet *pkt, size_t *size)
{
	if (left < 4 || p[0] >> 6 != 2)
		return EBADMSG;
	size_t n = 4 * ((size_t)be16_get(p + 2) + 1);
	if (n > left)
		return EBADMSG;
	size_t pad = 0;
	if (p[0] & 0x20) {
		/* only the last packet of a compound may be padded */
		pad = p[n - 1];
		if (n != left || pad == 0 || pad > n - 4)
			return EBADMSG;
	}
	pkt->count = p[0] & 0x1f;
	pkt->type = p[1];
	pkt->body = slice_make((const char *)p + 4, n - 4 - pad);
	if (!body_fits(pkt))
		return EBADMSG;
	bool has_ssrc = pkt->type == RTCP_SR || pkt->type == RTCP_RR || pkt->type == RTCP_APP ||
			pkt->type == RTCP_RTPFB || pkt->type == RTCP_PSFB || pkt->type == RTCP_XR ||
			((pkt->type == RTCP_SDES || pkt->type == RTCP_BYE) && pkt->count);
	pkt->ssrc = has_ssrc && pkt->body.len >= 4 ? be32_get(p + 4) : 0;
	*size = n;
	return 0;
}

int rtcp_parse_compound(const uint8_t *buf, size_t len, rtcp_packet_h *handler, void *arg)
{
	struct rtcp_packet pkt;
	size_t pos, size;
	if (len == 0)
		return EBADMSG;
	for (pos = 0; pos < len; pos += size)
		if (read_packet(buf + pos, len - pos, &pkt, &size))
			return EBADMSG;
	for (pos = 0; pos < len; pos += size) {
		read_packet(buf + pos, len - pos, &pkt, &size);
		int rc = handler(&pkt, arg);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ accessors */

int rtcp_sender_info(const struct rtcp_packet *pkt, struct rtcp_sender_info *si)
{
	const uint8_t *b = body_of(pkt);
	if (pkt->type != RTCP_SR || pkt->body.len < 24)
		return EINVAL;
	si->ntp = (uint64_t)be32_get(b + 4) << 32 | be32_get(b + 8);
	si->rtp_timestamp = be32_get(b + 12);
	si->packet_count = be32_get(b + 16);
	si->octet_count = be32_get(b + 20);
	return 0;
}

int rtcp_report_block(const struct rtcp_packet *pkt, size_t i, struct rtcp_report_block *rb)
{
	size_t first;
	if (pkt->type == RTCP_SR)
		first = 24;
	else if (pkt->type == RTCP_RR)
		first = 4;
	else
		return EINVAL;
	size_t at = first + i * RTCP_REPORT_BLOCK_LEN;
	if (i >= pkt->count || pkt->body.len < at + RTCP_REPORT_BLOCK_LEN)
		return EINVAL;
	const uint8_t *b = body_of(pkt) + at;
	rb->ssrc = be32_get(b);
	rb->fraction_lost = b[4];
	uint32_t lost = be24_get(b + 5);
	rb->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
	rb->highest_seq = be32_get(b + 8);
	rb->jitter = be32_get(b + 12);
	rb->lsr = be32_get(b + 16);
	rb->dlsr = be32_get(b + 20);
	return 0;
}

int rtcp_bye_reason(const struct rtcp_packet *pkt, struct slice *reason)
{
	size_t at = 4 * (size_t)pkt->count;
	if (pkt->type != RTCP_BYE || pkt->body.len < at)
		return EINVAL;
	*reason = SLICE_NULL;
	if (pkt->body.len == at)
		return 0;
	size_t n = body_of(pkt)[at];
	if (n >= pkt->body.len - at)
		return EINVAL;
	*reason = slice_make(pkt->body.p + at + 1, n);
	return 0;
}

int rtcp_feedback(const struct rtcp_packet *pkt, uint32_t *media_ssrc, struct slice *fci)
{
	if ((pkt->type != RTCP_RTPFB && pkt->type != RTCP_PSFB) || pkt->body.len < 8)
		return EINVAL;
	*media_ssrc = be32_get(body_of(pkt) + 4);
	*fci = slice_make(pkt->body.p + 8, pkt->body.len - 8);
	return 0;
}
