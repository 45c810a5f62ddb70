/*
 * netaddr.c - parsing, comparing and printing socket addresses.
 */
#include "core/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int netaddr_set(struct netaddr *a, struct slice host, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN + 1];
	if (host.len >= 2 && host.p[0] == '[' && host.p[host.len - 1] == ']')
		host = slice_make(host.p + 1, host.len - 2);
	if (slice_to_cstr(host, buf, sizeof(buf)))
		return EINVAL;
	return netaddr_set_cstr(a, buf, port);
}

int netaddr_set_cstr(struct netaddr *a, const char *host, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, &a->u.in.sin_addr) == 1) {
		a->u.in.sin_family = AF_INET;
		a->u.in.sin_port = htons(port);
		a->len = sizeof(a->u.in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a->u.in6.sin6_addr) == 1) {
		a->u.in6.sin6_family = AF_INET6;
		a->u.in6.sin6_port = htons(port);
		a->len = sizeof(a->u.in6);
		return 0;
	}
	return EINVAL;
}

int netaddr_parse_hostport(struct netaddr *a, const char *s)
{
	const char *colon = strrchr(s, ':');
	uint32_t port;

	if (!colon || slice_to_u32(slice_from_cstr(colon + 1), &port) || port == 0 || port > 65535)
		return EINVAL;
	struct slice host = slice_make(s, (size_t)(colon - s));
	bool bracketed = host.len >= 2 && host.p[0] == '[' && host.p[host.len - 1] == ']';
	/* "::1:5060" would be ambiguous: IPv6 needs its brackets here. */
	if (!bracketed && memchr(host.p, ':', host.len))
		return EINVAL;
	return netaddr_set(a, host, (uint16_t)port);
}

bool netaddr_is_ip_literal(struct slice host)
{
	struct netaddr a;
	return netaddr_set(&a, host, 0) == 0;
}

int netaddr_family(const struct netaddr *a)
{
	return a->u.sa.sa_family;
}

uint16_t netaddr_port(const struct netaddr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return ntohs(a->u.in.sin_port);
	if (a->u.sa.sa_family == AF_INET6)
		return ntohs(a->u.in6.sin6_port);
	return 0;
}

void netaddr_set_port(struct netaddr *a, uint16_t port)
{
	if (a->u.sa.sa_family == AF_INET)
		a->u.in.sin_port = htons(port);
	else if (a->u.sa.sa_family == AF_INET6)
		a->u.in6.sin6_port = htons(port);
}

bool netaddr_host_eq(const struct netaddr *a, const struct netaddr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
	if (a->u.sa.sa_family == AF_INET6)
		return memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) == 0;
	return false;
}

bool netaddr_eq(const struct netaddr *a, const struct netaddr *b)
{
	return netaddr_host_eq(a, b) && netaddr_port(a) == netaddr_port(b);
}

bool netaddr_is_any(const struct netaddr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in.sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->u.sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->u.in6.sin6_addr);
	return true;
}

bool netaddr_is_loopback(const struct netaddr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return (ntohl(a->u.in.sin_addr.s_addr) >> 24) == 127;
	if (a->u.sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&a->u.in6.sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&a->u.in6.sin6_addr) &&
			a->u.in6.sin6_addr.s6_addr[12] == 127);
	return false;
}

uint32_t netaddr_hash(const struct netaddr *a)
{
	uint32_t h = netaddr_port(a) * 2654435761u;
	if (a->u.sa.sa_family == AF_INET)
		return h ^ a->u.in.sin_addr.s_addr;
	if (a->u.sa.sa_family == AF_INET6)
		return h ^ slice_hash(slice_make((const char *)&a->u.in6.sin6_addr, 16));
	return h;
}

const char *netaddr_host_str(const struct netaddr *a, char *buf, size_t size)
{
	const void *src = a->u.sa.sa_family == AF_INET6 ? (const void *)&a->u.in6.sin6_addr
							 : (const void *)&a->u.in.sin_addr;
	if (!inet_ntop(a->u.sa.sa_family == AF_INET6 ? AF_INET6 : AF_INET, src, buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

const char *netaddr_uri_host_str(const struct netaddr *a, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	netaddr_host_str(a, host, sizeof(host));
	snprintf(buf, size, a->u.sa.sa_family == AF_INET6 ? "[%s]" : "%s", host);
	return buf;
}

const char *netaddr_str(const struct netaddr *a, char *buf, size_t size)
{
	char host[NETADDR_STRLEN];
	netaddr_uri_host_str(a, host, sizeof(host));
	snprintf(buf, size, "%s:%u", host, netaddr_port(a));
	return buf;
}
