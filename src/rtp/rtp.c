/*
 * rtp.c - telling the protocols on a media port apart, and reading RTP
 * headers (RFC 3550 5.1).
 *
 *   0   V=2(2) P(1) X(1) CC(4)  M(1) PT(7)  sequence number(16)
 *   4   timestamp
 *   8   SSRC
 *   12  CC x CSRC
 *       X: profile(16) length in words(16), then length x 4 bytes
 *       payload, then P: padding whose last byte counts itself
 */
#include "rtp/rtp.h"

#include "core/byteorder.h"

#include <errno.h>


enum media_packet_kind media_demux(const uint8_t *buf, size_t len)
{
	if (len < 1)
		return MEDIA_PACKET_UNKNOWN;
	uint8_t b = buf[0];
	if (b <= 3)
		return MEDIA_PACKET_STUN;
	if (b >= 20 && b <= 63)
		return MEDIA_PACKET_DTLS;
	if (b >= 128 && b <= 191 && len >= 2)
		return buf[1] >= 192 && buf[1] <= 223 ? MEDIA_PACKET_RTCP : MEDIA_PACKET_RTP;
	return MEDIA_PACKET_UNKNOWN;
}

int rtp_parse(const uint8_t *buf, size_t len, struct rtp_header *h)
{
	if (len < RTP_HEADER_LEN)
		return EMSGSIZE;
	if (buf[0] >> 6 != 2)
		return EPROTONOSUPPORT;
	h->padding = buf[0] & 0x20;
	h->extension = buf[0] & 0x10;
	h->csrc_count = buf[0] & 0x0f;
	h->marker = buf[1] & 0x80;
	h->payload_type = buf[1] & 0x7f;
	h->seq = be16_get(buf + 2);
	h->timestamp = be32_get(buf + 4);
	h->ssrc = be32_get(buf + 8);

	size_t pos = RTP_HEADER_LEN;
	if (len - pos < 4u * h->csrc_count)
		return EMSGSIZE;
	for (unsigned i = 0; i < h->csrc_count; i++, pos += 4)
		h->csrc[i] = be32_get(buf + pos);

	h->extension_profile = 0;
	h->extension_data = SLICE_NULL;
	if (h->extension) {
		if (len - pos < 4)
			return EMSGSIZE;
		h->extension_profile = be16_get(buf + pos);
		size_t words = (size_t)be16_get(buf + pos + 2);
		pos += 4;
		if (len - pos < 4 * words)
			return EMSGSIZE;
		h->extension_data = slice_make((const char *)buf + pos, 4 * words);
		pos += 4 * words;
	}
	h->header_len = pos;

	h->padding_len = 0;
	if (h->padding) {
		/* the count byte is the datagram's last; at least itself */
		size_t pad = buf[len - 1];
		if (pad == 0 || pad > len - pos)
			return EBADMSG;
		h->padding_len = pad;
	}
	h->payload = slice_make((const char *)buf + pos, len - pos - h->padding_len);
	return 0;
}
