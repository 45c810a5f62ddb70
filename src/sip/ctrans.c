/*
 * ctrans.c - client transactions (RFC 3261 17.1, RFC 6026).
 *
 * INVITE: CALLING (Timer A retransmits on UDP, Timer B gives up)
 *         -(1xx)-> PROCEEDING -(2xx)-> ACCEPTED (Timer M; more 2xx pass up)
 *                             -(3xx-6xx)-> COMPLETED (ACK sent here, Timer D)
 * Others: TRYING (Timer E retransmits, Timer F gives up) -(1xx)-> PROCEEDING
 *         -(final)-> COMPLETED (Timer K).
 *
 * The request is parsed once when the transaction starts, so ACK and
 * CANCEL can be built from it. A CANCEL asked for before any provisional
 * response waits for one (RFC 3261 9.1); it runs as its own non-INVITE
 * transaction whose outcome nobody needs to hear.
 */
#include "sip/stack_internal.h"

#include "core/log.h"
#include "core/mem.h"
#include "sip/build.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum ctrans_state { CT_CALLING, CT_PROCEEDING, CT_ACCEPTED, CT_COMPLETED, CT_TERMINATED };

struct sip_ctrans {
	struct hash_link link;
	struct sip_stack *stack;
	struct sip_msg *request; /* parsed copy of what we sent */
	enum ctrans_state state;
	bool invite;
	bool reliable;
	bool cancel_pending;
	bool cancel_sent;
	enum sip_transport_type type;
	struct netaddr dst;
	struct sip_conn *conn;
	struct loop_timer retransmit_timer; /* A, E */
	struct loop_timer timeout_timer;    /* B, F, D, K, M */
	uint64_t retransmit_interval;
	struct mbuf ack; /* the ACK for a non-2xx final, resent on retransmits */
	sip_ctrans_handler *handler;
	void *arg;
};

static uint32_t key_hash(struct slice branch, struct slice method)
{
	return slice_hash(branch) ^ slice_hash(method);
}

struct ctrans_key {
	struct slice branch, method;
};

static bool ctrans_key_match(const struct hash_link *entry, const void *arg)
{
	const struct sip_ctrans *ct = (const struct sip_ctrans *)entry;
	const struct ctrans_key *k = arg;
	return ct->state != CT_TERMINATED && slice_eq(ct->request->via.branch, k->branch) &&
	       slice_eq(ct->request->cseq_method, k->method);
}

static void ctrans_destroy(void *obj)
{
	struct sip_ctrans *ct = obj;
	mem_deref(ct->request);
	mem_deref(ct->conn);
	mbuf_free(&ct->ack);
}

static void terminate(struct sip_ctrans *ct)
{
	if (ct->state == CT_TERMINATED)
		return;
	ct->state = CT_TERMINATED;
	loop_timer_stop(ct->stack->loop, &ct->retransmit_timer);
	loop_timer_stop(ct->stack->loop, &ct->timeout_timer);
	hash_remove(&ct->stack->client_transactions, &ct->link);
	mem_deref(ct);
}

static void notify(struct sip_ctrans *ct, struct sip_msg *resp, uint16_t status)
{
	if (ct->handler)
		ct->handler(ct, resp, status, ct->arg);
}

static int send_request(struct sip_ctrans *ct)
{
	struct slice bytes = slice_make(ct->request->buf, ct->request->len);
	int err = sip_transport_send(ct->stack->transport, ct->type, &ct->dst, ct->conn, bytes);
	if (!err && !ct->conn && ct->type != SIP_TRANSPORT_UDP)
		ct->conn = mem_ref(sip_transport_find_conn(ct->stack->transport, ct->type, &ct->dst));
	return err;
}

static void timeout_fired(void *arg)
{
	struct sip_ctrans *ct = arg;
	mem_ref(ct);
	bool timed_out = ct->state == CT_CALLING || ct->state == CT_PROCEEDING;
	terminate(ct);
	if (timed_out)
		notify(ct, NULL, 408);
	mem_deref(ct);
}

static void retransmit_fired(void *arg)
{
	struct sip_ctrans *ct = arg;
	if (ct->state != CT_CALLING && !(ct->state == CT_PROCEEDING && !ct->invite))
		return;
	send_request(ct);
	ct->retransmit_interval *= 2;
	if (!ct->invite && (ct->retransmit_interval > SIP_T2 || ct->state == CT_PROCEEDING))
		ct->retransmit_interval = SIP_T2;
	loop_timer_start(ct->stack->loop, &ct->retransmit_timer, ct->retransmit_interval,
			 retransmit_fired, ct);
}

static void cancel_response(struct sip_ctrans *ct, struct sip_msg *resp, uint16_t status, void *arg)
{
	(void)ct;
	(void)resp;
	(void)status;
	(void)arg;
}

static void send_cancel(struct sip_ctrans *ct)
{
	struct mbuf out;
	struct sip_ctrans *cancel;
	ct->cancel_sent = true;
	mbuf_init(&out);
	sip_build_cancel(&out, ct->request);
	if (!mbuf_failed(&out) &&
	    sip_ctrans_create(&cancel, ct->stack, mbuf_slice(&out), ct->type, &ct->dst, ct->conn,
			      cancel_response, NULL) == 0)
		sip_ctrans_abandon(cancel);
	mbuf_free(&out);
}

void sip_ctrans_cancel(struct sip_ctrans *ct)
{
	if (!ct->invite || ct->cancel_sent || ct->state == CT_TERMINATED)
		return;
	if (ct->state == CT_PROCEEDING)
		send_cancel(ct);
	else if (ct->state == CT_CALLING)
		ct->cancel_pending = true;
}

int sip_ctrans_create(struct sip_ctrans **ctp, struct sip_stack *s, struct slice request,
		      enum sip_transport_type type, const struct netaddr *dst, struct sip_conn *conn,
		      sip_ctrans_handler *handler, void *arg)
{
	struct sip_parse_error perr;
	struct sip_ctrans *ct = mem_alloc(sizeof(*ct), ctrans_destroy);
	if (!ct)
		return ENOMEM;
	mbuf_init(&ct->ack);
	list_init(&ct->link.link);
	if (sip_msg_parse(&ct->request, request.p, request.len, false, &perr)) {
		log_error("internal: built an unparseable request (%s)", perr.reason);
		mem_deref(ct->request);
		ct->request = NULL;
		mem_deref(ct);
		return EINVAL;
	}
	ct->stack = s;
	ct->invite = ct->request->method_id == SIP_METHOD_INVITE;
	ct->type = type;
	ct->dst = *dst;
	ct->conn = sip_conn_is_open(conn) ? mem_ref(conn) : NULL;
	ct->reliable = type != SIP_TRANSPORT_UDP;
	ct->handler = handler;
	ct->arg = arg;
	ct->state = CT_CALLING;
	hash_insert(&s->client_transactions, &ct->link,
		    key_hash(ct->request->via.branch, ct->request->cseq_method));

	int err = send_request(ct);
	if (err) {
		/* the caller hears about it from the return value */
		terminate(ct);
		return err;
	}
	if (!ct->reliable) {
		ct->retransmit_interval = SIP_T1;
		loop_timer_start(s->loop, &ct->retransmit_timer, SIP_T1, retransmit_fired, ct);
	}
	loop_timer_start(s->loop, &ct->timeout_timer, 64 * SIP_T1, timeout_fired, ct); /* B, F */
	*ctp = mem_ref(ct);
	return 0;
}

void sip_ctrans_abandon(struct sip_ctrans *ct)
{
	if (!ct)
		return;
	ct->handler = NULL;
	mem_deref(ct);
}

const struct sip_msg *sip_ctrans_request(const struct sip_ctrans *ct)
{
	return ct->request;
}

static void handle_final_non2xx_invite(struct sip_ctrans *ct, struct sip_msg *resp)
{
	if (ct->state == CT_COMPLETED) {
		sip_transport_send(ct->stack->transport, ct->type, &ct->dst, ct->conn, mbuf_slice(&ct->ack));
		return;
	}
	sip_build_ack(&ct->ack, ct->request, resp);
	sip_transport_send(ct->stack->transport, ct->type, &ct->dst, ct->conn, mbuf_slice(&ct->ack));
	ct->state = CT_COMPLETED;
	loop_timer_stop(ct->stack->loop, &ct->retransmit_timer);
	loop_timer_start(ct->stack->loop, &ct->timeout_timer, ct->reliable ? 0 : 32000,
			 timeout_fired, ct); /* D */
	notify(ct, resp, resp->status);
}

bool ctrans_receive(struct sip_stack *s, struct sip_msg *resp)
{
	struct ctrans_key key = { resp->via.branch, resp->cseq_method };
	struct sip_ctrans *ct = (struct sip_ctrans *)hash_lookup(
		&s->client_transactions, key_hash(key.branch, key.method), ctrans_key_match, &key);
	if (!ct)
		return false;
	mem_ref(ct);
	struct loop *loop = s->loop;
	uint16_t status = resp->status;
	if (status < 200) {
		if (ct->state == CT_CALLING) {
			ct->state = CT_PROCEEDING;
			if (ct->invite) {
				loop_timer_stop(loop, &ct->retransmit_timer);
				loop_timer_stop(loop, &ct->timeout_timer); /* the proxy's Timer C rules now */
			}
		}
		if (ct->state == CT_PROCEEDING) {
			if (ct->cancel_pending && !ct->cancel_sent)
				send_cancel(ct);
			notify(ct, resp, status);
		}
	} else if (ct->invite && status < 300) {
		if (!ct->handler) {
			/* its owner is done with it: a retransmitted 2xx (or a
			 * forked one) goes to the stray handler, which a proxy
			 * forwards upstream (RFC 6026) */
			mem_deref(ct);
			return false;
		}
		if (ct->state != CT_ACCEPTED) {
			ct->state = CT_ACCEPTED;
			loop_timer_stop(loop, &ct->retransmit_timer);
			loop_timer_start(loop, &ct->timeout_timer, 64 * SIP_T1, timeout_fired, ct); /* M */
		}
		notify(ct, resp, status);
	} else if (ct->invite) {
		if (ct->state != CT_ACCEPTED)
			handle_final_non2xx_invite(ct, resp);
	} else if (ct->state == CT_CALLING || ct->state == CT_PROCEEDING) {
		ct->state = CT_COMPLETED;
		loop_timer_stop(loop, &ct->retransmit_timer);
		loop_timer_start(loop, &ct->timeout_timer, ct->reliable ? 0 : SIP_T4, timeout_fired, ct); /* K */
		notify(ct, resp, status);
	}
	mem_deref(ct);
	return true;
}

void ctrans_table_clear(struct sip_stack *s)
{
	for (uint32_t i = 0; i <= s->client_transactions.mask; i++) {
		LIST_FOREACH_SAFE(&s->client_transactions.buckets[i], it, tmp)
			terminate(LIST_ENTRY(it, struct sip_ctrans, link.link));
	}
}
