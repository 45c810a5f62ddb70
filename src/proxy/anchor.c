/*
 * anchor.c - media anchoring of proxied calls (policy in anchor.h).
 *
 * A thin layer on an ng_calls table of its own: each SIP message with SDP
 * becomes the struct ng_request Kamailio's rtpengine module would have
 * sent for it (call-id, tags, the SDP, the flags for the recipient), and
 * the rewritten SDP comes back. The table owns the calls and their engine
 * endpoints; the anchor owns the table.
 */
#include "proxy/anchor.h"

#include "core/log.h"
#include "core/mem.h"
#include "session/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct anchor {
	enum anchor_mode mode;
	struct ng_calls *calls;
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
	anchor->mode = settings->mode;
	/* no sweep of its own: the call list times calls out (calls.h), after
	 * reading their quality for the CDR, and never while they ring */
	if ((err = ng_calls_create(&anchor->calls, engine, loop, 0, &settings->advertised,
				   &settings->bind))) {
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
	ng_calls_destroy(anchor->calls);
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
	return anchor && ng_calls_has(anchor->calls, call_id);
}

int anchor_rewrite(struct anchor *anchor, const struct sip_msg *msg, bool offer,
		   enum sip_transport_type to, const struct netaddr *to_addr, struct mbuf *body,
		   const char **reason)
{
	struct slice sender_tag = msg->is_request ? msg->from.tag : msg->to.tag;
	struct ng_request req;

	memset(&req, 0, sizeof(req));
	req.call_id = msg->call_id;
	req.sdp = msg->body;
	if (offer)
		req.from_tag = sender_tag;
	else
		req.to_tag = sender_tag;
	req.keep_leg_profiles = true;
	if (!offer) {
		/* the kind the recipient offered */
	} else if (is_browser(to)) {
		req.transport_protocol = SLICE_LIT("UDP/TLS/RTP/SAVPF");
	} else {
		req.transport_protocol = SLICE_LIT("RTP/AVP");
		if (sender_is_webrtc(msg))
			req.rtcp_mux = NG_RTCP_MUX_DEMUX;
	}
	return ng_calls_sdp(anchor->calls, &req, offer, to_addr, body, reason);
}

int anchor_quality(struct anchor *anchor, struct slice call_id, struct ng_call_quality *q)
{
	return anchor ? ng_calls_quality(anchor->calls, call_id, q) : ENOENT;
}

void anchor_end(struct anchor *anchor, struct slice call_id)
{
	if (anchor)
		ng_calls_remove(anchor->calls, call_id);
}
