/*
 * parse.h - private to src/sdp: what the line parser (parse.c) and the
 * attribute parser (attr.c) share: splitting values into fields, strict
 * numbers, and the entry point of attr.c.
 *
 * Fields are separated by runs of spaces or tabs; RFC 8866 asks for single
 * spaces, but peers that pad are common and nothing is ambiguous about it.
 */
#ifndef RTCB_SDP_PARSE_H
#define RTCB_SDP_PARSE_H

#include "sdp/sdp.h"

#include <errno.h>

#define SDP_STR(x) #x
#define SDP_XSTR(x) SDP_STR(x)

static inline bool sdp_is_space(char c)
{
	return c == ' ' || c == '\t';
}

static inline struct slice sdp_skip_space(struct slice s)
{
	while (s.len && sdp_is_space(s.p[0])) {
		s.p++;
		s.len--;
	}
	return s;
}

/* The next field of *rest, which moves past it; an empty slice when there
 * is none left. */
static inline struct slice sdp_next_field(struct slice *rest)
{
	struct slice s = sdp_skip_space(*rest);
	size_t n = 0;
	while (n < s.len && !sdp_is_space(s.p[n]))
		n++;
	*rest = slice_make(s.p + n, s.len - n);
	return slice_make(s.p, n);
}

/* Plain decimal digits with a value of at most max: 0, EINVAL (not a
 * number), ERANGE (too large). */
static inline int sdp_number(struct slice s, uint64_t max, uint64_t *out)
{
	int rc = slice_to_u64(s, out);
	if (rc == 0 && *out > max)
		rc = ERANGE;
	return rc;
}

/* Attribute parsers: the attribute was taken into a typed field, is to be
 * kept as an unknown attribute, or is refused (reason set). */
enum sdp_attr_result {
	SDP_ATTR_DONE,
	SDP_ATTR_UNKNOWN,
	SDP_ATTR_ERROR,
};

/* attr.c: one a= line at session level (m == NULL) or in media m. */
enum sdp_attr_result sdp_attr_parse(struct sdp_session *s, struct sdp_media *m, struct slice name,
				    struct slice value, const char **reason);

#endif
