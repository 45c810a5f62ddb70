/*
 * session.h - the call-handling commands of rtpengine's ng protocol
 * (offer, answer, delete, query) on top of the media engine, for plain RTP
 * and for bridging a WebRTC side (ICE-lite, DTLS-SRTP) to a plain one, as
 * Kamailio's WebRTC configs use rtpengine, and for SDES-SRTP (RTP/SAVP
 * with a=crypto) towards a phone (see ng_webrtc.h).
 *
 * Model. A call is keyed by its SIP Call-ID. It has two legs: A, the party
 * named by the from-tag of the first offer, and B, named by the to-tag of
 * the first answer. Each RTP m= line of the offer is a stream: one engine
 * endpoint facing A, one facing B, bridged. m= lines are matched by their
 * index, as offer/answer requires. Non-RTP m= lines (T.38, data channels)
 * and disabled ones (port 0) pass through untouched and unrelayed.
 *
 * Both offer and answer do the same thing to the side that sent the SDP
 * (the from-tag's leg for an offer, the to-tag's for an answer): its SDP
 * sets the remote address of the endpoints facing it, and the SDP is
 * rewritten to name the endpoints facing the other side, which receives
 * it. An offer also creates the streams it lacks, so a re-offer (re-INVITE)
 * from either leg keeps the ports already handed out.
 *
 * Rewriting changes: c= lines (session and media level) to the
 * advertised address, the m= port, the a=rtcp port and address, and the
 * o= address when the request's "replace" holds "origin"; and, when the
 * request's transport-protocol, ICE or DTLS call for it (or an answer goes
 * to a WebRTC or SDES offerer), the proto with ICE, DTLS and a=crypto of the
 * relayed m= lines, as ng_webrtc.h says. Everything else is printed back
 * as it was parsed (see sdp.h for the canonical order).
 * A side whose SDP says sendonly, inactive or c=0.0.0.0 is put on hold:
 * nothing is forwarded toward it.
 *
 * The advertised address: the configured one; else the engine's bind
 * address when it is not a wildcard; else the local address the kernel
 * would send from towards the request's "received-from" (the SIP peer, so
 * the interface facing it, on a multi-homed host too); else 127.0.0.1.
 * When that address is not of the family the engine binds (a browser that
 * reached us over IPv6, the relay on IPv4): loopback of the engine's
 * family for a loopback peer, else the first interface address of that
 * family that is neither loopback nor link-local. "received-from" itself
 * is never advertised: it is the peer's address, not ours.
 *
 * Timeout. The controller may never send delete (a lost BYE, a crashed
 * proxy), so, like rtpengine's `timeout` option, a call whose media has
 * stopped is deleted by itself: a loop timer every timeout / 2 (at most
 * 10 s, at least 1 s) asks the engine for each call's statistics and
 * deletes the calls it reports timed out, i.e. that received no datagram
 * at all, on any endpoint, for `timeout` (counted from the call's creation
 * when none ever came), and had no offer or answer for as long either.
 * Every datagram counts, RTCP too, so a call on hold
 * lives on as long as either phone still sends its RTCP reports - which
 * is what rtpengine does as well (its separate silent-timeout is not
 * implemented). A call so deleted is logged ("no media for N s") and gets
 * "Unknown call-id" afterwards, as after a delete.
 *
 * The ng commands append one whole reply datagram to out. Control thread
 * only (the engine's rule).
 *
 * rtcbridge's own proxy anchors the media of its calls with the same
 * model (router/anchor.c): ng_calls_sdp() is offer or answer without the
 * ng envelope, the recipient's address standing in for received-from.
 */
#ifndef RTCB_SESSION_SESSION_H
#define RTCB_SESSION_SESSION_H

#include "core/mbuf.h"
#include "core/netaddr.h"
#include "ng/ng.h"

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct media_engine;
struct ng_calls;

/* advertised: family 0 (len 0) when it is to be chosen per request, as
 * above. bind: the engine's IPv4 or IPv6 bind address. Endpoints are
 * opened in the family of the advertised address. timeout_ms: the
 * engine's timeout (media_engine_settings), after which a call without
 * media is deleted as above; 0 never deletes one, and then loop (where
 * the sweep timer runs) may be NULL. */
int ng_calls_create(struct ng_calls **callsp, struct media_engine *engine, struct loop *loop,
		    uint32_t timeout_ms, const struct netaddr *advertised,
		    const struct netaddr *bind);
/* Deletes every call. NULL is fine. */
void ng_calls_destroy(struct ng_calls *calls);

void ng_calls_offer(struct ng_calls *calls, const struct ng_message *msg,
		    const struct ng_request *req, struct mbuf *out);
void ng_calls_answer(struct ng_calls *calls, const struct ng_message *msg,
		     const struct ng_request *req, struct mbuf *out);
/* Offer (offer true) or answer for req: the rewritten SDP is appended to
 * sdp_out. toward: the address the SDP goes to (for choosing the
 * advertised address as received-from would), NULL to use req's
 * received-from. 0, or an errno with *reason the ng error text ("Unknown
 * call-id", "Failed to parse SDP", "Ran out of ports"...). */
int ng_calls_sdp(struct ng_calls *calls, const struct ng_request *req, bool offer,
		 const struct netaddr *toward, struct mbuf *sdp_out, const char **reason);
/* Is there a call with this Call-ID? */
bool ng_calls_has(struct ng_calls *calls, struct slice call_id);
/* Delete the call with this Call-ID, when there is one. */
void ng_calls_remove(struct ng_calls *calls, struct slice call_id);

/* "PCMU/8000", "opus/48000/2": room to spare */
#define NG_CODEC_NAME_MAX 40

/* What ng_calls_quality() reads of one leg: the endpoint facing it. */
struct ng_leg_quality {
	const char *tag;                    /* the leg's tag, NULL until known */
	uint16_t local_port;                /* the relay's RTP port facing the leg */
	char remote[NETADDR_STRLEN];        /* where media goes ("" before it is known) */
	uint64_t packets_received, bytes_received, packets_sent, bytes_sent;
	int64_t lost;                       /* RFC 3550 cumulative loss of what it sent */
	double jitter_ms;
	double rtt_ms;                      /* relay <-> the leg's phone; 0: not known */
	double mos;                         /* E-model estimate; 0 before media */
	bool secure;                        /* SRTP keys in place (DTLS or SDES) */
};

struct ng_call_quality {
	int64_t created;                    /* Unix seconds */
	uint64_t idle_ms;                   /* since the last packet, any endpoint */
	char codec[NG_CODEC_NAME_MAX];      /* first codec of the last answer */
	struct ng_leg_quality leg[2];       /* A (the first offerer), B */
};

/* The first relayed stream's quality, as the engine counts it now (one
 * synchronous engine command). tag pointers live as long as the call.
 * 0, ENOENT without such a call, or the engine's error. */
int ng_calls_quality(struct ng_calls *calls, struct slice call_id, struct ng_call_quality *q);

void ng_calls_delete(struct ng_calls *calls, const struct ng_message *msg,
		     const struct ng_request *req, struct mbuf *out);
/*
 * The reply to "query", shaped like rtpengine's where the names overlap:
 *   result "ok", created (Unix seconds),
 *   totals: { RTP: { packets, bytes, errors } }  summed over every endpoint;
 *           packets and bytes count every datagram received (RTP and RTCP),
 *           errors the datagrams the kernel refused to send
 *   streams: a list, one dictionary per endpoint:
 *     { leg "A"|"B", tag, index (of the m= line), "local port",
 *       "remote" ("addr:port", or "" before the address is known),
 *       packets, bytes (received), "packets sent", "bytes sent",
 *       lost, jitter (ms, rounded), RTT (ms between the relay and that
 *       leg's phone, from its RTCP; 0 when not known), MOS (x10 as
 *       rtpengine does: 43 = 4.3; 0 before media) }
 */
void ng_calls_query(struct ng_calls *calls, const struct ng_message *msg,
		    const struct ng_request *req, struct mbuf *out);

#endif
