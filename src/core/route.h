/*
 * route.h - which local address faces a peer: the source address the
 * kernel's routing table picks to reach it (connect() on a UDP socket,
 * which sends nothing, then getsockname()). The SIP transports need it for
 * Via and Record-Route when they listen on a wildcard, the call model for
 * the address it writes into SDP.
 *
 * Asking costs four system calls, so callers that ask per message keep a
 * struct route_cache: direct-mapped by the peer's host (port ignored),
 * entries valid ROUTE_CACHE_TTL_MS, so a changed route is seen within that.
 * A zeroed cache is empty. One thread per cache.
 */
#ifndef RTCB_CORE_ROUTE_H
#define RTCB_CORE_ROUTE_H

#include "core/netaddr.h"

#include <stdint.h>

#define ROUTE_CACHE_SIZE 64
#define ROUTE_CACHE_TTL_MS 10000

struct route_cache_entry {
	struct netaddr peer; /* port ignored */
	struct netaddr source;
	uint64_t expires_ms;
};

struct route_cache {
	struct route_cache_entry entries[ROUTE_CACHE_SIZE];
};

/* The local address (port as the kernel chose, meaningless) that faces
 * peer. cache NULL: ask the kernel every time; else now_ms is the caller's
 * clock for the entries' lifetime. 0, or the errno of the probe
 * (ENETUNREACH without a route). */
int route_source(struct route_cache *cache, uint64_t now_ms, const struct netaddr *peer,
		 struct netaddr *out);

/* Our address in family for a peer of the other family (a browser that
 * reached us over IPv6 while the relay binds IPv4): loopback for a
 * loopback peer, else the first interface address of that family that is
 * neither loopback, a wildcard nor IPv6 link-local, else loopback. */
void route_family_address(int family, const struct netaddr *peer, struct netaddr *out);

#endif
