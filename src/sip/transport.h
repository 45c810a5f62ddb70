/*
 * transport.h - SIP over UDP, TCP, TLS (RFC 3261 18, RFC 3581) and
 * WebSocket, plain or over TLS (RFC 7118).
 *
 * The transport owns listening sockets and connections. Received messages
 * are parsed and handed to one receive handler with their source filled in
 * (transport, remote and local address, the connection for streams).
 * Parse errors are handed over too, so the layer above can answer 400.
 *
 * Connections are refcounted (struct sip_conn): the connection table holds
 * one reference, every message received on it another. A connection that
 * closes is removed from the table and marked closed; holders find out when
 * a send fails. The close handler tells the registrar, so bindings that
 * depend on the connection can go.
 *
 * Sending: to a netaddr over a transport type. For streams an existing
 * connection to that address is reused (that is how requests reach clients
 * registered over TCP/TLS behind NAT), otherwise a new one is opened.
 * WebSocket connections are only ever accepted, never opened: a browser
 * can be reached over the connection it opened, or not at all.
 *
 * WS and WSS connections come from the HTTP server (http/server.h), which
 * owns their port (the web phone and the SIP WebSocket share one, as
 * browsers expect), answers the upgrade and hands the connection over
 * (sip_transport_adopt_websocket); the transport knows that port as
 * announced (sip_transport_announce) for Via, Record-Route and "is this
 * URI us".
 */
#ifndef RTCB_SIP_TRANSPORT_H
#define RTCB_SIP_TRANSPORT_H

#include "core/mbuf.h"
#include "core/netaddr.h"
#include "core/slice.h"
#include "http/ws.h"
#include "sip/msg.h"

#include <openssl/ssl.h>
#include <stdint.h>

struct loop;
struct sip_transport;

typedef void(sip_recv_handler)(struct sip_msg *msg, const struct sip_parse_error *err, void *arg);
typedef void(sip_conn_close_handler)(struct sip_conn *conn, void *arg);

struct sip_transport_settings {
	size_t max_message_size; /* also the largest WebSocket message */
	unsigned idle_timeout_s;
	SSL_CTX *tls; /* NULL: no TLS */
};

int sip_transport_create(struct sip_transport **tp, struct loop *loop,
			 const struct sip_transport_settings *settings,
			 sip_recv_handler *recv, sip_conn_close_handler *closed, void *arg);
void sip_transport_destroy(struct sip_transport *t);

/* Listen on addr (UDP socket, or TCP/TLS listening socket). */
int sip_transport_listen(struct sip_transport *t, enum sip_transport_type type,
			 const struct netaddr *addr);
/* WS or WSS is served at addr (the HTTP server's listener, port known):
 * ours for Via, Record-Route and sip_transport_port(). */
int sip_transport_announce(struct sip_transport *t, enum sip_transport_type type,
			   const struct netaddr *addr);

struct stream;
/* A WebSocket connection the HTTP server accepted and upgraded (WSS when
 * secure): the transport takes a reference to s and reads SIP from it.
 * 0 or ENOMEM. */
int sip_transport_adopt_websocket(struct sip_transport *t, struct stream *s, bool secure);

/*
 * Send bytes. conn, when given and still open, is used as is (responses go
 * back on the connection the request came on). Otherwise for UDP the
 * listener of the destination's family sends; for TCP/TLS a connection to
 * dst is reused or opened.
 */
int sip_transport_send(struct sip_transport *t, enum sip_transport_type type,
		       const struct netaddr *dst, struct sip_conn *conn, struct slice data);

/*
 * The local address a message to dst over this transport leaves from, with
 * the port of our listener: what goes into Via and Record-Route.
 */
int sip_transport_local_addr(struct sip_transport *t, enum sip_transport_type type,
			     const struct netaddr *dst, struct netaddr *local);
/* Is addr (with port, 0 = any of ours) one of our listening addresses? */
bool sip_transport_is_local(struct sip_transport *t, const struct netaddr *addr);
/* Port we listen on for this transport (first listener), 0 if none. */
uint16_t sip_transport_port(struct sip_transport *t, enum sip_transport_type type);

/* Connections */
bool sip_conn_is_open(const struct sip_conn *conn);
uint64_t sip_conn_id(const struct sip_conn *conn);
enum sip_transport_type sip_conn_type(const struct sip_conn *conn);
const struct netaddr *sip_conn_remote(const struct sip_conn *conn);
const struct netaddr *sip_conn_local(const struct sip_conn *conn);
/* Keep the connection open at least this long without traffic (a
 * registration over it is valid that long). */
void sip_conn_keep_alive_for(struct sip_conn *conn, unsigned seconds);
/* Find an open connection by remote address and type; no reference taken. */
struct sip_conn *sip_transport_find_conn(struct sip_transport *t, enum sip_transport_type type,
					 const struct netaddr *remote);

#endif
