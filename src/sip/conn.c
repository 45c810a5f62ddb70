/*
 * conn.c - stream connections carrying SIP: TCP, TLS, and WS/WSS (whose
 * WebSocket framing is in conn_ws.c), each on a struct stream
 * (core/stream.h) that does the socket, TLS, buffering and idle time.
 *
 * TCP and TLS: messages are cut by Content-Length (sip_frame_length).
 * Broken framing (a missing, negative or doubled Content-Length) cannot be
 * recovered on a stream: the request is answered 400 when it can be, then
 * the connection is closed. CRLF CRLF keep-alives (RFC 5626 4.4.1) are
 * answered with CRLF.
 *
 * WS and WSS connections are never opened or accepted here: the HTTP
 * server (http/server.h) accepts them, answers the upgrade, and hands the
 * stream over (sip_transport_adopt_websocket).
 *
 * A connection with no traffic for idle_timeout (or longer, while a
 * registration relies on it) is closed.
 */
#include "sip/transport_internal.h"

#include "core/log.h"
#include "core/mem.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Input beyond the largest message: room for the next one's start. */
#define CONN_READ_SLACK 16384

struct conn_key {
	enum sip_transport_type type;
	const struct netaddr *remote;
};

static uint32_t conn_hash(enum sip_transport_type type, const struct netaddr *remote)
{
	return netaddr_hash(remote) ^ (uint32_t)type;
}

static bool conn_match(const struct hash_link *entry, const void *key)
{
	const struct sip_conn *c = (const struct sip_conn *)entry;
	const struct conn_key *k = key;
	return c->open && c->type == k->type && netaddr_eq(&c->remote, k->remote);
}

struct sip_conn *sip_transport_find_conn(struct sip_transport *t, enum sip_transport_type type,
					 const struct netaddr *remote)
{
	struct conn_key key = { type, remote };
	return (struct sip_conn *)hash_lookup(&t->conns, conn_hash(type, remote), conn_match, &key);
}

bool sip_conn_is_open(const struct sip_conn *conn)
{
	return conn && conn->open;
}

uint64_t sip_conn_id(const struct sip_conn *conn)
{
	return conn->id;
}

enum sip_transport_type sip_conn_type(const struct sip_conn *conn)
{
	return conn->type;
}

const struct netaddr *sip_conn_remote(const struct sip_conn *conn)
{
	return &conn->remote;
}

const struct netaddr *sip_conn_local(const struct sip_conn *conn)
{
	return &conn->stream->local;
}

static void conn_destroy(void *obj)
{
	struct sip_conn *c = obj;
	ws_reader_free(&c->ws);
	mem_deref(c->stream);
}

void sip_conn_keep_alive_for(struct sip_conn *conn, unsigned seconds)
{
	unsigned idle = conn->transport->settings.idle_timeout_s;

	if (!conn->open)
		return;
	if (seconds + 30 > idle)
		idle = seconds + 30;
	stream_set_idle(conn->stream, idle);
}

void conn_close(struct sip_conn *c, const char *why)
{
	stream_close(c->stream, why);
}

/* The stream closed: out of the table, tell the layer above. */
static void conn_closed(struct stream *s, const char *why, void *arg)
{
	struct sip_conn *c = arg;
	struct sip_transport *t = c->transport;
	char peer[NETADDR_STRLEN];

	(void)s;
	c->open = false;
	log_info("%s connection %s closed (%s)", sip_transport_name(c->type),
		 netaddr_str(&c->remote, peer, sizeof(peer)), why);
	hash_remove(&t->conns, &c->link);
	if (t->closed)
		t->closed(c, t->arg);
	mem_deref(c); /* the table's reference */
}

void conn_close_all(struct sip_transport *t)
{
	for (uint32_t i = 0; i <= t->conns.mask; i++) {
		LIST_FOREACH_SAFE(&t->conns.buckets[i], it, tmp)
			conn_close(LIST_ENTRY(it, struct sip_conn, link.link), "shutdown");
	}
}

int conn_write(struct sip_conn *c, struct slice data)
{
	return stream_write(c->stream, data);
}

int conn_send(struct sip_conn *c, struct slice data)
{
	if (!conn_is_websocket(c))
		return conn_write(c, data);
	int err = stream_writable(c->stream);
	if (err)
		return err;
	ws_frame_print(&c->stream->wbuf, WS_OP_TEXT, data);
	return stream_flush(c->stream);
}

void conn_finish(struct sip_conn *c, const char *why)
{
	stream_finish(c->stream, why);
}

/* Cut and deliver every whole SIP message in the stream's input; returns
 * the bytes used. */
static size_t process_sip_stream(struct sip_conn *c)
{
	struct sip_transport *t = c->transport;
	struct stream *s = c->stream;
	size_t pos = 0;

	while (c->open && pos < s->rlen) {
		size_t skip, msg_len;
		int rc = sip_frame_length(s->rbuf + pos, s->rlen - pos, t->settings.max_message_size,
					  &skip, &msg_len);
		if (skip >= 4 && memcmp(s->rbuf + pos, "\r\n\r\n", 4) == 0)
			conn_write(c, SLICE_LIT("\r\n")); /* keep-alive pong */
		pos += skip;
		if (rc == EAGAIN)
			break;
		struct sip_source src = { .transport = c->type, .remote = c->remote, .local = s->local,
					  .conn = c };
		if (rc == EMSGSIZE) {
			conn_close(c, "message too large");
			break;
		}
		if (rc == EBADMSG) {
			/* Answer from the headers alone, then give up the stream. */
			transport_deliver(t, s->rbuf + pos, msg_len, false, &src);
			conn_close(c, "bad Content-Length");
			break;
		}
		transport_deliver(t, s->rbuf + pos, msg_len, true, &src);
		pos += msg_len;
	}
	return pos;
}

static size_t conn_data(struct stream *s, void *arg)
{
	struct sip_conn *c = arg;
	size_t pos;

	(void)s;
	mem_ref(c);
	pos = conn_is_websocket(c) ? conn_ws_process(c) : process_sip_stream(c);
	mem_deref(c);
	return pos;
}

static const struct stream_handler conn_handler = { .data = conn_data, .closed = conn_closed };

/* A connection of type on stream s (a reference of its own), in the table. */
static struct sip_conn *conn_new(struct sip_transport *t, enum sip_transport_type type,
				 struct stream *s)
{
	struct sip_conn *c = mem_alloc(sizeof(*c), conn_destroy);
	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->transport = t;
	c->id = t->next_conn_id++;
	c->type = type;
	c->remote = s->remote;
	c->open = true;
	c->stream = mem_ref(s);
	list_init(&c->link.link);
	stream_set_handler(s, &conn_handler, c);
	hash_insert(&t->conns, &c->link, conn_hash(type, &c->remote));
	return c;
}

/* The connection's own stream on fd; NULL when it cannot be made. */
static struct sip_conn *conn_on_fd(struct sip_transport *t, enum sip_transport_type type, int fd,
				   const struct netaddr *remote, bool accept, bool connecting)
{
	SSL_CTX *tls = type == SIP_TRANSPORT_TLS ? t->settings.tls : NULL;
	struct stream *s;
	struct sip_conn *c;

	if (stream_create(&s, t->loop, fd, tls, accept, connecting, remote,
			  t->settings.idle_timeout_s,
			  t->settings.max_message_size + CONN_READ_SLACK, &conn_handler, NULL))
		return NULL;
	c = conn_new(t, type, s); /* NULL: the stream goes with our reference */
	mem_deref(s);
	return c;
}

int conn_accept(struct sip_listener *l)
{
	for (int i = 0; i < 64; i++) {
		struct netaddr remote;
		int fd = stream_accept(l->fd, &remote);
		if (fd < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : errno;
		conn_on_fd(l->transport, l->type, fd, &remote, true, false);
	}
	return 0;
}

int sip_transport_adopt_websocket(struct sip_transport *t, struct stream *s, bool secure)
{
	enum sip_transport_type type = secure ? SIP_TRANSPORT_WSS : SIP_TRANSPORT_WS;
	char peer[NETADDR_STRLEN];
	struct sip_conn *c = conn_new(t, type, s);

	if (!c)
		return ENOMEM;
	ws_reader_init(&c->ws, t->settings.max_message_size);
	s->max_buffered = t->settings.max_message_size + CONN_READ_SLACK;
	stream_set_idle(s, t->settings.idle_timeout_s);
	log_info("%s connection %s upgraded to WebSocket", sip_transport_name(type),
		 netaddr_str(&c->remote, peer, sizeof(peer)));
	return 0;
}

int conn_open(struct sip_transport *t, enum sip_transport_type type, const struct netaddr *dst,
	      struct sip_conn **connp)
{
	if ((type == SIP_TRANSPORT_TLS && !t->settings.tls) || type == SIP_TRANSPORT_WS ||
	    type == SIP_TRANSPORT_WSS)
		return EPROTONOSUPPORT;
	int fd = socket(netaddr_family(dst), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	int on = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	bool in_progress = false;
	if (connect(fd, &dst->u.sa, dst->len) < 0) {
		if (errno != EINPROGRESS) {
			int err = errno;
			close(fd);
			return err;
		}
		in_progress = true;
	}
	struct sip_conn *c = conn_on_fd(t, type, fd, dst, false, in_progress);
	if (!c)
		return ENOMEM;
	*connp = c;
	return 0;
}
