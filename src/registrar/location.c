/*
 * location.c - in-memory location table with expiry timers, mirrored to the
 * store.
 *
 * Bindings that live only as long as their connection - every WebSocket
 * binding, and outbound (RFC 5626) bindings over a stream - are also
 * indexed by connection, so that when it closes they go at once and calls
 * to the user get 480 instead of waiting for a timeout. They are not
 * restored after a restart: their connection is gone.
 */
#include "registrar/location.h"

#include "core/hash.h"
#include "core/log.h"
#include "core/mem.h"
#include "sip/transport.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct record_entry {
	struct hash_link link;
	struct location_record record;
};

struct location {
	struct loop *loop;
	struct store *store;
	struct hash records;
	struct hash flows; /* connection-bound bindings by connection id */
	size_t binding_count;
};

static bool record_match(const struct hash_link *entry, const void *key)
{
	const struct record_entry *e = (const struct record_entry *)entry;
	return slice_eq(slice_from_cstr(e->record.aor), *(const struct slice *)key);
}

int location_create(struct location **lp, struct loop *loop, struct store *store)
{
	struct location *l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	l->loop = loop;
	l->store = store;
	if (hash_init(&l->records, 1 << 10) || hash_init(&l->flows, 1 << 6)) {
		hash_free(&l->records);
		free(l);
		return ENOMEM;
	}
	*lp = l;
	return 0;
}

static struct record_entry *entry_of(struct location_record *r)
{
	return (struct record_entry *)((char *)r - offsetof(struct record_entry, record));
}

static void binding_free(struct location *l, struct location_binding *b)
{
	loop_timer_stop(l->loop, &b->expiry);
	list_remove(&b->link);
	if (b->in_flows)
		hash_remove(&l->flows, &b->flow_link);
	mem_deref(b->conn);
	free(b->contact);
	free(b->call_id);
	free(b->instance);
	free(b->path);
	free(b->user_agent);
	free(b);
	l->binding_count--;
}

static void record_drop_if_empty(struct location *l, struct location_record *r)
{
	if (!list_empty(&r->bindings))
		return;
	struct record_entry *e = entry_of(r);
	hash_remove(&l->records, &e->link);
	free(r->aor);
	free(e);
}

void location_destroy(struct location *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; i <= l->records.mask; i++) {
		LIST_FOREACH_SAFE(&l->records.buckets[i], it, tmp) {
			struct record_entry *e = LIST_ENTRY(it, struct record_entry, link.link);
			LIST_FOREACH_SAFE(&e->record.bindings, bit, btmp)
				binding_free(l, LIST_ENTRY(bit, struct location_binding, link));
			record_drop_if_empty(l, &e->record);
		}
	}
	hash_free(&l->records);
	hash_free(&l->flows);
	free(l);
}

struct location_record *location_find(struct location *l, struct slice aor)
{
	struct record_entry *e = (struct record_entry *)hash_lookup(&l->records, slice_hash(aor),
								    record_match, &aor);
	return e ? &e->record : NULL;
}

static struct location_record *record_get(struct location *l, struct slice aor)
{
	struct location_record *r = location_find(l, aor);
	if (r)
		return r;
	struct record_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->record.aor = strndup(aor.p, aor.len);
	if (!e->record.aor) {
		free(e);
		return NULL;
	}
	list_init(&e->record.bindings);
	e->record.owner = l;
	hash_insert(&l->records, &e->link, slice_hash(aor));
	return &e->record;
}

struct location_binding *location_find_binding(struct location_record *r, struct slice contact)
{
	if (!r)
		return NULL;
	LIST_FOREACH(&r->bindings, it) {
		struct location_binding *b = LIST_ENTRY(it, struct location_binding, link);
		if (slice_eq(slice_from_cstr(b->contact), contact))
			return b;
	}
	return NULL;
}

/* RFC 5626 6: the same instance and reg-id is the same flow's binding. */
static struct location_binding *find_outbound_binding(struct location_record *r, struct slice instance,
						      int reg_id)
{
	if (!r || !instance.len || !reg_id)
		return NULL;
	LIST_FOREACH(&r->bindings, it) {
		struct location_binding *b = LIST_ENTRY(it, struct location_binding, link);
		if (b->reg_id == reg_id && b->instance && slice_eq(slice_from_cstr(b->instance), instance))
			return b;
	}
	return NULL;
}

static bool is_websocket(enum sip_transport_type t)
{
	return t == SIP_TRANSPORT_WS || t == SIP_TRANSPORT_WSS;
}

/* Does the binding die with its connection? */
static bool connection_bound(const struct location_binding *b)
{
	return b->conn && (is_websocket(b->transport) || (b->reg_id && b->instance));
}

static uint32_t flow_hash(const struct sip_conn *conn)
{
	uint64_t id = sip_conn_id(conn);
	return (uint32_t)(id ^ (id >> 32));
}

static void index_flow(struct location *l, struct location_binding *b)
{
	if (b->in_flows)
		hash_remove(&l->flows, &b->flow_link);
	b->in_flows = connection_bound(b);
	if (b->in_flows)
		hash_insert(&l->flows, &b->flow_link, flow_hash(b->conn));
}

size_t location_remove_flow(struct location *l, const struct sip_conn *conn)
{
	size_t removed = 0;
	struct list *bucket = hash_bucket(&l->flows, flow_hash(conn));
	LIST_FOREACH_SAFE(bucket, it, tmp) {
		struct location_binding *b = LIST_ENTRY(it, struct location_binding, flow_link.link);
		if (b->conn != conn)
			continue;
		struct location_record *r = b->record;
		log_info("registration of %s at %s removed: its connection closed", r->aor, b->contact);
		store_binding_del(l->store, r->aor, b->contact);
		binding_free(l, b);
		record_drop_if_empty(l, r);
		removed++;
	}
	return removed;
}

size_t location_binding_count(const struct location_record *r)
{
	return r ? list_count(&r->bindings) : 0;
}

size_t location_size(const struct location *l)
{
	return l->binding_count;
}

static void binding_expired(void *arg)
{
	struct location_binding *b = arg;
	struct location_record *r = b->record;
	struct location *l = r->owner;
	log_info("registration of %s at %s expired", r->aor, b->contact);
	store_binding_del(l->store, r->aor, b->contact);
	binding_free(l, b);
	record_drop_if_empty(l, r);
}

/* Keep the list ordered by q, highest first, newest first among equals. */
static void insert_sorted(struct location_record *r, struct location_binding *b)
{
	list_remove(&b->link);
	LIST_FOREACH(&r->bindings, it) {
		struct location_binding *other = LIST_ENTRY(it, struct location_binding, link);
		if (b->q >= other->q) {
			list_insert_after(it->prev, &b->link);
			return;
		}
	}
	list_append(&r->bindings, &b->link);
}

static void persist(struct location *l, struct location_binding *b)
{
	char source[NETADDR_STRLEN], local[NETADDR_STRLEN];
	struct store_binding sb = {
		.aor = b->record->aor,
		.contact = b->contact,
		.call_id = b->call_id,
		.cseq = b->cseq,
		.expires_at = b->expires_at,
		.q = b->q,
		.transport = sip_transport_name(b->transport),
		.source = netaddr_str(&b->source, source, sizeof(source)),
		.local = netaddr_str(&b->local, local, sizeof(local)),
		.instance = b->instance ? b->instance : "",
		.reg_id = b->reg_id,
		.path = b->path ? b->path : "",
		.user_agent = b->user_agent ? b->user_agent : "",
	};
	store_binding_put(l->store, &sb);
}

static char *dup_slice(struct slice s)
{
	return s.len ? strndup(s.p, s.len) : NULL;
}

static void replace(char **field, struct slice s)
{
	free(*field);
	*field = dup_slice(s);
}

int location_update(struct location *l, struct slice aor, const struct location_binding_update *u)
{
	struct location_record *r = location_find(l, aor);
	struct location_binding *b = location_find_binding(r, u->contact);
	if (!b && u->expires && (b = find_outbound_binding(r, u->instance, u->reg_id))) {
		/* the instance registers its flow again, maybe from a new contact */
		store_binding_del(l->store, r->aor, b->contact);
		char *contact = dup_slice(u->contact);
		if (!contact)
			return ENOMEM;
		free(b->contact);
		b->contact = contact;
	}
	if (u->expires == 0) {
		if (b) {
			store_binding_del(l->store, r->aor, b->contact);
			binding_free(l, b);
			record_drop_if_empty(l, r);
		}
		return 0;
	}
	if (!r && !(r = record_get(l, aor)))
		return ENOMEM;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b || !(b->contact = dup_slice(u->contact))) {
			free(b);
			record_drop_if_empty(l, r);
			return ENOMEM;
		}
		b->record = r;
		list_init(&b->link);
		l->binding_count++;
	}
	replace(&b->call_id, u->call_id);
	replace(&b->instance, u->instance);
	replace(&b->path, u->path);
	replace(&b->user_agent, u->user_agent);
	b->cseq = u->cseq;
	b->q = u->q;
	b->reg_id = u->reg_id;
	b->expires_at = loop_wall_time() + u->expires;
	if (u->src) {
		b->transport = u->src->transport;
		b->source = u->src->remote;
		b->local = u->src->local;
		if (b->conn != u->src->conn) {
			mem_deref(b->conn);
			b->conn = mem_ref(u->src->conn);
		}
		if (b->conn)
			sip_conn_keep_alive_for(b->conn, u->expires);
		index_flow(l, b);
	}
	insert_sorted(r, b);
	loop_timer_start(l->loop, &b->expiry, (uint64_t)u->expires * 1000, binding_expired, b);
	persist(l, b);
	return 0;
}

void location_remove(struct location *l, struct slice aor, struct slice contact)
{
	struct location_record *r = location_find(l, aor);
	if (!r)
		return;
	LIST_FOREACH_SAFE(&r->bindings, it, tmp) {
		struct location_binding *b = LIST_ENTRY(it, struct location_binding, link);
		if (contact.len && !slice_eq(slice_from_cstr(b->contact), contact))
			continue;
		store_binding_del(l->store, r->aor, b->contact);
		binding_free(l, b);
	}
	record_drop_if_empty(l, r);
}

static int parse_stored_addr(const char *text, struct netaddr *addr)
{
	const char *colon = strrchr(text, ':');
	if (!colon)
		return EINVAL;
	return netaddr_set(addr, slice_make(text, (size_t)(colon - text)), (uint16_t)atoi(colon + 1));
}

static void load_one(const struct store_binding *sb, void *arg)
{
	struct location *l = arg;
	int64_t left = sb->expires_at - loop_wall_time();
	struct sip_source src = { 0 };
	if (left <= 0)
		return;
	if (sip_transport_parse(slice_from_cstr(sb->transport), &src.transport) == 0 &&
	    is_websocket(src.transport)) {
		store_binding_del(l->store, sb->aor, sb->contact); /* its connection is gone */
		return;
	}
	if (sip_transport_parse(slice_from_cstr(sb->transport), &src.transport) ||
	    parse_stored_addr(sb->source, &src.remote)) {
		log_warn("stored binding %s -> %s has a bad source, skipped", sb->aor, sb->contact);
		return;
	}
	parse_stored_addr(sb->local, &src.local);
	struct location_binding_update u = {
		.contact = slice_from_cstr(sb->contact),
		.call_id = slice_from_cstr(sb->call_id),
		.cseq = sb->cseq,
		.expires = (uint32_t)left,
		.q = sb->q,
		.src = &src,
		.instance = slice_from_cstr(sb->instance),
		.reg_id = sb->reg_id,
		.path = slice_from_cstr(sb->path),
		.user_agent = slice_from_cstr(sb->user_agent),
	};
	location_update(l, slice_from_cstr(sb->aor), &u);
}

int location_load(struct location *l)
{
	int err = store_bindings_load(l->store, loop_wall_time(), load_one, l);
	if (!err)
		log_notice("restored %zu registrations", l->binding_count);
	return err;
}
