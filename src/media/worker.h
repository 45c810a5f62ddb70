/*
 * worker.h - private to the media engine: a worker thread, the calls it
 * owns, and the commands the control thread sends it.
 *
 * Ownership. Everything below `lock` in struct media_worker, and every
 * struct worker_call / worker_endpoint / relay_socket, belongs to the
 * worker thread once it runs; the control thread only ever holds a
 * struct worker_call pointer to name the call in a command, and never
 * dereferences it. The command queue and each command's state are guarded
 * by `lock`; a command's payload is written by the control thread before
 * it is queued and read back after it is done, so the mutex orders both.
 *
 * The engine's DTLS certificate is shared by every worker, and its
 * reference count is not atomic: it is only touched (dtls_conn_alloc, the
 * last mem_deref of a connection) while a command runs, that is while the
 * control thread, the only other toucher, waits for that command.
 *
 * worker.c: thread, queue, commands, call state. relay.c: the packet path.
 * secure.c: ICE-lite, DTLS and SRTP of secure endpoints.
 */
#ifndef RTCB_MEDIA_WORKER_H
#define RTCB_MEDIA_WORKER_H

#include "core/list.h"
#include "core/loop.h"
#include "core/mbuf.h"
#include "core/netaddr.h"
#include "media/engine.h"
#include "rtp/rtp.h"
#include "rtp/stats.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum relay_component { RELAY_RTP = 0, RELAY_RTCP = 1 };

struct worker_endpoint;
struct dtls_cert;
struct dtls_conn;
struct srtp_session;

/* What SET_SECURITY hands the worker: the settings, the endpoint's local
 * credentials, and the engine's certificate (not a reference). */
struct worker_security_settings {
	struct media_security settings;
	char local_ufrag[MEDIA_ICE_UFRAG_MAX + 1];
	char local_pwd[MEDIA_ICE_PWD_MAX + 1];
	struct dtls_cert *cert;
};

/* An endpoint's security state; mode NONE: all zero. */
struct endpoint_security {
	enum media_security_mode mode;
	char local_ufrag[MEDIA_ICE_UFRAG_MAX + 1];
	char local_pwd[MEDIA_ICE_PWD_MAX + 1];
	char remote_ufrag[MEDIA_ICE_UFRAG_MAX + 1];
	/* DTLS_SRTP: what the connection was made for (an ICE restart that
	 * keeps both keeps the connection and its keys) */
	bool dtls_client;
	char remote_fingerprint[MEDIA_FINGERPRINT_MAX + 1];
	struct dtls_conn *dtls;       /* DTLS_SRTP */
	bool dtls_started;            /* client: ClientHello sent */
	struct loop_timer dtls_timer; /* retransmission */
	struct srtp_session *srtp;    /* NULL until keys */
	bool checked;                 /* a valid binding request arrived */
	uint64_t last_check_ms;       /* loop time of the last one */
};

/* One UDP socket of an endpoint. */
struct relay_socket {
	struct loop_fd reg;
	int fd; /* -1: none */
	enum relay_component component;
	struct worker_endpoint *endpoint;
	struct netaddr remote; /* where we send; len 0: not known */
	bool latched;          /* remote was learned from a packet */
};

/* An SR an endpoint received, for the RTT of its peer's leg (relay_rtt.c). */
struct relay_sr {
	uint32_t lsr;   /* middle 32 bits of its NTP time */
	uint64_t at_us; /* when it arrived; 0: slot unused */
};
#define RELAY_SR_KEEP 4

struct worker_endpoint {
	struct worker_call *call;
	struct relay_socket sockets[2]; /* by enum relay_component */
	struct worker_endpoint *peer;   /* bridged to, or NULL */
	bool rtcp_mux;
	bool hold; /* forward nothing toward this endpoint */
	struct rtp_stats rtp_stats;
	struct relay_sr srs[RELAY_SR_KEEP]; /* the last SRs from its remote */
	unsigned sr_next;
	struct endpoint_security security;
	/* Counters only; the computed fields are filled by the stats command. */
	struct media_endpoint_stats counters;
};

struct worker_call {
	struct list link; /* in media_worker.calls */
	struct media_worker *worker;
	unsigned endpoint_count;
	struct worker_endpoint endpoints[MEDIA_CALL_MAX_ENDPOINTS];
	uint64_t last_packet_ms; /* loop time of the last accepted packet */
};

enum worker_command_type {
	WORKER_CALL_ADD,
	WORKER_CALL_DELETE,
	WORKER_ENDPOINT_ADD,
	WORKER_SET_REMOTE,
	WORKER_BRIDGE,
	WORKER_HOLD,
	WORKER_SET_SECURITY,
	WORKER_STATS,
	WORKER_STOP,
};

enum worker_command_state { WORKER_QUEUED, WORKER_TAKEN, WORKER_DONE };

/* Lives on the control thread's stack for the length of one call. */
struct worker_command {
	struct list link; /* in media_worker.queue while QUEUED */
	enum worker_command_type type;
	enum worker_command_state state; /* guarded by media_worker.lock */
	int result;
	struct worker_call *call; /* in (out for CALL_ADD) */
	unsigned endpoint, other;
	union {
		int fds[2];                    /* ENDPOINT_ADD: RTP, RTCP; owned by the
						* worker when the result is 0 */
		struct media_remote remote;    /* SET_REMOTE */
		bool hold;                     /* HOLD */
		struct worker_security_settings security; /* SET_SECURITY */
		struct media_call_stats *stats; /* STATS (out) */
	} u;
};

struct relay_batch;

struct media_worker {
	const struct media_engine_settings *settings; /* the engine's, read-only */
	pthread_t thread;
	bool started;
	int wake_fd; /* eventfd: commands are queued */

	pthread_mutex_t lock;
	pthread_cond_t changed; /* a command was taken or done */
	struct list queue;      /* of worker_command, guarded by lock */

	/* worker thread only (the control thread before start) */
	struct loop *loop;
	struct loop_fd wake_reg;
	struct list calls; /* of worker_call */
	struct relay_batch *batch;
	struct mbuf control_out; /* STUN answers, DTLS datagrams; reused */
};

int media_worker_init(struct media_worker *w, const struct media_engine_settings *settings);
int media_worker_start(struct media_worker *w);
/* Stop the thread (freeing every call it owns) and join it. */
void media_worker_stop(struct media_worker *w);
void media_worker_destroy(struct media_worker *w);
/* Queue cmd, wait until done; cmd->result, or ETIMEDOUT when the worker did
 * not take it in time (it is withdrawn). Control thread only. */
int media_worker_run(struct media_worker *w, struct worker_command *cmd);

/* relay.c */
int relay_batch_alloc(struct relay_batch **batchp);
void relay_batch_free(struct relay_batch *batch);
/* loop_fd handler of every relay_socket; arg is the relay_socket. */
void relay_socket_readable(int fd, uint32_t events, void *arg);

/* secure.c */
/* SET_SECURITY: replaces the endpoint's security state. */
int secure_set(struct worker_endpoint *ep, const struct worker_security_settings *s);
/* Frees the state (timer, DTLS, SRTP); back to mode NONE. */
void secure_clear(struct worker_endpoint *ep);
/* RTCP received on ep (plain, or after SRTCP unprotect): learn the RTT of
 * ep's leg from its report blocks, remember its SRs for the peer's. */
void relay_rtcp_observe(struct worker_endpoint *ep, const uint8_t *buf, size_t len,
			uint64_t arrival_us);

/* RFC 7675 5.1: no valid binding request for 30 s: consent expired. */
#define SECURE_CONSENT_TIMEOUT_MS 30000
/* Has a browser's consent expired (DTLS-SRTP endpoints that got checks)? */
bool secure_consent_lost(const struct worker_endpoint *ep, uint64_t now_ms);
/* Closing the endpoint: a close_notify to the browser when DTLS is up. */
void secure_close(struct worker_endpoint *ep);
static inline bool secure_enabled(const struct worker_endpoint *ep)
{
	return ep->security.mode != MEDIA_SECURITY_NONE;
}
/* A STUN or DTLS datagram arrived on s of a secure endpoint. */
void secure_control_received(struct relay_socket *s, enum media_packet_kind kind,
			     const uint8_t *buf, size_t len, const struct netaddr *from);
/* SRTP/SRTCP in place; false: dropped (counted). */
bool secure_unprotect(struct worker_endpoint *ep, bool rtcp, uint8_t *buf, size_t *len);
/* Toward a secure endpoint, in place within cap; false: dropped (counted
 * on from, or on ep when protect fails). */
bool secure_protect(struct worker_endpoint *ep, struct worker_endpoint *from, bool rtcp,
		    uint8_t *buf, size_t *len, size_t cap);
/* The security part of the stats command. */
void secure_stats(const struct worker_endpoint *ep, uint64_t now_ms,
		  struct media_endpoint_stats *out);

#endif
