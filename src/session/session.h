/*
 * session.h - the call model: calls whose media the relay carries, each
 * with two legs, offer/answer in and out as parsed SDP, per-leg transport
 * profiles, statistics, hold and delete. The proxy (proxy/anchor.c) and
 * the ng protocol (ng/server.c) drive it; the PBX will. It asks the media
 * engine (media/engine.h) for endpoints and never prints SIP or bencode.
 *
 * Model. A call is keyed by its SIP Call-ID. It has two legs: A, the party
 * named by the tag of the first offer, and B, named by the tag of the
 * first answer. Each RTP m= line of the offer is a stream: one engine
 * endpoint facing A, one facing B, bridged. m= lines are matched by their
 * index, as offer/answer requires. Non-RTP m= lines (T.38, data channels)
 * and disabled ones (port 0) pass through untouched and unrelayed.
 *
 * Offer and answer do the same thing to the side that sent the SDP (the
 * leg with the request's tag): its SDP sets the remote address of the
 * endpoints facing it, and the SDP is rewritten in place to name the
 * endpoints facing the other side, which receives it. An offer also
 * creates the call and the streams it lacks, so a re-offer (re-INVITE)
 * from either leg keeps the ports already handed out; an offer with an
 * unknown tag makes its sender leg A (the caller's side forked or
 * changed), an answer with an unknown tag makes its sender leg B (another
 * branch answered).
 *
 * Rewriting changes: c= lines (session and media level) to the
 * advertised address, the m= port, the a=rtcp port and address, the o=
 * address with SESSION_REPLACE_ORIGIN; and, when the request's output
 * calls for it (or an answer goes to a WebRTC or SDES offerer), the proto
 * with ICE, DTLS and a=crypto of the relayed m= lines (profile.h).
 * Everything else is printed back as it was parsed (sdp.h). A side whose
 * SDP says sendonly, inactive or c=0.0.0.0 is put on hold: nothing is
 * forwarded toward it.
 *
 * The advertised address: the configured one; else the engine's bind
 * address when it is not a wildcard; else the local address the kernel
 * would send from towards the SDP's recipient (core/route.h: the interface
 * facing it, on a multi-homed host too); else 127.0.0.1. When that
 * address is not of the family the engine binds: route_family_address().
 * The recipient's own address is never advertised.
 *
 * Lifetime of a rewritten SDP: it points into the SDP text it was parsed
 * from, into the call (its keys and mids) and into the table (host and
 * credentials): print it before the next call into the table.
 *
 * Timeout. A controller may never delete a call (a lost BYE, a crashed
 * proxy), so, like rtpengine's `timeout` option, a table created with a
 * timeout deletes calls whose media stopped: a loop timer every
 * timeout / 2 (1 to 10 s) asks the engine for each call's statistics and
 * deletes those that received no datagram at all, on any endpoint, for
 * `timeout` (counted from the call's creation when none ever came), and
 * had no offer or answer for as long either. Every datagram counts, RTCP
 * too, so a call on hold lives on while either phone sends its reports.
 *
 * Control (signalling) thread only, as the engine's commands are.
 */
#ifndef RTCB_SESSION_SESSION_H
#define RTCB_SESSION_SESSION_H

#include "core/mbuf.h"
#include "core/netaddr.h"
#include "core/slice.h"
#include "media/engine.h"
#include "sdp/sdp.h"

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct session_table;

enum session_leg {
	SESSION_LEG_A, /* the first offerer */
	SESSION_LEG_B, /* the first answerer */
	SESSION_LEG_COUNT,
};

/* ------------------------------------------------------------ requests */

enum session_ice {
	SESSION_ICE_UNSET,  /* keep what the SDP says */
	SESSION_ICE_FORCE,  /* add our candidates (towards a browser) */
	SESSION_ICE_REMOVE, /* strip ICE (towards a plain SIP phone) */
	SESSION_ICE_OTHER,  /* anything else ng may say: treated as unset */
};

enum session_dtls {
	SESSION_DTLS_UNSET,
	SESSION_DTLS_PASSIVE, /* we wait for the peer's ClientHello */
	SESSION_DTLS_ACTIVE,
	SESSION_DTLS_OFF,     /* no DTLS-SRTP towards the recipient */
	SESSION_DTLS_OTHER,
};

/* Bits of session_output.replace */
enum {
	SESSION_REPLACE_ORIGIN = 1u << 0,             /* the o= line's address */
	SESSION_REPLACE_SESSION_CONNECTION = 1u << 1, /* c= (always done) */
};

/* Bits of session_output.rtcp_mux */
enum {
	SESSION_RTCP_MUX_OFFER = 1u << 0,   /* offer it to the recipient in any case */
	SESSION_RTCP_MUX_DEMUX = 1u << 1,   /* accept it from the sender, don't pass it on */
	SESSION_RTCP_MUX_ACCEPT = 1u << 2,  /* accept it from the sender and pass it on */
	SESSION_RTCP_MUX_REJECT = 1u << 3,  /* refuse it from the sender */
	SESSION_RTCP_MUX_REQUIRE = 1u << 4, /* offer it, as if the recipient accepted */
};

/* What the recipient of the rewritten SDP gets (profile.h has the rules). */
struct session_output {
	/* "RTP/AVP", "UDP/TLS/RTP/SAVPF", "RTP/SAVP"...; empty: see profile.h */
	struct slice transport_protocol;
	enum session_ice ice;
	enum session_dtls dtls;
	unsigned replace;  /* SESSION_REPLACE_* */
	unsigned rtcp_mux; /* SESSION_RTCP_MUX_* */
	/* An answer is made the kind its recipient offered (WebRTC, SDES or
	 * plain), and a leg that speaks SDES with us keeps it in later
	 * offers: what a B2BUA or proxy that owns both legs wants. */
	bool keep_leg_profiles;
};

/* One offer or answer. */
struct session_request {
	struct slice call_id;
	struct slice tag; /* the sender's: From tag of an offer, To tag of an answer */
	/* The recipient's address, for the advertised address; NULL: none
	 * known (then the loopback of the engine's family is advertised
	 * unless an address is configured or bound). */
	const struct netaddr *toward;
	struct session_output output;
};

/* ------------------------------------------------------------ the table */

struct session_settings {
	struct media_engine *engine;
	struct loop *loop;          /* for the timeout sweep and signalling times */
	uint32_t timeout_ms;        /* 0: calls never time out */
	struct netaddr advertised;  /* family 0: chosen per request, as above */
	struct netaddr bind;        /* the engine's bind address; endpoints are
				     * opened in the advertised address' family */
};

int session_table_create(struct session_table **tablep, const struct session_settings *settings);
/* Deletes every call. NULL is fine. */
void session_table_destroy(struct session_table *table);

/*
 * sdp: the sender's SDP, parsed (sdp_parse()), rewritten in place for the
 * recipient. 0, or an errno with *reason a short text for the controller
 * (rtpengine's words, which Kamailio logs): EINVAL "No call-id in
 * message", "No from-tag in message" (offer), "No to-tag in message"
 * (answer); ENOENT "Unknown call-id" (answer); ENOSPC "Ran out of ports";
 * others "Failed to set up the media relay". A failed offer that created
 * the call deletes it again.
 */
int session_offer(struct session_table *table, const struct session_request *req,
		  struct sdp_session *sdp, const char **reason);
int session_answer(struct session_table *table, const struct session_request *req,
		   struct sdp_session *sdp, const char **reason);

/*
 * The same for SDP as text (a SIP body, an ng request's "sdp"): parsed
 * into the table's own struct sdp_session, rewritten, printed onto out.
 * One more error: EBADMSG "Failed to parse SDP" (the parser's reason
 * logged) for text that does not parse.
 */
int session_sdp_text(struct session_table *table, const struct session_request *req, bool offer,
		     struct slice text, struct mbuf *out, const char **reason);

/* Is there a call with this Call-ID? */
bool session_exists(struct session_table *table, struct slice call_id);

/* Delete the call and release its ports. 0, or ENOENT without it. */
int session_delete(struct session_table *table, struct slice call_id);

/* Stop (hold true) or resume what the relay forwards towards the leg with
 * this tag, on every stream, whatever the SDP says (music on hold, a
 * consultation call). The next offer or answer from that leg sets it
 * from its SDP again. 0, ENOENT without the call or the tag, or the
 * engine's error. */
int session_hold(struct session_table *table, struct slice call_id, struct slice tag, bool hold);

/* ------------------------------------------------------------ statistics */

/* "PCMU/8000", "opus/48000/2": room to spare */
#define SESSION_CODEC_NAME_MAX 40

/* One leg of one stream: the endpoint facing the leg. */
struct session_leg_stats {
	const char *tag;       /* the leg's tag, NULL until known; lives with the call */
	uint16_t local_port;   /* the relay's RTP port facing the leg */
	struct media_endpoint_stats media;
};

struct session_stream_stats {
	unsigned index;                     /* of its m= line */
	char codec[SESSION_CODEC_NAME_MAX]; /* the last answer's first codec; "" before */
	struct session_leg_stats leg[SESSION_LEG_COUNT];
};

struct session_stats {
	int64_t created;  /* Unix seconds */
	uint64_t idle_ms; /* since the last packet, any endpoint (or creation) */
	unsigned stream_count;
	struct session_stream_stats streams[SDP_MAX_MEDIA]; /* in m= line order */
};

/* The call's statistics now (one synchronous engine command). 0, ENOENT
 * without the call, or the engine's error. */
int session_stats(struct session_table *table, struct slice call_id, struct session_stats *out);

#endif
