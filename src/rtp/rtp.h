/*
 * rtp.h - RTP and RTCP packets (RFC 3550), telling them apart from STUN and
 * DTLS on one port (RFC 7983, RFC 5761 rtcp-mux).
 *
 * Everything here is a pure function of one datagram: media_demux() says
 * which protocol it is, rtp_parse() reads an RTP header into a struct whose
 * payload and extension are slices of the datagram, rtcp_parse_compound()
 * checks a compound RTCP packet and then hands its packets to a callback
 * one by one, and the rtcp_* accessors read the parts of one packet (sender
 * info, report blocks, SDES items, BYE reason, feedback).
 *
 * RTP: rtp.c. RTCP: rtcp.c. Receive statistics built on these: rtp/stats.h.
 */
#ifndef RTCB_RTP_RTP_H
#define RTCB_RTP_RTP_H

#include "core/slice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ demux */

enum media_packet_kind {
	MEDIA_PACKET_UNKNOWN = 0,
	MEDIA_PACKET_STUN,
	MEDIA_PACKET_DTLS,
	MEDIA_PACKET_RTP,
	MEDIA_PACKET_RTCP,
};

/*
 * By the first byte (RFC 7983 7): 0-3 STUN, 20-63 DTLS, 128-191 RTP or
 * RTCP; ZRTP, TURN channels and everything else are unknown. RTCP when the
 * second byte (marker bit and payload type of an RTP header) is 192-223,
 * the RTCP packet types RFC 5761 4 keeps away from RTP payload types. Only
 * classifies: the protocol's parser judges the rest.
 */
enum media_packet_kind media_demux(const uint8_t *buf, size_t len);

/* ------------------------------------------------------------ RTP */

#define RTP_HEADER_LEN 12
#define RTP_MAX_CSRC 15

struct rtp_header {
	bool padding, extension, marker;
	uint8_t csrc_count;
	uint8_t payload_type;
	uint16_t seq;
	uint32_t timestamp;
	uint32_t ssrc;
	uint32_t csrc[RTP_MAX_CSRC];
	uint16_t extension_profile; /* 0xBEDE one-byte, 0x100x two-byte (RFC 8285) */
	struct slice extension_data; /* the extension's words after its 4-byte header */
	size_t header_len;           /* fixed header, CSRCs and extension */
	size_t padding_len;          /* including the count byte itself */
	struct slice payload;        /* between header and padding */
};

/*
 * Read an RTP header. 0; EMSGSIZE when the datagram is shorter than the
 * fixed header, the CSRC list or the extension it announces;
 * EPROTONOSUPPORT when the version is not 2; EBADMSG when the padding count
 * is 0 or reaches into the header.
 */
int rtp_parse(const uint8_t *buf, size_t len, struct rtp_header *h);

/* ------------------------------------------------------------ RTCP */

enum rtcp_type {
	RTCP_SR = 200,
	RTCP_RR = 201,
	RTCP_SDES = 202,
	RTCP_BYE = 203,
	RTCP_APP = 204,
	RTCP_RTPFB = 205, /* transport feedback (RFC 4585): NACK, TWCC */
	RTCP_PSFB = 206,  /* payload-specific feedback: PLI, FIR, REMB */
	RTCP_XR = 207,
};

enum rtcp_sdes_type {
	RTCP_SDES_END = 0,
	RTCP_SDES_CNAME = 1,
};

/* One packet of a compound. */
struct rtcp_packet {
	uint8_t type;    /* enum rtcp_type, or another type passed through */
	uint8_t count;   /* the 5-bit field: reports, sources, or FMT in feedback */
	uint32_t ssrc;   /* the sender (SR, RR, APP, feedback), first source
			  * (SDES, BYE), or 0 when the packet has none */
	struct slice body; /* after the 4-byte header, without padding */
};

/* Called for each packet in order; a non-zero return stops the walk and is
 * what rtcp_parse_compound() returns. */
typedef int(rtcp_packet_h)(const struct rtcp_packet *pkt, void *arg);

/*
 * Check a compound RTCP packet (RFC 3550 6.1, A.2; RFC 5506 allows it to
 * start with any type), then call handler for each packet. Every packet
 * must be version 2 and fit, its length words must add up to the datagram,
 * only the last may be padded, and each known type must be long enough for
 * what its count announces (SDES chunks are walked item by item). On
 * EBADMSG the handler has not been called.
 */
int rtcp_parse_compound(const uint8_t *buf, size_t len, rtcp_packet_h *handler, void *arg);

struct rtcp_sender_info {
	uint64_t ntp;           /* 32.32 fixed point seconds since 1900 */
	uint32_t rtp_timestamp; /* the same instant on the RTP clock */
	uint32_t packet_count, octet_count;
};

struct rtcp_report_block {
	uint32_t ssrc; /* the source this block reports on */
	uint8_t fraction_lost; /* since the last report, in 1/256 */
	int32_t cumulative_lost; /* 24-bit signed: duplicates can make it negative */
	uint32_t highest_seq;    /* extended: cycles << 16 | sequence number */
	uint32_t jitter;         /* in RTP timestamp units */
	uint32_t lsr;            /* middle 32 bits of the last SR's NTP time, 0: none */
	uint32_t dlsr;           /* delay since that SR, in 1/65536 s */
};

#define RTCP_REPORT_BLOCK_LEN 24

/* An SR's sender info. 0, or EINVAL for another type. */
int rtcp_sender_info(const struct rtcp_packet *pkt, struct rtcp_sender_info *si);

/* Report block i (0 .. count-1) of an SR or RR. 0, or EINVAL. */
int rtcp_report_block(const struct rtcp_packet *pkt, size_t i, struct rtcp_report_block *rb);

/* Walking the items of an SDES packet: chunk by chunk, item by item. Safe
 * on any packet; after the walk, malformed says whether the chunks were
 * cut short (rtcp_parse_compound() refuses such packets). */
struct rtcp_sdes_iter {
	const uint8_t *base, *p, *end;
	unsigned chunks_left;
	uint32_t ssrc;
	bool in_chunk;
	bool malformed;
};

struct rtcp_sdes_item {
	uint32_t ssrc; /* the chunk's source */
	uint8_t type;  /* enum rtcp_sdes_type */
	struct slice value;
};

void rtcp_sdes_iter_init(struct rtcp_sdes_iter *it, const struct rtcp_packet *pkt);
/* The next item; false at the end or at a malformed chunk. */
bool rtcp_sdes_next(struct rtcp_sdes_iter *it, struct rtcp_sdes_item *item);

/* A BYE's reason, or a slice that is not set. EINVAL for another type. */
int rtcp_bye_reason(const struct rtcp_packet *pkt, struct slice *reason);

/* RTPFB/PSFB (RFC 4585 6.1): the media source and the feedback control
 * information. EINVAL for another type. */
int rtcp_feedback(const struct rtcp_packet *pkt, uint32_t *media_ssrc, struct slice *fci);

/* The middle 32 bits of an NTP time, as LSR carries it. */
static inline uint32_t rtcp_ntp_compact(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

#endif
