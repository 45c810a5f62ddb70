/*
 * stack.c - receive dispatch between transport, transactions and the
 * layer above; stateless replies; random tokens.
 */
#include "sip/stack_internal.h"

#include "core/log.h"
#include "core/mem.h"
#include "sip/build.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

void sip_random_token(char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];
	size_t n = (size - 1) / 2;
	if (n > sizeof(raw))
		n = sizeof(raw);
	if (RAND_bytes(raw, (int)n) != 1)
		abort(); /* no entropy: tags and nonces would be guessable */
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[2 * n] = '\0';
}

void sip_response_target(const struct sip_msg *req, struct netaddr *dst)
{
	*dst = req->src.remote;
	/* Reliable transports answer on the connection; for UDP without rport
	 * RFC 3261 18.2.2 says: the received address, the Via port. */
	if (req->src.transport == SIP_TRANSPORT_UDP && !req->via.has_rport)
		netaddr_set_port(dst, req->via.port ? req->via.port : 5060);
}

int sip_stack_reply_stateless(struct sip_stack *s, const struct sip_msg *req, uint16_t status,
			      const char *reason)
{
	struct mbuf out;
	struct netaddr dst;
	char tag[17];
	if (req->method_id == SIP_METHOD_ACK)
		return 0; /* never answer an ACK */
	mbuf_init(&out);
	sip_random_token(tag, sizeof(tag));
	sip_build_response(&out, req, status, reason, tag, NULL, SLICE_NULL, SLICE_NULL);
	sip_response_target(req, &dst);
	int err = mbuf_failed(&out) ? ENOMEM
				     : sip_transport_send(s->transport, req->src.transport, &dst,
							  req->src.conn, mbuf_slice(&out));
	mbuf_free(&out);
	return err;
}

static void stack_conn_closed(struct sip_conn *conn, void *arg)
{
	struct sip_stack *s = arg;
	if (s->handlers.conn_closed)
		s->handlers.conn_closed(conn, s->handlers.arg);
}

static void stack_receive(struct sip_msg *msg, const struct sip_parse_error *err, void *arg)
{
	struct sip_stack *s = arg;
	char from[NETADDR_STRLEN];
	if (err) {
		log_info("bad request from %s: %u %s", netaddr_str(&msg->src.remote, from, sizeof(from)),
			 err->status, err->reason);
		if (msg->is_request)
			sip_stack_reply_stateless(s, msg, err->status, err->reason);
		return;
	}
	if (!msg->is_request) {
		if (!ctrans_receive(s, msg) && s->handlers.stray_response)
			s->handlers.stray_response(s, msg, s->handlers.arg);
		return;
	}
	struct sip_strans *st = strans_match(s, msg);
	if (st) {
		strans_receive(st, msg);
		return;
	}
	s->handlers.request(s, msg, s->handlers.arg);
}

int sip_stack_create(struct sip_stack **sp, struct loop *loop,
		     const struct sip_transport_settings *settings,
		     const struct sip_stack_handlers *handlers)
{
	struct sip_stack *s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->loop = loop;
	s->handlers = *handlers;
	int err = hash_init(&s->server_transactions, 1 << 10);
	if (!err)
		err = hash_init(&s->client_transactions, 1 << 10);
	if (!err)
		err = sip_transport_create(&s->transport, loop, settings, stack_receive,
					   stack_conn_closed, s);
	if (err) {
		sip_stack_destroy(s);
		return err;
	}
	*sp = s;
	return 0;
}

void sip_stack_destroy(struct sip_stack *s)
{
	if (!s)
		return;
	if (s->server_transactions.buckets)
		strans_table_clear(s);
	if (s->client_transactions.buckets)
		ctrans_table_clear(s);
	sip_transport_destroy(s->transport);
	hash_free(&s->server_transactions);
	hash_free(&s->client_transactions);
	free(s);
}

struct sip_transport *sip_stack_transport(struct sip_stack *s)
{
	return s->transport;
}

struct loop *sip_stack_loop(struct sip_stack *s)
{
	return s->loop;
}

size_t trans_server_key(const struct sip_msg *msg, char *buf, size_t size)
{
	enum sip_method m = msg->method_id == SIP_METHOD_ACK ? SIP_METHOD_INVITE : msg->method_id;
	struct slice method = m == SIP_METHOD_UNKNOWN ? msg->method : slice_from_cstr(sip_method_name(m));
	int n;
	if (slice_starts_with_case(msg->via.branch, "z9hG4bK") && msg->via.branch.len > 7)
		n = snprintf(buf, size, "%.*s|%.*s:%u|%.*s", SLICE_FMT(msg->via.branch),
			     SLICE_FMT(msg->via.host), msg->via.port, SLICE_FMT(method));
	else
		n = snprintf(buf, size, "2543|%.*s|%u|%.*s|%.*s|%.*s", SLICE_FMT(msg->call_id), msg->cseq,
			     SLICE_FMT(msg->from.tag), SLICE_FMT(msg->via.raw), SLICE_FMT(method));
	return n < 0 ? 0 : ((size_t)n >= size ? size - 1 : (size_t)n);
}
