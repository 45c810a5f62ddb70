/*
 * print.c - struct sdp_session back into SDP text.
 *
 * The order is canonical, not the input's: the line types in the order RFC
 * 8866 5 gives them, then the typed attributes in a fixed order (sdp.h,
 * sdp_print), then the unknown attributes in the order they came. A parsed
 * session therefore prints to text that parses to the same fields, and
 * printing that again gives the same bytes. Codec attributes are grouped
 * per payload type, in m= line order, the way browsers write them.
 *
 * Every line ends in CRLF (RFC 8866 5). Fields are printed as they are in
 * the session; checking that a caller's rewritten slices hold no line
 * breaks is the caller's job.
 */
#include "sdp/sdp.h"

#include <inttypes.h>
#include <string.h>

static void print_line(struct mbuf *out, char type, struct slice value)
{
	mbuf_printf(out, "%c=%.*s\r\n", type, SLICE_FMT(value));
}

static void print_connection(struct mbuf *out, const struct sdp_connection *c)
{
	mbuf_printf(out, "%.*s %.*s %.*s", SLICE_FMT(c->nettype), SLICE_FMT(c->addrtype),
		    SLICE_FMT(c->address));
}

/* The kept lines whose type is (in_types true) or is not in types. */
static void print_lines(struct mbuf *out, const struct sdp_line *lines, size_t count,
			const char *types, bool in_types)
{
	for (size_t i = 0; i < count; i++)
		if ((lines[i].type && strchr(types, lines[i].type)) == in_types)
			print_line(out, lines[i].type, lines[i].value);
}

static void print_c_and_b(struct mbuf *out, const struct sdp_connection *c,
			  const struct sdp_bandwidth *b, size_t count)
{
	if (slice_is_set(c->address)) {
		mbuf_append_str(out, "c=");
		print_connection(out, c);
		mbuf_append_str(out, "\r\n");
	}
	for (size_t i = 0; i < count; i++)
		mbuf_printf(out, "b=%.*s:%" PRIu32 "\r\n", SLICE_FMT(b[i].type), b[i].value);
}

/* "a=<name>:<value>\r\n" */
static void print_attribute(struct mbuf *out, const char *name, struct slice value)
{
	mbuf_printf(out, "a=%s:%.*s\r\n", name, SLICE_FMT(value));
}

static void print_unknown(struct mbuf *out, const struct sdp_attribute *a, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (slice_is_set(a[i].value))
			mbuf_printf(out, "a=%.*s:%.*s\r\n", SLICE_FMT(a[i].name), SLICE_FMT(a[i].value));
		else
			mbuf_printf(out, "a=%.*s\r\n", SLICE_FMT(a[i].name));
	}
}

static void print_flag(struct mbuf *out, bool set, const char *name)
{
	if (set)
		mbuf_printf(out, "a=%s\r\n", name);
}

static void print_text(struct mbuf *out, const char *name, struct slice value)
{
	if (slice_is_set(value))
		print_attribute(out, name, value);
}

/* What both levels have: ICE credentials, DTLS, direction. */
static void print_transport(struct mbuf *out, struct slice ufrag, struct slice pwd,
			    struct slice options, const struct sdp_fingerprint *f, size_t count,
			    enum sdp_setup setup)
{
	print_text(out, "ice-ufrag", ufrag);
	print_text(out, "ice-pwd", pwd);
	print_text(out, "ice-options", options);
	for (size_t i = 0; i < count; i++)
		mbuf_printf(out, "a=fingerprint:%.*s %.*s\r\n", SLICE_FMT(f[i].hash),
			    SLICE_FMT(f[i].value));
	if (sdp_setup_name(setup))
		mbuf_printf(out, "a=setup:%s\r\n", sdp_setup_name(setup));
}

static void print_direction(struct mbuf *out, enum sdp_direction d)
{
	if (sdp_direction_name(d))
		mbuf_printf(out, "a=%s\r\n", sdp_direction_name(d));
}

/* ------------------------------------------------------------ media */

static void print_rtcp_fb(struct mbuf *out, const struct sdp_media *m, int pt)
{
	for (size_t i = 0; i < m->rtcp_fb_count; i++) {
		if (m->rtcp_fb[i].pt != pt)
			continue;
		if (pt < 0)
			mbuf_printf(out, "a=rtcp-fb:* %.*s\r\n", SLICE_FMT(m->rtcp_fb[i].value));
		else
			mbuf_printf(out, "a=rtcp-fb:%d %.*s\r\n", pt, SLICE_FMT(m->rtcp_fb[i].value));
	}
}

static void print_codecs(struct mbuf *out, const struct sdp_media *m)
{
	for (size_t i = 0; i < m->codec_count; i++) {
		const struct sdp_codec *c = &m->codecs[i];
		if (slice_is_set(c->encoding)) {
			mbuf_printf(out, "a=rtpmap:%u %.*s/%" PRIu32, c->pt, SLICE_FMT(c->encoding),
				    c->clock_rate);
			if (c->channels)
				mbuf_printf(out, "/%" PRIu32, c->channels);
			mbuf_append_str(out, "\r\n");
		}
		if (slice_is_set(c->fmtp))
			mbuf_printf(out, "a=fmtp:%u%s%.*s\r\n", c->pt, c->fmtp.len ? " " : "",
				    SLICE_FMT(c->fmtp));
		print_rtcp_fb(out, m, c->pt);
	}
	print_rtcp_fb(out, m, -1);
}

static void print_candidate(struct mbuf *out, const struct sdp_candidate *c)
{
	mbuf_printf(out,
		    "a=candidate:%.*s %" PRIu32 " %.*s %" PRIu32 " %.*s %u typ %.*s",
		    SLICE_FMT(c->foundation), c->component, SLICE_FMT(c->transport), c->priority,
		    SLICE_FMT(c->address), c->port, SLICE_FMT(c->type));
	if (slice_is_set(c->raddr))
		mbuf_printf(out, " raddr %.*s", SLICE_FMT(c->raddr));
	if (c->has_rport)
		mbuf_printf(out, " rport %u", c->rport);
	if (c->extensions.len)
		mbuf_printf(out, " %.*s", SLICE_FMT(c->extensions));
	mbuf_append_str(out, "\r\n");
}

static void print_media_attributes(struct mbuf *out, const struct sdp_media *m)
{
	print_codecs(out, m);
	print_text(out, "mid", m->mid);
	for (size_t i = 0; i < m->msid_count; i++)
		print_attribute(out, "msid", m->msids[i]);
	print_direction(out, m->direction);
	if (m->has_rtcp) {
		mbuf_printf(out, "a=rtcp:%u", m->rtcp_port);
		if (slice_is_set(m->rtcp_connection.address)) {
			mbuf_append_str(out, " ");
			print_connection(out, &m->rtcp_connection);
		}
		mbuf_append_str(out, "\r\n");
	}
	print_flag(out, m->rtcp_mux, "rtcp-mux");
	print_flag(out, m->rtcp_rsize, "rtcp-rsize");
	print_transport(out, m->ice_ufrag, m->ice_pwd, m->ice_options, m->fingerprints,
			m->fingerprint_count, m->setup);
	for (size_t i = 0; i < m->crypto_count; i++) {
		const struct sdp_crypto *c = &m->crypto[i];
		mbuf_printf(out, "a=crypto:%" PRIu32 " %.*s %.*s", c->tag, SLICE_FMT(c->suite),
			    SLICE_FMT(c->key_params));
		if (c->session_params.len)
			mbuf_printf(out, " %.*s", SLICE_FMT(c->session_params));
		mbuf_append_str(out, "\r\n");
	}
	for (size_t i = 0; i < m->extmap_count; i++) {
		const struct sdp_extmap *e = &m->extmaps[i];
		mbuf_printf(out, "a=extmap:%u", e->id);
		if (sdp_direction_name(e->direction))
			mbuf_printf(out, "/%s", sdp_direction_name(e->direction));
		mbuf_printf(out, " %.*s", SLICE_FMT(e->uri));
		if (e->attributes.len)
			mbuf_printf(out, " %.*s", SLICE_FMT(e->attributes));
		mbuf_append_str(out, "\r\n");
	}
	if (m->ptime)
		mbuf_printf(out, "a=ptime:%" PRIu32 "\r\n", m->ptime);
	if (m->maxptime)
		mbuf_printf(out, "a=maxptime:%" PRIu32 "\r\n", m->maxptime);
	for (size_t i = 0; i < m->candidate_count; i++)
		print_candidate(out, &m->candidates[i]);
	print_flag(out, m->end_of_candidates, "end-of-candidates");
	for (size_t i = 0; i < m->ssrc_count; i++) {
		mbuf_printf(out, "a=ssrc:%" PRIu32, m->ssrcs[i].id);
		if (m->ssrcs[i].attribute.len)
			mbuf_printf(out, " %.*s", SLICE_FMT(m->ssrcs[i].attribute));
		mbuf_append_str(out, "\r\n");
	}
	print_unknown(out, m->attributes, m->attribute_count);
}

static void print_media(struct mbuf *out, const struct sdp_media *m)
{
	mbuf_printf(out, "m=%.*s %u", SLICE_FMT(m->type), m->port);
	if (m->port_count)
		mbuf_printf(out, "/%u", m->port_count);
	mbuf_printf(out, " %.*s", SLICE_FMT(m->proto));
	if (sdp_proto_is_rtp(m->proto)) {
		for (size_t i = 0; i < m->codec_count; i++)
			mbuf_printf(out, " %u", m->codecs[i].pt);
	} else if (m->formats.len) {
		mbuf_printf(out, " %.*s", SLICE_FMT(m->formats));
	}
	mbuf_append_str(out, "\r\n");
	print_lines(out, m->lines, m->line_count, "i", true);
	print_c_and_b(out, &m->connection, m->bandwidths, m->bandwidth_count);
	print_lines(out, m->lines, m->line_count, "i", false);
	print_media_attributes(out, m);
}

/* ------------------------------------------------------------ session */

void sdp_print(struct mbuf *out, const struct sdp_session *s)
{
	const struct sdp_origin *o = &s->origin;
	mbuf_printf(out, "v=0\r\no=%.*s %.*s %" PRIu64 " ", SLICE_FMT(o->username),
		    SLICE_FMT(o->session_id), o->session_version);
	print_connection(out, &o->address);
	mbuf_append_str(out, "\r\n");
	print_line(out, 's', slice_is_set(s->name) ? s->name : SLICE_LIT("-"));
	print_lines(out, s->lines, s->line_count, "iuep", true);
	print_c_and_b(out, &s->connection, s->bandwidths, s->bandwidth_count);
	mbuf_printf(out, "t=%" PRIu64 " %" PRIu64 "\r\n", s->start_time, s->stop_time);
	print_lines(out, s->lines, s->line_count, "iuep", false);

	for (size_t i = 0; i < s->group_count; i++) {
		mbuf_printf(out, "a=group:%.*s", SLICE_FMT(s->groups[i].semantics));
		if (s->groups[i].mids.len)
			mbuf_printf(out, " %.*s", SLICE_FMT(s->groups[i].mids));
		mbuf_append_str(out, "\r\n");
	}
	/* with the space, as browsers write it */
	if (slice_is_set(s->msid_semantic))
		mbuf_printf(out, "a=msid-semantic: %.*s\r\n", SLICE_FMT(s->msid_semantic));
	print_flag(out, s->ice_lite, "ice-lite");
	print_transport(out, s->ice_ufrag, s->ice_pwd, s->ice_options, s->fingerprints,
			s->fingerprint_count, s->setup);
	print_direction(out, s->direction);
	print_unknown(out, s->attributes, s->attribute_count);

	for (size_t i = 0; i < s->media_count; i++)
		print_media(out, &s->media[i]);
}
