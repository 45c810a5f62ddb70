/*
 * server.c - the ng control socket: receive, answer from the cache or
 * run the command, send, remember the reply. See ng/server.h.
 *
 * The receive buffer, the node array for the parser and the reply buffer
 * are part of the server (one request at a time on one thread), so a
 * request costs no allocation besides the reply's growth and the cache
 * entry.
 */
#include "ng/server.h"

#include "core/log.h"
#include "core/loop.h"
#include "core/mbuf.h"
#include "ng/ng.h"
#include "ng/cache.h"
#include "ng/commands.h"
#include "session/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Datagrams read per wake-up before other events get their turn. */
#define NG_BATCH 32

struct ng_server {
	struct loop *loop;
	struct loop_fd reg;
	int fd;
	struct session_table *calls; /* ng has a call table of its own */
	struct ng_cache cache;
	struct mbuf reply;
	struct bencode_node nodes[NG_MAX_NODES];
	char buf[65536]; /* a UDP datagram's largest payload, and its NUL */
};

static void run_command(struct ng_server *srv, const struct ng_message *msg)
{
	struct ng_request req;
	const char *reason;

	switch (msg->command) {
	case NG_PING:
		ng_reply_pong(&srv->reply, msg->cookie);
		return;
	case NG_OFFER:
	case NG_ANSWER:
	case NG_DELETE:
	case NG_QUERY:
		break;
	default:
		ng_reply_error(&srv->reply, msg->cookie, "Unrecognized command");
		return;
	}
	if (ng_request_parse(msg, &req, &reason)) {
		ng_reply_error(&srv->reply, msg->cookie, reason);
		return;
	}
	if (msg->command == NG_OFFER || msg->command == NG_ANSWER)
		ng_command_offer_answer(srv->calls, msg, &req, msg->command == NG_OFFER, &srv->reply);
	else if (msg->command == NG_DELETE)
		ng_command_delete(srv->calls, msg, &req, &srv->reply);
	else
		ng_command_query(srv->calls, msg, &req, &srv->reply);
}

static void send_reply(struct ng_server *srv, struct slice reply, const struct netaddr *to)
{
	if (sendto(srv->fd, reply.p, reply.len, 0, &to->u.sa, to->len) < 0)
		log_warn("ng: reply of %zu bytes not sent: %s", reply.len, strerror(errno));
}

static void handle_datagram(struct ng_server *srv, size_t len, const struct netaddr *from)
{
	char peer[NETADDR_STRLEN];
	struct ng_message msg;
	struct bencode_error err;
	uint64_t now = loop_now_ms(srv->loop);
	int rc;

	rc = ng_parse(srv->buf, len, srv->nodes, NG_MAX_NODES, &msg, &err);
	if (!msg.cookie.p) {
		log_info("ng: %zu bytes from %s dropped: %s", len, netaddr_str(from, peer, sizeof(peer)),
			 err.reason);
		return;
	}
	struct slice cached = ng_cache_find(&srv->cache, msg.cookie, now);
	if (cached.p) {
		log_debug("ng: cookie %.*s again: the same reply", SLICE_FMT(msg.cookie));
		send_reply(srv, cached, from);
		return;
	}
	mbuf_reset(&srv->reply);
	if (rc) {
		log_info("ng: request %.*s from %s refused: %s", SLICE_FMT(msg.cookie),
			 netaddr_str(from, peer, sizeof(peer)), err.reason);
		ng_reply_error(&srv->reply, msg.cookie, err.reason);
	} else {
		run_command(srv, &msg);
	}
	if (mbuf_failed(&srv->reply)) {
		log_error("ng: out of memory for the reply to %.*s", SLICE_FMT(msg.cookie));
		return;
	}
	send_reply(srv, mbuf_slice(&srv->reply), from);
	ng_cache_put(&srv->cache, msg.cookie, mbuf_slice(&srv->reply), now);
}

static void on_readable(int fd, uint32_t events, void *arg)
{
	struct ng_server *srv = arg;
	(void)events;

	for (int i = 0; i < NG_BATCH; i++) {
		struct netaddr from = { .len = sizeof(from.u.storage) };
		ssize_t n = recvfrom(fd, srv->buf, sizeof(srv->buf) - 1, MSG_TRUNC, &from.u.sa, &from.len);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("ng: receive: %s", strerror(errno));
			return;
		}
		if ((size_t)n >= sizeof(srv->buf)) {
			log_info("ng: datagram of %zd bytes dropped: too long", n);
			continue;
		}
		handle_datagram(srv, (size_t)n, &from);
	}
}

int ng_server_create(struct ng_server **serverp, struct loop *loop, struct media_engine *engine,
		     const struct ng_server_settings *s)
{
	struct ng_server *srv = calloc(1, sizeof(*srv));
	char addr[NETADDR_STRLEN];
	int err;

	if (!srv)
		return ENOMEM;
	srv->loop = loop;
	srv->fd = -1;
	mbuf_init(&srv->reply);
	if ((err = ng_cache_init(&srv->cache))) {
		free(srv);
		return err;
	}
	struct session_settings ss = {
		.engine = engine,
		.loop = loop,
		.timeout_ms = s->timeout_ms,
		.advertised = s->advertised,
		.bind = s->bind,
	};
	if ((err = session_table_create(&srv->calls, &ss)))
		goto out;
	srv->fd = socket(netaddr_family(&s->listen), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0 || bind(srv->fd, &s->listen.u.sa, s->listen.len)) {
		err = errno;
		log_error("ng: cannot listen on %s: %s", netaddr_str(&s->listen, addr, sizeof(addr)),
			  strerror(err));
		goto out;
	}
	if ((err = loop_fd_add(loop, &srv->reg, srv->fd, EPOLLIN, on_readable, srv)))
		goto out;
	log_notice("ng: rtpengine control protocol on %s/udp",
		   netaddr_str(&s->listen, addr, sizeof(addr)));
	*serverp = srv;
out:
	if (err) {
		if (srv->fd >= 0)
			close(srv->fd);
		srv->fd = -1;
		ng_server_destroy(srv);
	}
	return err;
}

void ng_server_destroy(struct ng_server *srv)
{
	if (!srv)
		return;
	if (srv->fd >= 0) {
		loop_fd_del(srv->loop, &srv->reg);
		close(srv->fd);
	}
	session_table_destroy(srv->calls);
	ng_cache_free(&srv->cache);
	mbuf_free(&srv->reply);
	free(srv);
}
