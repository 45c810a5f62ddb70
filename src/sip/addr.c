/*
 * addr.c - header values built from URIs and parameters: name-addr /
 * addr-spec (From, To, Contact, Route, Record-Route, Path), Via, generic
 * ";name=value" parameter lists, and comma-separated value lists.
 *
 * Grammar notes that the torture tests (RFC 4475) exercise:
 * - LWS may surround ';', '=' and '/' (folded lines are already unfolded);
 * - an addr-spec without <> ends at the first ';' and what follows is a
 *   header parameter, not a URI parameter (3.3.12);
 * - a URI with '?' headers must be enclosed in <> (3.1.2.13);
 * - display names are tokens or a quoted string with quoted-pairs that may
 *   carry any byte, NUL included (3.1.1.2);
 * - empty parameters (";;") and an unterminated quote are errors.
 */
#include "sip/charclass.h"
#include "sip/msg.h"

#include <errno.h>

static const char *skip_lws(const char *p, const char *end)
{
	while (p < end && sip_is_lws(*p))
		p++;
	return p;
}

/* Past a quoted string starting at p ('"'); NULL if unterminated. */
static const char *skip_quoted(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			p++;
			continue;
		}
		if (*p == '"')
			return p + 1;
	}
	return NULL;
}

bool sip_value_next(struct slice *rest, struct slice *value)
{
	const char *p = rest->p, *end = rest->p + rest->len;
	for (;;) {
		p = skip_lws(p, end);
		if (p >= end) {
			*rest = slice_make(end, 0);
			return false;
		}
		const char *start = p;
		int angle = 0;
		while (p < end) {
			if (*p == '"') {
				const char *q = skip_quoted(p, end);
				p = q ? q : end;
				continue;
			}
			if (*p == '<')
				angle++;
			else if (*p == '>' && angle > 0)
				angle--;
			else if (*p == ',' && angle == 0)
				break;
			p++;
		}
		*value = slice_trim(slice_make(start, (size_t)(p - start)));
		*rest = slice_make(p < end ? p + 1 : end, p < end ? (size_t)(end - p - 1) : 0);
		if (value->len)
			return true;
		p = rest->p;
	}
}

/*
 * Check a parameter list ";a=b ; c;d = "x"" and find one parameter.
 * Returns EINVAL when the list is malformed. name may be NULL (validate only).
 */
static int params_scan(struct slice params, const char *name, bool *found, struct slice *value)
{
	if (found)
		*found = false;
	if (params.len == 0)
		return 0; /* also when params.p is NULL, where p + 0 is not defined */
	const char *p = params.p, *end = params.p + params.len;
	p = skip_lws(p, end);
	while (p < end) {
		if (*p != ';')
			return EINVAL;
		p = skip_lws(p + 1, end);
		const char *name_start = p;
		while (p < end && sip_is_token(*p))
			p++;
		struct slice pname = slice_make(name_start, (size_t)(p - name_start));
		if (pname.len == 0)
			return EINVAL;
		p = skip_lws(p, end);
		struct slice pvalue = slice_make(p, 0);
		if (p < end && *p == '=') {
			p = skip_lws(p + 1, end);
			const char *value_start = p;
			if (p < end && *p == '"') {
				p = skip_quoted(p, end);
				if (!p)
					return EINVAL;
			} else if (p < end && *p == '[') {
				const char *close = memchr(p, ']', (size_t)(end - p));
				if (!close)
					return EINVAL;
				p = close + 1;
			} else {
				while (p < end && (sip_is_token(*p) || *p == ':' || *p == '[' || *p == ']' ||
						   (unsigned char)*p >= 0x80))
					p++;
			}
			pvalue = slice_make(value_start, (size_t)(p - value_start));
			if (pvalue.len == 0)
				return EINVAL;
			p = skip_lws(p, end);
		}
		if (name && found && !*found && slice_eq_cstr_case(pname, name)) {
			*found = true;
			*value = pvalue;
		}
	}
	return 0;
}

bool sip_param_find(struct slice params, const char *name, struct slice *value)
{
	bool found = false;
	struct slice v = SLICE_NULL;
	/* A malformed tail does not hide the parameters before it. */
	params_scan(params, name, &found, &v);
	if (found && value)
		*value = v;
	return found;
}

/* display-name = *(token LWS) / quoted-string */
static int parse_display_name(struct slice s, struct slice *display)
{
	s = slice_trim(s);
	if (s.len == 0) {
		*display = s;
		return 0;
	}
	if (s.p[0] == '"') {
		const char *close = skip_quoted(s.p, s.p + s.len);
		if (close != s.p + s.len)
			return EINVAL;
		*display = slice_make(s.p + 1, s.len - 2);
		return 0;
	}
	for (size_t i = 0; i < s.len; i++)
		if (!sip_is_token(s.p[i]) && !sip_is_lws(s.p[i]) && (unsigned char)s.p[i] < 0x80)
			return EINVAL;
	*display = s;
	return 0;
}

int sip_addr_parse(struct slice value, struct sip_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	value = slice_trim(value);
	addr->raw = value;
	const char *p = value.p, *end = value.p + value.len;
	if (value.len == 0)
		return EINVAL;
	if (value.len == 1 && value.p[0] == '*') {
		addr->wildcard = true;
		return 0;
	}

	/* Find '<' outside a quoted string: then it is a name-addr. */
	const char *lt = NULL;
	for (const char *q = p; q < end; q++) {
		if (*q == '"') {
			q = skip_quoted(q, end);
			if (!q)
				return EINVAL;
			q--;
			continue;
		}
		if (*q == '<') {
			lt = q;
			break;
		}
		if (*q == ';' || *q == ',')
			break;
	}

	struct slice uri_text;
	if (lt) {
		if (parse_display_name(slice_make(p, (size_t)(lt - p)), &addr->display))
			return EINVAL;
		const char *gt = memchr(lt, '>', (size_t)(end - lt));
		if (!gt)
			return EINVAL;
		uri_text = slice_make(lt + 1, (size_t)(gt - lt - 1));
		p = gt + 1;
	} else {
		const char *q = p;
		while (q < end && *q != ';' && !sip_is_lws(*q))
			q++;
		uri_text = slice_make(p, (size_t)(q - p));
		p = q;
		/* RFC 3261 20: a URI with ',', '?' or ';' needs <> */
		if (slice_index(uri_text, '?') >= 0 || slice_index(uri_text, ',') >= 0)
			return EINVAL;
	}
	if (sip_uri_parse(uri_text, &addr->uri))
		return EINVAL;

	addr->params = slice_make(p, (size_t)(end - p));
	bool found;
	if (params_scan(addr->params, "tag", &found, &addr->tag))
		return EINVAL;
	return 0;
}

/* sent-protocol = protocol-name LWS "/" LWS protocol-version LWS "/" LWS transport */
static const char *parse_token_field(const char *p, const char *end, struct slice *out)
{
	p = skip_lws(p, end);
	const char *start = p;
	while (p < end && sip_is_token(*p))
		p++;
	*out = slice_make(start, (size_t)(p - start));
	return skip_lws(p, end);
}

int sip_via_parse(struct slice value, struct sip_via *via)
{
	struct slice name, version;
	memset(via, 0, sizeof(*via));
	value = slice_trim(value);
	via->raw = value;
	const char *p = value.p, *end = value.p + value.len;

	p = parse_token_field(p, end, &name);
	if (p >= end || *p != '/' || !slice_eq_cstr_case(name, "SIP"))
		return EINVAL;
	p = parse_token_field(p + 1, end, &version);
	if (p >= end || *p != '/' || version.len == 0)
		return EINVAL;
	via->protocol = slice_make(name.p, (size_t)(version.p + version.len - name.p));
	p = parse_token_field(p + 1, end, &via->transport);
	if (via->transport.len == 0)
		return EINVAL;

	p = sip_hostport_parse(p, end, &via->host, &via->port);
	if (!p)
		return EINVAL;
	p = skip_lws(p, end);
	via->params = slice_make(p, (size_t)(end - p));
	if (params_scan(via->params, NULL, NULL, NULL))
		return EINVAL;
	sip_param_find(via->params, "branch", &via->branch);
	sip_param_find(via->params, "received", &via->received);
	via->has_rport = sip_param_find(via->params, "rport", &via->rport);
	return 0;
}
