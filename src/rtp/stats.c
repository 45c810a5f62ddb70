/*
 * stats.c - receive statistics per RFC 3550 appendix A, RTT, E-model.
 *
 * Sequence tracking is A.1 as printed: a new source must send
 * MIN_SEQUENTIAL packets in order before it is counted; a jump of less than
 * MAX_DROPOUT ahead is loss (and a wrap when the number goes down); a jump
 * further ahead or more than MAX_MISORDER back is believed only when the
 * packet after it follows in order, and then restarts the counts as a new
 * stream (the peer restarted without changing SSRC); anything closer behind
 * is a duplicate or late packet and counts as received.
 *
 * Jitter is A.8's integer form: the transit time (arrival on the RTP clock
 * minus the RTP timestamp) of consecutive packets is compared, and the
 * absolute difference goes into a running average with gain 1/16, kept
 * scaled by 16.
 *
 * Everything is integer arithmetic on the packet path; only the E-model
 * uses doubles, and no libm.
 */
#include "rtp/stats.h"

#include <errno.h>
#include <string.h>

#define MIN_SEQUENTIAL 2
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define SEQ_MOD (1u << 16)

void rtp_stats_init(struct rtp_stats *s, uint32_t clock_rate)
{
	memset(s, 0, sizeof(*s));
	s->clock_rate = clock_rate;
}

static void init_seq(struct rtp_stats *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
	s->have_transit = false;
}

/* A.1 update_seq(): does this packet count? */
static bool update_seq(struct rtp_stats *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);
	if (s->probation) {
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				init_seq(s, seq);
				s->received++;
				return true;
			}
		} else {
			s->probation = MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return false;
	}
	if (udelta < MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= SEQ_MOD - MAX_MISORDER) {
		if (seq != s->bad_seq) {
			s->bad_seq = (seq + 1) & (SEQ_MOD - 1);
			return false;
		}
		init_seq(s, seq);
	}
	s->received++;
	return true;
}

/* The arrival time on the stream's RTP clock (wrapping, like timestamps). */
static uint32_t arrival_ts(const struct rtp_stats *s, uint64_t arrival_us)
{
	uint64_t sec = arrival_us / 1000000, us = arrival_us % 1000000;
	return (uint32_t)(sec * s->clock_rate + us * s->clock_rate / 1000000);
}

static void update_jitter(struct rtp_stats *s, uint32_t timestamp, uint64_t arrival_us)
{
	uint32_t transit = arrival_ts(s, arrival_us) - timestamp;
	if (s->have_transit) {
		uint32_t d = transit - s->transit;
		if (d & 0x80000000u)
			d = 0u - d;
		s->jitter = s->jitter + d - ((s->jitter + 8) >> 4);
	}
	s->transit = transit;
	s->have_transit = true;
}

bool rtp_stats_update(struct rtp_stats *s, const struct rtp_header *h, uint64_t arrival_us)
{
	if (!s->started) {
		s->started = true;
		s->ssrc = h->ssrc;
		init_seq(s, h->seq);
		s->max_seq = (uint16_t)(h->seq - 1);
		s->probation = MIN_SEQUENTIAL;
	} else if (h->ssrc != s->ssrc) {
		return false;
	}
	if (!update_seq(s, h->seq))
		return false;
	update_jitter(s, h->timestamp, arrival_us);
	return true;
}

uint32_t rtp_stats_extended_max(const struct rtp_stats *s)
{
	return s->cycles + s->max_seq;
}

uint32_t rtp_stats_expected(const struct rtp_stats *s)
{
	if (!s->started || s->probation)
		return 0;
	return rtp_stats_extended_max(s) - s->base_seq + 1;
}

int64_t rtp_stats_lost(const struct rtp_stats *s)
{
	return (int64_t)rtp_stats_expected(s) - s->received;
}

uint32_t rtp_stats_jitter(const struct rtp_stats *s)
{
	uint64_t j = s->jitter >> 4;
	return j > UINT32_MAX ? UINT32_MAX : (uint32_t)j;
}

void rtp_stats_report(struct rtp_stats *s, struct rtcp_report_block *rb)
{
	uint32_t expected = rtp_stats_expected(s);
	int64_t lost = rtp_stats_lost(s);
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	uint32_t expected_interval = expected - s->expected_prior;
	uint32_t received_interval = s->received - s->received_prior;
	int64_t lost_interval = (int64_t)expected_interval - received_interval;
	s->expected_prior = expected;
	s->received_prior = s->received;

	memset(rb, 0, sizeof(*rb));
	rb->ssrc = s->ssrc;
	if (expected_interval && lost_interval > 0)
		rb->fraction_lost = (uint8_t)(((uint64_t)lost_interval << 8) / expected_interval);
	rb->cumulative_lost = (int32_t)lost;
	rb->highest_seq = rtp_stats_extended_max(s);
	rb->jitter = rtp_stats_jitter(s);
}

int rtp_stats_rtt(const struct rtcp_report_block *rb, uint64_t sr_ntp, uint64_t now_ntp,
		  uint32_t *rtt_us)
{
	uint32_t lsr = rtcp_ntp_compact(sr_ntp);
	if (rb->lsr == 0 || rb->lsr != lsr)
		return ENOENT;
	/* in 1/65536 s, the unit of LSR and DLSR */
	uint32_t elapsed = rtcp_ntp_compact(now_ntp) - lsr;
	if (now_ntp < sr_ntp || elapsed < rb->dlsr)
		return ERANGE;
	uint64_t us = ((uint64_t)(elapsed - rb->dlsr) * 1000000 + 32768) >> 16;
	if (us > UINT32_MAX)
		return ERANGE;
	*rtt_us = (uint32_t)us;
	return 0;
}

/* ------------------------------------------------------------ E-model */

double rtp_stats_r_factor(struct rtp_codec_impairment codec, double loss_pct, double burst_ratio,
			  double delay_ms)
{
	double ppl = loss_pct > 100 ? 100 : loss_pct > 0 ? loss_pct : 0;
	double burst = burst_ratio > 1 ? burst_ratio : 1;
	double d = delay_ms > 0 ? delay_ms : 0;
	double id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
	double ie_eff = codec.ie;
	if (ppl > 0)
		ie_eff += (95 - codec.ie) * ppl / (ppl / burst + codec.bpl);
	return 93.2 - id - ie_eff;
}

double rtp_stats_mos(double r)
{
	if (!(r > 0))
		return 1.0;
	if (r >= 100)
		return 4.5;
	double mos = 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
	return mos < 1 ? 1.0 : mos;
}
