/*
 * parse.c - SDP text into struct sdp_session (RFC 8866 5): lines, the
 * session-level fields and m= lines. Attributes are attr.c's job.
 *
 * One pass over the lines, no state kept between calls, nothing copied: the
 * session is filled with slices into the input. A line is "<letter>=<value>"
 * after its line ending (LF or CRLF) and any trailing spaces, tabs and CRs
 * are cut off; empty lines are skipped. Lines up to the first m= belong to
 * the session, each m= opens a media section that runs to the next one.
 *
 * Tolerant where peers are sloppy and nothing is ambiguous (missing s= or
 * t=, padding, unknown lines and attributes, which are kept); strict where a
 * lax reading would hand the media engine a wrong number or let a second
 * description hide in the first (NUL, CR inside a line, malformed numbers,
 * a second v=, o=, s= or c=). The first fault found is the one reported.
 */
#include "sdp/parse.h"

#include <stddef.h>
#include <string.h>

struct parser {
	struct sdp_session *s;
	struct sdp_media *m; /* the media section being read, NULL before m= */
	bool have_origin, have_name, have_timing;
	unsigned line;
	const char *reason;
	struct sdp_error *err;
};

static int refuse(struct parser *p, const char *reason)
{
	p->reason = reason;
	return -1;
}

/* Something RFC 8866 does not allow but that harms nobody: the first one is
 * reported. */
static void warn(struct parser *p, const char *warning, unsigned line)
{
	if (p->err->warning)
		return;
	p->err->warning = warning;
	p->err->warning_line = line;
}

/* ------------------------------------------------------------ lines */

/* c=<nettype> <addrtype> <address>, and the same fields in o= and a=rtcp. */
static bool parse_address(struct slice rest, struct sdp_connection *c)
{
	c->nettype = sdp_next_field(&rest);
	c->addrtype = sdp_next_field(&rest);
	c->address = sdp_next_field(&rest);
	return c->address.len && sdp_next_field(&rest).len == 0;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */
static int parse_origin(struct parser *p, struct slice v)
{
	struct sdp_origin *o = &p->s->origin;
	if (p->have_origin)
		return refuse(p, "o=: second origin line");
	p->have_origin = true;
	o->username = sdp_next_field(&v);
	o->session_id = sdp_next_field(&v);
	struct slice version = sdp_next_field(&v);
	if (!parse_address(v, &o->address))
		return refuse(p, "o=: expected username, session id, version, nettype, addrtype and address");
	uint64_t n;
	if (sdp_number(o->session_id, UINT64_MAX, &n) == EINVAL)
		return refuse(p, "o=: session id is not a number");
	int rc = sdp_number(version, UINT64_MAX, &o->session_version);
	if (rc)
		return refuse(p, rc == EINVAL ? "o=: session version is not a number"
					      : "o=: session version out of range");
	return 0;
}

static int parse_connection(struct parser *p, struct slice v)
{
	struct sdp_connection *c = p->m ? &p->m->connection : &p->s->connection;
	if (slice_is_set(c->address))
		return refuse(p, "c=: second connection line");
	if (!parse_address(v, c))
		return refuse(p, "c=: expected nettype, addrtype and address");
	return 0;
}

/* b=<bwtype>:<bandwidth> */
static int parse_bandwidth(struct parser *p, struct slice v)
{
	struct sdp_bandwidth *list = p->m ? p->m->bandwidths : p->s->bandwidths;
	size_t *count = p->m ? &p->m->bandwidth_count : &p->s->bandwidth_count;
	long colon = slice_index(v, ':');
	if (colon <= 0)
		return refuse(p, "b=: expected <type>:<bandwidth>");
	if (*count == SDP_MAX_BANDWIDTHS)
		return refuse(p, "b=: too many bandwidth lines (limit " SDP_XSTR(SDP_MAX_BANDWIDTHS) ")");
	struct sdp_bandwidth *b = &list[*count];
	b->type = slice_make(v.p, (size_t)colon);
	uint64_t n;
	int rc = sdp_number(slice_make(v.p + colon + 1, v.len - (size_t)colon - 1), UINT32_MAX, &n);
	if (rc)
		return refuse(p, rc == EINVAL ? "b=: bandwidth is not a number"
					      : "b=: bandwidth out of range");
	b->value = (uint32_t)n;
	(*count)++;
	return 0;
}

/* t=<start> <stop>; "t=<start>" alone is taken as "t=<start> 0". */
static int parse_timing(struct parser *p, struct slice v)
{
	struct slice start = sdp_next_field(&v), stop = sdp_next_field(&v);
	if (sdp_next_field(&v).len)
		return refuse(p, "t=: expected start and stop time");
	if (sdp_number(start, UINT64_MAX, &p->s->start_time))
		return refuse(p, "t=: start time is not a number");
	if (stop.len == 0)
		warn(p, "t=: no stop time", p->line);
	else if (sdp_number(stop, UINT64_MAX, &p->s->stop_time))
		return refuse(p, "t=: stop time is not a number");
	p->have_timing = true;
	return 0;
}

/* The formats of an RTP m= line: payload types, each listed once. */
static int parse_payload_types(struct parser *p, struct slice rest)
{
	struct sdp_media *m = p->m;
	for (;;) {
		struct slice f = sdp_next_field(&rest);
		if (f.len == 0)
			return 0;
		uint64_t pt;
		int rc = sdp_number(f, 127, &pt);
		if (rc)
			return refuse(p, rc == EINVAL ? "m=: payload type is not a number"
						      : "m=: payload type out of range");
		for (size_t i = 0; i < m->codec_count; i++)
			if (m->codecs[i].pt == pt)
				return refuse(p, "m=: payload type listed twice");
		if (m->codec_count == SDP_MAX_CODECS)
			return refuse(p, "m=: too many payload types (limit " SDP_XSTR(SDP_MAX_CODECS) ")");
		m->codecs[m->codec_count++].pt = (uint8_t)pt;
	}
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static int parse_media(struct parser *p, struct slice v)
{
	struct sdp_session *s = p->s;
	if (s->media_count == SDP_MAX_MEDIA)
		return refuse(p, "m=: too many media sections (limit " SDP_XSTR(SDP_MAX_MEDIA) ")");
	struct sdp_media *m = p->m = &s->media[s->media_count++];
	memset(m, 0, sizeof(*m));
	m->type = sdp_next_field(&v);
	struct slice port = sdp_next_field(&v);
	m->proto = sdp_next_field(&v);
	if (m->proto.len == 0)
		return refuse(p, "m=: expected media, port, proto and formats");

	long slash = slice_index(port, '/');
	uint64_t n;
	int rc = sdp_number(slash < 0 ? port : slice_make(port.p, (size_t)slash), 65535, &n);
	if (rc)
		return refuse(p, rc == EINVAL ? "m=: port is not a number" : "m=: port out of range");
	m->port = (uint16_t)n;
	if (slash >= 0) {
		rc = sdp_number(slice_make(port.p + slash + 1, port.len - (size_t)slash - 1), 65535, &n);
		if (rc == EINVAL)
			return refuse(p, "m=: port count is not a number");
		if (rc || n == 0)
			return refuse(p, "m=: port count out of range");
		m->port_count = (uint16_t)n;
	}

	if (sdp_skip_space(v).len == 0)
		warn(p, "m=: no formats", p->line);
	if (sdp_proto_is_rtp(m->proto))
		return parse_payload_types(p, v);
	m->formats = sdp_skip_space(v);
	return 0;
}

static int parse_attribute(struct parser *p, struct slice v)
{
	struct slice name = v, value = SLICE_NULL;
	long colon = slice_index(v, ':');
	if (colon >= 0) {
		name = slice_make(v.p, (size_t)colon);
		value = slice_make(v.p + colon + 1, v.len - (size_t)colon - 1);
	}
	switch (sdp_attr_parse(p->s, p->m, name, value, &p->reason)) {
	case SDP_ATTR_DONE:
		return 0;
	case SDP_ATTR_ERROR:
		return -1;
	case SDP_ATTR_UNKNOWN:
		break;
	}
	struct sdp_attribute *list = p->m ? p->m->attributes : p->s->attributes;
	size_t *count = p->m ? &p->m->attribute_count : &p->s->attribute_count;
	if (*count == SDP_MAX_ATTRIBUTES)
		return refuse(p, "a=: too many unknown attributes (limit " SDP_XSTR(SDP_MAX_ATTRIBUTES) ")");
	list[(*count)++] = (struct sdp_attribute){ name, value };
	return 0;
}

/* A line kept as it is: i=, u=, e=, p=, r=, z=, k=, a second t=, or a type
 * RFC 8866 does not know. */
static int keep_line(struct parser *p, char type, struct slice v)
{
	struct sdp_line *list = p->m ? p->m->lines : p->s->lines;
	size_t *count = p->m ? &p->m->line_count : &p->s->line_count;
	if (*count == SDP_MAX_LINES)
		return refuse(p, "too many unknown or extra lines (limit " SDP_XSTR(SDP_MAX_LINES) ")");
	list[(*count)++] = (struct sdp_line){ type, v };
	return 0;
}

static int parse_line(struct parser *p, char type, struct slice v)
{
	if (p->m && strchr("vostrzuep", type))
		return refuse(p, "session-level line inside a media section");
	switch (type) {
	case 'v':
		return refuse(p, "second v= line");
	case 'o':
		return parse_origin(p, v);
	case 's':
		if (p->have_name)
			return refuse(p, "s=: second session name");
		p->have_name = true;
		p->s->name = v;
		return 0;
	case 'c':
		return parse_connection(p, v);
	case 'b':
		return parse_bandwidth(p, v);
	case 't':
		if (p->have_timing)
			return keep_line(p, type, v);
		return parse_timing(p, v);
	case 'm':
		return parse_media(p, v);
	case 'a':
		return parse_attribute(p, v);
	default:
		return keep_line(p, type, v);
	}
}

/* ------------------------------------------------------------ parse */

static bool is_line_end_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One non-empty line, line ending and trailing space cut off. The first
 * must be "v=0". */
static int parse_one(struct parser *p, struct slice line, bool *have_version)
{
	if (slice_index(line, '\r') >= 0)
		return refuse(p, "CR inside a line");
	if (line.len < 2 || line.p[0] < 'a' || line.p[0] > 'z' || line.p[1] != '=')
		return refuse(p, "line is not <letter>=<value>");
	struct slice value = slice_make(line.p + 2, line.len - 2);
	if (*have_version)
		return parse_line(p, line.p[0], value);
	if (line.p[0] != 'v')
		return refuse(p, "missing v= line");
	if (!slice_eq_cstr(value, "0"))
		return refuse(p, "v=: version is not 0");
	*have_version = true;
	return 0;
}

static int fail(struct sdp_error *err, const char *reason, unsigned line)
{
	err->reason = reason;
	err->line = line;
	return -1;
}

int sdp_parse(const char *buf, size_t len, struct sdp_session *s, struct sdp_error *err)
{
	struct parser p = { .s = s, .err = err };
	const char *at = buf, *end = buf + len;
	bool have_version = false;

	/* media are cleared as they are opened: a session is large */
	memset(s, 0, offsetof(struct sdp_session, media));
	*err = (struct sdp_error){ 0 };
	while (at < end) {
		const char *nl = memchr(at, '\n', (size_t)(end - at));
		struct slice line = slice_make(at, (size_t)((nl ? nl : end) - at));
		at = nl ? nl + 1 : end;
		p.line++;
		if (memchr(line.p, '\0', line.len))
			return fail(err, "NUL byte", p.line);
		while (line.len && is_line_end_space(line.p[line.len - 1]))
			line.len--;
		if (line.len && parse_one(&p, line, &have_version))
			return fail(err, p.reason, p.line);
	}
	if (!have_version)
		return fail(err, "missing v= line", 0);
	if (!p.have_origin)
		return fail(err, "missing o= line", 0);
	if (!p.have_name)
		warn(&p, "missing s= line", 0);
	if (!p.have_timing)
		warn(&p, "missing t= line", 0);
	return 0;
}
