/*
 * server.h - the signaling thread's context, what the SIP services
 * (registrar, proxy, and later presence and the PBX) share: their
 * settings, event loop, SIP stack, store, nonces, location service, the
 * media anchor, the call list and the names that are ours.
 *
 * One instance per signaling thread; every handler gets it explicitly.
 * app/ builds it (main.c) from its configuration: the services never see
 * app/config.h, only struct server_settings.
 */
#ifndef RTCB_APP_SERVER_H
#define RTCB_APP_SERVER_H

#include "core/localnames.h"
#include "sip/msg.h"

#include <stdbool.h>
#include <stdint.h>

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

#define SERVER_MAX_AGENTS 16

/* What the services read of the configuration ([sip], [registrar],
 * [auth], [proxy]; README.md has each key). */
struct server_settings {
	const char *realm;        /* digest realm; "": the request's domain */
	uint32_t min_expires;     /* registration lifetime limits, seconds */
	uint32_t max_expires;
	uint32_t default_expires;
	uint32_t max_contacts;    /* bindings per address of record */
	bool offer_sha256;        /* SHA-256 challenges beside MD5 */
	/* User-Agent substrings of clients that get MD5 alone */
	const char *md5_only_user_agents[SERVER_MAX_AGENTS];
	size_t md5_only_user_agent_count;
	uint32_t invite_timeout;  /* seconds without a final answer -> 408 (Timer C) */
};

struct server {
	struct server_settings settings;
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
