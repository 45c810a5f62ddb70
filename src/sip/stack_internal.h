/*
 * stack_internal.h - what stack.c, strans.c and ctrans.c share.
 */
#ifndef RTCB_SIP_STACK_INTERNAL_H
#define RTCB_SIP_STACK_INTERNAL_H

#include "core/hash.h"
#include "core/loop.h"
#include "sip/stack.h"

struct sip_stack {
	struct loop *loop;
	struct sip_transport *transport;
	struct sip_stack_handlers handlers;
	struct hash server_transactions;
	struct hash client_transactions;
};

/* Transaction key (RFC 3261 17.2.3): branch + sent-by + method, ACK
 * folded onto INVITE; RFC 2543 peers without the magic cookie get a key
 * from Call-ID, CSeq, From tag and the Via. Returns length written. */
size_t trans_server_key(const struct sip_msg *msg, char *buf, size_t size);

struct sip_strans *strans_match(struct sip_stack *s, const struct sip_msg *req);
/* Retransmission or ACK for a known transaction. */
void strans_receive(struct sip_strans *st, struct sip_msg *req);
bool ctrans_receive(struct sip_stack *s, struct sip_msg *resp);
void strans_table_clear(struct sip_stack *s);
void ctrans_table_clear(struct sip_stack *s);

#endif
