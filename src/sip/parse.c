/*
 * parse.c - SIP message framing and parsing (RFC 3261 7, 18.3, 25).
 *
 * One pass finds the end of the header section and counts its lines; the
 * message, its header array and a copy of the bytes are then allocated in
 * one block. A second pass unfolds continuation lines in place (CRLF + WSP
 * become spaces) and records each header as name/value slices. Finally the
 * headers every transaction needs (top Via, From, To, Call-ID, CSeq,
 * Max-Forwards, Content-Length) are parsed and checked.
 *
 * Errors carry the status to answer and a reason phrase that names the
 * fault ("400 Multiple Call-ID headers"). A request whose top Via parsed can
 * be answered, so the message is returned with the error; anything else is
 * dropped by the caller.
 */
#include "core/mem.h"
#include "sip/charclass.h"
#include "sip/msg.h"

#include <errno.h>
#include <stdlib.h>

/* Length of the line ending at p ("\r\n" = 2, "\n" = 1), 0 if none. */
static size_t eol_len(const char *p, const char *end)
{
	if (p < end && *p == '\n')
		return 1;
	if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
		return 2;
	return 0;
}

/*
 * Scan the header section: *hdr_end = offset just past the empty line,
 * *lines = number of lines before it. Returns false if no empty line.
 */
static bool find_header_end(const char *data, size_t len, size_t *hdr_end, size_t *lines)
{
	const char *p = data, *end = data + len;
	size_t count = 0;
	while (p < end) {
		size_t e = eol_len(p, end);
		if (e) { /* empty line */
			*hdr_end = (size_t)(p + e - data);
			*lines = count;
			return true;
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		count++;
		p = nl + 1;
	}
	*lines = count + 1;
	return false;
}

static size_t skip_leading_crlf(const char *data, size_t len)
{
	size_t i = 0;
	while (i < len && (data[i] == '\r' || data[i] == '\n'))
		i++;
	return i;
}

/* ------------------------------------------------------------ framing */

static bool is_content_length_name(struct slice name)
{
	return slice_eq_cstr_case(name, "Content-Length") || slice_eq_cstr_case(name, "l");
}

int sip_frame_length(const char *data, size_t len, size_t max_len, size_t *skip, size_t *msg_len)
{
	size_t start = skip_leading_crlf(data, len), hdr_end, lines;
	*skip = start;
	*msg_len = 0;
	if (start == len)
		return EAGAIN;
	data += start;
	len -= start;
	if (!find_header_end(data, len, &hdr_end, &lines))
		return len > max_len ? EMSGSIZE : EAGAIN;

	/* Find exactly one Content-Length among the header lines. */
	const char *p = data, *end = data + hdr_end;
	bool seen = false;
	uint32_t content_length = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		const char *colon = memchr(p, ':', (size_t)(line_end - p));
		if (colon && !sip_is_wsp(*p)) {
			struct slice name = slice_trim(slice_make(p, (size_t)(colon - p)));
			if (is_content_length_name(name)) {
				struct slice value = slice_trim(slice_make(colon + 1, (size_t)(line_end - colon - 1)));
				if (seen || slice_to_u32(value, &content_length)) {
					*msg_len = hdr_end;
					return EBADMSG;
				}
				seen = true;
			}
		}
		p = line_end + 1;
	}
	*msg_len = hdr_end;
	if (!seen)
		return EBADMSG;
	if (hdr_end + content_length > max_len)
		return EMSGSIZE;
	if (hdr_end + content_length > len)
		return EAGAIN;
	*msg_len = hdr_end + content_length;
	return 0;
}

/* ------------------------------------------------------------ headers */

struct sip_header *sip_msg_header(const struct sip_msg *msg, enum sip_header_id id)
{
	return msg->first[id];
}

struct sip_header *sip_msg_header_next(const struct sip_msg *msg, const struct sip_header *after)
{
	for (const struct sip_header *h = after + 1; h < msg->headers + msg->header_count; h++)
		if (h->id == after->id &&
		    (h->id != SIP_HDR_OTHER || slice_eq_case(h->name, after->name)))
			return (struct sip_header *)h;
	return NULL;
}

struct sip_header *sip_msg_header_by_name(const struct sip_msg *msg, const char *name)
{
	for (size_t i = 0; i < msg->header_count; i++)
		if (slice_eq_cstr_case(msg->headers[i].name, name))
			return &msg->headers[i];
	return NULL;
}

void sip_value_iter_init(struct sip_value_iter *it, const struct sip_msg *msg, enum sip_header_id id)
{
	it->msg = msg;
	it->hdr = msg->first[id];
	it->rest = it->hdr ? it->hdr->value : SLICE_NULL;
}

bool sip_value_iter_next(struct sip_value_iter *it, struct slice *value)
{
	while (it->hdr) {
		if (sip_value_next(&it->rest, value))
			return true;
		it->hdr = sip_msg_header_next(it->msg, it->hdr);
		it->rest = it->hdr ? it->hdr->value : SLICE_NULL;
	}
	return false;
}

/* ------------------------------------------------------------ parsing */

static void fail(struct sip_parse_error *err, uint16_t status, const char *reason)
{
	if (err->status == 0) {
		err->status = status;
		err->reason = reason;
	}
}

static void msg_destroy(void *obj)
{
	struct sip_msg *msg = obj;
	mem_deref(msg->src.conn);
}

/* SIP-Version = "SIP/" 1*DIGIT "." 1*DIGIT */
static int check_version(struct slice v, struct sip_parse_error *err)
{
	if (slice_eq_cstr(v, "SIP/2.0"))
		return 0;
	if (slice_starts_with_case(v, "SIP/") && v.len > 4) {
		bool looks_like_version = true;
		for (size_t i = 4; i < v.len; i++)
			if (!((v.p[i] >= '0' && v.p[i] <= '9') || v.p[i] == '.'))
				looks_like_version = false;
		if (looks_like_version) {
			fail(err, 505, "Version Not Supported");
			return EPROTONOSUPPORT;
		}
	}
	fail(err, 400, "Malformed SIP version");
	return EINVAL;
}

static int parse_start_line(struct sip_msg *msg, struct slice line, struct sip_parse_error *err)
{
	const char *p = line.p, *end = line.p + line.len;
	if (slice_starts_with_case(line, "SIP/")) {
		/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase */
		const char *sp = memchr(p, ' ', line.len);
		if (!sp)
			return EINVAL;
		msg->version = slice_make(p, (size_t)(sp - p));
		if (!slice_eq_cstr(msg->version, "SIP/2.0"))
			return EINVAL;
		const char *code = sp + 1, *q = code;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q - code != 3 || (q < end && *q != ' '))
			return EINVAL;
		msg->status = (uint16_t)((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
		if (msg->status < 100 || msg->status > 699)
			return EINVAL;
		msg->reason = q < end ? slice_make(q + 1, (size_t)(end - q - 1)) : slice_make(q, 0);
		return 0;
	}

	/* Request-Line = Method SP Request-URI SP SIP-Version, single spaces */
	msg->is_request = true;
	const char *sp1 = memchr(p, ' ', line.len);
	if (!sp1 || sp1 == p) {
		fail(err, 400, "Malformed Request-Line");
		return EINVAL;
	}
	msg->method = slice_make(p, (size_t)(sp1 - p));
	for (size_t i = 0; i < msg->method.len; i++) {
		if (!sip_is_token(msg->method.p[i])) {
			fail(err, 400, "Malformed method");
			return EINVAL;
		}
	}
	msg->method_id = sip_method_of(msg->method);
	const char *uri_start = sp1 + 1;
	const char *sp2 = memchr(uri_start, ' ', (size_t)(end - uri_start));
	if (!sp2 || sp2 == uri_start) {
		fail(err, 400, "Malformed Request-Line");
		return EINVAL;
	}
	msg->version = slice_make(sp2 + 1, (size_t)(end - sp2 - 1));
	if (memchr(msg->version.p, ' ', msg->version.len) || msg->version.len == 0) {
		fail(err, 400, "Malformed Request-Line");
		return EINVAL;
	}
	if (check_version(msg->version, err))
		return EINVAL;
	struct slice uri = slice_make(uri_start, (size_t)(sp2 - uri_start));
	if (sip_uri_parse(uri, &msg->ruri)) {
		fail(err, 400, "Malformed Request-URI");
		return EINVAL;
	}
	if (slice_is_set(msg->ruri.headers)) {
		fail(err, 400, "Headers not allowed in Request-URI");
		return EINVAL;
	}
	return 0;
}

/* Split the header block into headers, unfolding continuation lines. */
static int split_headers(struct sip_msg *msg, char *p, char *end, struct sip_parse_error *err)
{
	while (p < end) {
		if (eol_len(p, end)) /* the empty line */
			break;
		char *line_start = p;
		char *nl;
		for (;;) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl) {
				nl = end;
				break;
			}
			if (nl + 1 < end && sip_is_wsp(nl[1])) {
				*nl = ' ';
				if (nl > line_start && nl[-1] == '\r')
					nl[-1] = ' ';
				p = nl + 1;
				continue;
			}
			break;
		}
		char *line_end = (nl > line_start && nl[-1] == '\r') ? nl - 1 : nl;
		p = nl < end ? nl + 1 : end;

		struct slice line = slice_make(line_start, (size_t)(line_end - line_start));
		long colon = slice_index(line, ':');
		if (colon <= 0 || sip_is_wsp(line.p[0])) {
			fail(err, 400, "Malformed header line");
			continue;
		}
		struct slice name = slice_trim(slice_make(line.p, (size_t)colon));
		bool name_ok = name.len > 0;
		for (size_t i = 0; i < name.len; i++)
			if (!sip_is_token(name.p[i]))
				name_ok = false;
		if (!name_ok) {
			fail(err, 400, "Malformed header name");
			continue;
		}
		if (msg->header_count == msg->header_cap)
			return ENOMEM; /* cannot happen: capacity is the line count */
		struct sip_header *h = &msg->headers[msg->header_count++];
		h->name = name;
		h->value = slice_trim(slice_make(line.p + colon + 1, line.len - (size_t)colon - 1));
		h->id = sip_header_id_of(name);
		if (!msg->first[h->id])
			msg->first[h->id] = h;
	}
	return 0;
}

static bool single(struct sip_msg *msg, enum sip_header_id id)
{
	struct sip_header *h = msg->first[id];
	if (!h)
		return true;
	if (sip_msg_header_next(msg, h))
		return false;
	/* "Call-ID: a, b" is two values in one line */
	struct slice rest = h->value, v;
	int values = 0;
	if (id == SIP_HDR_FROM || id == SIP_HDR_TO || id == SIP_HDR_CONTENT_LENGTH ||
	    id == SIP_HDR_MAX_FORWARDS)
		while (sip_value_next(&rest, &v))
			values++;
	return values <= 1;
}

static void check_single_headers(struct sip_msg *msg, struct sip_parse_error *err)
{
	static const struct {
		enum sip_header_id id;
		const char *reason;
	} singles[] = {
		{ SIP_HDR_CALL_ID, "Multiple Call-ID headers" },
		{ SIP_HDR_FROM, "Multiple From headers" },
		{ SIP_HDR_TO, "Multiple To headers" },
		{ SIP_HDR_CSEQ, "Multiple CSeq headers" },
		{ SIP_HDR_MAX_FORWARDS, "Multiple Max-Forwards headers" },
		{ SIP_HDR_CONTENT_LENGTH, "Multiple Content-Length headers" },
	};
	for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++)
		if (!single(msg, singles[i].id))
			fail(err, 400, singles[i].reason);
}

/* CSeq = 1*DIGIT LWS Method */
static void parse_cseq(struct sip_msg *msg, struct sip_parse_error *err)
{
	struct sip_header *h = msg->first[SIP_HDR_CSEQ];
	if (!h) {
		fail(err, 400, "Missing CSeq header");
		return;
	}
	const char *p = h->value.p, *end = p + h->value.len;
	const char *num_start = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	int rc = slice_to_u32(slice_make(num_start, (size_t)(p - num_start)), &msg->cseq);
	if (rc == ERANGE) {
		fail(err, 400, "CSeq number out of range");
		return;
	}
	if (rc || p == end || !sip_is_lws(*p)) {
		fail(err, 400, "Malformed CSeq header");
		return;
	}
	while (p < end && sip_is_lws(*p))
		p++;
	msg->cseq_method = slice_make(p, (size_t)(end - p));
	for (size_t i = 0; i < msg->cseq_method.len; i++) {
		if (!sip_is_token(msg->cseq_method.p[i])) {
			fail(err, 400, "Malformed CSeq header");
			return;
		}
	}
	if (msg->cseq_method.len == 0) {
		fail(err, 400, "Malformed CSeq header");
		return;
	}
	msg->cseq_method_id = sip_method_of(msg->cseq_method);
	if (msg->is_request && !slice_eq(msg->cseq_method, msg->method)) {
		fail(err, msg->method_id == SIP_METHOD_UNKNOWN ? 501 : 400,
		     msg->method_id == SIP_METHOD_UNKNOWN ? "Not Implemented"
							  : "CSeq method does not match the request method");
	}
}

static void parse_scalars(struct sip_msg *msg, struct sip_parse_error *err)
{
	uint32_t v;
	msg->max_forwards = -1;
	msg->expires = -1;
	msg->content_length = -1;
	struct sip_header *h = msg->first[SIP_HDR_MAX_FORWARDS];
	if (h) {
		int rc = slice_to_u32(h->value, &v);
		if (rc == EINVAL)
			fail(err, 400, "Malformed Max-Forwards header");
		else if (rc == 0 && v <= 255)
			msg->max_forwards = (int)v;
		/* an overlarge value is treated as absent (RFC 4475 3.1.2.4) */
	}
	h = msg->first[SIP_HDR_EXPIRES];
	if (h && slice_to_u32(h->value, &v) == 0)
		msg->expires = v; /* unparseable or overlarge: default applies */
	h = msg->first[SIP_HDR_CONTENT_LENGTH];
	if (h) {
		if (slice_to_u32(h->value, &v) != 0)
			fail(err, 400, "Malformed Content-Length header");
		else
			msg->content_length = (long)v;
	}
}

static void parse_essentials(struct sip_msg *msg, struct sip_parse_error *err)
{
	struct sip_header *via = msg->first[SIP_HDR_VIA];
	if (!via) {
		fail(err, 400, "Missing Via header");
	} else {
		struct slice rest = via->value, top;
		if (!sip_value_next(&rest, &top) || sip_via_parse(top, &msg->via))
			fail(err, 400, "Malformed Via header");
	}
	if (!msg->first[SIP_HDR_FROM])
		fail(err, 400, "Missing From header");
	else if (sip_addr_parse(msg->first[SIP_HDR_FROM]->value, &msg->from))
		fail(err, 400, "Malformed From header");
	if (!msg->first[SIP_HDR_TO])
		fail(err, 400, "Missing To header");
	else if (sip_addr_parse(msg->first[SIP_HDR_TO]->value, &msg->to))
		fail(err, 400, "Malformed To header");
	if (!msg->first[SIP_HDR_CALL_ID] || msg->first[SIP_HDR_CALL_ID]->value.len == 0)
		fail(err, 400, "Missing Call-ID header");
	else
		msg->call_id = msg->first[SIP_HDR_CALL_ID]->value;
	check_single_headers(msg, err);
	parse_cseq(msg, err);
	parse_scalars(msg, err);
}

int sip_msg_parse(struct sip_msg **msgp, const char *data, size_t len, bool stream,
		  struct sip_parse_error *err)
{
	size_t hdr_end, lines;
	*msgp = NULL;
	err->status = 0;
	err->reason = NULL;

	size_t lead = skip_leading_crlf(data, len);
	data += lead;
	len -= lead;
	if (len == 0)
		return ENODATA; /* keep-alive */
	if (!find_header_end(data, len, &hdr_end, &lines))
		hdr_end = len; /* tolerate a datagram without the empty line */

	struct sip_msg *msg = mem_alloc(sizeof(*msg) + lines * sizeof(struct sip_header) + len + 1,
					msg_destroy);
	if (!msg)
		return ENOMEM;
	msg->headers = (struct sip_header *)(msg + 1);
	msg->header_cap = lines;
	msg->buf = (char *)(msg->headers + lines);
	memcpy(msg->buf, data, len);
	msg->buf[len] = '\0';
	msg->len = len;

	char *p = msg->buf, *end = msg->buf + hdr_end;
	char *nl = memchr(p, '\n', hdr_end);
	char *line_end = nl ? nl : end;
	struct slice start_line = slice_make(p, (size_t)(line_end - p));
	if (start_line.len && start_line.p[start_line.len - 1] == '\r')
		start_line.len--;
	if (parse_start_line(msg, start_line, err)) {
		if (!msg->is_request || err->status == 0)
			goto drop; /* broken responses are dropped, never answered */
	}
	if (split_headers(msg, nl ? nl + 1 : end, end, err))
		goto drop;
	parse_essentials(msg, err);

	/* Body: exactly Content-Length bytes (RFC 3261 18.3). */
	size_t available = len - hdr_end;
	if (msg->content_length >= 0) {
		if ((size_t)msg->content_length > available) {
			fail(err, 400, "Content-Length larger than the message");
			msg->body = slice_make(msg->buf + hdr_end, available);
		} else {
			msg->body = slice_make(msg->buf + hdr_end, (size_t)msg->content_length);
		}
	} else if (stream) {
		fail(err, 400, "Missing Content-Length header");
	} else {
		msg->body = slice_make(msg->buf + hdr_end, available);
	}

	if (err->status == 0) {
		*msgp = msg;
		return 0;
	}
	if (msg->is_request && msg->via.host.len) {
		*msgp = msg; /* answerable */
		return EBADMSG;
	}
drop:
	if (err->status == 0)
		fail(err, 400, "Malformed message");
	mem_deref(msg);
	return EBADMSG;
}
