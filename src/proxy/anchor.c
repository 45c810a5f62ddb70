/*
 * anchor.c - media anchoring of proxied calls (policy in anchor.h).
 *
 * A thin layer on a call table of its own (session/session.h): each SIP
 * message with SDP becomes an offer or answer of the call model (call-id,
 * the sender's tag, the parsed SDP, the profile for the recipient), and
 * the rewritten SDP comes back. The table owns the calls and their engine
 * endpoints; the anchor owns the table.
 */
#include "proxy/anchor.h"

#include "session/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct anchor {
	enum anchor_mode mode;
	struct session_table *calls;
};

int anchor_mode_parse(const char *text, enum anchor_mode *mode)
{
	if (!strcmp(text, "auto"))
		*mode = ANCHOR_AUTO;
	else if (!strcmp(text, "always"))
		*mode = ANCHOR_ALWAYS;
	else if (!strcmp(text, "never"))
		*mode = ANCHOR_NEVER;
	else
		return EINVAL;
	return 0;
}

int anchor_create(struct anchor **anchorp, struct media_engine *engine, struct loop *loop,
		  const struct anchor_settings *settings)
{
	struct anchor *anchor = calloc(1, sizeof(*anchor));
	int err;

	if (!anchor)
		return ENOMEM;
	/* no sweep of its own (timeout 0): the call list times calls out
	 * (calls.h), after reading their quality for the CDR, and never while
	 * they ring */
	struct session_settings ss = {
		.engine = engine,
		.loop = loop,
		.advertised = settings->advertised,
		.bind = settings->bind,
	};

	anchor->mode = settings->mode;
	if ((err = session_table_create(&anchor->calls, &ss))) {
		free(anchor);
		return err;
	}
	*anchorp = anchor;
	return 0;
}

void anchor_destroy(struct anchor *anchor)
{
	if (!anchor)
		return;
	session_table_destroy(anchor->calls);
	free(anchor);
}

bool anchor_has_sdp(const struct sip_msg *msg)
{
	const struct sip_header *type = msg->first[SIP_HDR_CONTENT_TYPE];

	return msg->body.len && type && slice_starts_with_case(type->value, "application/sdp");
}

static bool is_browser(enum sip_transport_type t)
{
	return t == SIP_TRANSPORT_WS || t == SIP_TRANSPORT_WSS;
}

/* The sender speaks WebRTC: its SDP says so, or, without one, it is a
 * browser. */
static bool sender_is_webrtc(const struct sip_msg *msg)
{
	if (anchor_has_sdp(msg))
		return slice_contains_case(msg->body, "UDP/TLS/RTP/SAVP");
	return is_browser(msg->src.transport);
}

bool anchor_wanted(const struct anchor *anchor, const struct sip_msg *req,
		   enum sip_transport_type to)
{
	if (!anchor || anchor->mode == ANCHOR_NEVER)
		return false;
	return anchor->mode == ANCHOR_ALWAYS || sender_is_webrtc(req) != is_browser(to);
}

bool anchor_active(const struct anchor *anchor, struct slice call_id)
{
	return anchor && session_exists(anchor->calls, call_id);
}

int anchor_rewrite(struct anchor *anchor, const struct sip_msg *msg, bool offer,
		   enum sip_transport_type to, const struct netaddr *to_addr, struct mbuf *body,
		   const char **reason)
{
	struct session_request req = {
		.call_id = msg->call_id,
		.tag = msg->is_request ? msg->from.tag : msg->to.tag, /* the sender's */
		.toward = to_addr,
		.output.keep_leg_profiles = true,
	};
	if (!offer) {
		/* the kind the recipient offered */
	} else if (is_browser(to)) {
		req.output.transport_protocol = SLICE_LIT("UDP/TLS/RTP/SAVPF");
	} else {
		req.output.transport_protocol = SLICE_LIT("RTP/AVP");
		if (sender_is_webrtc(msg))
			req.output.rtcp_mux = SESSION_RTCP_MUX_DEMUX;
	}
	return session_sdp_text(anchor->calls, &req, offer, msg->body, body, reason);
}

int anchor_stats(struct anchor *anchor, struct slice call_id, struct session_stats *stats)
{
	return anchor ? session_stats(anchor->calls, call_id, stats) : ENOENT;
}

void anchor_end(struct anchor *anchor, struct slice call_id)
{
	if (anchor)
		session_delete(anchor->calls, call_id);
}
