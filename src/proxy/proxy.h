/*
 * proxy.h - stateful forwarding (RFC 3261 16): parallel forking to a
 * user's contacts, response aggregation, CANCEL, Timer C, Record-Route and
 * loose routing of in-dialog requests, stateless ACK/2xx forwarding.
 */
#ifndef RTCB_PROXY_PROXY_H
#define RTCB_PROXY_PROXY_H

#include "core/netaddr.h"
#include "sip/msg.h"

struct server;
struct sip_strans;
struct sip_conn;
struct location_record;
struct sip_stack;

/* Where a request goes next. conn, when open, is used as is. */
struct next_hop {
	enum sip_transport_type transport;
	struct netaddr addr;
	struct sip_conn *conn;
	struct slice ruri;  /* Request-URI to put in the forwarded request */
	struct slice path;  /* Path values of a binding, become Route headers */
};

/* Resolve a SIP URI (IP literal host, port, transport param) to a hop. */
int proxy_hop_from_uri(const struct sip_uri *uri, struct next_hop *hop);

/* Fork the request to every binding of the record (parallel, q ignored
 * beyond ordering). skip_routes = Route values consumed by loose routing. */
void proxy_fork(struct server *srv, struct sip_strans *st, struct sip_msg *req,
		struct location_record *record);

/* Forward statefully to one hop. */
void proxy_forward(struct server *srv, struct sip_strans *st, struct sip_msg *req,
		   const struct next_hop *hop, size_t skip_routes);

/* Forward without a transaction (ACK for 2xx). */
void proxy_forward_stateless(struct server *srv, struct sip_msg *req, const struct next_hop *hop,
			     size_t skip_routes);

/* A response no client transaction knew (retransmitted 2xx). */
void proxy_stray_response(struct sip_stack *s, struct sip_msg *resp, void *arg);

#endif
