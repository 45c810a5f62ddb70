/*
 * edit.c - what the media gateway does to a parsed session before printing
 * it for the other leg: find and drop codecs, strip ICE, DTLS or SDES, turn
 * directions and DTLS roles around (RFC 3264 6.1, RFC 8842 5.2), add entries,
 * and visit every slice (to move a session to a copy of its buffer).
 *
 * Removing keeps the order of what is left. Nothing here allocates; added
 * slices must outlive the session's printing, like the parsed ones.
 */
#include "sdp/sdp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* RFC 3551 6: payload types that need no a=rtpmap. */
struct static_codec {
	uint8_t pt;
	const char *name;
	uint32_t clock_rate;
};

static const struct static_codec static_codecs[] = {
	{ 0, "PCMU", 8000 },    { 3, "GSM", 8000 },     { 4, "G723", 8000 },
	{ 5, "DVI4", 8000 },    { 6, "DVI4", 16000 },   { 7, "LPC", 8000 },
	{ 8, "PCMA", 8000 },    { 9, "G722", 8000 },    { 10, "L16", 44100 },
	{ 11, "L16", 44100 },   { 12, "QCELP", 8000 },  { 13, "CN", 8000 },
	{ 14, "MPA", 90000 },   { 15, "G728", 8000 },   { 16, "DVI4", 11025 },
	{ 17, "DVI4", 22050 },  { 18, "G729", 8000 },   { 25, "CelB", 90000 },
	{ 26, "JPEG", 90000 },  { 28, "nv", 90000 },    { 31, "H261", 90000 },
	{ 32, "MPV", 90000 },   { 33, "MP2T", 90000 },  { 34, "H263", 90000 },
};

static bool codec_is(const struct sdp_codec *c, const char *name, uint32_t clock_rate)
{
	if (slice_is_set(c->encoding))
		return slice_eq_cstr_case(c->encoding, name) &&
		       (clock_rate == 0 || c->clock_rate == clock_rate);
	for (size_t i = 0; i < sizeof(static_codecs) / sizeof(static_codecs[0]); i++)
		if (static_codecs[i].pt == c->pt)
			return slice_eq_cstr_case(slice_from_cstr(name), static_codecs[i].name) &&
			       (clock_rate == 0 || static_codecs[i].clock_rate == clock_rate);
	return false;
}

int sdp_codec_name(const struct sdp_codec *c, char *out, size_t size)
{
	int n = -1;

	if (slice_is_set(c->encoding))
		n = snprintf(out, size, "%.*s/%u", SLICE_FMT(c->encoding), (unsigned)c->clock_rate);
	for (size_t i = 0; n < 0 && i < sizeof(static_codecs) / sizeof(static_codecs[0]); i++)
		if (static_codecs[i].pt == c->pt)
			n = snprintf(out, size, "%s/%u", static_codecs[i].name,
				     (unsigned)static_codecs[i].clock_rate);
	if (n < 0)
		n = snprintf(out, size, "%u", (unsigned)c->pt);
	return (size_t)n < size ? 0 : ENOSPC;
}

int sdp_media_find_codec(const struct sdp_media *m, const char *name, uint32_t clock_rate)
{
	for (size_t i = 0; i < m->codec_count; i++)
		if (codec_is(&m->codecs[i], name, clock_rate))
			return m->codecs[i].pt;
	return -1;
}

bool sdp_media_remove_codec(struct sdp_media *m, uint8_t pt)
{
	size_t i = 0;
	while (i < m->codec_count && m->codecs[i].pt != pt)
		i++;
	if (i == m->codec_count)
		return false;
	memmove(&m->codecs[i], &m->codecs[i + 1], (m->codec_count - i - 1) * sizeof(m->codecs[0]));
	m->codec_count--;

	size_t kept = 0;
	for (size_t j = 0; j < m->rtcp_fb_count; j++)
		if (m->rtcp_fb[j].pt != pt)
			m->rtcp_fb[kept++] = m->rtcp_fb[j];
	m->rtcp_fb_count = kept;
	return true;
}

int sdp_media_add_codec(struct sdp_media *m, const struct sdp_codec *codec)
{
	for (size_t i = 0; i < m->codec_count; i++)
		if (m->codecs[i].pt == codec->pt)
			return EEXIST;
	if (m->codec_count == SDP_MAX_CODECS)
		return ENOSPC;
	m->codecs[m->codec_count++] = *codec;
	return 0;
}

int sdp_media_add_candidate(struct sdp_media *m, const struct sdp_candidate *c)
{
	if (m->candidate_count == SDP_MAX_CANDIDATES)
		return ENOSPC;
	m->candidates[m->candidate_count++] = *c;
	return 0;
}

/* ------------------------------------------------------------ attributes */

static int add_attribute(struct sdp_attribute *list, size_t *count, struct slice name,
			 struct slice value)
{
	if (*count == SDP_MAX_ATTRIBUTES)
		return ENOSPC;
	list[(*count)++] = (struct sdp_attribute){ name, value };
	return 0;
}

static size_t remove_attribute(struct sdp_attribute *list, size_t *count, const char *name)
{
	size_t kept = 0, n = *count;
	for (size_t i = 0; i < n; i++)
		if (!slice_eq_cstr(list[i].name, name))
			list[kept++] = list[i];
	*count = kept;
	return n - kept;
}

int sdp_media_add_attribute(struct sdp_media *m, struct slice name, struct slice value)
{
	return add_attribute(m->attributes, &m->attribute_count, name, value);
}

int sdp_session_add_attribute(struct sdp_session *s, struct slice name, struct slice value)
{
	return add_attribute(s->attributes, &s->attribute_count, name, value);
}

size_t sdp_media_remove_attribute(struct sdp_media *m, const char *name)
{
	return remove_attribute(m->attributes, &m->attribute_count, name);
}

size_t sdp_session_remove_attribute(struct sdp_session *s, const char *name)
{
	return remove_attribute(s->attributes, &s->attribute_count, name);
}

struct sdp_media *sdp_session_add_media(struct sdp_session *s)
{
	if (s->media_count == SDP_MAX_MEDIA)
		return NULL;
	struct sdp_media *m = &s->media[s->media_count++];
	memset(m, 0, sizeof(*m));
	return m;
}

/* ------------------------------------------------------------ transport */

void sdp_media_set_direction(struct sdp_media *m, enum sdp_direction d)
{
	m->direction = d;
}

enum sdp_direction sdp_media_direction(const struct sdp_session *s, const struct sdp_media *m)
{
	if (m->direction != SDP_DIRECTION_NONE)
		return m->direction;
	if (s->direction != SDP_DIRECTION_NONE)
		return s->direction;
	return SDP_DIRECTION_SENDRECV;
}

void sdp_media_clear_ice(struct sdp_media *m)
{
	m->ice_ufrag = m->ice_pwd = m->ice_options = SLICE_NULL;
	m->candidate_count = 0;
	m->end_of_candidates = false;
	sdp_media_remove_attribute(m, "remote-candidates");
	sdp_media_remove_attribute(m, "ice-mismatch");
}

void sdp_session_clear_ice(struct sdp_session *s)
{
	s->ice_lite = false;
	s->ice_ufrag = s->ice_pwd = s->ice_options = SLICE_NULL;
	for (size_t i = 0; i < s->media_count; i++)
		sdp_media_clear_ice(&s->media[i]);
}

void sdp_media_clear_dtls(struct sdp_media *m)
{
	m->fingerprint_count = 0;
	m->setup = SDP_SETUP_NONE;
	sdp_media_remove_attribute(m, "tls-id");
}

void sdp_session_clear_dtls(struct sdp_session *s)
{
	s->fingerprint_count = 0;
	s->setup = SDP_SETUP_NONE;
	sdp_session_remove_attribute(s, "tls-id");
	for (size_t i = 0; i < s->media_count; i++)
		sdp_media_clear_dtls(&s->media[i]);
}

void sdp_media_clear_crypto(struct sdp_media *m)
{
	m->crypto_count = 0;
}

/* ------------------------------------------------------------ names */

static const char *const direction_names[] = {
	[SDP_DIRECTION_SENDRECV] = "sendrecv",
	[SDP_DIRECTION_SENDONLY] = "sendonly",
	[SDP_DIRECTION_RECVONLY] = "recvonly",
	[SDP_DIRECTION_INACTIVE] = "inactive",
};

static const char *const setup_names[] = {
	[SDP_SETUP_ACTPASS] = "actpass",
	[SDP_SETUP_ACTIVE] = "active",
	[SDP_SETUP_PASSIVE] = "passive",
	[SDP_SETUP_HOLDCONN] = "holdconn",
};

enum sdp_direction sdp_direction_answer(enum sdp_direction offered)
{
	switch (offered) {
	case SDP_DIRECTION_SENDONLY:
		return SDP_DIRECTION_RECVONLY;
	case SDP_DIRECTION_RECVONLY:
		return SDP_DIRECTION_SENDONLY;
	case SDP_DIRECTION_INACTIVE:
		return SDP_DIRECTION_INACTIVE;
	default:
		return SDP_DIRECTION_SENDRECV;
	}
}

const char *sdp_direction_name(enum sdp_direction d)
{
	if ((unsigned)d >= sizeof(direction_names) / sizeof(direction_names[0]))
		return NULL;
	return direction_names[d];
}

enum sdp_direction sdp_direction_parse(struct slice name)
{
	for (unsigned d = SDP_DIRECTION_SENDRECV; d <= SDP_DIRECTION_INACTIVE; d++)
		if (slice_eq_cstr(name, direction_names[d]))
			return (enum sdp_direction)d;
	return SDP_DIRECTION_NONE;
}

enum sdp_setup sdp_setup_answer(enum sdp_setup offered)
{
	switch (offered) {
	case SDP_SETUP_ACTPASS:
	case SDP_SETUP_PASSIVE:
		return SDP_SETUP_ACTIVE;
	case SDP_SETUP_ACTIVE:
		return SDP_SETUP_PASSIVE;
	case SDP_SETUP_HOLDCONN:
		return SDP_SETUP_HOLDCONN;
	default:
		return SDP_SETUP_NONE;
	}
}

const char *sdp_setup_name(enum sdp_setup setup)
{
	if ((unsigned)setup >= sizeof(setup_names) / sizeof(setup_names[0]))
		return NULL;
	return setup_names[setup];
}

enum sdp_setup sdp_setup_parse(struct slice value)
{
	for (unsigned r = SDP_SETUP_ACTPASS; r <= SDP_SETUP_HOLDCONN; r++)
		if (slice_eq_cstr(value, setup_names[r]))
			return (enum sdp_setup)r;
	return SDP_SETUP_NONE;
}

bool sdp_proto_is_rtp(struct slice proto)
{
	return slice_contains_case(proto, "RTP/");
}

/* ------------------------------------------------------------ slices */

static void visit(struct slice *s, sdp_slice_h *fn, void *arg)
{
	if (slice_is_set(*s))
		fn(s, arg);
}

static void visit_connection(struct sdp_connection *c, sdp_slice_h *fn, void *arg)
{
	visit(&c->nettype, fn, arg);
	visit(&c->addrtype, fn, arg);
	visit(&c->address, fn, arg);
}

/* What both levels have. */
static void visit_common(struct sdp_bandwidth *b, size_t bandwidths, struct sdp_fingerprint *f,
			 size_t fingerprints, struct sdp_attribute *a, size_t attributes,
			 struct sdp_line *l, size_t lines, sdp_slice_h *fn, void *arg)
{
	for (size_t i = 0; i < bandwidths; i++)
		visit(&b[i].type, fn, arg);
	for (size_t i = 0; i < fingerprints; i++) {
		visit(&f[i].hash, fn, arg);
		visit(&f[i].value, fn, arg);
	}
	for (size_t i = 0; i < attributes; i++) {
		visit(&a[i].name, fn, arg);
		visit(&a[i].value, fn, arg);
	}
	for (size_t i = 0; i < lines; i++)
		visit(&l[i].value, fn, arg);
}

static void visit_media(struct sdp_media *m, sdp_slice_h *fn, void *arg)
{
	visit(&m->type, fn, arg);
	visit(&m->proto, fn, arg);
	visit(&m->formats, fn, arg);
	for (size_t i = 0; i < m->codec_count; i++) {
		visit(&m->codecs[i].encoding, fn, arg);
		visit(&m->codecs[i].fmtp, fn, arg);
	}
	for (size_t i = 0; i < m->rtcp_fb_count; i++)
		visit(&m->rtcp_fb[i].value, fn, arg);
	visit_connection(&m->connection, fn, arg);
	visit_connection(&m->rtcp_connection, fn, arg);
	visit(&m->mid, fn, arg);
	for (size_t i = 0; i < m->msid_count; i++)
		visit(&m->msids[i], fn, arg);
	visit(&m->ice_ufrag, fn, arg);
	visit(&m->ice_pwd, fn, arg);
	visit(&m->ice_options, fn, arg);
	for (size_t i = 0; i < m->candidate_count; i++) {
		struct sdp_candidate *c = &m->candidates[i];
		visit(&c->foundation, fn, arg);
		visit(&c->transport, fn, arg);
		visit(&c->address, fn, arg);
		visit(&c->type, fn, arg);
		visit(&c->raddr, fn, arg);
		visit(&c->extensions, fn, arg);
	}
	for (size_t i = 0; i < m->crypto_count; i++) {
		visit(&m->crypto[i].suite, fn, arg);
		visit(&m->crypto[i].key_params, fn, arg);
		visit(&m->crypto[i].session_params, fn, arg);
	}
	for (size_t i = 0; i < m->extmap_count; i++) {
		visit(&m->extmaps[i].uri, fn, arg);
		visit(&m->extmaps[i].attributes, fn, arg);
	}
	for (size_t i = 0; i < m->ssrc_count; i++)
		visit(&m->ssrcs[i].attribute, fn, arg);
	visit_common(m->bandwidths, m->bandwidth_count, m->fingerprints, m->fingerprint_count,
		     m->attributes, m->attribute_count, m->lines, m->line_count, fn, arg);
}

void sdp_session_for_each_slice(struct sdp_session *s, sdp_slice_h *fn, void *arg)
{
	visit(&s->origin.username, fn, arg);
	visit(&s->origin.session_id, fn, arg);
	visit_connection(&s->origin.address, fn, arg);
	visit(&s->name, fn, arg);
	visit_connection(&s->connection, fn, arg);
	for (size_t i = 0; i < s->group_count; i++) {
		visit(&s->groups[i].semantics, fn, arg);
		visit(&s->groups[i].mids, fn, arg);
	}
	visit(&s->msid_semantic, fn, arg);
	visit(&s->ice_ufrag, fn, arg);
	visit(&s->ice_pwd, fn, arg);
	visit(&s->ice_options, fn, arg);
	visit_common(s->bandwidths, s->bandwidth_count, s->fingerprints, s->fingerprint_count,
		     s->attributes, s->attribute_count, s->lines, s->line_count, fn, arg);
	for (size_t i = 0; i < s->media_count; i++)
		visit_media(&s->media[i], fn, arg);
}
