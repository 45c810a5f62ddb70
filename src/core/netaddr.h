/*
 * netaddr.h - IPv4/IPv6 socket addresses as one value type.
 *
 * Printing follows SIP conventions: IPv6 hosts in brackets when a port
 * follows ("[::1]:5060"), "host" alone without brackets for received=.
 */
#ifndef RTCB_CORE_NETADDR_H
#define RTCB_CORE_NETADDR_H

#include "core/slice.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct netaddr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage storage;
	} u;
	socklen_t len;
};

/* Longest "[v6]:port" plus NUL. */
#define NETADDR_STRLEN 64

/* Numeric host (IPv4 or IPv6, with or without brackets) and port. */
int netaddr_set(struct netaddr *a, struct slice host, uint16_t port);
int netaddr_set_cstr(struct netaddr *a, const char *host, uint16_t port);
/* "1.2.3.4:5060" or "[::1]:5060" (brackets required for IPv6), port 1-65535:
 * the form netaddr_str() prints. 0 or EINVAL. */
int netaddr_parse_hostport(struct netaddr *a, const char *s);
/* Is this slice an IP literal (IPv6 with or without brackets)? */
bool netaddr_is_ip_literal(struct slice host);
int netaddr_family(const struct netaddr *a);
uint16_t netaddr_port(const struct netaddr *a);
void netaddr_set_port(struct netaddr *a, uint16_t port);
bool netaddr_eq(const struct netaddr *a, const struct netaddr *b);
bool netaddr_host_eq(const struct netaddr *a, const struct netaddr *b);
bool netaddr_is_any(const struct netaddr *a);
/* 127.0.0.0/8, ::1 or ::ffff:127.x.x.x */
bool netaddr_is_loopback(const struct netaddr *a);
uint32_t netaddr_hash(const struct netaddr *a);
/* "1.2.3.4" or "::1" (no brackets). */
const char *netaddr_host_str(const struct netaddr *a, char *buf, size_t size);
/* "1.2.3.4" or "[::1]" (brackets for IPv6, as in a SIP URI). */
const char *netaddr_uri_host_str(const struct netaddr *a, char *buf, size_t size);
/* "1.2.3.4:5060" or "[::1]:5060". */
const char *netaddr_str(const struct netaddr *a, char *buf, size_t size);

#endif
