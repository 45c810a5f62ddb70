/*
 * transport_internal.h - shared between transport.c (listeners, UDP),
 * conn.c (stream connections) and conn_ws.c (their WebSocket side). Not
 * for use outside sip/transport* and sip/conn*.
 */
#ifndef RTCB_SIP_TRANSPORT_INTERNAL_H
#define RTCB_SIP_TRANSPORT_INTERNAL_H

#include "core/hash.h"
#include "core/loop.h"
#include "core/mbuf.h"
#include "core/route.h"
#include "core/stream.h"
#include "sip/transport.h"

#define TRANSPORT_MAX_LISTENERS 16

struct sip_listener {
	struct sip_transport *transport;
	enum sip_transport_type type;
	struct netaddr addr;
	struct loop_fd reg;
	int fd;
};

struct sip_transport {
	struct loop *loop;
	struct sip_transport_settings settings;
	sip_recv_handler *recv;
	sip_conn_close_handler *closed;
	void *arg;
	struct sip_listener listeners[TRANSPORT_MAX_LISTENERS];
	size_t listener_count;
	struct hash conns; /* open connections by (type, remote) */
	uint64_t next_conn_id;
	char *recv_buf;    /* one datagram at a time */
	struct route_cache routes; /* the local address facing each peer */
};

struct sip_conn {
	struct hash_link link;
	struct sip_transport *transport;
	uint64_t id;
	enum sip_transport_type type;
	struct netaddr remote;
	struct stream *stream; /* socket, TLS, buffers, idle time */
	bool open;
	struct ws_reader ws;   /* WS/WSS */
};

void transport_deliver(struct sip_transport *t, const char *data, size_t len, bool stream,
		       const struct sip_source *src);
struct sip_listener *transport_listener_for(struct sip_transport *t, enum sip_transport_type type,
					    int family);

int conn_accept(struct sip_listener *l);
/* Send one SIP message (framed as a WebSocket message on WS/WSS). */
int conn_send(struct sip_conn *c, struct slice data);
/* Queue bytes as they are and write what the socket takes. */
int conn_write(struct sip_conn *c, struct slice data);
/* Close once what is queued has been written. */
void conn_finish(struct sip_conn *c, const char *why);
static inline bool conn_is_websocket(const struct sip_conn *c)
{
	return c->type == SIP_TRANSPORT_WS || c->type == SIP_TRANSPORT_WSS;
}
/* Consume what can be consumed of the input of a WS/WSS connection
 * (conn_ws.c); returns the bytes used. */
size_t conn_ws_process(struct sip_conn *c);
int conn_open(struct sip_transport *t, enum sip_transport_type type, const struct netaddr *dst,
	      struct sip_conn **connp);
void conn_close(struct sip_conn *c, const char *why);
void conn_close_all(struct sip_transport *t);

#endif
