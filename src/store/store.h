/*
 * store.h - persistent state in SQLite: users (as HA1 hashes), the realms
 * they were hashed for, registrar bindings and call detail records.
 *
 * One store object per thread (SQLite connections are not shared). The
 * daemon and rtcbridge-ctl open the same database file in the state
 * directory at the same time; WAL mode and a busy timeout make that safe.
 *
 * Binding writes are queued and committed together by store_flush(), which
 * the daemon runs once per event-loop iteration (group commit): hundreds of
 * REGISTERs cost one transaction, and with WAL the commit is a write() that
 * survives kill -9 of the process.
 */
#ifndef RTCB_STORE_STORE_H
#define RTCB_STORE_STORE_H

#include "core/digest.h"
#include "core/slice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* Opens (creating directory and schema when missing) <state_dir>/rtcbridge.db. */
int store_open(struct store **sp, const char *state_dir);
void store_close(struct store *s);

/* ---- realms: the names users' HA1 hashes are computed for ---- */
/* Replace the set of realms the daemon answers for (written at start). */
int store_realms_set(struct store *s, const char *const *realms, size_t count);
/* Add the realms of the table to a caller array; callback per realm. */
int store_realms_each(struct store *s, void (*cb)(const char *realm, void *arg), void *arg);

/* ---- users ---- */
/* Adds or replaces a user: one row per realm with MD5 and SHA-256 HA1.
 * The name must be a valid SIP user part without escapes (EINVAL). */
int store_user_add(struct store *s, const char *name, const char *password,
		   const char *const *realms, size_t realm_count);
int store_user_del(struct store *s, const char *name); /* ENOENT if absent */
int store_user_list(struct store *s, void (*cb)(const char *name, void *arg), void *arg);
/* HA1 hex for (name, realm, alg); ENOENT when no such user or realm. */
int store_user_ha1(struct store *s, struct slice name, struct slice realm,
		   enum digest_algorithm alg, char out[DIGEST_HEX_SIZE]);
/* Many users in one transaction (for `user import`). */
int store_begin(struct store *s);
int store_commit(struct store *s);

/* ---- registrar bindings ---- */
struct store_binding {
	const char *aor;         /* "user@domain" */
	const char *contact;     /* the bound URI, as the client sent it */
	const char *call_id;
	uint32_t cseq;
	int64_t expires_at;      /* unix time */
	int q;                   /* q-value x 1000 (1.0 = 1000) */
	const char *transport;   /* "UDP", "TCP", "TLS", "WS", "WSS" */
	const char *source;      /* "ip:port" the REGISTER came from */
	const char *local;       /* "ip:port" it arrived on */
	const char *instance;    /* +sip.instance, or "" */
	int reg_id;              /* 0 when absent */
	const char *path;        /* Path header values, or "" */
	const char *user_agent;
};

/* Queue an insert-or-replace keyed by (aor, contact). */
int store_binding_put(struct store *s, const struct store_binding *b);
/* Queue a removal; contact NULL removes every binding of the aor. */
int store_binding_del(struct store *s, const char *aor, const char *contact);
/* Commit queued binding writes in one transaction. */
int store_flush(struct store *s);
/* Purge bindings expired at `now`, then call cb for each remaining one. */
int store_bindings_load(struct store *s, int64_t now,
			void (*cb)(const struct store_binding *b, void *arg), void *arg);

/* ---- call detail records ---- */
/* What one leg's relay endpoint counted (all 0 for calls not anchored). */
struct store_cdr_leg {
	int64_t packets_received, packets_sent, lost;
	double jitter_ms, rtt_ms, mos; /* rtt_ms 0: not known */
};

struct store_cdr {
	int64_t id;                /* set when read back */
	const char *call_id;
	const char *caller, *callee; /* From and To URIs */
	int64_t start_ms, answer_ms, end_ms; /* Unix ms; answer_ms 0: not answered */
	const char *disposition;   /* "answered", "busy", "no answer", "cancelled", ... */
	int status;                /* final status of the INVITE */
	const char *ended_by;      /* "caller", "callee", "no media", "shutdown", "" */
	bool anchored;             /* media went through the relay */
	const char *codec;         /* "PCMU/8000"; "" when not known */
	struct store_cdr_leg caller_leg, callee_leg;
};

/* Queue a CDR row; it is committed with the binding writes (store_flush). */
int store_cdr_put(struct store *s, const struct store_cdr *cdr);
/* The newest `limit` CDRs, newest first; strings valid during cb only. */
int store_cdrs_each(struct store *s, unsigned limit,
		    void (*cb)(const struct store_cdr *cdr, void *arg), void *arg);

#endif
