/*
 * server.h - the ng control socket: one UDP socket on the signalling
 * thread's loop, answering rtpengine's ng protocol (ng.h) so that
 * Kamailio's or OpenSIPS' rtpengine module can use rtcbridge as its media
 * relay.
 *
 * Per datagram: a cookie seen in the last NG_CACHE_TTL_MS gets the reply
 * it got then, unchanged (ng/cache.h); otherwise the datagram is parsed
 * (ng_parse, ng_request_parse) and its command run: ping -> pong; offer,
 * answer, delete, query -> ng/commands.h; anything else, or a malformed body
 * with a good cookie -> an error reply naming the reason. A datagram
 * without a usable cookie cannot be answered and is dropped with a log
 * line, as rtpengine does.
 *
 * It lives in ng/, not app/: it needs a loop, an engine and two
 * addresses, nothing of the SIP side. main.c creates it after the engine
 * and destroys it before the engine.
 */
#ifndef RTCB_NG_SERVER_H
#define RTCB_NG_SERVER_H

#include "core/netaddr.h"

#include <stdint.h>

struct loop;
struct media_engine;
struct ng_server;

struct ng_server_settings {
	struct netaddr listen;     /* the control socket */
	struct netaddr advertised; /* for SDP; family 0: see session/session.h */
	struct netaddr bind;       /* the engine's bind address */
	uint32_t timeout_ms;       /* the engine's; 0: calls never time out (session/session.h) */
};

/* Binds the socket (EADDRINUSE and the like come back as errno values). */
int ng_server_create(struct ng_server **serverp, struct loop *loop, struct media_engine *engine,
		     const struct ng_server_settings *s);
/* Closes the socket and deletes every call. NULL is fine. */
void ng_server_destroy(struct ng_server *server);

#endif
