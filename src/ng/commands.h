/*
 * commands.h - the call-handling commands of rtpengine's ng protocol
 * (offer, answer, delete, query), translated from bencode onto the call
 * model (session/session.h) and back; for plain RTP, for bridging a WebRTC
 * side (ICE-lite, DTLS-SRTP) to a plain one as Kamailio's WebRTC configs
 * use rtpengine, and for SDES-SRTP (RTP/SAVP with a=crypto) towards a
 * phone (session/profile.h). No call state here: the table holds it.
 *
 * offer and answer: call-id, the sender's tag (from-tag for an offer,
 * to-tag for an answer) and the SDP go to session_offer()/session_answer()
 * with the typed flags (ng_request.output); "received-from" (["IP4",
 * "192.0.2.1"]), the SIP peer the SDP goes to, chooses the advertised
 * address. The reply carries the rewritten SDP.
 *
 * Each appends one whole reply datagram to out. Control thread only.
 */
#ifndef RTCB_NG_COMMANDS_H
#define RTCB_NG_COMMANDS_H

#include "core/mbuf.h"
#include "ng/ng.h"

struct session_table;

/* Offer (offer true) or answer. */
void ng_command_offer_answer(struct session_table *table, const struct ng_message *msg,
			     const struct ng_request *req, bool offer, struct mbuf *out);

void ng_command_delete(struct session_table *table, const struct ng_message *msg,
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
void ng_command_query(struct session_table *table, const struct ng_message *msg,
		      const struct ng_request *req, struct mbuf *out);

#endif
