/*
 * route.c - the local address facing a peer, cached; see route.h.
 */
#include "core/route.h"

#include <errno.h>
#include <ifaddrs.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int probe(const struct netaddr *peer, struct netaddr *out)
{
	int fd = socket(netaddr_family(peer), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err = 0;

	if (fd < 0)
		return errno;
	out->len = sizeof(out->u.storage);
	if (connect(fd, &peer->u.sa, peer->len) || getsockname(fd, &out->u.sa, &out->len))
		err = errno;
	close(fd);
	return err;
}

int route_source(struct route_cache *cache, uint64_t now_ms, const struct netaddr *peer,
		 struct netaddr *out)
{
	struct netaddr host = *peer;
	int err;

	if (!cache)
		return probe(peer, out);
	netaddr_set_port(&host, 0);
	struct route_cache_entry *e = &cache->entries[netaddr_hash(&host) % ROUTE_CACHE_SIZE];
	if (e->expires_ms > now_ms && netaddr_host_eq(&e->peer, peer)) {
		*out = e->source;
		return 0;
	}
	if ((err = probe(peer, out)))
		return err;
	e->peer = *peer;
	e->source = *out;
	e->expires_ms = now_ms + ROUTE_CACHE_TTL_MS;
	return 0;
}

void route_family_address(int family, const struct netaddr *peer, struct netaddr *out)
{
	const char *loopback = family == AF_INET6 ? "::1" : "127.0.0.1";
	struct ifaddrs *list = NULL;

	netaddr_set_cstr(out, loopback, 0);
	if (netaddr_is_loopback(peer) || getifaddrs(&list))
		return;
	for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
		struct netaddr a;
		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != family)
			continue;
		a.len = family == AF_INET6 ? sizeof(a.u.in6) : sizeof(a.u.in);
		memcpy(&a.u.storage, ifa->ifa_addr, a.len);
		if (!netaddr_is_loopback(&a) && !netaddr_is_any(&a) &&
		    !(family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a.u.in6.sin6_addr))) {
			*out = a;
			break;
		}
	}
	freeifaddrs(list);
}
