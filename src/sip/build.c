/*
 * build.c - response, ACK and CANCEL construction.
 *
 * Everything copied from a request is copied as received (header values
 * are slices of the request buffer), with compact names expanded, so a
 * response always carries the exact From/To/Call-ID/CSeq the client sent.
 */
#include "sip/build.h"

#include "core/netaddr.h"

#include <stdio.h>

void sip_build_header(struct mbuf *out, const struct sip_header *h)
{
	if (h->id != SIP_HDR_OTHER)
		mbuf_append_str(out, sip_header_name(h->id));
	else
		mbuf_append_slice(out, h->name);
	mbuf_append(out, ": ", 2);
	mbuf_append_slice(out, h->value);
	mbuf_append(out, "\r\n", 2);
}

/* Append the Via params except received/rport, which we rewrite. */
static void append_via_params(struct mbuf *out, struct slice params)
{
	struct slice rest = params;
	while (rest.len) {
		/* cut at the next ';' outside quotes */
		size_t i = 1;
		bool quoted = false;
		while (i < rest.len && (quoted || rest.p[i] != ';')) {
			if (rest.p[i] == '"')
				quoted = !quoted;
			i++;
		}
		struct slice param = slice_trim(slice_make(rest.p + 1, i - 1));
		rest = slice_make(rest.p + i, rest.len - i);
		struct slice name = param;
		long eq = slice_index(param, '=');
		if (eq >= 0)
			name = slice_trim(slice_make(param.p, (size_t)eq));
		if (slice_eq_cstr_case(name, "received") || slice_eq_cstr_case(name, "rport"))
			continue;
		mbuf_append(out, ";", 1);
		mbuf_append_slice(out, param);
	}
}

void sip_build_top_via(struct mbuf *out, const struct sip_msg *req)
{
	const struct sip_via *via = &req->via;
	char host[NETADDR_STRLEN];
	netaddr_host_str(&req->src.remote, host, sizeof(host));
	mbuf_append_str(out, "SIP/2.0/");
	mbuf_append_slice(out, via->transport);
	mbuf_append(out, " ", 1);
	mbuf_append_slice(out, via->host);
	if (via->port)
		mbuf_printf(out, ":%u", via->port);
	append_via_params(out, via->params);
	/* received is always set: it costs little and saves the next hop a DNS lookup */
	mbuf_printf(out, ";received=%s", host);
	if (via->has_rport)
		mbuf_printf(out, ";rport=%u", netaddr_port(&req->src.remote));
}

void sip_build_via_lines(struct mbuf *out, const struct sip_msg *req)
{
	bool top_done = false;
	for (const struct sip_header *h = req->first[SIP_HDR_VIA]; h; h = sip_msg_header_next(req, h)) {
		struct slice rest = h->value, value;
		while (sip_value_next(&rest, &value)) {
			mbuf_append_str(out, "Via: ");
			if (!top_done && req->src.remote.len)
				sip_build_top_via(out, req);
			else
				mbuf_append_slice(out, value);
			mbuf_append(out, "\r\n", 2);
			top_done = true;
		}
	}
}

void sip_build_response(struct mbuf *out, const struct sip_msg *req, uint16_t status,
			const char *reason, const char *to_tag, const char *extra_headers,
			struct slice content_type, struct slice body)
{
	mbuf_printf(out, "SIP/2.0 %u %s\r\n", status, reason ? reason : sip_reason_phrase(status));
	sip_build_via_lines(out, req);
	static const enum sip_header_id copied[] = { SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_CALL_ID,
						     SIP_HDR_CSEQ };
	for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
		const struct sip_header *h = req->first[copied[i]];
		if (!h)
			continue;
		sip_build_header(out, h);
		if (copied[i] == SIP_HDR_TO && status > 100 && to_tag && to_tag[0] &&
		    !slice_is_set(req->to.tag)) {
			out->len -= 2; /* before the CRLF */
			mbuf_printf(out, ";tag=%s\r\n", to_tag);
		}
	}
	if (extra_headers)
		mbuf_append_str(out, extra_headers);
	mbuf_printf(out, "Server: %s\r\n", sip_agent());
	if (body.len)
		mbuf_printf(out, "Content-Type: %.*s\r\n", SLICE_FMT(content_type));
	mbuf_printf(out, "Content-Length: %zu\r\n\r\n", body.len);
	mbuf_append_slice(out, body);
}

static void build_in_transaction(struct mbuf *out, const char *method, const struct sip_msg *req,
				 const struct sip_header *to)
{
	struct slice top_via, rest = req->first[SIP_HDR_VIA]->value;
	sip_value_next(&rest, &top_via);
	mbuf_printf(out, "%s %.*s SIP/2.0\r\n", method, SLICE_FMT(req->ruri.raw));
	mbuf_printf(out, "Via: %.*s\r\n", SLICE_FMT(top_via));
	for (const struct sip_header *h = req->first[SIP_HDR_ROUTE]; h; h = sip_msg_header_next(req, h))
		sip_build_header(out, h);
	mbuf_append_str(out, "Max-Forwards: 70\r\n");
	sip_build_header(out, req->first[SIP_HDR_FROM]);
	sip_build_header(out, to);
	sip_build_header(out, req->first[SIP_HDR_CALL_ID]);
	mbuf_printf(out, "CSeq: %u %s\r\n", req->cseq, method);
	mbuf_printf(out, "User-Agent: %s\r\nContent-Length: 0\r\n\r\n", sip_agent());
}

void sip_build_ack(struct mbuf *out, const struct sip_msg *req, const struct sip_msg *resp)
{
	const struct sip_header *to = resp->first[SIP_HDR_TO] ? resp->first[SIP_HDR_TO]
							      : req->first[SIP_HDR_TO];
	build_in_transaction(out, "ACK", req, to);
}

void sip_build_cancel(struct mbuf *out, const struct sip_msg *req)
{
	build_in_transaction(out, "CANCEL", req, req->first[SIP_HDR_TO]);
}
