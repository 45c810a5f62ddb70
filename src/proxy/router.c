/*
 * router.c - the request routing policy: what happens to each new request.
 *
 *  1. ACK without a transaction (ACK for 2xx): loose-route it statelessly.
 *     CANCEL: 200 and cancel the matching INVITE, or 481.
 *  2. Route entries that name us are consumed (loose routing, RFC 3261
 *     16.4); the last one may carry the flow of the next hop.
 *  3. In-dialog requests (To tag) that came through our Record-Route go to
 *     the next Route or the Request-URI. Others are not ours: 404.
 *  4. Requests for one of our domains: REGISTER to the registrar; requests
 *     to the server itself (no user part) are answered here (OPTIONS 200,
 *     unknown methods 501); requests to users are authenticated when they
 *     come from a local user (INVITE, MESSAGE: 407) and forked to the
 *     user's contacts: 404 unknown user, 480 no contact.
 *  5. Anything else is relaying: 403. rtcbridge is not an open relay.
 */
#include "proxy/router.h"

#include "service/authn.h"
#include "service/server.h"
#include "core/log.h"
#include "core/mem.h"
#include "registrar/location.h"
#include "registrar/registrar.h"
#include "proxy/proxy.h"
#include "sip/stack.h"
#include "store/store.h"

#include <errno.h>
#include <string.h>

#define ALLOWED_METHODS "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, REFER, INFO, UPDATE, PRACK"

static void reply(struct sip_strans *st, uint16_t status, const char *reason)
{
	sip_strans_reply(st, status, reason, NULL, SLICE_NULL, SLICE_NULL);
}

/* Consume leading Route values that name us; returns how many. */
static size_t consume_our_routes(struct server *srv, const struct sip_msg *req, struct sip_addr *last)
{
	struct sip_value_iter it;
	struct slice value;
	size_t consumed = 0;
	sip_value_iter_init(&it, req, SIP_HDR_ROUTE);
	while (sip_value_iter_next(&it, &value)) {
		struct sip_addr addr;
		if (sip_addr_parse(value, &addr) || !server_uri_is_us(srv, &addr.uri))
			break;
		*last = addr;
		consumed++;
	}
	return consumed;
}

/* The first Route value after the consumed ones. */
static bool next_route(const struct sip_msg *req, size_t skip, struct sip_addr *addr)
{
	struct sip_value_iter it;
	struct slice value;
	size_t index = 0;
	sip_value_iter_init(&it, req, SIP_HDR_ROUTE);
	while (sip_value_iter_next(&it, &value))
		if (index++ == skip)
			return sip_addr_parse(value, addr) == 0;
	return false;
}

/* flow=TCP~host~port in our Route entry names the connection to use.
 * Returns ENOTCONN when it names one that is gone. */
static int apply_flow(struct server *srv, const struct sip_addr *our_route, struct next_hop *hop)
{
	struct slice flow;
	if (!our_route || !sip_param_find(our_route->uri.params, "flow", &flow))
		return 0;
	long t1 = slice_index(flow, '~');
	if (t1 < 0)
		return 0;
	struct slice rest = slice_make(flow.p + t1 + 1, flow.len - (size_t)t1 - 1);
	long t2 = -1;
	for (long i = (long)rest.len - 1; i >= 0; i--)
		if (rest.p[i] == '~') {
			t2 = i;
			break;
		}
	uint32_t port;
	enum sip_transport_type type;
	struct netaddr addr;
	if (t2 < 0 || sip_transport_parse(slice_make(flow.p, (size_t)t1), &type) ||
	    slice_to_u32(slice_make(rest.p + t2 + 1, rest.len - (size_t)t2 - 1), &port) || port > 65535 ||
	    netaddr_set(&addr, slice_make(rest.p, (size_t)t2), (uint16_t)port))
		return 0;
	struct sip_conn *conn = sip_transport_find_conn(sip_stack_transport(srv->sip), type, &addr);
	if (!conn)
		return ENOTCONN;
	hop->conn = conn;
	hop->transport = type;
	hop->addr = addr;
	return 0;
}

/* Destination for a request that follows a route set or its R-URI. */
static int route_hop(struct server *srv, const struct sip_msg *req, size_t consumed,
		     const struct sip_addr *our_last, struct next_hop *hop)
{
	struct sip_addr route;
	int err;
	if (next_route(req, consumed, &route))
		err = proxy_hop_from_uri(&route.uri, hop);
	else
		err = proxy_hop_from_uri(&req->ruri, hop);
	/* A browser's address (x.invalid) cannot be reached, its flow can. */
	int flow_err = apply_flow(srv, consumed ? our_last : NULL, hop);
	if (hop->conn)
		return 0;
	return flow_err ? flow_err : err;
}

static void handle_ack(struct server *srv, struct sip_msg *req)
{
	struct sip_addr last;
	struct next_hop hop;
	size_t consumed = consume_our_routes(srv, req, &last);
	if (consumed == 0 || route_hop(srv, req, consumed, &last, &hop))
		return; /* not routed through us: drop */
	proxy_forward_stateless(srv, req, &hop, consumed);
}

static void handle_cancel(struct server *srv, struct sip_msg *req)
{
	struct sip_strans *invite = sip_strans_find_invite(srv->sip, req);
	struct sip_strans *st = sip_strans_create(srv->sip, req);
	if (!st)
		return;
	if (!invite) {
		reply(st, 481, NULL);
	} else {
		reply(st, 200, NULL);
		sip_strans_cancelled(invite);
	}
	mem_deref(st);
}

static void handle_for_server(struct server *srv, struct sip_strans *st, const struct sip_msg *req)
{
	(void)srv;
	if (sip_strans_refuse_extensions(st, SIP_HDR_REQUIRE))
		return;
	switch (req->method_id) {
	case SIP_METHOD_OPTIONS:
		sip_strans_reply(st, 200, NULL,
				 "Allow: " ALLOWED_METHODS "\r\nAccept: application/sdp\r\n"
				 "Supported: " SIP_SUPPORTED_OPTIONS "\r\n",
				 SLICE_NULL, SLICE_NULL);
		return;
	case SIP_METHOD_UNKNOWN:
		sip_strans_reply(st, 501, NULL, "Allow: " ALLOWED_METHODS "\r\n", SLICE_NULL, SLICE_NULL);
		return;
	default:
		reply(st, 404, "No such user here");
	}
}

static bool from_local_user(struct server *srv, const struct sip_msg *req)
{
	return (req->from.uri.scheme_id == SIP_URI_SIP || req->from.uri.scheme_id == SIP_URI_SIPS) &&
	       server_is_local_domain(srv, req->from.uri.host);
}

static void route_to_user(struct server *srv, struct sip_strans *st, struct sip_msg *req)
{
	char user_buf[256];
	long n = sip_unescape(req->ruri.user, user_buf, sizeof(user_buf));
	if (n <= 0 || memchr(user_buf, '\0', (size_t)n)) {
		reply(st, 404, "Not Found");
		return;
	}
	struct slice user = slice_make(user_buf, (size_t)n);

	if ((req->method_id == SIP_METHOD_INVITE || req->method_id == SIP_METHOD_MESSAGE) &&
	    from_local_user(srv, req)) {
		struct slice auth_user;
		char from_user[256];
		if (authn_check(srv, st, req, true, &auth_user) != AUTHN_OK)
			return;
		long fn = sip_unescape(req->from.uri.user, from_user, sizeof(from_user));
		if (fn < 0 || !slice_eq(auth_user, slice_make(from_user, (size_t)fn))) {
			log_notice("user '%.*s' sent a request as '%.*s'", SLICE_FMT(auth_user),
				   SLICE_FMT(req->from.uri.user));
			reply(st, 403, "Forbidden");
			return;
		}
	}
	struct location_record *record = location_find(srv->location, user);
	if (!record || location_binding_count(record) == 0) {
		char ha1[DIGEST_HEX_SIZE];
		struct slice ruri_domain = req->ruri.host;
		if (ruri_domain.len > 2 && ruri_domain.p[0] == '[')
			ruri_domain = slice_make(ruri_domain.p + 1, ruri_domain.len - 2);
		bool known = store_user_ha1(srv->store, user, server_realm(srv, req), DIGEST_MD5, ha1) == 0 ||
			     store_user_ha1(srv->store, user, ruri_domain, DIGEST_MD5, ha1) == 0;
		reply(st, known ? 480 : 404, known ? "Temporarily Unavailable" : "Not Found");
		return;
	}
	proxy_fork(srv, st, req, record);
}

void router_handle_request(struct sip_stack *s, struct sip_msg *req, void *arg)
{
	struct server *srv = arg;
	(void)s;
	if (req->method_id == SIP_METHOD_ACK) {
		handle_ack(srv, req);
		return;
	}
	if (req->method_id == SIP_METHOD_CANCEL) {
		handle_cancel(srv, req);
		return;
	}
	struct sip_strans *st = sip_strans_create(srv->sip, req);
	if (!st)
		return;
	if (req->method_id == SIP_METHOD_INVITE)
		reply(st, 100, NULL);

	struct sip_addr our_last;
	size_t consumed = consume_our_routes(srv, req, &our_last);
	bool has_more_routes = req->first[SIP_HDR_ROUTE] && next_route(req, consumed, &(struct sip_addr){ 0 });
	bool to_us = server_uri_is_us(srv, &req->ruri) && !slice_is_set(req->ruri.user);
	bool for_local_domain = (req->ruri.scheme_id == SIP_URI_SIP || req->ruri.scheme_id == SIP_URI_SIPS) &&
				server_is_local_domain(srv, req->ruri.host);
	bool in_dialog = slice_is_set(req->to.tag);

	if (req->ruri.scheme_id == SIP_URI_OTHER || req->ruri.scheme_id == SIP_URI_TEL) {
		reply(st, 416, NULL);
	} else if (in_dialog || has_more_routes) {
		struct next_hop hop;
		if (consumed == 0)
			reply(st, in_dialog ? 481 : 403, in_dialog ? "Call/Transaction Does Not Exist"
								   : "Relaying forbidden");
		else if (req->max_forwards == 0)
			reply(st, 483, NULL);
		else if (!sip_strans_refuse_extensions(st, SIP_HDR_PROXY_REQUIRE)) {
			int err = route_hop(srv, req, consumed, &our_last, &hop);
			if (err == ENOTCONN)
				reply(st, 430, "Flow Failed"); /* RFC 5626 5.3 */
			else if (err)
				reply(st, 404, "Cannot reach the next hop");
			else
				proxy_forward(srv, st, req, &hop, consumed);
		}
	} else if (!for_local_domain) {
		reply(st, 403, "Relaying forbidden");
	} else if (req->method_id == SIP_METHOD_REGISTER) {
		registrar_handle(srv, st, req);
	} else if (to_us) {
		handle_for_server(srv, st, req);
	} else if (req->max_forwards == 0) {
		reply(st, 483, NULL);
	} else if (!sip_strans_refuse_extensions(st, SIP_HDR_PROXY_REQUIRE)) {
		route_to_user(srv, st, req);
	}
	mem_deref(st);
}
