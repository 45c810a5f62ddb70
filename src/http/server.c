/*
 * server.c - HTTP listeners and connections, requests, WebSocket upgrades
 * handed over; see http/server.h.
 *
 * Ownership: the server keeps each connection it accepted in a list, with
 * one reference to its stream; the connection goes from the list when its
 * stream closes, or when an upgrade hands the stream to the upgrade
 * handler (which took its own reference).
 */
#include "http/server.h"

#include "core/list.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mem.h"
#include "core/stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LISTENERS 16
#define ACCEPT_BATCH 64

struct http_listener {
	struct http_server *server;
	bool secure;
	int fd;
	struct loop_fd reg;
};

struct http_conn {
	struct list link; /* in http_server.conns */
	struct http_server *server;
	struct stream *stream;
	bool secure;
};

struct http_server {
	struct loop *loop;
	struct http_server_settings settings;
	struct http_listener listeners[MAX_LISTENERS];
	size_t listener_count;
	struct list conns;
};

static void conn_free(struct http_conn *c)
{
	list_remove(&c->link);
	mem_deref(c->stream);
	free(c);
}

static void conn_closed(struct stream *s, const char *why, void *arg)
{
	char peer[NETADDR_STRLEN];

	log_debug("HTTP connection %s closed (%s)", netaddr_str(&s->remote, peer, sizeof(peer)),
		  why);
	conn_free(arg);
}

static void refuse(struct http_conn *c, const struct http_error *err)
{
	char peer[NETADDR_STRLEN];
	struct mbuf out;

	mbuf_init(&out);
	http_error_print(&out, err, NULL);
	log_info("HTTP request from %s refused: %u %s",
		 netaddr_str(&c->stream->remote, peer, sizeof(peer)), err->status, err->reason);
	stream_write(c->stream, mbuf_slice(&out));
	mbuf_free(&out);
	stream_finish(c->stream, "HTTP request refused");
}

/* An upgrade request: refused, or the stream goes to the upgrade handler
 * (and c is freed). */
static void upgrade(struct http_conn *c, const struct http_request *req)
{
	const struct http_server_settings *set = &c->server->settings;
	struct ws_policy policy = set->ws;
	struct stream *s = c->stream;
	char peer[NETADDR_STRLEN];
	struct http_error err = { 404, "Not Found" };
	struct mbuf out;
	int rc = -1;

	policy.secure = c->secure;
	mbuf_init(&out);
	if (set->upgrade)
		rc = ws_handshake(req, &policy, &out, &err);
	else
		http_error_print(&out, &err, NULL);
	if (rc) {
		log_info("WebSocket upgrade from %s refused: %u %s",
			 netaddr_str(&s->remote, peer, sizeof(peer)), err.status, err.reason);
		stream_write(s, mbuf_slice(&out));
		mbuf_free(&out);
		stream_finish(s, "WebSocket upgrade refused");
		return;
	}
	rc = stream_write(s, mbuf_slice(&out));
	mbuf_free(&out);
	if (rc)
		return; /* closed: the 101 could not go */
	if ((rc = set->upgrade(s, c->secure, set->upgrade_arg))) {
		stream_close(s, rc == ENOMEM ? "out of memory" : "upgrade failed");
		return;
	}
	conn_free(c); /* the stream is the upgrade handler's now */
}

static void answer(struct http_conn *c, const struct http_request *req)
{
	const struct http_server_settings *set = &c->server->settings;
	struct mbuf out;

	mbuf_init(&out);
	if (set->route)
		set->route(req, &out, set->route_arg);
	else
		http_response_print(&out, 404, "Not Found", NULL, SLICE_LIT(""),
				    slice_eq_cstr(req->method, "HEAD"));
	if (mbuf_failed(&out)) {
		mbuf_free(&out);
		stream_close(c->stream, "out of memory");
		return;
	}
	stream_write(c->stream, mbuf_slice(&out));
	mbuf_free(&out);
	if (!req->keep_alive)
		stream_finish(c->stream, "HTTP connection: close");
}

/* One request from the start of the stream's input: the bytes it used, 0
 * while it is incomplete. A connection on its way out reads nothing more. */
static size_t conn_data(struct stream *s, void *arg)
{
	struct http_conn *c = arg;
	struct http_request req;
	struct http_error err;
	size_t body;
	int head;

	if (s->close_when_flushed)
		return s->rlen;
	head = http_request_parse(s->rbuf, s->rlen, c->server->settings.max_head, &req, &err);
	if (head == 0)
		return 0;
	if (head < 0) {
		refuse(c, &err);
		return s->rlen;
	}
	body = req.content_length > 0 ? (size_t)req.content_length : 0;
	if (body > HTTP_MAX_BODY) {
		err = (struct http_error){ 413, "Content Too Large: this server takes no request bodies" };
		refuse(c, &err);
		return s->rlen;
	}
	if (s->rlen < (size_t)head + body)
		return 0;
	if (ws_is_upgrade(&req))
		upgrade(c, &req); /* c may be gone */
	else
		answer(c, &req);
	return (size_t)head + body;
}

static const struct stream_handler conn_handler = { .data = conn_data, .closed = conn_closed };

static void accept_ready(int fd, uint32_t events, void *arg)
{
	struct http_listener *l = arg;
	struct http_server *srv = l->server;
	(void)events;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct netaddr remote;
		int cfd = stream_accept(fd, &remote);
		if (cfd < 0)
			return;
		struct http_conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->server = srv;
		c->secure = l->secure;
		list_append(&srv->conns, &c->link);
		if (stream_create(&c->stream, srv->loop, cfd, l->secure ? srv->settings.tls : NULL, true,
				  false, &remote, srv->settings.idle_timeout_s,
				  srv->settings.max_head + HTTP_MAX_BODY, &conn_handler, c)) {
			list_remove(&c->link);
			free(c);
		}
	}
}

int http_server_create(struct http_server **serverp, struct loop *loop,
		       const struct http_server_settings *settings)
{
	struct http_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return ENOMEM;
	srv->loop = loop;
	srv->settings = *settings;
	list_init(&srv->conns);
	*serverp = srv;
	return 0;
}

int http_server_listen(struct http_server *srv, const struct netaddr *addr, bool secure,
		       struct netaddr *bound)
{
	struct http_listener *l = &srv->listeners[srv->listener_count];
	char where[NETADDR_STRLEN];
	socklen_t len;
	int err;

	if (srv->listener_count == MAX_LISTENERS)
		return ENOSPC;
	if (secure && !srv->settings.tls)
		return EINVAL;
	l->fd = stream_listen(addr);
	if (l->fd < 0) {
		err = errno;
		log_error("cannot listen on %s %s: %s", secure ? "HTTPS" : "HTTP",
			  netaddr_str(addr, where, sizeof(where)), strerror(err));
		return err;
	}
	*bound = *addr;
	len = sizeof(bound->u.storage);
	getsockname(l->fd, &bound->u.sa, &len);
	bound->len = len;
	l->server = srv;
	l->secure = secure;
	if ((err = loop_fd_add(srv->loop, &l->reg, l->fd, EPOLLIN, accept_ready, l))) {
		close(l->fd);
		return err;
	}
	srv->listener_count++;
	log_notice("listening on %s %s", secure ? "HTTPS" : "HTTP",
		   netaddr_str(bound, where, sizeof(where)));
	return 0;
}

void http_server_destroy(struct http_server *srv)
{
	if (!srv)
		return;
	for (size_t i = 0; i < srv->listener_count; i++) {
		loop_fd_del(srv->loop, &srv->listeners[i].reg);
		close(srv->listeners[i].fd);
	}
	while (!list_empty(&srv->conns)) {
		struct http_conn *c = LIST_ENTRY(srv->conns.next, struct http_conn, link);
		stream_close(c->stream, "shutdown"); /* frees c */
	}
	free(srv);
}
