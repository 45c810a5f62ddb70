/*
 * stream.c - buffered non-blocking TCP and TLS streams; see stream.h.
 */
#include "core/stream.h"

#include "core/mem.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK 16384
#define MAX_QUEUED (4 * 1024 * 1024)

static void stream_destroy(void *obj)
{
	struct stream *s = obj;

	if (s->fd >= 0) {
		loop_fd_del(s->loop, &s->reg);
		loop_timer_stop(s->loop, &s->idle_timer);
		close(s->fd);
	}
	free(s->rbuf);
	mbuf_free(&s->wbuf);
	if (s->ssl)
		SSL_free(s->ssl);
}

static void idle_expired(void *arg)
{
	stream_close(arg, "idle");
}

static void touch(struct stream *s)
{
	loop_timer_start(s->loop, &s->idle_timer, (uint64_t)s->idle_s * 1000, idle_expired, s);
}

void stream_set_idle(struct stream *s, unsigned idle_s)
{
	if (!s->open)
		return;
	s->idle_s = idle_s;
	touch(s);
}

void stream_set_handler(struct stream *s, const struct stream_handler *handler, void *arg)
{
	s->handler = *handler;
	s->arg = arg;
}

void stream_close(struct stream *s, const char *why)
{
	if (!s->open)
		return;
	s->open = false;
	s->close_when_flushed = false;
	loop_fd_del(s->loop, &s->reg);
	loop_timer_stop(s->loop, &s->idle_timer);
	close(s->fd);
	s->fd = -1;
	mem_ref(s);
	s->handler.closed(s, why, s->arg);
	mem_deref(s);
}

static void update_interest(struct stream *s, bool want_write)
{
	loop_fd_modify(s->loop, &s->reg, EPOLLIN | (want_write ? EPOLLOUT : 0));
}

/* ---------------------------------------------------------------- I/O */

/* Bytes read, 0 for EOF, -1 would block, -2 error. */
static ssize_t read_some(struct stream *s, char *buf, size_t len)
{
	if (s->ssl) {
		ERR_clear_error(); /* SSL_get_error reads the thread's queue: start it empty */
		int n = SSL_read(s->ssl, buf, (int)len);
		if (n > 0)
			return n;
		int e = SSL_get_error(s->ssl, n);
		if (e == SSL_ERROR_WANT_READ)
			return -1;
		if (e == SSL_ERROR_WANT_WRITE) {
			update_interest(s, true);
			return -1;
		}
		return e == SSL_ERROR_ZERO_RETURN ? 0 : -2;
	}
	ssize_t n = recv(s->fd, buf, len, MSG_DONTWAIT);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? -1 : -2;
	return n;
}

/* Bytes written, 0 would block, -1 error. */
static ssize_t write_some(struct stream *s, const char *data, size_t len)
{
	if (s->ssl) {
		ERR_clear_error();
		int n = SSL_write(s->ssl, data, (int)len);
		if (n > 0)
			return n;
		int e = SSL_get_error(s->ssl, n);
		return (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) ? 0 : -1;
	}
	ssize_t n = send(s->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
	return n;
}

static int flush_pending(struct stream *s)
{
	size_t done = 0;

	while (done < s->wbuf.len) {
		ssize_t n = write_some(s, (const char *)s->wbuf.data + done, s->wbuf.len - done);
		if (n < 0) {
			stream_close(s, "write failed");
			return EPIPE;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	memmove(s->wbuf.data, s->wbuf.data + done, s->wbuf.len - done);
	s->wbuf.len -= done;
	if (s->close_when_flushed && s->wbuf.len == 0) {
		stream_close(s, s->finish_reason);
		return 0;
	}
	update_interest(s, s->wbuf.len > 0);
	return 0;
}

int stream_flush(struct stream *s)
{
	if (mbuf_failed(&s->wbuf)) {
		stream_close(s, "out of memory");
		return ENOMEM;
	}
	if (s->connecting)
		return 0;
	touch(s);
	return flush_pending(s);
}

int stream_writable(struct stream *s)
{
	if (!s->open || s->close_when_flushed)
		return ENOTCONN;
	if (s->wbuf.len > MAX_QUEUED) {
		stream_close(s, "peer does not read");
		return ENOBUFS;
	}
	return 0;
}

int stream_write(struct stream *s, struct slice data)
{
	int err = stream_writable(s);

	if (err)
		return err;
	mbuf_append_slice(&s->wbuf, data);
	return stream_flush(s);
}

void stream_finish(struct stream *s, const char *why)
{
	if (!s->open)
		return;
	if (s->wbuf.len == 0) {
		stream_close(s, why);
		return;
	}
	s->finish_reason = why;
	s->close_when_flushed = true;
}

/* An outgoing connect() finished: its result. */
static bool connected(struct stream *s)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	if (soerr) {
		stream_close(s, strerror(soerr));
		return false;
	}
	s->connecting = false;
	len = sizeof(s->local.u.storage);
	getsockname(s->fd, &s->local.u.sa, &len);
	s->local.len = len;
	return true;
}

/* Read what the socket has, handing it to the protocol as it comes. */
static void read_all(struct stream *s)
{
	for (;;) {
		if (s->rcap - s->rlen < READ_CHUNK) {
			size_t cap = s->rcap ? s->rcap * 2 : READ_CHUNK * 2;
			char *buf = realloc(s->rbuf, cap);
			if (!buf) {
				stream_close(s, "out of memory");
				return;
			}
			s->rbuf = buf;
			s->rcap = cap;
		}
		ssize_t n = read_some(s, s->rbuf + s->rlen, s->rcap - s->rlen);
		if (n == -1)
			break;
		if (n <= 0) {
			stream_close(s, n == 0 ? "closed by peer" : "read error");
			return;
		}
		s->rlen += (size_t)n;
		touch(s);
		/* again while it consumes: a handler that hands the stream over
		 * (an upgrade) leaves what follows to the new one */
		for (size_t used; s->rlen && (used = s->handler.data(s, s->arg));) {
			if (!s->open)
				return;
			memmove(s->rbuf, s->rbuf + used, s->rlen - used);
			s->rlen -= used;
		}
		if (!s->open)
			return;
		if (s->rlen > s->max_buffered) {
			stream_close(s, "message too large");
			return;
		}
	}
	/* a TLS handshake may have produced bytes to send */
	if (s->ssl && s->wbuf.len)
		flush_pending(s);
}

static void stream_event(int fd, uint32_t events, void *arg)
{
	struct stream *s = arg;
	(void)fd;

	mem_ref(s);
	if (s->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && !connected(s))
		goto out;
	if ((events & EPOLLOUT) && flush_pending(s))
		goto out;
	if (s->open && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		read_all(s);
out:
	mem_deref(s);
}

int stream_create(struct stream **sp, struct loop *loop, int fd, SSL_CTX *tls, bool accept,
		  bool connecting, const struct netaddr *remote, unsigned idle_s,
		  size_t max_buffered, const struct stream_handler *handler, void *arg)
{
	struct stream *s = mem_alloc(sizeof(*s), stream_destroy);
	socklen_t len;

	if (!s) {
		close(fd);
		return ENOMEM;
	}
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->fd = -1;
	mbuf_init(&s->wbuf);
	s->remote = *remote;
	s->idle_s = idle_s;
	s->max_buffered = max_buffered;
	s->handler = *handler;
	s->arg = arg;
	len = sizeof(s->local.u.storage);
	getsockname(fd, &s->local.u.sa, &len);
	s->local.len = len;
	if (tls) {
		s->ssl = SSL_new(tls);
		if (!s->ssl || !SSL_set_fd(s->ssl, fd))
			goto fail;
		if (accept)
			SSL_set_accept_state(s->ssl);
		else
			SSL_set_connect_state(s->ssl);
	}
	if (loop_fd_add(loop, &s->reg, fd, EPOLLIN | (connecting ? EPOLLOUT : 0), stream_event, s))
		goto fail;
	s->fd = fd;
	s->open = true;
	s->connecting = connecting;
	touch(s);
	*sp = s;
	return 0;
fail:
	close(fd);
	mem_deref(s);
	return ENOMEM;
}

int stream_listen(const struct netaddr *addr)
{
	int fd = socket(netaddr_family(addr), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int on = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (netaddr_family(addr) == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, &addr->u.sa, addr->len) < 0 || listen(fd, 1024) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int stream_accept(int listen_fd, struct netaddr *remote)
{
	socklen_t len = sizeof(remote->u.storage);
	int on = 1;
	int fd = accept4(listen_fd, &remote->u.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return -1;
	remote->len = len;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}
