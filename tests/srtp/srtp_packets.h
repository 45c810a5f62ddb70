/*
 * srtp_packets.h - the plain packets the SRTP unit tests protect
 * (test_srtp.c, test_srtp_oracle.c): a PCMU RTP packet whose payload
 * depends on its sequence number, and a sender report without report
 * blocks. Header-only: each test program includes it once.
 */
#ifndef RTCB_TESTS_MEDIA_SRTP_PACKETS_H
#define RTCB_TESTS_MEDIA_SRTP_PACKETS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SRTP_TEST_PAYLOAD_LEN 160

/* An RTP packet (PCMU, 20 ms) with a payload that depends on seq. */
static inline size_t rtp_make(uint8_t *buf, uint16_t seq, uint32_t ssrc)
{
	uint32_t ts = seq * 160u;
	uint8_t header[12] = { 0x80,
			       0x00,
			       (uint8_t)(seq >> 8),
			       (uint8_t)seq,
			       (uint8_t)(ts >> 24),
			       (uint8_t)(ts >> 16),
			       (uint8_t)(ts >> 8),
			       (uint8_t)ts,
			       (uint8_t)(ssrc >> 24),
			       (uint8_t)(ssrc >> 16),
			       (uint8_t)(ssrc >> 8),
			       (uint8_t)ssrc };
	memcpy(buf, header, sizeof(header));
	for (size_t i = 0; i < SRTP_TEST_PAYLOAD_LEN; i++)
		buf[12 + i] = (uint8_t)(i * 7 + seq);
	return 12 + SRTP_TEST_PAYLOAD_LEN;
}

/* A sender report without report blocks. */
static inline size_t rtcp_make(uint8_t *buf, uint32_t ssrc)
{
	uint8_t sr[28] = { 0x80, 200, 0x00, 0x06, (uint8_t)(ssrc >> 24), (uint8_t)(ssrc >> 16),
			   (uint8_t)(ssrc >> 8), (uint8_t)ssrc, 0xe6, 0x5f, 0x00, 0x01, 0x80, 0x00,
			   0x00, 0x00, 0x00, 0x00, 0x03, 0x20, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00,
			   0x03, 0x20 };
	memcpy(buf, sr, sizeof(sr));
	return sizeof(sr);
}

#endif
