/*
 * stack.h - the SIP stack of one signaling thread: transport, transaction
 * tables and the handlers of the layer above (registrar, proxy).
 *
 * Incoming requests are first matched against server transactions
 * (retransmissions are answered here, ACKs for non-2xx absorbed); what is
 * new goes to the request handler. Responses are matched against client
 * transactions; a response with no transaction (a retransmitted 2xx the
 * proxy must forward statelessly) goes to the stray response handler.
 * Requests that cannot be parsed are answered 400 here, with the reason.
 */
#ifndef RTCB_SIP_STACK_H
#define RTCB_SIP_STACK_H

#include "core/mbuf.h"
#include "sip/msg.h"
#include "sip/transport.h"

struct loop;
struct sip_stack;
struct sip_strans;
struct sip_ctrans;

/* RFC 3261 timer values in ms */
#define SIP_T1 500
#define SIP_T2 4000
#define SIP_T4 5000

typedef void(sip_request_handler)(struct sip_stack *s, struct sip_msg *req, void *arg);
typedef void(sip_stray_response_handler)(struct sip_stack *s, struct sip_msg *resp, void *arg);

struct sip_stack_handlers {
	sip_request_handler *request;
	sip_stray_response_handler *stray_response;
	sip_conn_close_handler *conn_closed;
	void *arg;
};

int sip_stack_create(struct sip_stack **sp, struct loop *loop,
		     const struct sip_transport_settings *settings,
		     const struct sip_stack_handlers *handlers);
void sip_stack_destroy(struct sip_stack *s);
struct sip_transport *sip_stack_transport(struct sip_stack *s);
struct loop *sip_stack_loop(struct sip_stack *s);

/* Where a response to this request goes (RFC 3261 18.2.2, RFC 3581). */
void sip_response_target(const struct sip_msg *req, struct netaddr *dst);

/* Send a response without a transaction (stateless). */
int sip_stack_reply_stateless(struct sip_stack *s, const struct sip_msg *req, uint16_t status,
			      const char *reason);

/* Fresh random token (hex) for tags and branches; buf >= size. */
void sip_random_token(char *buf, size_t size);

/* ------------------------------------------------------ server transactions */

typedef void(sip_strans_cancel_handler)(struct sip_strans *st, void *arg);

/* Create a server transaction for a request the stack did not match.
 * The table keeps it until it terminates; the caller gets its own ref. */
struct sip_strans *sip_strans_create(struct sip_stack *s, struct sip_msg *req);
/* Reply with a response built from the request. extra_headers is a block
 * of "Name: value\r\n" lines or NULL; body may be empty. */
int sip_strans_reply(struct sip_strans *st, uint16_t status, const char *reason,
		     const char *extra_headers, struct slice content_type, struct slice body);
/* Send a response built elsewhere (a proxy forwarding a response). */
int sip_strans_send(struct sip_strans *st, uint16_t status, struct slice response);
/* Option tags we implement (Supported:, Require:, Proxy-Require:). */
#define SIP_SUPPORTED_OPTIONS "path, outbound"
/* 420 Bad Extension listing the request's option tags in this header
 * (Require or Proxy-Require) that we do not implement; true if sent. */
bool sip_strans_refuse_extensions(struct sip_strans *st, enum sip_header_id id);
bool sip_strans_has_final(const struct sip_strans *st);
/* The To-tag this transaction puts in its own responses. */
const char *sip_strans_to_tag(const struct sip_strans *st);
void sip_strans_set_cancel_handler(struct sip_strans *st, sip_strans_cancel_handler *h, void *arg);
/* The INVITE server transaction a CANCEL refers to, or NULL. */
struct sip_strans *sip_strans_find_invite(struct sip_stack *s, const struct sip_msg *cancel);
/* Deliver the CANCEL to the INVITE transaction's owner. */
void sip_strans_cancelled(struct sip_strans *st);

/* ------------------------------------------------------ client transactions */

/* resp is NULL when the transaction timed out or could not be sent;
 * status is then 408 or 503. */
typedef void(sip_ctrans_handler)(struct sip_ctrans *ct, struct sip_msg *resp, uint16_t status,
				 void *arg);

/*
 * Send a request (bytes with our Via on top, branch `branch`) and run its
 * client transaction. The transaction keeps a reference while it runs; the
 * caller gets one too and must sip_ctrans_abandon() before dropping it.
 */
int sip_ctrans_create(struct sip_ctrans **ctp, struct sip_stack *s, struct slice request,
		      enum sip_transport_type type, const struct netaddr *dst, struct sip_conn *conn,
		      sip_ctrans_handler *handler, void *arg);
/* INVITE only: CANCEL it (now, or once a provisional response arrives). */
void sip_ctrans_cancel(struct sip_ctrans *ct);
/* The owner goes away: no more callbacks. Drops the caller's reference. */
void sip_ctrans_abandon(struct sip_ctrans *ct);
const struct sip_msg *sip_ctrans_request(const struct sip_ctrans *ct);

#endif
