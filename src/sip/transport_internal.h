/*
 * transport_internal.h - shared between transport.c (listeners, UDP) and
 * conn.c (TCP/TLS connections). Not for use outside sip/transport*.
 */
#ifndef RTCB_SIP_TRANSPORT_INTERNAL_H
#define RTCB_SIP_TRANSPORT_INTERNAL_H

#include "core/hash.h"
#include "core/loop.h"
#include "core/mbuf.h"
#include "sip/transport.h"

#define TRANSPORT_MAX_LISTENERS 16
#define TRANSPORT_SOURCE_CACHE 64 /* direct-mapped, by destination host */
#define TRANSPORT_SOURCE_TTL_MS 10000

/* Which local address the kernel picks to reach a host (cached: asking
 * costs four system calls, and every forwarded request needs it). */
struct source_cache_entry {
	struct netaddr destination; /* port ignored */
	struct netaddr source;
	uint64_t expires_ms;
};

struct sip_listener {
	struct sip_transport *transport;
	enum sip_transport_type type;
	struct netaddr addr;
	struct loop_fd reg;
	int fd;
};

struct sip_transport {
	struct loop *loop;
	struct sip_transport_settings settings;
	sip_recv_handler *recv;
	sip_conn_close_handler *closed;
	void *arg;
	struct sip_listener listeners[TRANSPORT_MAX_LISTENERS];
	size_t listener_count;
	struct hash conns; /* open connections by (type, remote) */
	uint64_t next_conn_id;
	char *recv_buf;    /* one datagram at a time */
	struct source_cache_entry source_cache[TRANSPORT_SOURCE_CACHE];
};

struct sip_conn {
	struct hash_link link;
	struct sip_transport *transport;
	uint64_t id;
	enum sip_transport_type type;
	struct netaddr remote, local;
	struct loop_fd reg;
	struct loop_timer idle_timer;
	int fd;
	SSL *ssl;
	bool connecting;   /* outgoing TCP connect in progress */
	bool open;
	unsigned keep_alive_s;
	char *rbuf;
	size_t rlen, rcap;
	struct mbuf wbuf;  /* bytes not yet accepted by the socket */
};

void transport_deliver(struct sip_transport *t, const char *data, size_t len, bool stream,
		       const struct sip_source *src);
struct sip_listener *transport_listener_for(struct sip_transport *t, enum sip_transport_type type,
					    int family);

int conn_accept(struct sip_listener *l);
int conn_send(struct sip_conn *c, struct slice data);
int conn_open(struct sip_transport *t, enum sip_transport_type type, const struct netaddr *dst,
	      struct sip_conn **connp);
void conn_close(struct sip_conn *c, const char *why);
void conn_close_all(struct sip_transport *t);

#endif
