/*
 * session.c - offer, answer, delete and query over the media engine; the
 * model is described in ng_calls.h.
 *
 * Ownership: the table owns its struct ng_call objects (refcounted, one
 * reference, the table's); a call owns its struct media_call handle and
 * its tag strings. The call's destructor unlinks it, deletes the engine
 * call and drops what it owns. One struct sdp_session (330 kB) is
 * allocated with the table and reused for every request.
 *
 * The timeout sweep (see ng_calls.h) is one loop timer of the table,
 * started with it when there is a timeout and stopped with it; each run
 * reads every call's statistics (one synchronous engine command per call)
 * and drops the table's reference to those timed out.
 */
#include "session/session.h"

#include "core/hash.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mem.h"
#include "media/engine.h"
#include "session/profile.h"
#include "sdp/sdp.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { LEG_A, LEG_B, LEG_COUNT };

/* One relayed m= line: an endpoint facing each leg. */
struct ng_stream {
	bool used;
	unsigned endpoint[LEG_COUNT];
	struct media_endpoint_info info[LEG_COUNT];
	struct ng_webrtc_leg webrtc[LEG_COUNT]; /* DTLS or SDES of the endpoint facing each */
	char codec[NG_CODEC_NAME_MAX];          /* the last answer's first codec */
};

struct ng_call {
	struct hash_link link; /* in ng_calls.by_id */
	struct ng_calls *calls;
	char *call_id;         /* mem_strndup */
	char *tag[LEG_COUNT];  /* NULL until known */
	struct media_call *media;
	int64_t created;       /* Unix seconds */
	uint64_t last_signal_ms; /* loop time of the last offer, answer or touch */
	struct ng_stream streams[SDP_MAX_MEDIA]; /* by m= line index */
};

/* Bounds of the sweep interval, timeout / 2. */
#define SWEEP_MIN_MS 1000
#define SWEEP_MAX_MS 10000

struct ng_calls {
	struct media_engine *engine;
	struct loop *loop;
	uint32_t timeout_ms;       /* 0: no timeout, no sweep */
	uint32_t sweep_ms;
	struct loop_timer sweep;
	struct netaddr advertised; /* family 0: chosen per request */
	struct netaddr bind;
	struct hash by_id;
	struct sdp_session *sdp; /* scratch, one request at a time */
	/* scratch: what the SDP being printed says for each m= line */
	struct media_local_security local[SDP_MAX_MEDIA];
	char bundle_mids[SDP_MAX_MEDIA * NG_MID_MAX]; /* its a=group:BUNDLE value */
};

/* ------------------------------------------------------------ the table */

static bool id_match(const struct hash_link *link, const void *key)
{
	const struct ng_call *call = (const struct ng_call *)link;
	return slice_eq_cstr(*(const struct slice *)key, call->call_id);
}

static struct ng_call *call_find(struct ng_calls *calls, struct slice call_id)
{
	return (struct ng_call *)hash_lookup(&calls->by_id, slice_hash(call_id), id_match, &call_id);
}

static void call_destroy(void *obj)
{
	struct ng_call *call = obj;

	hash_remove(&call->calls->by_id, &call->link);
	if (call->media)
		media_call_delete(call->media);
	mem_deref(call->media);
	mem_deref(call->call_id);
	for (int leg = 0; leg < LEG_COUNT; leg++)
		mem_deref(call->tag[leg]);
}

static int call_create(struct ng_calls *calls, struct slice call_id, struct ng_call **callp)
{
	struct ng_call *call = mem_alloc(sizeof(*call), call_destroy);
	int err;

	if (!call)
		return ENOMEM;
	call->calls = calls;
	list_init(&call->link.link);
	call->call_id = mem_strndup(call_id.p, call_id.len);
	if (!call->call_id) {
		err = ENOMEM;
		goto out;
	}
	if ((err = media_call_create(calls->engine, call->call_id, &call->media)))
		goto out;
	call->created = (int64_t)time(NULL);
	call->last_signal_ms = calls->loop ? loop_now_ms(calls->loop) : 0;
	hash_insert(&calls->by_id, &call->link, slice_hash(call_id));
	*callp = call;
out:
	if (err)
		mem_deref(call);
	return err;
}

static int set_tag(struct ng_call *call, int leg, struct slice tag)
{
	char *copy = mem_strndup(tag.p, tag.len);
	if (!copy)
		return ENOMEM;
	mem_deref(call->tag[leg]);
	call->tag[leg] = copy;
	return 0;
}

static int leg_of(const struct ng_call *call, struct slice tag)
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
	struct ng_calls *calls = arg;
	struct media_call_stats *stats = malloc(sizeof(*stats));

	for (uint32_t b = 0; stats && b <= calls->by_id.mask; b++) {
		LIST_FOREACH_SAFE(&calls->by_id.buckets[b], it, tmp) {
			struct ng_call *call = LIST_ENTRY(it, struct ng_call, link.link);
			if (loop_now_ms(calls->loop) - call->last_signal_ms < calls->timeout_ms ||
			    media_call_stats(call->media, stats) || !stats->timed_out)
				continue;
			log_info("media: call %s: no media for %llu s, deleted", call->call_id,
				 (unsigned long long)(stats->idle_ms / 1000));
			mem_deref(call);
		}
	}
	free(stats);
	loop_timer_start(calls->loop, &calls->sweep, calls->sweep_ms, sweep, calls);
}

int ng_calls_create(struct ng_calls **callsp, struct media_engine *engine, struct loop *loop,
		    uint32_t timeout_ms, const struct netaddr *advertised,
		    const struct netaddr *bind)
{
	struct ng_calls *calls = calloc(1, sizeof(*calls));

	if (!calls)
		return ENOMEM;
	calls->engine = engine;
	calls->loop = loop;
	calls->advertised = *advertised;
	calls->bind = *bind;
	calls->sdp = malloc(sizeof(*calls->sdp));
	if (!calls->sdp || hash_init(&calls->by_id, 64)) {
		free(calls->sdp);
		free(calls);
		return ENOMEM;
	}
	if (timeout_ms) {
		calls->timeout_ms = timeout_ms;
		calls->sweep_ms = timeout_ms / 2;
		if (calls->sweep_ms > SWEEP_MAX_MS)
			calls->sweep_ms = SWEEP_MAX_MS;
		if (calls->sweep_ms < SWEEP_MIN_MS)
			calls->sweep_ms = SWEEP_MIN_MS;
		loop_timer_start(loop, &calls->sweep, calls->sweep_ms, sweep, calls);
	}
	*callsp = calls;
	return 0;
}

void ng_calls_destroy(struct ng_calls *calls)
{
	if (!calls)
		return;
	if (calls->timeout_ms)
		loop_timer_stop(calls->loop, &calls->sweep);
	for (uint32_t b = 0; b <= calls->by_id.mask; b++)
		LIST_FOREACH_SAFE(&calls->by_id.buckets[b], it, tmp)
			mem_deref(LIST_ENTRY(it, struct ng_call, link.link));
	hash_free(&calls->by_id);
	free(calls->sdp);
	free(calls);
}

/* ------------------------------------------------------------ addresses */

/* The local address the kernel picks towards toward, or else towards the
 * request's received-from (["IP4", "192.0.2.1"]); connect() on UDP sends
 * nothing. */
static int route_source(const struct ng_request *req, const struct netaddr *toward,
			struct netaddr *out)
{
	const struct bencode_node *family = bencode_first(req->received_from);
	const struct bencode_node *host = family ? family->next : NULL;
	struct netaddr peer;
	int fd, err = 0;

	if (toward)
		peer = *toward;
	else if (!host || netaddr_set(&peer, host->str, 9))
		return EINVAL;
	fd = socket(netaddr_family(&peer), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	out->len = sizeof(out->u.storage);
	if (connect(fd, &peer.u.sa, peer.len) || getsockname(fd, &out->u.sa, &out->len))
		err = errno;
	close(fd);
	return err;
}

/* Our address in family for a peer of the other family (a browser that
 * reached us over IPv6 while the relay binds IPv4): loopback for a
 * loopback peer, else the first interface address of that family that is
 * neither loopback nor link-local, else loopback. */
static void family_address(int family, const struct netaddr *peer, struct netaddr *out)
{
	const char *loopback = family == AF_INET6 ? "::1" : "127.0.0.1";
	struct ifaddrs *list = NULL;

	netaddr_set_cstr(out, loopback, 0);
	if (netaddr_is_loopback(peer) || getifaddrs(&list))
		return;
	for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
		struct netaddr a;
		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != family)
			continue;
		a.len = family == AF_INET6 ? sizeof(a.u.in6) : sizeof(a.u.in);
		memcpy(&a.u.storage, ifa->ifa_addr, a.len);
		if (!netaddr_is_loopback(&a) && !netaddr_is_any(&a) &&
		    !(family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a.u.in6.sin6_addr))) {
			*out = a;
			break;
		}
	}
	freeifaddrs(list);
}

static void advertised_for(const struct ng_calls *calls, const struct ng_request *req,
			   const struct netaddr *toward, struct netaddr *out)
{
	int family = netaddr_family(&calls->bind);

	if (netaddr_family(&calls->advertised))
		*out = calls->advertised;
	else if (!netaddr_is_any(&calls->bind))
		*out = calls->bind;
	else if (route_source(req, toward, out) || netaddr_is_any(out))
		netaddr_set_cstr(out, family == AF_INET6 ? "::1" : "127.0.0.1", 0);
	else if (family && netaddr_family(out) != family)
		family_address(family, toward ? toward : out, out);
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

static int stream_open(struct ng_call *call, struct ng_stream *st, int family)
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
static int streams_update(struct ng_call *call, const struct sdp_session *s, int from, bool open,
			  int family)
{
	int err;

	for (size_t i = 0; i < s->media_count; i++) {
		const struct sdp_media *m = &s->media[i];
		struct ng_stream *st = &call->streams[i];
		struct media_remote remote;
		bool hold;

		if (!sdp_proto_is_rtp(m->proto) || (m->port == 0 && !st->used))
			continue;
		if (!st->used && !open)
			continue;
		if (!st->used && (err = stream_open(call, st, family)))
			return err;
		media_remote_of(s, m, &remote, &hold);
		ng_webrtc_input(&st->webrtc[from], s, m, &remote, &hold);
		if ((err = media_endpoint_set_remote(call->media, st->endpoint[from], &remote)) ||
		    (err = media_endpoint_set_hold(call->media, st->endpoint[from], hold)) ||
		    (err = ng_webrtc_apply(call->media, st->endpoint[from], &st->webrtc[from])))
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

/* Make m= line i WebRTC, SDES or plain for leg `to`, as ng_webrtc.h says (*kind
 * tells which), and give the endpoint facing `to` its security. */
static int media_secure_output(struct ng_calls *calls, struct ng_call *call, int to, size_t i,
			       const char *host, const struct ng_request *req, bool offer,
			       enum ng_output *kind)
{
	struct sdp_media *m = &calls->sdp->media[i];
	struct ng_stream *st = &call->streams[i];
	int err;

	*kind = ng_webrtc_output(req, offer, &st->webrtc[to], m);
	if (*kind == NG_OUTPUT_PLAIN || *kind == NG_OUTPUT_WEBRTC)
		st->webrtc[to].have_ours = false; /* no key of ours printed to it now */
	if (*kind == NG_OUTPUT_PLAIN) {
		ng_webrtc_plain_media(m, &st->webrtc[to], req, offer);
	} else if (*kind == NG_OUTPUT_SDES) {
		if ((err = ng_webrtc_sdes_media(m, &st->webrtc[to], req, offer)))
			return err;
	} else if (*kind == NG_OUTPUT_WEBRTC) {
		err = media_endpoint_get_local_security(call->media, st->endpoint[to], &calls->local[i]);
		if (err)
			return err;
		ng_webrtc_media(m, i, &st->webrtc[to], req, offer, &calls->local[i], host,
				netaddr_port(&st->info[to].rtp), netaddr_port(&st->info[to].rtcp));
	}
	if (*kind != NG_OUTPUT_SDES)
		ng_webrtc_no_sdes(&st->webrtc[to]);
	return ng_webrtc_apply(call->media, st->endpoint[to], &st->webrtc[to]);
}

/* Point the SDP at the endpoints facing leg `to`, WebRTC or plain as the
 * request asks; host must outlive the printing. */
static int sdp_rewrite(struct ng_calls *calls, struct ng_call *call, int to,
		       const struct netaddr *addr, const char *host, const struct ng_request *req,
		       bool offer)
{
	struct sdp_session *s = calls->sdp;
	bool secure_touched = false, lite = false, webrtc_lines[SDP_MAX_MEDIA] = { false };
	int err;

	if (req->replace & NG_REPLACE_ORIGIN)
		connection_set(&s->origin.address, addr, host);
	if (s->connection.address.p)
		connection_set(&s->connection, addr, host);
	for (size_t i = 0; i < s->media_count; i++) {
		struct sdp_media *m = &s->media[i];
		const struct ng_stream *st = &call->streams[i];
		enum ng_output kind;

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
		if ((err = media_secure_output(calls, call, to, i, host, req, offer, &kind)))
			return err;
		secure_touched |= kind != NG_OUTPUT_KEEP;
		webrtc_lines[i] = kind == NG_OUTPUT_WEBRTC;
		lite |= webrtc_lines[i];
	}
	if (secure_touched)
		ng_webrtc_session(s, lite, webrtc_lines, calls->bundle_mids, sizeof(calls->bundle_mids));
	return 0;
}

/* ------------------------------------------------------------ commands */

static void reply_sdp(struct mbuf *out, const struct ng_message *msg, struct slice sdp)
{
	ng_reply_ok_begin(out, msg->cookie);
	bencode_put_str(out, "sdp");
	bencode_put_slice(out, sdp);
	bencode_dict_end(out);
}

/* Leg `from` sent the SDP: parse, update its endpoints, rewrite for the
 * other leg and print into sdp_out. */
static int handle_sdp(struct ng_calls *calls, struct ng_call *call, int from, bool offer,
		      const struct ng_request *req, const struct netaddr *toward,
		      struct mbuf *sdp_out, const char **reason)
{
	char host[NETADDR_STRLEN];
	struct netaddr addr;
	struct sdp_error perr;
	int err;

	if (sdp_parse(req->sdp.p, req->sdp.len, calls->sdp, &perr)) {
		log_info("media: call %s: SDP refused: %s (line %u)", call->call_id, perr.reason,
			 perr.line);
		*reason = "Failed to parse SDP";
		return EBADMSG;
	}
	advertised_for(calls, req, toward, &addr);
	netaddr_host_str(&addr, host, sizeof(host));
	if ((err = streams_update(call, calls->sdp, from, offer, netaddr_family(&addr))) ||
	    (err = sdp_rewrite(calls, call, !from, &addr, host, req, offer))) {
		log_warn("media: call %s: media relay: %s", call->call_id, strerror(err));
		*reason = err == ENOSPC ? "Ran out of ports" : "Failed to set up the media relay";
		return err;
	}
	if (calls->loop)
		call->last_signal_ms = loop_now_ms(calls->loop);
	for (size_t i = 0; !offer && i < calls->sdp->media_count; i++)
		if (call->streams[i].used && calls->sdp->media[i].codec_count)
			sdp_codec_name(&calls->sdp->media[i].codecs[0], call->streams[i].codec,
				       sizeof(call->streams[i].codec));
	sdp_print(sdp_out, calls->sdp);
	if (mbuf_failed(sdp_out)) {
		*reason = "Out of memory";
		return ENOMEM;
	}
	return 0;
}

static bool given(struct slice field)
{
	return field.p && field.len;
}

/* An offer: a new call, or an unknown from-tag on one (the caller's side
 * forked or changed) makes the sender leg A. */
static int sdp_offer(struct ng_calls *calls, const struct ng_request *req,
		     const struct netaddr *toward, struct mbuf *sdp_out, const char **reason)
{
	struct ng_call *call;
	bool created = false;
	int from, err;

	*reason = !given(req->call_id)    ? "No call-id in message"
		  : !given(req->from_tag) ? "No from-tag in message"
		  : !given(req->sdp)      ? "No SDP body in message"
					  : NULL;
	if (*reason)
		return EINVAL;
	call = call_find(calls, req->call_id);
	if (!call) {
		if ((err = call_create(calls, req->call_id, &call))) {
			*reason = "Failed to create the call";
			return err;
		}
		created = true;
	}
	from = leg_of(call, req->from_tag);
	if (from < 0) {
		from = LEG_A;
		if ((err = set_tag(call, LEG_A, req->from_tag))) {
			*reason = "Out of memory";
			goto fail;
		}
	}
	if (!(err = handle_sdp(calls, call, from, true, req, toward, sdp_out, reason))) {
		log_info("media: call %s: offer from %s", call->call_id, call->tag[from]);
		return 0;
	}
fail:
	if (created)
		mem_deref(call);
	return err;
}

/* An answer: the to-tag names the answerer: B the first time (or another
 * branch's answer, which replaces it); A when B sent the offer. */
static int sdp_answer(struct ng_calls *calls, const struct ng_request *req,
		      const struct netaddr *toward, struct mbuf *sdp_out, const char **reason)
{
	struct ng_call *call;
	int from, err;

	*reason = !given(req->call_id)  ? "No call-id in message"
		  : !given(req->to_tag) ? "No to-tag in message"
		  : !given(req->sdp)    ? "No SDP body in message"
					: NULL;
	if (*reason)
		return EINVAL;
	call = call_find(calls, req->call_id);
	if (!call) {
		*reason = "Unknown call-id";
		return ENOENT;
	}
	from = leg_of(call, req->to_tag);
	if (from < 0) {
		from = LEG_B;
		if ((err = set_tag(call, LEG_B, req->to_tag))) {
			*reason = "Out of memory";
			return err;
		}
	}
	if ((err = handle_sdp(calls, call, from, false, req, toward, sdp_out, reason)))
		return err;
	log_info("media: call %s: answer from %s", call->call_id, call->tag[from]);
	return 0;
}

int ng_calls_sdp(struct ng_calls *calls, const struct ng_request *req, bool offer,
		 const struct netaddr *toward, struct mbuf *sdp_out, const char **reason)
{
	return offer ? sdp_offer(calls, req, toward, sdp_out, reason)
		     : sdp_answer(calls, req, toward, sdp_out, reason);
}

static void reply_offer_answer(struct ng_calls *calls, const struct ng_message *msg,
			       const struct ng_request *req, bool offer, struct mbuf *out)
{
	const char *reason;
	struct mbuf sdp;

	mbuf_init(&sdp);
	if (ng_calls_sdp(calls, req, offer, NULL, &sdp, &reason))
		ng_reply_error(out, msg->cookie, reason);
	else
		reply_sdp(out, msg, mbuf_slice(&sdp));
	mbuf_free(&sdp);
}

void ng_calls_offer(struct ng_calls *calls, const struct ng_message *msg,
		    const struct ng_request *req, struct mbuf *out)
{
	reply_offer_answer(calls, msg, req, true, out);
}

void ng_calls_answer(struct ng_calls *calls, const struct ng_message *msg,
		     const struct ng_request *req, struct mbuf *out)
{
	reply_offer_answer(calls, msg, req, false, out);
}

bool ng_calls_has(struct ng_calls *calls, struct slice call_id)
{
	return call_find(calls, call_id) != NULL;
}

void ng_calls_remove(struct ng_calls *calls, struct slice call_id)
{
	struct ng_call *call = call_find(calls, call_id);

	if (call) {
		log_info("media: call %s: deleted", call->call_id);
		mem_deref(call);
	}
}

static void leg_quality(const struct ng_call *call, int leg, const struct ng_stream *st,
			const struct media_endpoint_stats *e, struct ng_leg_quality *q)
{
	q->tag = call->tag[leg];
	q->local_port = netaddr_port(&st->info[leg].rtp);
	q->remote[0] = '\0';
	if (e->remote_rtp.len)
		netaddr_str(&e->remote_rtp, q->remote, sizeof(q->remote));
	q->packets_received = e->packets_received;
	q->bytes_received = e->bytes_received;
	q->packets_sent = e->packets_sent;
	q->bytes_sent = e->bytes_sent;
	q->lost = e->lost;
	q->jitter_ms = e->jitter_ms;
	q->rtt_ms = e->rtt_ms;
	q->mos = e->mos;
	q->secure = e->srtp_ready;
}

int ng_calls_quality(struct ng_calls *calls, struct slice call_id, struct ng_call_quality *q)
{
	struct ng_call *call = call_find(calls, call_id);
	const struct ng_stream *st = NULL;
	struct media_call_stats *stats;
	int err;

	if (!call)
		return ENOENT;
	memset(q, 0, sizeof(*q));
	q->created = call->created;
	for (size_t i = 0; !st && i < SDP_MAX_MEDIA; i++)
		if (call->streams[i].used)
			st = &call->streams[i];
	if (!st)
		return 0;
	stats = malloc(sizeof(*stats));
	if (!stats)
		return ENOMEM;
	if (!(err = media_call_stats(call->media, stats))) {
		snprintf(q->codec, sizeof(q->codec), "%s", st->codec);
		q->idle_ms = stats->idle_ms;
		for (int leg = 0; leg < LEG_COUNT; leg++)
			if (st->endpoint[leg] < stats->endpoint_count)
				leg_quality(call, leg, st, &stats->endpoints[st->endpoint[leg]],
					    &q->leg[leg]);
	}
	free(stats);
	return err;
}

void ng_calls_delete(struct ng_calls *calls, const struct ng_message *msg,
		     const struct ng_request *req, struct mbuf *out)
{
	if (!given(req->call_id)) {
		ng_reply_error(out, msg->cookie, "No call-id in message");
		return;
	}
	if (!call_find(calls, req->call_id)) {
		ng_reply_error(out, msg->cookie, "Unknown call-id");
		return;
	}
	ng_calls_remove(calls, req->call_id);
	ng_reply_ok_begin(out, msg->cookie);
	bencode_dict_end(out);
}

static void put_int(struct mbuf *out, const char *key, int64_t v)
{
	bencode_put_str(out, key);
	bencode_put_int(out, v);
}

static void put_endpoint(struct mbuf *out, const struct ng_call *call, int leg, size_t index,
			 const struct ng_stream *st, const struct media_endpoint_stats *e)
{
	char remote[NETADDR_STRLEN] = "";

	if (e->remote_rtp.len)
		netaddr_str(&e->remote_rtp, remote, sizeof(remote));
	bencode_dict_begin(out);
	bencode_put_str(out, "leg");
	bencode_put_str(out, leg == LEG_A ? "A" : "B");
	bencode_put_str(out, "tag");
	bencode_put_str(out, call->tag[leg] ? call->tag[leg] : "");
	put_int(out, "index", (int64_t)index);
	put_int(out, "local port", netaddr_port(&st->info[leg].rtp));
	bencode_put_str(out, "remote");
	bencode_put_str(out, remote);
	put_int(out, "packets", (int64_t)e->packets_received);
	put_int(out, "bytes", (int64_t)e->bytes_received);
	put_int(out, "packets sent", (int64_t)e->packets_sent);
	put_int(out, "bytes sent", (int64_t)e->bytes_sent);
	put_int(out, "lost", e->lost);
	put_int(out, "jitter", (int64_t)(e->jitter_ms + 0.5));
	put_int(out, "RTT", (int64_t)(e->rtt_ms + 0.5));
	put_int(out, "MOS", (int64_t)(e->mos * 10 + 0.5));
	bencode_dict_end(out);
}

void ng_calls_query(struct ng_calls *calls, const struct ng_message *msg,
		    const struct ng_request *req, struct mbuf *out)
{
	struct media_call_stats *stats;
	struct ng_call *call;
	uint64_t packets = 0, bytes = 0, errors = 0;

	if (!given(req->call_id)) {
		ng_reply_error(out, msg->cookie, "No call-id in message");
		return;
	}
	call = call_find(calls, req->call_id);
	if (!call) {
		ng_reply_error(out, msg->cookie, "Unknown call-id");
		return;
	}
	stats = malloc(sizeof(*stats));
	if (!stats || media_call_stats(call->media, stats)) {
		ng_reply_error(out, msg->cookie, "Failed to read the statistics");
		goto out;
	}
	for (unsigned i = 0; i < stats->endpoint_count; i++) {
		packets += stats->endpoints[i].packets_received;
		bytes += stats->endpoints[i].bytes_received;
		errors += stats->endpoints[i].send_errors;
	}
	ng_reply_ok_begin(out, msg->cookie);
	put_int(out, "created", call->created);
	bencode_put_str(out, "totals");
	bencode_dict_begin(out);
	bencode_put_str(out, "RTP");
	bencode_dict_begin(out);
	put_int(out, "packets", (int64_t)packets);
	put_int(out, "bytes", (int64_t)bytes);
	put_int(out, "errors", (int64_t)errors);
	bencode_dict_end(out);
	bencode_dict_end(out);
	bencode_put_str(out, "streams");
	bencode_list_begin(out);
	for (size_t i = 0; i < SDP_MAX_MEDIA; i++) {
		const struct ng_stream *st = &call->streams[i];
		for (int leg = 0; st->used && leg < LEG_COUNT; leg++)
			if (st->endpoint[leg] < stats->endpoint_count)
				put_endpoint(out, call, leg, i, st, &stats->endpoints[st->endpoint[leg]]);
	}
	bencode_list_end(out);
	bencode_dict_end(out);
out:
	free(stats);
}
