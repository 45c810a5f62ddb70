/*
 * dtls.h - DTLS-SRTP (RFC 5764) key agreement, without sockets or timers.
 *
 * One struct dtls_cert per process: a self-signed ECDSA P-256 certificate
 * made at start, whose fingerprint goes into every SDP (a=fingerprint),
 * and the OpenSSL context all connections share.
 *
 * One struct dtls_conn per media transport (per 5-tuple after ICE): the
 * engine feeds it the datagrams that arrive (RFC 7983: first byte 20..63),
 * sends the datagrams it produces, and runs its retransmission timer:
 *
 *   dtls_conn_alloc(&c, cert, role, remote_fingerprint_from_sdp);
 *   dtls_conn_start(c);                      client: the ClientHello
 *   loop:
 *     on a datagram:  dtls_conn_receive(c, p, n)
 *     on the timer:   dtls_conn_handle_timeout(c)
 *     after either:   while (!dtls_conn_take_output(c, &buf)) send(buf);
 *                     re-arm the timer with dtls_conn_timeout_ms(c);
 *                     look at dtls_conn_state(c)
 *   when connected:   dtls_conn_keys(c, &keys) -> srtp_session_alloc()
 *
 * Roles (RFC 8842): a=setup:active is the client, passive the server; the
 * answerer to actpass picks one (RFC 8842 5.3: preferably active). The
 * client starts once ICE has a working pair; the server only answers.
 *
 * The peer is authenticated by its certificate's fingerprint alone, against
 * the a=fingerprint of its SDP (RFC 8122): no chain, names or dates. A
 * mismatch aborts the handshake with a bad_certificate alert before any key
 * is derived.
 *
 * Datagrams we send are at most DTLS_MTU bytes (UDP payload); larger
 * handshake messages are fragmented by OpenSSL.
 *
 * A connection belongs to one thread. The certificate may be shared.
 */
#ifndef RTCB_DTLS_DTLS_H
#define RTCB_DTLS_DTLS_H

#include "core/mbuf.h"
#include "core/slice.h"
#include "srtp/srtp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

/* Largest datagram we send, as WebRTC stacks do: room for IP, UDP and
 * TURN headers within the usual path MTUs. */
#define DTLS_MTU 1200

/* ---------------------------------------------------------------------------
 * The certificate
 */

struct dtls_cert;

/* A fresh key and self-signed certificate, refcounted (mem_deref); logs
 * and returns an errno value when OpenSSL fails. */
int dtls_cert_alloc(struct dtls_cert **certp);
/* "sha-256 AB:CD:..." (upper-case hex), the value of a=fingerprint. */
const char *dtls_cert_fingerprint(const struct dtls_cert *cert);
/* The shared context, for dtls.c: DTLS 1.2, the SRTP profiles, our pair. */
SSL_CTX *dtls_cert_ssl_ctx(const struct dtls_cert *cert);

/* ---------------------------------------------------------------------------
 * Connections
 */

enum dtls_role {
	DTLS_ROLE_CLIENT, /* a=setup:active */
	DTLS_ROLE_SERVER, /* a=setup:passive */
};

enum dtls_state {
	DTLS_STATE_HANDSHAKING, /* from creation until the handshake ends */
	DTLS_STATE_CONNECTED,   /* keys available */
	DTLS_STATE_FAILED,      /* dtls_conn_error() says why */
	DTLS_STATE_CLOSED,      /* the peer sent close_notify */
};

struct dtls_conn;

/* remote_fingerprint is the peer's a=fingerprint value, "<hash> <hex>"
 * with hash one of sha-1, sha-224, sha-256, sha-384, sha-512; EINVAL when
 * it is malformed. The connection holds a reference to cert. */
int dtls_conn_alloc(struct dtls_conn **cp, struct dtls_cert *cert, enum dtls_role role,
		    struct slice remote_fingerprint);

/* Before the handshake starts: the SRTP profiles to offer (client) or
 * accept (server), most preferred first, instead of the default of
 * AEAD_AES_128_GCM, AES128_CM_SHA1_80, AES128_CM_SHA1_32. EBUSY once the
 * handshake has begun, EINVAL for an empty or unknown list. */
int dtls_conn_set_profiles(struct dtls_conn *c, const enum srtp_profile *profiles, size_t count);

/* The first retransmission timeout (default 1000 ms, RFC 6347 4.2.4.1);
 * each following one doubles, up to 8 s. */
void dtls_conn_set_timeout(struct dtls_conn *c, unsigned initial_ms);

/* Client: queues the ClientHello. Server: nothing to do (0). */
int dtls_conn_start(struct dtls_conn *c);

/* Feeds one received datagram. EBADMSG when it is not a sequence of whole
 * DTLS records (dropped without touching the connection); otherwise 0,
 * also when the datagram was refused by DTLS: look at the state. Once
 * failed or closed, datagrams are ignored. A client that has not started
 * ignores them too. */
int dtls_conn_receive(struct dtls_conn *c, const uint8_t *datagram, size_t len);

/* Moves the next datagram to send into out (replacing its contents): 0,
 * ENODATA when there is none, ENOMEM. Drain after every call that may
 * produce output (start, receive, handle_timeout, close), also after a
 * failure: the alert that tells the peer is queued there. */
int dtls_conn_take_output(struct dtls_conn *c, struct mbuf *out);

/* Milliseconds until dtls_conn_handle_timeout() should run (rounded up,
 * 0 when due), or -1 when no retransmission is pending. */
long dtls_conn_timeout_ms(struct dtls_conn *c);
/* Retransmits the last flight if its timer has expired (nothing when it
 * has not); the connection fails after OpenSSL's 12 timeouts in a row.
 * The engine should also give up on its own schedule (e.g. 30 s without
 * reaching connected). */
void dtls_conn_handle_timeout(struct dtls_conn *c);

/* Queues a close_notify (at hang-up); the state does not change. */
void dtls_conn_close(struct dtls_conn *c);

enum dtls_state dtls_conn_state(const struct dtls_conn *c);
/* Why the connection failed; "" unless DTLS_STATE_FAILED. */
const char *dtls_conn_error(const struct dtls_conn *c);
/* When connected: the negotiated profile, our key (local) and the peer's
 * (remote), from the RFC 5764 4.2 exporter. EAGAIN before. */
int dtls_conn_keys(const struct dtls_conn *c, struct srtp_keys *keys);

/* ---------------------------------------------------------------------------
 * Records, for the demultiplexer (RFC 6347 4.1)
 */

struct dtls_record {
	uint8_t content_type; /* 20 change_cipher_spec, 21 alert, 22 handshake, 23 data */
	uint16_t version;     /* 0xfeff DTLS 1.0 (ClientHellos), 0xfefd DTLS 1.2 */
	uint16_t epoch;
	uint64_t sequence; /* 48 bits */
	const uint8_t *fragment;
	size_t length;
};

/* The record at the start of p: its whole size (13-byte header and
 * fragment), or 0 when p does not start with a complete DTLS record of a
 * known content type and version. */
size_t dtls_record_parse(const uint8_t *p, size_t len, struct dtls_record *rec);
/* Whether a datagram is one or more complete records and nothing else. */
bool dtls_datagram_valid(const uint8_t *p, size_t len);

#endif
