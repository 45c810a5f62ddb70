/*
 * charclass.h - RFC 3261 character classes and the grammar pieces that the
 * SIP parsers (uri.c, addr.c, parse.c) share.
 */
#ifndef RTCB_SIP_CHARCLASS_H
#define RTCB_SIP_CHARCLASS_H

#include "core/slice.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline bool sip_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
static inline bool sip_is_token(char c)
{
	return sip_is_alnum(c) || (c && strchr("-.!%*_+`'~", c));
}

/* unreserved = alphanum / mark */
static inline bool sip_is_unreserved(char c)
{
	return sip_is_alnum(c) || (c && strchr("-_.!~*'()", c));
}

static inline bool sip_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline bool sip_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Linear white space after unfolding: SP, HT, and stray CR/LF. */
static inline bool sip_is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* hostport = host [ ":" port ] (LWS allowed around ':' as in Via).
 * Host is an IPv6 reference (checked with inet_pton), IPv4 or hostname.
 * Returns the position after it, or NULL when malformed. */
const char *sip_hostport_parse(const char *p, const char *end, struct slice *host, uint16_t *port);

#endif
