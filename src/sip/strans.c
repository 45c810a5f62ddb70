/*
 * strans.c - server transactions (RFC 3261 17.2, RFC 6026).
 *
 * INVITE: PROCEEDING -(2xx)-> ACCEPTED -(Timer L)-> gone
 *                    -(3xx-6xx)-> COMPLETED -(ACK)-> CONFIRMED -(Timer I)-> gone
 *         COMPLETED retransmits the final response on Timer G until ACK or
 *         Timer H.
 * Others: TRYING/PROCEEDING -(final)-> COMPLETED -(Timer J)-> gone.
 *
 * A retransmitted request gets the last response again. The table holds
 * one reference to each live transaction; the owner (proxy) may hold more.
 *
 * A non-INVITE transaction lives on for Timer J (32 s on UDP) after its
 * final response only to repeat that response: it lets go of the request
 * then, keeping the key, the response and where it goes. Under a REGISTER
 * load that is most of the live transactions, and the request was most of
 * their memory.
 */
#include "sip/stack_internal.h"

#include "core/log.h"
#include "core/mem.h"
#include "sip/build.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum strans_state { ST_TRYING, ST_PROCEEDING, ST_ACCEPTED, ST_COMPLETED, ST_CONFIRMED, ST_TERMINATED };

struct sip_strans {
	struct hash_link link;
	struct sip_stack *stack;
	struct sip_msg *request;  /* until a non-INVITE transaction completes */
	enum sip_transport_type transport; /* of the request: where responses go */
	struct sip_conn *conn;    /* stream transports: a reference */
	char *key;
	enum strans_state state;
	bool invite;
	bool reliable;
	uint16_t last_status;
	struct mbuf last_response;
	struct netaddr reply_to;
	struct loop_timer retransmit_timer; /* G */
	struct loop_timer end_timer;        /* H, I, J, L */
	uint64_t retransmit_interval;
	char to_tag[17];
	sip_strans_cancel_handler *cancel_handler;
	void *cancel_arg;
};

struct key_match {
	const char *key;
	size_t len;
};

static bool strans_key_match(const struct hash_link *entry, const void *arg)
{
	const struct sip_strans *st = (const struct sip_strans *)entry;
	const struct key_match *k = arg;
	return st->state != ST_TERMINATED && strlen(st->key) == k->len && memcmp(st->key, k->key, k->len) == 0;
}

static struct sip_strans *lookup(struct sip_stack *s, const char *key, size_t len)
{
	struct key_match k = { key, len };
	return (struct sip_strans *)hash_lookup(&s->server_transactions,
						slice_hash(slice_make(key, len)), strans_key_match, &k);
}

struct sip_strans *strans_match(struct sip_stack *s, const struct sip_msg *req)
{
	char key[1024];
	size_t len = trans_server_key(req, key, sizeof(key));
	struct sip_strans *st = lookup(s, key, len);
	/* ACK for a 2xx is a new request for the proxy, not part of the INVITE */
	if (st && req->method_id == SIP_METHOD_ACK && st->state == ST_ACCEPTED)
		return NULL;
	return st;
}

static void strans_destroy(void *obj)
{
	struct sip_strans *st = obj;
	mem_deref(st->request);
	mem_deref(st->conn);
	mbuf_free(&st->last_response);
	free(st->key);
}

static void terminate(struct sip_strans *st)
{
	if (st->state == ST_TERMINATED)
		return;
	st->state = ST_TERMINATED;
	loop_timer_stop(st->stack->loop, &st->retransmit_timer);
	loop_timer_stop(st->stack->loop, &st->end_timer);
	hash_remove(&st->stack->server_transactions, &st->link);
	mem_deref(st); /* the table's reference */
}

static void end_timer_fired(void *arg)
{
	terminate(arg);
}

static void send_last(struct sip_strans *st)
{
	sip_transport_send(st->stack->transport, st->transport, &st->reply_to, st->conn,
			   mbuf_slice(&st->last_response));
}

static void retransmit_fired(void *arg)
{
	struct sip_strans *st = arg;
	if (st->state != ST_COMPLETED)
		return;
	send_last(st);
	st->retransmit_interval *= 2;
	if (st->retransmit_interval > SIP_T2)
		st->retransmit_interval = SIP_T2;
	loop_timer_start(st->stack->loop, &st->retransmit_timer, st->retransmit_interval,
			 retransmit_fired, st);
}

struct sip_strans *sip_strans_create(struct sip_stack *s, struct sip_msg *req)
{
	char key[1024];
	size_t len = trans_server_key(req, key, sizeof(key));
	struct sip_strans *st = mem_alloc(sizeof(*st), strans_destroy);
	if (!st)
		return NULL;
	st->key = malloc(len + 1);
	if (!st->key) {
		mem_deref(st);
		return NULL;
	}
	memcpy(st->key, key, len);
	st->key[len] = '\0';
	st->stack = s;
	st->request = mem_ref(req);
	st->transport = req->src.transport;
	st->conn = mem_ref(req->src.conn);
	st->invite = req->method_id == SIP_METHOD_INVITE;
	st->state = st->invite ? ST_PROCEEDING : ST_TRYING;
	st->reliable = req->src.transport != SIP_TRANSPORT_UDP;
	mbuf_init(&st->last_response);
	sip_response_target(req, &st->reply_to);
	sip_random_token(st->to_tag, sizeof(st->to_tag));
	list_init(&st->link.link);
	hash_insert(&s->server_transactions, &st->link, slice_hash(slice_make(key, len)));
	return mem_ref(st); /* one for the table, one for the caller */
}

int sip_strans_send(struct sip_strans *st, uint16_t status, struct slice response)
{
	if (st->state == ST_TERMINATED || st->state == ST_COMPLETED || st->state == ST_CONFIRMED)
		return EALREADY;
	mbuf_reset(&st->last_response);
	mbuf_append_slice(&st->last_response, response);
	st->last_status = status;
	send_last(st);
	if (status < 200) {
		if (st->state == ST_TRYING)
			st->state = ST_PROCEEDING;
		return 0;
	}
	struct loop *loop = st->stack->loop;
	if (st->invite && status < 300) {
		if (st->state == ST_ACCEPTED)
			return 0; /* further 2xx pass through */
		st->state = ST_ACCEPTED;
		loop_timer_start(loop, &st->end_timer, 64 * SIP_T1, end_timer_fired, st); /* L */
	} else if (st->invite) {
		st->state = ST_COMPLETED;
		if (!st->reliable) {
			st->retransmit_interval = SIP_T1;
			loop_timer_start(loop, &st->retransmit_timer, SIP_T1, retransmit_fired, st); /* G */
		}
		loop_timer_start(loop, &st->end_timer, 64 * SIP_T1, end_timer_fired, st); /* H */
	} else {
		st->state = ST_COMPLETED;
		mem_deref(st->request);
		st->request = NULL;
		loop_timer_start(loop, &st->end_timer, st->reliable ? 0 : 64 * SIP_T1, end_timer_fired, st); /* J */
	}
	return 0;
}

int sip_strans_reply(struct sip_strans *st, uint16_t status, const char *reason,
		     const char *extra_headers, struct slice content_type, struct slice body)
{
	struct mbuf out;
	if (!st->request)
		return EALREADY; /* completed: the request is gone with the chance to answer */
	mbuf_init(&out);
	sip_build_response(&out, st->request, status, reason, st->to_tag, extra_headers, content_type, body);
	int err = mbuf_failed(&out) ? ENOMEM : sip_strans_send(st, status, mbuf_slice(&out));
	mbuf_free(&out);
	return err;
}

void strans_receive(struct sip_strans *st, struct sip_msg *req)
{
	if (req->method_id == SIP_METHOD_ACK) {
		if (st->state == ST_COMPLETED) {
			st->state = ST_CONFIRMED;
			loop_timer_stop(st->stack->loop, &st->retransmit_timer);
			loop_timer_start(st->stack->loop, &st->end_timer, st->reliable ? 0 : SIP_T4,
					 end_timer_fired, st); /* I */
		}
		return;
	}
	/* a retransmission: repeat what we said last, if anything */
	if (st->last_response.len && st->state != ST_ACCEPTED)
		send_last(st);
}

static bool option_supported(struct slice tag)
{
	struct slice rest = SLICE_LIT(SIP_SUPPORTED_OPTIONS), known;
	while (sip_value_next(&rest, &known))
		if (slice_eq_case(tag, known))
			return true;
	return false;
}

bool sip_strans_refuse_extensions(struct sip_strans *st, enum sip_header_id id)
{
	struct sip_value_iter it;
	struct slice tag;
	struct mbuf unsupported;
	if (!st->request)
		return false;
	mbuf_init(&unsupported);
	sip_value_iter_init(&it, st->request, id);
	while (sip_value_iter_next(&it, &tag)) {
		if (option_supported(tag))
			continue;
		mbuf_append_str(&unsupported, unsupported.len ? ", " : "Unsupported: ");
		mbuf_append_slice(&unsupported, tag);
	}
	bool refused = unsupported.len > 0;
	if (refused) {
		mbuf_append_str(&unsupported, "\r\n");
		sip_strans_reply(st, 420, NULL, mbuf_failed(&unsupported) ? NULL : unsupported.data,
				 SLICE_NULL, SLICE_NULL);
	}
	mbuf_free(&unsupported);
	return refused;
}

bool sip_strans_has_final(const struct sip_strans *st)
{
	return st->last_status >= 200;
}

const char *sip_strans_to_tag(const struct sip_strans *st)
{
	return st->to_tag;
}

void sip_strans_set_cancel_handler(struct sip_strans *st, sip_strans_cancel_handler *h, void *arg)
{
	st->cancel_handler = h;
	st->cancel_arg = arg;
}

struct sip_strans *sip_strans_find_invite(struct sip_stack *s, const struct sip_msg *cancel)
{
	char key[1024];
	/* The CANCEL has the INVITE's branch and sent-by; only the method differs. */
	size_t len = trans_server_key(cancel, key, sizeof(key));
	const char *m = "CANCEL";
	size_t mlen = strlen(m);
	if (len < mlen || memcmp(key + len - mlen, m, mlen) != 0 || len - mlen + 6 >= sizeof(key))
		return NULL;
	memcpy(key + len - mlen, "INVITE", 6);
	struct sip_strans *st = lookup(s, key, len - mlen + 6);
	return st && st->invite ? st : NULL;
}

void sip_strans_cancelled(struct sip_strans *st)
{
	if (st->cancel_handler && st->state == ST_PROCEEDING)
		st->cancel_handler(st, st->cancel_arg);
}

void strans_table_clear(struct sip_stack *s)
{
	for (uint32_t i = 0; i <= s->server_transactions.mask; i++) {
		LIST_FOREACH_SAFE(&s->server_transactions.buckets[i], it, tmp)
			terminate(LIST_ENTRY(it, struct sip_strans, link.link));
	}
}
