/*
 * attr.c - a= lines into the typed fields of struct sdp_session and
 * struct sdp_media.
 *
 * sdp_attr_parse() looks the name up in one table per level. An entry says
 * whether the attribute is a flag ("a=rtcp-mux") or takes a value
 * ("a=mid:0"); a known name used the other way ("a=mid", "a=rtcp-mux:1") is
 * not what the RFC defines, so it is kept as an unknown attribute, as is any
 * name not in the table. The value of a known attribute is read without its
 * leading spaces; a malformed one is refused with a reason that names the
 * attribute ("a=candidate: port out of range"), since the gateway would
 * otherwise act on a guess.
 *
 * To add an attribute: a field in sdp.h, a parser here, a line in print.c,
 * and its slices in sdp_session_for_each_slice() (edit.c).
 */
#include "sdp/parse.h"

#include <string.h>

typedef enum sdp_attr_result(attr_parser)(struct sdp_session *s, struct sdp_media *m,
					  struct slice v, const char **reason);

static enum sdp_attr_result refuse(const char **reason, const char *why)
{
	*reason = why;
	return SDP_ATTR_ERROR;
}

/* A number field: 0, or refused with "<attribute>: <what> is not a number"
 * or "... out of range", the reasons given as two strings. */
static int number_field(struct slice f, uint64_t max, uint64_t *out, const char **reason,
			const char *not_number, const char *out_of_range)
{
	int rc = sdp_number(f, max, out);
	if (rc)
		*reason = rc == EINVAL ? not_number : out_of_range;
	return rc;
}

/* Store a single-valued text attribute: refused when already given. */
static enum sdp_attr_result set_once(struct slice *field, struct slice v, const char **reason,
				     const char *twice)
{
	if (slice_is_set(*field))
		return refuse(reason, twice);
	*field = v;
	return SDP_ATTR_DONE;
}

static struct sdp_codec *find_codec(struct sdp_media *m, uint64_t pt)
{
	for (size_t i = 0; i < m->codec_count; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	return NULL;
}

/* ------------------------------------------------------------ codecs */

/* The payload type that starts an rtpmap, fmtp or rtcp-fb value, when it is
 * a number; such attributes in non-RTP media, or naming a payload type the
 * m= line does not list, are unknown attributes. */
static enum sdp_attr_result codec_of(struct sdp_media *m, struct slice f, struct sdp_codec **codec,
				     const char **reason, const char *out_of_range)
{
	uint64_t pt;
	if (!sdp_proto_is_rtp(m->proto))
		return SDP_ATTR_UNKNOWN;
	int rc = sdp_number(f, 127, &pt);
	if (rc == EINVAL)
		return SDP_ATTR_UNKNOWN;
	if (rc)
		return refuse(reason, out_of_range);
	*codec = find_codec(m, pt);
	return *codec ? SDP_ATTR_DONE : SDP_ATTR_UNKNOWN;
}

/* a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>] */
static enum sdp_attr_result media_rtpmap(struct sdp_session *s, struct sdp_media *m,
					 struct slice v, const char **reason)
{
	(void)s;
	struct sdp_codec *c = NULL;
	enum sdp_attr_result r = codec_of(m, sdp_next_field(&v), &c, reason,
					  "a=rtpmap: payload type out of range");
	if (r != SDP_ATTR_DONE)
		return r;
	if (slice_is_set(c->encoding))
		return refuse(reason, "a=rtpmap: payload type mapped twice");
	struct slice rest = sdp_next_field(&v);
	if (sdp_next_field(&v).len)
		return refuse(reason, "a=rtpmap: expected <encoding>/<clock rate>[/<channels>]");
	long slash = slice_index(rest, '/');
	if (slash <= 0)
		return refuse(reason, "a=rtpmap: expected <encoding>/<clock rate>[/<channels>]");
	struct slice encoding = slice_make(rest.p, (size_t)slash);
	rest = slice_make(rest.p + slash + 1, rest.len - (size_t)slash - 1);
	slash = slice_index(rest, '/');
	struct slice clock = slash < 0 ? rest : slice_make(rest.p, (size_t)slash);
	uint64_t n;
	if (number_field(clock, UINT32_MAX, &n, reason, "a=rtpmap: clock rate is not a number",
			 "a=rtpmap: clock rate out of range"))
		return SDP_ATTR_ERROR;
	if (n == 0)
		return refuse(reason, "a=rtpmap: clock rate out of range");
	c->clock_rate = (uint32_t)n;
	if (slash >= 0) {
		struct slice channels = slice_make(rest.p + slash + 1, rest.len - (size_t)slash - 1);
		if (number_field(channels, UINT32_MAX, &n, reason,
				 "a=rtpmap: channel count is not a number",
				 "a=rtpmap: channel count out of range"))
			return SDP_ATTR_ERROR;
		if (n == 0)
			return refuse(reason, "a=rtpmap: channel count out of range");
		c->channels = (uint32_t)n;
	}
	c->encoding = encoding;
	return SDP_ATTR_DONE;
}

/* a=fmtp:<pt> <parameters> */
static enum sdp_attr_result media_fmtp(struct sdp_session *s, struct sdp_media *m, struct slice v,
				       const char **reason)
{
	(void)s;
	struct sdp_codec *c = NULL;
	enum sdp_attr_result r = codec_of(m, sdp_next_field(&v), &c, reason,
					  "a=fmtp: payload type out of range");
	if (r != SDP_ATTR_DONE)
		return r;
	return set_once(&c->fmtp, sdp_skip_space(v), reason, "a=fmtp: payload type given twice");
}

/* a=rtcp-fb:<pt or *> <type> [<parameters>] */
static enum sdp_attr_result media_rtcp_fb(struct sdp_session *s, struct sdp_media *m,
					  struct slice v, const char **reason)
{
	(void)s;
	struct slice f = sdp_next_field(&v);
	int pt = -1;
	if (!slice_eq_cstr(f, "*") || !sdp_proto_is_rtp(m->proto)) {
		struct sdp_codec *c = NULL;
		enum sdp_attr_result r = codec_of(m, f, &c, reason,
						  "a=rtcp-fb: payload type out of range");
		if (r != SDP_ATTR_DONE)
			return r;
		pt = c->pt;
	}
	v = sdp_skip_space(v);
	if (v.len == 0)
		return refuse(reason, "a=rtcp-fb: missing feedback type");
	if (m->rtcp_fb_count == SDP_MAX_RTCP_FB)
		return refuse(reason, "a=rtcp-fb: too many (limit " SDP_XSTR(SDP_MAX_RTCP_FB) ")");
	m->rtcp_fb[m->rtcp_fb_count++] = (struct sdp_rtcp_fb){ pt, v };
	return SDP_ATTR_DONE;
}

/* ------------------------------------------------------------ transport */

/* a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605) */
static enum sdp_attr_result media_rtcp(struct sdp_session *s, struct sdp_media *m, struct slice v,
				       const char **reason)
{
	(void)s;
	uint64_t n;
	if (m->has_rtcp)
		return refuse(reason, "a=rtcp: given twice");
	if (number_field(sdp_next_field(&v), 65535, &n, reason, "a=rtcp: port is not a number",
			 "a=rtcp: port out of range"))
		return SDP_ATTR_ERROR;
	m->has_rtcp = true;
	m->rtcp_port = (uint16_t)n;
	if (sdp_skip_space(v).len == 0)
		return SDP_ATTR_DONE;
	struct sdp_connection *c = &m->rtcp_connection;
	c->nettype = sdp_next_field(&v);
	c->addrtype = sdp_next_field(&v);
	c->address = sdp_next_field(&v);
	if (c->address.len == 0 || sdp_next_field(&v).len)
		return refuse(reason, "a=rtcp: expected <port> [<nettype> <addrtype> <address>]");
	return SDP_ATTR_DONE;
}

static enum sdp_attr_result media_rtcp_mux(struct sdp_session *s, struct sdp_media *m,
					   struct slice v, const char **reason)
{
	(void)s;
	(void)v;
	(void)reason;
	m->rtcp_mux = true;
	return SDP_ATTR_DONE;
}

static enum sdp_attr_result media_rtcp_rsize(struct sdp_session *s, struct sdp_media *m,
					     struct slice v, const char **reason)
{
	(void)s;
	(void)v;
	(void)reason;
	m->rtcp_rsize = true;
	return SDP_ATTR_DONE;
}

static enum sdp_attr_result media_mid(struct sdp_session *s, struct sdp_media *m, struct slice v,
				      const char **reason)
{
	(void)s;
	return set_once(&m->mid, v, reason, "a=mid: given twice");
}

static enum sdp_attr_result media_msid(struct sdp_session *s, struct sdp_media *m, struct slice v,
				       const char **reason)
{
	(void)s;
	if (m->msid_count == SDP_MAX_MSIDS)
		return refuse(reason, "a=msid: too many (limit " SDP_XSTR(SDP_MAX_MSIDS) ")");
	m->msids[m->msid_count++] = v;
	return SDP_ATTR_DONE;
}

/* a=ptime and a=maxptime: milliseconds; 0 is taken as absent. */
static enum sdp_attr_result media_ptime(struct sdp_session *s, struct sdp_media *m, struct slice v,
					const char **reason)
{
	(void)s;
	uint64_t n;
	if (m->ptime)
		return refuse(reason, "a=ptime: given twice");
	if (number_field(v, UINT32_MAX, &n, reason, "a=ptime: not a number",
			 "a=ptime: out of range"))
		return SDP_ATTR_ERROR;
	m->ptime = (uint32_t)n;
	return SDP_ATTR_DONE;
}

static enum sdp_attr_result media_maxptime(struct sdp_session *s, struct sdp_media *m,
					   struct slice v, const char **reason)
{
	(void)s;
	uint64_t n;
	if (m->maxptime)
		return refuse(reason, "a=maxptime: given twice");
	if (number_field(v, UINT32_MAX, &n, reason, "a=maxptime: not a number",
			 "a=maxptime: out of range"))
		return SDP_ATTR_ERROR;
	m->maxptime = (uint32_t)n;
	return SDP_ATTR_DONE;
}

/* ------------------------------------------------------------ ICE */

/*
 * a=candidate:<foundation> <component> <transport> <priority> <address>
 *	<port> typ <type> [raddr <address>] [rport <port>] *(<name> <value>)
 */
static enum sdp_attr_result media_candidate(struct sdp_session *s, struct sdp_media *m,
					    struct slice v, const char **reason)
{
	(void)s;
	struct sdp_candidate c = { 0 };
	uint64_t n;
	c.foundation = sdp_next_field(&v);
	struct slice component = sdp_next_field(&v);
	c.transport = sdp_next_field(&v);
	struct slice priority = sdp_next_field(&v);
	c.address = sdp_next_field(&v);
	struct slice port = sdp_next_field(&v);
	if (!slice_eq_cstr(sdp_next_field(&v), "typ"))
		return refuse(reason, "a=candidate: expected <foundation> <component> <transport> "
				      "<priority> <address> <port> typ <type>");
	c.type = sdp_next_field(&v);
	if (c.type.len == 0)
		return refuse(reason, "a=candidate: missing type");
	if (number_field(component, UINT32_MAX, &n, reason,
			 "a=candidate: component is not a number",
			 "a=candidate: component out of range"))
		return SDP_ATTR_ERROR;
	c.component = (uint32_t)n;
	if (number_field(priority, UINT32_MAX, &n, reason,
			 "a=candidate: priority is not a number",
			 "a=candidate: priority out of range"))
		return SDP_ATTR_ERROR;
	c.priority = (uint32_t)n;
	if (number_field(port, 65535, &n, reason, "a=candidate: port is not a number",
			 "a=candidate: port out of range"))
		return SDP_ATTR_ERROR;
	c.port = (uint16_t)n;

	struct slice rest = v, f = sdp_next_field(&rest);
	if (slice_eq_cstr(f, "raddr")) {
		c.raddr = sdp_next_field(&rest);
		if (c.raddr.len == 0)
			return refuse(reason, "a=candidate: raddr without address");
		v = rest;
		f = sdp_next_field(&rest);
	}
	if (slice_eq_cstr(f, "rport")) {
		if (number_field(sdp_next_field(&rest), 65535, &n, reason,
				 "a=candidate: rport is not a number",
				 "a=candidate: rport out of range"))
			return SDP_ATTR_ERROR;
		c.has_rport = true;
		c.rport = (uint16_t)n;
		v = rest;
	}
	v = sdp_skip_space(v);
	if (v.len)
		c.extensions = v;
	if (m->candidate_count == SDP_MAX_CANDIDATES)
		return refuse(reason, "a=candidate: too many (limit " SDP_XSTR(SDP_MAX_CANDIDATES) ")");
	m->candidates[m->candidate_count++] = c;
	return SDP_ATTR_DONE;
}

static enum sdp_attr_result media_end_of_candidates(struct sdp_session *s, struct sdp_media *m,
						    struct slice v, const char **reason)
{
	(void)s;
	(void)v;
	(void)reason;
	m->end_of_candidates = true;
	return SDP_ATTR_DONE;
}

/* ice-ufrag, ice-pwd and ice-options are the same at both levels. */
static struct slice *ice_field(struct sdp_session *s, struct sdp_media *m, char which)
{
	if (which == 'u')
		return m ? &m->ice_ufrag : &s->ice_ufrag;
	if (which == 'p')
		return m ? &m->ice_pwd : &s->ice_pwd;
	return m ? &m->ice_options : &s->ice_options;
}

static enum sdp_attr_result ice_ufrag(struct sdp_session *s, struct sdp_media *m, struct slice v,
				      const char **reason)
{
	return set_once(ice_field(s, m, 'u'), v, reason, "a=ice-ufrag: given twice");
}

static enum sdp_attr_result ice_pwd(struct sdp_session *s, struct sdp_media *m, struct slice v,
				    const char **reason)
{
	return set_once(ice_field(s, m, 'p'), v, reason, "a=ice-pwd: given twice");
}

static enum sdp_attr_result ice_options(struct sdp_session *s, struct sdp_media *m,
					struct slice v, const char **reason)
{
	return set_once(ice_field(s, m, 'o'), v, reason, "a=ice-options: given twice");
}

/* ------------------------------------------------------------ security */

/* a=fingerprint:<hash function> <value> */
static enum sdp_attr_result fingerprint(struct sdp_session *s, struct sdp_media *m,
					struct slice v, const char **reason)
{
	struct sdp_fingerprint *list = m ? m->fingerprints : s->fingerprints;
	size_t *count = m ? &m->fingerprint_count : &s->fingerprint_count;
	struct sdp_fingerprint f;
	f.hash = sdp_next_field(&v);
	f.value = sdp_next_field(&v);
	if (f.value.len == 0 || sdp_next_field(&v).len)
		return refuse(reason, "a=fingerprint: expected <hash function> <value>");
	if (*count == SDP_MAX_FINGERPRINTS)
		return refuse(reason, "a=fingerprint: too many (limit " SDP_XSTR(SDP_MAX_FINGERPRINTS) ")");
	list[(*count)++] = f;
	return SDP_ATTR_DONE;
}

static enum sdp_attr_result setup(struct sdp_session *s, struct sdp_media *m, struct slice v,
				  const char **reason)
{
	enum sdp_setup *field = m ? &m->setup : &s->setup;
	if (*field != SDP_SETUP_NONE)
		return refuse(reason, "a=setup: given twice");
	*field = sdp_setup_parse(v);
	if (*field == SDP_SETUP_NONE)
		return refuse(reason, "a=setup: unknown role");
	return SDP_ATTR_DONE;
}

/* a=crypto:<tag> <crypto-suite> <key-params> [<session-params>] */
static enum sdp_attr_result media_crypto(struct sdp_session *s, struct sdp_media *m,
					 struct slice v, const char **reason)
{
	(void)s;
	struct sdp_crypto c = { 0 };
	uint64_t n;
	if (number_field(sdp_next_field(&v), 999999999, &n, reason,
			 "a=crypto: tag is not a number", "a=crypto: tag out of range"))
		return SDP_ATTR_ERROR;
	c.tag = (uint32_t)n;
	c.suite = sdp_next_field(&v);
	c.key_params = sdp_next_field(&v);
	if (c.key_params.len == 0)
		return refuse(reason, "a=crypto: expected <tag> <suite> <key-params>");
	v = sdp_skip_space(v);
	if (v.len)
		c.session_params = v;
	if (m->crypto_count == SDP_MAX_CRYPTO)
		return refuse(reason, "a=crypto: too many (limit " SDP_XSTR(SDP_MAX_CRYPTO) ")");
	m->crypto[m->crypto_count++] = c;
	return SDP_ATTR_DONE;
}

/* ------------------------------------------------------------ streams */

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] */
static enum sdp_attr_result media_extmap(struct sdp_session *s, struct sdp_media *m,
					 struct slice v, const char **reason)
{
	(void)s;
	struct sdp_extmap e = { 0 };
	struct slice id = sdp_next_field(&v);
	long slash = slice_index(id, '/');
	if (slash >= 0) {
		struct slice d = slice_make(id.p + slash + 1, id.len - (size_t)slash - 1);
		e.direction = sdp_direction_parse(d);
		if (e.direction == SDP_DIRECTION_NONE)
			return refuse(reason, "a=extmap: unknown direction");
		id.len = (size_t)slash;
	}
	uint64_t n;
	if (number_field(id, 4351, &n, reason, "a=extmap: id is not a number",
			 "a=extmap: id out of range"))
		return SDP_ATTR_ERROR;
	if (n == 0)
		return refuse(reason, "a=extmap: id out of range");
	e.id = (uint16_t)n;
	e.uri = sdp_next_field(&v);
	if (e.uri.len == 0)
		return refuse(reason, "a=extmap: missing URI");
	v = sdp_skip_space(v);
	if (v.len)
		e.attributes = v;
	if (m->extmap_count == SDP_MAX_EXTMAPS)
		return refuse(reason, "a=extmap: too many (limit " SDP_XSTR(SDP_MAX_EXTMAPS) ")");
	m->extmaps[m->extmap_count++] = e;
	return SDP_ATTR_DONE;
}

/* a=ssrc:<id> <attribute>[:<value>] */
static enum sdp_attr_result media_ssrc(struct sdp_session *s, struct sdp_media *m, struct slice v,
				       const char **reason)
{
	(void)s;
	uint64_t n;
	if (number_field(sdp_next_field(&v), UINT32_MAX, &n, reason,
			 "a=ssrc: id is not a number", "a=ssrc: id out of range"))
		return SDP_ATTR_ERROR;
	if (m->ssrc_count == SDP_MAX_SSRCS)
		return refuse(reason, "a=ssrc: too many (limit " SDP_XSTR(SDP_MAX_SSRCS) ")");
	m->ssrcs[m->ssrc_count++] = (struct sdp_ssrc){ (uint32_t)n, sdp_skip_space(v) };
	return SDP_ATTR_DONE;
}

/* a=sendrecv, a=sendonly, a=recvonly, a=inactive at either level. */
static enum sdp_attr_result direction(struct sdp_session *s, struct sdp_media *m,
				      enum sdp_direction d, const char **reason)
{
	enum sdp_direction *field = m ? &m->direction : &s->direction;
	if (*field != SDP_DIRECTION_NONE)
		return refuse(reason, "a=sendrecv/sendonly/recvonly/inactive: more than one direction");
	*field = d;
	return SDP_ATTR_DONE;
}

/* ------------------------------------------------------------ session */

/* a=group:<semantics> *(SP <mid>) */
static enum sdp_attr_result session_group(struct sdp_session *s, struct sdp_media *m,
					  struct slice v, const char **reason)
{
	(void)m;
	struct sdp_group g;
	g.semantics = sdp_next_field(&v);
	g.mids = sdp_skip_space(v);
	if (g.semantics.len == 0)
		return refuse(reason, "a=group: missing semantics");
	if (s->group_count == SDP_MAX_GROUPS)
		return refuse(reason, "a=group: too many (limit " SDP_XSTR(SDP_MAX_GROUPS) ")");
	s->groups[s->group_count++] = g;
	return SDP_ATTR_DONE;
}

static enum sdp_attr_result session_msid_semantic(struct sdp_session *s, struct sdp_media *m,
						  struct slice v, const char **reason)
{
	(void)m;
	return set_once(&s->msid_semantic, v, reason, "a=msid-semantic: given twice");
}

static enum sdp_attr_result session_ice_lite(struct sdp_session *s, struct sdp_media *m,
					     struct slice v, const char **reason)
{
	(void)m;
	(void)v;
	(void)reason;
	s->ice_lite = true;
	return SDP_ATTR_DONE;
}

/* ------------------------------------------------------------ lookup */

struct attr_entry {
	const char *name;
	bool flag; /* takes no value */
	attr_parser *parse;
};

static const struct attr_entry media_table[] = {
	{ "rtpmap", false, media_rtpmap },
	{ "fmtp", false, media_fmtp },
	{ "rtcp-fb", false, media_rtcp_fb },
	{ "rtcp", false, media_rtcp },
	{ "rtcp-mux", true, media_rtcp_mux },
	{ "rtcp-rsize", true, media_rtcp_rsize },
	{ "mid", false, media_mid },
	{ "msid", false, media_msid },
	{ "ptime", false, media_ptime },
	{ "maxptime", false, media_maxptime },
	{ "candidate", false, media_candidate },
	{ "end-of-candidates", true, media_end_of_candidates },
	{ "ice-ufrag", false, ice_ufrag },
	{ "ice-pwd", false, ice_pwd },
	{ "ice-options", false, ice_options },
	{ "fingerprint", false, fingerprint },
	{ "setup", false, setup },
	{ "crypto", false, media_crypto },
	{ "extmap", false, media_extmap },
	{ "ssrc", false, media_ssrc },
};

static const struct attr_entry session_table[] = {
	{ "group", false, session_group },
	{ "msid-semantic", false, session_msid_semantic },
	{ "ice-lite", true, session_ice_lite },
	{ "ice-ufrag", false, ice_ufrag },
	{ "ice-pwd", false, ice_pwd },
	{ "ice-options", false, ice_options },
	{ "fingerprint", false, fingerprint },
	{ "setup", false, setup },
};

enum sdp_attr_result sdp_attr_parse(struct sdp_session *s, struct sdp_media *m, struct slice name,
				    struct slice value, const char **reason)
{
	bool flag = !slice_is_set(value);
	enum sdp_direction d = sdp_direction_parse(name);
	if (d != SDP_DIRECTION_NONE)
		return flag ? direction(s, m, d, reason) : SDP_ATTR_UNKNOWN;

	const struct attr_entry *table = m ? media_table : session_table;
	size_t n = m ? sizeof(media_table) / sizeof(media_table[0])
		     : sizeof(session_table) / sizeof(session_table[0]);
	for (size_t i = 0; i < n; i++) {
		if (!slice_eq_cstr(name, table[i].name))
			continue;
		if (table[i].flag != flag)
			return SDP_ATTR_UNKNOWN;
		return table[i].parse(s, m, flag ? value : sdp_skip_space(value), reason);
	}
	return SDP_ATTR_UNKNOWN;
}
