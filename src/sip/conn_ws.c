/*
 * conn_ws.c - the HTTP and WebSocket side of WS and WSS connections
 * (RFC 6455, RFC 7118).
 *
 * A WS or WSS connection starts as HTTP/1.1. Each request is either the
 * WebSocket upgrade for SIP at the configured path, or handed to the
 * transport's HTTP handler (the web phone's files) and answered on the same
 * connection, kept alive when the client asks. A request that cannot be
 * parsed, or an upgrade that is refused (wrong Origin, path, version or
 * subprotocol), gets its HTTP error and the connection closes once the
 * answer is written.
 *
 * After the 101 every WebSocket message is exactly one SIP message (RFC
 * 7118 5), delivered like a datagram (Content-Length may be absent) with
 * the connection as its flow, so responses and requests to a browser go
 * back over the connection it opened. Pings are answered, a close is
 * echoed, and a protocol error (unmasked frame, oversized message, bad
 * UTF-8) closes with its code; none of it touches other connections.
 *
 * The framing and parsing are pure functions in http/; this file only moves
 * bytes between them and the connection.
 */
#include "sip/transport_internal.h"

#include "core/log.h"

#include <string.h>

#define HTTP_MAX_BODY 65536 /* the HTTP side serves files; bodies are read and ignored */

static void refuse(struct sip_conn *c, const struct http_error *err)
{
	struct mbuf out;
	char peer[NETADDR_STRLEN];
	mbuf_init(&out);
	http_error_print(&out, err, NULL);
	log_info("HTTP request from %s refused: %u %s", netaddr_str(&c->remote, peer, sizeof(peer)),
		 err->status, err->reason);
	conn_write(c, mbuf_slice(&out));
	mbuf_free(&out);
	conn_finish(c, "HTTP request refused");
}

static void upgrade(struct sip_conn *c, const struct http_request *req)
{
	struct sip_transport *t = c->transport;
	struct ws_policy policy = t->settings.ws;
	struct http_error err;
	struct mbuf out;
	char peer[NETADDR_STRLEN];

	policy.secure = c->type == SIP_TRANSPORT_WSS;
	mbuf_init(&out);
	if (ws_handshake(req, &policy, &out, &err) == 0) {
		c->upgraded = true;
		ws_reader_init(&c->ws, t->settings.max_message_size);
		log_info("%s connection %s upgraded to WebSocket", sip_transport_name(c->type),
			 netaddr_str(&c->remote, peer, sizeof(peer)));
		conn_write(c, mbuf_slice(&out));
	} else {
		log_info("WebSocket upgrade from %s refused: %u %s",
			 netaddr_str(&c->remote, peer, sizeof(peer)), err.status, err.reason);
		conn_write(c, mbuf_slice(&out));
		conn_finish(c, "WebSocket upgrade refused");
	}
	mbuf_free(&out);
}

static void answer(struct sip_conn *c, const struct http_request *req)
{
	struct sip_transport *t = c->transport;
	struct mbuf out;

	mbuf_init(&out);
	if (t->settings.http)
		t->settings.http(req, &out, t->settings.http_arg);
	else
		http_response_print(&out, 404, "Not Found", NULL, SLICE_LIT(""),
				    slice_eq_cstr(req->method, "HEAD"));
	if (mbuf_failed(&out)) {
		mbuf_free(&out);
		conn_close(c, "out of memory");
		return;
	}
	conn_write(c, mbuf_slice(&out));
	mbuf_free(&out);
	if (!req->keep_alive)
		conn_finish(c, "HTTP connection: close");
}

/* One HTTP request from rbuf+pos; returns the bytes it used, 0 when it is
 * not complete yet. */
static size_t http_step(struct sip_conn *c, size_t pos)
{
	struct http_request req;
	struct http_error err;
	size_t avail = c->rlen - pos;
	int head = http_request_parse(c->rbuf + pos, avail, c->transport->settings.max_http_head, &req,
				      &err);
	if (head == 0)
		return 0;
	if (head < 0) {
		refuse(c, &err);
		return avail;
	}
	size_t body = req.content_length > 0 ? (size_t)req.content_length : 0;
	if (body > HTTP_MAX_BODY) {
		err = (struct http_error){ 413, "Content Too Large: this server takes no request bodies" };
		refuse(c, &err);
		return avail;
	}
	if (avail < (size_t)head + body)
		return 0;
	if (ws_is_upgrade(&req))
		upgrade(c, &req);
	else
		answer(c, &req);
	return (size_t)head + body;
}

static void close_with(struct sip_conn *c, uint16_t code, const char *reason)
{
	struct mbuf frame;
	mbuf_init(&frame);
	ws_close_frame_print(&frame, code, reason);
	conn_write(c, mbuf_slice(&frame));
	mbuf_free(&frame);
	conn_finish(c, reason);
}

/* One WebSocket frame from rbuf+pos; returns the bytes it used. */
static size_t ws_step(struct sip_conn *c, size_t pos)
{
	struct ws_event ev;
	struct mbuf frame;
	char peer[NETADDR_STRLEN];
	size_t used = 0;

	ws_reader_next(&c->ws, c->rbuf + pos, c->rlen - pos, &used, &ev);
	switch (ev.type) {
	case WS_EVENT_MESSAGE: {
		struct sip_source src = { .transport = c->type, .remote = c->remote, .local = c->local,
					  .conn = c };
		transport_deliver(c->transport, ev.payload.p, ev.payload.len, false, &src);
		break;
	}
	case WS_EVENT_PING:
		mbuf_init(&frame);
		ws_frame_print(&frame, WS_OP_PONG, ev.payload);
		conn_write(c, mbuf_slice(&frame));
		mbuf_free(&frame);
		break;
	case WS_EVENT_CLOSE:
		close_with(c, ev.close_code == 1005 ? 1000 : ev.close_code, "closed by peer");
		return c->rlen - pos;
	case WS_EVENT_ERROR:
		log_info("WebSocket error from %s: %s; closing with %u",
			 netaddr_str(&c->remote, peer, sizeof(peer)), ev.error, ev.close_code);
		close_with(c, ev.close_code, ev.error);
		return c->rlen - pos;
	case WS_EVENT_PONG:
	case WS_EVENT_NONE:
		break;
	}
	return used;
}

size_t conn_ws_process(struct sip_conn *c)
{
	size_t pos = 0;
	while (c->open && !c->close_when_flushed && pos < c->rlen) {
		size_t used = c->upgraded ? ws_step(c, pos) : http_step(c, pos);
		if (used == 0)
			break;
		pos += used;
	}
	if (c->close_when_flushed)
		return c->rlen; /* nothing more is read from a connection on its way out */
	return pos;
}
