/*
 * fuzz_sdp.c - libFuzzer target for sdp_parse() and sdp_print().
 *
 * The input is an SDP body as a peer sends it. Besides the sanitizers' own
 * checks: a refusal carries a reason and a line number within the input;
 * every slice of a parsed session lies inside the input and no count passes
 * its limit; a parsed session prints to text that parses again, and that
 * prints to the same bytes (printing is idempotent after one round). The
 * editing helpers then run on the parsed session and it must still print.
 */
#include "sdp/sdp.h"
#include "fuzz_slices.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Two sessions are too large for the stack of a fuzzing thread. */
static struct sdp_session first, second;

struct bounds {
	const char *start;
	size_t len;
};

static void check_inside(struct slice *s, void *arg)
{
	const struct bounds *b = arg;
	if (!slice_is_set(*s) || !fuzz_slice_inside(*s, b->start, b->len))
		abort();
}

static void check_counts(const struct sdp_session *s)
{
	if (s->media_count > SDP_MAX_MEDIA || s->attribute_count > SDP_MAX_ATTRIBUTES ||
	    s->line_count > SDP_MAX_LINES || s->bandwidth_count > SDP_MAX_BANDWIDTHS ||
	    s->group_count > SDP_MAX_GROUPS || s->fingerprint_count > SDP_MAX_FINGERPRINTS)
		abort();
	for (size_t i = 0; i < s->media_count; i++) {
		const struct sdp_media *m = &s->media[i];
		if (m->codec_count > SDP_MAX_CODECS || m->rtcp_fb_count > SDP_MAX_RTCP_FB ||
		    m->candidate_count > SDP_MAX_CANDIDATES ||
		    m->attribute_count > SDP_MAX_ATTRIBUTES || m->line_count > SDP_MAX_LINES ||
		    m->ssrc_count > SDP_MAX_SSRCS || m->crypto_count > SDP_MAX_CRYPTO ||
		    m->extmap_count > SDP_MAX_EXTMAPS ||
		    m->fingerprint_count > SDP_MAX_FINGERPRINTS || m->msid_count > SDP_MAX_MSIDS ||
		    m->bandwidth_count > SDP_MAX_BANDWIDTHS)
			abort();
		for (size_t j = 0; j < m->codec_count; j++)
			if (m->codecs[j].pt > 127)
				abort();
	}
}

/* What the gateway does to a browser offer for a SIP phone. */
static void edit(struct sdp_session *s)
{
	sdp_session_clear_ice(s);
	sdp_session_clear_dtls(s);
	for (size_t i = 0; i < s->media_count; i++) {
		struct sdp_media *m = &s->media[i];
		int pt = sdp_media_find_codec(m, "opus", 48000);
		if (pt >= 0 && !sdp_media_remove_codec(m, (uint8_t)pt))
			abort();
		if (sdp_media_find_codec(m, "opus", 48000) == pt && pt >= 0)
			abort();
		sdp_media_clear_crypto(m);
		sdp_media_set_direction(m, sdp_direction_answer(sdp_media_direction(s, m)));
		if (sdp_proto_is_rtp(m->proto))
			m->proto = SLICE_LIT("RTP/AVP");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sdp_error err;
	struct mbuf out, again;

	if (sdp_parse(buf, size, &first, &err) != 0) {
		if (!err.reason || err.line > size + 1)
			abort();
		return 0;
	}
	if (err.reason || err.line)
		abort();
	struct bounds b = { buf, size };
	sdp_session_for_each_slice(&first, check_inside, &b);
	check_counts(&first);

	mbuf_init(&out);
	mbuf_init(&again);
	sdp_print(&out, &first);
	if (mbuf_failed(&out) || sdp_parse(out.data, out.len, &second, &err) != 0)
		abort();
	sdp_print(&again, &second);
	if (mbuf_failed(&again) || again.len != out.len || memcmp(again.data, out.data, out.len) != 0)
		abort();

	edit(&first);
	mbuf_reset(&out);
	sdp_print(&out, &first);
	if (mbuf_failed(&out) || sdp_parse(out.data, out.len, &second, &err) != 0)
		abort();
	mbuf_free(&out);
	mbuf_free(&again);
	return 0;
}
