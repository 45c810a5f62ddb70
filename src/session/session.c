/*
 * session.c - calls, legs and streams over the media engine; the model is
 * described in session.h, the per-leg transport profiles in profile.h.
 *
 * Ownership: the table owns its struct session_call objects (refcounted,
 * one reference, the table's); a call owns its struct media_call handle
 * and its tag strings. The call's destructor unlinks it, deletes the
 * engine call and drops what it owns.
 *
 * The timeout sweep (see session.h) is one loop timer of the table,
 * started with it when there is a timeout and stopped with it; each run
 * reads every call's statistics (one synchronous engine command per call)
 * and drops the table's reference to those timed out.
 */
#include "session/session.h"

#include "core/hash.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mem.h"
#include "core/route.h"
#include "session/profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { LEG_A = SESSION_LEG_A, LEG_B = SESSION_LEG_B, LEG_COUNT = SESSION_LEG_COUNT };

/* One relayed m= line: an endpoint facing each leg. */
struct session_stream {
	bool used;
	unsigned endpoint[LEG_COUNT];
	struct media_endpoint_info info[LEG_COUNT];
	struct profile_leg profile[LEG_COUNT]; /* DTLS or SDES of the endpoint facing each */
	char codec[SESSION_CODEC_NAME_MAX];    /* the last answer's first codec */
};

struct session_call {
	struct hash_link link; /* in session_table.by_id */
	struct session_table *table;
	char *call_id;           /* mem_strndup */
	char *tag[LEG_COUNT];    /* NULL until known */
	struct media_call *media;
	int64_t created;         /* Unix seconds */
	uint64_t last_signal_ms; /* loop time of the last offer or answer */
	struct session_stream streams[SDP_MAX_MEDIA]; /* by m= line index */
};

/* Bounds of the sweep interval, timeout / 2. */
#define SWEEP_MIN_MS 1000
#define SWEEP_MAX_MS 10000

struct session_table {
	struct session_settings settings;
	uint32_t sweep_ms;
	struct loop_timer sweep;
	struct hash by_id;
	struct route_cache routes;
	struct sdp_session *sdp; /* session_sdp_text()'s, one request at a time (330 kB) */
	/* scratch for the SDP being rewritten: its advertised host, what it
	 * says for each m= line, its a=group:BUNDLE value */
	char host[NETADDR_STRLEN];
	struct media_local_security local[SDP_MAX_MEDIA];
	char bundle_mids[SDP_MAX_MEDIA * PROFILE_MID_MAX];
};

/* ------------------------------------------------------------ the table */

static bool id_match(const struct hash_link *link, const void *key)
{
	const struct session_call *call = (const struct session_call *)link;
	return slice_eq_cstr(*(const struct slice *)key, call->call_id);
}

static struct session_call *call_find(struct session_table *table, struct slice call_id)
{
	return (struct session_call *)hash_lookup(&table->by_id, slice_hash(call_id), id_match,
						  &call_id);
}

static uint64_t now_ms(const struct session_table *table)
{
	return table->settings.loop ? loop_now_ms(table->settings.loop) : 0;
}

static void call_destroy(void *obj)
{
	struct session_call *call = obj;

	hash_remove(&call->table->by_id, &call->link);
	if (call->media)
		media_call_delete(call->media);
	mem_deref(call->media);
	mem_deref(call->call_id);
	for (int leg = 0; leg < LEG_COUNT; leg++)
		mem_deref(call->tag[leg]);
}

static int call_create(struct session_table *table, struct slice call_id,
		       struct session_call **callp)
{
	struct session_call *call = mem_alloc(sizeof(*call), call_destroy);
	int err;

	if (!call)
		return ENOMEM;
	call->table = table;
	list_init(&call->link.link);
	call->call_id = mem_strndup(call_id.p, call_id.len);
	if (!call->call_id) {
		err = ENOMEM;
		goto out;
	}
	if ((err = media_call_create(table->settings.engine, call->call_id, &call->media)))
		goto out;
	call->created = (int64_t)time(NULL);
	call->last_signal_ms = now_ms(table);
	hash_insert(&table->by_id, &call->link, slice_hash(call_id));
	*callp = call;
out:
	if (err)
		mem_deref(call);
	return err;
}

static int set_tag(struct session_call *call, int leg, struct slice tag)
{
	char *copy = mem_strndup(tag.p, tag.len);
	if (!copy)
		return ENOMEM;
	mem_deref(call->tag[leg]);
	call->tag[leg] = copy;
	return 0;
}

static int leg_of(const struct session_call *call, struct slice tag)
{
	for (int leg = 0; leg < LEG_COUNT; leg++)
		if (call->tag[leg] && slice_eq_cstr(tag, call->tag[leg]))
			return leg;
	return -1;
}

/* Delete the calls the engine reports timed out and that had no signalling
 * for as long, and run again. A call whose statistics cannot be read now
 * (ETIMEDOUT) waits for the next run. */
static void sweep(void *arg)
{
	struct session_table *table = arg;
	struct media_call_stats *stats = malloc(sizeof(*stats));
	uint32_t timeout_ms = table->settings.timeout_ms;

	for (uint32_t b = 0; stats && b <= table->by_id.mask; b++) {
		LIST_FOREACH_SAFE(&table->by_id.buckets[b], it, tmp) {
			struct session_call *call = LIST_ENTRY(it, struct session_call, link.link);
			if (now_ms(table) - call->last_signal_ms < timeout_ms ||
			    media_call_stats(call->media, stats) || !stats->timed_out)
				continue;
			log_info("media: call %s: no media for %llu s, deleted", call->call_id,
				 (unsigned long long)(stats->idle_ms / 1000));
			mem_deref(call);
		}
	}
	free(stats);
	loop_timer_start(table->settings.loop, &table->sweep, table->sweep_ms, sweep, table);
}

int session_table_create(struct session_table **tablep, const struct session_settings *settings)
{
	struct session_table *table = calloc(1, sizeof(*table));

	if (!table)
		return ENOMEM;
	table->settings = *settings;
	table->sdp = malloc(sizeof(*table->sdp));
	if (!table->sdp || hash_init(&table->by_id, 64)) {
		free(table->sdp);
		free(table);
		return ENOMEM;
	}
	if (settings->timeout_ms) {
		table->sweep_ms = settings->timeout_ms / 2;
		if (table->sweep_ms > SWEEP_MAX_MS)
			table->sweep_ms = SWEEP_MAX_MS;
		if (table->sweep_ms < SWEEP_MIN_MS)
			table->sweep_ms = SWEEP_MIN_MS;
		loop_timer_start(settings->loop, &table->sweep, table->sweep_ms, sweep, table);
	}
	*tablep = table;
	return 0;
}

void session_table_destroy(struct session_table *table)
{
	if (!table)
		return;
	if (table->settings.timeout_ms)
		loop_timer_stop(table->settings.loop, &table->sweep);
	for (uint32_t b = 0; b <= table->by_id.mask; b++)
		LIST_FOREACH_SAFE(&table->by_id.buckets[b], it, tmp)
			mem_deref(LIST_ENTRY(it, struct session_call, link.link));
	hash_free(&table->by_id);
	free(table->sdp);
	free(table);
}

/* ------------------------------------------------------------ addresses */

static void advertised_for(struct session_table *table, const struct netaddr *toward,
			   struct netaddr *out)
{
	const struct session_settings *s = &table->settings;
	int family = netaddr_family(&s->bind);

	if (netaddr_family(&s->advertised))
		*out = s->advertised;
	else if (!netaddr_is_any(&s->bind))
		*out = s->bind;
	else if (!toward || route_source(&table->routes, now_ms(table), toward, out) ||
		 netaddr_is_any(out))
		netaddr_set_cstr(out, family == AF_INET6 ? "::1" : "127.0.0.1", 0);
	else if (family && netaddr_family(out) != family)
		route_family_address(family, toward, out);
}

/* The RTP destination an m= line names, or family 0 when it names none
 * that can be sent to (port 0, c=0.0.0.0 for hold, a host name). */
static void media_remote_of(const struct sdp_session *s, const struct sdp_media *m,
			    struct media_remote *r, bool *hold)
{
	const struct sdp_connection *c = m->connection.address.p ? &m->connection : &s->connection;
	struct netaddr addr;

	memset(r, 0, sizeof(*r));
	enum sdp_direction dir = sdp_media_direction(s, m);
	*hold = dir == SDP_DIRECTION_SENDONLY || dir == SDP_DIRECTION_INACTIVE;
	if (!c->address.p || m->port == 0 || netaddr_set(&addr, c->address, m->port))
		return;
	if (netaddr_is_any(&addr)) {
		*hold = true;
		return;
	}
	r->rtp = addr;
	if (m->has_rtcp) {
		struct slice host = m->rtcp_connection.address.p ? m->rtcp_connection.address : c->address;
		if (netaddr_set(&r->rtcp, host, m->rtcp_port))
			memset(&r->rtcp, 0, sizeof(r->rtcp));
	}
	r->rtcp_mux = m->rtcp_mux;
	r->clock_rate = m->codec_count ? m->codecs[0].clock_rate : 0;
}

/* ------------------------------------------------------------ streams */

static int stream_open(struct session_call *call, struct session_stream *st, int family)
{
	int err;

	for (int leg = 0; leg < LEG_COUNT; leg++) {
		if ((err = media_endpoint_create(call->media, family, &st->info[leg])))
			return err;
		st->endpoint[leg] = st->info[leg].id;
	}
	if ((err = media_endpoints_bridge(call->media, st->endpoint[LEG_A], st->endpoint[LEG_B])))
		return err;
	st->used = true;
	return 0;
}

/* The SDP of leg `from` sets where its endpoints send; an offer opens
 * the streams that are not there yet. */
static int streams_update(struct session_call *call, const struct sdp_session *s, int from,
			  bool open, int family)
{
	int err;

	for (size_t i = 0; i < s->media_count; i++) {
		const struct sdp_media *m = &s->media[i];
		struct session_stream *st = &call->streams[i];
		struct media_remote remote;
		bool hold;

		if (!sdp_proto_is_rtp(m->proto) || (m->port == 0 && !st->used))
			continue;
		if (!st->used && !open)
			continue;
		if (!st->used && (err = stream_open(call, st, family)))
			return err;
		media_remote_of(s, m, &remote, &hold);
		profile_input(&st->profile[from], s, m, &remote, &hold);
		if ((err = media_endpoint_set_remote(call->media, st->endpoint[from], &remote)) ||
		    (err = media_endpoint_set_hold(call->media, st->endpoint[from], hold)) ||
		    (err = profile_apply(call->media, st->endpoint[from], &st->profile[from])))
			return err;
	}
	return 0;
}

/* ------------------------------------------------------------ rewriting */

static void connection_set(struct sdp_connection *c, const struct netaddr *addr, const char *host)
{
	c->nettype = SLICE_LIT("IN");
	c->addrtype = netaddr_family(addr) == AF_INET6 ? SLICE_LIT("IP6") : SLICE_LIT("IP4");
	c->address = slice_from_cstr(host);
}

/* Make m= line i WebRTC, SDES or plain for leg `to`, as profile.h says
 * (*kind tells which), and give the endpoint facing `to` its security. */
static int media_secure_output(struct session_table *table, struct session_call *call, int to,
			       struct sdp_media *m, size_t i, const struct session_output *out,
			       bool offer, enum profile_kind *kind)
{
	struct session_stream *st = &call->streams[i];
	struct profile_leg *leg = &st->profile[to];
	int err;

	*kind = profile_output(out, offer, leg, m);
	if (*kind == PROFILE_PLAIN || *kind == PROFILE_WEBRTC)
		leg->have_ours = false; /* no key of ours printed to it now */
	if (*kind == PROFILE_PLAIN) {
		profile_plain_media(m, leg, out, offer);
	} else if (*kind == PROFILE_SDES) {
		if ((err = profile_sdes_media(m, leg, out, offer)))
			return err;
	} else if (*kind == PROFILE_WEBRTC) {
		err = media_endpoint_get_local_security(call->media, st->endpoint[to], &table->local[i]);
		if (err)
			return err;
		profile_media(m, i, leg, out, offer, &table->local[i], table->host,
			      netaddr_port(&st->info[to].rtp), netaddr_port(&st->info[to].rtcp));
	}
	if (*kind != PROFILE_SDES)
		profile_no_sdes(leg);
	return profile_apply(call->media, st->endpoint[to], leg);
}

/* Point the SDP at the endpoints facing leg `to` (at addr, whose text is
 * table->host), WebRTC, SDES or plain as out asks. */
static int sdp_rewrite(struct session_table *table, struct session_call *call, int to,
		       struct sdp_session *s, const struct netaddr *addr,
		       const struct session_output *out, bool offer)
{
	bool secure_touched = false, lite = false, webrtc_lines[SDP_MAX_MEDIA] = { false };
	const char *host = table->host;
	int err;

	if (out->replace & SESSION_REPLACE_ORIGIN)
		connection_set(&s->origin.address, addr, host);
	if (s->connection.address.p)
		connection_set(&s->connection, addr, host);
	for (size_t i = 0; i < s->media_count; i++) {
		struct sdp_media *m = &s->media[i];
		const struct session_stream *st = &call->streams[i];
		enum profile_kind kind;

		if (!st->used || !sdp_proto_is_rtp(m->proto) || m->port == 0)
			continue;
		if (m->connection.address.p || !s->connection.address.p)
			connection_set(&m->connection, addr, host);
		m->port = netaddr_port(&st->info[to].rtp);
		if (m->has_rtcp) {
			m->rtcp_port = netaddr_port(&st->info[to].rtcp);
			if (m->rtcp_connection.address.p)
				connection_set(&m->rtcp_connection, addr, host);
		}
		if ((err = media_secure_output(table, call, to, m, i, out, offer, &kind)))
			return err;
		secure_touched |= kind != PROFILE_KEEP;
		webrtc_lines[i] = kind == PROFILE_WEBRTC;
		lite |= webrtc_lines[i];
	}
	if (secure_touched)
		profile_session(s, lite, webrtc_lines, table->bundle_mids, sizeof(table->bundle_mids));
	return 0;
}

/* ------------------------------------------------------------ offer, answer */

/* Leg `from` sent sdp: update its endpoints, rewrite for the other leg. */
static int handle_sdp(struct session_table *table, struct session_call *call, int from,
		      bool offer, const struct session_request *req, struct sdp_session *sdp,
		      const char **reason)
{
	struct netaddr addr;
	int err;

	advertised_for(table, req->toward, &addr);
	netaddr_host_str(&addr, table->host, sizeof(table->host));
	if ((err = streams_update(call, sdp, from, offer, netaddr_family(&addr))) ||
	    (err = sdp_rewrite(table, call, !from, sdp, &addr, &req->output, offer))) {
		log_warn("media: call %s: media relay: %s", call->call_id, strerror(err));
		*reason = err == ENOSPC ? "Ran out of ports" : "Failed to set up the media relay";
		return err;
	}
	call->last_signal_ms = now_ms(table);
	for (size_t i = 0; !offer && i < sdp->media_count; i++)
		if (call->streams[i].used && sdp->media[i].codec_count)
			sdp_codec_name(&sdp->media[i].codecs[0], call->streams[i].codec,
				       sizeof(call->streams[i].codec));
	return 0;
}

static bool given(struct slice field)
{
	return field.p && field.len;
}

int session_offer(struct session_table *table, const struct session_request *req,
		  struct sdp_session *sdp, const char **reason)
{
	struct session_call *call;
	bool created = false;
	int from, err;

	*reason = !given(req->call_id) ? "No call-id in message"
		  : !given(req->tag)   ? "No from-tag in message"
				       : NULL;
	if (*reason)
		return EINVAL;
	call = call_find(table, req->call_id);
	if (!call) {
		if ((err = call_create(table, req->call_id, &call))) {
			*reason = "Failed to create the call";
			return err;
		}
		created = true;
	}
	from = leg_of(call, req->tag);
	if (from < 0) {
		from = LEG_A;
		if ((err = set_tag(call, LEG_A, req->tag))) {
			*reason = "Out of memory";
			goto fail;
		}
	}
	if (!(err = handle_sdp(table, call, from, true, req, sdp, reason))) {
		log_info("media: call %s: offer from %s", call->call_id, call->tag[from]);
		return 0;
	}
fail:
	if (created)
		mem_deref(call);
	return err;
}

int session_answer(struct session_table *table, const struct session_request *req,
		   struct sdp_session *sdp, const char **reason)
{
	struct session_call *call;
	int from, err;

	*reason = !given(req->call_id) ? "No call-id in message"
		  : !given(req->tag)   ? "No to-tag in message"
				       : NULL;
	if (*reason)
		return EINVAL;
	call = call_find(table, req->call_id);
	if (!call) {
		*reason = "Unknown call-id";
		return ENOENT;
	}
	from = leg_of(call, req->tag);
	if (from < 0) {
		from = LEG_B;
		if ((err = set_tag(call, LEG_B, req->tag))) {
			*reason = "Out of memory";
			return err;
		}
	}
	if ((err = handle_sdp(table, call, from, false, req, sdp, reason)))
		return err;
	log_info("media: call %s: answer from %s", call->call_id, call->tag[from]);
	return 0;
}

int session_sdp_text(struct session_table *table, const struct session_request *req, bool offer,
		     struct slice text, struct mbuf *out, const char **reason)
{
	struct sdp_error perr;
	int err;

	if (sdp_parse(text.p, text.len, table->sdp, &perr)) {
		log_info("media: call %.*s: SDP refused: %s (line %u)", SLICE_FMT(req->call_id),
			 perr.reason, perr.line);
		*reason = "Failed to parse SDP";
		return EBADMSG;
	}
	err = offer ? session_offer(table, req, table->sdp, reason)
		    : session_answer(table, req, table->sdp, reason);
	if (err)
		return err;
	sdp_print(out, table->sdp);
	if (mbuf_failed(out)) {
		*reason = "Out of memory";
		return ENOMEM;
	}
	return 0;
}

/* ------------------------------------------------------------ the rest */

bool session_exists(struct session_table *table, struct slice call_id)
{
	return call_find(table, call_id) != NULL;
}

int session_delete(struct session_table *table, struct slice call_id)
{
	struct session_call *call = call_find(table, call_id);

	if (!call)
		return ENOENT;
	log_info("media: call %s: deleted", call->call_id);
	mem_deref(call);
	return 0;
}

int session_hold(struct session_table *table, struct slice call_id, struct slice tag, bool hold)
{
	struct session_call *call = call_find(table, call_id);
	int leg = call ? leg_of(call, tag) : -1;
	int err;

	if (leg < 0)
		return ENOENT;
	for (size_t i = 0; i < SDP_MAX_MEDIA; i++)
		if (call->streams[i].used &&
		    (err = media_endpoint_set_hold(call->media, call->streams[i].endpoint[leg], hold)))
			return err;
	log_info("media: call %s: %s %s", call->call_id, hold ? "hold towards" : "resume towards",
		 call->tag[leg]);
	return 0;
}

int session_stats(struct session_table *table, struct slice call_id, struct session_stats *out)
{
	struct session_call *call = call_find(table, call_id);
	struct media_call_stats *stats;
	int err;

	if (!call)
		return ENOENT;
	stats = malloc(sizeof(*stats));
	if (!stats)
		return ENOMEM;
	if ((err = media_call_stats(call->media, stats)))
		goto out;
	out->created = call->created;
	out->idle_ms = stats->idle_ms;
	out->stream_count = 0;
	for (size_t i = 0; i < SDP_MAX_MEDIA; i++) {
		const struct session_stream *st = &call->streams[i];
		struct session_stream_stats *o = &out->streams[out->stream_count];
		if (!st->used)
			continue;
		memset(o, 0, sizeof(*o));
		o->index = (unsigned)i;
		snprintf(o->codec, sizeof(o->codec), "%s", st->codec);
		for (int leg = 0; leg < LEG_COUNT; leg++) {
			o->leg[leg].tag = call->tag[leg];
			o->leg[leg].local_port = netaddr_port(&st->info[leg].rtp);
			if (st->endpoint[leg] < stats->endpoint_count)
				o->leg[leg].media = stats->endpoints[st->endpoint[leg]];
		}
		out->stream_count++;
	}
out:
	free(stats);
	return err;
}
