/*
 * conn_ws.c - SIP over WebSocket connections (RFC 6455, RFC 7118), once
 * the HTTP server has answered their upgrade and handed them over.
 *
 * Every WebSocket message is exactly one SIP message (RFC 7118 5),
 * delivered like a datagram (Content-Length may be absent) with the
 * connection as its flow, so responses and requests to a browser go back
 * over the connection it opened. Pings are answered, a close is echoed,
 * and a protocol error (unmasked frame, oversized message, bad UTF-8)
 * closes with its code; none of it touches other connections.
 *
 * The framing is pure functions in http/ws.h; this file only moves bytes
 * between them and the connection.
 */
#include "sip/transport_internal.h"

#include "core/log.h"

#include <string.h>

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

	ws_reader_next(&c->ws, c->stream->rbuf + pos, c->stream->rlen - pos, &used, &ev);
	switch (ev.type) {
	case WS_EVENT_MESSAGE: {
		struct sip_source src = { .transport = c->type, .remote = c->remote, .local = c->stream->local,
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
		return c->stream->rlen - pos;
	case WS_EVENT_ERROR:
		log_info("WebSocket error from %s: %s; closing with %u",
			 netaddr_str(&c->remote, peer, sizeof(peer)), ev.error, ev.close_code);
		close_with(c, ev.close_code, ev.error);
		return c->stream->rlen - pos;
	case WS_EVENT_PONG:
	case WS_EVENT_NONE:
		break;
	}
	return used;
}

size_t conn_ws_process(struct sip_conn *c)
{
	struct stream *s = c->stream;
	size_t pos = 0;

	while (c->open && !s->close_when_flushed && pos < s->rlen) {
		size_t used = ws_step(c, pos);
		if (used == 0)
			break;
		pos += used;
	}
	if (s->close_when_flushed)
		return s->rlen; /* nothing more is read from a connection on its way out */
	return pos;
}
