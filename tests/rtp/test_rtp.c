/*
 * test_rtp.c - RTP/RTCP: demultiplexing by first byte (RFC 7983, RFC 5761),
 * RTP headers from G.711 phones and from browsers (CSRCs, extensions,
 * padding, every truncation), compound RTCP as phones and browsers send it
 * and as it must be refused, receive statistics (wrap-around, loss, reorder,
 * restarts, jitter on synthetic arrival patterns), RTT and the E-model.
 *
 * Every test checks that it gave back all the memory it took.
 */
#include "rtp/rtp.h"
#include "rtp/stats.h"
#include "leakcheck.h"
#include "slice_assert.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ------------------------------------------------------------- fixture */

#define MAX_SEEN 8

struct env {
	struct rtp_header h;
	struct rtp_stats stats;
	uint8_t buf[512];
	/* what the RTCP handler saw */
	struct rtcp_packet seen[MAX_SEEN];
	size_t seen_count;
	int stop_at; /* 1-based packet at which the handler says stop, 0 never */
};

static const struct leak_fixture env_fixture = { sizeof(struct env), NULL, NULL };

static int collect(const struct rtcp_packet *pkt, void *arg)
{
	struct env *e = arg;
	if (e->seen_count < MAX_SEEN)
		e->seen[e->seen_count] = *pkt;
	e->seen_count++;
	return e->stop_at && (int)e->seen_count == e->stop_at ? ECANCELED : 0;
}

static int walk(struct env *e, const uint8_t *buf, size_t len)
{
	e->seen_count = 0;
	return rtcp_parse_compound(buf, len, collect, e);
}

/* ------------------------------------------------------------- packets */

/* PCMU from a SIP phone: seq 15000, ts 180000, 160 bytes of silence. */
static size_t pcmu_packet(uint8_t *buf)
{
	static const uint8_t head[] = { 0x80, 0x00, 0x3a, 0x98, 0x00, 0x02, 0xbf, 0x20,
					0xde, 0xad, 0xbe, 0xef };
	memcpy(buf, head, sizeof(head));
	memset(buf + sizeof(head), 0xff, 160);
	return sizeof(head) + 160;
}

/* Opus from a browser: one-byte header extension (RFC 8285) with the audio
 * level (RFC 6464), then the Opus frame. */
static const uint8_t opus_packet[] = {
	0x90, 0x6f, 0x1f, 0x40, 0x5f, 0x5e, 0x10, 0x00, 0x0b, 0xad, 0xca, 0xfe,
	0xbe, 0xde, 0x00, 0x01, 0x10, 0xba, 0x00, 0x00, 0xfc, 0xff, 0xfe,
};

/* Mixer output: two CSRCs, marker, dynamic PT 96, 3 bytes of padding. */
static const uint8_t mixed_packet[] = {
	0xa2, 0xe0, 0x00, 0x01, 0x00, 0x00, 0x00, 0xa0, 0x11, 0x11, 0x11, 0x11,
	0x22, 0x22, 0x22, 0x22, 0x33, 0x33, 0x33, 0x33, 'h', 'e', 'l', 'l', 'o',
	0x00, 0x00, 0x03,
};

/* A phone's SR with one report block, and SDES with its CNAME. */
static const uint8_t sr_sdes[] = {
	0x81, 0xc8, 0x00, 0x0c, 0x11, 0x22, 0x33, 0x44, /* SR, 1 block, SSRC */
	0xe8, 0x1b, 0x2c, 0x3d, 0x80, 0x00, 0x00, 0x00, /* NTP */
	0x00, 0x01, 0xe2, 0x40, 0x00, 0x00, 0x01, 0xf4, /* RTP ts 123456, 500 packets */
	0x00, 0x01, 0x38, 0x80,                         /* 80000 octets */
	0xaa, 0xbb, 0xcc, 0xdd, 0x19, 0xff, 0xff, 0xff, /* block: 25/256, lost -1 */
	0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x2a, /* highest 65541, jitter 42 */
	0x2c, 0x3d, 0x80, 0x00, 0x00, 0x00, 0x80, 0x00, /* LSR, DLSR 0.5 s */
	0x81, 0xca, 0x00, 0x05, 0x11, 0x22, 0x33, 0x44, /* SDES, 1 chunk */
	0x01, 0x0c, 'u', 's', 'e', 'r', '@', 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x00, 0x00,
};

/* A browser's reduced-size and feedback traffic, then goodbye. */
static const uint8_t feedback_bye[] = {
	0x80, 0xc9, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44, /* RR, no blocks */
	0x81, 0xce, 0x00, 0x02, 0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb, 0xcc, 0xdd, /* PLI */
	0x81, 0xcd, 0x00, 0x03, 0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb, 0xcc, 0xdd,
	0x00, 0x64, 0x00, 0x05,                         /* NACK 100, 101, 103 */
	0x80, 0xcc, 0x00, 0x03, 0x11, 0x22, 0x33, 0x44, 'n', 'a', 'm', 'e',
	0x01, 0x02, 0x03, 0x04,                         /* APP */
	0x81, 0xcb, 0x00, 0x03, 0x11, 0x22, 0x33, 0x44, 0x06, 'g', 'o', 'n', 'e', '!', '!',
	0x00,                                           /* BYE "gone!!" */
};

/* ------------------------------------------------------------- demux */

static void test_demux(void **state)
{
	(void)state;
	static const struct {
		uint8_t b0, b1;
		size_t len;
		enum media_packet_kind kind;
	} cases[] = {
		{ 0x00, 0x01, 20, MEDIA_PACKET_STUN },     { 0x03, 0x00, 1, MEDIA_PACKET_STUN },
		{ 0x04, 0x00, 20, MEDIA_PACKET_UNKNOWN },  { 19, 0, 20, MEDIA_PACKET_UNKNOWN },
		{ 20, 0xfe, 13, MEDIA_PACKET_DTLS },       { 22, 0xfe, 13, MEDIA_PACKET_DTLS },
		{ 63, 0, 13, MEDIA_PACKET_DTLS },          { 64, 0, 4, MEDIA_PACKET_UNKNOWN },
		{ 127, 0, 12, MEDIA_PACKET_UNKNOWN },      { 0x80, 0x00, 12, MEDIA_PACKET_RTP },
		{ 0x80, 0x6f, 12, MEDIA_PACKET_RTP },      { 0x90, 0xe0, 12, MEDIA_PACKET_RTP },
		{ 0x80, 0xbf, 12, MEDIA_PACKET_RTP },      { 0x80, 0xc0, 8, MEDIA_PACKET_RTCP },
		{ 0x81, 0xc8, 28, MEDIA_PACKET_RTCP },     { 0xbf, 0xdf, 8, MEDIA_PACKET_RTCP },
		{ 0x80, 0xcf, 8, MEDIA_PACKET_RTCP },      { 0xc0, 0xc8, 8, MEDIA_PACKET_UNKNOWN },
		{ 0xff, 0x00, 8, MEDIA_PACKET_UNKNOWN },   { 0x80, 0x00, 1, MEDIA_PACKET_UNKNOWN },
		{ 0x00, 0x00, 0, MEDIA_PACKET_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[32] = { cases[i].b0, cases[i].b1 };
		if (media_demux(buf, cases[i].len) != cases[i].kind)
			fail_msg("case %zu (%u %u): %d", i, cases[i].b0, cases[i].b1,
				 media_demux(buf, cases[i].len));
	}
	assert_int_equal(media_demux(opus_packet, sizeof(opus_packet)), MEDIA_PACKET_RTP);
	assert_int_equal(media_demux(sr_sdes, sizeof(sr_sdes)), MEDIA_PACKET_RTCP);
}

/* ------------------------------------------------------------- RTP */

static void test_rtp_pcmu(void **state)
{
	struct env *e = *state;
	struct rtp_header *h = &e->h;
	size_t n = pcmu_packet(e->buf);
	assert_int_equal(rtp_parse(e->buf, n, h), 0);
	assert_false(h->padding);
	assert_false(h->extension);
	assert_false(h->marker);
	assert_int_equal(h->csrc_count, 0);
	assert_int_equal(h->payload_type, 0);
	assert_int_equal(h->seq, 15000);
	assert_int_equal(h->timestamp, 180000);
	assert_int_equal(h->ssrc, 0xdeadbeef);
	assert_int_equal(h->header_len, 12);
	assert_int_equal(h->padding_len, 0);
	assert_ptr_equal(h->payload.p, e->buf + 12);
	assert_int_equal(h->payload.len, 160);
	assert_false(slice_is_set(h->extension_data));
}

static void test_rtp_opus_extension(void **state)
{
	struct env *e = *state;
	struct rtp_header *h = &e->h;
	assert_int_equal(rtp_parse(opus_packet, sizeof(opus_packet), h), 0);
	assert_true(h->extension);
	assert_int_equal(h->payload_type, 111);
	assert_int_equal(h->seq, 8000);
	assert_int_equal(h->timestamp, 0x5f5e1000);
	assert_int_equal(h->ssrc, 0x0badcafe);
	assert_int_equal(h->extension_profile, 0xbede);
	assert_int_equal(h->extension_data.len, 4);
	assert_memory_equal(h->extension_data.p, "\x10\xba\x00\x00", 4);
	assert_int_equal(h->header_len, 20);
	assert_int_equal(h->payload.len, 3);
	assert_memory_equal(h->payload.p, "\xfc\xff\xfe", 3);
}

static void test_rtp_csrc_padding(void **state)
{
	struct env *e = *state;
	struct rtp_header *h = &e->h;
	assert_int_equal(rtp_parse(mixed_packet, sizeof(mixed_packet), h), 0);
	assert_true(h->marker);
	assert_true(h->padding);
	assert_int_equal(h->payload_type, 96);
	assert_int_equal(h->csrc_count, 2);
	assert_int_equal(h->csrc[0], 0x22222222);
	assert_int_equal(h->csrc[1], 0x33333333);
	assert_int_equal(h->header_len, 20);
	assert_int_equal(h->padding_len, 3);
	assert_slice(h->payload, "hello");

	/* padding that is all there is after the header */
	memcpy(e->buf, mixed_packet, 20);
	e->buf[20] = 0;
	e->buf[21] = 2;
	assert_int_equal(rtp_parse(e->buf, 22, h), 0);
	assert_int_equal(h->payload.len, 0);
	/* padding reaching into the header, or a count of 0 */
	e->buf[21] = 3;
	assert_int_equal(rtp_parse(e->buf, 22, h), EBADMSG);
	e->buf[21] = 0;
	assert_int_equal(rtp_parse(e->buf, 22, h), EBADMSG);
	assert_int_equal(rtp_parse(e->buf, 20, h), EBADMSG); /* count byte is a CSRC's */
}

static void test_rtp_errors(void **state)
{
	struct env *e = *state;
	/* every cut before the payload is too short; after it, a shorter payload */
	for (size_t n = 0; n < sizeof(opus_packet); n++) {
		int rc = rtp_parse(opus_packet, n, &e->h);
		if (rc != (n < 20 ? EMSGSIZE : 0))
			fail_msg("cut at %zu: %d", n, rc);
	}
	for (size_t n = 0; n < 20; n++)
		assert_int_equal(rtp_parse(mixed_packet, n, &e->h), EMSGSIZE);

	/* 15 CSRCs announced, 2 there; an extension longer than the packet */
	memcpy(e->buf, mixed_packet, sizeof(mixed_packet));
	e->buf[0] = 0x8f;
	assert_int_equal(rtp_parse(e->buf, sizeof(mixed_packet), &e->h), EMSGSIZE);
	memcpy(e->buf, opus_packet, sizeof(opus_packet));
	e->buf[15] = 3;
	assert_int_equal(rtp_parse(e->buf, sizeof(opus_packet), &e->h), EMSGSIZE);
	e->buf[15] = 2; /* exactly the rest: no payload */
	assert_int_equal(rtp_parse(e->buf, 24, &e->h), 0);
	assert_int_equal(e->h.payload.len, 0);

	/* versions 0, 1, 3 */
	static const uint8_t firsts[] = { 0x00, 0x40, 0xc0 };
	for (size_t i = 0; i < sizeof(firsts); i++) {
		size_t n = pcmu_packet(e->buf);
		e->buf[0] = firsts[i];
		assert_int_equal(rtp_parse(e->buf, n, &e->h), EPROTONOSUPPORT);
	}
}

/* ------------------------------------------------------------- RTCP */

static void test_rtcp_sr_sdes(void **state)
{
	struct env *e = *state;
	assert_int_equal(walk(e, sr_sdes, sizeof(sr_sdes)), 0);
	assert_int_equal(e->seen_count, 2);

	const struct rtcp_packet *sr = &e->seen[0];
	struct rtcp_sender_info si;
	struct rtcp_report_block rb;
	assert_int_equal(sr->type, RTCP_SR);
	assert_int_equal(sr->count, 1);
	assert_int_equal(sr->ssrc, 0x11223344);
	assert_int_equal(rtcp_sender_info(sr, &si), 0);
	assert_true(si.ntp == 0xe81b2c3d80000000u);
	assert_int_equal(si.rtp_timestamp, 123456);
	assert_int_equal(si.packet_count, 500);
	assert_int_equal(si.octet_count, 80000);
	assert_int_equal(rtcp_report_block(sr, 0, &rb), 0);
	assert_int_equal(rb.ssrc, 0xaabbccdd);
	assert_int_equal(rb.fraction_lost, 25);
	assert_int_equal(rb.cumulative_lost, -1);
	assert_int_equal(rb.highest_seq, 65541);
	assert_int_equal(rb.jitter, 42);
	assert_int_equal(rb.lsr, rtcp_ntp_compact(si.ntp));
	assert_int_equal(rb.dlsr, 0x8000);
	assert_int_equal(rtcp_report_block(sr, 1, &rb), EINVAL);

	const struct rtcp_packet *sdes = &e->seen[1];
	struct rtcp_sdes_iter it;
	struct rtcp_sdes_item item;
	assert_int_equal(sdes->type, RTCP_SDES);
	assert_int_equal(sdes->ssrc, 0x11223344);
	assert_int_equal(rtcp_sender_info(sdes, &si), EINVAL);
	assert_int_equal(rtcp_report_block(sdes, 0, &rb), EINVAL);
	rtcp_sdes_iter_init(&it, sdes);
	assert_true(rtcp_sdes_next(&it, &item));
	assert_int_equal(item.ssrc, 0x11223344);
	assert_int_equal(item.type, RTCP_SDES_CNAME);
	assert_slice(item.value, "user@example");
	assert_false(rtcp_sdes_next(&it, &item));
	assert_false(it.malformed);
}

static void test_rtcp_feedback_bye(void **state)
{
	struct env *e = *state;
	uint32_t media;
	struct slice fci, reason;
	assert_int_equal(walk(e, feedback_bye, sizeof(feedback_bye)), 0);
	assert_int_equal(e->seen_count, 5);
	assert_int_equal(e->seen[0].type, RTCP_RR);
	assert_int_equal(e->seen[0].count, 0);
	assert_int_equal(e->seen[0].ssrc, 0x11223344);

	assert_int_equal(e->seen[1].type, RTCP_PSFB);
	assert_int_equal(e->seen[1].count, 1); /* FMT 1: PLI */
	assert_int_equal(rtcp_feedback(&e->seen[1], &media, &fci), 0);
	assert_int_equal(media, 0xaabbccdd);
	assert_int_equal(fci.len, 0);

	assert_int_equal(e->seen[2].type, RTCP_RTPFB);
	assert_int_equal(rtcp_feedback(&e->seen[2], &media, &fci), 0);
	assert_int_equal(fci.len, 4);
	assert_memory_equal(fci.p, "\x00\x64\x00\x05", 4);

	assert_int_equal(e->seen[3].type, RTCP_APP);
	assert_memory_equal(e->seen[3].body.p + 4, "name", 4);
	assert_int_equal(rtcp_feedback(&e->seen[3], &media, &fci), EINVAL);

	assert_int_equal(e->seen[4].type, RTCP_BYE);
	assert_int_equal(e->seen[4].ssrc, 0x11223344);
	assert_int_equal(rtcp_bye_reason(&e->seen[4], &reason), 0);
	assert_slice(reason, "gone!!");
	assert_int_equal(rtcp_bye_reason(&e->seen[0], &reason), EINVAL);

	/* BYE without reason */
	static const uint8_t bye[] = { 0x81, 0xcb, 0x00, 0x01, 1, 2, 3, 4 };
	assert_int_equal(walk(e, bye, sizeof(bye)), 0);
	assert_int_equal(rtcp_bye_reason(&e->seen[0], &reason), 0);
	assert_false(slice_is_set(reason));

	/* the handler may stop the walk */
	e->stop_at = 2;
	assert_int_equal(walk(e, feedback_bye, sizeof(feedback_bye)), ECANCELED);
	assert_int_equal(e->seen_count, 2);
}

static void test_rtcp_padding_and_sdes(void **state)
{
	struct env *e = *state;
	/* padding on the last packet */
	static const uint8_t padded[] = { 0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4,
					  0xa0, 0xc9, 0x00, 0x02, 5, 6, 7, 8, 0, 0, 0, 4 };
	assert_int_equal(walk(e, padded, sizeof(padded)), 0);
	assert_int_equal(e->seen_count, 2);
	assert_int_equal(e->seen[1].body.len, 4);
	assert_int_equal(e->seen[1].ssrc, 0x05060708);

	/* two chunks, the first with two items ending on a word boundary */
	static const uint8_t sdes[] = {
		0x82, 0xca, 0x00, 0x06, 1, 1, 1, 1, 0x01, 0x02, 'a', 'b', 0x06, 0x01, 'x',
		0x00, 2, 2, 2, 2, 0x01, 0x01, 'c', 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	struct rtcp_sdes_iter it;
	struct rtcp_sdes_item item;
	assert_int_equal(walk(e, sdes, sizeof(sdes)), 0);
	rtcp_sdes_iter_init(&it, &e->seen[0]);
	assert_true(rtcp_sdes_next(&it, &item));
	assert_int_equal(item.ssrc, 0x01010101);
	assert_slice(item.value, "ab");
	assert_true(rtcp_sdes_next(&it, &item));
	assert_int_equal(item.type, 6); /* TOOL */
	assert_slice(item.value, "x");
	assert_true(rtcp_sdes_next(&it, &item));
	assert_int_equal(item.ssrc, 0x02020202);
	assert_slice(item.value, "c");
	assert_false(rtcp_sdes_next(&it, &item));
	assert_false(it.malformed);
}

static void test_rtcp_malformed(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *what;
		uint8_t bytes[40];
		size_t len;
	} cases[] = {
		{ "empty", { 0 }, 0 },
		{ "short header", { 0x80, 0xc9, 0x00 }, 3 },
		{ "version 1", { 0x40, 0xc9, 0x00, 0x01, 1, 2, 3, 4 }, 8 },
		{ "length past the end", { 0x80, 0xc9, 0x00, 0x02, 1, 2, 3, 4 }, 8 },
		{ "bytes after the last", { 0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4, 0x80 }, 9 },
		{ "second packet cut", { 0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4, 0x80, 0xc9, 0x00 },
		  11 },
		{ "padding not last",
		  { 0xa0, 0xc9, 0x00, 0x02, 1, 2, 3, 4, 0, 0, 0, 4, 0x80, 0xc9, 0x00, 0x01, 1, 2,
		    3, 4 },
		  20 },
		{ "padding count 0", { 0xa0, 0xc9, 0x00, 0x01, 1, 2, 3, 0 }, 8 },
		{ "padding into the header", { 0xa0, 0xc9, 0x00, 0x01, 1, 2, 3, 5 }, 8 },
		{ "SR without sender info", { 0x80, 0xc8, 0x00, 0x01, 1, 2, 3, 4 }, 8 },
		{ "RR announcing a block", { 0x81, 0xc9, 0x00, 0x01, 1, 2, 3, 4 }, 8 },
		{ "RR without SSRC", { 0x80, 0xc9, 0x00, 0x00 }, 4 },
		{ "SDES chunk without end", { 0x81, 0xca, 0x00, 0x02, 1, 2, 3, 4, 1, 2, 'a', 'b' },
		  12 },
		{ "SDES item past the end", { 0x81, 0xca, 0x00, 0x02, 1, 2, 3, 4, 1, 9, 'a', 0 },
		  12 },
		{ "SDES missing chunk", { 0x82, 0xca, 0x00, 0x02, 1, 2, 3, 4, 1, 1, 'a', 0 }, 12 },
		{ "BYE missing SSRC", { 0x82, 0xcb, 0x00, 0x01, 1, 2, 3, 4 }, 8 },
		{ "BYE reason too long", { 0x81, 0xcb, 0x00, 0x02, 1, 2, 3, 4, 4, 'a', 'b', 'c' },
		  12 },
		{ "APP without name", { 0x80, 0xcc, 0x00, 0x01, 1, 2, 3, 4 }, 8 },
		{ "PLI without media SSRC", { 0x81, 0xce, 0x00, 0x01, 1, 2, 3, 4 }, 8 },
		{ "NACK without media SSRC", { 0x81, 0xcd, 0x00, 0x00 }, 4 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = walk(e, cases[i].bytes, cases[i].len);
		if (rc != EBADMSG || e->seen_count)
			fail_msg("%s: %d, %zu packets seen", cases[i].what, rc, e->seen_count);
	}
	/* every cut of a good compound, but those between packets */
	for (size_t n = 0; n < sizeof(sr_sdes); n++) {
		int rc = walk(e, sr_sdes, n);
		if (rc != (n == 52 ? 0 : EBADMSG))
			fail_msg("cut at %zu: %d", n, rc);
	}
	/* unknown types pass through as they are */
	static const uint8_t xr[] = { 0x80, 0xcf, 0x00, 0x01, 1, 2, 3, 4,
				      0x80, 0xd5, 0x00, 0x00 };
	assert_int_equal(walk(e, xr, sizeof(xr)), 0);
	assert_int_equal(e->seen_count, 2);
	assert_int_equal(e->seen[0].ssrc, 0x01020304);
	assert_int_equal(e->seen[1].type, 0xd5);
	assert_int_equal(e->seen[1].ssrc, 0);
}

/* ------------------------------------------------------------- statistics */

/* Packets of a 20 ms stream at 8 kHz: 160 timestamp units apart. */
static void feed(struct rtp_stats *s, uint32_t ssrc, uint16_t seq, uint32_t ts, uint64_t at_us,
		 bool counted)
{
	struct rtp_header h = { .ssrc = ssrc, .seq = seq, .timestamp = ts };
	if (rtp_stats_update(s, &h, at_us) != counted)
		fail_msg("seq %u: counted %d", seq, !counted);
}

static void test_stats_in_order(void **state)
{
	struct env *e = *state;
	struct rtp_stats *s = &e->stats;
	struct rtcp_report_block rb;
	rtp_stats_init(s, 8000);
	feed(s, 7, 1000, 0, 1000000, false); /* probation */
	for (uint16_t i = 1; i < 100; i++)
		feed(s, 7, (uint16_t)(1000 + i), 160u * i, 1000000 + 20000u * i, true);
	feed(s, 8, 1100, 16000, 3000000, false); /* another source */
	assert_int_equal(s->received, 99);
	assert_int_equal(rtp_stats_expected(s), 99);
	assert_int_equal(rtp_stats_lost(s), 0);
	assert_int_equal(rtp_stats_jitter(s), 0);
	rtp_stats_report(s, &rb);
	assert_int_equal(rb.ssrc, 7);
	assert_int_equal(rb.fraction_lost, 0);
	assert_int_equal(rb.cumulative_lost, 0);
	assert_int_equal(rb.highest_seq, 1099);
	assert_int_equal(rb.lsr, 0);
}

/* Sequence numbers wrap: the cycle count goes up; every 10th packet lost. */
static void test_stats_wrap_and_loss(void **state)
{
	struct env *e = *state;
	struct rtp_stats *s = &e->stats;
	struct rtcp_report_block rb;
	rtp_stats_init(s, 8000);
	uint16_t seq = 65000;
	feed(s, 1, seq++, 0, 0, false);
	feed(s, 1, seq++, 160, 20000, true);
	rtp_stats_report(s, &rb);
	assert_int_equal(rb.highest_seq, 65001);
	for (int i = 2; i < 1002; i++, seq++)
		if (i % 10)
			feed(s, 1, seq, 160u * (uint32_t)i, 20000u * (uint64_t)i, true);
	/* 1000 packets sent after the report, 100 of them lost */
	assert_int_equal(rtp_stats_extended_max(s), 65536 + (65000 + 1001 - 65536));
	assert_int_equal(s->cycles, 65536);
	assert_int_equal(rtp_stats_expected(s), 1001);
	assert_int_equal(rtp_stats_lost(s), 100);
	rtp_stats_report(s, &rb);
	assert_int_equal(rb.fraction_lost, 25); /* 100 * 256 / 1000 */
	assert_int_equal(rb.cumulative_lost, 100);
	assert_int_equal(rb.highest_seq, 66001);

	/* nothing new: nothing lost in this interval */
	rtp_stats_report(s, &rb);
	assert_int_equal(rb.fraction_lost, 0);
	assert_int_equal(rb.cumulative_lost, 100);
}

/* Late and duplicate packets count as received: loss can go negative. */
static void test_stats_reorder_duplicates(void **state)
{
	struct env *e = *state;
	struct rtp_stats *s = &e->stats;
	struct rtcp_report_block rb;
	rtp_stats_init(s, 48000);
	feed(s, 1, 10, 0, 0, false);
	feed(s, 1, 11, 960, 20000, true);
	feed(s, 1, 13, 2880, 60000, true);
	feed(s, 1, 12, 1920, 61000, true); /* late */
	feed(s, 1, 13, 2880, 62000, true); /* duplicate */
	feed(s, 1, 13, 2880, 63000, true);
	feed(s, 1, 5, 0, 64000, true); /* from before the first counted one */
	assert_int_equal(rtp_stats_expected(s), 3);
	assert_int_equal(s->received, 6);
	assert_int_equal(rtp_stats_lost(s), -3);
	rtp_stats_report(s, &rb);
	assert_int_equal(rb.cumulative_lost, -3);
	assert_int_equal(rb.fraction_lost, 0);
	assert_int_equal(rb.highest_seq, 13);

	/* cumulative loss is clamped to 24 bits */
	s->received = 0;
	s->cycles = 0x7fff0000;
	rtp_stats_report(s, &rb);
	assert_int_equal(rb.cumulative_lost, 0x7fffff);
}

/* A big jump is believed only when the next packet follows it. */
static void test_stats_restart(void **state)
{
	struct env *e = *state;
	struct rtp_stats *s = &e->stats;
	rtp_stats_init(s, 8000);
	feed(s, 1, 100, 0, 0, false);
	feed(s, 1, 102, 0, 0, false); /* not in sequence: probation again */
	feed(s, 1, 103, 0, 0, true);
	feed(s, 1, 104, 0, 0, true);
	assert_int_equal(s->received, 2);
	feed(s, 1, 30000, 0, 0, false); /* a stray */
	feed(s, 1, 105, 0, 0, true);
	feed(s, 1, 40000, 0, 0, false);
	feed(s, 1, 40001, 0, 0, true); /* restarted */
	assert_int_equal(s->received, 1);
	assert_int_equal(rtp_stats_expected(s), 1);
	assert_int_equal(rtp_stats_extended_max(s), 40001);
	/* a small jump ahead is loss */
	feed(s, 1, 42000, 0, 0, true);
	assert_int_equal(rtp_stats_lost(s), 1998);
}

/* Jitter: one packet 10 ms late, then packets that alternate between on
 * time and 5 ms late, against the RFC 3550 formula in floating point. */
static void test_stats_jitter(void **state)
{
	struct env *e = *state;
	struct rtp_stats *s = &e->stats;
	rtp_stats_init(s, 8000);
	feed(s, 1, 0, 0, 0, false);
	feed(s, 1, 1, 160, 20000, true);
	feed(s, 1, 2, 320, 40000, true);
	assert_int_equal(rtp_stats_jitter(s), 0);
	feed(s, 1, 3, 480, 70000, true); /* 10 ms = 80 units late */
	assert_int_equal(rtp_stats_jitter(s), 5); /* 80 / 16 */
	feed(s, 1, 4, 640, 80000, true);
	assert_int_equal(rtp_stats_jitter(s), 9); /* 5 + (80 - 5) / 16 */

	double j = 80.0 / 16;
	j += (80 - j) / 16;
	for (uint32_t i = 5; i < 400; i++) {
		uint64_t late = i % 2 ? 5000 : 0;
		feed(s, 1, (uint16_t)i, 160 * i, 20000u * i + late, true);
		j += (40 - j) / 16;
		/* A.8's integer form rounds, then the report truncates */
		if (rtp_stats_jitter(s) + 2 < j || rtp_stats_jitter(s) > j)
			fail_msg("packet %u: jitter %u, expected %.2f", i, rtp_stats_jitter(s), j);
	}
	assert_in_range(rtp_stats_jitter(s), 39, 40);

	/* timestamps and arrival clock both wrap without a jump in jitter */
	rtp_stats_init(s, 90000);
	uint64_t t0 = 4000000000000u; /* 46 days of uptime */
	for (uint32_t i = 0; i < 100; i++)
		feed(s, 9, (uint16_t)(65500 + i), 0xffffff00u + 3000 * i, t0 + 33333 * i,
		     i > 0);
	assert_in_range(rtp_stats_jitter(s), 0, 1);
}

static void test_rtt(void **state)
{
	(void)state;
	uint64_t sr = 0xe81b2c3d80000000u;               /* when our SR left */
	uint64_t now = sr + (3ull << 30);                 /* 0.75 s later */
	struct rtcp_report_block rb = { .lsr = rtcp_ntp_compact(sr), .dlsr = 0x8000 }; /* 0.5 s */
	uint32_t rtt = 0;
	assert_int_equal(rtp_stats_rtt(&rb, sr, now, &rtt), 0);
	assert_int_equal(rtt, 250000);

	rb.dlsr = 6554; /* 0.1 s, rounded */
	assert_int_equal(rtp_stats_rtt(&rb, sr, now, &rtt), 0);
	assert_in_range(rtt, 649990, 650010);

	rb.dlsr = 0xc001; /* the peer claims more than the time that passed */
	assert_int_equal(rtp_stats_rtt(&rb, sr, now, &rtt), ERANGE);
	assert_int_equal(rtp_stats_rtt(&rb, now, sr, &rtt), ENOENT);
	rb.lsr = 0;
	assert_int_equal(rtp_stats_rtt(&rb, 0, now, &rtt), ENOENT);
	rb.lsr = rtcp_ntp_compact(sr) + 1;
	assert_int_equal(rtp_stats_rtt(&rb, sr, now, &rtt), ENOENT);
}

/* E-model values, worked out by hand from the formulas in rtp_stats.h. */
static void test_mos(void **state)
{
	(void)state;
	/* not static: the codec presets are compound literals */
	const struct {
		struct rtp_codec_impairment codec;
		double loss, burst, delay;
		double r, mos;
	} cases[] = {
		{ RTP_IMPAIRMENT_G711, 0, 1, 0, 93.2, 4.4093 },
		{ RTP_IMPAIRMENT_G711, 5, 1, 0, 42.1247, 2.1693 },     /* no PLC */
		{ RTP_IMPAIRMENT_G711_PLC, 5, 1, 0, 77.4193, 3.9228 }, /* G.113 PLC */
		{ RTP_IMPAIRMENT_G711_PLC, 5, 2, 0, 75.9899, 3.8639 }, /* bursty */
		{ RTP_IMPAIRMENT_G711_PLC, 0, 1, 200, 85.9030, 4.2262 },
		{ RTP_IMPAIRMENT_OPUS, 1, 1, 150, 85.9602, 4.2279 },
		{ RTP_IMPAIRMENT_G711, 100, 1, 0, 2.1166, 1.0 },
		{ RTP_IMPAIRMENT_G711, -3, 0, -10, 93.2, 4.4093 }, /* nonsense clamped */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double r = rtp_stats_r_factor(cases[i].codec, cases[i].loss, cases[i].burst,
					      cases[i].delay);
		double mos = rtp_stats_mos(r);
		if (r < cases[i].r - 0.001 || r > cases[i].r + 0.001 || mos < cases[i].mos - 0.001 ||
		    mos > cases[i].mos + 0.001)
			fail_msg("case %zu: R %.4f MOS %.4f, expected %.4f %.4f", i, r, mos,
				 cases[i].r, cases[i].mos);
	}
	assert_true(rtp_stats_mos(-5) == 1.0);
	assert_true(rtp_stats_mos(0) == 1.0);
	assert_true(rtp_stats_mos(100) == 4.5);
	assert_true(rtp_stats_mos(120) == 4.5);
	assert_true(rtp_stats_mos(3) == 1.0); /* the polynomial dips below 1 there */
}

/* What the statistics report survives the wire: encode it as an RR's block
 * and read it back. */
static void test_report_roundtrip(void **state)
{
	struct env *e = *state;
	struct rtcp_report_block rb, back;
	rtp_stats_init(&e->stats, 8000);
	feed(&e->stats, 0x55667788, 1, 0, 0, false);
	feed(&e->stats, 0x55667788, 2, 160, 20000, true);
	feed(&e->stats, 0x55667788, 2, 160, 25000, true);
	feed(&e->stats, 0x55667788, 2, 160, 30000, true);
	rtp_stats_report(&e->stats, &rb);
	assert_int_equal(rb.cumulative_lost, -2);

	uint8_t *p = e->buf;
	const uint8_t head[8] = { 0x81, 0xc9, 0x00, 0x07, 1, 2, 3, 4 };
	memcpy(p, head, 8);
	uint32_t words[6] = { rb.ssrc, (uint32_t)rb.fraction_lost << 24 |
					       ((uint32_t)rb.cumulative_lost & 0xffffff),
			      rb.highest_seq, rb.jitter, rb.lsr, rb.dlsr };
	for (int i = 0; i < 6; i++)
		for (int b = 0; b < 4; b++)
			p[8 + 4 * i + b] = (uint8_t)(words[i] >> (24 - 8 * b));
	assert_int_equal(walk(e, p, 32), 0);
	assert_int_equal(rtcp_report_block(&e->seen[0], 0, &back), 0);
	assert_int_equal(back.ssrc, rb.ssrc);
	assert_int_equal(back.fraction_lost, rb.fraction_lost);
	assert_int_equal(back.cumulative_lost, rb.cumulative_lost);
	assert_int_equal(back.highest_seq, rb.highest_seq);
	assert_int_equal(back.jitter, rb.jitter);
	assert_int_equal(back.lsr, rb.lsr);
	assert_int_equal(back.dlsr, rb.dlsr);
}

int main(void)
{
#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(test_demux),
		T(test_rtp_pcmu),
		T(test_rtp_opus_extension),
		T(test_rtp_csrc_padding),
		T(test_rtp_errors),
		T(test_rtcp_sr_sdes),
		T(test_rtcp_feedback_bye),
		T(test_rtcp_padding_and_sdes),
		T(test_rtcp_malformed),
		T(test_stats_in_order),
		T(test_stats_wrap_and_loss),
		T(test_stats_reorder_duplicates),
		T(test_stats_restart),
		T(test_stats_jitter),
		T(test_rtt),
		T(test_mos),
		T(test_report_roundtrip),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
