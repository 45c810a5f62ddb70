/*
 * stream.h - one non-blocking byte stream on the loop: a TCP connection,
 * or TLS over one, with its read buffer, its write queue and an idle
 * timer. The SIP transports (TCP, TLS, and WS/WSS once upgraded) and the
 * HTTP server each build their protocol on it; an HTTP connection that
 * upgrades to a SIP WebSocket hands its stream over (stream_set_handler)
 * without touching the socket.
 *
 * Reading: every readable event reads what the socket has into rbuf and
 * calls the handler's data function, which consumes a prefix (cut
 * messages) and returns its length; the rest waits for more bytes. More
 * than max_buffered bytes unconsumed close the stream ("message too
 * large").
 *
 * Writing: stream_write() queues and writes what the socket takes; the
 * rest waits in wbuf for EPOLLOUT. A protocol that frames in place appends
 * to wbuf itself and calls stream_flush(). TLS runs over the same code
 * with SSL_read/SSL_write; OpenSSL's WANT_READ/WANT_WRITE map onto the
 * epoll interest set. A peer that reads nothing while 4 MiB wait is cut
 * off. Nothing is written while an outgoing connect() is in progress.
 *
 * Closing: stream_close() at once, or stream_finish() once what is queued
 * is written. Either way the handler's closed function runs once, with
 * the reason, and the fd is closed; the object stays until its last
 * reference goes. No byte either way for the idle time closes it with
 * "idle".
 *
 * A stream is a refcounted object (mem_alloc): its owner holds one
 * reference; the stream holds one on itself while it runs a handler, so an
 * owner may drop its reference from a handler. One thread (the loop's).
 */
#ifndef RTCB_CORE_STREAM_H
#define RTCB_CORE_STREAM_H

#include "core/loop.h"
#include "core/mbuf.h"
#include "core/netaddr.h"
#include "core/slice.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

struct stream;

struct stream_handler {
	/* New bytes in s->rbuf[0..s->rlen): returns how many it consumed. */
	size_t (*data)(struct stream *s, void *arg);
	/* The stream closed (called once); why: "closed by peer", "idle"... */
	void (*closed)(struct stream *s, const char *why, void *arg);
};

struct stream {
	struct loop *loop;
	int fd;
	SSL *ssl; /* NULL: plain TCP */
	struct netaddr remote, local;
	bool open;
	bool connecting;  /* an outgoing connect() in progress */
	char *rbuf;       /* unconsumed input */
	size_t rlen, rcap;
	size_t max_buffered;
	struct mbuf wbuf; /* bytes not yet taken by the socket */
	unsigned idle_s;
	bool close_when_flushed;
	const char *finish_reason;
	struct loop_fd reg;
	struct loop_timer idle_timer;
	struct stream_handler handler;
	void *arg;
};

/*
 * A stream on fd (connected, or connecting when connecting is true), with
 * TLS when tls is not NULL (accept: server side, else client side). It
 * takes fd (closed on failure too). idle_s: seconds without traffic;
 * max_buffered: the most unconsumed input. 0 or ENOMEM.
 */
int stream_create(struct stream **sp, struct loop *loop, int fd, SSL_CTX *tls, bool accept,
		  bool connecting, const struct netaddr *remote, unsigned idle_s,
		  size_t max_buffered, const struct stream_handler *handler, void *arg);

/* Hand the stream to another protocol (an HTTP connection upgraded to a
 * SIP WebSocket): its data and closed functions from now on. */
void stream_set_handler(struct stream *s, const struct stream_handler *handler, void *arg);

/* Another idle time, from now. */
void stream_set_idle(struct stream *s, unsigned idle_s);

/* Queue data and write what the socket takes. 0, ENOTCONN (closed or
 * finishing), ENOBUFS (the peer does not read; closed), EPIPE (write
 * failed; closed), ENOMEM. */
int stream_write(struct stream *s, struct slice data);
/* The same for bytes the caller appended to s->wbuf itself. */
int stream_flush(struct stream *s);
/* Can something be queued now? 0, ENOTCONN or ENOBUFS (then closed). */
int stream_writable(struct stream *s);

/* A listening TCP socket on addr (SO_REUSEADDR; IPv6 only for an IPv6
 * address), non-blocking: its fd, or -1 with errno. */
int stream_listen(const struct netaddr *addr);
/* The next connection on a listening fd (non-blocking, TCP_NODELAY): its
 * fd with *remote set, or -1 with errno (EAGAIN: none waiting). */
int stream_accept(int listen_fd, struct netaddr *remote);

/* Close once what is queued has been written. */
void stream_finish(struct stream *s, const char *why);
/* Close now. Nothing happens to a closed stream. */
void stream_close(struct stream *s, const char *why);

#endif
