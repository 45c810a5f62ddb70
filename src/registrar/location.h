/*
 * location.h - the location service: which contacts each user is
 * reachable at (RFC 3261 10).
 *
 * Records are keyed by the user part (all local domains are one domain, as
 * with Kamailio's use_domain=0). Each binding remembers where its REGISTER
 * came from (transport, source address, and the connection for TCP/TLS),
 * because that is how the user is reached behind NAT: requests go back the
 * way the registration came in.
 *
 * Bindings expire on their own timer. Every change is written to the store
 * (queued, group-committed by the loop), and location_load() restores
 * unexpired bindings after a restart.
 */
#ifndef RTCB_REGISTRAR_LOCATION_H
#define RTCB_REGISTRAR_LOCATION_H

#include "core/hash.h"
#include "core/list.h"
#include "core/loop.h"
#include "core/netaddr.h"
#include "core/slice.h"
#include "sip/msg.h"

#include <stdint.h>

struct location;
struct store;
struct sip_conn;

struct location_binding {
	struct list link;             /* in its record, highest q first */
	struct location_record *record;
	struct loop_timer expiry;
	char *contact;                /* bound URI as sent (without <>) */
	char *call_id;
	uint32_t cseq;
	int64_t expires_at;           /* unix time */
	int q;                        /* x1000 */
	enum sip_transport_type transport;
	struct netaddr source;        /* where the REGISTER came from */
	struct netaddr local;
	struct sip_conn *conn;        /* stream transports: a reference */
	struct hash_link flow_link;   /* in the location's flows, when connection-bound */
	bool in_flows;
	char *instance;
	int reg_id;
	char *path;
	char *user_agent;
};

struct location_record {
	struct location *owner;
	char *aor;
	struct list bindings;
};

int location_create(struct location **lp, struct loop *loop, struct store *store);
void location_destroy(struct location *l);

/* Restore bindings persisted in the store (expired ones are purged). */
int location_load(struct location *l);

/* All bindings of a user, highest q first; NULL or empty list when none. */
struct location_record *location_find(struct location *l, struct slice aor);

/* Insert or refresh the binding for (aor, contact). */
struct location_binding_update {
	struct slice contact;
	struct slice call_id;
	uint32_t cseq;
	uint32_t expires; /* seconds from now; 0 removes */
	int q;
	const struct sip_source *src;
	struct slice instance;
	int reg_id;
	struct slice path;
	struct slice user_agent;
};
int location_update(struct location *l, struct slice aor, const struct location_binding_update *u);
struct location_binding *location_find_binding(struct location_record *r, struct slice contact);
/* Remove one binding, or all of an aor (contact empty). */
void location_remove(struct location *l, struct slice aor, struct slice contact);
size_t location_binding_count(const struct location_record *r);
/* A connection closed: remove the bindings that lived on it (WebSocket, and
 * outbound flows). Returns how many. */
size_t location_remove_flow(struct location *l, const struct sip_conn *conn);
/* Total number of bindings (for stats). */
size_t location_size(const struct location *l);

#endif
