/*
 * build.h - writing SIP messages: responses to a request, the top Via with
 * received/rport, ACK and CANCEL for a client transaction.
 */
#ifndef RTCB_SIP_BUILD_H
#define RTCB_SIP_BUILD_H

#include "core/mbuf.h"
#include "sip/msg.h"

/* The request's top Via value with received= and rport= filled in from
 * where the request came from (RFC 3261 18.2.1, RFC 3581 4). */
void sip_build_top_via(struct mbuf *out, const struct sip_msg *req);

/* All Via lines of the request, the top one with received/rport. */
void sip_build_via_lines(struct mbuf *out, const struct sip_msg *req);

/* A complete response. to_tag is added to To when it has none (and the
 * status is above 100); extra_headers are "Name: value\r\n" lines. */
void sip_build_response(struct mbuf *out, const struct sip_msg *req, uint16_t status,
			const char *reason, const char *to_tag, const char *extra_headers,
			struct slice content_type, struct slice body);

/* ACK for a non-2xx final response, or CANCEL, for a request we sent
 * (RFC 3261 17.1.1.3, 9.1): same R-URI, top Via, Call-ID, From, Route. */
void sip_build_ack(struct mbuf *out, const struct sip_msg *req, const struct sip_msg *resp);
void sip_build_cancel(struct mbuf *out, const struct sip_msg *req);

/* Write "Name: value\r\n" for a header as received. */
void sip_build_header(struct mbuf *out, const struct sip_header *h);

#endif
