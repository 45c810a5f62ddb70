/*
 * stats.h - what a receiver knows about one RTP stream (RFC 3550 A.1,
 * A.3, A.8), round-trip time from RTCP (RFC 3550 6.4.1), and a MOS estimate
 * from the ITU-T G.107 E-model.
 *
 * One struct rtp_stats per received SSRC, owned by the thread that reads
 * its socket; plain values, no allocation. Feed it every RTP packet with
 * its arrival time; ask it for a report block when sending RTCP.
 */
#ifndef RTCB_RTP_STATS_H
#define RTCB_RTP_STATS_H

#include "rtp/rtp.h"

#include <stdbool.h>
#include <stdint.h>

struct rtp_stats {
	uint32_t ssrc;       /* taken from the first packet */
	uint32_t clock_rate; /* RTP timestamp units per second */
	bool started;

	/* RFC 3550 A.1 sequence tracking */
	uint16_t max_seq;  /* highest sequence number seen */
	uint32_t cycles;   /* wraps of the sequence number, << 16 */
	uint32_t base_seq; /* first sequence number counted */
	uint32_t bad_seq;  /* a jump is believed when its next packet follows */
	uint32_t probation; /* packets in order still needed before counting */
	uint32_t received;  /* packets counted, duplicates included */
	uint32_t expected_prior, received_prior; /* at the last report */

	/* RFC 3550 A.8 interarrival jitter */
	bool have_transit;
	uint32_t transit; /* arrival minus RTP timestamp, timestamp units */
	uint64_t jitter;  /* scaled by 16; 64 bits so wild timestamps cannot wrap it */
};

/* A new stream on a clock of clock_rate Hz (8000 for G.711, 48000 Opus). */
void rtp_stats_init(struct rtp_stats *s, uint32_t clock_rate);

/*
 * One received packet, arrival_us on a monotonic microsecond clock. True
 * when it counted; false for another SSRC, while a new source is still on
 * probation (two packets in sequence are needed), and for the first packet
 * after a large jump in sequence numbers (the next one in order makes the
 * jump believed and restarts the counts).
 */
bool rtp_stats_update(struct rtp_stats *s, const struct rtp_header *h, uint64_t arrival_us);

/* cycles << 16 | highest sequence number. */
uint32_t rtp_stats_extended_max(const struct rtp_stats *s);
uint32_t rtp_stats_expected(const struct rtp_stats *s);
/* Expected minus received: negative with duplicates. */
int64_t rtp_stats_lost(const struct rtp_stats *s);
/* Interarrival jitter in timestamp units. */
uint32_t rtp_stats_jitter(const struct rtp_stats *s);

/* Fill a report block on this stream (ssrc, fraction lost since the last
 * call, cumulative lost clamped to 24 bits, extended highest sequence,
 * jitter) and start the next interval. LSR and DLSR are left 0: they come
 * from the sender reports, which are not seen here. */
void rtp_stats_report(struct rtp_stats *s, struct rtcp_report_block *rb);

/*
 * Round-trip time from a report block on what we send (RFC 3550 6.4.1): rb
 * answers our SR sent at NTP time sr_ntp, and arrived at now_ntp. 0 with
 * *rtt_us; ENOENT when the block does not refer to that SR (LSR 0 or
 * another one); ERANGE when the delay the peer claims exceeds the time
 * that passed.
 */
int rtp_stats_rtt(const struct rtcp_report_block *rb, uint64_t sr_ntp, uint64_t now_ntp,
		  uint32_t *rtt_us);

/* ------------------------------------------------------------ E-model */

/* A codec's equipment impairment factor and packet-loss robustness
 * (ITU-T G.113 Appendix I). */
struct rtp_codec_impairment {
	double ie, bpl;
};

/* G.711 without and with packet loss concealment (G.113 Appendix I). */
#define RTP_IMPAIRMENT_G711 ((struct rtp_codec_impairment){ 0.0, 4.3 })
#define RTP_IMPAIRMENT_G711_PLC ((struct rtp_codec_impairment){ 0.0, 25.1 })
/* Opus has no G.113 values; scored like G.711 with PLC, an estimate on the
 * low side for narrowband and below what wideband Opus really sounds like. */
#define RTP_IMPAIRMENT_OPUS RTP_IMPAIRMENT_G711_PLC

/*
 * The transmission rating R = 93.2 - Id - Ie,eff with G.107's defaults for
 * everything else (A = 0):
 *   Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)   (G.107 7.4)
 *   Id     = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)
 * the delay term being Cole and Rosenbluth's fit of G.107's Idd and Idte
 * for a one-way mouth-to-ear delay d in ms, with echo cancelled. loss_pct
 * is 0-100; burst_ratio is 1 for random loss, more for bursts.
 */
double rtp_stats_r_factor(struct rtp_codec_impairment codec, double loss_pct, double burst_ratio,
			  double delay_ms);

/* MOS (1.0-4.5) from R (G.107 Annex B): 1 + 0.035 R + R (R - 60) (100 - R) 7e-6. */
double rtp_stats_mos(double r);

#endif
