/*
 * anchor.h - media anchoring of the calls rtcbridge itself proxies: the
 * policy of when media goes through the relay, and the SDP rewriting of
 * each forwarded request and response, on the call model
 * (session/session.h: one call per Call-ID, legs named by their tags,
 * offer and answer).
 *
 * When. An INVITE that starts a dialog is anchored when
 *   [media] anchor = always, or
 *   anchor = auto (the default) and the two sides cannot talk directly:
 *     the caller is WebRTC (its SDP has a UDP/TLS/... m= line; without an
 *     SDP, it came over WebSocket) and a branch's callee is not a browser
 *     (not reached over WebSocket), or the other way round.
 * Browser to browser and phone to phone stay direct in auto mode. Once
 * anchored, every request and response of the dialog carrying SDP is
 * rewritten until BYE, a failed initial INVITE or the relay's timeout.
 *
 * How each SDP is rewritten depends on its recipient:
 *   an offer to a browser (reached over WS/WSS): UDP/TLS/RTP/SAVPF with
 *     ICE-lite, DTLS-SRTP and rtcp-mux (session/profile.h);
 *   an offer to anyone else: RTP/AVP, the profile every phone has (an
 *     SDES sender's a=crypto is ours to use, not passed on); from a WebRTC
 *     sender with RTCP on its own port (rtcp-mux demuxed: many phones lack
 *     it);
 *   an answer: the kind its recipient offered (WebRTC, SDES, plain), so a
 *     phone that offers SDES gets SRTP on its leg.
 * Offer or answer: an INVITE or UPDATE body is an offer, as is a response
 * body when the request had none (late offer); ACK and PRACK bodies, and
 * response bodies to a request that had one, are answers. The sender's tag
 * is the From tag of a request and the To tag of a response.
 *
 * Signalling thread only.
 */
#ifndef RTCB_PROXY_ANCHOR_H
#define RTCB_PROXY_ANCHOR_H

#include "core/mbuf.h"
#include "core/netaddr.h"
#include "sip/msg.h"

#include <stdbool.h>
#include <stdint.h>

struct anchor;
struct loop;
struct media_engine;

enum anchor_mode {
	ANCHOR_AUTO,
	ANCHOR_ALWAYS,
	ANCHOR_NEVER,
};

/* "auto", "always", "never" -> 0 and *mode; EINVAL for anything else. */
int anchor_mode_parse(const char *text, enum anchor_mode *mode);

struct anchor_settings {
	enum anchor_mode mode;
	struct netaddr advertised; /* family 0: the address facing each recipient */
	struct netaddr bind;       /* the engine's bind address */
};

int anchor_create(struct anchor **anchorp, struct media_engine *engine, struct loop *loop,
		  const struct anchor_settings *settings);
/* Deletes every anchored call. NULL is fine. */
void anchor_destroy(struct anchor *anchor);

/* Does msg carry an SDP body? */
bool anchor_has_sdp(const struct sip_msg *msg);

/* Should the dialog that the initial INVITE req starts be anchored, given
 * a branch towards transport `to`? false when anchor is NULL. */
bool anchor_wanted(const struct anchor *anchor, const struct sip_msg *req,
		   enum sip_transport_type to);

/* Is the call with this Call-ID anchored? false when anchor is NULL. */
bool anchor_active(const struct anchor *anchor, struct slice call_id);

/* Rewrite msg's SDP for its recipient, reached over transport `to` at
 * to_addr; offer as above. The new body is appended to body. 0, or an
 * errno with *reason a text for the log and the reason phrase of an error
 * response (EBADMSG: the SDP was refused). */
int anchor_rewrite(struct anchor *anchor, const struct sip_msg *msg, bool offer,
		   enum sip_transport_type to, const struct netaddr *to_addr, struct mbuf *body,
		   const char **reason);

/* The relay's view of the call now (session_stats()); ENOENT when it is
 * not anchored. */
struct session_stats;
int anchor_stats(struct anchor *anchor, struct slice call_id, struct session_stats *stats);

/* The call is over: release its ports. NULL anchor is fine. */
void anchor_end(struct anchor *anchor, struct slice call_id);

#endif
