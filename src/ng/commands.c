/*
 * commands.c - offer, answer, delete and query: bencode in, the call
 * model's typed API, bencode out. See ng/commands.h.
 */
#include "ng/commands.h"

#include "session/session.h"

#include <errno.h>
#include <stdlib.h>

static bool given(struct slice field)
{
	return field.p && field.len;
}

/* The SIP peer the SDP goes to: received-from's address, port 9 (any). */
static bool received_from(const struct ng_request *req, struct netaddr *out)
{
	const struct bencode_node *family = bencode_first(req->received_from);
	const struct bencode_node *host = family ? family->next : NULL;

	return host && netaddr_set(out, host->str, 9) == 0;
}

void ng_command_offer_answer(struct session_table *table, const struct ng_message *msg,
			     const struct ng_request *req, bool offer, struct mbuf *out)
{
	struct session_request sreq = {
		.call_id = req->call_id,
		.tag = offer ? req->from_tag : req->to_tag,
		.output = req->output,
	};
	const char *reason = !given(req->call_id) ? "No call-id in message"
			     : !given(sreq.tag)   ? (offer ? "No from-tag in message"
							   : "No to-tag in message")
			     : !given(req->sdp)   ? "No SDP body in message"
						  : NULL;
	struct netaddr toward;
	struct mbuf text;

	/* rtpengine's order: an answer for an unknown call says so before
	 * its SDP is looked at */
	if (!reason && !offer && !session_exists(table, req->call_id))
		reason = "Unknown call-id";
	if (reason) {
		ng_reply_error(out, msg->cookie, reason);
		return;
	}
	if (received_from(req, &toward))
		sreq.toward = &toward;
	mbuf_init(&text);
	if (session_sdp_text(table, &sreq, offer, req->sdp, &text, &reason)) {
		ng_reply_error(out, msg->cookie, reason);
	} else {
		ng_reply_ok_begin(out, msg->cookie);
		bencode_put_str(out, "sdp");
		bencode_put_slice(out, mbuf_slice(&text));
		bencode_dict_end(out);
	}
	mbuf_free(&text);
}

void ng_command_delete(struct session_table *table, const struct ng_message *msg,
		       const struct ng_request *req, struct mbuf *out)
{
	if (!given(req->call_id)) {
		ng_reply_error(out, msg->cookie, "No call-id in message");
		return;
	}
	if (session_delete(table, req->call_id)) {
		ng_reply_error(out, msg->cookie, "Unknown call-id");
		return;
	}
	ng_reply_ok_begin(out, msg->cookie);
	bencode_dict_end(out);
}

static void put_int(struct mbuf *out, const char *key, int64_t v)
{
	bencode_put_str(out, key);
	bencode_put_int(out, v);
}

static void put_endpoint(struct mbuf *out, int leg, unsigned index,
			 const struct session_leg_stats *l)
{
	const struct media_endpoint_stats *e = &l->media;
	char remote[NETADDR_STRLEN] = "";

	if (e->remote_rtp.len)
		netaddr_str(&e->remote_rtp, remote, sizeof(remote));
	bencode_dict_begin(out);
	bencode_put_str(out, "leg");
	bencode_put_str(out, leg == SESSION_LEG_A ? "A" : "B");
	bencode_put_str(out, "tag");
	bencode_put_str(out, l->tag ? l->tag : "");
	put_int(out, "index", index);
	put_int(out, "local port", l->local_port);
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

void ng_command_query(struct session_table *table, const struct ng_message *msg,
		      const struct ng_request *req, struct mbuf *out)
{
	struct session_stats *stats;
	uint64_t packets = 0, bytes = 0, errors = 0;
	int err;

	if (!given(req->call_id)) {
		ng_reply_error(out, msg->cookie, "No call-id in message");
		return;
	}
	stats = malloc(sizeof(*stats));
	err = stats ? session_stats(table, req->call_id, stats) : ENOMEM;
	if (err) {
		ng_reply_error(out, msg->cookie,
			       err == ENOENT ? "Unknown call-id" : "Failed to read the statistics");
		goto out;
	}
	for (unsigned i = 0; i < stats->stream_count; i++)
		for (int leg = 0; leg < SESSION_LEG_COUNT; leg++) {
			const struct media_endpoint_stats *e = &stats->streams[i].leg[leg].media;
			packets += e->packets_received;
			bytes += e->bytes_received;
			errors += e->send_errors;
		}
	ng_reply_ok_begin(out, msg->cookie);
	put_int(out, "created", stats->created);
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
	for (unsigned i = 0; i < stats->stream_count; i++)
		for (int leg = 0; leg < SESSION_LEG_COUNT; leg++)
			put_endpoint(out, leg, stats->streams[i].index, &stats->streams[i].leg[leg]);
	bencode_list_end(out);
	bencode_dict_end(out);
out:
	free(stats);
}
