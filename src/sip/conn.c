/*
 * conn.c - stream connections carrying SIP: TCP, TLS, and WS/WSS (whose
 * HTTP and WebSocket framing is in conn_ws.c).
 *
 * Each connection reads into its own buffer and cuts messages by
 * Content-Length (sip_frame_length). Broken framing (a missing, negative or
 * doubled Content-Length) cannot be recovered on a stream: the request is
 * answered 400 when it can be, then the connection is closed. CRLF CRLF
 * keep-alives (RFC 5626 4.4.1) are answered with CRLF.
 *
 * Writes go straight to the socket; what it does not take waits in wbuf
 * until EPOLLOUT. TLS runs over the same code with SSL_read/SSL_write;
 * OpenSSL's WANT_READ/WANT_WRITE map onto the epoll interest set.
 *
 * A connection with no traffic for idle_timeout (or longer, while a
 * registration relies on it) is closed.
 */
#include "sip/transport_internal.h"

#include "core/log.h"
#include "core/mem.h"

#include <errno.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONN_READ_CHUNK 16384

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
	return &conn->local;
}

static void conn_destroy(void *obj)
{
	struct sip_conn *c = obj;
	free(c->rbuf);
	mbuf_free(&c->wbuf);
	ws_reader_free(&c->ws);
	if (c->ssl)
		SSL_free(c->ssl);
}

static void idle_timeout(void *arg)
{
	conn_close(arg, "idle");
}

static void touch(struct sip_conn *c)
{
	unsigned secs = c->transport->settings.idle_timeout_s;
	if (c->keep_alive_s > secs)
		secs = c->keep_alive_s;
	loop_timer_start(c->transport->loop, &c->idle_timer, (uint64_t)secs * 1000, idle_timeout, c);
}

void sip_conn_keep_alive_for(struct sip_conn *conn, unsigned seconds)
{
	if (!conn->open)
		return;
	conn->keep_alive_s = seconds + 30;
	touch(conn);
}

void conn_close(struct sip_conn *c, const char *why)
{
	char peer[NETADDR_STRLEN];
	if (!c->open)
		return;
	struct sip_transport *t = c->transport;
	c->open = false;
	c->close_when_flushed = false;
	log_info("%s connection %s closed (%s)", sip_transport_name(c->type),
		 netaddr_str(&c->remote, peer, sizeof(peer)), why);
	loop_fd_del(t->loop, &c->reg);
	loop_timer_stop(t->loop, &c->idle_timer);
	close(c->fd);
	c->fd = -1;
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

static void update_interest(struct sip_conn *c, bool want_write)
{
	loop_fd_modify(c->transport->loop, &c->reg, EPOLLIN | (want_write ? EPOLLOUT : 0));
}

/* ---------------------------------------------------------------- I/O */

/* Returns bytes read, 0 for EOF, -1 would block, -2 error. */
static ssize_t conn_read(struct sip_conn *c, char *buf, size_t len)
{
	if (c->ssl) {
		ERR_clear_error(); /* SSL_get_error reads the thread's queue: start it empty */
		int n = SSL_read(c->ssl, buf, (int)len);
		if (n > 0)
			return n;
		int e = SSL_get_error(c->ssl, n);
		if (e == SSL_ERROR_WANT_READ)
			return -1;
		if (e == SSL_ERROR_WANT_WRITE) {
			update_interest(c, true);
			return -1;
		}
		return e == SSL_ERROR_ZERO_RETURN ? 0 : -2;
	}
	ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? -1 : -2;
	return n;
}

static ssize_t conn_write_raw(struct sip_conn *c, const char *data, size_t len)
{
	if (c->ssl) {
		ERR_clear_error();
		int n = SSL_write(c->ssl, data, (int)len);
		if (n > 0)
			return n;
		int e = SSL_get_error(c->ssl, n);
		return (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) ? 0 : -1;
	}
	ssize_t n = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
	return n;
}

static int flush_pending(struct sip_conn *c)
{
	size_t done = 0;
	while (done < c->wbuf.len) {
		ssize_t n = conn_write_raw(c, c->wbuf.data + done, c->wbuf.len - done);
		if (n < 0) {
			conn_close(c, "write failed");
			return EPIPE;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	memmove(c->wbuf.data, c->wbuf.data + done, c->wbuf.len - done);
	c->wbuf.len -= done;
	if (c->close_when_flushed && c->wbuf.len == 0) {
		conn_close(c, c->finish_reason);
		return 0;
	}
	update_interest(c, c->wbuf.len > 0);
	return 0;
}

/* Queue bytes already in wbuf (appended by the caller) and write them. */
static int conn_flush_appended(struct sip_conn *c)
{
	if (mbuf_failed(&c->wbuf)) {
		conn_close(c, "out of memory");
		return ENOMEM;
	}
	if (c->connecting)
		return 0;
	touch(c);
	return flush_pending(c);
}

static int conn_writable(struct sip_conn *c)
{
	if (!c->open || c->close_when_flushed)
		return ENOTCONN;
	if (c->wbuf.len > 4 * 1024 * 1024) {
		conn_close(c, "peer does not read");
		return ENOBUFS;
	}
	return 0;
}

int conn_write(struct sip_conn *c, struct slice data)
{
	int err = conn_writable(c);
	if (err)
		return err;
	mbuf_append_slice(&c->wbuf, data);
	return conn_flush_appended(c);
}

int conn_send(struct sip_conn *c, struct slice data)
{
	if (!conn_is_websocket(c))
		return conn_write(c, data);
	if (!c->upgraded)
		return ENOTCONN;
	int err = conn_writable(c);
	if (err)
		return err;
	ws_frame_print(&c->wbuf, WS_OP_TEXT, data);
	return conn_flush_appended(c);
}

void conn_finish(struct sip_conn *c, const char *why)
{
	if (!c->open)
		return;
	if (c->wbuf.len == 0) {
		conn_close(c, why);
		return;
	}
	c->finish_reason = why;
	c->close_when_flushed = true;
}

/* Cut and deliver every whole SIP message in rbuf; returns the bytes used. */
static size_t process_sip_stream(struct sip_conn *c)
{
	struct sip_transport *t = c->transport;
	size_t pos = 0;
	while (c->open && pos < c->rlen) {
		size_t skip, msg_len;
		int rc = sip_frame_length(c->rbuf + pos, c->rlen - pos, t->settings.max_message_size,
					  &skip, &msg_len);
		if (skip >= 4 && memcmp(c->rbuf + pos, "\r\n\r\n", 4) == 0)
			conn_write(c, SLICE_LIT("\r\n")); /* keep-alive pong */
		pos += skip;
		if (rc == EAGAIN)
			break;
		struct sip_source src = { .transport = c->type, .remote = c->remote, .local = c->local,
					  .conn = c };
		if (rc == EMSGSIZE) {
			conn_close(c, "message too large");
			break;
		}
		if (rc == EBADMSG) {
			/* Answer from the headers alone, then give up the stream. */
			transport_deliver(t, c->rbuf + pos, msg_len, false, &src);
			conn_close(c, "bad Content-Length");
			break;
		}
		transport_deliver(t, c->rbuf + pos, msg_len, true, &src);
		pos += msg_len;
	}
	return pos;
}

static void process_buffer(struct sip_conn *c)
{
	mem_ref(c);
	size_t pos = conn_is_websocket(c) ? conn_ws_process(c) : process_sip_stream(c);
	if (c->open && pos) {
		memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
		c->rlen -= pos;
	}
	mem_deref(c);
}

static void conn_event(int fd, uint32_t events, void *arg)
{
	struct sip_conn *c = arg;
	(void)fd;
	mem_ref(c);
	if (c->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr) {
			conn_close(c, strerror(soerr));
			goto out;
		}
		c->connecting = false;
		len = sizeof(c->local.u.storage);
		getsockname(c->fd, &c->local.u.sa, &len);
		c->local.len = len;
	}
	if (events & EPOLLOUT) {
		if (flush_pending(c))
			goto out;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (;;) {
			if (c->rcap - c->rlen < CONN_READ_CHUNK) {
				size_t cap = c->rcap ? c->rcap * 2 : CONN_READ_CHUNK * 2;
				char *buf = realloc(c->rbuf, cap);
				if (!buf) {
					conn_close(c, "out of memory");
					goto out;
				}
				c->rbuf = buf;
				c->rcap = cap;
			}
			ssize_t n = conn_read(c, c->rbuf + c->rlen, c->rcap - c->rlen);
			if (n == -1)
				break;
			if (n <= 0) {
				conn_close(c, n == 0 ? "closed by peer" : "read error");
				goto out;
			}
			c->rlen += (size_t)n;
			touch(c);
			process_buffer(c);
			if (!c->open)
				goto out;
			if (c->rlen > c->transport->settings.max_message_size + CONN_READ_CHUNK) {
				conn_close(c, "message too large");
				goto out;
			}
		}
		/* a TLS handshake may have produced bytes to send */
		if (c->ssl && c->wbuf.len)
			flush_pending(c);
	}
out:
	mem_deref(c);
}

static struct sip_conn *conn_new(struct sip_transport *t, enum sip_transport_type type, int fd,
				 const struct netaddr *remote)
{
	struct sip_conn *c = mem_alloc(sizeof(*c), conn_destroy);
	if (!c)
		return NULL;
	c->transport = t;
	c->id = t->next_conn_id++;
	c->type = type;
	c->fd = fd;
	c->remote = *remote;
	c->open = true;
	mbuf_init(&c->wbuf);
	list_init(&c->link.link);
	socklen_t len = sizeof(c->local.u.storage);
	getsockname(fd, &c->local.u.sa, &len);
	c->local.len = len;
	if (type == SIP_TRANSPORT_TLS || type == SIP_TRANSPORT_WSS) {
		c->ssl = SSL_new(t->settings.tls);
		if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
			mem_deref(c);
			return NULL;
		}
	}
	if (loop_fd_add(t->loop, &c->reg, fd, EPOLLIN, conn_event, c)) {
		mem_deref(c);
		return NULL;
	}
	hash_insert(&t->conns, &c->link, conn_hash(type, remote));
	touch(c);
	return c;
}

int conn_accept(struct sip_listener *l)
{
	for (int i = 0; i < 64; i++) {
		struct netaddr remote;
		socklen_t len = sizeof(remote.u.storage);
		int fd = accept4(l->fd, &remote.u.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : errno;
		remote.len = len;
		int on = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		struct sip_conn *c = conn_new(l->transport, l->type, fd, &remote);
		if (!c) {
			close(fd);
			continue;
		}
		if (c->ssl)
			SSL_set_accept_state(c->ssl);
	}
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
	struct sip_conn *c = conn_new(t, type, fd, dst);
	if (!c) {
		close(fd);
		return ENOMEM;
	}
	if (c->ssl)
		SSL_set_connect_state(c->ssl);
	c->connecting = in_progress;
	update_interest(c, true);
	*connp = c;
	return 0;
}
