/*
 * server.h - the signaling thread's context: configuration, event loop,
 * SIP stack, store, nonces, location service and the names that are ours.
 *
 * One instance per signaling thread; every handler gets it explicitly.
 */
#ifndef RTCB_APP_SERVER_H
#define RTCB_APP_SERVER_H

#include "app/config.h"
#include "core/localnames.h"
#include "sip/msg.h"

struct loop;
struct sip_stack;
struct sip_strans;
struct store;
struct auth_nonces;
struct location;
struct tls_ctx;
struct http_static;
struct anchor;
struct calls;

struct server {
	const struct config *config;
	struct loop *loop;
	struct sip_stack *sip;
	struct store *store;
	struct auth_nonces *nonces;
	struct location *location;
	struct tls_ctx *tls;
	struct http_static *web; /* the web phone's files; NULL when not served */
	struct anchor *anchor;   /* media anchoring of proxied calls; NULL: none */
	struct calls *calls;     /* the live calls, CDRs */
	struct localnames names; /* host names, addresses, configured domains */
};

/* Is this host (name or address literal) one of ours? */
bool server_is_local_domain(const struct server *srv, struct slice host);
/* Does this URI name this server itself (local host and one of our ports)? */
bool server_uri_is_us(const struct server *srv, const struct sip_uri *uri);
/* The realm for a request: configured, or the request's domain. */
struct slice server_realm(const struct server *srv, const struct sip_msg *req);

#endif
