/*
 * engine.h - the media engine: RTP anchoring between endpoints, run by
 * worker threads, driven through a small control interface.
 *
 * Planes. The signalling thread (the "control thread": whoever calls the
 * functions below; exactly one thread) owns the engine, the port range and
 * the call handles. Each worker thread runs its own struct loop and owns the
 * sockets, addresses and statistics of the calls assigned to it. A call is
 * assigned to one worker when it is created (round robin), so both legs of a
 * call live on one worker and a packet is never touched by two threads.
 *
 * Control. Every function below is synchronous: it queues a command to the
 * call's worker, wakes the worker through an eventfd and waits on a
 * condition variable until the worker has run it. The wait for the worker
 * to pick the command up is bounded (MEDIA_CONTROL_TIMEOUT_MS, ETIMEDOUT
 * and the command withdrawn); a command that was picked up runs to the end
 * without blocking, so the wait for its result is short by construction.
 * The commands copy values in and out (addresses, ids, statistics); nothing
 * the worker owns is ever read by the control thread. That keeps the
 * interface narrow enough to become messages to another process later.
 *
 * Objects. struct media_call is a refcounted handle (core/mem.h) owned by
 * the control thread; endpoints are small integers within their call.
 * media_call_delete() closes the call's sockets and gives its ports back;
 * the handle stays valid (every function then returns ENOENT) until its
 * last mem_deref(), which deletes the call if nobody did. Handles keep the
 * engine alive: media_engine_destroy() stops the workers (closing every
 * socket of every call still open) and drops the creator's reference; the
 * memory goes with the last handle.
 *
 * Ports. Each endpoint gets an even RTP port and RTP+1 for RTCP from the
 * range, next-fit (a freed port is reused as late as possible, so stray
 * packets of a finished call do not reach a new one), bound without
 * SO_REUSEADDR; a port someone else holds (EADDRINUSE) is skipped.
 *
 * Security. An endpoint is plain RTP unless media_endpoint_set_security()
 * makes it a WebRTC one: ICE-lite (binding requests answered and checked
 * with the endpoint's local credentials, the remote address learned from
 * them) and DTLS-SRTP keyed by the engine's one certificate, or SRTP with
 * SDES keys. Packets are unprotected as they arrive from such an endpoint
 * and protected as they leave toward it; its peer may be plain (a phone)
 * or secure itself. See secure.c.
 *
 * Packets: see relay.c. Errors are errno values; 0 is success.
 */
#ifndef RTCB_MEDIA_ENGINE_H
#define RTCB_MEDIA_ENGINE_H

#include "core/netaddr.h"
#include "srtp/srtp.h"

#include <stdbool.h>
#include <stdint.h>

struct media_engine;
struct media_call;

#define MEDIA_CONTROL_TIMEOUT_MS 2000
/* Endpoints per call: two legs, room for audio and video on each. */
#define MEDIA_CALL_MAX_ENDPOINTS 8
#define MEDIA_WORKERS_MAX 64

struct media_engine_settings {
	unsigned workers;          /* 1..MEDIA_WORKERS_MAX */
	uint16_t port_min, port_max; /* RTP on even ports, RTCP on RTP + 1 */
	/* Local addresses endpoints bind to; family 0 (len 0) = not used.
	 * The address an SDP advertises is the caller's business: with a
	 * wildcard bind the endpoint reports the wildcard. */
	struct netaddr bind4, bind6;
	/* Accept packets only from the remote address given by
	 * media_endpoint_set_remote(); no latching. */
	bool strict_source;
	/* A call that received nothing for this long is reported timed out. */
	uint32_t timeout_ms;
};

/* Defaults: 1 worker (2 on machines with more than 2 cores), ports
 * 20000-30000, 0.0.0.0, no IPv6, latching, 60 s timeout. */
void media_engine_settings_default(struct media_engine_settings *s);

/* EINVAL for settings that cannot work (no bind address, no whole port
 * pair in the range, worker count). The engine copies the settings and
 * makes the DTLS certificate of its secure endpoints (an errno value when
 * OpenSSL cannot). */
int media_engine_create(struct media_engine **enginep, const struct media_engine_settings *s);
/* Start the worker threads. Once. */
int media_engine_start(struct media_engine *engine);
/* Stop the workers and close every call's sockets; final (no restart).
 * Safe to call twice, or on an engine never started. */
void media_engine_stop(struct media_engine *engine);
/* Stop, and drop the creator's reference. NULL is fine. */
void media_engine_destroy(struct media_engine *engine);

/* A call on one worker; call_id is copied (for logs). */
int media_call_create(struct media_engine *engine, const char *call_id,
		      struct media_call **callp);
/* Close the sockets and free the ports of the call. Idempotent. */
void media_call_delete(struct media_call *call);

struct media_endpoint_info {
	unsigned id;           /* for the functions below */
	struct netaddr rtp;    /* local address and port of each socket */
	struct netaddr rtcp;
};

/* A socket pair for family AF_INET or AF_INET6. ENOSPC when the range is
 * exhausted or the call is full; EAFNOSUPPORT when no address of that
 * family is configured. */
int media_endpoint_create(struct media_call *call, int family, struct media_endpoint_info *info);

struct media_remote {
	struct netaddr rtp;  /* from SDP; family 0 = not known yet (latch) */
	struct netaddr rtcp; /* family 0: RTP port + 1 */
	bool rtcp_mux;       /* RTCP goes both ways on the RTP socket */
	uint32_t clock_rate; /* for jitter; 0 = 8000 */
};

/* Where the endpoint sends to, as SDP says. Restarts latching and the
 * receive statistics (a re-INVITE may well mean a new phone). */
int media_endpoint_set_remote(struct media_call *call, unsigned endpoint,
			      const struct media_remote *remote);
/* What a receives goes out of b to b's remote, and the other way round.
 * A previous bridge of either endpoint is undone. */
int media_endpoints_bridge(struct media_call *call, unsigned a, unsigned b);
/* On hold, nothing is forwarded toward the endpoint (its own packets
 * still flow to its peer). */
int media_endpoint_set_hold(struct media_call *call, unsigned endpoint, bool hold);

struct media_endpoint_stats {
	uint64_t packets_received, bytes_received; /* every datagram in */
	uint64_t packets_sent, bytes_sent;         /* datagrams out to its remote */
	uint64_t dropped_source;     /* strict_source: not from the remote */
	uint64_t dropped_unroutable; /* not bridged, peer on hold or without address */
	uint64_t dropped_no_consent; /* the peer is a browser whose consent expired */
	uint64_t dropped_oversize;   /* longer than the receive buffer (1900) */
	uint64_t ignored;            /* plain: STUN, DTLS; secure: what it has no use for */
	uint64_t not_rtp;            /* relayed though not parsable as RTP */
	uint64_t send_errors;        /* datagrams the kernel refused */
	/* Secure endpoints (plain ones: 0, -1, false). */
	uint64_t stun_answered;      /* valid binding requests, answered with success */
	uint64_t stun_rejected;      /* refused: credentials, integrity, fingerprint */
	uint64_t srtp_auth_failures; /* SRTP/SRTCP in that failed to unprotect */
	uint64_t srtp_replays;       /* SRTP/SRTCP in with an index already seen */
	/* Media that found SRTP not ready: received on this endpoint before
	 * its keys, or headed to a secure peer before the peer's keys. */
	uint64_t dropped_unsecured;
	int64_t consent_age_ms; /* since the last valid binding request; -1: none */
	bool srtp_ready;        /* keys in place (SDES at once, DTLS once connected) */
	bool dtls_failed;       /* the handshake failed or the peer closed */
	struct netaddr remote_rtp;   /* current (latched) destination, len 0: none */
	bool latched;
	/* Receive statistics of the first SSRC (rtp/stats.h). */
	uint32_t ssrc;
	uint32_t expected;
	int64_t lost;
	double jitter_ms;
	double rtt_ms; /* relay <-> this leg's phone, from RTCP (relay_rtt.c); 0: not known */
	double mos; /* E-model for G.711 (delay: rtt_ms / 2); 0 before media */
};

enum media_security_mode {
	MEDIA_SECURITY_NONE,      /* plain RTP, as after media_endpoint_create() */
	MEDIA_SECURITY_DTLS_SRTP, /* ICE-lite and DTLS-SRTP: a browser */
	MEDIA_SECURITY_SDES,      /* SRTP with keys from a=crypto */
	/* SRTP expected (the leg offered a=crypto) but our key is not agreed
	 * yet: nothing is relayed to or from the endpoint, so no clear RTP
	 * reaches a phone that asked for SRTP (early media before the
	 * answer). */
	MEDIA_SECURITY_SDES_PENDING,
};

/* ICE credentials (RFC 8839: ufrag 4-256, pwd 22-256 ice-chars); longer
 * ones than these are refused. */
#define MEDIA_ICE_UFRAG_MAX 64
#define MEDIA_ICE_PWD_MAX 128
/* "sha-512 " and 64 hex pairs with colons. */
#define MEDIA_FINGERPRINT_MAX 200

struct media_security {
	enum media_security_mode mode;
	/* Any secure mode: binding requests must name "<local>:<remote_ufrag>"
	 * ("" accepts any remote part). remote_pwd is what a full-ICE agent
	 * would key its own checks with; ICE-lite sends none, so it is only
	 * checked for size. */
	char remote_ufrag[MEDIA_ICE_UFRAG_MAX + 1];
	char remote_pwd[MEDIA_ICE_PWD_MAX + 1];
	/* DTLS_SRTP: our role (a=setup:active = client; otherwise server) and
	 * the peer's a=fingerprint, "<hash> <hex>". */
	bool dtls_client;
	char remote_fingerprint[MEDIA_FINGERPRINT_MAX + 1];
	/* SDES: local protects what we send, remote unprotects what we get. */
	struct srtp_keys sdes;
};

/* Sets (or replaces, restarting DTLS and dropping SRTP keys, unless only
 * the ICE credentials differ: see media_endpoint_ice_restart()) the
 * endpoint's security. EINVAL for an unknown mode, strings that are not
 * terminated within their arrays, a malformed fingerprint or an unknown
 * SDES profile; on any error the endpoint is left plain. STUN is answered
 * on the RTP and the RTCP socket (each latches its own remote: a peer
 * without rtcp-mux checks both components); DTLS runs on the RTP socket
 * only, so SRTCP on a separate RTCP port is not keyed (dropped). */
int media_endpoint_set_security(struct media_call *call, unsigned endpoint,
				const struct media_security *security);

/* New local ICE credentials for the endpoint (an ICE restart, RFC 8445
 * 9: the answerer changes its own too). They reach the worker, and the
 * checks, with the next media_endpoint_set_security(); a DTLS-SRTP
 * endpoint whose role and remote fingerprint stay the same keeps its DTLS
 * connection and SRTP keys through that call. */
int media_endpoint_ice_restart(struct media_call *call, unsigned endpoint);

/* What our SDP says for the endpoint: a=ice-ufrag, a=ice-pwd (made at
 * media_endpoint_create(), kept for the endpoint's life) and
 * a=fingerprint (the engine's certificate). */
struct media_local_security {
	char ufrag[MEDIA_ICE_UFRAG_MAX + 1];
	char pwd[MEDIA_ICE_PWD_MAX + 1];
	char fingerprint[MEDIA_FINGERPRINT_MAX + 1];
};

int media_endpoint_get_local_security(struct media_call *call, unsigned endpoint,
				      struct media_local_security *out);

struct media_call_stats {
	unsigned endpoint_count;
	struct media_endpoint_stats endpoints[MEDIA_CALL_MAX_ENDPOINTS]; /* by id */
	uint64_t idle_ms; /* since the last packet received (or creation) */
	bool timed_out;   /* idle_ms >= the engine's timeout */
};

int media_call_stats(struct media_call *call, struct media_call_stats *out);

#endif
