/*
 * replay.c - packet indexes and replay windows, as libsrtp keeps them
 * (its rdbx.c for SRTP, rdb.c for SRTCP), so that what passes and what is
 * refused does not change with the implementation.
 *
 * SRTP (RFC 3711 3.3.1 and appendix A): the index is ROC << 16 | SEQ. A
 * sequence number is placed in the rollover period that puts it nearest
 * to the highest index so far; until that index passes 2^15 the ROC is
 * taken as 0 (otherwise a first packet with a high SEQ would be guessed
 * into ROC -1). The distance to the highest index (delta) then decides:
 * ahead is new, within SRTP_REPLAY_WINDOW behind is checked against the
 * bitmap, further behind is too old.
 *
 * SRTCP: the index travels in the packet. The window is 128 indexes
 * starting at `start`; an index past its end moves it.
 */
#include "srtp/internal.h"

#include <errno.h>
#include <string.h>

#define SEQ_MEDIAN 0x8000
#define SEQ_MAX 0x10000
#define WORD_BITS 64
#define RTP_WORDS (SRTP_REPLAY_WINDOW / WORD_BITS)

int32_t srtp_replay_estimate(const struct srtp_rtp_replay *r, uint16_t seq, uint64_t *index)
{
	if (r->index <= SEQ_MEDIAN) {
		*index = seq;
		return (int32_t)seq - (int32_t)r->index;
	}
	uint32_t roc = (uint32_t)(r->index >> 16);
	int32_t local = (int32_t)(uint16_t)r->index, s = seq, delta = s - local;

	if (local < SEQ_MEDIAN && delta > SEQ_MEDIAN) {
		roc--;
		delta -= SEQ_MAX;
	} else if (local >= SEQ_MEDIAN && local - SEQ_MEDIAN > s) {
		roc++;
		delta += SEQ_MAX;
	}
	*index = (uint64_t)roc << 16 | seq;
	return delta;
}

static bool rtp_seen(const struct srtp_rtp_replay *r, uint32_t k)
{
	return r->seen[k / WORD_BITS] >> (k % WORD_BITS) & 1;
}

int srtp_replay_check(const struct srtp_rtp_replay *r, int32_t delta, bool *old)
{
	*old = false;
	if (delta > 0)
		return 0;
	if (-delta >= SRTP_REPLAY_WINDOW) {
		*old = true;
		return EALREADY;
	}
	return rtp_seen(r, (uint32_t)-delta) ? EALREADY : 0;
}

/* seen <<= n (towards older), n < SRTP_REPLAY_WINDOW */
static void rtp_shift(struct srtp_rtp_replay *r, uint32_t n)
{
	uint32_t words = n / WORD_BITS, bits = n % WORD_BITS;

	for (int i = RTP_WORDS - 1; i >= 0; i--) {
		uint64_t v = 0;
		if ((uint32_t)i >= words) {
			v = r->seen[i - words] << bits;
			if (bits && (uint32_t)i > words)
				v |= r->seen[i - words - 1] >> (WORD_BITS - bits);
		}
		r->seen[i] = v;
	}
}

void srtp_replay_add(struct srtp_rtp_replay *r, int32_t delta)
{
	if (delta > 0) {
		r->index += (uint64_t)delta;
		if (delta >= SRTP_REPLAY_WINDOW)
			memset(r->seen, 0, sizeof(r->seen));
		else
			rtp_shift(r, (uint32_t)delta);
		r->seen[0] |= 1;
	} else {
		uint32_t k = (uint32_t)-delta;
		r->seen[k / WORD_BITS] |= (uint64_t)1 << (k % WORD_BITS);
	}
}

/* ------------------------------------------------------------- SRTCP */

static bool rtcp_seen(const struct srtcp_replay *r, uint32_t k)
{
	return r->seen[k / WORD_BITS] >> (k % WORD_BITS) & 1;
}

int srtcp_replay_check(const struct srtcp_replay *r, uint32_t index)
{
	if (index < r->start)
		return EALREADY;
	if (index - r->start >= SRTCP_REPLAY_WINDOW)
		return 0;
	return rtcp_seen(r, index - r->start) ? EALREADY : 0;
}

/* seen >>= n (dropping the oldest), n < SRTCP_REPLAY_WINDOW */
static void rtcp_shift(struct srtcp_replay *r, uint32_t n)
{
	const int words_total = SRTCP_REPLAY_WINDOW / WORD_BITS;
	uint32_t words = n / WORD_BITS, bits = n % WORD_BITS;

	for (int i = 0; i < words_total; i++) {
		uint64_t v = 0;
		if ((uint32_t)i + words < (uint32_t)words_total) {
			v = r->seen[i + words] >> bits;
			if (bits && (uint32_t)i + words + 1 < (uint32_t)words_total)
				v |= r->seen[i + words + 1] << (WORD_BITS - bits);
		}
		r->seen[i] = v;
	}
}

void srtcp_replay_add(struct srtcp_replay *r, uint32_t index)
{
	uint32_t k = index - r->start;

	if (k >= SRTCP_REPLAY_WINDOW) {
		uint32_t move = k - (SRTCP_REPLAY_WINDOW - 1);
		if (move >= SRTCP_REPLAY_WINDOW)
			memset(r->seen, 0, sizeof(r->seen));
		else
			rtcp_shift(r, move);
		r->start += move;
		k = SRTCP_REPLAY_WINDOW - 1;
	}
	r->seen[k / WORD_BITS] |= (uint64_t)1 << (k % WORD_BITS);
}
