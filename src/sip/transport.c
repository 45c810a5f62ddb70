/*
 * transport.c - listeners, UDP datagrams and send dispatch.
 *
 * UDP sockets bound to a wildcard address learn the local address of each
 * datagram from IP_PKTINFO / IPV6_RECVPKTINFO, so Via and Record-Route can
 * name the address the peer actually reached. IPv6 sockets are V6ONLY so
 * IPv4 and IPv6 listeners on the same port coexist.
 */
#include "sip/transport_internal.h"

#include "core/log.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_MAX_DATAGRAM 65535
#define UDP_READS_PER_EVENT 64

int sip_transport_create(struct sip_transport **tp, struct loop *loop,
			 const struct sip_transport_settings *settings,
			 sip_recv_handler *recv, sip_conn_close_handler *closed, void *arg)
{
	struct sip_transport *t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->loop = loop;
	t->settings = *settings;
	t->recv = recv;
	t->closed = closed;
	t->arg = arg;
	t->next_conn_id = 1;
	t->recv_buf = malloc(UDP_MAX_DATAGRAM + 1);
	if (!t->recv_buf || hash_init(&t->conns, 1 << 8)) {
		free(t->recv_buf);
		free(t);
		return ENOMEM;
	}
	*tp = t;
	return 0;
}

void sip_transport_destroy(struct sip_transport *t)
{
	if (!t)
		return;
	conn_close_all(t);
	for (size_t i = 0; i < t->listener_count; i++) {
		if (t->listeners[i].fd < 0)
			continue; /* announced: the HTTP server's socket */
		loop_fd_del(t->loop, &t->listeners[i].reg);
		close(t->listeners[i].fd);
	}
	hash_free(&t->conns);
	free(t->recv_buf);
	free(t);
}

void transport_deliver(struct sip_transport *t, const char *data, size_t len, bool stream,
		       const struct sip_source *src)
{
	struct sip_msg *msg = NULL;
	struct sip_parse_error err;
	char from[NETADDR_STRLEN];
	int rc = sip_msg_parse(&msg, data, len, stream, &err);
	if (rc == ENODATA)
		return;
	if (rc && !msg) {
		log_info("dropped unparseable message from %s/%s: %s",
			 sip_transport_name(src->transport), netaddr_str(&src->remote, from, sizeof(from)),
			 err.reason);
		return;
	}
	if (!msg)
		return;
	msg->src = *src;
	mem_ref(src->conn);
	t->recv(msg, rc ? &err : NULL, t->arg);
	mem_deref(msg);
}

/* ------------------------------------------------------------------ UDP */

static void udp_local_addr(struct sip_listener *l, struct msghdr *mh, struct netaddr *local)
{
	*local = l->addr;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(c);
			local->u.in.sin_addr = pi->ipi_addr;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo *pi = (struct in6_pktinfo *)CMSG_DATA(c);
			local->u.in6.sin6_addr = pi->ipi6_addr;
		}
	}
}

static void udp_readable(int fd, uint32_t events, void *arg)
{
	struct sip_listener *l = arg;
	struct sip_transport *t = l->transport;
	(void)events;
	for (int i = 0; i < UDP_READS_PER_EVENT; i++) {
		struct sip_source src = { .transport = SIP_TRANSPORT_UDP, .listener = l };
		char control[256];
		struct iovec iov = { t->recv_buf, UDP_MAX_DATAGRAM };
		struct msghdr mh = {
			.msg_name = &src.remote.u.storage,
			.msg_namelen = sizeof(src.remote.u.storage),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = control,
			.msg_controllen = sizeof(control),
		};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("UDP receive failed: %s", strerror(errno));
			return;
		}
		src.remote.len = mh.msg_namelen;
		udp_local_addr(l, &mh, &src.local);
		transport_deliver(t, t->recv_buf, (size_t)n, false, &src);
	}
}

static int udp_send(struct sip_listener *l, const struct netaddr *dst, struct slice data)
{
	ssize_t n = sendto(l->fd, data.p, data.len, MSG_DONTWAIT, &dst->u.sa, dst->len);
	if (n < 0) {
		char to[NETADDR_STRLEN];
		log_info("UDP send to %s failed: %s", netaddr_str(dst, to, sizeof(to)), strerror(errno));
		return errno;
	}
	return 0;
}

/* ------------------------------------------------------------ listeners */

static int open_udp_socket(const struct netaddr *addr)
{
	int fd = socket(netaddr_family(addr), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (netaddr_family(addr) == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
	} else {
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	}
	int size = 4 * 1024 * 1024;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (bind(fd, &addr->u.sa, addr->len) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static void listener_readable(int fd, uint32_t events, void *arg)
{
	struct sip_listener *l = arg;
	(void)fd;
	(void)events;
	conn_accept(l);
}

/* A listener entry for addr (fd -1: announced only); its address as bound. */
static struct sip_listener *listener_add(struct sip_transport *t, enum sip_transport_type type,
					 int fd, const struct netaddr *addr)
{
	struct sip_listener *l = &t->listeners[t->listener_count++];

	l->transport = t;
	l->type = type;
	l->fd = fd;
	l->addr = *addr;
	if (fd >= 0) {
		socklen_t len = sizeof(l->addr.u.storage);
		getsockname(fd, &l->addr.u.sa, &len);
		l->addr.len = len;
	}
	return l;
}

int sip_transport_listen(struct sip_transport *t, enum sip_transport_type type,
			 const struct netaddr *addr)
{
	char where[NETADDR_STRLEN];
	if (t->listener_count == TRANSPORT_MAX_LISTENERS)
		return ENOSPC;
	if (type == SIP_TRANSPORT_WS || type == SIP_TRANSPORT_WSS ||
	    (type == SIP_TRANSPORT_TLS && !t->settings.tls))
		return EINVAL;
	bool datagram = type == SIP_TRANSPORT_UDP;
	int fd = datagram ? open_udp_socket(addr) : stream_listen(addr);
	if (fd < 0) {
		int err = errno;
		log_error("cannot listen on %s %s: %s", sip_transport_name(type),
			  netaddr_str(addr, where, sizeof(where)), strerror(err));
		return err;
	}
	struct sip_listener *l = listener_add(t, type, fd, addr);
	int err = loop_fd_add(t->loop, &l->reg, fd, EPOLLIN, datagram ? udp_readable : listener_readable, l);
	if (err) {
		t->listener_count--;
		close(fd);
		return err;
	}
	log_notice("listening on %s %s", sip_transport_name(type),
		   netaddr_str(&l->addr, where, sizeof(where)));
	return 0;
}

int sip_transport_announce(struct sip_transport *t, enum sip_transport_type type,
			   const struct netaddr *addr)
{
	if (t->listener_count == TRANSPORT_MAX_LISTENERS)
		return ENOSPC;
	if (type != SIP_TRANSPORT_WS && type != SIP_TRANSPORT_WSS)
		return EINVAL;
	listener_add(t, type, -1, addr);
	return 0;
}

struct sip_listener *transport_listener_for(struct sip_transport *t, enum sip_transport_type type,
					    int family)
{
	for (size_t i = 0; i < t->listener_count; i++)
		if (t->listeners[i].type == type && netaddr_family(&t->listeners[i].addr) == family)
			return &t->listeners[i];
	return NULL;
}

uint16_t sip_transport_port(struct sip_transport *t, enum sip_transport_type type)
{
	for (size_t i = 0; i < t->listener_count; i++)
		if (t->listeners[i].type == type)
			return netaddr_port(&t->listeners[i].addr);
	return 0;
}

bool sip_transport_is_local(struct sip_transport *t, const struct netaddr *addr)
{
	for (size_t i = 0; i < t->listener_count; i++) {
		const struct sip_listener *l = &t->listeners[i];
		if (netaddr_family(&l->addr) != netaddr_family(addr))
			continue;
		if (netaddr_port(addr) && netaddr_port(addr) != netaddr_port(&l->addr))
			continue;
		if (netaddr_host_eq(&l->addr, addr))
			return true;
		if (netaddr_is_any(&l->addr)) {
			/* bound to every address: is addr one of this host's? */
			struct netaddr probe = *addr;
			netaddr_set_port(&probe, 0);
			int fd = socket(netaddr_family(addr), SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (fd < 0)
				continue;
			bool local = bind(fd, &probe.u.sa, probe.len) == 0;
			close(fd);
			if (local)
				return true;
		}
	}
	return false;
}

int sip_transport_local_addr(struct sip_transport *t, enum sip_transport_type type,
			     const struct netaddr *dst, struct netaddr *local)
{
	enum sip_transport_type listen_type = type;
	struct sip_listener *l = transport_listener_for(t, listen_type, netaddr_family(dst));
	if (!l)
		return EAFNOSUPPORT;
	*local = l->addr;
	if (!netaddr_is_any(&l->addr))
		return 0;
	int err = route_source(&t->routes, loop_now_ms(t->loop), dst, local);
	if (err)
		return err;
	netaddr_set_port(local, netaddr_port(&l->addr));
	return 0;
}

int sip_transport_send(struct sip_transport *t, enum sip_transport_type type,
		       const struct netaddr *dst, struct sip_conn *conn, struct slice data)
{
	if (conn && sip_conn_is_open(conn))
		return conn_send(conn, data);
	if (type == SIP_TRANSPORT_UDP) {
		struct sip_listener *l = transport_listener_for(t, SIP_TRANSPORT_UDP, netaddr_family(dst));
		if (!l)
			return EAFNOSUPPORT;
		return udp_send(l, dst, data);
	}
	struct sip_conn *c = sip_transport_find_conn(t, type, dst);
	if (!c) {
		if (type == SIP_TRANSPORT_WS || type == SIP_TRANSPORT_WSS)
			return ENOTCONN; /* WebSocket peers cannot be called back */
		int err = conn_open(t, type, dst, &c);
		if (err)
			return err;
	}
	return conn_send(c, data);
}
