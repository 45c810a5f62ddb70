/*
 * uri.c - SIP, SIPS and other URIs (RFC 3261 19.1, 25.1; RFC 5954 for IPv6).
 *
 * sip:/sips: URIs are split into user, password, host, port, params and
 * headers, and each part is checked against its character class: a URI that
 * does not parse is a 400, never a guess. Every other scheme (tel:, http:,
 * isbn:, ...) is kept as an opaque absoluteURI so that From/To/Contact with
 * unknown schemes still parse (RFC 4475 3.3.4) and the router can answer
 * 416 for an unknown Request-URI scheme (3.3.2).
 *
 * %HH escapes are kept as received; sip_unescape() expands them once, when
 * a comparison needs it (RFC 4475 3.1.1.3: no recursive unescaping).
 */
#include "sip/charclass.h"
#include "sip/msg.h"

#include <arpa/inet.h>
#include <errno.h>

long sip_unescape(struct slice in, char *buf, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < in.len; i++) {
		char c = in.p[i];
		if (c == '%') {
			if (i + 2 >= in.len || !sip_is_hex(in.p[i + 1]) || !sip_is_hex(in.p[i + 2]))
				return -1;
			c = (char)(hex_digit_value(in.p[i + 1]) * 16 + hex_digit_value(in.p[i + 2]));
			i += 2;
		}
		if (n >= size)
			return -1;
		buf[n++] = c;
	}
	return (long)n;
}

bool sip_uri_user_eq(struct slice a, struct slice b)
{
	char ua[256], ub[256];
	long la = sip_unescape(a, ua, sizeof(ua));
	long lb = sip_unescape(b, ub, sizeof(ub));
	if (la < 0 || lb < 0)
		return slice_eq(a, b);
	return la == lb && memcmp(ua, ub, (size_t)la) == 0;
}

/* Every %XX well formed and every other byte in the class. */
static bool chars_valid(struct slice s, bool (*allowed)(char))
{
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] == '%') {
			if (i + 2 >= s.len || !sip_is_hex(s.p[i + 1]) || !sip_is_hex(s.p[i + 2]))
				return false;
			i += 2;
		} else if (!allowed(s.p[i])) {
			return false;
		}
	}
	return true;
}

/* user = 1*( unreserved / escaped / user-unreserved ) */
static bool is_user_char(char c)
{
	return sip_is_unreserved(c) || (c && strchr("&=+$,;?/", c));
}

/* password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
static bool is_password_char(char c)
{
	return sip_is_unreserved(c) || (c && strchr("&=+$,", c));
}

/* uri-parameter and header chars: param-unreserved / hnv-unreserved / unreserved */
static bool is_param_char(char c)
{
	return sip_is_unreserved(c) || (c && strchr("[]/:&+$;=?@,", c));
}

static bool is_hostname_char(char c)
{
	return sip_is_alnum(c) || c == '-' || c == '.' || c == '_';
}

static bool is_scheme_char(char c)
{
	return sip_is_alnum(c) || c == '+' || c == '-' || c == '.';
}

static bool host_valid(struct slice host)
{
	if (host.len == 0)
		return false;
	if (host.p[0] == '[') {
		char buf[INET6_ADDRSTRLEN + 1];
		struct in6_addr a6;
		if (host.len < 3 || host.p[host.len - 1] != ']')
			return false;
		if (slice_to_cstr(slice_make(host.p + 1, host.len - 2), buf, sizeof(buf)))
			return false;
		return inet_pton(AF_INET6, buf, &a6) == 1;
	}
	for (size_t i = 0; i < host.len; i++)
		if (!is_hostname_char(host.p[i]))
			return false;
	return true;
}

const char *sip_hostport_parse(const char *p, const char *end, struct slice *host, uint16_t *port)
{
	const char *host_start = p;
	*port = 0;
	if (p < end && *p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close)
			return NULL;
		p = close + 1;
	} else {
		while (p < end && (is_hostname_char(*p)))
			p++;
	}
	*host = slice_make(host_start, (size_t)(p - host_start));
	if (!host_valid(*host))
		return NULL;
	const char *after_host = p;
	while (p < end && sip_is_lws(*p))
		p++;
	if (p >= end || *p != ':')
		return after_host;
	p++;
	while (p < end && sip_is_lws(*p))
		p++;
	const char *port_start = p;
	uint32_t value;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (slice_to_u32(slice_make(port_start, (size_t)(p - port_start)), &value) || value == 0 ||
	    value > 65535)
		return NULL;
	*port = (uint16_t)value;
	return p;
}

static int parse_sip_hier(struct slice rest, struct sip_uri *uri)
{
	const char *p = rest.p, *end = rest.p + rest.len;

	/* userinfo ends at the first '@' (user parts may hold ';' and '?') */
	const char *at = memchr(p, '@', rest.len);
	if (at) {
		struct slice userinfo = slice_make(p, (size_t)(at - p));
		long colon = slice_index(userinfo, ':');
		if (colon >= 0) {
			uri->user = slice_make(p, (size_t)colon);
			uri->password = slice_make(p + colon + 1, userinfo.len - (size_t)colon - 1);
			if (!chars_valid(uri->password, is_password_char))
				return EINVAL;
		} else {
			uri->user = userinfo;
		}
		if (uri->user.len == 0 || !chars_valid(uri->user, is_user_char))
			return EINVAL;
		p = at + 1;
	}

	p = sip_hostport_parse(p, end, &uri->host, &uri->port);
	if (!p)
		return EINVAL;

	if (p < end && *p == ';') {
		const char *params_start = p;
		while (p < end && *p != '?')
			p++;
		uri->params = slice_make(params_start, (size_t)(p - params_start));
		if (!chars_valid(uri->params, is_param_char))
			return EINVAL;
		/* ";;" and a trailing ';' are empty parameters */
		for (size_t i = 0; i < uri->params.len; i++)
			if (uri->params.p[i] == ';' &&
			    (i + 1 == uri->params.len || uri->params.p[i + 1] == ';'))
				return EINVAL;
	}
	if (p < end && *p == '?') {
		uri->headers = slice_make(p + 1, (size_t)(end - p - 1));
		if (!chars_valid(uri->headers, is_param_char))
			return EINVAL;
		p = end;
	}
	return p == end ? 0 : EINVAL;
}

int sip_uri_parse(struct slice raw, struct sip_uri *uri)
{
	memset(uri, 0, sizeof(*uri));
	uri->raw = raw;
	long colon = slice_index(raw, ':');
	if (colon <= 0)
		return EINVAL;
	uri->scheme = slice_make(raw.p, (size_t)colon);
	for (size_t i = 0; i < uri->scheme.len; i++)
		if (!is_scheme_char(uri->scheme.p[i]))
			return EINVAL;
	struct slice rest = slice_make(raw.p + colon + 1, raw.len - (size_t)colon - 1);
	for (size_t i = 0; i < rest.len; i++) {
		char c = rest.p[i];
		if (sip_is_lws(c) || c == '<' || c == '>' || c == '"' || (unsigned char)c < 0x20)
			return EINVAL;
	}
	if (slice_eq_cstr_case(uri->scheme, "sip"))
		uri->scheme_id = SIP_URI_SIP;
	else if (slice_eq_cstr_case(uri->scheme, "sips"))
		uri->scheme_id = SIP_URI_SIPS;
	else if (slice_eq_cstr_case(uri->scheme, "tel"))
		uri->scheme_id = SIP_URI_TEL;
	else
		uri->scheme_id = SIP_URI_OTHER;

	if (uri->scheme_id == SIP_URI_SIP || uri->scheme_id == SIP_URI_SIPS)
		return parse_sip_hier(rest, uri);
	if (rest.len == 0)
		return EINVAL;
	if (uri->scheme_id == SIP_URI_TEL) {
		long semi = slice_index(rest, ';');
		uri->user = semi >= 0 ? slice_make(rest.p, (size_t)semi) : rest;
		if (semi >= 0)
			uri->params = slice_make(rest.p + semi, rest.len - (size_t)semi);
	}
	return 0;
}
