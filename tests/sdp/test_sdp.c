/*
 * test_sdp.c - SDP parse, print and edit: the fields of real offers
 * (Chrome, Firefox, Linphone, an SDES phone, and the SDPs quoted in
 * ../shared/seeds), parse -> print -> parse equality of every field, byte
 * for byte canonical printing, the editing helpers, every refusal with its
 * reason and line, the limits, every truncation, and the offer/answer tables.
 *
 * Every test checks that it gave back all the memory it took.
 */
#include "sdp/sdp.h"
#include "leakcheck.h"
#include "slice_assert.h"
#include "testdata.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ------------------------------------------------------------- fixture */

struct env {
	struct sdp_session s, again;
	struct sdp_error err;
	struct mbuf out, out2;
	char text[65536]; /* a seed document or a built SDP */
	char sdp[16384];
};

static int env_init(void *state)
{
	struct env *e = state;
	mbuf_init(&e->out);
	mbuf_init(&e->out2);
	return 0;
}

static void env_fini(void *state)
{
	struct env *e = state;
	mbuf_free(&e->out);
	mbuf_free(&e->out2);
}

static const struct leak_fixture env_fixture = { sizeof(struct env), env_init, env_fini };

static int parse(struct env *e, const char *text)
{
	return sdp_parse(text, strlen(text), &e->s, &e->err);
}

static void assert_parses(struct env *e, const char *text)
{
	if (parse(e, text) != 0)
		fail_msg("refused at line %u: %s", e->err.line, e->err.reason);
}

struct bounds {
	const char *start;
	size_t len;
	size_t seen;
};

static void check_inside(struct slice *s, void *arg)
{
	struct bounds *b = arg;
	assert_true(s->p >= b->start && s->p + s->len <= b->start + b->len);
	b->seen++;
}

/* Every slice of e->s points into text; returns how many there are. */
static size_t assert_all_inside(struct env *e, const char *text, size_t len)
{
	struct bounds b = { text, len, 0 };
	sdp_session_for_each_slice(&e->s, check_inside, &b);
	return b.seen;
}

/* ------------------------------------------------------------- equality */

#define EQ_SLICE(x)                                                                          \
	do {                                                                                 \
		if (slice_is_set(a->x) != slice_is_set(b->x) || !slice_eq(a->x, b->x))        \
			fail_msg("%s: \"%.*s\" != \"%.*s\"", #x, SLICE_FMT(a->x),               \
				 SLICE_FMT(b->x));                                              \
	} while (0)
#define EQ_NUM(x) assert_int_equal(a->x, b->x)

static void assert_connection_equal(const struct sdp_connection *a, const struct sdp_connection *b)
{
	EQ_SLICE(nettype);
	EQ_SLICE(addrtype);
	EQ_SLICE(address);
}

static void assert_common_equal(const struct sdp_bandwidth *ab, const struct sdp_bandwidth *bb,
				size_t bandwidths, const struct sdp_fingerprint *af,
				const struct sdp_fingerprint *bf, size_t fingerprints,
				const struct sdp_attribute *aa, const struct sdp_attribute *ba,
				size_t attributes)
{
	for (size_t i = 0; i < bandwidths; i++) {
		const struct sdp_bandwidth *a = &ab[i], *b = &bb[i];
		EQ_SLICE(type);
		EQ_NUM(value);
	}
	for (size_t i = 0; i < fingerprints; i++) {
		const struct sdp_fingerprint *a = &af[i], *b = &bf[i];
		EQ_SLICE(hash);
		EQ_SLICE(value);
	}
	for (size_t i = 0; i < attributes; i++) {
		const struct sdp_attribute *a = &aa[i], *b = &ba[i];
		EQ_SLICE(name);
		EQ_SLICE(value);
	}
}

static void assert_media_equal(const struct sdp_media *a, const struct sdp_media *b)
{
	EQ_SLICE(type);
	EQ_NUM(port);
	EQ_NUM(port_count);
	EQ_SLICE(proto);
	EQ_SLICE(formats);
	EQ_NUM(codec_count);
	for (size_t i = 0; i < a->codec_count; i++) {
		EQ_NUM(codecs[i].pt);
		EQ_SLICE(codecs[i].encoding);
		EQ_NUM(codecs[i].clock_rate);
		EQ_NUM(codecs[i].channels);
		EQ_SLICE(codecs[i].fmtp);
	}
	EQ_NUM(rtcp_fb_count);
	for (size_t i = 0; i < a->rtcp_fb_count; i++) {
		EQ_NUM(rtcp_fb[i].pt);
		EQ_SLICE(rtcp_fb[i].value);
	}
	assert_connection_equal(&a->connection, &b->connection);
	EQ_NUM(bandwidth_count);
	EQ_NUM(direction);
	EQ_NUM(has_rtcp);
	EQ_NUM(rtcp_port);
	assert_connection_equal(&a->rtcp_connection, &b->rtcp_connection);
	EQ_NUM(rtcp_mux);
	EQ_NUM(rtcp_rsize);
	EQ_SLICE(mid);
	EQ_NUM(msid_count);
	for (size_t i = 0; i < a->msid_count; i++)
		EQ_SLICE(msids[i]);
	EQ_NUM(ptime);
	EQ_NUM(maxptime);
	EQ_SLICE(ice_ufrag);
	EQ_SLICE(ice_pwd);
	EQ_SLICE(ice_options);
	EQ_NUM(candidate_count);
	for (size_t i = 0; i < a->candidate_count; i++) {
		EQ_SLICE(candidates[i].foundation);
		EQ_NUM(candidates[i].component);
		EQ_SLICE(candidates[i].transport);
		EQ_NUM(candidates[i].priority);
		EQ_SLICE(candidates[i].address);
		EQ_NUM(candidates[i].port);
		EQ_SLICE(candidates[i].type);
		EQ_SLICE(candidates[i].raddr);
		EQ_NUM(candidates[i].has_rport);
		EQ_NUM(candidates[i].rport);
		EQ_SLICE(candidates[i].extensions);
	}
	EQ_NUM(end_of_candidates);
	EQ_NUM(fingerprint_count);
	EQ_NUM(setup);
	EQ_NUM(crypto_count);
	for (size_t i = 0; i < a->crypto_count; i++) {
		EQ_NUM(crypto[i].tag);
		EQ_SLICE(crypto[i].suite);
		EQ_SLICE(crypto[i].key_params);
		EQ_SLICE(crypto[i].session_params);
	}
	EQ_NUM(extmap_count);
	for (size_t i = 0; i < a->extmap_count; i++) {
		EQ_NUM(extmaps[i].id);
		EQ_NUM(extmaps[i].direction);
		EQ_SLICE(extmaps[i].uri);
		EQ_SLICE(extmaps[i].attributes);
	}
	EQ_NUM(ssrc_count);
	for (size_t i = 0; i < a->ssrc_count; i++) {
		EQ_NUM(ssrcs[i].id);
		EQ_SLICE(ssrcs[i].attribute);
	}
	EQ_NUM(attribute_count);
	EQ_NUM(line_count);
	for (size_t i = 0; i < a->line_count; i++) {
		EQ_NUM(lines[i].type);
		EQ_SLICE(lines[i].value);
	}
	assert_common_equal(a->bandwidths, b->bandwidths, a->bandwidth_count, a->fingerprints,
			    b->fingerprints, a->fingerprint_count, a->attributes, b->attributes,
			    a->attribute_count);
}

static void assert_session_equal(const struct sdp_session *a, const struct sdp_session *b)
{
	EQ_SLICE(origin.username);
	EQ_SLICE(origin.session_id);
	EQ_NUM(origin.session_version);
	assert_connection_equal(&a->origin.address, &b->origin.address);
	EQ_SLICE(name);
	assert_connection_equal(&a->connection, &b->connection);
	EQ_NUM(bandwidth_count);
	EQ_NUM(start_time);
	EQ_NUM(stop_time);
	EQ_NUM(group_count);
	for (size_t i = 0; i < a->group_count; i++) {
		EQ_SLICE(groups[i].semantics);
		EQ_SLICE(groups[i].mids);
	}
	EQ_SLICE(msid_semantic);
	EQ_NUM(ice_lite);
	EQ_SLICE(ice_ufrag);
	EQ_SLICE(ice_pwd);
	EQ_SLICE(ice_options);
	EQ_NUM(fingerprint_count);
	EQ_NUM(setup);
	EQ_NUM(direction);
	EQ_NUM(attribute_count);
	EQ_NUM(line_count);
	for (size_t i = 0; i < a->line_count; i++) {
		EQ_NUM(lines[i].type);
		EQ_SLICE(lines[i].value);
	}
	assert_common_equal(a->bandwidths, b->bandwidths, a->bandwidth_count, a->fingerprints,
			    b->fingerprints, a->fingerprint_count, a->attributes, b->attributes,
			    a->attribute_count);
	EQ_NUM(media_count);
	for (size_t i = 0; i < a->media_count; i++)
		assert_media_equal(&a->media[i], &b->media[i]);
}

/* e->s (parsed already) prints to text that parses to the same fields and
 * prints to the same bytes again. A missing s= comes back as "s=-". */
static void assert_round_trip(struct env *e)
{
	if (!slice_is_set(e->s.name))
		e->s.name = SLICE_LIT("-");
	mbuf_reset(&e->out);
	mbuf_reset(&e->out2);
	sdp_print(&e->out, &e->s);
	assert_false(mbuf_failed(&e->out));
	if (sdp_parse(e->out.data, e->out.len, &e->again, &e->err) != 0)
		fail_msg("printed text refused at line %u: %s\n%s", e->err.line, e->err.reason,
			 e->out.data);
	assert_session_equal(&e->s, &e->again);
	sdp_print(&e->out2, &e->again);
	assert_int_equal(e->out.len, e->out2.len);
	assert_memory_equal(e->out.data, e->out2.data, e->out.len);
}

/* ------------------------------------------------------------- fixtures */

static const char chrome_offer[] =
	"v=0\r\n"
	"o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE 0 1\r\n"
	"a=extmap-allow-mixed\r\n"
	"a=msid-semantic: WMS 5f2a3c1e-9d7b-4c2a-8e6f-1b2c3d4e5f60\r\n"
	"m=audio 56143 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
	"c=IN IP4 192.0.2.10\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=candidate:1467250027 1 udp 2122260223 192.0.2.10 56143 typ host generation 0 network-id 1\r\n"
	"a=candidate:1467250028 1 udp 2122262783 2001:db8::7 56144 typ host generation 0 network-id 2\r\n"
	"a=candidate:3019394520 1 udp 2122194687 4b1f5c8e-2d3a-4c7e-9f10-aa2b3c4d5e6f.local 56145 typ host generation 0 network-id 3\r\n"
	"a=candidate:842163049 1 udp 1686052607 198.51.100.7 56143 typ srflx raddr 192.0.2.10 rport 56143 generation 0 network-id 1 network-cost 10\r\n"
	"a=candidate:435653019 1 tcp 1518280447 192.0.2.10 9 typ host tcptype active generation 0 network-id 1\r\n"
	"a=ice-ufrag:EsAw\r\n"
	"a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\n"
	"a=setup:actpass\r\n"
	"a=mid:0\r\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
	"a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
	"a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
	"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=sendrecv\r\n"
	"a=msid:5f2a3c1e-9d7b-4c2a-8e6f-1b2c3d4e5f60 0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5\r\n"
	"a=rtcp-mux\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=rtcp-fb:111 transport-cc\r\n"
	"a=fmtp:111 minptime=10;useinbandfec=1\r\n"
	"a=rtpmap:63 red/48000/2\r\n"
	"a=fmtp:63 111/111\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:13 CN/8000\r\n"
	"a=rtpmap:110 telephone-event/48000\r\n"
	"a=rtpmap:126 telephone-event/8000\r\n"
	"a=ssrc:3570614608 cname:4TOk42mSjXCkVIa6\r\n"
	"a=ssrc:3570614608 msid:5f2a3c1e-9d7b-4c2a-8e6f-1b2c3d4e5f60 0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125 39 40 45 46 98 99 100 101 112 113 116 117 118\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=ice-ufrag:EsAw\r\n"
	"a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\n"
	"a=setup:actpass\r\n"
	"a=mid:1\r\n"
	"a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
	"a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
	"a=extmap:13 urn:3gpp:video-orientation\r\n"
	"a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
	"a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"
	"a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type\r\n"
	"a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing\r\n"
	"a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space\r\n"
	"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
	"a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
	"a=sendrecv\r\n"
	"a=msid:5f2a3c1e-9d7b-4c2a-8e6f-1b2c3d4e5f60 9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4\r\n"
	"a=rtcp-mux\r\n"
	"a=rtcp-rsize\r\n"
	"a=rtpmap:96 VP8/90000\r\n"
	"a=rtcp-fb:96 goog-remb\r\n"
	"a=rtcp-fb:96 transport-cc\r\n"
	"a=rtcp-fb:96 ccm fir\r\n"
	"a=rtcp-fb:96 nack\r\n"
	"a=rtcp-fb:96 nack pli\r\n"
	"a=rtpmap:97 rtx/90000\r\n"
	"a=fmtp:97 apt=96\r\n"
	"a=rtpmap:102 H264/90000\r\n"
	"a=rtcp-fb:102 goog-remb\r\n"
	"a=rtcp-fb:102 transport-cc\r\n"
	"a=rtcp-fb:102 ccm fir\r\n"
	"a=rtcp-fb:102 nack\r\n"
	"a=rtcp-fb:102 nack pli\r\n"
	"a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
	"a=rtpmap:103 rtx/90000\r\n"
	"a=fmtp:103 apt=102\r\n"
	"a=rtpmap:104 H264/90000\r\n"
	"a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n"
	"a=rtpmap:105 rtx/90000\r\n"
	"a=fmtp:105 apt=104\r\n"
	"a=rtpmap:106 H264/90000\r\n"
	"a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
	"a=rtpmap:107 rtx/90000\r\n"
	"a=fmtp:107 apt=106\r\n"
	"a=rtpmap:108 H264/90000\r\n"
	"a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n"
	"a=rtpmap:109 rtx/90000\r\n"
	"a=fmtp:109 apt=108\r\n"
	"a=rtpmap:127 H264/90000\r\n"
	"a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f\r\n"
	"a=rtpmap:125 rtx/90000\r\n"
	"a=fmtp:125 apt=127\r\n"
	"a=rtpmap:39 H264/90000\r\n"
	"a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f\r\n"
	"a=rtpmap:40 rtx/90000\r\n"
	"a=fmtp:40 apt=39\r\n"
	"a=rtpmap:45 AV1/90000\r\n"
	"a=rtcp-fb:45 nack pli\r\n"
	"a=rtpmap:46 rtx/90000\r\n"
	"a=fmtp:46 apt=45\r\n"
	"a=rtpmap:98 VP9/90000\r\n"
	"a=rtcp-fb:98 nack pli\r\n"
	"a=fmtp:98 profile-id=0\r\n"
	"a=rtpmap:99 rtx/90000\r\n"
	"a=fmtp:99 apt=98\r\n"
	"a=rtpmap:100 VP9/90000\r\n"
	"a=fmtp:100 profile-id=2\r\n"
	"a=rtpmap:101 rtx/90000\r\n"
	"a=fmtp:101 apt=100\r\n"
	"a=rtpmap:112 H264/90000\r\n"
	"a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f\r\n"
	"a=rtpmap:113 rtx/90000\r\n"
	"a=fmtp:113 apt=112\r\n"
	"a=rtpmap:116 red/90000\r\n"
	"a=rtpmap:117 rtx/90000\r\n"
	"a=fmtp:117 apt=116\r\n"
	"a=rtpmap:118 ulpfec/90000\r\n"
	"a=ssrc-group:FID 2231627014 632943048\r\n"
	"a=ssrc:2231627014 cname:4TOk42mSjXCkVIa6\r\n"
	"a=ssrc:2231627014 msid:5f2a3c1e-9d7b-4c2a-8e6f-1b2c3d4e5f60 9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4\r\n"
	"a=ssrc:632943048 cname:4TOk42mSjXCkVIa6\r\n"
	"a=ssrc:632943048 msid:5f2a3c1e-9d7b-4c2a-8e6f-1b2c3d4e5f60 9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4\r\n";

/* Firefox writes fmtp before rtpmap, DTLS and ICE options at session
 * level, "/1" channels for G722 and offers a data channel. LF only here. */
static const char firefox_offer[] =
	"v=0\n"
	"o=mozilla...THIS_IS_SDPARTA-99.0 5913471227936134823 0 IN IP4 0.0.0.0\n"
	"s=-\n"
	"t=0 0\n"
	"a=fingerprint:sha-256 7F:5A:0E:12:9C:3B:44:D1:8E:77:61:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23\n"
	"a=group:BUNDLE 0 1 2\n"
	"a=ice-options:trickle\n"
	"a=msid-semantic:WMS *\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\n"
	"c=IN IP4 0.0.0.0\n"
	"a=sendrecv\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\n"
	"a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level\n"
	"a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\n"
	"a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\n"
	"a=fmtp:101 0-15\n"
	"a=ice-pwd:2bd9a7c7e1c0f1b1d4e59bd6a6c2e1f0\n"
	"a=ice-ufrag:4f2b1d6a\n"
	"a=mid:0\n"
	"a=msid:{5a9a3a0e-7d0c-4b8e-a2f4-0c6e1d2b3a49} {9e6f2a1b-3c4d-4e5f-8a9b-0c1d2e3f4a5b}\n"
	"a=rtcp-mux\n"
	"a=rtpmap:109 opus/48000/2\n"
	"a=rtpmap:9 G722/8000/1\n"
	"a=rtpmap:0 PCMU/8000\n"
	"a=rtpmap:8 PCMA/8000\n"
	"a=rtpmap:101 telephone-event/8000\n"
	"a=setup:actpass\n"
	"a=ssrc:2655508255 cname:{735484ea-4f6c-f74a-bd66-7425f8476c2e}\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 120 124\n"
	"c=IN IP4 0.0.0.0\n"
	"a=recvonly\n"
	"a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\n"
	"a=fmtp:120 max-fs=12288;max-fr=60\n"
	"a=fmtp:124 apt=120\n"
	"a=ice-pwd:2bd9a7c7e1c0f1b1d4e59bd6a6c2e1f0\n"
	"a=ice-ufrag:4f2b1d6a\n"
	"a=mid:1\n"
	"a=rtcp-fb:120 nack\n"
	"a=rtcp-fb:120 nack pli\n"
	"a=rtcp-fb:120 ccm fir\n"
	"a=rtcp-fb:120 goog-remb\n"
	"a=rtcp-fb:120 transport-cc\n"
	"a=rtcp-mux\n"
	"a=rtcp-rsize\n"
	"a=rtpmap:120 VP8/90000\n"
	"a=rtpmap:124 rtx/90000\n"
	"a=setup:actpass\n"
	"a=ssrc:1213512312 cname:{735484ea-4f6c-f74a-bd66-7425f8476c2e}\n"
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\n"
	"c=IN IP4 0.0.0.0\n"
	"a=sendrecv\n"
	"a=ice-pwd:2bd9a7c7e1c0f1b1d4e59bd6a6c2e1f0\n"
	"a=ice-ufrag:4f2b1d6a\n"
	"a=mid:2\n"
	"a=setup:actpass\n"
	"a=sctp-port:5000\n"
	"a=max-message-size:1073741823\n";

static const char linphone_offer[] =
	"v=0\r\n"
	"o=alice 3816 2145 IN IP4 192.168.1.20\r\n"
	"s=Talk\r\n"
	"c=IN IP4 192.168.1.20\r\n"
	"t=0 0\r\n"
	"a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n"
	"m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"a=fmtp:96 useinbandfec=1\r\n"
	"a=rtpmap:97 speex/16000\r\n"
	"a=fmtp:97 vbr=on\r\n"
	"a=rtpmap:98 speex/8000\r\n"
	"a=fmtp:98 vbr=on\r\n"
	"a=fmtp:18 annexb=yes\r\n"
	"a=rtpmap:101 telephone-event/48000\r\n"
	"a=rtpmap:99 telephone-event/16000\r\n"
	"a=rtpmap:100 telephone-event/8000\r\n"
	"a=rtcp:7079\r\n"
	"a=rtcp-fb:* trr-int 1000\r\n"
	"a=rtcp-fb:* ccm tmmbr\r\n";

static const char sdes_offer[] =
	"v=0\r\n"
	"o=- 20518 0 IN IP4 203.0.113.5\r\n"
	"s=SDP data\r\n"
	"c=IN IP4 203.0.113.5\r\n"
	"t=0 0\r\n"
	"m=audio 20000 RTP/SAVP 0 8 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32\r\n"
	"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32 UNENCRYPTED_SRTCP\r\n"
	"a=ptime:20\r\n"
	"a=sendrecv\r\n";

/* Every kind of line and attribute, already in canonical order: prints
 * back byte for byte. */
static const char canonical[] =
	"v=0\r\n"
	"o=bob 2890844526 2890842807 IN IP6 2001:db8::1\r\n"
	"s=Kitchen sink\r\n"
	"i=every field\r\n"
	"u=http://example.org/sdp\r\n"
	"e=bob@example.org\r\n"
	"c=IN IP4 224.2.17.12/127\r\n"
	"b=CT:128\r\n"
	"t=2873397496 2873404696\r\n"
	"r=604800 3600 0 90000\r\n"
	"z=2882844526 -1h\r\n"
	"x=an unknown line\r\n"
	"a=group:BUNDLE a v\r\n"
	"a=group:LS\r\n"
	"a=msid-semantic: WMS *\r\n"
	"a=ice-lite\r\n"
	"a=ice-ufrag:sess\r\n"
	"a=ice-pwd:sessionpassword1234567\r\n"
	"a=ice-options:ice2 trickle\r\n"
	"a=fingerprint:sha-256 AA:BB\r\n"
	"a=fingerprint:sha-1 CC:DD\r\n"
	"a=setup:passive\r\n"
	"a=sendonly\r\n"
	"a=tool:rtcbridge\r\n"
	"a=flag\r\n"
	"a=empty:\r\n"
	"m=audio 49170/2 RTP/AVP 0 96 101\r\n"
	"i=voice\r\n"
	"c=IN IP6 2001:db8::2\r\n"
	"b=AS:64\r\n"
	"b=TIAS:64000\r\n"
	"k=prompt\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"a=fmtp:96 stereo=1\r\n"
	"a=rtcp-fb:96 nack\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101\r\n"
	"a=rtcp-fb:* ccm tmmbr\r\n"
	"a=mid:a\r\n"
	"a=msid:stream track1\r\n"
	"a=msid:stream2 track1\r\n"
	"a=inactive\r\n"
	"a=rtcp:49171 IN IP6 2001:db8::3\r\n"
	"a=rtcp-mux\r\n"
	"a=rtcp-rsize\r\n"
	"a=ice-ufrag:m1\r\n"
	"a=ice-pwd:mediapassword123456789\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:sha-512 EE:FF\r\n"
	"a=setup:holdconn\r\n"
	"a=crypto:7 AEAD_AES_256_GCM inline:a|2^48 KDR=1 UNENCRYPTED_SRTP\r\n"
	"a=extmap:1/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on\r\n"
	"a=ptime:30\r\n"
	"a=maxptime:60\r\n"
	"a=candidate:1 1 UDP 2130706431 2001:db8::2 49170 typ host\r\n"
	"a=candidate:2 1 udp 1694498815 192.0.2.3 61665 typ srflx raddr 10.0.1.1 rport 8998\r\n"
	"a=candidate:3 2 udp 16777215 192.0.2.4 3478 typ relay rport 9\r\n"
	"a=candidate:4 1 tcp 1 10.0.0.1 9 typ host tcptype passive\r\n"
	"a=end-of-candidates\r\n"
	"a=ssrc:1\r\n"
	"a=ssrc:4294967295 cname:x\r\n"
	"a=rtpmap:55 orphan/8000\r\n"
	"a=fmtp:x y\r\n"
	"a=mid\r\n"
	"m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"
	"a=sctp-port:5000\r\n"
	"m=image 0 udptl\r\n"
	"m=audio 0 RTP/AVP\r\n";

/* ------------------------------------------------------------- real offers */

static void test_chrome_offer(void **state)
{
	struct env *e = *state;
	struct sdp_session *s = &e->s;
	assert_parses(e, chrome_offer);
	assert_true(assert_all_inside(e, chrome_offer, sizeof(chrome_offer) - 1) > 100);

	assert_slice(s->origin.username, "-");
	assert_slice(s->origin.session_id, "4611731400430051336");
	assert_int_equal(s->origin.session_version, 2);
	assert_slice(s->origin.address.address, "127.0.0.1");
	assert_slice(s->name, "-");
	assert_int_equal(s->group_count, 1);
	assert_slice(s->groups[0].semantics, "BUNDLE");
	assert_slice(s->groups[0].mids, "0 1");
	assert_slice(s->msid_semantic, "WMS 5f2a3c1e-9d7b-4c2a-8e6f-1b2c3d4e5f60");
	assert_int_equal(s->attribute_count, 1);
	assert_slice(s->attributes[0].name, "extmap-allow-mixed");
	assert_false(slice_is_set(s->attributes[0].value));
	assert_int_equal(s->media_count, 2);

	const struct sdp_media *a = &s->media[0];
	assert_slice(a->type, "audio");
	assert_int_equal(a->port, 56143);
	assert_slice(a->proto, "UDP/TLS/RTP/SAVPF");
	assert_true(sdp_proto_is_rtp(a->proto));
	assert_int_equal(a->codec_count, 8);
	assert_int_equal(a->codecs[0].pt, 111);
	assert_slice(a->codecs[0].encoding, "opus");
	assert_int_equal(a->codecs[0].clock_rate, 48000);
	assert_int_equal(a->codecs[0].channels, 2);
	assert_slice(a->codecs[0].fmtp, "minptime=10;useinbandfec=1");
	assert_slice(a->codecs[1].fmtp, "111/111");
	assert_int_equal(a->codecs[3].pt, 0);
	assert_int_equal(a->codecs[3].channels, 0);
	assert_false(slice_is_set(a->codecs[3].fmtp));
	assert_int_equal(a->rtcp_fb_count, 1);
	assert_int_equal(a->rtcp_fb[0].pt, 111);
	assert_slice(a->rtcp_fb[0].value, "transport-cc");
	assert_slice(a->connection.address, "192.0.2.10");
	assert_true(a->has_rtcp);
	assert_int_equal(a->rtcp_port, 9);
	assert_slice(a->rtcp_connection.address, "0.0.0.0");
	assert_true(a->rtcp_mux);
	assert_false(a->rtcp_rsize);
	assert_int_equal(a->direction, SDP_DIRECTION_SENDRECV);
	assert_slice(a->mid, "0");
	assert_int_equal(a->msid_count, 1);
	assert_slice(a->ice_ufrag, "EsAw");
	assert_slice(a->ice_pwd, "bP+XJMM09aR8AiX1jdukzR6Y");
	assert_slice(a->ice_options, "trickle");
	assert_int_equal(a->fingerprint_count, 1);
	assert_slice(a->fingerprints[0].hash, "sha-256");
	assert_int_equal(a->fingerprints[0].value.len, 95);
	assert_int_equal(a->setup, SDP_SETUP_ACTPASS);
	assert_int_equal(a->extmap_count, 4);
	assert_int_equal(a->extmaps[3].id, 4);
	assert_slice(a->extmaps[3].uri, "urn:ietf:params:rtp-hdrext:sdes:mid");
	assert_int_equal(a->extmaps[3].direction, SDP_DIRECTION_NONE);

	assert_int_equal(a->candidate_count, 5);
	assert_slice(a->candidates[0].foundation, "1467250027");
	assert_int_equal(a->candidates[0].component, 1);
	assert_slice(a->candidates[0].transport, "udp");
	assert_int_equal(a->candidates[0].priority, 2122260223u);
	assert_slice(a->candidates[0].type, "host");
	assert_false(slice_is_set(a->candidates[0].raddr));
	assert_slice(a->candidates[0].extensions, "generation 0 network-id 1");
	assert_slice(a->candidates[1].address, "2001:db8::7");
	assert_slice(a->candidates[2].address, "4b1f5c8e-2d3a-4c7e-9f10-aa2b3c4d5e6f.local");
	assert_int_equal(a->candidates[2].port, 56145);
	assert_slice(a->candidates[3].type, "srflx");
	assert_slice(a->candidates[3].raddr, "192.0.2.10");
	assert_true(a->candidates[3].has_rport);
	assert_int_equal(a->candidates[3].rport, 56143);
	assert_slice(a->candidates[3].extensions, "generation 0 network-id 1 network-cost 10");
	assert_slice(a->candidates[4].transport, "tcp");
	assert_slice(a->candidates[4].extensions, "tcptype active generation 0 network-id 1");
	assert_false(a->end_of_candidates);
	assert_int_equal(a->ssrc_count, 2);
	assert_int_equal(a->ssrcs[0].id, 3570614608u);
	assert_slice(a->ssrcs[0].attribute, "cname:4TOk42mSjXCkVIa6");
	assert_int_equal(a->attribute_count, 0);

	const struct sdp_media *v = &s->media[1];
	assert_slice(v->type, "video");
	assert_int_equal(v->port, 9);
	assert_int_equal(v->codec_count, 25);
	assert_int_equal(v->codecs[24].pt, 118);
	assert_slice(v->codecs[24].encoding, "ulpfec");
	assert_int_equal(v->rtcp_fb_count, 12);
	assert_int_equal(v->extmap_count, 11);
	assert_true(v->rtcp_rsize);
	assert_int_equal(v->ssrc_count, 4);
	assert_int_equal(v->attribute_count, 1);
	assert_slice(v->attributes[0].name, "ssrc-group");
	assert_slice(v->attributes[0].value, "FID 2231627014 632943048");
	assert_int_equal(sdp_media_find_codec(v, "h264", 90000), 102);
	assert_int_equal(sdp_media_find_codec(v, "AV1", 0), 45);
	assert_round_trip(e);
}

static void test_firefox_offer(void **state)
{
	struct env *e = *state;
	struct sdp_session *s = &e->s;
	assert_parses(e, firefox_offer);
	assert_all_inside(e, firefox_offer, sizeof(firefox_offer) - 1);
	assert_slice(s->origin.username, "mozilla...THIS_IS_SDPARTA-99.0");
	assert_int_equal(s->origin.session_version, 0);
	assert_int_equal(s->fingerprint_count, 1);
	assert_slice(s->fingerprints[0].hash, "sha-256");
	assert_slice(s->ice_options, "trickle");
	assert_slice(s->msid_semantic, "WMS *");
	assert_slice(s->groups[0].mids, "0 1 2");
	assert_int_equal(s->media_count, 3);

	const struct sdp_media *a = &s->media[0];
	assert_int_equal(a->codec_count, 5);
	assert_slice(a->codecs[0].fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1");
	assert_slice(a->codecs[0].encoding, "opus");
	assert_int_equal(a->codecs[1].channels, 1);
	assert_slice(a->codecs[4].fmtp, "0-15");
	assert_int_equal(a->extmaps[1].id, 2);
	assert_int_equal(a->extmaps[1].direction, SDP_DIRECTION_RECVONLY);
	assert_slice(a->ice_ufrag, "4f2b1d6a");
	assert_int_equal(a->fingerprint_count, 0);
	assert_slice(a->msids[0], "{5a9a3a0e-7d0c-4b8e-a2f4-0c6e1d2b3a49} {9e6f2a1b-3c4d-4e5f-8a9b-0c1d2e3f4a5b}");

	const struct sdp_media *v = &s->media[1];
	assert_int_equal(v->direction, SDP_DIRECTION_RECVONLY);
	assert_int_equal(v->rtcp_fb_count, 5);
	assert_slice(v->codecs[1].fmtp, "apt=120");

	const struct sdp_media *d = &s->media[2];
	assert_slice(d->proto, "UDP/DTLS/SCTP");
	assert_false(sdp_proto_is_rtp(d->proto));
	assert_slice(d->formats, "webrtc-datachannel");
	assert_int_equal(d->codec_count, 0);
	assert_int_equal(d->attribute_count, 2);
	assert_slice(d->attributes[0].name, "sctp-port");
	assert_slice(d->attributes[0].value, "5000");
	assert_round_trip(e);
}

static void test_linphone_offer(void **state)
{
	struct env *e = *state;
	struct sdp_session *s = &e->s;
	assert_parses(e, linphone_offer);
	assert_all_inside(e, linphone_offer, sizeof(linphone_offer) - 1);
	assert_slice(s->name, "Talk");
	assert_slice(s->connection.address, "192.168.1.20");
	assert_int_equal(s->attribute_count, 1);
	assert_slice(s->attributes[0].name, "rtcp-xr");

	const struct sdp_media *m = &s->media[0];
	assert_slice(m->proto, "RTP/AVP");
	assert_int_equal(m->codec_count, 9);
	assert_false(slice_is_set(m->connection.address));
	assert_true(m->has_rtcp);
	assert_int_equal(m->rtcp_port, 7079);
	assert_false(slice_is_set(m->rtcp_connection.address));
	assert_false(m->rtcp_mux);
	assert_int_equal(m->direction, SDP_DIRECTION_NONE);
	assert_int_equal(sdp_media_direction(s, m), SDP_DIRECTION_SENDRECV);
	/* G.729 is static: an fmtp, no rtpmap */
	assert_int_equal(m->codecs[5].pt, 18);
	assert_false(slice_is_set(m->codecs[5].encoding));
	assert_slice(m->codecs[5].fmtp, "annexb=yes");
	assert_int_equal(sdp_media_find_codec(m, "G729", 8000), 18);
	assert_int_equal(sdp_media_find_codec(m, "telephone-event", 8000), 100);
	assert_int_equal(sdp_media_find_codec(m, "telephone-event", 48000), 101);
	assert_int_equal(sdp_media_find_codec(m, "telephone-event", 0), 101);
	assert_int_equal(m->rtcp_fb_count, 2);
	assert_int_equal(m->rtcp_fb[0].pt, -1);
	assert_slice(m->rtcp_fb[1].value, "ccm tmmbr");
	assert_round_trip(e);
}

static void test_sdes_offer(void **state)
{
	struct env *e = *state;
	assert_parses(e, sdes_offer);
	assert_all_inside(e, sdes_offer, sizeof(sdes_offer) - 1);
	const struct sdp_media *m = &e->s.media[0];
	assert_slice(m->proto, "RTP/SAVP");
	assert_int_equal(m->crypto_count, 2);
	assert_int_equal(m->crypto[0].tag, 1);
	assert_slice(m->crypto[0].suite, "AES_CM_128_HMAC_SHA1_80");
	assert_slice(m->crypto[0].key_params,
		     "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32");
	assert_false(slice_is_set(m->crypto[0].session_params));
	assert_int_equal(m->crypto[1].tag, 2);
	assert_slice(m->crypto[1].suite, "AES_CM_128_HMAC_SHA1_32");
	assert_slice(m->crypto[1].session_params, "UNENCRYPTED_SRTCP");
	assert_int_equal(m->ptime, 20);
	assert_int_equal(m->direction, SDP_DIRECTION_SENDRECV);
	assert_round_trip(e);
}

/* ------------------------------------------------------------- seeds */

/*
 * The nth SDP quoted in a seed document, with CRLF line endings, into out:
 * from the nth line that reads "v=0..." once leading blanks and a JSON
 * quote are skipped, as long as lines look like "<letter>=". The documents
 * show SDP inside ngrep output, where a '.' stands for each CR ("dots"), and
 * inside rtpengine's JSON dumps, where the last line ends in '",'. Text
 * extraction merged some lines ("t=0 0m=audio ..."); those are left as they
 * are. Returns the length, or 0 when there is no such SDP.
 */
static size_t seed_sdp(struct env *e, const char *file, int nth, bool dots)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "../seeds/%s", file);
	long n = testdata_read(rel, e->text, sizeof(e->text) - 1);
	if (n <= 0)
		fail_msg("cannot read seed %s (set RTCBRIDGE_SHARED)", rel);
	e->text[n] = '\0';
	size_t len = 0;
	bool in_sdp = false;
	for (char *line = e->text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *p = line;
		line = nl ? nl + 1 : NULL;
		while (*p == ' ' || *p == '\t' || *p == '"')
			p++;
		size_t l = strlen(p);
		if (l && p[l - 1] == '\r')
			l--;
		if (!in_sdp) {
			if (strncmp(p, "v=0", 3) != 0 || nth-- > 0)
				continue;
			in_sdp = true;
		}
		if (l < 2 || p[0] < 'a' || p[0] > 'z' || p[1] != '=')
			break;
		bool last = false;
		if (l >= 2 && strncmp(p + l - 2, "\",", 2) == 0) {
			l -= 2;
			last = true;
		} else if (l >= 3 && strncmp(p + l - 3, "\", ", 3) == 0) {
			l -= 3;
			last = true;
		}
		if (dots && l && p[l - 1] == '.')
			l--;
		assert_true(len + l + 2 < sizeof(e->sdp));
		memcpy(e->sdp + len, p, l);
		memcpy(e->sdp + len + l, "\r\n", 2);
		len += l + 2;
		if (last)
			break;
	}
	e->sdp[len] = '\0';
	return len;
}

/* FreeSWITCH's answer to a browser, with the typos of the document. */
static void test_seed_freeswitch(void **state)
{
	struct env *e = *state;
	struct sdp_session *s = &e->s;
	size_t len = seed_sdp(e, "000_a52870edd74f7e62.txt", 0, false);
	assert_true(len > 0);
	assert_int_equal(sdp_parse(e->sdp, len, s, &e->err), 0);
	assert_all_inside(e, e->sdp, len);
	assert_slice(s->origin.username, "FreeSWITCH");
	assert_int_equal(s->origin.session_version, 1676558026);
	assert_string_equal(e->err.warning, "t=: no stop time");
	assert_int_equal(s->start_time, 0); /* "t=0" alone */
	assert_int_equal(s->stop_time, 0);
	assert_slice(s->msid_semantic, "WMS DA18Q5zNpZM4N1FKXNfL6FqYwORnkeR");
	const struct sdp_media *m = &s->media[0];
	assert_int_equal(m->port, 22810);
	assert_int_equal(m->codec_count, 2);
	assert_false(slice_is_set(m->codecs[0].fmtp)); /* "a=freq:" is no fmtp */
	assert_int_equal(m->ptime, 20);
	assert_int_equal(m->setup, SDP_SETUP_ACTIVE);
	assert_false(m->rtcp_mux);  /* "a=rtp-mux" */
	assert_false(m->has_rtcp);  /* "a=rtp:22810 ..." */
	assert_false(slice_is_set(m->ice_ufrag)); /* "a=ice-frag" */
	assert_slice(m->ice_pwd, "lTtYnWtU4IDHK9YzGokDNjP");
	assert_int_equal(m->candidate_count, 1);
	assert_slice(m->candidates[0].foundation, "9837866711");
	assert_true(m->end_of_candidates);
	assert_int_equal(m->ssrc_count, 4);
	assert_int_equal(m->attribute_count, 4);
	assert_slice(m->attributes[0].name, "freq");
	assert_slice(m->attributes[0].value, "111 useinbandfec=1; minptime=10");
	assert_slice(m->attributes[1].name, "rtp-mux");
	assert_slice(m->attributes[2].name, "rtp");
	assert_slice(m->attributes[3].name, "ice-frag");
	assert_slice(m->attributes[3].value, "qohUxLJqr7AV0b");
	assert_round_trip(e);
}

struct seed_case {
	int nth;
	bool dots;
	const char *reason; /* NULL: parses */
	unsigned line;
};

/* The rtpengine walk-through: SIP phones, rtpengine's rewrites, Chrome. */
static void test_seed_rtpengine(void **state)
{
	struct env *e = *state;
	static const struct seed_case cases[] = {
		{ 0, true, NULL, 0 },  /* Bria offer, ngrep */
		{ 1, true, NULL, 0 },  /* X-Lite answer, ngrep */
		{ 2, false, NULL, 0 }, /* Zoiper offer to rtpengine */
		/* merged by text extraction: "t=0 0m=audio 10210 ..." */
		{ 3, false, "t=: expected start and stop time", 5 },
		/* "v=0o=- 7585402567789382279 ..." */
		{ 4, false, "v=: version is not 0", 1 },
		{ 5, false, "v=: version is not 0", 1 },
		/* Chrome's offer: "a=rtpmap:9 G722/8000#0" */
		{ 6, false, "a=rtpmap: clock rate is not a number", 27 },
		{ 7, false, NULL, 0 }, /* rtpengine's offer to the phone */
		{ 8, false, NULL, 0 }, /* Bria's answer */
		/* rtpengine's answer to Chrome: "c=IN IP4 x.x.x.xt=0 0" */
		{ 9, false, "c=: expected nettype, addrtype and address", 4 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct seed_case *c = &cases[i];
		size_t len = seed_sdp(e, "001_e4e5d1aa121e8312.txt", c->nth, c->dots);
		assert_true(len > 0);
		int rc = sdp_parse(e->sdp, len, &e->s, &e->err);
		if (!c->reason) {
			if (rc != 0)
				fail_msg("seed SDP %d refused at line %u: %s", c->nth, e->err.line,
					 e->err.reason);
			assert_all_inside(e, e->sdp, len);
			assert_round_trip(e);
			continue;
		}
		assert_int_equal(rc, -1);
		if (strcmp(e->err.reason, c->reason) != 0 || e->err.line != c->line)
			fail_msg("seed SDP %d: got line %u \"%s\", expected line %u \"%s\"", c->nth,
				 e->err.line, e->err.reason, c->line, c->reason);
	}

	/* a few fields of the ones that parse */
	size_t len = seed_sdp(e, "001_e4e5d1aa121e8312.txt", 0, true);
	assert_int_equal(sdp_parse(e->sdp, len, &e->s, &e->err), 0);
	assert_slice(e->s.name, "Bria 3 release 3.5.5 stamp 71243");
	assert_int_equal(e->s.media[0].codec_count, 4);
	assert_int_equal(sdp_media_find_codec(&e->s.media[0], "G722", 8000), 9);
	assert_int_equal(sdp_media_find_codec(&e->s.media[0], "PCMA", 8000), 8);
	assert_slice(e->s.media[0].codecs[3].fmtp, "0-15");

	len = seed_sdp(e, "001_e4e5d1aa121e8312.txt", 8, false);
	assert_int_equal(sdp_parse(e->sdp, len, &e->s, &e->err), 0);
	const struct sdp_media *m = &e->s.media[0];
	assert_int_equal(m->codec_count, 5);
	assert_slice(m->codecs[0].fmtp, "useinbandfec=1");
	assert_int_equal(sdp_media_find_codec(m, "opus", 48000), 111);

	/* lines merged by text extraction are kept as written, not guessed at */
	len = seed_sdp(e, "001_e4e5d1aa121e8312.txt", 7, false);
	assert_int_equal(sdp_parse(e->sdp, len, &e->s, &e->err), 0);
	m = &e->s.media[0];
	assert_slice(m->proto, "RTP/AVP");
	assert_int_equal(m->codec_count, 13);
	assert_slice(m->mid, "0a=rtpmap:111 opus/48000/2");
	assert_false(slice_is_set(m->codecs[0].encoding));
	assert_slice(m->codecs[1].encoding, "ISAC");
	assert_false(m->has_rtcp);
	assert_slice(m->attributes[m->attribute_count - 1].name, "sendrecva=rtcp");
	assert_slice(m->attributes[m->attribute_count - 1].value, "10243");
}

/* ------------------------------------------------------------- printing */

static void test_canonical(void **state)
{
	struct env *e = *state;
	struct sdp_session *s = &e->s;
	assert_parses(e, canonical);
	assert_all_inside(e, canonical, sizeof(canonical) - 1);
	sdp_print(&e->out, s);
	assert_string_equal(e->out.data, canonical);

	assert_int_equal(s->line_count, 6);
	assert_int_equal(s->lines[0].type, 'i');
	assert_int_equal(s->lines[5].type, 'x');
	assert_int_equal(s->direction, SDP_DIRECTION_SENDONLY);
	assert_true(s->ice_lite);
	assert_int_equal(s->setup, SDP_SETUP_PASSIVE);
	assert_slice(s->groups[1].semantics, "LS");
	assert_slice(s->groups[1].mids, "");
	assert_int_equal(s->attribute_count, 3);
	assert_slice(s->attributes[2].value, "");
	assert_false(slice_is_set(s->attributes[1].value));
	assert_int_equal(s->media_count, 4);

	const struct sdp_media *m = &s->media[0];
	assert_int_equal(m->port, 49170);
	assert_int_equal(m->port_count, 2);
	assert_slice(m->connection.addrtype, "IP6");
	assert_int_equal(m->bandwidth_count, 2);
	assert_int_equal(m->bandwidths[1].value, 64000);
	assert_slice(m->codecs[2].fmtp, "");
	assert_int_equal(m->direction, SDP_DIRECTION_INACTIVE);
	assert_int_equal(sdp_media_direction(s, m), SDP_DIRECTION_INACTIVE);
	assert_int_equal(sdp_media_direction(s, &s->media[3]), SDP_DIRECTION_SENDONLY);
	assert_int_equal(m->setup, SDP_SETUP_HOLDCONN);
	assert_slice(m->crypto[0].session_params, "KDR=1 UNENCRYPTED_SRTP");
	assert_int_equal(m->extmaps[0].direction, SDP_DIRECTION_SENDONLY);
	assert_slice(m->extmaps[0].attributes, "vad=on");
	assert_int_equal(m->maxptime, 60);
	assert_false(slice_is_set(m->candidates[0].extensions));
	assert_false(slice_is_set(m->candidates[2].raddr));
	assert_true(m->candidates[2].has_rport);
	assert_int_equal(m->candidates[2].rport, 9);
	assert_slice(m->ssrcs[0].attribute, "");
	assert_int_equal(m->ssrcs[1].id, 4294967295u);
	/* an rtpmap for a payload type not on the m= line, a non-numeric fmtp,
	 * a valueless mid: all kept as they are */
	assert_int_equal(m->attribute_count, 3);
	assert_slice(m->attributes[0].name, "rtpmap");
	assert_slice(m->attributes[0].value, "55 orphan/8000");
	assert_slice(m->attributes[2].name, "mid");
	assert_false(slice_is_set(m->attributes[2].value));
	assert_slice(s->media[2].proto, "udptl");
	assert_int_equal(s->media[2].formats.len, 0);
	assert_int_equal(s->media[3].codec_count, 0);
	assert_round_trip(e);
}

/* Input order is not kept: the same session prints in canonical order. */
static void test_print_order(void **state)
{
	struct env *e = *state;
	assert_parses(e, "v=0\n"
			 "o=- 1 2 IN IP4 192.0.2.1\n"
			 "a=unknown:1\n"
			 "t=0 0\n"
			 "a=sendrecv\n"
			 "s=order\n"
			 "c=IN IP4 192.0.2.1\n"
			 "m=audio 4000 RTP/AVP 8 0\n"
			 "a=x-first\n"
			 "a=ptime:20\n"
			 "a=rtpmap:0 PCMU/8000\n"
			 "b=AS:80\n"
			 "a=rtpmap:8 PCMA/8000\n"
			 "c=IN IP4 192.0.2.2\n"
			 "a=x-second\n");
	sdp_print(&e->out, &e->s);
	assert_string_equal(e->out.data, "v=0\r\n"
					 "o=- 1 2 IN IP4 192.0.2.1\r\n"
					 "s=order\r\n"
					 "c=IN IP4 192.0.2.1\r\n"
					 "t=0 0\r\n"
					 "a=sendrecv\r\n"
					 "a=unknown:1\r\n"
					 "m=audio 4000 RTP/AVP 8 0\r\n"
					 "c=IN IP4 192.0.2.2\r\n"
					 "b=AS:80\r\n"
					 "a=rtpmap:8 PCMA/8000\r\n"
					 "a=rtpmap:0 PCMU/8000\r\n"
					 "a=ptime:20\r\n"
					 "a=x-first\r\n"
					 "a=x-second\r\n");
}

/* A session made from nothing, as the gateway makes its own answers. */
static void test_build(void **state)
{
	struct env *e = *state;
	struct sdp_session *s = &e->s;
	memset(s, 0, sizeof(*s));
	s->origin = (struct sdp_origin){ SLICE_LIT("rtcbridge"), SLICE_LIT("42"), 7,
					 { SLICE_LIT("IN"), SLICE_LIT("IP4"), SLICE_LIT("192.0.2.9") } };
	s->connection = s->origin.address;
	struct sdp_media *m = sdp_session_add_media(s);
	assert_non_null(m);
	m->type = SLICE_LIT("audio");
	m->port = 30000;
	m->proto = SLICE_LIT("RTP/AVP");
	struct sdp_codec pcma = { .pt = 8, .encoding = SLICE_LIT("PCMA"), .clock_rate = 8000 };
	struct sdp_codec dtmf = { .pt = 101, .encoding = SLICE_LIT("telephone-event"),
				  .clock_rate = 8000, .fmtp = SLICE_LIT("0-16") };
	assert_int_equal(sdp_media_add_codec(m, &pcma), 0);
	assert_int_equal(sdp_media_add_codec(m, &dtmf), 0);
	assert_int_equal(sdp_media_add_codec(m, &pcma), EEXIST);
	m->has_rtcp = true;
	m->rtcp_port = 30001;
	sdp_media_set_direction(m, SDP_DIRECTION_RECVONLY);
	m->ptime = 20;
	assert_int_equal(sdp_media_add_attribute(m, SLICE_LIT("label"), SLICE_LIT("1")), 0);
	assert_int_equal(sdp_session_add_attribute(s, SLICE_LIT("x-flag"), SLICE_NULL), 0);
	sdp_print(&e->out, s);
	assert_string_equal(e->out.data, "v=0\r\n"
					 "o=rtcbridge 42 7 IN IP4 192.0.2.9\r\n"
					 "s=-\r\n"
					 "c=IN IP4 192.0.2.9\r\n"
					 "t=0 0\r\n"
					 "a=x-flag\r\n"
					 "m=audio 30000 RTP/AVP 8 101\r\n"
					 "a=rtpmap:8 PCMA/8000\r\n"
					 "a=rtpmap:101 telephone-event/8000\r\n"
					 "a=fmtp:101 0-16\r\n"
					 "a=recvonly\r\n"
					 "a=rtcp:30001\r\n"
					 "a=ptime:20\r\n"
					 "a=label:1\r\n");
	for (size_t i = 1; i < SDP_MAX_MEDIA; i++)
		assert_non_null(sdp_session_add_media(s));
	assert_null(sdp_session_add_media(s));
}

struct shift {
	const char *from;
	char *to;
};

static void move_slice(struct slice *s, void *arg)
{
	struct shift *sh = arg;
	s->p = sh->to + (s->p - sh->from);
}

/* A session follows its buffer when that is copied and the slices moved. */
static void test_move_buffer(void **state)
{
	struct env *e = *state;
	size_t len = sizeof(chrome_offer) - 1;
	memcpy(e->text, chrome_offer, len);
	assert_int_equal(sdp_parse(e->text, len, &e->s, &e->err), 0);
	sdp_print(&e->out, &e->s);
	memcpy(e->sdp, e->text, len);
	memset(e->text, 'x', len);
	struct shift sh = { e->text, e->sdp };
	sdp_session_for_each_slice(&e->s, move_slice, &sh);
	assert_all_inside(e, e->sdp, len);
	sdp_print(&e->out2, &e->s);
	assert_string_equal(e->out.data, e->out2.data);
}

/* ------------------------------------------------------------- editing */

/* The browser leg's offer rewritten for a plain SIP phone. */
static void test_gateway_rewrite(void **state)
{
	struct env *e = *state;
	struct sdp_session *s = &e->s;
	assert_parses(e, chrome_offer);
	struct sdp_media *m = &s->media[0];

	assert_int_equal(sdp_media_find_codec(m, "PCMU", 8000), 0);
	assert_int_equal(sdp_media_find_codec(m, "pcma", 0), 8);
	assert_int_equal(sdp_media_find_codec(m, "opus", 48000), 111);
	assert_int_equal(sdp_media_find_codec(m, "opus", 8000), -1);
	assert_int_equal(sdp_media_find_codec(m, "G729", 8000), -1);
	assert_true(sdp_media_remove_codec(m, 111));
	assert_false(sdp_media_remove_codec(m, 111));
	assert_int_equal(m->rtcp_fb_count, 0);
	assert_true(sdp_media_remove_codec(m, 63));
	assert_true(sdp_media_remove_codec(m, 110));
	assert_true(sdp_media_remove_codec(m, 13));
	assert_int_equal(m->codec_count, 4);
	assert_int_equal(m->codecs[0].pt, 9);
	assert_int_equal(m->codecs[3].pt, 126);

	sdp_session_clear_ice(s);
	sdp_session_clear_dtls(s);
	sdp_media_clear_crypto(m);
	s->group_count = 0;
	s->msid_semantic = SLICE_NULL;
	sdp_session_remove_attribute(s, "extmap-allow-mixed");
	s->media_count = 1;
	m->proto = SLICE_LIT("RTP/AVP");
	m->port = 30000;
	m->connection.address = SLICE_LIT("192.0.2.99");
	m->rtcp_mux = false;
	m->rtcp_port = 30001;
	m->rtcp_connection = (struct sdp_connection){ 0 };
	m->mid = SLICE_NULL;
	m->msid_count = 0;
	m->extmap_count = 0;
	m->ssrc_count = 0;
	s->origin.session_version++;
	sdp_print(&e->out, s);
	assert_string_equal(e->out.data, "v=0\r\n"
					 "o=- 4611731400430051336 3 IN IP4 127.0.0.1\r\n"
					 "s=-\r\n"
					 "t=0 0\r\n"
					 "m=audio 30000 RTP/AVP 9 0 8 126\r\n"
					 "c=IN IP4 192.0.2.99\r\n"
					 "a=rtpmap:9 G722/8000\r\n"
					 "a=rtpmap:0 PCMU/8000\r\n"
					 "a=rtpmap:8 PCMA/8000\r\n"
					 "a=rtpmap:126 telephone-event/8000\r\n"
					 "a=sendrecv\r\n"
					 "a=rtcp:30001\r\n");
}

static void test_clear_helpers(void **state)
{
	struct env *e = *state;
	assert_parses(e, canonical);
	struct sdp_media *m = &e->s.media[0];
	assert_int_equal(sdp_media_add_attribute(m, SLICE_LIT("remote-candidates"),
						 SLICE_LIT("1 192.0.2.3 45664")), 0);
	assert_int_equal(sdp_media_add_attribute(m, SLICE_LIT("tls-id"), SLICE_LIT("abc")), 0);
	sdp_media_clear_ice(m);
	assert_false(slice_is_set(m->ice_ufrag));
	assert_false(slice_is_set(m->ice_pwd));
	assert_false(slice_is_set(m->ice_options));
	assert_int_equal(m->candidate_count, 0);
	assert_false(m->end_of_candidates);
	assert_true(e->s.ice_lite); /* the media helper leaves the session alone */
	assert_int_equal(m->attribute_count, 4);
	sdp_media_clear_dtls(m);
	assert_int_equal(m->fingerprint_count, 0);
	assert_int_equal(m->setup, SDP_SETUP_NONE);
	assert_int_equal(m->attribute_count, 3);
	assert_int_equal(e->s.fingerprint_count, 2);
	sdp_media_clear_crypto(m);
	assert_int_equal(m->crypto_count, 0);
	assert_int_equal(sdp_media_remove_attribute(m, "rtpmap"), 1);
	assert_int_equal(sdp_media_remove_attribute(m, "nothing"), 0);

	sdp_session_clear_ice(&e->s);
	assert_false(e->s.ice_lite);
	assert_false(slice_is_set(e->s.ice_ufrag));
	sdp_session_clear_dtls(&e->s);
	assert_int_equal(e->s.fingerprint_count, 0);
	assert_int_equal(e->s.setup, SDP_SETUP_NONE);
	sdp_print(&e->out, &e->s);
	assert_null(strstr(e->out.data, "ice-"));
	assert_null(strstr(e->out.data, "candidate"));
	assert_null(strstr(e->out.data, "fingerprint"));
	assert_null(strstr(e->out.data, "setup"));
	assert_null(strstr(e->out.data, "crypto"));

	/* removing a codec takes its rtcp-fb but not the "*" ones */
	assert_true(sdp_media_remove_codec(m, 96));
	assert_int_equal(m->rtcp_fb_count, 1);
	assert_int_equal(m->rtcp_fb[0].pt, -1);

	struct sdp_candidate c = { .foundation = SLICE_LIT("1"), .component = 1,
				   .transport = SLICE_LIT("udp"), .priority = 2130706431,
				   .address = SLICE_LIT("192.0.2.50"), .port = 40000,
				   .type = SLICE_LIT("host") };
	for (size_t i = 0; i < SDP_MAX_CANDIDATES; i++)
		assert_int_equal(sdp_media_add_candidate(m, &c), 0);
	assert_int_equal(sdp_media_add_candidate(m, &c), ENOSPC);
	mbuf_reset(&e->out);
	sdp_print(&e->out, &e->s);
	assert_non_null(strstr(e->out.data, "a=candidate:1 1 udp 2130706431 192.0.2.50 40000 typ host\r\n"));
}

/* RFC 3264 6.1 and RFC 8842 5.2, and the names. */
static void test_directions(void **state)
{
	(void)state;
	static const struct {
		enum sdp_direction offer, answer;
		const char *name;
	} table[] = {
		{ SDP_DIRECTION_NONE, SDP_DIRECTION_SENDRECV, NULL },
		{ SDP_DIRECTION_SENDRECV, SDP_DIRECTION_SENDRECV, "sendrecv" },
		{ SDP_DIRECTION_SENDONLY, SDP_DIRECTION_RECVONLY, "sendonly" },
		{ SDP_DIRECTION_RECVONLY, SDP_DIRECTION_SENDONLY, "recvonly" },
		{ SDP_DIRECTION_INACTIVE, SDP_DIRECTION_INACTIVE, "inactive" },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_int_equal(sdp_direction_answer(table[i].offer), table[i].answer);
		const char *name = sdp_direction_name(table[i].offer);
		if (!table[i].name) {
			assert_null(name);
			continue;
		}
		assert_string_equal(name, table[i].name);
		assert_int_equal(sdp_direction_parse(slice_from_cstr(name)), table[i].offer);
	}
	assert_null(sdp_direction_name((enum sdp_direction)99));
	assert_int_equal(sdp_direction_parse(SLICE_LIT("SendRecv")), SDP_DIRECTION_NONE);
	assert_int_equal(sdp_direction_parse(SLICE_LIT("sendrecv ")), SDP_DIRECTION_NONE);

	assert_int_equal(sdp_setup_answer(SDP_SETUP_ACTPASS), SDP_SETUP_ACTIVE);
	assert_int_equal(sdp_setup_answer(SDP_SETUP_ACTIVE), SDP_SETUP_PASSIVE);
	assert_int_equal(sdp_setup_answer(SDP_SETUP_PASSIVE), SDP_SETUP_ACTIVE);
	assert_int_equal(sdp_setup_answer(SDP_SETUP_HOLDCONN), SDP_SETUP_HOLDCONN);
	assert_int_equal(sdp_setup_answer(SDP_SETUP_NONE), SDP_SETUP_NONE);
	assert_string_equal(sdp_setup_name(SDP_SETUP_ACTPASS), "actpass");
	assert_null(sdp_setup_name(SDP_SETUP_NONE));
	assert_int_equal(sdp_setup_parse(SLICE_LIT("holdconn")), SDP_SETUP_HOLDCONN);
	assert_int_equal(sdp_setup_parse(SLICE_LIT("both")), SDP_SETUP_NONE);
}

/* Hold as SIP phones do it: sendonly at session or media level, or the old
 * RFC 2543 way with c=0.0.0.0, which is just an address here. */
static void test_hold(void **state)
{
	struct env *e = *state;
	assert_parses(e, "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\n"
			 "t=0 0\r\na=sendonly\r\nm=audio 4000 RTP/AVP 0\r\n"
			 "m=audio 4002 RTP/AVP 0\r\na=inactive\r\n");
	assert_int_equal(sdp_media_direction(&e->s, &e->s.media[0]), SDP_DIRECTION_SENDONLY);
	assert_int_equal(sdp_direction_answer(sdp_media_direction(&e->s, &e->s.media[0])),
			 SDP_DIRECTION_RECVONLY);
	assert_int_equal(sdp_media_direction(&e->s, &e->s.media[1]), SDP_DIRECTION_INACTIVE);
	assert_slice(e->s.connection.address, "0.0.0.0");
	sdp_media_set_direction(&e->s.media[0], sdp_direction_answer(SDP_DIRECTION_SENDONLY));
	e->s.direction = SDP_DIRECTION_NONE;
	sdp_print(&e->out, &e->s);
	assert_non_null(strstr(e->out.data, "m=audio 4000 RTP/AVP 0\r\na=recvonly\r\n"));
	assert_null(strstr(e->out.data, "sendonly"));
}

/* ------------------------------------------------------------- tolerance */

static void test_tolerated(void **state)
{
	struct env *e = *state;
	/* LF only, trailing blanks and CRs, empty lines, padding, no s= or t=,
	 * unknown line types, typos, leading space in known values */
	assert_parses(e, "v=0 \n"
			 "o=-  1   2 IN IP4 192.0.2.1\t\r\r\n"
			 "\n"
			 "\r\n"
			 "y=why not\n"
			 "m=audio  4000   RTP/AVP   0  8 \n"
			 "a=rtpmap: 8 PCMA/8000\n"
			 "a=mid: audio \n"
			 "a=rtcp-mx\n"
			 "a=sendrecv:yes\n"
			 "a=ice-ufrag\n"
			 "a=candidate:1 1 udp 1 192.0.2.1 4000 typ host  generation  0\n"
			 "q=unknown in media\n");
	struct sdp_session *s = &e->s;
	assert_string_equal(e->err.warning, "missing s= line");
	assert_int_equal(e->err.warning_line, 0);
	assert_false(slice_is_set(s->name));
	assert_int_equal(s->start_time, 0);
	assert_int_equal(s->line_count, 1);
	assert_int_equal(s->lines[0].type, 'y');
	const struct sdp_media *m = &s->media[0];
	assert_int_equal(m->codec_count, 2);
	assert_slice(m->codecs[1].encoding, "PCMA");
	assert_slice(m->mid, "audio");
	assert_false(m->rtcp_mux);
	assert_int_equal(m->direction, SDP_DIRECTION_NONE);
	assert_false(slice_is_set(m->ice_ufrag));
	assert_int_equal(m->attribute_count, 3);
	assert_slice(m->attributes[1].value, "yes");
	assert_slice(m->candidates[0].extensions, "generation  0");
	assert_int_equal(m->line_count, 1);
	assert_slice(m->lines[0].value, "unknown in media");
	assert_round_trip(e);
	mbuf_reset(&e->out2);
	sdp_print(&e->out2, s);
	assert_non_null(strstr(e->out2.data, "s=-\r\n"));
	assert_non_null(strstr(e->out2.data, "t=0 0\r\n"));

	assert_parses(e, "v=0\no=- 1 2 IN IP4 a\ns=-\nt=0\nm=audio 0 RTP/AVP\n");
	assert_string_equal(e->err.warning, "t=: no stop time");
	assert_int_equal(e->err.warning_line, 4);
	assert_parses(e, "v=0\no=- 1 2 IN IP4 a\ns=-\nm=audio 0 RTP/AVP\n");
	assert_string_equal(e->err.warning, "m=: no formats");
	assert_int_equal(e->err.warning_line, 4);
	assert_parses(e, "v=0\no=- 1 2 IN IP4 a\ns=-\nm=audio 0 RTP/AVP 0\n");
	assert_string_equal(e->err.warning, "missing t= line");
	assert_parses(e, sdes_offer);
	assert_null(e->err.warning);

	/* no final line ending */
	assert_parses(e, "v=0\r\no=- 1 2 IN IP4 a\r\ns=x");
	assert_slice(e->s.name, "x");
	/* huge session ids are text */
	assert_parses(e, "v=0\no=- 99999999999999999999999 1 IN IP4 a\n");
	/* rtpmap, fmtp and rtcp-fb in non-RTP media are plain attributes */
	assert_parses(e, "v=0\no=- 1 1 IN IP4 a\nm=image 9 udptl t38\n"
			 "a=rtpmap:300 x\na=fmtp:t38 y\na=rtcp-fb:* nack\n");
	assert_int_equal(e->s.media[0].attribute_count, 3);
	assert_slice(e->s.media[0].formats, "t38");
	/* attributes that only exist in media are unknown at session level */
	assert_parses(e, "v=0\no=- 1 1 IN IP4 a\na=mid:0\na=rtcp-mux\na=candidate:x\n");
	assert_int_equal(e->s.attribute_count, 3);
	/* ptime 0 means none */
	assert_parses(e, "v=0\no=- 1 1 IN IP4 a\nm=audio 1 RTP/AVP 0\na=ptime:0\na=ptime:20\n");
	assert_int_equal(e->s.media[0].ptime, 20);
}

/* ------------------------------------------------------------- refusals */

struct error_case {
	const char *text;
	const char *reason;
	unsigned line;
};

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n" /* 4 lines */
#define AUDIO HEAD "m=audio 4000 RTP/AVP 0 8 96\r\n"                     /* line 5 */

static const struct error_case error_cases[] = {
	{ "", "missing v= line", 0 },
	{ "\r\n\r\n", "missing v= line", 0 },
	{ "o=- 1 1 IN IP4 a\r\n", "missing v= line", 1 },
	{ "v=1\r\n", "v=: version is not 0", 1 },
	{ "v=0\r\ns=-\r\n", "missing o= line", 0 },
	{ HEAD "v=0\r\n", "second v= line", 5 },
	{ HEAD "o=- 1 1 IN IP4 a\r\n", "o=: second origin line", 5 },
	{ HEAD "s=again\r\n", "s=: second session name", 5 },
	{ "v=0\r\no=- 1 1 IN IP4\r\n", "o=: expected username, session id, version, nettype, addrtype and address", 2 },
	{ "v=0\r\no=- 1 1 IN IP4 a b\r\n", "o=: expected username, session id, version, nettype, addrtype and address", 2 },
	{ "v=0\r\no=- x1 1 IN IP4 a\r\n", "o=: session id is not a number", 2 },
	{ "v=0\r\no=- 1 -1 IN IP4 a\r\n", "o=: session version is not a number", 2 },
	{ "v=0\r\no=- 1 18446744073709551616 IN IP4 a\r\n", "o=: session version out of range", 2 },
	{ "v=0\r\nfoo\r\n", "line is not <letter>=<value>", 2 },
	{ "v=0\r\nA=1\r\n", "line is not <letter>=<value>", 2 },
	{ "v=0\r\n a=x\r\n", "line is not <letter>=<value>", 2 },
	{ "v=0\r\nab=c\r\n", "line is not <letter>=<value>", 2 },
	{ "v=0\r\no=- 1 1 IN IP4 a\rs=-\r\n", "CR inside a line", 2 },
	{ HEAD "c=IN IP4\r\n", "c=: expected nettype, addrtype and address", 5 },
	{ HEAD "c=IN IP4 a\r\nc=IN IP4 b\r\n", "c=: second connection line", 6 },
	{ AUDIO "c=IN IP4 a\r\nc=IN IP4 b\r\n", "c=: second connection line", 7 },
	{ HEAD "b=AS\r\n", "b=: expected <type>:<bandwidth>", 5 },
	{ HEAD "b=AS:x\r\n", "b=: bandwidth is not a number", 5 },
	{ HEAD "b=AS:4294967296\r\n", "b=: bandwidth out of range", 5 },
	{ "v=0\r\no=- 1 1 IN IP4 a\r\nt=now 0\r\n", "t=: start time is not a number", 3 },
	{ "v=0\r\no=- 1 1 IN IP4 a\r\nt=0 0 0\r\n", "t=: expected start and stop time", 3 },
	{ HEAD "m=audio\r\n", "m=: expected media, port, proto and formats", 5 },
	{ HEAD "m=audio 4000\r\n", "m=: expected media, port, proto and formats", 5 },
	{ HEAD "m=audio RTP/AVP 0\r\n", "m=: port is not a number", 5 },
	{ HEAD "m=audio 70000 RTP/AVP 0\r\n", "m=: port out of range", 5 },
	{ HEAD "m=audio -1 RTP/AVP 0\r\n", "m=: port is not a number", 5 },
	{ HEAD "m=audio 4000/0 RTP/AVP 0\r\n", "m=: port count out of range", 5 },
	{ HEAD "m=audio 4000/x RTP/AVP 0\r\n", "m=: port count is not a number", 5 },
	{ HEAD "m=audio 4000 RTP/AVP 200\r\n", "m=: payload type out of range", 5 },
	{ HEAD "m=audio 4000 RTP/AVP 0 PCMU\r\n", "m=: payload type is not a number", 5 },
	{ HEAD "m=audio 4000 RTP/AVP 0 8 0\r\n", "m=: payload type listed twice", 5 },
	{ AUDIO "t=0 0\r\n", "session-level line inside a media section", 6 },
	{ AUDIO "o=- 1 1 IN IP4 a\r\n", "session-level line inside a media section", 6 },
	{ AUDIO "a=rtpmap:96 opus\r\n", "a=rtpmap: expected <encoding>/<clock rate>[/<channels>]", 6 },
	{ AUDIO "a=rtpmap:96 /48000\r\n", "a=rtpmap: expected <encoding>/<clock rate>[/<channels>]", 6 },
	{ AUDIO "a=rtpmap:96 opus/48000 2\r\n", "a=rtpmap: expected <encoding>/<clock rate>[/<channels>]", 6 },
	{ AUDIO "a=rtpmap:96 opus/x\r\n", "a=rtpmap: clock rate is not a number", 6 },
	{ AUDIO "a=rtpmap:96 opus/0\r\n", "a=rtpmap: clock rate out of range", 6 },
	{ AUDIO "a=rtpmap:96 opus/48000/0\r\n", "a=rtpmap: channel count out of range", 6 },
	{ AUDIO "a=rtpmap:96 opus/48000/2/1\r\n", "a=rtpmap: channel count is not a number", 6 },
	{ AUDIO "a=rtpmap:200 opus/48000\r\n", "a=rtpmap: payload type out of range", 6 },
	{ AUDIO "a=rtpmap:96 opus/48000\r\na=rtpmap:96 opus/48000\r\n", "a=rtpmap: payload type mapped twice", 7 },
	{ AUDIO "a=fmtp:128 x\r\n", "a=fmtp: payload type out of range", 6 },
	{ AUDIO "a=fmtp:96 x\r\na=fmtp:96 y\r\n", "a=fmtp: payload type given twice", 7 },
	{ AUDIO "a=rtcp-fb:96\r\n", "a=rtcp-fb: missing feedback type", 6 },
	{ AUDIO "a=rtcp-fb:999 nack\r\n", "a=rtcp-fb: payload type out of range", 6 },
	{ AUDIO "a=rtcp:70000\r\n", "a=rtcp: port out of range", 6 },
	{ AUDIO "a=rtcp:\r\n", "a=rtcp: port is not a number", 6 },
	{ AUDIO "a=rtcp:5 IN IP4\r\n", "a=rtcp: expected <port> [<nettype> <addrtype> <address>]", 6 },
	{ AUDIO "a=rtcp:5\r\na=rtcp:6\r\n", "a=rtcp: given twice", 7 },
	{ AUDIO "a=candidate:1 1 udp 1 192.0.2.1 4000 host\r\n", "a=candidate: expected <foundation> <component> <transport> <priority> <address> <port> typ <type>", 6 },
	{ AUDIO "a=candidate:1 1 udp 1 192.0.2.1 4000 typ\r\n", "a=candidate: missing type", 6 },
	{ AUDIO "a=candidate:1 1 udp 1 192.0.2.1 70000 typ host\r\n", "a=candidate: port out of range", 6 },
	{ AUDIO "a=candidate:1 x udp 1 192.0.2.1 4000 typ host\r\n", "a=candidate: component is not a number", 6 },
	{ AUDIO "a=candidate:1 1 udp 4294967296 192.0.2.1 4000 typ host\r\n", "a=candidate: priority out of range", 6 },
	{ AUDIO "a=candidate:1 1 udp 1 192.0.2.1 4000 typ srflx raddr\r\n", "a=candidate: raddr without address", 6 },
	{ AUDIO "a=candidate:1 1 udp 1 192.0.2.1 4000 typ srflx raddr 0.0.0.0 rport x\r\n", "a=candidate: rport is not a number", 6 },
	{ AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80\r\n", "a=crypto: expected <tag> <suite> <key-params>", 6 },
	{ AUDIO "a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:k\r\n", "a=crypto: tag is not a number", 6 },
	{ AUDIO "a=crypto:1000000000 AES_CM_128_HMAC_SHA1_80 inline:k\r\n", "a=crypto: tag out of range", 6 },
	{ AUDIO "a=extmap:0 urn:x\r\n", "a=extmap: id out of range", 6 },
	{ AUDIO "a=extmap:5000 urn:x\r\n", "a=extmap: id out of range", 6 },
	{ AUDIO "a=extmap:1/sideways urn:x\r\n", "a=extmap: unknown direction", 6 },
	{ AUDIO "a=extmap:1\r\n", "a=extmap: missing URI", 6 },
	{ AUDIO "a=fingerprint:sha-256\r\n", "a=fingerprint: expected <hash function> <value>", 6 },
	{ HEAD "a=fingerprint:sha-256 AA BB\r\n", "a=fingerprint: expected <hash function> <value>", 5 },
	{ AUDIO "a=setup:bogus\r\n", "a=setup: unknown role", 6 },
	{ HEAD "a=setup:active\r\na=setup:active\r\n", "a=setup: given twice", 6 },
	{ AUDIO "a=ssrc:abc cname:x\r\n", "a=ssrc: id is not a number", 6 },
	{ AUDIO "a=ssrc:4294967296 cname:x\r\n", "a=ssrc: id out of range", 6 },
	{ AUDIO "a=sendonly\r\na=recvonly\r\n", "a=sendrecv/sendonly/recvonly/inactive: more than one direction", 7 },
	{ HEAD "a=inactive\r\na=inactive\r\n", "a=sendrecv/sendonly/recvonly/inactive: more than one direction", 6 },
	{ AUDIO "a=mid:0\r\na=mid:1\r\n", "a=mid: given twice", 7 },
	{ AUDIO "a=ice-ufrag:a\r\na=ice-ufrag:b\r\n", "a=ice-ufrag: given twice", 7 },
	{ HEAD "a=ice-pwd:a\r\na=ice-pwd:b\r\n", "a=ice-pwd: given twice", 6 },
	{ HEAD "a=msid-semantic:WMS\r\na=msid-semantic:WMS\r\n", "a=msid-semantic: given twice", 6 },
	{ HEAD "a=group:\r\n", "a=group: missing semantics", 5 },
	{ AUDIO "a=ptime:20.5\r\n", "a=ptime: not a number", 6 },
	{ AUDIO "a=maxptime:99999999999\r\n", "a=maxptime: out of range", 6 },
};

static void test_errors(void **state)
{
	struct env *e = *state;
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		int rc = parse(e, c->text);
		if (rc != -1 || !e->err.reason || strcmp(e->err.reason, c->reason) != 0 ||
		    e->err.line != c->line)
			fail_msg("case %zu: rc %d line %u \"%s\", expected line %u \"%s\"", i, rc,
				 e->err.line, e->err.reason ? e->err.reason : "(none)", c->line,
				 c->reason);
	}

	/* a NUL byte anywhere, even in a value that is otherwise kept */
	static const char nul[] = "v=0\r\no=- 1 1 IN IP4 a\r\ns=a\0b\r\n";
	assert_int_equal(sdp_parse(nul, sizeof(nul) - 1, &e->s, &e->err), -1);
	assert_string_equal(e->err.reason, "NUL byte");
	assert_int_equal(e->err.line, 3);
	assert_int_equal(sdp_parse(nul, 5, &e->s, &e->err), -1);
	assert_string_equal(e->err.reason, "missing o= line");
}

/* Each fixed-size array: full is fine, one more is refused by name. */
static void test_limits(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *line; /* %u: a counter */
		size_t limit;
		const char *reason;
		bool session; /* repeated before the m= line */
	} cases[] = {
		{ "m=audio %u RTP/AVP 0\r\n", SDP_MAX_MEDIA, "m=: too many media sections (limit 16)", true },
		{ "a=candidate:%u 1 udp 1 192.0.2.1 9 typ host\r\n", SDP_MAX_CANDIDATES, "a=candidate: too many (limit 64)", false },
		{ "a=x-%u\r\n", SDP_MAX_ATTRIBUTES, "a=: too many unknown attributes (limit 64)", false },
		{ "a=x-%u\r\n", SDP_MAX_ATTRIBUTES, "a=: too many unknown attributes (limit 64)", true },
		{ "k=%u\r\n", SDP_MAX_LINES, "too many unknown or extra lines (limit 16)", false },
		{ "r=%u 1 0\r\n", SDP_MAX_LINES, "too many unknown or extra lines (limit 16)", true },
		{ "a=ssrc:%u cname:x\r\n", SDP_MAX_SSRCS, "a=ssrc: too many (limit 64)", false },
		{ "a=crypto:%u AES_CM_128_HMAC_SHA1_80 inline:k\r\n", SDP_MAX_CRYPTO, "a=crypto: too many (limit 8)", false },
		{ "a=extmap:%u urn:x\r\n", SDP_MAX_EXTMAPS, "a=extmap: too many (limit 32)", false },
		{ "a=fingerprint:sha-256 %u\r\n", SDP_MAX_FINGERPRINTS, "a=fingerprint: too many (limit 4)", false },
		{ "a=msid:%u t\r\n", SDP_MAX_MSIDS, "a=msid: too many (limit 4)", false },
		{ "b=AS:%u\r\n", SDP_MAX_BANDWIDTHS, "b=: too many bandwidth lines (limit 4)", false },
		{ "a=group:BUNDLE %u\r\n", SDP_MAX_GROUPS, "a=group: too many (limit 4)", true },
		{ "a=rtcp-fb:0 nack %u\r\n", SDP_MAX_RTCP_FB, "a=rtcp-fb: too many (limit 128)", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t n = cases[i].limit; n <= cases[i].limit + 1; n++) {
			size_t len = (size_t)snprintf(e->text, sizeof(e->text), "%s",
						      "v=0\r\no=- 1 1 IN IP4 a\r\n");
			if (!cases[i].session)
				len += (size_t)snprintf(e->text + len, sizeof(e->text) - len,
							"m=audio 1 RTP/AVP 0\r\n");
			for (unsigned k = 1; k <= n; k++)
				len += (size_t)snprintf(e->text + len, sizeof(e->text) - len,
							cases[i].line, k);
			assert_true(len < sizeof(e->text));
			int rc = sdp_parse(e->text, len, &e->s, &e->err);
			if (n == cases[i].limit) {
				if (rc != 0)
					fail_msg("case %zu at the limit: %s", i, e->err.reason);
				continue;
			}
			assert_int_equal(rc, -1);
			assert_string_equal(e->err.reason, cases[i].reason);
			assert_int_equal(e->err.line, 2 + (cases[i].session ? 0 : 1) + n);
		}
	}

	/* payload types: one m= line */
	size_t len = (size_t)snprintf(e->text, sizeof(e->text), "v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 1 RTP/AVP");
	for (unsigned k = 0; k < SDP_MAX_CODECS; k++)
		len += (size_t)snprintf(e->text + len, sizeof(e->text) - len, " %u", k);
	assert_int_equal(sdp_parse(e->text, len, &e->s, &e->err), 0);
	assert_int_equal(e->s.media[0].codec_count, SDP_MAX_CODECS);
	len += (size_t)snprintf(e->text + len, sizeof(e->text) - len, " %u", SDP_MAX_CODECS);
	assert_int_equal(sdp_parse(e->text, len, &e->s, &e->err), -1);
	assert_string_equal(e->err.reason, "m=: too many payload types (limit 64)");
}

/* Every prefix of a valid SDP parses or is refused with a reason and all
 * slices of what parses lie inside the prefix. */
static void test_truncations(void **state)
{
	struct env *e = *state;
	static const char *const texts[] = { chrome_offer, firefox_offer, canonical };
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		size_t total = strlen(texts[t]);
		for (size_t len = 0; len <= total; len++) {
			char *copy = malloc(len ? len : 1);
			assert_non_null(copy);
			memcpy(copy, texts[t], len);
			if (sdp_parse(copy, len, &e->s, &e->err) == 0) {
				assert_all_inside(e, copy, len);
				if (len == total || (len > 0 && texts[t][len - 1] == '\n'))
					assert_round_trip(e);
			} else {
				assert_non_null(e->err.reason);
			}
			free(copy);
		}
	}
}

/* Codec names for CDRs: from a=rtpmap, from RFC 3551 for static types,
 * the number otherwise; a short buffer says so. */
static void test_codec_name(void **state)
{
	const struct sdp_codec opus = { .pt = 111, .encoding = SLICE_LIT("opus"),
					.clock_rate = 48000, .channels = 2 };
	const struct sdp_codec pcma = { .pt = 8 }, unknown = { .pt = 99 };
	char name[40];
	(void)state;

	assert_int_equal(sdp_codec_name(&opus, name, sizeof(name)), 0);
	assert_string_equal(name, "opus/48000");
	assert_int_equal(sdp_codec_name(&pcma, name, sizeof(name)), 0);
	assert_string_equal(name, "PCMA/8000");
	assert_int_equal(sdp_codec_name(&unknown, name, sizeof(name)), 0);
	assert_string_equal(name, "99");
	assert_int_equal(sdp_codec_name(&opus, name, 6), ENOSPC);
	assert_string_equal(name, "opus/");
}

int main(void)
{
#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(test_chrome_offer),    T(test_firefox_offer),  T(test_linphone_offer),
		T(test_sdes_offer),      T(test_seed_freeswitch), T(test_seed_rtpengine),
		T(test_canonical),       T(test_print_order),    T(test_build),
		T(test_move_buffer),     T(test_gateway_rewrite), T(test_clear_helpers),
		T(test_directions),      T(test_hold),           T(test_tolerated),
		T(test_errors),          T(test_limits),         T(test_truncations),
		T(test_codec_name),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
