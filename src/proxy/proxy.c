/*
 * proxy.c - the stateful proxy core (RFC 3261 16).
 *
 * A request to a user becomes a fork: one client transaction per contact,
 * all started at once. Provisional responses go upstream as they come; the
 * first 2xx goes upstream and CANCELs the other branches; otherwise the
 * best final response (6xx first, then the lowest class) goes upstream when
 * every branch is done. A CANCEL from upstream, or Timer C, cancels every
 * branch still ringing.
 *
 * Forwarded requests get our Via (branch "z9hG4bKrb" + random) on top and,
 * when they can create a dialog, Record-Route. When the two legs differ in
 * transport or address family, or a leg is a stream, two Record-Route
 * entries are added (one facing each side), and an entry facing a stream
 * peer carries a flow= parameter naming that peer's connection, so that
 * in-dialog requests reach a TCP/TLS client over the connection it opened.
 *
 * Media anchoring (anchor.h) is decided per fork: an initial INVITE is
 * anchored when one of its branches needs it, an in-dialog request when
 * its call is. An anchored fork forwards each branch its own SDP, rewritten
 * for that branch's transport, and rewrites the SDP of the responses it
 * sends upstream. Every initial INVITE, its answer, its failure and the
 * BYE are reported to the call list (calls.h), which releases the media.
 */
#include "proxy/proxy.h"

#include "service/server.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mem.h"
#include "registrar/location.h"
#include "proxy/anchor.h"
#include "proxy/calls.h"
#include "sip/build.h"
#include "sip/stack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BRANCH_PREFIX "z9hG4bKrb"
#define MAX_BRANCHES 16

struct proxy_fork;

struct proxy_branch {
	struct proxy_fork *fork;
	struct sip_ctrans *ct;
	bool done;
};

struct proxy_fork {
	struct server *srv;
	struct sip_strans *st;
	struct sip_msg *req;
	struct loop_timer timer_c;
	size_t count, pending;
	bool final_sent;
	bool timer_c_fired;
	bool anchored;         /* SDP rewritten for the media relay */
	uint16_t anchor_error; /* status for a branch whose SDP could not be */
	const char *anchor_reason; /* and its reason phrase */
	uint16_t best_status;
	struct sip_msg *best;
	struct proxy_branch branches[MAX_BRANCHES];
};

/* ------------------------------------------------------------ next hops */

int proxy_hop_from_uri(const struct sip_uri *uri, struct next_hop *hop)
{
	struct slice transport;
	memset(hop, 0, sizeof(*hop));
	if (uri->scheme_id != SIP_URI_SIP && uri->scheme_id != SIP_URI_SIPS)
		return EPROTONOSUPPORT;
	hop->transport = uri->scheme_id == SIP_URI_SIPS ? SIP_TRANSPORT_TLS : SIP_TRANSPORT_UDP;
	if (sip_param_find(uri->params, "transport", &transport) &&
	    sip_transport_parse(transport, &hop->transport))
		return EPROTONOSUPPORT;
	uint16_t port = uri->port ? uri->port : (hop->transport == SIP_TRANSPORT_TLS ? 5061 : 5060);
	if (slice_eq_cstr_case(uri->host, "localhost"))
		return netaddr_set_cstr(&hop->addr, "127.0.0.1", port);
	if (netaddr_set(&hop->addr, uri->host, port))
		return EHOSTUNREACH; /* DNS (RFC 3263) comes with trunks */
	return 0;
}

/* ";flow=tcp~127.0.0.1~5060" names a stream peer of ours. */
static void append_flow_param(struct mbuf *out, enum sip_transport_type type, const struct netaddr *peer)
{
	char host[NETADDR_STRLEN];
	netaddr_uri_host_str(peer, host, sizeof(host));
	mbuf_printf(out, ";flow=%s~%s~%u", sip_transport_name(type), host, netaddr_port(peer));
}

static bool is_stream(enum sip_transport_type t)
{
	return t != SIP_TRANSPORT_UDP;
}

static const char *uri_transport_param(enum sip_transport_type t)
{
	switch (t) {
	case SIP_TRANSPORT_TCP: return ";transport=tcp";
	case SIP_TRANSPORT_TLS: return ";transport=tls";
	case SIP_TRANSPORT_WS: return ";transport=ws";
	case SIP_TRANSPORT_WSS: return ";transport=wss";
	default: return "";
	}
}

static void append_rr(struct mbuf *out, const struct netaddr *local, enum sip_transport_type t,
		      bool double_rr, const struct netaddr *stream_peer)
{
	char host[NETADDR_STRLEN];
	netaddr_uri_host_str(local, host, sizeof(host));
	mbuf_printf(out, "Record-Route: <sip:%s:%u%s;lr", host, netaddr_port(local), uri_transport_param(t));
	if (double_rr)
		mbuf_append_str(out, ";r2=on");
	if (stream_peer)
		append_flow_param(out, t, stream_peer);
	mbuf_append_str(out, ">\r\n");
}

static bool creates_dialog(enum sip_method m)
{
	return m == SIP_METHOD_INVITE || m == SIP_METHOD_SUBSCRIBE || m == SIP_METHOD_REFER;
}

/* Our credentials are consumed here; others' go on (RFC 3261 22.3). */
static bool is_our_credentials(struct server *srv, const struct sip_msg *req, const struct sip_header *h)
{
	struct slice realm = server_realm(srv, req);
	long at = -1;
	for (size_t i = 0; i + 6 <= h->value.len; i++) {
		if (strncasecmp(h->value.p + i, "realm=", 6) == 0) {
			at = (long)i;
			break;
		}
	}
	if (at < 0)
		return false;
	struct slice v = slice_make(h->value.p + at + 6, h->value.len - (size_t)at - 6);
	if (v.len && v.p[0] == '"')
		v = slice_make(v.p + 1, v.len - 1);
	return v.len >= realm.len && strncasecmp(v.p, realm.p, realm.len) == 0;
}

/* Build the forwarded request into out. Returns 0 or an errno. */
static int build_forward(struct server *srv, const struct sip_msg *req, const struct next_hop *hop,
			 const char *branch, size_t skip_routes, struct slice body, struct mbuf *out)
{
	struct netaddr local;
	char host[NETADDR_STRLEN];
	struct sip_transport *tp = sip_stack_transport(srv->sip);
	enum sip_transport_type out_type = hop->conn ? sip_conn_type(hop->conn) : hop->transport;
	if (out_type == SIP_TRANSPORT_WS || out_type == SIP_TRANSPORT_WSS) {
		if (!hop->conn)
			return ENOTCONN;
		local = *sip_conn_local(hop->conn); /* the browser's connection is the only way */
	} else {
		int err = sip_transport_local_addr(tp, out_type, &hop->addr, &local);
		if (err)
			return err;
	}
	netaddr_uri_host_str(&local, host, sizeof(host));

	struct slice ruri = hop->ruri.len ? hop->ruri : req->ruri.raw;
	mbuf_printf(out, "%.*s %.*s SIP/2.0\r\n", SLICE_FMT(req->method), SLICE_FMT(ruri));
	mbuf_printf(out, "Via: SIP/2.0/%s %s:%u;branch=%s;rport\r\n", sip_transport_name(out_type), host,
		    netaddr_port(&local), branch);
	sip_build_via_lines(out, req);

	if (creates_dialog(req->method_id) && !slice_is_set(req->to.tag)) {
		enum sip_transport_type in_type = req->src.transport;
		bool double_rr = in_type != out_type || is_stream(in_type) || is_stream(out_type) ||
				 netaddr_family(&local) != netaddr_family(&req->src.local);
		append_rr(out, &local, out_type, double_rr, is_stream(out_type) ? &hop->addr : NULL);
		if (double_rr)
			append_rr(out, &req->src.local, in_type, true,
				  is_stream(in_type) ? &req->src.remote : NULL);
	}
	if (hop->path.len)
		mbuf_printf(out, "Route: %.*s\r\n", SLICE_FMT(hop->path));

	struct sip_value_iter it;
	struct slice route;
	size_t index = 0;
	sip_value_iter_init(&it, req, SIP_HDR_ROUTE);
	while (sip_value_iter_next(&it, &route))
		if (index++ >= skip_routes)
			mbuf_printf(out, "Route: %.*s\r\n", SLICE_FMT(route));

	mbuf_printf(out, "Max-Forwards: %d\r\n", req->max_forwards > 0 ? req->max_forwards - 1 : 69);
	for (size_t i = 0; i < req->header_count; i++) {
		const struct sip_header *h = &req->headers[i];
		switch (h->id) {
		case SIP_HDR_VIA:
		case SIP_HDR_ROUTE:
		case SIP_HDR_MAX_FORWARDS:
		case SIP_HDR_CONTENT_LENGTH:
			continue;
		case SIP_HDR_PROXY_AUTHORIZATION:
			if (is_our_credentials(srv, req, h))
				continue;
			break;
		default:
			break;
		}
		sip_build_header(out, h);
	}
	mbuf_printf(out, "Content-Length: %zu\r\n\r\n", body.len);
	mbuf_append_slice(out, body);
	return mbuf_failed(out) ? ENOMEM : 0;
}

/* The response without our Via on top, with body. */
static void build_upstream_response(const struct sip_msg *resp, struct slice body, struct mbuf *out)
{
	mbuf_printf(out, "SIP/2.0 %u %.*s\r\n", resp->status, SLICE_FMT(resp->reason));
	bool top_removed = false;
	for (size_t i = 0; i < resp->header_count; i++) {
		const struct sip_header *h = &resp->headers[i];
		if (h->id == SIP_HDR_VIA && !top_removed) {
			struct slice rest = h->value, first;
			sip_value_next(&rest, &first);
			top_removed = true;
			rest = slice_trim(rest);
			if (rest.len)
				mbuf_printf(out, "Via: %.*s\r\n", SLICE_FMT(rest));
			continue;
		}
		if (h->id != SIP_HDR_CONTENT_LENGTH)
			sip_build_header(out, h);
	}
	mbuf_printf(out, "Content-Length: %zu\r\n\r\n", body.len);
	mbuf_append_slice(out, body);
}

static enum sip_transport_type hop_transport(const struct next_hop *hop)
{
	return hop->conn ? sip_conn_type(hop->conn) : hop->transport;
}

/* An SDP answer: ACK and PRACK bodies; responses to a request that had an
 * offer. */
static bool request_body_is_offer(const struct sip_msg *req)
{
	return req->method_id != SIP_METHOD_ACK && req->method_id != SIP_METHOD_PRACK;
}

/* msg's body, rewritten for the media relay when msg carries SDP and the
 * call is anchored, into body (else *sdp is msg->body). */
static int anchored_body(struct server *srv, const struct sip_msg *msg, bool offer,
			 enum sip_transport_type to, const struct netaddr *to_addr,
			 struct mbuf *body, struct slice *sdp, const char **reason)
{
	int err;

	*sdp = msg->body;
	if (!anchor_has_sdp(msg))
		return 0;
	if ((err = anchor_rewrite(srv->anchor, msg, offer, to, to_addr, body, reason))) {
		log_notice("media for call %.*s: %s", SLICE_FMT(msg->call_id), *reason);
		return err;
	}
	*sdp = mbuf_slice(body);
	return 0;
}

static void send_upstream(struct proxy_fork *fork, const struct sip_msg *resp)
{
	const struct sip_msg *req = fork->req;
	struct mbuf out, body;
	struct slice sdp = resp->body;
	const char *reason;

	mbuf_init(&out);
	mbuf_init(&body);
	/* 18x and 2xx SDP (a failure's rare body goes as it is). One the relay
	 * cannot take goes unchanged too: the dialog exists downstream, and
	 * the UA that cannot use the SDP ends it with a BYE. */
	if (fork->anchored && resp->status < 300)
		anchored_body(fork->srv, resp, !anchor_has_sdp(req), req->src.transport,
			      &req->src.remote, &body, &sdp, &reason);
	build_upstream_response(resp, sdp, &out);
	if (!mbuf_failed(&out))
		sip_strans_send(fork->st, resp->status, mbuf_slice(&out));
	mbuf_free(&out);
	mbuf_free(&body);
}

/* ---------------------------------------------------------------- forks */

static void fork_destroy(void *obj)
{
	struct proxy_fork *fork = obj;
	loop_timer_stop(fork->srv->loop, &fork->timer_c);
	sip_strans_set_cancel_handler(fork->st, NULL, NULL);
	for (size_t i = 0; i < fork->count; i++)
		sip_ctrans_abandon(fork->branches[i].ct);
	mem_deref(fork->best);
	mem_deref(fork->req);
	mem_deref(fork->st);
}

static void fork_cancel_branches(struct proxy_fork *fork)
{
	for (size_t i = 0; i < fork->count; i++)
		if (!fork->branches[i].done && fork->branches[i].ct)
			sip_ctrans_cancel(fork->branches[i].ct);
}

/* RFC 3261 16.7 step 6: 6xx beats everything, else the lowest class. */
static bool better(uint16_t candidate, uint16_t best)
{
	if (best == 0)
		return true;
	if (best >= 600)
		return false;
	if (candidate >= 600)
		return true;
	return candidate / 100 < best / 100;
}

static bool is_initial_invite(const struct sip_msg *req)
{
	return req->method_id == SIP_METHOD_INVITE && !slice_is_set(req->to.tag);
}

static void fork_finish_if_done(struct proxy_fork *fork)
{
	if (fork->pending > 0)
		return;
	if (!fork->final_sent) {
		uint16_t status = fork->best_status ? fork->best_status : 408;
		fork->final_sent = true;
		if (fork->timer_c_fired && (fork->best_status == 487 || fork->best_status == 0)) {
			status = 408;
			sip_strans_reply(fork->st, 408, NULL, NULL, SLICE_NULL, SLICE_NULL);
		} else if (fork->best) {
			send_upstream(fork, fork->best);
		} else {
			sip_strans_reply(fork->st, status, NULL, NULL, SLICE_NULL, SLICE_NULL);
		}
		if (is_initial_invite(fork->req)) /* no dialog came of it */
			calls_failed(fork->srv->calls, fork->req->call_id, status);
	}
	loop_timer_stop(fork->srv->loop, &fork->timer_c);
	mem_deref(fork); /* the reference the branches kept alive */
}

static void branch_done(struct proxy_branch *b)
{
	b->done = true;
	sip_ctrans_abandon(b->ct);
	b->ct = NULL;
	b->fork->pending--;
}

static void timer_c_fired(void *arg)
{
	struct proxy_fork *fork = arg;
	fork->timer_c_fired = true;
	log_info("Timer C: no final answer for %.*s, cancelling", SLICE_FMT(fork->req->call_id));
	fork_cancel_branches(fork);
}

static void branch_response(struct sip_ctrans *ct, struct sip_msg *resp, uint16_t status, void *arg)
{
	struct proxy_branch *b = arg;
	struct proxy_fork *fork = b->fork;
	(void)ct;
	if (b->done)
		return;
	if (status < 200) {
		if (status > 100 && !fork->final_sent)
			send_upstream(fork, resp);
		if (fork->req->method_id == SIP_METHOD_INVITE && !fork->timer_c_fired)
			loop_timer_start(fork->srv->loop, &fork->timer_c,
					 (uint64_t)fork->srv->settings.invite_timeout * 1000, timer_c_fired, fork);
		return;
	}
	mem_ref(fork);
	if (status < 300) {
		if (is_initial_invite(fork->req) && !fork->final_sent)
			calls_answered(fork->srv->calls, resp);
		send_upstream(fork, resp);
		fork->final_sent = true;
		branch_done(b);
		fork_cancel_branches(fork);
	} else {
		if (better(status, fork->best_status)) {
			fork->best_status = status;
			mem_deref(fork->best);
			fork->best = mem_ref(resp);
		}
		branch_done(b);
	}
	fork_finish_if_done(fork);
	mem_deref(fork);
}

static void upstream_cancelled(struct sip_strans *st, void *arg)
{
	struct proxy_fork *fork = arg;
	(void)st;
	fork_cancel_branches(fork);
}

static struct proxy_fork *fork_new(struct server *srv, struct sip_strans *st, struct sip_msg *req)
{
	struct proxy_fork *fork = mem_alloc(sizeof(*fork), fork_destroy);
	if (!fork)
		return NULL;
	fork->srv = srv;
	fork->st = mem_ref(st);
	fork->req = mem_ref(req);
	return fork;
}

static bool fork_add_branch(struct proxy_fork *fork, const struct next_hop *hop, size_t skip_routes)
{
	struct mbuf out, body;
	struct slice sdp = fork->req->body;
	char branch[64], token[17];
	struct proxy_branch *b = &fork->branches[fork->count];
	int err = 0;
	sip_random_token(token, sizeof(token));
	snprintf(branch, sizeof(branch), BRANCH_PREFIX "%s.%zu", token, fork->count);
	mbuf_init(&out);
	mbuf_init(&body);
	if (fork->anchored &&
	    (err = anchored_body(fork->srv, fork->req, request_body_is_offer(fork->req),
				 hop_transport(hop), &hop->addr, &body, &sdp, &fork->anchor_reason)))
		fork->anchor_error = err == EBADMSG ? 488 : 503;
	if (!err)
		err = build_forward(fork->srv, fork->req, hop, branch, skip_routes, sdp, &out);
	if (!err)
		err = sip_ctrans_create(&b->ct, fork->srv->sip, mbuf_slice(&out), hop->transport,
					&hop->addr, hop->conn, branch_response, b);
	mbuf_free(&out);
	mbuf_free(&body);
	if (err) {
		char where[NETADDR_STRLEN];
		log_info("cannot forward %.*s to %s: %s", SLICE_FMT(fork->req->method),
			 netaddr_str(&hop->addr, where, sizeof(where)), strerror(err));
		return false;
	}
	b->fork = fork;
	fork->count++;
	fork->pending++;
	return true;
}

static void fork_start(struct proxy_fork *fork)
{
	if (fork->count == 0) {
		if (fork->anchor_error)
			sip_strans_reply(fork->st, fork->anchor_error, fork->anchor_reason, NULL,
					 SLICE_NULL, SLICE_NULL);
		else
			sip_strans_reply(fork->st, fork->best_status ? fork->best_status : 480, NULL,
					 NULL, SLICE_NULL, SLICE_NULL);
		if (is_initial_invite(fork->req))
			calls_failed(fork->srv->calls, fork->req->call_id,
				     fork->anchor_error ? fork->anchor_error
				     : fork->best_status ? fork->best_status : 480);
		mem_deref(fork);
		return;
	}
	sip_strans_set_cancel_handler(fork->st, upstream_cancelled, fork);
	if (fork->req->method_id == SIP_METHOD_INVITE)
		loop_timer_start(fork->srv->loop, &fork->timer_c,
				 (uint64_t)fork->srv->settings.invite_timeout * 1000, timer_c_fired, fork);
	/* the fork now lives until its last branch is done */
}

void proxy_fork(struct server *srv, struct sip_strans *st, struct sip_msg *req,
		struct location_record *record)
{
	struct proxy_fork *fork = fork_new(srv, st, req);
	if (!fork) {
		sip_strans_reply(st, 500, "Out of memory", NULL, SLICE_NULL, SLICE_NULL);
		return;
	}
	struct next_hop hops[MAX_BRANCHES];
	size_t hop_count = 0;
	LIST_FOREACH(&record->bindings, it) {
		struct location_binding *b = LIST_ENTRY(it, struct location_binding, link);
		if (hop_count == MAX_BRANCHES)
			break;
		struct next_hop hop = {
			.transport = b->transport,
			.addr = b->source,
			.conn = sip_conn_is_open(b->conn) ? b->conn : NULL,
			.ruri = slice_from_cstr(b->contact),
			.path = b->path ? slice_from_cstr(b->path) : SLICE_NULL,
		};
		if (!hop.conn && is_stream(b->transport)) {
			/* the client's connection is gone: try the contact itself */
			struct sip_uri uri;
			struct next_hop direct;
			if (b->transport == SIP_TRANSPORT_WS || b->transport == SIP_TRANSPORT_WSS ||
			    sip_uri_parse(hop.ruri, &uri) || proxy_hop_from_uri(&uri, &direct))
				continue;
			hop.addr = direct.addr;
		}
		hops[hop_count++] = hop;
	}
	for (size_t i = 0; i < hop_count; i++)
		fork->anchored |= req->method_id == SIP_METHOD_INVITE &&
				  anchor_wanted(srv->anchor, req, hop_transport(&hops[i]));
	if (is_initial_invite(req))
		calls_invite(srv->calls, req);
	for (size_t i = 0; i < hop_count; i++)
		if (!fork_add_branch(fork, &hops[i], 0))
			fork->best_status = 480;
	fork_start(fork);
}

void proxy_forward(struct server *srv, struct sip_strans *st, struct sip_msg *req,
		   const struct next_hop *hop, size_t skip_routes)
{
	struct proxy_fork *fork = fork_new(srv, st, req);
	if (!fork) {
		sip_strans_reply(st, 500, "Out of memory", NULL, SLICE_NULL, SLICE_NULL);
		return;
	}
	if (slice_is_set(req->to.tag))
		fork->anchored = anchor_active(srv->anchor, req->call_id);
	else
		fork->anchored = req->method_id == SIP_METHOD_INVITE &&
				 anchor_wanted(srv->anchor, req, hop_transport(hop));
	if (is_initial_invite(req))
		calls_invite(srv->calls, req);
	if (!fork_add_branch(fork, hop, skip_routes))
		fork->best_status = 503;
	if (req->method_id == SIP_METHOD_BYE)
		calls_bye(srv->calls, req);
	fork_start(fork);
}

void proxy_forward_stateless(struct server *srv, struct sip_msg *req, const struct next_hop *hop,
			     size_t skip_routes)
{
	char branch[64];
	/* same input branch -> same output branch (RFC 3261 16.11) */
	snprintf(branch, sizeof(branch), BRANCH_PREFIX "s%08x%08x", slice_hash(req->via.branch),
		 slice_hash(req->call_id) ^ req->cseq);
	struct mbuf out, body;
	struct slice sdp = req->body;
	const char *reason;
	mbuf_init(&out);
	mbuf_init(&body);
	/* an ACK's SDP answers a late offer */
	if (anchor_active(srv->anchor, req->call_id))
		anchored_body(srv, req, false, hop_transport(hop), &hop->addr, &body, &sdp, &reason);
	if (build_forward(srv, req, hop, branch, skip_routes, sdp, &out) == 0)
		sip_transport_send(sip_stack_transport(srv->sip), hop->transport, &hop->addr, hop->conn,
				   mbuf_slice(&out));
	mbuf_free(&out);
	mbuf_free(&body);
}

/* ------------------------------------------------------ stray responses */

void proxy_stray_response(struct sip_stack *s, struct sip_msg *resp, void *arg)
{
	struct server *srv = arg;
	(void)s;
	if (!slice_starts_with_case(resp->via.branch, BRANCH_PREFIX) ||
	    !server_is_local_domain(srv, resp->via.host))
		return; /* not ours to forward */
	/* The next Via says where the response goes. */
	struct sip_value_iter it;
	struct slice value;
	struct sip_via next;
	sip_value_iter_init(&it, resp, SIP_HDR_VIA);
	if (!sip_value_iter_next(&it, &value) || !sip_value_iter_next(&it, &value) ||
	    sip_via_parse(value, &next))
		return;
	struct next_hop hop = { 0 };
	struct slice host = next.received.len ? next.received : next.host;
	uint32_t port = next.port ? next.port : 5060;
	if (next.rport.len)
		slice_to_u32(next.rport, &port);
	if (sip_transport_parse(next.transport, &hop.transport) || port > 65535 ||
	    netaddr_set(&hop.addr, host, (uint16_t)port))
		return;
	if (netaddr_is_any(&hop.addr) || (netaddr_family(&hop.addr) == AF_INET &&
					  hop.addr.u.in.sin_addr.s_addr == INADDR_BROADCAST))
		return; /* never reflect to broadcast (RFC 4475 3.3.10) */
	struct mbuf out, body;
	struct slice sdp = resp->body;
	const char *reason;
	mbuf_init(&out);
	mbuf_init(&body);
	/* a retransmitted 2xx carries the answer it carried the first time */
	if (anchor_active(srv->anchor, resp->call_id))
		anchored_body(srv, resp, false, hop.transport, &hop.addr, &body, &sdp, &reason);
	build_upstream_response(resp, sdp, &out);
	struct sip_transport *tp = sip_stack_transport(srv->sip);
	if (!mbuf_failed(&out))
		sip_transport_send(tp, hop.transport, &hop.addr,
				   sip_transport_find_conn(tp, hop.transport, &hop.addr), mbuf_slice(&out));
	mbuf_free(&out);
	mbuf_free(&body);
}
