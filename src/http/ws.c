/*
 * ws.c - the WebSocket opening handshake, server side (RFC 6455 4.2).
 *
 * The checks run from the cheapest and most general to the most specific, so
 * a request with several faults gets the answer about the first: is it an
 * upgrade at all, the path, the Origin, the version, the key, the
 * subprotocol. Each refusal is a complete HTTP error response.
 *
 * Origin checking is what stops a page on another site from opening a
 * WebSocket to us with the user's network position (cross-site WebSocket
 * hijacking). Browsers always send Origin; clients without one are not
 * browsers and have no ambient authority to abuse, so they pass.
 */
#include "http/ws.h"

#include <openssl/evp.h>
#include <string.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

void ws_accept_key(struct slice client_key, char out[29])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	out[0] = '\0';
	if (!ctx)
		return;
	if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
	    EVP_DigestUpdate(ctx, client_key.p, client_key.len) &&
	    EVP_DigestUpdate(ctx, WS_GUID, strlen(WS_GUID)) &&
	    EVP_DigestFinal_ex(ctx, digest, &digest_len) && digest_len == 20)
		EVP_EncodeBlock((unsigned char *)out, digest, 20); /* 28 chars + NUL */
	EVP_MD_CTX_free(ctx);
}

bool ws_is_upgrade(const struct http_request *req)
{
	return slice_eq_cstr(req->method, "GET") &&
	       http_request_has_token(req, "Upgrade", "websocket") &&
	       http_request_has_token(req, "Connection", "upgrade");
}

/* ------------------------------------------------------------ checks */

static bool is_base64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* RFC 6455 4.1: the key is 16 random bytes, base64 encoded: 22 characters
 * and "==". */
static bool key_valid(struct slice key)
{
	if (key.len != 24 || key.p[22] != '=' || key.p[23] != '=')
		return false;
	for (size_t i = 0; i < 22; i++)
		if (!is_base64_char(key.p[i]))
			return false;
	return true;
}

/* host [":" port] as in Host and in an origin; IPv6 hosts in brackets. */
struct authority {
	struct slice host;
	unsigned port;
};

static bool authority_parse(struct slice s, unsigned default_port, struct authority *a)
{
	long colon;
	if (s.len && s.p[0] == '[') {
		long close = slice_index(s, ']');
		if (close < 0)
			return false;
		a->host = slice_make(s.p, (size_t)close + 1);
		colon = (size_t)close + 1 < s.len ? close + 1 : -1;
		if (colon >= 0 && s.p[colon] != ':')
			return false;
	} else {
		colon = slice_index(s, ':');
		a->host = slice_make(s.p, colon < 0 ? s.len : (size_t)colon);
	}
	if (a->host.len == 0)
		return false;
	a->port = default_port;
	if (colon < 0)
		return true;
	uint32_t port;
	struct slice digits = slice_make(s.p + colon + 1, s.len - (size_t)colon - 1);
	if (digits.len > 5 || slice_to_u32(digits, &port) || port == 0 || port > 65535)
		return false;
	a->port = port;
	return true;
}

/* An origin serialised as "scheme://host[:port]" (RFC 6454 6.2). */
struct origin {
	bool secure;
	struct authority authority;
};

static bool origin_parse(struct slice s, struct origin *o)
{
	size_t skip;
	if (slice_starts_with_case(s, "https://")) {
		o->secure = true;
		skip = 8;
	} else if (slice_starts_with_case(s, "http://")) {
		o->secure = false;
		skip = 7;
	} else {
		return false;
	}
	struct slice rest = slice_make(s.p + skip, s.len - skip);
	return slice_index(rest, '/') < 0 &&
	       authority_parse(rest, o->secure ? 443 : 80, &o->authority);
}

static bool origin_eq(const struct origin *a, const struct origin *b)
{
	return a->secure == b->secure && a->authority.port == b->authority.port &&
	       slice_eq_case(a->authority.host, b->authority.host);
}

static bool origin_allowed(const struct http_request *req, const struct ws_policy *policy,
			   struct slice origin_value)
{
	struct origin origin, ours, allowed;
	if (!origin_parse(origin_value, &origin))
		return false; /* "null" (sandboxed pages, file:) included */
	ours.secure = policy->secure;
	if (authority_parse(http_request_header(req, "Host"), policy->secure ? 443 : 80,
			    &ours.authority) &&
	    origin_eq(&origin, &ours))
		return true;
	for (size_t i = 0; i < policy->allowed_origin_count; i++)
		if (origin_parse(slice_from_cstr(policy->allowed_origins[i]), &allowed) &&
		    origin_eq(&origin, &allowed))
			return true;
	return false;
}

/* Sec-WebSocket-Protocol lists the client's offers, maybe over several
 * lines; the exact spelling matters (RFC 6455 4.1, point 6 of the client's
 * checks of our answer). */
static bool subprotocol_offered(const struct http_request *req, const char *subprotocol)
{
	for (size_t i = 0; i < req->header_count; i++) {
		if (!slice_eq_cstr_case(req->headers[i].name, "Sec-WebSocket-Protocol"))
			continue;
		struct slice rest = req->headers[i].value;
		while (rest.len) {
			long comma = slice_index(rest, ',');
			size_t n = comma < 0 ? rest.len : (size_t)comma;
			if (slice_eq_cstr(slice_trim(slice_make(rest.p, n)), subprotocol))
				return true;
			rest = comma < 0 ? SLICE_NULL : slice_make(rest.p + n + 1, rest.len - n - 1);
		}
	}
	return false;
}

/* ------------------------------------------------------------ handshake */

static int refuse(struct mbuf *out, struct http_error *err, uint16_t status, const char *reason,
		  const char *extra_headers)
{
	err->status = status;
	err->reason = reason;
	http_error_print(out, err, extra_headers);
	return -1;
}

int ws_handshake(const struct http_request *req, const struct ws_policy *policy, struct mbuf *out,
		 struct http_error *err)
{
	if (!ws_is_upgrade(req))
		return refuse(out, err, 400, "Bad Request: not a WebSocket upgrade", NULL);
	if (req->minor_version < 1)
		return refuse(out, err, 400, "Bad Request: WebSocket needs HTTP/1.1", NULL);
	if (policy->path && !slice_eq_cstr(req->path, policy->path))
		return refuse(out, err, 404, "Not Found", NULL);

	struct slice origin = http_request_header(req, "Origin");
	if (slice_is_set(origin) && !origin_allowed(req, policy, origin))
		return refuse(out, err, 403, "Origin not allowed", NULL);

	struct slice version = http_request_header(req, "Sec-WebSocket-Version");
	if (!slice_is_set(version))
		return refuse(out, err, 400, "Bad Request: missing Sec-WebSocket-Version", NULL);
	if (!slice_eq_cstr(version, "13"))
		return refuse(out, err, 426, "Upgrade Required: WebSocket version 13 only",
			      "Sec-WebSocket-Version: 13\r\n");

	struct slice key = http_request_header(req, "Sec-WebSocket-Key");
	if (!slice_is_set(key))
		return refuse(out, err, 400, "Bad Request: missing Sec-WebSocket-Key", NULL);
	if (!key_valid(key))
		return refuse(out, err, 400, "Bad Request: invalid Sec-WebSocket-Key", NULL);

	if (policy->subprotocol && !subprotocol_offered(req, policy->subprotocol))
		return refuse(out, err, 400, "Bad Request: WebSocket subprotocol not offered", NULL);

	char accept[29];
	ws_accept_key(key, accept);
	if (!accept[0])
		return refuse(out, err, 500, "Internal Server Error: cannot compute accept key",
			      NULL);

	/* 101 carries neither Content-Length nor body. */
	mbuf_printf(out, "HTTP/1.1 101 Switching Protocols\r\nServer: rtcbridge/%s\r\n"
			 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n",
		    RTCBRIDGE_VERSION, accept);
	if (policy->subprotocol)
		mbuf_printf(out, "Sec-WebSocket-Protocol: %s\r\n", policy->subprotocol);
	mbuf_append_str(out, "\r\n");
	return 0;
}
