/*
 * calls.c - live calls and their CDRs (the model is in calls.h).
 *
 * Each call is one allocation holding its strings, in a hash by Call-ID
 * and in a list in the order calls began (for printing). The table owns
 * its calls; call_end() writes the CDR, releases the media and frees the
 * call. A loop timer sweeps for answered calls whose relayed media
 * stopped for [media] timeout (the anchor's relay table has no timeout of
 * its own) or that outlived CALLS_MAX_SECONDS unanchored.
 */
#include "proxy/calls.h"

#include "core/hash.h"
#include "core/list.h"
#include "core/log.h"
#include "core/loop.h"
#include "proxy/anchor.h"
#include "session/session.h"
#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bounds of the sweep period (media timeout / 2). */
#define SWEEP_MIN_MS 1000
#define SWEEP_MAX_MS 5000

struct call {
	struct hash_link link; /* in calls.by_id */
	struct list order;     /* in calls.all */
	char *call_id, *caller, *callee, *caller_tag; /* into text */
	int64_t start_ms, answer_ms;
	bool anchored;
	char text[];
};

struct calls {
	struct loop *loop;
	struct store *store;
	struct anchor *anchor;
	struct hash by_id;
	struct list all;
	uint32_t media_timeout_ms; /* 0: none */
	uint32_t sweep_ms;
	struct loop_timer sweep;
};

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool id_match(const struct hash_link *link, const void *key)
{
	const struct call *c = (const struct call *)link;
	return slice_eq_cstr(*(const struct slice *)key, c->call_id);
}

static struct call *call_find(struct calls *calls, struct slice call_id)
{
	return (struct call *)hash_lookup(&calls->by_id, slice_hash(call_id), id_match, &call_id);
}

/* The relay's figures for the call's first stream (zeroes before it has
 * one), or NULL when the call's media is not relayed. */
static const struct session_stream_stats *relay_stats(struct calls *calls, const struct call *c,
						      struct session_stats *stats)
{
	static const struct session_stream_stats none;

	if (anchor_stats(calls->anchor, slice_from_cstr(c->call_id), stats))
		return NULL;
	return stats->stream_count ? &stats->streams[0] : &none;
}

static void leg_to_cdr(const struct session_leg_stats *l, struct store_cdr_leg *leg)
{
	leg->packets_received = (int64_t)l->media.packets_received;
	leg->packets_sent = (int64_t)l->media.packets_sent;
	leg->lost = l->media.lost;
	leg->jitter_ms = l->media.jitter_ms;
	leg->rtt_ms = l->media.rtt_ms;
	leg->mos = l->media.mos;
}

/* Which of the relay's legs faces the caller: the one with its tag (the
 * first offerer is the callee after a late offer). */
static int caller_leg_index(const struct call *c, const struct session_stream_stats *st)
{
	return st->leg[1].tag && !strcmp(st->leg[1].tag, c->caller_tag) ? 1 : 0;
}

static void call_end(struct calls *calls, struct call *c, const char *disposition, int status,
		     const char *ended_by)
{
	const struct session_stream_stats *st;
	struct session_stats stats;
	struct store_cdr cdr = {
		.call_id = c->call_id,
		.caller = c->caller,
		.callee = c->callee,
		.start_ms = c->start_ms,
		.answer_ms = c->answer_ms,
		.end_ms = wall_ms(),
		.disposition = disposition,
		.status = status,
		.ended_by = ended_by,
		.anchored = false,
		.codec = "",
	};

	if ((st = relay_stats(calls, c, &stats))) {
		int caller = caller_leg_index(c, st);
		cdr.anchored = true;
		cdr.codec = st->codec;
		leg_to_cdr(&st->leg[caller], &cdr.caller_leg);
		leg_to_cdr(&st->leg[!caller], &cdr.callee_leg);
	}
	log_info("call %s: %s (%d) after %" PRId64 " s, ended by %s", c->call_id, disposition,
		 status, (cdr.end_ms - c->start_ms) / 1000, ended_by[0] ? ended_by : "-");
	if (store_cdr_put(calls->store, &cdr))
		log_warn("call %s: CDR lost: out of memory", c->call_id);
	anchor_end(calls->anchor, slice_from_cstr(c->call_id));
	hash_remove(&calls->by_id, &c->link);
	list_remove(&c->order);
	free(c);
}

/* An answered anchored call whose relay saw no packet for the timeout,
 * counted from the answer at the earliest (a call may ring without
 * media for longer). */
static bool media_stopped(struct calls *calls, const struct call *c, int64_t now)
{
	struct session_stats stats;

	return calls->media_timeout_ms && now - c->answer_ms >= (int64_t)calls->media_timeout_ms &&
	       relay_stats(calls, c, &stats) && stats.stream_count &&
	       stats.idle_ms >= calls->media_timeout_ms;
}

static void sweep(void *arg)
{
	struct calls *calls = arg;
	int64_t now = wall_ms();

	LIST_FOREACH_SAFE(&calls->all, it, tmp) {
		struct call *c = LIST_ENTRY(it, struct call, order);
		if (!c->answer_ms)
			continue; /* ringing: Timer C ends it, media or not */
		if (c->anchored && media_stopped(calls, c, now))
			call_end(calls, c, "answered", 200, "no media");
		else if (!c->anchored && now - c->start_ms > (int64_t)CALLS_MAX_SECONDS * 1000)
			call_end(calls, c, "answered", 200, "timeout");
	}
	loop_timer_start(calls->loop, &calls->sweep, calls->sweep_ms, sweep, calls);
}

int calls_create(struct calls **callsp, struct loop *loop, struct store *store,
		 struct anchor *anchor, uint32_t media_timeout_ms)
{
	struct calls *calls = calloc(1, sizeof(*calls));

	if (!calls || hash_init(&calls->by_id, 64)) {
		free(calls);
		return ENOMEM;
	}
	calls->loop = loop;
	calls->store = store;
	calls->anchor = anchor;
	calls->media_timeout_ms = media_timeout_ms;
	calls->sweep_ms = media_timeout_ms / 2;
	if (calls->sweep_ms < SWEEP_MIN_MS)
		calls->sweep_ms = SWEEP_MIN_MS;
	if (calls->sweep_ms > SWEEP_MAX_MS)
		calls->sweep_ms = SWEEP_MAX_MS;
	list_init(&calls->all);
	loop_timer_start(loop, &calls->sweep, calls->sweep_ms, sweep, calls);
	*callsp = calls;
	return 0;
}

void calls_destroy(struct calls *calls)
{
	if (!calls)
		return;
	loop_timer_stop(calls->loop, &calls->sweep);
	LIST_FOREACH_SAFE(&calls->all, it, tmp) {
		struct call *c = LIST_ENTRY(it, struct call, order);
		call_end(calls, c, c->answer_ms ? "answered" : "failed", c->answer_ms ? 200 : 503,
			 "shutdown");
	}
	hash_free(&calls->by_id);
	free(calls);
}

/* The URI of a From or To value, without its parameters. */
static struct slice party(const struct sip_addr *addr)
{
	return addr->uri.raw;
}

/* Copy text to *cursor as a C string (the call's zeroed text has room). */
static char *text_put(char **cursor, struct slice text)
{
	char *start = *cursor;
	if (text.len)
		memcpy(start, text.p, text.len);
	*cursor = start + text.len + 1;
	return start;
}

void calls_invite(struct calls *calls, const struct sip_msg *req)
{
	struct slice id = req->call_id, caller = party(&req->from), callee = party(&req->to),
		     tag = req->from.tag;
	struct call *c = call_find(calls, id);
	char *cursor;

	if (c) { /* a retry (credentials, a 3xx followed): the call starts over */
		hash_remove(&calls->by_id, &c->link);
		list_remove(&c->order);
		free(c);
	}
	c = calloc(1, sizeof(*c) + id.len + caller.len + callee.len + tag.len + 4);
	if (!c) {
		log_warn("call %.*s: not tracked: out of memory", SLICE_FMT(id));
		return;
	}
	cursor = c->text;
	c->call_id = text_put(&cursor, id);
	c->caller = text_put(&cursor, caller);
	c->callee = text_put(&cursor, callee);
	c->caller_tag = text_put(&cursor, tag);
	c->start_ms = wall_ms();
	hash_insert(&calls->by_id, &c->link, slice_hash(id));
	list_append(&calls->all, &c->order);
}

void calls_answered(struct calls *calls, const struct sip_msg *resp)
{
	struct call *c = call_find(calls, resp->call_id);

	if (!c || c->answer_ms)
		return;
	c->answer_ms = wall_ms();
	c->anchored = anchor_active(calls->anchor, resp->call_id);
}

static const char *disposition_of(uint16_t status)
{
	switch (status) {
	case 486:
	case 600:
		return "busy";
	case 487:
		return "cancelled";
	case 408:
	case 480:
		return "no answer";
	case 603:
		return "declined";
	default:
		return "failed";
	}
}

void calls_failed(struct calls *calls, struct slice call_id, uint16_t status)
{
	struct call *c = call_find(calls, call_id);

	if (c && !c->answer_ms)
		call_end(calls, c, disposition_of(status), status, "");
}

void calls_bye(struct calls *calls, const struct sip_msg *bye)
{
	struct call *c = call_find(calls, bye->call_id);

	if (c)
		call_end(calls, c, c->answer_ms ? "answered" : "failed", c->answer_ms ? 200 : 0,
			 slice_eq_cstr(bye->from.tag, c->caller_tag) ? "caller" : "callee");
	else /* a dialog this process does not know (began before a restart) */
		anchor_end(calls->anchor, bye->call_id);
}

/* ------------------------------------------------------------ printing */

static void print_leg(struct mbuf *out, const char *name, const struct session_leg_stats *l)
{
	const struct media_endpoint_stats *e = &l->media;
	char remote[NETADDR_STRLEN] = "(not yet)";

	if (e->remote_rtp.len)
		netaddr_str(&e->remote_rtp, remote, sizeof(remote));
	mbuf_printf(out,
		    "    %-6s relay port %u <-> %s  in %" PRIu64 " pkts  out %" PRIu64
		    " pkts  lost %" PRId64 "  jitter %.1f ms  RTT %.1f ms  MOS %.1f%s\n",
		    name, (unsigned)l->local_port, remote, e->packets_received, e->packets_sent,
		    e->lost, e->jitter_ms, e->rtt_ms, e->mos, e->srtp_ready ? "  SRTP" : "");
}

void calls_print(struct calls *calls, struct mbuf *out)
{
	int64_t now = wall_ms();

	mbuf_printf(out, "%zu call%s\n", list_count(&calls->all),
		    list_count(&calls->all) == 1 ? "" : "s");
	LIST_FOREACH(&calls->all, it) {
		const struct call *c = LIST_ENTRY(it, struct call, order);
		const struct session_stream_stats *st;
		struct session_stats stats;

		mbuf_printf(out, "%s  %s -> %s  ", c->call_id, c->caller, c->callee);
		if (c->answer_ms)
			mbuf_printf(out, "answered %" PRId64 " s ago (rang %" PRId64 " s)\n",
				    (now - c->answer_ms) / 1000, (c->answer_ms - c->start_ms) / 1000);
		else
			mbuf_printf(out, "ringing for %" PRId64 " s\n", (now - c->start_ms) / 1000);
		if (!(st = relay_stats(calls, c, &stats))) {
			mbuf_append_str(out, "    media direct (not relayed)\n");
			continue;
		}
		int caller = caller_leg_index(c, st);
		mbuf_printf(out, "    media relayed, codec %s, idle %" PRIu64 " ms\n",
			    st->codec[0] ? st->codec : "(not yet)",
			    stats.stream_count ? stats.idle_ms : 0);
		print_leg(out, "caller", &st->leg[caller]);
		print_leg(out, "callee", &st->leg[!caller]);
	}
}
