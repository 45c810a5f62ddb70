/*
 * ng.h - the envelope of rtpengine's "ng" control protocol, so Kamailio's
 * and OpenSIPS' rtpengine modules can use rtcbridge as their media relay.
 *
 * One request or reply per UDP datagram:
 *
 *   <cookie> <bencoded dictionary>
 *   5ee6_1 d7:command4:pinge          ->  5ee6_1 d6:result4:ponge
 *
 * The cookie is the client's retransmission id: any bytes up to the first
 * space, echoed in the reply. The request dictionary names its "command";
 * the reply's "result" is "ok", "pong" or "error" (with "error-reason").
 *
 * ng_parse() checks the envelope and finds the command; ng_request_parse()
 * then reads the fields offer, answer, delete and query share into a typed
 * struct ng_request. Both are zero-copy: every slice and node points into
 * the datagram and the caller's node array. Keys this code does not know
 * are left alone in the dictionary for the command handlers to look up.
 *
 * Not here: sockets, retransmission caching by cookie, the commands
 * themselves, rtpengine's "warning" and "extra" reply fields.
 */
#ifndef RTCB_NG_NG_H
#define RTCB_NG_NG_H

#include "core/mbuf.h"
#include "core/slice.h"
#include "ng/bencode.h"
#include "session/session.h"

#include <stdbool.h>
#include <stddef.h>

/* Longer cookies are refused; Kamailio's are short, "<pid>_<counter>". */
#define NG_MAX_COOKIE 64
/* A node array size for ng_parse() with room to spare: a Kamailio offer
 * with a dozen options is a few dozen values (the one in the tests, 23). */
#define NG_MAX_NODES 256

enum ng_command {
	NG_PING,
	NG_OFFER,
	NG_ANSWER,
	NG_DELETE,
	NG_QUERY,
	NG_LIST,
	NG_UNKNOWN, /* any other command string: answered with an error */
};

struct ng_message {
	struct slice cookie;
	struct bencode_node *root; /* the request dictionary */
	struct slice command_name;
	enum ng_command command;
};

/*
 * Parse one datagram. 0, or an error code with err filled (offsets count
 * from the start of the datagram):
 *   EBADMSG  no space after the cookie, an empty cookie, one longer than
 *            NG_MAX_COOKIE, a body that is not a dictionary, no "command"
 *            string in it; or a body bencode_decode() refuses (EBADMSG,
 *            ERANGE, E2BIG with its reason)
 * msg->cookie is set as soon as the cookie is good, so a failure with the
 * cookie set can be answered with ng_reply_error(); without one the
 * datagram can only be dropped, as rtpengine does.
 */
int ng_parse(const char *buf, size_t len, struct bencode_node *nodes, size_t max_nodes,
	     struct ng_message *msg, struct bencode_error *err);

/* "offer" -> NG_OFFER, ...; NG_UNKNOWN for anything else. Case-sensitive,
 * as rtpengine is. */
enum ng_command ng_command_from_name(struct slice name);

/* ------------------------------------------------------------ requests */

/*
 * The common request fields. A string that is absent is SLICE_NULL; a list
 * that is absent is NULL. Lists hold only strings (ng_request_parse()
 * checks), so the handlers can walk them with bencode_first() and ->str.
 */
struct ng_request {
	struct slice call_id, from_tag, to_tag, via_branch;
	struct slice sdp;
	struct slice ice, dtls; /* raw values of "ICE" and "DTLS" */
	/* "transport-protocol", "ICE", "DTLS", "replace" and "rtcp-mux" in
	 * typed form; unknown words are ignored */
	struct session_output output;
	/* "flags" (trust-address, generate-mid, ...), "replace", "rtcp-mux",
	 * "SDES" (off, no-<suite>...), "direction" (two interface names) and
	 * "received-from" (["IP4", "192.0.2.1"]) */
	const struct bencode_node *flags, *replace_list, *rtcp_mux_list, *sdes, *direction,
		*received_from;
};

/*
 * Read the common fields of msg->root into req. 0, or EBADMSG with *reason
 * naming the first field of the wrong type, e.g. "call-id is not a string"
 * or "flags must be a list of strings". Unknown keys are ignored. Which
 * fields a command needs (offer: call-id, from-tag, sdp) is the handler's
 * business.
 */
int ng_request_parse(const struct ng_message *msg, struct ng_request *req, const char **reason);

/* Does the "flags" list hold flag? */
bool ng_request_has_flag(const struct ng_request *req, const char *flag);

/* ------------------------------------------------------------ replies
 * Each appends one whole datagram (cookie, space, dictionary) to out;
 * allocation failure is left in out (mbuf_failed). */

/* <cookie> d6:result4:ponge */
void ng_reply_pong(struct mbuf *out, struct slice cookie);

/* <cookie> d6:result5:error12:error-reason<n>:<reason>e */
void ng_reply_error(struct mbuf *out, struct slice cookie, const char *reason);

/* <cookie> d6:result2:ok, left open: the caller adds its keys and values
 * (bencode_put_str(out, "sdp"); bencode_put_slice(out, sdp);) and closes
 * it with bencode_dict_end(). */
void ng_reply_ok_begin(struct mbuf *out, struct slice cookie);

#endif
