/*
 * server.h - the HTTP/1.1 server: listeners (plain and TLS), their
 * connections, requests routed to one handler (the web phone's files
 * today; a REST API or /metrics are more routes), and WebSocket upgrades
 * handed to whoever speaks the protocol (SIP over WebSocket, RFC 7118).
 *
 * Per connection: requests are read one after the other (keep-alive when
 * the client asks), each answered completely by the route handler. A
 * request that cannot be parsed, a body over HTTP_MAX_BODY, or an upgrade
 * refused by the WebSocket policy (wrong Origin, path, version or
 * subprotocol: ws.h) gets its HTTP error and the connection closes once
 * the answer is written. An upgrade the policy accepts gets its 101, and
 * the connection's stream (core/stream.h) goes to the upgrade handler,
 * which owns it from then on: the server forgets the connection.
 *
 * One thread (the loop's). The server owns its listeners and the
 * connections not yet upgraded; destroying it closes both.
 */
#ifndef RTCB_HTTP_SERVER_H
#define RTCB_HTTP_SERVER_H

#include "core/mbuf.h"
#include "core/netaddr.h"
#include "http/request.h"
#include "http/ws.h"

#include <openssl/ssl.h>
#include <stdbool.h>

/* Request bodies are read and ignored up to this size (the server serves
 * files); a larger one is refused with 413. */
#define HTTP_MAX_BODY 65536

struct loop;
struct stream;
struct http_server;

/* Write a whole HTTP response to req into out. */
typedef void(http_route_handler)(const struct http_request *req, struct mbuf *out, void *arg);
/* An accepted WebSocket upgrade on a TLS connection (secure) or a plain
 * one; the 101 is queued on s. The handler takes a reference to s, or
 * returns an errno and the stream is closed. */
typedef int(http_upgrade_handler)(struct stream *s, bool secure, void *arg);

struct http_server_settings {
	SSL_CTX *tls;               /* for the secure listeners; NULL: none */
	size_t max_head;            /* request line + headers */
	unsigned idle_timeout_s;    /* without traffic */
	struct ws_policy ws;        /* path, subprotocol, origins (secure: per connection) */
	http_route_handler *route;  /* NULL: 404 for everything */
	void *route_arg;
	http_upgrade_handler *upgrade; /* NULL: every upgrade gets 404 */
	void *upgrade_arg;
};

int http_server_create(struct http_server **serverp, struct loop *loop,
		       const struct http_server_settings *settings);
/* Closes the listeners and the connections it still owns. NULL is fine. */
void http_server_destroy(struct http_server *server);

/* Listen on addr, HTTPS when secure. bound: the address with the port the
 * kernel gave (addr's port 0), for those who name it (SIP Via). */
int http_server_listen(struct http_server *server, const struct netaddr *addr, bool secure,
		       struct netaddr *bound);

#endif
